// SPDX-License-Identifier: Apache-2.0
// The C++ wrapper's models, layers, callbacks and fit / evaluate / predict.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "tapegrad/tapegrad.hpp"

namespace tf = tapegrad;

namespace {

// y = 2·x0 − x1 + 1 on 16 points: a Dense(1) can learn it exactly.
struct Data {
  tf::Tensor x, y;
};
Data line_data() {
  std::vector<float> x, y;
  for (int i = 0; i < 16; ++i) {
    const float a = static_cast<float>(i % 4) / 4, b = static_cast<float>(i / 4) / 4;
    x.push_back(a);
    x.push_back(b);
    y.push_back(2 * a - b + 1);
  }
  return {tf::Tensor::from(x, {16, 2}), tf::Tensor::from(y, {16, 1})};
}

tf::Model linear_model() {
  tf::Model model;
  model.add(tf::Dense(1));
  model.build({-1, 2});
  return model;
}

}  // namespace

TEST(HppModel, BuildLayersSummaryAndWeights) {
  tf::check(tg_clear_session());
  tf::Model model("my_model");
  tf::Layer hidden = model.add(tf::Dense(32, TG_ACTIVATION_RELU, 1));
  model.add(tf::Dense(10, TG_ACTIVATION_LINEAR, 2, TG_FLOAT64));
  model.build({-1, 32});
  EXPECT_EQ(model.num_layers(), 2u);
  EXPECT_EQ(model.layer("dense_1").name(), "dense_1");
  EXPECT_EQ(hidden.variable("kernel").id(), model.trainable_variables()[0].id());
  EXPECT_EQ(model.layer(1).variable("bias").dtype(), TG_FLOAT64);
  EXPECT_THROW(model.layer("head"), tf::Error);
  // Keras 2.15's table: 1056 float32 parameters (4224 bytes) and 330 float64 (2640 bytes).
  const std::string summary = model.summary();
  EXPECT_EQ(summary.substr(0, summary.find('\n')), "Model: \"my_model\"");
  EXPECT_NE(summary.find(" dense (Dense)               (None, 32)                1056      \n"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("Total params: 1386 (6.70 KB)\n"), std::string::npos) << summary;
  std::vector<tf::Tensor> weights = model.get_weights();
  ASSERT_EQ(weights.size(), 4u);
  weights[1] = tf::Tensor::fill({32}, 0.5);
  model.set_weights(weights);
  EXPECT_EQ(hidden.variable("bias").value().values<float>(), std::vector<float>(32, 0.5f));
  hidden.set_trainable(false);
  EXPECT_EQ(model.trainable_variables().size(), 2u);
  tf::Tensor out = model(tf::ones({3, 32}));
  EXPECT_EQ(out.shape(), (tf::Shape{3, 10}));
  EXPECT_EQ(out.dtype(), TG_FLOAT64);
}

TEST(HppModel, FitEvaluatePredictAndHistory) {
  Data d = line_data();
  tf::Model model = linear_model();
  tf::Loss mse = tf::Loss::mean_squared_error();
  tf::Optimizer sgd("sgd");
  sgd.set("learning_rate", 0.3);
  tf::FitOptions options;
  options.epochs = 60;
  options.batch_size = 4;
  tf::History history = model.fit(mse, sgd, {}, d.x, d.y, options);
  EXPECT_EQ(history.keys(), (std::vector<std::string>{"loss"}));
  EXPECT_EQ(history.epochs().size(), 60u);
  const std::vector<double> loss = history.values("loss");
  EXPECT_LT(loss.back(), 1e-3 * loss.front());
  EXPECT_EQ(sgd.iterations(), 60 * 4);
  EXPECT_NEAR(model.layer(0).variable("kernel").value().values<float>()[0], 2.0f, 0.05f);
  const std::vector<double> results = model.evaluate(mse, {}, d.x, d.y);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NEAR(results[0], loss.back(), 1e-2);
  const tf::Tensor x = tf::Tensor::from<float>({1, 1}, {1, 2});
  EXPECT_NEAR(model.predict(x).item(), 2.0, 0.05);  // 2·1 − 1 + 1
  EXPECT_GT(model.train_step(mse, sgd, {}, d.x, d.y), 0.0);
}

TEST(HppModel, ACnnWithBatchNormalizationTrainsAndCountsItsParameters) {
  tf::Model model("cnn");
  model.add(tf::Reshape({4, 4, 1}));
  model.add(tf::Conv2D(2, {3, 3}, TG_ACTIVATION_RELU, {1, 1}, TG_PADDING_SAME, 1));
  tf::Layer bn = model.add(tf::BatchNormalization());
  model.add(tf::MaxPooling2D());
  model.add(tf::GlobalAveragePooling2D());
  model.add(tf::Dense(1));
  model.build({-1, 16});
  // conv 3·3·1·2 + 2 = 20, batch norm 4·2 = 8 (4 moving statistics), dense 2 + 1 = 3.
  const std::string summary = model.summary();
  EXPECT_NE(summary.find("Total params: 31 (124.00 Byte)\n"), std::string::npos) << summary;
  EXPECT_NE(summary.find("Non-trainable params: 4 (16.00 Byte)\n"), std::string::npos) << summary;
  EXPECT_NE(summary.find(" conv2d (Conv2D)             (None, 4, 4, 2)           20        \n"), std::string::npos)
      << summary;
  EXPECT_EQ(model.trainable_variables().size(), 6u);
  std::vector<float> xs(16 * 8);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(i % 7) / 7;
  const tf::Tensor x = tf::Tensor::from(xs, {8, 16}), y = tf::ones({8, 1});
  tf::Loss mse = tf::Loss::mean_squared_error();
  tf::Optimizer sgd("sgd");
  model.train_step(mse, sgd, {}, x, y);  // training: the moving mean leaves its initial zeros
  EXPECT_NE(bn.variable("moving_mean").value().values<float>(), std::vector<float>(2, 0.0f));
  const std::vector<float> moving = bn.variable("moving_mean").value().values<float>();
  model.predict(x);  // inference: unchanged
  EXPECT_EQ(bn.variable("moving_mean").value().values<float>(), moving);
  EXPECT_THROW(tf::Layer(tf::Reshape({-1, -1})), tf::Error);
}

TEST(HppModel, CallbacksSeeEventsStopAndRethrow) {
  Data d = line_data();
  tf::Model model = linear_model();
  tf::Loss mse = tf::Loss::mean_squared_error();
  tf::Optimizer adam("adam");
  std::vector<std::string> seen;
  tf::Callback recorder([&](tg_callback_event event, int64_t index, tf::Logs& logs, tf::Training& training) {
    if (event == TG_ON_EPOCH_END) {
      seen.push_back("epoch " + std::to_string(index) + " loss " + (logs.get("loss") > 0 ? "> 0" : "0"));
      logs.set("custom", 1.5);
      if (index == 1) training.stop();
    }
  });
  tf::FitOptions options;
  options.epochs = 5;
  tf::History history = model.fit(mse, adam, {}, d.x, d.y, options, {&recorder});
  EXPECT_EQ(seen, (std::vector<std::string>{"epoch 0 loss > 0", "epoch 1 loss > 0"}));
  EXPECT_EQ(history.values("custom"), (std::vector<double>{1.5, 1.5}));

  tf::Callback thrower([](tg_callback_event event, int64_t, tf::Logs&, tf::Training&) {
    if (event == TG_ON_TRAIN_BATCH_END) throw std::domain_error("from the callback");
  });
  EXPECT_THROW(model.fit(mse, adam, {}, d.x, d.y, options, {&thrower}), std::domain_error);
  model.fit(mse, adam, {}, d.x, d.y, options, {&recorder});  // usable after the error

  tg_early_stopping_options es = tf::early_stopping_options();
  es.monitor = "loss";
  es.patience = 0;
  tf::Callback stop = tf::Callback::early_stopping(es);
  tf::Optimizer frozen("sgd");
  frozen.set("learning_rate", 1e-30);  // the loss cannot improve: stops after epoch 1
  tf::History stopped = model.fit(mse, frozen, {}, d.x, d.y, options, {&stop});
  EXPECT_EQ(stopped.epochs(), (std::vector<int64_t>{0, 1}));
}

TEST(HppModel, StructuralCheckpointIntoASecondModel) {
  const std::string path = ::testing::TempDir() + "/hpp_model.safetensors";
  tf::Model first = linear_model();
  tf::Optimizer adam("adam");
  Data d = line_data();
  first.train_step(tf::Loss::mean_squared_error(), adam, {}, d.x, d.y);
  first.save_weights(path, &adam);
  tf::Model second = linear_model();  // other automatic names
  tf::Optimizer adam2("adam");
  second.load_weights(path, &adam2);
  EXPECT_EQ(adam2.iterations(), 1);
  EXPECT_EQ(second.predict(d.x).values<float>(), first.predict(d.x).values<float>());
  tf::Model wider;
  wider.add(tf::Dense(2));
  wider.build({-1, 2});
  EXPECT_THROW(wider.load_weights(path), tf::Error);
  std::remove(path.c_str());
}
