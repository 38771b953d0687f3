// SPDX-License-Identifier: Apache-2.0
// Keras accuracy metrics (src/nn/metrics.h) against the values of the Keras 2.15 docstrings
// (tf_keras/metrics/accuracy_metrics.py) and hand-worked weighted means (MeanMetricWrapper →
// Mean.update_state: total += Σ matches·w, count += Σ w).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "autodiff/ops.h"
#include "autodiff/tape.h"
#include "nn/metrics.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::f32;
using testing::f64;
using testing::make;
using testing::values;

void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Status::invalid_argument) << e.what();
    for (const std::string& s : parts) EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << e.what() << " lacks " << s;
  }
}

TEST(Accuracy, KerasDocstring) {
  Metric m(MetricKind::accuracy);
  EXPECT_EQ(m.name(), "accuracy");
  EXPECT_EQ(m.result(), 0.0);  // nothing counted yet: divide_no_nan
  const Tensor y = make(Shape{4, 1}, DType::i32, {1, 2, 3, 4});
  const Tensor p = make(Shape{4, 1}, DType::i32, {0, 2, 3, 4});
  m.update(y, p);
  EXPECT_EQ(m.result(), 0.75);
  m.reset();
  EXPECT_EQ(m.result(), 0.0);
  m.update(y, p, make(Shape{4}, DType::i32, {1, 1, 0, 0}));
  EXPECT_EQ(m.result(), 0.5);
  EXPECT_EQ(m.total(), 1.0f);
  EXPECT_EQ(m.count(), 2.0f);
}

TEST(BinaryAccuracy, KerasDocstring) {
  Metric m(MetricKind::binary_accuracy);
  const Tensor y = f32(Shape{4, 1}, {1, 1, 0, 0});
  const Tensor p = f32(Shape{4, 1}, {0.98, 1, 0, 0.6});
  m.update(y, p);
  EXPECT_EQ(m.result(), 0.75);
  m.reset();
  m.update(y, p, f32(Shape{4}, {1, 0, 0, 1}));
  EXPECT_EQ(m.result(), 0.5);
  // threshold 0.99: 0.98 is now a 0 → matches [0, 1, 1, 1].
  Metric strict(MetricKind::binary_accuracy, 0.99);
  strict.update(y, p);
  EXPECT_EQ(strict.result(), 0.75);
  EXPECT_EQ(values(strict.matches(y, p)), (std::vector<double>{0, 1, 1, 1}));
}

TEST(CategoricalAccuracy, KerasDocstring) {
  Metric m(MetricKind::categorical_accuracy);
  const Tensor y = f32(Shape{2, 3}, {0, 0, 1, 0, 1, 0});
  const Tensor p = f32(Shape{2, 3}, {0.1, 0.9, 0.8, 0.05, 0.95, 0});
  m.update(y, p);
  EXPECT_EQ(m.result(), 0.5);
  m.reset();
  m.update(y, p, f32(Shape{2}, {0.7, 0.3}));
  EXPECT_NEAR(m.result(), 0.3, 1e-7);
  EXPECT_EQ(m.matches(y, p).shape(), Shape{2});
}

TEST(SparseCategoricalAccuracy, KerasDocstring) {
  Metric m(MetricKind::sparse_categorical_accuracy);
  const Tensor y = make(Shape{2, 1}, DType::i64, {2, 1});
  const Tensor p = f32(Shape{2, 3}, {0.1, 0.6, 0.3, 0.05, 0.95, 0});
  m.update(y, p);
  EXPECT_EQ(m.result(), 0.5);
  m.reset();
  m.update(y, p, f32(Shape{2}, {0.7, 0.3}));
  EXPECT_NEAR(m.result(), 0.3, 1e-7);
  // (N, 1) labels give (N, 1) matches; (N,) labels give (N,).
  EXPECT_EQ(m.matches(y, p).shape(), (Shape{2, 1}));
  EXPECT_EQ(m.matches(make(Shape{2}, DType::i32, {2, 1}), p).shape(), Shape{2});
  // keras.metrics.sparse_categorical_accuracy([2, 1], [[0.1,0.9,0.8],[0.05,0.95,0]]) = [0, 1]
  EXPECT_EQ(values(m.matches(make(Shape{2}, DType::i32, {2, 1}), f32(Shape{2, 3}, {0.1, 0.9, 0.8, 0.05, 0.95, 0}))),
            (std::vector<double>{0, 1}));
}

TEST(Metric, AccumulatesAWeightedMeanOverBatches) {
  Metric m(MetricKind::sparse_categorical_accuracy);
  const Tensor logits = f64(Shape{2, 2}, {2.0, 1.0, 0.0, 3.0});        // argmax [0, 1]
  m.update(make(Shape{2}, DType::i32, {0, 0}), logits);                  // matches [1, 0], w 1
  m.update(make(Shape{1}, DType::i32, {1}), f64(Shape{1, 2}, {0, 1}), f64(Shape{1}, {2.0}));  // match 1, w 2
  EXPECT_EQ(m.total(), 3.0f);
  EXPECT_EQ(m.count(), 4.0f);
  EXPECT_EQ(m.result(), 0.75);
}

TEST(Metric, InputsAreComparedInFloat32) {
  // MeanMetricWrapper casts both to float32 first: 1 + 1e-9 equals 1, and 0.5 + 1e-9 is not
  // above the threshold 0.5.
  Metric acc(MetricKind::accuracy);
  acc.update(make(Shape{2}, DType::i64, {1, 2}), f64(Shape{2}, {1.0 + 1e-9, 2.5}));
  EXPECT_EQ(acc.result(), 0.5);
  Metric bin(MetricKind::binary_accuracy);
  bin.update(make(Shape{2}, DType::boolean, {1, 0}), f64(Shape{2}, {0.5 + 1e-9, 0.25}));
  EXPECT_EQ(bin.result(), 0.5);
}

TEST(Metric, ArgmaxTiesGoToTheFirstIndex) {
  const Tensor p = f32(Shape{2, 3}, {0.4, 0.4, 0.2, 0.1, 0.45, 0.45});
  Metric m(MetricKind::sparse_categorical_accuracy);
  EXPECT_EQ(values(m.matches(make(Shape{2}, DType::i32, {0, 1}), p)), (std::vector<double>{1, 1}));
  EXPECT_EQ(values(m.matches(make(Shape{2}, DType::i32, {1, 2}), p)), (std::vector<double>{0, 0}));
  Metric c(MetricKind::categorical_accuracy);  // a tie in y_true too
  EXPECT_EQ(values(c.matches(f32(Shape{2, 3}, {0.5, 0.5, 0, 0, 1, 1}), p)), (std::vector<double>{1, 1}));
}

TEST(Metric, SampleWeightShapes) {
  const Tensor y = f32(Shape{2, 2}, {1, 0, 1, 1});
  const Tensor p = f32(Shape{2, 2}, {0.9, 0.8, 0.7, 0.6});  // matches [[1, 0], [1, 1]]
  // (2,) weights gain a trailing axis and broadcast: total 2·1 + 2·0 + 1 + 1 = 4, count 2+2+1+1 = 6.
  for (const Tensor& w : {f32(Shape{2}, {2, 1}), f32(Shape{2, 1}, {2, 1}), f32(Shape{2, 1, 1}, {2, 1})}) {
    Metric m(MetricKind::binary_accuracy);
    m.update(y, p, w);
    EXPECT_EQ(m.total(), 4.0f);
    EXPECT_EQ(m.count(), 6.0f);
  }
  // A scalar weight broadcasts: 3·3 / (3·4).
  Metric scalar(MetricKind::binary_accuracy);
  scalar.update(y, p, f32(3.0));
  EXPECT_EQ(scalar.total(), 9.0f);
  EXPECT_EQ(scalar.count(), 12.0f);
  // A weight that cannot broadcast (rank 1 against rank-3 matches): the matches are averaged
  // down to the weight's rank. Row means [0.75, 0.25], w [1, 3]: total 1.5, count 4.
  Metric fallback(MetricKind::accuracy);
  fallback.update(f32(Shape{2, 2, 2}, {1, 1, 1, 0, 1, 0, 0, 0}), f32(Shape{2, 2, 2}, {1, 1, 1, 1, 1, 1, 1, 1}),
                  f32(Shape{2}, {1, 3}));
  EXPECT_EQ(fallback.total(), 1.5f);
  EXPECT_EQ(fallback.count(), 4.0f);
  EXPECT_EQ(fallback.result(), 0.375);
  // All-zero weights: count 0, result 0.
  Metric zero(MetricKind::binary_accuracy);
  zero.update(y, p, f32(Shape{2}, {0, 0}));
  EXPECT_EQ(zero.result(), 0.0);
}

TEST(Metric, ErrorsNameTheMetricAndShapesAndLeaveTheStateAlone) {
  Metric acc(MetricKind::accuracy);
  acc.update(f32(Shape{2}, {1, 0}), f32(Shape{2}, {1, 1}));
  expect_error([&] { acc.update(f32(Shape{2, 3}, std::vector<double>(6, 0)), f32(Shape{2, 2}, {0, 0, 0, 0})); },
               {"accuracy", "(2,3)", "(2,2)"});
  expect_error([&] { acc.update(f32(Shape{2}, {1, 0}), f32(Shape{2}, {1, 1}), f32(Shape{3}, {1, 1, 1})); },
               {"accuracy", "(2)", "(3)"});
  expect_error([&] { acc.update(f32(Shape{2}, {1, 0}), f32(Shape{2}, {1, 1}), f32(Shape{2, 2}, {1, 1, 1, 1})); },
               {"accuracy", "sample_weight (2,2)", "not 1"});
  EXPECT_EQ(acc.total(), 1.0f);
  EXPECT_EQ(acc.count(), 2.0f);

  Metric sparse(MetricKind::sparse_categorical_accuracy);
  expect_error([&] { sparse.update(f32(Shape{2, 3}, std::vector<double>(6, 0)), f32(Shape{2, 3}, std::vector<double>(6, 0))); },
               {"sparse_categorical_accuracy", "(2,3)", "last dimension"});
  expect_error([&] { sparse.update(make(Shape{3}, DType::i32, {0, 1, 2}), f32(Shape{2, 3}, std::vector<double>(6, 0))); },
               {"sparse_categorical_accuracy", "(3)", "(2)"});
  expect_error([&] { sparse.update(make(Shape{2}, DType::i32, {0, 1}), f32(Shape{2, 0}, {})); },
               {"sparse_categorical_accuracy", "(2,0)", "argmax"});
  Metric binary(MetricKind::binary_accuracy);
  expect_error([&] { binary.update(f32(Shape{3}, {0, 1, 1}), f32(Shape{2}, {0, 1})); }, {"binary_accuracy", "(3)", "(2)"});
  Metric categorical(MetricKind::categorical_accuracy);
  expect_error([&] { categorical.update(f32(1.0), f32(Shape{2}, {0, 1})); }, {"categorical_accuracy", "y_true ()"});
  EXPECT_EQ(sparse.count(), 0.0f);
  expect_error([] { Metric(MetricKind::binary_accuracy, std::nan("")); }, {"threshold"});
  expect_error([] { Metric(static_cast<MetricKind>(9)); }, {"unknown metric kind 9"});
}

TEST(Metric, IsNeverRecordedOnATape) {
  const Tensor p = f32(Shape{2, 2}, {0.9, 0.1, 0.2, 0.8});
  Tape tape(false, false);
  tape.begin();
  tape.watch(p);
  Metric m(MetricKind::categorical_accuracy);
  m.update(f64(Shape{2, 2}, {1, 0, 0, 1}), p);
  tape.end();
  EXPECT_EQ(tape.num_records(), 0u);
  EXPECT_EQ(m.result(), 1.0);
}

}  // namespace
}  // namespace tg
