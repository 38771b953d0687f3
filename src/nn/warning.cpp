// SPDX-License-Identifier: Apache-2.0
#include "nn/warning.h"

#include <mutex>

namespace tg {
namespace {

// why a mutex and not two atomics: the handler and its context must change together.
std::mutex& handler_mutex() {
  static std::mutex m;
  return m;
}
WarningHandler g_handler = nullptr;
void* g_context = nullptr;

}  // namespace

void set_warning_handler(WarningHandler handler, void* context) noexcept {
  std::lock_guard lock(handler_mutex());
  g_handler = handler;
  g_context = context;
}

void warn(const std::string& message) noexcept {
  WarningHandler handler;
  void* context;
  {
    std::lock_guard lock(handler_mutex());
    handler = g_handler;
    context = g_context;
  }
  if (handler) handler(message.c_str(), context);
}

}  // namespace tg
