// The bins of np.histogram over uniform edges, found by arithmetic wherever the arithmetic
// is sure to agree with the edges. numpy (and the exact binner of the exposure ops) compute
// floor((v - first) * norm) and then let the edges, rounded to the data's type, decide
// values near them; a value far enough from every edge needs no look at them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace vox::detail {

/// What the arithmetic of a uniform binning needs: the lower end of the range, bins per
/// unit, the bin count, and how far (in bins) from an integer the scaled value must lie for
/// its integer part to be the bin the edges give (more than 0.5: never sure).
struct UniformBins {
    double first = 0.0;
    double norm = 0.0;
    double count = 0.0;
    double margin = 1.0;
};

/// The margin for `edges` (count + 1 of them, increasing, in T): the largest distance of an
/// edge from its place on the arithmetic's line, plus a bound on the rounding of the
/// scaled values. Edges that decrease anywhere give more than 0.5.
template <typename T>
double uniform_margin(const T* edges, std::int64_t count, double first, double norm);

/// out[i] = the bin of values[i] where the arithmetic is sure of it, else -1 (NaN, values
/// out of range, values too near an edge). Eight at a time where the CPU has AVX2. Returns
/// whether any is -1.
template <typename T>
bool sure_bins(const T* values, std::int64_t n, const UniformBins& bins, std::int32_t* out);

/// Whether the arithmetic pays: beyond this margin too many values are near an edge.
inline bool worthwhile(const UniformBins& bins) {
    return bins.margin < 0.125;
}

/// Sets of counters count_uniform() fills for `count` bins: kUniformLanes for up to 4096
/// bins, else one. Each set holds count + 1 counters, the last for values in no bin.
inline constexpr std::int64_t kUniformLanes = 4;
inline std::int64_t uniform_lanes(std::int64_t count) {
    return count <= 4096 ? kUniformLanes : 1;
}

/// Counts n packed values into `lanes` sets of counters (one after the other), the i-th
/// value into set i % lanes: a run of one bin (a background) then advances that many
/// increments at once instead of waiting on one counter's store. Bins come from
/// sure_bins() where it is sure and worthwhile (float data), else from exact(value),
/// which returns a bin in [0, count) or -1 for none.
template <typename T, typename Exact>
void count_uniform(const T* values, std::int64_t n, const UniformBins& bins, std::int64_t lanes,
                   Exact&& exact, std::int64_t* counts) {
    const auto none = std::int32_t(bins.count);
    const auto bin_of = [&](T value) {
        const std::int64_t j = exact(value);
        return j >= 0 ? std::int32_t(j) : none;
    };
    const bool arithmetic = std::is_floating_point_v<T> && worthwhile(bins);
    constexpr std::int64_t kBlock = 512;
    std::int32_t block_bins[kBlock];
    for (std::int64_t start = 0; start < n; start += kBlock) {
        const std::int64_t length = std::min(kBlock, n - start);
        const T* block = values + start;
        if (!arithmetic) {
            for (std::int64_t i = 0; i < length; ++i)
                block_bins[i] = bin_of(block[i]);
        } else if constexpr (std::is_floating_point_v<T>) {
            if (sure_bins(block, length, bins, block_bins)) {
                for (std::int64_t i = 0; i < length; ++i) {
                    if (block_bins[i] < 0) block_bins[i] = bin_of(block[i]);
                }
            }
        }
        std::int64_t i = 0;
        if (lanes == kUniformLanes) {
            const std::int64_t set = std::int64_t(bins.count) + 1;
            std::int64_t* c0 = counts;
            std::int64_t* c1 = c0 + set;
            std::int64_t* c2 = c1 + set;
            std::int64_t* c3 = c2 + set;
            for (; i + 4 <= length; i += 4) {
                ++c0[block_bins[i]];
                ++c1[block_bins[i + 1]];
                ++c2[block_bins[i + 2]];
                ++c3[block_bins[i + 3]];
            }
        }
        for (; i < length; ++i)
            ++counts[block_bins[i]];
    }
}

/// totals[j] += the counts of bin j in every set count_uniform() filled.
inline void add_uniform_sets(const std::int64_t* counts, std::int64_t count, std::int64_t lanes,
                             std::int64_t* totals) {
    for (std::int64_t lane = 0; lane < lanes; ++lane)
        for (std::int64_t j = 0; j < count; ++j)
            totals[j] += counts[lane * (count + 1) + j];
}

}  // namespace vox::detail
