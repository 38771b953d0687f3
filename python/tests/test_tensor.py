# SPDX-License-Identifier: Apache-2.0
"""Tensors from Python: creation and dtypes, metadata, operators, indexing, errors."""
import numpy as np
import pytest

import tapegrad as tg


def test_version_matches_header_and_library():
    header = open(__file__.rsplit("/python/", 1)[0] + "/include/tapegrad/tapegrad.h").read()
    assert '#define TG_VERSION_STRING "%s"' % tg.__version__ in header
    assert tg.version() == tg.__version__


def test_constant_dtypes_follow_tensorflow():
    assert tg.constant(3.0).dtype == tg.float32
    assert tg.constant(3).dtype == tg.int32
    assert tg.constant(True).dtype == tg.bool
    assert tg.constant([1.5, 2.5]).dtype == tg.float32
    assert tg.constant(np.zeros(2)).dtype == tg.float64  # numpy keeps its dtype
    assert tg.constant(np.zeros(2, np.int64)).dtype == tg.int64
    assert tg.constant(1, dtype=tg.float64).dtype == "float64"
    assert tg.constant(3.0).shape == ()
    assert tg.constant(7.0, shape=(2, 3)).numpy().tolist() == [[7.0] * 3] * 2
    with pytest.raises(TypeError, match="int32"):
        tg.constant(2.5, dtype=tg.int32)
    with pytest.raises(TypeError, match="uint8"):
        tg.constant(np.zeros(3, np.uint8))


def test_metadata_and_numpy():
    t = tg.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert t.shape == (2, 3) and t.shape.as_list() == [2, 3] and t.ndim == 2 and len(t) == 2
    assert t.dtype is tg.float32
    np.testing.assert_array_equal(t.numpy(), [[0, 1, 2], [3, 4, 5]])
    s = tg.constant(6.0).numpy()
    assert isinstance(s, np.float32) and s == 6.0  # a numpy scalar for rank 0, as TF
    assert float(tg.constant(2.5)) == 2.5 and int(tg.constant(7)) == 7
    assert int(tg.constant(2**62, dtype=tg.int64)) == 2**62  # exact, not through a double
    assert repr(tg.constant(6.0)) == "<tg.Tensor: shape=(), dtype=float32, numpy=6.0>"
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tg.constant([1.0, 2.0]))
    assert bool(tg.constant(1.0))


def test_operators_with_tensors_and_python_scalars():
    a = tg.constant([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose((a + 1).numpy(), [[2, 3], [4, 5]])
    np.testing.assert_allclose((1 - a).numpy(), [[0, -1], [-2, -3]])
    np.testing.assert_allclose((a * a).numpy(), [[1, 4], [9, 16]])
    np.testing.assert_allclose((a / 2).numpy(), [[0.5, 1], [1.5, 2]])
    np.testing.assert_allclose((2 / a).numpy(), [[2, 1], [2 / 3, 0.5]], rtol=1e-6)
    np.testing.assert_allclose((a @ a).numpy(), [[7, 10], [15, 22]])
    np.testing.assert_allclose((-a).numpy(), [[-1, -2], [-3, -4]])
    np.testing.assert_allclose((a ** 2).numpy(), [[1, 4], [9, 16]])
    assert (a * 2).dtype == tg.float32  # the scalar takes the tensor's dtype
    assert (tg.constant([1, 2]) * 3).numpy().tolist() == [3, 6]
    assert (a > 2).numpy().tolist() == [[False, False], [True, True]]
    assert (a == 2.0).numpy().tolist() == [[False, True], [False, False]]
    assert (a == None) is False and (a != None) is True  # noqa: E711
    with pytest.raises(TypeError, match="unhashable"):
        hash(a)
    assert {a.ref(): 1}[a.ref()] == 1
    # numpy on the left defers to the tensor
    r = np.ones((2, 2), np.float32) + a
    assert isinstance(r, tg.Tensor)


def test_indexing():
    t = tg.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for key in [0, -1, (1, 2), (slice(None), 1), (Ellipsis, 1), (0, slice(1, None)),
                (slice(None, None, -1),), (None, 0), (slice(None), None, slice(0, 3, 2))]:
        np.testing.assert_array_equal(t[key].numpy(), x[key], err_msg=str(key))
    assert [row.shape for row in t] == [(3, 4), (3, 4)]
    with pytest.raises(TypeError, match="valid indices"):
        t["a"]


def test_ops_against_numpy():
    x = np.array([[0.5, -1.5, 2.0], [1.0, 3.0, -0.25]], np.float64)
    t = tg.constant(x)
    np.testing.assert_allclose(tg.exp(t).numpy(), np.exp(x))
    np.testing.assert_allclose(tg.nn.relu(t).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(tg.reduce_sum(t, axis=1).numpy(), x.sum(1))
    np.testing.assert_allclose(tg.reduce_mean(t).numpy(), x.mean())
    np.testing.assert_allclose(tg.reduce_max(t, axis=0, keepdims=True).numpy(),
                               x.max(0, keepdims=True))
    sm = np.exp(x - x.max(-1, keepdims=True))
    np.testing.assert_allclose(tg.nn.softmax(t).numpy(), sm / sm.sum(-1, keepdims=True))
    np.testing.assert_allclose(tg.transpose(t).numpy(), x.T)
    np.testing.assert_allclose(tg.reshape(t, [3, -1]).numpy(), x.reshape(3, -1))
    assert tg.argmax(t, axis=1).numpy().tolist() == [2, 1]
    np.testing.assert_allclose(tg.concat([t, t], 0).numpy(), np.concatenate([x, x]))
    np.testing.assert_allclose(tg.stack([t, t], 1).numpy(), np.stack([x, x], 1))
    a, b = tg.split(t, [1, 2], axis=1)
    np.testing.assert_allclose(b.numpy(), x[:, 1:])
    np.testing.assert_allclose(tg.where(t > 0, t, tg.zeros_like(t)).numpy(), np.where(x > 0, x, 0))
    np.testing.assert_allclose(tg.clip_by_value(t, -1.0, 1.0).numpy(), np.clip(x, -1, 1))
    np.testing.assert_array_equal(tg.one_hot(tg.constant([0, 2]), 3).numpy(), np.eye(3)[[0, 2]])
    np.testing.assert_array_equal(tg.range(5).numpy(), np.arange(5))
    np.testing.assert_array_equal(tg.eye(2, 3).numpy(), np.eye(2, 3))
    np.testing.assert_allclose(tg.gather(t, [1, 0]).numpy(), x[[1, 0]])
    np.testing.assert_allclose(tg.pad(t, [[1, 0], [0, 2]]).numpy(), np.pad(x, [[1, 0], [0, 2]]))
    np.testing.assert_allclose(tg.tile(t, [1, 2]).numpy(), np.tile(x, [1, 2]))
    assert tg.cast(t, tg.int32).numpy().tolist() == [[0, -1, 2], [1, 3, 0]]


def test_random_is_seeded():
    tg.random.set_seed(7)
    a = tg.random.uniform((3, 4)).numpy()
    tg.random.set_seed(7)
    b = tg.random.uniform((3, 4)).numpy()
    np.testing.assert_array_equal(a, b)
    assert np.all((a >= 0) & (a < 1))
    np.testing.assert_array_equal(tg.random.normal((5,), seed=3).numpy(),
                                  tg.random.normal((5,), seed=3).numpy())


def test_errors_are_exceptions_with_the_library_message():
    with pytest.raises(tg.errors.InvalidArgumentError) as info:
        tg.matmul(tg.ones((2, 3)), tg.ones((2, 3)))
    e = info.value
    assert "[tg_matmul]" in str(e) and "(2,3) x (2,3)" in str(e)
    assert isinstance(e, ValueError) and e.status == 1 and e.status_name == "TG_INVALID_ARGUMENT"
    with pytest.raises(ValueError, match=r"\[tg_add\].*\(2,3\).*\(4,5\)"):
        tg.ones((2, 3)) + tg.ones((4, 5))
    with pytest.raises(tg.errors.InvalidArgumentError, match="float"):
        tg.sqrt(tg.constant([1, 2]))
    # A freed handle is an exception too, never a crash.
    t = tg.constant(1.0)
    h = t.handle
    del t
    with pytest.raises(tg.errors.InvalidHandleError, match="tg_tensor_item"):
        tg.Tensor(h)._item()


def test_threads_setting():
    tg.set_num_threads(1)
    assert tg.get_num_threads() == 1
