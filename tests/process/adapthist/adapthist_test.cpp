// Unit tests of equalize_adapthist on small synthetic volumes.
#include "vox/adapthist.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.h"
#include "vox/parallel.h"

namespace vox {
namespace {

Volume ramp_u16(const Shape& shape) {
    return test::make_volume<std::uint16_t>(shape, [](auto z, auto y, auto x, auto c) {
        return (z * 977 + y * 131 + x * 17 + c * 5000) % 60000;
    });
}

TEST(Adapthist, RejectsBadParameters) {
    const Volume v = ramp_u16({4, 8, 8, 1});
    VOX_EXPECT_THROW_MSG(equalize_adapthist(v, 2, 1.5), ValueError,
                         "equalize_adapthist: clip_limit must be in [0, 1], got 1.5");
    VOX_EXPECT_THROW_MSG(equalize_adapthist(v, 2, -0.01), ValueError,
                         "equalize_adapthist: clip_limit must be in [0, 1], got -0.01");
    VOX_EXPECT_THROW_MSG(equalize_adapthist(v, 2, std::nan("")), ValueError,
                         "equalize_adapthist: clip_limit must be in [0, 1], got nan");
    VOX_EXPECT_THROW_MSG(equalize_adapthist(v, KernelSize{2, 0, 3}), ValueError,
                         "equalize_adapthist: kernel_size must be >= 1 along every axis, got 0 "
                         "along y");
    VOX_EXPECT_THROW_MSG(equalize_adapthist(v, -1), ValueError,
                         "equalize_adapthist: kernel_size must be >= 1 along every axis, got -1 "
                         "along z");
    VOX_EXPECT_THROW_MSG(equalize_adapthist(v, 2, 0.01, 0), ValueError,
                         "equalize_adapthist: nbins must be >= 1, got 0");
    // skimage takes any nbins, so the tiles' mappings are checked against the limit first.
    const test::ScopedMemoryLimit limit(1 << 20);
    EXPECT_THROW(equalize_adapthist(v, 2, 0.01, 100000), LimitError);
    EXPECT_EQ(equalize_adapthist(v, 2, 0.01, 1000).shape(), v.shape());
}

TEST(Adapthist, OutputTypeShapeRangeAndSpacing) {
    Volume v = ramp_u16({5, 12, 10, 2});
    v.set_spacing({{2.0, 0.5, 0.5}, "µm", true});
    const Volume out = equalize_adapthist(v, KernelSize{2, 4, 3});
    EXPECT_EQ(out.pixel_type(), PixelType::f64);
    EXPECT_EQ(out.shape(), v.shape());
    EXPECT_EQ(out.spacing(), v.spacing());
    double lo = 1, hi = 0;
    for (double value : test::values_of(out.channel(0))) {
        lo = std::min(lo, value);
        hi = std::max(hi, value);
    }
    EXPECT_EQ(lo, 0.0);
    EXPECT_EQ(hi, 1.0);

    const Volume f32 = test::make_volume<float>(
        {3, 6, 7, 1}, [](auto z, auto y, auto x, auto) { return float((z + y * x) % 11) / 11.0f; });
    EXPECT_EQ(equalize_adapthist(f32, 2).pixel_type(), PixelType::f32);
}

TEST(Adapthist, FloatOutsideUnitRangeIsRejectedAsImgAsUint) {
    const Volume f = test::make_volume<double>(
        {2, 3, 3, 1}, [](auto, auto, auto x, auto) { return double(x) * 2.0; });
    EXPECT_THROW(equalize_adapthist(f, 1), ValueError);
}

TEST(Adapthist, ChannelsAreIndependent) {
    const Volume v = ramp_u16({6, 9, 11, 3});
    const Volume all = equalize_adapthist(v, KernelSize{2, 3, 4}, 0.05, 64);
    for (std::int64_t c = 0; c < 3; ++c) {
        const Volume one = equalize_adapthist(v.channel(c), KernelSize{2, 3, 4}, 0.05, 64);
        EXPECT_EQ(test::values_of(all.channel(c)), test::values_of(one)) << c;
    }
}

TEST(Adapthist, StridedViewsGiveTheSameResult) {
    const Volume v = ramp_u16({12, 18, 22, 2});
    const Volume view = v.step(2, 1, 2).channel(1);
    const Volume a = equalize_adapthist(view, KernelSize{2, 5, 3});
    const Volume b = equalize_adapthist(view.copy(), KernelSize{2, 5, 3});
    EXPECT_EQ(test::values_of(a), test::values_of(b));
}

TEST(Adapthist, IndependentOfThreadCount) {
    const Volume v = ramp_u16({16, 33, 40, 1});
    const Volume many = equalize_adapthist(v, KernelSize{3, 5, 6});
    set_thread_count(1);
    const Volume one = equalize_adapthist(v, KernelSize{3, 5, 6});
    set_thread_count(0);
    EXPECT_EQ(test::values_of(many), test::values_of(one));
}

TEST(Adapthist, SingleTileIsMonotoneInTheInput) {
    // With one tile (kernel = extents) every voxel uses the same mapping, a cumulative
    // histogram: brighter input never gives darker output.
    const Volume v = test::make_volume<std::uint16_t>(
        {4, 8, 8, 1},
        [](auto z, auto y, auto x, auto) { return (z * 64 + y * 8 + x) * 97 % 4001; });
    const Volume out = equalize_adapthist(v, KernelSize{4, 8, 8}, 1.0);
    const std::vector<double> in = test::values_of(v), eq = test::values_of(out);
    for (std::size_t i = 0; i < in.size(); ++i)
        for (std::size_t j = 0; j < in.size(); ++j)
            if (in[i] < in[j]) {
                ASSERT_LE(eq[i], eq[j]) << i << " " << j;
            }
}

TEST(Adapthist, ConstantVolumeStaysConstant) {
    const Volume v = test::make_volume<std::uint16_t>({3, 4, 5, 1}, [](auto...) { return 1234; });
    const std::vector<double> eq = test::values_of(equalize_adapthist(v, 2));
    for (double value : eq)
        EXPECT_EQ(value, eq[0]);
}

TEST(Adapthist, DefaultKernelSize) {
    const Volume v = Volume::allocate({60, 256, 7, 1}, PixelType::u8);
    EXPECT_EQ(default_kernel_size(v), (KernelSize{7, 32, 1}));
}

TEST(Adapthist, KernelSizeInPhysicalUnits) {
    Volume v = Volume::allocate({4, 4, 4, 1}, PixelType::u8);
    VOX_EXPECT_THROW_MSG(kernel_size_physical(v, {1, 1, 1}), ValueError,
                         "kernel_size_physical: the volume's spacing is unknown");
    v.set_spacing({{0.29, 0.26, 0.26}, "µm", true});
    EXPECT_EQ(kernel_size_physical(v, {2.6, 2.6, 0.1}), (KernelSize{9, 10, 1}));
    VOX_EXPECT_THROW_MSG(kernel_size_physical(v, {2.6, -1, 1}), ValueError,
                         "kernel_size_physical: the size along y must be a positive number, "
                         "got -1");
}

TEST(Adapthist, IntegerKernelMeansEveryAxis) {
    const Volume v = ramp_u16({7, 9, 10, 1});
    EXPECT_EQ(test::values_of(equalize_adapthist(v, 3, 0.02, 32)),
              test::values_of(equalize_adapthist(v, KernelSize{3, 3, 3}, 0.02, 32)));
}

}  // namespace
}  // namespace vox
