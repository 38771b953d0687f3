# SPDX-License-Identifier: Apache-2.0
"""Ops (tf.math, tf.nn, tf.linalg, shape ops): each calls one C function and returns a new
Tensor. Arguments may be Tensors, Variables (read, so the read is recorded on tapes), numpy
arrays or Python values; in binary ops a Python value takes the other operand's dtype, as in
TensorFlow (x * 2 with float32 x multiplies by a float32 2)."""
import builtins
import ctypes

import numpy as np

from . import dtypes as _dt
from ._core import Tensor, Variable, convert_to_tensor, int64_array, op_seed
from ._lib import call, handle_array, lib, out_handle, UNARY_OPS, BINARY_OPS

_range = builtins.range


def _t(x, hint=None):
    return convert_to_tensor(x, dtype_hint=hint)


def _pair(x, y):
    """Converts a binary op's operands, giving Python values the tensor operand's dtype."""
    xt = isinstance(x, (Tensor, Variable))
    yt = isinstance(y, (Tensor, Variable))
    if xt and not yt:
        x = _t(x)
        return x, _t(y, x.dtype)
    if yt and not xt:
        y = _t(y)
        return _t(x, y.dtype), y
    return _t(x), _t(y)


def _run(fn, *args):
    """Calls fn(*args, &out). Tensor arguments are passed as their handles; why here: `args`
    holds the Tensor objects until the call returns, so a temporary (a Variable's read, a
    converted Python value) cannot be collected, and its handle freed, before C uses it."""
    out = out_handle()
    call(fn, *[a._h if isinstance(a, Tensor) else a for a in args], ctypes.byref(out))
    return Tensor(out.value)


def _unary(c_name, doc):
    c_fn = "tg_" + c_name

    def op(x, name=None):
        return _run(getattr(lib, c_fn), _t(x))
    op.__name__ = c_name
    op.__doc__ = doc
    return op


def _binary(c_name, doc):
    c_fn = "tg_" + c_name

    def op(x, y, name=None):
        a, b = _pair(x, y)
        return _run(getattr(lib, c_fn), a.handle, b.handle)
    op.__name__ = c_name
    op.__doc__ = doc
    return op


_UNARY = {name: _unary(name, "Elementwise %s (tg_%s)." % (name, name)) for name in UNARY_OPS}
_BINARY = {name: _binary(name, "Elementwise %s with broadcasting (tg_%s)." % (name, name))
           for name in BINARY_OPS}

negative = _UNARY["neg"]
exp = _UNARY["exp"]
log = _UNARY["log"]
relu = _UNARY["relu"]
abs = _UNARY["abs"]  # noqa: A001
sign = _UNARY["sign"]
square = _UNARY["square"]
sqrt = _UNARY["sqrt"]
rsqrt = _UNARY["rsqrt"]
expm1 = _UNARY["expm1"]
log1p = _UNARY["log1p"]
sin = _UNARY["sin"]
cos = _UNARY["cos"]
tanh = _UNARY["tanh"]
sigmoid = _UNARY["sigmoid"]
softplus = _UNARY["softplus"]
relu6 = _UNARY["relu6"]
elu = _UNARY["elu"]
selu = _UNARY["selu"]
silu = _UNARY["silu"]
floor = _UNARY["floor"]
ceil = _UNARY["ceil"]
round = _UNARY["round"]  # noqa: A001
identity = _UNARY["identity"]
stop_gradient = _UNARY["stop_gradient"]
logical_not = _UNARY["logical_not"]

add = _BINARY["add"]
subtract = _BINARY["sub"]
multiply = _BINARY["mul"]
divide = _BINARY["div"]
truediv = divide
pow = _BINARY["pow"]  # noqa: A001
maximum = _BINARY["maximum"]
minimum = _BINARY["minimum"]
squared_difference = _BINARY["squared_difference"]
equal = _BINARY["equal"]
not_equal = _BINARY["not_equal"]
less = _BINARY["less"]
less_equal = _BINARY["less_equal"]
greater = _BINARY["greater"]
greater_equal = _BINARY["greater_equal"]
logical_and = _BINARY["logical_and"]
logical_or = _BINARY["logical_or"]


def leaky_relu(features, alpha=0.2, name=None):
    return _run(lib.tg_leaky_relu, _t(features), float(alpha))


def gelu(features, approximate=False, name=None):
    return _run(lib.tg_gelu, _t(features), 1 if approximate else 0)


swish = silu


def matmul(a, b, transpose_a=False, transpose_b=False, name=None):
    """tf.linalg.matmul for rank >= 2, with NumPy broadcasting of batch dims."""
    a, b = _pair(a, b)
    return _run(lib.tg_matmul, a.handle, b.handle, int(builtins.bool(transpose_a)),
                int(builtins.bool(transpose_b)))


def _axes(axis):
    if axis is None:
        return int64_array([])
    if isinstance(axis, (list, tuple, np.ndarray)):
        return int64_array(axis)
    return int64_array([int(axis)])


def _reduction(c_name):
    c_fn = "tg_reduce_" + c_name

    def op(input_tensor, axis=None, keepdims=False, name=None):
        x = _t(input_tensor)
        axes, n = _axes(axis)
        if axis is not None and n == 0:  # axis=[] reduces nothing
            return identity(x)
        return _run(getattr(lib, c_fn), x.handle, axes, n, int(builtins.bool(keepdims)))
    op.__name__ = "reduce_" + c_name
    op.__doc__ = "tf.math.reduce_%s: axis None reduces every axis." % c_name
    return op


reduce_sum = _reduction("sum")
reduce_mean = _reduction("mean")
reduce_max = _reduction("max")
reduce_min = _reduction("min")
reduce_prod = _reduction("prod")
reduce_logsumexp = _reduction("logsumexp")
reduce_variance = _reduction("variance")


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    return sqrt(reduce_variance(input_tensor, axis, keepdims))


def softmax(logits, axis=None, name=None):
    return _run(lib.tg_softmax, _t(logits), -1 if axis is None else int(axis))


def log_softmax(logits, axis=None, name=None):
    return _run(lib.tg_log_softmax, _t(logits), -1 if axis is None else int(axis))


def argmax(input, axis=None, output_type=_dt.int64, name=None):  # noqa: A002
    out = _run(lib.tg_argmax, _t(input), 0 if axis is None else int(axis))
    return out if _dt.as_dtype(output_type) is _dt.int64 else cast(out, output_type)


def argmin(input, axis=None, output_type=_dt.int64, name=None):  # noqa: A002
    out = _run(lib.tg_argmin, _t(input), 0 if axis is None else int(axis))
    return out if _dt.as_dtype(output_type) is _dt.int64 else cast(out, output_type)


def cast(x, dtype, name=None):
    return _run(lib.tg_cast, _t(x), _dt.as_dtype(dtype).enum)


def reshape(tensor, shape, name=None):
    dims, rank = int64_array(_shape_arg(shape))
    return _run(lib.tg_reshape, _t(tensor), dims, rank)


def _shape_arg(shape):
    if isinstance(shape, (Tensor, Variable)):
        shape = np.asarray(shape)
    return [int(d) for d in np.asarray(shape, dtype=np.int64).reshape(-1)]


def transpose(a, perm=None, conjugate=False, name=None):
    """tf.transpose (conjugate changes nothing: tapegrad's dtypes are real)."""
    if perm is None:
        return _run(lib.tg_transpose, _t(a), None, 0)
    dims, rank = int64_array(perm)
    return _run(lib.tg_transpose, _t(a), dims, rank)


def expand_dims(input, axis, name=None):  # noqa: A002
    return _run(lib.tg_expand_dims, _t(input), int(axis))


def squeeze(input, axis=None, name=None):  # noqa: A002
    axes, n = _axes(axis)
    return _run(lib.tg_squeeze, _t(input), axes, n)


def broadcast_to(input, shape, name=None):  # noqa: A002
    dims, rank = int64_array(_shape_arg(shape))
    return _run(lib.tg_broadcast_to, _t(input), dims, rank)


def _tensor_list(values):
    return [_t(v) for v in values]


def concat(values, axis, name=None):
    ts = _tensor_list(values)
    return _run(lib.tg_concat, handle_array([t.handle for t in ts]), len(ts), int(axis))


def stack(values, axis=0, name=None):
    ts = _tensor_list(values)
    return _run(lib.tg_stack, handle_array([t.handle for t in ts]), len(ts), int(axis))


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    x = _t(value)
    if isinstance(num_or_size_splits, (int, np.integer)):
        n, sizes = int(num_or_size_splits), None
    else:
        sizes_list = [int(s) for s in num_or_size_splits]
        n = len(sizes_list)
        sizes = int64_array(sizes_list)[0]
    if num is not None and int(num) != n:
        raise ValueError("split: num=%s does not match the %d outputs of num_or_size_splits"
                         % (num, n))
    outs = (ctypes.c_void_p * builtins.max(n, 1))()
    call(lib.tg_split, x.handle, sizes, n, int(axis), outs)
    return [Tensor(outs[i]) for i in _range(n)]


def slice(input_, begin, size, name=None):  # noqa: A001
    b, rank = int64_array(begin)
    s, _ = int64_array(size)
    return _run(lib.tg_slice, _t(input_), b, s, rank)


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    if str(mode).upper() != "CONSTANT":
        raise ValueError("pad: only mode='CONSTANT' is supported, got %r" % (mode,))
    p = np.asarray(paddings, dtype=np.int64)
    flat, _ = int64_array(p.reshape(-1))
    return _run(lib.tg_pad, _t(tensor), flat, p.shape[0] if p.ndim else 0,
                float(constant_values))


def gather(params, indices, axis=None, batch_dims=0, name=None):
    if batch_dims != 0:
        raise ValueError("gather: only batch_dims=0 is supported")
    idx = _t(indices)
    return _run(lib.tg_gather, _t(params), idx.handle, 0 if axis is None else int(axis))


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    dt = _dt.as_dtype(dtype) if dtype is not None else _dt.float32
    on = 1.0 if on_value is None else float(on_value)
    off = 0.0 if off_value is None else float(off_value)
    return _run(lib.tg_one_hot, _t(indices), int(depth), on, off,
                -1 if axis is None else int(axis), dt.enum)


def tile(input, multiples, name=None):  # noqa: A002
    m, rank = int64_array(_shape_arg(multiples))
    return _run(lib.tg_tile, _t(input), m, rank)


def where(condition, x=None, y=None, name=None):
    if x is None or y is None:
        raise ValueError("where: pass both x and y (the one-argument form is not supported)")
    x, y = _pair(x, y)
    return _run(lib.tg_where, _t(condition), x.handle, y.handle)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    t = _t(t)
    lo = _t(clip_value_min, t.dtype)
    hi = _t(clip_value_max, t.dtype)
    return _run(lib.tg_clip_by_value, t.handle, lo.handle, hi.handle)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    logits = _t(logits)
    return _run(lib.tg_softmax_cross_entropy_with_logits, _t(labels, logits.dtype),
                logits.handle, int(axis))


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    return _run(lib.tg_sparse_softmax_cross_entropy_with_logits, _t(labels),
                _t(logits))


# ---- creation -----------------------------------------------------------------------------------

def zeros(shape, dtype=_dt.float32, name=None):
    dims, rank = int64_array(_shape_arg(shape))
    return _run(lib.tg_zeros, _dt.as_dtype(dtype).enum, dims, rank)


def ones(shape, dtype=_dt.float32, name=None):
    dims, rank = int64_array(_shape_arg(shape))
    return _run(lib.tg_ones, _dt.as_dtype(dtype).enum, dims, rank)


def zeros_like(input, dtype=None, name=None):  # noqa: A002
    x = _t(input)
    return zeros(x.shape, dtype or x.dtype)


def ones_like(input, dtype=None, name=None):  # noqa: A002
    x = _t(input)
    return ones(x.shape, dtype or x.dtype)


def fill(dims, value, name=None):
    v = np.asarray(value)
    dt = _dt.as_dtype(v.dtype) if isinstance(value, (np.ndarray, np.generic)) else (
        _dt.float32 if v.dtype.kind == "f" else _dt.int32 if v.dtype.kind in "iu" else _dt.bool)
    d, rank = int64_array(_shape_arg(dims))
    return _run(lib.tg_tensor_fill, dt.enum, d, rank, float(v))


def range(start, limit=None, delta=1, dtype=None, name=None):  # noqa: A001
    if limit is None:
        start, limit = 0, start
    if dtype is None:
        floats = builtins.any(isinstance(v, float) for v in (start, limit, delta))
        dtype = _dt.float32 if floats else _dt.int32
    return _run(lib.tg_range, float(start), float(limit), float(delta), _dt.as_dtype(dtype).enum)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dt.float32, name=None):
    if batch_shape is not None:
        raise ValueError("eye: batch_shape is not supported")
    return _run(lib.tg_eye, int(num_rows), -1 if num_columns is None else int(num_columns),
                _dt.as_dtype(dtype).enum)


def _random(fn, shape, a, b, dtype, seed):
    dims, rank = int64_array(_shape_arg(shape))
    return _run(fn, _dt.as_dtype(dtype).enum, dims, rank, float(a), float(b), op_seed(seed))


def random_uniform(shape, minval=0, maxval=None, dtype=_dt.float32, seed=None, name=None):
    """tf.random.uniform (float dtypes): U[minval, maxval), maxval defaulting to 1."""
    return _random(lib.tg_random_uniform, shape, minval, 1.0 if maxval is None else maxval,
                   dtype, seed)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    return _random(lib.tg_random_normal, shape, mean, stddev, dtype, seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    return _random(lib.tg_random_truncated_normal, shape, mean, stddev, dtype, seed)


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, name=None):
    b, n = int64_array(begin)
    e, _ = int64_array(end)
    s, _ = int64_array(strides if strides is not None else [1] * n)
    return _run(lib.tg_strided_slice, _t(input_), b, e, s, n, begin_mask, end_mask,
                ellipsis_mask, new_axis_mask, shrink_axis_mask)


def strided_slice_from_key(x, key):
    """x[key] for ints, slices, Ellipsis and None (np.newaxis), as tf.Tensor.__getitem__."""
    if not isinstance(key, tuple):
        key = (key,)
    begin, end, strides = [], [], []
    begin_mask = end_mask = ellipsis_mask = new_axis_mask = shrink_axis_mask = 0
    for i, k in enumerate(key):
        bit = 1 << i
        if k is Ellipsis:
            ellipsis_mask |= bit
            begin.append(0), end.append(0), strides.append(1)
        elif k is None:
            new_axis_mask |= bit
            begin.append(0), end.append(0), strides.append(1)
        elif isinstance(k, builtins.slice):
            step = 1 if k.step is None else int(k.step)
            if k.start is None:
                begin_mask |= bit
            if k.stop is None:
                end_mask |= bit
            begin.append(0 if k.start is None else int(k.start))
            end.append(0 if k.stop is None else int(k.stop))
            strides.append(step)
        else:
            try:
                index = int(k.__index__()) if not isinstance(k, (Tensor, Variable)) else int(k)
            except (AttributeError, TypeError):
                raise TypeError("Only integers, slices (`:`), ellipsis (`...`) and None "
                                "(`tg.newaxis`) are valid indices, got %r" % (k,)) from None
            shrink_axis_mask |= bit
            begin.append(index), end.append(index + 1), strides.append(1)
    return strided_slice(x, begin, end, strides, begin_mask, end_mask, ellipsis_mask,
                         new_axis_mask, shrink_axis_mask)


# ---- operators on Tensor and Variable -------------------------------------------------------

def _install_operators(cls):
    def binary(op):
        return lambda self, other: op(self, other)

    def reflected(op):
        return lambda self, other: op(other, self)

    table = {"add": add, "sub": subtract, "mul": multiply, "truediv": divide,
             "matmul": matmul, "pow": pow}
    for name, op in table.items():
        setattr(cls, "__%s__" % name, binary(op))
        setattr(cls, "__r%s__" % name, reflected(op))
    cls.__neg__ = lambda self: negative(self)
    cls.__pos__ = lambda self: self if isinstance(self, Tensor) else self.read_value()
    cls.__abs__ = lambda self: abs(self)
    cls.__lt__ = binary(less)
    cls.__le__ = binary(less_equal)
    cls.__gt__ = binary(greater)
    cls.__ge__ = binary(greater_equal)
    # TF2: elementwise, except that comparing with None is False (!= None is True).
    cls.__eq__ = lambda self, other: False if other is None else equal(self, other)
    cls.__ne__ = lambda self, other: True if other is None else not_equal(self, other)
    cls.__and__ = binary(logical_and)
    cls.__or__ = binary(logical_or)
    cls.__invert__ = lambda self: logical_not(self)
    cls.__hash__ = None


_install_operators(Tensor)
_install_operators(Variable)
