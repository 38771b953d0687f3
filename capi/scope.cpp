// SPDX-License-Identifier: Apache-2.0
// Scopes: which handles each open scope holds, and how they leave it.
//
// Each thread has a stack of open scopes (thread-local, changed only by that thread). A scope
// lists its handles in creation order, and each handle records its scope and place there; a
// handle that leaves (freed by hand, kept) becomes a hole, so closing a scope never touches it
// again. A handle may be freed or kept on any thread, so both sides are guarded by one mutex,
// taken only while some scope is open or holds a handle (scope.h's fast paths).
#include "scope.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "handles.h"

namespace tg::capi {
namespace {

struct Scope {
  uint64_t serial;                   // the tg_scope* token's value: never reused
  Scope* parent;                     // the enclosing scope on the same thread, or nullptr
  std::vector<HandleBase*> handles;  // creation order; nullptr where a handle left
};

// Guards every Scope::handles and every HandleBase::scope / scope_index: a handle may be freed
// or kept on any thread.
std::mutex& scopes_mutex() {
  static std::mutex* m = new std::mutex;  // why: never destroyed, handles may be freed at exit
  return *m;
}

std::atomic<uint64_t> g_next_serial{1};

Scope* scope_of(const HandleBase* h) { return static_cast<Scope*>(h->scope); }

// Takes h out of its scope (the caller holds the mutex).
void unlink(HandleBase* h) {
  scope_of(h)->handles[h->scope_index] = nullptr;
  h->scope = nullptr;
  g_scoped_handles.fetch_sub(1, std::memory_order_release);
}

// Takes every handle out of `scope` and returns them, newest first.
std::vector<HandleBase*> detach_all(Scope& scope) {
  std::vector<HandleBase*> out;
  std::lock_guard lock(scopes_mutex());
  for (auto it = scope.handles.rbegin(); it != scope.handles.rend(); ++it) {
    if (!*it) continue;
    (*it)->scope = nullptr;
    out.push_back(*it);
  }
  g_scoped_handles.fetch_sub(out.size(), std::memory_order_release);
  scope.handles.clear();
  return out;
}

// This thread's open scopes, innermost last. At thread exit the scopes still open let go of
// their handles without freeing them: they stay alive, owned by the caller.
struct ThreadScopes {
  std::vector<std::unique_ptr<Scope>> stack;
  ~ThreadScopes() {
    for (auto& s : stack) detach_all(*s);
    g_open_scopes.fetch_sub(stack.size(), std::memory_order_release);
  }
};
thread_local ThreadScopes t_scopes;

// The public free function of each handle type: the one that knows its type's rules (a
// tape recording on another thread is not freed, for one).
tg_status free_any(HandleBase* h) {
  switch (h->tag) {
    case Tag::tensor: return tg_tensor_free(c_handle<tg_tensor>(h));
    case Tag::variable: return tg_variable_free(c_handle<tg_variable>(h));
    case Tag::tape: return tg_tape_free(c_handle<tg_tape>(h));
    case Tag::model: return tg_model_free(c_handle<tg_model>(h));
    case Tag::layer: return tg_layer_free(c_handle<tg_layer>(h));
    case Tag::optimizer: return tg_optimizer_free(c_handle<tg_optimizer>(h));
    case Tag::loss: return tg_loss_free(c_handle<tg_loss>(h));
    case Tag::metric: return tg_metric_free(c_handle<tg_metric>(h));
    // The training handles' free functions only retire the handle (logs and runs are retired
    // by the shim that made them, when the callback returns).
    case Tag::dataset:
    case Tag::callback:
    case Tag::history:
    case Tag::logs:
    case Tag::training:
    case Tag::custom_op:    // retiring the handle is all tg_custom_op_free does
    case Tag::custom_call:  // retired by the shim that made it, when the callback returns
      break;
  }
  return guard("tg_scope_end", [&] { retire_handle(h); });
}

tg_scope* token_of(const Scope& s) { return reinterpret_cast<tg_scope*>(static_cast<uintptr_t>(s.serial)); }

}  // namespace

std::atomic<size_t> g_open_scopes{0};
std::atomic<size_t> g_scoped_handles{0};

void scope_adopt_slow(HandleBase* h) {
  if (t_scopes.stack.empty()) return;  // the open scopes are other threads'
  Scope& scope = *t_scopes.stack.back();
  std::lock_guard lock(scopes_mutex());
  scope.handles.push_back(h);
  h->scope = &scope;
  h->scope_index = scope.handles.size() - 1;
  g_scoped_handles.fetch_add(1, std::memory_order_release);
}

void scope_forget_slow(HandleBase* h) {
  std::lock_guard lock(scopes_mutex());
  if (h->scope) unlink(h);
}

namespace {

// Opens a scope inside this thread's innermost one; returns its token.
tg_scope* open_scope() {
  auto& stack = t_scopes.stack;
  Scope* parent = stack.empty() ? nullptr : stack.back().get();
  stack.push_back(std::make_unique<Scope>(Scope{g_next_serial.fetch_add(1), parent, {}}));
  g_open_scopes.fetch_add(1, std::memory_order_release);
  return token_of(*stack.back());
}

// The first handle that could not be freed while closing scopes, and why.
struct FreeFailure {
  tg_status status = TG_OK;
  std::string message;
};

// Closes the scope of `token` and the scopes opened after it on this thread, freeing their
// handles. Error(invalid_state) if it is not open on this thread (then nothing is freed).
FreeFailure close_scopes(const tg_scope* token) {
  auto& stack = t_scopes.stack;
  const auto serial = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(token));
  size_t depth = stack.size();
  while (depth > 0 && stack[depth - 1]->serial != serial) --depth;
  if (depth == 0)
    fail(Status::invalid_state, "the scope is not open on this thread (ended already, or begun on another thread)");
  FreeFailure failure;
  while (stack.size() >= depth) {  // innermost first
    for (HandleBase* h : detach_all(*stack.back())) {
      const tg_status freed = free_any(h);
      if (freed != TG_OK && failure.status == TG_OK) failure = {freed, tg_last_error_message()};
    }
    stack.pop_back();
    g_open_scopes.fetch_sub(1, std::memory_order_release);
  }
  return failure;
}

// Moves a live handle from its scope to the enclosing one, or out of every scope.
void keep(HandleBase* h) {
  std::lock_guard lock(scopes_mutex());
  if (!h->scope) return;  // in no scope: the caller owns it already
  Scope* parent = scope_of(h)->parent;
  if (!parent) return unlink(h);
  parent->handles.push_back(h);  // first: if it throws, nothing has changed
  scope_of(h)->handles[h->scope_index] = nullptr;
  h->scope = parent;
  h->scope_index = parent->handles.size() - 1;
}

}  // namespace
}  // namespace tg::capi

using tg::capi::guard;

extern "C" {

tg_status tg_scope_begin(tg_scope** out) {
  return guard("tg_scope_begin", [&] {
    auto& result = tg::capi::require_out(out, "out");
    result = tg::capi::open_scope();
  });
}

tg_status tg_scope_end(tg_scope* scope) {
  tg::capi::FreeFailure failure;
  const tg_status s = guard("tg_scope_end", [&] {
    if (!scope) tg::fail(tg::Status::invalid_argument, "scope is NULL");
    failure = tg::capi::close_scopes(scope);
  });
  if (s != TG_OK || failure.status == TG_OK) return s;
  tg::capi::set_last_error("tg_scope_end", "a handle of the scope could not be freed and was left to the caller: ",
                           failure.message.c_str());
  return failure.status;
}

tg_status tg_scope_keep(const void* handle) {
  return guard("tg_scope_keep", [&] {
    if (!handle) tg::fail(tg::Status::invalid_handle, "handle is NULL");
    tg::capi::HandleBase* h = tg::capi::lookup(handle);
    if (!h) tg::fail(tg::Status::invalid_handle, "handle is not a live tapegrad handle (freed or never created)");
    tg::capi::keep(h);
  });
}

}  // extern "C"
