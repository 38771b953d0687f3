/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tapegrad.h — the C ABI of tapegrad.
 *
 * tapegrad trains neural networks from any language that can call C: tensors, a gradient
 * tape with the semantics of TensorFlow 2's tf.GradientTape, Keras-style layers, losses and
 * optimizers, with OpenBLAS doing the matrix products. This header is the whole interface.
 *
 * CONVENTIONS
 *   - Every function (but the four version and message queries) returns a tg_status. Results are
 *     written through out-parameters, and only on TG_OK: on error nothing is written.
 *   - On error, tg_last_error_message() tells what went wrong, naming the function, the op
 *     and the shapes/dtypes involved, e.g.
 *       "[tg_matmul] matmul: inner dimensions differ: (2,3) x (4,5)".
 *     The message is per thread; the next tapegrad call on that thread replaces it.
 *   - Handles (tg_tensor, tg_variable, …) are opaque and carry a type tag: passing NULL, a
 *     freed handle or a handle of another type gives TG_INVALID_HANDLE, never a crash. A
 *     handle is an id, not an address (never dereference it): a freed handle stays invalid
 *     however many handles were created and freed since, and no two handles ever share an
 *     id. At most 2^28 handles may be alive at once (TG_OUT_OF_MEMORY beyond).
 *   - Ownership: every handle a function returns is owned by the caller and released with
 *     the matching tg_*_free, or by the scope it was created in (tg_scope_begin).
 *     tg_*_free(NULL) is a no-op that returns TG_OK.
 *   - Nothing aborts the process; no C++ exception crosses this interface.
 *   - Threads: functions may be called from any thread. A tape belongs to the thread that
 *     began it. A handle must not be used by two threads while one of them frees or changes
 *     it (assigning a variable, applying an optimizer); tensors are immutable and may be
 *     read from many threads at once.
 *   - Shapes are arrays of int64_t dimensions; data is row-major.
 *   - Integer types, one per kind of quantity:
 *       int      a rank: the length of a shape, or of any array with one entry per axis
 *                (perm, begin/size of tg_slice, multiples), 0..TG_MAX_RANK; also flags (0 or
 *                not 0) and C enums;
 *       int64_t  dimensions, indices, axes, class labels and step counters (iterations);
 *       size_t   every other count, length or capacity: numbers of tensors, variables,
 *                layers, axes in a list, outputs, elements, bytes, threads.
 *   - Arrays of handles are typed where the type is known (tg_tensor* const*,
 *     tg_variable* const*); const void* const* only where tensors and variables are both
 *     accepted (the targets and sources of a tape). Arrays the library fills are tg_x**.
 *
 * WORKED EXAMPLE — dy/dx of y = x·x at x = 3 (the first cell of the seed notebook):
 *
 *   tg_tensor *x, *y, *dy_dx;
 *   tg_tape *tape;
 *   double value;
 *   tg_tensor_scalar(TG_FLOAT32, 3.0, &x);
 *   tg_tape_begin(TG_TAPE_DEFAULT, &tape);      // with tf.GradientTape() as tape:
 *   tg_tape_watch(tape, x);                     //     tape.watch(x)
 *   tg_mul(x, x, &y);                           //     y = x * x
 *   tg_tape_end(tape);
 *   const void *targets[] = {y}, *sources[] = {x};
 *   tg_tape_gradient(tape, targets, 1, sources, 1, &dy_dx);
 *   tg_tensor_item(dy_dx, &value);              // 6.0
 *   tg_tensor_free(dy_dx); tg_tensor_free(y); tg_tensor_free(x); tg_tape_free(tape);
 *
 * Real code checks every status: if (s != TG_OK) puts(tg_last_error_message());
 */
#ifndef TAPEGRAD_TAPEGRAD_H
#define TAPEGRAD_TAPEGRAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(_WIN32)
#define TG_API __declspec(dllexport)
#else
#define TG_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------- */
/* Version                                                                                */
/* ------------------------------------------------------------------------------------- */

/* The version of this header, in semantic versioning (docs/versioning.md). While the major
 * version is 0 each minor release may change the ABI, so the library's SONAME is
 * libtapegrad.so.0.MINOR; from 1.0 on it is libtapegrad.so.MAJOR. */
#define TG_VERSION_MAJOR 0
#define TG_VERSION_MINOR 2
#define TG_VERSION_PATCH 0
#define TG_VERSION_STRING "0.2.0"
/* MAJOR·1000000 + MINOR·1000 + PATCH: 2000 for 0.2.0, as tg_version_number() returns it. */
#define TG_VERSION_NUMBER (TG_VERSION_MAJOR * 1000000 + TG_VERSION_MINOR * 1000 + TG_VERSION_PATCH)

/* The version of the loaded library, "MAJOR.MINOR.PATCH" (static string, never NULL).
 * Compare with TG_VERSION_STRING to detect a header/library mismatch. */
TG_API const char* tg_version(void);

/* The version of the loaded library as one number, MAJOR·1000000 + MINOR·1000 + PATCH (as
 * sqlite3_libversion_number): compare it with TG_VERSION_NUMBER, e.g.
 *   if (tg_version_number() / 1000 != TG_VERSION_NUMBER / 1000) — another minor release. */
TG_API int tg_version_number(void);

/* ------------------------------------------------------------------------------------- */
/* Status codes and errors                                                                */
/* ------------------------------------------------------------------------------------- */

/* What every function (but the version and message queries) returns. */
typedef enum tg_status {
  TG_OK = 0,
  TG_INVALID_ARGUMENT = 1, /* a shape, dtype or value the function cannot accept */
  TG_INVALID_HANDLE = 2,   /* NULL, freed, or a handle of the wrong type */
  TG_INVALID_STATE = 3,    /* not allowed now, e.g. a second gradient on a used tape */
  TG_OUT_OF_MEMORY = 4,
  TG_NO_GRADIENT = 5,      /* an op on the differentiated path has no gradient rule */
  TG_IO_ERROR = 6,         /* a file could not be read or written */
  TG_INTERNAL = 7,         /* a bug in tapegrad: please report the message */
  TG_TIMEOUT = 8           /* a collective of distributed training did not complete in time */
} tg_status;

/* A static, human-readable name for a status ("TG_INVALID_ARGUMENT"); never NULL. */
TG_API const char* tg_status_string(tg_status status);

/* The error message of the most recent tapegrad call on this thread: "" if it succeeded.
 * Owned by the library, valid until the next tapegrad call on the same thread. */
TG_API const char* tg_last_error_message(void);

/* Threads used by the library's parallel work — large matrix products (cut into tiles),
 * convolutions, pooling, normalization — the calling thread included; at most n run at once
 * per call, and a call never waits for a helper thread that has not started its share.
 * n == 0 restores the default, read once from the environment: the first of
 * TAPEGRAD_NUM_THREADS, OPENBLAS_NUM_THREADS and OMP_NUM_THREADS that holds a positive
 * integer (other values are ignored), otherwise the number of CPUs this process may run on
 * (its affinity mask). Small products always run on the calling thread.
 * OpenBLAS: the library runs it on one thread only (its own threads do the parallel work).
 * OpenBLAS's thread count is process-wide: the library sets it to 1 while one of its calls
 * into OpenBLAS runs, and back to the value it found when the last such call ends, so the
 * program's own OpenBLAS calls keep their setting (a program should not change it while
 * tapegrad calls run on other threads).
 * Results are the same, bit for bit, for every thread count.
 * Returns TG_OK, or TG_INVALID_ARGUMENT if n exceeds INT_MAX. Thread-safe; affects the whole
 * process. */
TG_API tg_status tg_set_num_threads(size_t n);
/* Writes the thread count in use to *out. Returns TG_OK, or TG_INVALID_ARGUMENT if out is
 * NULL. */
TG_API tg_status tg_get_num_threads(size_t* out);

/* ------------------------------------------------------------------------------------- */
/* Scopes: freeing handles in bulk                                                        */
/* ------------------------------------------------------------------------------------- */

/*
 * Every handle created on a thread while one of its scopes is open (tensors, variables,
 * tapes, models, layers, optimizers, losses, metrics — whatever function returns it) belongs
 * to the innermost open scope, and tg_scope_end frees it, unless the caller freed it before
 * (no double free) or kept it with tg_scope_keep. A training step then needs no free per
 * intermediate, and an error path needs one call:
 *
 *   tg_scope *step;
 *   tg_scope_begin(&step);
 *   if (tg_model_call(model, x, &logits) != TG_OK) goto done;   // logits: freed by the scope
 *   if (tg_loss_call(cce, y, logits, NULL, &loss) != TG_OK) goto done;
 *   ... gradients, tg_optimizer_apply ...
 *   tg_scope_keep(loss);                                        // loss outlives the step
 *   done:
 *   tg_scope_end(step);
 *
 * Scopes nest: tg_scope_keep moves a handle to the scope enclosing its own (to the caller when
 * there is none), so a function that opens its own scope can hand its result to its caller's.
 * Handles created before the scope began, or on another thread, are not affected; a handle
 * of this scope may be freed or used on another thread as any handle may (its scope still
 * knows it). Ending a scope also ends the scopes opened inside it that are still open, so a
 * forgotten tg_scope_end of an inner scope frees nothing twice and leaks nothing. Scopes still
 * open when their thread exits are dropped without freeing their handles (they stay alive,
 * owned by the caller).
 * A tg_scope is a token, not a handle: it is never freed, and it is valid until its scope ends.
 */
typedef struct tg_scope tg_scope;

/* Opens a scope on the calling thread, inside the scopes already open there; *out receives
 * its token. Returns TG_OK, TG_INVALID_ARGUMENT (out NULL), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_scope_begin(tg_scope** out);

/* Ends `scope` and every scope opened after it on this thread that is still open, innermost
 * first, freeing their handles newest first with the matching tg_*_free. A handle whose free
 * fails (a tape recording on another thread) is left alive, owned by the caller; the first
 * such failure is returned with its message after everything else is freed.
 * Returns TG_OK, TG_INVALID_ARGUMENT (scope NULL), TG_INVALID_STATE (the scope is not open on
 * this thread: ended already, or begun on another thread; nothing is freed), or a free's
 * status as above. */
TG_API tg_status tg_scope_end(tg_scope* scope);

/* Keeps `handle` when its scope ends: moves it to the scope enclosing its scope, or, if there
 * is none, out of every scope (the caller then frees it). A handle in no scope is left as it
 * is. Any thread may keep any handle. Returns TG_OK, TG_INVALID_HANDLE (NULL or not a live
 * handle), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_scope_keep(const void* handle);

/* ------------------------------------------------------------------------------------- */
/* Tensors: immutable n-dimensional arrays                                                */
/* ------------------------------------------------------------------------------------- */

/* The element type of a tensor or variable. */
typedef enum tg_dtype {
  TG_FLOAT32 = 0, /* the default, as in Keras */
  TG_FLOAT64 = 1,
  TG_INT32 = 2,   /* labels and indices: never differentiated */
  TG_INT64 = 3,
  TG_BOOL = 4     /* one byte per element, 0 or 1 */
} tg_dtype;

/* An immutable n-dimensional array (handle). */
typedef struct tg_tensor tg_tensor;

/* Largest supported rank. */
#define TG_MAX_RANK 8
/* Size limit of every shape, the same for every order of its dimensions: the product of its
 * non-zero dimensions is at most TG_MAX_ELEMENTS (2^56), so (0, 2^56) is accepted and
 * (0, 2^62) is refused as (2^62, 0) is. Any function that would make a larger shape (an
 * argument, or an op's result such as tg_concat's, tg_tile's or a jacobian's) returns
 * TG_INVALID_ARGUMENT naming the op and the shape, as it does for a size whose arithmetic
 * would overflow int64_t. */
#define TG_MAX_ELEMENTS ((int64_t)1 << 56)

/* Creates a tensor by copying shape-product elements of `dtype` from `data` (row-major).
 * shape: `rank` dimensions, each >= 0 (may be NULL when rank is 0). data may be NULL only
 * if the tensor has no elements. For TG_BOOL every nonzero byte is stored as 1.
 * *out: new tensor, owned by the caller (tg_tensor_free).
 * Returns TG_OK, TG_INVALID_ARGUMENT (bad dtype, rank, dimension, NULL data),
 * TG_OUT_OF_MEMORY. */
TG_API tg_status tg_tensor_create(tg_dtype dtype, const int64_t* shape, int rank,
                                  const void* data, tg_tensor** out);

/* Deleter for tg_tensor_wrap: called once with (data, context) when the last tensor that
 * uses the memory is freed. */
typedef void (*tg_deleter)(void* data, void* context);

/* Creates a tensor over caller memory without copying (zero-copy interop). The memory must
 * hold shape-product elements, row-major, be aligned to the element size (4 bytes for
 * float32; TG_INVALID_ARGUMENT otherwise), and stay valid and unchanged until `deleter` is
 * called; deleter may be NULL if the caller keeps the memory alive longer than every
 * tensor derived from it (results of ops never alias it, but tg_reshape may). TG_BOOL memory
 * must hold only the bytes 0 and 1 (TG_INVALID_ARGUMENT otherwise: it cannot be rewritten).
 * On error the deleter is not called and the caller still owns the memory.
 * *out: new tensor, owned by the caller.
 * Returns TG_OK, TG_INVALID_ARGUMENT, TG_OUT_OF_MEMORY. */
TG_API tg_status tg_tensor_wrap(tg_dtype dtype, const int64_t* shape, int rank, void* data,
                                tg_deleter deleter, void* context, tg_tensor** out);

/* A rank-0 tensor holding `value` converted to dtype (truncated toward zero for integer
 * dtypes; nonzero is 1 for TG_BOOL). *out owned by the caller.
 * Returns TG_OK, TG_INVALID_ARGUMENT (bad dtype, or a value outside an integer dtype's
 * range, NaN included), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_tensor_scalar(tg_dtype dtype, double value, tg_tensor** out);

/* A tensor of the given shape with every element equal to `value` (converted to dtype as
 * by tg_tensor_scalar). *out owned by the caller. Returns TG_OK, TG_INVALID_ARGUMENT (bad
 * dtype, rank, dimension, or value), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_tensor_fill(tg_dtype dtype, const int64_t* shape, int rank, double value,
                                tg_tensor** out);

/* Releases the caller's reference. Storage is freed (or its deleter run) when no tensor,
 * tape or variable uses it any more. NULL: no-op.
 * Returns TG_OK, or TG_INVALID_HANDLE for a freed or non-tensor handle. */
TG_API tg_status tg_tensor_free(tg_tensor* tensor);

/* Metadata. Each writes to its out-parameter and returns TG_OK, TG_INVALID_HANDLE, or
 * TG_INVALID_ARGUMENT if the out-parameter is NULL. */
TG_API tg_status tg_tensor_dtype(const tg_tensor* tensor, tg_dtype* out);
TG_API tg_status tg_tensor_rank(const tg_tensor* tensor, int* out);
/* Writes rank dimensions to dims[0..rank). capacity: length of dims; TG_INVALID_ARGUMENT if
 * it is smaller than the rank. */
TG_API tg_status tg_tensor_shape(const tg_tensor* tensor, int64_t* dims, size_t capacity);
/* Number of elements (the product of the dimensions; 1 for a scalar). */
TG_API tg_status tg_tensor_size(const tg_tensor* tensor, size_t* out);

/* Copies the elements (row-major, of the tensor's dtype) into dst, which has room for
 * dst_bytes bytes. TG_INVALID_ARGUMENT if dst is NULL or dst_bytes is smaller than
 * size × element size. */
TG_API tg_status tg_tensor_copy_data(const tg_tensor* tensor, void* dst, size_t dst_bytes);

/* A read-only pointer to the elements, valid while this tensor handle lives. Do not write
 * through it: tensors are values that others may share. */
TG_API tg_status tg_tensor_data(const tg_tensor* tensor, const void** out);

/* The only element of a one-element tensor, converted to double.
 * TG_INVALID_ARGUMENT if the tensor does not have exactly one element. */
TG_API tg_status tg_tensor_item(const tg_tensor* tensor, double* out);

/* Seeded random tensors (float32 or float64) from the counter-based Philox4x32-10
 * generator: the same seed gives the same numbers on every run, machine and thread count.
 * uniform: U[minval, maxval), minval < maxval. normal: N(mean, stddev²), stddev >= 0.
 * *out owned by the caller. Returns TG_OK, TG_INVALID_ARGUMENT, TG_OUT_OF_MEMORY. */
TG_API tg_status tg_random_uniform(tg_dtype dtype, const int64_t* shape, int rank,
                                   double minval, double maxval, uint64_t seed,
                                   tg_tensor** out);
TG_API tg_status tg_random_normal(tg_dtype dtype, const int64_t* shape, int rank, double mean,
                                  double stddev, uint64_t seed, tg_tensor** out);

/* ------------------------------------------------------------------------------------- */
/* Ops. Each returns a new tensor in *out, owned by the caller, and is recorded on every   */
/* active tape that watches one of its floating-point inputs.                              */
/* Statuses: TG_OK; TG_INVALID_HANDLE for a bad input handle; TG_INVALID_ARGUMENT for       */
/* shapes or dtypes the op does not accept (the message names the op and both shapes),     */
/* or out == NULL; TG_OUT_OF_MEMORY.                                                        */
/* ------------------------------------------------------------------------------------- */

/* Elementwise binary ops with NumPy broadcasting; a and b must have the same dtype.
 * tg_div accepts floating dtypes only. Integer arithmetic wraps around on overflow. */
TG_API tg_status tg_add(const tg_tensor* a, const tg_tensor* b, tg_tensor** out);
TG_API tg_status tg_sub(const tg_tensor* a, const tg_tensor* b, tg_tensor** out);
TG_API tg_status tg_mul(const tg_tensor* a, const tg_tensor* b, tg_tensor** out);
TG_API tg_status tg_div(const tg_tensor* a, const tg_tensor* b, tg_tensor** out);

/* Elementwise unary ops. neg and relu accept every numeric dtype; exp and log floating
 * dtypes only. relu's gradient at exactly 0 is 0, as in TensorFlow. */
TG_API tg_status tg_neg(const tg_tensor* x, tg_tensor** out);
TG_API tg_status tg_exp(const tg_tensor* x, tg_tensor** out);
TG_API tg_status tg_log(const tg_tensor* x, tg_tensor** out);
TG_API tg_status tg_relu(const tg_tensor* x, tg_tensor** out);

/* out (…, M,N) = op(a) · op(b), tf.linalg.matmul / np.matmul for rank >= 2, float32 or
 * float64, both of one dtype. The last two dims are the matrices: op(a) is a (…, M,K) or, if
 * transpose_a, the transpose of a (…, K,M); likewise b (…, K,N) or (…, N,K). The leading
 * (batch) dims broadcast as NumPy's do: (2,1,3,4) x (5,4,2) gives (2,5,3,2). Rank-2 operands
 * give an (M,N) matrix. The transpose flags are passed to BLAS and broadcast operands are
 * reused: nothing is copied. Gradients are summed over broadcast batch dims.
 * TG_INVALID_ARGUMENT for rank < 2, other dtypes, different inner dims (K) or batch dims that
 * do not broadcast; the message names both shapes. */
TG_API tg_status tg_matmul(const tg_tensor* a, const tg_tensor* b, int transpose_a,
                           int transpose_b, tg_tensor** out);

/* Sum / mean over `axes` (num_axes entries in [-rank, rank), no duplicates; num_axes == 0
 * reduces every axis). keepdims != 0 keeps reduced axes with size 1. */
TG_API tg_status tg_reduce_sum(const tg_tensor* x, const int64_t* axes, size_t num_axes,
                               int keepdims, tg_tensor** out);
TG_API tg_status tg_reduce_mean(const tg_tensor* x, const int64_t* axes, size_t num_axes,
                                int keepdims, tg_tensor** out);

/* Softmax / log-softmax along `axis` (in [-rank, rank); -1 is the last), computed with the
 * maximum subtracted, so large logits do not overflow. Floating dtypes. */
TG_API tg_status tg_softmax(const tg_tensor* x, int64_t axis, tg_tensor** out);
TG_API tg_status tg_log_softmax(const tg_tensor* x, int64_t axis, tg_tensor** out);

/* Same elements in a new shape (`rank` dims; one may be -1, inferred). Shares storage. */
TG_API tg_status tg_reshape(const tg_tensor* x, const int64_t* shape, int rank,
                            tg_tensor** out);
/* Permutes axes: out.shape[i] = x.shape[perm[i]]. perm has `rank` == x's rank entries, or
 * is NULL with rank 0 to reverse the axes (tf.transpose's default). */
TG_API tg_status tg_transpose(const tg_tensor* x, const int64_t* perm, int rank,
                              tg_tensor** out);
/* Converts to `dtype`. Gradients flow only between floating dtypes. */
TG_API tg_status tg_cast(const tg_tensor* x, tg_dtype dtype, tg_tensor** out);

/* --- Ops: unary math ------------------------------------------------------------------ */

/* Elementwise unary math and activations (tf.math.*, tf.nn.*): *out has x's shape and
 * dtype (but see tg_leaky_relu) and is owned by the caller (tg_tensor_free). Dtypes:
 *   every numeric dtype (float32/64, int32/64): abs, sign, square, relu6, round;
 *   every dtype, bool included: identity, stop_gradient;
 *   floating dtypes only: the others (tg_leaky_relu also takes integers).
 * Integer abs and square wrap around on overflow. A dtype an op does not accept gives
 * TG_INVALID_ARGUMENT naming the op and the dtype ("[tg_sqrt] sqrt: expected a floating
 * dtype (float32 or float64), got int32"); a bad handle gives TG_INVALID_HANDLE.
 * Gradients follow TensorFlow and are themselves differentiable (higher-order gradients
 * work through every op below). */

/* |x|. Gradient sign(x)·g, so 0 at x = 0 (as TensorFlow). */
TG_API tg_status tg_abs(const tg_tensor* x, tg_tensor** out);
/* -1, 0 or 1 by the sign of x; NaN stays NaN. Not differentiable: a gradient through it is
 * NULL, as for floor (TensorFlow's _SignGrad returns zeros instead: the same numbers). */
TG_API tg_status tg_sign(const tg_tensor* x, tg_tensor** out);
/* x². */
TG_API tg_status tg_square(const tg_tensor* x, tg_tensor** out);
/* sqrt(x) and 1/sqrt(x) (NaN below 0, inf / 0 at 0). */
TG_API tg_status tg_sqrt(const tg_tensor* x, tg_tensor** out);
TG_API tg_status tg_rsqrt(const tg_tensor* x, tg_tensor** out);
/* exp(x) − 1 and log(1 + x), accurate for x near 0 (C's expm1 / log1p). */
TG_API tg_status tg_expm1(const tg_tensor* x, tg_tensor** out);
TG_API tg_status tg_log1p(const tg_tensor* x, tg_tensor** out);
/* sin(x), cos(x), tanh(x). */
TG_API tg_status tg_sin(const tg_tensor* x, tg_tensor** out);
TG_API tg_status tg_cos(const tg_tensor* x, tg_tensor** out);
TG_API tg_status tg_tanh(const tg_tensor* x, tg_tensor** out);
/* 1/(1 + exp(−x)) and log(1 + exp(x)), computed so that no |x| overflows (sigmoid(±1000)
 * is 1 / 0, softplus(1000) is 1000). */
TG_API tg_status tg_sigmoid(const tg_tensor* x, tg_tensor** out);
TG_API tg_status tg_softplus(const tg_tensor* x, tg_tensor** out);
/* min(max(x, 0), 6). Gradient g where 0 < x < 6, else 0. */
TG_API tg_status tg_relu6(const tg_tensor* x, tg_tensor** out);

/* tf.nn.leaky_relu's default slope. */
#define TG_LEAKY_RELU_DEFAULT_ALPHA 0.2
/* x > 0 ? x : alpha·x (tf.nn.leaky_relu). Gradient g for x > 0, alpha·g otherwise. As in
 * TensorFlow, an int32/int64 x is cast to float32 first (*out is then TG_FLOAT32). */
TG_API tg_status tg_leaky_relu(const tg_tensor* x, double alpha, tg_tensor** out);
/* x < 0 ? exp(x) − 1 : x (tf.nn.elu). */
TG_API tg_status tg_elu(const tg_tensor* x, tg_tensor** out);
/* scale·(x < 0 ? alpha·(exp(x) − 1) : x) with TensorFlow's constants
 * alpha = 1.6732632423543772, scale = 1.0507009873554805 (tf.nn.selu; selu(1) = 1.0507010). */
TG_API tg_status tg_selu(const tg_tensor* x, tg_tensor** out);
/* tf.nn.gelu. approximate == 0: the exact x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (gelu(1) =
 * 0.8413447); approximate != 0: 0.5·x·(1 + tanh(0.7978845608·(x + 0.044715·x³))). */
TG_API tg_status tg_gelu(const tg_tensor* x, int approximate, tg_tensor** out);
/* x·sigmoid(x) (tf.nn.silu, Keras "swish"). */
TG_API tg_status tg_silu(const tg_tensor* x, tg_tensor** out);

/* Rounding: floor, ceil (floating dtypes) and round (half to even, as TensorFlow:
 * round(2.5) = 2, round(-2.5) = -2; integers are returned unchanged). Not differentiable:
 * gradients through them are NULL (TF's _FloorGrad, _CeilGrad, _RoundGrad return None). */
TG_API tg_status tg_floor(const tg_tensor* x, tg_tensor** out);
TG_API tg_status tg_ceil(const tg_tensor* x, tg_tensor** out);
TG_API tg_status tg_round(const tg_tensor* x, tg_tensor** out);

/* x's values as a new tensor handle (sharing x's storage), any dtype. tg_identity passes
 * gradients through unchanged; tg_stop_gradient blocks them: a gradient through it is NULL
 * (tf.stop_gradient). */
TG_API tg_status tg_identity(const tg_tensor* x, tg_tensor** out);
TG_API tg_status tg_stop_gradient(const tg_tensor* x, tg_tensor** out);

/* --- Ops: binary math, comparisons, selection ------------------------------------------ */

/* Elementwise binary ops with NumPy broadcasting: *out has the broadcast shape of the
 * inputs and is owned by the caller (tg_tensor_free). x and y must have one dtype. Shapes
 * that do not broadcast, or dtypes that differ, give TG_INVALID_ARGUMENT naming the op and
 * both shapes ("[tg_pow] pow: shapes (2,3) and (4,5) cannot be broadcast together"). */

/* x^y (tf.pow). Numeric dtypes; integer powers wrap around on overflow, and a negative
 * integer exponent is TG_INVALID_ARGUMENT ("Integers to negative integer powers are not
 * allowed"). Gradient (TF's _PowGrad): d/dx = g·y·x^(y−1); d/dy = g·x^y·log(x) where x > 0
 * and 0 where x <= 0. */
TG_API tg_status tg_pow(const tg_tensor* x, const tg_tensor* y, tg_tensor** out);
/* Elementwise max / min (tf.maximum, tf.minimum). Numeric dtypes; a NaN in either input
 * gives NaN. Gradient: g goes to the selected input; on ties it goes to x (TF selects x
 * where x >= y for maximum, x <= y for minimum). */
TG_API tg_status tg_maximum(const tg_tensor* x, const tg_tensor* y, tg_tensor** out);
TG_API tg_status tg_minimum(const tg_tensor* x, const tg_tensor* y, tg_tensor** out);
/* (x − y)² (tf.math.squared_difference). Numeric dtypes. */
TG_API tg_status tg_squared_difference(const tg_tensor* x, const tg_tensor* y,
                                       tg_tensor** out);

/* Comparisons: *out is a TG_BOOL tensor of the broadcast shape. tg_equal / tg_not_equal
 * accept every dtype, the orderings the numeric dtypes (TG_INVALID_ARGUMENT for bool).
 * NaN compares unequal to everything. Not differentiable: gradients through them are NULL. */
TG_API tg_status tg_equal(const tg_tensor* x, const tg_tensor* y, tg_tensor** out);
TG_API tg_status tg_not_equal(const tg_tensor* x, const tg_tensor* y, tg_tensor** out);
TG_API tg_status tg_less(const tg_tensor* x, const tg_tensor* y, tg_tensor** out);
TG_API tg_status tg_less_equal(const tg_tensor* x, const tg_tensor* y, tg_tensor** out);
TG_API tg_status tg_greater(const tg_tensor* x, const tg_tensor* y, tg_tensor** out);
TG_API tg_status tg_greater_equal(const tg_tensor* x, const tg_tensor* y, tg_tensor** out);

/* Logic on TG_BOOL tensors (a nonzero byte counts as true), broadcasting; *out is TG_BOOL.
 * Other dtypes give TG_INVALID_ARGUMENT. */
TG_API tg_status tg_logical_and(const tg_tensor* x, const tg_tensor* y, tg_tensor** out);
TG_API tg_status tg_logical_or(const tg_tensor* x, const tg_tensor* y, tg_tensor** out);
TG_API tg_status tg_logical_not(const tg_tensor* x, tg_tensor** out);

/* condition ? x : y elementwise (TF2 tf.where): condition (TG_BOOL), x and y broadcast
 * together; x and y share any dtype, which *out has. Gradient: g flows to x where the
 * condition holds and to y elsewhere (each summed to its shape); none to condition.
 * TG_INVALID_ARGUMENT if condition is not TG_BOOL, if x and y dtypes differ, or if the three
 * shapes do not broadcast (the message names all three). */
TG_API tg_status tg_where(const tg_tensor* condition, const tg_tensor* x, const tg_tensor* y,
                          tg_tensor** out);

/* Clips t elementwise to [clip_value_min, clip_value_max] (tf.clip_by_value, computed as
 * max(min(t, clip_value_max), clip_value_min)). The bounds are tensors that broadcast to
 * t's shape (scalars usually); *out has t's shape. One numeric dtype for all three; NaN in t
 * or a bound gives NaN. Gradient (TF's _ClipByValueGrad): t gets g where
 * clip_value_min <= t <= clip_value_max, clip_value_min gets g where t < clip_value_min,
 * clip_value_max gets g where t > clip_value_max (summed to each bound's shape).
 * TG_INVALID_ARGUMENT for differing dtypes or bounds that would change t's shape. */
TG_API tg_status tg_clip_by_value(const tg_tensor* t, const tg_tensor* clip_value_min,
                                  const tg_tensor* clip_value_max, tg_tensor** out);

/* --- Ops: reductions and batched products ---------------------------------------------- */

/* Max / min / product / log-sum-exp / population variance over `axes`, with the axes
 * convention of tg_reduce_sum (num_axes entries in [-rank, rank), no duplicates; num_axes == 0
 * reduces every axis; keepdims != 0 keeps reduced axes with size 1).
 *   max, min: numeric dtypes (not bool). An empty reduction gives -inf / +inf (the lowest /
 *     highest value of an integer dtype). Gradient: split equally among tied extrema,
 *     g·[x == max]/count, as TensorFlow.
 *   prod: numeric dtypes; integer products wrap around. The gradient (g times the product of
 *     the other elements) divides by nothing, so it is exact where x has zeros, and is itself
 *     differentiable.
 *   logsumexp: log(sum(exp(x))), computed with the maximum subtracted, so large inputs do not
 *     overflow (a slice of -inf gives -inf). Floating dtypes. Gradient: g·softmax(x).
 *   variance: mean((x - mean(x))^2), tf.math.reduce_variance. Floating dtypes.
 * TG_INVALID_ARGUMENT for a bad axis or dtype (the message names the op and the shape). */
TG_API tg_status tg_reduce_max(const tg_tensor* x, const int64_t* axes, size_t num_axes,
                               int keepdims, tg_tensor** out);
TG_API tg_status tg_reduce_min(const tg_tensor* x, const int64_t* axes, size_t num_axes,
                               int keepdims, tg_tensor** out);
TG_API tg_status tg_reduce_prod(const tg_tensor* x, const int64_t* axes, size_t num_axes,
                                int keepdims, tg_tensor** out);
TG_API tg_status tg_reduce_logsumexp(const tg_tensor* x, const int64_t* axes, size_t num_axes,
                                     int keepdims, tg_tensor** out);
TG_API tg_status tg_reduce_variance(const tg_tensor* x, const int64_t* axes, size_t num_axes,
                                    int keepdims, tg_tensor** out);

/* Index of the largest / smallest element along `axis` (in [-rank, rank)), as a TG_INT64
 * tensor of x's shape without that axis (tf.math.argmax's default output type). Ties give
 * the smallest index; a NaN counts as the largest and the smallest (its first index wins).
 * Numeric dtypes. Not differentiable: a gradient through it is NULL.
 * TG_INVALID_ARGUMENT for a bad axis, a bool x, or an empty axis ("Reduction axis 0 is
 * empty in shape (0,3)"). */
TG_API tg_status tg_argmax(const tg_tensor* x, int64_t axis, tg_tensor** out);
TG_API tg_status tg_argmin(const tg_tensor* x, int64_t axis, tg_tensor** out);

/* --- Ops: shape ------------------------------------------------------------------------ */

/* Shape ops (tf.expand_dims, tf.squeeze, tf.broadcast_to, tf.concat, tf.stack, tf.split,
 * tf.slice, tf.pad, tf.strided_slice, tf.gather, tf.one_hot, tf.tile). Every dtype is
 * accepted unless said otherwise; float32/float64 inputs are differentiable, and every
 * gradient here is itself differentiable (slice and pad are each other's gradient, gather's
 * is a scatter-add whose gradient is gather). Error messages name the op and the shapes.
 * Results are new tensors owned by the caller (tg_tensor_free). */

/* Inserts a size-1 axis at `axis`, in [-rank-1, rank] (-1 appends one at the end).
 * Shares x's storage. TG_INVALID_ARGUMENT for an axis out of range or a rank-8 x. */
TG_API tg_status tg_expand_dims(const tg_tensor* x, int64_t axis, tg_tensor** out);

/* Removes size-1 axes: the num_axes axes listed in `axes` (each in [-rank, rank); repeats
 * allowed), or every size-1 axis if num_axes is 0 (axes may then be NULL). Shares storage.
 * TG_INVALID_ARGUMENT if a listed axis is out of range or its size is not 1. */
TG_API tg_status tg_squeeze(const tg_tensor* x, const int64_t* axes, size_t num_axes,
                            tg_tensor** out);

/* Broadcasts x to `shape` (`rank` dims) with NumPy rules; the gradient sums back to x's
 * shape. TG_INVALID_ARGUMENT if x's shape does not broadcast to `shape`. */
TG_API tg_status tg_broadcast_to(const tg_tensor* x, const int64_t* shape, int rank,
                                 tg_tensor** out);

/* Joins `count` (>= 1) tensors along `axis` in [-rank, rank). All have one dtype and one
 * rank (>= 1) and equal dims except along axis: out.shape[axis] = the sum of theirs. A single
 * tensor is returned as a new handle to the same value, as tf.concat does (no checks).
 * TG_INVALID_ARGUMENT for count < 1, values NULL, scalars, mismatched dtype/rank/dims;
 * TG_INVALID_HANDLE if any values[i] is not a live tensor. */
TG_API tg_status tg_concat(tg_tensor* const* values, size_t count, int64_t axis,
                           tg_tensor** out);

/* Stacks `count` (>= 1) tensors of one dtype and shape S along a new axis `axis` in
 * [-(rank(S)+1), rank(S)+1): out.shape = S with count inserted at axis.
 * TG_INVALID_ARGUMENT for count < 1, values NULL, mismatched dtype or shape. */
TG_API tg_status tg_stack(tg_tensor* const* values, size_t count, int64_t axis,
                          tg_tensor** out);

/* Splits x along `axis` (in [-rank, rank), rank >= 1) into num_outputs tensors, written to
 * outputs[0..num_outputs) (new handles owned by the caller; nothing is written on error).
 * sizes NULL: num_outputs equal parts, which must divide x.shape[axis] evenly.
 * sizes non-NULL: num_outputs sizes, each >= 0 or one -1 (the remainder), adding up to
 * x.shape[axis]. TG_INVALID_ARGUMENT otherwise, or if outputs is NULL. */
TG_API tg_status tg_split(const tg_tensor* x, const int64_t* sizes, size_t num_outputs, int64_t axis,
                          tg_tensor** outputs);

/* tf.slice: out = x[begin[d] : begin[d] + size[d]] on each axis d; begin and size have
 * `rank` == x's rank entries, begin[d] in [0, dim], size[d] in [0, dim - begin[d]] or -1
 * (to the end). The gradient pads with zeros. TG_INVALID_ARGUMENT otherwise. */
TG_API tg_status tg_slice(const tg_tensor* x, const int64_t* begin, const int64_t* size, int rank,
                          tg_tensor** out);

/* tf.pad in CONSTANT mode: paddings is (rank, 2), row-major: paddings[2d] elements of
 * `value` before axis d and paddings[2d+1] after it, all >= 0; rank == x's rank. value is
 * converted to x's dtype (integer dtypes: truncated, must be in range). The gradient
 * slices. TG_INVALID_ARGUMENT otherwise. */
TG_API tg_status tg_pad(const tg_tensor* x, const int64_t* paddings, int rank, double value,
                        tg_tensor** out);

/* tf.strided_slice: begin, end, strides have n (< 32) entries each; entry i slices from
 * begin[i] to end[i] (exclusive) in steps of strides[i] (non-zero; negative walks
 * backwards); negative indices count from the end, and indices are clamped to the axis.
 * Bit i of the masks changes entry i: begin_mask / end_mask ignore begin[i] / end[i] (the
 * whole range in the stride's direction); shrink_axis_mask takes the single index begin[i]
 * (must be in range, stride > 0) and removes the axis; new_axis_mask inserts a size-1 axis;
 * ellipsis_mask (at most one bit) stands for every axis not otherwise named. Axes past the
 * last entry are taken whole. The gradient scatters into zeros.
 * TG_INVALID_ARGUMENT for mismatched lengths, a zero stride, an out-of-range shrink index,
 * several ellipses, too many entries for x's rank. */
TG_API tg_status tg_strided_slice(const tg_tensor* x, const int64_t* begin, const int64_t* end,
                                  const int64_t* strides, size_t n, int32_t begin_mask,
                                  int32_t end_mask, int32_t ellipsis_mask,
                                  int32_t new_axis_mask, int32_t shrink_axis_mask,
                                  tg_tensor** out);

/* tf.gather(params, indices, axis) with batch_dims 0: out.shape = params.shape[:axis] +
 * indices.shape + params.shape[axis+1:]. indices: TG_INT32 or TG_INT64, each in
 * [0, params.shape[axis]); axis in [-rank, rank), params rank >= 1. Differentiable in params
 * (duplicate indices add up); indices get no gradient.
 * TG_INVALID_ARGUMENT for an index out of range (the message names it and the range), a
 * non-integer indices tensor, a bad axis, a result above rank 8. */
TG_API tg_status tg_gather(const tg_tensor* params, const tg_tensor* indices, int64_t axis,
                           tg_tensor** out);

/* tf.one_hot: indices (TG_INT32 or TG_INT64) of shape S; out has S's axes plus a new axis of
 * size `depth` (>= 0) at `axis` (-1: last, else in [0, rank(S)]), of `dtype`: on_value where
 * the position along that axis equals the index, off_value elsewhere. An index outside
 * [0, depth) gives a row of off_value. Not differentiable.
 * TG_INVALID_ARGUMENT for non-integer indices, negative depth, a bad axis or dtype, or
 * on/off values out of an integer dtype's range. */
TG_API tg_status tg_one_hot(const tg_tensor* indices, int64_t depth, double on_value,
                            double off_value, int64_t axis, tg_dtype dtype, tg_tensor** out);

/* tf.tile: out.shape[d] = x.shape[d] * multiples[d]; `rank` == x's rank multiples, each
 * >= 0. The gradient sums the copies. TG_INVALID_ARGUMENT otherwise. */
TG_API tg_status tg_tile(const tg_tensor* x, const int64_t* multiples, int rank,
                         tg_tensor** out);

/* --- Ops: fused losses ----------------------------------------------------------------- */

/* tf.nn.softmax_cross_entropy_with_logits: the per-example loss
 *   out = sum over `axis` of labels · (logsumexp(logits) − logits)
 * computed in one pass with the maximum subtracted (finite for large logits). labels and
 * logits have the same shape and the same floating dtype; axis in [-rank, rank) (-1: the
 * last); out has logits' shape without `axis`. Each labels slice is normally a probability
 * distribution. Gradients, as TensorFlow's kernel: logits get g·(softmax(logits) − labels)
 * (the exact derivative when each labels slice sums to 1), labels get −g·log_softmax(logits);
 * both can be differentiated again.
 * TG_INVALID_ARGUMENT for different shapes or dtypes, integer dtypes, a bad axis. */
TG_API tg_status tg_softmax_cross_entropy_with_logits(const tg_tensor* labels,
                                                      const tg_tensor* logits, int64_t axis,
                                                      tg_tensor** out);

/* tf.nn.sparse_softmax_cross_entropy_with_logits: labels (B…) TG_INT32 or TG_INT64 class
 * indices, logits (B…, C) floating → out (B…) = logsumexp(logits) − logits[label], of logits'
 * dtype. Gradient w.r.t. logits: g·(softmax(logits) − one_hot(labels)); labels get none.
 * TG_INVALID_ARGUMENT for a label outside [0, C) ("Received a label value of 7 which is
 * outside the valid range of [0, 5).  Label values: 1 7"), a labels shape other than logits'
 * without its last dim, scalar logits, C == 0, or wrong dtypes. */
TG_API tg_status tg_sparse_softmax_cross_entropy_with_logits(const tg_tensor* labels,
                                                             const tg_tensor* logits,
                                                             tg_tensor** out);

/* --- Ops: convolution, pooling, normalization ------------------------------------------ */

/* Images are channels-last (NHWC): (batch, height, width, channels), as Keras's default
 * channels_last; filters are HWIO: (height, width, in_channels / groups, out_channels), the
 * shape of a Keras Conv2D kernel. Float32 or float64 only. Every result is a new tensor owned
 * by the caller (tg_tensor_free), recorded on the active tapes like any op, and every
 * gradient here is itself differentiable (second derivatives work). Errors are
 * TG_INVALID_ARGUMENT with a message naming the op and the shapes, TG_INVALID_HANDLE for a
 * bad handle, TG_OUT_OF_MEMORY; nothing is written to the out-parameters on error.
 * Thread-safe as every op: large convolutions and poolings use up to tg_get_num_threads()
 * threads, and the result does not depend on the thread count. */

/* How a sliding window treats the borders, per spatial axis of `size` cells, for a window of
 * k cells with dilation d (effective size k_eff = (k − 1)·d + 1) and stride s:
 *   TG_PADDING_VALID   no padding: out = floor((size − k_eff) / s) + 1, and the window must
 *                      fit in the input;
 *   TG_PADDING_SAME    out = ceil(size / s), padding P = max(0, (out − 1)·s + k_eff − size)
 *                      split as TensorFlow does: floor(P/2) before, the rest after (the odd
 *                      cell goes to the bottom / right). Example: size 4, k 3, s 2 → out 2,
 *                      padding (0, 1);
 *   TG_PADDING_CAUSAL  tg_conv1d only: d·(k − 1) zeros before, none after (out = size / s,
 *                      rounded up), so output t sees inputs up to t (Keras Conv1D). */
typedef enum tg_padding {
  TG_PADDING_VALID = 0,
  TG_PADDING_SAME = 1,
  TG_PADDING_CAUSAL = 2
} tg_padding;

/* tf.nn.conv2d with Keras's layout, plus an optional bias: input (N, H, W, C), filters
 * (KH, KW, C/G, O), bias (O) or NULL → out (N, OH, OW, O), OH and OW as tg_padding says.
 * Cross-correlation (the filter is not flipped):
 *   out[n, i, j, o] = bias[o] + sum over kh, kw, c of
 *                     input[n, i·stride_h − top + kh·dilation_h,
 *                              j·stride_w − left + kw·dilation_w, g·C/G + c] · filters[kh, kw, c, o]
 * where g = o / (O/G) and cells outside the input are zeros. The number of groups G is
 * C / filters' third dim: each group of C/G input channels feeds its own O/G outputs (G = C
 * is a depthwise convolution; TensorFlow's CPU kernel rejects groups, Keras runs them, and
 * so does this). strides and dilations >= 1; as Keras, strides > 1 together with dilations
 * > 1 is rejected. The bias is Keras Conv2D's use_bias, added inside the op at no extra cost
 * (tf.nn.conv2d followed by tf.nn.bias_add). Gradients: input, filters and bias.
 * TG_INVALID_ARGUMENT: ranks other than 4, different or non-floating dtypes, a stride,
 * dilation or filter size < 1, both strides > 1 and dilations > 1, C not a multiple of the
 * filters' in-channels, O not a multiple of G, a (dilated) filter larger than the padded
 * input, a bias other than (O), TG_PADDING_CAUSAL, sizes that overflow. */
TG_API tg_status tg_conv2d(const tg_tensor* input, const tg_tensor* filters,
                           const tg_tensor* bias, int64_t stride_h, int64_t stride_w,
                           tg_padding padding, int64_t dilation_h, int64_t dilation_w,
                           tg_tensor** out);

/* The gradients of tg_conv2d, as ops of their own (tf.nn.conv2d_backprop_input /
 * tf.compat.v1.nn.conv2d_backprop_filter), with the convolution's own arguments:
 *   backprop_input: the gradient with respect to an input of shape input_shape (`rank` == 4
 *     dims) for the output gradient out_backprop (N, OH, OW, O); linear in out_backprop, it is
 *     also the transposed convolution ("deconvolution") of out_backprop;
 *   backprop_filter: the gradient with respect to filters of shape filter_shape (`rank` == 4
 *     dims), for input and out_backprop.
 * out_backprop must have exactly the shape tg_conv2d would produce. Both are differentiable
 * in their tensor arguments. Errors as tg_conv2d, plus a wrong out_backprop shape. */
TG_API tg_status tg_conv2d_backprop_input(const int64_t* input_shape, int rank,
                                          const tg_tensor* filters, const tg_tensor* out_backprop,
                                          int64_t stride_h, int64_t stride_w, tg_padding padding,
                                          int64_t dilation_h, int64_t dilation_w,
                                          tg_tensor** out);
TG_API tg_status tg_conv2d_backprop_filter(const tg_tensor* input, const int64_t* filter_shape,
                                           int rank, const tg_tensor* out_backprop,
                                           int64_t stride_h, int64_t stride_w,
                                           tg_padding padding, int64_t dilation_h,
                                           int64_t dilation_w, tg_tensor** out);

/* Keras Conv1D's convolution: input (N, W, C), filters (K, C/G, O), bias (O) or NULL → out
 * (N, OW, O), with TG_PADDING_VALID, TG_PADDING_SAME or TG_PADDING_CAUSAL. Runs as tg_conv2d
 * on images of height 1 (same rules, same kernels). */
TG_API tg_status tg_conv1d(const tg_tensor* input, const tg_tensor* filters,
                           const tg_tensor* bias, int64_t stride, tg_padding padding,
                           int64_t dilation, tg_tensor** out);

/* tf.nn.max_pool2d / tf.nn.avg_pool2d: input (N, H, W, C) → (N, OH, OW, C) over windows of
 * pool_h × pool_w cells moved by stride_h, stride_w (all >= 1; Keras's default strides are
 * the pool size), padding TG_PADDING_VALID or TG_PADDING_SAME, as TensorFlow's CPU kernels:
 *   max: padded cells never win. The gradient goes whole to the first maximal element of
 *        each window in row-major scan order (top-most, then left-most); tied elements after
 *        it get nothing; overlapping windows add their gradients.
 *   avg: the mean over the window's cells that lie inside the input — 'same' padding is not
 *        counted (a 3×3 corner window over 4 real cells divides by 4); the gradient spreads
 *        the same way.
 * With 'same' padding a window may be larger than the input (it is clipped to it).
 * TG_INVALID_ARGUMENT: rank other than 4, a non-floating dtype, a window or stride < 1, a
 * window larger than the input with 'valid', TG_PADDING_CAUSAL, a padding whose size
 * overflows int64 (the message names the op, the axis and the input shape). */
TG_API tg_status tg_max_pool2d(const tg_tensor* input, int64_t pool_h, int64_t pool_w,
                               int64_t stride_h, int64_t stride_w, tg_padding padding,
                               tg_tensor** out);
TG_API tg_status tg_avg_pool2d(const tg_tensor* input, int64_t pool_h, int64_t pool_w,
                               int64_t stride_h, int64_t stride_w, tg_padding padding,
                               tg_tensor** out);

/* Keras GlobalAveragePooling2D / GlobalMaxPooling2D: the mean / maximum over H and W of
 * input (N, H, W, C) → (N, C), or (N, 1, 1, C) if keepdims != 0. Plain tg_reduce_mean /
 * tg_reduce_max over axes 1 and 2 (so the max gradient is split among tied maxima).
 * TG_INVALID_ARGUMENT for a rank other than 4. */
TG_API tg_status tg_global_average_pool2d(const tg_tensor* input, int keepdims, tg_tensor** out);
TG_API tg_status tg_global_max_pool2d(const tg_tensor* input, int keepdims, tg_tensor** out);

/* Batch normalization in training mode, one fused op (TensorFlow's FusedBatchNorm with
 * is_training, channels last): per channel c (the last axis), over the n = x.size / C values
 * of all other axes, μ = mean, σ² = biased variance (divided by n), and
 *   y = (x − μ) · scale · 1/sqrt(σ² + epsilon) + offset.
 * x: (…, C), rank >= 1, float32 or float64; scale and offset: (C) of x's dtype, or NULL for
 * ones / zeros (Keras's scale=False / center=False); epsilon >= 0 (Keras: 1e-3).
 * Writes *out_y (x's shape) and, unless NULL, *out_batch_mean (μ, shape (C)) and
 * *out_batch_variance (shape (C)) = σ²·n/(n − 1) with n − 1 taken as at least 1: Bessel's
 * correction, as TensorFlow returns it. Keras's fused path (4-D inputs) updates
 *   moving_mean     ← momentum·moving_mean     + (1 − momentum)·batch_mean
 *   moving_variance ← momentum·moving_variance + (1 − momentum)·batch_variance
 * with these values, while y uses the biased σ²; Keras's non-fused path (other ranks) and
 * Keras 3 use the biased σ² = batch_variance·(n − 1)/n instead. Empty x gives NaN statistics.
 * Gradients flow to x, scale and offset (all differentiable again), not through the returned
 * statistics. */
TG_API tg_status tg_fused_batch_norm(const tg_tensor* x, const tg_tensor* scale,
                                     const tg_tensor* offset, double epsilon, tg_tensor** out_y,
                                     tg_tensor** out_batch_mean,
                                     tg_tensor** out_batch_variance);

/* tf.nn.batch_normalization (batch norm in inference mode, with moving statistics):
 *   inv = scale / sqrt(variance + epsilon);  out = x·inv + (offset − mean·inv)
 * mean, variance, offset and scale broadcast to x's shape (usually (C)) and have x's dtype;
 * offset and scale may be NULL (0 and 1). Differentiable in all of them.
 * TG_INVALID_ARGUMENT: mean or variance NULL, dtypes that differ, shapes that do not
 * broadcast to x's, epsilon < 0. */
TG_API tg_status tg_batch_normalization(const tg_tensor* x, const tg_tensor* mean,
                                        const tg_tensor* variance, const tg_tensor* offset,
                                        const tg_tensor* scale, double epsilon, tg_tensor** out);

/* Keras LayerNormalization: per example, over the num_axes (>= 1) axes listed in `axes`
 * (each in [-rank, rank), no repeats; Keras's default is the last axis, -1), μ = mean,
 * σ² = biased variance, out = gamma·(x − μ)/sqrt(σ² + epsilon) + beta. gamma and beta have
 * the normalized dims' shape in increasing axis order (for axes {1, 2} of (N, H, W, C):
 * (H, W)), or are NULL (scale=False / center=False). Keras's epsilon default is 1e-3.
 * Same in training and inference. Differentiable in x, gamma and beta.
 * TG_INVALID_ARGUMENT: bad or repeated axes, gamma/beta of another shape or dtype, a
 * non-floating x, epsilon < 0. */
TG_API tg_status tg_layer_normalization(const tg_tensor* x, const tg_tensor* gamma,
                                        const tg_tensor* beta, const int64_t* axes,
                                        size_t num_axes, double epsilon, tg_tensor** out);

/* --- Creation -------------------------------------------------------------------------- */

/* New tensors without inputs (never recorded on a tape). Each writes *out, owned by the
 * caller (tg_tensor_free), and returns TG_OK, TG_INVALID_ARGUMENT (bad dtype, rank,
 * dimension or value, as below) or TG_OUT_OF_MEMORY. */

/* All zeros / all ones (true for TG_BOOL) of the given dtype and shape (`rank` dims, each
 * >= 0; shape may be NULL when rank is 0). */
TG_API tg_status tg_zeros(tg_dtype dtype, const int64_t* shape, int rank, tg_tensor** out);
TG_API tg_status tg_ones(tg_dtype dtype, const int64_t* shape, int rank, tg_tensor** out);

/* tf.range(start, limit, delta, dtype): the rank-1 tensor start, start + delta, … up to but
 * not including limit; ceil(|limit − start| / |delta|) elements, each the previous plus
 * delta in `dtype` (as TensorFlow accumulates). delta may be negative: tg_range(5, 1, -2)
 * is (5, 3). Numeric dtypes (not TG_BOOL). TG_INVALID_ARGUMENT for delta == 0
 * ("Requires delta != 0"), start > limit with delta > 0 or start < limit with delta < 0
 * (an error, as in TensorFlow, not an empty result), non-finite values, and for integer
 * dtypes values that are not whole numbers of that dtype. */
TG_API tg_status tg_range(double start, double limit, double delta, tg_dtype dtype,
                          tg_tensor** out);

/* tf.eye: a (num_rows, num_columns) matrix of `dtype` with ones on the main diagonal and
 * zeros elsewhere. num_columns == -1 means num_columns = num_rows (TensorFlow's None).
 * TG_INVALID_ARGUMENT for a negative size (other than that -1). */
TG_API tg_status tg_eye(int64_t num_rows, int64_t num_columns, tg_dtype dtype, tg_tensor** out);

/* tf.random.truncated_normal: mean + stddev·z with z standard normal, where any z with
 * |z| >= 2 is re-drawn (so every value lies within two standard deviations of the mean).
 * float32 or float64; stddev >= 0. Deterministic from `seed` (Philox4x32-10, like
 * tg_random_uniform): element i depends only on (seed, i). TG_INVALID_ARGUMENT for another
 * dtype or a negative / NaN stddev. */
TG_API tg_status tg_random_truncated_normal(tg_dtype dtype, const int64_t* shape, int rank,
                                            double mean, double stddev, uint64_t seed,
                                            tg_tensor** out);

/* ------------------------------------------------------------------------------------- */
/* Variables: named, mutable, optionally trainable                                       */
/* ------------------------------------------------------------------------------------- */

/* A named, mutable tensor: model weights and optimizer state (handle). */
typedef struct tg_variable tg_variable;

/* Creates a variable holding a copy of `initial`. name: any string (copied); NULL → "".
 * trainable != 0: read inside a recording tape watches it automatically (unless the tape
 * was begun with TG_TAPE_NO_WATCH_ACCESSED_VARIABLES).
 * *out owned by the caller. Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT,
 * TG_OUT_OF_MEMORY. */
TG_API tg_status tg_variable_create(const char* name, const tg_tensor* initial, int trainable,
                                    tg_variable** out);

/* Reads the current value: a snapshot that later assignments or optimizer steps do not
 * change. Inside a recording tape the read is recorded, so gradients reach the variable.
 * *out owned by the caller. */
TG_API tg_status tg_variable_read(tg_variable* variable, tg_tensor** out);

/* Reads the current value without recording anything: no tape watches the variable or records
 * the read, so no gradient flows through the result (for metrics, logging, checkpoints). A
 * snapshot like tg_variable_read's. *out owned by the caller.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (out NULL), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_variable_value(const tg_variable* variable, tg_tensor** out);

/* The variable's identity: a number unique in the process (never reused, also after the
 * variable is freed), the same for every handle to the variable. Ids increase in order of
 * construction. Two handles are the same variable iff their ids are equal.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (out NULL). */
TG_API tg_status tg_variable_id(const tg_variable* variable, uint64_t* out);

/* Replaces the value with a copy of `value`, which must have the variable's shape and
 * dtype (TG_INVALID_ARGUMENT otherwise). Earlier reads keep their values. */
TG_API tg_status tg_variable_assign(tg_variable* variable, const tg_tensor* value);

/* The variable's name, e.g. "my_model/dense/kernel:0". *out is owned by the variable and
 * valid while any handle to it lives. */
TG_API tg_status tg_variable_name(const tg_variable* variable, const char** out);
TG_API tg_status tg_variable_trainable(const tg_variable* variable, int* out);
TG_API tg_status tg_variable_dtype(const tg_variable* variable, tg_dtype* out);
TG_API tg_status tg_variable_rank(const tg_variable* variable, int* out);
/* Writes rank dimensions to dims; TG_INVALID_ARGUMENT if capacity < rank. */
TG_API tg_status tg_variable_shape(const tg_variable* variable, int64_t* dims, size_t capacity);

/* Releases this handle. The variable lives on while a model, tape or another handle uses
 * it. NULL: no-op. Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_variable_free(tg_variable* variable);

/* ------------------------------------------------------------------------------------- */
/* Gradient tape (tf.GradientTape)                                                         */
/* ------------------------------------------------------------------------------------- */

/* A gradient tape, tf.GradientTape (handle). */
typedef struct tg_tape tg_tape;

/*
 * A tape records the ops run on the tensors it watches, so that gradients can be taken
 * afterwards. TensorFlow's Python maps to C as follows (docs/gradient-tape.md has the full
 * table, with the few deliberate differences):
 *
 *   with tf.GradientTape(...) as t:   tg_tape_begin(flags, &t) ... tg_tape_end(t)
 *   with t:  (the same tape again)    tg_tape_enter(t) ... tg_tape_end(t)
 *   with t.stop_recording():          tg_tape_stop_recording(t) ... tg_tape_resume_recording(t)
 *   t.reset()                         tg_tape_reset(t)
 *   t.watch(x)                        tg_tape_watch(t, x)
 *   t.gradient(y, xs, og, u)          tg_tape_gradient(...), tg_tape_gradient_ex(...)
 *   t.jacobian(y, xs, u)              tg_tape_jacobian(...)
 *   t.batch_jacobian(y, x, u)         tg_tape_batch_jacobian(...)
 *   t.watched_variables()             tg_tape_watched_variables(...)
 *   del t                             tg_tape_free(t)
 *   None (a gradient)                 NULL
 *
 * STATES. A tape is *recording* from tg_tape_begin, tg_tape_enter or
 * tg_tape_resume_recording until tg_tape_end or tg_tape_stop_recording, and idle otherwise.
 * While it records, every op with a float32/float64 input that the tape watches (directly,
 * or as the output of an op it recorded) is recorded, and every trainable variable read is
 * watched (unless TG_TAPE_NO_WATCH_ACCESSED_VARIABLES). A non-persistent tape is *used* after
 * its one tg_tape_gradient, tg_tape_gradient_ex, tg_tape_jacobian or tg_tape_batch_jacobian
 * call: its record is released, and tg_tape_enter starts a fresh one. A call in the wrong
 * state returns TG_INVALID_STATE with TensorFlow's message, and changes nothing.
 *
 * NESTING. All recording tapes of a thread record every op, each with its own watched set.
 * A gradient computed while an outer tape records is recorded on it, so it can be
 * differentiated again (second and higher derivatives); a persistent tape may even
 * differentiate its own gradients while it records (x³ at 3: 27, then 18, then 6).
 *
 * THREADS. Each thread has its own stack of recording tapes; an op is recorded only on the
 * tapes of the thread that runs it. A tape belongs to the thread that began it: any tape
 * function called with it from another thread returns TG_INVALID_STATE (the exceptions:
 * tg_tape_free of a tape that is not recording, and tg_tape_is_persistent).
 *
 * DTYPES AND OPS. Only float32/float64 values are differentiated. An integer tensor may be
 * watched, but no op on it is recorded, so its gradient is NULL (zeros with
 * TG_UNCONNECTED_ZERO); a cast to an integer dtype cuts the chain. Ops that are not
 * differentiable give NULL gradients through them. An op on the differentiated path with no
 * gradient rule at all is TG_NO_GRADIENT, naming the op.
 */

#define TG_TAPE_DEFAULT 0u                     /* non-persistent, watches accessed variables */
#define TG_TAPE_PERSISTENT 1u                  /* persistent=True: any number of gradients */
#define TG_TAPE_NO_WATCH_ACCESSED_VARIABLES 2u /* watch_accessed_variables=False */

/* What a source that the targets do not depend on gets (tf.UnconnectedGradients). */
typedef enum tg_unconnected_gradients {
  TG_UNCONNECTED_NONE = 0, /* NULL (TF's None), the default */
  TG_UNCONNECTED_ZERO = 1  /* zeros of the source's shape and dtype */
} tg_unconnected_gradients;

/* Creates a tape and starts recording on the calling thread (entering the `with` block).
 * flags: TG_TAPE_DEFAULT or an OR of TG_TAPE_PERSISTENT, TG_TAPE_NO_WATCH_ACCESSED_VARIABLES.
 * The tape belongs to this thread. *out owned by the caller (tg_tape_free).
 * Returns TG_OK, TG_INVALID_ARGUMENT (unknown flag bits or out NULL), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_tape_begin(uint32_t flags, tg_tape** out);

/* Enters the tape again (a second `with tape:` block): recording continues into the same
 * record, so y = 2x in a first block and z = 2y in a second give dz/dx = 4. A used
 * non-persistent tape starts a fresh record and forgets its watched tensors and variables.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_STATE ("Tape is still recording, This can
 * happen if you try to re-enter an already-active tape." if it is recording; a call from
 * another thread). */
TG_API tg_status tg_tape_enter(tg_tape* tape);

/* Stops recording (leaving the `with` block). The record is kept for the gradient calls.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_STATE ("Tape is not recording." or a call
 * from another thread). */
TG_API tg_status tg_tape_end(tg_tape* tape);

/* The start of a `with tape.stop_recording():` block: ops run until
 * tg_tape_resume_recording are invisible to this tape (other tapes still record them);
 * their results are constants for it.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_STATE ("Trying to stop recording a tape which
 * is not recording." on a used non-persistent tape, "Tape is not recording." if it is not
 * recording, or a call from another thread). */
TG_API tg_status tg_tape_stop_recording(tg_tape* tape);

/* The end of the stop_recording block: the tape records again, into the same record (into a
 * fresh one if a non-persistent gradient was taken in between, as TensorFlow does).
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_STATE (no tg_tape_stop_recording to end;
 * "Tape is still recording, ..." if the tape was entered again in between, which also ends
 * the stop_recording block; a call from another thread). */
TG_API tg_status tg_tape_resume_recording(tg_tape* tape);

/* tape.reset(): drops everything recorded so far, the watched tensors and variables
 * included, and keeps recording, as if the block were left and a new tape entered. With
 * v = 1: loss = v·v; reset; loss += v·v gives d loss / dv = 2, not 4.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_STATE ("Tape is not recording." or a call
 * from another thread). */
TG_API tg_status tg_tape_reset(tg_tape* tape);

/* Makes the tape track `tensor_or_variable` (a tg_tensor* or tg_variable*), so ops on it
 * are recorded and gradients with respect to it can be taken. Works whether or not the tape
 * is recording. A watched variable is listed by tg_tape_watched_variables, trainable or not.
 * Watching an integer tensor is allowed but records nothing (its gradient is NULL), as in
 * TensorFlow. Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_STATE (another thread). */
TG_API tg_status tg_tape_watch(tg_tape* tape, const void* tensor_or_variable);

/* Gradients of the sum of `targets` with respect to each source, in order.
 * targets: num_targets handles, each a tg_tensor* or tg_variable*. Several targets are
 *   summed; a non-scalar target contributes the gradient of the sum of its elements. A
 *   target that is also a source contributes ones ([x, x·x] at x = 2 gives 1 + 4 = 5); a
 *   variable is a valid target.
 * sources: num_sources handles (tg_tensor* or tg_variable*); repeats are allowed and each
 *   copy gets the full gradient. A source may be an intermediate result: its gradient is
 *   taken there, and still flows on to the sources it depends on.
 * gradients: array of num_sources slots; gradients[i] receives a new tensor of source i's
 *   shape and dtype, owned by the caller, or NULL if the targets do not depend on source i
 *   (that is not an error: TF's None).
 * A non-persistent tape gives one set of gradients: a second call returns TG_INVALID_STATE
 * with TensorFlow's message. Called while a non-persistent tape is still recording, it
 * stops the recording first; a persistent tape keeps recording, so the gradient
 * computation is itself recorded (for higher-order derivatives).
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (targets, sources or gradients NULL
 * with a non-zero count), TG_INVALID_STATE, TG_NO_GRADIENT (an op on the path has no gradient
 * rule; the message names it), TG_OUT_OF_MEMORY. On error no gradient is written; an error
 * raised while walking the record (TG_NO_GRADIENT, TG_OUT_OF_MEMORY) still uses up a
 * non-persistent tape. */
TG_API tg_status tg_tape_gradient(tg_tape* tape, const void* const* targets, size_t num_targets,
                                  const void* const* sources, size_t num_sources,
                                  tg_tensor** gradients);

/* tg_tape_gradient with TensorFlow's two optional arguments.
 * output_gradients: NULL (every target seeded with ones), or num_targets entries, each NULL
 *   (ones) or a tensor of its target's shape and dtype that replaces that target's seed: a
 *   vector-Jacobian product. Targets [x·y, x] with seeds [1, 2] at x = 3, y = 2 give
 *   d/dx = 2·1 + 2 = 4.
 * unconnected: TG_UNCONNECTED_NONE (NULL for a source the targets do not depend on) or
 *   TG_UNCONNECTED_ZERO (zeros of that source's shape and dtype, integer sources included).
 * Returns as tg_tape_gradient, plus TG_INVALID_ARGUMENT for an output gradient whose shape or
 * dtype differs from its target's (the message names both) or an unknown `unconnected`
 * ("Unknown value for unconnected_gradients: 7 ..."), and TG_INVALID_HANDLE for an output
 * gradient that is not a live tensor. Argument errors leave the tape as it was. */
TG_API tg_status tg_tape_gradient_ex(tg_tape* tape, const void* const* targets,
                                     size_t num_targets, const void* const* sources,
                                     size_t num_sources, tg_tensor* const* output_gradients,
                                     tg_unconnected_gradients unconnected, tg_tensor** gradients);

/* tape.jacobian(target, sources): the derivative of every element of one target with
 * respect to every element of each source.
 * target: a tg_tensor* or tg_variable* of shape T. sources: num_sources handles, of shapes S_j.
 * jacobians: array of num_sources slots; jacobians[j] receives a new tensor of shape T + S_j
 *   (the dimensions of T, then those of S_j; rank at most TG_MAX_RANK) and of source j's
 *   dtype, owned by the caller: jacobians[j][t..., s...] = d target[t...] / d source_j[s...].
 *   An unconnected source gets NULL, or zeros with TG_UNCONNECTED_ZERO.
 * x = [1, 2], y = x·x gives [[2, 0], [0, 4]].
 * One backward pass per element of the target, the rows joined with the library's own
 * (differentiable) ops: a jacobian computed while an outer tape records is recorded on it,
 * so a Hessian is the jacobian of a gradient or of a jacobian. Like tg_tape_gradient, it is
 * the one use of a non-persistent tape and stops that tape's recording first.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (sources or jacobians NULL with a
 * non-zero count, a jacobian rank above TG_MAX_RANK, an unknown `unconnected`),
 * TG_INVALID_STATE (a used tape, another thread), TG_NO_GRADIENT, TG_OUT_OF_MEMORY. On error
 * nothing is written. */
TG_API tg_status tg_tape_jacobian(tg_tape* tape, const void* target, const void* const* sources,
                                  size_t num_sources, tg_unconnected_gradients unconnected,
                                  tg_tensor** jacobians);

/* tape.batch_jacobian(target, source): per-example jacobians, for a target whose row i
 * depends only on row i of the source (rows mixing would be summed in).
 * target: shape (B, Y...) and source: shape (B, X...), a tg_tensor* or tg_variable* each,
 *   both of rank >= 2, with the same first dimension B.
 * *out: a new tensor of shape (B, Y..., X...) (rank at most TG_MAX_RANK), owned by the
 *   caller: out[i, y..., x...] = d target[i, y...] / d source[i, x...], of the source's dtype.
 *   x = [[1, 2], [3, 4]], y = x·x gives [[[2, 0], [0, 4]], [[6, 0], [0, 8]]].
 *   As in TensorFlow, an unconnected source gives zeros even with TG_UNCONNECTED_NONE (of
 *   the target's dtype then; of the source's with TG_UNCONNECTED_ZERO), never NULL.
 * One backward pass per element of a target row. Like tg_tape_jacobian, it is the one use of
 * a non-persistent tape, and is differentiable on outer tapes.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT ("Need first dimension of target
 * shape (2,2) and source shape (3,2) to match.", a rank below 2, a result rank above
 * TG_MAX_RANK, an unknown `unconnected`, out NULL), TG_INVALID_STATE, TG_NO_GRADIENT,
 * TG_OUT_OF_MEMORY. */
TG_API tg_status tg_tape_batch_jacobian(tg_tape* tape, const void* target, const void* source,
                                        tg_unconnected_gradients unconnected, tg_tensor** out);

/* tape.watched_variables(): the variables the tape watches — the trainable ones read while
 * it recorded (unless begun with TG_TAPE_NO_WATCH_ACCESSED_VARIABLES) and those given to
 * tg_tape_watch — in order of construction, not of access. After a non-persistent tape's
 * gradient call, the ones it watched until then; after tg_tape_reset, none so far.
 * variables: array of `capacity` slots, or NULL to only count. Writes min(capacity, total)
 * new handles, each owned by the caller (tg_variable_free), and *count = total.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (count NULL, or variables NULL with
 * capacity > 0), TG_INVALID_STATE (another thread), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_tape_watched_variables(tg_tape* tape, tg_variable** variables,
                                           size_t capacity, size_t* count);

/* Whether the tape is recording now (between tg_tape_begin / tg_tape_enter /
 * tg_tape_resume_recording and tg_tape_end / tg_tape_stop_recording, and not stopped by a
 * non-persistent gradient call): *out = 1 or 0. Returns TG_OK, TG_INVALID_HANDLE,
 * TG_INVALID_ARGUMENT (out NULL), TG_INVALID_STATE (another thread). */
TG_API tg_status tg_tape_is_recording(const tg_tape* tape, int* out);

/* Whether the tape was begun with TG_TAPE_PERSISTENT: *out = 1 or 0. Callable from any thread
 * (the flag never changes). Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (out NULL). */
TG_API tg_status tg_tape_is_persistent(const tg_tape* tape, int* out);

/* Frees the tape and everything its record keeps alive (the tensors saved for gradients: a
 * persistent tape holds them until it is freed); stops its recording if it is still active.
 * NULL: no-op. Returns TG_OK, TG_INVALID_HANDLE, or TG_INVALID_STATE if the tape is
 * recording on another thread, or computing gradients (from a custom op's backward callback
 * that this tape's gradient call runs); it is then not freed. */
TG_API tg_status tg_tape_free(tg_tape* tape);

/* ------------------------------------------------------------------------------------- */
/* Custom ops and custom gradients (tf.custom_gradient)                                   */
/* ------------------------------------------------------------------------------------- */

/*
 * An op whose forward and gradient are the caller's functions: a clipped or straight-through
 * gradient, a fused kernel of one's own, a call into another library. A call of it is recorded
 * on every recording tape that watches one of its inputs, like a built-in op: its outputs are
 * watched in turn, and tg_tape_gradient, tg_tape_jacobian and tg_tape_batch_jacobian call its
 * backward function. It is TensorFlow's tf.custom_gradient:
 *
 *   @tf.custom_gradient                     tg_custom_op_create("clip_grad", 1, 1, 0,
 *   def clip_grad(x):                                           forward, backward, ...)
 *     def grad(dy):                         forward:  outputs[0] = new tensor equal to inputs[0]
 *       return tf.clip_by_value(dy, -1, 1)  backward: grads[0] = clip(output_grads[0], -1, 1)
 *     return tf.identity(x), grad
 *   y = clip_grad(x)                        tg_custom_op_call(op, &x, 1, &y, 1, NULL)
 *
 * FORWARD. The forward function computes the outputs with any tapegrad ops (or none: it may
 * copy data in and out of another library). While it runs, the tapes that were recording
 * when the call began record nothing and watch no variable, as the ops inside a
 * tf.custom_gradient function are not what its gradient is taken through: only the op itself
 * is recorded, with the outputs it returned. Tapes the forward begins itself record as usual.
 *
 * BACKWARD. The backward function receives one incoming gradient per output (zeros of the
 * output's shape and dtype for an output no gradient reached, as in TensorFlow) and returns
 * one gradient per input, of that input's shape and dtype, or NULL for none (TF's None). It
 * runs while the tape computes gradients, and its ops are recorded on the tapes recording
 * then: written with differentiable tapegrad ops, it gives second and higher derivatives
 * (a gradient taken while an outer tape records, a jacobian of a gradient). Written with raw
 * data (tg_tensor_data / tg_tensor_create), its gradient is a constant for the outer tapes.
 * backward NULL makes the op not differentiable: gradients through it are NULL, as for
 * TensorFlow's NotDifferentiable ops.
 *
 * VARIABLES. With TG_CUSTOM_OP_VARIABLES, the forward may read trainable variables
 * (tg_variable_read): they are recorded as further inputs of the call, after its own, and
 * the backward returns their gradients after the inputs' (TF's `variables=` argument of the
 * grad_fn); tg_custom_call_variables lists them. Without the flag, a forward that reads a
 * trainable variable fails with TG_INVALID_ARGUMENT naming it (its gradient would be lost).
 *
 * ERRORS. A callback returns TG_OK, or another status to fail. It may explain why with
 * tg_set_error_message (or leave the message of a tapegrad call of its own that failed). The
 * call that ran it — tg_custom_op_call for the forward, the gradient or jacobian call for the
 * backward — returns that status, with a message naming the op and the callback:
 *   "[tg_tape_gradient] custom op 'clip_grad': the backward callback returned
 *    TG_INVALID_ARGUMENT: <the callback's message>"
 * A returned value that is not a tg_status gives TG_INVALID_STATE. Outputs left NULL,
 * gradients of the wrong shape or dtype, and slots holding no live tensor handle give
 * TG_INVALID_ARGUMENT or TG_INVALID_HANDLE naming the op, the slot and both shapes. After any of these errors the
 * tapes are as before the failed call: still recording, with their records; a persistent tape
 * may take the gradient again (a non-persistent one is used up by the failed gradient call,
 * as for any error while walking the record).
 *
 * OWNERSHIP. The handles a callback receives (inputs, outputs, output_grads, call) are the
 * library's, valid only during the callback: do not free them or keep them (make a new
 * tensor with tg_identity to keep one). The handles a callback writes to outputs[] or
 * grads[] become the library's, which frees them when the callback returns, whatever it
 * returns: write new handles (the results of tapegrad ops or tg_tensor_create), never one
 * that the caller still uses or frees. A callback that runs inside a scope (tg_scope_begin)
 * may leave the handles it writes there; they are freed once.
 *
 * LIFETIME. user_data is passed to both callbacks as given. destroy (optional) is called with
 * user_data exactly once, when the op can no longer run: after tg_custom_op_free, once no tape
 * record of a call of it remains (a persistent tape keeps its records until it is freed or
 * reset; a non-persistent one until its gradient call). It runs on the thread that drops the
 * last reference (the one calling tg_custom_op_free, tg_tape_free, tg_tape_reset or the
 * gradient call), and must not call tapegrad functions on the object being freed.
 *
 * THREADS AND RE-ENTRY. The forward runs on the thread that calls tg_custom_op_call, the
 * backward on the thread that computes the gradient (the tape's own), synchronously, before
 * that call returns. One op may be called from several threads at once: then its callbacks run
 * concurrently and must be thread-safe for their user_data. Callbacks may call any tapegrad
 * function on the same thread — run ops and custom ops (the same one, recursively), begin and
 * use tapes, take gradients — with one limit: while a backward runs, the tape whose gradient
 * is being computed may not be reset or freed, and a non-persistent one may not be asked for
 * another gradient (TG_INVALID_STATE); a persistent one may.
 */

/* A custom op (handle). */
typedef struct tg_custom_op tg_custom_op;
/* One call of a custom op, as its callbacks see it; valid only during the callback. */
typedef struct tg_custom_call tg_custom_call;

/* num_inputs / num_outputs of tg_custom_op_create: each call decides. */
#define TG_CUSTOM_ANY SIZE_MAX

#define TG_CUSTOM_OP_DEFAULT 0u   /* the forward reads no trainable variable */
#define TG_CUSTOM_OP_VARIABLES 1u /* it may read some (see VARIABLES) */

/* The forward function of a custom op.
 * inputs: num_inputs tensors (borrowed). outputs: num_outputs slots, each NULL on entry; write
 *   a new tensor to each (ownership passes to the library). For an op of TG_CUSTOM_ANY
 *   outputs, num_outputs is the room the caller gave: fill slots 0..k-1, for some k >= 1, and
 *   leave the rest NULL.
 * Returns TG_OK, or a status that fails the call (see ERRORS). */
typedef tg_status (*tg_custom_forward_fn)(tg_custom_call* call, tg_tensor* const* inputs,
                                          size_t num_inputs, tg_tensor** outputs,
                                          size_t num_outputs, void* user_data);

/* The backward function of a custom op.
 * inputs, outputs: the forward call's num_inputs inputs and num_outputs outputs (borrowed).
 * output_grads: num_outputs incoming gradients (borrowed), each of its output's shape and
 *   dtype.
 * grads: num_grads slots, each NULL on entry: num_grads = num_inputs, plus one per variable
 *   the forward read with TG_CUSTOM_OP_VARIABLES. Write to grads[i] a new tensor of input i's
 *   (or variable i - num_inputs's) shape and dtype, or leave it NULL for no gradient.
 *   Ownership passes to the library.
 * Returns TG_OK, or a status that fails the gradient computation (see ERRORS). */
typedef tg_status (*tg_custom_backward_fn)(tg_custom_call* call, tg_tensor* const* inputs,
                                           size_t num_inputs, tg_tensor* const* outputs,
                                           size_t num_outputs, tg_tensor* const* output_grads,
                                           tg_tensor** grads, size_t num_grads, void* user_data);

/* Releases a user pointer (an op's user_data, a call's state). Must not fail. */
typedef void (*tg_destroy_fn)(void* data);

/* Creates a custom op.
 * name: shown in errors and in messages about the records (copied). num_inputs: the number
 *   of inputs of every call, or TG_CUSTOM_ANY. num_outputs: >= 1, or TG_CUSTOM_ANY.
 * flags: TG_CUSTOM_OP_DEFAULT or TG_CUSTOM_OP_VARIABLES.
 * forward: required. backward: NULL for an op that is not differentiable.
 * user_data, destroy: see LIFETIME; destroy may be NULL. If creation fails, destroy is not
 *   called: user_data stays the caller's.
 * *out owned by the caller (tg_custom_op_free).
 * Returns TG_OK, TG_INVALID_ARGUMENT (name, forward or out NULL, num_outputs 0, unknown flag
 * bits), TG_OUT_OF_MEMORY. Thread-safe. */
TG_API tg_status tg_custom_op_create(const char* name, size_t num_inputs, size_t num_outputs,
                                     uint32_t flags, tg_custom_forward_fn forward,
                                     tg_custom_backward_fn backward, void* user_data,
                                     tg_destroy_fn destroy, tg_custom_op** out);

/* Runs the op: calls its forward on `inputs`, then records the call on every recording tape
 * of this thread that watches one of the inputs (or, with TG_CUSTOM_OP_VARIABLES, one of the
 * variables the forward read).
 * inputs: num_inputs tensors (NULL only when num_inputs is 0).
 * outputs: `capacity` slots. For an op of a fixed number of outputs, capacity must be that
 *   number; for TG_CUSTOM_ANY, the most outputs the caller takes. Receives new tensors, owned
 *   by the caller (the slots after the last output are set to NULL); *num_outputs (may be
 *   NULL) receives their number.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (wrong number of inputs or outputs,
 * bad outputs from the forward, a variable read without TG_CUSTOM_OP_VARIABLES), the
 * forward's own status (see ERRORS), TG_OUT_OF_MEMORY. On error nothing is written. */
TG_API tg_status tg_custom_op_call(tg_custom_op* op, tg_tensor* const* inputs, size_t num_inputs,
                                   tg_tensor** outputs, size_t capacity, size_t* num_outputs);

/* Frees the caller's handle. The op lives on while a tape record of one of its calls does
 * (see LIFETIME). NULL: no-op. Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_custom_op_free(tg_custom_op* op);

/* From the forward callback: keeps `state` for this call's backward (tf.custom_gradient's
 * grad_fn closure: intermediate tensors, saved values). destroy (may be NULL) is called with
 * it once, when no tape record of the call remains (at once if no tape recorded the call);
 * it runs on the thread that drops the record, as for LIFETIME. Setting it again replaces
 * (and destroys) the previous state. Tensors kept in the state must be handles the state
 * owns (and destroy frees): outside any scope, or kept with tg_scope_keep.
 * Returns TG_OK, TG_INVALID_HANDLE (call not live: the callback has returned),
 * TG_INVALID_STATE (called from a backward callback), TG_OUT_OF_MEMORY (destroy has then
 * been called). */
TG_API tg_status tg_custom_call_set_state(tg_custom_call* call, void* state, tg_destroy_fn destroy);

/* The state the forward set for this call (NULL if none), from either callback. Returns
 * TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (out NULL). */
TG_API tg_status tg_custom_call_state(const tg_custom_call* call, void** out);

/* The trainable variables the forward read, in first-read order: from the backward, all of
 * them (grads[num_inputs + i] is variable i's gradient, with TG_CUSTOM_OP_VARIABLES); from the
 * forward, those read so far (a forward may refuse some, as TensorFlow refuses a grad_fn
 * without a `variables` argument).
 * variables: array of `capacity` slots, or NULL to only count; receives min(capacity, total)
 * new handles owned by the callback (tg_variable_free), and *count = total.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (count NULL, variables NULL with
 * capacity > 0), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_custom_call_variables(const tg_custom_call* call, tg_variable** variables,
                                          size_t capacity, size_t* count);

/* Sets this thread's tg_last_error_message() to `message` (copied; NULL or "" clears it), for
 * a callback that fails to say why (see ERRORS of custom ops, tg_callback_fn, tg_batch_fn).
 * Returns TG_OK, or TG_OUT_OF_MEMORY if the message cannot be stored (it is then "out of
 * memory"). */
TG_API tg_status tg_set_error_message(const char* message);

/* ------------------------------------------------------------------------------------- */
/* Layers and models (Keras)                                                              */
/* ------------------------------------------------------------------------------------- */

/*
 * A model is a list of layers run in order (a Keras Sequential, or the seed notebook's
 * MyModel subclass). A layer is described by a tg_layer_config, Keras's get_config(): start
 * from tg_layer_config_init's Keras defaults, set what differs, and add it:
 *
 *   tg_model *model;
 *   tg_layer_config dense;
 *   tg_model_create("my_model", &model);
 *   tg_layer_config_init(TG_LAYER_DENSE, &dense);
 *   dense.units = 32; dense.activation = TG_ACTIVATION_RELU; dense.kernel_initializer.seed = 1;
 *   tg_model_add(model, &dense, NULL);                  // model.add(Dense(32, "relu"))
 *   dense.units = 10; dense.activation = TG_ACTIVATION_LINEAR; dense.kernel_initializer.seed = 2;
 *   tg_model_add(model, &dense, NULL);                  // model.add(Dense(10))
 *   int64_t input_shape[2] = {-1, 32};                  // (None, 32)
 *   tg_model_build(model, input_shape, 2);              // or: the first tg_model_call
 *   tg_model_summary(model, stdout);
 *
 * DTYPES. Every layer has a dtype, TG_FLOAT32 (Keras's default) or TG_FLOAT64: its variables
 * and its outputs have it. As Keras's autocast does, a layer casts floating inputs of the
 * other dtype to its own (a float32 layer after a float64 one computes in float32); Dense also
 * casts integer inputs; Embedding casts non-integer indices to int32 and does not autocast.
 *
 * VARIABLES are created when the layer is built, by tg_model_build / tg_layer_build from an
 * input shape, or by the first call from the input's shape. A layer's variables have Keras
 * names ("kernel", "bias", "embeddings") and full names "<model>/<layer>/<name>:0"
 * ("my_model/dense/kernel:0"; "<layer>/<name>:0" for a layer built on its own).
 *
 * NAMES. A layer or model without a name gets Keras's automatic one ("dense", "dense_1", …,
 * "sequential", "sequential_1", …), counted per process and reset by tg_clear_session; an
 * explicit name does not advance the count. Layers of one model have distinct names.
 *
 * SEEDS. Keras draws unseeded initializers at random; tapegrad is deterministic: the same
 * seed gives the same weights on every run. Give each layer its own kernel_initializer.seed:
 * layers left at the same seed draw from the same random stream.
 *
 * Threads: a model, its layers and their handles may be used by one thread at a time.
 */

/* A model (Keras Sequential) and a layer (handles); tg_optimizer is described under
 * Optimizers. */
typedef struct tg_model tg_model;
typedef struct tg_layer tg_layer;
typedef struct tg_optimizer tg_optimizer;

/* The activation a layer applies to its output (Keras's activation="..."). */
typedef enum tg_activation {
  TG_ACTIVATION_LINEAR = 0, /* identity, Keras activation=None */
  TG_ACTIVATION_RELU = 1,
  TG_ACTIVATION_SIGMOID = 2,
  TG_ACTIVATION_TANH = 3,
  TG_ACTIVATION_SOFTMAX = 4,     /* over the last axis */
  TG_ACTIVATION_GELU = 5,        /* exact (erf) form, Keras's default */
  TG_ACTIVATION_SILU = 6,        /* x·sigmoid(x), also called swish */
  TG_ACTIVATION_ELU = 7,         /* alpha = 1 */
  TG_ACTIVATION_SELU = 8,
  TG_ACTIVATION_SOFTPLUS = 9,
  TG_ACTIVATION_RELU6 = 10,
  TG_ACTIVATION_EXPONENTIAL = 11
} tg_activation;

/* Keras initializers. The VarianceScaling kinds use fan_in / fan_out of the weight's shape
 * ((in, out) for a Dense kernel); their "normal" forms draw from a normal truncated at two
 * standard deviations, scaled so the draws have the intended variance, as Keras does. */
typedef enum tg_initializer_kind {
  TG_INIT_GLOROT_UNIFORM = 0, /* U(±sqrt(6 / (fan_in + fan_out))) */
  TG_INIT_GLOROT_NORMAL = 1,  /* variance 2 / (fan_in + fan_out) */
  TG_INIT_HE_NORMAL = 2,      /* variance 2 / fan_in */
  TG_INIT_HE_UNIFORM = 3,     /* U(±sqrt(6 / fan_in)) */
  TG_INIT_LECUN_NORMAL = 4,   /* variance 1 / fan_in */
  TG_INIT_LECUN_UNIFORM = 5,  /* U(±sqrt(3 / fan_in)) */
  TG_INIT_ZEROS = 6,
  TG_INIT_ONES = 7,
  TG_INIT_CONSTANT = 8,         /* every element = a */
  TG_INIT_RANDOM_NORMAL = 9,    /* N(mean a, stddev b); Keras default a = 0, b = 0.05 */
  TG_INIT_RANDOM_UNIFORM = 10,  /* U[a, b); Keras default a = -0.05, b = 0.05 */
  TG_INIT_TRUNCATED_NORMAL = 11 /* N(a, b) re-drawn beyond 2·b; Keras default 0, 0.05 */
} tg_initializer_kind;

/* An initializer: its kind, the parameters a and b that the kinds above name (ignored by
 * the others), and the seed of its deterministic random draws. Passed by value. */
typedef struct tg_initializer {
  tg_initializer_kind kind;
  double a;
  double b;
  uint64_t seed;
} tg_initializer;

/* The kind of layer a tg_layer_config describes. */
typedef enum tg_layer_type {
  TG_LAYER_DENSE = 0,                    /* out = activation(x · kernel + bias) */
  TG_LAYER_DROPOUT = 1,                  /* random zeroing in training */
  TG_LAYER_FLATTEN = 2,                  /* (N, d1, d2, …) → (N, d1·d2·…) */
  TG_LAYER_EMBEDDING = 3,                /* integer indices → rows of a table */
  TG_LAYER_CONV1D = 4,                   /* 1-D convolution, (N, W, C) */
  TG_LAYER_CONV2D = 5,                   /* 2-D convolution, (N, H, W, C) */
  TG_LAYER_MAX_POOLING2D = 6,            /* window maximum */
  TG_LAYER_AVERAGE_POOLING2D = 7,        /* window mean */
  TG_LAYER_GLOBAL_AVERAGE_POOLING2D = 8, /* mean over H and W */
  TG_LAYER_GLOBAL_MAX_POOLING2D = 9,     /* maximum over H and W */
  TG_LAYER_BATCH_NORMALIZATION = 10,     /* per-channel batch statistics, moving averages */
  TG_LAYER_LAYER_NORMALIZATION = 11,     /* per-example statistics */
  TG_LAYER_RESHAPE = 12                  /* (N, …) → (N,) + target_shape */
} tg_layer_type;

/* Options of TG_LAYER_CONV1D and TG_LAYER_CONV2D, with Keras's argument names. Pairs are
 * (height, width); Conv1D uses the first element of each. Defaults in brackets. */
typedef struct tg_conv_config {
  int64_t filters;          /* > 0, the number of output channels (required) */
  int64_t kernel_size[2];   /* each > 0 (required) */
  int64_t strides[2];       /* [1, 1], each > 0 */
  tg_padding padding;       /* [TG_PADDING_VALID], SAME; CAUSAL for Conv1D only */
  int64_t dilation_rate[2]; /* [1, 1], each > 0 */
  int64_t groups;           /* [1]: filters and input channels must be multiples of it */
} tg_conv_config;

/* Options of the pooling layers. pool_size, strides and padding: MaxPooling2D and
 * AveragePooling2D; keepdims: the global poolings. */
typedef struct tg_pool_config {
  int64_t pool_size[2]; /* [2, 2], each > 0 */
  int64_t strides[2];   /* [0, 0]: the pool size (Keras's strides=None); else each > 0 */
  tg_padding padding;   /* [TG_PADDING_VALID] or TG_PADDING_SAME */
  int keepdims;         /* [0]: (N, C); 1: (N, 1, 1, C) */
} tg_pool_config;

/* Options of TG_LAYER_BATCH_NORMALIZATION (every field) and TG_LAYER_LAYER_NORMALIZATION
 * (axis, num_axes, epsilon, center, scale, beta_initializer, gamma_initializer). */
typedef struct tg_norm_config {
  /* The axes that keep statistics of their own (BN: the channels) / that are normalized over
   * (LN): num_axes (1..TG_MAX_RANK) entries, negative ones counted from the end, no repeats.
   * [{-1}, 1] */
  int64_t axis[TG_MAX_RANK];
  int num_axes;
  double momentum; /* BN: [0.99], the weight of the old moving statistics */
  double epsilon;  /* [1e-3], >= 0, added to the variance */
  int center;      /* [1]: a trainable offset beta */
  int scale;       /* [1]: a trainable scale gamma */
  /* BN: [-1] Keras's fused=None (the fused path where Keras takes it, see
   * TG_LAYER_BATCH_NORMALIZATION); 1 requires it (TG_INVALID_ARGUMENT where Keras raises);
   * 0 never takes it. */
  int fused;
  tg_initializer beta_initializer;            /* [zeros] */
  tg_initializer gamma_initializer;           /* [ones] */
  tg_initializer moving_mean_initializer;     /* BN: [zeros] */
  tg_initializer moving_variance_initializer; /* BN: [ones] */
} tg_norm_config;

/* Options of TG_LAYER_RESHAPE: the output shape without the batch dimension. */
typedef struct tg_reshape_config {
  int64_t target_shape[TG_MAX_RANK - 1]; /* rank entries, each >= 0 or -1 (at most one) */
  int rank;                              /* [0] */
} tg_reshape_config;

/*
 * Everything that defines a layer (Keras's get_config()), one struct for every type: the
 * fields of other types are ignored. The fields of Dense that other layers share (activation,
 * use_bias, kernel and bias initializers) are at the top; the options of one family of layers
 * are in a sub-struct named after it (conv, pool, norm, reshape), with Keras's argument names.
 * Arrays are inline (no pointers to keep alive). tg_layer_config_init fills in Keras's
 * defaults, shown in brackets; a field without one must be set.
 *
 * Every layer:
 *   type       the layer type;
 *   name       NULL [automatic], or a name (copied);
 *   dtype      [TG_FLOAT32] or TG_FLOAT64;
 *   trainable  [1]; 0 makes the layer frozen (see tg_layer_set_trainable).
 * TG_LAYER_DENSE — Keras Dense: out = activation(x · kernel + bias), kernel (in, units),
 * bias (units,); inputs of rank > 2 are contracted on their last axis (tensordot):
 *   units (> 0), activation [TG_ACTIVATION_LINEAR], use_bias [1],
 *   kernel_initializer [glorot_uniform, seed 0], bias_initializer [zeros].
 * TG_LAYER_DROPOUT — Keras Dropout: in training calls each element is kept with probability
 * 1 − rate and scaled by 1/(1 − rate), a new mask every call (drawn deterministically from
 * seed and the call count); otherwise the identity:
 *   rate [0] in [0, 1), seed [0].
 * TG_LAYER_FLATTEN — Keras Flatten: (N, d1, d2, …) → (N, d1·d2·…); no fields.
 * TG_LAYER_EMBEDDING — Keras Embedding: integer indices of any shape S (int32 or int64; other
 * dtypes are cast to int32) → rows of a table (input_dim, output_dim), output S +
 * (output_dim,). An index outside [0, input_dim) is TG_INVALID_ARGUMENT at call time. Rows
 * used several times in a batch accumulate gradient:
 *   input_dim (> 0), output_dim (> 0), embeddings_initializer [random_uniform(-0.05, 0.05),
 *   seed 0].
 * TG_LAYER_CONV2D / TG_LAYER_CONV1D — Keras Conv2D / Conv1D, channels last:
 *   out = activation(conv(x, kernel) + bias) (tg_conv2d / tg_conv1d), x (N, H, W, C) /
 *   (N, W, C), kernel (KH, KW, C/groups, filters) / (K, C/groups, filters), bias (filters,).
 *   Output sizes as tg_padding says; more leading batch dimensions are allowed. The kernel
 *   initializer's fans count the receptive field, as Keras's: fan_in = KH·KW·C/groups,
 *   fan_out = KH·KW·filters (glorot_uniform limit sqrt(6/(fan_in + fan_out))):
 *   conv (filters, kernel_size required), activation, use_bias, kernel_initializer,
 *   bias_initializer (as Dense). Keras's checks: filters % groups == 0 ("The number of
 *   filters must be evenly divisible by the number of groups. ..."), no zeros in kernel_size or
 *   strides, causal padding for Conv1D only, not strides > 1 together with dilation_rate > 1
 *   ("`strides > 1` not supported in conjunction with `dilation_rate > 1`. ..."); at build,
 *   input channels % groups == 0 and every output dimension > 0.
 * TG_LAYER_MAX_POOLING2D / TG_LAYER_AVERAGE_POOLING2D — Keras MaxPooling2D / AveragePooling2D
 *   (tg_max_pool2d / tg_avg_pool2d): (N, H, W, C) → (N, OH, OW, C); no variables:
 *   pool.pool_size, pool.strides, pool.padding. get_config gives the strides resolved.
 * TG_LAYER_GLOBAL_AVERAGE_POOLING2D / TG_LAYER_GLOBAL_MAX_POOLING2D — the mean / maximum over
 *   H and W: (N, H, W, C) → (N, C), or (N, 1, 1, C) with pool.keepdims.
 * TG_LAYER_BATCH_NORMALIZATION — Keras BatchNormalization: per position of the norm.axis
 *   axes (the channels), over all other axes. Variables in Keras's order: gamma (if scale),
 *   beta (if center), then moving_mean and moving_variance, which are not trainable (they are
 *   in tg_model_non_trainable_variables, tg_model_get_weights and checkpoints); all of shape
 *   (C), or for several axes the input's rank with 1 on the other axes.
 *   In training calls (training != 0, as fit makes them), with the batch's mean μ and biased
 *   variance σ² per channel (n values each): y = gamma·(x − μ)/sqrt(σ² + epsilon) + beta, and
 *   the moving statistics are updated once per call, in place, recorded on no tape:
 *     fused path:      moving ← (1 − f)·moving + f·batch, f = 1 − momentum, and the batch
 *                      variance fed in is Bessel-corrected, σ²·n/(n − 1);
 *     non-fused path:  moving ← moving − (moving − batch)·(1 − momentum), biased σ².
 *   As Keras (TensorFlow's FusedBatchNorm), the fused path is taken by float32 4-D inputs with
 *   the axis 1 or 3 (5-D: 1 or 4) unless fused = 0, and raises epsilon to at least 1.001e-5;
 *   2-D inputs (after Dense) and float64 layers are non-fused. An empty batch updates nothing.
 *   Otherwise, and always for a frozen layer (trainable = 0, as Keras), inference:
 *   y = gamma·(x − moving_mean)/sqrt(moving_variance + epsilon) + beta:
 *   norm.axis [-1], momentum [0.99], epsilon [1e-3], center [1], scale [1], fused [-1],
 *   beta [zeros], gamma [ones], moving_mean [zeros], moving_variance [ones] initializers.
 * TG_LAYER_LAYER_NORMALIZATION — Keras LayerNormalization (tg_layer_normalization): per
 *   example over the norm.axis axes, biased variance, y = gamma·(x − μ)/sqrt(σ² + epsilon) +
 *   beta, the same in training and inference; gamma then beta, shaped like the normalized
 *   dims in the order of norm.axis: norm.axis [-1], epsilon [1e-3], center, scale and the
 *   beta and gamma initializers.
 * TG_LAYER_RESHAPE — Keras Reshape: (N, …) → (N,) + reshape.target_shape, one entry of which
 *   may be -1 (inferred); "total size of new array must be unchanged, ..." otherwise.
 * Automatic names follow Keras ("conv2d", "max_pooling2d", "batch_normalization_1", …).
 */
typedef struct tg_layer_config {
  tg_layer_type type;
  const char* name;
  tg_dtype dtype;
  int trainable;
  /* TG_LAYER_DENSE; activation, use_bias and the initializers also for the convolutions */
  int64_t units;
  tg_activation activation;
  int use_bias;
  tg_initializer kernel_initializer;
  tg_initializer bias_initializer;
  /* TG_LAYER_DROPOUT */
  double rate;
  uint64_t seed;
  /* TG_LAYER_EMBEDDING */
  int64_t input_dim;
  int64_t output_dim;
  tg_initializer embeddings_initializer;
  tg_conv_config conv;       /* TG_LAYER_CONV1D, TG_LAYER_CONV2D */
  tg_pool_config pool;       /* the four pooling layers */
  tg_norm_config norm;       /* TG_LAYER_BATCH_NORMALIZATION, TG_LAYER_LAYER_NORMALIZATION */
  tg_reshape_config reshape; /* TG_LAYER_RESHAPE */
} tg_layer_config;

/* Writes Keras's defaults for a layer of `type` to *out (every field; see above).
 * Returns TG_OK, TG_INVALID_ARGUMENT (an unknown type, or out NULL). */
TG_API tg_status tg_layer_config_init(tg_layer_type type, tg_layer_config* out);

/* Creates an empty model (Keras Sequential). name: its name, which prefixes the names of the
 * variables it builds ("my_model/dense/kernel:0"); NULL gives "sequential", "sequential_1", ….
 * *out owned by the caller (tg_model_free). Returns TG_OK, TG_INVALID_ARGUMENT (out NULL),
 * TG_OUT_OF_MEMORY. */
TG_API tg_status tg_model_create(const char* name, tg_model** out);

/* Keras model.add(layer): makes a layer from *config and appends it. layer: NULL, or receives
 * a new handle to the layer, owned by the caller (tg_layer_free); the model keeps its own.
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (config NULL, an unknown type, dtype,
 * activation or initializer kind, a field out of range — the message names it — or a name
 * another layer of the model has: "All layers added to a Sequential model should have unique
 * names. ..."); TG_INVALID_STATE (the model was built by tg_model_build or a call);
 * TG_OUT_OF_MEMORY. On error nothing is added. */
TG_API tg_status tg_model_add(tg_model* model, const tg_layer_config* config, tg_layer** layer);

/* Keras model.add(layer) with an existing layer (from tg_layer_create, tg_model_layer, …): the
 * model shares it, so its variables are the same objects in every model that holds it (Keras's
 * shared layers). A layer built before keeps its variables and their names; an unbuilt one is
 * built by the model, its variables named after the model ("my_model/dense/kernel:0"). A model
 * whose layers are all built is built too: it can be saved, loaded and summarised without
 * tg_model_build, and still takes more layers until tg_model_build or a call builds it for an
 * input shape.
 * Returns TG_OK; TG_INVALID_HANDLE (model or layer); TG_INVALID_ARGUMENT (another layer of the
 * model has its name, as tg_model_add); TG_INVALID_STATE (the model was built by
 * tg_model_build or a call); TG_OUT_OF_MEMORY. On error nothing is added. */
TG_API tg_status tg_model_add_layer(tg_model* model, tg_layer* layer);

/* Keras model.build(input_shape): builds every layer in turn, each for the previous one's
 * output shape, creating all variables without a call. input_shape: `rank` (>= 1) dimensions,
 * the first the batch; -1 for an unknown dimension (Keras's None), e.g. {-1, 784}. Building a
 * built model again with a compatible shape (unknown dimensions match anything) does nothing.
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (shape NULL with rank > 0, rank 0, a
 * dimension below -1, a shape a layer cannot take — "Dense 'dense': the last dimension of the
 * inputs should be defined. ..." — or one other than the built model's); TG_INVALID_STATE (no
 * layers); TG_OUT_OF_MEMORY. */
TG_API tg_status tg_model_build(tg_model* model, const int64_t* input_shape, int rank);

/* Prints Keras's model.summary() to `stream` (a FILE* open for writing):
 *   Model: "my_model"
 *   _________________________________________________________________
 *    Layer (type)                Output Shape              Param #
 *   =================================================================
 *    dense (Dense)               (None, 32)                1056
 *   (one line per layer, each followed by an empty line)
 *   =================================================================
 *   Total params: 1386 (5.41 KB)
 *   Trainable params: 1386 (5.41 KB)
 *   Non-trainable params: 0 (0.00 Byte)
 *   _________________________________________________________________
 * Lines are 65 characters wide (the table's rows padded with spaces), as Keras 2.15 prints
 * them; the sizes count each parameter's dtype (4 bytes for float32). Output shapes are those
 * the model was built for, with None for unknown dimensions (for a model built by its layers,
 * see tg_model_add_layer, each layer's for the shape it was built for). Non-trainable
 * parameters are those of frozen layers and BatchNormalization's moving statistics.
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (stream NULL); TG_INVALID_STATE ("This
 * model has not yet been built. ..."); TG_IO_ERROR (writing failed). */
TG_API tg_status tg_model_summary(const tg_model* model, FILE* stream);

/* The same summary as text, written to a buffer of the caller, as snprintf does: at most
 * capacity − 1 bytes of it and a terminating NUL (nothing when capacity is 0; buffer may then
 * be NULL), and *length = the length of the whole text without its NUL. The text was cut if
 * *length >= capacity: call again with a buffer of *length + 1 bytes. The text ends with a
 * newline. Returns TG_OK (also when the text was cut); TG_INVALID_HANDLE;
 * TG_INVALID_ARGUMENT (length NULL, buffer NULL with capacity > 0); TG_INVALID_STATE (not
 * built); TG_OUT_OF_MEMORY. On error nothing is written. */
TG_API tg_status tg_model_summary_text(const tg_model* model, char* buffer, size_t capacity,
                                       size_t* length);

/* Runs the model on x (batch first). An unbuilt model is first built for x's shape with an
 * unknown batch dimension. Inside a recording tape the reads of trainable variables are
 * watched and recorded. *out owned by the caller. Returns TG_OK, TG_INVALID_HANDLE,
 * TG_INVALID_ARGUMENT (x's shape does not fit the layers), TG_INVALID_STATE (no layers),
 * TG_OUT_OF_MEMORY. */
TG_API tg_status tg_model_call(tg_model* model, const tg_tensor* x, tg_tensor** out);

/* tg_model_call with Keras's `training` argument: training != 0 enables Dropout, and makes
 * BatchNormalization normalize with the batch's statistics and update its moving ones (once
 * per call; not in frozen layers). */
TG_API tg_status tg_model_call_ex(tg_model* model, const tg_tensor* x, int training,
                                  tg_tensor** out);

/* Number of layers. */
TG_API tg_status tg_model_num_layers(const tg_model* model, size_t* out);
/* A new handle to layer `index` (in the order added), or to the layer named `name` (Keras
 * get_layer), owned by the caller (tg_layer_free). The handle keeps the layer alive: it stays
 * valid after tg_model_free. Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (index out
 * of range; no such name: "No such layer: head. Existing layers are: ['dense', 'dense_1']."). */
TG_API tg_status tg_model_layer(const tg_model* model, size_t index, tg_layer** out);
TG_API tg_status tg_model_layer_by_name(const tg_model* model, const char* name, tg_layer** out);

/* The model's trainable variables in Keras order (layer by layer, each layer's in creation
 * order: kernel, then bias). A variable is trainable here if it and its layer are.
 * variables: array of `capacity` slots, or NULL to only count. Writes min(capacity, total)
 * new handles, each owned by the caller (tg_variable_free), and *count = total.
 * An unbuilt model has no variables. Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT
 * (count NULL, or variables NULL with capacity > 0). */
TG_API tg_status tg_model_trainable_variables(tg_model* model, tg_variable** variables,
                                              size_t capacity, size_t* count);

/* The variables of frozen layers (and variables created non-trainable), in Keras order;
 * same contract as tg_model_trainable_variables. */
TG_API tg_status tg_model_non_trainable_variables(tg_model* model, tg_variable** variables,
                                                  size_t capacity, size_t* count);

/* Keras model.get_weights(): the values of every variable (trainable or not), layer by layer,
 * each layer's in creation order. weights: array of `capacity` slots, or NULL to only count;
 * writes min(capacity, total) new tensors, owned by the caller, and *count = total. The
 * tensors are snapshots that later training does not change. Returns TG_OK,
 * TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (count NULL, or weights NULL with capacity > 0). */
TG_API tg_status tg_model_get_weights(const tg_model* model, tg_tensor** weights,
                                      size_t capacity, size_t* count);

/* Keras model.set_weights(): assigns weights[i] to the i-th variable of tg_model_get_weights's
 * order. The count and every shape and dtype are checked first: on error no variable changes.
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT ("You called `set_weights(weights)` on
 * layer "m" with a weight list of length 1, but the layer was expecting 4 weights.", "Layer m
 * weight shape (3,2) is not compatible with provided weight shape (3,3) ...", weights NULL
 * with count > 0). */
TG_API tg_status tg_model_set_weights(tg_model* model, tg_tensor* const* weights, size_t count);

/* Keras model.save_weights(path): writes every variable of the model (trainable or not) to a
 * safetensors file (see Checkpoints), keyed by the model's structure, not by variable names:
 * the k-th layer that has variables is "layer_with_weights-k" (layers without variables, such
 * as Dropout, do not count), and its variables are stored as "layer_with_weights-k/kernel",
 * "layer_with_weights-k/bias", … So a second model of the same architecture loads the file
 * although its automatic names differ ("my_model/dense_2/kernel:0"). The metadata records
 * each such layer's class and name ("layer_with_weights-0/class_name": "Dense").
 * optimizer: NULL, or an optimizer whose state is saved too, its slots keyed the same way
 * ("optimizer/iterations", "optimizer/m/layer_with_weights-0/kernel", …).
 * The write is atomic, as tg_checkpoint_save's.
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (path NULL; an optimizer built for a
 * variable that is not in the model); TG_INVALID_STATE (the model has no variables yet: build
 * or call it first); TG_IO_ERROR (the message names the path and the reason);
 * TG_OUT_OF_MEMORY. On error no file appears at `path`. */
TG_API tg_status tg_model_save_weights(const tg_model* model, const char* path,
                                       const tg_optimizer* optimizer);

/* Keras model.load_weights(path): loads every variable of the model from a file written by
 * tg_model_save_weights (or with its keys), matched by structure. The file must hold as many
 * layers with weights as the model, each of the same class (when the file records it) with
 * the same variable names, dtypes and shapes. optimizer: NULL, or an optimizer that takes the
 * saved state (an optimizer not built yet is built for the model's variables the file holds
 * slots for; see tg_checkpoint_load).
 * The file is checked whole before anything changes: on error no variable and no optimizer
 * state is modified, and the message names the first mismatch in model order, e.g. "variable
 * 'my_model/dense/kernel:0' (layer 0 'dense' (Dense), variable 'kernel') is float32 (8,17)
 * (F32 [8, 17]), but 'w.safetensors' holds F32 [8, 16] under 'layer_with_weights-0/kernel'",
 * or "Layer count mismatch when loading weights from file. Model expected 3 layers with
 * weights, found 2 saved layers.".
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (path NULL; a mismatch; a malformed
 * file; a file without model weights, such as one of tg_checkpoint_save); TG_INVALID_STATE
 * (the model has no variables yet); TG_IO_ERROR; TG_OUT_OF_MEMORY. */
TG_API tg_status tg_model_load_weights(tg_model* model, const char* path, tg_optimizer* optimizer);

/* Frees the caller's model handle. Layers and variables live on while handles to them exist.
 * NULL: no-op. Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_model_free(tg_model* model);

/* Resets Keras's automatic layer and model names ("dense", "dense_1", …) to their first
 * values, like tf.keras.backend.clear_session(). Existing objects keep their names.
 * Returns TG_OK. */
TG_API tg_status tg_clear_session(void);

/* --- Layers ---------------------------------------------------------------------------- */

/* Creates a layer on its own (Keras's Dense(...) outside a model): to build and call it from
 * C code that composes layers itself. Its variables are named "<layer>/<name>:0".
 * *out owned by the caller (tg_layer_free). Returns TG_OK, TG_INVALID_ARGUMENT (as
 * tg_model_add), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_layer_create(const tg_layer_config* config, tg_layer** out);

/* Keras layer.get_config(): writes the layer's configuration to *out, with its resolved name
 * and current trainable flag; tg_layer_create(out) makes an equivalent, unbuilt layer.
 * out->name points into the layer and is valid while a handle to it lives.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (out NULL). */
TG_API tg_status tg_layer_get_config(const tg_layer* layer, tg_layer_config* out);

/* The layer's name, valid while a handle to the layer lives. */
TG_API tg_status tg_layer_name(const tg_layer* layer, const char** out);

/* Keras `layer.trainable`: a frozen layer's variables move from its model's trainable list to
 * the non-trainable one (the variables' own trainable flags do not change, as in Keras, so a
 * tape still watches them when they are read). */
TG_API tg_status tg_layer_trainable(const tg_layer* layer, int* out);
TG_API tg_status tg_layer_set_trainable(tg_layer* layer, int trainable);

/* Keras layer.build(input_shape): creates the layer's variables for inputs of `rank` dims
 * (-1 for an unknown one); a built layer does nothing. Returns TG_OK, TG_INVALID_HANDLE,
 * TG_INVALID_ARGUMENT (a shape the layer cannot take), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_layer_build(tg_layer* layer, const int64_t* input_shape, int rank);

/* Calls the layer on x (Keras layer(x, training=...)); a layer not built yet is built for x's
 * shape. Recorded on the active tapes like an op (BatchNormalization's update of its moving
 * statistics in training calls is not an op and is never recorded). *out owned by the caller.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT, TG_OUT_OF_MEMORY. */
TG_API tg_status tg_layer_call(tg_layer* layer, const tg_tensor* x, int training,
                               tg_tensor** out);

/* The layer's variable with the Keras name `name` ("kernel", "bias", "embeddings"), as a new
 * handle owned by the caller (tg_variable_free).
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (name or out NULL; no such variable:
 * "Dense 'dense' has no variable 'gamma'; its variables are: kernel, bias"); TG_INVALID_STATE
 * (the layer is not built yet). */
TG_API tg_status tg_layer_variable(const tg_layer* layer, const char* name, tg_variable** out);

/* All the layer's variables in creation order (Keras layer.weights); the same contract as
 * tg_model_trainable_variables. An unbuilt layer has none. */
TG_API tg_status tg_layer_variables(const tg_layer* layer, tg_variable** variables,
                                    size_t capacity, size_t* count);

/* Releases this handle; the layer lives on while its model or another handle uses it.
 * NULL: no-op. Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_layer_free(tg_layer* layer);

/* ------------------------------------------------------------------------------------- */
/* Losses (Keras)                                                                          */
/* ------------------------------------------------------------------------------------- */

/*
 * Loss objects with the numbers of tf.keras.losses (Keras 2.15). tg_loss_call(loss, y_true,
 * y_pred, sample_weight) is Keras's loss(y_true, y_pred, sample_weight):
 *   1. the per-sample loss reduces the last axis: y_pred (batch…, C) gives (batch…). If y_true
 *      and y_pred ranks differ by one, the trailing size-1 axis of the larger is dropped first
 *      (except for sparse labels (batch…) against (batch…, C));
 *   2. sample_weight (NULL = all ones; any dtype, cast to the loss dtype) is a scalar, or
 *      broadcasts to the per-sample losses after gaining or losing one trailing size-1 axis:
 *      (N), (N, 1) and (N, T) weights all fit (N, T) losses;
 *   3. the reduction: TG_REDUCTION_NONE returns the weighted per-sample losses (batch…);
 *      TG_REDUCTION_SUM their sum; TG_REDUCTION_SUM_OVER_BATCH_SIZE (and TG_REDUCTION_AUTO)
 *      that sum divided by their number of elements — not by the sum of the weights — or 0
 *      for an empty batch.
 * The loss has y_pred's dtype (float32 or float64; y_true is cast to it) and is built from
 * recorded ops: inside a tape it is differentiable to any order in y_pred, and in y_true and
 * sample_weight when they are floating. Probabilities are clipped to [ε, 1 − ε], ε = 1e-7
 * (keras.backend.epsilon()); a clipped entry gets no gradient.
 *
 * Example — the seed notebook's loss, CategoricalCrossentropy(from_logits=True):
 *   tg_loss *cce;
 *   tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &cce);
 *   tg_loss_call(cce, labels, logits, NULL, &loss);  // inside the tape
 *   ...
 *   tg_loss_free(cce);
 *
 * Loss objects are immutable: one may be called from several threads at once.
 */
typedef struct tg_loss tg_loss;

/* How a loss reduces its per-sample values (Keras's Reduction). */
typedef enum tg_reduction {
  TG_REDUCTION_AUTO = 0,               /* Keras's default: SUM_OVER_BATCH_SIZE */
  TG_REDUCTION_NONE = 1,               /* the weighted per-sample losses */
  TG_REDUCTION_SUM = 2,                /* their sum */
  TG_REDUCTION_SUM_OVER_BATCH_SIZE = 3 /* their sum / their number of elements */
} tg_reduction;

/* The constructors write a new loss to *out, owned by the caller (tg_loss_free). They return
 * TG_OK, TG_INVALID_ARGUMENT (an unknown reduction, a parameter outside its range, or out
 * NULL), TG_OUT_OF_MEMORY. */

/* CategoricalCrossentropy(from_logits, label_smoothing, reduction). y_true: one-hot (or any
 * distribution) of y_pred's shape (batch…, C). label_smoothing in [0, 1]:
 * y_true·(1 − ls) + ls / C. from_logits != 0: y_pred are logits (the fused, stable softmax
 * cross-entropy); otherwise probabilities, normalised to sum 1 over C, clipped, −Σ y·log p. */
TG_API tg_status tg_loss_categorical_crossentropy(int from_logits, double label_smoothing,
                                                  tg_reduction reduction, tg_loss** out);

/* SparseCategoricalCrossentropy(from_logits, ignore_class, reduction). y_true: class
 * indices in [0, C) (int32/int64; float labels are truncated as tf.cast does) of shape
 * (batch…), or (batch…, 1), against y_pred (batch…, C); an index outside [0, C) is
 * TG_INVALID_ARGUMENT at call time. Probabilities go through log(clip(p)) (no normalisation).
 * use_ignore_class != 0: entries whose label is ignore_class get loss 0, and
 * SUM_OVER_BATCH_SIZE / AUTO divide by the number of the other entries (Keras: NaN if every
 * entry is ignored); use_ignore_class == 0 ignores the ignore_class argument. */
TG_API tg_status tg_loss_sparse_categorical_crossentropy(int from_logits, int use_ignore_class,
                                                         int64_t ignore_class,
                                                         tg_reduction reduction, tg_loss** out);

/* BinaryCrossentropy(from_logits, label_smoothing, reduction): the mean over the last axis
 * of the elementwise cross-entropy. label_smoothing in [0, 1]: y_true·(1 − ls) + 0.5·ls.
 * from_logits != 0: max(x, 0) − x·y + log1p(exp(−|x|)) (TF's stable form), y_true of y_pred's
 * shape; otherwise probabilities: −(y·log(p + ε) + (1 − y)·log(1 − p + ε)) with p clipped to
 * [ε, 1 − ε] (Keras adds ε twice), y_true broadcasting to y_pred. */
TG_API tg_status tg_loss_binary_crossentropy(int from_logits, double label_smoothing,
                                             tg_reduction reduction, tg_loss** out);

/* MeanSquaredError: mean over the last axis of (y_pred − y_true)². MeanAbsoluteError: of
 * |y_pred − y_true| (gradient 0 where they are equal, as TF). y_true and y_pred broadcast
 * together. */
TG_API tg_status tg_loss_mean_squared_error(tg_reduction reduction, tg_loss** out);
TG_API tg_status tg_loss_mean_absolute_error(tg_reduction reduction, tg_loss** out);

/* Huber(delta): mean over the last axis of 0.5·x² where |x| <= delta, else
 * delta·|x| − 0.5·delta², with x = y_pred − y_true. delta finite and >= 0 (Keras: 1.0).
 * Unlike Keras, which casts to float32 (floatx), float64 inputs are computed in float64. */
TG_API tg_status tg_loss_huber(double delta, tg_reduction reduction, tg_loss** out);

/* Applies the loss: *out is a new tensor, owned by the caller — a scalar, or the weighted
 * per-sample losses (batch…) for TG_REDUCTION_NONE. sample_weight may be NULL.
 * Recorded on every active tape that watches y_pred (or a floating y_true / sample_weight).
 * Returns TG_OK; TG_INVALID_HANDLE (a bad loss or tensor handle); TG_INVALID_ARGUMENT
 * (y_pred not float32/float64, shapes that do not fit — the message names the loss and the
 * shapes — a label out of range, or out NULL); TG_OUT_OF_MEMORY. */
TG_API tg_status tg_loss_call(const tg_loss* loss, const tg_tensor* y_true,
                              const tg_tensor* y_pred, const tg_tensor* sample_weight,
                              tg_tensor** out);

/* Frees the loss. NULL: no-op. Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_loss_free(tg_loss* loss);

/* ------------------------------------------------------------------------------------- */
/* Metrics                                                                                */
/* ------------------------------------------------------------------------------------- */

/*
 * Stateful accuracy metrics with the numbers of tf.keras.metrics (Keras 2.15): each update
 * adds a batch to a weighted mean, result() reads it, reset() starts again (reset_state).
 *   tg_metric *acc;
 *   tg_metric_sparse_categorical_accuracy(&acc);
 *   for each batch: tg_metric_update(acc, labels, logits, NULL);
 *   tg_metric_result(acc, &value);  tg_metric_reset(acc);  // per epoch
 *   tg_metric_free(acc);
 * An update casts y_true and y_pred to float32 and, if their ranks differ by one, drops the
 * trailing size-1 axis of the larger. The per-element matches (1 or 0) are weighted by
 * sample_weight (NULL = ones; a scalar, or broadcastable to the matches after gaining or
 * losing one trailing size-1 axis, else the matches are averaged over their trailing axes
 * down to the weight's rank): total += Σ matches·w, count += Σ w. result = total / count, 0
 * before any weight is counted. total and count are float32, as in Keras.
 * Metrics are not recorded on tapes. A metric is mutable state: do not use one from two
 * threads at once.
 */
typedef struct tg_metric tg_metric;

/* The constructors write a new metric (total = count = 0) to *out, owned by the caller
 * (tg_metric_free). Return TG_OK, TG_INVALID_ARGUMENT (out NULL, threshold NaN),
 * TG_OUT_OF_MEMORY. */

/* Accuracy: matches = (y_true == y_pred) elementwise; the shapes must agree. */
TG_API tg_status tg_metric_accuracy(tg_metric** out);
/* BinaryAccuracy(threshold): matches = (y_true == (y_pred > threshold ? 1 : 0)), broadcasting;
 * Keras's threshold is 0.5. */
TG_API tg_status tg_metric_binary_accuracy(double threshold, tg_metric** out);
/* CategoricalAccuracy: argmax(y_true) == argmax(y_pred) over the last axis (the first index
 * wins a tie); y_true one-hot (batch…, C), y_pred (batch…, C) logits or probabilities. */
TG_API tg_status tg_metric_categorical_accuracy(tg_metric** out);
/* SparseCategoricalAccuracy: y_true == argmax(y_pred); y_true class indices (batch…) or
 * (batch…, 1), any dtype; y_pred (batch…, C). */
TG_API tg_status tg_metric_sparse_categorical_accuracy(tg_metric** out);
/* Keras's compile(metrics=["accuracy"]): named "accuracy", it becomes binary, sparse
 * categorical or categorical accuracy at its first update, from the shapes, and stays so:
 *   y_pred's last dimension is 1                                  -> binary (threshold 0.5);
 *   else rank(y_true) < rank(y_pred), or y_true's last dimension is 1 -> sparse categorical;
 *   else                                                          -> categorical.
 * So one-hot labels with CategoricalCrossentropy give categorical accuracy, and class indices
 * (N) or (N, 1) with SparseCategoricalCrossentropy give sparse categorical accuracy. */
TG_API tg_status tg_metric_auto_accuracy(tg_metric** out);

/* The metric's Keras name ("accuracy", "binary_accuracy", "categorical_accuracy",
 * "sparse_categorical_accuracy"), the key of its value in training logs. *out is owned by the
 * metric, valid while it lives. Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (out
 * NULL). */
TG_API tg_status tg_metric_name(const tg_metric* metric, const char** out);

/* Adds one batch. sample_weight may be NULL. On error the metric is unchanged.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (shapes that do not fit — the message
 * names the metric and the shapes), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_metric_update(tg_metric* metric, const tg_tensor* y_true,
                                  const tg_tensor* y_pred, const tg_tensor* sample_weight);
/* Writes total / count (0 if count is 0) to *out. Returns TG_OK, TG_INVALID_HANDLE,
 * TG_INVALID_ARGUMENT (out NULL). */
TG_API tg_status tg_metric_result(const tg_metric* metric, double* out);
/* Sets total and count to 0. Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_metric_reset(tg_metric* metric);
/* Frees the metric. NULL: no-op. Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_metric_free(tg_metric* metric);

/* ------------------------------------------------------------------------------------- */
/* Optimizers (new Keras optimizers, TF ≥ 2.11)                                           */
/* ------------------------------------------------------------------------------------- */

/*
 * The new Keras optimizers (tf.keras.optimizers.X since TF 2.11, same formulas as Keras 3).
 *
 *   tg_optimizer *opt;
 *   tg_optimizer_create("adam", &opt);                      // tf.keras.optimizers.Adam()
 *   tg_optimizer_set(opt, "learning_rate", 0.01);           // Adam(learning_rate=0.01)
 *
 * A training step is
 *
 *   tg_tape_gradient(tape, &loss, 1, vars, n, grads);       // grads = tape.gradient(...)
 *   tg_optimizer_apply(opt, vars, grads, n, &iterations);   // optimizer.apply_gradients(...)
 *
 * and each tg_optimizer_apply does, in Keras's order:
 *   1. evaluates the learning rate at the current iteration counter (a schedule, if one is
 *      set, sees 0 on the first step);
 *   2. builds the optimizer for `variables` if it is not built yet (creating the slots: m
 *      and v for Adam, ...); a later call may only update variables it was built for;
 *   3. skips NULL gradients, reporting Keras's warning through the warning handler;
 *   4. clips the gradients: the first of clipnorm, global_clipnorm, clipvalue that is set;
 *   5. decays each variable not excluded: θ ← θ − θ·weight_decay·lr (if weight_decay > 0);
 *   6. updates each variable with its rule (one pass over its buffer);
 *   7. increments the iteration counter and returns it.
 * Hyperparameters are kept in double and rounded to each variable's dtype (float32 or
 * float64) when used. Slots have their variable's shape and dtype.
 * An optimizer handle is not thread-safe: one thread at a time may configure or apply it.
 */

/* Creates an optimizer by its Keras name, case-insensitive — "sgd", "adam", "adamw",
 * "rmsprop", "adagrad" (as keras.optimizers.get("adam")) — with every hyperparameter at
 * Keras's default (below), iterations 0, no clipping, no schedule. Change hyperparameters with
 * tg_optimizer_set. *out owned by the caller (tg_optimizer_free).
 * Returns TG_OK, TG_INVALID_ARGUMENT (name or out NULL; another name: "Could not interpret
 * optimizer identifier: 'nadam' ..."), TG_OUT_OF_MEMORY.
 *
 * Hyperparameters (Keras's constructor arguments; defaults in brackets). Every optimizer has:
 *   learning_rate     [0.01 SGD, 0.001 the others]; > 0. Reading it gives the rate the next
 *                     step will use: the schedule's at the current iteration counter, if a
 *                     schedule is set (Keras 3 reports the same; Keras 2.15 the previous
 *                     step's); setting it sets a constant rate and removes the schedule.
 *   weight_decay      [0; AdamW 0.004] >= 0: decoupled decay θ ← θ − θ·weight_decay·lr before
 *                     each update, of every variable with a gradient that is not excluded
 *                     (tg_optimizer_exclude_from_weight_decay).
 *   clipnorm, global_clipnorm, clipvalue   [0 = unset] > 0: gradient clipping. Only one is
 *                     applied per step, the first set in this order:
 *                       clipnorm:        each gradient g ← g·c / max(‖g‖₂, c);
 *                       global_clipnorm: every gradient scaled by c / max(G, c),
 *                                        G = sqrt(Σ‖gᵢ‖²) over the non-NULL gradients (NaN if G
 *                                        is not finite);
 *                       clipvalue:       each element clamped to [−c, c].
 *                     clipnorm and global_clipnorm cannot both be set ("At most one of
 *                     `clipnorm` and `global_clipnorm` can be set."). The caller's gradient
 *                     tensors are never modified.
 * and its own:
 *   "sgd" (Keras SGD; slot "m"):
 *     momentum [0] in [0, 1] ("`momentum` must be between [0, 1]."), nesterov [0].
 *     momentum 0: θ ← θ − lr·g (the "m" slot stays 0). Otherwise m ← μ·m − lr·g, then
 *     θ ← θ + m, or with nesterov θ ← θ + μ·m − lr·g (the new m).
 *   "adam", "adamw" (Keras Adam, AdamW; slots "m", "v", and "vhat" with amsgrad):
 *     beta_1 [0.9] in [0, 1), beta_2 [0.999] in [0, 1), epsilon [1e-7] >= 0, amsgrad [0].
 *     With t = iterations + 1:
 *       m ← m + (g − m)(1 − β1);  v ← v + (g² − v)(1 − β2);  amsgrad: v̂ ← max(v̂, v);
 *       θ ← θ − lr·sqrt(1 − β2ᵗ)/(1 − β1ᵗ) · m / (sqrt(v, or v̂ with amsgrad) + ε).
 *     ε is not bias-corrected ("epsilon hat"). AdamW is Adam with weight_decay 0.004.
 *   "rmsprop" (Keras RMSprop, the new formula: ε inside the square root, where the legacy
 *     optimizer puts it outside; slots "velocity", "momentum" if momentum > 0,
 *     "average_gradient" if centered):
 *     rho [0.9] in [0, 1], momentum [0] >= 0, epsilon [1e-7] >= 0, centered [0].
 *       v ← ρ·v + (1 − ρ)·g²;  centered: a ← ρ·a + (1 − ρ)·g, den = v − a² + ε; else den = v + ε;
 *       inc = lr·g / sqrt(den);  momentum > 0: mom ← μ·mom + inc, θ ← θ − mom; else θ ← θ − inc.
 *   "adagrad" (Keras Adagrad, the new formula; slot "accumulator"):
 *     initial_accumulator_value [0.1] >= 0 (the slot's starting value), epsilon [1e-7] >= 0.
 *       acc ← acc + g²;  θ ← θ − lr·g / sqrt(acc + ε).
 * Booleans (nesterov, amsgrad, centered) are 0 or 1. */
TG_API tg_status tg_optimizer_create(const char* name, tg_optimizer** out);

/* Sets the hyperparameter `name` (above) to `value`, checked as Keras checks it. amsgrad,
 * centered and a momentum change between 0 and > 0 change which slots exist, so they are
 * refused once the optimizer is built (TG_INVALID_STATE); the others may change at any time.
 * On error nothing changes.
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (name NULL; a value out of range,
 * the message naming it: "Adam: need 0 <= beta_1 < 1, got 1"; a non-boolean for a boolean;
 * a name the optimizer lacks: "Adam has no hyperparameter 'rho'; its hyperparameters are:
 * learning_rate, beta_1, ..."); TG_INVALID_STATE. */
TG_API tg_status tg_optimizer_set(tg_optimizer* optimizer, const char* name, double value);

/* Reads the hyperparameter `name` (above) into *out; an unset clip option reads 0, a boolean
 * 0 or 1. Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (name or out NULL, or a name
 * the optimizer lacks). */
TG_API tg_status tg_optimizer_get(const tg_optimizer* optimizer, const char* name, double* out);

/* Keras exclude_from_weight_decay(var_list, var_names): replaces the exclusions with
 * variables[0..num_variables) and the regular expressions name_patterns[0..num_patterns)
 * (RE2 syntax, which is Python's re without backreferences and lookaround; a variable is
 * excluded if a pattern is found anywhere in its name, as Python's re.search, e.g. "bias"
 * excludes every ".../bias:0"). Matching takes time linear in the name's length, whatever
 * the pattern. A pattern is at most TG_MAX_PATTERN_BYTES long; while patterns are set,
 * building the optimizer (tg_optimizer_build, or the first tg_optimizer_apply) fails with
 * TG_INVALID_ARGUMENT for a variable whose name is longer than TG_MAX_PATTERN_NAME_BYTES.
 * Either array may be NULL when its count is 0. Must be called before the optimizer is built.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (NULL array or pattern, a pattern too
 * long, invalid, or too complex for RE2's memory budget), TG_INVALID_STATE
 * ("`exclude_from_weight_decay()` can only be configued before the optimizer is built.",
 * Keras's text). */
#define TG_MAX_PATTERN_BYTES 1024
#define TG_MAX_PATTERN_NAME_BYTES 65536
TG_API tg_status tg_optimizer_exclude_from_weight_decay(tg_optimizer* optimizer,
                                                        tg_variable* const* variables,
                                                        size_t num_variables,
                                                        const char* const* name_patterns,
                                                        size_t num_patterns);

/* Learning-rate schedules. An optimizer has either a constant learning rate (the
 * "learning_rate" hyperparameter) or one schedule, evaluated at the iteration counter when a
 * step begins; setting one replaces the other. Each returns TG_OK, TG_INVALID_HANDLE or
 * TG_INVALID_ARGUMENT (the message names the bad argument).
 *
 * tg_optimizer_set_exponential_decay (Keras ExponentialDecay):
 *   lr(step) = initial_learning_rate · decay_rate^(step / decay_steps), the exponent floored
 *   if staircase != 0. initial_learning_rate > 0, decay_steps > 0, decay_rate > 0.
 * tg_optimizer_set_cosine_decay (Keras CosineDecay without warmup):
 *   s = min(step, decay_steps);
 *   lr(step) = initial_learning_rate · ((1 − alpha)·0.5·(1 + cos(π·s/decay_steps)) + alpha).
 *   initial_learning_rate > 0, decay_steps > 0, 0 <= alpha <= 1.
 * tg_optimizer_set_piecewise_constant_decay (Keras PiecewiseConstantDecay):
 *   boundaries: num_boundaries strictly increasing steps (may be NULL when 0);
 *   values: num_boundaries + 1 learning rates (finite, >= 0);
 *   lr(step) = values[0] while step <= boundaries[0], values[i] while
 *   boundaries[i−1] < step <= boundaries[i], values[num_boundaries] afterwards. */
TG_API tg_status tg_optimizer_set_exponential_decay(tg_optimizer* optimizer,
                                                    double initial_learning_rate,
                                                    int64_t decay_steps, double decay_rate,
                                                    int staircase);
TG_API tg_status tg_optimizer_set_cosine_decay(tg_optimizer* optimizer,
                                               double initial_learning_rate,
                                               int64_t decay_steps, double alpha);
TG_API tg_status tg_optimizer_set_piecewise_constant_decay(tg_optimizer* optimizer,
                                                           const int64_t* boundaries,
                                                           size_t num_boundaries,
                                                           const double* values);

/* Keras optimizer.build(var_list): creates the slots of variables[0..count) (a variable
 * listed twice gets one set), zero-filled (Adagrad: initial_accumulator_value). Build with
 * the full list of trainable variables when steps will update different subsets. Once built
 * (here or by the first tg_optimizer_apply), later builds do nothing, and a step given a
 * gradient for a variable outside the list fails with TG_INVALID_ARGUMENT and Keras's text:
 * "The optimizer cannot recognize variable {name}. This usually means you are trying to
 * call the optimizer to update different parts of the model separately. Please call
 * `optimizer.build(variables)` with the full list of trainable variables before the training
 * loop or use legacy optimizer `tf.keras.optimizers.legacy.{Adam|SGD|...}.".
 * count 0 builds for no variables. Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT
 * (variables NULL with count > 0), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_optimizer_build(tg_optimizer* optimizer, tg_variable* const* variables,
                                    size_t count);

/* One optimizer step (apply_gradients(zip(gradients, variables))): updates variables[i]
 * with gradients[i] for i < count, in the order given in the overview above. A NULL
 * gradient skips its variable (Keras's warning "Gradients do not exist for variables [...]
 * when minimizing the loss. ..." goes to the warning handler); all-NULL is
 * TG_INVALID_ARGUMENT "No gradients provided for any variable: [names].". count 0 changes
 * nothing and writes the unchanged counter. The iteration counter is incremented once per
 * call; its new value is written to *iterations if that is not NULL (1 after the first
 * step, as Keras's apply_gradients returns it).
 * Each gradient must have its variable's shape and a floating dtype equal to the
 * variable's; every variable with a gradient must be one the optimizer was built for.
 * Everything is checked before anything changes: on error (out of memory included) no
 * variable, slot or counter is modified.
 * The counter never passes TG_MAX_ITERATIONS (2^53): a step from there is TG_INVALID_STATE.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT, TG_INVALID_STATE, TG_OUT_OF_MEMORY. */
TG_API tg_status tg_optimizer_apply(tg_optimizer* optimizer, tg_variable* const* variables,
                                    tg_tensor* const* gradients, size_t count,
                                    int64_t* iterations);

/* The number of steps applied so far (Keras optimizer.iterations). Returns TG_OK,
 * TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (out NULL). */
TG_API tg_status tg_optimizer_iterations(const tg_optimizer* optimizer, int64_t* out);

/* The largest iteration count, 2^53: the step number t that bias corrections and schedules
 * compute with in double precision is exact up to there, and no training reaches it (2^53
 * steps of a microsecond take 285 years). Checkpoints with a larger counter are rejected. */
#define TG_MAX_ITERATIONS ((int64_t)1 << 53)

/* Sets the iteration counter (Keras optimizer.iterations.assign(n)), at any time; the next
 * step uses t = n + 1 and returns n + 1; schedules see n. Returns TG_OK, TG_INVALID_HANDLE,
 * TG_INVALID_ARGUMENT (n < 0 or n > TG_MAX_ITERATIONS). */
TG_API tg_status tg_optimizer_set_iterations(tg_optimizer* optimizer, int64_t iterations);

/* Frees the optimizer and its slots; variables are not affected. NULL: no-op.
 * Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_optimizer_free(tg_optimizer* optimizer);

/* Warnings. The library never prints: warnings (such as the NULL-gradient warning above)
 * are passed to one process-wide handler, called on the thread that raised the warning
 * with a message valid only during the call and the `context` given here. The handler must
 * not throw or longjmp; it may call tapegrad functions (but then tg_last_error_message() of
 * the interrupted call is replaced). handler NULL (the default) drops warnings.
 * Thread-safe; replaces the previous handler. Returns TG_OK. */
typedef void (*tg_warning_handler)(const char* message, void* context);
TG_API tg_status tg_set_warning_handler(tg_warning_handler handler, void* context);

/* ------------------------------------------------------------------------------------- */
/* Checkpoints (safetensors files)                                                        */
/* ------------------------------------------------------------------------------------- */

/* A checkpoint is one file in Hugging Face's safetensors format (an 8-byte little-endian
 * header length, a JSON header, then the raw data, row-major and little-endian), so numpy,
 * PyTorch and the `safetensors` package read it too. It holds:
 *   - each variable under its name, e.g. "my_model/dense/kernel:0";
 *   - with an optimizer, its state under "optimizer/": "optimizer/iterations" (int64 scalar)
 *     and every slot of every variable it has updated, e.g. "optimizer/m/my_model/dense/kernel:0"
 *     and "optimizer/v/…" for Adam;
 *   - the metadata {"format": "tapegrad", "version": TG_VERSION_STRING}.
 * Saving variables and optimizer, then loading both into a new model and optimizer of the same
 * architecture (called once, so its variables exist), resumes training bit for bit.
 * tapegrad runs on little-endian hosts only (x86-64, aarch64), so data is written as it is in
 * memory. Threads: a save reads the variables and the optimizer, a load changes them; neither
 * may run while another thread updates or frees them. */

/* Writes variables[0..count), and the optimizer's state if `optimizer` is not NULL, to the
 * file `path`, replacing any file there. The write is atomic: the data goes to a temporary file
 * next to it ("<path>.tmp.<pid>.<n>"), is flushed to disk and then renamed to `path`, so a
 * crash leaves the old file or the new one, never part of one. A variable listed twice is
 * written once.
 * Returns TG_OK; TG_INVALID_HANDLE (a NULL or wrong handle in variables, or a wrong optimizer);
 * TG_INVALID_ARGUMENT (path NULL; variables NULL with count > 0; a variable with an empty name;
 * two different variables with one name); TG_IO_ERROR (the file cannot be written: the
 * message names the path and the system's reason, e.g. "No such file or directory");
 * TG_OUT_OF_MEMORY. On error no file appears at `path` and an existing one is unchanged. */
TG_API tg_status tg_checkpoint_save(const char* path, tg_variable* const* variables, size_t count,
                                    const tg_optimizer* optimizer);

/* Loads each of variables[0..count) from the tensor of its name in the file `path`, and the
 * optimizer's state if `optimizer` is not NULL (its iteration counter and slots, as saved).
 * An optimizer that has stepped restores the slots of the variables it was built for; a new
 * one is built for those of `variables` whose slots the file holds (the ones the saved
 * optimizer was updating), or, if the file holds no slots, only takes the counter.
 * Each variable must be in the file with its own dtype and shape. Tensors no variable asks
 * for are ignored, so any safetensors file with matching names loads (one written by numpy or
 * PyTorch, or a larger model's checkpoint).
 * The file is treated as untrusted and checked whole before anything changes: on any error no
 * variable and no optimizer state is modified. Rejected files: shorter than 8 bytes; a header
 * length above 100,000,000 bytes or past the end of the file; a header that is not UTF-8, not
 * a JSON object, has duplicate keys, empty names, unknown dtypes or fields; tensors whose
 * data_offsets do not tile the data exactly (in order, no gaps or overlaps) or disagree with
 * dtype × shape; trailing bytes or a truncated file; BOOL bytes other than 0 and 1.
 * Returns TG_OK; TG_INVALID_HANDLE; TG_IO_ERROR (the file cannot be opened or read: the message
 * names the path and the reason); TG_INVALID_ARGUMENT (path NULL; variables NULL with
 * count > 0; a malformed file, the message naming the file and the problem; a variable missing
 * from the file or stored with another dtype or shape, the message naming the variable and
 * both; no or mismatched optimizer state; a dtype tapegrad lacks, such as F16, for a tensor it
 * must load); TG_OUT_OF_MEMORY. */
TG_API tg_status tg_checkpoint_load(const char* path, tg_variable* const* variables, size_t count,
                                    tg_optimizer* optimizer);

/* Writes tensors[i] under names[i] for i < count to a safetensors file at `path`, atomically
 * as tg_checkpoint_save, with no metadata. Names are UTF-8, non-empty, distinct and not
 * "__metadata__". The layout is the reference writer's (data ordered by dtype, I64, F64, F32,
 * I32, BOOL, then by name; header padded with spaces to 8 bytes).
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (path NULL, names or tensors NULL with
 * count > 0, a NULL or invalid name); TG_IO_ERROR; TG_OUT_OF_MEMORY. */
TG_API tg_status tg_safetensors_write(const char* path, const char* const* names,
                                      tg_tensor* const* tensors, size_t count);

/* Reads the tensor `name` from the safetensors file `path`, validating the whole file as
 * tg_checkpoint_load does. *out: a new tensor owned by the caller.
 * Returns TG_OK; TG_IO_ERROR; TG_INVALID_ARGUMENT (path, name or out NULL; a malformed file;
 * no tensor of that name; a dtype tapegrad lacks (it reads F32, F64, I32, I64, BOOL) or a rank
 * above TG_MAX_RANK); TG_OUT_OF_MEMORY. */
TG_API tg_status tg_safetensors_read(const char* path, const char* name, tg_tensor** out);

/* ------------------------------------------------------------------------------------- */
/* Training: fit, evaluate, predict, train_step, callbacks, history (Keras)                */
/* ------------------------------------------------------------------------------------- */

/*
 * Keras's Model.fit / evaluate / predict / train_step with the numbers of Keras 2.15. The
 * model, loss, optimizer and metrics are passed to each call (what Keras's compile() keeps):
 *
 *   Keras                                     C
 *   metrics=["accuracy"]                      tg_metric_auto_accuracy(&acc)
 *   h = model.fit(x, y, epochs=5,             tg_fit_options o; tg_fit_options_init(&o);
 *         batch_size=64,                      o.epochs = 5; o.batch_size = 64;
 *         validation_split=0.1)               o.validation_split = 0.1;
 *                                             tg_model_fit(model, loss, opt, &acc, 1, x, y, &o, &h)
 *   h.history["val_accuracy"]                 tg_history_values(h, "val_accuracy", v, n, &count)
 *   loss, accuracy = model.evaluate(x, y)     tg_model_evaluate(model, loss, &acc, 1, x, y, NULL, r, 2)
 *   y_pred = model.predict(x)                 tg_model_predict(model, x, NULL, &y_pred)
 *   callbacks=[EarlyStopping(patience=2)]     tg_early_stopping_options e; tg_early_stopping_options_init(&e);
 *                                             e.patience = 2; tg_callback_early_stopping(&e, &cb);
 *                                             o.callbacks = &cb; o.num_callbacks = 1;
 *   verbose=1                                 o.verbose = 1; o.verbose_stream = stdout;
 *
 * DATA. x is a tg_tensor* of N samples along its first dimension, with y (N, ...) its targets
 * and optional sample weights (N, ...) in the options; tapegrad batches them. Or x is a
 * tg_dataset* that the caller feeds batch by batch (y is then NULL), for data that does not
 * fit in memory. Tensors give ceil(N / batch_size) batches per epoch, the last one holding the
 * N mod batch_size samples left over (kept, never dropped or padded); with shuffle (the
 * default) each epoch draws a new permutation from (seed, epoch) alone; validation_split
 * takes the last fraction of the samples, before any shuffling.
 *
 * ONE STEP. A training step is Keras's train_step: y_pred = model(x, training=True) under a
 * tape, the loss (weighted by the sample weights as the loss object does), its gradient with
 * respect to the model's trainable variables (of its sum if the loss is not reduced to a
 * scalar), the metrics updated from that y_pred (computed before the update), and one
 * optimizer step. Targets of shape (N) against predictions (N, C) gain a trailing axis first,
 * and take the predictions' dtype when both are floating or both integers (Keras's
 * match_dtype_and_rank). Metrics are updated without sample weights (Keras's `metrics`, not
 * `weighted_metrics`). evaluate, predict and validation call model(x, training=False), so
 * Dropout is off, and record on no tape.
 *
 * LOGS. "loss" is the mean of the batch losses weighted by batch size (the per-sample mean,
 * even with a partial last batch), and each metric accumulates over every sample seen; both
 * restart at each epoch and are reported as their running values (float32, as Keras's metric
 * variables). Validation results join the epoch's logs as "val_loss", "val_<metric>". Keys
 * keep their order: "loss", the metrics in the order given, then "val_...", then what
 * callbacks add (such as "lr").
 *
 * EPOCHS. fit runs the epoch indices initial_epoch, ..., epochs - 1: as in Keras, `epochs` is
 * the index to stop at, not a count.
 *
 * DETERMINISM. With the same seed, initial weights, data, callbacks and thread count, fit
 * gives bit-identical weights and history on every run.
 *
 * ERRORS. Arguments and options are checked before anything runs (TG_INVALID_ARGUMENT or
 * TG_INVALID_HANDLE, the message naming the function and the option). An error during the run
 * (data whose shapes do not fit the model, a callback or dataset that returns a status, a file
 * ModelCheckpoint cannot write) stops it at once and is returned, the message naming what
 * failed. Each optimizer step is all-or-nothing, so the model keeps the weights of its last
 * completed step and stays usable; the metrics may hold a partial epoch.
 *
 * THREADS. A call runs on the calling thread, which also runs every callback and dataset
 * function. Until it returns, no other thread may use its model, loss, optimizer, metrics,
 * callbacks or dataset, and callbacks must not free them. Call it outside any recording tape:
 * a tape recording on the calling thread would record the whole run.
 */

/* Handles of the training loop: a data source fed batch by batch, a callback, the history a
 * fit returns, the logs passed to callbacks, and the running fit a callback receives. */
typedef struct tg_dataset tg_dataset;
typedef struct tg_callback tg_callback;
typedef struct tg_history tg_history;
typedef struct tg_logs tg_logs;
typedef struct tg_training tg_training;

/* --- Replicas: the hook of data-parallel training ------------------------------------- */

/* Replaces the `count` values (dtype TG_FLOAT32 or TG_FLOAT64) at `buffer` by their sum over
 * all replicas, the same on every replica bit for bit. */
typedef tg_status (*tg_allreduce_sum_fn)(void* context, void* buffer, size_t count, tg_dtype dtype);
/* Copies `bytes` bytes at `buffer` of replica `root` into `buffer` on every replica. */
typedef tg_status (*tg_broadcast_fn)(void* context, void* buffer, size_t bytes, int root);

/* A transport that connects `size` copies of one training program (replicas, e.g. the ranks
 * of an MPI job: tapegrad_mpi.h fills this struct), so that fit and train_step can train one
 * model on all of them (see DISTRIBUTED TRAINING below). tapegrad calls the functions on the
 * thread that runs fit / train_step, and every replica makes the same calls in the same order
 * (they are collective). Each returns TG_OK, or a status with a message set by
 * tg_set_error_message; TG_TIMEOUT when the other replicas did not join within the
 * transport's deadline. The struct and `context` stay the caller's; tapegrad keeps no pointer
 * to them after the call that received them. */
typedef struct tg_replica {
  size_t struct_size; /* sizeof(tg_replica): set it before filling the rest */
  int rank;           /* this replica's index, 0 <= rank < size */
  int size;           /* how many replicas train together (>= 1) */
  void* context;      /* passed to the functions below */
  tg_allreduce_sum_fn allreduce_sum;
  tg_broadcast_fn broadcast;
  /* Gradients are summed in buckets of at most this many bytes (0: 4 MiB), one call of
   * allreduce_sum per bucket; a gradient larger than a bucket gets a bucket of its own. */
  size_t bucket_bytes;
} tg_replica;

/* --- Options -------------------------------------------------------------------------- */

/* Options structs start with struct_size, which their init function sets to the struct's size
 * along with Keras's defaults. Always call the init function, then change fields: a later
 * version of tapegrad may append fields, and will read only the first struct_size bytes of a
 * struct from a program built against this header, using defaults for the rest, so such
 * programs keep working. A struct_size that is not the size of a version of the struct the
 * library knows is TG_INVALID_ARGUMENT. A NULL options pointer means all defaults. */
typedef struct tg_fit_options {
  size_t struct_size;
  size_t batch_size;     /* 32; ignored for a tg_dataset */
  int64_t epochs;        /* 1: the epoch index to stop at */
  int64_t initial_epoch; /* 0 */
  int shuffle;           /* 1: reshuffle the samples every epoch; ignored for a tg_dataset */
  uint64_t seed;         /* 0: the seed of the shuffle */
  const tg_tensor* sample_weight; /* NULL, or (N) or (N, ...) weights of x's samples */
  /* The last validation_split of the samples (in [0, 1); 0: none) validate after each
   * epoch, taken before shuffling; tensors only. Ignored when validation_x is set. */
  double validation_split;
  /* Validation data (Keras's validation_data): NULL, a tg_tensor* with validation_y (and
   * optionally validation_sample_weight), or a tg_dataset* (then validation_y is NULL). */
  const void* validation_x;
  const tg_tensor* validation_y;
  const tg_tensor* validation_sample_weight;
  size_t validation_batch_size;  /* 0: batch_size */
  size_t validation_freq;        /* 1: validate after every validation_freq-th epoch */
  tg_callback* const* callbacks; /* num_callbacks handles, called in this order */
  size_t num_callbacks;
  /* 0 (the default, unlike Keras's 'auto'): print nothing; 1: a progress bar; 2: one line per
   * epoch (see tg_callback_progress_bar), unless a progress bar is among the callbacks. */
  int verbose;
  FILE* verbose_stream; /* where verbose output goes; NULL: stdout */
  /* NULL: train alone. Otherwise this replica's place among the replicas that train the
   * model together (see DISTRIBUTED TRAINING below; read during the call only). Added in
   * 0.2.x: a struct_size ending before this field (programs built against 0.2.0) is accepted
   * and means NULL. */
  const tg_replica* replica;
} tg_fit_options;

/* Options of tg_model_evaluate (see above); defaults from tg_evaluate_options_init. */
typedef struct tg_evaluate_options {
  size_t struct_size;
  size_t batch_size;              /* 32; ignored for a tg_dataset */
  const tg_tensor* sample_weight; /* NULL, or weights of x's samples */
  tg_callback* const* callbacks;
  size_t num_callbacks;
  int verbose;                    /* 0; 1: a progress bar; 2: one line at the end */
  FILE* verbose_stream;           /* NULL: stdout */
} tg_evaluate_options;

/* Options of tg_model_predict (see above); defaults from tg_predict_options_init. */
typedef struct tg_predict_options {
  size_t struct_size;
  size_t batch_size;              /* 32; ignored for a tg_dataset */
  tg_callback* const* callbacks;
  size_t num_callbacks;
  int verbose;                    /* 0; 1: a progress bar; 2: one line at the end */
  FILE* verbose_stream;           /* NULL: stdout */
} tg_predict_options;

/* Fill *options with the defaults above. Return TG_OK, or TG_INVALID_ARGUMENT if options is
 * NULL. */
TG_API tg_status tg_fit_options_init(tg_fit_options* options);
TG_API tg_status tg_evaluate_options_init(tg_evaluate_options* options);
TG_API tg_status tg_predict_options_init(tg_predict_options* options);

/* --- fit, evaluate, predict, train_step ------------------------------------------------ */

/* model.fit: trains `model` on x and y (see DATA above) for the epochs of `options`.
 * loss: the loss to minimise (a scalar per batch, or per-sample losses whose sum is
 *   differentiated). optimizer: applies one step per batch. metrics: num_metrics distinct
 *   metrics with distinct names (may be NULL when 0), reset at each epoch's start.
 * *history (if history is not NULL): a new tg_history owned by the caller, holding every
 *   epoch's logs. If the options' epochs <= initial_epoch, no epoch runs and it is empty.
 * After fit, the metrics hold the last validation's values if there was one, as in Keras.
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (NULL required argument, an option out
 * of range, x and y whose sample counts differ (Keras's "Data cardinality is ambiguous"), no
 * samples, validation_split with a tg_dataset or too few samples, shapes the model, loss or
 * metrics reject); TG_INVALID_STATE; TG_IO_ERROR (a progress bar or ModelCheckpoint cannot
 * write); TG_OUT_OF_MEMORY; or any status a callback or dataset function returned. On error
 * *history is not written. */
TG_API tg_status tg_model_fit(tg_model* model, const tg_loss* loss, tg_optimizer* optimizer,
                              tg_metric* const* metrics, size_t num_metrics, const void* x,
                              const tg_tensor* y, const tg_fit_options* options,
                              tg_history** history);

/* model.evaluate: the loss and metrics over all of x and y (a tg_tensor* with its targets, or
 * a tg_dataset* with y NULL), batched, never shuffled, with training behaviour off. Writes
 * results[0] = the loss (batch losses weighted by batch size) and results[1 + i] = metric
 * i's result over every sample, so num_results must be >= 1 + num_metrics. The metrics are
 * reset first and hold the results afterwards.
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (as tg_model_fit, or num_results too
 * small); TG_IO_ERROR; TG_OUT_OF_MEMORY; or a status a callback or dataset returned. On error
 * results is not written. */
TG_API tg_status tg_model_evaluate(tg_model* model, const tg_loss* loss, tg_metric* const* metrics,
                                   size_t num_metrics, const void* x, const tg_tensor* y,
                                   const tg_evaluate_options* options, double* results,
                                   size_t num_results);

/* model.predict: model(x, training=False) batch by batch, every batch's output joined along
 * axis 0 into one tensor (N, ...) (scalar outputs are stacked). x: a tg_tensor* or a
 * tg_dataset* (whose y is ignored). *out: new tensor owned by the caller.
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (bad options, no samples, shapes the
 * model rejects, batch outputs that do not join); TG_IO_ERROR; TG_OUT_OF_MEMORY; or a status
 * a callback or dataset returned. */
TG_API tg_status tg_model_predict(tg_model* model, const void* x, const tg_predict_options* options,
                                  tg_tensor** out);

/* model.train_step for a loop of one's own: one training step (see ONE STEP above) on the
 * batch x, y, sample_weight (may be NULL), which updates the model's variables, the
 * optimizer and the metrics. *loss_value (if not NULL): the batch's loss (the mean of its
 * elements if the loss is not reduced to a scalar). Cheaper than the same step written with
 * tape calls, as no handle is made for the intermediate tensors.
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (shapes that do not fit, no samples,
 * sample counts that differ, duplicate metrics); TG_NO_GRADIENT; TG_OUT_OF_MEMORY. On error
 * no variable has changed (metrics may have). */
TG_API tg_status tg_model_train_step(tg_model* model, const tg_loss* loss, tg_optimizer* optimizer,
                                     tg_metric* const* metrics, size_t num_metrics,
                                     const tg_tensor* x, const tg_tensor* y,
                                     const tg_tensor* sample_weight, double* loss_value);

/* --- Distributed training ------------------------------------------------------------- */

/*
 * DISTRIBUTED TRAINING. Synchronous data parallelism, as TensorFlow's
 * MultiWorkerMirroredStrategy and PyTorch's DistributedDataParallel: `size` processes
 * (replicas; the ranks of an MPI job, see tapegrad_mpi.h) each hold a whole copy of the model.
 * Every step, each replica runs the forward and backward pass on its own rows of the global
 * batch, the gradients are summed over the replicas (tg_replica.allreduce_sum, packed into
 * buckets of bucket_bytes, not one call per variable), and every replica applies the same
 * optimizer step, so the replicas stay identical. docs/distributed.md tells the whole story.
 *
 *   tg_model_broadcast(model, opt, 0, r);            make the replicas equal to rank 0
 *   fit options: o.replica = r; o.batch_size = 256;  256 = the GLOBAL batch
 *   tg_model_fit(model, loss, opt, ..., x, y, &o, &h)  on every rank, with the same x, y
 *
 * SHARDING. With arrays, every replica passes the same x and y; the global batches are drawn
 * as without replicas (the same shuffled order on every replica, from rank 0's seed), and replica r
 * of R takes rows [floor(c·r/R), floor(c·(r+1)/R)) of each global batch of c rows: B/R rows
 * when R divides B, and the replicas' rows in rank order are the global batch. With a
 * tg_dataset, each replica's dataset gives that replica's own batches (its shard), and an epoch
 * ends when every replica's dataset has ended.
 *
 * GRADIENTS. A loss reduced to a mean (SUM_OVER_BATCH_SIZE, AUTO) gives replica r's gradient
 * the weight n_r / n (its rows over the global batch's) and the weighted gradients are summed;
 * a summed loss (SUM, NONE) is summed unweighted. The result is the gradient one process would
 * compute on the global batch, up to the order of summation: floating-point addition is not
 * associative, so it is equal bit for bit only where every partial sum is exact (see
 * docs/distributed.md), and otherwise within rounding. Gradients NULL on every replica stay
 * NULL (the optimizer skips them); NULL on some replicas and not others is
 * TG_INVALID_ARGUMENT on all.
 *
 * LOGS. The loss and metrics that fit reports are those of the global batch and of every
 * replica's samples, the same on every replica. Only replica 0 prints (verbose, progress-bar
 * callbacks) and runs ModelCheckpoint callbacks; other callbacks run everywhere. Validation
 * data is evaluated whole on every replica.
 *
 * ERRORS. Each step begins with an agreement on every replica's status: an error on one
 * replica (data of the wrong shape, out of memory, a failed callback or checkpoint) makes every
 * replica return that status, its message naming the replica ("replica 1 of 2 failed: ..."),
 * and no replica changes its variables; so do arguments that one replica's fit rejects. A
 * replica that stops calling or dies makes the others return TG_TIMEOUT after the transport's
 * timeout (tg_mpi_set_timeout); so does a call that fails at once on one replica for an invalid
 * handle or a malformed tg_replica, before any collective. stop_training set by a callback on
 * any replica stops all.
 */

/* Copies replica `root`'s model weights (trainable or not) and, if optimizer is not NULL, its
 * optimizer state (the iteration counter, and the slots if root's optimizer is built; the
 * others then build theirs) onto every replica, bit for bit. Collective: every replica calls
 * it with the same root. The models must have the same weights (count, dtypes, shapes) and the
 * optimizers the same class, on every replica.
 * Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (replica NULL or malformed, root out of
 * range, models or optimizers that differ: the message names the first difference; then
 * nothing changed), TG_OUT_OF_MEMORY, TG_TIMEOUT, or a status the transport returned. */
TG_API tg_status tg_model_broadcast(tg_model* model, tg_optimizer* optimizer, int root,
                                    const tg_replica* replica);

/* tg_model_train_step on every replica at once (a loop of one's own): x, y, sample_weight are
 * this replica's rows of the global batch (x and y NULL: none this step). The gradients of
 * the global batch are summed over the replicas as GRADIENTS above says, and every replica
 * applies the same optimizer step. The metrics accumulate this replica's samples only.
 * *loss_value (if not NULL): the global batch's loss, the same on every replica.
 * Collective. Returns what tg_model_train_step returns, on every replica when one fails (see
 * ERRORS above), or TG_TIMEOUT. On error no variable has changed. */
TG_API tg_status tg_model_train_step_distributed(tg_model* model, const tg_loss* loss,
                                                 tg_optimizer* optimizer, tg_metric* const* metrics,
                                                 size_t num_metrics, const tg_tensor* x,
                                                 const tg_tensor* y, const tg_tensor* sample_weight,
                                                 const tg_replica* replica, double* loss_value);

/* The mean over replicas of `count` float32/float64 tensors (the gradients of a tape, say:
 * Horovod's allreduce with op=Average), packed into buckets. Each replica passes its own
 * tensors, the same number with the same dtypes and shapes; a NULL entry must be NULL on every
 * replica and gives NULL. out[i]: new tensors owned by the caller (NULL where tensors[i] is).
 * Each tensor is scaled by 1/size before the sum (exact when size is a power of two). Two
 * collectives: an agreement on the list (a hash of the count, the NULL entries, the dtypes and
 * shapes) and one allreduce_sum per bucket.
 * Collective. Returns TG_OK; TG_INVALID_HANDLE; TG_INVALID_ARGUMENT (NULL arrays, an integer
 * tensor, lists that differ between replicas: on every replica, each naming its own list);
 * TG_OUT_OF_MEMORY; TG_TIMEOUT. On error nothing is written. */
TG_API tg_status tg_replica_allreduce_mean(const tg_replica* replica, tg_tensor* const* tensors,
                                           size_t count, tg_tensor** out);

/* --- Datasets fed by the caller -------------------------------------------------------- */

/* steps for a dataset whose epochs end when its function says so. */
#define TG_UNKNOWN_STEPS 0

/* Writes batch `step` (0-based) of epoch `epoch`: new tensors to *x, *y and, for weighted
 * samples, *sample_weight, with the same first dimension (> 0). Their ownership passes to
 * tapegrad, which frees them after the step, whatever the function returns
 * (tg_tensor_wrap shares the caller's memory without a copy). Each starts as NULL: leave *y
 * NULL in predict (it is ignored) and *sample_weight NULL for unweighted samples. For a
 * dataset of TG_UNKNOWN_STEPS, leaving *x NULL ends the epoch. `epoch` is the fit epoch (for
 * validation data too), 0 in evaluate and predict.
 * Return TG_OK to go on; any other status stops the run, which returns it with a message
 * naming the epoch and step, followed by tg_last_error_message() as the function left it
 * (so the message of its last tapegrad call, if that one failed). */
typedef tg_status (*tg_batch_fn)(int64_t epoch, int64_t step, tg_tensor** x, tg_tensor** y,
                                 tg_tensor** sample_weight, void* user_data);

/* A dataset (keras.utils.Sequence): `steps` batches per epoch, or TG_UNKNOWN_STEPS (0), when
 * next_batch ends each epoch (the progress bar shows "step/Unknown" until the first epoch
 * ends). It batches and shuffles
 * by itself: the options' batch_size, shuffle and seed do not apply to it, nor does
 * validation_split. user_data is passed to next_batch as given; the caller keeps it valid
 * while the dataset is used. *out owned by the caller (tg_dataset_free).
 * Returns TG_OK, TG_INVALID_ARGUMENT (next_batch NULL, steps above INT64_MAX, out NULL),
 * TG_OUT_OF_MEMORY. */
TG_API tg_status tg_dataset_create(size_t steps, tg_batch_fn next_batch, void* user_data,
                                   tg_dataset** out);
/* Frees the dataset (not user_data). NULL: no-op. Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_dataset_free(tg_dataset* dataset);

/* --- Callbacks ------------------------------------------------------------------------- */

/* The hooks of a Keras callback. fit calls, in order: TRAIN_BEGIN; per epoch EPOCH_BEGIN,
 * per batch TRAIN_BATCH_BEGIN and TRAIN_BATCH_END, then for validation TEST_BEGIN,
 * TEST_BATCH_BEGIN / TEST_BATCH_END per batch, TEST_END, then EPOCH_END; finally TRAIN_END.
 * evaluate calls the TEST_ hooks, predict the PREDICT_ ones. */
typedef enum tg_callback_event {
  TG_ON_TRAIN_BEGIN = 0,
  TG_ON_TRAIN_END = 1,
  TG_ON_EPOCH_BEGIN = 2,
  TG_ON_EPOCH_END = 3,
  TG_ON_TRAIN_BATCH_BEGIN = 4,
  TG_ON_TRAIN_BATCH_END = 5,
  TG_ON_TEST_BEGIN = 6,
  TG_ON_TEST_END = 7,
  TG_ON_TEST_BATCH_BEGIN = 8,
  TG_ON_TEST_BATCH_END = 9,
  TG_ON_PREDICT_BEGIN = 10,
  TG_ON_PREDICT_END = 11,
  TG_ON_PREDICT_BATCH_BEGIN = 12,
  TG_ON_PREDICT_BATCH_END = 13
} tg_callback_event;

/* A callback function, called for every event.
 * index: the epoch for EPOCH_ events, the batch (0-based, within the epoch) for BATCH_ events,
 *   -1 for the others.
 * logs: Keras's logs for the event (see tg_logs_*): empty at the BEGIN events; at
 *   TRAIN_BATCH_END the running "loss" and metrics; at EPOCH_END those of the epoch plus
 *   "val_..."; at TEST_BATCH_END / TEST_END the evaluation's running values; at TRAIN_END the
 *   last epoch's logs. The same logs go to every callback of one event, in order, and a
 *   callback may add values with tg_logs_set that the later ones (and History) see.
 * training: the run in progress (tg_training_stop, tg_training_params).
 * Both handles are valid only during the call.
 * Return TG_OK to go on; any other status stops the run, which returns it with a message
 * naming the callback and the event, followed by tg_last_error_message() as the callback left
 * it (so the message of its last tapegrad call, if that one failed). */
typedef tg_status (*tg_callback_fn)(tg_training* training, tg_callback_event event, int64_t index,
                                    tg_logs* logs, void* user_data);

/* A callback that calls fn with user_data (passed as given; the caller keeps it valid while
 * the callback is used). A callback may be used by several runs, one at a time.
 * *out owned by the caller (tg_callback_free). Returns TG_OK, TG_INVALID_ARGUMENT (fn or out
 * NULL), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_callback_create(tg_callback_fn fn, void* user_data, tg_callback** out);
/* Frees a callback of any kind. NULL: no-op. Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_callback_free(tg_callback* callback);

/* Keras's model.stop_training = True: fit finishes the current batch, then the epoch
 * (validation and EPOCH_END included), and stops. Returns TG_OK, TG_INVALID_HANDLE (NULL, or
 * a training handle whose callback has returned). */
TG_API tg_status tg_training_stop(tg_training* training);
/* Keras's callback.params: the options' epochs (1 in evaluate and predict), the batches per
 * epoch (TG_UNKNOWN_STEPS when a dataset's length is unknown), and verbose. Each
 * out-parameter may be NULL. Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_training_params(const tg_training* training, int64_t* epochs, size_t* steps,
                                    int* verbose);

/* Logs: Keras's logs dict of one event, name/value pairs in order, valid only during the
 * callback that receives it (TG_INVALID_HANDLE after). Names returned are owned by the logs
 * and valid until the callback returns or calls tg_logs_set.
 * tg_logs_get: the value of `name`; TG_INVALID_ARGUMENT (listing the names present) if it is
 * absent. tg_logs_set: replaces the value of `name`, or appends it (name non-empty).
 * tg_logs_throughput: the samples processed and seconds elapsed so far in this epoch (or
 * evaluation, or prediction; training only at EPOCH_END, without validation), and their
 * ratio (0 while no time has passed); each out-parameter may be NULL. Not a Keras key: the
 * progress bar and History do not show it.
 * Each returns TG_OK, TG_INVALID_HANDLE, or TG_INVALID_ARGUMENT (out or name NULL, index out
 * of range, absent name). */
TG_API tg_status tg_logs_size(const tg_logs* logs, size_t* out);
TG_API tg_status tg_logs_name(const tg_logs* logs, size_t index, const char** out);
TG_API tg_status tg_logs_value(const tg_logs* logs, size_t index, double* out);
TG_API tg_status tg_logs_get(const tg_logs* logs, const char* name, double* out);
TG_API tg_status tg_logs_set(tg_logs* logs, const char* name, double value);
TG_API tg_status tg_logs_throughput(const tg_logs* logs, size_t* samples, double* seconds,
                                    double* samples_per_second);

/* Keras's progress bar (ProgbarLogger), writing to `stream` (NULL: stdout). verbose 1: a line
 * per epoch redrawn in place ("\r") at most every 0.05 s, then completed with the elapsed
 * time, the time per step and the epoch's logs:
 *     Epoch 2/5                                          (when epochs > 1)
 *     12/47 [=======>......................] - ETA: 3s - loss: 0.6931 - accuracy: 0.5000
 *     47/47 [==============================] - 4s 83ms/step - loss: 0.5811 - accuracy: 0.7885
 * verbose 2: only the epoch's line, "47/47 - 4s - loss: ... - 4s/epoch - 83ms/step".
 * Values print as %.4f, or %.4e when |value| <= 1e-3. In fit, validation is silent; evaluate
 * and predict show their own bar. Unlike Keras, no backspaces precede the "\r".
 * *out owned by the caller. Returns TG_OK, TG_INVALID_ARGUMENT (verbose not 1 or 2, out NULL),
 * TG_OUT_OF_MEMORY; during a run, TG_IO_ERROR if the stream cannot be written. */
TG_API tg_status tg_callback_progress_bar(FILE* stream, int verbose, tg_callback** out);

/* Whether a monitored value should decrease or increase; AUTO guesses from its name. */
typedef enum tg_monitor_mode {
  TG_MONITOR_AUTO = 0,
  TG_MONITOR_MIN = 1,
  TG_MONITOR_MAX = 2
} tg_monitor_mode;

/* Options of tg_callback_early_stopping, Keras's EarlyStopping arguments (defaults from
 * tg_early_stopping_options_init, as each field says). */
typedef struct tg_early_stopping_options {
  size_t struct_size;
  const char* monitor;        /* "val_loss" (copied) */
  double min_delta;           /* 0: a smaller change (in absolute value) is no improvement */
  size_t patience;            /* 0: non-improving epochs before stopping */
  /* AUTO: MAX if monitor ends with "acc", "accuracy" or "auc", else MIN. */
  tg_monitor_mode mode;
  double baseline;            /* NAN (none): otherwise improving epochs that do not beat it
                                 still count towards patience */
  int restore_best_weights;   /* 0; 1: when it stops training, restore the weights of the
                                 best epoch */
  int64_t start_from_epoch;   /* 0: epochs before it are not monitored */
  FILE* verbose_stream;       /* NULL: silent; else Keras's verbose messages go there */
} tg_early_stopping_options;

/* Fills *options with the defaults above. Returns TG_OK, or TG_INVALID_ARGUMENT if options is
 * NULL. */
TG_API tg_status tg_early_stopping_options_init(tg_early_stopping_options* options);

/* Keras's EarlyStopping (Keras 2.15 logic). At each epoch end, from start_from_epoch on:
 *   if the logs lack `monitor`: a warning (to the warning handler) "Early stopping
 *     conditioned on metric `val_loss` which is not available. Available metrics are: ...",
 *     and nothing else;
 *   with restore_best_weights, a first snapshot of the weights if none is kept;
 *   wait += 1;
 *   if current improves on the best (current < best - |min_delta| in min mode, current >
 *     best + |min_delta| in max mode; best starts at +inf / -inf): it becomes the best, its
 *     weights are kept (restore_best_weights), and wait = 0 unless a baseline is set and
 *     current does not improve on it;
 *   else if wait >= patience and the epoch index is > 0: training stops, and with
 *     restore_best_weights the kept weights are restored.
 * So patience 0 stops at the first non-improving epoch after the first. When all epochs run,
 * the last epoch's weights stay (Keras 2; Keras 3 restores them anyway). The state restarts
 * at each fit. *out owned by the caller. Returns TG_OK, TG_INVALID_ARGUMENT (monitor NULL or
 * empty, start_from_epoch < 0, min_delta not finite, unknown mode, bad struct_size),
 * TG_OUT_OF_MEMORY. */
TG_API tg_status tg_callback_early_stopping(const tg_early_stopping_options* options,
                                            tg_callback** out);

/* The state of an EarlyStopping callback (Keras's attributes): the epoch at which it stopped
 * training (0 if it did not), the best epoch and value so far, the current wait. Each
 * out-parameter may be NULL. Returns TG_OK, TG_INVALID_HANDLE (also for a callback of another
 * kind). */
TG_API tg_status tg_callback_early_stopping_state(const tg_callback* callback,
                                                  int64_t* stopped_epoch, int64_t* best_epoch,
                                                  double* best, size_t* wait);

/* Options of tg_callback_model_checkpoint, Keras's ModelCheckpoint arguments (defaults from
 * tg_model_checkpoint_options_init, as each field says). */
typedef struct tg_model_checkpoint_options {
  size_t struct_size;
  /* Required: the file to write, a format string filled from the 1-based "epoch", the
   * 1-based "batch" (with save_freq > 0) and the logs, as Keras's filepath.format(epoch=...,
   * **logs): "ckpt/weights.{epoch:02d}-{val_loss:.2f}.safetensors". Missing directories are
   * created. (Copied.) */
  const char* filepath;
  const char* monitor;           /* "val_loss" (copied) */
  int save_best_only;            /* 0; 1: only when `monitor` improves on the best so far */
  /* 0 (Keras's default): the optimizer's state is saved with the weights, so training can
   * resume from the file; 1: the weights alone. */
  int save_weights_only;
  /* AUTO: MAX if monitor contains "acc" or starts with "fmeasure", else MIN. */
  tg_monitor_mode mode;
  size_t save_freq;              /* 0: at every epoch end; N > 0: every N batches */
  double initial_value_threshold; /* NAN (none): the best value to beat at first */
  FILE* verbose_stream;          /* NULL: silent; else Keras's verbose messages go there */
} tg_model_checkpoint_options;

/* Fills *options with the defaults above (filepath NULL: it must be set). Returns TG_OK, or
 * TG_INVALID_ARGUMENT if options is NULL. */
TG_API tg_status tg_model_checkpoint_options_init(tg_model_checkpoint_options* options);

/* Keras's ModelCheckpoint: saves the model's weights (and, without save_weights_only, the
 * optimizer's state) with the structural checkpoint of tg_model_save_weights at every epoch
 * end, or every save_freq batches (with the running logs of that batch).
 * With save_best_only, it saves only when the logs' `monitor` is strictly better than the best
 * so far (no min_delta), which starts at initial_value_threshold or +inf / -inf and is kept
 * across fits; if the logs lack `monitor` it warns ("Can save best model only with val_loss
 * available, skipping.") and saves nothing. A filepath placeholder the logs lack fails the run
 * with TG_INVALID_ARGUMENT ("Failed to format this callback filepath: ...").
 * *out owned by the caller. Returns TG_OK, TG_INVALID_ARGUMENT (filepath or monitor NULL or
 * empty, unknown mode, bad struct_size), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_callback_model_checkpoint(const tg_model_checkpoint_options* options,
                                              tg_callback** out);

/* The best monitored value a ModelCheckpoint has seen, and the path of the last file it wrote
 * ("" before any; owned by the callback, valid until its next save or free). Each
 * out-parameter may be NULL. Returns TG_OK, TG_INVALID_HANDLE (also for another kind). */
TG_API tg_status tg_callback_model_checkpoint_state(const tg_callback* callback, double* best,
                                                    const char** last_saved);

/* A learning-rate schedule: the learning rate for epoch `epoch`, given the current one.
 * Returning a value that is not finite and > 0 (NAN, say, to report an error) stops the run
 * with TG_INVALID_ARGUMENT naming the value and the epoch. */
typedef double (*tg_schedule_fn)(int64_t epoch, double learning_rate, void* user_data);

/* Keras's LearningRateScheduler: at each epoch's start, the optimizer's learning rate becomes
 * schedule(epoch, current rate) (replacing any schedule set on the optimizer, which Keras
 * refuses instead); each epoch's logs gain "lr", the rate in float32. verbose_stream: NULL,
 * or where "Epoch 3: LearningRateScheduler setting learning rate to 0.0005." goes. user_data
 * is passed as given. *out owned by the caller. Returns TG_OK, TG_INVALID_ARGUMENT (schedule
 * or out NULL), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_callback_learning_rate_scheduler(tg_schedule_fn schedule, void* user_data,
                                                     FILE* verbose_stream, tg_callback** out);

/* --- History --------------------------------------------------------------------------- */

/* What tg_model_fit returns (Keras's History): the epochs that ran and every epoch's logs.
 * tg_history_epochs: history.epoch, the 0-based epoch indices in order. Writes
 *   min(capacity, total) to epochs (which may be NULL with capacity 0) and total to *count.
 * tg_history_num_keys / tg_history_key: the keys of history.history in the order they first
 *   appeared ("loss", the metrics, "val_...", "lr"); the name is owned by the history.
 * tg_history_values: history.history[key], one value per epoch that logged it (a key first
 *   logged in a later epoch has fewer); written as by tg_history_epochs. TG_INVALID_ARGUMENT
 *   (listing the keys) for a key it lacks.
 * Each returns TG_OK, TG_INVALID_HANDLE, or TG_INVALID_ARGUMENT (a NULL out-parameter or key,
 * an index out of range). */
TG_API tg_status tg_history_epochs(const tg_history* history, int64_t* epochs, size_t capacity,
                                   size_t* count);
TG_API tg_status tg_history_num_keys(const tg_history* history, size_t* out);
TG_API tg_status tg_history_key(const tg_history* history, size_t index, const char** out);
TG_API tg_status tg_history_values(const tg_history* history, const char* key, double* values,
                                   size_t capacity, size_t* count);
/* Frees the history. NULL: no-op. Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_history_free(tg_history* history);

/* ------------------------------------------------------------------------------------- */
/* DLPack: zero-copy exchange with numpy, PyTorch and other array libraries               */
/* ------------------------------------------------------------------------------------- */

/*
 * DLPack (https://github.com/dmlc/dlpack) is the C struct that array libraries hand each
 * other to share a buffer without copying: numpy's np.from_dlpack / __dlpack__, PyTorch's
 * torch.from_dlpack / torch.utils.dlpack, JAX, CuPy, ... tapegrad speaks the unversioned ABI
 * of DLPack 0.6 (Debian's libdlpack-dev, <dlpack/dlpack.h>): DLManagedTensor, whose
 * `deleter(self)` the consumer calls exactly once when it no longer needs the buffer.
 *
 * This header only forward-declares `struct DLManagedTensor`, so it compiles without
 * <dlpack/dlpack.h>; include that header to read or fill the struct's fields. (The struct is
 * named by its tag, not by the DLPack typedef, so that both headers may be included in
 * either order under C99.)
 *
 * Only what tapegrad itself can hold is exchanged: CPU memory (kDLCPU), one lane, the dtypes
 *   TG_FLOAT32 {kDLFloat, 32}, TG_FLOAT64 {kDLFloat, 64}, TG_INT32 {kDLInt, 32},
 *   TG_INT64 {kDLInt, 64}, TG_BOOL {code 6 = kDLBool of DLPack >= 0.8, 8 bits},
 * rank 0..TG_MAX_RANK, in compact row-major (C-contiguous) layout. Anything else is
 * TG_INVALID_ARGUMENT, never a silent copy: copy a strided array on its own side first
 * (numpy: np.ascontiguousarray), as the Python package does for you.
 *
 * DLPack 0.6 has no read-only flag. tapegrad tensors are immutable values that other tensors,
 * tapes and variables may share: a consumer must not write through an exported buffer, and a
 * producer must not change a buffer while tapegrad tensors use it (the contract of
 * tg_tensor_wrap).
 */
struct DLManagedTensor;

/* Exports `tensor` as a new DLManagedTensor sharing its buffer (no copy).
 * *out: a DLManagedTensor owned by the caller, who passes it to one consumer (or calls
 *   (*out)->deleter(*out) itself); the consumer calls deleter exactly once, from any thread,
 *   when done. Until then the buffer stays valid, even after tg_tensor_free(tensor).
 * Fields: data = the tensor's elements (tg_tensor_data), byte_offset 0, device {kDLCPU, 0},
 *   ndim = rank, shape = the dims, strides = the compact row-major strides in elements (given
 *   explicitly rather than NULL, for consumers that require them), dtype as listed above.
 *   shape and strides live inside the DLManagedTensor and die with it.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (out NULL), TG_OUT_OF_MEMORY. On error
 * *out is not written. */
TG_API tg_status tg_tensor_to_dlpack(const tg_tensor* tensor, struct DLManagedTensor** out);

/* Imports a DLManagedTensor as a new tensor over its buffer (no copy): the tensor's elements
 * start at dl_tensor.data + dl_tensor.byte_offset.
 * On TG_OK tapegrad takes ownership of `managed`: it calls managed->deleter(managed) exactly
 * once (unless deleter is NULL), on whichever thread frees the last tensor, tape or variable
 * that uses the buffer. shape and strides are read during this call only.
 * On error nothing is taken: the caller still owns `managed` and must call its deleter.
 * Requirements (TG_INVALID_ARGUMENT otherwise, the message naming the field and its value):
 *   device kDLCPU; ndim in [0, TG_MAX_RANK]; shape non-NULL if ndim > 0, dims >= 0; a dtype
 *   listed above with lanes == 1; strides NULL or compact row-major (the stride of a size-1
 *   dim, and every stride of an empty tensor, is ignored, as numpy and PyTorch give those any
 *   value); data + byte_offset aligned to the element size, and non-NULL unless the tensor
 *   has no elements; a boolean tensor's bytes all 0 or 1.
 * *out: new tensor owned by the caller (tg_tensor_free).
 * Returns TG_OK, TG_INVALID_ARGUMENT (as above, managed NULL or out NULL), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_tensor_from_dlpack(struct DLManagedTensor* managed, tg_tensor** out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TAPEGRAD_TAPEGRAD_H */
