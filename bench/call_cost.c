/* SPDX-License-Identifier: Apache-2.0 */
/* The cost of one C ABI call, counted without timing noise: runs one of three scenarios N
 * times, so that under callgrind the difference between two counts divided by the
 * difference of N is the instructions per iteration (start-up and loading cancel out):
 *   add       tg_add of two float32 scalars, then tg_tensor_free of the result (no tape);
 *   gradient  tg_tape_begin, tg_tape_watch(x), tg_mul(x, x), tg_tape_end, tg_tape_gradient,
 *             then freeing y, dy/dx and the tape: record + gradient through the C ABI;
 *   matmul    tg_matmul of two 64x64 float32 tensors, then freeing the result;
 *   sgemm     the same product by cblas_sgemm into a caller's buffer: the reference, so
 *             matmul minus sgemm is the library's overhead per matmul call;
 *   adam      tg_optimizer_apply of Adam (Keras defaults) to the seed model's four float32
 *             variables (32x32, 32, 32x10, 10) with fixed gradients: one optimizer step;
 *   adam_hand the same step written by hand over plain arrays (the reference for adam);
 *   chain     one op of bench/tape_bench.cpp's chain y <- y*k + c recorded on a tape and
 *             differentiated: N ops (N/2 steps of mul + add) under one tape, then one
 *             gradient; the count per iteration is record + gradient per taped op, with
 *             the memory of an N-op tape coming fresh from the system;
 *   chain_steady  the same in tapes of 1000 ops (as bench/tape_bench.cpp), N/1000 of them,
 *             after one of warm-up: record + gradient per op once the allocator's caches
 *             hold what a tape of that length needs (a training loop's steady state).
 * Usage (from a Release build):
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null build/bench/tapegrad_call_cost add 1000
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null build/bench/tapegrad_call_cost add 11000
 * and divide the difference of the two "Collected" counts by 10000.
 * Exits 1 with the error message if a call fails. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "tapegrad/tapegrad.h"

static int check(tg_status s) {
  if (s != TG_OK) {
    fprintf(stderr, "call_cost: %s\n", tg_last_error_message());
    exit(1);
  }
  return 0;
}

static void run_add(long n) {
  tg_tensor *a, *b, *c;
  check(tg_tensor_scalar(TG_FLOAT32, 1.5, &a));
  check(tg_tensor_scalar(TG_FLOAT32, 2.5, &b));
  for (long i = 0; i < n; ++i) {
    check(tg_add(a, b, &c));
    check(tg_tensor_free(c));
  }
  tg_tensor_free(a);
  tg_tensor_free(b);
}

static void run_gradient(long n) {
  tg_tensor *x, *y, *g;
  tg_tape* tape;
  check(tg_tensor_scalar(TG_FLOAT32, 3.0, &x));
  for (long i = 0; i < n; ++i) {
    check(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
    check(tg_tape_watch(tape, x));
    check(tg_mul(x, x, &y));
    check(tg_tape_end(tape));
    const void* targets[1] = {y};
    const void* sources[1] = {x};
    check(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
    check(tg_tensor_free(g));
    check(tg_tensor_free(y));
    check(tg_tape_free(tape));
  }
  tg_tensor_free(x);
}

static void run_matmul(long n) {
  const int64_t shape[2] = {64, 64};
  tg_tensor *a, *b, *c;
  check(tg_tensor_fill(TG_FLOAT32, shape, 2, 0.5, &a));
  check(tg_tensor_fill(TG_FLOAT32, shape, 2, 0.25, &b));
  for (long i = 0; i < n; ++i) {
    check(tg_matmul(a, b, 0, 0, &c));
    check(tg_tensor_free(c));
  }
  tg_tensor_free(a);
  tg_tensor_free(b);
}

static void run_sgemm(long n) {
  enum { kN = 64 };
  static float a[kN * kN], b[kN * kN], c[kN * kN];
  for (int i = 0; i < kN * kN; ++i) {
    a[i] = 0.5f;
    b[i] = 0.25f;
  }
  openblas_set_num_threads(1);
  for (long i = 0; i < n; ++i)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0f, a, kN, b, kN, 0.0f, c, kN);
  if (c[0] != 8.0f) { /* 64 * 0.5 * 0.25 */
    fprintf(stderr, "call_cost: sgemm gave %g, expected 8\n", (double)c[0]);
    exit(1);
  }
}

/* The seed model's variables: Dense(32) kernel and bias, Dense(10) kernel and bias. */
static const int64_t kAdamShapes[4][2] = {{32, 32}, {32, 1}, {32, 10}, {10, 1}};
static const int kAdamRanks[4] = {2, 1, 2, 1};

static void run_adam(long n) {
  tg_optimizer* adam;
  tg_variable* vars[4];
  tg_tensor* grads[4];
  check(tg_optimizer_create("adam", &adam));
  for (int i = 0; i < 4; ++i) {
    tg_tensor* init;
    check(tg_tensor_fill(TG_FLOAT32, kAdamShapes[i], kAdamRanks[i], 0.5, &init));
    check(tg_variable_create("w", init, 1, &vars[i]));
    check(tg_tensor_free(init));
    check(tg_tensor_fill(TG_FLOAT32, kAdamShapes[i], kAdamRanks[i], 0.01, &grads[i]));
  }
  for (long i = 0; i < n; ++i) check(tg_optimizer_apply(adam, vars, grads, 4, NULL));
  for (int i = 0; i < 4; ++i) {
    tg_variable_free(vars[i]);
    tg_tensor_free(grads[i]);
  }
  tg_optimizer_free(adam);
}

static void run_adam_hand(long n) {
  enum { kTotal = 32 * 32 + 32 + 32 * 10 + 10 };
  static float theta[kTotal], grad[kTotal], m[kTotal], v[kTotal];
  for (int i = 0; i < kTotal; ++i) {
    theta[i] = 0.5f;
    grad[i] = 0.01f;
  }
  const float b1 = 0.9f, b2 = 0.999f, lr = 0.001f, eps = 1e-7f;
  for (long t = 1; t <= n; ++t) {
    const float alpha = lr * sqrtf(1.0f - powf(b2, (float)t)) / (1.0f - powf(b1, (float)t));
    for (int i = 0; i < kTotal; ++i) {
      m[i] += (grad[i] - m[i]) * (1.0f - b1);
      v[i] += (grad[i] * grad[i] - v[i]) * (1.0f - b2);
      theta[i] -= m[i] * alpha / (sqrtf(v[i]) + eps);
    }
  }
  if (!(theta[0] < 0.5f)) {
    fprintf(stderr, "call_cost: adam_hand did not move the weights\n");
    exit(1);
  }
}

static void run_chain(long n);

static void run_chain_steady(long n) {
  enum { kOps = 1000 };
  for (long i = 0; i <= n / kOps; ++i) run_chain(kOps);  /* the first tape warms the caches */
}

static void run_chain(long n) {
  tg_tensor *x, *k, *c, *g;
  tg_tape* tape;
  check(tg_tensor_scalar(TG_FLOAT32, 1.0, &x));
  check(tg_tensor_scalar(TG_FLOAT32, 0.999, &k));
  check(tg_tensor_scalar(TG_FLOAT32, 0.001, &c));
  check(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  check(tg_tape_watch(tape, x));
  tg_tensor* y = x;
  for (long i = 0; i < n / 2; ++i) {
    tg_tensor *p, *s;
    check(tg_mul(y, k, &p));
    check(tg_add(p, c, &s));
    check(tg_tensor_free(p));
    if (y != x) check(tg_tensor_free(y));
    y = s;
  }
  check(tg_tape_end(tape));
  const void* targets[1] = {y};
  const void* sources[1] = {x};
  check(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  tg_tensor_free(g);
  if (y != x) tg_tensor_free(y);
  tg_tape_free(tape);
  tg_tensor_free(x);
  tg_tensor_free(k);
  tg_tensor_free(c);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s add|gradient|matmul|sgemm|adam|adam_hand|chain|chain_steady ITERATIONS\n", argv[0]);
    return 2;
  }
  const long n = strtol(argv[2], NULL, 10);
  check(tg_set_num_threads(1));
  if (strcmp(argv[1], "add") == 0) run_add(n);
  else if (strcmp(argv[1], "gradient") == 0) run_gradient(n);
  else if (strcmp(argv[1], "matmul") == 0) run_matmul(n);
  else if (strcmp(argv[1], "sgemm") == 0) run_sgemm(n);
  else if (strcmp(argv[1], "adam") == 0) run_adam(n);
  else if (strcmp(argv[1], "adam_hand") == 0) run_adam_hand(n);
  else if (strcmp(argv[1], "chain") == 0) run_chain(n);
  else if (strcmp(argv[1], "chain_steady") == 0) run_chain_steady(n);
  else {
    fprintf(stderr, "call_cost: unknown scenario '%s'\n", argv[1]);
    return 2;
  }
  return 0;
}
