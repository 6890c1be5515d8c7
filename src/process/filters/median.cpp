// Cube median filter reproducing scipy.ndimage.median_filter(size=2r+1, mode='nearest').
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "common.h"
#include "dispatch.h"
#include "vox/filters.h"
#include "vox/parallel.h"

namespace vox {
namespace {

// Clamped source indices for offsets -r..r around every position: 'nearest' edges.
std::vector<std::int64_t> clamped_offsets(std::int64_t n, std::int64_t r) {
    std::vector<std::int64_t> table(static_cast<std::size_t>(n * (2 * r + 1)));
    for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t d = -r; d <= r; ++d) {
            table[std::size_t(i * (2 * r + 1) + d + r)] = std::clamp<std::int64_t>(i + d, 0, n - 1);
        }
    }
    return table;
}

// Voxels along x filtered together: 64 bytes of T, so that every step below is a few
// vector instructions on all of them.
template <typename T>
constexpr std::int64_t kLanes = 64 / std::int64_t(sizeof(T));

// Candidates stored between the rounds of median_block: n / 2 of the n window values.
constexpr std::int64_t stored_candidates(std::int64_t side) {
    return side * side * side / 2;
}

// One round of forgetful selection over the candidates `first`, `last` and source(i) for
// i in [0, count): the smallest and the largest leave, and the count others are stored in
// slots [0, count), in every lane. A slot is kLanes<T> values, one per voxel; source(i)
// may be slot i itself.
template <typename T, typename Source>
inline void drop_extremes(const T* first, const T* last, Source source, T* slots,
                          std::int64_t count) {
    constexpr std::int64_t lanes = kLanes<T>;
    T low[lanes];
    T high[lanes];
    for (std::int64_t l = 0; l < lanes; ++l) {
        low[l] = std::min(first[l], last[l]);
        high[l] = std::max(first[l], last[l]);
    }
    for (std::int64_t i = 0; i < count; ++i) {
        const T* values = source(i);
        T* slot = slots + i * lanes;
        for (std::int64_t l = 0; l < lanes; ++l) {
            const T v = values[l];
            // v's slot keeps the middle of (low, v, high); the extremes move on.
            slot[l] = std::max(std::min(v, high[l]), low[l]);
            low[l] = std::min(v, low[l]);
            high[l] = std::max(v, high[l]);
        }
    }
}

// The medians of kLanes<T> neighbouring voxels by forgetful selection: of the n = side^3
// window values, n / 2 + 2 are candidates; the smallest and the largest candidate cannot be
// the median of what remains, so both leave and the next window value comes in. When the
// last value has come in and the extremes have left, one candidate remains: the median.
// Only min and max, so it is exact for integers and for floats without NaN, and free of
// branches. `rows` points at the side * side padded source rows, each at the block's first
// voxel; `slots` holds n / 2 values of kLanes<T>.
template <typename T>
VOX_AVX2_CLONE void median_block(const T* const* rows, std::int64_t side, T* slots, T* out) {
    constexpr std::int64_t lanes = kLanes<T>;
    const std::int64_t n = side * side * side;
    const std::int64_t keep = stored_candidates(side) + 2;
    const auto value = [&](std::int64_t index) { return rows[index / side] + index % side; };
    // The first keep values straight from the rows; n / 2 of them stay.
    drop_extremes(
        value(0), value(keep - 1), [&](std::int64_t i) { return value(i + 1); }, slots, keep - 2);
    std::int64_t stored = keep - 2;
    for (std::int64_t next = keep; next < n; ++next, --stored) {
        drop_extremes(
            value(next), slots + (stored - 1) * lanes,
            [&](std::int64_t i) -> const T* { return slots + i * lanes; }, slots, stored - 1);
    }
    for (std::int64_t l = 0; l < lanes; ++l)
        out[l] = slots[l];
}

template <typename T>
bool has_nan(const VolumeView<const T>& in) {
    if constexpr (std::is_floating_point_v<T>) {
        const Shape& shape = in.shape;
        for (std::int64_t c = 0; c < shape.c; ++c)
            for (std::int64_t z = 0; z < shape.z; ++z)
                for (std::int64_t y = 0; y < shape.y; ++y) {
                    const T* row = in.row(z, y, c);
                    for (std::int64_t x = 0; x < shape.x; ++x)
                        if (std::isnan(row[x * in.strides[2]])) return true;
                }
    }
    return false;
}

// The fast path: blocks of kLanes<T> voxels along x through median_block, from source
// rows copied with their 'nearest' edges (r voxels each side) so that every window read is
// in bounds and contiguous.
template <typename T>
void median_channel_blocks(const VolumeView<const T>& in, const VolumeView<T>& out,
                           std::int64_t r) {
    constexpr std::int64_t lanes = kLanes<T>;
    const Shape& shape = in.shape;
    const std::int64_t side = 2 * r + 1;
    const std::int64_t blocks = (shape.x + lanes - 1) / lanes;
    const std::int64_t padded = blocks * lanes + 2 * r;
    const std::vector<std::int64_t> zs = clamped_offsets(shape.z, r);
    const std::vector<std::int64_t> ys = clamped_offsets(shape.y, r);
    parallel_for(0, shape.c * shape.z * shape.y, 8, [&](std::int64_t begin, std::int64_t end) {
        std::vector<T> rows_padded(static_cast<std::size_t>(side * side * padded));
        std::vector<const T*> rows(static_cast<std::size_t>(side * side));
        std::vector<T> slots(static_cast<std::size_t>(stored_candidates(side) * lanes));
        T medians[lanes];
        for (std::int64_t item = begin; item < end; ++item) {
            const std::int64_t c = item / (shape.z * shape.y);
            const std::int64_t z = (item / shape.y) % shape.z;
            const std::int64_t y = item % shape.y;
            for (std::int64_t k = 0; k < side * side; ++k) {
                const T* source = in.row(zs[std::size_t(z * side + k / side)],
                                         ys[std::size_t(y * side + k % side)], c);
                T* target = rows_padded.data() + k * padded;
                const std::int64_t step = in.strides[2];
                if (step == 1) {
                    std::copy_n(source, shape.x, target + r);
                } else {
                    for (std::int64_t x = 0; x < shape.x; ++x)
                        target[r + x] = source[x * step];
                }
                std::fill_n(target, r, source[0]);
                std::fill(target + r + shape.x, target + padded, source[(shape.x - 1) * step]);
            }
            T* dst = out.row(z, y, c);
            for (std::int64_t block = 0; block < blocks; ++block) {
                for (std::int64_t k = 0; k < side * side; ++k)
                    rows[std::size_t(k)] = rows_padded.data() + k * padded + block * lanes;
                median_block(rows.data(), side, slots.data(), medians);
                const std::int64_t count = std::min(lanes, shape.x - block * lanes);
                for (std::int64_t l = 0; l < count; ++l)
                    dst[(block * lanes + l) * out.strides[2]] = medians[l];
            }
        }
    });
}

// 8- and 16-bit data for larger radii: a histogram of the window slides along each row
// (Huang's algorithm, in 3D): a step removes the side^2 values of the column leaving and adds
// those of the column coming in, and the median moves from the previous one through fine
// bins or through coarse blocks of 256. O(side^2) per voxel instead of O(side^6).
template <typename T>
void median_channel_histogram(const VolumeView<const T>& in, const VolumeView<T>& out,
                              std::int64_t r) {
    static_assert(sizeof(T) <= 2 && std::is_integral_v<T>);
    constexpr std::int64_t kBins = std::int64_t(1) << (8 * sizeof(T));
    constexpr std::int64_t kLowest = std::numeric_limits<T>::lowest();
    const Shape& shape = in.shape;
    const std::int64_t side = 2 * r + 1;
    const std::int64_t rank = side * side * side / 2;  // scipy: rank = size // 2
    const std::vector<std::int64_t> zs = clamped_offsets(shape.z, r);
    const std::vector<std::int64_t> ys = clamped_offsets(shape.y, r);
    const std::int64_t step = in.strides[2];
    parallel_for(0, shape.c * shape.z * shape.y, 8, [&](std::int64_t begin, std::int64_t end) {
        // Counts by value - lowest, and by blocks of 256 values; both empty between rows.
        std::vector<std::uint32_t> fine(static_cast<std::size_t>(kBins), 0);
        std::vector<std::uint32_t> coarse(static_cast<std::size_t>(kBins / 256 + 1), 0);
        std::vector<const T*> rows(static_cast<std::size_t>(side * side));
        for (std::int64_t item = begin; item < end; ++item) {
            const std::int64_t c = item / (shape.z * shape.y);
            const std::int64_t z = (item / shape.y) % shape.z;
            const std::int64_t y = item % shape.y;
            for (std::int64_t k = 0; k < side * side; ++k)
                rows[std::size_t(k)] = in.row(zs[std::size_t(z * side + k / side)],
                                              ys[std::size_t(y * side + k % side)], c);
            std::int64_t median = 0;  // a bin; `below` counts the values in bins before it
            std::int64_t below = 0;
            const auto update = [&](std::int64_t x, std::uint32_t add) {
                const std::int64_t at = std::clamp<std::int64_t>(x, 0, shape.x - 1) * step;
                for (const T* row : rows) {
                    const std::int64_t bin = std::int64_t(row[at]) - kLowest;
                    fine[std::size_t(bin)] += add;  // add is 1, or -1 modulo 2^32
                    coarse[std::size_t(bin >> 8)] += add;
                    below += bin < median ? std::int32_t(add) : 0;
                }
            };
            for (std::int64_t x = -r; x <= r; ++x)
                update(x, 1);
            T* dst = out.row(z, y, c);
            for (std::int64_t x = 0; x < shape.x; ++x) {
                if (x > 0) {
                    update(x - 1 - r, std::uint32_t(-1));
                    update(x + r, 1);
                }
                // Down while more than `rank` values lie below, up while the bin ends before
                // the rank: then `median` holds the value of rank `rank`.
                while (below > rank) {
                    if ((median & 255) == 0 && median >= 256 &&
                        below - std::int64_t(coarse[std::size_t((median >> 8) - 1)]) > rank) {
                        median -= 256;
                        below -= coarse[std::size_t(median >> 8)];
                    } else {
                        --median;
                        below -= fine[std::size_t(median)];
                    }
                }
                while (below + std::int64_t(fine[std::size_t(median)]) <= rank) {
                    if ((median & 255) == 0 &&
                        below + std::int64_t(coarse[std::size_t(median >> 8)]) <= rank) {
                        below += coarse[std::size_t(median >> 8)];
                        median += 256;
                    } else {
                        below += fine[std::size_t(median)];
                        ++median;
                    }
                }
                dst[x * out.strides[2]] = T(median + kLowest);
            }
            for (std::int64_t x = shape.x - 1 - r; x <= shape.x - 1 + r; ++x)
                update(x, std::uint32_t(-1));
        }
    });
}

template <typename T>
void median_channel(const VolumeView<const T>& in, const VolumeView<T>& out, std::int64_t r) {
    const Shape& shape = in.shape;
    const std::int64_t side = 2 * r + 1;
    const std::vector<std::int64_t> zs = clamped_offsets(shape.z, r);
    const std::vector<std::int64_t> ys = clamped_offsets(shape.y, r);
    const std::vector<std::int64_t> xs = clamped_offsets(shape.x, r);
    const std::int64_t rank = side * side * side / 2;  // scipy: rank = size // 2
    // One item per (channel, plane, row): enough items to balance, cheap to index.
    parallel_for(0, shape.c * shape.z * shape.y, 8, [&](std::int64_t begin, std::int64_t end) {
        std::vector<T> window(static_cast<std::size_t>(side * side * side));
        std::vector<const T*> rows(static_cast<std::size_t>(side * side));
        for (std::int64_t item = begin; item < end; ++item) {
            const std::int64_t c = item / (shape.z * shape.y);
            const std::int64_t z = (item / shape.y) % shape.z;
            const std::int64_t y = item % shape.y;
            for (std::int64_t dz = 0; dz < side; ++dz) {
                for (std::int64_t dy = 0; dy < side; ++dy) {
                    rows[std::size_t(dz * side + dy)] =
                        in.row(zs[std::size_t(z * side + dz)], ys[std::size_t(y * side + dy)], c);
                }
            }
            T* dst = out.row(z, y, c);
            for (std::int64_t x = 0; x < shape.x; ++x) {
                const std::int64_t* xo = xs.data() + x * side;
                T* w = window.data();
                for (const T* row : rows) {
                    for (std::int64_t dx = 0; dx < side; ++dx)
                        *w++ = row[xo[dx] * in.strides[2]];
                }
                std::nth_element(window.begin(), window.begin() + rank, window.end());
                dst[x * out.strides[2]] = window[std::size_t(rank)];
            }
        }
    });
}

// From this radius on, 8/16-bit data take the sliding histogram: forgetful selection costs
// O(side^6) per voxel, the histogram O(side^2).
constexpr std::int64_t kHistogramRadius = 3;
// From this radius on, other types select each window's median with std::nth_element,
// O(side^3) per voxel: on f32 it overtakes forgetful selection between radius 4 and 5.
constexpr std::int64_t kSelectRadius = 5;
// (2r + 1)^3 stays below 2^31: window counts fit the histograms' 32-bit bins.
constexpr std::int64_t kMaxRadius = 640;

}  // namespace

Volume median(const Volume& volume, std::int64_t radius) {
    if (radius < 0) throw ValueError("radius must be >= 0 (got " + std::to_string(radius) + ")");
    if (radius > kMaxRadius) {
        throw LimitError("radius " + std::to_string(radius) + " is too large (at most " +
                         std::to_string(kMaxRadius) + ": a window of 2^31 voxels)");
    }
    Volume out = Volume::allocate(volume.shape(), volume.pixel_type(), Volume::Fill::none);
    detail::copy_volume_metadata(volume, out);
    if (out.empty()) return out;
    visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const VolumeView<const T> in = volume.view<T>();
        // Forgetful selection needs r >= 1; NaN has no place in a min/max order, so such
        // volumes keep the general selection.
        if constexpr (sizeof(T) <= 2) {
            if (radius >= kHistogramRadius) {
                median_channel_histogram<T>(in, out.mutable_view<T>(), radius);
                return;
            }
        }
        if (radius >= 1 && radius < kSelectRadius && !has_nan(in))
            median_channel_blocks<T>(in, out.mutable_view<T>(), radius);
        else
            median_channel<T>(in, out.mutable_view<T>(), radius);
    });
    return out;
}

}  // namespace vox
