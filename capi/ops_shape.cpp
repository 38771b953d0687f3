// SPDX-License-Identifier: Apache-2.0
// Shape ops: thin shims over the shape family of src/autodiff/ops.h (ops/shape.h) and
// broadcast_to. Each checks its handles and arrays, runs the op (which records it on the
// active tapes) and writes the new tensor handle(s) last.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "autodiff/ops.h"
#include "handles.h"

namespace {

using tg::capi::tensor_arg;

using tg::capi::dtype_arg;
using tg::capi::new_tensor_handle;

using tg::capi::int64_array_arg;
using tg::capi::rank_array_arg;
using tg::Status;
using tg::Tensor;


// The tensors behind `count` handles (values may be NULL only when count is 0).
std::vector<Tensor> tensor_list_arg(tg_tensor* const* values, size_t count) {
  if (!values && count > 0)
    tg::fail(Status::invalid_argument, "values is NULL but count is {}", count);
  std::vector<Tensor> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i)
    out.push_back(tensor_arg(values[i], fmt::format("values[{}]", i).c_str()));
  return out;
}



}  // namespace

extern "C" {

tg_status tg_expand_dims(const tg_tensor* x, int64_t axis, tg_tensor** out) {
  return tg::capi::guard("tg_expand_dims", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::expand_dims(tx, axis));
    o = h;
  });
}

tg_status tg_squeeze(const tg_tensor* x, const int64_t* axes, size_t num_axes, tg_tensor** out) {
  return tg::capi::guard("tg_squeeze", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const auto ax = int64_array_arg(axes, num_axes, "axes", "num_axes");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::squeeze(tx, ax));
    o = h;
  });
}

tg_status tg_broadcast_to(const tg_tensor* x, const int64_t* shape, int rank, tg_tensor** out) {
  return tg::capi::guard("tg_broadcast_to", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const auto dims = rank_array_arg(shape, rank, "shape");
    const tg::Shape target = tg::Shape::from(dims, "broadcast_to");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::broadcast_to(tx, target));
    o = h;
  });
}

tg_status tg_concat(tg_tensor* const* values, size_t count, int64_t axis, tg_tensor** out) {
  return tg::capi::guard("tg_concat", [&] {
    const std::vector<Tensor> xs = tensor_list_arg(values, count);
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::concat(xs, axis));
    o = h;
  });
}

tg_status tg_stack(tg_tensor* const* values, size_t count, int64_t axis, tg_tensor** out) {
  return tg::capi::guard("tg_stack", [&] {
    const std::vector<Tensor> xs = tensor_list_arg(values, count);
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::stack(xs, axis));
    o = h;
  });
}

tg_status tg_split(const tg_tensor* x, const int64_t* sizes, size_t num_outputs, int64_t axis,
                   tg_tensor** outputs) {
  return tg::capi::guard("tg_split", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    if (num_outputs < 1 || num_outputs > static_cast<size_t>(INT64_MAX))
      tg::fail(Status::invalid_argument, "split: num_outputs must be at least 1, got {}", num_outputs);
    if (!outputs) tg::fail(Status::invalid_argument, "outputs (output array) is NULL");
    std::vector<Tensor> parts =
        sizes ? tg::ops::split(tx, std::span<const int64_t>(sizes, num_outputs), axis)
              : tg::ops::split(tx, static_cast<int64_t>(num_outputs), axis);
    // All handles are made before any is written, and freed again if one cannot be made.
    std::vector<tg_tensor*> made;
    made.reserve(parts.size());
    try {
      for (Tensor& t : parts) made.push_back(new_tensor_handle(std::move(t)));
    } catch (...) {
      for (tg_tensor* h : made) tg::capi::free_handle(h, "output");
      throw;
    }
    std::copy(made.begin(), made.end(), outputs);
  });
}

tg_status tg_slice(const tg_tensor* x, const int64_t* begin, const int64_t* size, int rank,
                   tg_tensor** out) {
  return tg::capi::guard("tg_slice", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const auto b = rank_array_arg(begin, rank, "begin");
    const auto s = rank_array_arg(size, rank, "size");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::slice(tx, b, s));
    o = h;
  });
}

tg_status tg_pad(const tg_tensor* x, const int64_t* paddings, int rank, double value,
                 tg_tensor** out) {
  return tg::capi::guard("tg_pad", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    if (rank < 0) tg::fail(Status::invalid_argument, "rank {} is negative", rank);
    const auto p = int64_array_arg(paddings, 2 * static_cast<size_t>(rank), "paddings", "2 * rank");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::pad(tx, p, value));
    o = h;
  });
}

tg_status tg_strided_slice(const tg_tensor* x, const int64_t* begin, const int64_t* end,
                           const int64_t* strides, size_t n, int32_t begin_mask, int32_t end_mask,
                           int32_t ellipsis_mask, int32_t new_axis_mask, int32_t shrink_axis_mask,
                           tg_tensor** out) {
  return tg::capi::guard("tg_strided_slice", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const auto b = int64_array_arg(begin, n, "begin", "n");
    const auto e = int64_array_arg(end, n, "end", "n");
    const auto s = int64_array_arg(strides, n, "strides", "n");
    // why uint32_t: the masks are bit sets; bit 31 must not sign-extend into higher bits.
    tg::ops::StridedSliceMasks masks;
    masks.begin = static_cast<uint32_t>(begin_mask);
    masks.end = static_cast<uint32_t>(end_mask);
    masks.ellipsis = static_cast<uint32_t>(ellipsis_mask);
    masks.new_axis = static_cast<uint32_t>(new_axis_mask);
    masks.shrink_axis = static_cast<uint32_t>(shrink_axis_mask);
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::strided_slice(tx, b, e, s, masks));
    o = h;
  });
}

tg_status tg_gather(const tg_tensor* params, const tg_tensor* indices, int64_t axis,
                    tg_tensor** out) {
  return tg::capi::guard("tg_gather", [&] {
    const Tensor& tp = tensor_arg(params, "params");
    const Tensor& ti = tensor_arg(indices, "indices");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::gather(tp, ti, axis));
    o = h;
  });
}

tg_status tg_one_hot(const tg_tensor* indices, int64_t depth, double on_value, double off_value,
                     int64_t axis, tg_dtype dtype, tg_tensor** out) {
  return tg::capi::guard("tg_one_hot", [&] {
    const Tensor& ti = tensor_arg(indices, "indices");
    const tg::DType d = dtype_arg(dtype);
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::one_hot(ti, depth, on_value, off_value, axis, d));
    o = h;
  });
}

tg_status tg_tile(const tg_tensor* x, const int64_t* multiples, int rank, tg_tensor** out) {
  return tg::capi::guard("tg_tile", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const auto m = rank_array_arg(multiples, rank, "multiples");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::tile(tx, m));
    o = h;
  });
}

}  // extern "C"
