// SPDX-License-Identifier: Apache-2.0
#include "nn/training/monitor.h"

#include <cerrno>
#include <cstring>

#include "tensor/error.h"

namespace tg {

void print_message(std::FILE* stream, const std::string& text) {
  if (!stream) return;
  if (std::fputs(text.c_str(), stream) == EOF || std::fflush(stream) == EOF)
    fail(Status::io_error, "cannot write a callback message to its stream: {}", std::strerror(errno));
}

}  // namespace tg
