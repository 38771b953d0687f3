#include "nn/flatten.h"

#include "autodiff/ops.h"
#include "nn/naming.h"

namespace tg {

Flatten::Flatten(std::string name) : Layer(name.empty() ? unique_name("flatten") : std::move(name)) {}

Tensor Flatten::call(const Tensor& x, bool) {
  if (x.rank() < 1)
    fail(Status::invalid_argument, "Flatten '{}': expected a batch of inputs, got a scalar", name());
  int64_t rest = 1;
  for (int i = 1; i < x.rank(); ++i) rest *= x.shape()[i];
  return ops::reshape(x, Shape{x.shape()[0], rest});
}

}  // namespace tg
