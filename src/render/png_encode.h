// Internal: fast PNG encoding of drawn figures (libpng for the file structure, zlib
// deflate on all cores).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "vox/parallel.h"

namespace vox::render {

/// Receives consecutive bytes of the encoded file; throws to abort.
using ByteSink = FunctionRef<void(const unsigned char* data, std::size_t size)>;

/// Writes the raw bytes of row `y` (width x channels bytes, R G B [A]) into `row`. Called
/// from several threads at once: it must only read shared data.
using RowFetch = FunctionRef<void(int y, unsigned char* row)>;

/// Encodes an 8-bit gray (channels 1), gray + alpha (2), RGB (3) or RGBA (4) PNG of rows
/// from `fetch` and passes the file to `sink`.
///
/// Rows are Sub-filtered and deflated at zlib level 1 in bands of rows on all cores, as
/// pigz does: each band ends on a byte boundary (Z_SYNC_FLUSH) so the bands concatenate
/// into one zlib stream, whose Adler-32 is combined from the bands'. Band boundaries are
/// fixed by the image size, so the file is the same for any thread count. libpng writes the
/// signature, IHDR, IDAT and IEND chunks with their CRCs.
/// @throw IoError naming `path` if encoding fails; whatever `sink` throws.
void encode_png(int width, int height, int channels, RowFetch fetch, ByteSink sink,
                const std::string& path);

/// encode_png() of an opaque image of 0x00RRGGBB pixels (Cairo's ARGB32 on a white
/// background: alpha is ignored): as gray when every pixel is gray, a third of the data to
/// filter and deflate (a gray-mapped figure), otherwise as RGB.
void encode_png_rgb(const std::uint32_t* pixels, int width, int height, std::size_t stride_bytes,
                    ByteSink sink, const std::string& path);

}  // namespace vox::render
