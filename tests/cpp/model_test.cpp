// SPDX-License-Identifier: Apache-2.0
// Models and layers: build from a shape, Keras output shapes, layer lookup, dtypes and
// autocast, Keras weight order, get_weights / set_weights.
#include <gtest/gtest.h>

#include "nn/layers.h"
#include "nn/model.h"
#include "nn/naming.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::contains;
using testing::error_of;
using testing::values;

LayerConfig config_of(LayerType type, std::string name = "") {
  LayerConfig c;
  c.type = type;
  c.name = std::move(name);
  return c;
}

std::shared_ptr<Layer> dense(int64_t units, std::string name = "", DType dtype = DType::f32) {
  LayerConfig c = config_of(LayerType::dense, std::move(name));
  c.units = units;
  c.dtype = dtype;
  return make_layer(c);
}

TEST(Model, BuildCreatesTheVariablesWithoutACallAndRecordsOutputShapes) {
  Model model("built");
  model.add(make_layer(config_of(LayerType::flatten)));
  model.add(dense(16));
  model.add(make_layer([] {
    LayerConfig c = config_of(LayerType::dropout);
    c.rate = 0.5;
    return c;
  }()));
  model.add(dense(3));
  EXPECT_TRUE(model.weights().empty());
  model.build({kUnknownDim, 4, 5});
  ASSERT_TRUE(model.built());
  const auto w = model.weights();
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0]->shape(), (Shape{20, 16}));
  EXPECT_EQ(w[2]->shape(), (Shape{16, 3}));
  EXPECT_EQ(partial_shape_str(model.output_shape(0)), "(None, 20)");
  EXPECT_EQ(partial_shape_str(model.output_shape(1)), "(None, 16)");
  EXPECT_EQ(partial_shape_str(model.output_shape(2)), "(None, 16)");
  EXPECT_EQ(partial_shape_str(model.output_shape(3)), "(None, 3)");
  EXPECT_EQ(model.count_params(), 20 * 16 + 16 + 16 * 3 + 3);
  // The same shape (or a known batch) again is fine; another is not.
  model.build({kUnknownDim, 4, 5});
  model.build({7, 4, 5});
  Status code{};
  EXPECT_TRUE(contains(error_of([&] { model.build({kUnknownDim, 4, 6}); }, &code),
                       "was built for inputs of shape (None, 4, 5), not (None, 4, 6)"));
  EXPECT_EQ(code, Status::invalid_argument);
  EXPECT_EQ(model.call(Tensor::full(Shape{2, 4, 5}, DType::f32, 1)).shape(), (Shape{2, 3}));
  EXPECT_TRUE(contains(error_of([&] { model.add(dense(1)); }, &code), "after the model was built"));
  EXPECT_EQ(code, Status::invalid_state);
}

TEST(Model, BuildNeedsTheLastDimensionOfADenseInput) {
  Model model("m");
  model.add(dense(2));
  EXPECT_TRUE(contains(error_of([&] { model.build({kUnknownDim, kUnknownDim}); }),
                       "the last dimension of the inputs should be defined"));
  EXPECT_FALSE(model.built());
  EXPECT_TRUE(contains(error_of([&] { model.build({}); }), "must start with the batch dimension"));
  EXPECT_TRUE(contains(error_of([&] { model.build({-2, 3}); }), "dimension -2 of the input shape is invalid"));
  model.build({kUnknownDim, 3});
  EXPECT_EQ(model.weights()[0]->shape(), (Shape{3, 2}));
}

TEST(Model, FirstCallBuildsWithAnUnknownBatch) {
  Model model("m");
  model.add(dense(2));
  model.call(Tensor::full(Shape{5, 3}, DType::f32, 1));
  EXPECT_EQ(partial_shape_str(model.input_shape()), "(None, 3)");
  EXPECT_EQ(partial_shape_str(model.output_shape(0)), "(None, 2)");
}

TEST(Model, LayersByIndexAndNameAndUniqueNames) {
  reset_names();
  Model model("m");
  model.add(dense(2));
  model.add(dense(2, "head"));
  EXPECT_EQ(model.layer(0)->name(), "dense");
  EXPECT_EQ(model.layer("head").get(), model.layer(1).get());
  EXPECT_EQ(error_of([&] { model.layer("tail"); }), "No such layer: tail. Existing layers are: ['dense', 'head'].");
  EXPECT_TRUE(contains(error_of([&] { model.layer(2); }), "has 2 layers; index 2 is out of range"));
  Status code{};
  EXPECT_TRUE(contains(error_of([&] { model.add(dense(3, "head")); }, &code),
                       "Name 'head' is already the name of a layer in this model"));
  EXPECT_EQ(code, Status::invalid_argument);
  EXPECT_EQ(model.num_layers(), 2u);
}

TEST(Layer, WeightsByKerasNameAndConfig) {
  reset_names();
  const auto layer = dense(4, "", DType::f64);
  EXPECT_EQ(layer->name(), "dense");
  Status code{};
  EXPECT_TRUE(contains(error_of([&] { layer->weight("kernel"); }, &code), "has no variables yet"));
  EXPECT_EQ(code, Status::invalid_state);
  layer->build({kUnknownDim, 3});
  EXPECT_EQ(layer->weight("kernel")->name(), "dense/kernel:0");
  EXPECT_EQ(layer->weight("kernel")->dtype(), DType::f64);
  EXPECT_EQ(layer->weight("bias")->shape(), (Shape{4}));
  EXPECT_EQ(error_of([&] { layer->weight("gamma"); }), "Dense 'dense' has no variable 'gamma'; its variables are: kernel, bias");
  const LayerConfig c = layer->config();
  EXPECT_EQ(c.name, "dense");
  EXPECT_EQ(c.units, 4);
  EXPECT_EQ(c.dtype, DType::f64);
  // The config makes an equivalent layer.
  const auto copy = make_layer(c);
  EXPECT_EQ(copy->name(), "dense");
  EXPECT_EQ(copy->class_name(), "Dense");
  EXPECT_FALSE(copy->built());
}

TEST(Layer, RejectsBadConfigurations) {
  LayerConfig c = config_of(LayerType::dense);
  c.units = 0;
  EXPECT_TRUE(contains(error_of([&] { make_layer(c); }), "units must be positive, got 0"));
  c.units = 2;
  c.dtype = DType::i32;
  EXPECT_TRUE(contains(error_of([&] { make_layer(c); }), "dtype must be float32 or float64, got int32"));
  LayerConfig d = config_of(LayerType::dropout);
  d.rate = 1.0;
  EXPECT_TRUE(contains(error_of([&] { make_layer(d); }), "rate must be in [0, 1), got 1"));
  LayerConfig e = config_of(LayerType::embedding);
  EXPECT_TRUE(contains(error_of([&] { make_layer(e); }), "input_dim and output_dim must be positive"));
  LayerConfig bad = config_of(static_cast<LayerType>(13));
  EXPECT_TRUE(contains(error_of([&] { make_layer(bad); }), "unknown layer type 13"));
}

// Keras autocast: a float32 input to a float64 Dense is computed in float64, and the
// float64 result is cast back to float32 by the next (float32) layer.
TEST(Layer, FloatingInputsAreCastToTheLayerDtype) {
  Model model("mixed");
  model.add(dense(2, "wide", DType::f64));
  model.add(make_layer(config_of(LayerType::flatten)));
  const Tensor x = Tensor::full(Shape{3, 4}, DType::f32, 1);
  Model f64_only("f64");
  f64_only.add(dense(2, "d64", DType::f64));
  EXPECT_EQ(f64_only.call(x).dtype(), DType::f64);
  EXPECT_EQ(f64_only.weights()[0]->dtype(), DType::f64);
  EXPECT_EQ(model.call(x).dtype(), DType::f32);  // Flatten is float32: it casts back
  // Integer inputs: Dense casts them too (Keras's Dense.call), Flatten leaves them alone.
  const Tensor xi = Tensor::full(Shape{3, 4}, DType::i32, 1);
  EXPECT_EQ(f64_only.call(xi).dtype(), DType::f64);
  Model flat("flat");
  flat.add(make_layer(config_of(LayerType::flatten)));
  EXPECT_EQ(flat.call(Tensor::full(Shape{3, 2, 2}, DType::i32, 1)).dtype(), DType::i32);
}

TEST(Layer, EmbeddingTakesItsDtypeAndDoesNotAutocast) {
  LayerConfig c = config_of(LayerType::embedding);
  c.input_dim = 5;
  c.output_dim = 2;
  c.dtype = DType::f64;
  const auto emb = make_layer(c);
  const Tensor ids = Tensor::full(Shape{3}, DType::f32, 4.7);  // cast to int32: 4
  const Tensor out = (*emb)(ids, false);
  EXPECT_EQ(out.dtype(), DType::f64);
  EXPECT_EQ(out.shape(), (Shape{3, 2}));
  EXPECT_EQ(partial_shape_str(emb->compute_output_shape({kUnknownDim, 7})), "(None, 7, 2)");
}

TEST(Model, WeightsAreInKerasOrderAndFrozenLayersMoveToNonTrainable) {
  Model model("m");
  model.add(dense(3, "a"));
  model.add(dense(2, "b"));
  model.build({kUnknownDim, 4});
  model.layer(0)->set_trainable(false);
  const auto all = model.weights();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0]->name(), "m/a/kernel:0");
  EXPECT_EQ(all[1]->name(), "m/a/bias:0");
  EXPECT_EQ(all[2]->name(), "m/b/kernel:0");
  const auto trainable = model.trainable_variables();
  ASSERT_EQ(trainable.size(), 2u);
  EXPECT_EQ(trainable[0]->name(), "m/b/kernel:0");
  const auto frozen = model.non_trainable_variables();
  ASSERT_EQ(frozen.size(), 2u);
  EXPECT_EQ(frozen[0]->name(), "m/a/kernel:0");
  EXPECT_TRUE(frozen[0]->trainable());  // the variable's own flag is unchanged, as in Keras
}

TEST(Model, GetWeightsAreSnapshotsAndSetWeightsChecksEverythingFirst) {
  Model model("m");
  model.add(dense(2, "a"));
  model.build({kUnknownDim, 2});
  const std::vector<Tensor> saved = model.get_weights();
  ASSERT_EQ(saved.size(), 2u);
  const std::vector<double> kernel_before = values(saved[0]);

  std::vector<Tensor> next{testing::f32(Shape{2, 2}, {1, 2, 3, 4}), testing::f32(Shape{2}, {5, 6})};
  model.set_weights(next);
  EXPECT_EQ(values(model.weights()[0]->value()), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(values(saved[0]), kernel_before);  // the snapshot did not change

  Status code{};
  const std::vector<Tensor> short_list{next[0]};
  EXPECT_TRUE(contains(error_of([&] { model.set_weights(short_list); }, &code),
                       "with a weight list of length 1, but the layer was expecting 2 weights"));
  EXPECT_EQ(code, Status::invalid_argument);
  const std::vector<Tensor> bad_shape{testing::f32(Shape{2, 2}, {9, 9, 9, 9}), testing::f32(Shape{3}, {7, 7, 7})};
  EXPECT_TRUE(contains(error_of([&] { model.set_weights(bad_shape); }),
                       "weight shape (2) is not compatible with provided weight shape (3)"));
  const std::vector<Tensor> bad_dtype{testing::f32(Shape{2, 2}, {9, 9, 9, 9}), testing::f64(Shape{2}, {7, 7})};
  EXPECT_TRUE(contains(error_of([&] { model.set_weights(bad_dtype); }), "is float32, the value float64"));
  // Nothing changed: the first (valid) value was not assigned.
  EXPECT_EQ(values(model.weights()[0]->value()), (std::vector<double>{1, 2, 3, 4}));
  model.set_weights(saved);
  EXPECT_EQ(values(model.weights()[0]->value()), kernel_before);
}

}  // namespace
}  // namespace tg
