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

/* history.history[key] into out (at most capacity); returns the count (0 on error). */
static inline size_t history_of(const tg_history* history, const char* key, double* out, size_t capacity) {
  size_t count = 0;
  if (!CHECK_OK(tg_history_values(history, key, out, capacity, &count))) return 0;
  return count;
}

#endif /* TAPEGRAD_TESTS_C_FIT_HELPERS_H */
