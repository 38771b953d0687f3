# SPDX-License-Identifier: Apache-2.0
"""tg.custom_gradient: TensorFlow's decorator over the C library's custom ops (tg_custom_op_*).

    @tg.custom_gradient
    def clip_gradient(x):
        def grad(dy):
            return tg.clip_by_value(dy, -1.0, 1.0)
        return tg.identity(x), grad

The decorated function f(*args, **kwargs) returns (y, grad_fn). Each call runs f as the forward
of a C custom op: the tapes recording around the call do not record f's ops (its gradient is
grad_fn's, not theirs) and the op itself is recorded with the tensors of args as inputs. When
a tape's gradient reaches y, the library calls grad_fn(*dys) (one upstream gradient per element
of y, or dy alone for a single tensor), which returns one gradient per argument (None for
none). grad_fn's ops are recorded on the tapes recording then, so second derivatives work when
grad_fn is written with differentiable tapegrad ops.

Trainable variables that f reads are recorded as further inputs, as in TensorFlow: grad_fn must
then take a `variables` keyword argument (the list of them, in first-read order) and return
(input_grads, variable_grads). A grad_fn without it makes the call raise TypeError.

An exception raised in f or grad_fn is re-raised, as itself, by the call that ran it (the
decorated function's call, or tape.gradient / jacobian / batch_jacobian), with the library's
error (naming the op) as its __cause__; the tapes stay usable.

The C side sees three ctypes callbacks created once for the whole process (never collected, so
C can call them until the library is unloaded); which Python function to run is found from
the op's user_data and the call's state, keys into the tables below.
"""
import ctypes
import functools
import inspect
import itertools
import threading

from . import _core
from ._lib import (CUSTOM_BACKWARD_FN, CUSTOM_FORWARD_FN, DESTROY_FN, TG_OK, call, callback_failed,
                   handle_array, immortal, lib)

c_void_p = ctypes.c_void_p
TG_CUSTOM_ANY = ctypes.c_size_t(-1).value
TG_CUSTOM_OP_VARIABLES = 1

_keys = itertools.count(1)
_ops = {}    # op key -> the decorated function's forward (while the C op lives)
_calls = {}  # call key -> _Call (while a tape record of the call lives)
_lock = threading.Lock()
_local = threading.local()  # .pending: a stack of (args, kwargs) of the calls running here


class _Call:
    """What one call's backward needs: tf.custom_gradient's grad_fn closure and y's structure."""

    __slots__ = ("grad_fn", "structure", "num_args")

    def __init__(self, grad_fn, structure, num_args):
        self.grad_fn = grad_fn
        self.structure = structure
        self.num_args = num_args


def _lend(handles, count):
    """New tensors for handles the library lends to a callback (it frees its own after)."""
    out = []
    for i in range(count):
        copy = c_void_p()
        call(lib.tg_identity, handles[i], ctypes.byref(copy))
        out.append(_core.Tensor(copy.value))
    return out


def _give(tensor, slots, i):
    """Writes a new handle of `tensor` to slots[i]: the library takes (and frees) it."""
    copy = c_void_p()
    call(lib.tg_identity, tensor.handle, ctypes.byref(copy))
    slots[i] = copy.value


def _variables(call_handle):
    count = ctypes.c_size_t()
    call(lib.tg_custom_call_variables, call_handle, None, 0, ctypes.byref(count))
    if count.value == 0:
        return []
    handles = (c_void_p * count.value)()
    call(lib.tg_custom_call_variables, call_handle, handles, count.value, ctypes.byref(count))
    return [_core.Variable._from_handle(h) for h in handles]


def _takes_variables(grad_fn):
    try:
        params = inspect.signature(grad_fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: let the call decide
        return True
    return any(p.name == "variables" and p.kind != p.POSITIONAL_ONLY or p.kind == p.VAR_KEYWORD
               for p in params)


@CUSTOM_FORWARD_FN
def _forward(call_handle, inputs, num_inputs, outputs, num_outputs, user_data):
    try:
        f = _ops[user_data]
        pending = _local.pending[-1]
        result, grad_fn = f(*pending.args, **pending.kwargs)
        pending.result = result
        flat = [_core.convert_to_tensor(y) for y in _core.flatten(result)]
        if not flat:
            raise ValueError("custom_gradient: %s returned no tensors" % f.__name__)
        if len(flat) > num_outputs:
            raise ValueError("custom_gradient: %s returned %d tensors, at most %d are supported"
                             % (f.__name__, len(flat), num_outputs))
        variables = _variables(call_handle)
        if variables and not _takes_variables(grad_fn):
            raise TypeError("@tf.custom_gradient grad_fn must accept keyword argument 'variables', "
                            "since function uses variables: %s" % [v.name for v in variables])
        key = next(_keys)
        with _lock:
            _calls[key] = _Call(grad_fn, result, num_inputs)
        call(lib.tg_custom_call_set_state, call_handle, key, _forget_call)
        for i, y in enumerate(flat):
            _give(y, outputs, i)
        return TG_OK
    except BaseException as e:  # noqa: B036 (every exception must become a status for C)
        return callback_failed(e)


@CUSTOM_BACKWARD_FN
def _backward(call_handle, inputs, num_inputs, outputs, num_outputs, output_grads, grads, num_grads,
              user_data):
    try:
        state = c_void_p()
        call(lib.tg_custom_call_state, call_handle, ctypes.byref(state))
        c = _calls[state.value]
        dys = _core.pack_sequence_as(c.structure, _lend(output_grads, num_outputs))
        dys = list(dys) if isinstance(dys, (list, tuple)) else [dys]
        num_variables = num_grads - num_inputs
        if num_variables:
            input_grads, variable_grads = c.grad_fn(*dys, variables=_variables(call_handle))
            variable_grads = list(variable_grads)
            if len(variable_grads) != num_variables:
                raise ValueError("Must return gradient for each variable from @custom_gradient grad_fn.")
        else:
            input_grads, variable_grads = c.grad_fn(*dys), []
        flat = _core.flatten(input_grads)
        if len(flat) != num_inputs:
            raise ValueError("custom_gradient function expected to return %d gradients, but returned %d "
                             "instead." % (num_inputs, len(flat)))
        for i, g in enumerate(flat + variable_grads):
            if g is not None:
                _give(_core.convert_to_tensor(g), grads, i)
        return TG_OK
    except BaseException as e:  # noqa: B036
        return callback_failed(e)


# why the default arguments: C may release a call or an op while the interpreter shuts down
# and clears this module's globals.
@DESTROY_FN
def _forget_call(key, _calls=_calls, _lock=_lock):
    with _lock:
        _calls.pop(key, None)


@DESTROY_FN
def _forget_op(key, _ops=_ops, _lock=_lock):
    with _lock:
        _ops.pop(key, None)


immortal(_forward)
immortal(_backward)
immortal(_forget_call)
immortal(_forget_op)


class _Pending:
    """A call running on this thread: the arguments for f, then f's result (y)."""

    __slots__ = ("args", "kwargs", "result")

    def __init__(self, args, kwargs):
        self.args, self.kwargs, self.result = args, kwargs, None


class _CustomOp:
    """The C op behind one decorated function; freed with it (calls still recorded on a tape
    keep the C op, and the function, alive until their records go)."""

    def __init__(self, f):
        key = next(_keys)
        with _lock:
            _ops[key] = f
        out = c_void_p()
        try:
            call(lib.tg_custom_op_create, (f.__name__ or "custom_gradient").encode(), TG_CUSTOM_ANY,
                 TG_CUSTOM_ANY, TG_CUSTOM_OP_VARIABLES, _forward, _backward, key, _forget_op,
                 ctypes.byref(out))
        except BaseException:
            _forget_op(key)
            raise
        self._h = out.value

    def __del__(self, _free=lib.tg_custom_op_free):
        h = getattr(self, "_h", None)
        if h:
            self._h = None
            _free(h)

    def __call__(self, args, kwargs):
        """Runs the op on args: y, packed as f returned it."""
        inputs = [_core.convert_to_tensor(a) for a in args]
        stack = getattr(_local, "pending", None)
        if stack is None:
            stack = _local.pending = []
        pending = _Pending(tuple(inputs), kwargs)
        stack.append(pending)
        outputs = (c_void_p * MAX_OUTPUTS)()
        count = ctypes.c_size_t()
        try:
            call(lib.tg_custom_op_call, self._h, handle_array([t.handle for t in inputs]), len(inputs),
                 outputs, MAX_OUTPUTS, ctypes.byref(count))
        finally:
            stack.pop()
        return _core.pack_sequence_as(pending.result, [_core.Tensor(outputs[i]) for i in range(count.value)])


# The most tensors a decorated function may return (the room its C call gives the forward).
MAX_OUTPUTS = 64


def custom_gradient(f=None):
    """tf.custom_gradient: decorates f(*args, **kwargs) -> (y, grad_fn). See the module's text.

    Differences from TensorFlow: the positional arguments are converted to tensors (Variables
    are read, which records the read) and are the op's inputs; keyword arguments are passed to
    f as they are and are not inputs of the op (as in TensorFlow's eager mode).
    y may be a tensor or a (nested) list or tuple of at most 64 tensors."""
    if f is None:
        return custom_gradient
    op = _CustomOp(f)

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        return op(args, kwargs)

    return decorated
