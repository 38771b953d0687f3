# SPDX-License-Identifier: Apache-2.0
"""compile / fit / evaluate / predict against numbers worked out with numpy, in both loops (the C
loop of a Sequential of C layers, and the Python step loop of run_eagerly=True and subclassed
models)."""
import numpy as np
import pytest

import tapegrad as tg
from seed_model import MyModel

X = np.array([[1, 2], [3, 4], [5, 6], [0, 1], [2, 0]], np.float32)
Y = np.array([[1], [2], [3], [0], [1]], np.float32)


def linear_model(**compile_args):
    model = tg.keras.Sequential([tg.layers.Dense(1, kernel_initializer=tg.initializers.Constant(0.5),
                                                 input_shape=(2,))])
    model.compile(**{"optimizer": tg.optimizers.SGD(learning_rate=0.01), "loss": "mse",
                     **compile_args})
    return model


def sgd_reference(x, y, w, b, lr, batch_size, epochs, sample_weight=None):
    """Keras's fit of Dense(1) with MSE and SGD, in float64 numpy: the epoch loss is the batch
    losses (before each update) weighted by batch size; the loss of a batch is
    sum(sample_weight * squared error) / batch size."""
    losses = []
    sw = np.ones(len(x)) if sample_weight is None else sample_weight
    for _ in range(epochs):
        total = 0.0
        for start in range(0, len(x), batch_size):
            xb, yb, wb = x[start:start + batch_size], y[start:start + batch_size], \
                sw[start:start + batch_size]
            n = len(xb)
            err = (xb @ w + b - yb)[:, 0]
            total += n * np.sum(wb * err ** 2) / n
            w = w - lr * (2.0 / n) * xb.T @ (wb * err)[:, None]
            b = b - lr * (2.0 / n) * np.sum(wb * err)
        losses.append(total / len(x))
    return losses, w, b


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_fit_matches_hand_computed_sgd(run_eagerly):
    model = linear_model(run_eagerly=run_eagerly)
    history = model.fit(X, Y, batch_size=2, epochs=3, shuffle=False, verbose=0)
    losses, w, b = sgd_reference(X.astype(np.float64), Y.astype(np.float64),
                                 np.full((2, 1), 0.5), 0.0, 0.01, 2, 3)
    assert history.epoch == [0, 1, 2]
    assert list(history.history) == ["loss"]
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), w, rtol=1e-5)
    np.testing.assert_allclose(model.layers[0].bias.numpy(), [b], rtol=1e-5, atol=1e-7)
    assert model.history is history
    assert model.optimizer.iterations == 9  # 3 batches (2, 2, 1) per epoch


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_fit_with_sample_weight_and_initial_epoch(run_eagerly):
    weights = np.array([1.0, 0.0, 2.0, 1.0, 0.5])
    model = linear_model(run_eagerly=run_eagerly)
    history = model.fit(X, Y, batch_size=2, epochs=3, initial_epoch=1, shuffle=False,
                        sample_weight=weights, verbose=0)
    losses, w, _ = sgd_reference(X.astype(np.float64), Y.astype(np.float64),
                                 np.full((2, 1), 0.5), 0.0, 0.01, 2, 2, weights)
    assert history.epoch == [1, 2]
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), w, rtol=1e-5)


def test_the_two_loops_give_the_same_history_with_validation_and_metrics():
    rng = np.random.default_rng(0)
    x = rng.random((50, 4)).astype(np.float32)
    y = rng.integers(0, 3, 50)
    results = []
    for eager in (False, True):
        tg.keras.backend.clear_session()
        model = tg.keras.Sequential([
            tg.layers.Dense(8, "relu", kernel_initializer=tg.initializers.GlorotUniform(1)),
            tg.layers.Dense(3, kernel_initializer=tg.initializers.GlorotUniform(2))])
        model.compile("adam", tg.losses.SparseCategoricalCrossentropy(from_logits=True),
                      ["accuracy"], run_eagerly=eager)
        h = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, validation_split=0.2,
                      verbose=0)
        results.append((h.history, model.evaluate(x, y, verbose=0), model.predict(x, verbose=0)))
    (h_c, e_c, p_c), (h_py, e_py, p_py) = results
    assert list(h_c) == list(h_py) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    for key in h_c:
        np.testing.assert_allclose(h_c[key], h_py[key], rtol=1e-5)
    np.testing.assert_allclose(e_c, e_py, rtol=1e-5)
    np.testing.assert_allclose(p_c, p_py, rtol=1e-5)


def test_evaluate_return_values_and_predict():
    model = tg.keras.Sequential([tg.layers.Dense(2, input_shape=(2,))])
    kernel = np.array([[1.0, -1.0], [0.5, 2.0]], np.float32)
    model.set_weights([kernel, np.array([0.0, 0.1], np.float32)])
    logits = X @ kernel + [0.0, 0.1]  # numpy: the predictions
    np.testing.assert_allclose(model.predict(X, batch_size=2, verbose=0), logits, rtol=1e-6)
    labels = np.array([0, 1, 1, 1, 0])
    # sparse CE from logits by hand: logsumexp - the label's logit
    lse = np.log(np.exp(logits).sum(axis=1))
    ce = np.mean(lse - logits[np.arange(5), labels])
    accuracy = np.mean(np.argmax(logits, axis=1) == labels)
    model.compile("sgd", tg.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert model.evaluate(X, labels, batch_size=2, verbose=0) == pytest.approx(ce, rel=1e-5)
    model.compile("sgd", tg.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    loss, acc = model.evaluate(X, labels, verbose=0)
    assert loss == pytest.approx(ce, rel=1e-5) and acc == pytest.approx(accuracy)
    assert model.evaluate(X, labels, verbose=0, return_dict=True) == \
        {"loss": pytest.approx(ce, rel=1e-5), "accuracy": pytest.approx(accuracy)}
    assert model.metrics_names == ["loss", "accuracy"]
    # train_on_batch / test_on_batch return the same structure
    assert len(model.train_on_batch(X, labels)) == 2
    assert set(model.test_on_batch(X, labels, return_dict=True)) == {"loss", "accuracy"}


def test_metric_names_in_logs_follow_compile():
    model = tg.keras.Sequential([tg.layers.Dense(2)])
    model.compile("adam", tg.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["acc", tg.metrics.SparseCategoricalAccuracy(name="sca")])
    h = model.fit(X, [0, 1, 1, 0, 1], validation_data=(X, np.array([0, 1, 1, 0, 1])),
                  epochs=1, verbose=0)
    assert list(h.history) == ["loss", "acc", "sca", "val_loss", "val_acc", "val_sca"]
    assert h.history["acc"] == h.history["sca"]


def test_custom_python_loss_runs_in_python_with_keras_reduction():
    def squared(y_true, y_pred):  # per-sample values, reduced by fit as Keras does
        return tg.reduce_mean(tg.square(y_pred - y_true), axis=-1)

    model = linear_model(loss=squared)
    history = model.fit(X, Y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    losses, _, _ = sgd_reference(X.astype(np.float64), Y.astype(np.float64),
                                 np.full((2, 1), 0.5), 0.0, 0.01, 2, 2)
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)


def test_subclassed_model_trains_with_fit():
    rng = np.random.default_rng(1)
    data = rng.random((1000, 32))
    labels = np.eye(10)[rng.integers(0, 10, 1000)]
    model = MyModel()
    model.compile(optimizer=tg.keras.optimizers.Adam(),
                  loss=tg.keras.losses.CategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(data, labels, epochs=5, batch_size=32, verbose=0)
    loss = history.history["loss"]
    assert len(loss) == 5 and loss[-1] < loss[0]
    assert [v.name for v in model.trainable_variables] == [
        "my_model/dense/kernel:0", "my_model/dense/bias:0", "my_model/dense_1/kernel:0",
        "my_model/dense_1/bias:0"]
    assert model.optimizer.iterations == 5 * 32  # ceil(1000 / 32) = 32 steps per epoch
    # evaluate's loss equals the loss computed by hand from predict's logits
    logits = model.predict(data, verbose=0).astype(np.float64)
    lse = np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1)) + logits.max(1)
    ce = np.mean(lse - (logits * labels).sum(1))
    loss_value, accuracy = model.evaluate(data, labels, verbose=0)
    assert loss_value == pytest.approx(ce, rel=1e-4)
    assert accuracy == pytest.approx(np.mean(logits.argmax(1) == labels.argmax(1)))


def test_shuffle_is_seeded_and_differs_from_the_natural_order():
    def run(**kw):
        tg.keras.backend.clear_session()
        model = linear_model()
        return model.fit(X, Y, batch_size=2, epochs=2, verbose=0, **kw).history["loss"]
    assert run(seed=3) == run(seed=3)
    assert run(seed=3) != run(shuffle=False)


def test_fit_errors():
    model = linear_model()
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model.fit(X, Y[:4], verbose=0)
    with pytest.raises(ValueError, match="not sufficient to split"):
        model.fit(X[:1], Y[:1], validation_split=0.5, verbose=0)
    with pytest.raises(RuntimeError, match="must compile"):
        tg.keras.Sequential([tg.layers.Dense(1)]).fit(X, Y)
    with pytest.raises(tg.errors.InvalidArgumentError, match="tg_model_fit"):
        model.fit(np.ones((5, 3), np.float32), Y, verbose=0)  # wrong input width
