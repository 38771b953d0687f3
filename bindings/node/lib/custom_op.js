// SPDX-License-Identifier: Apache-2.0
// Custom ops with JavaScript callbacks (the header's "Custom ops and custom gradients"), through
// koffi callbacks: an op whose forward and gradient are JS functions, recorded on the tapes
// like a built-in op.
//
//   const clip = new tg.CustomOp('clip_gradient', {
//     forward: ([x]) => [tg.identity(x)],
//     backward: (inputs, outputs, [dy]) => [tg.clipByValue(dy, tg.scalar(-1), tg.scalar(1))],
//   });
//   const [y] = clip.call([x]);
//
// forward(inputs) gets Tensors and returns an array of numOutputs Tensors; backward(inputs,
// outputs, outputGrads) returns one Tensor per input, or null for none. The Tensors they get are
// their own (copies of the library's lent handles, sharing the data); the library takes new
// handles of the Tensors they return. Both run synchronously on this thread, inside the call that
// needs them: call() for the forward, a gradient or jacobian for the backward. An exception
// they throw is rethrown by that call, with the library's error (naming the op) as its `cause`.
'use strict';

const { c, koffi, callbacks } = require('./ffi');
const { check, callbackFailed, callOut, Handle, pointerOf } = require('./handle');
const { Tensor } = require('./tensor');

const POINTER_SIZE = koffi.sizeof('void *');

// Tensors of their own for the n handles the library lends in a C array (tg_tensor* const*).
function lent(array, n) {
  if (Number(n) === 0) return [];
  return koffi.decode(array, 'void *', Number(n)).map((h) => new Tensor(callOut(c.tg_identity, h)));
}

// Writes new handles of `values` (Tensors, or null for none) into the n slots of a C array
// (tg_tensor**): the library takes them over.
function give(slots, n, values, what) {
  if (!Array.isArray(values) || values.length !== Number(n)) {
    throw new TypeError(`${what} must return an array of ${n} tensors (or nulls)`);
  }
  values.forEach((t, i) => {
    if (t === null || t === undefined) return;
    if (!(t instanceof Tensor)) throw new TypeError(`${what}: element ${i} is not a Tensor`);
    koffi.encode(slots, i * POINTER_SIZE, 'void *', callOut(c.tg_identity, t.pointer));
  });
}

class CustomOp extends Handle {
  // name: shown in errors. numInputs / numOutputs: the counts of every call (default 1).
  // backward: omit it for an op that is not differentiable. onDestroy: called once when the
  // library lets go of the op (after dispose() and once no tape record of a call remains).
  constructor(name, { numInputs = 1, numOutputs = 1, forward, backward = null, onDestroy = null }) {
    const fw = koffi.register((call, inputs, nIn, outputs, nOut) => {
      try {
        give(outputs, nOut, forward(lent(inputs, nIn)), `custom op '${name}': forward`);
        return 0;
      } catch (e) {
        return callbackFailed(e);
      }
    }, koffi.pointer(callbacks.tg_custom_forward_fn));
    const bw = backward && koffi.register((call, inputs, nIn, outputs, nOut, outputGrads, grads, nGrads) => {
      try {
        const result = backward(lent(inputs, nIn), lent(outputs, nOut), lent(outputGrads, nOut));
        give(grads, nGrads, result, `custom op '${name}': backward`);
        return 0;
      } catch (e) {
        return callbackFailed(e);
      }
    }, koffi.pointer(callbacks.tg_custom_backward_fn));
    const release = () => {
      koffi.unregister(fw);
      if (bw) koffi.unregister(bw);
      koffi.unregister(destroy);
    };
    // why setImmediate: a callback must not be unregistered while C is still inside one of
    // this op's calls (the destroy callback itself is one).
    const destroy = koffi.register(() => {
      setImmediate(release);
      if (onDestroy) onDestroy();
    }, koffi.pointer(callbacks.tg_destroy_fn));
    const out = [null];
    const status = c.tg_custom_op_create(name, numInputs, numOutputs, 0, fw, bw || null, null, destroy, out);
    if (status !== 0) {
      release();
      check(status);
    }
    super(out[0], 'tg_custom_op_free');
    this.numOutputs = numOutputs;
  }

  // Runs the op on an array of Tensors; returns an array of new Tensors.
  call(inputs) {
    const outputs = new Array(this.numOutputs).fill(null);
    check(c.tg_custom_op_call(this.pointer, inputs.map(pointerOf), inputs.length, outputs,
                              outputs.length, null));
    return outputs.map((p) => new Tensor(p));
  }
}

module.exports = { CustomOp };
