/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fit.c — tg_model_fit / evaluate / predict / train_step through the C ABI, compiled as
 * C99: the batch-size-weighted epoch loss with a partial last batch, evaluate and predict
 * values, sample weights, validation_split / validation_data / validation_freq, epochs and
 * initial_epoch, 'accuracy' resolution, shuffling, determinism, train_step against the same
 * step written with tape calls.
 *
 * Reference numbers come from numpy simulating Keras's loop on the linear model
 * y = x·w + b (w, b from zeros), MSE, SGD(lr = 0.1), batch_size 2, no shuffle, x and y of
 * fit_helpers.h:
 *   for each batch (rows s, s+1): p = xb@w + b; L = mean((p - yb)**2); g = 2*(p - yb)/n
 *     (times the sample weights, with L = sum(sw*(p - yb)**2)/n when weighted);
 *     w -= lr*xb.T@g; b -= lr*g.sum(0); the epoch loss is sum(L*n)/sum(n).
 */
#include <math.h>
#include <string.h>

#include "fit_helpers.h"

/* Records the "loss" of every TRAIN_BATCH_END and the samples seen at each. */
typedef struct {
  double loss[16];
  size_t samples[16];
  int count;
} batch_log;

static tg_status record_batches(tg_training* training, tg_callback_event event, int64_t index, tg_logs* logs,
                                void* user_data) {
  batch_log* log = (batch_log*)user_data;
  (void)training;
  (void)index;
  if (event == TG_ON_TRAIN_BATCH_END && log->count < 16) {
    tg_status s = tg_logs_get(logs, "loss", &log->loss[log->count]);
    if (s != TG_OK) return s;
    s = tg_logs_throughput(logs, &log->samples[log->count], NULL, NULL);
    if (s != TG_OK) return s;
    ++log->count;
  }
  return TG_OK;
}

/* The epoch loss is the batch losses weighted by batch size (5 = 2 + 2 + 1 samples). */
static void test_weighted_epoch_loss(void) {
  /* numpy (header): running loss after each batch of epochs 0 and 1, final weights */
  const double running[6] = {0.5, 1.0625, 1.57962, 4.40674, 2.60584444, 2.17006186};
  const double epoch_loss[2] = {1.57962, 2.17006186};
  const double weights[3] = {1.4914, 0.04164, 0.26824};
  const size_t samples[6] = {2, 4, 5, 2, 4, 5};
  linear_run r;
  tg_callback* recorder = NULL;
  tg_history* history = NULL;
  tg_fit_options defaults;
  batch_log log;
  double losses[4];
  int64_t epochs[4];
  float values[3];
  size_t count = 0;
  int i;
  memset(&log, 0, sizeof log);
  CHECK_OK(tg_fit_options_init(&defaults));
  CHECK(defaults.batch_size == 32 && defaults.epochs == 1 && defaults.shuffle == 1 && defaults.verbose == 0 &&
        defaults.validation_freq == 1 && defaults.struct_size == sizeof defaults && defaults.seed == 0 &&
        defaults.validation_split == 0 && defaults.validation_x == NULL && defaults.callbacks == NULL);
  linear_run_init(&r, 0.1); /* batch_size 2, no shuffle */
  CHECK_OK(tg_callback_create(record_batches, &log, &recorder));
  r.options.epochs = 2;
  r.options.callbacks = &recorder;
  r.options.num_callbacks = 1;
  CHECK_OK(linear_run_fit(&r, &history));

  CHECK(log.count == 6);
  for (i = 0; i < 6 && i < log.count; ++i) {
    CHECK_NEAR(log.loss[i], running[i], 2e-5 * running[i]);
    CHECK(log.samples[i] == samples[i]); /* the last partial batch (1 sample) is kept */
  }
  CHECK(history_of(history, "loss", losses, 4) == 2);
  CHECK_NEAR(losses[0], epoch_loss[0], 2e-5);
  CHECK_NEAR(losses[1], epoch_loss[1], 4e-5);
  /* The batch losses are 0.5, 1.625 and 3.6481: their plain mean would be 1.92437. */
  CHECK(fabs(losses[0] - 1.92437) > 0.3);
  CHECK_OK(tg_history_epochs(history, epochs, 4, &count));
  CHECK(count == 2 && epochs[0] == 0 && epochs[1] == 1);
  CHECK(model_values(r.model, values, 3) == 3);
  for (i = 0; i < 3; ++i) CHECK_NEAR(values[i], weights[i], 2e-5);

  tg_history_free(history);
  tg_callback_free(recorder);
  linear_run_free(&r);
}

/* Sample weights weight the loss (Keras's SUM_OVER_BATCH_SIZE divides by the batch size). */
static void test_sample_weights(void) {
  const int64_t sw_shape[1] = {5};
  const double sw_values[5] = {1, 0, 2, 1, 0.5};
  const double weights[3] = {1.056, 0.332, 0.572}; /* numpy, weighted (header) */
  tg_tensor* sw = make_tensor(TG_FLOAT32, sw_shape, 1, sw_values);
  tg_history* history = NULL;
  linear_run r;
  double loss = 0;
  float values[3];
  int i;
  linear_run_init(&r, 0.1);
  r.options.sample_weight = sw;
  CHECK_OK(linear_run_fit(&r, &history));
  CHECK(history_of(history, "loss", &loss, 1) == 1);
  CHECK_NEAR(loss, 1.47984, 2e-5);
  CHECK(model_values(r.model, values, 3) == 3);
  for (i = 0; i < 3; ++i) CHECK_NEAR(values[i], weights[i], 2e-5);
  tg_history_free(history);
  tg_tensor_free(sw);
  linear_run_free(&r);
}

static void assign_linear_weights(tg_model* model, double w0, double w1, double b) {
  const int64_t k_shape[2] = {2, 1}, b_shape[1] = {1};
  const double k[2] = {w0, w1};
  tg_variable* vars[2];
  size_t count = 0;
  tg_tensor *kt = make_tensor(TG_FLOAT32, k_shape, 2, k), *bt = make_tensor(TG_FLOAT32, b_shape, 1, &b);
  CHECK_OK(tg_model_trainable_variables(model, vars, 2, &count));
  CHECK(count == 2);
  CHECK_OK(tg_variable_assign(vars[0], kt));
  CHECK_OK(tg_variable_assign(vars[1], bt));
  tg_variable_free(vars[0]);
  tg_variable_free(vars[1]);
  tg_tensor_free(kt);
  tg_tensor_free(bt);
}

/* evaluate: [loss] weighted by batch size, sample weights; predict: one (5, 1) tensor. */
static void test_evaluate_and_predict(void) {
  /* numpy: p = x@w + b with w = (1.4914, 0.04164), b = 0.26824; mean((p - y)**2) = 0.72569438;
   * with sw (1, 0, 2, 1, 0.5): sum(sw*(p - y)**2)/5 = 0.95803133. */
  const double predictions[5] = {1.84292, 0.30988, 3.25104, 1.80128, 4.78408};
  const int64_t p_shape[2] = {5, 1}, sw_shape[1] = {5};
  const double sw_values[5] = {1, 0, 2, 1, 0.5};
  tg_model* model = dense_model(1, TG_ACTIVATION_LINEAR, 1, 0);
  tg_tensor *x = fit_x(), *y = fit_y(), *probe = NULL, *predicted = NULL;
  tg_tensor* sw = make_tensor(TG_FLOAT32, sw_shape, 1, sw_values);
  tg_loss* mse = NULL;
  tg_metric* acc = NULL;
  tg_evaluate_options eval;
  tg_predict_options pred;
  double results[3] = {-1, -1, -1};
  CHECK_OK(tg_model_call(model, x, &probe)); /* builds the variables */
  tg_tensor_free(probe);
  assign_linear_weights(model, 1.4914, 0.04164, 0.26824);
  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, &mse));
  CHECK_OK(tg_evaluate_options_init(&eval));
  CHECK(eval.batch_size == 32 && eval.struct_size == sizeof eval);
  eval.batch_size = 2;
  CHECK_OK(tg_model_evaluate(model, mse, NULL, 0, x, y, &eval, results, 1));
  CHECK_NEAR(results[0], 0.72569438, 1e-5);
  CHECK_OK(tg_model_evaluate(model, mse, NULL, 0, x, y, NULL, results, 1)); /* one batch of 32 */
  CHECK_NEAR(results[0], 0.72569438, 1e-5);
  eval.sample_weight = sw;
  CHECK_OK(tg_model_evaluate(model, mse, NULL, 0, x, y, &eval, results, 1));
  CHECK_NEAR(results[0], 0.95803133, 1e-5);

  /* [loss, metric]: the predictions against themselves give loss 0 and Accuracy (elementwise
   * equality) 1. */
  CHECK_OK(tg_metric_accuracy(&acc));
  CHECK_OK(tg_predict_options_init(&pred));
  pred.batch_size = 2;
  CHECK_OK(tg_model_predict(model, x, &pred, &predicted));
  CHECK_TENSOR(predicted, TG_FLOAT32, p_shape, 2, predictions, 2e-5);
  eval.sample_weight = NULL;
  CHECK_OK(tg_model_evaluate(model, mse, &acc, 1, x, predicted, &eval, results, 3));
  CHECK_NEAR(results[0], 0.0, 1e-12);
  CHECK_NEAR(results[1], 1.0, 0);
  CHECK(results[2] == -1); /* only 1 + num_metrics values are written */

  tg_tensor_free(predicted);
  tg_metric_free(acc);
  tg_loss_free(mse);
  tg_tensor_free(sw);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_model_free(model);
}

/* Data of 10 samples: x (10, 2), y (10, 1). */
static void ten_samples(tg_tensor** x, tg_tensor** y) {
  const int64_t x_shape[2] = {10, 2}, y_shape[2] = {10, 1};
  double xs[20], ys[10];
  int i;
  for (i = 0; i < 10; ++i) {
    xs[2 * i] = 0.1 * i;
    xs[2 * i + 1] = 1.0 - 0.05 * i * i;
    ys[i] = (i % 3) - 0.5 * i;
  }
  *x = make_tensor(TG_FLOAT32, x_shape, 2, xs);
  *y = make_tensor(TG_FLOAT32, y_shape, 2, ys);
}

static tg_tensor* rows(const tg_tensor* t, int64_t begin, int64_t count) {
  const int64_t b[2] = {begin, 0}, s[2] = {count, -1};
  tg_tensor* out = NULL;
  CHECK_OK(tg_slice(t, b, s, 2, &out));
  return out;
}

/* validation_split takes the last fraction, before shuffling: with one training batch, the
 * epoch loss is the loss of rows 0..7 before the step, and val_loss that of rows 8..9 after. */
static void test_validation_split(void) {
  tg_model* model = dense_model(1, TG_ACTIVATION_LINEAR, 0, 11);
  tg_tensor *x, *y, *train_x, *train_y, *val_x, *val_y, *probe = NULL;
  tg_loss* mse = NULL;
  tg_optimizer* sgd = NULL;
  tg_history* history = NULL;
  tg_fit_options options;
  double before = 0, after = 0, loss = 0, val_loss = 0;
  const char* key = NULL;
  size_t keys = 0;
  ten_samples(&x, &y);
  train_x = rows(x, 0, 8);
  train_y = rows(y, 0, 8);
  val_x = rows(x, 8, 2);
  val_y = rows(y, 8, 2);
  CHECK_OK(tg_model_call(model, x, &probe));
  tg_tensor_free(probe);
  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, &mse));
  sgd = make_optimizer("sgd", "learning_rate", 0.05);
  CHECK_OK(tg_model_evaluate(model, mse, NULL, 0, train_x, train_y, NULL, &before, 1));
  CHECK_OK(tg_fit_options_init(&options));
  options.batch_size = 8;
  options.validation_split = 0.2;
  options.seed = 5; /* shuffling 8 rows in one batch changes nothing but their order */
  CHECK_OK(tg_model_fit(model, mse, sgd, NULL, 0, x, y, &options, &history));
  CHECK_OK(tg_model_evaluate(model, mse, NULL, 0, val_x, val_y, NULL, &after, 1));
  CHECK(history_of(history, "loss", &loss, 1) == 1);
  CHECK(history_of(history, "val_loss", &val_loss, 1) == 1);
  CHECK_NEAR(loss, before, 1e-6 * before);
  CHECK(val_loss == after);
  CHECK_OK(tg_history_num_keys(history, &keys));
  CHECK(keys == 2);
  CHECK_OK(tg_history_key(history, 1, &key));
  CHECK(key && strcmp(key, "val_loss") == 0);
  tg_history_free(history);
  history = NULL;

  /* validation_data overrides validation_split; validation_freq 2 validates after epochs 2, 4 */
  options.validation_x = val_x;
  options.validation_y = val_y;
  options.validation_freq = 2;
  options.epochs = 4;
  CHECK_OK(tg_model_fit(model, mse, sgd, NULL, 0, x, y, &options, &history));
  {
    double values[4];
    CHECK(history_of(history, "loss", values, 4) == 4);
    CHECK(history_of(history, "val_loss", values, 4) == 2);
  }
  tg_history_free(history);

  tg_optimizer_free(sgd);
  tg_loss_free(mse);
  tg_tensor_free(train_x);
  tg_tensor_free(train_y);
  tg_tensor_free(val_x);
  tg_tensor_free(val_y);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_model_free(model);
}

/* Records the index of every EPOCH_BEGIN and counts TRAIN_BEGIN / TRAIN_END. */
typedef struct {
  int64_t epochs[8];
  int num_epochs, train_begin, train_end;
} epoch_log;

static tg_status record_epochs(tg_training* training, tg_callback_event event, int64_t index, tg_logs* logs,
                               void* user_data) {
  epoch_log* log = (epoch_log*)user_data;
  (void)training;
  (void)logs;
  if (event == TG_ON_EPOCH_BEGIN && log->num_epochs < 8) log->epochs[log->num_epochs++] = index;
  if (event == TG_ON_TRAIN_BEGIN) ++log->train_begin;
  if (event == TG_ON_TRAIN_END) ++log->train_end;
  return TG_OK;
}

/* `epochs` is the index to stop at: epochs 3 from initial_epoch 1 runs epochs 1 and 2. */
static void test_initial_epoch(void) {
  linear_run r;
  tg_history* history = NULL;
  tg_callback* recorder = NULL;
  epoch_log log;
  int64_t epochs[4];
  size_t count = 0;
  memset(&log, 0, sizeof log);
  linear_run_init(&r, 0.01);
  CHECK_OK(tg_callback_create(record_epochs, &log, &recorder));
  r.options.epochs = 3;
  r.options.initial_epoch = 1;
  r.options.callbacks = &recorder;
  r.options.num_callbacks = 1;
  CHECK_OK(linear_run_fit(&r, &history));
  CHECK(log.num_epochs == 2 && log.epochs[0] == 1 && log.epochs[1] == 2);
  CHECK_OK(tg_history_epochs(history, epochs, 4, &count));
  CHECK(count == 2 && epochs[0] == 1 && epochs[1] == 2);
  tg_history_free(history);
  history = NULL;

  /* epochs <= initial_epoch: no epoch runs, the history is empty, the callbacks still see
   * TRAIN_BEGIN and TRAIN_END; history may be NULL. */
  memset(&log, 0, sizeof log);
  r.options.epochs = 1;
  r.options.initial_epoch = 2;
  CHECK_OK(linear_run_fit(&r, &history));
  CHECK_OK(tg_history_epochs(history, NULL, 0, &count));
  CHECK(count == 0 && log.num_epochs == 0 && log.train_begin == 1 && log.train_end == 1);
  CHECK_OK(tg_history_num_keys(history, &count));
  CHECK(count == 0);
  CHECK_OK(linear_run_fit(&r, NULL));
  tg_history_free(history);

  tg_callback_free(recorder);
  linear_run_free(&r);
}

/* metrics=["accuracy"] resolves from the shapes, in fit: class indices with sparse categorical
 * cross-entropy give sparse categorical accuracy; one-hot labels give categorical accuracy. */
static void test_accuracy_in_fit(void) {
  const int64_t x_shape[2] = {6, 2}, label_shape[1] = {6}, onehot_shape[2] = {6, 3};
  const double xs[12] = {1, 0, 0, 1, 1, 1, -1, 0, 0, -1, 2, 1};
  const double labels[6] = {0, 1, 2, 0, 1, 2};
  const double onehot[18] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1};
  tg_tensor *x = make_tensor(TG_FLOAT32, x_shape, 2, xs), *y = make_tensor(TG_INT32, label_shape, 1, labels);
  tg_tensor* y_onehot = make_tensor(TG_FLOAT32, onehot_shape, 2, onehot);
  tg_loss *sparse = NULL, *cce = NULL;
  tg_metric *acc = NULL, *sparse_acc = NULL, *cat_acc = NULL;
  tg_metric* metrics[2];
  tg_optimizer* adam = NULL;
  tg_history* history = NULL;
  tg_fit_options options;
  double a[3], b[3];
  const char* name = NULL;
  int i;
  tg_model* model = dense_model(3, TG_ACTIVATION_LINEAR, 0, 3);
  CHECK_OK(tg_loss_sparse_categorical_crossentropy(1, 0, 0, TG_REDUCTION_AUTO, &sparse));
  CHECK_OK(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce));
  CHECK_OK(tg_metric_auto_accuracy(&acc));
  CHECK_OK(tg_metric_name(acc, &name));
  CHECK(name && strcmp(name, "accuracy") == 0);
  CHECK_OK(tg_metric_sparse_categorical_accuracy(&sparse_acc));
  CHECK_OK(tg_metric_categorical_accuracy(&cat_acc));
  adam = make_optimizer("adam", "learning_rate", 0.1);
  CHECK_OK(tg_fit_options_init(&options));
  options.batch_size = 4;
  options.epochs = 3;
  metrics[0] = acc;
  metrics[1] = sparse_acc;
  CHECK_OK(tg_model_fit(model, sparse, adam, metrics, 2, x, y, &options, &history));
  CHECK(history_of(history, "accuracy", a, 3) == 3);
  CHECK(history_of(history, "sparse_categorical_accuracy", b, 3) == 3);
  for (i = 0; i < 3; ++i) CHECK(a[i] == b[i]);
  tg_history_free(history);
  history = NULL;

  tg_metric_free(acc);
  CHECK_OK(tg_metric_auto_accuracy(&acc)); /* a new one: the first resolved for good */
  metrics[0] = acc;
  metrics[1] = cat_acc;
  CHECK_OK(tg_model_fit(model, cce, adam, metrics, 2, x, y_onehot, &options, &history));
  CHECK(history_of(history, "accuracy", a, 3) == 3);
  CHECK(history_of(history, "categorical_accuracy", b, 3) == 3);
  for (i = 0; i < 3; ++i) CHECK(a[i] == b[i]);
  tg_history_free(history);

  tg_optimizer_free(adam);
  tg_metric_free(acc);
  tg_metric_free(sparse_acc);
  tg_metric_free(cat_acc);
  tg_loss_free(sparse);
  tg_loss_free(cce);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_tensor_free(y_onehot);
  tg_model_free(model);
}

/* A classifier with Dropout on random data: the same seeds give bit-identical weights and
 * history; another shuffle seed gives other weights. */
static void determinism_run(uint64_t shuffle_seed, float* weights, size_t capacity, double* history_values,
                            size_t* num_values) {
  const int64_t x_shape[2] = {22, 4}, y_shape[2] = {22, 3};
  tg_model* model = NULL;
  tg_tensor *x = NULL, *y = NULL;
  tg_loss* cce = NULL;
  tg_metric* acc = NULL;
  tg_optimizer* adam = NULL;
  tg_history* history = NULL;
  tg_fit_options options;
  const char* keys[4] = {"loss", "accuracy", "val_loss", "val_accuracy"};
  size_t k, n = 0;
  CHECK_OK(tg_random_uniform(TG_FLOAT32, x_shape, 2, -1, 1, 1, &x));
  CHECK_OK(tg_random_uniform(TG_FLOAT32, y_shape, 2, 0, 1, 2, &y));
  CHECK_OK(tg_model_create(NULL, &model));
  CHECK_OK(add_dense(model, 8, TG_ACTIVATION_RELU, 1, 21, NULL));
  add_dropout(model, 0.3, 22);
  CHECK_OK(add_dense(model, 3, TG_ACTIVATION_LINEAR, 1, 23, NULL));
  CHECK_OK(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce));
  CHECK_OK(tg_metric_auto_accuracy(&acc));
  adam = make_optimizer("adam", "learning_rate", 0.01);
  CHECK_OK(tg_fit_options_init(&options));
  options.batch_size = 4;
  options.epochs = 3;
  options.seed = shuffle_seed;
  options.validation_split = 0.25;
  CHECK_OK(tg_model_fit(model, cce, adam, &acc, 1, x, y, &options, &history));
  CHECK(model_values(model, weights, capacity) == capacity);
  for (k = 0; k < 4; ++k) n += history_of(history, keys[k], history_values + n, 3);
  *num_values = n;
  tg_history_free(history);
  tg_optimizer_free(adam);
  tg_metric_free(acc);
  tg_loss_free(cce);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_model_free(model);
}

static void test_determinism(void) {
  enum { kWeights = 4 * 8 + 8 + 8 * 3 + 3 };
  float a[kWeights], b[kWeights], c[kWeights];
  double ha[12], hb[12], hc[12];
  size_t na = 0, nb = 0, nc = 0;
  determinism_run(7, a, kWeights, ha, &na);
  determinism_run(7, b, kWeights, hb, &nb);
  determinism_run(8, c, kWeights, hc, &nc);
  CHECK(na == 12 && nb == 12);
  CHECK(memcmp(a, b, sizeof a) == 0);
  CHECK(memcmp(ha, hb, sizeof ha) == 0);
  CHECK(memcmp(a, c, sizeof a) != 0); /* the shuffle seed matters */
}

/* Records the loss of the first batch of each epoch. */
static tg_status first_batch_losses(tg_training* training, tg_callback_event event, int64_t index, tg_logs* logs,
                                    void* user_data) {
  batch_log* log = (batch_log*)user_data;
  (void)training;
  if (event == TG_ON_TRAIN_BATCH_END && index == 0 && log->count < 16)
    return tg_logs_get(logs, "loss", &log->loss[log->count++]);
  return TG_OK;
}

/* With shuffle, each epoch's first batch holds other samples; without, the same ones. A tiny
 * learning rate keeps the weights (and so each sample's loss) nearly constant. */
static void test_shuffle(void) {
  linear_run r;
  tg_callback* recorder = NULL;
  batch_log log;
  linear_run_init(&r, 1e-6);
  tg_tensor_free(r.x);
  tg_tensor_free(r.y);
  ten_samples(&r.x, &r.y);
  CHECK_OK(tg_callback_create(first_batch_losses, &log, &recorder));
  r.options.batch_size = 3;
  r.options.epochs = 3;
  r.options.callbacks = &recorder;
  r.options.num_callbacks = 1;
  r.options.shuffle = 0;
  memset(&log, 0, sizeof log);
  CHECK_OK(linear_run_fit(&r, NULL));
  CHECK(log.count == 3);
  CHECK_NEAR(log.loss[0], log.loss[1], 1e-4);
  CHECK_NEAR(log.loss[1], log.loss[2], 1e-4);
  r.options.shuffle = 1;
  r.options.seed = 3;
  memset(&log, 0, sizeof log);
  CHECK_OK(linear_run_fit(&r, NULL));
  CHECK(log.count == 3);
  CHECK(fabs(log.loss[0] - log.loss[1]) > 1e-2 || fabs(log.loss[1] - log.loss[2]) > 1e-2);
  tg_callback_free(recorder);
  linear_run_free(&r);
}

/* tg_model_train_step == the same step with tape calls: the same loss and variables. */
static void test_train_step(void) {
  const int64_t label_shape[1] = {5};
  const double labels[5] = {0, 1, 1, 0, 1};
  tg_model *a = dense_model(2, TG_ACTIVATION_LINEAR, 0, 5), *b = dense_model(2, TG_ACTIVATION_LINEAR, 0, 5);
  tg_tensor *x = fit_x(), *y = make_tensor(TG_INT64, label_shape, 1, labels), *probe = NULL;
  tg_loss* loss = NULL;
  tg_optimizer *opt_a = NULL, *opt_b = NULL;
  tg_metric *acc_a = NULL, *acc_b = NULL;
  float va[6], vb[6];
  double value_a = 0, value_b = 0, acc_value_a = -1, acc_value_b = -2;
  int step;
  CHECK_OK(tg_loss_sparse_categorical_crossentropy(1, 0, 0, TG_REDUCTION_AUTO, &loss));
  opt_a = make_optimizer("adam", "learning_rate", 0.05);
  opt_b = make_optimizer("adam", "learning_rate", 0.05);
  CHECK_OK(tg_metric_auto_accuracy(&acc_a));
  CHECK_OK(tg_metric_sparse_categorical_accuracy(&acc_b));
  CHECK_OK(tg_model_call(b, x, &probe));
  tg_tensor_free(probe);
  for (step = 0; step < 3; ++step) {
    tg_tape* tape = NULL;
    tg_tensor *logits = NULL, *loss_b = NULL, *grads[2] = {NULL, NULL};
    tg_variable* vars[2];
    const void *targets[1], *sources[2];
    size_t count = 0;
    CHECK_OK(tg_model_train_step(a, loss, opt_a, &acc_a, 1, x, y, NULL, &value_a));

    CHECK_OK(tg_model_trainable_variables(b, vars, 2, &count));
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
    CHECK_OK(tg_model_call_ex(b, x, 1, &logits));
    CHECK_OK(tg_loss_call(loss, y, logits, NULL, &loss_b));
    CHECK_OK(tg_tape_end(tape));
    targets[0] = loss_b;
    sources[0] = vars[0];
    sources[1] = vars[1];
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, grads));
    CHECK_OK(tg_optimizer_apply(opt_b, vars, grads, 2, NULL));
    CHECK_OK(tg_metric_update(acc_b, y, logits, NULL));
    value_b = item_of(loss_b);
    CHECK(value_a == value_b);
    tg_tensor_free(grads[0]);
    tg_tensor_free(grads[1]);
    tg_tensor_free(loss_b);
    tg_tensor_free(logits);
    tg_tape_free(tape);
    tg_variable_free(vars[0]);
    tg_variable_free(vars[1]);
  }
  CHECK(model_values(a, va, 6) == 6 && model_values(b, vb, 6) == 6);
  CHECK(memcmp(va, vb, sizeof va) == 0);
  CHECK_OK(tg_metric_result(acc_a, &acc_value_a));
  CHECK_OK(tg_metric_result(acc_b, &acc_value_b));
  CHECK(acc_value_a == acc_value_b);
  CHECK_OK(tg_model_train_step(a, loss, opt_a, NULL, 0, x, y, NULL, NULL)); /* loss_value may be NULL */

  tg_metric_free(acc_a);
  tg_metric_free(acc_b);
  tg_optimizer_free(opt_a);
  tg_optimizer_free(opt_b);
  tg_loss_free(loss);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_model_free(a);
  tg_model_free(b);
}

/* Dropout(0.5) is active in training steps only: predict, evaluate and validation see the
 * model as tg_model_call(x) (training off) does, every time. */
static void test_dropout_off_outside_training(void) {
  const int64_t x_shape[2] = {6, 4};
  tg_model* model = NULL;
  tg_tensor *x = NULL, *called = NULL, *p1 = NULL, *p2 = NULL;
  tg_loss* mse = NULL;
  tg_predict_options pred;
  double eval1 = 0, eval2 = 0, step_loss = 0;
  int64_t i;
  int same = 1;
  CHECK_OK(tg_random_uniform(TG_FLOAT32, x_shape, 2, 0.5, 1, 3, &x));
  CHECK_OK(tg_model_create(NULL, &model));
  CHECK_OK(add_dense(model, 8, TG_ACTIVATION_RELU, 1, 31, NULL));
  add_dropout(model, 0.5, 32);
  CHECK_OK(add_dense(model, 1, TG_ACTIVATION_LINEAR, 1, 33, NULL));
  CHECK_OK(tg_model_call(model, x, &called));
  CHECK_OK(tg_predict_options_init(&pred));
  pred.batch_size = 4;
  CHECK_OK(tg_model_predict(model, x, &pred, &p1));
  CHECK_OK(tg_model_predict(model, x, &pred, &p2));
  for (i = 0; i < 6; ++i) same = same && element(p1, i) == element(called, i) && element(p2, i) == element(p1, i);
  CHECK(same);
  /* targets = the inference output: evaluate's loss is exactly 0, twice; a training step
   * (Dropout on) sees another output, so its loss is not 0 */
  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, &mse));
  CHECK_OK(tg_model_evaluate(model, mse, NULL, 0, x, called, NULL, &eval1, 1));
  CHECK_OK(tg_model_evaluate(model, mse, NULL, 0, x, called, NULL, &eval2, 1));
  CHECK(eval1 == 0 && eval2 == 0);
  {
    tg_optimizer* sgd = make_optimizer("sgd", "learning_rate", 1e-9);
    CHECK_OK(tg_model_train_step(model, mse, sgd, NULL, 0, x, called, NULL, &step_loss));
    CHECK(step_loss > 0);
    tg_optimizer_free(sgd);
  }
  tg_loss_free(mse);
  tg_tensor_free(p1);
  tg_tensor_free(p2);
  tg_tensor_free(called);
  tg_tensor_free(x);
  tg_model_free(model);
}

int main(void) {
  test_weighted_epoch_loss();
  test_sample_weights();
  test_evaluate_and_predict();
  test_validation_split();
  test_initial_epoch();
  test_accuracy_in_fit();
  test_determinism();
  test_shuffle();
  test_train_step();
  test_dropout_off_outside_training();
  return check_summary();
}
