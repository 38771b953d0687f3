# SPDX-License-Identifier: Apache-2.0
"""fit, evaluate and predict one step at a time in Python (Keras's train_step / test_step /
predict_step), for models whose forward pass or loss is Python. The numbers follow the C loop
(src/nn/training/): batches of the arrays in order or in a per-epoch permutation, the last one
partial; labels (N) against predictions (N, C) gain a trailing axis; the loss tracker weighs each
batch by its size in float32; metrics are updated from the forward pass before the update."""
import numpy as np

from .. import _ops
from .._core import Tensor, convert_to_tensor, from_numpy
from .._tape import GradientTape
from . import data


def tensors(arrays):
    return tuple(None if a is None else from_numpy(a) for a in arrays)


def _match(y, y_pred, w):
    """compile_utils.match_dtype_and_rank, as the C loop does it."""
    if y.ndim == 1 and y_pred.ndim == 2:
        y = _ops.expand_dims(y, -1)
    if w is not None and w.ndim == 1 and y_pred.ndim == 2:
        w = _ops.expand_dims(w, -1)
    t, p = y.dtype, y_pred.dtype
    if t is not p and (t.is_floating and p.is_floating or t.is_integer and p.is_integer):
        y = _ops.cast(y, p)
    return y, w


def _loss(model, y, y_pred, w):
    """The compiled loss; a Python function's per-sample values are weighted and averaged
    (Keras's LossFunctionWrapper with SUM_OVER_BATCH_SIZE)."""
    loss = model.compiled_loss
    if hasattr(loss, "handle"):
        return loss(y, y_pred, sample_weight=w)
    values = convert_to_tensor(loss(y, y_pred))
    if w is not None:
        values = values * _ops.cast(w, values.dtype)
    return _ops.reduce_mean(values)


def train_step(model, batch):
    x, y, w = batch
    with GradientTape() as tape:
        y_pred = model(x, training=True)
        y, w = _match(y, y_pred, w)
        loss = _loss(model, y, y_pred, w)
    variables = model.trainable_variables
    grads = tape.gradient(loss, variables)
    for m in model.compiled_metrics:
        m.update_state(y, y_pred)
    model.optimizer.apply_gradients(zip(grads, variables))
    return loss.numpy()


def test_step(model, batch):
    x, y, w = batch
    y_pred = model(x, training=False)
    y, w = _match(y, y_pred, w)
    loss = _loss(model, y, y_pred, w)
    for m in model.compiled_metrics:
        m.update_state(y, y_pred)
    return loss.numpy()


def _results(model):
    return dict(zip(model.metrics_names, [model._loss_tracker().result()] +
                    [float(m.result()) for m in model.compiled_metrics]))


def _batches(n, batch_size, order=None):
    for step, start in enumerate(range(0, n, batch_size)):
        yield step, (slice(start, start + batch_size) if order is None
                     else order[start:start + batch_size])


def _take(arrays, index):
    return tensors(None if a is None else a[index] for a in arrays)


def fit(model, arrays, callbacks, batch_size, epochs, initial_epoch, shuffle, seed,
        validation_split, validation, validation_batch_size, validation_freq):
    n = arrays[0].shape[0]
    if validation is None and validation_split:
        split = data.split_validation(n, validation_split)
        validation = tuple(None if a is None else a[split:] for a in arrays)
        arrays = tuple(None if a is None else a[:split] for a in arrays)
        n = split
    hooks = callbacks.needs_batch_hooks("train")
    tracker = model._loss_tracker()
    logs = {}
    callbacks.call("on_train_begin", {})
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        callbacks.call("on_epoch_begin", epoch, {})
        order = np.random.default_rng([seed, epoch]).permutation(n) if shuffle else None
        for step, index in _batches(n, batch_size, order):
            if hooks:
                callbacks.call("on_train_batch_begin", step, {})
            batch = _take(arrays, index)
            tracker.update(train_step(model, batch), batch[0].shape[0])
            if hooks:
                callbacks.call("on_train_batch_end", step, _results(model))
            if model.stop_training:
                break
        logs = _results(model)
        if validation is not None and (epoch + 1) % validation_freq == 0:
            values = evaluate(model, validation, validation_batch_size, callbacks)
            logs.update(("val_" + k, v) for k, v in zip(model.metrics_names, values))
        callbacks.call("on_epoch_end", epoch, logs)
        if model.stop_training:
            break
    callbacks.call("on_train_end", logs)


def evaluate(model, arrays, batch_size, callbacks):
    hooks = callbacks.needs_batch_hooks("test")
    tracker = model._loss_tracker()
    model.reset_metrics()
    callbacks.call("on_test_begin", {})
    for step, index in _batches(arrays[0].shape[0], batch_size):
        if hooks:
            callbacks.call("on_test_batch_begin", step, {})
        batch = _take(arrays, index)
        tracker.update(test_step(model, batch), batch[0].shape[0])
        if hooks:
            callbacks.call("on_test_batch_end", step, _results(model))
    logs = _results(model)
    callbacks.call("on_test_end", logs)
    return list(logs.values())


def predict(model, x, batch_size, callbacks):
    hooks = callbacks.needs_batch_hooks("predict")
    outputs = []
    callbacks.call("on_predict_begin", {})
    for step, index in _batches(x.shape[0], batch_size):
        if hooks:
            callbacks.call("on_predict_batch_begin", step, {})
        y = model(from_numpy(x[index]), training=False)
        outputs.append(np.array(y.numpy() if isinstance(y, Tensor) else y))
        if hooks:
            callbacks.call("on_predict_batch_end", step, {})
    callbacks.call("on_predict_end", {})
    if outputs[0].ndim == 0:
        return np.stack(outputs)
    return np.concatenate(outputs, axis=0)
