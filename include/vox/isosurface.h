// voxscope: isosurfaces of volumes as triangle meshes (marching cubes), from scalar
// volumes, masks and label volumes.
#pragma once

#include <cstdint>
#include <vector>

#include "vox/mesh.h"
#include "vox/volume.h"

namespace vox {

/// How isosurface() extracts a surface.
struct IsosurfaceOptions {
    /// The iso level, in the volume's values. Voxels with value > level are inside.
    double level = 0.0;
    /// Sample every step-th voxel along each axis (scikit-image's `step_size`): coarser,
    /// faster meshes. >= 1.
    int step = 1;
    /// Compute vertex normals from the volume's gradient (central differences in
    /// physical units, interpolated along each edge), pointing outward.
    bool normals = true;
    /// Close the surface where it meets the volume's border, as if the volume were padded
    /// with values below the level. Off by default, as in scikit-image.
    bool close_borders = false;
};

/// Extracts the isosurface of a single-channel volume at `options.level` with marching
/// cubes (Lorensen & Cline 1987).
///
/// The result is an indexed mesh: one vertex per crossed voxel edge, shared by the cells
/// around it, at the linearly interpolated crossing, in physical coordinates (see Mesh).
/// Each cell's polygons are traced from its faces with one rule for ambiguous faces (the
/// inside corners stay separated), so neighbouring cells always agree and the surface is
/// watertight away from the volume's border, with every edge shared by two triangles.
/// Triangles wind so that their normals point from the inside (values above the level)
/// outward. Runs on all cores, slab by slab; the output does not depend on the thread
/// count.
/// @throw ValueError if the volume has more than one channel, is smaller than 2 voxels
/// along an axis (after the step), or step < 1.
Mesh isosurface(const Volume& volume, const IsosurfaceOptions& options);

/// The surface of the voxels whose value equals `label` (a mask's 1s, or one object of a
/// label volume): marching cubes at 0.5 on the indicator of the label, computed within the
/// label's bounding box padded by one voxel, so the surface is always closed. Integer
/// volumes only.
/// @throw ValueError if the volume is not single-channel integer, or step < 1.
Mesh label_surface(const Volume& labels, std::int64_t label, int step = 1, bool normals = true);

/// One closed surface per non-zero label, merged into one mesh whose vertices are coloured
/// by the categorical label colormap ("labels", as the figures use). `labels_found`
/// receives the labels in ascending order when not null.
/// @throw ValueError as label_surface().
Mesh label_surfaces(const Volume& labels, int step = 1, bool normals = true,
                    std::vector<std::int64_t>* labels_found = nullptr);

}  // namespace vox
