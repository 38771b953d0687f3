/* SPDX-License-Identifier: Apache-2.0 */
// Keras model.summary() (Keras 2.15, keras/utils/layer_utils.py print_summary, for a model
// whose layers run in sequence): the layer table and the parameter totals, as text.
#pragma once

#include <string>

#include "nn/model.h"

namespace tg {

// The summary of a built model, lines ending in '\n'. Error(invalid_state) with Keras's
// message if the model is not built.
std::string model_summary(const Model& model);

}  // namespace tg
