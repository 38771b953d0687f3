// SPDX-License-Identifier: Apache-2.0
// The seed notebook (a TensorFlow 2 GradientTape tutorial) in C++ with tapegrad.hpp: dy/dx of
// x·x at 3, then one training step of MyModel (Dense(32, relu), Dense(10)) on random data with
// CategoricalCrossentropy(from_logits=True) and Adam. Every object frees itself; every failing
// call throws tapegrad::Error.
#include <iostream>

#include "tapegrad/tapegrad.hpp"

namespace tf = tapegrad;

int main() {
  tf::Tensor x = tf::Tensor::scalar(3.0);
  tf::GradientTape g;
  g.watch(x);
  std::cout << "dy_dx = " << g.gradient(x * x, x).item() << "\n";  // 6

  tf::Model model("my_model");
  model.add(tf::Dense(32, TG_ACTIVATION_RELU, /*seed=*/1));
  model.add(tf::Dense(10, TG_ACTIVATION_LINEAR, /*seed=*/2));
  tf::Tensor data = tf::random_uniform({1000, 32}, 0, 1, 1, TG_FLOAT64);  // np.random.random
  tf::Tensor labels = tf::random_uniform({1000, 10}, 0, 1, 2, TG_FLOAT64);
  tf::Loss loss_object = tf::Loss::categorical_crossentropy(/*from_logits=*/true);
  tf::Optimizer optimizer("adam");

  tf::GradientTape tape;
  tf::Tensor loss = loss_object(labels, model(data));
  std::vector<tf::Variable> variables = model.trainable_variables();
  std::cout << "iterations = " << optimizer.apply_gradients(tape.gradient(loss, variables), variables) << "\n";
  for (const tf::Variable& v : variables) std::cout << v.name() << " shape=" << tf::shape_str(v.shape()) << "\n";
  return 0;
}
