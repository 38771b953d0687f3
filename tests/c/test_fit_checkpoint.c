/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fit_checkpoint.c — tg_callback_model_checkpoint through the C ABI, compiled as C99:
 * a file per epoch (placeholders filled, directories created) whose content is the weights
 * at that epoch's end; save_best_only with Keras 2.15's rule (strictly better than the best so
 * far, from initial_value_threshold or ±inf; mode auto = max when the monitor contains "acc");
 * the verbose messages; a missing monitor; saving every save_freq batches; the optimizer's
 * state without save_weights_only; bad arguments and unwritable paths.
 * A first callback writes a scripted value "score" into each epoch's logs and keeps the
 * weights at each epoch's end.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, rmdir */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fit_helpers.h"

enum { kEpochs = 4, kWeights = kLinearWeights };

static char g_dir[64];

/* g_dir + "/" + name, in one of 8 buffers used in turn (so a few may be alive at once). */
static const char* in_dir(const char* name) {
  static char paths[8][256];
  static int next;
  char* path = paths[next++ % 8];
  snprintf(path, sizeof paths[0], "%s/%s", g_dir, name);
  return path;
}

/* A filepath option that outlives the in_dir buffers. */
static const char* option_path(char* buffer, size_t size, const char* name) {
  snprintf(buffer, size, "%s/%s", g_dir, name);
  return buffer;
}

static int exists(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f) fclose(f);
  return f != NULL;
}

/* The linear run with a scripter (fit_helpers.h) then a ModelCheckpoint, for kEpochs epochs. */
typedef struct {
  linear_run base;
  scripter s;
  tg_callback* callbacks[2];
} run;

static void run_init(run* r, const char* key, const double* script, const tg_model_checkpoint_options* ckpt) {
  memset(r, 0, sizeof *r);
  linear_run_init(&r->base, 0.02);
  r->s.key = key;
  r->s.script = script;
  r->s.model = r->base.model;
  CHECK_OK(tg_callback_create(write_score, &r->s, &r->callbacks[0]));
  CHECK_OK(tg_callback_model_checkpoint(ckpt, &r->callbacks[1]));
  r->base.options.shuffle = 1;
  r->base.options.epochs = kEpochs;
  r->base.options.callbacks = r->callbacks;
  r->base.options.num_callbacks = 2;
}

static tg_status run_fit(run* r) { return linear_run_fit(&r->base, NULL); }

static void run_free(run* r) {
  tg_callback_free(r->callbacks[0]);
  tg_callback_free(r->callbacks[1]);
  linear_run_free(&r->base);
}

/* The weights a checkpoint file holds, loaded into a fresh model of the same architecture. */
static void weights_in(const char* path, float* out) {
  tg_model* fresh = dense_model(1, TG_ACTIVATION_LINEAR, 0, 99);
  const int64_t shape[2] = {-1, 2};
  CHECK_OK(tg_model_build(fresh, shape, 2));
  CHECK_OK(tg_model_load_weights(fresh, path, NULL));
  model_values(fresh, out, kWeights);
  tg_model_free(fresh);
}

static void test_every_epoch(void) {
  char filepath[256];
  tg_model_checkpoint_options o;
  run r;
  char name[64];
  float saved[kWeights];
  const char* last = NULL;
  int epoch;
  CHECK_OK(tg_model_checkpoint_options_init(&o));
  CHECK(o.struct_size == sizeof o && strcmp(o.monitor, "val_loss") == 0 && o.save_best_only == 0 &&
        o.save_weights_only == 0 && o.mode == TG_MONITOR_AUTO && o.save_freq == 0 &&
        isnan(o.initial_value_threshold) && o.filepath == NULL && o.verbose_stream == NULL);
  /* the directories do not exist yet */
  o.filepath = option_path(filepath, sizeof filepath, "every/sub/w.{epoch:02d}.safetensors");
  run_init(&r, NULL, NULL, &o);
  CHECK_OK(run_fit(&r));
  for (epoch = 0; epoch < kEpochs; ++epoch) {
    snprintf(name, sizeof name, "every/sub/w.%02d.safetensors", epoch + 1);
    CHECK(exists(in_dir(name)));
    weights_in(in_dir(name), saved);
    CHECK(memcmp(saved, r.s.weights[epoch], sizeof saved) == 0);
    remove(in_dir(name));
  }
  CHECK_OK(tg_callback_model_checkpoint_state(r.callbacks[1], NULL, &last));
  CHECK(last && strcmp(last, in_dir("every/sub/w.04.safetensors")) == 0);
  rmdir(in_dir("every/sub"));
  rmdir(in_dir("every"));
  run_free(&r);
}

/* save_best_only on "score", scores 5, 4, 4.5, 3 (min): saves after epochs 1, 2 and 4. */
static void test_best_only(void) {
  char filepath[256];
  static const double scores[kEpochs] = {5, 4, 4.5, 3};
  tg_model_checkpoint_options o;
  run r;
  float saved[kWeights];
  double best = 0;
  char text[512];
  size_t n;
  FILE* messages = tmpfile();
  char expected[512];
  CHECK(messages != NULL);
  CHECK_OK(tg_model_checkpoint_options_init(&o));
  /* the logs fill placeholders */
  o.filepath = option_path(filepath, sizeof filepath, "best-{epoch}-{score:.1f}.safetensors");
  o.monitor = "score";
  o.save_best_only = 1;
  o.verbose_stream = messages;
  run_init(&r, "score", scores, &o);
  CHECK_OK(run_fit(&r));
  CHECK(exists(in_dir("best-1-5.0.safetensors")) && exists(in_dir("best-2-4.0.safetensors")));
  CHECK(!exists(in_dir("best-3-4.5.safetensors")) && exists(in_dir("best-4-3.0.safetensors")));
  weights_in(in_dir("best-4-3.0.safetensors"), saved);
  CHECK(memcmp(saved, r.s.weights[3], sizeof saved) == 0);
  CHECK_OK(tg_callback_model_checkpoint_state(r.callbacks[1], &best, NULL));
  CHECK(best == 3);
  rewind(messages);
  n = fread(text, 1, sizeof text - 1, messages);
  text[n] = 0;
  snprintf(expected, sizeof expected,
           "\nEpoch 1: score improved from inf to 5.00000, saving model to %s/best-1-5.0.safetensors\n"
           "\nEpoch 2: score improved from 5.00000 to 4.00000, saving model to %s/best-2-4.0.safetensors\n"
           "\nEpoch 3: score did not improve from 4.00000\n"
           "\nEpoch 4: score improved from 4.00000 to 3.00000, saving model to %s/best-4-3.0.safetensors\n",
           g_dir, g_dir, g_dir);
  CHECK(strcmp(text, expected) == 0);
  remove(in_dir("best-1-5.0.safetensors"));
  remove(in_dir("best-2-4.0.safetensors"));
  remove(in_dir("best-4-3.0.safetensors"));

  /* The best (3) is kept across fits: a second fit of the same callback saves nothing. */
  CHECK_OK(run_fit(&r));
  CHECK(!exists(in_dir("best-1-5.0.safetensors")) && !exists(in_dir("best-4-3.0.safetensors")));
  fclose(messages);
  run_free(&r);
}

/* mode auto: "acc" anywhere in the name maximises (EarlyStopping would need it at the end);
 * initial_value_threshold sets the first value to beat. */
static void test_modes_and_threshold(void) {
  char filepath[256];
  static const double scores[kEpochs] = {5, 4, 4.5, 3};
  tg_model_checkpoint_options o;
  run r;
  CHECK_OK(tg_model_checkpoint_options_init(&o));
  o.filepath = option_path(filepath, sizeof filepath, "m-{epoch}.safetensors");
  o.monitor = "my_acc_score";
  o.save_best_only = 1;
  run_init(&r, "my_acc_score", scores, &o);
  CHECK_OK(run_fit(&r)); /* max: 5, then nothing beats it */
  CHECK(exists(in_dir("m-1.safetensors")) && !exists(in_dir("m-2.safetensors")) &&
        !exists(in_dir("m-3.safetensors")) && !exists(in_dir("m-4.safetensors")));
  remove(in_dir("m-1.safetensors"));
  run_free(&r);

  o.monitor = "score";
  o.mode = TG_MONITOR_MIN;
  o.initial_value_threshold = 4.2; /* 5 does not beat it; 4 and 3 do */
  run_init(&r, "score", scores, &o);
  CHECK_OK(run_fit(&r));
  CHECK(!exists(in_dir("m-1.safetensors")));
  CHECK(exists(in_dir("m-2.safetensors")));
  CHECK(!exists(in_dir("m-3.safetensors")));
  CHECK(exists(in_dir("m-4.safetensors")));
  remove(in_dir("m-2.safetensors"));
  remove(in_dir("m-4.safetensors"));
  run_free(&r);

  o.mode = TG_MONITOR_MAX;
  o.initial_value_threshold = NAN;
  run_init(&r, "score", scores, &o);
  CHECK_OK(run_fit(&r));
  CHECK(exists(in_dir("m-1.safetensors")) && !exists(in_dir("m-2.safetensors")));
  remove(in_dir("m-1.safetensors"));
  run_free(&r);
}

static void record_warning(const char* message, void* context) {
  char* buffer = (char*)context;
  if (!buffer[0]) strncat(buffer, message, 255);
}

static void test_missing_monitor(void) {
  char filepath[256];
  tg_model_checkpoint_options o;
  run r;
  char warning[256] = "";
  CHECK_OK(tg_model_checkpoint_options_init(&o));
  o.filepath = option_path(filepath, sizeof filepath, "never.safetensors");
  o.save_best_only = 1; /* monitor val_loss, but there is no validation */
  run_init(&r, NULL, NULL, &o);
  CHECK_OK(tg_set_warning_handler(record_warning, warning));
  CHECK_OK(run_fit(&r));
  CHECK_OK(tg_set_warning_handler(NULL, NULL));
  CHECK(strcmp(warning, "Can save best model only with val_loss available, skipping.") == 0);
  CHECK(!exists(in_dir("never.safetensors")));
  run_free(&r);
}

/* save_freq 2 with 3 batches per epoch: after the 2nd batch of epoch 1, the 1st and the 3rd
 * of epoch 2 (the count carries over epochs). */
static void test_save_freq(void) {
  char filepath[256];
  static const char* const saved[3] = {"b-1-2.safetensors", "b-2-1.safetensors", "b-2-3.safetensors"};
  static const char* const not_saved[3] = {"b-1-1.safetensors", "b-1-3.safetensors", "b-2-2.safetensors"};
  tg_model_checkpoint_options o;
  run r;
  int i;
  CHECK_OK(tg_model_checkpoint_options_init(&o));
  o.filepath = option_path(filepath, sizeof filepath, "b-{epoch}-{batch}.safetensors");
  o.save_freq = 2;
  run_init(&r, NULL, NULL, &o);
  r.base.options.epochs = 2;
  CHECK_OK(run_fit(&r));
  for (i = 0; i < 3; ++i) {
    CHECK(exists(in_dir(saved[i])));
    CHECK(!exists(in_dir(not_saved[i])));
    remove(in_dir(saved[i]));
  }
  run_free(&r);
}

/* Without save_weights_only the optimizer's state is saved: a new model and optimizer resume
 * from it (iterations = the steps done). With it, the file holds the weights alone. */
static void test_optimizer_state(void) {
  char filepath[256];
  tg_model_checkpoint_options o;
  run r;
  tg_model* fresh = dense_model(1, TG_ACTIVATION_LINEAR, 0, 99);
  tg_optimizer* opt = NULL;
  const int64_t shape[2] = {-1, 2};
  int64_t iterations = 0;
  CHECK_OK(tg_model_checkpoint_options_init(&o));
  o.filepath = option_path(filepath, sizeof filepath, "full.safetensors");
  run_init(&r, NULL, NULL, &o);
  CHECK_OK(run_fit(&r));
  CHECK_OK(tg_model_build(fresh, shape, 2));
  opt = make_optimizer("sgd", "learning_rate", 0.02);
  CHECK_OK(tg_model_load_weights(fresh, in_dir("full.safetensors"), opt));
  CHECK_OK(tg_optimizer_iterations(opt, &iterations));
  CHECK(iterations == 3 * kEpochs);
  tg_optimizer_free(opt);
  run_free(&r);

  o.filepath = option_path(filepath, sizeof filepath, "weights.safetensors");
  o.save_weights_only = 1;
  run_init(&r, NULL, NULL, &o);
  CHECK_OK(run_fit(&r));
  opt = make_optimizer("sgd", "learning_rate", 0.02);
  CHECK_ERR(tg_model_load_weights(fresh, in_dir("weights.safetensors"), opt), TG_INVALID_ARGUMENT, "optimizer");
  CHECK_OK(tg_model_load_weights(fresh, in_dir("weights.safetensors"), NULL));
  tg_optimizer_free(opt);
  run_free(&r);
  tg_model_free(fresh);
  remove(in_dir("full.safetensors"));
  remove(in_dir("weights.safetensors"));
}

static void test_errors(void) {
  char filepath[256];
  tg_model_checkpoint_options o;
  tg_callback* cb = NULL;
  run r;
  CHECK_OK(tg_model_checkpoint_options_init(&o));
  CHECK_ERR(tg_callback_model_checkpoint(&o, &cb), TG_INVALID_ARGUMENT, "[tg_callback_model_checkpoint]",
            "options->filepath is NULL");
  CHECK_ERR(tg_callback_model_checkpoint(NULL, &cb), TG_INVALID_ARGUMENT, "filepath");
  o.filepath = "";
  CHECK_ERR(tg_callback_model_checkpoint(&o, &cb), TG_INVALID_ARGUMENT, "filepath is empty");
  o.filepath = "x.safetensors";
  o.monitor = NULL;
  CHECK_ERR(tg_callback_model_checkpoint(&o, &cb), TG_INVALID_ARGUMENT, "options->monitor is NULL");
  o.monitor = "val_loss";
  o.mode = (tg_monitor_mode)-1;
  CHECK_ERR(tg_callback_model_checkpoint(&o, &cb), TG_INVALID_ARGUMENT, "options->mode is -1");
  o.mode = TG_MONITOR_AUTO;
  o.save_freq = (size_t)-3;
  CHECK_ERR(tg_callback_model_checkpoint(&o, &cb), TG_INVALID_ARGUMENT, "options->save_freq");
  o.save_freq = 0;
  CHECK_ERR(tg_callback_model_checkpoint(&o, NULL), TG_INVALID_ARGUMENT, "out");
  CHECK_ERR(tg_model_checkpoint_options_init(NULL), TG_INVALID_ARGUMENT, "options");
  CHECK_ERR(tg_callback_model_checkpoint_state(NULL, NULL, NULL), TG_INVALID_HANDLE, "callback");

  /* a placeholder the logs lack: the run fails with Keras's message */
  o.filepath = option_path(filepath, sizeof filepath, "w-{val_loss:.2f}.safetensors");
  run_init(&r, NULL, NULL, &o);
  CHECK_ERR(run_fit(&r), TG_INVALID_ARGUMENT, "[tg_model_fit]", "Failed to format this callback filepath",
            "{val_loss:.2f}");
  run_free(&r);
  /* a path that cannot be written: an I/O error naming it */
  o.filepath = "/dev/null/w.safetensors";
  run_init(&r, NULL, NULL, &o);
  CHECK_ERR(run_fit(&r), TG_IO_ERROR, "/dev/null");
  run_free(&r);
}

int main(void) {
  strcpy(g_dir, "/tmp/tg_fit_checkpoint_XXXXXX");
  if (!mkdtemp(g_dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_every_epoch();
  test_best_only();
  test_modes_and_threshold();
  test_missing_monitor();
  test_save_freq();
  test_optimizer_state();
  test_errors();
  if (rmdir(g_dir) != 0) fprintf(stderr, "note: %s is not empty\n", g_dir);
  return check_summary();
}
