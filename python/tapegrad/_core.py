# SPDX-License-Identifier: Apache-2.0
"""Tensor and Variable: Python objects that own one C handle each, freed when they are
collected (in any order: the C library reference-counts what handles share).

numpy interop:
  - tg.constant(value) copies (later changes to a numpy array do not reach the tensor, as in
    TensorFlow);
  - tg.from_numpy(array) wraps a C-contiguous, aligned array of a supported dtype without
    copying, keeping the array alive until the last tensor using the memory is freed; the
    array must not be modified meanwhile (tensors are immutable values). Other arrays
    (non-contiguous, other byte order, misaligned) are copied first;
  - tensor.numpy() returns a read-only view of the tensor's buffer that keeps the tensor
    alive (a numpy scalar for a rank-0 tensor, as TensorFlow's .numpy()).
"""
import ctypes
import itertools
import os
import threading

import numpy as np

from . import dtypes as _dt
from ._lib import call, int64_array, lib, out_handle, immortal

c_void_p = ctypes.c_void_p
MAX_RANK = 8


# ---- nested structures (tf.nest for lists, tuples and dicts) -----------------------------------

def flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def pack_sequence_as(structure, flat):
    flat = list(flat)
    pos = [0]

    def build(s):
        if isinstance(s, (list, tuple)):
            items = [build(item) for item in s]
            if isinstance(s, tuple) and hasattr(s, "_fields"):  # namedtuple
                return type(s)(*items)
            return type(s)(items) if isinstance(s, tuple) else items
        if isinstance(s, dict):
            return {key: build(s[key]) for key in sorted(s)}
        value = flat[pos[0]]
        pos[0] += 1
        return value

    return build(structure)


# ---- seeds (tf.random.set_seed) --------------------------------------------------------------

class _Seeds:
    """Op seeds: derived from the global seed (tg.random.set_seed) and a counter, so a program
    that sets the seed draws the same numbers on every run; without it, from os.urandom."""

    def __init__(self):
        self.lock = threading.Lock()
        self.set(None)

    def set(self, seed):
        with self.lock:
            self.global_seed = (int.from_bytes(os.urandom(8), "little") if seed is None
                                else int(seed) & 0xFFFFFFFFFFFFFFFF)
            self.counter = 0

    def next(self):
        with self.lock:
            self.counter += 1
            return _splitmix64(self.global_seed + 0x9E3779B97F4A7C15 * self.counter)


def _splitmix64(x):
    x &= 0xFFFFFFFFFFFFFFFF
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


seeds = _Seeds()


def op_seed(seed):
    return seeds.next() if seed is None else int(seed) & 0xFFFFFFFFFFFFFFFF


# ---- names (Keras's automatic layer and model names) -------------------------------------------

class _Names:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def unique(self, base):
        with self.lock:
            n = self.counts.get(base, 0)
            self.counts[base] = n + 1
            return base if n == 0 else "%s_%d" % (base, n)

    def reset(self):
        with self.lock:
            self.counts.clear()


names = _Names()


# ---- zero-copy wrapping of numpy arrays ----------------------------------------------------------

def _make_release():
    keep = {}  # context key -> the numpy array whose memory a tensor uses
    counter = itertools.count(1)

    @ctypes.CFUNCTYPE(None, c_void_p, c_void_p)
    def release(data, context):  # tg_deleter: runs once, when no tensor uses the memory
        keep.pop(context, None)

    return immortal(release), keep, counter


_release, _wrapped_arrays, _wrap_keys = _make_release()


class _ArrayView:
    """Exposes a tensor's buffer to numpy through the array interface, read-only, keeping the
    tensor alive as long as any numpy view of it exists."""
    __slots__ = ("__array_interface__", "tensor")

    def __init__(self, tensor, pointer, shape, dtype):
        self.tensor = tensor
        self.__array_interface__ = {
            "version": 3, "shape": shape, "typestr": dtype.as_numpy_dtype.str,
            "data": (pointer, True),  # True: read-only
        }


# ---- Tensor ---------------------------------------------------------------------------------

class TensorShape(tuple):
    """A tensor's shape: a tuple of ints with TensorFlow's as_list() and rank."""

    def as_list(self):
        return list(self)

    @property
    def rank(self):
        return len(self)

    @property
    def ndims(self):
        return len(self)

    def num_elements(self):
        return int(np.prod(self, dtype=np.int64))

    def __repr__(self):
        return "TensorShape(%s)" % list(self)


class Tensor:
    """An immutable n-dimensional array owned by the C library (tf.Tensor)."""

    __slots__ = ("_h", "_shape", "_dtype", "__weakref__")
    __array_priority__ = 100  # numpy defers to our operators: ndarray + Tensor -> Tensor

    def __init__(self, handle):
        """Takes ownership of a tg_tensor* (an int). Use tg.constant etc. to make tensors."""
        self._h = handle
        self._shape = None
        self._dtype = None

    def __del__(self, _free=lib.tg_tensor_free):
        h = getattr(self, "_h", None)
        if h:
            self._h = None
            _free(h)

    @property
    def handle(self):
        return self._h

    @property
    def dtype(self):
        if self._dtype is None:
            out = ctypes.c_int()
            call(lib.tg_tensor_dtype, self._h, ctypes.byref(out))
            self._dtype = _dt.from_enum(out.value)
        return self._dtype

    @property
    def shape(self):
        if self._shape is None:
            rank = ctypes.c_int()
            call(lib.tg_tensor_rank, self._h, ctypes.byref(rank))
            dims = (ctypes.c_int64 * MAX_RANK)()
            call(lib.tg_tensor_shape, self._h, dims, MAX_RANK)
            self._shape = TensorShape(dims[:rank.value])
        return self._shape

    @property
    def ndim(self):
        return len(self.shape)

    def get_shape(self):
        return self.shape

    @property
    def device(self):
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    def _data_pointer(self):
        p = c_void_p()
        call(lib.tg_tensor_data, self._h, ctypes.byref(p))
        return p.value

    def _view(self):
        shape, dtype = self.shape, self.dtype
        if shape.num_elements() == 0:
            a = np.empty(shape, dtype.as_numpy_dtype)
            a.flags.writeable = False
            return a
        return np.asarray(_ArrayView(self, self._data_pointer(), tuple(shape), dtype))

    def numpy(self):
        """The values as numpy: a read-only view of this tensor's buffer (no copy) that keeps
        the tensor alive; for a rank-0 tensor a numpy scalar, as TensorFlow returns."""
        a = self._view()
        return a[()] if a.ndim == 0 else a

    def __array__(self, dtype=None):
        a = self._view()
        return a if dtype is None else a.astype(dtype)

    def ref(self):
        return _Ref(self)

    # -- DLPack --
    def __dlpack__(self, stream=None):
        from . import _dlpack
        if stream is not None and stream != -1:
            raise BufferError("tapegrad tensors live on the CPU: stream must be None")
        return _dlpack.to_capsule(self)

    def __dlpack_device__(self):
        return (1, 0)  # (kDLCPU, 0)

    # -- Python protocol --
    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object: the tensor is a scalar")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("Cannot iterate over a scalar tensor.")
        for i in range(self.shape[0]):
            yield self[i]

    def __bool__(self):
        if self.shape.num_elements() != 1:
            raise ValueError("The truth value of an array with more than one element is "
                             "ambiguous. Use a.any() or a.all()")
        return builtin_bool(self._item())

    def _item(self):
        out = ctypes.c_double()
        call(lib.tg_tensor_item, self._h, ctypes.byref(out))
        return out.value

    def __float__(self):
        return float(self._item())

    def __int__(self):
        if self.shape.num_elements() != 1:
            self._item()  # raises the library's error
        return int(self._view().reshape(-1)[0])  # exact for int64, unlike a double

    def __index__(self):
        if not self.dtype.is_integer or self.shape:
            raise TypeError("only integer scalar tensors can be converted to an index")
        return int(self)

    __hash__ = None  # TF2: tensors compare elementwise, so they are unhashable; use .ref()

    def __repr__(self):
        return "<tg.Tensor: shape=%s, dtype=%s, numpy=%s>" % (
            tuple(self.shape), self.dtype.name, _numpy_repr(self._view()))

    def __str__(self):
        return "tg.Tensor(%s, shape=%s, dtype=%s)" % (self._view(), tuple(self.shape),
                                                      self.dtype.name)

    def __getitem__(self, key):
        from ._ops import strided_slice_from_key
        return strided_slice_from_key(self, key)

    def __reduce__(self):
        return (constant, (np.array(self._view()),))


builtin_bool = bool


def _numpy_repr(a):
    """TensorFlow's numpy=... part of a repr: 6.0 for a scalar, array([...], dtype=...) else."""
    return repr(a[()]) if a.ndim == 0 else repr(a)


class _Ref:
    """A hashable reference to a tensor or variable (TF's tensor.ref())."""
    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        return self._obj

    def __hash__(self):
        return id(self._obj)

    def __eq__(self, other):
        return isinstance(other, _Ref) and other._obj is self._obj


# ---- conversion -------------------------------------------------------------------------------

def _default_dtype(array):
    """TensorFlow's dtypes for Python values: float -> float32, int -> int32, bool -> bool."""
    if array.dtype.kind == "f":
        return _dt.float32
    if array.dtype.kind in "iu":
        return _dt.int32
    if array.dtype.kind == "b":
        return _dt.bool
    raise TypeError("Cannot convert a value of dtype %s to a tensor" % array.dtype)


def contiguous(array, np_dtype=None):
    """array as a C-contiguous, aligned, native-order array (copied only if needed; unlike
    np.ascontiguousarray, a 0-d array stays 0-d)."""
    return np.require(array, dtype=np_dtype, requirements=["C", "A"])


def _tensor_from_array(array, dtype):
    """Copies a numpy array into a new tensor of `dtype`."""
    array = contiguous(array, dtype.as_numpy_dtype)
    if array.ndim > MAX_RANK:
        raise ValueError("tapegrad tensors have rank at most %d, got shape %s"
                         % (MAX_RANK, array.shape))
    dims, rank = int64_array(array.shape)
    out = out_handle()
    call(lib.tg_tensor_create, dtype.enum, dims, rank,
         array.ctypes.data if array.size else None, ctypes.byref(out))
    return Tensor(out.value)


def _check_cast(value, array, dtype):
    if dtype.is_integer and array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.trunc(array)):
            raise TypeError("Cannot convert %r to EagerTensor of dtype %s" % (value, dtype.name))
    if dtype.is_bool and array.dtype.kind != "b":
        raise TypeError("Cannot convert %r to EagerTensor of dtype bool" % (value,))


def constant(value, dtype=None, shape=None, name=None):
    """A new tensor holding a copy of `value` (tf.constant): a Tensor, Variable, numpy array,
    Python number or nested list. dtype=None keeps a numpy array's dtype, and gives float32
    for Python floats, int32 for Python ints, bool for bools; shape reshapes (or fills, for a
    scalar value)."""
    if isinstance(value, Variable):
        value = value.read_value()
    if isinstance(value, Tensor):
        t = value if dtype is None else cast(value, dtype)
        return t if shape is None else reshape_to(t, shape)
    array = np.asarray(value)
    target = _dt.as_dtype(dtype) if dtype is not None else (
        _dt.as_dtype(array.dtype) if isinstance(value, (np.ndarray, np.generic))
        else _default_dtype(array))
    if not isinstance(value, (np.ndarray, np.generic)):
        _check_cast(value, array, target)
    if shape is not None:
        shape = tuple(int(d) for d in shape)
        array = np.broadcast_to(array, shape) if array.size == 1 else array.reshape(shape)
    return _tensor_from_array(array, target)


def from_numpy(array):
    """A tensor over `array`'s memory, without copying when the array is C-contiguous, aligned,
    in native byte order and of a supported dtype (float32/64, int32/64, bool); otherwise over
    a contiguous copy. The array is kept alive until the last tensor using the memory is
    freed, and must not be modified meanwhile: tensors are immutable values."""
    if not isinstance(array, np.ndarray):
        array = np.asarray(array)
    dtype = _dt.as_dtype(array.dtype)
    if not (array.flags.c_contiguous and array.flags.aligned and array.dtype.isnative):
        array = contiguous(array, dtype.as_numpy_dtype)
    if array.ndim > MAX_RANK:
        raise ValueError("tapegrad tensors have rank at most %d, got shape %s"
                         % (MAX_RANK, array.shape))
    if array.size == 0:
        return _tensor_from_array(array, dtype)
    dims, rank = int64_array(array.shape)
    key = next(_wrap_keys)
    _wrapped_arrays[key] = array
    out = out_handle()
    try:
        call(lib.tg_tensor_wrap, dtype.enum, dims, rank, array.ctypes.data, _release,
             c_void_p(key), ctypes.byref(out))
    except BaseException:
        _wrapped_arrays.pop(key, None)  # on error the deleter is not called
        raise
    return Tensor(out.value)


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """tf.convert_to_tensor: Tensors pass through (a dtype must match), Variables are read,
    other values become constants. dtype_hint: the dtype numpy arrays and Python values take
    when they convert to it (see _converts_to), as the other operand's dtype in TensorFlow's
    binary ops."""
    if isinstance(value, Tensor):
        if dtype is not None and _dt.as_dtype(dtype) is not value.dtype:
            raise ValueError("Tensor conversion requested dtype %s for Tensor with dtype %s"
                             % (_dt.as_dtype(dtype).name, value.dtype.name))
        return value
    if isinstance(value, Variable):
        t = value.read_value()
        if dtype is not None and _dt.as_dtype(dtype) is not t.dtype:
            raise ValueError("Tensor conversion requested dtype %s for Variable with dtype %s"
                             % (_dt.as_dtype(dtype).name, t.dtype.name))
        return t
    if dtype is None and dtype_hint is not None:
        hint = _dt.as_dtype(dtype_hint)
        array = np.asarray(value)
        if _converts_to(array, hint):
            return constant(array, hint)
    return constant(value, dtype)


def _converts_to(array, dtype):
    """Whether TensorFlow converts these values (a numpy array or Python values) to `dtype` when
    they meet a tensor of that dtype (float32_tensor + np.ones(3) is float32): numbers to a
    floating dtype; integers, and floats holding whole numbers, to an integer dtype; bools to
    bool."""
    kind = array.dtype.kind
    if dtype.is_bool:
        return kind == "b"
    if kind not in "fiu":
        return False
    if dtype.is_floating or kind in "iu":
        return True
    return bool(np.all(np.isfinite(array)) and np.all(array == np.trunc(array)))


def cast(x, dtype):
    from ._ops import cast as _cast
    return _cast(x, dtype)


def reshape_to(x, shape):
    from ._ops import reshape
    return reshape(x, shape)


# ---- Variable -----------------------------------------------------------------------------------

class Variable:
    """A named, mutable tensor (tf.Variable). Reading it inside a recording tape watches it if
    it is trainable, so gradients reach it. Using it in an op reads it."""

    __array_priority__ = 100

    def __init__(self, initial_value=None, trainable=True, name=None, dtype=None, shape=None,
                 _handle=None):
        if _handle is not None:
            self._h = _handle
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        value = convert_to_tensor(initial_value) if dtype is None else constant(initial_value, dtype)
        if shape is not None and tuple(shape) != tuple(value.shape):
            raise ValueError("shape %s does not match the initial value's shape %s"
                             % (tuple(shape), tuple(value.shape)))
        full = "Variable:0" if name is None else (name if ":" in name else name + ":0")
        out = out_handle()
        call(lib.tg_variable_create, full.encode(), value.handle, 1 if trainable else 0,
             ctypes.byref(out))
        self._h = out.value

    def __del__(self, _free=lib.tg_variable_free):
        h = getattr(self, "_h", None)
        if h:
            self._h = None
            _free(h)

    @classmethod
    def _from_handle(cls, handle):
        return cls(_handle=handle)

    @property
    def handle(self):
        return self._h

    def read_value(self):
        out = out_handle()
        call(lib.tg_variable_read, self._h, ctypes.byref(out))
        return Tensor(out.value)

    value = read_value

    def assign(self, value, read_value=True):
        """Assigns `value` (converted to the variable's dtype); returns the variable, or None
        with read_value=False, as TensorFlow's eager assign does."""
        t = convert_to_tensor(value, dtype_hint=self.dtype)
        call(lib.tg_variable_assign, self._h, t.handle)
        return self if read_value else None

    def assign_add(self, delta, read_value=True):
        return self.assign(self.read_value() + delta, read_value)

    def assign_sub(self, delta, read_value=True):
        return self.assign(self.read_value() - delta, read_value)

    def numpy(self):
        return self.read_value().numpy()

    def __array__(self, dtype=None):
        return self.read_value().__array__(dtype)

    @property
    def name(self):
        out = ctypes.c_char_p()
        call(lib.tg_variable_name, self._h, ctypes.byref(out))
        return out.value.decode()

    @property
    def trainable(self):
        out = ctypes.c_int()
        call(lib.tg_variable_trainable, self._h, ctypes.byref(out))
        return bool(out.value)

    @property
    def dtype(self):
        out = ctypes.c_int()
        call(lib.tg_variable_dtype, self._h, ctypes.byref(out))
        return _dt.from_enum(out.value)

    @property
    def shape(self):
        rank = ctypes.c_int()
        call(lib.tg_variable_rank, self._h, ctypes.byref(rank))
        dims = (ctypes.c_int64 * MAX_RANK)()
        call(lib.tg_variable_shape, self._h, dims, MAX_RANK)
        return TensorShape(dims[:rank.value])

    @property
    def ndim(self):
        return len(self.shape)

    def ref(self):
        return _Ref(self)

    __hash__ = None

    def __repr__(self):
        return "<tg.Variable '%s' shape=%s dtype=%s, numpy=%s>" % (
            self.name, tuple(self.shape), self.dtype.name, _numpy_repr(self.read_value()._view()))

    def __len__(self):
        return len(self.read_value())

    def __getitem__(self, key):
        return self.read_value()[key]

    def __float__(self):
        return float(self.read_value())

    def __int__(self):
        return int(self.read_value())

    def __bool__(self):
        return bool(self.read_value())

    def __dlpack__(self, stream=None):
        return self.read_value().__dlpack__(stream)

    def __dlpack_device__(self):
        return (1, 0)


def is_tensor_like(x):
    return isinstance(x, (Tensor, Variable))
