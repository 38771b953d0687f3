// SPDX-License-Identifier: Apache-2.0
// SGEMM with an AVX-512 micro-kernel (see sgemm_avx512.h), in the usual three-level blocking:
//   for each block of KC of the inner dimension:   panels of NR columns of op(B)
//     for each panel of MR rows of op(A):
//       for each B panel:                          micro-kernel: an MR × NR tile of C in
//                                                  registers, KC rank-1 updates
// Legend: M, N = rows and columns of C; K = inner dimension; MR × NR = 12 × 32 floats
// (24 zmm accumulators, two zmm of B per step, A broadcast from memory); KC = 256 keeps an
// A panel and a B panel in L1, the B block in L2. Full panels are read where they are;
// transposed B and the panels at the edges are packed (edges zero-padded), and an edge tile
// is computed whole with only its valid part written.
// The functions that use AVX-512 carry a target attribute; the library itself stays built for
// the x86-64 baseline, and callers check sgemm_avx512_available() first.
#include "tensor/sgemm_avx512.h"

#include <algorithm>
#include <vector>

#include "tensor/error.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define TG_HAVE_AVX512_GEMM 1
#endif

namespace tg {

#ifdef TG_HAVE_AVX512_GEMM

namespace {

constexpr int kMR = 12, kNR = 32;
constexpr int64_t kKC = 256, kNC = 1024;

// Per-thread packing buffers, grown once to their largest size and then reused.
struct PackBuffers {
  std::vector<float> a, b;
  std::vector<const float*> panels;  // where each B panel of the current block is
};
thread_local PackBuffers t_pack;

// Ap[k·MR + r] = op(A)[i0 + r, p0 + k] for r < mr (zeros beyond), k < kc.
void pack_a(bool ta, const float* a, int64_t lda, int64_t i0, int64_t p0, int mr, int64_t kc,
            float* ap) {
  if (ta) {  // A is stored (K, M): each k is a contiguous run of rows
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = a + (p0 + k) * lda + i0;
      float* dst = ap + k * kMR;
      for (int r = 0; r < mr; ++r) dst[r] = src[r];
      for (int r = mr; r < kMR; ++r) dst[r] = 0.f;
    }
    return;
  }
  for (int r = 0; r < kMR; ++r) {  // A is stored (M, K): read each row along k
    if (r >= mr) {
      for (int64_t k = 0; k < kc; ++k) ap[k * kMR + r] = 0.f;
      continue;
    }
    const float* src = a + (i0 + r) * lda + p0;
    for (int64_t k = 0; k < kc; ++k) ap[k * kMR + r] = src[k];
  }
}

// Bp[k·NR + c] = op(B)[p0 + k, j0 + c] for c < nr (zeros beyond), k < kc.
void pack_b(bool tb, const float* b, int64_t ldb, int64_t p0, int64_t j0, int nr, int64_t kc,
            float* bp) {
  if (!tb) {  // B is stored (K, N): each k is a contiguous run of columns
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = b + (p0 + k) * ldb + j0;
      float* dst = bp + k * kNR;
      for (int c = 0; c < nr; ++c) dst[c] = src[c];
      for (int c = nr; c < kNR; ++c) dst[c] = 0.f;
    }
    return;
  }
  for (int c = 0; c < kNR; ++c) {  // B is stored (N, K): read each column of op(B) along k
    if (c >= nr) {
      for (int64_t k = 0; k < kc; ++k) bp[k * kNR + c] = 0.f;
      continue;
    }
    const float* src = b + (j0 + c) * ldb + p0;
    for (int64_t k = 0; k < kc; ++k) bp[k * kNR + c] = src[k];
  }
}

// C tile (mr × nr of MR × NR) = A · B (+ C if accumulate), over kc steps. Element (r, k) of
// the A panel is a[r·as + k] when ARows (A read in place, row-major) and a[k·as + r]
// otherwise (A transposed in place, or a packed panel with as = MR); row k of the B panel is
// the 32 floats at b + k·bs.
template <bool ARows>
__attribute__((target("avx512f"))) void micro_kernel(int64_t kc, const float* a, int64_t as,
                                                      const float* b, int64_t bs, float* c,
                                                      int64_t ldc, int mr, int nr, bool accumulate) {
  __m512 acc[kMR][2];
  for (int r = 0; r < kMR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b + k * bs), b1 = _mm512_loadu_ps(b + k * bs + 16);
    for (int r = 0; r < kMR; ++r) {
      const __m512 av = _mm512_set1_ps(ARows ? a[r * as + k] : a[k * as + r]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  if (mr == kMR && nr == kNR) {
    for (int r = 0; r < kMR; ++r) {
      float* row = c + r * ldc;
      if (accumulate) {
        acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_loadu_ps(row));
        acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_loadu_ps(row + 16));
      }
      _mm512_storeu_ps(row, acc[r][0]);
      _mm512_storeu_ps(row + 16, acc[r][1]);
    }
    return;
  }
  alignas(64) float tile[kMR * kNR];
  for (int r = 0; r < kMR; ++r) {
    _mm512_store_ps(tile + r * kNR, acc[r][0]);
    _mm512_store_ps(tile + r * kNR + 16, acc[r][1]);
  }
  for (int r = 0; r < mr; ++r)
    for (int j = 0; j < nr; ++j) c[r * ldc + j] = (accumulate ? c[r * ldc + j] : 0.f) + tile[r * kNR + j];
}

}  // namespace

bool sgemm_avx512_available() {
  static const bool available = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return available;
}

void sgemm_avx512(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* a,
                  int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (beta != 0.f && beta != 1.f) fail(Status::internal, "sgemm_avx512: beta must be 0 or 1");
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // C = beta · C
    if (beta == 0.f)
      for (int64_t i = 0; i < M; ++i) std::fill(c + i * ldc, c + i * ldc + N, 0.f);
    return;
  }
  // Full panels are read in place (A rows and B rows stay in L1/L2 across the tiles that use
  // them); only transposed B and the zero-padded edge panels are packed.
  PackBuffers& pack = t_pack;
  const int64_t nc_max = std::min(N, kNC);
  const size_t b_size = static_cast<size_t>((nc_max + kNR - 1) / kNR * kNR * kKC);
  if (pack.b.size() < b_size) pack.b.resize(b_size);
  if (pack.a.size() < static_cast<size_t>(kMR * kKC)) pack.a.resize(static_cast<size_t>(kMR * kKC));
  std::vector<const float*>& panel = pack.panels;
  for (int64_t jc = 0; jc < N; jc += kNC) {
    const int64_t nc = std::min(kNC, N - jc);
    const int64_t npanels = (nc + kNR - 1) / kNR;
    panel.resize(static_cast<size_t>(npanels));
    for (int64_t pc = 0; pc < K; pc += kKC) {
      const int64_t kc = std::min(kKC, K - pc);
      const bool accumulate = pc > 0 || beta != 0.f;
      for (int64_t jp = 0; jp < npanels; ++jp) {
        const int64_t j0 = jc + jp * kNR;
        const int nr = static_cast<int>(std::min<int64_t>(kNR, N - j0));
        if (!tb && nr == kNR) {
          panel[static_cast<size_t>(jp)] = b + pc * ldb + j0;
        } else {
          float* bp = pack.b.data() + jp * kNR * kKC;
          pack_b(tb, b, ldb, pc, j0, nr, kc, bp);
          panel[static_cast<size_t>(jp)] = bp;
        }
      }
      for (int64_t i0 = 0; i0 < M; i0 += kMR) {
        const int mr = static_cast<int>(std::min<int64_t>(kMR, M - i0));
        const float* ap = nullptr;
        if (mr < kMR) {
          pack_a(ta, a, lda, i0, pc, mr, kc, pack.a.data());
          ap = pack.a.data();
        }
        for (int64_t jp = 0; jp < npanels; ++jp) {
          const int64_t j0 = jc + jp * kNR;
          const int nr = static_cast<int>(std::min<int64_t>(kNR, N - j0));
          const float* bp = panel[static_cast<size_t>(jp)];
          // a B panel read in place has rows ldb apart; a packed one NR apart
          const int64_t bs = (!tb && nr == kNR) ? ldb : kNR;
          float* tile = c + i0 * ldc + j0;
          if (ap)
            micro_kernel<false>(kc, ap, kMR, bp, bs, tile, ldc, mr, nr, accumulate);
          else if (ta)
            micro_kernel<false>(kc, a + pc * lda + i0, lda, bp, bs, tile, ldc, mr, nr, accumulate);
          else
            micro_kernel<true>(kc, a + i0 * lda + pc, lda, bp, bs, tile, ldc, mr, nr, accumulate);
        }
      }
    }
  }
}

#else  // no AVX-512 path on this target

bool sgemm_avx512_available() { return false; }

void sgemm_avx512(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*,
                  int64_t, float, float*, int64_t) {
  fail(Status::internal, "sgemm_avx512: not built for this target");
}

#endif

}  // namespace tg
