/* SPDX-License-Identifier: Apache-2.0 */
/*
 * capi_fuzz.c — reads the input as a program of C ABI calls and runs it: tensors of random
 * shapes and dtypes, ops, tapes (begin, watch, end, gradients, jacobians), variables,
 * convolutions and pooling, optimizers, models and layers, losses, scopes, frees in any order, and misuse (freed, NULL
 * and wrong-type handles, bad enums, absurd sizes). Each call must return a tg_status other
 * than TG_INTERNAL, write a handle on TG_OK, and a freed handle must stay TG_INVALID_HANDLE.
 *
 * Sizes: the fuzzer asks for small dimensions (0..4) or absurd ones (negative, or above the
 * 2^56 element limit, which the library must refuse), never a valid huge tensor, and skips an
 * op whose result could be large (broadcasts of big operands, tiles of big tensors), so one
 * input runs in milliseconds and no allocation is legitimately large.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "tapegrad/tapegrad.h"

enum kind { NONE, TENSOR, VARIABLE, TAPE, MODEL, LAYER, OPTIMIZER, LOSS };

enum { kSlots = 48, kMaxElementsUsed = 4096, kMaxScopes = 4 };

typedef struct {
  void* handle;
  enum kind kind;
  int live; /* 0: freed by this program (a stale handle, kept to be misused) */
} slot;

typedef struct {
  fuzz_input in;
  slot slots[kSlots];
  tg_scope* scopes[kMaxScopes];
  int num_scopes;
} program;

/* ---- the handle pool ----------------------------------------------------------------- */

static void add(program* p, enum kind k, void* handle);

static tg_status free_handle(enum kind k, void* h) {
  switch (k) {
    case TENSOR: return tg_tensor_free(h);
    case VARIABLE: return tg_variable_free(h);
    case TAPE: return tg_tape_free(h);
    case MODEL: return tg_model_free(h);
    case LAYER: return tg_layer_free(h);
    case OPTIMIZER: return tg_optimizer_free(h);
    case LOSS: return tg_loss_free(h);
    case NONE: break;
  }
  return TG_OK;
}

/* Records a handle the library returned; with no free slot, frees it at once. */
static void add(program* p, enum kind k, void* handle) {
  if (!handle) fuzz_fail("TG_OK without a handle");
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < kSlots; ++i) {
      slot* s = &p->slots[i];
      if (s->kind == NONE || (pass == 1 && !s->live)) {
        s->handle = handle;
        s->kind = k;
        s->live = 1;
        return;
      }
    }
  }
  fuzz_check_status(free_handle(k, handle));
}

/* A handle argument of kind k: usually a live one; sometimes a freed one, NULL, or one of
 * another kind, to check that misuse is reported. */
static void* pick(program* p, enum kind k) {
  const uint8_t how = fuzz_u8(&p->in);
  const int start = how % kSlots;
  if (how >= 250) return NULL;
  for (int i = 0; i < kSlots; ++i) {
    const slot* s = &p->slots[(start + i) % kSlots];
    if (s->kind == NONE) continue;
    if (how >= 240) return s->handle; /* any kind, live or not */
    if (s->kind == k && (s->live || how >= 230)) return s->handle;
  }
  return NULL;
}

/* The number of elements of a live tensor, or -1 for anything else. */
static int64_t numel(const void* t) {
  size_t n;
  return tg_tensor_size(t, &n) == TG_OK ? (int64_t)n : -1;
}

static int small(const void* t) {
  const int64_t n = numel(t);
  return n >= 0 && n <= kMaxElementsUsed;
}

/* ---- arguments ------------------------------------------------------------------------ */

static tg_dtype pick_dtype(program* p) {
  const uint8_t b = fuzz_u8(&p->in);
  if (b >= 250) { /* not a tg_dtype: any int may arrive from C */
    const int bad = b == 250 ? -1 : b == 251 ? 5 : 1000;
    tg_dtype d;
    memcpy(&d, &bad, sizeof d);
    return d;
  }
  static const tg_dtype common[] = {TG_FLOAT32, TG_FLOAT32, TG_FLOAT64, TG_INT32, TG_INT64, TG_BOOL};
  return common[b % 6];
}

/* A size-like argument: 0..4, or absurd (negative, above the element limit, INT64_MAX/MIN). */
static int64_t pick_size(program* p) {
  static const int64_t absurd[] = {-1, -2, ((int64_t)1 << 56) + 1, (int64_t)1 << 57, (int64_t)1 << 62, INT64_MAX,
                                   INT64_MIN};
  const uint8_t b = fuzz_u8(&p->in);
  if (b >= 240) return absurd[b % 7];
  return b % 5;
}

/* An axis-like argument: -3..3 mostly, sometimes far out of range. */
static int64_t pick_axis(program* p) {
  const uint8_t b = fuzz_u8(&p->in);
  if (b >= 248) return b == 255 ? INT64_MIN : b == 254 ? INT64_MAX : 100;
  return (int64_t)(b % 7) - 3;
}

/* A rank for an argument array: 0..4, sometimes past TG_MAX_RANK or negative. */
static int pick_rank(program* p) {
  const uint8_t b = fuzz_u8(&p->in);
  if (b >= 250) return b == 255 ? -1 : 9;
  return b % 5;
}

static void pick_sizes(program* p, int64_t* out, int n) {
  for (int i = 0; i < n; ++i) out[i] = pick_size(p);
}

/* ---- ops -------------------------------------------------------------------------------- */

typedef tg_status (*unary_fn)(const tg_tensor*, tg_tensor**);
typedef tg_status (*binary_fn)(const tg_tensor*, const tg_tensor*, tg_tensor**);

static const unary_fn kUnary[] = {tg_neg,     tg_exp,      tg_log,      tg_relu,       tg_abs,    tg_sign,
                                  tg_square,  tg_sqrt,     tg_rsqrt,    tg_expm1,      tg_log1p,  tg_sin,
                                  tg_cos,     tg_tanh,     tg_sigmoid,  tg_softplus,   tg_relu6,  tg_elu,
                                  tg_selu,    tg_silu,     tg_floor,      tg_ceil,   tg_round,
                                  tg_identity, tg_stop_gradient, tg_logical_not};
static const binary_fn kBinary[] = {tg_add,     tg_sub,   tg_mul,     tg_div,       tg_pow,         tg_maximum,
                                    tg_minimum, tg_equal, tg_not_equal, tg_less,    tg_less_equal,  tg_greater,
                                    tg_greater_equal, tg_logical_and, tg_logical_or, tg_squared_difference};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Checks the status of a call that writes one tensor to *out, and records the tensor. (out
 * is passed by address: the call must have run before it is read.) */
static void keep_tensor(program* p, tg_status s, tg_tensor* const* out) {
  fuzz_check_status(s);
  if (s == TG_OK) add(p, TENSOR, *out);
}

static void op_create(program* p) {
  int64_t shape[10];
  const int rank = pick_rank(p);
  pick_sizes(p, shape, 10);
  const tg_dtype dtype = pick_dtype(p);
  double data[64]; /* the elements, read as any dtype: enough for 64 of them */
  for (size_t i = 0; i < 8; ++i) data[i] = (double)(int8_t)fuzz_u8(&p->in) / 4.0;
  for (size_t i = 8; i < COUNT(data); ++i) data[i] = data[i % 8] * (double)i;
  /* Never a valid large tensor: with no zero dimension, at most 64 elements, which `data`
   * covers; absurd sizes pass, to be refused. */
  int64_t product = 1;
  int absurd = 0, zero = 0;
  for (int d = 0; d < rank && d < 10; ++d) {
    if (shape[d] < 0 || shape[d] > 4) absurd = 1;
    else if (shape[d] == 0) zero = 1;
    else product *= shape[d];
  }
  if (!absurd && !zero && product > (int64_t)COUNT(data)) return;
  tg_tensor* out = NULL;
  switch (fuzz_below(&p->in, 8)) {
    case 0: keep_tensor(p, tg_tensor_create(dtype, shape, rank, data, &out), &out); break;
    case 1: keep_tensor(p, tg_tensor_fill(dtype, shape, rank, data[0], &out), &out); break;
    case 2: keep_tensor(p, tg_tensor_scalar(dtype, data[1], &out), &out); break;
    case 3: keep_tensor(p, tg_random_uniform(dtype, shape, rank, -1.0, 1.0, fuzz_u8(&p->in), &out), &out); break;
    case 4: keep_tensor(p, tg_random_normal(dtype, shape, rank, 0.0, 1.0, fuzz_u8(&p->in), &out), &out); break;
    case 5: keep_tensor(p, tg_zeros(dtype, shape, rank, &out), &out); break;
    case 6: keep_tensor(p, tg_eye(pick_size(p), pick_size(p), dtype, &out), &out); break;
    default: keep_tensor(p, tg_range(data[2], data[3], data[4], dtype, &out), &out); break;
  }
}

static void op_elementwise(program* p) {
  tg_tensor* out = NULL;
  const tg_tensor* a = pick(p, TENSOR);
  const uint8_t which = fuzz_u8(&p->in);
  if (which < 100) {
    keep_tensor(p, kUnary[which % COUNT(kUnary)](a, &out), &out);
    return;
  }
  const tg_tensor* b = pick(p, TENSOR);
  if (numel(a) * numel(b) > kMaxElementsUsed * 4) return; /* a broadcast could be that large */
  if (which < 200) {
    keep_tensor(p, kBinary[which % COUNT(kBinary)](a, b, &out), &out);
  } else if (which < 220) {
    keep_tensor(p, tg_matmul(a, b, which & 1, (which >> 1) & 1, &out), &out);
  } else if (which < 235) {
    const tg_tensor* c = pick(p, TENSOR);
    if (numel(c) * numel(a) > kMaxElementsUsed * 4) return;
    keep_tensor(p, tg_where(a, b, c, &out), &out);
  } else if (which < 245) {
    const tg_tensor* c = pick(p, TENSOR);
    if (numel(c) * numel(a) > kMaxElementsUsed * 4) return;
    keep_tensor(p, tg_clip_by_value(a, b, c, &out), &out);
  } else if (which < 250) {
    keep_tensor(p, tg_leaky_relu(a, (double)(int8_t)fuzz_u8(&p->in) / 16.0, &out), &out);
  } else {
    keep_tensor(p, tg_gelu(a, fuzz_u8(&p->in) & 1, &out), &out);
  }
}

static void op_reduce(program* p) {
  tg_tensor* out = NULL;
  const tg_tensor* x = pick(p, TENSOR);
  int64_t axes[4];
  for (int i = 0; i < 4; ++i) axes[i] = pick_axis(p);
  const size_t num_axes = fuzz_below(&p->in, 5);
  const int keep = fuzz_u8(&p->in) & 1;
  switch (fuzz_below(&p->in, 11)) {
    case 0: keep_tensor(p, tg_reduce_sum(x, axes, num_axes, keep, &out), &out); break;
    case 1: keep_tensor(p, tg_reduce_mean(x, axes, num_axes, keep, &out), &out); break;
    case 2: keep_tensor(p, tg_reduce_max(x, axes, num_axes, keep, &out), &out); break;
    case 3: keep_tensor(p, tg_reduce_min(x, axes, num_axes, keep, &out), &out); break;
    case 4: keep_tensor(p, tg_reduce_prod(x, axes, num_axes, keep, &out), &out); break;
    case 5: keep_tensor(p, tg_reduce_logsumexp(x, axes, num_axes, keep, &out), &out); break;
    case 6: keep_tensor(p, tg_reduce_variance(x, axes, num_axes, keep, &out), &out); break;
    case 7: keep_tensor(p, tg_argmax(x, axes[0], &out), &out); break;
    case 8: keep_tensor(p, tg_argmin(x, axes[0], &out), &out); break;
    case 9: keep_tensor(p, tg_softmax(x, axes[0], &out), &out); break;
    default: keep_tensor(p, tg_log_softmax(x, axes[0], &out), &out); break;
  }
}

/* A window parameter (kernel size, stride, dilation): 1..3 mostly, sometimes 0, negative or
 * huge (a size that overflows once dilated or padded). */
static int64_t pick_window(program* p) {
  static const int64_t absurd[] = {0, -1, (int64_t)1 << 31, (int64_t)1 << 62, INT64_MAX - 1, INT64_MAX};
  const uint8_t b = fuzz_u8(&p->in);
  if (b >= 232) return absurd[b % 6];
  return 1 + b % 3;
}

static tg_padding pick_padding(program* p) {
  const uint8_t b = fuzz_u8(&p->in);
  const int code = b >= 250 ? (b == 255 ? -1 : 7) : b % 3; /* sometimes not a tg_padding */
  tg_padding padding;
  memcpy(&padding, &code, sizeof padding);
  return padding;
}

/* Convolutions, pooling and normalization with picked tensors (of any rank and dtype) and
 * window parameters. */
static void op_window(program* p) {
  tg_tensor *out = NULL, *mean = NULL, *variance = NULL;
  const tg_tensor* x = pick(p, TENSOR);
  const tg_tensor* w = pick(p, TENSOR);
  const tg_tensor* b = fuzz_u8(&p->in) < 128 ? NULL : pick(p, TENSOR);
  if (!small(x) || !small(w)) return;
  const int64_t kh = pick_window(p), kw = pick_window(p), sh = pick_window(p), sw = pick_window(p);
  const int64_t dh = pick_window(p), dw = pick_window(p);
  const tg_padding padding = pick_padding(p);
  int64_t shape[10];
  pick_sizes(p, shape, 10);
  const int rank = pick_rank(p);
  switch (fuzz_below(&p->in, 9)) {
    case 0: keep_tensor(p, tg_conv2d(x, w, b, sh, sw, padding, dh, dw, &out), &out); break;
    case 1: keep_tensor(p, tg_conv1d(x, w, b, sw, padding, dw, &out), &out); break;
    case 2: keep_tensor(p, tg_conv2d_backprop_input(shape, rank, w, x, sh, sw, padding, dh, dw, &out), &out); break;
    case 3: keep_tensor(p, tg_conv2d_backprop_filter(x, shape, rank, w, sh, sw, padding, dh, dw, &out), &out); break;
    case 4: keep_tensor(p, tg_max_pool2d(x, kh, kw, sh, sw, padding, &out), &out); break;
    case 5: keep_tensor(p, tg_avg_pool2d(x, kh, kw, sh, sw, padding, &out), &out); break;
    case 6: keep_tensor(p, tg_global_max_pool2d(x, fuzz_u8(&p->in) & 1, &out), &out); break;
    case 7: keep_tensor(p, tg_global_average_pool2d(x, fuzz_u8(&p->in) & 1, &out), &out); break;
    default: {
      const tg_status s = tg_fused_batch_norm(x, w, b, 1e-3, &out, &mean, &variance);
      fuzz_check_status(s);
      if (s == TG_OK) {
        add(p, TENSOR, out);
        add(p, TENSOR, mean);
        add(p, TENSOR, variance);
      }
      break;
    }
  }
}

static void op_shape(program* p) {
  tg_tensor* out = NULL;
  const tg_tensor* x = pick(p, TENSOR);
  if (numel(x) > kMaxElementsUsed) return;
  int64_t a[10], b[10], c[10];
  pick_sizes(p, a, 10);
  for (int i = 0; i < 10; ++i) b[i] = pick_axis(p);
  pick_sizes(p, c, 10);
  const int rank = pick_rank(p);
  switch (fuzz_below(&p->in, 16)) {
    case 0:
      if (fuzz_u8(&p->in) < 64) a[fuzz_below(&p->in, 4)] = -1;
      keep_tensor(p, tg_reshape(x, a, rank, &out), &out);
      break;
    case 1: keep_tensor(p, tg_transpose(x, b, rank, &out), &out); break;
    case 2: keep_tensor(p, tg_expand_dims(x, b[0], &out), &out); break;
    case 3: keep_tensor(p, tg_squeeze(x, b, (size_t)fuzz_below(&p->in, 3), &out), &out); break;
    case 4: keep_tensor(p, tg_broadcast_to(x, a, rank, &out), &out); break;
    case 5: keep_tensor(p, tg_slice(x, a, c, rank, &out), &out); break;
    case 6:
      if (rank > 4) return; /* (4 + 2·4)^rank elements at most */
      keep_tensor(p, tg_pad(x, a, rank, 0.0, &out), &out);
      break;
    case 7:
      if (numel(x) > 64) return; /* tiles of up to 4 per axis */
      keep_tensor(p, tg_tile(x, a, rank, &out), &out);
      break;
    case 8: {
      const tg_tensor* indices = pick(p, TENSOR);
      if (numel(indices) * (numel(x) + 1) > kMaxElementsUsed * 4) return;
      keep_tensor(p, tg_gather(x, indices, b[0], &out), &out);
      break;
    }
    case 9: keep_tensor(p, tg_one_hot(x, a[0], 1.0, 0.0, b[0], pick_dtype(p), &out), &out); break;
    case 10: keep_tensor(p, tg_cast(x, pick_dtype(p), &out), &out); break;
    case 11:
    case 12: {
      tg_tensor* values[3] = {(tg_tensor*)x, pick(p, TENSOR), pick(p, TENSOR)};
      const size_t count = fuzz_below(&p->in, 4);
      for (size_t i = 0; i < count; ++i)
        if (values[i] && !small(values[i]) && numel(values[i]) != -1) return;
      if (fuzz_below(&p->in, 2))
        keep_tensor(p, tg_concat(values, count, b[0], &out), &out);
      else
        keep_tensor(p, tg_stack(values, count, b[0], &out), &out);
      break;
    }
    case 13: {
      tg_tensor* outs[4] = {NULL, NULL, NULL, NULL};
      const size_t n = fuzz_below(&p->in, 5);
      const tg_status s = tg_split(x, a, n, b[0], outs);
      fuzz_check_status(s);
      if (s == TG_OK)
        for (size_t i = 0; i < n; ++i) add(p, TENSOR, outs[i]);
      break;
    }
    case 14: {
      const size_t n = fuzz_below(&p->in, 6);
      keep_tensor(p,
                  tg_strided_slice(x, b, c, a, n, fuzz_u8(&p->in), fuzz_u8(&p->in), fuzz_u8(&p->in) & 3,
                                   fuzz_u8(&p->in), fuzz_u8(&p->in), &out),
                  &out);
      break;
    }
    default: {
      const tg_tensor* labels = pick(p, TENSOR);
      if (fuzz_below(&p->in, 2))
        keep_tensor(p, tg_softmax_cross_entropy_with_logits(labels, x, b[0], &out), &out);
      else
        keep_tensor(p, tg_sparse_softmax_cross_entropy_with_logits(labels, x, &out), &out);
      break;
    }
  }
}

static void op_tape(program* p) {
  tg_tape* tape = pick(p, TAPE);
  switch (fuzz_below(&p->in, 10)) {
    case 0: {
      tg_tape* t = NULL;
      const tg_status s = tg_tape_begin(fuzz_below(&p->in, 5), &t);
      fuzz_check_status(s);
      if (s == TG_OK) add(p, TAPE, t);
      break;
    }
    case 1: fuzz_check_status(tg_tape_watch(tape, pick(p, fuzz_below(&p->in, 2) ? TENSOR : VARIABLE))); break;
    case 2: fuzz_check_status(tg_tape_end(tape)); break;
    case 3: fuzz_check_status(tg_tape_stop_recording(tape)); break;
    case 4: fuzz_check_status(tg_tape_resume_recording(tape)); break;
    case 5: fuzz_check_status(tg_tape_reset(tape)); break;
    case 6:
    case 7: {
      const void* targets[2] = {pick(p, TENSOR), pick(p, TENSOR)};
      const void* sources[3] = {pick(p, TENSOR), pick(p, VARIABLE), pick(p, TENSOR)};
      const size_t nt = fuzz_below(&p->in, 3), ns = fuzz_below(&p->in, 4);
      tg_tensor* grads[3] = {NULL, NULL, NULL};
      const tg_status s = tg_tape_gradient(tape, targets, nt, sources, ns, grads);
      fuzz_check_status(s);
      if (s == TG_OK)
        for (size_t i = 0; i < ns; ++i)
          if (grads[i]) add(p, TENSOR, grads[i]);
      break;
    }
    case 8: {
      const void* target = pick(p, TENSOR);
      const void* sources[2] = {pick(p, TENSOR), pick(p, VARIABLE)};
      const size_t ns = fuzz_below(&p->in, 3);
      tg_tensor* jac[2] = {NULL, NULL};
      /* one backward pass per target element, results of numel(target)·numel(source) */
      if (numel(target) > 16) return;
      for (size_t i = 0; i < ns; ++i)
        if (numel(sources[i]) > 64) return;
      const tg_status s =
          tg_tape_jacobian(tape, target, sources, ns, (tg_unconnected_gradients)fuzz_below(&p->in, 2), jac);
      fuzz_check_status(s);
      if (s == TG_OK)
        for (size_t i = 0; i < ns; ++i)
          if (jac[i]) add(p, TENSOR, jac[i]);
      break;
    }
    default: {
      const void* target = pick(p, TENSOR);
      const void* source = pick(p, TENSOR);
      tg_tensor* out = NULL;
      if (numel(target) > 16 || numel(source) > 64) return;
      keep_tensor(p, tg_tape_batch_jacobian(tape, target, source, TG_UNCONNECTED_NONE, &out), &out);
      break;
    }
  }
}

static void op_variable(program* p) {
  static const char* const kNames[] = {"w", "dense/kernel:0", "", "b/bias:0"};
  tg_variable* v = pick(p, VARIABLE);
  tg_tensor* out = NULL;
  switch (fuzz_below(&p->in, 4)) {
    case 0: {
      const tg_tensor* init = pick(p, TENSOR);
      if (numel(init) > kMaxElementsUsed) return;
      tg_variable* made = NULL;
      const tg_status s = tg_variable_create(kNames[fuzz_below(&p->in, 4)], init, fuzz_u8(&p->in) & 1, &made);
      fuzz_check_status(s);
      if (s == TG_OK) add(p, VARIABLE, made);
      break;
    }
    case 1: keep_tensor(p, tg_variable_read(v, &out), &out); break;
    case 2: keep_tensor(p, tg_variable_value(v, &out), &out); break;
    default: fuzz_check_status(tg_variable_assign(v, pick(p, TENSOR))); break;
  }
}

static void op_optimizer(program* p) {
  static const char* const kOptimizers[] = {"adam", "sgd", "rmsprop", "adagrad", "adamw", "nope"};
  static const char* const kHyper[] = {"learning_rate", "weight_decay", "momentum", "clipnorm", "amsgrad", "x"};
  static const char* const kPatterns[] = {"bias", ".*bias", "(a|b)*c", "(a+)+b", "(", "(a)\\1", "^w$"};
  static const int64_t kIterations[] = {0, 1, -1, TG_MAX_ITERATIONS - 1, TG_MAX_ITERATIONS, INT64_MAX};
  tg_optimizer* opt = pick(p, OPTIMIZER);
  tg_variable* vars[3] = {pick(p, VARIABLE), pick(p, VARIABLE), pick(p, VARIABLE)};
  tg_tensor* grads[3] = {pick(p, TENSOR), pick(p, TENSOR), pick(p, TENSOR)};
  const size_t n = fuzz_below(&p->in, 4);
  switch (fuzz_below(&p->in, 6)) {
    case 0: {
      tg_optimizer* made = NULL;
      const tg_status s = tg_optimizer_create(kOptimizers[fuzz_below(&p->in, COUNT(kOptimizers))], &made);
      fuzz_check_status(s);
      if (s == TG_OK) add(p, OPTIMIZER, made);
      break;
    }
    case 1:
      fuzz_check_status(tg_optimizer_set(opt, kHyper[fuzz_below(&p->in, COUNT(kHyper))],
                                    (double)(int8_t)fuzz_u8(&p->in) / 64.0));
      break;
    case 2: {
      const char* patterns[2] = {kPatterns[fuzz_below(&p->in, COUNT(kPatterns))],
                                 kPatterns[fuzz_below(&p->in, COUNT(kPatterns))]};
      fuzz_check_status(tg_optimizer_exclude_from_weight_decay(opt, vars, fuzz_below(&p->in, 2), patterns,
                                                          fuzz_below(&p->in, 3)));
      break;
    }
    case 3: fuzz_check_status(tg_optimizer_set_iterations(opt, kIterations[fuzz_below(&p->in, COUNT(kIterations))])); break;
    case 4: fuzz_check_status(tg_optimizer_build(opt, vars, n)); break;
    default: {
      int64_t iterations = 0;
      fuzz_check_status(tg_optimizer_apply(opt, vars, grads, n, &iterations));
      break;
    }
  }
}

static void op_model(program* p) {
  tg_model* model = pick(p, MODEL);
  tg_tensor* out = NULL;
  switch (fuzz_below(&p->in, 7)) {
    case 0: {
      tg_model* made = NULL;
      const tg_status s = tg_model_create(fuzz_u8(&p->in) & 1 ? "m" : NULL, &made);
      fuzz_check_status(s);
      if (s == TG_OK) add(p, MODEL, made);
      break;
    }
    case 1:
    case 2: {
      tg_layer_config config;
      tg_layer* layer = NULL;
      fuzz_check_status(tg_layer_config_init((tg_layer_type)fuzz_below(&p->in, 4), &config));
      config.units = pick_size(p);
      config.input_dim = pick_size(p);
      config.output_dim = pick_size(p);
      config.rate = (double)fuzz_below(&p->in, 5) / 4.0;
      const tg_status s =
          fuzz_u8(&p->in) & 1 ? tg_model_add(model, &config, &layer) : tg_layer_create(&config, &layer);
      fuzz_check_status(s);
      if (s == TG_OK) add(p, LAYER, layer);
      break;
    }
    case 3: {
      const tg_tensor* x = pick(p, TENSOR);
      if (numel(x) > kMaxElementsUsed) return;
      keep_tensor(p, tg_model_call_ex(model, x, fuzz_u8(&p->in) & 1, &out), &out);
      break;
    }
    case 4: {
      const tg_tensor* x = pick(p, TENSOR);
      if (numel(x) > kMaxElementsUsed) return;
      keep_tensor(p, tg_layer_call(pick(p, LAYER), x, fuzz_u8(&p->in) & 1, &out), &out);
      break;
    }
    case 5: {
      tg_variable* vars[4] = {NULL, NULL, NULL, NULL};
      size_t count = 0;
      const tg_status s = tg_model_trainable_variables(model, vars, 4, &count);
      fuzz_check_status(s);
      if (s == TG_OK)
        for (size_t i = 0; i < count && i < 4; ++i) add(p, VARIABLE, vars[i]);
      break;
    }
    default: {
      const tg_tensor* x = pick(p, TENSOR);
      const tg_tensor* y = pick(p, TENSOR);
      if (numel(x) > kMaxElementsUsed || numel(y) > kMaxElementsUsed) return;
      double loss_value = 0;
      fuzz_check_status(tg_model_train_step(model, pick(p, LOSS), pick(p, OPTIMIZER), NULL, 0, x, y,
                                       fuzz_u8(&p->in) < 32 ? pick(p, TENSOR) : NULL, &loss_value));
      break;
    }
  }
}

static void op_loss(program* p) {
  tg_loss* made = NULL;
  tg_tensor* out = NULL;
  const tg_reduction reduction = (tg_reduction)fuzz_below(&p->in, 5);
  tg_status s;
  switch (fuzz_below(&p->in, 4)) {
    case 0: s = tg_loss_categorical_crossentropy(fuzz_u8(&p->in) & 1, fuzz_below(&p->in, 3) / 2.0, reduction, &made); break;
    case 1: s = tg_loss_sparse_categorical_crossentropy(fuzz_u8(&p->in) & 1, fuzz_u8(&p->in) & 1, pick_axis(p), reduction, &made); break;
    case 2: s = tg_loss_mean_squared_error(reduction, &made); break;
    default: {
      const tg_tensor* yt = pick(p, TENSOR);
      const tg_tensor* yp = pick(p, TENSOR);
      if (numel(yt) * numel(yp) > kMaxElementsUsed * 4) return;
      keep_tensor(p, tg_loss_call(pick(p, LOSS), yt, yp, fuzz_u8(&p->in) < 32 ? pick(p, TENSOR) : NULL, &out), &out);
      return;
    }
  }
  fuzz_check_status(s);
  if (s == TG_OK) add(p, LOSS, made);
}

static void op_scope(program* p) {
  if (fuzz_below(&p->in, 2) == 0) {
    if (p->num_scopes == kMaxScopes) return;
    tg_scope* scope = NULL;
    fuzz_check_status(tg_scope_begin(&scope));
    p->scopes[p->num_scopes++] = scope;
  } else if (fuzz_below(&p->in, 2) == 0) {
    fuzz_check_status(tg_scope_keep(pick(p, (enum kind)(1 + fuzz_below(&p->in, 7)))));
  } else if (p->num_scopes > 0) {
    /* Ending a scope ends the scopes opened after it, and frees their handles: the pool's
     * entries may then be stale without knowing it, which later calls must survive. */
    const int which = (int)fuzz_below(&p->in, (uint32_t)p->num_scopes);
    fuzz_check_status(tg_scope_end(p->scopes[which]));
    p->num_scopes = which;
  }
}

/* Frees a handle; a freed one then stays TG_INVALID_HANDLE, as a NULL free stays TG_OK. */
static void op_free(program* p) {
  slot* s = &p->slots[fuzz_below(&p->in, kSlots)];
  if (s->kind == NONE) {
    fuzz_check_status(free_handle((enum kind)(1 + fuzz_below(&p->in, 7)), NULL));
    return;
  }
  const tg_status st = free_handle(s->kind, s->handle);
  fuzz_check_status(st);
  if (!s->live && st != TG_INVALID_HANDLE) fuzz_fail("freeing a freed handle did not give TG_INVALID_HANDLE");
  if (s->live && st == TG_OK) {
    s->live = 0;
    if (s->kind == TENSOR) {
      double v;
      if (tg_tensor_item(s->handle, &v) != TG_INVALID_HANDLE) fuzz_fail("a freed tensor is still usable");
    }
  }
}

int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc;
  (void)argv;
  tg_set_num_threads(1);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  program* p = calloc(1, sizeof *p);
  p->in = (fuzz_input){data, size, 0};
  for (int step = 0; step < 256 && !fuzz_done(&p->in); ++step) {
    switch (fuzz_below(&p->in, 16)) {
      case 0:
      case 1:
      case 2: op_create(p); break;
      case 3:
      case 4: op_elementwise(p); break;
      case 5: op_reduce(p); break;
      case 6: op_shape(p); break;
      case 7: op_window(p); break;
      case 8:
      case 9: op_tape(p); break;
      case 10: op_variable(p); break;
      case 11: op_optimizer(p); break;
      case 12: op_model(p); break;
      case 13: op_loss(p); break;
      case 14: op_scope(p); break;
      default: op_free(p); break;
    }
  }
  /* Tapes first (one still recording is ended by its free), then everything else; scopes
   * last, which frees what they still hold. */
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < kSlots; ++i) {
      slot* s = &p->slots[i];
      if (s->kind == NONE || !s->live || (pass == 0) != (s->kind == TAPE)) continue;
      fuzz_check_status(free_handle(s->kind, s->handle));
    }
  if (p->num_scopes > 0) fuzz_check_status(tg_scope_end(p->scopes[0]));
  free(p);
  return 0;
}
