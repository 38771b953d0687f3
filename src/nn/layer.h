/* SPDX-License-Identifier: Apache-2.0 */
// A Keras-style layer (keras/engine/base_layer.py): a name, a dtype, a trainable flag and
// the variables it creates when it is built, either by build(input_shape) or by its first
// call. Every layer is described by a LayerConfig, Keras's get_config(): make_layer(config)
// makes an equivalent layer (src/nn/layers.h).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "autodiff/ops/window.h"
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
// As Python prints a tuple or a list of integers: "(3, 3)", "(2,)"; "[1, 3]".
std::string int_tuple_str(std::span<const int64_t> values);
std::string int_list_str(std::span<const int64_t> values);

// Values mirror tg_layer_type in include/tapegrad/tapegrad.h.
enum class LayerType : int {
  dense = 0,
  dropout,
  flatten,
  embedding,
  conv1d,
  conv2d,
  max_pooling2d,
  average_pooling2d,
  global_average_pooling2d,
  global_max_pooling2d,
  batch_normalization,
  layer_normalization,
  reshape,
};
constexpr int kNumLayerTypes = 13;
// The Keras class name: "Dense", "Dropout", "Flatten", "Embedding", "Conv2D", ….
std::string_view layer_class_name(LayerType type);

// Conv1D and Conv2D, with Keras's argument names; Conv1D uses the first element of each pair.
struct ConvOptions {
  int64_t filters = 0;                       // > 0
  std::array<int64_t, 2> kernel_size{0, 0};  // (height, width), each > 0
  std::array<int64_t, 2> strides{1, 1};
  ops::Padding padding = ops::Padding::valid;  // causal: Conv1D only
  std::array<int64_t, 2> dilation_rate{1, 1};
  int64_t groups = 1;
};

// MaxPooling2D, AveragePooling2D (pool_size, strides, padding) and the global poolings
// (keepdims).
struct PoolOptions {
  std::array<int64_t, 2> pool_size{2, 2};
  std::array<int64_t, 2> strides{0, 0};  // 0: the pool size (Keras's strides=None)
  ops::Padding padding = ops::Padding::valid;
  bool keepdims = false;
};

// BatchNormalization (all fields) and LayerNormalization (axis, epsilon, center, scale, the
// beta and gamma initializers).
struct NormOptions {
  std::vector<int64_t> axis{-1};  // the axes that keep their own statistics (BN) / normalized (LN)
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;  // beta
  bool scale = true;   // gamma
  std::optional<bool> fused;  // Keras's fused: nullopt = None (decided by the input's rank)
  Initializer beta_initializer{InitKind::zeros, 0, 0, 0};
  Initializer gamma_initializer{InitKind::ones, 0, 0, 0};
  Initializer moving_mean_initializer{InitKind::zeros, 0, 0, 0};
  Initializer moving_variance_initializer{InitKind::ones, 0, 0, 0};
};

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
  // Conv1D, Conv2D (with activation, use_bias and the kernel and bias initializers above)
  ConvOptions conv;
  // MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D
  PoolOptions pool;
  // BatchNormalization, LayerNormalization
  NormOptions norm;
  // Reshape: the output shape without the batch dimension; one entry may be -1 (inferred)
  std::vector<int64_t> target_shape;
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
  // The shape the layer was built for (Keras's _build_input_shape); empty until built.
  const PartialShape& build_input_shape() const { return build_input_shape_; }
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
  // Keras's InputSpec(ndim=…) / InputSpec(min_ndim=…) check, with Keras's message:
  // 'Input 0 of layer "conv2d" is incompatible with the layer: expected min_ndim=4, found
  // ndim=3. Full shape received: (None, 28, 28)'.
  void check_input_rank(const PartialShape& shape, int ndim, bool at_least) const;
  void check_input_rank(const Tensor& x, int ndim, bool at_least) const;

 private:
  LayerConfig config_;
  std::string prefix_;  // "<scope><name>/" while building
  bool built_ = false;
  PartialShape build_input_shape_;
  std::vector<Weight> weights_;
};

}  // namespace tg
