// SPDX-License-Identifier: Apache-2.0
// The seed notebook's workflow and Keras's fit, from JavaScript.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const tg = require('..');

test('dy/dx of y = x·x at 3 is 6 (the notebook\'s first cell)', () => {
  const x = tg.scalar(3);
  let y;
  const tape = tg.GradientTape.record((t) => { t.watch(x); y = tg.mul(x, x); });
  assert.strictEqual(tape.gradient(y, x).item(), 6);
  assert.throws(() => tape.gradient(y, x), /non-persistent/);
});

test('a persistent tape gives several gradients; unconnected sources give null or zeros', () => {
  const x = tg.scalar(3);
  const z = tg.scalar(1);
  let y;
  const tape = tg.GradientTape.record((t) => { t.watch(x); y = tg.mul(tg.mul(x, x), x); },
                                      { persistent: true });
  assert.strictEqual(tape.gradient(y, x).item(), 27);  // 3x²
  const [dx, dz] = tape.gradient(y, [x, z]);
  assert.strictEqual(dx.item(), 27);
  assert.strictEqual(dz, null);
  assert.strictEqual(tape.gradient(y, z, { unconnectedGradients: 'zero' }).item(), 0);
});

function seedModel() {
  const model = new tg.Sequential([
    tg.layers.dense({ units: 32, activation: 'relu', kernelInitializer: { seed: 1 } }),
    tg.layers.dense({ units: 10, kernelInitializer: { seed: 2 } }),
  ], { name: 'my_model' });
  model.build([-1, 32]);
  return model;
}

test('the seed notebook\'s training step: tape, loss, gradient, Adam', () => {
  const model = seedModel();
  const variables = model.trainableVariables;
  assert.deepStrictEqual(variables.map((v) => `${v.name} ${v.shape}`), [
    'my_model/dense/kernel:0 32,32', 'my_model/dense/bias:0 32',
    'my_model/dense_1/kernel:0 32,10', 'my_model/dense_1/bias:0 10']);
  const data = tg.randomUniform('float32', [1000, 32], 0, 1, 1);
  // Rows that sum to 1: TensorFlow's cross-entropy gradient (softmax − labels) is the loss's
  // gradient only for such labels (the notebook's unnormalised ones need not descend).
  const labels = tg.softmax(tg.randomUniform('float32', [1000, 10], 0, 1, 2), -1);
  const loss = tg.losses.categoricalCrossentropy({ fromLogits: true });
  const optimizer = new tg.Optimizer('adam');
  const losses = [];
  for (let step = 1; step <= 20; ++step) {
    let value;
    const tape = tg.GradientTape.record(() => { value = loss.call(labels, model.call(data)); });
    const grads = tape.gradient(value, variables);
    assert.strictEqual(optimizer.applyGradients(grads, variables), step);
    losses.push(value.item());
  }
  assert.ok(losses[19] < losses[0], `loss ${losses[0]} -> ${losses[19]}`);
});

test('fit learns a learnable rule, reports Keras\'s logs, and a callback can stop it', () => {
  // The class of a sample is the index of the largest of its first 10 features.
  const data = tg.randomUniform('float32', [1000, 32], 0, 1, 7);
  const labels = tg.oneHot(tg.argmax(tg.slice(data, [0, 0], [1000, 10]), 1), 10, 1, 0, -1, 'float32');
  const model = seedModel();
  model.compile({ optimizer: new tg.Optimizer('adam', { learningRate: 0.01 }),
                  loss: tg.losses.categoricalCrossentropy({ fromLogits: true }),
                  metrics: ['accuracy'] });
  const seen = [];
  const { epoch, history } = model.fit(data, labels, {
    epochs: 8, batchSize: 32, validationSplit: 0.2, seed: 1,
    callbacks: [{ onEpochEnd(e, logs) { seen.push([e, logs]); } }],
  });
  assert.deepStrictEqual(epoch, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepStrictEqual(Object.keys(history), ['loss', 'accuracy', 'val_loss', 'val_accuracy']);
  assert.strictEqual(seen.length, 8);
  assert.deepStrictEqual(seen[7][1].loss, history.loss[7]);
  assert.ok(history.accuracy[7] > 0.5, `accuracy ${history.accuracy[7]}`);
  const result = model.evaluate(data, labels);
  assert.deepStrictEqual(Object.keys(result), ['loss', 'accuracy']);
  assert.deepStrictEqual(model.predict(data).shape, [1000, 10]);

  const stopped = model.fit(data, labels, {
    epochs: 5, callbacks: [{ onEpochEnd: (e) => e === 1 }] });
  assert.deepStrictEqual(stopped.epoch, [0, 1]);
  assert.throws(() => model.fit(data, labels, {
    epochs: 2, callbacks: [{ onEpochEnd() { throw new Error('from the callback'); } }] }),
  /from the callback/);
  assert.throws(() => model.fit(data, labels, { epochz: 2 }), /no option 'epochz'/);
});

test('layer options by name: activations, initializers, dtypes; losses and metrics by name', () => {
  const model = new tg.Sequential([
    tg.layers.dense({ units: 3, kernelInitializer: 'ones', biasInitializer: { kind: 'constant', a: 0.5 },
                      dtype: 'float64', activation: 'relu' })]);
  model.build([-1, 2]);
  const [kernel, bias] = model.getWeights();
  assert.deepStrictEqual(Array.from(kernel.toArray()), [1, 1, 1, 1, 1, 1]);
  assert.deepStrictEqual(Array.from(bias.toArray()), [0.5, 0.5, 0.5]);
  // relu([1, -3]·ones + 0.5) = relu(-1.5) = 0 in each unit
  const y = model.call(tg.tensor([[1, -3]], { dtype: 'float64' }));
  assert.deepStrictEqual(Array.from(y.toArray()), [0, 0, 0]);
  assert.throws(() => tg.layers.dense({ units: 3, activation: 'nope' }), /unknown activation 'nope'/);
  model.compile({ optimizer: 'sgd', loss: 'mse', metrics: [] });
  // mse of [0, 0, 0] against [1, 2, 3] = 14 / 3
  const result = model.evaluate(tg.tensor([[1, -3]], { dtype: 'float64' }),
                                tg.tensor([[1, 2, 3]], { dtype: 'float64' }));
  assert.ok(Math.abs(result.loss - 14 / 3) < 1e-6, String(result.loss));
});
