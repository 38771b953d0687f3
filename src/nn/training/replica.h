/* SPDX-License-Identifier: Apache-2.0 */
// Replicas of data-parallel training: the collectives a transport gives (tg_replica in the C
// header; tapegrad_mpi gives MPI's), and what fit and train_step build on them: agreement on
// every replica's status, gradient sums packed into buckets, the broadcast of a model.
//
// Every function here is collective: all replicas call it in the same order with buffers of
// the same sizes, or the transport times out.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <span>
#include <vector>

#include "tensor/tensor.h"

namespace tg {

class Model;
class Optimizer;

struct Replica {
  static constexpr size_t kDefaultBucketBytes = size_t{4} << 20;
  int rank = 0;
  int size = 1;
  // Sums `count` values of `dtype` (f32 or f64) at `buffer` in place over all replicas, the
  // result identical on every replica; throws Error.
  std::function<void(void* buffer, size_t count, DType dtype)> allreduce_sum;
  // Copies `bytes` bytes at `buffer` from replica `root` to all; throws Error.
  std::function<void(void* buffer, size_t bytes, int root)> broadcast;
  size_t bucket_bytes = kDefaultBucketBytes;
};

// Checks rank, size, the functions and the bucket size (invalid_argument naming `what`).
void check_replica(const Replica& replica, const char* what);

// One collective that agrees on success and sums a payload: each replica passes the error its
// own work threw (null if none) and `payload`; returns the payload summed over replicas
// (float64, summed by allreduce_sum). If any replica failed, every replica throws instead: the
// failed replica of lowest rank rethrows its own error, and every other replica throws
// Error(that replica's status, "replica <r> of <n> failed: <its message>").
std::vector<double> agree_and_sum(const Replica& replica, std::exception_ptr local, std::vector<double> payload);

// Words that, summed over the replicas (in agree_and_sum's payload), tell whether every replica
// gave the same value: three 10-bit hashes h of the value, each with h². The sums satisfy
// size·Σh² = (Σh)² only when all h are equal; every term stays below 2^53 (exact) for up to
// 2^16 replicas. Different values pass unnoticed with probability about 2^-30.
constexpr size_t kSameCheckWords = 6;
void append_same_check(std::vector<double>& words, uint64_t value);
bool same_everywhere(const double* summed, int size);

// agree_and_sum without a payload.
inline void agree(const Replica& replica, std::exception_ptr local) { agree_and_sum(replica, local, {}); }

// The sum over replicas of `tensors` (f32 / f64; undefined entries are skipped and stay
// undefined), each multiplied by `scale` first (exactly, when scale is a power of two). The
// tensors are packed in order into buckets of one dtype and at most bucket_bytes bytes (a
// larger tensor fills a bucket alone), one allreduce_sum per bucket. Returns new tensors, in
// order, that share the buckets' storage.
std::vector<Tensor> allreduce_sum(const Replica& replica, std::span<const Tensor> tensors, double scale);

// The mean over replicas of `tensors` (Horovod's allreduce with op=Average, for a training
// loop of one's own): each replica passes its own tensors, the same number with the same
// dtypes and shapes; an entry undefined on every replica stays undefined. Entries undefined on
// some replicas but not on others, or different counts or sizes, are invalid_argument on every
// replica. Exact for a power-of-two number of replicas (each tensor is scaled by 1/size first).
std::vector<Tensor> allreduce_mean(const Replica& replica, std::span<const Tensor> tensors);

// Makes every replica's model weights (trainable or not) and optimizer state (the iteration
// counter and the slots, if `root`'s optimizer is built; optimizer may be null on all
// replicas) equal to replica `root`'s, bit for bit. The models must have the same weights
// (count, dtypes, shapes) and the optimizers the same class: otherwise every replica fails with
// invalid_argument, the message naming the first difference, and nothing changes.
void broadcast_model(const Replica& replica, Model& model, Optimizer* optimizer, int root);

}  // namespace tg
