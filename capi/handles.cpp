#include "handles.h"

#include <deque>
#include <mutex>
#include <span>
#include <unordered_set>

#include "scope.h"

namespace tg::capi {
namespace {

// How many freed handle shells are kept before the oldest is deleted.
constexpr size_t kQuarantine = 1 << 16;

struct Registry {
  std::mutex mutex;
  std::unordered_set<const void*> live;
  std::deque<std::unique_ptr<HandleBase>> retired;  // oldest first
};

Registry& registry() {
  static Registry* r = new Registry;  // why: never destroyed, handles may be freed at exit
  return *r;
}

thread_local std::string t_last_error;

}  // namespace

void register_handle(const HandleBase* h) {
  Registry& r = registry();
  {
    std::lock_guard lock(r.mutex);
    r.live.insert(h);
  }
  try {
    scope_adopt(const_cast<HandleBase*>(h));  // handles are never const objects
  } catch (...) {
    std::lock_guard lock(r.mutex);
    r.live.erase(h);
    throw;
  }
}

void retire_handle(HandleBase* h) {
  scope_forget(h);
  std::unique_ptr<HandleBase> evicted;
  Registry& r = registry();
  {
    std::lock_guard lock(r.mutex);
    r.live.erase(h);
  }
  h->release_value();  // outside the lock: freeing a tape or model can free many tensors
  std::lock_guard lock(r.mutex);
  r.retired.emplace_back(h);
  if (r.retired.size() > kQuarantine) {
    evicted = std::move(r.retired.front());
    r.retired.pop_front();
  }
}

bool lookup_tag(const void* p, Tag* tag) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (!r.live.count(p)) return false;
  *tag = static_cast<const HandleBase*>(p)->tag;
  return true;
}

const char* tag_name(Tag t) {
  switch (t) {
    case Tag::tensor: return "tg_tensor";
    case Tag::variable: return "tg_variable";
    case Tag::tape: return "tg_tape";
    case Tag::model: return "tg_model";
    case Tag::optimizer: return "tg_optimizer";
    case Tag::loss: return "tg_loss";
    case Tag::metric: return "tg_metric";
    case Tag::layer: return "tg_layer";
    case Tag::dataset: return "tg_dataset";
    case Tag::callback: return "tg_callback";
    case Tag::history: return "tg_history";
    case Tag::logs: return "tg_logs";
    case Tag::training: return "tg_training";
    case Tag::custom_op: return "tg_custom_op";
    case Tag::custom_call: return "tg_custom_call";
  }
  return "unknown handle";
}

Differentiable differentiable_of(const void* p, const char* what) {
  if (!p) fail(Status::invalid_handle, "{} is NULL", what);
  Tag tag;
  if (!lookup_tag(p, &tag))
    fail(Status::invalid_handle, "{} is not a live tapegrad handle (freed or never created)", what);
  if (tag == Tag::tensor) return Differentiable::of(get<tg_tensor>(p, what)->value);
  if (tag == Tag::variable) return Differentiable::of(get<tg_variable>(p, what)->value);
  fail(Status::invalid_handle, "{} is a {}, expected a tg_tensor or tg_variable", what, tag_name(tag));
}

DType dtype_arg(const tg_dtype& dtype) {
  const int code = enum_value(dtype);
  if (!is_valid_dtype(code))
    fail(Status::invalid_argument, "dtype {} is not a tg_dtype (TG_FLOAT32 .. TG_BOOL)", code);
  return static_cast<DType>(code);
}

Shape shape_arg(const int64_t* shape, int rank) {
  if (rank < 0 || rank > kMaxRank)
    fail(Status::invalid_argument, "shape: rank {} is outside [0, {}]", rank, kMaxRank);
  if (!shape && rank > 0) fail(Status::invalid_argument, "shape is NULL but rank is {}", rank);
  return Shape::from(std::span<const int64_t>(shape, static_cast<size_t>(rank)), "shape");
}

std::vector<std::shared_ptr<Variable>> variables_arg(tg_variable* const* variables, size_t count, const char* what) {
  if (count > 0 && !variables) fail(Status::invalid_argument, "{} is NULL with count {}", what, count);
  std::vector<std::shared_ptr<Variable>> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i)
    out.push_back(get<tg_variable>(variables[i], fmt::format("{}[{}]", what, i).c_str())->value);
  return out;
}

std::span<const int64_t> int64_array_arg(const int64_t* values, size_t count, const char* what,
                                         const char* count_name) {
  if (!values && count > 0)
    fail(Status::invalid_argument, "{} is NULL but {} is {}", what, count_name, count);
  return {values, count};
}

std::span<const int64_t> rank_array_arg(const int64_t* values, int rank, const char* what) {
  if (rank < 0) fail(Status::invalid_argument, "rank {} is negative", rank);
  return int64_array_arg(values, static_cast<size_t>(rank), what, "rank");
}

void set_last_error(const char* function, const char* message, const char* detail) noexcept {
  try {
    t_last_error.clear();
    t_last_error.append("[").append(function).append("] ").append(message).append(detail);
  } catch (...) {
    t_last_error.clear();  // why: a cleared string needs no allocation; this cannot throw
  }
}

void clear_last_error() { t_last_error.clear(); }

void set_last_error_text(const char* text) {
  try {
    t_last_error.assign(text);
  } catch (...) {
    t_last_error.assign("out of memory");  // why: fits the small-string buffer, cannot throw
    throw;
  }
}

}  // namespace tg::capi

extern "C" TG_API const char* tg_last_error_message(void) { return tg::capi::t_last_error.c_str(); }
