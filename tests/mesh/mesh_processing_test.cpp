// Tests of mesh_statistics (mesh.h) and mesh post-processing (mesh_processing.h) on meshes
// built in code: icospheres, a cube, an open square and small non-manifold cases.
#include "vox/mesh_processing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <numbers>
#include <set>
#include <utility>
#include <vector>

#include "test_util.h"
#include "vox/error.h"
#include "vox/mesh.h"

namespace {

using vox::Mesh;
using Vec3 = std::array<float, 3>;

// An icosahedron subdivided `levels` times (20 * 4^levels triangles), projected on the sphere
// of `radius` around `centre`, wound counterclockwise seen from outside.
Mesh icosphere(int levels, double radius, Vec3 centre = {0.0f, 0.0f, 0.0f}) {
    const double t = (1.0 + std::sqrt(5.0)) / 2.0;
    std::vector<std::array<double, 3>> unit = {{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0},
                                               {0, -1, t}, {0, 1, t}, {0, -1, -t}, {0, 1, -t},
                                               {t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1}};
    std::vector<std::array<std::uint32_t, 3>> faces = {
        {0, 11, 5},  {0, 5, 1},  {0, 1, 7},  {0, 7, 10}, {0, 10, 11}, {1, 5, 9}, {5, 11, 4},
        {11, 10, 2}, {10, 7, 6}, {7, 1, 8},  {3, 9, 4},  {3, 4, 2},   {3, 2, 6}, {3, 6, 8},
        {3, 8, 9},   {4, 9, 5},  {2, 4, 11}, {6, 2, 10}, {8, 6, 7},   {9, 8, 1}};
    const auto normalise = [](std::array<double, 3> p) {
        const double length = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
        return std::array<double, 3>{p[0] / length, p[1] / length, p[2] / length};
    };
    for (auto& p : unit)
        p = normalise(p);
    for (int level = 0; level < levels; ++level) {
        std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> midpoints;
        const auto midpoint = [&](std::uint32_t a, std::uint32_t b) {
            const auto key = std::minmax(a, b);
            const auto found = midpoints.find(key);
            if (found != midpoints.end()) return found->second;
            unit.push_back(normalise({(unit[a][0] + unit[b][0]) / 2, (unit[a][1] + unit[b][1]) / 2,
                                      (unit[a][2] + unit[b][2]) / 2}));
            const auto index = std::uint32_t(unit.size() - 1);
            midpoints.emplace(key, index);
            return index;
        };
        std::vector<std::array<std::uint32_t, 3>> finer;
        for (const auto& [a, b, c] : faces) {
            const std::uint32_t ab = midpoint(a, b), bc = midpoint(b, c), ca = midpoint(c, a);
            finer.push_back({a, ab, ca});
            finer.push_back({b, bc, ab});
            finer.push_back({c, ca, bc});
            finer.push_back({ab, bc, ca});
        }
        faces = std::move(finer);
    }
    Mesh mesh;
    for (const auto& p : unit) {
        mesh.positions.push_back({float(centre[0] + radius * p[0]),
                                  float(centre[1] + radius * p[1]),
                                  float(centre[2] + radius * p[2])});
    }
    mesh.triangles.assign(faces.begin(), faces.end());
    return mesh;
}

// The cube [0, side]^3 as 12 outward-wound triangles.
Mesh cube(float side) {
    Mesh mesh;
    for (int i = 0; i < 8; ++i)
        mesh.positions.push_back({(i & 1) * side, ((i >> 1) & 1) * side, ((i >> 2) & 1) * side});
    mesh.triangles = {{0, 2, 3}, {0, 3, 1},   // z = 0, normal -z
                      {4, 5, 7}, {4, 7, 6},   // z = side, +z
                      {0, 1, 5}, {0, 5, 4},   // y = 0, -y
                      {2, 6, 7}, {2, 7, 3},   // y = side, +y
                      {0, 4, 6}, {0, 6, 2},   // x = 0, -x
                      {1, 3, 7}, {1, 7, 5}};  // x = side, +x
    return mesh;
}

Mesh merged(const Mesh& a, const Mesh& b) {
    Mesh mesh = a;
    const auto offset = std::uint32_t(a.positions.size());
    mesh.positions.insert(mesh.positions.end(), b.positions.begin(), b.positions.end());
    for (auto triangle : b.triangles) {
        for (auto& v : triangle)
            v += offset;
        mesh.triangles.push_back(triangle);
    }
    return mesh;
}

// Area and signed volume summed the plain way, as the reference.
std::pair<double, double> reference_area_volume(const Mesh& mesh) {
    double area = 0.0, volume = 0.0;
    for (const auto& triangle : mesh.triangles) {
        std::array<std::array<double, 3>, 3> p;
        for (int i = 0; i < 3; ++i)
            for (int k = 0; k < 3; ++k)
                p[i][k] = mesh.positions[triangle[i]][k];
        const std::array<double, 3> u{p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]};
        const std::array<double, 3> v{p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]};
        const std::array<double, 3> n{u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2],
                                      u[0] * v[1] - u[1] * v[0]};
        area += 0.5 * std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        volume += (p[0][0] * (p[1][1] * p[2][2] - p[1][2] * p[2][1]) -
                   p[0][1] * (p[1][0] * p[2][2] - p[1][2] * p[2][0]) +
                   p[0][2] * (p[1][0] * p[2][1] - p[1][1] * p[2][0])) /
                  6.0;
    }
    return {area, volume};
}

// Radii of the vertices about the origin: mean and standard deviation.
std::pair<double, double> radius_mean_sd(const Mesh& mesh) {
    double sum = 0.0, sum2 = 0.0;
    for (const auto& p : mesh.positions) {
        const double r = std::sqrt(double(p[0]) * p[0] + double(p[1]) * p[1] + double(p[2]) * p[2]);
        sum += r;
        sum2 += r * r;
    }
    const double n = double(mesh.positions.size());
    const double mean = sum / n;
    return {mean, std::sqrt(std::max(0.0, sum2 / n - mean * mean))};
}

// Moves every vertex along its radius by a uniform factor in [1 - amount, 1 + amount],
// from a fixed splitmix64 sequence (reproducible on every standard library).
void add_radial_noise(Mesh& mesh, double amount) {
    std::uint64_t state = 12345;
    for (auto& p : mesh.positions) {
        state += 0x9E3779B97F4A7C15ull;
        std::uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        const double uniform = double(z >> 11) / double(1ull << 53);
        const double factor = 1.0 + amount * (2.0 * uniform - 1.0);
        for (float& x : p)
            x = float(x * factor);
    }
}

// Plain umbrella Laplacian smoothing, `steps` times with factor lambda: the shrinking baseline.
void smooth_laplacian(Mesh& mesh, int steps, double lambda) {
    std::vector<std::set<std::uint32_t>> neighbours(mesh.positions.size());
    for (const auto& t : mesh.triangles) {
        for (int i = 0; i < 3; ++i) {
            neighbours[t[i]].insert(t[(i + 1) % 3]);
            neighbours[t[i]].insert(t[(i + 2) % 3]);
        }
    }
    for (int step = 0; step < steps; ++step) {
        vox::MeshArray<Vec3> next = mesh.positions;
        for (std::size_t v = 0; v < next.size(); ++v) {
            for (int k = 0; k < 3; ++k) {
                double mean = 0.0;
                for (const std::uint32_t u : neighbours[v])
                    mean += mesh.positions[u][k];
                mean /= double(neighbours[v].size());
                next[v][k] = float(mesh.positions[v][k] + lambda * (mean - mesh.positions[v][k]));
            }
        }
        mesh.positions = std::move(next);
    }
}

// Edge and fan checks the slow, obvious way: a map of undirected edges, and a flood fill
// over each vertex's triangles.
struct ReferenceTopology {
    std::int64_t boundary_edges = 0;
    bool closed = true;
    bool manifold = true;
};

ReferenceTopology reference_topology(const Mesh& mesh) {
    ReferenceTopology result;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<bool>> edges;
    std::vector<std::vector<std::size_t>> around(mesh.positions.size());
    for (std::size_t t = 0; t < mesh.triangles.size(); ++t) {
        const auto& tri = mesh.triangles[t];
        for (int i = 0; i < 3; ++i) {
            const std::uint32_t a = tri[i], b = tri[(i + 1) % 3];
            edges[std::minmax(a, b)].push_back(a < b);
            around[a].push_back(t);
        }
    }
    for (const auto& [edge, directions] : edges) {
        if (directions.size() == 1) ++result.boundary_edges;
        if (directions.size() > 2) result.manifold = false;
        if (directions.size() != 2 || directions[0] == directions[1]) result.closed = false;
    }
    for (std::uint32_t v = 0; v < around.size(); ++v) {
        if (around[v].empty()) continue;
        std::set<std::size_t> reached{around[v][0]};
        for (bool grew = true; grew;) {
            grew = false;
            for (const std::size_t t : around[v]) {
                if (reached.count(t)) continue;
                for (const std::size_t r : reached) {
                    int shared = 0;
                    for (const auto a : mesh.triangles[t])
                        for (const auto b : mesh.triangles[r])
                            shared += (a == b && a != v);
                    if (shared > 0) {
                        reached.insert(t);
                        grew = true;
                        break;
                    }
                }
            }
        }
        if (reached.size() != around[v].size()) result.manifold = false;
    }
    return result;
}

// --- mesh_statistics ---

TEST(MeshStatistics, IcosphereAreaVolumeAndTopology) {
    const double radius = 3.0;
    const Mesh mesh = icosphere(4, radius, {1.0f, -2.0f, 0.5f});
    ASSERT_EQ(mesh.triangle_count(), 5120u);
    const vox::MeshStatistics stats = vox::mesh_statistics(mesh);
    const auto [area, volume] = reference_area_volume(mesh);
    EXPECT_EQ(stats.vertices, 2562);
    EXPECT_EQ(stats.triangles, 5120);
    EXPECT_NEAR(stats.area, area, 1e-9 * area);
    EXPECT_NEAR(stats.volume, volume, 1e-9 * volume);
    // An inscribed polyhedron: a little less than the sphere, by the subdivision error.
    const double sphere_area = 4.0 * std::numbers::pi * radius * radius;
    const double sphere_volume = 4.0 / 3.0 * std::numbers::pi * radius * radius * radius;
    EXPECT_LT(stats.area, sphere_area);
    EXPECT_GT(stats.area, 0.99 * sphere_area);
    EXPECT_LT(stats.volume, sphere_volume);
    EXPECT_GT(stats.volume, 0.985 * sphere_volume);
    EXPECT_TRUE(stats.closed);
    EXPECT_TRUE(stats.manifold);
    EXPECT_EQ(stats.boundary_edges, 0);
    EXPECT_EQ(stats.components, 1);
    EXPECT_NEAR(stats.bounds_min[0], 1.0 - radius, 1e-5);
    EXPECT_NEAR(stats.bounds_max[1], -2.0 + radius, 1e-5);
    EXPECT_NEAR(stats.bounds_min[2], 0.5 - radius, 1e-5);
}

TEST(MeshStatistics, Cube) {
    const vox::MeshStatistics stats = vox::mesh_statistics(cube(2.0f));
    EXPECT_EQ(stats.vertices, 8);
    EXPECT_EQ(stats.triangles, 12);
    EXPECT_DOUBLE_EQ(stats.area, 24.0);
    EXPECT_DOUBLE_EQ(stats.volume, 8.0);
    EXPECT_TRUE(stats.closed);
    EXPECT_TRUE(stats.manifold);
    EXPECT_EQ(stats.boundary_edges, 0);
    EXPECT_EQ(stats.components, 1);
    EXPECT_EQ(stats.bounds_min, (std::array<double, 3>{0.0, 0.0, 0.0}));
    EXPECT_EQ(stats.bounds_max, (std::array<double, 3>{2.0, 2.0, 2.0}));
}

TEST(MeshStatistics, FlippedMeshHasNegativeVolume) {
    Mesh mesh = cube(2.0f);
    for (auto& t : mesh.triangles)
        std::swap(t[1], t[2]);
    const vox::MeshStatistics stats = vox::mesh_statistics(mesh);
    EXPECT_DOUBLE_EQ(stats.volume, -8.0);
    EXPECT_DOUBLE_EQ(stats.area, 24.0);
    EXPECT_TRUE(stats.closed);  // consistently oriented, inward
    EXPECT_TRUE(stats.manifold);
}

TEST(MeshStatistics, OneFlippedTriangleIsNotClosed) {
    Mesh mesh = cube(1.0f);
    std::swap(mesh.triangles[5][1], mesh.triangles[5][2]);
    const vox::MeshStatistics stats = vox::mesh_statistics(mesh);
    EXPECT_FALSE(stats.closed);
    EXPECT_TRUE(stats.manifold);  // still two triangles per edge, one fan per vertex
    EXPECT_EQ(stats.boundary_edges, 0);
}

TEST(MeshStatistics, TwoDisjointSpheres) {
    const Mesh mesh = merged(icosphere(3, 1.0), icosphere(2, 0.5, {5.0f, 0.0f, 0.0f}));
    const vox::MeshStatistics stats = vox::mesh_statistics(mesh);
    EXPECT_EQ(stats.components, 2);
    EXPECT_TRUE(stats.closed);
    EXPECT_TRUE(stats.manifold);
    EXPECT_NEAR(stats.bounds_max[0], 5.5, 1e-6);
    EXPECT_NEAR(stats.bounds_min[0], -1.0, 1e-6);
}

TEST(MeshStatistics, OpenSquare) {
    Mesh mesh;
    mesh.positions = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}};
    mesh.triangles = {{0, 1, 2}, {0, 2, 3}};
    const vox::MeshStatistics stats = vox::mesh_statistics(mesh);
    EXPECT_DOUBLE_EQ(stats.area, 1.0);
    EXPECT_FALSE(stats.closed);
    EXPECT_TRUE(stats.manifold);
    EXPECT_EQ(stats.boundary_edges, 4);
    EXPECT_EQ(stats.components, 1);
}

TEST(MeshStatistics, BowTieIsNotManifold) {
    // Two triangles touching at vertex 0 only.
    Mesh mesh;
    mesh.positions = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {-1, 0, 0}, {-1, -1, 0}};
    mesh.triangles = {{0, 1, 2}, {0, 3, 4}};
    const vox::MeshStatistics stats = vox::mesh_statistics(mesh);
    EXPECT_FALSE(stats.manifold);
    EXPECT_FALSE(stats.closed);
    EXPECT_EQ(stats.boundary_edges, 6);
    EXPECT_EQ(stats.components, 1);
}

TEST(MeshStatistics, EdgeOfThreeTrianglesIsNotManifold) {
    Mesh mesh;
    mesh.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}};
    mesh.triangles = {{0, 1, 2}, {1, 0, 3}, {0, 1, 4}};
    const vox::MeshStatistics stats = vox::mesh_statistics(mesh);
    EXPECT_FALSE(stats.manifold);
    EXPECT_FALSE(stats.closed);
    EXPECT_EQ(stats.boundary_edges, 6);
    EXPECT_EQ(stats.components, 1);
}

TEST(MeshStatistics, EmptyMeshAndUnusedVertices) {
    const vox::MeshStatistics empty = vox::mesh_statistics(Mesh{});
    EXPECT_EQ(empty.vertices, 0);
    EXPECT_EQ(empty.components, 0);
    EXPECT_FALSE(empty.closed);
    EXPECT_EQ(empty.bounds_max, (std::array<double, 3>{0.0, 0.0, 0.0}));
    // Unused vertices count as vertices and bounds, not as components.
    Mesh mesh = cube(1.0f);
    mesh.positions.push_back({-3.0f, 0.5f, 0.5f});
    const vox::MeshStatistics stats = vox::mesh_statistics(mesh);
    EXPECT_EQ(stats.vertices, 9);
    EXPECT_EQ(stats.components, 1);
    EXPECT_TRUE(stats.closed);
    EXPECT_DOUBLE_EQ(stats.bounds_min[0], -3.0);
}

TEST(MeshStatistics, DamagedSpheresMatchTheReference) {
    // Remove, flip, duplicate, add or rewire a triangle of two spheres pseudo-randomly; the
    // edge counts and flags must agree with the brute-force reference every time.
    const Mesh spheres = merged(icosphere(2, 1.0), icosphere(1, 0.5, {3.0f, 0.0f, 0.0f}));
    std::uint64_t state = 99;
    const auto next = [&state](std::uint64_t bound) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return std::uint32_t((state >> 33) % bound);
    };
    int closed_count = 0, manifold_count = 0;
    for (int round = 0; round < 60; ++round) {
        Mesh mesh = spheres;
        const std::size_t t = next(mesh.triangle_count());
        auto& triangle = mesh.triangles[t];
        switch (round % 6) {
            case 0:
                mesh.triangles.erase(mesh.triangles.begin() + std::ptrdiff_t(t));
                break;
            case 1:
                std::swap(triangle[0], triangle[1]);
                break;
            case 2:
                mesh.triangles.push_back(triangle);
                break;
            case 3:
                mesh.triangles.push_back({triangle[0], triangle[2], triangle[1]});
                break;
            case 4:
                triangle[0] = next(mesh.vertex_count());
                break;
            default:
                break;
        }
        if (mesh.triangles[t][0] == mesh.triangles[t][1] ||
            mesh.triangles[t][0] == mesh.triangles[t][2])
            continue;
        const vox::MeshStatistics stats = vox::mesh_statistics(mesh);
        const ReferenceTopology expected = reference_topology(mesh);
        ASSERT_EQ(stats.boundary_edges, expected.boundary_edges) << "round " << round;
        ASSERT_EQ(stats.closed, expected.closed) << "round " << round;
        ASSERT_EQ(stats.manifold, expected.manifold) << "round " << round;
        closed_count += stats.closed;
        manifold_count += stats.manifold;
    }
    // Both answers occurred.
    EXPECT_GT(closed_count, 0);
    EXPECT_LT(closed_count, 50);
    EXPECT_GT(manifold_count, closed_count);
    EXPECT_LT(manifold_count, 50);
}

TEST(MeshStatistics, IndexOutOfRange) {
    Mesh mesh = cube(1.0f);
    mesh.triangles[3][1] = 8;
    VOX_EXPECT_THROW_MSG(vox::mesh_statistics(mesh), vox::ValueError,
                         "mesh_statistics: triangle 3 uses vertex 8 but the mesh has 8 vertices");
}

// --- smooth_taubin ---

TEST(SmoothTaubin, SmoothsNoiseWithoutShrinking) {
    Mesh mesh = icosphere(4, 1.0);
    add_radial_noise(mesh, 0.02);
    Mesh laplacian = mesh;
    const auto [mean_before, sd_before] = radius_mean_sd(mesh);
    mesh.normals.assign(mesh.vertex_count(), {0.0f, 0.0f, 1.0f});
    vox::smooth_taubin(mesh, 10);
    const auto [mean_after, sd_after] = radius_mean_sd(mesh);
    EXPECT_LT(sd_after, 0.5 * sd_before);
    EXPECT_LT(std::abs(mean_after - mean_before), 0.01 * mean_before);
    // Plain Laplacian with as many steps shrinks the sphere far more.
    smooth_laplacian(laplacian, 20, 0.5);
    const double laplacian_mean = radius_mean_sd(laplacian).first;
    EXPECT_GT(mean_before - laplacian_mean, 10.0 * std::abs(mean_before - mean_after));
    // The normals were recomputed from the smoothed surface: outward.
    for (std::size_t v = 0; v < mesh.vertex_count(); ++v) {
        const auto& p = mesh.positions[v];
        const auto& n = mesh.normals[v];
        const double r = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
        ASSERT_GT((p[0] * n[0] + p[1] * n[1] + p[2] * n[2]) / r, 0.95) << "vertex " << v;
    }
}

TEST(SmoothTaubin, ZeroIterationsChangeNothing) {
    Mesh mesh = icosphere(2, 1.0);
    const auto positions = mesh.positions;
    vox::smooth_taubin(mesh, 0);
    EXPECT_EQ(mesh.positions, positions);
}

TEST(SmoothTaubin, BadArguments) {
    Mesh mesh = cube(1.0f);
    VOX_EXPECT_THROW_MSG(vox::smooth_taubin(mesh, -1), vox::ValueError,
                         "smooth_taubin: iterations must be >= 0, got -1");
    VOX_EXPECT_THROW_MSG(vox::smooth_taubin(mesh, 1, 1.5), vox::ValueError,
                         "smooth_taubin: lambda must be in (0, 1), got 1.5");
    VOX_EXPECT_THROW_MSG(vox::smooth_taubin(mesh, 1, 0.0), vox::ValueError,
                         "smooth_taubin: lambda must be in (0, 1), got 0");
    VOX_EXPECT_THROW_MSG(vox::smooth_taubin(mesh, 1, 0.5, -0.4), vox::ValueError,
                         "smooth_taubin: mu must be < -lambda (-0.5), got -0.4");
}

// --- decimate ---

TEST(Decimate, QuarterOfASphere) {
    Mesh mesh = icosphere(4, 2.0);
    const double area_before = vox::mesh_statistics(mesh).area;
    mesh.colors.assign(mesh.vertex_count(), {10, 20, 30});
    mesh.normals.assign(mesh.vertex_count(), {0.0f, 0.0f, 1.0f});
    vox::decimate(mesh, {.ratio = 0.25});
    const vox::MeshStatistics stats = vox::mesh_statistics(mesh);
    EXPECT_GE(stats.triangles, 0.9 * 0.25 * 5120);
    EXPECT_LE(stats.triangles, 1.1 * 0.25 * 5120);
    EXPECT_TRUE(stats.closed);
    EXPECT_TRUE(stats.manifold);
    EXPECT_EQ(stats.components, 1);
    EXPECT_NEAR(stats.area, area_before, 0.02 * area_before);
    // Unused vertices dropped; normals and colours follow the kept ones.
    EXPECT_EQ(stats.vertices, stats.triangles / 2 + 2);  // Euler: V - E + F = 2
    EXPECT_EQ(mesh.normals.size(), mesh.vertex_count());
    ASSERT_EQ(mesh.colors.size(), mesh.vertex_count());
    EXPECT_EQ(mesh.colors[0], (std::array<std::uint8_t, 3>{10, 20, 30}));
    for (std::size_t v = 0; v < mesh.vertex_count(); ++v) {
        const auto& p = mesh.positions[v];
        const auto& n = mesh.normals[v];
        ASSERT_GT((p[0] * n[0] + p[1] * n[1] + p[2] * n[2]) / 2.0, 0.95) << "vertex " << v;
    }
}

TEST(Decimate, RatioOneKeepsTheMesh) {
    Mesh mesh = icosphere(2, 1.0);
    const Mesh before = mesh;
    vox::decimate(mesh, {.ratio = 1.0});
    EXPECT_EQ(mesh.triangles, before.triangles);
    EXPECT_EQ(mesh.positions, before.positions);
}

TEST(Decimate, ZeroErrorStopsEarly) {
    // A flat square grid can lose most triangles at no error; a sphere cannot.
    Mesh mesh = icosphere(3, 1.0);
    vox::decimate(mesh, {.ratio = 0.1, .target_error = 0.0});
    EXPECT_GT(mesh.triangle_count(), 1000u);
}

TEST(Decimate, BadArguments) {
    Mesh mesh = cube(1.0f);
    VOX_EXPECT_THROW_MSG(vox::decimate(mesh, {.ratio = 0.0}), vox::ValueError,
                         "decimate: ratio must be in (0, 1], got 0");
    VOX_EXPECT_THROW_MSG(vox::decimate(mesh, {.ratio = 1.5}), vox::ValueError,
                         "decimate: ratio must be in (0, 1], got 1.5");
    VOX_EXPECT_THROW_MSG(vox::decimate(mesh, {.ratio = 0.5, .target_error = -1.0}), vox::ValueError,
                         "decimate: target_error must be >= 0, got -1");
    mesh.normals.resize(3);
    VOX_EXPECT_THROW_MSG(vox::decimate(mesh, {.ratio = 0.5}), vox::ValueError,
                         "decimate: the mesh has 3 normals for 8 vertices");
}

// --- keep_largest_component ---

TEST(KeepLargestComponent, TwoSpheres) {
    // The small sphere first, so that the kept one is not simply the first.
    Mesh mesh = merged(icosphere(2, 0.5, {5.0f, 0.0f, 0.0f}), icosphere(3, 1.0));
    mesh.colors.resize(mesh.vertex_count(), {1, 2, 3});
    for (std::size_t v = 0; v < 162; ++v)
        mesh.colors[v] = {9, 9, 9};
    EXPECT_EQ(vox::keep_largest_component(mesh), 2);
    EXPECT_EQ(mesh.triangle_count(), 1280u);
    EXPECT_EQ(mesh.vertex_count(), 642u);
    ASSERT_EQ(mesh.colors.size(), 642u);
    EXPECT_TRUE(std::all_of(mesh.colors.begin(), mesh.colors.end(), [](const auto& c) {
        return c == std::array<std::uint8_t, 3>{1, 2, 3};
    }));
    const vox::MeshStatistics stats = vox::mesh_statistics(mesh);
    EXPECT_EQ(stats.components, 1);
    EXPECT_TRUE(stats.closed);
    EXPECT_NEAR(stats.bounds_max[0], 1.0, 1e-6);
}

TEST(KeepLargestComponent, OneComponentDropsUnusedVertices) {
    Mesh mesh = cube(1.0f);
    mesh.positions.insert(mesh.positions.begin(), {7.0f, 7.0f, 7.0f});
    for (auto& t : mesh.triangles)
        for (auto& v : t)
            ++v;
    EXPECT_EQ(vox::keep_largest_component(mesh), 1);
    EXPECT_EQ(mesh.positions, cube(1.0f).positions);
    EXPECT_EQ(mesh.triangles, cube(1.0f).triangles);
}

// --- compute_vertex_normals ---

TEST(ComputeVertexNormals, SpherePointsOutward) {
    Mesh mesh = icosphere(3, 2.0, {1.0f, 1.0f, 1.0f});
    mesh.positions.push_back({9.0f, 9.0f, 9.0f});  // unused: zero normal
    vox::compute_vertex_normals(mesh);
    ASSERT_EQ(mesh.normals.size(), mesh.vertex_count());
    for (std::size_t v = 0; v + 1 < mesh.vertex_count(); ++v) {
        const auto& p = mesh.positions[v];
        const auto& n = mesh.normals[v];
        const double dot = ((p[0] - 1.0) * n[0] + (p[1] - 1.0) * n[1] + (p[2] - 1.0) * n[2]) / 2.0;
        ASSERT_GT(dot, 0.99) << "vertex " << v;
        EXPECT_NEAR(n[0] * n[0] + n[1] * n[1] + n[2] * n[2], 1.0, 1e-5);
    }
    EXPECT_EQ(mesh.normals.back(), (Vec3{0.0f, 0.0f, 0.0f}));
}

TEST(ComputeVertexNormals, CubeCornersPointDiagonally) {
    Mesh mesh = cube(1.0f);
    vox::compute_vertex_normals(mesh);
    // Corner 0 at the origin: its normal points away from the cube's centre, into -x -y -z.
    const Vec3& n = mesh.normals[0];
    EXPECT_LT(n[0], 0.0f);
    EXPECT_LT(n[1], 0.0f);
    EXPECT_LT(n[2], 0.0f);
}

}  // namespace
