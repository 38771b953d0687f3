/* SPDX-License-Identifier: Apache-2.0 */
// A Keras model that applies its layers in the order they were added (the seed notebook's
// MyModel subclass, or a Sequential). Its name prefixes its layers' variable names when it
// builds them ("my_model/dense/kernel:0").
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nn/layer.h"

namespace tg {

class Model {
 public:
  // An empty name takes Keras's automatic "sequential", "sequential_1", …
  explicit Model(std::string name);

  const std::string& name() const { return name_; }
  // Whether every variable exists: the model was built (build() or a first call), or it has
  // layers and every one of them is built (layers made and built elsewhere, then added).
  bool built() const;

  // Appends a layer (shared: a layer may be in several models). Error(invalid_state) once the
  // model was built by build() or a call (a model that is built only because its layers are
  // still takes layers); Error(invalid_argument) if a layer of this model already has its name
  // (Keras's Sequential message).
  void add(std::shared_ptr<Layer> layer);
  size_t num_layers() const { return layers_.size(); }
  // Error(invalid_argument) if index >= num_layers().
  const std::shared_ptr<Layer>& layer(size_t index) const;
  // Keras get_layer(name); Error(invalid_argument) "No such layer: …" listing the names.
  const std::shared_ptr<Layer>& layer(std::string_view name) const;

  // Keras build(input_shape): builds every layer in turn, each from the previous one's output
  // shape. input_shape includes the batch dimension, usually kUnknownDim. A built model
  // accepts the same shape again (unknown dimensions match anything) and nothing else.
  void build(const PartialShape& input_shape);
  // The shape given to build() or taken from the first call; empty before (and for a model built
  // only by its layers).
  const PartialShape& input_shape() const { return input_shape_; }
  // Once built: each layer's output shape, for the shape given to build() (or the first call),
  // or, for a model built by its layers, for the shape that layer was built for.
  PartialShape output_shape(size_t layer_index) const;

  // Runs the layers on x (batch first). An unbuilt model is first built for x's shape with
  // the batch dimension unknown. `training` switches layers such as Dropout.
  Tensor call(const Tensor& x, bool training = false);

  // Keras model.weights: layer by layer, each layer's variables in creation order.
  std::vector<std::shared_ptr<Variable>> weights() const;
  // The same order, split: a variable is trainable here if its layer is trainable and the
  // variable itself is.
  std::vector<std::shared_ptr<Variable>> trainable_variables() const;
  std::vector<std::shared_ptr<Variable>> non_trainable_variables() const;
  int64_t count_params() const;

  // Keras get_weights(): the values of weights(), in that order. The tensors are snapshots:
  // later training does not change them.
  std::vector<Tensor> get_weights() const;
  // Keras set_weights(): assigns values[i] to weights()[i]. Checks the count and every shape
  // and dtype first (Keras's messages); on error no variable changes.
  void set_weights(std::span<const Tensor> values);

 private:
  std::string name_;
  std::vector<std::shared_ptr<Layer>> layers_;
  bool built_ = false;
  PartialShape input_shape_;
  std::vector<PartialShape> output_shapes_;  // one per layer, after build
};

}  // namespace tg
