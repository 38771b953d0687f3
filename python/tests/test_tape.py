# SPDX-License-Identifier: Apache-2.0
"""tg.GradientTape with TensorFlow's semantics (docs/gradient-tape.md), through Python."""
import numpy as np
import pytest

import tapegrad as tg


def test_seed_cell_gradient_inside_the_block():
    x = tg.constant(3.0)
    with tg.GradientTape() as g:
        g.watch(x)
        y = x * x
        dy_dx = g.gradient(y, x)  # inside the block, as the notebook does
    assert isinstance(dy_dx, tg.Tensor) and float(dy_dx) == 6.0


def test_structure_of_sources_is_kept():
    x = tg.constant(2.0)
    v = tg.Variable(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * v
    assert float(tape.gradient(y, x)) == 3.0
    gx, gv = tape.gradient(y, [x, v])
    assert (float(gx), float(gv)) == (3.0, 2.0)
    d = tape.gradient(y, {"a": x, "b": (v,)})
    assert float(d["a"]) == 3.0 and float(d["b"][0]) == 2.0
    assert tape.gradient([y, y], x).numpy() == 6.0  # targets are summed


def test_unconnected_is_none_or_zero():
    x = tg.constant([1.0, 2.0])
    z = tg.constant([[1.0, 1.0], [1.0, 1.0]])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = x * 2
    assert tape.gradient(y, z) is None
    zero = tape.gradient(y, z, unconnected_gradients="zero")
    assert zero.numpy().tolist() == [[0, 0], [0, 0]]
    zero = tape.gradient(y, [z], unconnected_gradients=tg.UnconnectedGradients.ZERO)[0]
    assert zero.shape == (2, 2)
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients: 'nonsense'"):
        tape.gradient(y, x, unconnected_gradients="nonsense")


def test_non_persistent_tape_gives_one_set_of_gradients():
    x = tg.constant(3.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(y, x)
    with pytest.raises(tg.errors.InvalidStateError, match=r"\[tg_tape_gradient"):
        tape.gradient(y, x)


def test_persistent_tape_and_higher_order():
    x = tg.Variable(3.0)
    with tg.GradientTape(persistent=True) as t:
        y = x * x * x
        dy = t.gradient(y, x)
        d2y = t.gradient(dy, x)
    d3y = t.gradient(d2y, x)
    assert (float(dy), float(d2y), float(d3y)) == (27.0, 18.0, 6.0)
    with tg.GradientTape() as outer:
        with tg.GradientTape() as inner:
            y = x * x * x
        dy = inner.gradient(y, x)
    assert float(outer.gradient(dy, x)) == 18.0


def test_watch_accessed_variables_and_trainable():
    v = tg.Variable(2.0)
    frozen = tg.Variable(2.0, trainable=False)
    with tg.GradientTape(persistent=True) as tape:
        y = v * frozen
    assert float(tape.gradient(y, v)) == 2.0
    assert tape.gradient(y, frozen) is None
    assert [w.name for w in tape.watched_variables()] == ["Variable:0"]
    with tg.GradientTape(watch_accessed_variables=False) as tape:
        y = v * v
    assert tape.gradient(y, v) is None
    with tg.GradientTape() as tape:
        tape.watch(frozen)
        y = frozen * frozen
    assert float(tape.gradient(y, frozen)) == 4.0


def test_reenter_stop_recording_reset():
    x = tg.constant(1.0)
    tape = tg.GradientTape(persistent=True)
    with tape:
        tape.watch(x)
        y = 2 * x
    with tape:
        z = 2 * y
    assert float(tape.gradient(z, x)) == 4.0
    with tape:
        with pytest.raises(ValueError, match="Tape is still recording"):
            tape.__enter__()
        with tape.stop_recording():
            w = z * z
        assert tape.gradient(w, x) is None
    v = tg.Variable(1.0)
    with tg.GradientTape() as tape:
        loss = v * v
        tape.reset()
        loss += v * v
    assert float(tape.gradient(loss, v)) == 2.0


def test_jacobian_and_batch_jacobian():
    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as g:
        g.watch(x)
        y = x * x
    assert g.jacobian(y, x).numpy().tolist() == [[2, 0], [0, 4]]
    x = tg.constant([[1.0, 2.0], [3.0, 4.0]])
    with tg.GradientTape() as g:
        g.watch(x)
        y = x * x
    bj = g.batch_jacobian(y, x)
    assert bj.numpy().tolist() == [[[2, 0], [0, 4]], [[6, 0], [0, 8]]]
    v = tg.Variable([1.0, 2.0])
    with tg.GradientTape(persistent=True) as g:
        y = v * v
    jac = g.jacobian(y, [v])
    assert isinstance(jac, list) and jac[0].shape == (2, 2)
    with pytest.raises(RuntimeError, match="persistent=True"):
        with tg.GradientTape() as g2:
            g2.watch(x)
            y = x * x
        g2.jacobian(y, x, experimental_use_pfor=False)


def test_output_gradients():
    x = tg.constant(3.0)
    y = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch([x, y])
        targets = [x * y, x]
    assert float(tape.gradient(targets, x, output_gradients=[1.0, 2.0])) == 4.0


def test_bad_arguments():
    x = tg.constant(1.0)
    with tg.GradientTape() as tape:
        with pytest.raises(ValueError, match="ndarray"):
            tape.watch(np.ones(2))
        tape.watch(x)
        y = x * x
    with pytest.raises(TypeError, match="received None"):
        tape.gradient(None, x)
    with pytest.raises(ValueError, match="not tg.Tensor"):
        tape.gradient(y, 3.0)
    assert float(tape.gradient(y, x)) == 2.0  # argument errors left the tape usable


def test_integer_sources_have_no_gradient():
    x = tg.constant(10)
    with tg.GradientTape() as g:
        g.watch(x)
        y = x * x
    assert g.gradient(y, x) is None
