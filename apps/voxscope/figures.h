// voxscope CLI: the figure commands (slice, ortho) and their display flags.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "vox/io.h"

namespace voxscope {

/// How channels are coloured, as typed: comma-separated lists with one entry per channel
/// (a single entry applies to every channel).
struct DisplayFlags {
    std::string colormaps;  // "gray" or "green,magenta"
    std::string range;      // "image" (default), "dtype", "LOW:HIGH", or "p0.5:99.5"
    std::string gamma;      // "1" or "1,0.8"
    std::string channels;   // visible channels, "0,1"; empty: all
    double zoom = 1.0;
    std::string title;
    bool colorbar = false;
    bool no_scale_bar = false;
};

/// Adds --cmap, --range, --gamma, --channels, --zoom, --title, --colorbar, --no-scale-bar.
void add_display_flags(CLI::App& command, DisplayFlags& flags);

struct SliceOptions {
    std::string input;
    std::string output;
    std::string axis = "z";
    /// Voxel index along the axis; -1: the middle.
    std::int64_t index = -1;
    /// Physical position along the axis (in the spacing's unit), instead of an index.
    std::string position;
    DisplayFlags display;
};

/// `voxscope slice IN -o OUT`: one plane, in physical proportions.
int run_slice(const SliceOptions& options, const vox::ReadOptions& read_options);

struct OrthoOptions {
    std::string input;
    std::string output;
    /// "z,y,x" voxel indices; empty: the centre.
    std::string point;
    bool crosshairs = false;
    DisplayFlags display;
};

/// `voxscope ortho IN -o OUT`: plane, row and column through one point.
int run_ortho(const OrthoOptions& options, const vox::ReadOptions& read_options);

}  // namespace voxscope
