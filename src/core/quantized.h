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

#include "value_counts.h"

namespace vox::detail {

// UnitKeys<double>::indices_of of packed values, eight at a time where the CPU has AVX2.
bool unit_key_indices(const double* values, std::int64_t count, std::uint16_t* k);

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

    // The same for packed values (doubles: quantized.cpp's AVX2 loop).
    static bool indices_of(const T* values, std::int64_t count, std::uint16_t* k);
};

template <typename T>
bool UnitKeys<T>::indices_of(const T* values, std::int64_t count, std::uint16_t* k) {
    if constexpr (std::is_same_v<T, double>)
        return unit_key_indices(values, count, k);
    else
        return indices_of(values, count, 1, k);
}

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
