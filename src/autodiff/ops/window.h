/* SPDX-License-Identifier: Apache-2.0 */
// Sliding-window arithmetic shared by the convolution and pooling ops: the output size and
// the padding of one spatial axis, as TensorFlow computes them (GetWindowedOutputSize):
//   effective window  k_eff = (k − 1)·d + 1      (k cells, dilation d)
//   valid             no padding; out = ⌊(L − k_eff)/s⌋ + 1
//   same              out = ⌈L/s⌉; P = max(0, (out − 1)·s + k_eff − L) cells of padding,
//                     ⌊P/2⌋ before and the rest after (the odd cell goes after)
//   causal            d·(k − 1) cells before, none after (Keras Conv1D)
// All arithmetic goes through tensor/checked.h: a size that would overflow is an error naming
// the op, the axis and the shapes, not a wrapped value.
#pragma once

#include <cstdint>

#include "tensor/shape.h"

namespace tg::ops {

enum class Padding { valid, same, causal };

// "valid", "same", "causal".
const char* padding_name(Padding p);

struct WindowPads {
  int64_t before = 0, after = 0;
};

// Where a window is computed, for error messages: the op, the axis ("height", "width") and the
// shapes of the op's input and (for convolutions) filters. Holds references: a temporary
// that lives for one call.
struct WindowSite {
  const char* op;
  const char* axis;
  const Shape& input;
  const Shape* filters = nullptr;
};

// The padding `padding` puts around an axis of `size` cells for a window of `kernel` cells
// with `stride` and `dilation` (all >= 1, checked).
WindowPads window_padding(const WindowSite& site, int64_t size, int64_t kernel, int64_t stride,
                          int64_t dilation, Padding padding);

// The number of window positions along an axis of `size` cells padded by `pads`:
// ⌊(size + before + after − k_eff)/stride⌋ + 1. An empty axis gives 0. Error if the effective
// window is larger than the padded (non-empty) axis, or on overflow.
int64_t window_output_size(const WindowSite& site, int64_t size, int64_t kernel, int64_t stride,
                           int64_t dilation, WindowPads pads);

// Checks that a window parameter (kernel size, stride, dilation) is >= 1.
void check_window_param(const char* op, const char* what, int64_t value);

}  // namespace tg::ops
