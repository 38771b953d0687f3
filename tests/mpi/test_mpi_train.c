/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Data-parallel training over MPI, run by ctest as `mpirun -np 2`: tapegrad_mpi initialises
 * MPI itself; broadcast makes replicas identical; two ranks training the seed model give the
 * same weights as one process training on the concatenated batch (bit for bit where the
 * arithmetic is exact, within rounding otherwise); an error on one rank is an error on both;
 * a rank that does not join a collective gives TG_TIMEOUT on the other instead of a hang.
 */
#include <time.h>
#include <unistd.h>

#include "mpi_helpers.h"

static tg_mpi* mpi;
static const tg_replica* replica;
static int rank, size;

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* tg_mpi_init when the program did not initialise MPI: it does, and reports rank and size. */
static void test_init(int* argc, char*** argv) {
  const tg_replica* again = NULL;
  CHECK_ERR(tg_mpi_init(argc, argv, NULL), TG_INVALID_ARGUMENT, "[tg_mpi_init] out");
  if (!CHECK_OK(tg_mpi_init(argc, argv, &mpi))) exit(1);
  CHECK_OK(tg_mpi_rank(mpi, &rank));
  CHECK_OK(tg_mpi_size(mpi, &size));
  CHECK(size == 2 && (rank == 0 || rank == 1));
  CHECK_OK(tg_mpi_replica(mpi, &replica));
  CHECK_OK(tg_mpi_replica(mpi, &again));
  CHECK(replica == again && replica->rank == rank && replica->size == size);
  CHECK(replica->struct_size == sizeof(tg_replica));
  CHECK_ERR(tg_mpi_rank(NULL, &rank), TG_INVALID_HANDLE, "[tg_mpi_rank] mpi is not a live tg_mpi");
  CHECK_ERR(tg_mpi_rank((const tg_mpi*)&again, &rank), TG_INVALID_HANDLE, "not a live tg_mpi");
  CHECK_ERR(tg_mpi_set_timeout(mpi, 0.0), TG_INVALID_ARGUMENT, "positive and finite");
  CHECK_ERR(tg_mpi_set_timeout(mpi, NAN), TG_INVALID_ARGUMENT, "positive and finite");
  CHECK_OK(tg_mpi_barrier(mpi));
}

/* Broadcast: replicas built from different seeds are equal to rank 0's afterwards, optimizer
 * state included; models that differ fail on both ranks and change nothing. */
static void test_broadcast(void) {
  tg_model* model = seed_model(rank == 0 ? 10 : 20, kHidden);
  tg_optimizer* adam = make_optimizer("adam", "learning_rate", 0.01);
  tg_tensor *x = NULL, *y = NULL;
  tg_loss* cce = NULL;
  int64_t iterations = -1;
  seed_data(16, 3, &x, &y);
  CHECK_OK(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce));
  /* Rank 0 trains two steps alone: its optimizer is built, at iteration 2. */
  if (rank == 0) {
    CHECK_OK(tg_model_train_step(model, cce, adam, NULL, 0, x, y, NULL, NULL));
    CHECK_OK(tg_model_train_step(model, cce, adam, NULL, 0, x, y, NULL, NULL));
  }
  CHECK(!same_as_root(replica, model, 0) == (rank == 1));
  CHECK_ERR(tg_model_broadcast(model, adam, 2, replica), TG_INVALID_ARGUMENT, "root must be in [0, 2), got 2");
  CHECK_ERR(tg_model_broadcast(model, adam, 0, NULL), TG_INVALID_ARGUMENT, "replica is NULL");
  CHECK_OK(tg_model_broadcast(model, adam, 0, replica));
  CHECK(same_as_root(replica, model, 0));
  CHECK_OK(tg_optimizer_iterations(adam, &iterations));
  CHECK(iterations == 2);
  /* The Adam slots came along: one more distributed step keeps the replicas identical (with
   * zero slots on rank 1 its update would differ). */
  CHECK_OK(tg_model_train_step_distributed(model, cce, adam, NULL, 0, x, y, NULL, replica, NULL));
  CHECK(same_as_root(replica, model, 0));
  {
    /* A model of another shape on rank 1: both fail, naming the difference. */
    tg_model* other = seed_model(30, rank == 0 ? kHidden : kHidden + 1);
    double before[kSeedWeights + 64], after[kSeedWeights + 64];
    const size_t n = weights_of(other, before, kSeedWeights + 64);
    CHECK_ERR(tg_model_broadcast(other, NULL, 0, replica), TG_INVALID_ARGUMENT, "[tg_model_broadcast]",
              "differs from root replica 0's", "weight 0 ('my_model/dense");
    CHECK(weights_of(other, after, kSeedWeights + 64) == n && memcmp(before, after, n * sizeof(double)) == 0);
    tg_model_free(other);
  }
  tg_loss_free(cce);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_optimizer_free(adam);
  tg_model_free(model);
}

/* Weights and data of the exact comparison: small dyadic numbers, so that every product and
 * every partial sum of the forward and backward passes is exact in float64 and the order of
 * summation cannot matter. b2[0] = 4096 keeps logit 0 at least 3200 above the others, so
 * softmax is exactly one-hot (exp(-746) is 0 in float64) and the gradient of the loss is
 * ±1/n: exact too. SGD with learning rate 2^-12 keeps the weights dyadic and the logits far
 * apart, but each step adds bits to them: by the 4th step the hidden activations need more than
 * 53 bits and sums of them round. The test runs 3 steps, whose gradients are all exact. */
static void set_dyadic_weights(tg_model* model) {
  static double w1[kFeatures * kHidden], b1[kHidden], w2[kHidden * kClasses], b2[kClasses];
  const int64_t s1[2] = {kFeatures, kHidden}, sb1[1] = {kHidden}, s2[2] = {kHidden, kClasses}, sb2[1] = {kClasses};
  uint64_t state = 77;
  tg_tensor* w[4];
  int i;
  for (i = 0; i < kFeatures * kHidden; ++i) w1[i] = (double)((int)(uniform01(&state) * 5) - 2) / 2;  /* -1 .. 1 by 1/2 */
  for (i = 0; i < kHidden; ++i) b1[i] = 16;
  for (i = 0; i < kHidden * kClasses; ++i) w2[i] = (double)((int)(uniform01(&state) * 3) - 1) / 8;  /* -1/8, 0, 1/8 */
  for (i = 0; i < kClasses; ++i) b2[i] = i == 0 ? 4096 : 0;
  w[0] = make_tensor(TG_FLOAT64, s1, 2, w1);
  w[1] = make_tensor(TG_FLOAT64, sb1, 1, b1);
  w[2] = make_tensor(TG_FLOAT64, s2, 2, w2);
  w[3] = make_tensor(TG_FLOAT64, sb2, 1, b2);
  CHECK_OK(tg_model_set_weights(model, w, 4));
  for (i = 0; i < 4; ++i) tg_tensor_free(w[i]);
}

static void dyadic_data(int64_t n, tg_tensor** x, tg_tensor** y) {
  const int64_t xs[2] = {n, kFeatures}, ys[2] = {n, kClasses};
  double* xv = (double*)calloc((size_t)(n * kFeatures), sizeof(double));
  double* yv = (double*)calloc((size_t)(n * kClasses), sizeof(double));
  uint64_t state = 5;
  int64_t i;
  for (i = 0; i < n * kFeatures; ++i) xv[i] = (int)(uniform01(&state) * 4);  /* 0 .. 3 */
  for (i = 0; i < n; ++i) yv[i * kClasses + 1 + i % (kClasses - 1)] = 1.0;  /* never class 0 */
  *x = make_tensor(TG_FLOAT64, xs, 2, xv);
  *y = make_tensor(TG_FLOAT64, ys, 2, yv);
  free(xv);
  free(yv);
}

/* fit over 2 ranks with global batch 16 (8 rows each) equals fit of one process with batch
 * 16, bit for bit, when every sum is exact; the loss history too. */
static void test_fit_exact(void) {
  tg_model *together = seed_model(1, kHidden), *alone = seed_model(1, kHidden);
  tg_optimizer *sgd_together = make_optimizer("sgd", "learning_rate", 1.0 / 4096),
               *sgd_alone = make_optimizer("sgd", "learning_rate", 1.0 / 4096);
  tg_loss* cce = NULL;
  tg_tensor *x = NULL, *y = NULL;
  tg_history *h_together = NULL, *h_alone = NULL;
  tg_fit_options o;
  static double w_start[kSeedWeights], w_together[kSeedWeights], w_alone[kSeedWeights];
  double loss_together[3], loss_alone[3];
  size_t count = 0;
  CHECK_OK(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce));
  set_dyadic_weights(together);
  set_dyadic_weights(alone);
  weights_of(together, w_start, kSeedWeights);
  dyadic_data(16, &x, &y);
  CHECK_OK(tg_fit_options_init(&o));
  CHECK(o.replica == NULL);
  o.batch_size = 16;
  o.epochs = 3;
  o.seed = 9;  /* shuffled: the same permutation on both ranks and in the single process */
  CHECK_OK(tg_model_fit(alone, cce, sgd_alone, NULL, 0, x, y, &o, &h_alone));
  o.replica = replica;
  CHECK_OK(tg_model_fit(together, cce, sgd_together, NULL, 0, x, y, &o, &h_together));
  weights_of(together, w_together, kSeedWeights);
  weights_of(alone, w_alone, kSeedWeights);
  CHECK(memcmp(w_together, w_alone, sizeof w_alone) == 0);
  CHECK(memcmp(w_together, w_start, sizeof w_start) != 0);  /* it trained */
  CHECK(same_as_root(replica, together, 0));
  CHECK_OK(tg_history_values(h_together, "loss", loss_together, 3, &count));
  CHECK(count == 3);
  CHECK_OK(tg_history_values(h_alone, "loss", loss_alone, 3, &count));
  CHECK(memcmp(loss_together, loss_alone, sizeof loss_alone) == 0);
  tg_history_free(h_together);
  tg_history_free(h_alone);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_loss_free(cce);
  tg_optimizer_free(sgd_together);
  tg_optimizer_free(sgd_alone);
  tg_model_free(together);
  tg_model_free(alone);
}

/* The seed notebook's run (uniform data, CategoricalCrossentropy from logits, Adam) in float64:
 * 2 ranks against one process on the global batch, by fit (3 epochs of 2 global batches of 16,
 * shuffled, the last partial batch of 8 rows) and by train_step_distributed. Not bit for bit:
 * OpenBLAS sums a gradient's rows as one chain, the ranks as two halves added after, so the
 * weights agree within rounding (measured: relative 1e-16 .. 1e-15 after these steps). */
static void test_fit_seed_model(void) {
  tg_model *together = seed_model(1, kHidden), *alone = seed_model(1, kHidden);
  tg_optimizer *adam_together = make_optimizer("adam", "learning_rate", 0.01),
               *adam_alone = make_optimizer("adam", "learning_rate", 0.01);
  tg_loss* cce = NULL;
  tg_metric *acc_together = NULL, *acc_alone = NULL;
  tg_tensor *x = NULL, *y = NULL;
  tg_history *h_together = NULL, *h_alone = NULL;
  tg_fit_options o;
  static double w_together[kSeedWeights], w_alone[kSeedWeights];
  double v_together[3], v_alone[3];
  size_t count = 0, i;
  CHECK_OK(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce));
  CHECK_OK(tg_metric_auto_accuracy(&acc_together));
  CHECK_OK(tg_metric_auto_accuracy(&acc_alone));
  seed_data(40, 11, &x, &y);
  CHECK_OK(tg_fit_options_init(&o));
  o.batch_size = 16;
  o.epochs = 3;
  CHECK_OK(tg_model_fit(alone, cce, adam_alone, &acc_alone, 1, x, y, &o, &h_alone));
  o.replica = replica;
  CHECK_OK(tg_model_fit(together, cce, adam_together, &acc_together, 1, x, y, &o, &h_together));
  weights_of(together, w_together, kSeedWeights);
  weights_of(alone, w_alone, kSeedWeights);
  CHECK(max_relative_difference(w_together, w_alone, kSeedWeights) < 1e-13);
  CHECK(same_as_root(replica, together, 0));
  CHECK_OK(tg_history_values(h_together, "loss", v_together, 3, &count));
  CHECK_OK(tg_history_values(h_alone, "loss", v_alone, 3, &count));
  for (i = 0; i < 3; ++i) CHECK_NEAR(v_together[i], v_alone[i], 1e-6);  /* float32 loss trackers */
  /* Accuracy over all 40 samples of both ranks: the same count of matches, so equal. */
  CHECK_OK(tg_history_values(h_together, "accuracy", v_together, 3, &count));
  CHECK_OK(tg_history_values(h_alone, "accuracy", v_alone, 3, &count));
  for (i = 0; i < 3; ++i) CHECK(v_together[i] == v_alone[i]);

  /* train_step_distributed: rank r passes rows [20r, 20r + 20) of the 40. */
  {
    tg_tensor *mine_x = rows_of(x, 20 * rank, 20), *mine_y = rows_of(y, 20 * rank, 20);
    double loss_together = 0, loss_alone = 0;
    CHECK_OK(tg_model_train_step(alone, cce, adam_alone, NULL, 0, x, y, NULL, &loss_alone));
    CHECK_OK(tg_model_train_step_distributed(together, cce, adam_together, NULL, 0, mine_x, mine_y, NULL, replica,
                                             &loss_together));
    CHECK_NEAR(loss_together, loss_alone, 1e-13);
    weights_of(together, w_together, kSeedWeights);
    weights_of(alone, w_alone, kSeedWeights);
    CHECK(max_relative_difference(w_together, w_alone, kSeedWeights) < 1e-13);
    /* Rank 1 has no rows this step: rank 0's 20 rows are the global batch. */
    tg_tensor_free(mine_x);
    tg_tensor_free(mine_y);
    mine_x = rows_of(x, 0, 20);
    mine_y = rows_of(y, 0, 20);
    CHECK_OK(tg_model_train_step(alone, cce, adam_alone, NULL, 0, mine_x, mine_y, NULL, &loss_alone));
    CHECK_OK(tg_model_train_step_distributed(together, cce, adam_together, NULL, 0, rank == 0 ? mine_x : NULL,
                                             rank == 0 ? mine_y : NULL, NULL, replica, &loss_together));
    CHECK_NEAR(loss_together, loss_alone, 1e-13);
    weights_of(together, w_together, kSeedWeights);
    weights_of(alone, w_alone, kSeedWeights);
    CHECK(max_relative_difference(w_together, w_alone, kSeedWeights) < 1e-13);
    if (rank == 0) printf("seed model, 6 fit steps and 2 train steps: max relative difference %.3g\n",
                          max_relative_difference(w_together, w_alone, kSeedWeights));
    tg_tensor_free(mine_x);
    tg_tensor_free(mine_y);
  }
  tg_history_free(h_together);
  tg_history_free(h_alone);
  tg_metric_free(acc_together);
  tg_metric_free(acc_alone);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_loss_free(cce);
  tg_optimizer_free(adam_together);
  tg_optimizer_free(adam_alone);
  tg_model_free(together);
  tg_model_free(alone);
}

/* A bad shape on rank 1 only: both ranks fail with its status, rank 0's message naming
 * replica 1, and no weight changes anywhere. */
static void test_error_on_one_rank(void) {
  tg_model* model = seed_model(1, kHidden);
  tg_optimizer* adam = make_optimizer("adam");
  tg_loss* cce = NULL;
  tg_tensor *x = NULL, *y = NULL, *bad = NULL;
  tg_fit_options o;
  static double before[kSeedWeights], after[kSeedWeights];
  const int64_t bad_shape[2] = {16, kFeatures - 1};
  static double zeros[16 * kFeatures];
  tg_status s;
  CHECK_OK(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce));
  seed_data(16, 4, &x, &y);
  bad = make_tensor(TG_FLOAT64, bad_shape, 2, zeros);
  weights_of(model, before, kSeedWeights);
  CHECK_OK(tg_fit_options_init(&o));
  o.batch_size = 8;
  o.replica = replica;
  s = tg_model_fit(model, cce, adam, NULL, 0, rank == 1 ? bad : x, y, &o, NULL);
  if (rank == 1) CHECK_ERR(s, TG_INVALID_ARGUMENT, "[tg_model_fit]", "(4,31)");
  else CHECK_ERR(s, TG_INVALID_ARGUMENT, "[tg_model_fit] replica 1 of 2 failed: ", "(4,31)");
  /* An argument fit rejects before training (x and y of different lengths) on rank 1 only. */
  {
    tg_tensor* short_y = rows_of(y, 0, 15);
    s = tg_model_fit(model, cce, adam, NULL, 0, x, rank == 1 ? short_y : y, &o, NULL);
    if (rank == 1) CHECK_ERR(s, TG_INVALID_ARGUMENT, "[tg_model_fit] fit: Data cardinality is ambiguous");
    else CHECK_ERR(s, TG_INVALID_ARGUMENT, "[tg_model_fit] replica 1 of 2 failed: fit: Data cardinality");
    tg_tensor_free(short_y);
  }
  s = tg_model_train_step_distributed(model, cce, adam, NULL, 0, rank == 1 ? bad : x, y, NULL, replica, NULL);
  if (rank == 0) CHECK_ERR(s, TG_INVALID_ARGUMENT, "[tg_model_train_step_distributed] replica 1 of 2 failed: ");
  else CHECK(s == TG_INVALID_ARGUMENT);
  weights_of(model, after, kSeedWeights);
  CHECK(memcmp(before, after, sizeof before) == 0);
  /* And the next step works on both. */
  CHECK_OK(tg_model_train_step_distributed(model, cce, adam, NULL, 0, x, y, NULL, replica, NULL));
  CHECK(same_as_root(replica, model, 0));
  tg_tensor_free(bad);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_loss_free(cce);
  tg_optimizer_free(adam);
  tg_model_free(model);
}

/* tg_replica_allreduce_mean: the mean everywhere; NULL on one rank only is an error on both,
 * each naming what it passed. */
static void test_allreduce_mean(void) {
  const int64_t shape[1] = {3};
  const double mine[3] = {1.0 + rank, 10.0 * rank, -4.0};
  tg_tensor* t = make_tensor(TG_FLOAT32, shape, 1, mine);
  tg_tensor* in[2];
  tg_tensor* out[2] = {NULL, NULL};
  const double want[3] = {1.5, 5.0, -4.0};
  in[0] = t;
  in[1] = NULL;
  CHECK_OK(tg_replica_allreduce_mean(replica, in, 2, out));
  CHECK_TENSOR(out[0], TG_FLOAT32, shape, 1, want, 0.0);
  CHECK(out[1] == NULL);
  tg_tensor_free(out[0]);
  in[1] = rank == 0 ? t : NULL;
  CHECK_ERR(tg_replica_allreduce_mean(replica, in, 2, out), TG_INVALID_ARGUMENT, "the replicas pass different tensors",
            rank == 0 ? "this one passes float32(3) float32(3)" : "this one passes float32(3) NULL");
  tg_tensor_free(t);
}

/* Rank 1 joins a barrier 1.5 s late; rank 0, with a 0.3 s timeout, gives up with TG_TIMEOUT
 * instead of waiting, and its communicator refuses further collectives. */
static void test_timeout(int* argc, char*** argv) {
  tg_mpi* late = NULL;
  double start;
  CHECK_OK(tg_mpi_init(argc, argv, &late));  /* MPI is running: a second duplicate of the world */
  CHECK_OK(tg_mpi_set_timeout(late, 0.3));
  if (rank == 1) sleep(1);
  start = seconds_now();
  if (rank == 0) {
    const tg_replica* r = NULL;
    double word = 1.0;
    CHECK_ERR(tg_mpi_barrier(late), TG_TIMEOUT, "[tg_mpi_barrier] MPI_Ibarrier did not complete within 0.3 s");
    CHECK(seconds_now() - start < 1.0);
    CHECK_ERR(tg_mpi_barrier(late), TG_TIMEOUT, "an earlier collective on this communicator timed out");
    CHECK_OK(tg_mpi_replica(late, &r));
    CHECK(r->allreduce_sum(r->context, &word, 1, TG_FLOAT64) == TG_TIMEOUT);
  } else {
    CHECK_OK(tg_mpi_barrier(late));  /* completes with rank 0's pending barrier */
  }
  CHECK_OK(tg_mpi_free(late));
  CHECK_OK(tg_mpi_barrier(mpi));  /* the first communicator still works */
}

int main(int argc, char** argv) {
  int failed;
  test_init(&argc, &argv);
  tg_set_num_threads(1);
  test_broadcast();
  test_fit_exact();
  test_fit_seed_model();
  test_error_on_one_rank();
  test_allreduce_mean();
  test_timeout(&argc, &argv);
  CHECK_OK(tg_mpi_free(mpi));
  CHECK_ERR(tg_mpi_free(mpi), TG_INVALID_HANDLE, "[tg_mpi_free]");
  failed = check_summary();
  CHECK_OK(tg_mpi_finalize());
  CHECK_OK(tg_mpi_finalize());  /* a second call does nothing */
  return failed;
}
