// SPDX-License-Identifier: Apache-2.0
// tg::CustomOp and the tape machinery under it (records with several outputs, PauseRecording),
// through the C++ API. The C ABI's tests are tests/c/test_custom_op*.c.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "autodiff/custom_op.h"
#include "autodiff/ops.h"
#include "autodiff/tape.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::D;
using testing::f64;
using testing::grad;
using testing::values;

// f(a, b) = (sin(a)·b, a·b): two inputs, two outputs, the gradient written with library ops.
std::shared_ptr<CustomOp> sin_times_and_product() {
  CustomOpSpec spec;
  spec.name = "sin_times_and_product";
  spec.num_inputs = 2;
  spec.num_outputs = 2;
  return std::make_shared<CustomOp>(
      spec,
      [](CustomCall&, std::span<const Tensor> in, size_t) {
        return std::vector<Tensor>{ops::mul(ops::sin(in[0]), in[1]), ops::mul(in[0], in[1])};
      },
      [](const CustomCall& call, std::span<const Tensor> dys, std::span<const bool>) {
        const Tensor& a = call.inputs[0];
        const Tensor& b = call.inputs[1];
        // d/da = cos(a)·b·d0 + b·d1, d/db = sin(a)·d0 + a·d1
        return std::vector<Tensor>{
            ops::add(ops::mul(ops::mul(ops::cos(a), b), dys[0]), ops::mul(b, dys[1])),
            ops::add(ops::mul(ops::sin(a), dys[0]), ops::mul(a, dys[1]))};
      });
}

// The sum of both outputs at (a, b), and its gradient from the tape.
double sum_of_outputs(const CustomOp& op, double a, double b) {
  const Tensor in[] = {f64(a), f64(b)};
  const auto out = op.call(in, 2);
  return values(out[0])[0] + values(out[1])[0];
}

TEST(CustomOp, GradientMatchesCentralDifferencesInFloat64) {
  const auto op = sin_times_and_product();
  const double a0 = 0.7, b0 = -1.3, h = 1e-6;
  const Tensor a = f64(a0), b = f64(b0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(a);
  tape.watch(b);
  const Tensor in[] = {a, b};
  const auto out = op->call(in, 2);
  tape.end();
  const auto g = grad(tape, {D(out[0]), D(out[1])}, {D(a), D(b)});
  const double da = (sum_of_outputs(*op, a0 + h, b0) - sum_of_outputs(*op, a0 - h, b0)) / (2 * h);
  const double db = (sum_of_outputs(*op, a0, b0 + h) - sum_of_outputs(*op, a0, b0 - h)) / (2 * h);
  EXPECT_NEAR(values(g[0])[0], da, 1e-8);
  EXPECT_NEAR(values(g[1])[0], db, 1e-8);
}

// d/da of the first-order gradient d/da (sin(a)·b + a·b) = cos(a)·b + b is -sin(a)·b.
TEST(CustomOp, SecondDerivativeThroughTheGradientFunction) {
  const auto op = sin_times_and_product();
  const double a0 = 0.7, b0 = -1.3;
  const Tensor a = f64(a0), b = f64(b0);
  Tape outer(false, true);
  outer.begin();
  outer.watch(a);
  Tape inner(false, true);
  inner.begin();
  inner.watch(a);
  const Tensor in[] = {a, b};
  const auto out = op->call(in, 2);
  inner.end();
  const auto g = grad(inner, {D(out[0]), D(out[1])}, {D(a)});
  outer.end();
  const auto g2 = grad(outer, {D(g[0])}, {D(a)});
  EXPECT_NEAR(values(g[0])[0], std::cos(a0) * b0 + b0, 1e-12);
  EXPECT_NEAR(values(g2[0])[0], -std::sin(a0) * b0, 1e-12);
}

// An output that is a source keeps its gradient and still passes it on; the other output gets
// zeros in the gradient function.
TEST(CustomOp, OutputAsSourceAndUnreachedOutput) {
  const auto op = sin_times_and_product();
  const Tensor a = f64(2.0), b = f64(3.0);
  Tape tape(true, true);
  tape.begin();
  tape.watch(a);
  const Tensor in[] = {a, b};
  const auto out = op->call(in, 2);
  const Tensor z = ops::mul(out[1], f64(5.0));  // only the product reaches z
  tape.end();
  const auto g = grad(tape, {D(z)}, {D(out[1]), D(a)});
  EXPECT_EQ(values(g[0]), std::vector<double>{5.0});
  EXPECT_EQ(values(g[1]), std::vector<double>{15.0});  // b·5
}

// The forward runs with the recording tapes paused; a tape it begins records, and if it is left
// recording it records at the outer level once the pause ends.
TEST(CustomOp, TapesEnteredDuringAPauseRecordAfterIt) {
  const Tensor x = f64(3.0);
  Tape outer(false, true);
  outer.begin();
  outer.watch(x);
  auto inner = std::make_unique<Tape>(true, true);
  {
    const PauseRecording pause;
    EXPECT_TRUE(outer.paused());
    inner->begin();
    inner->watch(x);
    EXPECT_FALSE(inner->paused());
    EXPECT_TRUE(ops::mul(x, x).defined());
    EXPECT_EQ(outer.num_records(), 0u);
    EXPECT_EQ(inner->num_records(), 1u);
  }
  EXPECT_FALSE(outer.paused());
  EXPECT_FALSE(inner->paused());
  EXPECT_TRUE(ops::mul(x, x).defined());
  EXPECT_EQ(outer.num_records(), 1u);
  EXPECT_EQ(inner->num_records(), 2u);
  inner->end();
  inner.reset();
  outer.end();
}

}  // namespace
}  // namespace tg
