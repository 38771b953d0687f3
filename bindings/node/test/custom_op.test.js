// SPDX-License-Identifier: Apache-2.0
// Custom ops with JavaScript callbacks (lib/custom_op.js). Expected numbers are worked out by
// hand in the comments.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const tg = require('..');

// x³, with the backward 3·x²·dy written with tapegrad ops (so differentiable again).
function cubeOp(onDestroy = null) {
  return new tg.CustomOp('js_cube', {
    forward: ([x]) => [tg.mul(tg.mul(x, x), x)],
    backward: ([x], outputs, [dy]) => [tg.mul(tg.mul(tg.scalar(3, x.dtype), tg.mul(x, x)), dy)],
    onDestroy,
  });
}

test('custom op: first and second order gradients (x³ at 2: 8, 12, 12)', () => {
  const op = cubeOp();
  const x = tg.scalar(2, 'float64');
  let y;
  let g1;
  const outer = tg.GradientTape.record((o) => {
    o.watch(x);
    const inner = tg.GradientTape.record((t) => { t.watch(x); [y] = op.call([x]); });
    g1 = inner.gradient(y, x);  // recorded on the outer tape
  });
  const g2 = outer.gradient(g1, x);
  assert.deepStrictEqual([y.item(), g1.item(), g2.item()], [8, 12, 12]);
});

test('custom op: a clipped gradient, and a jacobian through it', () => {
  const clip = new tg.CustomOp('js_clip_gradient', {
    forward: ([x]) => [tg.identity(x)],
    backward: (inputs, outputs, [dy]) => [tg.clipByValue(dy, tg.scalar(-1), tg.scalar(1))],
  });
  const x = tg.tensor([1, -1]);
  let z;
  const tape = tg.GradientTape.record((t) => {
    t.watch(x);
    z = tg.mul(clip.call([x])[0], tg.tensor([5, -0.5]));
  }, { persistent: true });
  assert.deepStrictEqual(Array.from(z.toArray()), [5, 0.5]);
  assert.deepStrictEqual(Array.from(tape.gradient(z, x).toArray()), [1, -0.5]);  // [5, -0.5] clipped
  // jacobian rows: d z_i / d x = clip(e_i · [5, -0.5]) = [[1, 0], [0, -0.5]] (+ 0 turns the -0
  // that e_0 · -0.5 gives into 0)
  assert.deepStrictEqual(Array.from(tape.jacobian(z, x).toArray(), (v) => v + 0), [1, 0, 0, -0.5]);
});

test('custom op: the destroy callback runs once, after the last tape record of a call', async () => {
  let destroyed = 0;
  const op = cubeOp(() => { destroyed += 1; });
  const x = tg.scalar(2);
  let y;
  const tape = tg.GradientTape.record((t) => { t.watch(x); [y] = op.call([x]); }, { persistent: true });
  op.dispose();
  assert.strictEqual(destroyed, 0);  // the persistent tape's record keeps the op
  assert.strictEqual(tape.gradient(y, x).item(), 12);
  tape.dispose();
  assert.strictEqual(destroyed, 1);
  await new Promise((resolve) => setImmediate(resolve));  // the callbacks are unregistered by now
});

test('custom op: an exception in a JS callback is rethrown by the call that ran it', () => {
  const op = new tg.CustomOp('js_fails', {
    forward: ([x]) => {
      if (x.item() < 0) throw new RangeError('negative input');
      return [tg.identity(x)];
    },
    backward: () => { throw new TypeError('no gradient today'); },
  });
  assert.throws(() => op.call([tg.scalar(-1)]),
                (e) => e instanceof RangeError && e.message === 'negative input' &&
                       /custom op 'js_fails': the forward callback returned TG_INVALID_ARGUMENT/.test(e.cause.message));
  const x = tg.scalar(2);
  let y;
  let sq;
  const tape = tg.GradientTape.record((t) => {
    t.watch(x);
    [y] = op.call([x]);
    sq = tg.mul(x, x);
  }, { persistent: true });
  assert.throws(() => tape.gradient(y, x),
                (e) => e instanceof TypeError && e.message === 'no gradient today' &&
                       /\[tg_tape_gradient_ex\] custom op 'js_fails': the backward callback/.test(e.cause.message));
  assert.strictEqual(tape.gradient(sq, x).item(), 4);  // the tape is still usable
  assert.throws(() => new tg.CustomOp('', { forward: () => [] }), /TG_INVALID_ARGUMENT: .*name is empty/);
});
