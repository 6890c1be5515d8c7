#include "vox/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include "test_util.h"
#include "vox/parallel.h"

namespace vox {
namespace {

using test::make_line;
using test::make_volume;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// numpy's "linear" percentile on a sorted copy, written plainly as the reference.
double reference_percentile(std::vector<double> values, double q) {
    std::sort(values.begin(), values.end());
    const double index = double(values.size() - 1) * (q / 100.0);
    const auto below = std::size_t(std::floor(index));
    const std::size_t above = std::min(below + 1, values.size() - 1);
    const double t = index - std::floor(index);
    const double difference = values[above] - values[below];
    return t >= 0.5 ? values[above] - difference * (1 - t) : values[below] + difference * t;
}

// ours[i] is numpy's percentile q[i] of `reference` (f32 volumes to 1e-6 relative: the
// reference interpolates in double).
template <typename T>
void expect_reference_percentiles(const std::vector<double>& ours,
                                  const std::vector<double>& reference, std::span<const double> q) {
    for (std::size_t i = 0; i < q.size(); ++i) {
        const double expected = reference_percentile(reference, q[i]);
        if constexpr (std::is_same_v<T, float>) {
            EXPECT_NEAR(ours[i], expected, std::fabs(expected) * 1e-6) << "q=" << q[i];
        } else {
            EXPECT_DOUBLE_EQ(ours[i], expected) << "q=" << q[i];
        }
    }
}

TEST(StatsTest, PerChannelAndGlobal) {
    // Channel 0 holds 0..59, channel 1 is constant 7.
    const Volume volume = make_volume<std::uint16_t>(
        {3, 4, 5, 2},
        [](auto z, auto y, auto x, auto c) { return c == 0 ? double(z * 20 + y * 5 + x) : 7.0; });
    const VolumeStats stats = compute_stats(volume);
    ASSERT_EQ(stats.channels.size(), 2u);
    EXPECT_EQ(stats.channels[0].min, 0.0);
    EXPECT_EQ(stats.channels[0].max, 59.0);
    EXPECT_DOUBLE_EQ(stats.channels[0].mean, 29.5);
    EXPECT_DOUBLE_EQ(stats.channels[0].std, std::sqrt((60.0 * 60.0 - 1.0) / 12.0));
    EXPECT_EQ(stats.channels[0].count, 60);
    EXPECT_EQ(stats.channels[1].min, 7.0);
    EXPECT_EQ(stats.channels[1].max, 7.0);
    EXPECT_EQ(stats.channels[1].std, 0.0);
    EXPECT_EQ(stats.global.min, 0.0);
    EXPECT_EQ(stats.global.max, 59.0);
    EXPECT_DOUBLE_EQ(stats.global.mean, (29.5 + 7.0) / 2.0);
    // Population variance of the union, from its sums.
    double sum = 0, sum_squares = 0;
    for (double value : test::values_of(volume)) {
        sum += value;
        sum_squares += value * value;
    }
    const double mean = sum / 120.0;
    EXPECT_NEAR(stats.global.std, std::sqrt(sum_squares / 120.0 - mean * mean), 1e-12);
    EXPECT_EQ(min_max(volume), (std::pair{0.0, 59.0}));
    EXPECT_EQ(min_max(volume.channel(1)), (std::pair{7.0, 7.0}));
}

TEST(StatsTest, NaNIsCountedAndIgnoredInfinityTakesPart) {
    const Volume volume = make_line<float>({1.0f, float(kNaN), 3.0f, float(kNaN)});
    const VolumeStats stats = compute_stats(volume);
    EXPECT_EQ(stats.global.count, 2);
    EXPECT_EQ(stats.global.nan_count, 2);
    EXPECT_EQ(stats.global.min, 1.0);
    EXPECT_EQ(stats.global.max, 3.0);
    EXPECT_EQ(stats.global.mean, 2.0);
    EXPECT_EQ(stats.global.std, 1.0);
    EXPECT_EQ(min_max(volume), (std::pair{1.0, 3.0}));

    const Volume infinite = make_line<double>({-kInf, 0.0, 2.0});
    EXPECT_EQ(min_max(infinite), (std::pair{-kInf, 2.0}));
    EXPECT_EQ(compute_stats(infinite).global.min, -kInf);

    const Volume all_nan = make_line<double>({kNaN, kNaN});
    const auto [low, high] = min_max(all_nan);
    EXPECT_TRUE(std::isnan(low) && std::isnan(high));
    const ValueStats none = compute_stats(all_nan).global;
    EXPECT_EQ(none.count, 0);
    EXPECT_EQ(none.nan_count, 2);
    EXPECT_TRUE(std::isnan(none.mean));
}

TEST(StatsTest, FiniteMinMaxLeavesInfinitiesAndNaNOut) {
    // Long enough for the vector loop and its tail, with the extremes in both.
    std::vector<float> values(1000, 5.0f);
    values[3] = -float(kInf);
    values[10] = float(kNaN);
    values[500] = -7.5f;
    values[998] = 12.0f;
    values[999] = float(kInf);
    EXPECT_EQ(min_max(make_line<float>(values)), (std::pair{-kInf, kInf}));
    EXPECT_EQ(finite_min_max(make_line<float>(values)), (std::pair{-7.5, 12.0}));
    EXPECT_EQ(finite_min_max(make_line<double>({kInf, 1.0, -kInf})), (std::pair{1.0, 1.0}));
    EXPECT_EQ(finite_min_max(make_line<std::int16_t>({-3, 9})), (std::pair{-3.0, 9.0}));
    const auto [low, high] = finite_min_max(make_line<double>({kInf, -kInf, kNaN}));
    EXPECT_TRUE(std::isnan(low) && std::isnan(high));
}

TEST(StatsTest, EmptyVolume) {
    const Volume empty = Volume::allocate({0, 3, 3, 2}, PixelType::u8);
    const VolumeStats stats = compute_stats(empty);
    EXPECT_EQ(stats.global.count, 0);
    EXPECT_TRUE(std::isnan(stats.global.min));
    EXPECT_EQ(stats.channels.size(), 2u);
    EXPECT_TRUE(std::isnan(min_max(empty).first));
    EXPECT_TRUE(std::isnan(percentile(empty, 50)));
}

TEST(StatsTest, ViewsGiveTheSameStatsAsCopies) {
    std::mt19937 generator(7);
    std::uniform_int_distribution<int> values(-30000, 30000);
    const Volume volume = make_volume<std::int16_t>(
        {9, 31, 47, 2}, [&](auto, auto, auto, auto) { return values(generator); });
    const Volume view = volume.crop({{1, 3, 5}, {8, 30, 40}}).step(2, 3, 2);
    const VolumeStats from_view = compute_stats(view);
    const VolumeStats from_copy = compute_stats(view.copy());
    EXPECT_EQ(from_view.global.min, from_copy.global.min);
    EXPECT_EQ(from_view.global.max, from_copy.global.max);
    EXPECT_DOUBLE_EQ(from_view.global.mean, from_copy.global.mean);
    EXPECT_DOUBLE_EQ(from_view.global.std, from_copy.global.std);
    const double q[] = {0, 12.5, 50, 99.5, 100};
    EXPECT_EQ(percentiles(view, q), percentiles(view.copy(), q));
}

TEST(StatsTest, ResultsDoNotDependOnTheThreadCount) {
    std::mt19937 generator(11);
    std::normal_distribution<float> values(100.0f, 30.0f);
    const Volume volume = make_volume<float>(
        {40, 64, 64, 1}, [&](auto, auto, auto, auto) { return values(generator); });
    set_thread_count(1);
    const VolumeStats single = compute_stats(volume);
    set_thread_count(0);
    const VolumeStats all = compute_stats(volume);
    // Bit-identical, not merely close: blocks are combined in a fixed order.
    EXPECT_EQ(single.global.mean, all.global.mean);
    EXPECT_EQ(single.global.std, all.global.std);
}

TEST(StatsTest, PercentileSmallCasesByHand) {
    EXPECT_EQ(percentile(make_line<std::uint8_t>({42}), 0), 42.0);
    EXPECT_EQ(percentile(make_line<std::uint8_t>({42}), 100), 42.0);
    EXPECT_EQ(percentile(make_line<std::uint8_t>({42}), 37), 42.0);
    const Volume two = make_line<std::uint16_t>({10, 20});
    EXPECT_EQ(percentile(two, 0), 10.0);
    EXPECT_EQ(percentile(two, 50), 15.0);
    EXPECT_EQ(percentile(two, 100), 20.0);
    EXPECT_EQ(percentile(two, 30), 13.0);
    // Ties: the sorted values are 1 1 1 5 5.
    const Volume ties = make_line<std::int32_t>({5, 1, 1, 5, 1});
    EXPECT_EQ(percentile(ties, 50), 1.0);
    EXPECT_EQ(percentile(ties, 62.5), 3.0);
    EXPECT_EQ(percentile(ties, 75), 5.0);
    const double q[] = {100, 0, 50};
    EXPECT_EQ(percentiles(ties, q), (std::vector<double>{5, 1, 1}));  // any order of q
}

TEST(StatsTest, PercentileRejectsBadQ) {
    const Volume volume = make_line<std::uint8_t>({1, 2});
    VOX_EXPECT_THROW_MSG(percentile(volume, 100.5), ValueError,
                         "percentile 100.5 is outside [0, 100]");
    VOX_EXPECT_THROW_MSG(percentile(volume, -1), ValueError, "percentile -1 is outside [0, 100]");
    EXPECT_THROW(percentile(volume, kNaN), ValueError);
}

TEST(StatsTest, PercentileOfSignedNeighboursDoesNotOverflow) {
    // numpy 1.24 gives 128 here: it subtracts the neighbours in int8. The exact answer is 0.
    EXPECT_EQ(percentile(make_line<std::int8_t>({-100, 100}), 50), 0.0);
    EXPECT_EQ(percentile(make_line<std::int32_t>({-2000000000, 2000000000}), 25), -1000000000.0);
}

TEST(StatsTest, PercentileIgnoresNaN) {
    const Volume volume = make_line<float>({float(kNaN), 4.0f, 1.0f, float(kNaN), 2.0f});
    EXPECT_EQ(percentile(volume, 50), 2.0);
    EXPECT_EQ(percentile(volume, 100), 4.0);
    EXPECT_TRUE(std::isnan(percentile(make_line<double>({kNaN}), 50)));
}

TEST(StatsTest, PercentileOrdersSignedZeroAndNegativeFloats) {
    const Volume volume = make_line<float>({-0.0f, 0.0f, -1.5f, -1e30f, 1e-30f, -float(kInf)});
    EXPECT_EQ(percentile(volume, 0), -kInf);
    EXPECT_EQ(percentile(volume, 20), -1e30f);
    EXPECT_EQ(percentile(volume, 40), -1.5);
    EXPECT_EQ(percentile(volume, 100), double(1e-30f));
}

// Percentiles of f32, f64, i32 and u32 count the values in buckets of their keys' high 16
// bits, then select within the ranks' buckets: by gathering their values when they are few
// (spread data), else (crowded data, all in one bucket: [1, 1.0625) shares its sign,
// exponent and first mantissa bits) by a second count of the low bits (32-bit types) or
// gathering anyway (f64). Several ranks share a bucket, with signed zeros, negative values
// and NaN around them (infinities: see the test below).
template <typename T>
void expect_percentiles_match_sorted_reference(bool crowded) {
    std::mt19937_64 generator(99);
    const auto draw = [&]() -> T {
        if constexpr (std::is_floating_point_v<T>) {
            return crowded ? T(std::uniform_real_distribution<double>(1.0, 1.0 + 1e-3)(generator))
                           : T(std::uniform_real_distribution<double>(-100.0, 100.0)(generator));
        } else {
            return crowded ? T(1000000 + generator() % 1000) : T(generator());
        }
    };
    std::vector<double> reference;
    const Volume volume = make_volume<T>({4, 100, 500, 1}, [&](auto z, auto y, auto x, auto) {
        const std::int64_t i = (z * 100 + y) * 500 + x;
        T value = draw();
        if constexpr (std::is_floating_point_v<T>) {
            if (i % 1000 == 1) value = T(-0.0);
            if (i % 1000 == 2) value = T(0.0);
            if (i % 1000 == 3) value = -draw();
            if (i % 997 == 0) return T(kNaN);
        }
        reference.push_back(double(value));
        return value;
    });
    const double q[] = {0.0, 0.05, 0.1, 0.2, 0.3, 25.0, 50.0, 50.001, 75.0, 99.5, 99.9, 100.0};
    const std::vector<double> ours = percentiles(volume, q);
    expect_reference_percentiles<T>(ours, reference, q);
    // A strided view reads the same values.
    EXPECT_EQ(percentiles(volume.step(1, 1, 1), q), ours);
}

TEST(StatsTest, PercentilesOfWideTypesMatchSortedReference) {
    for (const bool crowded : {true, false}) {
        SCOPED_TRACE(crowded ? "crowded" : "spread");
        expect_percentiles_match_sorted_reference<double>(crowded);
        expect_percentiles_match_sorted_reference<float>(crowded);
        expect_percentiles_match_sorted_reference<std::int32_t>(crowded);
        expect_percentiles_match_sorted_reference<std::uint32_t>(crowded);
    }
}

// img_as_float's values k * (1 / 65535) are ranked by counting their keys; with one other
// value among them, by the float paths. Both give numpy's percentiles.
template <typename T>
void expect_percentiles_of_img_as_float_values() {
    for (const bool other : {false, true}) {
        std::mt19937_64 generator(5);
        std::vector<double> reference;
        const Volume volume = make_volume<T>({5, 256, 256, 1}, [&](auto z, auto y, auto x, auto) {
            T value = T(std::int64_t(generator() % 40000)) * T(1.0 / 65535.0);
            if (other && z == 2 && y == 7 && x == 9) value = T(0.123456789);
            reference.push_back(double(value));
            return value;
        });
        const double q[] = {0.0, 0.5, 25.0, 50.0, 99.5, 100.0};
        expect_reference_percentiles<T>(percentiles(volume, q), reference, q);
    }
}

TEST(StatsTest, PercentilesOfImgAsFloatValuesMatchSortedReference) {
    expect_percentiles_of_img_as_float_values<double>();
    expect_percentiles_of_img_as_float_values<float>();
}

// Every type, random data, several q: the O(n) paths against the sorted reference.
template <typename T>
class PercentileEveryTypeTest : public ::testing::Test {};
using AllPixelTypes = ::testing::Types<std::uint8_t, std::int8_t, std::uint16_t, std::int16_t,
                                       std::uint32_t, std::int32_t, float, double>;
TYPED_TEST_SUITE(PercentileEveryTypeTest, AllPixelTypes);

TYPED_TEST(PercentileEveryTypeTest, MatchesSortedReference) {
    using T = TypeParam;
    std::mt19937_64 generator(1234);
    const double low =
        std::is_floating_point_v<T> ? -1e6 : double(std::numeric_limits<T>::lowest());
    const double high = std::is_floating_point_v<T> ? 1e6 : double(std::numeric_limits<T>::max());
    std::uniform_real_distribution<double> uniform(low, high);
    for (std::int64_t length : {1, 2, 3, 10, 1001, 70000}) {
        std::vector<double> reference;
        const Volume volume = make_volume<T>({1, 1, length, 1}, [&](auto, auto, auto, auto) {
            // Half of the values are drawn from a few repeats, to make ties.
            const double value =
                (generator() % 2) ? uniform(generator) : double(T(uniform(generator) / 1e3));
            reference.push_back(double(T(value)));
            return value;
        });
        const double q[] = {0.0, 0.5, 1.0, 25.0, 33.3, 50.0, 66.7, 99.5, 100.0};
        const std::vector<double> ours = percentiles(volume, q);
        for (std::size_t i = 0; i < std::size(q); ++i) {
            const double expected = reference_percentile(reference, q[i]);
            if constexpr (std::is_same_v<T, float>) {
                // numpy (and we) subtract float neighbours in float: allow that rounding.
                EXPECT_NEAR(ours[i], expected, std::fabs(expected) * 1e-6 + 1e-6)
                    << "n=" << length << " q=" << q[i];
            } else {
                EXPECT_DOUBLE_EQ(ours[i], expected) << "n=" << length << " q=" << q[i];
            }
        }
    }
}

}  // namespace
}  // namespace vox

namespace vox {
namespace {

TEST(StatsTest, PercentileKeepsInfinitiesWhereNumpyGivesNaN) {
    const Volume volume = make_line<double>({1.0, kInf});
    EXPECT_EQ(percentile(volume, 0), 1.0);
    EXPECT_EQ(percentile(volume, 50), kInf);
    EXPECT_EQ(percentile(volume, 100), kInf);
    EXPECT_TRUE(std::isnan(percentile(make_line<double>({-kInf, kInf}), 50)));
}

}  // namespace
}  // namespace vox
