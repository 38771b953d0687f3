// SPDX-License-Identifier: Apache-2.0
// 2-D pooling (legend in pool_kernels.h). Each output pixel's window is walked cell by cell
// in row-major order with the channels innermost, so the inner loops run over C contiguous
// values. Work is split over whole images (windows of one image overlap only each other).
#include "tensor/pool_kernels.h"

#include <algorithm>
#include <bit>
#include <type_traits>
#include <vector>

#include "tensor/parallel.h"
#include "tensor/simd.h"

namespace tg {
namespace {

// Elements read per work item: enough to outweigh waking a helper thread.
constexpr int64_t kItemWork = int64_t{1} << 17;

// The window of output pixel (oh, ow), clipped to the input: rows [h0, h1), columns [w0, w1).
struct Window {
  int64_t h0, h1, w0, w1;
  int64_t count() const { return (h1 - h0) * (w1 - w0); }
};

Window window_of(const Pool2dGeometry& g, int64_t oh, int64_t ow) {
  const int64_t h = oh * g.stride_h - g.pad_top, w = ow * g.stride_w - g.pad_left;
  return {std::max<int64_t>(h, 0), std::min(h + g.window_h, g.in_h), std::max<int64_t>(w, 0),
          std::min(w + g.window_w, g.in_w)};
}

// Runs body(n) for every image n, in items of whole images.
template <class F>
void for_each_image(const Pool2dGeometry& g, F body) {
  // why in double and with the window clipped to the image: a 'same' window may be far larger
  // than the image (any size up to INT64_MAX), and the product only sizes the work items.
  const double window = static_cast<double>(std::min(g.window_h, g.in_h)) * static_cast<double>(std::min(g.window_w, g.in_w));
  const double per_image = std::max(static_cast<double>(g.out_h) * static_cast<double>(g.out_w) * window *
                                        static_cast<double>(g.channels), 1.0);
  const auto per_item = static_cast<int64_t>(std::max(static_cast<double>(kItemWork) / per_image, 1.0));
  const int64_t items = (g.batch + per_item - 1) / per_item;
  parallel_for(items, [&](int64_t item) {
    for (int64_t n = item * per_item, end = std::min(g.batch, n + per_item); n < end; ++n) body(n);
  });
}

// best[c] = the maximum of channel c over the window, scanning cells in row-major order and
// replacing only on a strictly greater value (so a NaN in the first cell stays, later NaNs
// are skipped: the same element the gradient goes to).
template <class T>
[[gnu::always_inline]] inline void window_max(const Pool2dGeometry& g, const T* image,
                                              const Window& win, T* best) {
  const int64_t C = g.channels;
  const T* first = image + (win.h0 * g.in_w + win.w0) * C;
  std::copy(first, first + C, best);
  for (int64_t ih = win.h0; ih < win.h1; ++ih)
    for (int64_t iw = win.w0; iw < win.w1; ++iw) {
      const T* v = image + (ih * g.in_w + iw) * C;
      for (int64_t c = 0; c < C; ++c) best[c] = v[c] > best[c] ? v[c] : best[c];
    }
}

// A cell index (ih·W + iw) as wide as T, so that the argmax loop below compares and selects
// in lanes of one width and vectorises; the op keeps H·W below 2^31.
template <class T>
using CellIndex = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;

// where[c] = the cell of channel c's first maximum in the window: the same scan and strict
// comparison as window_max, so it is the element whose value max_pool2d returned.
template <class T>
[[gnu::always_inline]] inline void window_argmax(const Pool2dGeometry& g, const T* image,
                                                 const Window& win, T* best, CellIndex<T>* where) {
  const int64_t C = g.channels;
  const auto first = static_cast<CellIndex<T>>(win.h0 * g.in_w + win.w0);
  std::copy(image + first * C, image + (first + 1) * C, best);
  std::fill(where, where + C, first);
  for (int64_t ih = win.h0; ih < win.h1; ++ih)
    for (int64_t iw = win.w0; iw < win.w1; ++iw) {
      const auto cell = static_cast<CellIndex<T>>(ih * g.in_w + iw);
      const T* v = image + cell * C;
      for (int64_t c = 0; c < C; ++c) {
        // why the bit mask: GCC does not turn `greater ? cell : where[c]` into a vector blend
        const auto mask = static_cast<CellIndex<T>>(-static_cast<CellIndex<T>>(v[c] > best[c]));
        best[c] = v[c] > best[c] ? v[c] : best[c];
        where[c] = (cell & mask) | (where[c] & ~mask);
      }
    }
}

// Windows that tile the image from its top-left corner without overlap (stride = window, no
// padding before): every cell belongs to at most one window.
bool tiles(const Pool2dGeometry& g) {
  return g.stride_h == g.window_h && g.stride_w == g.window_w && g.pad_top == 0 && g.pad_left == 0;
}

// ---- one image of each kernel (x, dy, … point at that image) ---------------------------

template <class T>
TG_SIMD_CLONES void max_pool_image(const Pool2dGeometry& g, const T* x, T* y) {
  for (int64_t oh = 0; oh < g.out_h; ++oh)
    for (int64_t ow = 0; ow < g.out_w; ++ow, y += g.channels) window_max(g, x, window_of(g, oh, ow), y);
}

// best, where: scratch of C values each.
template <class T>
TG_SIMD_CLONES void max_pool_grad_image(const Pool2dGeometry& g, const T* x, const T* dy, T* dx,
                                        T* best, CellIndex<T>* where) {
  const int64_t C = g.channels, W = g.in_w;
  // why: when windows tile the image, each covered cell is written once (gradient or zero),
  // and only the uncovered bottom rows / right columns need zeroing first.
  const bool tiled = tiles(g);
  if (!tiled) std::fill(dx, dx + g.in_h * W * C, T(0));
  // why only when tiled: then no padding goes before (so at most one cell after) and
  // out·window <= in + 1; an untiled 'same' window may be of any size.
  const int64_t covered_h = tiled ? std::min(g.in_h, g.out_h * g.window_h) : 0;
  const int64_t covered_w = tiled ? std::min(W, g.out_w * g.window_w) : 0;
  for (int64_t ih = 0; tiled && ih < g.in_h; ++ih) {
    const int64_t from = ih < covered_h ? covered_w : 0;
    std::fill(dx + (ih * W + from) * C, dx + (ih + 1) * W * C, T(0));
  }
  for (int64_t oh = 0; oh < g.out_h; ++oh)
    for (int64_t ow = 0; ow < g.out_w; ++ow, dy += C) {
      const Window win = window_of(g, oh, ow);
      window_argmax(g, x, win, best, where);
      if (!tiled) {
        for (int64_t c = 0; c < C; ++c) dx[where[c] * C + c] += dy[c];
        continue;
      }
      for (int64_t ih = win.h0; ih < win.h1; ++ih)
        for (int64_t iw = win.w0; iw < win.w1; ++iw) {
          const auto cell = static_cast<CellIndex<T>>(ih * W + iw);
          T* d = dx + cell * C;
          for (int64_t c = 0; c < C; ++c) {
            // d = where == cell ? dy : 0, as a bit mask (GCC will not vectorise the select)
            const auto mask = static_cast<CellIndex<T>>(-static_cast<CellIndex<T>>(where[c] == cell));
            d[c] = std::bit_cast<T>(static_cast<CellIndex<T>>(std::bit_cast<CellIndex<T>>(dy[c]) & mask));
          }
        }
    }
}

template <class T>
TG_SIMD_CLONES void max_pool_gather_image(const Pool2dGeometry& g, const T* x, const T* h, T* out,
                                          T* best, CellIndex<T>* where) {
  const int64_t C = g.channels;
  for (int64_t oh = 0; oh < g.out_h; ++oh)
    for (int64_t ow = 0; ow < g.out_w; ++ow, out += C) {
      window_argmax(g, x, window_of(g, oh, ow), best, where);
      for (int64_t c = 0; c < C; ++c) out[c] = h[where[c] * C + c];
    }
}

template <class T>
TG_SIMD_CLONES void avg_pool_image(const Pool2dGeometry& g, const T* x, T* y) {
  const int64_t C = g.channels;
  for (int64_t oh = 0; oh < g.out_h; ++oh)
    for (int64_t ow = 0; ow < g.out_w; ++ow, y += C) {
      const Window win = window_of(g, oh, ow);
      std::fill(y, y + C, T(0));
      for (int64_t ih = win.h0; ih < win.h1; ++ih)
        for (int64_t iw = win.w0; iw < win.w1; ++iw) {
          const T* v = x + (ih * g.in_w + iw) * C;
          for (int64_t c = 0; c < C; ++c) y[c] += v[c];
        }
      const T count = static_cast<T>(win.count());
      for (int64_t c = 0; c < C; ++c) y[c] /= count;
    }
}

template <class T>
TG_SIMD_CLONES void avg_pool_grad_image(const Pool2dGeometry& g, const T* dy, T* dx) {
  const int64_t C = g.channels;
  std::fill(dx, dx + g.in_h * g.in_w * C, T(0));
  for (int64_t oh = 0; oh < g.out_h; ++oh)
    for (int64_t ow = 0; ow < g.out_w; ++ow, dy += C) {
      const Window win = window_of(g, oh, ow);
      const T scale = T(1) / static_cast<T>(win.count());  // TensorFlow multiplies by 1/count
      for (int64_t ih = win.h0; ih < win.h1; ++ih)
        for (int64_t iw = win.w0; iw < win.w1; ++iw) {
          T* cell = dx + (ih * g.in_w + iw) * C;
          for (int64_t c = 0; c < C; ++c) cell[c] += dy[c] * scale;
        }
    }
}

// ---- whole batches ---------------------------------------------------------------------

int64_t input_image(const Pool2dGeometry& g) { return g.in_h * g.in_w * g.channels; }
int64_t output_image(const Pool2dGeometry& g) { return g.out_h * g.out_w * g.channels; }

template <class T>
void max_pool(const Pool2dGeometry& g, const T* x, T* y) {
  for_each_image(g, [&](int64_t n) { max_pool_image(g, x + n * input_image(g), y + n * output_image(g)); });
}

template <class T>
void max_pool_grad(const Pool2dGeometry& g, const T* x, const T* dy, T* dx) {
  for_each_image(g, [&](int64_t n) {
    std::vector<T> best(static_cast<size_t>(g.channels));
    std::vector<CellIndex<T>> where(static_cast<size_t>(g.channels));
    max_pool_grad_image(g, x + n * input_image(g), dy + n * output_image(g),
                        dx + n * input_image(g), best.data(), where.data());
  });
}

template <class T>
void max_pool_gather(const Pool2dGeometry& g, const T* x, const T* h, T* out) {
  for_each_image(g, [&](int64_t n) {
    std::vector<T> best(static_cast<size_t>(g.channels));
    std::vector<CellIndex<T>> where(static_cast<size_t>(g.channels));
    max_pool_gather_image(g, x + n * input_image(g), h + n * input_image(g),
                          out + n * output_image(g), best.data(), where.data());
  });
}

template <class T>
void avg_pool(const Pool2dGeometry& g, const T* x, T* y) {
  for_each_image(g, [&](int64_t n) { avg_pool_image(g, x + n * input_image(g), y + n * output_image(g)); });
}

template <class T>
void avg_pool_grad(const Pool2dGeometry& g, const T* dy, T* dx) {
  for_each_image(g, [&](int64_t n) { avg_pool_grad_image(g, dy + n * output_image(g), dx + n * input_image(g)); });
}

Shape input_shape(const Pool2dGeometry& g) { return Shape{g.batch, g.in_h, g.in_w, g.channels}; }
Shape output_shape(const Pool2dGeometry& g) { return Shape{g.batch, g.out_h, g.out_w, g.channels}; }

}  // namespace

Tensor max_pool2d_kernel(const Tensor& x, const Pool2dGeometry& g) {
  Tensor y = Tensor::empty(output_shape(g), x.dtype());
  if (y.numel() == 0) return y;
  visit_floating(x.dtype(), "max_pool2d", [&]<class T>() {
    max_pool<T>(g, x.data<T>(), y.mutable_data<T>());
  });
  return y;
}

Tensor max_pool2d_grad_kernel(const Tensor& x, const Tensor& dy, const Pool2dGeometry& g) {
  if (dy.numel() == 0) return Tensor::zeros(input_shape(g), dy.dtype());
  Tensor dx = Tensor::empty(input_shape(g), dy.dtype());
  visit_floating(dy.dtype(), "max_pool2d_grad", [&]<class T>() {
    max_pool_grad<T>(g, x.data<T>(), dy.data<T>(), dx.mutable_data<T>());
  });
  return dx;
}

Tensor max_pool2d_gather_kernel(const Tensor& x, const Tensor& h, const Pool2dGeometry& g) {
  Tensor out = Tensor::empty(output_shape(g), h.dtype());
  if (out.numel() == 0) return out;
  visit_floating(h.dtype(), "max_pool2d_grad_grad", [&]<class T>() {
    max_pool_gather<T>(g, x.data<T>(), h.data<T>(), out.mutable_data<T>());
  });
  return out;
}

Tensor avg_pool2d_kernel(const Tensor& x, const Pool2dGeometry& g) {
  Tensor y = Tensor::empty(output_shape(g), x.dtype());
  if (y.numel() == 0) return y;
  visit_floating(x.dtype(), "avg_pool2d", [&]<class T>() {
    avg_pool<T>(g, x.data<T>(), y.mutable_data<T>());
  });
  return y;
}

Tensor avg_pool2d_grad_kernel(const Tensor& dy, const Pool2dGeometry& g) {
  if (dy.numel() == 0) return Tensor::zeros(input_shape(g), dy.dtype());
  Tensor dx = Tensor::empty(input_shape(g), dy.dtype());
  visit_floating(dy.dtype(), "avg_pool2d_grad", [&]<class T>() {
    avg_pool_grad<T>(g, dy.data<T>(), dx.mutable_data<T>());
  });
  return dx;
}

}  // namespace tg
