/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The default thread count (tg_set_num_threads(0)) comes from the environment, read when the
 * library first needs it: TAPEGRAD_NUM_THREADS, else OPENBLAS_NUM_THREADS, else
 * OMP_NUM_THREADS (the first set to a positive integer), else the CPUs the process may run
 * on. Each case runs this program again (fork + execve) with exactly the variables of the
 * case, and the child reports what tg_get_num_threads gives.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* Child mode (argv[1] == "child"): exits with the default thread count, after checking that
 * tg_set_num_threads(n) and then 0 come back to it. */
static int child(void) {
  size_t first = 0, again = 0;
  if (tg_get_num_threads(&first) != TG_OK) return 255;
  if (tg_set_num_threads(3) != TG_OK || tg_set_num_threads(0) != TG_OK) return 255;
  if (tg_get_num_threads(&again) != TG_OK || again != first) return 254;
  return first < 250 ? (int)first : 253;
}

/* Runs this program as a child with `env` (NULL-terminated) and returns its exit code. */
static int run_child(const char* self, char* const env[]) {
  char* const args[] = {(char*)self, (char*)"child", NULL};
  int status = 0;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    execve(self, args, env);
    _exit(127);
  }
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

static void expect_threads(const char* self, char* const env[], int want, const char* what) {
  const int got = run_child(self, env);
  char detail[160];
  snprintf(detail, sizeof detail, "%s: %d threads, expected %d", what, got, want);
  check_report(got == want, __FILE__, __LINE__, "expect_threads", detail);
}

static void test_precedence(const char* self) {
  char* all[] = {"TAPEGRAD_NUM_THREADS=3", "OPENBLAS_NUM_THREADS=5", "OMP_NUM_THREADS=7", NULL};
  char* blas_omp[] = {"OPENBLAS_NUM_THREADS=5", "OMP_NUM_THREADS=7", NULL};
  char* omp[] = {"OMP_NUM_THREADS=7", NULL};
  char* ours_omp[] = {"TAPEGRAD_NUM_THREADS=2", "OMP_NUM_THREADS=7", NULL};
  expect_threads(self, all, 3, "TAPEGRAD_NUM_THREADS first");
  expect_threads(self, blas_omp, 5, "then OPENBLAS_NUM_THREADS");
  expect_threads(self, omp, 7, "then OMP_NUM_THREADS");
  expect_threads(self, ours_omp, 2, "TAPEGRAD_NUM_THREADS over OMP_NUM_THREADS");
}

/* Values that are not a positive integer are skipped, as if the variable were not set. */
static void test_invalid_values(const char* self) {
  char* zero[] = {"TAPEGRAD_NUM_THREADS=0", "OPENBLAS_NUM_THREADS=4", NULL};
  char* text[] = {"TAPEGRAD_NUM_THREADS=many", "OMP_NUM_THREADS=6", NULL};
  char* negative[] = {"OPENBLAS_NUM_THREADS=-2", "OMP_NUM_THREADS=3", NULL};
  expect_threads(self, zero, 4, "TAPEGRAD_NUM_THREADS=0 is skipped");
  expect_threads(self, text, 6, "TAPEGRAD_NUM_THREADS=many is skipped");
  expect_threads(self, negative, 3, "OPENBLAS_NUM_THREADS=-2 is skipped");
}

/* Without the variables: the CPUs of the affinity mask (one, once the mask is one CPU). */
static void test_affinity(const char* self) {
  char* none[] = {NULL};
  cpu_set_t saved, one;
  if (sched_getaffinity(0, sizeof saved, &saved) != 0) return;
  expect_threads(self, none, CPU_COUNT(&saved), "no variable: the affinity mask");
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &saved)) {
      CPU_SET(cpu, &one);
      break;
    }
  CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
  expect_threads(self, none, 1, "no variable, one CPU in the affinity mask");
  CHECK(sched_setaffinity(0, sizeof saved, &saved) == 0);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) return child();
  test_precedence(argv[0]);
  test_invalid_values(argv[0]);
  test_affinity(argv[0]);
  return check_summary();
}
