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

// A window's counts by bin, and by blocks of 256 bins, with its median bin tracked from one
// window to the next (Huang's algorithm, in 3D): a step along a row removes the side^2 values
// of the column leaving and adds those of the column coming in, and the median moves from
// the previous one through fine bins or through whole blocks. O(side^2) per voxel instead of
// O(side^3) or O(side^6) for selection.
class SlidingHistogram {
public:
    explicit SlidingHistogram(std::int64_t bins)
        : fine_(static_cast<std::size_t>(bins), 0),
          coarse_(static_cast<std::size_t>(bins / 256 + 1), 0) {}

    // Adds (add = 1) or removes (add = -1 modulo 2^32) the bins of column `at` of `rows`.
    template <typename BinOf, typename Row>
    void update(const std::vector<const Row*>& rows, std::int64_t at, std::uint32_t add,
                BinOf bin_of) {
        for (const Row* row : rows) {
            const std::int64_t bin = bin_of(row[at]);
            fine_[std::size_t(bin)] += add;
            coarse_[std::size_t(bin >> 8)] += add;
            below_ += bin < median_ ? std::int32_t(add) : 0;
        }
    }

    // The bin holding the value of rank `rank`: down while more than `rank` values lie
    // below, up while the bin ends before the rank.
    std::int64_t select(std::int64_t rank) {
        while (below_ > rank) {
            if ((median_ & 255) == 0 && median_ >= 256 &&
                below_ - std::int64_t(coarse_[std::size_t((median_ >> 8) - 1)]) > rank) {
                median_ -= 256;
                below_ -= coarse_[std::size_t(median_ >> 8)];
            } else {
                --median_;
                below_ -= fine_[std::size_t(median_)];
            }
        }
        while (below_ + std::int64_t(fine_[std::size_t(median_)]) <= rank) {
            if ((median_ & 255) == 0 &&
                below_ + std::int64_t(coarse_[std::size_t(median_ >> 8)]) <= rank) {
                below_ += coarse_[std::size_t(median_ >> 8)];
                median_ += 256;
            } else {
                below_ += fine_[std::size_t(median_)];
                ++median_;
            }
        }
        return median_;
    }

    // For a new row: the counts must be empty again (every column added was removed).
    void restart() {
        median_ = 0;
        below_ = 0;
    }

private:
    std::vector<std::uint32_t> fine_;
    std::vector<std::uint32_t> coarse_;
    std::int64_t median_ = 0;  // a bin; below_ counts the values in bins before it
    std::int64_t below_ = 0;
};

// Slides a SlidingHistogram along one row of the output: `rows` are the side^2 source rows
// around it (x stride `step`), bin_of maps a source value to its bin and value_of a bin to
// the output value.
template <typename Row, typename T, typename BinOf, typename ValueOf>
void slide_median_row(SlidingHistogram& histogram, const std::vector<const Row*>& rows,
                      std::int64_t nx, std::int64_t step, std::int64_t r, BinOf bin_of,
                      ValueOf value_of, T* dst, std::int64_t dst_step) {
    const std::int64_t side = 2 * r + 1;
    const std::int64_t rank = side * side * side / 2;  // scipy: rank = size // 2
    const auto column = [&](std::int64_t x, std::uint32_t add) {
        histogram.update(rows, std::clamp<std::int64_t>(x, 0, nx - 1) * step, add, bin_of);
    };
    histogram.restart();
    for (std::int64_t x = -r; x <= r; ++x)
        column(x, 1);
    for (std::int64_t x = 0; x < nx; ++x) {
        if (x > 0) {
            column(x - 1 - r, std::uint32_t(-1));
            column(x + r, 1);
        }
        dst[x * dst_step] = value_of(histogram.select(rank));
    }
    for (std::int64_t x = nx - 1 - r; x <= nx - 1 + r; ++x)
        column(x, std::uint32_t(-1));
}

// 8- and 16-bit data for larger radii: bins are the values themselves.
template <typename T>
void median_channel_histogram(const VolumeView<const T>& in, const VolumeView<T>& out,
                              std::int64_t r) {
    static_assert(sizeof(T) <= 2 && std::is_integral_v<T>);
    constexpr std::int64_t kBins = std::int64_t(1) << (8 * sizeof(T));
    constexpr std::int64_t kLowest = std::numeric_limits<T>::lowest();
    const Shape& shape = in.shape;
    const std::int64_t side = 2 * r + 1;
    const std::vector<std::int64_t> zs = clamped_offsets(shape.z, r);
    const std::vector<std::int64_t> ys = clamped_offsets(shape.y, r);
    parallel_for(0, shape.c * shape.z * shape.y, 8, [&](std::int64_t begin, std::int64_t end) {
        SlidingHistogram histogram(kBins);
        std::vector<const T*> rows(static_cast<std::size_t>(side * side));
        for (std::int64_t item = begin; item < end; ++item) {
            const std::int64_t c = item / (shape.z * shape.y);
            const std::int64_t z = (item / shape.y) % shape.z;
            const std::int64_t y = item % shape.y;
            for (std::int64_t k = 0; k < side * side; ++k)
                rows[std::size_t(k)] = in.row(zs[std::size_t(z * side + k / side)],
                                              ys[std::size_t(y * side + k % side)], c);
            slide_median_row(
                histogram, rows, shape.x, in.strides[2], r,
                [](T value) { return std::int64_t(value) - kLowest; },
                [](std::int64_t bin) { return T(bin + kLowest); }, out.row(z, y, c),
                out.strides[2]);
        }
    });
}

// Other types for larger radii: the values of a tile of rows and its margins are replaced by
// their ranks among the tile's distinct values, and the ranks are the bins. Tiles keep the
// histogram small enough to stay in cache; their margins are sorted twice or more.
template <typename T>
void median_channel_ranked(const VolumeView<const T>& in, const VolumeView<T>& out,
                           std::int64_t r) {
    const Shape& shape = in.shape;
    const std::int64_t side = 2 * r + 1;
    const std::vector<std::int64_t> zs = clamped_offsets(shape.z, r);
    const std::vector<std::int64_t> ys = clamped_offsets(shape.y, r);
    // Tiles of about kTileVoxels with their margins, square in z and y.
    constexpr std::int64_t kTileVoxels = std::int64_t(1) << 18;
    const std::int64_t across = std::max<std::int64_t>(
        std::int64_t(std::sqrt(double(kTileVoxels) / double(shape.x))) - 2 * r, 8);
    const std::int64_t tile_z = std::min(across, shape.z);
    const std::int64_t tile_y = std::min(across, shape.y);
    const std::int64_t tiles_z = (shape.z + tile_z - 1) / tile_z;
    const std::int64_t tiles_y = (shape.y + tile_y - 1) / tile_y;
    const std::int64_t region =
        std::min(tile_z + 2 * r, shape.z) * std::min(tile_y + 2 * r, shape.y) * shape.x;
    const std::string what = "a median tile of " + std::to_string(region) + " voxels per thread";
    if (region > std::numeric_limits<std::uint32_t>::max())
        throw LimitError(what + " is too large");
    // Per voxel: its (value, index) pair, rank, distinct value and bin.
    checked_allocation(
        {region,
         std::int64_t(sizeof(std::pair<T, std::uint32_t>) + sizeof(T) + 2 * sizeof(std::uint32_t)),
         thread_count()},
        what);
    parallel_for(0, shape.c * tiles_z * tiles_y, 1, [&](std::int64_t begin, std::int64_t end) {
        std::vector<std::pair<T, std::uint32_t>> sorted;
        std::vector<std::uint32_t> ranks;
        std::vector<T> distinct;
        std::vector<const std::uint32_t*> rows(static_cast<std::size_t>(side * side));
        for (std::int64_t item = begin; item < end; ++item) {
            const std::int64_t c = item / (tiles_z * tiles_y);
            const std::int64_t z0 = (item / tiles_y) % tiles_z * tile_z;
            const std::int64_t y0 = item % tiles_y * tile_y;
            const std::int64_t z1 = std::min(z0 + tile_z, shape.z);
            const std::int64_t y1 = std::min(y0 + tile_y, shape.y);
            // The source rows the tile's windows read: its own and r more each side.
            const std::int64_t mz0 = std::max<std::int64_t>(z0 - r, 0);
            const std::int64_t my0 = std::max<std::int64_t>(y0 - r, 0);
            const std::int64_t mz1 = std::min(z1 + r, shape.z);
            const std::int64_t my1 = std::min(y1 + r, shape.y);
            const std::int64_t ny = my1 - my0;
            sorted.clear();
            for (std::int64_t z = mz0; z < mz1; ++z)
                for (std::int64_t y = my0; y < my1; ++y) {
                    const T* row = in.row(z, y, c);
                    const std::int64_t first = ((z - mz0) * ny + (y - my0)) * shape.x;
                    for (std::int64_t x = 0; x < shape.x; ++x)
                        sorted.emplace_back(row[x * in.strides[2]], std::uint32_t(first + x));
                }
            std::sort(sorted.begin(), sorted.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
            ranks.resize(sorted.size());
            distinct.clear();
            for (const auto& [value, index] : sorted) {
                if (distinct.empty() || distinct.back() < value) distinct.push_back(value);
                ranks[index] = std::uint32_t(distinct.size() - 1);
            }
            SlidingHistogram histogram(std::int64_t(distinct.size()));
            for (std::int64_t z = z0; z < z1; ++z)
                for (std::int64_t y = y0; y < y1; ++y) {
                    for (std::int64_t k = 0; k < side * side; ++k) {
                        const std::int64_t sz = zs[std::size_t(z * side + k / side)] - mz0;
                        const std::int64_t sy = ys[std::size_t(y * side + k % side)] - my0;
                        rows[std::size_t(k)] = ranks.data() + (sz * ny + sy) * shape.x;
                    }
                    slide_median_row(
                        histogram, rows, shape.x, 1, r,
                        [](std::uint32_t bin) { return std::int64_t(bin); },
                        [&](std::int64_t bin) { return distinct[std::size_t(bin)]; },
                        out.row(z, y, c), out.strides[2]);
                }
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
// From this radius on, other types take ranks as bins; forgetful selection costs O(side^6)
// per voxel.
constexpr std::int64_t kRankedRadius = 2;
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
        if constexpr (sizeof(T) <= 2) {
            if (radius >= kHistogramRadius) {
                median_channel_histogram<T>(in, out.mutable_view<T>(), radius);
                return;
            }
            if (radius >= 1) {  // radius 2 by selection: 0.21 s against 0.30 s by histogram
                median_channel_blocks<T>(in, out.mutable_view<T>(), radius);
                return;
            }
        }
        // NaN has no place in a min/max order nor among ranks, so such volumes keep the
        // general selection, as does radius 0.
        if (radius == 0 || has_nan(in))
            median_channel<T>(in, out.mutable_view<T>(), radius);
        else if (radius < kRankedRadius)
            median_channel_blocks<T>(in, out.mutable_view<T>(), radius);
        else
            median_channel_ranked<T>(in, out.mutable_view<T>(), radius);
    });
    return out;
}

}  // namespace vox
