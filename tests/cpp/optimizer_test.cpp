// SPDX-License-Identifier: Apache-2.0
// Optimizers (src/nn/optimizer.*, src/nn/optimizers/*, src/nn/schedules.*): the first three
// steps of every optimizer and option against values worked out independently, Keras's
// docstring and optimizer_test.py numbers, build / KeyError / NULL-gradient rules, and the
// checkpoint state.
//
// Reference values: a float64 numpy script written from the formulas of docs/tensorflow.md
// (not from this code) — SGD, Adam, RMSprop (new, ε inside the sqrt), Adagrad
// (new), weight decay θ ← θ − θ·wd·lr before the step, clipping, schedules at
// the iteration counter before the increment. Unless a case says otherwise:
//   θ0 = [1, −2, 0.5], g1 = [0.1, −0.5, 2], g2 = [0.2, 0.3, −1], g3 = [−0.4, 0.1, 0.5];
//   second variable (clipping, exclusion): θ0 = [0.25, −0.75],
//   g1 = [1.5, −0.5], g2 = [−0.25, 2], g3 = [0.5, 0.5].
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nn/optimizer.h"
#include "nn/schedules.h"
#include "nn/warning.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::error_of;
using testing::make;
using testing::values;
using Rows = std::vector<std::vector<double>>;

const std::vector<double> kTheta0 = {1.0, -2.0, 0.5};
const Rows kGrads = {{0.1, -0.5, 2.0}, {0.2, 0.3, -1.0}, {-0.4, 0.1, 0.5}};
const std::vector<double> kTheta0b = {0.25, -0.75};
const Rows kGradsb = {{1.5, -0.5}, {-0.25, 2.0}, {0.5, 0.5}};

constexpr double kTol64 = 1e-12;
constexpr double kTol32 = 2e-6;  // float32 rounding over three steps of O(1) values

std::shared_ptr<Variable> variable(const std::string& name, const std::vector<double>& v, DType dtype) {
  return std::make_shared<Variable>(name, make(Shape{static_cast<int64_t>(v.size())}, dtype, v), true);
}

void expect_values(const Tensor& t, const std::vector<double>& want, double tol, const std::string& what) {
  const std::vector<double> got = values(t);
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << what << " element " << i;
}

using Factory = std::function<std::unique_ptr<Optimizer>()>;

// Three steps on one variable, checking θ after each and the returned counter.
void check_three_steps(const Factory& factory, const Rows& expected, DType dtype, double tol) {
  auto opt = factory();
  auto w = variable("w", kTheta0, dtype);
  const std::shared_ptr<Variable> vars[1] = {w};
  for (int k = 0; k < 3; ++k) {
    const Tensor grads[1] = {make(Shape{3}, dtype, kGrads[k])};
    EXPECT_EQ(opt->apply(vars, grads), k + 1);
    expect_values(w->value(), expected[k], tol, fmt::format("{} step {}", opt->name(), k + 1));
  }
}

// Three steps on two variables ("w" and "b"), checking both after each step.
void check_three_steps_two_vars(Optimizer& opt, const Rows& expected_w, const Rows& expected_b, DType dtype,
                                double tol) {
  auto w = variable("dense/kernel:0", kTheta0, dtype);
  auto b = variable("dense/bias:0", kTheta0b, dtype);
  const std::shared_ptr<Variable> vars[2] = {w, b};
  for (int k = 0; k < 3; ++k) {
    const Tensor grads[2] = {make(Shape{3}, dtype, kGrads[k]), make(Shape{2}, dtype, kGradsb[k])};
    EXPECT_EQ(opt.apply(vars, grads), k + 1);
    expect_values(w->value(), expected_w[k], tol, fmt::format("w step {}", k + 1));
    expect_values(b->value(), expected_b[k], tol, fmt::format("b step {}", k + 1));
  }
}

struct Case {
  const char* name;
  Factory factory;
  Rows expected;
};

template <class O, class Opt>
Factory make_factory(Opt options, std::function<void(Optimizer&)> configure = {}) {
  return [options, configure] {
    std::unique_ptr<Optimizer> o = std::make_unique<O>(options);
    if (configure) configure(*o);
    return o;
  };
}

std::vector<Case> three_step_cases() {
  return {
      // SGD: θ ← θ − lr·g; momentum: v ← μv − lr·g, θ ← θ + v; nesterov θ ← θ + μv − lr·g.
      {"SGD lr=0.1", make_factory<SGD>(SGDOptions{0.1, 0.0, false}),
       {{0.98999999999999999, -1.95, 0.29999999999999999},
        {0.96999999999999997, -1.98, 0.40000000000000002},
        {1.01, -1.99, 0.35000000000000003}}},
      {"SGD lr=0.1 momentum=0.9", make_factory<SGD>(SGDOptions{0.1, 0.9, false}),
       {{0.98999999999999999, -1.95, 0.29999999999999999},
        {0.96099999999999997, -1.9350000000000001, 0.21999999999999997},
        {0.97489999999999999, -1.9315, 0.097999999999999948}}},
      {"SGD lr=0.1 momentum=0.9 nesterov", make_factory<SGD>(SGDOptions{0.1, 0.9, true}),
       {{0.98099999999999998, -1.905, 0.12},
        {0.93489999999999995, -1.9215, 0.14799999999999996},
        {0.98741000000000001, -1.92835, -0.01180000000000006}}},
      // + weight decay (θ ← θ − θ·wd·lr first).
      {"SGD lr=0.1 weight_decay=0.1",
       make_factory<SGD>(SGDOptions{0.1, 0.0, false}, [](Optimizer& o) { o.set_weight_decay(0.1); }),
       {{0.97999999999999998, -1.9299999999999999, 0.29499999999999998},
        {0.95019999999999993, -1.9406999999999999, 0.39205000000000001},
        {0.98069799999999996, -1.9312929999999999, 0.33812950000000003}}},
      {"SGD lr=0.1 momentum=0.5 weight_decay=0.2",
       make_factory<SGD>(SGDOptions{0.1, 0.5, false}, [](Optimizer& o) { o.set_weight_decay(0.2); }),
       {{0.96999999999999997, -1.9099999999999999, 0.28999999999999998},
        {0.92559999999999998, -1.8767999999999998, 0.28420000000000001},
        {0.93458799999999997, -1.8517639999999997, 0.228516}}},
      // Adam: α_t = lr·sqrt(1−β2^t)/(1−β1^t); θ ← θ − α_t·m/(sqrt(v)+ε).
      {"Adam lr=0.01", make_factory<Adam>(AdamOptions{0.01, 0.9, 0.999, 1e-7, false}),
       {{0.9900003162177663, -1.9900000632451531, 0.49000001581136332},
        {0.98034863246862081, -1.988085093282083, 0.48733664918283603},
        {0.98228656364378153, -1.9877068492768977, 0.48393236240313658}}},
      // AMSGrad: v̂ ← max(v̂, v) in the denominator. β2 = 0.5 makes v shrink for elements 2
      // and 3 at step 2, so the result differs from plain Adam (next case) there.
      {"Adam lr=0.01 beta_2=0.5 amsgrad", make_factory<Adam>(AdamOptions{0.01, 0.9, 0.5, 1e-7, true}),
       {{0.99000001414211558, -1.9900000028284264, 0.49000000070710675},
        {0.98118783169769375, -1.9880661956837187, 0.48742159063386664},
        {0.98277613323246438, -1.9877244935815206, 0.48444390025447759}}},
      {"Adam lr=0.01 beta_2=0.5", make_factory<Adam>(AdamOptions{0.01, 0.9, 0.5, 1e-7, false}),
       {{0.99000001414211558, -1.9900000028284264, 0.49000000070710675},
        {0.98118783169769375, -1.9879147250020799, 0.48702270923994245},
        {0.98277613323246438, -1.987416301324419, 0.48252086470275968}}},
      // AdamW = decay then Adam.
      {"AdamW lr=0.01 wd=0.004",
       [] { return std::make_unique<AdamW>(AdamOptions{0.01, 0.9, 0.999, 1e-7, false}, AdamW::kDefaultWeightDecay); },
       {{0.98996031621776626, -1.989920063245153, 0.4899800158113633},
        {0.9802690340559721, -1.9879254964795532, 0.48729704998220358},
        {0.98216775446977056, -1.9874677354545087, 0.48387327132050484}}},
      {"AdamW lr=0.1 wd=0.5 beta_2=0.5 amsgrad",
       [] { return std::make_unique<AdamW>(AdamOptions{0.1, 0.9, 0.5, 1e-7, true}, 0.5); },
       {{0.85000014142115621, -1.8000000282842632, 0.37500000707106729},
        {0.71937830990588059, -1.6906619554229734, 0.33046590598511277},
        {0.69929240975829277, -1.6027118366298443, 0.2841657068919668}}},
      // RMSprop (new): den = v + ε or v − a² + ε; inc = lr·g/sqrt(den); momentum.
      {"RMSprop lr=0.01", make_factory<RMSprop>(RMSpropOptions{0.01, 0.9, 0.0, 1e-7, false}),
       {{0.96837880441857072, -1.9683772866436797, 0.46837722735116255},
        {0.93980766738786925, -1.9852803449080201, 0.48312142136402259},
        {0.96780633888242484, -1.9911174190182981, 0.47557505831760494}}},
      {"RMSprop lr=0.01 momentum=0.9", make_factory<RMSprop>(RMSpropOptions{0.01, 0.9, 0.9, 1e-7, false}),
       {{0.96837880441857072, -1.9683772866436797, 0.46837722735116255},
        {0.91134859136458302, -1.9568199028873319, 0.45466092598006885},
        {0.8880200711105497, -1.9522553316168969, 0.43476989169966684}}},
      {"RMSprop lr=0.01 centered", make_factory<RMSprop>(RMSpropOptions{0.01, 0.9, 0.0, 1e-7, true}),
       {{0.96666851836421186, -1.9666667407404939, 0.46666667129629535},
        {0.93527679776475159, -1.9836304922138088, 0.48151451643254067},
        {0.96340894082587925, -1.9894687848301342, 0.47383687854846951}}},
      {"RMSprop lr=0.01 centered momentum=0.9", make_factory<RMSprop>(RMSpropOptions{0.01, 0.9, 0.9, 1e-7, true}),
       {{0.96666851836421186, -1.9666667407404939, 0.46666667129629535},
        {0.90527846429254222, -1.9536305588802534, 0.45151452059920649},
        {0.87815955868916729, -1.9477362878223623, 0.43019994708775533}}},
      {"RMSprop lr=0.01 rho=0.5 weight_decay=0.1",
       make_factory<RMSprop>(RMSpropOptions{0.01, 0.5, 0.0, 1e-7, false}, [](Optimizer& o) { o.set_weight_decay(0.1); }),
       {{0.98485800579550398, -1.98385787003312, 0.48535786472982245},
        {0.97053984408590599, -1.9910239221272721, 0.49303747240220441},
        {0.98281099120374105, -1.9931585796789633, 0.4871992103969951}}},
      // Adagrad (new): acc ← acc + g²; θ ← θ − lr·g/sqrt(acc + ε).
      {"Adagrad lr=0.1", make_factory<Adagrad>(AdagradOptions{0.1, 0.1, 1e-7}),
       {{0.96984887924727536, -1.9154845866007779, 0.40122704153958932},
        {0.91820911851109388, -1.9607112831480453, 0.44550778538246916},
        {0.99005122773436782, -1.9756184013416975, 0.42389090052614026}}},
      {"Adagrad lr=0.1 init=0.5 eps=1e-3", make_factory<Adagrad>(AdagradOptions{0.1, 0.5, 1e-3}),
       {{0.9860109072401867, -1.9423034246516824, 0.40572956975219182},
        {0.95906739571946709, -1.9750166418258379, 0.44836583717516965},
        {1.006505266850455, -1.9858567900333575, 0.42751620870181406}}},
      {"Adagrad lr=0.1 weight_decay=0.1",
       make_factory<Adagrad>(AdagradOptions{0.1, 0.1, 1e-7}, [](Optimizer& o) { o.set_weight_decay(0.1); }),
       {{0.95984887924727536, -1.8954845866007779, 0.39622704153958932},
        {0.89861062971862116, -1.9217564372820375, 0.43654551496707328},
        {0.96146663264470889, -1.9174459911028694, 0.41056317496107364}}},
      // Schedules at iterations 0, 1, 2. ExponentialDecay(0.1, 2, 0.5): lr = 0.1,
      // 0.0707106781, 0.05.
      {"SGD ExponentialDecay(0.1, 2, 0.5)",
       make_factory<SGD>(SGDOptions{},
                         [](Optimizer& o) { o.set_schedule(std::make_shared<ExponentialDecay>(0.1, 2, 0.5, false)); }),
       {{0.98999999999999999, -1.95, 0.29999999999999999},
        {0.97585786437626909, -1.9712132034355965, 0.37071067811865477},
        {0.99585786437626911, -1.9762132034355964, 0.34571067811865475}}},
      // staircase: lr = 0.1, 0.1, 0.05.
      {"SGD ExponentialDecay(0.1, 2, 0.5, staircase)",
       make_factory<SGD>(SGDOptions{},
                         [](Optimizer& o) { o.set_schedule(std::make_shared<ExponentialDecay>(0.1, 2, 0.5, true)); }),
       {{0.98999999999999999, -1.95, 0.29999999999999999},
        {0.96999999999999997, -1.98, 0.40000000000000002},
        {0.98999999999999999, -1.9849999999999999, 0.375}}},
      // CosineDecay(0.1, 2, alpha=0.1): lr = 0.1, 0.055, 0.01.
      {"SGD CosineDecay(0.1, 2, 0.1)",
       make_factory<SGD>(SGDOptions{}, [](Optimizer& o) { o.set_schedule(std::make_shared<CosineDecay>(0.1, 2, 0.1)); }),
       {{0.98999999999999999, -1.95, 0.29999999999999999},
        {0.97899999999999998, -1.9664999999999999, 0.35499999999999998},
        {0.98299999999999998, -1.9674999999999998, 0.34999999999999998}}},
      // PiecewiseConstantDecay([0, 1], [0.1, 0.05, 0.01]): lr = 0.1, 0.05, 0.01.
      {"SGD PiecewiseConstantDecay([0, 1], [0.1, 0.05, 0.01])",
       make_factory<SGD>(SGDOptions{},
                         [](Optimizer& o) {
                           const int64_t b[2] = {0, 1};
                           const double v[3] = {0.1, 0.05, 0.01};
                           o.set_schedule(std::make_shared<PiecewiseConstantDecay>(b, v));
                         }),
       {{0.98999999999999999, -1.95, 0.29999999999999999},
        {0.97999999999999998, -1.9649999999999999, 0.34999999999999998},
        {0.98399999999999999, -1.9659999999999997, 0.34499999999999997}}},
      // The decay uses the scheduled lr too: AdamW(wd=0.1), ExponentialDecay(0.01, 1, 0.5).
      {"AdamW wd=0.1 ExponentialDecay(0.01, 1, 0.5)",
       [] {
         auto o = std::make_unique<AdamW>(AdamOptions{}, 0.1);
         o->set_schedule(std::make_shared<ExponentialDecay>(0.01, 1, 0.5, false));
         return o;
       },
       {{0.9890003162177663, -1.9880000632451531, 0.48950001581136332},
        {0.98367997418508457, -1.9860485782319954, 0.48792358248919399},
        {0.9839185369853285, -1.9854575050861412, 0.48695052989864679}}},
  };
}

TEST(Optimizers, FirstThreeStepsMatchTheFormulasFloat64) {
  for (const Case& c : three_step_cases()) {
    SCOPED_TRACE(c.name);
    check_three_steps(c.factory, c.expected, DType::f64, kTol64);
  }
}

TEST(Optimizers, FirstThreeStepsMatchTheFormulasFloat32) {
  for (const Case& c : three_step_cases()) {
    SCOPED_TRACE(c.name);
    check_three_steps(c.factory, c.expected, DType::f32, kTol32);
  }
}

// ---- clipping and exclusion, on two variables --------------------------------------

struct TwoVarCase {
  const char* name;
  Factory factory;
  Rows w, b;
};

std::vector<TwoVarCase> two_var_cases() {
  return {
      // clip_by_norm per tensor: g·c / max(‖g‖, c).
      {"SGD lr=0.1 clipnorm=1", make_factory<SGD>(SGDOptions{0.1, 0, false}, [](Optimizer& o) { o.set_clipnorm(1.0); }),
       {{0.99515498416888493, -1.9757749208444246, 0.40309968337769814},
        {0.97634056680121295, -2.0039965468959324, 0.49717177021605785},
        {1.0163405668012129, -2.0139965468959322, 0.44717177021605786}},
       {{0.15513167019494861, -0.71837722339831622},
        {0.16753514365386946, -0.81760501106968297},
        {0.11753514365386945, -0.86760501106968302}}},
      // clip_by_global_norm over both: scale c / max(G, c); G < c at step 3.
      {"SGD lr=0.1 global_clipnorm=1.5",
       make_factory<SGD>(SGDOptions{0.1, 0, false}, [](Optimizer& o) { o.set_global_clipnorm(1.5); }),
       {{0.99423076923076925, -1.9711538461538463, 0.38461538461538464},
        {0.98106540125953479, -1.9909018981106981, 0.45044222447155707},
        {1.0210654012595348, -2.0009018981106981, 0.40044222447155708}},
       {{0.16346153846153846, -0.72115384615384615},
        {0.17991824842558157, -0.85280752586619102},
        {0.12991824842558158, -0.90280752586619106}}},
      // clip_by_value to [−0.3, 0.3].
      {"SGD lr=0.1 clipvalue=0.3", make_factory<SGD>(SGDOptions{0.1, 0, false}, [](Optimizer& o) { o.set_clipvalue(0.3); }),
       {{0.98999999999999999, -1.97, 0.46999999999999997}, {0.96999999999999997, -2, 0.5}, {1, -2.0099999999999998, 0.46999999999999997}},
       {{0.22, -0.71999999999999997}, {0.245, -0.75}, {0.215, -0.78000000000000003}}},
      // clipnorm wins over clipvalue (precedence clipnorm, global_clipnorm, clipvalue).
      {"Adam lr=0.01 clipnorm=0.5 (clipvalue=0.01 ignored)",
       make_factory<Adam>(AdamOptions{0.01, 0.9, 0.999, 1e-7, false},
                          [](Optimizer& o) {
                            o.set_clipvalue(0.01);
                            o.set_clipnorm(0.5);
                          }),
       {{0.99000130520313201, -1.9900002610678862, 0.49000006526824946},
        {0.98112489871949682, -1.9912848025957468, 0.49037824436230798},
        {0.98515930909399074, -1.9946512668857901, 0.48746148966664987}},
       {{0.24000006666622223, -0.74000019999600009},
        {0.23432130269626159, -0.7450568728449205},
        {0.22699308174130892, -0.75187987778358745}}},
      // global_clipnorm wins over clipvalue.
      {"SGD lr=0.1 global_clipnorm=1.5 (clipvalue=0.01 ignored)",
       make_factory<SGD>(SGDOptions{0.1, 0, false},
                         [](Optimizer& o) {
                           o.set_clipvalue(0.01);
                           o.set_global_clipnorm(1.5);
                         }),
       {{0.99423076923076925, -1.9711538461538463, 0.38461538461538464},
        {0.98106540125953479, -1.9909018981106981, 0.45044222447155707},
        {1.0210654012595348, -2.0009018981106981, 0.40044222447155708}},
       {{0.16346153846153846, -0.72115384615384615},
        {0.17991824842558157, -0.85280752586619102},
        {0.12991824842558158, -0.90280752586619106}}},
      // AdamW lr=0.1 wd=0.5 with the bias excluded by name regex: b follows plain Adam.
      {"AdamW wd=0.5 exclude 'bias'",
       [] {
         auto o = std::make_unique<AdamW>(AdamOptions{0.1, 0.9, 0.999, 1e-7, false}, 0.5);
         const std::string patterns[1] = {"bias"};
         o->exclude_from_weight_decay({}, patterns);
         return o;
       },
       {{0.85000316217766336, -1.8000006324515319, 0.37500015811363296},
        {0.71098616657732505, -1.6908509011982551, 0.32961648392267862},
        {0.69481617000006612, -1.6025259160864884, 0.27909279192955033}},
       {{0.15000021081806625, -0.65000063245153206},
        {0.096146567668424415, -0.70595089602900818},
        {0.036633216297000545, -0.76304532142749526}}},
  };
}

TEST(Optimizers, ClippingAndExclusionMatchTheFormulas) {
  for (DType dtype : {DType::f64, DType::f32}) {
    for (const TwoVarCase& c : two_var_cases()) {
      SCOPED_TRACE(fmt::format("{} {}", c.name, dtype_name(dtype)));
      auto opt = c.factory();
      check_three_steps_two_vars(*opt, c.w, c.b, dtype, dtype == DType::f64 ? kTol64 : kTol32);
    }
  }
}

TEST(Optimizers, ExclusionByVariableMatchesExclusionByName) {
  auto opt = std::make_unique<AdamW>(AdamOptions{0.1, 0.9, 0.999, 1e-7, false}, 0.5);
  auto w = variable("dense/kernel:0", kTheta0, DType::f64);
  auto b = variable("dense/bias:0", kTheta0b, DType::f64);
  const std::shared_ptr<Variable> excluded[1] = {b};
  opt->exclude_from_weight_decay(excluded, {});
  const std::shared_ptr<Variable> vars[2] = {w, b};
  const Tensor grads[2] = {make(Shape{3}, DType::f64, kGrads[0]), make(Shape{2}, DType::f64, kGradsb[0])};
  opt->apply(vars, grads);
  expect_values(w->value(), {0.85000316217766336, -1.8000006324515319, 0.37500015811363296}, kTol64, "w");
  expect_values(b->value(), {0.15000021081806625, -0.65000063245153206}, kTol64, "b");
}

// ---- Keras docstrings and optimizer_test.py -----------------------------------------------

// One step on a scalar variable with gradient g; returns the new value.
double one_step(Optimizer& opt, double theta, double g, DType dtype = DType::f32) {
  auto v = std::make_shared<Variable>("var", Tensor::scalar(theta, dtype), true);
  const std::shared_ptr<Variable> vars[1] = {v};
  const Tensor grads[1] = {Tensor::scalar(g, dtype)};
  opt.apply(vars, grads);
  return v->value().item();
}

TEST(KerasDocstrings, SGD) {
  SGD plain(SGDOptions{0.1, 0.0, false});
  EXPECT_NEAR(one_step(plain, 1.0, 1.0), 0.9, 1e-7);  // var²/2 at 1.0 → 0.9

  // SGD(0.1, momentum=0.9) on var²/2 from 1.0: the steps are 0.1, then 0.18.
  SGD momentum(SGDOptions{0.1, 0.9, false});
  auto v = std::make_shared<Variable>("var", Tensor::scalar(1.0, DType::f32), true);
  const std::shared_ptr<Variable> vars[1] = {v};
  const double val0 = v->value().item();
  const Tensor g1[1] = {v->value()};  // d(var²/2)/dvar = var (shares the variable's buffer)
  momentum.apply(vars, g1);
  const double val1 = v->value().item();
  const Tensor g2[1] = {v->value()};
  momentum.apply(vars, g2);
  const double val2 = v->value().item();
  EXPECT_NEAR(val0 - val1, 0.1, 1e-7);
  EXPECT_NEAR(val1 - val2, 0.18, 1e-7);
}

TEST(KerasDocstrings, AdamRMSprop) {
  Adam adam(AdamOptions{0.1, 0.9, 0.999, 1e-7, false});
  EXPECT_NEAR(one_step(adam, 10.0, 10.0), 9.9, 1e-6);  // legacy Adam docstring
  RMSprop rms(RMSpropOptions{0.1, 0.9, 0.0, 1e-7, false});
  EXPECT_NEAR(one_step(rms, 10.0, 10.0), 9.683772, 1e-6);
}

// optimizer_test.py testWeightDecay: lr=1, wd=0.004, zero gradients; var1 is decayed by three
// optimizers, var2 is excluded by name, var3 by variable.
TEST(KerasOptimizerTest, WeightDecay) {
  auto var1 = std::make_shared<Variable>("var1", Tensor::scalar(2.0, DType::f32), true);
  auto var2 = std::make_shared<Variable>("exclude", Tensor::scalar(2.0, DType::f32), true);
  auto var3 = std::make_shared<Variable>("var3", Tensor::scalar(2.0, DType::f32), true);
  const Tensor zero = Tensor::scalar(0.0, DType::f32);
  AdamW opt1(AdamOptions{1.0}, 0.004);
  const std::shared_ptr<Variable> v1[1] = {var1};
  const Tensor g1[1] = {zero};
  opt1.apply(v1, g1);
  AdamW opt2(AdamOptions{1.0}, 0.004);
  const std::string names[1] = {"exclude"};
  opt2.exclude_from_weight_decay({}, names);
  const std::shared_ptr<Variable> v2[2] = {var1, var2};
  const Tensor g2[2] = {zero, zero};
  opt2.apply(v2, g2);
  AdamW opt3(AdamOptions{1.0}, 0.004);
  const std::shared_ptr<Variable> ex3[1] = {var3};
  opt3.exclude_from_weight_decay(ex3, {});
  const std::shared_ptr<Variable> v3[2] = {var1, var3};
  opt3.apply(v3, g2);
  EXPECT_EQ(static_cast<float>(var1->value().item()), 1.9760959f);  // 2·0.996³
  EXPECT_EQ(var2->value().item(), 2.0);
  EXPECT_EQ(var3->value().item(), 2.0);
}

// optimizer_test.py testClipNorm / testClipValue / testClipGlobalNorm, through SGD(lr=1)
// from 0, so θ = −clipped gradient.
TEST(KerasOptimizerTest, Clipping) {
  auto run = [&](const std::function<void(Optimizer&)>& configure, int nvars) {
    SGD opt(SGDOptions{1.0, 0.0, false});
    configure(opt);
    std::vector<std::shared_ptr<Variable>> vars;
    std::vector<Tensor> grads;
    for (int i = 0; i < nvars; ++i) {
      vars.push_back(std::make_shared<Variable>(fmt::format("v{}", i), Tensor::zeros(Shape{2}, DType::f32), true));
      grads.push_back(make(Shape{2}, DType::f32, {100.0, 100.0}));
    }
    opt.apply(vars, grads);
    std::vector<std::vector<double>> out;
    for (auto& v : vars) out.push_back(values(v->value()));
    return out;
  };
  const auto norm = run([](Optimizer& o) { o.set_clipnorm(1.0); }, 1);
  EXPECT_FLOAT_EQ(-norm[0][0], 0.7071068f);
  EXPECT_FLOAT_EQ(-norm[0][1], 0.7071068f);
  const auto value = run([](Optimizer& o) { o.set_clipvalue(1.0); }, 1);
  EXPECT_EQ(value[0], (std::vector<double>{-1.0, -1.0}));
  const auto global = run([](Optimizer& o) { o.set_global_clipnorm(1.0); }, 2);
  for (const auto& v : global) EXPECT_EQ(v, (std::vector<double>{-0.5, -0.5}));
}

// optimizer_test.py testSetIterations: iterations set to 2 → the next apply returns 3, and
// the step uses t = 3 (Adam's bias correction).
TEST(KerasOptimizerTest, SetIterations) {
  Adam adam(AdamOptions{0.01});
  adam.set_iterations(2);
  EXPECT_EQ(adam.iterations(), 2);
  auto w = variable("w", kTheta0, DType::f64);
  const std::shared_ptr<Variable> vars[1] = {w};
  const Rows expected = {{0.99361206601022434, -1.9936119044078788, 0.49361187410652874},
                         {0.98607465220149793, -1.9921164222290084, 0.49153193687222596},
                         {0.98772947079682716, -1.9917934359323972, 0.48862498272489269}};
  for (int k = 0; k < 3; ++k) {
    const Tensor grads[1] = {make(Shape{3}, DType::f64, kGrads[k])};
    EXPECT_EQ(adam.apply(vars, grads), 3 + k);
    expect_values(w->value(), expected[k], kTol64, "step from iterations 2");
  }
  EXPECT_THROW(adam.set_iterations(-1), Error);
}

// ---- schedules ---------------------------------------------------------------------------

TEST(Schedules, KerasFormulas) {
  ExponentialDecay e(0.1, 2, 0.5, false);
  EXPECT_DOUBLE_EQ(e(0), 0.1);
  EXPECT_DOUBLE_EQ(e(1), 0.07071067811865477);
  EXPECT_DOUBLE_EQ(e(3), 0.03535533905932738);
  ExponentialDecay s(0.1, 2, 0.5, true);
  EXPECT_DOUBLE_EQ(s(1), 0.1);
  EXPECT_DOUBLE_EQ(s(3), 0.05);
  CosineDecay c(0.1, 10, 0.0);
  EXPECT_DOUBLE_EQ(c(0), 0.1);
  EXPECT_NEAR(c(5), 0.05, 1e-17);
  EXPECT_NEAR(c(10), 0.0, 1e-17);
  EXPECT_NEAR(c(11), 0.0, 1e-17);  // clamped at decay_steps
  const int64_t b[2] = {100000, 110000};
  const double v[3] = {1.0, 0.5, 0.1};
  PiecewiseConstantDecay p(b, v);  // the Keras docstring example
  EXPECT_EQ(p(0), 1.0);
  EXPECT_EQ(p(100000), 1.0);
  EXPECT_EQ(p(100001), 0.5);
  EXPECT_EQ(p(110000), 0.5);
  EXPECT_EQ(p(110001), 0.1);
}

TEST(Schedules, BadArguments) {
  EXPECT_THROW(ExponentialDecay(0.1, 0, 0.5, false), Error);
  EXPECT_THROW(CosineDecay(0.1, -1, 0.0), Error);
  EXPECT_THROW(CosineDecay(0.1, 10, 1.5), Error);
  const int64_t b[2] = {5, 5};
  const double v[3] = {1, 2, 3};
  EXPECT_THROW(PiecewiseConstantDecay(b, v), Error);  // not strictly increasing
  try {
    PiecewiseConstantDecay(std::span<const int64_t>(b, 2), std::span<const double>(v, 2));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("The length of boundaries should be 1 less than the length of values"),
              std::string::npos);
  }
}

TEST(Schedules, LearningRateIsTheScheduleAtTheCounter) {
  SGD opt(SGDOptions{0.5});
  EXPECT_EQ(opt.learning_rate(), 0.5);
  opt.set_schedule(std::make_shared<ExponentialDecay>(0.1, 1, 0.5, false));
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.1);
  opt.set_iterations(3);
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.0125);
  opt.set_learning_rate(0.2);  // a constant replaces the schedule
  EXPECT_EQ(opt.learning_rate(), 0.2);
}

// ---- build, KeyError, NULL gradients -------------------------------------------------

TEST(OptimizerBuild, AVariableNotBuiltForIsAKerasKeyError) {
  auto a = variable("a", {1.0}, DType::f32);
  auto b = variable("b", {1.0}, DType::f32);
  for (bool explicit_build : {true, false}) {
    Adam adam(AdamOptions{});
    const std::shared_ptr<Variable> only_a[1] = {a};
    const Tensor g[1] = {make(Shape{1}, DType::f32, {1.0})};
    if (explicit_build) adam.build(only_a);
    else adam.apply(only_a, g);
    const std::shared_ptr<Variable> only_b[1] = {b};
    const double before = b->value().item();
    Status code = Status::ok;
    const std::string msg = error_of([&] { adam.apply(only_b, g); }, &code);
    EXPECT_EQ(code, Status::invalid_argument);
    EXPECT_EQ(msg,
              "The optimizer cannot recognize variable b. This usually means you are trying to call the optimizer to "
              "update different parts of the model separately. Please call `optimizer.build(variables)` with the full "
              "list of trainable variables before the training loop or use legacy optimizer "
              "`tf.keras.optimizers.legacy.Adam.");
    EXPECT_EQ(b->value().item(), before);
    EXPECT_EQ(adam.iterations(), explicit_build ? 0 : 1);
  }
}

TEST(OptimizerBuild, BuildingWithTheFullListAllowsSubsetSteps) {
  auto a = variable("a", {1.0}, DType::f64);
  auto b = variable("b", {1.0}, DType::f64);
  SGD sgd(SGDOptions{0.5});
  const std::shared_ptr<Variable> both[2] = {a, b};
  sgd.build(both);
  sgd.build(std::span<const std::shared_ptr<Variable>>{});  // later builds do nothing
  const std::shared_ptr<Variable> only_b[1] = {b};
  const Tensor g[1] = {make(Shape{1}, DType::f64, {1.0})};
  EXPECT_EQ(sgd.apply(only_b, g), 1);
  EXPECT_EQ(b->value().item(), 0.5);
  const std::shared_ptr<Variable> only_a[1] = {a};
  EXPECT_EQ(sgd.apply(only_a, g), 2);
  EXPECT_EQ(a->value().item(), 0.5);
}

TEST(OptimizerBuild, ExcludeFromWeightDecayOnlyBeforeBuild) {
  SGD sgd(SGDOptions{});
  const std::shared_ptr<Variable> none[1] = {variable("a", {1.0}, DType::f32)};
  const std::string bad[1] = {"("};
  Status code = Status::ok;
  EXPECT_NE(error_of([&] { sgd.exclude_from_weight_decay({}, bad); }, &code).find("invalid regular expression"),
            std::string::npos);
  EXPECT_EQ(code, Status::invalid_argument);
  // An empty apply neither steps nor builds.
  EXPECT_EQ(sgd.apply({}, {}), 0);
  EXPECT_FALSE(sgd.built());
  sgd.exclude_from_weight_decay(none, {});
  sgd.build(none);
  EXPECT_EQ(error_of([&] { sgd.exclude_from_weight_decay(none, {}); }, &code),
            "`exclude_from_weight_decay()` can only be configued before the optimizer is built.");
  EXPECT_EQ(code, Status::invalid_state);
}

struct WarningLog {
  std::vector<std::string> messages;
  static void handler(const char* message, void* context) {
    static_cast<WarningLog*>(context)->messages.emplace_back(message);
  }
};

TEST(OptimizerApply, NullGradientsWarnThroughTheHandlerAndAllNullIsAnError) {
  WarningLog log;
  set_warning_handler(&WarningLog::handler, &log);
  auto a = variable("dense/kernel:0", {1.0}, DType::f32);
  auto b = variable("dense/bias:0", {1.0}, DType::f32);
  auto c = variable("c", {1.0}, DType::f32);
  SGD sgd(SGDOptions{0.5});
  const std::shared_ptr<Variable> vars[3] = {a, b, c};
  const Tensor some[3] = {Tensor(), make(Shape{1}, DType::f32, {1.0}), Tensor()};
  EXPECT_EQ(sgd.apply(vars, some), 1);  // the counter still increments
  EXPECT_EQ(a->value().item(), 1.0);
  EXPECT_EQ(b->value().item(), 0.5);
  ASSERT_EQ(log.messages.size(), 1u);
  EXPECT_EQ(log.messages[0],
            "Gradients do not exist for variables [dense/kernel:0, c] when minimizing the loss. If you're using "
            "`model.compile()`, did you forget to provide a `loss` argument?");
  const Tensor none[3] = {Tensor(), Tensor(), Tensor()};
  Status code = Status::ok;
  EXPECT_EQ(error_of([&] { sgd.apply(vars, none); }, &code),
            "No gradients provided for any variable: [dense/kernel:0, dense/bias:0, c].");
  EXPECT_EQ(code, Status::invalid_argument);
  EXPECT_EQ(sgd.iterations(), 1);
  EXPECT_EQ(log.messages.size(), 1u);  // an error does not warn
  set_warning_handler(nullptr, nullptr);
  sgd.apply(vars, some);  // no handler: dropped
  EXPECT_EQ(log.messages.size(), 1u);
}

TEST(OptimizerApply, ErrorsChangeNothing) {
  auto a = variable("a", {1.0, 2.0}, DType::f32);
  auto b = variable("b", {1.0, 2.0}, DType::f32);
  Adam adam(AdamOptions{});
  const std::shared_ptr<Variable> vars[2] = {a, b};
  const Tensor bad[2] = {make(Shape{2}, DType::f32, {1.0, 1.0}), make(Shape{3}, DType::f32, {1, 1, 1})};
  EXPECT_NE(error_of([&] { adam.apply(vars, bad); }).find("does not match variable 'b'"), std::string::npos);
  const Tensor wrong_dtype[2] = {make(Shape{2}, DType::f32, {1.0, 1.0}), make(Shape{2}, DType::f64, {1, 1})};
  EXPECT_NE(error_of([&] { adam.apply(vars, wrong_dtype); }).find("float64"), std::string::npos);
  EXPECT_FALSE(adam.built());
  EXPECT_EQ(adam.iterations(), 0);
  EXPECT_EQ(values(a->value()), (std::vector<double>{1.0, 2.0}));
  const Tensor one[1] = {make(Shape{2}, DType::f32, {1.0, 1.0})};
  EXPECT_NE(error_of([&] { adam.apply(vars, one); }).find("2 variables but 1 gradients"), std::string::npos);
}

TEST(OptimizerApply, IntegerVariablesAreRejected) {
  auto i = std::make_shared<Variable>("i", Tensor::zeros(Shape{2}, DType::i32), true);
  SGD sgd(SGDOptions{});
  const std::shared_ptr<Variable> vars[1] = {i};
  const Tensor g[1] = {Tensor::zeros(Shape{2}, DType::i32)};
  EXPECT_NE(error_of([&] { sgd.apply(vars, g); }).find("not a floating dtype"), std::string::npos);
}

TEST(OptimizerApply, UpdateDoesNotChangeAnEarlierReadOrTheGradient) {
  auto v = variable("v", {1.0, 2.0}, DType::f64);
  const Tensor before = v->read();
  SGD sgd(SGDOptions{0.5});
  const std::shared_ptr<Variable> vars[1] = {v};
  const Tensor grads[1] = {v->value()};  // the gradient shares the variable's buffer
  sgd.apply(vars, grads);
  EXPECT_EQ(values(before), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(values(grads[0]), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(values(v->value()), (std::vector<double>{0.5, 1.0}));
}

TEST(OptimizerApply, ClippedGradientsAreNotWrittenBack) {
  SGD sgd(SGDOptions{1.0});
  sgd.set_clipvalue(0.5);
  auto v = variable("v", {0.0, 0.0}, DType::f32);
  const std::shared_ptr<Variable> vars[1] = {v};
  const Tensor grads[1] = {make(Shape{2}, DType::f32, {3.0, -0.25})};
  sgd.apply(vars, grads);
  EXPECT_EQ(values(grads[0]), (std::vector<double>{3.0, -0.25}));
  EXPECT_EQ(values(v->value()), (std::vector<double>{-0.5, 0.25}));
}

// ---- configuration errors ----------------------------------------------------------------------

TEST(OptimizerConfig, KerasErrorMessages) {
  EXPECT_EQ(error_of([] { SGD(SGDOptions{0.01, 1.5, false}); }), "`momentum` must be between [0, 1].");
  EXPECT_EQ(error_of([] { SGD(SGDOptions{0.01, -0.1, false}); }), "`momentum` must be between [0, 1].");
  SGD sgd(SGDOptions{});
  sgd.set_clipnorm(1.0);
  EXPECT_EQ(error_of([&] { sgd.set_global_clipnorm(2.0); }),
            "At most one of `clipnorm` and `global_clipnorm` can be set. Received: clipnorm=1, global_clipnorm=2.");
  sgd.set_clipnorm(std::nullopt);
  sgd.set_global_clipnorm(2.0);
  EXPECT_NE(error_of([&] { sgd.set_clipnorm(1.0); }).find("At most one of `clipnorm` and `global_clipnorm`"),
            std::string::npos);
  EXPECT_NE(error_of([&] { sgd.set_clipvalue(-1.0); }).find("clipvalue must be finite and > 0"), std::string::npos);
  EXPECT_NE(error_of([&] { sgd.set_weight_decay(-0.1); }).find("weight_decay"), std::string::npos);
  EXPECT_NE(error_of([] { Adam(AdamOptions{0.0}); }).find("learning_rate > 0"), std::string::npos);
  EXPECT_NE(error_of([] { Adam(AdamOptions{0.001, 0.9, 1.0}); }).find("beta_2"), std::string::npos);
  EXPECT_NE(error_of([] { RMSprop(RMSpropOptions{0.001, 1.5}); }).find("rho"), std::string::npos);
  EXPECT_NE(error_of([] { Adagrad(AdagradOptions{0.001, -0.1}); }).find("initial_accumulator_value must be non-negative"),
            std::string::npos);
  EXPECT_EQ(AdamW(AdamOptions{}, AdamW::kDefaultWeightDecay).weight_decay(), 0.004);
  EXPECT_EQ(AdamW(AdamOptions{}, 0.004).name(), "AdamW");
}

// ---- slots and checkpoint state ---------------------------------------------------------------

TEST(OptimizerState, NamesFollowKerasSlots) {
  auto names_of = [](Optimizer& opt) {
    auto w = variable("w:0", {1.0}, DType::f32);
    auto b = variable("b:0", {1.0, 2.0}, DType::f32);
    const std::shared_ptr<Variable> vars[2] = {w, b};
    opt.build(vars);
    std::vector<std::string> names;
    for (const auto& nt : opt.state()) names.push_back(nt.name);
    return names;
  };
  using V = std::vector<std::string>;
  SGD sgd(SGDOptions{});
  EXPECT_EQ(names_of(sgd), (V{"iterations", "m/w:0", "m/b:0"}));
  Adam ams(AdamOptions{0.001, 0.9, 0.999, 1e-7, true});
  EXPECT_EQ(names_of(ams), (V{"iterations", "m/w:0", "m/b:0", "v/w:0", "v/b:0", "vhat/w:0", "vhat/b:0"}));
  RMSprop rms(RMSpropOptions{0.001, 0.9, 0.5, 1e-7, true});
  EXPECT_EQ(names_of(rms), (V{"iterations", "velocity/w:0", "velocity/b:0", "momentum/w:0", "momentum/b:0",
                              "average_gradient/w:0", "average_gradient/b:0"}));
  RMSprop plain(RMSpropOptions{});
  EXPECT_EQ(names_of(plain), (V{"iterations", "velocity/w:0", "velocity/b:0"}));
  Adagrad ada(AdagradOptions{});
  EXPECT_EQ(names_of(ada), (V{"iterations", "accumulator/w:0", "accumulator/b:0"}));
  const auto st = ada.state();
  EXPECT_EQ(values(st[2].value), (std::vector<double>{0.1f, 0.1f}));  // initial_accumulator_value, float32
  EXPECT_EQ(st[0].value.dtype(), DType::i64);
  EXPECT_EQ(st[0].value.rank(), 0);
}

TEST(OptimizerState, RoundTripContinuesIdentically) {
  // Two steps of AMSGrad Adam, save, restore into a fresh optimizer (which builds), and the
  // third step of both agrees with the uninterrupted run.
  auto w = variable("w", kTheta0, DType::f64);
  Adam a(AdamOptions{0.01, 0.9, 0.5, 1e-7, true});
  const std::shared_ptr<Variable> vars[1] = {w};
  for (int k = 0; k < 2; ++k) {
    const Tensor g[1] = {make(Shape{3}, DType::f64, kGrads[k])};
    a.apply(vars, g);
  }
  std::map<std::string, Tensor> saved;
  for (auto& nt : a.state()) saved[nt.name] = nt.value;
  EXPECT_EQ(saved.size(), 4u);
  EXPECT_EQ(*saved["iterations"].data<int64_t>(), 2);

  Adam b(AdamOptions{0.01, 0.9, 0.5, 1e-7, true});
  b.load_state(vars, [&](const std::string& name) { return saved.count(name) ? saved[name] : Tensor(); });
  EXPECT_TRUE(b.built());
  EXPECT_EQ(b.iterations(), 2);
  const Tensor g3[1] = {make(Shape{3}, DType::f64, kGrads[2])};
  EXPECT_EQ(b.apply(vars, g3), 3);
  expect_values(w->value(), {0.98277613323246438, -1.9877244935815206, 0.48444390025447759}, kTol64,
                "restored AMSGrad step 3");
  // The saved tensors were copies: the step did not change them.
  EXPECT_EQ(values(saved["m/w"]), values(a.state()[1].value));
}

TEST(OptimizerState, LoadValidatesEverythingFirst) {
  auto w = variable("w", {1.0, 2.0}, DType::f32);
  const std::shared_ptr<Variable> vars[1] = {w};
  std::map<std::string, Tensor> ckpt;
  const int64_t five = 5;
  ckpt["iterations"] = Tensor::from_data(Shape{}, DType::i64, &five);
  ckpt["m/w"] = Tensor::zeros(Shape{2}, DType::f32);
  auto lookup = [&](const std::string& n) { return ckpt.count(n) ? ckpt[n] : Tensor(); };
  Adam adam(AdamOptions{});
  EXPECT_EQ(error_of([&] { adam.load_state(vars, lookup); }), "load_state: no tensor named 'v/w'");
  ckpt["v/w"] = Tensor::zeros(Shape{3}, DType::f32);
  EXPECT_EQ(error_of([&] { adam.load_state(vars, lookup); }), "load_state: 'v/w' is float32 (3), expected float32 (2)");
  EXPECT_FALSE(adam.built());
  EXPECT_EQ(adam.iterations(), 0);
  ckpt["v/w"] = Tensor::full(Shape{2}, DType::f32, 4.0);
  adam.load_state(vars, lookup);
  EXPECT_EQ(adam.iterations(), 5);
  EXPECT_EQ(values(adam.state()[2].value), (std::vector<double>{4.0, 4.0}));
  ckpt["iterations"] = Tensor::scalar(1.0, DType::f32);
  EXPECT_NE(error_of([&] { adam.load_state(vars, lookup); }).find("expected an int64 scalar"), std::string::npos);
  EXPECT_EQ(adam.iterations(), 5);
}

TEST(OptimizerState, DuplicateVariableNamesAreRejected) {
  auto a = variable("same", {1.0}, DType::f32);
  auto b = variable("same", {1.0}, DType::f32);
  SGD sgd(SGDOptions{});
  const std::shared_ptr<Variable> vars[2] = {a, b};
  sgd.build(vars);
  EXPECT_NE(error_of([&] { sgd.state(); }).find("named 'same'"), std::string::npos);
}

}  // namespace
}  // namespace tg
