/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_scope.c — scopes through the C ABI, compiled as C99: handles created in a scope are
 * freed when it ends (not those freed by hand, kept, created before it or on another thread),
 * nesting and keep, ending an outer scope with inner ones open, misuse, a training loop with
 * no free per intermediate, and threads. Run under AddressSanitizer, a double free or a leak
 * fails the test.
 */
#include <pthread.h>
#include <string.h>

#include "helpers.h"

/* Whether `t` is still a live tensor handle. (A freed handle's address stays reserved, so
 * asking is safe.) */
static int alive(const tg_tensor* t) {
  int rank = 0;
  return tg_tensor_rank(t, &rank) == TG_OK;
}

static void test_end_frees_what_the_scope_made(void) {
  tg_tensor *before = make_scalar(TG_FLOAT32, 2), *a = NULL, *b = NULL, *by_hand = NULL, *kept = NULL;
  tg_scope* scope = NULL;
  CHECK_OK(tg_scope_begin(&scope));
  CHECK(scope != NULL);
  a = make_scalar(TG_FLOAT32, 3);
  CHECK_OK(tg_mul(a, before, &b));
  CHECK_OK(tg_add(a, b, &by_hand));
  CHECK_OK(tg_add(b, b, &kept));
  CHECK_OK(tg_tensor_free(by_hand)); /* freed by hand: the scope must not free it again */
  CHECK_OK(tg_scope_keep(kept));
  CHECK_OK(tg_scope_end(scope));
  CHECK(!alive(a) && !alive(b));
  CHECK(alive(before)); /* made before the scope */
  CHECK(alive(kept) && item_of(kept) == 12.0);
  CHECK_OK(tg_scope_keep(kept)); /* in no scope: nothing to do */
  CHECK_OK(tg_tensor_free(kept));
  CHECK_OK(tg_tensor_free(before));
}

static void test_nesting_and_keep(void) {
  tg_scope *outer = NULL, *inner = NULL, *innermost = NULL;
  tg_tensor *o = NULL, *up_one = NULL, *up_two = NULL, *i = NULL, *deep = NULL;
  CHECK_OK(tg_scope_begin(&outer));
  o = make_scalar(TG_FLOAT64, 1);
  CHECK_OK(tg_scope_begin(&inner));
  i = make_scalar(TG_FLOAT64, 2);
  up_one = make_scalar(TG_FLOAT64, 3);
  up_two = make_scalar(TG_FLOAT64, 4);
  CHECK_OK(tg_scope_keep(up_one)); /* to the outer scope */
  CHECK_OK(tg_scope_keep(up_two));
  CHECK_OK(tg_scope_keep(up_two)); /* and out of every scope */
  CHECK_OK(tg_scope_begin(&innermost));
  deep = make_scalar(TG_FLOAT64, 5);
  /* ending `inner` also ends `innermost`, which was left open */
  CHECK_OK(tg_scope_end(inner));
  CHECK(!alive(i) && !alive(deep));
  CHECK(alive(o) && alive(up_one) && alive(up_two));
  CHECK_ERR(tg_scope_end(innermost), TG_INVALID_STATE, "[tg_scope_end]", "not open on this thread");
  CHECK_ERR(tg_scope_end(inner), TG_INVALID_STATE, "ended already");
  CHECK_OK(tg_scope_end(outer));
  CHECK(!alive(o) && !alive(up_one));
  CHECK(alive(up_two));
  CHECK_OK(tg_tensor_free(up_two));
}

static void test_misuse(void) {
  tg_scope* scope = NULL;
  tg_tensor* t = make_scalar(TG_FLOAT32, 1);
  CHECK_ERR(tg_scope_begin(NULL), TG_INVALID_ARGUMENT, "[tg_scope_begin]", "out");
  CHECK_ERR(tg_scope_end(NULL), TG_INVALID_ARGUMENT, "[tg_scope_end]", "scope is NULL");
  CHECK_ERR(tg_scope_keep(NULL), TG_INVALID_HANDLE, "[tg_scope_keep]", "handle is NULL");
  CHECK_OK(tg_tensor_free(t));
  CHECK_ERR(tg_scope_keep(t), TG_INVALID_HANDLE, "[tg_scope_keep]", "not a live tapegrad handle");
  CHECK_OK(tg_scope_begin(&scope));
  CHECK_OK(tg_scope_end(scope));
  CHECK_ERR(tg_scope_end(scope), TG_INVALID_STATE, "not open on this thread");
  /* a failed call inside a scope creates nothing for it to free */
  CHECK_OK(tg_scope_begin(&scope));
  t = make_scalar(TG_FLOAT32, 1);
  {
    tg_tensor* out = NULL;
    CHECK_ERR(tg_matmul(t, t, 0, 0, &out), TG_INVALID_ARGUMENT, "[tg_matmul]");
    CHECK(out == NULL);
  }
  CHECK_OK(tg_scope_end(scope));
  CHECK(!alive(t));
}

/* The seed notebook's loop with one scope per step and not a single tg_*_free inside it:
 * every intermediate — predictions, loss, tape, gradients, the variable handles — goes with
 * the scope. The long-lived objects are made before the first scope. */
static void test_training_step_without_frees(void) {
  const int64_t x_shape[2] = {64, 8}, y_shape[2] = {64, 4};
  tg_tensor *x = NULL, *y = NULL;
  tg_model* model = NULL;
  tg_optimizer* adam = make_optimizer("adam", "learning_rate", 0.01);
  tg_loss* cce = NULL;
  double first = 0, last = 0;
  int step;
  CHECK_OK(tg_random_uniform(TG_FLOAT32, x_shape, 2, -1, 1, 1, &x));
  CHECK_OK(tg_random_uniform(TG_FLOAT32, y_shape, 2, 0, 1, 2, &y));
  CHECK_OK(tg_model_create("scoped", &model));
  CHECK_OK(add_dense(model, 16, TG_ACTIVATION_RELU, 1, 1, NULL));
  CHECK_OK(add_dense(model, 4, TG_ACTIVATION_LINEAR, 1, 2, NULL));
  CHECK_OK(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce));
  for (step = 0; step < 10; ++step) {
    tg_scope* scope = NULL;
    tg_tape* tape = NULL;
    tg_tensor *logits = NULL, *loss = NULL, *grads[4];
    tg_variable* vars[4];
    const void* targets[1];
    const void* sources[4];
    size_t count = 0, i;
    double value = 0;
    CHECK_OK(tg_scope_begin(&scope));
    CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
    CHECK_OK(tg_model_call(model, x, &logits));
    CHECK_OK(tg_loss_call(cce, y, logits, NULL, &loss));
    CHECK_OK(tg_tape_end(tape));
    CHECK_OK(tg_model_trainable_variables(model, vars, 4, &count));
    targets[0] = loss;
    for (i = 0; i < 4; ++i) sources[i] = vars[i];
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 4, grads));
    CHECK_OK(tg_optimizer_apply(adam, vars, grads, 4, NULL));
    CHECK_OK(tg_tensor_item(loss, &value));
    if (step == 0) first = value;
    last = value;
    CHECK_OK(tg_scope_end(scope));
    CHECK(!alive(loss) && !alive(grads[0]));
  }
  CHECK(last < first);
  tg_loss_free(cce);
  tg_optimizer_free(adam);
  tg_model_free(model);
  tg_tensor_free(x);
  tg_tensor_free(y);
}

/* Every kind of handle goes with its scope: a still-recording tape, a model, a layer handle,
 * an optimizer, a loss, a metric, a variable. */
static void test_every_handle_type(void) {
  tg_scope* scope = NULL;
  tg_tape* tape = NULL;
  tg_model* model = NULL;
  tg_layer* layer = NULL;
  tg_optimizer* opt = NULL;
  tg_loss* loss = NULL;
  tg_metric* metric = NULL;
  tg_variable* v = NULL;
  tg_tensor* t = NULL;
  CHECK_OK(tg_scope_begin(&scope));
  t = make_scalar(TG_FLOAT32, 1);
  CHECK_OK(tg_variable_create("v", t, 1, &v));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape)); /* left recording */
  CHECK_OK(tg_model_create("m", &model));
  CHECK_OK(add_dense(model, 1, TG_ACTIVATION_LINEAR, 1, 0, NULL));
  CHECK_OK(tg_model_layer(model, 0, &layer));
  CHECK_OK(tg_optimizer_create("sgd", &opt));
  CHECK_OK(tg_loss_mean_squared_error(TG_REDUCTION_AUTO, &loss));
  CHECK_OK(tg_metric_accuracy(&metric));
  CHECK_OK(tg_scope_end(scope));
  CHECK_ERR(tg_tape_end(tape), TG_INVALID_HANDLE, "not a live");
  CHECK_ERR(tg_model_free(model), TG_INVALID_HANDLE, "not a live");
  CHECK_ERR(tg_layer_free(layer), TG_INVALID_HANDLE, "not a live");
  CHECK_ERR(tg_optimizer_free(opt), TG_INVALID_HANDLE, "not a live");
  CHECK_ERR(tg_loss_free(loss), TG_INVALID_HANDLE, "not a live");
  CHECK_ERR(tg_metric_free(metric), TG_INVALID_HANDLE, "not a live");
  CHECK_ERR(tg_variable_free(v), TG_INVALID_HANDLE, "not a live");
  /* the tape's recording ended with it: a new op records nowhere */
  {
    tg_tensor *x = make_scalar(TG_FLOAT32, 2), *y = NULL;
    CHECK_OK(tg_mul(x, x, &y));
    tg_tensor_free(y);
    tg_tensor_free(x);
  }
}

/* ---- threads ---------------------------------------------------------------------------- */

typedef struct {
  tg_scope* foreign_scope; /* a scope of the main thread */
  tg_tensor* foreign;      /* a handle in it */
  tg_status end_status;
  tg_status free_status;
  int own_scope_freed;
} thread_case;

static void* other_thread(void* arg) {
  thread_case* c = (thread_case*)arg;
  tg_scope* own = NULL;
  tg_tensor* t = NULL;
  int rank = 0;
  c->end_status = tg_scope_end(c->foreign_scope); /* not open on this thread */
  c->free_status = tg_tensor_free(c->foreign);     /* any thread may free any handle */
  if (tg_scope_begin(&own) == TG_OK && tg_tensor_scalar(TG_FLOAT32, 1, &t) == TG_OK && tg_scope_end(own) == TG_OK)
    c->own_scope_freed = tg_tensor_rank(t, &rank) == TG_INVALID_HANDLE;
  return NULL;
}

static void test_threads(void) {
  thread_case c;
  pthread_t thread;
  tg_tensor* stays = NULL;
  memset(&c, 0, sizeof c);
  CHECK_OK(tg_scope_begin(&c.foreign_scope));
  c.foreign = make_scalar(TG_FLOAT32, 1);
  stays = make_scalar(TG_FLOAT32, 2);
  CHECK(pthread_create(&thread, NULL, other_thread, &c) == 0);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(c.end_status == TG_INVALID_STATE);
  CHECK(c.free_status == TG_OK);
  CHECK(c.own_scope_freed == 1);
  CHECK(alive(stays)); /* the other thread's scope did not touch this one */
  CHECK_OK(tg_scope_end(c.foreign_scope)); /* frees `stays`, not the handle freed over there */
  CHECK(!alive(stays));
}

int main(void) {
  test_end_frees_what_the_scope_made();
  test_nesting_and_keep();
  test_misuse();
  test_training_step_without_frees();
  test_every_handle_type();
  test_threads();
  return check_summary();
}
