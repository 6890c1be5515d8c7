// Unit tests of the filters operations on small synthetic volumes.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "test_util.h"
#include "vox/filters.h"
#include "vox/parallel.h"

namespace vox {
namespace {

using test::make_line;
using test::make_volume;
using test::values_of;

TEST(GaussianTest, ImpulseMatchesSkimageDocstring) {
    // skimage.filters.gaussian docstring, 3x3 impulse, sigma 1: 0.15915589 at the centre.
    Volume impulse = make_volume<double>(
        {1, 3, 3, 1}, [](auto, auto y, auto x, auto) { return y == 1 && x == 1 ? 1.0 : 0.0; });
    const Volume out = gaussian(impulse, {0.0, 1.0, 1.0});
    EXPECT_EQ(out.pixel_type(), PixelType::f64);
    EXPECT_NEAR(out.value_at(0, 1, 1), 0.15915589, 1e-8);
    EXPECT_NEAR(out.value_at(0, 0, 0), 0.05855018, 1e-8);
    EXPECT_NEAR(out.value_at(0, 0, 1), 0.09653293, 1e-8);
}

// scipy's correlate1d by its definition: the line padded with its end values ('nearest') by
// the radius, times the normalised kernel.
std::vector<double> gaussian_by_definition(const std::vector<double>& line, double sigma) {
    const auto n = std::int64_t(line.size());
    const auto r = std::int64_t(4.0 * sigma + 0.5);
    std::vector<double> kernel;
    double sum = 0.0;
    for (std::int64_t t = -r; t <= r; ++t) {
        kernel.push_back(std::exp(-0.5 * double(t * t) / (sigma * sigma)));
        sum += kernel.back();
    }
    std::vector<double> out(line.size(), 0.0);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t t = -r; t <= r; ++t)
            out[std::size_t(i)] += line[std::size_t(std::clamp<std::int64_t>(i + t, 0, n - 1))] *
                                   kernel[std::size_t(t + r)] / sum;
    return out;
}

TEST(GaussianTest, KernelsLongerThanTheLineFoldOntoItsEnds) {
    const std::vector<double> line{3.0, -1.0, 7.5, 0.25, 2.0};
    // Radius 4 < 5 (scipy's path), 5 = 5, 12 and 4e6 > 5 (the folded path), along x (rows)
    // and along z and y (panels of several lines).
    for (double sigma : {1.0, 1.2, 3.0, 1e6}) {
        const std::vector<double> expected = gaussian_by_definition(line, sigma);
        const auto at = [&](auto i) { return line[std::size_t(i)]; };
        const Volume along_x =
            make_volume<double>({1, 2, 5, 1}, [&](auto, auto, auto x, auto) { return at(x); });
        const Volume along_z =
            make_volume<double>({5, 1, 3, 2}, [&](auto z, auto, auto, auto) { return at(z); });
        const Volume along_y =
            make_volume<double>({1, 5, 9, 1}, [&](auto, auto y, auto, auto) { return at(y); });
        const Volume x = gaussian(along_x, {0, 0, sigma});
        const Volume z = gaussian(along_z, {sigma, 0, 0});
        const Volume y = gaussian(along_y, {0, sigma, 0});
        for (std::int64_t i = 0; i < 5; ++i) {
            const double e = expected[std::size_t(i)];
            EXPECT_NEAR(x.value_at(0, 1, i), e, 1e-12 * std::abs(e) + 1e-15) << sigma;
            EXPECT_NEAR(z.value_at(i, 0, 2, 1), e, 1e-12 * std::abs(e) + 1e-15) << sigma;
            EXPECT_NEAR(y.value_at(0, i, 8), e, 1e-12 * std::abs(e) + 1e-15) << sigma;
        }
    }
    // A radius beyond 1e8 would take seconds just to sum its kernel.
    VOX_EXPECT_THROW_MSG(
        gaussian(make_volume<double>({1, 1, 5, 1}, [](auto...) { return 1.0; }), {0, 0, 1e9}),
        LimitError, "sigma 1e+09 along x is too large");
}

TEST(GaussianTest, ConstantStaysConstantAndIntegersScale) {
    const Volume volume = make_volume<std::uint8_t>(
        {5, 6, 7, 2}, [](auto, auto, auto, auto c) { return c == 0 ? 255 : 51; });
    const Volume out = gaussian(volume, 1.5);
    EXPECT_EQ(out.pixel_type(), PixelType::f64);
    EXPECT_EQ(out.shape(), volume.shape());
    for (double v : values_of(out.channel(0)))
        EXPECT_NEAR(v, 1.0, 1e-12);
    for (double v : values_of(out.channel(1)))
        EXPECT_NEAR(v, 0.2, 1e-12);
    GaussianOptions keep;
    keep.preserve_range = true;
    for (double v : values_of(gaussian(volume, 1.5, keep).channel(1)))
        EXPECT_NEAR(v, 51.0, 1e-9);
}

TEST(GaussianTest, FloatTypeKeptAndInputUntouched) {
    const Volume volume = make_volume<float>(
        {4, 4, 4, 1}, [](auto z, auto y, auto x, auto) { return float(z * 16 + y * 4 + x); });
    const Volume out = gaussian(volume, 1.0);
    EXPECT_EQ(out.pixel_type(), PixelType::f32);
    EXPECT_FALSE(out.shares_memory_with(volume));
    EXPECT_EQ(volume.value_at(0, 0, 1), 1.0);
    const Volume zero = gaussian(volume, 0.0);
    EXPECT_EQ(values_of(zero), values_of(volume));
}

TEST(GaussianTest, SeparableAlongEachAxisAndPhysicalSigma) {
    // A line along one axis, filtered along that axis only, equals the 1D result.
    const std::vector<double> line{0, 0, 1, 0, 0, 4, 0};
    const Volume along_x = make_line<double>(line);
    const Volume along_z = make_volume<double>(
        {7, 1, 1, 1}, [&](auto z, auto, auto, auto) { return line[std::size_t(z)]; });
    const std::vector<double> x_result = values_of(gaussian(along_x, {0, 0, 1.2}));
    const std::vector<double> z_result = values_of(gaussian(along_z, {1.2, 0, 0}));
    ASSERT_EQ(x_result.size(), z_result.size());
    for (std::size_t i = 0; i < x_result.size(); ++i)
        EXPECT_DOUBLE_EQ(x_result[i], z_result[i]);
    // 'nearest' edges keep the sum only approximately, but all weights are positive.
    for (double v : x_result)
        EXPECT_GT(v, 0.0);

    Volume spaced = along_z.copy();
    spaced.set_spacing({{2.0, 1.0, 1.0}, "mm", true});
    const Volume physical = gaussian(spaced, {2.4, 0, 0}, {SigmaUnit::physical});
    EXPECT_EQ(values_of(physical), z_result);
    EXPECT_EQ(physical.spacing(), spaced.spacing());
}

TEST(GaussianTest, SameResultForAnyThreadCount) {
    const Volume volume = make_volume<std::uint16_t>(
        {9, 33, 41, 1},
        [](auto z, auto y, auto x, auto) { return (z * 7919 + y * 104729 + x * 1299709) % 65536; });
    set_thread_count(1);
    const std::vector<double> one = values_of(gaussian(volume, 2.0));
    set_thread_count(0);
    EXPECT_EQ(values_of(gaussian(volume, 2.0)), one);
    // A strided view gives the same as its packed copy.
    const Volume stepped = volume.step(1, 2, 3);
    EXPECT_EQ(values_of(gaussian(stepped, 1.0)), values_of(gaussian(stepped.copy(), 1.0)));
}

TEST(GaussianTest, Errors) {
    const Volume volume = make_line<float>({1, 2, 3});
    VOX_EXPECT_THROW_MSG(gaussian(volume, -1.0), ValueError, "sigma must be >= 0 (got -1 along z)");
    VOX_EXPECT_THROW_MSG(gaussian(volume, {1.0, 1.0, -0.5}), ValueError,
                         "sigma must be >= 0 (got -0.5 along x)");
    GaussianOptions options;
    options.truncate = -2;
    VOX_EXPECT_THROW_MSG(gaussian(volume, 1.0, options), ValueError,
                         "truncate must be >= 0 (got -2)");
    VOX_EXPECT_THROW_MSG(gaussian(volume, 1.0, {SigmaUnit::physical}), ValueError,
                         "sigma in physical units needs a known spacing");
}

TEST(MedianTest, RemovesImpulseAndKeepsType) {
    Volume volume = make_volume<std::int16_t>({3, 3, 3, 1}, [](auto z, auto y, auto x, auto) {
        return z == 1 && y == 1 && x == 1 ? 1000 : -5;
    });
    const Volume out = median(volume, 1);
    EXPECT_EQ(out.pixel_type(), PixelType::i16);
    for (double v : values_of(out))
        EXPECT_EQ(v, -5.0);
    EXPECT_EQ(values_of(median(volume, 0)), values_of(volume));
}

TEST(MedianTest, NearestEdgesOnALine) {
    // scipy.ndimage.median_filter([5, 1, 9, 2, 7], size=3, mode='nearest') -> [5, 5, 2, 7, 7]
    const Volume out = median(make_line<float>({5, 1, 9, 2, 7}), 1);
    EXPECT_EQ(values_of(out), (std::vector<double>{5, 5, 2, 7, 7}));
}

// The median of every clamped window, sorted one voxel at a time: the reference for the
// blocked selection. Windows with a NaN are reported as NaN.
double window_median(const Volume& volume, std::int64_t z, std::int64_t y, std::int64_t x,
                     std::int64_t c, std::int64_t r) {
    const Shape& s = volume.shape();
    std::vector<double> window;
    for (std::int64_t dz = -r; dz <= r; ++dz)
        for (std::int64_t dy = -r; dy <= r; ++dy)
            for (std::int64_t dx = -r; dx <= r; ++dx) {
                const double v = volume.value_at(std::clamp(z + dz, std::int64_t(0), s.z - 1),
                                                 std::clamp(y + dy, std::int64_t(0), s.y - 1),
                                                 std::clamp(x + dx, std::int64_t(0), s.x - 1), c);
                if (std::isnan(v)) return v;
                window.push_back(v);
            }
    std::nth_element(window.begin(), window.begin() + std::ptrdiff_t(window.size() / 2),
                     window.end());
    return window[window.size() / 2];
}

// Every voxel of median(volume, radius) against its sorted window; windows with a NaN are
// skipped, and more than half must be compared.
void expect_medians_equal_windows(const Volume& volume, std::int64_t radius) {
    const Shape& shape = volume.shape();
    SCOPED_TRACE(std::string(pixel_type_name(volume.pixel_type())) + " radius " +
                 std::to_string(radius) + " x " + std::to_string(shape.x));
    const Volume out = median(volume, radius);
    ASSERT_EQ(out.pixel_type(), volume.pixel_type());
    std::int64_t compared = 0;
    for (std::int64_t c = 0; c < shape.c; ++c)
        for (std::int64_t z = 0; z < shape.z; ++z)
            for (std::int64_t y = 0; y < shape.y; ++y)
                for (std::int64_t x = 0; x < shape.x; ++x) {
                    const double expected = window_median(volume, z, y, x, c, radius);
                    if (std::isnan(expected)) continue;
                    ASSERT_EQ(out.value_at(z, y, x, c), expected)
                        << "at z " << z << " y " << y << " x " << x << " c " << c;
                    ++compared;
                }
    EXPECT_GT(compared, shape.values() / 2);
}

template <typename T>
void expect_medians_of_windows(const Shape& shape, std::int64_t radius, bool with_nan = false) {
    Volume volume = make_volume<T>(shape, [](auto z, auto y, auto x, auto c) {
        const std::uint64_t hash =
            std::uint64_t((((z * 977 + y) * 983 + x) * 3 + c) * 0x9E3779B97F4A7C15ull) >> 40;
        if constexpr (std::is_floating_point_v<T>)
            return T(double(hash % 2001) / 7.0 - 100.0);
        else
            return T(hash);  // wraps to the whole range of the 8 and 16-bit types
    });
    if (with_nan) volume.mutable_view<T>().row(1, 2, 0)[3] = std::numeric_limits<T>::quiet_NaN();
    expect_medians_equal_windows(volume, radius);
}

TEST(MedianTest, EqualsTheSortedWindowAcrossBlocksTypesAndRadii) {
    // Rows of several 64-byte blocks plus a partial one, two interleaved channels (strided
    // rows), every pixel type's lane count: radius 1 and, for 8/16-bit data, 2.
    expect_medians_of_windows<std::uint8_t>({4, 5, 150, 2}, 1);
    expect_medians_of_windows<std::int8_t>({3, 4, 70, 1}, 1);
    expect_medians_of_windows<std::uint16_t>({5, 6, 77, 2}, 1);
    expect_medians_of_windows<std::int16_t>({4, 4, 33, 1}, 2);
    expect_medians_of_windows<std::uint32_t>({3, 5, 40, 1}, 1);
    expect_medians_of_windows<std::int32_t>({3, 3, 17, 2}, 1);
    expect_medians_of_windows<float>({4, 5, 37, 1}, 1);
    expect_medians_of_windows<double>({3, 4, 19, 2}, 1);
}

TEST(MedianTest, SlidingHistogramsOfLargerRadiiEqualTheSortedWindow) {
    // 8/16-bit data from radius 3 on: the histogram slides along rows of two interleaved
    // channels, over values spread across the whole type (the median jumps by blocks of 256)
    // and windows wider than the volume.
    expect_medians_of_windows<std::uint8_t>({4, 9, 23, 2}, 3);
    expect_medians_of_windows<std::int8_t>({3, 4, 20, 1}, 4);
    expect_medians_of_windows<std::uint16_t>({7, 8, 30, 2}, 3);
    expect_medians_of_windows<std::int16_t>({5, 6, 12, 1}, 4);
    expect_medians_of_windows<std::uint16_t>({3, 2, 4, 1}, 5);
    // Other types from radius 2 on: ranks among each tile's distinct values are the bins.
    expect_medians_of_windows<std::int32_t>({3, 3, 17, 2}, 2);
    expect_medians_of_windows<double>({5, 5, 5, 1}, 2);  // windows wider than the volume
    expect_medians_of_windows<float>({3, 4, 13, 2}, 5);
    expect_medians_of_windows<std::int32_t>({2, 3, 12, 1}, 5);
}

TEST(MedianTest, RankedMediansAcrossTilesEqualTheSortedWindow) {
    // Rows of 1400 voxels make tiles of 8 x 8 rows at radius 3, so this volume has four, each
    // ranking its own margins. Few distinct values (many ties) in one channel; in the other,
    // infinities, both zeros and values far apart, so ranks are far from values.
    const Shape shape{9, 10, 1400, 2};
    const Volume few = make_volume<std::int32_t>(shape, [](auto z, auto y, auto x, auto c) {
        return std::int32_t((z * 7 + y * 5 + x * 3 + c) % 5) - 2;
    });
    expect_medians_equal_windows(few, 3);
    const Volume spread = make_volume<float>(shape, [](auto z, auto y, auto x, auto c) {
        const std::uint64_t hash =
            std::uint64_t((((z * 977 + y) * 983 + x) * 3 + c) * 0x9E3779B97F4A7C15ull) >> 40;
        constexpr float kSpecial[] = {std::numeric_limits<float>::infinity(),
                                      -std::numeric_limits<float>::infinity(), -0.0f, 0.0f};
        if (hash % 7 == 0) return kSpecial[hash % 4];
        return float(std::ldexp(double(hash % 1000) - 500.0, int(hash % 200) - 100));
    });
    expect_medians_equal_windows(spread, 3);
}

TEST(MedianTest, FloatsWithNaNKeepTheWindowsWithout) {
    expect_medians_of_windows<float>({4, 5, 37, 1}, 1, true);
    expect_medians_of_windows<double>({3, 6, 11, 1}, 1, true);
}

TEST(MedianTest, Errors) {
    VOX_EXPECT_THROW_MSG(median(make_line<float>({1}), -1), ValueError,
                         "radius must be >= 0 (got -1)");
    VOX_EXPECT_THROW_MSG(median(make_line<std::uint16_t>({1}), 641), LimitError,
                         "radius 641 is too large (at most 640: a window of 2^31 voxels)");
}

TEST(ProjectTest, ModesAndTypes) {
    const Volume volume = make_volume<std::uint8_t>(
        {3, 2, 2, 1}, [](auto z, auto y, auto x, auto) { return 200 + z * 20 + y * 2 + x; });
    const Volume max = project(volume, Axis::z, ProjectMode::max);
    EXPECT_EQ(max.pixel_type(), PixelType::u8);
    EXPECT_EQ(max.shape(), (Shape{1, 2, 2, 1}));
    const Volume sum = project(volume, Axis::z, ProjectMode::sum);
    EXPECT_EQ(sum.pixel_type(), PixelType::f64);
    const std::vector<double> v = values_of(volume);
    // No wrap-around: integer sums are exact, as numpy's int64 / uint64 sums.
    EXPECT_EQ(sum.value_at(0, 0, 0), v[0] + v[4] + v[8]);
    const Volume mean = project(volume, Axis::z, ProjectMode::mean);
    EXPECT_DOUBLE_EQ(mean.value_at(0, 1, 1), (v[3] + v[7] + v[11]) / 3.0);
    const Volume std_x = project(volume, Axis::x, ProjectMode::std);
    EXPECT_EQ(std_x.shape(), (Shape{3, 2, 1, 1}));
    EXPECT_DOUBLE_EQ(std_x.value_at(0, 0, 0), 0.5);
    const Volume min_z = project(volume, Axis::z, ProjectMode::min, Slab{1, 3});
    EXPECT_EQ(min_z.shape(), (Shape{1, 2, 2, 1}));
    EXPECT_EQ(min_z.value_at(0, 0, 1), v[4 + 1]);
    const Volume min_y = project(volume, Axis::y, ProjectMode::min);
    EXPECT_EQ(min_y.shape(), (Shape{3, 1, 2, 1}));
    EXPECT_EQ(min_y.value_at(2, 0, 1), v[8 + 1]);
}

// The std of one row of 16-bit values at the ends of their range, at the longest row the
// 32-bit sums of the std along x take (65536 values) and one past it, against the same
// std computed in long double.
template <typename T>
void expect_std_of_extreme_rows(std::int64_t length) {
    SCOPED_TRACE(std::string(pixel_type_name(pixel_type_of<T>())) + " x " + std::to_string(length));
    const T low = std::numeric_limits<T>::min();
    const T high = std::numeric_limits<T>::max();
    const Volume volume = make_volume<T>({1, 2, length, 1}, [&](auto, auto y, auto x, auto) {
        if (y == 0) return x % 7 == 3 ? high : low;  // mostly the low end
        return x % 2 == 0 ? low : high;
    });
    const Volume out = project(volume, Axis::x, ProjectMode::std);
    for (std::int64_t y = 0; y < 2; ++y) {
        long double sum = 0;
        for (std::int64_t x = 0; x < length; ++x)
            sum += volume.value_at(0, y, x);
        const long double mean = sum / length;
        long double squares = 0;
        for (std::int64_t x = 0; x < length; ++x) {
            const long double d = volume.value_at(0, y, x) - mean;
            squares += d * d;
        }
        const double expected = double(std::sqrt(squares / length));
        EXPECT_NEAR(out.value_at(0, y, 0), expected, 1e-12 * expected) << "row " << y;
    }
}

TEST(ProjectTest, StdAlongXAtTheEndsOfSixteenBitRanges) {
    for (const std::int64_t length : {65535, 65536, 65537}) {
        expect_std_of_extreme_rows<std::uint16_t>(length);
        expect_std_of_extreme_rows<std::int16_t>(length);
        expect_std_of_extreme_rows<std::uint8_t>(length);
        expect_std_of_extreme_rows<std::int8_t>(length);
    }
}

TEST(ProjectTest, FloatNanPropagatesAndSpacingKept) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    Volume volume = make_line<float>({1, nan, 3});
    volume.set_spacing({{1.0, 2.0, 3.0}, "µm", true});
    const Volume max = project(volume, Axis::x, ProjectMode::max);
    EXPECT_TRUE(std::isnan(max.value_at(0, 0, 0)));
    EXPECT_EQ(max.spacing(), volume.spacing());
    EXPECT_EQ(project(volume, Axis::x, ProjectMode::mean).pixel_type(), PixelType::f32);
    EXPECT_EQ(project(volume, Axis::x, ProjectMode::min, Slab{2, 3}).value_at(0, 0, 0), 3.0);
}

// Every projection along z and y against numpy's sequential reduction, worked out here in
// long double over the values in order, for 1 to 5 threads. Along z, max, min and the integer
// sums go through parts of the planes (one per channel on 1 or 2 threads, 3 or 5 of the 15
// values on 3 or 5 threads); along y, max, min and the integer sums take the rows from the
// four quarters of each plane. Both go four at a time, then one at a time: 1 to 157 planes or rows
// leave 0 to 3 over, and fewer than 8 make the quarters one row or none.
template <typename T>
void expect_projections_by_reference(Axis axis, std::int64_t depth) {
    SCOPED_TRACE(std::string(pixel_type_name(pixel_type_of<T>())) + ", " + std::to_string(depth) +
                 (axis == Axis::z ? " planes" : " rows"));
    const Shape shape = axis == Axis::z ? Shape{depth, 3, 5, 2} : Shape{3, depth, 5, 2};
    const Volume volume = make_volume<T>(shape, [](auto z, auto y, auto x, auto c) {
        // Floats keep to integers whose sums are exact in float32.
        const double lowest =
            std::is_floating_point_v<T> ? -4096.0 : std::numeric_limits<T>::lowest();
        const double highest = std::is_floating_point_v<T> ? 4096.0 : std::numeric_limits<T>::max();
        const std::int64_t key = (z * 7919 + y * 104729 + x * 1299709 + c * 15485863) % 1009;
        if (key == 3) return T(lowest);  // the ends of the range, for exact sums
        if (key == 5) return T(highest);
        return T(std::fmod(double(key) * 37.0, std::min(highest, 1000.0)));
    });
    const auto at = [&](std::int64_t k, std::int64_t o, std::int64_t x, std::int64_t c) {
        return axis == Axis::z ? volume.value_at(k, o, x, c) : volume.value_at(o, k, x, c);
    };
    for (const int threads : {1, 2, 3, 5}) {
        set_thread_count(threads);
        for (const ProjectMode mode :
             {ProjectMode::max, ProjectMode::min, ProjectMode::sum, ProjectMode::mean}) {
            const Volume out = project(volume, axis, mode);
            ASSERT_EQ(out.shape(), axis == Axis::z ? (Shape{1, 3, 5, 2}) : (Shape{3, 1, 5, 2}));
            for (std::int64_t c = 0; c < shape.c; ++c) {
                for (std::int64_t o = 0; o < 3; ++o) {
                    for (std::int64_t x = 0; x < shape.x; ++x) {
                        long double extreme = at(0, o, x, c);
                        long double sum = 0;
                        for (std::int64_t k = 0; k < depth; ++k) {
                            const long double v = at(k, o, x, c);
                            extreme = mode == ProjectMode::max ? std::max(extreme, v)
                                                               : std::min(extreme, v);
                            sum += v;
                        }
                        // The sum is exact; numpy divides it in the output's type.
                        const double mean = std::is_floating_point_v<T>
                                                ? double(float(sum) / float(depth))
                                                : double(sum) / double(depth);
                        const double expected = mode == ProjectMode::sum    ? double(sum)
                                                : mode == ProjectMode::mean ? mean
                                                                            : double(extreme);
                        const double got =
                            axis == Axis::z ? out.value_at(0, o, x, c) : out.value_at(o, 0, x, c);
                        ASSERT_EQ(got, expected)
                            << "mode " << int(mode) << ", " << threads << " threads at (" << o
                            << ", " << x << ", " << c << ")";
                    }
                }
            }
        }
    }
    set_thread_count(0);
}

TEST(ProjectTest, AlongZAndYByPartsAndQuartersAsNumpy) {
    for (const Axis axis : {Axis::z, Axis::y}) {
        for (const std::int64_t depth : {1, 2, 5, 7, 8, 9, 31, 32, 33, 70, 157}) {
            expect_projections_by_reference<std::uint16_t>(axis, depth);
            expect_projections_by_reference<std::int16_t>(axis, depth);
            expect_projections_by_reference<std::uint8_t>(axis, depth);
            expect_projections_by_reference<std::int8_t>(axis, depth);
            expect_projections_by_reference<float>(axis, depth);
            expect_projections_by_reference<std::int32_t>(axis, depth);
        }
    }
}

// The std of 8- and 16-bit columns along z and y is the exact n^2 var (integer sums of the
// values and their squares) divided by n^2 and square-rooted, bit for bit: up to 1024 values
// per column in doubles, more in 128 bits; four rows at a time (along y from the quarters of
// the plane) and then the rest, and across a fold of the 32-bit sums after 32768 rows.
__extension__ typedef __int128 Int128;  // exact sums of squares of 1024+ values

template <typename T>
void expect_std_of_exact_sums(Axis axis, std::int64_t n) {
    SCOPED_TRACE(std::string(pixel_type_name(pixel_type_of<T>())) + ", " + std::to_string(n) +
                 (axis == Axis::z ? " planes" : " rows"));
    const Shape shape = axis == Axis::z ? Shape{n, 2, 3, 2} : Shape{2, n, 3, 2};
    const Volume volume = make_volume<T>(shape, [](auto z, auto y, auto x, auto c) {
        const std::uint64_t hash =
            std::uint64_t((((z * 977 + y) * 983 + x) * 3 + c) * 0x9E3779B97F4A7C15ull) >> 40;
        if (x == 0) return std::numeric_limits<T>::max();  // a constant column: std 0
        if (x == 1 && c == 0)
            return hash % 2 == 0 ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
        return T(std::int64_t(hash % 65536) + std::numeric_limits<T>::lowest());
    });
    const Volume out = project(volume, axis, ProjectMode::std);
    for (std::int64_t o = 0; o < 2; ++o) {
        for (std::int64_t x = 0; x < shape.x; ++x) {
            for (std::int64_t c = 0; c < shape.c; ++c) {
                Int128 sum = 0;
                Int128 squares = 0;
                for (std::int64_t k = 0; k < n; ++k) {
                    const auto v = std::int64_t(axis == Axis::z ? volume.value_at(k, o, x, c)
                                                                : volume.value_at(o, k, x, c));
                    sum += v;
                    squares += v * v;
                }
                const double expected =
                    std::sqrt(double(Int128(n) * squares - sum * sum) / (double(n) * double(n)));
                const double got =
                    axis == Axis::z ? out.value_at(0, o, x, c) : out.value_at(o, 0, x, c);
                ASSERT_EQ(got, expected) << "at " << o << ", " << x << ", " << c;
            }
        }
    }
}

TEST(ProjectTest, StdAlongZAndYIsExactSumsBitForBit) {
    for (const Axis axis : {Axis::z, Axis::y}) {
        for (const std::int64_t n : {1, 3, 4, 7, 60, 1023, 1024, 1025}) {
            expect_std_of_exact_sums<std::uint16_t>(axis, n);
            expect_std_of_exact_sums<std::int16_t>(axis, n);
            expect_std_of_exact_sums<std::uint8_t>(axis, n);
            expect_std_of_exact_sums<std::int8_t>(axis, n);
        }
    }
    expect_std_of_exact_sums<std::uint16_t>(Axis::z, 32771);
    expect_std_of_exact_sums<std::int16_t>(Axis::z, 32771);
}

// Float sums and stds add plane after plane (row after row) from +0 in the float type, as
// numpy does, whatever the parts, threads or four-at-a-time steps: values of mixed magnitude
// make every other order round differently, and a column of -0 sums to +0.
template <typename T>
void expect_float_sums_in_numpys_order(Axis axis) {
    SCOPED_TRACE(std::string(pixel_type_name(pixel_type_of<T>())) +
                 (axis == Axis::z ? " along z" : " along y"));
    constexpr std::int64_t kDepth = 39;
    const Shape shape = axis == Axis::z ? Shape{kDepth, 3, 7, 2} : Shape{3, kDepth, 7, 2};
    const Volume volume = make_volume<T>(shape, [&](auto z, auto y, auto x, auto c) {
        const std::int64_t k = axis == Axis::z ? z : y;
        const std::int64_t other = axis == Axis::z ? y : z;
        const T big = std::is_same_v<T, float> ? T(3e7) : T(3e16);
        if (x == 6) return T(-0.0);  // sums to +0, as numpy's do
        if ((k + x + other) % 5 == 0) return (k + c) % 2 == 0 ? big : -big;
        return T(0.1) * T(k + 1) + T(x) / T(7);
    });
    for (const int threads : {1, 2, 3}) {
        set_thread_count(threads);
        const Volume sum = project(volume, axis, ProjectMode::sum);
        const Volume mean = project(volume, axis, ProjectMode::mean);
        const Volume deviation = project(volume, axis, ProjectMode::std);
        for (std::int64_t o = 0; o < 3; ++o) {
            for (std::int64_t x = 0; x < shape.x; ++x) {
                for (std::int64_t c = 0; c < shape.c; ++c) {
                    T expected = T(0);
                    for (std::int64_t k = 0; k < kDepth; ++k)
                        expected += T(axis == Axis::z ? volume.value_at(k, o, x, c)
                                                      : volume.value_at(o, k, x, c));
                    const auto got = [&](const Volume& v) {
                        return axis == Axis::z ? v.value_at(0, o, x, c) : v.value_at(o, 0, x, c);
                    };
                    ASSERT_EQ(got(sum), double(expected))
                        << threads << " threads at " << o << ", " << x << ", " << c;
                    ASSERT_EQ(got(mean), double(expected / T(kDepth)));
                    ASSERT_EQ(std::signbit(got(sum)), std::signbit(expected));
                    // numpy's std: the mean, then the squared deviations in the same order.
                    const T mean_value = expected / T(kDepth);
                    T squares = T(0);
                    for (std::int64_t k = 0; k < kDepth; ++k) {
                        const T d = T(axis == Axis::z ? volume.value_at(k, o, x, c)
                                                      : volume.value_at(o, k, x, c)) -
                                    mean_value;
                        squares += d * d;
                    }
                    ASSERT_EQ(got(deviation), double(std::sqrt(squares / T(kDepth))));
                }
            }
        }
    }
    set_thread_count(0);
}

TEST(ProjectTest, FloatSumsAndStdsInNumpysOrder) {
    for (const Axis axis : {Axis::z, Axis::y}) {
        expect_float_sums_in_numpys_order<float>(axis);
        expect_float_sums_in_numpys_order<double>(axis);
    }
}

// 65536 planes or rows of 16-bit values sum in 32 bits at the ends of the range; one more,
// which would overflow them, takes 64-bit sums.
TEST(ProjectTest, SumsAtTheEndsOfSixteenBitRanges) {
    set_thread_count(2);
    for (const Axis axis : {Axis::z, Axis::y}) {
        for (const std::int64_t depth : {std::int64_t(65536), std::int64_t(65537)}) {
            SCOPED_TRACE(std::to_string(depth) + (axis == Axis::z ? " planes" : " rows"));
            const Shape shape = axis == Axis::z ? Shape{depth, 1, 2, 1} : Shape{1, depth, 2, 1};
            const Volume high = make_volume<std::uint16_t>(
                shape, [](auto, auto, auto, auto) { return std::uint16_t(65535); });
            EXPECT_EQ(project(high, axis, ProjectMode::sum).value_at(0, 0, 1), 65535.0 * depth);
            const Volume low = make_volume<std::int16_t>(
                shape, [](auto, auto, auto, auto) { return std::int16_t(-32768); });
            EXPECT_EQ(project(low, axis, ProjectMode::sum).value_at(0, 0, 0), -32768.0 * depth);
            EXPECT_EQ(project(low, axis, ProjectMode::mean).value_at(0, 0, 1), -32768.0);
        }
    }
    set_thread_count(0);
}

// numpy's maximum and minimum keep the first NaN and, of equal values, the later one
// (np.maximum(-0.0, 0.0) is 0.0), along every axis, on one thread or two.
TEST(ProjectTest, MaxAndMinKeepNumpysNanAndZero) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Volume volume = make_volume<float>({64, 1, 4, 1}, [&](auto z, auto, auto x, auto) {
        if (x == 0) return z == 50 ? nan : float(z);  // a NaN late
        if (x == 1) return z == 3 ? nan : -float(z);  // early
        if (x == 2) return z < 32 ? -0.0f : 0.0f;     // -0 then 0
        return z < 61 ? 0.0f : -0.0f;                 // the last -0 among four at once
    });
    for (const int threads : {1, 2}) {
        set_thread_count(threads);
        for (const ProjectMode mode : {ProjectMode::max, ProjectMode::min}) {
            const Volume out = project(volume, Axis::z, mode);
            EXPECT_TRUE(std::isnan(out.value_at(0, 0, 0)));
            EXPECT_TRUE(std::isnan(out.value_at(0, 0, 1)));
            EXPECT_FALSE(std::signbit(out.value_at(0, 0, 2))) << threads << " threads";
            EXPECT_TRUE(std::signbit(out.value_at(0, 0, 3))) << threads << " threads";
        }
    }
    set_thread_count(0);
    const Volume row = make_line<float>({0.0f, -0.0f, 0.0f, -0.0f});
    EXPECT_TRUE(std::signbit(project(row, Axis::x, ProjectMode::max).value_at(0, 0, 0)));
    EXPECT_TRUE(std::signbit(project(row, Axis::x, ProjectMode::min).value_at(0, 0, 0)));
}

// Float max and min against numpy's sequential reduction, bit for bit, along every axis: along
// x they go through vector lanes, along y through the quarters of each plane, along z by
// parts; a NaN or zero result then looks for the NaN or zero numpy keeps. Lines of every
// length around the lanes' widths and the quarters, with NaNs of two payloads, zeros of both
// signs, repeated extremes and other values.
template <typename T>
void expect_float_extremes_as_numpy(Axis axis) {
    SCOPED_TRACE(std::string(pixel_type_name(pixel_type_of<T>())) + " along " +
                 std::string(axis_name(axis)));
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    const auto nan_with = [](Bits payload) {
        return std::bit_cast<T>(std::bit_cast<Bits>(std::numeric_limits<T>::quiet_NaN()) | payload);
    };
    constexpr std::int64_t kLines = 11;
    for (const std::int64_t n : {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100}) {
        // Line `line` of the projection holds values k = 0 .. n - 1 along the axis.
        const auto value = [&](std::int64_t line, std::int64_t k) {
            const auto hash = std::uint64_t((line * 1009 + k) * 0x9E3779B97F4A7C15ull) >> 40;
            const T other = T(std::int64_t(hash % 2001) - 1000) / T(1000);
            switch (line) {
                case 0:
                    return other;
                case 1:
                    return k == n / 2 ? nan_with(1) : k == n - 1 ? nan_with(2) : other;
                case 2:
                    return k == n - 1 ? nan_with(2) : other;
                case 3:
                    return hash % 2 == 0 ? T(0.0) : T(-0.0);  // zeros only
                case 4:
                    return k == n - 1 ? T(-0.0) : k % 3 == 0 ? T(0.0) : -std::abs(other);
                case 5:
                    return k == n - 1 ? T(0.0) : k % 3 == 0 ? T(-0.0) : std::abs(other);
                case 6:
                    return k == 0 ? nan_with(3) : T(-0.0);
                // Lines 7 to 9 hold at k = 1 and k = n / 4 what another order takes in turn.
                case 7:
                    return k == 1 ? T(-0.0) : k == n / 4 ? T(0.0) : -T(1) - std::abs(other);
                case 8:
                    return k == 1 ? T(0.0) : k == n / 4 ? T(-0.0) : T(1) + std::abs(other);
                case 9:
                    return k == 1 ? nan_with(1) : k == n / 4 ? nan_with(2) : other;
                default:
                    return T(k % 5) - T(2);  // repeated extremes
            }
        };
        const Shape shape = axis == Axis::x   ? Shape{1, kLines, n, 1}
                            : axis == Axis::y ? Shape{1, n, kLines, 1}
                                              : Shape{n, 1, kLines, 1};
        const Volume volume = make_volume<T>(shape, [&](auto z, auto y, auto x, auto) {
            return axis == Axis::x ? value(y, x) : axis == Axis::y ? value(x, y) : value(x, z);
        });
        for (const ProjectMode mode : {ProjectMode::max, ProjectMode::min}) {
            const Volume out = project(volume, axis, mode);
            const VolumeView<const T> got = out.view<T>();
            for (std::int64_t line = 0; line < kLines; ++line) {
                T m = value(line, 0);
                for (std::int64_t k = 1; k < n; ++k) {
                    const T v = value(line, k);
                    const bool keep =
                        mode == ProjectMode::max ? (m > v || m != m) : (m < v || m != m);
                    m = keep ? m : v;
                }
                const T result = axis == Axis::x ? got(0, line, 0, 0) : got(0, 0, line, 0);
                EXPECT_EQ(std::bit_cast<Bits>(result), std::bit_cast<Bits>(m))
                    << "mode " << int(mode) << ", line " << line << " of " << n << " values";
            }
        }
    }
}

TEST(ProjectTest, FloatExtremesAsNumpy) {
    for (const Axis axis : {Axis::x, Axis::y, Axis::z}) {
        expect_float_extremes_as_numpy<float>(axis);
        expect_float_extremes_as_numpy<double>(axis);
    }
}

TEST(ProjectTest, Errors) {
    const Volume volume =
        make_volume<float>({10, 2, 2, 1}, [](auto, auto, auto, auto) { return 0; });
    VOX_EXPECT_THROW_MSG(project(volume, Axis::z, ProjectMode::max, Slab{5, 3}), ValueError,
                         "slab [5, 3) along z is empty");
    VOX_EXPECT_THROW_MSG(project(volume, Axis::z, ProjectMode::max, Slab{2, 11}), ValueError,
                         "slab [2, 11) along z is outside [0, 10)");
    VOX_EXPECT_THROW_MSG(parse_project_mode("median"), ValueError,
                         "unknown projection mode 'median' (expected max, min, mean, sum or std)");
}

}  // namespace
}  // namespace vox
