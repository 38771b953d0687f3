// SPDX-License-Identifier: Apache-2.0
// The layout follows Keras 2.15's print_summary for sequential-like models: lines of 65
// characters, columns ending at 29, 55 and 65 (positions 0.45, 0.85, 1.0), each cell cut to
// fit with two spaces before the next column, and an empty (all-spaces) line after each layer.
#include "nn/summary.h"

#include <array>
#include <vector>

namespace tg {
namespace {

constexpr size_t kLineLength = 65;
constexpr std::array<size_t, 3> kPositions{29, 55, 65};

// Keras's print_row: fields too long for their column continue on the next line, broken
// after "),", "},", "]," or "'," when one occurs in the part that fits. (Cells are cut by
// bytes; Keras cuts by characters, which differs only for non-ASCII names.)
void print_row(std::string& out, std::array<std::string, 3> left) {
  const auto pending = [&] { return !left[0].empty() || !left[1].empty() || !left[2].empty(); };
  do {
    std::string line;
    for (size_t col = 0; col < left.size(); ++col) {
      const bool last = col + 1 == left.size();
      const size_t start = col ? kPositions[col - 1] : 0;
      const size_t space = last ? 0 : 2;
      size_t cutoff = kPositions[col] - start - space - (last ? 0 : 1);
      std::string fit = left[col].substr(0, cutoff);
      size_t earliest = std::string::npos;
      for (const char* mark : {"),", "},", "],", "',"})
        if (const size_t at = fit.find(mark); at != std::string::npos) earliest = std::min(earliest, at + 2);
      if (earliest != std::string::npos) {
        cutoff = earliest;
        fit.resize(cutoff);
      }
      if (col == 0) line += ' ';
      line += fit;
      line.append(space, ' ');
      left[col] = cutoff < left[col].size() ? left[col].substr(cutoff) : std::string();
      if (line.size() < kPositions[col]) line.append(kPositions[col] - line.size(), ' ');
    }
    out += line;
    out += '\n';
  } while (pending());
}

// Keras readable_memory_size: "5.41 KB", "0.00 Byte".
std::string readable_memory_size(double bytes) {
  static constexpr const char* kUnits[] = {"Byte", "KB", "MB", "GB", "TB", "PB"};
  for (const char* unit : kUnits) {
    if (bytes / 1024 < 1) return fmt::format("{:.2f} {}", bytes, unit);
    bytes /= 1024;
  }
  return fmt::format("{:.2f} PB", bytes);
}

struct Totals {
  int64_t count = 0;
  double bytes = 0;
};

Totals totals(const std::vector<std::shared_ptr<Variable>>& variables) {
  Totals t;
  for (const auto& v : variables) {
    t.count += v->shape().numel();
    t.bytes += static_cast<double>(v->shape().numel()) * static_cast<double>(dtype_size(v->dtype()));
  }
  return t;
}

}  // namespace

std::string model_summary(const Model& model) {
  if (!model.built())
    fail(Status::invalid_state, "This model has not yet been built. Build the model first by calling `build()` or "
         "by calling the model on a batch of data.");
  std::string out = fmt::format("Model: \"{}\"\n", model.name());
  out += std::string(kLineLength, '_') + "\n";
  print_row(out, {"Layer (type)", "Output Shape", "Param #"});
  out += std::string(kLineLength, '=') + "\n";
  for (size_t i = 0; i < model.num_layers(); ++i) {
    const Layer& layer = *model.layer(i);
    print_row(out, {fmt::format("{} ({})", layer.name(), layer.class_name()),
                    partial_shape_str(model.output_shape(i)), std::to_string(layer.count_params())});
    out += std::string(kLineLength, ' ') + "\n";
  }
  out += std::string(kLineLength, '=') + "\n";
  const Totals trainable = totals(model.trainable_variables());
  const Totals frozen = totals(model.non_trainable_variables());
  out += fmt::format("Total params: {} ({})\n", trainable.count + frozen.count,
                     readable_memory_size(trainable.bytes + frozen.bytes));
  out += fmt::format("Trainable params: {} ({})\n", trainable.count, readable_memory_size(trainable.bytes));
  out += fmt::format("Non-trainable params: {} ({})\n", frozen.count, readable_memory_size(frozen.bytes));
  out += std::string(kLineLength, '_') + "\n";
  return out;
}

}  // namespace tg
