// SPDX-License-Identifier: Apache-2.0
#include "nn/training/data.h"

#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

#include "tensor/error.h"
#include "tensor/random.h"

namespace tg {
namespace {

Shape with_rows(const Shape& s, int64_t rows) {
  Shape out = s;
  out.set(0, rows, "batch");
  return out;
}

size_t row_bytes(const Tensor& t) {
  return t.shape()[0] == 0 ? 0 : t.nbytes() / static_cast<size_t>(t.shape()[0]);
}

Tensor take_rows_or_undefined(const Tensor& t, std::span<const int64_t> rows) {
  return t.defined() ? take_rows(t, rows) : Tensor();
}

Tensor row_range_or_undefined(const Tensor& t, int64_t begin, int64_t count) {
  return t.defined() ? row_range(t, begin, count) : Tensor();
}

// A uniform integer in [0, bound) from draw `i` of the stream (seed, epoch): Philox4x32-10
// keyed by the seed, counter (i, epoch). The modulo bias is below 2⁻³⁰ for any N < 2³⁴.
uint64_t draw_below(uint64_t bound, uint64_t seed, int64_t epoch, uint64_t i) {
  const auto e = static_cast<uint64_t>(epoch);
  const auto w = philox4x32_10({static_cast<uint32_t>(i), static_cast<uint32_t>(i >> 32), static_cast<uint32_t>(e),
                                static_cast<uint32_t>(e >> 32)},
                               {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
  const uint64_t r = (static_cast<uint64_t>(w[0]) << 32) | w[1];
  return r % bound;
}

}  // namespace

Tensor take_rows(const Tensor& t, std::span<const int64_t> rows) {
  Tensor out = Tensor::empty(with_rows(t.shape(), static_cast<int64_t>(rows.size())), t.dtype());
  const size_t bytes = row_bytes(t);
  const auto* src = static_cast<const unsigned char*>(t.raw());
  auto* dst = static_cast<unsigned char*>(out.mutable_raw());
  for (size_t i = 0; i < rows.size(); ++i)
    std::memcpy(dst + i * bytes, src + static_cast<size_t>(rows[i]) * bytes, bytes);
  return out;
}

Tensor row_range(const Tensor& t, int64_t begin, int64_t count) {
  const size_t bytes = row_bytes(t);
  auto* start = static_cast<unsigned char*>(t.mutable_raw()) + static_cast<size_t>(begin) * bytes;
  // why: a view keeps the whole buffer alive through the deleter's copy of its owner.
  auto view = Storage::wrap(start, static_cast<size_t>(count) * bytes, [owner = t.storage()](void*) {});
  return Tensor::from_storage(std::move(view), with_rows(t.shape(), count), t.dtype());
}

void check_arrays(const Arrays& arrays, const char* what) {
  const Tensor* all[] = {&arrays.x, &arrays.y, &arrays.sample_weight};
  const char* names[] = {"x", "y", "sample_weight"};
  if (!arrays.x.defined()) fail(Status::invalid_argument, "{}: x is undefined", what);
  bool same = true;
  for (int i = 0; i < 3; ++i) {
    if (!all[i]->defined()) continue;
    if (all[i]->rank() < 1)
      fail(Status::invalid_argument, "{}: {} must have a first (sample) dimension, got a scalar", what, names[i]);
    same = same && all[i]->shape()[0] == arrays.x.shape()[0];
  }
  if (same) return;
  std::string message = "Data cardinality is ambiguous:\n";
  for (int i = 0; i < 3; ++i)
    if (all[i]->defined()) message += fmt::format("  {} sizes: {}\n", names[i], all[i]->shape()[0]);
  message += "Make sure all arrays contain the same number of samples.";
  fail(Status::invalid_argument, "{}: {}", what, message);
}

void check_batch(const Batch& batch, bool needs_targets, const char* what) {
  check_arrays(Arrays{batch.x, batch.y, batch.sample_weight}, what);
  if (batch.x.shape()[0] == 0) fail(Status::invalid_argument, "{}: x {} has no samples", what, batch.x.shape().str());
  if (needs_targets && !batch.y.defined()) fail(Status::invalid_argument, "{}: y (the targets) is missing", what);
}

std::shared_ptr<DataSource> batches_of(const Data& data, int64_t batch_size, bool shuffle, uint64_t seed,
                                       bool needs_targets, const char* what) {
  if (data.source) return data.source;
  check_arrays(data.arrays, what);
  if (data.arrays.samples() == 0)
    fail(Status::invalid_argument, "{}: x {} has no samples", what, data.arrays.x.shape().str());
  if (needs_targets && !data.arrays.y.defined()) fail(Status::invalid_argument, "{}: y (the targets) is missing", what);
  return std::make_shared<ArrayData>(data.arrays, batch_size, shuffle, seed);
}

std::pair<Arrays, Arrays> train_validation_split(const Arrays& arrays, double validation_split) {
  if (!(validation_split > 0.0 && validation_split < 1.0))
    fail(Status::invalid_argument, "fit: validation_split must be in (0, 1), got {}", validation_split);
  const int64_t n = arrays.samples();
  const auto split_at = static_cast<int64_t>(std::floor(static_cast<double>(n) * (1.0 - validation_split)));
  if (split_at == 0 || split_at == n)
    fail(Status::invalid_argument,
         "Training data contains {} samples, which is not sufficient to split it into a validation and "
         "training set as specified by `validation_split={}`. Either provide more data, or a different value "
         "for the `validation_split` argument.",
         n, validation_split);
  auto part = [&](int64_t begin, int64_t count) {
    return Arrays{row_range(arrays.x, begin, count), row_range_or_undefined(arrays.y, begin, count),
                  row_range_or_undefined(arrays.sample_weight, begin, count)};
  };
  return {part(0, split_at), part(split_at, n - split_at)};
}

ArrayData::ArrayData(Arrays arrays, int64_t batch_size, bool shuffle, uint64_t seed)
    : arrays_(std::move(arrays)), batch_size_(batch_size), shuffle_(shuffle), seed_(seed) {
  if (batch_size <= 0) fail(Status::invalid_argument, "batch_size must be positive, got {}", batch_size);
  const int64_t n = arrays_.samples();
  steps_ = n / batch_size + (n % batch_size != 0 ? 1 : 0);  // why not (n + b - 1) / b: b may be near INT64_MAX
}

std::optional<Batch> ArrayData::batch(int64_t epoch, int64_t step) {
  if (step < 0 || step >= steps_) return std::nullopt;
  const int64_t global_begin = step * batch_size_;  // < samples: no overflow
  const int64_t global_count = std::min(batch_size_, arrays_.samples() - global_begin);
  if (global_count <= 0) return std::nullopt;
  // ⌊count·r/size⌋, written so that nothing overflows (count may be near INT64_MAX).
  const auto share = [&](int r) {
    const int64_t q = global_count / shard_size_, rem = global_count % shard_size_;
    return q * r + rem * r / shard_size_;
  };
  const int64_t begin = global_begin + share(shard_rank_);
  const int64_t count = share(shard_rank_ + 1) - share(shard_rank_);
  if (!shuffle_)
    return Batch{row_range(arrays_.x, begin, count), row_range_or_undefined(arrays_.y, begin, count),
                 row_range_or_undefined(arrays_.sample_weight, begin, count)};
  if (order_epoch_ != epoch) {  // Fisher–Yates from (seed, epoch)
    const int64_t n = arrays_.samples();
    order_.resize(static_cast<size_t>(n));
    std::iota(order_.begin(), order_.end(), int64_t{0});
    for (int64_t i = n - 1; i > 0; --i) {
      const auto draw = static_cast<uint64_t>(i);
      const auto j = static_cast<int64_t>(draw_below(draw + 1, seed_, epoch, draw));
      std::swap(order_[static_cast<size_t>(i)], order_[static_cast<size_t>(j)]);
    }
    order_epoch_ = epoch;
  }
  const std::span<const int64_t> rows(order_.data() + begin, static_cast<size_t>(count));
  return Batch{take_rows(arrays_.x, rows), take_rows_or_undefined(arrays_.y, rows),
               take_rows_or_undefined(arrays_.sample_weight, rows)};
}

void ArrayData::shard(int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size)
    fail(Status::invalid_argument, "shard: rank {} of {} replicas is not valid", rank, size);
  shard_rank_ = rank;
  shard_size_ = size;
}

}  // namespace tg
