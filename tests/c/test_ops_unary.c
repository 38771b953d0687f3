/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of the unary math ops (tg_abs … tg_stop_gradient): values against hand-computed
 * numbers in float32 and float64 (TensorFlow's own examples where it has them: gelu(1) =
 * 0.8413447, round(2.5) = 2, round(-2.5) = -2, selu(1) = 1.0507010), integer behaviour,
 * gradients and second derivatives through a tape, NULL gradients through the
 * non-differentiable ops, and bad input (dtypes, NULL / freed / wrong-type handles, NULL out).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

typedef tg_status (*unary_fn)(const tg_tensor*, tg_tensor**);

static tg_status leaky_default(const tg_tensor* x, tg_tensor** out) {
  return tg_leaky_relu(x, TG_LEAKY_RELU_DEFAULT_ALPHA, out);
}
static tg_status leaky_negative(const tg_tensor* x, tg_tensor** out) {
  return tg_leaky_relu(x, -0.5, out);
}
static tg_status gelu_exact(const tg_tensor* x, tg_tensor** out) { return tg_gelu(x, 0, out); }
static tg_status gelu_tanh(const tg_tensor* x, tg_tensor** out) { return tg_gelu(x, 1, out); }

/* ---- values ---- */

#define MAX_VALUES 8
struct value_case {
  const char* name;
  unary_fn fn;
  int n;
  double in[MAX_VALUES];
  double want[MAX_VALUES];
  double tol32, tol64; /* absolute */
};

static const struct value_case value_cases[] = {
    {"abs", tg_abs, 5, {-1.5, 0, 2, -7, 3.25}, {1.5, 0, 2, 7, 3.25}, 0, 0},
    {"sign", tg_sign, 5, {-1.5, 0, 2, -7, 1e-30}, {-1, 0, 1, -1, 1}, 0, 0},
    {"square", tg_square, 4, {-3, 0.5, 0, 12}, {9, 0.25, 0, 144}, 0, 0},
    {"sqrt", tg_sqrt, 6, {0, 1, 4, 9, 2, 0.25}, {0, 1, 2, 3, 1.4142135623730951, 0.5}, 1e-7, 1e-15},
    {"rsqrt", tg_rsqrt, 4, {1, 4, 0.25, 2}, {1, 0.5, 2, 0.70710678118654752}, 1e-7, 1e-15},
    {"expm1", tg_expm1, 4, {0, 1, -1, 2}, {0, 1.718281828459045, -0.6321205588285577,
                                          6.38905609893065}, 1e-6, 1e-14},
    {"log1p", tg_log1p, 4, {0, 1, -0.5, 3}, {0, 0.6931471805599453, -0.6931471805599453,
                                             1.3862943611198906}, 1e-7, 1e-15},
    {"sin", tg_sin, 4, {0, 0.5235987755982988, 1.5707963267948966, 3.141592653589793},
     {0, 0.5, 1, 0}, 1e-7, 1e-15},
    {"cos", tg_cos, 4, {0, 0.5235987755982988, 1.5707963267948966, 3.141592653589793},
     {1, 0.8660254037844387, 0, -1}, 1e-7, 1e-15},
    {"tanh", tg_tanh, 5, {0, 0.5, -1, 20, -20}, {0, 0.46211715726000974, -0.7615941559557649,
                                                 1, -1}, 1e-7, 1e-15},
    /* large |x| neither overflows nor gives NaN */
    {"sigmoid", tg_sigmoid, 6, {0, 1, -1, 1000, -1000, 20},
     {0.5, 0.7310585786300049, 0.2689414213699951, 1, 0, 0.9999999979388463}, 1e-7, 1e-15},
    {"softplus", tg_softplus, 6, {0, 1, -1, 1000, -1000, 20},
     {0.6931471805599453, 1.3132616875182228, 0.31326168751822286, 1000, 0,
      20.000000002061153}, 2e-6, 1e-13},
    {"relu6", tg_relu6, 6, {-3, 0, 3, 6, 7.5, 5.5}, {0, 0, 3, 6, 6, 5.5}, 0, 0},
    {"leaky_relu(0.2)", leaky_default, 4, {-2, -0.5, 0, 3}, {-0.4, -0.1, 0, 3}, 1e-7, 1e-16},
    {"leaky_relu(-0.5)", leaky_negative, 3, {-2, 1, 0}, {1, 1, 0}, 0, 0},
    {"elu", tg_elu, 4, {-1, 0, 2, -20}, {-0.6321205588285577, 0, 2, -0.9999999979388464},
     1e-7, 1e-15},
    /* tf.nn.selu(1.0) = 1.0507010 */
    {"selu", tg_selu, 4, {1, 0, -1, 2}, {1.0507009873554805, 0, -1.1113307378125625,
                                         2.101401974710961}, 2e-7, 1e-15},
    /* tf.nn.gelu(1.0) = 0.8413447 (exact), 0.8411920 (approximate) */
    {"gelu", gelu_exact, 6, {1, 0, -1, 2, -3, 0.5},
     {0.8413447460685429, 0, -0.15865525393145707, 1.9544997361036416, -0.004049694094890287,
      0.34573123063700656}, 1e-7, 1e-15},
    {"gelu(approximate)", gelu_tanh, 6, {1, 0, -1, 2, -3, 0.5},
     {0.8411919906082768, 0, -0.1588080093917232, 1.954597694087775, -0.0036373920817729943,
      0.34571400982514394}, 1e-7, 1e-15},
    {"silu", tg_silu, 5, {0, 1, -1, 2, -1000}, {0, 0.7310585786300049, -0.2689414213699951,
                                               1.7615941559557646, 0}, 1e-7, 1e-15},
    /* TF rounds half to even: round(2.5) = 2, round(-2.5) = -2, round(0.5) = 0 */
    {"round", tg_round, 7, {2.5, -2.5, 0.5, 1.5, -0.7, 3.2, -3.5}, {2, -2, 0, 2, -1, 3, -4}, 0, 0},
    {"floor", tg_floor, 6, {2.5, -2.5, 0.5, 1.5, -0.7, 3}, {2, -3, 0, 1, -1, 3}, 0, 0},
    {"ceil", tg_ceil, 6, {2.5, -2.5, 0.5, 1.5, -0.7, 3}, {3, -2, 1, 2, 0, 3}, 0, 0},
    {"identity", tg_identity, 3, {1.5, -2, 0}, {1.5, -2, 0}, 0, 0},
    {"stop_gradient", tg_stop_gradient, 3, {1.5, -2, 0}, {1.5, -2, 0}, 0, 0},
};
#define NUM_VALUE_CASES ((int)(sizeof value_cases / sizeof value_cases[0]))

static void test_values(void) {
  int i, dt;
  for (i = 0; i < NUM_VALUE_CASES; ++i) {
    const struct value_case* c = &value_cases[i];
    const int64_t shape[1] = {c->n};
    for (dt = 0; dt < 2; ++dt) {
      const tg_dtype dtype = dt == 0 ? TG_FLOAT32 : TG_FLOAT64;
      tg_tensor* x = make_tensor(dtype, shape, 1, c->in);
      tg_tensor* r = NULL;
      if (!check_status(c->fn(x, &r), TG_OK, __FILE__, __LINE__, c->name)) {
        tg_tensor_free(x);
        continue;
      }
      if (!check_tensor_at(__FILE__, __LINE__, r, dtype, shape, 1, c->want,
                           dt == 0 ? c->tol32 : c->tol64))
        fprintf(stderr, "    (op %s, %s)\n", c->name, dt == 0 ? "float32" : "float64");
      tg_tensor_free(r);
      tg_tensor_free(x);
    }
  }
}

/* Results that need more than one absolute tolerance, and shapes beyond rank 1. */
static void test_special_values(void) {
  tg_tensor *x, *r = NULL;
  /* expm1 / log1p near 0: exact to the last bit, where exp(x) - 1 would lose 8 digits */
  x = make_scalar(TG_FLOAT64, 1e-10);
  CHECK_OK(tg_expm1(x, &r));
  CHECK_NEAR(item_of(r), 1.00000000005e-10, 1e-25);
  tg_tensor_free(r);
  CHECK_OK(tg_log1p(x, &r));
  CHECK_NEAR(item_of(r), 9.9999999995e-11, 1e-25);
  tg_tensor_free(r);
  tg_tensor_free(x);

  /* the exact gelu keeps relative precision far in the negative tail:
   * gelu(-10) = -10·Φ(-10) = -7.619853e-23 */
  x = make_scalar(TG_FLOAT64, -10);
  CHECK_OK(tg_gelu(x, 0, &r));
  CHECK_NEAR(item_of(r) / -7.6198530241605933e-23, 1, 1e-12);
  tg_tensor_free(r);
  tg_tensor_free(x);

  /* NaN: sign, abs, relu6 and tanh keep it; rounding keeps it */
  {
    const int64_t s2[] = {2};
    tg_tensor* n = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){NAN, -1}));
    CHECK_OK(tg_sign(n, &r));
    CHECK(isnan(element(r, 0)) && element(r, 1) == -1);
    tg_tensor_free(r);
    CHECK_OK(tg_relu6(n, &r));
    CHECK(isnan(element(r, 0)) && element(r, 1) == 0);
    tg_tensor_free(r);
    CHECK_OK(tg_round(n, &r));
    CHECK(isnan(element(r, 0)) && element(r, 1) == -1);
    tg_tensor_free(r);
    CHECK_OK(tg_sqrt(n, &r)); /* sqrt(-1) is NaN, not an error */
    CHECK(isnan(element(r, 0)) && isnan(element(r, 1)));
    tg_tensor_free(r);
    tg_tensor_free(n);
  }

  /* round in float32 at the largest float below 0.5: 0, not 1 (no x + 0.5 double rounding) */
  x = make_scalar(TG_FLOAT32, 0.4999999701976776);
  CHECK_OK(tg_round(x, &r));
  CHECK_TENSOR(r, TG_FLOAT32, NULL, 0, (const double[]){0}, 0);
  tg_tensor_free(r);
  tg_tensor_free(x);

  /* round: values already integral stay put (beyond 2^23 / 2^52 every float is one), and
   * the sign of a zero result is kept: round(-0.4) = -0 */
  {
    const int64_t s4[] = {4};
    const double big[] = {1e30, 8388609, -0.4, -16777215};
    const double big64[] = {1e300, 4503599627370497.0, -0.4, -9007199254740991.0};
    tg_tensor* f = make_tensor(TG_FLOAT32, s4, 1, big);
    tg_tensor* d = make_tensor(TG_FLOAT64, s4, 1, big64);
    CHECK_OK(tg_round(f, &r));
    CHECK_TENSOR(r, TG_FLOAT32, s4, 1, ((const double[]){1e30f, 8388609, 0, -16777215}), 0);
    CHECK(signbit(element(r, 2)));
    tg_tensor_free(r);
    CHECK_OK(tg_round(d, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s4, 1,
                 ((const double[]){1e300, 4503599627370497.0, 0, -9007199254740991.0}), 0);
    CHECK(signbit(element(r, 2)));
    tg_tensor_free(r);
    tg_tensor_free(f);
    tg_tensor_free(d);
  }

  /* rank 2 keeps the shape */
  {
    const int64_t s23[] = {2, 3};
    const double v[] = {-1, 4, 9, 16, -25, 0.25};
    const double want[] = {1, 2, 3, 4, 5, 0.5};
    tg_tensor *a = make_tensor(TG_FLOAT64, s23, 2, v), *b = NULL;
    CHECK_OK(tg_abs(a, &b));
    CHECK_OK(tg_sqrt(b, &r));
    CHECK_TENSOR(r, TG_FLOAT64, s23, 2, want, 0);
    tg_tensor_free(r);
    tg_tensor_free(b);
    tg_tensor_free(a);
  }

  /* identity and stop_gradient share storage, for every dtype */
  {
    const int64_t s3[] = {3};
    tg_tensor* flags = make_tensor(TG_BOOL, s3, 1, ((const double[]){1, 0, 1}));
    const void *p = NULL, *q = NULL;
    CHECK_OK(tg_stop_gradient(flags, &r));
    CHECK_TENSOR(r, TG_BOOL, s3, 1, ((const double[]){1, 0, 1}), 0);
    CHECK_OK(tg_tensor_data(flags, &p));
    CHECK_OK(tg_tensor_data(r, &q));
    CHECK(p == q);
    tg_tensor_free(r);
    CHECK_OK(tg_identity(flags, &r));
    CHECK_TENSOR(r, TG_BOOL, s3, 1, ((const double[]){1, 0, 1}), 0);
    tg_tensor_free(r);
    tg_tensor_free(flags);
  }
}

/* Integer inputs: abs, sign, square, relu6 and round accept them; abs and square wrap. */
static void test_integers(void) {
  const int64_t s4[] = {4};
  tg_tensor* r = NULL;
  tg_tensor* i32 = make_tensor(TG_INT32, s4, 1, ((const double[]){-2147483648.0, -5, 0, 46341}));
  tg_tensor* i64 = make_tensor(TG_INT64, s4, 1, ((const double[]){-9, 0, 7, 8}));
  CHECK_OK(tg_abs(i32, &r));
  CHECK_TENSOR(r, TG_INT32, s4, 1, ((const double[]){-2147483648.0, 5, 0, 46341}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_square(i32, &r)); /* 46341² = 2147488281 wraps to -2147479015 */
  CHECK_TENSOR(r, TG_INT32, s4, 1, ((const double[]){0, 25, 0, -2147479015.0}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_sign(i64, &r));
  CHECK_TENSOR(r, TG_INT64, s4, 1, ((const double[]){-1, 0, 1, 1}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_relu6(i64, &r));
  CHECK_TENSOR(r, TG_INT64, s4, 1, ((const double[]){0, 0, 6, 6}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_round(i64, &r));
  CHECK_TENSOR(r, TG_INT64, s4, 1, ((const double[]){-9, 0, 7, 8}), 0);
  tg_tensor_free(r);
  CHECK_OK(tg_abs(i64, &r));
  CHECK_TENSOR(r, TG_INT64, s4, 1, ((const double[]){9, 0, 7, 8}), 0);
  tg_tensor_free(r);
  /* tf.nn.leaky_relu casts integers to float32 */
  CHECK_OK(tg_leaky_relu(i64, 0.5, &r));
  CHECK_TENSOR(r, TG_FLOAT32, s4, 1, ((const double[]){-4.5, 0, 7, 8}), 0);
  tg_tensor_free(r);
  tg_tensor_free(i32);
  tg_tensor_free(i64);
}

/* ---- gradients ---- */

/* d(sum f(x))/dx through a non-persistent tape; NULL if the gradient is NULL or on failure. */
static tg_tensor* gradient_of(unary_fn f, const tg_tensor* x) {
  tg_tape* tape = NULL;
  tg_tensor *y = NULL, *g = NULL;
  const void* targets[1];
  const void* sources[1];
  if (!CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape))) return NULL;
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(f(x, &y));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = y;
  sources[0] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  tg_tensor_free(y);
  tg_tape_free(tape);
  return g;
}

struct grad_case {
  const char* name;
  unary_fn fn;
  int n;
  double x[4];
  double grad[4];
  double tol64;
};

static const struct grad_case grad_cases[] = {
    /* abs' = sign(x): 0 at 0, as TF */
    {"abs", tg_abs, 3, {-2, 0, 3}, {-1, 0, 1}, 0},
    {"square", tg_square, 2, {3, -0.5}, {6, -1}, 0},
    {"sqrt", tg_sqrt, 2, {4, 0.25}, {0.25, 1}, 1e-15},
    {"rsqrt", tg_rsqrt, 2, {4, 1}, {-0.0625, -0.5}, 1e-15},
    {"expm1", tg_expm1, 2, {1, 0}, {2.718281828459045, 1}, 1e-15},
    {"log1p", tg_log1p, 2, {1, 0}, {0.5, 1}, 1e-15},
    {"sin", tg_sin, 2, {0, 3.141592653589793}, {1, -1}, 1e-15},
    {"cos", tg_cos, 2, {1.5707963267948966, 0}, {-1, 0}, 1e-15},
    {"tanh", tg_tanh, 3, {0, 0.5, 30}, {1, 0.7864477329659274, 0}, 1e-15},
    {"sigmoid", tg_sigmoid, 3, {0, 1, -1000}, {0.25, 0.19661193324148185, 0}, 1e-15},
    {"softplus", tg_softplus, 3, {0, 1000, -1000}, {0.5, 1, 0}, 1e-15},
    {"relu6", tg_relu6, 4, {-1, 3, 7, 5.5}, {0, 1, 0, 1}, 0},
    {"leaky_relu(0.2)", leaky_default, 2, {-1, 2}, {0.2, 1}, 1e-16},
    {"elu", tg_elu, 3, {-1, 2, 0.5}, {0.36787944117144233, 1, 1}, 1e-15},
    {"selu", tg_selu, 2, {-1, 1}, {0.646768603034814, 1.0507009873554805}, 1e-15},
    {"gelu", gelu_exact, 2, {1, 0}, {1.0833154705876864, 0.5}, 1e-15},
    {"gelu(approximate)", gelu_tanh, 2, {1, 0}, {1.0829640838457826, 0.5}, 1e-15},
    {"silu", tg_silu, 2, {1, 0}, {0.9276705118714869, 0.5}, 1e-15},
    {"identity", tg_identity, 2, {1, -4}, {1, 1}, 0},
};
#define NUM_GRAD_CASES ((int)(sizeof grad_cases / sizeof grad_cases[0]))

static void test_gradients(void) {
  int i, dt;
  for (i = 0; i < NUM_GRAD_CASES; ++i) {
    const struct grad_case* c = &grad_cases[i];
    const int64_t shape[1] = {c->n};
    for (dt = 0; dt < 2; ++dt) {
      const tg_dtype dtype = dt == 0 ? TG_FLOAT32 : TG_FLOAT64;
      tg_tensor* x = make_tensor(dtype, shape, 1, c->x);
      tg_tensor* g = gradient_of(c->fn, x);
      if (!check_tensor_at(__FILE__, __LINE__, g, dtype, shape, 1, c->grad,
                           dt == 0 ? 1e-6 : c->tol64))
        fprintf(stderr, "    (gradient of %s, %s)\n", c->name, dt == 0 ? "float32" : "float64");
      tg_tensor_free(g);
      tg_tensor_free(x);
    }
  }
}

/* First and second derivative at a scalar x through one persistent tape that records its
 * own gradient computation. */
static void second_derivative(unary_fn f, double x0, double* d1, double* d2) {
  tg_tape* tape = NULL;
  tg_tensor *x = make_scalar(TG_FLOAT64, x0), *y = NULL, *g = NULL, *gg = NULL;
  const void* targets[1];
  const void* sources[1];
  *d1 = *d2 = NAN;
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(f(x, &y));
  targets[0] = y;
  sources[0] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = g;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &gg));
  *d1 = item_of(g);
  *d2 = item_of(gg);
  tg_tensor_free(gg);
  tg_tensor_free(g);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(tape);
}

static void test_second_derivatives(void) {
  double d1, d2;
  /* gelu exact at 1: Φ(1) + φ(1) and φ(1)·(2 - 1²) */
  second_derivative(gelu_exact, 1, &d1, &d2);
  CHECK_NEAR(d1, 1.0833154705876864, 1e-14);
  CHECK_NEAR(d2, 0.24197072451914337, 1e-14);
  /* tanh at 0.5: 1 - t², -2t(1 - t²) */
  second_derivative(tg_tanh, 0.5, &d1, &d2);
  CHECK_NEAR(d1, 0.7864477329659274, 1e-14);
  CHECK_NEAR(d2, -0.7268619813835873, 1e-14);
  /* sigmoid at 0: 1/4 and 0; softplus at 0: 1/2 and 1/4 */
  second_derivative(tg_sigmoid, 0, &d1, &d2);
  CHECK_NEAR(d1, 0.25, 1e-15);
  CHECK_NEAR(d2, 0, 1e-15);
  second_derivative(tg_softplus, 0, &d1, &d2);
  CHECK_NEAR(d1, 0.5, 1e-15);
  CHECK_NEAR(d2, 0.25, 1e-15);
  /* silu at 0: 1/2 and s(1-s)·2 = 1/2; elu at -1: e⁻¹ twice */
  second_derivative(tg_silu, 0, &d1, &d2);
  CHECK_NEAR(d1, 0.5, 1e-15);
  CHECK_NEAR(d2, 0.5, 1e-15);
  second_derivative(tg_elu, -1, &d1, &d2);
  CHECK_NEAR(d1, 0.36787944117144233, 1e-15);
  CHECK_NEAR(d2, 0.36787944117144233, 1e-15);
  /* sqrt at 4: 1/4 and -1/32 */
  second_derivative(tg_sqrt, 4, &d1, &d2);
  CHECK_NEAR(d1, 0.25, 1e-15);
  CHECK_NEAR(d2, -0.03125, 1e-15);
}

/* floor, ceil, round, sign and stop_gradient block gradients: NULL, as TF's None. */
static void test_null_gradients(void) {
  const unary_fn blocked[] = {tg_floor, tg_ceil, tg_round, tg_sign, tg_stop_gradient};
  const char* names[] = {"floor", "ceil", "round", "sign", "stop_gradient"};
  int i;
  for (i = 0; i < 5; ++i) {
    tg_tensor* x = make_scalar(TG_FLOAT32, 2.5);
    tg_tensor* g = gradient_of(blocked[i], x);
    if (!CHECK(g == NULL)) fprintf(stderr, "    (%s)\n", names[i]);
    tg_tensor_free(g);
    tg_tensor_free(x);
  }
  /* y = x · stop_gradient(x) at 3: dy/dx = 3 (not 6); y = x + floor(x): dy/dx = 1 */
  {
    tg_tape* tape = NULL;
    tg_tensor *x = make_scalar(TG_FLOAT32, 3), *s = NULL, *f = NULL, *y = NULL, *z = NULL;
    tg_tensor* g[2] = {NULL, NULL};
    const void* targets[1];
    const void* sources[1];
    CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
    CHECK_OK(tg_tape_watch(tape, x));
    CHECK_OK(tg_stop_gradient(x, &s));
    CHECK_OK(tg_mul(x, s, &y));
    CHECK_OK(tg_floor(x, &f));
    CHECK_OK(tg_add(x, f, &z));
    CHECK_OK(tg_tape_end(tape));
    sources[0] = x;
    targets[0] = y;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g[0]));
    CHECK_TENSOR(g[0], TG_FLOAT32, NULL, 0, (const double[]){3}, 0);
    targets[0] = z;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g[1]));
    CHECK_TENSOR(g[1], TG_FLOAT32, NULL, 0, (const double[]){1}, 0);
    tg_tensor_free(g[0]);
    tg_tensor_free(g[1]);
    tg_tensor_free(x);
    tg_tensor_free(s);
    tg_tensor_free(f);
    tg_tensor_free(y);
    tg_tensor_free(z);
    tg_tape_free(tape);
  }
  /* abs is piecewise linear: the gradient of its gradient is NULL (through sign) */
  {
    tg_tape* tape = NULL;
    tg_tensor *x = make_scalar(TG_FLOAT64, -2), *y = NULL, *g = NULL, *gg = NULL;
    const void* targets[1];
    const void* sources[1];
    CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
    CHECK_OK(tg_tape_watch(tape, x));
    CHECK_OK(tg_abs(x, &y));
    targets[0] = y;
    sources[0] = x;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
    CHECK_OK(tg_tape_end(tape));
    CHECK_TENSOR(g, TG_FLOAT64, NULL, 0, (const double[]){-1}, 0);
    targets[0] = g;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &gg));
    CHECK(gg == NULL);
    tg_tensor_free(gg);
    tg_tensor_free(g);
    tg_tensor_free(y);
    tg_tensor_free(x);
    tg_tape_free(tape);
  }
}

/* ---- bad input ---- */

struct named_fn {
  const char* name; /* the C function's name, as it appears in "[tg_…]" */
  const char* op;   /* the op's name in the message */
  unary_fn fn;
  int floating_only;
};

static const struct named_fn all_fns[] = {
    {"[tg_abs]", "abs", tg_abs, 0},
    {"[tg_sign]", "sign", tg_sign, 0},
    {"[tg_square]", "square", tg_square, 0},
    {"[tg_sqrt]", "sqrt", tg_sqrt, 1},
    {"[tg_rsqrt]", "rsqrt", tg_rsqrt, 1},
    {"[tg_expm1]", "expm1", tg_expm1, 1},
    {"[tg_log1p]", "log1p", tg_log1p, 1},
    {"[tg_sin]", "sin", tg_sin, 1},
    {"[tg_cos]", "cos", tg_cos, 1},
    {"[tg_tanh]", "tanh", tg_tanh, 1},
    {"[tg_sigmoid]", "sigmoid", tg_sigmoid, 1},
    {"[tg_softplus]", "softplus", tg_softplus, 1},
    {"[tg_relu6]", "relu6", tg_relu6, 0},
    {"[tg_leaky_relu]", "leaky_relu", leaky_default, 0},
    {"[tg_elu]", "elu", tg_elu, 1},
    {"[tg_selu]", "selu", tg_selu, 1},
    {"[tg_gelu]", "gelu", gelu_exact, 1},
    {"[tg_gelu]", "gelu", gelu_tanh, 1},
    {"[tg_silu]", "silu", tg_silu, 1},
    {"[tg_floor]", "floor", tg_floor, 1},
    {"[tg_ceil]", "ceil", tg_ceil, 1},
    {"[tg_round]", "round", tg_round, 0},
    {"[tg_identity]", "identity", tg_identity, -1},
    {"[tg_stop_gradient]", "stop_gradient", tg_stop_gradient, -1},
};
#define NUM_FNS ((int)(sizeof all_fns / sizeof all_fns[0]))

static void test_bad_input(void) {
  const int64_t s23[] = {2, 3};
  const double v[] = {1, 2, 3, 4, 5, 6};
  tg_tensor* ints = make_tensor(TG_INT32, s23, 2, v);
  tg_tensor* longs = make_tensor(TG_INT64, s23, 2, v);
  tg_tensor* flags = make_tensor(TG_BOOL, s23, 2, v);
  tg_tensor* a = make_tensor(TG_FLOAT32, s23, 2, v);
  tg_tensor* freed = make_tensor(TG_FLOAT32, s23, 2, v);
  tg_tensor* sentinel = (tg_tensor*)&sentinel;
  tg_tensor* r = sentinel;
  tg_variable* var = NULL;
  tg_tape* tape = NULL;
  int i;
  CHECK_OK(tg_variable_create("v", a, 1, &var));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tensor_free(freed));

  for (i = 0; i < NUM_FNS; ++i) {
    const struct named_fn* f = &all_fns[i];
    if (f->floating_only == 1) {
      /* an int input to sqrt & co.: the message names the function, the op and the dtype */
      CHECK_ERR(f->fn(ints, &r), TG_INVALID_ARGUMENT, f->name, f->op,
                "expected a floating dtype", "int32");
      CHECK_ERR(f->fn(longs, &r), TG_INVALID_ARGUMENT, f->name, f->op, "int64");
    }
    if (f->floating_only >= 0)
      CHECK_ERR(f->fn(flags, &r), TG_INVALID_ARGUMENT, f->name, f->op, "bool");
    CHECK_ERR(f->fn(NULL, &r), TG_INVALID_HANDLE, f->name, "x is NULL");
    CHECK_ERR(f->fn(freed, &r), TG_INVALID_HANDLE, f->name, "x is not a live");
    CHECK_ERR(f->fn((const tg_tensor*)var, &r), TG_INVALID_HANDLE, f->name,
              "x is a tg_variable, expected a tg_tensor");
    CHECK_ERR(f->fn((const tg_tensor*)tape, &r), TG_INVALID_HANDLE, f->name, "is a tg_tape");
    CHECK_ERR(f->fn(a, NULL), TG_INVALID_ARGUMENT, f->name, "out");
  }
  CHECK(r == sentinel); /* nothing written on error */

  CHECK_OK(tg_tape_free(tape));
  CHECK_OK(tg_variable_free(var));
  tg_tensor_free(ints);
  tg_tensor_free(longs);
  tg_tensor_free(flags);
  tg_tensor_free(a);
}

int main(void) {
  test_values();
  test_special_values();
  test_integers();
  test_gradients();
  test_second_derivatives();
  test_null_gradients();
  test_bad_input();
  return check_summary();
}
