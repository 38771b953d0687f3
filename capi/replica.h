/* SPDX-License-Identifier: Apache-2.0 */
// The tg_replica argument of the C ABI as the core's Replica.
#pragma once

#include "handles.h"
#include "nn/training/replica.h"

namespace tg::capi {

// Checks struct_size, the functions, rank and size; `what` names the argument. The Replica's
// functions call the caller's, turning a status into an Error with the message the transport
// set.
Replica replica_arg(const tg_replica* replica, const char* what);

}  // namespace tg::capi
