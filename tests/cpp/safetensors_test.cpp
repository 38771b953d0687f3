// SPDX-License-Identifier: Apache-2.0
// The safetensors format (src/nn/safetensors.h): the writer against the reference
// implementation's own byte-exact test vectors (huggingface/safetensors,
// safetensors/src/tensor.rs: test_serialization, test_serialization_forced_alignement,
// test_empty) and its layout rules; the reader on valid files written in other orders and
// styles, on every kind of malformed header and file (written at test time into a temporary
// directory), and interop with an independent writer and reader in Python/numpy.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "nn/safetensors.h"

namespace tg::safetensors {
namespace {

namespace fs = std::filesystem;

// ---- fixtures -----------------------------------------------------------------------------

// A fresh temporary directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tapegrad-safetensors-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // The names of the files in the directory, sorted.
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

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

// A file: the header's length, the header as given (no padding), then `data`.
std::string st_bytes(const std::string& header, const std::string& data = "") {
  return u64_le(header.size()) + header + data;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

template <class T>
std::string raw(std::initializer_list<T> values) {
  std::string s(values.size() * sizeof(T), '\0');
  std::memcpy(s.data(), std::data(values), s.size());
  return s;
}

// Runs f, which must throw tg::Error with `code` and a message containing every substring.
::testing::AssertionResult fails_with(const std::function<void()>& f, Status code,
                                      std::initializer_list<std::string_view> substrings) {
  try {
    f();
  } catch (const Error& e) {
    if (e.code() != code)
      return ::testing::AssertionFailure() << "status " << static_cast<int>(e.code()) << ", expected "
                                           << static_cast<int>(code) << ": " << e.what();
    for (std::string_view s : substrings)
      if (std::string_view(e.what()).find(s) == std::string_view::npos)
        return ::testing::AssertionFailure() << "message lacks \"" << s << "\": " << e.what();
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no error";
}

Tensor f32_tensor(const Shape& shape, std::initializer_list<float> v) {
  return Tensor::from_data(shape, DType::f32, std::data(v));
}

// ---- the writer -----------------------------------------------------------------------------

// test_serialization: "attn.0", F32 (1,2,3) holding 0..5; the header is exactly 64 bytes.
TEST(SafetensorsWriter, MatchesTheReferenceBytes) {
  std::vector<Entry> entries{{"attn.0", f32_tensor(Shape{1, 2, 3}, {0, 1, 2, 3, 4, 5})}};
  const std::string header = serialize_header(entries, {});
  const std::string json = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
  ASSERT_EQ(json.size(), 64u);
  EXPECT_EQ(header, u64_le(64) + json);

  TempDir dir;
  write_file(dir.file("a.safetensors"), entries, {});
  const std::string expected_data{"\0\0\0\0\0\0\x80\x3f\0\0\0\x40\0\0\x40\x40\0\0\x80\x40\0\0\xa0\x40", 24};
  EXPECT_EQ(read_bytes(dir.file("a.safetensors")), u64_le(64) + json + expected_data);
}

// test_serialization_forced_alignement: a 65-byte header is padded with 7 spaces to 72.
TEST(SafetensorsWriter, PadsTheHeaderWithSpacesToEightBytes) {
  std::vector<Entry> entries{{"attn0", f32_tensor(Shape{1, 1, 2, 3}, {0, 1, 2, 3, 4, 5})}};
  const std::string json = R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})";
  ASSERT_EQ(json.size(), 65u);
  EXPECT_EQ(serialize_header(entries, {}), u64_le(72) + json + std::string(7, ' '));
}

// test_empty: no tensors gives "{}" and six spaces; metadata comes first, as an object.
TEST(SafetensorsWriter, EmptyFilesAndMetadataMatchTheReference) {
  std::vector<Entry> none;
  EXPECT_EQ(serialize_header(none, {}), u64_le(8) + "{}" + std::string(6, ' '));
  EXPECT_EQ(serialize_header(none, {{"framework", "pt"}}),
            u64_le(40) + R"({"__metadata__":{"framework":"pt"}})" + std::string(5, ' '));
}

// Data order: widest alignment first (I64, F64, F32, I32, BOOL), then by name, bytewise.
TEST(SafetensorsWriter, OrdersTensorsByDtypeThenNameAndSortsMetadataKeys) {
  const int64_t i64v = 7;
  const double f64v = 2.5;
  const int32_t i32v = -3;
  const bool bv = true;
  std::vector<Entry> entries{
      {"b", f32_tensor(Shape{1}, {1})},
      {"flag", Tensor::from_data(Shape{}, DType::boolean, &bv)},
      {"B", f32_tensor(Shape{2}, {2, 3})},
      {"count", Tensor::from_data(Shape{}, DType::i32, &i32v)},
      {"step", Tensor::from_data(Shape{}, DType::i64, &i64v)},
      {"x", Tensor::from_data(Shape{}, DType::f64, &f64v)},
  };
  const std::string bytes = serialize_header(entries, {{"version", "1"}, {"format", "tapegrad"}});
  const std::string json = bytes.substr(8);
  EXPECT_EQ(json.substr(0, json.find_last_not_of(' ') + 1),
            R"({"__metadata__":{"format":"tapegrad","version":"1"},)"
            R"("step":{"dtype":"I64","shape":[],"data_offsets":[0,8]},)"
            R"("x":{"dtype":"F64","shape":[],"data_offsets":[8,16]},)"
            R"("B":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},)"
            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[24,28]},)"
            R"("count":{"dtype":"I32","shape":[],"data_offsets":[28,32]},)"
            R"("flag":{"dtype":"BOOL","shape":[],"data_offsets":[32,33]}})");
  ASSERT_EQ(entries.size(), 6u);  // reordered in place to the data order
  EXPECT_EQ(entries[0].name, "step");
  EXPECT_EQ(entries[5].name, "flag");
}

TEST(SafetensorsWriter, RejectsBadNamesBeforeWritingAnything) {
  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  const Tensor t = f32_tensor(Shape{1}, {1});
  EXPECT_TRUE(fails_with([&] { write_file(path, {{"", t}}, {}); }, Status::invalid_argument, {"name is empty"}));
  EXPECT_TRUE(fails_with([&] { write_file(path, {{"a", t}, {"a", t}}, {}); }, Status::invalid_argument,
                         {"two tensors are named 'a'"}));
  EXPECT_TRUE(fails_with([&] { write_file(path, {{"__metadata__", t}}, {}); }, Status::invalid_argument,
                         {"'__metadata__' is reserved"}));
  EXPECT_TRUE(fails_with([&] { write_file(path, {{"a\xff", t}}, {}); }, Status::invalid_argument,
                         {"not valid UTF-8"}));
  EXPECT_TRUE(fails_with([&] { write_file(path, {{"a", Tensor()}}, {}); }, Status::invalid_argument,
                         {"tensor 'a' is undefined"}));
  EXPECT_TRUE(fails_with([&] { write_file(path, {}, {{"k", "1"}, {"k", "2"}}); }, Status::invalid_argument,
                         {"metadata key 'k' appears twice"}));
  EXPECT_TRUE(dir.listing().empty());
}

// An unwritable path is an io_error naming the path and the system's reason; a failed write
// leaves no temporary file and does not touch an existing file.
TEST(SafetensorsWriter, WriteErrorsNameThePathAndLeaveNothingBehind) {
  TempDir dir;
  const std::string missing = dir.file("no/such/dir/x.safetensors");
  EXPECT_TRUE(fails_with([&] { write_file(missing, {{"a", f32_tensor(Shape{1}, {1})}}, {}); }, Status::io_error,
                         {"cannot write '" + missing + "'", "No such file or directory"}));
  // Renaming over a directory fails after the data was written: the temporary file goes.
  ASSERT_EQ(::mkdir(dir.file("taken").c_str(), 0755), 0);
  EXPECT_TRUE(fails_with([&] { write_file(dir.file("taken"), {{"a", f32_tensor(Shape{1}, {1})}}, {}); },
                         Status::io_error, {cat({"cannot write '", dir.file("taken"), "'"}), "Is a directory"}));
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"taken"});

  // Replacing an existing file: the new content, and no temporary file left.
  const std::string path = dir.file("w.safetensors");
  write_file(path, {{"a", f32_tensor(Shape{1}, {1})}}, {});
  write_file(path, {{"b", f32_tensor(Shape{2}, {2, 3})}}, {});
  const File f = File::open(path);
  ASSERT_EQ(f.header().tensors.size(), 1u);
  EXPECT_EQ(f.header().tensors[0].name, "b");
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"taken", "w.safetensors"}));
}

// ---- the reader -----------------------------------------------------------------------------

TEST(SafetensorsReader, RoundTripsEveryDtypeScalarsAndEmptyTensors) {
  TempDir dir;
  const std::string path = dir.file("all.safetensors");
  const double f64v[3] = {std::numbers::pi, -0.0, 1e300};
  const int32_t i32v[4] = {std::numeric_limits<int32_t>::min(), -1, 0, std::numeric_limits<int32_t>::max()};
  const int64_t i64v[2] = {std::numeric_limits<int64_t>::min(), 1234567890123456789};
  const bool bv[3] = {true, false, true};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<Entry> entries{
      {"f32", f32_tensor(Shape{2, 2}, {1.5f, -2.25f, nan, std::numeric_limits<float>::infinity()})},
      {"f64", Tensor::from_data(Shape{3}, DType::f64, f64v)},
      {"i32", Tensor::from_data(Shape{2, 1, 2}, DType::i32, i32v)},
      {"i64", Tensor::from_data(Shape{2}, DType::i64, i64v)},
      {"bool", Tensor::from_data(Shape{3}, DType::boolean, bv)},
      {"scalar", Tensor::scalar(0.5, DType::f32)},
      {"empty", Tensor::zeros(Shape{0, 4}, DType::f32)},
      {"unicode/γ:0", Tensor::scalar(3, DType::i64)},
  };
  write_file(path, entries, {{"format", "tapegrad"}, {"note", "ü"}});

  const File f = File::open(path);
  const Header& h = f.header();
  EXPECT_EQ(h.tensors.size(), entries.size());
  ASSERT_NE(h.metadata_value("note"), nullptr);
  EXPECT_EQ(*h.metadata_value("note"), "ü");
  EXPECT_EQ(h.metadata_value("absent"), nullptr);
  EXPECT_EQ(h.find("absent"), nullptr);
  for (const Entry& e : entries) {
    const TensorInfo* info = h.find(e.name);
    ASSERT_NE(info, nullptr) << e.name;
    const Tensor t = f.read(*info);
    EXPECT_EQ(t.dtype(), e.value.dtype()) << e.name;
    EXPECT_EQ(t.shape(), e.value.shape()) << e.name;
    ASSERT_EQ(t.nbytes(), e.value.nbytes()) << e.name;
    EXPECT_EQ(std::memcmp(t.raw(), e.value.raw(), t.nbytes()), 0) << e.name;  // NaN, -0.0 kept
  }
  EXPECT_EQ(h.find("empty")->shape, (std::vector<uint64_t>{0, 4}));
  EXPECT_TRUE(h.find("scalar")->shape.empty());
}

// Files from other writers: any entry order in the JSON, whitespace, no padding, metadata
// absent or null, dtypes tapegrad lacks (parsed; refused only when read).
TEST(SafetensorsReader, AcceptsValidFilesInOtherStyles) {
  TempDir dir;
  const std::string path = dir.file("other.safetensors");
  const std::string header =
      "{\"b\" : {\"data_offsets\": [8, 10], \"shape\": [1], \"dtype\": \"F16\"},\n"
      "  \"a\": {\"shape\": [2], \"dtype\": \"I32\", \"data_offsets\": [0, 8]},\n"
      "  \"__metadata__\": null, \"c\": {\"dtype\": \"U8\", \"shape\": [0], \"data_offsets\": [10, 10]}}\t\n";
  write_bytes(path, st_bytes(header, raw<int32_t>({5, -6}) + std::string("\x00\x3c", 2)));
  const File f = File::open(path);
  const Header& h = f.header();
  ASSERT_EQ(h.tensors.size(), 3u);
  EXPECT_EQ(h.tensors[0].name, "a");  // sorted by offsets
  EXPECT_EQ(h.tensors[1].name, "b");
  EXPECT_EQ(h.tensors[2].name, "c");
  EXPECT_TRUE(h.metadata.empty());
  const Tensor a = f.read(*h.find("a"));
  EXPECT_EQ(a.dtype(), DType::i32);
  EXPECT_EQ(a.data<int32_t>()[1], -6);
  EXPECT_TRUE(fails_with([&] { f.read(*h.find("b")); }, Status::invalid_argument,
                         {"tensor 'b' has dtype F16, which tapegrad does not support"}));
  EXPECT_TRUE(fails_with([&] { f.read(*h.find("c")); }, Status::invalid_argument, {"dtype U8"}));
}

// The reference's doc example, byte for byte: I32 (2,2), N = 60 (0x3c, '<').
TEST(SafetensorsReader, ReadsTheReferenceDocExample) {
  TempDir dir;
  const std::string path = dir.file("doc.safetensors");
  write_bytes(path, std::string("<\0\0\0\0\0\0\0", 8) +
                        R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})" +
                        std::string(16, '\0'));
  const File f = File::open(path);
  const Tensor t = f.read(*f.header().find("test"));
  EXPECT_EQ(t.shape(), (Shape{2, 2}));
  EXPECT_EQ(t.data<int32_t>()[3], 0);
}

// One malformed header per row: parse_header must refuse it with this message.
struct BadHeader {
  const char* what;
  std::string header;
  std::vector<std::string> message;
};

TEST(SafetensorsReader, RejectsEveryMalformedHeader) {
  const std::string w = R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  std::string dims65;
  for (int i = 0; i < 65; ++i) dims65 += i ? ",1" : "1";
  const std::vector<BadHeader> cases{
      {"not UTF-8", "{\"w\xc3\x28\":{}}", {"not valid UTF-8 (byte 3 of the header)"}},
      {"overlong UTF-8", "{\"\xc0\xaf\":1}", {"not valid UTF-8"}},
      {"UTF-8 surrogate", "{\"\xed\xa0\x80\":1}", {"not valid UTF-8"}},
      {"empty header", "", {"does not start with '{'"}},
      {"leading space", " {}", {"does not start with '{'"}},
      {"an array", "[]", {"does not start with '{'"}},
      {"truncated JSON", "{" + w, {"not valid JSON", "parse error"}},
      {"trailing JSON", "{" + w + "}}", {"not valid JSON"}},
      {"NUL padding", "{" + w + "}" + std::string(3, '\0'), {cat({"not valid JSON: a NUL byte at byte ", std::to_string(w.size() + 2)})}},
      {"NUL inside", "{" + w + std::string("}\0garbage", 9), {"not valid JSON: a NUL byte"}},
      {"JSON comment", "{/*c*/" + w + "}", {"not valid JSON"}},
      {"duplicate tensor", "{" + w + "," + w + "}", {"the key 'w' twice"}},
      {"duplicate field", R"({"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
       {"tensor 'w' has the field 'dtype' twice"}},
      {"duplicate metadata key", R"({"__metadata__":{"k":"1","k":"2"}})", {"'__metadata__' has the key 'k' twice"}},
      {"duplicate metadata", R"({"__metadata__":{},"__metadata__":{}})", {"the key '__metadata__' twice"}},
      {"empty name", R"({"":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})", {"empty name"}},
      {"unknown dtype", R"({"w":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}})", {"unknown dtype 'F17'"}},
      {"lowercase dtype", R"({"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})", {"unknown dtype 'f32'"}},
      {"dtype not a string", R"({"w":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})",
       {"'dtype' must be a string, not an integer"}},
      {"unknown field", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"foo":1}})",
       {"unknown field 'foo'"}},
      {"missing field", R"({"w":{"dtype":"F32","shape":[2]}})", {"tensor 'w' has no 'data_offsets'"}},
      {"entry not an object", R"({"w":[1]})", {"tensor 'w' must be an object", "not an array"}},
      {"metadata not an object", R"({"__metadata__":"x"})", {"'__metadata__' must be an object", "not a string"}},
      {"metadata value not a string", R"({"__metadata__":{"k":1}})", {"value of 'k' must be a string"}},
      {"negative dimension", R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
       {"'shape' must be an array of non-negative integers", "negative integer"}},
      {"fractional dimension", R"({"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})",
       {"'shape' must be an array of non-negative integers"}},
      {"dimension above u64", R"({"w":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,8]}})",
       {"'shape' must be an array of non-negative integers"}},
      {"nested shape", R"({"w":{"dtype":"F32","shape":[[2]],"data_offsets":[0,8]}})",
       {"'shape' must be an array of non-negative integers", "an array"}},
      {"shape not an array", R"({"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})",
       {"'shape' must be an array"}},
      {"rank 65", R"({"w":{"dtype":"F32","shape":[)" + dims65 + R"(],"data_offsets":[0,4]}})",
       {"rank above 64"}},
      {"three offsets", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}})",
       {"'data_offsets' must be two non-negative integers"}},
      {"one offset", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8]}})",
       {"'data_offsets' must be two non-negative integers"}},
      {"negative offset", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})",
       {"'data_offsets' must be two non-negative integers"}},
      {"gap before the first tensor", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
       {"tensor 'w' has data_offsets [4, 12], but the tensors before it end at byte 0", "without gaps"}},
      {"overlap", R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
       {"tensor 'b' has data_offsets [4, 12], but the tensors before it end at byte 8"}},
      {"end before begin", R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})",
       {"tensor 'b' has data_offsets [8, 4] that end before they begin"}},
      {"size mismatch", R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
       {"tensor 'w' of dtype F32 and shape [3] needs 12 bytes, but data_offsets [0, 8] hold 8"}},
      {"element count overflow", R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,2],"data_offsets":[0,8]}})",
       {"overflows a 64-bit element count"}},
      {"byte count overflow", R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}})",
       {"overflow a 64-bit size"}},
      {"sub-byte remainder", R"({"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}})",
       {"not a whole number of bytes"}},
  };
  for (const BadHeader& c : cases) {
    SCOPED_TRACE(c.what);
    try {
      parse_header(c.header, "file 'x'");
      ADD_FAILURE() << "accepted: " << c.header;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Status::invalid_argument);
      EXPECT_NE(std::string_view(e.what()).find("file 'x': "), std::string_view::npos) << e.what();
      for (const std::string& s : c.message)
        EXPECT_NE(std::string_view(e.what()).find(s), std::string_view::npos) << "lacks \"" << s << "\": " << e.what();
    }
  }
}

// Whole files: the length prefix and the data buffer against the header.
TEST(SafetensorsReader, RejectsMalformedFiles) {
  TempDir dir;
  const std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string data = raw<float>({1, 2});
  struct Case {
    const char* what;
    std::string bytes;
    std::vector<std::string> message;
  };
  const std::vector<Case> cases{
      {"empty file", "", {"the file has 0 bytes, fewer than the 8-byte header length"}},
      {"7 bytes", std::string(7, '\0'), {"the file has 7 bytes"}},
      {"header length 0", u64_le(0), {"does not start with '{'"}},
      {"header length above the limit", u64_le(kMaxHeaderBytes + 1) + header,
       {"header length 100000001 exceeds the limit of 100000000 bytes"}},
      {"header length 2^64-1", u64_le(~uint64_t{0}) + header, {"exceeds the limit"}},
      {"header length past the end", u64_le(header.size() + 9) + header + data,
       {cat({"header length ", std::to_string(header.size() + 9), " runs past the end of the file (",
             std::to_string(8 + header.size() + 8), " bytes)"})}},
      {"trailing bytes", st_bytes(header, data + "x"), {"the tensors cover 8 bytes of data, but the file holds 9",
                                                        "trailing bytes"}},
      {"truncated data", st_bytes(header, data.substr(0, 5)), {"holds 5 bytes after the header", "truncated"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string path = dir.file("bad.safetensors");
    write_bytes(path, c.bytes);
    std::vector<std::string> msg{"safetensors file '" + path + "': "};
    msg.insert(msg.end(), c.message.begin(), c.message.end());
    try {
      File::open(path);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Status::invalid_argument) << e.what();
      for (const std::string& s : msg)
        EXPECT_NE(std::string_view(e.what()).find(s), std::string_view::npos) << "lacks \"" << s << "\": " << e.what();
    }
  }
  // The good file opens.
  write_bytes(dir.file("good.safetensors"), st_bytes(header, data));
  EXPECT_EQ(File::open(dir.file("good.safetensors")).header().data_bytes, 8u);
}

TEST(SafetensorsReader, FilesThatCannotBeOpenedAreIoErrors) {
  TempDir dir;
  EXPECT_TRUE(fails_with([&] { File::open(dir.file("absent")); }, Status::io_error,
                         {cat({"cannot open '", dir.file("absent"), "'"}), "No such file or directory"}));
  ASSERT_EQ(::mkdir(dir.file("d").c_str(), 0755), 0);
  EXPECT_TRUE(fails_with([&] { File::open(dir.file("d")); }, Status::io_error, {"not a regular file"}));
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);  // must not wait for a writer
  EXPECT_TRUE(fails_with([&] { File::open(dir.file("fifo")); }, Status::io_error, {"not a regular file"}));
}

TEST(SafetensorsReader, ReadRefusesWhatATensorCannotHold) {
  TempDir dir;
  const std::string path = dir.file("r.safetensors");
  write_bytes(path, st_bytes(R"({"b":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]},)"
                             R"("r9":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[3,7]},)"
                             R"("huge":{"dtype":"F32","shape":[0,9223372036854775808],"data_offsets":[7,7]}})",
                             std::string("\x01\x02\x00", 3) + raw<float>({1})));
  const File f = File::open(path);
  EXPECT_TRUE(fails_with([&] { f.read(*f.header().find("b")); }, Status::invalid_argument,
                         {"tensor 'b' (BOOL) holds 2 at element 1, not 0 or 1"}));
  EXPECT_TRUE(fails_with([&] { f.read(*f.header().find("r9")); }, Status::invalid_argument,
                         {"tensor 'r9' has rank 9, above tapegrad's maximum 8"}));
  EXPECT_TRUE(fails_with([&] { f.read(*f.header().find("huge")); }, Status::invalid_argument,
                         {"dimension 9223372036854775808, above int64"}));
}

TEST(SafetensorsDtypes, NamesMapBothWays) {
  for (DType d : {DType::f32, DType::f64, DType::i32, DType::i64, DType::boolean})
    EXPECT_EQ(dtype_from_name(name_of(d)), d);
  EXPECT_EQ(name_of(DType::boolean), "BOOL");
  EXPECT_EQ(dtype_from_name("BF16"), std::nullopt);
  EXPECT_EQ(dtype_from_name("nope"), std::nullopt);
}

// ---- interop with Python/numpy ---------------------------------------------------------------

constexpr const char* kPython = "/usr/bin/python3";

// Writes a file with an independent writer (json + struct + numpy: entries in its own order,
// ", " separators, no padding) and checks a tapegrad-written file with numpy.frombuffer.
constexpr const char* kInteropScript = R"PY(
import json, struct, sys
import numpy as np

mode, path = sys.argv[1], sys.argv[2]
DT = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8", "BOOL": "?"}
expected = {
    "layer/kernel:0": np.arange(6, dtype="<f4").reshape(2, 3) * 0.5 - 1,
    "f64": np.array([np.pi, -np.e], dtype="<f8"),
    "i32": np.array([-7, 2**31 - 1], dtype="<i4"),
    "i64": np.array([[-(2**62)], [5]], dtype="<i8"),
    "mask": np.array([True, False, True]),
    "scalar": np.array(3.25, dtype="<f4"),
    "empty": np.zeros((0, 4), dtype="<f4"),
}

if mode == "write":
    header, blobs, offset = {"__metadata__": {"writer": "numpy"}}, [], 0
    for name in ["mask", "scalar", "empty", "i32", "layer/kernel:0", "f64", "i64"]:
        a = expected[name]
        b = a.tobytes()
        dtype = [k for k, v in DT.items() if np.dtype(v) == a.dtype][0]
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
else:
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0, n
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    assert header.pop("__metadata__") == {"format": "tapegrad"}, "metadata"
    names = list(header)
    assert names == ["i64", "f64", "empty", "layer/kernel:0", "scalar", "i32", "mask"], names
    buf, end = raw[8 + n:], 0
    for name in names:
        info = header[name]
        b, e = info["data_offsets"]
        assert b == end, (name, b, end)
        end = e
        a = np.frombuffer(buf[b:e], dtype=DT[info["dtype"]]).reshape(info["shape"])
        assert a.dtype == expected[name].dtype and np.array_equal(a, expected[name]), (name, a)
    assert end == len(buf)
print("ok")
)PY";

TEST(SafetensorsInterop, NumpyWritesWeReadAndWeWriteNumpyReads) {
  if (::access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is not installed";
  if (std::system((std::string(kPython) + " -c 'import numpy' >/dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << "numpy is not installed for " << kPython << " (Debian package python3-numpy)";
  TempDir dir;
  const std::string script = dir.file("interop.py"), log = dir.file("log.txt");
  write_bytes(script, kInteropScript);
  auto run = [&](const std::string& mode, const std::string& path) {
    const std::string cmd = std::string(kPython) + " " + script + " " + mode + " " + path + " >" + log + " 2>&1";
    const int rc = std::system(cmd.c_str());
    EXPECT_EQ(rc, 0) << cmd << "\n" << read_bytes(log);
  };

  // numpy writes, tapegrad reads.
  const std::string from_numpy = dir.file("from_numpy.safetensors");
  run("write", from_numpy);
  const File f = File::open(from_numpy);
  ASSERT_NE(f.header().metadata_value("writer"), nullptr);
  EXPECT_EQ(*f.header().metadata_value("writer"), "numpy");
  std::vector<Entry> entries;
  for (const TensorInfo& info : f.header().tensors) entries.push_back({info.name, f.read(info)});
  ASSERT_EQ(entries.size(), 7u);
  const Tensor kernel = f.read(*f.header().find("layer/kernel:0"));
  EXPECT_EQ(kernel.shape(), (Shape{2, 3}));
  EXPECT_EQ(kernel.data<float>()[5], 1.5f);
  const Tensor i64 = f.read(*f.header().find("i64"));
  EXPECT_EQ(i64.shape(), (Shape{2, 1}));
  EXPECT_EQ(i64.data<int64_t>()[0], -(int64_t{1} << 62));
  const Tensor mask = f.read(*f.header().find("mask"));
  EXPECT_EQ(mask.dtype(), DType::boolean);
  EXPECT_EQ(mask.data<bool>()[1], false);
  EXPECT_EQ(f.read(*f.header().find("scalar")).item(), 3.25);
  EXPECT_EQ(f.read(*f.header().find("f64")).data<double>()[0], std::numbers::pi);
  EXPECT_EQ(f.read(*f.header().find("empty")).shape(), (Shape{0, 4}));

  // tapegrad writes what it read; numpy checks layout and values.
  const std::string from_tapegrad = dir.file("from_tapegrad.safetensors");
  write_file(from_tapegrad, entries, {{"format", "tapegrad"}});
  run("check", from_tapegrad);
}

}  // namespace
}  // namespace tg::safetensors
