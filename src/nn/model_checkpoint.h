/* SPDX-License-Identifier: Apache-2.0 */
// A model's weights in a checkpoint, keyed by the model's structure as Keras's TF-format
// checkpoints are: the k-th layer that has variables is "layer_with_weights-k", and each of its
// variables is stored under "layer_with_weights-k/<Keras name>" ("layer_with_weights-0/kernel").
// Variable names ("my_model/dense_2/kernel:0") play no part, so a second model of the same
// architecture — made in the same process with other automatic names, or in another
// language — loads the file. Layers without variables (Dropout, Flatten) do not count, as in
// Keras. The optimizer's slots are keyed the same way ("optimizer/m/layer_with_weights-0/kernel").
//
// The metadata also records, per layer with weights, its class and name
// ("layer_with_weights-0/class_name": "Dense", "layer_with_weights-0/name": "dense"), and the
// model's name, so that a load can name the first mismatch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/checkpoint.h"
#include "nn/model.h"

namespace tg {

// The model's variables with their structural keys, in Keras order (Model::weights()).
// `what` describes each for messages: "layer 1 'dense_1' (Dense), variable 'kernel'".
std::vector<CheckpointEntry> structural_entries(const Model& model);

// Keras model.save_weights(path): writes every variable of the model (trainable or not) and,
// when `optimizer` is not null, its state, atomically. Error(invalid_state) if the model is not
// built; Error(invalid_argument) if the optimizer was built for a variable outside the model
// (its slots would have no structural key); Error(io_error) if the file cannot be written.
void save_model_weights(const std::string& path, const Model& model, const Optimizer* optimizer = nullptr);

// Keras model.load_weights(path): loads every variable of the model from the file by structure,
// and the optimizer's state when `optimizer` is not null (Optimizer::load_state; an optimizer
// not built yet is built for the model's variables whose slots the file holds).
// The file must have exactly the model's structure: as many layers with weights, each of the
// same class (when the file records it) with the same variable names, dtypes and shapes.
// Everything is checked before anything changes: on error, no variable and no optimizer state
// is modified, and the message names the first mismatch in model order.
// Error(invalid_state) if the model is not built; Error(invalid_argument) for a mismatch or a
// malformed file; Error(io_error) if the file cannot be read.
void load_model_weights(const std::string& path, Model& model, Optimizer* optimizer = nullptr);

}  // namespace tg
