// voxscope: geometric operations with scikit-image 0.19.3 / scipy.ndimage semantics.
//
// resize() follows skimage.transform.resize, which is scipy.ndimage.gaussian_filter (anti-
// aliasing) followed by scipy.ndimage.zoom(grid_mode=True) (scipy/ndimage/src/
// ni_interpolation.c, ni_splines.c). Both are separable, so each runs as one 1-D pass per
// axis over a [outer][n][inner] layout with per-axis tap tables computed once.
#include "vox/geometry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "vox/parallel.h"
#include "vox/stats.h"

namespace vox {
namespace {

using Extents = std::array<std::int64_t, 3>;

// Multiplies the affine on the right by an index transform index' = scale * index + shift
// in (x, y, z) order, so the voxels of the new grid keep their world positions.
Affine compose_index_transform(const Affine& affine, const std::array<double, 3>& scale_xyz,
                               const std::array<double, 3>& shift_xyz) {
    Affine result = affine;
    for (int row = 0; row < 4; ++row) {
        double translation = affine[row * 4 + 3];
        for (int col = 0; col < 3; ++col) {
            result[row * 4 + col] = affine[row * 4 + col] * scale_xyz[col];
            translation += affine[row * 4 + col] * shift_xyz[col];
        }
        result[row * 4 + 3] = translation;
    }
    return result;
}

std::string format_zyx(const auto& values, std::string_view separator) {
    return fmt::format("{}{}{}{}{}", values[0], separator, values[1], separator, values[2]);
}

// An index past [0, n) mapped back by the border rule; -1 for the constant border.
std::int64_t border_index(std::int64_t i, std::int64_t n, ResizeMode mode) {
    if (i >= 0 && i < n) return i;
    switch (mode) {
        case ResizeMode::reflect: {
            if (n == 1) return 0;
            const std::int64_t period = 2 * n - 2;
            i %= period;
            if (i < 0) i += period;
            return i >= n ? period - i : i;
        }
        case ResizeMode::symmetric: {
            const std::int64_t period = 2 * n;
            i %= period;
            if (i < 0) i += period;
            return i >= n ? period - 1 - i : i;
        }
        case ResizeMode::edge:
            return i < 0 ? 0 : n - 1;
        case ResizeMode::constant:
            return -1;
    }
    return -1;
}

// scipy.ndimage's prepadding (npad in _prepad_for_spline_filter) for the cubic spline with
// modes nearest and grid-constant.
constexpr std::int64_t kSplinePad = 12;

// scipy's gaussian_filter skips axes whose sigma is <= 1e-15.
constexpr double kMinSigma = 1e-15;

// A buffer seen as [outer][n][inner], inner contiguous.
struct Layout {
    std::int64_t outer;
    std::int64_t n;
    std::int64_t inner;
};

Layout layout_of(const Extents& extents, int axis) {
    Layout layout{1, extents[std::size_t(axis)], 1};
    for (int a = 0; a < axis; ++a)
        layout.outer *= extents[std::size_t(a)];
    for (int a = axis + 1; a < 3; ++a)
        layout.inner *= extents[std::size_t(a)];
    return layout;
}

// scipy.ndimage.gaussian_filter1d's kernel: truncate 4, radius int(4 sigma + 0.5).
std::vector<double> gaussian_kernel(double sigma) {
    const auto radius = std::int64_t(4.0 * sigma + 0.5);
    std::vector<double> weights(std::size_t(2 * radius + 1));
    const double a = -0.5 / (sigma * sigma);
    double sum = 0.0;
    for (std::int64_t i = -radius; i <= radius; ++i) {
        weights[std::size_t(i + radius)] = std::exp(a * double(i) * double(i));
        sum += weights[std::size_t(i + radius)];
    }
    for (double& w : weights)
        w /= sum;
    return weights;
}

// Lines of one axis filtered together by cubic_axis: the vector lanes of its column loops.
constexpr std::int64_t kCubicLanes = 16;

// scipy's cubic B-spline prefilter (ni_splines.c) down `lanes` (<= kCubicLanes) columns of
// n values in place (value i of column l at block[i * stride + l]), mirror border (scipy
// mode 'mirror') or the symmetric one (scipy 'reflect'). Unser, "Splines: a perfect fit for
// signal and image processing", IEEE Signal Processing Magazine 16(6), 1999. The recursions
// run down the columns, so neighbouring columns fill the vector lanes.
void prefilter_columns(double* block, std::int64_t n, std::int64_t stride, std::int64_t lanes,
                       ResizeMode mode) {
    if (n < 2) return;
    const double z = std::sqrt(3.0) - 2.0;
    const double gain = (1.0 - z) * (1.0 - 1.0 / z);
    for (std::int64_t i = 0; i < n; ++i) {
        double* row = block + i * stride;
        for (std::int64_t j = 0; j < lanes; ++j)
            row[j] *= gain;
    }
    // The causal initial value of every column, the sum over i running outside the lanes so
    // that the columns' sums (each in scipy's order) fill the vector lanes.
    double* first = block;
    const double* last_row = block + (n - 1) * stride;
    if (mode == ResizeMode::reflect) {
        const double z_n_1 = std::pow(z, double(n - 1));
        double c0[kCubicLanes];
        for (std::int64_t j = 0; j < lanes; ++j)
            c0[j] = first[j] + z_n_1 * last_row[j];
        double z_i = z;
        for (std::int64_t i = 1; i < n - 1; ++i) {
            const double* row = block + i * stride;
            const double* mirror = block + (n - 1 - i) * stride;
            for (std::int64_t j = 0; j < lanes; ++j)
                c0[j] += z_i * (row[j] + z_n_1 * mirror[j]);
            z_i *= z;
        }
        for (std::int64_t j = 0; j < lanes; ++j)
            first[j] = c0[j] / (1.0 - z_n_1 * z_n_1);
    } else {
        const double z_n = std::pow(z, double(n));
        double c0[kCubicLanes];
        for (std::int64_t j = 0; j < lanes; ++j)
            c0[j] = first[j] + z_n * last_row[j];
        double z_i = z;
        for (std::int64_t i = 1; i < n; ++i) {
            const double* row = block + i * stride;
            const double* mirror = block + (n - 1 - i) * stride;
            for (std::int64_t j = 0; j < lanes; ++j)
                c0[j] += z_i * (row[j] + z_n * mirror[j]);
            z_i *= z;
        }
        for (std::int64_t j = 0; j < lanes; ++j)
            first[j] = c0[j] * (z / (1.0 - z_n * z_n)) + first[j];
    }
    for (std::int64_t i = 1; i < n; ++i) {
        double* row = block + i * stride;
        const double* previous = row - stride;
        for (std::int64_t j = 0; j < lanes; ++j)
            row[j] += z * previous[j];
    }
    double* last = block + (n - 1) * stride;
    const double* before_last = last - stride;
    for (std::int64_t j = 0; j < lanes; ++j) {
        if (mode == ResizeMode::reflect) {
            last[j] = (z * before_last[j] + last[j]) * z / (z * z - 1.0);
        } else {
            last[j] *= z / (z - 1.0);
        }
    }
    for (std::int64_t i = n - 2; i >= 0; --i) {
        double* row = block + i * stride;
        const double* next = row + stride;
        for (std::int64_t j = 0; j < lanes; ++j)
            row[j] = z * (next[j] - row[j]);
    }
}

// Interpolation taps of one axis: for output k, input indices and weights (scipy's
// NI_ZoomShift with grid_mode: coordinate (k + 0.5) * in / out - 0.5).
struct Taps {
    int count = 1;
    std::vector<std::int64_t> index;
    std::vector<double> weight;
};

// `pad` > 0: the line was padded by `pad` voxels at both ends (scipy's prepadding for the
// cubic spline with modes nearest and grid-constant), so the coordinate moves by `pad`.
Taps zoom_taps(std::int64_t n_in, std::int64_t n_out, int order, ResizeMode mode,
               std::int64_t pad = 0) {
    Taps taps;
    taps.count = order + 1;
    taps.index.resize(std::size_t(n_out * taps.count));
    taps.weight.resize(std::size_t(n_out * taps.count));
    const double zoom = double(n_in) / double(n_out);
    for (std::int64_t k = 0; k < n_out; ++k) {
        // As NI_ZoomShift: grid-mode coordinate, then the prepadding added.
        double cc = (double(k) + 0.5) * zoom - 0.5;
        if (pad > 0) cc += double(pad);
        std::int64_t start = 0;
        std::array<double, 4> w{1.0, 0.0, 0.0, 0.0};
        if (order == 0) {
            start = std::int64_t(std::floor(cc + 0.5));
        } else if (order == 1) {
            start = std::int64_t(std::floor(cc));
            const double x = cc - std::floor(cc);
            w[0] = 1.0 - x;
            w[1] = 1.0 - w[0];
        } else {
            start = std::int64_t(std::floor(cc)) - 1;
            const double x = cc - std::floor(cc);
            const double y = 1.0 - x;
            w[0] = y * y * y / 6.0;
            w[1] = (x * x * (x - 2.0) * 3.0 + 4.0) / 6.0;
            w[2] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
            w[3] = 1.0 - w[0] - w[1] - w[2];
        }
        for (int t = 0; t < taps.count; ++t) {
            // Padded lines are never read past their ends (pad 12 > the cubic support).
            const std::int64_t s = pad > 0
                                       ? std::clamp<std::int64_t>(start + t, 0, n_in + 2 * pad - 1)
                                       : border_index(start + t, n_in, mode);
            const auto slot = std::size_t(k * taps.count + t);
            // Constant border (cval 0): the tap reads voxel 0 with weight 0.
            taps.index[slot] = s < 0 ? 0 : s;
            taps.weight[slot] = s < 0 ? 0.0 : w[std::size_t(t)];
        }
    }
    return taps;
}

// The Gaussian (scipy's gaussian_filter1d) folded into the taps: the zoom reads the smoothed
// line only at its taps, so each output voxel becomes one weighted sum of input voxels and
// the full-size smoothed volume is never computed.
Taps smooth_taps(const Taps& taps, std::int64_t n_in, double sigma, ResizeMode mode) {
    const std::vector<double> kernel = gaussian_kernel(sigma);
    const auto radius = std::int64_t(kernel.size() / 2);
    const auto n_out = std::int64_t(taps.index.size()) / taps.count;
    // Per output voxel: input index -> summed weight. The zoom taps are neighbours, so their
    // kernels overlap; merging equal indices leaves about half the multiplications.
    std::vector<std::vector<std::pair<std::int64_t, double>>> merged(
        static_cast<std::size_t>(n_out));
    std::size_t count = 1;
    for (std::int64_t k = 0; k < n_out; ++k) {
        auto& entries = merged[std::size_t(k)];
        for (int t = 0; t < taps.count; ++t) {
            const std::int64_t p = taps.index[std::size_t(k * taps.count + t)];
            const double w = taps.weight[std::size_t(k * taps.count + t)];
            if (w == 0.0) continue;
            for (std::int64_t s = -radius; s <= radius; ++s) {
                const std::int64_t q = border_index(p + s, n_in, mode);
                if (q < 0) continue;  // constant border: zeros
                const double weight = w * kernel[std::size_t(s + radius)];
                auto it = std::find_if(entries.begin(), entries.end(),
                                       [&](const auto& e) { return e.first == q; });
                if (it == entries.end()) {
                    entries.emplace_back(q, weight);
                } else {
                    it->second += weight;
                }
            }
        }
        count = std::max(count, entries.size());
    }
    Taps result;
    result.count = int(count);
    result.index.assign(std::size_t(n_out) * count, 0);
    result.weight.assign(std::size_t(n_out) * count, 0.0);
    for (std::int64_t k = 0; k < n_out; ++k) {
        const auto& entries = merged[std::size_t(k)];
        for (std::size_t e = 0; e < entries.size(); ++e) {
            result.index[std::size_t(k) * count + e] = entries[e].first;
            result.weight[std::size_t(k) * count + e] = entries[e].second;
        }
        // Padding entries (weight 0) read the first tap, which is in range.
        for (std::size_t e = entries.size(); e < count; ++e) {
            result.index[std::size_t(k) * count + e] = entries.empty() ? 0 : entries[0].first;
        }
    }
    return result;
}

// The x pass of one row: out[k] = sum_t weight * line[index] (a gather per output voxel).
inline void zoom_line(double* out, const double* line, const Taps& taps, std::int64_t n_out) {
    const int count = taps.count;
    for (std::int64_t k = 0; k < n_out; ++k) {
        const std::int64_t* index = taps.index.data() + k * count;
        const double* weight = taps.weight.data() + k * count;
        double sum = 0.0;
        for (int t = 0; t < count; ++t)
            sum += weight[t] * line[index[t]];
        out[k] = sum;
    }
}

// One axis of the cubic resize, in scipy's order: the anti-aliasing Gaussian (correlate1d with
// the mode's border), the prepadding for modes edge and constant, the spline prefilter and
// the zoom. Input and output are [outer][n][inner] buffers (`layout`, and n_out for the
// output). Each group of kCubicLanes lines is gathered once into two small buffers and
// written zoomed: four passes over the volume, each allocating a new one, took most of the
// 3 s of an order-3 resize of 512^3 (its pages faulted in four times). The sums run in the
// same order as those passes did. Along a contiguous axis (inner 1) the lanes are
// neighbouring lines; otherwise neighbouring columns. load(outer, i, j0, count, dst) writes
// values [j0, j0 + count) of position i of `outer` (inner > 1, count within one x row), or
// the whole line `outer` (inner 1: i = 0, j0 = 0, count = n).
template <typename Load>
std::vector<double> cubic_axis(const Layout& layout, std::int64_t n_out, double sigma,
                               ResizeMode mode, std::int64_t row_length, Load load) {
    const std::int64_t n = layout.n;
    const std::int64_t inner = layout.inner;
    const std::vector<double> weights =
        sigma > kMinSigma ? gaussian_kernel(sigma) : std::vector<double>{1.0};
    const auto radius = std::int64_t(weights.size() / 2);
    const bool smooth = weights.size() > 1;
    const bool padded_mode = mode == ResizeMode::edge || mode == ResizeMode::constant;
    // scipy.ndimage.zoom pads 12 voxels (edge copies or zeros) before the prefilter, whose
    // border then is ni_splines.c's reflect initialisation for 'nearest' and the mirror one
    // for 'grid-constant'.
    const std::int64_t pad = padded_mode ? kSplinePad : 0;
    const ResizeMode spline_mode =
        !padded_mode ? mode
                     : (mode == ResizeMode::edge ? ResizeMode::symmetric : ResizeMode::reflect);
    const std::int64_t np = n + 2 * pad;
    const Taps taps = zoom_taps(n, n_out, 3, mode, pad);
    std::vector<std::int64_t> sources(static_cast<std::size_t>(n + 2 * radius));
    for (std::int64_t i = 0; i < n + 2 * radius; ++i)
        sources[std::size_t(i)] = border_index(i - radius, n, mode);
    std::vector<double> out(static_cast<std::size_t>(layout.outer * n_out * inner));
    constexpr std::int64_t lanes = kCubicLanes;
    // Groups: inner 1, kCubicLanes lines; else runs of up to kCubicLanes columns that stay
    // within one x row of every outer index.
    const std::int64_t runs_per_row = (row_length + lanes - 1) / lanes;
    const std::int64_t groups = inner == 1 ? (layout.outer + lanes - 1) / lanes
                                           : layout.outer * (inner / row_length) * runs_per_row;
    const std::int64_t grain = std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, n));
    parallel_for(0, groups, grain, [&](std::int64_t begin, std::int64_t end) {
        // Zeroed once: lanes past a short group's count stay finite.
        std::vector<double> smoothed_in(static_cast<std::size_t>((n + 2 * radius) * lanes), 0.0);
        std::vector<double> line(static_cast<std::size_t>(np * lanes), 0.0);
        std::vector<double> row(static_cast<std::size_t>(inner == 1 ? n : 0));
        for (std::int64_t group = begin; group < end; ++group) {
            std::int64_t outer = 0;
            std::int64_t j0 = 0;
            std::int64_t count = 0;
            // Gather: value i of lane l at gathered[i * lanes + l].
            double* gathered = smooth ? smoothed_in.data() : line.data() + pad * lanes;
            const std::int64_t gathered_rows = smooth ? n + 2 * radius : n;
            if (inner == 1) {
                outer = group * lanes;
                count = std::min(lanes, layout.outer - outer);
                for (std::int64_t l = 0; l < count; ++l) {
                    load(outer + l, 0, 0, n, row.data());
                    for (std::int64_t i = 0; i < gathered_rows; ++i) {
                        const std::int64_t s = smooth ? sources[std::size_t(i)] : i;
                        gathered[i * lanes + l] = s < 0 ? 0.0 : row[std::size_t(s)];
                    }
                }
            } else {
                outer = group / ((inner / row_length) * runs_per_row);
                const std::int64_t run = group % ((inner / row_length) * runs_per_row);
                j0 = (run / runs_per_row) * row_length + (run % runs_per_row) * lanes;
                count = std::min(lanes, (run / runs_per_row + 1) * row_length - j0);
                for (std::int64_t i = 0; i < gathered_rows; ++i) {
                    const std::int64_t s = smooth ? sources[std::size_t(i)] : i;
                    double* dst = gathered + i * lanes;
                    if (s < 0)
                        std::fill_n(dst, count, 0.0);
                    else
                        load(outer, s, j0, count, dst);
                }
            }
            if (smooth) {
                // As correlate1d: w[0] * v[0], then + w[t] * v[t] in order.
                for (std::int64_t i = 0; i < n; ++i) {
                    double* dst = line.data() + (pad + i) * lanes;
                    const double* in = smoothed_in.data() + i * lanes;
                    for (std::int64_t l = 0; l < lanes; ++l)
                        dst[l] = weights[0] * in[l];
                    for (std::size_t t = 1; t < weights.size(); ++t) {
                        const double w = weights[t];
                        const double* tap = in + std::int64_t(t) * lanes;
                        for (std::int64_t l = 0; l < lanes; ++l)
                            dst[l] += w * tap[l];
                    }
                }
            }
            for (std::int64_t i = 0; i < pad; ++i) {
                double* before = line.data() + i * lanes;
                double* after = line.data() + (pad + n + i) * lanes;
                if (mode == ResizeMode::constant) {
                    std::fill_n(before, lanes, 0.0);
                    std::fill_n(after, lanes, 0.0);
                } else {
                    std::copy_n(line.data() + pad * lanes, lanes, before);
                    std::copy_n(line.data() + (pad + n - 1) * lanes, lanes, after);
                }
            }
            prefilter_columns(line.data(), np, lanes, lanes, spline_mode);
            for (std::int64_t k = 0; k < n_out; ++k) {
                const std::int64_t* index = taps.index.data() + k * taps.count;
                const double* weight = taps.weight.data() + k * taps.count;
                double sums[lanes];
                const double* first = line.data() + index[0] * lanes;
                for (std::int64_t l = 0; l < lanes; ++l)
                    sums[l] = weight[0] * first[l];
                for (int t = 1; t < taps.count; ++t) {
                    const double w = weight[t];
                    const double* tap = line.data() + index[t] * lanes;
                    for (std::int64_t l = 0; l < lanes; ++l)
                        sums[l] += w * tap[l];
                }
                if (inner == 1) {
                    for (std::int64_t l = 0; l < count; ++l)
                        out[std::size_t((outer + l) * n_out + k)] = sums[l];
                } else if (count == lanes) {
                    std::memcpy(out.data() + (outer * n_out + k) * inner + j0, sums, sizeof(sums));
                } else {
                    std::copy_n(sums, count, out.data() + (outer * n_out + k) * inner + j0);
                }
            }
        }
    });
    return out;
}

// Taps of an axis that is neither resized nor smoothed: each voxel itself.
Taps identity_taps(std::int64_t n) {
    Taps taps;
    taps.index.resize(std::size_t(n));
    taps.weight.assign(std::size_t(n), 1.0);
    for (std::int64_t k = 0; k < n; ++k)
        taps.index[std::size_t(k)] = k;
    return taps;
}

// dst[x] = (or +=) w * convert(src[x * step]) over a row; `step` 1 is split off so that the
// compiler vectorises the common contiguous case.
template <bool Accumulate, typename S, typename Convert>
inline void weighted_row(double* dst, const S* src, std::int64_t n, std::int64_t step, double w,
                         Convert convert) {
    if (step == 1) {
        for (std::int64_t x = 0; x < n; ++x) {
            const double v = w * convert(double(src[x]));
            dst[x] = Accumulate ? dst[x] + v : v;
        }
    } else {
        for (std::int64_t x = 0; x < n; ++x) {
            const double v = w * convert(double(src[x * step]));
            dst[x] = Accumulate ? dst[x] + v : v;
        }
    }
}

// dst[x] += w * (convert(a[x * step]) + convert(b[x * step])), a null row reading as the
// constant border's 0: the pair term of scipy's correlate1d for symmetric kernels.
template <typename S, typename Convert>
inline void paired_row(double* dst, const S* a, const S* b, std::int64_t n, std::int64_t step,
                       double w, Convert convert) {
    if (a == nullptr && b == nullptr) return;
    if (a == nullptr || b == nullptr) {
        weighted_row<true, S>(dst, a == nullptr ? b : a, n, step, w, convert);
        return;
    }
    for (std::int64_t x = 0; x < n; ++x)
        dst[x] += (convert(double(a[x * step])) + convert(double(b[x * step]))) * w;
}

// One output row of an axis pass: dst = sum_t weight[t] * convert(row(index[t])).
template <typename S, typename RowOf, typename Convert>
inline void combine_rows(double* dst, const Taps& taps, std::int64_t k, std::int64_t n,
                         std::int64_t step, RowOf row_of, Convert convert) {
    const std::int64_t* index = taps.index.data() + k * taps.count;
    const double* weight = taps.weight.data() + k * taps.count;
    weighted_row<false, S>(dst, row_of(index[0]), n, step, weight[0], convert);
    for (int t = 1; t < taps.count; ++t)
        weighted_row<true, S>(dst, row_of(index[t]), n, step, weight[t], convert);
}

// Orders 0 and 1 (Gaussian folded into the taps) of one channel as three separable passes
// that never materialise a full-size intermediate. Two schedules, the cheaper one chosen
// from the tap counts:
// - z first: each output plane is the weighted sum of a few contiguous input planes
//   (vectorised, converting on the fly), then y and x within that plane, which stays in
//   cache. Best when z shrinks (each pass shrinks the data).
// - plane first: y and x within every input plane into a small buffer, then z. Best when
//   z grows (resampling thick slices).
// Every output voxel is computed by one task in a fixed order: results do not depend on the
// thread count. `store(z, y, row)` receives each finished output row.
template <typename T, typename Convert, typename Store>
void separable_resize(const VolumeView<const T>& source, std::int64_t c, const Extents& in,
                      const Extents& out, const std::array<Taps, 3>& taps, Convert convert,
                      Store store) {
    const auto cz = double(taps[0].count);
    const auto cy = double(taps[1].count);
    const auto cx = double(taps[2].count);
    // Multiply-adds; the gathering x pass counted twice.
    const double plane_in = double(in[1]) * double(in[2]);
    const double y_pass = double(out[1]) * double(in[2]) * cy;
    const double x_pass = 2.0 * double(out[1]) * double(out[2]) * cx;
    const double z_first = double(out[0]) * (plane_in * cz + y_pass + x_pass);
    const double plane_first =
        double(in[0]) * (y_pass + x_pass) + double(out[0]) * double(out[1]) * double(out[2]) * cz;
    const std::int64_t step = source.strides[2];
    auto identity = [](double v) { return v; };

    if (z_first <= plane_first) {
        parallel_for(0, out[0], 1, [&](std::int64_t begin, std::int64_t end) {
            std::vector<double> plane(std::size_t(in[1] * in[2]));
            std::vector<double> line(static_cast<std::size_t>(in[2]));
            std::vector<double> row(static_cast<std::size_t>(out[2]));
            for (std::int64_t k = begin; k < end; ++k) {
                for (std::int64_t y = 0; y < in[1]; ++y) {
                    combine_rows<T>(
                        plane.data() + y * in[2], taps[0], k, in[2], step,
                        [&](std::int64_t z) { return source.row(z, y, c); }, convert);
                }
                for (std::int64_t m = 0; m < out[1]; ++m) {
                    combine_rows<double>(
                        line.data(), taps[1], m, in[2], 1,
                        [&](std::int64_t y) { return plane.data() + y * in[2]; }, identity);
                    zoom_line(row.data(), line.data(), taps[2], out[2]);
                    store(k, m, row.data());
                }
            }
        });
        return;
    }
    // Output planes in chunks, so that the input planes reduced in y and x are held only for
    // the chunk that reads them (a window of about 32 MiB, not a reduced copy of the whole
    // input): peak memory stays near input + output. Planes the next chunk also reads stay
    // in the window and are not computed twice.
    const std::int64_t reduced_plane = out[1] * out[2];
    const std::int64_t chunk = std::clamp<std::int64_t>(
        (std::int64_t(32) << 20) / (8 * std::max<std::int64_t>(1, reduced_plane)), 1, out[0]);
    const int count = taps[0].count;
    std::vector<double> window;
    std::vector<char> done;         // which planes of the window hold their reduced values
    std::int64_t window_begin = 0;  // input planes [window_begin, window_end) are in window
    std::int64_t window_end = 0;
    for (std::int64_t k0 = 0; k0 < out[0]; k0 += chunk) {
        const std::int64_t k1 = std::min(out[0], k0 + chunk);
        const auto first_tap = taps[0].index.begin() + k0 * count;
        const auto last_tap = taps[0].index.begin() + k1 * count;
        const std::int64_t z_begin = *std::min_element(first_tap, last_tap);
        const std::int64_t z_end = *std::max_element(first_tap, last_tap) + 1;
        // Keep the planes still needed at the front of the window, reduce the missing ones.
        std::int64_t keep_begin = std::max(window_begin, z_begin);
        std::int64_t keep_end = std::min(window_end, z_end);
        if (keep_begin >= keep_end) keep_begin = keep_end = z_begin;
        std::vector<double> next(static_cast<std::size_t>((z_end - z_begin) * reduced_plane));
        std::copy(window.begin() + (keep_begin - window_begin) * reduced_plane,
                  window.begin() + (keep_end - window_begin) * reduced_plane,
                  next.begin() + (keep_begin - z_begin) * reduced_plane);
        std::vector<char> next_done(static_cast<std::size_t>(z_end - z_begin), 0);
        for (std::int64_t z = keep_begin; z < keep_end; ++z)
            next_done[std::size_t(z - z_begin)] = done[std::size_t(z - window_begin)];
        std::vector<char> needed(static_cast<std::size_t>(z_end - z_begin), 0);
        for (auto tap = first_tap; tap != last_tap; ++tap) {
            const auto i = std::size_t(*tap - z_begin);
            if (!next_done[i]) needed[i] = next_done[i] = 1;
        }
        window = std::move(next);
        done = std::move(next_done);
        window_begin = z_begin;
        window_end = z_end;
        parallel_for(z_begin, z_end, 1, [&](std::int64_t begin, std::int64_t end) {
            std::vector<double> line(static_cast<std::size_t>(in[2]));
            for (std::int64_t z = begin; z < end; ++z) {
                if (!needed[std::size_t(z - z_begin)]) continue;
                double* plane = window.data() + (z - z_begin) * reduced_plane;
                for (std::int64_t m = 0; m < out[1]; ++m) {
                    combine_rows<T>(
                        line.data(), taps[1], m, in[2], step,
                        [&](std::int64_t y) { return source.row(z, y, c); }, convert);
                    zoom_line(plane + m * out[2], line.data(), taps[2], out[2]);
                }
            }
        });
        parallel_for(k0, k1, 1, [&](std::int64_t begin, std::int64_t end) {
            std::vector<double> row(static_cast<std::size_t>(out[2]));
            for (std::int64_t k = begin; k < end; ++k) {
                for (std::int64_t m = 0; m < out[1]; ++m) {
                    combine_rows<double>(
                        row.data(), taps[0], k, out[2], 1,
                        [&](std::int64_t z) {
                            return window.data() + (z - z_begin) * reduced_plane + m * out[2];
                        },
                        identity);
                    store(k, m, row.data());
                }
            }
        });
    }
}

// Integer volumes at order 0 with anti-aliasing, as scipy does them: the Gaussian along z, y
// and x in turn, each pass truncated into the integer type over the whole volume, then the
// nearest voxel sampled. Order 0 reads the smoothed volume only at its samples, so only
// the sampled planes are smoothed along z, only their sampled rows along y and only the
// sampled voxels along x, each with the same sums in the same order as scipy's correlate1d
// for a symmetric kernel (w[r] v[r], then + (v[r - j] + v[r + j]) w[r - j] for j = r..1),
// since every pass truncates and a last-bit difference can change the integer. Each output
// plane is one task: 512^3 u16 to 256^3 went from 1.9 s (three passes over a 1 GB volume
// of doubles) to 151 ms.
template <typename T, typename Convert, typename Store>
void sampled_truncating_resize(const VolumeView<const T>& source, std::int64_t c, const Extents& in,
                               const Extents& out, const std::array<double, 3>& sigma,
                               ResizeMode mode, Convert convert, Store store) {
    std::array<Taps, 3> taps;
    std::array<std::vector<double>, 3> kernels;  // empty: no smoothing along that axis
    for (std::size_t a = 0; a < 3; ++a) {
        taps[a] = zoom_taps(in[a], out[a], 0, mode);
        if (sigma[a] > kMinSigma) kernels[a] = gaussian_kernel(sigma[a]);
    }
    // Padded index t of output i reads voxel border_index(i + t - radius): per axis, the
    // source index of every tap of every sampled position, -1 for the constant border.
    const auto tap_sources = [&](std::size_t a) {
        const auto radius = std::int64_t(kernels[a].size() / 2);
        const auto width = std::int64_t(kernels[a].size());
        std::vector<std::int64_t> sources(std::size_t(out[a] * width));
        for (std::int64_t k = 0; k < out[a]; ++k)
            for (std::int64_t t = 0; t < width; ++t)
                sources[std::size_t(k * width + t)] =
                    border_index(taps[a].index[std::size_t(k)] + t - radius, in[a], mode);
        return sources;
    };
    const std::vector<std::int64_t> z_sources = tap_sources(0);
    // Along y and x every row/voxel within reach of a sample is needed: border indices of
    // the line extended by the kernel's radius at both ends.
    const auto padded_sources = [&](std::size_t a) {
        const auto radius = std::int64_t(kernels[a].size() / 2);
        std::vector<std::int64_t> sources(std::size_t(in[a] + 2 * radius));
        for (std::int64_t i = 0; i < std::int64_t(sources.size()); ++i)
            sources[std::size_t(i)] = border_index(i - radius, in[a], mode);
        return sources;
    };
    const std::vector<std::int64_t> y_sources = padded_sources(1);
    const std::vector<std::int64_t> x_sources = padded_sources(2);
    const std::int64_t step = source.strides[2];
    parallel_for(0, out[0], 1, [&](std::int64_t begin, std::int64_t end) {
        std::vector<double> plane(std::size_t(in[1] * in[2]));
        std::vector<double> line(static_cast<std::size_t>(in[2]));
        std::vector<double> row(static_cast<std::size_t>(out[2]));
        const std::vector<double> zeros(static_cast<std::size_t>(in[2]), 0.0);
        for (std::int64_t k = begin; k < end; ++k) {
            const std::int64_t zk = taps[0].index[std::size_t(k)];
            // The plane zk after the z pass (truncated), every row.
            for (std::int64_t y = 0; y < in[1]; ++y) {
                double* dst = plane.data() + y * in[2];
                if (kernels[0].empty()) {
                    weighted_row<false, T>(dst, source.row(zk, y, c), in[2], step, 1.0, convert);
                    continue;
                }
                const auto width = std::int64_t(kernels[0].size());
                const std::int64_t radius = width / 2;
                const auto tap_row = [&](std::int64_t t) -> const T* {
                    const std::int64_t z = z_sources[std::size_t(k * width + t)];
                    return z < 0 ? nullptr : source.row(z, y, c);
                };
                weighted_row<false, T>(dst, source.row(zk, y, c), in[2], step,
                                       kernels[0][std::size_t(radius)], convert);
                for (std::int64_t j = radius; j >= 1; --j) {
                    paired_row<T>(dst, tap_row(radius - j), tap_row(radius + j), in[2], step,
                                  kernels[0][std::size_t(radius - j)], convert);
                }
                for (std::int64_t x = 0; x < in[2]; ++x)
                    dst[x] = std::trunc(dst[x]);
            }
            const auto plane_row = [&](std::int64_t y) {
                return y < 0 ? zeros.data() : plane.data() + y * in[2];
            };
            for (std::int64_t m = 0; m < out[1]; ++m) {
                const std::int64_t ym = taps[1].index[std::size_t(m)];
                const double* smoothed = plane_row(ym);
                if (!kernels[1].empty()) {
                    const auto identity = [](double v) { return v; };
                    const std::size_t radius = kernels[1].size() / 2;
                    const auto tap_row = [&](std::size_t t) -> const double* {
                        const std::int64_t y = y_sources[std::size_t(ym) + t];
                        return y < 0 ? nullptr : plane.data() + y * in[2];
                    };
                    weighted_row<false, double>(line.data(), plane_row(ym), in[2], 1,
                                                kernels[1][radius], identity);
                    for (std::size_t j = radius; j >= 1; --j) {
                        paired_row<double>(line.data(), tap_row(radius - j), tap_row(radius + j),
                                           in[2], 1, kernels[1][radius - j], identity);
                    }
                    for (std::int64_t x = 0; x < in[2]; ++x)
                        line[std::size_t(x)] = std::trunc(line[std::size_t(x)]);
                    smoothed = line.data();
                }
                for (std::int64_t n = 0; n < out[2]; ++n) {
                    const std::int64_t xn = taps[2].index[std::size_t(n)];
                    if (kernels[2].empty()) {
                        row[std::size_t(n)] = smoothed[xn];
                        continue;
                    }
                    const std::size_t radius = kernels[2].size() / 2;
                    const auto tap = [&](std::size_t t) {
                        const std::int64_t x = x_sources[std::size_t(xn) + t];
                        return x < 0 ? 0.0 : smoothed[x];
                    };
                    double sum = smoothed[xn] * kernels[2][radius];
                    for (std::size_t j = radius; j >= 1; --j)
                        sum += (tap(radius - j) + tap(radius + j)) * kernels[2][radius - j];
                    row[std::size_t(n)] = std::trunc(sum);
                }
                store(k, m, row.data());
            }
        }
    });
}

void check_order(int order) {
    if (order != 0 && order != 1 && order != 3) {
        throw ValueError(fmt::format("order must be 0, 1 or 3, got {}", order));
    }
}

template <typename T>
constexpr double float_scale() {
    // img_as_float multiplies integers by 1 / max (skimage.util.dtype._convert).
    if constexpr (std::is_integral_v<T>) {
        return 1.0 / double(std::numeric_limits<T>::max());
    } else {
        return 1.0;
    }
}

// The second half of skimage's _clip_warp_output with the constant border when 0 (cval) lies
// outside the input's range [low, high]: if the output reaches 0, the clip range is widened
// to include 0, else it is [low, high].
template <typename Out>
void clip_keeping_zeros(Volume& result, double low, double high) {
    const auto [out_low, out_high] = min_max(result);
    if (out_low <= 0.0 && 0.0 <= out_high) {
        low = std::min(low, 0.0);
        high = std::max(high, 0.0);
    }
    const VolumeView<Out> view = result.mutable_view<Out>();
    const Shape& shape = result.shape();
    parallel_for(0, shape.z * shape.c, 1, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t plane = b; plane < e; ++plane) {
            for (std::int64_t y = 0; y < shape.y; ++y) {
                Out* row = view.row(plane % shape.z, y, plane / shape.z);
                for (std::int64_t x = 0; x < shape.x; ++x) {
                    const double v = double(row[x]);
                    row[x] = Out(v < low ? low : (v > high ? high : v));
                }
            }
        }
    });
}

template <typename T, typename Out>
Volume resize_typed(const Volume& volume, const Extents& out_extents, const ResizeOptions& options,
                    bool anti_aliasing) {
    const Shape& shape = volume.shape();
    const Extents in_extents{shape.z, shape.y, shape.x};
    // Values enter as img_as_float would give them (order > 0 without preserve_range).
    const bool scale_values = options.order > 0 && !options.preserve_range;
    const double scale = scale_values ? float_scale<T>() : 1.0;
    const bool clamp_minus_one = scale_values && std::is_signed_v<T> && std::is_integral_v<T>;
    auto convert = [&](double v) {
        v *= scale;
        return clamp_minus_one && v < -1.0 ? -1.0 : v;
    };
    // skimage clips to the range of the whole (converted) image, all channels together.
    double low = -std::numeric_limits<double>::infinity();
    double high = std::numeric_limits<double>::infinity();
    if (options.clip) {
        const auto [lo, hi] = min_max(volume);
        if (!std::isnan(lo)) {
            low = convert(lo);
            high = convert(hi);
        }
    }
    // _clip_warp_output: with the constant border and 0 outside the input range, the clip
    // range widens to include 0 if the output reaches 0. That needs the whole output first,
    // so the clip then runs as a second pass.
    const bool preserve_cval =
        options.mode == ResizeMode::constant && std::isfinite(low) && !(low <= 0.0 && 0.0 <= high);
    const double write_low = preserve_cval ? -std::numeric_limits<double>::infinity() : low;
    const double write_high = preserve_cval ? std::numeric_limits<double>::infinity() : high;
    // Integers filtered at order 0 stay integers in scipy: each pass truncates.
    const bool truncate = std::is_integral_v<Out>;

    const Shape out_shape{out_extents[0], out_extents[1], out_extents[2], shape.c};
    Volume result = Volume::allocate(out_shape, pixel_type_of<Out>(), Volume::Fill::none);
    const VolumeView<const T> source = volume.view<T>();
    const VolumeView<Out> target = result.mutable_view<Out>();
    auto sigma_of = [&](std::size_t a) {
        const double factor = double(in_extents[a]) / double(out_extents[a]);
        return anti_aliasing ? std::max(0.0, (factor - 1.0) / 2.0) : 0.0;
    };
    auto store_row = [&](std::int64_t c, std::int64_t z, std::int64_t y, const double* in) {
        Out* row = target.row(z, y, c);
        for (std::int64_t x = 0; x < out_shape.x; ++x) {
            double v = in[x];
            // np.clip keeps NaN: compare, never std::clamp.
            v = v < write_low ? write_low : (v > write_high ? write_high : v);
            row[x] = Out(v);
        }
    };
    bool smoothed = false;
    for (std::size_t a = 0; a < 3; ++a)
        smoothed = smoothed || sigma_of(a) > kMinSigma;
    // Integer order 0 truncates after each Gaussian pass, which does not fold into the taps.
    const bool truncating = truncate && smoothed;
    if (!truncating && options.order != 3) {
        // Orders 0 and 1: the Gaussian folds into the zoom taps (the smoothed volume is only
        // needed at the taps), so each axis is one weighted sum over input voxels.
        std::array<Taps, 3> taps;
        for (std::size_t a = 0; a < 3; ++a) {
            const double sigma = sigma_of(a);
            if (in_extents[a] == out_extents[a] && sigma <= kMinSigma) {
                // Orders 0 and 1 at an unchanged extent sample the voxels themselves.
                taps[a] = identity_taps(in_extents[a]);
                continue;
            }
            taps[a] = zoom_taps(in_extents[a], out_extents[a], options.order, options.mode);
            if (sigma > kMinSigma)
                taps[a] = smooth_taps(taps[a], in_extents[a], sigma, options.mode);
        }
        for (std::int64_t c = 0; c < shape.c; ++c) {
            separable_resize<T>(source, c, in_extents, out_extents, taps, convert,
                                [&](std::int64_t z, std::int64_t y, const double* row) {
                                    store_row(c, z, y, row);
                                });
        }
    }
    if (truncating && options.order == 0) {
        const std::array<double, 3> sigma{sigma_of(0), sigma_of(1), sigma_of(2)};
        for (std::int64_t c = 0; c < shape.c; ++c) {
            sampled_truncating_resize<T>(source, c, in_extents, out_extents, sigma, options.mode,
                                         convert,
                                         [&](std::int64_t z, std::int64_t y, const double* row) {
                                             store_row(c, z, y, row);
                                         });
        }
    }
    for (std::int64_t c = 0; c < shape.c && options.order == 3; ++c) {
        // Operators along different axes commute, so each axis is smoothed, prefiltered and
        // zoomed in turn, z first: each pass shrinks what the next one reads when z shrinks,
        // and the contiguous x axis, whose lines fill the lanes less cheaply, comes last.
        // The first pass reads the voxels themselves, converted as they are gathered.
        const std::int64_t step = source.strides[2];
        Extents extents = in_extents;
        std::vector<double> data;
        for (int axis = 0; axis < 3; ++axis) {
            const auto a = std::size_t(axis);
            const Layout layout = layout_of(extents, axis);
            const auto from_data = [&](std::int64_t outer, std::int64_t i, std::int64_t j0,
                                       std::int64_t count, double* dst) {
                const double* src = data.data() + (outer * layout.n + i) * layout.inner + j0;
                // A copy of constant size is a few vector moves; a call to memmove per group
                // of lanes took 29% of the time.
                if (count == kCubicLanes)
                    std::memcpy(dst, src, sizeof(double) * kCubicLanes);
                else
                    std::copy_n(src, count, dst);
            };
            if (axis == 0 && layout.inner > 1) {
                data = cubic_axis(layout, out_extents[a], sigma_of(a), options.mode, extents[2],
                                  [&](std::int64_t, std::int64_t z, std::int64_t j0,
                                      std::int64_t count, double* dst) {
                                      const std::int64_t y = j0 / extents[2];
                                      const T* in = source.row(z, y, c) + (j0 % extents[2]) * step;
                                      for (std::int64_t x = 0; x < count; ++x)
                                          dst[x] = convert(double(in[x * step]));
                                  });
            } else {
                if (axis == 0) {
                    // A volume of one voxel per plane: its single line, converted.
                    data.resize(std::size_t(extents[0]));
                    for (std::int64_t z = 0; z < extents[0]; ++z)
                        data[std::size_t(z)] = convert(double(source.row(z, 0, c)[0]));
                }
                data = cubic_axis(layout, out_extents[a], sigma_of(a), options.mode, extents[2],
                                  from_data);
            }
            extents[a] = out_extents[a];
        }
        parallel_for(0, out_shape.z, 1, [&](std::int64_t z0, std::int64_t z1) {
            for (std::int64_t z = z0; z < z1; ++z) {
                for (std::int64_t y = 0; y < out_shape.y; ++y)
                    store_row(c, z, y, data.data() + (z * out_shape.y + y) * out_shape.x);
            }
        });
    }
    if (preserve_cval) clip_keeping_zeros<Out>(result, low, high);
    Spacing spacing = volume.spacing();
    std::array<double, 3> factors{};
    for (std::size_t a = 0; a < 3; ++a) {
        factors[a] = double(in_extents[a]) / double(out_extents[a]);
        spacing.zyx[a] *= factors[a];
    }
    result.set_spacing(spacing);
    if (volume.affine()) {
        // Output voxel k sits at input coordinate (k + 0.5) * f - 0.5.
        result.set_affine(compose_index_transform(
            *volume.affine(), {factors[2], factors[1], factors[0]},
            {(factors[2] - 1.0) / 2.0, (factors[1] - 1.0) / 2.0, (factors[0] - 1.0) / 2.0}));
    }
    result.set_channel_names(volume.channel_names());
    result.metadata() = volume.metadata();
    return result;
}

// numpy's round half to even.
double round_half_even(double v) {
    return std::nearbyint(v);
}

// Pads row by row: border planes and rows take their source row from the maps (or are the
// value), and each row copies its source row in one piece between its border columns.
template <typename T>
Volume pad_typed(const Volume& volume, const Shape& out_shape,
                 const std::array<std::vector<std::int64_t>, 3>& map_zyx, std::int64_t left,
                 bool constant, T value) {
    Volume result = Volume::allocate(out_shape, volume.pixel_type(), Volume::Fill::none);
    const VolumeView<const T> source = volume.view<T>();
    const VolumeView<T> target = result.mutable_view<T>();
    const auto& mz = map_zyx[0];
    const auto& my = map_zyx[1];
    const auto& mx = map_zyx[2];
    const std::int64_t nx = source.shape.x, step = source.strides[2];
    parallel_for(0, out_shape.z * out_shape.c, 1, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t plane = b; plane < e; ++plane) {
            const std::int64_t c = plane / out_shape.z;
            const std::int64_t z = plane % out_shape.z;
            for (std::int64_t y = 0; y < out_shape.y; ++y) {
                T* out = target.row(z, y, c);
                const std::int64_t sz = mz[std::size_t(z)];
                const std::int64_t sy = my[std::size_t(y)];
                if (constant && (sz < 0 || sy < 0)) {
                    std::fill(out, out + out_shape.x, value);
                    continue;
                }
                const T* in = source.row(sz, sy, c);
                const auto border = [&](std::int64_t x) {
                    const std::int64_t sx = mx[std::size_t(x)];
                    out[x] = sx < 0 ? value : in[sx * step];
                };
                for (std::int64_t x = 0; x < left; ++x)
                    border(x);
                if (step == 1) {
                    std::memcpy(out + left, in, std::size_t(nx) * sizeof(T));
                } else {
                    for (std::int64_t x = 0; x < nx; ++x)
                        out[left + x] = in[x * step];
                }
                for (std::int64_t x = left + nx; x < out_shape.x; ++x)
                    border(x);
            }
        }
    });
    result.set_channel_names(volume.channel_names());
    result.metadata() = volume.metadata();
    return result;
}

template <typename T>
Volume block_mean_typed(const Volume& volume, const Extents& factors, double cval) {
    using Out = std::conditional_t<std::is_same_v<T, float>, float, double>;
    const Shape& shape = volume.shape();
    const Extents in{shape.z, shape.y, shape.x};
    // Blocks past the end, and the voxels counted, are bounded by the volume: a factor far
    // beyond its axis (block_mean:1000000) neither overflows nor walks padding.
    Extents out{};
    Extents last{};  // the first voxel of each axis's last block
    for (std::size_t a = 0; a < 3; ++a) {
        out[a] = in[a] / factors[a] + (in[a] % factors[a] != 0 ? 1 : 0);
        last[a] = (out[a] - 1) * factors[a];
    }
    const Shape out_shape{out[0], out[1], out[2], shape.c};
    Volume result = Volume::allocate(out_shape, pixel_type_of<Out>(), Volume::Fill::none);
    const VolumeView<const T> source = volume.view<T>();
    const VolumeView<Out> target = result.mutable_view<Out>();
    const double count = double(factors[0]) * double(factors[1]) * double(factors[2]);
    // The end, inside the volume, of the block that starts at `first` along axis a.
    const auto block_end = [&](std::size_t a, std::int64_t first) {
        return first == last[a] ? in[a] : first + factors[a];
    };
    parallel_for(0, out[0] * shape.c, 1, [&](std::int64_t b, std::int64_t e) {
        std::vector<double> sums(static_cast<std::size_t>(out[2]));
        for (std::int64_t plane = b; plane < e; ++plane) {
            const std::int64_t c = plane / out[0];
            const std::int64_t oz = plane % out[0];
            for (std::int64_t oy = 0; oy < out[1]; ++oy) {
                std::fill(sums.begin(), sums.end(), 0.0);
                const std::int64_t z_end = block_end(0, oz * factors[0]);
                const std::int64_t y_end = block_end(1, oy * factors[1]);
                for (std::int64_t z = oz * factors[0]; z < z_end; ++z) {
                    for (std::int64_t y = oy * factors[1]; y < y_end; ++y) {
                        const T* row = source.row(z, y, c);
                        const std::int64_t step = source.strides[2];
                        // Block by block: a division per voxel to find its block took most
                        // of the time. Each block's sum adds its voxels in the same order.
                        const std::int64_t whole = in[2] / factors[2];
                        for (std::int64_t ox = 0; ox < whole; ++ox) {
                            const T* block = row + ox * factors[2] * step;
                            double sum = sums[std::size_t(ox)];
                            for (std::int64_t k = 0; k < factors[2]; ++k)
                                sum += double(block[k * step]);
                            sums[std::size_t(ox)] = sum;
                        }
                        for (std::int64_t x = whole * factors[2]; x < in[2]; ++x)
                            sums[std::size_t(whole)] += double(row[x * step]);
                    }
                }
                Out* row = target.row(oz, oy, c);
                for (std::int64_t ox = 0; ox < out[2]; ++ox) {
                    // Padding voxels of the block: all minus those inside the volume.
                    const std::int64_t nz = z_end - oz * factors[0];
                    const std::int64_t ny = y_end - oy * factors[1];
                    const std::int64_t nx = block_end(2, ox * factors[2]) - ox * factors[2];
                    const double outside = count - double(nz * ny * nx);
                    row[ox] = Out((sums[std::size_t(ox)] + outside * cval) / count);
                }
            }
        }
    });
    Spacing spacing = volume.spacing();
    for (std::size_t a = 0; a < 3; ++a)
        spacing.zyx[a] *= double(factors[a]);
    result.set_spacing(spacing);
    if (volume.affine()) {
        const std::array<double, 3> f{double(factors[2]), double(factors[1]), double(factors[0])};
        result.set_affine(compose_index_transform(
            *volume.affine(), f, {(f[0] - 1.0) / 2.0, (f[1] - 1.0) / 2.0, (f[2] - 1.0) / 2.0}));
    }
    result.set_channel_names(volume.channel_names());
    result.metadata() = volume.metadata();
    return result;
}

}  // namespace

ResizeMode parse_resize_mode(std::string_view text) {
    if (text == "reflect") return ResizeMode::reflect;
    if (text == "symmetric") return ResizeMode::symmetric;
    if (text == "edge") return ResizeMode::edge;
    if (text == "constant") return ResizeMode::constant;
    throw ValueError(fmt::format(
        "unknown resize mode '{}': expected reflect, symmetric, edge or constant", text));
}

PadMode parse_pad_mode(std::string_view text) {
    if (text == "constant") return PadMode::constant;
    if (text == "edge") return PadMode::edge;
    if (text == "reflect") return PadMode::reflect;
    throw ValueError(
        fmt::format("unknown pad mode '{}': expected constant, edge or reflect", text));
}

Volume resize(const Volume& volume, const std::array<std::int64_t, 3>& shape_zyx,
              const ResizeOptions& options) {
    if (shape_zyx[0] < 1 || shape_zyx[1] < 1 || shape_zyx[2] < 1) {
        throw ValueError(
            fmt::format("output shape must be positive, got {}", format_zyx(shape_zyx, "x")));
    }
    check_order(options.order);
    const Shape& shape = volume.shape();
    if (shape.voxels() == 0) throw ValueError("cannot resize an empty volume");
    const bool anti_aliasing = options.anti_aliasing.value_or(
        shape_zyx[0] < shape.z || shape_zyx[1] < shape.y || shape_zyx[2] < shape.x);
    return visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        if (options.order == 0) {
            return resize_typed<T, T>(volume, shape_zyx, options, anti_aliasing);
        }
        // img_as_float (and preserve_range's cast) keep float32, integers become float64.
        using F = std::conditional_t<std::is_same_v<T, float>, float, double>;
        return resize_typed<T, F>(volume, shape_zyx, options, anti_aliasing);
    });
}

Volume rescale(const Volume& volume, const std::array<double, 3>& factors_zyx,
               const ResizeOptions& options) {
    for (double f : factors_zyx) {
        if (!(f > 0.0) || !std::isfinite(f)) {
            throw ValueError(
                fmt::format("scale factors must be > 0, got {}", format_zyx(factors_zyx, ", ")));
        }
    }
    const Shape& shape = volume.shape();
    const Extents in{shape.z, shape.y, shape.x};
    Extents out{};
    for (std::size_t a = 0; a < 3; ++a) {
        const double extent = round_half_even(factors_zyx[a] * double(in[a]));
        if (extent > 9.0e15) {  // beyond, the conversion would be undefined
            throw LimitError(fmt::format("scale factors {} give an output of {} voxels along {}",
                                         format_zyx(factors_zyx, ", "), extent,
                                         axis_name(Axis(a))));
        }
        out[a] = std::max<std::int64_t>(1, std::int64_t(extent));
    }
    return resize(volume, out, options);
}

Volume resample_isotropic(const Volume& volume, int order) {
    check_order(order);
    const auto& zyx = volume.spacing().zyx;
    const double target = std::min({zyx[0], zyx[1], zyx[2]});
    ResizeOptions options;
    options.order = order;
    options.anti_aliasing = false;
    return rescale(volume, {zyx[0] / target, zyx[1] / target, zyx[2] / target}, options);
}

Volume crop(const Volume& volume, const Box& box) {
    return volume.crop(box).copy();
}

Volume flip(const Volume& volume, Axis axis) {
    const Shape& shape = volume.shape();
    const Extents extents{shape.z, shape.y, shape.x};
    Volume result = Volume::allocate(shape, volume.pixel_type(), Volume::Fill::none);
    visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const VolumeView<const T> source = volume.view<T>();
        const VolumeView<T> target = result.mutable_view<T>();
        const std::int64_t step = source.strides[2];
        // Whole rows: copied (z, y) or reversed (x), not gathered through an index table.
        parallel_for(0, shape.z * shape.c, 1, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t plane = b; plane < e; ++plane) {
                const std::int64_t c = plane / shape.z;
                const std::int64_t z = plane % shape.z;
                const std::int64_t sz = axis == Axis::z ? shape.z - 1 - z : z;
                for (std::int64_t y = 0; y < shape.y; ++y) {
                    const std::int64_t sy = axis == Axis::y ? shape.y - 1 - y : y;
                    const T* in = source.row(sz, sy, c);
                    T* out = target.row(z, y, c);
                    if (axis == Axis::x) {
                        for (std::int64_t x = 0; x < shape.x; ++x)
                            out[x] = in[(shape.x - 1 - x) * step];
                    } else if (step == 1) {
                        std::copy_n(in, shape.x, out);
                    } else {
                        for (std::int64_t x = 0; x < shape.x; ++x)
                            out[x] = in[x * step];
                    }
                }
            }
        });
    });
    result.set_channel_names(volume.channel_names());
    result.metadata() = volume.metadata();
    result.set_spacing(volume.spacing());
    if (volume.affine()) {
        std::array<double, 3> scale{1.0, 1.0, 1.0};
        std::array<double, 3> shift{0.0, 0.0, 0.0};
        const std::size_t xyz = 2 - std::size_t(axis);
        scale[xyz] = -1.0;
        shift[xyz] = double(extents[std::size_t(axis)] - 1);
        result.set_affine(compose_index_transform(*volume.affine(), scale, shift));
    }
    return result;
}

Volume permute_axes(const Volume& volume, const std::array<int, 3>& order) {
    std::array<bool, 3> seen{false, false, false};
    for (int a : order) {
        if (a < 0 || a > 2 || seen[std::size_t(a)]) {
            throw ValueError(fmt::format("axis order must be a permutation of 0, 1, 2, got {}",
                                         format_zyx(order, ", ")));
        }
        seen[std::size_t(a)] = true;
    }
    const Shape& shape = volume.shape();
    const Extents in{shape.z, shape.y, shape.x};
    const Shape out_shape{in[std::size_t(order[0])], in[std::size_t(order[1])],
                          in[std::size_t(order[2])], shape.c};
    Volume result = Volume::allocate(out_shape, volume.pixel_type(), Volume::Fill::none);
    visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const VolumeView<const T> source = volume.view<T>();
        const VolumeView<T> target = result.mutable_view<T>();
        // Element stride in the source of each output axis.
        const std::array<std::int64_t, 3> step{source.strides[std::size_t(order[0])],
                                               source.strides[std::size_t(order[1])],
                                               source.strides[std::size_t(order[2])]};
        // The output axis read along the source's rows (smallest step).
        const auto along = std::size_t(std::min_element(step.begin(), step.end()) - step.begin());
        if (along == 2 || out_shape.x == 1) {
            parallel_for(0, out_shape.z * out_shape.c, 1, [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t plane = b; plane < e; ++plane) {
                    const std::int64_t c = plane / out_shape.z;
                    const std::int64_t z = plane % out_shape.z;
                    const T* base = source.origin + c * source.strides[3] + z * step[0];
                    for (std::int64_t y = 0; y < out_shape.y; ++y) {
                        T* out = target.row(z, y, c);
                        const T* in_row = base + y * step[1];
                        for (std::int64_t x = 0; x < out_shape.x; ++x)
                            out[x] = in_row[x * step[2]];
                    }
                }
            });
        } else {
            // Output rows read the source across its rows, one cache line per voxel: a 512^3
            // transpose took 1 s. Tiles of one cache line's worth of output rows along
            // `along` (neighbours in a source row) by kTileX voxels read each source line
            // once and write whole row pieces.
            constexpr std::int64_t kTile = std::max<std::int64_t>(1, 64 / sizeof(T));
            constexpr std::int64_t kTileX = 64;
            const std::size_t other = 1 - along;  // the output axis among z, y left over
            const std::array<std::int64_t, 3> extent{out_shape.z, out_shape.y, out_shape.x};
            const std::int64_t tiles = (extent[along] + kTile - 1) / kTile;
            parallel_for(0, shape.c * extent[other] * tiles, 1,
                         [&](std::int64_t b, std::int64_t e) {
                             for (std::int64_t task = b; task < e; ++task) {
                                 const std::int64_t c = task / (extent[other] * tiles);
                                 std::array<std::int64_t, 3> o{0, 0, 0};
                                 o[other] = (task / tiles) % extent[other];
                                 const std::int64_t first = (task % tiles) * kTile;
                                 const std::int64_t last = std::min(first + kTile, extent[along]);
                                 const T* base =
                                     source.origin + c * source.strides[3] + o[other] * step[other];
                                 for (std::int64_t x0 = 0; x0 < extent[2]; x0 += kTileX) {
                                     const std::int64_t count = std::min(kTileX, extent[2] - x0);
                                     for (std::int64_t i = first; i < last; ++i) {
                                         o[along] = i;
                                         T* out = target.row(o[0], o[1], c) + x0;
                                         const T* in = base + i * step[along] + x0 * step[2];
                                         for (std::int64_t x = 0; x < count; ++x)
                                             out[x] = in[x * step[2]];
                                     }
                                 }
                             }
                         });
        }
    });
    Spacing spacing = volume.spacing();
    for (std::size_t a = 0; a < 3; ++a)
        spacing.zyx[a] = volume.spacing().zyx[std::size_t(order[a])];
    result.set_spacing(spacing);
    if (volume.affine()) {
        // Column (2 - i) of the affine belongs to axis i (zyx); move the columns along.
        const Affine& old = *volume.affine();
        Affine affine = old;
        for (std::size_t i = 0; i < 3; ++i) {
            const std::size_t new_col = 2 - i;
            const std::size_t old_col = 2 - std::size_t(order[i]);
            for (std::size_t row = 0; row < 4; ++row)
                affine[row * 4 + new_col] = old[row * 4 + old_col];
        }
        result.set_affine(affine);
    }
    result.set_channel_names(volume.channel_names());
    result.metadata() = volume.metadata();
    return result;
}

Volume pad(const Volume& volume, const std::array<std::array<std::int64_t, 2>, 3>& widths,
           PadMode mode, double value) {
    for (const auto& w : widths) {
        if (w[0] < 0 || w[1] < 0) {
            throw ValueError(fmt::format(
                "pad widths must be >= 0, got ({}, {}), ({}, {}), ({}, {})", widths[0][0],
                widths[0][1], widths[1][0], widths[1][1], widths[2][0], widths[2][1]));
        }
    }
    const Shape& shape = volume.shape();
    const Extents in{shape.z, shape.y, shape.x};
    if (shape.voxels() == 0) throw ValueError("cannot pad an empty volume");
    const Shape out_shape{in[0] + widths[0][0] + widths[0][1], in[1] + widths[1][0] + widths[1][1],
                          in[2] + widths[2][0] + widths[2][1], shape.c};
    const ResizeMode border = mode == PadMode::constant ? ResizeMode::constant
                              : mode == PadMode::edge   ? ResizeMode::edge
                                                        : ResizeMode::reflect;
    std::array<std::vector<std::int64_t>, 3> maps;
    const Extents out{out_shape.z, out_shape.y, out_shape.x};
    for (std::size_t a = 0; a < 3; ++a) {
        maps[a].resize(std::size_t(out[a]));
        for (std::int64_t i = 0; i < out[a]; ++i)
            maps[a][std::size_t(i)] = border_index(i - widths[a][0], in[a], border);
    }
    Volume result = visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        // numpy would wrap or cast without a word; a value the type cannot hold is a mistake.
        if constexpr (std::is_integral_v<T>) {
            if (!(value >= double(std::numeric_limits<T>::min()) &&
                  value <= double(std::numeric_limits<T>::max()) && value == std::floor(value))) {
                throw ValueError(
                    fmt::format("pad value {} is not a {} value (an integer in [{}, {}])", value,
                                pixel_type_name(volume.pixel_type()), std::numeric_limits<T>::min(),
                                std::numeric_limits<T>::max()));
            }
        } else if (std::isfinite(value) &&
                   std::abs(value) > double(std::numeric_limits<T>::max())) {
            throw ValueError(fmt::format("pad value {} is beyond the {} range", value,
                                         pixel_type_name(volume.pixel_type())));
        }
        return pad_typed<T>(volume, out_shape, maps, widths[2][0], mode == PadMode::constant,
                            T(value));
    });
    result.set_spacing(volume.spacing());
    if (volume.affine()) {
        result.set_affine(compose_index_transform(
            *volume.affine(), {1.0, 1.0, 1.0},
            {-double(widths[2][0]), -double(widths[1][0]), -double(widths[0][0])}));
    }
    return result;
}

Volume block_mean(const Volume& volume, const std::array<std::int64_t, 3>& factors_zyx,
                  double cval) {
    if (factors_zyx[0] < 1 || factors_zyx[1] < 1 || factors_zyx[2] < 1) {
        throw ValueError(
            fmt::format("block factors must be >= 1, got {}", format_zyx(factors_zyx, ", ")));
    }
    if (volume.shape().voxels() == 0) throw ValueError("cannot reduce an empty volume");
    return visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        return block_mean_typed<T>(volume, factors_zyx, cval);
    });
}

}  // namespace vox
