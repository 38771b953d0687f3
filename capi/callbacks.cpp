// SPDX-License-Identifier: Apache-2.0
// C shims for callbacks: the caller's own (a function pointer wrapped as a tg::Callback), the
// built-in ones (src/nn/training/), and the logs and run handles a callback receives.
#include <string>

#include "handles.h"
#include "nn/training/early_stopping.h"
#include "nn/training/lr_scheduler.h"
#include "nn/training/model_checkpoint.h"
#include "nn/training/progress_bar.h"
#include "training_handles.h"

using tg::capi::count_arg;
using tg::capi::get;
using tg::capi::guard;
using tg::capi::options_arg;
using tg::capi::require_out;

namespace {

// A handle that lives only during one call into the caller's code.
template <class H, class V>
class ScopedHandle {
 public:
  explicit ScopedHandle(V value) : handle_(tg::capi::make_handle<H>(value)) {}
  ~ScopedHandle() {
    if (tg::capi::HandleBase* h = tg::capi::lookup(handle_)) tg::capi::retire_handle(h);
  }
  ScopedHandle(const ScopedHandle&) = delete;
  ScopedHandle& operator=(const ScopedHandle&) = delete;
  H* get() const { return handle_; }

 private:
  H* handle_;
};

const char* event_name(tg_callback_event e) {
  static const char* const names[] = {
      "TG_ON_TRAIN_BEGIN",       "TG_ON_TRAIN_END",        "TG_ON_EPOCH_BEGIN",       "TG_ON_EPOCH_END",
      "TG_ON_TRAIN_BATCH_BEGIN", "TG_ON_TRAIN_BATCH_END",  "TG_ON_TEST_BEGIN",        "TG_ON_TEST_END",
      "TG_ON_TEST_BATCH_BEGIN",  "TG_ON_TEST_BATCH_END",   "TG_ON_PREDICT_BEGIN",     "TG_ON_PREDICT_END",
      "TG_ON_PREDICT_BATCH_BEGIN", "TG_ON_PREDICT_BATCH_END"};
  return names[e];
}

// A tg_callback_fn as a Keras callback: every hook calls it.
class UserCallback : public tg::Callback {
 public:
  UserCallback(tg_callback_fn fn, void* user_data) : fn_(fn), user_data_(user_data) {}

  void on_train_begin(tg::TrainingState& s, tg::Logs& l) override { call(s, TG_ON_TRAIN_BEGIN, -1, l); }
  void on_train_end(tg::TrainingState& s, tg::Logs& l) override { call(s, TG_ON_TRAIN_END, -1, l); }
  void on_epoch_begin(tg::TrainingState& s, int64_t i, tg::Logs& l) override { call(s, TG_ON_EPOCH_BEGIN, i, l); }
  void on_epoch_end(tg::TrainingState& s, int64_t i, tg::Logs& l) override { call(s, TG_ON_EPOCH_END, i, l); }
  void on_train_batch_begin(tg::TrainingState& s, int64_t i, tg::Logs& l) override {
    call(s, TG_ON_TRAIN_BATCH_BEGIN, i, l);
  }
  void on_train_batch_end(tg::TrainingState& s, int64_t i, tg::Logs& l) override {
    call(s, TG_ON_TRAIN_BATCH_END, i, l);
  }
  void on_test_begin(tg::TrainingState& s, tg::Logs& l) override { call(s, TG_ON_TEST_BEGIN, -1, l); }
  void on_test_end(tg::TrainingState& s, tg::Logs& l) override { call(s, TG_ON_TEST_END, -1, l); }
  void on_test_batch_begin(tg::TrainingState& s, int64_t i, tg::Logs& l) override {
    call(s, TG_ON_TEST_BATCH_BEGIN, i, l);
  }
  void on_test_batch_end(tg::TrainingState& s, int64_t i, tg::Logs& l) override { call(s, TG_ON_TEST_BATCH_END, i, l); }
  void on_predict_begin(tg::TrainingState& s, tg::Logs& l) override { call(s, TG_ON_PREDICT_BEGIN, -1, l); }
  void on_predict_end(tg::TrainingState& s, tg::Logs& l) override { call(s, TG_ON_PREDICT_END, -1, l); }
  void on_predict_batch_begin(tg::TrainingState& s, int64_t i, tg::Logs& l) override {
    call(s, TG_ON_PREDICT_BATCH_BEGIN, i, l);
  }
  void on_predict_batch_end(tg::TrainingState& s, int64_t i, tg::Logs& l) override {
    call(s, TG_ON_PREDICT_BATCH_END, i, l);
  }

 private:
  void call(tg::TrainingState& state, tg_callback_event event, int64_t index, tg::Logs& logs) {
    const ScopedHandle<tg_training, tg::TrainingState*> training(&state);
    const ScopedHandle<tg_logs, tg::Logs*> logs_handle(&logs);
    tg::capi::clear_last_error();  // so that a message after the call is one the callback caused
    const tg_status status = fn_(training.get(), event, index, logs_handle.get(), user_data_);
    const std::string at = index >= 0 ? fmt::format(" {}", index) : "";
    tg::capi::check_callers_status(status, fmt::format("a callback (tg_callback_create) at {}{}", event_name(event), at),
                                   tg_last_error_message());
  }

  tg_callback_fn fn_;
  void* user_data_;
};

tg::MonitorMode mode_arg(const tg_monitor_mode& mode, const char* what) {
  const int m = tg::capi::enum_value(mode);
  if (m < TG_MONITOR_AUTO || m > TG_MONITOR_MAX)
    tg::fail(tg::Status::invalid_argument, "{} is {}, expected TG_MONITOR_AUTO, TG_MONITOR_MIN or TG_MONITOR_MAX",
             what, m);
  return static_cast<tg::MonitorMode>(m);
}

std::string string_arg(const char* s, const char* what) {
  if (!s) tg::fail(tg::Status::invalid_argument, "{} is NULL", what);
  return s;
}

tg_callback* new_callback(std::shared_ptr<tg::Callback> callback) {
  return tg::capi::make_handle<tg_callback>(std::move(callback));
}

template <class C>
const C& callback_of_kind(const tg_callback* callback, const char* kind) {
  const auto* c = dynamic_cast<const C*>(get<tg_callback>(callback, "callback")->value.get());
  if (!c) tg::fail(tg::Status::invalid_handle, "callback is not {} callback", kind);
  return *c;
}

const tg::Logs& logs_arg(const tg_logs* logs) { return *get<tg_logs>(logs, "logs")->value; }

}  // namespace

extern "C" {

tg_status tg_callback_create(tg_callback_fn fn, void* user_data, tg_callback** out) {
  return guard("tg_callback_create", [&] {
    auto& result = require_out(out, "out");
    if (!fn) tg::fail(tg::Status::invalid_argument, "fn is NULL");
    result = new_callback(std::make_shared<UserCallback>(fn, user_data));
  });
}

tg_status tg_callback_free(tg_callback* callback) {
  return guard("tg_callback_free", [&] { tg::capi::free_handle(callback, "callback"); });
}

tg_status tg_callback_progress_bar(FILE* stream, int verbose, tg_callback** out) {
  return guard("tg_callback_progress_bar", [&] {
    auto& result = require_out(out, "out");
    result = new_callback(std::make_shared<tg::ProgressBarLogger>(stream ? stream : stdout, verbose));
  });
}

tg_status tg_early_stopping_options_init(tg_early_stopping_options* options) {
  return guard("tg_early_stopping_options_init", [&] {
    auto& o = require_out(options, "options");
    const tg::EarlyStoppingOptions d;
    o = tg_early_stopping_options{};
    o.struct_size = sizeof o;
    o.monitor = "val_loss";
    o.min_delta = d.min_delta;
    o.patience = static_cast<size_t>(d.patience);
    o.mode = TG_MONITOR_AUTO;
    o.baseline = d.baseline;
    o.restore_best_weights = d.restore_best_weights;
    o.start_from_epoch = d.start_from_epoch;
  });
}

tg_status tg_callback_early_stopping(const tg_early_stopping_options* options, tg_callback** out) {
  return guard("tg_callback_early_stopping", [&] {
    auto& result = require_out(out, "out");
    const tg_early_stopping_options o = options_arg(options, tg_early_stopping_options_init, "options");
    tg::EarlyStoppingOptions e;
    e.monitor = string_arg(o.monitor, "options->monitor");
    e.min_delta = o.min_delta;
    e.patience = count_arg(o.patience, "options->patience");
    e.mode = mode_arg(o.mode, "options->mode");
    e.baseline = o.baseline;
    e.restore_best_weights = o.restore_best_weights != 0;
    e.start_from_epoch = o.start_from_epoch;
    e.verbose_stream = o.verbose_stream;
    result = new_callback(std::make_shared<tg::EarlyStopping>(std::move(e)));
  });
}

tg_status tg_callback_early_stopping_state(const tg_callback* callback, int64_t* stopped_epoch, int64_t* best_epoch,
                                           double* best, size_t* wait) {
  return guard("tg_callback_early_stopping_state", [&] {
    const auto& c = callback_of_kind<tg::EarlyStopping>(callback, "an EarlyStopping");
    if (stopped_epoch) *stopped_epoch = c.stopped_epoch();
    if (best_epoch) *best_epoch = c.best_epoch();
    if (best) *best = c.best();
    if (wait) *wait = static_cast<size_t>(c.wait());
  });
}

tg_status tg_model_checkpoint_options_init(tg_model_checkpoint_options* options) {
  return guard("tg_model_checkpoint_options_init", [&] {
    auto& o = require_out(options, "options");
    const tg::ModelCheckpointOptions d;
    o = tg_model_checkpoint_options{};
    o.struct_size = sizeof o;
    o.monitor = "val_loss";
    o.save_best_only = d.save_best_only;
    o.save_weights_only = d.save_weights_only;
    o.mode = TG_MONITOR_AUTO;
    o.save_freq = static_cast<size_t>(d.save_freq);
    o.initial_value_threshold = d.initial_value_threshold;
  });
}

tg_status tg_callback_model_checkpoint(const tg_model_checkpoint_options* options, tg_callback** out) {
  return guard("tg_callback_model_checkpoint", [&] {
    auto& result = require_out(out, "out");
    const tg_model_checkpoint_options o = options_arg(options, tg_model_checkpoint_options_init, "options");
    tg::ModelCheckpointOptions m;
    m.filepath = string_arg(o.filepath, "options->filepath");
    m.monitor = string_arg(o.monitor, "options->monitor");
    m.save_best_only = o.save_best_only != 0;
    m.save_weights_only = o.save_weights_only != 0;
    m.mode = mode_arg(o.mode, "options->mode");
    m.save_freq = count_arg(o.save_freq, "options->save_freq");
    m.initial_value_threshold = o.initial_value_threshold;
    m.verbose_stream = o.verbose_stream;
    result = new_callback(std::make_shared<tg::ModelCheckpoint>(std::move(m)));
  });
}

tg_status tg_callback_model_checkpoint_state(const tg_callback* callback, double* best, const char** last_saved) {
  return guard("tg_callback_model_checkpoint_state", [&] {
    const auto& c = callback_of_kind<tg::ModelCheckpoint>(callback, "a ModelCheckpoint");
    if (best) *best = c.best();
    if (last_saved) *last_saved = c.last_saved().c_str();
  });
}

tg_status tg_callback_learning_rate_scheduler(tg_schedule_fn schedule, void* user_data, FILE* verbose_stream,
                                              tg_callback** out) {
  return guard("tg_callback_learning_rate_scheduler", [&] {
    auto& result = require_out(out, "out");
    if (!schedule) tg::fail(tg::Status::invalid_argument, "schedule is NULL");
    auto call = [schedule, user_data](int64_t epoch, double lr) { return schedule(epoch, lr, user_data); };
    result = new_callback(std::make_shared<tg::LearningRateScheduler>(call, verbose_stream));
  });
}

tg_status tg_training_stop(tg_training* training) {
  return guard("tg_training_stop", [&] { get<tg_training>(training, "training")->value->stop_training = true; });
}

tg_status tg_training_params(const tg_training* training, int64_t* epochs, size_t* steps, int* verbose) {
  return guard("tg_training_params", [&] {
    const tg::TrainingState& s = *get<tg_training>(training, "training")->value;
    if (epochs) *epochs = s.epochs;
    if (steps) *steps = s.steps ? static_cast<size_t>(*s.steps) : TG_UNKNOWN_STEPS;
    if (verbose) *verbose = s.verbose;
  });
}

tg_status tg_logs_size(const tg_logs* logs, size_t* out) {
  return guard("tg_logs_size", [&] { require_out(out, "out") = logs_arg(logs).size(); });
}

tg_status tg_logs_name(const tg_logs* logs, size_t index, const char** out) {
  return guard("tg_logs_name", [&] {
    const tg::Logs& l = logs_arg(logs);
    auto& result = require_out(out, "out");
    if (index >= l.size())
      tg::fail(tg::Status::invalid_argument, "index {} is out of range: the logs hold {}", index, l.size());
    result = l.name(index).c_str();
  });
}

tg_status tg_logs_value(const tg_logs* logs, size_t index, double* out) {
  return guard("tg_logs_value", [&] {
    const tg::Logs& l = logs_arg(logs);
    auto& result = require_out(out, "out");
    if (index >= l.size())
      tg::fail(tg::Status::invalid_argument, "index {} is out of range: the logs hold {}", index, l.size());
    result = l.value(index);
  });
}

tg_status tg_logs_get(const tg_logs* logs, const char* name, double* out) {
  return guard("tg_logs_get", [&] {
    const tg::Logs& l = logs_arg(logs);
    const std::string key = string_arg(name, "name");
    auto& result = require_out(out, "out");
    const double* v = l.find(key);
    if (!v) tg::fail(tg::Status::invalid_argument, "the logs have no '{}' (they have: {})", key, l.names());
    result = *v;
  });
}

tg_status tg_logs_set(tg_logs* logs, const char* name, double value) {
  return guard("tg_logs_set", [&] {
    tg::Logs& l = *get<tg_logs>(logs, "logs")->value;
    const std::string key = string_arg(name, "name");
    if (key.empty()) tg::fail(tg::Status::invalid_argument, "name is empty");
    l.set(key, value);
  });
}

tg_status tg_logs_throughput(const tg_logs* logs, size_t* samples, double* seconds, double* samples_per_second) {
  return guard("tg_logs_throughput", [&] {
    const tg::Logs& l = logs_arg(logs);
    if (samples) *samples = static_cast<size_t>(l.samples);
    if (seconds) *seconds = l.seconds;
    if (samples_per_second) *samples_per_second = l.seconds > 0 ? static_cast<double>(l.samples) / l.seconds : 0.0;
  });
}

}  // extern "C"
