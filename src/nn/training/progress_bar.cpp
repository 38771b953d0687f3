// SPDX-License-Identifier: Apache-2.0
#include "nn/training/progress_bar.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "tensor/error.h"

namespace tg {
namespace {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int decimal_digits(int64_t n) {  // int(np.log10(n)) + 1 for n >= 1
  int digits = 1;
  for (; n >= 10; n /= 10) ++digits;
  return digits;
}

// Progbar._format_time: " 3s/epoch", " 83ms/step", " 512us/step".
std::string format_time(double time_per_unit, const std::string& unit) {
  if (time_per_unit >= 1 || time_per_unit == 0) return fmt::format(" {:.0f}s/{}", time_per_unit, unit);
  if (time_per_unit >= 1e-3) return fmt::format(" {:.0f}ms/{}", time_per_unit * 1e3, unit);
  return fmt::format(" {:.0f}us/{}", time_per_unit * 1e6, unit);
}

// The ETA as Keras prints it: "1:02:03", "2:03" or "3s" (whole seconds, truncated).
std::string format_eta(double eta) {
  const auto s = static_cast<int64_t>(eta);
  if (eta > 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s % 3600) / 60, s % 60);
  if (eta > 60) return fmt::format("{}:{:02d}", s / 60, s % 60);
  return fmt::format("{}s", s);
}

// " 0.6931" or " 1.0000e-04"; NaN prints as Python does ("nan", never "-nan").
std::string format_value(double v, bool fixed) {
  if (std::isnan(v)) return " nan";
  return fixed ? fmt::format(" {:.4f}", v) : fmt::format(" {:.4e}", v);
}

void write_text(std::FILE* stream, const std::string& text) {
  if (std::fputs(text.c_str(), stream) == EOF || std::fflush(stream) == EOF)
    fail(Status::io_error, "progress bar: cannot write to its stream: {}", std::strerror(errno));
}

}  // namespace

Progbar::Progbar(std::FILE* stream, std::optional<int64_t> target, int verbose, std::set<std::string> stateful,
                 Clock now, std::string unit_name)
    : stream_(stream),
      target_(target),
      verbose_(verbose),
      stateful_(std::move(stateful)),
      now_(now ? std::move(now) : Clock(steady_seconds)),
      unit_name_(std::move(unit_name)),
      start_(now_()),
      time_at_epoch_start_(start_) {}

double Progbar::estimate_step_duration(int64_t current, double now) {
  if (current == 0) return 0.0;
  // why: the first step (tracing, allocation) is not representative, so later estimates
  // measure from its end.
  const double per_unit = time_after_first_step_ && current > 1
                              ? (now - *time_after_first_step_) / static_cast<double>(current - 1)
                              : (now - start_) / static_cast<double>(current);
  if (current == 1) time_after_first_step_ = now;
  return per_unit;
}

std::string Progbar::format_values(bool absolute) const {
  std::string info;
  for (size_t i = 0; i < order_.size(); ++i) {
    const double avg = sums_[i].first / std::max(1.0, sums_[i].second);
    info += " - " + order_[i] + ":" + format_value(avg, (absolute ? std::abs(avg) : avg) > 1e-3);
  }
  return info;
}

void Progbar::update(int64_t current, const Logs& values, bool finalize) {
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string& key = values.name(i);
    const double v = values.value(i);
    auto it = std::find(order_.begin(), order_.end(), key);
    size_t k = static_cast<size_t>(it - order_.begin());
    if (it == order_.end()) {
      order_.push_back(key);
      sums_.emplace_back(0.0, 0.0);
    }
    if (stateful_.count(key)) {
      sums_[k] = {v, 1.0};
    } else {
      const auto base = static_cast<double>(std::max<int64_t>(current - seen_so_far_, 1));
      sums_[k].first += v * base;
      sums_[k].second += base;
    }
  }
  seen_so_far_ = current;

  const double now = now_();
  std::string info = fmt::format(" - {:.0f}s", now - start_);
  if (target_ && current == *target_) time_at_epoch_end_ = now;
  if (verbose_ == 1) {
    if (now - last_update_ < kInterval && !finalize) return;
    const size_t prev_total_width = total_width_;
    std::string bar;
    if (target_) {
      const int64_t target = *target_;
      bar = fmt::format("{:{}d}/{} [", current, decimal_digits(target), target);
      const double progress = static_cast<double>(current) / static_cast<double>(target);
      const auto prog_width = static_cast<int64_t>(kWidth * progress);
      if (prog_width > 0) {
        bar.append(static_cast<size_t>(prog_width - 1), '=');
        bar += current < target ? '>' : '=';
      }
      bar.append(static_cast<size_t>(std::max<int64_t>(kWidth - prog_width, 0)), '.');
      bar += ']';
    } else {
      bar = fmt::format("{:7d}/Unknown", current);
    }
    total_width_ = bar.size();
    const double time_per_unit = estimate_step_duration(current, now);
    if (!target_ || finalize) info += format_time(time_per_unit, unit_name_);
    else info = " - ETA: " + format_eta(time_per_unit * static_cast<double>(*target_ - current));
    info += format_values(/*absolute=*/true);
    total_width_ += info.size();
    if (prev_total_width > total_width_) info.append(prev_total_width - total_width_, ' ');
    if (finalize) info += '\n';
    write_text(stream_, "\r" + bar + info);
  } else if (verbose_ == 2 && finalize) {
    const int64_t target = target_.value_or(current);
    info = fmt::format("{:{}d}/{}", current, decimal_digits(target), target) + info + format_values(/*absolute=*/false);
    if (time_at_epoch_end_) {
      const double time_per_epoch = *time_at_epoch_end_ - time_at_epoch_start_;
      time_at_epoch_start_ = now;
      time_at_epoch_end_.reset();
      info += " -" + format_time(time_per_epoch, "epoch");
      info += " -" + format_time(time_per_epoch / static_cast<double>(target), unit_name_);
      info += '\n';
    }
    write_text(stream_, info);
  }
  last_update_ = now;
}

ProgressBarLogger::ProgressBarLogger(std::FILE* stream, int verbose, Progbar::Clock now)
    : stream_(stream), verbose_(verbose), now_(std::move(now)) {
  if (!stream) fail(Status::invalid_argument, "progress bar: the stream is NULL");
  if (verbose != 1 && verbose != 2)
    fail(Status::invalid_argument, "progress bar: verbose must be 1 or 2, got {}", verbose);
}

void ProgressBarLogger::start(const TrainingState& state) {
  if (state.steps) target_ = state.steps;
  seen_ = 0;
  std::set<std::string> stateful(state.metric_names.begin(), state.metric_names.end());
  bar_.emplace(stream_, target_, verbose_, std::move(stateful), now_);
}

void ProgressBarLogger::on_train_begin(TrainingState&, Logs&) {
  in_fit_ = true;
  target_.reset();  // a new run: forget a target learned in an earlier one
}

void ProgressBarLogger::on_epoch_begin(TrainingState& state, int64_t epoch, Logs&) {
  start(state);
  if (state.epochs > 1) write_text(stream_, fmt::format("Epoch {}/{}\n", epoch + 1, state.epochs));
}

void ProgressBarLogger::batch_update(int64_t batch, const Logs& logs) {
  if (!bar_) return;
  seen_ = batch + 1;
  if (verbose_ == 1) bar_->update(seen_, logs, /*finalize=*/false);
}

void ProgressBarLogger::finalize(const Logs& logs) {
  if (!bar_) return;
  if (!target_) {  // an epoch of unknown length: its step count is the target from now on
    target_ = seen_;
    bar_->set_target(seen_);
  }
  bar_->update(*target_, logs, /*finalize=*/true);
}

void ProgressBarLogger::on_train_batch_end(TrainingState&, int64_t batch, Logs& logs) { batch_update(batch, logs); }

void ProgressBarLogger::on_test_begin(TrainingState& state, Logs&) {
  if (in_fit_) return;  // fit's validation is silent
  target_.reset();
  start(state);
}

void ProgressBarLogger::on_predict_begin(TrainingState& state, Logs&) {
  target_.reset();
  start(state);
}

void ProgressBarLogger::on_test_batch_end(TrainingState&, int64_t batch, Logs& logs) {
  if (!in_fit_) batch_update(batch, logs);
}

void ProgressBarLogger::on_test_end(TrainingState&, Logs& logs) {
  if (!in_fit_) finalize(logs);
}

void ProgressBarLogger::on_predict_batch_end(TrainingState&, int64_t batch, Logs&) { batch_update(batch, Logs()); }

}  // namespace tg
