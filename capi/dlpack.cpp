// SPDX-License-Identifier: Apache-2.0
// DLPack export and import (DLPack 0.6, Debian's libdlpack-dev): zero-copy exchange of CPU
// buffers with numpy, PyTorch and other array libraries. Thin shims: the buffer sharing is
// tg::Storage's (a reference-counted buffer that can wrap caller memory with a deleter).
//
// Ownership, both ways:
//   export: a heap Exported block holds a Tensor (so the storage lives) and the shape/strides
//           arrays the DLTensor points to; its DLManagedTensor's deleter deletes the block.
//   import: the Storage wraps data + byte_offset with a deleter that calls managed->deleter
//           once, when the last tensor using the storage dies.
#include <dlpack/dlpack.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "handles.h"

namespace {

using tg::DType;
using tg::Shape;
using tg::Status;
using tg::Tensor;

// DLPack 0.8 added kDLBool = 6 (one byte per element); the 0.6 header has no name for it.
constexpr uint8_t kDLBoolCode = 6;

DLDataType dl_dtype_of(DType dtype) {
  switch (dtype) {
    case DType::f32: return {kDLFloat, 32, 1};
    case DType::f64: return {kDLFloat, 64, 1};
    case DType::i32: return {kDLInt, 32, 1};
    case DType::i64: return {kDLInt, 64, 1};
    case DType::boolean: return {kDLBoolCode, 8, 1};
  }
  tg::fail(Status::internal, "dlpack: dtype {} has no DLPack code", static_cast<int>(dtype));
}

DType dtype_of(const DLDataType& t) {
  if (t.lanes == 1) {
    if (t.code == kDLFloat && t.bits == 32) return DType::f32;
    if (t.code == kDLFloat && t.bits == 64) return DType::f64;
    if (t.code == kDLInt && t.bits == 32) return DType::i32;
    if (t.code == kDLInt && t.bits == 64) return DType::i64;
    if (t.code == kDLBoolCode && t.bits == 8) return DType::boolean;
  }
  tg::fail(Status::invalid_argument,
           "dlpack: unsupported dtype {{code {}, bits {}, lanes {}}}: tapegrad takes float32, "
           "float64, int32, int64 and bool (code 6, 8 bits), one lane",
           t.code, t.bits, t.lanes);
}

// "(2,3)", "(5,)", "()": the format of Shape::str(), for arrays that are not shapes.
std::string dims_str(const int64_t* v, int n) {
  std::string s = "(";
  for (int i = 0; i < n; ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  s += n == 1 ? ",)" : ")";
  return s;
}

// The block behind an exported DLManagedTensor. why first member: the deleter receives the
// DLManagedTensor*, and manager_ctx points back here as DLPack intends.
struct Exported {
  DLManagedTensor managed;
  Tensor tensor;  // keeps the storage alive
  int64_t shape[TG_MAX_RANK];
  int64_t strides[TG_MAX_RANK];
};

void delete_exported(DLManagedTensor* self) {
  delete static_cast<Exported*>(self->manager_ctx);
}

}  // namespace

extern "C" {

tg_status tg_tensor_to_dlpack(const tg_tensor* tensor, DLManagedTensor** out) {
  return tg::capi::guard("tg_tensor_to_dlpack", [&] {
    const Tensor& t = tg::capi::get<tg_tensor>(tensor, "tensor")->value;
    DLManagedTensor*& o = tg::capi::require_out(out, "out");
    auto block = std::make_unique<Exported>();
    block->tensor = t;
    const int rank = t.rank();
    int64_t stride = 1;  // compact row-major, in elements
    for (int d = rank - 1; d >= 0; --d) {
      block->shape[d] = t.shape()[d];
      block->strides[d] = stride;
      stride *= t.shape()[d];
    }
    DLTensor& dl = block->managed.dl_tensor;
    dl.data = const_cast<void*>(t.raw());  // why: DLPack has no const; consumers must not write
    dl.device = {kDLCPU, 0};
    dl.ndim = rank;
    dl.dtype = dl_dtype_of(t.dtype());
    dl.shape = block->shape;
    dl.strides = block->strides;
    dl.byte_offset = 0;
    block->managed.manager_ctx = block.get();
    block->managed.deleter = delete_exported;
    o = &block.release()->managed;
  });
}

tg_status tg_tensor_from_dlpack(DLManagedTensor* managed, tg_tensor** out) {
  return tg::capi::guard("tg_tensor_from_dlpack", [&] {
    tg_tensor*& o = tg::capi::require_out(out, "out");
    if (!managed) tg::fail(Status::invalid_argument, "managed (the DLManagedTensor) is NULL");
    const DLTensor& dl = managed->dl_tensor;
    // why enum_value: a producer may store any int in the enum field (found by the fuzzer).
    const int device_type = tg::capi::enum_value(dl.device.device_type);
    if (device_type != kDLCPU)
      tg::fail(Status::invalid_argument,
               "dlpack: device type {} (device {}) is not the CPU (kDLCPU = 1): tapegrad holds "
               "CPU memory only",
               device_type, dl.device.device_id);
    if (dl.ndim < 0 || dl.ndim > TG_MAX_RANK)
      tg::fail(Status::invalid_argument, "dlpack: ndim {} is outside [0, {}]", dl.ndim, TG_MAX_RANK);
    if (!dl.shape && dl.ndim > 0)
      tg::fail(Status::invalid_argument, "dlpack: shape is NULL but ndim is {}", dl.ndim);
    const DType dtype = dtype_of(dl.dtype);
    const Shape shape = Shape::from(std::span<const int64_t>(dl.shape, static_cast<size_t>(dl.ndim)),
                                    "dlpack shape");
    if (dl.strides && shape.numel() > 0) {
      int64_t expected = 1;
      for (int d = dl.ndim - 1; d >= 0; --d) {
        if (dl.shape[d] != 1 && dl.strides[d] != expected)
          tg::fail(Status::invalid_argument,
                   "dlpack: strides {} of shape {} are not compact row-major (expected {}); "
                   "copy the array to a C-contiguous one first",
                   dims_str(dl.strides, dl.ndim), shape.str(), [&] {
                     int64_t e[TG_MAX_RANK], s = 1;
                     for (int k = dl.ndim - 1; k >= 0; --k) e[k] = s, s *= dl.shape[k];
                     return dims_str(e, dl.ndim);
                   }());
        expected *= dl.shape[d];
      }
    }
    const size_t itemsize = tg::dtype_size(dtype);
    const size_t bytes = static_cast<size_t>(shape.numel()) * itemsize;
    char* data = static_cast<char*>(dl.data);
    if (!data && bytes > 0)
      tg::fail(Status::invalid_argument, "dlpack: data is NULL for a tensor of shape {}", shape.str());
    // why in integers: a byte_offset that runs past the end of the address space would make
    // the pointer arithmetic undefined (found by tests/fuzz/dlpack_fuzz.c).
    uintptr_t start = 0, end = 0;
    if (data && (__builtin_add_overflow(reinterpret_cast<uintptr_t>(data), dl.byte_offset, &start) ||
                 __builtin_add_overflow(start, bytes, &end)))
      tg::fail(Status::invalid_argument,
               "dlpack: data + byte_offset ({} + {}) + {} bytes runs past the end of the address space", dl.data,
               dl.byte_offset, bytes);
    if (data) data += dl.byte_offset;
    if (dtype == tg::DType::boolean) tg::capi::check_bool_bytes(data, bytes, "dlpack");
    if (reinterpret_cast<uintptr_t>(data) % itemsize != 0)
      tg::fail(Status::invalid_argument,
               "dlpack: data + byte_offset ({} + {}) is not aligned to the {}-byte size of {}",
               dl.data, dl.byte_offset, itemsize, tg::dtype_name(dtype));
    // why armed: on error the caller keeps `managed`, but a Storage runs its deleter whenever
    // it is destroyed, also when a later step here throws; so it stays disarmed until the
    // handle exists (as in tg_tensor_wrap).
    auto armed = std::make_shared<std::atomic<bool>>(false);
    tg::Storage::Deleter del = [managed, armed](void*) {
      if (armed->load() && managed->deleter) managed->deleter(managed);
    };
    tg_tensor* h = tg::capi::make_handle<tg_tensor>(
        Tensor::from_storage(tg::Storage::wrap(data, bytes, std::move(del)), shape, dtype));
    armed->store(true);
    o = h;
  });
}

}  // extern "C"
