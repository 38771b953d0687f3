/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compile-only check: the public header, alone, is valid C99 under -pedantic -Werror, and
 * its version macros agree with the CMake project version (passed in as
 * TAPEGRAD_PROJECT_VERSION_MAJOR/MINOR/PATCH by tests/c/CMakeLists.txt).
 */
#include "tapegrad/tapegrad.h"

/* C99 has no _Static_assert: a negative array size stops the build instead. */
#if defined(TAPEGRAD_PROJECT_VERSION_MAJOR) && defined(TAPEGRAD_PROJECT_VERSION_MINOR) && \
    defined(TAPEGRAD_PROJECT_VERSION_PATCH)
typedef char tg_header_version_matches_project_version
    [(TG_VERSION_MAJOR == TAPEGRAD_PROJECT_VERSION_MAJOR &&
      TG_VERSION_MINOR == TAPEGRAD_PROJECT_VERSION_MINOR &&
      TG_VERSION_PATCH == TAPEGRAD_PROJECT_VERSION_PATCH) ? 1 : -1];
#endif

/* An object file must declare something (-pedantic: "ISO C forbids an empty translation
 * unit"); this also checks that the handle types are usable as incomplete types. */
typedef struct {
  tg_tensor* tensor;
  tg_variable* variable;
  tg_tape* tape;
  tg_model* model;
  tg_optimizer* optimizer;
  tg_deleter deleter;
  tg_status status;
  tg_dtype dtype;
  tg_activation activation;
} tg_header_c99_handles;
