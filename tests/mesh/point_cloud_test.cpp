// Tests of shell_points (include/vox/point_cloud.h): hand-made volumes with known shells,
// and random volumes beside a direct voxel-by-voxel reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "test_util.h"
#include "vox/error.h"
#include "vox/point_cloud.h"

namespace {

using vox::PointCloud;
using vox::ShellOptions;
using vox::Volume;
using Point = std::array<float, 3>;
using Points = vox::MeshArray<Point>;

ShellOptions range(double lower, double upper) {
    ShellOptions options;
    options.lower = lower;
    options.upper = upper;
    return options;
}

// The shell by definition: a mask voxel with one of its 6 neighbours outside the mask or
// the volume, visited in (x, y, z) order, scaled as the header says.
Points reference_shell(const Volume& volume, double lower, double upper, double scale_xy,
                       double scale_z) {
    const vox::Shape& shape = volume.shape();
    auto in = [&](std::int64_t z, std::int64_t y, std::int64_t x) {
        if (z < 0 || y < 0 || x < 0 || z >= shape.z || y >= shape.y || x >= shape.x) return false;
        const double value = volume.value_at(z, y, x, 0);
        return lower <= value && value <= upper;
    };
    Points points;
    for (std::int64_t x = 0; x < shape.x; ++x)
        for (std::int64_t y = 0; y < shape.y; ++y)
            for (std::int64_t z = 0; z < shape.z; ++z)
                if (in(z, y, x) && !(in(z, y, x - 1) && in(z, y, x + 1) && in(z, y - 1, x) &&
                                     in(z, y + 1, x) && in(z - 1, y, x) && in(z + 1, y, x)))
                    points.push_back({float(double(x) * scale_xy), float(double(y) * scale_xy),
                                      float(double(z) * scale_z)});
    return points;
}

Volume box(const vox::Shape& shape) {
    return vox::test::make_volume<std::uint8_t>(shape, [](auto, auto, auto, auto) { return 1; });
}

TEST(ShellPoints, SolidBoxGivesEverySurfaceVoxel) {
    const PointCloud cloud = vox::shell_points(box({3, 4, 5, 1}), range(1, 1));
    EXPECT_EQ(cloud.size(), std::size_t(3 * 4 * 5 - 1 * 2 * 3));
    EXPECT_EQ(cloud.positions, reference_shell(box({3, 4, 5, 1}), 1, 1, 1, 1));
    EXPECT_TRUE(cloud.normals.empty());
    EXPECT_TRUE(cloud.colors.empty());
}

TEST(ShellPoints, HoleAddsItsSixNeighbours) {
    const Volume volume = vox::test::make_volume<std::uint8_t>(
        {5, 5, 5, 1},
        [](auto z, auto y, auto x, auto) { return z == 2 && y == 2 && x == 2 ? 0 : 9; });
    const PointCloud cloud = vox::shell_points(volume, range(5, 10));
    EXPECT_EQ(cloud.size(), std::size_t(125 - 27 + 6));
    const Points expected = reference_shell(volume, 5, 10, 1, 1);
    EXPECT_EQ(cloud.positions, expected);
    EXPECT_NE(std::find(expected.begin(), expected.end(), Point{2, 2, 1}), expected.end());
    EXPECT_EQ(std::find(expected.begin(), expected.end(), Point{2, 2, 2}), expected.end());
}

TEST(ShellPoints, SingleVoxelAtItsPhysicalPosition) {
    Volume volume = vox::test::make_volume<std::uint16_t>(
        {4, 5, 6, 1},
        [](auto z, auto y, auto x, auto) { return z == 3 && y == 1 && x == 4 ? 700 : 0; });
    volume.set_spacing({{2.0, 0.5, 0.25}, "mm", true});
    const PointCloud cloud = vox::shell_points(volume, range(500, 1000));
    ASSERT_EQ(cloud.size(), 1u);
    EXPECT_EQ(cloud.positions[0], (Point{1.0f, 0.5f, 6.0f}));
    EXPECT_EQ(cloud.unit, "mm");
}

TEST(ShellPoints, MaskFillingThinVolumeIsAllShell) {
    // One plane: every voxel is exposed to the missing planes before and after it.
    EXPECT_EQ(vox::shell_points(box({1, 70, 130, 1}), range(0, 255)).size(), 70u * 130u);
    // Across word boundaries (x = 63, 64, 127, 128) the in-plane neighbours still count.
    const PointCloud thick = vox::shell_points(box({3, 3, 130, 1}), range(1, 1));
    EXPECT_EQ(thick.size(), std::size_t(3 * 3 * 130 - 1 * 1 * 128));
}

TEST(ShellPoints, AnisotropicSpacingScalesEachAxis) {
    Volume volume = box({3, 4, 5, 1});
    volume.set_spacing({{3.0, 0.5, 0.5}, "µm", true});
    const PointCloud cloud = vox::shell_points(volume, range(1, 1));
    EXPECT_EQ(cloud.positions, reference_shell(volume, 1, 1, 0.5, 3.0));
    EXPECT_EQ(cloud.unit, "µm");
    // Unknown spacing: the placeholder ones, and no unit.
    EXPECT_EQ(vox::shell_points(box({2, 2, 2, 1}), range(1, 1)).unit, "");
}

TEST(ShellPoints, ExplicitThicknessAndScaleDropTheUnit) {
    Volume volume = box({3, 4, 5, 1});
    volume.set_spacing({{3.0, 0.5, 0.5}, "mm", true});
    ShellOptions options = range(1, 1);
    options.slice_thickness = 0.2;
    options.xy_scale = 1.5;
    const PointCloud cloud = vox::shell_points(volume, options);
    EXPECT_EQ(cloud.positions, reference_shell(volume, 1, 1, 1.5, 0.2));
    EXPECT_EQ(cloud.unit, "");
    options.xy_scale.reset();
    EXPECT_EQ(vox::shell_points(volume, options).positions,
              reference_shell(volume, 1, 1, 0.5, 0.2));
}

TEST(ShellPoints, ResizeIsBilinearWithHalfPixelCentres) {
    // One row 0, 100 resized to 4 columns samples at -0.25, 0.25, 0.75, 1.25 (clamped):
    // 0, 25, 75, 100.
    Volume volume = vox::test::make_volume<std::uint8_t>(
        {1, 1, 2, 1}, [](auto, auto, auto x, auto) { return x == 0 ? 0 : 100; });
    volume.set_spacing({{1.0, 1.0, 2.0}, "mm", true});
    ShellOptions options = range(20, 80);
    options.resize = std::array<std::int64_t, 2>{1, 4};
    const PointCloud cloud = vox::shell_points(volume, options);
    // Default scale: spacing times old / new extent (x: 2 * 2 / 4).
    EXPECT_EQ(cloud.positions, (Points{{1, 0, 0}, {2, 0, 0}}));
    EXPECT_EQ(cloud.unit, "mm");
    // Integer volumes hold the rounded sample, as cv2.resize on u8: exactly 25 here.
    options.lower = options.upper = 25;
    EXPECT_EQ(vox::shell_points(volume, options).size(), 1u);
    // Downsampling a box keeps the box.
    ShellOptions down = range(1, 1);
    down.resize = std::array<std::int64_t, 2>{4, 5};
    const PointCloud small = vox::shell_points(box({3, 8, 10, 1}), down);
    EXPECT_EQ(small.positions, reference_shell(box({3, 4, 5, 1}), 1, 1, 2, 1));
}

TEST(ShellPoints, ErrorsNameTheProblem) {
    const Volume two_channels = vox::test::make_volume<std::uint8_t>(
        {2, 2, 2, 2}, [](auto, auto, auto, auto) { return 1; });
    VOX_EXPECT_THROW_MSG(vox::shell_points(two_channels, range(0, 1)), vox::ValueError,
                         "shell_points: the volume has 2 channels: choose one");
    const Volume volume = box({2, 2, 2, 1});
    VOX_EXPECT_THROW_MSG(vox::shell_points(volume, range(5, 1)), vox::ValueError,
                         "shell_points: the range 5:1 is empty (lower > upper)");
    VOX_EXPECT_THROW_MSG(vox::shell_points(volume, range(std::nan(""), 1)), vox::ValueError,
                         "shell_points: the range nan:1 is empty (lower > upper)");
    ShellOptions options = range(0, 1);
    options.resize = std::array<std::int64_t, 2>{0, 3};
    VOX_EXPECT_THROW_MSG(vox::shell_points(volume, options), vox::ValueError,
                         "shell_points: resize extent 0x3 is not positive");
    options = range(0, 1);
    options.slice_thickness = -0.5;
    VOX_EXPECT_THROW_MSG(vox::shell_points(volume, options), vox::ValueError,
                         "shell_points: slice thickness -0.5 is not positive");
    options = range(0, 1);
    options.slice_thickness = 1e300;  // every z coordinate inf
    VOX_EXPECT_THROW_MSG(vox::shell_points(volume, options), vox::ValueError,
                         "shell_points: a plane distance of 1e+300 does not fit 32-bit float "
                         "coordinates");
    options = range(0, 1);
    options.xy_scale = 1e-300;  // every x and y 0
    VOX_EXPECT_THROW_MSG(vox::shell_points(volume, options), vox::ValueError,
                         "shell_points: a row distance of 1e-300 does not fit 32-bit float "
                         "coordinates");
    options = range(0, 1);
    options.xy_scale = 0.0;
    VOX_EXPECT_THROW_MSG(vox::shell_points(volume, options), vox::ValueError,
                         "shell_points: xy scale 0 is not positive");
}

TEST(ShellPoints, ResizesAndCloudsBeyondTheMemoryLimitAreRefused) {
    const Volume volume = box({4, 4, 4, 1});
    ShellOptions options = range(1, 1);
    options.resize = std::array<std::int64_t, 2>{4000, 4000};
    {
        // Masks of 4 planes of 4000 x 4000 bits: 2 x 8 MB.
        const vox::test::ScopedMemoryLimit limit(10 << 20);
        VOX_EXPECT_THROW_MSG(vox::shell_points(volume, options), vox::LimitError,
                             "the shell of 4 planes of 4000x4000 needs 15.4 MiB, over the memory "
                             "limit of 10.0 MiB");
    }
    {
        // The masks fit, but the shell has 4 planes of about 16 million points.
        const vox::test::ScopedMemoryLimit limit(100 << 20);
        try {
            vox::shell_points(volume, options);
            ADD_FAILURE() << "a point cloud over the limit was made";
        } catch (const vox::LimitError& error) {
            EXPECT_TRUE(std::string(error.what()).starts_with("a point cloud of ")) << error.what();
        }
    }
}

TEST(ShellPoints, EmptyMaskAndEmptyVolume) {
    EXPECT_TRUE(vox::shell_points(box({3, 3, 3, 1}), range(2, 9)).empty());
    EXPECT_TRUE(vox::shell_points(box({3, 3, 3, 1}), range(0.2, 0.8)).empty());
    EXPECT_TRUE(vox::shell_points(Volume(), range(0, 1)).empty());
}

// Random blobs over several word and block boundaries (x 70..140, z > 64), sorted output.
template <typename T>
Volume random_volume(unsigned seed) {
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> value(0, 9);
    return vox::test::make_volume<T>({67, 9, 131, 1}, [&](auto z, auto y, auto x, auto) {
        // Mostly smooth, some noise: both big regions and lone voxels.
        const int base = (z / 7 + y / 3 + x / 11) % 3 == 0 ? 2 : 7;
        return T(value(random) == 0 ? value(random) : base);
    });
}

template <typename T>
class ShellPointsTyped : public ::testing::Test {};
using PixelTypes = ::testing::Types<std::uint8_t, std::int8_t, std::uint16_t, std::int16_t,
                                    std::uint32_t, std::int32_t, float, double>;
TYPED_TEST_SUITE(ShellPointsTyped, PixelTypes);

TYPED_TEST(ShellPointsTyped, MatchesTheDefinitionInSortedOrder) {
    const Volume volume = random_volume<TypeParam>(7);
    const PointCloud cloud = vox::shell_points(volume, range(5, 8));
    const Points expected = reference_shell(volume, 5, 8, 1, 1);
    ASSERT_GT(expected.size(), 1000u);
    EXPECT_EQ(cloud.positions, expected);
    EXPECT_TRUE(std::is_sorted(cloud.positions.begin(), cloud.positions.end()));
    EXPECT_EQ(std::adjacent_find(cloud.positions.begin(), cloud.positions.end()),
              cloud.positions.end());
}

TEST(ShellPoints, FloatBoundsAndNotANumber) {
    // NaN is in no range; float bounds are compared in the volume's type, as cv2.inRange.
    const Volume volume = vox::test::make_line<float>(
        {0.1f, std::numeric_limits<float>::quiet_NaN(), 0.3f, -0.5f, 0.1f});
    const PointCloud cloud = vox::shell_points(volume, range(0.0, 0.1));
    EXPECT_EQ(cloud.positions, (Points{{0, 0, 0}, {4, 0, 0}}));
}

TEST(ShellPoints, StridedViewsGiveTheSameShell) {
    const Volume volume = random_volume<std::uint8_t>(3);
    const Volume stepped = volume.step(2, 1, 3);
    const Volume packed = stepped.copy();
    EXPECT_EQ(vox::shell_points(stepped, range(5, 8)).positions,
              vox::shell_points(packed, range(5, 8)).positions);
}

}  // namespace
