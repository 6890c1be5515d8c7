// Copies between vox::Image and Cairo image surfaces.
#include "cairo_image.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "vox/parallel.h"

namespace vox::render {

namespace {

// One row to Cairo's premultiplied native-endian ARGB. An opaque row (most rows of every
// figure) only swaps red and blue, which vectorises; the rest premultiply per pixel.
void premultiply_row(const std::uint8_t* rgba, std::int64_t width, std::uint32_t* argb) {
    std::uint8_t alpha = 255;
    for (std::int64_t x = 0; x < width; ++x)
        alpha &= rgba[4 * x + 3];
    if (alpha == 255 && std::endian::native == std::endian::little) {
        for (std::int64_t x = 0; x < width; ++x) {
            std::uint32_t v;  // A B G R from the high byte down
            std::memcpy(&v, rgba + 4 * x, 4);
            argb[x] = (v & 0xFF00FF00U) | ((v & 0xFFU) << 16) | ((v >> 16) & 0xFFU);
        }
        return;
    }
    for (std::int64_t x = 0; x < width; ++x) {
        const std::uint8_t* p = rgba + 4 * x;
        const std::uint32_t a = p[3];
        auto premultiply = [a](std::uint32_t v) { return (v * a + 127) / 255; };
        argb[x] =
            (a << 24) | (premultiply(p[0]) << 16) | (premultiply(p[1]) << 8) | premultiply(p[2]);
    }
}

}  // namespace

Surface surface_of(const Image& image) {
    Surface surface(
        cairo_image_surface_create(CAIRO_FORMAT_ARGB32, int(image.width), int(image.height)));
    cairo_surface_flush(surface.get());
    unsigned char* data = cairo_image_surface_get_data(surface.get());
    const int stride = cairo_image_surface_get_stride(surface.get());
    for (std::int64_t y = 0; y < image.height; ++y) {
        premultiply_row(image.pixel(0, y), image.width,
                        reinterpret_cast<std::uint32_t*>(data + y * stride));
    }
    cairo_surface_mark_dirty(surface.get());
    return surface;
}

bool blit_opaque(cairo_t* cr, const Image& image, double x, double y) {
    cairo_surface_t* target = cairo_get_target(cr);
    if (cairo_surface_get_type(target) != CAIRO_SURFACE_TYPE_IMAGE ||
        cairo_image_surface_get_format(target) != CAIRO_FORMAT_ARGB32 ||
        cairo_get_operator(cr) != CAIRO_OPERATOR_OVER || x != std::floor(x) || y != std::floor(y) ||
        x < 0.0 || y < 0.0) {
        return false;
    }
    cairo_matrix_t matrix;
    cairo_get_matrix(cr, &matrix);
    if (matrix.xx != 1.0 || matrix.yy != 1.0 || matrix.xy != 0.0 || matrix.yx != 0.0 ||
        matrix.x0 != 0.0 || matrix.y0 != 0.0) {
        return false;
    }
    const double right = x + double(image.width);
    const double bottom = y + double(image.height);
    double clip_x0, clip_y0, clip_x1, clip_y1;
    cairo_clip_extents(cr, &clip_x0, &clip_y0, &clip_x1, &clip_y1);
    if (x < clip_x0 || y < clip_y0 || right > clip_x1 || bottom > clip_y1 ||
        right > cairo_image_surface_get_width(target) ||
        bottom > cairo_image_surface_get_height(target)) {
        return false;
    }
    // Opaque when the AND of every pixel, read as a word, has alpha (byte 3) 255. A count
    // of pixels, not a byte index stepping by 4, so that the loop vectorises (it ran one
    // pixel at a time: 4% of the ortho figure, on one core).
    std::uint32_t all = 0xFFFFFFFFU;
    const std::uint8_t* pixels = image.rgba.data();
    const std::size_t count = image.rgba.size() / 4;
#pragma omp simd reduction(& : all)
    for (std::size_t i = 0; i < count; ++i) {
        std::uint32_t pixel;
        std::memcpy(&pixel, pixels + 4 * i, 4);
        all &= pixel;
    }
    std::uint8_t bytes[4];
    std::memcpy(bytes, &all, 4);
    if (bytes[3] != 255) return false;
    cairo_surface_flush(target);
    unsigned char* data = cairo_image_surface_get_data(target);
    const int stride = cairo_image_surface_get_stride(target);
    const auto left = std::int64_t(x);
    const auto top = std::int64_t(y);
    parallel_for(0, image.height, std::max<std::int64_t>(1, 65536 / image.width),
                 [&](std::int64_t begin, std::int64_t end) {
                     for (std::int64_t row = begin; row < end; ++row) {
                         auto* out =
                             reinterpret_cast<std::uint32_t*>(data + (top + row) * stride) + left;
                         premultiply_row(image.pixel(0, row), image.width, out);
                     }
                 });
    cairo_surface_mark_dirty_rectangle(target, int(left), int(top), int(image.width),
                                       int(image.height));
    return true;
}

void copy_back(cairo_surface_t* surface, Image& image) {
    cairo_surface_flush(surface);
    const unsigned char* data = cairo_image_surface_get_data(surface);
    const int stride = cairo_image_surface_get_stride(surface);
    for (std::int64_t y = 0; y < image.height; ++y) {
        const auto* row = reinterpret_cast<const std::uint32_t*>(data + y * stride);
        for (std::int64_t x = 0; x < image.width; ++x) {
            const std::uint32_t argb = row[x];
            const std::uint32_t a = argb >> 24;
            std::uint8_t* p = image.pixel(x, y);
            const auto unpremultiply = [a](std::uint32_t v) {
                return std::uint8_t(a == 0 ? 0
                                           : std::min<std::uint32_t>(255, (v * 255 + a / 2) / a));
            };
            p[0] = unpremultiply((argb >> 16) & 0xFF);
            p[1] = unpremultiply((argb >> 8) & 0xFF);
            p[2] = unpremultiply(argb & 0xFF);
            p[3] = std::uint8_t(a);
        }
    }
}

}  // namespace vox::render
