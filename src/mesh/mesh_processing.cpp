// voxscope: mesh post-processing (mesh_processing.h): Taubin smoothing, meshoptimizer
// decimation, largest component and vertex normals.
#include "vox/mesh_processing.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <meshoptimizer.h>

#include "mesh_topology.h"
#include "vox/error.h"
#include "vox/parallel.h"

namespace vox {
namespace {

constexpr std::int64_t kGrain = std::int64_t(1) << 14;

using Vec3 = std::array<float, 3>;

// The vertex neighbours of every vertex, without repeats: neighbours of v are
// neighbours[2 * offsets[v] .. 2 * offsets[v] + count[v]) (room for two per incident triangle).
struct Adjacency {
    std::vector<std::size_t> offsets;
    std::vector<std::uint32_t> count;
    std::vector<std::uint32_t> neighbours;
};

Adjacency vertex_adjacency(const Mesh& mesh) {
    mesh_internal::VertexTriangles incidence = mesh_internal::vertex_triangles(mesh);
    Adjacency adjacency;
    const std::size_t vertex_count = mesh.positions.size();
    adjacency.count.assign(vertex_count, 0);
    adjacency.neighbours.resize(2 * incidence.triangles.size());
    parallel_for(0, std::int64_t(vertex_count), kGrain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t vertex = begin; vertex < end; ++vertex) {
            const auto v = std::uint32_t(vertex);
            const std::size_t first = incidence.offsets[v];
            const std::size_t last = incidence.offsets[std::size_t(v) + 1];
            std::uint32_t* out = adjacency.neighbours.data() + 2 * first;
            std::uint32_t* cursor = out;
            for (std::size_t i = first; i < last; ++i) {
                for (const std::uint32_t u : mesh.triangles[incidence.triangles[i]])
                    if (u != v) *cursor++ = u;
            }
            std::sort(out, cursor);
            adjacency.count[v] = std::uint32_t(std::unique(out, cursor) - out);
        }
    });
    adjacency.offsets = std::move(incidence.offsets);
    return adjacency;
}

// One umbrella step: target = source + factor * (mean of neighbours - source).
void umbrella_step(const Adjacency& adjacency, const MeshArray<Vec3>& source,
                   MeshArray<Vec3>& target, double factor) {
    parallel_for(0, std::int64_t(source.size()), kGrain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t vertex = begin; vertex < end; ++vertex) {
            const auto v = std::size_t(vertex);
            const std::uint32_t count = adjacency.count[v];
            const Vec3& p = source[v];
            if (count == 0) {
                target[v] = p;
                continue;
            }
            const std::uint32_t* neighbours =
                adjacency.neighbours.data() + 2 * adjacency.offsets[v];
            double sx = 0.0, sy = 0.0, sz = 0.0;
            for (std::uint32_t i = 0; i < count; ++i) {
                const Vec3& q = source[neighbours[i]];
                sx += q[0];
                sy += q[1];
                sz += q[2];
            }
            const double scale = factor / count;
            target[v] = {float(p[0] + (sx * scale - factor * p[0])),
                         float(p[1] + (sy * scale - factor * p[1])),
                         float(p[2] + (sz * scale - factor * p[2]))};
        }
    });
}

// Drops the vertices no triangle uses, keeping the others in their order, with their normals
// and colours.
void drop_unused_vertices(Mesh& mesh) {
    const std::size_t vertex_count = mesh.positions.size();
    constexpr std::uint32_t kUnused = 0xFFFFFFFFu;
    std::vector<std::uint32_t> remap(vertex_count, kUnused);
    for (const auto& triangle : mesh.triangles)
        for (const std::uint32_t v : triangle)
            remap[v] = 0;
    std::uint32_t kept = 0;
    for (std::size_t v = 0; v < vertex_count; ++v) {
        if (remap[v] == kUnused) continue;
        remap[v] = kept;
        // kept <= v: compacting in place is safe.
        mesh.positions[kept] = mesh.positions[v];
        if (!mesh.normals.empty()) mesh.normals[kept] = mesh.normals[v];
        if (!mesh.colors.empty()) mesh.colors[kept] = mesh.colors[v];
        ++kept;
    }
    mesh.positions.resize(kept);
    mesh.positions.shrink_to_fit();
    if (!mesh.normals.empty()) mesh.normals.resize(kept);
    if (!mesh.colors.empty()) mesh.colors.resize(kept);
    for (auto& triangle : mesh.triangles)
        for (std::uint32_t& v : triangle)
            v = remap[v];
}

void vertex_normals(const Mesh& mesh, MeshArray<Vec3>& normals) {
    const mesh_internal::VertexTriangles incidence = mesh_internal::vertex_triangles(mesh);
    const auto& p = mesh.positions;
    normals.resize(p.size());
    parallel_for(0, std::int64_t(p.size()), kGrain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t vertex = begin; vertex < end; ++vertex) {
            const auto v = std::size_t(vertex);
            double sx = 0.0, sy = 0.0, sz = 0.0;
            // Gathered per vertex in ascending triangle order: reproducible, no atomics.
            for (std::size_t i = incidence.offsets[v]; i < incidence.offsets[v + 1]; ++i) {
                const auto& triangle = mesh.triangles[incidence.triangles[i]];
                const Vec3& a = p[triangle[0]];
                const Vec3& b = p[triangle[1]];
                const Vec3& c = p[triangle[2]];
                const double ux = double(b[0]) - a[0], uy = double(b[1]) - a[1],
                             uz = double(b[2]) - a[2];
                const double wx = double(c[0]) - a[0], wy = double(c[1]) - a[1],
                             wz = double(c[2]) - a[2];
                // The cross product's length is twice the area: area-weighted for free.
                sx += uy * wz - uz * wy;
                sy += uz * wx - ux * wz;
                sz += ux * wy - uy * wx;
            }
            const double length = std::sqrt(sx * sx + sy * sy + sz * sz);
            normals[v] = length > 0.0
                             ? Vec3{float(sx / length), float(sy / length), float(sz / length)}
                             : Vec3{0.0f, 0.0f, 0.0f};
        }
    });
}

}  // namespace

void smooth_taubin(Mesh& mesh, int iterations, double lambda, double mu) {
    if (iterations < 0)
        throw ValueError(fmt::format("smooth_taubin: iterations must be >= 0, got {}", iterations));
    if (!(lambda > 0.0 && lambda < 1.0))
        throw ValueError(fmt::format("smooth_taubin: lambda must be in (0, 1), got {:g}", lambda));
    if (!(mu < -lambda))
        throw ValueError(
            fmt::format("smooth_taubin: mu must be < -lambda ({:g}), got {:g}", -lambda, mu));
    mesh_internal::check_triangle_indices(mesh, "smooth_taubin");
    if (iterations == 0 || mesh.empty()) return;

    const Adjacency adjacency = vertex_adjacency(mesh);
    // Work on copies so that an interrupt leaves the mesh as it was.
    MeshArray<Vec3> current = mesh.positions;
    MeshArray<Vec3> next(current.size());
    for (int iteration = 0; iteration < iterations; ++iteration) {
        umbrella_step(adjacency, current, next, lambda);
        umbrella_step(adjacency, next, current, mu);
    }
    std::swap(mesh.positions, current);
    if (!mesh.normals.empty()) {
        MeshArray<Vec3> normals;
        try {
            vertex_normals(mesh, normals);
        } catch (...) {
            std::swap(mesh.positions, current);
            throw;
        }
        mesh.normals = std::move(normals);
    }
}

void decimate(Mesh& mesh, const DecimateOptions& options) {
    if (!(options.ratio > 0.0 && options.ratio <= 1.0))
        throw ValueError(fmt::format("decimate: ratio must be in (0, 1], got {:g}", options.ratio));
    if (!(options.target_error >= 0.0))
        throw ValueError(
            fmt::format("decimate: target_error must be >= 0, got {:g}", options.target_error));
    mesh_internal::check_triangle_indices(mesh, "decimate");
    mesh_internal::check_attribute_sizes(mesh, "decimate");
    const std::size_t index_count = 3 * mesh.triangles.size();
    const std::size_t target_index_count =
        std::size_t(options.ratio * double(mesh.triangles.size())) * 3;
    if (mesh.empty() || target_index_count >= index_count) return;

    static_assert(sizeof(std::array<std::uint32_t, 3>) == 3 * sizeof(unsigned int));
    static_assert(sizeof(Vec3) == 3 * sizeof(float));
    // meshoptimizer needs room for index_count indices whatever the target.
    MeshArray<std::array<std::uint32_t, 3>> simplified(mesh.triangles.size());
    const std::size_t kept_index_count =
        meshopt_simplify(simplified.front().data(), mesh.triangles.front().data(), index_count,
                         mesh.positions.front().data(), mesh.positions.size(), sizeof(Vec3),
                         target_index_count, float(options.target_error), 0, nullptr);
    simplified.resize(kept_index_count / 3);
    mesh.triangles = std::move(simplified);
    drop_unused_vertices(mesh);
    if (!mesh.normals.empty()) vertex_normals(mesh, mesh.normals);
}

std::int64_t keep_largest_component(Mesh& mesh) {
    mesh_internal::check_triangle_indices(mesh, "keep_largest_component");
    mesh_internal::check_attribute_sizes(mesh, "keep_largest_component");
    std::vector<std::uint32_t> root;
    const std::int64_t components = mesh_internal::vertex_components(mesh, root);
    if (components > 1) {
        // Triangles per component, indexed by the root (the component's smallest vertex).
        std::vector<std::uint32_t> size(mesh.positions.size(), 0);
        for (const auto& triangle : mesh.triangles)
            ++size[root[triangle[0]]];
        // Ties go to the component with the smallest vertex index.
        const auto largest =
            std::uint32_t(std::max_element(size.begin(), size.end()) - size.begin());
        std::erase_if(mesh.triangles,
                      [&](const auto& triangle) { return root[triangle[0]] != largest; });
    }
    drop_unused_vertices(mesh);
    return components;
}

void compute_vertex_normals(Mesh& mesh) {
    mesh_internal::check_triangle_indices(mesh, "compute_vertex_normals");
    MeshArray<Vec3> normals;
    vertex_normals(mesh, normals);
    mesh.normals = std::move(normals);
}

}  // namespace vox
