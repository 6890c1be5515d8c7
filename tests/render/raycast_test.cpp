// The renderer against analytic answers: silhouette areas, Beer-Lambert compositing,
// where a marker voxel lands under the documented camera conventions, round spheres with
// anisotropic spacing, clip planes and crop boxes. Orthographic MIP, MinIP, average and
// DVR frames take the shear-warp path automatically; the last tests compare it with the
// ray caster.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "test_util.h"
#include "vox/error.h"
#include "vox/parallel.h"
#include "vox/volume_render.h"

namespace {

using vox::Image;
using vox::RenderMode;
using vox::RenderOptions;
using vox::Volume;

// A u16 volume of `shape` (z, y, x) whose voxel (z, y, x) holds f(z, y, x).
template <typename F>
Volume make_volume(std::int64_t nz, std::int64_t ny, std::int64_t nx, F&& f,
                   std::array<double, 3> spacing = {1.0, 1.0, 1.0}) {
    Volume volume = Volume::allocate({nz, ny, nx, 1}, vox::PixelType::u16);
    auto view = volume.mutable_view<std::uint16_t>();
    for (std::int64_t z = 0; z < nz; ++z)
        for (std::int64_t y = 0; y < ny; ++y)
            for (std::int64_t x = 0; x < nx; ++x)
                view(z, y, x) = std::uint16_t(f(z, y, x));
    vox::Spacing physical;
    physical.zyx = spacing;
    physical.unit = "mm";
    physical.known = true;
    volume.set_spacing(physical);
    return volume;
}

// Gray from 0 to `high`.
std::vector<vox::ResolvedChannel> gray(double high) {
    vox::ResolvedChannel channel;
    channel.colormap = &vox::colormap("gray");
    channel.low = 0.0;
    channel.high = high;
    return {channel};
}

// A sphere of `radius` (in the spacing's unit) at the volume's centre, 1000 inside, with a
// linear ramp `edge` coarsest voxels wide across the surface, so that trilinear
// interpolation along every axis puts the 500 level on it.
Volume sphere(std::int64_t nz, std::int64_t ny, std::int64_t nx, double radius,
              std::array<double, 3> spacing = {1.0, 1.0, 1.0}, double edge = 1.0) {
    const double coarsest = edge * std::max({spacing[0], spacing[1], spacing[2]});
    return make_volume(
        nz, ny, nx,
        [&](std::int64_t z, std::int64_t y, std::int64_t x) {
            const double dz = (double(z) - double(nz - 1) / 2.0) * spacing[0];
            const double dy = (double(y) - double(ny - 1) / 2.0) * spacing[1];
            const double dx = (double(x) - double(nx - 1) / 2.0) * spacing[2];
            const double inside = (radius - std::sqrt(dx * dx + dy * dy + dz * dz)) / coarsest;
            return std::clamp(500.0 + 1000.0 * inside, 0.0, 1000.0);
        },
        spacing);
}

std::int64_t count_at_least(const Image& image, int level) {
    std::int64_t count = 0;
    for (std::int64_t i = 0; i < image.width * image.height; ++i)
        count += image.rgba[std::size_t(4 * i)] >= level;
    return count;
}

// The bounding box (columns, rows) of pixels at least `level` in red.
std::array<std::int64_t, 4> extent_of(const Image& image, int level) {
    std::array<std::int64_t, 4> box{image.width, image.height, -1, -1};
    for (std::int64_t y = 0; y < image.height; ++y) {
        for (std::int64_t x = 0; x < image.width; ++x) {
            if (image.pixel(x, y)[0] < level) continue;
            box = {std::min(box[0], x), std::min(box[1], y), std::max(box[2], x),
                   std::max(box[3], y)};
        }
    }
    return box;
}

// The pixel size of an orthographic render at zoom 1 (header convention).
double pixel_size(const Volume& volume, std::int64_t size) {
    const auto& s = volume.spacing().zyx;
    const auto& shape = volume.shape();
    const double diagonal =
        std::hypot(double(shape.x) * s[2], double(shape.y) * s[1], double(shape.z) * s[0]);
    return diagonal / double(size);
}

TEST(Raycast, SphereMipSilhouetteHasTheExpectedArea) {
    const double radius = 20.0;
    const Volume volume = sphere(64, 64, 64, radius);
    RenderOptions options;
    options.width = options.height = 256;
    const double pixel = pixel_size(volume, 256);
    const double expected = std::numbers::pi * radius * radius / (pixel * pixel);
    for (const auto& [azimuth, elevation] : {std::pair{320.0, 30.0}, {0.0, 0.0}, {45.0, 80.0}}) {
        options.camera.azimuth = azimuth;
        options.camera.elevation = elevation;
        const Image image = vox::render_volume(volume, gray(1000.0), options);
        EXPECT_NEAR(double(count_at_least(image, 128)), expected, 0.02 * expected)
            << azimuth << "/" << elevation;
    }
}

TEST(Raycast, IsosurfaceSilhouetteAndShading) {
    const double radius = 20.0;
    const Volume volume = sphere(64, 64, 64, radius);
    RenderOptions options;
    options.width = options.height = 256;
    options.mode = RenderMode::isosurface;
    options.iso_levels = {500.0};
    const Image image = vox::render_volume(volume, gray(1000.0), options);
    const double pixel = pixel_size(volume, 256);
    const double expected = std::numbers::pi * radius * radius / (pixel * pixel);
    std::int64_t hit = 0;
    for (std::int64_t i = 0; i < image.width * image.height; ++i)
        hit += image.rgba[std::size_t(4 * i)] > 0;
    EXPECT_NEAR(double(hit), expected, 0.02 * expected);
    // Facing the headlight at the centre, grazing at the rim: brighter in the middle.
    const int centre = image.pixel(128, 128)[0];
    const auto rim = double(radius * 0.95 / pixel);
    EXPECT_GT(centre, 240);
    EXPECT_LT(image.pixel(128 + std::int64_t(rim), 128)[0], centre - 60);
}

TEST(Raycast, UniformSlabCompositesToBeerLambert) {
    // Rays along +Y (the front view) cross 101 voxels: the sample box [0, 100] is 100 long.
    const Volume volume = make_volume(9, 101, 9, [](auto, auto, auto) { return 1000; });
    RenderOptions options;
    options.width = options.height = 64;
    options.camera = vox::named_camera("front");
    options.camera.zoom = 8.0;  // the middle of the slab fills the image
    options.mode = RenderMode::dvr;
    vox::TransferFunction transfer = vox::parse_transfer_function("points:0,0.02;1,0.02");
    transfer.opacity_unit = 1.0;
    for (const double distance : {0.5, 0.25, 1.0}) {
        options.sample_distance = distance;
        options.transfer = {transfer};
        const Image image = vox::render_volume(volume, gray(1000.0), options);
        const double alpha = 1.0 - std::pow(1.0 - 0.02, 100.0);
        // White over black: the red channel is the accumulated opacity.
        EXPECT_NEAR(image.pixel(32, 32)[0] / 255.0, alpha, 0.01 * alpha) << distance;
    }
}

// Where the header's conventions put voxel (z, y, x) on a W x H orthographic image.
std::array<double, 2> predicted_pixel(const Volume& volume, const vox::Camera& camera,
                                      std::int64_t size, std::array<std::int64_t, 3> voxel) {
    const auto& s = volume.spacing().zyx;
    const auto& shape = volume.shape();
    const double X = (double(voxel[2]) - double(shape.x - 1) / 2.0) * s[2];
    const double Y = (double(voxel[1]) - double(shape.y - 1) / 2.0) * s[1];
    const double Z = (double(voxel[0]) - double(shape.z - 1) / 2.0) * s[0];
    const double az = camera.azimuth * std::numbers::pi / 180.0;
    const double el = camera.elevation * std::numbers::pi / 180.0;
    const std::array<double, 3> d{std::cos(el) * std::cos(az), std::cos(el) * std::sin(az),
                                  std::sin(el)};
    const std::array<double, 3> right{-std::sin(az), std::cos(az), 0.0};
    const std::array<double, 3> up{d[1] * right[2] - d[2] * right[1],
                                   d[2] * right[0] - d[0] * right[2],
                                   d[0] * right[1] - d[1] * right[0]};
    const double pixel = pixel_size(volume, size) / camera.zoom;
    const double u = X * right[0] + Y * right[1] + Z * right[2];
    const double v = X * up[0] + Y * up[1] + Z * up[2];
    return {double(size) / 2.0 + u / pixel - 0.5, double(size) / 2.0 - v / pixel - 0.5};
}

std::array<std::int64_t, 2> brightest(const Image& image) {
    std::array<std::int64_t, 2> best{0, 0};
    int value = -1;
    for (std::int64_t y = 0; y < image.height; ++y) {
        for (std::int64_t x = 0; x < image.width; ++x) {
            if (image.pixel(x, y)[0] > value) {
                value = image.pixel(x, y)[0];
                best = {x, y};
            }
        }
    }
    return best;
}

TEST(Raycast, MarkerVoxelLandsWhereTheConventionsSay) {
    const std::array<std::int64_t, 3> marker{5, 20, 27};
    const Volume volume =
        make_volume(24, 33, 40,
                    [&](std::int64_t z, std::int64_t y, std::int64_t x) {
                        return z == marker[0] && y == marker[1] && x == marker[2] ? 1000 : 0;
                    },
                    {2.0, 1.0, 0.5});
    RenderOptions options;
    options.width = options.height = 160;
    options.sample_distance = 0.25;
    for (const auto& [azimuth, elevation] : {std::pair{320.0, 30.0},
                                             {0.0, 0.0},
                                             {-90.0, 0.0},
                                             {90.0, 45.0},
                                             {200.0, -60.0},
                                             {-90.0, 90.0}}) {
        options.camera.azimuth = azimuth;
        options.camera.elevation = elevation;
        const Image image = vox::render_volume(volume, gray(1000.0), options);
        const auto expected = predicted_pixel(volume, options.camera, 160, marker);
        const auto found = brightest(image);
        EXPECT_NEAR(double(found[0]), expected[0], 1.0) << azimuth << "/" << elevation;
        EXPECT_NEAR(double(found[1]), expected[1], 1.0) << azimuth << "/" << elevation;
    }
}

TEST(Raycast, NamedViewsAndFlips) {
    // front: X right, Z up. A marker at high x and high z lands top right.
    const Volume volume = make_volume(16, 16, 16, [](std::int64_t z, std::int64_t, std::int64_t x) {
        return z == 13 && x == 13 ? 1000 : 0;
    });
    RenderOptions options;
    options.width = options.height = 64;
    options.camera = vox::named_camera("front");
    auto found = brightest(vox::render_volume(volume, gray(1000.0), options));
    EXPECT_GT(found[0], 32);
    EXPECT_LT(found[1], 32);
    // Flipping x mirrors it to the left.
    options.flip_xyz = {true, false, false};
    found = brightest(vox::render_volume(volume, gray(1000.0), options));
    EXPECT_LT(found[0], 32);
    EXPECT_LT(found[1], 32);
    VOX_EXPECT_THROW_MSG(vox::named_camera("diagonal"), vox::ValueError,
                         "unknown view 'diagonal': use front, back, side, top, bottom or tutorial");
}

TEST(Raycast, PerspectiveMarkerAndCentre) {
    const Volume volume =
        make_volume(17, 17, 17, [](std::int64_t z, std::int64_t y, std::int64_t x) {
            return z == 8 && y == 8 && x == 8 ? 1000 : 0;
        });
    RenderOptions options;
    options.width = options.height = 65;
    options.camera.projection = vox::ProjectionKind::perspective;
    options.sample_distance = 0.25;
    // The centre voxel is on the optical axis at any angle.
    for (const double azimuth : {0.0, 130.0, 320.0}) {
        options.camera.azimuth = azimuth;
        const auto found = brightest(vox::render_volume(volume, gray(1000.0), options));
        EXPECT_EQ(found[0], 32);
        EXPECT_EQ(found[1], 32);
    }
}

TEST(Raycast, AnisotropicSphereRendersRound) {
    // 12 mm radius sampled at 2 mm in z and 0.5 mm in y and x.
    const Volume volume = sphere(16, 64, 64, 12.0, {2.0, 0.5, 0.5});
    RenderOptions options;
    options.width = options.height = 200;
    for (const char* view : {"front", "side", "top", "tutorial"}) {
        options.camera = vox::named_camera(view);
        const auto box = extent_of(vox::render_volume(volume, gray(1000.0), options), 128);
        const double width = double(box[2] - box[0] + 1);
        const double height = double(box[3] - box[1] + 1);
        const double expected = 2.0 * 12.0 / pixel_size(volume, 200);
        EXPECT_NEAR(width, height, 2.0) << view;
        EXPECT_NEAR(width, expected, 2.0) << view;
    }
}

TEST(Raycast, ClipPlaneRemovesExactlyItsHalfSpace) {
    const Volume volume = make_volume(32, 32, 32, [](auto, auto, auto) { return 1000; });
    RenderOptions options;
    options.width = options.height = 128;
    options.camera = vox::named_camera("top");  // X right, Y up
    options.camera.zoom = 1.5;
    // The tutorial's diagonal cut: remove X + Y > 0.
    options.clip_planes = {vox::ClipPlane{{0.0, 0.0, 0.0}, {1.0, 1.0, 0.0}}};
    const Image image = vox::render_volume(volume, gray(1000.0), options);
    const double pixel = pixel_size(volume, 128) / 1.5;
    const double half_box = 15.5 / pixel;  // voxel centres span [-15.5, 15.5]
    for (std::int64_t y = 0; y < 128; ++y) {
        for (std::int64_t x = 0; x < 128; ++x) {
            const double u = double(x) + 0.5 - 64.0;  // X in pixels
            const double v = 64.0 - double(y) - 0.5;  // Y in pixels
            if (std::abs(u) > half_box - 1 || std::abs(v) > half_box - 1) continue;
            const double side = (u + v) / std::sqrt(2.0);
            if (side > 1.0) {
                EXPECT_EQ(image.pixel(x, y)[0], 0) << x << "," << y;
            } else if (side < -1.0) {
                EXPECT_EQ(image.pixel(x, y)[0], 255) << x << "," << y;
            }
        }
    }
}

TEST(Raycast, CropBoxKeepsOnlyItsVoxels) {
    const Volume volume = make_volume(20, 20, 20, [](auto, auto, auto) { return 1000; });
    RenderOptions options;
    options.width = options.height = 100;
    options.camera = vox::named_camera("top");
    options.crop = std::array<std::array<std::int64_t, 3>, 2>{{{0, 0, 0}, {20, 20, 10}}};
    const Image image = vox::render_volume(volume, gray(1000.0), options);
    // x < 10 only: the left half of the box.
    EXPECT_EQ(image.pixel(40, 50)[0], 255);
    EXPECT_EQ(image.pixel(60, 50)[0], 0);
}

TEST(Raycast, TransparentBackgroundAndModes) {
    const Volume volume = make_volume(8, 8, 8, [](auto z, auto, auto) { return 100 * z; });
    RenderOptions options;
    options.width = options.height = 32;
    options.background = {0, 0, 0, 0};
    const Image image = vox::render_volume(volume, gray(700.0), options);
    EXPECT_EQ(image.pixel(0, 0)[3], 0);      // outside the box
    EXPECT_EQ(image.pixel(16, 16)[3], 255);  // MIP inside is opaque
    // Front view: rays along +Y see one z all the way, so MIP, MinIP and the average agree
    // with the value at the pixel's height: z = 3.5 - 0.5 pixel for the pixel below centre.
    options.camera = vox::named_camera("front");
    const double z = 3.5 - 0.5 * pixel_size(volume, 32);
    const int expected = vox::colormap("gray").at(100.0 * z / 700.0)[0];
    for (const RenderMode mode : {RenderMode::mip, RenderMode::minip, RenderMode::average}) {
        options.mode = mode;
        EXPECT_EQ(vox::render_volume(volume, gray(700.0), options).pixel(16, 16)[0], expected);
    }
}

TEST(Raycast, BoxOutlineAndAxisLabels) {
    // An empty volume seen from the top: only the box (X right, Y up) and its labels show.
    const Volume volume = make_volume(8, 40, 40, [](auto, auto, auto) { return 0; });
    RenderOptions options;
    options.width = options.height = 128;
    options.camera = vox::named_camera("top");
    options.box_outline = true;
    const Image image = vox::render_volume(volume, gray(1.0), options);
    // The box's left edge (X = -20) is a vertical white line.
    const double pixel = pixel_size(volume, 128);
    const auto left = std::int64_t(std::floor(64.0 - 20.0 / pixel));
    int white = 0;
    for (std::int64_t y = 50; y < 78; ++y)
        white += std::max({image.pixel(left, y)[0], image.pixel(left - 1, y)[0]}) > 100;
    EXPECT_GE(white, 26);
    // "x" in red near the far end of the x edge (bottom right), "y" in green (top left).
    auto count = [&](int channel, std::int64_t x0, std::int64_t y0) {
        int hits = 0;
        for (std::int64_t y = std::max<std::int64_t>(0, y0 - 14);
             y < std::min<std::int64_t>(128, y0 + 14); ++y)
            for (std::int64_t x = std::max<std::int64_t>(0, x0 - 14);
                 x < std::min<std::int64_t>(128, x0 + 14); ++x) {
                const std::uint8_t* p = image.pixel(x, y);
                hits += p[channel] > 150 && p[(channel + 1) % 3] < 140;
            }
        return hits;
    };
    const auto right = std::int64_t(64.0 + 20.0 / pixel);
    EXPECT_GT(count(0, right, 64 + std::int64_t(20.0 / pixel)), 3);
    EXPECT_GT(count(1, left, 64 - std::int64_t(20.0 / pixel)), 3);
}

TEST(Raycast, BadOptions) {
    const Volume volume = make_volume(4, 4, 4, [](auto, auto, auto) { return 1; });
    RenderOptions options;
    options.width = 0;
    VOX_EXPECT_THROW_MSG(vox::render_volume(volume, gray(1.0), options), vox::ValueError,
                         "the image size must be 1 to 16384 pixels a side, got 0x512");
    options.width = 16;
    options.sample_distance = 0.0;
    VOX_EXPECT_THROW_MSG(vox::render_volume(volume, gray(1.0), options), vox::ValueError,
                         "the sample distance must be at least 0.01 voxels, got 0");
    options.sample_distance = 1e-9;  // rays of billions of samples
    VOX_EXPECT_THROW_MSG(vox::render_volume(volume, gray(1.0), options), vox::ValueError,
                         "the sample distance must be at least 0.01 voxels, got 1e-09");
    options.sample_distance = 1.0;
    options.camera.azimuth = std::nan("");
    VOX_EXPECT_THROW_MSG(vox::render_volume(volume, gray(1.0), options), vox::ValueError,
                         "azimuth and roll must be finite degrees, got nan and 0");
    options.camera.azimuth = 0.0;
    options.camera.roll = HUGE_VAL;
    VOX_EXPECT_THROW_MSG(vox::render_volume(volume, gray(1.0), options), vox::ValueError,
                         "azimuth and roll must be finite degrees, got 0 and inf");
    options.camera.roll = 0.0;
    // Below 1e-6 the shear-warp frame's coordinates overflowed an int64 (UBSan, zoom 1e-20).
    for (const double zoom : {0.0, 1e-20, 2e6, double(HUGE_VAL), std::nan("")}) {
        options.camera.zoom = zoom;
        VOX_EXPECT_THROW_MSG(vox::render_volume(volume, gray(1.0), options), vox::ValueError,
                             fmt::format("zoom must be from 1e-06 to 1e+06, got {:g}", zoom));
    }
    for (const double zoom : {vox::kMinZoom, vox::kMaxZoom}) {
        options.camera.zoom = zoom;
        EXPECT_EQ(vox::render_volume(volume, gray(1.0), options).width, 16);
    }
    options.camera.zoom = 1.0;
    {
        const vox::test::ScopedMemoryLimit limit(1 << 20);
        options.width = options.height = 1000;
        VOX_EXPECT_THROW_MSG(vox::render_volume(volume, gray(1.0), options), vox::LimitError,
                             "a render of 1000x1000 pixels needs 19.1 MiB, over the memory limit "
                             "of 1.0 MiB");
        options.width = options.height = 16;
    }
    options.mode = RenderMode::isosurface;
    VOX_EXPECT_THROW_MSG(vox::render_volume(volume, gray(1.0), options), vox::ValueError,
                         "an isosurface needs a level");
    VOX_EXPECT_THROW_MSG(vox::parse_render_mode("xray"), vox::ValueError,
                         "unknown render mode 'xray': use mip, minip, average, dvr or iso");
    // f64 values beyond 32-bit floats, or a range below their normal numbers.
    for (const auto& [scale, text] :
         {std::pair{1e40, "values 0 to 3e+40"}, std::pair{1e-40, "values 0 to 3e-40"}}) {
        Volume wide = Volume::allocate({2, 2, 2, 1}, vox::PixelType::f64);
        wide.mutable_view<double>()(1, 1, 1) = 3.0 * scale;
        VOX_EXPECT_THROW_MSG(vox::render_volume(wide, gray(1.0), options), vox::ValueError,
                             std::string("channel 0: ") + text +
                                 " do not fit the renderer's 32-bit floats; rescale them first "
                                 "(process ... rescale:out=f32)");
    }
    VOX_EXPECT_THROW_MSG(vox::parse_transfer_function("linear:0.5:0.5"), vox::ValueError,
                         "transfer function 'linear:0.5:0.5': T0 must be below T1 (use step:T "
                         "for a sharp edge)");
    VOX_EXPECT_THROW_MSG(vox::parse_transfer_function("points:1,1;0,0"), vox::ValueError,
                         "transfer function 'points:1,1;0,0': the points' values T must "
                         "increase");
    VOX_EXPECT_THROW_MSG(vox::parse_transfer_function("linear:0.5:2"), vox::ValueError,
                         "transfer function 'linear:0.5:2': '2' is not a number in [0, 1]");
}

TEST(Raycast, TransferFunctions) {
    EXPECT_DOUBLE_EQ(vox::parse_transfer_function("ramp").opacity(0.3), 0.3);
    const auto linear = vox::parse_transfer_function("linear:0.2:0.6");
    EXPECT_DOUBLE_EQ(linear.opacity(0.1), 0.0);
    EXPECT_DOUBLE_EQ(linear.opacity(0.4), 0.5);
    EXPECT_DOUBLE_EQ(linear.opacity(0.9), 1.0);
    const auto step = vox::parse_transfer_function("step:0.5");
    EXPECT_DOUBLE_EQ(step.opacity(0.49), 0.0);
    EXPECT_DOUBLE_EQ(step.opacity(0.5), 1.0);
}

// The brick walk (empty-space skipping) must never skip the brick a lone marker is in,
// whatever the ray's direction: every octant, the axes and the poles. MIP starts at the
// display's low, so a background just below it is skipped from the first brick and must
// stay black, with the marker where it was.
TEST(Raycast, BrickWalkFindsALoneMarkerFromEveryDirection) {
    const auto marker = [](int background) {
        return make_volume(40, 40, 40, [=](std::int64_t z, std::int64_t y, std::int64_t x) {
            return z == 29 && y == 11 && x == 23 ? 1000 : background;
        });
    };
    const Volume zero = marker(0);
    const Volume below_low = marker(199);
    vox::ResolvedChannel channel = gray(1000.0).front();
    channel.low = 200.0;
    RenderOptions options;
    options.width = options.height = 128;
    const std::pair<double, double> views[] = {
        {0.0, 0.0},   {90.0, 0.0},    {180.0, 0.0},  {270.0, 0.0},   {-90.0, 90.0}, {-90.0, -90.0},
        {37.0, 23.0}, {143.0, -61.0}, {229.0, 47.0}, {311.0, -12.0}, {320.0, 30.0}};
    for (const RenderMode mode : {RenderMode::mip, RenderMode::isosurface}) {
        options.mode = mode;
        options.iso_levels = {300.0};
        for (const auto& [azimuth, elevation] : views) {
            options.camera.azimuth = azimuth;
            options.camera.elevation = elevation;
            const Image image = vox::render_volume(zero, {channel}, options);
            // Where the conventions put the marker: the marker is found there.
            const auto at = predicted_pixel(zero, options.camera, 128, {29, 11, 23});
            const auto found = brightest(image);
            EXPECT_NEAR(double(found[0]), at[0], 1.0) << azimuth << "/" << elevation;
            EXPECT_NEAR(double(found[1]), at[1], 1.0) << azimuth << "/" << elevation;
            EXPECT_GT(image.pixel(found[0], found[1])[0], 60) << azimuth << "/" << elevation;
            if (mode == RenderMode::mip) {
                // Background just below the display's low: all of it maps to black, the
                // marker (blended with a brighter background) is found at the same pixel.
                const Image skipped = vox::render_volume(below_low, {channel}, options);
                EXPECT_EQ(brightest(skipped), found) << azimuth << "/" << elevation;
                EXPECT_GE(skipped.pixel(found[0], found[1])[0], image.pixel(found[0], found[1])[0]);
                // Only the marker's neighbourhood is lit, not the box's thousands of pixels.
                EXPECT_LE(count_at_least(skipped, 1), 30) << azimuth << "/" << elevation;
            }
        }
    }
}

// A preview casts a quarter of the rays with twice the step and scales up: same size,
// same silhouette (within the half-resolution edge), same composited brightness.
TEST(Raycast, PreviewMatchesTheFullFrame) {
    const double radius = 20.0;
    const Volume volume = sphere(64, 64, 64, radius);
    RenderOptions options;
    options.width = options.height = 256;
    options.preview = true;
    const double pixel = pixel_size(volume, 256);
    const double expected = std::numbers::pi * radius * radius / (pixel * pixel);
    const Image preview = vox::render_volume(volume, gray(1000.0), options);
    ASSERT_EQ(preview.width, 256);
    ASSERT_EQ(preview.height, 256);
    EXPECT_NEAR(double(count_at_least(preview, 128)), expected, 0.03 * expected);
    EXPECT_EQ(preview.pixel(128, 128)[0], 255);
    EXPECT_EQ(preview.pixel(2, 2)[0], 0);
    // Not shifted: the silhouette's box matches the full frame's within a pixel.
    options.preview = false;
    const auto full_box = extent_of(vox::render_volume(volume, gray(1000.0), options), 128);
    const auto preview_box = extent_of(preview, 128);
    for (std::size_t i = 0; i < 4; ++i)
        EXPECT_NEAR(double(preview_box[i]), double(full_box[i]), 1.0) << i;

    // Beer-Lambert through a slab: the doubled step is opacity-corrected.
    const Volume slab = make_volume(9, 101, 9, [](auto, auto, auto) { return 1000; });
    options.width = 63;  // odd: the last column of rays serves one column of pixels
    options.height = 64;
    options.camera = vox::named_camera("front");
    options.camera.zoom = 8.0;
    options.mode = RenderMode::dvr;
    vox::TransferFunction transfer = vox::parse_transfer_function("points:0,0.02;1,0.02");
    transfer.opacity_unit = 1.0;
    options.transfer = {transfer};
    options.preview = true;
    const Image composited = vox::render_volume(slab, gray(1000.0), options);
    ASSERT_EQ(composited.width, 63);
    const double alpha = 1.0 - std::pow(1.0 - 0.02, 100.0);
    for (const std::int64_t x : {20, 31, 42})  // the slab spans about columns 9 to 53
        EXPECT_NEAR(composited.pixel(x, 32)[0] / 255.0, alpha, 0.01 * alpha) << x;
    EXPECT_EQ(composited.pixel(0, 32)[0], 0);
    EXPECT_EQ(composited.pixel(62, 32)[0], 0);
}

// Shear-warp (the automatic choice for orthographic MIP, MinIP, average and unshaded DVR)
// against the ray caster: the same pictures within a few grey levels.
struct Difference {
    double mean = 0.0;
    int p99 = 0;
};

// The differences of colour channel c (0..2) over all pixels.
Difference compare(const Image& a, const Image& b, std::size_t c) {
    std::vector<int> differences;
    for (std::size_t i = c; i < a.rgba.size(); i += 4)
        differences.push_back(std::abs(int(a.rgba[i]) - int(b.rgba[i])));
    Difference result;
    for (const int d : differences)
        result.mean += d;
    result.mean /= double(differences.size());
    std::sort(differences.begin(), differences.end());
    result.p99 = differences[differences.size() * 99 / 100];
    return result;
}

// A small cells-like scene as the bench's: soft bright balls over a noisy background
// below the display's low.
Volume small_cells() {
    const std::array<std::array<double, 4>, 5> cells{
        {{20, 30, 25, 9}, {40, 18, 40, 7}, {45, 45, 20, 10}, {15, 50, 50, 6}, {30, 30, 45, 8}}};
    return make_volume(64, 64, 64, [&](std::int64_t z, std::int64_t y, std::int64_t x) {
        double value =
            1000.0 + 5.0 * double(x) + double((x * 7919 + y * 104729 + z * 31) % 1024) - 512.0;
        for (const auto& c : cells) {
            const double d = std::sqrt(double((z - std::int64_t(c[0])) * (z - std::int64_t(c[0])) +
                                              (y - std::int64_t(c[1])) * (y - std::int64_t(c[1])) +
                                              (x - std::int64_t(c[2])) * (x - std::int64_t(c[2]))));
            value = std::max(value, 1000.0 + 12000.0 / (1.0 + std::exp((d - c[3]) / 1.2)));
        }
        return value;
    });
}

TEST(Raycast, ShearWarpMatchesTheRayCaster) {
    struct Case {
        const char* name;
        Volume volume;
        std::vector<vox::ResolvedChannel> display;
        std::vector<vox::ClipPlane> clips;
        std::int64_t size;  // pixels a side: about one voxel each (see RenderMethod)
    };
    std::vector<vox::ResolvedChannel> cells_display = gray(14000.0);
    cells_display.front().low = 2500.0;
    const std::vector<Case> cases{
        {"cells", small_cells(), cells_display, {}, 96},
        // A 3-voxel edge: with a 1-voxel one, both methods alias the surface in DVR (rings)
        // with different phases, up to 26 levels apart at the 99th percentile.
        {"sphere", sphere(48, 48, 48, 16.0, {1.0, 1.0, 1.0}, 3.0), gray(1000.0), {}, 80},
        {"anisotropic", sphere(16, 48, 48, 9.0, {2.0, 0.5, 0.5}), gray(1000.0), {}, 96},
        {"clipped",
         small_cells(),
         cells_display,
         {vox::ClipPlane{{0.0, 0.0, 0.0}, {1.0, 1.0, 0.0}}},
         96},
    };
    RenderOptions options;
    options.sample_distance = 0.5;
    int compared = 0;
    int different = 0;  // the two methods did run: their pictures are not identical
    for (const Case& c : cases) {
        options.clip_planes = c.clips;
        options.width = options.height = c.size;
        for (const RenderMode mode :
             {RenderMode::mip, RenderMode::minip, RenderMode::average, RenderMode::dvr}) {
            options.mode = mode;
            for (const auto& [azimuth, elevation] :
                 {std::pair{320.0, 30.0}, {0.0, 0.0}, {200.0, -60.0}, {-90.0, 90.0}}) {
                options.camera.azimuth = azimuth;
                options.camera.elevation = elevation;
                options.method = vox::RenderMethod::shear_warp;
                const Image warped = vox::render_volume(c.volume, c.display, options);
                options.method = vox::RenderMethod::ray_cast;
                const Image cast = vox::render_volume(c.volume, c.display, options);
                for (std::size_t channel = 0; channel < 3; ++channel) {
                    const Difference d = compare(warped, cast, channel);
                    EXPECT_LE(d.mean, 2.0) << c.name << " " << int(mode) << " " << azimuth;
                    EXPECT_LE(d.p99, 12) << c.name << " " << int(mode) << " " << azimuth;
                }
                different += warped.rgba != cast.rgba;
                ++compared;
            }
        }
    }
    EXPECT_EQ(compared, 64);
    EXPECT_GT(different, 32);
}

// Threads own bands of intermediate rows and of screen rows: one thread or all give the
// same bytes.
TEST(Raycast, ShearWarpDoesNotDependOnTheThreadCount) {
    const Volume volume = small_cells();
    std::vector<vox::ResolvedChannel> display = gray(14000.0);
    display.front().low = 2500.0;
    RenderOptions options;
    options.width = options.height = 120;
    options.method = vox::RenderMethod::shear_warp;
    options.clip_planes = {vox::ClipPlane{{3.0, 0.0, 0.0}, {1.0, 0.5, 0.2}}};
    for (const RenderMode mode : {RenderMode::mip, RenderMode::dvr}) {
        options.mode = mode;
        vox::set_thread_count(1);
        const Image one = vox::render_volume(volume, display, options);
        vox::set_thread_count(0);
        const Image all = vox::render_volume(volume, display, options);
        EXPECT_EQ(one.rgba, all.rgba) << int(mode);
        EXPECT_GT(count_at_least(all, 60), 500) << int(mode);
    }
}

// Cells as small_cells() in an odd-sized volume (no axis a multiple of 8), so that the
// x-major copy's edges and the bricks' partial cells are exercised.
Volume odd_cells() {
    const std::array<std::array<double, 4>, 4> cells{
        {{12, 30, 25, 8}, {25, 18, 40, 7}, {30, 45, 20, 9}, {10, 50, 45, 6}}};
    return make_volume(41, 59, 53, [&](std::int64_t z, std::int64_t y, std::int64_t x) {
        double value =
            1000.0 + 5.0 * double(x) + double((x * 7919 + y * 104729 + z * 31) % 1024) - 512.0;
        for (const auto& c : cells) {
            const double dz = double(z) - c[0];
            const double dy = double(y) - c[1];
            const double dx = double(x) - c[2];
            const double d = std::sqrt(dz * dz + dy * dy + dx * dx);
            value = std::max(value, 1000.0 + 12000.0 / (1.0 + std::exp((d - c[3]) / 1.2)));
        }
        return value;
    });
}

// Frames whose pixels are about 1.7 voxels (as the bench's 512^3 volume at 512 x 512) use
// an intermediate image coarser than the voxels: it still matches the ray caster, and the
// automatic choice takes it.
TEST(Raycast, ShearWarpMatchesTheRayCasterOnACoarseGrid) {
    struct Case {
        const char* name;
        Volume volume;
        std::vector<vox::ResolvedChannel> display;
        std::vector<vox::ClipPlane> clips;
    };
    std::vector<vox::ResolvedChannel> cells_display = gray(14000.0);
    cells_display.front().low = 2500.0;
    const std::vector<Case> cases{
        {"cells", small_cells(), cells_display, {}},
        {"odd", odd_cells(), cells_display, {}},
        {"anisotropic", sphere(16, 48, 48, 9.0, {2.0, 0.5, 0.5}, 3.0), gray(1000.0), {}},
        {"clipped", odd_cells(), cells_display, {vox::ClipPlane{{0.0, 0.0, 0.0}, {1.0, 1.0, 0.0}}}},
    };
    RenderOptions options;
    options.sample_distance = 0.7;  // planes between slices: both slices are blended
    int compared = 0;
    int different = 0;
    for (const Case& c : cases) {
        // 1.7 finest voxels a pixel.
        const double finest = std::min(
            {c.volume.spacing().zyx[0], c.volume.spacing().zyx[1], c.volume.spacing().zyx[2]});
        const auto size = std::int64_t(std::lround(pixel_size(c.volume, 1) / (1.7 * finest)));
        ASSERT_NEAR(pixel_size(c.volume, size) / finest, 1.7, 0.05) << c.name;
        options.width = options.height = size;
        options.clip_planes = c.clips;
        for (const RenderMode mode :
             {RenderMode::mip, RenderMode::minip, RenderMode::average, RenderMode::dvr}) {
            options.mode = mode;
            for (const auto& [azimuth, elevation] : {std::pair{320.0, 30.0},
                                                     {90.0, 10.0},
                                                     {0.0, 0.0},
                                                     {200.0, -60.0},
                                                     {-90.0, 90.0}}) {
                options.camera.azimuth = azimuth;
                options.camera.elevation = elevation;
                options.method = vox::RenderMethod::shear_warp;
                const Image warped = vox::render_volume(c.volume, c.display, options);
                options.method = vox::RenderMethod::automatic;
                const Image automatic = vox::render_volume(c.volume, c.display, options);
                options.method = vox::RenderMethod::ray_cast;
                const Image cast = vox::render_volume(c.volume, c.display, options);
                // (MinIP keeps the rays on a coarse grid: see shear_warp::preferred())
                EXPECT_EQ(automatic.rgba, mode == RenderMode::minip ? cast.rgba : warped.rgba)
                    << c.name << " " << int(mode);
                for (std::size_t channel = 0; mode != RenderMode::minip && channel < 3; ++channel) {
                    const Difference d = compare(warped, cast, channel);
                    EXPECT_LE(d.mean, 2.0) << c.name << " " << int(mode) << " " << azimuth;
                    // (22 at a clip plane's edge, which the coarse grid softens by a pixel)
                    EXPECT_LE(d.p99, 24) << c.name << " " << int(mode) << " " << azimuth;
                }
                // Something is drawn (MinIP and the average stay dark over the background).
                if (mode == RenderMode::mip || mode == RenderMode::dvr) {
                    EXPECT_GT(count_at_least(warped, 40), size * size / 100) << c.name << int(mode);
                }
                different += warped.rgba != cast.rgba;
                ++compared;
            }
        }
    }
    EXPECT_EQ(compared, 80);
    EXPECT_GT(different, 40);
}

// The coarse grid's bands give the same bytes on one thread or all, along every axis.
TEST(Raycast, CoarseShearWarpDoesNotDependOnTheThreadCount) {
    const Volume volume = odd_cells();
    std::vector<vox::ResolvedChannel> display = gray(14000.0);
    display.front().low = 2500.0;
    RenderOptions options;
    options.width = options.height = 55;  // 1.7 voxels a pixel
    options.method = vox::RenderMethod::shear_warp;
    options.clip_planes = {vox::ClipPlane{{3.0, 0.0, 0.0}, {1.0, 0.5, 0.2}}};
    for (const RenderMode mode : {RenderMode::mip, RenderMode::dvr}) {
        options.mode = mode;
        for (const double azimuth : {320.0, 90.0, 0.0}) {
            options.camera.azimuth = azimuth;
            vox::set_thread_count(1);
            const Image one = vox::render_volume(volume, display, options);
            vox::set_thread_count(0);
            const Image all = vox::render_volume(volume, display, options);
            EXPECT_EQ(one.rgba, all.rgba) << int(mode) << " " << azimuth;
            EXPECT_GT(count_at_least(all, 60), 100) << int(mode) << " " << azimuth;
        }
    }
}

}  // namespace
