/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_nn.c — models and Dense layers, and the Adam optimizer through
 * the C ABI, compiled as C99. Expected numbers are worked out by hand from the Keras
 * formulas (docs/tensorflow.md), not taken from tapegrad.
 */
#include <math.h>
#include <string.h>

#include "helpers.h"

static void variable_name_is(tg_variable* v, const char* expected) {
  const char* name = NULL;
  CHECK_OK(tg_variable_name(v, &name));
  CHECK(name && strcmp(name, expected) == 0);
}

/* Keras naming, order and shapes; glorot_uniform range; Dense maths with known weights. */
static void test_model_and_dense(void) {
  const int64_t x_shape[2] = {2, 3};
  const double x_values[6] = {1, 2, 3, -1, 0, 1};
  tg_model *model = NULL, *auto_named = NULL;
  tg_tensor *x = make_tensor(TG_FLOAT64, x_shape, 2, x_values), *y = NULL, *kernel = NULL;
  tg_variable* vars[4] = {NULL, NULL, NULL, NULL};
  size_t count = 99;
  int64_t dims[TG_MAX_RANK];
  int i;

  CHECK_OK(tg_model_create("my_model", &model));
  CHECK_OK(add_dense(model, 2, TG_ACTIVATION_RELU, 1, 7, NULL));
  CHECK_OK(add_dense(model, 1, TG_ACTIVATION_LINEAR, 0, 8, NULL));
  CHECK_OK(tg_model_trainable_variables(model, NULL, 0, &count));
  CHECK(count == 0); /* not built before the first call */

  CHECK_OK(tg_model_call(model, x, &y));
  CHECK_OK(tg_tensor_shape(y, dims, TG_MAX_RANK));
  CHECK(dims[0] == 2 && dims[1] == 1);
  tg_tensor_free(y);
  y = NULL;

  CHECK_OK(tg_model_trainable_variables(model, NULL, 0, &count));
  CHECK(count == 3); /* kernel, bias, kernel (the second layer has no bias) */
  CHECK_OK(tg_model_trainable_variables(model, vars, 2, &count));
  CHECK(count == 3 && vars[0] && vars[1]); /* only `capacity` handles are written */
  tg_variable_free(vars[0]);
  tg_variable_free(vars[1]);
  CHECK_OK(tg_model_trainable_variables(model, vars, 4, &count));
  CHECK(count == 3 && vars[3] == NULL);
  variable_name_is(vars[0], "my_model/dense/kernel:0");
  variable_name_is(vars[1], "my_model/dense/bias:0");
  variable_name_is(vars[2], "my_model/dense_1/kernel:0");

  /* glorot_uniform: |w| <= sqrt(6 / (fan_in + fan_out)) = sqrt(6/5) for the (3,2) kernel */
  CHECK_OK(tg_variable_read(vars[0], &kernel));
  for (i = 0; i < 6; ++i) CHECK(fabs(element(kernel, i)) <= sqrt(6.0 / 5.0));
  tg_tensor_free(kernel);

  /* With known weights: h = relu(x·K1 + b1), y = h·K2. */
  {
    const int64_t k1_shape[2] = {3, 2}, b1_shape[1] = {2}, k2_shape[2] = {2, 1};
    const double k1[6] = {1, 0, 0, 1, 1, -1}, b1[2] = {0.5, -0.5}, k2[2] = {2, 3};
    tg_tensor* t1 = make_tensor(TG_FLOAT32, k1_shape, 2, k1);
    tg_tensor* t2 = make_tensor(TG_FLOAT32, b1_shape, 1, b1);
    tg_tensor* t3 = make_tensor(TG_FLOAT32, k2_shape, 2, k2);
    CHECK_OK(tg_variable_assign(vars[0], t1));
    CHECK_OK(tg_variable_assign(vars[1], t2));
    CHECK_OK(tg_variable_assign(vars[2], t3));
    CHECK_OK(tg_model_call(model, x, &y));
    /* row 1: x·K1 = (1+3, 2-3) = (4, -1); + b1 = (4.5, -1.5); relu (4.5, 0); ·K2 = 9
     * row 2: x·K1 = (-1+1, 0-1) = (0, -1); + b1 = (0.5, -1.5); relu (0.5, 0); ·K2 = 1 */
    CHECK_NEAR(element(y, 0), 9.0, 1e-6);
    CHECK_NEAR(element(y, 1), 1.0, 1e-6);
    tg_tensor_free(t1);
    tg_tensor_free(t2);
    tg_tensor_free(t3);
    tg_tensor_free(y);
  }

  /* Keras auto-naming continues per process; NULL model name gives "sequential". */
  CHECK_OK(tg_model_create(NULL, &auto_named));
  CHECK_OK(add_dense(auto_named, 1, TG_ACTIVATION_LINEAR, 1, 0, "head"));
  CHECK_OK(add_dense(auto_named, 1, TG_ACTIVATION_LINEAR, 1, 0, NULL));
  CHECK_OK(tg_model_call(auto_named, x, &y));
  tg_tensor_free(y);
  for (i = 0; i < 3; ++i) tg_variable_free(vars[i]);
  CHECK_OK(tg_model_trainable_variables(auto_named, vars, 4, &count));
  CHECK(count == 4);
  variable_name_is(vars[0], "sequential/head/kernel:0");
  variable_name_is(vars[2], "sequential/dense_2/kernel:0"); /* "head" did not take a number */
  for (i = 0; i < 4; ++i) tg_variable_free(vars[i]);

  CHECK_OK(tg_model_free(auto_named));
  CHECK_OK(tg_model_free(model));
  CHECK_OK(tg_model_free(NULL));
  tg_tensor_free(x);
}

static void test_model_errors(void) {
  const int64_t shape[2] = {2, 3}, wrong[2] = {2, 4};
  tg_model* model = NULL;
  tg_tensor *x = NULL, *bad = NULL, *y = NULL;
  size_t count = 0;
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, shape, 2, 1.0, &x));
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, wrong, 2, 1.0, &bad));

  CHECK_ERR(tg_model_create("m", NULL), TG_INVALID_ARGUMENT, "[tg_model_create]");
  CHECK_OK(tg_model_create("m", &model));
  CHECK_ERR(tg_model_call(model, x, &y), TG_INVALID_STATE, "[tg_model_call]", "no layers");
  CHECK_ERR(add_dense(model, 0, TG_ACTIVATION_RELU, 1, 0, NULL), TG_INVALID_ARGUMENT,
            "[tg_model_add]", "units must be positive");
  CHECK_ERR(add_dense(model, 4, (tg_activation)99, 1, 0, NULL), TG_INVALID_ARGUMENT,
            "[tg_model_add]", "activation");
  CHECK_ERR(add_dense(NULL, 4, TG_ACTIVATION_RELU, 1, 0, NULL), TG_INVALID_HANDLE,
            "[tg_model_add]", "NULL");
  CHECK_ERR(add_dense((tg_model*)x, 4, TG_ACTIVATION_RELU, 1, 0, NULL),
            TG_INVALID_HANDLE, "tg_tensor", "expected a tg_model");
  CHECK_OK(add_dense(model, 4, TG_ACTIVATION_RELU, 1, 0, NULL));
  CHECK_OK(tg_model_call(model, x, &y));
  CHECK(y != NULL);
  tg_tensor_free(y);
  y = NULL;
  CHECK_ERR(tg_model_call(model, bad, &y), TG_INVALID_ARGUMENT, "[tg_model_call]", "(2,4)",
            "last dimension 3");
  CHECK(y == NULL);
  CHECK_ERR(add_dense(model, 4, TG_ACTIVATION_RELU, 1, 0, NULL), TG_INVALID_STATE,
            "after the model was built");
  CHECK_ERR(tg_model_trainable_variables(model, NULL, 0, NULL), TG_INVALID_ARGUMENT, "count");
  CHECK_ERR(tg_model_trainable_variables(model, NULL, 3, &count), TG_INVALID_ARGUMENT,
            "variables is NULL");
  CHECK_OK(tg_model_free(model));
  CHECK_ERR(tg_model_free(model), TG_INVALID_HANDLE, "[tg_model_free]", "freed");
  tg_tensor_free(x);
  tg_tensor_free(bad);
}

/* Adam steps 1 and 2, worked out by hand from docs/tensorflow.md with the Keras defaults:
 * θ0 = (1, −2), g1 = (0.1, −0.5), g2 = (0.2, 0.3). */
static void test_adam(void) {
  const int64_t shape[1] = {2}, other[1] = {3};
  const double theta0[2] = {1.0, -2.0}, g1[2] = {0.1, -0.5}, g2[2] = {0.2, 0.3};
  tg_tensor* init = make_tensor(TG_FLOAT64, shape, 1, theta0);
  tg_tensor* grad1 = make_tensor(TG_FLOAT64, shape, 1, g1);
  tg_tensor* grad2 = make_tensor(TG_FLOAT64, shape, 1, g2);
  tg_tensor *value = NULL, *wrong = NULL;
  tg_variable *w = NULL, *untouched = NULL;
  tg_optimizer* adam = NULL;
  int64_t iterations = -1;

  CHECK_OK(tg_variable_create("w", init, 1, &w));
  CHECK_OK(tg_variable_create("u", init, 1, &untouched));
  CHECK_OK(tg_optimizer_create("adam", &adam)); /* Keras's defaults */
  CHECK_OK(tg_optimizer_iterations(adam, &iterations));
  CHECK(iterations == 0);
  {
    tg_variable* vars[2];
    tg_tensor* grads[2];
    vars[0] = w;
    vars[1] = untouched;
    grads[0] = grad1;
    grads[1] = NULL; /* skipped */
    CHECK_OK(tg_optimizer_apply(adam, vars, grads, 2, &iterations));
    CHECK(iterations == 1);
    CHECK_OK(tg_variable_read(w, &value));
    CHECK_NEAR(element(value, 0), 0.9990000316217766, 1e-12);
    CHECK_NEAR(element(value, 1), -1.9990000063245152, 1e-12);
    tg_tensor_free(value);
    CHECK_OK(tg_variable_read(untouched, &value));
    CHECK(element(value, 0) == 1.0 && element(value, 1) == -2.0);
    tg_tensor_free(value);

    grads[0] = grad2;
    CHECK_OK(tg_optimizer_apply(adam, vars, grads, 1, NULL));
    CHECK_OK(tg_optimizer_iterations(adam, &iterations));
    CHECK(iterations == 2);
    CHECK_OK(tg_variable_read(w, &value));
    CHECK_NEAR(element(value, 0), 0.9980348632468621, 1e-12);
    CHECK_NEAR(element(value, 1), -1.9988085093282082, 1e-12);
    tg_tensor_free(value);

    /* errors change nothing */
    grads[0] = NULL;
    CHECK_ERR(tg_optimizer_apply(adam, vars, grads, 2, &iterations), TG_INVALID_ARGUMENT,
              "[tg_optimizer_apply]", "No gradients provided for any variable", "w, u");
    CHECK_OK(tg_tensor_fill(TG_FLOAT64, other, 1, 1.0, &wrong));
    grads[0] = grad1;
    grads[1] = wrong;
    CHECK_ERR(tg_optimizer_apply(adam, vars, grads, 2, &iterations), TG_INVALID_ARGUMENT,
              "(3)", "'u'", "(2)");
    CHECK_OK(tg_variable_read(w, &value));
    CHECK_NEAR(element(value, 0), 0.9980348632468621, 1e-12); /* w was not updated either */
    tg_tensor_free(value);
    CHECK_OK(tg_optimizer_iterations(adam, &iterations));
    CHECK(iterations == 2);
    CHECK_ERR(tg_optimizer_apply(adam, NULL, grads, 2, &iterations), TG_INVALID_ARGUMENT, "NULL");
    vars[1] = (tg_variable*)grad1;
    CHECK_ERR(tg_optimizer_apply(adam, vars, grads, 2, &iterations), TG_INVALID_HANDLE,
              "variables[1]", "expected a tg_variable");
  }
  CHECK_ERR(tg_optimizer_set(adam, "learning_rate", 0.0), TG_INVALID_ARGUMENT, "[tg_optimizer_set]",
            "learning_rate > 0");
  CHECK_ERR(tg_optimizer_set(adam, "beta_1", 1.0), TG_INVALID_ARGUMENT, "beta_1");
  CHECK_ERR(tg_optimizer_iterations(NULL, &iterations), TG_INVALID_HANDLE, "optimizer");
  CHECK_OK(tg_optimizer_free(adam));
  CHECK_OK(tg_optimizer_free(NULL));
  tg_variable_free(w);
  tg_variable_free(untouched);
  tg_tensor_free(init);
  tg_tensor_free(grad1);
  tg_tensor_free(grad2);
  tg_tensor_free(wrong);
}

/* The seed workflow at small scale: the loss goes down over a few Adam steps. */
static void test_training_reduces_loss(void) {
  const int64_t x_shape[2] = {64, 8}, y_shape[2] = {64, 4};
  tg_tensor *x = NULL, *labels = NULL, *pred = NULL, *loss = NULL, *grads[4];
  tg_model* model = NULL;
  tg_optimizer* adam = NULL;
  tg_loss* cce = NULL;
  tg_variable* vars[4];
  size_t count = 0, i;
  int step;
  double first = 0, last = 0;
  CHECK_OK(tg_random_uniform(TG_FLOAT32, x_shape, 2, 0, 1, 11, &x));
  CHECK_OK(tg_random_uniform(TG_FLOAT32, y_shape, 2, 0, 1, 12, &labels));
  CHECK_OK(tg_model_create("small", &model));
  CHECK_OK(add_dense(model, 16, TG_ACTIVATION_RELU, 1, 1, NULL));
  CHECK_OK(add_dense(model, 4, TG_ACTIVATION_LINEAR, 1, 2, NULL));
  adam = make_optimizer("adam", "learning_rate", 0.01);
  CHECK_OK(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce));
  for (step = 0; step < 30; ++step) {
    tg_tape* tape = NULL;
    const void* targets[1];
    const void* sources[4];
    double value = 0;
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
    CHECK_OK(tg_model_call(model, x, &pred));
    CHECK_OK(tg_loss_call(cce, labels, pred, NULL, &loss));
    CHECK_OK(tg_tape_end(tape));
    if (step == 0) CHECK_OK(tg_model_trainable_variables(model, vars, 4, &count));
    for (i = 0; i < 4; ++i) sources[i] = vars[i];
    targets[0] = loss;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 4, grads));
    CHECK_OK(tg_optimizer_apply(adam, vars, grads, 4, NULL));
    CHECK_OK(tg_tensor_item(loss, &value));
    if (step == 0) first = value;
    last = value;
    for (i = 0; i < 4; ++i) tg_tensor_free(grads[i]);
    tg_tensor_free(loss);
    tg_tensor_free(pred);
    tg_tape_free(tape);
  }
  CHECK(count == 4);
  CHECK(last < first - 0.05);
  for (i = 0; i < count; ++i) tg_variable_free(vars[i]);
  tg_optimizer_free(adam);
  tg_loss_free(cce);
  tg_model_free(model);
  tg_tensor_free(x);
  tg_tensor_free(labels);
}

int main(void) {
  test_model_and_dense();
  test_model_errors();
  test_adam();
  test_training_reduces_loss();
  return check_summary();
}
