# SPDX-License-Identifier: Apache-2.0
"""Handles are freed when Python objects are collected, in any order."""
import gc
import itertools

import numpy as np
import pytest

import tapegrad as tg


def test_objects_freed_in_every_order():
    for order in list(itertools.permutations(range(4)))[:12]:
        x = tg.constant([1.0, 2.0])
        v = tg.Variable([0.5, 0.5])
        with tg.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = x * v
        grad = tape.gradient(y, [x, v])
        objs = [tape, x, y, v]
        del tape, x, y, v
        for i in order:
            objs[i] = None
            gc.collect()
        assert grad[0].numpy().tolist() == [0.5, 0.5]


def test_many_temporaries_do_not_leak_handles():
    x = tg.constant(np.ones((4, 4), np.float32))
    for _ in range(2000):
        x = x * 1.0 + 0.0
    assert x.numpy().sum() == 16


def test_a_model_outlives_its_tape_and_optimizer():
    model = tg.keras.Sequential([tg.layers.Dense(2)])
    opt = tg.optimizers.SGD()
    with tg.GradientTape() as tape:
        loss = tg.reduce_sum(model(np.ones((1, 3))))
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    del tape, opt, grads, loss
    gc.collect()
    assert model(np.ones((1, 3))).shape == (1, 2)


def test_threads_train_independently_and_release_arrays():
    """Each thread has its own tapes; C calls release the GIL, and deleters of wrapped numpy
    arrays run on whichever thread frees the last tensor (they take the GIL themselves)."""
    import threading
    results, errors = {}, []

    def work(k):
        try:
            for _ in range(50):
                x = tg.from_numpy(np.full((8, 8), float(k)))
                with tg.GradientTape() as tape:
                    tape.watch(x)
                    y = tg.reduce_sum(x @ x)
                g = tape.gradient(y, x)
            results[k] = float(g.numpy()[0, 0])
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    # d/dx sum(x @ x) = (1·xᵀ + xᵀ·1)… for x = k everywhere: 2·8·k
    assert results == {k: 16.0 * k for k in range(1, 5)}


def test_an_exception_inside_the_block_ends_the_tape():
    x = tg.constant(2.0)
    with pytest.raises(KeyError):
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = x * x
            raise KeyError("boom")
    assert float(tape.gradient(y, x)) == 4.0
    z = x * x  # not recorded: the tape was ended by the exception
    with tg.GradientTape() as other:
        other.watch(x)
        w = z * x
    assert float(other.gradient(w, x)) == 4.0
