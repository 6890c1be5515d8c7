// Counting every value of an 8- or 16-bit type in one pass: the histogram kernel shared by
// percentiles, exposure histograms and thresholds.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "blocks.h"
#include "dispatch.h"
#include "vox/parallel.h"
#include "vox/volume.h"

namespace vox::detail {

template <typename T>
inline constexpr bool kCountable = std::is_integral_v<T> && sizeof(T) <= 2;

// Zeroed 16-bit lane buffers kept between calls: on a small volume, faulting in fresh pages
// for every histogram cost more than the counting (a live viewer recomputes it per frame).
// At most kKept buffers (4 MiB) are kept.
class LanePool {
public:
    static constexpr std::size_t kSize = 2 * 65536;

    static std::unique_ptr<std::uint32_t[]> take() {
        {
            const std::lock_guard lock(mutex());
            if (!buffers().empty()) {
                std::unique_ptr<std::uint32_t[]> lanes = std::move(buffers().back());
                buffers().pop_back();
                return lanes;
            }
        }
        return std::make_unique<std::uint32_t[]>(kSize);
    }

    // `lanes` must be all zeros again.
    static void give_back(std::unique_ptr<std::uint32_t[]> lanes) {
        const std::lock_guard lock(mutex());
        if (buffers().size() < kKept) buffers().push_back(std::move(lanes));
    }

private:
    static constexpr std::size_t kKept = 8;
    static std::mutex& mutex() {
        static std::mutex instance;
        return instance;
    }
    static std::vector<std::unique_ptr<std::uint32_t[]>>& buffers() {
        static std::vector<std::unique_ptr<std::uint32_t[]>> instance;
        return instance;
    }
};

// One task's counts of each value of T, indexed by value - lowest() (the bit pattern with
// the sign bit flipped). Counts go to kLanes uint32 sub-histograms, one per half of each
// chunk, so runs of equal values do not serialise on one counter through store-to-load
// forwarding (two chains advance at once); they are
// flushed to 64 bits before any could overflow (over 4 G values per task). Two lanes, not
// four: the counters that 12-bit data touch then stay in a 32 KiB L1 (0.32 against 0.55 ns
// per voxel on the bench volume), and constant data run as fast. The lanes are taken on the
// first add(), for 16-bit types from LanePool.
template <typename T>
class ValueCounter {
    static_assert(kCountable<T>);

public:
    static constexpr std::int64_t kValues = std::int64_t(1) << (8 * sizeof(T));

    ValueCounter() = default;
    ValueCounter(ValueCounter&&) noexcept = default;
    ValueCounter& operator=(ValueCounter&&) noexcept = default;
    ~ValueCounter() {
        if constexpr (kPooled) {
            if (m_lanes && m_pending == 0) LanePool::give_back(std::move(m_lanes));
        }
    }

    void add(const T* data, std::int64_t n, std::int64_t stride) {
        if (!m_lanes) {
            if constexpr (kPooled)
                m_lanes = LanePool::take();
            else
                m_lanes = std::make_unique<std::uint32_t[]>(std::size_t(kLanes * kValues));
        }
        std::uint32_t* l0 = m_lanes.get();
        std::uint32_t* l1 = l0 + kValues;
        for (std::int64_t begin = 0; begin < n; begin += kChunk) {
            const std::int64_t end = std::min(n, begin + kChunk);
            std::int64_t i = begin;
            if (stride == 1) {
                // The two halves of the chunk at once, one per lane. Neighbouring voxels
                // alternating between the lanes ran at 0.63 ns per value on the 512^3 bench
                // volume, the halves at 0.38 (one Intel Xeon core; equal on the cells). A
                // 64-bit load split into four values was slower again (0.84).
                const std::int64_t half = (end - begin) / 2;
                if constexpr (sizeof(T) == 2) {
                    if (cpu_is_amd())
                        count_halves_by_words(data + begin, half, l0, l1);
                    else
                        count_halves(data + begin, half, l0, l1);
                } else {
                    count_halves(data + begin, half, l0, l1);
                }
                i = begin + 2 * half;
            }
            for (; i < end; ++i)
                ++l0[index(data[i * stride])];
            m_pending += end - begin;
            if (m_pending >= kFlushAt) flush();
        }
    }

    // Adds the counts of indices [begin, end) to `totals` (indexed from 0) and zeroes them
    // here. Once every range is taken, the lanes go back to the pool.
    void take(std::int64_t begin, std::int64_t end, std::int64_t* totals) {
        if (!m_lanes) return;
        for (int lane = 0; lane < kLanes; ++lane) {
            std::uint32_t* counts = m_lanes.get() + lane * kValues;
            // Most counters of 16-bit lanes are zero: spans of them are only read, so
            // their lines are not written back.
            constexpr std::int64_t kSpan = 16;
            std::int64_t i = begin;
            for (; i + kSpan <= end; i += kSpan) {
                std::uint32_t any = 0;
                for (std::int64_t k = 0; k < kSpan; ++k)
                    any |= counts[i + k];
                if (any == 0) continue;
                for (std::int64_t k = 0; k < kSpan; ++k) {
                    totals[i + k] += counts[i + k];
                    counts[i + k] = 0;
                }
            }
            for (; i < end; ++i) {
                totals[i] += counts[i];
                counts[i] = 0;
            }
        }
        if (!m_flushed.empty()) {
            for (std::int64_t i = begin; i < end; ++i)
                totals[i] += m_flushed[std::size_t(i)];
        }
    }

    // Call after take() has covered every index: the lanes are all zeros again.
    void taken() { m_pending = 0; }

private:
    static constexpr int kLanes = 2;
    static constexpr bool kPooled = std::size_t(kLanes * kValues) == LanePool::kSize;
    static constexpr std::int64_t kChunk = std::int64_t(1) << 20;
    // A lane holds at most the values seen since the last flush, checked every chunk.
    static constexpr std::int64_t kFlushAt = (std::int64_t(1) << 32) - 1 - kChunk;
    using Unsigned = std::make_unsigned_t<T>;
    static constexpr Unsigned kSignBit =
        std::is_signed_v<T> ? Unsigned(Unsigned(1) << (8 * sizeof(T) - 1)) : Unsigned(0);

    static Unsigned index(T value) { return Unsigned(Unsigned(value) ^ kSignBit); }

    // Counts first[0, half) into l0 and first[half, 2 half) into l1. Out of line, so that
    // the loop's few values stay in registers whatever the caller keeps live: spilled to
    // the stack, they cost a load per value and the 512^3 histogram 27 -> 40 ms.
    [[gnu::noinline]] static void count_halves(const T* first, std::int64_t half, std::uint32_t* l0,
                                               std::uint32_t* l1) {
        const T* second = first + half;
        const T* const first_end = second;
        for (; first != first_end; ++first, ++second) {
            ++l0[index(*first)];
            ++l1[index(*second)];
        }
    }

    // count_halves reading four 16-bit values per 64-bit load, which leaves the load ports
    // to the counters: on one Zen 3 core 0.38-0.54 against 0.46-0.72 ns per value on the
    // cells, 0.333 against 0.35 on the 512^3 bench volume (not measured on Intel, whose
    // loop is kept).
    [[gnu::noinline]] static void count_halves_by_words(const T* first, std::int64_t half,
                                                        std::uint32_t* l0, std::uint32_t* l1) {
        static_assert(sizeof(T) == 2);
        const T* second = first + half;
        std::int64_t i = 0;
        for (; i + 4 <= half; i += 4) {
            std::uint64_t a, b;
            std::memcpy(&a, first + i, sizeof(a));
            std::memcpy(&b, second + i, sizeof(b));
            for (int k = 0; k < 4; ++k) {
                ++l0[index(T(a >> (16 * k)))];
                ++l1[index(T(b >> (16 * k)))];
            }
        }
        for (; i < half; ++i) {
            ++l0[index(first[i])];
            ++l1[index(second[i])];
        }
    }

    void flush() {
        if (m_flushed.empty()) m_flushed.assign(std::size_t(kValues), 0);
        for (int lane = 0; lane < kLanes; ++lane) {
            std::uint32_t* counts = m_lanes.get() + lane * kValues;
            for (std::int64_t i = 0; i < kValues; ++i) {
                m_flushed[std::size_t(i)] += counts[i];
                counts[i] = 0;
            }
        }
        m_pending = 0;
    }

    std::unique_ptr<std::uint32_t[]> m_lanes;
    std::vector<std::int64_t> m_flushed;
    // Values counted since the lanes were last all zeros (a counter interrupted by an
    // exception does not give its lanes back).
    std::int64_t m_pending = 0;
};

// Counts over `view` (all channels, on all cores) of what add(counter, data, length,
// stride) gives a ValueCounter<Index> for each run of values: the values themselves
// (count_values), or indices made from them. Integer counts are exact, so the result does
// not depend on the thread count.
template <typename Index, typename T, typename Add>
std::vector<std::int64_t> count_with(const VolumeView<const T>& view, Add&& add) {
    constexpr std::int64_t kValues = ValueCounter<Index>::kValues;
    const BlockGrid grid(view.shape);
    // Chunks of a few blocks balance the cores; each thread counts all its chunks into its
    // own counter, so only as many counters as threads are made and merged (a fixed split
    // in twice as many groups as threads spent 8% of the cells histogram merging), and a
    // counter's lanes stay in the cache of the core that fills them.
    struct Slot {
        std::thread::id owner;
        bool busy = false;
        ValueCounter<Index> counter;
    };
    std::mutex mutex;
    std::vector<std::unique_ptr<Slot>> slots;
    constexpr std::int64_t kGrainBlocks = 4;
    parallel_for(0, grid.count, kGrainBlocks, [&](std::int64_t begin, std::int64_t end) {
        Slot* slot = nullptr;
        {
            const std::lock_guard lock(mutex);
            const std::thread::id me = std::this_thread::get_id();
            for (const auto& candidate : slots) {
                if (candidate->owner == me && !candidate->busy) {
                    slot = candidate.get();
                    break;
                }
            }
            if (slot == nullptr) {
                slots.push_back(std::make_unique<Slot>());
                slot = slots.back().get();
                slot->owner = me;
            }
            slot->busy = true;
        }
        for (std::int64_t block = begin; block < end; ++block) {
            for_each_run(view, grid, block,
                         [&](const T* data, std::int64_t length, std::int64_t stride, auto) {
                             add(slot->counter, data, length, stride);
                         });
        }
        const std::lock_guard lock(mutex);
        slot->busy = false;
    });
    std::vector<std::int64_t> totals(std::size_t(kValues), 0);
    parallel_for(0, kValues, 4096, [&](std::int64_t begin, std::int64_t end) {
        for (const auto& slot : slots)
            slot->counter.take(begin, end, totals.data());
    });
    for (const auto& slot : slots)
        slot->counter.taken();
    return totals;
}

// Counts of every value of `view` (all channels), indexed by value - lowest().
template <typename T>
std::vector<std::int64_t> count_values(const VolumeView<const T>& view) {
    return count_with<T>(view, [](ValueCounter<T>& counter, const T* data, std::int64_t length,
                                  std::int64_t stride) { counter.add(data, length, stride); });
}

// A packed list of values as a one-row view, for count_values().
template <typename T>
VolumeView<const T> view_of_values(const std::vector<T>& values) {
    const auto n = std::int64_t(values.size());
    return {values.data(), Shape{1, 1, n, 1}, Strides{n, n, 1, n}};
}

}  // namespace vox::detail
