#include "float_math.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>

#include "dispatch.h"

// This file is compiled with -ffp-contract=off, since a fused multiply-add in one clone and
// not in another would round differently, and -fno-trapping-math, without which GCC keeps
// the selects of special values as branches and vectorises nothing.

namespace vox::detail {
namespace {

constexpr double kLog2E = 1.4426950408889634;  // 1 / ln 2
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// ln m = 2s + s z Q(z) for m in [sqrt(1/2), sqrt(2)), s = (m - 1) / (m + 1) and
// z = s^2 <= 0.0295. Q's terms here are a degree-5 Chebyshev fit of it (mpmath's chebyfit,
// rounded to double): ln m is within 7e-16 of its value.
constexpr double kLogTerms[] = {0.66666666666662078, 0.40000000011206505, 0.28571424138324159,
                                0.22222862280108716, 0.18140193802865992, 0.16621817152858928};

// 2^r for |r| <= 1/2: a degree-10 Chebyshev fit, within 3.2e-16 relative.
constexpr double kExp2Terms[] = {1.0,
                                 0.69314718055994995,
                                 0.24022650695910097,
                                 0.055504108664447722,
                                 0.0096181291076068882,
                                 0.0013333558230164974,
                                 0.0001540353044173605,
                                 1.5252657260200837e-05,
                                 1.3215442587921689e-06,
                                 1.0208690299958306e-07,
                                 7.0725859492692234e-09};

// terms[B] + x terms[B + 1] + ... + x^(C-1) terms[B + C - 1] by Estrin's scheme, where
// powers[k] = x^(2^k): halves evaluated apart, so the chain of dependent products is
// log2(C) long instead of C (Horner's rule left the loop waiting on latency, at 17 cycles
// per value). The terms shrink fast enough that the rounding stays near one ulp.
template <std::size_t B, std::size_t C, std::size_t N>
[[gnu::always_inline]] inline double estrin(const double (&terms)[N], const double* powers) {
    if constexpr (C == 1) {
        return terms[B];
    } else {
        constexpr std::size_t kHalf = std::bit_ceil(C) / 2;
        return estrin<B, kHalf>(terms, powers) +
               powers[std::countr_zero(kHalf)] * estrin<B + kHalf, C - kHalf>(terms, powers);
    }
}

template <std::size_t N>
[[gnu::always_inline]] inline double polynomial(const double (&terms)[N], double x) {
    static_assert(N <= 16);
    const double x2 = x * x;
    const double x4 = x2 * x2;
    const double powers[4] = {x, x2, x4, x4 * x4};
    return estrin<0, N>(terms, powers);
}

// log2(x) for a positive, finite, normal double.
[[gnu::always_inline]] inline double log2_positive(double x) {
    // x = m 2^e with m in [sqrt(1/2), sqrt(2)): the exponent field is read off the bits
    // after moving the cut to sqrt(1/2); 2^63 keeps the difference unsigned.
    constexpr std::uint64_t kSqrtHalf = 0x3FE6A09E667F3BCDull;
    constexpr std::uint64_t kMantissa = 0x000FFFFFFFFFFFFFull;
    const std::uint64_t moved = std::bit_cast<std::uint64_t>(x) - kSqrtHalf + (1ull << 63);
    const double m = std::bit_cast<double>((moved & kMantissa) + kSqrtHalf);
    // The exponent as a double without an integer conversion (AVX2 has no 64-bit one).
    const double e = std::bit_cast<double>(0x4330000000000000ull | (moved >> 52)) - 0x1p52 - 2048.0;
    const double f = m - 1.0;  // exact
    const double s = f / (2.0 + f);
    const double z = s * s;
    const double ln_m = (s + s) + s * (z * polynomial(kLogTerms, z));
    return e + ln_m * kLog2E;
}

// 2^t for any double (NaN gives NaN); t is clamped to [-200, 200], beyond which a float
// result is 0 or inf anyway.
[[gnu::always_inline]] inline double exp2_any(double t) {
    t = t < -200.0 ? -200.0 : t;
    t = t > 200.0 ? 200.0 : t;
    // The nearest integer k (ties to even) lands in the low bits of `shifted`.
    constexpr double kShift = 0x1.8p52;
    const double shifted = t + kShift;
    const double k = shifted - kShift;
    const double r = t - k;  // exact, in [-1/2, 1/2]
    const double p = polynomial(kExp2Terms, r);
    const double scale =
        std::bit_cast<double>((std::bit_cast<std::uint64_t>(shifted) + 1023) << 52);
    return p * scale;
}

}  // namespace

VOX_AVX512_CLONE void power_floats(const float* in, float* out, std::int64_t count,
                                   double exponent) {
    // 0 ** y: +0, or -0 for -0 when y is an odd integer (as powf).
    const bool odd = std::fmod(exponent, 2.0) == 1.0;
    // Logarithms of a block, then powers: one loop doing both was too long for the CPU to
    // overlap one step's chain of dependent operations with the next (4.2 ns a value).
    constexpr std::int64_t kBlock = 256;
    alignas(64) double scaled[kBlock];
    for (std::int64_t start = 0; start < count; start += kBlock) {
        const std::int64_t n = std::min(kBlock, count - start);
        const float* from = in + start;
        float* to = out + start;
#pragma omp simd
        for (std::int64_t i = 0; i < n; ++i) {
            const float v = from[i];
            const double safe = v > 0.0f && v < kInf ? double(v) : 1.0;
            scaled[i] = exponent * log2_positive(safe);
        }
#pragma omp simd
        for (std::int64_t i = 0; i < n; ++i) {
            const float v = from[i];
            float r = float(exp2_any(scaled[i]));
            r = v == 0.0f ? (odd ? v : 0.0f) : r;
            r = v == kInf ? kInf : r;
            to[i] = v >= 0.0f ? r : kNaN;
        }
    }
}

VOX_AVX512_CLONE void log2_floats(const float* in, float* out, std::int64_t count) {
#pragma omp simd
    for (std::int64_t i = 0; i < count; ++i) {
        const float v = in[i];
        const bool ordinary = v > 0.0f && v < kInf;
        const double safe = ordinary ? double(v) : 1.0;
        float r = float(log2_positive(safe));
        r = v == 0.0f ? -kInf : r;
        r = v == kInf ? kInf : r;
        out[i] = v >= 0.0f ? r : kNaN;
    }
}

VOX_AVX512_CLONE void exp2_floats(const float* in, float* out, std::int64_t count) {
#pragma omp simd
    for (std::int64_t i = 0; i < count; ++i)
        out[i] = float(exp2_any(double(in[i])));
}

VOX_AVX512_CLONE void exp_floats(const float* in, float* out, std::int64_t count) {
#pragma omp simd
    for (std::int64_t i = 0; i < count; ++i)
        out[i] = float(exp2_any(double(in[i]) * kLog2E));
}

}  // namespace vox::detail
