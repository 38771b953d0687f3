// SPDX-License-Identifier: Apache-2.0
// Tensors: creation (copying or wrapping caller memory), metadata, element access, random
// tensors. Thin shims over src/tensor: validate, compute into locals, write out-params last.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "handles.h"
#include "tensor/random.h"

namespace {

using tg::capi::tensor_arg;

using tg::capi::dtype_arg;
using tg::capi::shape_arg;
using tg::capi::new_tensor_handle;

using tg::DType;
using tg::Shape;
using tg::Status;
using tg::Tensor;



// A fill value must be representable in an integer dtype (converting it otherwise is
// undefined behaviour in C++, and TensorFlow rejects it too).
void check_value_fits(DType dtype, double value) {
  bool fits = true;
  if (dtype == DType::i32) fits = value > -2147483649.0 && value < 2147483648.0;
  if (dtype == DType::i64) fits = value >= -0x1p63 && value < 0x1p63;
  if (!fits)
    tg::fail(Status::invalid_argument, "value {} does not fit in {}", value, tg::dtype_name(dtype));
}



}  // namespace

extern "C" {

// ---- creation ----

tg_status tg_tensor_create(tg_dtype dtype, const int64_t* shape, int rank, const void* data,
                           tg_tensor** out) {
  return tg::capi::guard("tg_tensor_create", [&] {
    tg_tensor*& o = tg::capi::require_out(out, "out");
    const DType dt = dtype_arg(dtype);
    const Shape s = shape_arg(shape, rank);
    if (!data && s.numel() > 0)
      tg::fail(Status::invalid_argument, "data is NULL for a tensor of shape {} ({} elements)",
               s.str(), s.numel());
    Tensor t = Tensor::from_data(s, dt, data);
    if (dt == tg::DType::boolean) {  // why: kernels read bool bytes as C++ bool, defined only for 0 and 1
      auto* p = static_cast<unsigned char*>(t.mutable_raw());
      for (int64_t i = 0; i < s.numel(); ++i) p[i] = p[i] != 0;
    }
    o = new_tensor_handle(std::move(t));
  });
}

tg_status tg_tensor_wrap(tg_dtype dtype, const int64_t* shape, int rank, void* data,
                         tg_deleter deleter, void* context, tg_tensor** out) {
  return tg::capi::guard("tg_tensor_wrap", [&] {
    tg_tensor*& o = tg::capi::require_out(out, "out");
    const DType dt = dtype_arg(dtype);
    const Shape s = shape_arg(shape, rank);
    const size_t itemsize = tg::dtype_size(dt);
    const size_t bytes = static_cast<size_t>(s.numel()) * itemsize;
    if (!data && bytes > 0)
      tg::fail(Status::invalid_argument, "data is NULL for a tensor of shape {} ({} elements)",
               s.str(), s.numel());
    if (reinterpret_cast<uintptr_t>(data) % itemsize != 0)
      tg::fail(Status::invalid_argument, "data {} is not aligned to the {}-byte size of {}", data,
               itemsize, tg::dtype_name(dt));
    if (dt == tg::DType::boolean) tg::capi::check_bool_bytes(data, bytes, "data");
    // why: on error the caller keeps the memory and the deleter must not run, but a Storage
    // runs its deleter whenever it is destroyed, also when a later step here fails. So the
    // deleter stays disarmed until the handle exists.
    auto armed = std::make_shared<std::atomic<bool>>(false);
    tg::Storage::Deleter del;
    if (deleter)
      del = [deleter, context, armed](void* p) {
        if (armed->load()) deleter(p, context);
      };
    tg_tensor* h = new_tensor_handle(
        Tensor::from_storage(tg::Storage::wrap(data, bytes, std::move(del)), s, dt));
    armed->store(true);
    o = h;
  });
}

tg_status tg_tensor_scalar(tg_dtype dtype, double value, tg_tensor** out) {
  return tg::capi::guard("tg_tensor_scalar", [&] {
    tg_tensor*& o = tg::capi::require_out(out, "out");
    const DType dt = dtype_arg(dtype);
    check_value_fits(dt, value);
    tg_tensor* h = new_tensor_handle(Tensor::scalar(value, dt));
    o = h;
  });
}

tg_status tg_tensor_fill(tg_dtype dtype, const int64_t* shape, int rank, double value,
                         tg_tensor** out) {
  return tg::capi::guard("tg_tensor_fill", [&] {
    tg_tensor*& o = tg::capi::require_out(out, "out");
    const DType dt = dtype_arg(dtype);
    const Shape s = shape_arg(shape, rank);
    check_value_fits(dt, value);
    tg_tensor* h = new_tensor_handle(Tensor::full(s, dt, value));
    o = h;
  });
}

tg_status tg_tensor_free(tg_tensor* tensor) {
  return tg::capi::guard("tg_tensor_free",
                         [&] { tg::capi::free_handle<tg_tensor>(tensor, "tensor"); });
}

// ---- metadata ----

tg_status tg_tensor_dtype(const tg_tensor* tensor, tg_dtype* out) {
  return tg::capi::guard("tg_tensor_dtype", [&] {
    const Tensor& t = tensor_arg(tensor, "tensor");
    tg_dtype& o = tg::capi::require_out(out, "out");
    o = static_cast<tg_dtype>(static_cast<int>(t.dtype()));
  });
}

tg_status tg_tensor_rank(const tg_tensor* tensor, int* out) {
  return tg::capi::guard("tg_tensor_rank", [&] {
    const Tensor& t = tensor_arg(tensor, "tensor");
    int& o = tg::capi::require_out(out, "out");
    o = t.rank();
  });
}

tg_status tg_tensor_shape(const tg_tensor* tensor, int64_t* dims, size_t capacity) {
  return tg::capi::guard("tg_tensor_shape", [&] {
    const Tensor& t = tensor_arg(tensor, "tensor");
    if (!dims && t.rank() > 0) tg::fail(Status::invalid_argument, "dims (output array) is NULL");
    if (capacity < static_cast<size_t>(t.rank()))
      tg::fail(Status::invalid_argument, "capacity {} is smaller than the rank {} of shape {}",
               capacity, t.rank(), t.shape().str());
    const auto d = t.shape().dims();
    std::copy(d.begin(), d.end(), dims);
  });
}

tg_status tg_tensor_size(const tg_tensor* tensor, size_t* out) {
  return tg::capi::guard("tg_tensor_size", [&] {
    const Tensor& t = tensor_arg(tensor, "tensor");
    size_t& o = tg::capi::require_out(out, "out");
    o = static_cast<size_t>(t.numel());
  });
}

// ---- elements ----

tg_status tg_tensor_copy_data(const tg_tensor* tensor, void* dst, size_t dst_bytes) {
  return tg::capi::guard("tg_tensor_copy_data", [&] {
    const Tensor& t = tensor_arg(tensor, "tensor");
    if (!dst) tg::fail(Status::invalid_argument, "dst is NULL");
    if (dst_bytes < t.nbytes())
      tg::fail(Status::invalid_argument, "dst has {} bytes, the {} tensor of shape {} needs {}",
               dst_bytes, tg::dtype_name(t.dtype()), t.shape().str(), t.nbytes());
    if (t.nbytes() > 0) std::memcpy(dst, t.raw(), t.nbytes());
  });
}

tg_status tg_tensor_data(const tg_tensor* tensor, const void** out) {
  return tg::capi::guard("tg_tensor_data", [&] {
    const Tensor& t = tensor_arg(tensor, "tensor");
    const void*& o = tg::capi::require_out(out, "out");
    o = t.raw();
  });
}

tg_status tg_tensor_item(const tg_tensor* tensor, double* out) {
  return tg::capi::guard("tg_tensor_item", [&] {
    const Tensor& t = tensor_arg(tensor, "tensor");
    double& o = tg::capi::require_out(out, "out");
    if (t.numel() != 1)
      tg::fail(Status::invalid_argument,
               "item: the tensor of shape {} has {} elements, expected exactly 1", t.shape().str(),
               t.numel());
    const double v = t.item();
    o = v;
  });
}

// ---- random ----

tg_status tg_random_uniform(tg_dtype dtype, const int64_t* shape, int rank, double minval,
                            double maxval, uint64_t seed, tg_tensor** out) {
  return tg::capi::guard("tg_random_uniform", [&] {
    tg_tensor*& o = tg::capi::require_out(out, "out");
    const DType dt = dtype_arg(dtype);
    const Shape s = shape_arg(shape, rank);
    tg_tensor* h = new_tensor_handle(tg::random_uniform(s, dt, minval, maxval, seed));
    o = h;
  });
}

tg_status tg_random_normal(tg_dtype dtype, const int64_t* shape, int rank, double mean,
                           double stddev, uint64_t seed, tg_tensor** out) {
  return tg::capi::guard("tg_random_normal", [&] {
    tg_tensor*& o = tg::capi::require_out(out, "out");
    const DType dt = dtype_arg(dtype);
    const Shape s = shape_arg(shape, rank);
    tg_tensor* h = new_tensor_handle(tg::random_normal(s, dt, mean, stddev, seed));
    o = h;
  });
}

}  // extern "C"
