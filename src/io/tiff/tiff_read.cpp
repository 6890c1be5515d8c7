// Reading TIFF stacks, ImageJ hyperstacks, OME-TIFF and folders of slices with libtiff.
//
// One scan of the IFD chain collects every page's layout; the metadata (ImageJ or OME-XML in
// the first ImageDescription) maps pages to (z, channel) for the chosen time point; all
// checks run before the volume is allocated. Uncompressed strips are then read straight into
// the volume (pread, or adopted from memory); everything else is decoded by libtiff, pages in
// parallel, one libtiff handle per worker (libtiff handles are not thread-safe).
#include <tiffio.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "tiff_internal.h"
#include "vox/parallel.h"

namespace vox::io::tiff {
namespace {

struct Page {
    std::uint64_t ifd_offset = 0;
    std::uint32_t width = 0, height = 0;
    std::uint16_t samples = 1, bits = 1, sample_format = SAMPLEFORMAT_UINT;
    std::uint16_t planar = PLANARCONFIG_CONTIG, compression = COMPRESSION_NONE;
    std::uint16_t photometric = PHOTOMETRIC_MINISBLACK;
    std::uint16_t resolution_unit = 0;  // 0: no ResolutionUnit tag
    std::uint32_t depth = 1;
    bool tiled = false;
    bool reduced = false;  // a thumbnail or pyramid level (NewSubfileType bit 0)
    std::uint32_t rows_per_strip = 0;
    // Uncompressed strips only: where each strip is, for direct reads.
    std::vector<std::uint64_t> strip_offsets, strip_bytes;
};

// One page of the output: page `page` holds plane channels [channel, channel + samples).
struct PlaneRef {
    std::int64_t page = 0;
    std::int64_t z = 0;
    std::int64_t channel = 0;
};

struct Layout {
    PixelType type = PixelType::u8;
    Shape shape;
    std::vector<PlaneRef> planes;
    // ImageJ "virtual" stacks: one IFD, the other images follow its data contiguously.
    bool contiguous_images = false;
};

std::optional<PixelType> pixel_type_of_page(const Page& page) {
    const bool is_signed = page.sample_format == SAMPLEFORMAT_INT;
    if (page.sample_format == SAMPLEFORMAT_IEEEFP) {
        if (page.bits == 32) return PixelType::f32;
        if (page.bits == 64) return PixelType::f64;
        return std::nullopt;
    }
    if (page.sample_format != SAMPLEFORMAT_UINT && page.sample_format != SAMPLEFORMAT_INT &&
        page.sample_format != SAMPLEFORMAT_VOID) {
        return std::nullopt;
    }
    switch (page.bits) {
        case 8:
            return is_signed ? PixelType::i8 : PixelType::u8;
        case 16:
            return is_signed ? PixelType::i16 : PixelType::u16;
        case 32:
            return is_signed ? PixelType::i32 : PixelType::u32;
        default:
            return std::nullopt;
    }
}

std::string describe(const Page& page) {
    const std::optional<PixelType> type = pixel_type_of_page(page);
    const std::string kind =
        type ? std::string(pixel_type_name(*type))
             : fmt::format("{}-bit {}", page.bits,
                           page.sample_format == SAMPLEFORMAT_IEEEFP ? "float"
                           : page.sample_format == SAMPLEFORMAT_INT  ? "signed"
                                                                     : "unsigned");
    return fmt::format("{}x{} {}{}", page.width, page.height, kind,
                       page.samples > 1 ? fmt::format(" with {} samples", page.samples) : "");
}

bool same_layout(const Page& a, const Page& b) {
    return a.width == b.width && a.height == b.height && a.samples == b.samples &&
           a.bits == b.bits && pixel_type_of_page(a) == pixel_type_of_page(b);
}

std::string compression_name(std::uint16_t compression) {
    switch (compression) {
        case COMPRESSION_NONE:
            return "none";
        case COMPRESSION_LZW:
            return "lzw";
        case COMPRESSION_ADOBE_DEFLATE:
        case COMPRESSION_DEFLATE:
            return "deflate";
        case COMPRESSION_PACKBITS:
            return "packbits";
        case COMPRESSION_ZSTD:
            return "zstd";
        case COMPRESSION_JPEG:
            return "jpeg";
        case COMPRESSION_LZMA:
            return "lzma";
        default:
            return std::to_string(compression);
    }
}

// The current directory of `tiff` as a Page.
Page read_page(TIFF* tiff, bool want_strips) {
    Page page;
    page.ifd_offset = TIFFCurrentDirOffset(tiff);
    TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &page.width);
    TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &page.height);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLESPERPIXEL, &page.samples);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_BITSPERSAMPLE, &page.bits);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLEFORMAT, &page.sample_format);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_PLANARCONFIG, &page.planar);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_COMPRESSION, &page.compression);
    TIFFGetField(tiff, TIFFTAG_PHOTOMETRIC, &page.photometric);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_IMAGEDEPTH, &page.depth);
    TIFFGetField(tiff, TIFFTAG_RESOLUTIONUNIT, &page.resolution_unit);
    std::uint32_t subfile = 0;
    TIFFGetField(tiff, TIFFTAG_SUBFILETYPE, &subfile);
    page.reduced = (subfile & FILETYPE_REDUCEDIMAGE) != 0;
    page.tiled = TIFFIsTiled(tiff) != 0;
    TIFFGetFieldDefaulted(tiff, TIFFTAG_ROWSPERSTRIP, &page.rows_per_strip);
    if (want_strips && !page.tiled && page.compression == COMPRESSION_NONE) {
        const std::uint32_t strips = TIFFNumberOfStrips(tiff);
        std::uint64_t* offsets = nullptr;
        std::uint64_t* bytes = nullptr;
        if (strips > 0 && TIFFGetField(tiff, TIFFTAG_STRIPOFFSETS, &offsets) && offsets &&
            TIFFGetField(tiff, TIFFTAG_STRIPBYTECOUNTS, &bytes) && bytes) {
            page.strip_offsets.assign(offsets, offsets + strips);
            page.strip_bytes.assign(bytes, bytes + strips);
        }
    }
    return page;
}

struct Scan {
    std::vector<Page> pages;  // every IFD of the main chain, in order
    std::string description;  // ImageDescription of the first IFD
    bool byte_swapped = false;
    bool big_tiff = false;
};

Scan scan_pages(const Source& source) {
    Handle handle(source);
    TIFF* tiff = handle.get();
    Scan scan;
    scan.byte_swapped = TIFFIsByteSwapped(tiff) != 0;
    scan.big_tiff = TIFFIsBigTIFF(tiff) != 0;
    if (const char* text = nullptr; TIFFGetField(tiff, TIFFTAG_IMAGEDESCRIPTION, &text) && text)
        scan.description = text;
    while (true) {
        scan.pages.push_back(read_page(tiff, true));
        // libtiff takes an IFD whose link to the next one is cut off for the last: a truncated
        // file would lose its last pages silently.
        const std::string problem =
            check_ifd(source, scan.pages.back().ifd_offset, scan.big_tiff, scan.byte_swapped);
        if (!problem.empty()) {
            throw FormatError(
                fmt::format("'{}': page {}: {}", source.name(), scan.pages.size() - 1, problem));
        }
        handle.clear_error();
        if (TIFFLastDirectory(tiff)) break;
        if (!TIFFReadDirectory(tiff)) {
            const std::string reason = handle.has_error() ? handle.error() : "cannot read its IFD";
            throw FormatError(
                fmt::format("'{}': page {}: {}", source.name(), scan.pages.size(), reason));
        }
    }
    return scan;
}

// Plain stacks: every full-resolution page is a z plane.
void plain_layout(const Scan& scan, Layout& layout) {
    std::int64_t z = 0;
    for (std::size_t i = 0; i < scan.pages.size(); ++i) {
        if (scan.pages[i].reduced && i > 0) continue;
        layout.planes.push_back({std::int64_t(i), z++, 0});
    }
    layout.shape.z = z;
}

// Everything a reader learns besides the voxels.
struct Description {
    std::string format = "TIFF";
    Spacing spacing;
    std::vector<std::string> channel_names;
    std::map<std::string, std::string> metadata;
};

void check_time_point(const Source& source, const ReadOptions& options, std::int64_t frames) {
    if (options.time_point < 0 || options.time_point >= frames) {
        throw ValueError(
            fmt::format("'{}': time point {} is out of range: the file has {}", source.name(),
                        options.time_point,
                        frames == 1 ? "1 time point" : fmt::format("{} time points", frames)));
    }
}

std::int64_t count_product(const Source& source, std::initializer_list<std::int64_t> counts,
                           std::string_view what) {
    try {
        return checked_product(counts, what);
    } catch (const LimitError&) {
        throw FormatError(fmt::format("'{}': the {} overflow", source.name(), what));
    }
}

double rational_spacing(const std::optional<Rational>& resolution, double fallback) {
    if (!resolution || resolution->numerator == 0 || resolution->denominator == 0) return fallback;
    return double(resolution->denominator) / double(resolution->numerator);
}

// ImageJ pages are ordered CZT (channels fastest) unless "order=" says otherwise.
void imagej_layout(const Source& source, const Scan& scan, const ImageJDescription& imagej,
                   const ReadOptions& options, Layout& layout, Description& description) {
    const Page& first = scan.pages.front();
    std::int64_t plane_channels = imagej.channels;
    // Bio-Formats and RGB files declare the samples of one page as channels.
    if (first.samples > 1 && imagej.channels == first.samples) plane_channels = 1;
    std::int64_t slices = imagej.slices;
    const std::int64_t frames = imagej.frames;
    std::int64_t images =
        count_product(source, {plane_channels, slices, frames}, "ImageJ image counts");
    const auto ifds = std::int64_t(scan.pages.size());
    if (images == 1 && ifds > 1) slices = images = ifds;
    check_time_point(source, options, frames);
    std::string order = "XYCZT";
    if (std::string upper = imagej.order; upper.size() == 3) {
        std::transform(upper.begin(), upper.end(), upper.begin(),
                       [](unsigned char c) { return char(std::toupper(c)); });
        std::string sorted = upper;
        std::sort(sorted.begin(), sorted.end());
        if (sorted == "CTZ") order = "XY" + upper;
    }
    layout.contiguous_images = ifds == 1 && images > 1;
    if (!layout.contiguous_images && ifds < images) {
        throw FormatError(
            fmt::format("'{}': ImageJ description claims {} images but the file has {} pages",
                        source.name(), images, ifds));
    }
    for (std::int64_t c = 0; c < plane_channels; ++c) {
        for (std::int64_t z = 0; z < slices; ++z) {
            const std::int64_t index =
                ome_plane_index(order, z, c, options.time_point, slices, plane_channels, frames);
            layout.planes.push_back({index, z, c * first.samples});
        }
    }
    layout.shape.z = slices;

    description.metadata["imagej.version"] = imagej.version;
    description.metadata["time_points"] = std::to_string(frames);
    std::string unit = imagej.unit;
    if (unit.empty() && first.resolution_unit == RESUNIT_INCH) unit = "inch";
    if (unit.empty() && first.resolution_unit == RESUNIT_CENTIMETER) unit = "cm";
    if (!unit.empty() && unit != "pixel" && unit != "pixels") {
        const double x = rational_spacing(read_rational_tag(source, first.ifd_offset, scan.big_tiff,
                                                            scan.byte_swapped, TIFFTAG_XRESOLUTION),
                                          1.0);
        const double y = rational_spacing(read_rational_tag(source, first.ifd_offset, scan.big_tiff,
                                                            scan.byte_swapped, TIFFTAG_YRESOLUTION),
                                          x);
        description.spacing = {{imagej.spacing.value_or(1.0), y, x}, unit, true};
    }
}

// OME-TIFF: planes map to IFDs through TiffData in the image's DimensionOrder.
void ome_layout(const Source& source, const Scan& scan, const ReadOptions& options, Layout& layout,
                Description& description) {
    const OmeImage ome = parse_ome_xml(scan.description, source.name());
    const auto ifds = std::int64_t(scan.pages.size());
    check_time_point(source, options, ome.size_t);

    // TiffData blocks sorted by their first plane, to find the IFD of any plane.
    struct Block {
        std::int64_t first_plane, count, ifd;
        const OmeTiffData* data;
    };
    std::vector<Block> blocks;
    std::int64_t size_c = ome.size_c;
    const std::int64_t total_samples = ome.size_c;
    // The samples of a page count in SizeC: an RGB page is one plane of 3 "channels".
    std::int64_t page_samples = 1;
    {
        std::int64_t first_ifd = 0;
        for (const OmeTiffData& data : ome.tiff_data) {
            if (data.first_z == 0 && data.first_c == 0 && data.first_t == 0) first_ifd = data.ifd;
        }
        if (first_ifd < ifds) page_samples = scan.pages[std::size_t(first_ifd)].samples;
    }
    if (page_samples > 1) {
        if (total_samples % page_samples != 0) {
            throw FormatError(fmt::format("'{}': OME-XML SizeC={} does not fit pages of {} samples",
                                          source.name(), total_samples, page_samples));
        }
        size_c = total_samples / page_samples;
    }
    const std::int64_t planes =
        count_product(source, {ome.size_z, size_c, ome.size_t}, "OME-XML plane counts");
    for (const OmeTiffData& data : ome.tiff_data) {
        if (data.first_z >= ome.size_z || data.first_c >= size_c || data.first_t >= ome.size_t)
            continue;
        const std::int64_t first = ome_plane_index(ome.dimension_order, data.first_z, data.first_c,
                                                   data.first_t, ome.size_z, size_c, ome.size_t);
        blocks.push_back(
            {first, data.plane_count < 0 ? planes - first : data.plane_count, data.ifd, &data});
    }
    std::stable_sort(blocks.begin(), blocks.end(),
                     [](const Block& a, const Block& b) { return a.first_plane < b.first_plane; });
    const std::string own_name = file_name_of(source.name());
    for (std::int64_t c = 0; c < size_c; ++c) {
        for (std::int64_t z = 0; z < ome.size_z; ++z) {
            const std::int64_t plane = ome_plane_index(
                ome.dimension_order, z, c, options.time_point, ome.size_z, size_c, ome.size_t);
            std::int64_t ifd = plane;
            if (!blocks.empty()) {
                auto found = std::upper_bound(blocks.begin(), blocks.end(), plane,
                                              [](std::int64_t value, const Block& block) {
                                                  return value < block.first_plane;
                                              });
                ifd = -1;
                if (found != blocks.begin()) {
                    const Block& block = *std::prev(found);
                    if (plane - block.first_plane < block.count) {
                        std::string file = block.data->file_name;
                        std::transform(file.begin(), file.end(), file.begin(),
                                       [](unsigned char ch) { return char(std::tolower(ch)); });
                        if (!file.empty() && file != own_name) {
                            throw FormatError(fmt::format(
                                "'{}': plane z={} c={} t={} is in another file, '{}' "
                                "(multi-file OME-TIFF is not supported)",
                                source.name(), z, c, options.time_point, block.data->file_name));
                        }
                        ifd = block.ifd + (plane - block.first_plane);
                    }
                }
            }
            if (ifd < 0 || ifd >= ifds) {
                throw FormatError(fmt::format(
                    "'{}': OME-XML puts plane z={} c={} t={} in IFD {}, but the file has {} pages",
                    source.name(), z, c, options.time_point, ifd, ifds));
            }
            layout.planes.push_back({ifd, z, c * page_samples});
        }
    }
    layout.shape.z = ome.size_z;
    const Page& page = scan.pages[std::size_t(layout.planes.front().page)];
    if (ome.size_x != page.width || ome.size_y != page.height) {
        throw FormatError(fmt::format("'{}': OME-XML says {}x{} pixels but the pages are {}x{}",
                                      source.name(), ome.size_x, ome.size_y, page.width,
                                      page.height));
    }

    description.format = "OME-TIFF";
    description.metadata["ome.dimension_order"] = ome.dimension_order;
    description.metadata["time_points"] = std::to_string(ome.size_t);
    if (std::int64_t(ome.channel_names.size()) == size_c * page_samples)
        description.channel_names = ome.channel_names;

    // One unit for the three axes: the files' own when they agree, else micrometres.
    std::array<std::optional<double>, 3> size = ome.physical_size;
    std::string unit;
    bool same_unit = true;
    for (std::size_t axis = 0; axis < 3; ++axis) {
        if (!size[axis]) continue;
        if (!unit_in_metres(ome.physical_unit[axis])) {
            size[axis].reset();
            continue;
        }
        if (unit.empty()) unit = ome.physical_unit[axis];
        same_unit = same_unit && unit == ome.physical_unit[axis];
    }
    if (!same_unit) {
        unit = "\xC2\xB5m";
        for (std::size_t axis = 0; axis < 3; ++axis) {
            if (size[axis]) *size[axis] = to_micrometres(*size[axis], ome.physical_unit[axis]);
        }
    }
    if (size[0] || size[1]) {
        description.spacing = {
            {size[2].value_or(1.0), size[1].value_or(size[0].value_or(1.0)), size[0].value_or(1.0)},
            unit,
            true};
    }
}

// Where to put decoded samples: channel c of plane z starts at channel_plane(c, z).
struct Destination {
    std::byte* base = nullptr;
    Shape shape;
    std::int64_t element = 1;
    std::byte* channel_plane(std::int64_t c, std::int64_t z) const {
        return base + ((c * shape.z + z) * shape.y * shape.x) * element;
    }
};

template <typename Word>
void deinterleave_words(const std::byte* source, std::byte* const* targets, std::int64_t samples,
                        std::int64_t count) {
    for (std::int64_t s = 0; s < samples; ++s) {
        Word* target = reinterpret_cast<Word*>(targets[s]);
        const std::byte* from = source + s * std::int64_t(sizeof(Word));
        for (std::int64_t i = 0; i < count; ++i) {
            std::memcpy(target + i, from + i * samples * std::int64_t(sizeof(Word)), sizeof(Word));
        }
    }
}

// Splits `count` pixels of `samples` interleaved samples into one run per sample.
void deinterleave(const std::byte* source, std::byte* const* targets, std::int64_t samples,
                  std::int64_t count, std::int64_t element) {
    switch (element) {
        case 1:
            return deinterleave_words<std::uint8_t>(source, targets, samples, count);
        case 2:
            return deinterleave_words<std::uint16_t>(source, targets, samples, count);
        case 4:
            return deinterleave_words<std::uint32_t>(source, targets, samples, count);
        default:
            return deinterleave_words<std::uint64_t>(source, targets, samples, count);
    }
}

// A libtiff handle and its scratch buffer, kept by one worker at a time.
struct Lease {
    explicit Lease(const Source& source) : handle(source) {}
    Handle handle;
    std::vector<std::byte> scratch;
    std::int64_t page = -1;
};

class LeasePool {
public:
    explicit LeasePool(const Source& source) : m_source(source) {}
    std::unique_ptr<Lease> acquire() {
        {
            const std::lock_guard lock(m_mutex);
            if (!m_free.empty()) {
                std::unique_ptr<Lease> lease = std::move(m_free.back());
                m_free.pop_back();
                return lease;
            }
        }
        return std::make_unique<Lease>(m_source);
    }
    void release(std::unique_ptr<Lease> lease) {
        const std::lock_guard lock(m_mutex);
        m_free.push_back(std::move(lease));
    }

private:
    const Source& m_source;
    std::mutex m_mutex;
    std::vector<std::unique_ptr<Lease>> m_free;
};

std::byte* scratch_of(Lease& lease, const Source& source, std::int64_t page, std::uint64_t bytes) {
    if (bytes > std::uint64_t(memory_limit())) {
        throw LimitError(fmt::format("'{}': page {} has blocks of {}, over the memory limit of {}",
                                     source.name(), page, format_bytes(std::int64_t(bytes)),
                                     format_bytes(memory_limit())));
    }
    if (lease.scratch.size() < bytes) lease.scratch.resize(std::size_t(bytes));
    return lease.scratch.data();
}

// Decodes part `part` of `parts` of one page's strips or tiles into the volume.
void decode_part(const Source& source, Lease& lease, const Page& page, const PlaneRef& plane,
                 std::int64_t part, std::int64_t parts, const Destination& out) {
    TIFF* tiff = lease.handle.get();
    const std::int64_t width = page.width, height = page.height, samples = page.samples;
    const std::int64_t element = out.element;
    const bool separate = page.planar == PLANARCONFIG_SEPARATE && samples > 1;
    const std::int64_t sample_planes = separate ? samples : 1;
    const std::int64_t interleaved = separate ? 1 : samples;
    auto fail = [&](std::string_view what, std::int64_t index) {
        throw FormatError(fmt::format("'{}': page {} {} {}: {}", source.name(), plane.page, what,
                                      index, lease.handle.error()));
    };
    std::byte* targets[64];
    if (!page.tiled) {
        const std::int64_t rows_per_strip =
            page.rows_per_strip == 0 ? height : std::min<std::int64_t>(page.rows_per_strip, height);
        const std::int64_t per_plane = (height + rows_per_strip - 1) / rows_per_strip;
        const std::int64_t count = per_plane * sample_planes;
        if (std::int64_t(TIFFNumberOfStrips(tiff)) < count) {
            throw FormatError(fmt::format("'{}': page {} has {} strips, needs {}", source.name(),
                                          plane.page, TIFFNumberOfStrips(tiff), count));
        }
        for (std::int64_t i = count * part / parts; i < count * (part + 1) / parts; ++i) {
            const std::int64_t sample = i / per_plane, first_row = (i % per_plane) * rows_per_strip;
            const std::int64_t rows = std::min(rows_per_strip, height - first_row);
            const std::int64_t bytes = rows * width * interleaved * element;
            const std::int64_t offset = first_row * width * element;
            std::byte* target = interleaved == 1
                                    ? out.channel_plane(plane.channel + sample, plane.z) + offset
                                    : scratch_of(lease, source, plane.page, std::uint64_t(bytes));
            lease.handle.clear_error();
            if (TIFFReadEncodedStrip(tiff, std::uint32_t(i), target, bytes) != bytes)
                fail("strip", i);
            if (interleaved > 1) {
                for (std::int64_t s = 0; s < samples; ++s)
                    targets[s] = out.channel_plane(plane.channel + s, plane.z) + offset;
                deinterleave(target, targets, samples, rows * width, element);
            }
        }
        return;
    }
    std::uint32_t tile_width = 0, tile_height = 0;
    TIFFGetField(tiff, TIFFTAG_TILEWIDTH, &tile_width);
    TIFFGetField(tiff, TIFFTAG_TILELENGTH, &tile_height);
    if (tile_width == 0 || tile_height == 0) {
        throw FormatError(fmt::format("'{}': page {} has tiles of {}x{} pixels", source.name(),
                                      plane.page, tile_width, tile_height));
    }
    const std::int64_t across = (width + tile_width - 1) / tile_width;
    const std::int64_t down = (height + tile_height - 1) / tile_height;
    const std::int64_t per_plane = across * down;
    const std::int64_t count = per_plane * sample_planes;
    const std::uint64_t tile_bytes =
        std::uint64_t(tile_width) * tile_height * std::uint64_t(interleaved * element);
    if (std::int64_t(TIFFNumberOfTiles(tiff)) < count || TIFFTileSize64(tiff) != tile_bytes) {
        throw FormatError(fmt::format("'{}': page {} has an inconsistent tile layout",
                                      source.name(), plane.page));
    }
    std::byte* tile = scratch_of(lease, source, plane.page, tile_bytes);
    for (std::int64_t i = count * part / parts; i < count * (part + 1) / parts; ++i) {
        const std::int64_t sample = i / per_plane;
        const std::int64_t tile_y = (i % per_plane) / across, tile_x = (i % per_plane) % across;
        lease.handle.clear_error();
        if (TIFFReadEncodedTile(tiff, std::uint32_t(i), tile, tmsize_t(tile_bytes)) !=
            tmsize_t(tile_bytes)) {
            fail("tile", i);
        }
        const std::int64_t x0 = tile_x * tile_width, y0 = tile_y * tile_height;
        const std::int64_t rows = std::min<std::int64_t>(tile_height, height - y0);
        const std::int64_t columns = std::min<std::int64_t>(tile_width, width - x0);
        for (std::int64_t row = 0; row < rows; ++row) {
            const std::byte* from = tile + row * tile_width * interleaved * element;
            const std::int64_t offset = ((y0 + row) * width + x0) * element;
            if (interleaved == 1) {
                std::memcpy(out.channel_plane(plane.channel + sample, plane.z) + offset, from,
                            std::size_t(columns * element));
            } else {
                for (std::int64_t s = 0; s < samples; ++s)
                    targets[s] = out.channel_plane(plane.channel + s, plane.z) + offset;
                deinterleave(from, targets, samples, columns, element);
            }
        }
    }
}

// Moves a lease to the page's directory.
void enter_page(const Source& source, Lease& lease, const Page& page, std::int64_t index) {
    if (lease.page == index) return;
    TIFF* tiff = lease.handle.get();
    lease.handle.clear_error();
    lease.page = -1;
    if (!TIFFSetDirectory(tiff, tdir_t(index))) {
        throw FormatError(
            fmt::format("'{}': page {}: {}", source.name(), index, lease.handle.error()));
    }
    // libtiff converts JPEG's YCbCr to RGB when asked (tifffile does the same).
    if (page.compression == COMPRESSION_JPEG && page.photometric == PHOTOMETRIC_YCBCR)
        TIFFSetField(tiff, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    lease.page = index;
}

// A run of uncompressed bytes: file offset, offset in the volume buffer, length.
struct Segment {
    std::int64_t file_offset, volume_offset, bytes;
};

// Direct reads of uncompressed strips, checked against the file size before allocating.
std::vector<Segment> plan_segments(const Source& source, const Scan& scan, const Layout& layout,
                                   std::int64_t element) {
    const Shape& shape = layout.shape;
    const std::int64_t row_bytes = shape.x * element;
    const std::int64_t plane_bytes = shape.y * row_bytes;
    struct Item {
        std::int64_t channel, z, page, sample;
    };
    std::vector<Item> items;
    for (const PlaneRef& plane : layout.planes) {
        const Page& page = scan.pages[layout.contiguous_images ? 0 : std::size_t(plane.page)];
        const std::int64_t samples = page.samples;
        for (std::int64_t s = 0; s < samples; ++s)
            items.push_back({plane.channel + s, plane.z, plane.page, s});
    }
    // In volume order, so that runs that are adjacent in the file and the volume merge.
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        return a.channel != b.channel ? a.channel < b.channel : a.z < b.z;
    });
    std::vector<Segment> segments;
    auto add = [&](std::int64_t page, std::int64_t strip, std::int64_t file_offset,
                   std::int64_t volume_offset, std::int64_t bytes) {
        if (file_offset < 0 || file_offset > source.size() || bytes > source.size() - file_offset) {
            throw FormatError(fmt::format(
                "'{}': page {} strip {} needs {} bytes at offset {} but the file has {}",
                source.name(), page, strip, bytes, file_offset, source.size()));
        }
        if (!segments.empty()) {
            Segment& last = segments.back();
            if (last.file_offset + last.bytes == file_offset &&
                last.volume_offset + last.bytes == volume_offset) {
                last.bytes += bytes;
                return;
            }
        }
        segments.push_back({file_offset, volume_offset, bytes});
    };
    for (const Item& item : items) {
        const std::int64_t volume_offset = (item.channel * shape.z + item.z) * plane_bytes;
        const Page& page = scan.pages[layout.contiguous_images ? 0 : std::size_t(item.page)];
        if (layout.contiguous_images) {
            const auto start = std::int64_t(page.strip_offsets.front());
            add(0, item.page, start + item.page * plane_bytes, volume_offset, plane_bytes);
            continue;
        }
        const std::int64_t rows_per_strip =
            page.rows_per_strip == 0 ? shape.y
                                     : std::min<std::int64_t>(page.rows_per_strip, shape.y);
        const std::int64_t per_plane = (shape.y + rows_per_strip - 1) / rows_per_strip;
        for (std::int64_t k = 0; k < per_plane; ++k) {
            const std::int64_t rows = std::min(rows_per_strip, shape.y - k * rows_per_strip);
            const std::size_t strip = std::size_t(item.sample * per_plane + k);
            const std::int64_t bytes = rows * row_bytes;
            if (page.strip_bytes[strip] < std::uint64_t(bytes)) {
                throw FormatError(fmt::format("'{}': page {} strip {} has {} bytes, needs {}",
                                              source.name(), item.page, strip,
                                              page.strip_bytes[strip], bytes));
            }
            add(item.page, std::int64_t(strip),
                std::int64_t(std::min<std::uint64_t>(page.strip_offsets[strip], INT64_MAX)),
                volume_offset + k * rows_per_strip * row_bytes, bytes);
        }
    }
    return segments;
}

bool strips_are_direct(const Page& page, const Shape& shape) {
    if (page.tiled || page.compression != COMPRESSION_NONE) return false;
    if (page.samples > 1 && page.planar != PLANARCONFIG_SEPARATE) return false;
    const std::int64_t rows_per_strip =
        page.rows_per_strip == 0 ? shape.y : std::min<std::int64_t>(page.rows_per_strip, shape.y);
    const std::int64_t strips =
        (shape.y + rows_per_strip - 1) / rows_per_strip * (page.samples > 1 ? page.samples : 1);
    return std::int64_t(page.strip_offsets.size()) == strips &&
           page.strip_bytes.size() == page.strip_offsets.size();
}

// The pixel type and shape of the pages used, checked to agree.
void check_pages(const Source& source, const Scan& scan, Layout& layout) {
    if (layout.planes.empty()) throw FormatError(fmt::format("'{}': no pages", source.name()));
    const std::int64_t reference_index = layout.planes.front().page;
    const Page& reference = scan.pages[layout.contiguous_images ? 0 : std::size_t(reference_index)];
    const std::optional<PixelType> type = pixel_type_of_page(reference);
    if (!type) {
        throw FormatError(
            fmt::format("'{}': page {} is {}; voxscope reads 8, 16 and 32-bit "
                        "integers and 32 and 64-bit floats",
                        source.name(), reference_index, describe(reference)));
    }
    if (reference.width == 0 || reference.height == 0) {
        throw FormatError(fmt::format("'{}': page {} is empty ({}x{})", source.name(),
                                      reference_index, reference.width, reference.height));
    }
    if (reference.samples < 1 || reference.samples > 64) {
        throw FormatError(fmt::format("'{}': page {} has {} samples per pixel (at most 64)",
                                      source.name(), reference_index, reference.samples));
    }
    for (const PlaneRef& plane : layout.planes) {
        if (layout.contiguous_images) break;
        const Page& page = scan.pages[std::size_t(plane.page)];
        if (!same_layout(page, reference)) {
            throw FormatError(fmt::format(
                "'{}': page {} is {}, unlike page {} ({}); the pages of a stack must match",
                source.name(), plane.page, describe(page), reference_index, describe(reference)));
        }
        if (page.depth > 1) {
            throw FormatError(fmt::format("'{}': page {} is a volume of depth {} (not supported)",
                                          source.name(), plane.page, page.depth));
        }
    }
    layout.type = *type;
    std::int64_t plane_channels = 0;
    for (const PlaneRef& plane : layout.planes)
        plane_channels = std::max(plane_channels, plane.channel + reference.samples);
    layout.shape.y = reference.height;
    layout.shape.x = reference.width;
    layout.shape.c = plane_channels;
}

Volume decode(const Source& source, const Scan& scan, const Layout& layout) {
    const Shape& shape = layout.shape;
    check_memory(source, shape, layout.type);
    const auto element = std::int64_t(pixel_size(layout.type));
    bool direct = true;
    for (const PlaneRef& plane : layout.planes) {
        const Page& page = scan.pages[layout.contiguous_images ? 0 : std::size_t(plane.page)];
        direct = direct && strips_are_direct(page, shape);
    }
    if (layout.contiguous_images && !(direct && scan.pages.front().samples == 1)) {
        throw FormatError(
            fmt::format("'{}': ImageJ stack of several images in one compressed or "
                        "multi-sample IFD is not supported",
                        source.name()));
    }
    if (direct) {
        const std::int64_t total = shape.values() * element;
        if (total > source.size()) {
            throw FormatError(fmt::format(
                "'{}': the pages claim {}x{}x{}{} {} ({}) uncompressed but the file has {}",
                source.name(), shape.z, shape.y, shape.x,
                shape.c > 1 ? fmt::format("x{}", shape.c) : "", pixel_type_name(layout.type),
                format_bytes(total), format_bytes(source.size())));
        }
        if (layout.contiguous_images) {
            const Page& page = scan.pages.front();
            for (std::size_t k = 1; k < page.strip_offsets.size(); ++k) {
                if (page.strip_offsets[k] != page.strip_offsets[k - 1] + page.strip_bytes[k - 1]) {
                    throw FormatError(fmt::format(
                        "'{}': ImageJ stack of several images in one IFD whose strips are not "
                        "contiguous",
                        source.name()));
                }
            }
        }
        const std::vector<Segment> segments = plan_segments(source, scan, layout, element);
        const bool swap = scan.byte_swapped && element > 1;
        // Decompressed or zip-member bytes already in memory: adopt them, no copy.
        if (!source.memory().empty() && !swap && segments.size() == 1 &&
            segments[0].volume_offset == 0 && segments[0].bytes == total &&
            segments[0].file_offset % element == 0) {
            return Volume::adopt(source.shared_memory(), source.size(), segments[0].file_offset,
                                 shape, layout.type);
        }
        std::int64_t covered = 0;
        for (const Segment& segment : segments)
            covered += segment.bytes;
        // Segments that cover every voxel need no zeroing first.
        Volume volume = Volume::allocate(
            shape, layout.type, covered == total ? Volume::Fill::none : Volume::Fill::zeros);
        auto* base = static_cast<std::byte*>(visit(layout.type, [&](auto tag) -> void* {
            using T = typename decltype(tag)::type;
            return volume.mutable_view<T>().origin;
        }));
        parallel_for(
            0, std::int64_t(segments.size()), 1, [&](std::int64_t begin, std::int64_t end) {
                for (std::int64_t i = begin; i < end; ++i) {
                    const Segment& segment = segments[std::size_t(i)];
                    source.read(segment.file_offset, base + segment.volume_offset, segment.bytes);
                    if (swap)
                        swap_bytes(base + segment.volume_offset, segment.bytes / element,
                                   std::size_t(element));
                }
            });
        return volume;
    }
    Volume volume = Volume::allocate(shape, layout.type);
    Destination out;
    out.shape = shape;
    out.element = element;
    out.base = static_cast<std::byte*>(visit(layout.type, [&](auto tag) -> void* {
        using T = typename decltype(tag)::type;
        return volume.mutable_view<T>().origin;
    }));
    // Split pages into parts when there are fewer pages than workers (one large image).
    const auto planes = std::int64_t(layout.planes.size());
    const std::int64_t parts =
        std::clamp<std::int64_t>((4 * thread_count() + planes - 1) / planes, 1, 64);
    LeasePool pool(source);
    parallel_for(0, planes * parts, 1, [&](std::int64_t begin, std::int64_t end) {
        std::unique_ptr<Lease> lease = pool.acquire();
        for (std::int64_t item = begin; item < end; ++item) {
            const PlaneRef& plane = layout.planes[std::size_t(item / parts)];
            const Page& page = scan.pages[std::size_t(plane.page)];
            enter_page(source, *lease, page, plane.page);
            decode_part(source, *lease, page, plane, item % parts, parts, out);
        }
        pool.release(std::move(lease));
    });
    return volume;
}

}  // namespace

Volume read_tiff(const Source& source, const ReadOptions& options) {
    const Scan scan = scan_pages(source);
    Layout layout;
    Description description;
    std::optional<ImageJDescription> imagej;
    if (scan.description.find("<OME") != std::string::npos) {
        ome_layout(source, scan, options, layout, description);
    } else if ((imagej = parse_imagej_description(scan.description, source.name()))) {
        imagej_layout(source, scan, *imagej, options, layout, description);
    } else {
        check_time_point(source, options, 1);
        plain_layout(scan, layout);
    }
    check_pages(source, scan, layout);
    Volume volume = decode(source, scan, layout);
    if (description.spacing.known) volume.set_spacing(description.spacing);
    if (!description.channel_names.empty() &&
        std::int64_t(description.channel_names.size()) == volume.shape().c) {
        volume.set_channel_names(description.channel_names);
    }
    auto& metadata = volume.metadata();
    metadata = std::move(description.metadata);
    metadata["format"] = description.format;
    const Page& page =
        scan.pages[layout.contiguous_images ? 0 : std::size_t(layout.planes.front().page)];
    metadata["tiff.pages"] = std::to_string(scan.pages.size());
    metadata["tiff.compression"] = compression_name(page.compression);
    metadata["tiff.byte_order"] =
        (scan.byte_swapped != kHostBigEndian) ? "big-endian" : "little-endian";
    if (scan.big_tiff) metadata["tiff.bigtiff"] = "true";
    if (page.tiled) metadata["tiff.tiled"] = "true";
    if (metadata.count("time_points") != 0)
        metadata["time_point"] = std::to_string(options.time_point);
    return volume;
}

}  // namespace vox::io::tiff

namespace vox::io {

Volume read_tiff_slices(const std::vector<std::string>& paths, const ReadOptions&) {
    const Source first = Source::open(paths.front());
    tiff::Page reference;
    {
        tiff::Handle handle(first);
        reference = tiff::read_page(handle.get(), false);
    }
    const std::optional<PixelType> type = tiff::pixel_type_of_page(reference);
    if (!type || reference.width == 0 || reference.height == 0 || reference.samples > 64) {
        throw FormatError(
            fmt::format("'{}': slice is {}; voxscope reads 8, 16 and 32-bit "
                        "integers and 32 and 64-bit floats",
                        first.name(), tiff::describe(reference)));
    }
    const Shape shape{std::int64_t(paths.size()), reference.height, reference.width,
                      reference.samples};
    check_memory(first, shape, *type);
    Volume volume = Volume::allocate(shape, *type);
    tiff::Destination out;
    out.shape = shape;
    out.element = std::int64_t(pixel_size(*type));
    out.base = static_cast<std::byte*>(visit(*type, [&](auto tag) -> void* {
        using T = typename decltype(tag)::type;
        return volume.mutable_view<T>().origin;
    }));
    // The first slice that differs is named, whichever worker finds it.
    std::mutex mutex;
    std::int64_t first_mismatch = INT64_MAX;
    std::string mismatch;
    parallel_for(0, std::int64_t(paths.size()), 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t z = begin; z < end; ++z) {
            const Source source = z == 0 ? first : Source::open(paths[std::size_t(z)]);
            tiff::Lease lease(source);
            const tiff::Page page = tiff::read_page(lease.handle.get(), false);
            if (!tiff::same_layout(page, reference)) {
                const std::lock_guard lock(mutex);
                if (z < first_mismatch) {
                    first_mismatch = z;
                    mismatch = fmt::format(
                        "'{}': slice is {}, unlike '{}' ({}); all slices must match", source.name(),
                        tiff::describe(page), first.name(), tiff::describe(reference));
                }
                continue;
            }
            if (!TIFFLastDirectory(lease.handle.get())) {
                throw FormatError(
                    fmt::format("'{}': has several pages; a slice must have one", source.name()));
            }
            if (page.compression == COMPRESSION_JPEG && page.photometric == PHOTOMETRIC_YCBCR)
                TIFFSetField(lease.handle.get(), TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
            tiff::decode_part(source, lease, page, {0, z, 0}, 0, 1, out);
        }
    });
    if (!mismatch.empty()) throw FormatError(mismatch);
    volume.metadata()["format"] = "TIFF";
    volume.metadata()["tiff.slices"] = std::to_string(paths.size());
    volume.metadata()["tiff.compression"] = tiff::compression_name(reference.compression);
    return volume;
}

}  // namespace vox::io
