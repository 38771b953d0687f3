/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seed notebook (TF 2.0 GradientTape tutorial), replayed from plain C.
 *
 *   Cell 1: x = 3.0; with GradientTape() as g: g.watch(x); y = x * x  →  dy_dx = 6.0
 *   Cell 2: MyModel = Dense(32, relu) → Dense(10); data (1000, 32) and labels (1000, 10)
 *           uniform random; CategoricalCrossentropy(from_logits=True); Adam();
 *           one step of tape → gradient → apply_gradients, which returns iterations = 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tapegrad/tapegrad.h"

/* Every call is checked: on failure print the library's message and stop. */
static void check(tg_status status, const char* what) {
  if (status != TG_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, tg_status_string(status), tg_last_error_message());
    exit(1);
  }
}

static void first_cell(void) {
  tg_tensor *x, *y, *dy_dx;
  tg_tape* g;
  double value;
  const void* targets[1];
  const void* sources[1];

  check(tg_tensor_scalar(TG_FLOAT32, 3.0, &x), "x = tf.constant(3.0)");
  check(tg_tape_begin(TG_TAPE_DEFAULT, &g), "with tf.GradientTape() as g");
  check(tg_tape_watch(g, x), "g.watch(x)");
  check(tg_mul(x, x, &y), "y = x * x");
  targets[0] = y;
  sources[0] = x;
  /* As in the notebook, gradient() is called inside the `with` block: a non-persistent
   * tape stops recording first. */
  check(tg_tape_gradient(g, targets, 1, sources, 1, &dy_dx), "g.gradient(y, x)");
  check(tg_tape_free(g), "end of with");
  check(tg_tensor_item(dy_dx, &value), "dy_dx.numpy()");
  printf("dy_dx = %g\n", value);
  tg_tensor_free(dy_dx);
  tg_tensor_free(y);
  tg_tensor_free(x);
}

/* loss_object = tf.keras.losses.CategoricalCrossentropy(from_logits=True) */
static tg_loss* loss_object;

/* One forward pass and loss; if `tape_out` is not NULL the pass is recorded on a new tape. */
static tg_tensor* forward_loss(tg_model* model, const tg_tensor* data, const tg_tensor* labels,
                               tg_tape** tape_out) {
  tg_tensor *predictions, *loss;
  if (tape_out) check(tg_tape_begin(TG_TAPE_DEFAULT, tape_out), "with tf.GradientTape() as tape");
  check(tg_model_call(model, data, &predictions), "predictions = model(data)");
  check(tg_loss_call(loss_object, labels, predictions, NULL, &loss),
        "loss = loss_object(labels, predictions)");
  if (tape_out) check(tg_tape_end(*tape_out), "end of with");
  tg_tensor_free(predictions);
  return loss;
}

#define NUM_VARIABLES 4
#define MORE_STEPS 20

/* One training step. Every handle it makes (the tape, the loss, the gradients) belongs to a
 * scope, so ending the scope frees them all. */
static void train_step(tg_model* model, tg_optimizer* optimizer, const tg_tensor* data,
                       const tg_tensor* labels, tg_variable** vars, int64_t* iterations,
                       double* loss_value) {
  tg_scope* step;
  tg_tape* tape;
  tg_tensor* grads[NUM_VARIABLES];
  const void* sources[NUM_VARIABLES];
  const void* targets[1];
  size_t i;
  tg_tensor* loss;
  check(tg_scope_begin(&step), "scope");
  loss = forward_loss(model, data, labels, &tape);
  for (i = 0; i < NUM_VARIABLES; ++i) sources[i] = vars[i];
  targets[0] = loss;
  check(tg_tape_gradient(tape, targets, 1, sources, NUM_VARIABLES, grads),
        "tape.gradient(loss, model.trainable_variables)");
  check(tg_optimizer_apply(optimizer, vars, grads, NUM_VARIABLES, iterations),
        "optimizer.apply_gradients(zip(gradients, model.trainable_variables))");
  check(tg_tensor_item(loss, loss_value), "loss.numpy()");
  check(tg_scope_end(step), "end of the step");
}

static void second_cell(void) {
  const int64_t data_shape[2] = {1000, 32}, labels_shape[2] = {1000, 10};
  tg_tensor *data, *labels, *loss;
  tg_model* model;
  tg_optimizer* optimizer;
  tg_layer_config dense;
  tg_variable* vars[NUM_VARIABLES];
  size_t count, i;
  int64_t iterations = 0;
  double first_loss, loss_value;

  /* data = np.random.random((1000, 32)); labels = np.random.random((1000, 10)) — float64,
   * which the first Dense layer casts to float32 as Keras does. */
  check(tg_random_uniform(TG_FLOAT64, data_shape, 2, 0.0, 1.0, 1, &data), "data");
  check(tg_random_uniform(TG_FLOAT64, labels_shape, 2, 0.0, 1.0, 2, &labels), "labels");

  check(tg_model_create("my_model", &model), "MyModel()");
  check(tg_layer_config_init(TG_LAYER_DENSE, &dense), "Dense defaults");
  dense.units = 32;
  dense.activation = TG_ACTIVATION_RELU;
  dense.kernel_initializer.seed = 42;
  check(tg_model_add(model, &dense, NULL), "Dense(32, 'relu')");
  dense.units = 10;
  dense.activation = TG_ACTIVATION_LINEAR;
  dense.kernel_initializer.seed = 43;
  check(tg_model_add(model, &dense, NULL), "Dense(10)");
  check(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &loss_object),
        "tf.keras.losses.CategoricalCrossentropy(from_logits=True)");
  check(tg_optimizer_create("adam", &optimizer), "tf.keras.optimizers.Adam()");

  /* The model builds its variables on the first call. */
  loss = forward_loss(model, data, labels, NULL);
  tg_tensor_free(loss);
  check(tg_model_trainable_variables(model, vars, NUM_VARIABLES, &count), "model.trainable_variables");
  if (count != NUM_VARIABLES) {
    fprintf(stderr, "expected %d trainable variables, got %zu\n", NUM_VARIABLES, count);
    exit(1);
  }

  train_step(model, optimizer, data, labels, vars, &iterations, &first_loss);
  printf("optimizer.apply_gradients(...) -> iterations = %lld\n", (long long)iterations);

  printf("model.trainable_variables:\n");
  for (i = 0; i < count; ++i) {
    const char* name;
    int rank, d;
    int64_t dims[TG_MAX_RANK];
    check(tg_variable_name(vars[i], &name), "variable.name");
    check(tg_variable_rank(vars[i], &rank), "variable.shape");
    check(tg_variable_shape(vars[i], dims, TG_MAX_RANK), "variable.shape");
    printf("  %s shape=(", name);
    for (d = 0; d < rank; ++d) printf(d ? ", %lld" : "%lld", (long long)dims[d]);
    printf(rank == 1 ? ",)\n" : ")\n");
  }

  for (i = 0; i < MORE_STEPS; ++i)
    train_step(model, optimizer, data, labels, vars, &iterations, &loss_value);
  loss = forward_loss(model, data, labels, NULL);
  check(tg_tensor_item(loss, &loss_value), "loss.numpy()");
  printf("loss before the first step: %.6f\n", first_loss);
  printf("loss after %d more steps (iterations = %lld): %.6f\n", MORE_STEPS, (long long)iterations,
         loss_value);
  tg_tensor_free(loss);

  for (i = 0; i < count; ++i) tg_variable_free(vars[i]);
  tg_optimizer_free(optimizer);
  tg_loss_free(loss_object);
  tg_model_free(model);
  tg_tensor_free(labels);
  tg_tensor_free(data);
}

int main(void) {
  printf("tapegrad %s — replaying the seed notebook\n", tg_version());
  first_cell();
  second_cell();
  return 0;
}
