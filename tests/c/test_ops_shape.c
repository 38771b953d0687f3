/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of the shape ops: expand_dims, squeeze, broadcast_to, concat, stack, split, slice,
 * pad, strided_slice, gather, one_hot, tile. Values against hand-computed numbers, gradients
 * through a tape, then bad input (shapes, dtypes, ranges, NULL / freed / wrong-type handles,
 * NULL out) with the status and the message.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static const int64_t s23[] = {2, 3};
static const double v23[] = {1, 2, 3, 4, 5, 6}; /* [[1,2,3],[4,5,6]] */

static void test_expand_squeeze_broadcast(void) {
  tg_tensor* x = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* r = NULL;
  {
    const int64_t want[] = {1, 2, 3};
    CHECK_OK(tg_expand_dims(x, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, want, 3, v23, 0);
    tg_tensor_free(r);
  }
  {
    const int64_t want[] = {2, 1, 3};
    CHECK_OK(tg_expand_dims(x, 1, &r));
    CHECK_TENSOR(r, TG_FLOAT32, want, 3, v23, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_expand_dims(x, -2, &r)); /* -2 of the rank-3 result is axis 1 */
    CHECK_TENSOR(r, TG_FLOAT32, want, 3, v23, 0);
    tg_tensor_free(r);
  }
  {
    const int64_t want[] = {2, 3, 1};
    CHECK_OK(tg_expand_dims(x, -1, &r));
    CHECK_TENSOR(r, TG_FLOAT32, want, 3, v23, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_expand_dims(x, 2, &r));
    CHECK_TENSOR(r, TG_FLOAT32, want, 3, v23, 0);
    tg_tensor_free(r);
  }
  {
    const int64_t s1213[] = {1, 2, 1, 3};
    tg_tensor* y = make_tensor(TG_INT64, s1213, 4, v23);
    const int64_t ax2[] = {2}, axm4[] = {-4}, twice[] = {0, -4};
    const int64_t w123[] = {1, 2, 3}, w213[] = {2, 1, 3};
    CHECK_OK(tg_squeeze(y, NULL, 0, &r)); /* every size-1 axis */
    CHECK_TENSOR(r, TG_INT64, s23, 2, v23, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_squeeze(y, ax2, 1, &r));
    CHECK_TENSOR(r, TG_INT64, w123, 3, v23, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_squeeze(y, axm4, 1, &r));
    CHECK_TENSOR(r, TG_INT64, w213, 3, v23, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_squeeze(y, twice, 2, &r)); /* the same axis twice is fine, as in TF */
    CHECK_TENSOR(r, TG_INT64, w213, 3, v23, 0);
    tg_tensor_free(r);
    tg_tensor_free(y);
  }
  {
    const int64_t s3[] = {3};
    const double row[] = {10, 20, 30};
    tg_tensor* b = make_tensor(TG_FLOAT64, s3, 1, row);
    const double want[] = {10, 20, 30, 10, 20, 30};
    CHECK_OK(tg_broadcast_to(b, s23, 2, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s23, 2, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(b);
  }
  tg_tensor_free(x);
}

static void test_concat_stack_split(void) {
  tg_tensor* a = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* r = NULL;
  {
    const int64_t s21[] = {2, 1}, s24[] = {2, 4};
    const double col[] = {7, 8};
    const double want[] = {1, 2, 3, 7, 4, 5, 6, 8};
    tg_tensor* b = make_tensor(TG_FLOAT32, s21, 2, col);
    tg_tensor* values[2];
    values[0] = a;
    values[1] = b;
    CHECK_OK(tg_concat(values, 2, 1, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s24, 2, want, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_concat(values, 2, -1, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s24, 2, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(b);
  }
  {
    const int64_t s13[] = {1, 3}, s33[] = {3, 3};
    const double row[] = {7, 8, 9};
    const double want[] = {7, 8, 9, 1, 2, 3, 4, 5, 6};
    tg_tensor* c = make_tensor(TG_FLOAT32, s13, 2, row);
    tg_tensor* values[2];
    values[0] = c;
    values[1] = a;
    CHECK_OK(tg_concat(values, 2, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s33, 2, want, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_concat(values, 1, 0, &r)); /* one tensor: returned as is */
    CHECK_TENSOR(r, TG_FLOAT32, s13, 2, row, 0);
    tg_tensor_free(r);
    tg_tensor_free(c);
  }
  {
    const int64_t s2[] = {2}, s5[] = {5};
    const double p[] = {1, 2}, q[] = {3, 4, 5};
    const int64_t s3[] = {3};
    const double want[] = {1, 2, 3, 4, 5};
    tg_tensor* i = make_tensor(TG_INT32, s2, 1, p);
    tg_tensor* j = make_tensor(TG_INT32, s3, 1, q);
    tg_tensor* values[2];
    values[0] = i;
    values[1] = j;
    CHECK_OK(tg_concat(values, 2, 0, &r));
    CHECK_TENSOR(r, TG_INT32, s5, 1, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(i);
    tg_tensor_free(j);
  }
  {
    const int64_t s2[] = {2}, s32[] = {3, 2};
    const double p[] = {1, 2}, q[] = {3, 4}, u[] = {5, 6};
    tg_tensor* t0 = make_tensor(TG_FLOAT64, s2, 1, p);
    tg_tensor* t1 = make_tensor(TG_FLOAT64, s2, 1, q);
    tg_tensor* t2 = make_tensor(TG_FLOAT64, s2, 1, u);
    tg_tensor* values[3];
    const double by_col[] = {1, 3, 5, 2, 4, 6};
    values[0] = t0;
    values[1] = t1;
    values[2] = t2;
    CHECK_OK(tg_stack(values, 3, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s32, 2, v23, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_stack(values, 3, 1, &r));
    {
      const int64_t s23b[] = {2, 3};
      CHECK_TENSOR(r, TG_FLOAT64, s23b, 2, by_col, 0);
    }
    tg_tensor_free(r);
    CHECK_OK(tg_stack(values, 3, -1, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s23, 2, by_col, 0);
    tg_tensor_free(r);
    {
      const int64_t s12[] = {1, 2};
      CHECK_OK(tg_stack(values, 1, 0, &r));
      CHECK_TENSOR(r, TG_FLOAT64, s12, 2, p, 0);
      tg_tensor_free(r);
    }
    tg_tensor_free(t0);
    tg_tensor_free(t1);
    tg_tensor_free(t2);
  }
  {
    const int64_t s26[] = {2, 6}, s22[] = {2, 2}, s21[] = {2, 1}, s23b[] = {2, 3};
    const double v[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    const double p0[] = {0, 1, 6, 7}, p1[] = {2, 3, 8, 9}, p2[] = {4, 5, 10, 11};
    const double q0[] = {0, 6}, q1[] = {1, 2, 3, 7, 8, 9};
    const int64_t sizes[] = {1, -1, 2};
    tg_tensor* x = make_tensor(TG_FLOAT32, s26, 2, v);
    tg_tensor* parts[3] = {NULL, NULL, NULL};
    int k;
    CHECK_OK(tg_split(x, NULL, 3, 1, parts));
    CHECK_TENSOR(parts[0], TG_FLOAT32, s22, 2, p0, 0);
    CHECK_TENSOR(parts[1], TG_FLOAT32, s22, 2, p1, 0);
    CHECK_TENSOR(parts[2], TG_FLOAT32, s22, 2, p2, 0);
    for (k = 0; k < 3; ++k) tg_tensor_free(parts[k]);
    CHECK_OK(tg_split(x, sizes, 3, -1, parts));
    CHECK_TENSOR(parts[0], TG_FLOAT32, s21, 2, q0, 0);
    CHECK_TENSOR(parts[1], TG_FLOAT32, s23b, 2, q1, 0);
    CHECK_TENSOR(parts[2], TG_FLOAT32, s22, 2, p2, 0);
    for (k = 0; k < 3; ++k) tg_tensor_free(parts[k]);
    {
      const int64_t s16[] = {1, 6};
      const double r0[] = {0, 1, 2, 3, 4, 5}, r1[] = {6, 7, 8, 9, 10, 11};
      CHECK_OK(tg_split(x, NULL, 2, 0, parts));
      CHECK_TENSOR(parts[0], TG_FLOAT32, s16, 2, r0, 0);
      CHECK_TENSOR(parts[1], TG_FLOAT32, s16, 2, r1, 0);
      tg_tensor_free(parts[0]);
      tg_tensor_free(parts[1]);
    }
    tg_tensor_free(x);
  }
  tg_tensor_free(a);
}

static void test_slice_pad(void) {
  tg_tensor* x = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* r = NULL;
  {
    const int64_t begin[] = {0, 1}, size[] = {2, -1}, s22[] = {2, 2};
    const double want[] = {2, 3, 5, 6};
    CHECK_OK(tg_slice(x, begin, size, 2, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s22, 2, want, 0);
    tg_tensor_free(r);
  }
  {
    const int64_t begin[] = {1, 0}, size[] = {1, 2}, s12[] = {1, 2};
    const double want[] = {4, 5};
    CHECK_OK(tg_slice(x, begin, size, 2, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s12, 2, want, 0);
    tg_tensor_free(r);
  }
  {
    const int64_t begin[] = {2, 3}, size[] = {0, 0}, s00[] = {0, 0};
    CHECK_OK(tg_slice(x, begin, size, 2, &r)); /* begin may equal the dim when size is 0 */
    CHECK_TENSOR(r, TG_FLOAT32, s00, 2, v23, 0);
    tg_tensor_free(r);
  }
  {
    const int64_t paddings[] = {1, 0, 0, 2}, s35[] = {3, 5};
    const double want[] = {0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0};
    CHECK_OK(tg_pad(x, paddings, 2, 0.0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s35, 2, want, 0);
    tg_tensor_free(r);
  }
  {
    const int64_t s2[] = {2}, s5[] = {5}, paddings[] = {2, 1};
    const double v[] = {7, 8}, want[] = {-1, -1, 7, 8, -1};
    tg_tensor* i = make_tensor(TG_INT32, s2, 1, v);
    CHECK_OK(tg_pad(i, paddings, 1, -1.0, &r));
    CHECK_TENSOR(r, TG_INT32, s5, 1, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(i);
  }
  tg_tensor_free(x);
}

static void test_strided_slice(void) {
  tg_tensor* x = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* r = NULL;
  {
    /* x[:, ::2] */
    const int64_t b[] = {0, 0}, e[] = {2, 3}, st[] = {1, 2}, s22[] = {2, 2};
    const double want[] = {1, 3, 4, 6};
    CHECK_OK(tg_strided_slice(x, b, e, st, 2, 0, 0, 0, 0, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s22, 2, want, 0);
    tg_tensor_free(r);
  }
  {
    /* x[::-1, ::-1] */
    const int64_t b[] = {0, 0}, e[] = {0, 0}, st[] = {-1, -1};
    const double want[] = {6, 5, 4, 3, 2, 1};
    CHECK_OK(tg_strided_slice(x, b, e, st, 2, 3, 3, 0, 0, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s23, 2, want, 0);
    tg_tensor_free(r);
  }
  {
    /* x[1]: shrink, the remaining axis taken whole */
    const int64_t b[] = {1}, e[] = {2}, st[] = {1}, s3[] = {3};
    const double want[] = {4, 5, 6};
    CHECK_OK(tg_strided_slice(x, b, e, st, 1, 0, 0, 0, 0, 1, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s3, 1, want, 0);
    tg_tensor_free(r);
  }
  {
    /* x[-1, ::-2] */
    const int64_t b[] = {-1, 0}, e[] = {0, 0}, st[] = {1, -2}, s2[] = {2};
    const double want[] = {6, 4};
    CHECK_OK(tg_strided_slice(x, b, e, st, 2, 2, 2, 0, 0, 1, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s2, 1, want, 0);
    tg_tensor_free(r);
  }
  {
    /* x[..., tf.newaxis] */
    const int64_t b[] = {0, 0}, e[] = {0, 0}, st[] = {1, 1}, s231[] = {2, 3, 1};
    CHECK_OK(tg_strided_slice(x, b, e, st, 2, 0, 0, 1, 2, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s231, 3, v23, 0);
    tg_tensor_free(r);
  }
  {
    /* x[:, 1:100]: begin_mask on axis 0, end clamped */
    const int64_t b[] = {5, 1}, e[] = {0, 100}, st[] = {1, 1}, s22[] = {2, 2};
    const double want[] = {2, 3, 5, 6};
    CHECK_OK(tg_strided_slice(x, b, e, st, 2, 1, 1, 0, 0, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s22, 2, want, 0);
    tg_tensor_free(r);
  }
  {
    /* x[1:0]: an empty range */
    const int64_t b[] = {1}, e[] = {0}, st[] = {1}, s03[] = {0, 3};
    CHECK_OK(tg_strided_slice(x, b, e, st, 1, 0, 0, 0, 0, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s03, 2, v23, 0);
    tg_tensor_free(r);
  }
  tg_tensor_free(x);
}

static void test_gather_one_hot_tile(void) {
  const int64_t s32[] = {3, 2};
  tg_tensor* p = make_tensor(TG_FLOAT32, s32, 2, v23); /* [[1,2],[3,4],[5,6]] */
  tg_tensor* r = NULL;
  {
    const int64_t s3[] = {3};
    const double idx[] = {2, 0, 2}, want[] = {5, 6, 1, 2, 5, 6};
    tg_tensor* i = make_tensor(TG_INT32, s3, 1, idx);
    CHECK_OK(tg_gather(p, i, 0, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s32, 2, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(i);
  }
  {
    const int64_t s21[] = {2, 1}, s321[] = {3, 2, 1};
    const double idx[] = {1, 0}, want[] = {2, 1, 4, 3, 6, 5};
    tg_tensor* i = make_tensor(TG_INT64, s21, 2, idx);
    CHECK_OK(tg_gather(p, i, -1, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s321, 3, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(i);
  }
  {
    tg_tensor* i = make_scalar(TG_INT32, 1);
    const int64_t s2[] = {2};
    const double want[] = {3, 4};
    CHECK_OK(tg_gather(p, i, 0, &r)); /* a scalar index removes the axis */
    CHECK_TENSOR(r, TG_FLOAT32, s2, 1, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(i);
  }
  {
    const int64_t s4[] = {4}, s43[] = {4, 3};
    const double idx[] = {0, 2, -1, 5};
    const double want[] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    tg_tensor* i = make_tensor(TG_INT32, s4, 1, idx);
    CHECK_OK(tg_one_hot(i, 3, 1.0, 0.0, -1, TG_FLOAT32, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s43, 2, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(i);
  }
  {
    const int64_t s2[] = {2};
    const double idx[] = {1, 0};
    const double want[] = {-1, 5, 5, -1, -1, -1};
    tg_tensor* i = make_tensor(TG_INT64, s2, 1, idx);
    CHECK_OK(tg_one_hot(i, 3, 5.0, -1.0, 0, TG_INT64, &r));
    CHECK_TENSOR(r, TG_INT64, s32, 2, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(i);
  }
  {
    const int64_t s2[] = {2}, s6[] = {6}, three[] = {3};
    const double v[] = {1, 2}, want[] = {1, 2, 1, 2, 1, 2};
    tg_tensor* x = make_tensor(TG_FLOAT64, s2, 1, v);
    CHECK_OK(tg_tile(x, three, 1, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s6, 1, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(x);
  }
  {
    tg_tensor* x = make_tensor(TG_INT32, s23, 2, v23);
    const int64_t m21[] = {2, 1}, m12[] = {1, 2}, s43[] = {4, 3}, s26[] = {2, 6};
    const double rows[] = {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6};
    const double cols[] = {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6};
    CHECK_OK(tg_tile(x, m21, 2, &r));
    CHECK_TENSOR(r, TG_INT32, s43, 2, rows, 0);
    tg_tensor_free(r);
    CHECK_OK(tg_tile(x, m12, 2, &r));
    CHECK_TENSOR(r, TG_INT32, s26, 2, cols, 0);
    tg_tensor_free(r);
    tg_tensor_free(x);
  }
  tg_tensor_free(p);
}

/* Every dtype moves through the shape ops: bool, int64 and int32 values. */
static void test_other_dtypes(void) {
  tg_tensor* r = NULL;
  const int64_t s4[] = {4}, s2[] = {2}, s22[] = {2, 2};
  const double flags[] = {1, 0, 0, 1};
  const double big[] = {5000000000.0, -3, 7, 9};
  tg_tensor* b = make_tensor(TG_BOOL, s4, 1, flags);
  tg_tensor* l = make_tensor(TG_INT64, s4, 1, big);
  {
    const int64_t two[] = {2}, s8[] = {8};
    const double want[] = {1, 0, 0, 1, 1, 0, 0, 1};
    CHECK_OK(tg_tile(b, two, 1, &r));
    CHECK_TENSOR(r, TG_BOOL, s8, 1, want, 0);
    tg_tensor_free(r);
  }
  {
    const int64_t paddings[] = {1, 1}, s6[] = {6};
    const double want[] = {1, 1, 0, 0, 1, 1};
    CHECK_OK(tg_pad(b, paddings, 1, 1.0, &r));
    CHECK_TENSOR(r, TG_BOOL, s6, 1, want, 0);
    tg_tensor_free(r);
  }
  {
    const double idx[] = {0, 3};
    const double want[] = {5000000000.0, 9};
    tg_tensor* i = make_tensor(TG_INT64, s2, 1, idx);
    CHECK_OK(tg_gather(l, i, 0, &r));
    CHECK_TENSOR(r, TG_INT64, s2, 1, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(i);
  }
  {
    /* l[::-3] = [9, 5e9] */
    const int64_t bgn[] = {0}, end[] = {0}, st[] = {-3};
    const double want[] = {9, 5000000000.0};
    CHECK_OK(tg_strided_slice(l, bgn, end, st, 1, 1, 1, 0, 0, 0, &r));
    CHECK_TENSOR(r, TG_INT64, s2, 1, want, 0);
    tg_tensor_free(r);
  }
  {
    tg_tensor* values[2];
    const double want[] = {1, 0, 0, 1, 1, 0, 0, 1};
    const int64_t s24[] = {2, 4};
    values[0] = b;
    values[1] = b;
    CHECK_OK(tg_stack(values, 2, 0, &r));
    CHECK_TENSOR(r, TG_BOOL, s24, 2, want, 0);
    tg_tensor_free(r);
  }
  {
    const int64_t begin[] = {1}, size[] = {2};
    const double want[] = {-3, 7};
    CHECK_OK(tg_slice(l, begin, size, 1, &r));
    CHECK_TENSOR(r, TG_INT64, s2, 1, want, 0);
    tg_tensor_free(r);
  }
  {
    const double idx[] = {1, 1};
    const double want[] = {0, 0, 1, 1};
    tg_tensor* i = make_tensor(TG_INT32, s2, 1, idx);
    CHECK_OK(tg_one_hot(i, 2, 1, 0, 0, TG_BOOL, &r));
    CHECK_TENSOR(r, TG_BOOL, s22, 2, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(i);
  }
  tg_tensor_free(b);
  tg_tensor_free(l);
}

/* d sum(op(x)) / dx through a tape, for each op; checks the gradient's values. */
static void test_gradients(void) {
  const int64_t s32[] = {3, 2};
  tg_tensor* x = make_tensor(TG_FLOAT64, s23, 2, v23);
  tg_tensor* p = make_tensor(TG_FLOAT64, s32, 2, v23);
  const int64_t s3[] = {3};
  const double idx[] = {2, 0, 2};
  tg_tensor* i = make_tensor(TG_INT32, s3, 1, idx);
  tg_tape* tape = NULL;
  tg_tensor *y1 = NULL, *y2 = NULL, *y3 = NULL, *y4 = NULL, *y5 = NULL, *y6 = NULL;
  tg_tensor* grads[2] = {NULL, NULL};
  const void* targets[1];
  const void* sources[2];

  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_tape_watch(tape, p));
  {
    const int64_t begin[] = {0, 1}, size[] = {2, -1};
    const int64_t paddings[] = {0, 1, 1, 0};
    const int64_t b[] = {0, 0}, e[] = {2, 3}, st[] = {1, 2}, two[] = {1, 2};
    tg_tensor* values[2];
    CHECK_OK(tg_gather(p, i, 0, &y1));
    CHECK_OK(tg_slice(x, begin, size, 2, &y2));
    CHECK_OK(tg_pad(x, paddings, 2, 7.0, &y3));
    CHECK_OK(tg_strided_slice(x, b, e, st, 2, 0, 0, 0, 0, 0, &y4));
    CHECK_OK(tg_tile(x, two, 2, &y5));
    values[0] = x;
    values[1] = x;
    CHECK_OK(tg_stack(values, 2, 0, &y6));
  }
  CHECK_OK(tg_tape_end(tape));

  sources[0] = x;
  sources[1] = p;
  targets[0] = y1; /* duplicate index 2 collects two gradients; index 1 none */
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources + 1, 1, grads));
  {
    const double want[] = {1, 1, 0, 0, 2, 2};
    CHECK_TENSOR(grads[0], TG_FLOAT64, s32, 2, want, 0);
    tg_tensor_free(grads[0]);
  }
  targets[0] = y2;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, grads));
  {
    const double want[] = {0, 1, 1, 0, 1, 1};
    CHECK_TENSOR(grads[0], TG_FLOAT64, s23, 2, want, 0);
    tg_tensor_free(grads[0]);
  }
  targets[0] = y3; /* the padding constant has no gradient */
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, grads));
  {
    const double want[] = {1, 1, 1, 1, 1, 1};
    CHECK_TENSOR(grads[0], TG_FLOAT64, s23, 2, want, 0);
    tg_tensor_free(grads[0]);
  }
  targets[0] = y4;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, grads));
  {
    const double want[] = {1, 0, 1, 1, 0, 1};
    CHECK_TENSOR(grads[0], TG_FLOAT64, s23, 2, want, 0);
    tg_tensor_free(grads[0]);
  }
  targets[0] = y5;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, grads));
  {
    const double want[] = {2, 2, 2, 2, 2, 2};
    CHECK_TENSOR(grads[0], TG_FLOAT64, s23, 2, want, 0);
    tg_tensor_free(grads[0]);
  }
  targets[0] = y6;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, grads));
  {
    const double want[] = {2, 2, 2, 2, 2, 2};
    CHECK_TENSOR(grads[0], TG_FLOAT64, s23, 2, want, 0);
    CHECK(grads[1] == NULL); /* p is not connected to the stack */
    tg_tensor_free(grads[0]);
  }
  tg_tensor_free(y1);
  tg_tensor_free(y2);
  tg_tensor_free(y3);
  tg_tensor_free(y4);
  tg_tensor_free(y5);
  tg_tensor_free(y6);
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(x);
  tg_tensor_free(p);
  tg_tensor_free(i);
}

static void test_bad_input(void) {
  tg_tensor* a = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* a64 = make_tensor(TG_FLOAT64, s23, 2, v23);
  tg_tensor* ai = make_tensor(TG_INT32, s23, 2, v23);
  tg_tensor* scalar = make_scalar(TG_FLOAT32, 1.0);
  tg_tensor* sentinel = (tg_tensor*)&sentinel;
  tg_tensor* r = sentinel;

  /* expand_dims, squeeze, broadcast_to */
  {
    const int64_t ax1[] = {1}, ax2[] = {2}, s33[] = {3, 3}, neg[] = {-1, 3};
    const int64_t rank8[] = {1, 1, 1, 1, 1, 1, 1, 1};
    tg_tensor* big = make_tensor(TG_FLOAT32, rank8, 8, v23);
    CHECK_ERR(tg_expand_dims(a, 3, &r), TG_INVALID_ARGUMENT, "[tg_expand_dims]", "expand_dims",
              "axis 3", "(2,3)");
    CHECK_ERR(tg_expand_dims(a, -4, &r), TG_INVALID_ARGUMENT, "[tg_expand_dims]", "axis -4");
    CHECK_ERR(tg_expand_dims(big, 0, &r), TG_INVALID_ARGUMENT, "[tg_expand_dims]", "rank 8");
    CHECK_ERR(tg_squeeze(a, ax1, 1, &r), TG_INVALID_ARGUMENT, "[tg_squeeze]", "squeeze",
              "axis 1", "(2,3)", "got 3");
    CHECK_ERR(tg_squeeze(a, ax2, 1, &r), TG_INVALID_ARGUMENT, "[tg_squeeze]", "axis 2",
              "out of range");
    CHECK_ERR(tg_squeeze(a, NULL, 1, &r), TG_INVALID_ARGUMENT, "[tg_squeeze]", "axes is NULL");
    CHECK_ERR(tg_broadcast_to(a, s33, 2, &r), TG_INVALID_ARGUMENT, "[tg_broadcast_to]",
              "broadcast_to", "(2,3)", "(3,3)");
    CHECK_ERR(tg_broadcast_to(a, neg, 2, &r), TG_INVALID_ARGUMENT, "[tg_broadcast_to]",
              "negative dimension -1");
    CHECK_ERR(tg_broadcast_to(a, NULL, 2, &r), TG_INVALID_ARGUMENT, "[tg_broadcast_to]",
              "shape is NULL");
    tg_tensor_free(big);
  }

  /* concat, stack */
  {
    const int64_t s3[] = {3}, s22[] = {2, 2};
    tg_tensor* vec = make_tensor(TG_FLOAT32, s3, 1, v23);
    tg_tensor* sq = make_tensor(TG_FLOAT32, s22, 2, v23);
    tg_tensor* values[2];
    values[0] = a;
    values[1] = vec;
    CHECK_ERR(tg_concat(values, 2, 0, &r), TG_INVALID_ARGUMENT, "[tg_concat]", "concat", "ranks",
              "(2,3)", "(3)");
    values[1] = sq;
    CHECK_ERR(tg_concat(values, 2, 0, &r), TG_INVALID_ARGUMENT, "[tg_concat]", "dimension 1",
              "(2,3)", "(2,2)");
    CHECK_OK(tg_concat(values, 2, 1, &r)); /* along axis 1 they fit */
    tg_tensor_free(r);
    r = sentinel;
    values[1] = a64;
    CHECK_ERR(tg_concat(values, 2, 0, &r), TG_INVALID_ARGUMENT, "[tg_concat]", "float32",
              "float64");
    values[1] = a;
    CHECK_ERR(tg_concat(values, 2, 2, &r), TG_INVALID_ARGUMENT, "[tg_concat]", "axis 2",
              "[-2, 2)");
    CHECK_ERR(tg_concat(values, 2, -3, &r), TG_INVALID_ARGUMENT, "[tg_concat]", "axis -3");
    CHECK_ERR(tg_concat(values, 0, 0, &r), TG_INVALID_ARGUMENT, "[tg_concat]", "at least one");
    CHECK_ERR(tg_concat(NULL, 2, 0, &r), TG_INVALID_ARGUMENT, "[tg_concat]", "values is NULL");
    values[0] = scalar;
    values[1] = scalar;
    CHECK_ERR(tg_concat(values, 2, 0, &r), TG_INVALID_ARGUMENT, "[tg_concat]", "scalars");
    values[0] = a;
    values[1] = sq;
    CHECK_ERR(tg_stack(values, 2, 0, &r), TG_INVALID_ARGUMENT, "[tg_stack]", "stack", "(2,3)",
              "(2,2)");
    values[1] = ai;
    CHECK_ERR(tg_stack(values, 2, 0, &r), TG_INVALID_ARGUMENT, "[tg_stack]", "float32", "int32");
    values[1] = a;
    CHECK_ERR(tg_stack(values, 2, 3, &r), TG_INVALID_ARGUMENT, "[tg_stack]", "axis 3",
              "[-3, 3)");
    CHECK_ERR(tg_stack(values, 0, 0, &r), TG_INVALID_ARGUMENT, "[tg_stack]", "at least one");
    CHECK_ERR(tg_stack(NULL, 1, 0, &r), TG_INVALID_ARGUMENT, "[tg_stack]", "values is NULL");
    tg_tensor_free(vec);
    tg_tensor_free(sq);
  }

  /* split: on error nothing is written */
  {
    tg_tensor* parts[3];
    const int64_t short_sizes[] = {1, 1}, two_infer[] = {-1, -1, 3}, negative[] = {4, -2, 1};
    parts[0] = parts[1] = parts[2] = sentinel;
    CHECK_ERR(tg_split(a, NULL, 2, 1, parts), TG_INVALID_ARGUMENT, "[tg_split]", "split",
              "2 parts", "(2,3)");
    CHECK_ERR(tg_split(a, short_sizes, 2, 1, parts), TG_INVALID_ARGUMENT, "[tg_split]",
              "add up", "(2,3)");
    CHECK_ERR(tg_split(a, two_infer, 3, 1, parts), TG_INVALID_ARGUMENT, "[tg_split]",
              "more than one size is -1");
    CHECK_ERR(tg_split(a, negative, 3, 1, parts), TG_INVALID_ARGUMENT, "[tg_split]",
              "sizes[1] = -2");
    CHECK_ERR(tg_split(a, NULL, 3, 2, parts), TG_INVALID_ARGUMENT, "[tg_split]", "axis 2");
    CHECK_ERR(tg_split(a, NULL, 0, 0, parts), TG_INVALID_ARGUMENT, "[tg_split]",
              "num_outputs must be at least 1");
    CHECK_ERR(tg_split(scalar, NULL, 1, 0, parts), TG_INVALID_ARGUMENT, "[tg_split]", "scalar");
    CHECK_ERR(tg_split(a, NULL, 3, 1, NULL), TG_INVALID_ARGUMENT, "[tg_split]", "outputs");
    CHECK(parts[0] == sentinel && parts[1] == sentinel && parts[2] == sentinel);
  }

  /* slice, pad */
  {
    const int64_t begin_far[] = {3, 0}, begin_neg[] = {-1, 0}, begin_ok[] = {0, 1};
    const int64_t size_big[] = {1, 3}, size_ok[] = {1, 1}, size_neg[] = {-2, 1};
    const int64_t pad_neg[] = {0, 0, -1, 2}, pad_ok[] = {1, 1, 1, 1};
    CHECK_ERR(tg_slice(a, begin_far, size_ok, 2, &r), TG_INVALID_ARGUMENT, "[tg_slice]", "slice",
              "begin[0] = 3", "[0, 2]", "(2,3)");
    CHECK_ERR(tg_slice(a, begin_neg, size_ok, 2, &r), TG_INVALID_ARGUMENT, "[tg_slice]",
              "begin[0] = -1");
    CHECK_ERR(tg_slice(a, begin_ok, size_big, 2, &r), TG_INVALID_ARGUMENT, "[tg_slice]",
              "size[1] = 3", "[0, 2]");
    CHECK_ERR(tg_slice(a, begin_ok, size_neg, 2, &r), TG_INVALID_ARGUMENT, "[tg_slice]",
              "size[0] = -2");
    CHECK_ERR(tg_slice(a, begin_ok, size_ok, 1, &r), TG_INVALID_ARGUMENT, "[tg_slice]",
              "length 2", "(2,3)");
    CHECK_ERR(tg_slice(a, NULL, size_ok, 2, &r), TG_INVALID_ARGUMENT, "[tg_slice]",
              "begin is NULL");
    CHECK_ERR(tg_pad(a, pad_neg, 2, 0.0, &r), TG_INVALID_ARGUMENT, "[tg_pad]", "pad",
              "non-negative", "axis 1");
    CHECK_ERR(tg_pad(a, pad_ok, 1, 0.0, &r), TG_INVALID_ARGUMENT, "[tg_pad]", "2 entries",
              "expected 4", "(2,3)");
    CHECK_ERR(tg_pad(ai, pad_ok, 2, 1e10, &r), TG_INVALID_ARGUMENT, "[tg_pad]",
              "not representable as int32");
    CHECK_ERR(tg_pad(a, NULL, 2, 0.0, &r), TG_INVALID_ARGUMENT, "[tg_pad]", "paddings is NULL");
    CHECK_ERR(tg_pad(a, pad_ok, -1, 0.0, &r), TG_INVALID_ARGUMENT, "[tg_pad]", "rank -1");
  }

  /* strided_slice */
  {
    const int64_t b[] = {0, 0}, e[] = {2, 3}, zero_stride[] = {1, 0}, st[] = {1, 1};
    const int64_t far[] = {5, 0}, b3[] = {0, 0, 0}, neg_st[] = {-1, 1};
    CHECK_ERR(tg_strided_slice(a, b, e, zero_stride, 2, 0, 0, 0, 0, 0, &r), TG_INVALID_ARGUMENT,
              "[tg_strided_slice]", "strided_slice", "strides[1] must be non-zero");
    CHECK_ERR(tg_strided_slice(a, far, e, st, 2, 0, 0, 0, 0, 1, &r), TG_INVALID_ARGUMENT,
              "[tg_strided_slice]", "index 5 of axis 0", "out of bounds", "(2,3)");
    CHECK_ERR(tg_strided_slice(a, b, e, neg_st, 2, 0, 0, 0, 0, 1, &r), TG_INVALID_ARGUMENT,
              "[tg_strided_slice]", "stride -1");
    CHECK_ERR(tg_strided_slice(a, b, e, st, 2, 0, 0, 3, 0, 0, &r), TG_INVALID_ARGUMENT,
              "[tg_strided_slice]", "multiple ellipses");
    CHECK_ERR(tg_strided_slice(a, b3, b3, b3, 3, 0, 0, 0, 0, 0, &r), TG_INVALID_ARGUMENT,
              "[tg_strided_slice]", "(2,3)", "only 2 axes");
    CHECK_ERR(tg_strided_slice(a, NULL, e, st, 2, 0, 0, 0, 0, 0, &r), TG_INVALID_ARGUMENT,
              "[tg_strided_slice]", "begin is NULL");
  }

  /* gather, one_hot, tile */
  {
    const int64_t s2[] = {2}, s22[] = {2, 2};
    const double bad[] = {0, 3}, ok[] = {1, 0}, nested_bad[] = {0, 1, 1, -1};
    tg_tensor* idx_bad = make_tensor(TG_INT32, s2, 1, bad);
    tg_tensor* idx_nested = make_tensor(TG_INT64, s22, 2, nested_bad);
    tg_tensor* idx_float = make_tensor(TG_FLOAT32, s2, 1, ok);
    tg_tensor* idx = make_tensor(TG_INT32, s2, 1, ok);
    const int64_t m_short[] = {2}, m_neg[] = {1, -1};
    CHECK_ERR(tg_gather(a, idx_bad, 0, &r), TG_INVALID_ARGUMENT, "[tg_gather]", "gather",
              "indices[1] = 3", "[0, 2)");
    CHECK_ERR(tg_gather(a, idx_nested, -1, &r), TG_INVALID_ARGUMENT, "[tg_gather]",
              "indices[1,1] = -1", "[0, 3)");
    CHECK_ERR(tg_gather(a, idx_float, 0, &r), TG_INVALID_ARGUMENT, "[tg_gather]",
              "int32 or int64", "float32");
    CHECK_ERR(tg_gather(a, idx, 2, &r), TG_INVALID_ARGUMENT, "[tg_gather]", "axis 2", "(2,3)");
    CHECK_ERR(tg_gather(scalar, idx, 0, &r), TG_INVALID_ARGUMENT, "[tg_gather]", "rank >= 1");
    CHECK_ERR(tg_gather(a, NULL, 0, &r), TG_INVALID_HANDLE, "[tg_gather]", "indices is NULL");
    CHECK_ERR(tg_one_hot(idx_float, 3, 1, 0, -1, TG_FLOAT32, &r), TG_INVALID_ARGUMENT,
              "[tg_one_hot]", "one_hot", "int32 or int64", "float32");
    CHECK_ERR(tg_one_hot(idx, -1, 1, 0, -1, TG_FLOAT32, &r), TG_INVALID_ARGUMENT, "[tg_one_hot]",
              "depth must be non-negative", "-1");
    CHECK_ERR(tg_one_hot(idx, 3, 1, 0, 2, TG_FLOAT32, &r), TG_INVALID_ARGUMENT, "[tg_one_hot]",
              "axis", "got 2", "(2)");
    CHECK_ERR(tg_one_hot(idx, 3, 1, 0, -2, TG_FLOAT32, &r), TG_INVALID_ARGUMENT, "[tg_one_hot]",
              "got -2");
    CHECK_ERR(tg_one_hot(idx, 3, 1e20, 0, -1, TG_INT32, &r), TG_INVALID_ARGUMENT, "[tg_one_hot]",
              "on_value", "int32");
    CHECK_ERR(tg_one_hot(idx, 3, 1, 0, -1, (tg_dtype)42, &r), TG_INVALID_ARGUMENT,
              "[tg_one_hot]", "dtype 42");
    CHECK_ERR(tg_tile(a, m_short, 1, &r), TG_INVALID_ARGUMENT, "[tg_tile]", "tile",
              "expected 2 multiples", "(2,3)", "got 1");
    CHECK_ERR(tg_tile(a, m_neg, 2, &r), TG_INVALID_ARGUMENT, "[tg_tile]", "multiples[1] = -1");
    CHECK_ERR(tg_tile(a, NULL, 2, &r), TG_INVALID_ARGUMENT, "[tg_tile]", "multiples is NULL");
    tg_tensor_free(idx_bad);
    tg_tensor_free(idx_nested);
    tg_tensor_free(idx_float);
    tg_tensor_free(idx);
  }
  CHECK(r == sentinel);
  tg_tensor_free(a);
  tg_tensor_free(a64);
  tg_tensor_free(ai);
  tg_tensor_free(scalar);
}

static void test_handle_errors(void) {
  tg_tensor* a = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* freed = make_tensor(TG_FLOAT32, s23, 2, v23);
  tg_tensor* idx = make_scalar(TG_INT32, 0);
  tg_tensor* sentinel = (tg_tensor*)&sentinel;
  tg_tensor* r = sentinel;
  tg_tensor* parts[2];
  tg_variable* v = NULL;
  tg_tape* tape = NULL;
  tg_tensor* var_as_tensor;
  const tg_tensor* tape_as_tensor;
  tg_tensor* values[2];
  const int64_t ax0[] = {0}, b[] = {0, 0}, sz[] = {1, 1}, pads[] = {0, 0, 0, 0}, m[] = {1, 1};
  const int64_t e[] = {1, 1}, st[] = {1, 1};

  CHECK_OK(tg_variable_create("v", a, 1, &v));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tensor_free(freed));
  var_as_tensor = (tg_tensor*)v;
  tape_as_tensor = (const tg_tensor*)tape;
  parts[0] = parts[1] = sentinel;

  /* NULL handles */
  CHECK_ERR(tg_expand_dims(NULL, 0, &r), TG_INVALID_HANDLE, "[tg_expand_dims]", "x is NULL");
  CHECK_ERR(tg_squeeze(NULL, ax0, 1, &r), TG_INVALID_HANDLE, "[tg_squeeze]", "x is NULL");
  CHECK_ERR(tg_broadcast_to(NULL, s23, 2, &r), TG_INVALID_HANDLE, "[tg_broadcast_to]",
            "x is NULL");
  values[0] = a;
  values[1] = NULL;
  CHECK_ERR(tg_concat(values, 2, 0, &r), TG_INVALID_HANDLE, "[tg_concat]", "values[1] is NULL");
  CHECK_ERR(tg_stack(values, 2, 0, &r), TG_INVALID_HANDLE, "[tg_stack]", "values[1] is NULL");
  CHECK_ERR(tg_split(NULL, NULL, 2, 0, parts), TG_INVALID_HANDLE, "[tg_split]", "x is NULL");
  CHECK_ERR(tg_slice(NULL, b, sz, 2, &r), TG_INVALID_HANDLE, "[tg_slice]", "x is NULL");
  CHECK_ERR(tg_pad(NULL, pads, 2, 0.0, &r), TG_INVALID_HANDLE, "[tg_pad]", "x is NULL");
  CHECK_ERR(tg_strided_slice(NULL, b, e, st, 2, 0, 0, 0, 0, 0, &r), TG_INVALID_HANDLE,
            "[tg_strided_slice]", "x is NULL");
  CHECK_ERR(tg_gather(NULL, idx, 0, &r), TG_INVALID_HANDLE, "[tg_gather]", "params is NULL");
  CHECK_ERR(tg_one_hot(NULL, 3, 1, 0, -1, TG_FLOAT32, &r), TG_INVALID_HANDLE, "[tg_one_hot]",
            "indices is NULL");
  CHECK_ERR(tg_tile(NULL, m, 2, &r), TG_INVALID_HANDLE, "[tg_tile]", "x is NULL");

  /* freed handles */
  values[1] = freed;
  CHECK_ERR(tg_concat(values, 2, 0, &r), TG_INVALID_HANDLE, "[tg_concat]", "values[1]",
            "not a live");
  CHECK_ERR(tg_stack(values, 2, 0, &r), TG_INVALID_HANDLE, "[tg_stack]", "not a live");
  CHECK_ERR(tg_expand_dims(freed, 0, &r), TG_INVALID_HANDLE, "[tg_expand_dims]", "not a live");
  CHECK_ERR(tg_slice(freed, b, sz, 2, &r), TG_INVALID_HANDLE, "[tg_slice]", "not a live");
  CHECK_ERR(tg_gather(a, freed, 0, &r), TG_INVALID_HANDLE, "[tg_gather]", "indices",
            "not a live");
  CHECK_ERR(tg_split(freed, NULL, 2, 0, parts), TG_INVALID_HANDLE, "[tg_split]", "not a live");
  CHECK_ERR(tg_tile(freed, m, 2, &r), TG_INVALID_HANDLE, "[tg_tile]", "not a live");

  /* wrong-type handles */
  values[1] = var_as_tensor;
  CHECK_ERR(tg_concat(values, 2, 0, &r), TG_INVALID_HANDLE, "[tg_concat]",
            "values[1] is a tg_variable, expected a tg_tensor");
  CHECK_ERR(tg_pad(tape_as_tensor, pads, 2, 0.0, &r), TG_INVALID_HANDLE, "[tg_pad]",
            "is a tg_tape, expected a tg_tensor");
  CHECK_ERR(tg_one_hot(var_as_tensor, 3, 1, 0, -1, TG_FLOAT32, &r), TG_INVALID_HANDLE,
            "[tg_one_hot]", "is a tg_variable");
  CHECK_ERR(tg_strided_slice(tape_as_tensor, b, e, st, 2, 0, 0, 0, 0, 0, &r), TG_INVALID_HANDLE,
            "[tg_strided_slice]", "is a tg_tape");
  CHECK_ERR(tg_squeeze(var_as_tensor, NULL, 0, &r), TG_INVALID_HANDLE, "[tg_squeeze]",
            "is a tg_variable");

  /* NULL out */
  values[1] = a;
  CHECK_ERR(tg_expand_dims(a, 0, NULL), TG_INVALID_ARGUMENT, "[tg_expand_dims]", "out");
  CHECK_ERR(tg_squeeze(a, NULL, 0, NULL), TG_INVALID_ARGUMENT, "[tg_squeeze]", "out");
  CHECK_ERR(tg_broadcast_to(a, s23, 2, NULL), TG_INVALID_ARGUMENT, "[tg_broadcast_to]", "out");
  CHECK_ERR(tg_concat(values, 2, 0, NULL), TG_INVALID_ARGUMENT, "[tg_concat]", "out");
  CHECK_ERR(tg_stack(values, 2, 0, NULL), TG_INVALID_ARGUMENT, "[tg_stack]", "out");
  CHECK_ERR(tg_slice(a, b, sz, 2, NULL), TG_INVALID_ARGUMENT, "[tg_slice]", "out");
  CHECK_ERR(tg_pad(a, pads, 2, 0.0, NULL), TG_INVALID_ARGUMENT, "[tg_pad]", "out");
  CHECK_ERR(tg_strided_slice(a, b, e, st, 2, 0, 0, 0, 0, 0, NULL), TG_INVALID_ARGUMENT,
            "[tg_strided_slice]", "out");
  CHECK_ERR(tg_gather(a, idx, 0, NULL), TG_INVALID_ARGUMENT, "[tg_gather]", "out");
  CHECK_ERR(tg_one_hot(idx, 3, 1, 0, -1, TG_FLOAT32, NULL), TG_INVALID_ARGUMENT, "[tg_one_hot]",
            "out");
  CHECK_ERR(tg_tile(a, m, 2, NULL), TG_INVALID_ARGUMENT, "[tg_tile]", "out");
  CHECK(r == sentinel);
  CHECK(parts[0] == sentinel && parts[1] == sentinel);

  CHECK_OK(tg_tape_free(tape));
  CHECK_OK(tg_variable_free(v));
  tg_tensor_free(a);
  tg_tensor_free(idx);
}

/* concat and stack take any number of inputs: 40 scalars stacked under a tape, each gets
 * its own gradient (the weight of its position). */
static void test_many_inputs(void) {
  enum { N = 40 };
  tg_tensor* xs[N];
  tg_tensor* values[N];
  const void* sources[N];
  tg_tensor* grads[N];
  tg_tensor *y = NULL, *w = NULL, *yw = NULL;
  tg_tape* tape = NULL;
  const void* targets[1];
  double weights[N], want[N];
  const int64_t sn[] = {N};
  int k;
  for (k = 0; k < N; ++k) {
    xs[k] = make_scalar(TG_FLOAT64, k);
    values[k] = xs[k];
    sources[k] = xs[k];
    grads[k] = NULL;
    weights[k] = k + 1;
    want[k] = k;
  }
  w = make_tensor(TG_FLOAT64, sn, 1, weights);
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  for (k = 0; k < N; ++k) CHECK_OK(tg_tape_watch(tape, xs[k]));
  CHECK_OK(tg_stack(values, N, 0, &y));
  CHECK_OK(tg_mul(y, w, &yw));
  CHECK_OK(tg_tape_end(tape));
  CHECK_TENSOR(y, TG_FLOAT64, sn, 1, want, 0);
  targets[0] = yw;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, N, grads));
  for (k = 0; k < N; ++k) {
    CHECK_NEAR(item_of(grads[k]), k + 1, 0);
    tg_tensor_free(grads[k]);
    tg_tensor_free(xs[k]);
  }
  tg_tensor_free(y);
  tg_tensor_free(w);
  tg_tensor_free(yw);
  CHECK_OK(tg_tape_free(tape));
}

int main(void) {
  test_expand_squeeze_broadcast();
  test_concat_stack_split();
  test_slice_pad();
  test_strided_slice();
  test_gather_one_hot_tile();
  test_other_dtypes();
  test_gradients();
  test_many_inputs();
  test_bad_input();
  test_handle_errors();
  return check_summary();
}
