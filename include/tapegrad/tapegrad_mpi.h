/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tapegrad_mpi.h — data-parallel training over MPI (libtapegrad_mpi).
 *
 * A small library beside libtapegrad that gives the core's transport hook, tg_replica (see
 * DISTRIBUTED TRAINING in tapegrad.h), the collectives of an MPI communicator, so that the
 * same program trains on one process, on several processes of one machine, or on many
 * machines under `mpirun`. The core library knows nothing of MPI; this one links both.
 *
 *   tg_mpi* mpi;
 *   tg_mpi_init(&argc, &argv, &mpi);          // MPI_Init unless already initialised
 *   const tg_replica* replica;
 *   tg_mpi_replica(mpi, &replica);
 *   tg_model_broadcast(model, opt, 0, replica);   // every rank starts from rank 0's weights
 *   tg_fit_options o; tg_fit_options_init(&o);
 *   o.replica = replica; o.batch_size = 256;      // the global batch
 *   tg_model_fit(model, loss, opt, NULL, 0, x, y, &o, &history);
 *   tg_mpi_free(mpi);
 *   tg_mpi_finalize();                            // MPI_Finalize if tg_mpi_init called MPI_Init
 *
 * CONVENTIONS. As tapegrad.h: every function returns a tg_status, and on error
 * tg_last_error_message() names the function and the cause (with MPI's own error text). MPI
 * errors never abort: the library works on its own duplicate of the communicator, with
 * MPI_ERRORS_RETURN. A tg_mpi is one such communicator; its collectives (everything that takes
 * a tg_mpi except the rank/size queries and tg_mpi_set_timeout) must be called by every rank in
 * the same order, from one thread at a time (MPI is initialised with MPI_THREAD_SERIALIZED
 * when this library initialises it).
 *
 * TIMEOUT. Every collective is a non-blocking MPI call polled against a deadline (300 s unless
 * tg_mpi_set_timeout says otherwise): if another rank stops calling or dies, the call returns
 * TG_TIMEOUT instead of hanging. MPI cannot cancel a collective, so after a timeout the tg_mpi
 * is broken: its later collectives return TG_TIMEOUT at once, and tg_mpi_free leaves its
 * communicator to the end of the process.
 */
#ifndef TAPEGRAD_TAPEGRAD_MPI_H
#define TAPEGRAD_TAPEGRAD_MPI_H

#include <stdint.h>

#include "tapegrad.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One communicator of data-parallel training (opaque). */
typedef struct tg_mpi tg_mpi;

/* Initialises MPI (MPI_Init_thread with MPI_THREAD_SERIALIZED) unless the program already
 * did, and returns a tg_mpi over (a duplicate of) MPI_COMM_WORLD. argc and argv may be NULL,
 * as for MPI_Init. *out: owned by the caller (tg_mpi_free).
 * When the program initialised MPI itself, it must have asked for a thread level that lets
 * it call tapegrad from the thread it calls it from (MPI_THREAD_SINGLE suffices for the main
 * thread), and it finalizes MPI itself.
 * Returns TG_OK; TG_INVALID_ARGUMENT (out NULL); TG_INVALID_STATE (MPI already finalized);
 * TG_IO_ERROR (an MPI call failed; the message has MPI's error text; MPI errors are reported
 * as TG_IO_ERROR throughout); TG_OUT_OF_MEMORY. */
TG_API tg_status tg_mpi_init(int* argc, char*** argv, tg_mpi** out);

/* A tg_mpi over a duplicate of the caller's communicator, given by its Fortran handle
 * (MPI_Comm_c2f(comm) in C, comm.py2f() in mpi4py), so that programs and FFI bindings need
 * not know the C type MPI_Comm. MPI must be initialised. *out: owned by the caller.
 * Returns TG_OK; TG_INVALID_ARGUMENT (out NULL, an invalid handle or MPI_COMM_NULL);
 * TG_INVALID_STATE (MPI not initialised, or finalized); TG_IO_ERROR; TG_OUT_OF_MEMORY. */
TG_API tg_status tg_mpi_from_fortran_comm(int64_t fortran_comm, tg_mpi** out);

#if defined(MPI_VERSION)
/* tg_mpi_from_fortran_comm for C programs that include <mpi.h> (before this header). */
static inline tg_status tg_mpi_from_comm(MPI_Comm comm, tg_mpi** out) {
  return tg_mpi_from_fortran_comm((int64_t)MPI_Comm_c2f(comm), out);
}
#endif

/* This process's rank in the communicator, and the number of ranks. Local (not collective).
 * Returns TG_OK, TG_INVALID_ARGUMENT (out NULL), TG_INVALID_HANDLE (mpi not a live tg_mpi). */
TG_API tg_status tg_mpi_rank(const tg_mpi* mpi, int* out);
TG_API tg_status tg_mpi_size(const tg_mpi* mpi, int* out);

/* The deadline of each collective, in seconds (> 0 and finite; default 300). Local.
 * Returns TG_OK, TG_INVALID_ARGUMENT, TG_INVALID_HANDLE. */
TG_API tg_status tg_mpi_set_timeout(tg_mpi* mpi, double seconds);

/* The tg_replica of this communicator, for tg_fit_options.replica, tg_model_broadcast,
 * tg_model_train_step_distributed and tg_replica_allreduce_mean. *out is owned by `mpi` and
 * valid until tg_mpi_free; bucket_bytes may be changed through a copy of it.
 * Returns TG_OK, TG_INVALID_ARGUMENT (out NULL), TG_INVALID_HANDLE. */
TG_API tg_status tg_mpi_replica(tg_mpi* mpi, const tg_replica** out);

/* MPI_Barrier, with the timeout. Collective. Returns TG_OK, TG_INVALID_HANDLE, TG_TIMEOUT,
 * TG_IO_ERROR. */
TG_API tg_status tg_mpi_barrier(tg_mpi* mpi);

/* Frees the duplicate communicator (not collective in effect: MPI_Comm_free is local in Open
 * MPI, but call it on every rank). NULL: no-op. Returns TG_OK, TG_INVALID_HANDLE, or
 * TG_IO_ERROR if MPI fails (the tg_mpi is freed anyway). */
TG_API tg_status tg_mpi_free(tg_mpi* mpi);

/* Calls MPI_Finalize if tg_mpi_init initialised MPI and it is not finalized yet; otherwise
 * does nothing (the program that initialised MPI finalizes it). Free every tg_mpi first.
 * Never aborts. Returns TG_OK, or TG_IO_ERROR with MPI's error text. */
TG_API tg_status tg_mpi_finalize(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TAPEGRAD_TAPEGRAD_MPI_H */
