/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of the library queries (version, status names, threads) and of tensors: create,
 * wrap (deleter), scalar, fill, free, metadata, copy_data, data, item, random.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static void test_library(void) {
  size_t n = 0;
  CHECK(strcmp(tg_version(), TG_VERSION_STRING) == 0);
  CHECK(strcmp(tg_status_string(TG_OK), "TG_OK") == 0);
  CHECK(strcmp(tg_status_string(TG_INVALID_ARGUMENT), "TG_INVALID_ARGUMENT") == 0);
  CHECK(strcmp(tg_status_string(TG_INVALID_HANDLE), "TG_INVALID_HANDLE") == 0);
  CHECK(strcmp(tg_status_string(TG_INVALID_STATE), "TG_INVALID_STATE") == 0);
  CHECK(strcmp(tg_status_string(TG_OUT_OF_MEMORY), "TG_OUT_OF_MEMORY") == 0);
  CHECK(strcmp(tg_status_string(TG_NO_GRADIENT), "TG_NO_GRADIENT") == 0);
  CHECK(strcmp(tg_status_string(TG_IO_ERROR), "TG_IO_ERROR") == 0);
  CHECK(strcmp(tg_status_string(TG_INTERNAL), "TG_INTERNAL") == 0);
  CHECK(strcmp(tg_status_string(TG_TIMEOUT), "TG_TIMEOUT") == 0);
  CHECK(tg_status_string((tg_status)42) != NULL);
  CHECK(strcmp(tg_status_string((tg_status)-1), "TG_UNKNOWN_STATUS") == 0);

  CHECK_OK(tg_set_num_threads(1));
  CHECK_OK(tg_get_num_threads(&n));
  CHECK(n == 1);
  CHECK_OK(tg_set_num_threads(0)); /* all cores */
  CHECK_OK(tg_get_num_threads(&n));
  CHECK(n >= 1);
  CHECK_ERR(tg_set_num_threads((size_t)1 << 40), TG_INVALID_ARGUMENT, "[tg_set_num_threads]",
            "1099511627776 threads are too many");
  CHECK_OK(tg_set_num_threads(1));
  CHECK_ERR(tg_get_num_threads(NULL), TG_INVALID_ARGUMENT, "[tg_get_num_threads]", "out");
  /* a successful call clears the message */
  CHECK_OK(tg_get_num_threads(&n));
  CHECK(strcmp(tg_last_error_message(), "") == 0);
}

static void test_create_and_metadata(void) {
  const int64_t shape[] = {2, 3};
  const float data[] = {1, 2, 3, 4, 5, 6};
  float back[6] = {0};
  float small[5];
  int64_t dims[TG_MAX_RANK] = {0};
  size_t size = 0;
  int rank = -1;
  tg_dtype dtype = TG_INT64;
  const void* p = NULL;
  double v = 0;
  tg_tensor* t = NULL;

  CHECK_OK(tg_tensor_create(TG_FLOAT32, shape, 2, data, &t));
  CHECK_OK(tg_tensor_dtype(t, &dtype));
  CHECK(dtype == TG_FLOAT32);
  CHECK_OK(tg_tensor_rank(t, &rank));
  CHECK(rank == 2);
  CHECK_OK(tg_tensor_shape(t, dims, 2));
  CHECK(dims[0] == 2 && dims[1] == 3);
  CHECK_OK(tg_tensor_size(t, &size));
  CHECK(size == 6);
  CHECK_OK(tg_tensor_copy_data(t, back, sizeof back));
  CHECK(memcmp(back, data, sizeof data) == 0);
  CHECK_OK(tg_tensor_data(t, &p));
  CHECK(p != NULL && p != (const void*)data && memcmp(p, data, sizeof data) == 0);

  /* errors: each leaves the out-parameter untouched */
  CHECK_ERR(tg_tensor_copy_data(t, small, sizeof small), TG_INVALID_ARGUMENT,
            "[tg_tensor_copy_data]", "20 bytes", "(2,3)", "needs 24");
  CHECK_ERR(tg_tensor_copy_data(t, NULL, 100), TG_INVALID_ARGUMENT, "[tg_tensor_copy_data]",
            "dst is NULL");
  CHECK_ERR(tg_tensor_shape(t, dims, 1), TG_INVALID_ARGUMENT, "[tg_tensor_shape]", "capacity 1",
            "rank 2");
  CHECK_ERR(tg_tensor_shape(t, NULL, 2), TG_INVALID_ARGUMENT, "[tg_tensor_shape]", "NULL");
  v = -7;
  CHECK_ERR(tg_tensor_item(t, &v), TG_INVALID_ARGUMENT, "[tg_tensor_item]", "(2,3)",
            "6 elements");
  CHECK(v == -7);
  CHECK_ERR(tg_tensor_dtype(t, NULL), TG_INVALID_ARGUMENT, "[tg_tensor_dtype]", "out");
  CHECK_ERR(tg_tensor_rank(t, NULL), TG_INVALID_ARGUMENT, "[tg_tensor_rank]", "out");
  CHECK_ERR(tg_tensor_size(t, NULL), TG_INVALID_ARGUMENT, "[tg_tensor_size]", "out");
  CHECK_ERR(tg_tensor_data(t, NULL), TG_INVALID_ARGUMENT, "[tg_tensor_data]", "out");
  CHECK_ERR(tg_tensor_item(t, NULL), TG_INVALID_ARGUMENT, "[tg_tensor_item]", "out");
  CHECK_ERR(tg_tensor_dtype(NULL, &dtype), TG_INVALID_HANDLE, "[tg_tensor_dtype]",
            "tensor is NULL");
  CHECK_ERR(tg_tensor_rank(NULL, &rank), TG_INVALID_HANDLE, "[tg_tensor_rank]", "NULL");
  CHECK_ERR(tg_tensor_shape(NULL, dims, 8), TG_INVALID_HANDLE, "[tg_tensor_shape]", "NULL");
  CHECK_ERR(tg_tensor_size(NULL, &size), TG_INVALID_HANDLE, "[tg_tensor_size]", "NULL");
  CHECK_ERR(tg_tensor_copy_data(NULL, back, sizeof back), TG_INVALID_HANDLE,
            "[tg_tensor_copy_data]", "NULL");
  CHECK_ERR(tg_tensor_data(NULL, &p), TG_INVALID_HANDLE, "[tg_tensor_data]", "NULL");
  CHECK_ERR(tg_tensor_item(NULL, &v), TG_INVALID_HANDLE, "[tg_tensor_item]", "NULL");
  CHECK_OK(tg_tensor_free(t));

  /* a freed handle is an error code, not a crash */
  CHECK_ERR(tg_tensor_rank(t, &rank), TG_INVALID_HANDLE, "[tg_tensor_rank]",
            "not a live tapegrad handle");
  CHECK_ERR(tg_tensor_free(t), TG_INVALID_HANDLE, "[tg_tensor_free]", "not a live tapegrad handle");
  CHECK_OK(tg_tensor_free(NULL));

  /* every dtype round-trips */
  {
    const double d64[] = {1.5, -2.25};
    const int32_t i32[] = {7, -8};
    const int64_t i64[] = {INT64_C(1) << 40, -3};
    const unsigned char b[] = {1, 0};
    const int64_t two[] = {2};
    tg_tensor *a = NULL, *c = NULL, *d = NULL, *e = NULL;
    CHECK_OK(tg_tensor_create(TG_FLOAT64, two, 1, d64, &a));
    CHECK_OK(tg_tensor_create(TG_INT32, two, 1, i32, &c));
    CHECK_OK(tg_tensor_create(TG_INT64, two, 1, i64, &d));
    CHECK_OK(tg_tensor_create(TG_BOOL, two, 1, b, &e));
    {
      const double w64[] = {1.5, -2.25}, w32[] = {7, -8}, w64i[] = {1099511627776.0, -3},
                   wb[] = {1, 0};
      CHECK_TENSOR(a, TG_FLOAT64, two, 1, w64, 0);
      CHECK_TENSOR(c, TG_INT32, two, 1, w32, 0);
      CHECK_TENSOR(d, TG_INT64, two, 1, w64i, 0);
      CHECK_TENSOR(e, TG_BOOL, two, 1, wb, 0);
    }
    tg_tensor_free(a);
    tg_tensor_free(c);
    tg_tensor_free(d);
    tg_tensor_free(e);
  }

  /* a tensor without elements needs no data; a scalar needs no shape */
  {
    const int64_t empty_shape[] = {0, 4};
    tg_tensor* e = NULL;
    CHECK_OK(tg_tensor_create(TG_FLOAT32, empty_shape, 2, NULL, &e));
    CHECK_OK(tg_tensor_size(e, &size));
    CHECK(size == 0);
    CHECK_OK(tg_tensor_copy_data(e, back, 0));
    CHECK_ERR(tg_tensor_item(e, &v), TG_INVALID_ARGUMENT, "[tg_tensor_item]", "0 elements");
    tg_tensor_free(e);
    CHECK_OK(tg_tensor_create(TG_FLOAT64, NULL, 0, &(double){4.5}, &e));
    CHECK_OK(tg_tensor_rank(e, &rank));
    CHECK(rank == 0);
    CHECK_OK(tg_tensor_shape(e, NULL, 0));
    CHECK_OK(tg_tensor_size(e, &size));
    CHECK(size == 1);
    CHECK_OK(tg_tensor_item(e, &v));
    CHECK(v == 4.5);
    tg_tensor_free(e);
  }
}

static void test_create_errors(void) {
  const int64_t shape[] = {2, 3};
  const int64_t rank9[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  const int64_t negative[] = {2, -2};
  const float data[6] = {0};
  tg_tensor* sentinel = (tg_tensor*)&sentinel;
  tg_tensor* t = sentinel;

  CHECK_ERR(tg_tensor_create(TG_FLOAT32, rank9, 9, data, &t), TG_INVALID_ARGUMENT,
            "[tg_tensor_create]", "rank 9");
  CHECK_ERR(tg_tensor_create(TG_FLOAT32, shape, -1, data, &t), TG_INVALID_ARGUMENT,
            "[tg_tensor_create]", "rank -1");
  CHECK_ERR(tg_tensor_create(TG_FLOAT32, negative, 2, data, &t), TG_INVALID_ARGUMENT,
            "[tg_tensor_create]", "negative dimension -2");
  CHECK_ERR(tg_tensor_create(TG_FLOAT32, NULL, 2, data, &t), TG_INVALID_ARGUMENT,
            "[tg_tensor_create]", "shape is NULL");
  CHECK_ERR(tg_tensor_create(TG_FLOAT32, shape, 2, NULL, &t), TG_INVALID_ARGUMENT,
            "[tg_tensor_create]", "data is NULL", "(2,3)");
  CHECK_ERR(tg_tensor_create((tg_dtype)42, shape, 2, data, &t), TG_INVALID_ARGUMENT,
            "[tg_tensor_create]", "dtype 42");
  CHECK_ERR(tg_tensor_create((tg_dtype)-1, shape, 2, data, &t), TG_INVALID_ARGUMENT,
            "[tg_tensor_create]", "dtype -1");
  CHECK_ERR(tg_tensor_create(TG_FLOAT32, shape, 2, data, NULL), TG_INVALID_ARGUMENT,
            "[tg_tensor_create]", "out");
  CHECK(t == sentinel);

  CHECK_ERR(tg_tensor_scalar((tg_dtype)5, 1.0, &t), TG_INVALID_ARGUMENT, "[tg_tensor_scalar]",
            "dtype 5");
  CHECK_ERR(tg_tensor_scalar(TG_FLOAT32, 1.0, NULL), TG_INVALID_ARGUMENT, "[tg_tensor_scalar]",
            "out");
  CHECK_ERR(tg_tensor_scalar(TG_INT32, 3e9, &t), TG_INVALID_ARGUMENT, "[tg_tensor_scalar]",
            "does not fit in int32");
  CHECK_ERR(tg_tensor_scalar(TG_INT64, 1e19, &t), TG_INVALID_ARGUMENT, "[tg_tensor_scalar]",
            "int64");
  CHECK_ERR(tg_tensor_scalar(TG_INT32, NAN, &t), TG_INVALID_ARGUMENT, "[tg_tensor_scalar]",
            "int32");
  CHECK_ERR(tg_tensor_fill(TG_FLOAT32, rank9, 9, 1.0, &t), TG_INVALID_ARGUMENT,
            "[tg_tensor_fill]", "rank 9");
  CHECK_ERR(tg_tensor_fill(TG_FLOAT32, negative, 2, 1.0, &t), TG_INVALID_ARGUMENT,
            "[tg_tensor_fill]", "negative dimension -2");
  CHECK_ERR(tg_tensor_fill((tg_dtype)7, shape, 2, 1.0, &t), TG_INVALID_ARGUMENT,
            "[tg_tensor_fill]", "dtype 7");
  CHECK_ERR(tg_tensor_fill(TG_FLOAT32, shape, 2, 1.0, NULL), TG_INVALID_ARGUMENT,
            "[tg_tensor_fill]", "out");
  CHECK_ERR(tg_tensor_fill(TG_INT32, shape, 2, -1e12, &t), TG_INVALID_ARGUMENT,
            "[tg_tensor_fill]", "int32");
  CHECK(t == sentinel);
}

static void test_scalar_and_fill(void) {
  const int64_t shape[] = {2, 2};
  tg_tensor* t = NULL;
  double v = 0;
  CHECK_OK(tg_tensor_scalar(TG_FLOAT64, 2.5, &t));
  CHECK_OK(tg_tensor_item(t, &v));
  CHECK(v == 2.5);
  tg_tensor_free(t);
  CHECK_OK(tg_tensor_scalar(TG_INT32, -3.7, &t)); /* truncated toward zero */
  CHECK_OK(tg_tensor_item(t, &v));
  CHECK(v == -3);
  tg_tensor_free(t);
  CHECK_OK(tg_tensor_scalar(TG_INT32, 2147483647.0, &t));
  CHECK_OK(tg_tensor_item(t, &v));
  CHECK(v == 2147483647.0);
  tg_tensor_free(t);
  CHECK_OK(tg_tensor_scalar(TG_BOOL, 5.0, &t));
  CHECK_OK(tg_tensor_item(t, &v));
  CHECK(v == 1);
  tg_tensor_free(t);
  CHECK_OK(tg_tensor_scalar(TG_FLOAT32, 0.1, &t));
  CHECK_OK(tg_tensor_item(t, &v));
  CHECK(v == (double)0.1f);
  tg_tensor_free(t);

  CHECK_OK(tg_tensor_fill(TG_INT64, shape, 2, 7.0, &t));
  {
    const double want[] = {7, 7, 7, 7};
    CHECK_TENSOR(t, TG_INT64, shape, 2, want, 0);
  }
  tg_tensor_free(t);
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, NULL, 0, -1.25, &t));
  CHECK(item_of(t) == -1.25);
  tg_tensor_free(t);
}

/* ---- wrap: the deleter runs once, after the last user, with its context ---- */

typedef struct {
  int calls;
  void* data;
  void* context;
} deleter_log;

static void log_deleter(void* data, void* context) {
  deleter_log* log = (deleter_log*)context;
  log->calls++;
  log->data = data;
  log->context = context;
}

static void test_wrap(void) {
  const int64_t shape[] = {2, 3};
  const int64_t flat[] = {6};
  const int64_t rank9[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  float* buffer = (float*)malloc(6 * sizeof(float));
  deleter_log log = {0, NULL, NULL};
  tg_tensor *t = NULL, *r = NULL, *doubled = NULL, *sentinel = (tg_tensor*)&log;
  const void* p = NULL;
  int i;
  for (i = 0; i < 6; ++i) buffer[i] = (float)(i + 1);

  /* on error the deleter is not called and nothing is written */
  t = sentinel;
  CHECK_ERR(tg_tensor_wrap(TG_FLOAT32, rank9, 9, buffer, log_deleter, &log, &t),
            TG_INVALID_ARGUMENT, "[tg_tensor_wrap]", "rank 9");
  CHECK_ERR(tg_tensor_wrap((tg_dtype)9, shape, 2, buffer, log_deleter, &log, &t),
            TG_INVALID_ARGUMENT, "[tg_tensor_wrap]", "dtype 9");
  CHECK_ERR(tg_tensor_wrap(TG_FLOAT32, shape, 2, NULL, log_deleter, &log, &t),
            TG_INVALID_ARGUMENT, "[tg_tensor_wrap]", "data is NULL");
  CHECK_ERR(tg_tensor_wrap(TG_FLOAT32, shape, 2, (char*)buffer + 1, log_deleter, &log, &t),
            TG_INVALID_ARGUMENT, "[tg_tensor_wrap]", "aligned");
  CHECK_ERR(tg_tensor_wrap(TG_FLOAT32, shape, 2, buffer, log_deleter, &log, NULL),
            TG_INVALID_ARGUMENT, "[tg_tensor_wrap]", "out");
  CHECK(t == sentinel);
  CHECK(log.calls == 0);

  CHECK_OK(tg_tensor_wrap(TG_FLOAT32, shape, 2, buffer, log_deleter, &log, &t));
  CHECK_OK(tg_tensor_data(t, &p));
  CHECK(p == (const void*)buffer); /* zero-copy */
  {
    const double want[] = {1, 2, 3, 4, 5, 6};
    CHECK_TENSOR(t, TG_FLOAT32, shape, 2, want, 0);
  }
  /* reshape shares the storage: the memory stays alive while the reshaped tensor lives */
  CHECK_OK(tg_reshape(t, flat, 1, &r));
  CHECK_OK(tg_tensor_data(r, &p));
  CHECK(p == (const void*)buffer);
  /* op results never alias it */
  CHECK_OK(tg_add(t, t, &doubled));
  CHECK_OK(tg_tensor_data(doubled, &p));
  CHECK(p != (const void*)buffer);
  CHECK_OK(tg_tensor_free(t));
  CHECK(log.calls == 0);
  CHECK_OK(tg_tensor_free(doubled));
  CHECK(log.calls == 0);
  CHECK(element(r, 5) == 6.0);
  CHECK_OK(tg_tensor_free(r));
  CHECK(log.calls == 1);
  CHECK(log.data == (void*)buffer);
  CHECK(log.context == (void*)&log);
  free(buffer);

  /* a tape that saved the wrapped tensor keeps it alive too */
  {
    double value = 3.0;
    deleter_log log2 = {0, NULL, NULL};
    tg_tape* tape = NULL;
    tg_tensor *x = NULL, *y = NULL, *g = NULL;
    const void* targets[1];
    const void* sources[1];
    CHECK_OK(tg_tensor_wrap(TG_FLOAT64, NULL, 0, &value, log_deleter, &log2, &x));
    CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
    CHECK_OK(tg_tape_watch(tape, x));
    CHECK_OK(tg_mul(x, x, &y)); /* mul saves its inputs */
    CHECK_OK(tg_tape_end(tape));
    targets[0] = y;
    sources[0] = x;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
    CHECK(item_of(g) == 6.0);
    CHECK_OK(tg_tensor_free(g));
    CHECK_OK(tg_tensor_free(y));
    CHECK_OK(tg_tensor_free(x));
    CHECK(log2.calls == 0); /* the persistent tape saved x for mul's gradient */
    CHECK_OK(tg_tape_free(tape));
    CHECK(log2.calls == 1);
    CHECK(log2.data == (void*)&value);
  }

  /* a NULL deleter: the caller keeps the memory */
  {
    int32_t values[] = {4, 5};
    const int64_t two[] = {2};
    CHECK_OK(tg_tensor_wrap(TG_INT32, two, 1, values, NULL, NULL, &t));
    CHECK(element(t, 1) == 5.0);
    CHECK_OK(tg_tensor_free(t));
    /* no elements, no memory */
    CHECK_OK(tg_tensor_wrap(TG_FLOAT32, (const int64_t[]){0}, 1, NULL, log_deleter, &log, &t));
    CHECK_OK(tg_tensor_free(t));
    CHECK(log.calls == 2 && log.data == NULL);
  }
}

/* ---- random ---- */

static void test_random(void) {
  const int64_t shape[] = {1000};
  const int64_t rank9[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  float a[1000], b[1000];
  double d[1000], sum = 0, sum2 = 0, lo = 1e9, hi = -1e9;
  tg_tensor *t1 = NULL, *t2 = NULL, *t3 = NULL, *sentinel = (tg_tensor*)&t1, *t = sentinel;
  int i, in_range = 1;

  /* same seed -> identical bytes; another seed -> other numbers */
  CHECK_OK(tg_random_uniform(TG_FLOAT32, shape, 1, -2.0, 3.0, 42, &t1));
  CHECK_OK(tg_random_uniform(TG_FLOAT32, shape, 1, -2.0, 3.0, 42, &t2));
  CHECK_OK(tg_random_uniform(TG_FLOAT32, shape, 1, -2.0, 3.0, 43, &t3));
  CHECK_OK(tg_tensor_copy_data(t1, a, sizeof a));
  CHECK_OK(tg_tensor_copy_data(t2, b, sizeof b));
  CHECK(memcmp(a, b, sizeof a) == 0);
  for (i = 0; i < 1000; ++i) {
    in_range = in_range && a[i] >= -2.0f && a[i] < 3.0f;
    sum += a[i];
    if (a[i] < lo) lo = a[i];
    if (a[i] > hi) hi = a[i];
  }
  CHECK(in_range);
  CHECK_NEAR(sum / 1000, 0.5, 0.15);
  CHECK(lo < -1.9 && hi > 2.9);
  CHECK_OK(tg_tensor_copy_data(t3, b, sizeof b));
  CHECK(memcmp(a, b, sizeof a) != 0);
  tg_tensor_free(t1);
  tg_tensor_free(t2);
  tg_tensor_free(t3);

  CHECK_OK(tg_random_uniform(TG_FLOAT64, shape, 1, 0.0, 1.0, 7, &t1));
  CHECK_OK(tg_tensor_copy_data(t1, d, sizeof d));
  in_range = 1;
  for (i = 0; i < 1000; ++i) in_range = in_range && d[i] >= 0.0 && d[i] < 1.0;
  CHECK(in_range);
  tg_tensor_free(t1);

  /* normal: deterministic, mean and standard deviation as asked */
  CHECK_OK(tg_random_normal(TG_FLOAT64, shape, 1, 1.0, 2.0, 5, &t1));
  CHECK_OK(tg_random_normal(TG_FLOAT64, shape, 1, 1.0, 2.0, 5, &t2));
  CHECK_OK(tg_tensor_copy_data(t1, d, sizeof d));
  {
    double e[1000];
    CHECK_OK(tg_tensor_copy_data(t2, e, sizeof e));
    CHECK(memcmp(d, e, sizeof d) == 0);
  }
  sum = 0;
  for (i = 0; i < 1000; ++i) {
    sum += d[i];
    sum2 += d[i] * d[i];
  }
  CHECK_NEAR(sum / 1000, 1.0, 0.2);
  CHECK_NEAR(sqrt(sum2 / 1000 - (sum / 1000) * (sum / 1000)), 2.0, 0.2);
  tg_tensor_free(t1);
  tg_tensor_free(t2);
  CHECK_OK(tg_random_normal(TG_FLOAT32, shape, 1, 0.0, 1.0, 5, &t1));
  CHECK_OK(tg_random_normal(TG_FLOAT32, shape, 1, 0.0, 1.0, 5, &t2));
  CHECK_OK(tg_tensor_copy_data(t1, a, sizeof a));
  CHECK_OK(tg_tensor_copy_data(t2, b, sizeof b));
  CHECK(memcmp(a, b, sizeof a) == 0);
  tg_tensor_free(t1);
  tg_tensor_free(t2);

  /* errors */
  CHECK_ERR(tg_random_uniform(TG_FLOAT32, shape, 1, 1.0, 1.0, 1, &t), TG_INVALID_ARGUMENT,
            "[tg_random_uniform]", "minval");
  CHECK_ERR(tg_random_uniform(TG_INT32, shape, 1, 0.0, 1.0, 1, &t), TG_INVALID_ARGUMENT,
            "[tg_random_uniform]", "floating", "int32");
  CHECK_ERR(tg_random_uniform((tg_dtype)42, shape, 1, 0.0, 1.0, 1, &t), TG_INVALID_ARGUMENT,
            "[tg_random_uniform]", "dtype 42");
  CHECK_ERR(tg_random_uniform(TG_FLOAT32, rank9, 9, 0.0, 1.0, 1, &t), TG_INVALID_ARGUMENT,
            "[tg_random_uniform]", "rank 9");
  CHECK_ERR(tg_random_uniform(TG_FLOAT32, (const int64_t[]){-5}, 1, 0.0, 1.0, 1, &t),
            TG_INVALID_ARGUMENT, "[tg_random_uniform]", "negative dimension -5");
  CHECK_ERR(tg_random_uniform(TG_FLOAT32, NULL, 1, 0.0, 1.0, 1, &t), TG_INVALID_ARGUMENT,
            "[tg_random_uniform]", "shape is NULL");
  CHECK_ERR(tg_random_uniform(TG_FLOAT32, shape, 1, 0.0, 1.0, 1, NULL), TG_INVALID_ARGUMENT,
            "[tg_random_uniform]", "out");
  CHECK_ERR(tg_random_normal(TG_FLOAT32, shape, 1, 0.0, -1.0, 1, &t), TG_INVALID_ARGUMENT,
            "[tg_random_normal]", "stddev");
  CHECK_ERR(tg_random_normal(TG_INT64, shape, 1, 0.0, 1.0, 1, &t), TG_INVALID_ARGUMENT,
            "[tg_random_normal]", "floating", "int64");
  CHECK_ERR(tg_random_normal(TG_FLOAT32, rank9, 9, 0.0, 1.0, 1, &t), TG_INVALID_ARGUMENT,
            "[tg_random_normal]", "rank 9");
  CHECK_ERR(tg_random_normal(TG_FLOAT32, shape, 1, 0.0, 1.0, 1, NULL), TG_INVALID_ARGUMENT,
            "[tg_random_normal]", "out");
  CHECK(t == sentinel);
}

/* ---- wrong-type handles ---- */

static void test_wrong_type_handles(void) {
  tg_tensor* x = make_scalar(TG_FLOAT32, 1.0);
  tg_variable* v = NULL;
  tg_tape* tape = NULL;
  int rank = 0;
  CHECK_OK(tg_variable_create("v", x, 1, &v));
  CHECK_ERR(tg_tensor_rank((const tg_tensor*)v, &rank), TG_INVALID_HANDLE, "[tg_tensor_rank]",
            "is a tg_variable, expected a tg_tensor");
  CHECK_ERR(tg_tensor_free((tg_tensor*)v), TG_INVALID_HANDLE, "[tg_tensor_free]",
            "is a tg_variable, expected a tg_tensor");
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_ERR(tg_tensor_free((tg_tensor*)tape), TG_INVALID_HANDLE, "[tg_tensor_free]",
            "is a tg_tape, expected a tg_tensor");
  /* a pointer that was never a handle */
  CHECK_ERR(tg_tensor_rank((const tg_tensor*)&rank, &rank), TG_INVALID_HANDLE,
            "[tg_tensor_rank]", "not a live tapegrad handle");
  CHECK_OK(tg_tape_free(tape));
  CHECK_OK(tg_variable_free(v));
  CHECK_OK(tg_tensor_free(x));
}

int main(void) {
  test_library();
  test_create_and_metadata();
  test_create_errors();
  test_scalar_and_fill();
  test_wrap();
  test_random();
  test_wrong_type_handles();
  return check_summary();
}
