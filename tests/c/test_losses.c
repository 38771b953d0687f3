/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_losses.c — the Keras loss objects through the C ABI, compiled as C99: every tg_loss_*
 * function with the values Keras 2.15 prints in its docstrings (docs/tensorflow.md) or values
 * worked out by hand / with numpy from the Keras formulas, a gradient through a tape, and bad
 * input (the status and the message: "[tg_fn]", the loss, the shapes).
 */
#include <math.h>
#include <string.h>

#include "helpers.h"

/* Calls `loss` and returns its value as a double (NaN and a failed check on error). */
static double call_item(const tg_loss* loss, const tg_tensor* y_true, const tg_tensor* y_pred,
                        const tg_tensor* sample_weight) {
  tg_tensor* out = NULL;
  double v;
  if (!CHECK_OK(tg_loss_call(loss, y_true, y_pred, sample_weight, &out))) return NAN;
  v = item_of(out);
  tg_tensor_free(out);
  return v;
}

/* CCE docstring: y_true = [[0,1,0],[0,0,1]], y_pred = [[0.05,0.95,0],[0.1,0.8,0.1]] (float32):
 * 1.177; sample_weight [0.3, 0.7] 0.814; SUM 2.354; NONE [0.0513, 2.303]. numpy in float32:
 * mean 1.1769392490386963, weighted 0.8135988116264343, NONE [0.051293306, 2.302585125]. */
static void test_categorical_crossentropy(void) {
  const int64_t s23[2] = {2, 3}, s2[1] = {2};
  const double yt[6] = {0, 1, 0, 0, 0, 1}, yp[6] = {0.05, 0.95, 0, 0.1, 0.8, 0.1};
  const double sw[2] = {0.3, 0.7}, none[2] = {0.051293306052684784, 2.3025851249694824};
  tg_tensor* y_true = make_tensor(TG_FLOAT32, s23, 2, yt);
  tg_tensor* y_pred = make_tensor(TG_FLOAT32, s23, 2, yp);
  tg_tensor* weights = make_tensor(TG_FLOAT32, s2, 1, sw);
  tg_tensor* out = NULL;
  tg_loss *auto_loss = NULL, *sum = NULL, *unreduced = NULL, *smooth = NULL;

  CHECK_OK(tg_loss_categorical_crossentropy(0, 0.0, TG_REDUCTION_AUTO, &auto_loss));
  CHECK_NEAR(call_item(auto_loss, y_true, y_pred, NULL), 1.1769392490386963, 1e-6);
  CHECK_NEAR(call_item(auto_loss, y_true, y_pred, weights), 0.8135988116264343, 1e-6);
  CHECK_OK(tg_loss_categorical_crossentropy(0, 0.0, TG_REDUCTION_SUM, &sum));
  CHECK_NEAR(call_item(sum, y_true, y_pred, NULL), 2.354, 5e-4);
  CHECK_OK(tg_loss_categorical_crossentropy(0, 0.0, TG_REDUCTION_NONE, &unreduced));
  CHECK_OK(tg_loss_call(unreduced, y_true, y_pred, NULL, &out));
  CHECK_TENSOR(out, TG_FLOAT32, s2, 1, none, 1e-6);
  tg_tensor_free(out);
  out = NULL;

  /* from_logits with label smoothing 0.1 on y_pred read as logits, hand-worked:
   * y = y·0.9 + 0.1/3; row 1 z = (0.05, 0.95, 0): loss = lse(z) − Σ y·z,
   * lse = log(e^0.05 + e^0.95 + 1). */
  CHECK_OK(tg_loss_categorical_crossentropy(1, 0.1, TG_REDUCTION_NONE, &smooth));
  CHECK_OK(tg_loss_call(smooth, y_true, y_pred, NULL, &out));
  {
    const double lse1 = log(exp(0.05) + exp(0.95) + 1.0), lse2 = log(exp(0.1) + exp(0.8) + exp(0.1));
    const double lo = 0.1 / 3, hi = 0.9 + 0.1 / 3;
    const double want[2] = {lse1 - (lo * 0.05 + hi * 0.95 + lo * 0.0),
                            lse2 - (lo * 0.1 + lo * 0.8 + hi * 0.1)};
    CHECK_TENSOR(out, TG_FLOAT32, s2, 1, want, 1e-6);
  }
  tg_tensor_free(out);
  out = NULL;

  /* bad input */
  CHECK_ERR(tg_loss_categorical_crossentropy(0, 1.5, TG_REDUCTION_AUTO, &smooth),
            TG_INVALID_ARGUMENT, "[tg_loss_categorical_crossentropy]", "label_smoothing", "1.5");
  CHECK_ERR(tg_loss_categorical_crossentropy(0, 0.0, (tg_reduction)9, &smooth),
            TG_INVALID_ARGUMENT, "[tg_loss_categorical_crossentropy]", "Invalid Reduction Key: 9");
  CHECK_ERR(tg_loss_categorical_crossentropy(0, 0.0, TG_REDUCTION_AUTO, NULL), TG_INVALID_ARGUMENT,
            "[tg_loss_categorical_crossentropy]", "out");
  CHECK_ERR(tg_loss_call(auto_loss, weights, y_pred, NULL, &out), TG_INVALID_ARGUMENT,
            "[tg_loss_call]", "categorical_crossentropy", "(2)", "(2,3)");
  CHECK(out == NULL);

  tg_loss_free(auto_loss);
  tg_loss_free(sum);
  tg_loss_free(unreduced);
  tg_loss_free(smooth);
  tg_tensor_free(y_true);
  tg_tensor_free(y_pred);
  tg_tensor_free(weights);
}

/* SCCE docstring: labels [1, 2] against the CCE y_pred: 1.177, 0.814, 2.354. With
 * ignore_class 2 only the first entry counts: −log(0.95) = 0.0513 (mean over 1 valid entry). */
static void test_sparse_categorical_crossentropy(void) {
  const int64_t s23[2] = {2, 3}, s2[1] = {2}, s21[2] = {2, 1};
  const double labels_v[2] = {1, 2}, yp[6] = {0.05, 0.95, 0, 0.1, 0.8, 0.1}, sw[2] = {0.3, 0.7};
  tg_tensor* labels = make_tensor(TG_INT32, s2, 1, labels_v);
  tg_tensor* labels64 = make_tensor(TG_INT64, s21, 2, labels_v);
  tg_tensor* y_pred = make_tensor(TG_FLOAT32, s23, 2, yp);
  tg_tensor* weights = make_tensor(TG_FLOAT32, s2, 1, sw);
  tg_tensor *out = NULL, *bad_labels = NULL;
  tg_loss *loss = NULL, *ignoring = NULL, *logits = NULL;

  CHECK_OK(tg_loss_sparse_categorical_crossentropy(0, 0, 0, TG_REDUCTION_AUTO, &loss));
  CHECK_NEAR(call_item(loss, labels, y_pred, NULL), 1.177, 5e-4);
  CHECK_NEAR(call_item(loss, labels64, y_pred, NULL), 1.177, 5e-4); /* (N, 1) int64 labels */
  CHECK_NEAR(call_item(loss, labels, y_pred, weights), 0.814, 5e-4);

  CHECK_OK(tg_loss_sparse_categorical_crossentropy(0, 1, 2, TG_REDUCTION_AUTO, &ignoring));
  CHECK_NEAR(call_item(ignoring, labels, y_pred, NULL), -log(0.95), 1e-6);

  /* logits: row 2 z = (0.1, 0.8, 0.1), label 2: log(2e^0.1 + e^0.8) − 0.1; SUM adds row 1. */
  CHECK_OK(tg_loss_sparse_categorical_crossentropy(1, 0, 0, TG_REDUCTION_SUM, &logits));
  CHECK_NEAR(call_item(logits, labels, y_pred, NULL),
             log(exp(0.05) + exp(0.95) + 1.0) - 0.95 + log(2 * exp(0.1) + exp(0.8)) - 0.1, 1e-6);

  CHECK_OK(tg_tensor_fill(TG_INT32, s2, 1, 3.0, &bad_labels));
  CHECK_ERR(tg_loss_call(loss, bad_labels, y_pred, NULL, &out), TG_INVALID_ARGUMENT,
            "[tg_loss_call]", "label value of 3", "[0, 3)");
  CHECK_ERR(tg_loss_call(loss, y_pred, y_pred, NULL, &out), TG_INVALID_ARGUMENT, "[tg_loss_call]",
            "sparse_categorical_crossentropy", "(2,3)");
  {
    tg_loss* rejected = NULL;
    CHECK_ERR(tg_loss_sparse_categorical_crossentropy(0, 0, 0, (tg_reduction)-1, &rejected),
              TG_INVALID_ARGUMENT, "[tg_loss_sparse_categorical_crossentropy]",
              "Invalid Reduction Key: -1");
    CHECK(rejected == NULL);
  }
  CHECK_ERR(tg_loss_sparse_categorical_crossentropy(0, 0, 0, TG_REDUCTION_AUTO, NULL),
            TG_INVALID_ARGUMENT, "[tg_loss_sparse_categorical_crossentropy]", "out");
  CHECK(out == NULL);

  tg_loss_free(loss);
  tg_loss_free(ignoring);
  tg_loss_free(logits);
  tg_tensor_free(labels);
  tg_tensor_free(labels64);
  tg_tensor_free(y_pred);
  tg_tensor_free(weights);
  tg_tensor_free(bad_labels);
}

/* BCE docstring: y_true [[0,1],[0,0]], logits [[-18.6,0.51],[2.94,-12.8]]: 0.865, sample_weight
 * [0.8,0.2] 0.243, SUM 1.730, NONE [0.235, 1.496]; probabilities [[0.6,0.4],[0.4,0.6]]:
 * NONE [0.916, 0.714]. numpy: NONE [0.23515666320163253, 1.495759236360562], probabilities
 * [0.9162904818741863, 0.7135579694867622]. */
static void test_binary_crossentropy(void) {
  const int64_t s22[2] = {2, 2}, s2[1] = {2};
  const double yt[4] = {0, 1, 0, 0}, x[4] = {-18.6, 0.51, 2.94, -12.8}, p[4] = {0.6, 0.4, 0.4, 0.6};
  const double sw[2] = {0.8, 0.2};
  const double logits_none[2] = {0.23515666320163253, 1.495759236360562};
  const double probs_none[2] = {0.9162904818741863, 0.7135579694867622};
  tg_tensor* y_true = make_tensor(TG_FLOAT32, s22, 2, yt);
  tg_tensor* logits = make_tensor(TG_FLOAT32, s22, 2, x);
  tg_tensor* probs = make_tensor(TG_FLOAT32, s22, 2, p);
  tg_tensor* weights = make_tensor(TG_FLOAT32, s2, 1, sw);
  tg_tensor* out = NULL;
  tg_loss *from_logits = NULL, *sum = NULL, *none_logits = NULL, *none_probs = NULL, *smooth = NULL;

  CHECK_OK(tg_loss_binary_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &from_logits));
  CHECK_NEAR(call_item(from_logits, y_true, logits, NULL), 0.865, 5e-4);
  CHECK_NEAR(call_item(from_logits, y_true, logits, weights), 0.24363858891670923, 1e-6);
  CHECK_OK(tg_loss_binary_crossentropy(1, 0.0, TG_REDUCTION_SUM, &sum));
  CHECK_NEAR(call_item(sum, y_true, logits, NULL), 1.7309158995621945, 2e-6);
  CHECK_OK(tg_loss_binary_crossentropy(1, 0.0, TG_REDUCTION_NONE, &none_logits));
  CHECK_OK(tg_loss_call(none_logits, y_true, logits, NULL, &out));
  CHECK_TENSOR(out, TG_FLOAT32, s2, 1, logits_none, 1e-6);
  tg_tensor_free(out);
  CHECK_OK(tg_loss_binary_crossentropy(0, 0.0, TG_REDUCTION_NONE, &none_probs));
  CHECK_OK(tg_loss_call(none_probs, y_true, probs, NULL, &out));
  CHECK_TENSOR(out, TG_FLOAT32, s2, 1, probs_none, 1e-6);
  tg_tensor_free(out);
  out = NULL;
  /* label smoothing 0.2 on probabilities: y = y·0.8 + 0.1. Row 2 (y = 0.1 both):
   * −(0.1·log(0.4) + 0.9·log(0.6) + 0.1·log(0.6) + 0.9·log(0.4)) / 2 = −(log 0.4 + log 0.6)/2
   * (ε terms are below 1e-6 here). */
  CHECK_OK(tg_loss_binary_crossentropy(0, 0.2, TG_REDUCTION_NONE, &smooth));
  CHECK_OK(tg_loss_call(smooth, y_true, probs, NULL, &out));
  CHECK_NEAR(element(out, 1), -(log(0.4) + log(0.6)) / 2, 2e-6);
  tg_tensor_free(out);
  out = NULL;

  CHECK_ERR(tg_loss_binary_crossentropy(1, -0.5, TG_REDUCTION_AUTO, &smooth), TG_INVALID_ARGUMENT,
            "[tg_loss_binary_crossentropy]", "label_smoothing");
  CHECK_ERR(tg_loss_binary_crossentropy(1, 0.0, (tg_reduction)4, &smooth), TG_INVALID_ARGUMENT,
            "[tg_loss_binary_crossentropy]", "Invalid Reduction Key: 4");
  CHECK_ERR(tg_loss_binary_crossentropy(1, 0.0, TG_REDUCTION_AUTO, NULL), TG_INVALID_ARGUMENT,
            "[tg_loss_binary_crossentropy]", "out");
  CHECK_ERR(tg_loss_call(from_logits, weights, logits, NULL, &out), TG_INVALID_ARGUMENT,
            "[tg_loss_call]", "binary_crossentropy", "same shape", "(2,2)", "(2)");

  tg_loss_free(from_logits);
  tg_loss_free(sum);
  tg_loss_free(none_logits);
  tg_loss_free(none_probs);
  tg_loss_free(smooth);
  tg_tensor_free(y_true);
  tg_tensor_free(logits);
  tg_tensor_free(probs);
  tg_tensor_free(weights);
}

/* MSE / MAE docstrings: y_true [[0,1],[0,0]], y_pred [[1,1],[1,0]]: 0.5; sample_weight
 * [0.7,0.3] 0.25; SUM 1.0; NONE [0.5, 0.5]. Huber docstring: y_pred [[0.6,0.4],[0.4,0.6]]:
 * 0.155; sample_weight [1,0] 0.09; SUM 0.31; NONE [0.18, 0.13]. */
static void test_regression_losses(void) {
  const int64_t s22[2] = {2, 2}, s2[1] = {2};
  const double yt[4] = {0, 1, 0, 0}, yp[4] = {1, 1, 1, 0}, hp[4] = {0.6, 0.4, 0.4, 0.6};
  const double sw[2] = {0.7, 0.3}, hsw[2] = {1, 0}, halves[2] = {0.5, 0.5}, hnone[2] = {0.18, 0.13};
  tg_tensor* y_true = make_tensor(TG_FLOAT32, s22, 2, yt);
  tg_tensor* y_pred = make_tensor(TG_FLOAT32, s22, 2, yp);
  tg_tensor* h_pred = make_tensor(TG_FLOAT32, s22, 2, hp);
  tg_tensor* weights = make_tensor(TG_FLOAT32, s2, 1, sw);
  tg_tensor* h_weights = make_tensor(TG_INT32, s2, 1, hsw);
  tg_tensor* out = NULL;
  tg_loss *mse = NULL, *mse_sum = NULL, *mae = NULL, *mae_none = NULL, *hub = NULL, *hub_sum = NULL,
          *hub_none = NULL;

  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_SUM_OVER_BATCH_SIZE, &mse));
  CHECK_NEAR(call_item(mse, y_true, y_pred, NULL), 0.5, 1e-7);
  CHECK_NEAR(call_item(mse, y_true, y_pred, weights), 0.25, 1e-7);
  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_SUM, &mse_sum));
  CHECK_NEAR(call_item(mse_sum, y_true, y_pred, NULL), 1.0, 1e-7);

  CHECK_OK(tg_loss_mean_absolute_error(TG_REDUCTION_AUTO, &mae));
  CHECK_NEAR(call_item(mae, y_true, y_pred, NULL), 0.5, 1e-7);
  CHECK_NEAR(call_item(mae, y_true, y_pred, weights), 0.25, 1e-7);
  CHECK_OK(tg_loss_mean_absolute_error(TG_REDUCTION_NONE, &mae_none));
  CHECK_OK(tg_loss_call(mae_none, y_true, y_pred, NULL, &out));
  CHECK_TENSOR(out, TG_FLOAT32, s2, 1, halves, 0);
  tg_tensor_free(out);

  CHECK_OK(tg_loss_huber(1.0, TG_REDUCTION_AUTO, &hub));
  CHECK_NEAR(call_item(hub, y_true, h_pred, NULL), 0.155, 1e-6);
  CHECK_NEAR(call_item(hub, y_true, h_pred, h_weights), 0.09, 1e-6);
  CHECK_OK(tg_loss_huber(1.0, TG_REDUCTION_SUM, &hub_sum));
  CHECK_NEAR(call_item(hub_sum, y_true, h_pred, NULL), 0.31, 1e-6);
  CHECK_OK(tg_loss_huber(1.0, TG_REDUCTION_NONE, &hub_none));
  CHECK_OK(tg_loss_call(hub_none, y_true, h_pred, NULL, &out));
  CHECK_TENSOR(out, TG_FLOAT32, s2, 1, hnone, 1e-6);
  tg_tensor_free(out);
  out = NULL;
  /* delta 0.5: x = (0.6, −0.6), (0.4, 0.6). |x| = 0.6 is linear, 0.5·0.6 − 0.125 = 0.175;
   * 0.4 is quadratic, 0.08: rows 0.175 and 0.1275, mean 0.15125. */
  {
    tg_loss* narrow = NULL;
    CHECK_OK(tg_loss_huber(0.5, TG_REDUCTION_AUTO, &narrow));
    CHECK_NEAR(call_item(narrow, y_true, h_pred, NULL), 0.15125, 1e-6);
    tg_loss_free(narrow);
  }

  CHECK_ERR(tg_loss_mean_squared_error((tg_reduction)17, &mse), TG_INVALID_ARGUMENT,
            "[tg_loss_mean_squared_error]", "Invalid Reduction Key: 17");
  CHECK_ERR(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, NULL), TG_INVALID_ARGUMENT,
            "[tg_loss_mean_squared_error]", "out");
  CHECK_ERR(tg_loss_mean_absolute_error((tg_reduction)5, &mae), TG_INVALID_ARGUMENT,
            "[tg_loss_mean_absolute_error]", "Invalid Reduction Key: 5");
  CHECK_ERR(tg_loss_mean_absolute_error(TG_REDUCTION_AUTO, NULL), TG_INVALID_ARGUMENT,
            "[tg_loss_mean_absolute_error]", "out");
  CHECK_ERR(tg_loss_huber(-1.0, TG_REDUCTION_AUTO, &hub), TG_INVALID_ARGUMENT, "[tg_loss_huber]",
            "delta", "-1");
  CHECK_ERR(tg_loss_huber(NAN, TG_REDUCTION_AUTO, &hub), TG_INVALID_ARGUMENT, "[tg_loss_huber]",
            "delta");
  CHECK_ERR(tg_loss_huber(1.0, (tg_reduction)8, &hub), TG_INVALID_ARGUMENT, "[tg_loss_huber]",
            "Invalid Reduction Key: 8");
  CHECK_ERR(tg_loss_huber(1.0, TG_REDUCTION_AUTO, NULL), TG_INVALID_ARGUMENT, "[tg_loss_huber]",
            "out");
  /* sample weights that do not fit, integer predictions */
  {
    const int64_t s3[1] = {3};
    tg_tensor *w3 = NULL, *ints = NULL;
    CHECK_OK(tg_tensor_fill(TG_FLOAT32, s3, 1, 1.0, &w3));
    CHECK_OK(tg_tensor_fill(TG_INT64, s22, 2, 1.0, &ints));
    CHECK_ERR(tg_loss_call(mse, y_true, y_pred, w3, &out), TG_INVALID_ARGUMENT, "[tg_loss_call]",
              "mean_squared_error", "sample_weight (3)", "(2)");
    CHECK_ERR(tg_loss_call(mae, y_true, ints, NULL, &out), TG_INVALID_ARGUMENT, "[tg_loss_call]",
              "mean_absolute_error", "float32 or float64", "int64");
    CHECK_ERR(tg_loss_call(hub, y_true, w3, NULL, &out), TG_INVALID_ARGUMENT, "[tg_loss_call]",
              "huber_loss", "(2,2)", "(3)");
    tg_tensor_free(w3);
    tg_tensor_free(ints);
  }
  CHECK(out == NULL);

  tg_loss_free(mse);
  tg_loss_free(mse_sum);
  tg_loss_free(mae);
  tg_loss_free(mae_none);
  tg_loss_free(hub);
  tg_loss_free(hub_sum);
  tg_loss_free(hub_none);
  tg_tensor_free(y_true);
  tg_tensor_free(y_pred);
  tg_tensor_free(h_pred);
  tg_tensor_free(weights);
  tg_tensor_free(h_weights);
}

/* d MSE / d y_pred = 2·(y_pred − y_true) / (number of elements) with SUM_OVER_BATCH_SIZE over
 * a (2, 2) batch: per-sample means over 2, then the mean over 2 → 2·diff / 4. */
static void test_gradient_through_a_loss(void) {
  const int64_t s22[2] = {2, 2};
  const double yt[4] = {0, 1, 0, 0}, yp[4] = {1, 1, 0.5, -2}, want[4] = {0.5, 0, 0.25, -1};
  tg_tensor* y_true = make_tensor(TG_FLOAT64, s22, 2, yt);
  tg_tensor* y_pred = make_tensor(TG_FLOAT64, s22, 2, yp);
  tg_tensor *loss = NULL, *grad = NULL;
  tg_loss* mse = NULL;
  tg_tape* tape = NULL;
  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, &mse));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, y_pred));
  CHECK_OK(tg_loss_call(mse, y_true, y_pred, NULL, &loss));
  CHECK_OK(tg_tape_end(tape));
  {
    const void* targets[1];
    const void* sources[1];
    targets[0] = loss;
    sources[0] = y_pred;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &grad));
  }
  CHECK_TENSOR(grad, TG_FLOAT64, s22, 2, want, 1e-15);
  CHECK_NEAR(item_of(loss), (1 + 0 + 0.25 + 4) / 4.0, 1e-15);
  tg_tensor_free(grad);
  tg_tensor_free(loss);
  tg_tape_free(tape);
  tg_loss_free(mse);
  tg_tensor_free(y_true);
  tg_tensor_free(y_pred);
}

/* NULL, wrong-type and freed handles, NULL out. */
static void test_handles(void) {
  const int64_t s2[1] = {2};
  const double v[2] = {1, 2};
  tg_tensor* t = make_tensor(TG_FLOAT32, s2, 1, v);
  tg_tensor* out = NULL;
  tg_loss *loss = NULL, *freed = NULL;
  tg_metric* metric = NULL;
  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, &loss));
  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, &freed));
  CHECK_OK(tg_loss_free(freed));
  CHECK_OK(tg_metric_accuracy(&metric));

  CHECK_ERR(tg_loss_call(NULL, t, t, NULL, &out), TG_INVALID_HANDLE, "[tg_loss_call]", "loss is NULL");
  CHECK_ERR(tg_loss_call((const tg_loss*)t, t, t, NULL, &out), TG_INVALID_HANDLE, "[tg_loss_call]",
            "tg_tensor", "expected a tg_loss");
  CHECK_ERR(tg_loss_call((const tg_loss*)metric, t, t, NULL, &out), TG_INVALID_HANDLE,
            "[tg_loss_call]", "tg_metric", "expected a tg_loss");
  CHECK_ERR(tg_loss_call(freed, t, t, NULL, &out), TG_INVALID_HANDLE, "[tg_loss_call]", "freed");
  CHECK_ERR(tg_loss_call(loss, NULL, t, NULL, &out), TG_INVALID_HANDLE, "[tg_loss_call]", "y_true");
  CHECK_ERR(tg_loss_call(loss, t, NULL, NULL, &out), TG_INVALID_HANDLE, "[tg_loss_call]", "y_pred");
  CHECK_ERR(tg_loss_call(loss, t, t, (const tg_tensor*)loss, &out), TG_INVALID_HANDLE,
            "[tg_loss_call]", "sample_weight", "tg_loss", "expected a tg_tensor");
  CHECK_ERR(tg_loss_call(loss, t, t, NULL, NULL), TG_INVALID_ARGUMENT, "[tg_loss_call]", "out");
  CHECK(out == NULL);

  CHECK_OK(tg_loss_free(NULL));
  CHECK_ERR(tg_loss_free((tg_loss*)t), TG_INVALID_HANDLE, "[tg_loss_free]", "tg_tensor");
  CHECK_ERR(tg_loss_free(freed), TG_INVALID_HANDLE, "[tg_loss_free]", "freed");
  CHECK_OK(tg_loss_free(loss));
  tg_metric_free(metric);
  tg_tensor_free(t);
}

int main(void) {
  test_categorical_crossentropy();
  test_sparse_categorical_crossentropy();
  test_binary_crossentropy();
  test_regression_losses();
  test_gradient_through_a_loss();
  test_handles();
  return check_summary();
}
