# SPDX-License-Identifier: Apache-2.0
"""Keras's Model.compile / fit / evaluate / predict / train_on_batch (keras/engine/training.py,
Keras 2.15), mixed into Model.

Two loops run them, with the same numbers (docs/training.md):
  - the C loop (tg_model_fit, tg_model_evaluate, tg_model_predict) when the model is a plain
    stack of C layers (a Sequential of Dense, Dropout, Flatten, Embedding) and the loss and
    metrics are the library's: Python runs only in the callbacks that need it;
  - the Python loop, one GradientTape step per batch, when the model's forward pass is Python
    (a subclassed Model's call(), a Python layer or activation), the loss is a Python function,
    or compile(run_eagerly=True) asks for it.
"""
import numpy as np

from .._core import op_seed
from . import _c_loop, _py_loop, data
from . import losses as losses_module
from . import metrics as metrics_module
from . import optimizers as optimizers_module
from .base_layer import unsupported
from .callbacks import CallbackList, ModelCheckpoint, ProgbarLogger


class LossTracker:
    """Keras's "loss" metric: a float32 Mean of the batch losses weighted by batch size (the
    per-sample mean, even with a partial last batch), as the C library keeps it."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.total = np.float32(0)
        self.count = np.float32(0)

    def update(self, loss, batch_size):
        values = np.asarray(loss, dtype=np.float32).reshape(-1)
        w = np.float32(batch_size)
        self.total = np.float32(self.total + np.float32(np.sum(values * w, dtype=np.float64)))
        self.count = np.float32(self.count + w * np.float32(values.size))

    def result(self):
        return 0.0 if self.count == 0 else float(np.float32(self.total / self.count))


def _verbosity(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError("verbose must be 'auto', 0, 1 or 2, got %r" % (verbose,))
    return int(verbose)


def _no_generator_options(owner, steps=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, **others):
    unsupported(owner, steps=steps, **others)
    if max_queue_size != 10 or workers != 1 or use_multiprocessing:
        raise NotImplementedError("%s: max_queue_size, workers and use_multiprocessing are for "
                                  "generators, which tapegrad does not implement" % owner)


class Trainer:
    """compile, fit, evaluate, predict and the *_on_batch methods of Model."""

    optimizer = None
    compiled_loss = None
    compiled_metrics = ()
    stop_training = False
    history = None
    _run_eagerly = False

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=None, steps_per_execution=None,
                jit_compile=None, pss_evaluation_shards=0, **kwargs):
        """optimizer: an Optimizer or a name ("adam"); loss: a Loss, a name
        ("sparse_categorical_crossentropy"), or a Python function loss(y_true, y_pred); metrics:
        a list of Metric objects or names ("accuracy"). run_eagerly=True runs fit in Python step
        by step, as it would for a subclassed model. jit_compile is accepted and changes
        nothing (there is no XLA). Others raise NotImplementedError, unknown keywords TypeError."""
        unsupported("compile", loss_weights=loss_weights, weighted_metrics=weighted_metrics,
                    pss_evaluation_shards=pss_evaluation_shards or None)
        if steps_per_execution not in (None, 1):
            raise NotImplementedError("compile: tapegrad does not implement `steps_per_execution`")
        for key in kwargs:
            raise TypeError("Invalid keyword argument(s) in `compile()`: ('%s',)" % key)
        if loss is None:
            raise ValueError("compile: give a loss (tapegrad models have no add_loss)")
        if isinstance(metrics, dict):
            raise NotImplementedError("compile: metrics per output (a dict) are not implemented")
        self.optimizer = optimizers_module.get(optimizer)
        self.compiled_loss = losses_module.get(loss)
        self.loss = loss
        resolved = [metrics_module.get(m) for m in (metrics or [])]
        for i, m in enumerate(resolved):
            for earlier in resolved[:i]:
                if m is earlier or m.name == earlier.name or m._c_name == earlier._c_name:
                    raise ValueError("compile: metrics %r and %r would share the logs key %r"
                                     % (earlier.name, m.name, m.name))
        self.compiled_metrics = resolved
        self._run_eagerly = bool(run_eagerly)

    @property
    def metrics_names(self):
        return ["loss"] + [m.name for m in self.compiled_metrics]

    @property
    def metrics(self):
        return list(self.compiled_metrics)

    def reset_metrics(self):
        self._loss_tracker().reset()
        for m in self.compiled_metrics:
            m.reset_state()

    def _loss_tracker(self):
        if "_tracker" not in self.__dict__:
            object.__setattr__(self, "_tracker", LossTracker())
        return self.__dict__["_tracker"]

    def _require_compiled(self, what):
        if self.compiled_loss is None:
            raise RuntimeError("You must compile your model before %s. Call "
                               "`model.compile(optimizer, loss)`." % what)

    def _loop(self):
        """The C loop's model (a CModel) when it applies, else None (the Python loop)."""
        if self._run_eagerly or not isinstance(self.compiled_loss, losses_module.Loss):
            return None
        return self._c_stack()

    def _c_stack(self):
        return None  # Sequential overrides it

    # ---- fit -----------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, max_queue_size=10, workers=1,
            use_multiprocessing=False, seed=None, distributed=None):
        """Trains for the epoch indices initial_epoch .. epochs - 1 and returns the History
        (history.history["loss"], ["val_loss"], ..., history.epoch). Batches of batch_size (32)
        samples, the last one partial; shuffled every epoch (seeded from tg.random's generator);
        validation_split takes the last fraction before shuffling; validation_data=(x, y[, w])
        overrides it. seed (not in Keras, which shuffles from its global random state): the
        shuffle's seed; the C loop with the same seed shuffles as tg_model_fit does.
        distributed (not in Keras, which uses a strategy scope): a tapegrad.distributed
        communicator; every rank calls fit with the same arrays and batch_size is the global
        batch (docs/distributed.md). Give every rank the same seed. Only rank 0 prints and runs
        ModelCheckpoint. Models of the library's own layers only (the C loop)."""
        self._require_compiled("training/testing")
        _no_generator_options("fit", class_weight=class_weight, steps_per_epoch=steps_per_epoch,
                              validation_steps=validation_steps, max_queue_size=max_queue_size,
                              workers=workers, use_multiprocessing=use_multiprocessing)
        if shuffle not in (True, False):
            raise NotImplementedError("fit: shuffle=%r is not implemented (True or False)"
                                      % (shuffle,))
        if not isinstance(validation_freq, int) or validation_freq < 1:
            raise NotImplementedError("fit: validation_freq must be an integer >= 1 (lists are "
                                      "not implemented), got %r" % (validation_freq,))
        verbose = _verbosity(verbose)
        if distributed is not None and distributed.rank != 0:
            verbose = 0
            callbacks = [c for c in (callbacks or [])
                         if not isinstance(c, (ModelCheckpoint, ProgbarLogger))]
        batch_size = 32 if batch_size is None else int(batch_size)
        arrays = self._arrays(x, y, sample_weight, "fit")
        n = arrays[0].shape[0]
        validation = None
        if validation_data is not None:
            validation = self._arrays(*data.unpack_validation(validation_data), "validation_data")
            validation_split = 0.0
        train_n = data.split_validation(n, validation_split)
        callbacks = CallbackList(callbacks, self, add_history=True, verbose=verbose,
                                 epochs=epochs, steps=data.steps(train_n, batch_size))
        options = dict(batch_size=batch_size, epochs=int(epochs), initial_epoch=int(initial_epoch),
                       shuffle=bool(shuffle), seed=op_seed(seed), validation_split=float(validation_split),
                       validation=validation,
                       validation_batch_size=int(validation_batch_size or batch_size),
                       validation_freq=validation_freq)
        self.stop_training = False
        c_model = self._loop()
        if c_model is not None:
            _c_loop.fit(self, c_model, arrays, callbacks,
                        replica=distributed.replica if distributed is not None else None, **options)
        elif distributed is not None:
            raise NotImplementedError("fit(distributed=...) trains models of the library's own "
                                      "layers and losses (the C loop); this model runs its Python "
                                      "loop (a layer or loss written in Python, or run_eagerly)")
        else:
            _py_loop.fit(self, arrays, callbacks, **options)
        return callbacks.history

    # ---- evaluate --------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, max_queue_size=10, workers=1,
                 use_multiprocessing=False, return_dict=False, **kwargs):
        """The loss and metrics over all of x, y (training behaviour off): a scalar if there is
        no metric, else [loss, metric, ...]; a dict with return_dict=True."""
        self._require_compiled("training/testing")
        _no_generator_options("evaluate", steps=steps, max_queue_size=max_queue_size,
                              workers=workers, use_multiprocessing=use_multiprocessing)
        for key in kwargs:
            raise TypeError("Invalid keyword arguments: %s" % key)
        verbose = _verbosity(verbose)
        batch_size = 32 if batch_size is None else int(batch_size)
        arrays = self._arrays(x, y, sample_weight, "evaluate")
        callbacks = CallbackList(callbacks, self, verbose=verbose,
                                 steps=data.steps(arrays[0].shape[0], batch_size))
        c_model = self._loop()
        if c_model is not None:
            results = _c_loop.evaluate(self, c_model, arrays, batch_size, callbacks)
        else:
            results = _py_loop.evaluate(self, arrays, batch_size, callbacks)
        logs = dict(zip(self.metrics_names, results))
        if return_dict:
            return logs
        return results[0] if len(results) == 1 else results

    # ---- predict ---------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None,
                max_queue_size=10, workers=1, use_multiprocessing=False):
        """model(x, training=False) batch by batch, joined along the first axis, as numpy."""
        _no_generator_options("predict", steps=steps, max_queue_size=max_queue_size,
                              workers=workers, use_multiprocessing=use_multiprocessing)
        verbose = _verbosity(verbose)
        batch_size = 32 if batch_size is None else int(batch_size)
        x = self._input_array(x, "predict")
        callbacks = CallbackList(callbacks, self, verbose=verbose,
                                 steps=data.steps(x.shape[0], batch_size))
        c_model = None if self._run_eagerly else self._c_stack()
        if c_model is not None:
            return _c_loop.predict(self, c_model, x, batch_size, callbacks)
        return _py_loop.predict(self, x, batch_size, callbacks)

    # ---- one batch -------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True, return_dict=False):
        """One training step on one batch; returns the loss and metrics (as evaluate)."""
        self._require_compiled("training/testing")
        unsupported("train_on_batch", class_weight=class_weight)
        if reset_metrics:
            self.reset_metrics()
        arrays = self._arrays(x, y, sample_weight, "train_on_batch")
        c_model = self._loop()
        if c_model is not None:
            loss = _c_loop.train_step(self, c_model, arrays)
        else:
            loss = _py_loop.train_step(self, _py_loop.tensors(arrays))
        self._loss_tracker().update(loss, arrays[0].shape[0])
        return self._batch_results(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                      return_dict=False):
        """The loss and metrics of one batch, training behaviour off."""
        self._require_compiled("training/testing")
        if reset_metrics:
            self.reset_metrics()
        arrays = self._arrays(x, y, sample_weight, "test_on_batch")
        loss = _py_loop.test_step(self, _py_loop.tensors(arrays))
        self._loss_tracker().update(loss, arrays[0].shape[0])
        return self._batch_results(return_dict)

    def predict_on_batch(self, x):
        return np.array(self(self._input_array(x, "predict_on_batch"), training=False))

    def _batch_results(self, return_dict):
        results = [self._loss_tracker().result()] + \
            [float(m.result()) for m in self.compiled_metrics]
        if return_dict:
            return dict(zip(self.metrics_names, results))
        return results[0] if len(results) == 1 else results

    # ---- data ------------------------------------------------------------------------------
    def _input_array(self, x, what):
        x = data.to_array(x, "%s: x" % what)
        if x is None:
            raise ValueError("%s: x is required" % what)
        return data.supported(x)

    def _arrays(self, x, y, sample_weight, what):
        """(x, y, sample_weight) as numpy arrays of supported dtypes, one sample count."""
        x = self._input_array(x, what)
        y = data.to_array(y, "%s: y" % what)
        if y is None:
            raise ValueError("%s: y is required (tapegrad models have no add_loss)" % what)
        y = data.supported(y)
        w = data.to_array(sample_weight, "%s: sample_weight" % what)
        w = None if w is None else data.supported(w)
        data.cardinality_check([("x", x), ("y", y), ("sample_weight", w)])
        if x.shape[0] == 0:
            raise ValueError("%s: the data has no samples" % what)
        return x, y, w
