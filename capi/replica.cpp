// SPDX-License-Identifier: Apache-2.0
// C shims for data-parallel training over a caller's transport (tg_replica;
// src/nn/training/replica.h, replicated_step.h).
#include "replica.h"

#include "nn/losses.h"
#include "nn/model.h"
#include "nn/optimizer.h"
#include "nn/training/replicated_step.h"
#include "training_handles.h"

using tg::capi::get;
using tg::capi::guard;

namespace tg::capi {

Replica replica_arg(const tg_replica* replica, const char* what) {
  if (!replica) fail(Status::invalid_argument, "{} is NULL", what);
  if (replica->struct_size != sizeof(tg_replica))
    fail(Status::invalid_argument, "{}->struct_size is {}, but this library's tg_replica has {} bytes", what,
         replica->struct_size, sizeof(tg_replica));
  if (!replica->allreduce_sum || !replica->broadcast)
    fail(Status::invalid_argument, "{}->allreduce_sum or ->broadcast is NULL", what);
  Replica r;
  r.rank = replica->rank;
  r.size = replica->size;
  if (replica->bucket_bytes) r.bucket_bytes = replica->bucket_bytes;
  // Copies of the pointers: the struct need not outlive the call that received it.
  r.allreduce_sum = [fn = replica->allreduce_sum, context = replica->context](void* buffer, size_t count, DType d) {
    clear_last_error();
    const tg_status status = fn(context, buffer, count, static_cast<tg_dtype>(d));
    check_callers_status(status, "the replica's allreduce_sum", tg_last_error_message());
  };
  r.broadcast = [fn = replica->broadcast, context = replica->context](void* buffer, size_t bytes, int root) {
    clear_last_error();
    const tg_status status = fn(context, buffer, bytes, root);
    check_callers_status(status, "the replica's broadcast", tg_last_error_message());
  };
  check_replica(r, what);
  return r;
}

}  // namespace tg::capi

extern "C" {

tg_status tg_model_broadcast(tg_model* model, tg_optimizer* optimizer, int root, const tg_replica* replica) {
  return guard("tg_model_broadcast", [&] {
    tg::Model& m = *get<tg_model>(model, "model")->value;
    tg::Optimizer* o = optimizer ? get<tg_optimizer>(optimizer, "optimizer")->value.get() : nullptr;
    tg::broadcast_model(tg::capi::replica_arg(replica, "replica"), m, o, root);
  });
}

tg_status tg_model_train_step_distributed(tg_model* model, const tg_loss* loss, tg_optimizer* optimizer,
                                          tg_metric* const* metrics, size_t num_metrics, const tg_tensor* x,
                                          const tg_tensor* y, const tg_tensor* sample_weight,
                                          const tg_replica* replica, double* loss_value) {
  return guard("tg_model_train_step_distributed", [&] {
    tg::Model& m = *get<tg_model>(model, "model")->value;
    const tg::Compiled compiled = tg::capi::compiled_arg(loss, optimizer, metrics, num_metrics, true);
    tg::check_compiled(compiled, true, "train_step");
    const tg::Replica r = tg::capi::replica_arg(replica, "replica");
    // Argument errors are this replica's: they fail the step on every replica.
    std::exception_ptr local;
    std::optional<tg::Batch> batch;
    try {
      if (x) {
        batch = tg::Batch{tg::capi::tensor_arg(x, "x"), tg::capi::tensor_arg(y, "y"),
                          sample_weight ? tg::capi::tensor_arg(sample_weight, "sample_weight") : tg::Tensor()};
        tg::check_batch(*batch, /*needs_targets=*/true, "train_step");
      } else if (y || sample_weight) {
        tg::fail(tg::Status::invalid_argument, "x is NULL (no samples on this replica) but y or sample_weight is not");
      }
    } catch (...) {
      local = std::current_exception();
    }
    const tg::ReplicatedStep step = tg::replicated_train_step(m, compiled, batch ? &*batch : nullptr, r, local);
    if (step.samples == 0) tg::fail(tg::Status::invalid_argument, "no replica passed a sample (x is NULL everywhere)");
    if (loss_value) *loss_value = step.loss;
  });
}

tg_status tg_replica_allreduce_mean(const tg_replica* replica, tg_tensor* const* tensors, size_t count,
                                    tg_tensor** out) {
  return guard("tg_replica_allreduce_mean", [&] {
    const tg::Replica r = tg::capi::replica_arg(replica, "replica");
    if (!tensors && count > 0) tg::fail(tg::Status::invalid_argument, "tensors is NULL but count is {}", count);
    if (!out && count > 0) tg::fail(tg::Status::invalid_argument, "out is NULL but count is {}", count);
    std::vector<tg::Tensor> values(count);
    for (size_t i = 0; i < count; ++i)
      if (tensors[i]) values[i] = tg::capi::get_element<tg_tensor>(tensors[i], "tensors", i)->value;
    const std::vector<tg::Tensor> means = tg::allreduce_mean(r, values);
    std::vector<tg_tensor*> made(count, nullptr);
    try {
      for (size_t i = 0; i < count; ++i)
        if (means[i].defined()) made[i] = tg::capi::new_tensor_handle(means[i]);
    } catch (...) {
      for (tg_tensor* h : made) tg::capi::free_handle(h, "out");
      throw;
    }
    std::copy(made.begin(), made.end(), out);
  });
}

}  // extern "C"
