# SPDX-License-Identifier: Apache-2.0
"""tg.custom_gradient with TensorFlow's contract, over the C library's custom ops. Expected
numbers are worked out by hand in the comments."""
import gc

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import _custom


@tg.custom_gradient
def clip_gradient(x):
    def grad(dy):
        return tg.clip_by_value(dy, -1.0, 1.0)
    return tg.identity(x), grad


@tg.custom_gradient
def ste_round(x):
    """round(x) forward, the identity backward: the straight-through estimator."""
    def grad(dy):
        return dy
    return tg.round(x), grad


@tg.custom_gradient
def cube(x):
    def grad(dy):
        return 3.0 * x * x * dy
    return x * x * x, grad


def test_clip_gradient_values():
    # y = clip_gradient(x) * [5, -0.5]: y = x * k, upstream k clipped to [1, -0.5].
    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = clip_gradient(x) * tg.constant([5.0, -0.5])
    np.testing.assert_array_equal(y.numpy(), [5.0, -1.0])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, -0.5])


def test_straight_through_differs_from_round():
    x = tg.constant([0.4, 1.6])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        a = ste_round(x)
        b = tg.round(x)
    np.testing.assert_array_equal(a.numpy(), [0.0, 2.0])
    np.testing.assert_array_equal(tape.gradient(a, x).numpy(), [1.0, 1.0])
    assert tape.gradient(b, x) is None  # round has no gradient: the forward's own op is not used


def test_second_and_third_order():
    # x³ at 2: 12, 6x = 12, 6.
    x = tg.constant(2.0, dtype=tg.float64)
    with tg.GradientTape() as t3:
        t3.watch(x)
        with tg.GradientTape() as t2:
            t2.watch(x)
            with tg.GradientTape() as t1:
                t1.watch(x)
                y = cube(x)
            g1 = t1.gradient(y, x)
        g2 = t2.gradient(g1, x)
    g3 = t3.gradient(g2, x)
    assert (float(y), float(g1), float(g2), float(g3)) == (8.0, 12.0, 12.0, 6.0)


def test_jacobian_and_batch_jacobian():
    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = cube(x)
    np.testing.assert_array_equal(tape.jacobian(y, x).numpy(), [[3.0, 0.0], [0.0, 12.0]])
    xb = tg.constant([[1.0, 2.0], [3.0, 4.0]])
    with tg.GradientTape() as tape:
        tape.watch(xb)
        yb = cube(xb)
    np.testing.assert_array_equal(tape.batch_jacobian(yb, xb).numpy(),
                                  [[[3.0, 0.0], [0.0, 12.0]], [[27.0, 0.0], [0.0, 48.0]]])


def test_several_inputs_and_outputs():
    @tg.custom_gradient
    def prod_and_sum(a, b):
        def grad(d_prod, d_sum):
            return d_prod * b + d_sum, d_prod * a + d_sum
        return (a * b, a + b), grad

    a, b = tg.constant(2.0), tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        p, s = prod_and_sum(a, b)
    assert (float(p), float(s)) == (6.0, 5.0)
    # only p reached: d_sum is zeros (TensorFlow fills unreached outputs with zeros)
    assert [float(g) for g in tape.gradient(p, [a, b])] == [3.0, 2.0]
    # p + s: (b + 1, a + 1)
    assert [float(g) for g in tape.gradient([p, s], [a, b])] == [4.0, 3.0]


def test_none_gradient_and_keyword_arguments():
    @tg.custom_gradient
    def scaled(x, y, factor=1.0):
        def grad(dy):
            return dy * factor, None
        return x * factor + y * 0.0, grad

    x, y = tg.constant(1.0), tg.constant(5.0)
    with tg.GradientTape() as tape:
        tape.watch([x, y])
        z = scaled(x, y, factor=3.0)
    gx, gy = tape.gradient(z, [x, y])
    assert float(z) == 3.0 and float(gx) == 3.0 and gy is None


def test_variables_keyword():
    v = tg.Variable(5.0, name="v")

    @tg.custom_gradient
    def scale_by_v(x):
        def grad(dy, variables):
            assert [u.name for u in variables] == ["v:0"]
            return dy * v, [dy * x * 10.0]  # a deliberately custom variable gradient
        return x * v, grad

    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = scale_by_v(x)
    assert [u.name for u in tape.watched_variables()] == ["v:0"]
    gx, gv = tape.gradient(y, [x, v])
    assert (float(y), float(gx), float(gv)) == (10.0, 5.0, 20.0)


def test_grad_fn_without_variables_keyword_raises_type_error():
    v = tg.Variable(5.0, name="w")

    @tg.custom_gradient
    def uses_v(x):
        return x * v, lambda dy: dy

    with pytest.raises(TypeError, match="must accept keyword argument 'variables'"):
        uses_v(tg.constant(1.0))


def test_exceptions_are_reraised_and_the_tape_stays_usable():
    class Boom(Exception):
        pass

    @tg.custom_gradient
    def fails_forward(x):
        raise Boom("forward failed")

    @tg.custom_gradient
    def fails_backward(x):
        def grad(dy):
            raise Boom("backward failed")
        return x * 2.0, grad

    x = tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with pytest.raises(Boom, match="forward failed") as info:
            fails_forward(x)
        assert "custom op 'fails_forward'" in str(info.value.__cause__)
        y = fails_backward(x)
        z = x * x
    with pytest.raises(Boom, match="backward failed") as info:
        tape.gradient(y, x)
    assert isinstance(info.value.__cause__, tg.errors.TapegradError)
    assert "[tg_tape_gradient_ex] custom op 'fails_backward': the backward callback" in str(info.value.__cause__)
    assert float(tape.gradient(z, x)) == 6.0


def test_wrong_number_of_gradients():
    @tg.custom_gradient
    def two_args(a, b):
        return a + b, lambda dy: dy  # one gradient for two inputs

    a, b = tg.constant(1.0), tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(a)
        y = two_args(a, b)
    with pytest.raises(ValueError, match="expected to return 2 gradients, but returned 1"):
        tape.gradient(y, a)


def test_wrong_gradient_shape_is_a_library_error():
    @tg.custom_gradient
    def bad_shape(x):
        return x * 1.0, lambda dy: tg.constant([1.0, 2.0, 3.0])

    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = bad_shape(x)
    with pytest.raises(tg.errors.InvalidArgumentError,
                       match=r"custom op 'bad_shape': the gradient for input 0 is float32 \(3\), but input 0 is "
                             r"float32 \(2\)"):
        tape.gradient(y, x)


def test_calls_and_ops_are_released():
    gc.collect()
    calls_before = len(_custom._calls)
    ops_before = len(_custom._ops)

    @tg.custom_gradient
    def temporary(x):
        return x * 2.0, lambda dy: dy * 2.0

    x = tg.constant(1.0)
    tape = tg.GradientTape(persistent=True)
    with tape:
        tape.watch(x)
        y = temporary(x)
    assert len(_custom._calls) == calls_before + 1  # the tape's record keeps the call
    del temporary
    gc.collect()
    assert len(_custom._ops) == ops_before + 1  # ... and the op
    assert float(tape.gradient(y, x)) == 2.0
    del tape
    gc.collect()
    assert len(_custom._calls) == calls_before and len(_custom._ops) == ops_before


def test_straight_through_estimator_trains_a_quantized_model():
    # pred = ste_round(w·x), loss = mean((pred - t)²) with x = [1, 2, 3], t = 2x, w = 0.3:
    # w·x = [0.3, 0.6, 0.9] rounds to [0, 1, 1], pred - t = [-2, -3, -5], loss = 38/3, and the
    # straight-through gradient is mean(2·(pred - t)·x) = (-4 - 12 - 30)/3 = -46/3.
    x = tg.constant([1.0, 2.0, 3.0])
    t = tg.constant([2.0, 4.0, 6.0])
    w = tg.Variable(0.3)
    optimizer = tg.optimizers.SGD(learning_rate=0.01)
    losses = []
    for step in range(30):
        with tg.GradientTape() as tape:
            loss = tg.reduce_mean(tg.square(ste_round(w * x) - t))
        (g,) = tape.gradient(loss, [w])
        if step == 0:
            assert float(loss) == pytest.approx(38.0 / 3.0)
            assert float(g) == pytest.approx(-46.0 / 3.0)
        optimizer.apply_gradients([(g, w)])
        losses.append(float(loss))
    assert losses[-1] == 0.0 < losses[0]
    assert float(w.read_value()) == pytest.approx(2.0, abs=0.2)


def test_clipped_gradient_trains_a_linear_model():
    # pred = clip_gradient(x·W + b), loss = sum((pred - t)²) with x = [[1, 2]], t = [[9]],
    # W = 0, b = 0: the upstream gradient 2·(0 - 9) = -18 is clipped to -1, so
    # dW = xᵀ·(-1) = [[-1], [-2]] and db = [-1] (unclipped they would be 18 times larger).
    x = tg.constant([[1.0, 2.0]])
    t = tg.constant([[9.0]])
    W = tg.Variable(np.zeros((2, 1), np.float32))
    b = tg.Variable(np.zeros((1,), np.float32))
    optimizer = tg.optimizers.SGD(learning_rate=0.5)
    losses = []
    for step in range(12):
        with tg.GradientTape() as tape:
            loss = tg.reduce_sum(tg.square(clip_gradient(tg.matmul(x, W) + b) - t))
        gW, gb = tape.gradient(loss, [W, b])
        if step == 0:
            np.testing.assert_array_equal(gW.numpy(), [[-1.0], [-2.0]])
            np.testing.assert_array_equal(gb.numpy(), [-1.0])
        optimizer.apply_gradients([(gW, W), (gb, b)])
        losses.append(float(loss))
    # each step moves pred by 0.5·(1 + 4 + 1) = 3 while the clipped gradient is -1: pred 0, 3, 6,
    # 9 = t, where the gradient is 0 and training stops moving.
    assert losses[:4] == pytest.approx([81.0, 36.0, 9.0, 0.0])
    assert losses[4:] == [0.0] * 8
