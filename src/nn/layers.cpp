// SPDX-License-Identifier: Apache-2.0
#include "nn/layers.h"

#include "nn/conv.h"
#include "nn/dense.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/flatten.h"
#include "nn/normalization.h"
#include "nn/pooling.h"
#include "nn/reshape.h"

namespace tg {

std::shared_ptr<Layer> make_layer(const LayerConfig& config) {
  switch (config.type) {
    case LayerType::dense: return std::make_shared<Dense>(config);
    case LayerType::dropout: return std::make_shared<Dropout>(config);
    case LayerType::flatten: return std::make_shared<Flatten>(config);
    case LayerType::embedding: return std::make_shared<Embedding>(config);
    case LayerType::conv1d:
    case LayerType::conv2d: return std::make_shared<Conv>(config);
    case LayerType::max_pooling2d:
    case LayerType::average_pooling2d: return std::make_shared<Pooling2D>(config);
    case LayerType::global_average_pooling2d:
    case LayerType::global_max_pooling2d: return std::make_shared<GlobalPooling2D>(config);
    case LayerType::batch_normalization: return std::make_shared<BatchNormalization>(config);
    case LayerType::layer_normalization: return std::make_shared<LayerNormalization>(config);
    case LayerType::reshape: return std::make_shared<Reshape>(config);
  }
  fail(Status::invalid_argument, "unknown layer type {}", static_cast<int>(config.type));
}

}  // namespace tg
