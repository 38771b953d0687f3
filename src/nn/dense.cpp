#include "nn/dense.h"

#include "autodiff/ops.h"
#include "nn/naming.h"

namespace tg {

Dense::Dense(const DenseOptions& options, std::string name)
    : Layer(name.empty() ? unique_name("dense") : std::move(name)), options_(options) {
  if (options.units <= 0)
    fail(Status::invalid_argument, "Dense: units must be positive, got {}", options.units);
}

void Dense::build(const Tensor& x, const std::string& prefix) {
  if (x.rank() < 1 || x.shape()[x.rank() - 1] == 0)
    fail(Status::invalid_argument, "Dense '{}': the last dimension of the input {} must be defined and non-zero",
         name(), x.shape().str());
  const int64_t in = x.shape()[x.rank() - 1];
  kernel_ = std::make_shared<Variable>(
      prefix + "kernel:0", initialize(options_.kernel_initializer, Shape{in, options_.units}, DType::f32), true);
  if (options_.use_bias)
    bias_ = std::make_shared<Variable>(
        prefix + "bias:0", initialize(options_.bias_initializer, Shape{options_.units}, DType::f32), true);
}

Tensor Dense::call(const Tensor& x, bool) {
  const int64_t in = kernel_->shape()[0];
  if (x.rank() < 1 || x.shape()[x.rank() - 1] != in)
    fail(Status::invalid_argument, "Dense '{}': expected inputs with last dimension {}, got {}", name(), in,
         x.shape().str());
  // Keras autocasts inputs to the layer's compute dtype (float64 numpy data becomes float32).
  const Tensor xf = ops::cast(x, DType::f32);
  Tensor y;
  if (xf.rank() == 2) {
    y = ops::matmul(xf, kernel_->read());
  } else {  // tensordot over the last axis: (…, in) → (rows, in) · (in, units) → (…, units)
    const int64_t flat[] = {-1, in};
    y = ops::matmul(ops::reshape(xf, flat), kernel_->read());
    Shape out = xf.shape();
    out[out.rank() - 1] = options_.units;
    y = ops::reshape(y, out);
  }
  if (bias_) y = ops::add(y, bias_->read());
  return activate(options_.activation, y);
}

std::vector<std::shared_ptr<Variable>> Dense::variables() const {
  std::vector<std::shared_ptr<Variable>> v;
  if (kernel_) v.push_back(kernel_);
  if (bias_) v.push_back(bias_);
  return v;
}

}  // namespace tg
