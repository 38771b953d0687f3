// The seed notebook from Node.js, through tapegrad's C ABI (koffi):
//   cell 1: x = 3; with GradientTape() as g: g.watch(x); y = x * x  →  dy/dx = 6
//   cell 2: MyModel = Dense(32, relu) → Dense(10); data (1000, 32), labels (1000, 10);
//           CategoricalCrossentropy(from_logits=True); Adam(); tape → gradient →
//           apply_gradients (→ iterations 1), then more steps.
// Run: node seed_train.js [steps]    (npm ci first; TAPEGRAD_LIBRARY=<libtapegrad.so> optional)
'use strict';

const tg = require('./tapegrad');
const { c, TG } = tg;

function firstCell() {
  const x = tg.scalar(3.0);
  const [g, y] = tg.withTape(TG.TAPE_DEFAULT, (tape) => {
    tg.check(c.tg_tape_watch(tape, x));
    return tg.make(c.tg_mul, x, x);
  });
  const [dyDx] = tg.gradient(g, y, [x]);
  const value = tg.item(dyDx);
  for (const t of [dyDx, y, x]) c.tg_tensor_free(t);
  c.tg_tape_free(g);
  return value;
}

// Trains the seed model for `steps` steps. labels: 'random' (the notebook's uniform random
// labels) or 'onehot' (one random class per row). Returns the losses, the iteration counts
// apply_gradients returned, and the trainable variables' names and shapes.
function trainSeedModel(steps, labelsKind = 'random', seed = 1) {
  const data = tg.make(c.tg_random_uniform, TG.FLOAT64, [1000, 32], 2, 0.0, 1.0, seed);
  let labels;
  if (labelsKind === 'onehot') {
    const classes = tg.make(c.tg_random_uniform, TG.FLOAT32, [1000], 1, 0.0, 10.0, seed + 1);
    const values = tg.float32Data(classes).map(Math.floor);
    c.tg_tensor_free(classes);
    const indices = tg.make(c.tg_tensor_create, TG.INT32, [1000], 1, Int32Array.from(values));
    labels = tg.make(c.tg_one_hot, indices, 10, 1.0, 0.0, -1, TG.FLOAT32);
    c.tg_tensor_free(indices);
  } else {
    labels = tg.make(c.tg_random_uniform, TG.FLOAT64, [1000, 10], 2, 0.0, 1.0, seed + 1);
  }

  const model = tg.make(c.tg_model_create, 'my_model');
  tg.addDense(model, 32, TG.ACTIVATION_RELU, 42);
  tg.addDense(model, 10, TG.ACTIVATION_LINEAR, 43);
  const lossObject = tg.make(c.tg_loss_categorical_crossentropy, 1, 0.0, TG.REDUCTION_AUTO);
  const optimizer = tg.make(c.tg_optimizer_create, 'adam');

  const losses = [];
  const iterations = [];
  let vars = null;
  for (let step = 0; step < steps; ++step) {
    const [tape, loss] = tg.withTape(TG.TAPE_DEFAULT, () => {
      const predictions = tg.make(c.tg_model_call, model, data);
      const l = tg.make(c.tg_loss_call, lossObject, labels, predictions, null);
      c.tg_tensor_free(predictions);
      return l;
    });
    if (vars === null) vars = tg.trainableVariables(model); // built by the first call
    const grads = tg.gradient(tape, loss, vars);
    const it = [0];
    tg.check(c.tg_optimizer_apply(optimizer, vars, grads, vars.length, it));
    iterations.push(Number(it[0]));
    losses.push(tg.item(loss));
    for (const g of grads) c.tg_tensor_free(g);
    c.tg_tensor_free(loss);
    c.tg_tape_free(tape);
  }
  const variables = vars.map((v) => ({ name: tg.variableName(v), shape: tg.variableShape(v) }));

  for (const v of vars) c.tg_variable_free(v);
  c.tg_optimizer_free(optimizer);
  c.tg_loss_free(lossObject);
  c.tg_model_free(model);
  c.tg_tensor_free(labels);
  c.tg_tensor_free(data);
  return { losses, iterations, variables };
}

function main() {
  const steps = Number(process.argv[2] || 21);
  console.log(`tapegrad ${tg.version()} from Node.js ${process.version} (${tg.libraryPath()})`);
  console.log(`dy_dx = ${firstCell()}`);
  const run = trainSeedModel(steps);
  console.log(`optimizer.apply_gradients(...) -> iterations = ${run.iterations[0]}`);
  console.log('model.trainable_variables:');
  for (const v of run.variables) console.log(`  ${v.name} shape=(${v.shape.join(', ')}${v.shape.length === 1 ? ',' : ''})`);
  console.log(`loss at step 1: ${run.losses[0].toFixed(6)}, at step ${steps}: ${run.losses[steps - 1].toFixed(6)}`);
}

module.exports = { firstCell, trainSeedModel };

if (require.main === module) main();
