// SPDX-License-Identifier: Apache-2.0
// C shims for fit / evaluate / predict / train_step (src/nn/training/).
#include "handles.h"
#include "nn/losses.h"
#include "nn/metrics.h"
#include "nn/model.h"
#include "nn/optimizer.h"
#include "nn/training/evaluate.h"
#include "nn/training/fit.h"
#include "replica.h"
#include "training_handles.h"

using tg::capi::get;
using tg::capi::count_arg;
using tg::capi::guard;
using tg::capi::options_arg;
using tg::capi::require_out;

namespace tg::capi {

void check_callers_status(const tg_status& status, const std::string& context, const std::string& detail) {
  const int code = enum_value(status);  // why: loading an out-of-range enum is undefined
  if (code == TG_OK) return;
  if (code < 1 || code > TG_TIMEOUT)
    fail(Status::invalid_state, "{} returned {}, which is not a tg_status", context, code);
  fail(static_cast<Status>(code), "{} returned {}{}{}", context, tg_status_string(static_cast<tg_status>(code)),
       detail.empty() ? "" : ": ", detail);
}

std::vector<std::shared_ptr<Callback>> callbacks_arg(tg_callback* const* callbacks, size_t count, const char* what) {
  if (!callbacks && count > 0) fail(Status::invalid_argument, "{} is NULL but num_callbacks is {}", what, count);
  std::vector<std::shared_ptr<Callback>> out;
  for (size_t i = 0; i < count; ++i)
    out.push_back(get<tg_callback>(callbacks[i], fmt::format("{}[{}]", what, i).c_str())->value);
  return out;
}

Compiled compiled_arg(const tg_loss* loss, tg_optimizer* optimizer, tg_metric* const* metrics, size_t num_metrics,
                      bool needs_optimizer) {
  Compiled c;
  c.loss = get<tg_loss>(loss, "loss")->value.get();
  if (needs_optimizer) c.optimizer = get<tg_optimizer>(optimizer, "optimizer")->value.get();
  if (!metrics && num_metrics > 0) fail(Status::invalid_argument, "metrics is NULL but num_metrics is {}", num_metrics);
  for (size_t i = 0; i < num_metrics; ++i)
    c.metrics.push_back(get<tg_metric>(metrics[i], fmt::format("metrics[{}]", i).c_str())->value.get());
  return c;
}

Data data_arg(const void* x, const tg_tensor* y, const tg_tensor* sample_weight, const char* what) {
  Tag tag;
  if (x && lookup_tag(x, &tag) && tag == Tag::dataset) {
    if (y || sample_weight)
      fail(Status::invalid_argument, "{} is a tg_dataset, which gives its own targets and sample weights: pass NULL "
           "for them", what);
    return Data{{}, get<tg_dataset>(x, what)->value};
  }
  if (x && lookup_tag(x, &tag) && tag != Tag::tensor)
    fail(Status::invalid_handle, "{} is a {}, expected a tg_tensor or tg_dataset", what, tag_name(tag));
  Arrays arrays{tensor_arg(static_cast<const tg_tensor*>(x), what), Tensor(), Tensor()};
  if (y) arrays.y = tensor_arg(y, "y");
  if (sample_weight) arrays.sample_weight = tensor_arg(sample_weight, "sample_weight");
  return Data{arrays, nullptr};
}

}  // namespace tg::capi

namespace {

tg::Model& model_arg(tg_model* model) { return *get<tg_model>(model, "model")->value; }

}  // namespace

extern "C" {

tg_status tg_fit_options_init(tg_fit_options* options) {
  return guard("tg_fit_options_init", [&] {
    auto& o = require_out(options, "options");
    const tg::FitOptions d;
    o = tg_fit_options{};
    o.struct_size = sizeof o;
    o.batch_size = static_cast<size_t>(d.batch_size);
    o.epochs = d.epochs;
    o.initial_epoch = d.initial_epoch;
    o.shuffle = d.shuffle;
    o.seed = d.seed;
    o.validation_split = d.validation_split;
    o.validation_batch_size = static_cast<size_t>(d.validation_batch_size);
    o.validation_freq = static_cast<size_t>(d.validation_freq);
    o.verbose = d.verbose;
  });
}

tg_status tg_evaluate_options_init(tg_evaluate_options* options) {
  return guard("tg_evaluate_options_init", [&] {
    auto& o = require_out(options, "options");
    o = tg_evaluate_options{};
    o.struct_size = sizeof o;
    o.batch_size = static_cast<size_t>(tg::EvaluateOptions().batch_size);
  });
}

tg_status tg_predict_options_init(tg_predict_options* options) {
  return guard("tg_predict_options_init", [&] {
    auto& o = require_out(options, "options");
    o = tg_predict_options{};
    o.struct_size = sizeof o;
    o.batch_size = static_cast<size_t>(tg::PredictOptions().batch_size);
  });
}

tg_status tg_model_fit(tg_model* model, const tg_loss* loss, tg_optimizer* optimizer, tg_metric* const* metrics,
                       size_t num_metrics, const void* x, const tg_tensor* y, const tg_fit_options* options,
                       tg_history** history) {
  return guard("tg_model_fit", [&] {
    tg::Model& m = model_arg(model);
    const tg::Compiled compiled = tg::capi::compiled_arg(loss, optimizer, metrics, num_metrics, true);
    const tg_fit_options o = tg::capi::options_arg(options, tg_fit_options_init, "options",
                                                   offsetof(tg_fit_options, replica));
    const tg::Data data = tg::capi::data_arg(x, y, o.sample_weight, "x");
    tg::FitOptions f;
    f.batch_size = count_arg(o.batch_size, "options->batch_size");
    f.epochs = o.epochs;
    f.initial_epoch = o.initial_epoch;
    f.shuffle = o.shuffle != 0;
    f.seed = o.seed;
    f.validation_split = o.validation_split;
    if (o.validation_x)
      f.validation_data =
          tg::capi::data_arg(o.validation_x, o.validation_y, o.validation_sample_weight, "options->validation_x");
    else if (o.validation_y || o.validation_sample_weight)
      tg::fail(tg::Status::invalid_argument, "options->validation_y or validation_sample_weight is set, but "
               "options->validation_x is NULL");
    f.validation_batch_size = count_arg(o.validation_batch_size, "options->validation_batch_size");
    f.validation_freq = count_arg(o.validation_freq, "options->validation_freq");
    f.callbacks = tg::capi::callbacks_arg(o.callbacks, o.num_callbacks, "options->callbacks");
    f.verbose = o.verbose;
    f.verbose_stream = o.verbose_stream;
    if (o.replica) f.replica = tg::capi::replica_arg(o.replica, "options->replica");
    auto h = tg::fit(m, compiled, data, f);
    if (history) *history = tg::capi::make_handle<tg_history>(std::move(h));
  });
}

tg_status tg_model_evaluate(tg_model* model, const tg_loss* loss, tg_metric* const* metrics, size_t num_metrics,
                            const void* x, const tg_tensor* y, const tg_evaluate_options* options, double* results,
                            size_t num_results) {
  return guard("tg_model_evaluate", [&] {
    tg::Model& m = model_arg(model);
    const tg::Compiled compiled = tg::capi::compiled_arg(loss, nullptr, metrics, num_metrics, false);
    const tg_evaluate_options o = options_arg(options, tg_evaluate_options_init, "options");
    if (!results) tg::fail(tg::Status::invalid_argument, "results is NULL");
    if (num_results < 1 + num_metrics)
      tg::fail(tg::Status::invalid_argument, "results has room for {} values, the loss and {} metrics need {}",
               num_results, num_metrics, 1 + num_metrics);
    tg::EvaluateOptions e;
    e.batch_size = count_arg(o.batch_size, "options->batch_size");
    e.callbacks = tg::capi::callbacks_arg(o.callbacks, o.num_callbacks, "options->callbacks");
    e.verbose = o.verbose;
    e.verbose_stream = o.verbose_stream;
    const tg::Logs logs = tg::evaluate(m, compiled, tg::capi::data_arg(x, y, o.sample_weight, "x"), e);
    for (size_t i = 0; i < logs.size(); ++i) results[i] = logs.value(i);
  });
}

tg_status tg_model_predict(tg_model* model, const void* x, const tg_predict_options* options, tg_tensor** out) {
  return guard("tg_model_predict", [&] {
    tg::Model& m = model_arg(model);
    const tg_predict_options o = options_arg(options, tg_predict_options_init, "options");
    auto& result = require_out(out, "out");
    tg::PredictOptions p;
    p.batch_size = count_arg(o.batch_size, "options->batch_size");
    p.callbacks = tg::capi::callbacks_arg(o.callbacks, o.num_callbacks, "options->callbacks");
    p.verbose = o.verbose;
    p.verbose_stream = o.verbose_stream;
    result = tg::capi::new_tensor_handle(tg::predict(m, tg::capi::data_arg(x, nullptr, nullptr, "x"), p));
  });
}

tg_status tg_model_train_step(tg_model* model, const tg_loss* loss, tg_optimizer* optimizer, tg_metric* const* metrics,
                              size_t num_metrics, const tg_tensor* x, const tg_tensor* y,
                              const tg_tensor* sample_weight, double* loss_value) {
  return guard("tg_model_train_step", [&] {
    tg::Model& m = model_arg(model);
    const tg::Compiled compiled = tg::capi::compiled_arg(loss, optimizer, metrics, num_metrics, true);
    tg::check_compiled(compiled, true, "train_step");
    const tg::Batch batch{tg::capi::tensor_arg(x, "x"), tg::capi::tensor_arg(y, "y"),
                          sample_weight ? tg::capi::tensor_arg(sample_weight, "sample_weight") : tg::Tensor()};
    tg::check_batch(batch, /*needs_targets=*/true, "train_step");
    const tg::Tensor value = tg::train_step(m, compiled, batch);
    if (loss_value) *loss_value = tg::loss_value(value);
  });
}

}  // extern "C"
