// voxscope: the facts `voxscope info` reports about a volume, for people and machines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vox/stats.h"
#include "vox/volume.h"

namespace vox {

/// Percentiles reported per channel: the tutorial's 0.5% clip points and the median.
inline constexpr double kSummaryPercentiles[] = {0.5, 50.0, 99.5};

/// What a user wants to know first about a dataset.
struct VolumeSummary {
    std::string source;
    Shape shape;
    PixelType pixel_type = PixelType::u8;
    std::int64_t size_bytes = 0;
    Spacing spacing;
    std::optional<Affine> affine;
    std::vector<std::string> channel_names;
    VolumeStats stats;
    /// Per channel, the values at kSummaryPercentiles.
    std::vector<std::vector<double>> channel_percentiles;
    std::map<std::string, std::string> metadata;
};

/// Gathers the summary: statistics and percentiles of every channel.
VolumeSummary summarize(const Volume& volume, std::string source);

/// The summary as a JSON document (schema "voxscope.info/1"), pretty-printed.
std::string summary_to_json(const VolumeSummary& summary);

/// The summary as aligned text for a terminal, ending with a loud warning when
/// the spacing is unknown.
std::string summary_to_text(const VolumeSummary& summary);

}  // namespace vox
