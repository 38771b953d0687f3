/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fit_progress.c — the Keras progress bar (tg_callback_progress_bar and the options'
 * verbose) written to a tmpfile, compiled as C99. Times vary, so lines are matched against
 * patterns in which '#' stands for one or more digits and '~' for a time unit (s, ms or us);
 * everything else must match exactly, Keras 2.15's Progbar format:
 *   verbose 1: "Epoch i/E\n", then per epoch "\r"-separated redraws, the first
 *     "1/3 [=========>....................] - ETA: #s - loss: …", the last
 *     "3/3 [==============================] - #s #~/step - loss: …" (padded) and "\n";
 *   verbose 2: "3/3 - #s - loss: … - #~/epoch - #~/step\n".
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fit_helpers.h"

/* Does `text` match `pattern` exactly ('#': digits, '~': s / ms / us)? */
static int matches(const char* text, const char* pattern) {
  while (*pattern) {
    if (*pattern == '#') {
      if (!isdigit((unsigned char)*text)) return 0;
      while (isdigit((unsigned char)*text)) ++text;
      ++pattern;
    } else if (*pattern == '~') {
      if (text[0] == 's') text += 1;
      else if ((text[0] == 'm' || text[0] == 'u') && text[1] == 's') text += 2;
      else return 0;
      ++pattern;
    } else if (*text++ != *pattern++) {
      return 0;
    }
  }
  return *text == 0;
}

static int check_match_at(const char* file, int line, const char* text, const char* pattern) {
  char detail[512];
  snprintf(detail, sizeof detail, "\"%.200s\" does not match \"%.200s\"", text, pattern);
  return check_report(matches(text, pattern), file, line, "line matches its pattern", detail);
}
#define CHECK_MATCH(text, pattern) check_match_at(__FILE__, __LINE__, (text), (pattern))

/* The whole content of a tmpfile, NUL-terminated, in buffer. */
static const char* contents(FILE* f, char* buffer, size_t size) {
  size_t n;
  rewind(f);
  n = fread(buffer, 1, size - 1, f);
  buffer[n] = 0;
  return buffer;
}

/* The line `text` up to (not including) the first of `stops`, copied into out. */
static const char* until(const char* text, const char* stops, char* out, size_t size) {
  size_t n = strcspn(text, stops);
  if (n >= size) n = size - 1;
  memcpy(out, text, n);
  out[n] = 0;
  return out;
}

/* The end of the padded final line: trailing spaces removed. */
static char* trim(char* s) {
  size_t n = strlen(s);
  while (n && s[n - 1] == ' ') s[--n] = 0;
  return s;
}

/* The linear run (fit_helpers.h) with SGD(0.1) for 2 epochs: test_fit.c's reference run. */
static void run_init(linear_run* r) {
  linear_run_init(r, 0.1);
  r->options.epochs = 2;
}

/* Checks the two epochs' output of the reference run: after each "Epoch i/2" header the first
 * redraw is `first[i]` (batch 1 is always drawn), and the epoch's last redraw, which ends with
 * "\n", is the final line with the epoch's loss. */
static void check_two_epochs(const char* text, const char* first0, const char* first1) {
  static const char* const final_lines[2] = {"3/3 [==============================] - #s #~/step - loss: 1.5796",
                                             "3/3 [==============================] - #s #~/step - loss: 2.1701"};
  const char* firsts[2];
  char line[512];
  int epoch;
  firsts[0] = first0;
  firsts[1] = first1;
  for (epoch = 0; epoch < 2; ++epoch) {
    char header[16];
    const char *begin, *end, *last;
    snprintf(header, sizeof header, "Epoch %d/2\n\r", epoch + 1);
    begin = strstr(text, header);
    if (!CHECK(begin != NULL)) return;
    begin += strlen(header);
    CHECK_MATCH(until(begin, "\r\n", line, sizeof line), firsts[epoch]);
    end = strchr(begin, '\n'); /* only the final redraw ends its line */
    if (!CHECK(end != NULL)) return;
    for (last = end; last > begin && *last != '\r'; --last) {
    }
    CHECK_MATCH(trim((char*)until(last == begin ? begin : last + 1, "\n", line, sizeof line)), final_lines[epoch]);
  }
}

/* The numpy losses of test_fit.c's reference run: epoch 1 1.57962, epoch 2 2.17006186. */
static void test_verbose_1(void) {
  linear_run r;
  FILE* out = tmpfile();
  tg_callback* bar = NULL;
  static char text[8192];
  const char* p;
  CHECK(out != NULL);
  run_init(&r);
  CHECK_OK(tg_callback_progress_bar(out, 1, &bar));
  r.options.callbacks = &bar;
  r.options.num_callbacks = 1;
  CHECK_OK(tg_model_fit(r.model, r.mse, r.sgd, NULL, 0, r.x, r.y, &r.options, NULL));
  p = contents(out, text, sizeof text);
  CHECK(strncmp(p, "Epoch 1/2\n", 10) == 0 && p[strlen(p) - 1] == '\n');
  check_two_epochs(p, "1/3 [=========>....................] - ETA: #s - loss: 0.5000",
                   "1/3 [=========>....................] - ETA: #s - loss: 4.4067");
  fclose(out);
  tg_callback_free(bar);
  linear_run_free(&r);
}

/* verbose 2 through the options; validation values and a value <= 1e-3 (%.4e) in the line. */
static double tiny_rate(int64_t epoch, double learning_rate, void* user_data) {
  (void)epoch;
  (void)learning_rate;
  (void)user_data;
  return 1e-4;
}

static void test_verbose_2(void) {
  linear_run r;
  FILE* out = tmpfile();
  tg_callback* lr = NULL;
  static char text[4096];
  char line[512];
  const char* p;
  CHECK(out != NULL);
  run_init(&r);
  CHECK_OK(tg_callback_learning_rate_scheduler(tiny_rate, NULL, NULL, &lr));
  r.options.verbose = 2;
  r.options.verbose_stream = out;
  r.options.validation_x = r.x;
  r.options.validation_y = r.y;
  r.options.callbacks = &lr;
  r.options.num_callbacks = 1;
  CHECK_OK(tg_model_fit(r.model, r.mse, r.sgd, NULL, 0, r.x, r.y, &r.options, NULL));
  p = contents(out, text, sizeof text);
  CHECK(strncmp(p, "Epoch 1/2\n", 10) == 0);
  CHECK_MATCH(until(p + 10, "\n", line, sizeof line),
              "3/3 - #s - loss: #.# - val_loss: #.# - lr: 1.0000e-04 - #~/epoch - #~/step");
  CHECK(strchr(p, '\r') == NULL);
  p = strstr(p, "Epoch 2/2\n");
  CHECK(p != NULL);
  if (p) CHECK_MATCH(until(p + 10, "\n", line, sizeof line),
                     "3/3 - #s - loss: #.# - val_loss: #.# - lr: 1.0000e-04 - #~/epoch - #~/step");
  fclose(out);
  tg_callback_free(lr);
  linear_run_free(&r);
}

/* One epoch: no "Epoch 1/1" line. evaluate and predict show their own bar. */
static void test_evaluate_predict_bars(void) {
  linear_run r;
  FILE* out = tmpfile();
  static char text[4096];
  char line[512];
  const char* last;
  tg_evaluate_options eval;
  tg_predict_options pred;
  tg_tensor* y_pred = NULL;
  double loss = 0;
  CHECK(out != NULL);
  run_init(&r);
  r.options.epochs = 1;
  r.options.verbose = 1;
  r.options.verbose_stream = out;
  CHECK_OK(tg_model_fit(r.model, r.mse, r.sgd, NULL, 0, r.x, r.y, &r.options, NULL));
  CHECK(strncmp(contents(out, text, sizeof text), "\r1/3 [", 6) == 0);
  fclose(out);

  out = tmpfile();
  CHECK_OK(tg_evaluate_options_init(&eval));
  eval.batch_size = 2;
  eval.verbose = 1;
  eval.verbose_stream = out;
  CHECK_OK(tg_model_evaluate(r.model, r.mse, NULL, 0, r.x, r.y, &eval, &loss, 1));
  contents(out, text, sizeof text);
  CHECK(text[0] == '\r' && text[strlen(text) - 1] == '\n');
  last = strrchr(text, '\r');
  snprintf(line, sizeof line, "3/3 [==============================] - #s #~/step - loss: %.4f", loss);
  {
    char got[512];
    if (last) CHECK_MATCH(trim((char*)until(last + 1, "\n", got, sizeof got)), line);
  }
  fclose(out);

  out = tmpfile();
  CHECK_OK(tg_predict_options_init(&pred));
  pred.batch_size = 2;
  pred.verbose = 2;
  pred.verbose_stream = out;
  CHECK_OK(tg_model_predict(r.model, r.x, &pred, &y_pred));
  CHECK_MATCH(contents(out, text, sizeof text), "3/3 - #s - #~/epoch - #~/step\n");
  tg_tensor_free(y_pred);
  fclose(out);
  linear_run_free(&r);
}

/* A dataset of unknown length: the first epoch counts "step/Unknown", then knows 3 steps. */
static tg_status three_batches(int64_t epoch, int64_t step, tg_tensor** x, tg_tensor** y, tg_tensor** sample_weight,
                               void* user_data) {
  const int64_t rows = step < 2 ? 2 : 1, x_shape[2] = {rows, 2}, y_shape[2] = {rows, 1};
  float xs[4], ys[2];
  int64_t i;
  tg_status s;
  (void)epoch;
  (void)sample_weight;
  (void)user_data;
  if (step >= 3) return TG_OK;
  for (i = 0; i < rows * 2; ++i) xs[i] = (float)kFitX[4 * step + i];
  for (i = 0; i < rows; ++i) ys[i] = (float)kFitY[2 * step + i];
  if ((s = tg_tensor_create(TG_FLOAT32, x_shape, 2, xs, x)) != TG_OK) return s;
  return tg_tensor_create(TG_FLOAT32, y_shape, 2, ys, y);
}

static void test_unknown_steps(void) {
  linear_run r;
  FILE* out = tmpfile();
  tg_dataset* data = NULL;
  static char text[8192];
  CHECK(out != NULL);
  run_init(&r);
  CHECK_OK(tg_dataset_create(TG_UNKNOWN_STEPS, three_batches, NULL, &data));
  r.options.verbose = 1;
  r.options.verbose_stream = out;
  CHECK_OK(tg_model_fit(r.model, r.mse, r.sgd, NULL, 0, data, NULL, &r.options, NULL));
  /* the first epoch counts "step/Unknown"; from the second on, the bar knows its 3 steps */
  check_two_epochs(contents(out, text, sizeof text), "      1/Unknown - #s #~/step - loss: 0.5000",
                   "1/3 [=========>....................] - ETA: #s - loss: 4.4067");
  fclose(out);
  tg_dataset_free(data);
  linear_run_free(&r);
}

static void test_errors(void) {
  linear_run r;
  tg_callback* bar = NULL;
  FILE* read_only;
  char path[] = "tg_progress_readonly.txt";
  CHECK_ERR(tg_callback_progress_bar(stdout, 0, &bar), TG_INVALID_ARGUMENT, "[tg_callback_progress_bar]",
            "verbose must be 1 or 2, got 0");
  CHECK_ERR(tg_callback_progress_bar(stdout, 3, &bar), TG_INVALID_ARGUMENT, "verbose");
  CHECK_ERR(tg_callback_progress_bar(stdout, 1, NULL), TG_INVALID_ARGUMENT, "out");
  run_init(&r);
  r.options.verbose = 3;
  CHECK_ERR(tg_model_fit(r.model, r.mse, r.sgd, NULL, 0, r.x, r.y, &r.options, NULL), TG_INVALID_ARGUMENT,
            "[tg_model_fit]", "verbose must be 0, 1 or 2, got 3");
  /* a stream that cannot be written: TG_IO_ERROR, the model untouched but usable */
  read_only = fopen(path, "w");
  CHECK(read_only != NULL);
  if (read_only) fclose(read_only);
  read_only = fopen(path, "r");
  CHECK(read_only != NULL);
  if (read_only) {
    r.options.verbose = 1;
    r.options.verbose_stream = read_only;
    CHECK_ERR(tg_model_fit(r.model, r.mse, r.sgd, NULL, 0, r.x, r.y, &r.options, NULL), TG_IO_ERROR,
              "progress bar: cannot write to its stream");
    fclose(read_only);
  }
  remove(path);
  r.options.verbose = 0;
  CHECK_OK(tg_model_fit(r.model, r.mse, r.sgd, NULL, 0, r.x, r.y, &r.options, NULL));
  linear_run_free(&r);
}

int main(void) {
  test_verbose_1();
  test_verbose_2();
  test_evaluate_predict_bars();
  test_unknown_steps();
  test_errors();
  return check_summary();
}
