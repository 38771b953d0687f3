# SPDX-License-Identifier: Apache-2.0
"""The data fit, evaluate and predict take: numpy arrays, tensors, variables or nested lists,
all with their samples along the first axis (Keras's TensorLikeDataAdapter). Multi-input data
(lists or dicts of arrays), generators and keras.utils.Sequence raise NotImplementedError."""
import math

import numpy as np

from .._core import Tensor, Variable


def to_array(value, what):
    """`value` as a numpy array (a view of a tensor's buffer, no copy), or None."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value.numpy() if value.ndim else np.asarray(value.numpy())
    if isinstance(value, Variable):
        return value.numpy()
    if isinstance(value, dict) or (isinstance(value, (list, tuple)) and value and
                                   isinstance(value[0], (np.ndarray, Tensor, Variable))):
        raise NotImplementedError("%s: tapegrad models have one input and one output; lists or "
                                  "dicts of arrays are not implemented" % what)
    if hasattr(value, "__next__") or hasattr(value, "__getitem__") and hasattr(value, "__len__") \
            and not isinstance(value, (list, tuple, np.ndarray)):
        raise NotImplementedError("%s: generators and keras.utils.Sequence are not implemented; "
                                  "pass numpy arrays or tensors" % what)
    array = np.asarray(value)
    if array.dtype == object:
        raise ValueError("%s: cannot make an array of %r" % (what, type(value).__name__))
    return array


def supported(array, floating=None):
    """`array` in a dtype tapegrad has: floating arrays in `floating` (if given, else float32
    unless float64), integers int32/int64 (others, such as uint8, become int32 or int64),
    bools as they are. C-contiguous."""
    kind = array.dtype.kind
    if kind == "f":
        dtype = floating.as_numpy_dtype if floating is not None else (
            array.dtype if array.dtype in (np.float32, np.float64) else np.float32)
    elif kind in "iu":
        dtype = array.dtype if array.dtype in (np.int32, np.int64) else (
            np.int32 if array.dtype.itemsize < 4 else np.int64)
    elif kind == "b":
        dtype = np.bool_
    else:
        raise TypeError("tapegrad cannot train on data of dtype %s" % array.dtype)
    return np.ascontiguousarray(array, dtype=dtype)


def cardinality_check(arrays):
    """Keras's "Data cardinality is ambiguous" error when the first dimensions differ."""
    named = [(name, a) for name, a in arrays if a is not None]
    sizes = {a.shape[0] if a.ndim else None for _, a in named}
    if None in sizes:
        raise ValueError("Expected data with a batch dimension, got a scalar for %s"
                         % next(n for n, a in named if not a.ndim))
    if len(sizes) > 1:
        raise ValueError("Data cardinality is ambiguous:\n%s\nMake sure all arrays contain the "
                         "same number of samples." % "\n".join(
                             "  %s sizes: %d" % (name, a.shape[0]) for name, a in named))


def split_validation(n, validation_split):
    """Keras's train_validation_split: the first floor(n·(1 − split)) samples train."""
    if not 0 <= validation_split < 1:
        raise ValueError("validation_split must be in [0, 1), got %r" % (validation_split,))
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if validation_split and (split_at == 0 or split_at == n):
        raise ValueError("Training data contains %d samples, which is not sufficient to split it "
                         "into a validation and training set as specified by "
                         "`validation_split=%s`. Either provide more data, or a different value "
                         "for the `validation_split` argument." % (n, validation_split))
    return split_at


def unpack_validation(validation_data):
    """(x, y) or (x, y, sample_weight)."""
    if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
        raise ValueError("validation_data must be a tuple (x, y) or (x, y, sample_weight), got %r"
                         % (type(validation_data).__name__,))
    x, y = validation_data[0], validation_data[1]
    return x, y, validation_data[2] if len(validation_data) == 3 else None


def steps(n, batch_size):
    return -(-n // batch_size)
