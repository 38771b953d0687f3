// SPDX-License-Identifier: Apache-2.0
// The C++ wrapper's tensors, operators, errors, variables, tapes, losses and optimizers, against
// values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <type_traits>

#include "tapegrad/tapegrad.hpp"

namespace tf = tapegrad;

static_assert(!std::is_copy_constructible_v<tf::Tensor> && std::is_nothrow_move_constructible_v<tf::Tensor>,
              "handles are move-only");
static_assert(!std::is_copy_assignable_v<tf::Model> && std::is_move_assignable_v<tf::Model>, "handles are move-only");

TEST(HppTensor, CreateReadAndMove) {
  tf::Tensor t = tf::Tensor::from<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.shape(), (tf::Shape{2, 3}));
  EXPECT_EQ(t.dtype(), TG_FLOAT32);
  EXPECT_EQ(t.size(), 6u);
  tf::Tensor moved = std::move(t);
  EXPECT_FALSE(t);  // NOLINT(bugprone-use-after-move): a moved-from handle is empty
  EXPECT_TRUE(moved);
  EXPECT_EQ(moved.values<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  tf::Tensor other = tf::Tensor::scalar(7);
  other = std::move(moved);  // frees the scalar
  EXPECT_EQ(other.shape(), (tf::Shape{2, 3}));
  tg_tensor* raw = other.release();
  EXPECT_FALSE(other);
  EXPECT_EQ(tg_tensor_free(raw), TG_OK);
  EXPECT_EQ(tf::shape_str({2, 3}), "(2, 3)");
  EXPECT_EQ(tf::shape_str({10}), "(10,)");
  EXPECT_EQ(tf::shape_str({}), "()");
}

TEST(HppTensor, ErrorsCarryTheStatusAndTheMessage) {
  try {
    tf::matmul(tf::ones({2, 3}), tf::ones({4, 5}));
    FAIL() << "no exception";
  } catch (const tf::Error& e) {
    EXPECT_EQ(e.status(), TG_INVALID_ARGUMENT);
    EXPECT_STREQ(e.status_name(), "TG_INVALID_ARGUMENT");
    EXPECT_NE(std::string(e.what()).find("[tg_matmul]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(2,3) x (4,5)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tf::Tensor::from<float>({1, 2}, {3}), tf::Error);
  EXPECT_THROW(tf::Tensor().shape(), tf::Error);  // an empty handle: TG_INVALID_HANDLE
  try {
    tf::Tensor().item();
  } catch (const tf::Error& e) {
    EXPECT_EQ(e.status(), TG_INVALID_HANDLE);
  }
}

TEST(HppTensor, OperatorsWithTensorsAndScalars) {
  const tf::Tensor x = tf::Tensor::from<float>({1, 2, 4}, {3});
  const tf::Tensor y = tf::Tensor::from<float>({2, 2, 2}, {3});
  EXPECT_EQ((x + y).values<float>(), (std::vector<float>{3, 4, 6}));
  EXPECT_EQ((x - y).values<float>(), (std::vector<float>{-1, 0, 2}));
  EXPECT_EQ((x * y).values<float>(), (std::vector<float>{2, 4, 8}));
  EXPECT_EQ((x / y).values<float>(), (std::vector<float>{0.5f, 1, 2}));
  EXPECT_EQ((-x).values<float>(), (std::vector<float>{-1, -2, -4}));
  EXPECT_EQ((x + 1).values<float>(), (std::vector<float>{2, 3, 5}));
  EXPECT_EQ((10 - x).values<float>(), (std::vector<float>{9, 8, 6}));
  EXPECT_EQ((x * 0.5).values<float>(), (std::vector<float>{0.5f, 1, 2}));
  EXPECT_EQ((1 / x).values<float>(), (std::vector<float>{1, 0.5f, 0.25f}));
  EXPECT_EQ((x * 0.5).dtype(), TG_FLOAT32);  // the scalar takes the tensor's dtype
  const tf::Tensor d = tf::Tensor::from<double>({1.5}, {1});
  EXPECT_EQ((d * 2).values<double>(), (std::vector<double>{3.0}));
  const tf::Tensor i = tf::Tensor::from<int32_t>({3, 4}, {2});
  EXPECT_EQ((i * 2).values<int32_t>(), (std::vector<int32_t>{6, 8}));
  // broadcasting: (2,1) + (3) -> (2,3)
  const tf::Tensor column = tf::Tensor::from<float>({10, 20}, {2, 1});
  EXPECT_EQ((column + x).values<float>(), (std::vector<float>{11, 12, 14, 21, 22, 24}));
  EXPECT_FLOAT_EQ(tf::reduce_sum(x).item(), 7.0f);
  EXPECT_FLOAT_EQ(tf::reduce_mean(x * x).item(), 7.0f);  // (1 + 4 + 16) / 3
  EXPECT_EQ(tf::relu(x - 2).values<float>(), (std::vector<float>{0, 0, 2}));
  EXPECT_EQ(tf::matmul(tf::reshape(x, {1, 3}), tf::reshape(y, {3, 1})).values<float>(),
            (std::vector<float>{14}));
  EXPECT_EQ(tf::cast(x, TG_INT32).values<int32_t>(), (std::vector<int32_t>{1, 2, 4}));
}

TEST(HppTape, GradientsFirstAndSecondOrder) {
  const tf::Tensor x = tf::Tensor::scalar(3.0);
  {
    tf::GradientTape g;
    g.watch(x);
    tf::Tensor y = x * x;
    EXPECT_DOUBLE_EQ(g.gradient(y, x).item(), 6.0);
  }
  tf::GradientTape outer;
  outer.watch(x);
  tf::Tensor dy_dx;
  {
    tf::GradientTape inner;
    inner.watch(x);
    tf::Tensor y = x * x * x;
    dy_dx = inner.gradient(y, x);  // 3x² = 27, recorded on the outer tape
  }
  EXPECT_DOUBLE_EQ(dy_dx.item(), 27.0);
  EXPECT_DOUBLE_EQ(outer.gradient(dy_dx, x).item(), 18.0);  // 6x
  // an unconnected source gets an empty tensor (TF's None)
  tf::GradientTape g;
  const tf::Tensor z = tf::Tensor::scalar(1.0);
  g.watch(z);
  tf::Tensor y = x * 2;
  EXPECT_FALSE(g.gradient(y, z));
  EXPECT_FALSE(g.is_recording());  // gradient() of a non-persistent tape stopped it
}

TEST(HppVariable, ReadAssignAndGradient) {
  tf::Variable w("w", tf::Tensor::from<float>({1, 2}, {2}));
  EXPECT_EQ(w.name(), "w");
  EXPECT_EQ(w.shape(), (tf::Shape{2}));
  tf::GradientTape tape;  // trainable variables are watched when read
  tf::Tensor loss = tf::reduce_sum(w.read() * w.read());
  std::vector<tf::Tensor> grads = tape.gradient(loss, std::vector<tf::Variable>{});
  EXPECT_TRUE(grads.empty());
  tf::GradientTape second;
  tf::Tensor loss2 = tf::reduce_sum(w.read() * w.read());
  EXPECT_EQ(second.gradient(loss2, w).values<float>(), (std::vector<float>{2, 4}));
  w.assign(tf::Tensor::from<float>({5, 6}, {2}));
  EXPECT_EQ(w.value().values<float>(), (std::vector<float>{5, 6}));
  EXPECT_THROW(w.assign(tf::Tensor::from<float>({1, 2, 3}, {3})), tf::Error);
}

TEST(HppLoss, ValuesByHand) {
  const tf::Loss cce = tf::Loss::categorical_crossentropy(/*from_logits=*/true);
  const tf::Tensor labels = tf::Tensor::from<float>({0, 1}, {1, 2});
  const tf::Tensor logits = tf::Tensor::from<float>({0, 0}, {1, 2});
  EXPECT_NEAR(cce(labels, logits).item(), std::log(2.0), 1e-6);
  const tf::Loss mse = tf::Loss::mean_squared_error();
  EXPECT_DOUBLE_EQ(mse(tf::Tensor::from<float>({1, 2}, {2}), tf::Tensor::from<float>({1, 4}, {2})).item(), 2.0);
  const tf::Tensor weights = tf::Tensor::from<float>({0.5f}, {1});
  EXPECT_DOUBLE_EQ(mse(tf::Tensor::from<float>({1, 2}, {1, 2}), tf::Tensor::from<float>({1, 4}, {1, 2}), &weights).item(), 1.0);
}

TEST(HppOptimizer, HyperparametersAndOneStep) {
  tf::Optimizer sgd("sgd");
  EXPECT_DOUBLE_EQ(sgd.get_hyperparameter("learning_rate"), 0.01);
  sgd.set("learning_rate", 0.1).set("momentum", 0.0);
  EXPECT_THROW(sgd.set("beta_1", 0.9), tf::Error);
  EXPECT_THROW(tf::Optimizer("nadam"), tf::Error);
  std::vector<tf::Variable> vars;
  vars.emplace_back("w", tf::Tensor::scalar(1.0));
  tf::GradientTape tape;
  tf::Tensor loss = vars[0].read() * vars[0].read();
  EXPECT_EQ(sgd.apply_gradients(tape.gradient(loss, vars), vars), 1);
  EXPECT_FLOAT_EQ(static_cast<float>(vars[0].value().item()), 0.8f);  // 1 - 0.1·2
  EXPECT_EQ(sgd.iterations(), 1);
  EXPECT_THROW(sgd.apply_gradients({}, vars), tf::Error);
}
