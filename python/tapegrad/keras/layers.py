# SPDX-License-Identifier: Apache-2.0
"""Keras layers (tf.keras.layers).

Dense, Dropout, Flatten, Reshape, Embedding and the layers of convolutional.py (Conv1D, Conv2D,
the poolings, BatchNormalization, LayerNormalization) are layers of the C library (tg_layer): a
Sequential made of them is a C model that fit, evaluate and predict run without Python in the
loop, and whose structural checkpoints C programs read. A Dense whose activation or initializers the C library
lacks (a Python function, VarianceScaling with other parameters, ...) is still a C layer: the
activation runs in Python after it, the initializers once it is built. Activation, ReLU and
Softmax, and layers subclassed from Layer, run in Python.
"""
import ctypes

from .. import _ops
from .. import dtypes as _dt
from .._core import Tensor, Variable, op_seed
from .._lib import LayerConfig, call, lib, out_handle
from . import activations, initializers
from ._c_model import build_layer
from .base_layer import Input, InputLayer, Layer, scopes, unsupported  # noqa: F401 (re-exported)

TG_LAYER_DENSE, TG_LAYER_DROPOUT, TG_LAYER_FLATTEN, TG_LAYER_EMBEDDING = 0, 1, 2, 3
TG_LAYER_RESHAPE = 12

# tg_activation of the activations the C library has.
_C_ACTIVATIONS = {
    activations.linear: 0, activations.relu: 1, activations.sigmoid: 2, activations.tanh: 3,
    activations.softmax: 4, activations.gelu: 5, activations.silu: 6, activations.elu: 7,
    activations.selu: 8, activations.softplus: 9, activations.relu6: 10,
    activations.exponential: 11,
}


class CLayer(Layer):
    """A layer of the C library: owns one tg_layer, made from a tg_layer_config.

    `plain` is True when the C layer computes the whole layer (no Python activation after it):
    only such layers make a Sequential a C model."""

    _type = None

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
        self._python_initializers = {}  # weight name -> initializer run after the C build
        self.plain = True

    def _config(self):
        config = LayerConfig()
        call(lib.tg_layer_config_init, self._type, ctypes.byref(config))
        config.name = self._name.encode()
        config.dtype = self._dtype.enum
        config.trainable = int(self._trainable)
        return config

    def _create(self, config):
        out = out_handle()
        call(lib.tg_layer_create, ctypes.byref(config), ctypes.byref(out))
        self._h = out.value

    def _set_initializer(self, field, weight, identifier):
        """Fills the tg_initializer `field` for `identifier`, or leaves it to Python after the
        build."""
        init = initializers.get(identifier)
        c = initializers.c_initializer(init)
        if c is None:
            self._python_initializers[weight] = init
            c = (6, 0.0, 0.0, 0)  # zeros until the Python initializer runs
        field.kind, field.a, field.b, field.seed = c

    def __del__(self, _free=lib.tg_layer_free):
        h = self.__dict__.get("_h")
        if h:
            self.__dict__["_h"] = None
            _free(h)

    @property
    def handle(self):
        return self._h

    @Layer.trainable.setter
    def trainable(self, value):
        call(lib.tg_layer_set_trainable, self._h, int(bool(value)))
        self._trainable = bool(value)

    def build(self, input_shape):
        """Creates the weights for inputs of input_shape (None for unknown dimensions), named
        after the models that are calling this layer."""
        if self.built:
            return
        if input_shape is None:
            raise ValueError("%s: build() needs an input shape" % self.name)
        build_layer(self._h, tuple(input_shape), list(scopes()))
        self._adopt_weights()
        self._set_built()

    def _adopt_weights(self):
        """Wraps the C layer's variables once, so the same Variable objects are returned every
        time (tape sources, optimizer variables and `kernel` compare by identity)."""
        count = ctypes.c_size_t()
        call(lib.tg_layer_variables, self._h, None, 0, ctypes.byref(count))
        handles = (ctypes.c_void_p * max(count.value, 1))()
        call(lib.tg_layer_variables, self._h, handles, count.value, ctypes.byref(count))
        self._weights[:] = [Variable._from_handle(handles[i]) for i in range(count.value)]
        for weight, init in self._python_initializers.items():
            v = self._weight(weight)
            v.assign(init(tuple(v.shape), v.dtype))

    def _weight(self, name):
        """The variable with Keras name `name` ("kernel"), in creation order."""
        if not self._weights:
            raise AttributeError("%s '%s' has no attribute '%s' before it is built (call it or "
                                 "build() it first)" % (type(self).__name__, self.name, name))
        names = [w.name.rsplit("/", 1)[-1].split(":")[0] for w in self._weights]
        return self._weights[names.index(name)] if name in names else None

    def _build_on_call(self, inputs):
        self.build(tuple(inputs.shape))

    def _convert_input(self, x):
        if isinstance(x, Tensor):
            return x  # the C layer casts (autocast) itself
        return super()._convert_input(x)

    def call(self, inputs, training=None):
        out = out_handle()
        call(lib.tg_layer_call, self._h, inputs.handle, int(bool(training)), ctypes.byref(out))
        return Tensor(out.value)


class KernelLayer(CLayer):
    """A C layer with Dense's kernel options (Dense, Conv1D, Conv2D): activation(x ∘ kernel +
    bias). An activation the C library lacks runs in Python after the C layer."""

    def _kernel_options(self, config, activation, use_bias, kernel_initializer,
                        bias_initializer):
        """Sets activation, use_bias and the two initializers on config; returns it."""
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        c_activation = _C_ACTIVATIONS.get(self.activation)
        config.activation = 0 if c_activation is None else c_activation
        self.plain = c_activation is not None
        config.use_bias = int(self.use_bias)
        self._set_initializer(config.kernel_initializer, "kernel", kernel_initializer)
        self._set_initializer(config.bias_initializer, "bias", bias_initializer)
        return config

    @property
    def kernel(self):
        return self._weight("kernel")

    @property
    def bias(self):
        return self._weight("bias")

    def call(self, inputs, training=None):
        y = super().call(inputs, training)
        return y if self.plain else self.activation(y)


class Dense(KernelLayer):
    """Dense(units, activation=None, use_bias=True, kernel_initializer='glorot_uniform',
    bias_initializer='zeros'): activation(inputs · kernel + bias), contracting the last axis of
    inputs of any rank >= 2. Regularizers and constraints are not implemented (NotImplementedError
    if given)."""

    _type = TG_LAYER_DENSE

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        unsupported("Dense", kernel_regularizer=kernel_regularizer,
                    bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                    kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        super().__init__(**kwargs)
        if isinstance(units, float) and units != int(units) or int(units) <= 0:
            raise ValueError("Received an invalid value for `units`, expected a positive "
                             "integer. Received: units=%s" % units)
        self.units = int(units)
        config = self._config()
        config.units = self.units
        self._create(self._kernel_options(config, activation, use_bias, kernel_initializer,
                                          bias_initializer))


class Dropout(CLayer):
    """Dropout(rate, seed=None): in training, keeps each element with probability 1 − rate and
    scales it by 1/(1 − rate); otherwise the identity. A new mask every call, drawn from the seed
    (from tg.random's generator if None) and the call count."""

    _type = TG_LAYER_DROPOUT

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        unsupported("Dropout", noise_shape=noise_shape)
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError("Invalid value received for argument `rate`. Expected a float value "
                             "between 0 and 1. Received: rate=%s" % rate)
        self.rate = float(rate)
        self.seed = seed
        config = self._config()
        config.rate = self.rate
        config.seed = op_seed(seed)
        self._create(config)


class Flatten(CLayer):
    """(N, d1, d2, ...) -> (N, d1·d2·...)."""

    _type = TG_LAYER_FLATTEN

    def __init__(self, data_format=None, **kwargs):
        if data_format not in (None, "channels_last"):
            raise NotImplementedError("Flatten: tapegrad implements data_format='channels_last' "
                                      "only, got %r" % (data_format,))
        super().__init__(**kwargs)
        self._create(self._config())


class Reshape(CLayer):
    """Reshape(target_shape): (N, ...) -> (N,) + target_shape; one entry may be -1 (inferred
    from the others)."""

    _type = TG_LAYER_RESHAPE

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        config = self._config()
        if len(self.target_shape) > len(config.reshape.target_shape):
            raise ValueError("Reshape: target_shape %r has more than %d dimensions"
                             % (self.target_shape, len(config.reshape.target_shape)))
        for i, d in enumerate(self.target_shape):
            config.reshape.target_shape[i] = d
        config.reshape.rank = len(self.target_shape)
        self._create(config)


class Embedding(CLayer):
    """Embedding(input_dim, output_dim, embeddings_initializer='uniform', input_length=None):
    integer indices S -> rows of a (input_dim, output_dim) table, shape S + (output_dim,)."""

    _type = TG_LAYER_EMBEDDING

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, sparse=False,
                 **kwargs):
        unsupported("Embedding", embeddings_regularizer=embeddings_regularizer,
                    activity_regularizer=activity_regularizer,
                    embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                    sparse=sparse)
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        config = self._config()
        config.input_dim, config.output_dim = self.input_dim, self.output_dim
        self._set_initializer(config.embeddings_initializer, "embeddings", embeddings_initializer)
        self._create(config)

    @property
    def embeddings(self):
        return self._weight("embeddings")

    def _convert_input(self, x):
        t = x if isinstance(x, Tensor) else Layer._convert_input(self, x)
        return t if t.dtype.is_integer else _ops.cast(t, _dt.int32)


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)


class ReLU(Layer):
    """ReLU(max_value=None, negative_slope=0, threshold=0): Keras's ReLU layer."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError("max_value of a ReLU layer cannot be a negative value. Received: %s"
                             % max_value)
        if negative_slope is None or negative_slope < 0:
            raise ValueError("negative_slope of a ReLU layer cannot be a negative value. "
                             "Received: %s" % negative_slope)
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        x = inputs
        if self.negative_slope == 0 and self.threshold == 0:
            y = _ops.relu(x)
        else:
            y = _ops.where(x >= self.threshold, x, (x - self.threshold) * self.negative_slope)
        return y if self.max_value is None else _ops.minimum(y, self.max_value)


class Softmax(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return _ops.softmax(inputs, self.axis)


# The C layers of convolutional.py, under tf.keras.layers as in Keras (imported last: that
# module builds on CLayer above).
from .convolutional import (  # noqa: E402,F401
    AveragePooling2D, BatchNormalization, Conv1D, Conv2D, GlobalAveragePooling2D,
    GlobalMaxPooling2D, LayerNormalization, MaxPooling2D)
