/* SPDX-License-Identifier: Apache-2.0 */
/*
 * helpers.h — small builders and readers shared by the C tests. Each helper records a check
 * failure (check.h) instead of stopping, and returns NULL / 0 when something went wrong.
 */
#ifndef TAPEGRAD_TESTS_C_HELPERS_H
#define TAPEGRAD_TESTS_C_HELPERS_H

#include <stdint.h>
#include <stdlib.h>

#include "check.h"

/* A new tensor of `dtype` holding `values` (converted from double). NULL on failure. */
static inline tg_tensor* make_tensor_at(const char* file, int line, tg_dtype dtype,
                                        const int64_t* shape, int rank, const double* values) {
  int64_t n = 1;
  int i;
  void* data;
  tg_tensor* t = NULL;
  for (i = 0; i < rank; ++i) n *= shape[i];
  data = malloc((size_t)(n > 0 ? n : 1) * 8);
  if (!data) return NULL;
  for (i = 0; i < n; ++i) {
    switch (dtype) {
      case TG_FLOAT32: ((float*)data)[i] = (float)values[i]; break;
      case TG_FLOAT64: ((double*)data)[i] = values[i]; break;
      case TG_INT32: ((int32_t*)data)[i] = (int32_t)values[i]; break;
      case TG_INT64: ((int64_t*)data)[i] = (int64_t)values[i]; break;
      case TG_BOOL: ((unsigned char*)data)[i] = values[i] != 0; break;
    }
  }
  check_status(tg_tensor_create(dtype, shape, rank, data, &t), TG_OK, file, line,
               "tg_tensor_create (make_tensor)");
  free(data);
  return t;
}
#define make_tensor(dtype, shape, rank, values) \
  make_tensor_at(__FILE__, __LINE__, (dtype), (shape), (rank), (values))

static inline tg_tensor* make_scalar_at(const char* file, int line, tg_dtype dtype, double v) {
  tg_tensor* t = NULL;
  check_status(tg_tensor_scalar(dtype, v, &t), TG_OK, file, line, "tg_tensor_scalar (make_scalar)");
  return t;
}
#define make_scalar(dtype, v) make_scalar_at(__FILE__, __LINE__, (dtype), (v))

/* Element i of t as a double (reads through tg_tensor_data). NaN on failure. */
static inline double element(const tg_tensor* t, int64_t i) {
  const void* p = NULL;
  tg_dtype dtype = TG_FLOAT32;
  if (!t || tg_tensor_data(t, &p) != TG_OK || tg_tensor_dtype(t, &dtype) != TG_OK) return NAN;
  switch (dtype) {
    case TG_FLOAT32: return ((const float*)p)[i];
    case TG_FLOAT64: return ((const double*)p)[i];
    case TG_INT32: return ((const int32_t*)p)[i];
    case TG_INT64: return (double)((const int64_t*)p)[i];
    case TG_BOOL: return ((const unsigned char*)p)[i];
  }
  return NAN;
}

/* The only element of t. NaN on failure. */
static inline double item_of(const tg_tensor* t) {
  double v = NAN;
  if (!t || tg_tensor_item(t, &v) != TG_OK) return NAN;
  return v;
}

/* Checks t's dtype, shape and values (|got - want| <= tol for each element): one check. */
static inline int check_tensor_at(const char* file, int line, const tg_tensor* t, tg_dtype dtype,
                                  const int64_t* shape, int rank, const double* values,
                                  double tol) {
  int got_rank = -1, i;
  int64_t dims[TG_MAX_RANK], n = 1;
  tg_dtype got_dtype = TG_FLOAT32;
  char detail[200];
  detail[0] = 0;
  if (!t) {
    snprintf(detail, sizeof detail, "the tensor is NULL");
  } else if (tg_tensor_rank(t, &got_rank) != TG_OK || tg_tensor_dtype(t, &got_dtype) != TG_OK ||
             tg_tensor_shape(t, dims, TG_MAX_RANK) != TG_OK) {
    snprintf(detail, sizeof detail, "cannot read the tensor's metadata");
  } else if (got_dtype != dtype) {
    snprintf(detail, sizeof detail, "dtype %d, expected %d", (int)got_dtype, (int)dtype);
  } else if (got_rank != rank) {
    snprintf(detail, sizeof detail, "rank %d, expected %d", got_rank, rank);
  } else {
    for (i = 0; i < rank && !detail[0]; ++i) {
      if (dims[i] != shape[i])
        snprintf(detail, sizeof detail, "dim %d is %lld, expected %lld", i, (long long)dims[i],
                 (long long)shape[i]);
      n *= shape[i];
    }
    for (i = 0; i < n && !detail[0]; ++i) {
      const double got = element(t, i);
      if (!(fabs(got - values[i]) <= tol))
        snprintf(detail, sizeof detail, "element %d is %.9g, expected %.9g (tolerance %g)", i, got,
                 values[i], tol);
    }
  }
  return check_report(!detail[0], file, line, "tensor dtype, shape and values", detail);
}
#define CHECK_TENSOR(t, dtype, shape, rank, values, tol) \
  check_tensor_at(__FILE__, __LINE__, (t), (dtype), (shape), (rank), (values), (tol))

/* model.add(Dense(units, activation, use_bias)) with a glorot_uniform kernel of `seed`, the
 * other fields at Keras's defaults; name NULL for the automatic one. Returns tg_model_add's
 * status (or tg_layer_config_init's). */
static inline tg_status add_dense(tg_model* model, int64_t units, tg_activation activation, int use_bias,
                                  uint64_t seed, const char* name) {
  tg_layer_config c;
  const tg_status s = tg_layer_config_init(TG_LAYER_DENSE, &c);
  if (s != TG_OK) return s;
  c.units = units;
  c.activation = activation;
  c.use_bias = use_bias;
  c.kernel_initializer.seed = seed;
  c.name = name;
  return tg_model_add(model, &c, NULL);
}

/* An optimizer by Keras name with hyperparameters set: (const char* name, double value) pairs,
 * e.g. make_optimizer("adam", "learning_rate", 0.01, "amsgrad", 1.0). Values must be doubles
 * (write 1.0, not 1). Records a failed check and returns NULL if a call fails. */
static inline tg_optimizer* make_optimizer_at(const char* file, int line, const char* kind, ...) {
  tg_optimizer* opt = NULL;
  const char* name;
  va_list args;
  if (!check_status(tg_optimizer_create(kind, &opt), TG_OK, file, line, "tg_optimizer_create (make_optimizer)"))
    return NULL;
  va_start(args, kind);
  while ((name = va_arg(args, const char*)) != NULL) {
    const double value = va_arg(args, double);
    if (!check_status(tg_optimizer_set(opt, name, value), TG_OK, file, line, "tg_optimizer_set (make_optimizer)")) {
      tg_optimizer_free(opt);
      opt = NULL;
      break;
    }
  }
  va_end(args);
  return opt;
}
#define make_optimizer(...) make_optimizer_at(__FILE__, __LINE__, __VA_ARGS__, (const char*)NULL)

/* One step of the seed notebook's loop for a model with at most 8 trainable variables:
 * forward under a tape, CategoricalCrossentropy(from_logits=True), the gradients, one optimizer
 * step. Everything it makes is freed by a scope. Records a failed check if a call fails. */
static inline void train_step(tg_model* model, tg_optimizer* opt, const tg_tensor* x, const tg_tensor* y) {
  enum { MAX_VARS = 8 };
  tg_scope* scope = NULL;
  tg_tape* tape = NULL;
  tg_loss* cce = NULL;
  tg_tensor *logits = NULL, *loss = NULL, *grads[MAX_VARS];
  tg_variable* vars[MAX_VARS];
  const void* targets[1];
  const void* sources[MAX_VARS];
  size_t count = 0, i;
  if (!CHECK_OK(tg_scope_begin(&scope))) return;
  if (CHECK_OK(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce)) &&
      CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape)) && CHECK_OK(tg_model_call(model, x, &logits)) &&
      CHECK_OK(tg_loss_call(cce, y, logits, NULL, &loss)) && CHECK_OK(tg_tape_end(tape)) &&
      CHECK_OK(tg_model_trainable_variables(model, vars, MAX_VARS, &count)) && CHECK(count <= MAX_VARS)) {
    targets[0] = loss;
    for (i = 0; i < count; ++i) sources[i] = vars[i];
    if (CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, count, grads)))
      CHECK_OK(tg_optimizer_apply(opt, vars, grads, count, NULL));
  }
  CHECK_OK(tg_scope_end(scope));
}

#endif /* TAPEGRAD_TESTS_C_HELPERS_H */
