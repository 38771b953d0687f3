# SPDX-License-Identifier: Apache-2.0
"""tg.GradientTape: tf.GradientTape over tg_tape_* (docs/gradient-tape.md).

    with tg.GradientTape(persistent=False, watch_accessed_variables=True) as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)            # one source -> one gradient; a list -> a list; None if unconnected
    tape.jacobian(y, [x, v])       # shapes y.shape + source.shape

As in TensorFlow, the constructor only stores the flags; `with` begins (or re-enters) the tape,
gradient() inside the block of a non-persistent tape stops its recording first, and a
non-persistent tape gives one set of gradients. Differences: parallel_iterations and
experimental_use_pfor of jacobian are accepted and ignored (the C library computes one
backward pass per target element); watched_variables() returns new Variable objects for the
same variables (compare names, not identity).
"""
import contextlib
import ctypes
import enum

from ._core import Tensor, Variable, convert_to_tensor, flatten, pack_sequence_as
from ._lib import call, handle_array, lib, out_handle
from .errors import InvalidStateError

TG_TAPE_PERSISTENT = 1
TG_TAPE_NO_WATCH_ACCESSED_VARIABLES = 2


class UnconnectedGradients(enum.Enum):
    """tf.UnconnectedGradients: what a source the target does not depend on gets."""
    NONE = "none"
    ZERO = "zero"


def _unconnected(value):
    if value is UnconnectedGradients.NONE:  # the default, without the Enum lookup
        return 0
    try:
        u = value if isinstance(value, UnconnectedGradients) else UnconnectedGradients(value)
    except ValueError:
        raise ValueError("Unknown value for unconnected_gradients: %r" % (value,)) from None
    return 0 if u is UnconnectedGradients.NONE else 1


def _differentiable(x, what):
    if isinstance(x, (Tensor, Variable)):
        return x
    raise ValueError("Passed in object %r of type %r, not tg.Tensor or tg.Variable (as %s)"
                     % (x, type(x).__name__, what))


class GradientTape:
    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._h = None
        self._recording = False

    def __del__(self, _free=lib.tg_tape_free):
        h = getattr(self, "_h", None)
        if h:
            self._h = None
            _free(h)

    # -- the `with` block --
    def __enter__(self):
        if self._h is None:
            flags = (TG_TAPE_PERSISTENT if self._persistent else 0) | (
                0 if self._watch_accessed_variables else TG_TAPE_NO_WATCH_ACCESSED_VARIABLES)
            out = out_handle()
            call(lib.tg_tape_begin, flags, ctypes.byref(out))
            self._h = out.value
        else:
            call(lib.tg_tape_enter, self._h)
        self._recording = True
        return self

    def __exit__(self, exc_type, exc, tb):
        believed_recording = self._recording
        self._recording = False
        try:
            call(lib.tg_tape_end, self._h)
        except InvalidStateError:
            # A gradient call inside the block of a non-persistent tape already stopped it.
            if believed_recording and exc_type is None:
                raise
        return False

    def _handle(self):
        if self._h is None:
            raise RuntimeError("This GradientTape was never entered: use `with tg.GradientTape() "
                               "as tape:` first")
        return self._h

    @contextlib.contextmanager
    def stop_recording(self):
        """Ops run inside are not recorded on this tape (tape.stop_recording())."""
        if self._h is None:
            raise RuntimeError("Trying to stop recording a tape which is not recording.")
        call(lib.tg_tape_stop_recording, self._h)
        self._recording = False
        try:
            yield
        finally:
            call(lib.tg_tape_resume_recording, self._h)
            self._recording = True

    def reset(self):
        """Drops everything recorded so far and keeps recording (tape.reset())."""
        call(lib.tg_tape_reset, self._handle())

    def watch(self, tensor):
        """Makes the tape track a Tensor or Variable, or each one in a list/tuple/dict."""
        h = self._handle()
        for t in flatten(tensor):
            if not isinstance(t, (Tensor, Variable)):
                raise ValueError("Passed in object %r of type %r, not tg.Tensor or tg.Variable."
                                 % (t, type(t).__name__))
            call(lib.tg_tape_watch, h, t.handle)

    def watched_variables(self):
        h = self._handle()
        count = ctypes.c_size_t()
        call(lib.tg_tape_watched_variables, h, None, 0, ctypes.byref(count))
        arr = (ctypes.c_void_p * max(count.value, 1))()
        call(lib.tg_tape_watched_variables, h, arr, count.value, ctypes.byref(count))
        return tuple(Variable._from_handle(arr[i]) for i in range(count.value))

    def _after_use(self):
        if not self._persistent:
            self._recording = False

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """Gradients of the sum of `target` (a tensor or a nested structure of them) with
        respect to `sources`, returned in the structure of `sources` (None where unconnected,
        zeros with unconnected_gradients='zero')."""
        if self._h is None:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians)")
        if target is None:
            raise TypeError("Argument `target` should be a list or nested structure of Tensors, "
                            "Variables or CompositeTensors to be differentiated, but received None.")
        unconnected = _unconnected(unconnected_gradients)
        targets = [t if isinstance(t, (Tensor, Variable)) else convert_to_tensor(t)
                   for t in flatten(target)]
        flat_sources = [_differentiable(s, "a source") for s in flatten(sources)]
        seeds = None
        if output_gradients is not None:
            og = flatten(output_gradients)
            if len(og) != len(targets):
                raise ValueError("output_gradients has %d entries, target has %d"
                                 % (len(og), len(targets)))
            seed_tensors = [None if g is None else convert_to_tensor(g, dtype_hint=t.dtype)
                            for g, t in zip(og, targets)]
            seeds = handle_array([None if g is None else g.handle for g in seed_tensors])
        out = (ctypes.c_void_p * max(len(flat_sources), 1))()
        try:
            call(lib.tg_tape_gradient_ex, self._h, handle_array([t.handle for t in targets]),
                 len(targets), handle_array([s.handle for s in flat_sources]),
                 len(flat_sources), seeds, unconnected, out)
        except InvalidStateError:
            raise
        except Exception as e:
            if getattr(e, "status", None) not in (1, 2):  # argument errors leave the tape as is
                self._after_use()
            raise
        self._after_use()
        grads = [Tensor(out[i]) if out[i] else None for i in range(len(flat_sources))]
        return pack_sequence_as(sources, grads)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target[t...] / d source[s...] for each source: shape target.shape + source.shape."""
        if self._h is None:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians)")
        if not experimental_use_pfor and not self._persistent:
            raise RuntimeError("GradientTape must be created with persistent=True to compute the "
                               "jacobian with eager execution enabled and with  "
                               "experimental_use_pfor set to False.")
        unconnected = _unconnected(unconnected_gradients)
        t = target if isinstance(target, (Tensor, Variable)) else convert_to_tensor(target)
        flat_sources = [_differentiable(s, "a source") for s in flatten(sources)]
        out = (ctypes.c_void_p * max(len(flat_sources), 1))()
        try:
            call(lib.tg_tape_jacobian, self._h, t.handle,
                 handle_array([s.handle for s in flat_sources]), len(flat_sources), unconnected,
                 out)
        finally:
            self._after_use()
        jac = [Tensor(out[i]) if out[i] else None for i in range(len(flat_sources))]
        return pack_sequence_as(sources, jac)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example jacobians: shape (B, target.shape[1:]..., source.shape[1:]...)."""
        if self._h is None:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians)")
        unconnected = _unconnected(unconnected_gradients)
        t = target if isinstance(target, (Tensor, Variable)) else convert_to_tensor(target)
        s = _differentiable(source, "the source")
        out = out_handle()
        try:
            call(lib.tg_tape_batch_jacobian, self._h, t.handle, s.handle, unconnected,
                 ctypes.byref(out))
        finally:
            self._after_use()
        return Tensor(out.value)
