#include "quantized.h"

#include "dispatch.h"

#ifdef VOX_HAS_AVX2_INTRINSICS
#include <immintrin.h>
#endif

namespace vox::detail {
namespace {

#ifdef VOX_HAS_AVX2_INTRINSICS
// Eight doubles at a time, the arithmetic of UnitKeys<double>::nearest_index and key (no
// FMA: the target is AVX2 alone, so the product and the sum round apart as in the scalar
// loop). The eight indices are narrowed with one packus and stored together. Returns how
// many values were done (a multiple of 8).
__attribute__((target("avx2"))) std::int64_t indices_avx2(const double* values, std::int64_t count,
                                                          std::uint16_t* k, bool& missed) {
    const __m256d scale = _mm256_set1_pd(65535.0), half = _mm256_set1_pd(0.5);
    const __m256d zero = _mm256_setzero_pd(), reciprocal = _mm256_set1_pd(1.0 / 65535.0);
    __m256d any = _mm256_setzero_pd();
    std::int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256d v0 = _mm256_loadu_pd(values + i);
        const __m256d v1 = _mm256_loadu_pd(values + i + 4);
        // max(NaN, 0) is 0, as nearest_index(NaN).
        const __m128i i0 = _mm256_cvttpd_epi32(_mm256_min_pd(
            _mm256_max_pd(_mm256_add_pd(_mm256_mul_pd(v0, scale), half), zero), scale));
        const __m128i i1 = _mm256_cvttpd_epi32(_mm256_min_pd(
            _mm256_max_pd(_mm256_add_pd(_mm256_mul_pd(v1, scale), half), zero), scale));
        const __m256d key0 = _mm256_mul_pd(_mm256_cvtepi32_pd(i0), reciprocal);
        const __m256d key1 = _mm256_mul_pd(_mm256_cvtepi32_pd(i1), reciprocal);
        any = _mm256_or_pd(any, _mm256_or_pd(_mm256_cmp_pd(key0, v0, _CMP_NEQ_UQ),
                                             _mm256_cmp_pd(key1, v1, _CMP_NEQ_UQ)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(k + i), _mm_packus_epi32(i0, i1));
    }
    missed = _mm256_movemask_pd(any) != 0;
    return i;
}
#endif

}  // namespace

bool unit_key_indices(const double* values, std::int64_t count, std::uint16_t* k) {
    std::int64_t done = 0;
    bool missed = false;
#ifdef VOX_HAS_AVX2_INTRINSICS
    if (cpu_has_avx2()) done = indices_avx2(values, count, k, missed);
#endif
    return UnitKeys<double>::indices_of(values + done, count - done, 1, k + done) || missed;
}

}  // namespace vox::detail
