# SPDX-License-Identifier: Apache-2.0
"""tapegrad's dtypes (tf.float32, ...): float32 (the default, as in Keras), float64, int32,
int64 and bool. A DType compares equal to its name and to the matching numpy dtype."""
import builtins

import numpy as np


class DType:
    __slots__ = ("name", "enum", "as_numpy_dtype", "size", "is_floating", "is_integer", "is_bool")

    def __init__(self, name, enum, np_dtype):
        self.name = name
        self.enum = enum  # the tg_dtype value
        self.as_numpy_dtype = np.dtype(np_dtype)
        self.size = self.as_numpy_dtype.itemsize
        self.is_floating = name in ("float32", "float64")
        self.is_integer = name in ("int32", "int64")
        self.is_bool = name == "bool"

    @property
    def base_dtype(self):
        return self

    def __repr__(self):
        return "tg.%s" % self.name

    def __eq__(self, other):
        if isinstance(other, DType):
            return self is other
        try:
            return as_dtype(other) is self
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.name)

    def __reduce__(self):
        return (as_dtype, (self.name,))


float32 = DType("float32", 0, np.float32)
float64 = DType("float64", 1, np.float64)
int32 = DType("int32", 2, np.int32)
int64 = DType("int64", 3, np.int64)
bool = DType("bool", 4, np.bool_)  # noqa: A001 (tf.bool)
double = float64

ALL = (float32, float64, int32, int64, bool)
_BY_ENUM = {d.enum: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME["double"] = float64
_BY_NAME["float"] = float32
_BY_NUMPY = {d.as_numpy_dtype: d for d in ALL}


def from_enum(value):
    return _BY_ENUM[value]


def as_dtype(value):
    """A DType from a DType, a name ("float32"), a numpy dtype or type, or Python's float/int/bool."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    if value is builtins.float:  # as tf.as_dtype(float)
        return float32
    if value is builtins.bool:
        return bool
    try:
        d = np.dtype(value)
    except TypeError:
        raise TypeError("Cannot convert %r to a tapegrad dtype" % (value,)) from None
    if d.byteorder == ">":
        d = d.newbyteorder("=")
    found = _BY_NUMPY.get(d)
    if found is None:
        raise TypeError("tapegrad has no dtype for %s: it supports float32, float64, int32, "
                        "int64 and bool (cast the data first)" % d)
    return found
