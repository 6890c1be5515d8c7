// CLAHE after Karel Zuiderveld, "Contrast Limited Adaptive Histogram Equalization",
// Graphics Gems IV, Academic Press, 1994, pp. 474-485, in the nD form of
// skimage/exposure/_adapthist.py (0.19.3). Every step reproduces skimage's arithmetic
// (same float types and operation order) so that results match value for value.
#include "vox/adapthist.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <vector>

#include "vox/convert.h"
#include "vox/parallel.h"
#include "vox/stats.h"

namespace vox {
namespace {

constexpr std::int64_t kMaxGray = kAdapthistGrayLevels - 1;

// numpy's np.pad(mode="reflect") index: mirror without repeating the edge, periodic
// with period 2 (n - 1) when the pad is wider than the array.
std::int64_t reflect_index(std::int64_t i, std::int64_t n) {
    if (n == 1) return 0;
    const std::int64_t period = 2 * (n - 1);
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - i;
}

// Geometry shared by all channels: padding, tiles and per-axis lookups.
struct Layout {
    std::array<std::int64_t, 3> extent{};  // unpadded
    std::array<std::int64_t, 3> kernel{};
    std::array<std::int64_t, 3> pad_start{};  // k / 2
    std::array<std::int64_t, 3> padded{};     // multiple of k
    std::array<std::int64_t, 3> tiles{};      // ns_hist: padded / k - 1
    // Per axis and unpadded position: the two neighbouring tiles and their weights
    // (1 - o / k and o / k, skimage's inv_coeffs and coeffs).
    std::array<std::vector<std::int64_t>, 3> tile0, tile1;
    std::array<std::vector<double>, 3> weight0, weight1;

    Layout(const Shape& shape, const KernelSize& k) {
        extent = {shape.z, shape.y, shape.x};
        kernel = k;
        for (int d = 0; d < 3; ++d) {
            const std::int64_t s = extent[d], kd = k[d];
            pad_start[d] = kd / 2;
            const std::int64_t pad_end = (kd - s % kd) % kd + (kd + 1) / 2;
            padded[d] = s + pad_start[d] + pad_end;
            tiles[d] = padded[d] / kd - 1;
            tile0[d].resize(std::size_t(s));
            tile1[d].resize(std::size_t(s));
            weight0[d].resize(std::size_t(s));
            weight1[d].resize(std::size_t(s));
            for (std::int64_t i = 0; i < s; ++i) {
                const std::int64_t p = i + pad_start[d];
                const std::int64_t block = p / kd, offset = p % kd;
                // skimage pads the mappings by one tile in edge mode: block b reads
                // tiles b - 1 and b, clamped.
                tile0[d][i] = std::clamp<std::int64_t>(block - 1, 0, tiles[d] - 1);
                tile1[d][i] = std::clamp<std::int64_t>(block, 0, tiles[d] - 1);
                const double c = double(offset) / double(kd);  // np.arange(k) / k
                weight1[d][i] = c;
                weight0[d][i] = 1.0 - c;
            }
        }
    }
    std::int64_t tile_count() const { return tiles[0] * tiles[1] * tiles[2]; }
};

// skimage's clip_histogram, step for step (including its redistribution loop, whose
// result depends on the exact order of increments).
void clip_histogram(std::int64_t* hist, std::int64_t nbins, std::int64_t clip) {
    std::int64_t n_excess = 0;
    for (std::int64_t i = 0; i < nbins; ++i)
        if (hist[i] > clip) {
            n_excess += hist[i] - clip;
            hist[i] = clip;
        }
    const std::int64_t bin_incr = n_excess / nbins;  // n_excess >= 0: floor division
    const std::int64_t upper = clip - bin_incr;
    for (std::int64_t i = 0; i < nbins; ++i)
        if (hist[i] < upper) {
            n_excess -= bin_incr;
            hist[i] += bin_incr;
        }
    // skimage computes this mask after the increments above.
    for (std::int64_t i = 0; i < nbins; ++i)
        if (hist[i] >= upper && hist[i] < clip) {
            n_excess += hist[i] - clip;
            hist[i] = clip;
        }
    std::int64_t under = 0;
    for (std::int64_t i = 0; i < nbins; ++i)
        under += hist[i] < clip;
    while (n_excess > 0) {
        const std::int64_t previous = n_excess;
        for (std::int64_t index = 0; index < nbins; ++index) {
            const std::int64_t step = std::max<std::int64_t>(1, under / n_excess);
            std::int64_t added = 0;
            for (std::int64_t j = index; j < nbins; j += step)
                if (hist[j] < clip) {
                    ++hist[j];
                    ++added;
                    if (hist[j] == clip) --under;
                }
            n_excess -= added;
            if (n_excess <= 0) break;
        }
        if (previous == n_excess) break;
    }
}

// One channel (u16 after img_as_uint) to the integer CLAHE result (skimage's _clahe
// output, before the final rescale), written to `out` (packed z-y-x).
template <typename T>
void clahe_channel(const VolumeView<const std::uint16_t>& in, const Layout& L, double clip_limit,
                   std::int64_t nbins, T* out) {
    // 1. Rescale to 14 bits and bin, through a table over all u16 values. skimage:
    //    np.round(rescale_intensity(u16, out_range=(0, 16383))) in f64, then lut // bin_size.
    const Shape& shape = in.shape;
    std::uint16_t lo = 65535, hi = 0;
    {
        std::vector<std::uint16_t> los(std::size_t(shape.z), 65535), his(std::size_t(shape.z), 0);
        parallel_for(0, shape.z, 1, [&](std::int64_t z0, std::int64_t z1) {
            for (std::int64_t z = z0; z < z1; ++z) {
                std::uint16_t l = 65535, h = 0;
                for (std::int64_t y = 0; y < shape.y; ++y) {
                    const std::uint16_t* row = in.row(z, y);
                    for (std::int64_t x = 0; x < shape.x; ++x) {
                        const std::uint16_t v = row[x * in.strides[2]];
                        l = std::min(l, v);
                        h = std::max(h, v);
                    }
                }
                los[std::size_t(z)] = l;
                his[std::size_t(z)] = h;
            }
        });
        for (std::size_t z = 0; z < los.size(); ++z) {
            lo = std::min(lo, los[z]);
            hi = std::max(hi, his[z]);
        }
    }
    const std::int64_t bin_size = 1 + kAdapthistGrayLevels / nbins;
    std::vector<std::uint16_t> to_bin(65536);
    const double imin = lo, imax = hi;
    for (std::int64_t v = lo; v <= hi; ++v) {
        double q;
        if (imin != imax)
            q = std::nearbyint((double(v) - imin) / (imax - imin) * double(kMaxGray) + 0.0);
        else
            q = std::min<double>(double(v), double(kMaxGray));  // np.clip(image, 0, 16383)
        to_bin[std::size_t(v)] = std::uint16_t(std::int64_t(q) / bin_size);
    }

    // 2. Reflect-padded volume of bins (needed for the tiles' histograms).
    const std::int64_t pz = L.padded[0], py = L.padded[1], px = L.padded[2];
    // Uninitialised (every voxel is written) and on huge pages: no memset, few page faults.
    const std::shared_ptr<std::byte[]> bins_buffer =
        allocate_buffer(checked_allocation({pz, py, px, 2}, "the CLAHE padded volume"));
    std::uint16_t* const bins = reinterpret_cast<std::uint16_t*>(bins_buffer.get());
    std::vector<std::int64_t> src_x(static_cast<std::size_t>(px)),
        src_y(static_cast<std::size_t>(py));
    for (std::int64_t i = 0; i < px; ++i)
        src_x[i] = reflect_index(i - L.pad_start[2], shape.x);
    for (std::int64_t i = 0; i < py; ++i)
        src_y[i] = reflect_index(i - L.pad_start[1], shape.y);
    parallel_for(0, pz, 1, [&](std::int64_t z0, std::int64_t z1) {
        for (std::int64_t z = z0; z < z1; ++z) {
            const std::int64_t sz = reflect_index(z - L.pad_start[0], shape.z);
            for (std::int64_t y = 0; y < py; ++y) {
                const std::uint16_t* row = in.row(sz, src_y[y]);
                std::uint16_t* dst = bins + (z * py + y) * px;
                const std::int64_t sx = in.strides[2];
                for (std::int64_t x = 0; x < px; ++x)
                    dst[x] = to_bin[row[src_x[x] * sx]];
            }
        }
    });

    // 3. Per-tile histograms, clipped and mapped (skimage's map_histogram), in parallel.
    const std::int64_t kz = L.kernel[0], ky = L.kernel[1], kx = L.kernel[2];
    const std::int64_t tile_voxels = kz * ky * kx;
    std::int64_t clip;
    if (clip_limit > 0.0)
        clip =
            std::int64_t(std::max(clip_limit * double(tile_voxels), 1.0));  // int(np.clip(.., 1))
    else
        clip = tile_voxels;  // AHE: no clipping
    const std::int64_t tiles = L.tile_count();
    // The mappings, and two histograms per thread (nbins may exceed the 16384 grey levels).
    checked_allocation({tiles + 2 * std::int64_t(thread_count()), nbins, 8},
                       "the CLAHE table of " + std::to_string(tiles) + " tiles x " +
                           std::to_string(nbins) + " bins");
    std::vector<double> maps(std::size_t(
        checked_product({tiles, nbins}, "CLAHE mappings")));  // as f64: skimage multiplies in f64
    const double scale = double(kMaxGray) / double(tile_voxels);
    parallel_for(0, tiles, 1, [&](std::int64_t t0, std::int64_t t1) {
        std::vector<std::int64_t> hist(static_cast<std::size_t>(nbins));
        // A second histogram for odd x halves the store-to-load chains on flat regions.
        std::vector<std::int64_t> odd(static_cast<std::size_t>(nbins));
        for (std::int64_t t = t0; t < t1; ++t) {
            const std::int64_t tz = t / (L.tiles[1] * L.tiles[2]);
            const std::int64_t ty = (t / L.tiles[2]) % L.tiles[1];
            const std::int64_t tx = t % L.tiles[2];
            std::fill(hist.begin(), hist.end(), 0);
            std::fill(odd.begin(), odd.end(), 0);
            // Tiles start half a kernel into the padded volume (skimage's hist_slices).
            const std::int64_t z_begin = kz / 2 + tz * kz, y_begin = ky / 2 + ty * ky,
                               x_begin = kx / 2 + tx * kx;
            for (std::int64_t z = z_begin; z < z_begin + kz; ++z)
                for (std::int64_t y = y_begin; y < y_begin + ky; ++y) {
                    const std::uint16_t* row = bins + (z * py + y) * px + x_begin;
                    std::int64_t x = 0;
                    for (; x + 1 < kx; x += 2) {
                        ++hist[row[x]];
                        ++odd[row[x + 1]];
                    }
                    if (x < kx) ++hist[row[x]];
                }
            for (std::int64_t b = 0; b < nbins; ++b)
                hist[std::size_t(b)] += odd[std::size_t(b)];
            clip_histogram(hist.data(), nbins, clip);
            double* map = maps.data() + t * nbins;
            std::int64_t cumulative = 0;
            for (std::int64_t b = 0; b < nbins; ++b) {
                cumulative += hist[std::size_t(b)];
                double value = double(cumulative) * scale + 0.0;
                value = std::min(value, double(kMaxGray));
                map[b] = double(std::int64_t(value));  // astype(int): truncation
            }
        }
    });

    // 4. Trilinear interpolation between the 8 neighbouring tiles' mappings, over the
    //    unpadded voxels only, in parallel over planes. skimage sums the edges in
    //    np.ndindex(2, 2, 2) order, each term f64 (map * ((wx * wy) * wz)) cast to f32.
    std::vector<std::uint16_t> plane_lo(std::size_t(shape.z)), plane_hi(std::size_t(shape.z));
    const std::int64_t nty = L.tiles[1], ntx = L.tiles[2];
    parallel_for(0, shape.z, 1, [&](std::int64_t z0, std::int64_t z1) {
        for (std::int64_t z = z0; z < z1; ++z) {
            const std::int64_t tz[2] = {L.tile0[0][z], L.tile1[0][z]};
            const double wz[2] = {L.weight0[0][z], L.weight1[0][z]};
            const std::uint16_t* bin_plane = bins + (z + L.pad_start[0]) * py * px;
            std::uint16_t lo = 65535, hi = 0;
            for (std::int64_t y = 0; y < shape.y; ++y) {
                const std::int64_t ty[2] = {L.tile0[1][y], L.tile1[1][y]};
                const double wy[2] = {L.weight0[1][y], L.weight1[1][y]};
                const double* zy[2][2];
                for (int ez = 0; ez < 2; ++ez)
                    for (int ey = 0; ey < 2; ++ey)
                        zy[ez][ey] = maps.data() + ((tz[ez] * nty + ty[ey]) * ntx) * nbins;
                const std::uint16_t* bin_row =
                    bin_plane + (y + L.pad_start[1]) * px + L.pad_start[2];
                T* dst = out + (z * shape.y + y) * shape.x;
                const double wz0 = wz[0], wz1 = wz[1], wy0 = wy[0], wy1 = wy[1];
                // Runs of x sharing the same two x tiles, so the 8 mappings are fixed.
                for (std::int64_t x = 0; x < shape.x;) {
                    const std::int64_t t0 = L.tile0[2][x] * nbins, t1 = L.tile1[2][x] * nbins;
                    std::int64_t end = x + 1;
                    while (end < shape.x && L.tile0[2][end] * nbins == t0 &&
                           L.tile1[2][end] * nbins == t1)
                        ++end;
                    const double *m000 = zy[0][0] + t0, *m001 = zy[0][0] + t1;
                    const double *m010 = zy[0][1] + t0, *m011 = zy[0][1] + t1;
                    const double *m100 = zy[1][0] + t0, *m101 = zy[1][0] + t1;
                    const double *m110 = zy[1][1] + t0, *m111 = zy[1][1] + t1;
                    for (; x < end; ++x) {
                        const std::int64_t b = bin_row[x];
                        const double wx0 = L.weight0[2][x], wx1 = L.weight1[2][x];
                        const double a00 = wx0 * wy0, a01 = wx1 * wy0;
                        const double a10 = wx0 * wy1, a11 = wx1 * wy1;
                        // np.ndindex(2, 2, 2) order (ez, ey, ex); 0.0f + first term is exact.
                        float sum = float(m000[b] * (a00 * wz0));
                        sum += float(m001[b] * (a01 * wz0));
                        sum += float(m010[b] * (a10 * wz0));
                        sum += float(m011[b] * (a11 * wz0));
                        sum += float(m100[b] * (a00 * wz1));
                        sum += float(m101[b] * (a01 * wz1));
                        sum += float(m110[b] * (a10 * wz1));
                        sum += float(m111[b] * (a11 * wz1));
                        const std::uint16_t value = std::uint16_t(sum);  // astype(uint16)
                        lo = std::min(lo, value);
                        hi = std::max(hi, value);
                        dst[x] = T(value);
                    }
                }
            }
            plane_lo[std::size_t(z)] = lo;
            plane_hi[std::size_t(z)] = hi;
        }
    });

    // 5. skimage's final rescale_intensity(image) of the integer result, in T (f64, or f32
    //    for f32 input), in place.
    const std::uint16_t out_lo = *std::min_element(plane_lo.begin(), plane_lo.end());
    const std::uint16_t out_hi = *std::max_element(plane_hi.begin(), plane_hi.end());
    const std::int64_t n = shape.voxels();
    const T out_min = T(out_lo);
    if (out_lo != out_hi) {
        const T range = T(double(out_hi) - double(out_lo));
        parallel_for(0, n, 1 << 16, [&](std::int64_t i0, std::int64_t i1) {
            for (std::int64_t i = i0; i < i1; ++i)
                out[i] = (out[i] - out_min) / range * T(1.0) + T(0.0);
        });
    } else {
        const T value = std::clamp(T(out_lo), T(0), T(1));  // np.clip(image, 0, 1)
        std::fill(out, out + n, value);
    }
}

void check_parameters(const KernelSize& kernel, double clip_limit, std::int64_t nbins) {
    if (!(clip_limit >= 0.0 && clip_limit <= 1.0)) {
        std::ostringstream message;
        message << "equalize_adapthist: clip_limit must be in [0, 1], got " << clip_limit;
        throw ValueError(message.str());
    }
    for (int d = 0; d < 3; ++d)
        if (kernel[d] < 1)
            throw ValueError("equalize_adapthist: kernel_size must be >= 1 along every axis, got " +
                             std::to_string(kernel[d]) + " along " +
                             std::string(axis_name(Axis(d))));
    if (nbins < 1)
        throw ValueError("equalize_adapthist: nbins must be >= 1, got " + std::to_string(nbins));
}

}  // namespace

KernelSize default_kernel_size(const Volume& volume) {
    const Shape& s = volume.shape();
    return {std::max<std::int64_t>(s.z / 8, 1), std::max<std::int64_t>(s.y / 8, 1),
            std::max<std::int64_t>(s.x / 8, 1)};
}

KernelSize kernel_size_physical(const Volume& volume, const std::array<double, 3>& size_zyx) {
    const Spacing& spacing = volume.spacing();
    if (!spacing.known) throw ValueError("kernel_size_physical: the volume's spacing is unknown");
    KernelSize kernel{};
    for (int d = 0; d < 3; ++d) {
        const double size = size_zyx[std::size_t(d)];
        if (!(std::isfinite(size) && size > 0.0)) {
            std::ostringstream message;
            message << "kernel_size_physical: the size along " << axis_name(Axis(d))
                    << " must be a positive number, got " << size;
            throw ValueError(message.str());
        }
        const double voxels = std::round(size / spacing.zyx[std::size_t(d)]);
        if (!(voxels <= 9.0e15)) {  // beyond, the conversion to voxels would be undefined
            std::ostringstream message;
            message << "kernel_size_physical: the size along " << axis_name(Axis(d)) << ", " << size
                    << ", is too large (" << voxels << " voxels)";
            throw ValueError(message.str());
        }
        kernel[std::size_t(d)] = std::max<std::int64_t>(1, std::int64_t(voxels));
    }
    return kernel;
}

Volume equalize_adapthist(const Volume& volume, std::int64_t kernel_size, double clip_limit,
                          std::int64_t nbins) {
    return equalize_adapthist(volume, KernelSize{kernel_size, kernel_size, kernel_size}, clip_limit,
                              nbins);
}

Volume equalize_adapthist(const Volume& volume, const std::optional<KernelSize>& kernel_size,
                          double clip_limit, std::int64_t nbins) {
    const KernelSize kernel = kernel_size.value_or(default_kernel_size(volume));
    check_parameters(kernel, clip_limit, nbins);
    // skimage: _supported_float_type(image.dtype): f32 stays f32, everything else f64.
    const PixelType out_type =
        volume.pixel_type() == PixelType::f32 ? PixelType::f32 : PixelType::f64;
    const Shape& shape = volume.shape();
    Volume result = Volume::allocate(shape, out_type, Volume::Fill::none);
    result.set_spacing(volume.spacing());
    result.set_affine(volume.affine());
    result.set_channel_names(volume.channel_names());
    result.metadata() = volume.metadata();
    if (shape.voxels() == 0) return result;

    const Layout layout(shape, kernel);
    for (std::int64_t c = 0; c < shape.c; ++c) {
        const Volume u16 = img_as_uint(volume.channel(c));
        visit(out_type, [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_floating_point_v<T>) {
                T* dst = result.mutable_view<T>().origin + c * shape.voxels();
                clahe_channel<T>(u16.view<std::uint16_t>(), layout, clip_limit, nbins, dst);
            }
        });
    }
    return result;
}

}  // namespace vox
