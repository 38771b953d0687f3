/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fit_errors.c — bad arguments to fit / evaluate / predict / train_step and their options,
 * compiled as C99: each is a status and a message naming the function and what is wrong, never
 * a crash, and nothing changes (the model's weights stay as they were).
 */
#include <string.h>

#include "fit_helpers.h"

typedef struct {
  tg_model* model;
  tg_tensor *x, *y, *y_short;
  tg_loss* mse;
  tg_optimizer* sgd;
  tg_metric* acc;
  float weights[3];
} fixture;

static void fixture_init(fixture* f) {
  const int64_t short_shape[2] = {4, 1};
  const double short_values[4] = {1, 2, 3, 4};
  tg_tensor* probe = NULL;
  f->model = dense_model(1, TG_ACTIVATION_LINEAR, 0, 7);
  f->x = fit_x();
  f->y = fit_y();
  f->y_short = make_tensor(TG_FLOAT32, short_shape, 2, short_values);
  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, &f->mse));
  f->sgd = make_optimizer("sgd", "learning_rate", 0.1);
  CHECK_OK(tg_metric_accuracy(&f->acc));
  CHECK_OK(tg_model_call(f->model, f->x, &probe));
  tg_tensor_free(probe);
  model_values(f->model, f->weights, 3);
}

/* The weights have not changed since fixture_init. */
static int unchanged(fixture* f) {
  float now[3];
  model_values(f->model, now, 3);
  return memcmp(now, f->weights, sizeof now) == 0;
}

static void fixture_free(fixture* f) {
  tg_metric_free(f->acc);
  tg_optimizer_free(f->sgd);
  tg_loss_free(f->mse);
  tg_tensor_free(f->x);
  tg_tensor_free(f->y);
  tg_tensor_free(f->y_short);
  tg_model_free(f->model);
}

static void test_fit_arguments(void) {
  fixture f;
  tg_fit_options o;
  tg_history* history = NULL;
  tg_metric* metrics[2];
  tg_metric* other_acc = NULL;
  tg_callback* null_callback = NULL;
  fixture_init(&f);
  CHECK_OK(tg_fit_options_init(&o));
  CHECK_ERR(tg_model_fit(NULL, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_HANDLE,
            "[tg_model_fit]", "model is NULL");
  CHECK_ERR(tg_model_fit(f.model, NULL, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_HANDLE, "loss is NULL");
  CHECK_ERR(tg_model_fit(f.model, f.mse, NULL, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_HANDLE,
            "optimizer is NULL");
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 2, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "metrics is NULL but num_metrics is 2");
  metrics[0] = f.acc;
  metrics[1] = f.acc;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, metrics, 2, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "metrics 0 and 1 are the same metric object");
  CHECK_OK(tg_metric_accuracy(&other_acc));
  metrics[1] = other_acc;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, metrics, 2, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "both named 'accuracy'");
  metrics[1] = (tg_metric*)f.x;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, metrics, 2, f.x, f.y, &o, &history), TG_INVALID_HANDLE,
            "metrics[1] is a tg_tensor");
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, NULL, f.y, &o, &history), TG_INVALID_HANDLE, "x is NULL");
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.mse, f.y, &o, &history), TG_INVALID_HANDLE,
            "x is a tg_loss, expected a tg_tensor or tg_dataset");
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, NULL, &o, &history), TG_INVALID_ARGUMENT,
            "fit: y (the targets) is missing");
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y_short, &o, &history), TG_INVALID_ARGUMENT,
            "Data cardinality is ambiguous:\n  x sizes: 5\n  y sizes: 4\n"
            "Make sure all arrays contain the same number of samples.");
  CHECK(history == NULL);

  o.batch_size = 0;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "batch_size must be positive, got 0");
  o.batch_size = (size_t)-32;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "options->batch_size", "too large");
  o.batch_size = 32;
  o.epochs = -1;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "epochs must be >= 0, got -1");
  o.epochs = 1;
  o.initial_epoch = -3;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "initial_epoch must be >= 0, got -3");
  o.initial_epoch = 0;
  o.validation_split = 1.0;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "validation_split must be in [0, 1), got 1");
  o.validation_split = 0.9; /* floor(5 · 0.1) = 0 training samples */
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "Training data contains 5 samples, which is not sufficient to split it into a validation and "
            "training set as specified by `validation_split=0.9`");
  o.validation_split = 0;
  o.validation_freq = 0;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "validation_freq must be positive, got 0");
  o.validation_freq = 1;
  o.validation_y = f.y;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "options->validation_x is NULL");
  o.validation_x = f.x;
  o.validation_y = f.y_short;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "fit: validation_data", "Data cardinality is ambiguous");
  o.validation_y = NULL;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "fit: validation_data: y (the targets) is missing");
  o.validation_x = NULL;
  o.sample_weight = f.y_short;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "sample_weight sizes: 4");
  o.sample_weight = NULL;
  o.num_callbacks = 1;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "options->callbacks is NULL but num_callbacks is 1");
  o.callbacks = &null_callback;
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_HANDLE,
            "options->callbacks[0] is NULL");
  o.callbacks = NULL;
  o.num_callbacks = 0;
  o.struct_size = sizeof(size_t); /* not a size of tg_fit_options this library knows */
  CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, &o, &history), TG_INVALID_ARGUMENT,
            "options->struct_size is 8");
  CHECK(history == NULL);

  /* shapes the model does not take: the step's error, the weights untouched */
  {
    const int64_t wide_shape[2] = {5, 3};
    const double wide[15] = {0};
    tg_tensor* x_wide = make_tensor(TG_FLOAT32, wide_shape, 2, wide);
    CHECK_ERR(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, x_wide, f.y, NULL, &history), TG_INVALID_ARGUMENT,
              "[tg_model_fit]", "(5,3)");
    tg_tensor_free(x_wide);
  }
  CHECK(unchanged(&f));
  /* and with all defaults (options NULL) it trains */
  CHECK_OK(tg_model_fit(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y, NULL, &history));
  CHECK(history != NULL);
  tg_history_free(history);
  tg_metric_free(other_acc);
  fixture_free(&f);
}

static void test_evaluate_predict_arguments(void) {
  fixture f;
  tg_evaluate_options e;
  tg_predict_options p;
  double results[2] = {-1, -1};
  tg_tensor* out = NULL;
  const int64_t empty_shape[2] = {0, 2};
  tg_tensor* empty = NULL;
  fixture_init(&f);
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, empty_shape, 2, 0.0, &empty));
  CHECK_ERR(tg_model_evaluate(f.model, f.mse, &f.acc, 1, f.x, f.y, NULL, results, 1), TG_INVALID_ARGUMENT,
            "[tg_model_evaluate]", "results has room for 1 values, the loss and 1 metrics need 2");
  CHECK_ERR(tg_model_evaluate(f.model, f.mse, NULL, 0, f.x, f.y, NULL, NULL, 1), TG_INVALID_ARGUMENT,
            "results is NULL");
  CHECK_ERR(tg_model_evaluate(f.model, f.mse, NULL, 0, f.x, f.y_short, NULL, results, 1), TG_INVALID_ARGUMENT,
            "evaluate", "Data cardinality is ambiguous");
  CHECK_ERR(tg_model_evaluate(f.model, f.mse, NULL, 0, empty, empty, NULL, results, 1), TG_INVALID_ARGUMENT,
            "evaluate: x (0,2) has no samples");
  CHECK_OK(tg_evaluate_options_init(&e));
  e.batch_size = 0;
  CHECK_ERR(tg_model_evaluate(f.model, f.mse, NULL, 0, f.x, f.y, &e, results, 1), TG_INVALID_ARGUMENT,
            "evaluate: batch_size must be positive");
  e.batch_size = 32;
  e.verbose = -1;
  CHECK_ERR(tg_model_evaluate(f.model, f.mse, NULL, 0, f.x, f.y, &e, results, 1), TG_INVALID_ARGUMENT,
            "evaluate: verbose must be 0, 1 or 2, got -1");
  CHECK(results[0] == -1 && results[1] == -1);
  CHECK_ERR(tg_evaluate_options_init(NULL), TG_INVALID_ARGUMENT, "[tg_evaluate_options_init]");

  CHECK_ERR(tg_model_predict(f.model, f.x, NULL, NULL), TG_INVALID_ARGUMENT, "[tg_model_predict]", "out");
  CHECK_ERR(tg_model_predict(f.model, empty, NULL, &out), TG_INVALID_ARGUMENT, "predict: x (0,2) has no samples");
  CHECK_ERR(tg_model_predict(NULL, f.x, NULL, &out), TG_INVALID_HANDLE, "model is NULL");
  CHECK_OK(tg_predict_options_init(&p));
  p.batch_size = 0;
  CHECK_ERR(tg_model_predict(f.model, f.x, &p, &out), TG_INVALID_ARGUMENT, "predict: batch_size must be positive");
  p.batch_size = 2;
  p.struct_size = sizeof p + 1;
  CHECK_ERR(tg_model_predict(f.model, f.x, &p, &out), TG_INVALID_ARGUMENT, "struct_size");
  CHECK(out == NULL);
  CHECK_ERR(tg_predict_options_init(NULL), TG_INVALID_ARGUMENT, "[tg_predict_options_init]");
  CHECK_ERR(tg_fit_options_init(NULL), TG_INVALID_ARGUMENT, "[tg_fit_options_init]");
  CHECK(unchanged(&f));
  tg_tensor_free(empty);
  fixture_free(&f);
}

static void test_train_step_arguments(void) {
  fixture f;
  double loss = -1;
  const int64_t wide_shape[2] = {5, 3};
  const double wide[15] = {0};
  tg_tensor* x_wide;
  fixture_init(&f);
  x_wide = make_tensor(TG_FLOAT32, wide_shape, 2, wide);
  CHECK_ERR(tg_model_train_step(f.model, f.mse, f.sgd, NULL, 0, f.x, NULL, NULL, &loss), TG_INVALID_HANDLE,
            "[tg_model_train_step]", "y is NULL");
  CHECK_ERR(tg_model_train_step(f.model, f.mse, NULL, NULL, 0, f.x, f.y, NULL, &loss), TG_INVALID_HANDLE,
            "optimizer is NULL");
  CHECK_ERR(tg_model_train_step(f.model, f.mse, f.sgd, NULL, 0, f.x, f.y_short, NULL, &loss), TG_INVALID_ARGUMENT,
            "train_step", "Data cardinality is ambiguous");
  CHECK_ERR(tg_model_train_step(f.model, f.mse, f.sgd, NULL, 0, x_wide, f.y, NULL, &loss), TG_INVALID_ARGUMENT,
            "(5,3)");
  /* a metric that rejects the shapes: the variables do not change */
  {
    tg_metric* cat = NULL;
    CHECK_OK(tg_metric_categorical_accuracy(&cat));
    CHECK_ERR(tg_model_train_step(f.model, f.mse, f.sgd, &cat, 1, f.x, f.y_short, NULL, &loss), TG_INVALID_ARGUMENT,
              "Data cardinality");
    tg_metric_free(cat);
  }
  CHECK(loss == -1);
  CHECK(unchanged(&f));
  tg_tensor_free(x_wide);
  fixture_free(&f);
}

int main(void) {
  test_fit_arguments();
  test_evaluate_predict_arguments();
  test_train_step_arguments();
  return check_summary();
}
