// SPDX-License-Identifier: Apache-2.0
// Checkpoints (src/nn/checkpoint.h): the file a save writes, round trips, resuming training
// bit for bit, and loading from malformed or mismatched files — each refused with its message
// while every variable and the optimizer's state stay exactly as they were. Files are written
// at test time into a temporary directory.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "autodiff/tape.h"
#include "nn/checkpoint.h"
#include "nn/layers.h"
#include "nn/losses.h"
#include "nn/model.h"
#include "nn/optimizer.h"
#include "nn/safetensors.h"
#include "temp_dir.h"
#include "test_util.h"
#include "train_util.h"
#include "tensor/random.h"

namespace tg {
namespace {

using testing::TempDir;
using testing::train_step;

// ---- fixtures -----------------------------------------------------------------------------

// Concatenation without `"literal" + std::string&&`, which GCC 12 at -O3 misreports
// (-Wrestrict, GCC bug 105329).
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts) s.append(p);
  return s;
}

std::string u64_le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

template <class T>
std::string raw(std::initializer_list<T> values) {
  std::string s(values.size() * sizeof(T), '\0');
  std::memcpy(s.data(), std::data(values), s.size());
  return s;
}

// One tensor of a hand-made file: its header fields as JSON text, and its bytes.
struct Spec {
  std::string name, dtype, shape;  // shape as JSON, e.g. "[2]"
  std::string data;
};

// A valid file (offsets computed, in order) unless the specs disagree with themselves.
std::string st_file(const std::vector<Spec>& specs) {
  std::string header = "{", data;
  for (const Spec& s : specs) {
    if (header.size() > 1) header += ',';
    header.append("\"").append(s.name).append("\":{\"dtype\":\"").append(s.dtype).append("\",\"shape\":");
    header.append(s.shape).append(",\"data_offsets\":[").append(std::to_string(data.size())).append(",");
    header.append(std::to_string(data.size() + s.data.size())).append("]}");
    data += s.data;
  }
  header += "}";
  return u64_le(header.size()) + header + data;
}

std::string file_of(const std::string& header, const std::string& data) {
  return u64_le(header.size()) + header + data;
}

std::string bytes_of(const Tensor& t) { return {static_cast<const char*>(t.raw()), t.nbytes()}; }

// Everything a load could change: each variable's bytes and the optimizer's state.
std::vector<std::string> snapshot(std::span<const std::shared_ptr<Variable>> vars, const Optimizer* opt) {
  std::vector<std::string> s;
  for (const auto& v : vars) s.push_back(v->name() + "=" + bytes_of(v->value()));
  if (opt)
    for (const auto& st : opt->state()) s.push_back("optimizer/" + st.name + "=" + bytes_of(st.value));
  return s;
}

::testing::AssertionResult fails_with(const std::function<void()>& f, Status code,
                                      const std::vector<std::string>& substrings) {
  try {
    f();
  } catch (const Error& e) {
    if (e.code() != code)
      return ::testing::AssertionFailure() << "status " << static_cast<int>(e.code()) << ", expected "
                                           << static_cast<int>(code) << ": " << e.what();
    for (const std::string& s : substrings)
      if (std::string_view(e.what()).find(s) == std::string_view::npos)
        return ::testing::AssertionFailure() << "message lacks \"" << s << "\": " << e.what();
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no error";
}

std::shared_ptr<Variable> f32_var(const std::string& name, const Shape& shape, std::initializer_list<float> v) {
  return std::make_shared<Variable>(name, Tensor::from_data(shape, DType::f32, std::data(v)), true);
}

// ---- saving -------------------------------------------------------------------------------

TEST(Checkpoint, SaveWritesVariablesOptimizerStateAndMetadata) {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  const int64_t step = 41;
  const std::vector<std::shared_ptr<Variable>> vars{
      f32_var("my_model/dense/kernel:0", Shape{2, 2}, {1, 2, 3, 4}),
      f32_var("my_model/dense/bias:0", Shape{2}, {0.5f, -0.5f}),
      std::make_shared<Variable>("step", Tensor::from_data(Shape{}, DType::i64, &step), false),
  };
  Adam adam(AdamOptions{});
  const std::vector<std::shared_ptr<Variable>> trainable{vars[0], vars[1]};
  const std::vector<Tensor> grads{Tensor::full(Shape{2, 2}, DType::f32, 0.1), Tensor::full(Shape{2}, DType::f32, -1)};
  adam.apply(trainable, grads);
  save_checkpoint(path, vars, &adam);

  const safetensors::File f = safetensors::File::open(path);
  const safetensors::Header& h = f.header();
  ASSERT_NE(h.metadata_value("format"), nullptr);
  EXPECT_EQ(*h.metadata_value("format"), "tapegrad");
  EXPECT_EQ(*h.metadata_value("version"), library_version());
  std::vector<std::string> names;
  for (uint32_t i : h.by_name) names.push_back(h.tensors[i].name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "my_model/dense/bias:0", "my_model/dense/kernel:0", "optimizer/iterations",
                       "optimizer/m/my_model/dense/bias:0", "optimizer/m/my_model/dense/kernel:0",
                       "optimizer/v/my_model/dense/bias:0", "optimizer/v/my_model/dense/kernel:0", "step"}));
  for (const auto& v : vars) EXPECT_EQ(bytes_of(f.read(*h.find(v->name()))), bytes_of(v->value())) << v->name();
  for (const auto& s : adam.state())
    EXPECT_EQ(bytes_of(f.read(*h.find("optimizer/" + s.name))), bytes_of(s.value)) << s.name;
  EXPECT_EQ(f.read(*h.find("optimizer/iterations")).item(), 1.0);
  EXPECT_EQ(dir.count(), 1u);  // no temporary file left
}

TEST(Checkpoint, SaveChecksNamesAndReportsUnwritablePaths) {
  TempDir dir;
  const std::string path = dir.file("c.safetensors");
  const auto a = f32_var("a", Shape{1}, {1});
  const auto a_again = f32_var("a", Shape{1}, {2});
  const auto unnamed = f32_var("", Shape{1}, {3});
  const std::vector<std::shared_ptr<Variable>> dup{a, a_again}, empty{a, unnamed}, twice{a, a};
  EXPECT_TRUE(fails_with([&] { save_checkpoint(path, dup, nullptr); }, Status::invalid_argument,
                         {"checkpoint_save: variables[0] and variables[1] are both named 'a'"}));
  EXPECT_TRUE(fails_with([&] { save_checkpoint(path, empty, nullptr); }, Status::invalid_argument,
                         {"variables[1] has an empty name"}));
  const auto clash = f32_var("optimizer/iterations", Shape{1}, {1});
  Adam adam(AdamOptions{});
  const std::vector<std::shared_ptr<Variable>> clashing{clash};
  EXPECT_TRUE(fails_with([&] { save_checkpoint(path, clashing, &adam); }, Status::invalid_argument,
                         {"'optimizer/iterations' has the name of an optimizer state tensor"}));
  EXPECT_EQ(dir.count(), 0u);

  save_checkpoint(path, twice, nullptr);  // the same variable twice is written once
  EXPECT_EQ(safetensors::File::open(path).header().tensors.size(), 1u);

  const std::string bad = dir.file("missing/c.safetensors");
  EXPECT_TRUE(fails_with([&] { save_checkpoint(bad, twice, nullptr); }, Status::io_error,
                         {"cannot write '" + bad + "'", "No such file or directory"}));
}

// ---- loading ------------------------------------------------------------------------------

TEST(Checkpoint, LoadRestoresVariablesOfEveryDtypeAndIgnoresOtherTensors) {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  const int32_t labels[3] = {1, -2, 3};
  const bool flags[2] = {true, false};
  const double d = -0.125;
  const std::vector<std::shared_ptr<Variable>> saved{
      f32_var("w", Shape{2, 3}, {1, 2, 3, 4, 5, 6}),
      std::make_shared<Variable>("labels", Tensor::from_data(Shape{3}, DType::i32, labels), false),
      std::make_shared<Variable>("flags", Tensor::from_data(Shape{2}, DType::boolean, flags), false),
      std::make_shared<Variable>("d", Tensor::from_data(Shape{}, DType::f64, &d), true),
      f32_var("extra", Shape{1}, {9}),
  };
  save_checkpoint(path, saved, nullptr);

  // Fresh variables of the same names (not "extra"), in another order.
  const std::vector<std::shared_ptr<Variable>> fresh{
      std::make_shared<Variable>("d", Tensor::zeros(Shape{}, DType::f64), true),
      std::make_shared<Variable>("flags", Tensor::zeros(Shape{2}, DType::boolean), false),
      std::make_shared<Variable>("w", Tensor::zeros(Shape{2, 3}, DType::f32), true),
      std::make_shared<Variable>("labels", Tensor::zeros(Shape{3}, DType::i32), false),
  };
  const Tensor before = fresh[2]->read();
  load_checkpoint(path, fresh, nullptr);
  EXPECT_EQ(bytes_of(fresh[0]->value()), bytes_of(saved[3]->value()));
  EXPECT_EQ(bytes_of(fresh[1]->value()), bytes_of(saved[2]->value()));
  EXPECT_EQ(bytes_of(fresh[2]->value()), bytes_of(saved[0]->value()));
  EXPECT_EQ(bytes_of(fresh[3]->value()), bytes_of(saved[1]->value()));
  EXPECT_EQ(before.data<float>()[5], 0.0f);  // an earlier read keeps its value
}

// A file from another writer: unknown dtypes (F16) and names no variable asks for are fine.
TEST(Checkpoint, LoadAcceptsForeignFilesWithMatchingNames) {
  TempDir dir;
  const std::string path = dir.file("foreign.safetensors");
  write_bytes(path, st_file({{"half", "F16", "[2]", std::string(4, '\0')},
                             {"w", "F32", "[2]", raw<float>({7, 8})},
                             {"optimizer/iterations", "I64", "[]", raw<int64_t>({3})}}));
  const auto w = f32_var("w", Shape{2}, {0, 0});
  const std::vector<std::shared_ptr<Variable>> vars{w};
  load_checkpoint(path, vars, nullptr);
  EXPECT_EQ(w->value().data<float>()[1], 8.0f);
}

// Sets up the variables and optimizer that the malformed-file cases try to overwrite.
struct LoadTarget {
  std::vector<std::shared_ptr<Variable>> vars;
  Adam adam{AdamOptions{}};
  LoadTarget() {
    const int64_t n = 3;
    const bool flag = true;
    vars = {f32_var("w", Shape{2}, {1, 2}),
            std::make_shared<Variable>("n", Tensor::from_data(Shape{}, DType::i64, &n), false),
            std::make_shared<Variable>("flag", Tensor::from_data(Shape{}, DType::boolean, &flag), false)};
    const std::vector<std::shared_ptr<Variable>> w{vars[0]};
    const std::vector<Tensor> g{Tensor::full(Shape{2}, DType::f32, 0.5)};
    adam.apply(w, g);
  }
};

struct BadFile {
  const char* what;
  std::string bytes;
  Status status;
  std::vector<std::string> message;
};

TEST(Checkpoint, LoadRefusesMalformedAndMismatchedFilesAndChangesNothing) {
  const Spec w{"w", "F32", "[2]", raw<float>({5, 6})};
  const Spec n{"n", "I64", "[]", raw<int64_t>({7})};
  const Spec flag{"flag", "BOOL", "[]", std::string(1, '\0')};
  const Spec it{"optimizer/iterations", "I64", "[]", raw<int64_t>({9})};
  const Spec m{"optimizer/m/w", "F32", "[2]", raw<float>({0.25f, 0.25f})};
  const Spec v{"optimizer/v/w", "F32", "[2]", raw<float>({0.5f, 0.5f})};
  const std::string header_w = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::vector<BadFile> cases{
      {"empty file", "", Status::invalid_argument, {"the file has 0 bytes, fewer than the 8-byte header length"}},
      {"3 bytes", "abc", Status::invalid_argument, {"the file has 3 bytes"}},
      {"header too large", u64_le(100'000'001) + header_w, Status::invalid_argument,
       {"header length 100000001 exceeds the limit of 100000000 bytes"}},
      {"header past the end", u64_le(1000) + header_w, Status::invalid_argument,
       {"header length 1000 runs past the end of the file"}},
      {"invalid UTF-8", file_of("{\"\xff\":{}}", ""), Status::invalid_argument, {"the header is not valid UTF-8"}},
      {"not an object", file_of("[1,2]", ""), Status::invalid_argument, {"does not start with '{'"}},
      {"invalid JSON", file_of(R"({"w":{"dtype":"F32",)", ""), Status::invalid_argument,
       {"the header is not valid JSON"}},
      {"duplicate name", file_of(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                 R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", raw<float>({5, 6})),
       Status::invalid_argument, {"the header has the key 'w' twice"}},
      {"unknown dtype", st_file({{"w", "F33", "[2]", raw<float>({5, 6})}}), Status::invalid_argument,
       {"tensor 'w' has unknown dtype 'F33'"}},
      {"gap in the data", file_of(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", std::string(12, 'x')),
       Status::invalid_argument, {"without gaps or overlaps"}},
      {"overlapping tensors", file_of(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                      R"("n":{"dtype":"I64","shape":[],"data_offsets":[4,12]}})", std::string(12, 'x')),
       Status::invalid_argument, {"tensor 'n' has data_offsets [4, 12], but the tensors before it end at byte 8"}},
      {"size disagrees with shape", file_of(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", raw<float>({5, 6})),
       Status::invalid_argument, {"needs 12 bytes, but data_offsets [0, 8] hold 8"}},
      {"shape overflows", file_of(R"({"w":{"dtype":"F32","shape":[4294967296,4294967297],"data_offsets":[0,8]}})",
                                  raw<float>({5, 6})),
       Status::invalid_argument, {"overflows a 64-bit element count"}},
      {"trailing garbage", st_file({w, n, flag}) + "junk", Status::invalid_argument, {"trailing bytes"}},
      {"truncated", st_file({w, n, flag}).substr(0, st_file({w, n, flag}).size() - 3), Status::invalid_argument,
       {"the file is truncated"}},
      {"variable missing", st_file({w, flag}), Status::invalid_argument,
       {"has no tensor named 'n' (variables[1]); the file holds 2 tensors: 'flag', 'w'"}},
      {"dtype differs", st_file({w, {"n", "I32", "[]", raw<int32_t>({7})}, flag}), Status::invalid_argument,
       {"variable 'n' (variables[1]) is int64 () (I64 []), but", "holds I32 [] under 'n'"}},
      {"shape differs", st_file({{"w", "F32", "[1, 2]", raw<float>({5, 6})}, n, flag}), Status::invalid_argument,
       {"variable 'w' (variables[0]) is float32 (2) (F32 [2]), but", "holds F32 [1, 2]"}},
      {"dtype tapegrad lacks", st_file({{"w", "F16", "[2]", std::string(4, '\0')}, n, flag}), Status::invalid_argument,
       {"variable 'w' (variables[0]) is float32 (2)", "holds F16 [2]"}},
      {"BOOL byte 2", st_file({w, n, {"flag", "BOOL", "[]", std::string(1, '\2')}, it, m, v}), Status::invalid_argument,
       {"tensor 'flag' (BOOL) holds 2 at element 0, not 0 or 1"}},
      {"no optimizer state", st_file({w, n, flag}), Status::invalid_argument,
       {"holds no optimizer state (no tensor 'optimizer/iterations')"}},
      {"optimizer slot missing", st_file({w, n, flag, it, m}), Status::invalid_argument,
       {"checkpoint_load: optimizer state in", "no tensor named 'v/w'"}},
      {"optimizer slot shape differs", st_file({w, n, flag, it, m, {"optimizer/v/w", "F32", "[3]", raw<float>({1, 2, 3})}}),
       Status::invalid_argument, {"optimizer state in", "'v/w' is float32 (3), expected float32 (2)"}},
      {"negative iterations", st_file({w, n, flag, {"optimizer/iterations", "I64", "[]", raw<int64_t>({-1})}, m, v}),
       Status::invalid_argument, {"optimizer state in", "'iterations' is -1, expected a count in [0, 2^53"}},
      // A crafted counter that would wrap to INT64_MIN (and NaN weights) on the next step.
      {"unreachable iterations",
       st_file({w, n, flag, {"optimizer/iterations", "I64", "[]", raw<int64_t>({INT64_MAX})}, m, v}),
       Status::invalid_argument, {"'iterations' is 9223372036854775807", "no training reaches more"}},
      {"iterations one past the limit",
       st_file({w, n, flag, {"optimizer/iterations", "I64", "[]", raw<int64_t>({(int64_t{1} << 53) + 1})}, m, v}),
       Status::invalid_argument, {"'iterations' is 9007199254740993"}},
  };
  TempDir dir;
  for (const BadFile& c : cases) {
    SCOPED_TRACE(c.what);
    LoadTarget target;
    const auto before = snapshot(target.vars, &target.adam);
    const std::string path = dir.file("bad.safetensors");
    write_bytes(path, c.bytes);
    std::vector<std::string> message = c.message;
    if (c.status == Status::invalid_argument) message.push_back(cat({"'", path, "'"}));
    EXPECT_TRUE(fails_with([&] { load_checkpoint(path, target.vars, &target.adam); }, c.status, message));
    EXPECT_EQ(snapshot(target.vars, &target.adam), before);
    EXPECT_EQ(target.adam.iterations(), 1);
  }
  // The same variables and optimizer load the well-formed file.
  LoadTarget target;
  const std::string path = dir.file("good.safetensors");
  write_bytes(path, st_file({w, n, flag, it, m, v}));
  load_checkpoint(path, target.vars, &target.adam);
  EXPECT_EQ(target.vars[0]->value().data<float>()[0], 5.0f);
  EXPECT_EQ(target.vars[1]->value().item(), 7.0);
  EXPECT_EQ(target.vars[2]->value().item(), 0.0);
  EXPECT_EQ(target.adam.iterations(), 9);
}

TEST(Checkpoint, LoadReportsFilesThatCannotBeOpened) {
  TempDir dir;
  LoadTarget target;
  const auto before = snapshot(target.vars, &target.adam);
  EXPECT_TRUE(fails_with([&] { load_checkpoint(dir.file("absent"), target.vars, &target.adam); }, Status::io_error,
                         {cat({"cannot open '", dir.file("absent"), "'"}), "No such file or directory"}));
  ASSERT_EQ(::mkdir(dir.file("d").c_str(), 0755), 0);
  EXPECT_TRUE(fails_with([&] { load_checkpoint(dir.file("d"), target.vars, nullptr); }, Status::io_error,
                         {cat({"'", dir.file("d"), "': not a regular file"})}));
  EXPECT_EQ(snapshot(target.vars, &target.adam), before);
}

// An optimizer that never stepped saves only its counter; loading that into a fresh one
// restores the counter and leaves it unbuilt, so its first step builds it as usual.
TEST(Checkpoint, UnbuiltOptimizerStateRoundTrips) {
  TempDir dir;
  const std::string path = dir.file("c.safetensors");
  const auto w = f32_var("w", Shape{2}, {1, 2});
  const std::vector<std::shared_ptr<Variable>> vars{w};
  Adam saved(AdamOptions{});
  saved.set_iterations(5);
  save_checkpoint(path, vars, &saved);
  Adam loaded(AdamOptions{});
  load_checkpoint(path, vars, &loaded);
  EXPECT_EQ(loaded.iterations(), 5);
  EXPECT_FALSE(loaded.built());
  const std::vector<Tensor> g{Tensor::full(Shape{2}, DType::f32, 1)};
  EXPECT_EQ(loaded.apply(vars, g), 6);
}

// ---- resuming -----------------------------------------------------------------------------

// A Keras-style model: Dense(16, relu) then Dense(4), explicit layer names so that two
// instances have the same variable names.
std::unique_ptr<Model> make_model(uint64_t seed) {
  auto model = std::make_unique<Model>("my_model");
  LayerConfig d1;
  d1.name = "dense";
  d1.units = 16;
  d1.activation = Activation::relu;
  d1.kernel_initializer.seed = seed;
  LayerConfig d2;
  d2.name = "dense_1";
  d2.units = 4;
  d2.kernel_initializer.seed = seed + 1;
  model->add(make_layer(d1));
  model->add(make_layer(d2));
  return model;
}

// Training k steps, saving, and training m more gives bit-identical variables and optimizer
// state to a second model and optimizer that load the checkpoint and train the same m steps.
TEST(Checkpoint, ResumingTrainingIsBitIdentical) {
  TempDir dir;
  const std::string path = dir.file("resume.safetensors");
  const Tensor x = random_uniform(Shape{64, 8}, DType::f32, -1, 1, 11);
  const Tensor y = random_uniform(Shape{64, 4}, DType::f32, 0, 1, 12);
  AdamOptions options;
  options.learning_rate = 0.01;
  options.amsgrad = true;  // three slots: m, v, vhat

  auto model = make_model(1);
  Adam adam(options);
  model->call(x);
  for (int step = 0; step < 5; ++step) train_step(*model, adam, x, y);
  save_checkpoint(path, model->trainable_variables(), &adam);
  for (int step = 0; step < 4; ++step) train_step(*model, adam, x, y);

  auto resumed = make_model(99);  // other initial weights: the load must replace them
  Adam resumed_adam(options);
  resumed->call(x);  // builds the variables
  const auto resumed_vars = resumed->trainable_variables();
  ASSERT_NE(bytes_of(resumed_vars[0]->value()), bytes_of(model->trainable_variables()[0]->value()));
  load_checkpoint(path, resumed_vars, &resumed_adam);
  EXPECT_EQ(resumed_adam.iterations(), 5);
  for (int step = 0; step < 4; ++step) train_step(*resumed, resumed_adam, x, y);

  EXPECT_EQ(snapshot(resumed_vars, &resumed_adam), snapshot(model->trainable_variables(), &adam));
  EXPECT_EQ(resumed_adam.iterations(), 9);
}

}  // namespace
}  // namespace tg
