/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tapes are per thread (docs/design.md): two threads that each train their own small model
 * (Dense + Adam through the C API, same seeds) get bit-identical results to the same runs
 * made one after the other; every tape function called with another thread's tape returns
 * TG_INVALID_STATE instead of crashing.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

/* Legend: N = 64 samples, D = 8 inputs, H = 16 hidden units, C = 4 classes. */
enum { N = 64, D = 8, H = 16, C = 4, STEPS = 5, NUM_VARS = 4 };
static const int64_t kVarSizes[NUM_VARS] = {D * H, H, H* C, C};

typedef struct {
  float losses[STEPS];
  float weights[D * H + H + H * C + C]; /* kernel 1, bias 1, kernel 2, bias 2 after training */
  int64_t iterations;
  tg_status status; /* first failure, TG_OK if none */
  char message[256];
} run_result;

static void fail_with(run_result* r, tg_status s) {
  if (r->status != TG_OK || s == TG_OK) return;
  r->status = s;
  strncpy(r->message, tg_last_error_message(), sizeof r->message - 1);
  r->message[sizeof r->message - 1] = 0;
}

/* The seed notebook's training step, shrunk: forward, loss, gradient, Adam. Checks every
 * status itself (the check counters are not thread-safe). */
static void* train(void* arg) {
  run_result* r = (run_result*)arg;
  const int64_t x_shape[2] = {N, D}, y_shape[2] = {N, C};
  tg_tensor *x = NULL, *y = NULL;
  tg_model* model = NULL;
  tg_optimizer* adam = NULL;
  tg_loss* cce = NULL;
  tg_variable* vars[NUM_VARS] = {NULL, NULL, NULL, NULL};
  size_t count = 0, offset = 0;
  int step, v;
  memset(r, 0, sizeof *r);
  fail_with(r, tg_random_uniform(TG_FLOAT32, x_shape, 2, 0, 1, 3, &x));
  fail_with(r, tg_random_uniform(TG_FLOAT32, y_shape, 2, 0, 1, 4, &y));
  fail_with(r, tg_model_create("my_model", &model));
  fail_with(r, add_dense(model, H, TG_ACTIVATION_RELU, 1, 42, "dense"));
  fail_with(r, add_dense(model, C, TG_ACTIVATION_LINEAR, 1, 43, "dense_1"));
  fail_with(r, tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce));
  fail_with(r, tg_optimizer_create("adam", &adam));
  for (step = 0; step < STEPS && r->status == TG_OK; ++step) {
    tg_tape* tape = NULL;
    tg_tensor *pred = NULL, *loss = NULL, *grads[NUM_VARS] = {NULL, NULL, NULL, NULL};
    const void* targets[1];
    const void* sources[NUM_VARS];
    double value = 0;
    fail_with(r, tg_tape_begin(TG_TAPE_DEFAULT, &tape));
    fail_with(r, tg_model_call(model, x, &pred));
    fail_with(r, tg_loss_call(cce, y, pred, NULL, &loss));
    fail_with(r, tg_tape_end(tape));
    if (step == 0) fail_with(r, tg_model_trainable_variables(model, vars, NUM_VARS, &count));
    for (v = 0; v < NUM_VARS; ++v) sources[v] = vars[v];
    targets[0] = loss;
    if (r->status == TG_OK)
      fail_with(r, tg_tape_gradient(tape, targets, 1, sources, NUM_VARS, grads));
    if (r->status == TG_OK)
      fail_with(r, tg_optimizer_apply(adam, vars, grads, NUM_VARS, &r->iterations));
    fail_with(r, tg_tensor_item(loss, &value));
    r->losses[step] = (float)value;
    for (v = 0; v < NUM_VARS; ++v) tg_tensor_free(grads[v]);
    tg_tensor_free(pred);
    tg_tensor_free(loss);
    tg_tape_free(tape);
  }
  for (v = 0; v < NUM_VARS && r->status == TG_OK; ++v) {
    tg_tensor* value = NULL;
    fail_with(r, tg_variable_read(vars[v], &value));
    if (r->status == TG_OK)
      fail_with(
          r, tg_tensor_copy_data(value, r->weights + offset, (size_t)kVarSizes[v] * sizeof(float)));
    offset += (size_t)kVarSizes[v];
    tg_tensor_free(value);
  }
  if (r->status == TG_OK && count != NUM_VARS) r->status = TG_INTERNAL;
  for (v = 0; v < NUM_VARS; ++v) tg_variable_free(vars[v]);
  tg_optimizer_free(adam);
  tg_loss_free(cce);
  tg_model_free(model);
  tg_tensor_free(x);
  tg_tensor_free(y);
  return NULL;
}

static void check_run(const run_result* r, const char* label) {
  if (!CHECK(r->status == TG_OK)) fprintf(stderr, "    %s: %s\n", label, r->message);
  CHECK(r->iterations == STEPS);
  CHECK(r->losses[STEPS - 1] < r->losses[0]); /* it trains */
}

static void test_concurrent_training_is_bit_identical(void) {
  static run_result seq_a, seq_b, par_a, par_b;
  pthread_t ta, tb;
  train(&seq_a);
  train(&seq_b);
  CHECK(pthread_create(&ta, NULL, train, &par_a) == 0);
  CHECK(pthread_create(&tb, NULL, train, &par_b) == 0);
  CHECK(pthread_join(ta, NULL) == 0);
  CHECK(pthread_join(tb, NULL) == 0);
  check_run(&seq_a, "sequential run 1");
  check_run(&seq_b, "sequential run 2");
  check_run(&par_a, "thread 1");
  check_run(&par_b, "thread 2");
  CHECK(memcmp(seq_a.losses, seq_b.losses, sizeof seq_a.losses) == 0);
  CHECK(memcmp(seq_a.weights, seq_b.weights, sizeof seq_a.weights) == 0);
  CHECK(memcmp(seq_a.losses, par_a.losses, sizeof seq_a.losses) == 0);
  CHECK(memcmp(seq_a.weights, par_a.weights, sizeof seq_a.weights) == 0);
  CHECK(memcmp(seq_a.losses, par_b.losses, sizeof seq_a.losses) == 0);
  CHECK(memcmp(seq_a.weights, par_b.weights, sizeof seq_a.weights) == 0);
}

/* ---- another thread's tape ---- */

enum { NUM_CALLS = 10 };
typedef struct {
  tg_tape* tape;
  const tg_tensor* x;
  const tg_tensor* y;
  tg_status status[NUM_CALLS];
  char message[NUM_CALLS][256];
  int persistent; /* tg_tape_is_persistent works from any thread */
} foreign_case;

static void record(foreign_case* c, int i, tg_status s) {
  c->status[i] = s;
  strncpy(c->message[i], tg_last_error_message(), 255);
  c->message[i][255] = 0;
}

static void* use_foreign_tape(void* arg) {
  foreign_case* c = (foreign_case*)arg;
  const void* targets[1];
  const void* sources[1];
  tg_tensor* g = NULL;
  tg_variable* vars[1];
  size_t count = 0;
  targets[0] = c->y;
  sources[0] = c->x;
  record(c, 0, tg_tape_enter(c->tape));
  record(c, 1, tg_tape_stop_recording(c->tape));
  record(c, 2, tg_tape_resume_recording(c->tape));
  record(c, 3, tg_tape_reset(c->tape));
  record(c, 4, tg_tape_gradient_ex(c->tape, targets, 1, sources, 1, NULL, TG_UNCONNECTED_NONE, &g));
  record(c, 5, tg_tape_jacobian(c->tape, c->y, sources, 1, TG_UNCONNECTED_NONE, &g));
  record(c, 6, tg_tape_batch_jacobian(c->tape, c->y, c->x, TG_UNCONNECTED_NONE, &g));
  record(c, 7, tg_tape_watched_variables(c->tape, vars, 1, &count));
  record(c, 8, tg_tape_watch(c->tape, c->x));
  record(c, 9, tg_tape_is_recording(c->tape, &c->persistent));
  c->persistent = -1;
  if (tg_tape_is_persistent(c->tape, &c->persistent) != TG_OK) c->persistent = -2;
  return NULL;
}

static void test_foreign_thread(void) {
  static const char* names[NUM_CALLS] = {
      "[tg_tape_enter]",          "[tg_tape_stop_recording]",    "[tg_tape_resume_recording]",
      "[tg_tape_reset]",          "[tg_tape_gradient_ex]",       "[tg_tape_jacobian]",
      "[tg_tape_batch_jacobian]", "[tg_tape_watched_variables]", "[tg_tape_watch]",
      "[tg_tape_is_recording]"};
  const int64_t s22[] = {2, 2};
  tg_tensor* x = make_tensor(TG_FLOAT32, s22, 2, ((const double[]){1, 2, 3, 4}));
  tg_tensor *y = NULL, *g = NULL;
  foreign_case c;
  pthread_t thread;
  int i;
  memset(&c, 0, sizeof c);
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &c.tape));
  CHECK_OK(tg_tape_watch(c.tape, x));
  CHECK_OK(tg_mul(x, x, &y));
  c.x = x;
  c.y = y;
  CHECK(pthread_create(&thread, NULL, use_foreign_tape, &c) == 0);
  CHECK(pthread_join(thread, NULL) == 0);
  for (i = 0; i < NUM_CALLS; ++i) {
    if (!CHECK(c.status[i] == TG_INVALID_STATE && strstr(c.message[i], names[i]) &&
               strstr(c.message[i], "thread")))
      fprintf(stderr, "    %s: %s\n", names[i], c.message[i]);
  }
  CHECK(c.persistent == 1);
  /* untouched on its own thread */
  CHECK_OK(tg_tape_end(c.tape));
  CHECK_OK(tg_tape_batch_jacobian(c.tape, y, x, TG_UNCONNECTED_NONE, &g));
  CHECK_TENSOR(g, TG_FLOAT32, ((const int64_t[]){2, 2, 2}), 3,
               ((const double[]){2, 0, 0, 4, 6, 0, 0, 8}), 0);
  tg_tensor_free(g);
  CHECK_OK(tg_tape_free(c.tape));
  tg_tensor_free(x);
  tg_tensor_free(y);
}

int main(void) {
  CHECK_OK(tg_set_num_threads(2));
  test_concurrent_training_is_bit_identical();
  test_foreign_thread();
  return check_summary();
}
