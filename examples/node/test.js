// The Node.js test: the seed notebook's numbers through koffi, training that lowers the loss,
// and errors that become exceptions with the library's message. Run: node test.js
'use strict';

const assert = require('assert');
const tg = require('./tapegrad');
const { firstCell, trainSeedModel } = require('./seed_train');
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

console.log(`${passed} passed, 0 failed`);
