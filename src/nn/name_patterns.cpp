// SPDX-License-Identifier: Apache-2.0
#include "nn/name_patterns.h"

#include <re2/re2.h>

#include "tensor/error.h"

namespace tg {

NamePatterns::NamePatterns(std::span<const std::string> patterns, const char* what) {
  RE2::Options options;
  options.set_log_errors(false);  // why: RE2 would print the error to stderr; we return it
  for (const std::string& p : patterns) {
    if (p.size() > kMaxPatternBytes)
      fail(Status::invalid_argument, "{}: a pattern of {} bytes is longer than the limit of {} bytes ('{}…')", what,
           p.size(), kMaxPatternBytes, p.substr(0, 40));
    auto re = std::make_shared<const RE2>(p, options);
    if (!re->ok())
      fail(Status::invalid_argument, "{}: invalid regular expression '{}': {}", what, p, re->error());
    compiled_.push_back(std::move(re));
  }
}

bool NamePatterns::found_in(std::string_view name, const char* what) const {
  if (compiled_.empty()) return false;
  if (name.size() > kMaxNameBytes)
    fail(Status::invalid_argument,
         "{}: a variable name of {} bytes ('{}…') is longer than the {} bytes that name patterns are matched against",
         what, name.size(), name.substr(0, 40), kMaxNameBytes);
  for (const auto& re : compiled_)
    if (RE2::PartialMatch(re2::StringPiece(name.data(), name.size()), *re)) return true;
  return false;
}

}  // namespace tg
