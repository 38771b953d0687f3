# SPDX-License-Identifier: Apache-2.0
"""Keras callbacks in fit / evaluate / predict, in the C loop and the Python loop: the order of
the hooks, stop_training, History, EarlyStopping, ModelCheckpoint, LearningRateScheduler, the
progress bar, and errors raised in a callback."""
import re

import numpy as np
import pytest

import tapegrad as tg

cb = tg.keras.callbacks
X = np.arange(20, dtype=np.float32).reshape(10, 2) / 10
Y = (X.sum(axis=1, keepdims=True) > 1).astype(np.float32)

LOOPS = [pytest.param(False, id="c_loop"), pytest.param(True, id="python_loop")]


def model_of(run_eagerly, lr=0.1, optimizer=None):
    model = tg.keras.Sequential([tg.layers.Dense(1, kernel_initializer="zeros",
                                                 input_shape=(2,))])
    model.compile(optimizer or tg.optimizers.SGD(learning_rate=lr), "mse",
                  run_eagerly=run_eagerly)
    return model


class Recorder(cb.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append(("train_begin", self.params["epochs"], self.params["steps"]))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("batch_end", batch, sorted(logs)))

    def on_test_begin(self, logs=None):
        self.events.append(("test_begin",))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.events.append(("train_end", sorted(logs)))

    def on_predict_batch_end(self, batch, logs=None):
        self.events.append(("predict_batch_end", batch))


@pytest.mark.parametrize("eager", LOOPS)
def test_hooks_in_keras_order(eager):
    model, rec = model_of(eager), Recorder()
    model.fit(X, Y, batch_size=4, epochs=2, validation_data=(X, Y), callbacks=[rec], verbose=0)
    logs = ["loss", "val_loss"]
    assert rec.model is model
    assert rec.events == [
        ("train_begin", 2, 3),
        ("epoch_begin", 0), ("batch_end", 0, ["loss"]), ("batch_end", 1, ["loss"]),
        ("batch_end", 2, ["loss"]), ("test_begin",), ("epoch_end", 0, logs),
        ("epoch_begin", 1), ("batch_end", 0, ["loss"]), ("batch_end", 1, ["loss"]),
        ("batch_end", 2, ["loss"]), ("test_begin",), ("epoch_end", 1, logs),
        ("train_end", logs)]
    rec.events.clear()
    model.predict(X, batch_size=5, callbacks=[rec], verbose=0)
    assert rec.events == [("predict_batch_end", 0), ("predict_batch_end", 1)]


@pytest.mark.parametrize("eager", LOOPS)
def test_stop_training_in_a_batch_ends_the_epoch_then_training(eager):
    class StopAtSecondBatch(cb.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    model = model_of(eager)
    history = model.fit(X, Y, batch_size=2, epochs=5, callbacks=[StopAtSecondBatch()],
                        validation_data=(X, Y), verbose=0)
    assert history.epoch == [0] and "val_loss" in history.history
    assert model.optimizer.iterations == 2


@pytest.mark.parametrize("eager", LOOPS)
def test_an_error_in_a_callback_propagates_unchanged(eager):
    class Broken(cb.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyError("broken callback")

    model = model_of(eager)
    with pytest.raises(KeyError, match="broken callback"):
        model.fit(X, Y, epochs=3, callbacks=[Broken()], verbose=0)
    assert model.optimizer.iterations == 1  # the first epoch's one batch ran
    model.fit(X, Y, epochs=1, verbose=0)  # the model is still usable


class Scores(cb.Callback):
    """Puts the next value of `values` into the epoch's logs as "score", and keeps the weights of
    each epoch, so EarlyStopping's decisions can be checked exactly."""

    def __init__(self, values):
        super().__init__()
        self.values = list(values)
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.values[epoch]
        self.weights.append(self.model.get_weights())


@pytest.mark.parametrize("eager", LOOPS)
def test_early_stopping_patience_and_restore_best_weights(eager):
    scores = Scores([3.0, 1.0, 2.0, 1.5, 0.5, 0.1])
    stop = cb.EarlyStopping(monitor="score", patience=2, restore_best_weights=True)
    model = model_of(eager)
    history = model.fit(X, Y, epochs=6, callbacks=[scores, stop], verbose=0)
    # epoch 1 is the best (1.0); epochs 2 and 3 do not improve: wait reaches 2 at epoch 3
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["score"] == [3.0, 1.0, 2.0, 1.5]
    assert (stop.stopped_epoch, stop.best_epoch, stop.best, stop.wait) == (3, 1, 1.0, 2)
    for got, best in zip(model.get_weights(), scores.weights[1]):
        np.testing.assert_array_equal(got, best)


def test_early_stopping_patience_zero_min_delta_and_baseline():
    scores = Scores([1.0, 0.95, 0.5])
    stop = cb.EarlyStopping(monitor="score", min_delta=0.1)
    history = model_of(False).fit(X, Y, epochs=3, callbacks=[scores, stop], verbose=0)
    assert history.epoch == [0, 1]  # 0.95 is not better than 1.0 by more than 0.1
    for baseline, epochs in ((None, [0, 1, 2, 3]), (0.5, [0, 1, 2])):
        scores = Scores([1.0, 0.9, 0.95, 0.7])
        stop = cb.EarlyStopping(monitor="score", patience=2, baseline=baseline)
        history = model_of(False).fit(X, Y, epochs=4, callbacks=[scores, stop], verbose=0)
        # improvements that do not beat the baseline do not reset the wait
        assert history.epoch == epochs
    assert cb.EarlyStopping(monitor="val_accuracy").maximise
    with pytest.raises(ValueError, match="unknown"):
        cb.EarlyStopping(mode="largest")


@pytest.mark.parametrize("eager", LOOPS)
def test_model_checkpoint_best_only_and_formatted_paths(tmp_path, eager):
    scores = Scores([2.0, 1.0, 3.0])
    path = str(tmp_path / "ckpt" / "w.{epoch:02d}-{score:.1f}.safetensors")
    saver = cb.ModelCheckpoint(path, monitor="score", save_best_only=True)
    model = model_of(eager)
    model.fit(X, Y, epochs=3, callbacks=[scores, saver], verbose=0)
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == [
        "w.01-2.0.safetensors", "w.02-1.0.safetensors"]
    assert saver.best == 1.0
    again = model_of(eager)
    again.load_weights(str(tmp_path / "ckpt" / "w.02-1.0.safetensors"))
    for got, saved in zip(again.get_weights(), scores.weights[1]):
        np.testing.assert_array_equal(got, saved)
    bad = cb.ModelCheckpoint(str(tmp_path / "{missing}.safetensors"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        model.fit(X, Y, epochs=1, callbacks=[bad], verbose=0)


def test_model_checkpoint_every_n_batches_with_the_optimizer(tmp_path):
    path = str(tmp_path / "b{epoch}-{batch}.safetensors")
    model = model_of(False, optimizer=tg.optimizers.Adam())
    model.fit(X, Y, batch_size=2, epochs=2,
              callbacks=[cb.ModelCheckpoint(path, save_freq=2)], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "b1-2.safetensors", "b1-4.safetensors", "b2-1.safetensors", "b2-3.safetensors",
        "b2-5.safetensors"]
    resumed = model_of(False, optimizer=tg.optimizers.Adam())
    resumed.load_weights(str(tmp_path / "b2-5.safetensors"), optimizer=resumed.optimizer)
    assert resumed.optimizer.iterations == 10


@pytest.mark.parametrize("eager", LOOPS)
def test_learning_rate_scheduler(eager, capsys):
    seen = []
    sched = cb.LearningRateScheduler(lambda epoch, lr: seen.append(lr) or 0.1 / (epoch + 1),
                                     verbose=1)
    model = model_of(eager, lr=0.5)
    history = model.fit(X, Y, epochs=3, callbacks=[sched], verbose=0)
    assert seen == pytest.approx([0.5, 0.1, 0.05])
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.05." in capsys.readouterr().out
    old_api = cb.LearningRateScheduler(lambda epoch: 0.01)
    model.fit(X, Y, epochs=1, callbacks=[old_api], verbose=0)
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    with pytest.raises(ValueError, match="should be float"):
        model.fit(X, Y, epochs=1, callbacks=[cb.LearningRateScheduler(lambda e: "x")], verbose=0)


def test_lambda_callback_and_callback_type_check():
    ends = []
    lam = cb.LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(epoch),
                            on_test_begin=lambda logs: ends.append("test"))
    model_of(False).fit(X, Y, epochs=2, callbacks=[lam], validation_split=0.2, verbose=0)
    assert ends == ["test", 0, "test", 1]
    with pytest.raises(TypeError, match="not a callback hook"):
        cb.LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="Callback objects"):
        model_of(False).fit(X, Y, callbacks=[print], verbose=0)


@pytest.mark.parametrize("eager", LOOPS)
def test_progress_bar_lines(eager, capsys):
    model = model_of(eager)
    model.fit(X, Y, batch_size=4, epochs=2, verbose=2, validation_data=(X, Y))
    out = capsys.readouterr().out
    line = r"3/3 - \d+s - loss: \d\.\d{4} - val_loss: \d\.\d{4} - \d+(us|ms|s)/epoch - \d+(us|ms|s)/step\n"
    assert re.fullmatch("Epoch 1/2\n" + line + "Epoch 2/2\n" + line, out), out
    model.fit(X, Y, batch_size=4, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert re.search(r"\r3/3 \[={30}\] - \d+s \d+(us|ms|s)/step - loss: \d\.\d{4}\s*\n$", out), out
    assert not out.startswith("Epoch")  # one epoch: no "Epoch 1/1"
    model.evaluate(X, Y, verbose=2)
    assert re.fullmatch(r"1/1 - \d+s - loss: \d\.\d{4} - \d+(us|ms|s)/epoch - \d+(us|ms|s)/step\n",
                        capsys.readouterr().out)
    model.predict(X, verbose=0)
    assert capsys.readouterr().out == ""


def test_progbar_output(capsys):
    bar = tg.keras.callbacks.Progbar(4, verbose=2, stateful_metrics={"loss"})
    bar.update(4, [("loss", 0.0001234), ("acc", 0.5)], finalize=True)
    assert re.fullmatch(r"4/4 - \d+s - loss: 1\.2340e-04 - acc: 0\.5000 - \d+(us|ms|s)/epoch - "
                        r"\d+(us|ms|s)/step\n",
                        capsys.readouterr().out)
    bar = tg.keras.callbacks.Progbar(None, verbose=1)
    bar.update(7, [("loss", float("nan"))], finalize=True)
    assert re.fullmatch(r"\r      7/Unknown - \d+s \d+(us|ms|s)/step - loss: nan\n",
                        capsys.readouterr().out)
