/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_input.h — reads a fuzzer's input as a stream of small numbers (C99). Past the end every
 * read gives 0, so any input, even an empty one, is a complete program for a target.
 */
#ifndef TAPEGRAD_TESTS_FUZZ_INPUT_H
#define TAPEGRAD_TESTS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tapegrad/tapegrad.h"

typedef struct {
  const uint8_t* data;
  size_t size;
  size_t pos;
} fuzz_input;

static inline int fuzz_done(const fuzz_input* in) { return in->pos >= in->size; }

static inline uint8_t fuzz_u8(fuzz_input* in) { return in->pos < in->size ? in->data[in->pos++] : 0; }

/* A number in [0, n); n > 0. */
static inline uint32_t fuzz_below(fuzz_input* in, uint32_t n) { return fuzz_u8(in) % n; }

static inline uint64_t fuzz_u64(fuzz_input* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= (uint64_t)fuzz_u8(in) << (8 * i);
  return v;
}

/* A dimension-like number: mostly small, sometimes one of the edge values that break
 * size arithmetic (negative, zero, 2^56 and around it, INT64_MAX, INT64_MIN). */
static inline int64_t fuzz_dim(fuzz_input* in) {
  static const int64_t edges[] = {-1, 0, 1, 2, (int64_t)1 << 28, ((int64_t)1 << 56) - 1, (int64_t)1 << 56,
                                  ((int64_t)1 << 56) + 1, (int64_t)1 << 62, INT64_MAX, INT64_MIN};
  const uint8_t b = fuzz_u8(in);
  if (b < 224) return b % 5;
  return edges[(b - 224) % (sizeof edges / sizeof edges[0])];
}

/* The library broke a promise: a status outside tg_status, or an invariant the target
 * checks. abort() makes libFuzzer (or the replay driver) report the input. */
static inline void fuzz_fail(const char* what) {
  fprintf(stderr, "fuzz: %s\n", what);
  abort();
}

/* Every call returns a tg_status; TG_INTERNAL means an exception the library did not expect,
 * and every error comes with a message. */
static inline void fuzz_check_status(tg_status s) {
  if ((int)s < TG_OK || (int)s > TG_INTERNAL) fuzz_fail("a status outside tg_status");
  if (s == TG_INTERNAL) fuzz_fail("TG_INTERNAL: an unexpected exception inside the library");
  if (s != TG_OK && tg_last_error_message()[0] == '\0') fuzz_fail("an error without a message");
}

#endif /* TAPEGRAD_TESTS_FUZZ_INPUT_H */
