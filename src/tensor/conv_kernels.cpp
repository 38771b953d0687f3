// SPDX-License-Identifier: Apache-2.0
// 2-D convolution as im2col + GEMM (legend in conv_kernels.h).
//
// The output is cut into "lines" (one output row of one image, index n·OH + oh). A work item
// is a range of lines: its patches are copied into a column buffer of (lines·OW, K) that
// fits in the L2 cache, and one GEMM per group multiplies it with the filter. Items run
// under parallel_for, each GEMM on the thread that runs its item (tensor/gemm.h: gemm_serial).
//   forward          y[lines] = col · W_g                 items write disjoint rows of y
//   backprop_input   dcol = dy[lines] · W_gᵀ, scattered back into dx; items are whole images,
//                    since the patches of neighbouring lines overlap in dx (each item still
//                    goes through its lines one column buffer at a time)
//   backprop_filter  dW_g += colᵀ · dy[lines]; items are dealt to a fixed number of slots,
//                    each slot sums its own items in order, and the slots are added in order,
//                    so the result does not depend on the thread count
// A 1×1 filter with stride 1 and no padding needs no column buffer: x itself is the matrix.
#include "tensor/conv_kernels.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "tensor/gemm.h"
#include "tensor/parallel.h"
#include "tensor/scratch.h"

namespace tg {
namespace {

// Column-buffer size per work item: small enough to stay in L2 between im2col and the GEMM,
// large enough for the GEMM to run near peak and for an item to outweigh a thread wake-up.
constexpr int64_t kItemBytes = int64_t{512} << 10;
// Below this many multiply-adds the whole convolution is one item on the calling thread.
constexpr int64_t kMinParallelWork = int64_t{1} << 21;
// Partial filter gradients summed in a fixed order (see above), and their memory bound.
constexpr int64_t kFilterSlots = 8;
constexpr int64_t kMaxSlotBytes = int64_t{64} << 20;

bool is_pointwise(const Conv2dGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
         g.pad_top == 0 && g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Walks the receptive fields of the output pixels of lines [l0, l1) in group gi, in column
// buffer order ((l1 − l0)·OW rows of K). For each run of cells it calls
//   inside(col_index, x_index, count)  count cells that lie in the input, contiguous in both
//   outside(col_index, count)          count cells that fall in the padding
template <class Inside, class Outside>
void walk_patches(const Conv2dGeometry& g, int64_t l0, int64_t l1, int64_t gi, Inside inside,
                  Outside outside) {
  const int64_t C = g.in_c, CG = g.group_in(), KW = g.kernel_w, W = g.in_w;
  const int64_t row_run = KW * CG;  // one filter row of one pixel
  // why: with one group and no dilation, a filter row's cells are one contiguous run of x.
  const bool contiguous = g.dilation_w == 1 && CG == C;
  int64_t col = 0;
  for (int64_t line = l0; line < l1; ++line) {
    const int64_t n = line / g.out_h, oh = line % g.out_h;
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      const int64_t base_w = ow * g.stride_w - g.pad_left;
      // kw in [lo, hi) lands inside the input: 0 <= base_w + kw·DW < W
      const int64_t lo = base_w >= 0 ? 0 : std::min(KW, ceil_div(-base_w, g.dilation_w));
      const int64_t hi = base_w >= W ? 0 : std::min(KW, (W - 1 - base_w) / g.dilation_w + 1);
      for (int64_t kh = 0; kh < g.kernel_h; ++kh, col += row_run) {
        const int64_t ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
        if (ih < 0 || ih >= g.in_h || hi <= lo) {
          outside(col, row_run);
          continue;
        }
        const int64_t x_row = ((n * g.in_h + ih) * W) * C + gi * CG;
        if (lo > 0) outside(col, lo * CG);
        if (contiguous) {
          inside(col + lo * CG, x_row + (base_w + lo) * C, (hi - lo) * CG);
        } else {
          for (int64_t kw = lo; kw < hi; ++kw)
            inside(col + kw * CG, x_row + (base_w + kw * g.dilation_w) * C, CG);
        }
        if (hi < KW) outside(col + hi * CG, (KW - hi) * CG);
      }
    }
  }
}

// Sets each of `rows` rows of `cols` values to `values`: one row, then copies of the
// filled block that double it (a few large copies instead of one small copy per row).
template <class T>
void fill_rows(T* out, int64_t rows, int64_t cols, const T* values) {
  if (rows == 0) return;
  std::copy(values, values + cols, out);
  for (int64_t done = 1; done < rows;) {
    const int64_t n = std::min(done, rows - done);
    std::copy(out, out + n * cols, out + done * cols);
    done += n;
  }
}

template <class T>
void im2col(const Conv2dGeometry& g, const T* x, int64_t l0, int64_t l1, int64_t gi, T* col) {
  walk_patches(
      g, l0, l1, gi,
      [&](int64_t c, int64_t xi, int64_t count) {
        // why a loop for short runs (a few channels, e.g. the 3 cells of a 1-channel filter
        // row): calling memcpy costs more than copying them
        if (count < 16) {
          for (int64_t i = 0; i < count; ++i) col[c + i] = x[xi + i];
        } else {
          std::memcpy(col + c, x + xi, static_cast<size_t>(count) * sizeof(T));
        }
      },
      [&](int64_t c, int64_t count) { std::fill_n(col + c, count, T(0)); });
}

template <class T>
void col2im_add(const Conv2dGeometry& g, const T* col, int64_t l0, int64_t l1, int64_t gi, T* x) {
  walk_patches(
      g, l0, l1, gi,
      [&](int64_t c, int64_t xi, int64_t count) {
        T* dst = x + xi;
        const T* src = col + c;
        for (int64_t i = 0; i < count; ++i) dst[i] += src[i];
      },
      [](int64_t, int64_t) {});
}

// Lines per column buffer: about kItemBytes of it (at least one line); all lines at once if
// the whole convolution is too small to be worth splitting.
int64_t lines_per_buffer(const Conv2dGeometry& g, size_t elem) {
  const int64_t lines = g.batch * g.out_h;
  // why double: an estimate that cannot overflow, whatever the shapes
  const double work = static_cast<double>(lines) * static_cast<double>(g.out_w) *
                      static_cast<double>(g.patch()) * static_cast<double>(g.out_c);
  if (work < static_cast<double>(kMinParallelWork)) return std::max<int64_t>(lines, 1);
  const int64_t line_bytes = std::max<int64_t>(g.out_w * g.patch() * static_cast<int64_t>(elem), 1);
  return std::max<int64_t>(kItemBytes / line_bytes, 1);
}

template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* w, const T* bias, T* y) {
  const int64_t lines = g.batch * g.out_h, per = lines_per_buffer(g, sizeof(T));
  const int64_t K = g.patch(), OG = g.group_out(), O = g.out_c, OW = g.out_w;
  const bool pointwise = is_pointwise(g);
  parallel_for(ceil_div(lines, per), [&](int64_t item) {
    const int64_t l0 = item * per, l1 = std::min(lines, l0 + per), rows = (l1 - l0) * OW;
    Scratch col(pointwise ? 0 : static_cast<size_t>(rows * K) * sizeof(T));
    T* out = y + l0 * OW * O;
    // why the bias goes in first: the GEMM then accumulates onto it (beta = 1), where with
    // beta = 0 OpenBLAS would clear y in a pass of its own
    if (bias) fill_rows(out, rows, O, bias);
    for (int64_t gi = 0; gi < g.groups; ++gi) {
      const T* a = pointwise ? x + l0 * OW * g.in_c + gi * K : col.as<T>();
      if (!pointwise) im2col(g, x, l0, l1, gi, col.as<T>());
      gemm_serial<T>(false, false, rows, OG, K, a, pointwise ? g.in_c : K, w + gi * OG, O,
                     bias ? T(1) : T(0), out + gi * OG, O);
    }
  });
}

template <class T>
void conv2d_input_grad(const Conv2dGeometry& g, const T* dy, const T* w, T* dx) {
  // Items are whole images (the patches of neighbouring lines overlap in dx); inside an item
  // the lines go through the column buffer `sub` at a time, so it stays small for any image.
  const int64_t lines = g.batch * g.out_h, sub = lines_per_buffer(g, sizeof(T));
  const int64_t per = std::max<int64_t>(sub / g.out_h, 1) * g.out_h;
  const int64_t K = g.patch(), OG = g.group_out(), O = g.out_c, OW = g.out_w;
  const int64_t image = g.in_h * g.in_w * g.in_c;
  const bool pointwise = is_pointwise(g);
  parallel_for(ceil_div(lines, per), [&](int64_t item) {
    const int64_t l0 = item * per, l1 = std::min(lines, l0 + per);
    if (pointwise) {
      for (int64_t gi = 0; gi < g.groups; ++gi)
        gemm_serial<T>(false, true, (l1 - l0) * OW, K, OG, dy + l0 * OW * O + gi * OG, O,
                       w + gi * OG, O, T(0), dx + l0 * OW * g.in_c + gi * K, g.in_c);
      return;
    }
    std::fill(dx + (l0 / g.out_h) * image, dx + (l1 / g.out_h) * image, T(0));
    Scratch dcol(static_cast<size_t>(std::min(sub, l1 - l0) * OW * K) * sizeof(T));
    for (int64_t s0 = l0; s0 < l1; s0 += sub) {
      const int64_t s1 = std::min(l1, s0 + sub);
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        gemm_serial<T>(false, true, (s1 - s0) * OW, K, OG, dy + s0 * OW * O + gi * OG, O,
                       w + gi * OG, O, T(0), dcol.as<T>(), K);
        col2im_add(g, dcol.as<T>(), s0, s1, gi, dx);
      }
    }
  });
}

template <class T>
void conv2d_filter_grad(const Conv2dGeometry& g, const T* x, const T* dy, T* dw) {
  const int64_t lines = g.batch * g.out_h, per = lines_per_buffer(g, sizeof(T));
  const int64_t K = g.patch(), OG = g.group_out(), O = g.out_c, OW = g.out_w;
  const int64_t filter = K * O;
  const bool pointwise = is_pointwise(g);
  const int64_t items = ceil_div(lines, per);
  const int64_t slots = std::clamp<int64_t>(
      std::min(items, kMaxSlotBytes / std::max<int64_t>(filter * static_cast<int64_t>(sizeof(T)), 1)),
      1, kFilterSlots);
  // Slot 0 accumulates straight into dw; the others into partial sums added afterwards.
  Scratch partial_buffer(static_cast<size_t>((slots - 1) * filter) * sizeof(T));
  T* partials = partial_buffer.as<T>();
  parallel_for(slots, [&](int64_t slot) {
    T* acc = slot == 0 ? dw : partials + (slot - 1) * filter;
    const int64_t first = slot * items / slots, last = (slot + 1) * items / slots;
    Scratch col(pointwise ? 0 : static_cast<size_t>(per * OW * K) * sizeof(T));
    for (int64_t item = first; item < last; ++item) {
      const int64_t l0 = item * per, l1 = std::min(lines, l0 + per), rows = (l1 - l0) * OW;
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        const T* a = pointwise ? x + l0 * OW * g.in_c + gi * K : col.as<T>();
        if (!pointwise) im2col(g, x, l0, l1, gi, col.as<T>());
        gemm_serial<T>(true, false, K, OG, rows, a, pointwise ? g.in_c : K,
                       dy + l0 * OW * O + gi * OG, O, item == first ? T(0) : T(1), acc + gi * OG, O);
      }
    }
  });
  for (int64_t s = 1; s < slots; ++s) {
    const T* p = partials + (s - 1) * filter;
    for (int64_t i = 0; i < filter; ++i) dw[i] += p[i];
  }
}

}  // namespace

Tensor conv2d_kernel(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dGeometry& g) {
  Tensor y = Tensor::empty(Shape{g.batch, g.out_h, g.out_w, g.out_c}, x.dtype());
  if (y.numel() == 0) return y;
  visit_floating(x.dtype(), "conv2d", [&]<class T>() {
    conv2d_forward<T>(g, x.data<T>(), w.data<T>(), bias ? bias.data<T>() : nullptr,
                      y.mutable_data<T>());
  });
  return y;
}

Tensor conv2d_backprop_input_kernel(const Tensor& dy, const Tensor& w, const Conv2dGeometry& g) {
  const Shape shape{g.batch, g.in_h, g.in_w, g.in_c};
  if (shape.numel() == 0 || dy.numel() == 0) return Tensor::zeros(shape, dy.dtype());
  Tensor dx = Tensor::empty(shape, dy.dtype());
  visit_floating(dy.dtype(), "conv2d_backprop_input", [&]<class T>() {
    conv2d_input_grad<T>(g, dy.data<T>(), w.data<T>(), dx.mutable_data<T>());
  });
  return dx;
}

Tensor conv2d_backprop_filter_kernel(const Tensor& x, const Tensor& dy, const Conv2dGeometry& g) {
  const Shape shape{g.kernel_h, g.kernel_w, g.group_in(), g.out_c};
  if (shape.numel() == 0 || dy.numel() == 0) return Tensor::zeros(shape, x.dtype());
  Tensor dw = Tensor::empty(shape, x.dtype());
  visit_floating(x.dtype(), "conv2d_backprop_filter", [&]<class T>() {
    conv2d_filter_grad<T>(g, x.data<T>(), dy.data<T>(), dw.mutable_data<T>());
  });
  return dw;
}

}  // namespace tg
