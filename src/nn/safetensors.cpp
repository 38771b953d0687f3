// SPDX-License-Identifier: Apache-2.0
// safetensors reading (every check listed in safetensors.h) and writing (the reference's
// layout). The header is parsed with nlohmann/json's SAX interface straight into TensorInfo
// records: no JSON tree is built, duplicate keys are seen (a tree would keep one of them
// silently), and nesting deeper than the format's schema stops the parse at once.
#include "nn/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstring>
#include <limits>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <system_error>
#include <tuple>
#include <unordered_set>

namespace tg::safetensors {

// why: the format is little-endian and File::read / write_file copy bytes as they are.
static_assert(std::endian::native == std::endian::little,
              "tapegrad's safetensors reader and writer assume a little-endian host");

namespace {

// ---- dtypes -----------------------------------------------------------------------------

struct FileDType {
  std::string_view name;
  uint64_t bits;                // element size in bits (F4 and F6 are sub-byte)
  std::optional<DType> dtype;   // tapegrad's dtype, if it has one
};

// Every dtype of the format, in the reference's enum order (increasing alignment), which is
// the order its writer sorts by (descending).
constexpr std::array<FileDType, 20> kFileDTypes{{
    {"BOOL", 8, DType::boolean}, {"F4", 4, {}},   {"F6_E2M3", 6, {}}, {"F6_E3M2", 6, {}},
    {"U8", 8, {}},               {"I8", 8, {}},   {"F8_E5M2", 8, {}}, {"F8_E4M3", 8, {}},
    {"F8_E8M0", 8, {}},          {"I16", 16, {}}, {"U16", 16, {}},    {"F16", 16, {}},
    {"BF16", 16, {}},            {"I32", 32, DType::i32},            {"U32", 32, {}},
    {"F32", 32, DType::f32},     {"C64", 64, {}}, {"F64", 64, DType::f64},
    {"I64", 64, DType::i64},     {"U64", 64, {}},
}};

const FileDType* find_file_dtype(std::string_view name) {
  for (const FileDType& d : kFileDTypes)
    if (d.name == name) return &d;
  return nullptr;
}

// Position of a tapegrad dtype in the reference's enum order.
size_t alignment_rank(DType dtype) {
  for (size_t i = 0; i < kFileDTypes.size(); ++i)
    if (kFileDTypes[i].dtype == dtype) return i;
  fail(Status::internal, "safetensors: no file dtype for {}", dtype_name(dtype));
}

// ---- small helpers ----------------------------------------------------------------------

std::string errno_text(int err) { return std::generic_category().message(err); }

// Byte offset of the first invalid UTF-8 sequence in s (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or npos if s is valid.
size_t invalid_utf8_at(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (n - i < len || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    i += len;
  }
  return std::string_view::npos;
}

uint64_t load_u64_le(const unsigned char* b) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

void store_u64_le(uint64_t v, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

// ---- the header parser (SAX) --------------------------------------------------------------

using Json = nlohmann::json;

// Receives nlohmann's SAX events for the header and builds the TensorInfo records, checking
// the schema as it goes. A callback that finds a problem stores it in `error` and returns
// false, which stops the parse.
class HeaderSax {
 public:
  explicit HeaderSax(std::string_view where) : where_(where) {}

  std::string error;
  std::vector<TensorInfo> tensors;
  std::vector<std::pair<std::string, std::string>> metadata;
  bool done() const { return state_ == State::done; }

  bool null() {
    if (state_ == State::root_value && is_metadata_key_) {  // "__metadata__": null is allowed
      state_ = State::root;
      return true;
    }
    return unexpected("null");
  }
  bool boolean(bool) { return unexpected("a boolean"); }
  bool number_integer(Json::number_integer_t v) {
    if (v < 0) return unexpected("a negative integer");
    return number_unsigned(static_cast<uint64_t>(v));  // "-0"
  }
  bool number_unsigned(Json::number_unsigned_t v) {
    if (state_ == State::shape) {
      if (current_.shape.size() == kMaxEntryRank)
        return failure(fmt::format("tensor '{}' has a shape of rank above {}", current_.name,
                                   kMaxEntryRank));
      current_.shape.push_back(v);
      return true;
    }
    if (state_ == State::offsets) {
      if (offsets_seen_ == 2) return failure(offsets_problem());
      (offsets_seen_++ == 0 ? current_.begin : current_.end) = v;
      return true;
    }
    return unexpected("an integer");
  }
  bool number_float(Json::number_float_t, const Json::string_t&) {
    return unexpected("a number that is not a 64-bit unsigned integer");
  }
  bool string(Json::string_t& s) {
    if (state_ == State::meta_value) {
      metadata.emplace_back(std::move(meta_key_), std::move(s));
      state_ = State::meta;
      return true;
    }
    if (state_ == State::entry_value && field_ == Field::dtype) {
      if (!find_file_dtype(s))
        return failure(fmt::format("tensor '{}' has unknown dtype '{}'", current_.name, s));
      current_.dtype = std::move(s);
      state_ = State::entry;
      return true;
    }
    return unexpected("a string");
  }
  bool binary(Json::binary_t&) { return unexpected("binary data"); }

  bool start_object(std::size_t) {
    switch (state_) {
      case State::start: state_ = State::root; return true;
      case State::root_value:
        if (is_metadata_key_) {
          state_ = State::meta;
          return true;
        }
        current_ = TensorInfo{};
        current_.name = std::move(root_key_);
        fields_seen_ = 0;
        state_ = State::entry;
        return true;
      default: return unexpected("an object");
    }
  }
  bool key(Json::string_t& k) {
    switch (state_) {
      case State::root:
        if (!root_keys_.insert(k).second)
          return failure(fmt::format("the header has the key '{}' twice", k));
        is_metadata_key_ = k == "__metadata__";
        if (!is_metadata_key_ && k.empty()) return failure("the header has a tensor with an empty name");
        root_key_ = std::move(k);
        state_ = State::root_value;
        return true;
      case State::meta:
        if (!meta_keys_.insert(k).second)
          return failure(fmt::format("'__metadata__' has the key '{}' twice", k));
        meta_key_ = std::move(k);
        state_ = State::meta_value;
        return true;
      case State::entry: {
        Field f;
        if (k == "dtype") f = Field::dtype;
        else if (k == "shape") f = Field::shape;
        else if (k == "data_offsets") f = Field::data_offsets;
        else
          return failure(fmt::format("tensor '{}' has an unknown field '{}' (expected dtype, shape, "
                                     "data_offsets)", current_.name, k));
        const unsigned bit = 1u << static_cast<int>(f);
        if (fields_seen_ & bit)
          return failure(fmt::format("tensor '{}' has the field '{}' twice", current_.name, k));
        fields_seen_ |= bit;
        field_ = f;
        state_ = State::entry_value;
        return true;
      }
      default: return failure("unexpected key");  // unreachable: keys come inside objects
    }
  }
  bool end_object() {
    switch (state_) {
      case State::root: state_ = State::done; return true;
      case State::meta: state_ = State::root; return true;
      case State::entry:
        for (Field f : {Field::dtype, Field::shape, Field::data_offsets})
          if (!(fields_seen_ & (1u << static_cast<int>(f))))
            return failure(fmt::format("tensor '{}' has no '{}'", current_.name, field_name(f)));
        tensors.push_back(std::move(current_));
        state_ = State::root;
        return true;
      default: return failure("unexpected end of object");  // unreachable
    }
  }
  bool start_array(std::size_t) {
    if (state_ == State::entry_value && field_ == Field::shape) {
      state_ = State::shape;
      return true;
    }
    if (state_ == State::entry_value && field_ == Field::data_offsets) {
      offsets_seen_ = 0;
      state_ = State::offsets;
      return true;
    }
    return unexpected("an array");
  }
  bool end_array() {
    if (state_ == State::shape) {
      state_ = State::entry;
      return true;
    }
    if (state_ == State::offsets) {
      if (offsets_seen_ != 2) return failure(offsets_problem());
      state_ = State::entry;
      return true;
    }
    return failure("unexpected end of array");  // unreachable
  }
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& ex) {
    // nlohmann's text is "[json.exception.parse_error.101] parse error at line 1, column 9: ...".
    std::string_view what = ex.what();
    if (const size_t close = what.find("] "); !what.empty() && what[0] == '[' && close != what.npos)
      what.remove_prefix(close + 2);
    error = fmt::format("{}: the header is not valid JSON: {}", where_, what);
    return false;
  }

 private:
  enum class State { start, root, root_value, meta, meta_value, entry, entry_value, shape, offsets, done };
  enum class Field { dtype = 0, shape = 1, data_offsets = 2 };

  static std::string_view field_name(Field f) {
    switch (f) {
      case Field::dtype: return "dtype";
      case Field::shape: return "shape";
      case Field::data_offsets: return "data_offsets";
    }
    return "";
  }

  bool failure(std::string message) {
    error = fmt::format("{}: {}", where_, message);
    return false;
  }
  std::string offsets_problem() const {
    return fmt::format("tensor '{}': 'data_offsets' must be two non-negative integers [begin, end]",
                       current_.name);
  }
  // A value of kind `got` where the schema wants something else.
  bool unexpected(std::string_view got) {
    switch (state_) {
      case State::start:
        return failure(fmt::format("the header must be a JSON object, not {}", got));
      case State::root_value:
        if (is_metadata_key_)
          return failure(fmt::format("'__metadata__' must be an object of strings, not {}", got));
        return failure(fmt::format("tensor '{}' must be an object {{dtype, shape, data_offsets}}, not {}",
                                   root_key_, got));
      case State::meta_value:
        return failure(fmt::format("'__metadata__' value of '{}' must be a string, not {}", meta_key_, got));
      case State::entry_value:
        if (field_ == Field::dtype)
          return failure(fmt::format("tensor '{}': 'dtype' must be a string, not {}", current_.name, got));
        if (field_ == Field::shape)
          return failure(fmt::format("tensor '{}': 'shape' must be an array of non-negative integers, "
                                     "not {}", current_.name, got));
        return failure(offsets_problem());
      case State::shape:
        return failure(fmt::format("tensor '{}': 'shape' must be an array of non-negative integers, "
                                   "but holds {}", current_.name, got));
      case State::offsets: return failure(offsets_problem());
      default: return failure(fmt::format("unexpected {} in the header", got));
    }
  }

  std::string where_;
  State state_ = State::start;
  std::unordered_set<std::string> root_keys_, meta_keys_;
  std::string root_key_, meta_key_;
  bool is_metadata_key_ = false;
  TensorInfo current_;
  Field field_ = Field::dtype;
  unsigned fields_seen_ = 0;
  int offsets_seen_ = 0;
};

// Bytes of `info` from its dtype and shape; fails on overflow or a sub-byte remainder.
uint64_t expected_bytes(const TensorInfo& info, uint64_t bits, std::string_view where) {
  uint64_t n = 1;
  for (uint64_t d : info.shape)
    if (__builtin_mul_overflow(n, d, &n))
      fail(Status::invalid_argument, "{}: tensor '{}': shape {} overflows a 64-bit element count",
           where, info.name, dims_str(info.shape));
  uint64_t total_bits;
  if (__builtin_mul_overflow(n, bits, &total_bits))
    fail(Status::invalid_argument, "{}: tensor '{}': {} elements of dtype {} overflow a 64-bit size",
         where, info.name, n, info.dtype);
  if (total_bits % 8 != 0)
    fail(Status::invalid_argument, "{}: tensor '{}': {} elements of dtype {} are not a whole number "
         "of bytes", where, info.name, n, info.dtype);
  return total_bits / 8;
}

// ---- file descriptors ---------------------------------------------------------------------

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

// Reads exactly n bytes at `offset`; `path` names the file in errors.
void read_exact(int fd, void* dst, size_t n, uint64_t offset, const std::string& path) {
  auto* p = static_cast<char*>(dst);
  while (n > 0) {
    const size_t chunk = std::min<size_t>(n, size_t{1} << 30);
    const ssize_t r = ::pread(fd, p, chunk, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      fail(Status::io_error, "cannot read '{}': {}", path, errno_text(errno));
    }
    if (r == 0)
      fail(Status::io_error, "cannot read '{}': unexpected end of file at byte {} (did the file "
           "change while it was read?)", path, offset);
    p += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
}

// Writes all n bytes; returns 0 or an errno value.
int write_all(int fd, const void* src, size_t n) {
  const auto* p = static_cast<const char*>(src);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, std::min<size_t>(n, size_t{1} << 30));
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return 0;
}

}  // namespace

// ---- dtypes -------------------------------------------------------------------------------

std::optional<DType> dtype_from_name(std::string_view name) {
  const FileDType* d = find_file_dtype(name);
  return d ? d->dtype : std::nullopt;
}

std::string_view name_of(DType dtype) { return kFileDTypes[alignment_rank(dtype)].name; }

std::string dims_str(std::span<const uint64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s.append(i ? ", " : "").append(std::to_string(dims[i]));
  return s + "]";
}

// ---- Header -------------------------------------------------------------------------------

const TensorInfo* Header::find(std::string_view name) const {
  const auto it = std::lower_bound(by_name.begin(), by_name.end(), name,
                                   [&](uint32_t i, std::string_view n) { return tensors[i].name < n; });
  return it != by_name.end() && tensors[*it].name == name ? &tensors[*it] : nullptr;
}

const std::string* Header::metadata_value(std::string_view key) const {
  for (const auto& [k, v] : metadata)
    if (k == key) return &v;
  return nullptr;
}

Header parse_header(std::string_view text, std::string_view where) {
  if (const size_t at = invalid_utf8_at(text); at != std::string_view::npos)
    fail(Status::invalid_argument, "{}: the header is not valid UTF-8 (byte {} of the header)", where, at);
  if (text.empty() || text.front() != '{')
    fail(Status::invalid_argument, "{}: the header does not start with '{{'", where);

  // why: nlohmann's lexer takes a NUL byte for the end of the input, so "{...}\0garbage"
  // would pass; JSON text never contains a raw NUL (strings must escape it).
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos)
    fail(Status::invalid_argument, "{}: the header is not valid JSON: a NUL byte at byte {}", where, nul);
  HeaderSax sax(where);
  const bool ok = Json::sax_parse(text.begin(), text.end(), &sax, nlohmann::json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (!ok || !sax.done())
    fail(Status::invalid_argument, "{}", sax.error.empty() ? fmt::format("{}: the header is not valid JSON", where)
                                                           : sax.error);
  if (sax.tensors.size() > std::numeric_limits<uint32_t>::max())
    fail(Status::invalid_argument, "{}: too many tensors ({})", where, sax.tensors.size());

  Header h;
  h.tensors = std::move(sax.tensors);
  h.metadata = std::move(sax.metadata);
  std::sort(h.metadata.begin(), h.metadata.end());
  // As the reference: order by data_offsets (files may list entries in any order); names
  // break ties between empty tensors so the order does not depend on the JSON's.
  std::sort(h.tensors.begin(), h.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t at = 0;
  for (const TensorInfo& t : h.tensors) {
    if (t.end < t.begin)
      fail(Status::invalid_argument, "{}: tensor '{}' has data_offsets [{}, {}] that end before they begin",
           where, t.name, t.begin, t.end);
    if (t.begin != at)
      fail(Status::invalid_argument,
           "{}: tensor '{}' has data_offsets [{}, {}], but the tensors before it end at byte {}: the "
           "tensors must tile the data buffer in order, without gaps or overlaps",
           where, t.name, t.begin, t.end, at);
    at = t.end;
    const uint64_t need = expected_bytes(t, find_file_dtype(t.dtype)->bits, where);
    if (t.end - t.begin != need)
      fail(Status::invalid_argument,
           "{}: tensor '{}' of dtype {} and shape {} needs {} bytes, but data_offsets [{}, {}] hold {}",
           where, t.name, t.dtype, dims_str(t.shape), need, t.begin, t.end, t.end - t.begin);
  }
  h.data_bytes = at;
  h.by_name.resize(h.tensors.size());
  for (uint32_t i = 0; i < h.by_name.size(); ++i) h.by_name[i] = i;
  std::sort(h.by_name.begin(), h.by_name.end(),
            [&](uint32_t a, uint32_t b) { return h.tensors[a].name < h.tensors[b].name; });
  return h;
}

// ---- File ---------------------------------------------------------------------------------

File::File(std::string path, int fd, uint64_t data_start, Header header)
    : path_(std::move(path)), fd_(fd), data_start_(data_start), header_(std::move(header)) {}

File::File(File&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      data_start_(other.data_start_),
      header_(std::move(other.header_)) {}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

File File::open(const std::string& path) {
  // why O_NONBLOCK: opening a FIFO would otherwise wait for a writer; it is refused below.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.fd < 0) fail(Status::io_error, "cannot open '{}': {}", path, errno_text(errno));
  struct stat st{};
  if (::fstat(fd.fd, &st) != 0) fail(Status::io_error, "cannot stat '{}': {}", path, errno_text(errno));
  if (!S_ISREG(st.st_mode)) fail(Status::io_error, "cannot read '{}': not a regular file", path);
  const auto size = static_cast<uint64_t>(st.st_size);
  const std::string where = fmt::format("safetensors file '{}'", path);

  if (size < 8)
    fail(Status::invalid_argument, "{}: the file has {} bytes, fewer than the 8-byte header length",
         where, size);
  unsigned char prefix[8];
  read_exact(fd.fd, prefix, 8, 0, path);
  const uint64_t n = load_u64_le(prefix);
  if (n > kMaxHeaderBytes)
    fail(Status::invalid_argument, "{}: header length {} exceeds the limit of {} bytes", where, n,
         kMaxHeaderBytes);
  if (n > size - 8)
    fail(Status::invalid_argument, "{}: header length {} runs past the end of the file ({} bytes)",
         where, n, size);
  std::string text(n, '\0');
  read_exact(fd.fd, text.data(), n, 8, path);
  Header header = parse_header(text, where);
  const uint64_t buffer = size - 8 - n;
  if (buffer != header.data_bytes)
    fail(Status::invalid_argument,
         "{}: the tensors cover {} bytes of data, but the file holds {} bytes after the header ({})",
         where, header.data_bytes, buffer,
         buffer > header.data_bytes ? "trailing bytes" : "the file is truncated");
  return File(path, fd.release(), 8 + n, std::move(header));
}

Tensor File::read(const TensorInfo& info) const {
  const std::optional<DType> dtype = dtype_from_name(info.dtype);
  if (!dtype)
    fail(Status::invalid_argument,
         "safetensors file '{}': tensor '{}' has dtype {}, which tapegrad does not support (it reads "
         "F32, F64, I32, I64, BOOL)", path_, info.name, info.dtype);
  if (info.shape.size() > static_cast<size_t>(kMaxRank))
    fail(Status::invalid_argument, "safetensors file '{}': tensor '{}' has rank {}, above tapegrad's maximum {}",
         path_, info.name, info.shape.size(), kMaxRank);
  Shape shape;
  for (uint64_t d : info.shape) {
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail(Status::invalid_argument, "safetensors file '{}': tensor '{}' has dimension {}, above int64",
           path_, info.name, d);
    shape.push_back(static_cast<int64_t>(d));
  }
  Tensor t = Tensor::empty(shape, *dtype);
  read_exact(fd_, t.mutable_raw(), t.nbytes(), data_start_ + info.begin, path_);
  if (*dtype == DType::boolean) {
    const auto* b = static_cast<const unsigned char*>(t.raw());
    for (size_t i = 0, n = t.nbytes(); i < n; ++i)
      if (b[i] > 1)
        fail(Status::invalid_argument, "safetensors file '{}': tensor '{}' (BOOL) holds {} at element {}, "
             "not 0 or 1", path_, info.name, static_cast<unsigned>(b[i]), i);
  }
  return t;
}

// ---- writing ------------------------------------------------------------------------------

std::string serialize_header(std::vector<Entry>& entries,
                             std::vector<std::pair<std::string, std::string>> metadata) {
  std::unordered_set<std::string_view> names;
  for (const Entry& e : entries) {
    if (!e.value) fail(Status::invalid_argument, "safetensors: tensor '{}' is undefined", e.name);
    if (e.name.empty()) fail(Status::invalid_argument, "safetensors: a tensor name is empty");
    if (e.name == "__metadata__")
      fail(Status::invalid_argument, "safetensors: '__metadata__' is reserved and cannot name a tensor");
    if (invalid_utf8_at(e.name) != std::string_view::npos)
      fail(Status::invalid_argument, "safetensors: tensor name '{}' is not valid UTF-8", e.name);
    if (!names.insert(e.name).second)
      fail(Status::invalid_argument, "safetensors: two tensors are named '{}'", e.name);
  }
  std::sort(metadata.begin(), metadata.end());
  for (size_t i = 0; i < metadata.size(); ++i) {
    const auto& [k, v] = metadata[i];
    if (invalid_utf8_at(k) != std::string_view::npos || invalid_utf8_at(v) != std::string_view::npos)
      fail(Status::invalid_argument, "safetensors: metadata '{}' is not valid UTF-8", k);
    if (i > 0 && metadata[i - 1].first == k)
      fail(Status::invalid_argument, "safetensors: metadata key '{}' appears twice", k);
  }

  // The reference's data order: widest alignment first, then by name.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    const size_t ra = alignment_rank(a.value.dtype()), rb = alignment_rank(b.value.dtype());
    return ra != rb ? ra > rb : a.name < b.name;
  });

  // The JSON text is written directly, as nlohmann's compact dump() of the object would be.
  // why not a json DOM: destroying a json object or array allocates (nlohmann flattens the
  // recursion onto a heap stack), so an out-of-memory error while building one ended in
  // std::terminate (found by the allocation-failure test). A json string allocates nothing
  // when destroyed, so quoting names through one is safe.
  const auto quoted = [](const std::string& s) { return Json(s).dump(); };
  std::string text = "{";
  if (!metadata.empty()) {
    text += "\"__metadata__\":{";
    for (size_t i = 0; i < metadata.size(); ++i)
      text += fmt::format("{}{}:{}", i ? "," : "", quoted(metadata[i].first), quoted(metadata[i].second));
    text += "}";
  }
  uint64_t offset = 0;
  for (const Entry& e : entries) {
    const uint64_t end = offset + e.value.nbytes();
    text += fmt::format("{}{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
                        text.size() > 1 ? "," : "", quoted(e.name), name_of(e.value.dtype()),
                        fmt::join(e.value.shape().dims(), ","), offset, end);
    offset = end;
  }
  text += "}";
  text.resize((text.size() + 7) / 8 * 8, ' ');  // the reference pads to 8 bytes with spaces
  if (text.size() > kMaxHeaderBytes)
    fail(Status::invalid_argument, "safetensors: the header would take {} bytes, above the limit of {}",
         text.size(), kMaxHeaderBytes);
  std::string out(8, '\0');
  store_u64_le(text.size(), out.data());
  return out + text;
}

void write_file(const std::string& path, std::vector<Entry> entries,
                std::vector<std::pair<std::string, std::string>> metadata) {
  const std::string head = serialize_header(entries, std::move(metadata));

  // A unique temporary name next to `path`, so the final rename stays within one file system.
  static std::atomic<uint64_t> counter{0};
  const std::string tmp = fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter.fetch_add(1));
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (fd.fd < 0)
    fail(Status::io_error, "cannot write '{}' (creating '{}'): {}", path, tmp, errno_text(errno));
  // Removes the temporary file unless it was renamed into place.
  struct Cleanup {
    const std::string& name;
    bool armed = true;
    ~Cleanup() {
      if (armed) ::unlink(name.c_str());
    }
  } cleanup{tmp};

  int err = write_all(fd.fd, head.data(), head.size());
  for (size_t i = 0; i < entries.size() && err == 0; ++i)
    err = write_all(fd.fd, entries[i].value.raw(), entries[i].value.nbytes());
  if (err == 0 && ::fsync(fd.fd) != 0) err = errno;
  if (err != 0) fail(Status::io_error, "cannot write '{}' (writing '{}'): {}", path, tmp, errno_text(err));
  if (::close(fd.release()) != 0)
    fail(Status::io_error, "cannot write '{}' (closing '{}'): {}", path, tmp, errno_text(errno));
  // The directory, for making the rename durable; named before the rename, so nothing can
  // fail after it (an allocation failing there once reported an error for a completed save).
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    fail(Status::io_error, "cannot write '{}' (renaming '{}' to it): {}", path, tmp, errno_text(errno));
  cleanup.armed = false;

  // Makes the rename itself durable. Best effort: the new file is already in place.
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.fd >= 0) (void)::fsync(dir_fd.fd);
}

}  // namespace tg::safetensors
