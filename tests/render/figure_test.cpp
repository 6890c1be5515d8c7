// Unit tests of the figure layer: titles, scale-bar lengths, panel geometry and the
// written PNG (its size follows the physical proportions of the panels).
#include "vox/render.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
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
    options.zoom = 2.0;
    // The plane along x: 20 px of y (1 mm) across, 10 px of z (2 mm) down: 20 mm x 20 mm,
    // drawn at 2 px per finest voxel (1 mm here) as 40 x 40 px inside the margins.
    write_figure({slice_panel(volume, Axis::x, 0, channels)}, options, path);
    const auto [width, height] = png_size(path);
    EXPECT_EQ(width, 12u + 40u + 12u);
    EXPECT_EQ(height, 12u + 22u + 40u + 12u);
    std::filesystem::remove(path);
    VOX_EXPECT_THROW_MSG(figure_format("figure.jpg"), ValueError,
                         "cannot write a figure to 'figure.jpg': use .png, .svg or .pdf");
    EXPECT_EQ(figure_format("A.PDF"), FigureFormat::pdf);
    VOX_EXPECT_THROW_MSG(write_figure({}, options, path), ValueError,
                         "a figure needs at least one panel");
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
    // Five planes in 2 columns make 3 rows of 20 x 20 mm tiles, 40 x 40 px at 2 px per mm
    // (the finest spacing is 0.5 mm).
    write_figure(montage_panels(volume, Axis::z, 0, 2, 5, channels), options, path);
    const auto [width, height] = png_size(path);
    EXPECT_EQ(width, 12u + 2u * (40u + 12u));
    EXPECT_EQ(height, 12u + 3u * (22u + 40u + 12u));
    std::filesystem::remove(path);
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

}  // namespace
}  // namespace vox
