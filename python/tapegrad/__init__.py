# SPDX-License-Identifier: Apache-2.0
"""tapegrad for Python: TensorFlow-2-style training over libtapegrad.so's C ABI (ctypes, no
compiled extension).

    import numpy as np
    import tapegrad as tg

    x = tg.constant(3.0)
    with tg.GradientTape() as g:
        g.watch(x)
        y = x * x
    g.gradient(y, x)                                  # <tg.Tensor: shape=(), dtype=float32, numpy=6.0>

    model = tg.keras.Sequential([tg.layers.Dense(32, activation="relu"), tg.layers.Dense(10)])
    loss_object = tg.losses.CategoricalCrossentropy(from_logits=True)
    optimizer = tg.optimizers.Adam()
    with tg.GradientTape() as tape:
        loss = loss_object(labels, model(data))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))   # 1

numpy: tg.constant copies, tg.from_numpy wraps without copying, tensor.numpy() is a read-only
view. DLPack: tensor.__dlpack__(), tg.from_dlpack(any producer). Errors of the library raise
tg.errors.* exceptions carrying its message. The library is found through TAPEGRAD_LIBRARY,
then next to this package, then the repository's build trees, then the system (see _lib.py).
"""
from . import dtypes, errors
from ._lib import VERSION as __version__
from ._lib import lib as _lib_handle
from .dtypes import DType, as_dtype, bool, double, float32, float64, int32, int64  # noqa: A004
from ._core import Tensor, TensorShape, Variable, constant, convert_to_tensor, from_numpy
from ._ops import (abs, add, argmax, argmin, broadcast_to, cast, ceil, clip_by_value,  # noqa: A004
                   concat, cos, divide, equal, exp, expand_dims, eye, fill, floor, gather,
                   greater, greater_equal, identity, less, less_equal, log, logical_and,
                   logical_not, logical_or, matmul, maximum, minimum, multiply, negative,
                   not_equal, ones, ones_like, one_hot, pad, pow, range, reduce_logsumexp,
                   reduce_max, reduce_mean, reduce_min, reduce_prod, reduce_std, reduce_sum,
                   reduce_variance, reshape, round, rsqrt, sigmoid, sign, sin, slice, split,
                   sqrt, square, squared_difference, squeeze, stack, stop_gradient,
                   strided_slice, subtract, tanh, tile, transpose, truediv, where, zeros,
                   zeros_like)
from ._tape import GradientTape, UnconnectedGradients
from ._custom import custom_gradient
from ._dlpack import from_dlpack
from . import linalg, math, nn, random
from . import keras
from .keras import initializers, layers, losses, metrics, optimizers

newaxis = None


def version():
    """The loaded library's version (tg_version())."""
    return _lib_handle.tg_version().decode()


def library_path():
    """The path of the libtapegrad.so this package loaded."""
    return _lib_handle.path


def set_num_threads(n):
    """Threads for the library's parallel work: large matrix products, convolutions, pooling,
    normalization (n <= 0: the default, from TAPEGRAD_NUM_THREADS, OPENBLAS_NUM_THREADS or
    OMP_NUM_THREADS, else the CPUs this process may run on)."""
    from ._lib import call
    call(_lib_handle.tg_set_num_threads, max(int(n), 0))


def get_num_threads():
    import ctypes
    from ._lib import call
    out = ctypes.c_size_t()
    call(_lib_handle.tg_get_num_threads, ctypes.byref(out))
    return out.value


class experimental:  # noqa: N801 (a namespace, as tf.experimental.dlpack)
    class dlpack:  # noqa: N801
        @staticmethod
        def to_dlpack(tensor):
            return tensor.__dlpack__()

        @staticmethod
        def from_dlpack(capsule):
            return from_dlpack(capsule)
