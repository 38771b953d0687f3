/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_layers.c — Keras layers through the C ABI, compiled as C99: Dense options and
 * initializers, Dropout, Flatten, Embedding, freezing layers, Keras naming, layer handles and
 * configs, and a float64 Dense checked against numpy.
 */
#include <math.h>
#include <string.h>

#include "helpers.h"

static tg_initializer init_of(tg_initializer_kind kind, double a, double b, uint64_t seed) {
  tg_initializer i;
  i.kind = kind;
  i.a = a;
  i.b = b;
  i.seed = seed;
  return i;
}

/* Keras's Dense config with explicit initializers. */
static tg_layer_config dense_config(int64_t units, tg_activation activation, int use_bias,
                                    tg_initializer kernel, tg_initializer bias) {
  tg_layer_config c;
  CHECK_OK(tg_layer_config_init(TG_LAYER_DENSE, &c));
  c.units = units;
  c.activation = activation;
  c.use_bias = use_bias;
  c.kernel_initializer = kernel;
  c.bias_initializer = bias;
  return c;
}

/* Builds a one-Dense model on a (1, in) input and returns its kernel's values (in×units). */
static void kernel_of(tg_initializer init, int64_t in, int64_t units, double* out) {
  const int64_t shape[2] = {1, in};
  tg_model* model = NULL;
  tg_tensor *x = NULL, *y = NULL, *k = NULL;
  tg_variable* vars[2] = {NULL, NULL};
  size_t count = 0;
  int64_t i;
  CHECK_OK(tg_model_create("init", &model));
  {
    const tg_layer_config c = dense_config(units, TG_ACTIVATION_LINEAR, 1, init, init_of(TG_INIT_ZEROS, 0, 0, 0));
    CHECK_OK(tg_model_add(model, &c, NULL));
  }
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, shape, 2, 1.0, &x));
  CHECK_OK(tg_model_call(model, x, &y));
  CHECK_OK(tg_model_trainable_variables(model, vars, 2, &count));
  CHECK_OK(tg_variable_read(vars[0], &k));
  for (i = 0; i < in * units; ++i) out[i] = element(k, i);
  tg_tensor_free(k);
  tg_variable_free(vars[0]);
  tg_variable_free(vars[1]);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_model_free(model);
}

static void moments(const double* v, int64_t n, double* mean, double* var, double* max_abs) {
  int64_t i;
  double s = 0, s2 = 0, m = 0;
  for (i = 0; i < n; ++i) {
    s += v[i];
    if (fabs(v[i]) > m) m = fabs(v[i]);
  }
  *mean = s / (double)n;
  for (i = 0; i < n; ++i) s2 += (v[i] - *mean) * (v[i] - *mean);
  *var = s2 / (double)n;
  *max_abs = m;
}

/* Each Keras initializer's range and variance on a (200, 100) kernel (20,000 draws). */
static void test_initializers(void) {
  enum { IN = 200, UNITS = 100, N = IN * UNITS };
  static double w[N], w2[N];
  double mean, var, max_abs;
  kernel_of(init_of(TG_INIT_GLOROT_UNIFORM, 0, 0, 5), IN, UNITS, w);
  moments(w, N, &mean, &var, &max_abs);
  CHECK(max_abs <= sqrt(6.0 / 300.0));
  CHECK_NEAR(var, 2.0 / 300.0, 0.05 * 2.0 / 300.0); /* U(±l) has variance l²/3 */

  kernel_of(init_of(TG_INIT_GLOROT_UNIFORM, 0, 0, 5), IN, UNITS, w2);
  CHECK(memcmp(w, w2, sizeof w) == 0); /* same seed, same kernel */
  kernel_of(init_of(TG_INIT_GLOROT_UNIFORM, 0, 0, 6), IN, UNITS, w2);
  CHECK(memcmp(w, w2, sizeof w) != 0);

  kernel_of(init_of(TG_INIT_GLOROT_NORMAL, 0, 0, 1), IN, UNITS, w);
  moments(w, N, &mean, &var, &max_abs);
  CHECK_NEAR(var, 2.0 / 300.0, 0.05 * 2.0 / 300.0);
  /* truncated at two standard deviations of the underlying normal: sqrt(var)/0.8796 */
  CHECK(max_abs <= 2.0 * sqrt(2.0 / 300.0) / 0.87962566103423978 + 1e-6);

  kernel_of(init_of(TG_INIT_HE_NORMAL, 0, 0, 2), IN, UNITS, w);
  moments(w, N, &mean, &var, &max_abs);
  CHECK_NEAR(var, 2.0 / IN, 0.05 * 2.0 / IN);
  kernel_of(init_of(TG_INIT_HE_UNIFORM, 0, 0, 3), IN, UNITS, w);
  moments(w, N, &mean, &var, &max_abs);
  CHECK(max_abs <= sqrt(6.0 / IN));
  CHECK_NEAR(var, 2.0 / IN, 0.05 * 2.0 / IN);
  kernel_of(init_of(TG_INIT_LECUN_NORMAL, 0, 0, 4), IN, UNITS, w);
  moments(w, N, &mean, &var, &max_abs);
  CHECK_NEAR(var, 1.0 / IN, 0.05 * 1.0 / IN);
  kernel_of(init_of(TG_INIT_RANDOM_NORMAL, 1.0, 0.5, 7), IN, UNITS, w);
  moments(w, N, &mean, &var, &max_abs);
  CHECK_NEAR(mean, 1.0, 0.02);
  CHECK_NEAR(var, 0.25, 0.0125);
  kernel_of(init_of(TG_INIT_TRUNCATED_NORMAL, 0.0, 0.05, 8), IN, UNITS, w);
  moments(w, N, &mean, &var, &max_abs);
  CHECK(max_abs <= 0.1 + 1e-7);
  kernel_of(init_of(TG_INIT_RANDOM_UNIFORM, -0.05, 0.05, 9), IN, UNITS, w);
  moments(w, N, &mean, &var, &max_abs);
  CHECK(max_abs <= 0.05);
  kernel_of(init_of(TG_INIT_CONSTANT, 0.25, 0, 0), IN, UNITS, w);
  CHECK(w[0] == 0.25 && w[N - 1] == 0.25);
  kernel_of(init_of(TG_INIT_ONES, 0, 0, 0), IN, UNITS, w);
  CHECK(w[0] == 1.0 && w[N - 1] == 1.0);
}

static void test_dense_activations(void) {
  const int64_t shape[2] = {1, 1};
  const double x_value[1] = {-1.0};
  tg_model* model = NULL;
  tg_tensor *x = make_tensor(TG_FLOAT32, shape, 2, x_value), *y = NULL;
  const tg_initializer ones = init_of(TG_INIT_ONES, 0, 0, 0), zeros = init_of(TG_INIT_ZEROS, 0, 0, 0);
  tg_layer_config c;
  /* kernel 1, bias 0: the layer applies the activation to the input. */
  CHECK_OK(tg_model_create("act", &model));
  c = dense_config(1, TG_ACTIVATION_ELU, 1, ones, zeros);
  CHECK_OK(tg_model_add(model, &c, NULL));
  c = dense_config(1, TG_ACTIVATION_SIGMOID, 0, ones, zeros);
  CHECK_OK(tg_model_add(model, &c, NULL));
  CHECK_OK(tg_model_call(model, x, &y));
  /* elu(-1) = e⁻¹ − 1; sigmoid of that */
  CHECK_NEAR(element(y, 0), 1.0 / (1.0 + exp(-(exp(-1.0) - 1.0))), 1e-6);
  tg_tensor_free(y);
  c = dense_config(1, TG_ACTIVATION_RELU, 1, ones, zeros);
  CHECK_ERR(tg_model_add(model, &c, NULL), TG_INVALID_STATE, "[tg_model_add]", "after the model was built");
  tg_model_free(model);
  CHECK_OK(tg_model_create("bad", &model));
  c = dense_config(1, (tg_activation)99, 1, ones, zeros);
  CHECK_ERR(tg_model_add(model, &c, NULL), TG_INVALID_ARGUMENT, "unknown activation 99");
  c = dense_config(1, TG_ACTIVATION_RELU, 1, init_of((tg_initializer_kind)42, 0, 0, 0), zeros);
  CHECK_ERR(tg_model_add(model, &c, NULL), TG_INVALID_ARGUMENT, "kernel_initializer",
            "unknown initializer kind 42");
  c = dense_config(1, TG_ACTIVATION_RELU, 1, ones, zeros);
  c.type = (tg_layer_type)13;
  CHECK_ERR(tg_model_add(model, &c, NULL), TG_INVALID_ARGUMENT, "config->type 13 is not a tg_layer_type");
  c.type = TG_LAYER_DENSE;
  c.dtype = TG_INT32;
  CHECK_ERR(tg_model_add(model, &c, NULL), TG_INVALID_ARGUMENT, "dtype must be float32 or float64, got int32");
  c.dtype = (tg_dtype)9;
  CHECK_ERR(tg_model_add(model, &c, NULL), TG_INVALID_ARGUMENT, "dtype 9 is not a tg_dtype");
  CHECK_ERR(tg_model_add(model, NULL, NULL), TG_INVALID_ARGUMENT, "config is NULL");
  tg_model_free(model);
  tg_tensor_free(x);
}

/* Dropout: identity at inference; in training each element is 0 or x/(1−rate), with about
 * (1−rate) kept, a new mask per call, and the same masks on every run. */
static void test_dropout(void) {
  const int64_t shape[2] = {100, 100};
  tg_model* model = NULL;
  tg_tensor *x = NULL, *a = NULL, *b = NULL, *inference = NULL;
  int64_t i, kept = 0, same = 0;
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, shape, 2, 2.0, &x));
  tg_layer_config c;
  CHECK_OK(tg_model_create("drop", &model));
  CHECK_OK(tg_layer_config_init(TG_LAYER_DROPOUT, &c));
  c.rate = 0.25;
  c.seed = 7;
  CHECK_OK(tg_model_add(model, &c, NULL));
  CHECK_OK(tg_model_call(model, x, &inference));
  CHECK(element(inference, 0) == 2.0 && element(inference, 9999) == 2.0);
  CHECK_OK(tg_model_call_ex(model, x, 1, &a));
  CHECK_OK(tg_model_call_ex(model, x, 1, &b));
  for (i = 0; i < 10000; ++i) {
    const double v = element(a, i);
    CHECK(v == 0.0 || fabs(v - 2.0 / 0.75) < 1e-6);
    kept += v != 0.0;
    same += (v != 0.0) == (element(b, i) != 0.0);
  }
  CHECK(kept > 7300 && kept < 7700);
  CHECK(same < 9000); /* the second call drew another mask */
  tg_tensor_free(a);
  tg_tensor_free(b);
  tg_tensor_free(inference);
  tg_model_free(model);
  CHECK_OK(tg_model_create("drop", &model));
  c.rate = 1.0;
  CHECK_ERR(tg_model_add(model, &c, NULL), TG_INVALID_ARGUMENT, "[tg_model_add]", "rate must be in [0, 1)");
  tg_model_free(model);
  tg_tensor_free(x);
}

static void test_flatten_and_embedding(void) {
  const int64_t x_shape[3] = {2, 3, 4}, idx_shape[2] = {2, 3};
  const double idx_values[6] = {1, 3, 1, 0, 1, 2};
  tg_model *flat = NULL, *embed = NULL;
  tg_tensor *x = NULL, *y = NULL, *idx = make_tensor(TG_INT32, idx_shape, 2, idx_values), *e = NULL;
  tg_tensor *table = NULL, *loss = NULL, *grad = NULL;
  tg_layer* layer = NULL;
  tg_variable* vars[1] = {NULL};
  tg_tape* tape = NULL;
  size_t count = 0;
  int64_t dims[TG_MAX_RANK];
  int rank = 0, c;
  const void* targets[1];
  const void* sources[1];
  tg_layer_config config;

  CHECK_OK(tg_random_uniform(TG_FLOAT32, x_shape, 3, 0, 1, 3, &x));
  CHECK_OK(tg_model_create("flat", &flat));
  CHECK_OK(tg_layer_config_init(TG_LAYER_FLATTEN, &config));
  CHECK_OK(tg_model_add(flat, &config, NULL));
  CHECK_OK(tg_model_call(flat, x, &y));
  CHECK_OK(tg_tensor_rank(y, &rank));
  CHECK_OK(tg_tensor_shape(y, dims, TG_MAX_RANK));
  CHECK(rank == 2 && dims[0] == 2 && dims[1] == 12);
  CHECK(element(y, 13) == element(x, 13));
  tg_tensor_free(y);

  CHECK_OK(tg_model_create("embed", &embed));
  CHECK_OK(tg_layer_config_init(TG_LAYER_EMBEDDING, &config));
  config.input_dim = 5;
  config.output_dim = 2;
  config.embeddings_initializer.seed = 4; /* Keras's default RandomUniform(-0.05, 0.05) */
  CHECK_OK(tg_model_add(embed, &config, NULL));
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_OK(tg_model_call(embed, idx, &e));
  CHECK_OK(tg_reduce_sum(e, NULL, 0, 0, &loss));
  CHECK_OK(tg_tape_end(tape));
  CHECK_OK(tg_tensor_shape(e, dims, TG_MAX_RANK));
  CHECK(dims[0] == 2 && dims[1] == 3 && dims[2] == 2);
  CHECK_OK(tg_model_trainable_variables(embed, vars, 1, &count));
  CHECK(count == 1);
  {
    const char* name = NULL;
    CHECK_OK(tg_variable_name(vars[0], &name));
    CHECK(name && strcmp(name, "embed/embedding/embeddings:0") == 0);
  }
  CHECK_OK(tg_variable_read(vars[0], &table));
  CHECK(element(e, 0) == element(table, 2) && element(e, 1) == element(table, 3)); /* row 1 */
  targets[0] = loss;
  sources[0] = vars[0];
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 1, &grad));
  /* index counts: 0 once, 1 three times, 2 once, 3 once, 4 never */
  for (c = 0; c < 2; ++c) {
    CHECK(element(grad, 0 * 2 + c) == 1.0);
    CHECK(element(grad, 1 * 2 + c) == 3.0);
    CHECK(element(grad, 2 * 2 + c) == 1.0);
    CHECK(element(grad, 3 * 2 + c) == 1.0);
    CHECK(element(grad, 4 * 2 + c) == 0.0);
  }
  tg_tensor_free(grad);
  tg_tensor_free(table);
  tg_tensor_free(loss);
  tg_tensor_free(e);
  tg_tape_free(tape);
  tg_variable_free(vars[0]);
  {
    const double bad_values[1] = {5};
    const int64_t one[1] = {1};
    tg_tensor* bad = make_tensor(TG_INT32, one, 1, bad_values);
    CHECK_ERR(tg_model_call(embed, bad, &e), TG_INVALID_ARGUMENT, "[tg_model_call]", "5");
    tg_tensor_free(bad);
  }
  CHECK_ERR(tg_model_add(flat, &config, NULL), TG_INVALID_STATE, "after the model was built");
  config.input_dim = 0;
  CHECK_ERR(tg_layer_create(&config, &layer), TG_INVALID_ARGUMENT, "input_dim and output_dim must be positive");
  tg_model_free(embed);
  tg_model_free(flat);
  tg_tensor_free(idx);
  tg_tensor_free(x);
}

/* Freezing a layer moves its variables to the non-trainable list; names follow Keras. */
static void test_freezing_and_names(void) {
  const int64_t shape[2] = {1, 3};
  tg_model* model = NULL;
  tg_tensor *x = NULL, *y = NULL;
  tg_variable* vars[4] = {NULL, NULL, NULL, NULL};
  tg_layer* layer = NULL;
  size_t count = 0, layers = 0, i;
  const char* name = NULL;
  tg_layer_config c;
  int trainable = -1;
  CHECK_OK(tg_clear_session());
  CHECK_OK(tg_model_create(NULL, &model));
  CHECK_OK(add_dense(model, 2, TG_ACTIVATION_RELU, 1, 1, NULL));
  CHECK_OK(tg_layer_config_init(TG_LAYER_DROPOUT, &c));
  c.rate = 0.5;
  CHECK_OK(tg_model_add(model, &c, NULL));
  CHECK_OK(add_dense(model, 1, TG_ACTIVATION_LINEAR, 1, 2, "head"));
  CHECK_ERR(add_dense(model, 1, TG_ACTIVATION_LINEAR, 1, 2, "head"), TG_INVALID_ARGUMENT,
            "[tg_model_add]", "Name 'head' is already the name of a layer in this model");
  CHECK_OK(tg_model_num_layers(model, &layers));
  CHECK(layers == 3);
  for (i = 0; i < 3; ++i) {
    static const char* const expected[3] = {"dense", "dropout", "head"};
    CHECK_OK(tg_model_layer(model, i, &layer));
    CHECK_OK(tg_layer_name(layer, &name));
    CHECK(strcmp(name, expected[i]) == 0);
    tg_layer_free(layer);
  }
  CHECK_ERR(tg_model_layer(model, 3, &layer), TG_INVALID_ARGUMENT, "[tg_model_layer]",
            "index 3 is out of range");
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, shape, 2, 1.0, &x));
  CHECK_OK(tg_model_call(model, x, &y));
  tg_tensor_free(y);
  CHECK_OK(tg_model_layer(model, 0, &layer));
  CHECK_OK(tg_layer_set_trainable(layer, 0));
  CHECK_OK(tg_layer_trainable(layer, &trainable));
  CHECK(trainable == 0);
  CHECK_OK(tg_model_trainable_variables(model, vars, 4, &count));
  CHECK(count == 2);
  CHECK_OK(tg_variable_name(vars[0], &name));
  CHECK(strcmp(name, "sequential/head/kernel:0") == 0);
  for (i = 0; i < count; ++i) tg_variable_free(vars[i]);
  CHECK_OK(tg_model_non_trainable_variables(model, vars, 4, &count));
  CHECK(count == 2);
  CHECK_OK(tg_variable_name(vars[0], &name));
  CHECK(strcmp(name, "sequential/dense/kernel:0") == 0);
  CHECK_OK(tg_variable_trainable(vars[0], &trainable));
  CHECK(trainable == 1); /* as in Keras, the variable's own flag is unchanged */
  for (i = 0; i < count; ++i) tg_variable_free(vars[i]);
  CHECK_OK(tg_layer_set_trainable(layer, 1));
  CHECK_OK(tg_model_trainable_variables(model, NULL, 0, &count));
  CHECK(count == 4);
  tg_layer_free(layer);
  tg_model_free(model);

  /* clear_session restarts the counters */
  CHECK_OK(tg_clear_session());
  CHECK_OK(tg_model_create(NULL, &model));
  CHECK_OK(add_dense(model, 1, TG_ACTIVATION_LINEAR, 1, 0, NULL));
  CHECK_OK(tg_model_layer(model, 0, &layer));
  CHECK_OK(tg_layer_name(layer, &name));
  CHECK(strcmp(name, "dense") == 0);
  tg_layer_free(layer);
  CHECK_OK(tg_model_call(model, x, &y));
  tg_tensor_free(y);
  CHECK_OK(tg_model_trainable_variables(model, vars, 1, &count));
  CHECK_OK(tg_variable_name(vars[0], &name));
  CHECK(strcmp(name, "sequential/dense/kernel:0") == 0);
  tg_variable_free(vars[0]);
  tg_model_free(model);
  tg_tensor_free(x);
}

/* Layer handles: by index and by name, variables by their Keras names, the config round trip,
 * and a handle that outlives its model. */
static void test_layer_handles(void) {
  const int64_t input_shape[2] = {-1, 3};
  tg_model* model = NULL;
  tg_layer *by_index = NULL, *by_name = NULL, *copy = NULL;
  tg_variable *kernel = NULL, *bias = NULL, *vars[3] = {NULL, NULL, NULL};
  tg_layer_config c, back;
  size_t count = 0;
  const char* name = NULL;
  int64_t dims[TG_MAX_RANK];
  CHECK_OK(tg_model_create("handles", &model));
  CHECK_OK(tg_layer_config_init(TG_LAYER_DENSE, &c));
  c.units = 4;
  c.activation = TG_ACTIVATION_TANH;
  c.name = "hidden";
  c.dtype = TG_FLOAT64;
  c.kernel_initializer = init_of(TG_INIT_HE_NORMAL, 0, 0, 9);
  CHECK_OK(tg_model_add(model, &c, &by_index));
  CHECK(by_index != NULL);
  CHECK_OK(add_dense(model, 2, TG_ACTIVATION_LINEAR, 1, 3, "out"));
  CHECK_OK(tg_model_layer_by_name(model, "hidden", &by_name));
  CHECK_ERR(tg_model_layer_by_name(model, "tail", &copy), TG_INVALID_ARGUMENT,
            "[tg_model_layer_by_name]", "No such layer: tail. Existing layers are: ['hidden', 'out'].");
  CHECK_ERR(tg_model_layer_by_name(model, NULL, &copy), TG_INVALID_ARGUMENT, "name is NULL");

  /* before build: no variables */
  CHECK_ERR(tg_layer_variable(by_name, "kernel", &kernel), TG_INVALID_STATE, "[tg_layer_variable]",
            "Dense 'hidden' has no variables yet");
  CHECK_OK(tg_layer_variables(by_name, NULL, 0, &count));
  CHECK(count == 0);
  CHECK_OK(tg_model_build(model, input_shape, 2));
  CHECK_OK(tg_layer_variable(by_name, "kernel", &kernel));
  CHECK_OK(tg_layer_variable(by_index, "bias", &bias));
  CHECK_OK(tg_variable_name(kernel, &name));
  CHECK(strcmp(name, "handles/hidden/kernel:0") == 0);
  CHECK_OK(tg_variable_shape(kernel, dims, TG_MAX_RANK));
  CHECK(dims[0] == 3 && dims[1] == 4);
  CHECK_OK(tg_variable_name(bias, &name));
  CHECK(strcmp(name, "handles/hidden/bias:0") == 0);
  CHECK_ERR(tg_layer_variable(by_name, "gamma", &kernel), TG_INVALID_ARGUMENT,
            "Dense 'hidden' has no variable 'gamma'; its variables are: kernel, bias");
  CHECK_OK(tg_layer_variables(by_name, vars, 3, &count));
  CHECK(count == 2 && vars[2] == NULL);
  tg_variable_free(vars[0]);
  tg_variable_free(vars[1]);

  /* the config round trip: every field as given, and the resolved name */
  CHECK_OK(tg_layer_get_config(by_name, &back));
  CHECK(back.type == TG_LAYER_DENSE && back.units == 4 && back.activation == TG_ACTIVATION_TANH);
  CHECK(back.dtype == TG_FLOAT64 && back.use_bias == 1 && back.trainable == 1);
  CHECK(back.kernel_initializer.kind == TG_INIT_HE_NORMAL && back.kernel_initializer.seed == 9);
  CHECK(back.bias_initializer.kind == TG_INIT_ZEROS);
  CHECK(strcmp(back.name, "hidden") == 0);
  CHECK_OK(tg_layer_create(&back, &copy));
  CHECK_OK(tg_layer_name(copy, &name));
  CHECK(strcmp(name, "hidden") == 0);
  tg_layer_free(copy);

  /* the handles keep the layer (and its variables) alive after the model is freed */
  CHECK_OK(tg_model_free(model));
  CHECK_OK(tg_layer_name(by_index, &name));
  CHECK(strcmp(name, "hidden") == 0);
  CHECK_OK(tg_layer_variable(by_index, "kernel", &vars[0]));
  tg_variable_free(vars[0]);
  CHECK_ERR(tg_layer_name((const tg_layer*)kernel, &name), TG_INVALID_HANDLE,
            "is a tg_variable, expected a tg_layer");
  CHECK_OK(tg_layer_free(by_index));
  CHECK_OK(tg_layer_free(by_name));
  CHECK_OK(tg_layer_free(NULL));
  CHECK_ERR(tg_layer_free(by_name), TG_INVALID_HANDLE, "[tg_layer_free]");
  tg_variable_free(kernel);
  tg_variable_free(bias);

  /* defaults of every type */
  CHECK_OK(tg_layer_config_init(TG_LAYER_EMBEDDING, &c));
  CHECK(c.embeddings_initializer.kind == TG_INIT_RANDOM_UNIFORM);
  CHECK(c.embeddings_initializer.a == -0.05 && c.embeddings_initializer.b == 0.05);
  CHECK(c.name == NULL && c.dtype == TG_FLOAT32 && c.trainable == 1);
  CHECK_OK(tg_layer_config_init(TG_LAYER_DENSE, &c));
  CHECK(c.kernel_initializer.kind == TG_INIT_GLOROT_UNIFORM && c.use_bias == 1 && c.units == 0);
  CHECK(c.activation == TG_ACTIVATION_LINEAR && c.bias_initializer.kind == TG_INIT_ZEROS);
  CHECK_ERR(tg_layer_config_init((tg_layer_type)13, &c), TG_INVALID_ARGUMENT, "type 13");
  CHECK_ERR(tg_layer_config_init(TG_LAYER_DENSE, NULL), TG_INVALID_ARGUMENT, "out");
}

/* A float64 Dense, on its own: out = tanh(x·K + b), and the gradients of
 * loss = Σ w ⊙ out. The expected numbers come from numpy (float64):
 *   x = [[1, 2, 3], [-1, 0.5, 2]]; K = [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]; b = [0.01, -0.02]
 *   w = [[1, 2], [3, 4]]; y = np.tanh(x @ K + b); g = w * (1 - y**2)
 *   dK = x.T @ g; db = g.sum(0); dx = g @ K.T */
static void test_float64_dense_values(void) {
  const int64_t x_shape[2] = {2, 3}, k_shape[2] = {3, 2}, b_shape[1] = {2}, y_shape[2] = {2, 2};
  const double x_v[6] = {1, 2, 3, -1, 0.5, 2};
  const double k_v[6] = {0.1, -0.2, 0.3, 0.4, -0.5, 0.6}, b_v[2] = {0.01, -0.02}, w_v[4] = {1, 2, 3, 4};
  const double want_y[4] = {-0.658409035955251, 0.9830142742967113, -0.7352222529158692,
                            0.9186018928570671};
  const double want_dk[6] = {-0.8118471750794641, -0.5573163766998339, 1.8221674409709245,
                             0.44707287099446735, 4.456182057021313, 1.4514621186887686};
  const double want_db[2] = {1.9448422578244182, 0.6920481228154742};
  const double want_dx[6] = {0.04317657952568367, 0.19689561163487115, -0.2428292468515464,
                             0.012898021693663286, 0.663376314838644, -0.31436300837137815};
  tg_tensor* x = make_tensor(TG_FLOAT64, x_shape, 2, x_v);
  tg_tensor* x32 = make_tensor(TG_FLOAT32, x_shape, 2, x_v);
  tg_tensor* k = make_tensor(TG_FLOAT64, k_shape, 2, k_v);
  tg_tensor* b = make_tensor(TG_FLOAT64, b_shape, 1, b_v);
  tg_tensor* w = make_tensor(TG_FLOAT64, y_shape, 2, w_v);
  tg_tensor *y = NULL, *wy = NULL, *loss = NULL, *grads[3] = {NULL, NULL, NULL};
  tg_layer* dense = NULL;
  tg_variable *kernel = NULL, *bias = NULL;
  tg_tape* tape = NULL;
  tg_layer_config c;
  tg_dtype dtype = TG_FLOAT32;
  const void* targets[1];
  const void* sources[3];

  CHECK_OK(tg_layer_config_init(TG_LAYER_DENSE, &c));
  c.units = 2;
  c.activation = TG_ACTIVATION_TANH;
  c.dtype = TG_FLOAT64;
  CHECK_OK(tg_layer_create(&c, &dense));
  CHECK_OK(tg_layer_build(dense, x_shape, 2));
  CHECK_OK(tg_layer_variable(dense, "kernel", &kernel));
  CHECK_OK(tg_layer_variable(dense, "bias", &bias));
  CHECK_OK(tg_variable_dtype(kernel, &dtype));
  CHECK(dtype == TG_FLOAT64);
  CHECK_OK(tg_variable_assign(kernel, k));
  CHECK_OK(tg_variable_assign(bias, b));

  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_tape_watch(tape, x));
  CHECK_OK(tg_layer_call(dense, x, 0, &y));
  CHECK_OK(tg_mul(y, w, &wy));
  CHECK_OK(tg_reduce_sum(wy, NULL, 0, 0, &loss));
  CHECK_OK(tg_tape_end(tape));
  CHECK_TENSOR(y, TG_FLOAT64, y_shape, 2, want_y, 1e-14);
  targets[0] = loss;
  sources[0] = kernel;
  sources[1] = bias;
  sources[2] = x;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 3, grads));
  CHECK_TENSOR(grads[0], TG_FLOAT64, k_shape, 2, want_dk, 1e-14);
  CHECK_TENSOR(grads[1], TG_FLOAT64, b_shape, 1, want_db, 1e-14);
  CHECK_TENSOR(grads[2], TG_FLOAT64, x_shape, 2, want_dx, 1e-14);
  tg_tensor_free(y);

  /* a float32 input is cast to the layer's float64 (Keras autocast) */
  CHECK_OK(tg_layer_call(dense, x32, 0, &y));
  CHECK_TENSOR(y, TG_FLOAT64, y_shape, 2, want_y, 1e-7); /* x32 holds the same numbers */

  tg_tensor_free(y);
  tg_tensor_free(wy);
  tg_tensor_free(loss);
  tg_tensor_free(grads[0]);
  tg_tensor_free(grads[1]);
  tg_tensor_free(grads[2]);
  tg_tape_free(tape);
  tg_variable_free(kernel);
  tg_variable_free(bias);
  tg_layer_free(dense);
  tg_tensor_free(x);
  tg_tensor_free(x32);
  tg_tensor_free(k);
  tg_tensor_free(b);
  tg_tensor_free(w);
}

int main(void) {
  test_initializers();
  test_dense_activations();
  test_dropout();
  test_flatten_and_embedding();
  test_freezing_and_names();
  test_layer_handles();
  test_float64_dense_values();
  return check_summary();
}
