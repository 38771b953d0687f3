/* SPDX-License-Identifier: Apache-2.0 */
// Small helpers of the benchmark programs that call the C ABI.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "tapegrad/tapegrad.h"

namespace tg_bench {

// Benchmark programs stop at the first failed call: a number measured after an error is
// meaningless.
inline void must(tg_status s, const char* what) {
  if (s == TG_OK) return;
  std::fprintf(stderr, "%s failed: %s\n", what, tg_last_error_message());
  std::exit(1);
}

// A float32 tensor of the given shape, uniform in [lo, hi).
inline tg_tensor* uniform(std::vector<int64_t> shape, double lo, double hi, uint64_t seed) {
  tg_tensor* t = nullptr;
  must(tg_random_uniform(TG_FLOAT32, shape.data(), static_cast<int>(shape.size()), lo, hi, seed, &t),
       "tg_random_uniform");
  return t;
}

}  // namespace tg_bench
