// Shapes of rank 0..8, stored inline so that copying one never allocates.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

namespace tg {

constexpr int kMaxRank = 8;
// Element-count limit: keeps byte sizes of any dtype far from integer overflow.
constexpr int64_t kMaxElements = int64_t{1} << 56;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  // Validates rank (0..8) and dims (>= 0); `what` names the caller in the error.
  static Shape from(std::span<const int64_t> dims, const char* what);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  int64_t numel() const;
  std::span<const int64_t> dims() const { return {dims_.data(), static_cast<size_t>(rank_)}; }
  void push_back(int64_t d);

  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  // "(2,3)"; a scalar is "()"

  // Row-major strides in elements.
  std::array<int64_t, kMaxRank> strides() const;

 private:
  int rank_ = 0;
  std::array<int64_t, kMaxRank> dims_{};
};

// NumPy broadcasting of two shapes; the error names `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Normalises an axis in [-rank, rank) to [0, rank), or throws naming `op`.
int normalize_axis(int64_t axis, int rank, const char* op);

}  // namespace tg
