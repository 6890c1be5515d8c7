// voxscope: mesh post-processing: smoothing, decimation and connected components.
#pragma once

#include <cstdint>

#include "vox/mesh.h"

namespace vox {

/// Taubin's λ|μ smoothing (Taubin 1995, "A signal processing approach to fair surface
/// design"): each iteration moves every vertex by λ times the umbrella Laplacian (the mean
/// of its neighbours minus itself), then by μ times it. With μ < -λ < 0 the surface is
/// smoothed without the shrinkage of plain Laplacian smoothing. Normals, when present, are
/// recomputed from the smoothed triangles (area-weighted). Runs on all cores.
/// On an interrupt the mesh is left as it was.
/// @throw ValueError if iterations < 0, lambda is not in (0, 1), mu is not < -lambda, or a
/// triangle uses a vertex index out of range.
void smooth_taubin(Mesh& mesh, int iterations, double lambda = 0.5, double mu = -0.53);

/// What decimate() aims at.
struct DecimateOptions {
    /// Fraction of the triangles to keep, in (0, 1].
    double ratio = 0.5;
    /// Largest deviation allowed, relative to the mesh's extent (meshoptimizer's
    /// target_error); the simplifier stops at whichever of the two comes first.
    double target_error = 1e-2;
};

/// Simplifies a mesh with meshoptimizer's edge-collapse simplifier (meshopt_simplify), which
/// keeps the topology and the borders, then drops the vertices no triangle uses. Colours
/// follow the kept vertices; normals, when present, are recomputed from the simplified
/// triangles. The target is floor(ratio * triangles) triangles; the simplifier may stop
/// short of it when reaching it would exceed target_error or change the topology (with
/// target_error 0 a curved surface barely changes). Runs on one core.
/// @throw ValueError if ratio is not in (0, 1] or target_error < 0, if a triangle uses a
/// vertex index out of range, or if normals or colours are neither empty nor one per vertex.
void decimate(Mesh& mesh, const DecimateOptions& options);

/// Keeps the connected component (triangles sharing vertices) with the most triangles and
/// drops the rest, and the vertices it does not use (all of them if there is no triangle);
/// on a tie the component holding the lowest vertex index is kept. Normals and colours
/// follow the kept vertices. Returns the number of components the mesh had.
/// @throw ValueError as decimate() does for bad indices, normals or colours.
std::int64_t keep_largest_component(Mesh& mesh);

/// Recomputes per-vertex normals as the area-weighted mean of the adjacent triangles'
/// normals (unit length; zero for unused vertices).
/// @throw ValueError if a triangle uses a vertex index out of range.
void compute_vertex_normals(Mesh& mesh);

}  // namespace vox
