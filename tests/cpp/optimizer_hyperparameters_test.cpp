// SPDX-License-Identifier: Apache-2.0
// Optimizers made by Keras name with Keras's defaults, and hyperparameters set and read by
// name: checked values, booleans, the clip options, and the ones that decide the slots.
#include <gtest/gtest.h>

#include <functional>

#include "nn/optimizer.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::contains;
using testing::error_of;

TEST(OptimizerHyperparameters, MakeOptimizerByKerasNameHasKerasDefaults) {
  // Keras 2.15 constructor defaults (keras/optimizers/*.py).
  const auto sgd = make_optimizer("sgd");
  EXPECT_EQ(sgd->name(), "SGD");
  EXPECT_EQ(sgd->hyperparameter("learning_rate"), 0.01);
  EXPECT_EQ(sgd->hyperparameter("momentum"), 0.0);
  EXPECT_EQ(sgd->hyperparameter("nesterov"), 0.0);
  const auto adamw = make_optimizer("AdamW");
  EXPECT_EQ(adamw->name(), "AdamW");
  EXPECT_EQ(adamw->hyperparameter("learning_rate"), 0.001);
  EXPECT_EQ(adamw->hyperparameter("weight_decay"), 0.004);
  EXPECT_EQ(adamw->hyperparameter("epsilon"), 1e-7);
  EXPECT_EQ(make_optimizer("RMSprop")->hyperparameter("rho"), 0.9);
  EXPECT_EQ(make_optimizer("adagrad")->hyperparameter("initial_accumulator_value"), 0.1);
  EXPECT_EQ(make_optimizer("ADAM")->hyperparameter("beta_2"), 0.999);
  Status code{};
  EXPECT_EQ(error_of([] { make_optimizer("nadam"); }, &code),
            "Could not interpret optimizer identifier: 'nadam' (tapegrad has sgd, adam, adamw, rmsprop, adagrad)");
  EXPECT_EQ(code, Status::invalid_argument);
  EXPECT_EQ(adamw->hyperparameter_names(),
            (std::vector<std::string_view>{"learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", "weight_decay",
                                           "clipnorm", "clipvalue", "global_clipnorm"}));
}

TEST(OptimizerHyperparameters, SetChecksEachValueAsTheConstructorDoes) {
  const auto adam = make_optimizer("adam");
  adam->set_hyperparameter("beta_1", 0.95);
  EXPECT_EQ(adam->hyperparameter("beta_1"), 0.95);
  EXPECT_TRUE(contains(error_of([&] { adam->set_hyperparameter("beta_1", 1.0); }), "need 0 <= beta_1 < 1, got 1"));
  EXPECT_EQ(adam->hyperparameter("beta_1"), 0.95);  // unchanged
  EXPECT_TRUE(contains(error_of([&] { adam->set_hyperparameter("epsilon", -1); }), "epsilon >= 0"));
  EXPECT_TRUE(contains(error_of([&] { adam->set_hyperparameter("amsgrad", 0.5); }),
                       "Adam: amsgrad is a boolean, 0 or 1; got 0.5"));
  EXPECT_TRUE(contains(error_of([&] { adam->set_hyperparameter("learning_rate", 0); }), "learning_rate > 0"));
  EXPECT_EQ(error_of([&] { adam->set_hyperparameter("rho", 0.5); }),
            "Adam has no hyperparameter 'rho'; its hyperparameters are: learning_rate, beta_1, beta_2, epsilon, "
            "amsgrad, weight_decay, clipnorm, clipvalue, global_clipnorm");
  EXPECT_TRUE(contains(error_of([&] { adam->hyperparameter("use_ema"); }), "no hyperparameter 'use_ema'"));
  const auto sgd = make_optimizer("sgd");
  EXPECT_EQ(error_of([&] { sgd->set_hyperparameter("momentum", 1.5); }), "`momentum` must be between [0, 1].");
}

TEST(OptimizerHyperparameters, ClipOptionsAndWeightDecay) {
  const auto opt = make_optimizer("sgd");
  opt->set_hyperparameter("clipnorm", 2.0);
  EXPECT_EQ(opt->clipnorm(), 2.0);
  EXPECT_TRUE(contains(error_of([&] { opt->set_hyperparameter("global_clipnorm", 1.0); }),
                       "At most one of `clipnorm` and `global_clipnorm` can be set."));
  opt->set_hyperparameter("clipnorm", 0);  // 0 unsets
  EXPECT_FALSE(opt->clipnorm());
  EXPECT_EQ(opt->hyperparameter("clipnorm"), 0.0);
  opt->set_hyperparameter("global_clipnorm", 1.0);
  opt->set_hyperparameter("clipvalue", 0.5);
  EXPECT_EQ(opt->hyperparameter("clipvalue"), 0.5);
  opt->set_hyperparameter("weight_decay", 0.01);
  EXPECT_EQ(opt->weight_decay(), 0.01);
  EXPECT_TRUE(contains(error_of([&] { opt->set_hyperparameter("weight_decay", -1); }), "weight_decay must be"));
}

// A learning-rate schedule is read through "learning_rate"; setting it replaces the schedule.
TEST(OptimizerHyperparameters, LearningRateReadsTheScheduleAndSettingItReplacesIt) {
  const auto opt = make_optimizer("sgd");
  const int64_t boundaries[] = {1};
  const double values[] = {0.5, 0.25};
  opt->set_schedule(std::make_shared<PiecewiseConstantDecay>(boundaries, values));
  opt->set_iterations(2);
  EXPECT_EQ(opt->hyperparameter("learning_rate"), 0.25);
  opt->set_hyperparameter("learning_rate", 0.125);
  opt->set_iterations(0);
  EXPECT_EQ(opt->hyperparameter("learning_rate"), 0.125);
}

// Slot-shaping hyperparameters may change before build, not after; others may.
TEST(OptimizerHyperparameters, SlotShapingOnesAreFixedOnceBuilt) {
  auto v = std::make_shared<Variable>("v", Tensor::zeros(Shape{2}, DType::f32), true);
  const std::vector<std::shared_ptr<Variable>> vars{v};
  const auto adam = make_optimizer("adam");
  adam->set_hyperparameter("amsgrad", 1);
  adam->build(vars);
  EXPECT_EQ(adam->state().size(), 4u);  // iterations, m, v, vhat
  Status code{};
  EXPECT_TRUE(contains(error_of([&] { adam->set_hyperparameter("amsgrad", 0); }, &code),
                       "Adam: amsgrad cannot change to 0 once the optimizer is built, as it changes the slots"));
  EXPECT_EQ(code, Status::invalid_state);
  EXPECT_EQ(adam->hyperparameter("amsgrad"), 1.0);
  adam->set_hyperparameter("amsgrad", 1);  // no change is fine
  adam->set_hyperparameter("beta_2", 0.99);

  const auto rms = make_optimizer("rmsprop");
  rms->set_hyperparameter("momentum", 0.5);
  rms->build(vars);
  rms->set_hyperparameter("momentum", 0.9);  // still a "momentum" slot
  EXPECT_EQ(error_of([&] { rms->set_hyperparameter("momentum", 0); }, &code),
            "RMSprop: momentum cannot change to 0 once the optimizer is built, as it changes the slots");
  EXPECT_TRUE(contains(error_of([&] { rms->set_hyperparameter("centered", 1); }), "centered cannot change"));
  EXPECT_EQ(rms->hyperparameter("momentum"), 0.9);
}

}  // namespace
}  // namespace tg
