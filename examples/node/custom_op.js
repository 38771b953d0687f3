// Custom ops with JavaScript callbacks (tapegrad.h, "Custom ops and custom gradients"), through
// koffi callbacks: an op whose forward and gradient are JS functions, recorded on the tapes like
// a built-in op.
//
//   const clip = new CustomOp('clip_gradient', 1, 1,
//     ([x]) => [tg.make(c.tg_identity, x)],                       // forward
//     (inputs, outputs, [dy]) => [clipByValue(dy, -1, 1)]);      // backward
//   const [y] = clip.call([x]);
//
// forward(inputs) gets the input handles (lent: valid during the call, not to be freed) and
// returns the output handles, new ones, which the library takes over (it frees them).
// backward(inputs, outputs, outputGrads) gets lent handles too and returns one new handle per
// input, or null for none. Both run synchronously, on this thread, inside the call that needs
// them (call() for the forward, a gradient or jacobian for the backward). An exception they
// throw is rethrown by that call (with the library's error, naming the op, as its `cause`).
'use strict';

const koffi = require('koffi');
const tg = require('./tapegrad');

const { lib, c, check, callbackFailed } = tg;

const ForwardFn = koffi.proto(
  'int tg_custom_forward_fn(void *call, void *inputs, size_t num_inputs, void *outputs, size_t num_outputs, void *user_data)');
const BackwardFn = koffi.proto(
  'int tg_custom_backward_fn(void *call, void *inputs, size_t num_inputs, void *outputs, size_t num_outputs, void *output_grads, void *grads, size_t num_grads, void *user_data)');
const DestroyFn = koffi.proto('void tg_destroy_fn(void *data)');

const H = 'void *';
const create = lib.func(`int tg_custom_op_create(const char *name, size_t num_inputs, size_t num_outputs, uint32_t flags, tg_custom_forward_fn *forward, tg_custom_backward_fn *backward, void *user_data, tg_destroy_fn *destroy, _Out_ ${H} *out)`);
const callOp = lib.func(`int tg_custom_op_call(${H} op, ${H} *inputs, size_t num_inputs, _Out_ ${H} *outputs, size_t capacity, _Out_ size_t *num_outputs)`);
const freeOp = lib.func(`int tg_custom_op_free(${H} op)`);

// n handles from a C array (void **).
function handles(array, n) {
  return n === 0 ? [] : koffi.decode(array, 'void *', Number(n));
}

// Writes values[i] (a handle or null) into the C array slots (void **) of n entries.
function give(slots, n, values, what) {
  if (!Array.isArray(values) || values.length > n)
    throw new TypeError(`${what} must return an array of at most ${n} handles`);
  values.forEach((h, i) => koffi.encode(slots, i * koffi.sizeof('void *'), 'void *', h));
}

class CustomOp {
  // numInputs / numOutputs: counts (TG_CUSTOM_ANY is not offered here). backward may be null
  // (the op is then not differentiable). onDestroy, if given, is called once when the library
  // lets go of the op: after free() and once no tape record of a call of it remains.
  constructor(name, numInputs, numOutputs, forward, backward, onDestroy = null) {
    this.numOutputs = numOutputs;
    const fw = koffi.register((call, inputs, nIn, outputs, nOut) => {
      try {
        give(outputs, Number(nOut), forward(handles(inputs, nIn)), `${name}: forward`);
        return 0;
      } catch (e) {
        return callbackFailed(e);
      }
    }, koffi.pointer(ForwardFn));
    const bw = backward && koffi.register((call, inputs, nIn, outputs, nOut, outputGrads, grads, nGrads) => {
      try {
        const dys = handles(outputGrads, nOut);
        give(grads, Number(nGrads), backward(handles(inputs, nIn), handles(outputs, nOut), dys),
             `${name}: backward`);
        return 0;
      } catch (e) {
        return callbackFailed(e);
      }
    }, koffi.pointer(BackwardFn));
    // why setImmediate: a registered callback must not be unregistered while C is still inside
    // one of this op's calls (the destroy callback itself is one).
    const destroy = koffi.register(() => {
      setImmediate(() => {
        koffi.unregister(fw);
        if (bw) koffi.unregister(bw);
        koffi.unregister(destroy);
      });
      if (onDestroy) onDestroy();
    }, koffi.pointer(DestroyFn));
    const out = [null];
    const status = create(name, numInputs, numOutputs, 0, fw, bw || null, null, destroy, out);
    if (status !== 0) {
      koffi.unregister(fw);
      if (bw) koffi.unregister(bw);
      koffi.unregister(destroy);
      check(status);
    }
    this.handle = out[0];
  }

  // Runs the op on input handles; returns new output handles, owned by the caller.
  call(inputs) {
    const outputs = new Array(this.numOutputs).fill(null);
    check(callOp(this.handle, inputs, inputs.length, outputs, outputs.length, [0]));
    return outputs;
  }

  free() {
    check(freeOp(this.handle));
    this.handle = null;
  }
}

module.exports = { CustomOp };
