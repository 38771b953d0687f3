/* SPDX-License-Identifier: Apache-2.0 */
// Handles of the training section of the C ABI, and the argument readers its shims share.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "handles.h"
#include "nn/training/callback.h"
#include "nn/training/data.h"
#include "nn/training/history.h"
#include "nn/training/train_step.h"

struct tg_dataset : tg::capi::Handle<tg::capi::Tag::dataset, std::shared_ptr<tg::DataSource>> { using Handle::Handle; };
struct tg_callback : tg::capi::Handle<tg::capi::Tag::callback, std::shared_ptr<tg::Callback>> { using Handle::Handle; };
struct tg_history : tg::capi::Handle<tg::capi::Tag::history, std::shared_ptr<tg::History>> { using Handle::Handle; };
// Valid only while a callback runs: the shim that makes them retires them when it returns.
struct tg_logs : tg::capi::Handle<tg::capi::Tag::logs, tg::Logs*> { using Handle::Handle; };
struct tg_training : tg::capi::Handle<tg::capi::Tag::training, tg::TrainingState*> { using Handle::Handle; };

namespace tg::capi {

// An options struct as the header promises: the defaults of `init`, overwritten by the first
// struct_size bytes the caller passed (NULL: the defaults alone). struct_size must be the size
// of a version of the struct this library knows: sizeof(T), or `previous_size` (not 0) for a
// struct that gained fields at its end since an earlier release, whose missing fields keep
// their defaults.
template <class T>
T options_arg(const T* options, tg_status (*init)(T*), const char* what, size_t previous_size = 0) {
  T out;
  init(&out);
  if (!options) return out;
  if (options->struct_size != sizeof(T) && (previous_size == 0 || options->struct_size != previous_size))
    fail(Status::invalid_argument,
         "{}->struct_size is {}, but this library's struct has {} bytes: initialise it with its _init function", what,
         options->struct_size, sizeof(T));
  std::memcpy(&out, options, options->struct_size);
  return out;
}

// A count from C (size_t) as the core's int64_t; error above INT64_MAX (a negative number
// cast to size_t, usually).
inline int64_t count_arg(size_t count, const char* what) {
  if (count > static_cast<size_t>(INT64_MAX)) fail(Status::invalid_argument, "{} is {}: too large", what, count);
  return static_cast<int64_t>(count);
}

// Turns the status a function of the caller's returned into an error (nothing for TG_OK): that
// status, with a message naming `context` ("the dataset's next_batch returned … for epoch 1
// step 2") followed by `detail` (tg_last_error_message() after the call) when it is not empty.
// Any int may arrive; one that is not a tg_status is TG_INVALID_STATE.
void check_callers_status(const tg_status& status, const std::string& context, const std::string& detail);

// The callbacks of an options struct.
std::vector<std::shared_ptr<Callback>> callbacks_arg(tg_callback* const* callbacks, size_t count, const char* what);

// Keras's compile() arguments: the loss (required), the optimizer (required if
// `needs_optimizer`), the metrics.
Compiled compiled_arg(const tg_loss* loss, tg_optimizer* optimizer, tg_metric* const* metrics, size_t num_metrics,
                      bool needs_optimizer);

// x (a tg_tensor* or tg_dataset*) with y and sample_weight; for a dataset both must be NULL.
// `what` names the arguments ("x", "options->validation_x").
Data data_arg(const void* x, const tg_tensor* y, const tg_tensor* sample_weight, const char* what);

}  // namespace tg::capi
