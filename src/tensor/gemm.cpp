// SPDX-License-Identifier: Apache-2.0
// The library's GEMM (gemm.h) and the matmul kernels built on it.
// Legend: M, N = rows and columns of C; K = the shared (inner) dimension.
#include "tensor/gemm.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <vector>

#include "tensor/blas.h"
#include "tensor/elementwise.h"
#include "tensor/kernels.h"
#include "tensor/parallel.h"
#include "tensor/reduce_kernels.h"
#include "tensor/sgemm_avx512.h"

namespace tg {
namespace {

// Multiply-adds per tile: about 80 µs on the AVX-512 SGEMM, 160 µs on OpenBLAS's AVX2
// kernels. Long enough that handing out a tile (one atomic increment) and re-reading the
// operand blocks it shares with its neighbours cost a few percent at most; short enough that
// a product of the MLP's size (~10^8) gives each of two threads several tiles to balance.
constexpr int64_t kTileWork = int64_t{8} << 20;
// Rows of C per tile at most: measured on the MLP's and the CNN's products, tiles of a few
// hundred rows by 64–192 columns cost 0–5% more than one call, row strips of 32–64 rows by
// all the columns 10–90% more (each re-reads all of B).
constexpr int64_t kMaxTileRows = 256;
// Tiles are whole micro-tiles of the AVX-512 SGEMM (12 × 32) except at the edges of C.
constexpr int64_t kRowStep = 12, kColStep = 32;
// A helper thread's buffer for one item at most (parallel_for_takeover); larger items (only
// products with a short K, whose tiles are wide) run under plain parallel_for.
constexpr int64_t kMaxScratchBytes = int64_t{4} << 20;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t step) { return ceil_div(a, step) * step; }

bool uses_avx512(bool is_float) { return is_float && sgemm_avx512_available(); }

// The batch dims of x: all but the last two.
Shape batch_of(const Shape& x) {
  Shape s;
  for (int d = 0; d + 2 < x.rank(); ++d) s.push_back(x[d]);
  return s;
}

}  // namespace

template <class T>
void gemm_serial(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* a, int64_t lda,
                 const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if constexpr (std::is_same_v<T, float>) {
    if (sgemm_avx512_available()) {
      sgemm_avx512(ta, tb, M, N, K, a, lda, b, ldb, beta, c, ldc);
      return;
    }
  }
  blas_gemm<T>(ta, tb, M, N, K, T(1), a, lda, b, ldb, beta, c, ldc);
}
template void gemm_serial<float>(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t,
                                 const float*, int64_t, float, float*, int64_t);
template void gemm_serial<double>(bool, bool, int64_t, int64_t, int64_t, const double*, int64_t,
                                  const double*, int64_t, double, double*, int64_t);

GemmPlan plan_gemm(bool is_float, int64_t M, int64_t N, int64_t K, int64_t batch, int threads) {
  const int64_t work = M * N * K;
  const int64_t wanted = work / kTileWork;  // tiles worth having
  // why: on AVX-512 a product is the same whole or tiled, so one thread needs no tiles; on
  // OpenBLAS tiles change the rounding, so they must not depend on the thread count.
  const bool whole = wanted < 2 || (uses_avx512(is_float) && threads <= 1);
  if (whole) {
    // products per item: enough to be worth a tile, all of them on one thread
    const int64_t group = threads <= 1 ? batch : kTileWork / std::max<int64_t>(work, 1);
    return {M, N, 1, 1, std::clamp<int64_t>(group, 1, std::max<int64_t>(batch, 1))};
  }
  GemmPlan p{};
  p.row_tiles = ceil_div(M, kMaxTileRows);
  p.rows = round_up(ceil_div(M, p.row_tiles), kRowStep);
  p.row_tiles = ceil_div(M, p.rows);
  p.col_tiles = std::clamp<int64_t>(ceil_div(wanted, p.row_tiles), 1, ceil_div(N, kColStep));
  p.cols = round_up(ceil_div(N, p.col_tiles), kColStep);
  p.col_tiles = ceil_div(N, p.cols);
  if (p.tiles() < 2) {  // too few columns to cut: cut the rows finer instead
    p.row_tiles = std::min(wanted, ceil_div(M, kRowStep));
    p.rows = round_up(ceil_div(M, p.row_tiles), kRowStep);
    p.row_tiles = ceil_div(M, p.rows);
  }
  p.group = 1;
  return p;
}

template <class T>
void gemm_batch(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* a, int64_t lda,
                std::vector<int64_t> a_offsets, const T* b, int64_t ldb, std::vector<int64_t> b_offsets,
                int64_t batch, T* c, GemmOwners owners) {
  const GemmPlan p = plan_gemm(std::is_same_v<T, float>, M, N, K, batch, num_threads());
  const int64_t tiles = p.tiles();
  // Item i: tile i % tiles of product i / tiles, or (one tile per product) products
  // [i·group, (i+1)·group). Its block of output: rows [m0, m0 + m) and columns [n0, n0 + n)
  // of C_e; the grouped products lie back to back in C.
  struct Block {
    int64_t e, m0, n0, m, n;
  };
  const auto block = [=](int64_t item) {
    const int64_t e = tiles > 1 ? item / tiles : item * p.group, t = tiles > 1 ? item % tiles : 0;
    const int64_t m0 = t / p.col_tiles * p.rows, n0 = t % p.col_tiles * p.cols;
    return Block{e, m0, n0, std::min(p.rows, M - m0), std::min(p.cols, N - n0)};
  };
  const int64_t items = tiles > 1 ? batch * tiles : ceil_div(batch, p.group);
  const int64_t group = tiles > 1 ? 1 : p.group;
  // why copies of the offsets and owners: a helper may still compute an item the caller has
  // taken over after this function returned (parallel.h, parallel_for_takeover).
  auto compute = [=, a_offsets = std::move(a_offsets), b_offsets = std::move(b_offsets),
                        owners = std::move(owners)](int64_t item, void* scratch) {
    const Block k = block(item);
    for (int64_t e = k.e; e < std::min(batch, k.e + group); ++e) {
      const T* ae = a_offsets.empty() ? a : a + a_offsets[static_cast<size_t>(e)];
      const T* be = b_offsets.empty() ? b : b + b_offsets[static_cast<size_t>(e)];
      // into C, or into scratch: the tile alone (ldc = n), or the group's products back to back
      T* out = scratch ? static_cast<T*>(scratch) + (e - k.e) * k.m * k.n : c + e * M * N + k.m0 * N + k.n0;
      gemm_serial<T>(ta, tb, k.m, k.n, K, ta ? ae + k.m0 : ae + k.m0 * lda, lda, tb ? be + k.n0 * ldb : be + k.n0,
                     ldb, T(0), out, scratch ? k.n : N);
    }
  };
  if (items <= 1) {  // why not parallel_for: a small product stays one plain call
    compute(0, nullptr);
    return;
  }
  const int64_t scratch_elements = p.rows * p.cols * group;
  if (scratch_elements > kMaxScratchBytes / static_cast<int64_t>(sizeof(T))) {
    parallel_for(items, [&](int64_t item) { compute(item, nullptr); });
    return;
  }
  const auto publish = [=](int64_t item, const void* scratch) {
    const Block k = block(item);
    const T* from = static_cast<const T*>(scratch);
    const int64_t products = std::min(batch, k.e + group) - k.e;
    if (k.n == N) {  // whole rows: one block
      std::memcpy(c + k.e * M * N + k.m0 * N, from, sizeof(T) * static_cast<size_t>(products * k.m * N));
      return;
    }
    for (int64_t r = 0; r < k.m; ++r)
      std::memcpy(c + k.e * M * N + (k.m0 + r) * N + k.n0, from + r * k.n, sizeof(T) * static_cast<size_t>(k.n));
  };
  parallel_for_takeover(items, static_cast<size_t>(scratch_elements) * sizeof(T), std::move(compute), publish);
}
template void gemm_batch<float>(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t,
                                std::vector<int64_t>, const float*, int64_t, std::vector<int64_t>,
                                int64_t, float*, GemmOwners);
template void gemm_batch<double>(bool, bool, int64_t, int64_t, int64_t, const double*, int64_t,
                                 std::vector<int64_t>, const double*, int64_t, std::vector<int64_t>,
                                 int64_t, double*, GemmOwners);

Tensor gemm_kernel(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  const int64_t M = transpose_a ? a.shape()[1] : a.shape()[0];
  const int64_t K = transpose_a ? a.shape()[0] : a.shape()[1];
  const int64_t N = transpose_b ? b.shape()[0] : b.shape()[1];
  if (M == 0 || N == 0) return Tensor::empty(Shape{M, N}, a.dtype());
  if (K == 0) return Tensor::zeros(Shape{M, N}, a.dtype());
  Tensor c = Tensor::empty(Shape{M, N}, a.dtype());
  visit_floating(a.dtype(), "matmul", [&]<class T>() {
    gemm_batch<T>(transpose_a, transpose_b, M, N, K, a.data<T>(), a.shape()[1], {}, b.data<T>(),
                  b.shape()[1], {}, 1, c.mutable_data<T>(), {a.storage(), b.storage()});
  });
  return c;
}

Tensor batched_gemm_kernel(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b,
                           const Shape& out_shape) {
  const int ra = a.rank(), rb = b.rank(), ro = out_shape.rank();
  const int64_t M = out_shape[ro - 2], N = out_shape[ro - 1];
  const int64_t K = transpose_a ? a.shape()[ra - 2] : a.shape()[ra - 1];
  if (out_shape.numel() == 0) return Tensor::empty(out_shape, a.dtype());
  if (K == 0) return Tensor::zeros(out_shape, a.dtype());
  Tensor c = Tensor::empty(out_shape, a.dtype());
  const int64_t lda = a.shape()[ra - 1], ldb = b.shape()[rb - 1];
  const int64_t a_mat = a.shape()[ra - 2] * lda, b_mat = b.shape()[rb - 2] * ldb;
  const int64_t batch = out_shape.numel() / (M * N);
  const bool b_unbatched = b.numel() == b_mat;
  visit_floating(a.dtype(), "matmul", [&]<class T>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* pc = c.mutable_data<T>();
    if (b_unbatched && !transpose_a) {
      // why: A's matrices lie back to back, so (batch·M, K) · op(B) is one larger GEMM.
      gemm_batch<T>(false, transpose_b, batch * M, N, K, pa, lda, {}, pb, ldb, {}, 1, pc,
                    {a.storage(), b.storage()});
      return;
    }
    // Where each product's operands start: an odometer over the output batch, in which a
    // broadcast operand's batch stride is 0.
    const Shape ob = batch_of(out_shape);
    const auto sa = detail::broadcast_strides(batch_of(a.shape()), ob);
    const auto sb = detail::broadcast_strides(batch_of(b.shape()), ob);
    const int br = ob.rank();
    std::vector<int64_t> a_offsets(static_cast<size_t>(batch)), b_offsets(static_cast<size_t>(batch));
    std::array<int64_t, kMaxRank> idx{};
    int64_t ia = 0, ib = 0;
    for (size_t i = 0; i < a_offsets.size(); ++i) {
      a_offsets[i] = ia * a_mat;
      b_offsets[i] = ib * b_mat;
      for (int d = br - 1; d >= 0; --d) {
        ia += sa[d];
        ib += sb[d];
        if (++idx[d] < ob[d]) break;
        ia -= sa[d] * ob[d];
        ib -= sb[d] * ob[d];
        idx[d] = 0;
      }
    }
    gemm_batch<T>(transpose_a, transpose_b, M, N, K, pa, lda, std::move(a_offsets), pb, ldb,
                  std::move(b_offsets), batch, pc, {a.storage(), b.storage()});
  });
  return c;
}

}  // namespace tg
