/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_layers_cnn.c — the convolution, pooling, normalization and reshape layers through the C
 * ABI, compiled as C99: Keras's defaults in tg_layer_config_init, a hand-computed Conv2D, bad
 * configurations (TG_INVALID_ARGUMENT naming the layer and the value), BatchNormalization's
 * training argument and moving statistics, a model built by its layers, the summary as text,
 * and a checkpoint round trip of a CNN with BatchNormalization.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static tg_layer_config config_of(tg_layer_type type) {
  tg_layer_config c;
  CHECK_OK(tg_layer_config_init(type, &c));
  return c;
}

static void test_defaults(void) {
  tg_layer_config c = config_of(TG_LAYER_CONV2D);
  CHECK(c.conv.strides[0] == 1 && c.conv.strides[1] == 1 && c.conv.padding == TG_PADDING_VALID);
  CHECK(c.conv.dilation_rate[0] == 1 && c.conv.groups == 1 && c.use_bias == 1);
  CHECK(c.kernel_initializer.kind == TG_INIT_GLOROT_UNIFORM && c.bias_initializer.kind == TG_INIT_ZEROS);
  c = config_of(TG_LAYER_MAX_POOLING2D);
  CHECK(c.pool.pool_size[0] == 2 && c.pool.pool_size[1] == 2 && c.pool.strides[0] == 0);
  c = config_of(TG_LAYER_BATCH_NORMALIZATION);
  CHECK(c.norm.num_axes == 1 && c.norm.axis[0] == -1 && c.norm.fused == -1);
  CHECK(c.norm.momentum == 0.99 && c.norm.epsilon == 1e-3 && c.norm.center == 1 && c.norm.scale == 1);
  CHECK(c.norm.gamma_initializer.kind == TG_INIT_ONES && c.norm.moving_variance_initializer.kind == TG_INIT_ONES);
  CHECK(c.norm.beta_initializer.kind == TG_INIT_ZEROS && c.norm.moving_mean_initializer.kind == TG_INIT_ZEROS);
  c = config_of(TG_LAYER_LAYER_NORMALIZATION);
  CHECK(c.norm.epsilon == 1e-3 && c.norm.axis[0] == -1);
  c = config_of(TG_LAYER_RESHAPE);
  CHECK(c.reshape.rank == 0);
}

static void test_conv2d_by_hand(void) {
  const int64_t x_shape[4] = {1, 3, 3, 1}, k_shape[4] = {2, 2, 1, 1}, b_shape[1] = {1}, y_shape[4] = {1, 2, 2, 1};
  const double xs[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, ks[4] = {1, 2, 3, 4}, bs[1] = {-40};
  /* Windows: 1·1 + 2·2 + 4·3 + 5·4 = 37, 47, 67, 77; −40 and relu: 0, 7, 27, 37. */
  const double want[4] = {0, 7, 27, 37};
  tg_layer_config c = config_of(TG_LAYER_CONV2D);
  tg_layer* conv = NULL;
  tg_variable *kernel = NULL, *bias = NULL;
  tg_tensor *x = make_tensor(TG_FLOAT64, x_shape, 4, xs), *k = make_tensor(TG_FLOAT64, k_shape, 4, ks),
            *b = make_tensor(TG_FLOAT64, b_shape, 1, bs), *y = NULL;
  c.dtype = TG_FLOAT64;
  c.conv.filters = 1;
  c.conv.kernel_size[0] = c.conv.kernel_size[1] = 2;
  c.activation = TG_ACTIVATION_RELU;
  CHECK_OK(tg_layer_create(&c, &conv));
  CHECK_OK(tg_layer_build(conv, x_shape, 4));
  CHECK_OK(tg_layer_variable(conv, "kernel", &kernel));
  CHECK_OK(tg_layer_variable(conv, "bias", &bias));
  CHECK_OK(tg_variable_assign(kernel, k));
  CHECK_OK(tg_variable_assign(bias, b));
  CHECK_OK(tg_layer_call(conv, x, 0, &y));
  CHECK_TENSOR(y, TG_FLOAT64, y_shape, 4, want, 0);
  {
    tg_layer_config got;
    CHECK_OK(tg_layer_get_config(conv, &got));
    CHECK(got.type == TG_LAYER_CONV2D && got.conv.filters == 1 && got.conv.kernel_size[1] == 2);
    CHECK(strcmp(got.name, "conv2d") == 0 || strncmp(got.name, "conv2d_", 7) == 0);
  }
  tg_tensor_free(y);
  tg_tensor_free(b);
  tg_tensor_free(k);
  tg_tensor_free(x);
  tg_variable_free(bias);
  tg_variable_free(kernel);
  tg_layer_free(conv);
}

static void test_bad_configs(void) {
  const int64_t rank3[3] = {-1, 28, 28};
  tg_layer* layer = NULL;
  tg_layer_config c = config_of(TG_LAYER_CONV2D);
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "[tg_layer_create]", "Conv2D", "filters=0");
  c.conv.filters = 6;
  c.conv.kernel_size[0] = 3;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "kernel_size=(3, 0)");
  c.conv.kernel_size[1] = 3;
  c.conv.groups = 4;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "evenly divisible by the number of groups",
            "groups=4, filters=6");
  c.conv.groups = 1;
  c.conv.strides[0] = 2;
  c.conv.dilation_rate[0] = 2;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "`strides > 1` not supported in conjunction");
  c.conv.strides[0] = c.conv.dilation_rate[0] = 1;
  c.conv.padding = TG_PADDING_CAUSAL;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "Causal padding is only supported for `Conv1D`");
  c.conv.padding = (tg_padding)7;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "config->conv.padding", "7 is not a tg_padding");
  c.conv.padding = TG_PADDING_VALID;
  CHECK_OK(tg_layer_create(&c, &layer));
  CHECK_ERR(tg_layer_build(layer, rank3, 3), TG_INVALID_ARGUMENT, "expected min_ndim=4, found ndim=3");
  tg_layer_free(layer);
  layer = NULL;

  c = config_of(TG_LAYER_MAX_POOLING2D);
  c.pool.pool_size[1] = -2;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "MaxPooling2D", "pool_size=(2, -2)");
  c = config_of(TG_LAYER_BATCH_NORMALIZATION);
  c.norm.num_axes = 0;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "BatchNormalization", "axis must list 1 to 8 axes");
  c.norm.num_axes = 9;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "config->norm.num_axes is 9");
  c.norm.num_axes = 1;
  c.norm.fused = 2;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "config->norm.fused is 2");
  c.norm.fused = 1;
  c.norm.axis[0] = 2;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "`fused=True` is only supported when axis is 1 or 3");
  c = config_of(TG_LAYER_LAYER_NORMALIZATION);
  c.norm.epsilon = -1;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "LayerNormalization", "epsilon must be finite and >= 0");
  c = config_of(TG_LAYER_RESHAPE);
  c.reshape.rank = 2;
  c.reshape.target_shape[0] = c.reshape.target_shape[1] = -1;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "at most one unknown dimension");
  c.reshape.rank = 8;
  CHECK_ERR(tg_layer_create(&c, &layer), TG_INVALID_ARGUMENT, "config->reshape.rank is 8; it must be in [0, 7]");
  CHECK(layer == NULL);
}

/* numpy: x (4, 2) below; y = (x − x.mean(0))/sqrt(x.var(0) + 1e-3); the non-fused update
 * with x.mean(0) = [0.5, 1.5] and x.var(0) = [2.375, 4.25]: moving_mean = 0.01·mean =
 * [0.005, 0.015], moving_variance = 0.99 + 0.01·var = [1.01375, 1.0325]. */
static void test_batch_norm_training_argument(void) {
  const int64_t shape[2] = {4, 2}, param[1] = {2};
  const double xs[8] = {0.5, -1.0, 2.0, 3.0, 1.5, 0.0, -2.0, 4.0};
  const double mean[2] = {0.5, 1.5}, var[2] = {2.375, 4.25};
  const double moving_mean[2] = {0.005, 0.015}, moving_variance[2] = {1.01375, 1.0325};
  double want[8];
  tg_layer_config c = config_of(TG_LAYER_BATCH_NORMALIZATION);
  tg_layer* bn = NULL;
  tg_variable* moving[2] = {NULL, NULL};
  tg_tensor *x = make_tensor(TG_FLOAT64, shape, 2, xs), *y = NULL, *m = NULL;
  int i;
  for (i = 0; i < 8; ++i) want[i] = (xs[i] - mean[i % 2]) / sqrt(var[i % 2] + 1e-3);
  c.dtype = TG_FLOAT64;
  CHECK_OK(tg_layer_create(&c, &bn));
  CHECK_OK(tg_layer_call(bn, x, 1, &y));
  CHECK_TENSOR(y, TG_FLOAT64, shape, 2, want, 1e-12);
  CHECK_OK(tg_layer_variable(bn, "moving_mean", &moving[0]));
  CHECK_OK(tg_layer_variable(bn, "moving_variance", &moving[1]));
  CHECK_OK(tg_variable_value(moving[0], &m));
  CHECK_TENSOR(m, TG_FLOAT64, param, 1, moving_mean, 1e-15);
  tg_tensor_free(m);
  CHECK_OK(tg_variable_value(moving[1], &m));
  CHECK_TENSOR(m, TG_FLOAT64, param, 1, moving_variance, 1e-15);
  tg_tensor_free(m);
  /* training = 0: the moving statistics, unchanged */
  tg_tensor_free(y);
  CHECK_OK(tg_layer_call(bn, x, 0, &y));
  CHECK_NEAR(element(y, 0), (0.5 - 0.005) / sqrt(1.01375 + 1e-3), 1e-12);
  CHECK_OK(tg_variable_value(moving[0], &m));
  CHECK_TENSOR(m, TG_FLOAT64, param, 1, moving_mean, 1e-15);
  {
    int trainable = -1;
    CHECK_OK(tg_variable_trainable(moving[0], &trainable));
    CHECK(trainable == 0);
  }
  tg_tensor_free(m);
  tg_tensor_free(y);
  tg_tensor_free(x);
  tg_variable_free(moving[0]);
  tg_variable_free(moving[1]);
  tg_layer_free(bn);
}

/* Reshape(8, 8, 1) → Conv2D(4, 3, relu) → BatchNormalization → MaxPooling2D → Flatten →
 * Dense(3), from layers built on their own and then added. */
static tg_model* small_cnn(uint64_t seed) {
  const int64_t in64[2] = {-1, 64}, in881[4] = {-1, 8, 8, 1}, in664[4] = {-1, 6, 6, 4},
                in334[4] = {-1, 3, 3, 4}, in36[2] = {-1, 36};
  tg_layer_config c[6];
  const int64_t* shapes[6] = {in64, in881, in664, in664, in334, in36};
  const int ranks[6] = {2, 4, 4, 4, 4, 2};
  tg_model* model = NULL;
  int i;
  c[0] = config_of(TG_LAYER_RESHAPE);
  c[0].reshape.rank = 3;
  c[0].reshape.target_shape[0] = c[0].reshape.target_shape[1] = 8;
  c[0].reshape.target_shape[2] = 1;
  c[1] = config_of(TG_LAYER_CONV2D);
  c[1].conv.filters = 4;
  c[1].conv.kernel_size[0] = c[1].conv.kernel_size[1] = 3;
  c[1].activation = TG_ACTIVATION_RELU;
  c[1].kernel_initializer.seed = seed;
  c[2] = config_of(TG_LAYER_BATCH_NORMALIZATION);
  c[3] = config_of(TG_LAYER_MAX_POOLING2D);
  c[4] = config_of(TG_LAYER_FLATTEN);
  c[5] = config_of(TG_LAYER_DENSE);
  c[5].units = 3;
  c[5].kernel_initializer.seed = seed + 1;
  CHECK_OK(tg_model_create("cnn", &model));
  for (i = 0; i < 6; ++i) {
    tg_layer* layer = NULL;
    CHECK_OK(tg_layer_create(&c[i], &layer));
    CHECK_OK(tg_layer_build(layer, shapes[i], ranks[i]));
    CHECK_OK(tg_model_add_layer(model, layer));
    tg_layer_free(layer);
  }
  return model;
}

static void test_summary_text_and_checkpoint(void) {
  const int64_t x_shape[2] = {16, 64}, y_shape[2] = {16, 3};
  char path[128], small[8], *text;
  size_t length = 0, count = 0;
  tg_model *a = small_cnn(1), *b = small_cnn(7);
  tg_optimizer* sgd = make_optimizer("sgd", "learning_rate", 0.1);
  tg_loss* cce = NULL;
  tg_tensor *x = NULL, *y = NULL, *pa = NULL, *pb = NULL, *weights_a[8], *weights_b[8];
  tg_variable* frozen[2] = {NULL, NULL};
  int i;
  snprintf(path, sizeof path, "/tmp/tapegrad-c-cnn-%ld.safetensors", (long)getpid());

  /* Built by its layers: the summary needs no tg_model_build. Keras's counts: conv 3·3·1·4 + 4
   * = 40, BN 16 (8 moving statistics), dense 36·3 + 3 = 111. */
  CHECK_OK(tg_model_summary_text(a, NULL, 0, &length));
  text = malloc(length + 1);
  CHECK(text != NULL);
  if (text) {
    size_t again = 0;
    CHECK_OK(tg_model_summary_text(a, text, length + 1, &again));
    CHECK(again == length && strlen(text) == length && text[length - 1] == '\n');
    CHECK(strstr(text, "Total params: 167 (668.00 Byte)\n") != NULL);
    CHECK(strstr(text, "Trainable params: 159 (636.00 Byte)\n") != NULL);
    CHECK(strstr(text, "Non-trainable params: 8 (32.00 Byte)\n") != NULL);
    CHECK(strstr(text, " conv2d") != NULL && strstr(text, "(None, 6, 6, 4)") != NULL);
    CHECK_OK(tg_model_summary_text(a, small, sizeof small, &again)); /* cut, as snprintf */
    CHECK(again == length && strlen(small) == sizeof small - 1 && strncmp(small, text, sizeof small - 1) == 0);
    free(text);
  }
  CHECK_ERR(tg_model_summary_text(a, NULL, 4, &length), TG_INVALID_ARGUMENT, "[tg_model_summary_text]",
            "buffer is NULL with capacity 4");
  CHECK_ERR(tg_model_summary_text(a, small, sizeof small, NULL), TG_INVALID_ARGUMENT, "length");
  CHECK_OK(tg_model_non_trainable_variables(a, frozen, 2, &count));
  CHECK(count == 2);
  {
    const char* name = NULL;
    CHECK_OK(tg_variable_name(frozen[1], &name));
    CHECK(name && strstr(name, "batch_normalization") && strstr(name, "/moving_variance:0"));
  }

  /* Train a (moving statistics change), save, load into b: b's weights and predictions follow. */
  CHECK_OK(tg_random_uniform(TG_FLOAT32, x_shape, 2, 0, 1, 3, &x));
  CHECK_OK(tg_random_uniform(TG_FLOAT32, y_shape, 2, 0, 1, 4, &y));
  CHECK_OK(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce));
  for (i = 0; i < 3; ++i) CHECK_OK(tg_model_train_step(a, cce, sgd, NULL, 0, x, y, NULL, NULL));
  CHECK_OK(tg_model_save_weights(a, path, NULL));
  CHECK_OK(tg_model_load_weights(b, path, NULL));
  CHECK_OK(tg_model_get_weights(a, weights_a, 8, &count));
  CHECK(count == 8);
  CHECK_OK(tg_model_get_weights(b, weights_b, 8, &count));
  for (i = 0; i < 8; ++i) {
    size_t n = 0, j;
    int same = 1;
    CHECK_OK(tg_tensor_size(weights_a[i], &n));
    for (j = 0; j < n; ++j) same &= element(weights_a[i], (int64_t)j) == element(weights_b[i], (int64_t)j);
    CHECK(same);
  }
  CHECK(element(weights_a[4], 0) != 0 && element(weights_a[5], 0) != 1); /* moving stats moved */
  CHECK_OK(tg_model_call(a, x, &pa));
  CHECK_OK(tg_model_call(b, x, &pb));
  CHECK(element(pa, 0) == element(pb, 0) && element(pa, 47) == element(pb, 47));

  for (i = 0; i < 8; ++i) {
    tg_tensor_free(weights_a[i]);
    tg_tensor_free(weights_b[i]);
  }
  remove(path);
  tg_variable_free(frozen[0]);
  tg_variable_free(frozen[1]);
  tg_tensor_free(pa);
  tg_tensor_free(pb);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_loss_free(cce);
  tg_optimizer_free(sgd);
  tg_model_free(a);
  tg_model_free(b);
}

int main(void) {
  test_defaults();
  test_conv2d_by_hand();
  test_bad_configs();
  test_batch_norm_training_argument();
  test_summary_text_and_checkpoint();
  return check_summary();
}
