// The Node.js test: the seed notebook's numbers through koffi, training that lowers the loss,
// and errors that become exceptions with the library's message. Run: node test.js
'use strict';

const assert = require('assert');
const tg = require('./tapegrad');
const { firstCell, trainSeedModel } = require('./seed_train');
const { trainWithFit } = require('./fit');
const { c, TG } = tg;

let passed = 0;
function test(name, fn) {
  fn();
  passed += 1;
  console.log(`ok ${passed} - ${name}`);
}

test('the library has the version of the header in this tree', () => {
  const header = require('fs').readFileSync(
    require('path').join(__dirname, '..', '..', 'include', 'tapegrad', 'tapegrad.h'), 'utf8');
  assert.strictEqual(tg.version(), header.match(/#define TG_VERSION_STRING "([^"]+)"/)[1]);
});

test('dy/dx of x*x at 3 is 6', () => {
  assert.strictEqual(firstCell(), 6);
});

test('the seed model: names, shapes, apply_gradients returns 1, 2, ...', () => {
  const run = trainSeedModel(3);
  assert.deepStrictEqual(run.iterations, [1, 2, 3]);
  // The first model of the process: Keras's automatic names "dense", "dense_1".
  assert.deepStrictEqual(run.variables, [
    { name: 'my_model/dense/kernel:0', shape: [32, 32] },
    { name: 'my_model/dense/bias:0', shape: [32] },
    { name: 'my_model/dense_1/kernel:0', shape: [32, 10] },
    { name: 'my_model/dense_1/bias:0', shape: [10] },
  ]);
  for (const loss of run.losses) assert.ok(Number.isFinite(loss) && loss > 0);
});

test('training on one-hot labels lowers the loss', () => {
  const run = trainSeedModel(30, 'onehot');
  assert.ok(run.losses[29] < run.losses[0], `loss ${run.losses[0]} -> ${run.losses[29]}`);
});

test('a shape error is an exception carrying the library message, not a crash', () => {
  const a = tg.tensor(TG.FLOAT32, [2, 3], [1, 2, 3, 4, 5, 6]);
  assert.deepStrictEqual(tg.shapeOf(a), [2, 3]);
  assert.throws(() => tg.make(c.tg_matmul, a, a, 0, 0),
                (e) => e instanceof tg.TapegradError && e.status === 1 &&
                       /TG_INVALID_ARGUMENT: \[tg_matmul\].*\(2,3\) x \(2,3\)/.test(e.message));
  const b = tg.make(c.tg_matmul, a, a, 0, 1); // (2,3) x (3,2)
  assert.deepStrictEqual(Array.from(tg.float32Data(b)), [14, 32, 32, 77]);
  c.tg_tensor_free(b);
  c.tg_tensor_free(a);
  assert.throws(() => tg.item(a), /TG_INVALID_HANDLE: \[tg_tensor_item\]/);
});

test('fit: Keras history, validation equal to evaluate on the held-out rows, predict', () => {
  const run = trainWithFit(4);
  assert.deepStrictEqual(run.history.epoch, [0, 1, 2, 3]);
  assert.deepStrictEqual(Object.keys(run.history.history),
                         ['loss', 'accuracy', 'val_loss', 'val_accuracy']);
  const loss = run.history.history.loss;
  assert.ok(loss[3] < loss[0], `loss ${loss}`);
  // validation_split = 0.2 validates on the last 200 rows with the final weights: the same
  // numbers as evaluate on those rows
  assert.strictEqual(run.evaluation[0], run.history.history.val_loss[3]);
  assert.strictEqual(run.evaluation[1], run.history.history.val_accuracy[3]);
  assert.deepStrictEqual(run.predictShape, [200, 10]);
});

test('fit: a JS callback sees the logs and can stop training', () => {
  const seen = [];
  const run = trainWithFit(10, (epoch, logs) => {
    seen.push([epoch, Object.keys(logs)]);
    return epoch === 1; // model.stop_training = True after the second epoch
  });
  assert.deepStrictEqual(run.history.epoch, [0, 1]);
  assert.deepStrictEqual(seen[0], [0, ['loss', 'accuracy', 'val_loss', 'val_accuracy']]);
});

test('fit: an exception in the callback stops fit and is rethrown; bad options throw', () => {
  assert.throws(() => trainWithFit(3, () => { throw new RangeError('from the callback'); }),
                (e) => e instanceof RangeError && e.message === 'from the callback');
  const model = tg.make(c.tg_model_create, null);
  assert.throws(() => tg.fit(model, null, null, [], null, null, { epoch: 2 }),
                /unknown option epoch/);
  assert.throws(() => tg.fit(model, null, null, [], null, null, {}),
                /TG_INVALID_HANDLE: \[tg_model_fit\]/);
  c.tg_model_free(model);
});

// Custom ops with JS callbacks (custom_op.js).
const { CustomOp } = require('./custom_op');

// x³ with the backward 3·x²·dy written with tapegrad ops (so differentiable again).
function cubeOp(onDestroy = null) {
  const mul = (a, b) => tg.make(c.tg_mul, a, b);
  return new CustomOp('js_cube', 1, 1, ([x]) => {
    const x2 = mul(x, x);
    const y = mul(x2, x);
    c.tg_tensor_free(x2);
    return [y];
  }, ([x], outputs, [dy]) => {
    const three = tg.scalar(3, TG.FLOAT64);
    const x2 = mul(x, x);
    const t = mul(three, x2);
    const g = mul(t, dy);
    [three, x2, t].forEach((h) => c.tg_tensor_free(h));
    return [g];
  }, onDestroy);
}

test('custom op: a JS forward and backward, first and second order (x³ at 2: 8, 12, 12)', () => {
  const op = cubeOp();
  const x = tg.scalar(2, TG.FLOAT64);
  const outer = tg.make(c.tg_tape_begin, TG.TAPE_DEFAULT);
  tg.check(c.tg_tape_watch(outer, x));
  const [inner, y] = tg.withTape(TG.TAPE_DEFAULT, (tape) => {
    tg.check(c.tg_tape_watch(tape, x));
    return op.call([x])[0];
  });
  const [g1] = tg.gradient(inner, y, [x]); // recorded on the outer tape
  tg.check(c.tg_tape_end(outer));
  const [g2] = tg.gradient(outer, g1, [x]);
  assert.deepStrictEqual([tg.item(y), tg.item(g1), tg.item(g2)], [8, 12, 12]);
  [y, g1, g2, x].forEach((h) => c.tg_tensor_free(h));
  [inner, outer].forEach((t) => c.tg_tape_free(t));
  op.free();
});

test('custom op: a clipped gradient; the user-data destructor runs once, after the last record', () => {
  let destroyed = 0;
  const clip = new CustomOp('js_clip_gradient', 1, 1, ([x]) => [tg.make(c.tg_identity, x)], (inputs, outputs, [dy]) => {
    const lo = tg.scalar(-1);
    const hi = tg.scalar(1);
    const g = tg.make(c.tg_clip_by_value, dy, lo, hi);
    c.tg_tensor_free(lo);
    c.tg_tensor_free(hi);
    return [g];
  }, () => { destroyed += 1; });
  const x = tg.tensor(TG.FLOAT32, [2], [1, -1]);
  const k = tg.tensor(TG.FLOAT32, [2], [5, -0.5]);
  const [tape, z] = tg.withTape(TG.TAPE_PERSISTENT, (t) => {
    tg.check(c.tg_tape_watch(t, x));
    const [y] = clip.call([x]);
    const product = tg.make(c.tg_mul, y, k);
    c.tg_tensor_free(y);
    return product;
  });
  clip.free();
  assert.strictEqual(destroyed, 0); // the persistent tape's record keeps the op
  const [g] = tg.gradient(tape, z, [x]);
  assert.deepStrictEqual(Array.from(tg.float32Data(z)), [5, 0.5]);
  assert.deepStrictEqual(Array.from(tg.float32Data(g)), [1, -0.5]); // [5, -0.5] clipped
  [g, z, k, x].forEach((h) => c.tg_tensor_free(h));
  c.tg_tape_free(tape);
  assert.strictEqual(destroyed, 1);
});

test('custom op: an exception in a JS callback is rethrown by the call that ran it', () => {
  const op = new CustomOp('js_fails', 1, 1, ([x]) => {
    if (tg.item(x) < 0) throw new RangeError('negative input');
    return [tg.make(c.tg_identity, x)];
  }, () => { throw new TypeError('no gradient today'); });
  const negative = tg.scalar(-1);
  assert.throws(() => op.call([negative]),
                (e) => e instanceof RangeError && e.message === 'negative input' &&
                       /custom op 'js_fails': the forward callback returned TG_INVALID_ARGUMENT/.test(e.cause.message));
  const x = tg.scalar(2);
  const [tape, y] = tg.withTape(TG.TAPE_PERSISTENT, (t) => {
    tg.check(c.tg_tape_watch(t, x));
    return op.call([x])[0];
  });
  assert.throws(() => tg.gradient(tape, y, [x]),
                (e) => e instanceof TypeError && e.message === 'no gradient today' &&
                       /\[tg_tape_gradient\] custom op 'js_fails': the backward callback/.test(e.cause.message));
  // the tape is still usable: d(x·x)/dx through a fresh record
  tg.check(c.tg_tape_enter(tape));
  const sq = tg.make(c.tg_mul, x, x);
  tg.check(c.tg_tape_end(tape));
  const [g] = tg.gradient(tape, sq, [x]);
  assert.strictEqual(tg.item(g), 4);
  [g, sq, y, x, negative].forEach((h) => c.tg_tensor_free(h));
  c.tg_tape_free(tape);
  op.free();
});

console.log(`${passed} passed, 0 failed`);
