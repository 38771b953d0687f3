/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of the reductions (max, min, prod, logsumexp, variance), argmax / argmin and the
 * batched tg_matmul: values against hand-computed numbers, gradients through a tape, then bad
 * input (axes, dtypes, shapes, NULL / freed / wrong-type handles, NULL out).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static const int64_t s23[] = {2, 3};
static const double v23[] = {1, 5, 3, 4, 2, 6}; /* [[1,5,3],[4,2,6]] */

/* d sum(y) / d x for one watched x, where y = f(x) was computed inside the tape. */
typedef tg_status (*unary_reduction)(const tg_tensor*, const int64_t*, size_t, int, tg_tensor**);

static tg_tensor* reduction_gradient(unary_reduction f, tg_tensor* x, const int64_t* axes,
                                     size_t num_axes) {
  tg_tape* tape = NULL;
  tg_tensor *y = NULL, *g = NULL;
  const void* targets[1];
  const void* sources[1];
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(f(x, axes, num_axes, 0, &y));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = y;
  sources[0] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  tg_tensor_free(y);
  tg_tape_free(tape);
  return g;
}

static void test_max_min(void) {
  const int64_t axis1[] = {1}, axis0[] = {0}, last[] = {-1}, s2[] = {2}, s3[] = {3}, s21[] = {2, 1};
  tg_tensor* x = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* r = NULL;
  CHECK_OK(tg_reduce_max(x, axis1, 1, 0, &r));
  {
    const double want[] = {5, 6};
    CHECK_TENSOR(r, TG_FLOAT32, s2, 1, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_max(x, axis0, 1, 0, &r));
  {
    const double want[] = {4, 5, 6};
    CHECK_TENSOR(r, TG_FLOAT32, s3, 1, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_max(x, last, 1, 1, &r)); /* keepdims */
  {
    const double want[] = {5, 6};
    CHECK_TENSOR(r, TG_FLOAT32, s21, 2, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_max(x, NULL, 0, 0, &r)); /* every axis */
  {
    const double want[] = {6};
    CHECK_TENSOR(r, TG_FLOAT32, NULL, 0, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_min(x, axis1, 1, 0, &r));
  {
    const double want[] = {1, 2};
    CHECK_TENSOR(r, TG_FLOAT32, s2, 1, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_min(x, NULL, 0, 0, &r));
  CHECK(item_of(r) == 1);
  tg_tensor_free(r);

  /* integers keep their dtype */
  {
    const int64_t s22[] = {2, 2};
    const double vi[] = {3, -1, 0, 9};
    tg_tensor* xi = make_tensor(TG_INT32, s22, 2, vi);
    CHECK_OK(tg_reduce_max(xi, axis1, 1, 0, &r));
    {
      const double want[] = {3, 9};
      CHECK_TENSOR(r, TG_INT32, s2, 1, want, 0);
    }
    tg_tensor_free(r);
    CHECK_OK(tg_reduce_min(xi, axis0, 1, 0, &r));
    {
      const double want[] = {0, -1};
      CHECK_TENSOR(r, TG_INT32, s2, 1, want, 0);
    }
    tg_tensor_free(r);
    tg_tensor_free(xi);
  }

  /* an empty reduction gives -inf / +inf, as TensorFlow */
  {
    const int64_t s0[] = {0};
    tg_tensor* empty = make_tensor(TG_FLOAT64, s0, 1, NULL);
    CHECK_OK(tg_reduce_max(empty, NULL, 0, 0, &r));
    CHECK(isinf(item_of(r)) && item_of(r) < 0);
    tg_tensor_free(r);
    CHECK_OK(tg_reduce_min(empty, NULL, 0, 0, &r));
    CHECK(isinf(item_of(r)) && item_of(r) > 0);
    tg_tensor_free(r);
    tg_tensor_free(empty);
  }

  /* gradient: tied extrema share it equally (TensorFlow's _MaxGrad) */
  {
    const int64_t s33[] = {3, 3};
    const double tied[] = {1, 3, 3, 2, 2, 2, 0, 5, -1};
    tg_tensor* t = make_tensor(TG_FLOAT64, s33, 2, tied);
    tg_tensor* g = reduction_gradient(tg_reduce_max, t, axis1, 1);
    {
      const double want[] = {0, 0.5, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 1, 0};
      CHECK_TENSOR(g, TG_FLOAT64, s33, 2, want, 1e-15);
    }
    tg_tensor_free(g);
    g = reduction_gradient(tg_reduce_min, t, axis1, 1);
    {
      const double want[] = {1, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0, 1};
      CHECK_TENSOR(g, TG_FLOAT64, s33, 2, want, 1e-15);
    }
    tg_tensor_free(g);
    tg_tensor_free(t);
  }
  tg_tensor_free(x);
}

static void test_prod(void) {
  const int64_t axis1[] = {1}, axis0[] = {0}, s2[] = {2}, s3[] = {3};
  tg_tensor* x = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* r = NULL;
  CHECK_OK(tg_reduce_prod(x, axis1, 1, 0, &r));
  {
    const double want[] = {15, 48};
    CHECK_TENSOR(r, TG_FLOAT32, s2, 1, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_prod(x, axis0, 1, 0, &r));
  {
    const double want[] = {4, 10, 18};
    CHECK_TENSOR(r, TG_FLOAT32, s3, 1, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_prod(x, NULL, 0, 0, &r));
  CHECK(item_of(r) == 720);
  tg_tensor_free(r);
  {
    const int64_t s0[] = {0};
    tg_tensor* empty = make_tensor(TG_FLOAT32, s0, 1, NULL);
    CHECK_OK(tg_reduce_prod(empty, NULL, 0, 0, &r));
    CHECK(item_of(r) == 1);
    tg_tensor_free(r);
    tg_tensor_free(empty);
  }
  /* int32 products wrap around: 65536 · 65536 = 2^32 ≡ 0 */
  {
    const double big[] = {65536, 65536, 3};
    tg_tensor* xi = make_tensor(TG_INT32, s3, 1, big);
    CHECK_OK(tg_reduce_prod(xi, NULL, 0, 0, &r));
    {
      const double want[] = {0};
      CHECK_TENSOR(r, TG_INT32, NULL, 0, want, 0);
    }
    tg_tensor_free(r);
    tg_tensor_free(xi);
  }
  /* gradient = product of the others, exact at zeros: rows (2,0,3), (0,5,0), (1,2,4) */
  {
    const int64_t s33[] = {3, 3};
    const double vz[] = {2, 0, 3, 0, 5, 0, 1, 2, 4};
    tg_tensor* z = make_tensor(TG_FLOAT64, s33, 2, vz);
    tg_tensor* g = reduction_gradient(tg_reduce_prod, z, axis1, 1);
    {
      const double want[] = {0, 6, 0, 0, 0, 0, 8, 4, 2};
      CHECK_TENSOR(g, TG_FLOAT64, s33, 2, want, 0);
    }
    tg_tensor_free(g);
    tg_tensor_free(z);
  }
  tg_tensor_free(x);
}

static void test_logsumexp_variance(void) {
  const int64_t axis1[] = {1}, s2[] = {2};
  tg_tensor* x = make_tensor(TG_FLOAT64, s23, 2, v23);
  tg_tensor* r = NULL;
  CHECK_OK(tg_reduce_logsumexp(x, axis1, 1, 0, &r));
  {
    const double want[] = {log(exp(1.0) + exp(5.0) + exp(3.0)), log(exp(4.0) + exp(2.0) + exp(6.0))};
    CHECK_TENSOR(r, TG_FLOAT64, s2, 1, want, 1e-12);
  }
  tg_tensor_free(r);
  /* large inputs do not overflow: log(e^1000 + e^1000) = 1000 + log 2 */
  {
    const double big[] = {1000, 1000};
    const double neg_inf[] = {-INFINITY, -INFINITY};
    tg_tensor* b = make_tensor(TG_FLOAT32, s2, 1, big);
    tg_tensor* n = make_tensor(TG_FLOAT32, s2, 1, neg_inf);
    CHECK_OK(tg_reduce_logsumexp(b, NULL, 0, 0, &r));
    CHECK_NEAR(item_of(r), 1000 + log(2.0), 1e-3);
    tg_tensor_free(r);
    CHECK_OK(tg_reduce_logsumexp(n, NULL, 0, 0, &r)); /* all -inf: -inf, not NaN */
    CHECK(isinf(item_of(r)) && item_of(r) < 0);
    tg_tensor_free(r);
    tg_tensor_free(b);
    tg_tensor_free(n);
  }
  /* gradient = softmax over the reduced axis: row (0, log 3) → (1/4, 3/4) */
  {
    const int64_t s12[] = {1, 2};
    const double v[] = {0, 1.0986122886681098};
    tg_tensor* t = make_tensor(TG_FLOAT64, s12, 2, v);
    tg_tensor* g = reduction_gradient(tg_reduce_logsumexp, t, axis1, 1);
    {
      const double want[] = {0.25, 0.75};
      CHECK_TENSOR(g, TG_FLOAT64, s12, 2, want, 1e-15);
    }
    tg_tensor_free(g);
    tg_tensor_free(t);
  }
  /* population variance: rows have mean 3 and 4, deviations² (4,4,0) and (0,4,4) → 8/3;
   * over all: mean 3.5, Σ deviations² = 17.5, / 6 */
  CHECK_OK(tg_reduce_variance(x, axis1, 1, 0, &r));
  {
    const double want[] = {8.0 / 3, 8.0 / 3};
    CHECK_TENSOR(r, TG_FLOAT64, s2, 1, want, 1e-15);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_variance(x, NULL, 0, 1, &r));
  {
    const int64_t s11[] = {1, 1};
    const double want[] = {17.5 / 6};
    CHECK_TENSOR(r, TG_FLOAT64, s11, 2, want, 1e-15);
  }
  tg_tensor_free(r);
  /* gradient of the variance: 2(x − mean)/n = (2/3)·(−2, 2, 0) for row 0 */
  {
    tg_tensor* g = reduction_gradient(tg_reduce_variance, x, axis1, 1);
    const double want[] = {-4.0 / 3, 4.0 / 3, 0, 0, -4.0 / 3, 4.0 / 3};
    CHECK_TENSOR(g, TG_FLOAT64, s23, 2, want, 1e-15);
    tg_tensor_free(g);
  }
  tg_tensor_free(x);
}

static void test_argmax(void) {
  const int64_t s2[] = {2}, s3[] = {3};
  tg_tensor* x = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* r = NULL;
  CHECK_OK(tg_argmax(x, 1, &r));
  {
    const double want[] = {1, 2};
    CHECK_TENSOR(r, TG_INT64, s2, 1, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_argmax(x, 0, &r));
  {
    const double want[] = {1, 0, 1};
    CHECK_TENSOR(r, TG_INT64, s3, 1, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_argmin(x, -1, &r));
  {
    const double want[] = {0, 1};
    CHECK_TENSOR(r, TG_INT64, s2, 1, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_argmin(x, -2, &r));
  {
    const double want[] = {0, 1, 0};
    CHECK_TENSOR(r, TG_INT64, s3, 1, want, 0);
  }
  tg_tensor_free(r);
  /* ties go to the smallest index; integers work; a NaN wins */
  {
    const double tied[] = {2, 7, 7, 1};
    const int64_t s4[] = {4};
    tg_tensor* t = make_tensor(TG_INT32, s4, 1, tied);
    CHECK_OK(tg_argmax(t, 0, &r));
    {
      const double want[] = {1};
      CHECK_TENSOR(r, TG_INT64, NULL, 0, want, 0);
    }
    tg_tensor_free(r);
    CHECK_OK(tg_argmin(t, 0, &r));
    CHECK(item_of(r) == 3);
    tg_tensor_free(r);
    tg_tensor_free(t);
  }
  {
    const double with_nan[] = {2, NAN, 7};
    tg_tensor* t = make_tensor(TG_FLOAT64, s3, 1, with_nan);
    CHECK_OK(tg_argmax(t, 0, &r));
    CHECK(item_of(r) == 1);
    tg_tensor_free(r);
    CHECK_OK(tg_argmin(t, 0, &r));
    CHECK(item_of(r) == 1);
    tg_tensor_free(r);
    tg_tensor_free(t);
  }
  /* not differentiable: the gradient through it is NULL */
  {
    tg_tape* tape = NULL;
    tg_tensor *i = NULL, *f = NULL, *g = (tg_tensor*)&g;
    const void* targets[1];
    const void* sources[1];
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
    CHECK_OK(tg_tape_watch(tape, x));
    CHECK_OK(tg_argmax(x, 1, &i));
    CHECK_OK(tg_cast(i, TG_FLOAT32, &f));
    CHECK_OK(tg_tape_end(tape));
    targets[0] = f;
    sources[0] = x;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
    CHECK(g == NULL);
    tg_tensor_free(i);
    tg_tensor_free(f);
    tg_tape_free(tape);
  }
  tg_tensor_free(x);
}

static void test_batched_matmul(void) {
  /* a (2,1,2,2) = [[I], [2I]] (batch 2x1), b (3,2,2): b_j = [[j,0],[0,j+1]] for j = 1,2,3.
   * out (2,3,2,2): out[i][j] = a_i · b_j = (i+1)·b_j. */
  const int64_t sa[] = {2, 1, 2, 2}, sb[] = {3, 2, 2}, so[] = {2, 3, 2, 2};
  const double va[] = {1, 0, 0, 1, 2, 0, 0, 2};
  const double vb[] = {1, 0, 0, 2, 2, 0, 0, 3, 3, 0, 0, 4};
  int dt;
  for (dt = 0; dt < 2; ++dt) {
    const tg_dtype dtype = dt == 0 ? TG_FLOAT32 : TG_FLOAT64;
    tg_tensor* a = make_tensor(dtype, sa, 4, va);
    tg_tensor* b = make_tensor(dtype, sb, 3, vb);
    tg_tensor* r = NULL;
    CHECK_OK(tg_matmul(a, b, 0, 0, &r));
    {
      const double want[] = {1, 0, 0, 2, 2, 0, 0, 3, 3, 0, 0, 4,
                             2, 0, 0, 4, 4, 0, 0, 6, 6, 0, 0, 8};
      CHECK_TENSOR(r, dtype, so, 4, want, 0);
    }
    tg_tensor_free(r);
    tg_tensor_free(a);
    tg_tensor_free(b);
  }
  /* (2,2,3) · (3,2) with transposes: x_0 = [[1,2,3],[4,5,6]], x_1 = −x_0; w = [[1,0],[0,1],[1,1]].
   * x_0·w = [[4,5],[10,11]]. With transpose_b, pass wᵀ (2,3); with transpose_a, x's
   * matrices stored transposed (2,3,2). */
  {
    const int64_t sx[] = {2, 2, 3}, sxt[] = {2, 3, 2}, sw[] = {3, 2}, swt[] = {2, 3}, sr[] = {2, 2, 2};
    const double vx[] = {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6};
    const double vxt[] = {1, 4, 2, 5, 3, 6, -1, -4, -2, -5, -3, -6};
    const double vw[] = {1, 0, 0, 1, 1, 1};
    const double vwt[] = {1, 0, 1, 0, 1, 1};
    const double want[] = {4, 5, 10, 11, -4, -5, -10, -11};
    tg_tensor* xx = make_tensor(TG_FLOAT32, sx, 3, vx);
    tg_tensor* xt = make_tensor(TG_FLOAT32, sxt, 3, vxt);
    tg_tensor* w = make_tensor(TG_FLOAT32, sw, 2, vw);
    tg_tensor* wt = make_tensor(TG_FLOAT32, swt, 2, vwt);
    tg_tensor* r = NULL;
    CHECK_OK(tg_matmul(xx, w, 0, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, sr, 3, want, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_matmul(xx, wt, 0, 1, &r));
    CHECK_TENSOR(r, TG_FLOAT32, sr, 3, want, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_matmul(xt, w, 1, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, sr, 3, want, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_matmul(xt, wt, 1, 1, &r));
    CHECK_TENSOR(r, TG_FLOAT32, sr, 3, want, 0);
    tg_tensor_free(r);
    /* a matrix times a batch: wᵀ (2,3) · x_iᵀ (3,2) = (x_i·w)ᵀ */
    CHECK_OK(tg_matmul(wt, xt, 0, 0, &r));
    {
      const double want_t[] = {4, 10, 5, 11, -4, -10, -5, -11};
      CHECK_TENSOR(r, TG_FLOAT32, sr, 3, want_t, 0);
    }
    tg_tensor_free(r);

    /* gradients sum over the broadcast batch: d sum(x·w)/dw = Σ_i x_iᵀ·1 = 0 here (x_1 = −x_0),
     * and d/dx = 1·wᵀ for every batch entry: rows (1, 1, 2) */
    {
      tg_tape* tape = NULL;
      tg_tensor* grads[2] = {NULL, NULL};
      const void* targets[1];
      const void* sources[2];
      CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
      CHECK_OK(tg_tape_watch(tape, xx));
      CHECK_OK(tg_tape_watch(tape, w));
      CHECK_OK(tg_matmul(xx, w, 0, 0, &r));
      CHECK_OK(tg_tape_end(tape));
      targets[0] = r;
      sources[0] = xx;
      sources[1] = w;
      CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, grads));
      {
        const double want_x[] = {1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 2};
        const double want_w[] = {0, 0, 0, 0, 0, 0};
        CHECK_TENSOR(grads[0], TG_FLOAT32, sx, 3, want_x, 0);
        CHECK_TENSOR(grads[1], TG_FLOAT32, sw, 2, want_w, 0);
      }
      tg_tensor_free(grads[0]);
      tg_tensor_free(grads[1]);
      tg_tensor_free(r);
      tg_tape_free(tape);
    }
    tg_tensor_free(xx);
    tg_tensor_free(xt);
    tg_tensor_free(w);
    tg_tensor_free(wt);
  }
  /* batch dims that do not broadcast; inner dims that differ; a rank-1 operand */
  {
    const int64_t s234[] = {2, 3, 4}, s345[] = {3, 4, 5}, s243[] = {2, 4, 3}, s4[] = {4};
    tg_tensor* a = NULL;
    tg_tensor* r = (tg_tensor*)&r;
    CHECK_OK(tg_zeros(TG_FLOAT32, s234, 3, &a));
    {
      tg_tensor *b = NULL, *c = NULL, *v = NULL, *d = NULL;
      CHECK_OK(tg_zeros(TG_FLOAT32, s345, 3, &b));
      CHECK_OK(tg_zeros(TG_FLOAT32, s243, 3, &c));
      CHECK_OK(tg_zeros(TG_FLOAT32, s4, 1, &v));
      CHECK_OK(tg_zeros(TG_FLOAT64, s243, 3, &d));
      CHECK_ERR(tg_matmul(a, b, 0, 0, &r), TG_INVALID_ARGUMENT, "[tg_matmul]", "batch dimensions",
                "(2,3,4)", "(3,4,5)");
      CHECK_ERR(tg_matmul(a, c, 0, 1, &r), TG_INVALID_ARGUMENT, "[tg_matmul]",
                "inner dimensions differ", "(2,3,4)", "(2,4,3)^T");
      CHECK_ERR(tg_matmul(a, v, 0, 0, &r), TG_INVALID_ARGUMENT, "[tg_matmul]", "rank", "(4)");
      CHECK_ERR(tg_matmul(a, d, 0, 0, &r), TG_INVALID_ARGUMENT, "[tg_matmul]", "float32",
                "float64", "(2,4,3)");
      tg_tensor_free(b);
      tg_tensor_free(c);
      tg_tensor_free(v);
      tg_tensor_free(d);
    }
    CHECK(r == (tg_tensor*)&r);
    tg_tensor_free(a);
  }
}

static void test_errors(void) {
  const int64_t axis2[] = {2}, dup[] = {0, -2}, s03[] = {0, 3};
  tg_tensor* x = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* xi = make_tensor(TG_INT32, s23, 2, v23);
  tg_tensor* xb = make_tensor(TG_BOOL, s23, 2, v23);
  tg_tensor* empty = make_tensor(TG_FLOAT32, s03, 2, NULL);
  tg_tensor* freed = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* sentinel = (tg_tensor*)&sentinel;
  tg_tensor* r = sentinel;
  tg_tape* tape = NULL;
  const tg_tensor* tape_as_tensor;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  tape_as_tensor = (const tg_tensor*)tape;
  CHECK_OK(tg_tensor_free(freed));

  /* axes */
  CHECK_ERR(tg_reduce_max(x, axis2, 1, 0, &r), TG_INVALID_ARGUMENT, "[tg_reduce_max]",
            "reduce_max", "axis 2", "rank 2");
  CHECK_ERR(tg_reduce_min(x, dup, 2, 0, &r), TG_INVALID_ARGUMENT, "[tg_reduce_min]",
            "reduce_min", "duplicate axis");
  CHECK_ERR(tg_reduce_prod(x, NULL, 1, 0, &r), TG_INVALID_ARGUMENT, "[tg_reduce_prod]",
            "axes is NULL");
  CHECK_ERR(tg_reduce_variance(x, axis2, 1, 0, &r), TG_INVALID_ARGUMENT, "[tg_reduce_variance]",
            "axis 2");
  CHECK_ERR(tg_argmax(x, 2, &r), TG_INVALID_ARGUMENT, "[tg_argmax]", "argmax", "axis 2", "rank 2");
  CHECK_ERR(tg_argmin(x, -3, &r), TG_INVALID_ARGUMENT, "[tg_argmin]", "argmin", "axis -3");

  /* dtypes */
  CHECK_ERR(tg_reduce_max(xb, NULL, 0, 0, &r), TG_INVALID_ARGUMENT, "[tg_reduce_max]", "bool",
            "(2,3)");
  CHECK_ERR(tg_reduce_min(xb, NULL, 0, 0, &r), TG_INVALID_ARGUMENT, "[tg_reduce_min]", "bool");
  CHECK_ERR(tg_reduce_prod(xb, NULL, 0, 0, &r), TG_INVALID_ARGUMENT, "[tg_reduce_prod]", "bool");
  CHECK_ERR(tg_reduce_logsumexp(xi, NULL, 0, 0, &r), TG_INVALID_ARGUMENT,
            "[tg_reduce_logsumexp]", "reduce_logsumexp", "int32", "(2,3)");
  CHECK_ERR(tg_reduce_variance(xi, NULL, 0, 0, &r), TG_INVALID_ARGUMENT, "[tg_reduce_variance]",
            "reduce_variance", "int32");
  CHECK_ERR(tg_argmax(xb, 0, &r), TG_INVALID_ARGUMENT, "[tg_argmax]", "bool");
  CHECK_ERR(tg_argmin(xb, 0, &r), TG_INVALID_ARGUMENT, "[tg_argmin]", "bool");
  /* an empty arg-reduction axis */
  CHECK_ERR(tg_argmax(empty, 0, &r), TG_INVALID_ARGUMENT, "[tg_argmax]",
            "Reduction axis 0 is empty in shape (0,3)");
  CHECK_ERR(tg_argmin(empty, 0, &r), TG_INVALID_ARGUMENT, "[tg_argmin]", "is empty");

  /* NULL, freed and wrong-type handles */
  CHECK_ERR(tg_reduce_max(NULL, NULL, 0, 0, &r), TG_INVALID_HANDLE, "[tg_reduce_max]", "x is NULL");
  CHECK_ERR(tg_reduce_min(freed, NULL, 0, 0, &r), TG_INVALID_HANDLE, "[tg_reduce_min]", "not a live");
  CHECK_ERR(tg_reduce_prod(tape_as_tensor, NULL, 0, 0, &r), TG_INVALID_HANDLE, "[tg_reduce_prod]",
            "is a tg_tape, expected a tg_tensor");
  CHECK_ERR(tg_reduce_logsumexp(NULL, NULL, 0, 0, &r), TG_INVALID_HANDLE, "[tg_reduce_logsumexp]",
            "NULL");
  CHECK_ERR(tg_reduce_variance(freed, NULL, 0, 0, &r), TG_INVALID_HANDLE, "[tg_reduce_variance]",
            "not a live");
  CHECK_ERR(tg_argmax(NULL, 0, &r), TG_INVALID_HANDLE, "[tg_argmax]", "x is NULL");
  CHECK_ERR(tg_argmin(tape_as_tensor, 0, &r), TG_INVALID_HANDLE, "[tg_argmin]", "is a tg_tape");
  CHECK_ERR(tg_matmul(tape_as_tensor, x, 0, 0, &r), TG_INVALID_HANDLE, "[tg_matmul]", "is a tg_tape");

  /* NULL out */
  CHECK_ERR(tg_reduce_max(x, NULL, 0, 0, NULL), TG_INVALID_ARGUMENT, "[tg_reduce_max]", "out");
  CHECK_ERR(tg_reduce_min(x, NULL, 0, 0, NULL), TG_INVALID_ARGUMENT, "[tg_reduce_min]", "out");
  CHECK_ERR(tg_reduce_prod(x, NULL, 0, 0, NULL), TG_INVALID_ARGUMENT, "[tg_reduce_prod]", "out");
  CHECK_ERR(tg_reduce_logsumexp(x, NULL, 0, 0, NULL), TG_INVALID_ARGUMENT,
            "[tg_reduce_logsumexp]", "out");
  CHECK_ERR(tg_reduce_variance(x, NULL, 0, 0, NULL), TG_INVALID_ARGUMENT, "[tg_reduce_variance]",
            "out");
  CHECK_ERR(tg_argmax(x, 0, NULL), TG_INVALID_ARGUMENT, "[tg_argmax]", "out");
  CHECK_ERR(tg_argmin(x, 0, NULL), TG_INVALID_ARGUMENT, "[tg_argmin]", "out");
  CHECK(r == sentinel);

  tg_tape_free(tape);
  tg_tensor_free(x);
  tg_tensor_free(xi);
  tg_tensor_free(xb);
  tg_tensor_free(empty);
}

int main(void) {
  test_max_min();
  test_prod();
  test_logsumexp_variance();
  test_argmax();
  test_batched_matmul();
  test_errors();
  return check_summary();
}
