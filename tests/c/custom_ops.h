/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custom_ops.h — custom ops shared by the C tests of tg_custom_op_* (test_custom_op*.c).
 * Each callback returns the status of the first tapegrad call that fails.
 *
 *   cube       y = x³; backward 3·x²·dy with tapegrad ops (differentiable again)
 *   ste_round  y = round(x); backward dy: the straight-through estimator
 *   clip_grad  y = x; backward clip(dy, -1, 1)
 *   sincos     (sin x, cos x); backward cos x·d0 − sin x·d1
 *   mul2       a·b; backward (b·dz, a·dz)
 */
#ifndef TAPEGRAD_TESTS_C_CUSTOM_OPS_H
#define TAPEGRAD_TESTS_C_CUSTOM_OPS_H

#include "helpers.h"

/* A scalar of x's dtype. */
static inline tg_status scalar_like(const tg_tensor* x, double value, tg_tensor** out) {
  tg_dtype dtype;
  tg_status s = tg_tensor_dtype(x, &dtype);
  return s != TG_OK ? s : tg_tensor_scalar(dtype, value, out);
}

/* *out = a · b · c (c may be NULL). */
static inline tg_status mul3(const tg_tensor* a, const tg_tensor* b, const tg_tensor* c, tg_tensor** out) {
  tg_tensor* ab = NULL;
  tg_status s = tg_mul(a, b, c ? &ab : out);
  if (s != TG_OK || !c) return s;
  s = tg_mul(ab, c, out);
  tg_tensor_free(ab);
  return s;
}

static inline tg_status cube_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                     tg_tensor** outputs, size_t num_outputs, void* user_data) {
  (void)call, (void)num_inputs, (void)num_outputs, (void)user_data;
  return mul3(inputs[0], inputs[0], inputs[0], &outputs[0]);
}

static inline tg_status cube_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                      tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                      tg_tensor** grads, size_t num_grads, void* user_data) {
  tg_tensor *three = NULL, *x2 = NULL;
  tg_status s;
  (void)call, (void)num_inputs, (void)outputs, (void)num_outputs, (void)num_grads, (void)user_data;
  s = scalar_like(inputs[0], 3.0, &three);
  if (s == TG_OK) s = tg_mul(inputs[0], inputs[0], &x2);
  if (s == TG_OK) s = mul3(three, x2, output_grads[0], &grads[0]);
  tg_tensor_free(three);
  tg_tensor_free(x2);
  return s;
}

static inline tg_status ste_round_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                          tg_tensor** outputs, size_t num_outputs, void* user_data) {
  (void)call, (void)num_inputs, (void)num_outputs, (void)user_data;
  return tg_round(inputs[0], &outputs[0]);
}

/* The incoming gradient as it is (used by ste_round). */
static inline tg_status pass_through_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                              tg_tensor* const* outputs, size_t num_outputs,
                                              tg_tensor* const* output_grads, tg_tensor** grads, size_t num_grads,
                                              void* user_data) {
  (void)call, (void)inputs, (void)num_inputs, (void)outputs, (void)num_outputs, (void)num_grads, (void)user_data;
  return tg_identity(output_grads[0], &grads[0]);
}

static inline tg_status identity_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                         tg_tensor** outputs, size_t num_outputs, void* user_data) {
  (void)call, (void)num_inputs, (void)num_outputs, (void)user_data;
  return tg_identity(inputs[0], &outputs[0]);
}

static inline tg_status clip_grad_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                           tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                           tg_tensor** grads, size_t num_grads, void* user_data) {
  tg_tensor *lo = NULL, *hi = NULL;
  tg_status s;
  (void)call, (void)inputs, (void)num_inputs, (void)outputs, (void)num_outputs, (void)num_grads, (void)user_data;
  s = scalar_like(output_grads[0], -1.0, &lo);
  if (s == TG_OK) s = scalar_like(output_grads[0], 1.0, &hi);
  if (s == TG_OK) s = tg_clip_by_value(output_grads[0], lo, hi, &grads[0]);
  tg_tensor_free(lo);
  tg_tensor_free(hi);
  return s;
}

static inline tg_status sincos_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                       tg_tensor** outputs, size_t num_outputs, void* user_data) {
  tg_status s;
  (void)call, (void)num_inputs, (void)num_outputs, (void)user_data;
  s = tg_sin(inputs[0], &outputs[0]);
  return s != TG_OK ? s : tg_cos(inputs[0], &outputs[1]);
}

static inline tg_status sincos_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                        tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                        tg_tensor** grads, size_t num_grads, void* user_data) {
  tg_tensor *a = NULL, *b = NULL;
  tg_status s;
  (void)call, (void)inputs, (void)num_inputs, (void)num_outputs, (void)num_grads, (void)user_data;
  /* d sin = cos x = outputs[1]; d cos = -sin x = -outputs[0] */
  s = tg_mul(outputs[1], output_grads[0], &a);
  if (s == TG_OK) s = tg_mul(outputs[0], output_grads[1], &b);
  if (s == TG_OK) s = tg_sub(a, b, &grads[0]);
  tg_tensor_free(a);
  tg_tensor_free(b);
  return s;
}

static inline tg_status mul2_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                     tg_tensor** outputs, size_t num_outputs, void* user_data) {
  (void)call, (void)num_inputs, (void)num_outputs, (void)user_data;
  return tg_mul(inputs[0], inputs[1], &outputs[0]);
}

/* Counts its calls in *(int*)user_data, then answers as mul2's gradient. */
static inline tg_status mul2_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                      tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                      tg_tensor** grads, size_t num_grads, void* user_data) {
  tg_status s;
  (void)call, (void)num_inputs, (void)outputs, (void)num_outputs, (void)num_grads;
  if (user_data) ++*(int*)user_data;
  s = tg_mul(inputs[1], output_grads[0], &grads[0]);
  return s != TG_OK ? s : tg_mul(inputs[0], output_grads[0], &grads[1]);
}

/* A destroy function that counts its calls in *(int*)data. */
static inline void count_destroy(void* data) { ++*(int*)data; }

static inline tg_custom_op* make_op_at(const char* file, int line, const char* name, size_t num_inputs,
                                       size_t num_outputs, tg_custom_forward_fn forward,
                                       tg_custom_backward_fn backward) {
  tg_custom_op* op = NULL;
  check_status(tg_custom_op_create(name, num_inputs, num_outputs, TG_CUSTOM_OP_DEFAULT, forward, backward, NULL,
                                   NULL, &op),
               TG_OK, file, line, "tg_custom_op_create (make_op)");
  return op;
}
#define make_op(name, num_inputs, num_outputs, forward, backward) \
  make_op_at(__FILE__, __LINE__, (name), (num_inputs), (num_outputs), (forward), (backward))

/* The op's one output for one input (NULL on failure, with a check failure). */
static inline tg_tensor* call1_at(const char* file, int line, tg_custom_op* op, tg_tensor* x) {
  tg_tensor* y = NULL;
  check_status(tg_custom_op_call(op, &x, 1, &y, 1, NULL), TG_OK, file, line, "tg_custom_op_call (call1)");
  return y;
}
#define call1(op, x) call1_at(__FILE__, __LINE__, (op), (x))

/* d target / d source on `tape` (NULL if unconnected or on failure). */
static inline tg_tensor* grad1_at(const char* file, int line, tg_tape* tape, const void* target,
                                  const void* source) {
  tg_tensor* g = NULL;
  check_status(tg_tape_gradient(tape, &target, 1, &source, 1, &g), TG_OK, file, line, "tg_tape_gradient (grad1)");
  return g;
}
#define grad1(tape, target, source) grad1_at(__FILE__, __LINE__, (tape), (target), (source))

#endif
