// Writing ImageJ hyperstacks (what Fiji opens with its scale) and OME-TIFF with libtiff,
// through an AtomicFile's temporary path.
#include <fcntl.h>
#include <tiffio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "tiff_internal.h"
#include "vox/error.h"
#include "vox/parallel.h"

namespace vox::io::tiff {
namespace {

// Above this, offsets no longer fit classic TIFF's 32 bits: write BigTIFF.
constexpr std::int64_t kBigTiffThreshold = (std::int64_t(1) << 32) - (std::int64_t(1) << 27);
// Target size of a compressed strip: small enough to decode strips of a page in parallel.
constexpr std::int64_t kStripBytes = std::int64_t(1) << 19;

int collect_error(TIFF*, void* user_data, const char* module, const char* format,
                  va_list arguments) {
    auto* message = static_cast<std::string*>(user_data);
    if (message->empty()) {
        char buffer[1024];
        std::vsnprintf(buffer, sizeof buffer, format, arguments);
        *message = module != nullptr ? fmt::format("{}: {}", module, buffer) : buffer;
    }
    return 1;
}

int ignore_warning(TIFF*, void*, const char*, const char*, va_list) {
    return 1;
}

struct Compression {
    std::uint16_t code = COMPRESSION_NONE;
    std::string name = "none";
};

Compression parse_compression(const std::string& path, const WriteOptions& options) {
    const std::string& name = options.compression;
    Compression result;
    if (name.empty() || name == "none") {
        check_level(path, options, "none");
        return result;
    }
    if (name == "deflate" || name == "zlib") {
        result = {COMPRESSION_ADOBE_DEFLATE, "deflate"};
    } else if (name == "lzw") {
        result = {COMPRESSION_LZW, "lzw"};
    } else if (name == "packbits") {
        result = {COMPRESSION_PACKBITS, "packbits"};
    } else if (name == "zstd") {
        result = {COMPRESSION_ZSTD, "zstd"};
    } else {
        throw ValueError(fmt::format(
            "cannot write '{}': unknown TIFF compression '{}' (none, deflate, lzw, packbits, zstd)",
            path, name));
    }
    if (!TIFFIsCODECConfigured(result.code)) {
        throw ValueError(
            fmt::format("cannot write '{}': this libtiff has no {} codec", path, name));
    }
    if (result.code == COMPRESSION_ADOBE_DEFLATE)
        check_level(path, options, "deflate", 1, 12);
    else if (result.code == COMPRESSION_ZSTD)
        check_level(path, options, "zstd", 1, 22);
    else
        check_level(path, options, result.name);  // lzw and packbits have no levels
    return result;
}

std::uint16_t sample_format_of(PixelType type) {
    if (is_float(type)) return SAMPLEFORMAT_IEEEFP;
    return is_signed_integer(type) ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT;
}

// Escapes non-ASCII characters as ImageJ and tifffile do ("\u00B5m"): the tag is ASCII.
std::string escape_unit(std::string_view unit) {
    if (unit == "\xC2\xB5m") return "micron";  // what ImageJ itself writes
    std::string out;
    for (std::size_t i = 0; i < unit.size(); ++i) {
        const auto byte = static_cast<unsigned char>(unit[i]);
        if (byte < 0x80) {
            if (byte >= 0x20 && byte != '\n') out += char(byte);
            continue;
        }
        std::uint32_t code = 0;
        int extra = 0;
        if ((byte & 0xE0) == 0xC0) {
            code = byte & 0x1F;
            extra = 1;
        } else if ((byte & 0xF0) == 0xE0) {
            code = byte & 0x0F;
            extra = 2;
        } else {
            continue;  // 4-byte sequences cannot be written as \uXXXX
        }
        for (int k = 0; k < extra && i + 1 < unit.size(); ++k)
            code = (code << 6) | (static_cast<unsigned char>(unit[++i]) & 0x3F);
        out += fmt::format("\\u{:04X}", code);
    }
    return out;
}

// The fraction p/q closest to `value` whose q/p fits a TIFF RATIONAL: continued fractions,
// stopping at the first convergent that gives back `value` exactly as a double.
Rational fraction_of(double value) {
    std::uint64_t h0 = 0, h1 = 1, k0 = 1, k1 = 0;
    double x = value;
    for (int i = 0; i < 64; ++i) {
        const double whole = std::floor(x);
        if (whole > 4294967295.0) break;
        const std::uint64_t a = std::uint64_t(whole);
        const std::uint64_t h2 = a * h1 + h0, k2 = a * k1 + k0;
        if (h2 > 0xFFFFFFFFu || k2 > 0xFFFFFFFFu) break;
        h0 = h1;
        h1 = h2;
        k0 = k1;
        k1 = k2;
        if (double(h1) / double(k1) == value) break;
        const double rest = x - whole;
        if (rest < 1e-12) break;
        x = 1.0 / rest;
    }
    if (h1 == 0 || k1 == 0) return {1, 1};
    return {std::uint32_t(h1), std::uint32_t(k1)};
}

// libtiff stores XResolution as a float; rewrite the RATIONALs it wrote so that 1/resolution
// gives the spacing back exactly (as tifffile reads it).
void patch_resolution(const std::string& path, double spacing_x, double spacing_y) {
    const Source source = Source::open(path);
    const std::vector<std::byte> header = source.head(16);
    if (header.size() < 16) return;
    const bool file_big_endian = header[0] == std::byte{'M'};
    const bool swapped = file_big_endian != kHostBigEndian;
    const bool big_tiff = header[2] == std::byte{43} || header[3] == std::byte{43};
    auto word = [&](std::int64_t offset, int bytes) -> std::uint64_t {
        std::array<unsigned char, 8> raw{};
        source.read(offset, raw.data(), bytes);
        std::uint64_t value = 0;  // assembled from the file's byte order
        for (int i = 0; i < bytes; ++i) {
            const int shift = file_big_endian ? 8 * (bytes - 1 - i) : 8 * i;
            value |= std::uint64_t(raw[std::size_t(i)]) << shift;
        }
        return value;
    };
    const int descriptor = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (descriptor < 0) throw IoError(fmt::format("cannot write '{}'", path));
    std::uint64_t ifd = big_tiff ? word(8, 8) : word(4, 4);
    bool ok = true;
    for (int page = 0; ifd != 0 && page < (1 << 30) && ok; ++page) {
        for (auto [tag, spacing] :
             {std::pair<std::uint16_t, double>{TIFFTAG_XRESOLUTION, spacing_x},
              {TIFFTAG_YRESOLUTION, spacing_y}}) {
            const std::optional<std::uint64_t> at =
                tag_value_offset(source, ifd, big_tiff, swapped, tag, TIFF_RATIONAL);
            if (!at) continue;
            const Rational fraction = fraction_of(spacing);  // spacing = p/q, resolution = q/p
            std::uint32_t values[2] = {fraction.denominator, fraction.numerator};
            if (swapped) {
                values[0] = __builtin_bswap32(values[0]);
                values[1] = __builtin_bswap32(values[1]);
            }
            ok = ok && ::pwrite(descriptor, values, 8, off_t(*at)) == 8;
        }
        const std::int64_t count = big_tiff ? std::int64_t(word(std::int64_t(ifd), 8))
                                            : std::int64_t(word(std::int64_t(ifd), 2));
        const std::int64_t next = std::int64_t(ifd) + (big_tiff ? 8 + count * 20 : 2 + count * 12);
        ifd = word(next, big_tiff ? 8 : 4);
    }
    ok = ::close(descriptor) == 0 && ok;
    if (!ok) throw IoError(fmt::format("cannot write '{}'", path));
}

std::string imagej_description(const Volume& volume) {
    const Shape& shape = volume.shape();
    std::string text = fmt::format("ImageJ=1.11a\nimages={}\n", shape.z * shape.c);
    if (shape.c > 1) text += fmt::format("channels={}\n", shape.c);
    if (shape.z > 1) text += fmt::format("slices={}\n", shape.z);
    if (shape.c > 1) text += "hyperstack=true\nmode=composite\n";
    const Spacing& spacing = volume.spacing();
    if (spacing.known) {
        text += fmt::format("unit={}\nspacing={}\n", escape_unit(spacing.unit), spacing.zyx[0]);
    }
    text += "loop=false\n";
    return text;
}

std::string ome_type_name(PixelType type) {
    switch (type) {
        case PixelType::f32:
            return "float";
        case PixelType::f64:
            return "double";
        default:
            return std::string(numpy_dtype_name(type));
    }
}

std::string ome_xml(const Volume& volume, const std::string& path) {
    const Shape& shape = volume.shape();
    pugi::xml_document document;
    pugi::xml_node declaration = document.append_child(pugi::node_declaration);
    declaration.append_attribute("version") = "1.0";
    declaration.append_attribute("encoding") = "UTF-8";
    pugi::xml_node ome = document.append_child("OME");
    ome.append_attribute("xmlns") = "http://www.openmicroscopy.org/Schemas/OME/2016-06";
    ome.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
    ome.append_attribute("xsi:schemaLocation") =
        "http://www.openmicroscopy.org/Schemas/OME/2016-06 "
        "http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd";
    ome.append_attribute("Creator") = "voxscope";
    pugi::xml_node image = ome.append_child("Image");
    image.append_attribute("ID") = "Image:0";
    image.append_attribute("Name") = file_name_of(path).c_str();
    pugi::xml_node pixels = image.append_child("Pixels");
    pixels.append_attribute("ID") = "Pixels:0";
    pixels.append_attribute("DimensionOrder") = "XYZCT";
    pixels.append_attribute("Type") = ome_type_name(volume.pixel_type()).c_str();
    pixels.append_attribute("SizeX") = std::to_string(shape.x).c_str();
    pixels.append_attribute("SizeY") = std::to_string(shape.y).c_str();
    pixels.append_attribute("SizeZ") = std::to_string(shape.z).c_str();
    pixels.append_attribute("SizeC") = std::to_string(shape.c).c_str();
    pixels.append_attribute("SizeT") = "1";
    pixels.append_attribute("BigEndian") = kHostBigEndian ? "true" : "false";
    const Spacing& spacing = volume.spacing();
    const std::string unit = normalize_unit(spacing.unit);
    if (spacing.known && unit_in_metres(unit)) {
        const char* axes[3] = {"Z", "Y", "X"};
        for (int axis = 2; axis >= 0; --axis) {
            pixels.append_attribute(fmt::format("PhysicalSize{}", axes[axis]).c_str()) =
                fmt::format("{}", spacing.zyx[std::size_t(axis)]).c_str();
            pixels.append_attribute(fmt::format("PhysicalSize{}Unit", axes[axis]).c_str()) =
                unit.c_str();
        }
    }
    for (std::int64_t c = 0; c < shape.c; ++c) {
        pugi::xml_node channel = pixels.append_child("Channel");
        channel.append_attribute("ID") = fmt::format("Channel:0:{}", c).c_str();
        const std::string& name = volume.channel_names()[std::size_t(c)];
        if (!name.empty()) channel.append_attribute("Name") = name.c_str();
        channel.append_attribute("SamplesPerPixel") = "1";
    }
    pugi::xml_node data = pixels.append_child("TiffData");
    data.append_attribute("IFD") = "0";
    data.append_attribute("PlaneCount") = std::to_string(shape.z * shape.c).c_str();
    std::ostringstream text;
    document.save(text, "", pugi::format_raw);
    return text.str();
}

// One page of an uncompressed file: the plane it holds.
struct PagePlan {
    std::int64_t z = 0;
    std::int64_t channel = 0;
};

// Writes an uncompressed TIFF without libtiff: the header, then every page's pixels back to
// back, then the IFDs. ImageJ needs this layout: its reader takes the image data of a stack
// with "images=N" as contiguous after the first page's (and tifffile does the same).
void write_uncompressed(AtomicFile& file, const Volume& volume, const std::byte* base,
                        const std::vector<PagePlan>& pages, const std::string& description,
                        bool resolution, bool big_tiff) {
    const Shape& shape = volume.shape();
    const PixelType type = volume.pixel_type();
    const auto element = std::int64_t(pixel_size(type));
    const std::int64_t plane_bytes = shape.y * shape.x * element;
    const std::int64_t header = big_tiff ? 16 : 8;
    const std::int64_t data_end = header + std::int64_t(pages.size()) * plane_bytes;
    const std::int64_t inline_bytes = big_tiff ? 8 : 4;

    auto append = [](std::vector<std::byte>& out, std::uint64_t value, int bytes) {
        for (int i = 0; i < bytes; ++i) {
            const int shift = kHostBigEndian ? 8 * (bytes - 1 - i) : 8 * i;
            out.push_back(std::byte(value >> shift));
        }
    };
    std::vector<std::byte> head;
    append(head, kHostBigEndian ? 0x4D4D : 0x4949, 2);
    append(head, big_tiff ? 43 : 42, 2);
    const std::int64_t first_ifd = (data_end + 1) & ~std::int64_t(1);
    if (big_tiff) {
        append(head, 8, 2);
        append(head, 0, 2);
        append(head, std::uint64_t(first_ifd), 8);
    } else {
        append(head, std::uint64_t(first_ifd), 4);
    }
    file.write(head);
    for (const PagePlan& page : pages)
        file.write(base + (page.channel * shape.z + page.z) * plane_bytes, plane_bytes);
    if (file.position() != first_ifd) file.write(std::string_view("\0", 1));

    const Rational x = fraction_of(volume.spacing().zyx[2]);
    const Rational y = fraction_of(volume.spacing().zyx[1]);
    std::int64_t offset = first_ifd;
    for (std::size_t index = 0; index < pages.size(); ++index) {
        struct Entry {
            std::uint16_t tag, type;
            std::uint64_t count;
            std::vector<std::byte> value;
        };
        std::vector<Entry> entries;
        auto add = [&](std::uint16_t tag, std::uint16_t type, int width,
                       const std::vector<std::uint64_t>& values) {
            Entry entry{tag, type, values.size(), {}};
            for (std::uint64_t value : values)
                append(entry.value, value, width);
            entries.push_back(std::move(entry));
        };
        const std::uint16_t long_type = big_tiff ? TIFF_LONG8 : TIFF_LONG;
        const int long_width = big_tiff ? 8 : 4;
        add(TIFFTAG_IMAGEWIDTH, TIFF_LONG, 4, {std::uint64_t(shape.x)});
        add(TIFFTAG_IMAGELENGTH, TIFF_LONG, 4, {std::uint64_t(shape.y)});
        add(TIFFTAG_BITSPERSAMPLE, TIFF_SHORT, 2, {std::uint64_t(element * 8)});
        add(TIFFTAG_COMPRESSION, TIFF_SHORT, 2, {COMPRESSION_NONE});
        add(TIFFTAG_PHOTOMETRIC, TIFF_SHORT, 2, {PHOTOMETRIC_MINISBLACK});
        if (index == 0 && !description.empty()) {
            Entry text{TIFFTAG_IMAGEDESCRIPTION, TIFF_ASCII, description.size() + 1, {}};
            for (char c : description)
                text.value.push_back(std::byte(c));
            text.value.push_back(std::byte{0});
            entries.push_back(std::move(text));
        }
        add(TIFFTAG_STRIPOFFSETS, long_type, long_width,
            {std::uint64_t(header + std::int64_t(index) * plane_bytes)});
        add(TIFFTAG_SAMPLESPERPIXEL, TIFF_SHORT, 2, {1});
        add(TIFFTAG_ROWSPERSTRIP, TIFF_LONG, 4, {std::uint64_t(shape.y)});
        add(TIFFTAG_STRIPBYTECOUNTS, long_type, long_width, {std::uint64_t(plane_bytes)});
        if (resolution) {
            // spacing = p/q units per pixel, so the resolution is q/p pixels per unit.
            add(TIFFTAG_XRESOLUTION, TIFF_RATIONAL, 4, {x.denominator, x.numerator});
            entries.back().count = 1;  // one RATIONAL is two LONGs
            add(TIFFTAG_YRESOLUTION, TIFF_RATIONAL, 4, {y.denominator, y.numerator});
            entries.back().count = 1;
        }
        add(TIFFTAG_PLANARCONFIG, TIFF_SHORT, 2, {PLANARCONFIG_CONTIG});
        if (resolution) add(TIFFTAG_RESOLUTIONUNIT, TIFF_SHORT, 2, {RESUNIT_NONE});
        if (index == 0) {
            Entry software{TIFFTAG_SOFTWARE, TIFF_ASCII, 9, {}};
            for (char c : std::string_view("voxscope\0", 9))
                software.value.push_back(std::byte(c));
            entries.push_back(std::move(software));
        }
        add(TIFFTAG_SAMPLEFORMAT, TIFF_SHORT, 2, {sample_format_of(type)});
        std::stable_sort(entries.begin(), entries.end(),
                         [](const Entry& a, const Entry& b) { return a.tag < b.tag; });

        const std::int64_t table =
            (big_tiff ? 16 : 6) + std::int64_t(entries.size()) * (big_tiff ? 20 : 12);
        std::int64_t extra_size = 0;
        for (const Entry& entry : entries) {
            if (std::int64_t(entry.value.size()) > inline_bytes)
                extra_size += (std::int64_t(entry.value.size()) + 1) & ~std::int64_t(1);
        }
        const std::int64_t next = index + 1 < pages.size() ? offset + table + extra_size : 0;
        std::vector<std::byte> ifd, extra;
        append(ifd, entries.size(), big_tiff ? 8 : 2);
        for (const Entry& entry : entries) {
            append(ifd, entry.tag, 2);
            append(ifd, entry.type, 2);
            append(ifd, entry.count, big_tiff ? 8 : 4);
            if (std::int64_t(entry.value.size()) <= inline_bytes) {
                ifd.insert(ifd.end(), entry.value.begin(), entry.value.end());
                ifd.resize(ifd.size() + std::size_t(inline_bytes) - entry.value.size());
            } else {
                append(ifd, std::uint64_t(offset + table + std::int64_t(extra.size())),
                       int(inline_bytes));
                extra.insert(extra.end(), entry.value.begin(), entry.value.end());
                if (extra.size() % 2) extra.push_back(std::byte{0});
            }
        }
        append(ifd, std::uint64_t(next), big_tiff ? 8 : 4);
        file.write(ifd);
        file.write(extra);
        offset += table + extra_size;
    }
}

enum class Kind { imagej, ome };

void write_tiff(const Volume& input, const std::string& path, const WriteOptions& options,
                Kind kind) {
    const Compression compression = parse_compression(path, options);
    const Volume volume = input.contiguous();
    const Shape& shape = volume.shape();
    const PixelType type = volume.pixel_type();
    const auto element = std::int64_t(pixel_size(type));
    const std::string description =
        kind == Kind::ome ? ome_xml(volume, path) : imagej_description(volume);
    const bool resolution = kind == Kind::imagej && volume.spacing().known;
    const bool big_tiff = volume.size_bytes() > kBigTiffThreshold;
    const auto* base = static_cast<const std::byte*>(visit(type, [&](auto tag) -> const void* {
        using T = typename decltype(tag)::type;
        return volume.view<T>().origin;
    }));

    AtomicFile file(path);
    if (compression.code == COMPRESSION_NONE) {
        std::vector<PagePlan> pages;
        for (std::int64_t page = 0; page < shape.z * shape.c; ++page) {
            if (kind == Kind::imagej) {
                pages.push_back({page / shape.c, page % shape.c});  // CZT: channels fastest
            } else {
                pages.push_back({page % shape.z, page / shape.z});  // XYZCT
            }
        }
        write_uncompressed(file, volume, base, pages, description, resolution, big_tiff);
        file.commit();
        return;
    }
    std::string error;
    TIFFOpenOptions* open_options = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetErrorHandlerExtR(open_options, collect_error, &error);
    TIFFOpenOptionsSetWarningHandlerExtR(open_options, ignore_warning, nullptr);
    TIFF* tiff = TIFFOpenExt(file.temporary_path().c_str(), big_tiff ? "w8" : "w", open_options);
    TIFFOpenOptionsFree(open_options);
    if (tiff == nullptr) throw IoError(fmt::format("cannot write '{}': {}", path, error));
    auto fail = [&] {
        TIFFClose(tiff);
        throw IoError(
            fmt::format("cannot write '{}': {}", path, error.empty() ? "libtiff failed" : error));
    };
    const std::int64_t row_bytes = shape.x * element;
    const std::int64_t rows_per_strip =
        compression.code == COMPRESSION_NONE
            ? shape.y
            : std::clamp<std::int64_t>(kStripBytes / row_bytes, 1, shape.y);
    for (std::int64_t page = 0; page < shape.z * shape.c; ++page) {
        if (interrupt_requested()) {
            TIFFClose(tiff);
            throw Interrupted();
        }
        // ImageJ: channels fastest (CZT); OME: XYZCT, planes of one channel in a row.
        const std::int64_t c = kind == Kind::imagej ? page % shape.c : page / shape.z;
        const std::int64_t z = kind == Kind::imagej ? page / shape.c : page % shape.z;
        const std::byte* plane = base + ((c * shape.z + z) * shape.y * shape.x) * element;
        TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, std::uint32_t(shape.x));
        TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, std::uint32_t(shape.y));
        TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, std::uint16_t(1));
        TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, std::uint16_t(element * 8));
        TIFFSetField(tiff, TIFFTAG_SAMPLEFORMAT, sample_format_of(type));
        TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(tiff, TIFFTAG_COMPRESSION, compression.code);
        TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, std::uint32_t(rows_per_strip));
        if (options.level >= 0) {
            if (compression.code == COMPRESSION_ADOBE_DEFLATE)
                TIFFSetField(tiff, TIFFTAG_ZIPQUALITY, std::clamp(options.level, 1, 12));
            if (compression.code == COMPRESSION_ZSTD)
                TIFFSetField(tiff, TIFFTAG_ZSTD_LEVEL, std::clamp(options.level, 1, 22));
        }
        if (page == 0 && !description.empty())
            TIFFSetField(tiff, TIFFTAG_IMAGEDESCRIPTION, description.c_str());
        if (page == 0) TIFFSetField(tiff, TIFFTAG_SOFTWARE, "voxscope");
        if (resolution) {
            TIFFSetField(tiff, TIFFTAG_XRESOLUTION, 1.0 / volume.spacing().zyx[2]);
            TIFFSetField(tiff, TIFFTAG_YRESOLUTION, 1.0 / volume.spacing().zyx[1]);
            TIFFSetField(tiff, TIFFTAG_RESOLUTIONUNIT, RESUNIT_NONE);
        }
        std::uint32_t strip = 0;
        for (std::int64_t row = 0; row < shape.y; row += rows_per_strip, ++strip) {
            const std::int64_t rows = std::min(rows_per_strip, shape.y - row);
            // libtiff's encoders may modify the buffer (byte swapping, predictors): none of
            // ours do, so the volume's const data is passed as is.
            if (TIFFWriteEncodedStrip(tiff, strip, const_cast<std::byte*>(plane + row * row_bytes),
                                      tmsize_t(rows * row_bytes)) < 0) {
                fail();
            }
        }
        if (!TIFFWriteDirectory(tiff)) fail();
    }
    TIFFClose(tiff);
    if (!error.empty()) throw IoError(fmt::format("cannot write '{}': {}", path, error));
    if (resolution) {
        patch_resolution(file.temporary_path(), volume.spacing().zyx[2], volume.spacing().zyx[1]);
    }
    file.commit();
}

}  // namespace

void write_imagej_tiff(const Volume& volume, const std::string& path, const WriteOptions& options) {
    // ImageJ holds u8, u16 and f32 only. Other types (label images are i32) get OME-XML,
    // which keeps their spacing and channel names in a .tif every reader opens.
    const PixelType type = volume.pixel_type();
    const bool imagej_type =
        type == PixelType::u8 || type == PixelType::u16 || type == PixelType::f32;
    write_tiff(volume, path, options, imagej_type ? Kind::imagej : Kind::ome);
}

void write_ome_tiff(const Volume& volume, const std::string& path, const WriteOptions& options) {
    write_tiff(volume, path, options, Kind::ome);
}

}  // namespace vox::io::tiff
