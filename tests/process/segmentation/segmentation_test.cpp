// Unit tests of vox/segmentation.h on small synthetic volumes. Expected thresholds were
// computed with scikit-image 0.19.3 (values in the comments' calls).
#include "vox/segmentation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "label_detail.h"
#include "test_util.h"
#include "vox/parallel.h"

namespace vox {
namespace {

using test::make_line;
using test::make_volume;

const std::vector<std::uint8_t> kSmall{1, 2, 2, 3, 3, 3, 10, 11, 11, 12, 40};
const std::vector<float> kSmallFloat{0.5f, 0.25f, 1.5f, 2.0f, 3.75f, 0.125f, 9.0f, 8.5f};

TEST(Thresholds, IntegerMatchScikitImage) {
    const Volume v = make_line(kSmall);
    EXPECT_EQ(threshold_otsu(v), 12.0);
    EXPECT_EQ(threshold_li(v), 6.851435344140042);
    EXPECT_EQ(threshold_yen(v), 3.0);
    EXPECT_EQ(threshold_triangle(v), 4.0);
    EXPECT_EQ(threshold_mean(v), 8.909090909090908);
}

TEST(Thresholds, SmallIntegerHistogramsMatchTheGeneralPath) {
    // 8/16-bit volumes take the one-pass full-range histogram; the same values as i32 take
    // the min/max + bincount path. Runs of equal values exercise the interleaved counters.
    std::mt19937 rng(3);
    auto check = [&](auto tag, int low, int high) {
        using T = decltype(tag);
        std::uniform_int_distribution<int> dist(low, high);
        std::vector<int> values(3 * 7 * 41);
        for (std::size_t i = 0; i < values.size(); ++i)
            values[i] = i % 5 == 0 || i < 20 ? low + 3 : dist(rng);
        auto fill = [&](auto z, auto y, auto x, auto) {
            return values[std::size_t((z * 7 + y) * 41 + x)];
        };
        const Volume small = make_volume<T>({3, 7, 41, 1}, fill);
        const Volume wide = make_volume<std::int32_t>({3, 7, 41, 1}, fill);
        EXPECT_EQ(threshold_otsu(small), threshold_otsu(wide));
        EXPECT_EQ(threshold_yen(small), threshold_yen(wide));
        EXPECT_EQ(threshold_triangle(small), threshold_triangle(wide));
        EXPECT_EQ(threshold_li(small), threshold_li(wide));
        // A strided view goes through the general (stride) loop.
        EXPECT_EQ(threshold_otsu(small.step(1, 1, 3)), threshold_otsu(wide.step(1, 1, 3)));
        const Volume constant = make_volume<T>({2, 2, 9, 1}, [&](auto...) { return high; });
        EXPECT_EQ(threshold_otsu(constant), double(high));
    };
    check(std::uint8_t{}, 0, 255);
    check(std::int8_t{}, -128, 127);
    check(std::uint16_t{}, 100, 65535);
    check(std::int16_t{}, -32768, 2000);
}

TEST(Thresholds, FloatMatchScikitImage) {
    const Volume v = make_line(kSmallFloat);
    EXPECT_EQ(threshold_otsu(v), double(3.7478027f));
    EXPECT_EQ(threshold_otsu(v, 4), 3.453125);
    EXPECT_EQ(threshold_yen(v), double(1.4943848f));
    EXPECT_EQ(threshold_triangle(v), double(0.17700195f));
    EXPECT_EQ(threshold_li(v), double(2.911978f));
    EXPECT_EQ(threshold_mean(v), 3.203125);
}

TEST(Thresholds, RangesAtTheEndsOfTheFloatTypes) {
    // float32 values 0 and 1e-45: numpy's 256 / width overflows float32 and is a float64,
    // so the offsets are scaled in float64 (skimage: 0, 0 and 1e-45). Before, the scale
    // was float32 infinity and 0 * inf a NaN index.
    const float tiny = std::numeric_limits<float>::denorm_min();
    const Volume narrow = make_line(std::vector<float>{0.0f, tiny, 0.0f, tiny, tiny});
    EXPECT_EQ(threshold_otsu(narrow), 0.0);
    EXPECT_EQ(threshold_yen(narrow), 0.0);
    EXPECT_EQ(threshold_triangle(narrow), double(tiny));
    // Past float64 (or a float32 width that overflows), numpy's indices are NaN and its
    // histogram raises an IndexError: a clear error here.
    const double tinier = std::numeric_limits<double>::denorm_min();
    VOX_EXPECT_THROW_MSG(threshold_otsu(make_line(std::vector<double>{0.0, tinier})), ValueError,
                         "cannot bin the values' range [0, 5e-324] in 256 bins: its width or its "
                         "inverse overflows (numpy's histogram fails on it too)");
    EXPECT_THROW(threshold_triangle(make_line(std::vector<float>{-3e38f, 3e38f})), ValueError);
}

TEST(Thresholds, ConstantVolumes) {
    const Volume v = make_line(std::vector<std::uint16_t>{7, 7, 7});
    EXPECT_EQ(threshold_otsu(v), 7.0);
    EXPECT_EQ(threshold_yen(v), 7.0);
    EXPECT_EQ(threshold_triangle(v), 7.0);
    EXPECT_EQ(threshold_li(v), 7.0);
    EXPECT_EQ(threshold_mean(v), 7.0);
}

TEST(Thresholds, LiIgnoresNaNAndUsesInitialGuess) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    EXPECT_TRUE(std::isnan(threshold_li(make_line(std::vector<float>{nan, nan}))));
    EXPECT_EQ(threshold_li(make_line(std::vector<float>{nan, 2.0f, 2.0f})), 2.0);
    const Volume v = make_line(kSmall);
    EXPECT_EQ(threshold_li(v, std::nullopt, 20.0), 17.32500524446858);
    VOX_EXPECT_THROW_MSG(threshold_li(v, std::nullopt, 300.0), ValueError,
                         "The initial guess for threshold_li must be within the range of the "
                         "image. Got 300 for image min 1 and max 40.");
}

TEST(Thresholds, Errors) {
    const Volume v = make_line(kSmall);
    VOX_EXPECT_THROW_MSG(threshold_otsu(v, 0), ValueError, "nbins must be at least 1, got 0");
    VOX_EXPECT_THROW_MSG(threshold_yen(v, 0), ValueError, "nbins must be at least 1, got 0");
    VOX_EXPECT_THROW_MSG(threshold_triangle(v, -3), ValueError, "nbins must be at least 1, got -3");
    const float inf = std::numeric_limits<float>::infinity();
    VOX_EXPECT_THROW_MSG(threshold_otsu(make_line(std::vector<float>{1.0f, inf})), ValueError,
                         "autodetected range of [1, inf] is not finite");
    const test::ScopedMemoryLimit limit(1 << 20);
    VOX_EXPECT_THROW_MSG(threshold_otsu(make_line(std::vector<float>{1.0f, 2.0f}), 1 << 20),
                         LimitError,
                         "a histogram of 1048576 bins needs 32.0 MiB, over the memory limit of "
                         "1.0 MiB");
    VOX_EXPECT_THROW_MSG(
        threshold_otsu(make_line(std::vector<std::int32_t>{-1073741824, 1073741823})), LimitError,
        "a histogram of the integer range [-1073741824, 1073741823] (one bin per value) needs "
        "176.0 GiB, over the memory limit of 1.0 MiB");
}

TEST(Thresholds, MeanIsExactForLongRowsAtTheEndsOfTheRange) {
    // Rows longer than the 65536 values a 32-bit partial sum of 16-bit values holds.
    const std::int64_t n = 70001;
    const Volume high = make_volume<std::uint16_t>({1, 2, n, 1}, [](auto...) { return 65535; });
    EXPECT_EQ(threshold_mean(high), 65535.0);
    const Volume low = make_volume<std::int16_t>({1, 1, n, 1}, [](auto...) { return -32768; });
    EXPECT_EQ(threshold_mean(low), -32768.0);
    const Volume mixed = make_volume<std::int16_t>(
        {1, 1, n, 1}, [](auto, auto, auto x, auto) { return x % 3 == 0 ? 32767 : -32768; });
    long double sum = 0;
    for (std::int64_t x = 0; x < n; ++x)
        sum += x % 3 == 0 ? 32767 : -32768;
    EXPECT_EQ(threshold_mean(mixed), double(sum / n));
}

TEST(Thresholds, SameForAnyThreadCount) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(0.0f, 100.0f);
    const Volume v = make_volume<float>({20, 30, 40, 2}, [&](auto...) { return dist(rng); });
    set_thread_count(1);
    const std::array<double, 5> one{threshold_otsu(v), threshold_li(v), threshold_yen(v),
                                    threshold_triangle(v), threshold_mean(v)};
    set_thread_count(0);
    const std::array<double, 5> all{threshold_otsu(v), threshold_li(v), threshold_yen(v),
                                    threshold_triangle(v), threshold_mean(v)};
    EXPECT_EQ(one, all);
}

TEST(Masks, InRangeIsInclusiveAndAndsChannels) {
    const Volume v = make_line(std::vector<std::uint8_t>{0, 99, 100, 101, 255});
    EXPECT_EQ(test::values_of(in_range(v, 0, 100)), (std::vector<double>{255, 255, 255, 0, 0}));
    const Volume two = make_volume<std::int16_t>({1, 1, 3, 2}, [](auto, auto, auto x, auto c) {
        return c == 0 ? x * 10 : 50 - x * 20;  // channel 0: 0 10 20, channel 1: 50 30 10
    });
    const Volume mask = in_range(two, 5, 40);
    EXPECT_EQ(mask.shape().c, 1);
    EXPECT_EQ(test::values_of(mask), (std::vector<double>{0, 255, 255}));
    VOX_EXPECT_THROW_MSG(in_range(v, 5, 3), ValueError,
                         "low must not be greater than high, got low 5 and high 3");
}

// Every value near the ends of T's range and around the bounds, in two channels, compared
// with the definition in double (low <= v <= high, and v > level): the masks compare in T.
template <typename T>
void expect_masks_as_defined_in_double(const std::vector<double>& bounds) {
    SCOPED_TRACE(std::string(pixel_type_name(pixel_type_of<T>())));
    std::vector<T> values{std::numeric_limits<T>::lowest(),
                          std::numeric_limits<T>::max(),
                          T(0),
                          T(1),
                          T(2),
                          T(3),
                          T(100),
                          T(101)};
    if constexpr (std::is_floating_point_v<T>) {
        for (const T v : {T(0.1), T(2.5), T(-0.0), T(1e30), std::numeric_limits<T>::infinity(),
                          -std::numeric_limits<T>::infinity(), std::numeric_limits<T>::quiet_NaN(),
                          std::nextafter(T(2.5), T(3)), std::nextafter(T(0.1), T(0))})
            values.push_back(v);
    } else {
        values.push_back(T(std::numeric_limits<T>::max() - 1));
        values.push_back(T(std::numeric_limits<T>::lowest() + 1));
    }
    const auto n = std::int64_t(values.size());
    // Channel 1 is channel 0 shifted by one place: in_range ANDs them.
    const Volume volume = make_volume<T>(
        {1, 1, n, 2}, [&](auto, auto, auto x, auto c) { return values[std::size_t((x + c) % n)]; });
    for (const double low : bounds) {
        for (const double high : bounds) {
            if (low > high) continue;
            const Volume mask = in_range(volume, low, high);
            for (std::int64_t x = 0; x < n; ++x) {
                bool inside = true;
                for (std::int64_t c = 0; c < 2; ++c) {
                    const double v = volume.value_at(0, 0, x, c);
                    inside = inside && v >= low && v <= high;
                }
                ASSERT_EQ(mask.value_at(0, 0, x), inside ? 255.0 : 0.0)
                    << "[" << low << ", " << high << "] at " << x;
            }
        }
        const Volume above = threshold(volume, low);
        for (std::int64_t c = 0; c < 2; ++c)
            for (std::int64_t x = 0; x < n; ++x)
                ASSERT_EQ(above.value_at(0, 0, x, c), volume.value_at(0, 0, x, c) > low ? 1.0 : 0.0)
                    << "> " << low << " at " << x << " channel " << c;
    }
}

TEST(Masks, CompareInThePixelTypeAsInDouble) {
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<double> bounds{
        -inf, -1e300, -70000.5, -129, -1.5,  -0.0,    0.0,          0.1,          1,    2.5,   2.75,
        100,  100.5,  255,      256,  65535, 65535.5, 4294967295.0, 4294967296.5, 1e30, 1e300, inf};
    expect_masks_as_defined_in_double<std::uint8_t>(bounds);
    expect_masks_as_defined_in_double<std::int8_t>(bounds);
    expect_masks_as_defined_in_double<std::uint16_t>(bounds);
    expect_masks_as_defined_in_double<std::int16_t>(bounds);
    expect_masks_as_defined_in_double<std::uint32_t>(bounds);
    expect_masks_as_defined_in_double<std::int32_t>(bounds);
    expect_masks_as_defined_in_double<float>(bounds);
    expect_masks_as_defined_in_double<double>(bounds);
    const Volume nan_level = threshold(make_line(std::vector<float>{1.0f, 2.0f}), std::nan(""));
    EXPECT_EQ(test::values_of(nan_level), (std::vector<double>{0, 0}));
}

TEST(Masks, ThresholdIsStrictAndKeepsSpacing) {
    Volume v = make_line(std::vector<float>{1.0f, 2.0f, 3.0f, std::nanf("")});
    v.set_spacing({{2.0, 1.0, 0.5}, "mm", true});
    const Volume mask = threshold(v, 2.0);
    EXPECT_EQ(mask.pixel_type(), PixelType::u8);
    EXPECT_EQ(mask.spacing(), v.spacing());
    EXPECT_EQ(test::values_of(mask), (std::vector<double>{0, 0, 1, 0}));
}

// Reference labelling: breadth-first search from each unvisited voxel in raster order.
std::vector<std::int32_t> reference_label(const Volume& mask, int connectivity) {
    const Shape s = mask.shape();
    const auto in = mask.view<std::uint8_t>();
    std::vector<std::int32_t> out(std::size_t(s.voxels()), 0);
    const int max_norm = connectivity == 6 ? 1 : connectivity == 18 ? 2 : 3;
    std::int32_t next = 0;
    auto index = [&](std::int64_t z, std::int64_t y, std::int64_t x) {
        return std::size_t((z * s.y + y) * s.x + x);
    };
    for (std::int64_t z = 0; z < s.z; ++z)
        for (std::int64_t y = 0; y < s.y; ++y)
            for (std::int64_t x = 0; x < s.x; ++x) {
                if (in(z, y, x) == 0 || out[index(z, y, x)] != 0) continue;
                const std::uint8_t value = in(z, y, x);
                out[index(z, y, x)] = ++next;
                std::queue<std::array<std::int64_t, 3>> queue;
                queue.push({z, y, x});
                while (!queue.empty()) {
                    const auto [cz, cy, cx] = queue.front();
                    queue.pop();
                    for (int dz = -1; dz <= 1; ++dz)
                        for (int dy = -1; dy <= 1; ++dy)
                            for (int dx = -1; dx <= 1; ++dx) {
                                const int norm = (dz != 0) + (dy != 0) + (dx != 0);
                                if (norm == 0 || norm > max_norm) continue;
                                const std::int64_t nz = cz + dz, ny = cy + dy, nx = cx + dx;
                                if (nz < 0 || ny < 0 || nx < 0 || nz >= s.z || ny >= s.y ||
                                    nx >= s.x)
                                    continue;
                                if (in(nz, ny, nx) != value || out[index(nz, ny, nx)] != 0)
                                    continue;
                                out[index(nz, ny, nx)] = next;
                                queue.push({nz, ny, nx});
                            }
                }
            }
    return out;
}

std::vector<std::int32_t> labels_of(const Volume& labels) {
    const auto v = labels.view<std::int32_t>();
    return {v.origin, v.origin + labels.shape().voxels()};
}

TEST(Label, ConnectivityChangesDiagonals) {
    // Two voxels touching by a corner, and two touching by an edge.
    const Volume mask = make_volume<std::uint8_t>({2, 2, 4, 1}, [](auto z, auto y, auto x, auto) {
        return (z == 0 && y == 0 && x == 0) || (z == 1 && y == 1 && x == 1) ||
               (z == 0 && y == 0 && x == 3) || (z == 0 && y == 1 && x == 2);
    });
    EXPECT_EQ(test::values_of(label(mask, 6)),
              (std::vector<double>{1, 0, 0, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 4, 0, 0}));
    // (0, 1, 2) and (1, 1, 1) share an edge; (0, 0, 0) and (1, 1, 1) only a corner.
    EXPECT_EQ(test::values_of(label(mask, 18)),
              (std::vector<double>{1, 0, 0, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 2, 0, 0}));
    EXPECT_EQ(test::values_of(label(mask, 26)),
              (std::vector<double>{1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0}));
}

TEST(Label, DifferentValuesAreDifferentComponents) {
    const Volume mask = make_line(std::vector<std::uint8_t>{1, 1, 2, 2, 0, 2});
    EXPECT_EQ(test::values_of(label(mask)), (std::vector<double>{1, 1, 2, 2, 0, 3}));
}

TEST(Label, MatchesReferenceOnRandomMasksForAnyThreadCount) {
    std::mt19937 rng(11);
    for (const double fill : {0.3, 0.5, 0.7}) {
        std::bernoulli_distribution dist(fill);
        const Volume mask =
            make_volume<std::uint8_t>({37, 13, 17, 1}, [&](auto...) { return dist(rng) ? 1 : 0; });
        for (const int connectivity : {6, 18, 26}) {
            const auto expected = reference_label(mask, connectivity);
            for (const int threads : {1, 2, 7}) {
                set_thread_count(threads);
                EXPECT_EQ(labels_of(label(mask, connectivity)), expected)
                    << fill << " " << connectivity << " " << threads;
                EXPECT_EQ(labels_of(segmentation_detail::label_with_own_table(mask, connectivity)),
                          expected);
                // The count comes with the labels: the largest of them.
                std::int64_t count = -1;
                EXPECT_EQ(labels_of(label(mask, connectivity, count)), expected);
                EXPECT_EQ(count, *std::max_element(expected.begin(), expected.end()));
                EXPECT_GE(count, 1);
            }
            set_thread_count(0);
        }
    }
}

TEST(Label, MatchesReferenceOnMultiValuedRunsForAnyTypeAndThreadCount) {
    // Long runs of several values along x, with gaps of every length: exercises the run
    // scan (word-wise zero skipping), runs of different values touching, and slab borders.
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> value(0, 3);
    std::bernoulli_distribution keep(0.85);
    for (const Shape shape : {Shape{23, 9, 70, 1}, Shape{5, 3, 131, 1}, Shape{40, 1, 9, 1}}) {
        std::vector<std::uint8_t> data(std::size_t(shape.voxels()));
        std::uint8_t current = 0;
        for (auto& v : data) {
            if (!keep(rng)) current = std::uint8_t(value(rng));
            v = current;
        }
        auto at = [&](auto z, auto y, auto x) {
            return data[std::size_t((z * shape.y + y) * shape.x + x)];
        };
        const Volume mask = make_volume<std::uint8_t>(
            shape, [&](auto z, auto y, auto x, auto) { return at(z, y, x); });
        const Volume mask16 = make_volume<std::uint16_t>(
            shape, [&](auto z, auto y, auto x, auto) { return at(z, y, x); });
        const Volume mask32 = make_volume<std::int32_t>(
            shape, [&](auto z, auto y, auto x, auto) { return at(z, y, x); });
        for (const int connectivity : {6, 18, 26}) {
            const auto expected = reference_label(mask, connectivity);
            for (const int threads : {1, 2, 7}) {
                set_thread_count(threads);
                EXPECT_EQ(labels_of(label(mask, connectivity)), expected)
                    << shape.x << " " << connectivity << " " << threads;
                EXPECT_EQ(labels_of(label(mask16, connectivity)), expected);
                EXPECT_EQ(labels_of(label(mask32, connectivity)), expected);
                EXPECT_EQ(
                    labels_of(segmentation_detail::label_with_own_table(mask16, connectivity)),
                    expected);
            }
            set_thread_count(0);
        }
    }
}

TEST(Label, EveryVoxelItsOwnRun) {
    // Neighbours along x always differ, so every voxel is a run and run ids reach the voxel
    // indices: the union-find table fills the output it lives in. The first slabs are empty,
    // so later slabs' ids start far beyond their run counts, and the last slab is dense.
    const Shape shape{19, 6, 33, 1};
    const Volume mask = make_volume<std::uint8_t>(shape, [](auto z, auto y, auto x, auto) {
        if (z < 7) return 0;
        return z > 15 ? int((x + y) % 2 + 1) : int((x + y + z) % 3 + 1);
    });
    for (const int connectivity : {6, 18, 26}) {
        const auto expected = reference_label(mask, connectivity);
        for (const int threads : {1, 2, 7}) {
            set_thread_count(threads);
            EXPECT_EQ(labels_of(label(mask, connectivity)), expected)
                << connectivity << " " << threads;
        }
        set_thread_count(0);
    }
}

TEST(Label, HandlesStridedViewsAndKeepsSpacing) {
    Volume mask = make_volume<std::uint8_t>(
        {6, 5, 8, 1}, [](auto z, auto, auto x, auto) { return (x + z) % 3 == 0; });
    mask.set_spacing({{1.0, 2.0, 3.0}, "µm", true});
    const Volume view = mask.step(1, 1, 2);
    const Volume labels = label(view, 26);
    EXPECT_EQ(labels.pixel_type(), PixelType::i32);
    EXPECT_EQ(labels.spacing(), view.spacing());
    EXPECT_EQ(labels_of(labels), reference_label(view.contiguous(), 26));
}

TEST(Label, Errors) {
    const Volume mask = make_line(std::vector<std::uint8_t>{1, 0});
    VOX_EXPECT_THROW_MSG(label(mask, 4), ValueError, "connectivity must be 6, 18 or 26, got 4");
    VOX_EXPECT_THROW_MSG(label(make_line(std::vector<float>{1.0f}), 6), TypeError,
                         "label needs an integer mask, got f32");
    VOX_EXPECT_THROW_MSG(label(make_volume<std::uint8_t>({1, 1, 1, 2}, [](auto...) { return 1; })),
                         ValueError, "label needs a single-channel volume, got 2 channels");
}

TEST(LabelStatistics, BoxesWithSpacingAndIntensity) {
    // Label 1: a 2x2x3 box at (1, 0, 2); label 3: one voxel at (0, 3, 0); label 2 absent.
    Volume labels = make_volume<std::int32_t>({3, 4, 5, 1}, [](auto z, auto y, auto x, auto) {
        if (z >= 1 && y < 2 && x >= 2) return 1;
        if (z == 0 && y == 3 && x == 0) return 3;
        return 0;
    });
    labels.set_spacing({{2.0, 0.5, 0.5}, "µm", true});
    const Volume intensity = make_volume<std::uint16_t>(
        {3, 4, 5, 2}, [](auto z, auto, auto x, auto c) { return c * 100 + z * 10 + x; });
    const LabelStatistics stats = label_statistics(labels, intensity);
    EXPECT_EQ(stats.volume_unit, "µm³");
    EXPECT_TRUE(stats.spacing_known);
    ASSERT_EQ(stats.regions.size(), 2u);
    const RegionStats& a = stats.regions[0];
    EXPECT_EQ(a.label, 1);
    EXPECT_EQ(a.voxel_count, 12);
    EXPECT_DOUBLE_EQ(a.volume, 12 * 0.5);
    EXPECT_EQ(a.centroid, (std::array<double, 3>{1.5, 0.5, 3.0}));
    EXPECT_EQ(a.centroid_physical, (std::array<double, 3>{3.0, 0.25, 1.5}));
    EXPECT_EQ(a.bbox, (Box{{1, 0, 2}, {3, 2, 5}}));
    EXPECT_EQ(a.mean_intensity, (std::vector<double>{18.0, 118.0}));
    const RegionStats& b = stats.regions[1];
    EXPECT_EQ(b.label, 3);
    EXPECT_EQ(b.voxel_count, 1);
    EXPECT_EQ(b.bbox, (Box{{0, 3, 0}, {1, 4, 1}}));
    EXPECT_TRUE(label_statistics(labels).regions[0].mean_intensity.empty());
    VOX_EXPECT_THROW_MSG(label_statistics(make_line(std::vector<float>{1.0f})), TypeError,
                         "label_statistics needs integer labels, got f32");
}

// The statistics of every label, voxel by voxel, as regionprops defines them.
template <typename L, typename T>
LabelStatistics reference_statistics(const Volume& labels, const Volume& intensity) {
    const auto lv = labels.view<L>();
    const auto iv = intensity.view<T>();
    const Shape s = lv.shape;
    std::map<std::int64_t, RegionStats> regions;
    std::map<std::int64_t, std::array<std::int64_t, 3>> sums;
    std::map<std::int64_t, std::vector<long double>> totals;
    for (std::int64_t z = 0; z < s.z; ++z) {
        for (std::int64_t y = 0; y < s.y; ++y) {
            for (std::int64_t x = 0; x < s.x; ++x) {
                const std::int64_t l = std::int64_t(lv.row(z, y)[x * lv.strides[2]]);
                if (l <= 0) continue;
                RegionStats& r = regions[l];
                if (r.voxel_count == 0) {
                    r.label = std::int32_t(l);
                    r.bbox = {{z, y, x}, {z + 1, y + 1, x + 1}};
                    totals[l].assign(std::size_t(intensity.shape().c), 0.0L);
                }
                ++r.voxel_count;
                const std::array<std::int64_t, 3> p{z, y, x};
                for (std::size_t a = 0; a < 3; ++a) {
                    sums[l][a] += p[a];
                    r.bbox.begin[a] = std::min(r.bbox.begin[a], p[a]);
                    r.bbox.end[a] = std::max(r.bbox.end[a], p[a] + 1);
                }
                for (std::int64_t c = 0; c < intensity.shape().c; ++c)
                    totals[l][std::size_t(c)] += (long double)(iv.row(z, y, c)[x * iv.strides[2]]);
            }
        }
    }
    LabelStatistics result;
    for (auto& [l, r] : regions) {
        for (std::size_t a = 0; a < 3; ++a)
            r.centroid[a] = double(sums[l][a]) / double(r.voxel_count);
        for (const long double total : totals[l])
            r.mean_intensity.push_back(double(total) / double(r.voxel_count));  // total is exact
        result.regions.push_back(r);
    }
    return result;
}

TEST(LabelStatistics, MatchVoxelByVoxelDefinition) {
    // Runs of every length, touching both row ends and the eight-voxel background skips,
    // negative labels (background), strided views and several channels.
    std::mt19937 rng(11);
    auto check = [&](auto label_tag, auto intensity_tag, const Shape& shape, int step) {
        using L = decltype(label_tag);
        using T = decltype(intensity_tag);
        std::vector<std::int64_t> values(std::size_t(shape.z * shape.y * shape.x));
        std::int64_t current = 0;
        for (std::size_t i = 0; i < values.size(); ++i) {
            const int draw = int(rng() % 100);
            if (draw < 12)
                current = 0;  // background stretches
            else if (draw < 20)
                current = std::int64_t(rng() % 40) + 1;
            else if (draw < 22 && std::is_signed_v<L>)
                current = -std::int64_t(rng() % 3) - 1;
            values[i] = current;
        }
        const Volume labels = make_volume<L>(shape, [&](auto z, auto y, auto x, auto) {
            return values[std::size_t((z * shape.y + y) * shape.x + x)];
        });
        const Volume intensity =
            make_volume<T>({shape.z, shape.y, shape.x, 2}, [&](auto z, auto y, auto x, auto c) {
                if constexpr (std::is_floating_point_v<T>) {
                    return T(std::sin(double(z * 31 + y * 7 + x + c)) * 1000.0);
                } else {
                    return std::numeric_limits<T>::max() - T((z * 5 + y * 3 + x + c * 7) % 50);
                }
            });
        const Volume lv = labels.step(1, 1, step), ivol = intensity.step(1, 1, step);
        const LabelStatistics ours = label_statistics(lv, ivol);
        const LabelStatistics expected = reference_statistics<L, T>(lv, ivol);
        ASSERT_EQ(ours.regions.size(), expected.regions.size());
        for (std::size_t i = 0; i < ours.regions.size(); ++i) {
            const RegionStats& a = ours.regions[i];
            const RegionStats& b = expected.regions[i];
            EXPECT_EQ(a.label, b.label);
            EXPECT_EQ(a.voxel_count, b.voxel_count) << a.label;
            EXPECT_EQ(a.centroid, b.centroid) << a.label;
            EXPECT_EQ(a.bbox, b.bbox) << a.label;
            ASSERT_EQ(a.mean_intensity.size(), 2u);
            for (std::size_t c = 0; c < 2; ++c) {
                if (std::is_floating_point_v<T>) {
                    EXPECT_NEAR(a.mean_intensity[c], b.mean_intensity[c],
                                1e-6 * std::abs(b.mean_intensity[c]) + 1e-9);
                } else {
                    EXPECT_EQ(a.mean_intensity[c], b.mean_intensity[c]) << a.label;
                }
            }
        }
    };
    for (int step : {1, 2}) {
        check(std::uint8_t{}, std::uint16_t{}, {5, 7, 37, 1}, step);
        check(std::int16_t{}, std::uint32_t{}, {3, 4, 131, 1}, step);
        check(std::int32_t{}, std::int8_t{}, {9, 5, 16, 1}, step);
        check(std::uint32_t{}, float{}, {4, 6, 70, 1}, step);
        check(std::int32_t{}, double{}, {2, 3, 203, 1}, step);
        // Tables small beside the labels: four slabs, merged.
        check(std::uint16_t{}, std::uint16_t{}, {24, 16, 64, 1}, step);
        check(std::int32_t{}, float{}, {9, 40, 50, 1}, step);
    }
}

TEST(LabelStatistics, SparseLabelsAndLimits) {
    // Label values far above the voxel count are ranked instead of indexing tables directly.
    const std::vector<std::int32_t> values{0, 2000000000, 2000000000, 7, 0, 123456789, 7, -5};
    Volume labels = make_volume<std::int32_t>(
        {2, 2, 2, 1}, [&](auto z, auto y, auto x, auto) { return values[(z * 2 + y) * 2 + x]; });
    const Volume intensity = make_volume<std::uint16_t>(
        {2, 2, 2, 1}, [](auto z, auto y, auto x, auto) { return 100 * z + 10 * y + x; });
    const LabelStatistics ours = label_statistics(labels, intensity);
    const LabelStatistics expected =
        reference_statistics<std::int32_t, std::uint16_t>(labels, intensity);
    ASSERT_EQ(ours.regions.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(ours.regions[i].label, expected.regions[i].label);
        EXPECT_EQ(ours.regions[i].voxel_count, expected.regions[i].voxel_count);
        EXPECT_EQ(ours.regions[i].centroid, expected.regions[i].centroid);
        EXPECT_EQ(ours.regions[i].bbox, expected.regions[i].bbox);
        EXPECT_EQ(ours.regions[i].mean_intensity, expected.regions[i].mean_intensity);
    }
    EXPECT_EQ(ours.regions[2].label, 2000000000);
    // Labels RegionStats cannot hold, and dense tables above the memory limit.
    const Volume huge = make_line(std::vector<std::uint32_t>{0, 3000000000u});
    VOX_EXPECT_THROW_MSG(label_statistics(huge), LimitError,
                         "label_statistics: label 3000000000 is above 2147483647");
    const std::int64_t limit = memory_limit();
    set_memory_limit(1 << 20);
    const Volume many = make_line(std::vector<std::int32_t>{60000, 1});
    EXPECT_THROW(label_statistics(many), LimitError);
    set_memory_limit(limit);
}

}  // namespace
}  // namespace vox
