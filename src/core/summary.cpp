#include "vox/summary.h"

#include <array>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vox {
namespace {

// JSON has no NaN or infinity: they are written as null.
nlohmann::ordered_json number(double value) {
    return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json stats_json(const ValueStats& stats) {
    return {{"min", number(stats.min)}, {"max", number(stats.max)}, {"mean", number(stats.mean)},
            {"std", number(stats.std)}, {"count", stats.count},     {"nan_count", stats.nan_count}};
}

// Integers print as integers; other values with 6 significant digits.
std::string format_value(double value, bool integer_type) {
    if (std::isnan(value)) return "nan";
    if (integer_type) return fmt::format("{:.0f}", value);
    return fmt::format("{:.6g}", value);
}

std::string format_number(double value) {
    return fmt::format("{:.6g}", value);
}

}  // namespace

VolumeSummary summarize(const Volume& volume, std::string source) {
    VolumeSummary summary;
    summary.source = std::move(source);
    summary.shape = volume.shape();
    summary.pixel_type = volume.pixel_type();
    summary.size_bytes = volume.size_bytes();
    summary.spacing = volume.spacing();
    summary.affine = volume.affine();
    summary.channel_names = volume.channel_names();
    summary.metadata = volume.metadata();
    summary.stats = compute_stats(volume);
    for (std::int64_t c = 0; c < volume.shape().c; ++c) {
        summary.channel_percentiles.push_back(percentiles(volume.channel(c), kSummaryPercentiles));
    }
    return summary;
}

std::string summary_to_json(const VolumeSummary& summary) {
    nlohmann::ordered_json channels = nlohmann::ordered_json::array();
    for (std::size_t c = 0; c < summary.stats.channels.size(); ++c) {
        nlohmann::ordered_json channel = {{"index", c}, {"name", summary.channel_names[c]}};
        channel.update(stats_json(summary.stats.channels[c]));
        nlohmann::ordered_json percentiles = nlohmann::ordered_json::object();
        for (std::size_t i = 0; i < std::size(kSummaryPercentiles); ++i) {
            percentiles[format_number(kSummaryPercentiles[i])] =
                number(summary.channel_percentiles[c][i]);
        }
        channel["percentiles"] = percentiles;
        channels.push_back(channel);
    }
    const Spacing& spacing = summary.spacing;
    const auto normalized = spacing.normalized();
    nlohmann::ordered_json document = {
        {"schema", "voxscope.info/1"},
        {"source", summary.source},
        {"shape", {summary.shape.z, summary.shape.y, summary.shape.x, summary.shape.c}},
        {"axes", {"z", "y", "x", "c"}},
        {"dtype", pixel_type_name(summary.pixel_type)},
        {"numpy_dtype", numpy_dtype_name(summary.pixel_type)},
        {"size_bytes", summary.size_bytes},
        {"spacing",
         {{"known", spacing.known},
          {"zyx",
           spacing.known ? nlohmann::ordered_json(spacing.zyx) : nlohmann::ordered_json(nullptr)},
          {"normalized_zyx",
           spacing.known ? nlohmann::ordered_json(normalized) : nlohmann::ordered_json(nullptr)},
          {"unit", spacing.known ? nlohmann::ordered_json(spacing.unit)
                                 : nlohmann::ordered_json(nullptr)}}},
        {"affine", summary.affine ? nlohmann::ordered_json(*summary.affine)
                                  : nlohmann::ordered_json(nullptr)},
        {"range", stats_json(summary.stats.global)},
        {"channels", channels},
        {"metadata", summary.metadata},
    };
    // Metadata holds what the file holds: bytes that are not UTF-8 become U+FFFD.
    return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string summary_to_text(const VolumeSummary& summary) {
    const Shape& shape = summary.shape;
    const bool integer_type = !is_float(summary.pixel_type);
    std::string text;
    auto line = [&](std::string_view label, const std::string& value) {
        text += fmt::format("{:<10}{}\n", label, value);
    };
    line("source", summary.source);
    for (const auto& [key, label] :
         {std::pair{"format", "format"}, std::pair{"description", "about"}}) {
        if (const auto found = summary.metadata.find(key); found != summary.metadata.end()) {
            line(label, found->second);
        }
    }
    line("shape",
         fmt::format("{} x {} x {} x {}  (z, y, x, c)", shape.z, shape.y, shape.x, shape.c));
    line("dtype", fmt::format("{} ({})", pixel_type_name(summary.pixel_type),
                              numpy_dtype_name(summary.pixel_type)));
    line("memory",
         fmt::format("{} ({} bytes)", format_bytes(summary.size_bytes), summary.size_bytes));
    const Spacing& spacing = summary.spacing;
    if (spacing.known) {
        const auto normalized = spacing.normalized();
        line("spacing", fmt::format("{} x {} x {} {}  (z, y, x)", format_number(spacing.zyx[0]),
                                    format_number(spacing.zyx[1]), format_number(spacing.zyx[2]),
                                    spacing.unit));
        line("", fmt::format("normalized {} x {} x {}  (spacing / x spacing)",
                             format_number(normalized[0]), format_number(normalized[1]),
                             format_number(normalized[2])));
    } else {
        line("spacing", "UNKNOWN (the source has none; 1 x 1 x 1 voxel is assumed)");
    }
    if (summary.affine) {
        const Affine& affine = *summary.affine;
        for (int row = 0; row < 3; ++row) {
            line(row == 0 ? "affine" : "",
                 fmt::format("[{:>9} {:>9} {:>9} {:>9}]", format_number(affine[row * 4]),
                             format_number(affine[row * 4 + 1]), format_number(affine[row * 4 + 2]),
                             format_number(affine[row * 4 + 3])));
        }
    }
    const ValueStats& global = summary.stats.global;
    line("range", fmt::format("{} .. {}  (mean {}, std {})", format_value(global.min, integer_type),
                              format_value(global.max, integer_type), format_number(global.mean),
                              format_number(global.std)));
    if (global.nan_count > 0) line("nan", fmt::format("{} NaN values ignored", global.nan_count));

    // One row of cells per channel under the headings; columns widen to their widest cell
    // (1e-310 or a long channel name) so that neighbours never run together.
    std::vector<std::array<std::string, 9>> rows = {
        {"ch", "name", "min", "max", "mean", "std", "p0.5", "p50", "p99.5"}};
    for (std::size_t c = 0; c < summary.stats.channels.size(); ++c) {
        const ValueStats& stats = summary.stats.channels[c];
        const auto& p = summary.channel_percentiles[c];
        const std::string& name = summary.channel_names[c];
        rows.push_back({std::to_string(c), name.empty() ? "-" : name,
                        format_value(stats.min, integer_type),
                        format_value(stats.max, integer_type), format_number(stats.mean),
                        format_number(stats.std), format_number(p[0]), format_number(p[1]),
                        format_number(p[2])});
    }
    std::array<std::size_t, 9> widths = {4, 12, 10, 10, 12, 12, 10, 10, 10};
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size() + 1);
    text += "\n";
    for (const auto& row : rows) {
        // ch and name align left, the numbers right.
        std::string cells = fmt::format("{:<{}}{:<{}}", row[0], widths[0], row[1], widths[1]);
        for (std::size_t i = 2; i < row.size(); ++i)
            cells += fmt::format("{:>{}}", row[i], widths[i]);
        text += cells + "\n";
    }
    if (!spacing.known) {
        text +=
            "\nWARNING: spacing is unknown. Distances, aspect ratios and 3D views will treat "
            "voxels as cubes,\n         which is almost never true of microscopy or MRI. Set "
            "the spacing before measuring.\n";
    }
    return text;
}

}  // namespace vox
