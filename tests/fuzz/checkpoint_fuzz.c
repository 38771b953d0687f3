/* SPDX-License-Identifier: Apache-2.0 */
/*
 * checkpoint_fuzz.c — the checkpoint readers on arbitrary files. The first input byte picks
 * the reader, the rest is the file:
 *   0  tg_checkpoint_load into variables w (2,3) and b (3,) with an Adam optimizer built for them
 *   1  the same without the optimizer
 *   2  tg_safetensors_read of the tensor "w"
 *   3  tg_model_load_weights into a built model Dense(3) on inputs of 2 features, with Adam
 * Besides "no crash": a load that fails changes nothing (the header promises no partial
 * load), which is checked on the variables' values and the optimizer's iteration counter.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "tapegrad/tapegrad.h"

static char g_path[4096];

static void must(tg_status s) {
  if (s != TG_OK) {
    fprintf(stderr, "fuzz: setup failed: %s\n", tg_last_error_message());
    abort();
  }
}

/* The values of `count` float32 variables, concatenated, and the optimizer's counter. */
typedef struct {
  float values[64];
  int64_t iterations;
} snapshot;

static snapshot take_snapshot(tg_variable* const* vars, size_t count, tg_optimizer* opt) {
  snapshot s;
  memset(&s, 0, sizeof s);
  size_t at = 0;
  for (size_t i = 0; i < count; ++i) {
    tg_tensor* v;
    size_t n;
    must(tg_variable_value(vars[i], &v));
    must(tg_tensor_size(v, &n));
    must(tg_tensor_copy_data(v, s.values + at, n * sizeof(float)));
    at += n;
    tg_tensor_free(v);
  }
  if (opt) must(tg_optimizer_iterations(opt, &s.iterations));
  return s;
}

static void write_file(const uint8_t* data, size_t size) {
  FILE* f = fopen(g_path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) fuzz_fail("cannot write the input file");
}

static void load_into_variables(int with_optimizer) {
  const int64_t ws[2] = {2, 3}, bs[1] = {3};
  tg_tensor *w0, *b0;
  tg_variable* vars[2];
  tg_optimizer* opt = NULL;
  must(tg_tensor_fill(TG_FLOAT32, ws, 2, 0.25, &w0));
  must(tg_tensor_fill(TG_FLOAT32, bs, 1, -0.5, &b0));
  must(tg_variable_create("w", w0, 1, &vars[0]));
  must(tg_variable_create("b", b0, 1, &vars[1]));
  if (with_optimizer) {
    must(tg_optimizer_create("adam", &opt));
    must(tg_optimizer_build(opt, vars, 2));
    must(tg_optimizer_set_iterations(opt, 7));
  }
  const snapshot before = take_snapshot(vars, 2, opt);
  const tg_status s = tg_checkpoint_load(g_path, vars, 2, opt);
  fuzz_check_status(s);
  if (s != TG_OK) {
    const snapshot after = take_snapshot(vars, 2, opt);
    if (memcmp(&before, &after, sizeof before) != 0) fuzz_fail("a failed tg_checkpoint_load changed the state");
  }
  tg_optimizer_free(opt);
  tg_variable_free(vars[0]);
  tg_variable_free(vars[1]);
  tg_tensor_free(w0);
  tg_tensor_free(b0);
}

static void read_one_tensor(void) {
  tg_tensor* t = NULL;
  const tg_status s = tg_safetensors_read(g_path, "w", &t);
  fuzz_check_status(s);
  if (s == TG_OK) {
    size_t n = 0;
    must(tg_tensor_size(t, &n));
    tg_tensor_free(t);
  } else if (t) {
    fuzz_fail("an error wrote *out");
  }
}

static void load_model_weights(void) {
  const int64_t input_shape[2] = {1, 2};
  tg_model* model;
  tg_layer_config config;
  tg_optimizer* opt;
  tg_variable* vars[2];
  size_t count = 0;
  must(tg_model_create("m", &model));
  must(tg_layer_config_init(TG_LAYER_DENSE, &config));
  config.units = 3;
  must(tg_model_add(model, &config, NULL));
  must(tg_model_build(model, input_shape, 2));
  must(tg_model_trainable_variables(model, vars, 2, &count));
  must(tg_optimizer_create("adam", &opt));
  must(tg_optimizer_build(opt, vars, count));
  const snapshot before = take_snapshot(vars, count, opt);
  const tg_status s = tg_model_load_weights(model, g_path, opt);
  fuzz_check_status(s);
  if (s != TG_OK) {
    const snapshot after = take_snapshot(vars, count, opt);
    if (memcmp(&before, &after, sizeof before) != 0) fuzz_fail("a failed tg_model_load_weights changed the state");
  }
  for (size_t i = 0; i < count; ++i) tg_variable_free(vars[i]);
  tg_optimizer_free(opt);
  tg_model_free(model);
}

int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc;
  (void)argv;
  tg_set_num_threads(1);
  const char* dir = getenv("TMPDIR");
  snprintf(g_path, sizeof g_path, "%s/tapegrad-checkpoint-fuzz-%ld.safetensors", dir ? dir : "/tmp", (long)getpid());
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  write_file(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: load_into_variables(1); break;
    case 1: load_into_variables(0); break;
    case 2: read_one_tensor(); break;
    default: load_model_weights(); break;
  }
  remove(g_path);
  return 0;
}
