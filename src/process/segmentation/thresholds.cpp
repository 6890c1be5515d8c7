// Global thresholds with scikit-image 0.19.3 semantics (skimage/filters/thresholding.py),
// on histograms built as skimage.exposure.histogram and numpy.histogram build them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "common.h"
#include "integer_sums.h"
#include "uniform_bins.h"
#include "value_counts.h"
#include "vox/segmentation.h"
#include "vox/stats.h"

namespace vox {
namespace {

using segmentation_detail::exact_parts;
using segmentation_detail::for_parts;
using segmentation_detail::Int128;

struct Histogram {
    std::vector<double> counts;
    // Bin centres; for float volumes the centre in the volume's precision, widened exactly.
    std::vector<double> centers;
};

void check_nbins(int nbins) {
    if (nbins < 1) throw ValueError(fmt::format("nbins must be at least 1, got {}", nbins));
}

void check_not_empty(const Volume& volume, const char* what) {
    if (volume.empty()) throw ValueError(fmt::format("{}: the volume is empty", what));
}

// skimage's _bincount_histogram with source_range="image": one bin per integer in [lo, hi].
template <typename T>
Histogram integer_histogram(const VolumeView<const T>& view, std::int64_t lo, std::int64_t hi) {
    const std::int64_t bins = hi - lo + 1;
    const std::int64_t parts = exact_parts(view.shape);
    // Besides the counters per part: the counts and centres, then the method's own arrays
    // (Otsu's cumulative weights, means and variances): measured at up to 7 arrays of 8
    // bytes per bin, so 10 leaves room.
    checked_allocation(
        {bins, parts + 10, 8},
        fmt::format("a histogram of the integer range [{}, {}] (one bin per value)", lo, hi));
    std::vector<std::vector<std::int64_t>> local(static_cast<std::size_t>(parts));
    parallel_for(0, parts, 1, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t p = b; p < e; ++p)
            local[std::size_t(p)].assign(std::size_t(bins), 0);
    });
    for_parts(view, parts, [&](std::int64_t part, const T* data, std::int64_t n, std::int64_t s) {
        std::int64_t* hist = local[std::size_t(part)].data() - lo;
        for (std::int64_t i = 0; i < n; ++i)
            ++hist[std::int64_t(data[i * s])];
    });
    Histogram histogram;
    histogram.counts.assign(std::size_t(bins), 0.0);
    histogram.centers.resize(std::size_t(bins));
    for (std::int64_t i = 0; i < bins; ++i) {
        std::int64_t total = 0;
        for (const auto& part : local)
            total += part[std::size_t(i)];
        histogram.counts[std::size_t(i)] = double(total);
        histogram.centers[std::size_t(i)] = double(lo + i);
    }
    return histogram;
}

// 8- and 16-bit integers: the per-value histogram in one pass over the data (no min/max
// pass first, see value_counts.h). The minimum and maximum come from the counts, and the
// bins are those of skimage's _bincount_histogram with source_range="image" (one per
// integer in [min, max]), as integer_histogram() gives.
template <typename T>
inline constexpr bool kSmallInteger = detail::kCountable<T>;

template <typename T>
Histogram small_integer_histogram(const VolumeView<const T>& view) {
    constexpr std::int64_t kValues = detail::ValueCounter<T>::kValues;
    constexpr std::int64_t kMin = std::numeric_limits<T>::min();
    const std::vector<std::int64_t> counts = detail::count_values(view);
    std::int64_t lo = 0, hi = kValues - 1;
    while (lo < hi && counts[std::size_t(lo)] == 0)
        ++lo;
    while (hi > lo && counts[std::size_t(hi)] == 0)
        --hi;
    Histogram histogram;
    histogram.counts.resize(std::size_t(hi - lo + 1));
    histogram.centers.resize(std::size_t(hi - lo + 1));
    for (std::int64_t v = lo; v <= hi; ++v) {
        histogram.counts[std::size_t(v - lo)] = double(counts[std::size_t(v)]);
        histogram.centers[std::size_t(v - lo)] = double(v + kMin);
    }
    return histogram;
}

// numpy.histogram(a, bins=nbins) with range=None (numpy 1.24 lib/histograms.py): edges from
// np.linspace computed in f64 and cast to T, indices computed in T and corrected against the
// edges exactly as numpy does, so every value lands in numpy's bin.
template <typename T>
Histogram float_histogram(const VolumeView<const T>& view, T lo, T hi, int nbins) {
    // Counters per part, edges, counts and centres.
    checked_allocation({nbins + 1, exact_parts(view.shape) * detail::uniform_lanes(nbins) + 3, 8},
                       fmt::format("a histogram of {} bins", nbins));
    double first = double(lo);
    double last = double(hi);
    double span = double(T(hi - lo));  // numpy subtracts the two T scalars
    if (lo == hi) {
        first -= 0.5;
        last += 0.5;
        span = last - first;
    }
    // numpy's nbins / width is a float64; the values' offsets are scaled in T unless that
    // scale is beyond T's range (a float32 range narrower than 256 / FLT_MAX), when numpy's
    // casting scales them in float64.
    const double wide_norm = double(nbins) / span;
    const bool norm_fits = std::fabs(wide_norm) <= double(std::numeric_limits<T>::max());
    const T norm = T(wide_norm);
    // A width or a scale past float64's range makes numpy's indices NaN, and its histogram
    // fails with an IndexError; here the conversion of NaN would be undefined.
    if (!std::isfinite(span) || !std::isfinite(wide_norm)) {
        throw ValueError(fmt::format(
            "cannot bin the values' range [{}, {}] in {} bins: its width or its inverse "
            "overflows (numpy's histogram fails on it too)",
            double(lo), double(hi), nbins));
    }
    const T first_t = T(first);
    std::vector<T> edges(std::size_t(nbins) + 1);
    const double step = (last - first) / double(nbins);
    for (int i = 0; i <= nbins; ++i) {
        double y = step == 0.0 ? double(i) / double(nbins) * (last - first) : double(i) * step;
        edges[std::size_t(i)] = T(y + first);
    }
    edges[std::size_t(nbins)] = T(last);

    // numpy's bin of a value: its index in T, corrected once against the edges.
    const std::int64_t top = nbins - 1;
    const auto numpy_bin = [&edges, first_t, norm, wide_norm, norm_fits, top](T a) {
        const T offset = T(a - first_t);
        std::int64_t index =
            norm_fits ? std::int64_t(T(offset * norm)) : std::int64_t(double(offset) * wide_norm);
        index = std::clamp<std::int64_t>(index, 0, top);
        if (a < edges[std::size_t(index)] && index > 0) --index;
        if (index != top && a >= edges[std::size_t(index) + 1]) ++index;
        return index;
    };
    // Where the double arithmetic is sure of a value's bin, so are numpy's index and its
    // one correction, while the index in T is off by less than a bin (up to 65536 bins).
    detail::UniformBins uniform{first, double(nbins) / (last - first), double(nbins), 1.0};
    if (nbins <= 65536)
        uniform.margin = detail::uniform_margin(edges.data(), nbins, first, uniform.norm);
    const std::int64_t lanes = detail::uniform_lanes(nbins);
    const std::int64_t parts = exact_parts(view.shape);
    std::vector<std::vector<std::int64_t>> local(
        static_cast<std::size_t>(parts),
        std::vector<std::int64_t>(static_cast<std::size_t>((nbins + 1) * lanes)));
    for_parts(view, parts, [&](std::int64_t part, const T* data, std::int64_t n, std::int64_t s) {
        std::int64_t* hist = local[std::size_t(part)].data();
        if (s == 1) {
            detail::count_uniform(data, n, uniform, lanes, numpy_bin, hist);
            return;
        }
        for (std::int64_t i = 0; i < n; ++i)
            ++hist[numpy_bin(data[i * s])];
    });
    std::vector<std::int64_t> totals(std::size_t(nbins), 0);
    for (const auto& part : local)
        detail::add_uniform_sets(part.data(), nbins, lanes, totals.data());
    Histogram histogram;
    histogram.counts.assign(std::size_t(nbins), 0.0);
    histogram.centers.resize(std::size_t(nbins));
    for (int i = 0; i < nbins; ++i) {
        const std::int64_t total = totals[std::size_t(i)];
        histogram.counts[std::size_t(i)] = double(total);
        histogram.centers[std::size_t(i)] =
            double(T((edges[std::size_t(i)] + edges[std::size_t(i) + 1]) / T(2)));
    }
    return histogram;
}

// Smallest and largest value in the volume's type; NaN or infinity fail as numpy's
// "autodetected range of [nan, nan] is not finite".
template <typename T>
std::pair<T, T> finite_range(const Volume& volume) {
    if constexpr (std::is_floating_point_v<T>) {
        const VolumeStats stats = compute_stats(volume);
        const double lo = stats.global.nan_count > 0 ? NAN : stats.global.min;
        const double hi = stats.global.nan_count > 0 ? NAN : stats.global.max;
        if (!std::isfinite(lo) || !std::isfinite(hi)) {
            throw ValueError(fmt::format("autodetected range of [{}, {}] is not finite", lo, hi));
        }
        return {T(lo), T(hi)};
    } else {
        const auto [lo, hi] = min_max(volume);
        return {T(lo), T(hi)};
    }
}

// skimage.exposure.histogram(image.ravel(), nbins, source_range="image").
template <typename T>
Histogram image_histogram(const Volume& volume, int nbins) {
    if constexpr (kSmallInteger<T>) return small_integer_histogram<T>(volume.view<T>());
    const auto [lo, hi] = finite_range<T>(volume);
    const auto view = volume.view<T>();
    if constexpr (std::is_floating_point_v<T>) {
        return float_histogram<T>(view, lo, hi, nbins);
    } else {
        return integer_histogram<T>(view, std::int64_t(lo), std::int64_t(hi));
    }
}

// np.argmax: the first maximum, and the first NaN if there is one.
template <typename V>
std::size_t argmax(const std::vector<V>& values) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (std::isnan(values[i])) return i;
        if (values[i] > values[best]) best = i;
    }
    return best;
}

double otsu_from(const Histogram& h) {
    const std::size_t n = h.counts.size();
    if (n < 2) return h.centers[0];
    std::vector<double> weight1(n), weight2(n), mean1(n), mean2(n);
    double w = 0.0, s = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        w += h.counts[i];
        s += h.counts[i] * h.centers[i];
        weight1[i] = w;
        mean1[i] = s / w;
    }
    w = 0.0;
    s = 0.0;
    for (std::size_t i = n; i-- > 0;) {
        w += h.counts[i];
        s += h.counts[i] * h.centers[i];
        weight2[i] = w;
        mean2[i] = s / w;
    }
    std::vector<double> variance(n - 1);
    for (std::size_t i = 0; i + 1 < n; ++i) {
        const double d = mean1[i] - mean2[i + 1];
        variance[i] = weight1[i] * weight2[i + 1] * (d * d);
    }
    return h.centers[argmax(variance)];
}

// Yen's criterion in f32, as scikit-image computes it (pmf is float32 there).
double yen_from(const Histogram& h) {
    const std::size_t n = h.counts.size();
    if (n == 1) return h.centers[0];
    double total = 0.0;
    for (double c : h.counts)
        total += c;
    const float total_f = float(total);
    std::vector<float> pmf(n), p1(n), p1_sq(n), p2_sq(n);
    float a = 0.0f, b = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
        pmf[i] = float(h.counts[i]) / total_f;
        a += pmf[i];
        b += pmf[i] * pmf[i];
        p1[i] = a;
        p1_sq[i] = b;
    }
    b = 0.0f;
    for (std::size_t i = n; i-- > 0;) {
        b += pmf[i] * pmf[i];
        p2_sq[i] = b;
    }
    std::vector<float> crit(n - 1);
    for (std::size_t i = 0; i + 1 < n; ++i) {
        const float inverse = 1.0f / (p1_sq[i] * p2_sq[i + 1]);
        const float q = p1[i] * (1.0f - p1[i]);
        crit[i] = std::log(inverse * (q * q));
    }
    return h.centers[argmax(crit)];
}

double triangle_from(const Histogram& h) {
    const std::int64_t nbins = std::int64_t(h.counts.size());
    std::vector<double> hist = h.counts;
    std::int64_t peak = std::int64_t(argmax(hist));
    const double peak_height = hist[std::size_t(peak)];
    std::int64_t low = 0, high = nbins - 1;
    while (hist[std::size_t(low)] <= 0)
        ++low;
    while (hist[std::size_t(high)] <= 0)
        --high;
    const bool flip = peak - low < high - peak;
    if (flip) {
        std::reverse(hist.begin(), hist.end());
        low = nbins - high - 1;
        peak = nbins - peak - 1;
    }
    const std::int64_t width = peak - low;
    // scikit-image fails on an empty argmax here (a constant image): return its value.
    if (width == 0) return h.centers[std::size_t(peak)];
    const double norm = std::sqrt(peak_height * peak_height + double(width) * double(width));
    const double height_n = peak_height / norm;
    const double width_n = double(width) / norm;
    std::vector<double> length(static_cast<std::size_t>(width));
    for (std::int64_t x = 0; x < width; ++x) {
        length[std::size_t(x)] = height_n * double(x) - width_n * hist[std::size_t(x + low)];
    }
    std::int64_t level = std::int64_t(argmax(length)) + low;
    if (flip) level = nbins - level - 1;
    return h.centers[std::size_t(level)];
}

template <typename Fn>
double with_histogram(const Volume& volume, int nbins, const char* what, Fn&& fn) {
    check_nbins(nbins);
    check_not_empty(volume, what);
    return visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        return fn(image_histogram<T>(volume, nbins));
    });
}

// np.mean: exact for integers (numpy's pairwise f64 sums of integers are exact below 2^53),
// f64 block sums combined in block order for floats (deterministic, rounded to T).
template <typename T>
double mean_of(const Volume& volume) {
    const auto view = volume.view<T>();
    const detail::BlockGrid grid(view.shape);
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, Int128>;
    std::vector<Acc> partial(std::size_t(grid.count), Acc(0));
    parallel_for(0, grid.count, 4, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t block = begin; block < end; ++block) {
            Acc sum = 0;
            detail::for_each_run(view, grid, block,
                                 [&](const T* data, std::int64_t n, std::int64_t s, std::int64_t) {
                                     if constexpr (std::is_floating_point_v<T>) {
                                         for (std::int64_t i = 0; i < n; ++i)
                                             sum += Acc(data[i * s]);
                                     } else {
                                         sum += Acc(detail::exact_integer_sum(data, n, s));
                                     }
                                 });
            partial[std::size_t(block)] = sum;
        }
    });
    Acc total = 0;
    for (Acc p : partial)
        total += p;
    const double mean = double(total) / double(view.shape.values());
    if constexpr (std::is_floating_point_v<T>) return double(T(mean));
    return mean;
}

// Li on the per-value histogram of an integer volume (the `image.dtype.kind in 'iu'` branch).
double li_integer(const Histogram& h, std::int64_t image_min, double tolerance,
                  std::optional<double> initial_guess) {
    const std::size_t n = h.counts.size();
    // Prefix sums of counts and of count * (value - min): every np.average becomes O(1).
    std::vector<Int128> count_prefix(n + 1, 0), sum_prefix(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
        count_prefix[i + 1] = count_prefix[i] + Int128(h.counts[i]);
        sum_prefix[i + 1] = sum_prefix[i] + Int128(h.counts[i]) * Int128(i);
    }
    double t_next = double(sum_prefix[n]) / double(count_prefix[n]);
    if (initial_guess) t_next = *initial_guess - double(image_min);
    if (tolerance == 0.0) tolerance = 0.5;
    double t_curr = -2.0 * tolerance;
    while (std::abs(t_next - t_curr) > tolerance) {
        t_curr = t_next;
        // Bins with centre > t_curr are foreground: centres 0..n-1.
        const double cut = std::floor(t_curr);
        std::size_t split = cut < 0 ? 0 : std::min<std::size_t>(n, std::size_t(cut) + 1);
        const double mean_fore = double(sum_prefix[n] - sum_prefix[split]) /
                                 double(count_prefix[n] - count_prefix[split]);
        const double mean_back = double(sum_prefix[split]) / double(count_prefix[split]);
        t_next = (mean_back - mean_fore) / (std::log(mean_back) - std::log(mean_fore));
    }
    return t_next + double(image_min);
}

// Li on the data of a float volume, in T as numpy computes it on T arrays.
template <typename T>
double li_float(const Volume& volume, std::optional<double> tolerance_opt,
                std::optional<double> initial_guess) {
    std::vector<T> values;
    values.reserve(std::size_t(volume.shape().values()));
    const auto view = volume.view<T>();
    const detail::BlockGrid grid(view.shape);
    std::size_t nan_count = 0;
    for (std::int64_t block = 0; block < grid.count; ++block) {
        detail::for_each_run(view, grid, block,
                             [&](const T* data, std::int64_t n, std::int64_t s, std::int64_t) {
                                 for (std::int64_t i = 0; i < n; ++i) {
                                     const T v = data[i * s];
                                     if (std::isnan(v)) {
                                         ++nan_count;
                                     } else {
                                         values.push_back(v);
                                     }
                                 }
                             });
    }
    if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
    if (std::all_of(values.begin(), values.end(), [&](T v) { return v == values[0]; })) {
        return double(values[0]);
    }
    std::erase_if(values, [](T v) { return !std::isfinite(v); });
    if (values.empty()) return 0.0;
    const T image_min = *std::min_element(values.begin(), values.end());
    T image_max = T(0);
    for (T& v : values) {
        v = T(v - image_min);
        image_max = std::max(image_max, v);
    }
    T tolerance = T(tolerance_opt.value_or(0.0));
    if (tolerance == T(0)) {
        std::vector<T> sorted = values;
        std::sort(sorted.begin(), sorted.end());
        T gap = std::numeric_limits<T>::infinity();
        for (std::size_t i = 1; i < sorted.size(); ++i) {
            if (sorted[i] != sorted[i - 1]) gap = std::min(gap, T(sorted[i] - sorted[i - 1]));
        }
        tolerance = T(gap / T(2));
    }
    const std::int64_t count = std::int64_t(values.size());
    constexpr std::int64_t kBlock = std::int64_t(1) << 16;
    const std::int64_t blocks = (count + kBlock - 1) / kBlock;
    // Block sums combined in block order: deterministic for any thread count.
    auto class_sums = [&](T t, double& fore, std::int64_t& fore_n, double& back) {
        std::vector<double> f(static_cast<std::size_t>(blocks)),
            bsum(static_cast<std::size_t>(blocks));
        std::vector<std::int64_t> fn(static_cast<std::size_t>(blocks));
        parallel_for(0, blocks, 4, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t blk = begin; blk < end; ++blk) {
                double fs = 0.0, bs = 0.0;
                std::int64_t fc = 0;
                const std::int64_t last = std::min(count, (blk + 1) * kBlock);
                for (std::int64_t i = blk * kBlock; i < last; ++i) {
                    const T v = values[std::size_t(i)];
                    if (v > t) {
                        fs += double(v);
                        ++fc;
                    } else {
                        bs += double(v);
                    }
                }
                f[std::size_t(blk)] = fs;
                bsum[std::size_t(blk)] = bs;
                fn[std::size_t(blk)] = fc;
            }
        });
        fore = back = 0.0;
        fore_n = 0;
        for (std::int64_t blk = 0; blk < blocks; ++blk) {
            fore += f[std::size_t(blk)];
            back += bsum[std::size_t(blk)];
            fore_n += fn[std::size_t(blk)];
        }
    };
    T t_next;
    if (initial_guess) {
        t_next = T(*initial_guess - double(image_min));
    } else {
        double fore, back;
        std::int64_t fore_n;
        class_sums(-std::numeric_limits<T>::infinity(), fore, fore_n, back);
        t_next = T(fore / double(count));
    }
    T t_curr = T(-2) * tolerance;
    while (std::abs(t_next - t_curr) > tolerance) {
        t_curr = t_next;
        double fore, back;
        std::int64_t fore_n;
        class_sums(t_curr, fore, fore_n, back);
        const T mean_fore = T(fore / double(fore_n));
        const T mean_back = T(back / double(count - fore_n));
        t_next = T((mean_back - mean_fore) / (std::log(mean_back) - std::log(mean_fore)));
    }
    return double(T(t_next + image_min));
}

}  // namespace

double threshold_otsu(const Volume& volume, int nbins) {
    check_nbins(nbins);
    check_not_empty(volume, "threshold_otsu");
    return visit(volume.pixel_type(), [&](auto tag) -> double {
        using T = typename decltype(tag)::type;
        // A constant 8/16-bit image has a one-bin histogram, for which otsu_from() returns
        // its value: no separate min/max pass.
        if constexpr (kSmallInteger<T>)
            return otsu_from(small_integer_histogram<T>(volume.view<T>()));
        // scikit-image returns the value of a constant image before building any histogram.
        const auto [lo, hi] = min_max(volume);
        if (lo == hi && compute_stats(volume).global.nan_count == 0) return lo;
        return otsu_from(image_histogram<T>(volume, nbins));
    });
}

double threshold_yen(const Volume& volume, int nbins) {
    return with_histogram(volume, nbins, "threshold_yen", yen_from);
}

double threshold_triangle(const Volume& volume, int nbins) {
    return with_histogram(volume, nbins, "threshold_triangle", triangle_from);
}

double threshold_mean(const Volume& volume) {
    check_not_empty(volume, "threshold_mean");
    return visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        return mean_of<T>(volume);
    });
}

double threshold_li(const Volume& volume, std::optional<double> tolerance,
                    std::optional<double> initial_guess) {
    check_not_empty(volume, "threshold_li");
    if (tolerance && !(*tolerance >= 0.0)) {
        throw ValueError(fmt::format("tolerance must be >= 0, got {}", *tolerance));
    }
    const auto range = min_max(volume);
    const double lo = range.first,
                 hi = range.second;  // named, so that lambdas can capture them (clang 14)
    if (initial_guess && std::isfinite(lo) && std::isfinite(hi) && lo != hi &&
        !(lo < *initial_guess && *initial_guess < hi)) {
        throw ValueError(fmt::format(
            "The initial guess for threshold_li must be within the range of the image. Got {} "
            "for image min {} and max {}.",
            *initial_guess, lo, hi));
    }
    return visit(volume.pixel_type(), [&](auto tag) -> double {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_floating_point_v<T>) {
            return li_float<T>(volume, tolerance, initial_guess);
        } else {
            if (lo == hi) return lo;
            Histogram h;
            if constexpr (kSmallInteger<T>) {
                h = small_integer_histogram<T>(volume.view<T>());
            } else {
                h = integer_histogram<T>(volume.view<T>(), std::int64_t(lo), std::int64_t(hi));
            }
            // The histogram of image - min is this one with centres shifted by -min.
            return li_integer(h, std::int64_t(lo), tolerance.value_or(0.0), initial_guess);
        }
    });
}

}  // namespace vox
