/* SPDX-License-Identifier: Apache-2.0 */
// The tg_layer_config argument, which the model shims share with the layer shims.
#pragma once

#include "handles.h"
#include "nn/layer.h"

namespace tg::capi {

// A tg_layer_config from C, checked: every enum (type, dtype, activation, initializer kinds)
// may hold any int. Field ranges are checked by the layer itself.
LayerConfig layer_config_arg(const tg_layer_config* config);

}  // namespace tg::capi
