# SPDX-License-Identifier: Apache-2.0
"""Keras activations by name (tf.keras.activations)."""
from .. import _ops


def linear(x):
    return x


def relu(x):
    return _ops.relu(x)


def softmax(x, axis=-1):
    return _ops.softmax(x, axis)


def exponential(x):
    return _ops.exp(x)


def gelu(x, approximate=False):
    return _ops.gelu(x, approximate)


sigmoid = _ops.sigmoid
tanh = _ops.tanh
elu = _ops.elu
selu = _ops.selu
softplus = _ops.softplus
relu6 = _ops.relu6
silu = _ops.silu
swish = _ops.silu

_BY_NAME = {
    "linear": linear, "relu": relu, "softmax": softmax, "exponential": exponential,
    "gelu": gelu, "sigmoid": sigmoid, "tanh": tanh, "elu": elu, "selu": selu,
    "softplus": softplus, "relu6": relu6, "silu": silu, "swish": swish,
}


def get(identifier):
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier]
        except KeyError:
            raise ValueError("Unknown activation function: '%s'" % identifier) from None
    if callable(identifier):
        return identifier
    raise TypeError("Could not interpret activation function identifier: %r" % (identifier,))
