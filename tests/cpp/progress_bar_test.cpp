// SPDX-License-Identifier: Apache-2.0
// The progress bar's text with a fake clock, exactly. The expected strings come from Keras
// 2.15's Progbar.update (keras/utils/generic_utils.py) transcribed to Python and run with the
// same clock readings (1000 + t seconds) and updates, minus the backspaces Keras writes before
// each "\r":
//   p = Progbar(target, verbose=v, stateful_metrics=[...]); p.update(current, values, finalize)
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "nn/model.h"
#include "nn/training/progress_bar.h"
#include "tensor/error.h"

namespace tg {
namespace {

struct Update {
  int64_t current;
  std::vector<std::pair<std::string, double>> values;
  bool finalize;
};

// Runs the updates on a Progbar whose clock reads 1000 + times[i] at its i-th reading (the
// first at construction) and returns what it wrote.
std::string render(std::vector<double> times, std::optional<int64_t> target, int verbose,
                   std::set<std::string> stateful, const std::vector<Update>& updates) {
  std::FILE* out = std::tmpfile();
  size_t next = 0;
  {
    Progbar bar(out, target, verbose, std::move(stateful), [&] { return 1000.0 + times.at(next++); });
    for (const Update& u : updates) {
      Logs logs;
      for (const auto& [k, v] : u.values) logs.set(k, v);
      bar.update(u.current, logs, u.finalize);
    }
  }
  std::rewind(out);
  std::string text;
  for (int c; (c = std::fgetc(out)) != EOF;) text += static_cast<char>(c);
  std::fclose(out);
  return text;
}

TEST(ProgressBar, RedrawsThrottledEtaAndFinalLine) {
  // The update at t = 0.52 comes 0.02 s after the previous redraw: not drawn. ETA 4s, then
  // 2:04; the final line: elapsed, time per step from the end of the first step, the
  // stateful loss as is (%.4e below 1e-3), val_loss averaged over the steps it covers.
  EXPECT_EQ(render({0, 0.5, 0.52, 100, 4000}, 10, 1, {"loss"},
                   {{1, {{"loss", 0.5}}, false},
                    {2, {{"loss", 0.4}}, false},
                    {5, {{"loss", 0.3}}, false},
                    {10, {{"loss", 0.0001}, {"val_loss", 2.0}}, true}}),
            "\r 1/10 [==>...........................] - ETA: 4s - loss: 0.5000"
            "\r 5/10 [==============>...............] - ETA: 2:04 - loss: 0.3000"
            "\r10/10 [==============================] - 4000s 444s/step - loss: 1.0000e-04 - val_loss: 2.0000\n");
}

TEST(ProgressBar, EtaInHoursAndNegativeValues) {
  EXPECT_EQ(render({0, 10, 20}, 1000, 1, {"loss"}, {{1, {{"loss", 1.25}}, false}, {2, {{"loss", -0.5}}, false}}),
            "\r   1/1000 [..............................] - ETA: 2:46:30 - loss: 1.2500"
            "\r   2/1000 [..............................] - ETA: 2:46:20 - loss: -0.5000");
}

TEST(ProgressBar, Verbose2PrintsOneLineAtTheEnd) {
  // Keras's verbose-2 branch tests `avg > 1e-3` (not its absolute value): -0.5 prints as %.4e.
  EXPECT_EQ(render({0, 2.75}, 4, 2, {"loss"}, {{4, {{"loss", 0.25}, {"acc", 0.0005}, {"neg", -0.5}}, true}}),
            "4/4 - 3s - loss: 0.2500 - acc: 5.0000e-04 - neg: -5.0000e-01 - 3s/epoch - 688ms/step\n");
}

TEST(ProgressBar, UnknownTarget) {
  // Non-stateful values are averaged over the steps: (1·3 + 4·3) / 6.
  EXPECT_EQ(render({0, 1.0, 1.25}, std::nullopt, 1, {}, {{3, {{"a", 1.0}}, false}, {6, {{"a", 4.0}}, false}}),
            "\r      3/Unknown - 1s 333ms/step - a: 1.0000"
            "\r      6/Unknown - 1s 208ms/step - a: 2.5000");
}

TEST(ProgressBar, ShorterLineIsPaddedAndMicroseconds) {
  EXPECT_EQ(render({0, 0.0001, 0.0003}, 2, 1, {"loss"},
                   {{1, {{"loss", 1234567890.5}}, false}, {2, {{"loss", 0.5}}, true}}),
            "\r1/2 [==============>...............] - ETA: 0s - loss: 1234567890.5000"
            "\r2/2 [==============================] - 0s 200us/step - loss: 0.5000   \n");
}

TEST(ProgressBar, LoggerInFit) {
  // "Epoch i/E" before each epoch when epochs > 1; fit's validation draws nothing; the epoch's
  // line comes at its end (verbose 2).
  std::FILE* out = std::tmpfile();
  double now = 1000.0;
  ProgressBarLogger logger(out, 2, [&] { return now; });
  Model model("m");
  TrainingState state{model, nullptr, 2, 3, 2, {"loss"}};
  Logs none, logs;
  logs.set("loss", 0.5);
  logger.on_train_begin(state, none);
  logger.on_epoch_begin(state, 0, none);
  now += 1.25;
  logger.on_test_begin(state, none);
  logger.on_test_batch_end(state, 0, logs);
  logger.on_test_end(state, logs);
  logger.on_epoch_end(state, 0, logs);
  logger.on_train_end(state, logs);
  state.epochs = 1;  // evaluate: its own line, no header
  logger.on_test_begin(state, none);
  now += 2.0;
  logger.on_test_end(state, logs);
  std::rewind(out);
  std::string text;
  for (int c; (c = std::fgetc(out)) != EOF;) text += static_cast<char>(c);
  std::fclose(out);
  EXPECT_EQ(text,
            "Epoch 1/2\n3/3 - 1s - loss: 0.5000 - 1s/epoch - 417ms/step\n"
            "3/3 - 2s - loss: 0.5000 - 2s/epoch - 667ms/step\n");
}

TEST(ProgressBar, LoggerRejectsBadArguments) {
  EXPECT_THROW(ProgressBarLogger(stdout, 0), Error);
  EXPECT_THROW(ProgressBarLogger(stdout, 3), Error);
  EXPECT_THROW(ProgressBarLogger(nullptr, 1), Error);
}

}  // namespace
}  // namespace tg
