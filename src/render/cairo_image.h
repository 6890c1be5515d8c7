// Internal: Cairo surfaces and contexts owned by unique_ptr, and copies between vox::Image
// (straight RGBA8) and Cairo's ARGB32 (premultiplied, native byte order).
#pragma once

#include <cairo.h>

#include <memory>

#include "vox/display.h"

namespace vox::render {

struct CairoDeleter {
    void operator()(cairo_t* cr) const { cairo_destroy(cr); }
    void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
using Context = std::unique_ptr<cairo_t, CairoDeleter>;
using Surface = std::unique_ptr<cairo_surface_t, CairoDeleter>;

/// A new ARGB32 image surface holding `image` (alpha premultiplied).
Surface surface_of(const Image& image);

/// Draws an opaque `image` at whole pixel (x, y) of what `cr` draws on, one to one, by
/// copying it into the target's pixels: what painting it would give, without a surface of
/// its own. Returns false, drawing nothing, unless the target is an ARGB32 image surface with
/// no transform, the operator is OVER, the clip holds the whole image and every pixel is
/// opaque.
bool blit_opaque(cairo_t* cr, const Image& image, double x, double y);

/// Copies an ARGB32 surface of the same size back into `image` (alpha un-premultiplied).
void copy_back(cairo_surface_t* surface, Image& image);

}  // namespace vox::render
