/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of custom ops when things go wrong, and of callbacks that call back into the
 * library: a callback's status and message reported by the call that ran it (naming the op),
 * the tapes left usable, outputs and gradients of the wrong number, shape, dtype or handle,
 * bad arguments, the handles lent to callbacks, and re-entrant callbacks (ops, custom ops,
 * tapes and gradients inside forward and backward).
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "custom_ops.h"
#include "helpers.h"

/* Fails while *(int*)user_data > 0 (counting down), else behaves as identity_forward. */
static tg_status flaky_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                               tg_tensor** outputs, size_t num_outputs, void* user_data) {
  int* failures = (int*)user_data;
  if (*failures > 0) {
    --*failures;
    /* a written output is freed by the library even though the call fails */
    if (tg_identity(inputs[0], &outputs[0]) != TG_OK) return TG_INTERNAL;
    tg_set_error_message("flaky forward says no");
    return TG_INVALID_ARGUMENT;
  }
  return identity_forward(call, inputs, num_inputs, outputs, num_outputs, NULL);
}

static tg_status flaky_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                tg_tensor** grads, size_t num_grads, void* user_data) {
  int* failures = (int*)user_data;
  if (*failures > 0) {
    --*failures;
    tg_set_error_message("flaky backward says no");
    return TG_IO_ERROR;
  }
  return pass_through_backward(call, inputs, num_inputs, outputs, num_outputs, output_grads, grads, num_grads,
                               NULL);
}

/* A forward error is returned by tg_custom_op_call with the op's name and the callback's
 * message; nothing is written, and the tape records on: y = flaky(x) fails, then z = x·x
 * gives dz/dx = 6 at 3. */
static void test_forward_error(void) {
  int failures = 1;
  tg_custom_op* op = NULL;
  tg_tensor *x = make_scalar(TG_FLOAT32, 3.0), *y = (tg_tensor*)&failures, *z = NULL, *g;
  tg_tape* tape = NULL;
  CHECK_OK(tg_custom_op_create("flaky", 1, 1, TG_CUSTOM_OP_DEFAULT, flaky_forward, flaky_backward, &failures, NULL,
                               &op));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_ERR(tg_custom_op_call(op, &x, 1, &y, 1, NULL), TG_INVALID_ARGUMENT,
            "[tg_custom_op_call] custom op 'flaky': the forward callback returned TG_INVALID_ARGUMENT: "
            "flaky forward says no");
  CHECK(y == (tg_tensor*)&failures);
  CHECK_OK(tg_mul(x, x, &z));
  g = grad1(tape, z, x);
  CHECK_NEAR(item_of(g), 6.0, 0);
  tg_tensor_free(g);
  tg_tensor_free(z);
  tg_tensor_free(x);
  tg_tape_free(tape);
  tg_custom_op_free(op);
}

/* A backward error is returned by the gradient call; a persistent tape can try again, and
 * the second try gives d/dx of flaky(x)·2 = 2. A jacobian reports it the same way. */
static void test_backward_error(void) {
  int failures = 0;
  tg_custom_op* op = NULL;
  tg_tensor *x = make_scalar(TG_FLOAT64, 3.0), *two = make_scalar(TG_FLOAT64, 2.0), *y, *z = NULL, *g = NULL;
  tg_tape* tape = NULL;
  const void *target, *source = x;
  CHECK_OK(tg_custom_op_create("flaky", 1, 1, TG_CUSTOM_OP_DEFAULT, flaky_forward, flaky_backward, &failures, NULL,
                               &op));
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  y = call1(op, x);
  CHECK_OK(tg_mul(y, two, &z));
  CHECK_OK(tg_tape_end(tape));
  target = z;
  failures = 1;
  CHECK_ERR(tg_tape_gradient(tape, &target, 1, &source, 1, &g), TG_IO_ERROR,
            "[tg_tape_gradient] custom op 'flaky': the backward callback returned TG_IO_ERROR: "
            "flaky backward says no");
  CHECK(g == NULL);
  g = grad1(tape, z, x);
  CHECK_NEAR(item_of(g), 2.0, 0);
  tg_tensor_free(g);
  g = NULL;
  failures = 1;
  CHECK_ERR(tg_tape_jacobian(tape, z, &source, 1, TG_UNCONNECTED_NONE, &g), TG_IO_ERROR, "[tg_tape_jacobian]",
            "custom op 'flaky'", "flaky backward says no");
  CHECK(g == NULL);
  tg_tensor_free(z);
  tg_tensor_free(y);
  tg_tensor_free(two);
  tg_tensor_free(x);
  tg_tape_free(tape);
  tg_custom_op_free(op);
}

/* A backward that fails through a tapegrad call of its own leaves that call's message. */
static tg_status mismatched_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                     tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                     tg_tensor** grads, size_t num_grads, void* user_data) {
  (void)call, (void)num_inputs, (void)outputs, (void)num_outputs, (void)output_grads, (void)num_grads;
  return tg_matmul(inputs[0], (const tg_tensor*)user_data, 0, 0, &grads[0]);
}

static void test_message_of_a_failed_inner_call(void) {
  const int64_t s23[] = {2, 3};
  tg_custom_op* op = NULL;
  tg_tensor *x = make_tensor(TG_FLOAT32, s23, 2, ((const double[]){1, 2, 3, 4, 5, 6})), *y, *g = NULL;
  tg_tape* tape = NULL;
  const void *target, *source = x;
  CHECK_OK(tg_custom_op_create("mismatched", 1, 1, TG_CUSTOM_OP_DEFAULT, identity_forward, mismatched_backward, x,
                               NULL, &op));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  y = call1(op, x);
  target = y;
  CHECK_ERR(tg_tape_gradient(tape, &target, 1, &source, 1, &g), TG_INVALID_ARGUMENT,
            "[tg_tape_gradient] custom op 'mismatched': the backward callback returned TG_INVALID_ARGUMENT: "
            "[tg_matmul]",
            "(2,3)");
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(tape);
  tg_custom_op_free(op);
}

/* A callback returning a number that is no tg_status. */
static tg_status bogus_status_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                      tg_tensor** outputs, size_t num_outputs, void* user_data) {
  (void)call, (void)inputs, (void)num_inputs, (void)outputs, (void)num_outputs, (void)user_data;
  return (tg_status)42;
}

/* Writes nothing and says TG_OK. */
static tg_status empty_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                               tg_tensor** outputs, size_t num_outputs, void* user_data) {
  (void)call, (void)inputs, (void)num_inputs, (void)outputs, (void)num_outputs, (void)user_data;
  return TG_OK;
}

/* Writes user_data (a handle that is not a tensor) as its output. */
static tg_status foreign_handle_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                        tg_tensor** outputs, size_t num_outputs, void* user_data) {
  (void)call, (void)inputs, (void)num_inputs, (void)num_outputs;
  outputs[0] = (tg_tensor*)user_data;
  return TG_OK;
}

/* Writes user_data (not a tensor) and fails: its status is what is reported. */
static tg_status foreign_handle_then_fail_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                                  tg_tensor** outputs, size_t num_outputs, void* user_data) {
  foreign_handle_forward(call, inputs, num_inputs, outputs, num_outputs, user_data);
  return TG_IO_ERROR;
}

/* A gradient of the wrong shape (the input reshaped to one more axis) or dtype (float64). */
static tg_status wrong_shape_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                      tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                      tg_tensor** grads, size_t num_grads, void* user_data) {
  const int64_t shape[] = {1, 2};
  (void)call, (void)num_inputs, (void)outputs, (void)num_outputs, (void)output_grads, (void)num_grads,
      (void)user_data;
  return tg_reshape(inputs[0], shape, 2, &grads[0]);
}

static tg_status wrong_dtype_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                      tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                      tg_tensor** grads, size_t num_grads, void* user_data) {
  (void)call, (void)num_inputs, (void)outputs, (void)num_outputs, (void)output_grads, (void)num_grads,
      (void)user_data;
  return tg_cast(inputs[0], TG_FLOAT64, &grads[0]);
}

/* d/dx of `op`(x) at x = [1, 2] (float32, watched) is expected to fail with `status` and a
 * message containing `want`. */
static void check_gradient_fails(tg_custom_op* op, tg_status status, const char* want, const char* want2) {
  const int64_t s2[] = {2};
  tg_tensor *x = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){1, 2})), *y, *g = NULL;
  tg_tape* tape = NULL;
  const void *target, *source = x;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  y = call1(op, x);
  target = y;
  CHECK_ERR(tg_tape_gradient(tape, &target, 1, &source, 1, &g), status, "[tg_tape_gradient]", want, want2);
  CHECK(g == NULL);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(tape);
}

static void test_bad_callback_results(void) {
  tg_custom_op* op;
  tg_tensor *x = make_scalar(TG_FLOAT32, 1.0), *y = NULL;
  tg_tape* not_a_tensor = NULL;
  op = make_op("bogus", 1, 1, bogus_status_forward, NULL);
  CHECK_ERR(tg_custom_op_call(op, &x, 1, &y, 1, NULL), TG_INVALID_STATE,
            "custom op 'bogus': the forward callback returned 42, which is not a tg_status");
  tg_custom_op_free(op);
  op = make_op("empty", 1, 1, empty_forward, NULL);
  CHECK_ERR(tg_custom_op_call(op, &x, 1, &y, 1, NULL), TG_INVALID_ARGUMENT, "custom op 'empty'",
            "left output 0 empty");
  tg_custom_op_free(op);
  op = make_op("empty_any", 1, TG_CUSTOM_ANY, empty_forward, NULL);
  CHECK_ERR(tg_custom_op_call(op, &x, 1, &y, 1, NULL), TG_INVALID_ARGUMENT, "custom op 'empty_any'",
            "returned 0 outputs");
  tg_custom_op_free(op);
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &not_a_tensor));
  CHECK_OK(tg_custom_op_create("foreign", 1, 1, TG_CUSTOM_OP_DEFAULT, foreign_handle_forward, NULL, not_a_tensor,
                               NULL, &op));
  CHECK_ERR(tg_custom_op_call(op, &x, 1, &y, 1, NULL), TG_INVALID_HANDLE, "custom op 'foreign': outputs[0]",
            "not a live tensor handle");
  tg_custom_op_free(op);
  CHECK_OK(tg_custom_op_create("foreign_failing", 1, 1, TG_CUSTOM_OP_DEFAULT, foreign_handle_then_fail_forward, NULL,
                               not_a_tensor, NULL, &op));
  CHECK_ERR(tg_custom_op_call(op, &x, 1, &y, 1, NULL), TG_IO_ERROR,
            "custom op 'foreign_failing': the forward callback returned TG_IO_ERROR");
  tg_custom_op_free(op);
  CHECK_OK(tg_tape_free(not_a_tensor));
  CHECK(y == NULL);

  op = make_op("wrong_shape", 1, 1, identity_forward, wrong_shape_backward);
  check_gradient_fails(op, TG_INVALID_ARGUMENT, "custom op 'wrong_shape': the gradient for input 0 is float32 (1,2)",
                       "but input 0 is float32 (2)");
  tg_custom_op_free(op);
  op = make_op("wrong_dtype", 1, 1, identity_forward, wrong_dtype_backward);
  check_gradient_fails(op, TG_INVALID_ARGUMENT, "custom op 'wrong_dtype': the gradient for input 0 is float64 (2)",
                       "but input 0 is float32 (2)");
  tg_custom_op_free(op);
  tg_tensor_free(x);
}

static void test_bad_arguments(void) {
  tg_custom_op *op = NULL, *cube = make_op("cube", 1, 1, cube_forward, cube_backward);
  tg_tensor *x = make_scalar(TG_FLOAT32, 1.0), *in[2], *out[2] = {NULL, NULL};
  tg_tape* tape = NULL;
  in[0] = x;
  in[1] = x;
  CHECK_ERR(tg_custom_op_create(NULL, 1, 1, 0, cube_forward, NULL, NULL, NULL, &op), TG_INVALID_ARGUMENT,
            "name is NULL");
  CHECK_ERR(tg_custom_op_create("", 1, 1, 0, cube_forward, NULL, NULL, NULL, &op), TG_INVALID_ARGUMENT,
            "name is empty");
  CHECK_ERR(tg_custom_op_create("f", 1, 1, 0, NULL, NULL, NULL, NULL, &op), TG_INVALID_ARGUMENT,
            "custom op 'f': forward is NULL");
  CHECK_ERR(tg_custom_op_create("f", 1, 1, 6u, cube_forward, NULL, NULL, NULL, &op), TG_INVALID_ARGUMENT,
            "unknown flag bits 0x6");
  CHECK_ERR(tg_custom_op_create("f", 1, 1, 0, cube_forward, NULL, NULL, NULL, NULL), TG_INVALID_ARGUMENT,
            "out (output pointer) is NULL");
  CHECK(op == NULL);
  CHECK_ERR(tg_custom_op_call(cube, in, 2, out, 1, NULL), TG_INVALID_ARGUMENT, "custom op 'cube' takes 1 inputs, got 2");
  CHECK_ERR(tg_custom_op_call(cube, in, 1, out, 2, NULL), TG_INVALID_ARGUMENT,
            "custom op 'cube' has 1 outputs, but the call takes 2");
  CHECK_ERR(tg_custom_op_call(cube, NULL, 1, out, 1, NULL), TG_INVALID_ARGUMENT, "inputs is NULL but num_inputs is 1");
  CHECK_ERR(tg_custom_op_call(cube, in, 1, NULL, 1, NULL), TG_INVALID_ARGUMENT, "outputs is NULL but capacity is 1");
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_ERR(tg_custom_op_call(cube, (tg_tensor* const*)&tape, 1, out, 1, NULL), TG_INVALID_HANDLE,
            "inputs[0] is a tg_tape, expected a tg_tensor");
  CHECK_ERR(tg_custom_op_call((tg_custom_op*)x, in, 1, out, 1, NULL), TG_INVALID_HANDLE,
            "op is a tg_tensor, expected a tg_custom_op");
  CHECK_ERR(tg_custom_op_free((tg_custom_op*)tape), TG_INVALID_HANDLE, "[tg_custom_op_free]");
  CHECK_ERR(tg_custom_call_state(NULL, NULL), TG_INVALID_HANDLE, "call is NULL");
  CHECK(out[0] == NULL && out[1] == NULL);
  CHECK_OK(tg_set_error_message("a message of my own"));
  CHECK(strcmp(tg_last_error_message(), "a message of my own") == 0);
  CHECK_OK(tg_set_error_message(NULL));
  CHECK(strcmp(tg_last_error_message(), "") == 0);
  tg_tape_free(tape);
  tg_tensor_free(x);
  tg_custom_op_free(cube);
}

/* What the callbacks of `probe` found out about their handles. */
typedef struct {
  tg_custom_call* kept_call;
  tg_tensor* kept_input;
  tg_status set_state_in_backward;
  tg_status variables_in_forward;
  tg_status free_tape_in_backward;
  tg_status reset_tape_in_backward;
  tg_status gradient_in_backward;
  tg_tape* tape; /* the tape whose gradient runs the backward */
} probe_log;

static tg_status probe_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                               tg_tensor** outputs, size_t num_outputs, void* user_data) {
  probe_log* log = (probe_log*)user_data;
  size_t count = 0;
  log->kept_call = call;
  log->kept_input = inputs[0];
  log->variables_in_forward = tg_custom_call_variables(call, NULL, 0, &count);
  return identity_forward(call, inputs, num_inputs, outputs, num_outputs, NULL);
}

static tg_status probe_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                tg_tensor** grads, size_t num_grads, void* user_data) {
  probe_log* log = (probe_log*)user_data;
  tg_tensor* g = NULL;
  const void *target = outputs[0], *source = inputs[0];
  log->set_state_in_backward = tg_custom_call_set_state(call, NULL, NULL);
  log->free_tape_in_backward = tg_tape_free(log->tape);
  log->reset_tape_in_backward = tg_tape_reset(log->tape);
  log->gradient_in_backward = tg_tape_gradient(log->tape, &target, 1, &source, 1, &g);
  tg_tensor_free(g);
  return pass_through_backward(call, inputs, num_inputs, outputs, num_outputs, output_grads, grads, num_grads, NULL);
}

/* Handles lent to a callback are dead after it; a forward may list the variables read so far
 * (none here); what would drop the record being walked is
 * refused from inside a backward (a non-persistent tape's second gradient too), the rest of
 * the calls work, and the gradient completes: d/dx = 1. */
static void test_lent_handles_and_busy_tape(void) {
  probe_log log = {NULL, NULL, TG_OK, TG_OK, TG_OK, TG_OK, TG_OK, NULL};
  tg_custom_op* op = NULL;
  tg_tensor *x = make_scalar(TG_FLOAT32, 1.0), *y, *g;
  double v = 0;
  CHECK_OK(tg_custom_op_create("probe", 1, 1, TG_CUSTOM_OP_DEFAULT, probe_forward, probe_backward, &log, NULL, &op));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &log.tape));
  CHECK_OK(tg_tape_watch(log.tape, x));
  y = call1(op, x);
  CHECK(log.variables_in_forward == TG_OK);
  CHECK_ERR(tg_tensor_item(log.kept_input, &v), TG_INVALID_HANDLE, "not a live tapegrad handle");
  CHECK_ERR(tg_custom_call_state(log.kept_call, NULL), TG_INVALID_HANDLE, "not a live tapegrad handle");
  g = grad1(log.tape, y, x);
  CHECK_NEAR(item_of(g), 1.0, 0);
  CHECK(log.set_state_in_backward == TG_INVALID_STATE);
  CHECK(log.free_tape_in_backward == TG_INVALID_STATE);
  CHECK(log.reset_tape_in_backward == TG_INVALID_STATE);
  CHECK(log.gradient_in_backward == TG_INVALID_STATE);
  tg_tensor_free(g);
  tg_tensor_free(y);
  tg_tensor_free(x);
  CHECK_OK(tg_tape_free(log.tape));
  tg_custom_op_free(op);
}

/* *out = d cube(x)/dx = 3x², taken by a tape of its own through a call of the cube custom op:
 * what the re-entrant callbacks below run. */
static tg_status derivative_of_cube(tg_custom_op* cube, tg_tensor* x, tg_tensor** out) {
  tg_tape* tape = NULL;
  tg_tensor* y = NULL;
  tg_status s;
  const void *target, *source = x;
  if ((s = tg_tape_begin(TG_TAPE_DEFAULT, &tape)) != TG_OK) return s;
  s = tg_tape_watch(tape, x);
  if (s == TG_OK) s = tg_custom_op_call(cube, &x, 1, &y, 1, NULL);
  target = y;
  if (s == TG_OK) s = tg_tape_gradient(tape, &target, 1, &source, 1, out);
  tg_tensor_free(y);
  tg_tape_free(tape);
  return s;
}

/* Re-entry in a forward: the forward is d(x³)/dx = 3x² (user_data: the cube op); its backward
 * is 6x·dy. At x = 2: y = 12, dy/dx = 12. The outer tape does not see the forward's ops (it
 * would otherwise reach x through them). */
static tg_status derivative_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                    tg_tensor** outputs, size_t num_outputs, void* user_data) {
  (void)call, (void)num_inputs, (void)num_outputs;
  return derivative_of_cube((tg_custom_op*)user_data, inputs[0], &outputs[0]);
}

static tg_status derivative_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                     tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                     tg_tensor** grads, size_t num_grads, void* user_data) {
  tg_tensor* six = NULL;
  tg_status s;
  (void)call, (void)num_inputs, (void)outputs, (void)num_outputs, (void)num_grads, (void)user_data;
  if ((s = scalar_like(inputs[0], 6.0, &six)) != TG_OK) return s;
  s = mul3(six, inputs[0], output_grads[0], &grads[0]);
  tg_tensor_free(six);
  return s;
}

/* Re-entry in a backward: x³'s gradient 3x²·dy, where 3x² is taken by a tape of the backward's
 * own through a nested call of the cube custom op (user_data). */
static tg_status reentrant_backward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                    tg_tensor* const* outputs, size_t num_outputs, tg_tensor* const* output_grads,
                                    tg_tensor** grads, size_t num_grads, void* user_data) {
  tg_tensor* d = NULL;
  tg_status s;
  (void)call, (void)num_inputs, (void)outputs, (void)num_outputs, (void)num_grads;
  s = derivative_of_cube((tg_custom_op*)user_data, inputs[0], &d);
  if (s == TG_OK) s = tg_mul(d, output_grads[0], &grads[0]);
  tg_tensor_free(d);
  return s;
}

static void test_reentrant_callbacks(void) {
  tg_custom_op *cube = make_op("cube", 1, 1, cube_forward, cube_backward), *derivative = NULL, *via = NULL;
  tg_tensor *x = make_scalar(TG_FLOAT64, 2.0), *y, *g, *g2;
  tg_tape *tape = NULL, *outer = NULL;
  CHECK_OK(tg_custom_op_create("derivative", 1, 1, TG_CUSTOM_OP_DEFAULT, derivative_forward, derivative_backward,
                               cube, NULL, &derivative));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  y = call1(derivative, x);
  CHECK_NEAR(item_of(y), 12.0, 0);
  g = grad1(tape, y, x);
  CHECK_NEAR(item_of(g), 12.0, 0);
  tg_tensor_free(g);
  tg_tensor_free(y);
  tg_tape_free(tape);

  /* cube's gradient recomputed inside a backward, under an outer tape: d/dx = 12, and
   * second order 6x = 12 (the nested tape's gradient is recorded on the outer tape). */
  CHECK_OK(tg_custom_op_create("via_cube", 1, 1, TG_CUSTOM_OP_DEFAULT, cube_forward, reentrant_backward, cube, NULL,
                               &via));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &outer));
  CHECK_OK(tg_tape_watch(outer, x));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  y = call1(via, x);
  g = grad1(tape, y, x);
  CHECK_OK(tg_tape_end(outer));
  g2 = grad1(outer, g, x);
  CHECK_NEAR(item_of(g), 12.0, 0);
  CHECK_NEAR(item_of(g2), 12.0, 0);
  tg_tensor_free(g2);
  tg_tensor_free(g);
  tg_tensor_free(y);
  tg_tape_free(tape);
  tg_tape_free(outer);
  tg_tensor_free(x);
  tg_custom_op_free(via);
  tg_custom_op_free(derivative);
  tg_custom_op_free(cube);
}

/* A forward that frees its own op handle and ends the tape that was recording: the call
 * still completes (the op lives on while it runs), and nothing is recorded. */
typedef struct {
  tg_custom_op* op;
  tg_tape* tape;
} self_freeing;

static tg_status self_freeing_forward(tg_custom_call* call, tg_tensor* const* inputs, size_t num_inputs,
                                      tg_tensor** outputs, size_t num_outputs, void* user_data) {
  self_freeing* sf = (self_freeing*)user_data;
  tg_status s = tg_custom_op_free(sf->op);
  if (s == TG_OK) s = tg_tape_end(sf->tape);
  return s != TG_OK ? s : identity_forward(call, inputs, num_inputs, outputs, num_outputs, NULL);
}

static void test_forward_frees_its_op(void) {
  self_freeing sf = {NULL, NULL};
  tg_tensor *x = make_scalar(TG_FLOAT32, 4.0), *y, *z = NULL, *g = (tg_tensor*)&g;
  const void *target, *source = x;
  CHECK_OK(tg_custom_op_create("self_freeing", 1, 1, TG_CUSTOM_OP_DEFAULT, self_freeing_forward,
                               pass_through_backward, &sf, NULL, &sf.op));
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &sf.tape));
  CHECK_OK(tg_tape_watch(sf.tape, x));
  y = call1(sf.op, x);
  CHECK_NEAR(item_of(y), 4.0, 0);
  /* the tape was ended inside the forward: enter it again, it records as before */
  CHECK_OK(tg_tape_enter(sf.tape));
  CHECK_OK(tg_mul(x, x, &z));
  CHECK_OK(tg_tape_end(sf.tape));
  target = y;
  CHECK_OK(tg_tape_gradient(sf.tape, &target, 1, &source, 1, &g));
  CHECK(g == NULL);
  g = grad1(sf.tape, z, x);
  CHECK_NEAR(item_of(g), 8.0, 0);
  tg_tensor_free(g);
  tg_tensor_free(z);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(sf.tape);
}

int main(void) {
  test_forward_error();
  test_backward_error();
  test_message_of_a_failed_inner_call();
  test_bad_callback_results();
  test_bad_arguments();
  test_lent_handles_and_busy_tape();
  test_reentrant_callbacks();
  test_forward_frees_its_op();
  return check_summary();
}
