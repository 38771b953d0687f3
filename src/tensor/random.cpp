// SPDX-License-Identifier: Apache-2.0
#include "tensor/random.h"

#include <cmath>
#include <numbers>
#include <type_traits>
#include <vector>

namespace tg {
namespace {

constexpr uint32_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;

std::array<uint32_t, 2> key_of(uint64_t seed) {
  return {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
}

// Uniform numbers in [0, 1) for elements [0, n): one generator block yields 4 float32 or
// 2 float64 values.
template <class T>
void fill_unit_uniform(T* out, int64_t n, uint64_t seed) {
  const auto key = key_of(seed);
  constexpr int64_t per_block = std::is_same_v<T, float> ? 4 : 2;
  for (int64_t block = 0; block * per_block < n; ++block) {
    const auto w = philox4x32_10({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0, 0}, key);
    for (int64_t j = 0; j < per_block && block * per_block + j < n; ++j) {
      T u;
      if constexpr (std::is_same_v<T, float>) {
        u = static_cast<float>(w[j] >> 8) * 0x1.0p-24f;
      } else {
        const uint64_t bits = (static_cast<uint64_t>(w[2 * j]) << 21) ^ (w[2 * j + 1] >> 11);
        u = static_cast<double>(bits & ((uint64_t{1} << 53) - 1)) * 0x1.0p-53;
      }
      out[block * per_block + j] = u;
    }
  }
}

}  // namespace

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kMul0) * c[0];
    const uint64_t p1 = static_cast<uint64_t>(kMul1) * c[2];
    c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
         static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
    k[0] += kWeyl0;
    k[1] += kWeyl1;
  }
  return c;
}

Tensor random_uniform(const Shape& shape, DType dtype, double minval, double maxval, uint64_t seed) {
  if (!(minval < maxval))
    fail(Status::invalid_argument, "random_uniform: minval ({}) must be less than maxval ({})",
         minval, maxval);
  Tensor t = Tensor::empty(shape, dtype);
  visit_floating(dtype, "random_uniform", [&]<class T>() {
    T* p = t.mutable_data<T>();
    fill_unit_uniform(p, t.numel(), seed);
    // Scaled in double, then kept below maxval: rounding to T could otherwise reach it.
    const T below_max = std::nextafter(static_cast<T>(maxval), static_cast<T>(minval));
    for (int64_t i = 0, n = t.numel(); i < n; ++i) {
      const T v = static_cast<T>(minval + (maxval - minval) * static_cast<double>(p[i]));
      p[i] = v < below_max ? v : below_max;
    }
  });
  return t;
}

Tensor random_normal(const Shape& shape, DType dtype, double mean, double stddev, uint64_t seed) {
  if (!(stddev >= 0))
    fail(Status::invalid_argument, "random_normal: stddev must be >= 0, got {}", stddev);
  Tensor t = Tensor::empty(shape, dtype);
  visit_floating(dtype, "random_normal", [&]<class T>() {
    const int64_t n = t.numel();
    std::vector<T> u(static_cast<size_t>(n + 1));
    fill_unit_uniform(u.data(), n + 1, seed);
    T* p = t.mutable_data<T>();
    for (int64_t i = 0; i < n; i += 2) {
      const double u1 = 1.0 - static_cast<double>(u[i]);  // (0, 1]: log is finite
      const double r = std::sqrt(-2.0 * std::log(u1));
      const double theta = 2.0 * std::numbers::pi * static_cast<double>(u[i + 1]);
      p[i] = static_cast<T>(mean + stddev * r * std::cos(theta));
      if (i + 1 < n) p[i + 1] = static_cast<T>(mean + stddev * r * std::sin(theta));
    }
  });
  return t;
}

}  // namespace tg

namespace tg {
namespace {

// One candidate pair of Box–Muller normals from u1 in (0, 1] and u2 in [0, 1).
inline void box_muller(double u1, double u2, double& z0, double& z1) {
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  z0 = r * std::cos(theta);
  z1 = r * std::sin(theta);
}

// The truncated standard normal of element i (mapping in random.h).
template <class T>
double truncated_standard_normal(uint64_t i, std::array<uint32_t, 2> key) {
  constexpr double kTruncate = 2.0;  // TensorFlow's kTruncateValue
  for (uint32_t attempt = 0;; ++attempt) {
    const auto w = philox4x32_10({static_cast<uint32_t>(i), static_cast<uint32_t>(i >> 32), attempt, 1}, key);
    double z[4];
    int count;
    if constexpr (std::is_same_v<T, float>) {
      for (int p = 0; p < 2; ++p) {
        const double u1 = 1.0 - static_cast<double>(w[2 * p] >> 8) * 0x1.0p-24;
        const double u2 = static_cast<double>(w[2 * p + 1] >> 8) * 0x1.0p-24;
        box_muller(u1, u2, z[2 * p], z[2 * p + 1]);
      }
      count = 4;
    } else {
      const uint64_t b1 = ((static_cast<uint64_t>(w[0]) << 21) ^ (w[1] >> 11)) & ((uint64_t{1} << 53) - 1);
      const uint64_t b2 = ((static_cast<uint64_t>(w[2]) << 21) ^ (w[3] >> 11)) & ((uint64_t{1} << 53) - 1);
      box_muller(1.0 - static_cast<double>(b1) * 0x1.0p-53, static_cast<double>(b2) * 0x1.0p-53, z[0], z[1]);
      count = 2;
    }
    for (int k = 0; k < count; ++k)
      if (std::abs(z[k]) < kTruncate) return z[k];
  }
}

}  // namespace

Tensor random_truncated_normal(const Shape& shape, DType dtype, double mean, double stddev,
                               uint64_t seed) {
  if (!(stddev >= 0))
    fail(Status::invalid_argument, "random_truncated_normal: stddev must be >= 0, got {}", stddev);
  Tensor t = Tensor::empty(shape, dtype);
  visit_floating(dtype, "random_truncated_normal", [&]<class T>() {
    T* p = t.mutable_data<T>();
    const auto key = key_of(seed);
    for (int64_t i = 0, n = t.numel(); i < n; ++i)
      p[i] = static_cast<T>(mean + stddev * truncated_standard_normal<T>(static_cast<uint64_t>(i), key));
  });
  return t;
}

}  // namespace tg
