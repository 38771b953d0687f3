/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of tg_tape_jacobian and tg_tape_batch_jacobian (docs/gradient-tape.md): values,
 * shapes, unconnected sources, one use of a non-persistent tape, Hessians and third
 * derivatives through nested jacobians, TensorFlow's checks, and bad input.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

#define USED_MESSAGE \
  "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)"

/* APIDOC: x = [1, 2], y = x·x: [[2, 0], [0, 4]]; the one use of a non-persistent tape. */
static void test_jacobian_of_a_square(void) {
  const int64_t s2[] = {2}, s22[] = {2, 2};
  tg_tensor *x = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){1, 2})), *y = NULL;
  tg_tensor* j = NULL;
  tg_tape* tape = NULL;
  const void* sources[1];
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, x, &y));
  sources[0] = x;
  /* called while recording: stops the recording, as tg_tape_gradient does */
  CHECK_OK(tg_tape_jacobian(tape, y, sources, 1, TG_UNCONNECTED_NONE, &j));
  CHECK_TENSOR(j, TG_FLOAT32, s22, 2, ((const double[]){2, 0, 0, 4}), 0);
  tg_tensor_free(j);
  CHECK_ERR(tg_tape_end(tape), TG_INVALID_STATE, "[tg_tape_end]", "Tape is not recording.");
  j = (tg_tensor*)&j;
  CHECK_ERR(tg_tape_jacobian(tape, y, sources, 1, TG_UNCONNECTED_NONE, &j), TG_INVALID_STATE,
            "[tg_tape_jacobian]", USED_MESSAGE);
  {
    const void* targets[1];
    targets[0] = y;
    CHECK_ERR(tg_tape_gradient(tape, targets, 1, sources, 1, &j), TG_INVALID_STATE,
              "[tg_tape_gradient]", USED_MESSAGE);
  }
  CHECK_ERR(tg_tape_batch_jacobian(tape, y, x, TG_UNCONNECTED_NONE, &j), TG_INVALID_STATE,
            "[tg_tape_batch_jacobian]", USED_MESSAGE);
  CHECK(j == (tg_tensor*)&j);
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(x);
  tg_tensor_free(y);
}

/* y (2,2) = a (2,3)·b (3,2), only a watched: jacobians (2,2,2,3) for a, (2,2,3,2) for b (a
 * source that is an op input counts as connected), and an unused (4,) source. */
static void test_jacobian_shapes_and_unconnected(void) {
  const int64_t s23[] = {2, 3}, s32[] = {3, 2}, s4[] = {4};
  const int64_t ja_shape[] = {2, 2, 2, 3}, jb_shape[] = {2, 2, 3, 2}, ju_shape[] = {2, 2, 4};
  const double av[] = {1, 2, 3, 4, 5, 6}, bv[] = {1, -1, 2, 0.5, -3, 4};
  tg_tensor* a = make_tensor(TG_FLOAT64, s23, 2, av);
  tg_tensor* b = make_tensor(TG_FLOAT64, s32, 2, bv);
  tg_tensor* unused = make_tensor(TG_FLOAT32, s4, 1, ((const double[]){1, 2, 3, 4}));
  tg_tensor *y = NULL, *j[3] = {NULL, NULL, NULL};
  tg_tape* tape = NULL;
  const void* sources[3];
  double want_a[24], want_b[24], zeros[16];
  int i, k, m;
  memset(want_a, 0, sizeof want_a);
  memset(want_b, 0, sizeof want_b);
  memset(zeros, 0, sizeof zeros);
  for (i = 0; i < 2; ++i)
    for (k = 0; k < 2; ++k)
      for (m = 0; m < 3; ++m) {
        want_a[((i * 2 + k) * 2 + i) * 3 + m] = bv[m * 2 + k]; /* dy[i,k]/da[i,m] = b[m,k] */
        want_b[((i * 2 + k) * 3 + m) * 2 + k] = av[i * 3 + m]; /* dy[i,k]/db[m,k] = a[i,m] */
      }
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, a));
  CHECK_OK(tg_matmul(a, b, 0, 0, &y));
  CHECK_OK(tg_tape_end(tape));
  sources[0] = a;
  sources[1] = b;
  sources[2] = unused;
  CHECK_OK(tg_tape_jacobian(tape, y, sources, 3, TG_UNCONNECTED_NONE, j));
  CHECK_TENSOR(j[0], TG_FLOAT64, ja_shape, 4, want_a, 0);
  CHECK_TENSOR(j[1], TG_FLOAT64, jb_shape, 4, want_b, 0);
  CHECK(j[2] == NULL);
  tg_tensor_free(j[0]);
  tg_tensor_free(j[1]);
  CHECK_OK(tg_tape_jacobian(tape, y, sources, 3, TG_UNCONNECTED_ZERO, j));
  CHECK_TENSOR(j[2], TG_FLOAT32, ju_shape, 3, zeros, 0);
  tg_tensor_free(j[0]);
  tg_tensor_free(j[1]);
  tg_tensor_free(j[2]);
  /* no sources: nothing written, jacobians may be NULL */
  CHECK_OK(tg_tape_jacobian(tape, y, NULL, 0, TG_UNCONNECTED_NONE, NULL));

  /* bad input: nothing written, the persistent tape still usable */
  {
    tg_tensor* big = NULL;
    tg_tensor* freed = make_scalar(TG_FLOAT32, 1);
    const int64_t s5[] = {1, 1, 1, 1, 1};
    tg_tensor* sentinel = (tg_tensor*)&sentinel;
    tg_tensor* out[1];
    out[0] = sentinel;
    CHECK_OK(tg_tensor_free(freed));
    CHECK_ERR(tg_tape_jacobian(tape, NULL, sources, 1, TG_UNCONNECTED_NONE, out), TG_INVALID_HANDLE,
              "[tg_tape_jacobian]", "target is NULL");
    CHECK_ERR(tg_tape_jacobian(tape, freed, sources, 1, TG_UNCONNECTED_NONE, out),
              TG_INVALID_HANDLE, "[tg_tape_jacobian]", "target is not a live");
    CHECK_ERR(tg_tape_jacobian(tape, tape, sources, 1, TG_UNCONNECTED_NONE, out), TG_INVALID_HANDLE,
              "[tg_tape_jacobian]", "target is a tg_tape, expected a tg_tensor or tg_variable");
    CHECK_ERR(tg_tape_jacobian(tape, y, NULL, 1, TG_UNCONNECTED_NONE, out), TG_INVALID_ARGUMENT,
              "[tg_tape_jacobian]", "sources is NULL but its count is 1");
    CHECK_ERR(tg_tape_jacobian(tape, y, sources, 1, TG_UNCONNECTED_NONE, NULL), TG_INVALID_ARGUMENT,
              "[tg_tape_jacobian]", "jacobians (output array) is NULL");
    CHECK_ERR(tg_tape_jacobian(tape, y, sources, 1, (tg_unconnected_gradients)2, out),
              TG_INVALID_ARGUMENT, "[tg_tape_jacobian]",
              "Unknown value for unconnected_gradients: 2");
    CHECK_ERR(tg_tape_jacobian(NULL, y, sources, 1, TG_UNCONNECTED_NONE, out), TG_INVALID_HANDLE,
              "[tg_tape_jacobian]", "tape is NULL");
    CHECK_ERR(tg_tape_jacobian((tg_tape*)y, y, sources, 1, TG_UNCONNECTED_NONE, out),
              TG_INVALID_HANDLE, "[tg_tape_jacobian]", "is a tg_tensor, expected a tg_tape");
    big = make_tensor(TG_FLOAT32, s5, 5, ((const double[]){1}));
    sources[0] = big;
    CHECK_ERR(tg_tape_jacobian(tape, big, sources, 1, TG_UNCONNECTED_NONE, out),
              TG_INVALID_ARGUMENT, "[tg_tape_jacobian]",
              "target (1,1,1,1,1) and sources[0] (1,1,1,1,1) give a jacobian of rank 10, above "
              "the maximum rank 8");
    CHECK(out[0] == sentinel);
    tg_tensor_free(big);
    sources[0] = a;
    CHECK_OK(tg_tape_jacobian(tape, y, sources, 1, TG_UNCONNECTED_NONE, j));
    CHECK_TENSOR(j[0], TG_FLOAT64, ja_shape, 4, want_a, 0);
    tg_tensor_free(j[0]);
  }
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(a);
  tg_tensor_free(b);
  tg_tensor_free(unused);
  tg_tensor_free(y);
}

/* f(x) = Σ_i Σ_j x_i² x_j = (Σ x²)(Σ x) at x = [1, 2, 3] (Σx = 6, Σx² = 14):
 *   ∂f/∂x_k = 2 x_k Σx + Σx²                 = [26, 38, 50]
 *   ∂²f/∂x_k∂x_l = 2 δ_kl Σx + 2 x_k + 2 x_l = [[16, 6, 8], [6, 20, 10], [8, 10, 24]]
 *   ∂³f/∂x_k∂x_l∂x_m = 2 (δ_kl + δ_km + δ_lm). */
static tg_tensor* sum_sq_times_sum(const tg_tensor* x) {
  tg_tensor *sq = NULL, *s2 = NULL, *s1 = NULL, *f = NULL;
  CHECK_OK(tg_mul(x, x, &sq));
  CHECK_OK(tg_reduce_sum(sq, NULL, 0, 0, &s2));
  CHECK_OK(tg_reduce_sum(x, NULL, 0, 0, &s1));
  CHECK_OK(tg_mul(s2, s1, &f));
  tg_tensor_free(sq);
  tg_tensor_free(s2);
  tg_tensor_free(s1);
  return f;
}

static const double kGradient[3] = {26, 38, 50};
static const double kHessian[9] = {16, 6, 8, 6, 20, 10, 8, 10, 24};

static void test_hessian_and_third_derivative(void) {
  const int64_t s3[] = {3}, s33[] = {3, 3}, s333[] = {3, 3, 3};
  tg_tensor* x = make_tensor(TG_FLOAT64, s3, 1, ((const double[]){1, 2, 3}));
  tg_tensor *f = NULL, *g = NULL, *h = NULL, *t = NULL;
  tg_tape *t1 = NULL, *t2 = NULL, *t3 = NULL;
  const void* sources[1];
  double want[27];
  int k, l, m;
  for (k = 0; k < 3; ++k)
    for (l = 0; l < 3; ++l)
      for (m = 0; m < 3; ++m) want[(k * 3 + l) * 3 + m] = 2.0 * ((k == l) + (k == m) + (l == m));
  sources[0] = x;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &t1));
  CHECK_OK(tg_tape_watch(t1, x));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &t2));
  CHECK_OK(tg_tape_watch(t2, x));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &t3));
  CHECK_OK(tg_tape_watch(t3, x));
  f = sum_sq_times_sum(x);
  CHECK_OK(tg_tape_end(t3));
  CHECK_OK(tg_tape_jacobian(t3, f, sources, 1, TG_UNCONNECTED_NONE, &g)); /* recorded on t1, t2 */
  CHECK_OK(tg_tape_end(t2));
  CHECK_OK(tg_tape_jacobian(t2, g, sources, 1, TG_UNCONNECTED_NONE, &h)); /* recorded on t1 */
  CHECK_OK(tg_tape_end(t1));
  CHECK_OK(tg_tape_jacobian(t1, h, sources, 1, TG_UNCONNECTED_NONE, &t));
  CHECK_TENSOR(g, TG_FLOAT64, s3, 1, kGradient, 1e-12);
  CHECK_TENSOR(h, TG_FLOAT64, s33, 2, kHessian, 1e-12);
  CHECK_TENSOR(t, TG_FLOAT64, s333, 3, want, 1e-12);
  tg_tensor_free(g);
  tg_tensor_free(h);
  tg_tensor_free(t);
  tg_tensor_free(f);
  CHECK_OK(tg_tape_free(t3));
  CHECK_OK(tg_tape_free(t2));
  CHECK_OK(tg_tape_free(t1));

  /* ADV's recipe: the jacobian of a gradient taken inside the outer tape */
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &t1));
  CHECK_OK(tg_tape_watch(t1, x));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &t2));
  CHECK_OK(tg_tape_watch(t2, x));
  f = sum_sq_times_sum(x);
  {
    const void* targets[1];
    targets[0] = f;
    CHECK_OK(tg_tape_gradient(t2, targets, 1, sources, 1, &g));
  }
  CHECK_OK(tg_tape_end(t1));
  CHECK_OK(tg_tape_jacobian(t1, g, sources, 1, TG_UNCONNECTED_NONE, &h));
  CHECK_TENSOR(h, TG_FLOAT64, s33, 2, kHessian, 1e-12);
  tg_tensor_free(g);
  tg_tensor_free(h);
  tg_tensor_free(f);
  CHECK_OK(tg_tape_free(t2));
  CHECK_OK(tg_tape_free(t1));

  /* one persistent tape: its own jacobian inside its context, then the jacobian of that */
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &t1));
  CHECK_OK(tg_tape_watch(t1, x));
  f = sum_sq_times_sum(x);
  CHECK_OK(tg_tape_jacobian(t1, f, sources, 1, TG_UNCONNECTED_NONE, &g));
  CHECK_OK(tg_tape_end(t1));
  CHECK_OK(tg_tape_jacobian(t1, g, sources, 1, TG_UNCONNECTED_NONE, &h));
  CHECK_TENSOR(g, TG_FLOAT64, s3, 1, kGradient, 1e-12);
  CHECK_TENSOR(h, TG_FLOAT64, s33, 2, kHessian, 1e-12);
  tg_tensor_free(g);
  tg_tensor_free(h);
  tg_tensor_free(f);
  CHECK_OK(tg_tape_free(t1));
  tg_tensor_free(x);
}

/* APIDOC/BPT: x = [[1, 2], [3, 4]], y = x·x: [[[2, 0], [0, 4]], [[6, 0], [0, 8]]]. */
static void test_batch_jacobian(void) {
  const int64_t s22[] = {2, 2}, s222[] = {2, 2, 2}, s32[] = {3, 2}, s2[] = {2};
  tg_tensor* x = make_tensor(TG_FLOAT32, s22, 2, ((const double[]){1, 2, 3, 4}));
  tg_tensor *y = NULL, *j = NULL;
  tg_tape* tape = NULL;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, x, &y));
  CHECK_OK(tg_tape_end(tape));
  {
    /* TF's checks come first and leave the tape unused */
    tg_tensor* v = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){1, 2}));
    tg_tensor* n = make_tensor(TG_FLOAT32, s32, 2, ((const double[]){1, 2, 3, 4, 5, 6}));
    tg_tensor* sentinel = (tg_tensor*)&sentinel;
    j = sentinel;
    CHECK_ERR(tg_tape_batch_jacobian(tape, v, x, TG_UNCONNECTED_NONE, &j), TG_INVALID_ARGUMENT,
              "[tg_tape_batch_jacobian]", "target shape (2) must have rank at least 2");
    CHECK_ERR(tg_tape_batch_jacobian(tape, y, v, TG_UNCONNECTED_NONE, &j), TG_INVALID_ARGUMENT,
              "[tg_tape_batch_jacobian]", "source shape (2) must have rank at least 2");
    CHECK_ERR(tg_tape_batch_jacobian(tape, y, n, TG_UNCONNECTED_NONE, &j), TG_INVALID_ARGUMENT,
              "[tg_tape_batch_jacobian]",
              "Need first dimension of target shape (2,2) and source shape (3,2) to match.");
    CHECK_ERR(tg_tape_batch_jacobian(tape, y, x, (tg_unconnected_gradients)9, &j),
              TG_INVALID_ARGUMENT, "[tg_tape_batch_jacobian]",
              "Unknown value for unconnected_gradients: 9");
    CHECK_ERR(tg_tape_batch_jacobian(tape, y, x, TG_UNCONNECTED_NONE, NULL), TG_INVALID_ARGUMENT,
              "[tg_tape_batch_jacobian]", "out");
    CHECK_ERR(tg_tape_batch_jacobian(tape, NULL, x, TG_UNCONNECTED_NONE, &j), TG_INVALID_HANDLE,
              "[tg_tape_batch_jacobian]", "target is NULL");
    CHECK_ERR(tg_tape_batch_jacobian(tape, y, tape, TG_UNCONNECTED_NONE, &j), TG_INVALID_HANDLE,
              "[tg_tape_batch_jacobian]",
              "source is a tg_tape, expected a tg_tensor or tg_variable");
    CHECK_ERR(tg_tape_batch_jacobian(NULL, y, x, TG_UNCONNECTED_NONE, &j), TG_INVALID_HANDLE,
              "[tg_tape_batch_jacobian]", "tape is NULL");
    CHECK(j == sentinel);
    tg_tensor_free(v);
    tg_tensor_free(n);
  }
  CHECK_OK(tg_tape_batch_jacobian(tape, y, x, TG_UNCONNECTED_NONE, &j));
  CHECK_TENSOR(j, TG_FLOAT32, s222, 3, ((const double[]){2, 0, 0, 4, 6, 0, 0, 8}), 0);
  tg_tensor_free(j);
  CHECK_OK(tg_tape_free(tape));

  /* unconnected: zeros even with TG_UNCONNECTED_NONE, in the target's dtype (TF) */
  {
    const int64_t s23[] = {2, 3}, s223[] = {2, 2, 3};
    const double zeros[12] = {0};
    tg_tensor* t64 = make_tensor(TG_FLOAT64, s22, 2, ((const double[]){1, 2, 3, 4}));
    tg_tensor* src = make_tensor(TG_FLOAT32, s23, 2, ((const double[]){1, 2, 3, 4, 5, 6}));
    CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
    CHECK_OK(tg_tape_watch(tape, t64));
    CHECK_OK(tg_tape_watch(tape, src));
    CHECK_OK(tg_tape_end(tape));
    CHECK_OK(tg_tape_batch_jacobian(tape, t64, src, TG_UNCONNECTED_NONE, &j));
    CHECK_TENSOR(j, TG_FLOAT64, s223, 3, zeros, 0);
    tg_tensor_free(j);
    CHECK_OK(tg_tape_batch_jacobian(tape, t64, src, TG_UNCONNECTED_ZERO, &j));
    CHECK_TENSOR(j, TG_FLOAT32, s223, 3, zeros, 0);
    tg_tensor_free(j);
    CHECK_OK(tg_tape_free(tape));
    tg_tensor_free(t64);
    tg_tensor_free(src);
  }
  /* per-example Jacobian of a layer: y (2,3) = x (2,2)·w (2,3) gives wᵀ for each example */
  {
    const int64_t s23[] = {2, 3}, s232[] = {2, 3, 2};
    tg_tensor* w = make_tensor(TG_FLOAT32, s23, 2, ((const double[]){1, 2, 3, 4, 5, 6}));
    tg_tensor* xw = NULL;
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
    CHECK_OK(tg_tape_watch(tape, x));
    CHECK_OK(tg_matmul(x, w, 0, 0, &xw));
    CHECK_OK(tg_tape_end(tape));
    CHECK_OK(tg_tape_batch_jacobian(tape, xw, x, TG_UNCONNECTED_NONE, &j));
    CHECK_TENSOR(j, TG_FLOAT32, s232, 3, ((const double[]){1, 4, 2, 5, 3, 6, 1, 4, 2, 5, 3, 6}), 0);
    tg_tensor_free(j);
    CHECK_OK(tg_tape_free(tape));
    tg_tensor_free(w);
    tg_tensor_free(xw);
  }
  tg_tensor_free(x);
  tg_tensor_free(y);
}

int main(void) {
  test_jacobian_of_a_square();
  test_jacobian_shapes_and_unconnected();
  test_hessian_and_third_derivative();
  test_batch_jacobian();
  return check_summary();
}
