// SPDX-License-Identifier: Apache-2.0
// Library-wide queries: version, status names, thread count. Thin shims over src/.
#include <climits>
#include <cstring>
#include <string_view>

#include "handles.h"
#include "tensor/kernels.h"

namespace {

#define TG_CAPI_STRINGIFY2(x) #x
#define TG_CAPI_STRINGIFY(x) TG_CAPI_STRINGIFY2(x)
static_assert(std::string_view(TG_VERSION_STRING) ==
                  TG_CAPI_STRINGIFY(TG_VERSION_MAJOR) "." TG_CAPI_STRINGIFY(
                      TG_VERSION_MINOR) "." TG_CAPI_STRINGIFY(TG_VERSION_PATCH),
              "TG_VERSION_STRING disagrees with TG_VERSION_MAJOR/MINOR/PATCH in tapegrad.h");
#undef TG_CAPI_STRINGIFY
#undef TG_CAPI_STRINGIFY2

// The C enums mirror the core's; guard() and the dtype shims convert by value.
static_assert(TG_OK == static_cast<int>(tg::Status::ok) &&
              TG_INVALID_ARGUMENT == static_cast<int>(tg::Status::invalid_argument) &&
              TG_INVALID_HANDLE == static_cast<int>(tg::Status::invalid_handle) &&
              TG_INVALID_STATE == static_cast<int>(tg::Status::invalid_state) &&
              TG_OUT_OF_MEMORY == static_cast<int>(tg::Status::out_of_memory) &&
              TG_NO_GRADIENT == static_cast<int>(tg::Status::no_gradient) &&
              TG_IO_ERROR == static_cast<int>(tg::Status::io_error) &&
              TG_INTERNAL == static_cast<int>(tg::Status::internal) &&
              TG_TIMEOUT == static_cast<int>(tg::Status::timeout),
              "tg_status and tg::Status disagree");
static_assert(TG_FLOAT32 == static_cast<int>(tg::DType::f32) &&
              TG_FLOAT64 == static_cast<int>(tg::DType::f64) &&
              TG_INT32 == static_cast<int>(tg::DType::i32) &&
              TG_INT64 == static_cast<int>(tg::DType::i64) &&
              TG_BOOL == static_cast<int>(tg::DType::boolean) && TG_MAX_RANK == tg::kMaxRank,
              "tg_dtype / TG_MAX_RANK and tg::DType / tg::kMaxRank disagree");

// capi/CMakeLists.txt passes the CMake project version as TAPEGRAD_PROJECT_VERSION="x.y.z",
// so the header and the build (and the SONAME) cannot drift apart.
#ifdef TAPEGRAD_PROJECT_VERSION
static_assert(std::string_view(TAPEGRAD_PROJECT_VERSION) == TG_VERSION_STRING,
              "project(tapegrad VERSION ...) in CMakeLists.txt disagrees with TG_VERSION_STRING");
#endif

}  // namespace

extern "C" {

const char* tg_version(void) { return TG_VERSION_STRING; }

int tg_version_number(void) { return TG_VERSION_NUMBER; }

const char* tg_status_string(tg_status status) {
  int code;  // why: read the bits, a C caller may pass any int and loading it as the enum is UB
  std::memcpy(&code, &status, sizeof code);
  switch (code) {
    case TG_OK: return "TG_OK";
    case TG_INVALID_ARGUMENT: return "TG_INVALID_ARGUMENT";
    case TG_INVALID_HANDLE: return "TG_INVALID_HANDLE";
    case TG_INVALID_STATE: return "TG_INVALID_STATE";
    case TG_OUT_OF_MEMORY: return "TG_OUT_OF_MEMORY";
    case TG_NO_GRADIENT: return "TG_NO_GRADIENT";
    case TG_IO_ERROR: return "TG_IO_ERROR";
    case TG_INTERNAL: return "TG_INTERNAL";
    case TG_TIMEOUT: return "TG_TIMEOUT";
    default: return "TG_UNKNOWN_STATUS";
  }
}

tg_status tg_set_num_threads(size_t n) {
  return tg::capi::guard("tg_set_num_threads", [&] {
    if (n > static_cast<size_t>(INT_MAX)) tg::fail(tg::Status::invalid_argument, "{} threads are too many", n);
    tg::set_num_threads(static_cast<int>(n));
  });
}

tg_status tg_get_num_threads(size_t* out) {
  return tg::capi::guard("tg_get_num_threads", [&] {
    size_t& o = tg::capi::require_out(out, "out");
    o = static_cast<size_t>(tg::num_threads());
  });
}

}  // extern "C"
