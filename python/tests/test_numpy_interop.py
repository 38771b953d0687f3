# SPDX-License-Identifier: Apache-2.0
"""numpy without copies: tg.from_numpy wraps an array (kept alive while tensors use it),
tensor.numpy() is a read-only view (keeping the tensor alive); copies where documented."""
import gc
import weakref

import numpy as np
import pytest

import tapegrad as tg


def data_pointer(t):
    return t._data_pointer()


def test_from_numpy_shares_memory_and_keeps_the_array_alive():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = tg.from_numpy(a)
    assert data_pointer(t) == a.ctypes.data  # no copy
    alive = weakref.ref(a)
    del a
    gc.collect()
    assert alive() is not None  # the tensor keeps it alive
    r = tg.reshape(t, [12])  # shares the storage
    del t
    gc.collect()
    assert alive() is not None
    np.testing.assert_array_equal(r.numpy(), np.arange(12))
    del r
    gc.collect()
    assert alive() is None  # the deleter released it with the last tensor


def test_from_numpy_is_released_when_a_tape_holding_it_goes_first_or_last():
    for tape_first in (True, False):
        a = np.full((2, 2), 3.0)
        alive = weakref.ref(a)
        x = tg.from_numpy(a)
        del a
        with tg.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = x * x
        g = tape.gradient(y, x)
        np.testing.assert_array_equal(g.numpy(), np.full((2, 2), 6.0))
        objs = [tape, x, y, g] if tape_first else [g, y, x, tape]
        del tape, x, y, g
        while objs:
            objs.pop(0)
            gc.collect()
        assert alive() is None


def test_non_contiguous_input_is_copied():
    a = np.arange(12, dtype=np.float64).reshape(3, 4)[:, ::2]
    t = tg.from_numpy(a)
    np.testing.assert_array_equal(t.numpy(), a)
    assert data_pointer(t) != a.ctypes.data
    b = np.arange(6, dtype=">f4")  # other byte order: copied, values kept
    np.testing.assert_array_equal(tg.from_numpy(b).numpy(), np.arange(6))
    f = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(tg.from_numpy(f).numpy(), f)


def test_constant_copies():
    a = np.ones(3, np.float32)
    t = tg.constant(a)
    assert data_pointer(t) != a.ctypes.data
    a[0] = 5
    assert t.numpy()[0] == 1.0


def test_numpy_view_is_read_only_zero_copy_and_keeps_the_tensor_alive():
    t = tg.constant(np.arange(6, dtype=np.float64).reshape(2, 3))
    v = t.numpy()
    assert v.ctypes.data == data_pointer(t)
    assert not v.flags.writeable
    with pytest.raises(ValueError):
        v[0, 0] = 1
    alive = weakref.ref(t)
    del t
    gc.collect()
    assert alive() is not None  # the view holds the tensor
    np.testing.assert_array_equal(v, [[0, 1, 2], [3, 4, 5]])
    del v
    gc.collect()
    assert alive() is None
    assert np.asarray(tg.constant([1, 2])).tolist() == [1, 2]


def test_all_dtypes_round_trip():
    for dt in (np.float32, np.float64, np.int32, np.int64, np.bool_):
        a = (np.arange(6) % 2).astype(dt).reshape(2, 3)
        t = tg.from_numpy(a)
        assert t.dtype.as_numpy_dtype == a.dtype
        np.testing.assert_array_equal(t.numpy(), a)
    assert tg.from_numpy(np.zeros((0, 3), np.float32)).shape == (0, 3)
    assert tg.from_numpy(np.float64(2.0)).shape == ()
