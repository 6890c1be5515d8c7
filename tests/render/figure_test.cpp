// Unit tests of the figure layer: titles, scale-bar lengths, panel geometry and the
// written PNG (its size follows the physical proportions of the panels).
#include "vox/render.h"

#include <cairo.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "test_util.h"

namespace vox {
namespace {

// Width and height from a PNG's IHDR chunk (big-endian at bytes 16 and 20).
std::array<std::uint32_t, 2> png_size(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    unsigned char header[24] = {};
    file.read(reinterpret_cast<char*>(header), sizeof(header));
    auto be32 = [&](int at) {
        return std::uint32_t(header[at]) << 24 | std::uint32_t(header[at + 1]) << 16 |
               std::uint32_t(header[at + 2]) << 8 | std::uint32_t(header[at + 3]);
    };
    EXPECT_EQ(std::string(reinterpret_cast<char*>(header) + 1, 3), "PNG");
    return {be32(16), be32(20)};
}

Volume anisotropic() {
    Volume volume = test::make_volume<std::uint8_t>(
        {10, 20, 40, 1}, [](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t) {
            return (z + y + x) % 7;
        });
    volume.set_spacing({{2.0, 1.0, 0.5}, "mm", true});
    return volume;
}

TEST(RenderFigureTest, TitlesAndNiceLengths) {
    EXPECT_EQ(plane_title(Axis::z, 30), "Plane = 30");
    EXPECT_EQ(plane_title(Axis::y, 128), "Row = 128");
    EXPECT_EQ(plane_title(Axis::x, 128), "Column = 128");
    EXPECT_DOUBLE_EQ(nice_length(13.0), 10.0);
    EXPECT_DOUBLE_EQ(nice_length(1.8), 2.0);
    EXPECT_DOUBLE_EQ(nice_length(0.04), 0.05);
    EXPECT_DOUBLE_EQ(nice_length(80.0), 100.0);
    EXPECT_EQ(nice_length(0.0), 0.0);
}

TEST(RenderFigureTest, PanelsCarryTheirPlaneSpacing) {
    const Volume volume = anisotropic();
    const auto channels = resolve_mapping(volume, default_mapping(volume));
    const std::vector<Panel> panels = ortho_panels(volume, {5, 10, 20}, channels, true);
    ASSERT_EQ(panels.size(), 3u);
    // Plane: x across (40 px of 0.5 mm), y down (20 px of 1 mm).
    EXPECT_EQ(panels[0].image.width, 40);
    EXPECT_EQ(panels[0].image.height, 20);
    EXPECT_EQ(panels[0].pixel_width, 0.5);
    EXPECT_EQ(panels[0].pixel_height, 1.0);
    EXPECT_EQ(panels[0].title, "Plane = 5");
    EXPECT_EQ((*panels[0].crosshair)[0], 20);
    EXPECT_EQ((*panels[0].crosshair)[1], 10);
    // Row: x across, z down (2 mm); column: y across, z down.
    EXPECT_EQ(panels[1].pixel_height, 2.0);
    EXPECT_EQ(panels[2].image.width, 20);
    EXPECT_EQ(panels[2].pixel_width, 1.0);
    EXPECT_EQ(panels[2].unit, "mm");
    VOX_EXPECT_THROW_MSG(slice_panel(volume, Axis::z, 10, channels), ValueError,
                         "z index 10 is outside the volume (0 to 9)");
}

TEST(RenderFigureTest, PngSizeFollowsPhysicalProportions) {
    const Volume volume = anisotropic();
    const auto channels = resolve_mapping(volume, default_mapping(volume));
    const std::string path =
        (std::filesystem::temp_directory_path() / "vox_figure_test.png").string();
    FigureOptions options;
    options.zoom = 5.0;
    // The plane along x: 20 px of y (1 mm) across, 10 px of z (2 mm) down: 20 mm x 20 mm,
    // drawn at 5 px per finest voxel (1 mm here) as 100 x 100 px inside the margins (wider
    // than its title, which would widen a narrower panel's column).
    write_figure({slice_panel(volume, Axis::x, 0, channels)}, options, path);
    const auto [width, height] = png_size(path);
    EXPECT_EQ(width, 12u + 100u + 12u);
    EXPECT_EQ(height, 12u + 22u + 100u + 12u);
    std::filesystem::remove(path);
    VOX_EXPECT_THROW_MSG(figure_format("figure.jpg"), ValueError,
                         "cannot write a figure to 'figure.jpg': use .png, .svg or .pdf");
    EXPECT_EQ(figure_format("A.PDF"), FigureFormat::pdf);
    VOX_EXPECT_THROW_MSG(write_figure({}, options, path), ValueError,
                         "a figure needs at least one panel");
}

TEST(RenderFigureTest, SizesCairoCannotDrawAreNamed) {
    const Volume volume = anisotropic();
    const auto channels = resolve_mapping(volume, default_mapping(volume));
    const std::string path =
        (std::filesystem::temp_directory_path() / "vox_figure_size_test.png").string();
    const std::vector<Panel> panels{slice_panel(volume, Axis::x, 0, channels)};
    FigureOptions options;
    options.zoom = 0.01;  // cairo: "invalid matrix (not invertible)"
    VOX_EXPECT_THROW_MSG(write_figure(panels, options, path), ValueError,
                         "a panel of 20x10 pixels would be drawn 0x0 pixels: the zoom is too "
                         "small");
    options.zoom = 2000.0;  // cairo: "invalid value (typically too big)"
    VOX_EXPECT_THROW_MSG(write_figure(panels, options, path), ValueError,
                         "the figure would be 40024x40046 pixels, over the 32767 a side a PNG "
                         "can have: lower the zoom");
    options.zoom = 200.0;
    {
        const test::ScopedMemoryLimit limit(8 << 20);
        VOX_EXPECT_THROW_MSG(write_figure(panels, options, path), LimitError,
                             "a figure of 4024x4046 pixels needs 62.1 MiB, over the memory limit "
                             "of 8.0 MiB");
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RenderFigureTest, MontageTakesEveryNthPlaneWithOneRange) {
    const Volume volume = anisotropic();
    const auto channels = resolve_mapping(volume, default_mapping(volume));
    const std::vector<Panel> panels = montage_panels(volume, Axis::z, 1, 3, 0, channels);
    // Planes 1, 4, 7 fit in 10; one more (10) does not.
    ASSERT_EQ(panels.size(), 3u);
    EXPECT_EQ(panels[0].title, "Plane = 1");
    EXPECT_EQ(panels[1].title, "Plane = 4");
    EXPECT_EQ(panels[2].title, "Plane = 7");
    EXPECT_EQ(panels[2].image.width, 40);
    EXPECT_EQ(panels[2].image.height, 20);
    EXPECT_EQ(panels[2].pixel_width, 0.5);
    // Tiles share the whole volume's range: the same value is the same colour everywhere.
    const Panel single = slice_panel(volume, Axis::z, 4, channels);
    EXPECT_EQ(panels[1].image.rgba, single.image.rgba);
    const auto rows = montage_panels(volume, Axis::y, 0, 5, 4, channels);
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[3].title, "Row = 15");
    EXPECT_EQ(rows[3].pixel_height, 2.0);
    VOX_EXPECT_THROW_MSG(montage_panels(volume, Axis::z, 0, 0, 0, channels), ValueError,
                         "montage step must be >= 1, got 0");
    VOX_EXPECT_THROW_MSG(montage_panels(volume, Axis::z, 0, 1, -1, channels), ValueError,
                         "montage count must be >= 0, got -1");
    VOX_EXPECT_THROW_MSG(montage_panels(volume, Axis::z, 10, 1, 0, channels), ValueError,
                         "z index 10 is outside the volume (0 to 9)");
    VOX_EXPECT_THROW_MSG(montage_panels(volume, Axis::z, 2, 3, 4, channels), ValueError,
                         "a montage of 4 planes from 2 every 3 leaves the volume along z (0 to 9)");
    EXPECT_EQ(montage_panels(volume, Axis::z, 1, 3, 3, channels).size(), 3u);
}

TEST(RenderFigureTest, MontagePngHasOneTilePerPlaneInColumns) {
    const Volume volume = anisotropic();
    const auto channels = resolve_mapping(volume, default_mapping(volume));
    const std::string path =
        (std::filesystem::temp_directory_path() / "vox_montage_test.png").string();
    FigureOptions options;
    options.columns = 2;
    options.zoom = 2.0;
    // Five planes in 2 columns make 3 rows of 20 x 20 mm tiles, 80 x 80 px at 4 px per mm
    // (the finest spacing is 0.5 mm), wider than their titles.
    write_figure(montage_panels(volume, Axis::z, 0, 2, 5, channels), options, path);
    const auto [width, height] = png_size(path);
    EXPECT_EQ(width, 12u + 2u * (80u + 12u));
    EXPECT_EQ(height, 12u + 3u * (22u + 80u + 12u));
    std::filesystem::remove(path);
}

TEST(RenderFigureTest, ColorbarLabelsGetTheRoomTheyNeed) {
    const Volume volume = anisotropic();
    auto channels = resolve_mapping(volume, default_mapping(volume));
    const std::string path =
        (std::filesystem::temp_directory_path() / "vox_colorbar_test.png").string();
    const std::vector<Panel> panels{slice_panel(volume, Axis::x, 0, channels)};
    FigureOptions options;
    options.zoom = 5.0;
    options.colorbar = channels.front();
    options.colorbar->low = 0.0;
    options.colorbar->high = 1000.0;
    write_figure(panels, options, path);
    const unsigned usual = png_size(path)[0];
    // "1.19e+302" is wider than the usual room, which used to clip it at the figure's edge.
    options.colorbar->high = 1.19e302;
    write_figure(panels, options, path);
    EXPECT_GT(png_size(path)[0], usual);
    std::filesystem::remove(path);
}

TEST(RenderFigureTest, TitlesWiderThanTheirPanelsWidenTheColumn) {
    // 4-pixel planes titled "Row = 0" and "Column = 0": side by side at the margin apart,
    // the titles would run into each other.
    const Volume volume = test::make_volume<std::uint8_t>(
        {4, 4, 4, 1}, [](auto z, auto y, auto x, auto) { return std::uint8_t(z + y + x); });
    const auto channels = resolve_mapping(volume, default_mapping(volume));
    FigureOptions options;
    options.zoom = 1.0;
    const std::vector<Panel> panels{slice_panel(volume, Axis::y, 0, channels),
                                    slice_panel(volume, Axis::x, 0, channels)};
    const std::vector<PanelBox> boxes = figure_panel_boxes(panels, options);
    ASSERT_EQ(boxes.size(), 2u);
    EXPECT_EQ(boxes[0].width, 4.0);
    // Each panel sits centred in a column as wide as its title (over 40 px at 13 px).
    EXPECT_GT(boxes[0].x, 12.0 + 15.0);
    EXPECT_GT(boxes[1].x - (boxes[0].x + boxes[0].width), 40.0);
}

TEST(RenderFigureTest, ChannelFacetsUseTheirOwnRanges) {
    // Channel 0 holds 0..9, channel 1 the same times 100: each facet spans black to white.
    Volume volume = test::make_volume<std::uint16_t>(
        {2, 3, 10, 2}, [](std::int64_t, std::int64_t, std::int64_t x, std::int64_t c) {
            return x * (c == 0 ? 1 : 100);
        });
    volume.set_channel_names({"", "nuclei"});
    DisplayMapping mapping = default_mapping(volume);
    for (auto& channel : mapping.channels)
        channel.colormap = "gray";
    auto channels = resolve_mapping(volume, mapping);
    EXPECT_EQ(channel_title(volume, 0), "Channel 0");
    EXPECT_EQ(channel_title(volume, 1), "nuclei");
    std::vector<Panel> panels = channel_panels(volume, Axis::z, 1, channels);
    ASSERT_EQ(panels.size(), 2u);
    EXPECT_EQ(panels[0].title, "Channel 0");
    EXPECT_EQ(panels[1].title, "nuclei");
    for (const Panel& panel : panels) {
        EXPECT_EQ(panel.image.width, 10);
        EXPECT_EQ(panel.image.height, 3);
        EXPECT_EQ(panel.image.pixel(0, 0)[0], 0);
        EXPECT_EQ(panel.image.pixel(9, 0)[0], 255);
        EXPECT_EQ(panel.image.pixel(9, 0)[1], 255);
    }
    // Facets follow the mapping's order; a bad order is refused.
    mapping.order = {1};
    panels = channel_panels(volume, Axis::z, 1, channels, mapping.order);
    ASSERT_EQ(panels.size(), 2u);
    EXPECT_EQ(panels[0].title, "nuclei");
    EXPECT_EQ(panels[1].title, "Channel 0");
    mapping.order = {1, 1};
    VOX_EXPECT_THROW_MSG(resolve_mapping(volume, mapping), ValueError,
                         "channel order lists channel 1 twice");
    const std::vector<std::int64_t> beyond = {2};
    VOX_EXPECT_THROW_MSG(channel_panels(volume, Axis::z, 1, channels, beyond), ValueError,
                         "channel order: no channel 2 (the volume has 2)");
    // Hidden channels get no facet; none visible is an error.
    channels[0].visible = false;
    panels = channel_panels(volume, Axis::z, 1, channels);
    ASSERT_EQ(panels.size(), 1u);
    EXPECT_EQ(panels[0].title, "nuclei");
    channels[1].visible = false;
    VOX_EXPECT_THROW_MSG(channel_panels(volume, Axis::z, 1, channels), ValueError,
                         "no visible channel to draw");
    VOX_EXPECT_THROW_MSG(channel_title(volume, 2), ValueError, "no channel 2 (the volume has 2)");
}

TEST(RenderFigureTest, ProjectionPanelKeepsPhysicalProportions) {
    const Volume volume = anisotropic();
    const Volume projection = project(volume, Axis::y, ProjectMode::max);
    const auto channels = resolve_mapping(projection, default_mapping(projection));
    const Panel panel = projection_panel(projection, Axis::y, ProjectMode::max, channels);
    EXPECT_EQ(panel.title, "Max projection along y");
    // Along y: x across (40 px of 0.5 mm), z down (10 px of 2 mm).
    EXPECT_EQ(panel.image.width, 40);
    EXPECT_EQ(panel.image.height, 10);
    EXPECT_EQ(panel.pixel_width, 0.5);
    EXPECT_EQ(panel.pixel_height, 2.0);
    EXPECT_EQ(panel.unit, "mm");
    EXPECT_EQ(projection_title(ProjectMode::mean, Axis::z), "Mean projection along z");
    EXPECT_EQ(projection_title(ProjectMode::min, Axis::x), "Min projection along x");
    VOX_EXPECT_THROW_MSG(projection_panel(volume, Axis::y, ProjectMode::max,
                                          resolve_mapping(volume, default_mapping(volume))),
                         ValueError, "a projection along y has extent 1 along it, not 20");
}

// --- histogram plots ---

// A decoded PNG: RGB of pixel (x, y), read back with Cairo's PNG reader.
struct Decoded {
    int width = 0;
    int height = 0;
    std::vector<std::array<int, 3>> rgb;
    std::array<int, 3> at(int x, int y) const { return rgb[std::size_t(y * width + x)]; }
};

Decoded decode_png(const std::string& path) {
    cairo_surface_t* surface = cairo_image_surface_create_from_png(path.c_str());
    EXPECT_EQ(cairo_surface_status(surface), CAIRO_STATUS_SUCCESS);
    Decoded decoded;
    decoded.width = cairo_image_surface_get_width(surface);
    decoded.height = cairo_image_surface_get_height(surface);
    const int stride = cairo_image_surface_get_stride(surface);
    const unsigned char* data = cairo_image_surface_get_data(surface);
    for (int y = 0; y < decoded.height; ++y) {
        const auto* row = reinterpret_cast<const std::uint32_t*>(data + y * stride);
        for (int x = 0; x < decoded.width; ++x) {
            decoded.rgb.push_back(
                {int(row[x] >> 16 & 255), int(row[x] >> 8 & 255), int(row[x] & 255)});
        }
    }
    cairo_surface_destroy(surface);
    return decoded;
}

// Known counts in 8 wide bins, so every bar is tens of pixels across.
HistogramPlot known_plot() {
    HistogramPlot plot;
    plot.bin_centers = {0, 1, 2, 3, 4, 5, 6, 7};
    plot.counts = {10, 40, 25, 0, 80, 5, 60, 33};
    plot.width = 400;
    plot.height = 300;
    return plot;
}

// Pixels of the bar at column x counted up from the axis (rows bottom-1, bottom-2, ...)
// while they are the bar's colour, with the top row's coverage from its blend with white.
double bar_height(const Decoded& image, int x, int bottom, const std::array<int, 3>& colour) {
    double height = 0.0;
    for (int y = bottom - 1; y >= 0; --y) {
        const auto pixel = image.at(x, y);
        if (pixel == colour) {
            height += 1.0;
            continue;
        }
        // A partly covered pixel: colour * a + white * (1 - a), read on the channel
        // that differs most from white.
        int channel = 0;
        for (int k = 1; k < 3; ++k)
            if (colour[k] < colour[channel]) channel = k;
        const double a = (255.0 - pixel[channel]) / (255.0 - colour[channel]);
        if (a > 0.0 && a < 1.0) height += a;
        break;
    }
    return height;
}

TEST(RenderPlotTest, DrawnBarsHaveTheCountsHeightsAndColours) {
    const std::string path =
        (std::filesystem::temp_directory_path() / "vox_hist_plot_test.png").string();
    for (bool coloured : {false, true}) {
        HistogramPlot plot = known_plot();
        if (coloured) {
            plot.colormap = &colormap("viridis");
            plot.colormap_low = 0.0;
            plot.colormap_high = 7.0;
        }
        const std::vector<Panel> panels = {plot_panel(plot)};
        write_figure(panels, {}, path);
        const Decoded image = decode_png(path);
        const PanelBox box = figure_panel_boxes(panels, {}).front();
        EXPECT_EQ(box.width, 400.0);
        EXPECT_EQ(box.height, 300.0);
        EXPECT_EQ(image.width, int(12 + 400 + 12));
        const PlotFrame frame = plot_frame(plot, box.width, box.height);
        // The count axis ends 5% above the tallest bar, as matplotlib's autoscale.
        EXPECT_DOUBLE_EQ(frame.y_low, 0.0);
        EXPECT_DOUBLE_EQ(frame.y_high, 84.0);
        EXPECT_DOUBLE_EQ(frame.x_low, -0.5 - 0.4);
        EXPECT_DOUBLE_EQ(frame.x_high, 7.5 + 0.4);
        const int bottom = int(box.y + frame.top + frame.height);
        for (std::size_t i = 0; i < plot.counts.size(); ++i) {
            const double centre =
                box.x + frame.left +
                (plot.bin_centers[i] - frame.x_low) / (frame.x_high - frame.x_low) * frame.width;
            const int x = int(centre);
            const auto rgb = coloured ? colormap("viridis").at(double(i) / 7.0) : plot.color;
            const std::array<int, 3> colour = {rgb[0], rgb[1], rgb[2]};
            const double expected = double(plot.counts[i]) / frame.y_high * frame.height;
            const double measured = bar_height(image, x, bottom, colour);
            EXPECT_NEAR(measured, expected, 1.0) << "bar " << i << (coloured ? " (viridis)" : "");
            if (plot.counts[i] > 0) {
                // The bar's middle is exactly its colour.
                EXPECT_EQ(image.at(x, bottom - 2), colour) << "bar " << i;
            } else {
                EXPECT_EQ(image.at(x, bottom - 2), (std::array<int, 3>{255, 255, 255}));
            }
        }
    }
    std::filesystem::remove(path);
}

TEST(RenderPlotTest, LogAxisAndCdf) {
    HistogramPlot plot = known_plot();
    plot.log = true;
    PlotFrame frame = plot_frame(plot, 400, 300);
    // log10(5) .. log10(80) with 5% margins of that span.
    const double span = std::log10(80.0) - std::log10(5.0);
    EXPECT_NEAR(frame.y_low, std::log10(5.0) - 0.05 * span, 1e-12);
    EXPECT_NEAR(frame.y_high, std::log10(80.0) + 0.05 * span, 1e-12);
    const std::string path =
        (std::filesystem::temp_directory_path() / "vox_hist_log_test.png").string();
    std::vector<Panel> panels = {plot_panel(plot, "Log")};
    write_figure(panels, {}, path);
    Decoded image = decode_png(path);
    const PanelBox box = figure_panel_boxes(panels, {}).front();
    // Bar 4 (80) reaches 5% below the top; bar 5 (5) 5% of the height above the axis.
    const int bottom = int(box.y + frame.top + frame.height);
    auto centre = [&](double bin) {
        return int(box.x + frame.left +
                   (bin - frame.x_low) / (frame.x_high - frame.x_low) * frame.width);
    };
    const std::array<int, 3> blue = {31, 119, 180};
    EXPECT_NEAR(bar_height(image, centre(4.25), bottom, blue), frame.height / 1.1 * 1.05, 1.0);
    EXPECT_NEAR(bar_height(image, centre(5.25), bottom, blue), frame.height / 1.1 * 0.05, 1.0);
    // The CDF's scale at the right takes room from the axes; the line is red at its last
    // point's height (1.0 on a 0..1.05 scale).
    plot.cdf = {0.1, 0.2, 0.3, 0.3, 0.6, 0.7, 0.9, 1.0};
    frame = plot_frame(plot, 400, 300);
    EXPECT_LT(frame.left + frame.width, 400.0 - 30.0);
    panels = {plot_panel(plot, "Log")};
    write_figure(panels, {}, path);
    image = decode_png(path);
    bool red = false;
    const int y = int(box.y + frame.top + frame.height * (1.0 - 1.0 / 1.05));
    for (int dy = -2; dy <= 2; ++dy) {
        const auto pixel = image.at(centre(7.0) - 3, y + dy);
        red = red || (pixel[0] > 200 && pixel[1] < 80 && pixel[2] < 80);
    }
    EXPECT_TRUE(red);
    std::filesystem::remove(path);
    plot.counts.pop_back();
    VOX_EXPECT_THROW_MSG(plot_frame(plot, 400, 300), ValueError,
                         "a histogram plot has 8 bin centres but 7 counts");
}

TEST(RenderPlotTest, HistogramPlotHasTheExposureCounts) {
    const Volume volume = test::make_volume<std::uint8_t>(
        {2, 3, 4, 2}, [](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t c) {
            return 3 + (z * 12 + y * 4 + x) % 5 + 2 * c;
        });
    const Histogram expected = histogram(volume);
    const HistogramPlot plot = histogram_plot(volume, 256, SourceRange::image, true);
    EXPECT_EQ(plot.counts, expected.counts);
    EXPECT_EQ(plot.bin_centers, expected.bin_centers);
    EXPECT_EQ(plot.cdf, cumulative_distribution(volume).cdf);
    EXPECT_EQ(plot.colormap, nullptr);
    const std::vector<HistogramPlot> plots = histogram_plots_per_channel(volume);
    const ChannelHistograms channels = histogram_per_channel(volume);
    ASSERT_EQ(plots.size(), 2u);
    EXPECT_EQ(plots[1].counts, channels.counts[1]);
    EXPECT_EQ(plots[1].bin_centers, channels.bin_centers);
    EXPECT_TRUE(plots[1].cdf.empty());
    // Uniform bins for the integers (hist --bins 4): the CDF of those bins, not skimage's
    // per value.
    const HistogramPlot uniform =
        histogram_plot(volume, 4, SourceRange::image, true, IntegerBins::uniform);
    EXPECT_EQ(uniform.counts,
              histogram(volume, 4, SourceRange::image, IntegerBins::uniform).counts);
    EXPECT_EQ(uniform.counts, (std::vector<std::int64_t>{10, 10, 19, 9}));  // np.histogram
    EXPECT_EQ(uniform.cdf, (std::vector<double>{10 / 48.0, 20 / 48.0, 39 / 48.0, 1.0}));
    const std::vector<HistogramPlot> uniform_plots =
        histogram_plots_per_channel(volume, 4, SourceRange::image, true, IntegerBins::uniform);
    EXPECT_EQ(uniform_plots[1].counts,
              histogram_per_channel(volume, 4, SourceRange::image, IntegerBins::uniform).counts[1]);
    EXPECT_EQ(uniform_plots[1].cdf.size(), 4u);
}

TEST(RenderPlotTest, ValueHistogramIsMatplotlibsHistOfTheFiniteValues) {
    // np.histogram([1, 2, 3, 4, 5], bins=4): edges 1, 2, 3, 4, 5; the last bin is closed.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    std::int64_t left_out = -1;
    HistogramPlot plot = value_histogram_plot(
        test::make_line<double>({1, nan, 2, 3, inf, 4, 5, -inf}), 4, &left_out);
    EXPECT_EQ(plot.counts, (std::vector<std::int64_t>{1, 1, 1, 2}));
    EXPECT_EQ(plot.bin_centers, (std::vector<double>{1.5, 2.5, 3.5, 4.5}));
    EXPECT_EQ(left_out, 3);
    // Integers are binned as floats: two bins over 0..10, not one bin per integer.
    plot = value_histogram_plot(test::make_line<std::uint8_t>({0, 10, 3}), 2, &left_out);
    EXPECT_EQ(plot.counts, (std::vector<std::int64_t>{2, 1}));
    EXPECT_EQ(plot.bin_centers, (std::vector<double>{2.5, 7.5}));
    EXPECT_EQ(left_out, 0);
    VOX_EXPECT_THROW_MSG(value_histogram_plot(test::make_line<float>({NAN, INFINITY}), 4),
                         ValueError,
                         "every value is NaN or infinite: there is no histogram to draw");
}

TEST(RenderPlotTest, PlotPanelsTakeTheWidthOfTheImagesAbove) {
    const Volume volume = anisotropic();
    const auto channels = resolve_mapping(volume, default_mapping(volume));
    std::vector<Panel> panels = {slice_panel(volume, Axis::z, 0, channels),
                                 plot_panel(known_plot()), plot_panel(known_plot())};
    panels[1].histogram->width = 0;
    panels[1].histogram->height = 0;
    panels[2].histogram->width = 0;
    panels[2].histogram->height = 0;
    FigureOptions options;
    options.columns = 2;
    options.zoom = 4.0;
    // The image: 40 x 20 px of 0.5 x 1 mm at 4 px per 0.5 mm = 160 x 160 px. Its column's
    // plot takes its width, the other column's the default 384; heights 2/3 of widths.
    const std::vector<PanelBox> boxes = figure_panel_boxes(panels, options);
    EXPECT_EQ(boxes[0].width, 160.0);
    EXPECT_EQ(boxes[2].width, 160.0);
    EXPECT_EQ(boxes[2].height, std::round(160.0 * 2.0 / 3.0));
    EXPECT_EQ(boxes[1].width, 384.0);
    EXPECT_EQ(boxes[1].height, 256.0);
    EXPECT_EQ(boxes[2].x, boxes[0].x);
}

}  // namespace
}  // namespace vox
