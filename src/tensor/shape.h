/* SPDX-License-Identifier: Apache-2.0 */
// Shapes of rank 0..8, stored inline so that copying one never allocates.
//
// The size limit, the same for every order of the dimensions: the product of the non-zero
// dimensions is at most kMaxElements (2^56). So the element count, every stride and every
// partial product of a valid shape fits in int64 with room to multiply by a dtype's size,
// and (0, 2^62) is rejected exactly as (2^62, 0) is. Every way to make or change a Shape
// checks it; nothing can write a dimension unchecked.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

namespace tg {

constexpr int kMaxRank = 8;
// The largest product of a shape's non-zero dimensions (so also the largest element count).
constexpr int64_t kMaxElements = int64_t{1} << 56;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  // Validates rank (0..8) and dims (>= 0); `what` names the caller in the error.
  static Shape from(std::span<const int64_t> dims, const char* what);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t numel() const;
  std::span<const int64_t> dims() const { return {dims_.data(), static_cast<size_t>(rank_)}; }
  // Appends a dimension / replaces dimension `axis` (in [0, rank)), checking d >= 0, the rank
  // and the size limit; `what` names the caller in the error.
  void push_back(int64_t d, const char* what = "shape");
  void set(int axis, int64_t d, const char* what = "shape");

  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  // "(2,3)"; a scalar is "()"

  // Row-major strides in elements.
  std::array<int64_t, kMaxRank> strides() const;

 private:
  // Fails unless d may stand at `axis` (rank_ to append): d >= 0 and the size limit.
  void check_dim(int axis, int64_t d, const char* what) const;

  int rank_ = 0;
  std::array<int64_t, kMaxRank> dims_{};
};

// NumPy broadcasting of two shapes; the error names `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Normalises an axis in [-rank, rank) to [0, rank), or throws naming `op`.
int normalize_axis(int64_t axis, int rank, const char* op);

}  // namespace tg

// Formats as Shape::str(): "(2,3)".
template <>
struct fmt::formatter<tg::Shape> : fmt::formatter<std::string_view> {
  auto format(const tg::Shape& s, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(s.str(), ctx);
  }
};
