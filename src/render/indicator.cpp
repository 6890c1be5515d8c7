// The position indicator (the tutorial's slice_in_3D: the volume's box in 3D with the
// current plane) and text labels drawn into images, both rendered with Cairo.
#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>

#include "cairo_image.h"
#include "vox/error.h"
#include "vox/render.h"

namespace vox {
namespace {

constexpr const char* kFont = "DejaVu Sans";

using render::Context;
using render::copy_back;
using render::Surface;
using render::surface_of;

std::int64_t extent_of(const Shape& shape, Axis axis) {
    return axis == Axis::z ? shape.z : (axis == Axis::y ? shape.y : shape.x);
}

// Grayscale antialiasing (never subpixel, whatever fontconfig says): white text on a
// neutral box keeps a gray image gray. Hinting stays at the default, as in figure.cpp:
// Cairo's FreeType backend shares glyph state between scaled fonts of one face, and other
// hint settings here shift the figure's own text by a fraction of a pixel.
void set_font(cairo_t* cr, double size) {
    cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_font_options_t* font_options = cairo_font_options_create();
    cairo_font_options_set_antialias(font_options, CAIRO_ANTIALIAS_GRAY);
    cairo_set_font_options(cr, font_options);
    cairo_font_options_destroy(font_options);
}

using Point3 = std::array<double, 3>;  // physical (X, Y, Z): x, y, z (up)
using Point2 = std::array<double, 2>;  // screen (u right, v up)

// The documented orthographic view (kIndicatorElevation, kIndicatorAzimuth).
Point2 project_view(const Point3& p) {
    const double azimuth = kIndicatorAzimuth * std::numbers::pi / 180.0;
    const double elevation = kIndicatorElevation * std::numbers::pi / 180.0;
    const double u = -std::sin(azimuth) * p[0] + std::cos(azimuth) * p[1];
    const double v = -std::sin(elevation) * std::cos(azimuth) * p[0] -
                     std::sin(elevation) * std::sin(azimuth) * p[1] + std::cos(elevation) * p[2];
    return {u, v};
}

double usable_spacing(const Spacing& spacing, Axis axis) {
    const double s = spacing.zyx[std::size_t(axis)];
    return s > 0.0 && std::isfinite(s) ? s : 1.0;
}

}  // namespace

Panel position_panel(const Volume& volume, Axis axis, std::int64_t index, int size_px) {
    if (size_px < 32 || size_px > 4096) {
        throw ValueError(
            fmt::format("the position indicator must be 32 to 4096 pixels, not {}", size_px));
    }
    const Shape& shape = volume.shape();
    const std::int64_t extent = extent_of(shape, axis);
    if (index < 0 || index >= extent) {
        throw ValueError(fmt::format("{} index {} is outside the volume (0 to {})", axis_name(axis),
                                     index, extent - 1));
    }
    const Spacing& spacing = volume.spacing();
    const Point3 size{double(shape.x) * usable_spacing(spacing, Axis::x),
                      double(shape.y) * usable_spacing(spacing, Axis::y),
                      double(shape.z) * usable_spacing(spacing, Axis::z)};
    std::array<Point3, 8> corners{};
    for (int i = 0; i < 8; ++i) {
        corners[std::size_t(i)] = {(i & 1) ? size[0] : 0.0, (i & 2) ? size[1] : 0.0,
                                   (i & 4) ? size[2] : 0.0};
    }
    // Fit the projected box into the image with room for the axis names.
    const double margin = std::max(14.0, 0.08 * size_px);
    double u_low = 1e300, u_high = -1e300, v_low = 1e300, v_high = -1e300;
    for (const Point3& corner : corners) {
        const Point2 q = project_view(corner);
        u_low = std::min(u_low, q[0]);
        u_high = std::max(u_high, q[0]);
        v_low = std::min(v_low, q[1]);
        v_high = std::max(v_high, q[1]);
    }
    const double room = double(size_px) - 2.0 * margin;
    const double scale =
        std::min(room / std::max(u_high - u_low, 1e-300), room / std::max(v_high - v_low, 1e-300));
    const double centre_u = (u_low + u_high) / 2.0;
    const double centre_v = (v_low + v_high) / 2.0;
    const auto to_pixels = [&](const Point3& p) {
        const Point2 q = project_view(p);
        return Point2{size_px / 2.0 + scale * (q[0] - centre_u),
                      size_px / 2.0 - scale * (q[1] - centre_v)};
    };

    Surface surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, size_px, size_px));
    Context context(cairo_create(surface.get()));
    cairo_t* cr = context.get();
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    const double line = std::max(1.0, size_px / 160.0);

    // The corner farthest from the eye: its three edges are hidden, so they are dashed.
    const double azimuth = kIndicatorAzimuth * std::numbers::pi / 180.0;
    const double elevation = kIndicatorElevation * std::numbers::pi / 180.0;
    const Point3 eye{std::cos(elevation) * std::cos(azimuth),
                     std::cos(elevation) * std::sin(azimuth), std::sin(elevation)};
    int back = 0;
    double back_depth = 1e300;
    for (int i = 0; i < 8; ++i) {
        const Point3& c = corners[std::size_t(i)];
        const double depth = c[0] * eye[0] + c[1] * eye[1] + c[2] * eye[2];
        if (depth < back_depth) {
            back_depth = depth;
            back = i;
        }
    }
    cairo_set_source_rgb(cr, 64 / 255.0, 64 / 255.0, 64 / 255.0);
    cairo_set_line_width(cr, line);
    for (int pass = 0; pass < 2; ++pass) {
        const bool hidden = pass == 0;
        const double dash = 3.0 * line;
        cairo_set_dash(cr, &dash, hidden ? 1 : 0, 0.0);
        for (int i = 0; i < 8; ++i) {
            for (int bit = 1; bit < 8; bit <<= 1) {
                if (i & bit) continue;  // each edge once, from its lower corner
                const int j = i | bit;
                if ((i == back || j == back) != hidden) continue;
                const Point2 a = to_pixels(corners[std::size_t(i)]);
                const Point2 b = to_pixels(corners[std::size_t(j)]);
                cairo_move_to(cr, a[0], a[1]);
                cairo_line_to(cr, b[0], b[1]);
            }
        }
        cairo_stroke(cr);
    }
    cairo_set_dash(cr, nullptr, 0, 0.0);

    // The plane at its voxel centre, as the tutorial's Poly3DCollection.
    const std::size_t k = axis == Axis::x ? 0 : (axis == Axis::y ? 1 : 2);
    const double at = (double(index) + 0.5) * usable_spacing(spacing, axis);
    const std::size_t k1 = (k + 1) % 3;
    const std::size_t k2 = (k + 2) % 3;
    std::array<Point2, 4> quad{};
    for (int i = 0; i < 4; ++i) {
        Point3 p{};
        p[k] = at;
        p[k1] = (i == 1 || i == 2) ? size[k1] : 0.0;
        p[k2] = (i >= 2) ? size[k2] : 0.0;
        quad[std::size_t(i)] = to_pixels(p);
    }
    cairo_move_to(cr, quad[0][0], quad[0][1]);
    for (int i = 1; i < 4; ++i)
        cairo_line_to(cr, quad[std::size_t(i)][0], quad[std::size_t(i)][1]);
    cairo_close_path(cr);
    cairo_set_source_rgba(cr, 0, 1, 1, 0.25);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0, 0.75, 0.75);
    cairo_set_line_width(cr, line * 1.5);
    cairo_stroke(cr);

    // Axis names outside the middle of three front edges, pushed away from the box centre.
    const Point2 middle = to_pixels({size[0] / 2, size[1] / 2, size[2] / 2});
    set_font(cr, std::max(9.0, size_px / 16.0));
    struct Name {
        const char* text;
        Point3 at;
        std::array<double, 3> colour;
    };
    const Name names[] = {
        {"x", {size[0] / 2, 0.0, 0.0}, {0.75, 0.1, 0.1}},
        {"y", {size[0], size[1] / 2, 0.0}, {0.1, 0.55, 0.1}},
        {"z", {0.0, 0.0, size[2] / 2}, {0.1, 0.2, 0.8}},
    };
    for (const Name& name : names) {
        const Point2 p = to_pixels(name.at);
        double du = p[0] - middle[0];
        double dv = p[1] - middle[1];
        const double length = std::hypot(du, dv);
        if (length > 0) {
            du /= length;
            dv /= length;
        }
        cairo_text_extents_t text;
        cairo_text_extents(cr, name.text, &text);
        const double offset = 0.6 * margin;
        const double x = p[0] + offset * du - text.width / 2 - text.x_bearing;
        const double y = p[1] + offset * dv - text.height / 2 - text.y_bearing;
        cairo_set_source_rgb(cr, name.colour[0], name.colour[1], name.colour[2]);
        cairo_move_to(cr, x, y);
        cairo_show_text(cr, name.text);
    }
    context.reset();

    Panel panel;
    panel.image = Image::filled(size_px, size_px);
    copy_back(surface.get(), panel.image);
    panel.title = fmt::format("{} = {} of {}", axis_name(axis), index, extent);
    return panel;
}

void draw_image_label(Image& image, const std::string& text, double font_px) {
    if (!(font_px >= 4.0 && font_px <= 256.0)) {
        throw ValueError(fmt::format("the label font must be 4 to 256 pixels, not {:g}", font_px));
    }
    if (text.empty() || image.width == 0 || image.height == 0) return;
    const Surface surface = surface_of(image);
    Context context(cairo_create(surface.get()));
    cairo_t* cr = context.get();
    set_font(cr, font_px);
    cairo_font_extents_t font;
    cairo_font_extents(cr, &font);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text.c_str(), &extents);
    const double pad = 4.0;
    const double corner = 3.0;
    // Whole pixels for the box: its edges stay crisp and add no extra blends.
    const double width = std::ceil(extents.x_advance + 2 * pad);
    const double height = std::ceil(font.ascent + font.descent + 2 * pad);
    cairo_rectangle(cr, corner, corner, width, height);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_move_to(cr, corner + pad, corner + pad + font.ascent);
    cairo_show_text(cr, text.c_str());
    context.reset();
    copy_back(surface.get(), image);
}

}  // namespace vox
