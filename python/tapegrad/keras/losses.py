# SPDX-License-Identifier: Apache-2.0
"""Keras losses (tf.keras.losses) over tapegrad's C loss objects: same numbers as Keras 2.15
(see tg_loss_call in tapegrad.h). loss(y_true, y_pred, sample_weight=None) returns a scalar
tensor, or the weighted per-sample losses with reduction='none'; it is recorded on active tapes.
y_true may be any numeric tensor or array: it is cast to y_pred's dtype."""
import ctypes

from .._core import Tensor, convert_to_tensor
from .._lib import call, lib, out_handle


class Reduction:
    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"


_REDUCTIONS = {"auto": 0, "none": 1, "sum": 2, "sum_over_batch_size": 3}


def _reduction(value):
    try:
        return _REDUCTIONS[value]
    except KeyError:
        raise ValueError("Invalid Reduction Key: %s. Expected keys are \"('auto', 'none', "
                         "'sum', 'sum_over_batch_size')\"" % (value,)) from None


class Loss:
    def __init__(self, handle, reduction, name):
        self._h = handle
        self.reduction = reduction
        self.name = name

    @property
    def handle(self):
        return self._h

    def __del__(self, _free=lib.tg_loss_free):
        h = getattr(self, "_h", None)
        if h:
            self._h = None
            _free(h)

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = convert_to_tensor(y_pred)
        y_true = convert_to_tensor(y_true, dtype_hint=y_pred.dtype)
        w = None if sample_weight is None else convert_to_tensor(sample_weight,
                                                                  dtype_hint=y_pred.dtype)
        out = out_handle()
        call(lib.tg_loss_call, self._h, y_true.handle, y_pred.handle,
             None if w is None else w.handle, ctypes.byref(out))
        return Tensor(out.value)


def _make(fn, *args):
    out = out_handle()
    call(fn, *args, ctypes.byref(out))
    return out.value


class CategoricalCrossentropy(Loss):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="auto",
                 name="categorical_crossentropy"):
        if axis != -1:
            raise ValueError("CategoricalCrossentropy: only axis=-1 is supported")
        super().__init__(_make(lib.tg_loss_categorical_crossentropy, int(bool(from_logits)),
                               float(label_smoothing), _reduction(reduction)), reduction, name)


class SparseCategoricalCrossentropy(Loss):
    def __init__(self, from_logits=False, ignore_class=None, reduction="auto",
                 name="sparse_categorical_crossentropy"):
        super().__init__(_make(lib.tg_loss_sparse_categorical_crossentropy,
                               int(bool(from_logits)), int(ignore_class is not None),
                               0 if ignore_class is None else int(ignore_class),
                               _reduction(reduction)), reduction, name)


class BinaryCrossentropy(Loss):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="auto",
                 name="binary_crossentropy"):
        if axis != -1:
            raise ValueError("BinaryCrossentropy: only axis=-1 is supported")
        super().__init__(_make(lib.tg_loss_binary_crossentropy, int(bool(from_logits)),
                               float(label_smoothing), _reduction(reduction)), reduction, name)


class MeanSquaredError(Loss):
    def __init__(self, reduction="auto", name="mean_squared_error"):
        super().__init__(_make(lib.tg_loss_mean_squared_error, _reduction(reduction)),
                         reduction, name)


class MeanAbsoluteError(Loss):
    def __init__(self, reduction="auto", name="mean_absolute_error"):
        super().__init__(_make(lib.tg_loss_mean_absolute_error, _reduction(reduction)),
                         reduction, name)


class Huber(Loss):
    def __init__(self, delta=1.0, reduction="auto", name="huber_loss"):
        super().__init__(_make(lib.tg_loss_huber, float(delta), _reduction(reduction)),
                         reduction, name)


# The function forms return the per-sample losses (tf.keras.losses.categorical_crossentropy).
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    return CategoricalCrossentropy(from_logits, label_smoothing, axis, "none")(y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1,
                                    ignore_class=None):
    if axis != -1:
        raise NotImplementedError("sparse_categorical_crossentropy: only axis=-1 is implemented")
    return SparseCategoricalCrossentropy(from_logits, ignore_class, "none")(y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    return BinaryCrossentropy(from_logits, label_smoothing, axis, "none")(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    return MeanSquaredError("none")(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    return MeanAbsoluteError("none")(y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    return Huber(delta, "none")(y_true, y_pred)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


_BY_NAME = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber,
}
_FUNCTIONS = {
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy, mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError, huber: Huber,
}


def get(identifier):
    """A loss from compile(loss=...): a Loss object, a Loss class, a Keras name
    ("sparse_categorical_crossentropy", "mse", ...), one of the functions above (each made a Loss
    object with its defaults), or any other callable loss(y_true, y_pred) returning a tensor,
    which fit then calls from Python at each step."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise NotImplementedError("loss %r is not implemented by tapegrad; the losses are: %s"
                                      % (identifier, ", ".join(sorted(_BY_NAME))))
        return cls()
    if identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]()
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret loss identifier: %r" % (identifier,))
