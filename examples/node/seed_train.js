// SPDX-License-Identifier: Apache-2.0
// The seed notebook from Node.js with the tapegrad package (bindings/node):
//   cell 1: x = 3; with GradientTape() as g: g.watch(x); y = x * x  ->  dy/dx = 6
//   cell 2: MyModel = Dense(32, relu) -> Dense(10); data (1000, 32), labels (1000, 10);
//           CategoricalCrossentropy(from_logits=True); Adam(); tape -> gradient ->
//           apply_gradients (-> iterations 1), then more steps.
// Run: node examples/node/seed_train.js [steps]   (after `npm ci` in bindings/node)
'use strict';

const tg = require('../../bindings/node');

const x = tg.scalar(3);
let y;
const g = tg.GradientTape.record((tape) => { tape.watch(x); y = tg.mul(x, x); });
console.log(`tapegrad ${tg.version}: dy/dx = ${g.gradient(y, x).item()}`);

const model = new tg.Sequential([tg.layers.dense({ units: 32, activation: 'relu' }),
                                 tg.layers.dense({ units: 10 })], { name: 'my_model' });
model.build([-1, 32]);
for (const v of model.trainableVariables) console.log(`${v.name} (${v.shape.join(', ')})`);

const data = tg.randomUniform('float32', [1000, 32], 0, 1, 1);
const labels = tg.randomUniform('float32', [1000, 10], 0, 1, 2);
const lossObject = tg.losses.categoricalCrossentropy({ fromLogits: true });
const optimizer = new tg.Optimizer('adam');
const variables = model.trainableVariables;
const steps = Number(process.argv[2] || 5);
for (let step = 0; step < steps; ++step) {
  let loss;
  const tape = tg.GradientTape.record(() => { loss = lossObject.call(labels, model.call(data)); });
  const iterations = optimizer.applyGradients(tape.gradient(loss, variables), variables);
  console.log(`step ${iterations}: loss ${loss.item().toFixed(4)}`);
}
