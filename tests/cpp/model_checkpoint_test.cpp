// SPDX-License-Identifier: Apache-2.0
// Model checkpoints keyed by structure (src/nn/model_checkpoint.h): a second model of the same
// architecture with other automatic names loads the file, layers without weights do not count,
// a mismatch names itself and changes nothing, and the optimizer's state resumes bit for bit.
#include <gtest/gtest.h>

#include <functional>

#include "autodiff/tape.h"
#include "nn/layers.h"
#include "nn/losses.h"
#include "nn/model.h"
#include "nn/model_checkpoint.h"
#include "nn/naming.h"
#include "nn/optimizer.h"
#include "nn/safetensors.h"
#include "temp_dir.h"
#include "test_util.h"
#include "train_util.h"
#include "tensor/random.h"

namespace tg {
namespace {

using testing::contains;
using testing::error_of;
using testing::TempDir;
using testing::train_step;

std::shared_ptr<Layer> dense(int64_t units, uint64_t seed, Activation activation = Activation::linear) {
  LayerConfig c;
  c.type = LayerType::dense;
  c.units = units;
  c.activation = activation;
  c.kernel_initializer.seed = seed;
  return make_layer(c);
}

std::shared_ptr<Layer> weightless(LayerType type) {
  LayerConfig c;
  c.type = type;
  return make_layer(c);
}

// Dense(16, relu) → Dense(4) with automatic names, built for (None, 8).
std::unique_ptr<Model> mlp(uint64_t seed, bool with_dropout = false) {
  auto model = std::make_unique<Model>("");
  model->add(dense(16, seed, Activation::relu));
  if (with_dropout) model->add(weightless(LayerType::dropout));
  model->add(dense(4, seed + 1));
  model->build({kUnknownDim, 8});
  return model;
}

std::string bytes_of(const Tensor& t) { return {static_cast<const char*>(t.raw()), t.nbytes()}; }

// Everything a load could change: each weight's bytes and the optimizer's state.
std::vector<std::string> snapshot(const Model& model, const Optimizer* opt) {
  std::vector<std::string> s;
  for (const auto& v : model.weights()) s.push_back(v->name() + "=" + bytes_of(v->value()));
  if (opt)
    for (const auto& st : opt->state()) s.push_back(st.name + "=" + bytes_of(st.value));
  return s;
}

TEST(ModelCheckpoint, ASecondModelWithOtherNamesLoadsTheFile) {
  TempDir dir;
  const std::string path = dir.file("w.safetensors");
  auto a = mlp(1);
  auto b = mlp(50, /*with_dropout=*/true);  // other names (dense_2, dense_3), a Dropout between
  ASSERT_NE(a->weights()[0]->name(), b->weights()[0]->name());
  ASSERT_NE(bytes_of(a->weights()[0]->value()), bytes_of(b->weights()[0]->value()));
  save_model_weights(path, *a);
  load_model_weights(path, *b);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(bytes_of(a->weights()[i]->value()), bytes_of(b->weights()[i]->value()));

  const safetensors::File f = safetensors::File::open(path);
  const safetensors::Header& h = f.header();
  std::vector<std::string> names;
  for (uint32_t i : h.by_name) names.push_back(h.tensors[i].name);
  EXPECT_EQ(names, (std::vector<std::string>{"layer_with_weights-0/bias", "layer_with_weights-0/kernel",
                                             "layer_with_weights-1/bias", "layer_with_weights-1/kernel"}));
  EXPECT_EQ(*h.metadata_value("model"), a->name());
  EXPECT_EQ(*h.metadata_value("layer_with_weights-1/class_name"), "Dense");
  EXPECT_EQ(*h.metadata_value("layer_with_weights-1/name"), a->layer(1)->name());
  EXPECT_EQ(*h.metadata_value("format"), "tapegrad");
}

TEST(ModelCheckpoint, EntriesAreKeyedByLayerWithWeightsAndKerasName) {
  reset_names();
  auto model = mlp(1, true);
  const auto entries = structural_entries(*model);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[2].key, "layer_with_weights-1/kernel");
  EXPECT_EQ(entries[2].variable.get(), model->weights()[2].get());
  EXPECT_EQ(entries[2].what, "layer 2 'dense_1' (Dense), variable 'kernel'");
}

TEST(ModelCheckpoint, AMismatchNamesItselfAndChangesNothing) {
  TempDir dir;
  const std::string path = dir.file("w.safetensors");
  auto saved = mlp(1);
  save_model_weights(path, *saved);

  struct Case {
    const char* what;
    std::function<std::unique_ptr<Model>()> make;
    std::vector<std::string> message;
  };
  const std::vector<Case> cases{
      {"wider first layer",
       [] {
         auto m = std::make_unique<Model>("");
         m->add(dense(17, 3, Activation::relu));
         m->add(dense(4, 4));
         m->build({kUnknownDim, 8});
         return m;
       },
       {"load_weights: variable", "(layer 0 '", "is float32 (8,17)", "holds F32 [8, 16] under 'layer_with_weights-0/kernel'"}},
      {"no bias in the second layer",
       [] {
         auto m = std::make_unique<Model>("");
         m->add(dense(16, 3, Activation::relu));
         LayerConfig c;
         c.units = 4;
         c.use_bias = false;
         m->add(make_layer(c));
         m->build({kUnknownDim, 8});
         return m;
       },
       {"does not fit model", "has the variables 'kernel', but the file's layer_with_weights-1 ('", "holds 'bias', 'kernel'"}},
      {"an embedding in place of a dense",
       [] {
         auto m = std::make_unique<Model>("");
         LayerConfig e;
         e.type = LayerType::embedding;
         e.input_dim = 8;
         e.output_dim = 16;
         m->add(make_layer(e));
         m->add(dense(4, 4));
         m->build({kUnknownDim, 8});
         return m;
       },
       {"layer '", "is a Embedding, but the file's layer_with_weights-0 ('", "') is a Dense"}},
      {"three layers",
       [] {
         auto m = std::make_unique<Model>("");
         m->add(dense(16, 3, Activation::relu));
         m->add(dense(4, 4));
         m->add(dense(4, 5));
         m->build({kUnknownDim, 8});
         return m;
       },
       {"Layer count mismatch when loading weights from file. Model expected 3 layers with weights, found 2 saved "
        "layers."}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto model = c.make();
    Adam adam(AdamOptions{});
    const auto before = snapshot(*model, &adam);
    Status code{};
    const std::string message = error_of([&] { load_model_weights(path, *model); }, &code);
    EXPECT_EQ(code, Status::invalid_argument);
    for (const std::string& part : c.message) EXPECT_TRUE(contains(message, part)) << message;
    EXPECT_EQ(snapshot(*model, &adam), before);
  }
}

TEST(ModelCheckpoint, NameKeyedFilesAndUnbuiltModelsAreRefused) {
  TempDir dir;
  const std::string path = dir.file("w.safetensors");
  auto built = mlp(1);
  save_checkpoint(path, built->weights(), nullptr);  // keyed by variable name
  Status code{};
  EXPECT_TRUE(contains(error_of([&] { load_model_weights(path, *built); }, &code),
                       "the file holds no model weights (no 'layer_with_weights-0/…' tensors)"));
  EXPECT_EQ(code, Status::invalid_argument);
  Model unbuilt("u");
  unbuilt.add(dense(2, 1));
  EXPECT_TRUE(contains(error_of([&] { save_model_weights(dir.file("x"), unbuilt); }, &code),
                       "save_weights: model 'u' has not created its variables yet"));
  EXPECT_EQ(code, Status::invalid_state);
  EXPECT_TRUE(contains(error_of([&] { load_model_weights(path, unbuilt); }, &code), "load_weights: model 'u'"));
  EXPECT_EQ(code, Status::invalid_state);
}

// Training k steps, saving with the optimizer, and training m more gives bit-identical weights
// and optimizer state to a second model (other names, other initial weights) and a fresh
// optimizer that load the file and train the same m steps.
TEST(ModelCheckpoint, OptimizerStateIsKeyedByStructureAndResumesBitForBit) {
  TempDir dir;
  const std::string path = dir.file("resume.safetensors");
  const Tensor x = random_uniform(Shape{32, 8}, DType::f32, -1, 1, 11);
  const Tensor y = random_uniform(Shape{32, 4}, DType::f32, 0, 1, 12);
  AdamOptions options;
  options.learning_rate = 0.01;
  options.amsgrad = true;  // three slots: m, v, vhat

  auto model = mlp(1);
  Adam adam(options);
  for (int step = 0; step < 3; ++step) train_step(*model, adam, x, y);
  save_model_weights(path, *model, &adam);
  {
    const safetensors::File f = safetensors::File::open(path);
    EXPECT_NE(f.header().find("optimizer/vhat/layer_with_weights-1/bias"), nullptr);
    EXPECT_EQ(f.read(*f.header().find("optimizer/iterations")).item(), 3.0);
  }
  for (int step = 0; step < 4; ++step) train_step(*model, adam, x, y);

  auto resumed = mlp(99, /*with_dropout=*/true);
  Adam resumed_adam(options);
  load_model_weights(path, *resumed, &resumed_adam);
  EXPECT_EQ(resumed_adam.iterations(), 3);
  EXPECT_TRUE(resumed_adam.built());
  for (int step = 0; step < 4; ++step) train_step(*resumed, resumed_adam, x, y);

  const auto key = [&](const Model& m) {
    const auto entries = structural_entries(m);
    return Optimizer::VariableKey([entries](uint64_t id, const std::string&) {
      for (const auto& e : entries)
        if (e.variable->id() == id) return e.key;
      return std::string("?");
    });
  };
  const auto state_a = adam.state(key(*model)), state_b = resumed_adam.state(key(*resumed));
  ASSERT_EQ(state_a.size(), state_b.size());
  for (size_t i = 0; i < state_a.size(); ++i) {
    EXPECT_EQ(state_a[i].name, state_b[i].name);
    EXPECT_EQ(bytes_of(state_a[i].value), bytes_of(state_b[i].value)) << state_a[i].name;
  }
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(bytes_of(model->weights()[i]->value()), bytes_of(resumed->weights()[i]->value())) << i;
}

TEST(ModelCheckpoint, AnOptimizerMismatchChangesNothing) {
  TempDir dir;
  const std::string path = dir.file("w.safetensors");
  const Tensor x = random_uniform(Shape{4, 8}, DType::f32, -1, 1, 1);
  const Tensor y = random_uniform(Shape{4, 4}, DType::f32, 0, 1, 2);
  auto model = mlp(1);
  Adam adam(AdamOptions{});
  train_step(*model, adam, x, y);
  save_model_weights(path, *model, &adam);

  // An AMSGrad optimizer needs "vhat" slots the file lacks.
  auto other = mlp(7);
  AdamOptions ams;
  ams.amsgrad = true;
  Adam amsgrad(ams);
  train_step(*other, amsgrad, x, y);
  const auto before = snapshot(*other, &amsgrad);
  Status code{};
  const std::string message = error_of([&] { load_model_weights(path, *other, &amsgrad); }, &code);
  EXPECT_EQ(code, Status::invalid_argument);
  EXPECT_TRUE(contains(message, "load_weights: optimizer state in")) << message;
  EXPECT_TRUE(contains(message, "no tensor named 'vhat/layer_with_weights-0/kernel'")) << message;
  EXPECT_EQ(snapshot(*other, &amsgrad), before);

  // Saving an optimizer that updates a variable outside the model fails and writes nothing.
  auto stray = std::make_shared<Variable>("stray", Tensor::zeros(Shape{2}, DType::f32), true);
  const std::vector<std::shared_ptr<Variable>> vars{model->weights()[0], stray};
  Adam wide(AdamOptions{});
  wide.build(vars);
  const std::string out = dir.file("stray.safetensors");
  EXPECT_TRUE(contains(error_of([&] { save_model_weights(out, *model, &wide); }, &code),
                       "save_weights: optimizer state: the optimizer updates variable 'stray', which is not a "
                       "variable of model"));
  EXPECT_EQ(code, Status::invalid_argument);
  EXPECT_EQ(dir.count(), 1u);
}

}  // namespace
}  // namespace tg
