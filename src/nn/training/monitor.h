/* SPDX-License-Identifier: Apache-2.0 */
// What EarlyStopping and ModelCheckpoint share: the monitor's mode, and their messages.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace tg {

// Whether a monitored value should go down or up; auto guesses from its name (EarlyStopping
// and ModelCheckpoint guess differently, as in Keras).
enum class MonitorMode : int { auto_ = 0, min = 1, max = 2 };

inline bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Writes a verbose message (Keras's io_utils.print_msg) to `stream`; null: nothing.
void print_message(std::FILE* stream, const std::string& text);

}  // namespace tg
