// SPDX-License-Identifier: Apache-2.0
#include "nn/layers.h"

#include "nn/dense.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/flatten.h"

namespace tg {

std::shared_ptr<Layer> make_layer(const LayerConfig& config) {
  switch (config.type) {
    case LayerType::dense: return std::make_shared<Dense>(config);
    case LayerType::dropout: return std::make_shared<Dropout>(config);
    case LayerType::flatten: return std::make_shared<Flatten>(config);
    case LayerType::embedding: return std::make_shared<Embedding>(config);
  }
  fail(Status::invalid_argument, "unknown layer type {}", static_cast<int>(config.type));
}

}  // namespace tg
