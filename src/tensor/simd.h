/* SPDX-License-Identifier: Apache-2.0 */
// Run-time choice of wider SIMD for hot loops. The library is built for the x86-64 baseline
// (SSE2) so that one binary runs everywhere; a function marked TG_SIMD_CLONES is compiled a
// second time for AVX2, and the loader picks the version for the CPU at hand (GCC/Clang
// target_clones, an ifunc). Helpers it calls get the wider instructions only when they are
// inlined into it: mark them [[gnu::always_inline]]. On other targets, and with clang (whose
// target_clones does not take function templates, which most marked kernels are), the marker
// is empty; also under ThreadSanitizer, whose instrumented ifunc resolvers run while the
// library is being relocated, before the TSan runtime is set up, and crash the process.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define TG_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TG_SIMD_CLONES
#endif
