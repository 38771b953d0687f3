#include "nn/embedding.h"

#include "autodiff/ops.h"
#include "nn/naming.h"

namespace tg {

Embedding::Embedding(int64_t input_dim, int64_t output_dim, const Initializer& init, std::string name)
    : Layer(name.empty() ? unique_name("embedding") : std::move(name)),
      input_dim_(input_dim), output_dim_(output_dim), init_(init) {
  if (input_dim <= 0 || output_dim <= 0)
    fail(Status::invalid_argument, "Embedding: input_dim and output_dim must be positive, got {} and {}",
         input_dim, output_dim);
}

void Embedding::build(const Tensor&, const std::string& prefix) {
  embeddings_ = std::make_shared<Variable>(
      prefix + "embeddings:0", initialize(init_, Shape{input_dim_, output_dim_}, DType::f32), true);
}

Tensor Embedding::call(const Tensor& x, bool) {
  // Keras casts non-integer inputs to int32.
  const Tensor indices = (x.dtype() == DType::i32 || x.dtype() == DType::i64) ? x : ops::cast(x, DType::i32);
  return ops::gather(embeddings_->read(), indices, 0);
}

std::vector<std::shared_ptr<Variable>> Embedding::variables() const {
  if (!embeddings_) return {};
  return {embeddings_};
}

}  // namespace tg
