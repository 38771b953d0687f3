// SPDX-License-Identifier: Apache-2.0
#include "nn/training/replica.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <unordered_map>
#include <utility>

#include "autodiff/variable.h"
#include "nn/model.h"
#include "nn/optimizer.h"
#include "tensor/error.h"
#include "tensor/storage.h"

namespace tg {
namespace {

// The status and message an exception from the library's own work stands for.
std::pair<Status, std::string> status_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return {e.code(), e.what()};
  } catch (const std::bad_alloc&) {
    return {Status::out_of_memory, "out of memory"};
  } catch (const std::exception& e) {
    return {Status::internal, std::string("internal error: ") + e.what()};
  } catch (...) {
    return {Status::internal, "internal error: unknown exception"};
  }
}

constexpr size_t kMessageBytes = 1024;  // the failed replica's message, cut to fit

// A byte buffer: a tensor of float64 words, so it comes from the caching allocator.
Tensor byte_buffer(size_t bytes) { return Tensor::empty(Shape{static_cast<int64_t>((bytes + 7) / 8)}, DType::f64); }

void broadcast_bytes(const Replica& replica, std::vector<char>& bytes, int root) {
  uint64_t size = bytes.size();
  replica.broadcast(&size, sizeof size, root);
  bytes.resize(size);
  if (size) replica.broadcast(bytes.data(), size, root);
}

// Everything two replicas must share for broadcast_model to copy one onto the other: the
// weights' dtypes and shapes, the optimizer's class and, if `with_slots`, its state's names,
// dtypes and shapes. One line per item, compared line by line.
std::vector<std::string> signature(const std::vector<std::shared_ptr<Variable>>& weights, const Optimizer* optimizer,
                                   const std::vector<Optimizer::NamedTensor>& state) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < weights.size(); ++i) {
    const Tensor v = weights[i]->value();
    lines.push_back(fmt::format("weight {} ('{}'): {} {}", i, weights[i]->name(), dtype_name(v.dtype()), v.shape().str()));
  }
  lines.push_back(optimizer ? fmt::format("optimizer: {}, {}", optimizer->name(), optimizer->built() ? "built" : "not built")
                            : "optimizer: none");
  for (const auto& s : state)
    lines.push_back(fmt::format("optimizer state '{}': {} {}", s.name, dtype_name(s.value.dtype()), s.value.shape().str()));
  return lines;
}

std::vector<char> join(const std::vector<std::string>& lines) {
  std::vector<char> out;
  for (const auto& l : lines) {
    out.insert(out.end(), l.begin(), l.end());
    out.push_back('\n');
  }
  return out;
}

// The first line where `local` and the root's differ, for the error message.
void check_same_signature(const std::vector<std::string>& local, const std::vector<char>& root_bytes, int root) {
  const std::vector<char> mine = join(local);
  if (mine == root_bytes) return;
  std::vector<std::string> theirs;
  std::string line;
  for (char c : root_bytes) {
    if (c == '\n') theirs.push_back(std::exchange(line, {}));
    else line.push_back(c);
  }
  for (size_t i = 0; i < std::max(local.size(), theirs.size()); ++i) {
    const std::string a = i < local.size() ? local[i] : "(nothing)";
    const std::string b = i < theirs.size() ? theirs[i] : "(nothing)";
    if (a != b)
      fail(Status::invalid_argument, "broadcast: this replica's model differs from root replica {}'s: here {}, there {}",
           root, a, b);
  }
}

uint64_t mix(uint64_t x) {  // splitmix64's finalizer
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

void append_same_check(std::vector<double>& words, uint64_t value) {
  const uint64_t h = mix(value + 0x9e3779b97f4a7c15ULL);
  for (int i = 0; i < 3; ++i) {
    const auto part = static_cast<double>((h >> (10 * i)) & 1023);
    words.push_back(part);
    words.push_back(part * part);
  }
}

bool same_everywhere(const double* summed, int size) {
  for (size_t i = 0; i < kSameCheckWords; i += 2)
    if (summed[i + 1] * size != summed[i] * summed[i]) return false;
  return true;
}

void check_replica(const Replica& r, const char* what) {
  if (r.size < 1) fail(Status::invalid_argument, "{}: replica size must be >= 1, got {}", what, r.size);
  if (r.rank < 0 || r.rank >= r.size)
    fail(Status::invalid_argument, "{}: replica rank must be in [0, {}), got {}", what, r.size, r.rank);
  if (!r.allreduce_sum || !r.broadcast)
    fail(Status::invalid_argument, "{}: the replica's allreduce_sum or broadcast function is NULL", what);
}

std::vector<double> agree_and_sum(const Replica& replica, std::exception_ptr local, std::vector<double> payload) {
  const auto slots = static_cast<size_t>(replica.size);
  std::vector<double> words(slots + payload.size(), 0.0);  // [status of each rank][payload]
  std::pair<Status, std::string> mine{Status::ok, {}};
  if (local) mine = status_of(local);
  words[static_cast<size_t>(replica.rank)] = static_cast<double>(mine.first);
  std::copy(payload.begin(), payload.end(), words.begin() + static_cast<std::ptrdiff_t>(slots));
  replica.allreduce_sum(words.data(), words.size(), DType::f64);

  const auto failed = std::find_if(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(slots),
                                   [](double w) { return w != 0.0; });
  if (failed == words.begin() + static_cast<std::ptrdiff_t>(slots)) {
    std::copy(words.begin() + static_cast<std::ptrdiff_t>(slots), words.end(), payload.begin());
    return payload;
  }
  const int root = static_cast<int>(failed - words.begin());
  std::vector<char> message(kMessageBytes, '\0');
  if (root == replica.rank) std::memcpy(message.data(), mine.second.data(), std::min(mine.second.size(), kMessageBytes - 1));
  replica.broadcast(message.data(), message.size(), root);
  if (root == replica.rank) std::rethrow_exception(local);
  message.back() = '\0';
  const auto status = static_cast<int>(*failed);
  throw Error(status >= 1 && status <= static_cast<int>(Status::timeout) ? static_cast<Status>(status) : Status::internal,
              fmt::format("replica {} of {} failed: {}", root, replica.size, message.data()));
}

std::vector<Tensor> allreduce_sum(const Replica& replica, std::span<const Tensor> tensors, double scale) {
  std::vector<Tensor> out(tensors.size());
  for (const DType dtype : {DType::f32, DType::f64}) {
    const size_t item = dtype_size(dtype);
    size_t next = 0;  // the first tensor not yet in a bucket
    while (true) {
      // The next bucket: tensors [first, last) of this dtype, at most bucket_bytes in all.
      std::vector<size_t> members;
      size_t elements = 0;
      for (; next < tensors.size(); ++next) {
        const Tensor& t = tensors[next];
        if (!t.defined() || t.dtype() != dtype) continue;
        const auto n = static_cast<size_t>(t.numel());
        if (!members.empty() && (elements + n) * item > replica.bucket_bytes) break;
        members.push_back(next);
        elements += n;
      }
      if (members.empty()) break;
      const Tensor bucket = Tensor::empty(Shape{static_cast<int64_t>(elements)}, dtype);  // (elements)
      visit_floating(dtype, "allreduce", [&]<class T>() {
        T* p = bucket.mutable_data<T>();
        const auto s = static_cast<T>(scale);
        for (size_t i : members) {
          const T* src = tensors[i].data<T>();
          const auto n = static_cast<size_t>(tensors[i].numel());
          if (scale == 1.0) std::memcpy(p, src, n * sizeof(T));
          else
            for (size_t j = 0; j < n; ++j) p[j] = src[j] * s;
          p += n;
        }
      });
      replica.allreduce_sum(bucket.mutable_raw(), elements, dtype);
      size_t offset = 0;
      for (size_t i : members) {
        const Tensor& t = tensors[i];
        char* start = static_cast<char*>(bucket.mutable_raw()) + offset * item;
        auto view = Storage::wrap(start, t.nbytes(), [owner = bucket.storage()](void*) {});
        out[i] = Tensor::from_storage(std::move(view), t.shape(), dtype);
        offset += static_cast<size_t>(t.numel());
      }
    }
  }
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].defined() && !out[i].defined())
      fail(Status::invalid_argument, "allreduce: tensor {} is {}, only float32 and float64 can be summed", i,
           dtype_name(tensors[i].dtype()));
  return out;
}

std::vector<Tensor> allreduce_mean(const Replica& replica, std::span<const Tensor> tensors) {
  check_replica(replica, "allreduce");
  // One agreement: the count, which entries are NULL, and every dtype and shape, hashed.
  uint64_t h = mix(tensors.size());
  for (const Tensor& t : tensors) {
    h = mix(h) + (t.defined() ? static_cast<uint64_t>(t.dtype()) + 1 : 0);
    if (t.defined())
      for (int64_t d : t.shape().dims()) h = mix(h) + static_cast<uint64_t>(d);
  }
  std::vector<double> words;
  append_same_check(words, h);
  if (!same_everywhere(agree_and_sum(replica, nullptr, words).data(), replica.size)) {
    std::string mine;
    for (const Tensor& t : tensors)
      mine += t.defined() ? fmt::format(" {}{}", dtype_name(t.dtype()), t.shape().str()) : std::string(" NULL");
    fail(Status::invalid_argument,
         "allreduce: the replicas pass different tensors (their number, which are NULL, dtypes or shapes); "
         "this one passes{}",
         mine.empty() ? std::string(" none") : mine);
  }
  return allreduce_sum(replica, tensors, 1.0 / replica.size);
}

void broadcast_model(const Replica& replica, Model& model, Optimizer* optimizer, int root) {
  check_replica(replica, "broadcast");
  if (root < 0 || root >= replica.size)
    fail(Status::invalid_argument, "broadcast: root must be in [0, {}), got {}", replica.size, root);
  const auto weights = model.weights();
  const auto trainable = model.trainable_variables();
  // Optimizer slots are keyed by the variable's place among the model's weights, which is the
  // same on every replica (names may not be: they count the layers a process has made).
  std::unordered_map<uint64_t, size_t> place;
  for (size_t i = 0; i < weights.size(); ++i) place.emplace(weights[i]->id(), i);
  const Optimizer::VariableKey key_of = [&](uint64_t id, const std::string& name) {
    const auto it = place.find(id);
    if (it == place.end()) fail(Status::invalid_argument, "broadcast: the optimizer holds '{}', not a weight of the model", name);
    return fmt::format("weight-{}", it->second);
  };

  // 1. Whether the root's optimizer is built (the others then build theirs for the same
  //    variables) and its iteration counter.
  std::exception_ptr error;
  struct {
    int64_t built = 0;
    int64_t iterations = 0;
  } head;
  if (optimizer) head = {optimizer->built() ? 1 : 0, optimizer->iterations()};
  replica.broadcast(&head, sizeof head, root);
  std::vector<Optimizer::NamedTensor> state;
  std::vector<char> bytes;
  try {
    if (optimizer && head.built) {
      optimizer->build(trainable);
      state = optimizer->state(key_of);
    }
    bytes = join(signature(weights, optimizer, state));
  } catch (...) {
    error = std::current_exception();
  }
  agree(replica, error);

  // 2. The same weights and state everywhere, or an error on every replica.
  const std::vector<std::string> mine = signature(weights, optimizer, state);
  broadcast_bytes(replica, bytes, root);
  try {
    check_same_signature(mine, bytes, root);
  } catch (...) {
    error = std::current_exception();
  }
  agree(replica, error);

  // 3. The values, in one buffer: the weights, then the optimizer state.
  std::vector<Tensor> values = model.get_weights();
  for (const auto& s : state) values.push_back(s.value);
  size_t total = 0;
  for (const Tensor& v : values) total += v.nbytes();
  const Tensor buffer = byte_buffer(total);
  char* p = static_cast<char*>(buffer.mutable_raw());
  if (replica.rank == root)
    for (const Tensor& v : values) p = static_cast<char*>(std::memcpy(p, v.raw(), v.nbytes())) + v.nbytes();
  if (total) replica.broadcast(buffer.mutable_raw(), total, root);
  if (replica.rank != root) try {
    const char* q = static_cast<const char*>(buffer.mutable_raw());
    std::unordered_map<std::string, Tensor> by_name;
    for (size_t i = 0; i < values.size(); ++i) {
      values[i] = Tensor::from_data(values[i].shape(), values[i].dtype(), q);
      q += values[i].nbytes();
      if (i >= weights.size()) by_name.emplace(state[i - weights.size()].name, values[i]);
    }
    model.set_weights(std::span<const Tensor>(values.data(), weights.size()));
    if (optimizer && head.built)
      optimizer->load_state(trainable, [&](const std::string& name) {
        const auto it = by_name.find(name);
        return it == by_name.end() ? Tensor() : it->second;
      }, key_of);
    else if (optimizer)
      optimizer->set_iterations(head.iterations);
  } catch (...) {
    error = std::current_exception();
  }
  agree(replica, error);
}

}  // namespace tg
