/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of the DLPack section of tapegrad.h: tg_tensor_to_dlpack and tg_tensor_from_dlpack,
 * with the DLManagedTensor struct of Debian's <dlpack/dlpack.h> (DLPack 0.6). Checks that no
 * data is copied (pointers), the deleter contract both ways (called exactly once, when the last
 * user is gone; never on error), and every rejected input with its message.
 */
#include <dlpack/dlpack.h>
#include <stdlib.h>

#include "helpers.h"

/* ---- a producer: a DLManagedTensor over a caller buffer, counting deleter calls ---------- */

typedef struct {
  DLManagedTensor managed;
  int64_t shape[TG_MAX_RANK];
  int64_t strides[TG_MAX_RANK];
  int* deleted; /* incremented by the deleter */
} producer;

static void producer_deleter(DLManagedTensor* self) {
  producer* p = (producer*)self->manager_ctx;
  ++*p->deleted;
}

/* A float32 CPU DLManagedTensor of `shape` over `data`, compact strides unless strides given. */
static void make_producer(producer* p, void* data, const int64_t* shape, int ndim,
                          const int64_t* strides, int* deleted) {
  int i;
  memset(p, 0, sizeof *p);
  for (i = 0; i < ndim; ++i) p->shape[i] = shape[i];
  if (strides)
    for (i = 0; i < ndim; ++i) p->strides[i] = strides[i];
  p->managed.dl_tensor.data = data;
  p->managed.dl_tensor.device.device_type = kDLCPU;
  p->managed.dl_tensor.device.device_id = 0;
  p->managed.dl_tensor.ndim = ndim;
  p->managed.dl_tensor.dtype.code = kDLFloat;
  p->managed.dl_tensor.dtype.bits = 32;
  p->managed.dl_tensor.dtype.lanes = 1;
  p->managed.dl_tensor.shape = p->shape;
  p->managed.dl_tensor.strides = strides ? p->strides : NULL;
  p->managed.dl_tensor.byte_offset = 0;
  p->managed.manager_ctx = p;
  p->managed.deleter = producer_deleter;
  p->deleted = deleted;
}

static void test_export(void) {
  const int64_t shape[2] = {2, 3};
  const double values[6] = {1, 2, 3, 4, 5, 6};
  tg_tensor* t = make_tensor(TG_FLOAT64, shape, 2, values);
  DLManagedTensor* m = NULL;
  const void* data = NULL;
  const double* p;

  CHECK_OK(tg_tensor_to_dlpack(t, &m));
  CHECK_OK(tg_tensor_data(t, &data));
  if (!CHECK(m != NULL)) return;
  CHECK(m->dl_tensor.data == data); /* shared, not copied */
  CHECK(m->dl_tensor.device.device_type == kDLCPU && m->dl_tensor.device.device_id == 0);
  CHECK(m->dl_tensor.ndim == 2);
  CHECK(m->dl_tensor.shape[0] == 2 && m->dl_tensor.shape[1] == 3);
  CHECK(m->dl_tensor.strides != NULL && m->dl_tensor.strides[0] == 3 &&
        m->dl_tensor.strides[1] == 1);
  CHECK(m->dl_tensor.dtype.code == kDLFloat && m->dl_tensor.dtype.bits == 64 &&
        m->dl_tensor.dtype.lanes == 1);
  CHECK(m->dl_tensor.byte_offset == 0);
  CHECK(m->deleter != NULL);

  /* The buffer outlives the tensor handle until the consumer calls the deleter. */
  CHECK_OK(tg_tensor_free(t));
  p = (const double*)m->dl_tensor.data;
  CHECK(p[0] == 1 && p[5] == 6);
  m->deleter(m);

  /* Each dtype's code, and a scalar (ndim 0). */
  {
    const tg_dtype dtypes[5] = {TG_FLOAT32, TG_FLOAT64, TG_INT32, TG_INT64, TG_BOOL};
    const int codes[5] = {kDLFloat, kDLFloat, kDLInt, kDLInt, 6};
    const int bits[5] = {32, 64, 32, 64, 8};
    int i;
    for (i = 0; i < 5; ++i) {
      tg_tensor* s = make_scalar(dtypes[i], 1);
      DLManagedTensor* ms = NULL;
      CHECK_OK(tg_tensor_to_dlpack(s, &ms));
      if (ms) {
        CHECK(ms->dl_tensor.ndim == 0 && ms->dl_tensor.dtype.code == codes[i] &&
              ms->dl_tensor.dtype.bits == bits[i]);
        ms->deleter(ms);
      }
      tg_tensor_free(s);
    }
  }

  /* Bad input. */
  t = make_scalar(TG_FLOAT32, 1);
  CHECK_ERR(tg_tensor_to_dlpack(t, NULL), TG_INVALID_ARGUMENT, "[tg_tensor_to_dlpack]", "out");
  CHECK_ERR(tg_tensor_to_dlpack(NULL, &m), TG_INVALID_HANDLE, "[tg_tensor_to_dlpack]",
            "tensor is NULL");
  tg_tensor_free(t);
  CHECK_ERR(tg_tensor_to_dlpack(t, &m), TG_INVALID_HANDLE, "[tg_tensor_to_dlpack]",
            "not a live tapegrad handle");
}

static void test_import(void) {
  float data[6] = {1, 2, 3, 4, 5, 6};
  const int64_t shape[2] = {2, 3};
  const int64_t compact[2] = {3, 1};
  const double expected[6] = {1, 2, 3, 4, 5, 6};
  int deleted = 0;
  producer p;
  tg_tensor *t = NULL, *r = NULL, *y = NULL;
  const void* ptr = NULL;

  /* Zero-copy; the deleter runs once, when the last tensor sharing the buffer is freed. */
  make_producer(&p, data, shape, 2, compact, &deleted);
  CHECK_OK(tg_tensor_from_dlpack(&p.managed, &t));
  CHECK_TENSOR(t, TG_FLOAT32, shape, 2, expected, 0);
  CHECK_OK(tg_tensor_data(t, &ptr));
  CHECK(ptr == (const void*)data);
  {
    const int64_t flat[1] = {6};
    CHECK_OK(tg_reshape(t, flat, 1, &r)); /* shares the storage */
  }
  CHECK_OK(tg_mul(t, t, &y)); /* a new buffer */
  CHECK_OK(tg_tensor_free(t));
  CHECK(deleted == 0);
  CHECK_OK(tg_tensor_free(r));
  CHECK(deleted == 1);
  CHECK_NEAR(element(y, 5), 36.0, 0);
  tg_tensor_free(y);
  CHECK(deleted == 1);

  /* NULL strides are compact; byte_offset moves the start; a NULL deleter is allowed. */
  deleted = 0;
  {
    const int64_t two[1] = {2};
    const double tail[2] = {5, 6};
    make_producer(&p, data, two, 1, NULL, &deleted);
    p.managed.dl_tensor.byte_offset = 4 * sizeof(float);
    CHECK_OK(tg_tensor_from_dlpack(&p.managed, &t));
    CHECK_TENSOR(t, TG_FLOAT32, two, 1, tail, 0);
    tg_tensor_free(t);
    CHECK(deleted == 1);
    p.managed.deleter = NULL;
    CHECK_OK(tg_tensor_from_dlpack(&p.managed, &t));
    tg_tensor_free(t);
    CHECK(deleted == 1);
  }

  /* Strides of size-1 dims are ignored (numpy and PyTorch give them any value). */
  {
    const int64_t row[2] = {1, 3};
    const int64_t odd[2] = {99, 1};
    make_producer(&p, data, row, 2, odd, &deleted);
    CHECK_OK(tg_tensor_from_dlpack(&p.managed, &t));
    tg_tensor_free(t);
  }

  /* A tapegrad tensor exported and imported again is the same buffer, and a round trip
   * through DLPack keeps the source alive after its handle is freed. */
  {
    tg_tensor *src = make_tensor(TG_FLOAT32, shape, 2, expected), *back = NULL;
    DLManagedTensor* m = NULL;
    const void* a = NULL;
    CHECK_OK(tg_tensor_to_dlpack(src, &m));
    CHECK_OK(tg_tensor_data(src, &a));
    tg_tensor_free(src);
    CHECK_OK(tg_tensor_from_dlpack(m, &back)); /* takes m: back's free calls m->deleter */
    CHECK_OK(tg_tensor_data(back, &ptr));
    CHECK(ptr == a);
    CHECK_TENSOR(back, TG_FLOAT32, shape, 2, expected, 0);
    tg_tensor_free(back);
  }
}

/* tg_tensor_from_dlpack(p) must fail with TG_INVALID_ARGUMENT, a message naming the function
 * and containing s1 and s2 (s2 may be NULL), and write nothing. */
static void expect_rejected(producer* p, int line, const char* what, const char* s1,
                            const char* s2) {
  tg_tensor* t = NULL;
  check_error(tg_tensor_from_dlpack(&p->managed, &t), TG_INVALID_ARGUMENT, __FILE__, line, what,
              "[tg_tensor_from_dlpack]", s1, s2, (const char*)NULL);
  check_true(t == NULL, __FILE__, line, "nothing written on error");
}

static void test_import_errors(void) {
  float data[6] = {1, 2, 3, 4, 5, 6};
  const int64_t shape[2] = {2, 3};
  int deleted = 0;
  producer p;
  tg_tensor* t = NULL;

  make_producer(&p, data, shape, 2, NULL, &deleted);
  p.managed.dl_tensor.device.device_type = kDLCUDA;
  expect_rejected(&p, __LINE__, "a CUDA device", "device type 2", "CPU");
  make_producer(&p, data, shape, 2, NULL, &deleted);
  p.managed.dl_tensor.ndim = 9;
  expect_rejected(&p, __LINE__, "ndim 9", "ndim 9 is outside [0, 8]", NULL);
  make_producer(&p, data, shape, 2, NULL, &deleted);
  p.managed.dl_tensor.ndim = -1;
  expect_rejected(&p, __LINE__, "ndim -1", "ndim -1", NULL);
  make_producer(&p, data, shape, 2, NULL, &deleted);
  p.managed.dl_tensor.shape = NULL;
  expect_rejected(&p, __LINE__, "shape NULL", "shape is NULL but ndim is 2", NULL);
  make_producer(&p, data, shape, 2, NULL, &deleted);
  p.shape[0] = -2;
  expect_rejected(&p, __LINE__, "a negative dim", "dlpack shape", "-2");
  make_producer(&p, data, shape, 2, NULL, &deleted);
  p.managed.dl_tensor.dtype.bits = 16;
  expect_rejected(&p, __LINE__, "float16", "unsupported dtype {code 2, bits 16, lanes 1}", NULL);
  make_producer(&p, data, shape, 2, NULL, &deleted);
  p.managed.dl_tensor.dtype.code = kDLUInt;
  expect_rejected(&p, __LINE__, "uint32", "unsupported dtype {code 1, bits 32", NULL);
  make_producer(&p, data, shape, 2, NULL, &deleted);
  p.managed.dl_tensor.dtype.lanes = 4;
  expect_rejected(&p, __LINE__, "4 lanes", "lanes 4", NULL);
  make_producer(&p, data, shape, 2, NULL, &deleted);
  p.managed.dl_tensor.dtype.code = kDLComplex;
  expect_rejected(&p, __LINE__, "complex", "code 5", NULL);
  make_producer(&p, data, shape, 2, NULL, &deleted);
  p.managed.dl_tensor.strides = p.strides;
  p.strides[0] = 1;
  p.strides[1] = 2;
  expect_rejected(&p, __LINE__, "transposed strides", "strides (1,2) of shape (2,3) are not compact row-major", "(expected (3,1))");
  make_producer(&p, data, shape, 2, NULL, &deleted);
  p.managed.dl_tensor.data = NULL;
  expect_rejected(&p, __LINE__, "NULL data", "data is NULL for a tensor of shape (2,3)", NULL);
  make_producer(&p, data, shape, 2, NULL, &deleted);
  p.managed.dl_tensor.byte_offset = 2;
  expect_rejected(&p, __LINE__, "a misaligned start", "not aligned to the 4-byte size of float32", NULL);
  CHECK(deleted == 0); /* on error the caller keeps the tensor: no deleter call */

  make_producer(&p, data, shape, 2, NULL, &deleted);
  CHECK_ERR(tg_tensor_from_dlpack(NULL, &t), TG_INVALID_ARGUMENT, "[tg_tensor_from_dlpack]",
            "managed", "NULL");
  CHECK_ERR(tg_tensor_from_dlpack(&p.managed, NULL), TG_INVALID_ARGUMENT,
            "[tg_tensor_from_dlpack]", "out");
  CHECK(deleted == 0);

  /* An empty tensor may have NULL data and any strides. */
  {
    const int64_t empty[2] = {0, 3};
    const int64_t any[2] = {7, 7};
    make_producer(&p, NULL, empty, 2, any, &deleted);
    CHECK_OK(tg_tensor_from_dlpack(&p.managed, &t));
    tg_tensor_free(t);
    CHECK(deleted == 1);
  }
}

int main(void) {
  test_export();
  test_import();
  test_import_errors();
  return check_summary();
}
