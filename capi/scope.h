// Scopes (tg_scope_begin / tg_scope_end / tg_scope_keep): every handle created on a thread
// while one of its scopes is open belongs to the innermost one, and is freed when that scope
// ends unless it was freed before or kept. The handle table calls the two hooks below.
#pragma once

namespace tg::capi {

struct HandleBase;

// A new handle: it joins this thread's innermost open scope, if any.
void scope_adopt(HandleBase* h);
// A handle about to be freed: it leaves its scope, whichever thread's it is.
void scope_forget(const HandleBase* h);

}  // namespace tg::capi
