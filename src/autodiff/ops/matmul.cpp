// SPDX-License-Identifier: Apache-2.0
// matmul: C = op(A) · op(B) for rank >= 2, with NumPy broadcasting of the batch dims (all but
// the last two), as tf.linalg.matmul / np.matmul. The gradient calls the same GEMM with
// transpose flags, so nothing is ever transposed in memory; the tape sums it down to each
// operand's batch shape (OpDef::broadcasts).
// Legend: A (batch_a…, M, K) or (batch_a…, K, M) if transposed; B (batch_b…, K, N) or
// (batch_b…, N, K) if transposed; C (batch…, M, N) with batch = broadcast(batch_a, batch_b).
#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "tensor/kernels.h"
#include "tensor/reduce_kernels.h"

namespace tg::ops {
namespace {

// The batch dims of a shape of rank >= 2.
Shape batch_of(const Shape& s) {
  Shape b;
  for (int d = 0; d + 2 < s.rank(); ++d) b.push_back(s[d]);
  return b;
}

// True when every batch dim is 1 (or there is none): the operand is one matrix.
bool unbatched(const Shape& s) {
  for (int d = 0; d + 2 < s.rank(); ++d)
    if (s[d] != 1) return false;
  return true;
}

Tensor matmul_forward(std::span<const Tensor> in, const Attrs& at) {
  const Tensor& a = in[0];
  const Tensor& b = in[1];
  if (a.dtype() != b.dtype() || !is_floating(a.dtype()))
    fail(Status::invalid_argument, "matmul: expected two float32 or two float64 matrices, got {} {} and {} {}",
         dtype_name(a.dtype()), a.shape().str(), dtype_name(b.dtype()), b.shape().str());
  if (a.rank() < 2 || b.rank() < 2)
    fail(Status::invalid_argument,
         "matmul: expected matrices (rank-2) or batches of matrices (rank > 2), got {} x {}",
         a.shape().str(), b.shape().str());
  const int ra = a.rank(), rb = b.rank();
  const int64_t ka = at.transpose_a ? a.shape()[ra - 2] : a.shape()[ra - 1];
  const int64_t kb = at.transpose_b ? b.shape()[rb - 1] : b.shape()[rb - 2];
  if (ka != kb)
    fail(Status::invalid_argument, "matmul: inner dimensions differ: {}{} x {}{}", a.shape().str(),
         at.transpose_a ? "^T" : "", b.shape().str(), at.transpose_b ? "^T" : "");
  if (ra == 2 && rb == 2) return gemm_kernel(a, b, at.transpose_a, at.transpose_b);

  const Shape ba = batch_of(a.shape()), bb = batch_of(b.shape());
  Shape out;
  try {
    out = broadcast_shapes(ba, bb, "matmul");
  } catch (const Error&) {
    fail(Status::invalid_argument, "matmul: batch dimensions {} of {} and {} of {} cannot be broadcast together",
         ba.str(), a.shape().str(), bb.str(), b.shape().str());
  }
  out.push_back(at.transpose_a ? a.shape()[ra - 1] : a.shape()[ra - 2]);  // M
  out.push_back(at.transpose_b ? b.shape()[rb - 2] : b.shape()[rb - 1]);  // N
  return batched_gemm_kernel(a, b, at.transpose_a, at.transpose_b, out);
}

// An operand without batch dims, gradient of a batched product: when the batched operand A
// is not transposed, Σ_i A_iᵀ·G_i is one GEMM over the stacked rows, (Σ M, K)ᵀ · (Σ M, N).
// Returns the (K, N) product (or its transpose) reshaped to `shape`, or an empty tensor if
// the fold does not apply.
Tensor folded_gradient(const Tensor& batched, const Tensor& dc, bool transposed_result,
                       const Shape& shape) {
  const Tensor a2 = reshape(batched, Shape{batched.numel() / batched.shape()[batched.rank() - 1],
                                           batched.shape()[batched.rank() - 1]});
  const Tensor g2 = reshape(dc, Shape{dc.numel() / dc.shape()[dc.rank() - 1], dc.shape()[dc.rank() - 1]});
  return reshape(transposed_result ? matmul(g2, a2, true, false) : matmul(a2, g2, true, false), shape);
}

// TensorFlow's MatMulGrad / BatchMatMulV2 grad, case by case; batch dims are summed by the tape.
void matmul_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& a = c.inputs[0];
  const Tensor& b = c.inputs[1];
  const Tensor& dc = c.grad;
  const bool ta = c.attrs.transpose_a, tb = c.attrs.transpose_b;
  // why: with B a single matrix and A batched, dB would otherwise be one GEMM per batch entry
  // plus a reduction over a (batch…, K, N) temporary; the fold makes it one GEMM.
  const bool fold_b = c.needed[1] && !ta && unbatched(b.shape()) && a.rank() > 2 &&
                      dc.numel() > 0 && a.numel() > 0;
  if (!ta && !tb) {
    if (c.needed[0]) g[0] = matmul(dc, b, false, true);
    if (c.needed[1]) g[1] = fold_b ? folded_gradient(a, dc, false, b.shape()) : matmul(a, dc, true, false);
  } else if (!ta && tb) {
    if (c.needed[0]) g[0] = matmul(dc, b, false, false);
    if (c.needed[1]) g[1] = fold_b ? folded_gradient(a, dc, true, b.shape()) : matmul(dc, a, true, false);
  } else if (ta && !tb) {
    if (c.needed[0]) g[0] = matmul(b, dc, false, true);
    if (c.needed[1]) g[1] = matmul(a, dc, false, false);
  } else {
    if (c.needed[0]) g[0] = matmul(b, dc, true, true);
    if (c.needed[1]) g[1] = matmul(dc, a, true, true);
  }
}

const OpDef kMatmul{.name = "matmul", .arity = 2, .forward = matmul_forward,
                    .backward = matmul_backward, .saves_inputs = true, .broadcasts = true};

constexpr const OpDef* kOps[] = {&kMatmul};

}  // namespace

std::span<const OpDef* const> matmul_ops() { return kOps; }

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  Attrs at;
  at.transpose_a = transpose_a;
  at.transpose_b = transpose_b;
  return apply(kMatmul, {a, b}, at);
}

}  // namespace tg::ops
