// SPDX-License-Identifier: Apache-2.0
// Gradient tape: thin shims over tg::Tape (src/autodiff/tape.h).
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "handles.h"

namespace {

using tg::Differentiable;
using tg::Status;
using tg::Tape;
using tg::Tensor;

constexpr uint32_t kKnownFlags = TG_TAPE_PERSISTENT | TG_TAPE_NO_WATCH_ACCESSED_VARIABLES;

Tape& tape_arg(const tg_tape* t) { return *tg::capi::get<tg_tape>(t, "tape")->value; }

// `count` tensor-or-variable handles at `handles` (NULL only when count is 0), named
// "<what>[i]" in errors.
std::vector<Differentiable> differentiables_arg(const void* const* handles, size_t count,
                                                const char* what) {
  if (!handles && count > 0)
    tg::fail(Status::invalid_argument, "{} is NULL but its count is {}", what, count);
  std::vector<Differentiable> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const std::string name = fmt::format("{}[{}]", what, i);
    out.push_back(tg::capi::differentiable_of(handles[i], name.c_str()));
  }
  return out;
}

// output_gradients: NULL (all ones seeds) or `count` entries, each NULL or a tensor handle.
std::vector<Tensor> output_gradients_arg(tg_tensor* const* handles, size_t count) {
  std::vector<Tensor> out;
  if (!handles) return out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (!handles[i]) {
      out.emplace_back();
      continue;
    }
    const std::string name = fmt::format("output_gradients[{}]", i);
    out.push_back(tg::capi::get<tg_tensor>(handles[i], name.c_str())->value);
  }
  return out;
}

// why memcpy: a C caller may pass any int; loading an out-of-range enum value is UB in C++.
tg::Unconnected unconnected_arg(const tg_unconnected_gradients& value) {
  int code;
  std::memcpy(&code, &value, sizeof code);
  if (code == TG_UNCONNECTED_NONE) return tg::Unconnected::none;
  if (code == TG_UNCONNECTED_ZERO) return tg::Unconnected::zero;
  tg::fail(Status::invalid_argument,
           "Unknown value for unconnected_gradients: {} (expected TG_UNCONNECTED_NONE or "
           "TG_UNCONNECTED_ZERO)",
           code);
}

// Writes one new handle per defined tensor (NULL for undefined ones) to out[0..n). All
// handles are made before any is written, so an error leaves `out` untouched.
void write_tensors(const std::vector<Tensor>& tensors, tg_tensor** out) {
  std::vector<tg_tensor*> handles(tensors.size(), nullptr);
  try {
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i]) handles[i] = tg::capi::make_handle<tg_tensor>(tensors[i]);
  } catch (...) {
    for (tg_tensor* h : handles) tg::capi::free_handle<tg_tensor>(h, "gradient");
    throw;
  }
  for (size_t i = 0; i < handles.size(); ++i) out[i] = handles[i];
}

void require_array(const void* array, size_t count, const char* what, const char* count_name) {
  if (!array && count > 0)
    tg::fail(Status::invalid_argument, "{} (output array) is NULL but {} is {}", what, count_name,
             count);
}

}  // namespace

extern "C" {

tg_status tg_tape_begin(uint32_t flags, tg_tape** out) {
  return tg::capi::guard("tg_tape_begin", [&] {
    if (flags & ~kKnownFlags)
      tg::fail(Status::invalid_argument, "unknown flag bits {:#x} in flags {:#x}",
               flags & ~kKnownFlags, flags);
    tg_tape*& o = tg::capi::require_out(out, "out");
    auto tape = std::make_unique<Tape>((flags & TG_TAPE_PERSISTENT) != 0,
                                       (flags & TG_TAPE_NO_WATCH_ACCESSED_VARIABLES) == 0);
    tape->begin();  // if creating the handle fails, ~Tape takes it off this thread's stack
    tg_tape* h = tg::capi::make_handle<tg_tape>(std::move(tape));
    o = h;
  });
}

tg_status tg_tape_enter(tg_tape* tape) {
  return tg::capi::guard("tg_tape_enter", [&] { tape_arg(tape).begin(); });
}

tg_status tg_tape_end(tg_tape* tape) {
  return tg::capi::guard("tg_tape_end", [&] { tape_arg(tape).end(); });
}

tg_status tg_tape_stop_recording(tg_tape* tape) {
  return tg::capi::guard("tg_tape_stop_recording", [&] { tape_arg(tape).stop_recording(); });
}

tg_status tg_tape_resume_recording(tg_tape* tape) {
  return tg::capi::guard("tg_tape_resume_recording", [&] { tape_arg(tape).resume_recording(); });
}

tg_status tg_tape_reset(tg_tape* tape) {
  return tg::capi::guard("tg_tape_reset", [&] { tape_arg(tape).reset(); });
}

tg_status tg_tape_watch(tg_tape* tape, const void* tensor_or_variable) {
  return tg::capi::guard("tg_tape_watch", [&] {
    Tape& t = tape_arg(tape);
    const Differentiable d = tg::capi::differentiable_of(tensor_or_variable, "tensor_or_variable");
    if (d.variable)
      t.watch(d.variable);
    else
      t.watch(d.value);
  });
}

tg_status tg_tape_gradient(tg_tape* tape, const void* const* targets, size_t num_targets,
                           const void* const* sources, size_t num_sources, tg_tensor** gradients) {
  return tg::capi::guard("tg_tape_gradient", [&] {
    Tape& t = tape_arg(tape);
    const std::vector<Differentiable> tv = differentiables_arg(targets, num_targets, "targets");
    const std::vector<Differentiable> sv = differentiables_arg(sources, num_sources, "sources");
    require_array(gradients, num_sources, "gradients", "num_sources");
    write_tensors(t.gradient(tv, sv), gradients);
  });
}

tg_status tg_tape_gradient_ex(tg_tape* tape, const void* const* targets, size_t num_targets,
                              const void* const* sources, size_t num_sources,
                              tg_tensor* const* output_gradients,
                              tg_unconnected_gradients unconnected, tg_tensor** gradients) {
  return tg::capi::guard("tg_tape_gradient_ex", [&] {
    Tape& t = tape_arg(tape);
    const std::vector<Differentiable> tv = differentiables_arg(targets, num_targets, "targets");
    const std::vector<Differentiable> sv = differentiables_arg(sources, num_sources, "sources");
    const std::vector<Tensor> seeds = output_gradients_arg(output_gradients, num_targets);
    const tg::Unconnected u = unconnected_arg(unconnected);
    require_array(gradients, num_sources, "gradients", "num_sources");
    write_tensors(t.gradient(tv, sv, seeds, u), gradients);
  });
}

tg_status tg_tape_jacobian(tg_tape* tape, const void* target, const void* const* sources,
                           size_t num_sources, tg_unconnected_gradients unconnected,
                           tg_tensor** jacobians) {
  return tg::capi::guard("tg_tape_jacobian", [&] {
    Tape& t = tape_arg(tape);
    const Differentiable y = tg::capi::differentiable_of(target, "target");
    const std::vector<Differentiable> sv = differentiables_arg(sources, num_sources, "sources");
    const tg::Unconnected u = unconnected_arg(unconnected);
    require_array(jacobians, num_sources, "jacobians", "num_sources");
    write_tensors(t.jacobian(y, sv, u), jacobians);
  });
}

tg_status tg_tape_batch_jacobian(tg_tape* tape, const void* target, const void* source,
                                 tg_unconnected_gradients unconnected, tg_tensor** out) {
  return tg::capi::guard("tg_tape_batch_jacobian", [&] {
    Tape& t = tape_arg(tape);
    const Differentiable y = tg::capi::differentiable_of(target, "target");
    const Differentiable x = tg::capi::differentiable_of(source, "source");
    const tg::Unconnected u = unconnected_arg(unconnected);
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = tg::capi::make_handle<tg_tensor>(t.batch_jacobian(y, x, u));
    o = h;
  });
}

tg_status tg_tape_watched_variables(tg_tape* tape, tg_variable** variables, size_t capacity,
                                    size_t* count) {
  return tg::capi::guard("tg_tape_watched_variables", [&] {
    const Tape& t = tape_arg(tape);
    tg::capi::write_handles(t.watched_variables(), variables, capacity, count, "variables");
  });
}

tg_status tg_tape_is_recording(const tg_tape* tape, int* out) {
  return tg::capi::guard("tg_tape_is_recording", [&] {
    const Tape& t = tape_arg(tape);
    int& result = tg::capi::require_out(out, "out");
    if (t.owner() != std::this_thread::get_id())
      tg::fail(Status::invalid_state, "the tape belongs to the thread that began it; tapes cannot be used across "
               "threads");
    result = t.recording() ? 1 : 0;
  });
}

tg_status tg_tape_is_persistent(const tg_tape* tape, int* out) {
  return tg::capi::guard("tg_tape_is_persistent", [&] {
    const Tape& t = tape_arg(tape);
    tg::capi::require_out(out, "out") = t.persistent() ? 1 : 0;
  });
}

tg_status tg_tape_free(tg_tape* tape) {
  return tg::capi::guard("tg_tape_free", [&] {
    if (!tape) return;
    Tape& t = tape_arg(tape);
    if (t.busy())
      tg::fail(Status::invalid_state,
               "the tape is computing gradients (a custom op's backward callback runs inside that "
               "computation); free it after that call returns");
    if (t.recording()) {
      if (t.owner() != std::this_thread::get_id())
        tg::fail(Status::invalid_state,
                 "the tape is recording on another thread; end it (tg_tape_end) on that thread "
                 "before freeing it");
      t.end();
    }
    tg::capi::free_handle<tg_tape>(tape, "tape");
  });
}

}  // extern "C"
