/*
 * tapegrad.h — the C ABI of tapegrad.
 *
 * tapegrad trains neural networks from any language that can call C: tensors, a gradient
 * tape with the semantics of TensorFlow 2's tf.GradientTape, Keras-style layers, losses and
 * optimizers, with OpenBLAS doing the matrix products. This header is the whole interface.
 *
 * CONVENTIONS
 *   - Every function (but the four string/version queries) returns a tg_status. Results are
 *     written through out-parameters, and only on TG_OK: on error nothing is written.
 *   - On error, tg_last_error_message() tells what went wrong, naming the function, the op
 *     and the shapes/dtypes involved, e.g.
 *       "[tg_matmul] matmul: inner dimensions differ: (2,3) x (4,5)".
 *     The message is per thread; the next tapegrad call on that thread replaces it.
 *   - Handles (tg_tensor, tg_variable, …) are opaque and carry a type tag: passing NULL, a
 *     freed handle or a handle of another type gives TG_INVALID_HANDLE, never a crash.
 *   - Ownership: every handle a function returns is owned by the caller and released with
 *     the matching tg_*_free. tg_*_free(NULL) is a no-op that returns TG_OK.
 *   - Nothing aborts the process; no C++ exception crosses this interface.
 *   - Threads: functions may be called from any thread. A tape belongs to the thread that
 *     began it. A handle must not be used by two threads while one of them frees or changes
 *     it (assigning a variable, applying an optimizer); tensors are immutable and may be
 *     read from many threads at once.
 *   - Shapes are arrays of int64_t dimensions with an int rank (0..8); data is row-major.
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

/* The version of this header. The library's SONAME is libtapegrad.so.TG_VERSION_MAJOR. */
#define TG_VERSION_MAJOR 0
#define TG_VERSION_MINOR 1
#define TG_VERSION_PATCH 0
#define TG_VERSION_STRING "0.1.0"

/* The version of the loaded library, "MAJOR.MINOR.PATCH" (static string, never NULL).
 * Compare with TG_VERSION_STRING to detect a header/library mismatch. */
TG_API const char* tg_version(void);

/* ------------------------------------------------------------------------------------- */
/* Status codes and errors                                                                */
/* ------------------------------------------------------------------------------------- */

typedef enum tg_status {
  TG_OK = 0,
  TG_INVALID_ARGUMENT = 1, /* a shape, dtype or value the function cannot accept */
  TG_INVALID_HANDLE = 2,   /* NULL, freed, or a handle of the wrong type */
  TG_INVALID_STATE = 3,    /* not allowed now, e.g. a second gradient on a used tape */
  TG_OUT_OF_MEMORY = 4,
  TG_NO_GRADIENT = 5,      /* an op on the differentiated path has no gradient rule */
  TG_IO_ERROR = 6,         /* a file could not be read or written */
  TG_INTERNAL = 7          /* a bug in tapegrad: please report the message */
} tg_status;

/* A static, human-readable name for a status ("TG_INVALID_ARGUMENT"); never NULL. */
TG_API const char* tg_status_string(tg_status status);

/* The error message of the most recent tapegrad call on this thread: "" if it succeeded.
 * Owned by the library, valid until the next tapegrad call on the same thread. */
TG_API const char* tg_last_error_message(void);

/* Threads used by large matrix products (OpenBLAS). n <= 0 means all cores. Small
 * products always run on one thread, which is faster for them.
 * Returns TG_OK. Thread-safe; affects the whole process. */
TG_API tg_status tg_set_num_threads(int n);
/* Writes the thread count in use to *out. Returns TG_OK, or TG_INVALID_ARGUMENT if out is
 * NULL. */
TG_API tg_status tg_get_num_threads(int* out);

/* ------------------------------------------------------------------------------------- */
/* Tensors: immutable n-dimensional arrays                                                */
/* ------------------------------------------------------------------------------------- */

typedef enum tg_dtype {
  TG_FLOAT32 = 0, /* the default, as in Keras */
  TG_FLOAT64 = 1,
  TG_INT32 = 2,   /* labels and indices: never differentiated */
  TG_INT64 = 3,
  TG_BOOL = 4     /* one byte per element, 0 or 1 */
} tg_dtype;

typedef struct tg_tensor tg_tensor;

/* Largest supported rank. */
#define TG_MAX_RANK 8

/* Creates a tensor by copying shape-product elements of `dtype` from `data` (row-major).
 * shape: `rank` dimensions, each >= 0 (may be NULL when rank is 0). data may be NULL only
 * if the tensor has no elements.
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
 * tensor derived from it (results of ops never alias it, but tg_reshape may).
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
TG_API tg_status tg_tensor_shape(const tg_tensor* tensor, int64_t* dims, int capacity);
/* Number of elements (the product of the dimensions; 1 for a scalar). */
TG_API tg_status tg_tensor_size(const tg_tensor* tensor, int64_t* out);

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

/* out (M,N) = op(a) · op(b), where op(a) is a (M,K) or, if transpose_a, aᵀ with a (K,M);
 * likewise b (K,N) or (N,K). Rank 2, float32 or float64, both of one dtype. The transpose
 * flags are passed to BLAS; nothing is copied. */
TG_API tg_status tg_matmul(const tg_tensor* a, const tg_tensor* b, int transpose_a,
                           int transpose_b, tg_tensor** out);

/* Sum / mean over `axes` (num_axes entries in [-rank, rank), no duplicates; num_axes == 0
 * reduces every axis). keepdims != 0 keeps reduced axes with size 1. */
TG_API tg_status tg_reduce_sum(const tg_tensor* x, const int64_t* axes, int num_axes,
                               int keepdims, tg_tensor** out);
TG_API tg_status tg_reduce_mean(const tg_tensor* x, const int64_t* axes, int num_axes,
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

/* --- Ops: binary math, comparisons, selection ------------------------------------------ */

/* --- Ops: reductions and batched products ---------------------------------------------- */

/* --- Ops: shape ------------------------------------------------------------------------ */

/* --- Ops: fused losses ----------------------------------------------------------------- */

/* --- Creation -------------------------------------------------------------------------- */

/* ------------------------------------------------------------------------------------- */
/* Variables: named, mutable, optionally trainable                                       */
/* ------------------------------------------------------------------------------------- */

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
TG_API tg_status tg_variable_shape(const tg_variable* variable, int64_t* dims, int capacity);

/* Releases this handle. The variable lives on while a model, tape or another handle uses
 * it. NULL: no-op. Returns TG_OK or TG_INVALID_HANDLE. */
TG_API tg_status tg_variable_free(tg_variable* variable);

/* ------------------------------------------------------------------------------------- */
/* Gradient tape (tf.GradientTape)                                                         */
/* ------------------------------------------------------------------------------------- */

typedef struct tg_tape tg_tape;

#define TG_TAPE_DEFAULT 0u                     /* non-persistent, watches accessed variables */
#define TG_TAPE_PERSISTENT 1u                  /* persistent=True: any number of gradients */
#define TG_TAPE_NO_WATCH_ACCESSED_VARIABLES 2u /* watch_accessed_variables=False */

/* Creates a tape and starts recording on the calling thread (entering the `with` block).
 * Tapes nest: every active tape records every op on tensors it watches. The tape belongs to
 * this thread; using it from another thread gives TG_INVALID_STATE.
 * *out owned by the caller (tg_tape_free). Returns TG_OK, TG_INVALID_ARGUMENT (unknown
 * flag bits or out NULL), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_tape_begin(uint32_t flags, tg_tape** out);

/* Stops recording (leaving the `with` block). The record is kept for tg_tape_gradient.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_STATE ("Tape is not recording." or a call
 * from another thread). */
TG_API tg_status tg_tape_end(tg_tape* tape);

/* Makes the tape track `tensor_or_variable` (a tg_tensor* or tg_variable*), so ops on it
 * are recorded and gradients with respect to it can be taken. Watching an integer tensor
 * is allowed but records nothing (its gradient is NULL), as in TensorFlow.
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_STATE (another thread). */
TG_API tg_status tg_tape_watch(tg_tape* tape, const void* tensor_or_variable);

/* Gradients of the sum of `targets` with respect to each source, in order.
 * targets: num_targets handles, each a tg_tensor* or tg_variable*. Several targets are
 *   summed; a non-scalar target contributes the gradient of the sum of its elements.
 * sources: num_sources handles (tg_tensor* or tg_variable*); repeats are allowed.
 * gradients: array of num_sources slots; gradients[i] receives a new tensor of source i's
 *   shape and dtype, owned by the caller, or NULL if the targets do not depend on source i
 *   (that is not an error: TF's None).
 * A non-persistent tape gives one set of gradients: a second call returns TG_INVALID_STATE
 * with TensorFlow's message. Called while a non-persistent tape is still recording, it
 * stops the recording first; a persistent tape keeps recording, so the gradient
 * computation is itself recorded (for higher-order derivatives).
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (targets, sources or gradients NULL
 * with a non-zero count), TG_INVALID_STATE, TG_NO_GRADIENT (an op on the path has no gradient
 * rule; the message names it), TG_OUT_OF_MEMORY. On error no gradient is written. */
TG_API tg_status tg_tape_gradient(tg_tape* tape, const void* const* targets, size_t num_targets,
                                  const void* const* sources, size_t num_sources,
                                  tg_tensor** gradients);

/* Frees the tape and everything its record keeps alive; stops its recording if it is still
 * active. NULL: no-op. Returns TG_OK, TG_INVALID_HANDLE, or TG_INVALID_STATE if the tape is
 * recording on another thread (it is then not freed). */
TG_API tg_status tg_tape_free(tg_tape* tape);

/* ------------------------------------------------------------------------------------- */
/* Models and layers (Keras)                                                              */
/* ------------------------------------------------------------------------------------- */

typedef struct tg_model tg_model;

typedef enum tg_activation {
  TG_ACTIVATION_LINEAR = 0, /* identity, Keras activation=None */
  TG_ACTIVATION_RELU = 1
} tg_activation;

/* Creates an empty model that runs its layers in the order they were added (a Keras model
 * whose call() applies them in turn). name: the model's name, which prefixes its variables
 * ("my_model/dense/kernel:0"); NULL gives "sequential", "sequential_1", … as Keras does.
 * *out owned by the caller (tg_model_free). */
TG_API tg_status tg_model_create(const char* name, tg_model** out);

/* Appends a Keras Dense layer: out = activation(x · kernel + bias).
 * units > 0. The kernel, shape (in_features, units), is drawn from glorot_uniform
 * (U(±sqrt(6/(in+units)))) with `seed`; the bias, shape (units,), starts at zero; both are
 * created on the model's first call, from the input's last dimension, as float32.
 * name: the layer's name; NULL gives Keras's automatic "dense", "dense_1", … (counted per
 * process; an explicit name does not advance the counter).
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (units <= 0, unknown activation),
 * TG_INVALID_STATE (the model has already been built by a call). */
TG_API tg_status tg_model_add_dense(tg_model* model, int64_t units, tg_activation activation,
                                    int use_bias, uint64_t seed, const char* name);

/* Runs the model on x (shape (N, in_features); float64 input is cast to float32, as Keras
 * does). The first call builds the layers' variables. Inside a recording tape the reads of
 * trainable variables are watched and recorded. *out (N, units of the last layer) owned by
 * the caller. Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT (x's shape does not fit
 * the layers), TG_OUT_OF_MEMORY. */
TG_API tg_status tg_model_call(tg_model* model, const tg_tensor* x, tg_tensor** out);

/* The model's trainable variables in Keras order (layer by layer, kernel then bias).
 * variables: array of `capacity` slots, or NULL to only count. Writes min(capacity, total)
 * new handles, each owned by the caller (tg_variable_free), and *count = total.
 * An unbuilt model has no variables. Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT
 * (count NULL). */
TG_API tg_status tg_model_trainable_variables(tg_model* model, tg_variable** variables,
                                              size_t capacity, size_t* count);

/* Frees the model; variables stay alive while handles to them exist. NULL: no-op. */
TG_API tg_status tg_model_free(tg_model* model);

/* ------------------------------------------------------------------------------------- */
/* Losses                                                                                 */
/* ------------------------------------------------------------------------------------- */

/* Keras CategoricalCrossentropy(from_logits=True) with the default reduction: the mean over
 * the batch of −Σ labels · log_softmax(logits) along the last axis.
 * labels, logits: same shape (N, C) and floating dtype (labels are cast to the logits'
 * dtype if they differ). *out: a scalar, owned by the caller; differentiable with respect
 * to logits (and labels). */
TG_API tg_status tg_categorical_crossentropy_from_logits(const tg_tensor* labels,
                                                         const tg_tensor* logits,
                                                         tg_tensor** out);

/* ------------------------------------------------------------------------------------- */
/* Optimizers (new Keras optimizers, TF ≥ 2.11)                                           */
/* ------------------------------------------------------------------------------------- */

typedef struct tg_optimizer tg_optimizer;

#define TG_ADAM_DEFAULT_LEARNING_RATE 0.001
#define TG_ADAM_DEFAULT_BETA_1 0.9
#define TG_ADAM_DEFAULT_BETA_2 0.999
#define TG_ADAM_DEFAULT_EPSILON 1e-7

/* Adam as Keras computes it: with t = iterations + 1,
 *   m ← m + (g − m)(1 − β1);  v ← v + (g² − v)(1 − β2);
 *   θ ← θ − lr·sqrt(1 − β2ᵗ)/(1 − β1ᵗ) · m / (sqrt(v) + ε).
 * learning_rate > 0, 0 <= beta_1 < 1, 0 <= beta_2 < 1, epsilon >= 0.
 * *out owned by the caller (tg_optimizer_free). */
TG_API tg_status tg_optimizer_adam(double learning_rate, double beta_1, double beta_2,
                                   double epsilon, tg_optimizer** out);

/* One optimizer step (apply_gradients(zip(gradients, variables))): updates variables[i]
 * with gradients[i] for i < count. A NULL gradient skips its variable; all-NULL is
 * TG_INVALID_ARGUMENT naming the variables. Slots are created for a variable the first time
 * it is seen. The iteration counter is incremented once per call; its new value is written
 * to *iterations if that is not NULL (1 after the first step).
 * Each gradient must have its variable's shape and dtype (TG_INVALID_ARGUMENT otherwise;
 * no variable is changed then).
 * Returns TG_OK, TG_INVALID_HANDLE, TG_INVALID_ARGUMENT, TG_OUT_OF_MEMORY. */
TG_API tg_status tg_optimizer_apply(tg_optimizer* optimizer, tg_variable* const* variables,
                                    tg_tensor* const* gradients, size_t count,
                                    int64_t* iterations);

/* The number of steps applied so far. */
TG_API tg_status tg_optimizer_iterations(const tg_optimizer* optimizer, int64_t* out);

TG_API tg_status tg_optimizer_free(tg_optimizer* optimizer);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TAPEGRAD_TAPEGRAD_H */
