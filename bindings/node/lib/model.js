// SPDX-License-Identifier: Apache-2.0
// Keras in JavaScript: layers, Sequential models with compile / fit / evaluate / predict,
// losses, metrics and optimizers, over the C ABI's model and training functions.
'use strict';

const { c, abi, koffi, callbacks } = require('./ffi');
const { TapegradError, check, callOut, callValue, Handle, pointerOf } = require('./handle');
const { Tensor, DTYPES, camelCase } = require('./tensor');
const { Variable } = require('./tape');

const snake = (name) => name.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
const enumValue = (prefix, name) => {
  const value = abi.enums[prefix.enum][`${prefix.prefix}${snake(String(name)).toUpperCase()}`];
  if (value === undefined) throw new TypeError(`tapegrad: unknown ${prefix.what} '${name}'`);
  return value;
};
const ACTIVATION = { enum: 'tg_activation', prefix: 'TG_ACTIVATION_', what: 'activation' };
const INITIALIZER = { enum: 'tg_initializer_kind', prefix: 'TG_INIT_', what: 'initializer' };
const REDUCTION = { enum: 'tg_reduction', prefix: 'TG_REDUCTION_', what: 'reduction' };

// Fills a C options structure (a tg_*_config or tg_*_options object from its init function)
// from camelCase JS options, converting names of enum values: { units: 32,
// activation: 'relu', kernelInitializer: { kind: 'glorot_uniform', seed: 1 } }.
function fillStruct(struct, options, where) {
  for (const [key, value] of Object.entries(options)) {
    const field = snake(key);
    if (!(field in struct)) throw new TypeError(`tapegrad: ${where} has no option '${key}'`);
    if (field === 'activation' && typeof value === 'string') {
      struct[field] = enumValue(ACTIVATION, value);
    } else if (field === 'dtype' && typeof value === 'string') {
      struct[field] = DTYPES[value][0];
    } else if (typeof struct[field] === 'object' && struct[field] !== null && 'kind' in struct[field]) {
      const init = typeof value === 'string' ? { kind: value } : value;
      fillStruct(struct[field], { ...init, kind: typeof init.kind === 'string'
        ? enumValue(INITIALIZER, init.kind) : (init.kind ?? struct[field].kind) }, key);
    } else {
      struct[field] = typeof value === 'boolean' ? Number(value) : value;
    }
  }
  return struct;
}

// ---- layers -------------------------------------------------------------------------------

class Layer extends Handle {
  constructor(pointer) { super(pointer, 'tg_layer_free'); }
  get name() { return callOut(c.tg_layer_name, this.pointer); }
  build(inputShape) { check(c.tg_layer_build(this.pointer, inputShape, inputShape.length)); }
  call(x, { training = false } = {}) {
    return new Tensor(callOut(c.tg_layer_call, this.pointer, x.pointer, training ? 1 : 0));
  }
  get variables() { return listOf(c.tg_layer_variables, this.pointer, Variable); }
}

// A layer configuration: what `model.add` takes, or `.create()` makes a standalone layer of.
class LayerConfig {
  constructor(type, options) {
    this.struct = {};
    check(c.tg_layer_config_init(type, this.struct));
    fillStruct(this.struct, options, 'this layer');
  }
  create() { return new Layer(callOut(c.tg_layer_create, this.struct)); }
}

// tg.layers.dense({ units: 32, activation: 'relu' }), tg.layers.dropout({ rate: 0.5 }), …:
// one function per tg_layer_type of the header.
const layers = {};
for (const [name, type] of Object.entries(abi.enums.tg_layer_type)) {
  layers[camelCase(name.replace(/^TG_LAYER_/, '').toLowerCase())] =
    (options = {}) => new LayerConfig(type, options);
}

// ---- losses, metrics, optimizers --------------------------------------------------------------

class Loss extends Handle {
  constructor(pointer) { super(pointer, 'tg_loss_free'); }
  call(yTrue, yPred, sampleWeight = null) {
    return new Tensor(callOut(c.tg_loss_call, this.pointer, yTrue.pointer, yPred.pointer,
                              pointerOf(sampleWeight)));
  }
}

const reductionOf = (r = 'auto') => (typeof r === 'number' ? r : enumValue(REDUCTION, r));
const losses = {
  categoricalCrossentropy: ({ fromLogits = false, labelSmoothing = 0, reduction } = {}) =>
    new Loss(callOut(c.tg_loss_categorical_crossentropy, Number(fromLogits), labelSmoothing,
                     reductionOf(reduction))),
  sparseCategoricalCrossentropy: ({ fromLogits = false, ignoreClass = null, reduction } = {}) =>
    new Loss(callOut(c.tg_loss_sparse_categorical_crossentropy, Number(fromLogits),
                     ignoreClass === null ? 0 : 1, ignoreClass ?? 0, reductionOf(reduction))),
  binaryCrossentropy: ({ fromLogits = false, labelSmoothing = 0, reduction } = {}) =>
    new Loss(callOut(c.tg_loss_binary_crossentropy, Number(fromLogits), labelSmoothing,
                     reductionOf(reduction))),
  meanSquaredError: ({ reduction } = {}) =>
    new Loss(callOut(c.tg_loss_mean_squared_error, reductionOf(reduction))),
  meanAbsoluteError: ({ reduction } = {}) =>
    new Loss(callOut(c.tg_loss_mean_absolute_error, reductionOf(reduction))),
  huber: ({ delta = 1.0, reduction } = {}) =>
    new Loss(callOut(c.tg_loss_huber, delta, reductionOf(reduction))),
};
losses.mse = losses.meanSquaredError;
losses.mae = losses.meanAbsoluteError;

class Metric extends Handle {
  constructor(pointer) { super(pointer, 'tg_metric_free'); }
  get name() { return callOut(c.tg_metric_name, this.pointer); }
  update(yTrue, yPred, sampleWeight = null) {
    check(c.tg_metric_update(this.pointer, yTrue.pointer, yPred.pointer, pointerOf(sampleWeight)));
  }
  result() { return callValue(c.tg_metric_result, this.pointer); }
  reset() { check(c.tg_metric_reset(this.pointer)); }
}

const metrics = {
  accuracy: () => new Metric(callOut(c.tg_metric_auto_accuracy)),
  categoricalAccuracy: () => new Metric(callOut(c.tg_metric_categorical_accuracy)),
  sparseCategoricalAccuracy: () => new Metric(callOut(c.tg_metric_sparse_categorical_accuracy)),
  binaryAccuracy: ({ threshold = 0.5 } = {}) =>
    new Metric(callOut(c.tg_metric_binary_accuracy, threshold)),
};

class Optimizer extends Handle {
  // new Optimizer('adam', { learningRate: 0.01 }): Keras's optimizers by name, with Keras's
  // defaults; every hyperparameter of the header's table can be given in camelCase.
  constructor(name, hyperparameters = {}) {
    super(callOut(c.tg_optimizer_create, name), 'tg_optimizer_free');
    for (const [key, value] of Object.entries(hyperparameters)) this.set(key, value);
  }
  set(name, value) { check(c.tg_optimizer_set(this.pointer, snake(name), Number(value))); }
  get(name) { return callValue(c.tg_optimizer_get, this.pointer, snake(name)); }
  get iterations() { return Number(callValue(c.tg_optimizer_iterations, this.pointer)); }
  // optimizer.apply_gradients(zip(grads, variables)): returns the new iteration count.
  applyGradients(grads, variables) {
    return Number(callValue(c.tg_optimizer_apply, this.pointer, variables.map(pointerOf),
                            grads.map(pointerOf), grads.length));
  }
}

// ---- models -------------------------------------------------------------------------------

// Handles a C function lists into (handle, array, capacity, count*), as objects.
function listOf(fn, owner, Type) {
  const count = [0];
  check(fn(owner, null, 0, count));
  const handles = new Array(Number(count[0])).fill(null);
  check(fn(owner, handles, handles.length, count));
  return handles.map((p) => new Type(p));
}

function logsOf(logs) {
  const result = {};
  const n = Number(callValue(c.tg_logs_size, logs));
  for (let i = 0; i < n; ++i) {
    result[callOut(c.tg_logs_name, logs, i)] = callValue(c.tg_logs_value, logs, i);
  }
  return result;
}

function historyOf(h) {
  try {
    const count = [0];
    check(c.tg_history_epochs(h, null, 0, count));
    const epochs = new Array(Number(count[0])).fill(0);
    check(c.tg_history_epochs(h, epochs, epochs.length, count));
    const history = {};
    const keys = Number(callValue(c.tg_history_num_keys, h));
    for (let i = 0; i < keys; ++i) {
      const key = callOut(c.tg_history_key, h, i);
      const values = new Array(epochs.length).fill(0);
      check(c.tg_history_values(h, key, values, values.length, count));
      history[key] = values.slice(0, Number(count[0]));
    }
    return { epoch: epochs.map(Number), history };
  } finally {
    c.tg_history_free(h);
  }
}

const EVENTS = abi.enums.tg_callback_event;
const HOOKS = Object.fromEntries(Object.entries(EVENTS).map(
  ([name, value]) => [value, camelCase(name.replace(/^TG_/, '').toLowerCase())]));

// A JS callback object ({ onEpochEnd(epoch, logs) { … }, onTrainBatchEnd(batch, logs) … },
// Keras's method names in camelCase) as a C callback. A hook returning true stops training
// (Keras's model.stop_training = True); an exception stops the run and is rethrown by fit.
function cCallback(hooks, failure) {
  const registered = koffi.register((training, event, index, logs) => {
    const hook = hooks[HOOKS[event]];
    if (!hook) return 0;
    try {
      if (hook.call(hooks, Number(index), logs ? logsOf(logs) : {}) === true) {
        check(c.tg_training_stop(training));
      }
      return 0;
    } catch (e) {
      failure.error = failure.error || e;
      return abi.enums.tg_status.TG_INVALID_STATE;
    }
  }, koffi.pointer(callbacks.tg_callback_fn));
  const handle = callOut(c.tg_callback_create, registered, null);
  return { handle, release: () => { c.tg_callback_free(handle); koffi.unregister(registered); } };
}

// Runs a C training call with JS callbacks attached to its options, then releases them.
function withCallbacks(options, hooks, run) {
  const failure = { error: null };
  const attached = hooks.map((h) => cCallback(h, failure));
  options.callbacks = attached.length ? attached.map((a) => a.handle) : null;
  options.num_callbacks = attached.length;
  try {
    const status = run();
    if (failure.error) throw failure.error;
    if (status !== 0) throw new TapegradError(status);
  } finally {
    for (const a of attached) a.release();
  }
}

function lossOf(loss) {
  if (loss instanceof Loss) return loss;
  const make = losses[camelCase(loss)];
  if (!make) throw new TypeError(`tapegrad: unknown loss '${loss}'`);
  return make();
}

class Sequential extends Handle {
  // new Sequential([tg.layers.dense({ units: 32, activation: 'relu' }), …], { name })
  constructor(layerConfigs = [], { name = null } = {}) {
    super(callOut(c.tg_model_create, name), 'tg_model_free');
    for (const config of layerConfigs) this.add(config);
  }

  // model.add(layer): a LayerConfig (the model makes the layer) or a Layer (shared).
  add(layer) {
    if (layer instanceof Layer) check(c.tg_model_add_layer(this.pointer, layer.pointer));
    else check(c.tg_model_add(this.pointer, layer.struct, null));
  }
  build(inputShape) { check(c.tg_model_build(this.pointer, inputShape, inputShape.length)); }
  call(x, { training = false } = {}) {
    return new Tensor(callOut(c.tg_model_call_ex, this.pointer, x.pointer, training ? 1 : 0));
  }
  get layers() {
    const n = Number(callValue(c.tg_model_num_layers, this.pointer));
    return Array.from({ length: n }, (_, i) => new Layer(callOut(c.tg_model_layer, this.pointer, i)));
  }
  get trainableVariables() { return listOf(c.tg_model_trainable_variables, this.pointer, Variable); }
  get nonTrainableVariables() {
    return listOf(c.tg_model_non_trainable_variables, this.pointer, Variable);
  }
  getWeights() { return listOf(c.tg_model_get_weights, this.pointer, Tensor); }
  setWeights(tensors) {
    check(c.tg_model_set_weights(this.pointer, tensors.map(pointerOf), tensors.length));
  }
  saveWeights(path, { optimizer = this.optimizer } = {}) {
    check(c.tg_model_save_weights(this.pointer, path, pointerOf(optimizer)));
  }
  loadWeights(path, { optimizer = this.optimizer } = {}) {
    check(c.tg_model_load_weights(this.pointer, path, pointerOf(optimizer)));
  }

  // model.compile({ optimizer: 'adam' | Optimizer, loss: 'mse' | Loss, metrics: ['accuracy'] })
  compile({ optimizer = 'rmsprop', loss, metrics: names = [] }) {
    this.optimizer = optimizer instanceof Optimizer ? optimizer : new Optimizer(optimizer);
    this.loss = lossOf(loss);
    this.metrics = names.map((m) => (m instanceof Metric ? m : metrics[camelCase(m)]()));
  }

  // model.fit(x, y, { epochs, batchSize, shuffle, seed, validationSplit, validationData:
  // [x, y], verbose, callbacks: [{ onEpochEnd(epoch, logs) {…} }] }) -> { epoch, history }
  fit(x, y, { callbacks: hooks = [], validationData = null, ...options } = {}) {
    this._requireCompiled('fit');
    const struct = {};
    check(c.tg_fit_options_init(struct));
    fillStruct(struct, options, 'fit');
    if (validationData) [struct.validation_x, struct.validation_y] = validationData.map(pointerOf);
    const history = [null];
    withCallbacks(struct, hooks, () => c.tg_model_fit(
      this.pointer, this.loss.pointer, this.optimizer.pointer, this.metrics.map(pointerOf),
      this.metrics.length, pointerOf(x), pointerOf(y), struct, history));
    return historyOf(history[0]);
  }

  // model.evaluate(x, y, { batchSize, callbacks }) -> { loss, <metric name>: value, … }
  evaluate(x, y, { callbacks: hooks = [], ...options } = {}) {
    this._requireCompiled('evaluate');
    const struct = {};
    check(c.tg_evaluate_options_init(struct));
    fillStruct(struct, options, 'evaluate');
    const results = new Array(this.metrics.length + 1).fill(0);
    withCallbacks(struct, hooks, () => c.tg_model_evaluate(
      this.pointer, this.loss.pointer, this.metrics.map(pointerOf), this.metrics.length,
      pointerOf(x), pointerOf(y), struct, results, results.length));
    return Object.fromEntries([['loss', results[0]],
                               ...this.metrics.map((m, i) => [m.name, results[i + 1]])]);
  }

  // model.predict(x, { batchSize }) -> one tensor for all samples
  predict(x, { callbacks: hooks = [], ...options } = {}) {
    const struct = {};
    check(c.tg_predict_options_init(struct));
    fillStruct(struct, options, 'predict');
    const out = [null];
    withCallbacks(struct, hooks, () => c.tg_model_predict(this.pointer, pointerOf(x), struct, out));
    return new Tensor(out[0]);
  }

  _requireCompiled(what) {
    if (!this.loss) throw new TypeError(`tapegrad: call compile() before ${what}()`);
  }
}

module.exports = { Layer, LayerConfig, layers, Loss, losses, Metric, metrics, Optimizer,
                   Sequential, logsOf };
