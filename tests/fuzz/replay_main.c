/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay_main.c — runs a fuzz target's LLVMFuzzerTestOneInput on files, without libFuzzer, so
 * the seed corpus and every input that once crashed replay as ordinary tests in any build
 * (GCC Release, ASan+UBSan). Arguments: files, or directories whose regular files are all run.
 * Prints "N passed, 0 failed"; an input that breaks a promise aborts (the sanitizers and
 * fuzz_fail report it).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
int LLVMFuzzerInitialize(int* argc, char*** argv);

static int run_file(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 0;
  }
  fseek(f, 0, SEEK_END);
  const long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t* data = malloc(n > 0 ? (size_t)n : 1);
  const size_t got = fread(data, 1, (size_t)n, f);
  fclose(f);
  LLVMFuzzerTestOneInput(data, got);
  free(data);
  return 1;
}

static int run_path(const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: no such file or directory: %s\n", path);
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) return run_file(path);
  DIR* dir = opendir(path);
  if (!dir) return -1;
  int count = 0;
  for (struct dirent* e = readdir(dir); e; e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    char child[4096];
    snprintf(child, sizeof child, "%s/%s", path, e->d_name);
    if (stat(child, &st) == 0 && S_ISREG(st.st_mode)) count += run_file(child);
  }
  closedir(dir);
  return count;
}

int main(int argc, char** argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  int count = 0;
  for (int i = 1; i < argc; ++i) {
    const int n = run_path(argv[i]);
    if (n < 0) {
      printf("0 passed, 1 failed\n");
      return 1;
    }
    count += n;
  }
  printf("%d passed, 0 failed\n", count);
  return count > 0 ? 0 : 1;
}
