/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fit_callbacks.c — callbacks of fit / evaluate / predict through the C ABI, compiled as
 * C99: the order of the hooks (Keras's loop), the logs each receives and what a callback adds
 * to them, stop_training, errors returned by callbacks (the status, the message, a model that
 * still works), stale handles, the logs / history / run API and its bad arguments, and the
 * learning-rate scheduler.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fit_helpers.h"

/* ---- a recorder of events ---------------------------------------------------------------- */

typedef struct {
  int id;
  tg_callback_event events[96];
  int64_t indices[96];
  int ids[96];
  int count;
} event_log;

/* Both recorders append to one log, tagged with their id. */
typedef struct {
  int id;
  event_log* log;
} recorder;

static tg_status record_event(tg_training* training, tg_callback_event event, int64_t index, tg_logs* logs,
                              void* user_data) {
  recorder* r = (recorder*)user_data;
  event_log* log = r->log;
  (void)training;
  (void)logs;
  if (log->count < 96) {
    log->events[log->count] = event;
    log->indices[log->count] = index;
    log->ids[log->count] = r->id;
    ++log->count;
  }
  return TG_OK;
}

/* The linear run (fit_helpers.h) with SGD(0.01), plus 3 validation samples. */
typedef struct {
  linear_run base;
  tg_tensor *val_x, *val_y;
} run;

static void run_init(run* r) {
  const int64_t val_shape[2] = {3, 2}, val_y_shape[2] = {3, 1};
  const double val_x[6] = {1, 0, 0, 0, 2, 2}, val_y[3] = {1, 0, 3};
  linear_run_init(&r->base, 0.01);
  r->val_x = make_tensor(TG_FLOAT32, val_shape, 2, val_x);
  r->val_y = make_tensor(TG_FLOAT32, val_y_shape, 2, val_y);
}

static void run_free(run* r) {
  tg_tensor_free(r->val_x);
  tg_tensor_free(r->val_y);
  linear_run_free(&r->base);
}

static tg_status fit_run(run* r, tg_history** history) { return linear_run_fit(&r->base, history); }

/* Keras's order of hooks; two callbacks are called one after the other for each event. */
static void test_order(void) {
  static const tg_callback_event epoch_events[] = {
      TG_ON_EPOCH_BEGIN,      TG_ON_TRAIN_BATCH_BEGIN, TG_ON_TRAIN_BATCH_END, TG_ON_TRAIN_BATCH_BEGIN,
      TG_ON_TRAIN_BATCH_END,  TG_ON_TRAIN_BATCH_BEGIN, TG_ON_TRAIN_BATCH_END, TG_ON_TEST_BEGIN,
      TG_ON_TEST_BATCH_BEGIN, TG_ON_TEST_BATCH_END,    TG_ON_TEST_BATCH_BEGIN, TG_ON_TEST_BATCH_END,
      TG_ON_TEST_END,         TG_ON_EPOCH_END};
  static const int64_t epoch_indices[] = {0, 0, 0, 1, 1, 2, 2, -1, 0, 0, 1, 1, -1, 0};
  run r;
  event_log log;
  recorder a = {1, NULL}, b = {2, NULL};
  tg_callback* callbacks[2] = {NULL, NULL};
  int i, epoch, ok = 1;
  run_init(&r);
  memset(&log, 0, sizeof log);
  a.log = b.log = &log;
  CHECK_OK(tg_callback_create(record_event, &a, &callbacks[0]));
  CHECK_OK(tg_callback_create(record_event, &b, &callbacks[1]));
  r.base.options.epochs = 2;
  r.base.options.validation_x = r.val_x;
  r.base.options.validation_y = r.val_y;
  r.base.options.callbacks = callbacks;
  r.base.options.num_callbacks = 2;
  CHECK_OK(fit_run(&r, NULL));
  /* (1 + 2 × 14 + 1) events, each seen by callback 1 then callback 2 */
  CHECK(log.count == 2 * 30);
  for (i = 0; i + 1 < log.count; i += 2) ok = ok && log.ids[i] == 1 && log.ids[i + 1] == 2 &&
                                           log.events[i] == log.events[i + 1] && log.indices[i] == log.indices[i + 1];
  CHECK(ok);
  CHECK(log.events[0] == TG_ON_TRAIN_BEGIN && log.indices[0] == -1);
  for (epoch = 0; epoch < 2; ++epoch)
    for (i = 0; i < 14; ++i) {
      const int at = 2 * (1 + 14 * epoch + i);
      const int64_t want = epoch_events[i] == TG_ON_EPOCH_BEGIN || epoch_events[i] == TG_ON_EPOCH_END
                               ? epoch : epoch_indices[i];
      ok = ok && log.events[at] == epoch_events[i] && log.indices[at] == want;
    }
  CHECK(ok);
  CHECK(log.events[58] == TG_ON_TRAIN_END && log.indices[58] == -1);

  /* evaluate: the test hooks; predict: the predict hooks (5 samples, batches of 2) */
  memset(&log, 0, sizeof log);
  {
    tg_evaluate_options eval;
    tg_predict_options pred;
    tg_tensor* out = NULL;
    double loss = 0;
    static const tg_callback_event test_events[] = {TG_ON_TEST_BEGIN,      TG_ON_TEST_BATCH_BEGIN,
                                                    TG_ON_TEST_BATCH_END,  TG_ON_TEST_BATCH_BEGIN,
                                                    TG_ON_TEST_BATCH_END,  TG_ON_TEST_BATCH_BEGIN,
                                                    TG_ON_TEST_BATCH_END,  TG_ON_TEST_END};
    CHECK_OK(tg_evaluate_options_init(&eval));
    eval.batch_size = 2;
    eval.callbacks = callbacks;
    eval.num_callbacks = 1;
    CHECK_OK(tg_model_evaluate(r.base.model, r.base.mse, NULL, 0, r.base.x, r.base.y, &eval, &loss, 1));
    CHECK(log.count == 8);
    for (i = 0; i < 8 && i < log.count; ++i) ok = ok && log.events[i] == test_events[i];
    CHECK(ok);
    memset(&log, 0, sizeof log);
    CHECK_OK(tg_predict_options_init(&pred));
    pred.batch_size = 2;
    pred.callbacks = callbacks;
    pred.num_callbacks = 1;
    CHECK_OK(tg_model_predict(r.base.model, r.base.x, &pred, &out));
    CHECK(log.count == 8 && log.events[0] == TG_ON_PREDICT_BEGIN && log.events[1] == TG_ON_PREDICT_BATCH_BEGIN &&
          log.events[6] == TG_ON_PREDICT_BATCH_END && log.indices[6] == 2 && log.events[7] == TG_ON_PREDICT_END);
    tg_tensor_free(out);
  }
  tg_callback_free(callbacks[0]);
  tg_callback_free(callbacks[1]);
  run_free(&r);
}

/* ---- logs ------------------------------------------------------------------------------- */

typedef struct {
  size_t begin_sizes;      /* sum of the logs' sizes at the BEGIN events */
  char epoch_keys[128];    /* the keys at the first EPOCH_END, comma-separated */
  double epoch_loss[4];    /* "loss" at each EPOCH_END */
  double test_end_loss[4]; /* "loss" at each TEST_END */
  double train_end_loss;
  size_t epoch_samples;    /* throughput at the first EPOCH_END */
  int epochs, tests;
  tg_logs* kept_logs;
  tg_training* kept_training;
} logs_probe;

static tg_status probe_logs(tg_training* training, tg_callback_event event, int64_t index, tg_logs* logs,
                            void* user_data) {
  logs_probe* p = (logs_probe*)user_data;
  size_t size = 0, i;
  tg_status s = tg_logs_size(logs, &size);
  (void)index;
  if (s != TG_OK) return s;
  p->kept_logs = logs;
  p->kept_training = training;
  switch (event) {
    case TG_ON_TRAIN_BEGIN:
    case TG_ON_EPOCH_BEGIN:
    case TG_ON_TRAIN_BATCH_BEGIN:
    case TG_ON_TEST_BEGIN:
    case TG_ON_TEST_BATCH_BEGIN: p->begin_sizes += size; break;
    case TG_ON_EPOCH_END:
      if (p->epochs == 0) {
        for (i = 0; i < size; ++i) {
          const char* name = NULL;
          if ((s = tg_logs_name(logs, i, &name)) != TG_OK) return s;
          if (i) strcat(p->epoch_keys, ",");
          strcat(p->epoch_keys, name);
        }
        if ((s = tg_logs_throughput(logs, &p->epoch_samples, NULL, NULL)) != TG_OK) return s;
      }
      if ((s = tg_logs_get(logs, "loss", &p->epoch_loss[p->epochs++])) != TG_OK) return s;
      /* a value added here reaches the later callbacks and History */
      if ((s = tg_logs_set(logs, "custom", 10.0 + (double)p->epochs)) != TG_OK) return s;
      break;
    case TG_ON_TEST_END: return tg_logs_get(logs, "loss", &p->test_end_loss[p->tests++]);
    case TG_ON_TRAIN_END: return tg_logs_get(logs, "custom", &p->train_end_loss);
    default: break;
  }
  return TG_OK;
}

static void test_logs(void) {
  run r;
  logs_probe probe;
  tg_callback* cb = NULL;
  tg_metric* acc = NULL;
  tg_history* history = NULL;
  double loss[2], val_loss[2], custom[2], value = 0;
  size_t size = 0;
  int64_t epochs = 0;
  run_init(&r);
  memset(&probe, 0, sizeof probe);
  CHECK_OK(tg_callback_create(probe_logs, &probe, &cb));
  CHECK_OK(tg_metric_accuracy(&acc));
  r.base.options.epochs = 2;
  r.base.options.validation_x = r.val_x;
  r.base.options.validation_y = r.val_y;
  r.base.options.callbacks = &cb;
  r.base.options.num_callbacks = 1;
  CHECK_OK(tg_model_fit(r.base.model, r.base.mse, r.base.sgd, &acc, 1, r.base.x, r.base.y, &r.base.options, &history));
  CHECK(probe.begin_sizes == 0); /* Keras passes no logs to the begin hooks */
  CHECK(strcmp(probe.epoch_keys, "loss,accuracy,val_loss,val_accuracy") == 0);
  CHECK(probe.epoch_samples == 5); /* training samples only */
  CHECK(history_of(history, "loss", loss, 2) == 2);
  CHECK(history_of(history, "val_loss", val_loss, 2) == 2);
  CHECK(history_of(history, "custom", custom, 2) == 2);
  CHECK(probe.epoch_loss[0] == loss[0] && probe.epoch_loss[1] == loss[1]);
  CHECK(probe.test_end_loss[0] == val_loss[0] && probe.test_end_loss[1] == val_loss[1]);
  CHECK(custom[0] == 11.0 && custom[1] == 12.0);
  CHECK(probe.train_end_loss == 12.0); /* TRAIN_END gets the last epoch's logs */
  CHECK_OK(tg_history_epochs(history, &epochs, 1, &size));
  CHECK(size == 2 && epochs == 0);

  /* The handles a callback received are dead after it returns. */
  CHECK_ERR(tg_logs_size(probe.kept_logs, &size), TG_INVALID_HANDLE, "tg_logs_size", "logs");
  CHECK_ERR(tg_logs_get(probe.kept_logs, "loss", &value), TG_INVALID_HANDLE, "tg_logs_get");
  CHECK_ERR(tg_training_stop(probe.kept_training), TG_INVALID_HANDLE, "tg_training_stop", "training");

  /* History API: bad arguments */
  CHECK_ERR(tg_history_values(history, "val_nope", loss, 2, &size), TG_INVALID_ARGUMENT, "val_nope",
            "loss, accuracy, val_loss, val_accuracy, custom");
  CHECK_ERR(tg_history_values(history, NULL, loss, 2, &size), TG_INVALID_ARGUMENT, "key");
  CHECK_ERR(tg_history_values(history, "loss", NULL, 2, &size), TG_INVALID_ARGUMENT, "capacity is 2");
  CHECK_ERR(tg_history_values(history, "loss", loss, 2, NULL), TG_INVALID_ARGUMENT, "count");
  CHECK_OK(tg_history_values(history, "loss", NULL, 0, &size));
  CHECK(size == 2);
  CHECK_ERR(tg_history_key(history, 5, NULL), TG_INVALID_ARGUMENT, "tg_history_key");
  {
    const char* key = NULL;
    CHECK_ERR(tg_history_key(history, 5, &key), TG_INVALID_ARGUMENT, "index 5", "5 keys");
  }
  CHECK_ERR(tg_history_epochs((tg_history*)r.base.x, &epochs, 1, &size), TG_INVALID_HANDLE, "tg_tensor",
            "expected a tg_history");
  CHECK_ERR(tg_history_num_keys(NULL, &size), TG_INVALID_HANDLE, "tg_history_num_keys");
  CHECK_OK(tg_history_free(NULL));
  tg_history_free(history);
  CHECK_ERR(tg_history_free(history), TG_INVALID_HANDLE, "tg_history_free");

  tg_metric_free(acc);
  tg_callback_free(cb);
  run_free(&r);
}

/* The logs API called wrongly from inside a callback: each is a status, never a crash. */
static tg_status misuse_logs(tg_training* training, tg_callback_event event, int64_t index, tg_logs* logs,
                             void* user_data) {
  int* failures = (int*)user_data;
  const char* name = NULL;
  double value = 0;
  size_t size = 0;
  (void)index;
  if (event != TG_ON_TRAIN_BATCH_END) return TG_OK;
  *failures += tg_logs_size(logs, NULL) == TG_INVALID_ARGUMENT;
  *failures += tg_logs_name(logs, 9, &name) == TG_INVALID_ARGUMENT;
  *failures += tg_logs_value(logs, 9, &value) == TG_INVALID_ARGUMENT;
  *failures += tg_logs_get(logs, NULL, &value) == TG_INVALID_ARGUMENT;
  *failures += tg_logs_get(logs, "loss", NULL) == TG_INVALID_ARGUMENT;
  *failures += tg_logs_set(logs, "", 1.0) == TG_INVALID_ARGUMENT;
  *failures += tg_logs_set(logs, NULL, 1.0) == TG_INVALID_ARGUMENT;
  *failures += tg_logs_size((const tg_logs*)training, &size) == TG_INVALID_HANDLE;
  *failures += tg_training_stop((tg_training*)logs) == TG_INVALID_HANDLE;
  *failures += tg_training_params(NULL, NULL, NULL, NULL) == TG_INVALID_HANDLE;
  return TG_OK;
}

static void test_logs_misuse(void) {
  run r;
  tg_callback* cb = NULL;
  int failures = 0;
  run_init(&r);
  CHECK_OK(tg_callback_create(misuse_logs, &failures, &cb));
  r.base.options.batch_size = 5;
  r.base.options.callbacks = &cb;
  r.base.options.num_callbacks = 1;
  CHECK_OK(fit_run(&r, NULL));
  CHECK(failures == 10);
  tg_callback_free(cb);
  run_free(&r);
}

/* ---- stop_training ------------------------------------------------------------------------ */

typedef struct {
  tg_callback_event stop_at;
  int64_t stop_index;
  int batches, epoch_ends, train_ends;
  int64_t epochs;
  size_t steps;
  int verbose;
} stopper;

static tg_status stop_when(tg_training* training, tg_callback_event event, int64_t index, tg_logs* logs,
                           void* user_data) {
  stopper* s = (stopper*)user_data;
  (void)logs;
  if (event == TG_ON_TRAIN_BATCH_END) ++s->batches;
  if (event == TG_ON_EPOCH_END) ++s->epoch_ends;
  if (event == TG_ON_TRAIN_END) ++s->train_ends;
  if (event == TG_ON_TRAIN_BEGIN) {
    tg_status st = tg_training_params(training, &s->epochs, &s->steps, &s->verbose);
    if (st != TG_OK) return st;
  }
  if (event == s->stop_at && index == s->stop_index) return tg_training_stop(training);
  return TG_OK;
}

static void test_stop_training(void) {
  run r;
  stopper s;
  tg_callback* cb = NULL;
  tg_history* history = NULL;
  double val_loss[4];
  size_t count = 0;
  run_init(&r);
  CHECK_OK(tg_callback_create(stop_when, &s, &cb));
  r.base.options.epochs = 4;
  r.base.options.validation_x = r.val_x;
  r.base.options.validation_y = r.val_y;
  r.base.options.callbacks = &cb;
  r.base.options.num_callbacks = 1;

  /* at batch 1 of epoch 0: the epoch ends after that batch, validates, and training stops */
  memset(&s, 0, sizeof s);
  s.stop_at = TG_ON_TRAIN_BATCH_END;
  s.stop_index = 1;
  CHECK_OK(fit_run(&r, &history));
  CHECK(s.batches == 2 && s.epoch_ends == 1 && s.train_ends == 1);
  CHECK(s.epochs == 4 && s.steps == 3 && s.verbose == 0);
  CHECK(history_of(history, "val_loss", val_loss, 4) == 1);
  tg_history_free(history);

  /* at the end of epoch 1: two epochs run */
  memset(&s, 0, sizeof s);
  s.stop_at = TG_ON_EPOCH_END;
  s.stop_index = 1;
  CHECK_OK(fit_run(&r, &history));
  CHECK(s.batches == 6 && s.epoch_ends == 2 && s.train_ends == 1);
  CHECK_OK(tg_history_epochs(history, NULL, 0, &count));
  CHECK(count == 2);
  tg_history_free(history);
  tg_callback_free(cb);
  run_free(&r);
}

/* ---- errors inside callbacks ------------------------------------------------------------- */

typedef struct {
  tg_callback_event at;
  int64_t index;
  tg_status status; /* returned as is, or: */
  int call_failing; /* returns the status of a tapegrad call that fails */
  int calls;
} failer;

static tg_status fail_at(tg_training* training, tg_callback_event event, int64_t index, tg_logs* logs,
                         void* user_data) {
  failer* f = (failer*)user_data;
  double value = 0;
  (void)training;
  ++f->calls;
  if (event != f->at || index != f->index) return TG_OK;
  if (f->call_failing) return tg_logs_get(logs, "no_such_key", &value);
  return f->status;
}

static void test_callback_errors(void) {
  run r;
  failer f;
  tg_callback* cb = NULL;
  tg_history* history = NULL;
  tg_tensor* out = NULL;
  float before[3], after[3];
  run_init(&r);
  CHECK_OK(tg_callback_create(fail_at, &f, &cb));
  r.base.options.epochs = 3;
  r.base.options.callbacks = &cb;
  r.base.options.num_callbacks = 1;

  memset(&f, 0, sizeof f);
  f.at = TG_ON_EPOCH_END;
  f.index = 1;
  f.status = TG_INVALID_ARGUMENT;
  CHECK_ERR(fit_run(&r, &history), TG_INVALID_ARGUMENT, "[tg_model_fit]", "callback", "TG_ON_EPOCH_END 1",
            "returned TG_INVALID_ARGUMENT");
  CHECK(history == NULL);
  CHECK(f.calls == 1 + 2 * 8); /* stopped at once: no TRAIN_END */

  /* the status of the tapegrad call that failed inside, with its message */
  memset(&f, 0, sizeof f);
  f.at = TG_ON_TRAIN_BATCH_END;
  f.index = 2;
  f.call_failing = 1;
  CHECK_ERR(fit_run(&r, &history), TG_INVALID_ARGUMENT, "TG_ON_TRAIN_BATCH_END 2", "[tg_logs_get]",
            "no 'no_such_key'");

  /* a value that is not a tg_status */
  memset(&f, 0, sizeof f);
  f.at = TG_ON_TRAIN_BEGIN;
  f.index = -1;
  f.status = (tg_status)42;
  CHECK_ERR(fit_run(&r, &history), TG_INVALID_STATE, "returned 42", "not a tg_status");

  /* the model still works: predict, then train again */
  CHECK(model_values(r.base.model, before, 3) == 3);
  CHECK_OK(tg_model_predict(r.base.model, r.base.x, NULL, &out));
  r.base.options.num_callbacks = 0;
  CHECK_OK(fit_run(&r, &history));
  CHECK(model_values(r.base.model, after, 3) == 3);
  CHECK(memcmp(before, after, sizeof before) != 0);
  tg_history_free(history);
  tg_tensor_free(out);

  /* errors in evaluate's and predict's callbacks too */
  {
    tg_evaluate_options eval;
    tg_predict_options pred;
    double loss = 0;
    memset(&f, 0, sizeof f);
    f.at = TG_ON_TEST_END;
    f.index = -1;
    f.status = TG_IO_ERROR;
    CHECK_OK(tg_evaluate_options_init(&eval));
    eval.callbacks = &cb;
    eval.num_callbacks = 1;
    CHECK_ERR(tg_model_evaluate(r.base.model, r.base.mse, NULL, 0, r.base.x, r.base.y, &eval, &loss, 1), TG_IO_ERROR,
              "[tg_model_evaluate]", "TG_ON_TEST_END");
    CHECK(loss == 0);
    f.at = TG_ON_PREDICT_BATCH_BEGIN;
    f.index = 0;
    CHECK_OK(tg_predict_options_init(&pred));
    pred.callbacks = &cb;
    pred.num_callbacks = 1;
    out = NULL;
    CHECK_ERR(tg_model_predict(r.base.model, r.base.x, &pred, &out), TG_IO_ERROR, "[tg_model_predict]",
              "TG_ON_PREDICT_BATCH_BEGIN 0");
    CHECK(out == NULL);
  }
  tg_callback_free(cb);
  run_free(&r);
}

/* ---- LearningRateScheduler ----------------------------------------------------------------- */

static double halve_after_first(int64_t epoch, double learning_rate, void* user_data) {
  int* calls = (int*)user_data;
  ++*calls;
  return epoch == 0 ? learning_rate : learning_rate / 2;
}

static double broken_schedule(int64_t epoch, double learning_rate, void* user_data) {
  (void)learning_rate;
  (void)user_data;
  return epoch == 1 ? NAN : 0.1;
}

static void test_learning_rate_scheduler(void) {
  run r;
  tg_callback* cb = NULL;
  tg_history* history = NULL;
  double lr[3], now = 0;
  int calls = 0;
  char text[512];
  FILE* messages = tmpfile();
  size_t n;
  run_init(&r);
  CHECK(messages != NULL);
  CHECK_OK(tg_callback_learning_rate_scheduler(halve_after_first, &calls, messages, &cb));
  r.base.options.epochs = 3;
  r.base.options.callbacks = &cb;
  r.base.options.num_callbacks = 1;
  CHECK_OK(fit_run(&r, &history));
  CHECK(calls == 3);
  CHECK(history_of(history, "lr", lr, 3) == 3);
  CHECK(lr[0] == (double)0.01f && lr[1] == (double)0.005f && lr[2] == (double)0.0025f);
  CHECK_OK(tg_optimizer_get(r.base.sgd, "learning_rate", &now));
  CHECK(now == 0.0025);
  rewind(messages);
  n = fread(text, 1, sizeof text - 1, messages);
  text[n] = 0;
  CHECK(strcmp(text,
               "\nEpoch 1: LearningRateScheduler setting learning rate to 0.01.\n"
               "\nEpoch 2: LearningRateScheduler setting learning rate to 0.005.\n"
               "\nEpoch 3: LearningRateScheduler setting learning rate to 0.0025.\n") == 0);
  fclose(messages);
  tg_history_free(history);
  tg_callback_free(cb);

  CHECK_OK(tg_callback_learning_rate_scheduler(broken_schedule, NULL, NULL, &cb));
  r.base.options.callbacks = &cb;
  CHECK_ERR(fit_run(&r, &history), TG_INVALID_ARGUMENT, "LearningRateScheduler", "nan", "epoch 1");
  tg_callback_free(cb);
  CHECK_ERR(tg_callback_learning_rate_scheduler(NULL, NULL, NULL, &cb), TG_INVALID_ARGUMENT, "schedule");
  CHECK_ERR(tg_callback_learning_rate_scheduler(broken_schedule, NULL, NULL, NULL), TG_INVALID_ARGUMENT, "out");
  run_free(&r);
}

static void test_callback_handles(void) {
  tg_callback* cb = NULL;
  CHECK_ERR(tg_callback_create(NULL, NULL, &cb), TG_INVALID_ARGUMENT, "[tg_callback_create]", "fn");
  CHECK_ERR(tg_callback_create(record_event, NULL, NULL), TG_INVALID_ARGUMENT, "out");
  CHECK_OK(tg_callback_free(NULL));
  CHECK_OK(tg_callback_create(record_event, NULL, &cb));
  CHECK_ERR(tg_callback_early_stopping_state(cb, NULL, NULL, NULL, NULL), TG_INVALID_HANDLE,
            "not an EarlyStopping");
  CHECK_ERR(tg_callback_model_checkpoint_state(cb, NULL, NULL), TG_INVALID_HANDLE, "not a ModelCheckpoint");
  CHECK_OK(tg_callback_free(cb));
  CHECK_ERR(tg_callback_free(cb), TG_INVALID_HANDLE, "[tg_callback_free]");
}

/* Inside a scope: the history fit returns belongs to it; the handles a callback receives are
 * gone when it returns, and the scope's end frees nothing twice. */
static void test_scope(void) {
  run r;
  logs_probe probe;
  tg_callback* cb = NULL;
  tg_history* history = NULL;
  tg_scope* scope = NULL;
  size_t size = 0;
  run_init(&r);
  memset(&probe, 0, sizeof probe);
  CHECK_OK(tg_callback_create(probe_logs, &probe, &cb));
  r.base.options.callbacks = &cb;
  r.base.options.num_callbacks = 1;
  CHECK_OK(tg_scope_begin(&scope));
  CHECK_OK(fit_run(&r, &history));
  CHECK_OK(tg_history_num_keys(history, &size));
  CHECK_OK(tg_scope_end(scope));
  CHECK_ERR(tg_history_num_keys(history, &size), TG_INVALID_HANDLE, "history");
  CHECK_ERR(tg_logs_size(probe.kept_logs, &size), TG_INVALID_HANDLE, "logs");
  tg_callback_free(cb);
  run_free(&r);
}

int main(void) {
  test_order();
  test_logs();
  test_logs_misuse();
  test_stop_training();
  test_callback_errors();
  test_learning_rate_scheduler();
  test_callback_handles();
  test_scope();
  return check_summary();
}
