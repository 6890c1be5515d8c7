// Figures: panels laid out in a grid with titles, crosshairs, a scale bar and a colorbar,
// drawn with Cairo onto a PNG, SVG or PDF surface and written atomically.
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <string>

#include "cairo_image.h"
#include "png_encode.h"
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
// Plot panels: matplotlib-like axes with 10 px tick labels.
constexpr double kPlotWidth = 384.0;
constexpr double kTickFont = 10.0;
constexpr double kTickLength = 3.5;
// DejaVu Sans digits are 0.636 em wide: the width of a tick label, estimated without a
// Cairo context so that plot_frame() is pure geometry.
constexpr double kTickCharWidth = 0.64 * kTickFont;
constexpr double kPlotTop = 8.0;
constexpr double kPlotBottom = 22.0;
constexpr double kPlotRight = 14.0;
constexpr double kPlotRightCdf = 36.0;

using render::Context;
using render::Surface;
using render::surface_of;

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

// A colorbar's end label.
std::string colorbar_label(double value) {
    return fmt::format("{:.5g}", value);
}

// Selects the figure font at `size` on `cr` and returns the advance of `text` in it.
double set_font(cairo_t* cr, const std::string& text, double size) {
    cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text.c_str(), &extents);
    return extents.x_advance;
}

// The advance of `text` in the figure font at `size`, measured on a scratch surface.
double text_width(const std::string& text, double size) {
    cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
    cairo_t* cr = cairo_create(surface);
    const double width = set_font(cr, text, size);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    return width;
}

Layout lay_out(const std::vector<Panel>& panels, const FigureOptions& options) {
    double finest = std::numeric_limits<double>::infinity();
    for (const Panel& panel : panels) {
        if (!panel.histogram) finest = std::min({finest, panel.pixel_width, panel.pixel_height});
    }
    if (!(finest > 0.0) || !std::isfinite(finest)) finest = 1.0;
    Layout layout;
    double zoom = options.zoom;
    if (zoom <= 0.0) {
        double largest = 1.0;
        for (const Panel& panel : panels) {
            if (panel.histogram) continue;
            largest = std::max({largest, double(panel.image.width) * panel.pixel_width / finest,
                                double(panel.image.height) * panel.pixel_height / finest});
        }
        zoom = automatic_zoom(largest);
    }
    layout.pixels_per_unit = zoom / finest;
    const std::size_t columns = options.columns > 0 ? std::size_t(options.columns) : panels.size();
    const std::size_t rows = (panels.size() + columns - 1) / columns;
    std::vector<double> column_width(columns, 0.0);
    std::vector<double> row_height(rows, 0.0);
    layout.panels.resize(panels.size());
    // Image panels first: a plot of width 0 takes the width of the images in its column.
    for (std::size_t i = 0; i < panels.size(); ++i) {
        if (panels[i].histogram) continue;
        Placement& place = layout.panels[i];
        place.width = std::round(double(panels[i].image.width) * panels[i].pixel_width *
                                 layout.pixels_per_unit);
        place.height = std::round(double(panels[i].image.height) * panels[i].pixel_height *
                                  layout.pixels_per_unit);
        column_width[i % columns] = std::max(column_width[i % columns], place.width);
    }
    for (std::size_t i = 0; i < panels.size(); ++i) {
        Placement& place = layout.panels[i];
        if (const auto& plot = panels[i].histogram) {
            const double images = column_width[i % columns];
            place.width =
                std::round(plot->width > 0.0 ? plot->width : (images > 0.0 ? images : kPlotWidth));
            place.height = std::round(plot->height > 0.0 ? plot->height : place.width * 2.0 / 3.0);
        }
        column_width[i % columns] = std::max(column_width[i % columns], place.width);
        row_height[i / columns] = std::max(row_height[i / columns], place.height);
    }
    bool titled = false;
    for (std::size_t i = 0; i < panels.size(); ++i) {
        if (panels[i].title.empty()) continue;
        titled = true;
        // A title wider than its panel widens the column (the panel is centred in it), so
        // that neighbouring titles do not run into each other.
        const double wanted = std::ceil(text_width(panels[i].title, kTitleFont)) + 4.0;
        column_width[i % columns] = std::max(column_width[i % columns], wanted);
    }
    const double title_space = titled ? kTitleHeight : 0.0;
    const double label_space = options.axis_labels ? kAxisLabelSpace : 0.0;
    double top = kMargin + (options.title.empty() ? 0.0 : kFigureTitleHeight);
    for (std::size_t r = 0; r < rows; ++r) {
        double left = kMargin + label_space;
        for (std::size_t c = 0; c < columns && r * columns + c < panels.size(); ++c) {
            Placement& place = layout.panels[r * columns + c];
            place.x = left + std::floor((column_width[c] - place.width) / 2.0);
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
        // Room for the longer end label ("1.19e+302" is wider than the usual room).
        const double labels =
            4.0 + kMargin +
            std::max(text_width(colorbar_label(options.colorbar->high), kLabelFont),
                     text_width(colorbar_label(options.colorbar->low), kLabelFont));
        right += kColorbarWidth + std::max(kColorbarLabels, std::ceil(labels));
    }
    layout.width = std::ceil(right);
    layout.height = std::ceil(top);
    return layout;
}

void draw_text(cairo_t* cr, const std::string& text, double x, double y, double size,
               double anchor_x = 0.5) {
    const double width = set_font(cr, text, size);
    cairo_move_to(cr, x - width * anchor_x, y);
    cairo_show_text(cr, text.c_str());
}

void draw_image(cairo_t* cr, const Image& image, const Placement& place) {
    if (image.width == 0 || image.height == 0) return;
    // Most panels of a PNG figure: no surface of their own, no compositing.
    if (place.width == double(image.width) && place.height == double(image.height) &&
        render::blit_opaque(cr, image, place.x, place.y)) {
        return;
    }
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
    draw_text(cr, colorbar_label(channel.high), text_x, place.y + kLabelFont, kLabelFont, 0.0);
    draw_text(cr, colorbar_label(channel.low), text_x, place.y + place.height, kLabelFont, 0.0);
}

struct Tick {
    double value = 0.0;
    std::string label;
    // Log axes label decades as 10 with this superscript.
    std::optional<int> exponent;
};

// 1, 2, 2.5, 5 or 10 times a power of ten (matplotlib's MaxNLocator steps): the smallest
// at least `raw`.
double tick_step(double raw) {
    if (!(raw > 0.0) || !std::isfinite(raw)) return 1.0;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (step * power >= raw * (1.0 - 1e-9)) return step * power;
    }
    return 10.0 * power;
}

// Ticks and, for values of 10^6 and more (or under 10^-4), matplotlib's offset text
// ("1e6") that their labels are multiplied by.
struct TickSet {
    std::vector<Tick> ticks;
    std::string offset;
};

// Ticks at multiples of a nice step inside [low, high], about one per `spacing` pixels,
// labelled as matplotlib's ScalarFormatter does: the same number of decimals on every
// label (0.0, 0.5, 1.0), and large or tiny values scaled by a power of ten.
TickSet linear_ticks(double low, double high, double pixels, double spacing) {
    const double target = std::max(2.0, std::floor(pixels / spacing));
    const double step = tick_step((high - low) / target);
    TickSet set;
    double largest = 0.0;
    for (double k = std::ceil(low / step - 1e-9); k * step <= high + 1e-9 * step; k += 1.0) {
        const double value = k == 0.0 ? 0.0 : k * step;
        set.ticks.push_back({value, {}, std::nullopt});
        largest = std::max(largest, std::abs(value));
    }
    double scale = 1.0;
    if (largest >= 1e6 || (largest > 0.0 && largest < 1e-4)) {
        const int power = int(std::floor(std::log10(largest)));
        scale = std::pow(10.0, power);
        set.offset = fmt::format("1e{}", power);
    }
    // The fewest decimals that write every scaled tick exactly.
    int decimals = 0;
    while (decimals < 8) {
        bool exact = true;
        for (const Tick& tick : set.ticks) {
            const double shifted = tick.value / scale * std::pow(10.0, decimals);
            exact = exact && std::abs(shifted - std::round(shifted)) < 1e-6;
        }
        if (exact) break;
        ++decimals;
    }
    // matplotlib writes 0.0 .. 1.0 rather than 0 .. 1 when a label needs a decimal.
    for (Tick& tick : set.ticks) {
        const double value = tick.value / scale;
        tick.label = fmt::format("{:.{}f}", value == 0.0 ? 0.0 : value, decimals);
    }
    return set;
}

// Decades 10^k inside [low, high] (log10 units), thinned to about one per `spacing` px.
TickSet log_ticks(double low, double high, double pixels, double spacing) {
    const double first = std::ceil(low - 1e-9);
    const double last = std::floor(high + 1e-9);
    const double every =
        std::max(1.0, std::ceil((last - first + 1.0) / std::max(2.0, pixels / spacing)));
    TickSet set;
    for (double k = first; k <= last; k += every) {
        set.ticks.push_back({k, fmt::format("10{}", int(k)), int(k)});
    }
    return set;
}

double tick_label_width(const Tick& tick) {
    if (tick.exponent) {
        return 2.0 * kTickCharWidth +
               0.7 * kTickCharWidth * double(std::to_string(*tick.exponent).size());
    }
    return kTickCharWidth * double(tick.label.size());
}

TickSet count_ticks(const HistogramPlot& plot, const PlotFrame& frame) {
    return plot.log ? log_ticks(frame.y_low, frame.y_high, frame.height, 40.0)
                    : linear_ticks(frame.y_low, frame.y_high, frame.height, 40.0);
}

// One bar colour per bin.
std::array<std::uint8_t, 3> bar_color(const HistogramPlot& plot, std::size_t bin) {
    if (!plot.colormap) return plot.color;
    const double span = plot.colormap_high - plot.colormap_low;
    const double t = span > 0.0 ? (plot.bin_centers[bin] - plot.colormap_low) / span : 0.0;
    return plot.colormap->at(t);
}

double bin_spacing(const HistogramPlot& plot) {
    const std::size_t n = plot.bin_centers.size();
    const double spacing =
        n > 1 ? (plot.bin_centers[n - 1] - plot.bin_centers[0]) / double(n - 1) : 1.0;
    return spacing > 0.0 && std::isfinite(spacing) ? spacing : 1.0;
}

void set_rgb(cairo_t* cr, const std::array<std::uint8_t, 3>& colour) {
    cairo_set_source_rgb(cr, colour[0] / 255.0, colour[1] / 255.0, colour[2] / 255.0);
}

void draw_tick_label(cairo_t* cr, const Tick& tick, double x, double y, double anchor_x) {
    if (!tick.exponent) {
        draw_text(cr, tick.label, x, y, kTickFont, anchor_x);
        return;
    }
    // 10 and a raised, smaller exponent, as matplotlib's $10^{k}$.
    const std::string power = std::to_string(*tick.exponent);
    cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_text_extents_t base;
    cairo_text_extents_t raised;
    cairo_set_font_size(cr, kTickFont);
    cairo_text_extents(cr, "10", &base);
    cairo_set_font_size(cr, 0.7 * kTickFont);
    cairo_text_extents(cr, power.c_str(), &raised);
    const double left = x - (base.x_advance + raised.x_advance) * anchor_x;
    draw_text(cr, "10", left, y, kTickFont, 0.0);
    draw_text(cr, power, left + base.x_advance, y - 0.45 * kTickFont, 0.7 * kTickFont, 0.0);
}

// A histogram plot: bars (vector paths, one per run of equally coloured bins, so that
// adjacent bars show no seams), the CDF, the frame, ticks and their labels.
void draw_plot(cairo_t* cr, const HistogramPlot& plot, const Placement& place) {
    const PlotFrame frame = plot_frame(plot, place.width, place.height);
    const double left = place.x + frame.left;
    const double top = place.y + frame.top;
    const double bottom = top + frame.height;
    const double right = left + frame.width;
    auto x_of = [&](double v) {
        return left + (v - frame.x_low) / (frame.x_high - frame.x_low) * frame.width;
    };
    auto y_of = [&](double v) {
        return bottom - (v - frame.y_low) / (frame.y_high - frame.y_low) * frame.height;
    };
    cairo_save(cr);
    cairo_rectangle(cr, left, top, frame.width, frame.height);
    cairo_clip(cr);
    const double half = bin_spacing(plot) / 2.0;
    std::optional<std::array<std::uint8_t, 3>> run;
    for (std::size_t i = 0; i < plot.counts.size(); ++i) {
        const std::int64_t count = plot.counts[i];
        if (count <= 0) continue;
        const auto colour = bar_color(plot, i);
        if (run && *run != colour) {
            set_rgb(cr, *run);
            cairo_fill(cr);
        }
        run = colour;
        const double value = plot.log ? std::log10(double(count)) : double(count);
        const double x0 = x_of(plot.bin_centers[i] - half);
        // Half a pixel under the next bar, painted after it, so that antialiased edges of
        // differently coloured neighbours leave no white seam between them.
        const double x1 =
            x_of(plot.bin_centers[i] + half) + (i + 1 < plot.counts.size() ? 0.5 : 0.0);
        const double y = y_of(value);
        cairo_rectangle(cr, x0, y, x1 - x0, bottom - y);
    }
    if (run) {
        set_rgb(cr, *run);
        cairo_fill(cr);
    }
    if (!plot.cdf.empty()) {
        // matplotlib's "r": pure red, 1.5 pt; the CDF's scale runs 0..1.05 at the right.
        cairo_set_source_rgb(cr, 1.0, 0.0, 0.0);
        cairo_set_line_width(cr, 1.5);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        for (std::size_t i = 0; i < plot.cdf.size() && i < plot.bin_centers.size(); ++i) {
            const double y = bottom - plot.cdf[i] / 1.05 * frame.height;
            if (i == 0) {
                cairo_move_to(cr, x_of(plot.bin_centers[i]), y);
            } else {
                cairo_line_to(cr, x_of(plot.bin_centers[i]), y);
            }
        }
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    // The frame just outside the axes box, so that the bars keep whole pixels.
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, left - 0.5, top - 0.5, frame.width + 1.0, frame.height + 1.0);
    cairo_stroke(cr);
    const double label_y = bottom + 1.0 + kTickLength + 2.0 + kTickFont;
    const TickSet across = linear_ticks(frame.x_low, frame.x_high, frame.width, 75.0);
    for (const Tick& tick : across.ticks) {
        const double x = std::round(x_of(tick.value)) + 0.5;
        cairo_move_to(cr, x, bottom + 1.0);
        cairo_line_to(cr, x, bottom + 1.0 + kTickLength);
        draw_tick_label(cr, tick, x, label_y, 0.5);
    }
    // Offsets where matplotlib puts them: under the x axis's right end, above the y axis.
    if (!across.offset.empty()) {
        draw_text(cr, across.offset, right, label_y + kTickFont + 3.0, kTickFont, 1.0);
    }
    const TickSet counts = count_ticks(plot, frame);
    for (const Tick& tick : counts.ticks) {
        const double y = std::round(y_of(tick.value)) + 0.5;
        cairo_move_to(cr, left - 1.0, y);
        cairo_line_to(cr, left - 1.0 - kTickLength, y);
        draw_tick_label(cr, tick, left - 3.0 - kTickLength, y + 0.36 * kTickFont, 1.0);
    }
    if (!counts.offset.empty()) draw_text(cr, counts.offset, left, top - 3.0, kTickFont, 0.0);
    if (!plot.cdf.empty()) {
        for (const Tick& tick : linear_ticks(0.0, 1.0, frame.height / 1.05, 40.0).ticks) {
            const double y = std::round(bottom - tick.value / 1.05 * frame.height) + 0.5;
            cairo_move_to(cr, right + 1.0, y);
            cairo_line_to(cr, right + 1.0 + kTickLength, y);
            draw_tick_label(cr, tick, right + 3.0 + kTickLength, y + 0.36 * kTickFont, 0.0);
        }
    }
    cairo_stroke(cr);
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
        if (panel.histogram) {
            draw_plot(cr, *panel.histogram, place);
        } else {
            draw_image(cr, panel.image, place);
        }
        if (panel.crosshair && !panel.histogram) draw_crosshair(cr, panel, place);
        cairo_set_source_rgb(cr, 0, 0, 0);
        if (!panel.title.empty()) {
            draw_text(cr, panel.title, place.x + place.width / 2.0, place.y - 7.0, kTitleFont);
        }
        if (options.axis_labels && !panel.histogram) {
            draw_text(cr, panel.x_label, place.x + place.width / 2.0,
                      place.y + place.height + kAxisLabelSpace - 4.0, kLabelFont);
            cairo_save(cr);
            cairo_translate(cr, place.x - 5.0, place.y + place.height / 2.0);
            cairo_rotate(cr, -std::numbers::pi / 2.0);
            draw_text(cr, panel.y_label, 0.0, 0.0, kLabelFont);
            cairo_restore(cr);
        }
    }
    if (options.scale_bar && !panels.front().unit.empty() && !panels.front().histogram) {
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

// Encodes a drawn ARGB32 surface as a gray or RGB PNG on all cores (render::encode_png_rgb):
// figures are written interactively, and Cairo's own writer (zlib level 6, one core) takes
// several times longer on noisy microscopy images for a few % of size.
void write_png(cairo_surface_t* surface, Sink& sink, const std::string& path) {
    cairo_surface_flush(surface);
    const auto* pixels =
        reinterpret_cast<const std::uint32_t*>(cairo_image_surface_get_data(surface));
    render::encode_png_rgb(
        pixels, cairo_image_surface_get_width(surface), cairo_image_surface_get_height(surface),
        std::size_t(cairo_image_surface_get_stride(surface)),
        [&](const unsigned char* data, std::size_t size) {
            sink.file->write(data, std::int64_t(size));
        },
        path);
}

}  // namespace

double automatic_zoom(double largest) {
    return std::max(1.0, std::ceil(256.0 / std::max(largest, 1.0)));
}

double nice_length(double target) {
    if (!(target > 0.0) || !std::isfinite(target)) return 0.0;
    const double power = std::pow(10.0, std::floor(std::log10(target)));
    const double mantissa = target / power;
    const double nice =
        mantissa < 1.5 ? 1.0 : (mantissa < 3.5 ? 2.0 : (mantissa < 7.5 ? 5.0 : 10.0));
    return nice * power;
}

PlotFrame plot_frame(const HistogramPlot& plot, double width, double height) {
    const std::size_t n = plot.bin_centers.size();
    if (n == 0) throw ValueError("a histogram plot needs at least one bin");
    if (plot.counts.size() != n) {
        throw ValueError(fmt::format("a histogram plot has {} bin centres but {} counts", n,
                                     plot.counts.size()));
    }
    PlotFrame frame;
    const double half = bin_spacing(plot) / 2.0;
    const double first = plot.bin_centers.front() - half;
    const double last = plot.bin_centers.back() + half;
    frame.x_low = first - 0.05 * (last - first);
    frame.x_high = last + 0.05 * (last - first);
    const std::int64_t most = *std::max_element(plot.counts.begin(), plot.counts.end());
    if (plot.log) {
        std::int64_t fewest = 0;
        for (std::int64_t count : plot.counts)
            if (count > 0 && (fewest == 0 || count < fewest)) fewest = count;
        const double low = fewest > 0 ? std::log10(double(fewest)) : 0.0;
        const double high = most > 0 ? std::log10(double(most)) : 1.0;
        const double pad = high > low ? 0.05 * (high - low) : 0.5;
        frame.y_low = low - pad;
        frame.y_high = high + pad;
    } else {
        frame.y_low = 0.0;
        frame.y_high = most > 0 ? 1.05 * double(most) : 1.0;
    }
    frame.top = kPlotTop;
    frame.height = std::max(1.0, height - kPlotTop - kPlotBottom);
    // Room at the left for the widest count label, and above and below for offset texts.
    double widest = 0.0;
    const TickSet counts = count_ticks(plot, frame);
    for (const Tick& tick : counts.ticks)
        widest = std::max(widest, tick_label_width(tick));
    frame.left = std::ceil(widest + kTickLength + 6.0);
    frame.width =
        std::max(1.0, width - frame.left - (plot.cdf.empty() ? kPlotRight : kPlotRightCdf));
    const double offset_height = kTickFont + 4.0;
    if (!counts.offset.empty()) {
        frame.top += offset_height;
        frame.height = std::max(1.0, frame.height - offset_height);
    }
    if (!linear_ticks(frame.x_low, frame.x_high, frame.width, 75.0).offset.empty()) {
        frame.height = std::max(1.0, frame.height - offset_height);
    }
    return frame;
}

Panel plot_panel(HistogramPlot plot, std::string title) {
    Panel panel;
    panel.histogram = std::move(plot);
    panel.title = std::move(title);
    return panel;
}

std::vector<PanelBox> figure_panel_boxes(const std::vector<Panel>& panels,
                                         const FigureOptions& options) {
    if (panels.empty()) throw ValueError("a figure needs at least one panel");
    const Layout layout = lay_out(panels, options);
    std::vector<PanelBox> boxes;
    for (const Placement& place : layout.panels)
        boxes.push_back({place.x, place.y, place.width, place.height});
    return boxes;
}

namespace {

// Sizes cairo would refuse with "invalid matrix" or "invalid value", said in figure terms.
void check_size(const std::vector<Panel>& panels, const Layout& layout, FigureFormat kind) {
    for (std::size_t i = 0; i < panels.size(); ++i) {
        const Placement& place = layout.panels[i];
        if (!panels[i].histogram && (place.width < 1.0 || place.height < 1.0)) {
            throw ValueError(fmt::format(
                "a panel of {}x{} pixels would be drawn {:g}x{:g} pixels: the zoom is too small",
                panels[i].image.width, panels[i].image.height, place.width, place.height));
        }
    }
    // Cairo's image surfaces hold at most 32767 pixels a side.
    constexpr double kMaxSide = 32767.0;
    if (kind == FigureFormat::png) {
        if (layout.width > kMaxSide || layout.height > kMaxSide) {
            throw ValueError(
                fmt::format("the figure would be {:g}x{:g} pixels, over the {:g} a "
                            "side a PNG can have: lower the zoom",
                            layout.width, layout.height, kMaxSide));
        }
        checked_allocation(
            {std::int64_t(layout.width), std::int64_t(layout.height), 4},
            fmt::format("a figure of {:g}x{:g} pixels", layout.width, layout.height));
    }
}

}  // namespace

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
    check_size(panels, layout, kind);
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
