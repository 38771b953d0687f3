// matmul: C = op(A) · op(B), rank 2. The gradient calls the same GEMM with transpose flags,
// so nothing is ever transposed in memory.
// Legend: A (M,K) or (K,M) if transposed; B (K,N) or (N,K) if transposed; C (M,N).
#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "tensor/kernels.h"

namespace tg::ops {
namespace {

Tensor matmul_forward(std::span<const Tensor> in, const Attrs& at) {
  const Tensor& a = in[0];
  const Tensor& b = in[1];
  if (a.dtype() != b.dtype() || !is_floating(a.dtype()))
    fail(Status::invalid_argument, "matmul: expected two float32 or two float64 matrices, got {} {} and {} {}",
         dtype_name(a.dtype()), a.shape().str(), dtype_name(b.dtype()), b.shape().str());
  if (a.rank() != 2 || b.rank() != 2)
    fail(Status::invalid_argument, "matmul: expected rank-2 operands, got {} x {}", a.shape().str(),
         b.shape().str());
  const int64_t ka = at.transpose_a ? a.shape()[0] : a.shape()[1];
  const int64_t kb = at.transpose_b ? b.shape()[1] : b.shape()[0];
  if (ka != kb)
    fail(Status::invalid_argument, "matmul: inner dimensions differ: {}{} x {}{}", a.shape().str(),
         at.transpose_a ? "^T" : "", b.shape().str(), at.transpose_b ? "^T" : "");
  return gemm_kernel(a, b, at.transpose_a, at.transpose_b);
}

// TensorFlow's MatMulGrad, case by case.
void matmul_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& a = c.inputs[0];
  const Tensor& b = c.inputs[1];
  const Tensor& dc = c.grad;
  const bool ta = c.attrs.transpose_a, tb = c.attrs.transpose_b;
  if (!ta && !tb) {
    if (c.needed[0]) g[0] = matmul(dc, b, false, true);
    if (c.needed[1]) g[1] = matmul(a, dc, true, false);
  } else if (!ta && tb) {
    if (c.needed[0]) g[0] = matmul(dc, b, false, false);
    if (c.needed[1]) g[1] = matmul(dc, a, true, false);
  } else if (ta && !tb) {
    if (c.needed[0]) g[0] = matmul(b, dc, false, true);
    if (c.needed[1]) g[1] = matmul(a, dc, false, false);
  } else {
    if (c.needed[0]) g[0] = matmul(b, dc, true, true);
    if (c.needed[1]) g[1] = matmul(dc, a, true, true);
  }
}

const OpDef kMatmul{.name = "matmul", .arity = 2, .forward = matmul_forward,
                    .backward = matmul_backward, .saves_inputs = true};

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
