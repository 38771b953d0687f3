# SPDX-License-Identifier: Apache-2.0
"""fit, evaluate, predict and one training step of a plain stack of C layers, run by the C
library (tg_model_fit, tg_model_evaluate, tg_model_predict, tg_model_train_step). The Python
callbacks are reached through one C callback (a _Bridge), which skips the batch events no
callback implements, so a step costs no Python unless a callback asks for it."""
import ctypes

import numpy as np

from .._core import Tensor, from_numpy
from .._lib import (CALLBACK_FN, EvaluateOptions, FitOptions, PredictOptions, call, check,
                    handle_array, lib, out_handle)
from .layers import TG_LAYER_EMBEDDING

# tg_callback_event -> (the Keras hook, whether it takes an index, the batch hooks' mode)
_EVENTS = (
    ("on_train_begin", False, None), ("on_train_end", False, None),
    ("on_epoch_begin", True, None), ("on_epoch_end", True, None),
    ("on_train_batch_begin", True, "train"), ("on_train_batch_end", True, "train"),
    ("on_test_begin", False, None), ("on_test_end", False, None),
    ("on_test_batch_begin", True, "test"), ("on_test_batch_end", True, "test"),
    ("on_predict_begin", False, None), ("on_predict_end", False, None),
    ("on_predict_batch_begin", True, "predict"), ("on_predict_batch_end", True, "predict"),
)
_CALLBACK_FAILED = 1  # any status but TG_OK stops the run; the Python exception is re-raised


class _Bridge:
    """A tg_callback that calls the CallbackList's hooks with the logs as a dict (the C
    metric names replaced by the compiled metrics' names) and passes model.stop_training on."""

    def __init__(self, model, callbacks):
        self.model = model
        self.callbacks = callbacks
        self.error = None
        self.batch_hooks = {mode: callbacks.needs_batch_hooks(mode)
                            for mode in ("train", "test", "predict")}
        self.names = {}
        for m in model.compiled_metrics:
            self.names[m._c_name] = m.name
            self.names["val_" + m._c_name] = "val_" + m.name
        self.fn = CALLBACK_FN(self._call)  # why an attribute: C keeps only the pointer
        out = out_handle()
        call(lib.tg_callback_create, self.fn, None, ctypes.byref(out))
        self.handle = out.value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        lib.tg_callback_free(self.handle)

    def _logs(self, logs):
        size = ctypes.c_size_t()
        check(lib.tg_logs_size(logs, ctypes.byref(size)))
        name, value, out = ctypes.c_char_p(), ctypes.c_double(), {}
        for i in range(size.value):
            check(lib.tg_logs_name(logs, i, ctypes.byref(name)))
            check(lib.tg_logs_value(logs, i, ctypes.byref(value)))
            key = name.value.decode()
            out[self.names.get(key, key)] = value.value
        return out

    def _call(self, training, event, index, logs, user_data):
        try:
            hook, indexed, mode = _EVENTS[event]
            if mode is not None and not self.batch_hooks[mode]:
                return 0
            values = self._logs(logs)
            self.callbacks.call(hook, *((index, values) if indexed else (values,)))
            if self.model.stop_training:
                check(lib.tg_training_stop(training))
            return 0
        except BaseException as e:  # noqa: B902 (KeyboardInterrupt too: re-raised after the run)
            self.error = e
            return _CALLBACK_FAILED

    def raise_if_failed(self, status):
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        check(status)


def _tensors(c_model, arrays):
    """x cast to the first layer's floating dtype and y to the last's (what each step would
    cast to), as tensors over the arrays' memory."""
    x, y, w = arrays
    layers = c_model.layers
    if x.dtype.kind == "f" and layers[0]._type != TG_LAYER_EMBEDDING:  # which takes indices
        x = np.ascontiguousarray(x, layers[0]._dtype.as_numpy_dtype)
    if y is not None and y.dtype.kind == "f":
        y = np.ascontiguousarray(y, layers[-1]._dtype.as_numpy_dtype)
    return tuple(None if a is None else from_numpy(a) for a in (x, y, w))


def _handle(t):
    return None if t is None else t.handle


def _metrics(model):
    ms = model.compiled_metrics
    return handle_array([m.handle for m in ms]), len(ms)


def fit(model, c_model, arrays, callbacks, batch_size, epochs, initial_epoch, shuffle, seed,
        validation_split, validation, validation_batch_size, validation_freq, replica=None):
    model._ensure_built(arrays[0].shape)
    x, y, w = _tensors(c_model, arrays)
    val = _tensors(c_model, validation) if validation is not None else (None, None, None)
    with _Bridge(model, callbacks) as bridge:
        options = FitOptions()
        check(lib.tg_fit_options_init(ctypes.byref(options)))
        options.batch_size, options.epochs, options.initial_epoch = batch_size, epochs, initial_epoch
        options.shuffle, options.seed = int(shuffle), seed
        options.sample_weight = _handle(w)
        options.validation_split = validation_split
        options.validation_x, options.validation_y = _handle(val[0]), _handle(val[1])
        options.validation_sample_weight = _handle(val[2])
        options.validation_batch_size = validation_batch_size
        options.validation_freq = validation_freq
        callback_array = handle_array([bridge.handle])
        options.callbacks, options.num_callbacks = callback_array, 1
        options.replica = replica
        metrics, n = _metrics(model)
        status = lib.tg_model_fit(c_model.handle, model.compiled_loss.handle,
                                  model.optimizer._handle(), metrics, n, x.handle, y.handle,
                                  ctypes.byref(options), None)
        bridge.raise_if_failed(status)


def evaluate(model, c_model, arrays, batch_size, callbacks):
    model._ensure_built(arrays[0].shape)
    x, y, w = _tensors(c_model, arrays)
    with _Bridge(model, callbacks) as bridge:
        options = EvaluateOptions()
        check(lib.tg_evaluate_options_init(ctypes.byref(options)))
        options.batch_size, options.sample_weight = batch_size, _handle(w)
        callback_array = handle_array([bridge.handle])
        options.callbacks, options.num_callbacks = callback_array, 1
        metrics, n = _metrics(model)
        results = (ctypes.c_double * (n + 1))()
        status = lib.tg_model_evaluate(c_model.handle, model.compiled_loss.handle, metrics, n,
                                       x.handle, y.handle, ctypes.byref(options), results, n + 1)
        bridge.raise_if_failed(status)
    return list(results)


def predict(model, c_model, x, batch_size, callbacks):
    model._ensure_built(x.shape)
    x = _tensors(c_model, (x, None, None))[0]
    with _Bridge(model, callbacks) as bridge:
        options = PredictOptions()
        check(lib.tg_predict_options_init(ctypes.byref(options)))
        options.batch_size = batch_size
        callback_array = handle_array([bridge.handle])
        options.callbacks, options.num_callbacks = callback_array, 1
        out = out_handle()
        status = lib.tg_model_predict(c_model.handle, x.handle, ctypes.byref(options),
                                      ctypes.byref(out))
        bridge.raise_if_failed(status)
    return np.array(Tensor(out.value).numpy())


def train_step(model, c_model, arrays):
    """tg_model_train_step on one batch; returns its loss."""
    model._ensure_built(arrays[0].shape)
    x, y, w = _tensors(c_model, arrays)
    metrics, n = _metrics(model)
    loss = ctypes.c_double()
    call(lib.tg_model_train_step, c_model.handle, model.compiled_loss.handle,
         model.optimizer._handle(), metrics, n, x.handle, y.handle, _handle(w),
         ctypes.byref(loss))
    return loss.value
