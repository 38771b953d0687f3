/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fashion-MNIST from C: a multilayer perceptron (or a small CNN) trained with tg_model_fit on
 * the data of Debian's dataset-fashion-mnist package (gzip'd IDX files, read with zlib), as
 * Keras would:
 *
 *   model = Sequential([Dense(256, "relu"), Dense(128, "relu"), Dense(10)])
 *   model.compile(Adam(), SparseCategoricalCrossentropy(from_logits=True), ["accuracy"])
 *   model.fit(x_train, y_train, batch_size=128, epochs=8, validation_data=(x_test, y_test))
 *   model.evaluate(x_test, y_test); model.save_weights(path)
 *
 * --model cnn trains instead (with --batch-norm, a BatchNormalization after each Conv2D):
 *
 *   Sequential([Reshape((28, 28, 1)), Conv2D(32, 3, activation="relu"), MaxPooling2D(2),
 *               Conv2D(64, 3, activation="relu"), MaxPooling2D(2), Flatten(),
 *               Dense(128, "relu"), Dropout(0.5), Dense(10)])
 *   with Adam(CosineDecay(1e-3, decay_steps=every step of the run)).
 *
 *   fashion_mnist [--model mlp|cnn] [--batch-norm] [--epochs N] [--batch-size N] [--seed N]
 *                 [--threads N] [--data DIR] [--save PATH] [--load PATH] [--limit N]
 *   --epochs defaults to 8 for the MLP and 12 for the CNN; --load PATH resumes from saved
 *   weights and optimizer state (--epochs 0: evaluate only); --save '' saves nothing;
 *   --limit N uses the first N training and test images.
 *
 * fashion_mnist_mpi is the same program built with TAPEGRAD_EXAMPLE_MPI and libtapegrad_mpi:
 * under `mpirun -np N fashion_mnist_mpi ...` the ranks train one model together (data
 * parallelism, docs/distributed.md): --batch-size is the global batch, rank 0 prints and saves,
 * and it reports the time spent in gradient allreduces per step.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "tapegrad/tapegrad.h"
#ifdef TAPEGRAD_EXAMPLE_MPI
#include <time.h>

#include "tapegrad/tapegrad_mpi.h"
#endif

static void check(tg_status status, const char* what) {
  if (status == TG_OK) return;
  fprintf(stderr, "fashion_mnist: %s: %s\n", what, tg_last_error_message());
  exit(1);
}

static void die(const char* message, const char* detail) {
  fprintf(stderr, "fashion_mnist: %s: %s\n", message, detail);
  exit(1);
}

static void usage(const char* bad_option) {
  fprintf(stderr, "fashion_mnist: unknown option %s\nusage: fashion_mnist [--model mlp|cnn] [--batch-norm] "
          "[--epochs N] [--batch-size N] [--seed N] [--threads N] [--data DIR] [--save PATH] [--load PATH] "
          "[--limit N]\n", bad_option);
  exit(2);
}

typedef struct {
  long epochs, batch_size, seed, threads, limit;
  const char *data, *save, *load;
  int cnn, batch_norm;
} options;

static options parse_options(int argc, char** argv) {
  /* The default output is in the build tree (DEFAULT_OUTPUT_DIR), never the source tree. */
  options o = {-1, 128, 1, 0, 0, "/usr/share/datasets/fashion-mnist",
               DEFAULT_OUTPUT_DIR "/fashion_mnist.safetensors", NULL, 0, 0};
  int i;
  for (i = 1; i < argc; i += 2) {
    const char *name = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    char* end = NULL;
    if (!strcmp(name, "--batch-norm")) { /* the only option without a value */
      o.batch_norm = 1;
      --i;
      continue;
    }
    if (!value) die("missing value for", name);
    long* number = !strcmp(name, "--epochs")       ? &o.epochs
                   : !strcmp(name, "--batch-size") ? &o.batch_size
                   : !strcmp(name, "--seed")       ? &o.seed
                   : !strcmp(name, "--threads")    ? &o.threads
                   : !strcmp(name, "--limit")      ? &o.limit
                                                   : NULL;
    if (number && ((*number = strtol(value, &end, 10)) < 0 || *end)) die("not a number >= 0", value);
    else if (!strcmp(name, "--data")) o.data = value;
    else if (!strcmp(name, "--save")) o.save = value;
    else if (!strcmp(name, "--load")) o.load = value;
    else if (!strcmp(name, "--model")) {
      if (strcmp(value, "mlp") && strcmp(value, "cnn")) die("--model is mlp or cnn, not", value);
      o.cnn = !strcmp(value, "cnn");
    } else if (!number) usage(name);
  }
  if (o.batch_norm && !o.cnn) die("--batch-norm needs", "--model cnn");
  if (o.epochs < 0) o.epochs = o.cnn ? 12 : 8;
  return o;
}

/* Reads "<dir>/<name>-{images-idx3,labels-idx1}-ubyte.gz" (at most `limit` items if not 0):
 * the images as float32 (N, 784) scaled to [0, 1] in *x and the labels as int32 (N) in *y. */
static void load_split(const char* dir, const char* name, long limit, tg_tensor** x, tg_tensor** y) {
  static const char* const kinds[2] = {"images-idx3", "labels-idx1"};
  int64_t n = 0, shape[2] = {0, 784};
  unsigned char header[16];
  int k;
  for (k = 0; k < 2; ++k) {
    char path[4096];
    const size_t header_size = k == 0 ? 16 : 8, item = k == 0 ? 784 : 1;
    size_t i;
    unsigned char* bytes;
    gzFile f;
    snprintf(path, sizeof path, "%s/%s-%s-ubyte.gz", dir, name, kinds[k]);
    if (!(f = gzopen(path, "rb"))) die("cannot open (install the Debian package dataset-fashion-mnist)", path);
    if (gzread(f, header, (unsigned)header_size) != (int)header_size || header[2] != 8 || header[3] != 3 - 2 * k)
      die("not an IDX file of unsigned bytes of the expected rank", path);
    n = (int64_t)header[4] << 24 | header[5] << 16 | header[6] << 8 | header[7];
    if (limit && n > limit) n = limit;
    shape[0] = n;
    bytes = malloc((size_t)n * item);
    if (!bytes || gzread(f, bytes, (unsigned)((size_t)n * item)) != (int)((size_t)n * item)) die("cannot read", path);
    gzclose(f);
    if (k == 0) {
      float* pixels = malloc((size_t)n * item * sizeof(float));
      if (!pixels) die("out of memory reading", path);
      for (i = 0; i < (size_t)n * item; ++i) pixels[i] = bytes[i] / 255.0f;
      check(tg_tensor_create(TG_FLOAT32, shape, 2, pixels, x), "the images");
      free(pixels);
    } else {
      int32_t* labels = malloc((size_t)n * sizeof(int32_t));
      if (!labels) die("out of memory reading", path);
      for (i = 0; i < (size_t)n; ++i) labels[i] = bytes[i];
      check(tg_tensor_create(TG_INT32, shape, 1, labels, y), "the labels");
      free(labels);
    }
    free(bytes);
  }
}

/* Dense(256, relu) → Dense(128, relu) → Dense(10), kernels drawn from `seed`. */
static tg_model* mlp(long seed) {
  static const int64_t units[3] = {256, 128, 10};
  const int64_t input_shape[2] = {-1, 784};
  tg_model* model;
  tg_layer_config dense;
  int i;
  check(tg_model_create("mlp", &model), "tg_model_create");
  check(tg_layer_config_init(TG_LAYER_DENSE, &dense), "tg_layer_config_init");
  for (i = 0; i < 3; ++i) {
    dense.units = units[i];
    dense.activation = i < 2 ? TG_ACTIVATION_RELU : TG_ACTIVATION_LINEAR;
    dense.kernel_initializer.seed = (uint64_t)seed * 100 + (uint64_t)i;
    check(tg_model_add(model, &dense, NULL), "tg_model_add");
  }
  check(tg_model_build(model, input_shape, 2), "tg_model_build");
  return model;
}

static void add(tg_model* model, const tg_layer_config* c) { check(tg_model_add(model, c, NULL), "tg_model_add"); }

static tg_layer_config config_of(tg_layer_type type) { /* Keras's defaults */
  tg_layer_config c;
  check(tg_layer_config_init(type, &c), "tg_layer_config_init");
  return c;
}

/* Conv2D(filters, 3, relu) [→ BatchNormalization] → MaxPooling2D(2). */
static void add_conv_block(tg_model* model, int64_t filters, uint64_t seed, int batch_norm) {
  const tg_layer_config batch_norm_config = config_of(TG_LAYER_BATCH_NORMALIZATION),
                        pool = config_of(TG_LAYER_MAX_POOLING2D); /* pool_size (2, 2) */
  tg_layer_config conv = config_of(TG_LAYER_CONV2D);
  conv.conv.filters = filters;
  conv.conv.kernel_size[0] = conv.conv.kernel_size[1] = 3;
  conv.activation = TG_ACTIVATION_RELU;
  conv.kernel_initializer.seed = seed;
  add(model, &conv);
  if (batch_norm) add(model, &batch_norm_config);
  add(model, &pool);
}

/* Reshape(28, 28, 1) → [Conv2D(32, 3, relu) → MaxPooling2D(2)] → [Conv2D(64, 3, relu) →
 * MaxPooling2D(2)] → Flatten → Dense(128, relu) → Dropout(0.5) → Dense(10). */
static tg_model* cnn(long seed, int batch_norm) {
  const int64_t input_shape[2] = {-1, 784};
  tg_model* model;
  tg_layer_config reshape = config_of(TG_LAYER_RESHAPE), flatten = config_of(TG_LAYER_FLATTEN),
                  dense = config_of(TG_LAYER_DENSE), dropout = config_of(TG_LAYER_DROPOUT);
  check(tg_model_create(batch_norm ? "cnn_bn" : "cnn", &model), "tg_model_create");
  reshape.reshape.rank = 3;
  reshape.reshape.target_shape[0] = reshape.reshape.target_shape[1] = 28;
  reshape.reshape.target_shape[2] = 1;
  add(model, &reshape);
  add_conv_block(model, 32, (uint64_t)seed * 100, batch_norm);
  add_conv_block(model, 64, (uint64_t)seed * 100 + 1, batch_norm);
  add(model, &flatten);
  dense.units = 128;
  dense.activation = TG_ACTIVATION_RELU;
  dense.kernel_initializer.seed = (uint64_t)seed * 100 + 2;
  add(model, &dense);
  dropout.rate = 0.5;
  dropout.seed = (uint64_t)seed;
  add(model, &dropout);
  dense.units = 10;
  dense.activation = TG_ACTIVATION_LINEAR;
  dense.kernel_initializer.seed = (uint64_t)seed * 100 + 3;
  add(model, &dense);
  check(tg_model_build(model, input_shape, 2), "tg_model_build");
  return model;
}

#ifdef TAPEGRAD_EXAMPLE_MPI
/* The MPI replica, wrapped to time its allreduces: the transport hook is a plain struct of
 * functions, so a program can interpose its own. */
static const tg_replica* mpi_replica;
static double allreduce_seconds;
static long allreduce_calls;

static tg_status timed_allreduce(void* context, void* buffer, size_t count, tg_dtype dtype) {
  struct timespec a, b;
  tg_status s;
  clock_gettime(CLOCK_MONOTONIC, &a);
  s = mpi_replica->allreduce_sum(context, buffer, count, dtype);
  clock_gettime(CLOCK_MONOTONIC, &b);
  allreduce_seconds += (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
  ++allreduce_calls;
  return s;
}
#endif

int main(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  tg_tensor *x_train, *y_train, *x_test, *y_test;
  tg_model* model = o.cnn ? cnn(o.seed, o.batch_norm) : mlp(o.seed);
  tg_loss* loss;
  tg_optimizer* adam;
  tg_metric* accuracy;
  double results[2];
  int rank = 0;
#ifdef TAPEGRAD_EXAMPLE_MPI
  tg_mpi* mpi;
  tg_replica timed;
  int size;
  check(tg_mpi_init(&argc, &argv, &mpi), "tg_mpi_init");
  check(tg_mpi_rank(mpi, &rank), "tg_mpi_rank");
  check(tg_mpi_size(mpi, &size), "tg_mpi_size");
  check(tg_mpi_replica(mpi, &mpi_replica), "tg_mpi_replica");
  timed = *mpi_replica;
  timed.allreduce_sum = timed_allreduce;
  if (rank != 0 && !freopen("/dev/null", "w", stdout)) die("cannot silence rank", "stdout");
#endif

  check(tg_set_num_threads((size_t)o.threads), "tg_set_num_threads");
  load_split(o.data, "train", o.limit, &x_train, &y_train);
  load_split(o.data, "t10k", o.limit, &x_test, &y_test);
  check(tg_loss_sparse_categorical_crossentropy(1, 0, 0, TG_REDUCTION_AUTO, &loss), "loss");
  check(tg_optimizer_create("adam", &adam), "Adam");
  if (o.cnn && o.epochs > 0) { /* Adam(CosineDecay(1e-3, decay_steps=the run's steps)) */
    int64_t dims[2];
    check(tg_tensor_shape(x_train, dims, 2), "tg_tensor_shape");
    check(tg_optimizer_set_cosine_decay(adam, 1e-3, (dims[0] + o.batch_size - 1) / o.batch_size * o.epochs, 0.0),
          "CosineDecay");
  }
  check(tg_metric_auto_accuracy(&accuracy), "accuracy");
  printf("tapegrad %s: Fashion-MNIST %s, batch %ld, seed %ld\n", tg_version(),
         o.cnn ? (o.batch_norm ? "CNN with batch normalization" : "CNN") : "MLP 784-256-128-10", o.batch_size, o.seed);
#ifdef TAPEGRAD_EXAMPLE_MPI
  printf("%d ranks: global batch %ld, %ld samples per rank and step\n", size, o.batch_size, o.batch_size / size);
#endif
  if (o.cnn) check(tg_model_summary(model, stdout), "tg_model_summary");
  if (o.load) {
    check(tg_model_load_weights(model, o.load, adam), o.load);
    printf("loaded %s\n", o.load);
  }
#ifdef TAPEGRAD_EXAMPLE_MPI
  check(tg_model_broadcast(model, adam, 0, mpi_replica), "tg_model_broadcast"); /* rank 0's weights everywhere */
#endif

  if (o.epochs > 0) {
    tg_fit_options fit;
    tg_callback* progress_bar;
    /* A bar redrawn in place on a terminal, one line per epoch in a log. */
    check(tg_callback_progress_bar(stdout, isatty(STDOUT_FILENO) ? 1 : 2, &progress_bar), "progress bar");
    check(tg_fit_options_init(&fit), "tg_fit_options_init");
    fit.epochs = o.epochs;
    fit.batch_size = (size_t)o.batch_size;
    fit.seed = (uint64_t)o.seed;
    fit.validation_x = x_test;
    fit.validation_y = y_test;
    fit.callbacks = &progress_bar;
    fit.num_callbacks = 1;
#ifdef TAPEGRAD_EXAMPLE_MPI
    fit.replica = &timed;
#endif
    check(tg_model_fit(model, loss, adam, &accuracy, 1, x_train, y_train, &fit, NULL), "fit");
    tg_callback_free(progress_bar);
#ifdef TAPEGRAD_EXAMPLE_MPI
    {
      int64_t dims[2], steps;
      check(tg_tensor_shape(x_train, dims, 2), "tg_tensor_shape");
      steps = (dims[0] + o.batch_size - 1) / o.batch_size * o.epochs;
      printf("allreduce: %ld calls, %.3f ms per step (%lld steps), %.1f s in all\n", allreduce_calls,
             1e3 * allreduce_seconds / (double)steps, (long long)steps, allreduce_seconds);
    }
#endif
  }

  check(tg_model_evaluate(model, loss, &accuracy, 1, x_test, y_test, NULL, results, 2), "evaluate");
  printf("test loss %.4f, test accuracy %.4f\n", results[0], results[1]);
  if (o.epochs > 0 && o.save[0] && rank == 0) {
    check(tg_model_save_weights(model, o.save, adam), o.save);
    printf("saved %s (weights and optimizer state; --load it to resume or evaluate)\n", o.save);
  }

  tg_metric_free(accuracy);
  tg_optimizer_free(adam);
  tg_loss_free(loss);
  tg_model_free(model);
  tg_tensor_free(x_train);
  tg_tensor_free(y_train);
  tg_tensor_free(x_test);
  tg_tensor_free(y_test);
#ifdef TAPEGRAD_EXAMPLE_MPI
  check(tg_mpi_free(mpi), "tg_mpi_free");
  check(tg_mpi_finalize(), "tg_mpi_finalize");
#endif
  return 0;
}
