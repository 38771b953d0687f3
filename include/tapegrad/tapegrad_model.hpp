// SPDX-License-Identifier: Apache-2.0
// tapegrad_model.hpp — layers, models, callbacks and fit / evaluate / predict of the C++
// wrapper. Included by tapegrad.hpp; include that one.
#ifndef TAPEGRAD_TAPEGRAD_MODEL_HPP
#define TAPEGRAD_TAPEGRAD_MODEL_HPP

#include <array>

#include "tapegrad/tapegrad.hpp"

namespace tapegrad {

// ---- layer configurations (Keras's constructors) ----------------------------------------------

inline tg_layer_config layer_config(tg_layer_type type) {
  tg_layer_config c;
  check(tg_layer_config_init(type, &c));
  return c;
}
// Dense(units, activation) with a glorot_uniform kernel drawn from `seed`.
inline tg_layer_config Dense(int64_t units, tg_activation activation = TG_ACTIVATION_LINEAR, uint64_t seed = 0,
                             tg_dtype dtype = TG_FLOAT32) {
  tg_layer_config c = layer_config(TG_LAYER_DENSE);
  c.units = units;
  c.activation = activation;
  c.kernel_initializer.seed = seed;
  c.dtype = dtype;
  return c;
}
inline tg_layer_config Dropout(double rate, uint64_t seed = 0) {
  tg_layer_config c = layer_config(TG_LAYER_DROPOUT);
  c.rate = rate;
  c.seed = seed;
  return c;
}
inline tg_layer_config Flatten() { return layer_config(TG_LAYER_FLATTEN); }
inline tg_layer_config Embedding(int64_t input_dim, int64_t output_dim, uint64_t seed = 0) {
  tg_layer_config c = layer_config(TG_LAYER_EMBEDDING);
  c.input_dim = input_dim;
  c.output_dim = output_dim;
  c.embeddings_initializer.seed = seed;
  return c;
}
// Conv2D(filters, {kh, kw}, activation, strides, padding) with a glorot_uniform kernel drawn
// from `seed`; the other options (dilation_rate, groups, use_bias, …) are fields of c.conv / c.
inline tg_layer_config Conv2D(int64_t filters, std::array<int64_t, 2> kernel_size,
                              tg_activation activation = TG_ACTIVATION_LINEAR, std::array<int64_t, 2> strides = {1, 1},
                              tg_padding padding = TG_PADDING_VALID, uint64_t seed = 0) {
  tg_layer_config c = layer_config(TG_LAYER_CONV2D);
  c.conv.filters = filters;
  c.conv.kernel_size[0] = kernel_size[0];
  c.conv.kernel_size[1] = kernel_size[1];
  c.conv.strides[0] = strides[0];
  c.conv.strides[1] = strides[1];
  c.conv.padding = padding;
  c.activation = activation;
  c.kernel_initializer.seed = seed;
  return c;
}
// Conv1D(filters, kernel_size, activation, strides, padding (CAUSAL allowed)).
inline tg_layer_config Conv1D(int64_t filters, int64_t kernel_size, tg_activation activation = TG_ACTIVATION_LINEAR,
                              int64_t strides = 1, tg_padding padding = TG_PADDING_VALID, uint64_t seed = 0) {
  tg_layer_config c = layer_config(TG_LAYER_CONV1D);
  c.conv.filters = filters;
  c.conv.kernel_size[0] = kernel_size;
  c.conv.strides[0] = strides;
  c.conv.padding = padding;
  c.activation = activation;
  c.kernel_initializer.seed = seed;
  return c;
}
namespace detail {
inline tg_layer_config pooling(tg_layer_type type, std::array<int64_t, 2> pool_size, std::array<int64_t, 2> strides,
                               tg_padding padding) {
  tg_layer_config c = layer_config(type);
  c.pool.pool_size[0] = pool_size[0];
  c.pool.pool_size[1] = pool_size[1];
  c.pool.strides[0] = strides[0];
  c.pool.strides[1] = strides[1];
  c.pool.padding = padding;
  return c;
}
}  // namespace detail
// MaxPooling2D / AveragePooling2D(pool_size, strides ({0, 0}: the pool size), padding).
inline tg_layer_config MaxPooling2D(std::array<int64_t, 2> pool_size = {2, 2}, std::array<int64_t, 2> strides = {0, 0},
                                    tg_padding padding = TG_PADDING_VALID) {
  return detail::pooling(TG_LAYER_MAX_POOLING2D, pool_size, strides, padding);
}
inline tg_layer_config AveragePooling2D(std::array<int64_t, 2> pool_size = {2, 2},
                                        std::array<int64_t, 2> strides = {0, 0},
                                        tg_padding padding = TG_PADDING_VALID) {
  return detail::pooling(TG_LAYER_AVERAGE_POOLING2D, pool_size, strides, padding);
}
inline tg_layer_config GlobalAveragePooling2D(bool keepdims = false) {
  tg_layer_config c = layer_config(TG_LAYER_GLOBAL_AVERAGE_POOLING2D);
  c.pool.keepdims = keepdims ? 1 : 0;
  return c;
}
inline tg_layer_config GlobalMaxPooling2D(bool keepdims = false) {
  tg_layer_config c = layer_config(TG_LAYER_GLOBAL_MAX_POOLING2D);
  c.pool.keepdims = keepdims ? 1 : 0;
  return c;
}
// BatchNormalization(momentum, epsilon) over the last axis; other options in c.norm.
inline tg_layer_config BatchNormalization(double momentum = 0.99, double epsilon = 1e-3) {
  tg_layer_config c = layer_config(TG_LAYER_BATCH_NORMALIZATION);
  c.norm.momentum = momentum;
  c.norm.epsilon = epsilon;
  return c;
}
// LayerNormalization(epsilon) over the last axis; other options in c.norm.
inline tg_layer_config LayerNormalization(double epsilon = 1e-3) {
  tg_layer_config c = layer_config(TG_LAYER_LAYER_NORMALIZATION);
  c.norm.epsilon = epsilon;
  return c;
}
// Reshape(target_shape) without the batch dimension; one entry may be -1. More than
// TG_MAX_RANK − 1 entries: tg_layer_create's TG_INVALID_ARGUMENT.
inline tg_layer_config Reshape(std::initializer_list<int64_t> target_shape) {
  tg_layer_config c = layer_config(TG_LAYER_RESHAPE);
  c.reshape.rank = static_cast<int>(target_shape.size());
  int i = 0;
  for (const int64_t d : target_shape)
    if (i < TG_MAX_RANK - 1) c.reshape.target_shape[i++] = d;
  return c;
}

namespace detail {

// Fills a vector through a C "count, then fill" function: f(array, capacity, &count).
template <class W, class H, class F>
std::vector<W> handles(F&& f) {
  size_t count = 0;
  check(f(nullptr, 0, &count));
  std::vector<H*> raw(count, nullptr);
  check(f(raw.data(), raw.size(), &count));
  std::vector<W> out;
  out.reserve(raw.size());
  for (H* h : raw) out.emplace_back(h);
  return out;
}

}  // namespace detail

// A Keras layer (shared with the models that hold it).
class Layer : public detail::Owner<tg_layer, tg_layer_free> {
 public:
  using Owner::Owner;
  explicit Layer(const tg_layer_config& config)
      : Owner(detail::make<tg_layer>([&](tg_layer** out) { return tg_layer_create(&config, out); })) {}

  std::string name() const {
    const char* n = nullptr;
    check(tg_layer_name(get(), &n));
    return n;
  }
  // layer.kernel, layer.bias, layer.embeddings: the variable with that Keras name.
  Variable variable(const std::string& name) const {
    return Variable(detail::make<tg_variable>([&](tg_variable** out) { return tg_layer_variable(get(), name.c_str(), out); }));
  }
  std::vector<Variable> variables() const {
    return detail::handles<Variable, tg_variable>(
        [&](tg_variable** v, size_t n, size_t* count) { return tg_layer_variables(get(), v, n, count); });
  }
  bool trainable() const {
    int t = 0;
    check(tg_layer_trainable(get(), &t));
    return t != 0;
  }
  void set_trainable(bool trainable) { check(tg_layer_set_trainable(get(), trainable)); }
  void build(const Shape& input_shape) {
    check(tg_layer_build(get(), input_shape.data(), static_cast<int>(input_shape.size())));
  }
  Tensor operator()(const Tensor& x, bool training = false) {
    return detail::op([&](tg_tensor** out) { return tg_layer_call(get(), x.get(), training, out); });
  }
};

// ---- callbacks and history --------------------------------------------------------------------

// The logs of one callback event (valid during the callback only).
class Logs {
 public:
  explicit Logs(tg_logs* logs) : logs_(logs) {}
  double get(const std::string& name) const {
    double v = 0;
    check(tg_logs_get(logs_, name.c_str(), &v));
    return v;
  }
  void set(const std::string& name, double value) { check(tg_logs_set(logs_, name.c_str(), value)); }
  std::vector<std::pair<std::string, double>> items() const {
    size_t n = 0;
    check(tg_logs_size(logs_, &n));
    std::vector<std::pair<std::string, double>> out;
    for (size_t i = 0; i < n; ++i) {
      const char* name = nullptr;
      double value = 0;
      check(tg_logs_name(logs_, i, &name));
      check(tg_logs_value(logs_, i, &value));
      out.emplace_back(name, value);
    }
    return out;
  }

 private:
  tg_logs* logs_;
};

// The run a callback is called from: stop() is Keras's model.stop_training = True.
class Training {
 public:
  explicit Training(tg_training* training) : training_(training) {}
  void stop() { check(tg_training_stop(training_)); }

 private:
  tg_training* training_;
};

// A Keras callback: a function of yours, or a built-in one. An exception thrown by your
// function stops the run and is rethrown by fit / evaluate / predict.
class Callback : public detail::Owner<tg_callback, tg_callback_free> {
 public:
  using Function = std::function<void(tg_callback_event event, int64_t index, Logs& logs, Training& training)>;

  explicit Callback(Function fn) : state_(new State{std::move(fn), nullptr}) {
    static_cast<Owner&>(*this) = Owner(detail::make<tg_callback>(
        [&](tg_callback** out) { return tg_callback_create(&Callback::trampoline, state_.get(), out); }));
  }
  static Callback progress_bar(std::FILE* stream = stdout, int verbose = 1) {
    return Callback(detail::make<tg_callback>([&](tg_callback** out) { return tg_callback_progress_bar(stream, verbose, out); }));
  }
  // options: from tg_early_stopping_options_init, then changed (see early_stopping_options()).
  static Callback early_stopping(const tg_early_stopping_options& options) {
    return Callback(detail::make<tg_callback>([&](tg_callback** out) { return tg_callback_early_stopping(&options, out); }));
  }
  static Callback model_checkpoint(const tg_model_checkpoint_options& options) {
    return Callback(detail::make<tg_callback>([&](tg_callback** out) { return tg_callback_model_checkpoint(&options, out); }));
  }

  // Rethrows what this callback's function threw in the last run, if anything.
  void rethrow_if_failed() {
    if (state_ && state_->error) std::rethrow_exception(std::exchange(state_->error, nullptr));
  }

 private:
  struct State {
    Function fn;
    std::exception_ptr error;
  };
  explicit Callback(tg_callback* handle) : Owner(handle) {}

  static tg_status trampoline(tg_training* training, tg_callback_event event, int64_t index, tg_logs* logs,
                              void* user_data) {
    auto* state = static_cast<State*>(user_data);
    try {
      Logs l(logs);
      Training t(training);
      state->fn(event, index, l, t);
      return TG_OK;
    } catch (...) {  // why: no exception may cross the C library
      state->error = std::current_exception();
      return TG_INVALID_STATE;
    }
  }

  std::unique_ptr<State> state_;  // owned here, so its address stays valid when moved
};

inline tg_early_stopping_options early_stopping_options() {
  tg_early_stopping_options o;
  check(tg_early_stopping_options_init(&o));
  return o;
}
inline tg_model_checkpoint_options model_checkpoint_options(const char* filepath) {
  tg_model_checkpoint_options o;
  check(tg_model_checkpoint_options_init(&o));
  o.filepath = filepath;
  return o;
}

// What fit returns (Keras's History): history.epoch and history.history[key].
class History : public detail::Owner<tg_history, tg_history_free> {
 public:
  using Owner::Owner;
  std::vector<int64_t> epochs() const {
    size_t n = 0;
    check(tg_history_epochs(get(), nullptr, 0, &n));
    std::vector<int64_t> out(n);
    check(tg_history_epochs(get(), out.data(), out.size(), &n));
    return out;
  }
  std::vector<std::string> keys() const {
    size_t n = 0;
    check(tg_history_num_keys(get(), &n));
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) {
      const char* key = nullptr;
      check(tg_history_key(get(), i, &key));
      out.emplace_back(key);
    }
    return out;
  }
  std::vector<double> values(const std::string& key) const {
    size_t n = 0;
    check(tg_history_values(get(), key.c_str(), nullptr, 0, &n));
    std::vector<double> out(n);
    check(tg_history_values(get(), key.c_str(), out.data(), out.size(), &n));
    return out;
  }
};

// tg_fit_options with Keras's defaults; set the fields that differ (callbacks go to fit()).
struct FitOptions : tg_fit_options {
  FitOptions() { check(tg_fit_options_init(this)); }
};

// ---- models ---------------------------------------------------------------------------------

// A Keras Sequential (or the seed notebook's MyModel): layers run in order.
class Model : public detail::Owner<tg_model, tg_model_free> {
 public:
  // name empty: Keras's automatic "sequential", "sequential_1", ...
  explicit Model(const std::string& name = "")
      : Owner(detail::make<tg_model>([&](tg_model** out) { return tg_model_create(name.empty() ? nullptr : name.c_str(), out); })) {}

  // model.add(Dense(...)); returns the new layer.
  Layer add(const tg_layer_config& config) {
    return Layer(detail::make<tg_layer>([&](tg_layer** out) { return tg_model_add(get(), &config, out); }));
  }
  // model.add(layer) with an existing layer, shared.
  void add(const Layer& layer) { check(tg_model_add_layer(get(), layer.get())); }
  void build(const Shape& input_shape) {
    check(tg_model_build(get(), input_shape.data(), static_cast<int>(input_shape.size())));
  }
  Tensor operator()(const Tensor& x, bool training = false) {
    return detail::op([&](tg_tensor** out) { return tg_model_call_ex(get(), x.get(), training, out); });
  }

  size_t num_layers() const {
    size_t n = 0;
    check(tg_model_num_layers(get(), &n));
    return n;
  }
  Layer layer(size_t index) const {
    return Layer(detail::make<tg_layer>([&](tg_layer** out) { return tg_model_layer(get(), index, out); }));
  }
  Layer layer(const std::string& name) const {
    return Layer(detail::make<tg_layer>([&](tg_layer** out) { return tg_model_layer_by_name(get(), name.c_str(), out); }));
  }
  std::vector<Variable> trainable_variables() const {
    return detail::handles<Variable, tg_variable>(
        [&](tg_variable** v, size_t n, size_t* count) { return tg_model_trainable_variables(get(), v, n, count); });
  }
  std::vector<Tensor> get_weights() const {
    return detail::handles<Tensor, tg_tensor>(
        [&](tg_tensor** w, size_t n, size_t* count) { return tg_model_get_weights(get(), w, n, count); });
  }
  void set_weights(const std::vector<Tensor>& weights) {
    std::vector<tg_tensor*> raw;
    for (const Tensor& w : weights) raw.push_back(w.get());
    check(tg_model_set_weights(get(), raw.data(), raw.size()));
  }
  // Keras's summary table.
  std::string summary() const {
    size_t length = 0;
    check(tg_model_summary_text(get(), nullptr, 0, &length));
    std::string text(length, '\0');
    check(tg_model_summary_text(get(), text.data(), length + 1, &length));  // writes the NUL at text[length]
    return text;
  }
  // Structural checkpoints; optimizer: also save / load its state.
  void save_weights(const std::string& path, const Optimizer* optimizer = nullptr) const {
    check(tg_model_save_weights(get(), path.c_str(), optimizer ? optimizer->get() : nullptr));
  }
  void load_weights(const std::string& path, Optimizer* optimizer = nullptr) {
    check(tg_model_load_weights(get(), path.c_str(), optimizer ? optimizer->get() : nullptr));
  }

  // model.fit: the callbacks run in order (Keras's callbacks=[...]); a callback's exception is
  // rethrown here.
  History fit(const Loss& loss, Optimizer& optimizer, const std::vector<Metric*>& metrics, const Tensor& x,
              const Tensor& y, FitOptions options = FitOptions(), const std::vector<Callback*>& callbacks = {}) {
    std::vector<tg_callback*> raw_callbacks;
    for (Callback* c : callbacks) raw_callbacks.push_back(c->get());
    options.callbacks = raw_callbacks.data();
    options.num_callbacks = raw_callbacks.size();
    std::vector<tg_metric*> raw = raw_metrics(metrics);
    tg_history* history = nullptr;
    const tg_status status = tg_model_fit(get(), loss.get(), optimizer.get(), raw.data(), raw.size(), x.get(),
                                          y.get(), &options, &history);
    finish(status, callbacks);
    return History(history);
  }
  // model.evaluate: {loss, metric 0, metric 1, ...}.
  std::vector<double> evaluate(const Loss& loss, const std::vector<Metric*>& metrics, const Tensor& x,
                               const Tensor& y, size_t batch_size = 32) {
    tg_evaluate_options options;
    check(tg_evaluate_options_init(&options));
    options.batch_size = batch_size;
    std::vector<tg_metric*> raw = raw_metrics(metrics);
    std::vector<double> results(raw.size() + 1);
    check(tg_model_evaluate(get(), loss.get(), raw.data(), raw.size(), x.get(), y.get(), &options,
                            results.data(), results.size()));
    return results;
  }
  Tensor predict(const Tensor& x, size_t batch_size = 32) {
    tg_predict_options options;
    check(tg_predict_options_init(&options));
    options.batch_size = batch_size;
    return detail::op([&](tg_tensor** out) { return tg_model_predict(get(), x.get(), &options, out); });
  }
  // One training step of your own loop; returns the batch's loss.
  double train_step(const Loss& loss, Optimizer& optimizer, const std::vector<Metric*>& metrics, const Tensor& x,
                    const Tensor& y) {
    std::vector<tg_metric*> raw = raw_metrics(metrics);
    double value = 0;
    check(tg_model_train_step(get(), loss.get(), optimizer.get(), raw.data(), raw.size(), x.get(), y.get(),
                              nullptr, &value));
    return value;
  }

 private:
  static std::vector<tg_metric*> raw_metrics(const std::vector<Metric*>& metrics) {
    std::vector<tg_metric*> raw;
    for (Metric* m : metrics) raw.push_back(m->get());
    return raw;
  }
  static void finish(tg_status status, const std::vector<Callback*>& callbacks) {
    for (Callback* c : callbacks) c->rethrow_if_failed();
    check(status);
  }
};

}  // namespace tapegrad

#endif  // TAPEGRAD_TAPEGRAD_MODEL_HPP
