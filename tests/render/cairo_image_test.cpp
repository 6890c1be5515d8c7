// Copies between vox::Image and Cairo: an opaque image copied straight into a figure's
// pixels (blit_opaque) gives exactly what painting it through a surface of its own gives,
// and anything that copy could get wrong falls back to painting.
#include "cairo_image.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>

namespace {

using vox::Image;
using vox::render::Context;
using vox::render::Surface;

Image random_image(std::int64_t width, std::int64_t height, bool opaque) {
    Image image = Image::filled(width, height);
    std::mt19937 random(7);
    for (std::size_t i = 0; i < image.rgba.size(); ++i)
        image.rgba[i] = std::uint8_t(random());
    if (opaque) {
        for (std::size_t i = 3; i < image.rgba.size(); i += 4)
            image.rgba[i] = 255;
    }
    return image;
}

Surface white_canvas(int width, int height) {
    Surface canvas(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height));
    const Context cr(cairo_create(canvas.get()));
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    return canvas;
}

void paint(cairo_t* cr, const Image& image, double x, double y) {
    const Surface surface = vox::render::surface_of(image);
    cairo_set_source_surface(cr, surface.get(), x, y);
    cairo_paint(cr);
}

bool same_pixels(cairo_surface_t* a, cairo_surface_t* b) {
    cairo_surface_flush(a);
    cairo_surface_flush(b);
    const int height = cairo_image_surface_get_height(a);
    const int stride = cairo_image_surface_get_stride(a);
    return std::memcmp(cairo_image_surface_get_data(a), cairo_image_surface_get_data(b),
                       std::size_t(stride) * std::size_t(height)) == 0;
}

TEST(CairoImageTest, BlitEqualsPaint) {
    const Image image = random_image(37, 23, true);
    const Surface blitted = white_canvas(64, 40);
    const Surface painted = white_canvas(64, 40);
    {
        const Context cr(cairo_create(blitted.get()));
        ASSERT_TRUE(vox::render::blit_opaque(cr.get(), image, 7, 5));
        // Drawing after the copy sees it.
        cairo_set_source_rgb(cr.get(), 1, 0, 0);
        cairo_rectangle(cr.get(), 10, 10, 4, 4);
        cairo_fill(cr.get());
    }
    {
        const Context cr(cairo_create(painted.get()));
        paint(cr.get(), image, 7, 5);
        cairo_set_source_rgb(cr.get(), 1, 0, 0);
        cairo_rectangle(cr.get(), 10, 10, 4, 4);
        cairo_fill(cr.get());
    }
    EXPECT_TRUE(same_pixels(blitted.get(), painted.get()));
}

TEST(CairoImageTest, BlitDeclinesWhatItCannotCopy) {
    const Image opaque = random_image(8, 8, true);
    const Surface canvas = white_canvas(32, 32);
    const Surface untouched = white_canvas(32, 32);
    const Context cr(cairo_create(canvas.get()));
    EXPECT_FALSE(vox::render::blit_opaque(cr.get(), random_image(8, 8, false), 0, 0));
    EXPECT_FALSE(vox::render::blit_opaque(cr.get(), opaque, 0.5, 0));  // not a whole pixel
    EXPECT_FALSE(vox::render::blit_opaque(cr.get(), opaque, 28, 0));   // past the right edge
    EXPECT_FALSE(vox::render::blit_opaque(cr.get(), opaque, -1, 0));
    cairo_save(cr.get());
    cairo_rectangle(cr.get(), 0, 0, 4, 4);
    cairo_clip(cr.get());
    EXPECT_FALSE(vox::render::blit_opaque(cr.get(), opaque, 0, 0));  // clipped
    cairo_restore(cr.get());
    cairo_save(cr.get());
    cairo_scale(cr.get(), 2, 2);
    EXPECT_FALSE(vox::render::blit_opaque(cr.get(), opaque, 0, 0));  // transformed
    cairo_restore(cr.get());
    cairo_set_operator(cr.get(), CAIRO_OPERATOR_ADD);
    EXPECT_FALSE(vox::render::blit_opaque(cr.get(), opaque, 0, 0));
    EXPECT_TRUE(same_pixels(canvas.get(), untouched.get()));
    const Surface vector(cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, nullptr));
    const Context recording(cairo_create(vector.get()));
    EXPECT_FALSE(vox::render::blit_opaque(recording.get(), opaque, 0, 0));
}

}  // namespace
