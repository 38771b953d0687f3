/* SPDX-License-Identifier: Apache-2.0 */
// Handle objects behind the opaque C types, the handle table that turns NULL, freed or
// wrong-type handles into TG_INVALID_HANDLE, and the guard that turns every C++ exception
// into a status and a thread-local message. No logic of the library lives here.
//
// What the C side holds is not the object's address but an id into a slot table
// (capi/handles.cpp): a slot index and that slot's generation, which every free advances, so a
// freed handle never matches again, however many handles were made and freed since. Inside
// capi/ a `tg_x*` received from C or returned to C is such an id; get<H>() turns it into the
// object (also typed H*), and make_handle() / c_handle() turn an object into its id.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "autodiff/tape.h"
#include "autodiff/variable.h"
#include "tapegrad/tapegrad.h"
#include "tensor/allocator.h"
#include "tensor/error.h"
#include "tensor/tensor.h"

namespace tg {
class Layer;
class Model;
class Optimizer;
class Loss;
class Metric;
}  // namespace tg

namespace tg::capi {

enum class Tag : uint32_t {
  tensor = 0x54475445,  // arbitrary distinct values, so a stray pointer rarely matches
  variable = 0x54475641,
  tape = 0x54475441,
  model = 0x5447504d,
  optimizer = 0x5447504f,
  loss = 0x54474c53,
  metric = 0x54474d54,
  layer = 0x54474c59,
  dataset = 0x54474453,   // the training types: capi/training_handles.h
  callback = 0x54474342,
  history = 0x54474859,
  logs = 0x54474c47,
  training = 0x54475452,
  custom_op = 0x5447434f,  // capi/custom_op.cpp
  custom_call = 0x5447434c,
};

struct HandleBase {
  explicit HandleBase(Tag t) : tag(t) {}
  virtual ~HandleBase() = default;
  // why: a handle per op result; the thread's cache of small blocks serves it without a lock
  // or malloc. (The destructor is virtual, so delete passes the whole object's size.)
  static void* operator new(size_t bytes) { return tg::allocate_object(bytes); }
  static void operator delete(void* p, size_t bytes) noexcept { tg::deallocate_object(p, bytes); }
  Tag tag;
  uintptr_t id = 0;  // what the C side holds (set by register_handle)
  // The scope that holds the handle, if any, and its place there (capi/scope.cpp; guarded by
  // the scopes' mutex).
  void* scope = nullptr;
  size_t scope_index = 0;
};

template <Tag T, class Value>
struct Handle : HandleBase {
  static constexpr Tag kTag = T;
  explicit Handle(Value v) : HandleBase(T), value(std::move(v)) {}
  Value value;
};

}  // namespace tg::capi

struct tg_tensor : tg::capi::Handle<tg::capi::Tag::tensor, tg::Tensor> { using Handle::Handle; };
struct tg_variable : tg::capi::Handle<tg::capi::Tag::variable, std::shared_ptr<tg::Variable>> { using Handle::Handle; };
struct tg_tape : tg::capi::Handle<tg::capi::Tag::tape, std::unique_ptr<tg::Tape>> { using Handle::Handle; };
struct tg_model : tg::capi::Handle<tg::capi::Tag::model, std::unique_ptr<tg::Model>> { using Handle::Handle; };
struct tg_optimizer : tg::capi::Handle<tg::capi::Tag::optimizer, std::unique_ptr<tg::Optimizer>> { using Handle::Handle; };
struct tg_loss : tg::capi::Handle<tg::capi::Tag::loss, std::unique_ptr<tg::Loss>> { using Handle::Handle; };
struct tg_metric : tg::capi::Handle<tg::capi::Tag::metric, std::unique_ptr<tg::Metric>> { using Handle::Handle; };
struct tg_layer : tg::capi::Handle<tg::capi::Tag::layer, std::shared_ptr<tg::Layer>> { using Handle::Handle; };

namespace tg::capi {

// Gives the object h a slot and an id (h->id), and adds it to this thread's open scope.
// Throws std::bad_alloc when no slot can be had (out of memory, or 2^28 live handles).
void register_handle(HandleBase* h);
// Takes h out of the table and deletes it; its id is invalid from then on. If another thread
// retired h first, does nothing.
void retire_handle(HandleBase* h) noexcept;
// The object behind the id p, or nullptr if p is not a live handle (freed, never created, or
// not an id at all). Lock-free.
HandleBase* lookup(const void* p) noexcept;
// The tag of a live handle; false if p is not one.
inline bool lookup_tag(const void* p, Tag* tag) {
  const HandleBase* h = lookup(p);
  if (h) *tag = h->tag;
  return h != nullptr;
}
// The id by which C knows the object h.
template <class H>
H* c_handle(const HandleBase* h) {
  return reinterpret_cast<H*>(h->id);
}

const char* tag_name(Tag t);

// Checks that `p` is a live handle of type H; throws Error(invalid_handle) naming `what`.
template <class H>
H* get(const void* p, const char* what) {
  if (!p) fail(Status::invalid_handle, "{} is NULL", what);
  HandleBase* h = lookup(p);
  if (!h) fail(Status::invalid_handle, "{} is not a live tapegrad handle (freed or never created)", what);
  if (h->tag != H::kTag)
    fail(Status::invalid_handle, "{} is a {}, expected a {}", what, tag_name(h->tag), tag_name(H::kTag));
  return static_cast<H*>(h);
}

// get<H>(p, "<what>[index]") for an element of an array argument; the name is formatted
// only when the check fails (formatting it on every call cost an allocation per element).
template <class H>
H* get_element(const void* p, const char* what, size_t index) {
  HandleBase* h = p ? lookup(p) : nullptr;
  if (h && h->tag == H::kTag) return static_cast<H*>(h);
  return get<H>(p, fmt::format("{}[{}]", what, index).c_str());
}

// Allocates and registers a handle owning `value`; returns the id that C receives.
template <class H, class V>
H* make_handle(V&& value) {
  auto h = std::make_unique<H>(std::forward<V>(value));
  register_handle(h.get());
  return c_handle<H>(h.release());
}

// Retires the handle with id `handle` (checked to be a live H); NULL is a no-op.
template <class H>
void free_handle(H* handle, const char* what) {
  if (!handle) return;
  retire_handle(get<H>(handle, what));
}

// The integer value of a C enum argument. why: a C caller may pass any int, and loading an
// out-of-range value as the C++ enum type is undefined behaviour.
template <class E>
int enum_value(const E& e) {
  static_assert(sizeof(E) == sizeof(int), "C enums are int-sized");
  int v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

// A tg_dtype argument from C, checked: any int may arrive.
DType dtype_arg(const tg_dtype& dtype);
// A (shape, rank) pair from C: rank in [0, TG_MAX_RANK], shape non-NULL when rank > 0,
// every dimension >= 0.
Shape shape_arg(const int64_t* shape, int rank);
// Fails unless the `bytes` bytes at `data` (a TG_BOOL buffer the library will not copy) are
// all 0 or 1: kernels read them as C++ bool, for which any other byte is undefined.
void check_bool_bytes(const void* data, size_t bytes, const char* what);
// `count` int64_t entries at `values` (NULL only when count is 0); `what` and `count_name`
// name the array and its length in errors.
std::span<const int64_t> int64_array_arg(const int64_t* values, size_t count, const char* what,
                                         const char* count_name);
// `rank` int64_t entries (one per axis) at `values`; rank must be >= 0.
std::span<const int64_t> rank_array_arg(const int64_t* values, int rank, const char* what);

template <class T>
T& require_out(T* out, const char* what) {
  if (!out) fail(Status::invalid_argument, "{} (output pointer) is NULL", what);
  return *out;
}

inline tg_tensor* new_tensor_handle(Tensor t) { return make_handle<tg_tensor>(std::move(t)); }

// Writes new handles for the first min(capacity, values.size()) values to out[0..) and the
// total to *count, for the "array of `capacity` slots, or NULL to only count" functions.
// Every handle is made before any is written: on error nothing is written.
template <class H, class V>
void write_handles(const std::vector<V>& values, H** out, size_t capacity, size_t* count, const char* what) {
  size_t& total = require_out(count, "count");
  if (!out && capacity > 0) fail(Status::invalid_argument, "{} is NULL but capacity is {}", what, capacity);
  const size_t n = std::min(capacity, values.size());
  std::vector<H*> made;
  made.reserve(n);
  try {
    for (size_t i = 0; i < n; ++i) made.push_back(make_handle<H>(values[i]));
  } catch (...) {
    for (H* h : made) free_handle(h, what);
    throw;
  }
  std::copy(made.begin(), made.end(), out);
  total = values.size();
}

// The variables behind `count` handles (NULL only when count is 0), named "<what>[i]" in errors.
std::vector<std::shared_ptr<Variable>> variables_arg(tg_variable* const* variables, size_t count, const char* what);

// The tensor behind a tg_tensor argument; `what` names it in the error.
inline const Tensor& tensor_arg(const tg_tensor* t, const char* what) { return get<tg_tensor>(t, what)->value; }

// A gradient target or source given as a tensor or variable handle.
Differentiable differentiable_of(const void* p, const char* what);

// Never throws: if the message cannot be stored, a fixed out-of-memory text stands in.
void set_last_error(const char* function, const char* message, const char* detail = "") noexcept;
void clear_last_error();
// Sets the message to `text` as is (no function prefix): tg_set_error_message. Throws
// std::bad_alloc, leaving "out of memory", if it cannot be stored.
void set_last_error_text(const char* text);

// Runs `body` and converts every exception into a status, recording the message prefixed
// with the C function's name.
template <class F>
tg_status guard(const char* function, F&& body) noexcept {
  try {
    clear_last_error();
    body();
    return TG_OK;
  } catch (const Error& e) {
    set_last_error(function, e.what());
    return static_cast<tg_status>(e.code());
  } catch (const std::bad_alloc&) {
    set_last_error(function, "out of memory");
    return TG_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set_last_error(function, "internal error: ", e.what());
    return TG_INTERNAL;
  } catch (...) {
    set_last_error(function, "internal error: unknown exception");
    return TG_INTERNAL;
  }
}

}  // namespace tg::capi
