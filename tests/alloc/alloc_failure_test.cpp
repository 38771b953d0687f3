// SPDX-License-Identifier: Apache-2.0
// Allocation-failure injection through the C ABI. This program replaces the global operator
// new (every variant), which libtapegrad.so uses for all of its memory, tensors included
// (src/tensor/allocator.cpp), so it can make the N-th allocation of a call fail. For every N
// from 1 until the call completes without reaching its N-th allocation, each scenario
//   train_step       tg_model_train_step (forward, loss, gradient, Adam update; the first
//                    call also builds the optimizer)
//   gradient         a tape over a model call and a loss, then tg_tape_gradient
//   checkpoint_save  tg_checkpoint_save over an existing file
//   checkpoint_load  tg_checkpoint_load of variables and optimizer state
//   load_weights     tg_model_load_weights
// must return TG_OUT_OF_MEMORY (or TG_OK, if the library recovered from the failure), and a
// failed call must leave the variables, the optimizer state and an existing checkpoint file
// exactly as they were. Leaks are checked by LeakSanitizer in the ASan build: everything is
// freed before exit. Prints "N passed, N failed".
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <new>
#include <string>
#include <vector>

#include "tapegrad/tapegrad.h"

// ---- the injection --------------------------------------------------------------------

namespace {

// Allocations left before the one that fails; < 0: none fails. One thread only (the library
// runs with one thread here), so plain variables suffice.
long g_countdown = -1;
bool g_injected = false;

bool should_fail() {
  if (g_countdown < 0) return false;
  if (g_countdown-- > 0) return false;
  g_injected = true;
  return true;
}

void* allocate(std::size_t size, std::size_t alignment) {
  if (should_fail()) return nullptr;
  if (size == 0) size = 1;
  if (alignment <= alignof(std::max_align_t)) return std::malloc(size);
  return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}

void* allocate_or_throw(std::size_t size, std::size_t alignment) {
  void* p = allocate(size, alignment);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t n) { return allocate_or_throw(n, 0); }
void* operator new[](std::size_t n) { return allocate_or_throw(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate_or_throw(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate_or_throw(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

// ---- checks -------------------------------------------------------------------------------

namespace {

int g_passed = 0, g_failed = 0;

void check(bool ok, const std::string& what) {
  if (ok) {
    ++g_passed;
    return;
  }
  ++g_failed;
  std::fprintf(stderr, "check failed: %s\n    tg_last_error_message(): \"%s\"\n", what.c_str(), tg_last_error_message());
}

void must(tg_status s, const char* what) {
  if (s != TG_OK) {
    std::fprintf(stderr, "setup failed: %s: %s\n", what, tg_last_error_message());
    std::exit(1);
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The model of the seed notebook, smaller: Dense(4, relu) then Dense(3) on 5 features, a batch
// of 8, categorical cross-entropy from logits, Adam, float32.
struct Setup {
  tg_model* model = nullptr;
  tg_optimizer* optimizer = nullptr;
  tg_loss* loss = nullptr;
  tg_tensor* x = nullptr;
  tg_tensor* y = nullptr;
  std::vector<tg_variable*> variables;
  std::string dir;

  Setup() {
    const int64_t xs[2] = {8, 5}, ys[2] = {8, 3}, input_shape[2] = {8, 5};
    tg_layer_config c;
    must(tg_model_create("m", &model), "model");
    must(tg_layer_config_init(TG_LAYER_DENSE, &c), "config");
    c.units = 4;
    c.activation = TG_ACTIVATION_RELU;
    must(tg_model_add(model, &c, nullptr), "dense 1");
    c.units = 3;
    c.activation = TG_ACTIVATION_LINEAR;
    must(tg_model_add(model, &c, nullptr), "dense 2");
    must(tg_model_build(model, input_shape, 2), "build");
    must(tg_random_uniform(TG_FLOAT32, xs, 2, -1.0, 1.0, 1, &x), "x");
    must(tg_random_uniform(TG_FLOAT32, ys, 2, 0.0, 1.0, 2, &y), "y");
    must(tg_optimizer_create("adam", &optimizer), "adam");
    must(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &loss), "loss");
    size_t count = 0;
    must(tg_model_trainable_variables(model, nullptr, 0, &count), "count");
    variables.resize(count);
    must(tg_model_trainable_variables(model, variables.data(), count, &count), "variables");
    char tmpl[] = "/tmp/tapegrad-alloc-XXXXXX";
    const char* made = mkdtemp(tmpl);
    if (!made) std::exit(1);
    dir = made;
  }
  ~Setup() {
    for (tg_variable* v : variables) tg_variable_free(v);
    tg_tensor_free(x);
    tg_tensor_free(y);
    tg_loss_free(loss);
    tg_optimizer_free(optimizer);
    tg_model_free(model);
    std::filesystem::remove_all(dir);
  }

  // Everything a failed call must leave alone: the variables' values and the optimizer's
  // state, as the bytes of a checkpoint of both (written with no failure armed).
  std::string state() {
    const std::string path = dir + "/state.safetensors";
    must(tg_checkpoint_save(path.c_str(), variables.data(), variables.size(), optimizer), "state");
    return read_bytes(path);
  }
};

// What a call returned, and its message, read with nothing armed.
struct Outcome {
  tg_status status;
  std::string message;
};
Outcome outcome(tg_status s) {
  const long left = g_countdown;
  g_countdown = -1;  // why: copying the message allocates, and only the library's allocations count
  Outcome o{s, tg_last_error_message()};
  g_countdown = left;
  return o;
}

// Runs `call` with the N-th allocation failing, for N = 1, 2, … until a run completes without
// reaching its N-th allocation. `state` (run with nothing armed) must not change on a failed
// call. Returns the number of allocations of the call.
long for_every_failure(const char* name, const std::function<Outcome()>& call,
                       const std::function<std::string()>& state) {
  long n = 0;
  int recovered = 0;
  for (;; ++n) {
    const std::string before = state();
    g_injected = false;
    g_countdown = n;
    const Outcome o = call();
    g_countdown = -1;
    if (!g_injected) {
      check(o.status == TG_OK, std::string(name) + ": the call without a failure");
      break;
    }
    if (o.status == TG_OK) {
      ++recovered;  // the library absorbed the failure (a cache that could not grow)
      continue;
    }
    check(o.status == TG_OUT_OF_MEMORY && o.message.find("out of memory") != std::string::npos,
          std::string(name) + ": allocation " + std::to_string(n + 1) + " failing gives TG_OUT_OF_MEMORY (got " +
              tg_status_string(o.status) + ": " + o.message + ")");
    check(state() == before, std::string(name) + ": allocation " + std::to_string(n + 1) +
                                 " failing left the variables and optimizer as they were");
  }
  std::printf("alloc_failure: %s: %ld allocations, each failed once (%d absorbed)\n", name, n, recovered);
  return n;
}

}  // namespace

int main() {
  tg_set_num_threads(1);
  {
    Setup s;
    const auto state = [&] { return s.state(); };
    double loss_value = 0;
    // The first step also builds the optimizer's slots.
    check(for_every_failure(
              "train_step (first)",
              [&] { return outcome(tg_model_train_step(s.model, s.loss, s.optimizer, nullptr, 0, s.x, s.y, nullptr, &loss_value)); },
              state) > 0,
          "train_step allocates");
    for_every_failure(
        "train_step",
        [&] { return outcome(tg_model_train_step(s.model, s.loss, s.optimizer, nullptr, 0, s.x, s.y, nullptr, &loss_value)); },
        state);

    // Made here: the test itself must not allocate while a failure is armed.
    std::vector<tg_tensor*> grads(s.variables.size(), nullptr);
    const std::vector<const void*> sources(s.variables.begin(), s.variables.end());
    for_every_failure(
        "gradient",
        [&] {
          tg_tape* tape = nullptr;
          tg_tensor *logits = nullptr, *l = nullptr;
          std::fill(grads.begin(), grads.end(), nullptr);
          // Each step's outcome is taken before the next call, which would clear its message.
          Outcome o = outcome(tg_tape_begin(TG_TAPE_DEFAULT, &tape));
          if (o.status == TG_OK) o = outcome(tg_model_call(s.model, s.x, &logits));
          if (o.status == TG_OK) o = outcome(tg_loss_call(s.loss, s.y, logits, nullptr, &l));
          if (tape) tg_tape_end(tape);
          if (o.status == TG_OK) {
            const void* target = l;
            o = outcome(tg_tape_gradient(tape, &target, 1, sources.data(), sources.size(), grads.data()));
          }
          for (tg_tensor* g : grads) tg_tensor_free(g);
          tg_tensor_free(l);
          tg_tensor_free(logits);
          tg_tape_free(tape);
          return o;
        },
        state);

    const std::string path = s.dir + "/checkpoint.safetensors";
    must(tg_checkpoint_save(path.c_str(), s.variables.data(), s.variables.size(), s.optimizer), "save");
    // Training on makes the state differ from the file, so a load changes it.
    must(tg_model_train_step(s.model, s.loss, s.optimizer, nullptr, 0, s.x, s.y, nullptr, &loss_value), "step");
    for_every_failure(
        "checkpoint_save",
        [&] { return outcome(tg_checkpoint_save(path.c_str(), s.variables.data(), s.variables.size(), s.optimizer)); },
        [&] {
          // The file is the old one or the new one, never a part, and no temporary file is left.
          size_t files = 0;
          for (const auto& e : std::filesystem::directory_iterator(s.dir)) files += e.path().filename() != "state.safetensors";
          return read_bytes(path) + (files == 1 ? "" : " and a temporary file");
        });
    must(tg_checkpoint_save(path.c_str(), s.variables.data(), s.variables.size(), s.optimizer), "save");
    must(tg_model_train_step(s.model, s.loss, s.optimizer, nullptr, 0, s.x, s.y, nullptr, &loss_value), "step");
    for_every_failure(
        "checkpoint_load",
        [&] { return outcome(tg_checkpoint_load(path.c_str(), s.variables.data(), s.variables.size(), s.optimizer)); },
        state);

    const std::string weights = s.dir + "/weights.safetensors";
    must(tg_model_save_weights(s.model, weights.c_str(), s.optimizer), "save_weights");
    must(tg_model_train_step(s.model, s.loss, s.optimizer, nullptr, 0, s.x, s.y, nullptr, &loss_value), "step");
    for_every_failure(
        "load_weights", [&] { return outcome(tg_model_load_weights(s.model, weights.c_str(), s.optimizer)); }, state);
  }
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
