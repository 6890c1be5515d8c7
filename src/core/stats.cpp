#include "vox/stats.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "blocks.h"
#include "dispatch.h"
#include "quantized.h"
#include "value_counts.h"
#include "vox/parallel.h"

namespace vox {
namespace {

using detail::BlockGrid;
using detail::for_each_run;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Running moments of one block or of a merged set of blocks.
struct Moments {
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    double mean = 0.0;
    double m2 = 0.0;  // sum of squared deviations from the mean
    std::int64_t count = 0;
    std::int64_t nan_count = 0;

    // Chan, Golub and LeVeque's pairwise update: exact for counts, stable for m2.
    void merge(const Moments& other) {
        nan_count += other.nan_count;
        if (other.count == 0) return;
        min = std::min(min, other.min);
        max = std::max(max, other.max);
        if (count == 0) {
            mean = other.mean;
            m2 = other.m2;
            count = other.count;
            return;
        }
        const double total = double(count + other.count);
        const double delta = other.mean - mean;
        mean += delta * double(other.count) / total;
        m2 += other.m2 + delta * delta * double(count) * double(other.count) / total;
        count += other.count;
    }

    ValueStats finish() const {
        if (count == 0) return {kNaN, kNaN, kNaN, kNaN, 0, nan_count};
        return {min, max, mean, std::sqrt(m2 / double(count)), count, nan_count};
    }
};

template <typename T>
constexpr bool kHasNaN = std::is_floating_point_v<T>;

// Min and max of a run. `min < v` style comparisons skip NaN without a branch:
// a NaN compares false and leaves the accumulator as it was. The AVX2 clone read 268 MB of
// u16 in 7.7 against 8.4 ms on two Intel Xeon cores.
// kFinite leaves infinities out too.
template <typename T, bool kFinite = false>
VOX_AVX2_CLONE void run_min_max(const T* data, std::int64_t length, std::int64_t stride, T& low,
                                T& high) {
    T run_low = low;
    T run_high = high;
    const auto keep = [](T value) {
        if constexpr (kFinite && kHasNaN<T>)
            return std::abs(value) <= std::numeric_limits<T>::max();  // false for NaN too
        else
            return true;
    };
    if (stride == 1) {
#pragma omp simd reduction(min : run_low) reduction(max : run_high)
        for (std::int64_t i = 0; i < length; ++i) {
            const T value = data[i];
            run_low = keep(value) && value < run_low ? value : run_low;
            run_high = keep(value) && value > run_high ? value : run_high;
        }
    } else {
        for (std::int64_t i = 0; i < length; ++i) {
            const T value = data[i * stride];
            run_low = keep(value) && value < run_low ? value : run_low;
            run_high = keep(value) && value > run_high ? value : run_high;
        }
    }
    low = run_low;
    high = run_high;
}

template <typename T>
std::int64_t run_nan_count(const T* data, std::int64_t length, std::int64_t stride) {
    std::int64_t nans = 0;
    if constexpr (kHasNaN<T>) {
#pragma omp simd reduction(+ : nans)
        for (std::int64_t i = 0; i < length; ++i)
            nans += std::isnan(data[i * stride]) ? 1 : 0;
    }
    return nans;
}

// Sum of the run's non-NaN values: exact in 64-bit integers for integer types.
template <typename T>
auto run_sum(const T* data, std::int64_t length, std::int64_t stride) {
    if constexpr (kHasNaN<T>) {
        double sum = 0.0;
#pragma omp simd reduction(+ : sum)
        for (std::int64_t i = 0; i < length; ++i) {
            const double value = double(data[i * stride]);
            sum += value == value ? value : 0.0;
        }
        return sum;
    } else {
        using Sum = std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>;
        Sum sum = 0;
#pragma omp simd reduction(+ : sum)
        for (std::int64_t i = 0; i < length; ++i)
            sum += Sum(data[i * stride]);
        return sum;
    }
}

template <typename T>
double run_squared_deviations(const T* data, std::int64_t length, std::int64_t stride,
                              double mean) {
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (std::int64_t i = 0; i < length; ++i) {
        const double deviation = double(data[i * stride]) - mean;
        if constexpr (kHasNaN<T>) {
            sum += deviation == deviation ? deviation * deviation : 0.0;
        } else {
            sum += deviation * deviation;
        }
    }
    return sum;
}

template <typename T>
T initial_low() {
    return kHasNaN<T> ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
}
template <typename T>
T initial_high() {
    return kHasNaN<T> ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
}

// Moments of one block: two passes, the second over data still in cache.
template <typename T>
Moments block_moments(const VolumeView<const T>& view, const BlockGrid& grid, std::int64_t block) {
    T low = initial_low<T>();
    T high = initial_high<T>();
    decltype(run_sum<T>(nullptr, 0, 1)) sum = 0;
    std::int64_t values = 0;
    std::int64_t nans = 0;
    for_each_run(view, grid, block,
                 [&](const T* data, std::int64_t length, std::int64_t stride, auto) {
                     run_min_max(data, length, stride, low, high);
                     sum += run_sum(data, length, stride);
                     nans += run_nan_count(data, length, stride);
                     values += length;
                 });
    Moments moments;
    moments.nan_count = nans;
    moments.count = values - nans;
    if (moments.count == 0) return moments;
    moments.min = double(low);
    moments.max = double(high);
    moments.mean = double(sum) / double(moments.count);
    for_each_run(view, grid, block,
                 [&](const T* data, std::int64_t length, std::int64_t stride, auto) {
                     moments.m2 += run_squared_deviations(data, length, stride, moments.mean);
                 });
    return moments;
}

template <typename T>
VolumeStats typed_stats(const VolumeView<const T>& view) {
    const BlockGrid grid(view.shape);
    std::vector<Moments> partials(std::size_t(grid.count));
    parallel_for(0, grid.count, 4, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t block = begin; block < end; ++block) {
            partials[std::size_t(block)] = block_moments(view, grid, block);
        }
    });
    std::vector<Moments> channels(std::size_t(view.shape.c));
    for (std::int64_t block = 0; block < grid.count; ++block) {
        channels[std::size_t(grid.channel_of(block))].merge(partials[std::size_t(block)]);
    }
    VolumeStats stats;
    Moments global;
    for (const Moments& channel : channels) {
        global.merge(channel);
        stats.channels.push_back(channel.finish());
    }
    stats.global = global.finish();
    return stats;
}

template <typename T, bool kFinite = false>
std::pair<double, double> typed_min_max(const VolumeView<const T>& view) {
    const BlockGrid grid(view.shape);
    struct Range {
        T low = initial_low<T>();
        T high = initial_high<T>();
    };
    // Few, large tasks: min/max is bandwidth bound and wants long streams.
    std::vector<Range> partials(std::size_t(grid.count));
    parallel_for(0, grid.count, 16, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t block = begin; block < end; ++block) {
            Range& range = partials[std::size_t(block)];
            for_each_run(view, grid, block,
                         [&](const T* data, std::int64_t length, std::int64_t stride, auto) {
                             run_min_max<T, kFinite>(data, length, stride, range.low, range.high);
                         });
        }
    });
    Range total;
    for (const Range& range : partials) {
        total.low = std::min(total.low, range.low);
        total.high = std::max(total.high, range.high);
    }
    if (kHasNaN<T> && total.low > total.high) return {kNaN, kNaN};  // nothing but NaN
    if (grid.count == 0) return {kNaN, kNaN};
    return {double(total.low), double(total.high)};
}

// ---- percentiles ---------------------------------------------------------------------------

// Order-preserving unsigned keys: key(a) < key(b) exactly when a < b.
template <typename T>
auto order_key(T value) {
    if constexpr (std::is_same_v<T, float>) {
        // Negative values flip every bit, others the sign bit alone (branch-free, so that
        // loops of keys vectorise).
        const auto bits = std::bit_cast<std::uint32_t>(value);
        return bits ^ (std::uint32_t(std::int32_t(bits) >> 31) | 0x80000000u);
    } else {
        using Unsigned = std::make_unsigned_t<T>;
        auto key = Unsigned(value);
        if constexpr (std::is_signed_v<T>) key ^= Unsigned(Unsigned(1) << (8 * sizeof(T) - 1));
        return key;
    }
}

template <typename T, typename Key>
T value_of_key(Key key) {
    if constexpr (std::is_same_v<T, float>) {
        const std::uint32_t bits = (key & 0x80000000u) ? key & 0x7FFFFFFFu : ~key;
        return std::bit_cast<float>(bits);
    } else {
        using Unsigned = std::make_unsigned_t<T>;
        auto bits = Unsigned(key);
        if constexpr (std::is_signed_v<T>) bits ^= Unsigned(Unsigned(1) << (8 * sizeof(T) - 1));
        return T(bits);
    }
}

// The positions numpy's "linear" method reads for one q, and how it blends them.
struct QuantilePlan {
    std::int64_t below = 0;
    std::int64_t above = 0;
    double gamma = 0.0;
};

QuantilePlan plan_quantile(double q, std::int64_t count) {
    // Same operations, in the same order, as numpy 1.24's _quantile: (n - 1) * (q / 100).
    const double virtual_index = double(count - 1) * (q / 100.0);
    QuantilePlan plan;
    const double floor_index = std::floor(virtual_index);
    if (virtual_index >= double(count - 1)) {
        plan.below = plan.above = count - 1;
    } else {
        plan.below = std::int64_t(floor_index);
        plan.above = plan.below + 1;
    }
    plan.gamma = virtual_index - floor_index;
    return plan;
}

// numpy's _lerp: a + (b - a) * t, or b - (b - a) * (1 - t) for t >= 0.5. The difference is
// taken exactly; numpy takes it in the input dtype, which only differs where that overflows.
// With finite values the early returns give what the formula gives; they keep infinities
// exact where numpy's formula makes NaN of them (inf - inf, inf * 0).
template <typename T>
double interpolate(T below, T above, double t) {
    if (t == 0.0 || below == above) return double(below);
    double difference;
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isinf(below) || std::isinf(above)) {  // between an infinity and anything else
            return std::isinf(below) && std::isinf(above)
                       ? kNaN
                       : double(std::isinf(below) ? below : above);
        }
        difference = double(T(above - below));
    } else {
        difference = double(std::int64_t(above) - std::int64_t(below));
    }
    return t >= 0.5 ? double(above) - difference * (1.0 - t) : double(below) + difference * t;
}

// Finds the values of sorted rank `ranks[i]` (ascending) from a histogram over keys.
template <typename Count>
std::vector<std::uint32_t> keys_at_ranks(const std::vector<Count>& histogram,
                                         const std::vector<std::int64_t>& ranks) {
    std::vector<std::uint32_t> keys(ranks.size());
    std::int64_t seen = 0;
    std::size_t next = 0;
    for (std::size_t key = 0; key < histogram.size() && next < ranks.size(); ++key) {
        seen += std::int64_t(histogram[key]);
        while (next < ranks.size() && ranks[next] < seen)
            keys[next++] = std::uint32_t(key);
    }
    return keys;
}

// Histograms keys in parallel: one histogram per worker group, summed at the end.
template <typename T, typename Bin>
std::vector<std::int64_t> parallel_histogram(const VolumeView<const T>& view, std::size_t bins,
                                             Bin&& bin_of) {
    const BlockGrid grid(view.shape);
    const std::int64_t groups = std::min<std::int64_t>(grid.count, 2 * thread_count());
    std::vector<std::vector<std::int64_t>> partials(std::size_t(std::max<std::int64_t>(groups, 1)));
    parallel_for(0, groups, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t group = begin; group < end; ++group) {
            std::vector<std::int64_t> histogram(bins, 0);
            const std::int64_t first = grid.count * group / groups;
            const std::int64_t last = grid.count * (group + 1) / groups;
            for (std::int64_t block = first; block < last; ++block) {
                for_each_run(view, grid, block,
                             [&](const T* data, std::int64_t length, std::int64_t stride, auto) {
                                 for (std::int64_t i = 0; i < length; ++i) {
                                     const std::int64_t index = bin_of(data[i * stride]);
                                     if (index >= 0) ++histogram[std::size_t(index)];
                                 }
                             });
            }
            partials[std::size_t(group)] = std::move(histogram);
        }
    });
    std::vector<std::int64_t> total(bins, 0);
    for (const auto& partial : partials) {
        for (std::size_t i = 0; i < partial.size(); ++i)
            total[i] += partial[i];
    }
    return total;
}

// Values at the requested ranks for 8- and 16-bit types: one histogram of every value.
template <typename T>
std::vector<T> ranks_small_integer(const VolumeView<const T>& view,
                                   const std::vector<std::int64_t>& ranks, std::int64_t& count) {
    // count_values indexes by value - lowest(), which is order_key() for these types.
    const auto histogram = detail::count_values(view);
    count = 0;
    for (auto bin : histogram)
        count += bin;
    std::vector<T> values;
    for (auto key : keys_at_ranks(histogram, ranks))
        values.push_back(value_of_key<T>(key));
    return values;
}

// The ranks' buckets of a 65536-bucket histogram `high`, each distinct one given a slot:
// what a second pass over the values refines, and how many values lie before each.
struct RankBuckets {
    std::vector<std::int64_t> clamped;         // the ranks, at most count - 1
    std::vector<std::uint32_t> buckets;        // each rank's bucket
    std::vector<std::int32_t> slot_of_bucket;  // -1 for buckets no rank is in
    std::vector<std::uint32_t> slot_buckets;   // the bucket of each slot
    std::vector<std::int64_t> before;          // values in the buckets before each slot's

    RankBuckets(const std::vector<std::int64_t>& high, const std::vector<std::int64_t>& ranks,
                std::int64_t count)
        : clamped(ranks), slot_of_bucket(std::size_t(1) << 16, -1) {
        for (auto& rank : clamped)
            rank = std::min(rank, count - 1);
        buckets = keys_at_ranks(high, clamped);
        for (auto bucket : buckets) {
            if (slot_of_bucket[bucket] < 0) {
                slot_of_bucket[bucket] = std::int32_t(slot_buckets.size());
                slot_buckets.push_back(bucket);
            }
        }
        before.assign(slot_buckets.size(), 0);
        for (std::size_t slot = 0; slot < slot_buckets.size(); ++slot) {
            for (std::uint32_t bucket = 0; bucket < slot_buckets[slot]; ++bucket)
                before[slot] += high[bucket];
        }
    }
    std::size_t slot_of_rank(std::size_t i) const {
        return std::size_t(slot_of_bucket[buckets[i]]);
    }
};

// The order key of a double: unsigned integers that sort as the values do.
std::uint64_t order_key_f64(double value) {
    const auto bits = std::bit_cast<std::uint64_t>(value);
    return bits ^ (std::uint64_t(std::int64_t(bits) >> 63) | (std::uint64_t(1) << 63));
}

template <typename T>
bool is_nan(T value) {
    if constexpr (kHasNaN<T>)
        return std::isnan(value);
    else
        return false;
}

// The high 16 bits of a value's order key: its bucket among 65536.
template <typename T>
std::uint16_t high_key(T value) {
    if constexpr (std::is_same_v<T, double>)
        return std::uint16_t(order_key_f64(value) >> 48);
    else
        return std::uint16_t(order_key(value) >> 16);
}

// A NaN's bucket: it holds nothing else, since a positive key that high is a NaN's.
constexpr std::uint16_t kNaNBucket = 0xFFFF;

// buckets[i] = the bucket of the i-th value of a run, kNaNBucket for NaN.
template <typename T>
VOX_AVX2_CLONE void buckets_of(const T* data, std::int64_t n, std::int64_t stride,
                               std::uint16_t* buckets) {
    const auto bucket_of = [](T value) {
        const std::uint16_t bucket = high_key(value);
        return is_nan(value) ? kNaNBucket : bucket;
    };
    if (stride == 1) {
        for (std::int64_t i = 0; i < n; ++i)
            buckets[i] = bucket_of(data[i]);
    } else {
        for (std::int64_t i = 0; i < n; ++i)
            buckets[i] = bucket_of(data[i * stride]);
    }
}

// How many values are in each bucket, NaN left out, counted on all cores by ValueCounter
// (whose lanes keep a run of one bucket from waiting on one counter). The f32 cells' 0.5/99.5
// percentiles: 6 -> 2 ms for this pass (parallel_histogram's one counter per bucket waited
// on the background's).
template <typename T>
std::vector<std::int64_t> count_buckets(const VolumeView<const T>& view) {
    auto counts = detail::count_with<std::uint16_t>(
        view, [](detail::ValueCounter<std::uint16_t>& counter, const T* data, std::int64_t length,
                 std::int64_t stride) {
            constexpr std::int64_t kBlock = 1024;
            std::uint16_t block[kBlock];
            for (std::int64_t start = 0; start < length; start += kBlock) {
                const std::int64_t n = std::min(kBlock, length - start);
                buckets_of(data + start * stride, n, stride, block);
                counter.add(block, n, 1);
            }
        });
    if constexpr (kHasNaN<T>) counts[kNaNBucket] = 0;
    return counts;
}

// The values at the ranks, from the values of each rank's bucket: gathered in parallel
// (any order), then selected. A block of values is compared with the few rank buckets all at
// once, and only a block that holds one of them is looked at value by value: a table lookup
// and a branch per value took 7 ms on the f32 cells, for some 3000 values gathered.
template <typename T>
std::vector<T> select_in_buckets(const VolumeView<const T>& view, const RankBuckets& at) {
    std::vector<std::vector<T>> gathered(at.slot_buckets.size());
    const std::vector<std::uint16_t> wanted(at.slot_buckets.begin(), at.slot_buckets.end());
    std::mutex mutex;
    const BlockGrid grid(view.shape);
    parallel_for(0, grid.count, 1, [&](std::int64_t first, std::int64_t last) {
        std::vector<std::vector<T>> local(gathered.size());
        constexpr std::int64_t kBlock = 256;
        std::uint16_t buckets[kBlock];
        const auto gather = [&](const T* data, std::int64_t length, std::int64_t stride, auto) {
            for (std::int64_t start = 0; start < length; start += kBlock) {
                const std::int64_t n = std::min(kBlock, length - start);
                const T* from = data + start * stride;
                buckets_of(from, n, stride, buckets);
                int any = 0;
                for (const std::uint16_t bucket : wanted) {
                    for (std::int64_t i = 0; i < n; ++i)
                        any |= buckets[i] == bucket ? 1 : 0;
                }
                if (any == 0) continue;
                for (std::int64_t i = 0; i < n; ++i) {
                    const std::int32_t slot = at.slot_of_bucket[buckets[i]];
                    if (slot >= 0) local[std::size_t(slot)].push_back(from[i * stride]);
                }
            }
        };
        for (std::int64_t block = first; block < last; ++block)
            for_each_run(view, grid, block, gather);
        const std::lock_guard lock(mutex);
        for (std::size_t slot = 0; slot < local.size(); ++slot)
            gathered[slot].insert(gathered[slot].end(), local[slot].begin(), local[slot].end());
    });
    std::vector<T> result;
    for (std::size_t i = 0; i < at.clamped.size(); ++i) {
        const std::size_t slot = at.slot_of_rank(i);
        std::vector<T>& values = gathered[slot];
        const auto nth = values.begin() + (at.clamped[i] - at.before[slot]);
        std::nth_element(values.begin(), nth, values.end());
        result.push_back(*nth);
    }
    return result;
}

// Values at the requested ranks for 32-bit types (f32 by its key) and f64: a count of the
// values in each of 65536 buckets of keys finds each rank's bucket. The values of those
// buckets are then gathered and selected, when they are few enough (at most an eighth of
// the data): else (32-bit types) a second pass histograms the low 16 key bits of just those
// buckets, and (f64) they are gathered anyway. Before, every non-NaN f64 value was copied
// and selected on one core: the tutorial's 0.5/99.5 percentiles of the cells as floats took
// 143 ms.
template <typename T>
std::vector<T> ranks_wide(const VolumeView<const T>& view, const std::vector<std::int64_t>& ranks,
                          std::int64_t& count) {
    const std::vector<std::int64_t> high = count_buckets(view);
    count = 0;
    for (auto bin : high)
        count += bin;
    std::vector<T> values;
    if (count == 0) return values;
    const RankBuckets at(high, ranks, count);
    if constexpr (sizeof(T) == 8) {
        return select_in_buckets(view, at);
    } else {
        std::int64_t in_buckets = 0;
        for (const std::uint32_t bucket : at.slot_buckets)
            in_buckets += high[bucket];
        if (in_buckets <= count / 8) return select_in_buckets(view, at);
        auto key_or_nan = [](T value) -> std::int64_t {
            if constexpr (kHasNaN<T>) {
                if (std::isnan(value)) return -1;
            }
            return std::int64_t(order_key(value));
        };
        const std::size_t slots = at.slot_buckets.size();
        const auto low = parallel_histogram(view, slots << 16, [&](T value) -> std::int64_t {
            const auto key = key_or_nan(value);
            if (key < 0) return -1;
            const std::int32_t slot = at.slot_of_bucket[std::size_t(key >> 16)];
            return slot < 0 ? -1 : (std::int64_t(slot) << 16) | (key & 0xFFFF);
        });
        for (std::size_t i = 0; i < at.clamped.size(); ++i) {
            const std::size_t slot = at.slot_of_rank(i);
            std::int64_t remaining = at.clamped[i] - at.before[slot];
            std::uint32_t low_key = 0;
            for (; low_key < 0x10000; ++low_key) {
                remaining -= low[(slot << 16) | low_key];
                if (remaining < 0) break;
            }
            values.push_back(value_of_key<T>((at.buckets[i] << 16) | low_key));
        }
        return values;
    }
}

template <typename T>
std::vector<double> typed_percentiles(const VolumeView<const T>& view, std::span<const double> q) {
    // Every rank any q might read, ascending; the count (NaN excluded) is only known after the
    // first pass, so ask for the ranks of the full count and correct below if NaNs were seen.
    auto ranks_for = [&](std::int64_t count) {
        std::vector<std::int64_t> ranks;
        for (double value : q) {
            const QuantilePlan plan = plan_quantile(value, count);
            ranks.push_back(plan.below);
            ranks.push_back(plan.above);
        }
        std::sort(ranks.begin(), ranks.end());
        ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
        return ranks;
    };
    auto select = [&](const std::vector<std::int64_t>& ranks, std::int64_t& count) {
        if constexpr (std::is_floating_point_v<T>) {
            // img_as_float's values (the tutorial's clip): ranks from the counts of their keys.
            if (view.shape.values() >= 4 * detail::UnitKeys<T>::kCount) {
                if (auto keys = detail::count_keys(view)) {
                    count = view.shape.values();
                    std::vector<T> values;
                    for (const std::uint32_t k : keys_at_ranks(*keys, ranks))
                        values.push_back(detail::UnitKeys<T>::key(k));
                    return values;
                }
            }
        }
        if constexpr (sizeof(T) <= 2) {
            return ranks_small_integer(view, ranks, count);
        } else {
            return ranks_wide(view, ranks, count);
        }
    };
    std::int64_t count = 0;
    auto ranks = ranks_for(view.shape.values());
    auto values = select(ranks, count);
    if (count == 0) return std::vector<double>(q.size(), kNaN);
    if (count != view.shape.values()) {  // NaNs were left out: plan again with the true count
        ranks = ranks_for(count);
        values = select(ranks, count);
    }
    std::vector<double> result;
    for (double value : q) {
        const QuantilePlan plan = plan_quantile(value, count);
        const auto at = [&](std::int64_t rank) {
            return values[std::size_t(std::lower_bound(ranks.begin(), ranks.end(), rank) -
                                      ranks.begin())];
        };
        result.push_back(interpolate<T>(at(plan.below), at(plan.above), plan.gamma));
    }
    return result;
}

}  // namespace

VolumeStats compute_stats(const Volume& volume) {
    return visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        return typed_stats(volume.view<T>());
    });
}

std::pair<double, double> min_max(const Volume& volume) {
    return visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        return typed_min_max(volume.view<T>());
    });
}

std::pair<double, double> finite_min_max(const Volume& volume) {
    return visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        return typed_min_max<T, true>(volume.view<T>());
    });
}

std::vector<double> percentiles(const Volume& volume, std::span<const double> q) {
    for (double value : q) {
        if (!(value >= 0.0 && value <= 100.0)) {
            throw ValueError(fmt::format("percentile {} is outside [0, 100]", value));
        }
    }
    if (q.empty()) return {};
    if (volume.empty()) return std::vector<double>(q.size(), kNaN);
    return visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        return typed_percentiles(volume.view<T>(), q);
    });
}

double percentile(const Volume& volume, double q) {
    return percentiles(volume, {&q, 1})[0];
}

}  // namespace vox
