// SPDX-License-Identifier: Apache-2.0
#include "nn/naming.h"

#include <map>
#include <mutex>

namespace tg {
namespace {

struct Counters {
  std::mutex mutex;
  std::map<std::string, int, std::less<>> next;
};

Counters& counters() {
  static Counters c;
  return c;
}

}  // namespace

std::string unique_name(std::string_view base) {
  Counters& c = counters();
  std::lock_guard lock(c.mutex);
  auto it = c.next.find(base);
  if (it == c.next.end()) it = c.next.emplace(std::string(base), 0).first;
  const int n = it->second++;
  return n == 0 ? std::string(base) : std::string(base) + "_" + std::to_string(n);
}

void reset_names() {
  Counters& c = counters();
  std::lock_guard lock(c.mutex);
  c.next.clear();
}

}  // namespace tg
