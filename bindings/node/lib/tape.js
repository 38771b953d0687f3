// SPDX-License-Identifier: Apache-2.0
// Variables and tf.GradientTape.
'use strict';

const { c, abi } = require('./ffi');
const { check, callOut, callValue, Handle, pointerOf } = require('./handle');
const { Tensor, DTYPES } = require('./tensor');

const DTYPE_NAMES = Object.fromEntries(Object.entries(DTYPES).map(([name, [v]]) => [v, name]));

class Variable extends Handle {
  // new Variable(initialValue, { name, trainable }) — tf.Variable; or wraps a C handle.
  constructor(value, { name = 'Variable', trainable = true } = {}) {
    if (value instanceof Tensor) {
      super(callOut(c.tg_variable_create, name, value.pointer, trainable ? 1 : 0), 'tg_variable_free');
    } else {
      super(value, 'tg_variable_free');  // a C handle the caller owns
    }
  }

  get name() { return callOut(c.tg_variable_name, this.pointer); }
  get trainable() { return callValue(c.tg_variable_trainable, this.pointer) !== 0; }
  get dtype() { return DTYPE_NAMES[callValue(c.tg_variable_dtype, this.pointer)]; }
  get shape() {
    const dims = new Array(callValue(c.tg_variable_rank, this.pointer)).fill(0);
    check(c.tg_variable_shape(this.pointer, dims, dims.length));
    return dims.map(Number);
  }

  // Reads the variable as a tape sees it (a recording tape watches a trainable variable).
  read() { return new Tensor(callOut(c.tg_variable_read, this.pointer)); }
  // Its current value, without a tape noticing.
  value() { return new Tensor(callOut(c.tg_variable_value, this.pointer)); }
  assign(tensor) { check(c.tg_variable_assign(this.pointer, tensor.pointer)); }
}

const FLAGS = abi.constants;

class GradientTape extends Handle {
  // Begins recording at once (tf.GradientTape() plus entering its `with` block).
  constructor({ persistent = false, watchAccessedVariables = true } = {}) {
    const flags = (persistent ? FLAGS.TG_TAPE_PERSISTENT : 0) |
                  (watchAccessedVariables ? 0 : FLAGS.TG_TAPE_NO_WATCH_ACCESSED_VARIABLES);
    super(callOut(c.tg_tape_begin, flags), 'tg_tape_free');
  }

  // with tf.GradientTape() as tape: fn(tape) — records while fn runs, then stops; returns the
  // tape. An exception from fn stops the recording and is rethrown.
  static record(fn, options) {
    const tape = new GradientTape(options);
    try {
      fn(tape);
    } finally {
      tape.stop();
    }
    return tape;
  }

  watch(...values) { for (const v of values) check(c.tg_tape_watch(this.pointer, pointerOf(v))); }
  stop() { check(c.tg_tape_end(this.pointer)); }
  // Enters the tape again: recording continues into the same record.
  enter() { check(c.tg_tape_enter(this.pointer)); }
  stopRecording() { check(c.tg_tape_stop_recording(this.pointer)); }
  resumeRecording() { check(c.tg_tape_resume_recording(this.pointer)); }
  reset() { check(c.tg_tape_reset(this.pointer)); }
  get recording() { return callValue(c.tg_tape_is_recording, this.pointer) !== 0; }

  // tape.gradient(target, sources, { outputGradients, unconnectedGradients: 'none'|'zero' }):
  // target is a tensor or an array of tensors (summed); sources a tensor or variable (gives
  // one gradient) or an array (gives an array). A gradient is null where TF gives None.
  gradient(target, sources, { outputGradients = null, unconnectedGradients = 'none' } = {}) {
    const targets = Array.isArray(target) ? target : [target];
    const list = Array.isArray(sources) ? sources : [sources];
    const grads = new Array(list.length).fill(null);
    const unconnected = abi.enums.tg_unconnected_gradients[
      `TG_UNCONNECTED_${unconnectedGradients.toUpperCase()}`];
    if (unconnected === undefined) {
      throw new TypeError(`tapegrad: unconnectedGradients must be 'none' or 'zero'`);
    }
    check(c.tg_tape_gradient_ex(this.pointer, targets.map(pointerOf), targets.length,
                                list.map(pointerOf), list.length,
                                outputGradients ? outputGradients.map(pointerOf) : null,
                                unconnected, grads));
    const tensors = grads.map((p) => (p ? new Tensor(p) : null));
    return Array.isArray(sources) ? tensors : tensors[0];
  }

  // tape.jacobian(target, source): d target / d source, of shape target.shape + source.shape.
  jacobian(target, source, { unconnectedGradients = 'none' } = {}) {
    const unconnected = unconnectedGradients === 'zero' ? 1 : 0;
    const out = [null];
    check(c.tg_tape_jacobian(this.pointer, target.pointer, [pointerOf(source)], 1, unconnected, out));
    return out[0] ? new Tensor(out[0]) : null;
  }
}

module.exports = { Variable, GradientTape };
