// SPDX-License-Identifier: Apache-2.0
// The convolution, pooling and reshape layers (src/nn/conv.h, pooling.h, reshape.h) against
// numbers worked out by hand or with numpy, their Keras output shapes and their errors.
#include <gtest/gtest.h>

#include "nn/layers.h"
#include "nn/model.h"
#include "nn/summary.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::all_close;
using testing::contains;
using testing::error_of;
using testing::expect_error;
using testing::f64;
using testing::values;

LayerConfig conv2d_config(int64_t filters, int64_t kh, int64_t kw) {
  LayerConfig c;
  c.type = LayerType::conv2d;
  c.dtype = DType::f64;
  c.conv.filters = filters;
  c.conv.kernel_size = {kh, kw};
  return c;
}

std::vector<double> iota(int64_t n, double scale = 1.0) {
  std::vector<double> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i) * scale;
  return v;
}

TEST(Conv2DLayer, ValidConvolutionWithBiasAndReluByHand) {
  LayerConfig c = conv2d_config(1, 2, 2);
  c.activation = Activation::relu;
  auto conv = make_layer(c);
  conv->build({kUnknownDim, 3, 3, 1});
  conv->weight("kernel")->assign(f64({2, 2, 1, 1}, {1, 2, 3, 4}));
  conv->weight("bias")->assign(f64({1}, {-40}));
  // x = [[1 2 3] [4 5 6] [7 8 9]]; the window at (0, 0) gives 1·1 + 2·2 + 4·3 + 5·4 = 37,
  // then 47, 67, 77; minus 40, relu: 0, 7, 27, 37.
  const Tensor y = (*conv)(f64({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), false);
  EXPECT_EQ(y.shape(), (Shape{1, 2, 2, 1}));
  EXPECT_EQ(values(y), (std::vector<double>{0, 7, 27, 37}));
}

// TensorFlow's 'same' padding puts the odd extra cell after (bottom / right). Expected values
// from numpy (x = arange(L·L).reshape(L, L), kernel = arange(1, 10).reshape(3, 3) / 10):
//   oh = -(-L // s); P = max(0, (oh - 1)·s + k - L); xp = np.pad(x, ((P//2, P - P//2),) * 2)
//   y[i, j] = (xp[i·s:i·s+k, j·s:j·s+k] · kernel).sum()
TEST(Conv2DLayer, SamePaddingWithEvenAndOddSizes) {
  struct Case {
    int64_t size, stride;
    std::vector<double> expected;
  };
  const Case cases[] = {
      // L = 4, s = 2: out 2, P = 1 → (0, 1).
      {4, 2, {30.3, 22.5, 25.3, 16.3}},
      // L = 5, s = 2: out 3, P = 2 → (1, 1).
      {5, 2, {10.0, 20.2, 16.0, 40.8, 63.6, 42.6, 30.4, 43.6, 26.8}},
  };
  for (const Case& k : cases) {
    LayerConfig c = conv2d_config(1, 3, 3);
    c.conv.padding = ops::Padding::same;
    c.conv.strides = {k.stride, k.stride};
    c.use_bias = false;
    auto conv = make_layer(c);
    conv->build({kUnknownDim, k.size, k.size, 1});
    std::vector<double> kernel = iota(9, 0.1);
    for (double& v : kernel) v += 0.1;  // 0.1 … 0.9
    conv->weight("kernel")->assign(f64({3, 3, 1, 1}, kernel));
    const Tensor y = (*conv)(f64({1, k.size, k.size, 1}, iota(k.size * k.size)), false);
    EXPECT_EQ(conv->compute_output_shape({kUnknownDim, k.size, k.size, 1}),
              (PartialShape{kUnknownDim, (k.size + 1) / 2, (k.size + 1) / 2, 1}));
    EXPECT_TRUE(all_close(values(y), k.expected, 1e-12, 1e-12)) << "L = " << k.size;
  }
  // An even kernel with stride 1: L = 3, k = 2 → P = 1 → (0, 1); x = arange(9), kernel
  // [[1, 2], [3, 4]] (numpy as above).
  LayerConfig c = conv2d_config(1, 2, 2);
  c.conv.padding = ops::Padding::same;
  c.use_bias = false;
  auto conv = make_layer(c);
  conv->build({kUnknownDim, 3, 3, 1});
  conv->weight("kernel")->assign(f64({2, 2, 1, 1}, {1, 2, 3, 4}));
  EXPECT_EQ(values((*conv)(f64({1, 3, 3, 1}, iota(9)), false)),
            (std::vector<double>{27, 37, 17, 57, 67, 29, 20, 23, 8}));
}

TEST(Conv1DLayer, CausalPaddingPadsOnTheLeftByHand) {
  LayerConfig c = conv2d_config(1, 2, 0);
  c.type = LayerType::conv1d;
  c.conv.padding = ops::Padding::causal;
  c.use_bias = false;
  auto conv = make_layer(c);
  conv->build({kUnknownDim, 4, 1});
  conv->weight("kernel")->assign(f64({2, 1, 1}, {2, 1}));
  // x = [1 2 3 4] padded to [0 1 2 3 4]: 0·2 + 1·1 = 1, 1·2 + 2 = 4, 7, 10.
  EXPECT_EQ(values((*conv)(f64({1, 4, 1}, {1, 2, 3, 4}), false)), (std::vector<double>{1, 4, 7, 10}));
  EXPECT_EQ(conv->weight("kernel")->shape(), (Shape{2, 1, 1}));
}

TEST(Conv2DLayer, KernelShapeGroupsAndKerasChecks) {
  LayerConfig c = conv2d_config(6, 3, 3);
  c.conv.groups = 3;
  auto conv = make_layer(c);
  conv->build({kUnknownDim, 8, 8, 9});
  EXPECT_EQ(conv->weight("kernel")->shape(), (Shape{3, 3, 3, 6}));
  EXPECT_EQ(conv->weight("bias")->shape(), (Shape{6}));
  EXPECT_EQ(conv->count_params(), 3 * 3 * 3 * 6 + 6);

  c.conv.groups = 4;
  expect_error([&] { make_layer(c); }, Status::invalid_argument,
               {"must be evenly divisible by the number of groups", "groups=4, filters=6"});
  c.conv.groups = 2;
  auto uneven = make_layer(c);
  expect_error([&] { uneven->build({kUnknownDim, 8, 8, 9}); }, Status::invalid_argument,
               {"number of input channels must be evenly divisible", "groups=2"});
  c.conv.groups = 1;
  c.conv.strides = {2, 2};
  c.conv.dilation_rate = {2, 1};
  expect_error([&] { make_layer(c); }, Status::invalid_argument,
               {"`strides > 1` not supported in conjunction with `dilation_rate > 1`"});
  c.conv.strides = {1, 1};
  c.conv.dilation_rate = {1, 1};
  c.conv.kernel_size = {0, 3};
  expect_error([&] { make_layer(c); }, Status::invalid_argument,
               {"Conv2D 'conv2d", "kernel_size=(0, 3) including {0}"});
  c.conv.kernel_size = {3, 3};
  c.conv.padding = ops::Padding::causal;
  expect_error([&] { make_layer(c); }, Status::invalid_argument, {"Causal padding is only supported for `Conv1D`"});
  c.conv.padding = ops::Padding::valid;
  c.conv.filters = 0;
  expect_error([&] { make_layer(c); }, Status::invalid_argument, {"filters=0"});
  c.conv.filters = 2;
  auto conv2 = make_layer(c);
  expect_error([&] { conv2->build({kUnknownDim, 28, 28}); }, Status::invalid_argument,
               {"expected min_ndim=4, found ndim=3. Full shape received: (None, 28, 28)"});
  expect_error([&] { conv2->build({kUnknownDim, 2, 2, 1}); }, Status::invalid_argument,
               {"One of the dimensions in the output is <= 0"});
}

TEST(PoolingLayers, ShapesValuesAndDefaultStrides) {
  LayerConfig c;
  c.type = LayerType::max_pooling2d;
  c.dtype = DType::f64;
  auto pool = make_layer(c);
  EXPECT_EQ(pool->config().pool.strides, (std::array<int64_t, 2>{2, 2}));  // strides=None → pool_size
  EXPECT_EQ(pool->compute_output_shape({kUnknownDim, 5, 5, 3}), (PartialShape{kUnknownDim, 2, 2, 3}));
  // x = arange(16).reshape(4, 4): the 2×2 maxima are 5, 7, 13, 15; the means 2.5, 4.5, 10.5, 12.5.
  const Tensor x = f64({1, 4, 4, 1}, iota(16));
  EXPECT_EQ(values((*pool)(x, false)), (std::vector<double>{5, 7, 13, 15}));
  c.type = LayerType::average_pooling2d;
  EXPECT_EQ(values((*make_layer(c))(x, false)), (std::vector<double>{2.5, 4.5, 10.5, 12.5}));
  // 'same' on 3×3 with a 2×2 window: the last row and column windows hold real cells only, so
  // the mean of the corner window is x[2][2] = 8 alone (padded cells are not counted).
  c.pool.padding = ops::Padding::same;
  EXPECT_EQ(values((*make_layer(c))(f64({1, 3, 3, 1}, iota(9)), false)), (std::vector<double>{2, 3.5, 6.5, 8}));

  LayerConfig g;
  g.type = LayerType::global_average_pooling2d;
  g.dtype = DType::f64;
  // Two channels: mean over H, W of arange(8) split as [0 2 4 6] and [1 3 5 7] → 3, 4.
  const Tensor x2 = f64({1, 2, 2, 2}, iota(8));
  EXPECT_EQ(values((*make_layer(g))(x2, false)), (std::vector<double>{3, 4}));
  g.type = LayerType::global_max_pooling2d;
  g.pool.keepdims = true;
  const Tensor m = (*make_layer(g))(x2, false);
  EXPECT_EQ(m.shape(), (Shape{1, 1, 1, 2}));
  EXPECT_EQ(values(m), (std::vector<double>{6, 7}));

  c.pool.pool_size = {0, 2};
  expect_error([&] { make_layer(c); }, Status::invalid_argument, {"pool_size=(0, 2)"});
}

TEST(ReshapeLayer, InfersMinusOneAndRejectsBadShapes) {
  LayerConfig c;
  c.type = LayerType::reshape;
  c.target_shape = {3, -1};
  auto reshape = make_layer(c);
  EXPECT_EQ(reshape->compute_output_shape({kUnknownDim, 2, 3}), (PartialShape{kUnknownDim, 3, 2}));
  EXPECT_EQ(reshape->compute_output_shape({kUnknownDim, kUnknownDim, 3}), (PartialShape{kUnknownDim, 3, -1}));
  const Tensor y = (*reshape)(f64({2, 2, 3}, iota(12)), false);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(values(y), iota(12));
  expect_error([&] { (*reshape)(f64({2, 7}, iota(14)), false); }, Status::invalid_argument,
               {"Reshape 'reshape",
                "total size of new array must be unchanged, input_shape = [7], output_shape = [3, -1]"});
  c.target_shape = {4, 2};
  expect_error([&] { make_layer(c)->compute_output_shape({kUnknownDim, 2, 3}); }, Status::invalid_argument,
               {"total size of new array must be unchanged, input_shape = [2, 3], output_shape = [4, 2]"});
  c.target_shape = {-1, -1};
  expect_error([&] { make_layer(c); }, Status::invalid_argument,
               {"There must be at most one unknown dimension in output_shape. Received: output_shape=[-1, -1]."});
  c.target_shape = {2, -3};
  expect_error([&] { make_layer(c); }, Status::invalid_argument, {"target_shape (2, -3) has a dimension below -1"});
}

TEST(Model, TheFashionMnistCnnHasKerasShapesAndParameterCounts) {
  Model model("cnn");
  LayerConfig reshape;
  reshape.type = LayerType::reshape;
  reshape.target_shape = {28, 28, 1};
  model.add(make_layer(reshape));
  LayerConfig pool;
  pool.type = LayerType::max_pooling2d;
  for (const int64_t filters : {32, 64}) {
    LayerConfig conv = conv2d_config(filters, 3, 3);
    conv.dtype = DType::f32;
    model.add(make_layer(conv));
    LayerConfig bn;
    bn.type = LayerType::batch_normalization;
    model.add(make_layer(bn));
    model.add(make_layer(pool));
  }
  model.build({kUnknownDim, 784});
  EXPECT_EQ(model.output_shape(1), (PartialShape{kUnknownDim, 26, 26, 32}));
  EXPECT_EQ(model.output_shape(6), (PartialShape{kUnknownDim, 5, 5, 64}));
  // Keras: conv 3·3·1·32 + 32 = 320, BN 4·32 = 128 (64 non-trainable), conv 3·3·32·64 + 64 =
  // 18496, BN 4·64 = 256 (128 non-trainable).
  const std::string summary = model_summary(model);
  EXPECT_TRUE(contains(summary, "Total params: 19200 (75.00 KB)")) << summary;
  EXPECT_TRUE(contains(summary, "Trainable params: 19008 (74.25 KB)")) << summary;
  EXPECT_TRUE(contains(summary, "Non-trainable params: 192 (768.00 Byte)")) << summary;
  EXPECT_TRUE(contains(summary, " batch_normalization (Batch  (None, 26, 26, 32)        128")) << summary;
}

}  // namespace
}  // namespace tg
