// SPDX-License-Identifier: Apache-2.0
// libtapegrad_mpi: the collectives of tg_replica over an MPI communicator
// (include/tapegrad/tapegrad_mpi.h). Every MPI call returns its error code (the communicator
// is a duplicate with MPI_ERRORS_RETURN), turned into a tg_status and a message; collectives
// are non-blocking calls polled against a deadline, so a rank that stops calling gives
// TG_TIMEOUT on the others instead of a hang.
#include "tapegrad/tapegrad_mpi.h"

#include <mpi.h>

#include <chrono>
#include <climits>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <unordered_set>

struct tg_mpi {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0;
  int size = 1;
  double timeout_seconds = 300.0;
  bool broken = false;  // a collective timed out and is still pending
  tg_replica replica{};
};

namespace {

// The live tg_mpi objects, so that a freed or foreign pointer is TG_INVALID_HANDLE, not a crash.
std::mutex live_mutex;
std::unordered_set<const tg_mpi*> live;
bool initialised_mpi = false;  // tg_mpi_init called MPI_Init_thread (guarded by live_mutex)

bool is_live(const void* p) {
  std::lock_guard<std::mutex> lock(live_mutex);
  return live.count(static_cast<const tg_mpi*>(p)) != 0;
}

tg_status fail(tg_status status, const char* function, const char* format, ...) __attribute__((format(printf, 3, 4)));
tg_status fail(tg_status status, const char* function, const char* format, ...) {
  char text[1024];
  int n = std::snprintf(text, sizeof text, "[%s] ", function);
  va_list args;
  va_start(args, format);
  std::vsnprintf(text + n, sizeof text - static_cast<size_t>(n), format, args);
  va_end(args);
  tg_set_error_message(text);
  return status;
}

tg_status mpi_failed(const char* function, const char* call, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) std::snprintf(text, sizeof text, "MPI error %d", code);
  return fail(TG_IO_ERROR, function, "%s failed: %s", call, text);
}

tg_status ok() {
  tg_set_error_message(nullptr);
  return TG_OK;
}

// Waits for `request` until the tg_mpi's deadline. Polls without pause for 10 ms (the usual
// case: the other ranks are at most a step's imbalance behind; each poll also advances the
// collective's rounds, as a blocking MPI call's own loop does), then sleeps 100 µs between
// polls, so a long wait does not hold a core. (Yielding the core between polls was measured
// 3-15x slower on a loaded machine: each yield can cost a whole time slice.)
tg_status wait(tg_mpi* mpi, MPI_Request& request, const char* function, const char* call) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto deadline = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(mpi->timeout_seconds));
  for (;;) {
    int done = 0;
    const int rc = MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return mpi_failed(function, call, rc);
    if (done) return TG_OK;
    const auto now = clock::now();
    if (now >= deadline) {
      mpi->broken = true;
      return fail(TG_TIMEOUT, function,
                  "%s did not complete within %g s: another rank of the %d stopped calling the same collective "
                  "(it failed outside tapegrad, hangs, or died); this communicator is unusable from now on",
                  call, mpi->timeout_seconds, mpi->size);
    }
    if (now - start > std::chrono::milliseconds(10)) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

tg_status check_usable(const tg_mpi* mpi, const char* function) {
  if (!mpi || !is_live(mpi)) return fail(TG_INVALID_HANDLE, function, "mpi is not a live tg_mpi (NULL or freed)");
  if (mpi->broken)
    return fail(TG_TIMEOUT, function, "an earlier collective on this communicator timed out; it cannot be used again");
  return TG_OK;
}

constexpr size_t kChunk = size_t{1} << 30;  // elements per MPI call: counts are int

tg_status allreduce_sum(void* context, void* buffer, size_t count, tg_dtype dtype) {
  const char* function = "tg_mpi allreduce_sum";
  auto* mpi = static_cast<tg_mpi*>(context);
  if (tg_status s = check_usable(mpi, function); s != TG_OK) return s;
  if (dtype != TG_FLOAT32 && dtype != TG_FLOAT64)
    return fail(TG_INVALID_ARGUMENT, function, "dtype %d is not TG_FLOAT32 or TG_FLOAT64", static_cast<int>(dtype));
  if (!buffer && count > 0) return fail(TG_INVALID_ARGUMENT, function, "buffer is NULL");
  const MPI_Datatype type = dtype == TG_FLOAT32 ? MPI_FLOAT : MPI_DOUBLE;
  const size_t item = dtype == TG_FLOAT32 ? 4 : 8;
  for (size_t done = 0; done < count; done += kChunk) {
    const auto n = static_cast<int>(std::min(kChunk, count - done));
    MPI_Request request;
    const int rc = MPI_Iallreduce(MPI_IN_PLACE, static_cast<char*>(buffer) + done * item, n, type, MPI_SUM,
                                  mpi->comm, &request);
    if (rc != MPI_SUCCESS) return mpi_failed(function, "MPI_Iallreduce", rc);
    if (tg_status s = wait(mpi, request, function, "MPI_Iallreduce"); s != TG_OK) return s;
  }
  return ok();
}

tg_status broadcast(void* context, void* buffer, size_t bytes, int root) {
  const char* function = "tg_mpi broadcast";
  auto* mpi = static_cast<tg_mpi*>(context);
  if (tg_status s = check_usable(mpi, function); s != TG_OK) return s;
  if (root < 0 || root >= mpi->size) return fail(TG_INVALID_ARGUMENT, function, "root %d is not a rank of %d", root, mpi->size);
  if (!buffer && bytes > 0) return fail(TG_INVALID_ARGUMENT, function, "buffer is NULL");
  for (size_t done = 0; done < bytes; done += kChunk) {
    const auto n = static_cast<int>(std::min(kChunk, bytes - done));
    MPI_Request request;
    const int rc = MPI_Ibcast(static_cast<char*>(buffer) + done, n, MPI_BYTE, root, mpi->comm, &request);
    if (rc != MPI_SUCCESS) return mpi_failed(function, "MPI_Ibcast", rc);
    if (tg_status s = wait(mpi, request, function, "MPI_Ibcast"); s != TG_OK) return s;
  }
  return ok();
}

// A tg_mpi over a duplicate of `comm`, with MPI_ERRORS_RETURN.
tg_status make(MPI_Comm comm, const char* function, tg_mpi** out) {
  tg_mpi* mpi = new (std::nothrow) tg_mpi;
  if (!mpi) return fail(TG_OUT_OF_MEMORY, function, "out of memory");
  int rc = MPI_Comm_dup(comm, &mpi->comm);
  if (rc == MPI_SUCCESS) rc = MPI_Comm_set_errhandler(mpi->comm, MPI_ERRORS_RETURN);
  if (rc == MPI_SUCCESS) rc = MPI_Comm_rank(mpi->comm, &mpi->rank);
  if (rc == MPI_SUCCESS) rc = MPI_Comm_size(mpi->comm, &mpi->size);
  if (rc != MPI_SUCCESS) {
    if (mpi->comm != MPI_COMM_NULL) MPI_Comm_free(&mpi->comm);
    delete mpi;
    return mpi_failed(function, "MPI_Comm_dup", rc);
  }
  mpi->replica.struct_size = sizeof(tg_replica);
  mpi->replica.rank = mpi->rank;
  mpi->replica.size = mpi->size;
  mpi->replica.context = mpi;
  mpi->replica.allreduce_sum = allreduce_sum;
  mpi->replica.broadcast = broadcast;
  try {
    std::lock_guard<std::mutex> lock(live_mutex);
    live.insert(mpi);
  } catch (const std::bad_alloc&) {
    MPI_Comm_free(&mpi->comm);
    delete mpi;
    return fail(TG_OUT_OF_MEMORY, function, "out of memory");
  }
  *out = mpi;
  return ok();
}

// MPI's state: 0 not initialised, 1 running, 2 finalized.
int mpi_state() {
  int finalized = 0, initialized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return 2;
  MPI_Initialized(&initialized);
  return initialized ? 1 : 0;
}

}  // namespace

extern "C" {

tg_status tg_mpi_init(int* argc, char*** argv, tg_mpi** out) {
  const char* function = "tg_mpi_init";
  if (!out) return fail(TG_INVALID_ARGUMENT, function, "out (output pointer) is NULL");
  const int state = mpi_state();
  if (state == 2) return fail(TG_INVALID_STATE, function, "MPI is already finalized: it cannot be initialised again");
  if (state == 0) {
    int provided = 0;
    // MPI_Init_thread's errors go to MPI_COMM_WORLD's handler, which aborts by default: there
    // is no communicator to set MPI_ERRORS_RETURN on before it. Open MPI returns an error code
    // for most failures (no launcher, no network) nonetheless.
    const int rc = MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
    if (rc != MPI_SUCCESS) return mpi_failed(function, "MPI_Init_thread", rc);
    // MPI is ours: its errors return too (a program that initialised MPI keeps its handler).
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    std::lock_guard<std::mutex> lock(live_mutex);
    initialised_mpi = true;
  }
  return make(MPI_COMM_WORLD, function, out);
}

tg_status tg_mpi_from_fortran_comm(int64_t fortran_comm, tg_mpi** out) {
  const char* function = "tg_mpi_from_fortran_comm";
  if (!out) return fail(TG_INVALID_ARGUMENT, function, "out (output pointer) is NULL");
  if (mpi_state() != 1) return fail(TG_INVALID_STATE, function, "MPI is not initialised (or already finalized)");
  if (fortran_comm < INT_MIN || fortran_comm > INT_MAX)
    return fail(TG_INVALID_ARGUMENT, function, "%lld is not a Fortran communicator handle",
                static_cast<long long>(fortran_comm));
  const MPI_Comm comm = MPI_Comm_f2c(static_cast<MPI_Fint>(fortran_comm));
  if (comm == MPI_COMM_NULL)
    return fail(TG_INVALID_ARGUMENT, function, "communicator %lld is MPI_COMM_NULL or not a communicator",
                static_cast<long long>(fortran_comm));
  return make(comm, function, out);
}

tg_status tg_mpi_rank(const tg_mpi* mpi, int* out) {
  if (!mpi || !is_live(mpi)) return fail(TG_INVALID_HANDLE, "tg_mpi_rank", "mpi is not a live tg_mpi (NULL or freed)");
  if (!out) return fail(TG_INVALID_ARGUMENT, "tg_mpi_rank", "out (output pointer) is NULL");
  *out = mpi->rank;
  return ok();
}

tg_status tg_mpi_size(const tg_mpi* mpi, int* out) {
  if (!mpi || !is_live(mpi)) return fail(TG_INVALID_HANDLE, "tg_mpi_size", "mpi is not a live tg_mpi (NULL or freed)");
  if (!out) return fail(TG_INVALID_ARGUMENT, "tg_mpi_size", "out (output pointer) is NULL");
  *out = mpi->size;
  return ok();
}

tg_status tg_mpi_set_timeout(tg_mpi* mpi, double seconds) {
  if (!mpi || !is_live(mpi))
    return fail(TG_INVALID_HANDLE, "tg_mpi_set_timeout", "mpi is not a live tg_mpi (NULL or freed)");
  if (!(seconds > 0.0) || !std::isfinite(seconds))
    return fail(TG_INVALID_ARGUMENT, "tg_mpi_set_timeout", "the timeout must be positive and finite, got %g s", seconds);
  mpi->timeout_seconds = seconds;
  return ok();
}

tg_status tg_mpi_replica(tg_mpi* mpi, const tg_replica** out) {
  if (!mpi || !is_live(mpi)) return fail(TG_INVALID_HANDLE, "tg_mpi_replica", "mpi is not a live tg_mpi (NULL or freed)");
  if (!out) return fail(TG_INVALID_ARGUMENT, "tg_mpi_replica", "out (output pointer) is NULL");
  *out = &mpi->replica;
  return ok();
}

tg_status tg_mpi_barrier(tg_mpi* mpi) {
  const char* function = "tg_mpi_barrier";
  if (tg_status s = check_usable(mpi, function); s != TG_OK) return s;
  MPI_Request request;
  const int rc = MPI_Ibarrier(mpi->comm, &request);
  if (rc != MPI_SUCCESS) return mpi_failed(function, "MPI_Ibarrier", rc);
  if (tg_status s = wait(mpi, request, function, "MPI_Ibarrier"); s != TG_OK) return s;
  return ok();
}

tg_status tg_mpi_free(tg_mpi* mpi) {
  if (!mpi) return ok();
  {
    std::lock_guard<std::mutex> lock(live_mutex);
    if (!live.erase(mpi)) return fail(TG_INVALID_HANDLE, "tg_mpi_free", "mpi is not a live tg_mpi (freed already?)");
  }
  int rc = MPI_SUCCESS;
  // A broken communicator has a collective pending, which MPI cannot cancel: leave it be.
  if (!mpi->broken && mpi_state() == 1) rc = MPI_Comm_free(&mpi->comm);
  delete mpi;
  return rc == MPI_SUCCESS ? ok() : mpi_failed("tg_mpi_free", "MPI_Comm_free", rc);
}

tg_status tg_mpi_finalize(void) {
  {
    std::lock_guard<std::mutex> lock(live_mutex);
    if (!initialised_mpi) return ok();
    initialised_mpi = false;
  }
  if (mpi_state() != 1) return ok();
  const int rc = MPI_Finalize();
  return rc == MPI_SUCCESS ? ok() : mpi_failed("tg_mpi_finalize", "MPI_Finalize", rc);
}

}  // extern "C"
