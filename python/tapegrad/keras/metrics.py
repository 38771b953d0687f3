"""Keras accuracy metrics (tf.keras.metrics) over tapegrad's C metrics: update_state adds a
batch, result() reads the weighted mean (a float32 scalar tensor), reset_state() starts again."""
import ctypes

from .. import dtypes as _dt
from .._core import constant, convert_to_tensor
from .._lib import call, lib, out_handle


class Metric:
    def __init__(self, handle, name):
        self._h = handle
        self.name = name

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
        super().__init__(_make(lib.tg_metric_accuracy), name)


class BinaryAccuracy(Metric):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(_make(lib.tg_metric_binary_accuracy, float(threshold)), name)


class CategoricalAccuracy(Metric):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(_make(lib.tg_metric_categorical_accuracy), name)


class SparseCategoricalAccuracy(Metric):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(_make(lib.tg_metric_sparse_categorical_accuracy), name)
