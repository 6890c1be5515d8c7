// Figures: panels laid out in a grid with titles, crosshairs, a scale bar and a colorbar,
// drawn with Cairo onto a PNG, SVG or PDF surface and written atomically.
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <fmt/format.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <memory>
#include <numbers>

#include "source.h"
#include "vox/error.h"
#include "vox/render.h"

namespace vox {
namespace {

constexpr double kMargin = 12.0;
constexpr double kTitleFont = 13.0;
constexpr double kLabelFont = 11.0;
constexpr double kTitleHeight = 22.0;
constexpr double kFigureTitleHeight = 28.0;
constexpr double kColorbarWidth = 16.0;
constexpr double kColorbarLabels = 64.0;
constexpr double kAxisLabelSpace = 18.0;
constexpr const char* kFont = "DejaVu Sans";

struct CairoDeleter {
    void operator()(cairo_t* cr) const { cairo_destroy(cr); }
    void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
using Context = std::unique_ptr<cairo_t, CairoDeleter>;
using Surface = std::unique_ptr<cairo_surface_t, CairoDeleter>;

// An RGBA image as a Cairo surface (premultiplied ARGB in native order).
Surface surface_of(const Image& image) {
    Surface surface(
        cairo_image_surface_create(CAIRO_FORMAT_ARGB32, int(image.width), int(image.height)));
    cairo_surface_flush(surface.get());
    unsigned char* data = cairo_image_surface_get_data(surface.get());
    const int stride = cairo_image_surface_get_stride(surface.get());
    for (std::int64_t y = 0; y < image.height; ++y) {
        auto* row = reinterpret_cast<std::uint32_t*>(data + y * stride);
        for (std::int64_t x = 0; x < image.width; ++x) {
            const std::uint8_t* p = image.pixel(x, y);
            const std::uint32_t a = p[3];
            auto premultiply = [a](std::uint32_t v) { return (v * a + 127) / 255; };
            row[x] = (a << 24) | (premultiply(p[0]) << 16) | (premultiply(p[1]) << 8) |
                     premultiply(p[2]);
        }
    }
    cairo_surface_mark_dirty(surface.get());
    return surface;
}

// Where each panel goes, in figure pixels.
struct Placement {
    double x = 0.0;
    double y = 0.0;
    double width = 0.0;
    double height = 0.0;
};

struct Layout {
    std::vector<Placement> panels;
    double width = 0.0;
    double height = 0.0;
    // Figure pixels per physical unit of the finest spacing.
    double pixels_per_unit = 1.0;
    Placement colorbar;
};

Layout lay_out(const std::vector<Panel>& panels, const FigureOptions& options) {
    double finest = std::numeric_limits<double>::infinity();
    for (const Panel& panel : panels)
        finest = std::min({finest, panel.pixel_width, panel.pixel_height});
    if (!(finest > 0.0) || !std::isfinite(finest)) finest = 1.0;
    Layout layout;
    double zoom = options.zoom;
    if (zoom <= 0.0) {
        double largest = 1.0;
        for (const Panel& panel : panels) {
            largest = std::max({largest, double(panel.image.width) * panel.pixel_width / finest,
                                double(panel.image.height) * panel.pixel_height / finest});
        }
        zoom = std::max(1.0, std::ceil(256.0 / largest));
    }
    layout.pixels_per_unit = zoom / finest;
    const std::size_t columns = options.columns > 0 ? std::size_t(options.columns) : panels.size();
    const std::size_t rows = (panels.size() + columns - 1) / columns;
    std::vector<double> column_width(columns, 0.0);
    std::vector<double> row_height(rows, 0.0);
    layout.panels.resize(panels.size());
    for (std::size_t i = 0; i < panels.size(); ++i) {
        Placement& place = layout.panels[i];
        place.width = std::round(double(panels[i].image.width) * panels[i].pixel_width *
                                 layout.pixels_per_unit);
        place.height = std::round(double(panels[i].image.height) * panels[i].pixel_height *
                                  layout.pixels_per_unit);
        column_width[i % columns] = std::max(column_width[i % columns], place.width);
        row_height[i / columns] = std::max(row_height[i / columns], place.height);
    }
    bool titled = false;
    for (const Panel& panel : panels)
        titled = titled || !panel.title.empty();
    const double title_space = titled ? kTitleHeight : 0.0;
    const double label_space = options.axis_labels ? kAxisLabelSpace : 0.0;
    double top = kMargin + (options.title.empty() ? 0.0 : kFigureTitleHeight);
    for (std::size_t r = 0; r < rows; ++r) {
        double left = kMargin + label_space;
        for (std::size_t c = 0; c < columns && r * columns + c < panels.size(); ++c) {
            Placement& place = layout.panels[r * columns + c];
            place.x = left;
            place.y = top + title_space;
            left += column_width[c] + kMargin + label_space;
        }
        top += title_space + row_height[r] + kMargin + label_space;
    }
    double right = kMargin + label_space;
    for (double width : column_width)
        right += width + kMargin + label_space;
    if (options.colorbar) {
        layout.colorbar = {right, layout.panels.front().y, kColorbarWidth, row_height.front()};
        right += kColorbarWidth + kColorbarLabels;
    }
    layout.width = std::ceil(right);
    layout.height = std::ceil(top);
    return layout;
}

void draw_text(cairo_t* cr, const std::string& text, double x, double y, double size,
               double anchor_x = 0.5) {
    cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text.c_str(), &extents);
    cairo_move_to(cr, x - extents.x_advance * anchor_x, y);
    cairo_show_text(cr, text.c_str());
}

void draw_image(cairo_t* cr, const Image& image, const Placement& place) {
    if (image.width == 0 || image.height == 0) return;
    const Surface surface = surface_of(image);
    cairo_save(cr);
    cairo_rectangle(cr, place.x, place.y, place.width, place.height);
    cairo_clip(cr);
    cairo_translate(cr, place.x, place.y);
    cairo_scale(cr, place.width / double(image.width), place.height / double(image.height));
    cairo_set_source_surface(cr, surface.get(), 0, 0);
    // Voxels stay sharp squares (or rectangles): never smear them.
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
}

void draw_crosshair(cairo_t* cr, const Panel& panel, const Placement& place) {
    const double sx = place.width / double(panel.image.width);
    const double sy = place.height / double(panel.image.height);
    const double x = place.x + ((*panel.crosshair)[0] + 0.5) * sx;
    const double y = place.y + ((*panel.crosshair)[1] + 0.5) * sy;
    cairo_save(cr);
    cairo_set_source_rgba(cr, 1.0, 0.85, 0.0, 0.8);
    cairo_set_line_width(cr, 1.0);
    cairo_move_to(cr, x, place.y);
    cairo_line_to(cr, x, place.y + place.height);
    cairo_move_to(cr, place.x, y);
    cairo_line_to(cr, place.x + place.width, y);
    cairo_stroke(cr);
    cairo_restore(cr);
}

std::string format_length(double length, const std::string& unit) {
    return fmt::format("{:g} {}", length, unit);
}

// A white bar of a nice physical length at the panel's bottom right, with its length.
void draw_scale_bar(cairo_t* cr, const Panel& panel, const Placement& place,
                    double pixels_per_unit) {
    const double length = nice_length(0.2 * place.width / pixels_per_unit);
    const double bar = length * pixels_per_unit;
    // Too short or thin a panel has no room for the bar and its label above it.
    if (!(bar >= 4.0) || bar > place.width || place.height < 32.0) return;
    const double x1 = place.x + place.width - 8.0;
    const double y = place.y + place.height - 8.0;
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, x1 - bar - 1.0, y - 4.0, bar + 2.0, 6.0);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, x1 - bar, y - 3.0, bar, 4.0);
    cairo_fill(cr);
    draw_text(cr, format_length(length, panel.unit), x1 - bar / 2.0, y - 7.0, kLabelFont);
    cairo_restore(cr);
}

void draw_colorbar(cairo_t* cr, const ResolvedChannel& channel, const Placement& place) {
    Image ramp = Image::filled(1, 256);
    for (int i = 0; i < 256; ++i) {
        const auto colour = channel.colormap->at(double(255 - i) / 255.0);
        std::copy(colour.begin(), colour.end(), ramp.pixel(0, i));
    }
    const Surface surface = surface_of(ramp);
    cairo_save(cr);
    cairo_translate(cr, place.x, place.y);
    cairo_scale(cr, place.width, place.height / 256.0);
    cairo_set_source_surface(cr, surface.get(), 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, place.x + 0.5, place.y + 0.5, place.width - 1.0, place.height - 1.0);
    cairo_stroke(cr);
    const double text_x = place.x + place.width + 4.0;
    draw_text(cr, fmt::format("{:.5g}", channel.high), text_x, place.y + kLabelFont, kLabelFont,
              0.0);
    draw_text(cr, fmt::format("{:.5g}", channel.low), text_x, place.y + place.height, kLabelFont,
              0.0);
}

void draw_figure(cairo_t* cr, const std::vector<Panel>& panels, const FigureOptions& options,
                 const Layout& layout) {
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (!options.title.empty()) {
        draw_text(cr, options.title, layout.width / 2.0, kMargin + kTitleFont + 4.0,
                  kTitleFont + 2.0);
    }
    for (std::size_t i = 0; i < panels.size(); ++i) {
        const Panel& panel = panels[i];
        const Placement& place = layout.panels[i];
        draw_image(cr, panel.image, place);
        if (panel.crosshair) draw_crosshair(cr, panel, place);
        cairo_set_source_rgb(cr, 0, 0, 0);
        if (!panel.title.empty()) {
            draw_text(cr, panel.title, place.x + place.width / 2.0, place.y - 7.0, kTitleFont);
        }
        if (options.axis_labels) {
            draw_text(cr, panel.x_label, place.x + place.width / 2.0,
                      place.y + place.height + kAxisLabelSpace - 4.0, kLabelFont);
            cairo_save(cr);
            cairo_translate(cr, place.x - 5.0, place.y + place.height / 2.0);
            cairo_rotate(cr, -std::numbers::pi / 2.0);
            draw_text(cr, panel.y_label, 0.0, 0.0, kLabelFont);
            cairo_restore(cr);
        }
    }
    if (options.scale_bar && !panels.front().unit.empty()) {
        draw_scale_bar(cr, panels.front(), layout.panels.front(), layout.pixels_per_unit);
    }
    if (options.colorbar) draw_colorbar(cr, *options.colorbar, layout.colorbar);
}

// Cairo's stream callback: appends to the atomic file; errors are kept for rethrowing.
struct Sink {
    io::AtomicFile* file = nullptr;
    std::exception_ptr error;
};

cairo_status_t write_to_sink(void* closure, const unsigned char* data, unsigned int length) {
    auto* sink = static_cast<Sink*>(closure);
    try {
        sink->file->write(data, std::int64_t(length));
        return CAIRO_STATUS_SUCCESS;
    } catch (...) {
        sink->error = std::current_exception();
        return CAIRO_STATUS_WRITE_ERROR;
    }
}

void check(cairo_status_t status, Sink& sink, const std::string& path) {
    if (sink.error) std::rethrow_exception(sink.error);
    if (status != CAIRO_STATUS_SUCCESS) {
        throw IoError(fmt::format("cannot write '{}': {}", path, cairo_status_to_string(status)));
    }
}

// Encodes a drawn ARGB32 surface as an RGB PNG with libpng. Fast settings (zlib level 1,
// the Sub filter) because figures are written interactively: Cairo's own writer uses
// level 6 and takes several times longer on noisy microscopy images for a few % of size.
void write_png(cairo_surface_t* surface, Sink& sink, const std::string& path) {
    cairo_surface_flush(surface);
    const int width = cairo_image_surface_get_width(surface);
    const int height = cairo_image_surface_get_height(surface);
    const int stride = cairo_image_surface_get_stride(surface);
    const unsigned char* data = cairo_image_surface_get_data(surface);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!info) {
        png_destroy_write_struct(&png, nullptr);
        throw IoError(fmt::format("cannot write '{}': out of memory for the PNG encoder", path));
    }
    std::vector<png_byte> row(std::size_t(width) * 3);
    // libpng reports errors by longjmp: nothing with a destructor lives in this frame
    // between setjmp and the end of the encoding except `row`, allocated before it.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        if (sink.error) std::rethrow_exception(sink.error);
        throw IoError(fmt::format("cannot write '{}': PNG encoding failed", path));
    }
    png_set_write_fn(
        png, &sink,
        [](png_structp p, png_bytep bytes, png_size_t length) {
            if (write_to_sink(png_get_io_ptr(p), bytes, unsigned(length)) != CAIRO_STATUS_SUCCESS)
                png_error(p, "write failed");
        },
        nullptr);
    png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 1);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    png_write_info(png, info);
    for (int y = 0; y < height; ++y) {
        // The figure is opaque (white background), so premultiplied ARGB is plain RGB.
        const auto* pixels = reinterpret_cast<const std::uint32_t*>(data + y * stride);
        for (int x = 0; x < width; ++x) {
            row[std::size_t(3 * x)] = png_byte(pixels[x] >> 16);
            row[std::size_t(3 * x + 1)] = png_byte(pixels[x] >> 8);
            row[std::size_t(3 * x + 2)] = png_byte(pixels[x]);
        }
        png_write_row(png, row.data());
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
}

}  // namespace

double nice_length(double target) {
    if (!(target > 0.0) || !std::isfinite(target)) return 0.0;
    const double power = std::pow(10.0, std::floor(std::log10(target)));
    const double mantissa = target / power;
    const double nice =
        mantissa < 1.5 ? 1.0 : (mantissa < 3.5 ? 2.0 : (mantissa < 7.5 ? 5.0 : 10.0));
    return nice * power;
}

FigureFormat figure_format(const std::string& path) {
    if (io::has_extension(path, ".png")) return FigureFormat::png;
    if (io::has_extension(path, ".svg")) return FigureFormat::svg;
    if (io::has_extension(path, ".pdf")) return FigureFormat::pdf;
    throw ValueError(fmt::format("cannot write a figure to '{}': use .png, .svg or .pdf", path));
}

void write_figure(const std::vector<Panel>& panels, const FigureOptions& options,
                  const std::string& path) {
    if (panels.empty()) throw ValueError("a figure needs at least one panel");
    const FigureFormat kind = figure_format(path);
    const Layout layout = lay_out(panels, options);
    io::AtomicFile file(path);
    Sink sink{&file, nullptr};
    Surface surface;
    switch (kind) {
        case FigureFormat::png:
            surface.reset(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, int(layout.width),
                                                     int(layout.height)));
            break;
        case FigureFormat::svg:
            surface.reset(cairo_svg_surface_create_for_stream(write_to_sink, &sink, layout.width,
                                                              layout.height));
            break;
        case FigureFormat::pdf:
            surface.reset(cairo_pdf_surface_create_for_stream(write_to_sink, &sink, layout.width,
                                                              layout.height));
            break;
    }
    check(cairo_surface_status(surface.get()), sink, path);
    {
        const Context cr(cairo_create(surface.get()));
        draw_figure(cr.get(), panels, options, layout);
        check(cairo_status(cr.get()), sink, path);
    }
    if (kind == FigureFormat::png) {
        write_png(surface.get(), sink, path);
    }
    cairo_surface_finish(surface.get());
    check(cairo_surface_status(surface.get()), sink, path);
    file.commit();
}

}  // namespace vox
