/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlpack_fuzz.c — tg_tensor_from_dlpack on DLManagedTensors built from the input: any ndim,
 * shape, strides, dtype, device, byte offset and data pointer. Checks the header's ownership
 * contract besides "no crash": on TG_OK the deleter runs exactly once, when the tensor is
 * freed; on error never (the caller still owns the tensor and calls it here).
 *
 * The buffer is as large as the shape claims when that is at most 64 KiB; for larger claims
 * the data is a small buffer the library must not be asked to read (only the metadata of
 * such a tensor is queried), since a DLPack producer's buffer cannot be checked.
 */
#include <dlpack/dlpack.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "tapegrad/tapegrad.h"

enum { kMaxBufferBytes = 1 << 16 };

static int g_deleter_calls;

static void count_deleter(DLManagedTensor* self) {
  (void)self;
  ++g_deleter_calls;
}

/* The bytes the tensor claims, or -1 if that overflows or exceeds kMaxBufferBytes. */
static int64_t claimed_bytes(const DLTensor* t) {
  uint64_t n = (t->dtype.bits + 7u) / 8u;
  for (int d = 0; d < t->ndim; ++d) {
    if (t->shape[d] < 0) return -1;
    if (t->shape[d] == 0) return 0;
    if (__builtin_mul_overflow(n, (uint64_t)t->shape[d], &n) || n > kMaxBufferBytes) return -1;
  }
  return (int64_t)n;
}

/* Reads what the library says about t; with a readable buffer also its elements, and an op. */
static void use_tensor(tg_tensor* t, int readable) {
  int rank = -1;
  size_t size = 0;
  int64_t dims[16];
  fuzz_check_status(tg_tensor_rank(t, &rank));
  fuzz_check_status(tg_tensor_shape(t, dims, 16));
  fuzz_check_status(tg_tensor_size(t, &size));
  if (!readable) return;
  void* copy = malloc(size * 8 + 1);
  fuzz_check_status(tg_tensor_copy_data(t, copy, size * 8));
  free(copy);
  tg_tensor* sum = NULL;
  if (tg_add(t, t, &sum) == TG_OK) tg_tensor_free(sum);
  DLManagedTensor* exported = NULL;
  if (tg_tensor_to_dlpack(t, &exported) == TG_OK) {
    tg_tensor* again = NULL;
    if (tg_tensor_from_dlpack(exported, &again) == TG_OK)
      tg_tensor_free(again);
    else
      exported->deleter(exported);
  }
}

int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc;
  (void)argv;
  tg_set_num_threads(1);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_input in = {data, size, 0};
  static const uint8_t kBits[] = {8, 16, 32, 64, 1, 0, 128, 33};
  int64_t shape[12], strides[12];
  DLManagedTensor m;
  memset(&m, 0, sizeof m);
  m.dl_tensor.device.device_type = fuzz_below(&in, 8) == 0 ? (DLDeviceType)fuzz_u8(&in) : kDLCPU;
  m.dl_tensor.device.device_id = fuzz_below(&in, 8) == 0 ? (int)fuzz_u8(&in) - 1 : 0;
  m.dl_tensor.ndim = (int)fuzz_below(&in, 12) - 1; /* -1 .. 10, TG_MAX_RANK is 8 */
  m.dl_tensor.dtype.code = fuzz_below(&in, 7);
  m.dl_tensor.dtype.bits = kBits[fuzz_below(&in, 8)];
  m.dl_tensor.dtype.lanes = fuzz_below(&in, 8) == 0 ? fuzz_u8(&in) : 1;
  const int ndim = m.dl_tensor.ndim < 0 ? 0 : m.dl_tensor.ndim;
  for (int d = 0; d < ndim; ++d) shape[d] = fuzz_dim(&in);
  m.dl_tensor.shape = fuzz_below(&in, 16) == 0 ? NULL : shape;
  const uint8_t stride_mode = fuzz_below(&in, 4); /* NULL, compact, compact with one change, any */
  if (stride_mode > 0 && m.dl_tensor.shape) {
    int64_t s = 1;
    for (int d = ndim - 1; d >= 0; --d) {
      strides[d] = s;
      s = shape[d] > 0 && shape[d] < 4096 ? s * shape[d] : s;
    }
    if (stride_mode == 2 && ndim > 0) strides[fuzz_below(&in, (uint32_t)ndim)] = fuzz_dim(&in);
    if (stride_mode == 3)
      for (int d = 0; d < ndim; ++d) strides[d] = fuzz_dim(&in);
    m.dl_tensor.strides = strides;
  }
  m.dl_tensor.byte_offset = fuzz_below(&in, 4) == 0 ? fuzz_u64(&in) % 4 : 0;
  if (fuzz_below(&in, 32) == 0) m.dl_tensor.byte_offset = UINT64_MAX - fuzz_u8(&in);

  const int64_t bytes =
      m.dl_tensor.ndim >= 0 && (m.dl_tensor.shape || m.dl_tensor.ndim == 0) ? claimed_bytes(&m.dl_tensor) : -1;
  const int readable = bytes >= 0 && m.dl_tensor.byte_offset < 8;
  /* 64-byte aligned, with room for the offset; filled from the input. */
  uint8_t* buffer = aligned_alloc(64, kMaxBufferBytes + 64);
  for (size_t i = 0; i < 256; ++i) buffer[i] = fuzz_u8(&in);
  m.dl_tensor.data = fuzz_below(&in, 16) == 0 ? NULL : buffer;
  m.deleter = fuzz_below(&in, 16) == 0 ? NULL : count_deleter;

  g_deleter_calls = 0;
  tg_tensor* t = NULL;
  const tg_status s = tg_tensor_from_dlpack(&m, &t);
  fuzz_check_status(s);
  if (s == TG_OK) {
    if (!t) fuzz_fail("TG_OK without a tensor");
    use_tensor(t, readable);
    if (g_deleter_calls != 0) fuzz_fail("the deleter ran while the tensor was alive");
    tg_tensor_free(t);
    if (m.deleter && g_deleter_calls != 1) fuzz_fail("the deleter did not run exactly once after the free");
  } else {
    if (t) fuzz_fail("an error wrote *out");
    if (g_deleter_calls != 0) fuzz_fail("the deleter ran on a failed import");
  }
  free(buffer);
  return 0;
}
