/*
 * test_layers.c — Keras layers through the C ABI, compiled as C99: Dense options and
 * initializers, Dropout, Flatten, Embedding, freezing layers, and Keras naming.
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

/* Builds a one-Dense model on a (1, in) input and returns its kernel's values (in×units). */
static void kernel_of(tg_initializer init, int64_t in, int64_t units, double* out) {
  const int64_t shape[2] = {1, in};
  tg_model* model = NULL;
  tg_tensor *x = NULL, *y = NULL, *k = NULL;
  tg_variable* vars[2] = {NULL, NULL};
  size_t count = 0;
  int64_t i;
  CHECK_OK(tg_model_create("init", &model));
  CHECK_OK(tg_model_add_dense_ex(model, units, TG_ACTIVATION_LINEAR, 1, init,
                                 init_of(TG_INIT_ZEROS, 0, 0, 0), NULL));
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
  /* kernel 1, bias 0: the layer applies the activation to the input. */
  CHECK_OK(tg_model_create("act", &model));
  CHECK_OK(tg_model_add_dense_ex(model, 1, TG_ACTIVATION_ELU, 1, init_of(TG_INIT_ONES, 0, 0, 0),
                                 init_of(TG_INIT_ZEROS, 0, 0, 0), NULL));
  CHECK_OK(tg_model_add_dense_ex(model, 1, TG_ACTIVATION_SIGMOID, 0, init_of(TG_INIT_ONES, 0, 0, 0),
                                 init_of(TG_INIT_ZEROS, 0, 0, 0), NULL));
  CHECK_OK(tg_model_call(model, x, &y));
  /* elu(-1) = e⁻¹ − 1; sigmoid of that */
  CHECK_NEAR(element(y, 0), 1.0 / (1.0 + exp(-(exp(-1.0) - 1.0))), 1e-6);
  tg_tensor_free(y);
  CHECK_ERR(tg_model_add_dense_ex(model, 1, (tg_activation)99, 1, init_of(TG_INIT_ONES, 0, 0, 0),
                                  init_of(TG_INIT_ZEROS, 0, 0, 0), NULL),
            TG_INVALID_STATE, "[tg_model_add_dense_ex]", "already built");
  tg_model_free(model);
  CHECK_OK(tg_model_create("bad", &model));
  CHECK_ERR(tg_model_add_dense_ex(model, 1, (tg_activation)99, 1, init_of(TG_INIT_ONES, 0, 0, 0),
                                  init_of(TG_INIT_ZEROS, 0, 0, 0), NULL),
            TG_INVALID_ARGUMENT, "unknown activation 99");
  CHECK_ERR(tg_model_add_dense_ex(model, 1, TG_ACTIVATION_RELU, 1, init_of((tg_initializer_kind)42, 0, 0, 0),
                                  init_of(TG_INIT_ZEROS, 0, 0, 0), NULL),
            TG_INVALID_ARGUMENT, "kernel_initializer", "unknown initializer kind 42");
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
  CHECK_OK(tg_model_create("drop", &model));
  CHECK_OK(tg_model_add_dropout(model, 0.25, 7, NULL));
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
  CHECK_ERR(tg_model_add_dropout(model, 1.0, 0, NULL), TG_INVALID_ARGUMENT, "[tg_model_add_dropout]",
            "rate must be in [0, 1)");
  tg_model_free(model);
  tg_tensor_free(x);
}

static void test_flatten_and_embedding(void) {
  const int64_t x_shape[3] = {2, 3, 4}, idx_shape[2] = {2, 3};
  const double idx_values[6] = {1, 3, 1, 0, 1, 2};
  tg_model *flat = NULL, *embed = NULL;
  tg_tensor *x = NULL, *y = NULL, *idx = make_tensor(TG_INT32, idx_shape, 2, idx_values), *e = NULL;
  tg_tensor *table = NULL, *loss = NULL, *grad = NULL;
  tg_variable* vars[1] = {NULL};
  tg_tape* tape = NULL;
  size_t count = 0;
  int64_t dims[TG_MAX_RANK];
  int rank = 0, c;
  const void* targets[1];
  const void* sources[1];

  CHECK_OK(tg_random_uniform(TG_FLOAT32, x_shape, 3, 0, 1, 3, &x));
  CHECK_OK(tg_model_create("flat", &flat));
  CHECK_OK(tg_model_add_flatten(flat, NULL));
  CHECK_OK(tg_model_call(flat, x, &y));
  CHECK_OK(tg_tensor_rank(y, &rank));
  CHECK_OK(tg_tensor_shape(y, dims, TG_MAX_RANK));
  CHECK(rank == 2 && dims[0] == 2 && dims[1] == 12);
  CHECK(element(y, 13) == element(x, 13));
  tg_tensor_free(y);

  CHECK_OK(tg_model_create("embed", &embed));
  CHECK_OK(tg_model_add_embedding(embed, 5, 2, init_of(TG_INIT_RANDOM_UNIFORM, -0.05, 0.05, 4), NULL));
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
  CHECK_ERR(tg_model_add_embedding(flat, 0, 2, init_of(TG_INIT_ZEROS, 0, 0, 0), NULL),
            TG_INVALID_STATE, "already built");
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
  size_t count = 0, layers = 0, i;
  const char* name = NULL;
  CHECK_OK(tg_clear_session());
  CHECK_OK(tg_model_create(NULL, &model));
  CHECK_OK(tg_model_add_dense(model, 2, TG_ACTIVATION_RELU, 1, 1, NULL));
  CHECK_OK(tg_model_add_dropout(model, 0.5, 1, NULL));
  CHECK_OK(tg_model_add_dense(model, 1, TG_ACTIVATION_LINEAR, 1, 2, "head"));
  CHECK_OK(tg_model_num_layers(model, &layers));
  CHECK(layers == 3);
  CHECK_OK(tg_model_layer_name(model, 0, &name));
  CHECK(strcmp(name, "dense") == 0);
  CHECK_OK(tg_model_layer_name(model, 1, &name));
  CHECK(strcmp(name, "dropout") == 0);
  CHECK_OK(tg_model_layer_name(model, 2, &name));
  CHECK(strcmp(name, "head") == 0);
  CHECK_ERR(tg_model_layer_name(model, 3, &name), TG_INVALID_ARGUMENT, "index 3 is out of range");
  CHECK_OK(tg_tensor_fill(TG_FLOAT32, shape, 2, 1.0, &x));
  CHECK_OK(tg_model_call(model, x, &y));
  tg_tensor_free(y);
  CHECK_OK(tg_model_set_layer_trainable(model, 0, 0));
  CHECK_OK(tg_model_trainable_variables(model, vars, 4, &count));
  CHECK(count == 2);
  CHECK_OK(tg_variable_name(vars[0], &name));
  CHECK(strcmp(name, "sequential/head/kernel:0") == 0);
  for (i = 0; i < count; ++i) tg_variable_free(vars[i]);
  CHECK_OK(tg_model_non_trainable_variables(model, vars, 4, &count));
  CHECK(count == 2);
  CHECK_OK(tg_variable_name(vars[0], &name));
  CHECK(strcmp(name, "sequential/dense/kernel:0") == 0);
  {
    int trainable = 0;
    CHECK_OK(tg_variable_trainable(vars[0], &trainable));
    CHECK(trainable == 1); /* as in Keras, the variable's own flag is unchanged */
  }
  for (i = 0; i < count; ++i) tg_variable_free(vars[i]);
  CHECK_OK(tg_model_set_layer_trainable(model, 0, 1));
  CHECK_OK(tg_model_trainable_variables(model, NULL, 0, &count));
  CHECK(count == 4);
  CHECK_ERR(tg_model_set_layer_trainable(model, 9, 0), TG_INVALID_ARGUMENT, "[tg_model_set_layer_trainable]");
  tg_model_free(model);

  /* clear_session restarts the counters */
  CHECK_OK(tg_clear_session());
  CHECK_OK(tg_model_create(NULL, &model));
  CHECK_OK(tg_model_add_dense(model, 1, TG_ACTIVATION_LINEAR, 1, 0, NULL));
  CHECK_OK(tg_model_layer_name(model, 0, &name));
  CHECK(strcmp(name, "dense") == 0);
  CHECK_OK(tg_model_call(model, x, &y));
  tg_tensor_free(y);
  CHECK_OK(tg_model_trainable_variables(model, vars, 1, &count));
  CHECK_OK(tg_variable_name(vars[0], &name));
  CHECK(strcmp(name, "sequential/dense/kernel:0") == 0);
  tg_variable_free(vars[0]);
  tg_model_free(model);
  tg_tensor_free(x);
}

int main(void) {
  test_initializers();
  test_dense_activations();
  test_dropout();
  test_flatten_and_embedding();
  test_freezing_and_names();
  return check_summary();
}
