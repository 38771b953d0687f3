/* SPDX-License-Identifier: Apache-2.0 */
// Scopes (tg_scope_begin / tg_scope_end / tg_scope_keep): every handle created on a thread
// while one of its scopes is open belongs to the innermost one, and is freed when that scope
// ends unless it was freed before or kept. The handle table calls the two hooks below.
#pragma once

#include <atomic>
#include <cstddef>

namespace tg::capi {

struct HandleBase;

// The number of scopes open on all threads, and of handles that scopes hold: while they are
// 0 the hooks return at once (programs without scopes pay two loads per handle).
extern std::atomic<size_t> g_open_scopes;
extern std::atomic<size_t> g_scoped_handles;

void scope_adopt_slow(HandleBase* h);
void scope_forget_slow(HandleBase* h);

// A new handle: it joins this thread's innermost open scope, if any.
inline void scope_adopt(HandleBase* h) {
  if (g_open_scopes.load(std::memory_order_acquire) != 0) scope_adopt_slow(h);
}
// A handle about to be freed: it leaves its scope, whichever thread's it is.
inline void scope_forget(HandleBase* h) {
  if (g_scoped_handles.load(std::memory_order_acquire) != 0) scope_forget_slow(h);
}

}  // namespace tg::capi
