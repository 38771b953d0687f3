/* SPDX-License-Identifier: Apache-2.0 */
// Each op family file exports its OpDefs in declaration order; op_registry() joins them.
#pragma once

#include <span>

#include "autodiff/op.h"

namespace tg::ops {

std::span<const OpDef* const> elementwise_ops();
std::span<const OpDef* const> matmul_ops();
std::span<const OpDef* const> reduce_ops();
std::span<const OpDef* const> movement_ops();
std::span<const OpDef* const> unary_ops();
std::span<const OpDef* const> binary_ops();
std::span<const OpDef* const> shape_ops();
std::span<const OpDef* const> nn_ops();
std::span<const OpDef* const> conv_ops();
std::span<const OpDef* const> pool_ops();
std::span<const OpDef* const> norm_ops();

}  // namespace tg::ops
