// voxscope: 2D views of volumes (slices, orthogonal views) composed into figures with
// titles, scale bars and colorbars, written as PNG, SVG or PDF with Cairo.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vox/display.h"
#include "vox/filters.h"
#include "vox/volume.h"

namespace vox {

/// One coloured plane of a figure and what it shows.
struct Panel {
    Image image;
    /// Physical size of one image pixel across and down (the plane's spacing), so that
    /// the figure draws the plane in its true proportions.
    double pixel_width = 1.0;
    double pixel_height = 1.0;
    /// Unit of pixel_width and pixel_height ("µm"); empty when the spacing is unknown.
    std::string unit;
    std::string title;
    /// Names of the axes across and down ("x", "y", "z").
    std::string x_label;
    std::string y_label;
    /// Optional crosshair position in image pixels (column, row), drawn as two lines.
    std::optional<std::array<double, 2>> crosshair;
};

/// The axes across and down the image of a plane along `axis`, as map_plane() orients
/// it: z gives (x, y), y gives (x, z), x gives (y, z).
std::array<Axis, 2> plane_image_axes(Axis axis);

/// The tutorial's title of a plane: "Plane = 30" (z), "Row = 128" (y), "Column = 128" (x).
std::string plane_title(Axis axis, std::int64_t index);

/// The plane of `volume` at `index` along `axis`, coloured with `channels` (see
/// map_plane() for its orientation), with its spacing and the tutorial's title.
/// @throw ValueError if the index is out of range.
Panel slice_panel(const Volume& volume, Axis axis, std::int64_t index,
                  const std::vector<ResolvedChannel>& channels);

/// The three planes through voxel (z, y, x), as the tutorial's orthogonal view: the
/// plane (axis z), the row (axis y) and the column (axis x), with crosshairs at the
/// point when `crosshairs` is set.
/// @throw ValueError if the point is outside the volume.
std::vector<Panel> ortho_panels(const Volume& volume, const std::array<std::int64_t, 3>& point,
                                const std::vector<ResolvedChannel>& channels, bool crosshairs);

/// The planes of a montage: `count` planes along `axis`, from `first` every `step`
/// planes (first, first + step, ...), each a slice_panel() titled with its index
/// ("Plane = 12"). `channels` are resolved once on the whole volume, so all tiles share
/// one display range. `count` 0 takes every plane up to the end of the volume.
/// @throw ValueError if `step` < 1, `count` < 0, `first` is out of range ("z index 70 is
/// outside the volume (0 to 59)") or the last plane would leave the volume.
std::vector<Panel> montage_panels(const Volume& volume, Axis axis, std::int64_t first,
                                  std::int64_t step, std::int64_t count,
                                  const std::vector<ResolvedChannel>& channels);

/// The title of channel `c`'s facet: its name, or "Channel c" when it has none.
/// @throw ValueError if c is out of range.
std::string channel_title(const Volume& volume, std::int64_t c);

/// One facet per visible channel of the plane at `index` along `axis`: each panel shows
/// that channel alone with its own colormap and range from `channels` (resolved on the
/// whole volume), titled by channel_title().
/// @throw ValueError if the index is out of range, the channel count differs from the
/// volume's, or no channel is visible.
std::vector<Panel> channel_panels(const Volume& volume, Axis axis, std::int64_t index,
                                  const std::vector<ResolvedChannel>& channels);

/// "Max projection along z", "Mean projection along y", ... for project()'s modes.
std::string projection_title(ProjectMode mode, Axis axis);

/// The panel of an intensity projection: `projection` is project()'s result (extent 1
/// along `axis`), drawn as slice_panel() of its single plane, with its spacing (so in
/// physical proportions) and projection_title(). Resolve `channels` on the projection,
/// whose values differ from the volume's (a mean is a float).
/// @throw ValueError if the projection's extent along `axis` is not 1.
Panel projection_panel(const Volume& projection, Axis axis, ProjectMode mode,
                       const std::vector<ResolvedChannel>& channels);

/// How panels are laid out and annotated.
struct FigureOptions {
    /// A title above the panels (none when empty).
    std::string title;
    /// Panels per row; 0 puts all panels in one row.
    int columns = 0;
    /// Figure pixels per finest voxel (the finest spacing among the panels); other
    /// spacings scale by their ratio to it, so every panel keeps physical proportions.
    /// 0 picks the smallest whole zoom that makes the largest panel at least 256 pixels
    /// across or down, so small volumes (a 64^3 MRI) stay legible.
    double zoom = 1.0;
    /// Draw a scale bar in physical units on the first panel (when the unit is known).
    bool scale_bar = true;
    /// Draw a colorbar for this channel's map and range (single-channel figures).
    std::optional<ResolvedChannel> colorbar;
    /// Draw axis names under and beside each panel.
    bool axis_labels = false;
};

/// The figure formats write_figure() writes.
enum class FigureFormat : std::uint8_t { png, svg, pdf };

/// The format of a figure path by its extension (.png, .svg, .pdf; any case), so that
/// commands can refuse a bad output before any work.
/// @throw ValueError for another extension ("cannot write a figure to 'a.jpg': use .png,
/// .svg or .pdf").
FigureFormat figure_format(const std::string& path);

/// Draws the panels into a figure and writes it: PNG, SVG or PDF by the extension of
/// `path` (.png, .svg, .pdf), atomically. Text uses the DejaVu Sans font.
/// @throw ValueError for another extension or no panels; IoError if the file cannot be
/// written.
void write_figure(const std::vector<Panel>& panels, const FigureOptions& options,
                  const std::string& path);

/// A "nice" scale-bar length (1, 2 or 5 times a power of ten) close to `target`.
double nice_length(double target);

}  // namespace vox
