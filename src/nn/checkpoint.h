/* SPDX-License-Identifier: Apache-2.0 */
// Checkpoints: variables, and optionally an optimizer's state, saved to one safetensors file
// (src/nn/safetensors.h) and loaded back — to resume training exactly where it stopped.
//
// Each variable is stored under a key: its name for the name-keyed checkpoints below
// ("my_model/dense/kernel:0"), its place in a model for a model's weights
// (src/nn/model_checkpoint.h: "layer_with_weights-0/kernel"). The file holds:
//   - one tensor per variable, under its key;
//   - with an optimizer, "optimizer/" + each name of Optimizer::state(), its slots keyed the
//     same way: "optimizer/iterations" (int64 scalar), "optimizer/m/<key>", …;
//   - "__metadata__": {"format": "tapegrad", "version": "<library version>", …}.
// It is an ordinary safetensors file: numpy, PyTorch or the `safetensors` package read it, and
// a load reads files they wrote (tensors named after the keys).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "autodiff/variable.h"
#include "nn/optimizer.h"

namespace tg {

namespace safetensors {
class File;
}

// The prefix of the optimizer's tensors in a checkpoint.
inline constexpr std::string_view kCheckpointOptimizerPrefix = "optimizer/";
// The library's version ("0.1.0"), recorded in every checkpoint's metadata.
std::string_view library_version();

// ---- name-keyed checkpoints (variables that are not in a model) ---------------------------

// Writes `variables` (and `optimizer`'s state when it is not null) to `path`, atomically (a
// crash leaves the previous file or the new one).
// Error(invalid_argument) if a variable's name is empty, or two different variables share a
// name (the same variable listed twice is written once); Error(io_error) naming the path and
// the system's reason if the file cannot be written.
void save_checkpoint(const std::string& path, std::span<const std::shared_ptr<Variable>> variables,
                     const Optimizer* optimizer);

// Loads every variable from the tensor of its name in `path` (and `optimizer`'s state when it
// is not null). Validates the whole file and every match before changing anything: each
// variable must be found with its own dtype and shape, and the optimizer's state must fit; on
// any error nothing is loaded. Tensors no variable asks for are ignored.
// A built optimizer restores the variables it was built for (Optimizer::load_state); one not
// built yet is built for those of `variables` whose slots the file holds (the variables the
// saved optimizer was updating), or, if it holds none, only takes the iteration counter.
// Error(io_error) if the file cannot be opened or read; Error(invalid_argument) if it is not a
// valid safetensors file, or does not fit the variables or the optimizer. Every message names
// the file and the problem.
void load_checkpoint(const std::string& path, std::span<const std::shared_ptr<Variable>> variables,
                     Optimizer* optimizer);

// ---- the shared machinery (used by model checkpoints) --------------------------------------

// One variable of a checkpoint: its key in the file, and how error messages name it
// ("variables[1]", "layer 0 'dense' (Dense)").
struct CheckpointEntry {
  std::string key;
  std::shared_ptr<Variable> variable;
  std::string what;
};

// Writes the entries (keys unique), the optimizer's state with its slots keyed by `key_of`
// (by variable name when empty) and the metadata (format and version are added). `fn` names
// the caller in errors.
void write_checkpoint(const std::string& path, std::span<const CheckpointEntry> entries, const Optimizer* optimizer,
                      const Optimizer::VariableKey& key_of,
                      std::vector<std::pair<std::string, std::string>> metadata, std::string_view fn);

// Loads the entries from `file` and the optimizer's state (slots keyed by `key_of`, by name when
// empty), validating everything before changing anything, as load_checkpoint.
void read_checkpoint(const safetensors::File& file, std::span<const CheckpointEntry> entries, Optimizer* optimizer,
                     const Optimizer::VariableKey& key_of, std::string_view fn);

}  // namespace tg
