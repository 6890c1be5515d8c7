// Counting every value of an 8- or 16-bit type in one pass: the histogram kernel shared by
// percentiles, exposure histograms and thresholds.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "blocks.h"
#include "vox/parallel.h"
#include "vox/volume.h"

namespace vox::detail {

template <typename T>
inline constexpr bool kCountable = std::is_integral_v<T> && sizeof(T) <= 2;

// One task's counts of each value of T, indexed by value - lowest() (the bit pattern with
// the sign bit flipped). Counts go to kLanes interleaved uint32 sub-histograms, so runs of
// equal values do not serialise on one counter through store-to-load forwarding; they are
// flushed to 64 bits before any could overflow. The lanes (1 MiB for 16-bit types, in L2)
// are allocated on the first add().
template <typename T>
class ValueCounter {
    static_assert(kCountable<T>);

public:
    static constexpr std::int64_t kValues = std::int64_t(1) << (8 * sizeof(T));

    void add(const T* data, std::int64_t n, std::int64_t stride) {
        if (m_lanes.empty()) m_lanes.assign(std::size_t(kLanes * kValues), 0u);
        std::uint32_t* l0 = m_lanes.data();
        std::uint32_t* l1 = l0 + kValues;
        std::uint32_t* l2 = l1 + kValues;
        std::uint32_t* l3 = l2 + kValues;
        for (std::int64_t begin = 0; begin < n; begin += kChunk) {
            const std::int64_t end = std::min(n, begin + kChunk);
            std::int64_t i = begin;
            if (stride == 1) {
                for (; i + kLanes <= end; i += kLanes) {
                    ++l0[index(data[i])];
                    ++l1[index(data[i + 1])];
                    ++l2[index(data[i + 2])];
                    ++l3[index(data[i + 3])];
                }
            }
            for (; i < end; ++i)
                ++l0[index(data[i * stride])];
            m_pending += end - begin;
            if (m_pending >= kFlushAt) flush();
        }
    }

    // Adds the counts to `totals` (kValues entries).
    void add_to(std::vector<std::int64_t>& totals) {
        flush();
        for (std::size_t i = 0; i < m_flushed.size(); ++i)
            totals[i] += m_flushed[i];
    }

private:
    static constexpr int kLanes = 4;
    static constexpr std::int64_t kChunk = std::int64_t(1) << 20;
    // A lane holds at most the values seen since the last flush, checked every chunk.
    static constexpr std::int64_t kFlushAt = (std::int64_t(1) << 32) - 1 - kChunk;
    using Unsigned = std::make_unsigned_t<T>;
    static constexpr Unsigned kSignBit =
        std::is_signed_v<T> ? Unsigned(Unsigned(1) << (8 * sizeof(T) - 1)) : Unsigned(0);

    static Unsigned index(T value) { return Unsigned(Unsigned(value) ^ kSignBit); }

    void flush() {
        if (m_lanes.empty()) return;
        if (m_flushed.empty()) m_flushed.assign(std::size_t(kValues), 0);
        for (int lane = 0; lane < kLanes; ++lane) {
            std::uint32_t* counts = m_lanes.data() + lane * kValues;
            for (std::int64_t i = 0; i < kValues; ++i) {
                m_flushed[std::size_t(i)] += counts[i];
                counts[i] = 0;
            }
        }
        m_pending = 0;
    }

    std::vector<std::uint32_t> m_lanes;
    std::vector<std::int64_t> m_flushed;
    std::int64_t m_pending = 0;
};

// Counts of every value of `view` (all channels), indexed by value - lowest(), on all
// cores. Integer counts are exact, so the result does not depend on the thread count.
template <typename T>
std::vector<std::int64_t> count_values(const VolumeView<const T>& view) {
    const BlockGrid grid(view.shape);
    const std::int64_t groups =
        std::clamp<std::int64_t>(std::min<std::int64_t>(grid.count, 2 * thread_count()), 1, 64);
    std::vector<ValueCounter<T>> counters(static_cast<std::size_t>(groups));
    parallel_for(0, groups, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t group = begin; group < end; ++group) {
            ValueCounter<T>& counter = counters[std::size_t(group)];
            for (std::int64_t block = grid.count * group / groups;
                 block < grid.count * (group + 1) / groups; ++block) {
                for_each_run(view, grid, block,
                             [&](const T* data, std::int64_t length, std::int64_t stride, auto) {
                                 counter.add(data, length, stride);
                             });
            }
        }
    });
    std::vector<std::int64_t> totals(std::size_t(ValueCounter<T>::kValues), 0);
    for (ValueCounter<T>& counter : counters)
        counter.add_to(totals);
    return totals;
}

// A packed list of values as a one-row view, for count_values().
template <typename T>
VolumeView<const T> view_of_values(const std::vector<T>& values) {
    const auto n = std::int64_t(values.size());
    return {values.data(), Shape{1, 1, n, 1}, Strides{n, n, 1, n}};
}

}  // namespace vox::detail
