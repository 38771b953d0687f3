# SPDX-License-Identifier: Apache-2.0
"""Loads libtapegrad.so with ctypes, declares the C functions, and turns statuses into exceptions.

Where the library is looked for, in order:
  1. the path in the environment variable TAPEGRAD_LIBRARY (no fallback if it is set);
  2. next to this package (a libtapegrad.so copied into python/tapegrad/);
  3. the repository's build trees: build/capi/, then any other build*/capi/, newest first;
  4. the system's library path (an installed libtapegrad.so.0.MINOR, or .so.MAJOR from 1.0;
     LD_LIBRARY_PATH).
The first one that loads, has the version this package was written for and every function
it declares is used (a library named by TAPEGRAD_LIBRARY is used even if it lacks some: calling
one of those raises AttributeError).

Calls are made through ctypes.CDLL, which releases the GIL while C runs, so other Python threads
keep running during long ops. Callbacks from C into Python (deleters of wrapped numpy arrays,
the warning handler) take the GIL themselves.
"""
import ctypes
import glob
import os
import threading

from . import errors

# The C ABI version this package speaks (TG_VERSION_STRING of include/tapegrad/tapegrad.h).
VERSION = "0.2.0"

TG_OK = 0

c_void_p = ctypes.c_void_p
c_int = ctypes.c_int
c_double = ctypes.c_double
c_int64 = ctypes.c_int64
c_size_t = ctypes.c_size_t
P = ctypes.POINTER(ctypes.c_void_p)


class Initializer(ctypes.Structure):
    """tg_initializer."""
    _fields_ = [("kind", c_int), ("a", c_double), ("b", c_double), ("seed", ctypes.c_uint64)]


MAX_RANK = 8  # TG_MAX_RANK


class ConvConfig(ctypes.Structure):
    """tg_conv_config."""
    _fields_ = [("filters", c_int64), ("kernel_size", c_int64 * 2), ("strides", c_int64 * 2),
                ("padding", c_int), ("dilation_rate", c_int64 * 2), ("groups", c_int64)]


class PoolConfig(ctypes.Structure):
    """tg_pool_config."""
    _fields_ = [("pool_size", c_int64 * 2), ("strides", c_int64 * 2), ("padding", c_int),
                ("keepdims", c_int)]


class NormConfig(ctypes.Structure):
    """tg_norm_config."""
    _fields_ = [("axis", c_int64 * MAX_RANK), ("num_axes", c_int), ("momentum", c_double),
                ("epsilon", c_double), ("center", c_int), ("scale", c_int), ("fused", c_int),
                ("beta_initializer", Initializer), ("gamma_initializer", Initializer),
                ("moving_mean_initializer", Initializer),
                ("moving_variance_initializer", Initializer)]


class ReshapeConfig(ctypes.Structure):
    """tg_reshape_config."""
    _fields_ = [("target_shape", c_int64 * (MAX_RANK - 1)), ("rank", c_int)]


class LayerConfig(ctypes.Structure):
    """tg_layer_config (fill it with tg_layer_config_init)."""
    _fields_ = [("type", c_int), ("name", ctypes.c_char_p), ("dtype", c_int), ("trainable", c_int),
                ("units", c_int64), ("activation", c_int), ("use_bias", c_int),
                ("kernel_initializer", Initializer), ("bias_initializer", Initializer),
                ("rate", c_double), ("seed", ctypes.c_uint64),
                ("input_dim", c_int64), ("output_dim", c_int64),
                ("embeddings_initializer", Initializer), ("conv", ConvConfig),
                ("pool", PoolConfig), ("norm", NormConfig), ("reshape", ReshapeConfig)]


class FitOptions(ctypes.Structure):
    """tg_fit_options (fill it with tg_fit_options_init)."""
    _fields_ = [("struct_size", c_size_t), ("batch_size", c_size_t), ("epochs", c_int64),
                ("initial_epoch", c_int64), ("shuffle", c_int), ("seed", ctypes.c_uint64),
                ("sample_weight", c_void_p), ("validation_split", c_double),
                ("validation_x", c_void_p), ("validation_y", c_void_p),
                ("validation_sample_weight", c_void_p), ("validation_batch_size", c_size_t),
                ("validation_freq", c_size_t), ("callbacks", P), ("num_callbacks", c_size_t),
                ("verbose", c_int), ("verbose_stream", c_void_p), ("replica", c_void_p)]


class EvaluateOptions(ctypes.Structure):
    """tg_evaluate_options (fill it with tg_evaluate_options_init)."""
    _fields_ = [("struct_size", c_size_t), ("batch_size", c_size_t), ("sample_weight", c_void_p),
                ("callbacks", P), ("num_callbacks", c_size_t), ("verbose", c_int),
                ("verbose_stream", c_void_p)]


class PredictOptions(ctypes.Structure):
    """tg_predict_options (fill it with tg_predict_options_init)."""
    _fields_ = [("struct_size", c_size_t), ("batch_size", c_size_t), ("callbacks", P),
                ("num_callbacks", c_size_t), ("verbose", c_int), ("verbose_stream", c_void_p)]


# tg_callback_fn(training, event, index, logs, user_data) -> tg_status
CALLBACK_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_int64, c_void_p, c_void_p)

# Custom ops (python/tapegrad/_custom.py):
# tg_custom_forward_fn(call, inputs, num_inputs, outputs, num_outputs, user_data) -> tg_status
CUSTOM_FORWARD_FN = ctypes.CFUNCTYPE(c_int, c_void_p, P, c_size_t, P, c_size_t, c_void_p)
# tg_custom_backward_fn(call, inputs, num_inputs, outputs, num_outputs, output_grads, grads,
#                       num_grads, user_data) -> tg_status
CUSTOM_BACKWARD_FN = ctypes.CFUNCTYPE(c_int, c_void_p, P, c_size_t, P, c_size_t, P, P, c_size_t,
                                      c_void_p)
# tg_destroy_fn(data)
DESTROY_FN = ctypes.CFUNCTYPE(None, c_void_p)

# Short type codes for the signature table below.
_T = {
    "h": c_void_p,                    # any handle or const void*
    "hp": P,                          # tg_x** out-parameter, or an array of handles
    "i": c_int,
    "u32": ctypes.c_uint32,
    "i32": ctypes.c_int32,
    "i64": c_int64,
    "u64": ctypes.c_uint64,
    "d": c_double,
    "sz": c_size_t,
    "s": ctypes.c_char_p,
    "i64p": ctypes.POINTER(c_int64),
    "u64p": ctypes.POINTER(ctypes.c_uint64),
    "ip": ctypes.POINTER(c_int),
    "dp": ctypes.POINTER(c_double),
    "szp": ctypes.POINTER(c_size_t),
    "sp": ctypes.POINTER(ctypes.c_char_p),
    "lcp": ctypes.POINTER(LayerConfig),
    "fop": ctypes.POINTER(FitOptions),
    "eop": ctypes.POINTER(EvaluateOptions),
    "pop": ctypes.POINTER(PredictOptions),
    "cbf": CALLBACK_FN,
    "cfw": CUSTOM_FORWARD_FN,
    "cbw": CUSTOM_BACKWARD_FN,
    "dst": DESTROY_FN,
}

# name: argument codes (every function returns tg_status unless listed in _RESTYPES).
_SIGNATURES = {
    "tg_version": "",
    "tg_version_number": "",
    "tg_status_string": "i",
    "tg_last_error_message": "",
    "tg_set_num_threads": "sz",
    "tg_get_num_threads": "szp",
    "tg_set_warning_handler": "h h",
    "tg_clear_session": "",
    "tg_scope_begin": "hp",
    "tg_scope_end": "h",
    "tg_scope_keep": "h",
    # tensors
    "tg_tensor_create": "i i64p i h hp",
    "tg_tensor_wrap": "i i64p i h h h hp",
    "tg_tensor_scalar": "i d hp",
    "tg_tensor_fill": "i i64p i d hp",
    "tg_tensor_free": "h",
    "tg_tensor_dtype": "h ip",
    "tg_tensor_rank": "h ip",
    "tg_tensor_shape": "h i64p sz",
    "tg_tensor_size": "h szp",
    "tg_tensor_copy_data": "h h sz",
    "tg_tensor_data": "h hp",
    "tg_tensor_item": "h dp",
    "tg_tensor_to_dlpack": "h hp",
    "tg_tensor_from_dlpack": "h hp",
    "tg_random_uniform": "i i64p i d d u64 hp",
    "tg_random_normal": "i i64p i d d u64 hp",
    "tg_random_truncated_normal": "i i64p i d d u64 hp",
    # creation
    "tg_zeros": "i i64p i hp",
    "tg_ones": "i i64p i hp",
    "tg_range": "d d d i hp",
    "tg_eye": "i64 i64 i hp",
    # ops with special arguments
    "tg_matmul": "h h i i hp",
    "tg_reshape": "h i64p i hp",
    "tg_transpose": "h i64p i hp",
    "tg_cast": "h i hp",
    "tg_softmax": "h i64 hp",
    "tg_log_softmax": "h i64 hp",
    "tg_leaky_relu": "h d hp",
    "tg_gelu": "h i hp",
    "tg_where": "h h h hp",
    "tg_clip_by_value": "h h h hp",
    "tg_argmax": "h i64 hp",
    "tg_argmin": "h i64 hp",
    "tg_expand_dims": "h i64 hp",
    "tg_squeeze": "h i64p sz hp",
    "tg_broadcast_to": "h i64p i hp",
    "tg_concat": "hp sz i64 hp",
    "tg_stack": "hp sz i64 hp",
    "tg_split": "h i64p sz i64 hp",
    "tg_slice": "h i64p i64p i hp",
    "tg_pad": "h i64p i d hp",
    "tg_strided_slice": "h i64p i64p i64p sz i32 i32 i32 i32 i32 hp",
    "tg_gather": "h h i64 hp",
    "tg_one_hot": "h i64 d d i64 i hp",
    "tg_tile": "h i64p i hp",
    "tg_softmax_cross_entropy_with_logits": "h h i64 hp",
    "tg_sparse_softmax_cross_entropy_with_logits": "h h hp",
    # variables
    "tg_variable_create": "s h i hp",
    "tg_variable_read": "h hp",
    "tg_variable_value": "h hp",
    "tg_variable_id": "h u64p",
    "tg_variable_assign": "h h",
    "tg_variable_name": "h sp",
    "tg_variable_trainable": "h ip",
    "tg_variable_dtype": "h ip",
    "tg_variable_rank": "h ip",
    "tg_variable_shape": "h i64p sz",
    "tg_variable_free": "h",
    # tape
    "tg_tape_begin": "u32 hp",
    "tg_tape_enter": "h",
    "tg_tape_end": "h",
    "tg_tape_stop_recording": "h",
    "tg_tape_resume_recording": "h",
    "tg_tape_reset": "h",
    "tg_tape_watch": "h h",
    "tg_tape_gradient": "h hp sz hp sz hp",
    "tg_tape_gradient_ex": "h hp sz hp sz hp i hp",
    "tg_tape_jacobian": "h h hp sz i hp",
    "tg_tape_batch_jacobian": "h h h i hp",
    "tg_tape_watched_variables": "h hp sz szp",
    "tg_tape_is_recording": "h ip",
    "tg_tape_is_persistent": "h ip",
    "tg_tape_free": "h",
    # layers and models
    "tg_layer_config_init": "i lcp",
    "tg_layer_create": "lcp hp",
    "tg_layer_get_config": "h lcp",
    "tg_layer_name": "h sp",
    "tg_layer_trainable": "h ip",
    "tg_layer_set_trainable": "h i",
    "tg_layer_build": "h i64p i",
    "tg_layer_call": "h h i hp",
    "tg_layer_variable": "h s hp",
    "tg_layer_variables": "h hp sz szp",
    "tg_layer_free": "h",
    "tg_model_create": "s hp",
    "tg_model_add": "h lcp hp",
    "tg_model_add_layer": "h h",
    "tg_model_build": "h i64p i",
    "tg_model_summary_text": "h s sz szp",
    "tg_model_call": "h h hp",
    "tg_model_call_ex": "h h i hp",
    "tg_model_num_layers": "h szp",
    "tg_model_layer": "h sz hp",
    "tg_model_layer_by_name": "h s hp",
    "tg_model_trainable_variables": "h hp sz szp",
    "tg_model_non_trainable_variables": "h hp sz szp",
    "tg_model_get_weights": "h hp sz szp",
    "tg_model_set_weights": "h hp sz",
    "tg_model_save_weights": "h s h",
    "tg_model_load_weights": "h s h",
    "tg_model_free": "h",
    # losses
    "tg_loss_categorical_crossentropy": "i d i hp",
    "tg_loss_sparse_categorical_crossentropy": "i i i64 i hp",
    "tg_loss_binary_crossentropy": "i d i hp",
    "tg_loss_mean_squared_error": "i hp",
    "tg_loss_mean_absolute_error": "i hp",
    "tg_loss_huber": "d i hp",
    "tg_loss_call": "h h h h hp",
    "tg_loss_free": "h",
    # metrics
    "tg_metric_accuracy": "hp",
    "tg_metric_binary_accuracy": "d hp",
    "tg_metric_categorical_accuracy": "hp",
    "tg_metric_sparse_categorical_accuracy": "hp",
    "tg_metric_auto_accuracy": "hp",
    "tg_metric_name": "h sp",
    "tg_metric_update": "h h h h",
    "tg_metric_result": "h dp",
    "tg_metric_reset": "h",
    "tg_metric_free": "h",
    # optimizers
    "tg_optimizer_create": "s hp",
    "tg_optimizer_set": "h s d",
    "tg_optimizer_get": "h s dp",
    "tg_optimizer_exclude_from_weight_decay": "h hp sz sp sz",
    "tg_optimizer_set_exponential_decay": "h d i64 d i",
    "tg_optimizer_set_cosine_decay": "h d i64 d",
    "tg_optimizer_set_piecewise_constant_decay": "h i64p sz dp",
    "tg_optimizer_build": "h hp sz",
    "tg_optimizer_apply": "h hp hp sz i64p",
    "tg_optimizer_iterations": "h i64p",
    "tg_optimizer_set_iterations": "h i64",
    "tg_optimizer_free": "h",
    # checkpoints
    "tg_checkpoint_save": "s hp sz h",
    "tg_checkpoint_load": "s hp sz h",
    "tg_safetensors_write": "s sp hp sz",
    "tg_safetensors_read": "s s hp",
    # training
    "tg_fit_options_init": "fop",
    "tg_evaluate_options_init": "eop",
    "tg_predict_options_init": "pop",
    "tg_model_fit": "h h h hp sz h h fop hp",
    "tg_model_evaluate": "h h hp sz h h eop dp sz",
    "tg_model_predict": "h h pop hp",
    "tg_model_train_step": "h h h hp sz h h h dp",
    # distributed training (python/tapegrad/distributed.py)
    "tg_model_broadcast": "h h i h",
    "tg_model_train_step_distributed": "h h h hp sz h h h h dp",
    "tg_replica_allreduce_mean": "h hp sz hp",
    "tg_callback_create": "cbf h hp",
    "tg_callback_free": "h",
    "tg_training_stop": "h",
    "tg_logs_size": "h szp",
    "tg_logs_name": "h sz sp",
    "tg_logs_value": "h sz dp",
    # custom ops
    "tg_custom_op_create": "s sz sz u32 cfw cbw h dst hp",
    "tg_custom_op_call": "h hp sz hp sz szp",
    "tg_custom_op_free": "h",
    "tg_custom_call_set_state": "h h dst",
    "tg_custom_call_state": "h hp",
    "tg_custom_call_variables": "h hp sz szp",
    "tg_set_error_message": "s",
}
# Elementwise unary ops: (x, out); binary ops: (x, y, out); reductions: (x, axes, n, keepdims, out).
UNARY_OPS = (
    "neg exp log relu abs sign square sqrt rsqrt expm1 log1p sin cos tanh sigmoid softplus relu6 "
    "elu selu silu floor ceil round identity stop_gradient logical_not").split()
BINARY_OPS = (
    "add sub mul div pow maximum minimum squared_difference equal not_equal less less_equal "
    "greater greater_equal logical_and logical_or").split()
REDUCTIONS = "sum mean max min prod logsumexp variance".split()
for _name in UNARY_OPS:
    _SIGNATURES["tg_" + _name] = "h hp"
for _name in BINARY_OPS:
    _SIGNATURES["tg_" + _name] = "h h hp"
for _name in REDUCTIONS:
    _SIGNATURES["tg_reduce_" + _name] = "h i64p sz i hp"

_RESTYPES = {
    "tg_version": ctypes.c_char_p,
    "tg_status_string": ctypes.c_char_p,
    "tg_last_error_message": ctypes.c_char_p,
}


def _candidates():
    env = os.environ.get("TAPEGRAD_LIBRARY")
    if env:
        return [env], True
    here = os.path.dirname(os.path.abspath(__file__))
    found = sorted(glob.glob(os.path.join(here, "libtapegrad.so*")))
    repo = os.path.dirname(os.path.dirname(here))
    default_build = os.path.join(repo, "build", "capi", "libtapegrad.so")
    if os.path.exists(default_build):
        found.append(default_build)
    others = [p for p in glob.glob(os.path.join(repo, "build*", "capi", "libtapegrad.so"))
              if p != default_build]
    found += sorted(others, key=os.path.getmtime, reverse=True)
    found = [p for p in found if not _sanitized_build(p)]
    found += ["libtapegrad.so.%s" % _soversion(), "libtapegrad.so"]
    return found, False


def _soversion():
    """The SONAME's version: MAJOR.MINOR while the major version is 0 (each 0.x release is its
    own ABI), else MAJOR."""
    major, minor = VERSION.split(".")[:2]
    return "%s.%s" % (major, minor) if major == "0" else major


def _sanitized_build(library):
    """True for a library of a sanitizer build tree, unless the runtimes are preloaded: loading
    it would make AddressSanitizer end the process instead of failing to load."""
    cache = os.path.join(os.path.dirname(os.path.dirname(library)), "CMakeCache.txt")
    try:
        with open(cache) as f:
            sanitized = any(line.startswith("TAPEGRAD_SANITIZE:") and line.strip().split("=", 1)[1]
                            for line in f)
    except OSError:
        return False
    return sanitized and "asan" not in os.environ.get("LD_PRELOAD", "")


def _load():
    paths, from_env = _candidates()
    problems = []
    for path in paths:
        try:
            cdll = ctypes.CDLL(path)
        except OSError as e:
            problems.append("%s: %s" % (path, e))
            continue
        cdll.tg_version.restype = ctypes.c_char_p
        cdll.tg_version.argtypes = []
        version = cdll.tg_version().decode()
        if version.split(".")[:2] != VERSION.split(".")[:2]:
            problems.append("%s: version %s, this package needs %s" % (path, version, VERSION))
            continue
        missing = [name for name in _SIGNATURES if not hasattr(cdll, name)]
        if missing and not from_env:  # an older build: look further
            problems.append("%s: lacks %s" % (path, ", ".join(missing[:5])))
            continue
        return cdll, path
    where = "TAPEGRAD_LIBRARY=%s" % paths[0] if from_env else "any of the usual places"
    raise ImportError(
        "tapegrad: cannot load libtapegrad.so from %s. Build it (cmake --build build) or set "
        "TAPEGRAD_LIBRARY to its path. Tried:\n  %s" % (where, "\n  ".join(problems)))


class _Lib:
    """The loaded library: lib.tg_add etc. are ctypes functions, declared on first use."""

    def __init__(self):
        self._cdll, self.path = _load()

    def __getattr__(self, name):
        codes = _SIGNATURES.get(name)
        if codes is None:
            raise AttributeError("tapegrad: no signature declared for %s" % name)
        try:
            fn = getattr(self._cdll, name)
        except AttributeError:
            raise AttributeError("tapegrad: %s has no function %s (an older library?)"
                                 % (self.path, name)) from None
        fn.argtypes = [_T[c] for c in codes.split()]
        fn.restype = _RESTYPES.get(name, c_int)
        setattr(self, name, fn)
        return fn


lib = _Lib()


def last_error():
    message = lib.tg_last_error_message()
    return message.decode("utf-8", "replace") if message else ""


# The exception a Python callback called from C raised on this thread, and the message it gave
# the library, until the library call that ran the callback fails with that message.
_callback_errors = threading.local()


def callback_failed(exc):
    """For a Python callback called from C (a custom op's forward or backward) that raised
    `exc`: gives the library the exception's message and remembers `exc`, so that the library
    call that ran the callback raises `exc` itself. Returns the status for the callback."""
    message = "%s: %s" % (type(exc).__name__, exc)
    _callback_errors.pending = (exc, message)
    lib.tg_set_error_message(message.encode("utf-8", "replace"))
    return exc.status if isinstance(exc, errors.TapegradError) and exc.status else errors.TG_INVALID_ARGUMENT


def _error(status):
    message = last_error()
    error = errors.from_status(status, message)
    pending = getattr(_callback_errors, "pending", None)
    if pending is not None:
        _callback_errors.pending = None
        exc, text = pending
        if text in message:  # the call that ran the callback, not an unrelated later failure
            exc.__cause__ = error
            return exc
    return error


def check(status):
    """Raises the exception for a tg_status that is not TG_OK, with the library's message (or
    the exception of a Python callback that caused it)."""
    if status != TG_OK:
        raise _error(status)


def call(fn, *args):
    status = fn(*args)
    if status != TG_OK:
        raise _error(status)


def out_handle():
    return ctypes.c_void_p()


def int64_array(values):
    values = [int(v) for v in values]
    return (c_int64 * max(len(values), 1))(*values), len(values)


def handle_array(handles):
    handles = list(handles)
    return (c_void_p * max(len(handles), 1))(*handles)


def immortal(obj):
    """Keeps `obj` alive until the process ends. why: C may call a ctypes callback (a deleter)
    while the interpreter shuts down and clears module globals; the callback must still exist."""
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))
    return obj
