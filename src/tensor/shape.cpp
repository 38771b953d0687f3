// SPDX-License-Identifier: Apache-2.0
#include "tensor/shape.h"

#include "tensor/error.h"

namespace tg {

Shape::Shape(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) push_back(d);
}

Shape Shape::from(std::span<const int64_t> dims, const char* what) {
  if (dims.size() > static_cast<size_t>(kMaxRank))
    fail(Status::invalid_argument, "{}: rank {} exceeds the maximum rank {}", what, dims.size(),
         kMaxRank);
  Shape s;
  for (int64_t d : dims) s.push_back(d, what);
  return s;
}

namespace {

// The product of the non-zero dimensions of `dims` but the one at `skip`; each partial product
// is <= kMaxElements, as in every valid shape.
int64_t nonzero_product(std::span<const int64_t> dims, int skip) {
  int64_t p = 1;
  for (size_t i = 0; i < dims.size(); ++i)
    if (static_cast<int>(i) != skip && dims[i] != 0) p *= dims[i];
  return p;
}

}  // namespace

void Shape::check_dim(int axis, int64_t d, const char* what) const {
  Shape wanted = *this;  // only for the message: this shape with d at `axis`
  if (axis == rank_) ++wanted.rank_;
  wanted.dims_[axis] = d;
  if (d < 0) fail(Status::invalid_argument, "{}: negative dimension {} in shape {}", what, d, wanted.str());
  if (d > kMaxElements / nonzero_product(dims(), axis))
    fail(Status::invalid_argument,
         "{}: shape {} is too large: the product of its non-zero dimensions exceeds 2^56 (the element limit)", what,
         wanted.str());
}

void Shape::set(int axis, int64_t d, const char* what) {
  check_dim(axis, d, what);
  dims_[axis] = d;
}

void Shape::push_back(int64_t d, const char* what) {
  if (rank_ == kMaxRank)
    fail(Status::invalid_argument, "{}: {} followed by dimension {} exceeds the maximum rank {}", what, str(), d,
         kMaxRank);
  check_dim(rank_, d, what);
  dims_[rank_++] = d;
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

bool Shape::operator==(const Shape& o) const {
  if (rank_ != o.rank_) return false;
  for (int i = 0; i < rank_; ++i)
    if (dims_[i] != o.dims_[i]) return false;
  return true;
}

std::string Shape::str() const {
  std::string s = "(";
  for (int i = 0; i < rank_; ++i) {
    if (i) s += ",";
    s += std::to_string(dims_[i]);
  }
  return s + ")";
}

std::array<int64_t, kMaxRank> Shape::strides() const {
  std::array<int64_t, kMaxRank> st{};
  int64_t s = 1;
  for (int i = rank_ - 1; i >= 0; --i) {
    st[i] = s;
    s *= dims_[i];
  }
  return st;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  if (a == b) return a;
  const int rank = std::max(a.rank(), b.rank());
  Shape out;
  for (int i = 0; i < rank; ++i) {
    const int ia = i - (rank - a.rank());
    const int ib = i - (rank - b.rank());
    const int64_t da = ia >= 0 ? a[ia] : 1;
    const int64_t db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1)
      fail(Status::invalid_argument, "{}: shapes {} and {} cannot be broadcast together", op,
           a.str(), b.str());
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

int normalize_axis(int64_t axis, int rank, const char* op) {
  if (axis < -rank || axis >= rank)
    fail(Status::invalid_argument, "{}: axis {} is out of range for rank {}", op, axis, rank);
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

}  // namespace tg
