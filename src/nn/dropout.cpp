// SPDX-License-Identifier: Apache-2.0
#include "nn/dropout.h"

#include "autodiff/ops.h"
#include "tensor/random.h"

namespace tg {

Dropout::Dropout(const LayerConfig& config) : Layer(config) {
  if (!(config.rate >= 0 && config.rate < 1))
    fail(Status::invalid_argument, "Dropout: rate must be in [0, 1), got {}", config.rate);
}

Tensor Dropout::call(const Tensor& x, bool training) {
  const double rate = config().rate;
  if (!training || rate == 0) return x;
  if (!is_floating(x.dtype()))
    fail(Status::invalid_argument, "Dropout '{}': expected a floating input, got {} {}", name(),
         dtype_name(x.dtype()), x.shape().str());
  // why: a per-call seed (golden-ratio step) gives a fresh mask each call, same on every run.
  const uint64_t seed = config().seed + 0x9E3779B97F4A7C15ull * ++calls_;
  Tensor mask = random_uniform(x.shape(), x.dtype(), 0.0, 1.0, seed);  // (…), then 0 or 1/(1−rate)
  visit_floating(x.dtype(), "dropout", [&]<class T>() {
    T* m = mask.mutable_data<T>();
    const T r = static_cast<T>(rate), scale = static_cast<T>(1.0 / (1.0 - rate));
    for (int64_t i = 0, n = mask.numel(); i < n; ++i) m[i] = m[i] >= r ? scale : T(0);
  });
  return ops::mul(x, mask);
}

}  // namespace tg
