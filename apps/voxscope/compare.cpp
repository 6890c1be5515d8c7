#include "compare.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "vox/animate.h"
#include "vox/display.h"
#include "vox/error.h"
#include "vox/exposure.h"
#include "vox/pipeline.h"
#include "vox/render.h"

namespace voxscope {
namespace {

std::string parameter(const vox::Step& step, const std::string& name, const std::string& fallback) {
    for (const auto& [key, value] : step.parameters)
        if (key == name) return value;
    return fallback;
}

}  // namespace

std::string version_title(const std::string& text, const std::vector<vox::Step>& steps) {
    if (steps.size() == 1) {
        const vox::Step& step = steps.front();
        const bool gamma_only =
            step.parameters.empty() ||
            (step.parameters.size() == 1 && step.parameters.front().first == "gamma");
        if (step.op == "gamma" && gamma_only) {
            return fmt::format("Gamma = {}", parameter(step, "gamma", "1"));
        }
        if (step.op == "equalize") return "Equalized";
        if (step.op == "clip" && parameter(step, "mode", "joint") == "joint") {
            return fmt::format("Clip {}%\u2013{}%", parameter(step, "low", "0.5"),
                               parameter(step, "high", "99.5"));
        }
    }
    return text;
}

int run_compare(const CompareOptions& options, const vox::ReadOptions& read_options) {
    const vox::Axis axis = parse_axis(options.axis);
    vox::figure_format(options.output);
    // A plot is a few hundred pixels wide: more bars than this cannot be told apart, and a
    // hundred million cost gigabytes per version.
    constexpr int kMaxBins = 65536;
    if (options.bins < 1 || options.bins > kMaxBins) {
        throw vox::ValueError(
            fmt::format("--bins must be 1 to {}, got {}", kMaxBins, options.bins));
    }
    const std::vector<vox::Version> versions = vox::parse_versions(options.versions);
    if (!options.display.channels.empty()) {
        throw vox::ValueError(
            "compare shows one channel: choose it with --channel, not --channels");
    }
    if (options.display.colorbar) {
        throw vox::ValueError(
            "compare draws no colorbar: the histograms below the planes show their values");
    }
    if (!(options.display.zoom >= 0.0) || options.display.zoom > 64.0) {
        throw vox::ValueError(fmt::format("--zoom must be in (0, 64] (0: automatic), got {:g}",
                                          options.display.zoom));
    }
    vox::Volume volume = vox::open_volume(options.input, read_options);
    if (options.channel >= 0) {
        if (options.channel >= volume.shape().c) {
            throw vox::ValueError(fmt::format("--channel {} is out of range: the volume has {}",
                                              options.channel, volume.shape().c));
        }
        volume = volume.channel(options.channel);
    } else if (volume.shape().c != 1) {
        throw vox::ValueError(
            fmt::format("compare shows one channel: choose one with --channel (the volume has {})",
                        volume.shape().c));
    }
    const vox::DisplayMapping mapping = display_mapping(volume, options.display);
    const std::int64_t extent = axis == vox::Axis::z
                                    ? volume.shape().z
                                    : (axis == vox::Axis::y ? volume.shape().y : volume.shape().x);
    const std::int64_t index = options.index >= 0 ? options.index : extent / 2;
    std::vector<vox::Panel> images;
    std::vector<vox::Panel> plots;
    auto add = [&](const vox::Volume& version, const std::string& title) {
        // Each image its own range (the tutorial's imshow) unless --range fixes one.
        const auto channels = vox::resolve_mapping(version, mapping);
        vox::Panel panel = vox::slice_panel(version, axis, index, channels);
        panel.title = title;
        images.push_back(std::move(panel));
        std::int64_t left_out = 0;
        try {
            plots.push_back(
                vox::plot_panel(vox::value_histogram_plot(version, options.bins, &left_out)));
        } catch (const vox::ValueError& error) {
            throw vox::ValueError(fmt::format("{}: {}", title, error.what()));
        }
        if (left_out > 0) {
            fmt::print("note: {}: {} NaN or infinite value{} left out of the histogram\n", title,
                       left_out, left_out == 1 ? " is" : "s are");
        }
    };
    add(volume, "Original");
    for (std::size_t v = 0; v < versions.size(); ++v) {
        const vox::Version& version = versions[v];
        // One version's volume alive next to the original at a time.
        std::optional<vox::Volume> adjusted;
        try {
            adjusted = vox::apply_steps(volume, version.steps);
        } catch (const vox::ValueError& error) {
            // Values are checked when a step runs: name the version as parse_versions() does.
            throw vox::ValueError(
                fmt::format("version {} ({}): {}", v + 1, version.label, error.what()));
        }
        if (adjusted->shape() != volume.shape()) {
            const vox::Shape& from = volume.shape();
            const vox::Shape& to = adjusted->shape();
            throw vox::ValueError(fmt::format(
                "version {} ({}): compare draws the same plane of every version, so versions must "
                "keep the shape ({}x{}x{} became {}x{}x{})",
                v + 1, version.label, from.z, from.y, from.x, to.z, to.y, to.x));
        }
        add(*adjusted, version_title(version.label, version.steps));
    }
    vox::FigureOptions figure;
    figure.title = options.display.title;
    figure.zoom = options.display.zoom;
    figure.scale_bar = !options.display.no_scale_bar;
    figure.columns = int(images.size());
    std::vector<vox::Panel> panels = std::move(images);
    for (vox::Panel& plot : plots)
        panels.push_back(std::move(plot));
    vox::write_figure(panels, figure, options.output);
    fmt::print("wrote {}\n", options.output);
    return 0;
}

}  // namespace voxscope
