// Slices, orthogonal views, montages, channel facets and projections: coloured planes
// with their physical pixel size and the tutorial's titles.
#include <fmt/format.h>

#include "vox/error.h"
#include "vox/render.h"

namespace vox {
namespace {

std::int64_t extent_of(const Shape& shape, Axis axis) {
    return axis == Axis::z ? shape.z : (axis == Axis::y ? shape.y : shape.x);
}

}  // namespace

std::array<Axis, 2> plane_image_axes(Axis axis) {
    switch (axis) {
        case Axis::z:
            return {Axis::x, Axis::y};
        case Axis::y:
            return {Axis::x, Axis::z};
        case Axis::x:
            break;
    }
    return {Axis::y, Axis::z};
}

std::string plane_title(Axis axis, std::int64_t index) {
    switch (axis) {
        case Axis::z:
            return fmt::format("Plane = {}", index);
        case Axis::y:
            return fmt::format("Row = {}", index);
        case Axis::x:
            break;
    }
    return fmt::format("Column = {}", index);
}

Panel slice_panel(const Volume& volume, Axis axis, std::int64_t index,
                  const std::vector<ResolvedChannel>& channels) {
    const std::int64_t extent = extent_of(volume.shape(), axis);
    if (index < 0 || index >= extent) {
        throw ValueError(fmt::format("{} index {} is outside the volume (0 to {})", axis_name(axis),
                                     index, extent - 1));
    }
    Panel panel;
    panel.image = map_plane(volume.plane(axis, index), axis, channels);
    const auto [across, down] = plane_image_axes(axis);
    const Spacing& spacing = volume.spacing();
    panel.pixel_width = spacing.zyx[std::size_t(across)];
    panel.pixel_height = spacing.zyx[std::size_t(down)];
    if (spacing.known) panel.unit = spacing.unit;
    panel.title = plane_title(axis, index);
    panel.x_label = std::string(axis_name(across));
    panel.y_label = std::string(axis_name(down));
    return panel;
}

std::vector<Panel> ortho_panels(const Volume& volume, const std::array<std::int64_t, 3>& point,
                                const std::vector<ResolvedChannel>& channels, bool crosshairs) {
    std::vector<Panel> panels;
    for (const Axis axis : {Axis::z, Axis::y, Axis::x}) {
        Panel panel = slice_panel(volume, axis, point[std::size_t(axis)], channels);
        if (crosshairs) {
            const auto [across, down] = plane_image_axes(axis);
            panel.crosshair = std::array<double, 2>{double(point[std::size_t(across)]),
                                                    double(point[std::size_t(down)])};
        }
        panels.push_back(std::move(panel));
    }
    return panels;
}

std::vector<Panel> montage_panels(const Volume& volume, Axis axis, std::int64_t first,
                                  std::int64_t step, std::int64_t count,
                                  const std::vector<ResolvedChannel>& channels) {
    if (step < 1) throw ValueError(fmt::format("montage step must be >= 1, got {}", step));
    if (count < 0) throw ValueError(fmt::format("montage count must be >= 0, got {}", count));
    const std::int64_t extent = extent_of(volume.shape(), axis);
    if (first < 0 || first >= extent) {
        throw ValueError(fmt::format("{} index {} is outside the volume (0 to {})", axis_name(axis),
                                     first, extent - 1));
    }
    if (count == 0) count = (extent - 1 - first) / step + 1;
    // Checked before any work, and without overflow for huge counts or steps.
    if (count - 1 > (extent - 1 - first) / step) {
        throw ValueError(fmt::format(
            "a montage of {} planes from {} every {} leaves the volume along {} (0 to {})", count,
            first, step, axis_name(axis), extent - 1));
    }
    std::vector<Panel> panels;
    panels.reserve(std::size_t(count));
    for (std::int64_t i = 0; i < count; ++i)
        panels.push_back(slice_panel(volume, axis, first + i * step, channels));
    return panels;
}

std::string channel_title(const Volume& volume, std::int64_t c) {
    if (c < 0 || c >= volume.shape().c) {
        throw ValueError(fmt::format("no channel {} (the volume has {})", c, volume.shape().c));
    }
    const std::string& name = volume.channel_names()[std::size_t(c)];
    return name.empty() ? fmt::format("Channel {}", c) : name;
}

std::vector<Panel> channel_panels(const Volume& volume, Axis axis, std::int64_t index,
                                  const std::vector<ResolvedChannel>& channels,
                                  std::span<const std::int64_t> order) {
    if (std::int64_t(channels.size()) != volume.shape().c) {
        throw ValueError(fmt::format("{} display channels for a volume with {} channels",
                                     channels.size(), volume.shape().c));
    }
    std::vector<Panel> panels;
    for (const std::int64_t c : channel_order(order, volume.shape().c)) {
        if (!channels[std::size_t(c)].visible) continue;
        Panel panel = slice_panel(volume.channel(c), axis, index, {channels[std::size_t(c)]});
        panel.title = channel_title(volume, c);
        panels.push_back(std::move(panel));
    }
    if (panels.empty()) throw ValueError("no visible channel to draw");
    return panels;
}

std::string projection_title(ProjectMode mode, Axis axis) {
    const char* name = "Max";
    switch (mode) {
        case ProjectMode::max:
            break;
        case ProjectMode::min:
            name = "Min";
            break;
        case ProjectMode::mean:
            name = "Mean";
            break;
        case ProjectMode::sum:
            name = "Sum";
            break;
        case ProjectMode::std:
            name = "Standard deviation";
            break;
    }
    return fmt::format("{} projection along {}", name, axis_name(axis));
}

Panel projection_panel(const Volume& projection, Axis axis, ProjectMode mode,
                       const std::vector<ResolvedChannel>& channels) {
    const std::int64_t extent = extent_of(projection.shape(), axis);
    if (extent != 1) {
        throw ValueError(fmt::format("a projection along {} has extent 1 along it, not {}",
                                     axis_name(axis), extent));
    }
    Panel panel = slice_panel(projection, axis, 0, channels);
    panel.title = projection_title(mode, axis);
    return panel;
}

}  // namespace vox
