// NumPy .npy reader and writer: synthetic files built in code.
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

// An .npy file as numpy lays it out: magic, version, header length, dict, data.
std::vector<std::byte> npy_file(const std::string& dict, const std::vector<std::byte>& data,
                                int major = 1) {
    std::string header = dict;
    const std::size_t prefix = major == 1 ? 10 : 12;
    while ((prefix + header.size() + 1) % 64 != 0)
        header += ' ';
    header += '\n';
    std::string bytes = "\x93NUMPY";
    bytes += char(major);
    bytes += '\0';
    const std::size_t length = header.size();
    bytes += char(length & 0xff);
    bytes += char((length >> 8) & 0xff);
    if (major != 1) bytes += std::string(2, '\0');
    bytes += header;
    std::vector<std::byte> file(bytes.size());
    std::memcpy(file.data(), bytes.data(), bytes.size());
    file.insert(file.end(), data.begin(), data.end());
    return file;
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

std::vector<double> iota(std::size_t count) {
    std::vector<double> values(count);
    for (std::size_t i = 0; i < count; ++i)
        values[i] = double(i);
    return values;
}

template <typename T>
std::vector<T> iota_as(std::size_t count) {
    std::vector<T> values(count);
    for (std::size_t i = 0; i < count; ++i)
        values[i] = T(i);
    return values;
}

Volume read(const std::vector<std::byte>& bytes, const std::string& name = "t.npy") {
    return npy_format().read(Source::from_memory(name, bytes), {});
}

std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
    return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
           ", 'shape': " + shape + ", }";
}

TEST(NpyTest, SniffsTheMagic) {
    const auto file = npy_file(dict("|u1", "(1,)"), {std::byte{7}});
    EXPECT_TRUE(npy_format().sniff(file));
    EXPECT_FALSE(npy_format().sniff(std::span(file).first(5)));
    EXPECT_FALSE(npy_format().sniff({}));
}

TEST(NpyTest, ReadsCOrder3D) {
    const Volume volume =
        read(npy_file(dict("<u2", "(2, 3, 4)"), bytes_of(iota_as<std::uint16_t>(24))));
    EXPECT_EQ(volume.shape(), (Shape{2, 3, 4, 1}));
    EXPECT_EQ(volume.pixel_type(), PixelType::u16);
    EXPECT_EQ(values_of(volume), iota(24));
    EXPECT_FALSE(volume.spacing().known);
    EXPECT_EQ(volume.metadata().at("format"), "NumPy");
    EXPECT_EQ(volume.metadata().at("npy.shape"), "(2, 3, 4)");
}

TEST(NpyTest, Reads1DAnd2D) {
    const Volume line = read(npy_file(dict("<f4", "(5,)"), bytes_of(iota_as<float>(5))));
    EXPECT_EQ(line.shape(), (Shape{1, 1, 5, 1}));
    EXPECT_EQ(values_of(line), iota(5));
    const Volume plane = read(npy_file(dict("<i4", "(3, 2)"), bytes_of(iota_as<std::int32_t>(6))));
    EXPECT_EQ(plane.shape(), (Shape{1, 3, 2, 1}));
    EXPECT_EQ(plane.value_at(0, 2, 1), 5);
}

TEST(NpyTest, Reads4DLastAxisAsChannels) {
    // (z, y, x, c) = (2, 2, 3, 2): value = ((z * 2 + y) * 3 + x) * 2 + c
    const Volume volume =
        read(npy_file(dict("<u2", "(2, 2, 3, 2)"), bytes_of(iota_as<std::uint16_t>(24))));
    EXPECT_EQ(volume.shape(), (Shape{2, 2, 3, 2}));
    for (int z = 0; z < 2; ++z)
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 3; ++x)
                for (int c = 0; c < 2; ++c)
                    EXPECT_EQ(volume.value_at(z, y, x, c), ((z * 2 + y) * 3 + x) * 2 + c);
}

TEST(NpyTest, ReadsFortranOrder) {
    // Fortran order: the first axis is fastest, so element (z, y, x) is at z + 2 * (y + 3 * x).
    const Volume volume =
        read(npy_file(dict("<i2", "(2, 3, 4)", true), bytes_of(iota_as<std::int16_t>(24))));
    EXPECT_EQ(volume.shape(), (Shape{2, 3, 4, 1}));
    for (int z = 0; z < 2; ++z)
        for (int y = 0; y < 3; ++y)
            for (int x = 0; x < 4; ++x)
                EXPECT_EQ(volume.value_at(z, y, x), z + 2 * (y + 3 * x));
    const Volume channels =
        read(npy_file(dict("<u1", "(2, 1, 2, 3)", true), bytes_of(iota_as<std::uint8_t>(12))));
    for (int z = 0; z < 2; ++z)
        for (int x = 0; x < 2; ++x)
            for (int c = 0; c < 3; ++c)
                EXPECT_EQ(channels.value_at(z, 0, x, c), z + 2 * (x + 2 * c));
}

TEST(NpyTest, ReadsBigEndianAndEveryType) {
    const Volume u16 = read(npy_file(dict(">u2", "(1, 1, 3)"),
                                     bytes_of(std::vector<std::uint16_t>{1, 258, 65535}, true)));
    EXPECT_EQ(values_of(u16), (std::vector<double>{1, 258, 65535}));
    const Volume f64 =
        read(npy_file(dict(">f8", "(2,)"), bytes_of(std::vector<double>{-1.5, 1e300}, true)));
    EXPECT_EQ(values_of(f64), (std::vector<double>{-1.5, 1e300}));
    const Volume i32 =
        read(npy_file(dict(">i4", "(1,)"), bytes_of(std::vector<std::int32_t>{-7}, true)));
    EXPECT_EQ(values_of(i32), (std::vector<double>{-7}));
    const std::pair<std::string, PixelType> types[] = {
        {"|u1", PixelType::u8},  {"|i1", PixelType::i8},  {"<u2", PixelType::u16},
        {"<i2", PixelType::i16}, {"<u4", PixelType::u32}, {">i4", PixelType::i32},
        {">f4", PixelType::f32}, {"<f8", PixelType::f64}, {"|b1", PixelType::u8}};
    for (const auto& [descr, type] : types) {
        const std::size_t size = pixel_size(type);
        const Volume volume = read(npy_file(dict(descr, "(2,)"), std::vector<std::byte>(2 * size)));
        EXPECT_EQ(volume.pixel_type(), type) << descr;
    }
}

TEST(NpyTest, ReadsBoolAsU8) {
    const Volume volume =
        read(npy_file(dict("|b1", "(3,)"), bytes_of(std::vector<std::uint8_t>{1, 0, 1})));
    EXPECT_EQ(values_of(volume), (std::vector<double>{1, 0, 1}));
    EXPECT_EQ(volume.metadata().at("npy.bool"), "stored as u8 (0 and 1)");
}

TEST(NpyTest, ReadsVersions2And3) {
    for (int major : {2, 3}) {
        const Volume volume =
            read(npy_file(dict("<u2", "(3,)"), bytes_of(iota_as<std::uint16_t>(3)), major));
        EXPECT_EQ(values_of(volume), iota(3));
        EXPECT_EQ(volume.metadata().at("npy.version"), std::to_string(major) + ".0");
    }
}

TEST(NpyTest, AcceptsKeysInAnyOrderAndOldSpellings) {
    const Volume volume =
        read(npy_file("{\"shape\": (2L, 1L), \"fortran_order\": False, \"descr\": \"<u2\"}",
                      bytes_of(iota_as<std::uint16_t>(2))));
    EXPECT_EQ(volume.shape(), (Shape{1, 2, 1, 1}));
}

TEST(NpyTest, RejectsBadHeadersWithExactMessages) {
    const auto data = std::vector<std::byte>(64);
    VOX_EXPECT_THROW_MSG(read({std::byte{'x'}}), FormatError,
                         "'t.npy': not a NumPy file (no \\x93NUMPY magic)");
    auto file = npy_file(dict("<u2", "(2,)"), data);
    file[6] = std::byte{4};
    VOX_EXPECT_THROW_MSG(read(file), FormatError, "'t.npy': unsupported .npy format version 4.0");
    VOX_EXPECT_THROW_MSG(
        read(npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", data)),
        FormatError,
        "'t.npy': unsupported dtype '<i8' (supported: bool, uint8, int8, uint16, "
        "int16, uint32, int32, float32, float64)");
    VOX_EXPECT_THROW_MSG(read(npy_file(dict("|u2", "(2,)"), data)), FormatError,
                         "'t.npy': unsupported dtype '|u2' (supported: bool, uint8, int8, uint16, "
                         "int16, uint32, int32, float32, float64)");
    VOX_EXPECT_THROW_MSG(
        read(npy_file("{'descr': [('a', '<u2')], 'fortran_order': False, 'shape': (2,), }", data)),
        FormatError, "'t.npy': structured dtypes are not supported (only plain numbers)");
    VOX_EXPECT_THROW_MSG(read(npy_file("{'descr': '<u2', 'shape': (2,), }", data)), FormatError,
                         "'t.npy': header has no 'fortran_order'");
    VOX_EXPECT_THROW_MSG(
        read(npy_file("{'descr': '<u2', 'descr': '<u2', 'fortran_order': False, 'shape': (2,)}",
                      data)),
        FormatError, "'t.npy': duplicate header key 'descr'");
    VOX_EXPECT_THROW_MSG(
        read(npy_file("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), 'x': 1}", data)),
        FormatError, "'t.npy': unknown header key 'x'");
    VOX_EXPECT_THROW_MSG(
        read(npy_file("{'descr': '<u2', 'fortran_order': false, 'shape': (2,)}", data)),
        FormatError, "'t.npy': malformed header at byte 34: expected True or False");
    VOX_EXPECT_THROW_MSG(read(npy_file(dict("<u2", "(2)"), data)), FormatError,
                         "'t.npy': malformed header at byte 52: expected a tuple: '(n,)'");
    VOX_EXPECT_THROW_MSG(read(npy_file(dict("<u2", "(-2,)"), data)), FormatError,
                         "'t.npy': malformed header at byte 51: expected a non-negative integer");
    VOX_EXPECT_THROW_MSG(read(npy_file(dict("<u2", "(2,)") + " x", data)), FormatError,
                         "'t.npy': unexpected text after the header dict");
    VOX_EXPECT_THROW_MSG(read(npy_file(dict("<u2", "(1, 1, 1, 1, 2)"), data)), FormatError,
                         "'t.npy': a 5-dimensional array is not supported (shapes: (x,), (y, x), "
                         "(z, y, x), (z, y, x, c))");
    VOX_EXPECT_THROW_MSG(read(npy_file(dict("<u2", "()"), data)), FormatError,
                         "'t.npy': a 0-dimensional array is not supported (shapes: (x,), (y, x), "
                         "(z, y, x), (z, y, x, c))");
    VOX_EXPECT_THROW_MSG(read(npy_file(dict("<u2", "(0, 5)"), data)), FormatError,
                         "'t.npy': empty array of shape (0, 5)");
    VOX_EXPECT_THROW_MSG(
        read(npy_file(dict("<u2", "(10, 20, 30)"), data)), FormatError,
        "'t.npy': header claims 10x20x30 u16 (11.7 KiB) at offset 128 but the file "
        "has 192 B");
}

TEST(NpyTest, RejectsHugeHeadersAndShapesBeforeAllocating) {
    std::string bytes = "\x93NUMPY\x02";
    bytes += '\0';
    bytes += std::string("\x00\x00\x20\x00", 4);  // 2 MiB header
    std::vector<std::byte> file(bytes.size());
    std::memcpy(file.data(), bytes.data(), bytes.size());
    VOX_EXPECT_THROW_MSG(read(file), FormatError,
                         "'t.npy': header of 2097152 bytes is over the limit of 1.0 MiB");
    VOX_EXPECT_THROW_MSG(
        read(npy_file(dict("<f8", "(10000000, 10000000, 10000000)"), {})), LimitError,
        "'t.npy': header claims 10000000x10000000x10000000x1 f64, whose size overflows");
    VOX_EXPECT_THROW_MSG(read(npy_file(dict("<u2", "(100000, 100000, 100000)"), {})), LimitError,
                         "'t.npy': a 100000x100000x100000x1 u16 volume needs 1.8 PiB, over the "
                         "memory limit of " +
                             format_bytes(memory_limit()));
}

TEST(NpyTest, TruncatedPrefixesFailCleanly) {
    const auto file = npy_file(dict("<u2", "(2, 3, 4)"), bytes_of(iota_as<std::uint16_t>(24)));
    test::expect_truncations_fail_cleanly(
        file, "t.npy", [](const Source& source) { npy_format().read(source, {}); });
}

TEST(NpyTest, GzipFilesAreDecompressedOnlyAsFarAsTheArray) {
    // The array, then 4 MiB the header does not describe: a whole file over the memory limit.
    std::vector<std::byte> file =
        npy_file(dict("<u2", "(2, 3, 4)"), bytes_of(iota_as<std::uint16_t>(24)));
    const std::size_t used = file.size();
    file.resize(used + (std::size_t(4) << 20), std::byte{7});
    const std::string name = ::testing::TempDir() + "npy_test_long.npy.gz";
    {
        const std::vector<std::byte> compressed = gzip(file);
        std::ofstream(name, std::ios::binary)
            .write(reinterpret_cast<const char*>(compressed.data()),
                   std::streamsize(compressed.size()));
    }
    const Source head = Source::from_memory("t.npy", file);
    EXPECT_EQ(npy_format().bytes_needed(head, {}), std::int64_t(used));
    const test::ScopedMemoryLimit limit(std::int64_t(1) << 20);
    EXPECT_EQ(values_of(open_volume(name)), iota(24));
    std::filesystem::remove(name);
    // A header longer than the bytes seen cannot be judged; a broken one can.
    EXPECT_EQ(npy_format().bytes_needed(
                  Source::from_memory("t.npy", {file.begin(), file.begin() + 40}), {}),
              -1);
    EXPECT_EQ(npy_format().bytes_needed(
                  Source::from_memory("t.npy", {file.begin() + 1, file.begin() + 100}), {}),
              99);
}

class NpyWriteTest : public ::testing::Test {
protected:
    std::string path(const std::string& name) const {
        return (std::filesystem::path(::testing::TempDir()) / ("npy_test_" + name)).string();
    }
};

TEST_F(NpyWriteTest, RoundTripsEveryTypeAndChannels) {
    for (PixelType type : kAllPixelTypes) {
        const Volume volume = visit(type, [&](auto tag) {
            using T = typename decltype(tag)::type;
            return test::make_volume<T>({3, 4, 5, 2}, [](auto z, auto y, auto x, auto c) {
                return (z * 20 + y * 5 + x) % 100 + c * 7;
            });
        });
        const std::string file = path(std::string(pixel_type_name(type)) + ".npy");
        write_volume(volume, file);
        const Volume back = open_volume(file);
        EXPECT_EQ(back.pixel_type(), type);
        EXPECT_EQ(back.shape(), volume.shape());
        EXPECT_EQ(values_of(back), values_of(volume));
        EXPECT_EQ(back.metadata().at("npy.shape"), "(3, 4, 5, 2)");
        std::filesystem::remove(file);
    }
}

TEST_F(NpyWriteTest, WritesNumpysExactHeader) {
    const Volume volume =
        test::make_volume<std::uint16_t>({60, 256, 256, 1}, [](auto...) { return 0; });
    const std::string file = path("header.npy");
    write_volume(volume, file);
    std::ifstream stream(file, std::ios::binary);
    std::string head(128, '\0');
    stream.read(head.data(), 128);
    // np.save(np.zeros((60, 256, 256), np.uint16)) writes exactly this 128-byte prefix.
    const std::string expected =
        std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
        "{'descr': '<u2', 'fortran_order': False, 'shape': (60, 256, 256), }" +
        std::string(50, ' ') + "\n";
    EXPECT_EQ(head, expected);
    EXPECT_EQ(std::filesystem::file_size(file), 128u + 60u * 256u * 256u * 2u);
    std::filesystem::remove(file);
}

TEST_F(NpyWriteTest, RejectsCompression) {
    const Volume volume = test::make_line<std::uint8_t>({1, 2});
    VOX_EXPECT_THROW_MSG(
        write_volume(volume, path("c.npy"), {"gzip"}), ValueError,
        "cannot write '" + path("c.npy") + "': .npy has no compression (got 'gzip')");
}

}  // namespace
}  // namespace vox::io
