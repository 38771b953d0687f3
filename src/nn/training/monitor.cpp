#include "nn/training/monitor.h"

#include <cerrno>
#include <cstring>

#include "nn/model.h"
#include "tensor/error.h"

namespace tg {
namespace {

std::vector<std::shared_ptr<Variable>> model_variables(Model& model) {
  auto variables = model.trainable_variables();
  for (auto& v : model.non_trainable_variables()) variables.push_back(std::move(v));
  return variables;
}

}  // namespace

std::vector<Tensor> get_weights(Model& model) {
  std::vector<Tensor> weights;
  for (const auto& v : model_variables(model)) weights.push_back(v->value());
  return weights;
}

void set_weights(Model& model, const std::vector<Tensor>& weights) {
  const auto variables = model_variables(model);
  if (variables.size() != weights.size())
    fail(Status::invalid_argument, "set_weights: model '{}' has {} weights, got {}", model.name(), variables.size(),
         weights.size());
  for (size_t i = 0; i < variables.size(); ++i)  // all checked before any is assigned
    if (weights[i].shape() != variables[i]->shape() || weights[i].dtype() != variables[i]->dtype())
      fail(Status::invalid_argument, "set_weights: weight {} is {} {}, but variable '{}' is {} {}", i,
           dtype_name(weights[i].dtype()), weights[i].shape().str(), variables[i]->name(),
           dtype_name(variables[i]->dtype()), variables[i]->shape().str());
  for (size_t i = 0; i < variables.size(); ++i) variables[i]->assign(weights[i]);
}

void print_message(std::FILE* stream, const std::string& text) {
  if (!stream) return;
  if (std::fputs(text.c_str(), stream) == EOF || std::fflush(stream) == EOF)
    fail(Status::io_error, "cannot write a callback message to its stream: {}", std::strerror(errno));
}

}  // namespace tg
