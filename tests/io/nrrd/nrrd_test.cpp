// NRRD reader and writer: synthetic files built in code.
#include <gtest/gtest.h>

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

// An attached NRRD: magic, fields, blank line, data.
std::vector<std::byte> nrrd_file(const std::string& fields, const std::vector<std::byte>& data) {
    std::vector<std::byte> file = to_bytes("NRRD0004\n" + fields + "\n");
    file.insert(file.end(), data.begin(), data.end());
    return file;
}

const std::string kU16 = "type: ushort\ndimension: 3\nsizes: 4 3 2\nendian: little\n";

Volume read(const std::vector<std::byte>& bytes, const ReadOptions& options = {}) {
    return nrrd_format().read(Source::from_memory("t.nrrd", bytes), options);
}

class NrrdFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_folder = std::filesystem::path(::testing::TempDir()) /
                   ("nrrd_test_" +
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

TEST(NrrdTest, SniffsTheMagic) {
    EXPECT_TRUE(nrrd_format().sniff(to_bytes("NRRD0004\n")));
    EXPECT_TRUE(nrrd_format().sniff(to_bytes("NRRD0001")));
    EXPECT_FALSE(nrrd_format().sniff(to_bytes("NRRD")));
    EXPECT_FALSE(nrrd_format().sniff({}));
}

TEST(NrrdTest, ReadsRawWithSpacingsAndUnits) {
    const Volume volume =
        read(nrrd_file(kU16 + "encoding: raw\nspacings: 0.5 1 2\nunits: \"um\" \"um\" \"um\"\n",
                       bytes_of(iota_as<std::uint16_t>(24))));
    EXPECT_EQ(volume.shape(), (Shape{2, 3, 4, 1}));
    EXPECT_EQ(values_of(volume), iota(24));
    EXPECT_EQ(volume.spacing(), (Spacing{{2, 1, 0.5}, "\xc2\xb5m", true}));
    EXPECT_FALSE(volume.affine().has_value());
    EXPECT_EQ(volume.metadata().at("format"), "NRRD");
}

TEST(NrrdTest, ReadsEveryTypeAlias) {
    const std::pair<std::string, PixelType> aliases[] = {{"uchar", PixelType::u8},
                                                         {"unsigned char", PixelType::u8},
                                                         {"uint8", PixelType::u8},
                                                         {"uint8_t", PixelType::u8},
                                                         {"signed char", PixelType::i8},
                                                         {"int8", PixelType::i8},
                                                         {"int8_t", PixelType::i8},
                                                         {"short", PixelType::i16},
                                                         {"short int", PixelType::i16},
                                                         {"signed short", PixelType::i16},
                                                         {"signed short int", PixelType::i16},
                                                         {"int16", PixelType::i16},
                                                         {"int16_t", PixelType::i16},
                                                         {"ushort", PixelType::u16},
                                                         {"unsigned short", PixelType::u16},
                                                         {"unsigned short int", PixelType::u16},
                                                         {"uint16", PixelType::u16},
                                                         {"uint16_t", PixelType::u16},
                                                         {"int", PixelType::i32},
                                                         {"signed int", PixelType::i32},
                                                         {"int32", PixelType::i32},
                                                         {"int32_t", PixelType::i32},
                                                         {"uint", PixelType::u32},
                                                         {"unsigned int", PixelType::u32},
                                                         {"uint32", PixelType::u32},
                                                         {"uint32_t", PixelType::u32},
                                                         {"float", PixelType::f32},
                                                         {"double", PixelType::f64}};
    for (const auto& [alias, type] : aliases) {
        const std::string fields =
            "type: " + alias + "\ndimension: 1\nsizes: 3\nendian: little\nencoding: raw\n";
        const Volume volume = read(nrrd_file(fields, std::vector<std::byte>(3 * pixel_size(type))));
        EXPECT_EQ(volume.pixel_type(), type) << alias;
    }
}

TEST(NrrdTest, ReadsBigEndianGzipAndAscii) {
    const std::string big = "type: short\ndimension: 3\nsizes: 4 3 2\nendian: big\nencoding: raw\n";
    EXPECT_EQ(values_of(read(nrrd_file(big, bytes_of(iota_as<std::int16_t>(24), true)))), iota(24));
    const auto compressed = gzip(bytes_of(iota_as<std::uint16_t>(24)));
    EXPECT_EQ(values_of(read(nrrd_file(kU16 + "encoding: gzip\n", compressed))), iota(24));
    std::string text;
    for (int i = 0; i < 24; ++i)
        text += std::to_string(i) + (i % 4 == 3 ? "\n" : " ");
    const Volume ascii = read(
        nrrd_file("type: float\ndimension: 3\nsizes: 4 3 2\nencoding: ascii\n", to_bytes(text)));
    EXPECT_EQ(values_of(ascii), iota(24));
}

TEST(NrrdTest, SpaceDirectionsGiveAnAffineInRas) {
    const Volume volume =
        read(nrrd_file(kU16 + "encoding: raw\nspace: left-posterior-superior\n"
                              "space directions: (0,0.5,0) (-1,0,0) (0,0,2.5)\n"
                              "space origin: (10,20,30)\nspace units: \"mm\" \"mm\" \"mm\"\n",
                       bytes_of(iota_as<std::uint16_t>(24))));
    EXPECT_EQ(volume.spacing(), (Spacing{{2.5, 1, 0.5}, "mm", true}));
    // LPS to RAS: x and y rows change sign.
    const Affine expected{0, 1, 0, -10, -0.5, 0, 0, -20, 0, 0, 2.5, 30, 0, 0, 0, 1};
    EXPECT_EQ(*volume.affine(), expected);
    EXPECT_EQ(volume.metadata().at("nrrd.space"), "left-posterior-superior");
    // RAS and an abbreviation: unchanged; no space units: mm by convention.
    const Volume ras = read(
        nrrd_file(kU16 + "encoding: raw\nspace: RAS\nspace directions: (2,0,0) (0,3,0) (0,0,4)\n",
                  bytes_of(iota_as<std::uint16_t>(24))));
    EXPECT_EQ(*ras.affine(), (Affine{2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1}));
    EXPECT_EQ(ras.spacing(), (Spacing{{4, 3, 2}, "mm", true}));
}

TEST(NrrdTest, FourDimensions) {
    // vector first: interleaved channels
    const std::string vector =
        "type: uchar\ndimension: 4\nsizes: 2 3 2 1\nencoding: raw\nkinds: vector domain domain "
        "domain\n";
    const Volume channels = read(nrrd_file(vector, bytes_of(iota_as<std::uint8_t>(12))));
    EXPECT_EQ(channels.shape(), (Shape{1, 2, 3, 2}));
    EXPECT_EQ(channels.value_at(0, 1, 2, 1), 11);
    EXPECT_EQ(channels.value_at(0, 1, 2, 0), 10);
    // time last: one time point
    const std::string time =
        "type: uchar\ndimension: 4\nsizes: 3 2 1 2\nencoding: raw\nkinds: domain domain domain "
        "time\n";
    ReadOptions second;
    second.time_point = 1;
    const Volume point = read(nrrd_file(time, bytes_of(iota_as<std::uint8_t>(12))), second);
    EXPECT_EQ(point.shape(), (Shape{1, 2, 3, 1}));
    EXPECT_EQ(values_of(point), (std::vector<double>{6, 7, 8, 9, 10, 11}));
    EXPECT_EQ(point.metadata().at("time_points"), "2");
    ReadOptions as_channels;
    as_channels.time_as_channels = true;
    const Volume both = read(nrrd_file(time, bytes_of(iota_as<std::uint8_t>(12))), as_channels);
    EXPECT_EQ(both.shape(), (Shape{1, 2, 3, 2}));
    EXPECT_EQ(values_of(both), iota(12));
    ReadOptions out_of_range;
    out_of_range.time_point = 2;
    VOX_EXPECT_THROW_MSG(read(nrrd_file(time, bytes_of(iota_as<std::uint8_t>(12))), out_of_range),
                         ValueError, "'t.nrrd': time point 2 is out of range (the file has 2)");
    // list last: planar channels
    const std::string list =
        "type: uchar\ndimension: 4\nsizes: 3 2 1 2\nencoding: raw\nkinds: domain domain domain "
        "list\n";
    const Volume planar = read(nrrd_file(list, bytes_of(iota_as<std::uint8_t>(12))));
    EXPECT_EQ(planar.shape(), (Shape{1, 2, 3, 2}));
    EXPECT_EQ(values_of(planar), iota(12));
    // four domain axes: the slowest is time
    const std::string domains = "type: uchar\ndimension: 4\nsizes: 3 2 1 2\nencoding: raw\n";
    EXPECT_EQ(read(nrrd_file(domains, bytes_of(iota_as<std::uint8_t>(12)))).shape(),
              (Shape{1, 2, 3, 1}));
    VOX_EXPECT_THROW_MSG(
        read(nrrd_file("type: uchar\ndimension: 4\nsizes: 3 2 2 2\nencoding: raw\nkinds: domain "
                       "vector domain domain\n",
                       std::vector<std::byte>(24))),
        FormatError,
        "'t.nrrd': non-spatial axis 1 (kind 'vector') must be the first or the last axis");
}

TEST(NrrdTest, SkipsLinesAndBytes) {
    const auto data = bytes_of(iota_as<std::uint16_t>(24));
    auto junk = to_bytes("junk line\nmore\n");
    junk.insert(junk.end(), data.begin(), data.end());
    EXPECT_EQ(values_of(read(nrrd_file(kU16 + "encoding: raw\nline skip: 2\n", junk))), iota(24));
    auto prefixed = to_bytes("abc");
    prefixed.insert(prefixed.end(), data.begin(), data.end());
    EXPECT_EQ(values_of(read(nrrd_file(kU16 + "encoding: raw\nbyte skip: 3\n", prefixed))),
              iota(24));
    EXPECT_EQ(values_of(read(nrrd_file(kU16 + "encoding: raw\nbyte skip: -1\n", prefixed))),
              iota(24));
}

TEST(NrrdTest, RejectsBadHeadersWithExactMessages) {
    const auto data = std::vector<std::byte>(48);
    const auto fails = [&](const std::string& fields, const std::string& message) {
        VOX_EXPECT_THROW_MSG(read(nrrd_file(fields, data)), FormatError, message);
    };
    VOX_EXPECT_THROW_MSG(read(to_bytes("NRRD0009\n")), FormatError,
                         "'t.nrrd': not an NRRD file (no NRRD0001-NRRD0005 magic)");
    fails("dimension: 3\nsizes: 4 3 2\nencoding: raw\n", "'t.nrrd': missing required field 'type'");
    fails("type: ushort\nsizes: 4 3 2\nencoding: raw\n",
          "'t.nrrd': missing required field 'dimension'");
    fails("type: ushort\ndimension: 3\nsizes: 4 3 2\nencoding: raw\n",
          "'t.nrrd': missing required field 'endian'");
    fails(kU16 + "encoding: raw\nsizes: 4 3 2\n", "'t.nrrd': duplicate field 'sizes'");
    fails(kU16 + "encoding: raw\ncolour: red\n", "'t.nrrd': unknown field 'colour' on line 7");
    fails(kU16 + "encoding: raw\nno colon here\n", "'t.nrrd': line 7 is not 'field: value'");
    fails("type: ushort\ndimension: 3\nsizes: 4 3\nendian: little\nencoding: raw\n",
          "'t.nrrd': bad sizes '4 3' for dimension 3");
    fails("type: ushort\ndimension: 3\nsizes: 4 0 2\nendian: little\nencoding: raw\n",
          "'t.nrrd': bad sizes '4 0 2' for dimension 3");
    fails("type: ushort\ndimension: 5\nsizes: 1 1 1 1 1\nendian: little\nencoding: raw\n",
          "'t.nrrd': dimension 5 is not supported (1 to 4)");
    fails("type: int64\ndimension: 1\nsizes: 2\nendian: little\nencoding: raw\n",
          "'t.nrrd': unsupported type 'int64' (no 64-bit integers or blocks)");
    fails("type: pixel\ndimension: 1\nsizes: 2\nendian: little\nencoding: raw\n",
          "'t.nrrd': unknown type 'pixel'");
    fails(kU16 + "encoding: bzip2\n",
          "'t.nrrd': unsupported encoding 'bzip2' (supported: raw, gzip, ascii)");
    fails(kU16 + "encoding: raw\nendian: middle\n", "'t.nrrd': duplicate field 'endian'");
    fails(kU16 + "encoding: raw\nspace: mars\n", "'t.nrrd': unknown space 'mars'");
    fails(kU16 + "encoding: raw\nspace directions: (1,0,0) (0,1,0) (0,0,1)\n",
          "'t.nrrd': 'space directions' without a space");
    fails(kU16 + "encoding: raw\nspace: RAS\nspace directions: (1,0,0) (0,1,0)\n",
          "'t.nrrd': bad space directions '(1,0,0) (0,1,0)' for dimension 3");
    fails(kU16 + "encoding: raw\nspace: RAS\nspace directions: (1,0,0) (0,1,0) (0,0,0)\n",
          "'t.nrrd': space direction of axis 2 is zero");
    fails(kU16 + "encoding: raw\nkinds: domain domain banana\n", "'t.nrrd': unknown kind 'banana'");
    fails(kU16 + "encoding: gzip\nbyte skip: -1\n", "'t.nrrd': byte skip -1 needs raw encoding");
    fails("type: ushort\ndimension: 3\nsizes: 40 30 20\nendian: little\nencoding: raw\n",
          "'t.nrrd': header claims 20x30x40 u16 (46.9 KiB) at offset 81 but the file has 129 B");
    fails(kU16 + "encoding: gzip\n", "'t.nrrd': corrupt gzip data");
    fails(kU16 + "encoding: raw\nbyte skip: 9223372036854775807\n",
          "'t.nrrd': byte skip 9223372036854775807 goes past the end of the file");
    fails(kU16 + "encoding: raw\ndata file: x%d.raw -9223372036854775808 9223372036854775807 1\n",
          "'t.nrrd': bad data file 'x%d.raw -9223372036854775808 9223372036854775807 1'");
    VOX_EXPECT_THROW_MSG(
        read(to_bytes("NRRD0004\n" + kU16 + "encoding: raw\n")), FormatError,
        "'t.nrrd': truncated header: no blank line before the data and no 'data file'");
    VOX_EXPECT_THROW_MSG(
        read(nrrd_file("type: double\ndimension: 3\nsizes: 100000 100000 100000\nendian: "
                       "little\nencoding: raw\n",
                       data)),
        LimitError,
        "'t.nrrd': a 100000x100000x100000x1 f64 volume needs 7.1 PiB, over the memory limit of " +
            format_bytes(memory_limit()));
}

TEST(NrrdTest, TruncatedPrefixesFailCleanly) {
    for (const std::string encoding : {"raw", "gzip"}) {
        const auto data = bytes_of(iota_as<std::uint16_t>(24));
        const auto file =
            nrrd_file(kU16 + "encoding: " + encoding + "\n", encoding == "raw" ? data : gzip(data));
        test::expect_truncations_fail_cleanly(
            file, "t.nrrd", [](const Source& source) { nrrd_format().read(source, {}); });
    }
}

TEST_F(NrrdFilesTest, ReadsDetachedHeaders) {
    const auto data = bytes_of(iota_as<std::uint16_t>(24));
    write("data.raw", data);
    write("single.nhdr", to_bytes("NRRD0004\n" + kU16 + "encoding: raw\ndata file: data.raw\n"));
    EXPECT_EQ(values_of(open_volume(path("single.nhdr"))), iota(24));
    write("data.raw.gz", gzip(data));
    write("gz.nhdr", to_bytes("NRRD0004\n" + kU16 + "encoding: gzip\ndatafile: data.raw.gz\n"));
    EXPECT_EQ(values_of(open_volume(path("gz.nhdr"))), iota(24));
    // One file per z slice: LIST and a pattern.
    for (int z = 0; z < 2; ++z)
        write("slice" + std::to_string(z + 1) + ".raw",
              std::vector<std::byte>(data.begin() + z * 24, data.begin() + (z + 1) * 24));
    write("list.nhdr", to_bytes("NRRD0004\n" + kU16 +
                                "encoding: raw\ndata file: LIST\nslice1.raw\nslice2.raw\n"));
    EXPECT_EQ(values_of(open_volume(path("list.nhdr"))), iota(24));
    write("pattern.nhdr",
          to_bytes("NRRD0004\n" + kU16 + "encoding: raw\ndata file: slice%d.raw 1 2 1 2\n"));
    EXPECT_EQ(values_of(open_volume(path("pattern.nhdr"))), iota(24));
    write("missing.nhdr",
          to_bytes("NRRD0004\n" + kU16 + "encoding: raw\ndata file: nothing.raw\n"));
    EXPECT_THROW(open_volume(path("missing.nhdr")), IoError);
    write("count.nhdr",
          to_bytes("NRRD0004\n" + kU16 + "encoding: raw\ndata file: slice%d.raw 1 3 1 2\n"));
    VOX_EXPECT_THROW_MSG(open_volume(path("count.nhdr")), FormatError,
                         "'" + path("count.nhdr") + "': 3 data files given, the sizes need 2");
    write("bad.nhdr",
          to_bytes("NRRD0004\n" + kU16 + "encoding: raw\ndata file: slice%s.raw 1 2 1\n"));
    VOX_EXPECT_THROW_MSG(open_volume(path("bad.nhdr")), FormatError,
                         "'" + path("bad.nhdr") + "': bad data file pattern 'slice%s.raw'");
}

TEST_F(NrrdFilesTest, RoundTripsEveryVariant) {
    Volume volume = test::make_volume<std::int16_t>(
        {3, 4, 11, 1}, [](auto z, auto y, auto x, auto) { return z * 100 - y * 10 + x; });
    volume.set_spacing({{2.5, 0.5, 0.25}, "\xc2\xb5m", true});
    Volume oriented = volume.copy();
    oriented.set_affine(Affine{0, 0.5, 0, 1, -0.25, 0, 0, 2, 0, 0, 2.5, 3, 0, 0, 0, 1});
    oriented.set_spacing({{2.5, 0.5, 0.25}, "mm", true});
    Volume channels = test::make_volume<float>({2, 3, 12, 3}, [](auto z, auto y, auto x, auto c) {
        return z + y * 0.5 + x * 0.25 + c * 100;
    });
    for (const std::string name : {"a.nrrd", "b.nhdr"}) {
        for (const std::string compression : {"none", "gzip"}) {
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
    EXPECT_TRUE(std::filesystem::exists(path("b.raw.gz")));
    VOX_EXPECT_THROW_MSG(
        write_volume(volume, path("c.nrrd"), {"lzw"}), ValueError,
        "cannot write '" + path("c.nrrd") + "': NRRD compression must be none or gzip (got 'lzw')");
}

}  // namespace
}  // namespace vox::io
