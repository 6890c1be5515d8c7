// Per-label measures like skimage.measure.regionprops: area, centroid, bbox, intensity_mean.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "common.h"
#include "vox/segmentation.h"
#include "vox/stats.h"

namespace vox {
namespace {

using segmentation_detail::Int128;

// Dense per-label accumulators for one slab of planes. Integer sums are exact, so merging
// slabs in any order gives scikit-image's centroids bit for bit.
struct Geometry {
    std::vector<std::int64_t> count;
    std::vector<std::array<std::int64_t, 3>> sum;
    std::vector<std::array<std::int64_t, 3>> lo;
    std::vector<std::array<std::int64_t, 3>> hi;

    void resize(std::size_t n) {
        count.assign(n, 0);
        sum.assign(n, {0, 0, 0});
        lo.assign(
            n, {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max(),
                std::numeric_limits<std::int64_t>::max()});
        hi.assign(n, {-1, -1, -1});
    }
};

// Fixed slab count (shape-only) so float intensity sums are the same on any thread count.
std::int64_t slab_count(const Shape& shape) {
    return std::min<std::int64_t>(shape.z, 4);
}

template <typename L>
std::int64_t max_label(const VolumeView<const L>& view) {
    std::int64_t result = 0;
    for (std::int64_t z = 0; z < view.shape.z; ++z) {
        for (std::int64_t y = 0; y < view.shape.y; ++y) {
            const L* row = view.row(z, y);
            for (std::int64_t x = 0; x < view.shape.x; ++x) {
                result = std::max<std::int64_t>(result, std::int64_t(row[x * view.strides[2]]));
            }
        }
    }
    return result;
}

template <typename L>
LabelStatistics statistics_typed(const Volume& labels, const std::optional<Volume>& intensity) {
    const auto view = labels.view<L>();
    const Shape& shape = view.shape;
    const std::int64_t top = max_label(view);
    const std::size_t n = std::size_t(top) + 1;
    const std::int64_t slabs = std::max<std::int64_t>(1, slab_count(shape));
    std::vector<Geometry> parts(static_cast<std::size_t>(slabs));
    const std::int64_t channels = intensity ? intensity->shape().c : 0;
    // Intensity sums per slab, label and channel: exact integers or f64.
    std::vector<std::vector<Int128>> int_sums(static_cast<std::size_t>(slabs));
    std::vector<std::vector<double>> float_sums(static_cast<std::size_t>(slabs));
    const bool float_intensity = intensity && is_float(intensity->pixel_type());

    parallel_for(0, slabs, 1, [&](std::int64_t s0, std::int64_t s1) {
        for (std::int64_t s = s0; s < s1; ++s) {
            const std::int64_t z0 = shape.z * s / slabs, z1 = shape.z * (s + 1) / slabs;
            Geometry& g = parts[std::size_t(s)];
            g.resize(n);
            for (std::int64_t z = z0; z < z1; ++z) {
                for (std::int64_t y = 0; y < shape.y; ++y) {
                    const L* row = view.row(z, y);
                    for (std::int64_t x = 0; x < shape.x; ++x) {
                        const std::int64_t l = std::int64_t(row[x * view.strides[2]]);
                        if (l <= 0) continue;
                        const std::size_t k = std::size_t(l);
                        ++g.count[k];
                        const std::array<std::int64_t, 3> p{z, y, x};
                        for (int a = 0; a < 3; ++a) {
                            g.sum[k][std::size_t(a)] += p[std::size_t(a)];
                            g.lo[k][std::size_t(a)] =
                                std::min(g.lo[k][std::size_t(a)], p[std::size_t(a)]);
                            g.hi[k][std::size_t(a)] =
                                std::max(g.hi[k][std::size_t(a)], p[std::size_t(a)]);
                        }
                    }
                }
            }
            if (!intensity) continue;
            visit(intensity->pixel_type(), [&](auto tag) {
                using T = typename decltype(tag)::type;
                const auto iv = intensity->view<T>();
                using Acc = std::conditional_t<std::is_floating_point_v<T>, double, Int128>;
                std::vector<Acc> sums(n * std::size_t(channels), Acc(0));
                for (std::int64_t c = 0; c < channels; ++c) {
                    for (std::int64_t z = z0; z < z1; ++z) {
                        for (std::int64_t y = 0; y < shape.y; ++y) {
                            const L* row = view.row(z, y);
                            const T* vrow = iv.row(z, y, c);
                            for (std::int64_t x = 0; x < shape.x; ++x) {
                                const std::int64_t l = std::int64_t(row[x * view.strides[2]]);
                                if (l <= 0) continue;
                                sums[std::size_t(l) * std::size_t(channels) + std::size_t(c)] +=
                                    Acc(vrow[x * iv.strides[2]]);
                            }
                        }
                    }
                }
                if constexpr (std::is_floating_point_v<T>) {
                    float_sums[std::size_t(s)] = std::move(sums);
                } else {
                    int_sums[std::size_t(s)] = std::move(sums);
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
        r.bbox.begin = parts[0].lo[k];
        r.bbox.end = parts[0].hi[k];
        for (const Geometry& g : parts) {
            r.voxel_count += g.count[k];
            for (std::size_t a = 0; a < 3; ++a) {
                sum[a] += g.sum[k][a];
                r.bbox.begin[a] = std::min(r.bbox.begin[a], g.lo[k][a]);
                r.bbox.end[a] = std::max(r.bbox.end[a], g.hi[k][a]);
            }
        }
        if (r.voxel_count == 0) continue;
        r.label = std::int32_t(k);
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
