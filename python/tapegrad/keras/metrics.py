# SPDX-License-Identifier: Apache-2.0
"""Keras accuracy metrics (tf.keras.metrics) over tapegrad's C metrics: update_state adds a
batch, result() reads the weighted mean (a float32 scalar tensor), reset_state() starts again."""
import ctypes

from .. import dtypes as _dt
from .._core import constant, convert_to_tensor
from .._lib import call, lib, out_handle


class Metric:
    """A C metric (tg_metric). `name` is its key in training logs; `_c_name` the C library's."""

    def __init__(self, handle, name, dtype=None):
        self._h = handle
        if dtype is not None and _dt.as_dtype(dtype) is not _dt.float32:
            lib.tg_metric_free(handle)
            self._h = None
            raise NotImplementedError("%s: metrics accumulate in float32 (as Keras's do); dtype=%r "
                                      "is not implemented" % (type(self).__name__, dtype))
        self.name = name
        out = ctypes.c_char_p()
        call(lib.tg_metric_name, handle, ctypes.byref(out))
        self._c_name = out.value.decode()

    @property
    def handle(self):
        return self._h

    def __del__(self, _free=lib.tg_metric_free):
        h = getattr(self, "_h", None)
        if h:
            self._h = None
            _free(h)

    def update_state(self, y_true, y_pred, sample_weight=None):
        yp = convert_to_tensor(y_pred)
        yt = convert_to_tensor(y_true, dtype_hint=yp.dtype)
        w = None if sample_weight is None else convert_to_tensor(sample_weight,
                                                                  dtype_hint=_dt.float32)
        call(lib.tg_metric_update, self._h, yt.handle, yp.handle, None if w is None else w.handle)

    def result(self):
        out = ctypes.c_double()
        call(lib.tg_metric_result, self._h, ctypes.byref(out))
        return constant(out.value, _dt.float32)

    def reset_state(self):
        call(lib.tg_metric_reset, self._h)

    reset_states = reset_state

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()


def _make(fn, *args):
    out = out_handle()
    call(fn, *args, ctypes.byref(out))
    return out.value


class Accuracy(Metric):
    def __init__(self, name="accuracy", dtype=None):
        super().__init__(_make(lib.tg_metric_accuracy), name, dtype)


class BinaryAccuracy(Metric):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(_make(lib.tg_metric_binary_accuracy, float(threshold)), name, dtype)


class CategoricalAccuracy(Metric):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(_make(lib.tg_metric_categorical_accuracy), name, dtype)


class SparseCategoricalAccuracy(Metric):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(_make(lib.tg_metric_sparse_categorical_accuracy), name, dtype)


class KerasAccuracy(Metric):
    """compile(metrics=["accuracy"]) (or "acc"): binary, sparse categorical or categorical
    accuracy, chosen from the shapes at the first update (tg_metric_auto_accuracy)."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(_make(lib.tg_metric_auto_accuracy), name, dtype)


_BY_NAME = {
    "accuracy": KerasAccuracy, "acc": KerasAccuracy,
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
}


def get(identifier):
    """A metric from compile(metrics=[...]): a Metric, or one of the names above (a new metric
    named as given). Other Keras names raise NotImplementedError naming them."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise NotImplementedError(
                "metric %r is not implemented by tapegrad; the metrics are: %s, or a "
                "tg.metrics object" % (identifier, ", ".join(sorted(_BY_NAME))))
        return cls(name=identifier) if cls is KerasAccuracy else cls()
    raise NotImplementedError("metric %r: tapegrad's fit takes tg.metrics objects or their names, "
                              "not Python functions" % (identifier,))
