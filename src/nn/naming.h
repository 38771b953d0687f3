/* SPDX-License-Identifier: Apache-2.0 */
// Keras object naming: per-base counters ("dense", "dense_1", …), process-wide like Keras in
// eager mode, reset by reset_names() (tf.keras.backend.clear_session()).
#pragma once

#include <string>
#include <string_view>

namespace tg {

// The next unique name for `base`: base itself the first time, then base_1, base_2, …
std::string unique_name(std::string_view base);
void reset_names();

}  // namespace tg
