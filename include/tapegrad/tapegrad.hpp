// SPDX-License-Identifier: Apache-2.0
// tapegrad.hpp — a header-only C++17 wrapper of the C ABI in tapegrad.h.
//
// Every object owns one C handle and frees it in its destructor (RAII); objects are move-only,
// and a moved-from object holds no handle. Every failing call throws tapegrad::Error, which
// carries the tg_status and the library's message. Nothing here adds behaviour: each function
// is the C function of the same name (see tapegrad.h for its contract), so the library alone
// is linked, and what holds for the C ABI (threads, ownership of values) holds here.
//
//   namespace tg = tapegrad;
//   tg::Tensor x = tg::Tensor::scalar(3.0);
//   tg::GradientTape g;                     // recording, as `with tf.GradientTape() as g:`
//   g.watch(x);
//   tg::Tensor y = x * x;
//   double dy_dx = g.gradient(y, x).item(); // 6
//
// examples/seed_notebook.cpp trains the seed notebook's model in a dozen lines.
// Scopes (tg_scope_*) are not wrapped: RAII frees every intermediate already.
#ifndef TAPEGRAD_TAPEGRAD_HPP
#define TAPEGRAD_TAPEGRAD_HPP

#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapegrad/tapegrad.h"

namespace tapegrad {

// ---- errors ---------------------------------------------------------------------------------

// What every wrapper function throws when the C call returns a status other than TG_OK.
class Error : public std::runtime_error {
 public:
  Error(tg_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  tg_status status() const noexcept { return status_; }
  const char* status_name() const noexcept { return tg_status_string(status_); }

 private:
  tg_status status_;
};

inline void check(tg_status status) {
  if (status != TG_OK) throw Error(status, tg_last_error_message());
}

using Shape = std::vector<int64_t>;

// As Python prints a shape: "(32, 10)", "(10,)", "()".
inline std::string shape_str(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

namespace detail {

// A move-only owner of one C handle, freed with Free in the destructor.
template <class H, tg_status (*Free)(H*)>
class Owner {
 public:
  Owner() = default;
  explicit Owner(H* handle) noexcept : handle_(handle) {}
  Owner(Owner&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Owner& operator=(Owner&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Owner(const Owner&) = delete;
  Owner& operator=(const Owner&) = delete;
  ~Owner() { reset(); }

  H* get() const noexcept { return handle_; }
  // Gives up ownership: the caller frees the handle.
  H* release() noexcept { return std::exchange(handle_, nullptr); }
  explicit operator bool() const noexcept { return handle_ != nullptr; }

 protected:
  void reset() noexcept {
    if (handle_) Free(handle_);  // a status here has nowhere to go; handles are checked
    handle_ = nullptr;
  }

 private:
  H* handle_ = nullptr;
};

// Calls f(&out) and returns out, checking the status.
template <class T, class F>
T* make(F&& f) {
  T* out = nullptr;
  check(f(&out));
  return out;
}

}  // namespace detail

// ---- tensors --------------------------------------------------------------------------------

template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr tg_dtype value = TG_FLOAT32; };
template <> struct dtype_of<double> { static constexpr tg_dtype value = TG_FLOAT64; };
template <> struct dtype_of<int32_t> { static constexpr tg_dtype value = TG_INT32; };
template <> struct dtype_of<int64_t> { static constexpr tg_dtype value = TG_INT64; };

// An immutable n-dimensional array (tf.Tensor). A default-constructed or moved-from Tensor, or
// a gradient that does not exist (TF's None), holds no handle: operator bool is false.
class Tensor : public detail::Owner<tg_tensor, tg_tensor_free> {
 public:
  using Owner::Owner;

  // Copies `values` (row-major, shape-product elements) into a new tensor of their dtype.
  // Throws TG_INVALID_ARGUMENT if the counts differ (the C call would read past the values).
  template <class T>
  static Tensor from(const std::vector<T>& values, const Shape& shape) {
    int64_t count = 1;
    for (int64_t d : shape) count *= d < 0 ? 0 : d;
    if (static_cast<size_t>(count) != values.size())
      throw Error(TG_INVALID_ARGUMENT, "[Tensor::from] " + std::to_string(values.size()) +
                                           " values for shape " + shape_str(shape));
    return Tensor(detail::make<tg_tensor>([&](tg_tensor** out) {
      return tg_tensor_create(dtype_of<T>::value, shape.data(), static_cast<int>(shape.size()),
                              values.data(), out);
    }));
  }
  static Tensor scalar(double value, tg_dtype dtype = TG_FLOAT32) {
    return Tensor(detail::make<tg_tensor>([&](tg_tensor** out) { return tg_tensor_scalar(dtype, value, out); }));
  }
  static Tensor fill(const Shape& shape, double value, tg_dtype dtype = TG_FLOAT32) {
    return Tensor(detail::make<tg_tensor>([&](tg_tensor** out) {
      return tg_tensor_fill(dtype, shape.data(), static_cast<int>(shape.size()), value, out);
    }));
  }

  tg_dtype dtype() const {
    tg_dtype d;
    check(tg_tensor_dtype(get(), &d));
    return d;
  }
  Shape shape() const {
    int rank = 0;
    check(tg_tensor_rank(get(), &rank));
    Shape dims(static_cast<size_t>(rank));
    check(tg_tensor_shape(get(), dims.data(), dims.size()));
    return dims;
  }
  size_t size() const {
    size_t n = 0;
    check(tg_tensor_size(get(), &n));
    return n;
  }
  // The one element of a one-element tensor.
  double item() const {
    double v = 0;
    check(tg_tensor_item(get(), &v));
    return v;
  }
  // The elements, copied; T must be the tensor's element type.
  template <class T>
  std::vector<T> values() const {
    std::vector<T> out(size());
    check(tg_tensor_copy_data(get(), out.data(), out.size() * sizeof(T)));
    return out;
  }
  // A new handle to the same value (tensors are immutable, so this is a cheap copy).
  Tensor clone() const {
    return Tensor(detail::make<tg_tensor>([&](tg_tensor** out) { return tg_identity(get(), out); }));
  }
};

namespace detail {

template <class F>
Tensor op(F&& f) {
  return Tensor(make<tg_tensor>(std::forward<F>(f)));
}

// A Python-style scalar operand: a tensor of `like`'s dtype, as TensorFlow converts it.
inline Tensor scalar_like(double value, const Tensor& like) { return Tensor::scalar(value, like.dtype()); }

}  // namespace detail

using BinaryOp = tg_status (*)(const tg_tensor*, const tg_tensor*, tg_tensor**);
using UnaryOp = tg_status (*)(const tg_tensor*, tg_tensor**);

inline Tensor binary(BinaryOp f, const Tensor& a, const Tensor& b) {
  return detail::op([&](tg_tensor** out) { return f(a.get(), b.get(), out); });
}
inline Tensor unary(UnaryOp f, const Tensor& x) {
  return detail::op([&](tg_tensor** out) { return f(x.get(), out); });
}

// Operators broadcast as NumPy does; a scalar operand takes the tensor's dtype (x * 2 with a
// float32 x multiplies by a float32 2, as in TensorFlow).
inline Tensor operator+(const Tensor& a, const Tensor& b) { return binary(tg_add, a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return binary(tg_sub, a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return binary(tg_mul, a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return binary(tg_div, a, b); }
inline Tensor operator+(const Tensor& a, double b) { return a + detail::scalar_like(b, a); }
inline Tensor operator-(const Tensor& a, double b) { return a - detail::scalar_like(b, a); }
inline Tensor operator*(const Tensor& a, double b) { return a * detail::scalar_like(b, a); }
inline Tensor operator/(const Tensor& a, double b) { return a / detail::scalar_like(b, a); }
inline Tensor operator+(double a, const Tensor& b) { return detail::scalar_like(a, b) + b; }
inline Tensor operator-(double a, const Tensor& b) { return detail::scalar_like(a, b) - b; }
inline Tensor operator*(double a, const Tensor& b) { return detail::scalar_like(a, b) * b; }
inline Tensor operator/(double a, const Tensor& b) { return detail::scalar_like(a, b) / b; }
inline Tensor operator-(const Tensor& x) { return unary(tg_neg, x); }

// Elementwise functions (tf.math, tf.nn): each calls tg_<name>.
inline Tensor exp(const Tensor& x) { return unary(tg_exp, x); }
inline Tensor log(const Tensor& x) { return unary(tg_log, x); }
inline Tensor relu(const Tensor& x) { return unary(tg_relu, x); }
inline Tensor abs(const Tensor& x) { return unary(tg_abs, x); }
inline Tensor square(const Tensor& x) { return unary(tg_square, x); }
inline Tensor sqrt(const Tensor& x) { return unary(tg_sqrt, x); }
inline Tensor tanh(const Tensor& x) { return unary(tg_tanh, x); }
inline Tensor sigmoid(const Tensor& x) { return unary(tg_sigmoid, x); }
inline Tensor softplus(const Tensor& x) { return unary(tg_softplus, x); }
inline Tensor stop_gradient(const Tensor& x) { return unary(tg_stop_gradient, x); }
inline Tensor pow(const Tensor& x, const Tensor& y) { return binary(tg_pow, x, y); }
inline Tensor maximum(const Tensor& x, const Tensor& y) { return binary(tg_maximum, x, y); }
inline Tensor minimum(const Tensor& x, const Tensor& y) { return binary(tg_minimum, x, y); }
inline Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false) {
  return detail::op([&](tg_tensor** out) { return tg_matmul(a.get(), b.get(), transpose_a, transpose_b, out); });
}
// axes empty: every axis.
inline Tensor reduce_sum(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdims = false) {
  return detail::op([&](tg_tensor** out) { return tg_reduce_sum(x.get(), axes.data(), axes.size(), keepdims, out); });
}
inline Tensor reduce_mean(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdims = false) {
  return detail::op([&](tg_tensor** out) { return tg_reduce_mean(x.get(), axes.data(), axes.size(), keepdims, out); });
}
inline Tensor reduce_max(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdims = false) {
  return detail::op([&](tg_tensor** out) { return tg_reduce_max(x.get(), axes.data(), axes.size(), keepdims, out); });
}
inline Tensor softmax(const Tensor& x, int64_t axis = -1) {
  return detail::op([&](tg_tensor** out) { return tg_softmax(x.get(), axis, out); });
}
inline Tensor log_softmax(const Tensor& x, int64_t axis = -1) {
  return detail::op([&](tg_tensor** out) { return tg_log_softmax(x.get(), axis, out); });
}
inline Tensor argmax(const Tensor& x, int64_t axis = -1) {
  return detail::op([&](tg_tensor** out) { return tg_argmax(x.get(), axis, out); });
}
inline Tensor reshape(const Tensor& x, const Shape& shape) {
  return detail::op([&](tg_tensor** out) { return tg_reshape(x.get(), shape.data(), static_cast<int>(shape.size()), out); });
}
inline Tensor transpose(const Tensor& x) {
  return detail::op([&](tg_tensor** out) { return tg_transpose(x.get(), nullptr, 0, out); });
}
inline Tensor cast(const Tensor& x, tg_dtype dtype) {
  return detail::op([&](tg_tensor** out) { return tg_cast(x.get(), dtype, out); });
}
inline Tensor zeros(const Shape& shape, tg_dtype dtype = TG_FLOAT32) {
  return detail::op([&](tg_tensor** out) { return tg_zeros(dtype, shape.data(), static_cast<int>(shape.size()), out); });
}
inline Tensor ones(const Shape& shape, tg_dtype dtype = TG_FLOAT32) {
  return detail::op([&](tg_tensor** out) { return tg_ones(dtype, shape.data(), static_cast<int>(shape.size()), out); });
}
// U[minval, maxval), deterministic from seed (tf.random.stateless_uniform).
inline Tensor random_uniform(const Shape& shape, double minval, double maxval, uint64_t seed,
                             tg_dtype dtype = TG_FLOAT32) {
  return detail::op([&](tg_tensor** out) {
    return tg_random_uniform(dtype, shape.data(), static_cast<int>(shape.size()), minval, maxval, seed, out);
  });
}
inline Tensor random_normal(const Shape& shape, double mean, double stddev, uint64_t seed,
                            tg_dtype dtype = TG_FLOAT32) {
  return detail::op([&](tg_tensor** out) {
    return tg_random_normal(dtype, shape.data(), static_cast<int>(shape.size()), mean, stddev, seed, out);
  });
}

// ---- variables ------------------------------------------------------------------------------

// A named, mutable tensor (tf.Variable). Several Variable objects may hold the same variable
// (each its own handle): compare id()s.
class Variable : public detail::Owner<tg_variable, tg_variable_free> {
 public:
  using Owner::Owner;
  Variable(const std::string& name, const Tensor& initial, bool trainable = true)
      : Owner(detail::make<tg_variable>([&](tg_variable** out) {
          return tg_variable_create(name.c_str(), initial.get(), trainable, out);
        })) {}

  // The value, recorded on recording tapes (so gradients reach the variable).
  Tensor read() const {
    return detail::op([&](tg_tensor** out) { return tg_variable_read(get(), out); });
  }
  // The value, recorded on no tape.
  Tensor value() const {
    return detail::op([&](tg_tensor** out) { return tg_variable_value(get(), out); });
  }
  void assign(const Tensor& value) { check(tg_variable_assign(get(), value.get())); }
  std::string name() const {
    const char* n = nullptr;
    check(tg_variable_name(get(), &n));
    return n;
  }
  uint64_t id() const {
    uint64_t v = 0;
    check(tg_variable_id(get(), &v));
    return v;
  }
  Shape shape() const {
    int rank = 0;
    check(tg_variable_rank(get(), &rank));
    Shape dims(static_cast<size_t>(rank));
    check(tg_variable_shape(get(), dims.data(), dims.size()));
    return dims;
  }
  tg_dtype dtype() const {
    tg_dtype d;
    check(tg_variable_dtype(get(), &d));
    return d;
  }
};

// ---- the gradient tape ----------------------------------------------------------------------

// tf.GradientTape as a scoped object: recording from construction until stop() or the
// destructor. gradient() of a non-persistent tape stops its recording first, as in TensorFlow.
class GradientTape : public detail::Owner<tg_tape, tg_tape_free> {
 public:
  explicit GradientTape(bool persistent = false, bool watch_accessed_variables = true)
      : Owner(detail::make<tg_tape>([&](tg_tape** out) {
          return tg_tape_begin((persistent ? TG_TAPE_PERSISTENT : 0u) |
                                   (watch_accessed_variables ? 0u : TG_TAPE_NO_WATCH_ACCESSED_VARIABLES),
                               out);
        })) {}

  void watch(const Tensor& x) { check(tg_tape_watch(get(), x.get())); }
  void watch(const Variable& v) { check(tg_tape_watch(get(), v.get())); }
  // Leaves the `with` block (recording stops; the record stays for gradient()).
  void stop() { check(tg_tape_end(get())); }
  bool is_recording() const {
    int r = 0;
    check(tg_tape_is_recording(get(), &r));
    return r != 0;
  }

  // d target / d source; an empty Tensor where the target does not depend on it.
  Tensor gradient(const Tensor& target, const Tensor& source) { return std::move(gradient_of(target.get(), {source.get()})[0]); }
  Tensor gradient(const Tensor& target, const Variable& source) { return std::move(gradient_of(target.get(), {source.get()})[0]); }
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Variable>& sources) {
    std::vector<const void*> handles;
    for (const Variable& v : sources) handles.push_back(v.get());
    return gradient_of(target.get(), handles);
  }
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<const Tensor*>& sources) {
    std::vector<const void*> handles;
    for (const Tensor* t : sources) handles.push_back(t->get());
    return gradient_of(target.get(), handles);
  }

 private:
  std::vector<Tensor> gradient_of(const void* target, const std::vector<const void*>& sources) {
    std::vector<tg_tensor*> raw(sources.size(), nullptr);
    check(tg_tape_gradient(get(), &target, 1, sources.data(), sources.size(), raw.data()));
    std::vector<Tensor> out;
    out.reserve(raw.size());
    for (tg_tensor* g : raw) out.emplace_back(g);
    return out;
  }
};

// ---- losses, metrics, optimizers --------------------------------------------------------------

// A Keras loss object: loss(y_true, y_pred[, sample_weight]).
class Loss : public detail::Owner<tg_loss, tg_loss_free> {
 public:
  using Owner::Owner;
  static Loss categorical_crossentropy(bool from_logits = false, double label_smoothing = 0,
                                       tg_reduction reduction = TG_REDUCTION_AUTO) {
    return Loss(detail::make<tg_loss>([&](tg_loss** out) {
      return tg_loss_categorical_crossentropy(from_logits, label_smoothing, reduction, out);
    }));
  }
  static Loss sparse_categorical_crossentropy(bool from_logits = false, tg_reduction reduction = TG_REDUCTION_AUTO) {
    return Loss(detail::make<tg_loss>([&](tg_loss** out) {
      return tg_loss_sparse_categorical_crossentropy(from_logits, 0, 0, reduction, out);
    }));
  }
  static Loss binary_crossentropy(bool from_logits = false, double label_smoothing = 0,
                                  tg_reduction reduction = TG_REDUCTION_AUTO) {
    return Loss(detail::make<tg_loss>([&](tg_loss** out) {
      return tg_loss_binary_crossentropy(from_logits, label_smoothing, reduction, out);
    }));
  }
  static Loss mean_squared_error(tg_reduction reduction = TG_REDUCTION_AUTO) {
    return Loss(detail::make<tg_loss>([&](tg_loss** out) { return tg_loss_mean_squared_error(reduction, out); }));
  }
  static Loss mean_absolute_error(tg_reduction reduction = TG_REDUCTION_AUTO) {
    return Loss(detail::make<tg_loss>([&](tg_loss** out) { return tg_loss_mean_absolute_error(reduction, out); }));
  }
  static Loss huber(double delta = 1.0, tg_reduction reduction = TG_REDUCTION_AUTO) {
    return Loss(detail::make<tg_loss>([&](tg_loss** out) { return tg_loss_huber(delta, reduction, out); }));
  }

  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor* sample_weight = nullptr) const {
    return detail::op([&](tg_tensor** out) {
      return tg_loss_call(get(), y_true.get(), y_pred.get(), sample_weight ? sample_weight->get() : nullptr, out);
    });
  }
};

// A stateful Keras metric: update(), result(), reset().
class Metric : public detail::Owner<tg_metric, tg_metric_free> {
 public:
  using Owner::Owner;
  // Keras's metrics=["accuracy"]: binary, sparse categorical or categorical from the shapes.
  static Metric accuracy() { return Metric(detail::make<tg_metric>(tg_metric_auto_accuracy)); }
  static Metric categorical_accuracy() { return Metric(detail::make<tg_metric>(tg_metric_categorical_accuracy)); }
  static Metric sparse_categorical_accuracy() {
    return Metric(detail::make<tg_metric>(tg_metric_sparse_categorical_accuracy));
  }
  static Metric binary_accuracy(double threshold = 0.5) {
    return Metric(detail::make<tg_metric>([&](tg_metric** out) { return tg_metric_binary_accuracy(threshold, out); }));
  }

  void update(const Tensor& y_true, const Tensor& y_pred) { check(tg_metric_update(get(), y_true.get(), y_pred.get(), nullptr)); }
  double result() const {
    double v = 0;
    check(tg_metric_result(get(), &v));
    return v;
  }
  void reset() { check(tg_metric_reset(get())); }
  std::string name() const {
    const char* n = nullptr;
    check(tg_metric_name(get(), &n));
    return n;
  }
};

// A Keras optimizer by name ("sgd", "adam", "adamw", "rmsprop", "adagrad") with Keras's
// defaults; set() any hyperparameter by its Keras name: Optimizer("adam").set("learning_rate", 0.01).
class Optimizer : public detail::Owner<tg_optimizer, tg_optimizer_free> {
 public:
  explicit Optimizer(const std::string& name)
      : Owner(detail::make<tg_optimizer>([&](tg_optimizer** out) { return tg_optimizer_create(name.c_str(), out); })) {}

  Optimizer& set(const std::string& name, double value) {
    check(tg_optimizer_set(get(), name.c_str(), value));
    return *this;
  }
  double get_hyperparameter(const std::string& name) const {
    double v = 0;
    check(tg_optimizer_get(get(), name.c_str(), &v));
    return v;
  }
  // optimizer.apply_gradients(zip(gradients, variables)); returns the iteration count. Empty
  // gradients are skipped (with Keras's warning).
  int64_t apply_gradients(const std::vector<Tensor>& gradients, const std::vector<Variable>& variables) {
    if (gradients.size() != variables.size())
      throw Error(TG_INVALID_ARGUMENT, "apply_gradients: " + std::to_string(gradients.size()) +
                                           " gradients for " + std::to_string(variables.size()) + " variables");
    std::vector<tg_tensor*> g;
    std::vector<tg_variable*> v;
    for (size_t i = 0; i < variables.size(); ++i) {
      g.push_back(gradients[i].get());
      v.push_back(variables[i].get());
    }
    int64_t iterations = 0;
    check(tg_optimizer_apply(get(), v.data(), g.data(), v.size(), &iterations));
    return iterations;
  }
  int64_t iterations() const {
    int64_t n = 0;
    check(tg_optimizer_iterations(get(), &n));
    return n;
  }
};

}  // namespace tapegrad

#include "tapegrad/tapegrad_model.hpp"

#endif  // TAPEGRAD_TAPEGRAD_HPP
