// Unit tests of the geometry operations on small synthetic volumes.
#include "vox/geometry.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string>

#include "test_util.h"
#include "vox/parallel.h"

namespace vox {
namespace {

using test::make_volume;
using test::values_of;
using Extents3 = std::array<std::int64_t, 3>;

Volume ramp(const Shape& shape) {
    return make_volume<std::uint16_t>(
        shape, [](auto z, auto y, auto x, auto c) { return 1000 * c + 100 * z + 10 * y + x; });
}

Affine diagonal_affine() {
    return {2.0, 0.0, 0.0, 10.0, 0.0, 3.0, 0.0, 20.0, 0.0, 0.0, 4.0, 30.0, 0.0, 0.0, 0.0, 1.0};
}

TEST(Resize, RejectsBadParameters) {
    const Volume volume = ramp({4, 4, 4, 1});
    VOX_EXPECT_THROW_MSG(resize(volume, {0, 50, 50}), ValueError,
                         "output shape must be positive, got 0x50x50");
    ResizeOptions options;
    options.order = 2;
    VOX_EXPECT_THROW_MSG(resize(volume, {2, 2, 2}, options), ValueError,
                         "order must be 0, 1 or 3, got 2");
    VOX_EXPECT_THROW_MSG(rescale(volume, {0.0, 1.0, 1.0}), ValueError,
                         "scale factors must be > 0, got 0, 1, 1");
    VOX_EXPECT_THROW_MSG(resample_isotropic(volume, 5), ValueError,
                         "order must be 0, 1 or 3, got 5");
    VOX_EXPECT_THROW_MSG(
        parse_resize_mode("wrap"), ValueError,
        "unknown resize mode 'wrap': expected reflect, symmetric, edge or constant");
}

TEST(Resize, SameShapeIsImgAsFloat) {
    const Volume volume = ramp({3, 4, 5, 2});
    const Volume result = resize(volume, {3, 4, 5});
    ASSERT_EQ(result.pixel_type(), PixelType::f64);
    const auto expected = values_of(volume);
    const auto actual = values_of(result);
    for (std::size_t i = 0; i < expected.size(); ++i)
        EXPECT_DOUBLE_EQ(actual[i], expected[i] / 65535.0);
}

TEST(Resize, LinearUpsamplingOfALine) {
    // scipy.ndimage.zoom([1, 2, 3, 4], 1.5, order=1, mode='mirror', grid_mode=True).
    const Volume line = test::make_line<double>({1, 2, 3, 4});
    ResizeOptions options;
    const Volume result = resize(line, {1, 1, 6}, options);
    const std::vector<double> expected{7.0 / 6, 1.5, 13.0 / 6, 17.0 / 6, 3.5, 23.0 / 6};
    const auto actual = values_of(result);
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
        EXPECT_NEAR(actual[i], expected[i], 1e-12);
    // With zeros past the border zoom gives 5/6, which skimage's clip raises to the input's
    // minimum (0 is outside [1, 4] and absent from the output, so it is not preserved).
    options.mode = ResizeMode::constant;
    EXPECT_EQ(values_of(resize(line, {1, 1, 6}, options))[0], 1.0);
    options.clip = false;
    EXPECT_NEAR(values_of(resize(line, {1, 1, 6}, options))[0], 5.0 / 6, 1e-12);
    options.order = 0;
    EXPECT_EQ(values_of(resize(line, {1, 1, 6}, options)), (std::vector<double>{1, 2, 2, 3, 4, 4}));
}

TEST(Resize, CubicWithEdgeAndConstantBordersPrepadsLikeScipy) {
    // skimage.transform.resize([[[0, 1, 4, 2]]], (1, 1, 7), order=3, mode=...,
    // anti_aliasing=False): scipy pads 12 voxels (edge copies or zeros) before the prefilter.
    const Volume line = test::make_line<double>({0, 1, 4, 2});
    ResizeOptions options;
    options.order = 3;
    options.anti_aliasing = false;
    options.mode = ResizeMode::edge;
    const std::vector<double> edge{0.0, 0.06066874111561943, 0.8084727690642367, 2.8014428414850134,
                                   4.0, 2.876786968101822,   1.754125181105633};
    const auto edge_actual = values_of(resize(line, {1, 1, 7}, options));
    ASSERT_EQ(edge_actual.size(), edge.size());
    for (std::size_t i = 0; i < edge.size(); ++i)
        EXPECT_NEAR(edge_actual[i], edge[i], 1e-12);
    options.mode = ResizeMode::constant;
    const std::vector<double> constant{
        0.0, 0.0717335465091994, 0.8141950582443617, 2.747595264191644,
        4.0, 3.0917877933276414, 1.395984296702628};
    const auto constant_actual = values_of(resize(line, {1, 1, 7}, options));
    ASSERT_EQ(constant_actual.size(), constant.size());
    for (std::size_t i = 0; i < constant.size(); ++i)
        EXPECT_NEAR(constant_actual[i], constant[i], 1e-12);
}

TEST(Resize, ConstantBorderWidensTheClipRangeToZero) {
    // resize([[[0.5, 4, 0.5, 4, 4]]], (1, 1, 11), order=3, mode='constant',
    // anti_aliasing=False): the spline reaches -0.0897, so skimage's _clip_warp_output clips
    // to [min(0.5, 0), 4] and that voxel becomes 0, not the input minimum 0.5.
    const Volume line = test::make_line<double>({0.5, 4, 0.5, 4, 4});
    ResizeOptions options;
    options.order = 3;
    options.anti_aliasing = false;
    options.mode = ResizeMode::constant;
    const auto actual = values_of(resize(line, {1, 1, 11}, options));
    ASSERT_EQ(actual.size(), 11u);
    EXPECT_EQ(actual[0], 0.0);
    EXPECT_NEAR(actual[1], 1.2209088047183665, 1e-12);
    EXPECT_EQ(actual[8], 4.0);
    EXPECT_NEAR(actual[10], 2.914899958943371, 1e-12);
}

TEST(Resize, CubicEdgeKeepsAConstantVolumeAndConstantFadesToZero) {
    const Volume flat =
        make_volume<double>({3, 4, 5, 1}, [](auto, auto, auto, auto) { return 7.0; });
    ResizeOptions options;
    options.order = 3;
    options.mode = ResizeMode::edge;
    for (double v : values_of(resize(flat, {5, 3, 9}, options)))
        EXPECT_NEAR(v, 7.0, 1e-12);
    // resize(np.full((3, 4, 5), 7.0), (5, 3, 9), order=3, mode='constant', clip=False).
    options.mode = ResizeMode::constant;
    options.clip = false;
    const auto actual = values_of(resize(flat, {5, 3, 9}, options));
    EXPECT_NEAR(actual[0], 5.172647680894752, 1e-12);
    EXPECT_NEAR(actual[1], 7.027790158126073, 1e-12);
    EXPECT_NEAR(actual[2], 6.491358145943511, 1e-12);
}

TEST(Resize, Order0KeepsTheType) {
    const Volume volume = ramp({4, 4, 4, 1});
    ResizeOptions options;
    options.order = 0;
    options.anti_aliasing = false;
    const Volume result = resize(volume, {2, 2, 2}, options);
    EXPECT_EQ(result.pixel_type(), PixelType::u16);
    // Output voxel k samples input floor((k + 0.5) * 2 - 0.5 + 0.5) = 2k + 1.
    EXPECT_EQ(result.value_at(1, 0, 1), 300 + 10 + 3);
}

TEST(Resize, UpdatesSpacingAndAffine) {
    Volume volume = ramp({4, 6, 8, 1});
    volume.set_spacing({{1.0, 2.0, 3.0}, "mm", true});
    volume.set_affine(diagonal_affine());
    const Volume result = resize(volume, {2, 3, 16});
    EXPECT_EQ(result.spacing().zyx, (std::array<double, 3>{2.0, 4.0, 1.5}));
    EXPECT_EQ(result.spacing().unit, "mm");
    const Affine& a = *result.affine();
    // x: factor 0.5, voxel 0 at input -0.25: 10 + 2 * -0.25.
    EXPECT_DOUBLE_EQ(a[0], 1.0);
    EXPECT_DOUBLE_EQ(a[3], 9.5);
    // z: factor 2, voxel 0 at input 0.5.
    EXPECT_DOUBLE_EQ(a[10], 8.0);
    EXPECT_DOUBLE_EQ(a[11], 32.0);
}

TEST(Resize, FloatInputStaysFloat32AndChannelsAreIndependent) {
    const Volume volume = make_volume<float>({4, 4, 4, 2}, [](auto z, auto y, auto x, auto c) {
        return c == 0 ? 1.0 : float(z + y + x);
    });
    const Volume result = resize(volume, {2, 3, 5});
    EXPECT_EQ(result.pixel_type(), PixelType::f32);
    EXPECT_EQ(result.shape(), (Shape{2, 3, 5, 2}));
    for (std::int64_t z = 0; z < 2; ++z)
        for (std::int64_t y = 0; y < 3; ++y)
            for (std::int64_t x = 0; x < 5; ++x)
                EXPECT_FLOAT_EQ(result.value_at(z, y, x, 0), 1.0f);
}

TEST(Resize, NonContiguousInputAndThreadCountGiveTheSameResult) {
    const Volume volume = ramp({9, 10, 12, 1});
    const Volume view = volume.step(1, 1, 2);
    // Order 3 (full passes) and order 1 on both of its schedules: z first (z shrinks) and
    // planes first (z grows).
    for (const auto& [order, shape] :
         {std::pair{3, Extents3{5, 7, 4}}, std::pair{1, Extents3{5, 7, 4}},
          std::pair{1, Extents3{20, 7, 4}}, std::pair{3, Extents3{20, 7, 4}}}) {
        SCOPED_TRACE(order);
        ResizeOptions options;
        options.order = order;
        const auto from_view = values_of(resize(view, shape, options));
        const auto from_copy = values_of(resize(view.copy(), shape, options));
        EXPECT_EQ(from_view, from_copy);
        set_thread_count(1);
        const auto single = values_of(resize(view.copy(), shape, options));
        set_thread_count(0);
        EXPECT_EQ(single, from_copy);
    }
}

TEST(Resize, CubicAlongZOfASingleColumn) {
    // skimage.transform.resize(np.array([3, 10, 0, 7, 5], np.uint8).reshape(5, 1, 1),
    // (9, 1, 1), order=3): one voxel per plane, the z pass has a single line.
    const Volume column = make_volume<std::uint8_t>({5, 1, 1, 1}, [](auto z, auto, auto, auto) {
        return std::array{3, 10, 0, 7, 5}[z];
    });
    ResizeOptions options;
    options.order = 3;
    const std::vector<double> expected{1.54549611e-02, 1.93173566e-02, 3.87907152e-02,
                                       2.33465128e-02, 7.63831060e-19, 1.22918852e-02,
                                       2.87312730e-02, 2.29484386e-02, 2.12754512e-02};
    const auto actual = values_of(resize(column, {9, 1, 1}, options));
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
        EXPECT_NEAR(actual[i], expected[i], 1e-9);
}

TEST(Resize, IntegerOrder0SmoothedGivesTheSameFromAViewAndAnyThreadCount) {
    // Integer order 0 with anti-aliasing smooths only the sampled planes, rows and voxels.
    const Volume volume =
        make_volume<std::uint16_t>({19, 23, 41, 2}, [](auto z, auto y, auto x, auto c) {
            return std::uint16_t((z * 977 + y * 131 + x * 17 + c * 5000) % 4001);
        });
    const Volume view = volume.step(1, 1, 2);
    ResizeOptions options;
    options.order = 0;
    for (const ResizeMode mode : {ResizeMode::reflect, ResizeMode::constant, ResizeMode::edge}) {
        options.mode = mode;
        const auto from_view = values_of(resize(view, {7, 9, 6}, options));
        const auto from_copy = values_of(resize(view.copy(), {7, 9, 6}, options));
        EXPECT_EQ(from_view, from_copy);
        set_thread_count(1);
        EXPECT_EQ(values_of(resize(view.copy(), {7, 9, 6}, options)), from_copy);
        set_thread_count(0);
    }
}

TEST(Rescale, RoundsExtentsHalfToEven) {
    const Volume volume = ramp({5, 3, 7, 1});
    const Volume result = rescale(volume, {0.5, 0.5, 0.1});
    EXPECT_EQ(result.shape(), (Shape{2, 2, 1, 1}));
}

TEST(ResampleIsotropic, UsesTheSmallestSpacing) {
    Volume volume = ramp({4, 6, 6, 1});
    volume.set_spacing({{0.9, 0.3, 0.3}, "µm", true});
    const Volume result = resample_isotropic(volume, 1);
    EXPECT_EQ(result.shape(), (Shape{12, 6, 6, 1}));
    EXPECT_NEAR(result.spacing().zyx[0], 0.3, 1e-12);
    EXPECT_NEAR(result.spacing().zyx[2], 0.3, 1e-12);
    EXPECT_EQ(result.pixel_type(), PixelType::f64);
}

TEST(Crop, CopiesAndMovesTheOrigin) {
    Volume volume = ramp({4, 5, 6, 1});
    volume.set_affine(diagonal_affine());
    const Volume result = crop(volume, Box{{1, 2, 3}, {3, 4, 6}});
    EXPECT_TRUE(result.is_contiguous());
    EXPECT_FALSE(result.shares_memory_with(volume));
    EXPECT_EQ(result.value_at(0, 0, 0), 123);
    EXPECT_DOUBLE_EQ((*result.affine())[3], 16.0);
    EXPECT_THROW(crop(volume, Box{{0, 0, 0}, {5, 1, 1}}), ValueError);
}

TEST(Flip, ReversesOneAxis) {
    Volume volume = ramp({2, 3, 4, 2});
    volume.set_affine(diagonal_affine());
    const Volume result = flip(volume, Axis::y);
    EXPECT_EQ(result.value_at(1, 0, 3, 1), 1000 + 100 + 20 + 3);
    const Affine& a = *result.affine();
    EXPECT_DOUBLE_EQ(a[5], -3.0);
    EXPECT_DOUBLE_EQ(a[7], 26.0);
    EXPECT_EQ(values_of(flip(result, Axis::y)), values_of(volume));
}

TEST(Flip, EveryAxisVoxelForVoxelFromAStridedView) {
    const Volume volume = ramp({5, 6, 14, 2}).step(1, 1, 2);  // x stride 2 in the source
    const Shape& s = volume.shape();
    for (const Axis axis : {Axis::z, Axis::y, Axis::x}) {
        const Volume result = flip(volume, axis);
        ASSERT_EQ(result.shape(), s);
        for (std::int64_t c = 0; c < s.c; ++c)
            for (std::int64_t z = 0; z < s.z; ++z)
                for (std::int64_t y = 0; y < s.y; ++y)
                    for (std::int64_t x = 0; x < s.x; ++x) {
                        const std::int64_t sz = axis == Axis::z ? s.z - 1 - z : z;
                        const std::int64_t sy = axis == Axis::y ? s.y - 1 - y : y;
                        const std::int64_t sx = axis == Axis::x ? s.x - 1 - x : x;
                        ASSERT_EQ(result.value_at(z, y, x, c), volume.value_at(sz, sy, sx, c));
                    }
    }
}

TEST(PermuteAxes, TransposesVoxelsSpacingAndAffine) {
    Volume volume = ramp({2, 3, 4, 1});
    volume.set_spacing({{1.0, 2.0, 3.0}, "mm", true});
    volume.set_affine(diagonal_affine());
    const Volume result = permute_axes(volume, {2, 0, 1});
    EXPECT_EQ(result.shape(), (Shape{4, 2, 3, 1}));
    EXPECT_EQ(result.value_at(3, 1, 2), 100 + 20 + 3);
    EXPECT_EQ(result.spacing().zyx, (std::array<double, 3>{3.0, 1.0, 2.0}));
    // New x is old y: column 0 of the new affine is the old column 1.
    const Affine& a = *result.affine();
    EXPECT_DOUBLE_EQ(a[0 * 4 + 0], 0.0);
    EXPECT_DOUBLE_EQ(a[1 * 4 + 0], 3.0);
    EXPECT_DOUBLE_EQ(a[0 * 4 + 2], 2.0);
    VOX_EXPECT_THROW_MSG(permute_axes(volume, {0, 0, 1}), ValueError,
                         "axis order must be a permutation of 0, 1, 2, got 0, 0, 1");
}

template <typename T>
void expect_every_permutation_voxel_for_voxel(const Volume& volume) {
    SCOPED_TRACE(std::string(pixel_type_name(volume.pixel_type())));
    const Shape& s = volume.shape();
    const std::array<std::int64_t, 3> in{s.z, s.y, s.x};
    for (const std::array<int, 3> order :
         {std::array{0, 1, 2}, std::array{0, 2, 1}, std::array{1, 0, 2}, std::array{1, 2, 0},
          std::array{2, 0, 1}, std::array{2, 1, 0}}) {
        SCOPED_TRACE(std::to_string(order[0]) + std::to_string(order[1]) +
                     std::to_string(order[2]));
        const Volume result = permute_axes(volume, order);
        ASSERT_EQ(result.shape(), (Shape{in[std::size_t(order[0])], in[std::size_t(order[1])],
                                         in[std::size_t(order[2])], s.c}));
        const auto view = result.view<T>();
        for (std::int64_t c = 0; c < s.c; ++c)
            for (std::int64_t z = 0; z < result.shape().z; ++z)
                for (std::int64_t y = 0; y < result.shape().y; ++y)
                    for (std::int64_t x = 0; x < result.shape().x; ++x) {
                        std::array<std::int64_t, 3> source{};
                        source[std::size_t(order[0])] = z;
                        source[std::size_t(order[1])] = y;
                        source[std::size_t(order[2])] = x;
                        ASSERT_EQ(double(view(z, y, x, c)),
                                  volume.value_at(source[0], source[1], source[2], c))
                            << z << " " << y << " " << x << " " << c;
                    }
    }
}

TEST(PermuteAxes, EveryOrderVoxelForVoxelAcrossTiles) {
    // Extents that are not multiples of the tiles (a cache line of voxels by 64), two
    // channels, and a strided view.
    const auto value = [](auto z, auto y, auto x, auto c) {
        return (z * 7919 + y * 131 + x * 3 + c) % 251;
    };
    expect_every_permutation_voxel_for_voxel<std::uint8_t>(
        make_volume<std::uint8_t>({37, 70, 131, 2}, value));
    expect_every_permutation_voxel_for_voxel<std::uint16_t>(
        make_volume<std::uint16_t>({33, 9, 65, 1}, value));
    expect_every_permutation_voxel_for_voxel<double>(
        make_volume<double>({11, 17, 70, 2}, value).step(1, 2, 1));
}

TEST(Pad, ModesMatchNumpy) {
    const Volume line = test::make_line<std::int16_t>({1, 2, 3});
    const std::array<std::array<std::int64_t, 2>, 3> widths{{{0, 0}, {0, 0}, {2, 3}}};
    EXPECT_EQ(values_of(pad(line, widths, PadMode::constant, 7)),
              (std::vector<double>{7, 7, 1, 2, 3, 7, 7, 7}));
    EXPECT_EQ(values_of(pad(line, widths, PadMode::edge)),
              (std::vector<double>{1, 1, 1, 2, 3, 3, 3, 3}));
    EXPECT_EQ(values_of(pad(line, widths, PadMode::reflect)),
              (std::vector<double>{3, 2, 1, 2, 3, 2, 1, 2}));
    Volume volume = ramp({2, 2, 2, 1});
    volume.set_spacing({{1.0, 2.0, 3.0}, "mm", true});
    volume.set_affine(diagonal_affine());
    const Volume padded = pad(volume, {{{1, 0}, {0, 2}, {3, 1}}});
    EXPECT_EQ(padded.shape(), (Shape{3, 4, 6, 1}));
    EXPECT_EQ(padded.spacing(), volume.spacing());
    EXPECT_EQ(padded.value_at(1, 1, 4), 11);
    EXPECT_DOUBLE_EQ((*padded.affine())[3], 4.0);
    EXPECT_DOUBLE_EQ((*padded.affine())[11], 26.0);
    VOX_EXPECT_THROW_MSG(pad(volume, {{{-1, 0}, {0, 0}, {0, 0}}}), ValueError,
                         "pad widths must be >= 0, got (-1, 0), (0, 0), (0, 0)");
    // Values the pixel type cannot hold (numpy would wrap or cast them).
    const Volume u16 = test::make_line<std::uint16_t>({1, 2});
    VOX_EXPECT_THROW_MSG(pad(u16, widths, PadMode::constant, -3), ValueError,
                         "pad value -3 is not a u16 value (an integer in [0, 65535])");
    EXPECT_THROW(pad(u16, widths, PadMode::constant, 65536), ValueError);
    EXPECT_THROW(pad(u16, widths, PadMode::constant, 2.5), ValueError);
    EXPECT_EQ(values_of(pad(u16, widths, PadMode::constant, 65535)).front(), 65535.0);
    const Volume f32 = test::make_line<float>({1.5f});
    VOX_EXPECT_THROW_MSG(pad(f32, widths, PadMode::constant, 1e300), ValueError,
                         "pad value 1e+300 is beyond the f32 range");
    EXPECT_EQ(values_of(pad(f32, widths, PadMode::constant, -2.25)).front(), -2.25);
    VOX_EXPECT_THROW_MSG(parse_pad_mode("wrap"), ValueError,
                         "unknown pad mode 'wrap': expected constant, edge or reflect");
}

// numpy.pad's source index along one axis, or -1 for the constant.
std::int64_t numpy_pad_index(std::int64_t i, std::int64_t n, PadMode mode) {
    if (i >= 0 && i < n) return i;
    if (mode == PadMode::constant) return -1;
    if (mode == PadMode::edge) return i < 0 ? 0 : n - 1;
    if (n == 1) return 0;
    const std::int64_t period = 2 * (n - 1);  // reflect: mirrored about the end voxels
    const std::int64_t k = (i < 0 ? -i : i) % period;
    return k < n ? k : period - k;
}

TEST(Pad, EveryModeVoxelForVoxel) {
    // Widths wider than the volume (reflect folds more than once), two channels, a strided
    // view, rows of one voxel.
    const auto value = [](auto z, auto y, auto x, auto c) { return (z * 31 + y * 7 + x + c) % 97; };
    const std::array<std::array<std::int64_t, 2>, 3> widths{{{2, 0}, {1, 5}, {9, 3}}};
    const Volume volumes[] = {make_volume<std::uint16_t>({3, 4, 6, 2}, value),
                              make_volume<float>({4, 3, 11, 1}, value).step(1, 1, 2),
                              make_volume<std::int8_t>({2, 2, 1, 1}, value)};
    for (const Volume& volume : volumes) {
        const Shape in = volume.shape();
        for (const PadMode mode : {PadMode::constant, PadMode::edge, PadMode::reflect}) {
            const Volume padded = pad(volume, widths, mode, 5);
            const Shape out = padded.shape();
            ASSERT_EQ(out, (Shape{in.z + 2, in.y + 6, in.x + 12, in.c}));
            for (std::int64_t c = 0; c < out.c; ++c)
                for (std::int64_t z = 0; z < out.z; ++z)
                    for (std::int64_t y = 0; y < out.y; ++y)
                        for (std::int64_t x = 0; x < out.x; ++x) {
                            const std::int64_t sz = numpy_pad_index(z - 2, in.z, mode);
                            const std::int64_t sy = numpy_pad_index(y - 1, in.y, mode);
                            const std::int64_t sx = numpy_pad_index(x - 9, in.x, mode);
                            const double expected =
                                sz < 0 || sy < 0 || sx < 0 ? 5.0 : volume.value_at(sz, sy, sx, c);
                            ASSERT_EQ(padded.value_at(z, y, x, c), expected)
                                << int(mode) << " " << z << " " << y << " " << x << " " << c;
                        }
        }
    }
}

TEST(BlockMean, AveragesWithZeroPaddingAtTheEnd) {
    const Volume line = test::make_line<std::uint8_t>({1, 2, 3, 4, 5});
    const Volume result = block_mean(line, {1, 1, 2});
    EXPECT_EQ(result.pixel_type(), PixelType::f64);
    EXPECT_EQ(values_of(result), (std::vector<double>{1.5, 3.5, 2.5}));
    Volume volume = ramp({4, 4, 4, 2});
    volume.set_spacing({{1.0, 2.0, 3.0}, "mm", true});
    volume.set_affine(diagonal_affine());
    const Volume blocks = block_mean(volume, {2, 2, 4});
    EXPECT_EQ(blocks.shape(), (Shape{2, 2, 1, 2}));
    EXPECT_DOUBLE_EQ(blocks.value_at(1, 0, 0, 1), 1000 + 250 + 5 + 1.5);
    EXPECT_EQ(blocks.spacing().zyx, (std::array<double, 3>{2.0, 4.0, 12.0}));
    EXPECT_DOUBLE_EQ((*blocks.affine())[3], 13.0);
    EXPECT_EQ(block_mean(make_volume<float>({2, 2, 2, 1}, [](auto...) { return 1.0; }), {2, 2, 2})
                  .pixel_type(),
              PixelType::f32);
    VOX_EXPECT_THROW_MSG(block_mean(volume, {0, 2, 2}), ValueError,
                         "block factors must be >= 1, got 0, 2, 2");
}

TEST(BlockMean, FactorsFarBeyondTheVolumeGiveOneBlock) {
    // One block of 10^18 voxels (skimage pads to it and runs out of memory): the sum of the
    // 5 voxels over the whole block, without walking its padding (it took minutes) or
    // overflowing the block's size or the padded extent.
    const Volume line = test::make_line<std::uint8_t>({1, 2, 3, 4, 5});
    const std::int64_t huge = 1000000;
    const Volume one = block_mean(line, {huge, huge, huge}, 2.0);
    EXPECT_EQ(one.shape(), (Shape{1, 1, 1, 1}));
    EXPECT_EQ(values_of(one), (std::vector<double>{(15 + (1e18 - 5) * 2.0) / 1e18}));
    const std::int64_t largest = std::numeric_limits<std::int64_t>::max();
    const Volume widest = block_mean(line, {1, 1, largest});
    EXPECT_EQ(widest.shape(), (Shape{1, 1, 1, 1}));
    EXPECT_EQ(values_of(widest), (std::vector<double>{15 / double(largest)}));
}

}  // namespace
}  // namespace vox
