// SPDX-License-Identifier: Apache-2.0
// Engine semantics of tg::Tape (docs/gradient-tape.md), driven directly through the C++ API.
// Expected values are worked out by hand (or quoted from TensorFlow's backprop_test.py).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "autodiff/ops.h"
#include "autodiff/tape.h"
#include "autodiff/variable.h"
#include "tensor/allocator.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::D;
using testing::f32;
using testing::f64;
using testing::grad;
using testing::values;

constexpr const char* kUsedTapeMessage =
    "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)";

// ---- basics -------------------------------------------------------------------------

TEST(Tape, SquareGradientIsSix) {  // the seed notebook's first cell
  const Tensor x = f32(3.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  tape.end();
  const auto g = grad(tape, {D(y)}, {D(x)});
  ASSERT_EQ(g.size(), 1u);
  ASSERT_TRUE(g[0].defined());
  EXPECT_EQ(g[0].dtype(), DType::f32);
  EXPECT_EQ(g[0].shape(), Shape{});
  EXPECT_EQ(g[0].item(), 6.0);
}

TEST(Tape, NestedTapesGiveSecondDerivativeOfCube) {
  // y = x³ at 3: dy/dx = 3x² = 27, d²y/dx² = 6x = 18.
  const Tensor x = f64(3.0);
  Tape outer(false, true);
  outer.begin();
  outer.watch(x);
  Tensor dy;
  {
    Tape inner(false, true);
    inner.begin();
    inner.watch(x);
    const Tensor y = ops::mul(ops::mul(x, x), x);
    inner.end();
    dy = grad(inner, {D(y)}, {D(x)})[0];
  }
  outer.end();
  ASSERT_TRUE(dy.defined());
  EXPECT_DOUBLE_EQ(dy.item(), 27.0);
  const auto d2 = grad(outer, {D(dy)}, {D(x)});
  ASSERT_TRUE(d2[0].defined());
  EXPECT_DOUBLE_EQ(d2[0].item(), 18.0);
}

TEST(Tape, ThreeLevelsOfNestingGiveThirdDerivative) {
  // y = x⁴ at 2: 4x³ = 32, 12x² = 48, 24x = 48.
  const Tensor x = f64(2.0);
  Tape t1(false, true), t2(false, true), t3(false, true);
  t1.begin();
  t1.watch(x);
  t2.begin();
  t2.watch(x);
  t3.begin();
  t3.watch(x);
  const Tensor x2 = ops::mul(x, x);
  const Tensor y = ops::mul(x2, x2);
  t3.end();
  const Tensor d1 = grad(t3, {D(y)}, {D(x)})[0];
  t2.end();
  const Tensor d2 = grad(t2, {D(d1)}, {D(x)})[0];
  t1.end();
  const Tensor d3 = grad(t1, {D(d2)}, {D(x)})[0];
  ASSERT_TRUE(d1.defined() && d2.defined() && d3.defined());
  EXPECT_DOUBLE_EQ(d1.item(), 32.0);
  EXPECT_DOUBLE_EQ(d2.item(), 48.0);
  EXPECT_DOUBLE_EQ(d3.item(), 48.0);
}

TEST(Tape, DiamondAccumulates) {  // b = a + a; c = b + b -> dc/da = 4
  const Tensor a = f32(1.5);
  Tape tape(false, true);
  tape.begin();
  tape.watch(a);
  const Tensor b = ops::add(a, a);
  const Tensor c = ops::add(b, b);
  tape.end();
  const auto g = grad(tape, {D(c)}, {D(a)});
  ASSERT_TRUE(g[0].defined());
  EXPECT_EQ(g[0].item(), 4.0);
}

TEST(Tape, WideDiamondThroughDifferentOps) {
  // c = (a*2) * (a+1) at a = 3: dc/da = 2(a+1) + 2a = 4a + 2 = 14.
  const Tensor a = f64(3.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(a);
  const Tensor c = ops::mul(ops::mul(a, f64(2.0)), ops::add(a, f64(1.0)));
  tape.end();
  EXPECT_DOUBLE_EQ(grad(tape, {D(c)}, {D(a)})[0].item(), 14.0);
}

TEST(Tape, ReusedInputsAccumulate) {  // y = x*x*x at 2 -> 3x² = 12
  const Tensor x = f32(2.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(ops::mul(x, x), x);
  tape.end();
  EXPECT_EQ(grad(tape, {D(y)}, {D(x)})[0].item(), 12.0);
}

TEST(Tape, UnusedSourceIsUndefinedOrZeros) {
  const Tensor x = f32(2.0);
  const Tensor unused = f32(Shape{2, 2}, {1, 2, 3, 4});
  {
    Tape tape(false, true);
    tape.begin();
    tape.watch(x);
    tape.watch(unused);
    const Tensor y = ops::mul(x, x);
    tape.end();
    const auto g = grad(tape, {D(y)}, {D(x), D(unused)});
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[0].item(), 4.0);
    EXPECT_FALSE(g[1].defined());
  }
  {
    Tape tape(false, true);
    tape.begin();
    tape.watch(x);
    const Tensor y = ops::mul(x, x);
    tape.end();
    // Unwatched too: zeros of the source's shape and dtype (BPT testUnconnectedGradientsZeros).
    const auto g = grad(tape, {D(y)}, {D(x), D(unused)}, {}, Unconnected::zero);
    ASSERT_TRUE(g[1].defined());
    EXPECT_EQ(g[1].shape(), (Shape{2, 2}));
    EXPECT_EQ(g[1].dtype(), DType::f32);
    EXPECT_EQ(values(g[1]), (std::vector<double>{0, 0, 0, 0}));
    EXPECT_EQ(g[0].item(), 4.0);  // connected sources are unaffected by the flag
  }
}

TEST(Tape, NonPersistentSecondGradientCallThrows) {
  const Tensor x = f32(3.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  tape.end();
  EXPECT_EQ(grad(tape, {D(y)}, {D(x)})[0].item(), 6.0);
  EXPECT_EQ(tape.num_records(), 0u) << "a non-persistent tape releases its records";
  try {
    grad(tape, {D(y)}, {D(x)});
    FAIL() << "second gradient call on a non-persistent tape did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Status::invalid_state);
    EXPECT_STREQ(e.what(), kUsedTapeMessage);
  }
}

TEST(Tape, PersistentTapeGivesManyGradients) {  // BPT testPersistentTape
  const Tensor x = f32(3.0);
  Tape tape(true, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  const Tensor z = ops::mul(y, y);
  tape.end();
  EXPECT_EQ(grad(tape, {D(z)}, {D(x)})[0].item(), 108.0);
  EXPECT_EQ(grad(tape, {D(y)}, {D(x)})[0].item(), 6.0);
  EXPECT_EQ(grad(tape, {D(z)}, {D(y)})[0].item(), 18.0);
  EXPECT_EQ(grad(tape, {D(z)}, {D(x)})[0].item(), 108.0);  // still there after three calls
}

TEST(Tape, PersistentTapeDifferentiatesItsOwnGradients) {  // BPT testHigherOrderGradient
  // x = 3, y = x³: 27, 18, 6 — all computed inside the tape's own context.
  const Tensor x = f64(3.0);
  Tape tape(true, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(ops::mul(x, x), x);
  const Tensor dy = grad(tape, {D(y)}, {D(x)})[0];
  const Tensor d2y = grad(tape, {D(dy)}, {D(x)})[0];
  const Tensor d3y = grad(tape, {D(d2y)}, {D(x)})[0];
  tape.end();
  ASSERT_TRUE(dy.defined() && d2y.defined() && d3y.defined());
  EXPECT_DOUBLE_EQ(dy.item(), 27.0);
  EXPECT_DOUBLE_EQ(d2y.item(), 18.0);
  EXPECT_DOUBLE_EQ(d3y.item(), 6.0);
}

TEST(Tape, MultipleTargetsAreSummed) {
  // GUIDE: {y0: x², y1: 1/x} at x = 2 -> 2x - 1/x² = 4 - 0.25 = 3.75.
  const Tensor x = f32(2.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y0 = ops::mul(x, x);
  const Tensor y1 = ops::div(f32(1.0), x);
  tape.end();
  EXPECT_EQ(grad(tape, {D(y0), D(y1)}, {D(x)})[0].item(), 3.75);
}

TEST(Tape, NonScalarTargetGivesGradientOfItsSum) {  // GUIDE: x * [3, 4] -> 7
  const Tensor x = f32(2.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, f32(Shape{2}, {3, 4}));
  tape.end();
  const Tensor g = grad(tape, {D(y)}, {D(x)})[0];
  ASSERT_TRUE(g.defined());
  EXPECT_EQ(g.shape(), Shape{});
  EXPECT_EQ(g.item(), 7.0);
}

TEST(Tape, OutputGradientsReplaceTheOnesSeed) {
  {  // BPT testOutputGradUsedInComputation: x=3, y=2, targets [x*y, x], seeds [1, 2] -> 4
    const Tensor x = f32(3.0), y = f32(2.0);
    Tape tape(false, true);
    tape.begin();
    tape.watch(x);
    const Tensor xy = ops::mul(x, y);
    tape.end();
    EXPECT_EQ(grad(tape, {D(xy), D(x)}, {D(x)}, {f32(1.0), f32(2.0)})[0].item(), 4.0);
  }
  {  // vector seed: y = x * [3, 4], seed [10, 100] -> 30 + 400
    const Tensor x = f32(2.0);
    Tape tape(false, true);
    tape.begin();
    tape.watch(x);
    const Tensor y = ops::mul(x, f32(Shape{2}, {3, 4}));
    tape.end();
    EXPECT_EQ(grad(tape, {D(y)}, {D(x)}, {f32(Shape{2}, {10, 100})})[0].item(), 430.0);
  }
  {  // an undefined entry means "ones" for that target
    const Tensor x = f32(3.0);
    Tape tape(false, true);
    tape.begin();
    tape.watch(x);
    const Tensor y0 = ops::mul(x, x);          // 2x = 6, seeded with 10 -> 60
    const Tensor y1 = ops::mul(x, f32(5.0));   // 5, seeded with ones
    tape.end();
    EXPECT_EQ(grad(tape, {D(y0), D(y1)}, {D(x)}, {f32(10.0), Tensor()})[0].item(), 65.0);
  }
}

TEST(Tape, OutputGradientOfWrongShapeIsAnError) {
  const Tensor x = f32(2.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, f32(Shape{2}, {3, 4}));
  tape.end();
  try {
    grad(tape, {D(y)}, {D(x)}, {f32(Shape{3}, {1, 1, 1})});
    FAIL() << "a (3,) seed for a (2,) target was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Status::invalid_argument);
  }
}

TEST(Tape, TargetThatIsASourceGetsOnes) {
  {  // BPT: gradient([x, x*x], x) at 2 = 1 + 4 = 5
    const Tensor x = f32(2.0);
    Tape tape(false, true);
    tape.begin();
    tape.watch(x);
    const Tensor y = ops::mul(x, x);
    tape.end();
    EXPECT_EQ(grad(tape, {D(x), D(y)}, {D(x)})[0].item(), 5.0);
  }
  {  // gradient(x, x) = 1 even with nothing recorded
    const Tensor x = f32(Shape{2}, {1, 2});
    Tape tape(false, true);
    tape.begin();
    tape.watch(x);
    tape.end();
    EXPECT_EQ(values(grad(tape, {D(x)}, {D(x)})[0]), (std::vector<double>{1, 1}));
  }
}

TEST(Tape, RepeatedSourcesEachGetTheFullGradient) {  // BPT testGradientTapeRepeatedSource
  const Tensor x = f32(2.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::add(x, x);
  tape.end();
  const auto g = grad(tape, {D(y)}, {D(x), D(x)});
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].item(), 2.0);
  EXPECT_EQ(g[1].item(), 2.0);
}

TEST(Tape, IntermediateSourceStopsAtItself) {
  // y = x*x, z = y*3: dz/dy = 3 and dz/dx = 6x = 12 in the same call.
  const Tensor x = f32(2.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  const Tensor z = ops::mul(y, f32(3.0));
  tape.end();
  const auto g = grad(tape, {D(z)}, {D(y), D(x)});
  EXPECT_EQ(g[0].item(), 3.0);
  EXPECT_EQ(g[1].item(), 12.0);
}

TEST(Tape, UnwatchedInputsAreConstants) {
  const Tensor x = f32(2.0), c = f32(5.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor before = ops::mul(c, c);  // no watched input: not recorded
  EXPECT_EQ(tape.num_records(), 0u);
  const Tensor y = ops::mul(x, before);
  tape.end();
  EXPECT_EQ(tape.num_records(), 1u);
  const auto g = grad(tape, {D(y)}, {D(x), D(c)});
  EXPECT_EQ(g[0].item(), 25.0);
  EXPECT_FALSE(g[1].defined());
}

TEST(Tape, OpsAfterEndAreNotRecorded) {
  const Tensor x = f32(2.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  tape.end();
  const Tensor z = ops::mul(y, y);
  EXPECT_EQ(tape.num_records(), 1u);
  EXPECT_FALSE(grad(tape, {D(z)}, {D(x)})[0].defined());
}

TEST(Tape, ReEnteringContinuesTheRecord) {  // BPT testGradientTapeReEnterContext
  const Tensor x = f32(1.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(f32(2.0), x);
  tape.end();
  tape.begin();
  const Tensor z = ops::mul(f32(2.0), y);
  tape.end();
  EXPECT_EQ(grad(tape, {D(z)}, {D(x)})[0].item(), 4.0);
}

TEST(Tape, BeginTwiceAndEndTwiceAreStateErrors) {
  Tape tape(false, true);
  tape.begin();
  try {
    tape.begin();
    FAIL() << "re-entering a recording tape did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Status::invalid_state);
    EXPECT_STREQ(e.what(),
                 "Tape is still recording, This can happen if you try to re-enter an "
                 "already-active tape.");
  }
  tape.end();
  try {
    tape.end();
    FAIL() << "ending a tape that is not recording did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Status::invalid_state);
    EXPECT_STREQ(e.what(), "Tape is not recording.");
  }
  EXPECT_TRUE(active_tapes().empty());
}

TEST(Tape, GradientInsideContextStopsANonPersistentTape) {  // BPT testGradientWithinTapeBlock
  const Tensor x = f32(1.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, f32(2.0));
  EXPECT_EQ(grad(tape, {D(y)}, {D(x)})[0].item(), 2.0);
  EXPECT_FALSE(tape.recording());
  EXPECT_TRUE(active_tapes().empty());
}

TEST(Tape, DestroyedRecordingTapeLeavesTheStack) {
  {
    Tape tape(false, true);
    tape.begin();
    ASSERT_EQ(active_tapes().size(), 1u);
  }
  EXPECT_TRUE(active_tapes().empty());
  const Tensor x = f32(1.0);
  EXPECT_EQ(ops::mul(x, x).item(), 1.0);  // no dangling tape is touched
}

TEST(Tape, TapesWatchIndependently) {  // ADV "Multiple tapes"; BPT testWatchingIsTapeLocal
  const Tensor x0 = f32(0.0), x1 = f32(0.0);
  Tape t0(false, true), t1(false, true);
  t0.begin();
  t1.begin();
  t0.watch(x0);
  t1.watch(x1);
  const Tensor y0 = ops::exp(x0);  // e⁰ = 1
  const Tensor y1 = ops::mul(x1, x1);
  const Tensor y = ops::add(y0, y1);
  t1.end();
  t0.end();
  const auto g0 = grad(t0, {D(y)}, {D(x0), D(x1)});
  const auto g1 = grad(t1, {D(y)}, {D(x0), D(x1)});
  EXPECT_EQ(g0[0].item(), 1.0);
  EXPECT_FALSE(g0[1].defined());
  EXPECT_FALSE(g1[0].defined());
  EXPECT_EQ(g1[1].item(), 0.0);  // 2·x1 = 0, but connected: defined
}

TEST(Tape, ReluGradientAtZeroIsZero) {  // RELU: gradients * (features > 0)
  const Tensor x = f32(Shape{3}, {-1.0, 0.0, 2.0});
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::relu(x);
  tape.end();
  EXPECT_EQ(values(grad(tape, {D(y)}, {D(x)})[0]), (std::vector<double>{0, 0, 1}));
}

TEST(Tape, BroadcastGradientsAreSummedToEachInputShape) {
  // y = a (2,3) + b (3,) + c () ; dy/db = 2 per element, dy/dc = 6.
  const Tensor a = f32(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = f32(Shape{3}, {1, 2, 3});
  const Tensor c = f32(1.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(a);
  tape.watch(b);
  tape.watch(c);
  const Tensor y = ops::add(ops::add(a, b), c);
  tape.end();
  const auto g = grad(tape, {D(y)}, {D(a), D(b), D(c)});
  EXPECT_EQ(g[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(g[1].shape(), (Shape{3}));
  EXPECT_EQ(g[2].shape(), Shape{});
  EXPECT_EQ(values(g[1]), (std::vector<double>{2, 2, 2}));
  EXPECT_EQ(g[2].item(), 6.0);
}

TEST(Tape, SameTensorTwiceAsTargetIsSeededTwice) {  // BPT: gradient([y, y], x) with y = x -> 2
  const Tensor x = f32(5.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  tape.end();
  EXPECT_EQ(grad(tape, {D(x), D(x)}, {D(x)})[0].item(), 2.0);
}

TEST(Tape, GradientsFlowBackThroughCastsInTheSourceDtype) {
  const Tensor x = f32(3.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor x64 = ops::cast(x, DType::f64);
  const Tensor y = ops::mul(x64, x64);
  tape.end();
  const Tensor g = grad(tape, {D(y)}, {D(x)})[0];
  ASSERT_TRUE(g.defined());
  EXPECT_EQ(g.dtype(), DType::f32);
  EXPECT_EQ(g.item(), 6.0);
}

TEST(Tape, UsedNonPersistentTapeCanBeginAgainAfresh) {
  // TF's __enter__ makes a new C++ tape when the old one was used up.
  const Tensor x = f32(3.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  tape.end();
  EXPECT_EQ(grad(tape, {D(y)}, {D(x)})[0].item(), 6.0);
  tape.begin();
  const Tensor z = ops::mul(x, f32(4.0));  // x is no longer watched: a fresh tape
  EXPECT_EQ(tape.num_records(), 0u);
  tape.watch(x);
  const Tensor w = ops::mul(x, f32(4.0));
  tape.end();
  EXPECT_FALSE(grad(tape, {D(z)}, {D(x)})[0].defined());
  Tape again(false, true);
  again.begin();
  again.watch(x);
  const Tensor w2 = ops::mul(x, f32(4.0));
  again.end();
  EXPECT_EQ(grad(again, {D(w2)}, {D(x)})[0].item(), 4.0);
  (void)w;
}

TEST(Tape, UseFromAnotherThreadIsAStateError) {
  const Tensor x = f32(3.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  tape.end();
  Status code = Status::ok;
  std::thread other([&] {
    try {
      grad(tape, {D(y)}, {D(x)});
    } catch (const Error& e) {
      code = e.code();
    }
  });
  other.join();
  EXPECT_EQ(code, Status::invalid_state);
  EXPECT_EQ(grad(tape, {D(y)}, {D(x)})[0].item(), 6.0) << "the owning thread can still use it";
}

TEST(Tape, TapeLeftRecordingByAnExitedThreadCanBeFreedElsewhere) {
  std::unique_ptr<Tape> tape;
  std::thread other([&] {
    tape = std::make_unique<Tape>(false, true);
    tape->begin();  // the thread exits with the tape still on its stack
  });
  other.join();
  EXPECT_FALSE(tape->recording());
  EXPECT_TRUE(active_tapes().empty());
  try {
    tape->begin();
    ADD_FAILURE() << "a tape of another thread was entered";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Status::invalid_state);
  }
  tape.reset();  // freed from this thread: no crash, this thread's stack untouched
  const Tensor x = f32(2.0);
  Tape mine(false, true);
  mine.begin();
  mine.watch(x);
  const Tensor y = ops::mul(x, x);
  mine.end();
  EXPECT_EQ(grad(mine, {D(y)}, {D(x)})[0].item(), 4.0);
}

TEST(Tape, ActiveTapesArePerThread) {
  const Tensor x = f32(3.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  Tensor from_other;
  size_t other_active = 99;
  std::thread other([&] {
    other_active = active_tapes().size();
    from_other = ops::mul(x, x);  // this thread has no tape: not recorded
  });
  other.join();
  const Tensor here = ops::mul(x, x);
  tape.end();
  EXPECT_EQ(other_active, 0u);
  EXPECT_EQ(tape.num_records(), 1u);
  const auto g = grad(tape, {D(from_other), D(here)}, {D(x)});
  EXPECT_EQ(g[0].item(), 6.0);  // only `here` contributes
}

// ---- the op table's contract with the tape (custom OpDefs) ----------------------------

Tensor copy_forward(std::span<const Tensor> in, const Attrs&) {
  return Tensor::from_data(in[0].shape(), in[0].dtype(), in[0].raw());
}
void wrong_shape_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = Tensor::zeros({7}, c.grad.dtype());
}
void wrong_dtype_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = Tensor::zeros(c.grad.shape(), c.grad.dtype() == DType::f32 ? DType::f64 : DType::f32);
}
void pass_backward(const GradContext& c, std::span<Tensor> g) {
  for (Tensor& t : g) t = c.grad;
}

const OpDef kWrongShape{.name = "test_wrong_shape", .arity = 1, .forward = copy_forward,
                        .backward = wrong_shape_backward};
const OpDef kWrongDtype{.name = "test_wrong_dtype", .arity = 1, .forward = copy_forward,
                        .backward = wrong_dtype_backward};
const OpDef kNotDifferentiable{.name = "test_not_differentiable", .arity = 1,
                               .forward = copy_forward, .backward = nullptr,
                               .differentiability = Differentiability::none};
const OpDef kUnregistered{.name = "test_unregistered", .arity = 1, .forward = copy_forward,
                          .backward = nullptr,
                          .differentiability = Differentiability::unregistered};

// Records what the tape hands to a backward rule.
struct Probe {
  std::vector<bool> needed;
  size_t saved_inputs = 99;
  bool saved_output = true;
  int calls = 0;
};
Probe g_probe;
void probe_backward(const GradContext& c, std::span<Tensor> g) {
  g_probe.needed.assign(c.needed.begin(), c.needed.end());
  g_probe.saved_inputs = c.inputs.size();
  g_probe.saved_output = c.output.defined();
  ++g_probe.calls;
  pass_backward(c, g);
}
const OpDef kProbe{.name = "test_probe", .arity = 3, .forward = copy_forward,
                   .backward = probe_backward, .differentiable_inputs = 0b011};

TEST(TapeOpContract, GradientOfWrongShapeOrDtypeIsAnInternalError) {
  const Tensor x = f32(Shape{2}, {1, 2});
  for (const OpDef* def : {&kWrongShape, &kWrongDtype}) {
    Tape tape(false, true);
    tape.begin();
    tape.watch(x);
    const Tensor y = apply(*def, {x});
    tape.end();
    try {
      grad(tape, {D(y)}, {D(x)});
      ADD_FAILURE() << def->name << ": a gradient of the wrong shape or dtype was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Status::internal);
      EXPECT_NE(std::string(e.what()).find(def->name), std::string::npos) << e.what();
    }
  }
}

TEST(TapeOpContract, NotDifferentiableOpGivesNoGradient) {  // TF's NotDifferentiable
  const Tensor x = f32(2.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor stopped = apply(kNotDifferentiable, {x});
  const Tensor y = ops::mul(stopped, x);  // only the direct path carries a gradient
  tape.end();
  const auto g = grad(tape, {D(stopped), D(y)}, {D(x)});
  ASSERT_TRUE(g[0].defined());
  EXPECT_EQ(g[0].item(), 2.0);  // d(stopped · x)/dx with stopped held constant
  Tape t2(false, true);
  t2.begin();
  t2.watch(x);
  const Tensor s2 = apply(kNotDifferentiable, {x});
  t2.end();
  EXPECT_FALSE(grad(t2, {D(s2)}, {D(x)})[0].defined());
}

TEST(TapeOpContract, UnregisteredOpOnThePathIsANoGradientError) {  // TF's LookupError
  const Tensor x = f32(2.0);
  {
    Tape tape(false, true);
    tape.begin();
    tape.watch(x);
    const Tensor y = apply(kUnregistered, {x});
    tape.end();
    try {
      grad(tape, {D(y)}, {D(x)});
      FAIL() << "no error for an op without a gradient rule";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Status::no_gradient);
      EXPECT_STREQ(e.what(), "gradient registry has no entry for: test_unregistered");
    }
  }
  {  // off the path to the target it is harmless
    Tape tape(false, true);
    tape.begin();
    tape.watch(x);
    (void)apply(kUnregistered, {x});
    const Tensor y = ops::mul(x, x);
    tape.end();
    EXPECT_EQ(grad(tape, {D(y)}, {D(x)})[0].item(), 4.0);
  }
}

TEST(TapeOpContract, BackwardSeesOnlyWhatItNeeds) {
  const Tensor a = f32(1.0), b = f32(2.0), c = f32(3.0);
  {
    Tape tape(false, true);
    tape.begin();
    tape.watch(a);
    tape.watch(c);  // c is watched, but input 2 is not differentiable
    const Tensor y = apply(kProbe, {a, b, c});
    tape.end();
    g_probe = Probe{};
    const auto g = grad(tape, {D(y)}, {D(a), D(c)});
    EXPECT_EQ(g_probe.calls, 1);
    EXPECT_EQ(g_probe.needed, (std::vector<bool>{true, false, false}));
    EXPECT_EQ(g_probe.saved_inputs, 0u) << "inputs saved for an op that does not ask for them";
    EXPECT_FALSE(g_probe.saved_output) << "output saved for an op that does not ask for it";
    EXPECT_EQ(g[0].item(), 1.0);
    EXPECT_FALSE(g[1].defined()) << "a non-differentiable input got a gradient";
  }
  {
    // An unwatched tensor that is a *source* and an input of a recorded op is needed: TF's
    // ComputeGradient skips only inputs that are neither on the tape nor sources.
    Tape tape(false, true);
    tape.begin();
    tape.watch(a);
    const Tensor y = apply(kProbe, {a, b, c});
    tape.end();
    g_probe = Probe{};
    const auto g = grad(tape, {D(y)}, {D(a), D(b), D(c)});
    EXPECT_EQ(g_probe.needed, (std::vector<bool>{true, true, false}));
    EXPECT_EQ(g[1].item(), 1.0);
    EXPECT_FALSE(g[2].defined());
  }
}

// ---- deep chains and memory -----------------------------------------------------------

constexpr int kChain = 100000;

TEST(Tape, HundredThousandAddChain) {
  const size_t before = allocator_stats().bytes_in_use;
  {
    const Tensor x = f32(1.0);
    Tape tape(false, true);
    tape.begin();
    tape.watch(x);
    Tensor y = x;
    for (int i = 0; i < kChain; ++i) y = ops::add(y, x);  // y = (kChain + 1) x
    tape.end();
    EXPECT_EQ(tape.num_records(), static_cast<size_t>(kChain));
    const Tensor g = grad(tape, {D(y)}, {D(x)})[0];
    ASSERT_TRUE(g.defined());
    EXPECT_EQ(g.item(), kChain + 1.0);  // exact in float32 (< 2²⁴)
  }
  EXPECT_EQ(allocator_stats().bytes_in_use, before);
}

TEST(Tape, HundredThousandMulChainPersistent) {
  const size_t before = allocator_stats().bytes_in_use;
  {
    const double c = 1.0001;
    const Tensor x = f64(1.0), k = f64(c);
    auto tape = std::make_unique<Tape>(true, true);
    tape->begin();
    tape->watch(x);
    Tensor y = x;
    for (int i = 0; i < kChain; ++i) y = ops::mul(y, k);  // y = c^N x
    tape->end();
    const Tensor g = grad(*tape, {D(y)}, {D(x)})[0];
    ASSERT_TRUE(g.defined());
    EXPECT_NEAR(g.item() / std::pow(c, kChain), 1.0, 1e-9);
    tape.reset();  // frees 100,000 records, each holding its saved inputs
  }
  EXPECT_EQ(allocator_stats().bytes_in_use, before);
}

TEST(Tape, PersistentTapeMemoryIsReturnedWhenFreed) {
  const Tensor x = f64(Shape{64, 64}, std::vector<double>(64 * 64, 0.5));
  const size_t before = allocator_stats().bytes_in_use;
  {
    auto tape = std::make_unique<Tape>(true, true);
    tape->begin();
    tape->watch(x);
    Tensor y = ops::exp(ops::mul(x, x));
    y = ops::reduce_sum(ops::log_softmax(ops::matmul(y, x), -1));
    tape->end();
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(grad(*tape, {D(y)}, {D(x)})[0].defined());
    y = Tensor();
    EXPECT_GT(allocator_stats().bytes_in_use, before) << "the tape should hold saved tensors";
    tape.reset();
  }
  EXPECT_EQ(allocator_stats().bytes_in_use, before);
}

TEST(Tape, NonPersistentTapeReleasesSavedTensorsAfterGradient) {
  const Tensor x = f64(Shape{32, 32}, std::vector<double>(32 * 32, 0.25));
  const size_t before = allocator_stats().bytes_in_use;
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  Tensor y = ops::reduce_sum(ops::exp(ops::mul(x, x)));
  tape.end();
  Tensor g = grad(tape, {D(y)}, {D(x)})[0];
  y = Tensor();
  g = Tensor();
  EXPECT_EQ(allocator_stats().bytes_in_use, before)
      << "a used non-persistent tape still holds tensors";
}

// ---- variables ------------------------------------------------------------------------

std::shared_ptr<Variable> var(double v, bool trainable, DType dtype = DType::f32) {
  return std::make_shared<Variable>("v", Tensor::scalar(v, dtype), trainable);
}

TEST(TapeVariables, TrainableReadIsWatchedAutomatically) {
  const auto v = var(3.0, true);
  Tape tape(false, true);
  tape.begin();
  const Tensor r = v->read();
  const Tensor y = ops::mul(r, r);
  tape.end();
  ASSERT_EQ(tape.watched_variables().size(), 1u);
  EXPECT_EQ(tape.watched_variables()[0], v);
  const Tensor g = grad(tape, {D(y)}, {D(v)})[0];
  ASSERT_TRUE(g.defined());
  EXPECT_EQ(g.item(), 6.0);
}

TEST(TapeVariables, NonTrainableIsNotWatchedUnlessAskedTo) {
  const auto v = var(3.0, false);
  {
    Tape tape(false, true);
    tape.begin();
    const Tensor y = ops::mul(v->read(), v->read());
    tape.end();
    EXPECT_TRUE(tape.watched_variables().empty());
    EXPECT_FALSE(grad(tape, {D(y)}, {D(v)})[0].defined());
  }
  {
    Tape tape(false, true);
    tape.begin();
    tape.watch(v);
    const Tensor y = ops::mul(v->read(), v->read());
    tape.end();
    EXPECT_EQ(tape.watched_variables().size(), 1u);
    EXPECT_EQ(grad(tape, {D(y)}, {D(v)})[0].item(), 6.0);
  }
}

TEST(TapeVariables, WatchAccessedVariablesFalseNeedsExplicitWatch) {
  const auto v = var(3.0, true);
  {
    Tape tape(false, false);
    tape.begin();
    const Tensor y = ops::mul(v->read(), v->read());
    tape.end();
    EXPECT_TRUE(tape.watched_variables().empty());
    EXPECT_FALSE(grad(tape, {D(y)}, {D(v)})[0].defined());
  }
  {
    Tape tape(false, false);
    tape.begin();
    tape.watch(v);
    const Tensor y = ops::mul(v->read(), v->read());
    tape.end();
    EXPECT_EQ(grad(tape, {D(y)}, {D(v)})[0].item(), 6.0);
  }
}

TEST(TapeVariables, ReadBeforeTheTapeIsAConstant) {
  const auto v = var(3.0, true);
  const Tensor early = v->read();
  Tape tape(false, true);
  tape.begin();
  const Tensor y = ops::mul(early, early);
  tape.end();
  EXPECT_FALSE(grad(tape, {D(y)}, {D(v)})[0].defined());
}

TEST(TapeVariables, ReadIsASnapshot) {
  const auto v = var(3.0, true);
  const Tensor r = v->read();
  v->assign(f32(5.0));
  EXPECT_EQ(r.item(), 3.0) << "assign after a read changed the read tensor";
  EXPECT_EQ(v->value().item(), 5.0);
  const Tensor r2 = v->read();
  *static_cast<float*>(v->mutable_buffer()) = 7.0f;  // in-place update (an optimizer step)
  EXPECT_EQ(r2.item(), 5.0) << "an in-place update changed an earlier read";
  EXPECT_EQ(v->value().item(), 7.0);
  EXPECT_EQ(v->read().item(), 7.0);
}

TEST(TapeVariables, AssignOfWrongShapeOrDtypeIsAnError) {
  const auto v = var(3.0, true);
  EXPECT_THROW(v->assign(f64(1.0)), Error);
  EXPECT_THROW(v->assign(f32(Shape{1}, {1.0})), Error);
  EXPECT_EQ(v->value().item(), 3.0);
}

TEST(TapeVariables, WatchedVariablesAreInOrderOfConstruction) {  // BPT testImplicitGradOrdering
  const auto v0 = var(1.0, true);
  const auto v1 = var(2.0, true);
  Tape tape(false, true);
  tape.begin();
  const Tensor y = ops::mul(v1->read(), v0->read());
  tape.end();
  const auto w = tape.watched_variables();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0], v0);
  EXPECT_EQ(w[1], v1);
  const auto g = grad(tape, {D(y)}, {D(v0), D(v1)});
  EXPECT_EQ(g[0].item(), 2.0);
  EXPECT_EQ(g[1].item(), 1.0);
}

TEST(TapeVariables, VariableTargetIsAllowed) {
  const auto v = var(3.0, true);
  Tape tape(false, true);
  tape.begin();
  (void)v->read();
  tape.end();
  EXPECT_EQ(grad(tape, {D(v)}, {D(v)})[0].item(), 1.0);
}

// ---- integer tensors ------------------------------------------------------------------

TEST(TapeIntegers, IntTensorsAreNeverRecorded) {
  const Tensor x = Tensor::scalar(10, DType::i32);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  tape.end();
  EXPECT_EQ(y.item(), 100.0);
  EXPECT_EQ(tape.num_records(), 0u);
  const auto g = grad(tape, {D(y)}, {D(x)});
  EXPECT_FALSE(g[0].defined());
  // With Unconnected::zero, TF's TFE_Py_TapeGradient makes zeros of the source's shape and
  // dtype for every unconnected source, integer ones included.
  Tape t2(false, true);
  t2.begin();
  t2.watch(x);
  const Tensor y2 = ops::add(x, x);
  t2.end();
  const Tensor z = grad(t2, {D(y2)}, {D(x)}, {}, Unconnected::zero)[0];
  ASSERT_TRUE(z.defined());
  EXPECT_EQ(z.dtype(), DType::i32);
  EXPECT_EQ(z.shape(), Shape{});
  EXPECT_EQ(z.item(), 0.0);
}

TEST(TapeIntegers, TrainableIntVariableGivesNoGradient) {
  const auto v = var(4.0, true, DType::i64);
  Tape tape(false, true);
  tape.begin();
  const Tensor y = ops::mul(v->read(), v->read());
  tape.end();
  EXPECT_EQ(y.item(), 16.0);
  EXPECT_FALSE(grad(tape, {D(y)}, {D(v)})[0].defined());
}

TEST(TapeIntegers, CastFromIntCutsTheChain) {
  const Tensor x = Tensor::scalar(3, DType::i32);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(ops::cast(x, DType::f32), f32(2.0));
  tape.end();
  EXPECT_EQ(y.item(), 6.0);
  EXPECT_FALSE(grad(tape, {D(y)}, {D(x)})[0].defined());
}

// ---- stop_recording / resume_recording / reset (docs/gradient-tape.md) -----------------

// Expects `f` to throw an Error with `code` and exactly `message`.
template <class F>
void expect_error(F&& f, Status code, const std::string& message) {
  try {
    f();
    ADD_FAILURE() << "no error; expected: " << message;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_EQ(std::string(e.what()), message);
  }
}

TEST(TapeStopRecording, OpsInBetweenAreInvisible) {  // BPT testTapeStopStartRecording
  const Tensor x = f32(1.0);
  Tape tape(true, true);
  tape.begin();
  tape.watch(x);
  const Tensor x2 = ops::mul(x, f32(2.0));  // recorded
  tape.stop_recording();
  EXPECT_FALSE(tape.recording());
  EXPECT_TRUE(active_tapes().empty());
  const Tensor y = ops::mul(x2, x2);  // not recorded
  tape.resume_recording();
  const Tensor z = ops::mul(x2, x2);  // recorded
  tape.end();
  EXPECT_EQ(tape.num_records(), 2u);
  EXPECT_FALSE(grad(tape, {D(y)}, {D(x2)})[0].defined());
  EXPECT_EQ(grad(tape, {D(z)}, {D(x2)})[0].item(), 4.0);
  EXPECT_EQ(grad(tape, {D(z)}, {D(x)})[0].item(), 8.0);
}

TEST(TapeStopRecording, OtherTapesKeepRecording) {
  const Tensor x = f32(3.0);
  Tape outer(false, true), inner(false, true);
  outer.begin();
  inner.begin();
  outer.watch(x);
  inner.watch(x);
  inner.stop_recording();
  const Tensor y = ops::mul(x, x);
  inner.resume_recording();
  inner.end();
  outer.end();
  EXPECT_FALSE(grad(inner, {D(y)}, {D(x)})[0].defined());
  EXPECT_EQ(grad(outer, {D(y)}, {D(x)})[0].item(), 6.0);
}

TEST(TapeStopRecording, StateErrorsCarryTensorFlowsMessages) {
  Tape tape(false, true);
  tape.begin();
  tape.end();
  expect_error([&] { tape.stop_recording(); }, Status::invalid_state, "Tape is not recording.");
  expect_error([&] { tape.resume_recording(); }, Status::invalid_state,
               "resume_recording: the tape's recording was not stopped (stop_recording must come "
               "first)");
  tape.begin();
  tape.stop_recording();
  // Entering it again inside the stop_recording block is allowed (TF pushes it again); the
  // block's end then finds it recording, as TF's `finally: _push_tape()` does.
  tape.begin();
  expect_error([&] { tape.resume_recording(); }, Status::invalid_state,
               "Tape is still recording, This can happen if you try to re-enter an already-active "
               "tape.");
  EXPECT_TRUE(tape.recording());
  expect_error([&] { tape.resume_recording(); }, Status::invalid_state,
               "resume_recording: the tape's recording was not stopped (stop_recording must come "
               "first)");
  // A used non-persistent tape.
  const Tensor x = f32(2.0);
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  EXPECT_EQ(grad(tape, {D(y)}, {D(x)})[0].item(), 4.0);
  expect_error([&] { tape.stop_recording(); }, Status::invalid_state,
               "Trying to stop recording a tape which is not recording.");
  EXPECT_TRUE(active_tapes().empty());
}

TEST(TapeStopRecording, NonPersistentGradientInsideTheBlockThenResumeStartsAfresh) {
  // TF: gradient() sets _tape = None; stop_recording's `finally` pushes a new tape.
  const Tensor x = f32(3.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  tape.stop_recording();
  EXPECT_EQ(grad(tape, {D(y)}, {D(x)})[0].item(), 6.0);
  tape.resume_recording();
  EXPECT_TRUE(tape.recording());
  EXPECT_EQ(tape.num_records(), 0u);
  tape.watch(x);
  const Tensor z = ops::mul(x, f32(5.0));
  tape.end();
  EXPECT_EQ(grad(tape, {D(z)}, {D(x)})[0].item(), 5.0);
}

// BPT testTapeReset and testAutomaticWatchedVariables.
TEST(TapeReset, DropsTheRecordAndWatchedVariables) {
  const auto v = std::make_shared<Variable>("v", f32(1.0), true);
  Tape tape(false, true);
  tape.begin();
  EXPECT_TRUE(tape.watched_variables().empty());
  Tensor loss = ops::mul(v->read(), v->read());
  EXPECT_EQ(tape.watched_variables().size(), 1u);
  tape.reset();
  EXPECT_TRUE(tape.recording());
  EXPECT_EQ(tape.num_records(), 0u);
  EXPECT_TRUE(tape.watched_variables().empty());
  loss = ops::add(loss, ops::mul(v->read(), v->read()));
  ASSERT_EQ(tape.watched_variables().size(), 1u);
  EXPECT_EQ(tape.watched_variables()[0], v);
  tape.end();
  EXPECT_EQ(grad(tape, {D(loss)}, {D(v)})[0].item(), 2.0);
}

TEST(TapeReset, WatchedTensorsAreForgotten) {
  const Tensor x = f32(2.0);
  Tape tape(true, true);
  tape.begin();
  tape.watch(x);
  tape.reset();
  const Tensor y = ops::mul(x, x);
  tape.end();
  EXPECT_EQ(tape.num_records(), 0u);
  EXPECT_FALSE(grad(tape, {D(y)}, {D(x)})[0].defined());
}

TEST(TapeReset, NeedsARecordingTape) {
  Tape tape(false, true);
  tape.begin();
  tape.end();
  expect_error([&] { tape.reset(); }, Status::invalid_state, "Tape is not recording.");
  tape.begin();
  tape.stop_recording();
  expect_error([&] { tape.reset(); }, Status::invalid_state, "Tape is not recording.");
  tape.resume_recording();
  tape.reset();
  tape.end();
}

// ---- gradient(): arguments ------------------------------------------------------------

TEST(TapeGradient, OutputGradientMismatchNamesBothAndChangesNothing) {
  const Tensor x = f32(2.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, f32(Shape{2}, {3, 4}));
  expect_error(
      [&] {
        grad(tape, {D(y)}, {D(x)}, {f32(Shape{3}, {1, 1, 1})});
      },
      Status::invalid_argument,
      "gradient: output_gradients[0] is float32 (3), but targets[0] is float32 (2)");
  expect_error(
      [&] {
        grad(tape, {D(y)}, {D(x)}, {f64(Shape{2}, {1, 1})});
      },
      Status::invalid_argument,
      "gradient: output_gradients[0] is float64 (2), but targets[0] is float32 (2)");
  expect_error(
      [&] {
        grad(tape, {D(y)}, {D(x)}, {Tensor(), Tensor()});
      },
      Status::invalid_argument, "gradient: 2 output gradients for 1 targets");
  EXPECT_TRUE(tape.recording()) << "a rejected call must not stop the recording";
  EXPECT_EQ(grad(tape, {D(y)}, {D(x)})[0].item(), 7.0);
}

TEST(TapeGradient, OutputGradientOfAnUnrecordedTargetIsIgnored) {
  const Tensor x = f32(2.0), c = f32(5.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  tape.end();
  EXPECT_EQ(grad(tape, {D(y), D(c)}, {D(x)}, {Tensor(), f32(100.0)})[0].item(), 4.0);
}

// BPT testGadientTapeCalledOnConstantTarget.
TEST(TapeGradient, VariableTargetThatIsNotASourceGivesNone) {
  const auto x = std::make_shared<Variable>("x", f32(1.0), true);
  const auto y = std::make_shared<Variable>("y", f32(2.0), true);
  Tape tape(false, true);
  tape.begin();
  (void)x->read();
  (void)y->read();
  tape.end();
  EXPECT_FALSE(grad(tape, {D(x)}, {D(y)})[0].defined());
}

TEST(TapeGradient, VariableAmongSourcesAsTheTarget) {  // BPT testPythonMax: [None, None, 1]
  const auto v2 = std::make_shared<Variable>("v2", f32(2.0), true);
  const auto v3 = std::make_shared<Variable>("v3", f32(3.0), true);
  const auto v5 = std::make_shared<Variable>("v5", f32(5.0), true);
  Tape tape(false, true);
  tape.begin();
  tape.end();
  const auto g = grad(tape, {D(v5)}, {D(v2), D(v3), D(v5)});
  EXPECT_FALSE(g[0].defined());
  EXPECT_FALSE(g[1].defined());
  ASSERT_TRUE(g[2].defined());
  EXPECT_EQ(g[2].item(), 1.0);
}

TEST(TapeGradient, RejectedSeedLeavesTheTapeUsable) {
  const Tensor x = f32(2.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  tape.end();
  // An integer seed for a float target is rejected before anything happens...
  expect_error([&] { grad(tape, {D(y)}, {D(x)}, {Tensor::scalar(1, DType::i32)}); },
               Status::invalid_argument,
               "gradient: output_gradients[0] is int32 (), but targets[0] is float32 ()");
  EXPECT_EQ(grad(tape, {D(y)}, {D(x)})[0].item(), 4.0);  // ...so the tape is still usable
}

TEST(TapeGradient, PersistentTapeRecordsALongGradientComputationOnItself) {
  // The backward pass appends ~2,000 records (crossing many storage chunks) to the tape it
  // walks; the records it holds must not move. y = x^1000 scaled: dy/dx, then d²y/dx².
  const Tensor x = f64(1.0005);
  Tape tape(true, true);
  tape.begin();
  tape.watch(x);
  Tensor y = x;
  for (int i = 1; i < 1000; ++i) y = ops::mul(y, x);
  const Tensor dy = grad(tape, {D(y)}, {D(x)})[0];
  EXPECT_GT(tape.num_records(), 2000u);
  const Tensor d2y = grad(tape, {D(dy)}, {D(x)})[0];
  tape.end();
  ASSERT_TRUE(dy.defined() && d2y.defined());
  EXPECT_NEAR(dy.item() / (1000 * std::pow(1.0005, 999)), 1.0, 1e-12);
  EXPECT_NEAR(d2y.item() / (1000 * 999 * std::pow(1.0005, 998)), 1.0, 1e-12);
}

TEST(TapeVariables, WatchedVariablesAreCachedAfterNonPersistentGradient) {
  // BPT testWatchedVariablesAfterNonPersistentGradientCall
  const auto v = std::make_shared<Variable>("v", f32(3.0), true);
  Tape tape(false, true);
  tape.begin();
  const Tensor y = ops::mul(v->read(), v->read());
  tape.end();
  EXPECT_EQ(grad(tape, {D(y)}, {D(v)})[0].item(), 6.0);
  ASSERT_EQ(tape.watched_variables().size(), 1u);
  EXPECT_EQ(tape.watched_variables()[0], v);
  tape.begin();  // a fresh record: the cache goes with the old one
  EXPECT_TRUE(tape.watched_variables().empty());
  tape.end();
}

TEST(TapeVariables, ExplicitlyWatchedVariablesAreListedOnce) {
  const auto a = std::make_shared<Variable>("a", f32(1.0), false);
  const auto b = std::make_shared<Variable>("b", f32(2.0), true);
  Tape tape(false, true);
  tape.begin();
  tape.watch(b);
  tape.watch(a);
  tape.watch(b);
  (void)b->read();
  (void)a->read();  // not trainable: not watched by reading, but watched explicitly above
  tape.end();
  const auto w = tape.watched_variables();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0], a);
  EXPECT_EQ(w[1], b);
}

// ---- jacobian / batch_jacobian (docs/gradient-tape.md) --------------------------------

TEST(TapeJacobian, OfAVectorSquare) {  // APIDOC: x = [1, 2], y = x·x -> [[2, 0], [0, 4]]
  const Tensor x = f32(Shape{2}, {1, 2});
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  tape.end();
  const std::vector<Differentiable> sources{D(x)};
  const auto j = tape.jacobian(D(y), sources);
  ASSERT_EQ(j.size(), 1u);
  ASSERT_TRUE(j[0].defined());
  EXPECT_EQ(j[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(j[0].dtype(), DType::f32);
  EXPECT_EQ(values(j[0]), (std::vector<double>{2, 0, 0, 4}));
  expect_error([&] { tape.jacobian(D(y), sources); }, Status::invalid_state, kUsedTapeMessage);
  expect_error([&] { grad(tape, {D(y)}, {D(x)}); }, Status::invalid_state, kUsedTapeMessage);
}

TEST(TapeJacobian, ShapesUnconnectedSourcesAndMatrixTargets) {
  // y (2,2) = a (2,3) · b (3,2): dy[i,k]/da[i',j] = δ(i,i') b[j,k].
  const Tensor a = f64(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = f64(Shape{3, 2}, {1, -1, 2, 0.5, -3, 4});
  const Tensor unused = f32(Shape{4}, {1, 2, 3, 4});
  Tape tape(true, true);
  tape.begin();
  tape.watch(a);
  const Tensor y = ops::matmul(a, b);
  tape.end();
  const std::vector<Differentiable> sources{D(a), D(b), D(unused)};
  const auto j = tape.jacobian(D(y), sources);
  ASSERT_TRUE(j[0].defined());
  EXPECT_EQ(j[0].shape(), (Shape{2, 2, 2, 3}));
  std::vector<double> want(24, 0.0);
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 2; ++k)
      for (int jj = 0; jj < 3; ++jj)
        want[static_cast<size_t>(((i * 2 + k) * 2 + i) * 3 + jj)] =
            values(b)[static_cast<size_t>(jj * 2 + k)];
  EXPECT_EQ(values(j[0]), want);
  // b is not watched, but a source that is an input of a recorded op gets its gradient
  // (TF's ComputeGradient): dy[i,k]/db[j,k'] = δ(k,k') a[i,j].
  ASSERT_TRUE(j[1].defined());
  EXPECT_EQ(j[1].shape(), (Shape{2, 2, 3, 2}));
  std::vector<double> want_b(24, 0.0);
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 2; ++k)
      for (int jj = 0; jj < 3; ++jj)
        want_b[static_cast<size_t>(((i * 2 + k) * 3 + jj) * 2 + k)] =
            values(a)[static_cast<size_t>(i * 3 + jj)];
  EXPECT_EQ(values(j[1]), want_b);
  EXPECT_FALSE(j[2].defined());
  const auto z = tape.jacobian(D(y), sources, Unconnected::zero);
  ASSERT_TRUE(z[2].defined());
  EXPECT_EQ(values(z[1]), want_b);
  EXPECT_EQ(z[2].shape(), (Shape{2, 2, 4}));
  EXPECT_EQ(z[2].dtype(), DType::f32);
  EXPECT_EQ(values(z[2]), std::vector<double>(16, 0.0));
}

TEST(TapeJacobian, OfAScalarTargetIsTheGradient) {
  const Tensor x = f64(Shape{3}, {1, 2, 3});
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::reduce_sum(ops::mul(x, x));
  tape.end();
  const std::vector<Differentiable> sources{D(x)};
  const auto j = tape.jacobian(D(y), sources);
  EXPECT_EQ(j[0].shape(), (Shape{3}));
  EXPECT_EQ(values(j[0]), (std::vector<double>{2, 4, 6}));
}

TEST(TapeJacobian, OfASourceIsTheIdentity) {
  const Tensor x = f32(Shape{2}, {5, 7});
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  tape.end();
  const std::vector<Differentiable> sources{D(x)};
  EXPECT_EQ(values(tape.jacobian(D(x), sources)[0]), (std::vector<double>{1, 0, 0, 1}));
}

TEST(TapeJacobian, RankAboveTheMaximumIsRejectedBeforeUse) {
  const Tensor x = f32(Shape{1, 1, 1, 1, 1}, {1});
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  const std::vector<Differentiable> sources{D(x)};
  expect_error(
      [&] { tape.jacobian(D(y), sources); }, Status::invalid_argument,
      "jacobian: target (1,1,1,1,1) and sources[0] (1,1,1,1,1) give a jacobian of rank 10, "
      "above the maximum rank 8");
  EXPECT_TRUE(tape.recording());
  tape.end();
  EXPECT_EQ(values(grad(tape, {D(y)}, {D(x)})[0]), (std::vector<double>{2}));
}

TEST(TapeJacobian, EmptyTarget) {
  const Tensor x = f32(Shape{2}, {1, 2});
  Tape tape(true, true);
  tape.begin();
  tape.watch(x);
  const Tensor y =
      ops::mul(ops::reshape(x, Shape{2, 1}), Tensor::zeros(Shape{0}, DType::f32));  // (2,0)
  tape.end();
  const std::vector<Differentiable> sources{D(x)};
  const auto j = tape.jacobian(D(y), sources);
  ASSERT_TRUE(j[0].defined());
  EXPECT_EQ(j[0].shape(), (Shape{2, 0, 2}));
}

// f(x) = Σ_i Σ_j x_i² x_j = (Σ x²)(Σ x). ∂f/∂x_k = 2 x_k Σx + Σx²,
// ∂²f/∂x_k∂x_l = 2 δ_kl Σx + 2 x_k + 2 x_l, ∂³f/∂x_k∂x_l∂x_m = 2 (δ_kl + δ_km + δ_lm).
Tensor sum_sq_times_sum(const Tensor& x) {
  return ops::mul(ops::reduce_sum(ops::mul(x, x)), ops::reduce_sum(x));
}

TEST(TapeJacobian, HessianAndThirdDerivativeThroughNestedJacobians) {
  const Tensor x = f64(Shape{3}, {1, 2, 3});
  const std::vector<Differentiable> sources{D(x)};
  Tape t1(false, true), t2(false, true), t3(false, true);
  t1.begin();
  t1.watch(x);
  t2.begin();
  t2.watch(x);
  t3.begin();
  t3.watch(x);
  const Tensor f = sum_sq_times_sum(x);
  t3.end();
  const Tensor g = t3.jacobian(D(f), sources)[0];  // (3)
  t2.end();
  const Tensor h = t2.jacobian(D(g), sources)[0];  // (3,3)
  t1.end();
  const Tensor t = t1.jacobian(D(h), sources)[0];  // (3,3,3)
  ASSERT_TRUE(g.defined() && h.defined() && t.defined());
  EXPECT_EQ(values(g), (std::vector<double>{26, 38, 50}));
  EXPECT_EQ(h.shape(), (Shape{3, 3}));
  EXPECT_EQ(values(h), (std::vector<double>{16, 6, 8, 6, 20, 10, 8, 10, 24}));
  EXPECT_EQ(t.shape(), (Shape{3, 3, 3}));
  std::vector<double> want;
  for (int k = 0; k < 3; ++k)
    for (int l = 0; l < 3; ++l)
      for (int m = 0; m < 3; ++m) want.push_back(2.0 * ((k == l) + (k == m) + (l == m)));
  EXPECT_EQ(values(t), want);
}

TEST(TapeJacobian, HessianAsTheJacobianOfAGradient) {  // ADV's Hessian recipe
  const Tensor x = f64(Shape{3}, {1, 2, 3});
  const std::vector<Differentiable> sources{D(x)};
  Tape outer(false, true);
  outer.begin();
  outer.watch(x);
  Tensor g;
  {
    Tape inner(false, true);
    inner.begin();
    inner.watch(x);
    const Tensor f = sum_sq_times_sum(x);
    inner.end();
    g = grad(inner, {D(f)}, {D(x)})[0];
  }
  outer.end();
  EXPECT_EQ(values(outer.jacobian(D(g), sources)[0]),
            (std::vector<double>{16, 6, 8, 6, 20, 10, 8, 10, 24}));
}

TEST(TapeJacobian, PersistentTapeTakesTheJacobianOfItsOwnJacobian) {
  const Tensor x = f64(Shape{3}, {1, 2, 3});
  const std::vector<Differentiable> sources{D(x)};
  Tape tape(true, true);
  tape.begin();
  tape.watch(x);
  const Tensor f = sum_sq_times_sum(x);
  const Tensor g = tape.jacobian(D(f), sources)[0];  // recorded on the tape itself
  tape.end();
  EXPECT_EQ(values(tape.jacobian(D(g), sources)[0]),
            (std::vector<double>{16, 6, 8, 6, 20, 10, 8, 10, 24}));
  EXPECT_EQ(values(tape.jacobian(D(f), sources)[0]), (std::vector<double>{26, 38, 50}));
}

TEST(TapeBatchJacobian, OfAnElementwiseSquare) {  // APIDOC values
  const Tensor x = f32(Shape{2, 2}, {1, 2, 3, 4});
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(x, x);
  tape.end();
  const Tensor j = tape.batch_jacobian(D(y), D(x));
  EXPECT_EQ(j.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(j.dtype(), DType::f32);
  EXPECT_EQ(values(j), (std::vector<double>{2, 0, 0, 4, 6, 0, 0, 8}));
  expect_error([&] { tape.batch_jacobian(D(y), D(x)); }, Status::invalid_state, kUsedTapeMessage);
}

TEST(TapeBatchJacobian, OfAMatrixProductIsTheTransposedWeightPerExample) {
  // y (2,3) = x (2,2) · w (2,3): dy[b,k]/dx[b,j] = w[j,k]; target (2,3) -> out (2,3,2).
  const Tensor x = f64(Shape{2, 2}, {1, 2, 3, 4});
  const Tensor w = f64(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::matmul(x, w);
  tape.end();
  const Tensor j = tape.batch_jacobian(D(y), D(x));
  EXPECT_EQ(j.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(values(j), (std::vector<double>{1, 4, 2, 5, 3, 6, 1, 4, 2, 5, 3, 6}));
}

TEST(TapeBatchJacobian, ShapeChecksUseTensorFlowsMessages) {
  const Tensor v = f32(Shape{2}, {1, 2});
  const Tensor m = f32(Shape{2, 2}, {1, 2, 3, 4});
  const Tensor n = f32(Shape{3, 2}, {1, 2, 3, 4, 5, 6});
  Tape tape(false, true);
  tape.begin();
  tape.watch(m);
  expect_error([&] { tape.batch_jacobian(D(v), D(m)); }, Status::invalid_argument,
               "batch_jacobian: target shape (2) must have rank at least 2");
  expect_error([&] { tape.batch_jacobian(D(m), D(v)); }, Status::invalid_argument,
               "batch_jacobian: source shape (2) must have rank at least 2");
  expect_error([&] { tape.batch_jacobian(D(m), D(n)); }, Status::invalid_argument,
               "Need first dimension of target shape (2,2) and source shape (3,2) to match.");
  EXPECT_TRUE(tape.recording());
  tape.end();
}

TEST(TapeBatchJacobian, UnconnectedGivesZerosEvenWithNone) {
  // TF: zeros in the target's dtype with NONE; with ZERO, the source's.
  const Tensor x = f32(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor y = f64(Shape{2, 2}, {1, 2, 3, 4});
  Tape tape(true, true);
  tape.begin();
  tape.watch(x);
  tape.watch(y);
  tape.end();
  const Tensor none = tape.batch_jacobian(D(y), D(x));
  EXPECT_EQ(none.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(none.dtype(), DType::f64);
  EXPECT_EQ(values(none), std::vector<double>(12, 0.0));
  const Tensor zero = tape.batch_jacobian(D(y), D(x), Unconnected::zero);
  EXPECT_EQ(zero.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(zero.dtype(), DType::f32);
}

TEST(TapeBatchJacobian, IsDifferentiableOnAnOuterTape) {
  // y = x³ per element, x (2,2): batch_jacobian = diag(3x²) per row; its batch_jacobian on
  // the outer tape is 6x on the triple diagonal.
  const Tensor x = f64(Shape{2, 2}, {1, 2, 3, 4});
  Tape outer(false, true), inner(false, true);
  outer.begin();
  outer.watch(x);
  inner.begin();
  inner.watch(x);
  const Tensor y = ops::mul(ops::mul(x, x), x);
  inner.end();
  const Tensor j = inner.batch_jacobian(D(y), D(x));  // (2,2,2)
  outer.end();
  EXPECT_EQ(values(j), (std::vector<double>{3, 0, 0, 12, 27, 0, 0, 48}));
  const Tensor h = outer.batch_jacobian(D(j), D(x));  // (2,2,2,2)
  EXPECT_EQ(h.shape(), (Shape{2, 2, 2, 2}));
  EXPECT_EQ(values(h), (std::vector<double>{6, 0, 0, 0, 0, 0, 0, 12, 18, 0, 0, 0, 0, 0, 0, 24}));
}

// An op whose forward hands back its input: the tape could not tell the two apart.
Tensor identity_forward(std::span<const Tensor> in, const Attrs&) { return in[0]; }
const OpDef kReturnsItsInput{.name = "test_returns_its_input",
                             .arity = 1,
                             .forward = identity_forward,
                             .backward = pass_backward};

TEST(TapeOpContract, OpReturningItsInputIsAnInternalErrorWhenRecorded) {
  const Tensor x = f32(2.0);
  EXPECT_EQ(apply(kReturnsItsInput, {x}).id(), x.id()) << "harmless when nothing records";
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  expect_error([&] { (void)apply(kReturnsItsInput, {x}); }, Status::internal,
               "test_returns_its_input: the op returned its input 0 itself; it must return a new "
               "tensor");
  tape.end();
}

TEST(TapeOpContract, NoGradientErrorUsesUpANonPersistentTape) {
  const Tensor x = f32(2.0);
  Tape tape(false, true);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::mul(apply(kUnregistered, {ops::mul(x, x)}), x);
  tape.end();
  expect_error([&] { grad(tape, {D(y)}, {D(x)}); }, Status::no_gradient,
               "gradient registry has no entry for: test_unregistered");
  expect_error([&] { grad(tape, {D(y)}, {D(x)}); }, Status::invalid_state, kUsedTapeMessage);
}

// ---- the tape's storage helpers --------------------------------------------------------

TEST(TapeStorage, IdMapAgreesWithAReferenceMap) {
  tape_detail::IdMap map;
  std::unordered_map<uint64_t, int64_t> reference;
  uint64_t state = 12345;
  for (int i = 0; i < 20000; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const uint64_t id = (state >> 40) % 5000 + 1;  // many repeats, never 0
    const bool fresh = !reference.count(id);
    EXPECT_EQ(map.insert(id, i), fresh) << "id " << id;
    reference.try_emplace(id, i);
  }
  EXPECT_EQ(map.size(), reference.size());
  for (uint64_t id = 1; id <= 5001; ++id) {
    const auto it = reference.find(id);
    EXPECT_EQ(map.find(id), it == reference.end() ? tape_detail::IdMap::kAbsent : it->second);
  }
  map.clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_FALSE(map.contains(1));
  EXPECT_TRUE(map.insert(1, -1));
  EXPECT_EQ(map.find(1), -1);
}

struct Counted {
  static inline int alive = 0;
  int value = 7;
  Counted() { ++alive; }
  ~Counted() { --alive; }
};

TEST(TapeStorage, StableVectorNeverMovesAndDestroysWhatItHolds) {
  std::vector<Counted*> addresses;
  {
    tape_detail::StableVector<Counted> v;
    for (int i = 0; i < 5000; ++i) {
      Counted& c = v.emplace_back();
      EXPECT_EQ(c.value, 7);
      c.value = i;
      addresses.push_back(&c);
    }
    EXPECT_EQ(Counted::alive, 5000);
    for (int i = 0; i < 5000; ++i) {
      ASSERT_EQ(&v[static_cast<size_t>(i)], addresses[static_cast<size_t>(i)]);
      ASSERT_EQ(v[static_cast<size_t>(i)].value, i);
    }
    v.clear();
    EXPECT_EQ(Counted::alive, 0);
    EXPECT_EQ(v.size(), 0u);
    v.emplace_back();
    EXPECT_EQ(Counted::alive, 1);
  }
  EXPECT_EQ(Counted::alive, 0) << "the destructor frees what clear() would";
}

TEST(TapeStorage, ArenaRunsAreDisjoint) {
  tape_detail::Arena<int64_t> arena;
  std::vector<std::pair<int64_t*, size_t>> runs;
  for (size_t n : {1u, 3u, 0u, 31u, 2u, 5000u, 64u, 4096u, 7u}) {
    int64_t* p = arena.alloc(n);
    if (n == 0) {
      EXPECT_EQ(p, nullptr);
      continue;
    }
    std::uninitialized_fill_n(p, n, static_cast<int64_t>(runs.size()));  // the caller constructs
    runs.emplace_back(p, n);
  }
  for (size_t r = 0; r < runs.size(); ++r)
    for (size_t i = 0; i < runs[r].second; ++i)
      ASSERT_EQ(runs[r].first[i], static_cast<int64_t>(r));
}

TEST(TapeStorage, ArenaDestroysWhatItHandedOut) {
  const auto counted = std::make_shared<int>(0);
  {
    tape_detail::Arena<std::shared_ptr<int>> arena;
    for (size_t n : {5u, 40u, 3u}) std::uninitialized_fill_n(arena.alloc(n), n, counted);
    EXPECT_EQ(counted.use_count(), 49);
    arena.clear();
    EXPECT_EQ(counted.use_count(), 1);
    std::uninitialized_fill_n(arena.alloc(2), 2, counted);  // usable again after clear
    EXPECT_EQ(counted.use_count(), 3);
  }
  EXPECT_EQ(counted.use_count(), 1) << "the destructor destroys the elements";
}

}  // namespace
}  // namespace tg
