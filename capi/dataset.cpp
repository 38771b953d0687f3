// SPDX-License-Identifier: Apache-2.0
// C shims for datasets the caller feeds batch by batch: a tg_batch_fn as a tg::DataSource.
#include <exception>
#include <optional>

#include "handles.h"
#include "training_handles.h"

using tg::capi::guard;
using tg::capi::require_out;

namespace {

class CallbackDataSource : public tg::DataSource {
 public:
  // steps 0: unknown.
  CallbackDataSource(int64_t steps, tg_batch_fn next_batch, void* user_data)
      : steps_(steps), next_batch_(next_batch), user_data_(user_data) {}

  std::optional<int64_t> steps() const override {
    return steps_ == 0 ? std::nullopt : std::optional<int64_t>(steps_);
  }

  std::optional<tg::Batch> batch(int64_t epoch, int64_t step) override {
    tg_tensor *x = nullptr, *y = nullptr, *sample_weight = nullptr;
    tg::capi::clear_last_error();  // so that a message after the call is one the function caused
    const tg_status status = next_batch_(epoch, step, &x, &y, &sample_weight, user_data_);
    const std::string detail = tg_last_error_message();
    // Take the tensors before anything can throw, so that each handle is freed exactly once.
    std::exception_ptr error;
    tg::Batch batch{take(x, "x", error), take(y, "y", error), take(sample_weight, "sample_weight", error)};
    tg::capi::check_callers_status(status, fmt::format("the dataset's next_batch (epoch {}, step {})", epoch, step),
                                   detail);
    if (error) std::rethrow_exception(error);
    if (!batch.x.defined()) {
      if (steps_ == 0) return std::nullopt;
      tg::fail(tg::Status::invalid_argument, "the dataset's next_batch wrote no x for epoch {} step {} (of {} steps)",
               epoch, step, steps_);
    }
    return batch;
  }

 private:
  // The value of a tensor handle the caller gave up, which is freed; the first bad handle is
  // kept in `error`.
  static tg::Tensor take(tg_tensor* handle, const char* what, std::exception_ptr& error) {
    if (!handle) return tg::Tensor();
    try {
      const std::string name = std::string("the tensor next_batch wrote to *") + what;
      tg::Tensor value = tg::capi::get<tg_tensor>(handle, name.c_str())->value;
      tg::capi::free_handle(handle, what);
      return value;
    } catch (...) {
      if (!error) error = std::current_exception();
      return tg::Tensor();
    }
  }

  int64_t steps_;
  tg_batch_fn next_batch_;
  void* user_data_;
};

}  // namespace

extern "C" {

tg_status tg_dataset_create(size_t steps, tg_batch_fn next_batch, void* user_data, tg_dataset** out) {
  return guard("tg_dataset_create", [&] {
    auto& result = require_out(out, "out");
    if (!next_batch) tg::fail(tg::Status::invalid_argument, "next_batch is NULL");
    const int64_t n = tg::capi::count_arg(steps, "steps");
    result = tg::capi::make_handle<tg_dataset>(std::make_shared<CallbackDataSource>(n, next_batch, user_data));
  });
}

tg_status tg_dataset_free(tg_dataset* dataset) {
  return guard("tg_dataset_free", [&] { tg::capi::free_handle(dataset, "dataset"); });
}

}  // extern "C"
