# SPDX-License-Identifier: Apache-2.0
"""The Keras base Layer (keras/engine/base_layer.py): a name, a dtype, a trainable flag, the
weights it makes when it is built and the layers it tracks. Subclass it for a layer written in
Python (build() with add_weight, call()); Dense, Dropout, Flatten and Embedding are layers of
the C library instead (layers.py).

Names follow Keras: a layer gets "dense", "dense_1", ... when it is made (per process, reset by
tg.keras.backend.clear_session()); its weights are made inside the name scopes of the models
calling it: "my_model/dense/kernel:0". Floating inputs are cast to the layer's dtype, as Keras's
autocast does with float64 numpy data.
"""
import re
import threading

import numpy as np

from .. import _ops
from .. import dtypes as _dt
from .._core import Tensor, Variable, constant, convert_to_tensor, names
from . import initializers

_context = threading.local()


def scopes():
    """The names of the layers being called on this thread, outermost first."""
    if not hasattr(_context, "scopes"):
        _context.scopes = []
    return _context.scopes


def _training_stack():
    if not hasattr(_context, "training"):
        _context.training = []
    return _context.training


def to_snake_case(name):
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s if s[0] != "_" else "private" + s


def unsupported(owner, **arguments):
    """Raises NotImplementedError naming the first argument that is set (not None / False)."""
    for key, value in arguments.items():
        if value is not None and value is not False:
            raise NotImplementedError("%s: tapegrad does not implement `%s` (got %r)"
                                      % (owner, key, value))


def batch_shape(input_shape=None, batch_input_shape=None, batch_size=None, input_dim=None):
    """Keras's input_shape / batch_input_shape / batch_size / input_dim arguments as one batch
    shape tuple with None for unknown dimensions (or None if none is given)."""
    if batch_input_shape is not None:
        return tuple(None if d is None else int(d) for d in batch_input_shape)
    if input_shape is None and input_dim is not None:
        input_shape = (input_dim,)
    if input_shape is None:
        return None
    if isinstance(input_shape, (int, np.integer)):
        input_shape = (input_shape,)
    return (batch_size,) + tuple(None if d is None else int(d) for d in input_shape)


class Layer:
    """Base class of layers and models: tracks weights and sub-layers, builds on first call.

    Layer(trainable=True, name=None, dtype=None, dynamic=False, input_shape=None,
    batch_input_shape=None, batch_size=None, input_dim=None, weights=None): dynamic changes
    nothing (tapegrad layers always run eagerly); the last five as
    Keras's base layer takes them (the first layer of a Sequential gives the model its input
    shape; `weights` are set when the layer is built). Other keywords raise TypeError, Keras's
    activity_regularizer and autocast=False NotImplementedError."""

    def __init__(self, trainable=True, name=None, dtype=None, dynamic=False, **kwargs):
        object.__setattr__(self, "_layers", [])
        object.__setattr__(self, "_weights", [])
        cls = type(self).__name__
        shape_args = {k: kwargs.pop(k) for k in ("input_shape", "batch_input_shape",
                                                  "batch_size", "input_dim") if k in kwargs}
        initial_weights = kwargs.pop("weights", None)
        unsupported(cls, activity_regularizer=kwargs.pop("activity_regularizer", None))
        if kwargs.pop("autocast", True) is not True:
            raise NotImplementedError("%s: tapegrad layers always autocast floating inputs to "
                                      "their dtype; `autocast=False` is not implemented" % cls)
        for key in kwargs:
            raise TypeError("Keyword argument not understood: '%s' (%s)" % (key, cls))
        if name is not None and not isinstance(name, str):
            raise TypeError("%s: name must be a string, got %r" % (cls, name))
        self._name = name if name else names.unique(to_snake_case(cls))
        self._trainable = bool(trainable)
        self._dtype = _dt.as_dtype(dtype) if dtype is not None else _dt.float32
        if not self._dtype.is_floating:
            raise TypeError("%s: a layer's dtype must be floating (float32 or float64), got %s"
                            % (cls, self._dtype.name))
        self._batch_input_shape = batch_shape(**shape_args)
        self._initial_weights = initial_weights
        self.built = False

    def __setattr__(self, key, value):
        if "_layers" not in self.__dict__:
            raise RuntimeError("It looks like you are subclassing `Layer`/`Model` and forgot to "
                               "call `super().__init__()`. Always start with this line.")
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if isinstance(item, Layer) and item is not self and \
                    not any(item is known for known in self._layers):
                self._layers.append(item)
        object.__setattr__(self, key, value)

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        """The dtype of the layer's weights and computation, as a string ("float32")."""
        return self._dtype.name

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)

    @property
    def layers(self):
        return list(self._layers)

    def add_weight(self, name=None, shape=(), dtype=None, initializer=None, regularizer=None,
                   trainable=None, constraint=None):
        """A new Variable "<scopes>/<layer>/<name>:0" holding initializer(shape, dtype) (Keras's
        default initializer: glorot_uniform for floating weights)."""
        unsupported("%s.add_weight" % type(self).__name__, regularizer=regularizer,
                    constraint=constraint)
        dtype = _dt.as_dtype(dtype) if dtype is not None else self._dtype
        init = initializers.get(initializer if initializer is not None else "glorot_uniform")
        value = init(tuple(shape), dtype)
        scope = "".join(s + "/" for s in scopes())
        v = Variable(value, trainable=True if trainable is None else trainable,
                     name=scope + (name or "Variable"))
        self._weights.append(v)
        return v

    # -- weights, in Keras's order: own weights, then each tracked layer's --
    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        out = [w for w in self._weights if w.trainable]
        for layer in self._layers:
            out += layer.trainable_weights
        return out

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return self.weights
        out = [w for w in self._weights if not w.trainable]
        for layer in self._layers:
            out += layer.non_trainable_weights
        return out

    @property
    def weights(self):
        out = list(self._weights)
        for layer in self._layers:
            out += layer.weights
        return out

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self):
        """The weights' values as numpy arrays (copies), in the order of `weights`."""
        return [np.array(w.numpy()) for w in self.weights]

    def set_weights(self, weights):
        """Assigns weights[i] to self.weights[i]; every shape is checked before anything
        changes (Keras's messages)."""
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(
                'You called `set_weights(weights)` on layer "%s" with a weight list of length %d, '
                "but the layer was expecting %d weights." % (self.name, len(weights), len(params)))
        values = []
        for p, w in zip(params, weights):
            value = constant(w, p.dtype)
            if tuple(value.shape) != tuple(p.shape):
                raise ValueError("Layer %s weight shape %s is not compatible with provided weight "
                                 "shape %s." % (self.name, tuple(p.shape), tuple(value.shape)))
            values.append(value)
        for p, value in zip(params, values):
            p.assign(value)

    def count_params(self):
        """The number of scalars in the weights. ValueError if the layer is not built."""
        if not self.built:
            raise ValueError("You tried to call `count_params` on layer %s, but the layer isn't "
                             "built. You can build it manually via: `%s.build(batch_input_shape)`."
                             % (self.name, self.name))
        return int(sum(w.shape.num_elements() for w in self.weights))

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return inputs

    def _convert_input(self, x):
        """Keras autocast: floating inputs (tensors, numpy, Python values) in the layer's dtype."""
        if isinstance(x, (list, tuple)):
            return type(x)(self._convert_input(v) for v in x)
        if isinstance(x, dict):
            return {k: self._convert_input(v) for k, v in x.items()}
        if isinstance(x, Tensor):
            return _ops.cast(x, self._dtype) if x.dtype.is_floating and x.dtype is not self._dtype \
                else x
        if isinstance(x, Variable):
            return self._convert_input(x.read_value())
        if isinstance(x, Layer):
            raise NotImplementedError(
                "tapegrad has no functional API: a layer cannot be called on %r; use Sequential "
                "or subclass Model" % (x,))
        array = np.asarray(x)
        if array.dtype.kind == "f":
            return constant(array, self._dtype)
        return convert_to_tensor(x)

    def _build_on_call(self, inputs):
        """Builds the layer for its first inputs, inside its own name scope."""
        shape = tuple(inputs.shape) if isinstance(inputs, Tensor) else None
        scopes().append(self._name)
        try:
            self.build(shape)
        finally:
            scopes().pop()
        self._set_built()

    def _set_built(self):
        self.built = True
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def __call__(self, inputs, *args, training=None, **kwargs):
        inputs = self._convert_input(inputs)
        stack = _training_stack()
        if training is None:
            training = stack[-1] if stack else False
        if not self.built:
            self._build_on_call(inputs)
        scope = scopes()
        scope.append(self._name)
        stack.append(bool(training))
        try:
            if _accepts_training(self.call):
                kwargs["training"] = training
            return self.call(inputs, *args, **kwargs)
        finally:
            stack.pop()
            scope.pop()

    def __repr__(self):
        return "<%s name=%s, built=%s>" % (type(self).__name__, self.name, self.built)


def _accepts_training(fn):
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    return "training" in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount] or \
        bool(code.co_flags & 0x08)  # **kwargs


class InputLayer(Layer):
    """Keras InputLayer / keras.Input(shape=...) as the first entry of a Sequential: it gives the
    model its input shape and does nothing else (tapegrad has no functional API)."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, name=None,
                 batch_input_shape=None, sparse=None, ragged=None, **kwargs):
        unsupported("InputLayer", sparse=sparse, ragged=ragged)
        super().__init__(name=name, dtype=dtype, input_shape=input_shape, batch_size=batch_size,
                         batch_input_shape=batch_input_shape, **kwargs)
        if self._batch_input_shape is None:
            raise ValueError("InputLayer: give input_shape or batch_input_shape")
        self.built = True

    def count_params(self):
        return 0


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None, **kwargs):  # noqa: N802
    """keras.Input: here an InputLayer, usable as the first entry of a Sequential."""
    return InputLayer(input_shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                      batch_input_shape=batch_shape, **kwargs)
