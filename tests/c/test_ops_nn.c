/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of the fused losses tg_softmax_cross_entropy_with_logits and
 * tg_sparse_softmax_cross_entropy_with_logits: values and gradients against hand-computed
 * numbers, then bad input (shapes, dtypes, label values, handles, NULL out).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static const int64_t s23[] = {2, 3}, s2[] = {2};
static const double logits_v[] = {1, 2, 3, 1, 1, 1};

/* L = log(e + e² + e³), the logsumexp of the first row */
static double lse_row0(void) { return log(exp(1.0) + exp(2.0) + exp(3.0)); }

/* Gradients of sum(loss(labels, logits)) w.r.t. labels (if grad_labels) and logits. */
static void xent_gradients(tg_tensor* labels, tg_tensor* logits, int sparse, tg_tensor** g_labels,
                           tg_tensor** g_logits) {
  tg_tape* tape = NULL;
  tg_tensor* loss = NULL;
  tg_tensor* grads[2] = {NULL, NULL};
  const void* targets[1];
  const void* sources[2];
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, labels));
  CHECK_OK(tg_tape_watch(tape, logits));
  if (sparse)
    CHECK_OK(tg_sparse_softmax_cross_entropy_with_logits(labels, logits, &loss));
  else
    CHECK_OK(tg_softmax_cross_entropy_with_logits(labels, logits, -1, &loss));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = loss;
  sources[0] = labels;
  sources[1] = logits;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, grads));
  *g_labels = grads[0];
  *g_logits = grads[1];
  tg_tensor_free(loss);
  tg_tape_free(tape);
}

static void test_dense(void) {
  /* row 0: y = (0,1,0), z = (1,2,3) → L − 2; row 1: y = (¼,¼,½), z = (1,1,1) → log 3 */
  const double labels_v[] = {0, 1, 0, 0.25, 0.25, 0.5};
  const double l = lse_row0();
  const double want_loss[] = {l - 2, log(3.0)};
  int dt;
  for (dt = 0; dt < 2; ++dt) {
    const tg_dtype dtype = dt == 0 ? TG_FLOAT32 : TG_FLOAT64;
    const double tol = dt == 0 ? 1e-6 : 1e-14;
    tg_tensor* y = make_tensor(dtype, s23, 2, labels_v);
    tg_tensor* z = make_tensor(dtype, s23, 2, logits_v);
    tg_tensor *r = NULL, *gy = NULL, *gz = NULL;
    CHECK_OK(tg_softmax_cross_entropy_with_logits(y, z, -1, &r));
    CHECK_TENSOR(r, dtype, s2, 1, want_loss, tol);
    tg_tensor_free(r);
    CHECK_OK(tg_softmax_cross_entropy_with_logits(y, z, 1, &r));
    CHECK_TENSOR(r, dtype, s2, 1, want_loss, tol);
    tg_tensor_free(r);

    /* d/dz = softmax(z) − y; d/dy = −log_softmax(z) = logsumexp(z) − z */
    xent_gradients(y, z, 0, &gy, &gz);
    {
      const double e1 = exp(1.0 - l), e2 = exp(2.0 - l), e3 = exp(3.0 - l);
      const double want_z[] = {e1, e2 - 1, e3, 1.0 / 12, 1.0 / 12, -1.0 / 6};
      const double want_y[] = {l - 1, l - 2, l - 3, log(3.0), log(3.0), log(3.0)};
      CHECK_TENSOR(gz, dtype, s23, 2, want_z, tol);
      CHECK_TENSOR(gy, dtype, s23, 2, want_y, tol);
    }
    tg_tensor_free(gy);
    tg_tensor_free(gz);
    tg_tensor_free(y);
    tg_tensor_free(z);
  }

  /* axis 0: the same numbers stored transposed, (3,2) */
  {
    const int64_t s32[] = {3, 2};
    const double yt[] = {0, 0.25, 1, 0.25, 0, 0.5};
    const double zt[] = {1, 1, 2, 1, 3, 1};
    tg_tensor* y = make_tensor(TG_FLOAT64, s32, 2, yt);
    tg_tensor* z = make_tensor(TG_FLOAT64, s32, 2, zt);
    tg_tensor* r = NULL;
    CHECK_OK(tg_softmax_cross_entropy_with_logits(y, z, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s2, 1, want_loss, 1e-14);
    tg_tensor_free(r);
    CHECK_OK(tg_softmax_cross_entropy_with_logits(y, z, -2, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s2, 1, want_loss, 1e-14);
    tg_tensor_free(r);
    tg_tensor_free(y);
    tg_tensor_free(z);
  }

  /* TensorFlow's logits gradient is softmax − y even when y does not sum to 1:
   * y = (1,1), z = (0,0): loss 2·log 2, d/dz = (½ − 1, ½ − 1) */
  {
    const int64_t s12[] = {1, 2}, s1[] = {1};
    const double yv[] = {1, 1}, zv[] = {0, 0};
    tg_tensor* y = make_tensor(TG_FLOAT64, s12, 2, yv);
    tg_tensor* z = make_tensor(TG_FLOAT64, s12, 2, zv);
    tg_tensor *r = NULL, *gy = NULL, *gz = NULL;
    CHECK_OK(tg_softmax_cross_entropy_with_logits(y, z, -1, &r));
    {
      const double want[] = {2 * log(2.0)};
      CHECK_TENSOR(r, TG_FLOAT64, s1, 1, want, 1e-15);
    }
    tg_tensor_free(r);
    xent_gradients(y, z, 0, &gy, &gz);
    {
      const double want_z[] = {-0.5, -0.5};
      CHECK_TENSOR(gz, TG_FLOAT64, s12, 2, want_z, 1e-15);
    }
    tg_tensor_free(gy);
    tg_tensor_free(gz);
    tg_tensor_free(y);
    tg_tensor_free(z);
  }

  /* large logits stay finite: z = (1000, 0) gives 0 for y = (1,0) and 1000 for y = (0,1) */
  {
    const double yv[] = {1, 0, 0, 1}, zv[] = {1000, 0, 1000, 0};
    const int64_t s22[] = {2, 2};
    tg_tensor* y = make_tensor(TG_FLOAT32, s22, 2, yv);
    tg_tensor* z = make_tensor(TG_FLOAT32, s22, 2, zv);
    tg_tensor* r = NULL;
    CHECK_OK(tg_softmax_cross_entropy_with_logits(y, z, -1, &r));
    {
      const double want[] = {0, 1000};
      CHECK_TENSOR(r, TG_FLOAT32, s2, 1, want, 1e-6);
    }
    tg_tensor_free(r);
    tg_tensor_free(y);
    tg_tensor_free(z);
  }
}

static void test_sparse(void) {
  const double labels_v[] = {1, 2};
  const double l = lse_row0();
  const double want_loss[] = {l - 2, log(3.0)};
  int dt;
  for (dt = 0; dt < 2; ++dt) {
    const tg_dtype label_dtype = dt == 0 ? TG_INT32 : TG_INT64;
    tg_tensor* y = make_tensor(label_dtype, s2, 1, labels_v);
    tg_tensor* z = make_tensor(TG_FLOAT64, s23, 2, logits_v);
    tg_tensor *r = NULL, *gy = (tg_tensor*)&gy, *gz = NULL;
    CHECK_OK(tg_sparse_softmax_cross_entropy_with_logits(y, z, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s2, 1, want_loss, 1e-14);
    tg_tensor_free(r);
    /* d/dz = softmax(z) − one_hot(labels); the integer labels get no gradient */
    xent_gradients(y, z, 1, &gy, &gz);
    {
      const double e1 = exp(1.0 - l), e2 = exp(2.0 - l), e3 = exp(3.0 - l);
      const double want_z[] = {e1, e2 - 1, e3, 1.0 / 3, 1.0 / 3, -2.0 / 3};
      CHECK_TENSOR(gz, TG_FLOAT64, s23, 2, want_z, 1e-14);
    }
    CHECK(gy == NULL);
    tg_tensor_free(gz);
    tg_tensor_free(y);
    tg_tensor_free(z);
  }
  /* rank 3 logits (2,1,2) with labels (2,1); float32 */
  {
    const int64_t s212[] = {2, 1, 2}, s21[] = {2, 1};
    const double zv[] = {0, 0, 0, 1000}, yv[] = {0, 0};
    tg_tensor* z = make_tensor(TG_FLOAT32, s212, 3, zv);
    tg_tensor* y = make_tensor(TG_INT64, s21, 2, yv);
    tg_tensor* r = NULL;
    CHECK_OK(tg_sparse_softmax_cross_entropy_with_logits(y, z, &r));
    {
      const double want[] = {log(2.0), 1000};
      CHECK_TENSOR(r, TG_FLOAT32, s21, 2, want, 1e-6);
    }
    tg_tensor_free(r);
    tg_tensor_free(z);
    tg_tensor_free(y);
  }
}

static void test_errors(void) {
  const int64_t s32[] = {3, 2}, s25[] = {2, 5}, s3[] = {3}, s22[] = {2, 2}, s20[] = {2, 0};
  const double labels_v[] = {0, 1, 0, 0, 0, 1};
  const double out_of_range[] = {1, 7}, negative[] = {-1, 0};
  tg_tensor* y = make_tensor(TG_FLOAT32, s23, 2, labels_v);
  tg_tensor* z = make_tensor(TG_FLOAT32, s23, 2, logits_v);
  tg_tensor* z64 = make_tensor(TG_FLOAT64, s23, 2, logits_v);
  tg_tensor* zi = make_tensor(TG_INT32, s23, 2, logits_v);
  tg_tensor* yt = make_tensor(TG_FLOAT32, s32, 2, labels_v);
  tg_tensor* z25 = NULL;
  tg_tensor* z20 = NULL;
  tg_tensor* big = make_tensor(TG_INT64, s2, 1, out_of_range);
  tg_tensor* neg = make_tensor(TG_INT32, s2, 1, negative);
  tg_tensor* ok_labels = make_tensor(TG_INT64, s2, 1, labels_v);
  tg_tensor* labels3 = make_tensor(TG_INT64, s3, 1, labels_v);
  tg_tensor* labels22 = make_tensor(TG_INT64, s22, 2, labels_v);
  tg_tensor* float_labels = make_tensor(TG_FLOAT32, s2, 1, labels_v);
  tg_tensor* scalar = make_scalar(TG_FLOAT32, 1.0);
  tg_tensor* scalar_label = make_scalar(TG_INT64, 0.0);
  tg_tensor* freed = make_tensor(TG_FLOAT32, s23, 2, logits_v);
  tg_tensor* sentinel = (tg_tensor*)&sentinel;
  tg_tensor* r = sentinel;
  tg_tape* tape = NULL;
  CHECK_OK(tg_zeros(TG_FLOAT32, s25, 2, &z25));
  CHECK_OK(tg_zeros(TG_FLOAT32, s20, 2, &z20));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tensor_free(freed));

  /* dense: shapes, dtypes, axis */
  CHECK_ERR(tg_softmax_cross_entropy_with_logits(yt, z, -1, &r), TG_INVALID_ARGUMENT,
            "[tg_softmax_cross_entropy_with_logits]", "same shape", "(2,3)", "(3,2)");
  CHECK_ERR(tg_softmax_cross_entropy_with_logits(y, z64, -1, &r), TG_INVALID_ARGUMENT,
            "[tg_softmax_cross_entropy_with_logits]", "float32", "float64");
  CHECK_ERR(tg_softmax_cross_entropy_with_logits(zi, zi, -1, &r), TG_INVALID_ARGUMENT,
            "[tg_softmax_cross_entropy_with_logits]", "int32");
  CHECK_ERR(tg_softmax_cross_entropy_with_logits(y, z, 2, &r), TG_INVALID_ARGUMENT,
            "[tg_softmax_cross_entropy_with_logits]", "axis 2", "rank 2");
  CHECK_ERR(tg_softmax_cross_entropy_with_logits(scalar, scalar, -1, &r), TG_INVALID_ARGUMENT,
            "[tg_softmax_cross_entropy_with_logits]", "rank 0");

  /* sparse: label values, shapes, dtypes */
  CHECK_ERR(tg_sparse_softmax_cross_entropy_with_logits(big, z25, &r), TG_INVALID_ARGUMENT,
            "[tg_sparse_softmax_cross_entropy_with_logits]",
            "Received a label value of 7 which is outside the valid range of [0, 5).  Label values: 1 7");
  CHECK_ERR(tg_sparse_softmax_cross_entropy_with_logits(neg, z, &r), TG_INVALID_ARGUMENT,
            "[tg_sparse_softmax_cross_entropy_with_logits]", "label value of -1", "[0, 3)");
  CHECK_ERR(tg_sparse_softmax_cross_entropy_with_logits(labels3, z, &r), TG_INVALID_ARGUMENT,
            "[tg_sparse_softmax_cross_entropy_with_logits]", "Shape mismatch", "(3)", "(2,3)");
  CHECK_ERR(tg_sparse_softmax_cross_entropy_with_logits(labels22, z, &r), TG_INVALID_ARGUMENT,
            "[tg_sparse_softmax_cross_entropy_with_logits]", "Rank mismatch", "(2,2)", "(2,3)");
  CHECK_ERR(tg_sparse_softmax_cross_entropy_with_logits(float_labels, z, &r), TG_INVALID_ARGUMENT,
            "[tg_sparse_softmax_cross_entropy_with_logits]", "int32 or int64", "float32");
  CHECK_ERR(tg_sparse_softmax_cross_entropy_with_logits(ok_labels, zi, &r), TG_INVALID_ARGUMENT,
            "[tg_sparse_softmax_cross_entropy_with_logits]", "logits", "int32", "(2,3)");
  CHECK_ERR(tg_sparse_softmax_cross_entropy_with_logits(scalar_label, scalar, &r),
            TG_INVALID_ARGUMENT, "[tg_sparse_softmax_cross_entropy_with_logits]",
            "Logits cannot be scalars");
  CHECK_ERR(tg_sparse_softmax_cross_entropy_with_logits(ok_labels, z20, &r), TG_INVALID_ARGUMENT,
            "[tg_sparse_softmax_cross_entropy_with_logits]", "at least one class", "(2,0)");

  /* handles and out */
  CHECK_ERR(tg_softmax_cross_entropy_with_logits(NULL, z, -1, &r), TG_INVALID_HANDLE,
            "[tg_softmax_cross_entropy_with_logits]", "labels is NULL");
  CHECK_ERR(tg_softmax_cross_entropy_with_logits(y, freed, -1, &r), TG_INVALID_HANDLE,
            "[tg_softmax_cross_entropy_with_logits]", "logits is not a live");
  CHECK_ERR(tg_softmax_cross_entropy_with_logits(y, (const tg_tensor*)tape, -1, &r),
            TG_INVALID_HANDLE, "[tg_softmax_cross_entropy_with_logits]", "is a tg_tape");
  CHECK_ERR(tg_softmax_cross_entropy_with_logits(y, z, -1, NULL), TG_INVALID_ARGUMENT,
            "[tg_softmax_cross_entropy_with_logits]", "out");
  CHECK_ERR(tg_sparse_softmax_cross_entropy_with_logits(ok_labels, NULL, &r), TG_INVALID_HANDLE,
            "[tg_sparse_softmax_cross_entropy_with_logits]", "logits is NULL");
  CHECK_ERR(tg_sparse_softmax_cross_entropy_with_logits(freed, z, &r), TG_INVALID_HANDLE,
            "[tg_sparse_softmax_cross_entropy_with_logits]", "labels is not a live");
  CHECK_ERR(tg_sparse_softmax_cross_entropy_with_logits((const tg_tensor*)tape, z, &r),
            TG_INVALID_HANDLE, "[tg_sparse_softmax_cross_entropy_with_logits]", "is a tg_tape");
  CHECK_ERR(tg_sparse_softmax_cross_entropy_with_logits(ok_labels, z, NULL), TG_INVALID_ARGUMENT,
            "[tg_sparse_softmax_cross_entropy_with_logits]", "out");
  CHECK(r == sentinel);

  tg_tape_free(tape);
  tg_tensor_free(y);
  tg_tensor_free(z);
  tg_tensor_free(z64);
  tg_tensor_free(zi);
  tg_tensor_free(yt);
  tg_tensor_free(z25);
  tg_tensor_free(z20);
  tg_tensor_free(big);
  tg_tensor_free(neg);
  tg_tensor_free(ok_labels);
  tg_tensor_free(labels3);
  tg_tensor_free(labels22);
  tg_tensor_free(float_labels);
  tg_tensor_free(scalar);
  tg_tensor_free(scalar_label);
}

int main(void) {
  test_dense();
  test_sparse();
  test_errors();
  return check_summary();
}
