# SPDX-License-Identifier: Apache-2.0
"""Conv1D, Conv2D, the poolings, BatchNormalization, LayerNormalization and Reshape from Python:
values against hand-worked or numpy numbers, training behaviour in calls and in fit / evaluate /
predict, Keras's weight order, the summary's counts, checkpoints."""
import numpy as np
import pytest

import tapegrad as tg

L = tg.keras.layers


def test_conv2d_valid_with_bias_and_relu_by_hand():
    conv = L.Conv2D(1, 2, activation="relu", dtype="float64")
    conv.build((None, 3, 3, 1))
    conv.kernel.assign(np.array([1.0, 2, 3, 4]).reshape(2, 2, 1, 1))
    conv.bias.assign([-40.0])
    # Windows of [[1 2 3] [4 5 6] [7 8 9]]: 1 + 4 + 12 + 20 = 37, 47, 67, 77; −40, relu.
    y = conv(np.arange(1.0, 10).reshape(1, 3, 3, 1))
    assert y.shape == (1, 2, 2, 1)
    np.testing.assert_array_equal(y.numpy().ravel(), [0, 7, 27, 37])


def test_conv2d_same_padding_puts_the_odd_cell_after():
    # numpy: x = arange(16).reshape(4, 4), kernel (0.1 … 0.9) as 3×3, stride 2: out 2, padding
    # P = (2 − 1)·2 + 3 − 4 = 1 → (0, 1);
    # y[i, j] = (pad(x, ((0, 1), (0, 1)))[2i:2i+3, 2j:2j+3] · kernel).sum()
    conv = L.Conv2D(1, 3, strides=2, padding="same", use_bias=False, dtype="float64")
    conv.build((None, 4, 4, 1))
    conv.kernel.assign(np.arange(1, 10).reshape(3, 3, 1, 1) / 10)
    y = conv(np.arange(16.0).reshape(1, 4, 4, 1))
    np.testing.assert_allclose(y.numpy().ravel(), [30.3, 22.5, 25.3, 16.3], rtol=1e-12)


def test_conv1d_causal_and_keras_defaults():
    conv = L.Conv1D(1, 2, padding="causal", use_bias=False, dtype="float64")
    conv.build((None, 4, 1))
    conv.kernel.assign(np.array([2.0, 1.0]).reshape(2, 1, 1))
    np.testing.assert_array_equal(conv(np.array([1.0, 2, 3, 4]).reshape(1, 4, 1)).numpy().ravel(),
                                  [1, 4, 7, 10])  # [0 1 2 3 4] windows · [2 1]
    c2 = L.Conv2D(16, (3, 5))
    assert (c2.strides, c2.padding, c2.dilation_rate, c2.groups) == ((1, 1), "valid", (1, 1), 1)
    c2.build((None, 9, 9, 4))
    assert tuple(c2.kernel.shape) == (3, 5, 4, 16)
    # glorot_uniform's fans count the receptive field: limit sqrt(6/(15·4 + 15·16)).
    assert np.abs(c2.kernel.numpy()).max() <= np.sqrt(6 / (15 * 4 + 15 * 16))


def test_bad_configurations_raise_value_errors():
    with pytest.raises(ValueError, match="evenly divisible by the number of groups"):
        L.Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match="not supported in conjunction with `dilation_rate > 1`"):
        L.Conv2D(3, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding"):
        L.Conv2D(3, 3, padding="causal")
    with pytest.raises(ValueError, match="at most one unknown dimension"):
        L.Reshape((-1, -1))
    with pytest.raises(ValueError, match="total size of new array must be unchanged"):
        L.Reshape((4, 2))(np.zeros((1, 2, 3), "float32"))
    with pytest.raises(NotImplementedError, match="channels_last"):
        L.MaxPooling2D(data_format="channels_first")


def test_pooling_reshape_and_layer_normalization_values():
    x = np.arange(16.0, dtype="float32").reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(L.MaxPooling2D()(x).numpy().ravel(), [5, 7, 13, 15])
    np.testing.assert_array_equal(L.AveragePooling2D()(x).numpy().ravel(), [2.5, 4.5, 10.5, 12.5])
    assert L.GlobalAveragePooling2D()(x).numpy().tolist() == [[7.5]]
    assert L.GlobalMaxPooling2D(keepdims=True)(x).shape == (1, 1, 1, 1)
    assert L.Reshape((2, -1))(np.zeros((3, 4, 2), "float32")).shape == (3, 2, 4)
    x = np.array([[1.0, 2, 4], [-1, 0.5, 3]])
    ln = L.LayerNormalization(dtype="float64")
    mu, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    np.testing.assert_allclose(ln(x).numpy(), (x - mu) / np.sqrt(var + 1e-3), rtol=1e-12)


def test_batch_normalization_training_argument_and_moving_statistics():
    # A 2-D float64 input: Keras's non-fused path,
    # moving ← moving − (moving − batch)·0.01 with the biased variance. numpy: x.mean(0), x.var(0).
    bn = L.BatchNormalization(dtype="float64")
    x = np.array([[0.5, -1.0], [2.0, 3.0], [1.5, 0.0], [-2.0, 4.0]])
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), rtol=1e-12)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.99 + 0.01 * x.var(0), rtol=1e-12)
    before = bn.moving_mean.numpy()
    y = bn(x).numpy()  # training defaults to False: the moving statistics, unchanged
    np.testing.assert_allclose(y, (x - before) / np.sqrt(bn.moving_variance.numpy() + 1e-3),
                               rtol=1e-12)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)
    assert [w.name for w in bn.weights] == [
        "batch_normalization/gamma:0", "batch_normalization/beta:0",
        "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0"]
    assert [w.name for w in bn.trainable_weights] == [
        "batch_normalization/gamma:0", "batch_normalization/beta:0"]


def cnn(batch_norm=True):
    layers = [L.Reshape((8, 8, 1), input_shape=(64,)), L.Conv2D(4, 3, activation="relu")]
    if batch_norm:
        layers.append(L.BatchNormalization())
    layers += [L.MaxPooling2D(), L.Flatten(), L.Dense(3)]
    model = tg.keras.Sequential(layers)
    model.compile("adam", tg.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  ["accuracy"])
    return model


def test_fit_updates_the_moving_statistics_and_evaluate_and_predict_do_not(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 64), dtype=np.float32), rng.integers(0, 3, 40)
    model = cnn()
    bn = model.layers[2]
    assert model.built
    model.fit(x, y, epochs=1, batch_size=20, verbose=0)
    moving = [w.numpy() for w in (bn.moving_mean, bn.moving_variance)]
    assert not np.allclose(moving[0], 0) and not np.allclose(moving[1], 1)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), moving[0])
    # Checkpoints hold the moving statistics: a fresh model loads the same predictions.
    path = str(tmp_path / "cnn.safetensors")
    model.save_weights(path)
    other = cnn()
    other.load_weights(path)
    np.testing.assert_array_equal(other.layers[2].moving_variance.numpy(), moving[1])
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    # get_weights / set_weights carry them too, in Keras's order.
    weights = model.get_weights()
    assert [w.shape for w in weights[2:6]] == [(4,)] * 4
    third = cnn()
    third.set_weights(weights)
    np.testing.assert_array_equal(third.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_sequential_of_built_layers_is_built():
    conv, bn = L.Conv2D(2, 3), L.BatchNormalization()
    conv.build((None, 5, 5, 1))
    bn.build((None, 3, 3, 2))
    model = tg.keras.Sequential([conv, bn])
    assert model.built
    lines = []
    model.summary(print_fn=lines.append)
    assert any("(None, 3, 3, 2)" in line for line in lines)
    assert tg.keras.Sequential([L.Conv2D(2, 3)]).built is False


def test_summary_counts_moving_statistics_as_non_trainable():
    lines = []
    cnn().summary(print_fn=lines.append)
    text = "\n".join(lines)
    # conv 3·3·1·4 + 4 = 40, BN 4·4 = 16 (8 moving), dense 3·3·4·3 + 3 = 111.
    assert " batch_normalization (Batch  (None, 6, 6, 4)           16" in text
    assert "Total params: 167 (668.00 Byte)" in text
    assert "Trainable params: 159 (636.00 Byte)" in text
    assert "Non-trainable params: 8 (32.00 Byte)" in text
