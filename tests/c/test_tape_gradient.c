/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of tg_tape_gradient / tg_tape_gradient_ex semantics (docs/gradient-tape.md):
 * output gradients, unconnected gradients, targets that are sources, repeated sources,
 * variables as targets, integer and non-differentiable paths, higher derivatives, and bad
 * input. Expected values are worked out by hand or quoted from
 * TensorFlow's backprop_test.py (BPT).
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

#define USED_MESSAGE \
  "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)"

/* One source, one target, no seed: the gradient (NULL if unconnected); NaN on error. */
static tg_tensor* grad1(tg_tape* tape, const void* target, const void* source) {
  const void* targets[1];
  const void* sources[1];
  tg_tensor* g = NULL;
  targets[0] = target;
  sources[0] = source;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  return g;
}

/* gradient as a double, the handle freed; NaN if NULL. */
static double grad1_value(tg_tape* tape, const void* target, const void* source) {
  tg_tensor* g = grad1(tape, target, source);
  const double v = g ? item_of(g) : NAN;
  tg_tensor_free(g);
  return v;
}

/* BPT testOutputGradUsedInComputation: x = 3, y = 2, targets [x·y, x], seeds [1, 2] -> 4. */
static void test_output_gradients(void) {
  tg_tensor *x = make_scalar(TG_FLOAT32, 3), *y = make_scalar(TG_FLOAT32, 2), *xy = NULL;
  tg_tensor *one = make_scalar(TG_FLOAT32, 1), *two = make_scalar(TG_FLOAT32, 2);
  tg_tensor* g = NULL;
  tg_tape* tape = NULL;
  const void* targets[2];
  const void* sources[1];
  tg_tensor* seeds[2];
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, y, &xy));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = xy;
  targets[1] = x;
  sources[0] = x;
  seeds[0] = one;
  seeds[1] = two;
  CHECK_OK(tg_tape_gradient_ex(tape, targets, 2, sources, 1, seeds, TG_UNCONNECTED_NONE, &g));
  CHECK_TENSOR(g, TG_FLOAT32, NULL, 0, (const double[]){4}, 0);
  tg_tensor_free(g);
  /* a NULL entry means ones for that target: 2·1 + 2 */
  seeds[0] = NULL;
  CHECK_OK(tg_tape_gradient_ex(tape, targets, 2, sources, 1, seeds, TG_UNCONNECTED_NONE, &g));
  CHECK_NEAR(item_of(g), 4.0, 0);
  tg_tensor_free(g);
  /* a NULL array means ones for all: 2 + 1 */
  CHECK_OK(tg_tape_gradient_ex(tape, targets, 2, sources, 1, NULL, TG_UNCONNECTED_NONE, &g));
  CHECK_NEAR(item_of(g), 3.0, 0);
  tg_tensor_free(g);

  /* a vector seed: y = x·[3, 4] seeded with [10, 100] gives 30 + 400 */
  {
    const int64_t s2[] = {2};
    tg_tensor* w = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){3, 4}));
    tg_tensor* seed = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){10, 100}));
    tg_tensor* bad_shape =
        make_tensor(TG_FLOAT32, (const int64_t[]){3}, 1, ((const double[]){1, 1, 1}));
    tg_tensor* bad_dtype = make_tensor(TG_FLOAT64, s2, 1, ((const double[]){1, 1}));
    tg_tensor *xw = NULL, *freed = make_scalar(TG_FLOAT32, 1);
    tg_tape* t2 = NULL;
    tg_tensor* sentinel = (tg_tensor*)&sentinel;
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &t2));
    CHECK_OK(tg_tape_watch(t2, x));
    CHECK_OK(tg_mul(x, w, &xw));
    targets[0] = xw;
    /* bad seeds are refused before anything happens: the tape keeps recording */
    seeds[0] = bad_shape;
    g = sentinel;
    CHECK_ERR(tg_tape_gradient_ex(t2, targets, 1, sources, 1, seeds, TG_UNCONNECTED_NONE, &g),
              TG_INVALID_ARGUMENT, "[tg_tape_gradient_ex]",
              "output_gradients[0] is float32 (3), but targets[0] is float32 (2)");
    seeds[0] = bad_dtype;
    CHECK_ERR(tg_tape_gradient_ex(t2, targets, 1, sources, 1, seeds, TG_UNCONNECTED_NONE, &g),
              TG_INVALID_ARGUMENT, "[tg_tape_gradient_ex]",
              "output_gradients[0] is float64 (2), but targets[0] is float32 (2)");
    CHECK_OK(tg_tensor_free(freed));
    seeds[0] = freed;
    CHECK_ERR(tg_tape_gradient_ex(t2, targets, 1, sources, 1, seeds, TG_UNCONNECTED_NONE, &g),
              TG_INVALID_HANDLE, "[tg_tape_gradient_ex]", "output_gradients[0] is not a live");
    seeds[0] = (tg_tensor*)t2;
    CHECK_ERR(tg_tape_gradient_ex(t2, targets, 1, sources, 1, seeds, TG_UNCONNECTED_NONE, &g),
              TG_INVALID_HANDLE, "[tg_tape_gradient_ex]",
              "output_gradients[0] is a tg_tape, expected a tg_tensor");
    CHECK(g == sentinel);
    /* still recording: ending works, then the gradient */
    CHECK_OK(tg_tape_end(t2));
    seeds[0] = seed;
    CHECK_OK(tg_tape_gradient_ex(t2, targets, 1, sources, 1, seeds, TG_UNCONNECTED_NONE, &g));
    CHECK_TENSOR(g, TG_FLOAT32, NULL, 0, (const double[]){430}, 0);
    tg_tensor_free(g);
    CHECK_ERR(tg_tape_gradient_ex(t2, targets, 1, sources, 1, seeds, TG_UNCONNECTED_NONE, &g),
              TG_INVALID_STATE, "[tg_tape_gradient_ex]", USED_MESSAGE);
    CHECK_OK(tg_tape_free(t2));
    tg_tensor_free(w);
    tg_tensor_free(seed);
    tg_tensor_free(bad_shape);
    tg_tensor_free(bad_dtype);
    tg_tensor_free(xw);
  }
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_tensor_free(xy);
  tg_tensor_free(one);
  tg_tensor_free(two);
}

/* BPT testUnconnectedGradientsZeros: zeros of the source's shape and dtype. */
static void test_unconnected(void) {
  const int64_t s22[] = {2, 2};
  tg_tensor* x = make_tensor(TG_FLOAT64, s22, 2, ((const double[]){1, 2, 3, 4}));
  tg_tensor* y = make_tensor(TG_FLOAT32, s22, 2, ((const double[]){3, 3, 3, 3}));
  tg_tensor *i = make_scalar(TG_INT32, 7), *two = make_scalar(TG_FLOAT32, 2), *z = NULL;
  tg_tensor* init = make_scalar(TG_FLOAT32, 5);
  tg_variable* v = NULL;
  tg_tensor* g[4] = {NULL, NULL, NULL, NULL};
  tg_tape* tape = NULL;
  const void* targets[1];
  const void* sources[4];
  CHECK_OK(tg_variable_create("unused", init, 1, &v));
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, y));
  CHECK_OK(tg_tape_watch(tape, i));
  CHECK_OK(tg_mul(y, two, &z));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = z;
  sources[0] = x;
  sources[1] = v;
  sources[2] = i;
  sources[3] = y;
  CHECK_OK(tg_tape_gradient_ex(tape, targets, 1, sources, 4, NULL, TG_UNCONNECTED_ZERO, g));
  CHECK_TENSOR(g[0], TG_FLOAT64, s22, 2, ((const double[]){0, 0, 0, 0}), 0);
  CHECK_TENSOR(g[1], TG_FLOAT32, NULL, 0, ((const double[]){0}), 0);
  /* TF's TFE_Py_TapeGradient makes zeros for integer sources too */
  CHECK_TENSOR(g[2], TG_INT32, NULL, 0, ((const double[]){0}), 0);
  CHECK_TENSOR(g[3], TG_FLOAT32, s22, 2, ((const double[]){2, 2, 2, 2}), 0);
  tg_tensor_free(g[0]);
  tg_tensor_free(g[1]);
  tg_tensor_free(g[2]);
  tg_tensor_free(g[3]);
  CHECK_OK(tg_tape_gradient_ex(tape, targets, 1, sources, 4, NULL, TG_UNCONNECTED_NONE, g));
  CHECK(g[0] == NULL && g[1] == NULL && g[2] == NULL && g[3] != NULL);
  tg_tensor_free(g[3]);
  g[0] = (tg_tensor*)&g;
  CHECK_ERR(tg_tape_gradient_ex(tape, targets, 1, sources, 1, NULL, (tg_unconnected_gradients)7, g),
            TG_INVALID_ARGUMENT, "[tg_tape_gradient_ex]",
            "Unknown value for unconnected_gradients: 7");
  CHECK_ERR(
      tg_tape_gradient_ex(tape, targets, 1, sources, 1, NULL, (tg_unconnected_gradients)-1, g),
      TG_INVALID_ARGUMENT, "[tg_tape_gradient_ex]", "Unknown value for unconnected_gradients: -1");
  CHECK(g[0] == (tg_tensor*)&g);
  CHECK_OK(tg_tape_free(tape));
  CHECK_OK(tg_variable_free(v));
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_tensor_free(i);
  tg_tensor_free(two);
  tg_tensor_free(z);
  tg_tensor_free(init);
}

/* Targets that are sources, repeated sources, variable targets, a source
 * in the middle of the graph. */
static void test_targets_and_sources(void) {
  tg_tensor *x = make_scalar(TG_FLOAT32, 2), *three = make_scalar(TG_FLOAT32, 3);
  tg_tensor *xx = NULL, *xpx = NULL, *z = NULL;
  tg_tensor* g[2] = {NULL, NULL};
  tg_tape* tape = NULL;
  const void* targets[2];
  const void* sources[2];
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, x, &xx));
  CHECK_OK(tg_add(x, x, &xpx));
  CHECK_OK(tg_mul(xx, three, &z));
  CHECK_OK(tg_tape_end(tape));
  /* BPT: gradient([x, x·x], x) at 2 = 1 + 4 */
  targets[0] = x;
  targets[1] = xx;
  sources[0] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 2, sources, 1, g));
  CHECK_TENSOR(g[0], TG_FLOAT32, NULL, 0, ((const double[]){5}), 0);
  tg_tensor_free(g[0]);
  /* BPT: gradient([y, y], x) with y = x: 2 */
  targets[1] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 2, sources, 1, g));
  CHECK_NEAR(item_of(g[0]), 2.0, 0);
  tg_tensor_free(g[0]);
  /* BPT testGradientTapeRepeatedSource: y = x + x, sources [x, x] -> [2, 2] */
  targets[0] = xpx;
  sources[1] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, g));
  CHECK_NEAR(item_of(g[0]), 2.0, 0);
  CHECK_NEAR(item_of(g[1]), 2.0, 0);
  CHECK(g[0] != g[1]);
  tg_tensor_free(g[0]);
  tg_tensor_free(g[1]);
  /* an intermediate source: z = 3·x², dz/d(x²) = 3 and dz/dx = 12 in the same call */
  targets[0] = z;
  sources[0] = xx;
  sources[1] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, g));
  CHECK_NEAR(item_of(g[0]), 3.0, 0);
  CHECK_NEAR(item_of(g[1]), 12.0, 0);
  tg_tensor_free(g[0]);
  tg_tensor_free(g[1]);
  CHECK_OK(tg_tape_free(tape));

  /* variables as targets: gradient(v, v) = 1 (ones of its shape); a variable target that
   * is not a source gives NULL (BPT testGadientTapeCalledOnConstantTarget); BPT
   * testPythonMax: target v5, sources [v2, v3, v5] -> [NULL, NULL, 1] */
  {
    const int64_t s2[] = {2};
    tg_tensor* init = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){1, 2}));
    tg_tensor* r = NULL;
    tg_variable *v = NULL, *u = NULL;
    tg_tensor* h[3] = {NULL, NULL, NULL};
    const void* vsources[3];
    CHECK_OK(tg_variable_create("v", init, 1, &v));
    CHECK_OK(tg_variable_create("u", init, 1, &u));
    CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
    CHECK_OK(tg_variable_read(v, &r));
    CHECK_OK(tg_tape_end(tape));
    targets[0] = v;
    vsources[0] = u;
    vsources[1] = r;
    vsources[2] = v;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, vsources, 3, h));
    CHECK(h[0] == NULL);
    CHECK(h[1] == NULL); /* the read's output is downstream of v, not upstream */
    CHECK_TENSOR(h[2], TG_FLOAT32, s2, 1, ((const double[]){1, 1}), 0);
    tg_tensor_free(h[2]);
    CHECK_OK(tg_tape_free(tape));
    CHECK_OK(tg_variable_free(v));
    CHECK_OK(tg_variable_free(u));
    tg_tensor_free(init);
    tg_tensor_free(r);
  }
  tg_tensor_free(x);
  tg_tensor_free(three);
  tg_tensor_free(xx);
  tg_tensor_free(xpx);
  tg_tensor_free(z);
}

/* Integer tensors are never recorded; casts to an integer dtype cut the
 * chain; ops registered as not differentiable give NULL. */
static void test_integers_and_non_differentiable_ops(void) {
  tg_tensor *i = make_scalar(TG_INT32, 5), *ii = NULL;
  tg_tensor *x = make_scalar(TG_FLOAT32, 2.5), *xi = NULL, *back = NULL, *y = NULL;
  tg_tape* tape = NULL;
  /* BPT testGradientInteger: f(x) = x + x on an int gives NULL */
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, i));
  CHECK_OK(tg_add(i, i, &ii));
  CHECK_OK(tg_tape_end(tape));
  CHECK(grad1(tape, ii, i) == NULL);
  CHECK_OK(tg_tape_free(tape));
  /* a cast to int and back: no gradient through it; only the direct factor counts */
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_cast(x, TG_INT32, &xi));
  CHECK_OK(tg_cast(xi, TG_FLOAT32, &back));
  CHECK_OK(tg_mul(back, x, &y)); /* y = trunc(x)·x: dy/dx = trunc(x) = 2 */
  CHECK_OK(tg_tape_end(tape));
  CHECK(grad1(tape, back, x) == NULL);
  CHECK(grad1(tape, xi, x) == NULL);
  CHECK_NEAR(grad1_value(tape, y, x), 2.0, 0);
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(y);

  /* floor, round, ceil, sign, stop_gradient, comparisons and argmax (TF's None) */
  {
    const int64_t s3[] = {3};
    tg_tensor* v = make_tensor(TG_FLOAT32, s3, 1, ((const double[]){0.5, 2.5, -1.25}));
    tg_tensor *fl = NULL, *ro = NULL, *ce = NULL, *sg = NULL, *st = NULL, *lt = NULL, *am = NULL;
    tg_tensor *prod = NULL, *zero = make_scalar(TG_FLOAT32, 0);
    tg_tensor* g = NULL;
    CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
    CHECK_OK(tg_tape_watch(tape, v));
    CHECK_OK(tg_floor(v, &fl));
    CHECK_OK(tg_round(v, &ro));
    CHECK_OK(tg_ceil(v, &ce));
    CHECK_OK(tg_sign(v, &sg));
    CHECK_OK(tg_stop_gradient(v, &st));
    CHECK_OK(tg_less(v, zero, &lt));
    CHECK_OK(tg_argmax(v, 0, &am));
    CHECK_OK(tg_mul(st, v, &prod)); /* d(st·v)/dv = st: only the direct path */
    CHECK_OK(tg_tape_end(tape));
    CHECK(grad1(tape, fl, v) == NULL);
    CHECK(grad1(tape, ro, v) == NULL);
    CHECK(grad1(tape, ce, v) == NULL);
    CHECK(grad1(tape, sg, v) == NULL);
    CHECK(grad1(tape, st, v) == NULL);
    CHECK(grad1(tape, lt, v) == NULL);
    CHECK(grad1(tape, am, v) == NULL);
    g = grad1(tape, prod, v);
    CHECK_TENSOR(g, TG_FLOAT32, s3, 1, ((const double[]){0.5, 2.5, -1.25}), 0);
    tg_tensor_free(g);
    /* with TG_UNCONNECTED_ZERO they are zeros instead */
    {
      const void* targets[1];
      const void* sources[1];
      targets[0] = fl;
      sources[0] = v;
      CHECK_OK(tg_tape_gradient_ex(tape, targets, 1, sources, 1, NULL, TG_UNCONNECTED_ZERO, &g));
      CHECK_TENSOR(g, TG_FLOAT32, s3, 1, ((const double[]){0, 0, 0}), 0);
      tg_tensor_free(g);
    }
    CHECK_OK(tg_tape_free(tape));
    tg_tensor_free(v);
    tg_tensor_free(fl);
    tg_tensor_free(ro);
    tg_tensor_free(ce);
    tg_tensor_free(sg);
    tg_tensor_free(st);
    tg_tensor_free(lt);
    tg_tensor_free(am);
    tg_tensor_free(prod);
    tg_tensor_free(zero);
  }
  /* BPT testWhereGradient: where(x < 10, x, x·x) differentiates only the selected branch */
  {
    const double points[2] = {5, 50}, want[2] = {1, 100};
    int k;
    for (k = 0; k < 2; ++k) {
      tg_tensor *p = make_scalar(TG_FLOAT32, points[k]), *ten = make_scalar(TG_FLOAT32, 10);
      tg_tensor *cond = NULL, *sq = NULL, *w = NULL;
      CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
      CHECK_OK(tg_tape_watch(tape, p));
      CHECK_OK(tg_less(p, ten, &cond));
      CHECK_OK(tg_mul(p, p, &sq));
      CHECK_OK(tg_where(cond, p, sq, &w));
      CHECK_OK(tg_tape_end(tape));
      CHECK_NEAR(grad1_value(tape, w, p), want[k], 0);
      CHECK_OK(tg_tape_free(tape));
      tg_tensor_free(p);
      tg_tensor_free(ten);
      tg_tensor_free(cond);
      tg_tensor_free(sq);
      tg_tensor_free(w);
    }
  }
  tg_tensor_free(i);
  tg_tensor_free(ii);
  tg_tensor_free(x);
  tg_tensor_free(xi);
  tg_tensor_free(back);
}

/* BPT testHigherOrderGradient: one persistent tape, x = 3, y = x³, all inside its context:
 * 27, 18, 6. And APIDOC's nested example: x = 5, y = x·x: 10, then 2. */
static void test_higher_order(void) {
  tg_tensor *x = make_scalar(TG_FLOAT64, 3), *x2 = NULL, *y = NULL;
  tg_tensor *d1 = NULL, *d2 = NULL, *d3 = NULL;
  tg_tape* tape = NULL;
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, x, &x2));
  CHECK_OK(tg_mul(x2, x, &y));
  d1 = grad1(tape, y, x);
  d2 = grad1(tape, d1, x);
  d3 = grad1(tape, d2, x);
  CHECK_OK(tg_tape_end(tape));
  CHECK_NEAR(item_of(d1), 27.0, 0);
  CHECK_NEAR(item_of(d2), 18.0, 0);
  CHECK_NEAR(item_of(d3), 6.0, 0);
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(d1);
  tg_tensor_free(d2);
  tg_tensor_free(d3);
  tg_tensor_free(x2);
  tg_tensor_free(y);
  tg_tensor_free(x);

  {
    tg_tensor *x5 = make_scalar(TG_FLOAT32, 5), *yy = NULL, *dy = NULL;
    tg_tape *g = NULL, *gg = NULL;
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &g));
    CHECK_OK(tg_tape_watch(g, x5));
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &gg));
    CHECK_OK(tg_tape_watch(gg, x5));
    CHECK_OK(tg_mul(x5, x5, &yy));
    dy = grad1(gg, yy, x5); /* inside g's context: recorded on g */
    CHECK_OK(tg_tape_end(g));
    CHECK_NEAR(item_of(dy), 10.0, 0);
    CHECK_NEAR(grad1_value(g, dy, x5), 2.0, 0);
    CHECK_OK(tg_tape_free(gg));
    CHECK_OK(tg_tape_free(g));
    tg_tensor_free(x5);
    tg_tensor_free(yy);
    tg_tensor_free(dy);
  }
}

int main(void) {
  test_output_gradients();
  test_unconnected();
  test_targets_and_sources();
  test_integers_and_non_differentiable_ops();
  test_higher_order();
  return check_summary();
}
