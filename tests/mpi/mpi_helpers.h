/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mpi_helpers.h — the seed model in float64, its data, and comparisons of models, shared by
 * the C tests of libtapegrad_mpi (run by `mpirun -np 2`). Built on tests/c/helpers.h.
 */
#ifndef TAPEGRAD_TESTS_MPI_HELPERS_H
#define TAPEGRAD_TESTS_MPI_HELPERS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "tapegrad/tapegrad_mpi.h"

enum { kFeatures = 32, kHidden = 32, kClasses = 10, kMaxWeights = 4 };

/* The seed notebook's model, Dense(32, relu) then Dense(10), in float64, built for 32
 * features; glorot_uniform kernels drawn from `seed`, zero biases. */
static inline tg_model* seed_model(uint64_t seed, int64_t hidden) {
  tg_model* model = NULL;
  tg_layer_config dense;
  const int64_t input_shape[2] = {1, kFeatures};
  CHECK_OK(tg_model_create("my_model", &model));
  CHECK_OK(tg_layer_config_init(TG_LAYER_DENSE, &dense));
  dense.dtype = TG_FLOAT64;
  dense.units = hidden;
  dense.activation = TG_ACTIVATION_RELU;
  dense.kernel_initializer.seed = seed;
  CHECK_OK(tg_model_add(model, &dense, NULL));
  dense.units = kClasses;
  dense.activation = TG_ACTIVATION_LINEAR;
  dense.kernel_initializer.seed = seed + 1;
  CHECK_OK(tg_model_add(model, &dense, NULL));
  CHECK_OK(tg_model_build(model, input_shape, 2));
  return model;
}

/* The same numbers on every rank: a 64-bit LCG (Knuth's MMIX constants). */
static inline double uniform01(uint64_t* state) {
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*state >> 11) / 9007199254740992.0;
}

/* x (n, 32) uniform in [0, 1) and one-hot y (n, 10) from `seed` (the seed notebook's data). */
static inline void seed_data(int64_t n, uint64_t seed, tg_tensor** x, tg_tensor** y) {
  const int64_t xs[2] = {n, kFeatures}, ys[2] = {n, kClasses};
  double* xv = (double*)calloc((size_t)(n * kFeatures), sizeof(double));
  double* yv = (double*)calloc((size_t)(n * kClasses), sizeof(double));
  int64_t i;
  for (i = 0; i < n * kFeatures; ++i) xv[i] = uniform01(&seed);
  for (i = 0; i < n; ++i) yv[i * kClasses + (int64_t)(uniform01(&seed) * kClasses)] = 1.0;
  *x = make_tensor(TG_FLOAT64, xs, 2, xv);
  *y = make_tensor(TG_FLOAT64, ys, 2, yv);
  free(xv);
  free(yv);
}

/* Every weight of the model (tg_model_get_weights order), as doubles, into out[0..capacity);
 * returns how many there are. */
static inline size_t weights_of(const tg_model* model, double* out, size_t capacity) {
  tg_tensor* w[kMaxWeights];
  size_t count = 0, i, n = 0;
  CHECK_OK(tg_model_get_weights(model, w, kMaxWeights, &count));
  for (i = 0; i < count && i < kMaxWeights; ++i) {
    size_t size = 0;
    CHECK_OK(tg_tensor_size(w[i], &size));
    if (n + size <= capacity) CHECK_OK(tg_tensor_copy_data(w[i], out + n, size * sizeof(double)));
    n += size;
    tg_tensor_free(w[i]);
  }
  return n;
}

enum { kSeedWeights = kFeatures * kHidden + kHidden + kHidden * kClasses + kClasses };

/* Whether rank `root`'s model has the same weights, bit for bit, as this rank's (collective:
 * broadcasts root's weights). The same answer on every rank is not needed: each rank checks. */
static inline int same_as_root(const tg_replica* replica, const tg_model* model, int root) {
  static double mine[kSeedWeights], theirs[kSeedWeights];
  const size_t n = weights_of(model, mine, kSeedWeights);
  memcpy(theirs, mine, sizeof mine);
  if (n != kSeedWeights || replica->broadcast(replica->context, theirs, sizeof theirs, root) != TG_OK) return 0;
  return memcmp(mine, theirs, sizeof mine) == 0;
}

/* The largest |a - b| over two weight vectors, relative to the largest |a|. */
static inline double max_relative_difference(const double* a, const double* b, size_t n) {
  double diff = 0.0, scale = 0.0;
  size_t i;
  for (i = 0; i < n; ++i) {
    if (fabs(a[i] - b[i]) > diff) diff = fabs(a[i] - b[i]);
    if (fabs(a[i]) > scale) scale = fabs(a[i]);
  }
  return scale > 0.0 ? diff / scale : diff;
}

/* Rows [begin, begin + count) of a (n, cols) float64 tensor, as a new tensor. */
static inline tg_tensor* rows_of(const tg_tensor* t, int64_t begin, int64_t count) {
  tg_tensor* out = NULL;
  int64_t b[2] = {0, 0}, s[2] = {0, -1};
  b[0] = begin;
  s[0] = count;
  CHECK_OK(tg_slice(t, b, s, 2, &out));
  return out;
}

#endif /* TAPEGRAD_TESTS_MPI_HELPERS_H */
