// Separable Gaussian filter reproducing scipy.ndimage.gaussian_filter (scipy 1.10,
// ndimage/_filters.py and src/ni_filters.c: NI_Correlate1D, symmetric-kernel path).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <type_traits>
#include <vector>

#include "common.h"
#include "dispatch.h"
#include "vox/convert.h"
#include "vox/filters.h"
#include "vox/parallel.h"

namespace vox {
namespace {

// Half of scipy's _gaussian_kernel1d: weights[j] for offsets 0..radius, normalised
// by the sum over the full kernel.
std::vector<double> half_kernel(double sigma, std::int64_t radius) {
    const double scale = -0.5 / (sigma * sigma);
    std::vector<double> full(static_cast<std::size_t>(2 * radius + 1));
    for (std::int64_t i = -radius; i <= radius; ++i) {
        full[std::size_t(i + radius)] = std::exp(scale * double(i * i));
    }
    double sum = 0.0;
    for (double w : full)
        sum += w;
    std::vector<double> half(static_cast<std::size_t>(radius + 1));
    for (std::int64_t j = 0; j <= radius; ++j)
        half[std::size_t(j)] = full[std::size_t(radius + j)] / sum;
    return half;
}

// Radii beyond this are refused: even summing such a kernel once would take seconds.
constexpr std::int64_t kMaxRadius = 100'000'000;

// For a kernel at least as long as the line (radius >= n): every tap beyond an end reads that
// end's value ('nearest'), so the line's n outputs are a dense n x n matrix times its n
// inputs, matrix[i * n + j] the weight of input j in output i. O(n) per output instead of
// O(radius), the same weights as scipy's, summed in another order.
std::vector<double> dense_kernel(double sigma, std::int64_t radius, std::int64_t n) {
    const double scale = -0.5 / (sigma * sigma);
    double sum = 0.0;
    for (std::int64_t i = -radius; i <= radius; ++i)
        sum += std::exp(scale * double(i * i));
    // w[j] for offsets 0..n, and tail[m]: the weights of offsets m..radius together.
    std::vector<double> w(static_cast<std::size_t>(n) + 1), tail(static_cast<std::size_t>(n) + 2);
    for (std::int64_t j = 0; j <= n; ++j)
        w[std::size_t(j)] = std::exp(scale * double(j * j)) / sum;
    double beyond = 0.0;
    for (std::int64_t j = radius; j > n; --j)
        beyond += std::exp(scale * double(j * j)) / sum;
    tail[std::size_t(n) + 1] = beyond;
    for (std::int64_t m = n; m >= 1; --m)
        tail[std::size_t(m)] = tail[std::size_t(m) + 1] + w[std::size_t(m)];
    std::vector<double> matrix(static_cast<std::size_t>(n * n));
    for (std::int64_t i = 0; i < n; ++i) {
        double* row = matrix.data() + i * n;
        for (std::int64_t j = 0; j < n; ++j)
            row[j] = w[std::size_t(std::abs(i - j))];
        row[0] += tail[std::size_t(i) + 1];      // offsets before the first input
        row[n - 1] += tail[std::size_t(n - i)];  // offsets after the last
    }
    return matrix;
}

// out[i] = sum over j of matrix[i * n + j] in[j * step] for `count` interleaved lines
// (k in [0, count) at in + k), the dense form of correlate_symmetric.
void correlate_dense(const double* in, std::int64_t step, std::int64_t count,
                     const std::vector<double>& matrix, std::int64_t n, std::int64_t i,
                     double* out) {
    std::fill(out, out + count, 0.0);
    const double* row = matrix.data() + i * n;
    for (std::int64_t j = 0; j < n; ++j) {
        const double weight = row[j];
        const double* src = in + j * step;
        for (std::int64_t k = 0; k < count; ++k)
            out[k] += src[k] * weight;
    }
}

// out[k] = c[k] w[0] + sum over j from r down to 1 of (c[k - j step] + c[k + j step]) w[j],
// for k in [0, count), with c = centre: each output sums in scipy's order (centre first, then
// the pairs from the outermost inwards). Blocks of 16 outputs stay in registers across the
// taps instead of going through memory once per tap. The AVX2 clone has no FMA, so both
// clones round every operation alike and give identical results.
VOX_AVX2_CLONE void correlate_symmetric(const double* centre, std::int64_t step, std::int64_t count,
                                        const double* w, std::int64_t r, double* out) {
    // Vectors of four: one AVX register each in the AVX2 clone, two SSE ones otherwise.
    // Loads and stores go through memcpy, which compiles to unaligned vector moves.
    using Double4 = double __attribute__((vector_size(32)));
    const auto load = [](Double4& v, const double* p) { std::memcpy(&v, p, sizeof v); };
    constexpr std::int64_t kBlock = 16;
    std::int64_t k = 0;
    for (; k + kBlock <= count; k += kBlock) {
        Double4 s0, s1, s2, s3;
        load(s0, centre + k);
        load(s1, centre + k + 4);
        load(s2, centre + k + 8);
        load(s3, centre + k + 12);
        s0 *= w[0];
        s1 *= w[0];
        s2 *= w[0];
        s3 *= w[0];
        for (std::int64_t j = r; j >= 1; --j) {
            const double* lo = centre + k - j * step;
            const double* hi = centre + k + j * step;
            Double4 l0, l1, l2, l3, h0, h1, h2, h3;
            load(l0, lo);
            load(l1, lo + 4);
            load(l2, lo + 8);
            load(l3, lo + 12);
            load(h0, hi);
            load(h1, hi + 4);
            load(h2, hi + 8);
            load(h3, hi + 12);
            const double wj = w[j];
            s0 += (l0 + h0) * wj;
            s1 += (l1 + h1) * wj;
            s2 += (l2 + h2) * wj;
            s3 += (l3 + h3) * wj;
        }
        std::memcpy(out + k, &s0, sizeof s0);
        std::memcpy(out + k + 4, &s1, sizeof s1);
        std::memcpy(out + k + 8, &s2, sizeof s2);
        std::memcpy(out + k + 12, &s3, sizeof s3);
    }
    for (; k < count; ++k) {
        double sum = centre[k] * w[0];
        for (std::int64_t j = r; j >= 1; --j)
            sum += (centre[k - j * step] + centre[k + j * step]) * w[j];
        out[k] = sum;
    }
}

// Filters rows along x in place. Each row is copied, padded with its edge values,
// into a double buffer; the sum order is scipy's: centre first, then the pairs
// from the outermost inwards.
template <typename F>
void pass_x(F* data, const Shape& shape, const std::vector<double>& w,
            const std::vector<double>& dense) {
    const std::int64_t n = shape.x;
    const std::int64_t r = dense.empty() ? std::int64_t(w.size()) - 1 : 0;
    const std::int64_t rows = shape.c * shape.z * shape.y;
    parallel_for(0, rows, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(n, 1)),
                 [&](std::int64_t begin, std::int64_t end) {
                     std::vector<double> buffer(static_cast<std::size_t>(n + 2 * r));
                     std::vector<double> sums(static_cast<std::size_t>(n));
                     double* line = buffer.data() + r;
                     double* acc = sums.data();
                     for (std::int64_t row = begin; row < end; ++row) {
                         F* p = data + row * n;
                         for (std::int64_t i = 0; i < n; ++i)
                             line[i] = double(p[i]);
                         if (!dense.empty()) {
                             for (std::int64_t i = 0; i < n; ++i)
                                 correlate_dense(line, 1, 1, dense, n, i, acc + i);
                         } else {
                             for (std::int64_t j = 1; j <= r; ++j) {
                                 line[-j] = line[0];
                                 line[n - 1 + j] = line[n - 1];
                             }
                             correlate_symmetric(line, 1, n, w.data(), r, acc);
                         }
                         for (std::int64_t i = 0; i < n; ++i)
                             p[i] = F(acc[i]);
                     }
                 });
}

// Filters in place along an axis whose lines run at `stride` elements, `n` long,
// starting at base(o) for o in [0, outer). Neighbouring lines (consecutive x) are
// processed together as a panel, so each step reads whole cache lines and the inner
// loop vectorises over x.
template <typename F, typename Base>
void pass_panel(F* data, std::int64_t outer, std::int64_t n, std::int64_t stride,
                std::int64_t width, Base base, const std::vector<double>& w,
                const std::vector<double>& dense) {
    const std::int64_t r = dense.empty() ? std::int64_t(w.size()) - 1 : 0;
    // Panel columns: about 256 KiB of buffer, so a panel stays in L2.
    const std::int64_t columns =
        std::clamp<std::int64_t>(32768 / (n + 2 * r), 8, std::max<std::int64_t>(width, 1));
    const std::int64_t chunks = (width + columns - 1) / columns;
    parallel_for(0, outer * chunks, 1, [&](std::int64_t begin, std::int64_t end) {
        std::vector<double> buffer(static_cast<std::size_t>((n + 2 * r) * columns));
        std::vector<double> acc(static_cast<std::size_t>(columns));
        for (std::int64_t item = begin; item < end; ++item) {
            const std::int64_t o = item / chunks;
            const std::int64_t x0 = (item % chunks) * columns;
            const std::int64_t cw = std::min(columns, width - x0);
            F* origin = data + base(o) + x0;
            double* panel = buffer.data() + r * columns;
            for (std::int64_t i = 0; i < n; ++i) {
                const F* src = origin + i * stride;
                double* dst = panel + i * columns;
                for (std::int64_t k = 0; k < cw; ++k)
                    dst[k] = double(src[k]);
            }
            for (std::int64_t j = 1; j <= r; ++j) {
                std::copy_n(panel, cw, panel - j * columns);
                std::copy_n(panel + (n - 1) * columns, cw, panel + (n - 1 + j) * columns);
            }
            for (std::int64_t i = 0; i < n; ++i) {
                double* a = acc.data();
                if (dense.empty()) {
                    correlate_symmetric(panel + i * columns, columns, cw, w.data(), r, a);
                } else {
                    correlate_dense(panel, columns, cw, dense, n, i, a);
                }
                F* dst = origin + i * stride;
                for (std::int64_t k = 0; k < cw; ++k)
                    dst[k] = F(a[k]);
            }
        }
    });
}

std::string format_number(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

}  // namespace

Volume gaussian(const Volume& volume, double sigma, const GaussianOptions& options) {
    return gaussian(volume, {sigma, sigma, sigma}, options);
}

Volume gaussian(const Volume& volume, const std::array<double, 3>& sigma_zyx,
                const GaussianOptions& options) {
    for (int a = 0; a < 3; ++a) {
        if (!(sigma_zyx[std::size_t(a)] >= 0.0)) {
            throw ValueError("sigma must be >= 0 (got " + format_number(sigma_zyx[std::size_t(a)]) +
                             " along " + std::string(axis_name(Axis(a))) + ")");
        }
    }
    if (!(options.truncate >= 0.0)) {
        throw ValueError("truncate must be >= 0 (got " + format_number(options.truncate) + ")");
    }
    std::array<double, 3> sigma = sigma_zyx;
    if (options.unit == SigmaUnit::physical) {
        if (!volume.spacing().known) {
            throw ValueError("sigma in physical units needs a known spacing");
        }
        for (std::size_t a = 0; a < 3; ++a)
            sigma[a] /= volume.spacing().zyx[a];
    }

    // skimage: convert_to_float (img_as_float, or astype(float) with preserve_range).
    Volume as_float;
    if (is_float(volume.pixel_type())) {
        as_float = volume;
    } else if (options.preserve_range) {
        as_float = astype(volume, PixelType::f64, CastMode::clip);
    } else {
        as_float = img_as_float(volume);
    }
    // Filtered in place: never in the caller's buffer.
    Volume out = as_float.shares_memory_with(volume) ? as_float.copy() : as_float.contiguous();
    detail::copy_volume_metadata(volume, out);
    if (out.empty()) return out;

    const Shape shape = out.shape();
    visit(out.pixel_type(), [&](auto tag) {
        using F = typename decltype(tag)::type;
        if constexpr (std::is_floating_point_v<F>) {
            F* data = out.mutable_view<F>().origin;
            for (int a = 0; a < 3; ++a) {
                const double s = sigma[std::size_t(a)];
                if (s <= 1e-15) continue;  // scipy skips such axes
                // A kernel longer than the line folds its tails onto the ends' values, so
                // that a sigma far beyond the volume costs O(n) per voxel, not O(radius).
                const double reach = options.truncate * s + 0.5;
                const std::int64_t n = shape.extent(Axis(a));
                if (!(reach <= double(kMaxRadius))) {
                    throw LimitError("sigma " + format_number(s) + " along " +
                                     std::string(axis_name(Axis(a))) + " is too large");
                }
                const auto radius = std::int64_t(reach);
                std::vector<double> w, dense;
                if (radius >= n) {
                    checked_allocation({n, n, 8},
                                       "a Gaussian kernel over " + std::to_string(n) + " voxels");
                    dense = dense_kernel(s, radius, n);
                } else {
                    w = half_kernel(s, radius);
                }
                const std::int64_t plane = shape.y * shape.x;
                if (Axis(a) == Axis::z) {
                    pass_panel(
                        data, shape.c * shape.y, shape.z, plane, shape.x,
                        [&](std::int64_t o) {
                            return (o / shape.y) * shape.z * plane + (o % shape.y) * shape.x;
                        },
                        w, dense);
                } else if (Axis(a) == Axis::y) {
                    pass_panel(
                        data, shape.c * shape.z, shape.y, shape.x, shape.x,
                        [&](std::int64_t o) { return o * plane; }, w, dense);
                } else {
                    pass_x(data, shape, w, dense);
                }
            }
        }
    });
    return out;
}

}  // namespace vox
