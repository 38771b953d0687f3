// SPDX-License-Identifier: Apache-2.0
#include "nn/training/model_checkpoint.h"

#include <fmt/args.h>
#include <fmt/format.h>

#include <filesystem>
#include <limits>
#include <system_error>

#include "nn/model_checkpoint.h"
#include "nn/warning.h"
#include "tensor/error.h"

namespace tg {

ModelCheckpoint::ModelCheckpoint(ModelCheckpointOptions options) : options_(std::move(options)) {
  if (options_.filepath.empty()) fail(Status::invalid_argument, "ModelCheckpoint: filepath is empty");
  if (options_.monitor.empty()) fail(Status::invalid_argument, "ModelCheckpoint: monitor is empty");
  if (options_.save_freq < 0)
    fail(Status::invalid_argument, "ModelCheckpoint: save_freq must be 0 (every epoch) or a number of batches, got {}",
         options_.save_freq);
  maximize_ = options_.mode == MonitorMode::max ||
              (options_.mode == MonitorMode::auto_ &&
               (options_.monitor.find("acc") != std::string::npos || options_.monitor.starts_with("fmeasure")));
  best_ = !std::isnan(options_.initial_value_threshold) ? options_.initial_value_threshold
          : maximize_                                   ? -std::numeric_limits<double>::infinity()
                                                        : std::numeric_limits<double>::infinity();
}

void ModelCheckpoint::on_epoch_end(TrainingState& state, int64_t epoch, Logs& logs) {
  if (options_.save_freq == 0) save(state, epoch, std::nullopt, logs);
}

void ModelCheckpoint::on_train_batch_end(TrainingState& state, int64_t batch, Logs& logs) {
  if (should_save_on_batch(batch)) save(state, current_epoch_, batch, logs);
}

bool ModelCheckpoint::should_save_on_batch(int64_t batch) {
  if (options_.save_freq == 0) return false;
  // A batch index that does not grow starts a new epoch.
  batches_since_last_save_ += batch <= last_batch_seen_ ? batch + 1 : batch - last_batch_seen_;
  last_batch_seen_ = batch;
  if (batches_since_last_save_ < options_.save_freq) return false;
  batches_since_last_save_ = 0;
  return true;
}

std::string ModelCheckpoint::file_path(int64_t epoch, std::optional<int64_t> batch, const Logs& logs) const {
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  args.push_back(fmt::arg("epoch", epoch + 1));
  if (batch && !logs.find("batch")) args.push_back(fmt::arg("batch", *batch + 1));
  for (size_t i = 0; i < logs.size(); ++i) args.push_back(fmt::arg(logs.name(i).c_str(), logs.value(i)));
  try {
    return fmt::vformat(options_.filepath, args);
  } catch (const fmt::format_error& e) {
    fail(Status::invalid_argument, "Failed to format this callback filepath: \"{}\". Reason: {}", options_.filepath,
         e.what());
  }
}

void ModelCheckpoint::save(TrainingState& state, int64_t epoch, std::optional<int64_t> batch, const Logs& logs) {
  const std::string path = file_path(epoch, batch, logs);
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code error;
  if (!dir.empty() && !std::filesystem::exists(dir, error) && !std::filesystem::create_directories(dir, error))
    fail(Status::io_error, "ModelCheckpoint: cannot create the directory '{}': {}", dir.string(), error.message());
  if (options_.save_best_only) {
    const double* current = logs.find(options_.monitor);
    if (!current) {
      warn(fmt::format("Can save best model only with {} available, skipping.", options_.monitor));
      return;
    }
    if (!(maximize_ ? *current > best_ : *current < best_)) {
      print_message(options_.verbose_stream,
                    fmt::format("\nEpoch {}: {} did not improve from {:.5f}\n", epoch + 1, options_.monitor, best_));
      return;
    }
    print_message(options_.verbose_stream,
                  fmt::format("\nEpoch {}: {} improved from {:.5f} to {:.5f}, saving model to {}\n", epoch + 1,
                              options_.monitor, best_, *current, path));
    best_ = *current;
  } else {
    print_message(options_.verbose_stream, fmt::format("\nEpoch {}: saving model to {}\n", epoch + 1, path));
  }
  save_model_weights(path, state.model, options_.save_weights_only ? nullptr : state.optimizer);
  last_saved_ = path;
}

}  // namespace tg
