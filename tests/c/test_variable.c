/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C tests of variables: create, read (a snapshot), assign, metadata, free, bad input.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static void test_read_assign_metadata(void) {
  const int64_t s2[] = {2}, s3[] = {3};
  tg_tensor* init = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){1, 2}));
  tg_tensor* next = make_tensor(TG_FLOAT32, s2, 1, ((const double[]){3, 4}));
  tg_tensor* wrong_shape = make_tensor(TG_FLOAT32, s3, 1, ((const double[]){0, 0, 0}));
  tg_tensor* wrong_dtype = make_tensor(TG_FLOAT64, s2, 1, ((const double[]){0, 0}));
  tg_tensor *before = NULL, *after = NULL;
  tg_variable* v = NULL;
  const char* name = NULL;
  int trainable = -1, rank = -1;
  tg_dtype dtype = TG_BOOL;
  int64_t dims[TG_MAX_RANK] = {0};
  const void* p_init = NULL;
  const void* p_before = NULL;

  CHECK_OK(tg_variable_create("my_model/dense/kernel:0", init, 1, &v));
  CHECK_OK(tg_variable_name(v, &name));
  CHECK(name && strcmp(name, "my_model/dense/kernel:0") == 0);
  CHECK_OK(tg_variable_trainable(v, &trainable));
  CHECK(trainable == 1);
  CHECK_OK(tg_variable_dtype(v, &dtype));
  CHECK(dtype == TG_FLOAT32);
  CHECK_OK(tg_variable_rank(v, &rank));
  CHECK(rank == 1);
  CHECK_OK(tg_variable_shape(v, dims, 1));
  CHECK(dims[0] == 2);

  /* the variable copied its initial value */
  CHECK_OK(tg_variable_read(v, &before));
  CHECK_OK(tg_tensor_data(init, &p_init));
  CHECK_OK(tg_tensor_data(before, &p_before));
  CHECK(p_init != p_before);
  CHECK_TENSOR(before, TG_FLOAT32, s2, 1, ((const double[]){1, 2}), 0);

  /* a read is a snapshot: a later assign does not change it */
  CHECK_OK(tg_variable_assign(v, next));
  CHECK_TENSOR(before, TG_FLOAT32, s2, 1, ((const double[]){1, 2}), 0);
  CHECK_OK(tg_variable_read(v, &after));
  CHECK_TENSOR(after, TG_FLOAT32, s2, 1, ((const double[]){3, 4}), 0);
  CHECK_TENSOR(init, TG_FLOAT32, s2, 1, ((const double[]){1, 2}), 0);

  /* assign must keep shape and dtype; on error the value is unchanged */
  CHECK_ERR(tg_variable_assign(v, wrong_shape), TG_INVALID_ARGUMENT, "[tg_variable_assign]",
            "my_model/dense/kernel:0", "(2)", "(3)");
  CHECK_ERR(tg_variable_assign(v, wrong_dtype), TG_INVALID_ARGUMENT, "[tg_variable_assign]",
            "float32", "float64");
  tg_tensor_free(after);
  CHECK_OK(tg_variable_read(v, &after));
  CHECK_TENSOR(after, TG_FLOAT32, s2, 1, ((const double[]){3, 4}), 0);

  /* metadata errors */
  CHECK_ERR(tg_variable_shape(v, dims, 0), TG_INVALID_ARGUMENT, "[tg_variable_shape]",
            "capacity 0", "rank 1");
  CHECK_ERR(tg_variable_shape(v, NULL, 4), TG_INVALID_ARGUMENT, "[tg_variable_shape]", "NULL");
  CHECK_ERR(tg_variable_name(v, NULL), TG_INVALID_ARGUMENT, "[tg_variable_name]", "out");
  CHECK_ERR(tg_variable_trainable(v, NULL), TG_INVALID_ARGUMENT, "[tg_variable_trainable]", "out");
  CHECK_ERR(tg_variable_dtype(v, NULL), TG_INVALID_ARGUMENT, "[tg_variable_dtype]", "out");
  CHECK_ERR(tg_variable_rank(v, NULL), TG_INVALID_ARGUMENT, "[tg_variable_rank]", "out");
  CHECK_ERR(tg_variable_read(v, NULL), TG_INVALID_ARGUMENT, "[tg_variable_read]", "out");

  /* the snapshots outlive the variable */
  CHECK_OK(tg_variable_free(v));
  CHECK_TENSOR(before, TG_FLOAT32, s2, 1, ((const double[]){1, 2}), 0);
  CHECK_TENSOR(after, TG_FLOAT32, s2, 1, ((const double[]){3, 4}), 0);

  tg_tensor_free(init);
  tg_tensor_free(next);
  tg_tensor_free(wrong_shape);
  tg_tensor_free(wrong_dtype);
  tg_tensor_free(before);
  tg_tensor_free(after);
}

static void test_defaults_and_dtypes(void) {
  tg_tensor* i = make_scalar(TG_INT64, 5);
  tg_variable* v = NULL;
  const char* name = NULL;
  int trainable = -1, rank = -1;
  tg_dtype dtype = TG_FLOAT32;
  tg_tensor* r = NULL;
  CHECK_OK(tg_variable_create(NULL, i, 0, &v));
  CHECK_OK(tg_variable_name(v, &name));
  CHECK(name && strcmp(name, "") == 0);
  CHECK_OK(tg_variable_trainable(v, &trainable));
  CHECK(trainable == 0);
  CHECK_OK(tg_variable_dtype(v, &dtype));
  CHECK(dtype == TG_INT64);
  CHECK_OK(tg_variable_rank(v, &rank));
  CHECK(rank == 0);
  CHECK_OK(tg_variable_shape(v, NULL, 0));
  CHECK_OK(tg_variable_read(v, &r));
  CHECK(item_of(r) == 5);
  tg_tensor_free(r);
  CHECK_OK(tg_variable_free(v));
  /* trainable is any nonzero int */
  CHECK_OK(tg_variable_create("t", i, 7, &v));
  CHECK_OK(tg_variable_trainable(v, &trainable));
  CHECK(trainable == 1);
  CHECK_OK(tg_variable_free(v));
  tg_tensor_free(i);
}

static void test_bad_handles(void) {
  tg_tensor* x = make_scalar(TG_FLOAT32, 1);
  tg_tensor* freed_tensor = make_scalar(TG_FLOAT32, 1);
  tg_variable* sentinel = (tg_variable*)&sentinel;
  tg_variable* v = sentinel;
  tg_variable* freed = NULL;
  tg_tape* tape = NULL;
  tg_tensor* r = NULL;
  const char* name = NULL;
  int i = 0;
  tg_dtype d;
  int64_t dims[1];
  tg_variable* tensor_as_variable = (tg_variable*)x;

  CHECK_OK(tg_tensor_free(freed_tensor));
  CHECK_ERR(tg_variable_create("v", NULL, 1, &v), TG_INVALID_HANDLE, "[tg_variable_create]",
            "initial is NULL");
  CHECK_ERR(tg_variable_create("v", freed_tensor, 1, &v), TG_INVALID_HANDLE,
            "[tg_variable_create]", "not a live");
  CHECK_ERR(tg_variable_create("v", x, 1, NULL), TG_INVALID_ARGUMENT, "[tg_variable_create]",
            "out");
  CHECK(v == sentinel);

  CHECK_OK(tg_variable_create("f", x, 1, &freed));
  CHECK_OK(tg_variable_free(freed));
  CHECK_OK(tg_variable_free(NULL));
  CHECK_ERR(tg_variable_free(freed), TG_INVALID_HANDLE, "[tg_variable_free]", "not a live");
  CHECK_ERR(tg_variable_read(freed, &r), TG_INVALID_HANDLE, "[tg_variable_read]", "not a live");
  CHECK_ERR(tg_variable_assign(freed, x), TG_INVALID_HANDLE, "[tg_variable_assign]", "not a live");
  CHECK_ERR(tg_variable_name(NULL, &name), TG_INVALID_HANDLE, "[tg_variable_name]",
            "variable is NULL");
  CHECK_ERR(tg_variable_trainable(NULL, &i), TG_INVALID_HANDLE, "[tg_variable_trainable]", "NULL");
  CHECK_ERR(tg_variable_dtype(NULL, &d), TG_INVALID_HANDLE, "[tg_variable_dtype]", "NULL");
  CHECK_ERR(tg_variable_rank(NULL, &i), TG_INVALID_HANDLE, "[tg_variable_rank]", "NULL");
  CHECK_ERR(tg_variable_shape(NULL, dims, 1), TG_INVALID_HANDLE, "[tg_variable_shape]", "NULL");
  CHECK_ERR(tg_variable_read(NULL, &r), TG_INVALID_HANDLE, "[tg_variable_read]", "NULL");
  CHECK_ERR(tg_variable_assign(NULL, x), TG_INVALID_HANDLE, "[tg_variable_assign]", "NULL");

  /* a tensor (or tape) where a variable is expected, and the other way round */
  CHECK_ERR(tg_variable_rank(tensor_as_variable, &i), TG_INVALID_HANDLE, "[tg_variable_rank]",
            "is a tg_tensor, expected a tg_variable");
  CHECK_ERR(tg_variable_free(tensor_as_variable), TG_INVALID_HANDLE, "[tg_variable_free]",
            "is a tg_tensor, expected a tg_variable");
  CHECK_OK(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
  CHECK_ERR(tg_variable_read((tg_variable*)tape, &r), TG_INVALID_HANDLE, "[tg_variable_read]",
            "is a tg_tape, expected a tg_variable");
  CHECK_OK(tg_tape_free(tape));
  CHECK_OK(tg_variable_create("v", x, 1, &v));
  CHECK_ERR(tg_variable_assign(v, (const tg_tensor*)v), TG_INVALID_HANDLE,
            "[tg_variable_assign]", "value is a tg_variable, expected a tg_tensor");
  CHECK_ERR(tg_variable_assign(v, NULL), TG_INVALID_HANDLE, "[tg_variable_assign]",
            "value is NULL");
  CHECK_OK(tg_variable_free(v));
  tg_tensor_free(x);
}

/* Ids identify a variable across handles; tg_variable_value reads without any tape seeing it. */
static void test_identity_and_untracked_read(void) {
  tg_tensor *init = make_scalar(TG_FLOAT32, 2), *r = NULL, *u = NULL, *y = NULL, *g[2] = {NULL, NULL};
  tg_variable *a = NULL, *b = NULL, *again[1] = {NULL};
  tg_tape* tape = NULL;
  uint64_t id_a = 0, id_b = 0, id_again = 0;
  size_t count = 0;
  const void* targets[1];
  const void* sources[2];
  CHECK_OK(tg_variable_create("a", init, 1, &a));
  CHECK_OK(tg_variable_create("b", init, 1, &b));
  CHECK_OK(tg_variable_id(a, &id_a));
  CHECK_OK(tg_variable_id(b, &id_b));
  CHECK(id_a != 0 && id_b > id_a); /* distinct, in order of construction */

  /* another handle to `a` (from the tape's list) has a's id */
  CHECK_OK(tg_tape_begin(TG_TAPE_PERSISTENT, &tape));
  CHECK_OK(tg_variable_read(a, &r)); /* recorded: the tape watches a */
  CHECK_OK(tg_variable_value(b, &u)); /* not recorded: the tape does not see b */
  CHECK_OK(tg_mul(r, u, &y));
  CHECK_OK(tg_tape_end(tape));
  CHECK_OK(tg_tape_watched_variables(tape, again, 1, &count));
  CHECK(count == 1);
  CHECK_OK(tg_variable_id(again[0], &id_again));
  CHECK(id_again == id_a && again[0] != a);
  targets[0] = y;
  sources[0] = a;
  sources[1] = b;
  CHECK_OK(tg_tape_gradient(tape, targets, 1, sources, 2, g));
  CHECK(g[0] != NULL && item_of(g[0]) == 2.0); /* d(a·b)/da = b */
  CHECK(g[1] == NULL);                          /* b's value was read off the tape */
  CHECK(item_of(u) == 2.0);
  CHECK_ERR(tg_variable_value(a, NULL), TG_INVALID_ARGUMENT, "[tg_variable_value]", "out");
  CHECK_ERR(tg_variable_id(NULL, &id_a), TG_INVALID_HANDLE, "[tg_variable_id]", "NULL");
  CHECK_ERR(tg_variable_id((const tg_variable*)init, &id_a), TG_INVALID_HANDLE,
            "is a tg_tensor, expected a tg_variable");
  tg_tensor_free(g[0]);
  tg_tensor_free(r);
  tg_tensor_free(u);
  tg_tensor_free(y);
  tg_tape_free(tape);
  tg_variable_free(again[0]);
  tg_variable_free(a);
  tg_variable_free(b);
  tg_tensor_free(init);
}

int main(void) {
  test_identity_and_untracked_read();
  test_read_assign_metadata();
  test_defaults_and_dtypes();
  test_bad_handles();
  return check_summary();
}
