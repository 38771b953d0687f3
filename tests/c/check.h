/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.h — a minimal assertion kit for the C tests of the tapegrad C ABI (C99).
 *
 *   CHECK(expr)                       expr is true
 *   CHECK_OK(call)                    call returns TG_OK
 *   CHECK_ERR(call, status, s1, ...)  call returns `status` and tg_last_error_message()
 *                                     contains every substring s1, ... (at least one)
 *   CHECK_NEAR(a, b, tol)             |a - b| <= tol
 *   return check_summary();           prints "N passed, N failed"; nonzero on failure
 *
 * A failed check prints file:line, the expression and tg_last_error_message(), counts the
 * failure and carries on. Each CHECK_* yields 1 on success, 0 on failure.
 */
#ifndef TAPEGRAD_TESTS_C_CHECK_H
#define TAPEGRAD_TESTS_C_CHECK_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tapegrad/tapegrad.h"

static int check_passed_count;
static int check_failed_count;

static inline int check_report(int ok, const char* file, int line, const char* expr,
                               const char* detail) {
  if (ok) {
    ++check_passed_count;
    return 1;
  }
  ++check_failed_count;
  fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
  if (detail && detail[0]) fprintf(stderr, "    %s\n", detail);
  fprintf(stderr, "    tg_last_error_message(): \"%s\"\n", tg_last_error_message());
  return 0;
}

static inline int check_true(int ok, const char* file, int line, const char* expr) {
  return check_report(ok, file, line, expr, NULL);
}

static inline int check_status(tg_status got, tg_status want, const char* file, int line,
                               const char* expr) {
  char detail[160];
  snprintf(detail, sizeof detail, "returned %s, expected %s", tg_status_string(got),
           tg_status_string(want));
  return check_report(got == want, file, line, expr, detail);
}

/* The substrings end with a NULL sentinel (added by CHECK_ERR). The message is read before
 * any other tapegrad call, so it is the one of `call`. */
static inline int check_error(tg_status got, tg_status want, const char* file, int line,
                              const char* expr, ...) {
  char detail[512];
  const char* message = tg_last_error_message();
  const char* missing = NULL;
  const char* s;
  va_list args;
  va_start(args, expr);
  while ((s = va_arg(args, const char*)) != NULL)
    if (!missing && !strstr(message, s)) missing = s;
  va_end(args);
  if (got != want) {
    snprintf(detail, sizeof detail, "returned %s, expected %s", tg_status_string(got),
             tg_status_string(want));
    return check_report(0, file, line, expr, detail);
  }
  if (missing) {
    snprintf(detail, sizeof detail, "the message lacks \"%s\"", missing);
    return check_report(0, file, line, expr, detail);
  }
  return check_report(1, file, line, expr, NULL);
}

static inline int check_near(double a, double b, double tol, const char* file, int line,
                             const char* expr) {
  char detail[160];
  snprintf(detail, sizeof detail, "%.9g vs %.9g (tolerance %g)", a, b, tol);
  return check_report(fabs(a - b) <= tol, file, line, expr, detail);
}

static inline int check_summary(void) {
  printf("%d passed, %d failed\n", check_passed_count, check_failed_count);
  return check_failed_count == 0 ? 0 : 1;
}

#define CHECK(expr) check_true(!!(expr), __FILE__, __LINE__, #expr)
#define CHECK_OK(call) check_status((call), TG_OK, __FILE__, __LINE__, #call)
#define CHECK_ERR(call, status, ...) \
  check_error((call), (status), __FILE__, __LINE__, #call, __VA_ARGS__, (const char*)NULL)
#define CHECK_NEAR(a, b, tol) check_near((a), (b), (tol), __FILE__, __LINE__, #a " ~ " #b)

#endif /* TAPEGRAD_TESTS_C_CHECK_H */
