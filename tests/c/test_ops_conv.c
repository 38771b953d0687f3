/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of convolution, pooling and normalization (tg_conv2d, tg_conv2d_backprop_*,
 * tg_conv1d, tg_max_pool2d, tg_avg_pool2d, the global pools, tg_fused_batch_norm,
 * tg_batch_normalization, tg_layer_normalization): values and gradients against numbers
 * worked out by hand (each comment shows the arithmetic), then bad input.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

/* The gradients of sum(out) w.r.t. each source (ones as the output gradient). */
static void grads_of_sum(tg_tape* tape, tg_tensor* out, tg_tensor* const* sources, size_t n,
                         tg_tensor** grads) {
  const void* targets[1];
  const void* src[4];
  size_t i;
  targets[0] = out;
  for (i = 0; i < n; ++i) src[i] = sources[i];
  CHECK_OK(tg_tape_gradient(tape, targets, 1, src, n, grads));
}

/* x = [[1,2,3],[4,5,6],[7,8,9]] (1,3,3,1), w = [[1,2],[3,4]] (2,2,1,1), valid:
 *   out[0,0] = 1·1 + 2·2 + 4·3 + 5·4 = 37    out[0,1] = 2·1 + 3·2 + 5·3 + 6·4 = 47
 *   out[1,0] = 4·1 + 5·2 + 7·3 + 8·4 = 67    out[1,1] = 5·1 + 6·2 + 8·3 + 9·4 = 77
 * d sum(out) / dw[kh,kw] = the sum of the x cells that tap meets: w00 meets 1,2,4,5 = 12,
 *   w01: 2,3,5,6 = 16, w10: 4,5,7,8 = 24, w11: 5,6,8,9 = 28.
 * d sum(out) / dx = the sum of the taps covering each cell:
 *   [[1, 1+2, 2], [1+3, 1+2+3+4, 2+4], [3, 3+4, 4]].
 * With a bias of 0.5 every output grows by 0.5, and d sum(out) / dbias = 4 (four outputs). */
static void test_conv2d_by_hand(void) {
  const int64_t xs[] = {1, 3, 3, 1}, ws[] = {2, 2, 1, 1}, ys[] = {1, 2, 2, 1};
  const double xv[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, wv[] = {1, 2, 3, 4};
  const double want_y[] = {37, 47, 67, 77};
  const double want_dw[] = {12, 16, 24, 28};
  const double want_dx[] = {1, 3, 2, 4, 10, 6, 3, 7, 4};
  int dt;
  for (dt = 0; dt < 2; ++dt) {
    const tg_dtype dtype = dt ? TG_FLOAT64 : TG_FLOAT32;
    tg_tensor* x = make_tensor(dtype, xs, 4, xv);
    tg_tensor* w = make_tensor(dtype, ws, 4, wv);
    tg_tensor *y = NULL, *grads[2] = {NULL, NULL}, *sources[2];
    tg_tape* tape = NULL;
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
    CHECK_OK(tg_tape_watch(tape, x));
    CHECK_OK(tg_tape_watch(tape, w));
    CHECK_OK(tg_conv2d(x, w, NULL, 1, 1, TG_PADDING_VALID, 1, 1, &y));
    CHECK_OK(tg_tape_end(tape));
    CHECK_TENSOR(y, dtype, ys, 4, want_y, 0);
    sources[0] = x;
    sources[1] = w;
    grads_of_sum(tape, y, sources, 2, grads);
    CHECK_TENSOR(grads[0], dtype, xs, 4, want_dx, 0);
    CHECK_TENSOR(grads[1], dtype, ws, 4, want_dw, 0);
    /* the same gradients through the backprop ops directly, with a ones output gradient */
    {
      const double ones[] = {1, 1, 1, 1};
      tg_tensor* dy = make_tensor(dtype, ys, 4, ones);
      tg_tensor *dx = NULL, *dw = NULL;
      CHECK_OK(tg_conv2d_backprop_input(xs, 4, w, dy, 1, 1, TG_PADDING_VALID, 1, 1, &dx));
      CHECK_OK(tg_conv2d_backprop_filter(x, ws, 4, dy, 1, 1, TG_PADDING_VALID, 1, 1, &dw));
      CHECK_TENSOR(dx, dtype, xs, 4, want_dx, 0);
      CHECK_TENSOR(dw, dtype, ws, 4, want_dw, 0);
      tg_tensor_free(dx);
      tg_tensor_free(dw);
      tg_tensor_free(dy);
    }
    tg_tensor_free(grads[0]);
    tg_tensor_free(grads[1]);
    tg_tensor_free(y);
    tg_tape_free(tape);
    {
      const int64_t bs[] = {1};
      const double half = 0.5, four = 4;
      const double want_yb[] = {37.5, 47.5, 67.5, 77.5};
      tg_tensor* b = make_tensor(dtype, bs, 1, &half);
      tg_tensor* gb = NULL;
      CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
      CHECK_OK(tg_tape_watch(tape, b));
      CHECK_OK(tg_conv2d(x, w, b, 1, 1, TG_PADDING_VALID, 1, 1, &y));
      CHECK_OK(tg_tape_end(tape));
      CHECK_TENSOR(y, dtype, ys, 4, want_yb, 0);
      grads_of_sum(tape, y, &b, 1, &gb);
      CHECK_TENSOR(gb, dtype, bs, 1, &four, 0);
      CHECK_ERR(tg_conv2d(x, w, x, 1, 1, TG_PADDING_VALID, 1, 1, &gb), TG_INVALID_ARGUMENT,
                "conv2d", "bias", "(1,3,3,1)");
      tg_tensor_free(gb);
      tg_tensor_free(y);
      tg_tape_free(tape);
      tg_tensor_free(b);
    }
    tg_tensor_free(x);
    tg_tensor_free(w);
  }
}

/* The convolution (tg_conv2d, or tg_conv1d when rank is 3) of x (shape xs, values xv) with
 * filters (ws, wv), no bias, checked exactly against want (shape ys). For conv1d the stride
 * and dilation are the _w ones. */
static void check_conv(tg_dtype dtype, int rank, const int64_t* xs, const double* xv,
                       const int64_t* ws, const double* wv, int64_t stride_h, int64_t stride_w,
                       tg_padding padding, int64_t dilation_h, int64_t dilation_w,
                       const int64_t* ys, const double* want) {
  tg_tensor* x = make_tensor(dtype, xs, rank, xv);
  tg_tensor* w = make_tensor(dtype, ws, rank, wv);
  tg_tensor* y = NULL;
  if (rank == 4)
    CHECK_OK(tg_conv2d(x, w, NULL, stride_h, stride_w, padding, dilation_h, dilation_w, &y));
  else
    CHECK_OK(tg_conv1d(x, w, NULL, stride_w, padding, dilation_w, &y));
  CHECK_TENSOR(y, dtype, ys, rank, want, 0);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tensor_free(w);
}

/* Two input and three output channels through a 1×1 filter: each pixel (a, b) times
 * w = [[1, 0, -1], [2, 1, 0]] gives (a + 2b, b, -a):
 *   (1,2) → (5,2,-1), (3,4) → (11,4,-3), (5,6) → (17,6,-5), (7,8) → (23,8,-7). */
static void test_conv2d_channels(void) {
  const int64_t xs[] = {1, 2, 2, 2}, ws[] = {1, 1, 2, 3}, ys[] = {1, 2, 2, 3};
  const double xv[] = {1, 2, 3, 4, 5, 6, 7, 8}, wv[] = {1, 0, -1, 2, 1, 0};
  const double want[] = {5, 2, -1, 11, 4, -3, 17, 6, -5, 23, 8, -7};
  check_conv(TG_FLOAT32, 4, xs, xv, ws, wv, 1, 1, TG_PADDING_SAME, 1, 1, ys, want);
}

/* Sums of 3×3 windows of x[r][c] = 5r + c + 1 (5×5) with 'same' padding and stride 2:
 * out = ceil(5/2) = 3, padding P = (3-1)·2 + 3 - 5 = 2 → (1, 1). Window rows per output row:
 * {0,1}, {1,2,3}, {3,4}; the sum over rows R and columns C is
 * |C|·Σ_R 5r + |R|·Σ_C c + |R|·|C|, e.g. out[0][0] = 2·5 + 2·1 + 4 = 16 (= 1+2+6+7) and
 * out[1][1] = 3·30 + 3·6 + 9 = 117 (= 9·13).
 * Even size: x[r][c] = 4r + c + 1 (4×4), same, stride 2: out 2, P = 2 + 3 - 4 = 1 → (0, 1),
 * the odd cell after (bottom/right): windows {0,1,2} and {2,3}: 54 = (1+2+3)+(5+6+7)+(9+10+11),
 * 45 = (3+4)+(7+8)+(11+12), 72 = (9+10+11)+(13+14+15), 54 = 11+12+15+16.
 * Even filter, stride 1, x = 1..9 (3×3), 2×2 ones: P = 2 + 2 - 3 = 1 → (0, 1): each window is
 * cells [i, i+1] × [j, j+1] clipped, e.g. out[0][2] = 3 + 6, out[2][2] = 9. */
static void test_same_padding(void) {
  const int64_t w3[] = {3, 3, 1, 1}, w2[] = {2, 2, 1, 1};
  const double ones[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  const int64_t x5[] = {1, 5, 5, 1}, y3[] = {1, 3, 3, 1};
  const double want5[] = {16, 33, 28, 69, 117, 87, 76, 123, 88};
  const int64_t x4[] = {1, 4, 4, 1}, y2[] = {1, 2, 2, 1};
  const double want4[] = {54, 45, 72, 54};
  const int64_t x3[] = {1, 3, 3, 1};
  const double want3[] = {12, 16, 9, 24, 28, 15, 15, 17, 9};
  double v[25];
  int i;
  for (i = 0; i < 25; ++i) v[i] = i + 1;
  check_conv(TG_FLOAT64, 4, x5, v, w3, ones, 2, 2, TG_PADDING_SAME, 1, 1, y3, want5);
  check_conv(TG_FLOAT64, 4, x4, v, w3, ones, 2, 2, TG_PADDING_SAME, 1, 1, y2, want4);
  check_conv(TG_FLOAT64, 4, x3, v, w2, ones, 1, 1, TG_PADDING_SAME, 1, 1, x3, want3);
}

/* x = [1,2,3,4,5] as a 1×5 image, w = [1, 10] with dilation 2 (taps 2 apart, k_eff = 3):
 * valid: out[j] = x[j] + 10·x[j+2] = 31, 42, 53.
 * same: P = 4 + 3 - 5 = 2 → (1, 1): out[j] = x[j-1] + 10·x[j+1] = 20, 31, 42, 53, 4.
 * conv1d, the same numbers on (1, 5, 1); causal pads d·(k-1) = 2 before:
 * out[j] = x[j-2] + 10·x[j] = 10, 20, 31, 42, 53. */
static void test_dilation_and_conv1d(void) {
  const int64_t xs[] = {1, 1, 5, 1}, ws[] = {1, 2, 1, 1}, y3[] = {1, 1, 3, 1}, y5[] = {1, 1, 5, 1};
  const int64_t xs1[] = {1, 5, 1}, ws1[] = {2, 1, 1};
  const double xv[] = {1, 2, 3, 4, 5}, wv[] = {1, 10};
  const double want_valid[] = {31, 42, 53}, want_same[] = {20, 31, 42, 53, 4};
  const double want_causal[] = {10, 20, 31, 42, 53};
  check_conv(TG_FLOAT32, 4, xs, xv, ws, wv, 1, 1, TG_PADDING_VALID, 1, 2, y3, want_valid);
  check_conv(TG_FLOAT32, 4, xs, xv, ws, wv, 1, 1, TG_PADDING_SAME, 1, 2, y5, want_same);
  check_conv(TG_FLOAT32, 3, xs1, xv, ws1, wv, 1, 1, TG_PADDING_SAME, 1, 2, xs1, want_same);
  check_conv(TG_FLOAT32, 3, xs1, xv, ws1, wv, 1, 1, TG_PADDING_CAUSAL, 1, 2, xs1, want_causal);
}

/* Depthwise (G = C = 2, one output per channel): pixels (1,2), (3,4) of a 1×2 image,
 * w[kw][0][o] = [[1, 10], [100, 1000]]: channel 0 → 1·1 + 3·100 = 301,
 * channel 1 → 2·10 + 4·1000 = 4020.
 * Two groups of two channels: x = (1,2,3,4), w[c][o] = [[1,2],[3,4]] (1×1): output 0 reads
 * channels 0,1 with w[.][0]: 1·1 + 2·3 = 7; output 1 reads channels 2,3 with w[.][1]:
 * 3·2 + 4·4 = 22. */
static void test_groups(void) {
  const int64_t xs[] = {1, 1, 2, 2}, ws[] = {1, 2, 1, 2}, ys[] = {1, 1, 1, 2};
  const double xv[] = {1, 2, 3, 4}, wv[] = {1, 10, 100, 1000}, want[] = {301, 4020};
  const int64_t xs2[] = {1, 1, 1, 4}, ws2[] = {1, 1, 2, 2};
  const double wv2[] = {1, 2, 3, 4}, want2[] = {7, 22};
  check_conv(TG_FLOAT32, 4, xs, xv, ws, wv, 1, 1, TG_PADDING_VALID, 1, 1, ys, want);
  check_conv(TG_FLOAT32, 4, xs2, xv, ws2, wv2, 1, 1, TG_PADDING_VALID, 1, 1, ys, want2);
}

/* A second derivative through a convolution: a 1×1×1×1 conv is y = x·w; with L = y²,
 * dL/dx = 2·x·w², d²L/dx² = 2·w² and d²L/dx dw = 4·x·w. At x = 3, w = 2: 24, 8, 24. */
static void test_second_order(void) {
  const int64_t s[] = {1, 1, 1, 1};
  const double three = 3, two = 2;
  tg_tensor* x = make_tensor(TG_FLOAT64, s, 4, &three);
  tg_tensor* w = make_tensor(TG_FLOAT64, s, 4, &two);
  tg_tape *outer = NULL, *inner = NULL;
  tg_tensor *y = NULL, *l = NULL, *g = NULL, *h[2] = {NULL, NULL};
  const void* targets[1];
  const void* sources[2];
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &outer));
  CHECK_OK(tg_tape_watch(outer, x));
  CHECK_OK(tg_tape_watch(outer, w));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &inner));
  CHECK_OK(tg_tape_watch(inner, x));
  CHECK_OK(tg_conv2d(x, w, NULL, 1, 1, TG_PADDING_VALID, 1, 1, &y));
  CHECK_OK(tg_mul(y, y, &l));
  CHECK_OK(tg_tape_end(inner));
  targets[0] = l;
  sources[0] = x;
  CHECK_OK(tg_tape_gradient(inner, targets, 1, sources, 1, &g));
  CHECK_OK(tg_tape_end(outer));
  CHECK_NEAR(item_of(g), 24, 0);
  targets[0] = g;
  sources[1] = w;
  CHECK_OK(tg_tape_gradient(outer, targets, 1, sources, 2, h));
  CHECK_NEAR(item_of(h[0]), 8, 0);
  CHECK_NEAR(item_of(h[1]), 24, 0);
  tg_tensor_free(h[0]);
  tg_tensor_free(h[1]);
  tg_tensor_free(g);
  tg_tensor_free(l);
  tg_tensor_free(y);
  tg_tape_free(inner);
  tg_tape_free(outer);
  tg_tensor_free(x);
  tg_tensor_free(w);
}

typedef tg_status (*pool_fn)(const tg_tensor*, int64_t, int64_t, int64_t, int64_t, tg_padding,
                             tg_tensor**);

/* One pooling of x (1, H, W, 1) given by its values: checks the output and, if want_dx is not
 * NULL, the gradient of sum(out). */
static void check_pool(pool_fn pool, tg_dtype dtype, int64_t h, int64_t w, const double* xv,
                       int64_t pool_h, int64_t pool_w, int64_t stride_h, int64_t stride_w,
                       tg_padding padding, int64_t out_h, int64_t out_w, const double* want_y,
                       const double* want_dx, double tol) {
  const int64_t xs[] = {1, h, w, 1}, ys[] = {1, out_h, out_w, 1};
  tg_tensor* x = make_tensor(dtype, xs, 4, xv);
  tg_tensor *y = NULL, *g = NULL;
  tg_tape* tape = NULL;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(pool(x, pool_h, pool_w, stride_h, stride_w, padding, &y));
  CHECK_OK(tg_tape_end(tape));
  CHECK_TENSOR(y, dtype, ys, 4, want_y, tol);
  if (want_dx) {
    grads_of_sum(tape, y, &x, 1, &g);
    CHECK_TENSOR(g, dtype, xs, 4, want_dx, tol);
    tg_tensor_free(g);
  }
  tg_tensor_free(y);
  tg_tape_free(tape);
  tg_tensor_free(x);
}

/* Max pooling, 2×2 windows, stride 2, on [[1,3,3,2],[3,0,1,3]]: window 0 = {1,3,3,0} has its
 * first 3 at (0,1), window 1 = {3,2,1,3} at (0,2); the gradient of sum(out) goes there only.
 * A window of equal values sends it to its top-left cell. Overlapping 1×2 windows with
 * stride 1 on [1,5,2] both pick the 5, whose gradient adds up to 2. 'same' on [-3,-1] with a
 * 1×3 window (padding (1,1)): the padding never wins, so both outputs are -1 (not 0). */
static void test_max_pool(void) {
  const double xv[] = {1, 3, 3, 2, 3, 0, 1, 3}, want_y[] = {3, 3};
  const double want_dx[] = {0, 1, 1, 0, 0, 0, 0, 0};
  const double ev[] = {5, 5, 5, 5}, want_e[] = {1, 0, 0, 0}, five = 5;
  const double ov[] = {1, 5, 2}, want_o[] = {5, 5}, want_od[] = {0, 2, 0};
  const double nv[] = {-3, -1}, want_n[] = {-1, -1};
  check_pool(tg_max_pool2d, TG_FLOAT32, 2, 4, xv, 2, 2, 2, 2, TG_PADDING_VALID, 1, 2, want_y, want_dx, 0);
  check_pool(tg_max_pool2d, TG_FLOAT32, 2, 2, ev, 2, 2, 2, 2, TG_PADDING_VALID, 1, 1, &five, want_e, 0);
  check_pool(tg_max_pool2d, TG_FLOAT32, 1, 3, ov, 1, 2, 1, 1, TG_PADDING_VALID, 1, 2, want_o, want_od, 0);
  check_pool(tg_max_pool2d, TG_FLOAT32, 1, 2, nv, 1, 3, 1, 1, TG_PADDING_SAME, 1, 2, want_n, NULL, 0);
}

/* Average pooling of x = 1..9 (3×3), 3×3 windows, stride 1, 'same' (padding (1,1)): only
 * real cells count. Corner (0,0): (1+2+4+5)/4 = 3; edge (0,1): (1+2+3+4+5+6)/6 = 3.5;
 * centre 45/9 = 5; (0,2): (2+3+5+6)/4 = 4; (1,0): 27/6 = 4.5; (1,2): 33/6 = 5.5;
 * (2,0): (4+5+7+8)/4 = 6; (2,1): 39/6 = 6.5; (2,2): (5+6+8+9)/4 = 7.
 * Gradient of sum(out): each cell gets Σ 1/count over the windows holding it. Cell (0,0) is in
 * the windows of outputs (0,0), (0,1), (1,0), (1,1): 1/4 + 1/6 + 1/6 + 1/9 = 25/36; an edge
 * cell (0,1) in six: 1/4 + 1/6 + 1/4 + 1/6 + 1/9 + 1/6 = 10/9; the centre in all nine:
 * 4/4 + 4/6 + 1/9 = 16/9. */
static void test_avg_pool(void) {
  const double xv[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const double want[] = {3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7};
  const double c = 25.0 / 36, e = 10.0 / 9, m = 16.0 / 9;
  const double want_dx[] = {c, e, c, e, m, e, c, e, c};
  check_pool(tg_avg_pool2d, TG_FLOAT64, 3, 3, xv, 3, 3, 1, 1, TG_PADDING_SAME, 3, 3, want, want_dx, 1e-15);
}

/* Global pools of a (1, 2, 2, 2) image with channels (1,-1), (2,-2), (3,-3), (6,-6):
 * mean (3, -3), max (6, -1). */
static void test_global_pools(void) {
  const int64_t s[] = {1, 2, 2, 2}, flat[] = {1, 2}, kept[] = {1, 1, 1, 2};
  const double xv[] = {1, -1, 2, -2, 3, -3, 6, -6};
  const double want_mean[] = {3, -3}, want_max[] = {6, -1};
  tg_tensor* x = make_tensor(TG_FLOAT32, s, 4, xv);
  tg_tensor* y = NULL;
  CHECK_OK(tg_global_average_pool2d(x, 0, &y));
  CHECK_TENSOR(y, TG_FLOAT32, flat, 2, want_mean, 0);
  tg_tensor_free(y);
  CHECK_OK(tg_global_average_pool2d(x, 1, &y));
  CHECK_TENSOR(y, TG_FLOAT32, kept, 4, want_mean, 0);
  tg_tensor_free(y);
  CHECK_OK(tg_global_max_pool2d(x, 0, &y));
  CHECK_TENSOR(y, TG_FLOAT32, flat, 2, want_max, 0);
  tg_tensor_free(y);
  CHECK_OK(tg_global_max_pool2d(x, 1, &y));
  CHECK_TENSOR(y, TG_FLOAT32, kept, 4, want_max, 0);
  tg_tensor_free(y);
  tg_tensor_free(x);
}

/* Batch norm, training: x (4, 2) with channel 0 = 1,2,3,4 and channel 1 = 2,4,6,8.
 * Channel 0: μ = 2.5, σ² = (1.5² + 0.5² + 0.5² + 1.5²)/4 = 1.25; channel 1: μ = 5, σ² = 5.
 * With ε = 0.75, scale (2, -1), offset (0.5, 1): y = (x − μ)·scale/√(σ² + ε) + offset, so
 * channel 0: (x − 2.5)·2/√2 + 0.5, channel 1: −(x − 5)/√5.75 + 1.
 * batch_mean = (2.5, 5); batch_variance = σ²·4/3 = (5/3, 20/3) (Bessel's correction).
 * Gradients of L = Σ y²/2 with scale 1, offset 0 (so g = y = x̂): per channel
 * dx = s·(g − ḡ − x̂·mean(g·x̂)) = s·x̂·(1 − σ²/(σ² + ε)) = (x − μ)·ε/(σ² + ε)²:
 * channel 0: (x − 2.5)·0.75/4, channel 1: (x − 5)·0.75/33.0625;
 * dscale = Σ x̂² = n·σ²/(σ² + ε) = (4·1.25/2, 4·5/5.75); doffset = Σ x̂ = 0. */
static void test_fused_batch_norm(void) {
  const int64_t s[] = {4, 2}, c[] = {2};
  const double xv[] = {1, 2, 2, 4, 3, 6, 4, 8}, scale_v[] = {2, -1}, offset_v[] = {0.5, 1};
  const double want_mean[] = {2.5, 5}, want_var[] = {5.0 / 3, 20.0 / 3};
  double want_y[8], want_dx[8];
  const double want_dscale[] = {2.5, 20 / 5.75}, want_doffset[] = {0, 0};
  int i;
  tg_tensor* x = make_tensor(TG_FLOAT64, s, 2, xv);
  tg_tensor* scale = make_tensor(TG_FLOAT64, c, 1, scale_v);
  tg_tensor* offset = make_tensor(TG_FLOAT64, c, 1, offset_v);
  tg_tensor *y = NULL, *mean = NULL, *var = NULL;
  for (i = 0; i < 4; ++i) {
    want_y[2 * i] = (xv[2 * i] - 2.5) * 2 / sqrt(2.0) + 0.5;
    want_y[2 * i + 1] = -(xv[2 * i + 1] - 5) / sqrt(5.75) + 1;
    want_dx[2 * i] = (xv[2 * i] - 2.5) * 0.75 / 4;
    want_dx[2 * i + 1] = (xv[2 * i + 1] - 5) * 0.75 / 33.0625;
  }
  CHECK_OK(tg_fused_batch_norm(x, scale, offset, 0.75, &y, &mean, &var));
  CHECK_TENSOR(y, TG_FLOAT64, s, 2, want_y, 1e-14);
  CHECK_TENSOR(mean, TG_FLOAT64, c, 1, want_mean, 1e-15);
  CHECK_TENSOR(var, TG_FLOAT64, c, 1, want_var, 1e-14);
  tg_tensor_free(y);
  tg_tensor_free(mean);
  tg_tensor_free(var);
  /* the statistics are optional outputs; float32 agrees to float32 precision */
  {
    tg_tensor* x32 = make_tensor(TG_FLOAT32, s, 2, xv);
    tg_tensor* sc32 = make_tensor(TG_FLOAT32, c, 1, scale_v);
    tg_tensor* of32 = make_tensor(TG_FLOAT32, c, 1, offset_v);
    CHECK_OK(tg_fused_batch_norm(x32, sc32, of32, 0.75, &y, NULL, NULL));
    CHECK_TENSOR(y, TG_FLOAT32, s, 2, want_y, 1e-6);
    tg_tensor_free(y);
    tg_tensor_free(x32);
    tg_tensor_free(sc32);
    tg_tensor_free(of32);
  }
  /* gradients with scale 1, offset 0 given as NULL... and as watched ones / zeros */
  {
    const double one[] = {1, 1}, zero[] = {0, 0};
    tg_tensor* s1 = make_tensor(TG_FLOAT64, c, 1, one);
    tg_tensor* o0 = make_tensor(TG_FLOAT64, c, 1, zero);
    tg_tensor *half = make_scalar(TG_FLOAT64, 0.5), *sq = NULL, *l = NULL, *lsum = NULL;
    tg_tensor* grads[3] = {NULL, NULL, NULL};
    tg_tensor* sources[3];
    tg_tape* tape = NULL;
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
    CHECK_OK(tg_tape_watch(tape, x));
    CHECK_OK(tg_tape_watch(tape, s1));
    CHECK_OK(tg_tape_watch(tape, o0));
    CHECK_OK(tg_fused_batch_norm(x, s1, o0, 0.75, &y, NULL, NULL));
    CHECK_OK(tg_mul(y, y, &sq));
    CHECK_OK(tg_mul(sq, half, &l));
    CHECK_OK(tg_reduce_sum(l, NULL, 0, 0, &lsum));
    CHECK_OK(tg_tape_end(tape));
    sources[0] = x;
    sources[1] = s1;
    sources[2] = o0;
    grads_of_sum(tape, lsum, sources, 3, grads);
    CHECK_TENSOR(grads[0], TG_FLOAT64, s, 2, want_dx, 1e-15);
    CHECK_TENSOR(grads[1], TG_FLOAT64, c, 1, want_dscale, 1e-14);
    CHECK_TENSOR(grads[2], TG_FLOAT64, c, 1, want_doffset, 1e-14);
    for (i = 0; i < 3; ++i) tg_tensor_free(grads[i]);
    tg_tensor_free(lsum);
    tg_tensor_free(l);
    tg_tensor_free(sq);
    tg_tensor_free(y);
    tg_tape_free(tape);
    /* NULL scale and offset mean ones and zeros */
    CHECK_OK(tg_fused_batch_norm(x, NULL, NULL, 0.75, &y, NULL, NULL));
    for (i = 0; i < 4; ++i) {
      want_y[2 * i] = (xv[2 * i] - 2.5) / sqrt(2.0);
      want_y[2 * i + 1] = (xv[2 * i + 1] - 5) / sqrt(5.75);
    }
    CHECK_TENSOR(y, TG_FLOAT64, s, 2, want_y, 1e-14);
    tg_tensor_free(y);
    tg_tensor_free(half);
    tg_tensor_free(s1);
    tg_tensor_free(o0);
  }
  tg_tensor_free(x);
  tg_tensor_free(scale);
  tg_tensor_free(offset);
}

/* Inference with moving statistics mean (2, 4), variance (1, 4), ε = 0, scale (2, -1),
 * offset (0.5, 1): inv = scale/√variance = (2, -0.5), shift = offset − mean·inv = (-3.5, 3);
 * y = x·inv + shift: channel 0 (1,2,3,4) → -1.5, 0.5, 2.5, 4.5; channel 1 (2,4,6,8) →
 * 2, 1, 0, -1. Without scale and offset: (x − mean)/√variance. */
static void test_batch_normalization_inference(void) {
  const int64_t s[] = {4, 2}, c[] = {2};
  const double xv[] = {1, 2, 2, 4, 3, 6, 4, 8};
  const double mv[] = {2, 4}, vv[] = {1, 4}, sv[] = {2, -1}, ov[] = {0.5, 1};
  const double want[] = {-1.5, 2, 0.5, 1, 2.5, 0, 4.5, -1};
  const double want_plain[] = {-1, -1, 0, 0, 1, 1, 2, 2};
  tg_tensor* x = make_tensor(TG_FLOAT32, s, 2, xv);
  tg_tensor* m = make_tensor(TG_FLOAT32, c, 1, mv);
  tg_tensor* v = make_tensor(TG_FLOAT32, c, 1, vv);
  tg_tensor* sc = make_tensor(TG_FLOAT32, c, 1, sv);
  tg_tensor* of = make_tensor(TG_FLOAT32, c, 1, ov);
  tg_tensor* y = NULL;
  CHECK_OK(tg_batch_normalization(x, m, v, of, sc, 0, &y));
  CHECK_TENSOR(y, TG_FLOAT32, s, 2, want, 1e-6);
  tg_tensor_free(y);
  CHECK_OK(tg_batch_normalization(x, m, v, NULL, NULL, 0, &y));
  CHECK_TENSOR(y, TG_FLOAT32, s, 2, want_plain, 1e-6);
  tg_tensor_free(y);
  CHECK_ERR(tg_batch_normalization(x, NULL, v, NULL, NULL, 0, &y), TG_INVALID_HANDLE, "mean");
  CHECK_ERR(tg_batch_normalization(x, m, v, NULL, NULL, -1, &y), TG_INVALID_ARGUMENT,
            "batch_normalization", "epsilon");
  {
    const int64_t c3[] = {3};
    tg_tensor* m3 = NULL;
    CHECK_OK(tg_zeros(TG_FLOAT32, c3, 1, &m3));
    CHECK_ERR(tg_batch_normalization(x, m3, v, NULL, NULL, 0, &y), TG_INVALID_ARGUMENT,
              "batch_normalization", "(3)", "(4,2)");
    tg_tensor_free(m3);
  }
  tg_tensor_free(x);
  tg_tensor_free(m);
  tg_tensor_free(v);
  tg_tensor_free(sc);
  tg_tensor_free(of);
}

/* Layer norm over the last axis, ε = 0.75: row 0 = 1,2,3,4 has μ = 2.5, σ² = 1.25, so
 * x̂ = (x − 2.5)/√2 = (-1.5, -0.5, 0.5, 1.5)/√2; row 1 = 2,2,2,2 has σ² = 0, x̂ = 0.
 * gamma (1,2,3,4), beta (0,0,0,1): row 0 → (-1.5, -1, 1.5, 6)/√2 + (0,0,0,1); row 1 → beta.
 * The same row as a (1, 2, 2) tensor normalized over axes {1, 2}, with gamma / beta (2, 2). */
static void test_layer_normalization(void) {
  const int64_t s[] = {2, 4}, p[] = {4}, s3[] = {1, 2, 2}, p2[] = {2, 2};
  const double xv[] = {1, 2, 3, 4, 2, 2, 2, 2}, gv[] = {1, 2, 3, 4}, bv[] = {0, 0, 0, 1};
  const double r = 1 / sqrt(2.0);
  const double want[] = {-1.5 * r, -1 * r, 1.5 * r, 6 * r + 1, 0, 0, 0, 1};
  const int64_t last = -1, both[] = {2, 1};
  tg_tensor* x = make_tensor(TG_FLOAT32, s, 2, xv);
  tg_tensor* g = make_tensor(TG_FLOAT32, p, 1, gv);
  tg_tensor* b = make_tensor(TG_FLOAT32, p, 1, bv);
  tg_tensor* x3 = make_tensor(TG_FLOAT32, s3, 3, xv);
  tg_tensor* g2 = make_tensor(TG_FLOAT32, p2, 2, gv);
  tg_tensor* b2 = make_tensor(TG_FLOAT32, p2, 2, bv);
  tg_tensor* y = NULL;
  CHECK_OK(tg_layer_normalization(x, g, b, &last, 1, 0.75, &y));
  CHECK_TENSOR(y, TG_FLOAT32, s, 2, want, 1e-6);
  tg_tensor_free(y);
  CHECK_OK(tg_layer_normalization(x3, g2, b2, both, 2, 0.75, &y));
  CHECK_TENSOR(y, TG_FLOAT32, s3, 3, want, 1e-6);
  tg_tensor_free(y);
  CHECK_ERR(tg_layer_normalization(x, g2, b, &last, 1, 0.75, &y), TG_INVALID_ARGUMENT,
            "layer_normalization", "gamma", "(4)", "(2,2)");
  CHECK_ERR(tg_layer_normalization(x, g, b, NULL, 1, 0.75, &y), TG_INVALID_ARGUMENT, "axes");
  CHECK_ERR(tg_layer_normalization(x, g, b, both, 2, 0.75, &y), TG_INVALID_ARGUMENT,
            "layer_normalization", "axis");
  tg_tensor_free(x);
  tg_tensor_free(g);
  tg_tensor_free(b);
  tg_tensor_free(x3);
  tg_tensor_free(g2);
  tg_tensor_free(b2);
}

static void test_bad_input(void) {
  const int64_t xs[] = {1, 5, 5, 4}, ws[] = {3, 3, 4, 6};
  tg_tensor* x = NULL;
  tg_tensor* w = NULL;
  tg_tensor* y = NULL;
  tg_tensor *scale = NULL, *freed = NULL;
  const int64_t c3[] = {3};
  CHECK_OK(tg_zeros(TG_FLOAT32, xs, 4, &x));
  CHECK_OK(tg_zeros(TG_FLOAT32, ws, 4, &w));
  CHECK_OK(tg_zeros(TG_FLOAT32, c3, 1, &scale));
  CHECK_OK(tg_zeros(TG_FLOAT32, c3, 1, &freed));
  CHECK_OK(tg_tensor_free(freed));
  CHECK_ERR(tg_conv2d(x, w, NULL, 1, 1, TG_PADDING_VALID, 1, 1, NULL), TG_INVALID_ARGUMENT, "tg_conv2d", "out");
  CHECK_ERR(tg_conv2d(NULL, w, NULL, 1, 1, TG_PADDING_VALID, 1, 1, &y), TG_INVALID_HANDLE, "tg_conv2d", "input");
  CHECK_ERR(tg_conv2d(x, freed, NULL, 1, 1, TG_PADDING_VALID, 1, 1, &y), TG_INVALID_HANDLE, "filters");
  CHECK_ERR(tg_conv2d(x, w, NULL, 1, 1, (tg_padding)99, 1, 1, &y), TG_INVALID_ARGUMENT, "padding 99");
  CHECK_ERR(tg_conv2d(x, w, NULL, 1, 1, TG_PADDING_CAUSAL, 1, 1, &y), TG_INVALID_ARGUMENT, "conv2d", "causal");
  CHECK_ERR(tg_conv2d(x, w, NULL, 0, 1, TG_PADDING_VALID, 1, 1, &y), TG_INVALID_ARGUMENT, "conv2d", "stride");
  CHECK_ERR(tg_conv2d(x, w, NULL, 2, 2, TG_PADDING_SAME, 2, 2, &y), TG_INVALID_ARGUMENT, "conv2d",
            "strides > 1 not supported in conjunction with dilation_rate > 1");
  CHECK_ERR(tg_conv2d(x, w, NULL, 1, 1, TG_PADDING_VALID, 3, 1, &y), TG_INVALID_ARGUMENT, "conv2d",
            "larger than the input");
  CHECK_ERR(tg_conv2d(w, x, NULL, 1, 1, TG_PADDING_VALID, 1, 1, &y), TG_INVALID_ARGUMENT, "conv2d",
            "(3,3,4,6)", "(1,5,5,4)");
  CHECK_ERR(tg_conv2d_backprop_input(xs, 3, w, x, 1, 1, TG_PADDING_VALID, 1, 1, &y),
            TG_INVALID_ARGUMENT, "conv2d_backprop_input", "rank 4");
  CHECK_ERR(tg_conv2d_backprop_filter(x, ws, 4, x, 1, 1, TG_PADDING_VALID, 1, 1, &y),
            TG_INVALID_ARGUMENT, "conv2d_backprop_filter", "out_backprop has shape (1,5,5,4)", "(1,3,3,6)");
  CHECK_ERR(tg_conv1d(x, w, NULL, 1, TG_PADDING_CAUSAL, 1, &y), TG_INVALID_ARGUMENT, "conv1d", "rank 3");
  CHECK_ERR(tg_max_pool2d(x, 6, 2, 1, 1, TG_PADDING_VALID, &y), TG_INVALID_ARGUMENT, "max_pool2d",
            "larger than the input");
  CHECK_ERR(tg_avg_pool2d(x, 2, 2, 0, 2, TG_PADDING_VALID, &y), TG_INVALID_ARGUMENT, "avg_pool2d", "stride");
  CHECK_ERR(tg_avg_pool2d(x, 2, 2, 2, 2, TG_PADDING_CAUSAL, &y), TG_INVALID_ARGUMENT, "avg_pool2d", "causal");
  CHECK_ERR(tg_global_max_pool2d(scale, 0, &y), TG_INVALID_ARGUMENT, "global_max_pool2d", "rank 4");
  CHECK_ERR(tg_fused_batch_norm(x, scale, NULL, 1e-3, &y, NULL, NULL), TG_INVALID_ARGUMENT,
            "fused_batch_norm", "scale", "(4)", "(3)");
  CHECK_ERR(tg_fused_batch_norm(x, NULL, NULL, -1, &y, NULL, NULL), TG_INVALID_ARGUMENT,
            "fused_batch_norm", "epsilon");
  CHECK_ERR(tg_fused_batch_norm(x, NULL, NULL, 1e-3, NULL, NULL, NULL), TG_INVALID_ARGUMENT, "out_y");
  CHECK(y == NULL); /* nothing was written by the failed calls */
  tg_tensor_free(x);
  tg_tensor_free(w);
  tg_tensor_free(scale);
}

int main(void) {
  test_conv2d_by_hand();
  test_conv2d_channels();
  test_same_padding();
  test_dilation_and_conv1d();
  test_groups();
  test_second_order();
  test_max_pool();
  test_avg_pool();
  test_global_pools();
  test_fused_batch_norm();
  test_batch_normalization_inference();
  test_layer_normalization();
  test_bad_input();
  return check_summary();
}
