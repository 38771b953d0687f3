# SPDX-License-Identifier: Apache-2.0
"""Keras callbacks (tf.keras.callbacks, Keras 2.15): Callback to subclass, History,
ProgbarLogger, EarlyStopping, ModelCheckpoint, LearningRateScheduler, LambdaCallback.

They run in Python in both training loops: fit's C loop calls them through one C callback, the
Python loop (subclassed models) directly. Set `self.model.stop_training = True` to stop, as in
Keras. The messages and the progress bar go to sys.stdout, as Keras's print_msg writes them.
"""
import logging
import math
import os

import numpy as np

from .._core import Tensor
from .progbar import Progbar, print_msg

_logger = logging.getLogger("tapegrad")

_BATCH_HOOKS = {
    "train": ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}


class Callback:
    """Base class: override the hooks you need. `self.model` is the model being trained and
    `self.params` holds "verbose", "epochs" and "steps" (batches per epoch)."""

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def implements_batch_hooks(self, mode):
        """Whether a batch hook of `mode` ("train", "test", "predict") is overridden: fit calls
        Python at every batch only for callbacks that need it."""
        return any(getattr(type(self), hook) is not getattr(Callback, hook)
                   for hook in _BATCH_HOOKS[mode])

    def on_batch_begin(self, batch, logs=None):
        """A backwards-compatible alias of on_train_batch_begin."""

    def on_batch_end(self, batch, logs=None):
        """A backwards-compatible alias of on_train_batch_end."""

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass


class CallbackList:
    """Keras's CallbackList: the caller's callbacks, then a History (fit), then a ProgbarLogger
    when verbose is 1 or 2 and the caller gave none."""

    def __init__(self, callbacks, model, add_history=False, verbose=0, epochs=1, steps=None):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError("callbacks must be tg.keras.callbacks.Callback objects, got %r"
                                % (cb,))
        self.history = None
        if add_history:
            self.history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
            if self.history is None:
                self.history = History()
                self.callbacks.append(self.history)
        if verbose and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def needs_batch_hooks(self, mode):
        return any(cb.implements_batch_hooks(mode) for cb in self.callbacks)

    def call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)


class History(Callback):
    """Records every epoch's logs: history.history["loss"] is the list of the epochs' values and
    history.epoch their indices. fit returns it (and sets model.history)."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        self.model.history = self


class ProgbarLogger(Callback):
    """Prints Keras's progress bar (count_mode "steps"): verbose 1 a bar redrawn in place,
    verbose 2 one line per epoch. fit adds one when verbose is 1 or 2."""

    def __init__(self, count_mode="steps", stateful_metrics=None):
        super().__init__()
        if count_mode != "steps":
            raise NotImplementedError("ProgbarLogger: tapegrad counts steps; count_mode=%r is not "
                                      "implemented" % (count_mode,))
        self.stateful_metrics = set(stateful_metrics or ())
        self.progbar = None
        self.target = None
        self.seen = 0
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def implements_batch_hooks(self, mode):
        return self.verbose == 1

    def _start(self):
        self.seen = 0
        stateful = self.stateful_metrics | set(getattr(self.model, "metrics_names", ()))
        self.progbar = Progbar(self.target, verbose=self.verbose, stateful_metrics=stateful,
                               unit_name="step")

    def _batch_update(self, batch, logs):
        if self.progbar is None:
            return
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize(self, logs):
        if self.progbar is None:
            return
        if self.target is None:  # an epoch of unknown length: its count is the target now
            self.target = self.seen
            self.progbar.target = self.seen
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        self._start()
        if self.verbose and self.epochs > 1:
            print_msg("Epoch %d/%d" % (epoch + 1, self.epochs))

    def on_train_batch_end(self, batch, logs=None):
        self._batch_update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._start()

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._batch_update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize(logs)

    def on_predict_begin(self, logs=None):
        self._start()

    def on_predict_batch_end(self, batch, logs=None):
        self._batch_update(batch, None)

    def on_predict_end(self, logs=None):
        self._finalize(None)


def _mode_op(owner, mode, maximise):
    if mode not in ("auto", "min", "max"):
        raise ValueError("%s mode %r is unknown: use 'auto', 'min' or 'max'" % (owner, mode))
    return mode == "max" or (mode == "auto" and maximise)


class EarlyStopping(Callback):
    """Stops training when `monitor` has stopped improving (Keras 2.15's logic): at each epoch
    from start_from_epoch on, wait grows by one; an improvement by more than min_delta records
    the best value (and weights, with restore_best_weights) and resets wait (unless a baseline
    is not beaten); otherwise training stops once wait >= patience (and the epoch is not the
    first), restoring the best weights if asked."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.maximise = _mode_op("EarlyStopping", mode,
                                 monitor.endswith(("acc", "accuracy", "auc")))
        self.min_delta = abs(min_delta) if self.maximise else -abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best = -math.inf if self.maximise else math.inf
        self.best_weights = None

    def _is_improvement(self, value, reference):
        value -= self.min_delta
        return value > reference if self.maximise else value < reference

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = -math.inf if self.maximise else math.inf
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            _logger.warning("Early stopping conditioned on metric `%s` which is not available. "
                            "Available metrics are: %s", self.monitor, ",".join(logs))
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose > 0:
                    print_msg("Restoring model weights from the end of the best epoch: %d."
                              % (self.best_epoch + 1))
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg("Epoch %d: early stopping" % (self.stopped_epoch + 1))


class ModelCheckpoint(Callback):
    """Saves the model's weights (the structural checkpoint of model.save_weights) at every
    epoch end, or every save_freq batches, or only when `monitor` improves (save_best_only).
    filepath is formatted with epoch (1-based), batch and the logs:
    "ckpt/weights.{epoch:02d}-{val_loss:.2f}.safetensors". save_weights_only=False (Keras's
    default, which saves the whole model) saves the optimizer's state with the weights."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", options=None,
                 initial_value_threshold=None, **kwargs):
        super().__init__()
        if options is not None or kwargs:
            name = "options" if options is not None else next(iter(kwargs))
            raise NotImplementedError("ModelCheckpoint: tapegrad does not implement `%s`" % name)
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError("Unrecognized save_freq: %r" % (save_freq,))
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.maximise = _mode_op("ModelCheckpoint", mode,
                                 "acc" in monitor or monitor.startswith("fmeasure"))
        if initial_value_threshold is not None:
            self.best = initial_value_threshold
        else:
            self.best = -math.inf if self.maximise else math.inf
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0

    def implements_batch_hooks(self, mode):
        return mode == "train" and self.save_freq != "epoch"

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        seen = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_seen_since_last_saving += seen
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _file_path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError('Failed to format this callback filepath: "%s". Reason: %s'
                           % (self.filepath, e)) from None

    def _save(self, epoch, batch, logs):
        logs = dict(logs or {})
        path = self._file_path(epoch, batch, logs)
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                _logger.warning("Can save best model only with %s available, skipping.",
                                self.monitor)
                return
            if not (current > self.best if self.maximise else current < self.best):
                if self.verbose > 0:
                    print_msg("\nEpoch %d: %s did not improve from %.5f"
                              % (epoch + 1, self.monitor, self.best))
                return
            if self.verbose > 0:
                print_msg("\nEpoch %d: %s improved from %.5f to %.5f, saving model to %s"
                          % (epoch + 1, self.monitor, self.best, current, path))
            self.best = current
        elif self.verbose > 0:
            print_msg("\nEpoch %d: saving model to %s" % (epoch + 1, path))
        optimizer = None if self.save_weights_only else getattr(self.model, "optimizer", None)
        self.model.save_weights(path, optimizer=optimizer)


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate to schedule(epoch, lr) (or schedule(epoch)) at each
    epoch's start; each epoch's logs gain "lr". Replaces a schedule set on the optimizer."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:
            lr = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:  # the old API: schedule(epoch)
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.floating, Tensor)) or \
                isinstance(lr, Tensor) and not lr.dtype.is_floating:
            raise ValueError('The output of the "schedule" function should be float. Got: %r'
                             % (lr,))
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print_msg("\nEpoch %d: LearningRateScheduler setting learning rate to %s."
                      % (epoch + 1, lr))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(np.float32(self.model.optimizer.learning_rate))


class LambdaCallback(Callback):
    """A callback from functions: on_epoch_begin(epoch, logs), on_epoch_end(epoch, logs),
    on_batch_begin(batch, logs), on_batch_end(batch, logs), on_train_begin(logs),
    on_train_end(logs), and any other hook by its name."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_batch_begin=on_batch_begin, on_batch_end=on_batch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end, **kwargs)
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise TypeError("LambdaCallback: %r is not a callback hook" % name)
            if fn is not None:
                setattr(self, name, fn)

    def implements_batch_hooks(self, mode):
        return any(hook in self.__dict__ for hook in _BATCH_HOOKS[mode])
