/* SPDX-License-Identifier: Apache-2.0 */
// The one error type of the C++ core. capi/ turns it into a tg_status and a message.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace tg {

// Mirrors tg_status in include/tapegrad/tapegrad.h; the values must stay equal.
enum class Status : int {
  ok = 0,
  invalid_argument = 1,  // a value, shape or dtype the function cannot accept
  invalid_handle = 2,    // NULL, freed, or a handle of another type
  invalid_state = 3,     // the call is not allowed now (e.g. a used non-persistent tape)
  out_of_memory = 4,
  no_gradient = 5,       // an op on the path has no registered gradient rule
  io_error = 6,
  internal = 7,
  timeout = 8,           // a collective of distributed training did not complete in time
};

class Error : public std::runtime_error {
 public:
  Error(Status code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}
  Status code() const { return code_; }

 private:
  Status code_;
};

template <class... Args>
[[noreturn]] void fail(Status code, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(code, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace tg
