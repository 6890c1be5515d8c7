#include "uniform_bins.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "dispatch.h"

#ifdef VOX_HAS_AVX2_INTRINSICS
#include <immintrin.h>
#endif

namespace vox::detail {
namespace {

// The scalar form of the test, which the AVX2 loop reproduces lane by lane: the scaled value
// f = (v - first) * norm must lie in [0, count), and its fraction within 0.5 - margin of 0.5.
template <typename T>
std::int32_t sure_bin(T value, const UniformBins& bins) {
    const double scaled = (double(value) - bins.first) * bins.norm;
    if (!(scaled >= 0.0 && scaled < bins.count)) return -1;
    const auto bin = std::int32_t(scaled);
    const double fraction = scaled - double(bin);
    return std::abs(fraction - 0.5) <= 0.5 - bins.margin ? bin : -1;
}

#ifdef VOX_HAS_AVX2_INTRINSICS
// Four doubles: the bins, or -1. Lanes with f < 0 need no test of their own: truncation
// toward zero leaves them a fraction in (-1, 0], and NaN, infinities and values beyond
// int32 (truncated to INT32_MIN) a fraction that fails too.
__attribute__((target("avx2"))) inline __m128i sure_bins4(__m256d v, __m256d first, __m256d norm,
                                                          __m256d count, __m256d half_width) {
    const __m256d half = _mm256_set1_pd(0.5), minus_one = _mm256_set1_pd(-1.0);
    const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFF));
    const __m256d scaled = _mm256_mul_pd(_mm256_sub_pd(v, first), norm);
    const __m256d whole = _mm256_cvtepi32_pd(_mm256_cvttpd_epi32(scaled));
    const __m256d off_centre =
        _mm256_and_pd(_mm256_sub_pd(_mm256_sub_pd(scaled, whole), half), abs_mask);
    const __m256d sure = _mm256_and_pd(_mm256_cmp_pd(off_centre, half_width, _CMP_LE_OQ),
                                       _mm256_cmp_pd(scaled, count, _CMP_LT_OQ));
    return _mm256_cvttpd_epi32(_mm256_blendv_pd(minus_one, whole, sure));
}

// Eight values at a time; returns how many were done (a multiple of 8).
template <typename T>
__attribute__((target("avx2"))) std::int64_t sure_bins_avx2(const T* values, std::int64_t n,
                                                            const UniformBins& bins,
                                                            std::int32_t* out, bool& any_unsure) {
    __m128i unsure = _mm_setzero_si128();  // the sign bits of -1
    const __m256d first = _mm256_set1_pd(bins.first), norm = _mm256_set1_pd(bins.norm);
    const __m256d count = _mm256_set1_pd(bins.count);
    const __m256d half_width = _mm256_set1_pd(0.5 - bins.margin);
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256d low, high;
        if constexpr (sizeof(T) == 4) {
            const __m256 v = _mm256_loadu_ps(values + i);
            low = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
            high = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
        } else {
            low = _mm256_loadu_pd(values + i);
            high = _mm256_loadu_pd(values + i + 4);
        }
        const __m128i bins_low = sure_bins4(low, first, norm, count, half_width);
        const __m128i bins_high = sure_bins4(high, first, norm, count, half_width);
        unsure = _mm_or_si128(unsure, _mm_or_si128(bins_low, bins_high));
        auto* target = reinterpret_cast<__m128i*>(out + i);
        _mm_storeu_si128(target, bins_low);
        _mm_storeu_si128(target + 1, bins_high);
    }
    any_unsure = _mm_movemask_ps(_mm_castsi128_ps(unsure)) != 0;
    return i;
}
#endif

}  // namespace

template <typename T>
double uniform_margin(const T* edges, std::int64_t count, double first, double norm) {
    constexpr double kNever = 1.0;
    if (!(std::isfinite(first) && std::isfinite(norm) && norm > 0.0)) return kNever;
    double deviation = 0.0;
    for (std::int64_t k = 0; k <= count; ++k) {
        if (k > 0 && !(edges[k] >= edges[k - 1])) return kNever;
        const double distance = std::abs((double(edges[k]) - first) * norm - double(k));
        if (!(distance <= 0.5)) return kNever;
        deviation = std::max(deviation, distance);
    }
    // Each scaled value and each distance is off by at most a few roundings of a number
    // below count + 2 bins: 16 of them is ample.
    return deviation + 16.0 * DBL_EPSILON * double(count + 2);
}

template <typename T>
bool sure_bins(const T* values, std::int64_t n, const UniformBins& bins, std::int32_t* out) {
    std::int64_t i = 0;
    bool any_unsure = false;
#ifdef VOX_HAS_AVX2_INTRINSICS
    if (cpu_has_avx2()) i = sure_bins_avx2(values, n, bins, out, any_unsure);
#endif
    for (; i < n; ++i) {
        out[i] = sure_bin(values[i], bins);
        any_unsure |= out[i] < 0;
    }
    return any_unsure;
}

template double uniform_margin<float>(const float*, std::int64_t, double, double);
template double uniform_margin<double>(const double*, std::int64_t, double, double);
template bool sure_bins<float>(const float*, std::int64_t, const UniformBins&, std::int32_t*);
template bool sure_bins<double>(const double*, std::int64_t, const UniformBins&, std::int32_t*);

}  // namespace vox::detail
