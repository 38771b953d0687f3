/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of the gradient tape (tf.GradientTape semantics, docs/gradient-tape.md):
 * the seed notebook's first cell, persistent and non-persistent tapes, unconnected sources,
 * several and non-scalar targets, nested tapes, variables, threads, bad input.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

#define NON_PERSISTENT_MESSAGE \
  "A non-persistent GradientTape can only be used to compute one set of gradients"

/* The worked example of the header, i.e. the notebook's first cell. */
static void test_first_cell(void) {
  tg_tensor *x = NULL, *y = NULL, *dy_dx = NULL;
  tg_tape* tape = NULL;
  double value = 0;
  const void* targets[1];
  const void* sources[1];
  CHECK_OK(tg_tensor_scalar(TG_FLOAT32, 3.0, &x));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, x, &y));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = y;
  sources[0] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &dy_dx));
  CHECK_OK(tg_tensor_item(dy_dx, &value));
  CHECK(value == 6.0);
  CHECK_TENSOR(dy_dx, TG_FLOAT32, NULL, 0, (const double[]){6}, 0);

  /* a second gradient on a non-persistent tape: TensorFlow's error; nothing written */
  {
    tg_tensor* again = (tg_tensor*)&again;
    CHECK_ERR(tg_tape_gradient(tape, targets, 1, sources, 1, &again), TG_INVALID_STATE,
              "[tg_tape_gradient]", NON_PERSISTENT_MESSAGE);
    CHECK(again == (tg_tensor*)&again);
  }
  /* ending it twice */
  CHECK_ERR(tg_tape_end(tape), TG_INVALID_STATE, "[tg_tape_end]", "Tape is not recording.");
  CHECK_OK(tg_tensor_free(dy_dx));
  CHECK_OK(tg_tensor_free(y));
  CHECK_OK(tg_tensor_free(x));
  CHECK_OK(tg_tape_free(tape));
}

/* BPT testPersistentTape: x = 3, y = x², z = y²: dz/dx = 108, then dy/dx = 6. */
static void test_persistent(void) {
  tg_tensor *x = make_scalar(TG_FLOAT32, 3), *y = NULL, *z = NULL, *g = NULL;
  tg_tensor* pair[2] = {NULL, NULL};
  tg_tape* tape = NULL;
  const void* targets[1];
  const void* sources[2];
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, x, &y));
  CHECK_OK(tg_mul(y, y, &z));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = z;
  sources[0] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  CHECK_NEAR(item_of(g), 108.0, 0);
  tg_tensor_free(g);
  targets[0] = y;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  CHECK_NEAR(item_of(g), 6.0, 0);
  tg_tensor_free(g);
  /* repeated sources each get the full gradient */
  sources[1] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, pair));
  CHECK_NEAR(item_of(pair[0]), 6.0, 0);
  CHECK_NEAR(item_of(pair[1]), 6.0, 0);
  CHECK(pair[0] != pair[1]);
  tg_tensor_free(pair[0]);
  tg_tensor_free(pair[1]);
  /* no sources: nothing to write, gradients may be NULL */
  CHECK_OK(tg_tape_gradient(tape, targets, 1, NULL, 0, NULL));
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_tensor_free(z);
}

/* An unconnected source gets NULL (TF's None), with TG_OK. */
static void test_unconnected(void) {
  tg_tensor *x = make_scalar(TG_FLOAT64, 3), *z = make_scalar(TG_FLOAT64, 5), *y = NULL;
  tg_tensor* grads[2];
  tg_tape* tape = NULL;
  const void* targets[1];
  const void* sources[2];
  grads[0] = grads[1] = (tg_tensor*)&grads;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_tape_watch(tape, z));
  CHECK_OK(tg_mul(x, x, &y));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = y;
  sources[0] = x;
  sources[1] = z;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, grads));
  CHECK_TENSOR(grads[0], TG_FLOAT64, NULL, 0, (const double[]){6}, 0);
  CHECK(grads[1] == NULL);
  tg_tensor_free(grads[0]);
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_tensor_free(z);
}

/* GUIDE: targets {x², 1/x} at x = 2 are summed: 4 - 1/4 = 3.75. A non-scalar target gives the
 * gradient of its sum: y = x·[3, 4] gives 7. */
static void test_several_and_nonscalar_targets(void) {
  tg_tensor *x = make_scalar(TG_FLOAT32, 2), *one = make_scalar(TG_FLOAT32, 1);
  tg_tensor *y0 = NULL, *y1 = NULL, *g = NULL;
  tg_tensor* w = make_tensor(TG_FLOAT32, (const int64_t[]){2}, 1, ((const double[]){3, 4}));
  tg_tape* tape = NULL;
  const void* targets[2];
  const void* sources[1];
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, x, &y0));
  CHECK_OK(tg_div(one, x, &y1));
  targets[0] = y0;
  targets[1] = y1;
  sources[0] = x;
  /* called while recording: a non-persistent tape stops recording first */
  CHECK_OK(tg_tape_gradient(tape, targets, 2, sources, 1, &g));
  CHECK_NEAR(item_of(g), 3.75, 1e-6);
  CHECK_ERR(tg_tape_end(tape), TG_INVALID_STATE, "[tg_tape_end]", "Tape is not recording.");
  tg_tensor_free(g);
  tg_tensor_free(y0);
  CHECK_OK(tg_tape_free(tape));

  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, w, &y0));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = y0;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  CHECK_TENSOR(g, TG_FLOAT32, NULL, 0, (const double[]){7}, 0);
  tg_tensor_free(g);
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(x);
  tg_tensor_free(one);
  tg_tensor_free(w);
  tg_tensor_free(y0);
  tg_tensor_free(y1);
}

/* d²(x³)/dx² at 3 = 18: the inner gradient is computed inside the outer tape, which records
 * it. Then the same with one persistent tape differentiating its own gradient. */
static void test_higher_order(void) {
  tg_tensor *x = make_scalar(TG_FLOAT64, 3), *x2 = NULL, *x3 = NULL, *dy = NULL, *d2y = NULL;
  tg_tape *outer = NULL, *inner = NULL;
  const void* targets[1];
  const void* sources[1];
  sources[0] = x;

  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &outer));
  CHECK_OK(tg_tape_watch(outer, x));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &inner));
  CHECK_OK(tg_tape_watch(inner, x));
  CHECK_OK(tg_mul(x, x, &x2));
  CHECK_OK(tg_mul(x2, x, &x3));
  CHECK_OK(tg_tape_end(inner));
  targets[0] = x3;
  CHECK_OK(tg_tape_gradient(inner, targets, 1, sources, 1, &dy));
  CHECK_NEAR(item_of(dy), 27.0, 1e-12);
  CHECK_OK(tg_tape_end(outer));
  targets[0] = dy;
  CHECK_OK(tg_tape_gradient(outer, targets, 1, sources, 1, &d2y));
  CHECK_NEAR(item_of(d2y), 18.0, 1e-12);
  tg_tensor_free(dy);
  tg_tensor_free(d2y);
  tg_tensor_free(x2);
  tg_tensor_free(x3);
  CHECK_OK(tg_tape_free(inner));
  CHECK_OK(tg_tape_free(outer));

  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &outer));
  CHECK_OK(tg_tape_watch(outer, x));
  CHECK_OK(tg_mul(x, x, &x2));
  CHECK_OK(tg_mul(x2, x, &x3));
  targets[0] = x3;
  CHECK_OK(tg_tape_gradient(outer, targets, 1, sources, 1, &dy)); /* recorded on itself */
  CHECK_NEAR(item_of(dy), 27.0, 1e-12);
  CHECK_OK(tg_tape_end(outer));
  targets[0] = dy;
  CHECK_OK(tg_tape_gradient(outer, targets, 1, sources, 1, &d2y));
  CHECK_NEAR(item_of(d2y), 18.0, 1e-12);
  tg_tensor_free(dy);
  tg_tensor_free(d2y);
  tg_tensor_free(x2);
  tg_tensor_free(x3);
  CHECK_OK(tg_tape_free(outer));
  tg_tensor_free(x);
}

/* sum(v·v) for a variable v = [1,2,3] under a tape begun with `flags`; gradient into *g. */
static void gradient_of_sum_of_squares(tg_variable* v, uint32_t flags, int watch_explicitly,
                                       tg_tensor** g) {
  tg_tape* tape = NULL;
  tg_tensor *r = NULL, *sq = NULL, *y = NULL;
  const void* targets[1];
  const void* sources[1];
  CHECK_OK(tg_tape_begin(flags, &tape));
  if (watch_explicitly) CHECK_OK(tg_tape_watch(tape, v));
  CHECK_OK(tg_variable_read(v, &r));
  CHECK_OK(tg_mul(r, r, &sq));
  CHECK_OK(tg_reduce_sum(sq, NULL, 0, 0, &y));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = y;
  sources[0] = v;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, g));
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(r);
  tg_tensor_free(sq);
  tg_tensor_free(y);
}

static void test_variables(void) {
  const int64_t s3[] = {3};
  const double want[] = {2, 4, 6};
  tg_tensor* init = make_tensor(TG_FLOAT32, s3, 1, ((const double[]){1, 2, 3}));
  tg_variable *trainable = NULL, *frozen = NULL;
  tg_tensor* g = (tg_tensor*)&g;
  CHECK_OK(tg_variable_create("trainable", init, 1, &trainable));
  CHECK_OK(tg_variable_create("frozen", init, 0, &frozen));

  /* a trainable variable is watched when read */
  gradient_of_sum_of_squares(trainable, TG_TAPE_DEFAULT, 0, &g);
  CHECK_TENSOR(g, TG_FLOAT32, s3, 1, want, 0);
  tg_tensor_free(g);
  /* a non-trainable one is not: NULL */
  g = (tg_tensor*)&g;
  gradient_of_sum_of_squares(frozen, TG_TAPE_DEFAULT, 0, &g);
  CHECK(g == NULL);
  /* unless watched explicitly */
  gradient_of_sum_of_squares(frozen, TG_TAPE_DEFAULT, 1, &g);
  CHECK_TENSOR(g, TG_FLOAT32, s3, 1, want, 0);
  tg_tensor_free(g);
  /* watch_accessed_variables=False: reading does not watch */
  g = (tg_tensor*)&g;
  gradient_of_sum_of_squares(trainable, TG_TAPE_NO_WATCH_ACCESSED_VARIABLES, 0, &g);
  CHECK(g == NULL);
  gradient_of_sum_of_squares(trainable, TG_TAPE_NO_WATCH_ACCESSED_VARIABLES, 1, &g);
  CHECK_TENSOR(g, TG_FLOAT32, s3, 1, want, 0);
  tg_tensor_free(g);
  gradient_of_sum_of_squares(trainable, TG_TAPE_PERSISTENT | TG_TAPE_NO_WATCH_ACCESSED_VARIABLES,
                             1, &g);
  CHECK_TENSOR(g, TG_FLOAT32, s3, 1, want, 0);
  tg_tensor_free(g);

  /* the gradient is taken at the value read, not at a later assignment */
  {
    tg_tape* tape = NULL;
    tg_tensor *r = NULL, *y = NULL, *grads[2] = {NULL, NULL};
    tg_tensor* twice = make_tensor(TG_FLOAT32, s3, 1, ((const double[]){10, 20, 30}));
    const void* targets[1];
    const void* sources[2];
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
    CHECK_OK(tg_variable_read(trainable, &r));
    CHECK_OK(tg_mul(r, r, &y));
    CHECK_OK(tg_tape_end(tape));
    CHECK_OK(tg_variable_assign(trainable, twice));
    targets[0] = y;
    sources[0] = trainable;
    sources[1] = r; /* the snapshot tensor is a source too */
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, grads));
    CHECK_TENSOR(grads[0], TG_FLOAT32, s3, 1, want, 0);
    CHECK_TENSOR(grads[1], TG_FLOAT32, s3, 1, want, 0);
    tg_tensor_free(grads[0]);
    tg_tensor_free(grads[1]);
    tg_tensor_free(r);
    tg_tensor_free(y);
    tg_tensor_free(twice);
    CHECK_OK(tg_tape_free(tape));
  }
  CHECK_OK(tg_variable_free(trainable));
  CHECK_OK(tg_variable_free(frozen));
  tg_tensor_free(init);
}

/* Watching an integer tensor is allowed and records nothing. */
static void test_integer_watch(void) {
  tg_tensor *i = make_scalar(TG_INT32, 3), *y = NULL, *g = (tg_tensor*)&g;
  tg_tape* tape = NULL;
  const void* targets[1];
  const void* sources[1];
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, i));
  CHECK_OK(tg_mul(i, i, &y));
  CHECK_OK(tg_tape_end(tape));
  targets[0] = y;
  sources[0] = i;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  CHECK(g == NULL);
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(y);
  tg_tensor_free(i);
}

/* Freeing a tape that is still recording on this thread ends it first; the other active
 * tapes keep recording. */
static void test_free_while_recording(void) {
  tg_tensor *x = make_scalar(TG_FLOAT32, 3), *y = NULL, *g = NULL;
  tg_tape *outer = NULL, *inner = NULL;
  const void* targets[1];
  const void* sources[1];
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &outer));
  CHECK_OK(tg_tape_watch(outer, x));
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &inner));
  CHECK_OK(tg_tape_watch(inner, x));
  CHECK_OK(tg_tape_free(inner));
  CHECK_OK(tg_mul(x, x, &y)); /* must not touch the freed tape */
  CHECK_OK(tg_tape_end(outer));
  targets[0] = y;
  sources[0] = x;
  CHECK_OK(tg_tape_gradient(outer, targets, 1, sources, 1, &g));
  CHECK_NEAR(item_of(g), 6.0, 0);
  tg_tensor_free(g);
  tg_tensor_free(y);
  CHECK_OK(tg_tape_free(outer));
  tg_tensor_free(x);
}

/* ---- threads: a tape belongs to the thread that began it ---- */

typedef struct {
  tg_tape* tape;
  const tg_tensor* x;
  const tg_tensor* y;
  tg_status watch, end, gradient, free_status, own;
  char watch_msg[256], end_msg[256], gradient_msg[256], free_msg[256];
  double own_gradient;
} thread_case;

static void copy_message(char* dst) {
  strncpy(dst, tg_last_error_message(), 255);
  dst[255] = 0;
}

static void* use_foreign_tape(void* arg) {
  thread_case* c = (thread_case*)arg;
  const void* targets[1];
  const void* sources[1];
  tg_tensor* g = NULL;
  targets[0] = c->y;
  sources[0] = c->x;
  c->watch = tg_tape_watch(c->tape, c->x);
  copy_message(c->watch_msg);
  c->end = tg_tape_end(c->tape);
  copy_message(c->end_msg);
  c->gradient = tg_tape_gradient(c->tape, targets, 1, sources, 1, &g);
  copy_message(c->gradient_msg);
  c->free_status = tg_tape_free(c->tape);
  copy_message(c->free_msg);
  /* a tape of its own works on this thread */
  {
    tg_tape* own = NULL;
    tg_tensor *x = NULL, *y = NULL;
    c->own = tg_tensor_scalar(TG_FLOAT64, 4, &x);
    if (c->own == TG_OK) c->own = tg_tape_begin(TG_TAPE_DEFAULT, &own);
    if (c->own == TG_OK) c->own = tg_tape_watch(own, x);
    if (c->own == TG_OK) c->own = tg_mul(x, x, &y);
    targets[0] = y;
    sources[0] = x;
    if (c->own == TG_OK) c->own = tg_tape_gradient(own, targets, 1, sources, 1, &g);
    if (c->own == TG_OK) c->own = tg_tensor_item(g, &c->own_gradient);
    tg_tensor_free(g);
    tg_tensor_free(y);
    tg_tensor_free(x);
    tg_tape_free(own);
  }
  return NULL;
}

static void* free_tape(void* arg) {
  thread_case* c = (thread_case*)arg;
  c->free_status = tg_tape_free(c->tape);
  return NULL;
}

static void test_threads(void) {
  tg_tensor *x = make_scalar(TG_FLOAT32, 3), *y = NULL, *g = NULL;
  tg_tape* tape = NULL;
  thread_case c;
  pthread_t thread;
  const void* targets[1];
  const void* sources[1];
  memset(&c, 0, sizeof c);
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, x, &y));
  c.tape = tape;
  c.x = x;
  c.y = y;
  CHECK(pthread_create(&thread, NULL, use_foreign_tape, &c) == 0);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(c.watch == TG_INVALID_STATE);
  CHECK(strstr(c.watch_msg, "[tg_tape_watch]") && strstr(c.watch_msg, "thread"));
  CHECK(c.end == TG_INVALID_STATE);
  CHECK(strstr(c.end_msg, "[tg_tape_end]") && strstr(c.end_msg, "thread"));
  CHECK(c.gradient == TG_INVALID_STATE);
  CHECK(strstr(c.gradient_msg, "[tg_tape_gradient]") && strstr(c.gradient_msg, "thread"));
  CHECK(c.free_status == TG_INVALID_STATE);
  CHECK(strstr(c.free_msg, "[tg_tape_free]") && strstr(c.free_msg, "another thread"));
  CHECK(c.own == TG_OK);
  CHECK(c.own_gradient == 8.0);

  /* the tape is intact on its own thread */
  CHECK_OK(tg_tape_end(tape));
  targets[0] = y;
  sources[0] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  CHECK_NEAR(item_of(g), 6.0, 0);
  tg_tensor_free(g);

  /* once it has stopped recording, another thread may free it */
  c.free_status = TG_INTERNAL;
  CHECK(pthread_create(&thread, NULL, free_tape, &c) == 0);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(c.free_status == TG_OK);
  tg_tensor_free(y);
  tg_tensor_free(x);
}

/* ---- bad input ---- */

static void test_errors(void) {
  tg_tensor *x = make_scalar(TG_FLOAT32, 3), *y = NULL, *freed = NULL;
  tg_tape *tape = NULL, *freed_tape = NULL;
  tg_tape* sentinel_tape = (tg_tape*)&sentinel_tape;
  tg_tape* t = sentinel_tape;
  tg_tensor* grads[2];
  const void* targets[1];
  const void* sources[2];
  grads[0] = grads[1] = (tg_tensor*)&grads;

  CHECK_ERR(tg_tape_begin(4u, &t), TG_INVALID_ARGUMENT, "[tg_tape_begin]",
            "unknown flag bits 0x4");
  CHECK_ERR(tg_tape_begin(0x80000001u, &t), TG_INVALID_ARGUMENT, "[tg_tape_begin]",
            "0x80000000");
  CHECK_ERR(tg_tape_begin(TG_TAPE_DEFAULT, NULL), TG_INVALID_ARGUMENT, "[tg_tape_begin]", "out");
  CHECK(t == sentinel_tape);

  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &freed_tape));
  CHECK_OK(tg_tape_free(freed_tape));
  CHECK_OK(tg_tape_free(NULL));
  CHECK_ERR(tg_tape_free(freed_tape), TG_INVALID_HANDLE, "[tg_tape_free]", "not a live");
  CHECK_ERR(tg_tape_end(freed_tape), TG_INVALID_HANDLE, "[tg_tape_end]", "not a live");
  CHECK_ERR(tg_tape_end(NULL), TG_INVALID_HANDLE, "[tg_tape_end]", "tape is NULL");
  CHECK_ERR(tg_tape_end((tg_tape*)x), TG_INVALID_HANDLE, "[tg_tape_end]",
            "is a tg_tensor, expected a tg_tape");
  CHECK_ERR(tg_tape_free((tg_tape*)x), TG_INVALID_HANDLE, "[tg_tape_free]",
            "is a tg_tensor, expected a tg_tape");
  CHECK_ERR(tg_tape_watch(NULL, x), TG_INVALID_HANDLE, "[tg_tape_watch]", "tape is NULL");
  CHECK_ERR(tg_tape_watch(freed_tape, x), TG_INVALID_HANDLE, "[tg_tape_watch]", "not a live");

  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_ERR(tg_tape_watch(tape, NULL), TG_INVALID_HANDLE, "[tg_tape_watch]",
            "tensor_or_variable is NULL");
  /* (a freed handle is checked right after its free: a new handle may reuse its address) */
  freed = make_scalar(TG_FLOAT32, 1);
  CHECK_OK(tg_tensor_free(freed));
  CHECK_ERR(tg_tape_watch(tape, freed), TG_INVALID_HANDLE, "[tg_tape_watch]", "not a live");
  CHECK_ERR(tg_tape_watch(tape, tape), TG_INVALID_HANDLE, "[tg_tape_watch]",
            "is a tg_tape, expected a tg_tensor or tg_variable");
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, x, &y));
  CHECK_OK(tg_tape_end(tape));

  /* gradient: bad arrays and handles leave `grads` untouched and the tape usable */
  targets[0] = y;
  sources[0] = x;
  sources[1] = tape;
  CHECK_ERR(tg_tape_gradient(NULL, targets, 1, sources, 1, grads), TG_INVALID_HANDLE,
            "[tg_tape_gradient]", "tape is NULL");
  CHECK_ERR(tg_tape_gradient((tg_tape*)x, targets, 1, sources, 1, grads), TG_INVALID_HANDLE,
            "[tg_tape_gradient]", "is a tg_tensor, expected a tg_tape");
  CHECK_ERR(tg_tape_gradient(tape, NULL, 1, sources, 1, grads), TG_INVALID_ARGUMENT,
            "[tg_tape_gradient]", "targets is NULL");
  CHECK_ERR(tg_tape_gradient(tape, targets, 1, NULL, 2, grads), TG_INVALID_ARGUMENT,
            "[tg_tape_gradient]", "sources is NULL");
  CHECK_ERR(tg_tape_gradient(tape, targets, 1, sources, 1, NULL), TG_INVALID_ARGUMENT,
            "[tg_tape_gradient]", "gradients");
  CHECK_ERR(tg_tape_gradient(tape, targets, 1, sources, 2, grads), TG_INVALID_HANDLE,
            "[tg_tape_gradient]", "sources[1] is a tg_tape, expected a tg_tensor or tg_variable");
  freed = make_scalar(TG_FLOAT32, 1);
  CHECK_OK(tg_tensor_free(freed));
  targets[0] = freed;
  CHECK_ERR(tg_tape_gradient(tape, targets, 1, sources, 1, grads), TG_INVALID_HANDLE,
            "[tg_tape_gradient]", "targets[0] is not a live");
  targets[0] = NULL;
  CHECK_ERR(tg_tape_gradient(tape, targets, 1, sources, 1, grads), TG_INVALID_HANDLE,
            "[tg_tape_gradient]", "targets[0] is NULL");
  CHECK(grads[0] == (tg_tensor*)&grads && grads[1] == (tg_tensor*)&grads);
  targets[0] = y;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, grads));
  CHECK_NEAR(item_of(grads[0]), 6.0, 0);
  CHECK(grads[1] == (tg_tensor*)&grads);
  tg_tensor_free(grads[0]);

  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(y);
  tg_tensor_free(x);
}

int main(void) {
  test_first_cell();
  test_persistent();
  test_unconnected();
  test_several_and_nonscalar_targets();
  test_higher_order();
  test_variables();
  test_integer_watch();
  test_free_while_recording();
  test_threads();
  test_errors();
  return check_summary();
}
