// MetaImage reader and writer: synthetic files built in code.
#include <gtest/gtest.h>

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "format.h"
#include "test_util.h"
#include "truncation.h"
#include "vox/io.h"

namespace vox::io {
namespace {

using test::values_of;

std::vector<std::byte> to_bytes(std::string_view text) {
    std::vector<std::byte> bytes(text.size());
    std::memcpy(bytes.data(), text.data(), text.size());
    return bytes;
}

template <typename T>
std::vector<std::byte> bytes_of(const std::vector<T>& values, bool big_endian = false) {
    std::vector<std::byte> bytes(values.size() * sizeof(T));
    std::memcpy(bytes.data(), values.data(), bytes.size());
    if (big_endian != kHostBigEndian) {
        for (std::size_t i = 0; i < values.size(); ++i)
            std::reverse(bytes.begin() + std::ptrdiff_t(i * sizeof(T)),
                         bytes.begin() + std::ptrdiff_t((i + 1) * sizeof(T)));
    }
    return bytes;
}

template <typename T>
std::vector<T> iota_as(std::size_t count) {
    std::vector<T> values(count);
    for (std::size_t i = 0; i < count; ++i)
        values[i] = T(i);
    return values;
}

std::vector<double> iota(std::size_t count) {
    std::vector<double> values(count);
    for (std::size_t i = 0; i < count; ++i)
        values[i] = double(i);
    return values;
}

std::vector<std::byte> zlib_bytes(const std::vector<std::byte>& data) {
    uLongf size = compressBound(uLong(data.size()));
    std::vector<std::byte> out(size);
    compress(reinterpret_cast<Bytef*>(out.data()), &size,
             reinterpret_cast<const Bytef*>(data.data()), uLong(data.size()));
    out.resize(size);
    return out;
}

// An .mha: the header (which must end with ElementDataFile = LOCAL), then the data.
std::vector<std::byte> mha_file(const std::string& fields, const std::vector<std::byte>& data) {
    std::vector<std::byte> file = to_bytes(fields + "ElementDataFile = LOCAL\n");
    file.insert(file.end(), data.begin(), data.end());
    return file;
}

const std::string kU16 =
    "ObjectType = Image\nNDims = 3\nDimSize = 4 3 2\nElementType = MET_USHORT\n";

Volume read(const std::vector<std::byte>& bytes, const ReadOptions& options = {}) {
    return metaimage_format().read(Source::from_memory("t.mha", bytes), options);
}

TEST(MetaImageTest, SniffsTheFirstKey) {
    EXPECT_TRUE(metaimage_format().sniff(to_bytes("ObjectType = Image\n")));
    EXPECT_TRUE(metaimage_format().sniff(to_bytes("NDims=3\n")));
    EXPECT_FALSE(metaimage_format().sniff(to_bytes("ObjectTypes = Image\n")));
    EXPECT_FALSE(metaimage_format().sniff(to_bytes("NRRD0004\n")));
    EXPECT_FALSE(metaimage_format().sniff({}));
}

TEST(MetaImageTest, ReadsSpacingOffsetAndOrientation) {
    const Volume volume = read(mha_file(kU16 + "ElementSpacing = 0.5 1 2\nOffset = 10 20 30\n"
                                               "TransformMatrix = 0 1 0 -1 0 0 0 0 1\n"
                                               "AnatomicalOrientation = RAI\n",
                                        bytes_of(iota_as<std::uint16_t>(24))));
    EXPECT_EQ(volume.shape(), (Shape{2, 3, 4, 1}));
    EXPECT_EQ(values_of(volume), iota(24));
    EXPECT_EQ(volume.spacing(), (Spacing{{2, 1, 0.5}, "mm", true}));
    // Axis directions (0,1,0), (-1,0,0), (0,0,1) in LPS, scaled by spacing, then LPS -> RAS.
    const Affine expected{0, 1, 0, -10, -0.5, 0, 0, -20, 0, 0, 2, 30, 0, 0, 0, 1};
    EXPECT_EQ(*volume.affine(), expected);
    EXPECT_EQ(volume.metadata().at("metaimage.AnatomicalOrientation"), "RAI");
    EXPECT_EQ(volume.metadata().at("format"), "MetaImage");
    // Synonyms: Position, ElementSize; DistanceUnits.
    const Volume other =
        read(mha_file(kU16 + "Position = 1 2 3\nElementSize = 3 3 3\nDistanceUnits = um\n",
                      bytes_of(iota_as<std::uint16_t>(24))));
    EXPECT_EQ(other.spacing(), (Spacing{{3, 3, 3}, "\xc2\xb5m", true}));
    EXPECT_EQ((*other.affine())[3], -1);
    // Without spacing: unknown.
    EXPECT_FALSE(read(mha_file(kU16, bytes_of(iota_as<std::uint16_t>(24)))).spacing().known);
}

TEST(MetaImageTest, ReadsEveryTypeByteOrderCompressionAndText) {
    const std::pair<std::string, PixelType> types[] = {
        {"MET_UCHAR", PixelType::u8},   {"MET_CHAR", PixelType::i8},
        {"MET_USHORT", PixelType::u16}, {"MET_SHORT", PixelType::i16},
        {"MET_UINT", PixelType::u32},   {"MET_INT", PixelType::i32},
        {"MET_FLOAT", PixelType::f32},  {"MET_DOUBLE", PixelType::f64}};
    for (const auto& [name, type] : types) {
        const Volume volume = read(mha_file("NDims = 1\nDimSize = 3\nElementType = " + name + "\n",
                                            std::vector<std::byte>(3 * pixel_size(type))));
        EXPECT_EQ(volume.pixel_type(), type) << name;
    }
    const auto data = bytes_of(iota_as<std::uint16_t>(24));
    EXPECT_EQ(values_of(read(mha_file(kU16 + "BinaryDataByteOrderMSB = True\n",
                                      bytes_of(iota_as<std::uint16_t>(24), true)))),
              iota(24));
    EXPECT_EQ(values_of(read(mha_file(kU16 + "ElementByteOrderMSB = True\n",
                                      bytes_of(iota_as<std::uint16_t>(24), true)))),
              iota(24));
    const auto compressed = zlib_bytes(data);
    EXPECT_EQ(values_of(read(mha_file(kU16 + "CompressedData = True\nCompressedDataSize = " +
                                          std::to_string(compressed.size()) + "\n",
                                      compressed))),
              iota(24));
    std::string text;
    for (int i = 0; i < 24; ++i)
        text += std::to_string(i) + " ";
    EXPECT_EQ(values_of(read(mha_file(kU16 + "BinaryData = False\n", to_bytes(text)))), iota(24));
    // HeaderSize -1: the data are the last bytes.
    auto padded = to_bytes("xyz");
    padded.insert(padded.end(), data.begin(), data.end());
    EXPECT_EQ(values_of(read(mha_file(kU16 + "HeaderSize = -1\n", padded))), iota(24));
    EXPECT_EQ(values_of(read(mha_file(kU16 + "HeaderSize = 3\n", padded))), iota(24));
}

TEST(MetaImageTest, ChannelsTimeAndTwoDimensions) {
    const Volume rgb = read(
        mha_file("NDims = 2\nDimSize = 2 1\nElementNumberOfChannels = 3\nElementType = MET_UCHAR\n",
                 bytes_of(iota_as<std::uint8_t>(6))));
    EXPECT_EQ(rgb.shape(), (Shape{1, 1, 2, 3}));
    EXPECT_EQ(rgb.value_at(0, 0, 1, 2), 5);
    EXPECT_EQ(rgb.value_at(0, 0, 1, 0), 3);
    const std::string time =
        "NDims = 4\nDimSize = 3 2 1 2\nElementType = MET_UCHAR\nElementSpacing = 1 1 1 0.5\n";
    ReadOptions second;
    second.time_point = 1;
    const Volume point = read(mha_file(time, bytes_of(iota_as<std::uint8_t>(12))), second);
    EXPECT_EQ(point.shape(), (Shape{1, 2, 3, 1}));
    EXPECT_EQ(values_of(point), (std::vector<double>{6, 7, 8, 9, 10, 11}));
    ReadOptions as_channels;
    as_channels.time_as_channels = true;
    EXPECT_EQ(values_of(read(mha_file(time, bytes_of(iota_as<std::uint8_t>(12))), as_channels)),
              iota(12));
    ReadOptions out_of_range;
    out_of_range.time_point = 5;
    VOX_EXPECT_THROW_MSG(read(mha_file(time, bytes_of(iota_as<std::uint8_t>(12))), out_of_range),
                         ValueError, "'t.mha': time point 5 is out of range (the file has 2)");
}

TEST(MetaImageTest, RejectsBadHeadersWithExactMessages) {
    const auto data = std::vector<std::byte>(48);
    const auto fails = [&](const std::string& fields, const std::string& message) {
        VOX_EXPECT_THROW_MSG(read(mha_file(fields, data)), FormatError, message);
    };
    fails("NDims = 3\nElementType = MET_USHORT\n", "'t.mha': missing required field 'DimSize'");
    fails("DimSize = 4 3 2\nElementType = MET_USHORT\n", "'t.mha': missing required field 'NDims'");
    fails("NDims = 3\nDimSize = 4 3 2\n", "'t.mha': missing required field 'ElementType'");
    VOX_EXPECT_THROW_MSG(read(to_bytes(kU16)), FormatError,
                         "'t.mha': missing required field 'ElementDataFile'");
    fails(kU16 + "NDims = 3\n", "'t.mha': duplicate field 'NDims'");
    fails(kU16 + "Offset = 0 0 0\nPosition = 0 0 0\n",
          "'t.mha': duplicate field 'Offset' and 'Position'");
    fails(kU16 + "this line has no equals\n", "'t.mha': line 5 is not 'Key = Value'");
    fails("NDims = 3\nDimSize = 4 3\nElementType = MET_USHORT\n", "'t.mha': bad DimSize '4 3'");
    fails("NDims = 3\nDimSize = 4 -3 2\nElementType = MET_USHORT\n",
          "'t.mha': bad DimSize '4 -3 2'");
    fails("NDims = 5\nDimSize = 1 1 1 1 1\nElementType = MET_USHORT\n",
          "'t.mha': NDims 5 is not supported (1 to 4)");
    fails("NDims = x\n", "'t.mha': bad NDims 'x'");
    fails("NDims = 3\nDimSize = 4 3 2\nElementType = MET_LONG_LONG\n",
          "'t.mha': unsupported ElementType 'MET_LONG_LONG' (supported: MET_UCHAR, MET_CHAR, "
          "MET_USHORT, "
          "MET_SHORT, MET_UINT, MET_INT, MET_FLOAT, MET_DOUBLE)");
    fails("ObjectType = Tube\n", "'t.mha': ObjectType 'Tube' is not an image");
    fails(kU16 + "BinaryData = maybe\n", "'t.mha': bad BinaryData 'maybe'");
    fails(kU16 + "ElementSpacing = 1 1\n", "'t.mha': bad ElementSpacing '1 1'");
    fails(kU16 + "BinaryDataByteOrderMSB = True\nElementByteOrderMSB = False\n",
          "'t.mha': BinaryDataByteOrderMSB and ElementByteOrderMSB disagree");
    fails(kU16 + "CompressedData = True\nHeaderSize = -1\n",
          "'t.mha': HeaderSize -1 needs uncompressed binary data");
    fails(kU16 + "CompressedData = True\n", "'t.mha': corrupt zlib data");
    fails(kU16 + "HeaderSize = 9223372036854775807\n",
          "'t.mha': HeaderSize 9223372036854775807 goes past the end of the file");
    VOX_EXPECT_THROW_MSG(
        read(mha_file("NDims = 4\nDimSize = 1e15 1e15 1e15 1e15\nElementType = MET_UCHAR\n", data)),
        LimitError,
        "'t.mha': header claims DimSize 1e15 1e15 1e15 1e15 with 1 channels, whose size overflows");
    fails(kU16 + "CompressedData = True\nCompressedDataSize = 4000\n",
          "'t.mha': CompressedDataSize 4000 but only 48 bytes follow the header");
    fails("NDims = 3\nDimSize = 40 30 20\nElementType = MET_USHORT\n",
          "'t.mha': header claims 20x30x40 u16 (46.9 KiB) at offset 78 but the file has 126 B");
    VOX_EXPECT_THROW_MSG(
        read(mha_file("NDims = 3\nDimSize = 100000 100000 100000\nElementType = MET_DOUBLE\n",
                      data)),
        LimitError,
        "'t.mha': a 100000x100000x100000x1 f64 volume needs 7.1 PiB, over the memory limit of " +
            format_bytes(memory_limit()));
    const auto compressed = zlib_bytes(std::vector<std::byte>(50));
    VOX_EXPECT_THROW_MSG(
        read(mha_file(kU16 + "CompressedData = True\n", compressed)), FormatError,
        "'t.mha': the compressed data hold more than the 48 bytes the header claims");
    const auto short_data = zlib_bytes(std::vector<std::byte>(40));
    VOX_EXPECT_THROW_MSG(read(mha_file(kU16 + "CompressedData = True\n", short_data)), FormatError,
                         "'t.mha': the compressed data hold 40 bytes, the header claims 48");
}

TEST(MetaImageTest, TruncatedPrefixesFailCleanly) {
    const auto data = bytes_of(iota_as<std::uint16_t>(24));
    for (const auto& file :
         {mha_file(kU16, data), mha_file(kU16 + "CompressedData = True\n", zlib_bytes(data))}) {
        test::expect_truncations_fail_cleanly(
            file, "t.mha", [](const Source& source) { metaimage_format().read(source, {}); });
    }
}

class MetaImageFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_folder = std::filesystem::path(::testing::TempDir()) /
                   ("metaimage_test_" +
                    std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        std::filesystem::create_directories(m_folder);
    }
    void TearDown() override { std::filesystem::remove_all(m_folder); }
    std::string path(const std::string& name) const { return (m_folder / name).string(); }
    void write(const std::string& name, const std::vector<std::byte>& bytes) const {
        std::ofstream(path(name), std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    }
    std::filesystem::path m_folder;
};

TEST_F(MetaImageFilesTest, ReadsSeparateDataFiles) {
    const auto data = bytes_of(iota_as<std::uint16_t>(24));
    write("scan.raw", data);
    write("scan.mhd", to_bytes(kU16 + "ElementDataFile = scan.raw\n"));
    EXPECT_EQ(values_of(open_volume(path("scan.mhd"))), iota(24));
    for (int z = 0; z < 2; ++z)
        write("z" + std::to_string(z) + ".raw",
              std::vector<std::byte>(data.begin() + z * 24, data.begin() + (z + 1) * 24));
    write("list.mhd", to_bytes(kU16 + "ElementDataFile = LIST\nz0.raw\nz1.raw\n"));
    EXPECT_EQ(values_of(open_volume(path("list.mhd"))), iota(24));
    write("pattern.mhd", to_bytes(kU16 + "ElementDataFile = z%d.raw 0 1 1\n"));
    EXPECT_EQ(values_of(open_volume(path("pattern.mhd"))), iota(24));
    write("few.mhd", to_bytes(kU16 + "ElementDataFile = LIST\nz0.raw\n"));
    VOX_EXPECT_THROW_MSG(open_volume(path("few.mhd")), FormatError,
                         "'" + path("z0.raw") +
                             "': header claims 2x3x4 u16 (48 B) at offset 0 but the file has 24 B");
    write("three.mhd", to_bytes(kU16 + "ElementDataFile = z%d.raw 0 2 1\n"));
    VOX_EXPECT_THROW_MSG(open_volume(path("three.mhd")), FormatError,
                         "'" + path("three.mhd") + "': 3 data files given, DimSize needs 2");
    write("missing.mhd", to_bytes(kU16 + "ElementDataFile = nothing.raw\n"));
    EXPECT_THROW(open_volume(path("missing.mhd")), IoError);
}

TEST_F(MetaImageFilesTest, RoundTripsEveryVariant) {
    Volume volume = test::make_volume<std::uint16_t>(
        {3, 4, 5, 1}, [](auto z, auto y, auto x, auto) { return z * 100 + y * 10 + x; });
    volume.set_spacing({{2.5, 0.5, 0.25}, "\xc2\xb5m", true});
    Volume oriented = test::make_volume<double>(
        {2, 3, 4, 1}, [](auto z, auto y, auto x, auto) { return z - y * 0.5 + x * 1e-3; });
    oriented.set_affine(Affine{0, 0.5, 0, 1, -0.25, 0, 0, 2, 0, 0, 2.5, 3, 0, 0, 0, 1});
    oriented.set_spacing({{2.5, 0.5, 0.25}, "mm", true});
    Volume channels = test::make_volume<std::int8_t>(
        {2, 3, 4, 3}, [](auto z, auto y, auto x, auto c) { return z + y + x - c * 10; });
    for (const std::string name : {"a.mha", "b.mhd"}) {
        for (const std::string compression : {"none", "deflate"}) {
            SCOPED_TRACE(name + " " + compression);
            for (const Volume* original : {&volume, &oriented, &channels}) {
                write_volume(*original, path(name), {compression});
                const Volume back = open_volume(path(name));
                EXPECT_EQ(back.shape(), original->shape());
                EXPECT_EQ(back.pixel_type(), original->pixel_type());
                EXPECT_EQ(values_of(back), values_of(*original));
                EXPECT_EQ(back.spacing(), original->spacing());
                EXPECT_EQ(back.affine(), original->affine());
            }
        }
    }
    EXPECT_TRUE(std::filesystem::exists(path("b.raw")));
    EXPECT_TRUE(std::filesystem::exists(path("b.zraw")));
    VOX_EXPECT_THROW_MSG(write_volume(volume, path("c.mha"), {"zstd"}), ValueError,
                         "cannot write '" + path("c.mha") +
                             "': MetaImage compression must be none or deflate (got 'zstd')");
}

}  // namespace
}  // namespace vox::io
