"""Keras layers (tf.keras.layers) written with tapegrad's ops, as Keras writes them with TF's.

Names follow Keras: a layer gets "dense", "dense_1", ... when it is made (per process, reset by
tg.keras.backend.clear_session()); its weights are made on its first call, inside the name
scopes of the models calling it: "my_model/dense/kernel:0". Floating inputs are cast to the
layer's dtype (float32), as Keras's autocast does with float64 numpy data.
"""
import re
import threading

from .. import _ops
from .. import dtypes as _dt
from .._core import Tensor, Variable, convert_to_tensor, names, op_seed, constant
from . import activations, initializers

_context = threading.local()


def _scopes():
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


class Layer:
    """Base class of layers and models: tracks weights and sub-layers, builds on first call."""

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        object.__setattr__(self, "_layers", [])
        object.__setattr__(self, "_weights", [])
        self._name = name if name else names.unique(to_snake_case(type(self).__name__))
        self._trainable = trainable
        self._dtype = _dt.as_dtype(dtype) if dtype is not None else _dt.float32
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

    def add_weight(self, name, shape=(), dtype=None, initializer="glorot_uniform",
                   trainable=True):
        """A new Variable "<scopes>/<layer>/<name>:0" holding initializer(shape, dtype)."""
        dtype = _dt.as_dtype(dtype) if dtype is not None else self._dtype
        init = initializers.get(initializer)
        value = init(tuple(shape), dtype)
        scope = "".join(s + "/" for s in _scopes())
        v = Variable(value, trainable=trainable, name=scope + name)
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
        return [w.numpy().copy() for w in self.weights]

    def set_weights(self, values):
        ws = self.weights
        if len(values) != len(ws):
            raise ValueError("set_weights: expected %d arrays, got %d" % (len(ws), len(values)))
        for w, v in zip(ws, values):
            w.assign(constant(v, w.dtype))

    def build(self, input_shape):
        pass

    def call(self, inputs, *args, **kwargs):
        return inputs

    def _cast_input(self, x):
        if isinstance(x, (list, tuple)):
            return type(x)(self._cast_input(v) for v in x)
        if isinstance(x, dict):
            return {k: self._cast_input(v) for k, v in x.items()}
        t = convert_to_tensor(x) if not isinstance(x, Tensor) else x
        if t.dtype.is_floating and t.dtype is not self._dtype:
            t = _ops.cast(t, self._dtype)
        return t

    def __call__(self, inputs, *args, training=None, **kwargs):
        inputs = self._cast_input(inputs)
        scopes = _scopes()
        scopes.append(self._name)
        stack = _training_stack()
        if training is None:
            training = stack[-1] if stack else False
        stack.append(bool(training))
        try:
            if not self.built:
                shape = tuple(inputs.shape) if isinstance(inputs, Tensor) else None
                self.build(shape)
                self.built = True
            if _accepts_training(self.call):
                kwargs["training"] = training
            return self.call(inputs, *args, **kwargs)
        finally:
            stack.pop()
            scopes.pop()


def _accepts_training(fn):
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    return "training" in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount] or \
        bool(code.co_flags & 0x08)  # **kwargs


class Dense(Layer):
    """Dense(units, activation=None, use_bias=True, kernel_initializer='glorot_uniform',
    bias_initializer='zeros'): activation(inputs · kernel + bias), contracting the last axis of
    inputs of any rank >= 2."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", name=None, dtype=None, trainable=True, **kwargs):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        self.units = int(units)
        if self.units <= 0:
            raise ValueError("Received an invalid value for `units`, expected a positive "
                             "integer. Received: units=%s" % units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel = None
        self.bias = None

    def build(self, input_shape):
        if not input_shape or input_shape[-1] == 0:
            raise ValueError("The last dimension of the inputs to a Dense layer should be "
                             "defined. Found shape %s" % (input_shape,))
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units),
                                      initializer=self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), initializer=self.bias_initializer)

    def call(self, inputs):
        if inputs.ndim == 2:
            y = _ops.matmul(inputs, self.kernel)
        else:  # tensordot over the last axis
            shape = tuple(inputs.shape)
            y = _ops.matmul(_ops.reshape(inputs, (-1, shape[-1])), self.kernel)
            y = _ops.reshape(y, shape[:-1] + (self.units,))
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)


class Activation(Layer):
    def __init__(self, activation, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)


class ReLU(Activation):
    def __init__(self, name=None, **kwargs):
        super().__init__("relu", name=name, **kwargs)


class Softmax(Layer):
    def __init__(self, axis=-1, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.axis = axis

    def call(self, inputs):
        return _ops.softmax(inputs, self.axis)


class Dropout(Layer):
    """Dropout(rate, seed=None): in training, keeps each element with probability 1 − rate and
    scales it by 1/(1 − rate); otherwise the identity. A new mask every call."""

    def __init__(self, rate, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not 0 <= rate < 1:
            raise ValueError("Invalid value received for argument `rate`. Expected a float value "
                             "between 0 and 1. Received: rate=%s" % rate)
        if noise_shape is not None:
            raise ValueError("Dropout: noise_shape is not supported")
        self.rate = float(rate)
        self.seed = seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        keep = _ops.random_uniform(inputs.shape, 0.0, 1.0, inputs.dtype, op_seed(None)
                                   if self.seed is None else self._next_seed())
        mask = _ops.cast(_ops.greater_equal(keep, self.rate), inputs.dtype)
        return inputs * mask * (1.0 / (1.0 - self.rate))

    def _next_seed(self):
        self._calls = getattr(self, "_calls", 0) + 1
        return (int(self.seed) + 0x9E3779B97F4A7C15 * self._calls) & 0xFFFFFFFFFFFFFFFF


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1·d2·...)."""

    def call(self, inputs):
        shape = tuple(inputs.shape)
        if len(shape) == 0:
            raise ValueError("Flatten: the input is a scalar")
        return _ops.reshape(inputs, (shape[0], -1) if len(shape) != 1 else (shape[0], 1))


class Embedding(Layer):
    """Embedding(input_dim, output_dim): integer indices S -> rows of a (input_dim, output_dim)
    table, shape S + (output_dim,)."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", name=None,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings = None

    def _cast_input(self, x):
        t = convert_to_tensor(x)
        return t if t.dtype.is_integer else _ops.cast(t, _dt.int32)

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer)

    def call(self, inputs):
        return _ops.gather(self.embeddings, inputs, axis=0)
