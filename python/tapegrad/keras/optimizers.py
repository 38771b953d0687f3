# SPDX-License-Identifier: Apache-2.0
"""The new Keras optimizers (tf.keras.optimizers since TF 2.11) over tapegrad's C optimizers:
SGD, Adam, AdamW, RMSprop, Adagrad, with Keras's clipnorm / global_clipnorm / clipvalue /
weight_decay arguments and learning-rate schedules (optimizers.schedules).

    optimizer = tg.optimizers.Adam()
    optimizer.apply_gradients(zip(grads, model.trainable_variables))   # -> 1, 2, ...

apply_gradients returns the iteration count as a Python int (Keras returns the iterations
variable, whose value this is). Warnings of the C library (a variable without gradient) go to
the "tapegrad" logger, as Keras logs them.
"""
import ctypes
import logging
import math

from .._core import Variable, convert_to_tensor
from .._lib import call, handle_array, immortal, int64_array, lib, out_handle

_logger = logging.getLogger("tapegrad")


def _make_warning_handler():
    @ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_void_p)
    def handler(message, context):
        _logger.warning(message.decode("utf-8", "replace"))
    return immortal(handler)


_warning_handler = _make_warning_handler()
call(lib.tg_set_warning_handler, ctypes.cast(_warning_handler, ctypes.c_void_p), None)


class schedules:  # noqa: N801 (a namespace, as tf.keras.optimizers.schedules)
    class LearningRateSchedule:
        def __call__(self, step):
            raise NotImplementedError

    class ExponentialDecay(LearningRateSchedule):
        def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                     name=None):
            self.initial_learning_rate = float(initial_learning_rate)
            self.decay_steps = int(decay_steps)
            self.decay_rate = float(decay_rate)
            self.staircase = bool(staircase)

        def __call__(self, step):
            p = float(step) / self.decay_steps
            return self.initial_learning_rate * self.decay_rate ** (
                math.floor(p) if self.staircase else p)

        def _apply(self, h):
            call(lib.tg_optimizer_set_exponential_decay, h, self.initial_learning_rate,
                 self.decay_steps, self.decay_rate, int(self.staircase))

    class CosineDecay(LearningRateSchedule):
        def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None):
            self.initial_learning_rate = float(initial_learning_rate)
            self.decay_steps = int(decay_steps)
            self.alpha = float(alpha)

        def __call__(self, step):
            s = min(float(step), self.decay_steps)
            cosine = 0.5 * (1 + math.cos(math.pi * s / self.decay_steps))
            return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

        def _apply(self, h):
            call(lib.tg_optimizer_set_cosine_decay, h, self.initial_learning_rate,
                 self.decay_steps, self.alpha)

    class PiecewiseConstantDecay(LearningRateSchedule):
        def __init__(self, boundaries, values, name=None):
            if len(values) != len(boundaries) + 1:
                raise ValueError("The length of boundaries should be 1 less than the length of "
                                 "values")
            self.boundaries = [int(b) for b in boundaries]
            self.values = [float(v) for v in values]

        def __call__(self, step):
            for b, v in zip(self.boundaries, self.values):
                if step <= b:
                    return v
            return self.values[-1]

        def _apply(self, h):
            b, n = int64_array(self.boundaries)
            v = (ctypes.c_double * len(self.values))(*self.values)
            call(lib.tg_optimizer_set_piecewise_constant_decay, h, b, n, v)


class Optimizer:
    """Base of the optimizers: owns a tg_optimizer."""

    def __init__(self, handle, name, learning_rate, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, weight_decay=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True):
        """jit_compile is accepted for Keras code and changes nothing (tapegrad has no XLA);
        use_ema=True raises NotImplementedError."""
        self._h = handle
        if use_ema:
            raise NotImplementedError("%s: tapegrad does not implement `use_ema` (nor "
                                      "ema_momentum, ema_overwrite_frequency)" % name)
        self.name = name
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            self.learning_rate = learning_rate
        for key, value in (("clipnorm", clipnorm), ("global_clipnorm", global_clipnorm),
                           ("clipvalue", clipvalue), ("weight_decay", weight_decay)):
            if value is not None:
                call(lib.tg_optimizer_set, handle, key.encode(), float(value))

    def __del__(self, _free=lib.tg_optimizer_free):
        h = getattr(self, "_h", None)
        if h:
            self._h = None
            _free(h)

    def _handle(self):
        return self._h

    @property
    def learning_rate(self):
        """The learning rate the next step will use."""
        out = ctypes.c_double()
        call(lib.tg_optimizer_get, self._h, b"learning_rate", ctypes.byref(out))
        return out.value

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule):
            value._apply(self._h)
        else:
            call(lib.tg_optimizer_set, self._h, b"learning_rate", float(value))

    lr = learning_rate

    @property
    def iterations(self):
        out = ctypes.c_int64()
        call(lib.tg_optimizer_iterations, self._h, ctypes.byref(out))
        return out.value

    @iterations.setter
    def iterations(self, value):
        call(lib.tg_optimizer_set_iterations, self._h, int(value))

    def build(self, var_list):
        vs = list(var_list)
        call(lib.tg_optimizer_build, self._h, handle_array([v.handle for v in vs]), len(vs))

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        vs = list(var_list or [])
        patterns = [p.encode() for p in (var_names or [])]
        arr = (ctypes.c_char_p * max(len(patterns), 1))(*patterns)
        call(lib.tg_optimizer_exclude_from_weight_decay, self._h,
             handle_array([v.handle for v in vs]), len(vs), arr, len(patterns))

    def apply_gradients(self, grads_and_vars, name=None):
        """One step: updates each variable with its gradient (None gradients are skipped with
        a warning). Returns the new iteration count (1 after the first step)."""
        pairs = list(grads_and_vars)
        variables, grads = [], []
        for g, v in pairs:
            if not isinstance(v, Variable):
                raise TypeError("apply_gradients: expected a tg.Variable, got %r" % (v,))
            variables.append(v)
            grads.append(None if g is None else convert_to_tensor(g, dtype_hint=v.dtype))
        it = ctypes.c_int64()
        call(lib.tg_optimizer_apply, self._h, handle_array([v.handle for v in variables]),
             handle_array([None if g is None else g.handle for g in grads]), len(pairs),
             ctypes.byref(it))
        return it.value

    def minimize(self, loss, var_list, tape=None):
        """Computes gradients of `loss` (a callable, or a tensor recorded on `tape`) for
        var_list and applies them. Returns the iteration count."""
        from .._tape import GradientTape
        var_list = list(var_list() if callable(var_list) else var_list)
        if callable(loss):
            with GradientTape() as tape:
                value = loss()
        else:
            if tape is None:
                raise ValueError("`tape` is required when a `Tensor` loss is passed.")
            value = loss
        grads = tape.gradient(value, var_list)
        return self.apply_gradients(zip(grads, var_list))


def _make(fn, *args):
    out = out_handle()
    call(fn, *args, ctypes.byref(out))
    return out.value


_COMMON_KEYWORDS = ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay", "use_ema",
                    "ema_momentum", "ema_overwrite_frequency", "jit_compile")


def _check_keywords(name, kwargs):
    """Before the C optimizer is made, so a typo leaks nothing."""
    for key in kwargs:
        if key not in _COMMON_KEYWORDS:
            raise TypeError("%s got an unexpected keyword argument '%s'" % (name, key))


def _create(kind, learning_rate, **hyperparameters):
    """A new tg_optimizer of Keras name `kind` with the hyperparameters set (a learning-rate
    schedule is applied afterwards by Optimizer.__init__)."""
    h = _make(lib.tg_optimizer_create, kind.encode())
    try:
        if not isinstance(learning_rate, schedules.LearningRateSchedule):
            hyperparameters["learning_rate"] = learning_rate
        for name, value in hyperparameters.items():
            call(lib.tg_optimizer_set, h, name.encode(), float(value))
    except Exception:
        lib.tg_optimizer_free(h)
        raise
    return h


class SGD(Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        _check_keywords(name, kwargs)
        super().__init__(_create("sgd", learning_rate, momentum=momentum, nesterov=bool(nesterov)),
                         name, learning_rate, **kwargs)


class Adam(Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="Adam", **kwargs):
        _check_keywords(name, kwargs)
        super().__init__(_create("adam", learning_rate, beta_1=beta_1, beta_2=beta_2,
                                 epsilon=epsilon, amsgrad=bool(amsgrad)),
                         name, learning_rate, **kwargs)


class AdamW(Optimizer):
    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, name="AdamW", **kwargs):
        _check_keywords(name, kwargs)
        super().__init__(_create("adamw", learning_rate, weight_decay=weight_decay, beta_1=beta_1,
                                 beta_2=beta_2, epsilon=epsilon, amsgrad=bool(amsgrad)),
                         name, learning_rate, **kwargs)


class RMSprop(Optimizer):
    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 name="RMSprop", **kwargs):
        _check_keywords(name, kwargs)
        super().__init__(_create("rmsprop", learning_rate, rho=rho, momentum=momentum,
                                 epsilon=epsilon, centered=bool(centered)),
                         name, learning_rate, **kwargs)


class Adagrad(Optimizer):
    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="Adagrad", **kwargs):
        _check_keywords(name, kwargs)
        super().__init__(_create("adagrad", learning_rate,
                                 initial_accumulator_value=initial_accumulator_value,
                                 epsilon=epsilon),
                         name, learning_rate, **kwargs)


_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(identifier):
    """An optimizer from compile(optimizer=...): an Optimizer, or a Keras name (case-insensitive)
    made with Keras's defaults."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError("Could not interpret optimizer identifier: %r (tapegrad has %s)"
                             % (identifier, ", ".join(sorted(_BY_NAME))))
        return cls()
    raise ValueError("Could not interpret optimizer identifier: %r" % (identifier,))
