// SPDX-License-Identifier: Apache-2.0
// nn layer: Adam against hand-worked steps, glorot_uniform's range, Keras naming and
// variable order.
#include <gtest/gtest.h>

#include <cmath>

#include "autodiff/ops.h"
#include "autodiff/tape.h"
#include "nn/layers.h"
#include "nn/initializers.h"
#include "nn/losses.h"
#include "nn/model.h"
#include "nn/naming.h"
#include "nn/optimizer.h"

namespace tg {
namespace {

// θ0 = [1, −2], g1 = [0.1, −0.5], g2 = [0.2, 0.3], Keras defaults (lr 1e-3, β 0.9/0.999,
// ε 1e-7). Worked out from docs/tensorflow.md in double precision:
//   t=1: α = 1e-3·sqrt(1−0.999)/(1−0.9); m = [0.01, −0.05]; v = [1e-5, 2.5e-4]
//   t=2: α = 1e-3·sqrt(1−0.999²)/(1−0.9²); m = [0.029, −0.015]; v = [4.999e-5, 3.3975e-4]
std::shared_ptr<Layer> dense(int64_t units, Activation activation, uint64_t seed, std::string name = "") {
  LayerConfig c;
  c.type = LayerType::dense;
  c.name = std::move(name);
  c.units = units;
  c.activation = activation;
  c.kernel_initializer.seed = seed;
  return make_layer(c);
}

constexpr double kStep1[2] = {0.9990000316217766, -1.9990000063245152};
constexpr double kStep2[2] = {0.9980348632468621, -1.9988085093282082};

template <class T>
void check_adam(DType dtype, double tolerance) {
  const T init[2] = {T(1.0), T(-2.0)};
  auto var = std::make_shared<Variable>("w", Tensor::from_data(Shape{2}, dtype, init), true);
  Adam adam(AdamOptions{});
  const T g1[2] = {T(0.1), T(-0.5)}, g2[2] = {T(0.2), T(0.3)};
  const std::shared_ptr<Variable> vars[1] = {var};
  const Tensor grads1[1] = {Tensor::from_data(Shape{2}, dtype, g1)};
  EXPECT_EQ(adam.apply(vars, grads1), 1);
  EXPECT_NEAR(var->value().template data<T>()[0], kStep1[0], tolerance);
  EXPECT_NEAR(var->value().template data<T>()[1], kStep1[1], tolerance);
  const Tensor grads2[1] = {Tensor::from_data(Shape{2}, dtype, g2)};
  EXPECT_EQ(adam.apply(vars, grads2), 2);
  EXPECT_NEAR(var->value().template data<T>()[0], kStep2[0], tolerance);
  EXPECT_NEAR(var->value().template data<T>()[1], kStep2[1], tolerance);
}

TEST(Adam, FirstTwoStepsMatchTheKerasFormulaFloat64) { check_adam<double>(DType::f64, 1e-12); }
TEST(Adam, FirstTwoStepsMatchTheKerasFormulaFloat32) { check_adam<float>(DType::f32, 2e-7); }

TEST(Adam, NullGradientsAreSkippedAndAllNullIsAnError) {
  auto a = std::make_shared<Variable>("a", Tensor::scalar(1.0, DType::f32), true);
  auto b = std::make_shared<Variable>("b", Tensor::scalar(1.0, DType::f32), true);
  Adam adam(AdamOptions{});
  const std::shared_ptr<Variable> vars[2] = {a, b};
  const Tensor some[2] = {Tensor::scalar(1.0, DType::f32), Tensor()};
  EXPECT_EQ(adam.apply(vars, some), 1);
  EXPECT_NE(a->value().item(), 1.0);
  EXPECT_EQ(b->value().item(), 1.0);
  const Tensor none[2] = {Tensor(), Tensor()};
  try {
    adam.apply(vars, none);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Status::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("No gradients provided for any variable: [a, b]"), std::string::npos);
  }
  EXPECT_EQ(adam.iterations(), 1);
}

TEST(Adam, UpdateDoesNotChangeAnEarlierRead) {
  auto v = std::make_shared<Variable>("v", Tensor::scalar(1.0, DType::f64), true);
  const Tensor before = v->read();
  Adam adam(AdamOptions{});
  const std::shared_ptr<Variable> vars[1] = {v};
  const Tensor grads[1] = {Tensor::scalar(1.0, DType::f64)};
  adam.apply(vars, grads);
  EXPECT_EQ(before.item(), 1.0);
  EXPECT_LT(v->value().item(), 1.0);
}

TEST(GlorotUniform, StaysWithinTheKerasLimitAndIsSeeded) {
  const Tensor a = glorot_uniform(Shape{32, 10}, DType::f32, 7);
  const Tensor b = glorot_uniform(Shape{32, 10}, DType::f32, 7);
  const double limit = std::sqrt(6.0 / (32 + 10));
  double max_abs = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    EXPECT_EQ(a.data<float>()[i], b.data<float>()[i]);
    max_abs = std::max(max_abs, std::abs(static_cast<double>(a.data<float>()[i])));
  }
  EXPECT_LE(max_abs, limit);
  EXPECT_GT(max_abs, 0.9 * limit);  // 320 draws come close to the edge
}

TEST(Model, KerasNamesShapesAndOrder) {
  reset_names();
  Model model("my_model");
  model.add(dense(32, Activation::relu, 1));
  model.add(dense(10, Activation::linear, 2));
  const Tensor x = Tensor::full(Shape{4, 32}, DType::f64, 0.5);  // float64 input is cast
  const Tensor y = model.call(x);
  EXPECT_EQ(y.shape(), (Shape{4, 10}));
  EXPECT_EQ(y.dtype(), DType::f32);
  const auto vars = model.trainable_variables();
  ASSERT_EQ(vars.size(), 4u);
  EXPECT_EQ(vars[0]->name(), "my_model/dense/kernel:0");
  EXPECT_EQ(vars[0]->shape(), (Shape{32, 32}));
  EXPECT_EQ(vars[1]->name(), "my_model/dense/bias:0");
  EXPECT_EQ(vars[1]->shape(), (Shape{32}));
  EXPECT_EQ(vars[2]->name(), "my_model/dense_1/kernel:0");
  EXPECT_EQ(vars[2]->shape(), (Shape{32, 10}));
  EXPECT_EQ(vars[3]->name(), "my_model/dense_1/bias:0");
  // An explicit name does not advance the counter.
  EXPECT_EQ(dense(3, Activation::linear, 0, "head")->name(), "head");
  EXPECT_EQ(dense(3, Activation::linear, 0)->name(), "dense_2");
}

TEST(Model, GradientsReachEveryTrainableVariable) {
  reset_names();
  Model model("m");
  model.add(dense(5, Activation::relu, 3));
  model.add(dense(3, Activation::linear, 4));
  const Tensor x = Tensor::full(Shape{6, 4}, DType::f32, 0.3);
  const Tensor labels = Tensor::full(Shape{6, 3}, DType::f32, 1.0 / 3);
  model.call(x);
  Tape tape(false, true);
  tape.begin();
  LossConfig cce;
  cce.kind = LossKind::categorical_crossentropy;
  cce.from_logits = true;
  const Tensor loss = Loss(cce)(labels, model.call(x));
  tape.end();
  std::vector<Differentiable> sources;
  for (auto& v : model.trainable_variables()) sources.push_back(Differentiable::of(v));
  const Differentiable target[1] = {Differentiable::of(loss)};
  const auto grads = tape.gradient(target, sources);
  ASSERT_EQ(grads.size(), 4u);
  for (size_t i = 0; i < grads.size(); ++i) {
    ASSERT_TRUE(grads[i]) << i;
    EXPECT_EQ(grads[i].shape(), sources[i].value.shape());
  }
}

}  // namespace
}  // namespace tg
