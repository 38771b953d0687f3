// SPDX-License-Identifier: Apache-2.0
// BatchNormalization and LayerNormalization (src/nn/normalization.h) against numpy: outputs
// in training and inference, the moving statistics after two training calls on both of
// Keras's paths, weight order and trainability, training through fit's step.
#include <gtest/gtest.h>

#include "autodiff/tape.h"
#include "nn/layers.h"
#include "nn/normalization.h"
#include "nn/model.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::all_close;
using testing::expect_error;
using testing::f32;
using testing::f64;
using testing::values;

// The numbers below come from numpy (float64), with x the 16 values of kX as (2, 2, 2, 2)
// NHWC, i.e. 8 rows of 2 channels, gamma = [2, 0.5], beta = [0.1, -0.3], eps = 1e-3,
// momentum = 0.99, and a second batch x2 = 2·x − 1:
//   f = x.reshape(-1, 2); mu = f.mean(0); var = f.var(0)            # biased
//   y = gamma·(f − mu)/sqrt(var + eps) + beta
//   fused:     mm = 0.99·mm + 0.01·mean;  mv = 0.99·mv + 0.01·var·n/(n − 1)   (n = 8)
//   non-fused: mm = mm − (mm − mean)·0.01; mv = mv − (mv − var)·0.01
//   inference: gamma·(f − mm)/sqrt(mv + eps) + beta with the fused mm, mv after two batches
const std::vector<double> kX = {0.5, -1.0, 2.0, 3.0, 1.5, 0.0, -2.0, 4.0, 2.5, 1.0, 0.0, -1.0, 3.5, 2.0, 1.0, 0.5};
const std::vector<double> kTrainingY = {
    -0.6928920260191864, -0.9052220361717727,  1.210048836426861,   0.26854191276742284,
    0.5757352156115119,  -0.6117810489369738,  -3.8644601300959316, 0.5619829000022218,
    1.8443624572422102,  -0.31834006170217494, -1.3272056468345355, -0.9052220361717727,
    3.112989698872908,   -0.024899074467375992, -0.05857840520383728, -0.46506055531957435};
const std::vector<double> kMovingMean1 = {0.01125, 0.010625}, kMovingMean2 = {0.0236375, 0.02176875};
const std::vector<double> kFusedVariance1 = {1.018392857142857, 1.0231696428571428};
const std::vector<double> kFusedVariance2 = {1.121780357142857, 1.145616517857143};
const std::vector<double> kNonFusedVariance1 = {1.01484375, 1.0190234375};
const std::vector<double> kNonFusedVariance2 = {1.1040703125000002, 1.1249269531250001};
const std::vector<double> kInferenceY = {
    0.9991251762090295, -0.7771045116677007, 3.8303467024911035,  1.090654750563408,
    2.8866061937304126, -0.31016469610992337, -3.719577367594427, 1.5575945661211854,
    4.7740872112517945, 0.15677511944785383, 0.05538466744833829, -0.7771045116677007,
    6.661568228773177,  0.623714935005631,   1.942865684969721,   -0.07669478833103474};

std::vector<double> second_batch() {
  std::vector<double> x2 = kX;
  for (double& v : x2) v = 2 * v - 1;
  return x2;
}

std::shared_ptr<Layer> batch_norm(DType dtype, std::string name = "") {
  LayerConfig c;
  c.type = LayerType::batch_normalization;
  c.dtype = dtype;
  c.name = std::move(name);
  return make_layer(c);
}

void set_gamma_beta(Layer& bn, DType dtype) {
  bn.weight("gamma")->assign(testing::make({2}, dtype, {2.0, 0.5}));
  bn.weight("beta")->assign(testing::make({2}, dtype, {0.1, -0.3}));
}

TEST(BatchNormalizationLayer, FusedPathTrainingValuesMovingAveragesAndInference) {
  auto bn = batch_norm(DType::f32);  // float32 4-D channels-last input: Keras's fused path
  const Tensor x = f32({2, 2, 2, 2}, kX);
  bn->build({kUnknownDim, 2, 2, 2});
  set_gamma_beta(*bn, DType::f32);
  ASSERT_TRUE(static_cast<BatchNormalization&>(*bn).fused());
  EXPECT_TRUE(all_close(values((*bn)(x, true)), kTrainingY, 1e-5, 1e-5));
  EXPECT_TRUE(all_close(values(bn->weight("moving_mean")->value()), kMovingMean1, 1e-6, 1e-7));
  EXPECT_TRUE(all_close(values(bn->weight("moving_variance")->value()), kFusedVariance1, 1e-6, 1e-7));
  (*bn)(f32({2, 2, 2, 2}, second_batch()), true);
  EXPECT_TRUE(all_close(values(bn->weight("moving_mean")->value()), kMovingMean2, 1e-6, 1e-7));
  EXPECT_TRUE(all_close(values(bn->weight("moving_variance")->value()), kFusedVariance2, 1e-6, 1e-7));
  // Inference uses the moving statistics and changes nothing.
  EXPECT_TRUE(all_close(values((*bn)(x, false)), kInferenceY, 1e-5, 1e-5));
  EXPECT_TRUE(all_close(values(bn->weight("moving_mean")->value()), kMovingMean2, 1e-6, 1e-7));
}

TEST(BatchNormalizationLayer, NonFusedPathUsesTheBiasedVarianceForTheMovingAverage) {
  auto bn = batch_norm(DType::f64);  // a 2-D input (after Dense): Keras's non-fused path
  bn->build({kUnknownDim, 2});
  set_gamma_beta(*bn, DType::f64);
  EXPECT_FALSE(static_cast<BatchNormalization&>(*bn).fused());
  EXPECT_TRUE(all_close(values((*bn)(f64({8, 2}, kX), true)), kTrainingY, 1e-12, 1e-12));
  EXPECT_TRUE(all_close(values(bn->weight("moving_variance")->value()), kNonFusedVariance1, 1e-12, 1e-12));
  (*bn)(f64({8, 2}, second_batch()), true);
  EXPECT_TRUE(all_close(values(bn->weight("moving_mean")->value()), kMovingMean2, 1e-12, 1e-12));
  EXPECT_TRUE(all_close(values(bn->weight("moving_variance")->value()), kNonFusedVariance2, 1e-12, 1e-12));
}

TEST(BatchNormalizationLayer, AFrozenLayerRunsInInferenceMode) {
  auto bn = batch_norm(DType::f64);
  bn->build({kUnknownDim, 2});
  bn->set_trainable(false);
  // moving_mean 0, moving_variance 1, gamma 1, beta 0: y = x/sqrt(1 + 1e-3), no update.
  std::vector<double> expected = kX;
  for (double& v : expected) v /= std::sqrt(1.001);
  EXPECT_TRUE(all_close(values((*bn)(f64({8, 2}, kX), true)), expected, 1e-12, 1e-12));
  EXPECT_EQ(values(bn->weight("moving_mean")->value()), (std::vector<double>{0, 0}));
}

TEST(BatchNormalizationLayer, WeightsInKerasOrderAndChecks) {
  Model model("m");
  model.add(batch_norm(DType::f32, "bn"));
  model.build({kUnknownDim, 4, 4, 3});
  const auto weights = model.weights();
  ASSERT_EQ(weights.size(), 4u);
  EXPECT_EQ(weights[0]->name(), "m/bn/gamma:0");
  EXPECT_EQ(weights[1]->name(), "m/bn/beta:0");
  EXPECT_EQ(weights[2]->name(), "m/bn/moving_mean:0");
  EXPECT_EQ(weights[3]->name(), "m/bn/moving_variance:0");
  EXPECT_EQ(model.trainable_variables().size(), 2u);
  ASSERT_EQ(model.non_trainable_variables().size(), 2u);
  EXPECT_EQ(model.non_trainable_variables()[0]->name(), "m/bn/moving_mean:0");

  LayerConfig c;
  c.type = LayerType::batch_normalization;
  c.norm.fused = true;
  c.norm.axis = {2};
  expect_error([&] { make_layer(c); }, Status::invalid_argument,
               {"Passing `fused=True` is only supported when axis is 1 or 3"});
  c.norm.axis = {-1};
  auto fused = make_layer(c);
  expect_error([&] { fused->build({kUnknownDim, 3}); }, Status::invalid_argument,
               {"`fused=True` only support 4D or 5D input"});
  c.norm.fused.reset();
  c.norm.axis = {5};
  auto out_of_range = make_layer(c);
  expect_error([&] { out_of_range->build({kUnknownDim, 3}); }, Status::invalid_argument,
               {"Invalid value for `axis` argument"});
}

TEST(BatchNormalizationLayer, GradientFlowsThroughTheBatchStatistics) {
  // With gamma 1, beta 0 the training output sums to 0 per channel whatever x is, so
  // d(sum y)/dx = 0 and d(sum y)/dbeta = n = 8 per channel.
  auto bn = batch_norm(DType::f64);
  bn->build({kUnknownDim, 2});
  const Tensor x = f64({8, 2}, kX);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::reduce_sum((*bn)(x, true));
  tape.end();
  const auto g = testing::grad(tape, {testing::D(y)}, {testing::D(x), testing::D(bn->weight("beta"))});
  EXPECT_TRUE(all_close(values(g[0]), std::vector<double>(16, 0.0), 0, 1e-12));
  EXPECT_EQ(values(g[1]), (std::vector<double>{8, 8}));
}

// numpy: x = [[1, 2, 4], [-1, 0.5, 3]], gamma = [1, 2, 0.5], beta = [0, 0.1, -0.1];
// mu = x.mean(1, keepdims=True); var = x.var(1, keepdims=True)
// y = gamma·(x − mu)/sqrt(var + 1e-3) + beta
TEST(LayerNormalizationLayer, ValuesAgainstNumpy) {
  LayerConfig c;
  c.type = LayerType::layer_normalization;
  c.dtype = DType::f64;
  auto ln = make_layer(c);
  ln->build({kUnknownDim, 3});
  ln->weight("gamma")->assign(f64({3}, {1, 2, 0.5}));
  ln->weight("beta")->assign(f64({3}, {0, 0.1, -0.1}));
  const std::vector<double> expected = {-1.0687015116389473, -0.4343507558194738, 0.567938444774342,
                                        -1.1109637631749496, -0.30398682297270896, 0.556478587330652};
  const Tensor x = f64({2, 3}, {1, 2, 4, -1, 0.5, 3});
  EXPECT_TRUE(all_close(values((*ln)(x, true)), expected, 1e-12, 1e-12));
  EXPECT_TRUE(all_close(values((*ln)(x, false)), expected, 1e-12, 1e-12));
  EXPECT_EQ(ln->weights().size(), 2u);
}

}  // namespace
}  // namespace tg
