/* SPDX-License-Identifier: Apache-2.0 */
// The regular expressions that exclude variables from weight decay, by name (Keras's
// exclude_from_weight_decay(var_names=...)): a name is matched if a pattern is found anywhere
// in it, as Python's re.search. RE2 runs them in time linear in the name, without recursion,
// so no pattern and no name can stall or crash the host; both lengths are bounded as well.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace tg {

class NamePatterns {
 public:
  static constexpr size_t kMaxPatternBytes = 1024;   // longest pattern accepted
  static constexpr size_t kMaxNameBytes = 65536;     // longest name matched against patterns

  NamePatterns() = default;
  // Compiles every pattern (RE2 syntax, UTF-8); Error(invalid_argument) naming `what` and the
  // pattern if one is too long, invalid, or too complex for RE2's memory budget.
  NamePatterns(std::span<const std::string> patterns, const char* what);

  bool empty() const { return compiled_.empty(); }
  // Whether a pattern is found in `name`; Error(invalid_argument) naming `what` if the name
  // is longer than kMaxNameBytes.
  bool found_in(std::string_view name, const char* what) const;

 private:
  std::vector<std::shared_ptr<const re2::RE2>> compiled_;
};

}  // namespace tg
