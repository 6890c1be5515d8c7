// voxscope: triangle meshes and point clouds, their statistics and their files (PLY, STL, OBJ).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace vox {

/// std::allocator, except that `resize(n)` and `vector(n)` leave new elements
/// default-initialised (for the arrays of numbers below: not written) instead of zeroed. A
/// mesh extractor sizes arrays of tens of millions of entries and then writes every one on
/// all cores; zeroing them first would be a serial pass over memory for nothing.
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
    template <typename U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    DefaultInitAllocator() noexcept = default;
    template <typename U>
    DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}

    template <typename U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

/// The array type of Mesh and PointCloud: a std::vector whose `resize(n)` does not zero
/// the new entries (write them before reading them); `resize(n, value)` fills as usual.
template <typename T>
using MeshArray = std::vector<T, DefaultInitAllocator<T>>;

/// An indexed triangle mesh in physical coordinates.
///
/// Positions are (x, y, z): x along the volume's columns, y along its rows, z along its
/// planes, in the volume's length unit, with voxel (0, 0, 0)'s centre at the origin
/// (scikit-image's `marching_cubes(spacing=...)` convention with the axes in x, y, z order).
/// Triangles wind counterclockwise seen from outside (right-hand normals point outward).
/// `normals` and `colors` are empty or hold one entry per vertex.
struct Mesh {
    MeshArray<std::array<float, 3>> positions;
    MeshArray<std::array<float, 3>> normals;
    MeshArray<std::array<std::uint8_t, 3>> colors;
    MeshArray<std::array<std::uint32_t, 3>> triangles;
    /// Length unit of the positions ("µm"); empty when the source had no spacing.
    std::string unit;

    std::size_t vertex_count() const { return positions.size(); }
    std::size_t triangle_count() const { return triangles.size(); }
    bool empty() const { return triangles.empty(); }
};

/// Points in physical coordinates (x, y, z), as Mesh's positions; `normals` and `colors`
/// are empty or hold one entry per point.
struct PointCloud {
    MeshArray<std::array<float, 3>> positions;
    MeshArray<std::array<float, 3>> normals;
    MeshArray<std::array<std::uint8_t, 3>> colors;
    std::string unit;

    std::size_t size() const { return positions.size(); }
    bool empty() const { return positions.empty(); }
};

/// What mesh_statistics() measures.
struct MeshStatistics {
    std::int64_t vertices = 0;
    std::int64_t triangles = 0;
    /// Surface area in unit².
    double area = 0.0;
    /// Signed enclosed volume in unit³ (divergence theorem): positive for a closed mesh
    /// whose normals point outward. Meaningful only when `closed`.
    double volume = 0.0;
    /// Every edge is shared by exactly two triangles that traverse it in opposite
    /// directions (watertight and consistently oriented).
    bool closed = false;
    /// No edge is shared by more than two triangles, and the triangles around every vertex
    /// form a single fan (no two surfaces touch at a vertex).
    bool manifold = false;
    /// Edges used by one triangle only (holes and open borders).
    std::int64_t boundary_edges = 0;
    /// Connected components (triangles sharing vertices).
    std::int64_t components = 0;
    /// Axis-aligned bounds of the positions, (x, y, z); zeros for an empty mesh.
    std::array<double, 3> bounds_min{0.0, 0.0, 0.0};
    std::array<double, 3> bounds_max{0.0, 0.0, 0.0};
};

/// Measures a mesh. Area and volume are summed in double precision, in a fixed order (the
/// result does not depend on the thread count). Triangles that repeat a vertex index have no
/// area and are left out of the edge checks; `closed` and `manifold` are false for a mesh
/// without triangles. Runs on all cores.
/// @throw ValueError naming the triangle if one uses a vertex index out of range.
MeshStatistics mesh_statistics(const Mesh& mesh);

/// Mesh and point file formats.
enum class MeshFormat : std::uint8_t { ply, stl, obj };

/// The format named by a path's extension (.ply, .stl, .obj; any case).
/// @throw ValueError naming the path if the extension is none of these.
MeshFormat mesh_format_of(std::string_view path);

/// How write_mesh() and write_points() write.
struct MeshWriteOptions {
    /// PLY only: ASCII instead of binary little-endian. STL is always binary.
    bool ascii = false;
    /// Write the vertex normals when the mesh has them (PLY nx/ny/nz, OBJ vn).
    bool normals = true;
    /// Write the vertex colours when the mesh has them (PLY red/green/blue uchar; OBJ as
    /// the common "v x y z r g b" extension with components in [0, 1]).
    bool colors = true;
};

/// Writes a mesh to `path` in the format of its extension, atomically (a temporary file
/// renamed at the end; the target is never left half written).
/// - PLY: binary little-endian (or ASCII), vertex x/y/z float, optional nx/ny/nz float and
///   red/green/blue uchar, faces as "list uchar int vertex_indices".
/// - STL: binary, one facet normal per triangle computed from its vertices.
/// - OBJ: "v", optional "vn", and "f a//a b//b c//c" (1-based).
/// @throw ValueError if the extension is unknown or an index is out of range.
/// @throw IoError naming the file if it cannot be written.
void write_mesh(const std::string& path, const Mesh& mesh, const MeshWriteOptions& options = {});

/// Writes points to a .ply (vertices only, binary or ASCII) or .obj ("v" lines) file,
/// atomically.
/// @throw ValueError for STL (which holds triangles only) or an unknown extension.
/// @throw IoError naming the file if it cannot be written.
void write_points(const std::string& path, const PointCloud& points,
                  const MeshWriteOptions& options = {});

}  // namespace vox
