# SPDX-License-Identifier: Apache-2.0
"""Keras-style models, layers, losses, metrics and optimizers from Python."""
import ctypes
import logging
import math

import numpy as np
import pytest

import tapegrad as tg
from tapegrad._lib import LayerConfig, lib
from seed_model import MyModel


def test_seed_model_names_shapes_and_one_step():
    data = np.random.random((1000, 32))
    labels = np.random.random((1000, 10))
    model = MyModel()
    loss_object = tg.keras.losses.CategoricalCrossentropy(from_logits=True)
    optimizer = tg.keras.optimizers.Adam()
    with tg.GradientTape() as tape:
        predictions = model(data)
        loss = loss_object(labels, predictions)
    assert predictions.dtype == tg.float32 and predictions.shape == (1000, 10)
    gradients = tape.gradient(loss, model.trainable_variables)
    assert optimizer.apply_gradients(zip(gradients, model.trainable_variables)) == 1
    assert [(v.name, tuple(v.shape)) for v in model.trainable_variables] == [
        ("my_model/dense/kernel:0", (32, 32)), ("my_model/dense/bias:0", (32,)),
        ("my_model/dense_1/kernel:0", (32, 10)), ("my_model/dense_1/bias:0", (10,))]
    # Adam's first step moves every weight with a gradient by about the learning rate.
    bias = np.abs(model.trainable_variables[3].numpy())
    np.testing.assert_allclose(bias, 0.001, rtol=1e-2)
    # With one-hot labels (rows summing to 1) training lowers the loss.
    onehot = np.eye(10)[np.random.randint(0, 10, 1000)]
    first = None
    for _ in range(30):
        with tg.GradientTape() as tape:
            loss = loss_object(onehot, model(data))
        first = float(loss) if first is None else first
        grads = tape.gradient(loss, model.trainable_variables)
        it = optimizer.apply_gradients(zip(grads, model.trainable_variables))
    assert it == 31 and optimizer.iterations == 31 and float(loss) < first


def test_dense_kernel_equals_the_c_layer_for_the_same_seed():
    model = tg.keras.Sequential([tg.layers.Dense(4, kernel_initializer=
                                                 tg.initializers.GlorotUniform(seed=42))])
    model(np.ones((2, 3), np.float32))
    m = ctypes.c_void_p()
    assert lib.tg_model_create(b"c_model", ctypes.byref(m)) == 0
    config = LayerConfig()
    assert lib.tg_layer_config_init(0, ctypes.byref(config)) == 0  # TG_LAYER_DENSE
    config.units = 4
    config.kernel_initializer.seed = 42
    assert lib.tg_model_add(m, ctypes.byref(config), None) == 0
    x = tg.ones((2, 3))
    out = ctypes.c_void_p()
    assert lib.tg_model_call(m, x.handle, ctypes.byref(out)) == 0
    tg.Tensor(out.value)  # freed when collected
    vars_ = (ctypes.c_void_p * 2)()
    count = ctypes.c_size_t()
    assert lib.tg_model_trainable_variables(m, vars_, 2, ctypes.byref(count)) == 0
    c_kernel = tg.Variable._from_handle(vars_[0])
    tg.Variable._from_handle(vars_[1])
    np.testing.assert_array_equal(model.trainable_variables[0].numpy(), c_kernel.numpy())
    lib.tg_model_free(m)


def test_sequential_dropout_flatten_embedding():
    model = tg.keras.Sequential([tg.layers.Flatten(), tg.layers.Dense(8, activation="relu"),
                                 tg.layers.Dropout(0.5, seed=1), tg.layers.Dense(3)])
    x = np.ones((4, 2, 3), np.float32)
    y_infer = model(x).numpy()
    np.testing.assert_array_equal(model(x).numpy(), y_infer)  # no dropout outside training
    assert not np.array_equal(model(x, training=True).numpy(), y_infer)
    assert [v.name for v in model.trainable_variables][0] == "sequential/dense/kernel:0"
    emb = tg.keras.Sequential([tg.layers.Embedding(10, 4)])
    assert emb(np.array([[1, 2, 3]])).shape == (1, 3, 4)
    model.layers[1].trainable = False
    assert len(model.trainable_variables) == 2 and len(model.non_trainable_variables) == 2


def test_losses_against_hand_computed_values():
    cce = tg.losses.CategoricalCrossentropy(from_logits=True)
    assert float(cce([[0.0, 1.0]], tg.constant([[0.0, 0.0]]))) == pytest.approx(math.log(2), 1e-6)
    scce = tg.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert float(scce([1], tg.constant([[0.0, 0.0]]))) == pytest.approx(math.log(2), 1e-6)
    mse = tg.losses.MeanSquaredError()
    assert float(mse(tg.constant([1.0, 2.0]), tg.constant([1.0, 4.0]))) == 2.0
    per_sample = tg.losses.MeanAbsoluteError(reduction="none")(
        tg.constant([[1.0], [2.0]]), tg.constant([[2.0], [5.0]]))
    assert per_sample.numpy().tolist() == [1.0, 3.0]
    assert float(tg.losses.Huber(1.0)(tg.constant([0.0]), tg.constant([3.0]))) == 2.5
    with pytest.raises(ValueError, match="Invalid Reduction Key"):
        tg.losses.MeanSquaredError(reduction="mean")
    with pytest.raises(tg.errors.InvalidArgumentError, match=r"\[tg_loss_call\]"):
        cce(tg.constant([[0.0, 1.0, 0.0]]), tg.constant([[0.0, 0.0]]))


def test_metrics():
    acc = tg.metrics.SparseCategoricalAccuracy()
    acc.update_state([1, 0], tg.constant([[0.1, 0.9], [0.2, 0.8]]))
    assert float(acc.result()) == 0.5
    acc.reset_state()
    assert float(acc.result()) == 0.0
    assert float(tg.metrics.BinaryAccuracy()([1.0, 0.0], tg.constant([0.7, 0.2]))) == 1.0


def test_optimizers_step_values_and_schedules():
    w = tg.Variable(1.0)
    sgd = tg.optimizers.SGD(learning_rate=0.1)
    with tg.GradientTape() as tape:
        loss = w * w
    assert sgd.apply_gradients([(tape.gradient(loss, w), w)]) == 1
    assert float(w) == pytest.approx(0.8)  # 1 - 0.1 * 2
    w2 = tg.Variable([1.0, -1.0])
    sched = tg.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = tg.optimizers.SGD(learning_rate=sched)
    assert opt.learning_rate == pytest.approx(0.1)
    opt.apply_gradients([(tg.constant([1.0, 1.0]), w2)])
    assert opt.learning_rate == pytest.approx(sched(1)) == pytest.approx(0.05)
    np.testing.assert_allclose(w2.numpy(), [0.9, -1.1], rtol=1e-6)
    clipped = tg.optimizers.SGD(learning_rate=1.0, clipvalue=0.5)
    clipped.apply_gradients([(tg.constant([3.0, -3.0]), w2)])
    np.testing.assert_allclose(w2.numpy(), [0.4, -0.6], rtol=1e-6)
    for cls in (tg.optimizers.Adam, tg.optimizers.AdamW, tg.optimizers.RMSprop,
                tg.optimizers.Adagrad):
        v = tg.Variable([1.0, 2.0])
        assert cls().minimize(lambda: tg.reduce_sum(v * v), [v]) == 1
        assert np.all(v.numpy() < [1.0, 2.0])
    with pytest.raises(ValueError, match="momentum"):
        tg.optimizers.SGD(momentum=2.0)


def test_missing_gradient_warns_through_logging(caplog):
    a, b = tg.Variable(1.0, name="a"), tg.Variable(1.0, name="b")
    opt = tg.optimizers.SGD()
    with caplog.at_level(logging.WARNING, logger="tapegrad"):
        opt.apply_gradients([(tg.constant(1.0), a), (None, b)])
    assert "Gradients do not exist for variables" in caplog.text and "b:0" in caplog.text


def test_checkpoint_round_trip(tmp_path):
    model = tg.keras.Sequential([tg.layers.Dense(3)])
    opt = tg.optimizers.Adam()
    x = np.ones((2, 4), np.float32)
    with tg.GradientTape() as tape:
        loss = tg.reduce_sum(model(x))
    opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                            model.trainable_variables))
    path = tmp_path / "model.safetensors"
    model.save_weights(path, optimizer=opt)
    tg.keras.backend.clear_session()
    again = tg.keras.Sequential([tg.layers.Dense(3)])
    again(x)
    opt2 = tg.optimizers.Adam()
    opt2.build(again.trainable_variables)
    again.load_weights(path, optimizer=opt2)
    np.testing.assert_array_equal(again(x).numpy(), model(x).numpy())
    assert opt2.iterations == 1
    with pytest.raises(tg.errors.TapegradIOError, match="No such file"):
        again.load_weights(tmp_path / "missing.safetensors")
