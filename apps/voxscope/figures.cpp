#include "figures.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "vox/animate.h"
#include "vox/display.h"
#include "vox/error.h"
#include "vox/render.h"
#include "vox/segmentation.h"
#include "vox/stats.h"

namespace voxscope {

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::size_t begin = 0;
    while (begin <= text.size()) {
        const std::size_t end = std::min(text.find(separator, begin), text.size());
        parts.push_back(text.substr(begin, end - begin));
        begin = end + 1;
    }
    return parts;
}

double parse_number(const std::string& text, const std::string& flag) {
    double value = 0.0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        throw vox::ValueError(fmt::format("{}: '{}' is not a number", flag, text));
    }
    return value;
}

vox::Volume single_channel(const vox::Volume& volume, std::int64_t channel,
                           const std::string& input) {
    const std::int64_t channels = volume.shape().c;
    if (channel >= channels) {
        throw vox::ValueError(
            fmt::format("--channel {} is out of range: the volume has {}", channel, channels));
    }
    if (channel >= 0) return volume.channel(channel);
    if (channels > 1) {
        throw vox::ValueError(
            fmt::format("'{}' has {} channels: choose one with --channel", input, channels));
    }
    return volume;
}

double parse_level(const std::string& text, const vox::Volume& channel) {
    if (text == "otsu") return vox::threshold_otsu(channel);
    const bool percentile = !text.empty() && text.front() == 'p';
    const double value = parse_number(percentile ? text.substr(1) : text, "--level");
    if (!std::isfinite(value)) {
        throw vox::ValueError(fmt::format("--level: '{}' is not a number", text));
    }
    if (!percentile) return value;
    if (value < 0 || value > 100) {
        throw vox::ValueError(fmt::format("--level: percentile {} is outside [0, 100]", value));
    }
    const std::vector<double> qs{value};
    return vox::percentiles(channel, qs).front();
}

namespace {

// "image", "dtype", "LOW:HIGH" or "pLOW:HIGH" (percentiles).
vox::DisplayRange parse_range(const std::string& text) {
    if (text.empty() || text == "image") return vox::DisplayRange::image();
    if (text == "dtype") return vox::DisplayRange::dtype();
    const bool percentiles = text.front() == 'p';
    const std::vector<std::string> ends = split(percentiles ? text.substr(1) : text, ':');
    if (ends.size() != 2) {
        throw vox::ValueError(fmt::format(
            "--range: expected image, dtype, LOW:HIGH or pLOW:HIGH (percentiles), got '{}'", text));
    }
    const double low = parse_number(ends[0], "--range");
    const double high = parse_number(ends[1], "--range");
    return percentiles ? vox::DisplayRange::percentiles(low, high)
                       : vox::DisplayRange::values(low, high);
}

// The entry of a per-channel list for channel c: one entry applies to all.
template <typename Parse>
void apply_list(const std::string& text, const std::string& flag, std::int64_t channels,
                Parse&& parse) {
    if (text.empty()) return;
    const std::vector<std::string> items = split(text, ',');
    if (items.size() != 1 && std::int64_t(items.size()) != channels) {
        throw vox::ValueError(
            fmt::format("{} has {} entries for {} channels", flag, items.size(), channels));
    }
    for (std::int64_t c = 0; c < channels; ++c)
        parse(c, items.size() == 1 ? items.front() : items[std::size_t(c)]);
}

}  // namespace

vox::DisplayMapping display_mapping(const vox::Volume& volume, const DisplayFlags& flags) {
    vox::DisplayMapping mapping = vox::default_mapping(volume);
    const std::int64_t channels = volume.shape().c;
    auto& entries = mapping.channels;
    apply_list(flags.colormaps, "--cmap", channels, [&](std::int64_t c, const std::string& item) {
        entries[std::size_t(c)].colormap = item;
    });
    // Ranges use ':' inside an entry, so ',' still separates channels.
    apply_list(flags.range, "--range", channels, [&](std::int64_t c, const std::string& item) {
        entries[std::size_t(c)].range = parse_range(item);
    });
    apply_list(flags.gamma, "--gamma", channels, [&](std::int64_t c, const std::string& item) {
        entries[std::size_t(c)].gamma = parse_number(item, "--gamma");
    });
    if (!flags.channels.empty()) {
        mapping.order = listed_channels(flags.channels, channels);
        for (auto& entry : entries)
            entry.visible = false;
        for (const std::int64_t c : mapping.order)
            entries[std::size_t(c)].visible = true;
    }
    return mapping;
}

std::vector<std::int64_t> listed_channels(const std::string& list, std::int64_t channels) {
    std::vector<std::int64_t> listed;
    for (const std::string& item : split(list, ',')) {
        const double c = parse_number(item, "--channels");
        if (c < 0 || c >= double(channels) || c != std::floor(c)) {
            throw vox::ValueError(
                fmt::format("--channels: no channel {} (the volume has {})", item, channels));
        }
        if (std::find(listed.begin(), listed.end(), std::int64_t(c)) != listed.end()) {
            throw vox::ValueError(fmt::format("--channels lists channel {} twice", item));
        }
        listed.push_back(std::int64_t(c));
    }
    return listed;
}

namespace {

vox::FigureOptions figure_options(const DisplayFlags& flags,
                                  const std::vector<vox::ResolvedChannel>& channels) {
    if (!(flags.zoom >= 0.0) || flags.zoom > 64.0) {
        throw vox::ValueError(
            fmt::format("--zoom must be in (0, 64] (0: automatic), got {:g}", flags.zoom));
    }
    vox::FigureOptions options;
    options.title = flags.title;
    options.zoom = flags.zoom;
    options.scale_bar = !flags.no_scale_bar;
    if (flags.colorbar) {
        std::vector<const vox::ResolvedChannel*> visible;
        for (const auto& channel : channels)
            if (channel.visible) visible.push_back(&channel);
        if (visible.size() != 1) {
            throw vox::ValueError(
                "--colorbar needs exactly one visible channel (choose one with --channels)");
        }
        options.colorbar = *visible.front();
    }
    return options;
}

void print_written(const std::string& output) {
    fmt::print("wrote {}\n", output);
}

}  // namespace

vox::Axis parse_axis(const std::string& text) {
    if (text == "z") return vox::Axis::z;
    if (text == "y") return vox::Axis::y;
    if (text == "x") return vox::Axis::x;
    throw vox::ValueError(fmt::format("--axis must be z, y or x, got '{}'", text));
}

void add_display_flags(CLI::App& command, DisplayFlags& flags) {
    command.add_option("--cmap", flags.colormaps,
                       "Colormap per channel, e.g. gray or green,magenta (default: gray for one "
                       "channel, green/magenta for two, red/green/blue for three)");
    command.add_option("--range", flags.range,
                       "Display range per channel: image (min..max, default), dtype, LOW:HIGH, "
                       "or pLOW:HIGH percentiles, e.g. p0.5:99.5");
    command.add_option("--gamma", flags.gamma, "Display gamma per channel (default 1)");
    command.add_option("--channels", flags.channels, "Visible channels, e.g. 0,2 (default: all)");
    command.add_option(
        "--zoom", flags.zoom,
        "Figure pixels per finest voxel (default: 1, more for volumes under 256 voxels)");
    command.add_option("--title", flags.title, "Figure title");
    command.add_flag("--colorbar", flags.colorbar, "Draw a colorbar (one visible channel)");
    command.add_flag("--no-scale-bar", flags.no_scale_bar, "Leave out the scale bar");
}

CLI::App* add_figure_command(CLI::App& app, const std::string& name, const std::string& description,
                             std::string& input, std::string& output,
                             const std::string& output_help, DisplayFlags& display,
                             ReadFlags& read) {
    CLI::App* command = app.add_subcommand(name, description);
    command->add_option("input", input, "File, folder, glob, archive member or sample")->required();
    command->add_option("-o,--output", output, output_help)->required();
    add_display_flags(*command, display);
    add_read_flags(*command, read);
    return command;
}

int run_slice(const SliceOptions& options, const vox::ReadOptions& read_options) {
    const vox::Axis axis = parse_axis(options.axis);
    vox::figure_format(options.output);  // a bad extension should not cost a load
    const vox::Volume volume = vox::open_volume(options.input, read_options);
    const auto a = std::size_t(axis);
    const std::int64_t extent =
        a == 0 ? volume.shape().z : (a == 1 ? volume.shape().y : volume.shape().x);
    std::int64_t index = options.index >= 0 ? options.index : extent / 2;
    if (!options.position.empty() && options.index >= 0)
        throw vox::ValueError("give --index or --position, not both");
    if (!options.position.empty()) {
        // Voxel centres sit at index * spacing from the first one.
        const double position = parse_number(options.position, "--position");
        const double spacing = volume.spacing().zyx[a];
        const double last = double(extent - 1) * spacing;
        // Half a voxel beyond either centre still rounds to the end plane.
        if (!(position >= -spacing / 2.0 && position <= last + spacing / 2.0)) {
            throw vox::ValueError(fmt::format(
                "--position {} is outside the volume: 0 to {:g} {}"
                "along {}",
                options.position, last,
                volume.spacing().unit.empty() ? "" : volume.spacing().unit + " ", options.axis));
        }
        index = std::clamp<std::int64_t>(std::llround(position / spacing), 0, extent - 1);
    }
    const auto channels = vox::resolve_mapping(volume, display_mapping(volume, options.display));
    const vox::Panel panel = vox::slice_panel(volume, axis, index, channels);
    vox::FigureOptions figure = figure_options(options.display, channels);
    std::vector<vox::Panel> panels{panel};
    if (options.indicator) {
        // write_figure() scales every panel by one zoom from the finest spacing. The
        // indicator is drawn at its final size (the slice's height on screen) and given a
        // pixel size of finest / zoom, with the figure's zoom folded into it, so that it
        // lands 1:1 while the slice keeps its own scale.
        const double finest = std::min(panel.pixel_width, panel.pixel_height) > 0.0
                                  ? std::min(panel.pixel_width, panel.pixel_height)
                                  : 1.0;
        const double slice_width = double(panel.image.width) * panel.pixel_width / finest;
        const double slice_height = double(panel.image.height) * panel.pixel_height / finest;
        const double zoom =
            figure.zoom > 0.0
                ? figure.zoom
                : std::max(1.0, std::ceil(256.0 / std::max({1.0, slice_width, slice_height})));
        const int size = int(std::clamp(std::round(slice_height * zoom), 160.0, 512.0));
        vox::Panel indicator = vox::position_panel(volume, axis, index, size);
        indicator.pixel_width = indicator.pixel_height = finest / zoom;
        // Above 1 the indicator is the finest panel: zoom 1 keeps the slice at zoom / finest.
        if (zoom >= 1.0) figure.zoom = 1.0;
        panels.push_back(std::move(indicator));
    }
    vox::write_figure(panels, figure, options.output);
    print_written(options.output);
    return 0;
}

int run_ortho(const OrthoOptions& options, const vox::ReadOptions& read_options) {
    vox::figure_format(options.output);
    const vox::Volume volume = vox::open_volume(options.input, read_options);
    const vox::Shape& shape = volume.shape();
    std::array<std::int64_t, 3> point{shape.z / 2, shape.y / 2, shape.x / 2};
    if (!options.point.empty()) {
        const std::vector<std::string> parts = split(options.point, ',');
        if (parts.size() != 3) {
            throw vox::ValueError(
                fmt::format("--point: expected Z,Y,X voxel indices, got '{}'", options.point));
        }
        const std::array<std::int64_t, 3> extents{shape.z, shape.y, shape.x};
        for (std::size_t i = 0; i < 3; ++i) {
            const double value = parse_number(parts[i], "--point");
            if (value != std::floor(value)) {
                throw vox::ValueError(fmt::format("--point: '{}' is not a voxel index", parts[i]));
            }
            // Checked before the conversion, which 1e30 or inf would overflow.
            if (!(value >= 0.0 && value < double(extents[i]))) {
                throw vox::ValueError(fmt::format("{} index {} is outside the volume (0 to {})",
                                                  "zyx"[i], parts[i], extents[i] - 1));
            }
            point[i] = std::int64_t(value);
        }
    }
    const auto channels = vox::resolve_mapping(volume, display_mapping(volume, options.display));
    const std::vector<vox::Panel> panels =
        vox::ortho_panels(volume, point, channels, options.crosshairs);
    vox::write_figure(panels, figure_options(options.display, channels), options.output);
    print_written(options.output);
    return 0;
}

int run_montage(const MontageOptions& options, const vox::ReadOptions& read_options) {
    const vox::Axis axis = parse_axis(options.axis);
    if (options.step < 1) {
        throw vox::ValueError(fmt::format("--step must be >= 1, got {}", options.step));
    }
    if (options.count < 0) {
        throw vox::ValueError(fmt::format("--count must be >= 0, got {}", options.count));
    }
    if (options.columns < 0) {
        throw vox::ValueError(
            fmt::format("--columns must be >= 0 (0: automatic), got {}", options.columns));
    }
    vox::figure_format(options.output);
    const vox::Volume volume = vox::open_volume(options.input, read_options);
    // The range is resolved once on the whole volume, so every tile shares it.
    const auto channels = vox::resolve_mapping(volume, display_mapping(volume, options.display));
    const std::vector<vox::Panel> panels =
        vox::montage_panels(volume, axis, options.first, options.step, options.count, channels);
    vox::FigureOptions figure = figure_options(options.display, channels);
    // More columns than tiles is one row: the empty columns would only widen the figure.
    figure.columns = options.columns > 0
                         ? int(std::min<std::size_t>(std::size_t(options.columns), panels.size()))
                         : int(std::ceil(std::sqrt(double(panels.size())) - 1e-9));
    vox::write_figure(panels, figure, options.output);
    print_written(options.output);
    return 0;
}

int run_channels(const ChannelsOptions& options, const vox::ReadOptions& read_options) {
    const vox::Axis axis = parse_axis(options.axis);
    vox::figure_format(options.output);
    const vox::Volume volume = vox::open_volume(options.input, read_options);
    const std::int64_t index = options.index >= 0 ? options.index : volume.shape().extent(axis) / 2;
    // Each facet shows one channel alone: gray reads best unless a map is asked for.
    DisplayFlags display = options.display;
    if (display.colormaps.empty()) display.colormaps = "gray";
    const vox::DisplayMapping mapping = display_mapping(volume, display);
    const auto channels = vox::resolve_mapping(volume, mapping);
    const std::vector<vox::Panel> panels =
        vox::channel_panels(volume, axis, index, channels, mapping.order);
    vox::write_figure(panels, figure_options(display, channels), options.output);
    print_written(options.output);
    return 0;
}

int run_project(const ProjectOptions& options, const vox::ReadOptions& read_options) {
    const vox::Axis axis = parse_axis(options.axis);
    if (options.mode != "max" && options.mode != "mean" && options.mode != "min") {
        throw vox::ValueError(
            fmt::format("--mode must be max, mean or min, got '{}'", options.mode));
    }
    const vox::ProjectMode mode = vox::parse_project_mode(options.mode);
    vox::figure_format(options.output);
    const vox::Volume volume = vox::open_volume(options.input, read_options);
    const vox::Volume projection = vox::project(volume, axis, mode);
    // Ranges come from the projection: a max is brighter and a mean is a float.
    const auto channels =
        vox::resolve_mapping(projection, display_mapping(projection, options.display));
    const vox::Panel panel = vox::projection_panel(projection, axis, mode, channels);
    vox::write_figure({panel}, figure_options(options.display, channels), options.output);
    print_written(options.output);
    return 0;
}

int run_animate(const AnimateCommandOptions& options, const vox::ReadOptions& read_options) {
    const vox::Axis axis = parse_axis(options.axis);
    vox::animation_format(options.output);  // a bad extension should not cost a load
    if (!options.versions.empty() && !options.sweep.empty()) {
        throw vox::ValueError("give --versions or --sweep, not both");
    }
    if (options.label && options.no_label) {
        throw vox::ValueError("give --label or --no-label, not both");
    }
    // Parse the versions before loading: a typo should not cost a load.
    std::vector<vox::Version> versions;
    if (!options.versions.empty()) versions = vox::parse_versions(options.versions);
    if (!options.sweep.empty()) versions = vox::sweep_versions(options.sweep);
    const bool by_versions = !options.versions.empty() || !options.sweep.empty();
    if (!options.display.title.empty() || options.display.colorbar) {
        throw vox::ValueError(
            "animate draws bare frames: no --title or --colorbar (--label names each frame)");
    }
    vox::AnimateOptions animate;
    animate.step = options.step;
    const double given_zoom = options.display.zoom;
    if (given_zoom != 0.0 &&
        (given_zoom < 1.0 || given_zoom > 64.0 || given_zoom != std::floor(given_zoom))) {
        throw vox::ValueError(fmt::format(
            "--zoom for animations must be a whole number from 1 to 64, got {:g}", given_zoom));
    }
    animate.animation.delay_ms = options.delay;
    animate.label = options.label || (by_versions && !options.no_label);
    const vox::Volume volume = vox::open_volume(options.input, read_options);
    // Automatic zoom, as for figures: small planes grow to about 256 pixels.
    double zoom = given_zoom;
    if (zoom == 0.0) {
        const vox::Shape& shape = volume.shape();
        const std::int64_t largest = axis == vox::Axis::z   ? std::max(shape.y, shape.x)
                                     : axis == vox::Axis::y ? std::max(shape.z, shape.x)
                                                            : std::max(shape.z, shape.y);
        zoom = std::min(vox::automatic_zoom(double(largest)), 64.0);
    }
    animate.zoom = int(zoom);
    // Labels grow with the zoom so they read the same at any frame size.
    animate.label_font_px = std::min(36.0, 12.0 * zoom);
    if (by_versions) {
        const std::int64_t index =
            options.index >= 0 ? options.index : volume.shape().extent(axis) / 2;
        // One range from the original volume unless --range asks for another: a shared
        // range is what shows a gamma's effect.
        vox::animate_versions(volume, axis, index, versions,
                              display_mapping(volume, options.display),
                              options.display.range.empty(), options.output, animate);
    } else {
        if (options.index >= 0) {
            throw vox::ValueError("--index picks the plane of --versions or --sweep");
        }
        const auto channels =
            vox::resolve_mapping(volume, display_mapping(volume, options.display));
        vox::animate_axis(volume, axis, channels, options.output, animate);
    }
    print_written(options.output);
    return 0;
}

}  // namespace voxscope
