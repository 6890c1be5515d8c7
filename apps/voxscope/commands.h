// voxscope CLI: one function per command; main() parses flags and calls them.
#pragma once

#include <string>

#include "vox/io.h"

namespace voxscope {

/// `voxscope info PATH [--json]`: prints the volume summary.
int run_info(const std::string& path, const vox::ReadOptions& read_options, bool json);

struct ConvertOptions {
    std::string input;
    std::string output;
    /// Output pixel type; empty keeps the input's.
    std::string dtype;
    /// How values reach a narrower type: exact (the default: refuse if any value would
    /// change), clip, rescale or skimage.
    std::string cast = "exact";
    vox::WriteOptions write;
};

/// `voxscope convert IN OUT`: reads, optionally changes the pixel type, writes atomically.
/// Refuses to write over the input.
int run_convert(const ConvertOptions& options, const vox::ReadOptions& read_options);

/// `voxscope samples`: the built-in samples and their parameters.
int run_samples();

/// `voxscope formats`: the file formats and their extensions.
int run_formats();

}  // namespace voxscope
