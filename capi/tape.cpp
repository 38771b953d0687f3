// Gradient tape: thin shims over tg::Tape (src/autodiff/tape.h).
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

tg_status tg_tape_end(tg_tape* tape) {
  return tg::capi::guard("tg_tape_end", [&] { tape_arg(tape).end(); });
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
                           const void* const* sources, size_t num_sources,
                           tg_tensor** gradients) {
  return tg::capi::guard("tg_tape_gradient", [&] {
    Tape& t = tape_arg(tape);
    const std::vector<Differentiable> tv = differentiables_arg(targets, num_targets, "targets");
    const std::vector<Differentiable> sv = differentiables_arg(sources, num_sources, "sources");
    if (!gradients && num_sources > 0)
      tg::fail(Status::invalid_argument, "gradients (output array) is NULL but num_sources is {}",
               num_sources);
    const std::vector<Tensor> grads = t.gradient(tv, sv);
    // All handles are made before any is written, so an error leaves `gradients` untouched.
    std::vector<tg_tensor*> handles(grads.size(), nullptr);
    try {
      for (size_t i = 0; i < grads.size(); ++i)
        if (grads[i]) handles[i] = tg::capi::make_handle<tg_tensor>(grads[i]);
    } catch (...) {
      for (tg_tensor* h : handles) tg::capi::free_handle<tg_tensor>(h, "gradient");
      throw;
    }
    for (size_t i = 0; i < handles.size(); ++i) gradients[i] = handles[i];
  });
}

tg_status tg_tape_free(tg_tape* tape) {
  return tg::capi::guard("tg_tape_free", [&] {
    if (!tape) return;
    Tape& t = tape_arg(tape);
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
