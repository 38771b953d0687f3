// SPDX-License-Identifier: Apache-2.0
// Optimizers by their Keras names (keras.optimizers.get), with Keras's defaults.
#include <algorithm>
#include <cctype>
#include <string>

#include "nn/optimizer.h"

namespace tg {

std::unique_ptr<Optimizer> make_optimizer(std::string_view name) {
  std::string key(name);
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  if (key == "sgd") return std::make_unique<SGD>(SGDOptions{});
  if (key == "adam") return std::make_unique<Adam>(AdamOptions{});
  if (key == "adamw") return std::make_unique<AdamW>(AdamOptions{}, AdamW::kDefaultWeightDecay);
  if (key == "rmsprop") return std::make_unique<RMSprop>(RMSpropOptions{});
  if (key == "adagrad") return std::make_unique<Adagrad>(AdagradOptions{});
  fail(Status::invalid_argument,
       "Could not interpret optimizer identifier: '{}' (tapegrad has sgd, adam, adamw, rmsprop, adagrad)", name);
}

}  // namespace tg
