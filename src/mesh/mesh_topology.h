// voxscope: mesh topology helpers shared by the statistics and the post-processing
// (internal; defined in mesh_statistics.cpp).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "vox/mesh.h"

namespace vox::mesh_internal {

/// The triangles around each vertex, as a compressed row list.
struct VertexTriangles {
    /// Triangles of vertex v: triangles[offsets[v] .. offsets[v + 1]), ascending, without
    /// those that repeat a vertex index.
    std::vector<std::size_t> offsets;
    std::vector<std::uint32_t> triangles;
};

/// @throw ValueError "FUNCTION: triangle T uses vertex V but the mesh has N vertices".
void check_triangle_indices(const Mesh& mesh, std::string_view function);
/// @throw ValueError unless normals and colours are empty or one per vertex.
void check_attribute_sizes(const Mesh& mesh, std::string_view function);
VertexTriangles vertex_triangles(const Mesh& mesh);
/// Labels each vertex with a representative of its component (vertices joined by
/// triangles) in `root`; returns the number of components that have triangles.
std::int64_t vertex_components(const Mesh& mesh, std::vector<std::uint32_t>& root);

}  // namespace vox::mesh_internal
