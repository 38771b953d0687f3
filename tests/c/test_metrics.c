/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_metrics.c — the Keras accuracy metrics through the C ABI, compiled as C99: every
 * tg_metric_* function with the values of the Keras 2.15 docstrings
 * (tf_keras/metrics/accuracy_metrics.py), hand-worked weighted means over several batches,
 * and bad input (status and message: "[tg_fn]", the metric, the shapes).
 */
#include <math.h>
#include <string.h>

#include "helpers.h"

static double result_of(const tg_metric* m) {
  double v = NAN;
  CHECK_OK(tg_metric_result(m, &v));
  return v;
}

/* Accuracy: [[1],[2],[3],[4]] vs [[0],[2],[3],[4]] → 0.75; after reset, with sample_weight
 * [1,1,0,0] → 0.5. */
static void test_accuracy(void) {
  const int64_t s41[2] = {4, 1}, s4[1] = {4};
  const double yt[4] = {1, 2, 3, 4}, yp[4] = {0, 2, 3, 4}, sw[4] = {1, 1, 0, 0};
  tg_tensor* y_true = make_tensor(TG_INT32, s41, 2, yt);
  tg_tensor* y_pred = make_tensor(TG_FLOAT32, s41, 2, yp);
  tg_tensor* weights = make_tensor(TG_FLOAT64, s4, 1, sw);
  tg_metric* m = NULL;
  CHECK_OK(tg_metric_accuracy(&m));
  CHECK(result_of(m) == 0.0); /* nothing counted yet */
  CHECK_OK(tg_metric_update(m, y_true, y_pred, NULL));
  CHECK(result_of(m) == 0.75);
  CHECK_OK(tg_metric_reset(m));
  CHECK(result_of(m) == 0.0);
  CHECK_OK(tg_metric_update(m, y_true, y_pred, weights));
  CHECK(result_of(m) == 0.5);
  /* A second batch accumulates: the first had total 1 (matches 0,1 under weights 1,1) and
   * count 2; this one adds total 3 (matches 0,1,1,1) and count 4 → 4/6. */
  CHECK_OK(tg_metric_update(m, y_true, y_pred, NULL));
  CHECK_NEAR(result_of(m), 4.0 / 6.0, 1e-7);

  /* (4) against (4,1) would be squeezed to fit; (2,2) cannot. */
  {
    const int64_t s22[2] = {2, 2};
    tg_tensor* square = NULL;
    CHECK_OK(tg_tensor_fill(TG_FLOAT32, s22, 2, 1.0, &square));
    CHECK_ERR(tg_metric_update(m, y_true, square, NULL), TG_INVALID_ARGUMENT, "[tg_metric_update]",
              "accuracy", "(4,1)", "(2,2)", "incompatible");
    tg_tensor_free(square);
  }
  CHECK_NEAR(result_of(m), 4.0 / 6.0, 1e-7); /* unchanged by the failed update */
  CHECK_ERR(tg_metric_accuracy(NULL), TG_INVALID_ARGUMENT, "[tg_metric_accuracy]", "out");
  CHECK_OK(tg_metric_free(m));
  tg_tensor_free(y_true);
  tg_tensor_free(y_pred);
  tg_tensor_free(weights);
}

/* BinaryAccuracy: [[1],[1],[0],[0]] vs [[0.98],[1],[0],[0.6]] → 0.75; with sample_weight
 * [1,0,0,1] → 0.5. threshold 0.99 → matches (0,1,1,1) → 0.75 again, with weights → 0.5. */
static void test_binary_accuracy(void) {
  const int64_t s41[2] = {4, 1}, s4[1] = {4};
  const double yt[4] = {1, 1, 0, 0}, yp[4] = {0.98, 1, 0, 0.6}, sw[4] = {1, 0, 0, 1};
  tg_tensor* y_true = make_tensor(TG_FLOAT32, s41, 2, yt);
  tg_tensor* y_pred = make_tensor(TG_FLOAT32, s41, 2, yp);
  tg_tensor* weights = make_tensor(TG_FLOAT32, s4, 1, sw);
  tg_metric *m = NULL, *strict = NULL, *rejected = NULL;
  CHECK_OK(tg_metric_binary_accuracy(0.5, &m));
  CHECK_OK(tg_metric_update(m, y_true, y_pred, NULL));
  CHECK(result_of(m) == 0.75);
  CHECK_OK(tg_metric_reset(m));
  CHECK_OK(tg_metric_update(m, y_true, y_pred, weights));
  CHECK(result_of(m) == 0.5);
  CHECK_OK(tg_metric_binary_accuracy(0.99, &strict));
  CHECK_OK(tg_metric_update(strict, y_true, y_pred, NULL));
  CHECK(result_of(strict) == 0.75);
  CHECK_OK(tg_metric_reset(strict));
  CHECK_OK(tg_metric_update(strict, y_true, y_pred, weights)); /* matches 0·1 + 1·0 + 1·0 + 1·1 */
  CHECK(result_of(strict) == 0.5);

  CHECK_ERR(tg_metric_binary_accuracy(NAN, &rejected), TG_INVALID_ARGUMENT,
            "[tg_metric_binary_accuracy]", "threshold");
  CHECK(rejected == NULL);
  CHECK_ERR(tg_metric_binary_accuracy(0.5, NULL), TG_INVALID_ARGUMENT, "[tg_metric_binary_accuracy]",
            "out");
  {
    const int64_t s3[1] = {3};
    tg_tensor* three = NULL;
    CHECK_OK(tg_tensor_fill(TG_FLOAT32, s3, 1, 1.0, &three));
    CHECK_ERR(tg_metric_update(m, three, weights, NULL), TG_INVALID_ARGUMENT, "[tg_metric_update]",
              "binary_accuracy", "(3)", "(4)");
    tg_tensor_free(three);
  }
  tg_metric_free(m);
  tg_metric_free(strict);
  tg_tensor_free(y_true);
  tg_tensor_free(y_pred);
  tg_tensor_free(weights);
}

/* CategoricalAccuracy: [[0,0,1],[0,1,0]] vs [[0.1,0.9,0.8],[0.05,0.95,0]] → 0.5; with
 * sample_weight [0.7,0.3] → 0.3. SparseCategoricalAccuracy: [[2],[1]] vs
 * [[0.1,0.6,0.3],[0.05,0.95,0]] → 0.5, weighted → 0.3. */
static void test_categorical_accuracies(void) {
  const int64_t s23[2] = {2, 3}, s2[1] = {2}, s21[2] = {2, 1};
  const double onehot[6] = {0, 0, 1, 0, 1, 0}, p1[6] = {0.1, 0.9, 0.8, 0.05, 0.95, 0};
  const double labels_v[2] = {2, 1}, p2[6] = {0.1, 0.6, 0.3, 0.05, 0.95, 0}, sw[2] = {0.7, 0.3};
  tg_tensor* y_onehot = make_tensor(TG_FLOAT32, s23, 2, onehot);
  tg_tensor* pred1 = make_tensor(TG_FLOAT32, s23, 2, p1);
  tg_tensor* labels = make_tensor(TG_INT64, s21, 2, labels_v);
  tg_tensor* labels_flat = make_tensor(TG_INT32, s2, 1, labels_v);
  tg_tensor* pred2 = make_tensor(TG_FLOAT64, s23, 2, p2);
  tg_tensor* weights = make_tensor(TG_FLOAT32, s2, 1, sw);
  tg_metric *cat = NULL, *sparse = NULL;

  CHECK_OK(tg_metric_categorical_accuracy(&cat));
  CHECK_OK(tg_metric_update(cat, y_onehot, pred1, NULL));
  CHECK(result_of(cat) == 0.5);
  CHECK_OK(tg_metric_reset(cat));
  CHECK_OK(tg_metric_update(cat, y_onehot, pred1, weights));
  CHECK_NEAR(result_of(cat), 0.3, 1e-7);

  CHECK_OK(tg_metric_sparse_categorical_accuracy(&sparse));
  CHECK_OK(tg_metric_update(sparse, labels, pred2, NULL));
  CHECK(result_of(sparse) == 0.5);
  CHECK_OK(tg_metric_reset(sparse));
  CHECK_OK(tg_metric_update(sparse, labels, pred2, weights));
  CHECK_NEAR(result_of(sparse), 0.3, 1e-7);
  /* (N,) int32 labels too. After the weighted batch (total 0.3, count 0.7 + 0.3 = 1), labels
   * [2,1] against argmax(pred1) = [1,1] match (0,1): total 1.3, count 3. */
  CHECK_OK(tg_metric_update(sparse, labels_flat, pred1, NULL));
  CHECK_NEAR(result_of(sparse), 1.3 / 3.0, 1e-7);

  CHECK_ERR(tg_metric_update(sparse, y_onehot, pred1, NULL), TG_INVALID_ARGUMENT,
            "[tg_metric_update]", "sparse_categorical_accuracy", "(2,3)");
  {
    const int64_t s33[2] = {3, 3};
    tg_tensor* three_rows = NULL;
    CHECK_OK(tg_tensor_fill(TG_FLOAT32, s33, 2, 0.0, &three_rows));
    CHECK_ERR(tg_metric_update(cat, three_rows, pred1, NULL), TG_INVALID_ARGUMENT,
              "[tg_metric_update]", "categorical_accuracy", "argmax(y_true) (3)", "argmax(y_pred) (2)");
    tg_tensor_free(three_rows);
  }
  CHECK_ERR(tg_metric_categorical_accuracy(NULL), TG_INVALID_ARGUMENT,
            "[tg_metric_categorical_accuracy]", "out");
  CHECK_ERR(tg_metric_sparse_categorical_accuracy(NULL), TG_INVALID_ARGUMENT,
            "[tg_metric_sparse_categorical_accuracy]", "out");
  tg_metric_free(cat);
  tg_metric_free(sparse);
  tg_tensor_free(y_onehot);
  tg_tensor_free(pred1);
  tg_tensor_free(labels);
  tg_tensor_free(labels_flat);
  tg_tensor_free(pred2);
  tg_tensor_free(weights);
}

static void test_handles(void) {
  const int64_t s2[1] = {2};
  const double v[2] = {1, 0};
  tg_tensor* t = make_tensor(TG_FLOAT32, s2, 1, v);
  tg_metric *m = NULL, *freed = NULL;
  tg_loss* loss = NULL;
  double value = -1;
  CHECK_OK(tg_metric_accuracy(&m));
  CHECK_OK(tg_metric_accuracy(&freed));
  CHECK_OK(tg_metric_free(freed));
  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, &loss));

  CHECK_ERR(tg_metric_update(NULL, t, t, NULL), TG_INVALID_HANDLE, "[tg_metric_update]", "metric is NULL");
  CHECK_ERR(tg_metric_update((tg_metric*)loss, t, t, NULL), TG_INVALID_HANDLE, "[tg_metric_update]",
            "tg_loss", "expected a tg_metric");
  CHECK_ERR(tg_metric_update(freed, t, t, NULL), TG_INVALID_HANDLE, "[tg_metric_update]", "freed");
  CHECK_ERR(tg_metric_update(m, NULL, t, NULL), TG_INVALID_HANDLE, "[tg_metric_update]", "y_true");
  CHECK_ERR(tg_metric_update(m, t, NULL, NULL), TG_INVALID_HANDLE, "[tg_metric_update]", "y_pred");
  CHECK_ERR(tg_metric_update(m, t, t, (const tg_tensor*)m), TG_INVALID_HANDLE, "[tg_metric_update]",
            "sample_weight", "tg_metric", "expected a tg_tensor");
  CHECK_ERR(tg_metric_result(NULL, &value), TG_INVALID_HANDLE, "[tg_metric_result]", "metric");
  CHECK_ERR(tg_metric_result((const tg_metric*)t, &value), TG_INVALID_HANDLE, "[tg_metric_result]",
            "tg_tensor");
  CHECK_ERR(tg_metric_result(m, NULL), TG_INVALID_ARGUMENT, "[tg_metric_result]", "out");
  CHECK(value == -1);
  CHECK_ERR(tg_metric_reset(NULL), TG_INVALID_HANDLE, "[tg_metric_reset]", "metric is NULL");
  CHECK_ERR(tg_metric_reset(freed), TG_INVALID_HANDLE, "[tg_metric_reset]", "freed");
  CHECK_OK(tg_metric_free(NULL));
  CHECK_ERR(tg_metric_free((tg_metric*)loss), TG_INVALID_HANDLE, "[tg_metric_free]", "tg_loss");
  CHECK_ERR(tg_metric_free(freed), TG_INVALID_HANDLE, "[tg_metric_free]", "freed");
  CHECK_OK(tg_metric_update(m, t, t, NULL));
  CHECK(result_of(m) == 1.0);
  CHECK_OK(tg_metric_free(m));
  tg_loss_free(loss);
  tg_tensor_free(t);
}

/* One update of a new tg_metric_auto_accuracy; returns its result and name. */
static double auto_accuracy(const tg_tensor* y_true, const tg_tensor* y_pred, const char** name) {
  tg_metric* m = NULL;
  double value = -1;
  CHECK_OK(tg_metric_auto_accuracy(&m));
  CHECK_OK(tg_metric_update(m, y_true, y_pred, NULL));
  CHECK_OK(tg_metric_result(m, &value));
  CHECK_OK(tg_metric_name(m, name));
  CHECK(*name && strcmp(*name, "accuracy") == 0);
  tg_metric_free(m);
  return value;
}

/* Keras compile's "accuracy", resolved from the shapes. Worked by hand:
 *   y_pred rows (4, 3): argmax 0, 2, 1, 0; above 0.5: (1,0,0) (0,0,1) (0,0,0) (0,0,0).
 *   class indices (0, 2, 1, 1) (4) or (4, 1): sparse categorical, matches 1,1,1,0 -> 0.75;
 *   their one-hot (4, 3): categorical, the same argmax matches -> 0.75 (binary accuracy would
 *     compare 12 elements: 3 + 3 + 2 + 2 = 10 -> 0.8333);
 *   y_pred (4, 1) = (0.7, 0.2, 0.4, 0.6) against y_true (1, 0, 1, 0) as (4, 1) or (4): binary,
 *     above 0.5: 1, 0, 0, 1 -> matches 1, 1, 0, 0 -> 0.5 (categorical would give 1). */
static void test_auto_accuracy(void) {
  const int64_t pred_shape[2] = {4, 3}, idx_shape[1] = {4}, idx_col_shape[2] = {4, 1}, onehot_shape[2] = {4, 3};
  const double pred[12] = {0.9, 0.05, 0.05, 0.1, 0.1, 0.8, 0.3, 0.4, 0.3, 0.4, 0.35, 0.25};
  const double idx[4] = {0, 2, 1, 1};
  const double onehot[12] = {1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0};
  const double prob[4] = {0.7, 0.2, 0.4, 0.6}, truth[4] = {1, 0, 1, 0};
  tg_tensor* y_pred = make_tensor(TG_FLOAT32, pred_shape, 2, pred);
  tg_tensor* y_idx = make_tensor(TG_INT32, idx_shape, 1, idx);
  tg_tensor* y_idx_col = make_tensor(TG_INT64, idx_col_shape, 2, idx);
  tg_tensor* y_onehot = make_tensor(TG_FLOAT32, onehot_shape, 2, onehot);
  tg_tensor* p_col = make_tensor(TG_FLOAT32, idx_col_shape, 2, prob);
  tg_tensor* t_col = make_tensor(TG_FLOAT32, idx_col_shape, 2, truth);
  tg_tensor* t_vec = make_tensor(TG_FLOAT32, idx_shape, 1, truth);
  const char* name = NULL;
  tg_metric* m = NULL;
  double value = -1;
  CHECK_NEAR(auto_accuracy(y_idx, y_pred, &name), 0.75, 1e-7);
  CHECK_NEAR(auto_accuracy(y_idx_col, y_pred, &name), 0.75, 1e-7);
  CHECK_NEAR(auto_accuracy(y_onehot, y_pred, &name), 0.75, 1e-7);
  CHECK_NEAR(auto_accuracy(t_col, p_col, &name), 0.5, 1e-7);
  CHECK_NEAR(auto_accuracy(t_vec, p_col, &name), 0.5, 1e-7);
  /* Resolved once: a later update with class indices stays categorical, comparing argmax of
   * (0, 2, 1, 1), which is 1, with 0, 2, 1, 0: 1 match of 4 (sparse would give 3), so the
   * mean over both updates is (3 + 1) / 8. */
  CHECK_OK(tg_metric_auto_accuracy(&m));
  CHECK_OK(tg_metric_update(m, y_onehot, y_pred, NULL));
  CHECK_OK(tg_metric_update(m, y_idx, y_pred, NULL));
  CHECK_OK(tg_metric_result(m, &value));
  CHECK_NEAR(value, 0.5, 1e-7);
  CHECK_ERR(tg_metric_name(m, NULL), TG_INVALID_ARGUMENT, "tg_metric_name");
  CHECK_ERR(tg_metric_name(NULL, &name), TG_INVALID_HANDLE, "tg_metric_name");
  CHECK_ERR(tg_metric_auto_accuracy(NULL), TG_INVALID_ARGUMENT, "tg_metric_auto_accuracy");
  tg_metric_free(m);
  tg_tensor_free(y_pred);
  tg_tensor_free(y_idx);
  tg_tensor_free(y_idx_col);
  tg_tensor_free(y_onehot);
  tg_tensor_free(p_col);
  tg_tensor_free(t_col);
  tg_tensor_free(t_vec);
}

int main(void) {
  test_auto_accuracy();
  test_accuracy();
  test_binary_accuracy();
  test_categorical_accuracies();
  test_handles();
  return check_summary();
}
