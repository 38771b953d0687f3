/* SPDX-License-Identifier: Apache-2.0 */
// A broadcasting map over three inputs (where, clip_by_value). Broadcasting follows NumPy,
// as binary_broadcast_loop in tensor/elementwise.h does for two inputs.
//
// Legend: n = element count of the output; a, b, c = inputs; out = output.
#pragma once

#include <algorithm>
#include <array>

#include "tensor/elementwise.h"

namespace tg {

// NumPy broadcasting of three shapes into *out. Returns false if they do not broadcast; the
// caller reports the error, since it knows what the inputs are called.
inline bool broadcast_three(const Shape& a, const Shape& b, const Shape& c, Shape* out) {
  const int rank = std::max(a.rank(), std::max(b.rank(), c.rank()));
  Shape s;
  for (int i = 0; i < rank; ++i) {
    int64_t d = 1;
    for (const Shape* in : {&a, &b, &c}) {
      const int j = i - (rank - in->rank());
      const int64_t e = j >= 0 ? (*in)[j] : 1;
      if (e == 1) continue;
      if (d != 1 && d != e) return false;
      d = e;
    }
    s.push_back(d);
  }
  *out = s;
  return true;
}

namespace detail {

// Flat loop where each input is either the whole output (step 1) or one element (step 0);
// the steps are template arguments so every variant is a plain, vectorisable loop.
// why noinline: inlined into a caller that instantiates all eight variants for every dtype,
// the loop ran out of registers, reloaded its pointers from the stack and lost its branchless
// select (30x slower, measured); on its own it vectorises.
template <bool A, bool B, bool C, class TA, class TB, class TC, class Out, class F>
[[gnu::noinline]] void ternary_flat(const TA* a, const TB* b, const TC* c, Out* out, int64_t n,
                                    F f) {
  for (int64_t i = 0; i < n; ++i) out[i] = f(a[A ? i : 0], b[B ? i : 0], c[C ? i : 0]);
}

}  // namespace detail

// out[i] = f(a[ia], b[ib], c[ic]) with NumPy broadcasting; `os` must be the broadcast of the
// three input shapes (broadcast_three).
template <class TA, class TB, class TC, class Out, class F>
void ternary_broadcast_loop(const TA* a, const Shape& as, const TB* b, const Shape& bs,
                            const TC* c, const Shape& cs, Out* out, const Shape& os, F f) {
  const int64_t n = os.numel();
  if (n == 0) return;
  const auto full_or_one = [&](const Shape& s) { return s == os || s.numel() == 1; };
  if (full_or_one(as) && full_or_one(bs) && full_or_one(cs)) {
    const int k = (as == os ? 4 : 0) | (bs == os ? 2 : 0) | (cs == os ? 1 : 0);
    switch (k) {
      case 0: detail::ternary_flat<false, false, false>(a, b, c, out, n, f); return;
      case 1: detail::ternary_flat<false, false, true>(a, b, c, out, n, f); return;
      case 2: detail::ternary_flat<false, true, false>(a, b, c, out, n, f); return;
      case 3: detail::ternary_flat<false, true, true>(a, b, c, out, n, f); return;
      case 4: detail::ternary_flat<true, false, false>(a, b, c, out, n, f); return;
      case 5: detail::ternary_flat<true, false, true>(a, b, c, out, n, f); return;
      case 6: detail::ternary_flat<true, true, false>(a, b, c, out, n, f); return;
      default: detail::ternary_flat<true, true, true>(a, b, c, out, n, f); return;
    }
  }
  // General case: walk the output row by row (last axis inner), odometer over the rest.
  const int rank = os.rank();
  const auto sa = detail::broadcast_strides(as, os);
  const auto sb = detail::broadcast_strides(bs, os);
  const auto sc = detail::broadcast_strides(cs, os);
  const int64_t inner = os[rank - 1];
  const int64_t ia = sa[rank - 1], ib = sb[rank - 1], ic = sc[rank - 1];
  std::array<int64_t, kMaxRank> idx{};
  int64_t oa = 0, ob = 0, oc = 0;
  for (int64_t row = 0, rows = n / inner; row < rows; ++row) {
    Out* o = out + row * inner;
    for (int64_t j = 0; j < inner; ++j) o[j] = f(a[oa + j * ia], b[ob + j * ib], c[oc + j * ic]);
    for (int d = rank - 2; d >= 0; --d) {  // advance the odometer over the outer axes
      oa += sa[d];
      ob += sb[d];
      oc += sc[d];
      if (++idx[d] < os[d]) break;
      oa -= sa[d] * os[d];
      ob -= sb[d] * os[d];
      oc -= sc[d] * os[d];
      idx[d] = 0;
    }
  }
}

}  // namespace tg
