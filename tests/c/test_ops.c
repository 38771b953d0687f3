/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of every op: values against hand-computed numbers, then bad input (shapes,
 * dtypes, NULL / freed / wrong-type handles, NULL out, bad axes and shapes).
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static const int64_t s23[] = {2, 3};
static const double v23[] = {1, 2, 3, 4, 5, 6}; /* [[1,2,3],[4,5,6]] */

static void test_elementwise(void) {
  const int64_t s3[] = {3};
  const double row[] = {10, 20, 30};
  tg_tensor* a = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* b = make_tensor(TG_FLOAT32, s3, 1, row);
  tg_tensor* r = NULL;

  /* (2,3) + (3,) broadcasts the row over both rows */
  CHECK_OK(tg_add(a, b, &r));
  {
    const double want[] = {11, 22, 33, 14, 25, 36};
    CHECK_TENSOR(r, TG_FLOAT32, s23, 2, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_add(b, a, &r)); /* and the other way round */
  {
    const double want[] = {11, 22, 33, 14, 25, 36};
    CHECK_TENSOR(r, TG_FLOAT32, s23, 2, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_sub(a, b, &r));
  {
    const double want[] = {-9, -18, -27, -6, -15, -24};
    CHECK_TENSOR(r, TG_FLOAT32, s23, 2, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_mul(a, b, &r));
  {
    const double want[] = {10, 40, 90, 40, 100, 180};
    CHECK_TENSOR(r, TG_FLOAT32, s23, 2, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_div(b, a, &r));
  {
    const double want[] = {10, 10, 10, 2.5, 4, 5};
    CHECK_TENSOR(r, TG_FLOAT32, s23, 2, want, 1e-6);
  }
  tg_tensor_free(r);
  {
    tg_tensor* half = make_scalar(TG_FLOAT32, 0.5);
    CHECK_OK(tg_mul(a, half, &r)); /* scalar broadcast */
    {
      const double want[] = {0.5, 1, 1.5, 2, 2.5, 3};
      CHECK_TENSOR(r, TG_FLOAT32, s23, 2, want, 0);
    }
    tg_tensor_free(r);
    tg_tensor_free(half);
  }
  CHECK_OK(tg_neg(a, &r));
  {
    const double want[] = {-1, -2, -3, -4, -5, -6};
    CHECK_TENSOR(r, TG_FLOAT32, s23, 2, want, 0);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_exp(a, &r));
  {
    const double want[] = {2.718281828, 7.389056099, 20.08553692,
                           54.59815003, 148.4131591, 403.4287935};
    CHECK_TENSOR(r, TG_FLOAT32, s23, 2, want, 1e-4);
  }
  tg_tensor_free(r);
  CHECK_OK(tg_log(a, &r));
  {
    const double want[] = {0, 0.6931471806, 1.098612289, 1.386294361, 1.609437912, 1.791759469};
    CHECK_TENSOR(r, TG_FLOAT32, s23, 2, want, 1e-6);
  }
  tg_tensor_free(r);
  {
    const double mixed[] = {-1.5, 0, 2, -0.0, 3.25, -7};
    tg_tensor* m = make_tensor(TG_FLOAT64, s23, 2, mixed);
    CHECK_OK(tg_relu(m, &r));
    {
      const double want[] = {0, 0, 2, 0, 3.25, 0};
      CHECK_TENSOR(r, TG_FLOAT64, s23, 2, want, 0);
    }
    tg_tensor_free(r);
    tg_tensor_free(m);
  }

  /* integer arithmetic wraps around; neg and relu accept integers */
  {
    const int64_t s2[] = {2};
    const double big[] = {2147483647.0, -5};
    const double one[] = {1, 1};
    tg_tensor* i = make_tensor(TG_INT32, s2, 1, big);
    tg_tensor* o = make_tensor(TG_INT32, s2, 1, one);
    CHECK_OK(tg_add(i, o, &r));
    {
      const double want[] = {-2147483648.0, -4};
      CHECK_TENSOR(r, TG_INT32, s2, 1, want, 0);
    }
    tg_tensor_free(r);
    CHECK_OK(tg_neg(i, &r));
    {
      const double want[] = {-2147483647.0, 5};
      CHECK_TENSOR(r, TG_INT32, s2, 1, want, 0);
    }
    tg_tensor_free(r);
    CHECK_OK(tg_relu(i, &r));
    {
      const double want[] = {2147483647.0, 0};
      CHECK_TENSOR(r, TG_INT32, s2, 1, want, 0);
    }
    tg_tensor_free(r);
    tg_tensor_free(i);
    tg_tensor_free(o);
  }
  tg_tensor_free(a);
  tg_tensor_free(b);
}

static void test_matmul(void) {
  /* A (2,3) = [[1,2,3],[4,5,6]], B (3,2) = [[7,8],[9,10],[11,12]];
   * A·B = [[58,64],[139,154]]. At and Bt hold the transposes, so every flag combination
   * computes the same product. */
  const int64_t s32[] = {3, 2}, s22[] = {2, 2};
  const double vb[] = {7, 8, 9, 10, 11, 12};
  const double vat[] = {1, 4, 2, 5, 3, 6};
  const double vbt[] = {7, 9, 11, 8, 10, 12};
  const double want[] = {58, 64, 139, 154};
  int dt;
  for (dt = 0; dt < 2; ++dt) {
    const tg_dtype dtype = dt == 0 ? TG_FLOAT32 : TG_FLOAT64;
    tg_tensor* a = make_tensor(dtype, s23, 2, v23);
    tg_tensor* b = make_tensor(dtype, s32, 2, vb);
    tg_tensor* at = make_tensor(dtype, s32, 2, vat);
    tg_tensor* bt = make_tensor(dtype, s23, 2, vbt);
    tg_tensor* r = NULL;
    CHECK_OK(tg_matmul(a, b, 0, 0, &r));
    CHECK_TENSOR(r, dtype, s22, 2, want, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_matmul(at, b, 1, 0, &r));
    CHECK_TENSOR(r, dtype, s22, 2, want, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_matmul(a, bt, 0, 1, &r));
    CHECK_TENSOR(r, dtype, s22, 2, want, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_matmul(at, bt, 1, 1, &r));
    CHECK_TENSOR(r, dtype, s22, 2, want, 0);
    tg_tensor_free(r);
    /* B·A is (3,3): [[39,54,69],[49,68,87],[59,82,105]] */
    CHECK_OK(tg_matmul(b, a, 0, 0, &r));
    {
      const int64_t s33[] = {3, 3};
      const double ba[] = {39, 54, 69, 49, 68, 87, 59, 82, 105};
      CHECK_TENSOR(r, dtype, s33, 2, ba, 0);
    }
    tg_tensor_free(r);
    tg_tensor_free(a);
    tg_tensor_free(b);
    tg_tensor_free(at);
    tg_tensor_free(bt);
  }
}

static void test_reductions(void) {
  tg_tensor* x = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* r = NULL;
  const int64_t axis0[] = {0}, axis1[] = {1}, axis_last[] = {-1}, both[] = {1, 0};
  const int64_t s3[] = {3}, s2[] = {2}, s21[] = {2, 1}, s13[] = {1, 3}, s11[] = {1, 1};

  CHECK_OK(tg_reduce_sum(x, NULL, 0, 0, &r));
  CHECK_TENSOR(r, TG_FLOAT32, NULL, 0, (const double[]){21}, 0);
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_sum(x, axis0, 1, 0, &r));
  CHECK_TENSOR(r, TG_FLOAT32, s3, 1, ((const double[]){5, 7, 9}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_sum(x, axis1, 1, 1, &r));
  CHECK_TENSOR(r, TG_FLOAT32, s21, 2, ((const double[]){6, 15}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_sum(x, axis_last, 1, 0, &r));
  CHECK_TENSOR(r, TG_FLOAT32, s2, 1, ((const double[]){6, 15}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_sum(x, axis0, 1, 1, &r));
  CHECK_TENSOR(r, TG_FLOAT32, s13, 2, ((const double[]){5, 7, 9}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_sum(x, both, 2, 1, &r));
  CHECK_TENSOR(r, TG_FLOAT32, s11, 2, (const double[]){21}, 0);
  tg_tensor_free(r);

  CHECK_OK(tg_reduce_mean(x, NULL, 0, 0, &r));
  CHECK_TENSOR(r, TG_FLOAT32, NULL, 0, (const double[]){3.5}, 0);
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_mean(x, axis0, 1, 0, &r));
  CHECK_TENSOR(r, TG_FLOAT32, s3, 1, ((const double[]){2.5, 3.5, 4.5}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_mean(x, axis1, 1, 1, &r));
  CHECK_TENSOR(r, TG_FLOAT32, s21, 2, ((const double[]){2, 5}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_reduce_mean(x, both, 2, 0, &r));
  CHECK_TENSOR(r, TG_FLOAT32, NULL, 0, (const double[]){3.5}, 0);
  tg_tensor_free(r);
  tg_tensor_free(x);
}

static void test_softmax(void) {
  const double logits[] = {1, 2, 3, 1, 1, 1};
  const double soft[] = {0.09003057317, 0.2447284711, 0.6652409558,
                         1.0 / 3, 1.0 / 3, 1.0 / 3};
  const double logsoft[] = {-2.407605964, -1.407605964, -0.4076059644,
                            -1.098612289, -1.098612289, -1.098612289};
  int dt;
  for (dt = 0; dt < 2; ++dt) {
    const tg_dtype dtype = dt == 0 ? TG_FLOAT32 : TG_FLOAT64;
    const double tol = dt == 0 ? 1e-6 : 1e-9;
    tg_tensor* x = make_tensor(dtype, s23, 2, logits);
    tg_tensor* r = NULL;
    CHECK_OK(tg_softmax(x, -1, &r));
    CHECK_TENSOR(r, dtype, s23, 2, soft, tol);
    tg_tensor_free(r);
    CHECK_OK(tg_softmax(x, 1, &r));
    CHECK_TENSOR(r, dtype, s23, 2, soft, tol);
    tg_tensor_free(r);
    CHECK_OK(tg_log_softmax(x, -1, &r));
    CHECK_TENSOR(r, dtype, s23, 2, logsoft, tol);
    tg_tensor_free(r);
    /* along the columns: [1,1] -> 1/2 each; [2,1] and [3,1] */
    CHECK_OK(tg_softmax(x, 0, &r));
    {
      const double want[] = {0.5, 0.7310585786, 0.880797078, 0.5, 0.2689414214, 0.119202922};
      CHECK_TENSOR(r, dtype, s23, 2, want, tol);
    }
    tg_tensor_free(r);
    tg_tensor_free(x);
  }
  /* large logits do not overflow */
  {
    const int64_t s2[] = {2};
    tg_tensor* x = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){1000, 1001}));
    tg_tensor* r = NULL;
    CHECK_OK(tg_softmax(x, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s2, 1, ((const double[]){0.2689414214, 0.7310585786}), 1e-6);
    tg_tensor_free(r);
    CHECK_OK(tg_log_softmax(x, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s2, 1, ((const double[]){-1.313261687, -0.3132616875}), 1e-5);
    tg_tensor_free(r);
    tg_tensor_free(x);
  }
}

static void test_movement(void) {
  tg_tensor* x = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* r = NULL;
  const void* px = NULL;
  const void* pr = NULL;

  /* reshape with -1; shares storage */
  {
    const int64_t target[] = {3, -1}, s32[] = {3, 2}, flat[] = {-1}, s6[] = {6};
    CHECK_OK(tg_reshape(x, target, 2, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s32, 2, v23, 0);
    CHECK_OK(tg_tensor_data(x, &px));
    CHECK_OK(tg_tensor_data(r, &pr));
    CHECK(px == pr);
    tg_tensor_free(r);
    CHECK_OK(tg_reshape(x, flat, 1, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s6, 1, v23, 0);
    tg_tensor_free(r);
  }
  /* a one-element tensor reshapes to a scalar */
  {
    tg_tensor* one = make_tensor(TG_FLOAT64, ((const int64_t[]){1, 1}), 2, (const double[]){9});
    CHECK_OK(tg_reshape(one, NULL, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT64, NULL, 0, (const double[]){9}, 0);
    tg_tensor_free(r);
    tg_tensor_free(one);
  }

  /* transpose: default reverses the axes */
  {
    const int64_t s32[] = {3, 2}, perm[] = {1, 0};
    const double want[] = {1, 4, 2, 5, 3, 6};
    CHECK_OK(tg_transpose(x, NULL, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s32, 2, want, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_transpose(x, perm, 2, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s32, 2, want, 0);
    tg_tensor_free(r);
  }
  /* explicit perm on rank 3: out[k][i][j] = x[i][j][k] for perm (2,0,1) */
  {
    const int64_t s234[] = {2, 3, 4}, s423[] = {4, 2, 3}, s432[] = {4, 3, 2};
    const int64_t perm[] = {2, 0, 1}, neg_perm[] = {-1, 0, 1};
    double v[24], want[24], want_rev[24];
    int i, j, k;
    tg_tensor* x3;
    for (i = 0; i < 24; ++i) v[i] = i;
    for (i = 0; i < 2; ++i)
      for (j = 0; j < 3; ++j)
        for (k = 0; k < 4; ++k) {
          want[(k * 2 + i) * 3 + j] = v[(i * 3 + j) * 4 + k];
          want_rev[(k * 3 + j) * 2 + i] = v[(i * 3 + j) * 4 + k];
        }
    x3 = make_tensor(TG_FLOAT64, s234, 3, v);
    CHECK_OK(tg_transpose(x3, perm, 3, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s423, 3, want, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_transpose(x3, neg_perm, 3, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s423, 3, want, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_transpose(x3, NULL, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s432, 3, want_rev, 0);
    tg_tensor_free(r);
    tg_tensor_free(x3);
  }

  /* cast */
  {
    const int64_t s4[] = {4};
    tg_tensor* f = make_tensor(TG_FLOAT32, s4, 1, ((const double[]){1.5, -2.75, 0, 3}));
    tg_tensor* i = NULL;
    CHECK_OK(tg_cast(f, TG_INT32, &i));
    CHECK_TENSOR(i, TG_INT32, s4, 1, ((const double[]){1, -2, 0, 3}), 0);
    CHECK_OK(tg_cast(i, TG_FLOAT64, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s4, 1, ((const double[]){1, -2, 0, 3}), 0);
    tg_tensor_free(r);
    CHECK_OK(tg_cast(f, TG_FLOAT64, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s4, 1, ((const double[]){1.5, -2.75, 0, 3}), 0);
    tg_tensor_free(r);
    CHECK_OK(tg_cast(f, TG_BOOL, &r));
    CHECK_TENSOR(r, TG_BOOL, s4, 1, ((const double[]){1, 1, 0, 1}), 0);
    tg_tensor_free(r);
    CHECK_OK(tg_cast(f, TG_INT64, &r));
    CHECK_TENSOR(r, TG_INT64, s4, 1, ((const double[]){1, -2, 0, 3}), 0);
    tg_tensor_free(r);
    CHECK_OK(tg_cast(f, TG_FLOAT32, &r)); /* same dtype: a new handle, same values */
    CHECK(r != f);
    CHECK_TENSOR(r, TG_FLOAT32, s4, 1, ((const double[]){1.5, -2.75, 0, 3}), 0);
    tg_tensor_free(r);
    tg_tensor_free(i);
    tg_tensor_free(f);
  }
  tg_tensor_free(x);
}

/* ---- bad input ---- */

static void test_shape_and_dtype_errors(void) {
  const int64_t s45[] = {4, 5};
  const double zeros[20] = {0};
  tg_tensor* a = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* b = make_tensor(TG_FLOAT32, s45, 2, zeros);
  tg_tensor* a64 = make_tensor(TG_FLOAT64, s23, 2, v23);
  tg_tensor* ai = make_tensor(TG_INT32, s23, 2, v23);
  tg_tensor* vec = make_tensor(TG_FLOAT32, (const int64_t[]){3}, 1, v23);
  tg_tensor* sentinel = (tg_tensor*)&sentinel;
  tg_tensor* r = sentinel;

  CHECK_ERR(tg_matmul(a, b, 0, 0, &r), TG_INVALID_ARGUMENT, "[tg_matmul]", "matmul", "(2,3)",
            "(4,5)");
  CHECK_ERR(tg_matmul(a, b, 1, 1, &r), TG_INVALID_ARGUMENT, "[tg_matmul]", "inner dimensions",
            "(2,3)^T", "(4,5)^T");
  CHECK_ERR(tg_matmul(a, a64, 0, 1, &r), TG_INVALID_ARGUMENT, "[tg_matmul]", "float32",
            "float64");
  CHECK_ERR(tg_matmul(ai, ai, 0, 1, &r), TG_INVALID_ARGUMENT, "[tg_matmul]", "int32");
  CHECK_ERR(tg_matmul(vec, a, 0, 0, &r), TG_INVALID_ARGUMENT, "[tg_matmul]", "rank-2", "(3)");
  CHECK_ERR(tg_add(a, b, &r), TG_INVALID_ARGUMENT, "[tg_add]", "add", "(2,3)", "(4,5)");
  CHECK_ERR(tg_sub(a, b, &r), TG_INVALID_ARGUMENT, "[tg_sub]", "sub", "(2,3)", "(4,5)");
  CHECK_ERR(tg_mul(b, a, &r), TG_INVALID_ARGUMENT, "[tg_mul]", "mul", "(4,5)", "(2,3)");
  CHECK_ERR(tg_div(a, b, &r), TG_INVALID_ARGUMENT, "[tg_div]", "div", "(2,3)", "(4,5)");
  CHECK_ERR(tg_add(a, a64, &r), TG_INVALID_ARGUMENT, "[tg_add]", "add", "float32", "float64");
  CHECK_ERR(tg_div(ai, ai, &r), TG_INVALID_ARGUMENT, "[tg_div]", "div", "int32");
  CHECK_ERR(tg_exp(ai, &r), TG_INVALID_ARGUMENT, "[tg_exp]", "exp", "int32");
  CHECK_ERR(tg_log(ai, &r), TG_INVALID_ARGUMENT, "[tg_log]", "log", "int32");
  {
    tg_tensor* flags = make_tensor(TG_BOOL, s23, 2, v23);
    CHECK_ERR(tg_neg(flags, &r), TG_INVALID_ARGUMENT, "[tg_neg]", "neg", "bool");
    CHECK_ERR(tg_relu(flags, &r), TG_INVALID_ARGUMENT, "[tg_relu]", "relu", "bool");
    tg_tensor_free(flags);
  }

  /* reductions and softmax: axes */
  {
    const int64_t bad[] = {2}, dup[] = {0, -2};
    CHECK_ERR(tg_reduce_sum(a, bad, 1, 0, &r), TG_INVALID_ARGUMENT, "[tg_reduce_sum]",
              "reduce_sum", "axis 2", "rank 2");
    CHECK_ERR(tg_reduce_mean(a, bad, 1, 0, &r), TG_INVALID_ARGUMENT, "[tg_reduce_mean]",
              "reduce_mean", "axis 2");
    CHECK_ERR(tg_reduce_sum(a, dup, 2, 0, &r), TG_INVALID_ARGUMENT, "[tg_reduce_sum]",
              "duplicate");
    CHECK_ERR(tg_reduce_sum(a, NULL, 1, 0, &r), TG_INVALID_ARGUMENT, "[tg_reduce_sum]",
              "axes is NULL");
    CHECK_ERR(tg_softmax(a, 2, &r), TG_INVALID_ARGUMENT, "[tg_softmax]", "softmax", "axis 2");
    CHECK_ERR(tg_log_softmax(a, -3, &r), TG_INVALID_ARGUMENT, "[tg_log_softmax]", "log_softmax",
              "axis -3");
    CHECK_ERR(tg_softmax(ai, -1, &r), TG_INVALID_ARGUMENT, "[tg_softmax]", "int32");
    CHECK_ERR(tg_log_softmax(ai, -1, &r), TG_INVALID_ARGUMENT, "[tg_log_softmax]", "int32");
  }

  /* reshape, transpose, cast */
  {
    const int64_t rank9[] = {1, 1, 1, 1, 1, 1, 1, 1, 6};
    const int64_t neg[] = {-3, -2}, two_infer[] = {-1, -1}, wrong[] = {4, 2};
    const int64_t short_perm[] = {0}, dup_perm[] = {0, 0}, far_perm[] = {0, 2};
    CHECK_ERR(tg_reshape(a, rank9, 9, &r), TG_INVALID_ARGUMENT, "[tg_reshape]", "rank 9");
    CHECK_ERR(tg_reshape(a, neg, 2, &r), TG_INVALID_ARGUMENT, "[tg_reshape]",
              "invalid dimension -3");
    CHECK_ERR(tg_reshape(a, two_infer, 2, &r), TG_INVALID_ARGUMENT, "[tg_reshape]", "-1");
    CHECK_ERR(tg_reshape(a, wrong, 2, &r), TG_INVALID_ARGUMENT, "[tg_reshape]", "(2,3)", "(4,2)");
    CHECK_ERR(tg_reshape(a, NULL, 2, &r), TG_INVALID_ARGUMENT, "[tg_reshape]", "shape is NULL");
    CHECK_ERR(tg_reshape(a, wrong, -1, &r), TG_INVALID_ARGUMENT, "[tg_reshape]", "rank -1");
    CHECK_ERR(tg_transpose(a, short_perm, 1, &r), TG_INVALID_ARGUMENT, "[tg_transpose]",
              "transpose", "(2,3)");
    CHECK_ERR(tg_transpose(a, dup_perm, 2, &r), TG_INVALID_ARGUMENT, "[tg_transpose]", "twice");
    CHECK_ERR(tg_transpose(a, far_perm, 2, &r), TG_INVALID_ARGUMENT, "[tg_transpose]", "axis 2");
    CHECK_ERR(tg_transpose(a, NULL, 2, &r), TG_INVALID_ARGUMENT, "[tg_transpose]", "perm is NULL");
    CHECK_ERR(tg_cast(a, (tg_dtype)42, &r), TG_INVALID_ARGUMENT, "[tg_cast]", "dtype 42");
  }
  CHECK(r == sentinel);
  tg_tensor_free(a);
  tg_tensor_free(b);
  tg_tensor_free(a64);
  tg_tensor_free(ai);
  tg_tensor_free(vec);
}

static void test_handle_errors(void) {
  tg_tensor* a = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* freed = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* sentinel = (tg_tensor*)&sentinel;
  tg_tensor* r = sentinel;
  tg_variable* v = NULL;
  tg_tape* tape = NULL;
  const tg_tensor* var_as_tensor;
  const tg_tensor* tape_as_tensor;
  const int64_t axis0[] = {0}, shape6[] = {6}, perm[] = {1, 0};

  CHECK_OK(tg_variable_create("v", a, 1, &v));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tensor_free(freed));
  var_as_tensor = (const tg_tensor*)v;
  tape_as_tensor = (const tg_tensor*)tape;

  /* NULL handles */
  CHECK_ERR(tg_add(NULL, a, &r), TG_INVALID_HANDLE, "[tg_add]", "a is NULL");
  CHECK_ERR(tg_add(a, NULL, &r), TG_INVALID_HANDLE, "[tg_add]", "b is NULL");
  CHECK_ERR(tg_sub(NULL, a, &r), TG_INVALID_HANDLE, "[tg_sub]", "NULL");
  CHECK_ERR(tg_mul(a, NULL, &r), TG_INVALID_HANDLE, "[tg_mul]", "NULL");
  CHECK_ERR(tg_div(NULL, NULL, &r), TG_INVALID_HANDLE, "[tg_div]", "NULL");
  CHECK_ERR(tg_neg(NULL, &r), TG_INVALID_HANDLE, "[tg_neg]", "x is NULL");
  CHECK_ERR(tg_exp(NULL, &r), TG_INVALID_HANDLE, "[tg_exp]", "NULL");
  CHECK_ERR(tg_log(NULL, &r), TG_INVALID_HANDLE, "[tg_log]", "NULL");
  CHECK_ERR(tg_relu(NULL, &r), TG_INVALID_HANDLE, "[tg_relu]", "NULL");
  CHECK_ERR(tg_matmul(NULL, a, 0, 0, &r), TG_INVALID_HANDLE, "[tg_matmul]", "NULL");
  CHECK_ERR(tg_reduce_sum(NULL, axis0, 1, 0, &r), TG_INVALID_HANDLE, "[tg_reduce_sum]", "NULL");
  CHECK_ERR(tg_reduce_mean(NULL, axis0, 1, 0, &r), TG_INVALID_HANDLE, "[tg_reduce_mean]", "NULL");
  CHECK_ERR(tg_softmax(NULL, -1, &r), TG_INVALID_HANDLE, "[tg_softmax]", "NULL");
  CHECK_ERR(tg_log_softmax(NULL, -1, &r), TG_INVALID_HANDLE, "[tg_log_softmax]", "NULL");
  CHECK_ERR(tg_reshape(NULL, shape6, 1, &r), TG_INVALID_HANDLE, "[tg_reshape]", "NULL");
  CHECK_ERR(tg_transpose(NULL, perm, 2, &r), TG_INVALID_HANDLE, "[tg_transpose]", "NULL");
  CHECK_ERR(tg_cast(NULL, TG_FLOAT64, &r), TG_INVALID_HANDLE, "[tg_cast]", "NULL");

  /* freed handles */
  CHECK_ERR(tg_add(a, freed, &r), TG_INVALID_HANDLE, "[tg_add]", "b is not a live");
  CHECK_ERR(tg_exp(freed, &r), TG_INVALID_HANDLE, "[tg_exp]", "not a live");
  CHECK_ERR(tg_matmul(freed, a, 0, 1, &r), TG_INVALID_HANDLE, "[tg_matmul]", "not a live");
  CHECK_ERR(tg_reduce_sum(freed, NULL, 0, 0, &r), TG_INVALID_HANDLE, "[tg_reduce_sum]",
            "not a live");
  CHECK_ERR(tg_reshape(freed, shape6, 1, &r), TG_INVALID_HANDLE, "[tg_reshape]", "not a live");
  CHECK_ERR(tg_cast(freed, TG_FLOAT64, &r), TG_INVALID_HANDLE, "[tg_cast]", "not a live");

  /* wrong-type handles */
  CHECK_ERR(tg_mul(a, var_as_tensor, &r), TG_INVALID_HANDLE, "[tg_mul]",
            "b is a tg_variable, expected a tg_tensor");
  CHECK_ERR(tg_relu(var_as_tensor, &r), TG_INVALID_HANDLE, "[tg_relu]",
            "is a tg_variable, expected a tg_tensor");
  CHECK_ERR(tg_softmax(tape_as_tensor, 0, &r), TG_INVALID_HANDLE, "[tg_softmax]",
            "is a tg_tape, expected a tg_tensor");
  CHECK_ERR(tg_transpose(tape_as_tensor, NULL, 0, &r), TG_INVALID_HANDLE, "[tg_transpose]",
            "is a tg_tape");

  /* NULL out */
  CHECK_ERR(tg_add(a, a, NULL), TG_INVALID_ARGUMENT, "[tg_add]", "out");
  CHECK_ERR(tg_sub(a, a, NULL), TG_INVALID_ARGUMENT, "[tg_sub]", "out");
  CHECK_ERR(tg_mul(a, a, NULL), TG_INVALID_ARGUMENT, "[tg_mul]", "out");
  CHECK_ERR(tg_div(a, a, NULL), TG_INVALID_ARGUMENT, "[tg_div]", "out");
  CHECK_ERR(tg_neg(a, NULL), TG_INVALID_ARGUMENT, "[tg_neg]", "out");
  CHECK_ERR(tg_exp(a, NULL), TG_INVALID_ARGUMENT, "[tg_exp]", "out");
  CHECK_ERR(tg_log(a, NULL), TG_INVALID_ARGUMENT, "[tg_log]", "out");
  CHECK_ERR(tg_relu(a, NULL), TG_INVALID_ARGUMENT, "[tg_relu]", "out");
  CHECK_ERR(tg_matmul(a, a, 0, 1, NULL), TG_INVALID_ARGUMENT, "[tg_matmul]", "out");
  CHECK_ERR(tg_reduce_sum(a, NULL, 0, 0, NULL), TG_INVALID_ARGUMENT, "[tg_reduce_sum]", "out");
  CHECK_ERR(tg_reduce_mean(a, NULL, 0, 0, NULL), TG_INVALID_ARGUMENT, "[tg_reduce_mean]", "out");
  CHECK_ERR(tg_softmax(a, -1, NULL), TG_INVALID_ARGUMENT, "[tg_softmax]", "out");
  CHECK_ERR(tg_log_softmax(a, -1, NULL), TG_INVALID_ARGUMENT, "[tg_log_softmax]", "out");
  CHECK_ERR(tg_reshape(a, shape6, 1, NULL), TG_INVALID_ARGUMENT, "[tg_reshape]", "out");
  CHECK_ERR(tg_transpose(a, NULL, 0, NULL), TG_INVALID_ARGUMENT, "[tg_transpose]", "out");
  CHECK_ERR(tg_cast(a, TG_FLOAT64, NULL), TG_INVALID_ARGUMENT, "[tg_cast]", "out");
  CHECK(r == sentinel);

  CHECK_OK(tg_tape_free(tape));
  CHECK_OK(tg_variable_free(v));
  tg_tensor_free(a);
}

int main(void) {
  test_elementwise();
  test_matmul();
  test_reductions();
  test_softmax();
  test_movement();
  test_shape_and_dtype_errors();
  test_handle_errors();
  return check_summary();
}
