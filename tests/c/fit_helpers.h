/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fit_helpers.h — models, data and readers shared by the C tests of fit / evaluate / predict
 * (test_fit*.c). Built on helpers.h: each helper records a check failure instead of stopping.
 */
#ifndef TAPEGRAD_TESTS_C_FIT_HELPERS_H
#define TAPEGRAD_TESTS_C_FIT_HELPERS_H

#include <stdint.h>
#include <string.h>

#include "helpers.h"

/* The regression data of the reference computations: x (5, 2), y (5, 1). */
static const double kFitX[10] = {1, 2, 0, 1, 2, 0, 1, 1, 3, 1};
static const double kFitY[5] = {1, 0, 2, 1, 4};

static inline tg_tensor* fit_x(void) {
  const int64_t shape[2] = {5, 2};
  return make_tensor(TG_FLOAT32, shape, 2, kFitX);
}

static inline tg_tensor* fit_y(void) {
  const int64_t shape[2] = {5, 1};
  return make_tensor(TG_FLOAT32, shape, 2, kFitY);
}

/* A model of one Dense(units, activation): kernel zeros when `zeros`, else glorot_uniform
 * from `seed`; bias zeros. */
static inline tg_model* dense_model(int64_t units, tg_activation activation, int zeros, uint64_t seed) {
  tg_model* model = NULL;
  tg_layer_config dense;
  CHECK_OK(tg_model_create(NULL, &model));
  CHECK_OK(tg_layer_config_init(TG_LAYER_DENSE, &dense));
  dense.units = units;
  dense.activation = activation;
  if (zeros) dense.kernel_initializer.kind = TG_INIT_ZEROS;
  dense.kernel_initializer.seed = seed;
  CHECK_OK(tg_model_add(model, &dense, NULL));
  return model;
}

/* Appends Dropout(rate) drawing its masks from `seed`. */
static inline void add_dropout(tg_model* model, double rate, uint64_t seed) {
  tg_layer_config dropout;
  CHECK_OK(tg_layer_config_init(TG_LAYER_DROPOUT, &dropout));
  dropout.rate = rate;
  dropout.seed = seed;
  CHECK_OK(tg_model_add(model, &dropout, NULL));
}

/* Copies every trainable variable's float32 values, in order, into out[0..capacity);
 * returns how many values the model has. */
static inline size_t model_values(tg_model* model, float* out, size_t capacity) {
  tg_variable* vars[16];
  size_t count = 0, i, n = 0;
  CHECK_OK(tg_model_trainable_variables(model, vars, 16, &count));
  for (i = 0; i < count && i < 16; ++i) {
    tg_tensor* value = NULL;
    size_t size = 0;
    CHECK_OK(tg_variable_read(vars[i], &value));
    CHECK_OK(tg_tensor_size(value, &size));
    if (n + size <= capacity) CHECK_OK(tg_tensor_copy_data(value, out + n, size * sizeof(float)));
    n += size;
    tg_tensor_free(value);
    tg_variable_free(vars[i]);
  }
  return n;
}

/* The reference run of the tests: the linear model y = x·w + b from zeros (dense_model), the
 * x and y above, MSE, SGD(learning_rate), batches of 2 without shuffling; the other options at
 * their defaults. */
typedef struct {
  tg_model* model;
  tg_tensor *x, *y;
  tg_loss* mse;
  tg_optimizer* sgd;
  tg_fit_options options;
} linear_run;

static inline void linear_run_init(linear_run* r, double learning_rate) {
  r->model = dense_model(1, TG_ACTIVATION_LINEAR, 1, 0);
  r->x = fit_x();
  r->y = fit_y();
  r->mse = NULL;
  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, &r->mse));
  r->sgd = make_optimizer("sgd", "learning_rate", learning_rate);
  CHECK_OK(tg_fit_options_init(&r->options));
  r->options.batch_size = 2;
  r->options.shuffle = 0;
}

static inline tg_status linear_run_fit(linear_run* r, tg_history** history) {
  return tg_model_fit(r->model, r->mse, r->sgd, NULL, 0, r->x, r->y, &r->options, history);
}

static inline void linear_run_free(linear_run* r) {
  tg_optimizer_free(r->sgd);
  tg_loss_free(r->mse);
  tg_tensor_free(r->x);
  tg_tensor_free(r->y);
  tg_model_free(r->model);
}

/* A callback that writes a scripted monitor value, script[epoch], under `key` into each
 * epoch's logs (nothing if key is NULL) and keeps the linear model's weights at each epoch's
 * end — so what EarlyStopping and ModelCheckpoint do follows from the script by hand. */
enum { kScriptEpochs = 8, kLinearWeights = 3 };
typedef struct {
  const char* key;
  const double* script;
  tg_model* model;
  float weights[kScriptEpochs][kLinearWeights];
} scripter;

static inline tg_status write_score(tg_training* training, tg_callback_event event, int64_t index, tg_logs* logs,
                                    void* user_data) {
  scripter* s = (scripter*)user_data;
  (void)training;
  if (event != TG_ON_EPOCH_END || index >= kScriptEpochs) return TG_OK;
  model_values(s->model, s->weights[index], kLinearWeights);
  return s->key ? tg_logs_set(logs, s->key, s->script[index]) : TG_OK;
}

/* history.history[key] into out (at most capacity); returns the count (0 on error). */
static inline size_t history_of(const tg_history* history, const char* key, double* out, size_t capacity) {
  size_t count = 0;
  if (!CHECK_OK(tg_history_values(history, key, out, capacity, &count))) return 0;
  return count;
}

#endif /* TAPEGRAD_TESTS_C_FIT_HELPERS_H */
