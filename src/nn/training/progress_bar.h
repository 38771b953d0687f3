/* SPDX-License-Identifier: Apache-2.0 */
// Keras's progress bar: keras.utils.Progbar (the rendering) and the ProgbarLogger callback
// that fit / evaluate / predict drive (keras/utils/generic_utils.py, keras/callbacks.py,
// Keras 2.15), writing to a stream the caller gives.
//
// verbose = 1, one line per epoch, rewritten in place ("\r") at most every 0.05 s:
//   Epoch 2/5                                          (only when epochs > 1)
//   12/47 [=======>......................] - ETA: 3s - loss: 0.6931 - accuracy: 0.5000
// and when the epoch ends (validation included):
//   47/47 [==============================] - 4s 83ms/step - loss: 0.5811 - accuracy: 0.7885 - val_loss: …
// verbose = 2, only the end of each epoch:
//   47/47 - 4s - loss: 0.5811 - accuracy: 0.7885 - val_loss: … - 4s/epoch - 83ms/step
// Values print as %.4f, or %.4e when |v| <= 1e-3 (verbose 2: when v <= 1e-3, as Keras).
// The running loss and metrics are shown as they are; other keys (val_*, values a callback
// adds) are averaged over the steps they were reported at, as Keras's Progbar does.
// Unlike Keras, no backspaces precede the "\r" (they change nothing on a terminal).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "nn/training/callback.h"

namespace tg {

// keras.utils.Progbar. `now` returns seconds on a monotonic clock (injected for tests).
class Progbar {
 public:
  using Clock = std::function<double()>;
  static constexpr int kWidth = 30;
  static constexpr double kInterval = 0.05;  // seconds between redraws with verbose 1

  Progbar(std::FILE* stream, std::optional<int64_t> target, int verbose, std::set<std::string> stateful,
          Clock now, std::string unit_name = "step");

  // Progbar.update(current, values, finalize): `current` steps done so far.
  void update(int64_t current, const Logs& values, bool finalize);
  std::optional<int64_t> target() const { return target_; }
  void set_target(int64_t target) { target_ = target; }

 private:
  double estimate_step_duration(int64_t current, double now);
  std::string format_values(bool absolute) const;

  std::FILE* stream_;
  std::optional<int64_t> target_;
  int verbose_;
  std::set<std::string> stateful_;
  Clock now_;
  std::string unit_name_;
  size_t total_width_ = 0;
  int64_t seen_so_far_ = 0;
  std::vector<std::string> order_;                        // keys in first-seen order
  std::vector<std::pair<double, double>> sums_;           // per key: Σ value·steps, Σ steps
  double start_;
  double last_update_ = -1e300;                           // why: the first update always draws
  double time_at_epoch_start_;
  std::optional<double> time_at_epoch_end_;
  std::optional<double> time_after_first_step_;
};

// Keras's ProgbarLogger(count_mode="steps"): a Progbar per epoch (or per evaluate / predict);
// silent during fit's validation.
class ProgressBarLogger : public Callback {
 public:
  // verbose 1 or 2; stream not null. `now` as for Progbar (null: the steady clock).
  ProgressBarLogger(std::FILE* stream, int verbose, Progbar::Clock now = nullptr);

  void on_train_begin(TrainingState&, Logs&) override;
  void on_train_end(TrainingState&, Logs&) override { in_fit_ = false; }
  void on_epoch_begin(TrainingState& state, int64_t epoch, Logs&) override;
  void on_epoch_end(TrainingState&, int64_t, Logs& logs) override { finalize(logs); }
  void on_train_batch_end(TrainingState&, int64_t batch, Logs& logs) override;
  void on_test_begin(TrainingState& state, Logs&) override;
  void on_test_batch_end(TrainingState&, int64_t batch, Logs& logs) override;
  void on_test_end(TrainingState&, Logs& logs) override;
  void on_predict_begin(TrainingState& state, Logs&) override;
  void on_predict_batch_end(TrainingState&, int64_t batch, Logs& logs) override;
  void on_predict_end(TrainingState&, Logs& logs) override { finalize(logs); }

 private:
  void start(const TrainingState& state);
  void batch_update(int64_t batch, const Logs& logs);
  void finalize(const Logs& logs);

  std::FILE* stream_;
  int verbose_;
  Progbar::Clock now_;
  bool in_fit_ = false;
  std::optional<int64_t> target_;  // known steps, or learned at the end of the first epoch
  int64_t seen_ = 0;
  std::optional<Progbar> bar_;
};

}  // namespace tg
