/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tape engine through the C ABI: a 100,000-op chain differentiates and frees without
 * recursion, and what a tape keeps alive (the tensors saved for gradients) is returned when
 * it is no longer needed: after the one gradient of a non-persistent tape, and when a
 * persistent tape is freed. Memory is observed through tg_tensor_wrap's deleter.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

enum { CHAIN = 100000 };

/* y = x + x + ... (CHAIN additions): dy/dx = CHAIN + 1, exact in float32 (< 2^24). */
static void test_hundred_thousand_op_chain(uint32_t flags) {
  tg_tensor *x = make_scalar(TG_FLOAT32, 1), *y = x, *g = NULL;
  tg_tape* tape = NULL;
  const void* targets[1];
  const void* sources[1];
  int i, ok = 1;
  CHECK_OK(tg_tape_begin(flags, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  for (i = 0; i < CHAIN && ok; ++i) {
    tg_tensor* next = NULL;
    ok = tg_add(y, x, &next) == TG_OK;
    if (y != x) tg_tensor_free(y); /* the tape keeps what it needs */
    y = next;
  }
  CHECK(ok);
  CHECK_OK(tg_tape_end(tape));
  targets[0] = y;
  sources[0] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  CHECK_TENSOR(g, TG_FLOAT32, NULL, 0, ((const double[]){CHAIN + 1}), 0);
  tg_tensor_free(g);
  if (flags & TG_TAPE_PERSISTENT) { /* and again: the record is intact */
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
    CHECK_NEAR(item_of(g), CHAIN + 1, 0);
    tg_tensor_free(g);
  }
  CHECK_OK(tg_tape_free(tape)); /* frees CHAIN records in a loop */
  tg_tensor_free(y);
  tg_tensor_free(x);
}

/* y = c·x^k through a chain of muls, each saving its inputs: float64 c = 1.0001. */
static void test_hundred_thousand_mul_chain_persistent(void) {
  tg_tensor *x = make_scalar(TG_FLOAT64, 1), *c = make_scalar(TG_FLOAT64, 1.0001), *y = x;
  tg_tensor* g = NULL;
  tg_tape* tape = NULL;
  const void* targets[1];
  const void* sources[1];
  int i, ok = 1;
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  for (i = 0; i < CHAIN && ok; ++i) {
    tg_tensor* next = NULL;
    ok = tg_mul(y, c, &next) == TG_OK;
    if (y != x) tg_tensor_free(y);
    y = next;
  }
  CHECK(ok);
  CHECK_OK(tg_tape_end(tape));
  targets[0] = y;
  sources[0] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  CHECK_NEAR(item_of(g) / pow(1.0001, CHAIN), 1.0, 1e-9);
  tg_tensor_free(g);
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tensor_free(c);
}

static int deleter_calls;
static void count_deleter(void* data, void* context) {
  (void)data;
  (void)context;
  ++deleter_calls;
}

/* w is wrapped caller memory that only the tape keeps alive after its handle is freed (mul
 * saves both inputs for its gradient). */
static void test_saved_tensors_are_released(uint32_t flags) {
  static float w_data[4] = {1, 2, 3, 4};
  const int64_t s4[] = {4};
  tg_tensor* x = make_tensor(TG_FLOAT32, s4, 1, ((const double[]){5, 6, 7, 8}));
  tg_tensor *w = NULL, *y = NULL, *g = NULL;
  tg_tape* tape = NULL;
  const void* targets[1];
  const void* sources[1];
  deleter_calls = 0;
  CHECK_OK(tg_tensor_wrap(TG_FLOAT32, s4, 1, w_data, count_deleter, NULL, &w));
  CHECK_OK(tg_tape_begin(flags, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, w, &y));
  CHECK_OK(tg_tape_end(tape));
  CHECK_OK(tg_tensor_free(w));
  CHECK(deleter_calls == 0); /* the record holds w */
  targets[0] = y;
  sources[0] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  CHECK_TENSOR(g, TG_FLOAT32, s4, 1, ((const double[]){1, 2, 3, 4}), 0);
  tg_tensor_free(g);
  if (flags & TG_TAPE_PERSISTENT) {
    CHECK(deleter_calls == 0); /* "nothing is discarded" until the tape goes */
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
    CHECK_TENSOR(g, TG_FLOAT32, s4, 1, ((const double[]){1, 2, 3, 4}), 0);
    tg_tensor_free(g);
    CHECK(deleter_calls == 0);
  } else {
    CHECK(deleter_calls == 1); /* released by the one gradient call, before the tape is freed */
  }
  CHECK_OK(tg_tape_free(tape));
  CHECK(deleter_calls == 1);
  tg_tensor_free(x);
  tg_tensor_free(y);
}

/* A used non-persistent tape that is entered again drops the old record's tensors too, and
 * tg_tape_reset drops them at once. */
static void test_reset_releases(void) {
  static float w_data[2] = {1, 2};
  const int64_t s2[] = {2};
  tg_tensor* x = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){3, 4}));
  tg_tensor *w = NULL, *y = NULL;
  tg_tape* tape = NULL;
  deleter_calls = 0;
  CHECK_OK(tg_tensor_wrap(TG_FLOAT32, s2, 1, w_data, count_deleter, NULL, &w));
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, w, &y));
  CHECK_OK(tg_tensor_free(w));
  CHECK(deleter_calls == 0);
  CHECK_OK(tg_tape_reset(tape));
  CHECK(deleter_calls == 1);
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(x);
  tg_tensor_free(y);
}

int main(void) {
  test_hundred_thousand_op_chain(TG_TAPE_DEFAULT);
  test_hundred_thousand_op_chain(TG_TAPE_PERSISTENT);
  test_hundred_thousand_mul_chain_persistent();
  test_saved_tensors_are_released(TG_TAPE_DEFAULT);
  test_saved_tensors_are_released(TG_TAPE_PERSISTENT);
  test_reset_releases();
  return check_summary();
}
