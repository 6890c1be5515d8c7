// voxscope CLI: one function per command; main() parses flags and calls them.
#pragma once

#include <string>
#include <vector>

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

struct ProcessOptions {
    std::string input;
    std::string output;
    /// Steps as typed on the command line ("gamma:0.5").
    std::vector<std::string> steps;
    /// Steps as JSON, or "@file.json".
    std::string steps_json;
    vox::WriteOptions write;
};

/// `voxscope process IN -o OUT STEPS...`: applies the steps and writes the result.
int run_process(const ProcessOptions& options, const vox::ReadOptions& read_options);

/// `voxscope ops`: the operations `process` knows and their parameters.
int run_ops();

struct HistOptions {
    std::string input;
    int bins = 256;
    /// --bins was given: integer data get that many uniform bins (np.histogram, matplotlib's
    /// hist), not one bin per value (skimage).
    bool bins_given = false;
    bool cdf = false;
    bool json = false;
    /// One channel, or -1 for all channels together.
    std::int64_t channel = -1;
    std::string source_range = "image";
    /// One histogram per channel over shared bins.
    bool per_channel = false;
    /// Draw the histogram to this figure (.png, .svg, .pdf) instead of printing it.
    std::string output;
    /// Figure only: a logarithmic count axis.
    bool log = false;
    /// Figure only: colour each bar by its bin centre with this colormap.
    std::string colormap;
    /// Figure only: the figure's title.
    std::string title;
};

/// `voxscope hist IN`: histogram counts (skimage.exposure.histogram) and optionally the CDF,
/// printed, or drawn as a figure with -o (one plot per channel with --per-channel).
int run_hist(const HistOptions& options, const vox::ReadOptions& read_options);

struct LabelsOptions {
    std::string input;
    /// Empty: the input is a label image. Else a threshold method or level, and the
    /// components above it are labelled first.
    std::string threshold;
    std::int64_t channel = 0;
    int connectivity = 26;
    std::int64_t min_voxels = 1;
    bool json = false;
    /// Where to write the label image, if anywhere.
    std::string output;
};

/// `voxscope labels IN`: per-label statistics (skimage.measure.regionprops) of a label
/// image, or of the connected components above a threshold.
int run_labels(const LabelsOptions& options, const vox::ReadOptions& read_options);

/// `voxscope samples`: the built-in samples and their parameters.
int run_samples();

/// `voxscope formats`: the file formats and their extensions.
int run_formats();

}  // namespace voxscope
