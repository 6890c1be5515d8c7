// Marching cubes (isosurface.h) against analytic answers: spheres' areas and volumes,
// watertight and outward-oriented surfaces (on random volumes full of ambiguous cells too),
// anisotropic spacing, steps, closed borders and label surfaces.
#include "vox/isosurface.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <unordered_map>

#include <gtest/gtest.h>

#include <limits>

#include "test_util.h"
#include "vox/parallel.h"

namespace {

using vox::Mesh;

double triangle_area(const Mesh& mesh, const std::array<std::uint32_t, 3>& t) {
    const auto& a = mesh.positions[t[0]];
    const auto& b = mesh.positions[t[1]];
    const auto& c = mesh.positions[t[2]];
    const double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    const double v[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    const double n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2],
                         u[0] * v[1] - u[1] * v[0]};
    return 0.5 * std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
}

double area(const Mesh& mesh) {
    double sum = 0.0;
    for (const auto& t : mesh.triangles)
        sum += triangle_area(mesh, t);
    return sum;
}

// Signed volume by the divergence theorem: positive when the normals point outward.
double signed_volume(const Mesh& mesh) {
    double sum = 0.0;
    for (const auto& t : mesh.triangles) {
        const auto& a = mesh.positions[t[0]];
        const auto& b = mesh.positions[t[1]];
        const auto& c = mesh.positions[t[2]];
        sum += double(a[0]) * (double(b[1]) * c[2] - double(b[2]) * c[1]) -
               double(a[1]) * (double(b[0]) * c[2] - double(b[2]) * c[0]) +
               double(a[2]) * (double(b[0]) * c[1] - double(b[1]) * c[0]);
    }
    return sum / 6.0;
}

// Every edge is used by exactly two triangles, once in each direction (watertight and
// consistently oriented); counts the edges that are not.
std::int64_t bad_edges(const Mesh& mesh) {
    std::unordered_map<std::uint64_t, int> directed;
    for (const auto& t : mesh.triangles) {
        for (int k = 0; k < 3; ++k) {
            const std::uint64_t key = (std::uint64_t(t[k]) << 32) | t[(k + 1) % 3];
            ++directed[key];
        }
    }
    std::int64_t bad = 0;
    for (const auto& [key, count] : directed) {
        const std::uint64_t reverse = (key << 32) | (key >> 32);
        const auto it = directed.find(reverse);
        if (count != 1 || it == directed.end() || it->second != 1) ++bad;
    }
    return bad;
}

// A sphere of physical radius `radius` centred in a volume of `shape` with `spacing`, as the
// float field radius - distance (inside positive), sampled at voxel centres.
vox::Volume sphere_field(const vox::Shape& shape, const std::array<double, 3>& spacing,
                         double radius, const std::array<double, 3>& centre_zyx) {
    vox::Volume volume = vox::Volume::allocate(shape, vox::PixelType::f32);
    auto view = volume.mutable_view<float>();
    for (std::int64_t z = 0; z < shape.z; ++z) {
        for (std::int64_t y = 0; y < shape.y; ++y) {
            for (std::int64_t x = 0; x < shape.x; ++x) {
                const double dz = z * spacing[0] - centre_zyx[0];
                const double dy = y * spacing[1] - centre_zyx[1];
                const double dx = x * spacing[2] - centre_zyx[2];
                view(z, y, x) = float(radius - std::sqrt(dz * dz + dy * dy + dx * dx));
            }
        }
    }
    volume.set_spacing({spacing, "mm", true});
    return volume;
}

TEST(Isosurface, SphereAreaVolumeWatertightOutward) {
    const double r = 20.0;
    const vox::Volume volume = sphere_field({64, 64, 64, 1}, {1, 1, 1}, r, {31.5, 31.7, 31.2});
    const Mesh mesh = vox::isosurface(volume, {.level = 0.0});
    ASSERT_FALSE(mesh.empty());
    EXPECT_NEAR(area(mesh), 4 * std::numbers::pi * r * r, 0.01 * 4 * std::numbers::pi * r * r);
    const double expected_volume = 4.0 / 3.0 * std::numbers::pi * r * r * r;
    EXPECT_NEAR(signed_volume(mesh), expected_volume, 0.01 * expected_volume);
    EXPECT_EQ(bad_edges(mesh), 0);
    EXPECT_EQ(mesh.unit, "mm");
    // Vertices lie on the sphere (linear interpolation of an exact distance field) and the
    // normals point away from the centre.
    ASSERT_EQ(mesh.normals.size(), mesh.positions.size());
    double worst_radius = 0.0, worst_dot = 1.0;
    for (std::size_t i = 0; i < mesh.positions.size(); ++i) {
        const auto& p = mesh.positions[i];
        const double d[3] = {p[0] - 31.2, p[1] - 31.7, p[2] - 31.5};
        const double length = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        worst_radius = std::max(worst_radius, std::abs(length - r));
        const auto& n = mesh.normals[i];
        worst_dot = std::min(worst_dot, (d[0] * n[0] + d[1] * n[1] + d[2] * n[2]) / length);
    }
    EXPECT_LT(worst_radius, 0.05);
    EXPECT_GT(worst_dot, 0.99);
}

TEST(Isosurface, AnisotropicSpacingGivesPhysicalSphere) {
    const double r = 12.0;
    const std::array<double, 3> spacing{1.5, 0.5, 0.25};
    const vox::Volume volume = sphere_field({24, 64, 128, 1}, spacing, r, {17.0, 16.0, 16.0});
    const Mesh mesh = vox::isosurface(volume, {.level = 0.0});
    EXPECT_NEAR(area(mesh), 4 * std::numbers::pi * r * r, 0.01 * 4 * std::numbers::pi * r * r);
    const double expected_volume = 4.0 / 3.0 * std::numbers::pi * r * r * r;
    EXPECT_NEAR(signed_volume(mesh), expected_volume, 0.01 * expected_volume);
    EXPECT_EQ(bad_edges(mesh), 0);
    float low[3] = {1e9f, 1e9f, 1e9f}, high[3] = {-1e9f, -1e9f, -1e9f};
    for (const auto& p : mesh.positions) {
        for (int k = 0; k < 3; ++k)
            low[k] = std::min(low[k], p[k]), high[k] = std::max(high[k], p[k]);
    }
    // x, y, z extents are all the physical diameter.
    for (int k = 0; k < 3; ++k)
        EXPECT_NEAR(high[k] - low[k], 2 * r, 0.2) << "axis " << k;
    EXPECT_NEAR((high[2] + low[2]) / 2, 17.0, 0.1);  // z is the plane axis
}

TEST(Isosurface, RandomVolumesAreWatertightWhenClosed) {
    // Noise makes every kind of cell, ambiguous faces included: the face rule must keep
    // neighbouring cells in agreement, and closing the border must leave no open edge.
    std::mt19937 random(7);
    for (int trial = 0; trial < 4; ++trial) {
        vox::Volume volume =
            vox::Volume::allocate({9 + trial, 11, 13 + 3 * trial, 1}, vox::PixelType::u8);
        auto view = volume.mutable_view<std::uint8_t>();
        for (std::int64_t i = 0; i < volume.shape().voxels(); ++i)
            view.origin[i] = std::uint8_t(random() % 256);
        const Mesh mesh = vox::isosurface(volume, {.level = 127.5, .close_borders = true});
        ASSERT_FALSE(mesh.empty());
        EXPECT_EQ(bad_edges(mesh), 0) << "trial " << trial;
        EXPECT_GT(signed_volume(mesh), 0.0);
        // Without closing, only edges on the border may be open; the surface is still
        // oriented: no edge is used twice in the same direction.
        const Mesh open = vox::isosurface(volume, {.level = 127.5});
        std::unordered_map<std::uint64_t, int> directed;
        for (const auto& t : open.triangles) {
            for (int k = 0; k < 3; ++k)
                ++directed[(std::uint64_t(t[k]) << 32) | t[(k + 1) % 3]];
        }
        for (const auto& [key, count] : directed)
            ASSERT_EQ(count, 1);
    }
}

TEST(Isosurface, IntegerLevelsCompareLikeValues) {
    // Voxels equal to the level are outside (value > level is inside).
    vox::Volume volume = vox::Volume::allocate({3, 3, 3, 1}, vox::PixelType::u16);
    volume.mutable_view<std::uint16_t>()(1, 1, 1) = 100;
    EXPECT_TRUE(vox::isosurface(volume, {.level = 100.0}).empty());
    const Mesh mesh = vox::isosurface(volume, {.level = 99.5});
    // One inside voxel: an octahedron of 8 triangles and 6 vertices, where the value falls
    // from 100 to 99.5 along each axis: 0.005 voxels from the centre.
    EXPECT_EQ(mesh.triangle_count(), 8u);
    EXPECT_EQ(mesh.vertex_count(), 6u);
    for (const auto& p : mesh.positions) {
        const double d = std::abs(p[0] - 1.0) + std::abs(p[1] - 1.0) + std::abs(p[2] - 1.0);
        EXPECT_NEAR(d, 0.005, 1e-6);
    }
    EXPECT_EQ(bad_edges(mesh), 0);
    EXPECT_GT(signed_volume(mesh), 0.0);
    // Levels outside the type's range: everything inside or nothing is; no surface.
    EXPECT_TRUE(vox::isosurface(volume, {.level = -5.0}).empty());
    EXPECT_TRUE(vox::isosurface(volume, {.level = 1e9}).empty());
}

TEST(Isosurface, StepGivesCoarserMeshOfTheSameSphere) {
    const double r = 20.0;
    const vox::Volume volume = sphere_field({64, 64, 64, 1}, {1, 1, 1}, r, {32, 32, 32});
    const Mesh fine = vox::isosurface(volume, {.level = 0.0});
    const Mesh coarse = vox::isosurface(volume, {.level = 0.0, .step = 2});
    EXPECT_LT(coarse.triangle_count() * 3, fine.triangle_count());
    EXPECT_NEAR(area(coarse), 4 * std::numbers::pi * r * r, 0.02 * 4 * std::numbers::pi * r * r);
    EXPECT_EQ(bad_edges(coarse), 0);
}

TEST(Isosurface, CloseBordersCapsACutSphere) {
    // The sphere's centre is on the volume's x = 0 face: half of it is outside.
    const double r = 10.0;
    const vox::Volume volume = sphere_field({32, 32, 16, 1}, {1, 1, 1}, r, {16, 16, 0});
    const Mesh open = vox::isosurface(volume, {.level = 0.0});
    EXPECT_GT(bad_edges(open), 0);
    const Mesh closed = vox::isosurface(volume, {.level = 0.0, .close_borders = true});
    EXPECT_EQ(bad_edges(closed), 0);
    // The cap sits half a voxel outside the x = 0 plane: a half sphere plus a thin slab.
    const double half = 2.0 / 3.0 * std::numbers::pi * r * r * r;
    EXPECT_NEAR(signed_volume(closed), half + 0.5 * std::numbers::pi * r * r, 0.02 * half);
}

TEST(Isosurface, OutputDoesNotDependOnThreadCount) {
    const vox::Volume volume = sphere_field({40, 50, 70, 1}, {1, 1, 1}, 15, {20, 25, 30});
    vox::set_thread_count(1);
    const Mesh one = vox::isosurface(volume, {.level = 0.0});
    vox::set_thread_count(0);
    const Mesh all = vox::isosurface(volume, {.level = 0.0});
    EXPECT_EQ(one.positions, all.positions);
    EXPECT_EQ(one.normals, all.normals);
    EXPECT_EQ(one.triangles, all.triangles);
}

TEST(Isosurface, WideRowsCrossWordBoundaries) {
    // Rows longer than 64 voxels: crossings and cells straddle the 64-bit words.
    const double r = 50.0;
    const vox::Volume volume = sphere_field({8, 8, 200, 1}, {20, 20, 1}, r, {70, 70, 99.5});
    const Mesh mesh = vox::isosurface(volume, {.level = 0.0, .close_borders = true});
    EXPECT_EQ(bad_edges(mesh), 0);
    const Mesh plain = vox::isosurface(volume, {.level = 0.0});
    EXPECT_FALSE(plain.empty());
}

TEST(Isosurface, Errors) {
    const vox::Volume two_channels = vox::Volume::allocate({4, 4, 4, 2}, vox::PixelType::u8);
    VOX_EXPECT_THROW_MSG(vox::isosurface(two_channels, {}), vox::ValueError,
                         "isosurface needs a single-channel volume; this one has 2 channels "
                         "(choose one)");
    const vox::Volume small = vox::Volume::allocate({4, 1, 4, 1}, vox::PixelType::u8);
    VOX_EXPECT_THROW_MSG(vox::isosurface(small, {}), vox::ValueError,
                         "isosurface needs at least 2 voxels along each axis; the volume is 4x1x4 "
                         "(z, y, x) after a step of 1");
    const vox::Volume volume = vox::Volume::allocate({4, 4, 4, 1}, vox::PixelType::u8);
    VOX_EXPECT_THROW_MSG(vox::isosurface(volume, {.step = 0}), vox::ValueError,
                         "step must be at least 1, got 0");
    const vox::Volume floats = vox::Volume::allocate({4, 4, 4, 1}, vox::PixelType::f32);
    VOX_EXPECT_THROW_MSG(vox::label_surface(floats, 1), vox::ValueError,
                         "label surfaces need an integer volume, not f32");
    // NaN and infinities would give NaN vertices and normals, as skimage does.
    for (const float bad :
         {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()}) {
        vox::Volume holed = vox::Volume::allocate({4, 4, 4, 1}, vox::PixelType::f32);
        holed.mutable_view<float>()(1, 2, 3) = bad;
        VOX_EXPECT_THROW_MSG(vox::isosurface(holed, {.level = 0.5}), vox::ValueError,
                             "isosurface: 1 of the 64 values are NaN or infinite; marching cubes "
                             "needs numbers everywhere");
    }
    vox::Volume far = vox::Volume::allocate({4, 4, 4, 1}, vox::PixelType::u8);
    far.set_spacing({{1e300, 1.0, 1.0}, "mm", true});
    VOX_EXPECT_THROW_MSG(vox::isosurface(far, {}), vox::ValueError,
                         "isosurface: a spacing of 1e+300 along z does not fit 32-bit float "
                         "vertices");
    far.set_spacing({{1.0, 1.0, 1e-300}, "mm", true});
    VOX_EXPECT_THROW_MSG(vox::label_surfaces(far), vox::ValueError,
                         "isosurface: a spacing of 1e-300 along x does not fit 32-bit float "
                         "vertices");
}

TEST(LabelSurface, ClosedSurfacesOfEachLabelEvenAtTheBorder) {
    // Label 1: a 6x5x4 box in a corner (touching three faces); label 2: a 3x3x3 box inside.
    vox::Volume labels = vox::Volume::allocate({12, 12, 12, 1}, vox::PixelType::u16);
    auto view = labels.mutable_view<std::uint16_t>();
    for (int z = 0; z < 6; ++z)
        for (int y = 0; y < 5; ++y)
            for (int x = 0; x < 4; ++x)
                view(z, y, x) = 1;
    for (int z = 8; z < 11; ++z)
        for (int y = 8; y < 11; ++y)
            for (int x = 7; x < 10; ++x)
                view(z, y, x) = 2;
    labels.set_spacing({{2.0, 1.0, 1.0}, "µm", true});

    const Mesh one = vox::label_surface(labels, 1);
    EXPECT_EQ(bad_edges(one), 0);
    // The surface at 0.5 of a box of voxels: the box of their cells with its edges and
    // corners cut off; between (n - 1) and n voxels per side, in physical units.
    EXPECT_GT(signed_volume(one), 2.0 * 5 * 4 * 3);
    EXPECT_LT(signed_volume(one), 2.0 * 6 * 5 * 4);
    float low[3] = {1e9f, 1e9f, 1e9f}, high[3] = {-1e9f, -1e9f, -1e9f};
    for (const auto& p : one.positions) {
        for (int k = 0; k < 3; ++k)
            low[k] = std::min(low[k], p[k]), high[k] = std::max(high[k], p[k]);
    }
    EXPECT_FLOAT_EQ(low[0], -0.5f);   // x: half a voxel before column 0
    EXPECT_FLOAT_EQ(high[0], 3.5f);   // and after column 3
    EXPECT_FLOAT_EQ(low[2], -1.0f);   // z: half a plane of 2 µm
    EXPECT_FLOAT_EQ(high[2], 11.0f);  // plane 5 at 10 µm, plus 1
    EXPECT_EQ(one.unit, "µm");

    std::vector<std::int64_t> found;
    const Mesh all = vox::label_surfaces(labels, 1, true, &found);
    EXPECT_EQ(found, (std::vector<std::int64_t>{1, 2}));
    EXPECT_EQ(bad_edges(all), 0);
    ASSERT_EQ(all.colors.size(), all.positions.size());
    EXPECT_NE(all.colors.front(), all.colors.back());
    EXPECT_EQ(all.triangle_count(),
              one.triangle_count() + vox::label_surface(labels, 2).triangle_count());
    EXPECT_TRUE(vox::label_surface(labels, 3).empty());

    // With a step the surface stays closed.
    const Mesh coarse = vox::label_surface(labels, 1, 2);
    EXPECT_FALSE(coarse.empty());
    EXPECT_EQ(bad_edges(coarse), 0);
}

}  // namespace
