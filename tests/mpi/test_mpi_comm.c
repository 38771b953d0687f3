/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A program that initialises MPI itself and trains on a communicator of its own: tapegrad_mpi
 * takes the communicator (a split of the world, each rank alone in its colour here, and the
 * world itself), works on a duplicate, and leaves MPI_Finalize to the program. Also checks
 * that rank 0 alone prints the progress bar and writes ModelCheckpoint files.
 */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

#include "mpi_helpers.h"

static int world_rank;

/* Rank-specific file names, so each rank can tell whether it wrote one. */
static void path_for(char* out, size_t size, const char* what, int rank) {
  snprintf(out, size, "tapegrad_mpi_comm_test_%ld_%s_%d", (long)getppid(), what, rank);
}

static long file_size(const char* path) {
  FILE* f = fopen(path, "rb");
  long n = -1;
  if (!f) return -1;
  if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
  fclose(f);
  return n;
}

/* fit over the world communicator with verbose 2, a progress bar and a ModelCheckpoint per
 * rank: only rank 0 prints and writes, and the other rank's callbacks are not run. */
static void test_rank_zero_writes(const tg_replica* replica) {
  tg_model* model = seed_model(1, kHidden);
  tg_optimizer* adam = make_optimizer("adam");
  tg_loss* cce = NULL;
  tg_tensor *x = NULL, *y = NULL;
  tg_callback* checkpoint = NULL;
  tg_model_checkpoint_options c;
  tg_fit_options o;
  char log_path[256], checkpoint_path[256];
  FILE* log;
  path_for(log_path, sizeof log_path, "log", world_rank);
  path_for(checkpoint_path, sizeof checkpoint_path, "ckpt", world_rank);
  remove(checkpoint_path);
  log = fopen(log_path, "w+");
  CHECK(log != NULL);
  CHECK_OK(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce));
  seed_data(32, 2, &x, &y);
  CHECK_OK(tg_model_checkpoint_options_init(&c));
  c.filepath = checkpoint_path;
  c.monitor = "loss";
  CHECK_OK(tg_callback_model_checkpoint(&c, &checkpoint));
  CHECK_OK(tg_fit_options_init(&o));
  o.batch_size = 8;
  o.epochs = 2;
  o.verbose = 2;
  o.verbose_stream = log;
  o.callbacks = &checkpoint;
  o.num_callbacks = 1;
  o.replica = replica;
  CHECK_OK(tg_model_fit(model, cce, adam, NULL, 0, x, y, &o, NULL));
  fflush(log);
  if (world_rank == 0) {
    CHECK(file_size(log_path) > 0);
    CHECK(file_size(checkpoint_path) > 0);
  } else {
    CHECK(file_size(log_path) == 0);
    CHECK(file_size(checkpoint_path) == -1);
  }
  fclose(log);
  remove(log_path);
  remove(checkpoint_path);
  tg_callback_free(checkpoint);
  tg_tensor_free(x);
  tg_tensor_free(y);
  tg_loss_free(cce);
  tg_optimizer_free(adam);
  tg_model_free(model);
}

int main(int argc, char** argv) {
  MPI_Comm alone = MPI_COMM_NULL;
  tg_mpi *world = NULL, *mine = NULL;
  const tg_replica* replica = NULL;
  int rank = -1, size = -1, finalized = 0, failed;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  tg_set_num_threads(1);

  /* Each rank alone in its colour: a communicator of size 1. */
  MPI_Comm_split(MPI_COMM_WORLD, world_rank, 0, &alone);
  CHECK_OK(tg_mpi_from_comm(alone, &mine));
  CHECK_OK(tg_mpi_rank(mine, &rank));
  CHECK_OK(tg_mpi_size(mine, &size));
  CHECK(rank == 0 && size == 1);
  CHECK_OK(tg_mpi_barrier(mine));
  /* The Fortran handle, as an FFI binding (mpi4py's comm.py2f()) passes it. */
  CHECK_OK(tg_mpi_free(mine));
  CHECK_OK(tg_mpi_from_fortran_comm((int64_t)MPI_Comm_c2f(MPI_COMM_WORLD), &world));
  CHECK_OK(tg_mpi_rank(world, &rank));
  CHECK_OK(tg_mpi_size(world, &size));
  CHECK(rank == world_rank && size == 2);
  CHECK_ERR(tg_mpi_from_fortran_comm((int64_t)MPI_Comm_c2f(MPI_COMM_NULL), &mine), TG_INVALID_ARGUMENT,
            "MPI_COMM_NULL");
  CHECK_ERR(tg_mpi_from_fortran_comm(-5, NULL), TG_INVALID_ARGUMENT, "out");
  CHECK_OK(tg_mpi_replica(world, &replica));
  test_rank_zero_writes(replica);
  CHECK_OK(tg_mpi_free(world));
  MPI_Comm_free(&alone);

  /* The program initialised MPI: tg_mpi_finalize leaves it running. */
  CHECK_OK(tg_mpi_finalize());
  MPI_Finalized(&finalized);
  CHECK(!finalized);
  failed = check_summary();
  MPI_Finalize();
  return failed;
}
