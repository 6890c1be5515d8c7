// Per-label measures like skimage.measure.regionprops: area, centroid, bbox, intensity_mean.
//
// Rows are read as runs of one label along x: a run updates its label's count, coordinate
// sums, box and integer intensity sums once, whatever its length.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "common.h"
#include "runs.h"
#include "vox/segmentation.h"
#include "vox/stats.h"

namespace vox {
namespace {

using segmentation_detail::Int128;

// One label's accumulators in one slab of planes. Integer sums are exact, so merging slabs
// in any order gives scikit-image's centroids bit for bit.
struct RegionSums {
    std::int64_t count = 0;
    std::array<std::int64_t, 3> sum{0, 0, 0};
    std::array<std::int64_t, 3> lo{std::numeric_limits<std::int64_t>::max(),
                                   std::numeric_limits<std::int64_t>::max(),
                                   std::numeric_limits<std::int64_t>::max()};
    std::array<std::int64_t, 3> hi{-1, -1, -1};

    // Voxels [x0, x1) of row (z, y).
    void add_run(std::int64_t z, std::int64_t y, std::int64_t x0, std::int64_t x1) {
        const std::int64_t n = x1 - x0;
        count += n;
        sum[0] += z * n;
        sum[1] += y * n;
        sum[2] += (x0 + x1 - 1) * n / 2;  // one of the two factors is even
        lo = {std::min(lo[0], z), std::min(lo[1], y), std::min(lo[2], x0)};
        hi = {std::max(hi[0], z), std::max(hi[1], y), std::max(hi[2], x1 - 1)};
    }
};

// Slabs of planes, each with tables of `row_bytes` per label. The count depends on the shape
// and the tables only, so float intensity sums are the same on any thread count. Tables
// larger than the labels themselves are kept once, not per slab.
std::int64_t slab_count(const Shape& shape, std::size_t rows, std::size_t row_bytes,
                        std::size_t label_bytes) {
    const std::int64_t slabs = std::max<std::int64_t>(1, std::min<std::int64_t>(shape.z, 4));
    const double tables = double(slabs) * double(rows) * double(row_bytes);
    return tables > double(shape.voxels()) * double(label_bytes) ? 1 : slabs;
}

template <typename L>
std::int64_t max_label(const VolumeView<const L>& view) {
    std::vector<std::int64_t> partial(std::size_t(view.shape.z), 0);
    parallel_for(0, view.shape.z, 1, [&](std::int64_t z0, std::int64_t z1) {
        for (std::int64_t z = z0; z < z1; ++z) {
            L top = 0;
            for (std::int64_t y = 0; y < view.shape.y; ++y) {
                const L* row = view.row(z, y);
                if (view.strides[2] == 1) {
                    for (std::int64_t x = 0; x < view.shape.x; ++x)
                        top = std::max(top, row[x]);
                } else {
                    for (std::int64_t x = 0; x < view.shape.x; ++x)
                        top = std::max(top, row[x * view.strides[2]]);
                }
            }
            partial[std::size_t(z)] = std::int64_t(top);
        }
    });
    return *std::max_element(partial.begin(), partial.end());
}

// The distinct labels > 0, sorted: the table rows when labels are too sparse to index
// tables directly.
template <typename L>
std::vector<L> distinct_labels(const VolumeView<const L>& view) {
    std::vector<L> result;
    segmentation_detail::RunFinder<L> finder(view.shape.x);
    for (std::int64_t z = 0; z < view.shape.z; ++z) {
        for (std::int64_t y = 0; y < view.shape.y; ++y) {
            const auto add = [&](std::int32_t x0, std::int32_t) {
                const L label = finder.row()[x0];
                if (label > 0 && (result.empty() || result.back() != label))
                    result.push_back(label);
            };
            finder.for_each_run(view.row(z, y), add, view.strides[2]);
        }
    }
    std::sort(result.begin(), result.end());
    result.erase(std::unique(result.begin(), result.end()), result.end());
    return result;
}

// Accumulates planes [z0, z1) into regions (indexed by label) and, with kIntensity, the
// intensity sums per label and channel into sums: exact integers, or doubles added voxel by
// voxel in raster order.
// Table rows are the labels themselves, or their ranks in `sparse` + 1 when it is not empty.
template <typename L, typename T, bool kIntensity, typename Acc>
void scan_slab(const VolumeView<const L>& labels, const std::vector<L>& sparse,
               const VolumeView<const T>& intensity, std::int64_t z0, std::int64_t z1,
               std::vector<RegionSums>& regions, std::vector<Acc>& sums) {
    const std::int64_t nx = labels.shape.x;
    const std::int64_t channels = kIntensity ? intensity.shape.c : 0;
    segmentation_detail::RunFinder<L> finder(nx);
    // Integer intensities: prefix sums of the row per channel (made for rows with a label),
    // so a run's sum is one difference whatever its length. A row of 32-bit values fits in
    // 64 bits.
    constexpr bool kPrefix = kIntensity && !std::is_floating_point_v<T>;
    std::vector<std::int64_t> prefix(kPrefix ? std::size_t((nx + 1) * channels) : 0);
    for (std::int64_t z = z0; z < z1; ++z) {
        for (std::int64_t y = 0; y < labels.shape.y; ++y) {
            bool prefixed = false;
            const auto add = [&](std::int32_t x0, std::int32_t x1) {
                const L label = finder.row()[x0];
                if (!(label > 0)) return;  // negative labels are background
                const std::size_t k =
                    sparse.empty()
                        ? std::size_t(label)
                        : std::size_t(std::lower_bound(sparse.begin(), sparse.end(), label) -
                                      sparse.begin()) +
                              1;
                regions[k].add_run(z, y, x0, x1);
                if constexpr (kPrefix) {
                    if (!prefixed) {
                        for (std::int64_t c = 0; c < channels; ++c) {
                            const T* v = intensity.row(z, y, c);
                            std::int64_t* p = prefix.data() + c * (nx + 1);
                            p[0] = 0;
                            for (std::int64_t x = 0; x < nx; ++x)
                                p[x + 1] = p[x] + std::int64_t(v[x * intensity.strides[2]]);
                        }
                        prefixed = true;
                    }
                    for (std::int64_t c = 0; c < channels; ++c) {
                        const std::int64_t* p = prefix.data() + c * (nx + 1);
                        sums[k * std::size_t(channels) + std::size_t(c)] += Acc(p[x1] - p[x0]);
                    }
                } else if constexpr (kIntensity) {
                    for (std::int64_t c = 0; c < channels; ++c) {
                        const T* v = intensity.row(z, y, c);
                        Acc& total = sums[k * std::size_t(channels) + std::size_t(c)];
                        for (std::int64_t x = x0; x < x1; ++x)
                            total += double(v[x * intensity.strides[2]]);
                    }
                }
            };
            finder.for_each_run(labels.row(z, y), add, labels.strides[2]);
        }
    }
}

template <typename L>
LabelStatistics statistics_typed(const Volume& labels, const std::optional<Volume>& intensity) {
    const auto view = labels.view<L>();
    const Shape& shape = view.shape;
    const std::int64_t top = shape.voxels() == 0 ? 0 : max_label(view);
    constexpr std::int64_t kMaxLabel = std::numeric_limits<std::int32_t>::max();
    if (top > kMaxLabel) {
        throw LimitError(fmt::format("label_statistics: label {} is above {}", top, kMaxLabel));
    }
    // Tables indexed by label, unless far more rows than the volume could fill.
    const std::vector<L> sparse =
        top > 65536 && top > shape.voxels() / 16 ? distinct_labels(view) : std::vector<L>{};
    const std::size_t n = sparse.empty() ? std::size_t(top) + 1 : sparse.size() + 1;
    const std::int64_t channels = intensity ? intensity->shape().c : 0;
    const std::size_t row_bytes = sizeof(RegionSums) + std::size_t(channels) * sizeof(Int128);
    const std::int64_t slabs = slab_count(shape, n, row_bytes, sizeof(L));
    const double table_bytes = double(slabs) * double(n) * double(row_bytes);
    if (table_bytes > double(memory_limit())) {
        throw LimitError(
            fmt::format("label_statistics: tables for {} labels need {:.0f} bytes, "
                        "above the memory limit of {}",
                        n - 1, table_bytes, memory_limit()));
    }
    std::vector<std::vector<RegionSums>> parts(static_cast<std::size_t>(slabs));
    // Intensity sums per slab, label and channel: exact integers or f64.
    std::vector<std::vector<Int128>> int_sums(static_cast<std::size_t>(slabs));
    std::vector<std::vector<double>> float_sums(static_cast<std::size_t>(slabs));
    const bool float_intensity = intensity && is_float(intensity->pixel_type());
    parallel_for(0, slabs, 1, [&](std::int64_t s0, std::int64_t s1) {
        for (std::int64_t s = s0; s < s1; ++s) {
            const std::int64_t z0 = shape.z * s / slabs, z1 = shape.z * (s + 1) / slabs;
            std::vector<RegionSums>& regions = parts[std::size_t(s)];
            regions.assign(n, RegionSums{});
            if (!intensity) {
                scan_slab<L, std::uint8_t, false>(view, sparse, {}, z0, z1, regions,
                                                  int_sums[std::size_t(s)]);
                continue;
            }
            visit(intensity->pixel_type(), [&](auto tag) {
                using T = typename decltype(tag)::type;
                if constexpr (std::is_floating_point_v<T>) {
                    std::vector<double>& sums = float_sums[std::size_t(s)];
                    sums.assign(n * std::size_t(channels), 0.0);
                    scan_slab<L, T, true>(view, sparse, intensity->view<T>(), z0, z1, regions,
                                          sums);
                } else {
                    std::vector<Int128>& sums = int_sums[std::size_t(s)];
                    sums.assign(n * std::size_t(channels), Int128(0));
                    scan_slab<L, T, true>(view, sparse, intensity->view<T>(), z0, z1, regions,
                                          sums);
                }
            });
        }
    });

    LabelStatistics result;
    const Spacing& spacing = labels.spacing();
    result.spacing_known = spacing.known;
    result.volume_unit = spacing.unit.empty() ? "voxel³" : spacing.unit + "³";
    const double voxel_volume = spacing.zyx[0] * spacing.zyx[1] * spacing.zyx[2];
    const bool f32_intensity = intensity && intensity->pixel_type() == PixelType::f32;
    for (std::size_t k = 1; k < n; ++k) {
        RegionStats r;
        std::array<std::int64_t, 3> sum{0, 0, 0};
        r.bbox.begin = parts[0][k].lo;
        r.bbox.end = parts[0][k].hi;
        for (const std::vector<RegionSums>& part : parts) {
            const RegionSums& g = part[k];
            r.voxel_count += g.count;
            for (std::size_t a = 0; a < 3; ++a) {
                sum[a] += g.sum[a];
                r.bbox.begin[a] = std::min(r.bbox.begin[a], g.lo[a]);
                r.bbox.end[a] = std::max(r.bbox.end[a], g.hi[a]);
            }
        }
        if (r.voxel_count == 0) continue;
        r.label = std::int32_t(sparse.empty() ? std::int64_t(k) : std::int64_t(sparse[k - 1]));
        r.volume = double(r.voxel_count) * voxel_volume;
        for (std::size_t a = 0; a < 3; ++a) {
            r.bbox.end[a] += 1;
            r.centroid[a] = double(sum[a]) / double(r.voxel_count);
            r.centroid_physical[a] = r.centroid[a] * spacing.zyx[a];
        }
        for (std::int64_t c = 0; c < channels; ++c) {
            const std::size_t at = k * std::size_t(channels) + std::size_t(c);
            double mean;
            if (float_intensity) {
                double total = 0.0;
                for (const auto& part : float_sums)
                    total += part[at];
                mean = total / double(r.voxel_count);
                // numpy's mean of an f32 array is an f32.
                if (f32_intensity) mean = double(float(mean));
            } else {
                Int128 total = 0;
                for (const auto& part : int_sums)
                    total += part[at];
                mean = double(total) / double(r.voxel_count);
            }
            r.mean_intensity.push_back(mean);
        }
        result.regions.push_back(std::move(r));
    }
    return result;
}

}  // namespace

LabelStatistics label_statistics(const Volume& labels, const std::optional<Volume>& intensity) {
    if (labels.shape().c != 1) {
        throw ValueError(
            fmt::format("label_statistics needs single-channel labels, got {} "
                        "channels",
                        labels.shape().c));
    }
    if (intensity) {
        const Shape& a = labels.shape();
        const Shape& b = intensity->shape();
        if (a.z != b.z || a.y != b.y || a.x != b.x) {
            throw ValueError(
                fmt::format("intensity shape {}x{}x{} differs from the labels' shape {}x{}x{}", b.z,
                            b.y, b.x, a.z, a.y, a.x));
        }
    }
    return visit(labels.pixel_type(), [&](auto tag) -> LabelStatistics {
        using L = typename decltype(tag)::type;
        if constexpr (std::is_floating_point_v<L>) {
            throw TypeError(fmt::format("label_statistics needs integer labels, got {}",
                                        pixel_type_name(labels.pixel_type())));
        } else {
            return statistics_typed<L>(labels, intensity);
        }
    });
}

}  // namespace vox
