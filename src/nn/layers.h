/* SPDX-License-Identifier: Apache-2.0 */
// Every layer type, made from its configuration (Keras's Layer.from_config).
#pragma once

#include <memory>

#include "nn/layer.h"

namespace tg {

// A new, unbuilt layer of config.type. Error(invalid_argument) for an unknown type, a
// non-floating dtype, or a field outside its range (the message names the layer and field).
std::shared_ptr<Layer> make_layer(const LayerConfig& config);

}  // namespace tg
