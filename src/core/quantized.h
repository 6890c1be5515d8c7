// The values img_as_float makes from 16-bit data, k * (1 / 65535) in the float type: the
// gallery tutorial's data. Ops that cost a pow, a search or a selection per value find
// each value's key k instead and work on 65536 keys (exposure tables, histograms,
// percentiles). A value is taken as key k only if it is that very number, so nothing a
// key gives differs from what the value gives.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "value_counts.h"

namespace vox::detail {

template <typename T>
struct UnitKeys {
    static_assert(std::is_floating_point_v<T>);
    static constexpr std::int64_t kCount = 65536;

    // As img_as_float computes it: k times the reciprocal, in T.
    static T key(std::int64_t k) { return T(k) * T(1.0 / 65535.0); }

    // The k whose key is nearest v, clamped to the keys (0 for NaN).
    static std::int64_t nearest_index(T v) {
        const double scaled = double(v) * 65535.0 + 0.5;
        return std::int64_t(scaled > 0.0 ? std::min(scaled, 65535.0) : 0.0);
    }

    // k[i] = nearest_index(values[i * stride]); true if any value is not key(k[i]).
    static bool indices_of(const T* values, std::int64_t count, std::int64_t stride,
                           std::uint16_t* k) {
        bool missed = false;
        for (std::int64_t i = 0; i < count; ++i) {
            const T v = values[i * stride];
            const std::int64_t index = nearest_index(v);
            k[i] = std::uint16_t(index);
            missed |= key(index) != v;
        }
        return missed;
    }

    // The same for packed values, two doubles at a time where SSE2 is (the scalar loop's
    // conversions keep gcc from vectorising it; the arithmetic is the same).
    static bool indices_of(const T* values, std::int64_t count, std::uint16_t* k) {
        std::int64_t i = 0;
        bool missed = false;
#if defined(__SSE2__)
        if constexpr (std::is_same_v<T, double>) {
            const __m128d scale = _mm_set1_pd(65535.0), half = _mm_set1_pd(0.5);
            const __m128d zero = _mm_setzero_pd(), reciprocal = _mm_set1_pd(1.0 / 65535.0);
            __m128d any = _mm_setzero_pd();
            for (; i + 2 <= count; i += 2) {
                const __m128d v = _mm_loadu_pd(values + i);
                // max(NaN, 0) is 0, as nearest_index(NaN).
                const __m128d clamped =
                    _mm_min_pd(_mm_max_pd(_mm_add_pd(_mm_mul_pd(v, scale), half), zero), scale);
                const __m128i index = _mm_cvttpd_epi32(clamped);
                const __m128d key = _mm_mul_pd(_mm_cvtepi32_pd(index), reciprocal);
                any = _mm_or_pd(any, _mm_cmpneq_pd(key, v));
                k[i] = std::uint16_t(_mm_cvtsi128_si32(index));
                k[i + 1] = std::uint16_t(_mm_extract_epi16(index, 2));
            }
            missed = _mm_movemask_pd(any) != 0;
        }
#endif
        return indices_of(values + i, count - i, 1, k + i) || missed;
    }
};

// How many values of `view` are each key, when every value is one; else nothing (the
// count stops early once a value is not).
template <typename T>
std::optional<std::vector<std::int64_t>> count_keys(const VolumeView<const T>& view) {
    using Keys = UnitKeys<T>;
    std::atomic<bool> missed{false};
    std::vector<std::int64_t> counts =
        count_with<std::uint16_t>(view, [&](ValueCounter<std::uint16_t>& counter, const T* data,
                                            std::int64_t length, std::int64_t stride) {
            constexpr std::int64_t kBlock = 1024;
            std::uint16_t block[kBlock];
            for (std::int64_t start = 0; start < length; start += kBlock) {
                if (missed.load(std::memory_order_relaxed)) return;
                const std::int64_t n = std::min(kBlock, length - start);
                const T* from = data + start * stride;
                if (stride == 1 ? Keys::indices_of(from, n, block)
                                : Keys::indices_of(from, n, stride, block)) {
                    missed = true;
                    return;
                }
                counter.add(block, n, 1);
            }
        });
    if (missed) return std::nullopt;
    return counts;
}

}  // namespace vox::detail
