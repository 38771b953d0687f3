/* SPDX-License-Identifier: Apache-2.0 */
// A Keras-style layer (keras/engine/base_layer.py): a name, a dtype, a trainable flag and
// the variables it creates when it is built, either by build(input_shape) or by its first
// call. Every layer is described by a LayerConfig, Keras's get_config(): make_layer(config)
// makes an equivalent layer (src/nn/layers.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "autodiff/variable.h"
#include "nn/activations.h"
#include "nn/initializers.h"

namespace tg {

// A shape whose dimensions may be unknown (kUnknownDim, Keras's None): the input shape given
// to build(), in which the batch dimension is usually unknown.
inline constexpr int64_t kUnknownDim = -1;
using PartialShape = std::vector<int64_t>;
// As Python prints a Keras shape tuple: "(None, 32)", "(None,)", "()".
std::string partial_shape_str(const PartialShape& shape);

// Values mirror tg_layer_type in include/tapegrad/tapegrad.h.
enum class LayerType : int { dense = 0, dropout, flatten, embedding };
constexpr int kNumLayerTypes = 4;
// The Keras class name: "Dense", "Dropout", "Flatten", "Embedding".
std::string_view layer_class_name(LayerType type);

// Everything that defines a layer, as Keras's get_config() dict, flattened: the fields of
// other layer types are ignored. The defaults are Keras's.
struct LayerConfig {
  LayerType type = LayerType::dense;
  std::string name;          // empty: Keras's automatic name ("dense", "dense_1", …)
  DType dtype = DType::f32;  // of the variables and the computation (float32 or float64)
  bool trainable = true;
  // Dense
  int64_t units = 0;  // > 0
  Activation activation = Activation::linear;
  bool use_bias = true;
  Initializer kernel_initializer{InitKind::glorot_uniform, 0, 0, 0};
  Initializer bias_initializer{InitKind::zeros, 0, 0, 0};
  // Dropout
  double rate = 0.0;  // in [0, 1)
  uint64_t seed = 0;
  // Embedding
  int64_t input_dim = 0, output_dim = 0;  // > 0
  Initializer embeddings_initializer{InitKind::random_uniform, -0.05, 0.05, 0};
};

class Layer {
 public:
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return config_.name; }
  LayerType type() const { return config_.type; }
  std::string_view class_name() const { return layer_class_name(config_.type); }
  DType dtype() const { return config_.dtype; }
  // The configuration this layer was made with, its resolved name and current trainable flag
  // included: make_layer(config()) makes an equivalent, unbuilt layer.
  const LayerConfig& config() const { return config_; }

  // Keras `layer.trainable = …`: a frozen layer's variables move from its model's trainable
  // list to the non-trainable one (the variables' own trainable flags do not change).
  bool trainable() const { return config_.trainable; }
  void set_trainable(bool trainable) { config_.trainable = trainable; }

  bool built() const { return built_; }
  // Keras build(input_shape): creates the variables for inputs of `input_shape` (unknown
  // dimensions allowed where the layer does not need them). `scope` prefixes the variable
  // names ("my_model/" gives "my_model/dense/kernel:0"). A built layer ignores later builds.
  void build(const PartialShape& input_shape, const std::string& scope = "");
  // The output shape for inputs of `input_shape` (Keras compute_output_shape).
  virtual PartialShape compute_output_shape(const PartialShape& input_shape) const = 0;

  // Keras __call__: builds on the first call from x's shape, casts a floating x of another
  // dtype to the layer's (Keras autocast; layers that take indices do not), then calls.
  // `training` switches layers such as Dropout to their training behaviour.
  Tensor operator()(const Tensor& x, bool training, const std::string& scope = "");

  // The variables in creation order (Keras `layer.weights`), each with its Keras name
  // ("kernel", "bias", "embeddings"). Empty until built.
  struct Weight {
    std::string name;
    std::shared_ptr<Variable> variable;
  };
  const std::vector<Weight>& weights() const { return weights_; }
  // The variable named `name`; Error(invalid_argument) naming the layer's variables if there
  // is none, Error(invalid_state) if the layer is not built.
  const std::shared_ptr<Variable>& weight(std::string_view name) const;
  // The number of scalars in the variables (Keras count_params).
  int64_t count_params() const;

 protected:
  // Resolves an empty name to Keras's automatic one and checks the dtype.
  explicit Layer(LayerConfig config);
  // Creates the variables (through add_weight) for inputs of `input_shape`.
  virtual void build_weights(const PartialShape& input_shape);
  virtual Tensor call(const Tensor& x, bool training) = 0;
  // Keras `_autocast`: whether floating inputs are cast to the layer's dtype before call().
  virtual bool autocast() const { return true; }
  // Keras add_weight: a variable "<scope><layer name>/<name>:0" of the layer's dtype.
  std::shared_ptr<Variable> add_weight(const std::string& name, const Initializer& init, const Shape& shape,
                                       bool trainable = true);

 private:
  LayerConfig config_;
  std::string prefix_;  // "<scope><name>/" while building
  bool built_ = false;
  std::vector<Weight> weights_;
};

}  // namespace tg
