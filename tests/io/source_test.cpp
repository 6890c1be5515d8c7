#include "source.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "format.h"
#include "test_util.h"
#include "vox/io.h"
#include "vox/parallel.h"

namespace vox::io {
namespace {

// A fresh folder per test, removed at the end.
class SourceTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_folder = std::filesystem::temp_directory_path() /
                   ("vox_source_test_" + std::to_string(::getpid()) + "_" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(m_folder);
    }
    void TearDown() override { std::filesystem::remove_all(m_folder); }
    std::string path(const std::string& name) const { return (m_folder / name).string(); }
    void write(const std::string& name, std::string_view text) const {
        std::ofstream(path(name), std::ios::binary) << text;
    }
    std::filesystem::path m_folder;
};

TEST_F(SourceTest, ReadsFilesAndRefusesToReadPastTheEnd) {
    write("a.bin", "0123456789");
    const Source source = Source::open(path("a.bin"));
    EXPECT_EQ(source.size(), 10);
    EXPECT_EQ(source.file_path(), path("a.bin"));
    char buffer[4] = {};
    source.read(3, buffer, 4);
    EXPECT_EQ(std::string(buffer, 4), "3456");
    EXPECT_EQ(source.head(100).size(), 10u);
    VOX_EXPECT_THROW_MSG(
        source.read(8, buffer, 4), FormatError,
        "'" + path("a.bin") + "': truncated: needs 4 bytes at offset 8, the file has 10");
    VOX_EXPECT_THROW_MSG(Source::open(path("missing.bin")), IoError,
                         "cannot open '" + path("missing.bin") + "': No such file or directory");
    VOX_EXPECT_THROW_MSG(Source::open(m_folder.string()), IoError,
                         "cannot read '" + m_folder.string() + "': it is a folder");
}

TEST_F(SourceTest, SiblingsAreFoundNextToTheFile) {
    write("scan.hdr", "header");
    write("scan.img", "voxels");
    const Source header = Source::open(path("scan.hdr"));
    EXPECT_TRUE(header.has_sibling("scan.img"));
    EXPECT_FALSE(header.has_sibling("scan.nii"));
    EXPECT_EQ(header.sibling("scan.img").size(), 6);
}

TEST_F(SourceTest, InMemoryBytesHaveNoSiblings) {
    write("scan.img", "voxels");  // present on disk, but must not be reachable
    std::filesystem::current_path(m_folder);
    const Source header = Source::from_memory("scan.hdr", std::vector<std::byte>(8));
    EXPECT_FALSE(header.has_sibling("scan.img"));
    VOX_EXPECT_THROW_MSG(header.sibling("scan.img"), IoError,
                         "cannot open 'scan.img' next to 'scan.hdr': it is not a file on disk");
    // Bytes derived from a file keep its folder.
    const Source image = Source::open(path("scan.img"));
    const Source on_disk = Source::from_memory("copy.hdr", {}, &image);
    EXPECT_TRUE(on_disk.has_sibling("scan.img"));
}

TEST_F(SourceTest, GzipRoundTripAndCorruption) {
    std::vector<std::byte> data(100000);
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = std::byte(i * 7 % 251);
    const std::vector<std::byte> compressed = gzip(data);
    EXPECT_TRUE(is_gzip(compressed));
    EXPECT_FALSE(is_gzip(data));
    const Source decompressed = gunzip(Source::from_memory("x.gz", compressed));
    EXPECT_EQ(decompressed.name(), "x.gz");
    ASSERT_EQ(decompressed.size(), std::int64_t(data.size()));
    EXPECT_EQ(std::memcmp(decompressed.memory().data(), data.data(), data.size()), 0);

    // Two members concatenated decompress to both contents, as gzip does.
    std::vector<std::byte> two = compressed;
    two.insert(two.end(), compressed.begin(), compressed.end());
    EXPECT_EQ(gunzip(Source::from_memory("two.gz", two)).size(), std::int64_t(2 * data.size()));

    std::vector<std::byte> bad_method = compressed;
    bad_method[2] = std::byte{9};  // only 8 (deflate) exists
    VOX_EXPECT_THROW_MSG(gunzip(Source::from_memory("bad.gz", bad_method)), FormatError,
                         "'bad.gz': corrupt gzip data");
    // A flipped byte in the middle makes the decoder read the trailer as data.
    std::vector<std::byte> corrupt = compressed;
    corrupt[corrupt.size() / 2] ^= std::byte{0xFF};
    EXPECT_THROW(gunzip(Source::from_memory("bad.gz", corrupt)), FormatError);
}

// Pseudo-random bytes: compressed, they are as large as they are, so that a few MB of them
// span several of the blocks gunzip reads from a file.
std::vector<std::byte> noise(std::size_t bytes, std::uint32_t seed) {
    std::vector<std::byte> data(bytes);
    for (std::byte& value : data) {
        seed = seed * 1664525u + 1013904223u;
        value = std::byte(seed >> 24);
    }
    return data;
}

// The member gzip() writes, without the extra field that records its size: as other tools
// write it, so that gunzip() has to find its end by inflating it.
std::vector<std::byte> without_size(const std::vector<std::byte>& member) {
    std::vector<std::byte> plain(member.size() - 14);
    std::copy_n(member.begin(), 10, plain.begin());
    plain[3] = std::byte{0};  // no FEXTRA
    std::copy(member.begin() + 24, member.end(), plain.begin() + 10);
    return plain;
}

class GunzipTest : public SourceTest, public ::testing::WithParamInterface<bool> {
protected:
    // gzip(data) as voxscope writes it (sized: inflated in parallel) or as other tools do.
    std::vector<std::byte> compress(const std::vector<std::byte>& data) const {
        return GetParam() ? gzip(data) : without_size(gzip(data));
    }
};

INSTANTIATE_TEST_SUITE_P(SizedOrNot, GunzipTest, ::testing::Bool());

TEST_P(GunzipTest, StopsWhereTheReaderStopsAndChecksWholeStreams) {
    const std::vector<std::byte> data = noise(100000, 1);
    const std::vector<std::byte> compressed = compress(data);
    const Source source = Source::from_memory("x.gz", compressed);
    EXPECT_EQ(std::memcmp(gunzip(source).memory().data(), data.data(), data.size()), 0);
    if (GetParam()) {
        // A recorded size that does not chain to the end is not trusted: the stream is read.
        std::vector<std::byte> wrong_size = compressed;
        wrong_size[16] ^= std::byte{1};
        const Source read = gunzip(Source::from_memory("size.gz", wrong_size));
        ASSERT_EQ(read.size(), 100000);
        EXPECT_EQ(std::memcmp(read.memory().data(), data.data(), data.size()), 0);
        // A wrong ISIZE fails the member; the stream then names the problem.
        std::vector<std::byte> wrong_isize = compressed;
        wrong_isize[wrong_isize.size() - 4] ^= std::byte{1};
        VOX_EXPECT_THROW_MSG(gunzip(Source::from_memory("isize.gz", wrong_isize)), FormatError,
                             "'isize.gz': corrupt gzip data: checksum mismatch");
    }

    const Source start = gunzip(source, 1000);
    EXPECT_EQ(start.size(), 1000);
    EXPECT_TRUE(start.is_prefix());
    EXPECT_EQ(std::memcmp(start.memory().data(), data.data(), 1000), 0);
    // Asked for exactly the stream's size, it follows the stream to its end.
    EXPECT_FALSE(gunzip(source, 100000).is_prefix());
    EXPECT_FALSE(gunzip(source).is_prefix());
    // Asked for more, it holds what the stream has: the reader reports it as too short.
    const Source more = gunzip(source, 200000);
    EXPECT_EQ(more.size(), 100000);
    EXPECT_FALSE(more.is_prefix());

    // A wrong checksum: found when the whole stream is read, not when a read stops early.
    std::vector<std::byte> wrong_crc = compressed;
    wrong_crc[wrong_crc.size() - 8] ^= std::byte{1};
    const Source crc_source = Source::from_memory("crc.gz", wrong_crc);
    for (const std::int64_t max_bytes : {std::int64_t(-1), std::int64_t(100000)}) {
        VOX_EXPECT_THROW_MSG(gunzip(crc_source, max_bytes), FormatError,
                             "'crc.gz': corrupt gzip data: checksum mismatch");
    }
    EXPECT_EQ(gunzip(crc_source, 1000).size(), 1000);

    // A stream cut short, as by an interrupted download.
    const std::vector<std::byte> cut(compressed.begin(), compressed.end() - 4);
    const Source cut_source = Source::from_memory("cut.gz", cut);
    VOX_EXPECT_THROW_MSG(gunzip(cut_source), FormatError,
                         "'cut.gz': truncated or corrupt gzip data: the stream stops after "
                         "100000 decompressed bytes");
    EXPECT_THROW(gunzip(cut_source, 100000), FormatError);
    EXPECT_EQ(gunzip(cut_source, 99000).size(), 99000);
    // Recognising what a file holds takes what decompresses before the cut.
    EXPECT_EQ(gunzip_head(cut_source, 1000).size(), 1000u);
    EXPECT_EQ(gunzip_head(cut_source, 200000).size(), 100000u);
    const std::vector<std::byte> half(compressed.begin(),
                                      compressed.begin() + std::ptrdiff_t(compressed.size() / 2));
    const std::vector<std::byte> start_of_half =
        gunzip_head(Source::from_memory("half.gz", half), 200000);
    EXPECT_GT(start_of_half.size(), 10000u);
    EXPECT_LT(start_of_half.size(), 100000u);
    EXPECT_EQ(std::memcmp(start_of_half.data(), data.data(), start_of_half.size()), 0);
}

TEST_P(GunzipTest, NeverHoldsMoreThanTheMemoryLimit) {
    const std::vector<std::byte> data(100000);  // zeros: 100 kB from 130 bytes
    const Source source = Source::from_memory("zeros.gz", compress(data));
    const test::ScopedMemoryLimit limit(50000);
    VOX_EXPECT_THROW_MSG(gunzip(source), LimitError,
                         "'zeros.gz': decompressing needs more than the memory limit of 48.8 KiB");
    VOX_EXPECT_THROW_MSG(gunzip(source, 60000), LimitError,
                         "'zeros.gz': the header describes 58.6 KiB of decompressed data, over "
                         "the memory limit of 48.8 KiB");
    EXPECT_EQ(gunzip(source, 50000).size(), 50000);
}

TEST_P(GunzipTest, ReadsMembersFromFilesAsFromMemory) {
    // Two members, the first ending inside one of the blocks a file is streamed in (64 KiB,
    // then 1 MiB each): read from disk, as from memory. Zero padding after the last
    // member is allowed (it also makes sized members go through the stream).
    const std::vector<std::byte> first = noise(1500000, 2), second = noise(700000, 3);
    std::vector<std::byte> file = compress(first);
    const std::vector<std::byte> tail = compress(second);
    file.insert(file.end(), tail.begin(), tail.end());
    if (!GetParam()) file.resize(file.size() + 100);
    {
        std::ofstream out(path("two.gz"), std::ios::binary);
        out.write(reinterpret_cast<const char*>(file.data()), std::streamsize(file.size()));
    }
    for (const Source& source :
         {Source::open(path("two.gz")), Source::from_memory("two.gz", file)}) {
        const Source whole = gunzip(source);
        ASSERT_EQ(whole.size(), std::int64_t(first.size() + second.size()));
        EXPECT_EQ(std::memcmp(whole.memory().data(), first.data(), first.size()), 0);
        EXPECT_EQ(std::memcmp(whole.memory().data() + first.size(), second.data(), second.size()),
                  0);
        EXPECT_FALSE(whole.is_prefix());
        // Stopping inside the second member.
        const Source part = gunzip(source, 2000000);
        EXPECT_TRUE(part.is_prefix());
        EXPECT_EQ(
            std::memcmp(part.memory().data() + first.size(), second.data(), 2000000 - first.size()),
            0);
    }
}

TEST_F(SourceTest, ZipMembersAndTheirSiblings) {
    int error = 0;
    zip_t* archive = zip_open(path("mri.zip").c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    ASSERT_NE(archive, nullptr);
    static const char kHeader[] = "HEADER", kImage[] = "IMAGE!";
    zip_file_add(archive, "data/brain.hdr", zip_source_buffer(archive, kHeader, 6, 0), 0);
    zip_file_add(archive, "data/brain.img", zip_source_buffer(archive, kImage, 6, 0), 0);
    ASSERT_EQ(zip_close(archive), 0);

    const Source header = Source::open(path("mri.zip") + "::data/brain.hdr");
    EXPECT_EQ(header.name(), path("mri.zip") + "::data/brain.hdr");
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(header.memory().data()), 6), "HEADER");
    EXPECT_TRUE(header.has_sibling("brain.img"));
    const Source image = header.sibling("brain.img");
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(image.memory().data()), 6), "IMAGE!");
    const std::string holds = "it holds 'data/brain.hdr', 'data/brain.img')";
    VOX_EXPECT_THROW_MSG(
        Source::open(path("mri.zip") + "::nope.nii"), IoError,
        "cannot open '" + path("mri.zip") + "::nope.nii': no such file in the archive (" + holds);
    // The member meant: another case, another folder, or a near misspelling.
    for (const std::string wrong : {"DATA/Brain.hdr", "brain.hdr", "data/brian.hdr"}) {
        VOX_EXPECT_THROW_MSG(Source::open(path("mri.zip") + "::" + wrong), IoError,
                             "cannot open '" + path("mri.zip") + "::" + wrong +
                                 "': no such file in the archive (did you mean "
                                 "'data/brain.hdr'? " +
                                 holds);
    }
    EXPECT_THROW(Source::open(path("nothing.zip") + "::a.nii"), IoError);
    // Found by fuzz_zip: libzip finds a nameless entry, whose source then looked like a plain
    // file without one.
    VOX_EXPECT_THROW_MSG(
        Source::open(path("mri.zip") + "::"), IoError,
        "cannot open '" + path("mri.zip") + "::': name a file inside the archive after '::'");
}

TEST_F(SourceTest, EmptyAndBrokenArchivesAreNamedAsSuch) {
    // An archive with no files is only its end-of-directory record, as Python's zipfile and
    // `zip` write it.
    write("empty.zip", "PK\x05\x06" + std::string(18, '\0'));
    VOX_EXPECT_THROW_MSG(open_volume(path("empty.zip")), FormatError,
                         "'" + path("empty.zip") + "' is a zip archive with no files in it");
    // A local header without the directory at the end: libzip's reason is given.
    write("cut.zip", std::string_view("PK\x03\x04\x14\0\0\0\0\0", 10));
    VOX_EXPECT_THROW_MSG(open_volume(path("cut.zip")), IoError,
                         "cannot open zip archive '" + path("cut.zip") + "': Not a zip archive");
    VOX_EXPECT_THROW_MSG(zip_members(path("cut.zip")), IoError,
                         "cannot open zip archive '" + path("cut.zip") + "': Not a zip archive");
}

TEST_F(SourceTest, ZipMembersAreInflatedOnUseAndCheckedToTheirEnd) {
    std::vector<std::byte> data(std::size_t(3) << 20);
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = std::byte((i * 2654435761u) >> 24);
    const std::string archive = path("data.zip");
    int error = 0;
    zip_t* zip = zip_open(archive.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    ASSERT_NE(zip, nullptr);
    ASSERT_GE(zip_file_add(zip, "big.bin", zip_source_buffer(zip, data.data(), data.size(), 0), 0),
              0);
    const zip_int64_t stored =
        zip_file_add(zip, "stored.bin", zip_source_buffer(zip, data.data(), 4096, 0), 0);
    ASSERT_GE(stored, 0);
    ASSERT_EQ(zip_set_file_compression(zip, zip_uint64_t(stored), ZIP_CM_STORE, 0), 0);
    ASSERT_EQ(zip_close(zip), 0);

    // Opening and recognising a member inflate nothing past what they look at.
    const Source big = Source::open(archive + "::big.bin");
    {
        const test::ScopedMemoryLimit limit(std::int64_t(1) << 20);
        EXPECT_EQ(big.size(), std::int64_t(data.size()));
        const std::vector<std::byte> head = big.head(100);
        EXPECT_TRUE(std::equal(head.begin(), head.end(), data.begin()));
        const Source start = big.prefix(5000);
        EXPECT_TRUE(start.is_prefix());
        EXPECT_EQ(start.size(), 5000);
        EXPECT_EQ(std::memcmp(start.memory().data(), data.data(), 5000), 0);
        EXPECT_FALSE(big.prefix(big.size()).is_prefix());
        VOX_EXPECT_THROW_MSG(big.memory(), LimitError,
                             "'" + archive +
                                 "::big.bin': the archive member needs 3.0 MiB, over the memory "
                                 "limit of 1.0 MiB");
    }
    EXPECT_EQ(std::memcmp(big.memory().data(), data.data(), data.size()), 0);

    // A stored member with a changed byte: its CRC is checked where it is read to its end.
    std::ifstream in(archive, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    const auto stored_data =
        std::search(bytes.begin(), bytes.end(), data.begin(), data.begin() + 32,
                    [](char a, std::byte b) { return std::byte(a) == b; });
    ASSERT_NE(stored_data, bytes.end());
    stored_data[100] = char(~stored_data[100]);
    std::ofstream(path("bad.zip"), std::ios::binary)
        .write(bytes.data(), std::streamsize(bytes.size()));
    const Source bad = Source::open(path("bad.zip") + "::stored.bin");
    EXPECT_EQ(bad.prefix(100).memory().size(), 100u);  // a prefix is not checked, as gzip's
    VOX_EXPECT_THROW_MSG(
        bad.memory(), FormatError,
        "'" + path("bad.zip") + "::stored.bin': corrupt archive member: CRC error");
}

TEST_F(SourceTest, AtomicFileAppearsOnlyOnCommit) {
    {
        AtomicFile file(path("out.bin"));
        file.write(std::string_view("partial"));
        EXPECT_TRUE(std::filesystem::exists(file.temporary_path()));
        EXPECT_FALSE(std::filesystem::exists(path("out.bin")));
    }  // destroyed without commit: as if an exception had been thrown
    EXPECT_TRUE(std::filesystem::is_empty(m_folder));
    AtomicFile file(path("out.bin"));
    file.write(std::string_view("complete"));
    EXPECT_EQ(file.position(), 8);
    file.commit();
    EXPECT_EQ(std::filesystem::file_size(path("out.bin")), 8u);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(m_folder), {}), 1);
}

TEST_F(SourceTest, CompressionLevelsAreCheckedPerCodec) {
    const Volume volume = Volume::allocate({2, 3, 4, 1}, PixelType::u16);
    const auto write_with = [&](const std::string& name, const std::string& compression,
                                int level) {
        write_volume(volume, path(name), {.compression = compression, .level = level});
    };
    VOX_EXPECT_THROW_MSG(write_with("a.tif", "zstd", 23), ValueError,
                         "cannot write '" + path("a.tif") + "': zstd levels are 1 to 22, got 23");
    VOX_EXPECT_THROW_MSG(write_with("a.tif", "deflate", 0), ValueError,
                         "cannot write '" + path("a.tif") + "': deflate levels are 1 to 12, got 0");
    VOX_EXPECT_THROW_MSG(write_with("a.tif", "lzw", 3), ValueError,
                         "cannot write '" + path("a.tif") + "': lzw has no levels, got level 3");
    for (const char* name : {"a.tif", "a.npy", "a.nii", "a.nrrd", "a.mha"}) {
        VOX_EXPECT_THROW_MSG(write_with(name, "", 5), ValueError,
                             "cannot write '" + path(name) +
                                 "': compression level 5 given, but the data are not compressed");
    }
    VOX_EXPECT_THROW_MSG(
        write_with("a.nii.gz", "", 13), ValueError,
        "cannot write '" + path("a.nii.gz") + "': gzip levels are 0 to 12, got 13");
    VOX_EXPECT_THROW_MSG(
        write_with("a.mhd", "deflate", -2), ValueError,
        "cannot write '" + path("a.mhd") + "': deflate levels are 0 to 12, got -2");
    EXPECT_TRUE(std::filesystem::is_empty(m_folder));
    // The ends of each range write.
    write_with("a.tif", "zstd", 22);
    write_with("b.tif", "deflate", 1);
    write_with("a.nii.gz", "", 0);
    write_with("a.nrrd", "gzip", 12);
    write_with("a.mha", "deflate", 0);
    EXPECT_EQ(open_volume(path("a.nrrd")).shape(), volume.shape());
}

TEST_F(SourceTest, InterruptedWritesNeverReplaceTheTarget) {
    write("out.bin", "old");
    {
        AtomicFile file(path("out.bin"));
        file.write(std::string_view("new"));
        request_interrupt();
        EXPECT_THROW(file.commit(), Interrupted);
        EXPECT_THROW(file.write(std::string_view("more")), Interrupted);
        clear_interrupt();
    }
    // The target keeps its bytes and the temporary file is gone.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(m_folder), {}), 1);
    EXPECT_EQ(std::filesystem::file_size(path("out.bin")), 3u);
    request_interrupt();
    EXPECT_THROW(write_volume(Volume::allocate({2, 3, 4, 1}, PixelType::u16), path("v.tif"),
                              {.compression = "zstd"}),
                 Interrupted);
    clear_interrupt();
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(m_folder), {}), 1);
}

TEST_F(SourceTest, HeaderChecksNameTheFileAndTheSizes) {
    const Source source = Source::from_memory("scan.nii", std::vector<std::byte>(1 << 20));
    VOX_EXPECT_THROW_MSG(check_data_fits(source, 352, {2000, 2000, 2000, 1}, PixelType::u16),
                         FormatError,
                         "'scan.nii': header claims 2000x2000x2000 u16 (14.9 GiB) at offset 352 "
                         "but the file has 1.0 MiB");
    EXPECT_NO_THROW(check_data_fits(source, 0, {1, 512, 1024, 1}, PixelType::u16));
    VOX_EXPECT_THROW_MSG(
        check_data_fits(source, 1, {1, 512, 1024, 1}, PixelType::u16), FormatError,
        "'scan.nii': header claims 1x512x1024 u16 (1.0 MiB) at offset 1 but the file has 1.0 MiB");
    VOX_EXPECT_THROW_MSG(
        check_memory(source, {INT64_MAX / 2, 4, 1, 1}, PixelType::u8), LimitError,
        "'scan.nii': header claims 4611686018427387903x4x1x1 u8, whose size overflows");
}

TEST_F(SourceTest, SwapBytes) {
    std::uint16_t values[] = {0x0102, 0xA0B0};
    swap_bytes(values, 2, 2);
    EXPECT_EQ(values[0], 0x0201);
    EXPECT_EQ(values[1], 0xB0A0);
}

TEST(NaturalOrderTest, NumbersCompareByValue) {
    EXPECT_TRUE(natural_less("z2.tif", "z10.tif"));
    EXPECT_FALSE(natural_less("z10.tif", "z2.tif"));
    EXPECT_TRUE(natural_less("a", "b"));
    EXPECT_TRUE(natural_less("slice_009", "slice_010"));
    EXPECT_TRUE(natural_less("img1a", "img1b"));
    EXPECT_TRUE(natural_less("z01", "z1") != natural_less("z1", "z01"));  // still a strict order
    EXPECT_TRUE(natural_less("z", "z1"));
}

TEST_F(SourceTest, RawFilesWithAnExplicitLayout) {
    const std::uint16_t big_endian[] = {0x0100, 0x0200, 0x0300,
                                        0x0400, 0x0500, 0x0600};  // 1..6 swapped
    std::ofstream(path("v.raw"), std::ios::binary)
        .write(reinterpret_cast<const char*>(big_endian), 12);
    ReadOptions options;
    options.raw = RawLayout{{1, 2, 3, 1}, PixelType::u16, std::array{2.0, 1.0, 1.0}, "mm", true, 0};
    const Volume volume = open_volume(path("v.raw"), options);
    EXPECT_EQ(volume.shape(), (Shape{1, 2, 3, 1}));
    EXPECT_EQ(test::values_of(volume), (std::vector<double>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(volume.spacing(), (Spacing{{2.0, 1.0, 1.0}, "mm", true}));
    options.raw->shape = {2, 2, 3, 1};
    VOX_EXPECT_THROW_MSG(
        open_volume(path("v.raw"), options), FormatError,
        "'" + path("v.raw") +
            "': the raw layout needs 2x2x3 u16 (24 B) at offset 0 but the file has 12 B");
    // A file that is a known format by name and by content is not read as raw bytes...
    write_volume(Volume::allocate({1, 2, 3, 1}, PixelType::u16), path("v.nii"));
    options.raw->shape = {1, 2, 3, 1};
    VOX_EXPECT_THROW_MSG(open_volume(path("v.nii"), options), ValueError,
                         "'" + path("v.nii") +
                             "' is a NIfTI file: the raw layout (--shape, --dtype) is for raw "
                             "binary only; leave it out");
    // ...but either alone may be chance: the same bytes named .raw read as raw.
    std::filesystem::copy_file(path("v.nii"), path("header.raw"));
    EXPECT_EQ(open_volume(path("header.raw"), options).shape(), (Shape{1, 2, 3, 1}));
}

// Files of formats voxscope does not read are named for what they are, with a way into
// one it reads: by name first (an Imaris file is HDF5 inside), then by content.
TEST_F(SourceTest, ForeignFormatsAreNamedWithAWayIn) {
    using namespace std::string_view_literals;
    const auto refused = [&](const std::string& name) {
        try {
            open_volume(path(name));
        } catch (const FormatError& error) {
            return std::string(error.what());
        }
        return std::string("no FormatError");
    };
    write("scan.png", "\x89PNG\r\n\x1a\n...."sv);
    EXPECT_EQ(refused("scan.png"),
              "cannot read '" + path("scan.png") +
                  "': it is a PNG image, which voxscope does not read; voxscope reads 2D slices "
                  "as TIFF (a folder or glob of them is one volume); convert the images first, "
                  "e.g. with ImageMagick: mogrify -format tif *.png");
    write("photo", "\xff\xd8\xff\xe0 JFIF"sv);  // no extension: by content
    EXPECT_NE(refused("photo").find("it is a JPEG image"), std::string::npos);
    write("Brain.MGZ", "\x1f\x8b rest"sv);
    EXPECT_NE(refused("Brain.MGZ").find("it is a FreeSurfer MGH file"), std::string::npos);
    write("T1.PAR", "# === DATA DESCRIPTION FILE ==="sv);
    EXPECT_EQ(refused("T1.PAR"),
              "cannot read '" + path("T1.PAR") +
                  "': it is a Philips PAR/REC file, which voxscope does not read; convert it to "
                  "NIfTI first, e.g. with nibabel: nibabel.save(nibabel.Nifti1Image.from_image("
                  "nibabel.load('" +
                  path("T1.PAR") + "')), 'out.nii.gz')");
    write("cells.ims", "\x89HDF\r\n\x1a\n...."sv);
    EXPECT_NE(refused("cells.ims").find("it is an Imaris file"), std::string::npos);
    EXPECT_NE(refused("cells.ims").find("bfconvert"), std::string::npos);
    write("stack.data", "\x89HDF\r\n\x1a\n...."sv);
    EXPECT_NE(refused("stack.data").find("it is an HDF5 file"), std::string::npos);
    write("fibres.trk", "TRACK\0\0\0"sv);
    EXPECT_NE(refused("fibres.trk").find("streamlines (tractography), not an image"),
              std::string::npos);
    write("notes.xyz", "just text");
    EXPECT_NE(refused("notes.xyz").find("unrecognised format"), std::string::npos);
    // Content first: a TIFF named .png is read.
    const Volume plane = test::make_volume<std::uint8_t>(
        {1, 2, 3, 1}, [](auto, auto y, auto x, auto) { return std::uint8_t(y * 3 + x); });
    write_volume(plane, path("plane.tif"));
    std::filesystem::copy_file(path("plane.tif"), path("plane.png"));
    EXPECT_EQ(open_volume(path("plane.png")).shape(), plane.shape());

    // A folder or glob of PNG slices.
    std::filesystem::create_directories(m_folder / "pngs");
    write("pngs/z10.png", "\x89PNG\r\n\x1a\n...."sv);
    write("pngs/z9.png", "\x89PNG\r\n\x1a\n...."sv);
    VOX_EXPECT_THROW_MSG(
        open_volume(path("pngs")), IoError,
        "cannot read '" + path("pngs") +
            "': no TIFF or DICOM slices in the folder (2 other files, such as 'z9.png'): voxscope "
            "reads 2D slices as TIFF (a folder or glob of them is one volume); convert the "
            "images first, e.g. with ImageMagick: mogrify -format tif *.png");
    VOX_EXPECT_THROW_MSG(open_volume(path("pngs/*.png")), FormatError,
                         "cannot read '" + path("pngs/*.png") +
                             "': its slices are PNG images such as '" + path("pngs/z9.png") +
                             "'; voxscope reads 2D slices as TIFF (a folder or glob of them is one "
                             "volume); convert the images first, e.g. with ImageMagick: mogrify "
                             "-format tif *.png");
}

TEST_F(SourceTest, FoldersOfSlicesSkipFilesThatCannotBeSlices) {
    std::filesystem::create_directories(m_folder / "slices");
    const Volume plane = test::make_volume<std::uint8_t>(
        {1, 2, 3, 1}, [](auto, auto y, auto x, auto) { return std::uint8_t(y * 3 + x); });
    write_volume(plane, path("slices/z1.tif"));
    write_volume(plane, path("slices/z2.tif"));
    write("slices/notes.txt", "acquired on a Tuesday");
    write("slices/figure.pdf", "%PDF-1.5");
    EXPECT_EQ(open_volume(path("slices")).shape(), (Shape{2, 2, 3, 1}));
    std::filesystem::create_directories(m_folder / "notes");
    write("notes/a.txt", "text");
    write("notes/.hidden", "text");
    VOX_EXPECT_THROW_MSG(open_volume(path("notes")), IoError,
                         "cannot read '" + path("notes") +
                             "': no TIFF or DICOM slices in the folder (1 other file, such as "
                             "'a.txt')");
}

TEST_F(SourceTest, ReadOptionsAReaderCannotHonourAreRefused) {
    const Volume volume = Volume::allocate({2, 2, 3, 1}, PixelType::u8);
    write_volume(volume, path("v.npy"));
    write_volume(volume, path("v.tif"));
    write_volume(volume, path("v.nrrd"));
    ReadOptions time_point;
    time_point.time_point = 2;
    VOX_EXPECT_THROW_MSG(
        open_volume(path("v.npy"), time_point), ValueError,
        "'" + path("v.npy") + "': time point 2 is out of range: a NumPy file has one time point");
    VOX_EXPECT_THROW_MSG(open_volume("sample:blobs", time_point), ValueError,
                         "'sample:blobs': time point 2 is out of range: a sample has one time "
                         "point");
    // Formats with a time axis check the point against the file.
    EXPECT_THROW(open_volume(path("v.tif"), time_point), ValueError);
    ReadOptions time_as_channels;
    time_as_channels.time_as_channels = true;
    VOX_EXPECT_THROW_MSG(open_volume(path("v.tif"), time_as_channels), ValueError,
                         "'" + path("v.tif") +
                             "': a TIFF file has no time axis to read as channels (NIfTI, "
                             "Analyze, NRRD and MetaImage files can have one)");
    EXPECT_EQ(open_volume(path("v.nrrd"), time_as_channels).shape(), volume.shape());
    ReadOptions canonical;
    canonical.canonical = true;
    VOX_EXPECT_THROW_MSG(open_volume(path("v.nrrd"), canonical), ValueError,
                         "'" + path("v.nrrd") +
                             "': canonical reorientation is for NIfTI and Analyze files, not an "
                             "NRRD file");
    ReadOptions raw = canonical;
    raw.raw = RawLayout{{1, 2, 3, 1}, PixelType::u8, std::nullopt, "mm", false, 0};
    write("v.raw", "123456");
    VOX_EXPECT_THROW_MSG(open_volume(path("v.raw"), raw), ValueError,
                         "'" + path("v.raw") +
                             "': canonical reorientation is for NIfTI and Analyze files, not raw "
                             "data");
}

TEST_F(SourceTest, RegistryErrors) {
    write("notes.txt", "hello");
    VOX_EXPECT_THROW_MSG(open_volume(path("empty_folder_glob*.tif")), IoError,
                         "cannot read '" + path("empty_folder_glob*.tif") + "': no files found");
    EXPECT_THROW(open_volume(path("notes.txt")), FormatError);
    try {
        write_volume(Volume::allocate({1, 1, 1, 1}, PixelType::u8), path("x.xyz"));
        ADD_FAILURE() << "wrote an unknown format";
    } catch (const ValueError& error) {
        EXPECT_TRUE(
            std::string(error.what())
                .starts_with("cannot write '" + path("x.xyz") + "': unknown extension (writable: "))
            << error.what();
    }
}

TEST_F(SourceTest, FilesWrittenNameDetachedDataFiles) {
    const auto files = [&](const std::string& name, const std::string& compression = "") {
        WriteOptions options;
        options.compression = compression;
        return files_written(path(name), options);
    };
    EXPECT_EQ(files("a.tif"), std::vector<std::string>{path("a.tif")});
    EXPECT_EQ(files("a.nrrd"), std::vector<std::string>{path("a.nrrd")});
    EXPECT_EQ(files("a.mha", "deflate"), std::vector<std::string>{path("a.mha")});
    EXPECT_EQ(files("a.nhdr"), (std::vector<std::string>{path("a.nhdr"), path("a.raw")}));
    EXPECT_EQ(files("a.nhdr", "gzip"),
              (std::vector<std::string>{path("a.nhdr"), path("a.raw.gz")}));
    EXPECT_EQ(files("A.MHD"), (std::vector<std::string>{path("A.MHD"), path("A.raw")}));
    EXPECT_EQ(files("a.mhd", "deflate"), (std::vector<std::string>{path("a.mhd"), path("a.zraw")}));
    // What files_written names is what the writers write.
    const Volume volume = Volume::allocate({2, 3, 4, 1}, PixelType::u16);
    for (const auto& [name, compression] :
         {std::pair{"w.nhdr", "gzip"}, {"w.mhd", "none"}, {"v.mhd", "deflate"}}) {
        WriteOptions options;
        options.compression = compression;
        write_volume(volume, path(name), options);
        for (const std::string& file : files_written(path(name), options))
            EXPECT_TRUE(std::filesystem::exists(file)) << file;
    }
    EXPECT_THROW(files("a.nhdr", "zstd"), ValueError);
    VOX_EXPECT_THROW_MSG(files("a.zip::b.tif"), ValueError,
                         "cannot write '" + path("a.zip::b.tif") +
                             "': writing into a zip archive is not supported; write a file and "
                             "zip it");
    EXPECT_THROW(write_volume(volume, path("a.zip::b.tif")), ValueError);
    EXPECT_FALSE(std::filesystem::exists(path("a.zip::b.tif")));
}

TEST_F(SourceTest, ReadRecordsListEveryFileAReadOpens) {
    const Volume volume = Volume::allocate({2, 3, 4, 1}, PixelType::u16);
    write_volume(volume, path("scan.nhdr"));
    write_volume(volume, path("scan.mha"));
    std::vector<std::string> outer_files;
    {
        const ReadRecord outer;
        {
            const ReadRecord inner;
            open_volume(path("scan.nhdr"));
            const std::vector<std::string> files = inner.files();
            EXPECT_NE(std::find(files.begin(), files.end(), path("scan.nhdr")), files.end());
            EXPECT_NE(std::find(files.begin(), files.end(), path("scan.raw")), files.end());
            EXPECT_EQ(std::find(files.begin(), files.end(), path("scan.mha")), files.end());
        }
        open_volume(path("scan.mha"));
        outer_files = outer.files();
    }
    // The outer record has the inner one's files too; none is kept once both are gone.
    EXPECT_NE(std::find(outer_files.begin(), outer_files.end(), path("scan.raw")),
              outer_files.end());
    EXPECT_NE(std::find(outer_files.begin(), outer_files.end(), path("scan.mha")),
              outer_files.end());
    const ReadRecord later;
    open_volume(path("scan.mha"));
    EXPECT_EQ(later.files(), std::vector<std::string>{path("scan.mha")});
}

}  // namespace
}  // namespace vox::io
