// voxscope: mesh_statistics (mesh.h), and the topology helpers mesh_processing.cpp shares.
//
// Edges are not sorted globally: every undirected edge {v, x} with v < x is examined at its
// smaller vertex v, from v's list of incident triangles (a CSR built with one counting pass).
// The same small per-vertex list answers whether v's triangles form a single fan, so one
// parallel pass over the vertices finds boundary, non-manifold and mis-oriented edges and
// non-manifold vertices. Components come from a lock-free union-find (link the larger root
// under the smaller with compare-and-swap; see Jayanti & Tarjan, "Concurrent disjoint set
// union", 2016), so every pass runs on all cores.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "mesh_topology.h"
#include "vox/error.h"
#include "vox/mesh.h"
#include "vox/parallel.h"

namespace vox::mesh_internal {

namespace {

constexpr std::int64_t kGrain = std::int64_t(1) << 14;

template <typename T>
std::atomic_ref<T> atomic(T& value) {
    return std::atomic_ref<T>(value);
}

std::uint32_t find_root(std::vector<std::uint32_t>& parent, std::uint32_t x) {
    for (;;) {
        const std::uint32_t p = atomic(parent[x]).load(std::memory_order_relaxed);
        if (p == x) return x;
        const std::uint32_t grandparent = atomic(parent[p]).load(std::memory_order_relaxed);
        // Path halving; safe concurrently since x is no root and grandparent is an ancestor.
        if (grandparent != p) atomic(parent[x]).store(grandparent, std::memory_order_relaxed);
        x = grandparent;
    }
}

void unite(std::vector<std::uint32_t>& parent, std::uint32_t a, std::uint32_t b) {
    for (;;) {
        a = find_root(parent, a);
        b = find_root(parent, b);
        if (a == b) return;
        if (a < b) std::swap(a, b);
        // Only a root is ever linked, and always under a smaller index: no cycles.
        std::uint32_t expected = a;
        if (atomic(parent[a]).compare_exchange_weak(expected, b, std::memory_order_relaxed)) return;
    }
}

// A triangle with no area, left out of the edge checks.
bool repeats_a_vertex(const std::array<std::uint32_t, 3>& triangle) {
    return triangle[0] == triangle[1] || triangle[1] == triangle[2] || triangle[0] == triangle[2];
}

}  // namespace

void check_triangle_indices(const Mesh& mesh, std::string_view function) {
    const std::size_t vertex_count = mesh.positions.size();
    const auto& triangles = mesh.triangles;
    std::atomic<bool> bad{false};
    parallel_for(0, std::int64_t(triangles.size()), kGrain,
                 [&](std::int64_t begin, std::int64_t end) {
                     std::uint32_t largest = 0;
                     for (std::int64_t t = begin; t < end; ++t)
                         for (const std::uint32_t index : triangles[std::size_t(t)])
                             largest = std::max(largest, index);
                     if (largest >= vertex_count) bad = true;
                 });
    if (!bad) return;
    // The first offender, for the message.
    for (std::size_t t = 0; t < triangles.size(); ++t) {
        for (const std::uint32_t index : triangles[t]) {
            if (index >= vertex_count)
                throw ValueError(
                    fmt::format("{}: triangle {} uses vertex {} but the mesh has {} "
                                "vertices",
                                function, t, index, vertex_count));
        }
    }
}

void check_attribute_sizes(const Mesh& mesh, std::string_view function) {
    const std::size_t vertex_count = mesh.positions.size();
    if (!mesh.normals.empty() && mesh.normals.size() != vertex_count)
        throw ValueError(fmt::format("{}: the mesh has {} normals for {} vertices", function,
                                     mesh.normals.size(), vertex_count));
    if (!mesh.colors.empty() && mesh.colors.size() != vertex_count)
        throw ValueError(fmt::format("{}: the mesh has {} colours for {} vertices", function,
                                     mesh.colors.size(), vertex_count));
}

VertexTriangles vertex_triangles(const Mesh& mesh) {
    const auto& triangles = mesh.triangles;
    const std::size_t vertex_count = mesh.positions.size();
    // Each part owns a range of vertices and scans all the triangles for them: no atomics
    // (a locked increment per corner costs more than the extra scan on a few cores), and
    // every list comes out in ascending triangle order, so later sums are reproducible.
    const std::int64_t parts =
        vertex_count >= std::size_t(kGrain) ? std::clamp(thread_count(), 1, 8) : 1;
    const auto part_begin = [&](std::int64_t part) {
        return std::uint32_t(std::size_t(part) * vertex_count / std::size_t(parts));
    };
    VertexTriangles result;
    result.offsets.assign(vertex_count + 1, 0);
    std::size_t* degree = result.offsets.data() + 1;
    parallel_for(0, parts, 1, [&](std::int64_t part_first, std::int64_t part_last) {
        for (std::int64_t part = part_first; part < part_last; ++part) {
            const std::uint32_t first = part_begin(part), last = part_begin(part + 1);
            for (const auto& triangle : triangles) {
                if (repeats_a_vertex(triangle)) continue;
                for (const std::uint32_t v : triangle)
                    if (v >= first && v < last) ++degree[v];
            }
        }
    });
    for (std::size_t v = 0; v < vertex_count; ++v)
        degree[v] += result.offsets[v];
    result.triangles.resize(result.offsets[vertex_count]);
    parallel_for(0, parts, 1, [&](std::int64_t part_first, std::int64_t part_last) {
        for (std::int64_t part = part_first; part < part_last; ++part) {
            const std::uint32_t first = part_begin(part), last = part_begin(part + 1);
            // Where the next triangle of each of the part's vertices goes.
            std::vector<std::size_t> cursor(result.offsets.begin() + first,
                                            result.offsets.begin() + last);
            for (std::size_t t = 0; t < triangles.size(); ++t) {
                if (repeats_a_vertex(triangles[t])) continue;
                for (const std::uint32_t v : triangles[t])
                    if (v >= first && v < last)
                        result.triangles[cursor[v - first]++] = std::uint32_t(t);
            }
        }
    });
    return result;
}

std::int64_t vertex_components(const Mesh& mesh, std::vector<std::uint32_t>& root) {
    const auto& triangles = mesh.triangles;
    const std::size_t vertex_count = mesh.positions.size();
    root.resize(vertex_count);
    std::vector<std::uint8_t> used(vertex_count, 0);
    parallel_for(0, std::int64_t(vertex_count), kGrain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t v = begin; v < end; ++v)
            root[std::size_t(v)] = std::uint32_t(v);
    });
    parallel_for(0, std::int64_t(triangles.size()), kGrain,
                 [&](std::int64_t begin, std::int64_t end) {
                     for (std::int64_t t = begin; t < end; ++t) {
                         const auto& triangle = triangles[std::size_t(t)];
                         for (const std::uint32_t v : triangle)
                             atomic(used[v]).store(1, std::memory_order_relaxed);
                         unite(root, triangle[0], triangle[1]);
                         unite(root, triangle[0], triangle[2]);
                     }
                 });
    std::atomic<std::int64_t> components{0};
    parallel_for(0, std::int64_t(vertex_count), kGrain, [&](std::int64_t begin, std::int64_t end) {
        std::int64_t count = 0;
        for (std::int64_t v = begin; v < end; ++v) {
            const std::uint32_t r = find_root(root, std::uint32_t(v));
            if (r == std::uint32_t(v) && used[std::size_t(v)]) ++count;
            atomic(root[std::size_t(v)]).store(r, std::memory_order_relaxed);
        }
        components += count;
    });
    return components.load();
}

}  // namespace vox::mesh_internal

namespace vox {
namespace {

using mesh_internal::kGrain;

// Per-block partial sums, added in block order so that the result does not depend on threads.
constexpr std::int64_t kBlock = std::int64_t(1) << 16;

struct Sums {
    double area = 0.0;
    double volume = 0.0;
};

Sums area_and_volume(const Mesh& mesh) {
    const auto& p = mesh.positions;
    const auto& triangles = mesh.triangles;
    const auto triangle_count = std::int64_t(triangles.size());
    const std::int64_t block_count = (triangle_count + kBlock - 1) / kBlock;
    std::vector<Sums> partial(static_cast<std::size_t>(block_count));
    parallel_for(0, block_count, 1, [&](std::int64_t block_begin, std::int64_t block_end) {
        for (std::int64_t block = block_begin; block < block_end; ++block) {
            Sums sums;
            const std::int64_t end = std::min(triangle_count, (block + 1) * kBlock);
            for (std::int64_t t = block * kBlock; t < end; ++t) {
                const auto& triangle = triangles[std::size_t(t)];
                const auto& a = p[triangle[0]];
                const auto& b = p[triangle[1]];
                const auto& c = p[triangle[2]];
                const double ax = a[0], ay = a[1], az = a[2];
                const double bx = b[0], by = b[1], bz = b[2];
                const double cx = c[0], cy = c[1], cz = c[2];
                const double ux = bx - ax, uy = by - ay, uz = bz - az;
                const double vx = cx - ax, vy = cy - ay, vz = cz - az;
                const double nx = uy * vz - uz * vy;
                const double ny = uz * vx - ux * vz;
                const double nz = ux * vy - uy * vx;
                // Twice the area, and det(a, b, c): six times the signed volume of the
                // tetrahedron with the origin; the factors are applied once at the end.
                sums.area += std::sqrt(nx * nx + ny * ny + nz * nz);
                sums.volume +=
                    ax * (by * cz - bz * cy) + ay * (bz * cx - bx * cz) + az * (bx * cy - by * cx);
            }
            partial[std::size_t(block)] = sums;
        }
    });
    Sums total;
    for (const Sums& sums : partial) {
        total.area += sums.area;
        total.volume += sums.volume;
    }
    total.area /= 2.0;
    total.volume /= 6.0;
    return total;
}

void compute_bounds(const Mesh& mesh, MeshStatistics& stats) {
    const auto& p = mesh.positions;
    const auto vertex_count = std::int64_t(p.size());
    if (vertex_count == 0) return;
    const std::int64_t block_count = (vertex_count + kBlock - 1) / kBlock;
    std::vector<std::array<float, 6>> partial(static_cast<std::size_t>(block_count));
    parallel_for(0, block_count, 1, [&](std::int64_t block_begin, std::int64_t block_end) {
        for (std::int64_t block = block_begin; block < block_end; ++block) {
            const std::int64_t begin = block * kBlock;
            const std::int64_t end = std::min(vertex_count, begin + kBlock);
            std::array<float, 6> box{p[std::size_t(begin)][0], p[std::size_t(begin)][1],
                                     p[std::size_t(begin)][2], p[std::size_t(begin)][0],
                                     p[std::size_t(begin)][1], p[std::size_t(begin)][2]};
            for (std::int64_t v = begin; v < end; ++v) {
                for (int axis = 0; axis < 3; ++axis) {
                    box[axis] = std::min(box[axis], p[std::size_t(v)][axis]);
                    box[axis + 3] = std::max(box[axis + 3], p[std::size_t(v)][axis]);
                }
            }
            partial[std::size_t(block)] = box;
        }
    });
    std::array<float, 6> box = partial[0];
    for (const auto& part : partial) {
        for (int axis = 0; axis < 3; ++axis) {
            box[axis] = std::min(box[axis], part[axis]);
            box[axis + 3] = std::max(box[axis + 3], part[axis + 3]);
        }
    }
    for (int axis = 0; axis < 3; ++axis) {
        stats.bounds_min[axis] = box[axis];
        stats.bounds_max[axis] = box[axis + 3];
    }
}

// One incident edge {v, other} seen from v, packed for sorting by `other`:
// other << 32 | (index of the triangle in v's list) << 1 | (1 if the triangle runs v -> other).
using Spoke = std::uint64_t;

void sort_spokes(Spoke* begin, Spoke* end) {
    if (end - begin > 32) {
        std::sort(begin, end);
        return;
    }
    // Valences are small: insertion sort beats std::sort's set-up.
    for (Spoke* i = begin + 1; i < end; ++i) {
        const Spoke value = *i;
        Spoke* j = i;
        for (; j > begin && *(j - 1) > value; --j)
            *j = *(j - 1);
        *j = value;
    }
}

struct EdgeCounts {
    std::int64_t boundary_edges = 0;
    bool all_paired = true;     // every edge used twice, in opposite directions
    bool edge_manifold = true;  // no edge used more than twice
    bool vertex_manifold = true;
};

std::uint32_t local_root(std::vector<std::uint32_t>& parent, std::uint32_t x) {
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

EdgeCounts count_edges(const Mesh& mesh) {
    const mesh_internal::VertexTriangles incidence = mesh_internal::vertex_triangles(mesh);
    const auto& triangles = mesh.triangles;
    const auto vertex_count = std::int64_t(mesh.positions.size());
    std::atomic<std::int64_t> boundary_edges{0};
    std::atomic<bool> all_paired{true}, edge_manifold{true}, vertex_manifold{true};
    parallel_for(0, vertex_count, kGrain, [&](std::int64_t begin, std::int64_t end) {
        // Reused for every vertex of the chunk; they only grow past the largest valence.
        std::vector<Spoke> spokes;
        std::vector<std::uint32_t> fan_parent;
        EdgeCounts counts;
        for (std::int64_t vertex = begin; vertex < end; ++vertex) {
            const auto v = std::uint32_t(vertex);
            const std::size_t first = incidence.offsets[std::size_t(v)];
            const std::size_t count = incidence.offsets[std::size_t(v) + 1] - first;
            if (count == 0) continue;
            if (spokes.size() < 2 * count) {
                spokes.resize(2 * count);
                fan_parent.resize(count);
            }
            for (std::size_t i = 0; i < count; ++i) {
                const auto& triangle = triangles[incidence.triangles[first + i]];
                const int corner = triangle[0] == v ? 0 : (triangle[1] == v ? 1 : 2);
                spokes[2 * i] = Spoke(triangle[(corner + 1) % 3]) << 32 | Spoke(i) << 1 | 1u;
                spokes[2 * i + 1] = Spoke(triangle[(corner + 2) % 3]) << 32 | Spoke(i) << 1;
                fan_parent[i] = std::uint32_t(i);
            }
            const std::size_t spoke_count = 2 * count;
            sort_spokes(spokes.data(), spokes.data() + spoke_count);
            std::size_t fans = count;
            for (std::size_t i = 0; i < spoke_count;) {
                const auto other = std::uint32_t(spokes[i] >> 32);
                std::size_t j = i + 1;
                while (j < spoke_count && std::uint32_t(spokes[j] >> 32) == other)
                    ++j;
                // Triangles sharing the edge {v, other} belong to the same fan around v.
                for (std::size_t k = i + 1; k < j; ++k) {
                    const std::uint32_t a =
                        local_root(fan_parent, std::uint32_t(spokes[i] & 0xFFFFFFFFu) >> 1);
                    const std::uint32_t b =
                        local_root(fan_parent, std::uint32_t(spokes[k] & 0xFFFFFFFFu) >> 1);
                    if (a != b) {
                        fan_parent[std::max(a, b)] = std::min(a, b);
                        --fans;
                    }
                }
                if (other > v) {  // each edge is counted at its smaller vertex
                    const std::size_t uses = j - i;
                    if (uses == 1) ++counts.boundary_edges;
                    if (uses > 2) counts.edge_manifold = false;
                    if (uses != 2 || (spokes[i] & 1u) == (spokes[i + 1] & 1u))
                        counts.all_paired = false;
                }
                i = j;
            }
            if (fans != 1) counts.vertex_manifold = false;
        }
        boundary_edges += counts.boundary_edges;
        if (!counts.all_paired) all_paired = false;
        if (!counts.edge_manifold) edge_manifold = false;
        if (!counts.vertex_manifold) vertex_manifold = false;
    });
    EdgeCounts counts;
    counts.boundary_edges = boundary_edges.load();
    counts.all_paired = all_paired.load();
    counts.edge_manifold = edge_manifold.load();
    counts.vertex_manifold = vertex_manifold.load();
    return counts;
}

}  // namespace

MeshStatistics mesh_statistics(const Mesh& mesh) {
    mesh_internal::check_triangle_indices(mesh, "mesh_statistics");
    MeshStatistics stats;
    stats.vertices = std::int64_t(mesh.positions.size());
    stats.triangles = std::int64_t(mesh.triangles.size());
    compute_bounds(mesh, stats);
    if (mesh.triangles.empty()) return stats;

    const Sums sums = area_and_volume(mesh);
    stats.area = sums.area;
    stats.volume = sums.volume;
    const EdgeCounts counts = count_edges(mesh);
    const bool any_proper =
        std::any_of(mesh.triangles.begin(), mesh.triangles.end(),
                    [](const auto& t) { return !mesh_internal::repeats_a_vertex(t); });
    stats.boundary_edges = counts.boundary_edges;
    stats.closed = any_proper && counts.all_paired;
    stats.manifold = any_proper && counts.edge_manifold && counts.vertex_manifold;
    std::vector<std::uint32_t> root;
    stats.components = mesh_internal::vertex_components(mesh, root);
    return stats;
}

}  // namespace vox
