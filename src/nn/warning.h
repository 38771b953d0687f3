/* SPDX-License-Identifier: Apache-2.0 */
// Warnings from the library (e.g. Keras's "Gradients do not exist for variables ..."):
// library code never prints; it hands the text to one process-wide handler, which the C API
// sets with tg_set_warning_handler. No handler (the default): warnings are dropped.
#pragma once

#include <string>

namespace tg {

using WarningHandler = void (*)(const char* message, void* context);

// Replaces the handler (NULL: drop warnings). Thread-safe; affects the whole process.
void set_warning_handler(WarningHandler handler, void* context) noexcept;

// Calls the current handler with `message` on the calling thread, outside any lock (the
// handler may call set_warning_handler). Never throws.
void warn(const std::string& message) noexcept;

}  // namespace tg
