/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The handle table under threads (also run under ThreadSanitizer by scripts/test):
 *   - four threads create and free tensors as fast as they can, each checking its own
 *     handles' values and that every handle it freed stays TG_INVALID_HANDLE;
 *   - handles made on one thread are used and freed on another, through a shared ring;
 *   - four threads train their own models with tg_model_train_step at once.
 * The C check counters are not thread-safe, so threads count their failures in their own
 * structs and the main thread checks them.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "check.h"

enum { kThreads = 4, kRounds = 20000, kRing = 64 };

typedef struct {
  int id;
  int failures;
  char first_failure[256];
} worker;

static void note_failure(worker* w, const char* what) {
  if (w->failures++ == 0) {
    strncpy(w->first_failure, what, sizeof w->first_failure - 1);
    w->first_failure[sizeof w->first_failure - 1] = 0;
  }
}

/* Creates and frees tensors; every value read back is its own, every freed handle is dead. */
static void* churn(void* arg) {
  worker* w = arg;
  tg_tensor* live[8] = {NULL};
  tg_tensor* freed[8] = {NULL};
  for (int round = 0; round < kRounds; ++round) {
    const int k = round % 8;
    if (live[k]) {
      double v = -1;
      if (tg_tensor_item(live[k], &v) != TG_OK || v != (double)(w->id * 1000 + k)) note_failure(w, "a live tensor");
      if (tg_tensor_free(live[k]) != TG_OK) note_failure(w, "free");
      freed[k] = live[k];
    }
    if (tg_tensor_scalar(TG_FLOAT64, w->id * 1000 + k, &live[k]) != TG_OK) note_failure(w, "create");
    if (freed[k]) {
      double v;
      if (tg_tensor_item(freed[k], &v) != TG_INVALID_HANDLE) note_failure(w, "a freed tensor is usable");
    }
  }
  for (int k = 0; k < 8; ++k) tg_tensor_free(live[k]);
  return NULL;
}

static void test_concurrent_create_and_free(void) {
  pthread_t threads[kThreads];
  worker workers[kThreads];
  memset(workers, 0, sizeof workers);
  for (int i = 0; i < kThreads; ++i) {
    workers[i].id = i + 1;
    CHECK(pthread_create(&threads[i], NULL, churn, &workers[i]) == 0);
  }
  for (int i = 0; i < kThreads; ++i) {
    pthread_join(threads[i], NULL);
    if (workers[i].failures) fprintf(stderr, "thread %d: %s\n", i, workers[i].first_failure);
    CHECK(workers[i].failures == 0);
  }
}

/* A producer makes tensors and hands them over; the consumer reads and frees them. */
typedef struct {
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  tg_tensor* ring[kRing];
  int head, tail; /* produced, consumed */
  worker producer, consumer;
} handoff;

static void* produce(void* arg) {
  handoff* h = arg;
  for (int i = 0; i < kRounds; ++i) {
    tg_tensor* t = NULL;
    if (tg_tensor_scalar(TG_FLOAT32, i % 1000, &t) != TG_OK) note_failure(&h->producer, "create");
    pthread_mutex_lock(&h->mutex);
    while (h->head - h->tail == kRing) pthread_cond_wait(&h->changed, &h->mutex);
    h->ring[h->head % kRing] = t;
    ++h->head;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->mutex);
  }
  return NULL;
}

static void* consume(void* arg) {
  handoff* h = arg;
  for (int i = 0; i < kRounds; ++i) {
    pthread_mutex_lock(&h->mutex);
    while (h->head == h->tail) pthread_cond_wait(&h->changed, &h->mutex);
    tg_tensor* t = h->ring[h->tail % kRing];
    ++h->tail;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->mutex);
    double v = -1;
    if (tg_tensor_item(t, &v) != TG_OK || v != (double)(i % 1000)) note_failure(&h->consumer, "a handed-over tensor");
    if (tg_tensor_free(t) != TG_OK) note_failure(&h->consumer, "free on another thread");
    if (tg_tensor_item(t, &v) != TG_INVALID_HANDLE) note_failure(&h->consumer, "a freed tensor is usable");
  }
  return NULL;
}

static void test_handles_cross_threads(void) {
  handoff h;
  memset(&h, 0, sizeof h);
  pthread_mutex_init(&h.mutex, NULL);
  pthread_cond_init(&h.changed, NULL);
  pthread_t p, c;
  CHECK(pthread_create(&p, NULL, produce, &h) == 0);
  CHECK(pthread_create(&c, NULL, consume, &h) == 0);
  pthread_join(p, NULL);
  pthread_join(c, NULL);
  CHECK(h.producer.failures == 0);
  if (h.consumer.failures) fprintf(stderr, "consumer: %s\n", h.consumer.first_failure);
  CHECK(h.consumer.failures == 0);
  pthread_cond_destroy(&h.changed);
  pthread_mutex_destroy(&h.mutex);
}

/* Each thread trains its own Dense(8, relu) → Dense(3) model for a few steps. */
static void* train(void* arg) {
  worker* w = arg;
  const int64_t xs[2] = {16, 4}, ys[2] = {16, 3};
  tg_model* model = NULL;
  tg_optimizer* opt = NULL;
  tg_loss* loss = NULL;
  tg_tensor *x = NULL, *y = NULL;
  tg_layer_config c;
  int ok = tg_model_create(NULL, &model) == TG_OK && tg_layer_config_init(TG_LAYER_DENSE, &c) == TG_OK;
  c.units = 8;
  c.activation = TG_ACTIVATION_RELU;
  ok = ok && tg_model_add(model, &c, NULL) == TG_OK;
  c.units = 3;
  c.activation = TG_ACTIVATION_LINEAR;
  ok = ok && tg_model_add(model, &c, NULL) == TG_OK;
  ok = ok && tg_random_uniform(TG_FLOAT32, xs, 2, -1, 1, (uint64_t)w->id, &x) == TG_OK;
  ok = ok && tg_random_uniform(TG_FLOAT32, ys, 2, 0, 1, (uint64_t)w->id + 100, &y) == TG_OK;
  ok = ok && tg_optimizer_create("adam", &opt) == TG_OK;
  ok = ok && tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &loss) == TG_OK;
  if (!ok) note_failure(w, "setup");
  double first = 0, last = 0;
  for (int step = 0; ok && step < 30; ++step) {
    double value = 0;
    if (tg_model_train_step(model, loss, opt, NULL, 0, x, y, NULL, &value) != TG_OK) {
      note_failure(w, tg_last_error_message());
      break;
    }
    if (step == 0) first = value;
    last = value;
  }
  if (ok && !(last < first)) note_failure(w, "the loss did not go down");
  tg_loss_free(loss);
  tg_optimizer_free(opt);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_model_free(model);
  return NULL;
}

static void test_threads_train_their_own_models(void) {
  pthread_t threads[kThreads];
  worker workers[kThreads];
  memset(workers, 0, sizeof workers);
  for (int i = 0; i < kThreads; ++i) {
    workers[i].id = i + 1;
    CHECK(pthread_create(&threads[i], NULL, train, &workers[i]) == 0);
  }
  for (int i = 0; i < kThreads; ++i) {
    pthread_join(threads[i], NULL);
    if (workers[i].failures) fprintf(stderr, "thread %d: %s\n", i, workers[i].first_failure);
    CHECK(workers[i].failures == 0);
  }
}

int main(void) {
  CHECK_OK(tg_set_num_threads(1));
  test_concurrent_create_and_free();
  test_handles_cross_threads();
  test_threads_train_their_own_models();
  return check_summary();
}
