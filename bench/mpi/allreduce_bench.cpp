// SPDX-License-Identifier: Apache-2.0
// The gradient allreduce of data-parallel training (tg_replica_allreduce_mean: the agreement on
// NULL gradients and shapes, packing into buckets, MPI_Iallreduce polled against the timeout,
// unpacking) against a raw MPI_Allreduce of the same number of bytes, in the same run.
// Run under MPI; every rank runs the same benchmarks for the same fixed iteration counts (so
// their collectives pair up), and only rank 0 reports:
//   mpirun -np 2 build/bench/mpi/tapegrad_mpi_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
// (not --benchmark_enable_random_interleaving: each rank would draw its own order).
//
// Gradient lists: the shapes of the seed model (Dense 32 relu → Dense 10 on 32 features), the
// Fashion-MNIST MLP (784-256-128-10) and CNN (examples/fashion_mnist.c), and 16 MiB in eight
// 2 MiB tensors (four 4 MiB buckets), all float32.
#include <mpi.h>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "tapegrad/tapegrad_mpi.h"

namespace {

using Shape = std::vector<int64_t>;

const std::vector<std::vector<Shape>> kModels = {
    {{32, 32}, {32}, {32, 10}, {10}},                                                     // seed
    {{784, 256}, {256}, {256, 128}, {128}, {128, 10}, {10}},                              // MLP
    {{3, 3, 1, 32}, {32}, {3, 3, 32, 64}, {64}, {1600, 128}, {128}, {128, 10}, {10}},    // CNN
    {{512, 1024}, {512, 1024}, {512, 1024}, {512, 1024}, {512, 1024}, {512, 1024}, {512, 1024}, {512, 1024}},
};
const char* const kNames[] = {"seed", "mlp", "cnn", "16MiB"};

const tg_replica* replica = nullptr;

int64_t elements(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

int64_t model_bytes(size_t model) {
  int64_t n = 0;
  for (const Shape& s : kModels[model]) n += elements(s) * 4;
  return n;
}

void fail(const char* what) {
  std::fprintf(stderr, "tapegrad_mpi_bench: %s: %s\n", what, tg_last_error_message());
  MPI_Abort(MPI_COMM_WORLD, 1);  // a benchmark program, not the library: end every rank
}

// tg_replica_allreduce_mean over the model's gradient list.
void BM_tapegrad_allreduce_mean(benchmark::State& state) {
  const auto model = static_cast<size_t>(state.range(0));
  std::vector<tg_tensor*> grads;
  for (const Shape& s : kModels[model]) {
    tg_tensor* t = nullptr;
    if (tg_tensor_fill(TG_FLOAT32, s.data(), static_cast<int>(s.size()), 1.0, &t) != TG_OK) fail("tg_tensor_fill");
    grads.push_back(t);
  }
  std::vector<tg_tensor*> out(grads.size());
  for (auto _ : state) {
    if (tg_replica_allreduce_mean(replica, grads.data(), grads.size(), out.data()) != TG_OK) fail("allreduce_mean");
    for (tg_tensor* t : out) tg_tensor_free(t);
  }
  state.SetBytesProcessed(state.iterations() * model_bytes(model));
  state.SetLabel(kNames[model]);
  for (tg_tensor* t : grads) tg_tensor_free(t);
}

// MPI_Allreduce (blocking, in place) of as many float32 values as the model has.
void BM_mpi_allreduce(benchmark::State& state) {
  const auto model = static_cast<size_t>(state.range(0));
  std::vector<float> buffer(static_cast<size_t>(model_bytes(model) / 4), 1.0f);
  for (auto _ : state)
    if (MPI_Allreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(buffer.size()), MPI_FLOAT, MPI_SUM,
                      MPI_COMM_WORLD) != MPI_SUCCESS)
      fail("MPI_Allreduce");
  state.SetBytesProcessed(state.iterations() * model_bytes(model));
  state.SetLabel(kNames[model]);
}

// The transport alone: the replica's allreduce_sum (MPI_Iallreduce + polling) of one buffer.
void BM_replica_allreduce_sum(benchmark::State& state) {
  const auto model = static_cast<size_t>(state.range(0));
  std::vector<float> buffer(static_cast<size_t>(model_bytes(model) / 4), 1.0f);
  for (auto _ : state)
    if (replica->allreduce_sum(replica->context, buffer.data(), buffer.size(), TG_FLOAT32) != TG_OK)
      fail("allreduce_sum");
  state.SetBytesProcessed(state.iterations() * model_bytes(model));
  state.SetLabel(kNames[model]);
}

// Does overlapping the gradient allreduce with the backward pass pay? The MLP's gradient bytes
// reduced while the rank computes a GEMM of the backward pass's size (dW of the first layer at
// batch 64: (784, 64)·(64, 256)): range(0) = 0 computes then reduces (what tapegrad does),
// 1 starts MPI_Iallreduce, computes, then waits (what DDP does).
void BM_overlap(benchmark::State& state) {
  const bool overlap = state.range(0) == 1;
  std::vector<float> buffer(static_cast<size_t>(model_bytes(1) / 4), 1.0f);
  const int64_t xs[2] = {64, 784}, gs[2] = {64, 256};
  tg_tensor *x = nullptr, *g = nullptr, *dw = nullptr;
  if (tg_tensor_fill(TG_FLOAT32, xs, 2, 0.5, &x) != TG_OK || tg_tensor_fill(TG_FLOAT32, gs, 2, 0.25, &g) != TG_OK)
    fail("tg_tensor_fill");
  for (auto _ : state) {
    MPI_Request request = MPI_REQUEST_NULL;
    if (overlap &&
        MPI_Iallreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(buffer.size()), MPI_FLOAT, MPI_SUM,
                       MPI_COMM_WORLD, &request) != MPI_SUCCESS)
      fail("MPI_Iallreduce");
    for (int i = 0; i < 4; ++i) {  // four layers' worth of backward GEMMs
      if (tg_matmul(x, g, 1, 0, &dw) != TG_OK) fail("tg_matmul");
      tg_tensor_free(dw);
    }
    if (overlap ? MPI_Wait(&request, MPI_STATUS_IGNORE) != MPI_SUCCESS
                : MPI_Allreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(buffer.size()), MPI_FLOAT, MPI_SUM,
                                MPI_COMM_WORLD) != MPI_SUCCESS)
      fail("allreduce");
  }
  state.SetLabel(overlap ? "overlapped" : "sequential");
  tg_tensor_free(x);
  tg_tensor_free(g);
}

// Registers `fn` for every gradient list with a fixed iteration count: every rank must make
// the same calls, which an adaptive count would not give.
void register_all(const char* name, void (*fn)(benchmark::State&)) {
  const int iterations[] = {2000, 200, 200, 20};
  for (int m = 0; m < 4; ++m)
    benchmark::RegisterBenchmark(name, fn)->Arg(m)->Iterations(iterations[m])->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  tg_mpi* mpi = nullptr;
  int rank = 0;
  if (tg_mpi_init(&argc, &argv, &mpi) != TG_OK || tg_mpi_replica(mpi, &replica) != TG_OK ||
      tg_mpi_rank(mpi, &rank) != TG_OK || tg_set_num_threads(1) != TG_OK) {
    std::fprintf(stderr, "tapegrad_mpi_bench: %s\n", tg_last_error_message());
    return 1;
  }
  register_all("BM_mpi_allreduce", BM_mpi_allreduce);
  register_all("BM_tapegrad_allreduce_mean", BM_tapegrad_allreduce_mean);
  register_all("BM_replica_allreduce_sum", BM_replica_allreduce_sum);
  for (int overlap = 0; overlap < 2; ++overlap)
    benchmark::RegisterBenchmark("BM_overlap", BM_overlap)->Arg(overlap)->Iterations(200)->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  benchmark::Initialize(&argc, argv);
  if (rank == 0) {
    benchmark::RunSpecifiedBenchmarks();
  } else {  // the same runs, reported nowhere
    benchmark::ConsoleReporter quiet;
    std::ofstream sink("/dev/null");
    quiet.SetOutputStream(&sink);
    quiet.SetErrorStream(&sink);
    benchmark::RunSpecifiedBenchmarks(&quiet);
  }
  benchmark::Shutdown();
  tg_mpi_free(mpi);
  tg_mpi_finalize();
  return 0;
}
