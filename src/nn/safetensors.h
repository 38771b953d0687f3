/* SPDX-License-Identifier: Apache-2.0 */
// The safetensors file format (Hugging Face): a fully validating reader for untrusted files
// and a writer that lays files out as the reference implementation does
// (huggingface/safetensors, safetensors/src/tensor.rs).
//
// Layout of a file:
//   [8 bytes]  N, u64 little-endian: the length of the header
//   [N bytes]  the header: UTF-8 JSON, an object mapping each tensor name to
//              {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, plus an
//              optional "__metadata__": {string: string}. The reference writer pads it with
//              spaces to a multiple of 8 bytes, so the data buffer starts 8-byte aligned.
//   [rest]     the data buffer: each tensor's elements, row-major, little-endian, at
//              [begin, end) relative to the buffer's start.
//
// What the reader rejects (each an Error(invalid_argument) naming the file and the problem;
// the reference's error name is in brackets):
//   - a file shorter than 8 bytes [HeaderTooSmall]; N > 100,000,000 [HeaderTooLarge]; N past
//     the end of the file [InvalidHeaderLength];
//   - a header that is not UTF-8 [InvalidHeader], does not start with '{' [InvalidHeaderStart],
//     or is not JSON [InvalidHeaderDeserialization]; duplicate keys anywhere (the reference's
//     JSON parser keeps the last one silently; we refuse the file); an empty tensor name; a
//     tensor entry with a missing, extra or mistyped field; a dtype the format does not
//     define; a shape of rank > 64; data_offsets that are not two non-negative integers;
//     "__metadata__" that is not an object of strings;
//   - tensors that do not tile the data buffer exactly: sorted by offsets, each must begin
//     where the previous ended, the first at 0 [InvalidOffset];
//   - a byte range that differs from shape × element size, computed without overflow
//     [TensorInvalidInfo, ValidationOverflow];
//   - a data buffer longer or shorter than the tensors cover: trailing garbage or a truncated
//     file [MetadataIncompleteBuffer].
// Dtypes: every dtype the format defines parses (F16, BF16, U8, …), so any valid file opens;
// read() converts only the five tapegrad has (F32, F64, I32, I64, BOOL) and refuses the
// others by name. Differences from the reference, on purpose: the '{' check (the reference
// has it written but commented out), duplicate keys, unknown fields and the rank limit.
//
// Host byte order: little-endian only (x86-64, aarch64), as the format; safetensors.cpp
// static_asserts it, so a big-endian build fails to compile instead of misreading data.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace tg::safetensors {

// The reference's limit on N.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// Our limit on the rank of a header entry (numpy allows 64 dimensions); bounds the memory a
// hostile header can make the parser allocate per entry.
constexpr size_t kMaxEntryRank = 64;

// tapegrad's dtype for a safetensors dtype name ("F32" → float32), or nullopt for the
// dtypes tapegrad does not have (and for unknown names).
std::optional<DType> dtype_from_name(std::string_view name);
// The safetensors name of a tapegrad dtype: F32, F64, I32, I64, BOOL.
std::string_view name_of(DType dtype);
// "[2, 3]": a shape as a header writes it, for messages.
std::string dims_str(std::span<const uint64_t> dims);

// One tensor entry of a header, as the file states it (validated).
struct TensorInfo {
  std::string name;
  std::string dtype;            // the file's dtype name, one the format defines
  std::vector<uint64_t> shape;  // any rank up to kMaxEntryRank
  uint64_t begin = 0;           // [begin, end): bytes in the data buffer
  uint64_t end = 0;
};

// A parsed, validated header.
struct Header {
  std::vector<TensorInfo> tensors;                            // by data offset
  std::vector<std::pair<std::string, std::string>> metadata;  // "__metadata__", by key
  uint64_t data_bytes = 0;  // the size of the data buffer the tensors tile

  // The entry named `name`, or nullptr. O(log n).
  const TensorInfo* find(std::string_view name) const;
  // The value of a "__metadata__" key, or nullptr.
  const std::string* metadata_value(std::string_view key) const;

  std::vector<uint32_t> by_name;  // indices into tensors, sorted by name (built by the parser)
};

// Parses and validates the N header bytes. `where` prefixes every error message (the file).
// Checks everything above except the comparison with the data buffer's real size.
Header parse_header(std::string_view header, std::string_view where);

// A safetensors file opened for reading: the header is parsed and validated against the
// file's size when it opens, so every byte range it lists lies inside the file.
class File {
 public:
  // Error(io_error) if the file cannot be opened or read (naming the path and strerror);
  // Error(invalid_argument) if it is not a valid safetensors file.
  static File open(const std::string& path);
  File(File&& other) noexcept;
  File& operator=(File&&) = delete;
  File(const File&) = delete;
  ~File();

  const std::string& path() const { return path_; }
  const Header& header() const { return header_; }

  // A new tensor holding the entry's elements. Error(invalid_argument) if the dtype is not
  // one of tapegrad's, the rank exceeds 8, a dimension exceeds int64, or a BOOL element is
  // not 0 or 1; Error(io_error) if reading fails.
  Tensor read(const TensorInfo& info) const;

 private:
  File(std::string path, int fd, uint64_t data_start, Header header);
  std::string path_;
  int fd_ = -1;
  uint64_t data_start_ = 0;  // 8 + N
  Header header_;
};

// A tensor to write, under a name.
struct Entry {
  std::string name;
  Tensor value;
};

// The first 8 + N bytes of the file for `entries` (the length, then the header padded with
// spaces to a multiple of 8), exactly as the reference writer makes them. Reorders `entries`
// into the reference's data order: by dtype, widest alignment first (I64, F64, F32, I32, BOOL),
// then by name (bytewise); the header lists "__metadata__" first (omitted when empty; its keys
// sorted) and then the tensors in that order. Error(invalid_argument) for an empty, non-UTF-8
// or repeated name, the name "__metadata__", an undefined tensor, or a header over the limit.
std::string serialize_header(std::vector<Entry>& entries,
                             std::vector<std::pair<std::string, std::string>> metadata);

// Writes a safetensors file at `path` atomically: into a temporary file next to it, flushed
// to disk, then renamed over `path`, so a crash leaves the old file or the new one, never
// half of one. Errors as serialize_header, and Error(io_error) naming the path and strerror.
void write_file(const std::string& path, std::vector<Entry> entries,
                std::vector<std::pair<std::string, std::string>> metadata);

}  // namespace tg::safetensors
