/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of the tape's recording state machine (docs/gradient-tape.md):
 * re-entering a tape, stop_recording / resume_recording, reset, watched_variables, and bad
 * input to each of those functions.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

#define STILL_RECORDING \
  "Tape is still recording, This can happen if you try to re-enter an already-active tape."
#define NOT_RECORDING "Tape is not recording."
#define USED_MESSAGE \
  "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)"

/* gradient of `target` with respect to `source` as a double (NaN if NULL or an error). */
static double gradient_value(tg_tape* tape, const void* target, const void* source) {
  const void* targets[1];
  const void* sources[1];
  tg_tensor* g = NULL;
  double v;
  targets[0] = target;
  sources[0] = source;
  if (!CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g))) return NAN;
  v = g ? item_of(g) : NAN;
  tg_tensor_free(g);
  return v;
}

/* BPT testGradientTapeReEnterContext: y = 2x in a first block, z = 2y in a second: 4. */
static void test_reenter_continues_the_record(void) {
  tg_tensor *x = make_scalar(TG_FLOAT32, 1), *two = make_scalar(TG_FLOAT32, 2);
  tg_tensor *y = NULL, *z = NULL, *w = NULL;
  tg_tape* tape = NULL;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(two, x, &y));
  CHECK_OK(tg_tape_end(tape));
  CHECK_OK(tg_mul(two, y, &w)); /* between the blocks: not recorded */
  CHECK_OK(tg_tape_enter(tape));
  CHECK_OK(tg_mul(two, y, &z));
  /* BPT testNestedSelfContexts: entering it while it records */
  CHECK_ERR(tg_tape_enter(tape), TG_INVALID_STATE, "[tg_tape_enter]", STILL_RECORDING);
  CHECK_OK(tg_tape_end(tape));
  {
    const void* targets[2];
    const void* sources[1];
    tg_tensor* g[1] = {NULL};
    targets[0] = z;
    targets[1] = w;
    sources[0] = x;
    CHECK_OK(tg_tape_gradient(tape, targets, 2, sources, 1, g));
    CHECK_TENSOR(g[0], TG_FLOAT32, NULL, 0, (const double[]){4}, 0); /* w adds nothing */
    tg_tensor_free(g[0]);
    CHECK_ERR(tg_tape_gradient(tape, targets, 2, sources, 1, g), TG_INVALID_STATE,
              "[tg_tape_gradient]", USED_MESSAGE);
  }
  /* used: entering again starts a fresh record, x no longer watched */
  CHECK_OK(tg_tape_enter(tape));
  tg_tensor_free(z);
  CHECK_OK(tg_mul(two, x, &z));
  CHECK_OK(tg_tape_end(tape));
  {
    const void* targets[1];
    const void* sources[1];
    tg_tensor* g = (tg_tensor*)&g;
    targets[0] = z;
    sources[0] = x;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
    CHECK(g == NULL);
  }
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(x);
  tg_tensor_free(two);
  tg_tensor_free(y);
  tg_tensor_free(z);
  tg_tensor_free(w);
}

/* BPT testTapeStopStartRecording: x2 = 2x recorded, y = x2² not, z = x2² recorded:
 * dy/dx2 = NULL, dz/dx2 = 4. */
static void test_stop_and_resume(void) {
  tg_tensor *x = make_scalar(TG_FLOAT32, 1), *two = make_scalar(TG_FLOAT32, 2);
  tg_tensor *x2 = NULL, *y = NULL, *z = NULL;
  tg_tape *tape = NULL, *other = NULL;
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &other));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_tape_watch(other, x));
  CHECK_OK(tg_mul(x, two, &x2));
  CHECK_OK(tg_tape_stop_recording(tape));
  CHECK_ERR(tg_tape_stop_recording(tape), TG_INVALID_STATE, "[tg_tape_stop_recording]",
            NOT_RECORDING);
  CHECK_OK(tg_mul(x2, x2, &y));
  CHECK_OK(tg_tape_resume_recording(tape));
  CHECK_ERR(tg_tape_resume_recording(tape), TG_INVALID_STATE, "[tg_tape_resume_recording]",
            "not stopped");
  CHECK_OK(tg_mul(x2, x2, &z));
  CHECK_OK(tg_tape_end(tape));
  CHECK_OK(tg_tape_end(other));
  {
    tg_tensor* g = (tg_tensor*)&g;
    const void* targets[1];
    const void* sources[1];
    targets[0] = y;
    sources[0] = x2;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
    CHECK(g == NULL);
  }
  CHECK_NEAR(gradient_value(tape, z, x2), 4.0, 0);
  CHECK_NEAR(gradient_value(tape, z, x), 8.0, 0);
  /* the other tape saw everything */
  CHECK_NEAR(gradient_value(other, y, x), 8.0, 0);

  /* outside the block: TF's _pop_tape error */
  CHECK_ERR(tg_tape_stop_recording(tape), TG_INVALID_STATE, "[tg_tape_stop_recording]",
            NOT_RECORDING);
  /* stop, enter again inside the stop block, then the block's end finds it recording */
  CHECK_OK(tg_tape_enter(tape));
  CHECK_OK(tg_tape_stop_recording(tape));
  CHECK_OK(tg_tape_enter(tape));
  CHECK_ERR(tg_tape_resume_recording(tape), TG_INVALID_STATE, "[tg_tape_resume_recording]",
            STILL_RECORDING);
  CHECK_OK(tg_tape_end(tape));
  CHECK_OK(tg_tape_free(tape));
  CHECK_OK(tg_tape_free(other));

  /* a used non-persistent tape cannot stop recording (TF's RuntimeError) */
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  tg_tensor_free(y);
  CHECK_OK(tg_mul(x, x, &y));
  CHECK_NEAR(gradient_value(tape, y, x), 2.0, 0);
  CHECK_ERR(tg_tape_stop_recording(tape), TG_INVALID_STATE, "[tg_tape_stop_recording]",
            "Trying to stop recording a tape which is not recording.");
  CHECK_OK(tg_tape_free(tape));

  /* a non-persistent gradient inside the stop block: resuming starts a fresh record */
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  tg_tensor_free(y);
  CHECK_OK(tg_mul(x, x, &y));
  CHECK_OK(tg_tape_stop_recording(tape));
  CHECK_NEAR(gradient_value(tape, y, x), 2.0, 0);
  CHECK_OK(tg_tape_resume_recording(tape));
  CHECK_OK(tg_tape_watch(tape, x));
  tg_tensor_free(z);
  CHECK_OK(tg_mul(x, two, &z));
  CHECK_OK(tg_tape_end(tape));
  CHECK_NEAR(gradient_value(tape, z, x), 2.0, 0);
  CHECK_OK(tg_tape_free(tape));

  tg_tensor_free(x);
  tg_tensor_free(two);
  tg_tensor_free(x2);
  tg_tensor_free(y);
  tg_tensor_free(z);
}

/* BPT testTapeReset: v = 1; loss = v·v; reset; loss += v·v: d loss/dv = 2. */
static void test_reset(void) {
  tg_tensor *one = make_scalar(TG_FLOAT32, 1), *r1 = NULL, *r2 = NULL, *sq1 = NULL, *sq2 = NULL;
  tg_tensor* loss = NULL;
  tg_variable* v = NULL;
  tg_tape* tape = NULL;
  size_t count = 99;
  CHECK_OK(tg_variable_create("v", one, 1, &v));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_variable_read(v, &r1));
  CHECK_OK(tg_mul(r1, r1, &sq1));
  CHECK_OK(tg_tape_watched_variables(tape, NULL, 0, &count));
  CHECK(count == 1);
  CHECK_OK(tg_tape_reset(tape));
  CHECK_OK(tg_tape_watched_variables(tape, NULL, 0, &count));
  CHECK(count == 0); /* BPT testAutomaticWatchedVariables */
  CHECK_OK(tg_variable_read(v, &r2));
  CHECK_OK(tg_mul(r2, r2, &sq2));
  CHECK_OK(tg_add(sq1, sq2, &loss));
  CHECK_OK(tg_tape_watched_variables(tape, NULL, 0, &count));
  CHECK(count == 1);
  CHECK_OK(tg_tape_end(tape));
  CHECK_NEAR(gradient_value(tape, loss, v), 2.0, 0);
  CHECK_ERR(tg_tape_reset(tape), TG_INVALID_STATE, "[tg_tape_reset]", NOT_RECORDING);
  CHECK_OK(tg_tape_free(tape));

  /* a watched tensor is forgotten too */
  {
    tg_tensor *x = make_scalar(TG_FLOAT64, 3), *y = NULL, *g = (tg_tensor*)&g;
    const void* targets[1];
    const void* sources[1];
    CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
    CHECK_OK(tg_tape_watch(tape, x));
    CHECK_OK(tg_tape_reset(tape));
    CHECK_OK(tg_mul(x, x, &y));
    CHECK_OK(tg_tape_stop_recording(tape));
    CHECK_ERR(tg_tape_reset(tape), TG_INVALID_STATE, "[tg_tape_reset]", NOT_RECORDING);
    CHECK_OK(tg_tape_resume_recording(tape));
    CHECK_OK(tg_tape_end(tape));
    targets[0] = y;
    sources[0] = x;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
    CHECK(g == NULL);
    CHECK_OK(tg_tape_free(tape));
    tg_tensor_free(x);
    tg_tensor_free(y);
  }
  CHECK_OK(tg_variable_free(v));
  tg_tensor_free(one);
  tg_tensor_free(r1);
  tg_tensor_free(r2);
  tg_tensor_free(sq1);
  tg_tensor_free(sq2);
  tg_tensor_free(loss);
}

/* Is `got` the same variable as `want`? (Handles differ; names are unique here.) */
static int same_variable(tg_variable* got, const char* want) {
  const char* name = NULL;
  return got && tg_variable_name(got, &name) == TG_OK && name && strcmp(name, want) == 0;
}

/* BPT testImplicitGradOrdering: order of construction, not of access; cached after a
 * non-persistent gradient (testWatchedVariablesAfterNonPersistentGradientCall). */
static void test_watched_variables(void) {
  tg_tensor *init = make_scalar(TG_FLOAT32, 2), *r0 = NULL, *r1 = NULL, *y = NULL;
  tg_variable *v0 = NULL, *v1 = NULL, *frozen = NULL, *out[3] = {NULL, NULL, NULL};
  tg_tape* tape = NULL;
  size_t count = 0;
  CHECK_OK(tg_variable_create("v0", init, 1, &v0));
  CHECK_OK(tg_variable_create("v1", init, 1, &v1));
  CHECK_OK(tg_variable_create("frozen", init, 0, &frozen));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_variable_read(frozen, &r0)); /* not trainable: not watched by reading */
  tg_tensor_free(r0);
  CHECK_OK(tg_variable_read(v1, &r1));
  CHECK_OK(tg_variable_read(v0, &r0));
  CHECK_OK(tg_mul(r1, r0, &y));
  CHECK_OK(tg_tape_end(tape));
  CHECK_OK(tg_tape_watched_variables(tape, NULL, 0, &count));
  CHECK(count == 2);
  /* capacity 1: one handle written, the total reported */
  CHECK_OK(tg_tape_watched_variables(tape, out, 1, &count));
  CHECK(count == 2 && same_variable(out[0], "v0") && out[1] == NULL);
  tg_variable_free(out[0]);
  out[0] = NULL;
  {
    const void* targets[1];
    const void* sources[2];
    tg_tensor* g[2] = {NULL, NULL};
    targets[0] = y;
    sources[0] = v0;
    sources[1] = v1;
    CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, g));
    CHECK_NEAR(item_of(g[0]), 2.0, 0);
    CHECK_NEAR(item_of(g[1]), 2.0, 0);
    tg_tensor_free(g[0]);
    tg_tensor_free(g[1]);
  }
  /* still listed after the one gradient call */
  CHECK_OK(tg_tape_watched_variables(tape, out, 3, &count));
  CHECK(count == 2 && same_variable(out[0], "v0") && same_variable(out[1], "v1"));
  CHECK(out[2] == NULL);
  tg_variable_free(out[0]);
  tg_variable_free(out[1]);
  /* an explicit watch lists a non-trainable variable; a fresh record forgets the others */
  CHECK_OK(tg_tape_enter(tape));
  CHECK_OK(tg_tape_watch(tape, frozen));
  CHECK_OK(tg_tape_watch(tape, frozen));
  CHECK_OK(tg_tape_watched_variables(tape, out, 3, &count));
  CHECK(count == 1 && same_variable(out[0], "frozen"));
  tg_variable_free(out[0]);
  CHECK_OK(tg_tape_end(tape));

  /* bad input */
  CHECK_ERR(tg_tape_watched_variables(tape, out, 3, NULL), TG_INVALID_ARGUMENT,
            "[tg_tape_watched_variables]", "count");
  CHECK_ERR(tg_tape_watched_variables(tape, NULL, 2, &count), TG_INVALID_ARGUMENT,
            "[tg_tape_watched_variables]", "variables is NULL but capacity is 2");
  CHECK_ERR(tg_tape_watched_variables(NULL, NULL, 0, &count), TG_INVALID_HANDLE,
            "[tg_tape_watched_variables]", "tape is NULL");
  CHECK_ERR(tg_tape_watched_variables((tg_tape*)v0, NULL, 0, &count), TG_INVALID_HANDLE,
            "[tg_tape_watched_variables]", "is a tg_variable, expected a tg_tape");
  CHECK_OK(tg_tape_free(tape));
  CHECK_ERR(tg_tape_watched_variables(tape, NULL, 0, &count), TG_INVALID_HANDLE,
            "[tg_tape_watched_variables]", "not a live");

  CHECK_OK(tg_variable_free(v0));
  CHECK_OK(tg_variable_free(v1));
  CHECK_OK(tg_variable_free(frozen));
  tg_tensor_free(init);
  tg_tensor_free(r0);
  tg_tensor_free(r1);
  tg_tensor_free(y);
}

/* NULL, freed and wrong-type handles for each state function. */
static void test_bad_handles(void) {
  tg_tensor* x = make_scalar(TG_FLOAT32, 1);
  tg_tape* freed = NULL;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &freed));
  CHECK_OK(tg_tape_free(freed));
  CHECK_ERR(tg_tape_enter(NULL), TG_INVALID_HANDLE, "[tg_tape_enter]", "tape is NULL");
  CHECK_ERR(tg_tape_enter(freed), TG_INVALID_HANDLE, "[tg_tape_enter]", "not a live");
  CHECK_ERR(tg_tape_enter((tg_tape*)x), TG_INVALID_HANDLE, "[tg_tape_enter]",
            "is a tg_tensor, expected a tg_tape");
  CHECK_ERR(tg_tape_stop_recording(NULL), TG_INVALID_HANDLE, "[tg_tape_stop_recording]",
            "tape is NULL");
  CHECK_ERR(tg_tape_stop_recording(freed), TG_INVALID_HANDLE, "[tg_tape_stop_recording]",
            "not a live");
  CHECK_ERR(tg_tape_stop_recording((tg_tape*)x), TG_INVALID_HANDLE, "[tg_tape_stop_recording]",
            "is a tg_tensor, expected a tg_tape");
  CHECK_ERR(tg_tape_resume_recording(NULL), TG_INVALID_HANDLE, "[tg_tape_resume_recording]",
            "tape is NULL");
  CHECK_ERR(tg_tape_resume_recording(freed), TG_INVALID_HANDLE, "[tg_tape_resume_recording]",
            "not a live");
  CHECK_ERR(tg_tape_resume_recording((tg_tape*)x), TG_INVALID_HANDLE, "[tg_tape_resume_recording]",
            "is a tg_tensor, expected a tg_tape");
  CHECK_ERR(tg_tape_reset(NULL), TG_INVALID_HANDLE, "[tg_tape_reset]", "tape is NULL");
  CHECK_ERR(tg_tape_reset(freed), TG_INVALID_HANDLE, "[tg_tape_reset]", "not a live");
  CHECK_ERR(tg_tape_reset((tg_tape*)x), TG_INVALID_HANDLE, "[tg_tape_reset]",
            "is a tg_tensor, expected a tg_tape");
  tg_tensor_free(x);
}

static int recording(const tg_tape* tape) {
  int r = -1;
  CHECK_OK(tg_tape_is_recording(tape, &r));
  return r;
}

/* tg_tape_is_recording follows the state machine; tg_tape_is_persistent the flag. */
static void test_recording_and_persistent_queries(void) {
  tg_tensor *x = make_scalar(TG_FLOAT32, 3), *y = NULL, *g = NULL;
  tg_tape *tape = NULL, *persistent = NULL;
  const void* targets[1];
  const void* sources[1];
  int flag = -1;
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK(recording(tape) == 1);
  CHECK_OK(tg_tape_is_persistent(tape, &flag));
  CHECK(flag == 0);
  CHECK_OK(tg_tape_stop_recording(tape));
  CHECK(recording(tape) == 0);
  CHECK_OK(tg_tape_resume_recording(tape));
  CHECK(recording(tape) == 1);
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_mul(x, x, &y));
  targets[0] = y;
  sources[0] = x;
  /* a non-persistent gradient inside the block stops the recording */
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &g));
  CHECK(recording(tape) == 0);
  CHECK_OK(tg_tape_enter(tape));
  CHECK(recording(tape) == 1);
  CHECK_OK(tg_tape_end(tape));
  CHECK(recording(tape) == 0);
  tg_tensor_free(g);

  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT | TG_TAPE_NO_WATCH_ACCESSED_VARIABLES, &persistent));
  CHECK_OK(tg_tape_is_persistent(persistent, &flag));
  CHECK(flag == 1);
  CHECK_OK(tg_tape_watch(persistent, x));
  CHECK_OK(tg_tape_gradient(persistent, targets, 1, sources, 1, &g)); /* y was not recorded here */
  CHECK(g == NULL);
  CHECK(recording(persistent) == 1); /* a persistent tape keeps recording */
  CHECK_ERR(tg_tape_is_recording(persistent, NULL), TG_INVALID_ARGUMENT, "[tg_tape_is_recording]", "out");
  CHECK_ERR(tg_tape_is_persistent(NULL, &flag), TG_INVALID_HANDLE, "[tg_tape_is_persistent]", "NULL");
  CHECK_ERR(tg_tape_is_recording((const tg_tape*)x, &flag), TG_INVALID_HANDLE, "is a tg_tensor");
  CHECK_OK(tg_tape_free(persistent));
  CHECK_OK(tg_tape_free(tape));
  tg_tensor_free(y);
  tg_tensor_free(x);
}

int main(void) {
  test_recording_and_persistent_queries();
  test_reenter_continues_the_record();
  test_stop_and_resume();
  test_reset();
  test_watched_variables();
  test_bad_handles();
  return check_summary();
}
