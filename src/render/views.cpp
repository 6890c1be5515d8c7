// Slices and orthogonal views: coloured planes with their physical pixel size and the
// tutorial's titles.
#include <fmt/format.h>

#include "vox/error.h"
#include "vox/render.h"

namespace vox {
namespace {

// The axes across and down the image of a plane along `axis` (see map_plane()).
std::array<Axis, 2> image_axes(Axis axis) {
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

std::int64_t extent_of(const Shape& shape, Axis axis) {
    return axis == Axis::z ? shape.z : (axis == Axis::y ? shape.y : shape.x);
}

}  // namespace

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
    const auto [across, down] = image_axes(axis);
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
            const auto [across, down] = image_axes(axis);
            panel.crosshair = std::array<double, 2>{double(point[std::size_t(across)]),
                                                    double(point[std::size_t(down)])};
        }
        panels.push_back(std::move(panel));
    }
    return panels;
}

}  // namespace vox
