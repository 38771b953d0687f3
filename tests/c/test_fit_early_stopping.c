/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fit_early_stopping.c — tg_callback_early_stopping through the C ABI, compiled as C99.
 * A first callback (write_score, fit_helpers.h) writes a scripted value "score" (or
 * "score_acc") into each epoch's logs, so the expected epoch of stopping follows from Keras
 * 2.15's EarlyStopping.on_epoch_end by hand (worked in the comment of each case): at each
 * epoch from start_from_epoch on, wait += 1; an improvement (current - min_delta beats best, min_delta negated in min mode) sets best and
 * resets wait unless a baseline is set and not beaten, and ends the epoch's check; otherwise
 * wait >= patience with epoch > 0 stops training (restoring the best weights if asked).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fit_helpers.h"

enum { kMaxEpochs = kScriptEpochs, kWeights = kLinearWeights };

typedef struct {
  int64_t epochs_run, stopped_epoch, best_epoch;
  size_t wait;
  double best;
} outcome;

/* Trains the linear model for up to kMaxEpochs epochs with the scripted monitor value and the
 * EarlyStopping options; `s` keeps each epoch's weights, final_weights (if not NULL) the end's. */
static outcome run_with(const tg_early_stopping_options* es_options, const char* key, const double* script,
                        scripter* s, float* final_weights) {
  linear_run r;
  tg_callback* callbacks[2] = {NULL, NULL};
  tg_history* history = NULL;
  outcome o;
  size_t count = 0;
  memset(&o, 0, sizeof o);
  linear_run_init(&r, 0.02);
  memset(s, 0, sizeof *s);
  s->key = key;
  s->script = script;
  s->model = r.model;
  CHECK_OK(tg_callback_create(write_score, s, &callbacks[0]));
  CHECK_OK(tg_callback_early_stopping(es_options, &callbacks[1]));
  r.options.epochs = kMaxEpochs;
  r.options.shuffle = 1;
  r.options.callbacks = callbacks;
  r.options.num_callbacks = 2;
  CHECK_OK(linear_run_fit(&r, &history));
  CHECK_OK(tg_history_epochs(history, NULL, 0, &count));
  o.epochs_run = (int64_t)count;
  CHECK_OK(tg_callback_early_stopping_state(callbacks[1], &o.stopped_epoch, &o.best_epoch, &o.best, &o.wait));
  if (final_weights) model_values(r.model, final_weights, kWeights);
  tg_history_free(history);
  tg_callback_free(callbacks[0]);
  tg_callback_free(callbacks[1]);
  linear_run_free(&r);
  return o;
}

static tg_early_stopping_options options_for(const char* monitor, int64_t patience) {
  tg_early_stopping_options o;
  CHECK_OK(tg_early_stopping_options_init(&o));
  o.monitor = monitor;
  o.patience = patience;
  return o;
}

static void test_patience(void) {
  static const double falls_then_rises[kMaxEpochs] = {5, 4, 4.5, 4.2, 4.1, 3.9, 3.8, 3.7};
  scripter s;
  tg_early_stopping_options es = options_for("score", 0);
  outcome o;
  /* patience 0: e0 best 5; e1 best 4; e2 4.5 does not improve, wait 1 >= 0 → stop at 2 */
  o = run_with(&es, "score", falls_then_rises, &s, NULL);
  CHECK(o.epochs_run == 3 && o.stopped_epoch == 2 && o.best_epoch == 1 && o.best == 4 && o.wait == 1);
  /* patience 2: e2 wait 1, e3 wait 2 >= 2 → stop at 3 */
  es.patience = 2;
  o = run_with(&es, "score", falls_then_rises, &s, NULL);
  CHECK(o.epochs_run == 4 && o.stopped_epoch == 3 && o.best_epoch == 1 && o.wait == 2);
  /* patience 3: e4 4.1 still no better than 4, wait 3 → stop at 4 */
  es.patience = 3;
  o = run_with(&es, "score", falls_then_rises, &s, NULL);
  CHECK(o.epochs_run == 5 && o.stopped_epoch == 4);
  /* patience 4: e5 3.9 improves; then it keeps improving: all 8 epochs run, no stop */
  es.patience = 4;
  o = run_with(&es, "score", falls_then_rises, &s, NULL);
  CHECK(o.epochs_run == 8 && o.stopped_epoch == 0 && o.best_epoch == 7 && o.best == 3.7 && o.wait == 0);
}

static void test_patience_zero_first_epoch(void) {
  static const double rising[kMaxEpochs] = {1, 2, 3, 4, 5, 6, 7, 8};
  scripter s;
  tg_early_stopping_options es = options_for("score", 0);
  /* e0 improves on +inf (no stop check); e1 does not, wait 1 >= 0 and epoch > 0 → stop at 1 */
  const outcome o = run_with(&es, "score", rising, &s, NULL);
  CHECK(o.epochs_run == 2 && o.stopped_epoch == 1 && o.best_epoch == 0 && o.best == 1);
}

static void test_min_delta(void) {
  static const double slow[kMaxEpochs] = {5, 4.6, 4.2, 3.4, 3.2, 3.1, 3.0, 2.9};
  scripter s;
  tg_early_stopping_options es = options_for("score", 2);
  outcome o;
  /* min_delta 0.5 (min mode: current + 0.5 < best): e0 best 5; e1 5.1 < 5 no, wait 1;
   * e2 4.7 < 5 yes, best 4.2; e3 3.9 < 4.2 yes, best 3.4; e4 3.7 no, wait 1; e5 3.6 no,
   * wait 2 >= 2 → stop at 5 */
  es.min_delta = 0.5;
  o = run_with(&es, "score", slow, &s, NULL);
  CHECK(o.epochs_run == 6 && o.stopped_epoch == 5 && o.best_epoch == 3 && o.best == 3.4);
  /* its sign is ignored (|min_delta|) */
  es.min_delta = -0.5;
  o = run_with(&es, "score", slow, &s, NULL);
  CHECK(o.stopped_epoch == 5);
  /* without it every epoch improves */
  es.min_delta = 0;
  o = run_with(&es, "score", slow, &s, NULL);
  CHECK(o.epochs_run == 8 && o.stopped_epoch == 0);
}

static void test_modes(void) {
  static const double accuracy[kMaxEpochs] = {0.5, 0.6, 0.55, 0.7, 0.8, 0.9, 0.95, 0.99};
  scripter s;
  tg_early_stopping_options es = options_for("score_acc", 0);
  outcome o;
  /* auto: a name ending in "acc" is maximised: e2 0.55 < 0.6 → stop at 2 */
  o = run_with(&es, "score_acc", accuracy, &s, NULL);
  CHECK(o.stopped_epoch == 2 && o.best == 0.6 && o.best_epoch == 1);
  /* explicit max on another name: the same */
  es = options_for("score", 0);
  es.mode = TG_MONITOR_MAX;
  o = run_with(&es, "score", accuracy, &s, NULL);
  CHECK(o.stopped_epoch == 2);
  /* auto on "score" minimises: e1 0.6 > 0.5 → stop at 1 */
  es.mode = TG_MONITOR_AUTO;
  o = run_with(&es, "score", accuracy, &s, NULL);
  CHECK(o.stopped_epoch == 1 && o.best == 0.5);
  /* explicit min on "score_acc" as well */
  es = options_for("score_acc", 0);
  es.mode = TG_MONITOR_MIN;
  o = run_with(&es, "score_acc", accuracy, &s, NULL);
  CHECK(o.stopped_epoch == 1);
}

static void test_baseline(void) {
  static const double script[kMaxEpochs] = {5, 6, 4, 3.5, 3.4, 3.3, 3.2, 3.1};
  scripter s;
  tg_early_stopping_options es = options_for("score", 2);
  outcome o;
  /* no baseline: e0 best 5, wait 0; e1 wait 1; e2 improves; then it keeps improving */
  o = run_with(&es, "score", script, &s, NULL);
  CHECK(o.epochs_run == 8 && o.stopped_epoch == 0);
  /* baseline 3: e0 improves but does not beat 3, so wait stays 1; e1 wait 2 >= 2 → stop at 1 */
  es.baseline = 3.0;
  o = run_with(&es, "score", script, &s, NULL);
  CHECK(o.epochs_run == 2 && o.stopped_epoch == 1 && o.best == 5 && o.wait == 2);
}

static void test_start_from_epoch(void) {
  static const double rising[kMaxEpochs] = {5, 6, 7, 8, 9, 10, 11, 12};
  scripter s;
  tg_early_stopping_options es = options_for("score", 0);
  outcome o;
  /* epochs 0 and 1 are not monitored: e2 improves on +inf; e3 does not → stop at 3 */
  es.start_from_epoch = 2;
  o = run_with(&es, "score", rising, &s, NULL);
  CHECK(o.epochs_run == 4 && o.stopped_epoch == 3 && o.best_epoch == 2 && o.best == 7);
}

static void test_restore_best_weights(void) {
  static const double script[kMaxEpochs] = {5, 4, 4.5, 4.7, 4.8, 4.9, 5, 5.1};
  static const double improving[kMaxEpochs] = {8, 7, 6, 5, 4, 3, 2, 1};
  scripter s;
  tg_early_stopping_options es = options_for("score", 1);
  float final_weights[kWeights];
  FILE* messages = tmpfile();
  char text[256];
  size_t n;
  outcome o;
  CHECK(messages != NULL);
  /* stops at 2 (best epoch 1): the weights become those at the end of epoch 1 */
  es.restore_best_weights = 1;
  es.verbose_stream = messages;
  o = run_with(&es, "score", script, &s, final_weights);
  CHECK(o.stopped_epoch == 2 && o.best_epoch == 1);
  CHECK(memcmp(final_weights, s.weights[1], sizeof final_weights) == 0);
  CHECK(memcmp(final_weights, s.weights[2], sizeof final_weights) != 0);
  rewind(messages);
  n = fread(text, 1, sizeof text - 1, messages);
  text[n] = 0;
  CHECK(strcmp(text, "Restoring model weights from the end of the best epoch: 2.\nEpoch 3: early stopping\n") == 0);
  fclose(messages);
  /* without restore_best_weights, the last epoch's weights stay */
  es.restore_best_weights = 0;
  es.verbose_stream = NULL;
  o = run_with(&es, "score", script, &s, final_weights);
  CHECK(memcmp(final_weights, s.weights[2], sizeof final_weights) == 0);
  /* all epochs run: nothing is restored (Keras 2) */
  es.restore_best_weights = 1;
  o = run_with(&es, "score", improving, &s, final_weights);
  CHECK(o.stopped_epoch == 0 && memcmp(final_weights, s.weights[7], sizeof final_weights) == 0);
}

static void record_warning(const char* message, void* context) {
  char* buffer = (char*)context;
  if (!buffer[0]) strncat(buffer, message, 255);
}

static void test_missing_monitor(void) {
  static const double script[kMaxEpochs] = {1, 2, 3, 4, 5, 6, 7, 8};
  scripter s;
  char warning[256] = "";
  tg_early_stopping_options es = options_for("val_loss", 0); /* the run has no validation */
  outcome o;
  CHECK_OK(tg_set_warning_handler(record_warning, warning));
  o = run_with(&es, "score", script, &s, NULL);
  CHECK_OK(tg_set_warning_handler(NULL, NULL));
  CHECK(o.epochs_run == 8 && o.stopped_epoch == 0);
  CHECK(strcmp(warning, "Early stopping conditioned on metric `val_loss` which is not available. "
                        "Available metrics are: loss,score") == 0);
}

static void test_options_and_bad_arguments(void) {
  tg_early_stopping_options o;
  tg_callback* cb = NULL;
  CHECK_OK(tg_early_stopping_options_init(&o));
  CHECK(o.struct_size == sizeof o && strcmp(o.monitor, "val_loss") == 0 && o.min_delta == 0 && o.patience == 0 &&
        o.mode == TG_MONITOR_AUTO && isnan(o.baseline) && o.restore_best_weights == 0 && o.start_from_epoch == 0 &&
        o.verbose_stream == NULL);
  CHECK_OK(tg_callback_early_stopping(NULL, &cb)); /* all defaults */
  tg_callback_free(cb);
  o.patience = (size_t)-1; /* a negative count cast to size_t */
  CHECK_ERR(tg_callback_early_stopping(&o, &cb), TG_INVALID_ARGUMENT, "[tg_callback_early_stopping]",
            "options->patience", "too large");
  o.patience = 0;
  o.monitor = NULL;
  CHECK_ERR(tg_callback_early_stopping(&o, &cb), TG_INVALID_ARGUMENT, "options->monitor is NULL");
  o.monitor = "";
  CHECK_ERR(tg_callback_early_stopping(&o, &cb), TG_INVALID_ARGUMENT, "monitor is empty");
  o.monitor = "val_loss";
  o.mode = (tg_monitor_mode)7;
  CHECK_ERR(tg_callback_early_stopping(&o, &cb), TG_INVALID_ARGUMENT, "options->mode is 7");
  o.mode = TG_MONITOR_AUTO;
  o.min_delta = NAN;
  CHECK_ERR(tg_callback_early_stopping(&o, &cb), TG_INVALID_ARGUMENT, "min_delta");
  o.min_delta = 0;
  o.start_from_epoch = -2;
  CHECK_ERR(tg_callback_early_stopping(&o, &cb), TG_INVALID_ARGUMENT, "start_from_epoch");
  o.start_from_epoch = 0;
  o.struct_size = 0;
  CHECK_ERR(tg_callback_early_stopping(&o, &cb), TG_INVALID_ARGUMENT, "struct_size is 0", "_init");
  o.struct_size = sizeof o + 8;
  CHECK_ERR(tg_callback_early_stopping(&o, &cb), TG_INVALID_ARGUMENT, "struct_size");
  o.struct_size = sizeof o - 8;
  CHECK_ERR(tg_callback_early_stopping(&o, &cb), TG_INVALID_ARGUMENT, "struct_size");
  CHECK_ERR(tg_callback_early_stopping(NULL, NULL), TG_INVALID_ARGUMENT, "out");
  CHECK_ERR(tg_early_stopping_options_init(NULL), TG_INVALID_ARGUMENT, "options");
  CHECK_ERR(tg_callback_early_stopping_state(NULL, NULL, NULL, NULL, NULL), TG_INVALID_HANDLE, "callback");
}

int main(void) {
  test_patience();
  test_patience_zero_first_epoch();
  test_min_delta();
  test_modes();
  test_baseline();
  test_start_from_epoch();
  test_restore_best_weights();
  test_missing_monitor();
  test_options_and_bad_arguments();
  return check_summary();
}
