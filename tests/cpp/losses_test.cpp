// SPDX-License-Identifier: Apache-2.0
// Keras loss objects (src/nn/losses.h) against the numbers Keras 2.15 prints in its docstrings
// (docs/tensorflow.md, tf_keras/losses.py) and against values worked out independently with
// numpy from the Keras formulas (each quoted with the expression that produced it). Gradients
// through every loss are checked against central differences in float64, first and second
// order, away from the kinks (clip bounds, |x| = delta, x = 0 of |x|).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "autodiff/ops.h"
#include "autodiff/tape.h"
#include "nn/losses.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::all_close;
using testing::D;
using testing::f32;
using testing::f64;
using testing::make;
using testing::values;

LossConfig config(LossKind kind, Reduction reduction = Reduction::auto_) {
  LossConfig c;
  c.kind = kind;
  c.reduction = reduction;
  return c;
}

Loss cce(bool from_logits = false, double ls = 0.0, Reduction r = Reduction::auto_) {
  LossConfig c = config(LossKind::categorical_crossentropy, r);
  c.from_logits = from_logits;
  c.label_smoothing = ls;
  return Loss(c);
}
Loss scce(bool from_logits = false, Reduction r = Reduction::auto_, std::optional<int64_t> ignore = std::nullopt) {
  LossConfig c = config(LossKind::sparse_categorical_crossentropy, r);
  c.from_logits = from_logits;
  c.ignore_class = ignore;
  return Loss(c);
}
Loss bce(bool from_logits = false, double ls = 0.0, Reduction r = Reduction::auto_) {
  LossConfig c = config(LossKind::binary_crossentropy, r);
  c.from_logits = from_logits;
  c.label_smoothing = ls;
  return Loss(c);
}
Loss huber_loss(double delta = 1.0, Reduction r = Reduction::auto_) {
  LossConfig c = config(LossKind::huber, r);
  c.delta = delta;
  return Loss(c);
}

// Runs `f` and expects a tg::Error with `code` whose message contains every substring.
void expect_error(const std::function<void()>& f, Status code, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const std::string& s : parts) EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << e.what() << " lacks " << s;
  }
}

// ---- Keras docstring values (float32, as Keras computes them) --------------------------

// y_true = [[0,1,0],[0,0,1]], y_pred = [[0.05,0.95,0],[0.1,0.8,0.1]].
Tensor cce_true() { return f32(Shape{2, 3}, {0, 1, 0, 0, 0, 1}); }
Tensor cce_pred() { return f32(Shape{2, 3}, {0.05, 0.95, 0, 0.1, 0.8, 0.1}); }
// numpy in float32: p = clip(y_pred / Σ, 1e-7, 1 − 1e-7); −Σ y·log p
constexpr double kCceNone[2] = {0.051293306052684784, 2.3025851249694824};

TEST(CategoricalCrossentropy, KerasDocstringValues) {
  const Tensor mean = cce()(cce_true(), cce_pred());
  EXPECT_EQ(mean.dtype(), DType::f32);
  EXPECT_EQ(mean.rank(), 0);
  EXPECT_NEAR(mean.item(), 1.177, 5e-4);
  EXPECT_NEAR(mean.item(), 1.1769392490386963, 1e-6);
  const Tensor weighted = cce()(cce_true(), cce_pred(), f32(Shape{2}, {0.3, 0.7}));
  EXPECT_NEAR(weighted.item(), 0.814, 5e-4);
  EXPECT_NEAR(weighted.item(), 0.8135988116264343, 1e-6);
  EXPECT_NEAR(cce(false, 0, Reduction::sum)(cce_true(), cce_pred()).item(), 2.354, 5e-4);
  EXPECT_NEAR(cce(false, 0, Reduction::sum)(cce_true(), cce_pred()).item(), 2.3538784980773926, 1e-6);
  const Tensor none = cce(false, 0, Reduction::none)(cce_true(), cce_pred());
  EXPECT_EQ(none.shape(), Shape{2});
  EXPECT_TRUE(all_close(values(none), {0.0513, 2.303}, 2e-3, 0));
  EXPECT_TRUE(all_close(values(none), {kCceNone[0], kCceNone[1]}, 1e-6, 0));
  // AUTO is SUM_OVER_BATCH_SIZE.
  EXPECT_EQ(cce(false, 0, Reduction::sum_over_batch_size)(cce_true(), cce_pred()).item(), mean.item());
}

TEST(SparseCategoricalCrossentropy, KerasDocstringValues) {
  const Tensor labels = make(Shape{2}, DType::i32, {1, 2});
  EXPECT_NEAR(scce()(labels, cce_pred()).item(), 1.177, 5e-4);
  EXPECT_NEAR(scce()(labels, cce_pred(), f32(Shape{2}, {0.3, 0.7})).item(), 0.814, 5e-4);
  EXPECT_NEAR(scce(false, Reduction::sum)(labels, cce_pred()).item(), 2.354, 5e-4);
  // numpy in float32: −log_softmax(log(clip(p)))[label] = [0.05129344388842583, 2.3025851249694824]
  const Tensor none = scce(false, Reduction::none)(labels, cce_pred());
  EXPECT_EQ(none.shape(), Shape{2});
  EXPECT_TRUE(all_close(values(none), {0.05129344388842583, 2.3025851249694824}, 1e-6, 0));
}

TEST(SparseCategoricalCrossentropy, KerasIgnoreClassDocstring) {
  // keras.losses.sparse_categorical_crossentropy(y_true, y_pred, ignore_class=-1) docstring:
  // [[[2.3841855e-07, 2.3841855e-07], [0, 0]], [[2.3841855e-07, 6.9314730e-01], [0, 0]]]
  const Tensor y_true = make(Shape{2, 2, 2}, DType::i64, {0, 2, -1, -1, 0, 2, -1, -1});
  const Tensor y_pred = f32(Shape{2, 2, 2, 3}, {1, 0, 0, 0, 0, 1, 0.2, 0.5, 0.3, 0, 1, 0,
                                                1, 0, 0, 0, 0.5, 0.5, 0.2, 0.5, 0.3, 0, 1, 0});
  const SparseLosses s = sparse_categorical_crossentropy(y_true, y_pred, false, -1, -1);
  EXPECT_EQ(s.losses.shape(), (Shape{2, 2, 2}));
  // The 2.38e-7 entries are log(1 + 2ε) rounded at float32's resolution near 1 (TF's kernel
  // sums the exponentials in float32; tapegrad's sums them in double and gets 2.0e-7, the
  // exact value): compare them to that resolution, 1.2e-7.
  EXPECT_TRUE(all_close(values(s.losses),
                        {2.3841855067985307e-07, 2.3841855067985307e-07, 0, 0, 2.3841855067985307e-07,
                         0.6931473016738892, 0, 0},
                        1e-6, 1.2e-7));
  EXPECT_EQ(s.mask.dtype(), DType::boolean);
  EXPECT_EQ(values(s.mask), (std::vector<double>{1, 1, 0, 0, 1, 1, 0, 0}));
  // The loss object averages over the 4 valid entries, not all 8 (apply_valid_mask):
  // numpy: Σ losses / 4 = 0.17328700423240662.
  EXPECT_NEAR(scce(false, Reduction::auto_, -1)(y_true, y_pred).item(), 0.17328700423240662, 1e-7);
  EXPECT_NEAR(scce(false, Reduction::sum, -1)(y_true, y_pred).item(), 4 * 0.17328700423240662, 4e-7);
  // Dividing by all 8 entries instead would give half of that.
  const Tensor none = scce(false, Reduction::none, -1)(y_true, y_pred);
  EXPECT_EQ(none.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(values(none)[2], 0.0);
}

TEST(BinaryCrossentropy, KerasDocstringValues) {
  // Example 1: rank-1 inputs; the mean over the last axis is already a scalar.
  const Tensor l1 = bce(true)(f32(Shape{4}, {0, 1, 0, 0}), f32(Shape{4}, {-18.6, 0.51, 2.94, -12.8}));
  EXPECT_EQ(l1.rank(), 0);
  EXPECT_NEAR(l1.item(), 0.865, 5e-4);
  // Example 2: numpy float64 max(x,0) − x·z + log1p(exp(−|x|)), mean over the last axis:
  // [0.23515666320163253, 1.495759236360562], mean 0.8654579497810972.
  const Tensor y = f32(Shape{2, 2}, {0, 1, 0, 0});
  const Tensor x = f32(Shape{2, 2}, {-18.6, 0.51, 2.94, -12.8});
  EXPECT_NEAR(bce(true)(y, x).item(), 0.8654579497810972, 1e-6);
  EXPECT_NEAR(bce(true)(y, x, f32(Shape{2}, {0.8, 0.2})).item(), 0.243, 1e-3);  // printed truncated
  EXPECT_NEAR(bce(true)(y, x, f32(Shape{2}, {0.8, 0.2})).item(), 0.24363858891670923, 1e-6);
  EXPECT_NEAR(bce(true, 0, Reduction::sum)(y, x).item(), 1.730, 1e-3);
  EXPECT_NEAR(bce(true, 0, Reduction::sum)(y, x).item(), 1.7309158995621945, 2e-6);
  const Tensor none = bce(true, 0, Reduction::none)(y, x);
  EXPECT_TRUE(all_close(values(none), {0.235, 1.496}, 1e-3, 0));
  EXPECT_TRUE(all_close(values(none), {0.23515666320163253, 1.495759236360562}, 1e-6, 0));
  // keras.losses.binary_crossentropy docstring, probabilities: [0.916, 0.714];
  // numpy −(y·log(p+ε) + (1−y)·log(1−p+ε)) with p clipped: [0.9162904818741863, 0.7135579694867622].
  const Tensor probs = bce(false, 0, Reduction::none)(y, f32(Shape{2, 2}, {0.6, 0.4, 0.4, 0.6}));
  EXPECT_TRUE(all_close(values(probs), {0.916, 0.714}, 1e-3, 0));
  EXPECT_TRUE(all_close(values(probs), {0.9162904818741863, 0.7135579694867622}, 1e-6, 0));
}

// y_true = [[0,1],[0,0]], y_pred = [[1,1],[1,0]] (MeanSquaredError / MeanAbsoluteError docstrings).
TEST(MeanSquaredError, KerasDocstringValues) {
  const Tensor y = f32(Shape{2, 2}, {0, 1, 0, 0}), p = f32(Shape{2, 2}, {1, 1, 1, 0});
  const Loss mse(config(LossKind::mean_squared_error));
  EXPECT_EQ(mse(y, p).item(), 0.5);
  EXPECT_NEAR(mse(y, p, f32(Shape{2}, {0.7, 0.3})).item(), 0.25, 1e-7);
  EXPECT_EQ(Loss(config(LossKind::mean_squared_error, Reduction::sum))(y, p).item(), 1.0);
  EXPECT_EQ(values(Loss(config(LossKind::mean_squared_error, Reduction::none))(y, p)),
            (std::vector<double>{0.5, 0.5}));
}

TEST(MeanAbsoluteError, KerasDocstringValues) {
  const Tensor y = f32(Shape{2, 2}, {0, 1, 0, 0}), p = f32(Shape{2, 2}, {1, 1, 1, 0});
  const Loss mae(config(LossKind::mean_absolute_error));
  EXPECT_EQ(mae(y, p).item(), 0.5);
  EXPECT_NEAR(mae(y, p, f32(Shape{2}, {0.7, 0.3})).item(), 0.25, 1e-7);
  EXPECT_EQ(Loss(config(LossKind::mean_absolute_error, Reduction::sum))(y, p).item(), 1.0);
  EXPECT_EQ(values(Loss(config(LossKind::mean_absolute_error, Reduction::none))(y, p)),
            (std::vector<double>{0.5, 0.5}));
}

TEST(Huber, KerasDocstringValues) {
  // y_true = [[0,1],[0,0]], y_pred = [[0.6,0.4],[0.4,0.6]]: 0.155; sw [1,0] 0.09; SUM 0.31;
  // NONE [0.18, 0.13].
  const Tensor y = f32(Shape{2, 2}, {0, 1, 0, 0}), p = f32(Shape{2, 2}, {0.6, 0.4, 0.4, 0.6});
  EXPECT_NEAR(huber_loss()(y, p).item(), 0.155, 1e-6);
  EXPECT_NEAR(huber_loss()(y, p, make(Shape{2}, DType::i32, {1, 0})).item(), 0.09, 1e-6);
  EXPECT_NEAR(huber_loss(1.0, Reduction::sum)(y, p).item(), 0.31, 1e-6);
  EXPECT_TRUE(all_close(values(huber_loss(1.0, Reduction::none)(y, p)), {0.18, 0.13}, 1e-6, 0));
}

TEST(CategoricalCrossentropy, TargetProbabilityBelowEpsilonGivesTheFloorAndNoGradient) {
  // The target class has probability 0: clipped to ε, loss −log(1e-7) (Keras: 16.11810);
  // numpy: −log(float32(1e-7)) = 16.11809539794922, float64 16.11809565095832. Every entry is
  // clipped, so the whole gradient is zero.
  for (DType dt : {DType::f32, DType::f64}) {
    const Tensor y = make(Shape{1, 3}, dt, {0, 1, 0});
    const Tensor p = make(Shape{1, 3}, dt, {1, 0, 0});
    Tape tape(false, false);
    tape.begin();
    tape.watch(p);
    const Tensor loss = cce()(y, p);
    tape.end();
    EXPECT_NEAR(loss.item(), dt == DType::f32 ? 16.11809539794922 : 16.11809565095832, 1e-9);
    const auto g = tape.gradient(std::vector<Differentiable>{D(loss)}, std::vector<Differentiable>{D(p)});
    ASSERT_TRUE(g[0].defined());
    EXPECT_EQ(values(g[0]), (std::vector<double>{0, 0, 0}));
  }
}

// ---- values worked out with numpy (float64) -------------------------------------------

// logits Z = [[1,-2,0.5],[0.3,0.2,-1]]; labels Y = [[0,1,0],[0.2,0.3,0.5]].
Tensor logits_z() { return f64(Shape{2, 3}, {1.0, -2.0, 0.5, 0.3, 0.2, -1.0}); }
Tensor labels_y() { return f64(Shape{2, 3}, {0, 1, 0, 0.2, 0.3, 0.5}); }
// probabilities Q; the second row sums to 1.2 and is normalised first.
Tensor probs_q() { return f64(Shape{2, 3}, {0.2, 0.5, 0.3, 0.6, 0.3, 0.3}); }

TEST(CategoricalCrossentropy, FromLogitsAndLabelSmoothing) {
  // numpy: −Σ y·log_softmax(z) = [3.5045969023422834, 1.4581173641380798]
  EXPECT_TRUE(all_close(values(cce(true, 0, Reduction::none)(labels_y(), logits_z())), {3.5045969023422834, 1.4581173641380798},
                        1e-12, 0));
  // ls = 0.1: y·0.9 + 0.1/3 → [3.3212635690089503, 1.4367840308047466]
  EXPECT_TRUE(all_close(values(cce(true, 0.1, Reduction::none)(labels_y(), logits_z())), {3.3212635690089503, 1.4367840308047466},
                        1e-12, 0));
}

TEST(CategoricalCrossentropy, ProbabilitiesAreNormalisedThenClipped) {
  // numpy: q / Σq, clip, −Σ y·log → [0.6931471805599453, 1.2476649250079015]
  EXPECT_TRUE(all_close(values(cce(false, 0, Reduction::none)(labels_y(), probs_q())), {0.6931471805599453, 1.2476649250079015},
                        1e-12, 0));
  // ls = 0.2 → [0.7882882709359551, 1.2291810001929697]
  EXPECT_TRUE(all_close(values(cce(false, 0.2, Reduction::none)(labels_y(), probs_q())), {0.7882882709359551, 1.2291810001929697},
                        1e-12, 0));
}

TEST(CategoricalCrossentropy, AxisSelectsTheClassAxis) {
  const Tensor zt = ops::transpose(logits_z()), yt = ops::transpose(labels_y());  // (3, 2): classes first
  EXPECT_TRUE(all_close(values(categorical_crossentropy(yt, zt, true, 0.1, 0)),
                        values(categorical_crossentropy(labels_y(), logits_z(), true, 0.1, -1)), 1e-12, 0));
  EXPECT_TRUE(all_close(values(categorical_crossentropy(yt, ops::transpose(probs_q()), false, 0.2, 0)),
                        values(categorical_crossentropy(labels_y(), probs_q(), false, 0.2, 1)), 1e-12, 0));
}

TEST(SparseCategoricalCrossentropy, LabelsDtypesAndShapes) {
  // numpy: −log_softmax(Z)[[0, 2]] = [0.5045969023422834, 2.07811736413808]
  const std::vector<double> expected{0.5045969023422834, 2.07811736413808};
  const Loss l = scce(true, Reduction::none);
  EXPECT_TRUE(all_close(values(l(make(Shape{2}, DType::i32, {0, 2}), logits_z())), expected, 1e-12, 0));
  EXPECT_TRUE(all_close(values(l(make(Shape{2}, DType::i64, {0, 2}), logits_z())), expected, 1e-12, 0));
  // Float labels are truncated, as tf.cast(y_true, int64) does.
  EXPECT_TRUE(all_close(values(l(f64(Shape{2}, {0.9, 2.5}), logits_z())), expected, 1e-12, 0));
  // (N, 1) labels are flattened.
  const Tensor column = l(make(Shape{2, 1}, DType::i32, {0, 2}), logits_z());
  EXPECT_EQ(column.shape(), Shape{2});
  EXPECT_TRUE(all_close(values(column), expected, 1e-12, 0));
  // Probabilities are not normalised: log(clip(p)) feeds the softmax, which renormalises.
  // numpy: [0.6931471805599453, 0.6931471805599453] for labels [1, 0].
  EXPECT_TRUE(all_close(values(scce(false, Reduction::none)(make(Shape{2}, DType::i32, {1, 0}), probs_q())),
                        {0.6931471805599453, 0.6931471805599453}, 1e-12, 0));
  // Rank 3 with (N, T, 1) labels keeps (N, T).
  const Tensor z3 = ops::reshape(ops::concat(std::vector<Tensor>{logits_z(), logits_z()}, 0), Shape{2, 2, 3});
  const Tensor r3 = l(make(Shape{2, 2, 1}, DType::i64, {0, 2, 0, 2}), z3);
  EXPECT_EQ(r3.shape(), (Shape{2, 2}));
  EXPECT_TRUE(all_close(values(r3), {expected[0], expected[1], expected[0], expected[1]}, 1e-12, 0));
  // axis = 0: classes first.
  EXPECT_TRUE(all_close(values(sparse_categorical_crossentropy(make(Shape{2}, DType::i32, {0, 2}),
                                                               ops::transpose(logits_z()), true, 0)
                                   .losses),
                        expected, 1e-12, 0));
}

TEST(SparseCategoricalCrossentropy, IgnoreClassEdges) {
  const Tensor labels = make(Shape{2}, DType::i32, {255, 2});
  // Only the second entry counts: mean over valid = −log_softmax(Z)[1, 2] = 2.07811736413808.
  EXPECT_NEAR(scce(true, Reduction::auto_, 255)(labels, logits_z()).item(), 2.07811736413808, 1e-12);
  // With sample weights, the mask multiplies them: (0·w0·L0 + 3·L1·2/1) / 2 = 3·L1.
  EXPECT_NEAR(scce(true, Reduction::auto_, 255)(labels, logits_z(), f64(Shape{2}, {5.0, 3.0})).item(), 3 * 2.07811736413808,
              1e-12);
  // Every entry ignored: Keras divides by 0 valid entries, giving NaN.
  EXPECT_TRUE(std::isnan(scce(true, Reduction::auto_, 2)(make(Shape{2}, DType::i32, {2, 2}), logits_z()).item()));
  // ... but SUM needs no division: 0.
  EXPECT_EQ(scce(true, Reduction::sum, 2)(make(Shape{2}, DType::i32, {2, 2}), logits_z()).item(), 0.0);
  // The ignored entry gets no gradient.
  const Tensor z = logits_z();
  Tape tape(false, false);
  tape.begin();
  tape.watch(z);
  const Tensor loss = scce(true, Reduction::sum, 255)(labels, z);
  tape.end();
  const auto g = values(tape.gradient(std::vector<Differentiable>{D(loss)}, std::vector<Differentiable>{D(z)})[0]);
  EXPECT_EQ(g[0], 0.0);
  EXPECT_EQ(g[1], 0.0);
  EXPECT_EQ(g[2], 0.0);
  EXPECT_NE(g[5], 0.0);
}

TEST(BinaryCrossentropy, LabelSmoothingAndProbabilityEdges) {
  const Tensor y = f64(Shape{2, 2}, {0, 1, 0, 0});
  const Tensor x = f64(Shape{2, 2}, {-18.6, 0.51, 2.94, -12.8});
  // numpy, ls = 0.2: y·0.8 + 0.1 → [1.1906566632016327, 1.9887592363605622]
  EXPECT_TRUE(all_close(values(bce(true, 0.2, Reduction::none)(y, x)), {1.1906566632016327, 1.9887592363605622},
                        1e-12, 0));
  // numpy, ls = 0.1, probabilities: [0.8960172306354439, 0.7135579694867621]
  EXPECT_TRUE(all_close(values(bce(false, 0.1, Reduction::none)(y, f64(Shape{2, 2}, {0.6, 0.4, 0.4, 0.6}))),
                        {0.8960172306354439, 0.7135579694867621}, 1e-12, 0));
  // p = 0 for y = 1 and p = 1 for y = 0: both clipped, −log(2ε) each (the double epsilon):
  // numpy 15.424948470529962.
  EXPECT_NEAR(bce()(f64(Shape{1, 2}, {1, 0}), f64(Shape{1, 2}, {0, 1})).item(), 15.424948470529962, 1e-9);
  // y_true broadcasts on the probability path: (2, 1) labels against (2, 2).
  EXPECT_TRUE(all_close(values(bce(false, 0, Reduction::none)(f64(Shape{2, 1}, {0, 0}),
                                                                f64(Shape{2, 2}, {0.6, 0.4, 0.4, 0.6}))),
                        values(bce(false, 0, Reduction::none)(f64(Shape{2, 2}, {0, 0, 0, 0}),
                                                              f64(Shape{2, 2}, {0.6, 0.4, 0.4, 0.6}))),
                        1e-15, 0));
}

TEST(BinaryCrossentropy, LogitGradientAtZeroIsSigmoidMinusLabel) {
  // TF's where(x >= 0, …) form: d/dx at x = 0 is sigmoid(0) − z = 0.5 − z (a max/abs form gives 1 − z).
  const Tensor x = f64(Shape{1, 2}, {0.0, 0.0});
  const Tensor z = f64(Shape{1, 2}, {1.0, 0.25});
  Tape tape(false, false);
  tape.begin();
  tape.watch(x);
  const Tensor loss = bce(true, 0, Reduction::sum)(z, x);
  tape.end();
  const auto g = tape.gradient(std::vector<Differentiable>{D(loss)}, std::vector<Differentiable>{D(x)});
  EXPECT_TRUE(all_close(values(g[0]), {(0.5 - 1.0) / 2, (0.5 - 0.25) / 2}, 1e-15, 0));
  EXPECT_NEAR(loss.item(), std::log(2.0), 1e-15);  // mean of two log(2)
}

TEST(BinaryCrossentropy, AxisIsTheAveragedAxis) {
  const Tensor y = f64(Shape{2, 2}, {0, 1, 0, 0});
  const Tensor x = f64(Shape{2, 2}, {-18.6, 0.51, 2.94, -12.8});
  EXPECT_TRUE(all_close(values(binary_crossentropy(ops::transpose(y), ops::transpose(x), true, 0, 0)),
                        values(binary_crossentropy(y, x, true, 0, -1)), 1e-15, 0));
}

TEST(RegressionLosses, IndependentValues) {
  const Tensor yt = f64(Shape{2, 3}, {0.5, -1.0, 2.0, 3.0, 0.0, -0.25});
  const Tensor yp = f64(Shape{2, 3}, {0.1, 1.5, 2.2, 0.0, 0.3, -2.0});
  // numpy: mean((yp−yt)²) = [2.15, 4.050833333333333]; mean|yp−yt| = [1.0333333333333334, 1.6833333333333333];
  // huber δ=1.5: where(|x| <= 1.5, x²/2, 1.5|x| − 1.125) → [0.9083333333333333, 1.64]
  EXPECT_TRUE(all_close(values(mean_squared_error(yt, yp)), {2.15, 4.050833333333333}, 1e-14, 0));
  EXPECT_TRUE(all_close(values(mean_absolute_error(yt, yp)), {1.0333333333333334, 1.6833333333333333}, 1e-14, 0));
  EXPECT_TRUE(all_close(values(huber(yt, yp, 1.5)), {0.9083333333333333, 1.64}, 1e-14, 0));
  // Integer labels are cast to y_pred's dtype.
  EXPECT_EQ(mean_squared_error(make(Shape{2}, DType::i32, {1, 2}), f32(Shape{2}, {1.5, 2.5})).item(), 0.25);
  // float64 stays float64 (Keras's huber would compute in float32).
  EXPECT_EQ(huber(yt, yp).dtype(), DType::f64);
}

TEST(LossObject, SqueezesATrailingOneAsLossFunctionWrapper) {
  // y_true (2,) against y_pred (2, 1): y_pred loses its last axis, then the mean over the
  // last axis is over the batch: mean((1−1)², (4−2)²) = 2, and NONE gives a scalar.
  const Loss mse(config(LossKind::mean_squared_error, Reduction::none));
  const Tensor r = mse(f64(Shape{2}, {1, 2}), f64(Shape{2, 1}, {1, 4}));
  EXPECT_EQ(r.rank(), 0);
  EXPECT_EQ(r.item(), 2.0);
  // And the other way round.
  EXPECT_EQ(mse(f64(Shape{2, 1}, {1, 2}), f64(Shape{2}, {1, 4})).item(), 2.0);
  // Sparse labels (N,) against (N, C) with C != 1 are left alone.
  EXPECT_EQ(scce(true, Reduction::none)(make(Shape{2}, DType::i32, {0, 1}), logits_z()).shape(), Shape{2});
}

// ---- sample weights and reductions ------------------------------------------------------

// A (2,3,2) MSE: per-sample losses (2,3), numpy mean((A − 0.5)², −1) with A = arange(12)/10:
const std::vector<double> kMse3 = {0.205, 0.065, 0.005, 0.025, 0.125, 0.305};
Tensor mse_a() { return f64(Shape{2, 3, 2}, {0, .1, .2, .3, .4, .5, .6, .7, .8, .9, 1.0, 1.1}); }
Tensor mse_b() { return Tensor::full(Shape{2, 3, 2}, DType::f64, 0.5); }

TEST(SampleWeight, EveryKindKerasAccepts) {
  const Loss none(config(LossKind::mean_squared_error, Reduction::none));
  const Loss mean(config(LossKind::mean_squared_error));
  const Loss sum(config(LossKind::mean_squared_error, Reduction::sum));
  EXPECT_TRUE(all_close(values(none(mse_b(), mse_a())), kMse3, 1e-14, 1e-16));
  // (N,) weights gain a trailing axis: numpy Σ L·w[:,None] / 6 = 0.1975, SUM 1.185.
  EXPECT_NEAR(mean(mse_b(), mse_a(), f64(Shape{2}, {1, 2})).item(), 0.1975, 1e-14);
  EXPECT_NEAR(sum(mse_b(), mse_a(), f64(Shape{2}, {1, 2})).item(), 1.185, 1e-14);
  // (N, T) weights: numpy 0.05875; (N, T, 1) loses its trailing axis: same.
  const std::vector<double> w{1, 0, 2, 0.5, 1, 0};
  EXPECT_NEAR(mean(mse_b(), mse_a(), f64(Shape{2, 3}, w)).item(), 0.05875, 1e-14);
  EXPECT_NEAR(mean(mse_b(), mse_a(), f64(Shape{2, 3, 1}, w)).item(), 0.05875, 1e-14);
  EXPECT_TRUE(all_close(values(none(mse_b(), mse_a(), f64(Shape{2, 3, 1}, w))),
                        {0.205, 0.0, 0.01, 0.0125, 0.125, 0.0}, 1e-13, 1e-16));
  // A scalar weight scales; numpy 3·ΣL/6 = 0.365.
  EXPECT_NEAR(mean(mse_b(), mse_a(), f64(3.0)).item(), 0.365, 1e-14);
  // Weights of any dtype are cast: int and bool.
  EXPECT_NEAR(mean(mse_b(), mse_a(), make(Shape{2}, DType::i64, {1, 2})).item(), 0.1975, 1e-14);
  EXPECT_NEAR(mean(mse_b(), mse_a(), make(Shape{2}, DType::boolean, {0, 1})).item(), (0.025 + 0.125 + 0.305) / 6, 1e-14);
  // SUM_OVER_BATCH_SIZE divides by the element count, not by Σw.
  EXPECT_NEAR(mean(mse_b(), mse_a(), f64(Shape{2}, {0, 0})).item(), 0.0, 0);
}

TEST(SampleWeight, ShapesThatDoNotFitNameTheLossAndTheShapes) {
  const Loss mean(config(LossKind::mean_squared_error));
  expect_error([&] { mean(mse_b(), mse_a(), f64(Shape{3}, {1, 2, 3})); }, Status::invalid_argument,
               {"mean_squared_error", "sample_weight (3)", "(2,3)"});
  expect_error([&] { mean(mse_b(), mse_a(), Tensor::full(Shape{2, 3, 2}, DType::f64, 1.0)); }, Status::invalid_argument,
               {"mean_squared_error", "(2,3,2)", "(2,3)", "not 1"});
}

TEST(Reduction, EmptyBatchAndGradients) {
  // SUM_OVER_BATCH_SIZE of an empty batch is 0 (divide_no_nan), and stays on the tape.
  const Tensor p = Tensor::zeros(Shape{0, 3}, DType::f64);
  Tape tape(false, false);
  tape.begin();
  tape.watch(p);
  const Tensor loss = Loss(config(LossKind::mean_squared_error))(Tensor::zeros(Shape{0, 3}, DType::f64), p);
  tape.end();
  EXPECT_EQ(loss.item(), 0.0);
  const auto g = tape.gradient(std::vector<Differentiable>{D(loss)}, std::vector<Differentiable>{D(p)});
  ASSERT_TRUE(g[0].defined());
  EXPECT_EQ(g[0].shape(), (Shape{0, 3}));
}

TEST(Reduction, GradientWithRespectToSampleWeights) {
  // d(Σ L·w / n)/dw = L / n.
  const Tensor w = f64(Shape{2, 3}, {1, 0, 2, 0.5, 1, 0});
  Tape tape(false, false);
  tape.begin();
  tape.watch(w);
  const Tensor loss = Loss(config(LossKind::mean_squared_error))(mse_b(), mse_a(), w);
  tape.end();
  const auto g = tape.gradient(std::vector<Differentiable>{D(loss)}, std::vector<Differentiable>{D(w)});
  std::vector<double> expected;
  for (double l : kMse3) expected.push_back(l / 6);
  EXPECT_TRUE(all_close(values(g[0]), expected, 1e-13, 1e-17));
}

// ---- configuration and input errors -----------------------------------------------------

TEST(LossConfig, InvalidParametersAreRejected) {
  expect_error([] { cce(false, 1.5); }, Status::invalid_argument, {"categorical_crossentropy", "label_smoothing", "1.5"});
  expect_error([] { bce(false, -0.1); }, Status::invalid_argument, {"binary_crossentropy", "label_smoothing"});
  expect_error([] { bce(false, std::nan("")); }, Status::invalid_argument, {"label_smoothing"});
  expect_error([] { huber_loss(-1.0); }, Status::invalid_argument, {"huber_loss", "delta", "-1"});
  expect_error([] { huber_loss(INFINITY); }, Status::invalid_argument, {"delta"});
  expect_error([] { Loss(config(LossKind::mean_squared_error, static_cast<Reduction>(7))); }, Status::invalid_argument,
               {"Invalid Reduction Key: 7"});
  expect_error([] { Loss(config(static_cast<LossKind>(42))); }, Status::invalid_argument, {"unknown loss kind 42"});
  EXPECT_EQ(huber_loss(0.0).name(), "huber_loss");
  EXPECT_EQ(scce().name(), "sparse_categorical_crossentropy");
}

TEST(LossInputs, WrongShapesAndDtypesNameTheLossAndTheShapes) {
  expect_error([] { cce()(f32(Shape{2, 4}, std::vector<double>(8, 0.0)), cce_pred()); }, Status::invalid_argument,
               {"categorical_crossentropy", "(2,4)", "(2,3)"});
  expect_error([] { cce()(cce_true(), make(Shape{2, 3}, DType::i32, {0, 1, 0, 0, 0, 1})); }, Status::invalid_argument,
               {"categorical_crossentropy", "float32 or float64", "int32"});
  expect_error([] { cce(true)(f32(1.0), f32(1.0)); }, Status::invalid_argument, {"categorical_crossentropy", "rank"});
  expect_error([] { scce()(make(Shape{3}, DType::i32, {0, 1, 2}), cce_pred()); }, Status::invalid_argument,
               {"sparse_categorical_crossentropy", "(3)", "(2,3)", "(2)"});
  expect_error([] { scce()(make(Shape{2, 2}, DType::i32, {0, 1, 2, 0}), cce_pred()); }, Status::invalid_argument,
               {"sparse_categorical_crossentropy", "(2,2)", "(2,3)"});
  expect_error([] { scce()(make(Shape{2}, DType::i32, {0, 3}), cce_pred()); }, Status::invalid_argument,
               {"label value of 3", "[0, 3)"});
  expect_error([] { bce(true)(f32(Shape{2, 1}, {0, 1}), f32(Shape{2, 2}, {0, 1, 2, 3})); }, Status::invalid_argument,
               {"binary_crossentropy", "same shape", "(2,2)", "(2,1)"});
  expect_error([] { bce()(f32(Shape{3}, {0, 1, 1}), f32(Shape{2, 2}, {0.5, 0.5, 0.5, 0.5})); },
               Status::invalid_argument, {"binary_crossentropy", "(3)", "(2,2)", "broadcast"});
  expect_error([] { Loss(config(LossKind::mean_absolute_error))(f32(Shape{3}, {0, 1, 1}), f32(Shape{2}, {0, 1})); },
               Status::invalid_argument, {"mean_absolute_error", "(3)", "(2)"});
  expect_error([] { huber_loss()(f32(Shape{3}, {0, 1, 1}), make(Shape{3}, DType::i64, {0, 1, 1})); },
               Status::invalid_argument, {"huber_loss", "int64"});
  expect_error([] { Loss(config(LossKind::mean_squared_error))(f32(2.0), f32(1.0)); }, Status::invalid_argument,
               {"mean_squared_error", "rank"});
  expect_error([] { Loss(config(LossKind::mean_squared_error))(Tensor(), f32(1.0)); }, Status::invalid_argument,
               {"mean_squared_error", "y_true is undefined"});
}

// ---- gradients against central differences (float64, first and second order) ----------

using LossFn = std::function<Tensor(const std::vector<Tensor>&)>;

Tensor with_element(const Tensor& x, size_t k, double v) {
  std::vector<double> vals = values(x);
  vals[k] = v;
  return f64(x.shape(), vals);
}

std::vector<double> finite_differences(const std::function<double(const std::vector<Tensor>&)>& f,
                                       std::vector<Tensor> xs, size_t i, double eps = 1e-6) {
  const Tensor x = xs[i];
  const std::vector<double> v = values(x);
  std::vector<double> g(v.size());
  for (size_t k = 0; k < v.size(); ++k) {
    xs[i] = with_element(x, k, v[k] + eps);
    const double plus = f(xs);
    xs[i] = with_element(x, k, v[k] - eps);
    g[k] = (plus - f(xs)) / (2 * eps);
  }
  return g;
}

// s(x) = Σ f(x)·W (W: fixed weights, so every element of a NONE result matters).
Tensor scalarised(const LossFn& f, const std::vector<Tensor>& xs, const Tensor& w) {
  return ops::reduce_sum(ops::mul(f(xs), w));
}

std::vector<Tensor> tape_gradients(const LossFn& f, const std::vector<Tensor>& xs, const Tensor& w,
                                   const std::vector<size_t>& wrt) {
  Tape tape(false, false);
  tape.begin();
  std::vector<Differentiable> sources;
  for (size_t i : wrt) {
    tape.watch(xs[i]);
    sources.push_back(D(xs[i]));
  }
  const Tensor s = scalarised(f, xs, w);
  tape.end();
  return tape.gradient(std::vector<Differentiable>{D(s)}, sources);
}

// First derivatives with respect to xs[wrt…], then the projected second derivative
// Σ_i Σ g_i·V_i through an outer tape, each against central differences.
void check_gradients(const std::string& label, const LossFn& f, const std::vector<Tensor>& xs,
                     const std::vector<size_t>& wrt) {
  SCOPED_TRACE(label);
  std::mt19937_64 rng(std::hash<std::string>{}(label) & 0xffff);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const auto random_like = [&](const Shape& s) {
    std::vector<double> v(static_cast<size_t>(s.numel()));
    for (double& e : v) e = u(rng);
    return f64(s, v);
  };
  const Tensor w = random_like(f(xs).shape());
  const auto loss_value = [&](const std::vector<Tensor>& in) { return scalarised(f, in, w).item(); };

  const std::vector<Tensor> g = tape_gradients(f, xs, w, wrt);
  for (size_t j = 0; j < wrt.size(); ++j) {
    SCOPED_TRACE("first derivative, input " + std::to_string(wrt[j]));
    ASSERT_TRUE(g[j].defined());
    EXPECT_EQ(g[j].shape(), xs[wrt[j]].shape());
    EXPECT_TRUE(all_close(values(g[j]), finite_differences(loss_value, xs, wrt[j]), 1e-6, 1e-8));
  }

  std::vector<Tensor> v;
  for (size_t i : wrt) v.push_back(random_like(xs[i].shape()));
  const auto projected = [&](const std::vector<Tensor>& in) {
    const std::vector<Tensor> gi = tape_gradients(f, in, w, wrt);
    Tensor s = f64(0.0);
    for (size_t j = 0; j < gi.size(); ++j)
      if (gi[j].defined()) s = ops::add(s, ops::reduce_sum(ops::mul(gi[j], v[j])));
    return s;
  };
  Tape outer(false, false);
  outer.begin();
  std::vector<Differentiable> sources;
  for (size_t i : wrt) {
    outer.watch(xs[i]);
    sources.push_back(D(xs[i]));
  }
  const Tensor s = projected(xs);
  outer.end();
  const std::vector<Tensor> h = outer.gradient(std::vector<Differentiable>{D(s)}, sources, {}, Unconnected::zero);
  for (size_t j = 0; j < wrt.size(); ++j) {
    SCOPED_TRACE("second derivative, input " + std::to_string(wrt[j]));
    ASSERT_TRUE(h[j].defined());
    EXPECT_TRUE(all_close(values(h[j]), finite_differences([&](const std::vector<Tensor>& in) { return projected(in).item(); },
                                                           xs, wrt[j]),
                          1e-6, 1e-8));
  }
}

// Probabilities in (0.1, 0.9): off the clip bounds.
Tensor probs_p() { return f64(Shape{2, 3}, {0.2, 0.5, 0.3, 0.6, 0.15, 0.4}); }
Tensor probs_p2() { return f64(Shape{2, 2}, {0.3, 0.8, 0.55, 0.2}); }
Tensor labels_yb() { return f64(Shape{2, 2}, {0, 1, 0.3, 0.6}); }

TEST(LossGradients, CategoricalCrossentropy) {
  for (Reduction r : {Reduction::none, Reduction::sum, Reduction::auto_}) {
    const std::string name = std::to_string(static_cast<int>(r));
    check_gradients("cce logits ls 0.1 r" + name,
                    [&](const std::vector<Tensor>& x) { return cce(true, 0.1, r)(x[0], x[1], x[2]); },
                    {labels_y(), logits_z(), f64(Shape{2}, {0.7, 1.3})}, {0, 1, 2});
    check_gradients("cce probs r" + name, [&](const std::vector<Tensor>& x) { return cce(false, 0, r)(x[0], x[1]); },
                    {labels_y(), probs_p()}, {0, 1});
  }
  check_gradients("cce probs ls 0.2 scalar weight",
                  [&](const std::vector<Tensor>& x) { return cce(false, 0.2)(x[0], x[1], x[2]); },
                  {labels_y(), probs_p(), f64(2.5)}, {0, 1, 2});
}

TEST(LossGradients, SparseCategoricalCrossentropy) {
  const Tensor labels = make(Shape{2}, DType::i32, {2, 0});
  check_gradients("scce logits", [&](const std::vector<Tensor>& x) { return scce(true)(labels, x[0], x[1]); },
                  {logits_z(), f64(Shape{2, 1}, {0.5, 2.0})}, {0, 1});
  check_gradients("scce probs none",
                  [&](const std::vector<Tensor>& x) { return scce(false, Reduction::none)(labels, x[0]); }, {probs_p()}, {0});
  check_gradients("scce ignore mean",
                  [&](const std::vector<Tensor>& x) {
                    return scce(true, Reduction::auto_, 2)(make(Shape{3}, DType::i32, {2, 0, 1}), x[0]);
                  },
                  {f64(Shape{3, 3}, {1.0, -2.0, 0.5, 0.3, 0.2, -1.0, 0.1, 0.9, -0.4})}, {0});
}

TEST(LossGradients, BinaryCrossentropy) {
  check_gradients("bce logits ls 0.2",
                  [&](const std::vector<Tensor>& x) { return bce(true, 0.2)(x[0], x[1], x[2]); },
                  {labels_yb(), f64(Shape{2, 2}, {-1.5, 0.51, 2.94, -0.8}), f64(Shape{2}, {0.8, 0.2})}, {0, 1, 2});
  check_gradients("bce probs none",
                  [&](const std::vector<Tensor>& x) { return bce(false, 0, Reduction::none)(x[0], x[1]); },
                  {labels_yb(), probs_p2()}, {0, 1});
  check_gradients("bce probs ls 0.1 sum",
                  [&](const std::vector<Tensor>& x) { return bce(false, 0.1, Reduction::sum)(x[0], x[1]); },
                  {labels_yb(), probs_p2()}, {0, 1});
}

TEST(LossGradients, RegressionLosses) {
  const Tensor yt = f64(Shape{2, 3}, {0.5, -1.0, 2.0, 3.0, 0.0, -0.25});
  const Tensor yp = f64(Shape{2, 3}, {0.1, 1.5, 2.2, 0.0, 0.3, -2.0});  // |x| off 0 and off δ = 1.5
  const Tensor sw = f64(Shape{2, 1}, {0.3, 1.1});
  check_gradients("mse", [&](const std::vector<Tensor>& x) { return Loss(config(LossKind::mean_squared_error))(x[0], x[1], x[2]); },
                  {yt, yp, sw}, {0, 1, 2});
  check_gradients("mae none",
                  [&](const std::vector<Tensor>& x) {
                    return Loss(config(LossKind::mean_absolute_error, Reduction::none))(x[0], x[1]);
                  },
                  {yt, yp}, {0, 1});
  check_gradients("huber 1.5 sum",
                  [&](const std::vector<Tensor>& x) { return huber_loss(1.5, Reduction::sum)(x[0], x[1], x[2]); },
                  {yt, yp, sw}, {0, 1, 2});
  check_gradients("huber 1.0", [&](const std::vector<Tensor>& x) { return huber_loss(1.0)(x[0], x[1]); }, {yt, yp},
                  {0, 1});
}

TEST(LossGradients, ClippedProbabilitiesGetNoGradient) {
  // p[1] = 0 is clipped to ε: its gradient is 0 although y = 0 there would pull on it.
  const Tensor p = f64(Shape{1, 3}, {0.5, 0.0, 0.5});
  const Tensor y = f64(Shape{1, 3}, {1.0, 0.0, 0.0});
  Tape tape(false, false);
  tape.begin();
  tape.watch(p);
  const Tensor loss = bce(false, 0, Reduction::sum)(y, p);
  tape.end();
  const auto g = values(tape.gradient(std::vector<Differentiable>{D(loss)}, std::vector<Differentiable>{D(p)})[0]);
  EXPECT_EQ(g[1], 0.0);
  // d/dp of −(y log(p+ε) + (1−y) log(1−p+ε)) / 3 at p = 0.5: −1/(0.5+ε)/3 for y = 1, +1/(0.5+ε)/3 for y = 0.
  EXPECT_NEAR(g[0], -1.0 / (0.5 + 1e-7) / 3, 1e-15);
  EXPECT_NEAR(g[2], 1.0 / (0.5 + 1e-7) / 3, 1e-15);
}

}  // namespace
}  // namespace tg
