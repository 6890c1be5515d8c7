// Parallel PNG encoding: deflate bands of filtered rows on all cores (ISA-L), frame with
// libpng.
#include "png_encode.h"

#include <fmt/format.h>
#include <isa-l/igzip_lib.h>
#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <vector>

#include "source.h"
#include "vox/error.h"
#include "vox/render.h"

namespace vox::render {
namespace {

// Raw rows per band: large enough that the restarted LZ77 window costs little (< 1% in
// size), small enough that a figure splits over several cores.
constexpr std::size_t kBandBytes = std::size_t(1) << 18;

struct Band {
    std::unique_ptr<unsigned char[]> deflated;
    std::size_t deflated_size = 0;
    uLong adler = 1;
    std::size_t raw_size = 0;
};

// Filters rows [first, last) with the Sub filter (each byte minus the one a pixel to its
// left), the cheapest filter that compresses smooth and noisy images well. The rows go to a
// per-thread buffer that is reused band to band: fresh pages for every band cost more than
// filtering them.
std::span<const unsigned char> filter_rows(RowFetch fetch, int width, int channels, int first,
                                           int last) {
    thread_local std::vector<unsigned char> raw;
    thread_local std::vector<unsigned char> row;
    const std::size_t row_bytes = std::size_t(channels) * std::size_t(width);
    const std::size_t row_size = 1 + row_bytes;
    const std::size_t size = row_size * std::size_t(last - first);
    if (raw.size() < size) raw.resize(size);
    if (row.size() < row_bytes) row.resize(row_bytes);
    // Plain pointers: stores through unsigned char may alias a thread_local vector's own
    // pointer, which would keep the loop from vectorising.
    unsigned char* const rows = raw.data();
    unsigned char* const in = row.data();
    for (int y = first; y < last; ++y) {
        fetch(y, in);
        unsigned char* out = rows + row_size * std::size_t(y - first);
        out[0] = 1;  // PNG filter type Sub
        for (std::size_t i = 0; i < std::size_t(channels); ++i)
            out[1 + i] = in[i];
        for (std::size_t i = std::size_t(channels); i < row_bytes; ++i)
            out[1 + i] = static_cast<unsigned char>(in[i] - in[i - std::size_t(channels)]);
    }
    return {raw.data(), size};
}

// Raw deflate (no zlib header) of one band with ISA-L's igzip at level 1; the last band
// finishes the stream, the others end with a sync flush on a byte boundary. On the figures
// it was 4-6 times faster than zlib's level 1 with Z_RLE, for files from 2.5% larger
// (ortho) to 19% smaller (montage).
void deflate_band(std::span<const unsigned char> raw, bool last, Band& band,
                  const std::string& path) {
    // The stream's state (80 KiB) and level 1's hash tables (276 KiB), kept per thread.
    struct Encoder {
        isal_zstream stream;
        std::vector<std::uint8_t> level_buffer = std::vector<std::uint8_t>(ISAL_DEF_LVL1_DEFAULT);
    };
    thread_local const std::unique_ptr<Encoder> encoder = std::make_unique<Encoder>();
    isal_zstream& stream = encoder->stream;
    isal_deflate_init(&stream);
    stream.level = 1;
    stream.level_buf = encoder->level_buffer.data();
    stream.level_buf_size = std::uint32_t(encoder->level_buffer.size());
    stream.end_of_stream = last ? 1 : 0;
    stream.flush = SYNC_FLUSH;
    stream.next_in = const_cast<std::uint8_t*>(raw.data());
    stream.avail_in = std::uint32_t(raw.size());
    // Room for incompressible data in stored blocks; grown if ever short. Not zeroed: only
    // the pages written are ever touched.
    std::size_t room = raw.size() + raw.size() / 8 + 4096;
    band.deflated = std::make_unique_for_overwrite<unsigned char[]>(room);
    std::size_t written = 0;
    for (;;) {
        stream.next_out = band.deflated.get() + written;
        stream.avail_out = std::uint32_t(room - written);
        if (isal_deflate(&stream) != COMP_OK) {
            throw IoError(fmt::format("cannot write '{}': PNG compression failed", path));
        }
        written = room - stream.avail_out;
        if (stream.avail_out > 0) break;
        auto larger = std::make_unique_for_overwrite<unsigned char[]>(2 * room);
        std::memcpy(larger.get(), band.deflated.get(), written);
        band.deflated = std::move(larger);
        room *= 2;
    }
    if (stream.avail_in != 0 || (last && stream.internal_state.state != ZSTATE_END)) {
        throw IoError(fmt::format("cannot write '{}': PNG compression failed", path));
    }
    band.deflated_size = written;
    band.adler = isal_adler32(1, raw.data(), raw.size());
    band.raw_size = raw.size();
}

// True when every pixel of rows of 0x00RRGGBB pixels has R == G == B.
bool all_gray(const std::uint32_t* pixels, int width, int height, std::size_t stride_bytes) {
    // Rows in blocks on all cores; a coloured pixel stops every block still to start.
    constexpr int kRows = 32;
    std::atomic<bool> coloured{false};
    parallel_for(0, (height + kRows - 1) / kRows, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t block = begin; block < end; ++block) {
            if (coloured.load(std::memory_order_relaxed)) return;
            const int last = std::min(height, int(block + 1) * kRows);
            for (int y = int(block) * kRows; y < last; ++y) {
                const auto* row = reinterpret_cast<const std::uint32_t*>(
                    reinterpret_cast<const unsigned char*>(pixels) + std::size_t(y) * stride_bytes);
                // R ^ G and G ^ B in the low 16 bits; a branch-free OR so that it vectorises.
                std::uint32_t differences = 0;
                for (int x = 0; x < width; ++x)
                    differences |= (row[x] ^ (row[x] >> 8)) & 0xFFFFU;
                if (differences != 0) {
                    coloured.store(true, std::memory_order_relaxed);
                    return;
                }
            }
        }
    });
    return !coloured.load();
}

struct WriteContext {
    ByteSink* sink = nullptr;
    std::exception_ptr error;
};

}  // namespace

void encode_png(int width, int height, int channels, RowFetch fetch, ByteSink sink,
                const std::string& path) {
    if (channels < 1 || channels > 4) {
        throw ValueError(
            fmt::format("cannot write '{}': a PNG has 1 to 4 channels, not {}", path, channels));
    }
    const std::size_t row_size = 1 + std::size_t(channels) * std::size_t(width);
    const int band_rows = int(std::max<std::size_t>(1, kBandBytes / row_size));
    const int band_count = (height + band_rows - 1) / band_rows;
    std::vector<Band> bands(static_cast<std::size_t>(band_count));
    parallel_for(0, band_count, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t b = begin; b < end; ++b) {
            const int first = int(b) * band_rows;
            const int last = std::min(height, first + band_rows);
            deflate_band(filter_rows(fetch, width, channels, first, last), b + 1 == band_count,
                         bands[std::size_t(b)], path);
        }
    });
    // One zlib stream: header (deflate, 32 KiB window, fastest), the bands, Adler-32.
    std::size_t stream_size = 2 + 4;
    for (const Band& band : bands)
        stream_size += band.deflated_size;
    std::vector<unsigned char> stream;
    stream.reserve(stream_size);
    stream.push_back(0x78);
    stream.push_back(0x01);
    uLong adler = 1;
    for (const Band& band : bands) {
        stream.insert(stream.end(), band.deflated.get(), band.deflated.get() + band.deflated_size);
        adler = adler32_combine(adler, band.adler, z_off_t(band.raw_size));
    }
    for (int shift = 24; shift >= 0; shift -= 8)
        stream.push_back(static_cast<unsigned char>(adler >> shift));

    // Errors come back as exceptions (with the file's name), so libpng prints nothing.
    png_structp png = png_create_write_struct(
        PNG_LIBPNG_VER_STRING, nullptr, [](png_structp p, png_const_charp) { png_longjmp(p, 1); },
        [](png_structp, png_const_charp) {});
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!info) {
        png_destroy_write_struct(&png, nullptr);
        throw IoError(fmt::format("cannot write '{}': out of memory for the PNG encoder", path));
    }
    WriteContext context{&sink, nullptr};
    // libpng reports errors by longjmp: nothing with a destructor is created in this frame
    // between setjmp and the end of the writing.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        if (context.error) std::rethrow_exception(context.error);
        throw IoError(fmt::format("cannot write '{}': PNG encoding failed", path));
    }
    png_set_write_fn(
        png, &context,
        [](png_structp p, png_bytep bytes, png_size_t length) {
            auto* target = static_cast<WriteContext*>(png_get_io_ptr(p));
            try {
                (*target->sink)(bytes, length);
            } catch (...) {
                target->error = std::current_exception();
            }
            // Outside the handler: longjmp must not leave a catch block.
            if (target->error) png_error(p, "write failed");
        },
        nullptr);
    constexpr int kColorTypes[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                   PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), 8, kColorTypes[channels - 1],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    // IDAT chunks of at most 1 MiB, as encoders usually split them.
    constexpr std::size_t kChunk = std::size_t(1) << 20;
    for (std::size_t offset = 0; offset < stream.size(); offset += kChunk) {
        png_write_chunk(png, reinterpret_cast<png_const_bytep>("IDAT"), stream.data() + offset,
                        std::min(kChunk, stream.size() - offset));
    }
    png_write_chunk(png, reinterpret_cast<png_const_bytep>("IEND"), nullptr, 0);
    png_destroy_write_struct(&png, &info);
}

void encode_png_rgb(const std::uint32_t* pixels, int width, int height, std::size_t stride_bytes,
                    ByteSink sink, const std::string& path) {
    const auto source_row = [&](int y) {
        return reinterpret_cast<const std::uint32_t*>(
            reinterpret_cast<const unsigned char*>(pixels) + std::size_t(y) * stride_bytes);
    };
    if (all_gray(pixels, width, height, stride_bytes)) {
        encode_png(
            width, height, 1,
            [&](int y, unsigned char* row) {
                const std::uint32_t* source = source_row(y);
                for (int x = 0; x < width; ++x)
                    row[x] = static_cast<unsigned char>(source[x]);
            },
            sink, path);
        return;
    }
    encode_png(
        width, height, 3,
        [&](int y, unsigned char* row) {
            const std::uint32_t* source = source_row(y);
            for (int x = 0; x < width; ++x) {
                row[3 * x] = static_cast<unsigned char>(source[x] >> 16);
                row[3 * x + 1] = static_cast<unsigned char>(source[x] >> 8);
                row[3 * x + 2] = static_cast<unsigned char>(source[x]);
            }
        },
        sink, path);
}

}  // namespace vox::render

namespace vox {

void write_image(const Image& image, const std::string& path) {
    if (!io::has_extension(path, ".png")) {
        throw ValueError(fmt::format("cannot write an image to '{}': use .png", path));
    }
    if (image.width < 1 || image.height < 1 || image.width > 0x7FFFFFFF / 4 ||
        image.height > 0x7FFFFFFF) {
        throw ValueError(fmt::format("cannot write a {}x{} image", image.width, image.height));
    }
    bool opaque = true;
    bool gray = true;
    for (std::size_t i = 0; i < image.rgba.size() && (opaque || gray); i += 4) {
        opaque = opaque && image.rgba[i + 3] == 255;
        gray = gray && image.rgba[i] == image.rgba[i + 1] && image.rgba[i] == image.rgba[i + 2];
    }
    // Gray, gray + alpha, RGB or RGBA: the fewest channels that keep every pixel.
    const int channels = (gray ? 1 : 3) + (opaque ? 0 : 1);
    io::AtomicFile file(path);
    render::encode_png(
        int(image.width), int(image.height), channels,
        [&](int y, unsigned char* row) {
            const std::uint8_t* source = image.pixel(0, y);
            const std::int64_t width = image.width;
            switch (channels) {
                case 1:
                    for (std::int64_t x = 0; x < width; ++x)
                        row[x] = source[4 * x];
                    break;
                case 2:
                    for (std::int64_t x = 0; x < width; ++x) {
                        row[2 * x] = source[4 * x];
                        row[2 * x + 1] = source[4 * x + 3];
                    }
                    break;
                case 3:
                    for (std::int64_t x = 0; x < width; ++x) {
                        row[3 * x] = source[4 * x];
                        row[3 * x + 1] = source[4 * x + 1];
                        row[3 * x + 2] = source[4 * x + 2];
                    }
                    break;
                default:
                    std::memcpy(row, source, std::size_t(4 * width));
            }
        },
        [&](const unsigned char* data, std::size_t size) { file.write(data, std::int64_t(size)); },
        path);
    file.commit();
}

}  // namespace vox
