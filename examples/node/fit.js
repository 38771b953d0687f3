// SPDX-License-Identifier: Apache-2.0
// Keras's compile / fit / evaluate / predict from Node.js with the tapegrad package:
//   model = Sequential([Dense(32, relu), Dense(10)])
//   model.compile(Adam(0.01), CategoricalCrossentropy(from_logits=True), ["accuracy"])
//   model.fit(data, labels, epochs=5, batch_size=32, validation_split=0.2)
// on 1000 random inputs whose class is the index of the largest of their first 10 features,
// so that there is something to learn. A JS callback prints each epoch's logs.
// Run: node examples/node/fit.js [epochs]   (after `npm ci` in bindings/node)
'use strict';

const tg = require('../../bindings/node');

const epochs = Number(process.argv[2] || 5);
const data = tg.randomUniform('float32', [1000, 32], 0, 1, 7);
const labels = tg.oneHot(tg.argmax(tg.slice(data, [0, 0], [1000, 10]), 1), 10, 1, 0, -1, 'float32');

const model = new tg.Sequential([
  tg.layers.dense({ units: 32, activation: 'relu', kernelInitializer: { seed: 1 } }),
  tg.layers.dense({ units: 10, kernelInitializer: { seed: 2 } }),
]);
model.compile({ optimizer: new tg.Optimizer('adam', { learningRate: 0.01 }),
                loss: tg.losses.categoricalCrossentropy({ fromLogits: true }),
                metrics: ['accuracy'] });
model.fit(data, labels, {
  epochs, batchSize: 32, validationSplit: 0.2, seed: 1,
  callbacks: [{
    onEpochEnd(epoch, logs) {
      const values = Object.entries(logs).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(' - ');
      console.log(`Epoch ${epoch + 1}/${epochs} - ${values}`);
    },
  }],
});
const { loss, accuracy } = model.evaluate(data, labels);
console.log(`evaluate: loss ${loss.toFixed(4)}, accuracy ${accuracy.toFixed(4)}`);
console.log(`predict: shape (${model.predict(data).shape.join(', ')})`);
