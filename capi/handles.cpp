// SPDX-License-Identifier: Apache-2.0
#include "handles.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <span>
#include <type_traits>

#include "scope.h"

namespace tg::capi {
namespace {

static_assert(sizeof(uintptr_t) == 8, "handle ids need 64-bit pointers");
static_assert(TG_MAX_ELEMENTS == kMaxElements, "the header's size limit is the core's");

// An id: bits 63..56 kMagic, 55..28 the slot's generation, 27..0 the slot's index. why the
// magic byte: it makes every id a non-canonical address, so no real pointer (a forged handle,
// a pointer to a stack variable) is ever taken for an id, and dereferencing an id faults.
constexpr int kIndexBits = 28;
constexpr int kGenerationBits = 28;
constexpr uintptr_t kMagic = 0xA7;
constexpr uint32_t kMaxSlots = uint32_t{1} << kIndexBits;        // live handles at once
constexpr uint32_t kMaxGeneration = (uint32_t{1} << kGenerationBits) - 1;
constexpr int kChunkBits = 12;                                   // slots are made 4096 at a time
constexpr uint32_t kChunkSize = uint32_t{1} << kChunkBits;
constexpr uint32_t kMaxChunks = kMaxSlots / kChunkSize;

uintptr_t make_id(uint32_t index, uint32_t generation) {
  return kMagic << 56 | uintptr_t{generation} << kIndexBits | index;
}
uint32_t index_of(uintptr_t id) { return static_cast<uint32_t>(id & (kMaxSlots - 1)); }

// One slot per handle. `id` is the live handle's id, or 0 while the slot is free: it is
// published (release) after `object` is written, and a lookup reads `object` only after
// finding its id there (acquire). `generation` is the one the slot's next id gets; only the
// thread that holds the slot (took it from the free list, or won the retire) touches it.
struct Slot {
  std::atomic<uintptr_t> id{0};
  HandleBase* object = nullptr;
  uint32_t generation = 1;
  std::atomic<uint32_t> next_free{0};  // index + 1 of the next free slot, 0 at the end
};

// Slots live in chunks that are never freed or moved, so a lookup needs no lock, and an id
// stays a valid place to look at forever. A slot whose generation is used up is never
// reused (once per 2^28 frees of that slot), so no id repeats.
struct Table {
  std::atomic<Slot*> chunks[kMaxChunks] = {};
  std::mutex grow_mutex;                // taken only to make a new chunk
  std::atomic<uint32_t> fresh{0};       // slots never used yet start at this index
  // The free list, a lock-free stack of indices: bits 31..0 index + 1 of the top (0: empty),
  // bits 63..32 a counter bumped on every pop, so a pop that raced with a pop and a push of
  // the same slot fails its compare-exchange (the ABA problem).
  std::atomic<uint64_t> free_top{0};
};

// why a constinit global: it needs no guard on each lookup, its 512 KiB of chunk pointers sit
// in zero pages until used, and having no destructor it stays valid while handles are freed
// at exit.
static_assert(std::is_trivially_destructible_v<Table>);
constinit Table g_table;
Table& table() { return g_table; }

// The slot of `index`, or nullptr if its chunk does not exist (an id C made up).
Slot* find_slot(const Table& t, uint32_t index) {
  Slot* chunk = t.chunks[index >> kChunkBits].load(std::memory_order_acquire);
  return chunk ? &chunk[index & (kChunkSize - 1)] : nullptr;
}
// The slot of an index this table handed out (its chunk exists).
Slot& slot_at(const Table& t, uint32_t index) {
  return t.chunks[index >> kChunkBits].load(std::memory_order_acquire)[index & (kChunkSize - 1)];
}

Slot& take_fresh_slot(Table& t, uint32_t* index) {
  const uint32_t i = t.fresh.fetch_add(1, std::memory_order_relaxed);
  if (i >= kMaxSlots) {
    t.fresh.store(kMaxSlots, std::memory_order_relaxed);  // why: keep the counter from wrapping
    throw std::bad_alloc();  // 2^28 live handles: as good as out of memory
  }
  std::atomic<Slot*>& chunk = t.chunks[i >> kChunkBits];
  if (!chunk.load(std::memory_order_acquire)) {
    std::lock_guard lock(t.grow_mutex);
    if (!chunk.load(std::memory_order_relaxed)) chunk.store(new Slot[kChunkSize], std::memory_order_release);
  }
  *index = i;
  return slot_at(t, i);
}

Slot& take_slot(Table& t, uint32_t* index) {
  uint64_t top = t.free_top.load(std::memory_order_acquire);
  while (static_cast<uint32_t>(top) != 0) {
    const uint32_t i = static_cast<uint32_t>(top) - 1;
    Slot& s = slot_at(t, i);
    const uint64_t next = ((top >> 32) + 1) << 32 | s.next_free.load(std::memory_order_relaxed);
    if (t.free_top.compare_exchange_weak(top, next, std::memory_order_acquire, std::memory_order_acquire)) {
      *index = i;
      return s;
    }
  }
  return take_fresh_slot(t, index);
}

void put_slot(Table& t, Slot& s, uint32_t index) {
  uint64_t top = t.free_top.load(std::memory_order_relaxed);
  do {
    s.next_free.store(static_cast<uint32_t>(top), std::memory_order_relaxed);
  } while (!t.free_top.compare_exchange_weak(top, (top >> 32) << 32 | (index + 1), std::memory_order_release,
                                             std::memory_order_relaxed));
}

thread_local std::string t_last_error;

}  // namespace

void register_handle(HandleBase* h) {
  Table& t = table();
  uint32_t index;
  Slot& s = take_slot(t, &index);
  s.object = h;
  h->id = make_id(index, s.generation);
  s.id.store(h->id, std::memory_order_release);
  try {
    scope_adopt(h);
  } catch (...) {
    s.id.store(0, std::memory_order_relaxed);
    put_slot(t, s, index);  // the id was never handed out: the generation may stay
    throw;
  }
}

void retire_handle(HandleBase* h) noexcept {
  Table& t = table();
  const uint32_t index = index_of(h->id);
  Slot& s = slot_at(t, index);
  uintptr_t expected = h->id;
  if (!s.id.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return;  // retired already
  try {
    scope_forget(h);
  } catch (...) {  // why: only the scopes' mutex can throw; the handle stays a hole in its scope
  }
  delete h;  // outside any lock: freeing a tape or a model can free many tensors
  if (++s.generation <= kMaxGeneration) put_slot(t, s, index);
}

HandleBase* lookup(const void* p) noexcept {
  const auto id = reinterpret_cast<uintptr_t>(p);
  if (id >> 56 != kMagic) return nullptr;
  const Slot* s = find_slot(table(), index_of(id));
  if (!s || s->id.load(std::memory_order_acquire) != id) return nullptr;
  return s->object;
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
    out.push_back(get_element<tg_variable>(variables[i], what, i)->value);
  return out;
}

void check_bool_bytes(const void* data, size_t bytes, const char* what) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i)
    if (p[i] > 1) fail(Status::invalid_argument, "{}: byte {} of the bool data is {}, not 0 or 1", what, i, p[i]);
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
