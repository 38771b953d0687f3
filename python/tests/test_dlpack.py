# SPDX-License-Identifier: Apache-2.0
"""DLPack: tensors export with __dlpack__ / __dlpack_device__ and import any producer with
tg.from_dlpack, sharing memory (checked by data pointers and by writing through the producer's
buffer). numpy always; PyTorch where Debian's python3-torch is installed."""
import gc
import weakref

import numpy as np
import pytest

import tapegrad as tg


def pointer(t):
    return t._data_pointer()


def test_numpy_consumes_a_tapegrad_tensor_without_copying():
    t = tg.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert t.__dlpack_device__() == (1, 0)
    a = np.from_dlpack(t)
    assert a.ctypes.data == pointer(t)
    np.testing.assert_array_equal(a, [[0, 1, 2], [3, 4, 5]])
    alive = weakref.ref(t)
    del t
    gc.collect()
    assert alive() is None  # numpy holds the buffer, not the Python tensor
    np.testing.assert_array_equal(a, [[0, 1, 2], [3, 4, 5]])  # still valid after the free
    for dt in (np.float64, np.int32, np.int64):
        x = tg.constant(np.arange(4).astype(dt))
        assert np.from_dlpack(x).dtype == dt


def test_tapegrad_consumes_numpy_without_copying():
    a = np.arange(12, dtype=np.float64).reshape(3, 4)
    t = tg.from_dlpack(a)
    assert pointer(t) == a.ctypes.data
    a[0, 0] = 42.0  # writing through the producer's buffer shows the memory is shared
    assert t.numpy()[0, 0] == 42.0
    alive = weakref.ref(a)
    del a
    gc.collect()
    assert alive() is not None  # the producer's deleter has not run yet
    del t
    gc.collect()
    assert alive() is None  # ... and ran with the last tensor (with the GIL, via the proxy)


def test_round_trip_and_capsules():
    t = tg.constant([[1.0, 2.0]])
    back = tg.from_dlpack(t)  # tapegrad to tapegrad
    assert pointer(back) == pointer(t)
    capsule = tg.experimental.dlpack.to_dlpack(t)
    u = tg.experimental.dlpack.from_dlpack(capsule)
    assert pointer(u) == pointer(t)
    with pytest.raises(ValueError):
        tg.from_dlpack(capsule)  # a capsule is consumed once
    unused = t.__dlpack__()
    del unused  # never consumed: its destructor calls the deleter
    gc.collect()
    assert tg.from_dlpack(tg.constant([True, False])).numpy().tolist() == [True, False]
    try:  # numpy < 1.25 cannot export bool arrays (DLPack 0.6 had no bool code)
        capsule = np.array([True, False]).__dlpack__()
    except BufferError:
        return
    assert tg.from_dlpack(capsule).numpy().tolist() == [True, False]


def test_strided_producers_are_copied_and_bad_dtypes_rejected():
    a = np.arange(12, dtype=np.float32).reshape(3, 4).T
    t = tg.from_dlpack(a)
    np.testing.assert_array_equal(t.numpy(), a)
    assert pointer(t) != a.ctypes.data
    with pytest.raises((tg.errors.InvalidArgumentError, TypeError, BufferError),
                       match="dtype"):
        tg.from_dlpack(np.zeros(3, np.int8))
    with pytest.raises(TypeError, match="__dlpack__"):
        tg.from_dlpack([1, 2, 3])


def test_torch_both_ways():
    torch = pytest.importorskip("torch", reason="Debian's python3-torch is not installed")
    x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    t = tg.from_dlpack(x)
    assert pointer(t) == x.data_ptr()
    x[0, 0] = 7.0
    assert t.numpy()[0, 0] == 7.0
    y = torch.from_dlpack(tg.constant([[1.0, 2.0], [3.0, 4.0]]))
    assert y.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    z = tg.constant(np.ones((2, 2), np.float64))
    assert torch.from_dlpack(z).data_ptr() == pointer(z)
    strided = torch.arange(6.0).reshape(2, 3).t()
    np.testing.assert_array_equal(tg.from_dlpack(strided).numpy(), strided.numpy())
