// What EarlyStopping and ModelCheckpoint share: the model's weights as a list (Keras's
// get_weights / set_weights), and their messages.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "nn/training/callback.h"
#include "tensor/tensor.h"

namespace tg {

class Model;

// Whether a monitored value should go down or up; auto guesses from its name (EarlyStopping
// and ModelCheckpoint guess differently, as in Keras).
enum class MonitorMode : int { auto_ = 0, min = 1, max = 2 };

inline bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The values of the model's variables, layer by layer (Keras's model.get_weights()), and the
// reverse; set_weights needs a list of the same length, shapes and dtypes.
std::vector<Tensor> get_weights(Model& model);
void set_weights(Model& model, const std::vector<Tensor>& weights);

// Writes a verbose message (Keras's io_utils.print_msg) to `stream`; null: nothing.
void print_message(std::FILE* stream, const std::string& text);

}  // namespace tg
