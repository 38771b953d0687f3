/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_model.c — models through the C ABI, compiled as C99: build from a shape, Keras's
 * summary table (compared with the text Keras 2.15 prints), get/set weights, and checkpoints
 * keyed by the model's structure (a second model with other automatic names loads the file,
 * a mismatch changes nothing, the optimizer's state round-trips).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static tg_status add_layer(tg_model* model, tg_layer_type type, const char* name) {
  tg_layer_config c;
  const tg_status s = tg_layer_config_init(type, &c);
  if (s != TG_OK) return s;
  c.name = name;
  c.rate = 0.5;
  return tg_model_add(model, &c, NULL);
}

/* Everything tg_model_summary writes, as a NUL-terminated string (NULL on failure). */
static char* summary_of(const tg_model* model) {
  FILE* f = tmpfile();
  char* text = NULL;
  long n;
  if (!f) return NULL;
  if (CHECK_OK(tg_model_summary(model, f)) && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
      fseek(f, 0, SEEK_SET) == 0) {
    text = (char*)calloc((size_t)n + 1, 1);
    if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
      free(text);
      text = NULL;
    }
  }
  fclose(f);
  return text;
}

static void check_text(const char* got, const char* want) {
  if (!CHECK(got && strcmp(got, want) == 0)) fprintf(stderr, "got:\n%s\nwant:\n%s\n", got ? got : "(null)", want);
}

/* The table as Keras 2.15 prints it (keras/utils/layer_utils.py print_summary): 65-column
 * lines, columns ending at 29, 55, 65, an all-spaces line after each layer, and parameter
 * memory by dtype: 1056 float32 = 4224 bytes = 4.12 KB, 330 float64 = 2640 bytes = 2.58 KB. */
static void test_build_and_summary(void) {
  const int64_t shape[3] = {-1, 4, 8};
  tg_model* model = NULL;
  tg_layer* head = NULL;
  tg_layer_config c;
  size_t count = 9;
  char* text;
  CHECK_OK(tg_clear_session());
  CHECK_OK(tg_model_create("my_model", &model));
  CHECK_OK(add_layer(model, TG_LAYER_FLATTEN, NULL));
  CHECK_OK(add_dense(model, 32, TG_ACTIVATION_RELU, 1, 1, NULL));
  CHECK_OK(add_layer(model, TG_LAYER_DROPOUT, NULL));
  CHECK_OK(tg_layer_config_init(TG_LAYER_DENSE, &c));
  c.units = 10;
  c.name = "head";
  c.dtype = TG_FLOAT64;
  c.trainable = 0;
  CHECK_OK(tg_model_add(model, &c, &head));

  CHECK_ERR(tg_model_summary(model, stdout), TG_INVALID_STATE, "[tg_model_summary]",
            "This model has not yet been built. Build the model first by calling `build()` or by "
            "calling the model on a batch of data.");
  CHECK_ERR(tg_model_build(model, shape, 0), TG_INVALID_ARGUMENT, "[tg_model_build]",
            "must start with the batch dimension");
  CHECK_ERR(tg_model_build(model, NULL, 3), TG_INVALID_ARGUMENT, "input_shape is NULL");
  CHECK_ERR(tg_model_build(model, (const int64_t[]){-1, -1}, 2), TG_INVALID_ARGUMENT,
            "Dense 'dense': the last dimension of the inputs should be defined");
  CHECK_OK(tg_model_get_weights(model, NULL, 0, &count));
  CHECK(count == 0);
  CHECK_OK(tg_model_build(model, shape, 3));
  CHECK_OK(tg_model_get_weights(model, NULL, 0, &count));
  CHECK(count == 4); /* built without a call */
  CHECK_OK(tg_model_build(model, (const int64_t[]){16, 4, 8}, 3)); /* a known batch fits */
  CHECK_ERR(tg_model_build(model, (const int64_t[]){-1, 4, 9}, 3), TG_INVALID_ARGUMENT,
            "was built for inputs of shape (None, 4, 8), not (None, 4, 9)");

  text = summary_of(model);
  check_text(text,
             "Model: \"my_model\"\n"
             "_________________________________________________________________\n"
             " Layer (type)                Output Shape              Param #   \n"
             "=================================================================\n"
             " flatten (Flatten)           (None, 32)                0         \n"
             "                                                                 \n"
             " dense (Dense)               (None, 32)                1056      \n"
             "                                                                 \n"
             " dropout (Dropout)           (None, 32)                0         \n"
             "                                                                 \n"
             " head (Dense)                (None, 10)                330       \n"
             "                                                                 \n"
             "=================================================================\n"
             "Total params: 1386 (6.70 KB)\n"
             "Trainable params: 1056 (4.12 KB)\n"
             "Non-trainable params: 330 (2.58 KB)\n"
             "_________________________________________________________________\n");
  free(text);
  CHECK_ERR(tg_model_summary(model, NULL), TG_INVALID_ARGUMENT, "stream is NULL");
  CHECK_OK(tg_layer_free(head));
  CHECK_OK(tg_model_free(model));

  /* A name longer than its column continues on the next line, as in Keras; no parameters
   * print as "0 (0.00 Byte)". */
  CHECK_OK(tg_model_create("wide", &model));
  CHECK_OK(add_dense(model, 2, TG_ACTIVATION_LINEAR, 1, 1, "a_very_long_layer_name_that_wraps"));
  CHECK_OK(tg_model_build(model, (const int64_t[]){-1, 3}, 2));
  text = summary_of(model);
  check_text(text,
             "Model: \"wide\"\n"
             "_________________________________________________________________\n"
             " Layer (type)                Output Shape              Param #   \n"
             "=================================================================\n"
             " a_very_long_layer_name_tha  (None, 2)                 8         \n"
             " t_wraps (Dense)                                                 \n"
             "                                                                 \n"
             "=================================================================\n"
             "Total params: 8 (32.00 Byte)\n"
             "Trainable params: 8 (32.00 Byte)\n"
             "Non-trainable params: 0 (0.00 Byte)\n"
             "_________________________________________________________________\n");
  free(text);
  CHECK_OK(tg_model_free(model));
}

/* Concatenated bytes of every weight of the model (tg_model_get_weights order). */
static size_t weight_bytes(const tg_model* model, unsigned char* out, size_t capacity) {
  tg_tensor* weights[8] = {NULL};
  size_t count = 0, used = 0, i;
  CHECK_OK(tg_model_get_weights(model, weights, 8, &count));
  for (i = 0; i < count && i < 8; ++i) {
    size_t n = 0;
    tg_dtype dtype = TG_FLOAT32;
    tg_tensor_size(weights[i], &n);
    tg_tensor_dtype(weights[i], &dtype);
    n *= dtype == TG_FLOAT64 ? 8 : 4;
    if (used + n <= capacity) CHECK_OK(tg_tensor_copy_data(weights[i], out + used, n));
    used += n;
    tg_tensor_free(weights[i]);
  }
  return used;
}

static void test_get_and_set_weights(void) {
  const int64_t k_shape[2] = {3, 2}, b_shape[1] = {2}, wrong_shape[1] = {3};
  const double k[6] = {1, 2, 3, 4, 5, 6}, b[2] = {-1, -2}, nines[6] = {9, 9, 9, 9, 9, 9};
  tg_model* model = NULL;
  tg_tensor *weights[2] = {NULL, NULL}, *values[2], *wrong = NULL;
  unsigned char before[64], after[64];
  size_t count = 0, n;
  CHECK_OK(tg_model_create("weights", &model));
  CHECK_OK(add_dense(model, 2, TG_ACTIVATION_LINEAR, 1, 5, NULL));
  CHECK_OK(tg_model_build(model, (const int64_t[]){-1, 3}, 2));
  CHECK_OK(tg_model_get_weights(model, weights, 1, &count));
  CHECK(count == 2 && weights[1] == NULL); /* only `capacity` handles are written */
  tg_tensor_free(weights[0]);
  CHECK_ERR(tg_model_get_weights(model, NULL, 2, &count), TG_INVALID_ARGUMENT, "weights is NULL");

  values[0] = make_tensor(TG_FLOAT32, k_shape, 2, k);
  values[1] = make_tensor(TG_FLOAT32, b_shape, 1, b);
  CHECK_OK(tg_model_set_weights(model, values, 2));
  CHECK_OK(tg_model_get_weights(model, weights, 2, &count));
  CHECK_TENSOR(weights[0], TG_FLOAT32, k_shape, 2, k, 0);
  CHECK_TENSOR(weights[1], TG_FLOAT32, b_shape, 1, b, 0);
  tg_tensor_free(weights[0]);
  tg_tensor_free(weights[1]);

  /* errors are found before anything changes */
  n = weight_bytes(model, before, sizeof before);
  CHECK_ERR(tg_model_set_weights(model, values, 1), TG_INVALID_ARGUMENT, "[tg_model_set_weights]",
            "with a weight list of length 1, but the layer was expecting 2 weights");
  wrong = make_tensor(TG_FLOAT32, wrong_shape, 1, k);
  tg_tensor_free(values[0]);
  values[0] = make_tensor(TG_FLOAT32, k_shape, 2, nines); /* valid, but must not be assigned */
  values[1] = wrong;
  CHECK_ERR(tg_model_set_weights(model, values, 2), TG_INVALID_ARGUMENT,
            "weight shape (2) is not compatible with provided weight shape (3)");
  CHECK_ERR(tg_model_set_weights(model, NULL, 2), TG_INVALID_ARGUMENT, "weights is NULL");
  CHECK(weight_bytes(model, after, sizeof after) == n && memcmp(before, after, n) == 0);
  tg_tensor_free(values[0]);
  tg_tensor_free(wrong);
  CHECK_OK(tg_model_free(model));
}

/* A model with automatic names: each one made gets new ones (dense_2, dense_3, ...). */
static tg_model* mlp(uint64_t seed, int hidden, int with_dropout) {
  tg_model* model = NULL;
  CHECK_OK(tg_model_create(NULL, &model));
  CHECK_OK(add_dense(model, hidden, TG_ACTIVATION_RELU, 1, seed, NULL));
  if (with_dropout) CHECK_OK(add_layer(model, TG_LAYER_DROPOUT, NULL));
  CHECK_OK(add_dense(model, 4, TG_ACTIVATION_LINEAR, 1, seed + 1, NULL));
  CHECK_OK(tg_model_build(model, (const int64_t[]){-1, 8}, 2));
  return model;
}

static void test_structural_checkpoints(void) {
  const int64_t x_shape[2] = {16, 8}, y_shape[2] = {16, 4};
  char path[256], other[256];
  tg_tensor *x = NULL, *y = NULL;
  tg_model *a = mlp(1, 16, 0), *b = mlp(50, 16, 1), *narrow = mlp(7, 15, 0), *unbuilt = NULL;
  tg_optimizer *adam_a = NULL, *adam_b = NULL, *adam_narrow = NULL;
  unsigned char bytes_a[2048], bytes_b[2048];
  size_t n_a, n_b;
  int64_t it = -1;
  int step;
  const char* name = NULL;
  tg_variable* first = NULL;
  snprintf(path, sizeof path, "/tmp/tapegrad-c-model-%ld.safetensors", (long)getpid());
  snprintf(other, sizeof other, "/tmp/tapegrad-c-model-%ld-vars.safetensors", (long)getpid());
  CHECK_OK(tg_random_uniform(TG_FLOAT32, x_shape, 2, -1, 1, 3, &x));
  CHECK_OK(tg_random_uniform(TG_FLOAT32, y_shape, 2, 0, 1, 4, &y));
  adam_a = make_optimizer("adam", "learning_rate", 0.01, "amsgrad", 1.0); /* three slots */
  adam_b = make_optimizer("adam", "learning_rate", 0.01, "amsgrad", 1.0);
  adam_narrow = make_optimizer("adam", "learning_rate", 0.01, "amsgrad", 1.0);

  /* b's variables have other names than a's ("sequential_2/dense_3/kernel:0") */
  {
    char name_a[128];
    CHECK_OK(tg_model_trainable_variables(a, &first, 1, &n_a));
    CHECK_OK(tg_variable_name(first, &name));
    snprintf(name_a, sizeof name_a, "%s", name);
    tg_variable_free(first);
    CHECK_OK(tg_model_trainable_variables(b, &first, 1, &n_b));
    CHECK_OK(tg_variable_name(first, &name));
    CHECK(strcmp(name, name_a) != 0 && strstr(name, "/kernel:0") != NULL);
    tg_variable_free(first);
  }

  for (step = 0; step < 2; ++step) train_step(a, adam_a, x, y);
  CHECK_OK(tg_model_save_weights(a, path, adam_a));
  CHECK_OK(tg_model_load_weights(b, path, adam_b));
  n_a = weight_bytes(a, bytes_a, sizeof bytes_a);
  n_b = weight_bytes(b, bytes_b, sizeof bytes_b);
  CHECK(n_a == n_b && memcmp(bytes_a, bytes_b, n_a) == 0);
  CHECK_OK(tg_optimizer_iterations(adam_b, &it));
  CHECK(it == 2);
  /* both continue identically: the optimizer's slots came along */
  for (step = 0; step < 2; ++step) {
    train_step(a, adam_a, x, y);
    train_step(b, adam_b, x, y);
  }
  n_a = weight_bytes(a, bytes_a, sizeof bytes_a);
  n_b = weight_bytes(b, bytes_b, sizeof bytes_b);
  CHECK(n_a == n_b && memcmp(bytes_a, bytes_b, n_a) == 0);

  /* another architecture: the first mismatch is named and nothing changes */
  train_step(narrow, adam_narrow, x, y);
  n_b = weight_bytes(narrow, bytes_b, sizeof bytes_b);
  CHECK_ERR(tg_model_load_weights(narrow, path, adam_narrow), TG_INVALID_ARGUMENT,
            "[tg_model_load_weights]", "load_weights: variable", "(layer 0 '", "(Dense), variable 'kernel')",
            "is float32 (8,15)", "holds F32 [8, 16] under 'layer_with_weights-0/kernel'");
  n_a = weight_bytes(narrow, bytes_a, sizeof bytes_a);
  CHECK(n_a == n_b && memcmp(bytes_a, bytes_b, n_a) == 0);
  CHECK_OK(tg_optimizer_iterations(adam_narrow, &it));
  CHECK(it == 1);

  /* a name-keyed checkpoint is not a model checkpoint */
  {
    tg_variable* vars[4];
    size_t count = 0, i;
    CHECK_OK(tg_model_trainable_variables(a, vars, 4, &count));
    CHECK_OK(tg_checkpoint_save(other, vars, count, NULL));
    for (i = 0; i < count; ++i) tg_variable_free(vars[i]);
  }
  CHECK_ERR(tg_model_load_weights(b, other, NULL), TG_INVALID_ARGUMENT, "the file holds no model weights");
  CHECK_OK(tg_model_create("unbuilt", &unbuilt));
  CHECK_OK(add_dense(unbuilt, 2, TG_ACTIVATION_LINEAR, 1, 0, NULL));
  CHECK_ERR(tg_model_save_weights(unbuilt, path, NULL), TG_INVALID_STATE, "[tg_model_save_weights]",
            "has not created its variables yet");
  CHECK_ERR(tg_model_load_weights(unbuilt, path, NULL), TG_INVALID_STATE, "has not created its variables yet");
  CHECK_ERR(tg_model_save_weights(a, NULL, NULL), TG_INVALID_ARGUMENT, "path is NULL");
  CHECK_ERR(tg_model_load_weights(a, "/nonexistent/dir/w.safetensors", NULL), TG_IO_ERROR, "No such file");
  CHECK_ERR(tg_model_save_weights(a, path, (const tg_optimizer*)x), TG_INVALID_HANDLE,
            "optimizer is a tg_tensor");

  unlink(path);
  unlink(other);
  tg_model_free(a);
  tg_model_free(b);
  tg_model_free(narrow);
  tg_model_free(unbuilt);
  tg_optimizer_free(adam_a);
  tg_optimizer_free(adam_b);
  tg_optimizer_free(adam_narrow);
  tg_tensor_free(x);
  tg_tensor_free(y);
}

/* tg_model_add_layer shares a layer: built by the first model (variables named after it), the
 * same variables in the second; a second layer of the same name, a built model and bad handles
 * are refused without changing the model. */
static void test_add_existing_layer(void) {
  const int64_t shape[2] = {-1, 3};
  tg_model *first = NULL, *second = NULL;
  tg_layer *dense = NULL, *other = NULL;
  tg_layer_config c;
  tg_variable *a = NULL, *b = NULL;
  uint64_t id_a = 0, id_b = 1;
  const char* name = NULL;
  size_t layers = 9;
  CHECK_OK(tg_clear_session());
  CHECK_OK(tg_layer_config_init(TG_LAYER_DENSE, &c));
  c.units = 2;
  CHECK_OK(tg_layer_create(&c, &dense));
  CHECK_OK(tg_layer_create(&c, &other)); /* "dense_1" */
  CHECK_OK(tg_model_create("first", &first));
  CHECK_OK(tg_model_create("second", &second));
  CHECK_OK(tg_model_add_layer(first, dense));
  CHECK_OK(tg_model_build(first, shape, 2));
  CHECK_OK(tg_layer_variable(dense, "kernel", &a));
  CHECK_OK(tg_variable_name(a, &name));
  CHECK(name && strcmp(name, "first/dense/kernel:0") == 0);
  CHECK_OK(tg_model_add_layer(second, dense));
  CHECK_ERR(tg_model_add_layer(second, dense), TG_INVALID_ARGUMENT, "[tg_model_add_layer]",
            "should have unique names");
  CHECK_OK(tg_model_build(second, shape, 2));
  CHECK_OK(tg_model_num_layers(second, &layers));
  CHECK(layers == 1);
  CHECK_ERR(tg_model_add_layer(second, other), TG_INVALID_STATE, "[tg_model_add_layer]");
  CHECK_OK(tg_model_trainable_variables(second, &b, 1, &layers));
  CHECK_OK(tg_variable_id(a, &id_a));
  CHECK_OK(tg_variable_id(b, &id_b));
  CHECK(layers == 2 && id_a == id_b);
  CHECK_ERR(tg_model_add_layer(second, NULL), TG_INVALID_HANDLE, "[tg_model_add_layer]");
  CHECK_ERR(tg_model_add_layer(NULL, other), TG_INVALID_HANDLE, "[tg_model_add_layer]");
  CHECK_ERR(tg_model_add_layer(first, (tg_layer*)first), TG_INVALID_HANDLE, "[tg_model_add_layer]");
  tg_variable_free(a);
  tg_variable_free(b);
  tg_layer_free(dense);
  tg_layer_free(other);
  tg_model_free(first);
  tg_model_free(second);
}

int main(void) {
  test_build_and_summary();
  test_get_and_set_weights();
  test_structural_checkpoints();
  test_add_existing_layer();
  return check_summary();
}
