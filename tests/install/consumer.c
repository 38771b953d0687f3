/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A program that uses an installed tapegrad, as a user's would: built by check_install.cmake
 * once with CMake's find_package(tapegrad) (CMakeLists.txt here) and once with pkg-config.
 * It checks that the header and the library agree on the version, takes dy/dx of y = x·x at
 * x = 3 (6), and that a bad call returns a status and a message instead of crashing.
 */
#include <stdio.h>
#include <string.h>

#include <tapegrad/tapegrad.h>

static int failures = 0;

static void expect(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "consumer: FAILED: %s (%s)\n", what, tg_last_error_message());
    ++failures;
  }
}

int main(void) {
  tg_tensor *x = NULL, *y = NULL, *dy_dx = NULL, *bad = NULL;
  tg_tape* tape = NULL;
  const void* targets[1];
  const void* sources[1];
  double value = 0;
  const int64_t shape23[2] = {2, 3};

  expect(strcmp(tg_version(), TG_VERSION_STRING) == 0, "tg_version() == TG_VERSION_STRING");
  expect(tg_tensor_scalar(TG_FLOAT32, 3.0, &x) == TG_OK, "tg_tensor_scalar");
  expect(tg_tape_begin(TG_TAPE_DEFAULT, &tape) == TG_OK, "tg_tape_begin");
  expect(tg_tape_watch(tape, x) == TG_OK, "tg_tape_watch");
  expect(tg_mul(x, x, &y) == TG_OK, "tg_mul");
  expect(tg_tape_end(tape) == TG_OK, "tg_tape_end");
  targets[0] = y;
  sources[0] = x;
  expect(tg_tape_gradient(tape, targets, 1, sources, 1, &dy_dx) == TG_OK, "tg_tape_gradient");
  expect(tg_tensor_item(dy_dx, &value) == TG_OK && value == 6.0, "dy/dx == 6");

  /* A (2,3) x (2,3) matmul is a shape error: a status and a message, not a crash. */
  expect(tg_tensor_fill(TG_FLOAT32, shape23, 2, 1.0, &bad) == TG_OK, "tg_tensor_fill");
  expect(tg_matmul(bad, bad, 0, 0, &y) == TG_INVALID_ARGUMENT, "tg_matmul shape error");
  expect(strstr(tg_last_error_message(), "[tg_matmul]") != NULL, "message names tg_matmul");

  tg_tensor_free(bad);
  tg_tensor_free(dy_dx);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_tape_free(tape);
  if (failures) return 1;
  printf("consumer: tapegrad %s, dy/dx = %g\n", tg_version(), value);
  return 0;
}
