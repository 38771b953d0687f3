/* SPDX-License-Identifier: Apache-2.0 */
// The data of fit / evaluate / predict, batch by batch (Keras's DataHandler and
// TensorLikeDataAdapter, keras/engine/data_adapter.py, Keras 2.15).
//
// Two kinds: arrays in memory (x, y, sample_weight, split into batches of batch_size rows,
// the last partial batch kept, reshuffled every epoch), or a source the caller feeds batch by
// batch (for data that does not fit in memory), which batches and shuffles by itself.
//
// Legend: N = samples (the first dimension of every array), B = batch size.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace tg {

// One batch: x (B, …), y (B, …) or undefined (predict), sample_weight (B, …) or undefined.
struct Batch {
  Tensor x, y, sample_weight;
};

// A source of batches. Not thread-safe; one run at a time.
class DataSource {
 public:
  virtual ~DataSource() = default;
  // Batches per epoch, or nullopt: the source says when an epoch ends.
  virtual std::optional<int64_t> steps() const = 0;
  // Batch `step` (0-based) of epoch `epoch`; nullopt ends an epoch of unknown length.
  virtual std::optional<Batch> batch(int64_t epoch, int64_t step) = 0;
};

// Arrays in memory: x (N, …) required; y and sample_weight (N, …) or undefined.
struct Arrays {
  Tensor x, y, sample_weight;
  int64_t samples() const { return x.shape()[0]; }
};

// What fit, evaluate and predict are given: arrays in memory, or a source of batches (then
// `arrays` is unused).
struct Data {
  Arrays arrays;
  std::shared_ptr<DataSource> source;
};

// The batches of `data`: the source itself, or ArrayData over the arrays after
// check_arrays, which must hold at least one sample, and targets if `needs_targets`.
// `what` names the caller and the data in errors ("fit: validation_data").
std::shared_ptr<DataSource> batches_of(const Data& data, int64_t batch_size, bool shuffle, uint64_t seed,
                                       bool needs_targets, const char* what);

// Keras's _check_data_cardinality: each defined array has rank >= 1 and N rows, else
// invalid_argument with Keras's message ("Data cardinality is ambiguous: …"). `what` names
// the caller and the data ("fit: x").
void check_arrays(const Arrays& arrays, const char* what);

// Checks a batch as check_arrays does (x required, every array with the same first
// dimension), plus at least one sample, and y if `needs_targets`.
void check_batch(const Batch& batch, bool needs_targets, const char* what);

// Keras's train_validation_split: rows [0, split_at) train and [split_at, N) validate, with
// split_at = floor(N·(1 − validation_split)), taken before any shuffling. validation_split in
// (0, 1); split_at of 0 or N is Keras's ValueError ("Training data contains N samples, …").
std::pair<Arrays, Arrays> train_validation_split(const Arrays& arrays, double validation_split);

// Batches of `batch_size` rows, ceil(N / B) per epoch, the last one holding the N mod B rows
// left. With shuffle, each epoch draws a permutation of 0..N−1 from (seed, epoch) alone
// (Philox4x32-10, Fisher–Yates), so the same seed gives the same batches on every run, and an
// epoch's order does not depend on the epochs before it. Without shuffle, batches are views of
// consecutive rows (no copy).
class ArrayData : public DataSource {
 public:
  ArrayData(Arrays arrays, int64_t batch_size, bool shuffle, uint64_t seed);
  std::optional<int64_t> steps() const override { return steps_; }
  std::optional<Batch> batch(int64_t epoch, int64_t step) override;
  // Data-parallel training: from now on each batch holds only replica `rank`'s rows of the
  // global batch of `size` replicas: rows [⌊count·rank/size⌋, ⌊count·(rank+1)/size⌋) of its
  // `count` rows (in the epoch's shuffled order), so replica r of R gets B/R rows when R
  // divides B, and concatenating the replicas' batches in rank order gives the global batch.
  // A replica may get no rows (a batch of zero rows) when count < size.
  void shard(int rank, int size);

 private:
  Arrays arrays_;
  int shard_rank_ = 0;
  int shard_size_ = 1;
  int64_t batch_size_;
  int64_t steps_;
  bool shuffle_;
  uint64_t seed_;
  int64_t order_epoch_ = -1;   // the epoch order_ was drawn for
  std::vector<int64_t> order_;  // (N) the epoch's permutation
};

// The rows `rows` of t (rank >= 1), in that order, as a new tensor (rows.size(), …).
Tensor take_rows(const Tensor& t, std::span<const int64_t> rows);
// Rows [begin, begin + count) of t, sharing t's storage.
Tensor row_range(const Tensor& t, int64_t begin, int64_t count);

}  // namespace tg
