/* SPDX-License-Identifier: Apache-2.0 */
// The library's differentiable ops, as C++ functions, one header per family. Each op runs
// its OpDef through apply(), which records it on the active tapes; errors are tg::Error
// naming the op.
#pragma once

#include "autodiff/ops/binary.h"
#include "autodiff/ops/conv.h"
#include "autodiff/ops/creation.h"
#include "autodiff/ops/elementwise.h"
#include "autodiff/ops/matmul.h"
#include "autodiff/ops/movement.h"
#include "autodiff/ops/nn.h"
#include "autodiff/ops/norm.h"
#include "autodiff/ops/pool.h"
#include "autodiff/ops/reduce.h"
#include "autodiff/ops/shape.h"
#include "autodiff/ops/unary.h"
