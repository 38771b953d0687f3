// 2-D pooling (legend in pool_kernels.h). Each output pixel's window is walked cell by cell
// in row-major order with the channels innermost, so the inner loops run over C contiguous
// values. Work is split over whole images (windows of one image overlap only each other).
#include "tensor/pool_kernels.h"

#include <algorithm>
#include <bit>
#include <type_traits>
#include <vector>

#include "tensor/parallel.h"

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
  const int64_t per_image = std::max<int64_t>(g.out_h * g.out_w * g.window_h * g.window_w * g.channels, 1);
  const int64_t per_item = std::max<int64_t>(kItemWork / per_image, 1);
  const int64_t items = (g.batch + per_item - 1) / per_item;
  parallel_for(items, [&](int64_t item) {
    for (int64_t n = item * per_item, end = std::min(g.batch, n + per_item); n < end; ++n) body(n);
  });
}

// best[c] = the maximum of channel c over the window, scanning cells in row-major order and
// replacing only on a strictly greater value (so a NaN in the first cell stays, later NaNs
// are skipped: the same element the gradient goes to).
template <class T>
void window_max(const Pool2dGeometry& g, const T* image, const Window& win, T* best) {
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
void window_argmax(const Pool2dGeometry& g, const T* image, const Window& win, T* best,
                   CellIndex<T>* where) {
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

// Per-item scratch of the max-pool gradient kernels: the running maximum and its cell.
template <class T>
struct ArgmaxScratch {
  explicit ArgmaxScratch(int64_t C) : best(static_cast<size_t>(C)), where(static_cast<size_t>(C)) {}
  std::vector<T> best;
  std::vector<CellIndex<T>> where;
};

template <class T>
void max_pool(const Pool2dGeometry& g, const T* x, T* y) {
  const int64_t C = g.channels;
  for_each_image(g, [&](int64_t n) {
    const T* image = x + n * g.in_h * g.in_w * C;
    T* out = y + n * g.out_h * g.out_w * C;
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ++ow, out += C) window_max(g, image, window_of(g, oh, ow), out);
  });
}

// Windows that tile the image from its top-left corner without overlap (stride = window, no
// padding before): every cell belongs to at most one window.
bool tiles(const Pool2dGeometry& g) {
  return g.stride_h == g.window_h && g.stride_w == g.window_w && g.pad_top == 0 && g.pad_left == 0;
}

template <class T>
void max_pool_grad(const Pool2dGeometry& g, const T* x, const T* dy, T* dx) {
  const int64_t C = g.channels, W = g.in_w, image = g.in_h * W * C;
  const bool tiled = tiles(g);
  // why: when windows tile the image, each covered cell is written once (gradient or zero),
  // and only the uncovered bottom rows / right columns need zeroing first.
  const int64_t covered_h = tiled ? std::min(g.in_h, g.out_h * g.window_h) : 0;
  const int64_t covered_w = tiled ? std::min(W, g.out_w * g.window_w) : 0;
  for_each_image(g, [&](int64_t n) {
    ArgmaxScratch<T> s(C);
    const T* xn = x + n * image;
    T* d = dx + n * image;
    if (!tiled) std::fill(d, d + image, T(0));
    for (int64_t ih = 0; tiled && ih < g.in_h; ++ih) {
      const int64_t from = ih < covered_h ? covered_w : 0;
      std::fill(d + (ih * W + from) * C, d + (ih + 1) * W * C, T(0));
    }
    const T* dyn = dy + n * g.out_h * g.out_w * C;
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ++ow, dyn += C) {
        const Window win = window_of(g, oh, ow);
        window_argmax(g, xn, win, s.best.data(), s.where.data());
        const CellIndex<T>* where = s.where.data();
        if (!tiled) {
          for (int64_t c = 0; c < C; ++c) d[where[c] * C + c] += dyn[c];
          continue;
        }
        for (int64_t ih = win.h0; ih < win.h1; ++ih)
          for (int64_t iw = win.w0; iw < win.w1; ++iw) {
            const auto cell = static_cast<CellIndex<T>>(ih * W + iw);
            T* dc = d + cell * C;
            for (int64_t c = 0; c < C; ++c) {
              // dc = where == cell ? dy : 0, as a bit mask (GCC will not vectorise the select)
              const auto mask = static_cast<CellIndex<T>>(-static_cast<CellIndex<T>>(where[c] == cell));
              dc[c] = std::bit_cast<T>(static_cast<CellIndex<T>>(std::bit_cast<CellIndex<T>>(dyn[c]) & mask));
            }
          }
      }
  });
}

template <class T>
void max_pool_gather(const Pool2dGeometry& g, const T* x, const T* h, T* out) {
  const int64_t C = g.channels, image = g.in_h * g.in_w * C;
  for_each_image(g, [&](int64_t n) {
    ArgmaxScratch<T> s(C);
    const T* xn = x + n * image;
    const T* hn = h + n * image;
    T* o = out + n * g.out_h * g.out_w * C;
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ++ow, o += C) {
        window_argmax(g, xn, window_of(g, oh, ow), s.best.data(), s.where.data());
        for (int64_t c = 0; c < C; ++c) o[c] = hn[s.where[static_cast<size_t>(c)] * C + c];
      }
  });
}

template <class T>
void avg_pool(const Pool2dGeometry& g, const T* x, T* y) {
  const int64_t C = g.channels;
  for_each_image(g, [&](int64_t n) {
    const T* image = x + n * g.in_h * g.in_w * C;
    T* out = y + n * g.out_h * g.out_w * C;
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ++ow, out += C) {
        const Window win = window_of(g, oh, ow);
        std::fill(out, out + C, T(0));
        for (int64_t ih = win.h0; ih < win.h1; ++ih)
          for (int64_t iw = win.w0; iw < win.w1; ++iw) {
            const T* v = image + (ih * g.in_w + iw) * C;
            for (int64_t c = 0; c < C; ++c) out[c] += v[c];
          }
        const T count = static_cast<T>(win.count());
        for (int64_t c = 0; c < C; ++c) out[c] /= count;
      }
  });
}

template <class T>
void avg_pool_grad(const Pool2dGeometry& g, const T* dy, T* dx) {
  const int64_t C = g.channels, image = g.in_h * g.in_w * C;
  for_each_image(g, [&](int64_t n) {
    T* d = dx + n * image;
    std::fill(d, d + image, T(0));
    const T* dyn = dy + n * g.out_h * g.out_w * C;
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ++ow, dyn += C) {
        const Window win = window_of(g, oh, ow);
        const T scale = T(1) / static_cast<T>(win.count());  // TensorFlow multiplies by 1/count
        for (int64_t ih = win.h0; ih < win.h1; ++ih)
          for (int64_t iw = win.w0; iw < win.w1; ++iw) {
            T* cell = d + (ih * g.in_w + iw) * C;
            for (int64_t c = 0; c < C; ++c) cell[c] += dyn[c] * scale;
          }
      }
  });
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
