// Unit tests of the position indicator (position_panel()) and image labels
// (draw_image_label()): the projection is recomputed here from the documented view, and
// pixels are checked where it says the box and the plane land.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>
#include <string>

#include "test_util.h"
#include "vox/error.h"
#include "vox/render.h"

namespace vox {
namespace {

// The documented view (render.h): elevation 25 deg, azimuth -60 deg, orthographic.
std::array<double, 2> project(double x, double y, double z) {
    const double az = -60.0 * std::numbers::pi / 180.0;
    const double el = 25.0 * std::numbers::pi / 180.0;
    return {-std::sin(az) * x + std::cos(az) * y,
            -std::sin(el) * std::cos(az) * x - std::sin(el) * std::sin(az) * y + std::cos(el) * z};
}

struct Box {
    double left = 1e9, top = 1e9, right = -1e9, bottom = -1e9;
    double width() const { return right - left; }
    double height() const { return bottom - top; }
};

bool is_edge(const std::uint8_t* p) {
    return p[0] == p[1] && p[1] == p[2] && p[0] < 200;
}
bool is_cyan(const std::uint8_t* p) {
    return int(p[1]) - int(p[0]) > 40 && int(p[2]) - int(p[0]) > 40;
}

// Bounding box of the box's edges (neutral gray pixels), in pixel centres.
Box edge_box(const Image& image) {
    Box box;
    for (std::int64_t y = 0; y < image.height; ++y)
        for (std::int64_t x = 0; x < image.width; ++x)
            if (is_edge(image.pixel(x, y))) {
                box.left = std::min(box.left, x + 0.5);
                box.right = std::max(box.right, x + 0.5);
                box.top = std::min(box.top, y + 0.5);
                box.bottom = std::max(box.bottom, y + 0.5);
            }
    return box;
}

std::array<double, 2> cyan_centroid(const Image& image, std::int64_t* count = nullptr) {
    double sx = 0, sy = 0;
    std::int64_t n = 0;
    for (std::int64_t y = 0; y < image.height; ++y)
        for (std::int64_t x = 0; x < image.width; ++x)
            if (is_cyan(image.pixel(x, y))) {
                sx += x + 0.5;
                sy += y + 0.5;
                ++n;
            }
    if (count != nullptr) *count = n;
    return {sx / double(n), sy / double(n)};
}

// The projected bounding box of a physical box [0, X] x [0, Y] x [0, Z].
Box projected_box(double X, double Y, double Z) {
    Box box;
    for (int i = 0; i < 8; ++i) {
        const auto q = project(i & 1 ? X : 0, i & 2 ? Y : 0, i & 4 ? Z : 0);
        box.left = std::min(box.left, q[0]);
        box.right = std::max(box.right, q[0]);
        box.top = std::min(box.top, q[1]);  // v up: "top" holds the low v here
        box.bottom = std::max(box.bottom, q[1]);
    }
    return box;
}

Volume zeros(const Shape& shape) {
    return test::make_volume<std::uint8_t>(shape, [](auto...) { return 0; });
}

TEST(PositionPanel, PlaneLandsWhereTheProjectionSays) {
    const Volume volume = zeros({60, 40, 80, 1});  // spacing 1: X 80, Y 40, Z 60
    for (const std::int64_t index : {std::int64_t(0), std::int64_t(30), std::int64_t(59)}) {
        const Panel panel = position_panel(volume, Axis::z, index, 256);
        ASSERT_EQ(panel.image.width, 256);
        ASSERT_EQ(panel.image.height, 256);
        EXPECT_EQ(panel.pixel_width, 1.0);
        EXPECT_TRUE(panel.unit.empty());
        EXPECT_EQ(panel.title, "z = " + std::to_string(index) + " of 60");
        // Map the projection onto the measured edges: one scale, v pointing up.
        const Box pixels = edge_box(panel.image);
        const Box view = projected_box(80, 40, 60);
        const double scale = pixels.width() / view.width();
        EXPECT_NEAR(pixels.height() / view.height(), scale, 0.02 * scale);
        const auto centre = project(40, 20, index + 0.5);
        const double x = pixels.left + scale * (centre[0] - view.left);
        const double y = pixels.bottom - scale * (centre[1] - view.top);
        std::int64_t count = 0;
        const auto centroid = cyan_centroid(panel.image, &count);
        EXPECT_GT(count, 1000) << index;
        EXPECT_NEAR(centroid[0], x, 1.5) << index;
        EXPECT_NEAR(centroid[1], y, 1.5) << index;
        // The fill itself: cyan at 0.25 over white, at the plane's centre.
        const std::uint8_t* middle = panel.image.pixel(std::int64_t(x), std::int64_t(y));
        EXPECT_NEAR(middle[0], 191, 2);
        EXPECT_EQ(middle[1], 255);
        EXPECT_EQ(middle[2], 255);
        // Corners of the plane, pulled 10% toward its centre, are inside the cyan quad.
        for (const auto& [cx, cy] : {std::pair{0.0, 0.0}, {80.0, 0.0}, {80.0, 40.0}, {0.0, 40.0}}) {
            const auto q = project(0.9 * cx + 0.1 * 40, 0.9 * cy + 0.1 * 20, index + 0.5);
            const auto px = std::int64_t(pixels.left + scale * (q[0] - view.left));
            const auto py = std::int64_t(pixels.bottom - scale * (q[1] - view.top));
            EXPECT_TRUE(is_cyan(panel.image.pixel(px, py))) << index << " " << cx << "," << cy;
        }
    }
}

TEST(PositionPanel, FirstAndLastPlanesAtOppositeEnds) {
    const Volume volume = zeros({20, 30, 30, 1});
    for (const Axis axis : {Axis::z, Axis::y, Axis::x}) {
        const std::int64_t last = volume.shape().extent(axis) - 1;
        const auto first_centre = cyan_centroid(position_panel(volume, axis, 0, 200).image);
        const auto last_centre = cyan_centroid(position_panel(volume, axis, last, 200).image);
        // z goes up the screen; x goes right and down; y goes right and up (azimuth -60).
        const auto a =
            project(axis == Axis::x ? 0 : 15, axis == Axis::y ? 0 : 15, axis == Axis::z ? 0 : 10);
        const auto b = project(axis == Axis::x ? 30 : 15, axis == Axis::y ? 30 : 15,
                               axis == Axis::z ? 20 : 10);
        const double du = b[0] - a[0];
        const double dv = b[1] - a[1];
        const double moved_x = last_centre[0] - first_centre[0];
        const double moved_y = -(last_centre[1] - first_centre[1]);
        // Same direction as the projected axis, and far apart (most of the box).
        EXPECT_GT(moved_x * du + moved_y * dv, 0.0) << axis_name(axis);
        EXPECT_GT(std::hypot(moved_x, moved_y), 60.0) << axis_name(axis);
    }
}

TEST(PositionPanel, PhysicalProportions) {
    // 10 planes 4 um apart and 40 x 40 pixels 1 um wide: a 40 um cube.
    Volume anisotropic = zeros({10, 40, 40, 1});
    anisotropic.set_spacing({{4.0, 1.0, 1.0}, "um", true});
    const Box cube = edge_box(position_panel(zeros({40, 40, 40, 1}), Axis::z, 5, 256).image);
    const Box drawn = edge_box(position_panel(anisotropic, Axis::z, 5, 256).image);
    EXPECT_NEAR(drawn.width(), cube.width(), 1.0);
    EXPECT_NEAR(drawn.height(), cube.height(), 1.0);
    // The same voxels without the spacing: a flat slab, whose aspect the projection gives.
    const Box flat = edge_box(position_panel(zeros({10, 40, 40, 1}), Axis::z, 5, 256).image);
    const Box view = projected_box(40, 40, 10);
    EXPECT_NEAR(flat.height() / flat.width(), view.height() / view.width(), 0.02);
    EXPECT_LT(flat.height(), 0.7 * drawn.height());
}

TEST(PositionPanel, Errors) {
    const Volume volume = zeros({60, 4, 4, 1});
    VOX_EXPECT_THROW_MSG(position_panel(volume, Axis::z, 60, 128), ValueError,
                         "z index 60 is outside the volume (0 to 59)");
    VOX_EXPECT_THROW_MSG(position_panel(volume, Axis::y, -1, 128), ValueError,
                         "y index -1 is outside the volume (0 to 3)");
    VOX_EXPECT_THROW_MSG(position_panel(volume, Axis::z, 0, 16), ValueError,
                         "the position indicator must be 32 to 4096 pixels, not 16");
}

TEST(ImageLabel, GrayStaysGray) {
    Image image = Image::filled(120, 40, {128, 128, 128, 255});
    draw_image_label(image, "Gamma = 0.5");
    std::set<int> levels;
    int white = 0;
    for (std::int64_t y = 0; y < image.height; ++y)
        for (std::int64_t x = 0; x < image.width; ++x) {
            const std::uint8_t* p = image.pixel(x, y);
            ASSERT_TRUE(p[0] == p[1] && p[1] == p[2]) << x << "," << y;
            EXPECT_EQ(p[3], 255);
            levels.insert(p[0]);
            white += p[0] > 230 ? 1 : 0;
        }
    EXPECT_GT(white, 20);  // the text
    // The box: 60% black over 128, at its top-left padding.
    EXPECT_NEAR(image.pixel(4, 4)[0], 51, 1);
    // Outside the box (right and bottom), untouched.
    EXPECT_EQ(image.pixel(119, 39)[0], 128);
    EXPECT_EQ(image.pixel(60, 36)[0], 128);
    EXPECT_LE(levels.size(), 256U);
}

TEST(ImageLabel, EmptyTextAndErrors) {
    Image image = Image::filled(8, 8, {10, 20, 30, 255});
    const Image before = image;
    draw_image_label(image, "");
    EXPECT_EQ(image.rgba, before.rgba);
    VOX_EXPECT_THROW_MSG(draw_image_label(image, "a", 2.0), ValueError,
                         "the label font must be 4 to 256 pixels, not 2");
}

}  // namespace
}  // namespace vox
