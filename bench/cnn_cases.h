/* SPDX-License-Identifier: Apache-2.0 */
// The convolution shapes and the CNN training step measured by cnn_bench.cpp (tapegrad) and
// torch/cnn_torch_bench.cpp (libtorch), so both libraries run exactly the same work.
//
// The CNN is the Fashion-MNIST model of the examples:
//   Conv2D(32, 3, relu) → MaxPool(2) → Conv2D(64, 3, relu) → MaxPool(2) → Flatten →
//   Dense(128, relu) → Dropout(0.5) → Dense(10), sparse softmax cross-entropy, Adam(1e-3),
//   batch 128 of 28×28×1 images ('valid' convolutions: 28 → 26 → 13 → 11 → 5; 5·5·64 = 1600).
// Every benchmark takes the thread count as its argument (1 and 2); use real time:
//   tapegrad_torch_bench --benchmark_repetitions=7 --benchmark_report_aggregates_only=true
//                        --benchmark_enable_random_interleaving=true
#pragma once

#include <cstdint>

namespace tg_bench {

struct ConvCase {
  const char* name;
  int64_t batch, height, width, in_channels, out_channels, kernel;
  bool same;  // 'same' padding (1 on each side for 3×3), else 'valid'
};

inline constexpr ConvCase kConvCases[] = {
    {"28x28x1_to_32_k3_valid_b128", 128, 28, 28, 1, 32, 3, false},
    {"14x14x32_to_64_k3_same_b128", 128, 14, 14, 32, 64, 3, true},
    {"56x56x64_to_64_k3_same_b64", 64, 56, 56, 64, 64, 3, true},
};

// The CNN's first activation (after Conv2D(32, 3) on 28×28), for max pooling 2×2 and for
// batch normalization in training mode, each forward + backward.
inline constexpr int64_t kActivationShape[4] = {128, 26, 26, 32};

inline constexpr int64_t kCnnBatch = 128, kCnnClasses = 10, kCnnHidden = 128;
inline constexpr int64_t kCnnFlat = 5 * 5 * 64;
inline constexpr double kCnnDropout = 0.5, kCnnLearningRate = 1e-3;

}  // namespace tg_bench
