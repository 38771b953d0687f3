/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_checkpoint.c — checkpoints and safetensors files through the C ABI, compiled as C99:
 * the bytes a save writes, round trips of every dtype, resuming Dense + Adam training bit for
 * bit, malformed and mismatched files (written here at test time into a temporary directory)
 * refused with their messages while the variables stay unchanged, and bad arguments.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, rmdir, unlink */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "helpers.h"

/* ---- files -------------------------------------------------------------------------- */

static char g_dir[64];

/* g_dir/name in buf (which has room for 256 bytes). */
static const char* path_in(char* buf, const char* name) {
  snprintf(buf, 256, "%s/%s", g_dir, name);
  return buf;
}

static void write_bytes(const char* path, const void* bytes, size_t n) {
  FILE* f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f) return;
  CHECK(fwrite(bytes, 1, n, f) == n);
  fclose(f);
}

/* The whole file in a malloc'd buffer (caller frees); *n its size. NULL on failure. */
static unsigned char* read_bytes(const char* path, size_t* n) {
  FILE* f = fopen(path, "rb");
  unsigned char* buf;
  long size;
  *n = 0;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = (unsigned char*)malloc((size_t)size + 1);
  if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) *n = (size_t)size;
  return buf;
}

/* A safetensors file: the 8-byte little-endian length of `header`, `header`, then `data`. */
static void write_st(const char* path, const char* header, const void* data, size_t data_bytes) {
  size_t h = strlen(header), i;
  unsigned char* buf = (unsigned char*)malloc(8 + h + data_bytes + 1);
  if (!buf) return;
  for (i = 0; i < 8; ++i) buf[i] = (unsigned char)(((uint64_t)h >> (8 * i)) & 0xFF);
  memcpy(buf + 8, header, h);
  if (data_bytes) memcpy(buf + 8 + h, data, data_bytes);
  write_bytes(path, buf, 8 + h + data_bytes);
  free(buf);
}

/* The bytes of a variable's value, malloc'd (caller frees). */
static unsigned char* value_bytes(tg_variable* v, size_t* n) {
  tg_tensor* t = NULL;
  size_t size = 0;
  tg_dtype dtype = TG_FLOAT32;
  size_t item;
  unsigned char* out;
  *n = 0;
  if (!CHECK_OK(tg_variable_read(v, &t))) return NULL;
  tg_tensor_size(t, &size);
  tg_tensor_dtype(t, &dtype);
  item = dtype == TG_FLOAT64 || dtype == TG_INT64 ? 8 : dtype == TG_BOOL ? 1 : 4;
  *n = size * item;
  out = (unsigned char*)malloc(*n + 1);
  if (out) CHECK_OK(tg_tensor_copy_data(t, out, *n));
  tg_tensor_free(t);
  return out;
}

static tg_variable* make_variable(const char* name, tg_dtype dtype, const int64_t* shape, int rank,
                                  const double* values) {
  tg_tensor* t = make_tensor(dtype, shape, rank, values);
  tg_variable* v = NULL;
  CHECK_OK(tg_variable_create(name, t, 1, &v));
  tg_tensor_free(t);
  return v;
}

static void check_variable(tg_variable* v, tg_dtype dtype, const int64_t* shape, int rank,
                           const double* values) {
  tg_tensor* t = NULL;
  CHECK_OK(tg_variable_read(v, &t));
  CHECK_TENSOR(t, dtype, shape, rank, values, 0.0);
  tg_tensor_free(t);
}

/* ---- save and load --------------------------------------------------------------------- */

/* The saved file is safetensors with the metadata first and the data 8-byte aligned; loading
 * it into changed variables restores every dtype exactly. */
static void test_round_trip(void) {
  const int64_t s22[2] = {2, 2}, s3[1] = {3}, s2[1] = {2};
  const double w[4] = {1.5, -2.25, 3, 0.125}, d[3] = {1e-300, -7, 0.1}, n[2] = {-5, 2147483647};
  const double flags[2] = {1, 0}, step[1] = {1234567890123.0}, zeros[4] = {0, 0, 0, 0};
  tg_variable* vars[5];
  char path[256];
  unsigned char* bytes;
  size_t size = 0;
  uint64_t header_len = 0;
  int i;
  vars[0] = make_variable("my_model/dense/kernel:0", TG_FLOAT32, s22, 2, w);
  vars[1] = make_variable("d", TG_FLOAT64, s3, 1, d);
  vars[2] = make_variable("n", TG_INT32, s2, 1, n);
  vars[3] = make_variable("flags", TG_BOOL, s2, 1, flags);
  vars[4] = make_variable("step", TG_INT64, NULL, 0, step);
  path_in(path, "round.safetensors");
  CHECK_OK(tg_checkpoint_save(path, vars, 5, NULL));

  bytes = read_bytes(path, &size);
  CHECK(bytes != NULL && size > 8);
  if (bytes && size > 8) {
    for (i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
    CHECK(header_len % 8 == 0 && 8 + header_len < size);
    /* data: I64 8 + F64 24 + F32 16 + I32 8 + BOOL 2 bytes */
    CHECK(size == 8 + header_len + 58);
    CHECK(memcmp(bytes + 8, "{\"__metadata__\":{\"format\":\"tapegrad\",\"version\":\"" TG_VERSION_STRING "\"},"
                            "\"step\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},",
                 strlen("{\"__metadata__\":{\"format\":\"tapegrad\",\"version\":\"" TG_VERSION_STRING "\"},"
                        "\"step\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},")) == 0);
  }
  free(bytes);

  /* Change everything, then load. */
  {
    tg_tensor* t = make_tensor(TG_FLOAT32, s22, 2, zeros);
    CHECK_OK(tg_variable_assign(vars[0], t));
    tg_tensor_free(t);
    t = make_tensor(TG_INT64, NULL, 0, zeros);
    CHECK_OK(tg_variable_assign(vars[4], t));
    tg_tensor_free(t);
    t = make_tensor(TG_BOOL, s2, 1, zeros);
    CHECK_OK(tg_variable_assign(vars[3], t));
    tg_tensor_free(t);
  }
  CHECK_OK(tg_checkpoint_load(path, vars, 5, NULL));
  check_variable(vars[0], TG_FLOAT32, s22, 2, w);
  check_variable(vars[1], TG_FLOAT64, s3, 1, d);
  check_variable(vars[2], TG_INT32, s2, 1, n);
  check_variable(vars[3], TG_BOOL, s2, 1, flags);
  check_variable(vars[4], TG_INT64, NULL, 0, step);
  /* A subset loads too: the file's other tensors are ignored. */
  CHECK_OK(tg_checkpoint_load(path, vars + 1, 2, NULL));
  for (i = 0; i < 5; ++i) tg_variable_free(vars[i]);
  unlink(path);
}

/* ---- resuming training ---------------------------------------------------------------- */

static tg_model* make_model(uint64_t seed) {
  tg_model* model = NULL;
  CHECK_OK(tg_model_create("my_model", &model));
  CHECK_OK(add_dense(model, 32, TG_ACTIVATION_RELU, 1, seed, "dense"));
  CHECK_OK(add_dense(model, 10, TG_ACTIVATION_LINEAR, 1, seed + 1, "dense_1"));
  return model;
}

/* Train k steps, save variables + Adam, train m more. A second model (other initial weights)
 * and a fresh Adam load the checkpoint and train the same m steps: every variable must equal
 * the uninterrupted run's bit for bit (memcmp), and so must the iteration counters. */
static void test_resume_is_bit_identical(void) {
  const int64_t x_shape[2] = {100, 32}, y_shape[2] = {100, 10};
  const int k = 3, m = 4;
  tg_tensor *x = NULL, *y = NULL, *out = NULL;
  tg_model *model = make_model(1), *resumed = make_model(50);
  tg_optimizer *adam = NULL, *resumed_adam = NULL;
  tg_variable *vars[4] = {NULL, NULL, NULL, NULL}, *rvars[4] = {NULL, NULL, NULL, NULL};
  size_t count = 0, i;
  int64_t it = 0, rit = 0;
  char path[256];
  int step;
  path_in(path, "resume.safetensors");
  CHECK_OK(tg_random_uniform(TG_FLOAT32, x_shape, 2, 0, 1, 1, &x));
  CHECK_OK(tg_random_uniform(TG_FLOAT32, y_shape, 2, 0, 1, 2, &y));
  CHECK_OK(tg_optimizer_create("adam", &adam));
  CHECK_OK(tg_optimizer_create("adam", &resumed_adam));

  for (step = 0; step < k; ++step) train_step(model, adam, x, y);
  CHECK_OK(tg_model_trainable_variables(model, vars, 4, &count));
  CHECK_OK(tg_checkpoint_save(path, vars, count, adam));
  for (step = 0; step < m; ++step) train_step(model, adam, x, y);

  CHECK_OK(tg_model_call(resumed, x, &out)); /* builds its variables */
  tg_tensor_free(out);
  CHECK_OK(tg_model_trainable_variables(resumed, rvars, 4, &count));
  CHECK_OK(tg_checkpoint_load(path, rvars, count, resumed_adam));
  CHECK_OK(tg_optimizer_iterations(resumed_adam, &rit));
  CHECK(rit == k);
  for (step = 0; step < m; ++step) train_step(resumed, resumed_adam, x, y);

  for (i = 0; i < 4; ++i) {
    size_t na = 0, nb = 0;
    unsigned char *a = value_bytes(vars[i], &na), *b = value_bytes(rvars[i], &nb);
    CHECK(a && b && na == nb && na > 0 && memcmp(a, b, na) == 0);
    free(a);
    free(b);
  }
  CHECK_OK(tg_optimizer_iterations(adam, &it));
  CHECK_OK(tg_optimizer_iterations(resumed_adam, &rit));
  CHECK(it == k + m && rit == k + m);

  /* Without the optimizer's state the resumed run differs (the test can fail). */
  {
    tg_optimizer* fresh = NULL;
    size_t na = 0, nb = 0;
    unsigned char *a, *b;
    CHECK_OK(tg_optimizer_create("adam", &fresh));
    CHECK_OK(tg_checkpoint_load(path, rvars, count, NULL));
    for (step = 0; step < m; ++step) train_step(resumed, fresh, x, y);
    a = value_bytes(vars[0], &na);
    b = value_bytes(rvars[0], &nb);
    CHECK(a && b && na == nb && memcmp(a, b, na) != 0);
    free(a);
    free(b);
    tg_optimizer_free(fresh);
  }

  for (i = 0; i < 4; ++i) {
    tg_variable_free(vars[i]);
    tg_variable_free(rvars[i]);
  }
  tg_optimizer_free(adam);
  tg_optimizer_free(resumed_adam);
  tg_model_free(model);
  tg_model_free(resumed);
  tg_tensor_free(x);
  tg_tensor_free(y);
  unlink(path);
}

/* ---- errors ------------------------------------------------------------------------------ */

static void test_save_errors(void) {
  const int64_t s1[1] = {1};
  const double one[1] = {1};
  tg_variable *a = make_variable("a", TG_FLOAT32, s1, 1, one), *a2 = make_variable("a", TG_FLOAT32, s1, 1, one);
  tg_tensor* t = make_tensor(TG_FLOAT32, s1, 1, one);
  tg_variable* pair[2];
  char path[256], bad[256];
  path_in(path, "save.safetensors");
  path_in(bad, "no/such/dir/x.safetensors");

  CHECK_ERR(tg_checkpoint_save(NULL, &a, 1, NULL), TG_INVALID_ARGUMENT, "[tg_checkpoint_save] path is NULL");
  CHECK_ERR(tg_checkpoint_save(path, NULL, 1, NULL), TG_INVALID_ARGUMENT,
            "[tg_checkpoint_save] variables is NULL with count 1");
  pair[0] = a;
  pair[1] = NULL;
  CHECK_ERR(tg_checkpoint_save(path, pair, 2, NULL), TG_INVALID_HANDLE, "[tg_checkpoint_save] variables[1] is NULL");
  pair[1] = (tg_variable*)(void*)t;
  CHECK_ERR(tg_checkpoint_save(path, pair, 2, NULL), TG_INVALID_HANDLE,
            "[tg_checkpoint_save] variables[1] is a tg_tensor, expected a tg_variable");
  CHECK_ERR(tg_checkpoint_save(path, &a, 1, (const tg_optimizer*)(const void*)a), TG_INVALID_HANDLE,
            "[tg_checkpoint_save] optimizer is a tg_variable, expected a tg_optimizer");
  pair[1] = a2;
  CHECK_ERR(tg_checkpoint_save(path, pair, 2, NULL), TG_INVALID_ARGUMENT,
            "[tg_checkpoint_save] checkpoint_save: variables[0] and variables[1] are both named 'a'");
  CHECK(access(path, F_OK) != 0); /* nothing was written */
  CHECK_ERR(tg_checkpoint_save(bad, &a, 1, NULL), TG_IO_ERROR, "[tg_checkpoint_save] cannot write '", bad,
            "No such file or directory");
  /* Empty variable list: a file with only the metadata. */
  CHECK_OK(tg_checkpoint_save(path, NULL, 0, NULL));
  CHECK_OK(tg_checkpoint_load(path, NULL, 0, NULL));
  unlink(path);

  tg_variable_free(a);
  tg_variable_free(a2);
  tg_tensor_free(t);
}

/* A file the variables w (float32 (2)) and n (int64 ()) would load from, if it were valid. */
struct bad_file {
  const char* what;
  const char* header; /* NULL: `raw` holds the whole file */
  const char* data;
  size_t data_bytes;
  tg_status status;
  const char* message;
};

static void test_load_errors(void) {
  const int64_t s2[1] = {2};
  const double w_values[2] = {1, 2}, n_values[1] = {3};
  tg_variable *vars[2], *unnamed_w2 = NULL;
  tg_optimizer* adam = NULL;
  char path[256], missing[256];
  unsigned char *before_w, *before_n;
  size_t nw = 0, nn = 0;
  size_t i;
  /* F32 5, 6 then I64 7, little-endian */
  static const char good_data[16] = {0, 0, (char)0xa0, 0x40, 0, 0, (char)0xc0, 0x40, 7, 0, 0, 0, 0, 0, 0, 0};
  const struct bad_file cases[] = {
      {"too short", NULL, "abc", 3, TG_INVALID_ARGUMENT, "the file has 3 bytes, fewer than the 8-byte header length"},
      {"header past the end", NULL, "\x40\0\0\0\0\0\0\0{}", 10, TG_INVALID_ARGUMENT,
       "header length 64 runs past the end of the file (10 bytes)"},
      {"header too large", NULL, "\x01\xe1\xf5\x05\0\0\0\0{}", 10, TG_INVALID_ARGUMENT,
       "header length 100000001 exceeds the limit of 100000000 bytes"},
      {"not UTF-8", "{\"w\xfe\":1}", "", 0, TG_INVALID_ARGUMENT, "the header is not valid UTF-8"},
      {"not an object", "[]", "", 0, TG_INVALID_ARGUMENT, "the header does not start with '{'"},
      {"not JSON", "{\"w\":", "", 0, TG_INVALID_ARGUMENT, "the header is not valid JSON"},
      {"duplicate key",
       "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
       "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
       good_data, 8, TG_INVALID_ARGUMENT, "the header has the key 'w' twice"},
      {"gap", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", good_data, 16,
       TG_INVALID_ARGUMENT, "the tensors must tile the data buffer in order, without gaps or overlaps"},
      {"size mismatch", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}", good_data, 8,
       TG_INVALID_ARGUMENT, "tensor 'w' of dtype F32 and shape [4] needs 16 bytes, but data_offsets [0, 8] hold 8"},
      {"trailing bytes",
       "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
       "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}",
       "\0\0\xa0\x40\0\0\xc0\x40\7\0\0\0\0\0\0\0garbage", 23, TG_INVALID_ARGUMENT, "trailing bytes"},
      {"truncated",
       "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
       "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}",
       good_data, 12, TG_INVALID_ARGUMENT, "the file is truncated"},
      {"unknown dtype", "{\"w\":{\"dtype\":\"F8\",\"shape\":[2],\"data_offsets\":[0,8]}}", good_data, 8,
       TG_INVALID_ARGUMENT, "tensor 'w' has unknown dtype 'F8'"},
      {"variable missing", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", good_data, 8,
       TG_INVALID_ARGUMENT, "has no tensor named 'n' (variables[1]); the file holds 1 tensor: 'w'"},
      {"shape differs",
       "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
       "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}",
       good_data, 16, TG_INVALID_ARGUMENT, "variable 'w' (variables[0]) is float32 (2) (F32 [2]), but"},
      {"dtype differs",
       "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
       "\"n\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[8,16]}}",
       good_data, 16, TG_INVALID_ARGUMENT, "variable 'n' (variables[1]) is int64 () (I64 []), but"},
      {"no optimizer state",
       "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
       "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}",
       good_data, 16, TG_INVALID_ARGUMENT, "holds no optimizer state (no tensor 'optimizer/iterations')"},
  };

  vars[0] = make_variable("w", TG_FLOAT32, s2, 1, w_values);
  vars[1] = make_variable("n", TG_INT64, NULL, 0, n_values);
  adam = make_optimizer("adam", "learning_rate", 0.1);
  path_in(path, "bad.safetensors");
  path_in(missing, "absent.safetensors");
  before_w = value_bytes(vars[0], &nw);
  before_n = value_bytes(vars[1], &nn);

  for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    unsigned char *after_w, *after_n;
    size_t aw = 0, an = 0;
    int64_t iterations = -1;
    if (cases[i].header) write_st(path, cases[i].header, cases[i].data, cases[i].data_bytes);
    else write_bytes(path, cases[i].data, cases[i].data_bytes);
    if (!CHECK_ERR(tg_checkpoint_load(path, vars, 2, adam), cases[i].status, "[tg_checkpoint_load] ", path,
                   cases[i].message))
      fprintf(stderr, "    case: %s\n", cases[i].what);
    after_w = value_bytes(vars[0], &aw);
    after_n = value_bytes(vars[1], &an);
    CHECK(after_w && aw == nw && memcmp(after_w, before_w, nw) == 0);
    CHECK(after_n && an == nn && memcmp(after_n, before_n, nn) == 0);
    CHECK_OK(tg_optimizer_iterations(adam, &iterations));
    CHECK(iterations == 0);
    free(after_w);
    free(after_n);
  }

  CHECK_ERR(tg_checkpoint_load(missing, vars, 2, NULL), TG_IO_ERROR, "[tg_checkpoint_load] cannot open '", missing,
            "No such file or directory");
  CHECK_ERR(tg_checkpoint_load(NULL, vars, 2, NULL), TG_INVALID_ARGUMENT, "[tg_checkpoint_load] path is NULL");
  CHECK_ERR(tg_checkpoint_load(path, NULL, 2, NULL), TG_INVALID_ARGUMENT, "variables is NULL with count 2");
  CHECK_ERR(tg_checkpoint_load(path, vars, 2, (tg_optimizer*)(void*)vars[0]), TG_INVALID_HANDLE,
            "[tg_checkpoint_load] optimizer is a tg_variable, expected a tg_optimizer");

  /* The well-formed file loads; a variable of another name would not. */
  write_st(path,
           "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
           "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}",
           good_data, 16);
  CHECK_OK(tg_checkpoint_load(path, vars, 2, NULL));
  {
    const double w_loaded[2] = {5, 6}, n_loaded[1] = {7};
    check_variable(vars[0], TG_FLOAT32, s2, 1, w_loaded);
    check_variable(vars[1], TG_INT64, NULL, 0, n_loaded);
  }
  unnamed_w2 = make_variable("w2", TG_FLOAT32, s2, 1, w_values);
  CHECK_ERR(tg_checkpoint_load(path, &unnamed_w2, 1, NULL), TG_INVALID_ARGUMENT,
            "has no tensor named 'w2' (variables[0]); the file holds 2 tensors: 'n', 'w'");

  free(before_w);
  free(before_n);
  tg_variable_free(vars[0]);
  tg_variable_free(vars[1]);
  tg_variable_free(unnamed_w2);
  tg_optimizer_free(adam);
  unlink(path);
}

/* ---- any safetensors file ------------------------------------------------------------------ */

static void test_safetensors_read_write(void) {
  const int64_t s23[2] = {2, 3}, s2[1] = {2};
  const double a[6] = {1, 2, 3, 4, 5, 6}, b[2] = {-1, 1e10};
  tg_tensor *ta = make_tensor(TG_FLOAT32, s23, 2, a), *tb = make_tensor(TG_INT64, s2, 1, b), *out = NULL;
  tg_tensor* tensors[2];
  const char* names[2] = {"a", "b"};
  char path[256], half[256];
  tensors[0] = ta;
  tensors[1] = tb;
  path_in(path, "plain.safetensors");
  path_in(half, "half.safetensors");

  CHECK_OK(tg_safetensors_write(path, names, tensors, 2));
  CHECK_OK(tg_safetensors_read(path, "a", &out));
  CHECK_TENSOR(out, TG_FLOAT32, s23, 2, a, 0.0);
  tg_tensor_free(out);
  out = NULL;
  CHECK_OK(tg_safetensors_read(path, "b", &out));
  CHECK_TENSOR(out, TG_INT64, s2, 1, b, 0.0);
  tg_tensor_free(out);
  out = NULL;

  CHECK_ERR(tg_safetensors_read(path, "c", &out), TG_INVALID_ARGUMENT,
            "[tg_safetensors_read] safetensors file '", path, "' has no tensor named 'c'");
  CHECK(out == NULL);
  CHECK_ERR(tg_safetensors_read(path, NULL, &out), TG_INVALID_ARGUMENT, "[tg_safetensors_read] name is NULL");
  CHECK_ERR(tg_safetensors_read(path, "a", NULL), TG_INVALID_ARGUMENT, "out (output pointer) is NULL");
  CHECK_ERR(tg_safetensors_read(NULL, "a", &out), TG_INVALID_ARGUMENT, "path is NULL");
  names[1] = "a";
  CHECK_ERR(tg_safetensors_write(path, names, tensors, 2), TG_INVALID_ARGUMENT,
            "[tg_safetensors_write] safetensors: two tensors are named 'a'");
  names[1] = NULL;
  CHECK_ERR(tg_safetensors_write(path, names, tensors, 2), TG_INVALID_ARGUMENT, "names[1] is NULL");
  names[1] = "b";
  tensors[1] = NULL;
  CHECK_ERR(tg_safetensors_write(path, names, tensors, 2), TG_INVALID_HANDLE, "tensors[1] is NULL");
  CHECK_ERR(tg_safetensors_write(path, NULL, tensors, 1), TG_INVALID_ARGUMENT, "names or tensors is NULL with count 1");

  /* A float16 tensor (a dtype tapegrad lacks) is refused by name; its neighbour reads. */
  write_st(half,
           "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
           "\"f\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]}}",
           "\0\x3c\0\x3c\0\0\x80\x3f", 8);
  CHECK_ERR(tg_safetensors_read(half, "h", &out), TG_INVALID_ARGUMENT,
            "tensor 'h' has dtype F16, which tapegrad does not support");
  CHECK_OK(tg_safetensors_read(half, "f", &out));
  CHECK(item_of(out) == 1.0);
  tg_tensor_free(out);

  tg_tensor_free(ta);
  tg_tensor_free(tb);
  unlink(path);
  unlink(half);
}

int main(void) {
  strcpy(g_dir, "/tmp/tapegrad-c-checkpoint-XXXXXX");
  if (!mkdtemp(g_dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_round_trip();
  test_resume_is_bit_identical();
  test_save_errors();
  test_load_errors();
  test_safetensors_read_write();
  if (rmdir(g_dir) != 0) CHECK(!"the temporary directory is empty at the end (no temporary files left)");
  return check_summary();
}
