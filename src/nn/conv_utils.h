/* SPDX-License-Identifier: Apache-2.0 */
// Keras's conv_utils (K/keras/utils/conv_utils.py) for the convolution and pooling layers: the
// checks of their tuple arguments and the output size of one spatial axis.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "autodiff/ops/window.h"

namespace tg {

// conv_utils.normalize_tuple's check: every value > 0 (with allow_zero: >= 0), else
// Error(invalid_argument) with Keras's message: "The `kernel_size` argument must be a tuple of
// 2 integers. Received kernel_size=(0, 3) including {0} that does not satisfy the requirement
// `> 0`."
void check_tuple(std::span<const int64_t> values, const char* name, bool allow_zero = false);

// The padding of a layer's configuration, checked: Error(invalid_argument) for a value that is
// not a Padding, or for causal where `causal_allowed` is false (with Keras's message).
void check_padding(ops::Padding padding, bool causal_allowed, std::string_view owner);

// conv_utils.conv_output_length: the output size along one spatial axis of `length` cells for
// a window of `kernel` cells with `dilation` (effective size k_eff = (kernel − 1)·dilation + 1)
// moved by `stride`: 'valid' ⌈(length − k_eff + 1)/stride⌉, 'same' and 'causal'
// ⌈length/stride⌉. kUnknownDim (-1) stays unknown. Zero or negative when the window does not
// fit. Error(invalid_argument) if k_eff overflows.
int64_t conv_output_length(int64_t length, int64_t kernel, ops::Padding padding, int64_t stride,
                           int64_t dilation);

}  // namespace tg
