// voxscope CLI: `compare`, the exposure tutorial's grid of a plane before and after
// processing steps, with each version's histogram under it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "figures.h"
#include "vox/io.h"
#include "vox/pipeline.h"

namespace voxscope {

struct CompareOptions {
    std::string input;
    std::string output;
    /// ';'-separated versions, each space-separated process steps (vox::parse_versions()).
    std::string versions = "gamma:0.5;gamma:1.5";
    std::string axis = "z";
    /// Voxel index along the axis; -1: the middle.
    std::int64_t index = -1;
    /// The channel compared; -1: the only one (multi-channel volumes must choose).
    std::int64_t channel = -1;
    /// Histogram bins, as matplotlib's ax.hist(data.ravel(), bins=256).
    int bins = 256;
    DisplayFlags display;
};

/// `voxscope compare IN -o OUT`: row 1 the plane of the original and of each version
/// (steps applied to the whole volume), each with its own display range unless --range is
/// given; row 2 each one's histogram.
/// @throw ValueError for a bad flag, version or output extension.
int run_compare(const CompareOptions& options, const vox::ReadOptions& read_options);

/// The title of a version's panel: "Gamma = 0.5" for a lone gamma step, "Equalized",
/// "Clip 0.5%–99.5%", else the version's text.
std::string version_title(const std::string& text, const std::vector<vox::Step>& steps);

}  // namespace voxscope
