// SPDX-License-Identifier: Apache-2.0
#include "nn/model_checkpoint.h"

#include <map>
#include <set>
#include <unordered_map>

#include "nn/safetensors.h"

namespace tg {
namespace {

constexpr std::string_view kLayerPrefix = "layer_with_weights-";

std::string layer_key(size_t k) { return fmt::format("{}{}", kLayerPrefix, k); }

void require_built(const Model& model, std::string_view fn) {
  if (!model.built())
    fail(Status::invalid_state, "{}: model '{}' has not created its variables yet: build it or call it first", fn,
         model.name());
}

// Structural keys by variable id: how the optimizer's slots are named.
Optimizer::VariableKey key_function(const std::vector<CheckpointEntry>& entries, const Model& model) {
  auto keys = std::make_shared<std::unordered_map<uint64_t, std::string>>();
  for (const CheckpointEntry& e : entries) keys->emplace(e.variable->id(), e.key);
  return [keys, model_name = model.name()](uint64_t id, const std::string& name) {
    const auto it = keys->find(id);
    if (it == keys->end())
      fail(Status::invalid_argument, "the optimizer updates variable '{}', which is not a variable of model '{}'; "
           "save it with a name-keyed checkpoint instead", name, model_name);
    return it->second;
  };
}

// The layers with weights a file holds: index → the names of their variables.
std::map<size_t, std::set<std::string>> file_layers(const safetensors::Header& header) {
  std::map<size_t, std::set<std::string>> layers;
  for (const safetensors::TensorInfo& t : header.tensors) {
    std::string_view n = t.name;
    if (!n.starts_with(kLayerPrefix)) continue;
    n.remove_prefix(kLayerPrefix.size());
    const size_t slash = n.find('/');
    if (slash == std::string_view::npos || slash == 0) continue;
    size_t k = 0;
    bool digits = true;
    for (const char c : n.substr(0, slash)) {
      digits = digits && c >= '0' && c <= '9' && k < (size_t{1} << 40);
      k = k * 10 + static_cast<size_t>(c - '0');
    }
    if (digits) layers[k].insert(std::string(n.substr(slash + 1)));
  }
  return layers;
}

std::string quoted_list(const std::set<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += fmt::format("{}'{}'", s.empty() ? "" : ", ", n);
  return s;
}

// The model's structure against the file's, in model order: the number of layers with
// weights, then per layer its class (if recorded) and its variable names. Dtypes and shapes are
// checked by read_checkpoint, entry by entry.
void check_structure(const Model& model, const safetensors::File& file) {
  const safetensors::Header& header = file.header();
  const auto saved = file_layers(header);
  std::vector<const Layer*> with_weights;
  for (size_t i = 0; i < model.num_layers(); ++i)
    if (!model.layer(i)->weights().empty()) with_weights.push_back(model.layer(i).get());
  const std::string where = fmt::format("load_weights: '{}' does not fit model '{}'", file.path(), model.name());
  if (saved.empty())
    fail(Status::invalid_argument, "{}: the file holds no model weights (no '{}0/…' tensors); a name-keyed "
         "checkpoint is loaded with checkpoint_load", where, kLayerPrefix);
  const size_t saved_count = saved.rbegin()->first + 1;
  if (saved_count != with_weights.size() || saved.size() != saved_count)
    fail(Status::invalid_argument, "{}: Layer count mismatch when loading weights from file. Model expected {} "
         "layers with weights, found {} saved layers.", where, with_weights.size(), saved.size());
  for (size_t k = 0; k < with_weights.size(); ++k) {
    const Layer& layer = *with_weights[k];
    const std::string key = layer_key(k);
    const std::string* cls = header.metadata_value(key + "/class_name");
    const std::string* saved_name = header.metadata_value(key + "/name");
    const std::string saved_desc = saved_name ? fmt::format(" ('{}')", *saved_name) : "";
    if (cls && *cls != layer.class_name())
      fail(Status::invalid_argument, "{}: layer '{}' is a {}, but the file's {}{} is a {}", where, layer.name(),
           layer.class_name(), key, saved_desc, *cls);
    std::set<std::string> names;
    for (const Layer::Weight& w : layer.weights()) names.insert(w.name);
    const std::set<std::string>& in_file = saved.at(k);
    if (names != in_file)
      fail(Status::invalid_argument, "{}: layer '{}' ({}) has the variables {}, but the file's {}{} holds {}", where,
           layer.name(), layer.class_name(), quoted_list(names), key, saved_desc, quoted_list(in_file));
  }
}

}  // namespace

std::vector<CheckpointEntry> structural_entries(const Model& model) {
  std::vector<CheckpointEntry> entries;
  size_t k = 0;
  for (size_t i = 0; i < model.num_layers(); ++i) {
    const Layer& layer = *model.layer(i);
    if (layer.weights().empty()) continue;
    for (const Layer::Weight& w : layer.weights())
      entries.push_back({fmt::format("{}/{}", layer_key(k), w.name), w.variable,
                         fmt::format("layer {} '{}' ({}), variable '{}'", i, layer.name(), layer.class_name(), w.name)});
    ++k;
  }
  return entries;
}

void save_model_weights(const std::string& path, const Model& model, const Optimizer* optimizer) {
  require_built(model, "save_weights");
  const std::vector<CheckpointEntry> entries = structural_entries(model);
  std::vector<std::pair<std::string, std::string>> metadata{{"model", model.name()}};
  size_t k = 0;
  for (size_t i = 0; i < model.num_layers(); ++i) {
    const Layer& layer = *model.layer(i);
    if (layer.weights().empty()) continue;
    metadata.emplace_back(layer_key(k) + "/class_name", std::string(layer.class_name()));
    metadata.emplace_back(layer_key(k) + "/name", layer.name());
    ++k;
  }
  write_checkpoint(path, entries, optimizer, key_function(entries, model), std::move(metadata), "save_weights");
}

void load_model_weights(const std::string& path, Model& model, Optimizer* optimizer) {
  require_built(model, "load_weights");
  const safetensors::File file = safetensors::File::open(path);
  check_structure(model, file);
  const std::vector<CheckpointEntry> entries = structural_entries(model);
  read_checkpoint(file, entries, optimizer, key_function(entries, model), "load_weights");
}

}  // namespace tg
