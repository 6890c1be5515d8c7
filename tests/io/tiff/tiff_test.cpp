// Unit tests of the TIFF reader and writers: files built in code with libtiff (strips, tiles,
// planar layouts, byte orders, codecs) and by hand (crafted headers for exact errors).
#include <gtest/gtest.h>
#include <tiffio.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "format.h"
#include "test_util.h"
#include "tiff/tiff_internal.h"
#include "truncation.h"
#include "vox/io.h"

namespace vox::io {
namespace {

using test::make_volume;
using test::values_of;

double pattern(std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t c) {
    return double((z * 37 + y * 11 + x * 3 + c * 71) % 200);
}

std::vector<std::byte> read_bytes(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
    std::vector<std::byte> result(bytes.size());
    std::memcpy(result.data(), bytes.data(), bytes.size());
    return result;
}

// How a test file is laid out when libtiff writes it.
struct Layout {
    std::int64_t pages = 2, height = 13, width = 10, samples = 1;
    std::uint16_t planar = PLANARCONFIG_CONTIG;
    std::uint16_t compression = COMPRESSION_NONE;
    std::uint16_t predictor = PREDICTOR_NONE;
    std::uint32_t tile = 0;  // 0: strips
    std::uint32_t rows_per_strip = 4;
    const char* mode = "w";  // "wb": big-endian, "w8": BigTIFF
    std::string description;
};

// Writes pages whose sample s of pixel (y, x) on page z is pattern(z, y, x, s), as T.
template <typename T>
void write_with_libtiff(const std::string& path, const Layout& layout) {
    TIFF* tiff = TIFFOpen(path.c_str(), layout.mode);
    ASSERT_NE(tiff, nullptr);
    const std::int64_t interleaved = layout.planar == PLANARCONFIG_CONTIG ? layout.samples : 1;
    const std::int64_t planes = layout.planar == PLANARCONFIG_CONTIG ? 1 : layout.samples;
    for (std::int64_t z = 0; z < layout.pages; ++z) {
        TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, std::uint32_t(layout.width));
        TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, std::uint32_t(layout.height));
        TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, std::uint16_t(layout.samples));
        TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, std::uint16_t(sizeof(T) * 8));
        TIFFSetField(tiff, TIFFTAG_SAMPLEFORMAT,
                     std::is_floating_point_v<T> ? SAMPLEFORMAT_IEEEFP
                     : std::is_signed_v<T>       ? SAMPLEFORMAT_INT
                                                 : SAMPLEFORMAT_UINT);
        TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC,
                     layout.samples == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
        TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, layout.planar);
        TIFFSetField(tiff, TIFFTAG_COMPRESSION, layout.compression);
        if (layout.predictor != PREDICTOR_NONE)
            TIFFSetField(tiff, TIFFTAG_PREDICTOR, layout.predictor);
        if (z == 0 && !layout.description.empty())
            TIFFSetField(tiff, TIFFTAG_IMAGEDESCRIPTION, layout.description.c_str());
        auto value = [&](std::int64_t y, std::int64_t x, std::int64_t s) {
            return (y < layout.height && x < layout.width)
                       ? T(pattern(z, y, x, s) - (std::is_signed_v<T> ? 100 : 0))
                       : T(0);
        };
        if (layout.tile != 0) {
            TIFFSetField(tiff, TIFFTAG_TILEWIDTH, layout.tile);
            TIFFSetField(tiff, TIFFTAG_TILELENGTH, layout.tile);
            std::vector<T> buffer(std::size_t(layout.tile * layout.tile * interleaved));
            for (std::int64_t plane = 0; plane < planes; ++plane)
                for (std::int64_t y0 = 0; y0 < layout.height; y0 += layout.tile)
                    for (std::int64_t x0 = 0; x0 < layout.width; x0 += layout.tile) {
                        for (std::int64_t y = 0; y < layout.tile; ++y)
                            for (std::int64_t x = 0; x < layout.tile; ++x)
                                for (std::int64_t s = 0; s < interleaved; ++s)
                                    buffer[std::size_t((y * layout.tile + x) * interleaved + s)] =
                                        value(y0 + y, x0 + x, plane + s);
                        const std::uint32_t index = TIFFComputeTile(
                            tiff, std::uint32_t(x0), std::uint32_t(y0), 0, std::uint16_t(plane));
                        ASSERT_GT(TIFFWriteEncodedTile(tiff, index, buffer.data(),
                                                       tmsize_t(buffer.size() * sizeof(T))),
                                  0);
                    }
        } else {
            TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, layout.rows_per_strip);
            std::uint32_t strip = 0;
            for (std::int64_t plane = 0; plane < planes; ++plane)
                for (std::int64_t y0 = 0; y0 < layout.height; y0 += layout.rows_per_strip) {
                    const std::int64_t rows =
                        std::min<std::int64_t>(layout.rows_per_strip, layout.height - y0);
                    std::vector<T> buffer(std::size_t(rows * layout.width * interleaved));
                    for (std::int64_t y = 0; y < rows; ++y)
                        for (std::int64_t x = 0; x < layout.width; ++x)
                            for (std::int64_t s = 0; s < interleaved; ++s)
                                buffer[std::size_t((y * layout.width + x) * interleaved + s)] =
                                    value(y0 + y, x, plane + s);
                    ASSERT_GT(TIFFWriteEncodedStrip(tiff, strip++, buffer.data(),
                                                    tmsize_t(buffer.size() * sizeof(T))),
                              0);
                }
        }
        ASSERT_TRUE(TIFFWriteDirectory(tiff));
    }
    TIFFClose(tiff);
}

template <typename T>
Volume expected_volume(const Layout& layout) {
    return make_volume<T>({layout.pages, layout.height, layout.width, layout.samples},
                          [](auto z, auto y, auto x, auto c) {
                              return pattern(z, y, x, c) - (std::is_signed_v<T> ? 100 : 0);
                          });
}

// A hand-made classic little-endian TIFF: one uncompressed strip per page, then its IFD.
struct CraftedPage {
    std::uint32_t width = 4, height = 3;
    std::uint16_t bits = 8, sample_format = SAMPLEFORMAT_UINT, samples = 1;
    std::string description;
    std::vector<std::uint8_t> data;  // the strip (and anything after it)
    std::uint32_t strip_bytes = 0;   // 0: data.size()
};

std::vector<std::byte> craft_tiff(const std::vector<CraftedPage>& pages) {
    std::vector<std::uint8_t> out = {'I', 'I', 42, 0, 0, 0, 0, 0};
    auto put = [&](std::size_t at, std::uint64_t value, int bytes) {
        for (int i = 0; i < bytes; ++i)
            out[at + std::size_t(i)] = std::uint8_t(value >> (8 * i));
    };
    std::size_t link = 4;  // where the offset of the next IFD goes
    for (const CraftedPage& page : pages) {
        const std::size_t data_offset = out.size();
        out.insert(out.end(), page.data.begin(), page.data.end());
        const std::size_t text_offset = out.size();
        out.insert(out.end(), page.description.begin(), page.description.end());
        if (!page.description.empty()) out.push_back(0);
        if (out.size() % 2) out.push_back(0);
        struct Entry {
            std::uint16_t tag, type;
            std::uint32_t count, value;
        };
        std::vector<Entry> entries = {
            {256, 4, 1, page.width},
            {257, 4, 1, page.height},
            {258, 3, 1, page.bits},
            {259, 3, 1, 1},
            {262, 3, 1, 1},
            {273, 4, 1, std::uint32_t(data_offset)},
            {277, 3, 1, page.samples},
            {278, 4, 1, page.height},
            {279, 4, 1, page.strip_bytes ? page.strip_bytes : std::uint32_t(page.data.size())},
            {339, 3, 1, page.sample_format}};
        if (!page.description.empty()) {
            entries.insert(entries.begin() + 5, {270, 2, std::uint32_t(page.description.size() + 1),
                                                 std::uint32_t(text_offset)});
        }
        const std::size_t ifd = out.size();
        put(link, ifd, 4);
        out.resize(out.size() + 2 + entries.size() * 12 + 4, 0);
        put(ifd, entries.size(), 2);
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const std::size_t at = ifd + 2 + i * 12;
            put(at, entries[i].tag, 2);
            put(at + 2, entries[i].type, 2);
            put(at + 4, entries[i].count, 4);
            put(at + 8, entries[i].value, entries[i].type == 3 ? 2 : 4);
        }
        link = ifd + 2 + entries.size() * 12;
    }
    std::vector<std::byte> bytes(out.size());
    std::memcpy(bytes.data(), out.data(), out.size());
    return bytes;
}

Volume read_memory(const std::vector<std::byte>& bytes, const ReadOptions& options = {},
                   const std::string& name = "test.tif") {
    return tiff_format().read(Source::from_memory(name, bytes), options);
}

class TiffTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_folder = std::filesystem::temp_directory_path() /
                   ("vox_tiff_test_" + std::to_string(::getpid()) + "_" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(m_folder);
    }
    void TearDown() override {
        std::filesystem::remove_all(m_folder);
        set_memory_limit(m_limit);
    }
    std::string path(const std::string& name) const { return (m_folder / name).string(); }
    std::filesystem::path m_folder;
    std::int64_t m_limit = memory_limit();
};

TEST(TiffSniff, RecognisesClassicAndBigTiffInBothByteOrders) {
    auto sniff = [](std::string_view text) {
        std::vector<std::byte> head(text.size());
        if (!text.empty()) std::memcpy(head.data(), text.data(), text.size());
        return std::pair{tiff_format().sniff(head), ome_tiff_format().sniff(head)};
    };
    using namespace std::string_view_literals;
    EXPECT_EQ(sniff("II*\0\x08\0\0\0"sv), std::pair(true, false));
    EXPECT_EQ(sniff("MM\0*\0\0\0\x08"sv), std::pair(true, false));
    EXPECT_EQ(sniff("II+\0\x08\0\0\0"sv), std::pair(true, false));
    EXPECT_EQ(sniff("MM\0+\0\x08\0\0"sv), std::pair(true, false));
    EXPECT_EQ(sniff("II*\0\x08\0\0\0<OME xmlns=..."sv), std::pair(false, true));
    EXPECT_EQ(sniff("II*\0"sv), std::pair(false, false));
    EXPECT_EQ(sniff("P5\n4 4\n255\n"sv), std::pair(false, false));
    EXPECT_EQ(sniff(""sv), std::pair(false, false));
}

TEST(ImageJDescription, ParsesCountsUnitAndSpacing) {
    const auto description = tiff::parse_imagej_description(
        "ImageJ=1.53c\nimages=24\nchannels=2\nslices=4\nframes=3\nhyperstack=true\n"
        "unit=\\u00B5m\nspacing=2.5\nloop=false\n",
        "a.tif");
    ASSERT_TRUE(description);
    EXPECT_EQ(description->version, "1.53c");
    EXPECT_EQ(description->images, 24);
    EXPECT_EQ(description->channels, 2);
    EXPECT_EQ(description->slices, 4);
    EXPECT_EQ(description->frames, 3);
    EXPECT_TRUE(description->hyperstack);
    EXPECT_EQ(description->unit, "\xC2\xB5m");
    EXPECT_EQ(description->spacing, 2.5);
    EXPECT_EQ(description->order, "czt");
    EXPECT_FALSE(tiff::parse_imagej_description("{\"shape\": [3, 4]}", "a.tif"));
    EXPECT_EQ(tiff::parse_imagej_description("ImageJ=\nunit=micron", "a.tif")->unit, "\xC2\xB5m");
    EXPECT_EQ(tiff::parse_imagej_description("ImageJ=\nunit=um", "a.tif")->unit, "\xC2\xB5m");
    EXPECT_EQ(tiff::parse_imagej_description("ImageJ=\nunit=mm\nspacing=-1", "a.tif")->spacing,
              std::nullopt);
    VOX_EXPECT_THROW_MSG(tiff::parse_imagej_description("ImageJ=1.5\nslices=0\n", "a.tif"),
                         FormatError,
                         "'a.tif': ImageJ description has slices=0, not a count from 1");
    VOX_EXPECT_THROW_MSG(tiff::parse_imagej_description("ImageJ=1.5\nchannels=two\n", "a.tif"),
                         FormatError,
                         "'a.tif': ImageJ description has channels=two, not a count from 1");
}

TEST(OmeXml, ParsesPixelsChannelsAndTiffData) {
    const tiff::OmeImage image = tiff::parse_ome_xml(
        R"(<?xml version="1.0"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">
        <Image ID="Image:0"><Pixels DimensionOrder="XYCZT" Type="uint16" SizeX="8" SizeY="6"
        SizeZ="4" SizeC="2" SizeT="3" PhysicalSizeX="0.5" PhysicalSizeY="0.25"
        PhysicalSizeZ="2" PhysicalSizeZUnit="mm">
        <Channel ID="Channel:0:0" Name="DAPI" SamplesPerPixel="1"/><Channel Name="GFP"/>
        <TiffData IFD="0" PlaneCount="24"/></Pixels></Image></OME>)",
        "a.ome.tif");
    EXPECT_EQ(image.size_x, 8);
    EXPECT_EQ(image.size_y, 6);
    EXPECT_EQ(image.size_z, 4);
    EXPECT_EQ(image.size_c, 2);
    EXPECT_EQ(image.size_t, 3);
    EXPECT_EQ(image.dimension_order, "XYCZT");
    EXPECT_EQ(image.type, "uint16");
    EXPECT_EQ(image.physical_size[0], 0.5);
    EXPECT_EQ(image.physical_size[2], 2.0);
    EXPECT_EQ(image.physical_unit[0], "\xC2\xB5m");
    EXPECT_EQ(image.physical_unit[2], "mm");
    EXPECT_EQ(image.channel_names, (std::vector<std::string>{"DAPI", "GFP"}));
    ASSERT_EQ(image.tiff_data.size(), 1u);
    EXPECT_EQ(image.tiff_data[0].plane_count, 24);
    // XYCZT: c fastest, then z, then t.
    EXPECT_EQ(tiff::ome_plane_index("XYCZT", 1, 1, 2, 4, 2, 3), 1 + 2 * (1 + 4 * 2));
    EXPECT_EQ(tiff::ome_plane_index("XYZCT", 1, 1, 2, 4, 2, 3), 1 + 4 * (1 + 2 * 2));
    EXPECT_EQ(tiff::ome_plane_index("XYTZC", 1, 1, 2, 4, 2, 3), 2 + 3 * (1 + 4 * 1));
    VOX_EXPECT_THROW_MSG(tiff::parse_ome_xml("<OME><Image>", "a.ome.tif"), FormatError,
                         "'a.ome.tif': OME-XML is not well formed: Start-end tags mismatch at "
                         "offset 11");
    VOX_EXPECT_THROW_MSG(tiff::parse_ome_xml("<OME/>", "a.ome.tif"), FormatError,
                         "'a.ome.tif': OME-XML has no Image/Pixels element");
    VOX_EXPECT_THROW_MSG(
        tiff::parse_ome_xml("<OME><Image><Pixels SizeX='0' SizeY='1'/></Image></OME>", "a.ome.tif"),
        FormatError, "'a.ome.tif': OME-XML Pixels has SizeX=\"0\", not a count from 1");
    VOX_EXPECT_THROW_MSG(
        tiff::parse_ome_xml("<OME><Image><Pixels SizeX='1' SizeY='1' SizeZ='1' SizeC='1' "
                            "SizeT='1' DimensionOrder='XYQ'/></Image></OME>",
                            "a.ome.tif"),
        FormatError, "'a.ome.tif': OME-XML has an unknown DimensionOrder \"XYQ\"");
}

template <typename T>
void expect_reads_back(const std::string& file, const Layout& layout) {
    write_with_libtiff<T>(file, layout);
    const Volume volume = open_volume(file);
    const Volume expected = expected_volume<T>(layout);
    EXPECT_EQ(volume.shape(), expected.shape());
    EXPECT_EQ(volume.pixel_type(), pixel_type_of<T>());
    EXPECT_EQ(values_of(volume), values_of(expected));
    EXPECT_FALSE(volume.spacing().known);
    EXPECT_EQ(volume.metadata().at("format"), "TIFF");
}

TEST_F(TiffTest, ReadsEveryPixelTypeInStripsAndTiles) {
    Layout strips;
    expect_reads_back<std::uint8_t>(path("u8.tif"), strips);
    expect_reads_back<std::int8_t>(path("i8.tif"), strips);
    expect_reads_back<std::uint16_t>(path("u16.tif"), strips);
    expect_reads_back<std::int16_t>(path("i16.tif"), strips);
    expect_reads_back<std::uint32_t>(path("u32.tif"), strips);
    expect_reads_back<std::int32_t>(path("i32.tif"), strips);
    expect_reads_back<float>(path("f32.tif"), strips);
    expect_reads_back<double>(path("f64.tif"), strips);
    Layout tiles;
    tiles.tile = 16;
    tiles.height = 40;
    tiles.width = 35;
    expect_reads_back<std::uint16_t>(path("tiles.tif"), tiles);
    expect_reads_back<float>(path("tiles_f32.tif"), tiles);
}

TEST_F(TiffTest, ReadsBigEndianBigTiffAndCompressedPages) {
    Layout layout;
    layout.mode = "wb";
    expect_reads_back<std::uint16_t>(path("big_endian.tif"), layout);
    expect_reads_back<double>(path("big_endian_f64.tif"), layout);
    layout.mode = "w8";
    expect_reads_back<std::int32_t>(path("bigtiff.tif"), layout);
    layout.mode = "w";
    for (std::uint16_t codec :
         {COMPRESSION_LZW, COMPRESSION_ADOBE_DEFLATE, COMPRESSION_PACKBITS, COMPRESSION_ZSTD}) {
        layout.compression = codec;
        layout.predictor = PREDICTOR_HORIZONTAL;
        expect_reads_back<std::uint16_t>(path("codec.tif"), layout);
        layout.tile = 16;
        expect_reads_back<std::int16_t>(path("codec_tiles.tif"), layout);
        layout.tile = 0;
        layout.predictor = PREDICTOR_FLOATINGPOINT;
        if (codec != COMPRESSION_PACKBITS) expect_reads_back<float>(path("codec_f32.tif"), layout);
    }
}

TEST_F(TiffTest, SamplesBecomeChannelsForContiguousAndSeparatePlanes) {
    Layout layout;
    layout.samples = 3;
    expect_reads_back<std::uint8_t>(path("rgb.tif"), layout);
    layout.planar = PLANARCONFIG_SEPARATE;
    expect_reads_back<std::uint8_t>(path("rgb_planar.tif"), layout);
    layout.compression = COMPRESSION_ADOBE_DEFLATE;
    expect_reads_back<std::uint16_t>(path("rgb_planar_deflate.tif"), layout);
    layout.planar = PLANARCONFIG_CONTIG;
    layout.tile = 16;
    expect_reads_back<float>(path("rgb_tiles_deflate.tif"), layout);
}

TEST_F(TiffTest, ImageJHyperstackPagesAreCztAndTheTimePointIsChosen) {
    // 2 channels, 3 slices, 2 frames: page = c + 2 * (z + 3 * t).
    Layout layout;
    layout.pages = 12;
    layout.description =
        "ImageJ=1.53c\nimages=12\nchannels=2\nslices=3\nframes=2\nhyperstack=true\nunit=micron\n"
        "spacing=2.5\n";
    write_with_libtiff<std::uint16_t>(path("hyper.tif"), layout);
    for (std::int64_t t = 0; t < 2; ++t) {
        ReadOptions options;
        options.time_point = t;
        const Volume volume = open_volume(path("hyper.tif"), options);
        ASSERT_EQ(volume.shape(), (Shape{3, 13, 10, 2}));
        for (std::int64_t c = 0; c < 2; ++c)
            for (std::int64_t z = 0; z < 3; ++z)
                EXPECT_EQ(volume.value_at(z, 5, 7, c), pattern(c + 2 * (z + 3 * t), 5, 7, 0));
        // No resolution tags: x and y default to 1 unit, as in ImageJ.
        EXPECT_EQ(volume.spacing(), (Spacing{{2.5, 1.0, 1.0}, "\xC2\xB5m", true}));
        EXPECT_EQ(volume.metadata().at("time_points"), "2");
        EXPECT_EQ(volume.metadata().at("imagej.version"), "1.53c");
    }
    ReadOptions options;
    options.time_point = 2;
    VOX_EXPECT_THROW_MSG(
        open_volume(path("hyper.tif"), options), ValueError,
        "'" + path("hyper.tif") + "': time point 2 is out of range: the file has 2 time points");
    layout.pages = 5;
    write_with_libtiff<std::uint16_t>(path("short.tif"), layout);
    VOX_EXPECT_THROW_MSG(open_volume(path("short.tif")), FormatError,
                         "'" + path("short.tif") +
                             "': ImageJ description claims 12 images but the file has 5 pages");
}

TEST_F(TiffTest, ImageJStackWithOneIfdReadsTheImagesThatFollowIt) {
    // ImageJ writes stacks over 4 GB with one IFD; the other images follow the first's data.
    CraftedPage page;
    page.description = "ImageJ=1.53c\nimages=3\nslices=3\n";
    for (int i = 0; i < 3 * 12; ++i)
        page.data.push_back(std::uint8_t(i));
    page.strip_bytes = 12;
    const Volume volume = read_memory(craft_tiff({page}));
    ASSERT_EQ(volume.shape(), (Shape{3, 3, 4, 1}));
    EXPECT_EQ(volume.value_at(2, 2, 3), 35);
    page.description = "ImageJ=1.53c\nimages=30\nslices=30\n";
    VOX_EXPECT_THROW_MSG(read_memory(craft_tiff({page})), FormatError,
                         "'test.tif': the pages claim 30x3x4 u8 (360 B) uncompressed but the file "
                         "has 216 B");
}

TEST_F(TiffTest, ImageJWriterRoundTripsWithExactSpacing) {
    Volume volume = make_volume<std::uint16_t>({4, 9, 7, 2}, pattern);
    volume.set_spacing({{1.5, 0.3, 0.1625}, "\xC2\xB5m", true});
    for (const char* compression : {"none", "deflate", "lzw", "packbits", "zstd"}) {
        WriteOptions options;
        options.compression = compression;
        write_volume(volume, path("out.tif"), options);
        const Volume back = open_volume(path("out.tif"));
        EXPECT_EQ(back.shape(), volume.shape()) << compression;
        EXPECT_EQ(back.pixel_type(), PixelType::u16);
        EXPECT_EQ(values_of(back), values_of(volume)) << compression;
        EXPECT_EQ(back.spacing(), volume.spacing()) << compression;
        EXPECT_EQ(back.metadata().at("tiff.compression"), std::string(compression));
    }
    // The description is what Fiji expects.
    const Source source = Source::open(path("out.tif"));
    const tiff::Handle handle(source);
    const char* text = nullptr;
    ASSERT_TRUE(TIFFGetField(handle.get(), TIFFTAG_IMAGEDESCRIPTION, &text));
    EXPECT_EQ(std::string(text),
              "ImageJ=1.11a\nimages=8\nchannels=2\nslices=4\nhyperstack=true\nmode=composite\n"
              "unit=micron\nspacing=1.5\nloop=false\n");
    EXPECT_FALSE(std::filesystem::exists(path("out.tif") + ".tmp"));
}

TEST_F(TiffTest, OtherTypesAreWrittenAsOmeTiffWithTheirSpacing) {
    // ImageJ cannot hold these types: a .tif of them carries OME-XML, so a label image (i32)
    // keeps its spacing and channels.
    for (PixelType type :
         {PixelType::i8, PixelType::i16, PixelType::u32, PixelType::i32, PixelType::f64}) {
        Volume volume = visit(type, [](auto tag) {
            using T = typename decltype(tag)::type;
            return make_volume<T>({3, 5, 6, 2}, [](auto z, auto y, auto x, auto c) {
                return pattern(z, y, x, c) - (std::is_signed_v<T> ? 100 : 0);  // fits i8
            });
        });
        volume.set_spacing({{0.29, 0.26, 0.26}, "\xC2\xB5m", true});
        for (const char* compression : {"none", "deflate"}) {
            write_volume(volume, path("other.tif"), {.compression = compression});
            const Volume back = open_volume(path("other.tif"));
            EXPECT_EQ(back.pixel_type(), type);
            EXPECT_EQ(back.shape(), volume.shape());
            EXPECT_EQ(values_of(back), values_of(volume));
            EXPECT_EQ(back.spacing(), volume.spacing());
            EXPECT_EQ(back.metadata().at("format"), "OME-TIFF");
        }
    }
}

TEST_F(TiffTest, OmeWriterRoundTripsChannelsNamesAndSpacing) {
    Volume volume = make_volume<float>({3, 8, 5, 3}, pattern);
    volume.set_spacing({{2.0, 0.25, 0.125}, "nm", true});
    volume.set_channel_names({"DAPI", "GFP & co", ""});
    write_volume(volume, path("out.ome.tif"), {.compression = "deflate"});
    const Volume back = open_volume(path("out.ome.tif"));
    EXPECT_EQ(back.shape(), volume.shape());
    EXPECT_EQ(values_of(back), values_of(volume));
    EXPECT_EQ(back.spacing(), volume.spacing());
    EXPECT_EQ(back.channel_names(), volume.channel_names());
    EXPECT_EQ(back.metadata().at("format"), "OME-TIFF");
    EXPECT_EQ(back.metadata().at("ome.dimension_order"), "XYZCT");
}

TEST_F(TiffTest, OmeUnitsAreConvertedToMicrometresWhenTheyDiffer) {
    Layout layout;
    layout.pages = 4;
    layout.description =
        R"(<OME><Image><Pixels DimensionOrder="XYCZT" Type="uint8" SizeX="10" SizeY="13" )"
        R"(SizeZ="2" SizeC="2" SizeT="1" PhysicalSizeX="500" PhysicalSizeXUnit="nm" )"
        R"(PhysicalSizeY="0.5" PhysicalSizeZ="0.002" PhysicalSizeZUnit="mm"><TiffData/>)"
        R"(</Pixels></Image></OME>)";
    write_with_libtiff<std::uint8_t>(path("units.ome.tif"), layout);
    const Volume volume = open_volume(path("units.ome.tif"));
    ASSERT_EQ(volume.shape(), (Shape{2, 13, 10, 2}));
    EXPECT_EQ(volume.value_at(1, 3, 4, 0), pattern(2, 3, 4, 0));  // XYCZT: page c + 2z
    EXPECT_EQ(volume.value_at(1, 3, 4, 1), pattern(3, 3, 4, 0));
    EXPECT_EQ(volume.spacing().unit, "\xC2\xB5m");
    EXPECT_DOUBLE_EQ(volume.spacing().zyx[0], 2.0);
    EXPECT_DOUBLE_EQ(volume.spacing().zyx[1], 0.5);
    EXPECT_DOUBLE_EQ(volume.spacing().zyx[2], 0.5);
}

TEST_F(TiffTest, OmeErrorsNameThePlane) {
    Layout layout;
    layout.pages = 2;
    layout.description =
        R"(<OME><Image><Pixels DimensionOrder="XYZCT" Type="uint8" SizeX="10" SizeY="13" )"
        R"(SizeZ="3" SizeC="1" SizeT="1"/></Image></OME>)";
    write_with_libtiff<std::uint8_t>(path("missing.ome.tif"), layout);
    VOX_EXPECT_THROW_MSG(
        open_volume(path("missing.ome.tif")), FormatError,
        "'" + path("missing.ome.tif") +
            "': OME-XML puts plane z=2 c=0 t=0 in IFD 2, but the file has 2 pages");
    layout.description =
        R"(<OME><Image><Pixels DimensionOrder="XYZCT" Type="uint8" SizeX="10" SizeY="13" )"
        R"(SizeZ="2"><TiffData IFD="0" PlaneCount="1"/><TiffData FirstZ="1"><UUID )"
        R"(FileName="other.ome.tif">urn:uuid:1</UUID></TiffData></Pixels></Image></OME>)";
    write_with_libtiff<std::uint8_t>(path("multi.ome.tif"), layout);
    VOX_EXPECT_THROW_MSG(open_volume(path("multi.ome.tif")), FormatError,
                         "'" + path("multi.ome.tif") +
                             "': plane z=1 c=0 t=0 is in another file, 'other.ome.tif' "
                             "(multi-file OME-TIFF is not supported)");
}

TEST_F(TiffTest, BadFilesGiveOneClearError) {
    CraftedPage small;
    small.data.assign(12, 7);
    CraftedPage wide = small;
    wide.width = 6;
    wide.data.assign(18, 7);
    VOX_EXPECT_THROW_MSG(read_memory(craft_tiff({small, small, wide})), FormatError,
                         "'test.tif': page 2 is 6x3 u8, unlike page 0 (4x3 u8); the pages of a "
                         "stack must match");
    CraftedPage bits = small;
    bits.bits = 12;
    VOX_EXPECT_THROW_MSG(read_memory(craft_tiff({bits})), FormatError,
                         "'test.tif': page 0 is 4x3 12-bit unsigned; voxscope reads 8, 16 and "
                         "32-bit integers and 32 and 64-bit floats");
    CraftedPage huge = small;
    huge.width = 40000;
    huge.height = 40000;
    VOX_EXPECT_THROW_MSG(read_memory(craft_tiff({huge, huge})), FormatError,
                         "'test.tif': the pages claim 2x40000x40000 u8 (3.0 GiB) uncompressed "
                         "but the file has 284 B");
    set_memory_limit(1 << 20);
    VOX_EXPECT_THROW_MSG(read_memory(craft_tiff({huge})), LimitError,
                         "'test.tif': a 1x40000x40000x1 u8 volume needs 1.5 GiB, over the "
                         "memory limit of 1.0 MiB");
    VOX_EXPECT_THROW_MSG(read_memory(std::vector<std::byte>(16, std::byte{'I'})), FormatError,
                         "'test.tif': Not a TIFF file, bad version number 18761 (0x4949)");
    std::vector<std::byte> looped = craft_tiff({small});
    looped[looped.size() - 4] = std::byte{0x14};  // the next IFD is the first one again
    VOX_EXPECT_THROW_MSG(read_memory(looped), FormatError,
                         "'test.tif': page 1: cannot read its IFD");
    std::vector<std::byte> cut = craft_tiff({small, small});
    cut.resize(cut.size() - 2);
    VOX_EXPECT_THROW_MSG(read_memory(cut), FormatError,
                         "'test.tif': page 1: the IFD at offset 158 is truncated");
}

TEST_F(TiffTest, TruncatedFilesFailCleanly) {
    Layout layout;
    layout.pages = 3;
    write_with_libtiff<std::uint16_t>(path("plain.tif"), layout);
    layout.compression = COMPRESSION_ADOBE_DEFLATE;
    layout.tile = 16;
    write_with_libtiff<std::uint16_t>(path("deflate.tif"), layout);
    Volume volume = make_volume<std::uint8_t>({3, 6, 5, 2}, pattern);
    volume.set_spacing({{1.5, 0.5, 0.5}, "mm", true});
    write_volume(volume, path("imagej.tif"), {.compression = "lzw"});
    write_volume(volume, path("ome.ome.tif"));
    for (const char* name : {"plain.tif", "deflate.tif", "imagej.tif", "ome.ome.tif"}) {
        test::expect_truncations_fail_cleanly(
            read_bytes(path(name)), name,
            [](const Source& source) { tiff_format().read(source, {}); });
    }
}

TEST_F(TiffTest, FolderOfSlicesIsSortedNaturallyAndRgbBecomesChannels) {
    std::filesystem::create_directories(path("slices"));
    Layout layout;
    layout.pages = 12;
    write_with_libtiff<std::uint16_t>(path("stack.tif"), layout);
    const Volume stack = open_volume(path("stack.tif"));
    for (std::int64_t i = 1; i <= 12; ++i) {
        write_volume(stack.crop({{i - 1, 0, 0}, {i, 13, 10}}),
                     path("slices/z" + std::to_string(i) + ".tif"), {.compression = "deflate"});
    }
    const Volume volume = open_volume(path("slices"));
    ASSERT_EQ(volume.shape(), (Shape{12, 13, 10, 1}));
    EXPECT_EQ(values_of(volume), values_of(make_volume<std::uint16_t>({12, 13, 10, 1}, pattern)));
    EXPECT_EQ(open_volume(path("slices/z*.tif")).shape(), volume.shape());

    std::filesystem::create_directories(path("rgb"));
    Layout rgb;
    rgb.pages = 1;
    rgb.samples = 3;
    write_with_libtiff<std::uint8_t>(path("rgb/a1.tif"), rgb);
    write_with_libtiff<std::uint8_t>(path("rgb/a2.tif"), rgb);
    const Volume colour = open_volume(path("rgb"));
    EXPECT_EQ(colour.shape(), (Shape{2, 13, 10, 3}));
    EXPECT_EQ(colour.value_at(1, 4, 5, 2), pattern(0, 4, 5, 2));

    Layout odd = rgb;
    odd.samples = 1;
    write_with_libtiff<std::uint8_t>(path("rgb/a3.tif"), odd);
    write_with_libtiff<std::uint8_t>(path("rgb/a10.tif"), odd);
    VOX_EXPECT_THROW_MSG(open_volume(path("rgb")), FormatError,
                         "'" + path("rgb/a3.tif") + "': slice is 10x13 u8, unlike '" +
                             path("rgb/a1.tif") +
                             "' (10x13 u8 with 3 samples); all slices must match");
}

TEST_F(TiffTest, WriterRejectsUnknownCompression) {
    const Volume volume = make_volume<std::uint8_t>({1, 2, 2, 1}, pattern);
    VOX_EXPECT_THROW_MSG(write_volume(volume, path("a.tif"), {.compression = "gzip"}), ValueError,
                         "cannot write '" + path("a.tif") +
                             "': unknown TIFF compression 'gzip' (none, deflate, lzw, packbits, "
                             "zstd)");
    EXPECT_FALSE(std::filesystem::exists(path("a.tif")));
}

TEST_F(TiffTest, InMemoryUncompressedPagesAreAdopted) {
    CraftedPage page;
    for (int i = 0; i < 12; ++i)
        page.data.push_back(std::uint8_t(i * 2));
    const Source source = Source::from_memory("mem.tif", craft_tiff({page}));
    const Volume volume = tiff_format().read(source, {});
    EXPECT_EQ(volume.value_at(0, 2, 3), 22);
    // The volume points into the source's buffer.
    EXPECT_EQ(static_cast<const void*>(volume.view<std::uint8_t>().origin),
              static_cast<const void*>(source.memory().data() + 8));
}

}  // namespace
}  // namespace vox::io
