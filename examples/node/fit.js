// Keras's compile / fit / evaluate / predict from Node.js, through tapegrad's C ABI (koffi):
//   model = MyModel: Dense(32, relu) -> Dense(10)          (the seed notebook's model)
//   model.compile(Adam(), CategoricalCrossentropy(from_logits=True), ["accuracy"])
//   history = model.fit(data, labels, epochs=5, batch_size=32, validation_split=0.2)
//   model.evaluate(...); model.predict(...)
// on 1000 random inputs whose one-hot labels a linear rule decides, so that there is
// something to learn. A JS function sees each epoch's logs (a Keras callback).
// Run: node fit.js [epochs]    (npm ci first; TAPEGRAD_LIBRARY=<libtapegrad.so> optional)
'use strict';

const tg = require('./tapegrad');
const { c, TG } = tg;

// data (1000, 32) uniform in [0, 1); labels one-hot (1000, 10): the class is the index of the
// largest of the first 10 features.
function makeData(seed) {
  const data = tg.make(c.tg_random_uniform, TG.FLOAT32, [1000, 32], 2, 0.0, 1.0, seed);
  const x = tg.float32Data(data);
  const onehot = new Float32Array(1000 * 10);
  for (let i = 0; i < 1000; ++i) {
    let best = 0;
    for (let k = 1; k < 10; ++k) if (x[i * 32 + k] > x[i * 32 + best]) best = k;
    onehot[i * 10 + best] = 1;
  }
  const labels = tg.make(c.tg_tensor_create, TG.FLOAT32, [1000, 10], 2, onehot);
  return { data, labels };
}

// The last `count` rows of a (1000, d) tensor: what validation_split = count / 1000 holds out.
function lastRows(t, count) {
  const [n, d] = tg.shapeOf(t);
  return tg.make(c.tg_slice, t, [n - count, 0], [count, d], 2);
}

function trainWithFit(epochs, onEpochEnd = null) {
  const { data, labels } = makeData(7);
  const model = tg.make(c.tg_model_create, 'my_model');
  tg.addDense(model, 32, TG.ACTIVATION_RELU, 1);
  tg.addDense(model, 10, TG.ACTIVATION_LINEAR, 2);
  tg.check(c.tg_model_build(model, [-1, 32], 2));
  const loss = tg.make(c.tg_loss_categorical_crossentropy, 1, 0.0, TG.REDUCTION_AUTO);
  const optimizer = tg.make(c.tg_optimizer_create, 'adam');
  tg.check(c.tg_optimizer_set(optimizer, 'learning_rate', 0.01));
  const accuracy = tg.make(c.tg_metric_auto_accuracy);
  try {
    const history = tg.fit(model, loss, optimizer, [accuracy], data, labels,
                           { epochs, batchSize: 32, validationSplit: 0.2, seed: 1 }, onEpochEnd);
    const xVal = lastRows(data, 200);
    const yVal = lastRows(labels, 200);
    const evaluation = tg.evaluate(model, loss, [accuracy], xVal, yVal);
    const predictions = tg.make(c.tg_model_predict, model, xVal, null);
    const predictShape = tg.shapeOf(predictions);
    for (const t of [predictions, xVal, yVal]) c.tg_tensor_free(t);
    return { history, evaluation, predictShape };
  } finally {
    c.tg_metric_free(accuracy);
    c.tg_optimizer_free(optimizer);
    c.tg_loss_free(loss);
    c.tg_model_free(model);
    c.tg_tensor_free(labels);
    c.tg_tensor_free(data);
  }
}

function main() {
  const epochs = Number(process.argv[2] || 5);
  console.log(`tapegrad ${tg.version()} from Node.js ${process.version}: fit, evaluate, predict`);
  const run = trainWithFit(epochs, (epoch, logs) => {
    const values = Object.entries(logs).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(' - ');
    console.log(`Epoch ${epoch + 1}/${epochs} - ${values}`);
  });
  const [loss, accuracy] = run.evaluation;
  console.log(`evaluate on the validation rows: loss ${loss.toFixed(4)}, accuracy ${accuracy.toFixed(4)}`);
  console.log(`predict: shape (${run.predictShape.join(', ')})`);
}

module.exports = { trainWithFit };

if (require.main === module) main();
