/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of the binary math, comparison, logic and selection ops (tg_pow … tg_clip_by_value):
 * values against hand-computed numbers with broadcasting, NaN and integer behaviour,
 * gradients through a tape (TF's testWhereGradient, ties of maximum / minimum, pow's x > 0
 * guard, clip_by_value's masks), NULL gradients through comparisons, and bad input (dtypes,
 * shapes that do not broadcast, non-bool conditions, handles, NULL out).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

typedef tg_status (*binary_fn)(const tg_tensor*, const tg_tensor*, tg_tensor**);

static const int64_t s23[] = {2, 3};
static const int64_t s3[] = {3};
static const int64_t s21[] = {2, 1};
static const int64_t s13[] = {1, 3};

/* ---- math ---- */

static void test_pow(void) {
  int dt;
  for (dt = 0; dt < 2; ++dt) {
    const tg_dtype dtype = dt == 0 ? TG_FLOAT32 : TG_FLOAT64;
    const double tol = dt == 0 ? 1e-6 : 1e-15;
    tg_tensor* x = make_tensor(dtype, s3, 1, ((const double[]){2, 3, 4}));
    tg_tensor* y = make_tensor(dtype, s3, 1, ((const double[]){3, 0.5, -1}));
    tg_tensor* m = make_tensor(dtype, s23, 2, ((const double[]){1, 2, 3, 4, 5, 6}));
    tg_tensor* e = make_tensor(dtype, s3, 1, ((const double[]){2, 1, 0}));
    tg_tensor* two = make_scalar(dtype, 2);
    tg_tensor* r = NULL;
    CHECK_OK(tg_pow(x, y, &r));
    CHECK_TENSOR(r, dtype, s3, 1, ((const double[]){8, 1.7320508075688772, 0.25}), tol);
    tg_tensor_free(r);
    /* (2,3) ^ (3,): the exponent row applies to both rows */
    CHECK_OK(tg_pow(m, e, &r));
    CHECK_TENSOR(r, dtype, s23, 2, ((const double[]){1, 2, 1, 16, 5, 1}), 0);
    tg_tensor_free(r);
    /* scalar base ^ (3,) */
    CHECK_OK(tg_pow(two, y, &r));
    CHECK_TENSOR(r, dtype, s3, 1, ((const double[]){8, 1.4142135623730951, 0.5}), tol);
    tg_tensor_free(r);
    tg_tensor_free(x);
    tg_tensor_free(y);
    tg_tensor_free(m);
    tg_tensor_free(e);
    tg_tensor_free(two);
  }
  /* 0^0 = 1; a negative base to a fractional power is NaN */
  {
    tg_tensor* x = make_tensor(TG_FLOAT64, s3, 1, ((const double[]){0, -8, -2}));
    tg_tensor* y = make_tensor(TG_FLOAT64, s3, 1, ((const double[]){0, 0.5, 3}));
    tg_tensor* r = NULL;
    CHECK_OK(tg_pow(x, y, &r));
    CHECK(element(r, 0) == 1 && isnan(element(r, 1)) && element(r, 2) == -8);
    tg_tensor_free(r);
    tg_tensor_free(x);
    tg_tensor_free(y);
  }
  /* integers: exact, wrapping on overflow (3^21 mod 2^32 = 1870418611) */
  {
    const int64_t s4[] = {4};
    tg_tensor* x = make_tensor(TG_INT32, s4, 1, ((const double[]){2, 3, -2, 3}));
    tg_tensor* y = make_tensor(TG_INT32, s4, 1, ((const double[]){10, 3, 3, 21}));
    tg_tensor* r = NULL;
    CHECK_OK(tg_pow(x, y, &r));
    CHECK_TENSOR(r, TG_INT32, s4, 1, ((const double[]){1024, 27, -8, 1870418611}), 0);
    tg_tensor_free(r);
    tg_tensor_free(x);
    tg_tensor_free(y);
  }
}

static void test_maximum_minimum(void) {
  int dt;
  for (dt = 0; dt < 3; ++dt) {
    const tg_dtype dtype = dt == 0 ? TG_FLOAT32 : dt == 1 ? TG_FLOAT64 : TG_INT64;
    /* (2,1) with (1,3): [[1],[4]] against [[0,2,5]] */
    tg_tensor* a = make_tensor(dtype, s21, 2, ((const double[]){1, 4}));
    tg_tensor* b = make_tensor(dtype, s13, 2, ((const double[]){0, 2, 5}));
    tg_tensor* r = NULL;
    CHECK_OK(tg_maximum(a, b, &r));
    CHECK_TENSOR(r, dtype, s23, 2, ((const double[]){1, 2, 5, 4, 4, 5}), 0);
    tg_tensor_free(r);
    CHECK_OK(tg_minimum(a, b, &r));
    CHECK_TENSOR(r, dtype, s23, 2, ((const double[]){0, 1, 1, 0, 2, 4}), 0);
    tg_tensor_free(r);
    tg_tensor_free(a);
    tg_tensor_free(b);
  }
  /* NaN on either side propagates */
  {
    tg_tensor* a = make_tensor(TG_FLOAT32, s3, 1, ((const double[]){NAN, 1, 2}));
    tg_tensor* b = make_tensor(TG_FLOAT32, s3, 1, ((const double[]){0, NAN, 3}));
    tg_tensor* r = NULL;
    CHECK_OK(tg_maximum(a, b, &r));
    CHECK(isnan(element(r, 0)) && isnan(element(r, 1)) && element(r, 2) == 3);
    tg_tensor_free(r);
    CHECK_OK(tg_minimum(a, b, &r));
    CHECK(isnan(element(r, 0)) && isnan(element(r, 1)) && element(r, 2) == 2);
    tg_tensor_free(r);
    tg_tensor_free(a);
    tg_tensor_free(b);
  }
}

static void test_squared_difference(void) {
  tg_tensor* x = make_tensor(TG_FLOAT64, s23, 2, ((const double[]){1, 2, 3, 4, 5, 6}));
  tg_tensor* y = make_scalar(TG_FLOAT64, 2.5);
  tg_tensor* i = make_tensor(TG_INT32, s3, 1, ((const double[]){-2147483648.0, 7, 0}));
  tg_tensor* j = make_tensor(TG_INT32, s3, 1, ((const double[]){0, 10, 65536}));
  tg_tensor* r = NULL;
  CHECK_OK(tg_squared_difference(x, y, &r));
  CHECK_TENSOR(r, TG_FLOAT64, s23, 2, ((const double[]){2.25, 0.25, 0.25, 2.25, 6.25, 12.25}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_squared_difference(y, x, &r)); /* symmetric */
  CHECK_TENSOR(r, TG_FLOAT64, s23, 2, ((const double[]){2.25, 0.25, 0.25, 2.25, 6.25, 12.25}), 0);
  tg_tensor_free(r);
  /* integers wrap: (-2^31)² and 65536² are 0 mod 2^32 */
  CHECK_OK(tg_squared_difference(i, j, &r));
  CHECK_TENSOR(r, TG_INT32, s3, 1, ((const double[]){0, 9, 0}), 0);
  tg_tensor_free(r);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_tensor_free(i);
  tg_tensor_free(j);
}

/* ---- comparisons and logic ---- */

static void test_comparisons(void) {
  /* (2,3) against (3,): [[1,2,3],[4,5,6]] vs [2,5,3] */
  const double eq[] = {0, 0, 1, 0, 1, 0};
  const double ne[] = {1, 1, 0, 1, 0, 1};
  const double lt[] = {1, 1, 0, 0, 0, 0};
  const double le[] = {1, 1, 1, 0, 1, 0};
  const double gt[] = {0, 0, 0, 1, 0, 1};
  const double ge[] = {0, 0, 1, 1, 1, 1};
  const binary_fn fns[] = {tg_equal, tg_not_equal, tg_less, tg_less_equal, tg_greater,
                           tg_greater_equal};
  const double* wants[] = {eq, ne, lt, le, gt, ge};
  int dt, k;
  for (dt = 0; dt < 4; ++dt) {
    const tg_dtype dtype = (tg_dtype)dt; /* float32, float64, int32, int64 */
    tg_tensor* a = make_tensor(dtype, s23, 2, ((const double[]){1, 2, 3, 4, 5, 6}));
    tg_tensor* b = make_tensor(dtype, s3, 1, ((const double[]){2, 5, 3}));
    for (k = 0; k < 6; ++k) {
      tg_tensor* r = NULL;
      CHECK_OK(fns[k](a, b, &r));
      CHECK_TENSOR(r, TG_BOOL, s23, 2, wants[k], 0);
      tg_tensor_free(r);
    }
    tg_tensor_free(a);
    tg_tensor_free(b);
  }
  /* NaN is unequal to everything, itself included */
  {
    tg_tensor* n = make_tensor(TG_FLOAT64, s3, 1, ((const double[]){NAN, 1, NAN}));
    tg_tensor* m = make_tensor(TG_FLOAT64, s3, 1, ((const double[]){NAN, 1, 0}));
    tg_tensor* r = NULL;
    CHECK_OK(tg_equal(n, m, &r));
    CHECK_TENSOR(r, TG_BOOL, s3, 1, ((const double[]){0, 1, 0}), 0);
    tg_tensor_free(r);
    CHECK_OK(tg_not_equal(n, m, &r));
    CHECK_TENSOR(r, TG_BOOL, s3, 1, ((const double[]){1, 0, 1}), 0);
    tg_tensor_free(r);
    CHECK_OK(tg_greater_equal(n, m, &r));
    CHECK_TENSOR(r, TG_BOOL, s3, 1, ((const double[]){0, 1, 0}), 0);
    tg_tensor_free(r);
    tg_tensor_free(n);
    tg_tensor_free(m);
  }
  /* equal on bools; a byte of 2 counts as true */
  {
    const unsigned char bytes[] = {2, 0, 1};
    tg_tensor* p = NULL;
    tg_tensor* q = make_tensor(TG_BOOL, s3, 1, ((const double[]){1, 0, 0}));
    tg_tensor* r = NULL;
    CHECK_OK(tg_tensor_create(TG_BOOL, s3, 1, bytes, &p));
    CHECK_OK(tg_equal(p, q, &r));
    CHECK_TENSOR(r, TG_BOOL, s3, 1, ((const double[]){1, 1, 0}), 0);
    tg_tensor_free(r);
    CHECK_OK(tg_logical_and(p, q, &r));
    CHECK_TENSOR(r, TG_BOOL, s3, 1, ((const double[]){1, 0, 0}), 0);
    tg_tensor_free(r);
    CHECK_OK(tg_logical_not(p, &r));
    CHECK_TENSOR(r, TG_BOOL, s3, 1, ((const double[]){0, 1, 0}), 0);
    tg_tensor_free(r);
    tg_tensor_free(p);
    tg_tensor_free(q);
  }
}

static void test_logic(void) {
  /* (2,1) with (1,3) */
  tg_tensor* a = make_tensor(TG_BOOL, s21, 2, ((const double[]){1, 0}));
  tg_tensor* b = make_tensor(TG_BOOL, s13, 2, ((const double[]){1, 0, 1}));
  tg_tensor* r = NULL;
  CHECK_OK(tg_logical_and(a, b, &r));
  CHECK_TENSOR(r, TG_BOOL, s23, 2, ((const double[]){1, 0, 1, 0, 0, 0}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_logical_or(a, b, &r));
  CHECK_TENSOR(r, TG_BOOL, s23, 2, ((const double[]){1, 1, 1, 1, 0, 1}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_logical_not(b, &r));
  CHECK_TENSOR(r, TG_BOOL, s13, 2, ((const double[]){0, 1, 0}), 0);
  tg_tensor_free(r);
  tg_tensor_free(a);
  tg_tensor_free(b);
}

/* ---- selection ---- */

static void test_where(void) {
  int dt;
  for (dt = 0; dt < 5; ++dt) {
    const tg_dtype dtype = (tg_dtype)dt; /* every dtype, bool included */
    /* condition (2,1) [[1],[0]], x (3,) [1,0,3], y () 1 → [[1,0,3],[1,1,1]] */
    tg_tensor* c = make_tensor(TG_BOOL, s21, 2, ((const double[]){1, 0}));
    tg_tensor* x = make_tensor(dtype, s3, 1, ((const double[]){1, 0, 3}));
    tg_tensor* y = make_scalar(dtype, 1);
    tg_tensor* r = NULL;
    CHECK_OK(tg_where(c, x, y, &r));
    if (dtype == TG_BOOL)
      CHECK_TENSOR(r, TG_BOOL, s23, 2, ((const double[]){1, 0, 1, 1, 1, 1}), 0);
    else
      CHECK_TENSOR(r, dtype, s23, 2, ((const double[]){1, 0, 3, 1, 1, 1}), 0);
    tg_tensor_free(r);
    tg_tensor_free(c);
    tg_tensor_free(x);
    tg_tensor_free(y);
  }
  /* same shapes; a scalar condition picks a whole tensor */
  {
    tg_tensor* c = make_tensor(TG_BOOL, s23, 2, ((const double[]){1, 0, 0, 1, 1, 0}));
    tg_tensor* x = make_tensor(TG_FLOAT32, s23, 2, ((const double[]){1, 2, 3, 4, 5, 6}));
    tg_tensor* y = make_tensor(TG_FLOAT32, s23, 2, ((const double[]){-1, -2, -3, -4, -5, -6}));
    tg_tensor* t = make_scalar(TG_BOOL, 0);
    tg_tensor* r = NULL;
    CHECK_OK(tg_where(c, x, y, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s23, 2, ((const double[]){1, -2, -3, 4, 5, -6}), 0);
    tg_tensor_free(r);
    CHECK_OK(tg_where(t, x, y, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s23, 2, ((const double[]){-1, -2, -3, -4, -5, -6}), 0);
    tg_tensor_free(r);
    tg_tensor_free(c);
    tg_tensor_free(x);
    tg_tensor_free(y);
    tg_tensor_free(t);
  }
  /* rank 3, every input broadcast along some axis: condition (2,1,1), x (1,2,1), y (1,1,3) */
  {
    const int64_t sc[] = {2, 1, 1}, sx[] = {1, 2, 1}, sy[] = {1, 1, 3}, so[] = {2, 2, 3};
    tg_tensor* c = make_tensor(TG_BOOL, sc, 3, ((const double[]){0, 1}));
    tg_tensor* x = make_tensor(TG_INT32, sx, 3, ((const double[]){10, 20}));
    tg_tensor* y = make_tensor(TG_INT32, sy, 3, ((const double[]){1, 2, 3}));
    tg_tensor* r = NULL;
    CHECK_OK(tg_where(c, x, y, &r));
    CHECK_TENSOR(r, TG_INT32, so, 3, ((const double[]){1, 2, 3, 1, 2, 3, 10, 10, 10, 20, 20, 20}),
                 0);
    tg_tensor_free(r);
    tg_tensor_free(c);
    tg_tensor_free(x);
    tg_tensor_free(y);
  }
}

static void test_clip_by_value(void) {
  int dt;
  for (dt = 0; dt < 4; ++dt) {
    const tg_dtype dtype = (tg_dtype)dt;
    tg_tensor* t = make_tensor(dtype, s23, 2, ((const double[]){-3, 0, 4, 1, 2, 7}));
    tg_tensor* lo = make_scalar(dtype, 0);
    tg_tensor* hi = make_scalar(dtype, 2);
    tg_tensor* lo_row = make_tensor(dtype, s3, 1, ((const double[]){-5, 1, 5}));
    tg_tensor* hi_col = make_tensor(dtype, s21, 2, ((const double[]){3, 6}));
    tg_tensor* r = NULL;
    CHECK_OK(tg_clip_by_value(t, lo, hi, &r));
    CHECK_TENSOR(r, dtype, s23, 2, ((const double[]){0, 0, 2, 1, 2, 2}), 0);
    tg_tensor_free(r);
    /* bounds of shapes (3,) and (2,1) broadcast to t's (2,3) */
    CHECK_OK(tg_clip_by_value(t, lo_row, hi_col, &r));
    CHECK_TENSOR(r, dtype, s23, 2, ((const double[]){-3, 1, 5, 1, 2, 6}), 0);
    tg_tensor_free(r);
    tg_tensor_free(t);
    tg_tensor_free(lo);
    tg_tensor_free(hi);
    tg_tensor_free(lo_row);
    tg_tensor_free(hi_col);
  }
  /* NaN stays NaN */
  {
    tg_tensor* t = make_tensor(TG_FLOAT32, s3, 1, ((const double[]){NAN, -1, 1}));
    tg_tensor* lo = make_scalar(TG_FLOAT32, 0);
    tg_tensor* hi = make_scalar(TG_FLOAT32, 0.5);
    tg_tensor* r = NULL;
    CHECK_OK(tg_clip_by_value(t, lo, hi, &r));
    CHECK(isnan(element(r, 0)) && element(r, 1) == 0 && element(r, 2) == 0.5);
    tg_tensor_free(r);
    tg_tensor_free(t);
    tg_tensor_free(lo);
    tg_tensor_free(hi);
  }
}

/* ---- gradients ---- */

/* Gradients of sum(f(x, y)) with respect to x and y (either may come back NULL). */
static void gradients_of(binary_fn f, const tg_tensor* x, const tg_tensor* y, tg_tensor** gx,
                         tg_tensor** gy) {
  tg_tape* tape = NULL;
  tg_tensor* z = NULL;
  tg_tensor* g[2] = {NULL, NULL};
  const void* targets[1];
  const void* sources[2];
  *gx = *gy = NULL;
  if (!CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape))) return;
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_tape_watch(tape, y));
  CHECK_OK(f(x, y, &z));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = z;
  sources[0] = x;
  sources[1] = y;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, g));
  *gx = g[0];
  *gy = g[1];
  tg_tensor_free(z);
  tg_tape_free(tape);
}

static void test_binary_gradients(void) {
  tg_tensor *gx = NULL, *gy = NULL;
  /* maximum / minimum: the gradient goes to the selected input; ties go to x */
  {
    tg_tensor* x = make_tensor(TG_FLOAT32, s3, 1, ((const double[]){1, 2, 3}));
    tg_tensor* y = make_tensor(TG_FLOAT32, s3, 1, ((const double[]){2, 2, 2}));
    tg_tensor* two = make_scalar(TG_FLOAT32, 2);
    gradients_of(tg_maximum, x, y, &gx, &gy);
    CHECK_TENSOR(gx, TG_FLOAT32, s3, 1, ((const double[]){0, 1, 1}), 0);
    CHECK_TENSOR(gy, TG_FLOAT32, s3, 1, ((const double[]){1, 0, 0}), 0);
    tg_tensor_free(gx);
    tg_tensor_free(gy);
    gradients_of(tg_minimum, x, y, &gx, &gy);
    CHECK_TENSOR(gx, TG_FLOAT32, s3, 1, ((const double[]){1, 1, 0}), 0);
    CHECK_TENSOR(gy, TG_FLOAT32, s3, 1, ((const double[]){0, 0, 1}), 0);
    tg_tensor_free(gx);
    tg_tensor_free(gy);
    /* a broadcast scalar y collects the gradient of every element it wins */
    gradients_of(tg_maximum, x, two, &gx, &gy);
    CHECK_TENSOR(gx, TG_FLOAT32, s3, 1, ((const double[]){0, 1, 1}), 0);
    CHECK_TENSOR(gy, TG_FLOAT32, NULL, 0, ((const double[]){1}), 0);
    tg_tensor_free(gx);
    tg_tensor_free(gy);
    tg_tensor_free(x);
    tg_tensor_free(y);
    tg_tensor_free(two);
  }
  /* pow: d/dx = y·x^(y-1); d/dy = x^y·log(x) only where x > 0 (TF's guard), so x = -2 and
   * x = 0 add nothing: d/dy = 2³·ln 2 = 5.545177444479562 */
  {
    tg_tensor* x = make_tensor(TG_FLOAT64, s3, 1, ((const double[]){2, -2, 0}));
    tg_tensor* y = make_scalar(TG_FLOAT64, 3);
    gradients_of(tg_pow, x, y, &gx, &gy);
    CHECK_TENSOR(gx, TG_FLOAT64, s3, 1, ((const double[]){12, 12, 0}), 0);
    CHECK_TENSOR(gy, TG_FLOAT64, NULL, 0, ((const double[]){5.545177444479562}), 1e-14);
    tg_tensor_free(gx);
    tg_tensor_free(gy);
    tg_tensor_free(x);
    tg_tensor_free(y);
  }
  /* squared_difference: 2(x - y) and -2(x - y), y summed over the broadcast */
  {
    const int64_t s2[] = {2};
    tg_tensor* x = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){1, 2}));
    tg_tensor* y = make_scalar(TG_FLOAT32, 3);
    gradients_of(tg_squared_difference, x, y, &gx, &gy);
    CHECK_TENSOR(gx, TG_FLOAT32, s2, 1, ((const double[]){-4, -2}), 0);
    CHECK_TENSOR(gy, TG_FLOAT32, NULL, 0, ((const double[]){6}), 0);
    tg_tensor_free(gx);
    tg_tensor_free(gy);
    tg_tensor_free(x);
    tg_tensor_free(y);
  }
  /* comparisons are not differentiable: NULL gradients, also after a cast back to float */
  {
    const binary_fn cmp[] = {tg_equal, tg_not_equal, tg_less, tg_less_equal, tg_greater,
                             tg_greater_equal};
    tg_tensor* x = make_tensor(TG_FLOAT32, s3, 1, ((const double[]){1, 2, 3}));
    tg_tensor* y = make_scalar(TG_FLOAT32, 2);
    int k;
    for (k = 0; k < 6; ++k) {
      gradients_of(cmp[k], x, y, &gx, &gy);
      CHECK(gx == NULL && gy == NULL);
      tg_tensor_free(gx);
      tg_tensor_free(gy);
    }
    {
      tg_tape* tape = NULL;
      tg_tensor *b = NULL, *f = NULL, *g = NULL;
      const void* targets[1];
      const void* sources[1];
      CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
      CHECK_OK(tg_tape_watch(tape, x));
      CHECK_OK(tg_greater(x, y, &b));
      CHECK_OK(tg_cast(b, TG_FLOAT32, &f));
      CHECK_OK(tg_tape_end(tape));
      targets[0] = f;
      sources[0] = x;
      CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
      CHECK(g == NULL);
      tg_tensor_free(b);
      tg_tensor_free(f);
      tg_tape_free(tape);
    }
    tg_tensor_free(x);
    tg_tensor_free(y);
  }
}

/* TF's testWhereGradient: y = where(x < 10, x, x·x) at [5, 50] has gradient [1, 100], and
 * the condition gets none. */
static void test_where_gradient(void) {
  int dt;
  for (dt = 0; dt < 2; ++dt) {
    const tg_dtype dtype = dt == 0 ? TG_FLOAT32 : TG_FLOAT64;
    const int64_t s2[] = {2};
    tg_tensor* x = make_tensor(dtype, s2, 1, ((const double[]){5, 50}));
    tg_tensor* ten = make_scalar(dtype, 10);
    tg_tensor *c = NULL, *sq = NULL, *y = NULL;
    tg_tensor* g[2] = {NULL, NULL};
    tg_tape* tape = NULL;
    const void* targets[1];
    const void* sources[2];
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
    CHECK_OK(tg_tape_watch(tape, x));
    CHECK_OK(tg_less(x, ten, &c));
    CHECK_OK(tg_tape_watch(tape, c));
    CHECK_OK(tg_mul(x, x, &sq));
    CHECK_OK(tg_where(c, x, sq, &y));
    CHECK_OK(tg_tape_end(tape));
    CHECK_TENSOR(y, dtype, s2, 1, ((const double[]){5, 2500}), 0);
    targets[0] = y;
    sources[0] = x;
    sources[1] = c;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, g));
    CHECK_TENSOR(g[0], dtype, s2, 1, ((const double[]){1, 100}), 0);
    CHECK(g[1] == NULL);
    tg_tensor_free(g[0]);
    tg_tensor_free(g[1]);
    tg_tensor_free(x);
    tg_tensor_free(ten);
    tg_tensor_free(c);
    tg_tensor_free(sq);
    tg_tensor_free(y);
    tg_tape_free(tape);
  }
  /* broadcasting: condition (2,1), x (3,), y () — x gets the rows where the condition
   * holds (one row: 1 each), y every other element (3 of them) */
  {
    tg_tensor* c = make_tensor(TG_BOOL, s21, 2, ((const double[]){1, 0}));
    tg_tensor* x = make_tensor(TG_FLOAT64, s3, 1, ((const double[]){1, 2, 3}));
    tg_tensor* y = make_scalar(TG_FLOAT64, -1);
    tg_tensor *z = NULL, *g[2] = {NULL, NULL};
    tg_tape* tape = NULL;
    const void* targets[1];
    const void* sources[2];
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
    CHECK_OK(tg_tape_watch(tape, x));
    CHECK_OK(tg_tape_watch(tape, y));
    CHECK_OK(tg_where(c, x, y, &z));
    CHECK_OK(tg_tape_end(tape));
    targets[0] = z;
    sources[0] = x;
    sources[1] = y;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, g));
    CHECK_TENSOR(g[0], TG_FLOAT64, s3, 1, ((const double[]){1, 1, 1}), 0);
    CHECK_TENSOR(g[1], TG_FLOAT64, NULL, 0, ((const double[]){3}), 0);
    tg_tensor_free(g[0]);
    tg_tensor_free(g[1]);
    tg_tensor_free(c);
    tg_tensor_free(x);
    tg_tensor_free(y);
    tg_tensor_free(z);
    tg_tape_free(tape);
  }
}

/* clip_by_value: t gets g where lo <= t <= hi (bounds included), lo where t < lo, hi where
 * t > hi, summed over the broadcast. */
static void test_clip_gradient(void) {
  const int64_t s5[] = {5};
  tg_tensor* t = make_tensor(TG_FLOAT32, s5, 1, ((const double[]){-3, 0.5, 4, 0, 1}));
  tg_tensor* lo = make_scalar(TG_FLOAT32, 0);
  tg_tensor* hi = make_scalar(TG_FLOAT32, 1);
  tg_tensor *z = NULL, *g[3] = {NULL, NULL, NULL};
  tg_tape* tape = NULL;
  const void* targets[1];
  const void* sources[3];
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, t));
  CHECK_OK(tg_tape_watch(tape, lo));
  CHECK_OK(tg_tape_watch(tape, hi));
  CHECK_OK(tg_clip_by_value(t, lo, hi, &z));
  CHECK_OK(tg_tape_end(tape));
  CHECK_TENSOR(z, TG_FLOAT32, s5, 1, ((const double[]){0, 0.5, 1, 0, 1}), 0);
  targets[0] = z;
  sources[0] = t;
  sources[1] = lo;
  sources[2] = hi;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 3, g));
  CHECK_TENSOR(g[0], TG_FLOAT32, s5, 1, ((const double[]){0, 1, 0, 1, 1}), 0);
  CHECK_TENSOR(g[1], TG_FLOAT32, NULL, 0, ((const double[]){1}), 0);
  CHECK_TENSOR(g[2], TG_FLOAT32, NULL, 0, ((const double[]){1}), 0);
  tg_tensor_free(g[0]);
  tg_tensor_free(g[1]);
  tg_tensor_free(g[2]);
  tg_tensor_free(z);
  tg_tensor_free(t);
  tg_tensor_free(lo);
  tg_tensor_free(hi);
  tg_tape_free(tape);
}

/* ---- bad input ---- */

struct named_binary {
  const char* name;
  const char* op;
  binary_fn fn;
};

static const struct named_binary binaries[] = {
    {"[tg_pow]", "pow", tg_pow},
    {"[tg_maximum]", "maximum", tg_maximum},
    {"[tg_minimum]", "minimum", tg_minimum},
    {"[tg_squared_difference]", "squared_difference", tg_squared_difference},
    {"[tg_equal]", "equal", tg_equal},
    {"[tg_not_equal]", "not_equal", tg_not_equal},
    {"[tg_less]", "less", tg_less},
    {"[tg_less_equal]", "less_equal", tg_less_equal},
    {"[tg_greater]", "greater", tg_greater},
    {"[tg_greater_equal]", "greater_equal", tg_greater_equal},
    {"[tg_logical_and]", "logical_and", tg_logical_and},
    {"[tg_logical_or]", "logical_or", tg_logical_or},
};
#define NUM_BINARIES ((int)(sizeof binaries / sizeof binaries[0]))

static void test_bad_input(void) {
  const int64_t s45[] = {4, 5};
  const double zeros[20] = {0};
  const double v[] = {1, 2, 3, 4, 5, 6};
  tg_tensor* a = make_tensor(TG_FLOAT32, s23, 2, v);
  tg_tensor* b = make_tensor(TG_FLOAT32, s45, 2, zeros);
  tg_tensor* a64 = make_tensor(TG_FLOAT64, s3, 1, v);
  tg_tensor* flags = make_tensor(TG_BOOL, s23, 2, v);
  tg_tensor* flags45 = make_tensor(TG_BOOL, s45, 2, zeros);
  tg_tensor* ints = make_tensor(TG_INT32, s3, 1, ((const double[]){2, 3, 4}));
  tg_tensor* freed = make_tensor(TG_FLOAT32, s23, 2, v);
  tg_tensor* sentinel = (tg_tensor*)&sentinel;
  tg_tensor* r = sentinel;
  tg_variable* var = NULL;
  int i;
  CHECK_OK(tg_variable_create("v", a, 1, &var));
  CHECK_OK(tg_tensor_free(freed));

  for (i = 0; i < NUM_BINARIES; ++i) {
    const struct named_binary* f = &binaries[i];
    const int logical = strstr(f->op, "logical") != NULL;
    tg_tensor* p = logical ? flags : a;
    tg_tensor* q = logical ? flags45 : b;
    /* shapes that do not broadcast: the message names the op and both shapes */
    CHECK_ERR(f->fn(p, q, &r), TG_INVALID_ARGUMENT, f->name, f->op, "(2,3)", "(4,5)",
              "cannot be broadcast");
    /* dtypes that differ (logical ops: anything but bool) */
    CHECK_ERR(f->fn(a, a64, &r), TG_INVALID_ARGUMENT, f->name, f->op, "float32", "float64",
              "(2,3)", "(3)");
    CHECK_ERR(f->fn(NULL, p, &r), TG_INVALID_HANDLE, f->name, "x is NULL");
    CHECK_ERR(f->fn(p, NULL, &r), TG_INVALID_HANDLE, f->name, "y is NULL");
    CHECK_ERR(f->fn(p, freed, &r), TG_INVALID_HANDLE, f->name, "y is not a live");
    CHECK_ERR(f->fn((const tg_tensor*)var, p, &r), TG_INVALID_HANDLE, f->name,
              "x is a tg_variable, expected a tg_tensor");
    CHECK_ERR(f->fn(p, p, NULL), TG_INVALID_ARGUMENT, f->name, "out");
  }
  /* dtype rules of single ops */
  CHECK_ERR(tg_less(flags, flags, &r), TG_INVALID_ARGUMENT, "[tg_less]", "less", "bool");
  CHECK_ERR(tg_maximum(flags, flags, &r), TG_INVALID_ARGUMENT, "[tg_maximum]", "bool");
  CHECK_ERR(tg_pow(flags, flags, &r), TG_INVALID_ARGUMENT, "[tg_pow]", "bool");
  CHECK_ERR(tg_logical_and(a, a, &r), TG_INVALID_ARGUMENT, "[tg_logical_and]", "expected bool",
            "float32");
  CHECK_ERR(tg_logical_not(a, &r), TG_INVALID_ARGUMENT, "[tg_logical_not]", "logical_not",
            "float32", "(2,3)");
  CHECK_ERR(tg_logical_not(NULL, &r), TG_INVALID_HANDLE, "[tg_logical_not]", "x is NULL");
  CHECK_ERR(tg_logical_not(flags, NULL), TG_INVALID_ARGUMENT, "[tg_logical_not]", "out");
  {
    tg_tensor* negative = make_tensor(TG_INT32, s3, 1, ((const double[]){1, -1, 2}));
    CHECK_ERR(tg_pow(ints, negative, &r), TG_INVALID_ARGUMENT, "[tg_pow]",
              "Integers to negative integer powers are not allowed");
    tg_tensor_free(negative);
  }

  /* where */
  CHECK_ERR(tg_where(a, a, a, &r), TG_INVALID_ARGUMENT, "[tg_where]", "where",
            "condition must be bool", "float32", "(2,3)");
  CHECK_ERR(tg_where(ints, a, a, &r), TG_INVALID_ARGUMENT, "[tg_where]", "condition must be bool",
            "int32");
  CHECK_ERR(tg_where(flags, a, a64, &r), TG_INVALID_ARGUMENT, "[tg_where]", "dtypes differ",
            "float32", "float64");
  CHECK_ERR(tg_where(flags, a, b, &r), TG_INVALID_ARGUMENT, "[tg_where]", "where", "(2,3)",
            "(4,5)", "cannot be broadcast");
  CHECK_ERR(tg_where(flags45, a, a, &r), TG_INVALID_ARGUMENT, "[tg_where]",
            "condition (4,5), x (2,3) and y (2,3)");
  CHECK_ERR(tg_where(NULL, a, a, &r), TG_INVALID_HANDLE, "[tg_where]", "condition is NULL");
  CHECK_ERR(tg_where(flags, NULL, a, &r), TG_INVALID_HANDLE, "[tg_where]", "x is NULL");
  CHECK_ERR(tg_where(flags, a, freed, &r), TG_INVALID_HANDLE, "[tg_where]", "y is not a live");
  CHECK_ERR(tg_where(flags, a, a, NULL), TG_INVALID_ARGUMENT, "[tg_where]", "out");

  /* clip_by_value */
  {
    tg_tensor* zero = make_scalar(TG_FLOAT32, 0);
    tg_tensor* zero64 = make_scalar(TG_FLOAT64, 0);
    tg_tensor* row = make_tensor(TG_FLOAT32, s3, 1, v);
    CHECK_ERR(tg_clip_by_value(a, zero, zero64, &r), TG_INVALID_ARGUMENT, "[tg_clip_by_value]",
              "clip_by_value", "dtypes differ", "float32", "float64");
    /* bounds that would broadcast t up to (2,3) are refused: the result keeps t's shape */
    CHECK_ERR(tg_clip_by_value(row, a, zero, &r), TG_INVALID_ARGUMENT, "[tg_clip_by_value]",
              "clip_by_value", "(2,3)", "t's shape (3)");
    CHECK_ERR(tg_clip_by_value(a, b, zero, &r), TG_INVALID_ARGUMENT, "[tg_clip_by_value]",
              "(4,5)", "(2,3)");
    CHECK_ERR(tg_clip_by_value(flags, flags, flags, &r), TG_INVALID_ARGUMENT,
              "[tg_clip_by_value]", "bool");
    CHECK_ERR(tg_clip_by_value(NULL, zero, zero, &r), TG_INVALID_HANDLE, "[tg_clip_by_value]",
              "t is NULL");
    CHECK_ERR(tg_clip_by_value(a, NULL, zero, &r), TG_INVALID_HANDLE, "[tg_clip_by_value]",
              "clip_value_min is NULL");
    CHECK_ERR(tg_clip_by_value(a, zero, (const tg_tensor*)var, &r), TG_INVALID_HANDLE,
              "[tg_clip_by_value]", "clip_value_max is a tg_variable");
    CHECK_ERR(tg_clip_by_value(a, zero, zero, NULL), TG_INVALID_ARGUMENT, "[tg_clip_by_value]",
              "out");
    tg_tensor_free(zero);
    tg_tensor_free(zero64);
    tg_tensor_free(row);
  }
  CHECK(r == sentinel); /* nothing written on error */

  CHECK_OK(tg_variable_free(var));
  tg_tensor_free(a);
  tg_tensor_free(b);
  tg_tensor_free(a64);
  tg_tensor_free(flags);
  tg_tensor_free(flags45);
  tg_tensor_free(ints);
}

int main(void) {
  test_pow();
  test_maximum_minimum();
  test_squared_difference();
  test_comparisons();
  test_logic();
  test_where();
  test_clip_by_value();
  test_binary_gradients();
  test_where_gradient();
  test_clip_gradient();
  test_bad_input();
  return check_summary();
}
