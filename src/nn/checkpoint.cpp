#include "nn/checkpoint.h"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "nn/optimizer.h"
#include "nn/safetensors.h"

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

}  // namespace

void save_checkpoint(const std::string& path, std::span<const std::shared_ptr<Variable>> variables,
                     const Optimizer* optimizer, std::string_view version) {
  std::vector<safetensors::Entry> entries;
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
    entries.push_back({v.name(), v.value()});
  }
  if (optimizer) {
    for (Optimizer::NamedTensor& s : optimizer->state()) {
      std::string name = std::string(kCheckpointOptimizerPrefix) + s.name;
      if (index.count(name))
        fail(Status::invalid_argument, "checkpoint_save: variable '{}' has the name of an optimizer "
             "state tensor", name);
      entries.push_back({std::move(name), std::move(s.value)});
    }
  }
  safetensors::write_file(path, std::move(entries),
                          {{"format", "tapegrad"}, {"version", std::string(version)}});
}

void load_checkpoint(const std::string& path, std::span<const std::shared_ptr<Variable>> variables,
                     Optimizer* optimizer) {
  const safetensors::File file = safetensors::File::open(path);
  const safetensors::Header& header = file.header();

  // 1. Every variable has a tensor of its name, dtype and shape.
  std::vector<const safetensors::TensorInfo*> found(variables.size());
  for (size_t i = 0; i < variables.size(); ++i) {
    const Variable& v = *variables[i];
    const safetensors::TensorInfo* info = header.find(v.name());
    if (!info)
      fail(Status::invalid_argument, "checkpoint_load: '{}' has no tensor named '{}' (variables[{}]); {}",
           path, v.name(), i, some_names(header));
    const std::optional<DType> dtype = safetensors::dtype_from_name(info->dtype);
    if (dtype != v.dtype() || !same_shape(info->shape, v.shape()))
      fail(Status::invalid_argument, "checkpoint_load: variable '{}' is {} {} ({} {}), but '{}' holds {} {}",
           v.name(), dtype_name(v.dtype()), v.shape().str(), safetensors::name_of(v.dtype()),
           safetensors::dims_str(std::vector<uint64_t>(v.shape().dims().begin(), v.shape().dims().end())),
           path, info->dtype, safetensors::dims_str(info->shape));
    found[i] = info;
  }
  if (optimizer && !header.find(std::string(kCheckpointOptimizerPrefix) + "iterations"))
    fail(Status::invalid_argument, "checkpoint_load: '{}' holds no optimizer state (no tensor "
         "'{}iterations'); load it without an optimizer", path, kCheckpointOptimizerPrefix);

  // 2. Read the values (fails on an I/O error or bad BOOL bytes, before anything changes).
  std::vector<Tensor> values(variables.size());
  for (size_t i = 0; i < variables.size(); ++i) values[i] = file.read(*found[i]);

  // 3. The optimizer validates its whole state before changing anything.
  if (optimizer) {
    const std::string prefix(kCheckpointOptimizerPrefix);
    const auto lookup = [&](const std::string& name) -> Tensor {
      const safetensors::TensorInfo* info = header.find(prefix + name);
      return info ? file.read(*info) : Tensor();
    };
    try {
      if (optimizer->built()) {
        optimizer->load_state(variables, lookup);  // restores the variables it was built for
      } else {
        // Build for the variables the saved optimizer had: those with "<slot>/<name>" entries.
        std::unordered_set<std::string_view> slotted_names;
        for (const safetensors::TensorInfo& t : header.tensors) {
          std::string_view n = t.name;
          if (!n.starts_with(prefix)) continue;
          n.remove_prefix(prefix.size());
          if (const size_t slash = n.find('/'); slash != std::string_view::npos) slotted_names.insert(n.substr(slash + 1));
        }
        std::vector<std::shared_ptr<Variable>> slotted;
        for (const auto& v : variables)
          if (slotted_names.count(v->name())) slotted.push_back(v);
        if (!slotted.empty()) {
          optimizer->load_state(slotted, lookup);
        } else {
          // The saved optimizer was not built either: only its counter is state. (Building
          // for no variables would make every later step fail.)
          const Tensor it = lookup("iterations");
          if (it.rank() != 0 || it.dtype() != DType::i64)
            fail(Status::invalid_argument, "'iterations' is {} {}, expected an int64 scalar",
                 dtype_name(it.dtype()), it.shape().str());
          optimizer->set_iterations(*it.data<int64_t>());
        }
      }
    } catch (const Error& e) {
      fail(e.code(), "checkpoint_load: optimizer state in '{}': {}", path, e.what());
    }
  }

  // 4. Nothing can fail now but an allocation in assign().
  for (size_t i = 0; i < variables.size(); ++i) variables[i]->assign(values[i]);
}

}  // namespace tg
