/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of creation: tg_zeros, tg_ones, tg_range, tg_eye, tg_random_truncated_normal —
 * values against hand-computed numbers (and statistics for the random draws), then bad input.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static void test_zeros_ones(void) {
  const int64_t s23[] = {2, 3}, s2[] = {2}, s3[] = {3}, s0[] = {0};
  tg_tensor* t = NULL;
  CHECK_OK(tg_zeros(TG_FLOAT32, s23, 2, &t));
  {
    const double want[] = {0, 0, 0, 0, 0, 0};
    CHECK_TENSOR(t, TG_FLOAT32, s23, 2, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_ones(TG_INT32, s2, 1, &t));
  {
    const double want[] = {1, 1};
    CHECK_TENSOR(t, TG_INT32, s2, 1, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_ones(TG_BOOL, s3, 1, &t));
  {
    const double want[] = {1, 1, 1};
    CHECK_TENSOR(t, TG_BOOL, s3, 1, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_ones(TG_FLOAT64, NULL, 0, &t)); /* a scalar */
  {
    const double want[] = {1};
    CHECK_TENSOR(t, TG_FLOAT64, NULL, 0, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_zeros(TG_INT64, s0, 1, &t)); /* no elements */
  CHECK_TENSOR(t, TG_INT64, s0, 1, NULL, 0);
  tg_tensor_free(t);

  t = (tg_tensor*)&t;
  {
    const int64_t neg[] = {2, -1}, rank9[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_ERR(tg_zeros((tg_dtype)9, s2, 1, &t), TG_INVALID_ARGUMENT, "[tg_zeros]", "dtype 9");
    CHECK_ERR(tg_ones(TG_FLOAT32, neg, 2, &t), TG_INVALID_ARGUMENT, "[tg_ones]",
              "negative dimension -1");
    CHECK_ERR(tg_zeros(TG_FLOAT32, rank9, 9, &t), TG_INVALID_ARGUMENT, "[tg_zeros]", "rank 9");
    CHECK_ERR(tg_ones(TG_FLOAT32, NULL, 2, &t), TG_INVALID_ARGUMENT, "[tg_ones]",
              "shape is NULL");
    CHECK_ERR(tg_zeros(TG_FLOAT32, s2, 1, NULL), TG_INVALID_ARGUMENT, "[tg_zeros]", "out");
    CHECK_ERR(tg_ones(TG_FLOAT32, s2, 1, NULL), TG_INVALID_ARGUMENT, "[tg_ones]", "out");
  }
  CHECK(t == (tg_tensor*)&t);
}

static void test_range(void) {
  tg_tensor* t = NULL;
  CHECK_OK(tg_range(0, 5, 1, TG_INT32, &t));
  {
    const int64_t s[] = {5};
    const double want[] = {0, 1, 2, 3, 4};
    CHECK_TENSOR(t, TG_INT32, s, 1, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_range(0, 10, 3, TG_INT64, &t)); /* ceil(10/3) = 4 elements */
  {
    const int64_t s[] = {4};
    const double want[] = {0, 3, 6, 9};
    CHECK_TENSOR(t, TG_INT64, s, 1, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_range(5, 1, -2, TG_INT64, &t)); /* negative delta */
  {
    const int64_t s[] = {2};
    const double want[] = {5, 3};
    CHECK_TENSOR(t, TG_INT64, s, 1, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_range(-1, -10, -4, TG_INT32, &t));
  {
    const int64_t s[] = {3};
    const double want[] = {-1, -5, -9};
    CHECK_TENSOR(t, TG_INT32, s, 1, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_range(0, 1, 0.25, TG_FLOAT32, &t));
  {
    const int64_t s[] = {4};
    const double want[] = {0, 0.25, 0.5, 0.75};
    CHECK_TENSOR(t, TG_FLOAT32, s, 1, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_range(1, 2, 0.3, TG_FLOAT64, &t)); /* ceil(1/0.3) = 4: 1, 1.3, 1.6, 1.9 */
  {
    const int64_t s[] = {4};
    const double want[] = {1, 1.3, 1.6, 1.9};
    CHECK_TENSOR(t, TG_FLOAT64, s, 1, want, 1e-12);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_range(3, 3, 1, TG_FLOAT32, &t)); /* start == limit: empty */
  {
    const int64_t s[] = {0};
    CHECK_TENSOR(t, TG_FLOAT32, s, 1, NULL, 0);
  }
  tg_tensor_free(t);

  t = (tg_tensor*)&t;
  CHECK_ERR(tg_range(0, 5, 0, TG_INT32, &t), TG_INVALID_ARGUMENT, "[tg_range]",
            "Requires delta != 0");
  CHECK_ERR(tg_range(5, 1, 1, TG_INT32, &t), TG_INVALID_ARGUMENT, "[tg_range]",
            "Requires start <= limit when delta > 0: 5/1");
  CHECK_ERR(tg_range(1, 5, -1, TG_FLOAT64, &t), TG_INVALID_ARGUMENT, "[tg_range]",
            "Requires start >= limit when delta < 0: 1/5");
  CHECK_ERR(tg_range(0.5, 3, 1, TG_INT32, &t), TG_INVALID_ARGUMENT, "[tg_range]", "start 0.5",
            "int32");
  CHECK_ERR(tg_range(0, 3e9, 1, TG_INT32, &t), TG_INVALID_ARGUMENT, "[tg_range]", "limit",
            "int32");
  CHECK_ERR(tg_range(0, INFINITY, 1, TG_FLOAT32, &t), TG_INVALID_ARGUMENT, "[tg_range]",
            "limit must be finite");
  CHECK_ERR(tg_range(0, 1, NAN, TG_FLOAT64, &t), TG_INVALID_ARGUMENT, "[tg_range]",
            "delta must be finite");
  CHECK_ERR(tg_range(0, 1e30, 1e-30, TG_FLOAT64, &t), TG_INVALID_ARGUMENT, "[tg_range]",
            "elements");
  CHECK_ERR(tg_range(0, 2, 1, TG_BOOL, &t), TG_INVALID_ARGUMENT, "[tg_range]", "bool");
  CHECK_ERR(tg_range(0, 2, 1, (tg_dtype)-1, &t), TG_INVALID_ARGUMENT, "[tg_range]", "dtype -1");
  CHECK_ERR(tg_range(0, 2, 1, TG_INT32, NULL), TG_INVALID_ARGUMENT, "[tg_range]", "out");
  CHECK(t == (tg_tensor*)&t);
}

static void test_eye(void) {
  tg_tensor* t = NULL;
  CHECK_OK(tg_eye(2, 3, TG_FLOAT32, &t));
  {
    const int64_t s[] = {2, 3};
    const double want[] = {1, 0, 0, 0, 1, 0};
    CHECK_TENSOR(t, TG_FLOAT32, s, 2, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_eye(3, 2, TG_INT64, &t));
  {
    const int64_t s[] = {3, 2};
    const double want[] = {1, 0, 0, 1, 0, 0};
    CHECK_TENSOR(t, TG_INT64, s, 2, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_eye(3, -1, TG_FLOAT64, &t)); /* num_columns = num_rows */
  {
    const int64_t s[] = {3, 3};
    const double want[] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    CHECK_TENSOR(t, TG_FLOAT64, s, 2, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_eye(0, -1, TG_BOOL, &t));
  {
    const int64_t s[] = {0, 0};
    CHECK_TENSOR(t, TG_BOOL, s, 2, NULL, 0);
  }
  tg_tensor_free(t);

  t = (tg_tensor*)&t;
  CHECK_ERR(tg_eye(-1, 2, TG_FLOAT32, &t), TG_INVALID_ARGUMENT, "[tg_eye]",
            "num_rows must be >= 0, got -1");
  CHECK_ERR(tg_eye(2, -2, TG_FLOAT32, &t), TG_INVALID_ARGUMENT, "[tg_eye]", "num_columns", "-2");
  CHECK_ERR(tg_eye(2, 2, (tg_dtype)7, &t), TG_INVALID_ARGUMENT, "[tg_eye]", "dtype 7");
  CHECK_ERR(tg_eye(2, 2, TG_FLOAT32, NULL), TG_INVALID_ARGUMENT, "[tg_eye]", "out");
  CHECK(t == (tg_tensor*)&t);
}

static void test_truncated_normal(void) {
  const int64_t s_big[] = {20000}, s_small[] = {10};
  int dt;
  for (dt = 0; dt < 2; ++dt) {
    const tg_dtype dtype = dt == 0 ? TG_FLOAT32 : TG_FLOAT64;
    tg_tensor *a = NULL, *b = NULL, *c = NULL, *head = NULL;
    double sum = 0, sum2 = 0, lo = 1e300, hi = -1e300, mean, var;
    int64_t i, n = s_big[0];
    CHECK_OK(tg_random_truncated_normal(dtype, s_big, 1, 1.0, 2.0, 42, &a));
    for (i = 0; i < n; ++i) {
      const double v = element(a, i);
      sum += v;
      sum2 += v * v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    mean = sum / (double)n;
    var = sum2 / (double)n - mean * mean;
    /* every value within two standard deviations: (1 − 4, 1 + 4) */
    CHECK(lo > -3.0 && hi < 5.0);
    /* ... and the tails are used: values beyond 1.9 standard deviations occur */
    CHECK(lo < 1 - 2 * 1.9 && hi > 1 + 2 * 1.9);
    /* the mean is 1; the variance of N(0,1) truncated to ±2 is 0.7737413, times 2² */
    CHECK_NEAR(mean, 1.0, 0.05);
    CHECK_NEAR(var, 4 * 0.7737413, 0.1);
    /* deterministic: the same seed gives the same values; element i depends only on
     * (seed, i), so a shorter draw is a prefix; another seed differs */
    CHECK_OK(tg_random_truncated_normal(dtype, s_big, 1, 1.0, 2.0, 42, &b));
    CHECK_OK(tg_random_truncated_normal(dtype, s_small, 1, 1.0, 2.0, 42, &head));
    CHECK_OK(tg_random_truncated_normal(dtype, s_big, 1, 1.0, 2.0, 43, &c));
    {
      int same = 1, prefix = 1, differ = 0;
      for (i = 0; i < n; ++i) {
        same = same && element(a, i) == element(b, i);
        differ = differ || element(a, i) != element(c, i);
      }
      for (i = 0; i < s_small[0]; ++i) prefix = prefix && element(a, i) == element(head, i);
      CHECK(same);
      CHECK(prefix);
      CHECK(differ);
    }
    tg_tensor_free(a);
    tg_tensor_free(b);
    tg_tensor_free(c);
    tg_tensor_free(head);
  }
  /* stddev 0: every value is the mean */
  {
    tg_tensor* t = NULL;
    CHECK_OK(tg_random_truncated_normal(TG_FLOAT32, s_small, 1, 3.5, 0.0, 1, &t));
    {
      const double want[] = {3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5};
      CHECK_TENSOR(t, TG_FLOAT32, s_small, 1, want, 0);
    }
    tg_tensor_free(t);
  }
  {
    tg_tensor* t = (tg_tensor*)&t;
    const int64_t neg[] = {-3};
    CHECK_ERR(tg_random_truncated_normal(TG_INT32, s_small, 1, 0, 1, 1, &t), TG_INVALID_ARGUMENT,
              "[tg_random_truncated_normal]", "int32");
    CHECK_ERR(tg_random_truncated_normal(TG_FLOAT32, s_small, 1, 0, -1, 1, &t),
              TG_INVALID_ARGUMENT, "[tg_random_truncated_normal]", "stddev must be >= 0, got -1");
    CHECK_ERR(tg_random_truncated_normal(TG_FLOAT32, s_small, 1, 0, NAN, 1, &t),
              TG_INVALID_ARGUMENT, "[tg_random_truncated_normal]", "stddev");
    CHECK_ERR(tg_random_truncated_normal(TG_FLOAT32, neg, 1, 0, 1, 1, &t), TG_INVALID_ARGUMENT,
              "[tg_random_truncated_normal]", "negative dimension -3");
    CHECK_ERR(tg_random_truncated_normal(TG_FLOAT32, NULL, 1, 0, 1, 1, &t), TG_INVALID_ARGUMENT,
              "[tg_random_truncated_normal]", "shape is NULL");
    CHECK_ERR(tg_random_truncated_normal((tg_dtype)5, s_small, 1, 0, 1, 1, &t),
              TG_INVALID_ARGUMENT, "[tg_random_truncated_normal]", "dtype 5");
    CHECK_ERR(tg_random_truncated_normal(TG_FLOAT32, s_small, 1, 0, 1, 1, NULL),
              TG_INVALID_ARGUMENT, "[tg_random_truncated_normal]", "out");
    CHECK(t == (tg_tensor*)&t);
  }
}

int main(void) {
  test_zeros_ones();
  test_range();
  test_eye();
  test_truncated_normal();
  return check_summary();
}
