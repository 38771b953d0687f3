// tapegrad from Node.js: the C functions the examples use, declared with koffi (an FFI
// package from the npm registry, pinned in package.json). No compiled addon.
//
// The library: $TAPEGRAD_LIBRARY, else ../../build/capi/libtapegrad.so (the repository's
// build), else libtapegrad.so.0 from the system's library path.
//
// Every C function returns a tg_status; check() turns a failure into a JS Error carrying
// tg_last_error_message(), e.g. "TG_INVALID_ARGUMENT: [tg_matmul] matmul: inner dimensions
// differ: (2,3) x (2,3)". Handles are plain pointers: free them with the matching tg_*_free.
'use strict';

const fs = require('fs');
const path = require('path');
const koffi = require('koffi');

function libraryPath() {
  if (process.env.TAPEGRAD_LIBRARY) return process.env.TAPEGRAD_LIBRARY;
  const built = path.join(__dirname, '..', '..', 'build', 'capi', 'libtapegrad.so');
  return fs.existsSync(built) ? built : 'libtapegrad.so.0';
}

const lib = koffi.load(libraryPath());

// tg_initializer and tg_layer_config, as the header lays them out.
const Initializer = koffi.struct('tg_initializer', {
  kind: 'int', a: 'double', b: 'double', seed: 'uint64_t',
});
const MAX_RANK = 8; // TG_MAX_RANK
const ConvConfig = koffi.struct('tg_conv_config', {
  filters: 'int64_t', kernel_size: koffi.array('int64_t', 2), strides: koffi.array('int64_t', 2),
  padding: 'int', dilation_rate: koffi.array('int64_t', 2), groups: 'int64_t',
});
const PoolConfig = koffi.struct('tg_pool_config', {
  pool_size: koffi.array('int64_t', 2), strides: koffi.array('int64_t', 2), padding: 'int', keepdims: 'int',
});
const NormConfig = koffi.struct('tg_norm_config', {
  axis: koffi.array('int64_t', MAX_RANK), num_axes: 'int', momentum: 'double', epsilon: 'double',
  center: 'int', scale: 'int', fused: 'int', beta_initializer: Initializer, gamma_initializer: Initializer,
  moving_mean_initializer: Initializer, moving_variance_initializer: Initializer,
});
const ReshapeConfig = koffi.struct('tg_reshape_config', {
  target_shape: koffi.array('int64_t', MAX_RANK - 1), rank: 'int',
});
const LayerConfig = koffi.struct('tg_layer_config', {
  type: 'int', name: 'const char *', dtype: 'int', trainable: 'int',
  units: 'int64_t', activation: 'int', use_bias: 'int',
  kernel_initializer: Initializer, bias_initializer: Initializer,
  rate: 'double', seed: 'uint64_t',
  input_dim: 'int64_t', output_dim: 'int64_t', embeddings_initializer: Initializer,
  conv: ConvConfig, pool: PoolConfig, norm: NormConfig, reshape: ReshapeConfig,
});

// tg_fit_options and tg_evaluate_options, as the header lays them out (fill them with their
// init functions: struct_size and Keras's defaults).
const FitOptions = koffi.struct('tg_fit_options', {
  struct_size: 'size_t', batch_size: 'size_t', epochs: 'int64_t', initial_epoch: 'int64_t',
  shuffle: 'int', seed: 'uint64_t', sample_weight: 'void *', validation_split: 'double',
  validation_x: 'void *', validation_y: 'void *', validation_sample_weight: 'void *',
  validation_batch_size: 'size_t', validation_freq: 'size_t', callbacks: 'void **',
  num_callbacks: 'size_t', verbose: 'int', verbose_stream: 'void *',
});
const EvaluateOptions = koffi.struct('tg_evaluate_options', {
  struct_size: 'size_t', batch_size: 'size_t', sample_weight: 'void *', callbacks: 'void **',
  num_callbacks: 'size_t', verbose: 'int', verbose_stream: 'void *',
});
// tg_callback_fn: called by fit at every event (see tapegrad.h, "Callbacks").
const CallbackFn = koffi.proto(
  'int tg_callback_fn(void *training, int event, int64_t index, void *logs, void *user_data)');

// Handles are opaque: `void *` in JS. Out-parameters are one-element arrays.
const H = 'void *';
const decls = {
  tg_version: 'const char *tg_version()',
  tg_status_string: 'const char *tg_status_string(int status)',
  tg_last_error_message: 'const char *tg_last_error_message()',
  tg_set_num_threads: 'int tg_set_num_threads(size_t n)',
  tg_tensor_create: `int tg_tensor_create(int dtype, const int64_t *shape, int rank, const void *data, _Out_ ${H} *out)`,
  tg_tensor_scalar: `int tg_tensor_scalar(int dtype, double value, _Out_ ${H} *out)`,
  tg_tensor_free: `int tg_tensor_free(${H} t)`,
  tg_tensor_rank: `int tg_tensor_rank(${H} t, _Out_ int *out)`,
  tg_tensor_shape: `int tg_tensor_shape(${H} t, _Out_ int64_t *dims, size_t capacity)`,
  tg_tensor_size: `int tg_tensor_size(${H} t, _Out_ size_t *out)`,
  tg_tensor_copy_data: `int tg_tensor_copy_data(${H} t, void *dst, size_t bytes)`,
  tg_tensor_item: `int tg_tensor_item(${H} t, _Out_ double *out)`,
  tg_random_uniform: `int tg_random_uniform(int dtype, const int64_t *shape, int rank, double minval, double maxval, uint64_t seed, _Out_ ${H} *out)`,
  tg_one_hot: `int tg_one_hot(${H} indices, int64_t depth, double on, double off, int64_t axis, int dtype, _Out_ ${H} *out)`,
  tg_mul: `int tg_mul(${H} a, ${H} b, _Out_ ${H} *out)`,
  tg_matmul: `int tg_matmul(${H} a, ${H} b, int ta, int tb, _Out_ ${H} *out)`,
  tg_tape_begin: `int tg_tape_begin(uint32_t flags, _Out_ ${H} *out)`,
  tg_tape_end: `int tg_tape_end(${H} tape)`,
  tg_tape_watch: `int tg_tape_watch(${H} tape, ${H} x)`,
  tg_tape_gradient: `int tg_tape_gradient(${H} tape, ${H} *targets, size_t nt, ${H} *sources, size_t ns, _Out_ ${H} *grads)`,
  tg_tape_free: `int tg_tape_free(${H} tape)`,
  tg_variable_name: `int tg_variable_name(${H} v, _Out_ const char **out)`,
  tg_variable_shape: `int tg_variable_shape(${H} v, _Out_ int64_t *dims, size_t capacity)`,
  tg_variable_rank: `int tg_variable_rank(${H} v, _Out_ int *out)`,
  tg_variable_free: `int tg_variable_free(${H} v)`,
  tg_model_create: `int tg_model_create(const char *name, _Out_ ${H} *out)`,
  tg_layer_config_init: 'int tg_layer_config_init(int type, _Out_ tg_layer_config *out)',
  tg_model_add: `int tg_model_add(${H} m, const tg_layer_config *config, _Out_ ${H} *layer)`,
  tg_model_call: `int tg_model_call(${H} m, ${H} x, _Out_ ${H} *out)`,
  tg_model_trainable_variables: `int tg_model_trainable_variables(${H} m, _Out_ ${H} *vars, size_t capacity, _Out_ size_t *count)`,
  tg_model_free: `int tg_model_free(${H} m)`,
  tg_loss_categorical_crossentropy: `int tg_loss_categorical_crossentropy(int from_logits, double label_smoothing, int reduction, _Out_ ${H} *out)`,
  tg_loss_call: `int tg_loss_call(${H} loss, ${H} y_true, ${H} y_pred, ${H} sample_weight, _Out_ ${H} *out)`,
  tg_loss_free: `int tg_loss_free(${H} loss)`,
  tg_optimizer_create: `int tg_optimizer_create(const char *name, _Out_ ${H} *out)`,
  tg_optimizer_set: `int tg_optimizer_set(${H} opt, const char *name, double value)`,
  tg_optimizer_apply: `int tg_optimizer_apply(${H} opt, ${H} *vars, ${H} *grads, size_t count, _Out_ int64_t *iterations)`,
  tg_optimizer_free: `int tg_optimizer_free(${H} opt)`,
  tg_tensor_dtype: `int tg_tensor_dtype(${H} t, _Out_ int *out)`,
  tg_slice: `int tg_slice(${H} x, const int64_t *begin, const int64_t *size, int rank, _Out_ ${H} *out)`,
  tg_model_build: `int tg_model_build(${H} m, const int64_t *shape, int rank)`,
  tg_loss_sparse_categorical_crossentropy: `int tg_loss_sparse_categorical_crossentropy(int from_logits, int use_ignore_class, int64_t ignore_class, int reduction, _Out_ ${H} *out)`,
  tg_metric_auto_accuracy: `int tg_metric_auto_accuracy(_Out_ ${H} *out)`,
  tg_metric_free: `int tg_metric_free(${H} m)`,
  tg_fit_options_init: 'int tg_fit_options_init(_Out_ tg_fit_options *options)',
  tg_evaluate_options_init: 'int tg_evaluate_options_init(_Out_ tg_evaluate_options *options)',
  tg_model_fit: `int tg_model_fit(${H} m, ${H} loss, ${H} opt, ${H} *metrics, size_t n, ${H} x, ${H} y, const tg_fit_options *options, _Out_ ${H} *history)`,
  tg_model_evaluate: `int tg_model_evaluate(${H} m, ${H} loss, ${H} *metrics, size_t n, ${H} x, ${H} y, const tg_evaluate_options *options, _Out_ double *results, size_t num_results)`,
  tg_model_predict: `int tg_model_predict(${H} m, ${H} x, const void *options, _Out_ ${H} *out)`,
  tg_callback_create: `int tg_callback_create(tg_callback_fn *fn, void *user_data, _Out_ ${H} *out)`,
  tg_callback_free: `int tg_callback_free(${H} callback)`,
  tg_training_stop: `int tg_training_stop(${H} training)`,
  tg_logs_size: `int tg_logs_size(${H} logs, _Out_ size_t *out)`,
  tg_logs_name: `int tg_logs_name(${H} logs, size_t index, _Out_ const char **out)`,
  tg_logs_value: `int tg_logs_value(${H} logs, size_t index, _Out_ double *out)`,
  tg_history_epochs: `int tg_history_epochs(${H} h, _Out_ int64_t *epochs, size_t capacity, _Out_ size_t *count)`,
  tg_history_num_keys: `int tg_history_num_keys(${H} h, _Out_ size_t *out)`,
  tg_history_key: `int tg_history_key(${H} h, size_t index, _Out_ const char **out)`,
  tg_history_values: `int tg_history_values(${H} h, const char *key, _Out_ double *values, size_t capacity, _Out_ size_t *count)`,
  tg_history_free: `int tg_history_free(${H} h)`,
};

const c = {};
for (const [name, decl] of Object.entries(decls)) c[name] = lib.func(decl);

const TG = {
  FLOAT32: 0, FLOAT64: 1, INT32: 2, INT64: 3, BOOL: 4,
  TAPE_DEFAULT: 0, TAPE_PERSISTENT: 1,
  ACTIVATION_LINEAR: 0, ACTIVATION_RELU: 1,
  LAYER_DENSE: 0,
  REDUCTION_AUTO: 0,
  // tg_callback_event values
  ON_TRAIN_BEGIN: 0, ON_TRAIN_END: 1, ON_EPOCH_BEGIN: 2, ON_EPOCH_END: 3,
  ON_TRAIN_BATCH_BEGIN: 4, ON_TRAIN_BATCH_END: 5,
  MAX_RANK: 8,
};

class TapegradError extends Error {
  constructor(status) {
    super(`${c.tg_status_string(status)}: ${c.tg_last_error_message()}`);
    this.status = status;
  }
}

function check(status) {
  if (status !== 0) throw new TapegradError(status);
}

// Calls fn(...args, out) and returns out[0] (a new handle).
function make(fn, ...args) {
  const out = [null];
  check(fn(...args, out));
  return out[0];
}

function tensor(dtype, shape, values) {
  const Array_ = dtype === TG.FLOAT64 ? Float64Array : Float32Array;
  return make(c.tg_tensor_create, dtype, shape, shape.length, Array_.from(values));
}

function scalar(value, dtype = TG.FLOAT32) {
  return make(c.tg_tensor_scalar, dtype, value);
}

function item(t) {
  const v = [0];
  check(c.tg_tensor_item(t, v));
  return v[0];
}

function shapeOf(t) {
  const rank = [0];
  check(c.tg_tensor_rank(t, rank));
  const dims = new Array(TG.MAX_RANK).fill(0);
  check(c.tg_tensor_shape(t, dims, TG.MAX_RANK));
  return dims.slice(0, rank[0]).map(Number);
}

// The elements of a float32 tensor as a Float32Array (a copy).
function float32Data(t) {
  const n = [0];
  check(c.tg_tensor_size(t, n));
  const out = new Float32Array(Number(n[0]));
  check(c.tg_tensor_copy_data(t, out, out.byteLength));
  return out;
}

function variableName(v) {
  const out = [null];
  check(c.tg_variable_name(v, out));
  return out[0];
}

function variableShape(v) {
  const rank = [0];
  check(c.tg_variable_rank(v, rank));
  const dims = new Array(TG.MAX_RANK).fill(0);
  check(c.tg_variable_shape(v, dims, TG.MAX_RANK));
  return dims.slice(0, rank[0]).map(Number);
}

// with tf.GradientTape() as tape: body()  — returns [tape, body's result].
function withTape(flags, body) {
  const tape = make(c.tg_tape_begin, flags);
  let result;
  try {
    result = body(tape);
  } finally {
    check(c.tg_tape_end(tape));
  }
  return [tape, result];
}

function gradient(tape, target, sources) {
  const grads = new Array(sources.length).fill(null);
  check(c.tg_tape_gradient(tape, [target], 1, sources, sources.length, grads));
  return grads;
}

// model.add(Dense(units, activation)) with a glorot_uniform kernel of `seed`.
function addDense(model, units, activation, seed) {
  const config = {};
  check(c.tg_layer_config_init(TG.LAYER_DENSE, config));
  config.units = units;
  config.activation = activation;
  config.kernel_initializer.seed = seed;
  check(c.tg_model_add(model, config, null));
}

function trainableVariables(model) {
  const count = [0];
  check(c.tg_model_trainable_variables(model, null, 0, count));
  const vars = new Array(Number(count[0])).fill(null);
  check(c.tg_model_trainable_variables(model, vars, vars.length, count));
  return vars;
}

// Keras's logs dict of one callback event, as a JS object.
function logsOf(logs) {
  const n = [0];
  check(c.tg_logs_size(logs, n));
  const out = {};
  for (let i = 0; i < Number(n[0]); ++i) {
    const name = [null];
    const value = [0];
    check(c.tg_logs_name(logs, i, name));
    check(c.tg_logs_value(logs, i, value));
    out[name[0]] = value[0];
  }
  return out;
}

// Keras's History as { epoch: [...], history: { loss: [...], ... } }; frees the C history.
function historyOf(h) {
  const count = [0];
  check(c.tg_history_epochs(h, null, 0, count));
  const epochs = new Array(Number(count[0])).fill(0);
  check(c.tg_history_epochs(h, epochs, epochs.length, count));
  const keys = [0];
  check(c.tg_history_num_keys(h, keys));
  const history = {};
  for (let i = 0; i < Number(keys[0]); ++i) {
    const key = [null];
    check(c.tg_history_key(h, i, key));
    const values = new Array(epochs.length).fill(0);
    check(c.tg_history_values(h, key[0], values, values.length, count));
    history[key[0]] = values.slice(0, Number(count[0]));
  }
  c.tg_history_free(h);
  return { epoch: epochs.map(Number), history };
}

// model.fit(x, y, ...) through tg_model_fit: options are tg_fit_options fields in camelCase
// ({ epochs, batchSize, validationSplit, shuffle, seed, ... }) and onEpochEnd(epoch, logs),
// if given, is called after every epoch; returning true from it stops training (Keras's
// model.stop_training = True). An exception it throws stops fit and is rethrown.
function fit(model, loss, optimizer, metrics, x, y, options = {}, onEpochEnd = null) {
  const fitOptions = {};
  check(c.tg_fit_options_init(fitOptions));
  for (const [key, value] of Object.entries(options)) {
    const field = key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
    if (!(field in fitOptions)) throw new TypeError(`fit: unknown option ${key}`);
    fitOptions[field] = value;
  }
  let thrown = null;
  let registered = null;
  let callback = null;
  if (onEpochEnd) {
    registered = koffi.register((training, event, index, logs) => {
      if (event !== TG.ON_EPOCH_END) return 0;
      try {
        if (onEpochEnd(Number(index), logsOf(logs)) === true) check(c.tg_training_stop(training));
        return 0;
      } catch (e) {
        thrown = e;
        return 1; // any status but TG_OK stops the run
      }
    }, koffi.pointer(CallbackFn));
    callback = make(c.tg_callback_create, registered, null);
    fitOptions.callbacks = [callback];
    fitOptions.num_callbacks = 1;
  }
  try {
    const history = [null];
    const status = c.tg_model_fit(model, loss, optimizer, metrics, metrics.length, x, y,
                                  fitOptions, history);
    if (thrown) throw thrown;
    check(status);
    return historyOf(history[0]);
  } finally {
    if (callback) c.tg_callback_free(callback);
    if (registered) koffi.unregister(registered);
  }
}

// model.evaluate(x, y): [loss, metric results...].
function evaluate(model, loss, metrics, x, y, batchSize = 32) {
  const options = {};
  check(c.tg_evaluate_options_init(options));
  options.batch_size = batchSize;
  const results = new Array(metrics.length + 1).fill(0);
  check(c.tg_model_evaluate(model, loss, metrics, metrics.length, x, y, options, results,
                            results.length));
  return results;
}

module.exports = {
  c, TG, TapegradError, check, make, tensor, scalar, item, shapeOf, float32Data,
  variableName, variableShape, withTape, gradient, addDense, trainableVariables,
  fit, evaluate, logsOf, libraryPath, version: () => c.tg_version(),
};
