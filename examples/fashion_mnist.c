/*
 * Fashion-MNIST from C: trains a multilayer perceptron with tapegrad's C ABI on the data of
 * Debian's dataset-fashion-mnist package (gzip'd IDX files, read with zlib), shows progress,
 * reports train and test accuracy per epoch, and saves a checkpoint that a later run can
 * load (--load) to evaluate or continue training.
 *
 *   fashion_mnist [--epochs N] [--batch-size N] [--learning-rate F] [--hidden 256,128]
 *                 [--seed N] [--threads N] [--checkpoint PATH] [--load PATH] [--data DIR]
 *                 [--limit N]   (use only the first N training and test images: smoke tests)
 *
 * Legend: N = samples, P = 784 pixels, C = 10 classes, B = batch size.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "tapegrad/tapegrad.h"

#define PIXELS 784
#define CLASSES 10
#define MAX_LAYERS 8

static void check(tg_status status, const char* what) {
  if (status != TG_OK) {
    fprintf(stderr, "\n%s failed: %s: %s\n", what, tg_status_string(status),
            tg_last_error_message());
    exit(1);
  }
}

static void die(const char* message, const char* detail) {
  fprintf(stderr, "fashion_mnist: %s%s%s\n", message, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

/* ---- options ---------------------------------------------------------------------------- */

typedef struct {
  int epochs;
  int batch_size;
  double learning_rate;
  int64_t hidden[MAX_LAYERS];
  int num_hidden;
  uint64_t seed;
  int threads;
  const char* checkpoint; /* written after training; "" = none */
  const char* load;       /* read before training; NULL = start fresh */
  const char* data_dir;
  int64_t limit; /* 0 = every image */
} options;

static void usage(void) {
  fputs("usage: fashion_mnist [--epochs N] [--batch-size N] [--learning-rate F] [--hidden 256,128]\n"
        "                     [--seed N] [--threads N] [--checkpoint PATH] [--load PATH] [--data DIR]\n"
        "                     [--limit N]\n"
        "  --epochs 0 with --load evaluates a saved model without training.\n"
        "  --checkpoint '' saves nothing.\n",
        stderr);
  exit(2);
}

static long parse_long(const char* s, const char* name, long min) {
  char* end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || *end || v < min) die("invalid value for", name);
  return v;
}

static options parse_options(int argc, char** argv) {
  options o;
  int i;
  o.epochs = 8;
  o.batch_size = 128;
  o.learning_rate = 1e-3;
  o.hidden[0] = 256;
  o.hidden[1] = 128;
  o.num_hidden = 2;
  o.seed = 1;
  o.threads = 0;
  o.checkpoint = "fashion_mnist.safetensors";
  o.load = NULL;
  o.data_dir = "/usr/share/datasets/fashion-mnist";
  o.limit = 0;
  for (i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) usage();
    if (!value) usage();
    ++i;
    if (!strcmp(arg, "--epochs")) {
      o.epochs = (int)parse_long(value, arg, 0);
    } else if (!strcmp(arg, "--batch-size")) {
      o.batch_size = (int)parse_long(value, arg, 1);
    } else if (!strcmp(arg, "--learning-rate")) {
      char* end;
      o.learning_rate = strtod(value, &end);
      if (*end || !(o.learning_rate > 0)) die("invalid value for", arg);
    } else if (!strcmp(arg, "--hidden")) {
      char* copy = malloc(strlen(value) + 1);
      char* token;
      strcpy(copy, value);
      o.num_hidden = 0;
      for (token = strtok(copy, ","); token; token = strtok(NULL, ",")) {
        if (o.num_hidden == MAX_LAYERS) die("too many hidden layers", value);
        o.hidden[o.num_hidden++] = parse_long(token, arg, 1);
      }
      free(copy);
    } else if (!strcmp(arg, "--seed")) {
      o.seed = (uint64_t)parse_long(value, arg, 0);
    } else if (!strcmp(arg, "--threads")) {
      o.threads = (int)parse_long(value, arg, 0);
    } else if (!strcmp(arg, "--checkpoint")) {
      o.checkpoint = value;
    } else if (!strcmp(arg, "--load")) {
      o.load = value;
    } else if (!strcmp(arg, "--data")) {
      o.data_dir = value;
    } else if (!strcmp(arg, "--limit")) {
      o.limit = parse_long(value, arg, 1);
    } else {
      usage();
    }
  }
  return o;
}

/* ---- data: gzip'd IDX files ------------------------------------------------------------- */

typedef struct {
  float* images;          /* (N, P), scaled to [0, 1] */
  int32_t* labels;        /* (N,) */
  int64_t n;
} dataset;

static uint32_t read_be32(gzFile f, const char* path) {
  unsigned char b[4];
  if (gzread(f, b, 4) != 4) die("truncated IDX file", path);
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Reads an IDX file of unsigned bytes (magic 0x0801 labels, 0x0803 images) into *out. */
static unsigned char* read_idx(const char* path, uint32_t magic, int64_t* count) {
  gzFile f = gzopen(path, "rb");
  unsigned char* data;
  int64_t n, item = 1;
  uint32_t dims, i;
  if (!f) die("cannot open (install the Debian package dataset-fashion-mnist)", path);
  if (read_be32(f, path) != magic) die("not an IDX file of the expected kind", path);
  dims = magic & 0xff;
  n = read_be32(f, path);
  for (i = 1; i < dims; ++i) item *= read_be32(f, path);
  data = malloc((size_t)(n * item));
  if (!data) die("out of memory reading", path);
  if (gzread(f, data, (unsigned)(n * item)) != (int)(n * item)) die("truncated IDX file", path);
  gzclose(f);
  *count = n;
  return data;
}

static dataset load_split(const char* dir, const char* prefix) {
  char path[4096];
  dataset d;
  int64_t n_images, n_labels, i;
  unsigned char *pixels, *labels;
  snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
  pixels = read_idx(path, 0x0803, &n_images);
  snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
  labels = read_idx(path, 0x0801, &n_labels);
  if (n_images != n_labels) die("image and label counts differ", prefix);
  d.n = n_images;
  d.images = malloc((size_t)(d.n * PIXELS) * sizeof(float));
  d.labels = malloc((size_t)d.n * sizeof(int32_t));
  if (!d.images || !d.labels) die("out of memory", NULL);
  for (i = 0; i < d.n * PIXELS; ++i) d.images[i] = pixels[i] / 255.0f;
  for (i = 0; i < d.n; ++i) d.labels[i] = labels[i];
  free(pixels);
  free(labels);
  return d;
}

/* ---- shuffling: splitmix64, so runs are reproducible from --seed ------------------------ */

static uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Writes a random permutation of the training set into (images, labels) (Fisher–Yates). */
static void shuffle_into(const dataset* d, uint64_t* rng, int64_t* order, float* images,
                         int32_t* labels) {
  int64_t i;
  for (i = 0; i < d->n; ++i) order[i] = i;
  for (i = d->n - 1; i > 0; --i) {
    int64_t j = (int64_t)(splitmix64(rng) % (uint64_t)(i + 1)), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (i = 0; i < d->n; ++i) {
    memcpy(images + i * PIXELS, d->images + order[i] * PIXELS, PIXELS * sizeof(float));
    labels[i] = d->labels[order[i]];
  }
}

/* ---- model ------------------------------------------------------------------------------ */

typedef struct {
  tg_model* model;
  tg_variable* vars[2 * (MAX_LAYERS + 1)];
  size_t num_vars;
  tg_loss* loss;        /* SparseCategoricalCrossentropy(from_logits=True) */
  tg_metric* accuracy;  /* SparseCategoricalAccuracy */
} mlp;

static mlp build_mlp(const options* o) {
  mlp m;
  int i;
  int64_t shape[2] = {1, PIXELS};
  tg_tensor *probe, *out;
  tg_layer_config dense;
  check(tg_model_create("mlp", &m.model), "tg_model_create");
  check(tg_layer_config_init(TG_LAYER_DENSE, &dense), "tg_layer_config_init");
  dense.activation = TG_ACTIVATION_RELU;
  for (i = 0; i < o->num_hidden; ++i) {
    dense.units = o->hidden[i];
    dense.kernel_initializer.seed = o->seed * 100 + (uint64_t)i;
    check(tg_model_add(m.model, &dense, NULL), "tg_model_add");
  }
  dense.units = CLASSES;
  dense.activation = TG_ACTIVATION_LINEAR;
  dense.kernel_initializer.seed = o->seed * 100 + 99;
  check(tg_model_add(m.model, &dense, NULL), "tg_model_add");
  /* One call on a dummy batch builds the variables. */
  check(tg_tensor_fill(TG_FLOAT32, shape, 2, 0.0, &probe), "tg_tensor_fill");
  check(tg_model_call(m.model, probe, &out), "build the model");
  tg_tensor_free(out);
  tg_tensor_free(probe);
  check(tg_model_trainable_variables(m.model, m.vars, 2 * (MAX_LAYERS + 1), &m.num_vars),
        "tg_model_trainable_variables");
  check(tg_loss_sparse_categorical_crossentropy(1, 0, 0, TG_REDUCTION_AUTO, &m.loss), "loss");
  check(tg_metric_sparse_categorical_accuracy(&m.accuracy), "metric");
  return m;
}

/* A tensor over rows [first, first + rows) of a row-major (N, width) float array, no copy. */
static tg_tensor* rows_of(float* data, int64_t first, int64_t rows, int64_t width) {
  int64_t shape[2];
  tg_tensor* t;
  shape[0] = rows;
  shape[1] = width;
  check(tg_tensor_wrap(TG_FLOAT32, shape, 2, data + first * width, NULL, NULL, &t), "tg_tensor_wrap");
  return t;
}

/* The labels [first, first + rows) as an int32 tensor (rows,), no copy. */
static tg_tensor* labels_of(int32_t* labels, int64_t first, int64_t rows) {
  tg_tensor* t;
  check(tg_tensor_wrap(TG_INT32, &rows, 1, labels + first, NULL, NULL, &t), "tg_tensor_wrap");
  return t;
}

static double accuracy(mlp* m, const dataset* d) {
  const int64_t chunk = 1000;
  int64_t first;
  double value;
  check(tg_metric_reset(m->accuracy), "accuracy.reset_state()");
  for (first = 0; first < d->n; first += chunk) {
    const int64_t rows = d->n - first < chunk ? d->n - first : chunk;
    tg_tensor *x = rows_of(d->images, first, rows, PIXELS), *y = labels_of(d->labels, first, rows);
    tg_tensor* logits;
    check(tg_model_call(m->model, x, &logits), "model(x)");
    check(tg_metric_update(m->accuracy, y, logits, NULL), "accuracy.update_state()");
    tg_tensor_free(logits);
    tg_tensor_free(y);
    tg_tensor_free(x);
  }
  check(tg_metric_result(m->accuracy, &value), "accuracy.result()");
  return value;
}

/* ---- progress --------------------------------------------------------------------------- */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void show_progress(int epoch, int epochs, int64_t done, int64_t total, double seconds,
                          double loss) {
  const int width = 30;
  int filled = (int)(width * done / total), i;
  printf("\repoch %d/%d [", epoch, epochs);
  for (i = 0; i < width; ++i) putchar(i < filled ? '=' : (i == filled ? '>' : ' '));
  printf("] %6lld/%lld  %7.0f samples/s  loss %.4f", (long long)done, (long long)total,
         seconds > 0 ? done / seconds : 0.0, loss);
  fflush(stdout);
}

/* ---- training --------------------------------------------------------------------------- */

static double train_epoch(mlp* m, tg_optimizer* opt, const dataset* train, const options* o,
                          int epoch, uint64_t* rng, int64_t* order, float* images, int32_t* labels,
                          int interactive) {
  const double start = now_seconds();
  double loss_sum = 0, last_shown = 0;
  int64_t first, batches = 0;
  const void* sources[2 * (MAX_LAYERS + 1)];
  tg_tensor* grads[2 * (MAX_LAYERS + 1)];
  size_t i;
  for (i = 0; i < m->num_vars; ++i) sources[i] = m->vars[i];
  shuffle_into(train, rng, order, images, labels);
  for (first = 0; first < train->n; first += o->batch_size) {
    const int64_t rows = train->n - first < o->batch_size ? train->n - first : o->batch_size;
    tg_tensor *x = rows_of(images, first, rows, PIXELS), *y = labels_of(labels, first, rows);
    tg_tensor *logits, *loss;
    tg_tape* tape;
    const void* targets[1];
    double value;
    check(tg_tape_begin(TG_TAPE_DEFAULT, &tape), "tape");
    check(tg_model_call(m->model, x, &logits), "model(x)");
    check(tg_loss_call(m->loss, y, logits, NULL, &loss), "loss");
    check(tg_tape_end(tape), "tape end");
    targets[0] = loss;
    check(tg_tape_gradient(tape, targets, 1, sources, m->num_vars, grads), "tape.gradient");
    check(tg_optimizer_apply(opt, m->vars, grads, m->num_vars, NULL), "apply_gradients");
    check(tg_tensor_item(loss, &value), "loss.numpy()");
    loss_sum += value;
    ++batches;
    for (i = 0; i < m->num_vars; ++i) tg_tensor_free(grads[i]);
    tg_tensor_free(loss);
    tg_tensor_free(logits);
    tg_tape_free(tape);
    tg_tensor_free(x);
    tg_tensor_free(y);
    if (interactive && now_seconds() - last_shown > 0.1) {
      last_shown = now_seconds();
      show_progress(epoch, o->epochs, first + rows, train->n, last_shown - start, loss_sum / batches);
    }
  }
  show_progress(epoch, o->epochs, train->n, train->n, now_seconds() - start, loss_sum / batches);
  return loss_sum / batches;
}

int main(int argc, char** argv) {
  options o = parse_options(argc, argv);
  dataset train, test;
  mlp m;
  tg_optimizer* opt;
  uint64_t rng = o.seed;
  int64_t* order;
  float* images;
  int32_t* labels;
  int epoch, i;
  const int interactive = isatty(STDOUT_FILENO);

  check(tg_set_num_threads(o.threads), "tg_set_num_threads");
  train = load_split(o.data_dir, "train");
  test = load_split(o.data_dir, "t10k");
  if (o.limit && o.limit < train.n) train.n = o.limit;
  if (o.limit && o.limit < test.n) test.n = o.limit;
  printf("tapegrad %s: Fashion-MNIST, %lld training and %lld test images\n", tg_version(),
         (long long)train.n, (long long)test.n);
  printf("model: 784");
  for (i = 0; i < o.num_hidden; ++i) printf(" -> %lld relu", (long long)o.hidden[i]);
  printf(" -> 10; Adam(lr=%g), batch %d, %d epochs, seed %llu\n", o.learning_rate, o.batch_size,
         o.epochs, (unsigned long long)o.seed);

  m = build_mlp(&o);
  check(tg_optimizer_create("adam", &opt), "Adam");
  check(tg_optimizer_set(opt, "learning_rate", o.learning_rate), "Adam(learning_rate)");
  if (o.load) {
    check(tg_checkpoint_load(o.load, m.vars, m.num_vars, opt), "load the checkpoint");
    printf("loaded %s: train accuracy %.4f  test accuracy %.4f\n", o.load, accuracy(&m, &train),
           accuracy(&m, &test));
  }

  order = malloc((size_t)train.n * sizeof(int64_t));
  images = malloc((size_t)(train.n * PIXELS) * sizeof(float));
  labels = malloc((size_t)train.n * sizeof(int32_t));
  if (!order || !images || !labels) die("out of memory", NULL);
  for (epoch = 1; epoch <= o.epochs; ++epoch) {
    const double start = now_seconds();
    double loss = train_epoch(&m, opt, &train, &o, epoch, &rng, order, images, labels, interactive);
    const double seconds = now_seconds() - start;
    const double train_acc = accuracy(&m, &train), test_acc = accuracy(&m, &test);
    printf("\nepoch %d/%d  loss %.4f  train accuracy %.4f  test accuracy %.4f  %.1f s (%.0f samples/s)\n",
           epoch, o.epochs, loss, train_acc, test_acc, seconds, train.n / seconds);
  }

  if (o.checkpoint[0] && o.epochs > 0) {
    check(tg_checkpoint_save(o.checkpoint, m.vars, m.num_vars, opt), "save the checkpoint");
    printf("saved %s (variables and optimizer state); evaluate it with --load %s --epochs 0\n",
           o.checkpoint, o.checkpoint);
  }

  for (i = 0; i < (int)m.num_vars; ++i) tg_variable_free(m.vars[i]);
  tg_loss_free(m.loss);
  tg_metric_free(m.accuracy);
  tg_optimizer_free(opt);
  tg_model_free(m.model);
  free(order);
  free(images);
  free(labels);
  free(train.images);
  free(train.labels);
  free(test.images);
  free(test.labels);
  return 0;
}
