/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_optimizers.c — the optimizer C API: SGD, Adam (AMSGrad), AdamW, RMSprop, Adagrad,
 * clipping, weight decay and its exclusions, learning-rate schedules, iterations, build,
 * NULL gradients and the warning handler, and bad input.
 *
 * Expected values come from a float64 numpy script written from the formulas of
 * docs/tensorflow.md (not from tapegrad). Unless a test says otherwise:
 *   θ0 = (1, −2, 0.5), g1 = (0.1, −0.5, 2), g2 = (0.2, 0.3, −1), g3 = (−0.4, 0.1, 0.5);
 *   a second variable θ0 = (0.25, −0.75), g1 = (1.5, −0.5), g2 = (−0.25, 2), g3 = (0.5, 0.5).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static const double kTheta0[3] = {1.0, -2.0, 0.5};
static const double kGrads[3][3] = {{0.1, -0.5, 2.0}, {0.2, 0.3, -1.0}, {-0.4, 0.1, 0.5}};
static const double kTheta0b[2] = {0.25, -0.75};
static const double kGradsb[3][2] = {{1.5, -0.5}, {-0.25, 2.0}, {0.5, 0.5}};
static const int64_t kShape3[1] = {3}, kShape2[1] = {2};

#define TOL64 1e-12
#define TOL32 2e-6

static tg_variable* make_variable(const char* name, tg_dtype dtype, const int64_t* shape,
                                  const double* values) {
  tg_tensor* init = make_tensor(dtype, shape, 1, values);
  tg_variable* v = NULL;
  CHECK_OK(tg_variable_create(name, init, 1, &v));
  tg_tensor_free(init);
  return v;
}

static void check_variable(tg_variable* v, tg_dtype dtype, const int64_t* shape,
                           const double* expected, double tol) {
  tg_tensor* value = NULL;
  CHECK_OK(tg_variable_read(v, &value));
  CHECK_TENSOR(value, dtype, shape, 1, expected, tol);
  tg_tensor_free(value);
}

/* Three steps of `opt` on one variable θ0 with g1..g3; checks θ and the returned counter. */
static void check_three_steps(tg_optimizer* opt, tg_dtype dtype, const double expected[3][3],
                              double tol) {
  tg_variable* w = make_variable("w", dtype, kShape3, kTheta0);
  int k;
  for (k = 0; k < 3; ++k) {
    tg_tensor* g = make_tensor(dtype, kShape3, 1, kGrads[k]);
    int64_t iterations = -1;
    CHECK_OK(tg_optimizer_apply(opt, &w, &g, 1, &iterations));
    CHECK(iterations == k + 1);
    check_variable(w, dtype, kShape3, expected[k], tol);
    tg_tensor_free(g);
  }
  tg_variable_free(w);
}

/* Three steps on the two variables "dense/kernel:0" (θ0) and "dense/bias:0" (θ0b). */
static void check_three_steps_two(tg_optimizer* opt, tg_dtype dtype, const double w_expected[3][3],
                                  const double b_expected[3][2], double tol) {
  tg_variable* vars[2];
  int k;
  vars[0] = make_variable("dense/kernel:0", dtype, kShape3, kTheta0);
  vars[1] = make_variable("dense/bias:0", dtype, kShape2, kTheta0b);
  for (k = 0; k < 3; ++k) {
    tg_tensor* grads[2];
    grads[0] = make_tensor(dtype, kShape3, 1, kGrads[k]);
    grads[1] = make_tensor(dtype, kShape2, 1, kGradsb[k]);
    CHECK_OK(tg_optimizer_apply(opt, vars, grads, 2, NULL));
    check_variable(vars[0], dtype, kShape3, w_expected[k], tol);
    check_variable(vars[1], dtype, kShape2, b_expected[k], tol);
    tg_tensor_free(grads[0]);
    tg_tensor_free(grads[1]);
  }
  tg_variable_free(vars[0]);
  tg_variable_free(vars[1]);
}

/* ---- the update rules -------------------------------------------------------------------- */

/* SGD(0.1, momentum 0.9, nesterov): v ← μv − lr·g; θ ← θ + μv − lr·g (docs/tensorflow.md). */
static const double kSgdNesterov[3][3] = {{0.98099999999999998, -1.905, 0.12},
                                          {0.93489999999999995, -1.9215, 0.14799999999999996},
                                          {0.98741000000000001, -1.92835, -0.01180000000000006}};
/* SGD(0.1, momentum 0.9): v ← μv − lr·g; θ ← θ + v. */
static const double kSgdMomentum[3][3] = {{0.98999999999999999, -1.95, 0.29999999999999999},
                                          {0.96099999999999997, -1.9350000000000001, 0.21999999999999997},
                                          {0.97489999999999999, -1.9315, 0.097999999999999948}};
/* Adam(0.01, β2 = 0.5, amsgrad): v̂ ← max(v̂, v) in the denominator. */
static const double kAdamAmsgrad[3][3] = {{0.99000001414211558, -1.9900000028284264, 0.49000000070710675},
                                          {0.98118783169769375, -1.9880661956837187, 0.48742159063386664},
                                          {0.98277613323246438, -1.9877244935815206, 0.48444390025447759}};
/* AdamW(0.01, wd 0.004): θ ← θ − θ·wd·lr, then Adam. */
static const double kAdamW[3][3] = {{0.98996031621776626, -1.989920063245153, 0.4899800158113633},
                                    {0.9802690340559721, -1.9879254964795532, 0.48729704998220358},
                                    {0.98216775446977056, -1.9874677354545087, 0.48387327132050484}};
/* RMSprop(0.01, centered, momentum 0.9), new formula: ε inside the sqrt. */
static const double kRmsCenteredMomentum[3][3] = {
    {0.96666851836421186, -1.9666667407404939, 0.46666667129629535},
    {0.90527846429254222, -1.9536305588802534, 0.45151452059920649},
    {0.87815955868916729, -1.9477362878223623, 0.43019994708775533}};
/* RMSprop(0.01). */
static const double kRmsPlain[3][3] = {{0.96837880441857072, -1.9683772866436797, 0.46837722735116255},
                                       {0.93980766738786925, -1.9852803449080201, 0.48312142136402259},
                                       {0.96780633888242484, -1.9911174190182981, 0.47557505831760494}};
/* Adagrad(0.1, init 0.5, ε 1e-3), new formula θ ← θ − lr·g/sqrt(acc + ε). */
static const double kAdagrad[3][3] = {{0.9860109072401867, -1.9423034246516824, 0.40572956975219182},
                                      {0.95906739571946709, -1.9750166418258379, 0.44836583717516965},
                                      {1.006505266850455, -1.9858567900333575, 0.42751620870181406}};
/* Adagrad(0.1) with weight decay 0.1 (the base-class decay on any optimizer). */
static const double kAdagradDecay[3][3] = {{0.95984887924727536, -1.8954845866007779, 0.39622704153958932},
                                           {0.89861062971862116, -1.9217564372820375, 0.43654551496707328},
                                           {0.96146663264470889, -1.9174459911028694, 0.41056317496107364}};

static void test_update_rules(void) {
  tg_optimizer* opt = NULL;
  int d;
  for (d = 0; d < 2; ++d) {
    const tg_dtype dtype = d == 0 ? TG_FLOAT64 : TG_FLOAT32;
    const double tol = d == 0 ? TOL64 : TOL32;
    opt = make_optimizer("sgd", "learning_rate", 0.1, "momentum", 0.9, "nesterov", 1.0);
    check_three_steps(opt, dtype, kSgdNesterov, tol);
    tg_optimizer_free(opt);
    opt = make_optimizer("sgd", "learning_rate", 0.1, "momentum", 0.9);
    check_three_steps(opt, dtype, kSgdMomentum, tol);
    tg_optimizer_free(opt);
    opt = make_optimizer("adam", "learning_rate", 0.01, "beta_2", 0.5, "amsgrad", 1.0);
    check_three_steps(opt, dtype, kAdamAmsgrad, tol);
    tg_optimizer_free(opt);
    opt = make_optimizer("adamw", "learning_rate", 0.01); /* Keras's weight decay 0.004 */
    check_three_steps(opt, dtype, kAdamW, tol);
    tg_optimizer_free(opt);
    opt = make_optimizer("rmsprop", "learning_rate", 0.01, "momentum", 0.9, "centered", 1.0);
    check_three_steps(opt, dtype, kRmsCenteredMomentum, tol);
    tg_optimizer_free(opt);
    opt = make_optimizer("rmsprop", "learning_rate", 0.01);
    check_three_steps(opt, dtype, kRmsPlain, tol);
    tg_optimizer_free(opt);
    opt = make_optimizer("adagrad", "learning_rate", 0.1, "initial_accumulator_value", 0.5, "epsilon", 1e-3);
    check_three_steps(opt, dtype, kAdagrad, tol);
    tg_optimizer_free(opt);
    opt = make_optimizer("adagrad", "learning_rate", 0.1, "weight_decay", 0.1);
    check_three_steps(opt, dtype, kAdagradDecay, tol);
    tg_optimizer_free(opt);
  }
}

/* Keras docstrings: SGD(0.1) on var²/2 at 1 → 0.9; legacy Adam(0.1) at 10 → 9.9; RMSprop(0.1)
 * at 10 → 9.683772 (gradient = var). */
static double one_step(tg_optimizer* opt, double theta) {
  tg_tensor* init = make_scalar(TG_FLOAT32, theta);
  tg_tensor *g = make_scalar(TG_FLOAT32, theta), *value = NULL;
  tg_variable* v = NULL;
  double result;
  CHECK_OK(tg_variable_create("var", init, 1, &v));
  CHECK_OK(tg_optimizer_apply(opt, &v, &g, 1, NULL));
  CHECK_OK(tg_variable_read(v, &value));
  result = item_of(value);
  tg_tensor_free(value);
  tg_tensor_free(init);
  tg_tensor_free(g);
  tg_variable_free(v);
  return result;
}

static void test_keras_docstrings(void) {
  tg_optimizer* opt = NULL;
  opt = make_optimizer("sgd", "learning_rate", 0.1);
  CHECK_NEAR(one_step(opt, 1.0), 0.9, 1e-7);
  tg_optimizer_free(opt);
  opt = make_optimizer("adam", "learning_rate", 0.1);
  CHECK_NEAR(one_step(opt, 10.0), 9.9, 1e-6);
  tg_optimizer_free(opt);
  opt = make_optimizer("rmsprop", "learning_rate", 0.1);
  CHECK_NEAR(one_step(opt, 10.0), 9.683772, 1e-6);
  tg_optimizer_free(opt);
}

/* ---- weight decay ------------------------------------------------------------------------ */

/* Keras optimizer_test.py testWeightDecay: AdamW(lr=1, wd=0.004), zero gradients: var1
 * decayed by three optimizers → 2·0.996³ = 1.9760959; var2 excluded by name, var3 by
 * variable, stay at 2. */
static void test_weight_decay(void) {
  tg_tensor* zero = make_scalar(TG_FLOAT32, 0.0);
  tg_tensor* grads[2];
  tg_variable *var1, *var2, *var3, *vars[2];
  tg_optimizer *opt1 = NULL, *opt2 = NULL, *opt3 = NULL;
  const char* names[1] = {"exclude"};
  tg_tensor* init = make_scalar(TG_FLOAT32, 2.0);
  tg_tensor* value = NULL;
  CHECK_OK(tg_variable_create("var1", init, 1, &var1));
  CHECK_OK(tg_variable_create("exclude", init, 1, &var2));
  CHECK_OK(tg_variable_create("var3", init, 1, &var3));
  grads[0] = zero;
  grads[1] = zero;
  opt1 = make_optimizer("adamw", "learning_rate", 1.0);
  CHECK_OK(tg_optimizer_apply(opt1, &var1, grads, 1, NULL));
  opt2 = make_optimizer("adamw", "learning_rate", 1.0);
  CHECK_OK(tg_optimizer_exclude_from_weight_decay(opt2, NULL, 0, names, 1));
  vars[0] = var1;
  vars[1] = var2;
  CHECK_OK(tg_optimizer_apply(opt2, vars, grads, 2, NULL));
  opt3 = make_optimizer("adamw", "learning_rate", 1.0);
  CHECK_OK(tg_optimizer_exclude_from_weight_decay(opt3, &var3, 1, NULL, 0));
  vars[1] = var3;
  CHECK_OK(tg_optimizer_apply(opt3, vars, grads, 2, NULL));
  CHECK_OK(tg_variable_read(var1, &value));
  CHECK((float)item_of(value) == 1.9760959f);
  tg_tensor_free(value);
  CHECK_OK(tg_variable_read(var2, &value));
  CHECK(item_of(value) == 2.0);
  tg_tensor_free(value);
  CHECK_OK(tg_variable_read(var3, &value));
  CHECK(item_of(value) == 2.0);
  tg_tensor_free(value);

  /* Exclusions are fixed at build: afterwards TG_INVALID_STATE with Keras's text. */
  CHECK_ERR(tg_optimizer_exclude_from_weight_decay(opt3, &var1, 1, NULL, 0), TG_INVALID_STATE,
            "[tg_optimizer_exclude_from_weight_decay]",
            "`exclude_from_weight_decay()` can only be configued before the optimizer is built.");
  tg_optimizer_free(opt1);
  tg_optimizer_free(opt2);
  tg_optimizer_free(opt3);
  tg_variable_free(var1);
  tg_variable_free(var2);
  tg_variable_free(var3);
  tg_tensor_free(zero);
  tg_tensor_free(init);
}

/* AdamW(0.1, wd 0.5) with "dense/bias:0" excluded by the pattern "bias$": the bias follows
 * plain Adam(0.1). */
static const double kExclW[3][3] = {{0.85000316217766336, -1.8000006324515319, 0.37500015811363296},
                                    {0.71098616657732505, -1.6908509011982551, 0.32961648392267862},
                                    {0.69481617000006612, -1.6025259160864884, 0.27909279192955033}};
static const double kExclB[3][2] = {{0.15000021081806625, -0.65000063245153206},
                                    {0.096146567668424415, -0.70595089602900818},
                                    {0.036633216297000545, -0.76304532142749526}};

static void test_exclusion_pattern(void) {
  tg_optimizer* opt = NULL;
  const char* patterns[2] = {"^nothing$", "bias:0$"};
  opt = make_optimizer("adamw", "learning_rate", 0.1, "weight_decay", 0.5);
  CHECK_OK(tg_optimizer_exclude_from_weight_decay(opt, NULL, 0, patterns, 2));
  check_three_steps_two(opt, TG_FLOAT64, kExclW, kExclB, TOL64);
  tg_optimizer_free(opt);
}

/* ---- clipping ---------------------------------------------------------------------------- */

/* SGD(0.1), clipnorm 1: each gradient g·c / max(‖g‖, c). */
static const double kClipNormW[3][3] = {{0.99515498416888493, -1.9757749208444246, 0.40309968337769814},
                                        {0.97634056680121295, -2.0039965468959324, 0.49717177021605785},
                                        {1.0163405668012129, -2.0139965468959322, 0.44717177021605786}};
static const double kClipNormB[3][2] = {{0.15513167019494861, -0.71837722339831622},
                                        {0.16753514365386946, -0.81760501106968297},
                                        {0.11753514365386945, -0.86760501106968302}};
/* SGD(0.1), global_clipnorm 1.5: all gradients scaled by c / max(G, c). */
static const double kGlobalW[3][3] = {{0.99423076923076925, -1.9711538461538463, 0.38461538461538464},
                                      {0.98106540125953479, -1.9909018981106981, 0.45044222447155707},
                                      {1.0210654012595348, -2.0009018981106981, 0.40044222447155708}};
static const double kGlobalB[3][2] = {{0.16346153846153846, -0.72115384615384615},
                                      {0.17991824842558157, -0.85280752586619102},
                                      {0.12991824842558158, -0.90280752586619106}};
/* SGD(0.1), clipvalue 0.3: elements clamped to [−0.3, 0.3]. */
static const double kClipValueW[3][3] = {{0.98999999999999999, -1.97, 0.46999999999999997},
                                         {0.96999999999999997, -2, 0.5},
                                         {1, -2.0099999999999998, 0.46999999999999997}};
static const double kClipValueB[3][2] = {{0.22, -0.71999999999999997}, {0.245, -0.75}, {0.215, -0.78000000000000003}};

static void test_clipping(void) {
  tg_optimizer* opt = NULL;
  int d;
  for (d = 0; d < 2; ++d) {
    const tg_dtype dtype = d == 0 ? TG_FLOAT64 : TG_FLOAT32;
    const double tol = d == 0 ? TOL64 : TOL32;
    opt = make_optimizer("sgd", "learning_rate", 0.1, "clipvalue", 0.01, "clipnorm", 1.0); /* clipnorm wins */
    check_three_steps_two(opt, dtype, kClipNormW, kClipNormB, tol);
    tg_optimizer_free(opt);
    /* global_clipnorm takes precedence over clipvalue */
    opt = make_optimizer("sgd", "learning_rate", 0.1, "clipvalue", 0.01, "global_clipnorm", 1.5);
    check_three_steps_two(opt, dtype, kGlobalW, kGlobalB, tol);
    tg_optimizer_free(opt);
    /* 0 unsets clipnorm */
    opt = make_optimizer("sgd", "learning_rate", 0.1, "clipnorm", 1.0, "clipnorm", 0.0, "clipvalue", 0.3);
    check_three_steps_two(opt, dtype, kClipValueW, kClipValueB, tol);
    tg_optimizer_free(opt);
  }

  /* Keras optimizer_test.py: clipnorm 1 on [100, 100] → [0.7071068, 0.7071068]; global
   * clipnorm 1 on two [100, 100] → [0.5, 0.5] each. SGD(lr=1) from 0 gives −clipped g. */
  {
    const double zeros[2] = {0, 0}, hundreds[2] = {100, 100};
    const double clipped_norm[2] = {-0.70710678118654757, -0.70710678118654757};
    const double clipped_global[2] = {-0.5, -0.5};
    tg_variable* vars[2];
    tg_tensor* grads[2];
    vars[0] = make_variable("a", TG_FLOAT32, kShape2, zeros);
    vars[1] = make_variable("b", TG_FLOAT32, kShape2, zeros);
    grads[0] = make_tensor(TG_FLOAT32, kShape2, 1, hundreds);
    grads[1] = grads[0];
    opt = make_optimizer("sgd", "learning_rate", 1.0, "clipnorm", 1.0);
    CHECK_OK(tg_optimizer_apply(opt, vars, grads, 1, NULL));
    check_variable(vars[0], TG_FLOAT32, kShape2, clipped_norm, 1e-7);
    tg_optimizer_free(opt);
    tg_variable_free(vars[0]);
    vars[0] = make_variable("a", TG_FLOAT32, kShape2, zeros);
    opt = make_optimizer("sgd", "learning_rate", 1.0, "global_clipnorm", 1.0);
    CHECK_OK(tg_optimizer_apply(opt, vars, grads, 2, NULL));
    check_variable(vars[0], TG_FLOAT32, kShape2, clipped_global, 0);
    check_variable(vars[1], TG_FLOAT32, kShape2, clipped_global, 0);
    /* the caller's gradient is not modified by clipping */
    CHECK_TENSOR(grads[0], TG_FLOAT32, kShape2, 1, hundreds, 0);
    tg_optimizer_free(opt);
    tg_variable_free(vars[0]);
    tg_variable_free(vars[1]);
    tg_tensor_free(grads[0]);
  }

  opt = make_optimizer("sgd", "learning_rate", 0.1, "clipnorm", 1.0);
  CHECK_ERR(tg_optimizer_set(opt, "global_clipnorm", 2.0), TG_INVALID_ARGUMENT, "[tg_optimizer_set]",
            "At most one of `clipnorm` and `global_clipnorm` can be set.");
  CHECK_OK(tg_optimizer_set(opt, "clipnorm", 0.0));
  CHECK_OK(tg_optimizer_set(opt, "global_clipnorm", 2.0));
  CHECK_ERR(tg_optimizer_set(opt, "clipnorm", 1.0), TG_INVALID_ARGUMENT, "[tg_optimizer_set]",
            "At most one of `clipnorm` and `global_clipnorm` can be set.");
  CHECK_ERR(tg_optimizer_set(opt, "clipvalue", -1.0), TG_INVALID_ARGUMENT, "[tg_optimizer_set]",
            "clipvalue must be finite and > 0", "-1");
  CHECK_ERR(tg_optimizer_set(opt, "global_clipnorm", NAN), TG_INVALID_ARGUMENT, "[tg_optimizer_set]",
            "global_clipnorm must be finite");
  CHECK_ERR(tg_optimizer_set(NULL, "clipnorm", 1.0), TG_INVALID_HANDLE, "[tg_optimizer_set]",
            "optimizer is NULL");
  tg_optimizer_free(opt);
}

/* ---- schedules and the learning rate ------------------------------------------------------ */

/* SGD with a schedule; lr at iterations 0, 1, 2 (the counter before each step). */
static const double kExpo[3][3] = {{0.98999999999999999, -1.95, 0.29999999999999999},
                                   {0.97585786437626909, -1.9712132034355965, 0.37071067811865477},
                                   {0.99585786437626911, -1.9762132034355964, 0.34571067811865475}};
static const double kStair[3][3] = {{0.98999999999999999, -1.95, 0.29999999999999999},
                                    {0.96999999999999997, -1.98, 0.40000000000000002},
                                    {0.98999999999999999, -1.9849999999999999, 0.375}};
static const double kCosine[3][3] = {{0.98999999999999999, -1.95, 0.29999999999999999},
                                     {0.97899999999999998, -1.9664999999999999, 0.35499999999999998},
                                     {0.98299999999999998, -1.9674999999999998, 0.34999999999999998}};
static const double kPiece[3][3] = {{0.98999999999999999, -1.95, 0.29999999999999999},
                                    {0.97999999999999998, -1.9649999999999999, 0.34999999999999998},
                                    {0.98399999999999999, -1.9659999999999997, 0.34499999999999997}};

static void test_schedules(void) {
  const int64_t boundaries[2] = {0, 1};
  const double values[3] = {0.1, 0.05, 0.01};
  tg_optimizer* opt = NULL;
  double lr = 0;
  int d;
  for (d = 0; d < 2; ++d) {
    const tg_dtype dtype = d == 0 ? TG_FLOAT64 : TG_FLOAT32;
    const double tol = d == 0 ? TOL64 : TOL32;
    /* ExponentialDecay(0.1, 2, 0.5): lr = 0.1, 0.0707106781, 0.05 */
    opt = make_optimizer("sgd");
    CHECK_OK(tg_optimizer_set_exponential_decay(opt, 0.1, 2, 0.5, 0));
    check_three_steps(opt, dtype, kExpo, tol);
    CHECK_OK(tg_optimizer_get(opt, "learning_rate", &lr));
    CHECK_NEAR(lr, 0.03535533905932738, 1e-15); /* at iterations 3 */
    tg_optimizer_free(opt);
    /* staircase: lr = 0.1, 0.1, 0.05 */
    opt = make_optimizer("sgd");
    CHECK_OK(tg_optimizer_set_exponential_decay(opt, 0.1, 2, 0.5, 1));
    check_three_steps(opt, dtype, kStair, tol);
    tg_optimizer_free(opt);
    /* CosineDecay(0.1, 2, alpha 0.1): lr = 0.1, 0.055, 0.01 */
    opt = make_optimizer("sgd");
    CHECK_OK(tg_optimizer_set_cosine_decay(opt, 0.1, 2, 0.1));
    check_three_steps(opt, dtype, kCosine, tol);
    CHECK_OK(tg_optimizer_get(opt, "learning_rate", &lr));
    CHECK_NEAR(lr, 0.01, 1e-15); /* past decay_steps: alpha · initial */
    tg_optimizer_free(opt);
    /* PiecewiseConstantDecay([0, 1], [0.1, 0.05, 0.01]) */
    opt = make_optimizer("sgd");
    CHECK_OK(tg_optimizer_set_piecewise_constant_decay(opt, boundaries, 2, values));
    CHECK_OK(tg_optimizer_get(opt, "learning_rate", &lr));
    CHECK(lr == 0.1);
    check_three_steps(opt, dtype, kPiece, tol);
    tg_optimizer_free(opt);
  }

  opt = make_optimizer("adam", "learning_rate", 0.002);
  CHECK_OK(tg_optimizer_get(opt, "learning_rate", &lr));
  CHECK(lr == 0.002);
  CHECK_OK(tg_optimizer_set_piecewise_constant_decay(opt, NULL, 0, values)); /* one constant */
  CHECK_OK(tg_optimizer_get(opt, "learning_rate", &lr));
  CHECK(lr == 0.1);
  CHECK_OK(tg_optimizer_set(opt, "learning_rate", 0.3)); /* replaces the schedule */
  CHECK_OK(tg_optimizer_get(opt, "learning_rate", &lr));
  CHECK(lr == 0.3);
  CHECK_ERR(tg_optimizer_set(opt, "learning_rate", -1.0), TG_INVALID_ARGUMENT, "[tg_optimizer_set]",
            "learning_rate > 0", "-1");
  CHECK_ERR(tg_optimizer_set_exponential_decay(opt, 0.1, 0, 0.5, 0), TG_INVALID_ARGUMENT,
            "[tg_optimizer_set_exponential_decay]", "Argument `decay_steps` must be > 0",
            "decay_steps=0");
  CHECK_ERR(tg_optimizer_set_exponential_decay(opt, 0.1, 10, -0.5, 0), TG_INVALID_ARGUMENT,
            "decay_rate");
  CHECK_ERR(tg_optimizer_set_cosine_decay(opt, 0.1, 10, 2.0), TG_INVALID_ARGUMENT,
            "[tg_optimizer_set_cosine_decay]", "alpha");
  CHECK_ERR(tg_optimizer_set_cosine_decay(opt, 0.0, 10, 0.0), TG_INVALID_ARGUMENT,
            "initial_learning_rate");
  {
    const int64_t unordered[2] = {5, 3};
    CHECK_ERR(tg_optimizer_set_piecewise_constant_decay(opt, unordered, 2, values),
              TG_INVALID_ARGUMENT, "[tg_optimizer_set_piecewise_constant_decay]",
              "strictly increasing", "[5, 3]");
  }
  CHECK_ERR(tg_optimizer_set_piecewise_constant_decay(opt, NULL, 2, values), TG_INVALID_ARGUMENT,
            "boundaries is NULL");
  CHECK_ERR(tg_optimizer_set_piecewise_constant_decay(opt, boundaries, 2, NULL),
            TG_INVALID_ARGUMENT, "values is NULL");
  CHECK_OK(tg_optimizer_get(opt, "learning_rate", &lr)); /* failed setters changed nothing */
  CHECK(lr == 0.3);
  CHECK_ERR(tg_optimizer_get(opt, "learning_rate", NULL), TG_INVALID_ARGUMENT, "[tg_optimizer_get]", "out");
  CHECK_ERR(tg_optimizer_get(NULL, "learning_rate", &lr), TG_INVALID_HANDLE, "optimizer is NULL");
  tg_optimizer_free(opt);
}

/* ---- iterations, build, NULL gradients ------------------------------------------------------ */

/* Adam(0.01) starting from iterations = 2 (Keras testSetIterations: the next apply returns
 * 3), so the bias correction uses t = 3, 4, 5. */
static const double kAdamFrom2[3][3] = {{0.99361206601022434, -1.9936119044078788, 0.49361187410652874},
                                        {0.98607465220149793, -1.9921164222290084, 0.49153193687222596},
                                        {0.98772947079682716, -1.9917934359323972, 0.48862498272489269}};

static void test_iterations(void) {
  tg_optimizer* opt = NULL;
  tg_variable* w = make_variable("w", TG_FLOAT64, kShape3, kTheta0);
  int64_t iterations = -1;
  int k;
  opt = make_optimizer("adam", "learning_rate", 0.01);
  CHECK_OK(tg_optimizer_set_iterations(opt, 2));
  CHECK_OK(tg_optimizer_iterations(opt, &iterations));
  CHECK(iterations == 2);
  for (k = 0; k < 3; ++k) {
    tg_tensor* g = make_tensor(TG_FLOAT64, kShape3, 1, kGrads[k]);
    CHECK_OK(tg_optimizer_apply(opt, &w, &g, 1, &iterations));
    CHECK(iterations == 3 + k);
    check_variable(w, TG_FLOAT64, kShape3, kAdamFrom2[k], TOL64);
    tg_tensor_free(g);
  }
  /* An empty step changes nothing and reports the counter. */
  iterations = -1;
  CHECK_OK(tg_optimizer_apply(opt, NULL, NULL, 0, &iterations));
  CHECK(iterations == 5);
  CHECK_ERR(tg_optimizer_set_iterations(opt, -1), TG_INVALID_ARGUMENT,
            "[tg_optimizer_set_iterations]", "iterations must be in [0, 2^53", "got -1");
  CHECK_ERR(tg_optimizer_set_iterations(NULL, 1), TG_INVALID_HANDLE, "optimizer is NULL");
  CHECK_ERR(tg_optimizer_iterations(opt, NULL), TG_INVALID_ARGUMENT, "out");
  tg_optimizer_free(opt);
  tg_variable_free(w);
}

static void test_build(void) {
  const double one[1] = {1.0};
  const int64_t shape1[1] = {1};
  tg_variable* a = make_variable("dense/kernel:0", TG_FLOAT32, shape1, one);
  tg_variable* b = make_variable("dense/bias:0", TG_FLOAT32, shape1, one);
  tg_variable* vars[2];
  tg_tensor* g = make_tensor(TG_FLOAT32, shape1, 1, one);
  tg_optimizer* opt = NULL;
  const double half[1] = {0.5};
  int64_t iterations = -1;
  vars[0] = a;
  vars[1] = b;

  /* Built by the first step for `a` only: a step on `b` is Keras's KeyError. */
  opt = make_optimizer("sgd", "learning_rate", 0.5);
  CHECK_OK(tg_optimizer_apply(opt, &a, &g, 1, NULL));
  CHECK_ERR(tg_optimizer_apply(opt, &b, &g, 1, &iterations), TG_INVALID_ARGUMENT,
            "[tg_optimizer_apply]",
            "The optimizer cannot recognize variable dense/bias:0. This usually means you are trying to "
            "call the optimizer to update different parts of the model separately. Please call "
            "`optimizer.build(variables)` with the full list of trainable variables before the training "
            "loop or use legacy optimizer `tf.keras.optimizers.legacy.SGD.");
  CHECK(iterations == -1);
  check_variable(b, TG_FLOAT32, shape1, one, 0);
  tg_optimizer_free(opt);

  /* An explicit build with the full list allows steps on subsets. */
  opt = make_optimizer("adagrad", "learning_rate", 0.1);
  CHECK_OK(tg_optimizer_build(opt, vars, 2));
  CHECK_OK(tg_optimizer_build(opt, NULL, 0)); /* later builds do nothing */
  tg_optimizer_free(opt);
  opt = make_optimizer("sgd", "learning_rate", 0.5);
  CHECK_OK(tg_optimizer_build(opt, vars, 2));
  CHECK_OK(tg_optimizer_apply(opt, &b, &g, 1, &iterations));
  CHECK(iterations == 1);
  check_variable(b, TG_FLOAT32, shape1, half, 0);
  CHECK_ERR(tg_optimizer_build(opt, NULL, 2), TG_INVALID_ARGUMENT, "[tg_optimizer_build]",
            "variables is NULL");
  vars[1] = (tg_variable*)g;
  CHECK_ERR(tg_optimizer_build(opt, vars, 2), TG_INVALID_HANDLE, "[tg_optimizer_build]",
            "variables[1]", "expected a tg_variable");
  tg_optimizer_free(opt);
  tg_variable_free(a);
  tg_variable_free(b);
  tg_tensor_free(g);
}

struct warning_log {
  int count;
  char last[512];
};

static void record_warning(const char* message, void* context) {
  struct warning_log* log = (struct warning_log*)context;
  ++log->count;
  strncpy(log->last, message, sizeof log->last - 1);
  log->last[sizeof log->last - 1] = 0;
}

static void test_null_gradients_and_warnings(void) {
  const double one[1] = {1.0};
  const int64_t shape1[1] = {1};
  struct warning_log log;
  tg_variable* vars[3];
  tg_tensor* grads[3];
  tg_optimizer* opt = NULL;
  int64_t iterations = -1;
  memset(&log, 0, sizeof log);
  vars[0] = make_variable("a:0", TG_FLOAT32, shape1, one);
  vars[1] = make_variable("b:0", TG_FLOAT32, shape1, one);
  vars[2] = make_variable("c:0", TG_FLOAT32, shape1, one);
  grads[0] = NULL;
  grads[1] = make_tensor(TG_FLOAT32, shape1, 1, one);
  grads[2] = NULL;
  CHECK_OK(tg_set_warning_handler(record_warning, &log));
  opt = make_optimizer("rmsprop", "learning_rate", 0.1);
  CHECK_OK(tg_optimizer_apply(opt, vars, grads, 3, &iterations));
  CHECK(iterations == 1);
  CHECK(log.count == 1);
  CHECK(strcmp(log.last,
               "Gradients do not exist for variables [a:0, c:0] when minimizing the loss. If you're "
               "using `model.compile()`, did you forget to provide a `loss` argument?") == 0);
  check_variable(vars[0], TG_FLOAT32, shape1, one, 0);
  tg_tensor_free(grads[1]);
  grads[1] = NULL;
  CHECK_ERR(tg_optimizer_apply(opt, vars, grads, 3, &iterations), TG_INVALID_ARGUMENT,
            "[tg_optimizer_apply]", "No gradients provided for any variable: [a:0, b:0, c:0].");
  CHECK(log.count == 1);
  CHECK_OK(tg_optimizer_iterations(opt, &iterations));
  CHECK(iterations == 1);
  CHECK_OK(tg_set_warning_handler(NULL, NULL));
  tg_optimizer_free(opt);
  tg_variable_free(vars[0]);
  tg_variable_free(vars[1]);
  tg_variable_free(vars[2]);
}

/* ---- creation by name, hyperparameters by name ----------------------------------------------- */

static double get(const tg_optimizer* opt, const char* name) {
  double v = NAN;
  CHECK_OK(tg_optimizer_get(opt, name, &v));
  return v;
}

/* Every default against Keras 2.15's constructors (keras/optimizers/{sgd,adam,adamw,rmsprop,
 * adagrad}.py and optimizer.py): SGD lr 0.01, momentum 0, nesterov False; Adam lr 0.001,
 * β1 0.9, β2 0.999, ε 1e-7, amsgrad False; AdamW the same with weight_decay 0.004; RMSprop lr
 * 0.001, rho 0.9, momentum 0, ε 1e-7, centered False; Adagrad lr 0.001,
 * initial_accumulator_value 0.1, ε 1e-7; every optimizer weight_decay None (0) and no
 * clipnorm / clipvalue / global_clipnorm (0). */
static void test_keras_defaults(void) {
  static const char* const kinds[5] = {"sgd", "adam", "adamw", "rmsprop", "adagrad"};
  tg_optimizer* opt;
  int k;
  for (k = 0; k < 5; ++k) {
    opt = make_optimizer(kinds[k]);
    CHECK(get(opt, "learning_rate") == (k == 0 ? 0.01 : 0.001));
    CHECK(get(opt, "weight_decay") == (k == 2 ? 0.004 : 0.0));
    CHECK(get(opt, "clipnorm") == 0.0 && get(opt, "global_clipnorm") == 0.0 && get(opt, "clipvalue") == 0.0);
    tg_optimizer_free(opt);
  }
  opt = make_optimizer("SGD"); /* Keras names are case-insensitive */
  CHECK(get(opt, "momentum") == 0.0 && get(opt, "nesterov") == 0.0);
  tg_optimizer_free(opt);
  for (k = 1; k <= 2; ++k) {
    opt = make_optimizer(kinds[k]);
    CHECK(get(opt, "beta_1") == 0.9 && get(opt, "beta_2") == 0.999);
    CHECK(get(opt, "epsilon") == 1e-7 && get(opt, "amsgrad") == 0.0);
    tg_optimizer_free(opt);
  }
  opt = make_optimizer("RMSprop");
  CHECK(get(opt, "rho") == 0.9 && get(opt, "momentum") == 0.0);
  CHECK(get(opt, "epsilon") == 1e-7 && get(opt, "centered") == 0.0);
  tg_optimizer_free(opt);
  opt = make_optimizer("Adagrad");
  CHECK(get(opt, "initial_accumulator_value") == 0.1 && get(opt, "epsilon") == 1e-7);
  tg_optimizer_free(opt);
}

static void test_set_by_name(void) {
  tg_optimizer* opt = make_optimizer("adam");
  const int64_t shape[1] = {2};
  const double zeros[2] = {0, 0};
  tg_variable* v = make_variable("v", TG_FLOAT32, shape, zeros);
  double value = 0;
  CHECK_OK(tg_optimizer_set(opt, "beta_1", 0.95));
  CHECK(get(opt, "beta_1") == 0.95);
  CHECK_ERR(tg_optimizer_set(opt, "beta_1", 1.5), TG_INVALID_ARGUMENT, "[tg_optimizer_set]",
            "Adam: need 0 <= beta_1 < 1, got 1.5");
  CHECK(get(opt, "beta_1") == 0.95); /* unchanged */
  CHECK_ERR(tg_optimizer_set(opt, "beta_2", NAN), TG_INVALID_ARGUMENT, "beta_2");
  CHECK_ERR(tg_optimizer_set(opt, "amsgrad", 2.0), TG_INVALID_ARGUMENT, "amsgrad is a boolean, 0 or 1; got 2");
  CHECK_ERR(tg_optimizer_set(opt, "momentum", 0.9), TG_INVALID_ARGUMENT,
            "Adam has no hyperparameter 'momentum'; its hyperparameters are: learning_rate, beta_1, beta_2, "
            "epsilon, amsgrad, weight_decay, clipnorm, clipvalue, global_clipnorm");
  CHECK_ERR(tg_optimizer_get(opt, "nesterov", &value), TG_INVALID_ARGUMENT, "[tg_optimizer_get]",
            "no hyperparameter 'nesterov'");
  CHECK_ERR(tg_optimizer_set(opt, NULL, 1.0), TG_INVALID_ARGUMENT, "name is NULL");
  CHECK_ERR(tg_optimizer_get(opt, NULL, &value), TG_INVALID_ARGUMENT, "name is NULL");
  CHECK_OK(tg_optimizer_set(opt, "amsgrad", 1.0));
  CHECK(get(opt, "amsgrad") == 1.0);
  /* once built, amsgrad decides the slots and cannot change; beta_2 can */
  CHECK_OK(tg_optimizer_build(opt, &v, 1));
  CHECK_ERR(tg_optimizer_set(opt, "amsgrad", 0.0), TG_INVALID_STATE, "[tg_optimizer_set]",
            "amsgrad cannot change to 0 once the optimizer is built");
  CHECK_OK(tg_optimizer_set(opt, "beta_2", 0.99));
  tg_optimizer_free(opt);

  opt = make_optimizer("sgd");
  CHECK_ERR(tg_optimizer_set(opt, "momentum", 1.5), TG_INVALID_ARGUMENT, "`momentum` must be between [0, 1].");
  CHECK_ERR(tg_optimizer_set(opt, "learning_rate", 0.0), TG_INVALID_ARGUMENT, "learning_rate > 0");
  CHECK_OK(tg_optimizer_set(opt, "nesterov", 1.0));
  tg_optimizer_free(opt);
  opt = make_optimizer("rmsprop");
  CHECK_ERR(tg_optimizer_set(opt, "rho", 1.5), TG_INVALID_ARGUMENT, "rho");
  CHECK_ERR(tg_optimizer_set(opt, "momentum", -1.0), TG_INVALID_ARGUMENT, "momentum");
  tg_optimizer_free(opt);
  opt = make_optimizer("adagrad");
  CHECK_ERR(tg_optimizer_set(opt, "initial_accumulator_value", -0.1), TG_INVALID_ARGUMENT,
            "initial_accumulator_value must be non-negative");
  CHECK_ERR(tg_optimizer_set(opt, "epsilon", NAN), TG_INVALID_ARGUMENT, "epsilon");
  tg_optimizer_free(opt);
  tg_variable_free(v);
}

/* ---- bad input ------------------------------------------------------------------------------ */

static void test_bad_input(void) {
  tg_optimizer* opt = NULL;
  tg_tensor* t = make_scalar(TG_FLOAT32, 1.0);
  tg_variable *v = NULL, *w3 = make_variable("w", TG_FLOAT32, kShape3, kTheta0);
  tg_tensor* g2 = make_tensor(TG_FLOAT32, kShape2, 1, kTheta0b);
  tg_tensor* g64 = make_tensor(TG_FLOAT64, kShape3, 1, kTheta0);
  const char* bad_pattern[1] = {"(unclosed"};
  const char* null_pattern[1] = {NULL};
  CHECK_OK(tg_variable_create("v", t, 1, &v));

  CHECK_ERR(tg_optimizer_create("nadam", &opt), TG_INVALID_ARGUMENT, "[tg_optimizer_create]",
            "Could not interpret optimizer identifier: 'nadam'");
  CHECK_ERR(tg_optimizer_create(NULL, &opt), TG_INVALID_ARGUMENT, "name is NULL");
  CHECK_ERR(tg_optimizer_create("sgd", NULL), TG_INVALID_ARGUMENT, "[tg_optimizer_create]", "out");
  CHECK(opt == NULL);

  opt = make_optimizer("adam");
  /* wrong shape and dtype name the variable and both sides */
  CHECK_ERR(tg_optimizer_apply(opt, &w3, &g2, 1, NULL), TG_INVALID_ARGUMENT, "[tg_optimizer_apply]",
            "'w'", "(2)", "(3)");
  CHECK_ERR(tg_optimizer_apply(opt, &w3, &g64, 1, NULL), TG_INVALID_ARGUMENT, "float64", "float32");
  CHECK_ERR(tg_optimizer_apply(opt, &w3, NULL, 1, NULL), TG_INVALID_ARGUMENT, "NULL with count 1");
  CHECK_ERR(tg_optimizer_apply(opt, (tg_variable**)&t, &t, 1, NULL), TG_INVALID_HANDLE,
            "variables[0]", "expected a tg_variable");
  CHECK_ERR(tg_optimizer_apply(opt, &v, (tg_tensor**)&v, 1, NULL), TG_INVALID_HANDLE,
            "gradients[0]", "expected a tg_tensor");
  CHECK_ERR(tg_optimizer_apply((tg_optimizer*)t, &v, &t, 1, NULL), TG_INVALID_HANDLE,
            "[tg_optimizer_apply]", "optimizer is a tg_tensor");

  CHECK_ERR(tg_optimizer_set(opt, "weight_decay", -1.0), TG_INVALID_ARGUMENT, "[tg_optimizer_set]",
            "weight_decay must be finite and >= 0");
  CHECK_ERR(tg_optimizer_set((tg_optimizer*)v, "weight_decay", 0.1), TG_INVALID_HANDLE,
            "optimizer is a tg_variable");
  CHECK_ERR(tg_optimizer_exclude_from_weight_decay(opt, NULL, 0, bad_pattern, 1), TG_INVALID_ARGUMENT,
            "[tg_optimizer_exclude_from_weight_decay]", "invalid regular expression", "(unclosed");
  CHECK_ERR(tg_optimizer_exclude_from_weight_decay(opt, NULL, 0, null_pattern, 1), TG_INVALID_ARGUMENT,
            "name_patterns[0] is NULL");
  CHECK_ERR(tg_optimizer_exclude_from_weight_decay(opt, NULL, 0, NULL, 1), TG_INVALID_ARGUMENT,
            "name_patterns is NULL");
  CHECK_ERR(tg_optimizer_exclude_from_weight_decay(opt, NULL, 2, NULL, 0), TG_INVALID_ARGUMENT,
            "variables is NULL");
  CHECK_ERR(tg_optimizer_exclude_from_weight_decay(opt, (tg_variable**)&t, 1, NULL, 0),
            TG_INVALID_HANDLE, "variables[0]");
  CHECK_ERR(tg_optimizer_build(NULL, &v, 1), TG_INVALID_HANDLE, "[tg_optimizer_build]");
  CHECK_ERR(tg_optimizer_free((tg_optimizer*)t), TG_INVALID_HANDLE, "[tg_optimizer_free]",
            "optimizer is a tg_tensor");
  CHECK_OK(tg_optimizer_free(opt));
  CHECK_ERR(tg_optimizer_free(opt), TG_INVALID_HANDLE, "[tg_optimizer_free]", "freed");
  CHECK_OK(tg_optimizer_free(NULL));
  tg_tensor_free(t);
  tg_tensor_free(g2);
  tg_tensor_free(g64);
  tg_variable_free(v);
  tg_variable_free(w3);
}

int main(void) {
  test_keras_defaults();
  test_set_by_name();
  test_update_rules();
  test_keras_docstrings();
  test_weight_decay();
  test_exclusion_pattern();
  test_clipping();
  test_schedules();
  test_iterations();
  test_build();
  test_null_gradients_and_warnings();
  test_bad_input();
  return check_summary();
}
