/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_hardening.c — the inputs that once crashed, hung or fooled the library, each kept as a
 * regression test (issue: no input crashes, overflows or hangs the host):
 *   1. stale handles: a handle freed 100,000 frees ago is still TG_INVALID_HANDLE, and ids
 *      are never real addresses;
 *   2. shapes whose sizes overflow int64 (concat, tile, pad, one_hot, broadcast, reshape) and
 *      the same limit for every order of the dimensions;
 *   3. the optimizer's iteration counter at INT64_MAX;
 *   4. weight-decay exclusion patterns that recursed per character (stack overflow) or took
 *      exponential time in std::regex;
 *   5. convolution and pooling sizes (dilated windows, 'same' padding, im2col rows) that
 *      overflow int64.
 * (The fifth input of the issue, a checkpoint whose counter is INT64_MAX, is in
 * tests/cpp/checkpoint_test.cpp with the other malformed checkpoints.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "helpers.h"

/* 1. A handle freed long ago must not be taken for a new handle that got its memory. The
 * library once recognised a freed handle only while it was among the last 65,536 freed: here
 * the stale handle is followed by 100,000 frees, then new handles are made (one of which the
 * old table placed at the stale address). */
static void test_stale_handle_after_many_frees(void) {
  enum { kOthers = 100000, kNew = 100000 };
  tg_tensor** others = malloc(kOthers * sizeof *others);
  tg_tensor** made = malloc(kNew * sizeof *made);
  tg_tensor* stale;
  double value = 0;
  CHECK_OK(tg_tensor_scalar(TG_FLOAT32, 1.0, &stale));
  int failures = 0, reused = 0;
  for (int i = 0; i < kOthers; ++i) failures += tg_tensor_scalar(TG_FLOAT32, 2.0, &others[i]) != TG_OK;
  CHECK_OK(tg_tensor_free(stale));
  for (int i = 0; i < kOthers; ++i) failures += tg_tensor_free(others[i]) != TG_OK;
  for (int i = 0; i < kNew; ++i) {
    failures += tg_tensor_scalar(TG_FLOAT32, 3.0, &made[i]) != TG_OK;
    reused += made[i] == stale;
  }
  CHECK(failures == 0);
  CHECK(reused == 0);
  CHECK_ERR(tg_tensor_item(stale, &value), TG_INVALID_HANDLE, "tensor", "not a live tapegrad handle");
  CHECK(value == 0);
  CHECK_ERR(tg_tensor_free(stale), TG_INVALID_HANDLE, "not a live tapegrad handle");
  for (int i = 0; i < kNew; ++i) {
    failures += tg_tensor_item(made[i], &value) != TG_OK || value != 3.0;
    failures += tg_tensor_free(made[i]) != TG_OK;
  }
  CHECK(failures == 0);
  free(made);
  free(others);
}

/* A handle freed twice, and freed handles of every slot reused many times, stay invalid. */
static void test_stale_handles_interleaved(void) {
  enum { kLive = 64 };
  tg_tensor* live[kLive];
  tg_tensor* freed[kLive];
  for (int i = 0; i < kLive; ++i) CHECK_OK(tg_tensor_scalar(TG_FLOAT64, i, &live[i]));
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < kLive; i += 2) {
      freed[i] = live[i];
      CHECK_OK(tg_tensor_free(live[i]));
      CHECK_OK(tg_tensor_scalar(TG_FLOAT64, round, &live[i]));
      CHECK(live[i] != freed[i]);
    }
  }
  for (int i = 0; i < kLive; i += 2) {
    double v;
    CHECK_ERR(tg_tensor_item(freed[i], &v), TG_INVALID_HANDLE, "not a live tapegrad handle");
    CHECK_OK(tg_tensor_item(live[i], &v));
    CHECK(v == 199);
  }
  for (int i = 0; i < kLive; ++i) CHECK_OK(tg_tensor_free(live[i]));
}

/* Pointers that are not handles: stack and heap addresses, small integers, all bits set. */
static void test_forged_handles(void) {
  double v;
  int on_stack = 0;
  void* heap = malloc(64);
  const uintptr_t forged[] = {(uintptr_t)&on_stack, (uintptr_t)heap, 1, 4096, UINTPTR_MAX,
                              (uintptr_t)0xA700000000000000u, (uintptr_t)0xA7FFFFFFFFFFFFFFu};
  for (size_t i = 0; i < sizeof forged / sizeof forged[0]; ++i)
    CHECK_ERR(tg_tensor_item((const tg_tensor*)forged[i], &v), TG_INVALID_HANDLE, "not a live tapegrad handle");
  free(heap);
}

/* A live handle of another type is reported by its type, and a tape id is not a tensor. */
static void test_wrong_type(void) {
  tg_tape* tape;
  double v;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_ERR(tg_tensor_item((const tg_tensor*)tape, &v), TG_INVALID_HANDLE, "is a tg_tape, expected a tg_tensor");
  CHECK_OK(tg_tape_free(tape));
  CHECK_ERR(tg_tensor_item((const tg_tensor*)tape, &v), TG_INVALID_HANDLE, "not a live tapegrad handle");
}


/* 2. Sizes that overflow int64. Every one is TG_INVALID_ARGUMENT naming the op; none
 * returns a tensor with a wrapped shape, such as concat's (0, -2) of old. */
static void test_shape_overflow(void) {
  const int64_t limit = (int64_t)1 << 56; /* the documented element limit, 2^56 */
  const int64_t zero_big[2] = {0, INT64_MAX}, big_zero[2] = {INT64_MAX, 0};
  const int64_t zero_2_62[2] = {0, (int64_t)1 << 62}, two_62_zero[2] = {(int64_t)1 << 62, 0};
  const int64_t zero_limit[2] = {0, limit}, limit_zero[2] = {limit, 0};
  tg_tensor *a, *b, *out = NULL;
  int64_t shape[2];
  int rank = 0;

  /* The same limit for every order of the dimensions. */
  CHECK_ERR(tg_tensor_fill(TG_FLOAT32, zero_big, 2, 0, &out), TG_INVALID_ARGUMENT, "too large", "2^56");
  CHECK_ERR(tg_tensor_fill(TG_FLOAT32, big_zero, 2, 0, &out), TG_INVALID_ARGUMENT, "too large", "2^56");
  CHECK_ERR(tg_tensor_fill(TG_FLOAT32, zero_2_62, 2, 0, &out), TG_INVALID_ARGUMENT, "too large");
  CHECK_ERR(tg_tensor_fill(TG_FLOAT32, two_62_zero, 2, 0, &out), TG_INVALID_ARGUMENT, "too large");
  CHECK(out == NULL);
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, limit_zero, 2, 0, &a));
  tg_tensor_free(a);

  /* concat of two (0, 2^56): the joined axis would be 2^57. */
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, zero_limit, 2, 0, &a));
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, zero_limit, 2, 0, &b));
  {
    tg_tensor* values[2] = {a, b};
    CHECK_ERR(tg_concat(values, 2, 1, &out), TG_INVALID_ARGUMENT, "[tg_concat]", "concat", "(0,144115188075855872)",
              "too large");
    CHECK(out == NULL);
    CHECK_OK(tg_concat(values, 2, 0, &out)); /* along the zero axis: (0, 2^56) */
    CHECK_OK(tg_tensor_rank(out, &rank));
    CHECK_OK(tg_tensor_shape(out, shape, 2));
    CHECK(rank == 2 && shape[0] == 0 && shape[1] == limit);
    tg_tensor_free(out);
    out = NULL;
  }

  /* tile: 2^56 × 2 is too large; a multiple of INT64_MAX overflows int64 itself. */
  {
    const int64_t twice[2] = {1, 2}, huge[2] = {INT64_MAX, 1};
    const int64_t small[2] = {3, 5};
    tg_tensor* x;
    CHECK_ERR(tg_tile(a, twice, 2, &out), TG_INVALID_ARGUMENT, "[tg_tile]", "tile", "too large");
    CHECK_OK(tg_tensor_fill(TG_FLOAT32, small, 2, 1, &x));
    CHECK_ERR(tg_tile(x, huge, 2, &out), TG_INVALID_ARGUMENT, "tile", "dimension 0 of (3,5)", "overflows int64");
    CHECK(out == NULL);
    tg_tensor_free(x);
  }

  /* pad: INT64_MAX after a dimension of 3 overflows; 2^56 of padding is too large. */
  {
    const int64_t small[1] = {3};
    const int64_t overflow[2] = {1, INT64_MAX}, large[2] = {limit, 0};
    tg_tensor* x;
    CHECK_OK(tg_tensor_fill(TG_FLOAT32, small, 1, 1, &x));
    CHECK_ERR(tg_pad(x, overflow, 1, 0, &out), TG_INVALID_ARGUMENT, "[tg_pad]", "pad", "overflows int64");
    CHECK_ERR(tg_pad(x, large, 1, 0, &out), TG_INVALID_ARGUMENT, "pad", "too large");
    CHECK(out == NULL);
    tg_tensor_free(x);
  }

  /* one_hot with a depth past the limit; broadcast_to and reshape to too large a shape. */
  {
    const int64_t n[1] = {4};
    const int64_t target[2] = {limit, 4}, flat[2] = {-1, INT64_MAX};
    tg_tensor* idx;
    CHECK_OK(tg_tensor_fill(TG_INT32, n, 1, 1, &idx));
    CHECK_ERR(tg_one_hot(idx, limit, 1, 0, -1, TG_FLOAT32, &out), TG_INVALID_ARGUMENT, "[tg_one_hot]", "one_hot",
              "too large");
    CHECK_ERR(tg_broadcast_to(idx, target, 2, &out), TG_INVALID_ARGUMENT, "too large");
    CHECK_ERR(tg_reshape(idx, flat, 2, &out), TG_INVALID_ARGUMENT, "reshape", "too large");
    CHECK(out == NULL);
    tg_tensor_free(idx);
  }

  /* split with sizes whose sum overflows int64 (found by the fuzzer). */
  {
    const int64_t n[1] = {3};
    const int64_t sizes[2] = {1, INT64_MAX};
    tg_tensor* x;
    tg_tensor* parts[2] = {NULL, NULL};
    CHECK_OK(tg_tensor_fill(TG_FLOAT32, n, 1, 1, &x));
    CHECK_ERR(tg_split(x, sizes, 2, 0, parts), TG_INVALID_ARGUMENT, "split", "must add up to dimension 0 of (3)");
    CHECK(parts[0] == NULL && parts[1] == NULL);
    tg_tensor_free(x);
  }
  tg_tensor_free(a);
  tg_tensor_free(b);
}

/* A jacobian whose shape is too large fails at once, before its backward passes: target and
 * source (0, 2^40) give (0, 2^40, 0, 2^40), whose non-zero dimensions multiply to 2^80. */
static void test_jacobian_shape_overflow(void) {
  const int64_t n[2] = {0, (int64_t)1 << 40};
  tg_tensor *x, *y, *jac = NULL;
  tg_tape* tape;
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, n, 2, 1, &x));
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, x, &y));
  CHECK_OK(tg_tape_end(tape));
  {
    const void* sources[1] = {x};
    CHECK_ERR(tg_tape_jacobian(tape, y, sources, 1, TG_UNCONNECTED_NONE, &jac), TG_INVALID_ARGUMENT, "jacobian",
              "too large");
  }
  CHECK(jac == NULL);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(tape);
}

/* 3. The iteration counter: INT64_MAX is refused, and the counter never passes 2^53 (it once
 * wrapped to INT64_MIN and the step wrote NaN weights). */
static void test_iteration_counter_limit(void) {
  const int64_t two[1] = {2};
  tg_tensor *init, *grad, *value;
  tg_variable* w;
  tg_optimizer* opt;
  int64_t iterations = -1;
  float before[2], after[2];
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, two, 1, 1.0, &init));
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, two, 1, 0.5, &grad));
  CHECK_OK(tg_variable_create("w", init, 1, &w));
  CHECK_OK(tg_optimizer_create("adam", &opt));
  CHECK_ERR(tg_optimizer_set_iterations(opt, INT64_MAX), TG_INVALID_ARGUMENT, "iterations must be in [0, 2^53");
  CHECK_ERR(tg_optimizer_set_iterations(opt, TG_MAX_ITERATIONS + 1), TG_INVALID_ARGUMENT, "9007199254740993");
  CHECK_OK(tg_optimizer_set_iterations(opt, TG_MAX_ITERATIONS - 1));
  CHECK_OK(tg_optimizer_apply(opt, &w, &grad, 1, &iterations));
  CHECK(iterations == TG_MAX_ITERATIONS);
  CHECK_OK(tg_variable_read(w, &value));
  CHECK_OK(tg_tensor_copy_data(value, before, sizeof before));
  tg_tensor_free(value);
  CHECK(before[0] == before[0] && before[0] < 1.0f); /* a finite step was taken */
  CHECK_ERR(tg_optimizer_apply(opt, &w, &grad, 1, &iterations), TG_INVALID_STATE, "iteration counter", "2^53");
  CHECK_OK(tg_optimizer_iterations(opt, &iterations));
  CHECK(iterations == TG_MAX_ITERATIONS);
  CHECK_OK(tg_variable_read(w, &value));
  CHECK_OK(tg_tensor_copy_data(value, after, sizeof after));
  tg_tensor_free(value);
  CHECK(memcmp(before, after, sizeof before) == 0); /* the refused step changed nothing */
  tg_optimizer_free(opt);
  tg_variable_free(w);
  tg_tensor_free(grad);
  tg_tensor_free(init);
}

/* One Adam step with weight decay 0.5 (learning rate 0.1) and a zero gradient on a variable
 * named `name` (value 1.0), excluding `pattern`: returns the status, with its message still
 * current (pattern_step_end frees what it made), and sets *decayed to whether the value
 * shrank (decay applied) rather than staying 1.0 (excluded). */
typedef struct {
  tg_tensor *init, *grad;
  tg_variable* w;
  tg_optimizer* opt;
} pattern_step;

static tg_status pattern_step_run(pattern_step* p, const char* name, const char* pattern, int* decayed) {
  const int64_t one[1] = {1};
  tg_tensor* value = NULL;
  float v = 0;
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, one, 1, 1.0, &p->init));
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, one, 1, 0.0, &p->grad));
  CHECK_OK(tg_variable_create(name, p->init, 1, &p->w));
  CHECK_OK(tg_optimizer_create("adam", &p->opt));
  CHECK_OK(tg_optimizer_set(p->opt, "learning_rate", 0.1));
  CHECK_OK(tg_optimizer_set(p->opt, "weight_decay", 0.5));
  tg_status s = tg_optimizer_exclude_from_weight_decay(p->opt, NULL, 0, &pattern, 1);
  if (s == TG_OK) s = tg_optimizer_apply(p->opt, &p->w, &p->grad, 1, NULL);
  if (s == TG_OK) {
    CHECK_OK(tg_variable_read(p->w, &value));
    CHECK_OK(tg_tensor_copy_data(value, &v, sizeof v));
    *decayed = v < 1.0f;
    tg_tensor_free(value);
  }
  return s;
}

static void pattern_step_end(pattern_step* p) {
  tg_optimizer_free(p->opt);
  tg_variable_free(p->w);
  tg_tensor_free(p->grad);
  tg_tensor_free(p->init);
}

/* Frees the previous step's handles (none the first time), then runs a new one. */
static tg_status next_step(pattern_step* p, const char* name, const char* pattern, int* decayed) {
  pattern_step_end(p);
  return pattern_step_run(p, name, pattern, decayed);
}

/* A name of n copies of `fill`, then `tail`; owned by the caller. */
static char* long_name(size_t n, char fill, const char* tail) {
  char* s = malloc(n + strlen(tail) + 1);
  memset(s, fill, n);
  strcpy(s + n, tail);
  return s;
}

/* 4. Weight-decay exclusion patterns once ran in std::regex, which recursed once per
 * character (".*bias" on a 100k name, "(a|b)*c" on 15k: stack overflow) and backtracked
 * exponentially ("(a+)+b" on 30 characters: minutes). RE2 takes linear time: each of these
 * finishes in well under a second (timed in CPU seconds, so a loaded machine cannot fail it). */
static void test_weight_decay_patterns(void) {
  int decayed = -1;
  char* a60k = long_name(60000, 'a', "");
  char* ab60k_bias = long_name(60000, 'a', "/bias:0");
  char* a30 = long_name(30, 'a', "");
  char* a65537 = long_name(65537, 'a', "");
  char* long_pattern = long_name(1025, 'x', "");
  pattern_step step = {NULL, NULL, NULL, NULL};
  const clock_t start = clock();

  CHECK_OK(next_step(&step, ab60k_bias, ".*bias", &decayed));
  CHECK(decayed == 0);
  CHECK_OK(next_step(&step, a60k, ".*bias", &decayed));
  CHECK(decayed == 1);
  CHECK_OK(next_step(&step, a60k, "(a|b)*c", &decayed));
  CHECK(decayed == 1);
  CHECK_OK(next_step(&step, a30, "(a+)+b", &decayed));
  CHECK(decayed == 1);
  CHECK_OK(next_step(&step, a60k, "(a+)+b", &decayed));
  CHECK(decayed == 1);
  CHECK((double)(clock() - start) / CLOCKS_PER_SEC < 2.0);

  /* Keras's rule: found anywhere in the name (re.search), not a full match. */
  CHECK_OK(next_step(&step, "my_model/dense/bias:0", "bias", &decayed));
  CHECK(decayed == 0);
  CHECK_OK(next_step(&step, "my_model/dense/kernel:0", "bias", &decayed));
  CHECK(decayed == 1);
  CHECK_OK(next_step(&step, "my_model/dense/kernel:0", "^dense", &decayed));
  CHECK(decayed == 1);

  /* The limits and bad patterns, each with a clear error. */
  CHECK_ERR(next_step(&step, a65537, "bias", &decayed), TG_INVALID_ARGUMENT, "exclude_from_weight_decay",
            "variable name of 65537 bytes", "65536");
  CHECK_ERR(next_step(&step, "w", long_pattern, &decayed), TG_INVALID_ARGUMENT, "pattern of 1025 bytes", "1024");
  CHECK_ERR(next_step(&step, "w", "(a", &decayed), TG_INVALID_ARGUMENT, "invalid regular expression '(a'");
  CHECK_ERR(next_step(&step, "w", "(a)\\1", &decayed), TG_INVALID_ARGUMENT, "invalid regular expression");
  pattern_step_end(&step);
  free(long_pattern);
  free(a65537);
  free(a30);
  free(ab60k_bias);
  free(a60k);
}

/* Bool bytes other than 0 and 1 (found by the fuzzer): kernels read them as C++ bool, so a
 * copy stores every nonzero byte as 1, and memory the library does not copy is refused. */
static void test_bool_bytes(void) {
  const int64_t n[1] = {3};
  unsigned char bytes[3] = {0, 128, 1}, copy[3] = {9, 9, 9};
  tg_tensor *t, *f = NULL;
  float values[3];
  CHECK_OK(tg_tensor_create(TG_BOOL, n, 1, bytes, &t));
  CHECK_OK(tg_tensor_copy_data(t, copy, sizeof copy));
  CHECK(copy[0] == 0 && copy[1] == 1 && copy[2] == 1);
  CHECK_OK(tg_cast(t, TG_FLOAT32, &f));
  CHECK_OK(tg_tensor_copy_data(f, values, sizeof values));
  CHECK(values[0] == 0.0f && values[1] == 1.0f && values[2] == 1.0f);
  tg_tensor_free(f);
  tg_tensor_free(t);
  t = NULL;
  CHECK_ERR(tg_tensor_wrap(TG_BOOL, n, 1, bytes, NULL, NULL, &t), TG_INVALID_ARGUMENT, "byte 1 of the bool data is 128");
  CHECK(t == NULL);
}

/* 5. Window sizes that overflow int64 are refused with the op, the axis and the shapes; a huge
 * window that fits is clipped to the input, as TensorFlow does with 'same' padding. */
static void test_window_overflow(void) {
  const int64_t xs[4] = {1, 4, 4, 1}, ws[4] = {3, 3, 1, 1}, xs1[3] = {1, 4, 1}, ws1[3] = {3, 1, 1};
  const double xv[16] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};
  const double wv[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  tg_tensor* x = make_tensor(TG_FLOAT32, xs, 4, xv);
  tg_tensor* w = make_tensor(TG_FLOAT32, ws, 4, wv);
  tg_tensor* x1 = make_tensor(TG_FLOAT32, xs1, 3, xv);
  tg_tensor* w1 = make_tensor(TG_FLOAT32, ws1, 3, wv);
  tg_tensor* out = NULL;

  /* (3 − 1)·INT64_MAX + 1 cells: the dilated window's size overflows. */
  CHECK_ERR(tg_conv2d(x, w, NULL, 1, 1, TG_PADDING_VALID, INT64_MAX, 1, &out), TG_INVALID_ARGUMENT,
            "[tg_conv2d]", "conv2d", "dilated window along height", "input (1,4,4,1), filters (3,3,1,1)",
            "overflows int64");
  CHECK_ERR(tg_conv2d(x, w, NULL, 1, 1, TG_PADDING_SAME, 1, INT64_MAX, &out), TG_INVALID_ARGUMENT,
            "[tg_conv2d]", "dilated window along width", "input (1,4,4,1), filters (3,3,1,1)", "overflows int64");
  CHECK_ERR(tg_conv1d(x1, w1, NULL, 1, TG_PADDING_CAUSAL, INT64_MAX, &out), TG_INVALID_ARGUMENT, "[tg_conv1d]",
            "conv1d", "input (1,4,1), filters (3,1,1)", "overflows int64");
  {
    const int64_t input_shape[4] = {1, 4, 4, 1};
    CHECK_ERR(tg_conv2d_backprop_input(input_shape, 4, w, x, 1, 1, TG_PADDING_VALID, INT64_MAX, 1, &out),
              TG_INVALID_ARGUMENT, "conv2d_backprop_input", "input (1,4,4,1), filters (3,3,1,1)",
              "overflows int64");
  }
  /* An empty batch with a filter of 2^20 × 2^20 × 2^16 taps over a row of 2^20 pixels: the
   * im2col row would hold 2^76 elements. */
  {
    const int64_t ex[4] = {0, 1, (int64_t)1 << 20, (int64_t)1 << 16};
    const int64_t ew[4] = {(int64_t)1 << 20, (int64_t)1 << 20, (int64_t)1 << 16, 0};
    tg_tensor *empty_x, *empty_w;
    CHECK_OK(tg_tensor_fill(TG_FLOAT32, ex, 4, 0, &empty_x));
    CHECK_OK(tg_tensor_fill(TG_FLOAT32, ew, 4, 0, &empty_w));
    CHECK_ERR(tg_conv2d(empty_x, empty_w, NULL, 1, 1, TG_PADDING_SAME, 1, 1, &out), TG_INVALID_ARGUMENT,
              "[tg_conv2d]", "im2col row", "input (0,1,1048576,65536), filters (1048576,1048576,65536,0)",
              "overflows int64");
    tg_tensor_free(empty_x);
    tg_tensor_free(empty_w);
  }
  /* An input without channels would make 0 groups: once a division by zero (SIGFPE, found by
   * the C ABI fuzzer). */
  {
    const int64_t no_depth[4] = {1, 4, 4, 0};
    tg_tensor* empty_x;
    CHECK_OK(tg_tensor_fill(TG_FLOAT32, no_depth, 4, 0, &empty_x));
    CHECK_ERR(tg_conv2d(empty_x, w, NULL, 1, 1, TG_PADDING_VALID, 1, 1, &out), TG_INVALID_ARGUMENT, "[tg_conv2d]",
              "input has depth 0", "input (1,4,4,0), filters (3,3,1,1)");
    tg_tensor_free(empty_x);
  }
  /* A pooling window of INT64_MAX cells moved by 1: 'same' padding needs 3 + INT64_MAX cells. */
  CHECK_ERR(tg_max_pool2d(x, INT64_MAX, 2, 1, 1, TG_PADDING_SAME, &out), TG_INVALID_ARGUMENT, "[tg_max_pool2d]",
            "max_pool2d", "'same' padding along height", "input (1,4,4,1)", "overflows int64");
  CHECK_ERR(tg_avg_pool2d(x, 2, INT64_MAX, 1, 1, TG_PADDING_SAME, &out), TG_INVALID_ARGUMENT, "[tg_avg_pool2d]",
            "avg_pool2d", "'same' padding along width", "input (1,4,4,1)", "overflows int64");
  /* ... and with 'valid' it is larger than the input. */
  CHECK_ERR(tg_max_pool2d(x, INT64_MAX, INT64_MAX, 1, 1, TG_PADDING_VALID, &out), TG_INVALID_ARGUMENT,
            "[tg_max_pool2d]", "larger than the input", "input (1,4,4,1)");
  CHECK(out == NULL);
  /* A window and stride of INT64_MAX with 'same': one window, padded by about 2^62 cells on
   * each side, clipped to the whole image: the maximum 9 and the mean 80/16 = 5 of the cells. */
  {
    const int64_t one[4] = {1, 1, 1, 1};
    const double want_max[1] = {9}, want_mean[1] = {5};
    CHECK_OK(tg_max_pool2d(x, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, TG_PADDING_SAME, &out));
    CHECK_TENSOR(out, TG_FLOAT32, one, 4, want_max, 0);
    tg_tensor_free(out);
    CHECK_OK(tg_avg_pool2d(x, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, TG_PADDING_SAME, &out));
    CHECK_TENSOR(out, TG_FLOAT32, one, 4, want_mean, 1e-6);
    tg_tensor_free(out);
  }
  tg_tensor_free(x);
  tg_tensor_free(w);
  tg_tensor_free(x1);
  tg_tensor_free(w1);
}

int main(void) {
  test_stale_handle_after_many_frees();
  test_stale_handles_interleaved();
  test_forged_handles();
  test_wrong_type();
  test_shape_overflow();
  test_jacobian_shape_overflow();
  test_iteration_counter_limit();
  test_weight_decay_patterns();
  test_bool_bytes();
  test_window_overflow();
  return check_summary();
}
