// SPDX-License-Identifier: Apache-2.0
#include "nn/checkpoint.h"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "nn/safetensors.h"

#ifndef TAPEGRAD_PROJECT_VERSION
#error "src/CMakeLists.txt defines TAPEGRAD_PROJECT_VERSION"
#endif

namespace tg {
namespace {

bool same_shape(const std::vector<uint64_t>& file, const Shape& shape) {
  if (file.size() != static_cast<size_t>(shape.rank())) return false;
  for (int i = 0; i < shape.rank(); ++i)
    if (file[static_cast<size_t>(i)] != static_cast<uint64_t>(shape[i])) return false;
  return true;
}

// Up to five of the file's tensor names, to make a "not found" error actionable.
std::string some_names(const safetensors::Header& h) {
  if (h.tensors.empty()) return "the file holds no tensors";
  std::string s = fmt::format("the file holds {} tensor{}: ", h.tensors.size(), h.tensors.size() == 1 ? "" : "s");
  const size_t shown = std::min<size_t>(h.by_name.size(), 5);
  for (size_t i = 0; i < shown; ++i) s += fmt::format("{}'{}'", i ? ", " : "", h.tensors[h.by_name[i]].name);
  if (shown < h.tensors.size()) s += ", …";
  return s;
}

// Restores the state of an optimizer that has not been built: it is built for the entries
// whose slots the file holds (the variables the saved optimizer was updating) or, if it holds
// none, only takes the iteration counter (building for no variables would make every later
// step fail).
void load_unbuilt_optimizer(const safetensors::Header& header, std::span<const CheckpointEntry> entries,
                            Optimizer& optimizer, const std::function<Tensor(const std::string&)>& lookup,
                            const Optimizer::VariableKey& key_of) {
  const std::string prefix(kCheckpointOptimizerPrefix);
  std::unordered_set<std::string_view> slotted_keys;  // "<slot>/<key>" → key
  for (const safetensors::TensorInfo& t : header.tensors) {
    std::string_view n = t.name;
    if (!n.starts_with(prefix)) continue;
    n.remove_prefix(prefix.size());
    if (const size_t slash = n.find('/'); slash != std::string_view::npos) slotted_keys.insert(n.substr(slash + 1));
  }
  std::vector<std::shared_ptr<Variable>> slotted;
  for (const CheckpointEntry& e : entries)
    if (slotted_keys.count(e.key)) slotted.push_back(e.variable);
  if (!slotted.empty()) {
    optimizer.load_state(slotted, lookup, key_of);
    return;
  }
  const Tensor it = lookup("iterations");
  if (it.rank() != 0 || it.dtype() != DType::i64)
    fail(Status::invalid_argument, "'iterations' is {} {}, expected an int64 scalar", dtype_name(it.dtype()),
         it.shape().str());
  optimizer.set_iterations(*it.data<int64_t>());
}

}  // namespace

std::string_view library_version() { return TAPEGRAD_PROJECT_VERSION; }

void write_checkpoint(const std::string& path, std::span<const CheckpointEntry> entries, const Optimizer* optimizer,
                      const Optimizer::VariableKey& key_of,
                      std::vector<std::pair<std::string, std::string>> metadata, std::string_view fn) {
  std::vector<safetensors::Entry> tensors;
  tensors.reserve(entries.size());
  std::unordered_set<std::string_view> keys;
  for (const CheckpointEntry& e : entries) {
    if (!keys.insert(e.key).second) fail(Status::internal, "{}: the key '{}' is used twice", fn, e.key);
    tensors.push_back({e.key, e.variable->value()});
  }
  if (optimizer) {
    std::vector<Optimizer::NamedTensor> state;
    try {
      state = optimizer->state(key_of);
    } catch (const Error& e) {
      fail(e.code(), "{}: optimizer state: {}", fn, e.what());
    }
    for (Optimizer::NamedTensor& s : state) {
      std::string name = std::string(kCheckpointOptimizerPrefix) + s.name;
      if (keys.count(name))
        fail(Status::invalid_argument, "{}: variable '{}' has the name of an optimizer state tensor", fn, name);
      tensors.push_back({std::move(name), std::move(s.value)});
    }
  }
  metadata.emplace_back("format", "tapegrad");
  metadata.emplace_back("version", std::string(library_version()));
  safetensors::write_file(path, std::move(tensors), std::move(metadata));
}

void read_checkpoint(const safetensors::File& file, std::span<const CheckpointEntry> entries, Optimizer* optimizer,
                     const Optimizer::VariableKey& key_of, std::string_view fn) {
  const safetensors::Header& header = file.header();
  const std::string& path = file.path();

  // 1. Every variable has a tensor of its key, with its dtype and shape.
  std::vector<const safetensors::TensorInfo*> found(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const CheckpointEntry& e = entries[i];
    const Variable& v = *e.variable;
    const safetensors::TensorInfo* info = header.find(e.key);
    if (!info)
      fail(Status::invalid_argument, "{}: '{}' has no tensor named '{}' ({}); {}", fn, path, e.key, e.what,
           some_names(header));
    const std::optional<DType> dtype = safetensors::dtype_from_name(info->dtype);
    if (dtype != v.dtype() || !same_shape(info->shape, v.shape()))
      fail(Status::invalid_argument, "{}: variable '{}' ({}) is {} {} ({} {}), but '{}' holds {} {} under '{}'", fn,
           v.name(), e.what, dtype_name(v.dtype()), v.shape().str(), safetensors::name_of(v.dtype()),
           safetensors::dims_str(std::vector<uint64_t>(v.shape().dims().begin(), v.shape().dims().end())), path,
           info->dtype, safetensors::dims_str(info->shape), e.key);
    found[i] = info;
  }
  if (optimizer && !header.find(std::string(kCheckpointOptimizerPrefix) + "iterations"))
    fail(Status::invalid_argument, "{}: '{}' holds no optimizer state (no tensor '{}iterations'); load it without "
         "an optimizer", fn, path, kCheckpointOptimizerPrefix);

  // 2. Read the values (fails on an I/O error or bad BOOL bytes, before anything changes).
  std::vector<Tensor> values(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) values[i] = file.read(*found[i]);

  // 3. The optimizer validates its whole state before changing anything.
  if (optimizer) {
    const std::string prefix(kCheckpointOptimizerPrefix);
    const auto lookup = [&](const std::string& name) -> Tensor {
      const safetensors::TensorInfo* info = header.find(prefix + name);
      return info ? file.read(*info) : Tensor();
    };
    try {
      if (optimizer->built()) {
        std::vector<std::shared_ptr<Variable>> variables;
        for (const CheckpointEntry& e : entries) variables.push_back(e.variable);
        optimizer->load_state(variables, lookup, key_of);  // restores the variables it was built for
      } else {
        load_unbuilt_optimizer(header, entries, *optimizer, lookup, key_of);
      }
    } catch (const Error& e) {
      fail(e.code(), "{}: optimizer state in '{}': {}", fn, path, e.what());
    }
  }

  // 4. Nothing can fail now: each value was just read into a buffer of its own.
  for (size_t i = 0; i < entries.size(); ++i) entries[i].variable->adopt(std::move(values[i]));
}

void save_checkpoint(const std::string& path, std::span<const std::shared_ptr<Variable>> variables,
                     const Optimizer* optimizer) {
  std::vector<CheckpointEntry> entries;
  entries.reserve(variables.size());
  std::unordered_map<std::string_view, size_t> index;  // name -> position in `variables`
  for (size_t i = 0; i < variables.size(); ++i) {
    const Variable& v = *variables[i];
    if (v.name().empty())
      fail(Status::invalid_argument, "checkpoint_save: variables[{}] has an empty name; checkpoints "
           "store variables by name", i);
    const auto [it, inserted] = index.emplace(v.name(), i);
    if (!inserted) {
      if (variables[it->second] == variables[i]) continue;  // the same variable twice
      fail(Status::invalid_argument, "checkpoint_save: variables[{}] and variables[{}] are both named "
           "'{}'; names must be unique", it->second, i, v.name());
    }
    entries.push_back({v.name(), variables[i], fmt::format("variables[{}]", i)});
  }
  write_checkpoint(path, entries, optimizer, {}, {}, "checkpoint_save");
}

void load_checkpoint(const std::string& path, std::span<const std::shared_ptr<Variable>> variables,
                     Optimizer* optimizer) {
  const safetensors::File file = safetensors::File::open(path);
  std::vector<CheckpointEntry> entries;
  entries.reserve(variables.size());
  for (size_t i = 0; i < variables.size(); ++i)
    entries.push_back({variables[i]->name(), variables[i], fmt::format("variables[{}]", i)});
  read_checkpoint(file, entries, optimizer, {}, "checkpoint_load");
}

}  // namespace tg
