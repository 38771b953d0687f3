/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Large matrix products, which the library cuts into tiles run by its own threads: the same
 * bits on 1 and 2 threads, for float32 and float64, plain, transposed and batched; the same
 * bits on more threads than the machine has cores (a helper waiting for a core has its tiles
 * taken over by the calling thread); and the same bits again when several threads of the
 * program multiply at once (the library's pool then serves them one after the other, and
 * OpenBLAS stays on one thread for all of them).
 * Also run under ThreadSanitizer (scripts/test).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define NUM_CALLERS 3

static tg_tensor* uniform(tg_dtype dtype, int64_t rows, int64_t cols, uint64_t seed) {
  const int64_t shape[2] = {rows, cols};
  tg_tensor* t = NULL;
  CHECK_OK(tg_random_uniform(dtype, shape, 2, -1, 1, seed, &t));
  return t;
}

/* 1 if a and b hold the same bytes. */
static int same_bits(const tg_tensor* a, const tg_tensor* b) {
  const void *pa = NULL, *pb = NULL;
  size_t na = 0, nb = 0;
  tg_dtype da = TG_FLOAT32, db = TG_FLOAT32;
  if (!a || !b) return 0;
  if (tg_tensor_data(a, &pa) != TG_OK || tg_tensor_data(b, &pb) != TG_OK) return 0;
  if (tg_tensor_size(a, &na) != TG_OK || tg_tensor_size(b, &nb) != TG_OK) return 0;
  if (tg_tensor_dtype(a, &da) != TG_OK || tg_tensor_dtype(b, &db) != TG_OK) return 0;
  return na == nb && da == db && memcmp(pa, pb, na * (da == TG_FLOAT64 ? 8 : 4)) == 0;
}

/* The product, computed on `threads` threads. */
static tg_tensor* product(const tg_tensor* a, const tg_tensor* b, int ta, int tb, size_t threads) {
  tg_tensor* c = NULL;
  CHECK_OK(tg_set_num_threads(threads));
  CHECK_OK(tg_matmul(a, b, ta, tb, &c));
  return c;
}

static void test_same_bits_on_one_and_two_threads(void) {
  const tg_dtype dtypes[2] = {TG_FLOAT32, TG_FLOAT64};
  int d, t;
  for (d = 0; d < 2; ++d)
    for (t = 0; t < 4; ++t) {
      const int ta = t & 1, tb = t >> 1;
      /* C (192, 320) = op(A) · op(B) with K = 400: 24.6 million multiply-adds, several tiles */
      tg_tensor* a = ta ? uniform(dtypes[d], 400, 192, 1) : uniform(dtypes[d], 192, 400, 1);
      tg_tensor* b = tb ? uniform(dtypes[d], 320, 400, 2) : uniform(dtypes[d], 400, 320, 2);
      tg_tensor* one = product(a, b, ta, tb, 1);
      tg_tensor* two = product(a, b, ta, tb, 2);
      if (!CHECK(same_bits(one, two))) fprintf(stderr, "    dtype %d ta %d tb %d\n", (int)dtypes[d], ta, tb);
      tg_tensor_free(a);
      tg_tensor_free(b);
      tg_tensor_free(one);
      tg_tensor_free(two);
    }
}

static void test_more_threads_than_cores(void) {
  const tg_dtype dtypes[2] = {TG_FLOAT32, TG_FLOAT64};
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  int d, rep;
  for (d = 0; d < 2; ++d) {
    tg_tensor* a = uniform(dtypes[d], 256, 400, 7);
    tg_tensor* b = uniform(dtypes[d], 400, 320, 8);
    tg_tensor* one = product(a, b, 0, 0, 1);
    for (rep = 0; rep < 5; ++rep) {
      tg_tensor* many = product(a, b, 0, 0, (size_t)(cores > 0 ? cores : 1) * 2 + 1);
      if (!CHECK(same_bits(one, many))) fprintf(stderr, "    dtype %d repetition %d\n", (int)dtypes[d], rep);
      tg_tensor_free(many);
    }
    tg_tensor_free(a);
    tg_tensor_free(b);
    tg_tensor_free(one);
  }
}

static void test_batched_same_bits(void) {
  const int64_t as[3] = {4, 160, 300}, bs[3] = {4, 300, 200};
  tg_tensor *a = NULL, *b = NULL, *one, *two;
  CHECK_OK(tg_random_uniform(TG_FLOAT32, as, 3, -1, 1, 3, &a));
  CHECK_OK(tg_random_uniform(TG_FLOAT32, bs, 3, -1, 1, 4, &b));
  one = product(a, b, 0, 0, 1);
  two = product(a, b, 0, 0, 2);
  CHECK(same_bits(one, two));
  tg_tensor_free(a);
  tg_tensor_free(b);
  tg_tensor_free(one);
  tg_tensor_free(two);
}

struct caller {
  const tg_tensor *a, *b;
  tg_tensor* c[4];
  tg_status status;
};

static void* multiply_repeatedly(void* arg) {
  struct caller* c = (struct caller*)arg;
  int i;
  c->status = TG_OK;
  for (i = 0; i < 4 && c->status == TG_OK; ++i) c->status = tg_matmul(c->a, c->b, i & 1, 0, &c->c[i]);
  return NULL;
}

static void test_concurrent_callers(void) {
  tg_tensor* a = uniform(TG_FLOAT64, 256, 256, 5);
  tg_tensor* b = uniform(TG_FLOAT64, 256, 300, 6);
  tg_tensor* want[2];
  struct caller callers[NUM_CALLERS];
  pthread_t threads[NUM_CALLERS];
  int i, k;
  want[0] = product(a, b, 0, 0, 1);
  want[1] = product(a, b, 1, 0, 1);
  CHECK_OK(tg_set_num_threads(2));
  memset(callers, 0, sizeof callers);
  for (i = 0; i < NUM_CALLERS; ++i) {
    callers[i].a = a;
    callers[i].b = b;
    CHECK(pthread_create(&threads[i], NULL, multiply_repeatedly, &callers[i]) == 0);
  }
  for (i = 0; i < NUM_CALLERS; ++i) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(callers[i].status == TG_OK);
    for (k = 0; k < 4; ++k) {
      CHECK(same_bits(callers[i].c[k], want[k & 1]));
      tg_tensor_free(callers[i].c[k]);
    }
  }
  tg_tensor_free(want[0]);
  tg_tensor_free(want[1]);
  tg_tensor_free(a);
  tg_tensor_free(b);
}

int main(void) {
  test_same_bits_on_one_and_two_threads();
  test_more_threads_than_cores();
  test_batched_same_bits();
  test_concurrent_callers();
  CHECK_OK(tg_set_num_threads(0));
  return check_summary();
}
