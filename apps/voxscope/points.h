// voxscope CLI: point clouds (`points`): the slice-stack shell of a thresholded volume.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "read_flags.h"

namespace voxscope {

/// The points command's flags as typed.
struct PointsFlags {
    std::string input;
    std::string output;
    /// "LOW:HIGH", inclusive (cv2.inRange).
    std::string range;
    /// "ROWSxCOLUMNS": every plane resampled before thresholding; empty: no resize.
    std::string resize;
    std::optional<double> slice_thickness;
    std::optional<double> xy_scale;
    /// The channel of a multichannel volume; -1: not given (required when there are several).
    std::int64_t channel = -1;
    bool ascii = false;
};

/// Adds `points`: the shell of a thresholded volume as a point cloud (.ply or .obj).
CLI::App* add_points_command(CLI::App& app, PointsFlags& flags, ReadFlags& read);

/// `voxscope points IN -o OUT.ply --range LOW:HIGH`: writes the points and prints their
/// count and physical bounds.
/// @throw vox::ValueError for a bad flag (before the input is read), vox::IoError and the
/// readers' errors for the input and output.
int run_points(const PointsFlags& flags, const vox::ReadOptions& read_options);

}  // namespace voxscope
