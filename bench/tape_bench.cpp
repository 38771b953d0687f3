// SPDX-License-Identifier: Apache-2.0
// Per-op cost of the gradient tape on tiny tensors (the design goal is well under a
// microsecond to record and replay), through the C ABI as users call it. A chain of scalar
// float32 ops y ← y·k + c (kSteps steps, two ops each; mul saves its inputs) is run
//   untaped   — no tape at all: the cost of the ops and their handles alone;
//   recorded  — under a tape watching the start: + recording;
//   replayed  — recorded, then tg_tape_gradient: + the backward walk and the gradient ops.
// The counter ns_per_op divides each iteration's time by the number of forward ops, so
// recorded − untaped is the recording overhead and replayed − recorded the replay cost.
//
// Medians of 9 runs, ns per op (CPU time, 2-core Zen 5; "loaded": other builds running),
// before and after the flat record (arena'd input metadata, chunked records, an
// open-addressing id map, one gradient slot per record instead of hash maps, no per-op
// allocations):
//                        untaped  recorded  replayed  replayed, persistent
//   before (quiet)         178      575       753        736
//   before (loaded)        179      806      1086       1053
//   after  (same load)     185      363       488        477
// The same chain driven through the C++ core without handles (tg::ops, tg::Tape) measured
// 85 / 300 / 425 ns before and 86 / 156 / 242 ns after: recording went from ~215 to ~70 ns
// per op, replaying from ~125 to ~86. What remains of the C ABI's difference is mostly the
// handle registry (capi/handles.cpp) and buffers that saved tensors keep from being reused.
#include <benchmark/benchmark.h>

#include "tapegrad/tapegrad.h"

namespace {

constexpr int kSteps = 500;       // chain length in steps
constexpr int kOps = 2 * kSteps;  // forward ops per iteration

enum class Mode { untaped, recorded, replayed };

void run_chain(benchmark::State& state, Mode mode, uint32_t flags) {
  tg_set_num_threads(1);
  tg_tensor *x, *k, *c;
  tg_tensor_scalar(TG_FLOAT32, 1.0, &x);
  tg_tensor_scalar(TG_FLOAT32, 0.999, &k);
  tg_tensor_scalar(TG_FLOAT32, 0.001, &c);
  for (auto _ : state) {
    tg_tape* tape = nullptr;
    if (mode != Mode::untaped) {
      tg_tape_begin(flags, &tape);
      tg_tape_watch(tape, x);
    }
    tg_tensor* y = x;
    for (int i = 0; i < kSteps; ++i) {
      tg_tensor *p, *s;
      if (tg_mul(y, k, &p) != TG_OK || tg_add(p, c, &s) != TG_OK) {
        state.SkipWithError(tg_last_error_message());
        return;
      }
      tg_tensor_free(p);
      if (y != x) tg_tensor_free(y);
      y = s;
    }
    if (tape) tg_tape_end(tape);
    if (mode == Mode::replayed) {
      const void* targets[1] = {y};
      const void* sources[1] = {x};
      tg_tensor* g = nullptr;
      if (tg_tape_gradient(tape, targets, 1, sources, 1, &g) != TG_OK || !g)
        state.SkipWithError("no gradient");
      tg_tensor_free(g);
    }
    tg_tensor_free(y);
    tg_tape_free(tape);
  }
  state.counters["ns_per_op"] =
      benchmark::Counter(static_cast<double>(kOps), benchmark::Counter::kIsIterationInvariantRate |
                                                        benchmark::Counter::kInvert);
  tg_tensor_free(x);
  tg_tensor_free(k);
  tg_tensor_free(c);
}

void BM_chain_untaped(benchmark::State& s) { run_chain(s, Mode::untaped, TG_TAPE_DEFAULT); }
void BM_chain_recorded(benchmark::State& s) { run_chain(s, Mode::recorded, TG_TAPE_DEFAULT); }
void BM_chain_replayed(benchmark::State& s) { run_chain(s, Mode::replayed, TG_TAPE_DEFAULT); }
void BM_chain_replayed_persistent(benchmark::State& s) {
  run_chain(s, Mode::replayed, TG_TAPE_PERSISTENT);
}

}  // namespace

BENCHMARK(BM_chain_untaped)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_chain_recorded)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_chain_replayed)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_chain_replayed_persistent)->Unit(benchmark::kMicrosecond);
