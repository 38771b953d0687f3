# SPDX-License-Identifier: Apache-2.0
"""Nothing is silently ignored: a keyword the package does not implement raises
NotImplementedError naming it, an unknown one TypeError; and numpy or Python operands take the
tensor's dtype, as in TensorFlow."""
import numpy as np
import pytest

import tapegrad as tg

L = tg.layers


@pytest.mark.parametrize("make, name", [
    (lambda: L.Dense(2, kernel_regularizer="l2"), "kernel_regularizer"),
    (lambda: L.Dense(2, bias_regularizer="l2"), "bias_regularizer"),
    (lambda: L.Dense(2, activity_regularizer="l2"), "activity_regularizer"),
    (lambda: L.Dense(2, kernel_constraint="max_norm"), "kernel_constraint"),
    (lambda: L.Dropout(0.5, noise_shape=(1, 2)), "noise_shape"),
    (lambda: L.Embedding(4, 2, mask_zero=True), "mask_zero"),
    (lambda: L.Flatten(data_format="channels_first"), "data_format"),
    (lambda: L.Dense(2, autocast=False), "autocast"),
    (lambda: tg.optimizers.Adam(use_ema=True), "use_ema"),
    (lambda: tg.metrics.Accuracy(dtype="float64"), "dtype"),
    (lambda: tg.keras.Model(inputs=1, outputs=2), "functional"),
    (lambda: tg.keras.callbacks.ModelCheckpoint("x", period=2), "period"),
])
def test_unimplemented_arguments_raise_naming_them(make, name):
    with pytest.raises(NotImplementedError, match=name):
        make()


@pytest.mark.parametrize("make, name", [
    (lambda: L.Dense(2, kernel_initialiser="zeros"), "kernel_initialiser"),
    (lambda: L.Dropout(0.5, sed=1), "sed"),
    (lambda: tg.optimizers.SGD(momentun=0.9), "momentun"),
    (lambda: tg.keras.Sequential([], nmae="x"), "nmae"),
])
def test_unknown_keywords_raise_type_error(make, name):
    with pytest.raises(TypeError, match=name):
        make()


def compiled():
    model = tg.keras.Sequential([L.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    return model


@pytest.mark.parametrize("call, name", [
    (lambda m: m.compile("sgd", "mse", loss_weights=[1.0]), "loss_weights"),
    (lambda m: m.compile("sgd", "mse", weighted_metrics=["accuracy"]), "weighted_metrics"),
    (lambda m: m.compile("sgd", "mse", steps_per_execution=4), "steps_per_execution"),
    (lambda m: m.compile("sgd", "mse", metrics=["mse"]), "'mse'"),
    (lambda m: m.compile("sgd", "poisson"), "'poisson'"),
    (lambda m: m.fit(np.ones((2, 2)), np.ones(2), class_weight={0: 1}), "class_weight"),
    (lambda m: m.fit(np.ones((2, 2)), np.ones(2), steps_per_epoch=2), "steps_per_epoch"),
    (lambda m: m.fit(np.ones((2, 2)), np.ones(2), shuffle="batch"), "shuffle"),
    (lambda m: m.fit(np.ones((2, 2)), np.ones(2), workers=4), "workers"),
    (lambda m: m.fit(np.ones((2, 2)), np.ones(2), validation_freq=[1, 2]), "validation_freq"),
    (lambda m: m.evaluate(np.ones((2, 2)), np.ones(2), steps=1), "steps"),
    (lambda m: m.predict(iter([np.ones((2, 2))])), "generators"),
    (lambda m: m.fit([np.ones((2, 2)), np.ones((2, 2))], np.ones(2)), "one input"),
    (lambda m: m.summary(line_length=80), "line_length"),
    (lambda m: m.summary(expand_nested=True), "expand_nested"),
    (lambda m: m.save_weights("x", overwrite=False), "overwrite"),
    (lambda m: m.load_weights("x", by_name=True), "by_name"),
    (lambda m: m.load_weights("x", skip_mismatch=True), "skip_mismatch"),
])
def test_unimplemented_model_arguments(call, name):
    with pytest.raises(NotImplementedError, match=name):
        call(compiled())


def test_unknown_compile_and_evaluate_keywords():
    with pytest.raises(TypeError, match="sample_weight_mode"):
        compiled().compile("sgd", "mse", sample_weight_mode="temporal")
    with pytest.raises(TypeError, match="return_dcit"):
        compiled().evaluate(np.ones((2, 2)), np.ones(2), return_dcit=True)


def test_numpy_and_python_operands_take_the_tensors_dtype():
    f32 = tg.constant([1.0, 2.0, 3.0])
    for result in (f32 + np.ones(3), np.ones(3) + f32, f32 * np.arange(3), f32 - 1.5,
                   tg.maximum(f32, np.float64(2.0)),
                   tg.matmul(tg.reshape(f32, (1, 3)), np.ones((3, 1)))):
        assert result.dtype == tg.float32
    np.testing.assert_array_equal((f32 + np.ones(3)).numpy(), [2, 3, 4])
    f64 = tg.constant([1.0], tg.float64)
    assert (f64 + np.float32(0.5)).dtype == tg.float64
    i32 = tg.constant([1, 2])
    assert (i32 + np.array([1, 2], np.int64)).dtype == tg.int32
    assert (i32 * np.array([2.0, 3.0])).numpy().tolist() == [2, 6]  # whole floats convert
    with pytest.raises(ValueError):
        i32 + np.array([1.5, 2.0])  # not a whole number: the dtypes then differ
    v = tg.Variable([1.0, 2.0])
    assert (v + np.ones(2)).dtype == tg.float32
    assert v.assign(np.array([3.0, 4.0])) is v  # float64 values into a float32 variable
    assert v.numpy().tolist() == [3.0, 4.0]
    assert v.assign_add([1, 1], read_value=False) is None and v.numpy().tolist() == [4.0, 5.0]
