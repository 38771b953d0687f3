// SPDX-License-Identifier: Apache-2.0
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const tg = require('..');

test('tensors from nested arrays and typed arrays, with their shape, dtype and data', () => {
  const a = tg.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepStrictEqual(a.shape, [2, 3]);
  assert.strictEqual(a.dtype, 'float32');
  assert.deepStrictEqual(Array.from(a.toArray()), [1, 2, 3, 4, 5, 6]);
  const b = tg.tensor(new Float64Array([1, 2, 3, 4]), { dtype: 'float64', shape: [2, 2] });
  assert.deepStrictEqual(b.shape, [2, 2]);
  assert.strictEqual(b.dtype, 'float64');
  const labels = tg.tensor([3, 1], { dtype: 'int64' });
  assert.deepStrictEqual(Array.from(labels.toArray()), [3n, 1n]);
  assert.strictEqual(tg.scalar(2.5).item(), 2.5);
  assert.throws(() => tg.tensor([[1, 2], [3]]), /ragged/);
});

test('ops take tensors, numbers, arrays and dtype names, and return tensors', () => {
  const a = tg.tensor([[1, 2], [3, 4]]);
  // [[1,2],[3,4]]·[[1,2],[3,4]] = [[7,10],[15,22]]
  assert.deepStrictEqual(Array.from(tg.matmul(a, a, false, false).toArray()), [7, 10, 15, 22]);
  assert.deepStrictEqual(Array.from(tg.mul(a, 2).toArray()), [2, 4, 6, 8]);
  assert.deepStrictEqual(Array.from(tg.reduceSum(a, [1], false).toArray()), [3, 7]);
  assert.deepStrictEqual(tg.pad(a, [[1, 0], [0, 1]], 0).shape, [3, 3]);
  assert.deepStrictEqual(tg.concat([a, a], 0).shape, [4, 2]);
  assert.strictEqual(tg.zeros('float64', [2, 3]).dtype, 'float64');
  const [y, mean, variance] = tg.fusedBatchNorm(a, tg.tensor([1, 1]), tg.tensor([0, 0]), 0.001);
  assert.deepStrictEqual(Array.from(mean.toArray()), [2, 3]);
  assert.deepStrictEqual(y.shape, [2, 2]);
  assert.ok(variance);
});

test('a bad call throws a TapegradError with the library message', () => {
  const a = tg.tensor([[1, 2], [3, 4]]);
  assert.throws(() => tg.matmul(a, tg.tensor([1, 2, 3]), false, false), (e) => {
    assert.ok(e instanceof tg.TapegradError);
    assert.strictEqual(e.code, 'TG_INVALID_ARGUMENT');
    assert.match(e.message, /\[tg_matmul\] matmul/);
    return true;
  });
  assert.throws(() => tg.add(a), /2 arguments given|1 arguments given/);
});

test('dispose frees now, twice is harmless, use after dispose throws instead of crashing', () => {
  const a = tg.tensor([1, 2, 3]);
  a.dispose();
  a.dispose();
  assert.strictEqual(a.disposed, true);
  assert.throws(() => a.shape, /disposed/);
  assert.throws(() => tg.add(a, a), /disposed/);
  // A freed raw handle through tg.c: a status, not a crash.
  const b = tg.tensor([1]);
  const raw = b.pointer;
  b.dispose();
  assert.strictEqual(tg.c.tg_status_string(tg.c.tg_tensor_free(raw)), 'TG_INVALID_HANDLE');
});

test('objects nobody disposes are freed by the garbage collector',
     { skip: typeof global.gc !== 'function' && 'run node with --expose-gc' }, async () => {
  const before = tg._finalized.count;
  for (let i = 0; i < 1000; ++i) tg.tensor([i, i + 1]);
  for (let round = 0; round < 20 && tg._finalized.count - before < 1000; ++round) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(tg._finalized.count - before >= 900, `${tg._finalized.count - before} freed`);
});
