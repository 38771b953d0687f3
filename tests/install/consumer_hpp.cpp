// SPDX-License-Identifier: Apache-2.0
// The C++ side of the installed-tree check: the header-only wrapper (tapegrad/tapegrad.hpp)
// compiles against the installed headers and links the installed library alone. Prints what
// consumer.c prints, so check_install.cmake checks both the same way.
#include <cstdio>
#include <string>

#include <tapegrad/tapegrad.hpp>

int main() {
  namespace tf = tapegrad;
  try {
    tf::Tensor x = tf::Tensor::scalar(3.0);
    tf::GradientTape tape;
    tape.watch(x);
    const double value = tape.gradient(x * x, x).item();
    try {
      tf::matmul(tf::ones({2, 3}), tf::ones({2, 3}));
      std::fprintf(stderr, "consumer_hpp: FAILED: no exception for a shape error\n");
      return 1;
    } catch (const tf::Error& e) {
      if (e.status() != TG_INVALID_ARGUMENT || std::string(e.what()).find("[tg_matmul]") == std::string::npos) {
        std::fprintf(stderr, "consumer_hpp: FAILED: unexpected error %s\n", e.what());
        return 1;
      }
    }
    std::printf("consumer: tapegrad %s, dy/dx = %g\n", tg_version(), value);
    return 0;
  } catch (const tf::Error& e) {
    std::fprintf(stderr, "consumer_hpp: FAILED: %s\n", e.what());
    return 1;
  }
}
