// SPDX-License-Identifier: Apache-2.0
// The cost of one C ABI call with its handles, timed (bench/call_cost.c counts the same three
// scenarios' instructions under callgrind, which the shared machine's load cannot disturb):
//   add_free        tg_add of two float32 scalars + tg_tensor_free, no tape;
//   record_gradient tape begin, watch x, y = x·x, end, gradient, free y, dy/dx and the tape.
// The third, a 64×64 tg_matmul + free, is BM_tg_matmul/64 in matmul_bench.cpp.
#include <benchmark/benchmark.h>

#include "tapegrad/tapegrad.h"

namespace {

void BM_call_add_free(benchmark::State& state) {
  tg_set_num_threads(1);
  tg_tensor *a, *b;
  tg_tensor_scalar(TG_FLOAT32, 1.5, &a);
  tg_tensor_scalar(TG_FLOAT32, 2.5, &b);
  for (auto _ : state) {
    tg_tensor* c = nullptr;
    if (tg_add(a, b, &c) != TG_OK) state.SkipWithError(tg_last_error_message());
    tg_tensor_free(c);
  }
  tg_tensor_free(a);
  tg_tensor_free(b);
}

void BM_call_record_gradient(benchmark::State& state) {
  tg_set_num_threads(1);
  tg_tensor* x;
  tg_tensor_scalar(TG_FLOAT32, 3.0, &x);
  for (auto _ : state) {
    tg_tape* tape = nullptr;
    tg_tensor *y = nullptr, *g = nullptr;
    tg_tape_begin(TG_TAPE_DEFAULT, &tape);
    tg_tape_watch(tape, x);
    tg_mul(x, x, &y);
    tg_tape_end(tape);
    const void* targets[1] = {y};
    const void* sources[1] = {x};
    if (tg_tape_gradient(tape, targets, 1, sources, 1, &g) != TG_OK) state.SkipWithError(tg_last_error_message());
    tg_tensor_free(g);
    tg_tensor_free(y);
    tg_tape_free(tape);
  }
  tg_tensor_free(x);
}

}  // namespace

BENCHMARK(BM_call_add_free);
BENCHMARK(BM_call_record_gradient);
