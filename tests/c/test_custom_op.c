/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of custom ops (tg_custom_op_*): forward values, first and second order gradients,
 * jacobians and batch jacobians through them, several outputs and inputs, variables, the
 * per-call state, the lifetime of user data, and one op used by two threads. Errors and re-entry: test_custom_op_errors.c.
 * Every expected number is worked out by hand in the comment next to it.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "custom_ops.h"
#include "helpers.h"

/* y = x³ at x = 2: y = 8, dy/dx = 3·4 = 12; the forward's own muls are not recorded, so the
 * gradient comes from the backward alone (checked by ste_round below). */
static void test_forward_and_gradient(void) {
  tg_custom_op* op = make_op("cube", 1, 1, cube_forward, cube_backward);
  tg_tensor *x = make_scalar(TG_FLOAT64, 2.0), *y, *g;
  tg_tape* tape = NULL;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  y = call1(op, x);
  CHECK_OK(tg_tape_end(tape));
  CHECK_NEAR(item_of(y), 8.0, 0);
  g = grad1(tape, y, x);
  CHECK_NEAR(item_of(g), 12.0, 0);
  tg_tensor_free(g);
  tg_tensor_free(y);
  /* No tape: the op runs and records nothing. */
  y = call1(op, x);
  CHECK_NEAR(item_of(y), 8.0, 0);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(tape);
  tg_custom_op_free(op);
}

/* Straight-through round: round(x)·w with x = [0.4, 1.6], w = [2, 3]: the value uses
 * round(x) = [0, 2] (sum 0·2 + 2·3 = 6); d/dx = w = [2, 3] though round's own gradient is NULL. */
static void test_straight_through(void) {
  const int64_t s2[] = {2};
  tg_custom_op* op = make_op("ste_round", 1, 1, ste_round_forward, pass_through_backward);
  tg_tensor *x = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){0.4, 1.6}));
  tg_tensor *w = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){2, 3}));
  tg_tensor *r, *y = NULL, *loss = NULL, *g;
  tg_tape* tape = NULL;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  r = call1(op, x);
  CHECK_OK(tg_mul(r, w, &y));
  CHECK_OK(tg_reduce_sum(y, NULL, 0, 0, &loss));
  CHECK_NEAR(item_of(loss), 6.0, 0);
  g = grad1(tape, loss, x);
  CHECK_TENSOR(g, TG_FLOAT32, s2, 1, ((const double[]){2, 3}), 0);
  tg_tensor_free(g);
  tg_tensor_free(loss);
  tg_tensor_free(y);
  tg_tensor_free(r);
  tg_tensor_free(w);
  tg_tensor_free(x);
  tg_tape_free(tape);
  tg_custom_op_free(op);
}

/* clip_grad(x)·[5, -5] at x = [1, -1]: y = x, and the incoming gradient [5, -5] is clipped
 * to [1, -1]. */
static void test_clipped_gradient(void) {
  const int64_t s2[] = {2};
  tg_custom_op* op = make_op("clip_grad", 1, 1, identity_forward, clip_grad_backward);
  tg_tensor *x = make_tensor(TG_FLOAT64, s2, 1, ((const double[]){1, -1}));
  tg_tensor *k = make_tensor(TG_FLOAT64, s2, 1, ((const double[]){5, -5}));
  tg_tensor *y, *z = NULL, *g;
  tg_tape* tape = NULL;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  y = call1(op, x);
  CHECK_OK(tg_mul(y, k, &z));
  g = grad1(tape, z, x);
  CHECK_TENSOR(y, TG_FLOAT64, s2, 1, ((const double[]){1, -1}), 0);
  CHECK_TENSOR(g, TG_FLOAT64, s2, 1, ((const double[]){1, -1}), 0);
  tg_tensor_free(g);
  tg_tensor_free(z);
  tg_tensor_free(y);
  tg_tensor_free(k);
  tg_tensor_free(x);
  tg_tape_free(tape);
  tg_custom_op_free(op);
}

/* Second and third order through nested tapes: x³ at 2 gives 12, then 6x = 12, then 6. */
static void test_higher_order(void) {
  tg_custom_op* op = make_op("cube", 1, 1, cube_forward, cube_backward);
  tg_tensor *x = make_scalar(TG_FLOAT64, 2.0), *y, *g1, *g2, *g3;
  tg_tape *t1 = NULL, *t2 = NULL, *t3 = NULL;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &t3));
  CHECK_OK(tg_tape_watch(t3, x));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &t2));
  CHECK_OK(tg_tape_watch(t2, x));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &t1));
  CHECK_OK(tg_tape_watch(t1, x));
  y = call1(op, x);
  CHECK_OK(tg_tape_end(t1));
  g1 = grad1(t1, y, x); /* recorded on t2 and t3: the backward's muls */
  CHECK_OK(tg_tape_end(t2));
  g2 = grad1(t2, g1, x);
  CHECK_OK(tg_tape_end(t3));
  g3 = grad1(t3, g2, x);
  CHECK_NEAR(item_of(g1), 12.0, 0);
  CHECK_NEAR(item_of(g2), 12.0, 0);
  CHECK_NEAR(item_of(g3), 6.0, 0);
  tg_tensor_free(g3);
  tg_tensor_free(g2);
  tg_tensor_free(g1);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(t1);
  tg_tape_free(t2);
  tg_tape_free(t3);
  tg_custom_op_free(op);
}

/* A persistent tape differentiates its own gradient (BPT testHigherOrderGradient's shape):
 * x³ at 3: 27, then 27, then 18. */
static void test_persistent_own_gradient(void) {
  tg_custom_op* op = make_op("cube", 1, 1, cube_forward, cube_backward);
  tg_tensor *x = make_scalar(TG_FLOAT64, 3.0), *y, *g1, *g2;
  tg_tape* tape = NULL;
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  y = call1(op, x);
  g1 = grad1(tape, y, x);
  g2 = grad1(tape, g1, x);
  CHECK_NEAR(item_of(y), 27.0, 0);
  CHECK_NEAR(item_of(g1), 27.0, 0);
  CHECK_NEAR(item_of(g2), 18.0, 0);
  tg_tensor_free(g2);
  tg_tensor_free(g1);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(tape);
  tg_custom_op_free(op);
}

/* jacobian of cube at x = [1, 2]: diag(3x²) = [[3, 0], [0, 12]]; the Hessian of sum(x³) as
 * the jacobian of its gradient: diag(6x) = [[6, 0], [0, 12]]. */
static void test_jacobians(void) {
  const int64_t s2[] = {2}, s22[] = {2, 2};
  tg_custom_op* op = make_op("cube", 1, 1, cube_forward, cube_backward);
  tg_tensor *x = make_tensor(TG_FLOAT64, s2, 1, ((const double[]){1, 2})), *y, *j = NULL, *g, *h = NULL;
  tg_tape *outer = NULL, *inner = NULL;
  const void* sources[1];
  sources[0] = x;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &outer));
  CHECK_OK(tg_tape_watch(outer, x));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &inner));
  CHECK_OK(tg_tape_watch(inner, x));
  y = call1(op, x);
  CHECK_OK(tg_tape_jacobian(inner, y, sources, 1, TG_UNCONNECTED_NONE, &j));
  CHECK_TENSOR(j, TG_FLOAT64, s22, 2, ((const double[]){3, 0, 0, 12}), 0);
  tg_tensor_free(j);
  tg_tensor_free(y);
  tg_tape_free(inner);
  /* the Hessian */
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &inner));
  CHECK_OK(tg_tape_watch(inner, x));
  y = call1(op, x);
  g = grad1(inner, y, x);
  CHECK_OK(tg_tape_end(outer));
  CHECK_OK(tg_tape_jacobian(outer, g, sources, 1, TG_UNCONNECTED_NONE, &h));
  CHECK_TENSOR(h, TG_FLOAT64, s22, 2, ((const double[]){6, 0, 0, 12}), 0);
  tg_tensor_free(h);
  tg_tensor_free(g);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(inner);
  tg_tape_free(outer);
  tg_custom_op_free(op);
}

/* batch_jacobian of cube at x = [[1, 2], [3, 4]]: per row diag(3x²):
 * [[[3, 0], [0, 12]], [[27, 0], [0, 48]]]. */
static void test_batch_jacobian(void) {
  const int64_t s22[] = {2, 2}, s222[] = {2, 2, 2};
  tg_custom_op* op = make_op("cube", 1, 1, cube_forward, cube_backward);
  tg_tensor *x = make_tensor(TG_FLOAT32, s22, 2, ((const double[]){1, 2, 3, 4})), *y, *j = NULL;
  tg_tape* tape = NULL;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  y = call1(op, x);
  CHECK_OK(tg_tape_batch_jacobian(tape, y, x, TG_UNCONNECTED_NONE, &j));
  CHECK_TENSOR(j, TG_FLOAT32, s222, 3, ((const double[]){3, 0, 0, 12, 27, 0, 0, 48}), 0);
  tg_tensor_free(j);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(tape);
  tg_custom_op_free(op);
}

/* sincos at x = 0.5: only sin reached by the target -> cos gets zeros: d = cos 0.5; both:
 * d(sin + cos) = cos 0.5 - sin 0.5; each output is watched: d cos / d cos = 1. */
static void test_two_outputs(void) {
  tg_custom_op* op = make_op("sincos", 1, 2, sincos_forward, sincos_backward);
  tg_tensor *x = make_scalar(TG_FLOAT64, 0.5), *out[2] = {NULL, NULL}, *g;
  tg_tape* tape = NULL;
  size_t n = 0;
  const void* targets[2];
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_custom_op_call(op, &x, 1, out, 2, &n));
  CHECK_OK(tg_tape_end(tape));
  CHECK(n == 2);
  CHECK_NEAR(item_of(out[0]), sin(0.5), 1e-15);
  CHECK_NEAR(item_of(out[1]), cos(0.5), 1e-15);
  g = grad1(tape, out[0], x);
  CHECK_NEAR(item_of(g), cos(0.5), 1e-15);
  tg_tensor_free(g);
  targets[0] = out[0];
  targets[1] = out[1];
  {
    const void* source = x;
    CHECK_OK(tg_tape_gradient(tape, targets, 2, &source, 1, &g));
  }
  CHECK_NEAR(item_of(g), cos(0.5) - sin(0.5), 1e-15);
  tg_tensor_free(g);
  g = grad1(tape, out[1], out[1]);
  CHECK_NEAR(item_of(g), 1.0, 0);
  tg_tensor_free(g);
  tg_tensor_free(out[0]);
  tg_tensor_free(out[1]);
  tg_tensor_free(x);
  tg_tape_free(tape);
  tg_custom_op_free(op);
}

/* mul2(a, b) at (2, 3) with only a watched and asked for: d/da = b = 3 (the backward's gradient
 * for b is not wanted and is dropped). With both: (3, 2). */
static void test_two_inputs(void) {
  int backward_calls = 0;
  tg_custom_op* op = NULL;
  tg_tensor *a = make_scalar(TG_FLOAT32, 2.0), *b = make_scalar(TG_FLOAT32, 3.0), *in[2], *z = NULL;
  tg_tensor* g[2] = {NULL, NULL};
  tg_tape* tape = NULL;
  const void* sources[2];
  in[0] = a;
  in[1] = b;
  sources[0] = a;
  sources[1] = b;
  CHECK_OK(tg_custom_op_create("mul2", 2, 1, TG_CUSTOM_OP_DEFAULT, mul2_forward, mul2_backward, &backward_calls,
                               NULL, &op));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, a));
  CHECK_OK(tg_custom_op_call(op, in, 2, &z, 1, NULL));
  CHECK_OK(tg_tape_gradient(tape, (const void* const*)&z, 1, sources, 1, g));
  CHECK_NEAR(item_of(g[0]), 3.0, 0);
  tg_tensor_free(g[0]);
  tg_tensor_free(z);
  tg_tape_free(tape);
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, a));
  CHECK_OK(tg_tape_watch(tape, b));
  CHECK_OK(tg_custom_op_call(op, in, 2, &z, 1, NULL));
  CHECK_OK(tg_tape_gradient(tape, (const void* const*)&z, 1, sources, 2, g));
  CHECK_NEAR(item_of(g[0]), 3.0, 0);
  CHECK_NEAR(item_of(g[1]), 2.0, 0);
  CHECK(backward_calls == 2);
  tg_tensor_free(g[0]);
  tg_tensor_free(g[1]);
  tg_tensor_free(z);
  tg_tape_free(tape);
  tg_tensor_free(a);
  tg_tensor_free(b);
  tg_custom_op_free(op);
}

/* An op that is not differentiable (backward NULL): the gradient through it is NULL, and
 * with TG_UNCONNECTED_ZERO zeros. */
static void test_not_differentiable(void) {
  tg_custom_op* op = make_op("frozen", 1, 1, identity_forward, NULL);
  tg_tensor *x = make_scalar(TG_FLOAT32, 2.0), *y, *g = (tg_tensor*)&g;
  tg_tape* tape = NULL;
  const void *target, *source = x;
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  y = call1(op, x);
  target = y;
  CHECK_OK(tg_tape_gradient(tape, &target, 1, &source, 1, &g));
  CHECK(g == NULL);
  CHECK_OK(tg_tape_gradient_ex(tape, &target, 1, &source, 1, NULL, TG_UNCONNECTED_ZERO, &g));
  CHECK_NEAR(item_of(g), 0.0, 0);
  tg_tensor_free(g);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(tape);
  tg_custom_op_free(op);
}

/* Any number of inputs and outputs: the forward returns the running sums of its inputs
 * (as many as there are inputs) into the room given. */
static tg_status running_sums_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                      tg_tensor** outputs, size_t num_outputs, void* user_data) {
  size_t i;
  tg_status s;
  (void)call, (void)user_data;
  if (num_inputs == 0 || num_inputs > num_outputs) {
    tg_set_error_message("running_sums: needs 1 to num_outputs inputs");
    return TG_INVALID_ARGUMENT;
  }
  if ((s = tg_identity(inputs[0], &outputs[0])) != TG_OK) return s;
  for (i = 1; i < num_inputs; ++i)
    if ((s = tg_add(outputs[i - 1], inputs[i], &outputs[i])) != TG_OK) return s;
  return TG_OK;
}

/* d(sum of the outputs)/d input i = the number of outputs that include it. */
static tg_status running_sums_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                       tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                       tg_tensor** grads, size_t num_grads, void* user_data) {
  size_t i;
  tg_status s = TG_OK;
  tg_tensor* acc = NULL;
  (void)call, (void)inputs, (void)outputs, (void)num_outputs, (void)num_grads, (void)user_data;
  for (i = num_inputs; i-- > 0 && s == TG_OK;) {
    tg_tensor* next = NULL;
    s = acc ? tg_add(acc, output_grads[i], &next) : tg_identity(output_grads[i], &next);
    tg_tensor_free(acc);
    acc = next;
    if (s == TG_OK) s = tg_identity(acc, &grads[i]);
  }
  tg_tensor_free(acc);
  return s;
}

/* running_sums(1, 2, 3) with room for 4: (1, 3, 6), slot 3 NULL; d sum / d inputs = (3, 2, 1). */
static void test_any_count(void) {
  tg_custom_op* op = make_op("running_sums", TG_CUSTOM_ANY, TG_CUSTOM_ANY, running_sums_forward,
                             running_sums_backward);
  tg_tensor *in[3], *out[4] = {NULL, NULL, NULL, (tg_tensor*)&op}, *g[3] = {NULL, NULL, NULL};
  tg_tape* tape = NULL;
  size_t n = 0, i;
  const void *targets[3], *sources[3];
  for (i = 0; i < 3; ++i) in[i] = make_scalar(TG_FLOAT64, (double)(i + 1));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  for (i = 0; i < 3; ++i) CHECK_OK(tg_tape_watch(tape, in[i]));
  CHECK_OK(tg_custom_op_call(op, in, 3, out, 4, &n));
  CHECK(n == 3);
  CHECK(out[3] == NULL);
  CHECK_NEAR(item_of(out[0]), 1.0, 0);
  CHECK_NEAR(item_of(out[1]), 3.0, 0);
  CHECK_NEAR(item_of(out[2]), 6.0, 0);
  for (i = 0; i < 3; ++i) {
    targets[i] = out[i];
    sources[i] = in[i];
  }
  CHECK_OK(tg_tape_gradient(tape, targets, 3, sources, 3, g));
  CHECK_NEAR(item_of(g[0]), 3.0, 0);
  CHECK_NEAR(item_of(g[1]), 2.0, 0);
  CHECK_NEAR(item_of(g[2]), 1.0, 0);
  /* The forward's own error, with its message. */
  CHECK_ERR(tg_custom_op_call(op, in, 3, out, 2, &n), TG_INVALID_ARGUMENT, "[tg_custom_op_call]",
            "custom op 'running_sums': the forward callback returned TG_INVALID_ARGUMENT",
            "running_sums: needs 1 to num_outputs inputs");
  for (i = 0; i < 3; ++i) {
    tg_tensor_free(g[i]);
    tg_tensor_free(out[i]);
    tg_tensor_free(in[i]);
  }
  tg_tape_free(tape);
  tg_custom_op_free(op);
}

/* x·w where the forward reads the variable w itself (TF's custom_gradient with variables). */
static tg_status scale_by_w_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                    tg_tensor** outputs, size_t num_outputs, void* user_data) {
  tg_tensor* w = NULL;
  tg_status s;
  (void)call, (void)num_inputs, (void)num_outputs;
  if ((s = tg_variable_read((tg_variable*)user_data, &w)) != TG_OK) return s;
  s = tg_mul(inputs[0], w, &outputs[0]);
  tg_tensor_free(w);
  return s;
}

static tg_status scale_by_w_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                     tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                     tg_tensor** grads, size_t num_grads, void* user_data) {
  tg_variable* read = NULL;
  tg_tensor* w = NULL;
  size_t count = 0;
  tg_status s;
  (void)inputs, (void)num_inputs, (void)outputs, (void)num_outputs, (void)user_data;
  if ((s = tg_custom_call_variables(call, &read, 1, &count)) != TG_OK) return s;
  if (count != 1 || num_grads != 2) {
    tg_variable_free(read);
    tg_set_error_message("scale_by_w: expected one variable");
    return TG_INTERNAL;
  }
  s = tg_variable_value(read, &w);
  if (s == TG_OK) s = tg_mul(output_grads[0], w, &grads[0]);      /* d/dx = w·dy */
  if (s == TG_OK) s = tg_mul(output_grads[0], inputs[0], &grads[1]); /* d/dw = x·dy */
  tg_tensor_free(w);
  tg_variable_free(read);
  return s;
}

/* x = 2, w = 5 (trainable): y = 10; the tape watches w as read, d/dx = 5, d/dw = 2. Without
 * TG_CUSTOM_OP_VARIABLES the read is an error that names the variable. */
static void test_variables(void) {
  tg_custom_op *op = NULL, *strict = NULL;
  tg_tensor *x = make_scalar(TG_FLOAT32, 2.0), *five = make_scalar(TG_FLOAT32, 5.0), *y = NULL;
  tg_tensor* g[2] = {NULL, NULL};
  tg_variable *w = NULL, *watched[2] = {NULL, NULL};
  tg_tape* tape = NULL;
  size_t count = 0;
  const void* sources[2];
  CHECK_OK(tg_variable_create("w", five, 1, &w));
  sources[0] = x;
  sources[1] = w;
  CHECK_OK(tg_custom_op_create("scale_by_w", 1, 1, TG_CUSTOM_OP_VARIABLES, scale_by_w_forward,
                               scale_by_w_backward, w, NULL, &op));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_custom_op_call(op, &x, 1, &y, 1, NULL));
  CHECK_NEAR(item_of(y), 10.0, 0);
  CHECK_OK(tg_tape_watched_variables(tape, watched, 2, &count));
  CHECK(count == 1);
  tg_variable_free(watched[0]);
  CHECK_OK(tg_tape_gradient(tape, (const void* const*)&y, 1, sources, 2, g));
  CHECK_NEAR(item_of(g[0]), 5.0, 0);
  CHECK_NEAR(item_of(g[1]), 2.0, 0);
  tg_tensor_free(g[0]);
  tg_tensor_free(g[1]);
  tg_tensor_free(y);
  tg_tape_free(tape);

  CHECK_OK(tg_custom_op_create("strict", 1, 1, TG_CUSTOM_OP_DEFAULT, scale_by_w_forward, scale_by_w_backward, w,
                               NULL, &strict));
  y = (tg_tensor*)&y;
  CHECK_ERR(tg_custom_op_call(strict, &x, 1, &y, 1, NULL), TG_INVALID_ARGUMENT, "[tg_custom_op_call]",
            "custom op 'strict'", "trainable variable 'w'");
  CHECK(y == (tg_tensor*)&y);
  tg_custom_op_free(strict);
  tg_custom_op_free(op);
  tg_variable_free(w);
  tg_tensor_free(five);
  tg_tensor_free(x);
}

/* tf.custom_gradient's closure: the forward keeps an intermediate (x², made with tapegrad ops)
 * in the call's state; the backward reads it: d x³ = 3·x²·dy. */
typedef struct {
  tg_tensor* x2;
  int* destroyed;
} square_state;

static void destroy_square_state(void* data) {
  square_state* st = (square_state*)data;
  ++*st->destroyed;
  tg_tensor_free(st->x2);
  free(st);
}

static tg_status cube_state_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                    tg_tensor** outputs, size_t num_outputs, void* user_data) {
  square_state* st = (square_state*)calloc(1, sizeof *st);
  tg_status s;
  (void)num_inputs, (void)num_outputs;
  if (!st) return TG_OUT_OF_MEMORY;
  st->destroyed = (int*)user_data;
  s = tg_mul(inputs[0], inputs[0], &st->x2);
  if (s != TG_OK) {
    free(st);
    return s;
  }
  if ((s = tg_custom_call_set_state(call, st, destroy_square_state)) != TG_OK) return s;
  return tg_mul(st->x2, inputs[0], &outputs[0]);
}

static tg_status cube_state_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                     tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                     tg_tensor** grads, size_t num_grads, void* user_data) {
  void* data = NULL;
  tg_tensor* three = NULL;
  tg_status s;
  (void)num_inputs, (void)outputs, (void)num_outputs, (void)num_grads, (void)user_data;
  if ((s = tg_custom_call_state(call, &data)) != TG_OK) return s;
  if ((s = scalar_like(inputs[0], 3.0, &three)) != TG_OK) return s;
  s = mul3(three, ((square_state*)data)->x2, output_grads[0], &grads[0]);
  tg_tensor_free(three);
  return s;
}

/* x = 2: 8 and 12. The state is destroyed once: with the non-persistent tape's gradient call,
 * or at once when no tape recorded the call. */
static void test_call_state(void) {
  int destroyed = 0;
  tg_custom_op* op = NULL;
  tg_tensor *x = make_scalar(TG_FLOAT64, 2.0), *y, *g;
  tg_tape* tape = NULL;
  CHECK_OK(tg_custom_op_create("cube_state", 1, 1, TG_CUSTOM_OP_DEFAULT, cube_state_forward, cube_state_backward,
                               &destroyed, NULL, &op));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  y = call1(op, x);
  CHECK_NEAR(item_of(y), 8.0, 0);
  CHECK(destroyed == 0);
  g = grad1(tape, y, x);
  CHECK_NEAR(item_of(g), 12.0, 0);
  CHECK(destroyed == 1);
  tg_tensor_free(g);
  tg_tensor_free(y);
  y = call1(op, x); /* no tape */
  CHECK(destroyed == 2);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(tape);
  tg_custom_op_free(op);
  CHECK(destroyed == 2);
}

/* The op's user_data destructor runs once, when neither the caller's handle nor a tape record
 * of a call remains: after tg_custom_op_free and the persistent tape's free. */
static void test_user_data_lifetime(void) {
  int destroyed = 0;
  tg_custom_op* op = NULL;
  tg_tensor *x = make_scalar(TG_FLOAT32, 2.0), *y, *g;
  tg_tape *tape = NULL, *used = NULL;
  CHECK_OK(tg_custom_op_create("cube", 1, 1, TG_CUSTOM_OP_DEFAULT, cube_forward, cube_backward, &destroyed,
                               count_destroy, &op));
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &used));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_tape_watch(used, x));
  y = call1(op, x);
  CHECK_OK(tg_tape_end(tape));
  CHECK_OK(tg_custom_op_free(op));
  CHECK(destroyed == 0);
  g = grad1(used, y, x); /* the op runs after its handle is gone */
  CHECK_NEAR(item_of(g), 12.0, 0);
  tg_tensor_free(g);
  CHECK(destroyed == 0); /* the persistent tape still holds a record */
  g = grad1(tape, y, x);
  CHECK_NEAR(item_of(g), 12.0, 0);
  tg_tensor_free(g);
  CHECK_OK(tg_tape_free(tape));
  CHECK(destroyed == 1);
  CHECK_OK(tg_tape_free(used));
  CHECK(destroyed == 1);
  tg_tensor_free(y);
  tg_tensor_free(x);

  /* Freed with no call made: at once. A failed create does not call it. */
  CHECK_OK(tg_custom_op_create("cube", 1, 1, TG_CUSTOM_OP_DEFAULT, cube_forward, cube_backward, &destroyed,
                               count_destroy, &op));
  CHECK_OK(tg_custom_op_free(op));
  CHECK(destroyed == 2);
  CHECK_ERR(tg_custom_op_create("cube", 1, 0, TG_CUSTOM_OP_DEFAULT, cube_forward, cube_backward, &destroyed,
                                count_destroy, &op),
            TG_INVALID_ARGUMENT, "[tg_custom_op_create]", "num_outputs is 0");
  CHECK(destroyed == 2);
  /* tg_tape_reset drops the record, and the op with it. */
  CHECK_OK(tg_custom_op_create("cube", 1, 1, TG_CUSTOM_OP_DEFAULT, cube_forward, cube_backward, &destroyed,
                               count_destroy, &op));
  x = make_scalar(TG_FLOAT32, 2.0);
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  y = call1(op, x);
  CHECK_OK(tg_custom_op_free(op));
  CHECK(destroyed == 2);
  CHECK_OK(tg_tape_reset(tape));
  CHECK(destroyed == 3);
  tg_tape_free(tape);
  tg_tensor_free(y);
  tg_tensor_free(x);
  CHECK_OK(tg_custom_op_free(NULL));
}

/* One op used by two threads at once, each with its own tapes: x³ at x = thread's value. */
typedef struct {
  tg_custom_op* op;
  double x;
  int wrong; /* results that were not (x³, 3x²), or failed calls */
} cube_worker;

static void* cube_many_times(void* arg) {
  cube_worker* w = (cube_worker*)arg;
  int i;
  for (i = 0; i < 200; ++i) {
    tg_tensor *x = NULL, *y = NULL, *g = NULL;
    tg_tape* tape = NULL;
    const void *target, *source;
    double vy = 0, vg = 0;
    if (tg_tensor_scalar(TG_FLOAT64, w->x, &x) != TG_OK || tg_tape_begin(TG_TAPE_DEFAULT, &tape) != TG_OK ||
        tg_tape_watch(tape, x) != TG_OK || tg_custom_op_call(w->op, &x, 1, &y, 1, NULL) != TG_OK) {
      ++w->wrong;
    } else {
      target = y;
      source = x;
      if (tg_tape_gradient(tape, &target, 1, &source, 1, &g) != TG_OK || tg_tensor_item(y, &vy) != TG_OK ||
          tg_tensor_item(g, &vg) != TG_OK || vy != w->x * w->x * w->x || vg != 3 * w->x * w->x)
        ++w->wrong;
    }
    tg_tensor_free(g);
    tg_tensor_free(y);
    tg_tensor_free(x);
    tg_tape_free(tape);
  }
  return NULL;
}

static void test_two_threads(void) {
  int destroyed = 0;
  tg_custom_op* op = NULL;
  cube_worker a, b;
  pthread_t ta, tb;
  CHECK_OK(tg_custom_op_create("cube", 1, 1, TG_CUSTOM_OP_DEFAULT, cube_forward, cube_backward, &destroyed,
                               count_destroy, &op));
  a.op = b.op = op;
  a.x = 2.0;
  b.x = -3.0;
  a.wrong = b.wrong = 0;
  CHECK(pthread_create(&ta, NULL, cube_many_times, &a) == 0);
  CHECK(pthread_create(&tb, NULL, cube_many_times, &b) == 0);
  CHECK(pthread_join(ta, NULL) == 0);
  CHECK(pthread_join(tb, NULL) == 0);
  CHECK(a.wrong == 0 && b.wrong == 0);
  CHECK(destroyed == 0);
  CHECK_OK(tg_custom_op_free(op));
  CHECK(destroyed == 1);
}

int main(void) {
  test_forward_and_gradient();
  test_straight_through();
  test_clipped_gradient();
  test_higher_order();
  test_persistent_own_gradient();
  test_jacobians();
  test_batch_jacobian();
  test_two_outputs();
  test_two_inputs();
  test_not_differentiable();
  test_any_count();
  test_variables();
  test_call_state();
  test_user_data_lifetime();
  test_two_threads();
  return check_summary();
}
