// voxscope: point clouds from volumes: the slice-stack "shell" of a thresholded volume.
#pragma once

#include <cstdint>
#include <optional>

#include "vox/mesh.h"
#include "vox/volume.h"

namespace vox {

/// How shell_points() selects and places points.
struct ShellOptions {
    /// Voxels with lower <= value <= upper are in the mask (OpenCV's inRange). Integer
    /// volumes compare exactly (a bound is not rounded as cv2 rounds it); float volumes
    /// compare in their own type, as cv2 converts its bounds; NaN is in no range.
    double lower = 0.0;
    double upper = 0.0;
    /// Resample every plane to (rows, columns) before thresholding (bilinear, as
    /// cv2.resize INTER_LINEAR: half-pixel centres, clamped borders, no antialiasing), as
    /// the slice-stack tutorial does to cut the point count. Note cv2.resize's (width,
    /// height) order is the other way round. Samples are computed in double precision and
    /// integer volumes hold them rounded (half away from zero) and saturated; cv2 uses 11-bit
    /// fixed-point weights on u8, so a value may differ by one from cv2's.
    std::optional<std::array<std::int64_t, 2>> resize;
    /// Distance between planes; default: the volume's z spacing.
    std::optional<double> slice_thickness;
    /// Distance between pixels in a plane, both ways; default: the volume's y and x spacing
    /// (times the resize factor when resizing).
    std::optional<double> xy_scale;
};

/// The shell of a thresholded volume as a point cloud: every mask voxel that is on the
/// border of its plane's mask (a 4-neighbour in the plane is outside the mask or the
/// image: the pixels OpenCV's findContours traces) or is exposed to the previous or next
/// plane (its neighbour there is outside the mask, or there is no such plane). This is the
/// slice-stack tutorial's algorithm, done on all cores. Points are (x, y, z) = (column *
/// xy_scale, row * xy_scale, plane * slice_thickness), one per voxel, sorted by x, then y,
/// then z (as numpy.unique sorts them), computed in double precision and then rounded to
/// float. The unit is the volume's spacing unit when neither slice_thickness nor xy_scale
/// is given and the spacing is known, else empty. Working memory besides the 12 bytes per
/// point: about 2 bits per voxel for 64 planes or more (fewer planes are padded to 64 in a
/// transposed copy of the shell, so a single 2D plane needs about 8 bytes per pixel).
/// @throw ValueError if the volume has more than one channel, lower > upper, or a resize
/// extent, slice thickness or scale is not positive.
PointCloud shell_points(const Volume& volume, const ShellOptions& options);

}  // namespace vox
