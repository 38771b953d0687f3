// SPDX-License-Identifier: Apache-2.0
// Custom ops through the C ABI: the caller's forward and backward functions as a
// tg::CustomOp (src/autodiff/custom_op.h). This file lends handles to the callbacks, takes
// the handles they write, and turns their statuses into errors; the recording is the core's.
#include <memory>
#include <string>
#include <vector>

#include "autodiff/custom_op.h"
#include "handles.h"
#include "training_handles.h"

namespace {

using tg::CustomCall;
using tg::CustomOp;
using tg::Status;
using tg::Tensor;
using tg::capi::Tag;

// What a callback's handle refers to: the call, and whether the forward is the one running.
struct CallView {
  CustomCall* call = nullptr;
  bool forward = false;
};

}  // namespace

struct tg_custom_op : tg::capi::Handle<tg::capi::Tag::custom_op, std::shared_ptr<tg::CustomOp>> { using Handle::Handle; };
// Valid only while a callback runs: the shim that makes it retires it when the callback returns.
struct tg_custom_call : tg::capi::Handle<tg::capi::Tag::custom_call, CallView> { using Handle::Handle; };

namespace {

static_assert(TG_CUSTOM_ANY == tg::CustomOpSpec::kAny, "TG_CUSTOM_ANY and CustomOpSpec::kAny disagree");

constexpr uint32_t kKnownFlags = TG_CUSTOM_OP_VARIABLES;

// Frees the handle h (lent to a callback, or written by one) unless it is gone already or of
// another type: a callback may have freed what it was lent, which the header forbids.
template <class H>
void release(H* h) noexcept {
  Tag tag;
  if (!h || !tg::capi::lookup_tag(h, &tag) || tag != H::kTag) return;
  try {
    tg::capi::free_handle(h, "a handle lent to a custom op's callback");
  } catch (...) {  // why: out of memory while retiring; the handle is unregistered already
  }
}

// Handles lent to one callback call: made before it, freed after it.
class LentTensors {
 public:
  explicit LentTensors(std::span<const Tensor> tensors) {
    handles_.reserve(tensors.size());
    try {
      for (const Tensor& t : tensors) handles_.push_back(tg::capi::new_tensor_handle(t));
    } catch (...) {
      release_all();
      throw;
    }
  }
  ~LentTensors() { release_all(); }
  LentTensors(const LentTensors&) = delete;
  LentTensors& operator=(const LentTensors&) = delete;
  tg_tensor* const* data() const { return handles_.data(); }
  size_t size() const { return handles_.size(); }

 private:
  void release_all() noexcept {
    for (tg_tensor* h : handles_) release(h);
  }
  std::vector<tg_tensor*> handles_;
};

class LentCall {
 public:
  explicit LentCall(CallView view) : handle_(tg::capi::make_handle<tg_custom_call>(view)) {}
  ~LentCall() { release(handle_); }
  LentCall(const LentCall&) = delete;
  LentCall& operator=(const LentCall&) = delete;
  tg_custom_call* get() const { return handle_; }

 private:
  tg_custom_call* handle_;
};

// The tensors a callback wrote to its slots, whose ownership it passed to us.
struct Written {
  std::vector<Tensor> values;
  std::string bad;  // why a slot held no live tensor handle (reported after the callback's status)
};

// Takes the slots' tensors and frees every handle in them, live tensors or not.
Written take_written(const std::vector<tg_tensor*>& slots, const std::string& what) {
  Written w;
  w.values.resize(slots.size());
  for (size_t i = 0; i < slots.size() && w.bad.empty(); ++i) {
    if (!slots[i]) continue;
    try {
      w.values[i] = tg::capi::get<tg_tensor>(slots[i], "")->value;
    } catch (const tg::Error&) {
      w.bad = fmt::format("{}[{}] is not a live tensor handle", what, i);
    }
  }
  for (tg_tensor* h : slots) release(h);
  return w;
}

// The callback's status first (a failing callback may leave anything in its slots), then its
// slots.
std::vector<Tensor> check_callback(const tg_status& status, const std::string& context, const std::string& detail,
                                   Written written) {
  tg::capi::check_callers_status(status, context, detail);
  if (!written.bad.empty()) tg::fail(Status::invalid_handle, "{}", written.bad);
  return std::move(written.values);
}

// The caller's functions and user_data; destroy runs when the op (the last call record, or
// the caller's handle) lets go of them.
struct CFunctions {
  tg_custom_forward_fn forward = nullptr;
  tg_custom_backward_fn backward = nullptr;
  void* user_data = nullptr;
  tg_destroy_fn destroy = nullptr;
  CFunctions() = default;
  CFunctions(const CFunctions&) = delete;
  CFunctions& operator=(const CFunctions&) = delete;
  ~CFunctions() {
    if (destroy) destroy(user_data);
  }
};

// The leading outputs of a TG_CUSTOM_ANY forward: everything up to the last slot written
// (a hole before it is reported by the core as an empty output).
void drop_trailing_empty(std::vector<Tensor>& outputs) {
  while (!outputs.empty() && !outputs.back()) outputs.pop_back();
}

CustomOp::Forward c_forward(std::shared_ptr<const CFunctions> fns, std::string name, bool any_outputs) {
  return [fns = std::move(fns), name = std::move(name), any_outputs](
             CustomCall& call, std::span<const Tensor> inputs, size_t capacity) {
    const LentTensors lent(inputs);
    const LentCall call_handle(CallView{&call, true});
    std::vector<tg_tensor*> slots(capacity, nullptr);
    tg::capi::clear_last_error();  // so that a message after the call is one the callback caused
    const tg_status status =
        fns->forward(call_handle.get(), lent.data(), lent.size(), slots.data(), slots.size(), fns->user_data);
    const std::string detail = tg_last_error_message();
    std::vector<Tensor> outputs =
        check_callback(status, fmt::format("custom op '{}': the forward callback", name), detail,
                       take_written(slots, fmt::format("custom op '{}': outputs", name)));
    if (any_outputs) drop_trailing_empty(outputs);
    return outputs;
  };
}

CustomOp::Backward c_backward(std::shared_ptr<const CFunctions> fns, std::string name) {
  return [fns = std::move(fns), name = std::move(name)](const CustomCall& call,
                                                         std::span<const Tensor> output_grads,
                                                         std::span<const bool>) {
    const LentTensors inputs(call.inputs);
    const LentTensors outputs(call.outputs);
    const LentTensors grads_in(output_grads);
    // why const_cast: the view is read-only in a backward (CallView::forward is false).
    const LentCall call_handle(CallView{const_cast<CustomCall*>(&call), false});
    std::vector<tg_tensor*> slots(call.num_inputs + call.variables.size(), nullptr);
    tg::capi::clear_last_error();
    const tg_status status =
        fns->backward(call_handle.get(), inputs.data(), inputs.size(), outputs.data(), outputs.size(),
                      grads_in.data(), slots.data(), slots.size(), fns->user_data);
    const std::string detail = tg_last_error_message();
    return check_callback(status, fmt::format("custom op '{}': the backward callback", name), detail,
                          take_written(slots, fmt::format("custom op '{}': grads", name)));
  };
}

std::vector<Tensor> inputs_arg(tg_tensor* const* inputs, size_t count) {
  if (!inputs && count > 0) tg::fail(Status::invalid_argument, "inputs is NULL but num_inputs is {}", count);
  std::vector<Tensor> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i)
    out.push_back(tg::capi::tensor_arg(inputs[i], fmt::format("inputs[{}]", i).c_str()));
  return out;
}

CallView& call_arg(const tg_custom_call* call) { return tg::capi::get<tg_custom_call>(call, "call")->value; }

}  // namespace

extern "C" {

tg_status tg_custom_op_create(const char* name, size_t num_inputs, size_t num_outputs, uint32_t flags,
                              tg_custom_forward_fn forward, tg_custom_backward_fn backward, void* user_data,
                              tg_destroy_fn destroy, tg_custom_op** out) {
  return tg::capi::guard("tg_custom_op_create", [&] {
    if (!name) tg::fail(Status::invalid_argument, "name is NULL");
    if (!*name) tg::fail(Status::invalid_argument, "name is empty");
    if (flags & ~kKnownFlags)
      tg::fail(Status::invalid_argument, "custom op '{}': unknown flag bits {:#x} in flags {:#x}", name,
               flags & ~kKnownFlags, flags);
    if (!forward) tg::fail(Status::invalid_argument, "custom op '{}': forward is NULL", name);
    if (num_outputs == 0) tg::fail(Status::invalid_argument, "custom op '{}': num_outputs is 0", name);
    tg_custom_op*& o = tg::capi::require_out(out, "out");
    auto fns = std::make_shared<CFunctions>();
    fns->forward = forward;
    fns->backward = backward;
    fns->user_data = user_data;
    tg::CustomOpSpec spec;
    spec.name = name;
    spec.num_inputs = num_inputs;
    spec.num_outputs = num_outputs;
    spec.differentiable = backward != nullptr;
    spec.accepts_variables = (flags & TG_CUSTOM_OP_VARIABLES) != 0;
    CustomOp::Backward b = backward ? c_backward(fns, name) : CustomOp::Backward();
    auto op = std::make_shared<CustomOp>(std::move(spec), c_forward(fns, name, num_outputs == TG_CUSTOM_ANY),
                                         std::move(b));
    tg_custom_op* h = tg::capi::make_handle<tg_custom_op>(std::move(op));
    fns->destroy = destroy;  // last: if anything above failed, user_data stays the caller's
    o = h;
  });
}

tg_status tg_custom_op_call(tg_custom_op* op, tg_tensor* const* inputs, size_t num_inputs, tg_tensor** outputs,
                            size_t capacity, size_t* num_outputs) {
  return tg::capi::guard("tg_custom_op_call", [&] {
    // A copy: the forward may free the caller's handle while it runs.
    const std::shared_ptr<CustomOp> custom = tg::capi::get<tg_custom_op>(op, "op")->value;
    const std::vector<Tensor> in = inputs_arg(inputs, num_inputs);
    if (!outputs && capacity > 0) tg::fail(Status::invalid_argument, "outputs is NULL but capacity is {}", capacity);
    const std::vector<Tensor> results = custom->call(in, capacity);
    std::vector<tg_tensor*> made;
    made.reserve(results.size());
    try {
      for (const Tensor& t : results) made.push_back(tg::capi::new_tensor_handle(t));
    } catch (...) {
      for (tg_tensor* h : made) release(h);
      throw;
    }
    for (size_t i = 0; i < capacity; ++i) outputs[i] = i < made.size() ? made[i] : nullptr;
    if (num_outputs) *num_outputs = made.size();
  });
}

tg_status tg_custom_op_free(tg_custom_op* op) {
  return tg::capi::guard("tg_custom_op_free", [&] { tg::capi::free_handle(op, "op"); });
}

tg_status tg_custom_call_set_state(tg_custom_call* call, void* state, tg_destroy_fn destroy) {
  return tg::capi::guard("tg_custom_call_set_state", [&] {
    CallView& view = call_arg(call);
    if (!view.forward)
      tg::fail(Status::invalid_state, "custom op '{}': the state can be set only by the forward callback",
               view.call->op->name());
    // If allocating the control block fails, shared_ptr calls the deleter: destroy runs.
    view.call->user_state = std::shared_ptr<void>(state, [destroy](void* p) {
      if (destroy) destroy(p);
    });
  });
}

tg_status tg_custom_call_state(const tg_custom_call* call, void** out) {
  return tg::capi::guard("tg_custom_call_state", [&] {
    const CallView& view = call_arg(call);
    tg::capi::require_out(out, "out") = view.call->user_state.get();
  });
}

tg_status tg_custom_call_variables(const tg_custom_call* call, tg_variable** variables, size_t capacity,
                                   size_t* count) {
  return tg::capi::guard("tg_custom_call_variables", [&] {
    const CustomCall& c = *call_arg(call).call;
    // In the forward, the variables read so far.
    tg::capi::write_handles(c.watcher ? c.watcher->variables() : c.variables, variables, capacity, count, "variables");
  });
}

tg_status tg_set_error_message(const char* message) {
  try {
    tg::capi::set_last_error_text(message ? message : "");
    return TG_OK;
  } catch (...) {
    return TG_OUT_OF_MEMORY;
  }
}

}  // extern "C"
