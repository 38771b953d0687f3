// Checkpoints: variables, and optionally an optimizer's state, saved by name to one
// safetensors file (src/nn/safetensors.h) and loaded back into variables of the same names,
// dtypes and shapes — to resume training exactly where it stopped.
//
// The file holds:
//   - one tensor per variable, named by the variable's name ("my_model/dense/kernel:0");
//   - with an optimizer, "optimizer/" + each name of Optimizer::state():
//     "optimizer/iterations" (int64 scalar), "optimizer/m/my_model/dense/kernel:0", …;
//   - "__metadata__": {"format": "tapegrad", "version": "<library version>"}.
// It is an ordinary safetensors file: numpy, PyTorch or the `safetensors` package read it, and
// load_checkpoint reads files they wrote (tensors named after our variables).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "autodiff/variable.h"

namespace tg {

class Optimizer;

// The prefix of the optimizer's tensors in a checkpoint.
inline constexpr std::string_view kCheckpointOptimizerPrefix = "optimizer/";

// Writes `variables` (and `optimizer`'s state when it is not null) to `path`, atomically (a
// crash leaves the previous file or the new one). `version` is recorded in the metadata.
// Error(invalid_argument) if a variable's name is empty, or two different variables share a
// name (the same variable listed twice is written once); Error(io_error) naming the path and
// the system's reason if the file cannot be written.
void save_checkpoint(const std::string& path, std::span<const std::shared_ptr<Variable>> variables,
                     const Optimizer* optimizer, std::string_view version);

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

}  // namespace tg
