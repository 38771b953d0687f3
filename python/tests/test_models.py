# SPDX-License-Identifier: Apache-2.0
"""Layers and models: dtypes, build and input_shape, summary, layer handles, weights, and
structural checkpoints that a second model of the same architecture loads."""
import numpy as np
import pytest

import tapegrad as tg
from seed_model import MyModel

L = tg.layers


def test_float64_dense_forward_and_backward_against_numpy():
    layer = L.Dense(2, activation="relu", dtype="float64")
    x = np.array([[1.0, -2.0, 0.5], [0.25, 1.0, -1.0]])
    layer.build((None, 3))
    kernel = np.array([[0.5, -1.0], [0.25, 0.5], [-2.0, 1.0]])
    bias = np.array([0.1, -0.2])
    layer.set_weights([kernel, bias])
    with tg.GradientTape() as tape:
        y = layer(x)
        loss = tg.reduce_sum(y * y)
    # numpy: y = relu(x·W + b); d sum(y²)/dW = xᵀ·(2y·[pre > 0]), d/db = Σ rows of the same
    pre = x @ kernel + bias
    want = np.maximum(pre, 0)
    upstream = 2 * want * (pre > 0)
    assert y.dtype == tg.float64 and layer.kernel.dtype == tg.float64
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-15)
    grads = tape.gradient(loss, [layer.kernel, layer.bias])
    np.testing.assert_allclose(grads[0].numpy(), x.T @ upstream, rtol=1e-14)
    np.testing.assert_allclose(grads[1].numpy(), upstream.sum(0), rtol=1e-14)


def test_float64_model_fits_in_float64_and_autocast_between_layers():
    model = tg.keras.Sequential([L.Dense(4, "tanh", dtype="float64", input_shape=(3,)),
                                 L.Dense(1, dtype="float64")])
    model.compile(tg.optimizers.SGD(0.1), "mse")
    x = np.linspace(-1, 1, 24).reshape(8, 3)
    y = x.sum(1, keepdims=True)
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(x, verbose=0).dtype == np.float64
    assert all(w.dtype == np.float64 for w in model.get_weights())
    mixed = tg.keras.Sequential([L.Dense(2, dtype="float64"), L.Dense(2)])
    assert mixed(np.ones((1, 3))).dtype == tg.float32  # the float32 layer casts its input
    with pytest.raises(TypeError, match="floating"):
        L.Dense(2, dtype="int32")


def test_input_shape_builds_and_build_creates_weights():
    model = tg.keras.Sequential([L.Dense(8, input_shape=(4,)), L.Dense(2)])
    assert model.built and model.count_params() == 4 * 8 + 8 + 8 * 2 + 2
    assert [v.name for v in model.weights] == [
        "sequential/dense/kernel:0", "sequential/dense/bias:0", "sequential/dense_1/kernel:0",
        "sequential/dense_1/bias:0"]
    later = tg.keras.Sequential([L.Dense(3), L.Dense(1)])
    with pytest.raises(ValueError, match="isn't built"):
        later.count_params()
    later.build((None, 5))
    assert later.count_params() == 5 * 3 + 3 + 3 + 1
    with_input = tg.keras.Sequential([tg.keras.Input(shape=(6,)), L.Dense(2)])
    assert with_input.built and with_input.layers[0].kernel.shape == (6, 2)
    assert tg.keras.Sequential([L.Dense(2, input_dim=7)]).layers[0].kernel.shape == (7, 2)
    assert tg.keras.Sequential([L.Dense(2, batch_input_shape=(None, 3))]).count_params() == 8


def test_layer_handles_kernel_bias_get_layer_and_weights():
    model = tg.keras.Sequential([L.Dense(3, name="hidden", input_shape=(2,)), L.Dense(1)])
    hidden = model.get_layer("hidden")
    assert hidden is model.get_layer(index=0) is model.layers[0]
    assert hidden.kernel is model.trainable_variables[0] and hidden.bias is model.weights[1]
    with pytest.raises(ValueError, match="No such layer: head"):
        model.get_layer("head")
    with pytest.raises(AttributeError, match="before it is built"):
        L.Dense(2).kernel
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(2, 3), (3,), (3, 1), (1,)]
    new = [np.full(w.shape, i, np.float32) for i, w in enumerate(weights)]
    model.set_weights(new)
    np.testing.assert_array_equal(hidden.bias.numpy(), [1, 1, 1])
    with pytest.raises(ValueError, match="with a weight list of length 1, but the layer was "
                                         "expecting 4 weights"):
        model.set_weights(new[:1])
    bad = [new[0], new[1], np.zeros((4, 1), np.float32), new[3]]
    with pytest.raises(ValueError, match=r"weight shape \(3, 1\) is not compatible"):
        model.set_weights(bad)
    np.testing.assert_array_equal(model.get_weights()[0], new[0])  # nothing changed
    hidden.trainable = False
    assert len(model.trainable_variables) == 2 and len(model.non_trainable_variables) == 2


def test_python_activation_and_initializer_run_after_the_c_layer():
    scaled = tg.initializers.VarianceScaling(3.0, "fan_out", "uniform", seed=5)
    layer = L.Dense(4, activation=lambda t: t * 2.0, kernel_initializer=scaled)
    model = tg.keras.Sequential([layer])
    assert not layer.plain and model._c_stack() is None  # the forward pass has Python in it
    x = np.ones((1, 3), np.float32)
    y = model(x).numpy()
    np.testing.assert_allclose(layer.kernel.numpy(),
                               tg.initializers.VarianceScaling(3.0, "fan_out", "uniform",
                                                               seed=5)((3, 4)).numpy())
    np.testing.assert_allclose(y, 2.0 * (x @ layer.kernel.numpy()), rtol=1e-6)


def keras_row(name, shape, params):
    """A row of Keras 2.15's summary table: columns end at 29, 55 and 65."""
    return (" " + name).ljust(29) + shape.ljust(26) + params.ljust(10)


def test_summary_prints_keras_table_through_print_fn():
    model = tg.keras.Sequential([L.Dense(32, activation="relu", input_shape=(16,)),
                                 L.Dropout(0.5), L.Dense(10, dtype="float64")], name="my_seq")
    lines = []
    model.summary(print_fn=lines.append)
    # 544 float32 (2176 bytes) + 330 float64 (2640 bytes) = 874 parameters, 4816 bytes = 4.70 KB
    assert lines == [
        'Model: "my_seq"', "_" * 65, keras_row("Layer (type)", "Output Shape", "Param #"),
        "=" * 65,
        keras_row("dense (Dense)", "(None, 32)", "544"), " " * 65,
        keras_row("dropout (Dropout)", "(None, 32)", "0"), " " * 65,
        keras_row("dense_1 (Dense)", "(None, 10)", "330"), " " * 65,
        "=" * 65,
        "Total params: 874 (4.70 KB)", "Trainable params: 874 (4.70 KB)",
        "Non-trainable params: 0 (0.00 Byte)", "_" * 65]
    with pytest.raises(ValueError, match="has not yet been built"):
        tg.keras.Sequential([L.Dense(1)]).summary()


def test_subclassed_summary_shows_multiple(capsys):
    model = MyModel()
    model.build((None, 32))
    model.layers[1].trainable = False
    model.summary()
    out = capsys.readouterr().out.split("\n")
    assert out[4] == keras_row("dense (Dense)", "multiple", "1056")
    assert out[6] == keras_row("dense_1 (Dense)", "multiple", "330")
    assert out[9:12] == ["Total params: 1386 (5.41 KB)", "Trainable params: 1056 (4.12 KB)",
                         "Non-trainable params: 330 (1.29 KB)"]


def mlp(hidden=5):
    return tg.keras.Sequential([L.Dense(hidden, "relu", input_shape=(4,)), L.Dropout(0.2),
                                L.Dense(3)])


def test_checkpoint_reloads_into_a_second_model_and_mismatch_changes_nothing(tmp_path):
    path = str(tmp_path / "w.safetensors")
    x = np.random.default_rng(0).random((6, 4)).astype(np.float32)
    first = mlp()
    first.save_weights(path)
    second = mlp()  # other automatic names: sequential_1/dense_2/kernel:0 ...
    assert second.weights[0].name != first.weights[0].name
    second.load_weights(path)
    np.testing.assert_array_equal(second.predict(x, verbose=0), first.predict(x, verbose=0))
    other = mlp(hidden=6)
    before = other.get_weights()
    with pytest.raises(tg.errors.InvalidArgumentError, match=r"layer_with_weights-0/kernel"):
        other.load_weights(path)
    for a, b in zip(other.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    single = tg.keras.Sequential([L.Dense(5, input_shape=(4,))])
    with pytest.raises(tg.errors.InvalidArgumentError, match="Layer count mismatch"):
        single.load_weights(path)
    with pytest.raises(ValueError, match="build or call it first"):
        tg.keras.Sequential([L.Dense(1)]).load_weights(path)
    with pytest.raises(TypeError, match="by keyword"):
        first.save_weights(path, tg.optimizers.Adam())


def test_subclassed_and_sequential_checkpoints_are_interchangeable(tmp_path):
    path = str(tmp_path / "seed.safetensors")
    x = np.random.default_rng(1).random((5, 32))
    model = MyModel()
    model(x)
    model.save_weights(path)
    seq = tg.keras.Sequential([L.Dense(32, "relu", input_shape=(32,)), L.Dense(10)])
    seq.load_weights(path)
    np.testing.assert_allclose(seq.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_training_resumes_from_weights_and_optimizer_state(tmp_path):
    path = str(tmp_path / "resume.safetensors")
    x = np.random.default_rng(2).random((20, 4)).astype(np.float32)
    y = np.random.default_rng(3).integers(0, 3, 20)

    def compiled():
        tg.keras.backend.clear_session()
        model = tg.keras.Sequential([
            L.Dense(5, "relu", input_shape=(4,), kernel_initializer=tg.initializers.GlorotUniform(1)),
            L.Dense(3, kernel_initializer=tg.initializers.GlorotUniform(2))])
        model.compile("adam", tg.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    straight = compiled()
    straight.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    first = compiled()
    first.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    first.save_weights(path, optimizer=first.optimizer)
    resumed = compiled()
    resumed.load_weights(path, optimizer=resumed.optimizer)
    assert resumed.optimizer.iterations == 3
    resumed.fit(x, y, epochs=2, initial_epoch=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_python_made_weights_are_not_in_structural_checkpoints(tmp_path):
    class Scale(L.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight("scale", (input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return inputs * self.scale

    model = tg.keras.Sequential([Scale(), L.Dense(2)])
    model(np.ones((1, 3), np.float32))
    assert [v.name for v in model.weights][0] == "sequential/scale/scale:0"
    with pytest.raises(NotImplementedError, match="'scale' .*weights made in Python"):
        model.save_weights(str(tmp_path / "x.safetensors"))
