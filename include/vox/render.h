// voxscope: 2D views of volumes (slices, orthogonal views) composed into figures with
// titles, scale bars and colorbars, written as PNG, SVG or PDF with Cairo.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vox/display.h"
#include "vox/exposure.h"
#include "vox/filters.h"
#include "vox/volume.h"

namespace vox {

/// A histogram drawn as a plot panel: bars over the bins, axes with tick labels, and
/// optionally the cumulative distribution as a red line on a 0..1 scale at the right.
struct HistogramPlot {
    /// Bin centres, evenly spaced and increasing (histogram()'s); each bar spans its
    /// centre +- half the spacing (+- 0.5 for a single bin).
    std::vector<double> bin_centers;
    /// Voxels per bin (histogram()'s counts), one per centre.
    std::vector<std::int64_t> counts;
    /// The cumulative distribution at each centre, in [0, 1]; empty: no CDF line.
    std::vector<double> cdf;
    /// Colours each bar by its centre, t = (centre - colormap_low) / (colormap_high -
    /// colormap_low) through Colormap::at() (the brain tutorial's
    /// cm.viridis(normalize(bin_centers))); null: every bar is `color`. Not owned.
    const Colormap* colormap = nullptr;
    double colormap_low = 0.0;
    double colormap_high = 1.0;
    /// The bars' colour without a colormap: matplotlib's default blue (#1f77b4).
    std::array<std::uint8_t, 3> color = {31, 119, 180};
    /// A logarithmic count axis; zero counts draw nothing.
    bool log = false;
    /// The panel's size in figure pixels, tick labels included. Width 0: the width of
    /// the image panels in its column (384 when there are none); height 0: 2/3 of the
    /// width. Plot panels take no part in the physical-spacing zoom.
    double width = 0.0;
    double height = 0.0;
};

/// The histogram plot of all values of `volume` (every channel together): counts and
/// centres exactly as histogram(volume, nbins, source_range, integer_bins), and with `cdf`
/// their cumulative distribution (cumulative_distribution() where it bins the same way:
/// the image range, integers one bin per value). Bars in the default blue; set `colormap`
/// to colour them.
/// @throw ValueError as histogram().
HistogramPlot histogram_plot(const Volume& volume, int nbins = 256,
                             SourceRange source_range = SourceRange::image, bool cdf = false,
                             IntegerBins integer_bins = IntegerBins::per_value);

/// The histogram matplotlib's `ax.hist(volume.ravel(), nbins)` draws: finite_histogram()'s
/// uniform bins between the finite min and max of all values, integers binned as floats
/// rather than one bin per integer; `left_out`, if given, receives how many NaN and
/// infinite values were left out.
/// @throw ValueError as finite_histogram().
HistogramPlot value_histogram_plot(const Volume& volume, int nbins = 10,
                                   std::int64_t* left_out = nullptr);

/// One histogram plot per channel over bins shared by all channels
/// (histogram_per_channel()), each with its channel's cumulative distribution when `cdf`.
/// @throw ValueError as histogram().
std::vector<HistogramPlot> histogram_plots_per_channel(
    const Volume& volume, int nbins = 256, SourceRange source_range = SourceRange::image,
    bool cdf = false, IntegerBins integer_bins = IntegerBins::per_value);

/// Where a plot's axes box sits inside its panel (pixels from the panel's top left) and
/// the data limits it spans: x in bin-centre units, y in counts (log10 of counts for a
/// log axis). Linear count axes start at 0 and end 5% above the tallest bar, as
/// matplotlib autoscales a histogram; x spans the bars with 5% margins.
struct PlotFrame {
    double left = 0.0;
    double top = 0.0;
    double width = 0.0;
    double height = 0.0;
    double x_low = 0.0;
    double x_high = 1.0;
    double y_low = 0.0;
    double y_high = 1.0;
};

/// The frame of `plot` drawn in a panel of width x height figure pixels.
/// @throw ValueError if the plot has no bins or its centres and counts differ in number.
PlotFrame plot_frame(const HistogramPlot& plot, double width, double height);

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
    /// When set, the panel is this plot instead of `image` (which is then unused).
    std::optional<HistogramPlot> histogram;
};

/// A panel showing `plot`, titled `title`.
Panel plot_panel(HistogramPlot plot, std::string title = {});

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
/// whole volume), titled by channel_title(). Facets follow channel_order(order).
/// @throw ValueError if the index is out of range, the channel count differs from the
/// volume's, the order is bad, or no channel is visible.
std::vector<Panel> channel_panels(const Volume& volume, Axis axis, std::int64_t index,
                                  const std::vector<ResolvedChannel>& channels,
                                  std::span<const std::int64_t> order = {});

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

/// Where write_figure() places each panel, in figure pixels from the top left (the
/// image area of an image panel; the whole plot, tick labels included, of a plot panel).
struct PanelBox {
    double x = 0.0;
    double y = 0.0;
    double width = 0.0;
    double height = 0.0;
};

/// The boxes of `panels` as write_figure() lays them out with `options`.
/// @throw ValueError if there are no panels.
std::vector<PanelBox> figure_panel_boxes(const std::vector<Panel>& panels,
                                         const FigureOptions& options);

/// Writes an image as it is (no margins or annotations) to a PNG file, atomically: RGB when
/// every pixel is opaque, else RGBA. Encoded on all cores like figures.
/// @throw ValueError for another extension than .png or an empty image; IoError if the
/// file cannot be written.
void write_image(const Image& image, const std::string& path);

/// A "nice" scale-bar length (1, 2 or 5 times a power of ten) close to `target`.
double nice_length(double target);

/// The automatic zoom of figures and animations: the smallest whole zoom that makes
/// `largest` pixels (the largest panel's extent at zoom 1) at least 256, and 1 for larger.
double automatic_zoom(double largest);

// --- position indicator and image labels (indicator.cpp) ---

/// The fixed oblique view of position_panel(), in degrees, as matplotlib's 3D default:
/// the eye looks at the box from elevation 25 deg above the (x, y) plane and azimuth
/// -60 deg about the vertical z axis. The projection is orthographic: a point (X, Y, Z)
/// in physical units (X along x, Y along y, Z along z, up) lands at screen
/// u = -sin(az) X + cos(az) Y (right) and v = -sin(el) cos(az) X - sin(el) sin(az) Y +
/// cos(el) Z (up), scaled and centred to fit the image.
inline constexpr double kIndicatorElevation = 25.0;
inline constexpr double kIndicatorAzimuth = -60.0;

/// The tutorial's slice_in_3D: a size_px x size_px wireframe of the volume's box in
/// physical proportions (extent x spacing per axis; unknown or non-positive spacings
/// count as 1), seen from the kIndicatorElevation / kIndicatorAzimuth view,
/// antialiased with Cairo on white. The box spans [0, extent x spacing] along each axis
/// with z up; edges are dark gray (64, 64, 64); the plane at `index` along `axis` (at
/// its voxel centre, (index + 0.5) x spacing) is a translucent cyan quad (0, 1, 1, 0.25)
/// with an opaque cyan outline; the axis names sit by the box's edges in red (x), green
/// (y) and blue (z). The panel's pixel size is 1 with no unit (no scale bar) and its title
/// is "z = 30 of 60" (the index and the extent along the axis).
/// @throw ValueError if size_px is outside [32, 4096] or the index is out of range
/// ("z index 70 is outside the volume (0 to 59)").
Panel position_panel(const Volume& volume, Axis axis, std::int64_t index, int size_px);

/// Draws `text` at the top-left of `image`, in place: white DejaVu Sans of `font_px`
/// pixels on a black box of 60% opacity with 4 pixels of padding, antialiased with
/// Cairo. Blending a neutral box and white text keeps a gray image gray. Empty text
/// draws nothing.
/// @throw ValueError if font_px is not in [4, 256].
void draw_image_label(Image& image, const std::string& text, double font_px = 12.0);

// --- end position indicator ---

}  // namespace vox
