/* SPDX-License-Identifier: Apache-2.0 */
// Keras callbacks (keras/callbacks.py, Keras 2.15): the hooks that fit, evaluate and predict
// call, the logs they pass, and what a callback can reach of the run (Keras's self.model,
// self.params and model.stop_training).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tg {

class Model;
class Optimizer;

// Keras's logs dict: name/value pairs in insertion order, plus the throughput of the loop that
// produced them (not a Keras key: callbacks read it separately, History does not record it).
class Logs {
 public:
  // Replaces the value of `name`, or appends it.
  void set(std::string_view name, double value);
  // The value of `name`, or nullptr.
  const double* find(std::string_view name) const;
  size_t size() const { return entries_.size(); }
  const std::string& name(size_t i) const { return entries_[i].first; }
  double value(size_t i) const { return entries_[i].second; }
  // "loss, accuracy" — for messages.
  std::string names() const;

  // Samples processed and seconds elapsed so far in the current epoch, evaluation or
  // prediction (0 at its start).
  int64_t samples = 0;
  double seconds = 0.0;

 private:
  std::vector<std::pair<std::string, double>> entries_;
};

// The run in progress, as callbacks see it.
struct TrainingState {
  Model& model;
  Optimizer* optimizer = nullptr;  // null in evaluate and predict
  int64_t epochs = 1;              // Keras params["epochs"]: the epoch index fit stops at
  std::optional<int64_t> steps;    // params["steps"]: batches per epoch; nullopt if unknown
  int verbose = 0;                 // params["verbose"]
  // model.metrics names ("loss" and the compiled metrics): the values logs report as running
  // results, which a progress bar shows as they are (Keras's stateful_metrics).
  std::vector<std::string> metric_names;
  bool stop_training = false;      // model.stop_training: a callback sets it to end fit
};

// A Keras callback. Every hook does nothing unless overridden; `logs` is the dict Keras passes
// (empty where Keras passes None), shared by all callbacks of one call, which may add to it.
// A hook reports an error by throwing tg::Error; the run stops and returns it.
class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(TrainingState&, Logs&) {}
  virtual void on_train_end(TrainingState&, Logs&) {}
  virtual void on_epoch_begin(TrainingState&, int64_t /*epoch*/, Logs&) {}
  virtual void on_epoch_end(TrainingState&, int64_t /*epoch*/, Logs&) {}
  virtual void on_train_batch_begin(TrainingState&, int64_t /*batch*/, Logs&) {}
  virtual void on_train_batch_end(TrainingState&, int64_t /*batch*/, Logs&) {}
  virtual void on_test_begin(TrainingState&, Logs&) {}
  virtual void on_test_end(TrainingState&, Logs&) {}
  virtual void on_test_batch_begin(TrainingState&, int64_t /*batch*/, Logs&) {}
  virtual void on_test_batch_end(TrainingState&, int64_t /*batch*/, Logs&) {}
  virtual void on_predict_begin(TrainingState&, Logs&) {}
  virtual void on_predict_end(TrainingState&, Logs&) {}
  virtual void on_predict_batch_begin(TrainingState&, int64_t /*batch*/, Logs&) {}
  virtual void on_predict_batch_end(TrainingState&, int64_t /*batch*/, Logs&) {}
};

// Keras's CallbackList: calls each callback's hook in list order.
class CallbackList {
 public:
  explicit CallbackList(std::vector<std::shared_ptr<Callback>> callbacks) : callbacks_(std::move(callbacks)) {}
  void append(std::shared_ptr<Callback> callback) { callbacks_.push_back(std::move(callback)); }
  const std::vector<std::shared_ptr<Callback>>& callbacks() const { return callbacks_; }

  // Calls `hook` on every callback: for_each(&Callback::on_epoch_end, state, epoch, logs).
  template <class... Hook, class... Args>
  void for_each(void (Callback::*hook)(Hook...), Args&&... args) const {
    for (const auto& c : callbacks_) ((*c).*hook)(args...);
  }

 private:
  std::vector<std::shared_ptr<Callback>> callbacks_;
};

}  // namespace tg
