// Keras Embedding: integer indices (…) → rows of a (input_dim, output_dim) table, (…,
// output_dim). Its gradient accumulates rows whose index repeats (gather's gradient).
#pragma once

#include <cstdint>

#include "nn/initializers.h"
#include "nn/layer.h"

namespace tg {

class Embedding : public Layer {
 public:
  // Keras's default initializer is RandomUniform(−0.05, 0.05).
  Embedding(int64_t input_dim, int64_t output_dim, const Initializer& init, std::string name);
  std::vector<std::shared_ptr<Variable>> variables() const override;

 protected:
  void build(const Tensor& x, const std::string& prefix) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  int64_t input_dim_, output_dim_;
  Initializer init_;
  std::shared_ptr<Variable> embeddings_;  // (input_dim, output_dim)
};

}  // namespace tg
