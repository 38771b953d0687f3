/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fit_dataset.c — datasets fed by the caller batch by batch (tg_dataset_create) through
 * fit / evaluate / predict, compiled as C99: the same batches as tensors give bit-identical
 * results; epochs of unknown length; the (epoch, step) the library asks for; ownership of the
 * tensors the function writes (freed by the library, whatever it returns: the ASan build
 * reports a leak otherwise); errors from the function and bad batches; what a dataset cannot
 * do (validation_split, separate y).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fit_helpers.h"

/* The rows [2·step, 2·step + 2) of fit_helpers.h's x and y, like batch_size 2 without shuffle. */
typedef struct {
  int64_t batches;          /* steps per epoch; with TG_UNKNOWN_STEPS, x is left NULL after them */
  int64_t fail_epoch, fail_step; /* return `status` there (fail_epoch -1: never) */
  tg_status status;
  int mismatched_y;         /* write a y of 1 row at step 0 */
  int stale_y;              /* write a freed handle to *y at step 0 */
  int with_weights;         /* write sample weights 1, 0, 2, 1, 0.5 */
  int64_t calls, last_epoch;
} feeder;

static tg_status feed(int64_t epoch, int64_t step, tg_tensor** x, tg_tensor** y, tg_tensor** sample_weight,
                      void* user_data) {
  static const double weights[5] = {1, 0, 2, 1, 0.5};
  feeder* f = (feeder*)user_data;
  const int64_t first = 2 * step, rows = first + 2 <= 5 ? 2 : 5 - first;
  int64_t x_shape[2], y_shape[2], w_shape[1];
  ++f->calls;
  f->last_epoch = epoch;
  if (step >= f->batches) return TG_OK; /* end of an epoch of unknown length */
  x_shape[0] = rows;
  x_shape[1] = 2;
  y_shape[0] = f->mismatched_y && step == 0 ? 1 : rows;
  y_shape[1] = 1;
  w_shape[0] = rows;
  {
    float xs[4], ys[2], ws[2];
    int64_t i;
    tg_status s;
    for (i = 0; i < rows * 2; ++i) xs[i] = (float)kFitX[first * 2 + i];
    for (i = 0; i < rows; ++i) {
      ys[i] = (float)kFitY[first + i];
      ws[i] = (float)weights[first + i];
    }
    if ((s = tg_tensor_create(TG_FLOAT32, x_shape, 2, xs, x)) != TG_OK) return s;
    if ((s = tg_tensor_create(TG_FLOAT32, y_shape, 2, ys, y)) != TG_OK) return s;
    if (f->with_weights && (s = tg_tensor_create(TG_FLOAT32, w_shape, 1, ws, sample_weight)) != TG_OK) return s;
  }
  if (f->stale_y && step == 0) tg_tensor_free(*y); /* *y is left pointing at the freed handle */
  if (epoch == f->fail_epoch && step == f->fail_step) return f->status;
  return TG_OK;
}

static feeder feeder_of(int64_t batches) {
  feeder f;
  memset(&f, 0, sizeof f);
  f.batches = batches;
  f.fail_epoch = -1;
  return f;
}

typedef struct {
  tg_loss* mse;
  tg_optimizer* sgd;
  tg_fit_options options;
} setup;

static void setup_init(setup* s) {
  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, &s->mse));
  s->sgd = make_optimizer("sgd", "learning_rate", 0.1);
  CHECK_OK(tg_fit_options_init(&s->options));
  s->options.batch_size = 2;
  s->options.shuffle = 0;
  s->options.epochs = 2;
}

static void setup_free(setup* s) {
  tg_optimizer_free(s->sgd);
  tg_loss_free(s->mse);
}

/* Fits a fresh zero-initialised linear model on `x` (a tensor with y, or a dataset); returns
 * its weights and epoch losses. */
static void fit_fresh(const void* x, const tg_tensor* y, const tg_tensor* sample_weight, float* weights,
                      double* losses) {
  tg_model* model = dense_model(1, TG_ACTIVATION_LINEAR, 1, 0);
  tg_history* history = NULL;
  setup s;
  setup_init(&s);
  s.options.sample_weight = sample_weight;
  CHECK_OK(tg_model_fit(model, s.mse, s.sgd, NULL, 0, x, y, &s.options, &history));
  CHECK(history_of(history, "loss", losses, 2) == 2);
  model_values(model, weights, 3);
  tg_history_free(history);
  setup_free(&s);
  tg_model_free(model);
}

static void test_same_as_tensors(void) {
  const int64_t w_shape[1] = {5};
  const double w_values[5] = {1, 0, 2, 1, 0.5};
  tg_tensor *x = fit_x(), *y = fit_y(), *w = make_tensor(TG_FLOAT32, w_shape, 1, w_values);
  feeder known = feeder_of(3), unknown = feeder_of(3), weighted = feeder_of(3);
  tg_dataset *a = NULL, *b = NULL, *c = NULL;
  float w_tensors[3], w_known[3], w_unknown[3], w_weighted[3], w_tensors_weighted[3];
  double l_tensors[2], l_known[2], l_unknown[2], l_weighted[2], l_tensors_weighted[2];
  weighted.with_weights = 1;
  CHECK_OK(tg_dataset_create(3, feed, &known, &a));
  CHECK_OK(tg_dataset_create(TG_UNKNOWN_STEPS, feed, &unknown, &b));
  CHECK_OK(tg_dataset_create(3, feed, &weighted, &c));
  fit_fresh(x, y, NULL, w_tensors, l_tensors);
  fit_fresh(a, NULL, NULL, w_known, l_known);
  fit_fresh(b, NULL, NULL, w_unknown, l_unknown);
  CHECK(memcmp(w_tensors, w_known, sizeof w_known) == 0 && memcmp(l_tensors, l_known, sizeof l_known) == 0);
  CHECK(memcmp(w_tensors, w_unknown, sizeof w_known) == 0 && memcmp(l_tensors, l_unknown, sizeof l_known) == 0);
  CHECK(known.calls == 6);   /* 3 steps × 2 epochs */
  CHECK(unknown.calls == 8); /* and one call per epoch that ends it */
  CHECK(known.last_epoch == 1);
  fit_fresh(x, y, w, w_tensors_weighted, l_tensors_weighted);
  fit_fresh(c, NULL, NULL, w_weighted, l_weighted);
  CHECK(memcmp(w_tensors_weighted, w_weighted, sizeof w_weighted) == 0);
  CHECK(memcmp(l_tensors_weighted, l_weighted, sizeof l_weighted) == 0);

  /* evaluate and predict read a dataset too, from epoch 0 */
  {
    tg_model* model = dense_model(1, TG_ACTIVATION_LINEAR, 0, 4);
    tg_tensor *p_tensors = NULL, *p_dataset = NULL;
    tg_loss* mse = NULL;
    tg_evaluate_options eval;
    double from_tensors = 0, from_dataset = 1;
    size_t n = 0;
    CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, &mse));
    CHECK_OK(tg_evaluate_options_init(&eval));
    eval.batch_size = 2;
    CHECK_OK(tg_model_evaluate(model, mse, NULL, 0, x, y, &eval, &from_tensors, 1));
    known.calls = 0;
    CHECK_OK(tg_model_evaluate(model, mse, NULL, 0, a, NULL, NULL, &from_dataset, 1));
    CHECK(from_tensors == from_dataset && known.calls == 3 && known.last_epoch == 0);
    CHECK_OK(tg_model_predict(model, x, NULL, &p_tensors));
    CHECK_OK(tg_model_predict(model, b, NULL, &p_dataset));
    CHECK_OK(tg_tensor_size(p_dataset, &n));
    CHECK(n == 5 && element(p_tensors, 4) == element(p_dataset, 4) && element(p_tensors, 0) == element(p_dataset, 0));
    tg_tensor_free(p_tensors);
    tg_tensor_free(p_dataset);
    tg_loss_free(mse);
    tg_model_free(model);
  }
  tg_dataset_free(a);
  tg_dataset_free(b);
  tg_dataset_free(c);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_tensor_free(w);
}

/* Validation from a dataset: the same val_loss as from tensors; it is asked for the fit epoch. */
static void test_validation_dataset(void) {
  tg_tensor *x = fit_x(), *y = fit_y();
  feeder val = feeder_of(3);
  tg_dataset* d = NULL;
  tg_model *m1 = dense_model(1, TG_ACTIVATION_LINEAR, 1, 0), *m2 = dense_model(1, TG_ACTIVATION_LINEAR, 1, 0);
  tg_history *h1 = NULL, *h2 = NULL;
  double v1[2], v2[2];
  setup s;
  setup_init(&s);
  CHECK_OK(tg_dataset_create(3, feed, &val, &d));
  s.options.validation_x = x;
  s.options.validation_y = y;
  CHECK_OK(tg_model_fit(m1, s.mse, s.sgd, NULL, 0, x, y, &s.options, &h1));
  setup_free(&s);
  setup_init(&s);
  s.options.validation_x = d;
  CHECK_OK(tg_model_fit(m2, s.mse, s.sgd, NULL, 0, x, y, &s.options, &h2));
  CHECK(history_of(h1, "val_loss", v1, 2) == 2 && history_of(h2, "val_loss", v2, 2) == 2);
  CHECK(v1[0] == v2[0] && v1[1] == v2[1]);
  CHECK(val.last_epoch == 1);
  /* a dataset gives its own targets */
  s.options.validation_y = y;
  CHECK_ERR(tg_model_fit(m2, s.mse, s.sgd, NULL, 0, x, y, &s.options, NULL), TG_INVALID_ARGUMENT,
            "options->validation_x is a tg_dataset", "pass NULL");
  tg_history_free(h1);
  tg_history_free(h2);
  setup_free(&s);
  tg_dataset_free(d);
  tg_model_free(m1);
  tg_model_free(m2);
  tg_tensor_free(x);
  tg_tensor_free(y);
}

static tg_status params_probe(tg_training* training, tg_callback_event event, int64_t index, tg_logs* logs,
                              void* user_data) {
  size_t* steps = (size_t*)user_data;
  (void)index;
  (void)logs;
  return event == TG_ON_TRAIN_BEGIN ? tg_training_params(training, NULL, steps, NULL) : TG_OK;
}

static void test_errors(void) {
  tg_model* model = dense_model(1, TG_ACTIVATION_LINEAR, 1, 0);
  tg_tensor* y = fit_y();
  tg_dataset* d = NULL;
  tg_callback* probe = NULL;
  size_t steps = 99;
  feeder f = feeder_of(3);
  setup s;
  setup_init(&s);
  CHECK_OK(tg_dataset_create(3, feed, &f, &d));

  /* the function's status stops the run (the tensors it wrote are freed) */
  f.fail_epoch = 1;
  f.fail_step = 1;
  f.status = TG_IO_ERROR;
  CHECK_ERR(tg_model_fit(model, s.mse, s.sgd, NULL, 0, d, NULL, &s.options, NULL), TG_IO_ERROR, "[tg_model_fit]",
            "next_batch (epoch 1, step 1) returned TG_IO_ERROR");
  f.status = (tg_status)-5;
  CHECK_ERR(tg_model_fit(model, s.mse, s.sgd, NULL, 0, d, NULL, &s.options, NULL), TG_INVALID_STATE,
            "returned -5", "not a tg_status");
  f = feeder_of(2); /* says 3 steps, gives 2 */
  CHECK_ERR(tg_model_fit(model, s.mse, s.sgd, NULL, 0, d, NULL, &s.options, NULL), TG_INVALID_ARGUMENT,
            "wrote no x for epoch 0 step 2 (of 3 steps)");
  f = feeder_of(3);
  f.mismatched_y = 1;
  CHECK_ERR(tg_model_fit(model, s.mse, s.sgd, NULL, 0, d, NULL, &s.options, NULL), TG_INVALID_ARGUMENT,
            "Data cardinality is ambiguous", "x sizes: 2", "y sizes: 1");
  f = feeder_of(3);
  f.stale_y = 1;
  CHECK_ERR(tg_model_fit(model, s.mse, s.sgd, NULL, 0, d, NULL, &s.options, NULL), TG_INVALID_HANDLE,
            "*y", "not a live tapegrad handle");

  /* what a dataset cannot do */
  f = feeder_of(3);
  CHECK_ERR(tg_model_fit(model, s.mse, s.sgd, NULL, 0, d, y, &s.options, NULL), TG_INVALID_ARGUMENT,
            "x is a tg_dataset");
  s.options.validation_split = 0.2;
  CHECK_ERR(tg_model_fit(model, s.mse, s.sgd, NULL, 0, d, NULL, &s.options, NULL), TG_INVALID_ARGUMENT,
            "`validation_split` is only supported for Tensors");
  s.options.validation_split = 0;
  s.options.sample_weight = y;
  CHECK_ERR(tg_model_fit(model, s.mse, s.sgd, NULL, 0, d, NULL, &s.options, NULL), TG_INVALID_ARGUMENT,
            "x is a tg_dataset");
  s.options.sample_weight = NULL;
  tg_dataset_free(d);

  /* an epoch of unknown length that gives nothing */
  f = feeder_of(0);
  CHECK_OK(tg_dataset_create(TG_UNKNOWN_STEPS, feed, &f, &d));
  CHECK_ERR(tg_model_fit(model, s.mse, s.sgd, NULL, 0, d, NULL, &s.options, NULL), TG_INVALID_ARGUMENT,
            "gave no batch in epoch 0");
  f = feeder_of(2);
  CHECK_OK(tg_callback_create(params_probe, &steps, &probe));
  s.options.callbacks = &probe;
  s.options.num_callbacks = 1;
  CHECK_OK(tg_model_fit(model, s.mse, s.sgd, NULL, 0, d, NULL, &s.options, NULL));
  CHECK(steps == TG_UNKNOWN_STEPS);
  tg_dataset_free(d);

  CHECK_ERR(tg_dataset_create(3, NULL, NULL, &d), TG_INVALID_ARGUMENT, "[tg_dataset_create]", "next_batch");
  CHECK_ERR(tg_dataset_create((size_t)-1, feed, NULL, &d), TG_INVALID_ARGUMENT, "steps", "too large");
  CHECK_ERR(tg_dataset_create(3, feed, NULL, NULL), TG_INVALID_ARGUMENT, "out");
  CHECK_OK(tg_dataset_free(NULL));
  CHECK_ERR(tg_dataset_free((tg_dataset*)y), TG_INVALID_HANDLE, "tg_tensor", "expected a tg_dataset");

  tg_callback_free(probe);
  setup_free(&s);
  tg_tensor_free(y);
  tg_model_free(model);
}

int main(void) {
  test_same_as_tensors();
  test_validation_dataset();
  test_errors();
  return check_summary();
}
