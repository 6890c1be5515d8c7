// Instruction-set dispatch at load time for a few hot loops.
#pragma once

// VOX_AVX2_CLONE gives a function an AVX2 clone beside the baseline one, and the loader picks
// the one the CPU runs (GCC's target_clones, an ifunc). Used only where 32-byte vectors were
// measured to help, and only on loops whose results cannot depend on the clone (integer
// arithmetic, min and max).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VOX_AVX2_CLONE __attribute__((target_clones("avx2", "default")))
#else
#define VOX_AVX2_CLONE
#endif

// VOX_AVX512_CLONE adds an AVX-512 clone as well, for floating-point loops that stay bound
// by arithmetic at 32-byte vectors (float32 pow, log and exp took 25% less time on a Zen 4
// core). Use it only where each lane does the same IEEE operations at every width, so that
// no result depends on the clone. gcc's avx512f target brings FMA with it: a file using
// this must be compiled with -ffp-contract=off (as float_math.cpp is).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VOX_AVX512_CLONE __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VOX_AVX512_CLONE
#endif

// Whether the CPU runs AVX2, for loops written with its intrinsics (target("avx2")).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VOX_HAS_AVX2_INTRINSICS 1
namespace vox::detail {
inline bool cpu_has_avx2() {
    static const bool supported = __builtin_cpu_supports("avx2");
    return supported;
}
}  // namespace vox::detail
#endif

namespace vox::detail {
// Whether the CPU is AMD's, for the few loops measured to want another form there.
inline bool cpu_is_amd() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    static const bool amd = __builtin_cpu_is("amd");
    return amd;
#else
    return false;
#endif
}
}  // namespace vox::detail
