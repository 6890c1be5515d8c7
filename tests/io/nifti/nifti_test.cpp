// Unit tests of the NIfTI-1/NIfTI-2/Analyze reader and the NIfTI writer, on files built in code.
#include "nifti/nifti.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "format.h"
#include "test_util.h"
#include "truncation.h"
#include "vox/io.h"

namespace vox::io {
namespace {

// A header under construction, in either byte order.
class Bytes {
public:
    Bytes(std::size_t size, bool big_endian) : m_bytes(size), m_big_endian(big_endian) {}
    template <typename T>
    Bytes& put(std::size_t offset, T value) {
        auto raw = std::bit_cast<std::array<std::byte, sizeof(T)>>(value);
        if (m_big_endian != kHostBigEndian) std::reverse(raw.begin(), raw.end());
        if (m_bytes.size() < offset + sizeof(T)) m_bytes.resize(offset + sizeof(T));
        std::memcpy(m_bytes.data() + offset, raw.data(), sizeof(T));
        return *this;
    }
    Bytes& text(std::size_t offset, std::string_view value) {
        std::memcpy(m_bytes.data() + offset, value.data(), value.size());
        return *this;
    }
    std::vector<std::byte>& bytes() { return m_bytes; }
    bool big_endian() const { return m_big_endian; }

private:
    std::vector<std::byte> m_bytes;
    bool m_big_endian;
};

// A NIfTI-1 header: dims (x, y, z, ...), datatype, unit code 2 (mm), pixdim 1.5/2/3, no xforms.
Bytes nifti1_header(std::vector<std::int16_t> dims, std::int16_t datatype, bool big_endian,
                    std::string_view magic = "n+1") {
    Bytes header(352, big_endian);
    header.put<std::int32_t>(0, 348);
    header.put<std::int16_t>(40, std::int16_t(dims.size()));
    for (std::size_t i = 0; i < dims.size(); ++i)
        header.put<std::int16_t>(42 + 2 * i, dims[i]);
    header.put<std::int16_t>(70, datatype);
    const float pixdim[] = {1.0f, 1.5f, 2.0f, 3.0f, 0.5f, 1.0f, 1.0f, 1.0f};
    for (std::size_t i = 0; i < 8; ++i)
        header.put<float>(76 + 4 * i, pixdim[i]);
    header.put<float>(108, magic == "n+1" ? 352.0f : 0.0f);
    header.put<std::uint8_t>(123, 2 | 8);
    if (!magic.empty()) header.text(344, magic);
    return header;
}

// Appends `values` of type T in the header's byte order.
template <typename T>
void append(Bytes& file, const std::vector<T>& values) {
    std::size_t offset = file.bytes().size();
    for (const T value : values) {
        file.put<T>(offset, value);
        offset += sizeof(T);
    }
}

std::vector<std::int16_t> ramp(std::size_t count, int start = -5) {
    std::vector<std::int16_t> values(count);
    for (std::size_t i = 0; i < count; ++i)
        values[i] = std::int16_t(start + 7 * int(i));
    return values;
}

Volume read_bytes(const std::vector<std::byte>& bytes, const std::string& name = "scan.nii",
                  const ReadOptions& options = {}) {
    return nifti::read(Source::from_memory(name, bytes), options);
}

class NiftiTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_folder = std::filesystem::temp_directory_path() /
                   ("vox_nifti_test_" + std::to_string(::getpid()) + "_" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(m_folder);
    }
    void TearDown() override {
        std::filesystem::remove_all(m_folder);
        set_memory_limit(m_limit);
    }
    std::string path(const std::string& name) const { return (m_folder / name).string(); }
    void write(const std::string& name, const std::vector<std::byte>& bytes) const {
        std::ofstream(path(name), std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    }
    std::filesystem::path m_folder;
    std::int64_t m_limit = memory_limit();
};

TEST_F(NiftiTest, ReadsBothByteOrdersWithTheFileXAsVolumeX) {
    for (bool big_endian : {false, true}) {
        Bytes file = nifti1_header({4, 3, 2}, 4, big_endian);
        append(file, ramp(24));
        const Volume volume = read_bytes(file.bytes());
        EXPECT_EQ(volume.shape(), (Shape{2, 3, 4, 1}));
        EXPECT_EQ(volume.pixel_type(), PixelType::i16);
        // File voxel (i, j, k) = (1, 2, 1) is element 1 + 4 * (2 + 3 * 1) = 21.
        EXPECT_EQ(volume.value_at(1, 2, 1), -5 + 7 * 21);
        EXPECT_EQ(volume.spacing(), (Spacing{{3.0, 2.0, 1.5}, "mm", true}));
        EXPECT_EQ(volume.metadata().at("format"), "NIfTI");
        EXPECT_EQ(volume.metadata().at("byte_order"), big_endian ? "big-endian" : "little-endian");
        EXPECT_EQ(volume.metadata().at("nifti.affine"), "base");
        // nibabel's base affine: pixdim diagonal, x flipped, centred.
        const Affine expected{-1.5, 0, 0, 2.25, 0, 2, 0, -2, 0, 0, 3, -1.5, 0, 0, 0, 1};
        EXPECT_EQ(*volume.affine(), expected);
    }
}

TEST_F(NiftiTest, AdoptsDecompressedNativeData) {
    Bytes file = nifti1_header({4, 3, 2}, 4, kHostBigEndian);
    append(file, ramp(24));
    const Source source = Source::from_memory("scan.nii", file.bytes());
    const Volume volume = nifti::read(source, {});
    const auto* voxels = reinterpret_cast<const std::byte*>(volume.view<std::int16_t>().origin);
    EXPECT_EQ(voxels, source.memory().data() + 352);
}

TEST_F(NiftiTest, AppliesScalingAsNibabel) {
    Bytes file = nifti1_header({3, 1, 1}, 4, true);
    file.put<float>(112, 0.5f).put<float>(116, -10.0f);
    append<std::int16_t>(file, {-3, 0, 7});
    const Volume volume = read_bytes(file.bytes());
    EXPECT_EQ(volume.pixel_type(), PixelType::f64);
    EXPECT_EQ(test::values_of(volume), (std::vector<double>{-11.5, -10.0, -6.5}));
    EXPECT_EQ(volume.metadata().at("nifti.scl_slope"), "0.5");

    // Slope 0 or NaN: no scaling, the file's type is kept; slope 1 and intercept 0 likewise.
    for (float slope : {0.0f, std::numeric_limits<float>::quiet_NaN(), 1.0f}) {
        file.put<float>(112, slope).put<float>(116, slope == 1.0f ? 0.0f : 4.0f);
        const Volume raw = read_bytes(file.bytes());
        EXPECT_EQ(raw.pixel_type(), PixelType::i16);
        EXPECT_EQ(test::values_of(raw), (std::vector<double>{-3, 0, 7}));
    }
    file.put<float>(112, 2.0f).put<float>(116, std::numeric_limits<float>::infinity());
    VOX_EXPECT_THROW_MSG(read_bytes(file.bytes()), FormatError,
                         "'scan.nii': scl_slope is 2 but scl_inter is inf");
}

TEST_F(NiftiTest, ReadsEveryTypeAndRgb24AsThreeChannels) {
    Bytes u32 = nifti1_header({2, 1, 1}, 768, true);
    append<std::uint32_t>(u32, {4000000000u, 7});
    EXPECT_EQ(test::values_of(read_bytes(u32.bytes())), (std::vector<double>{4e9, 7}));
    Bytes f64 = nifti1_header({2, 1, 1}, 64, false);
    append<double>(f64, {0.125, -1e300});
    EXPECT_EQ(test::values_of(read_bytes(f64.bytes())), (std::vector<double>{0.125, -1e300}));

    Bytes rgb = nifti1_header({2, 1, 1}, 128, false);
    append<std::uint8_t>(rgb, {1, 2, 3, 4, 5, 6});
    const Volume volume = read_bytes(rgb.bytes());
    EXPECT_EQ(volume.shape(), (Shape{1, 1, 2, 3}));
    EXPECT_EQ(test::values_of(volume), (std::vector<double>{1, 4, 2, 5, 3, 6}));
    EXPECT_EQ(volume.channel_names(), (std::vector<std::string>{"R", "G", "B"}));
}

TEST_F(NiftiTest, RejectsUnsupportedTypesByName) {
    Bytes file = nifti1_header({2, 1, 1}, 1792, false);
    append<double>(file, {0, 0, 0, 0});
    VOX_EXPECT_THROW_MSG(read_bytes(file.bytes()), FormatError,
                         "'scan.nii': datatype 1792 (complex128) is not supported (supported: "
                         "uint8, int8, uint16, int16, uint32, int32, float32, float64, RGB24)");
    file.put<std::int16_t>(70, 99);
    VOX_EXPECT_THROW_MSG(read_bytes(file.bytes()), FormatError,
                         "'scan.nii': datatype 99 (unknown) is not supported (supported: "
                         "uint8, int8, uint16, int16, uint32, int32, float32, float64, RGB24)");
}

TEST_F(NiftiTest, SpacingAndAffinesBeyondFloat32AreRefused) {
    // pixdim 0 reads back as 1 mm (as nibabel does) and inf as unknown: both silently wrong.
    Volume volume = Volume::allocate({2, 2, 2, 1}, PixelType::u8);
    volume.set_spacing({{1e-50, 1.0, 1.0}, "mm", true});
    VOX_EXPECT_THROW_MSG(write_volume(volume, path("tiny.nii")), ValueError,
                         "cannot write '" + path("tiny.nii") +
                             "': spacing 1e-50 does not fit NIfTI-1's 32-bit floats");
    volume.set_spacing({{1.0, 1e300, 1.0}, "mm", true});
    VOX_EXPECT_THROW_MSG(write_volume(volume, path("huge.nii.gz")), ValueError,
                         "cannot write '" + path("huge.nii.gz") +
                             "': spacing 1e+300 does not fit NIfTI-1's 32-bit floats");
    volume.set_spacing({{2.0, 1.0, 1.0}, "mm", true});
    Affine affine{};
    for (int i = 0; i < 4; ++i)
        affine[std::size_t(i * 5)] = 1.0;
    affine[3] = 1e40;  // an x offset
    volume.set_affine(affine);
    VOX_EXPECT_THROW_MSG(write_volume(volume, path("far.nii")), ValueError,
                         "cannot write '" + path("far.nii") +
                             "': affine value 1e+40 does not fit NIfTI-1's 32-bit floats");
    EXPECT_FALSE(std::filesystem::exists(path("tiny.nii")));
    // The smallest normal float still fits.
    volume.set_affine(std::nullopt);
    volume.set_spacing({{1.2e-38, 1.0, 1.0}, "mm", true});
    write_volume(volume, path("small.nii"));
    EXPECT_FLOAT_EQ(float(open_volume(path("small.nii")).spacing().zyx[0]), 1.2e-38f);
}

TEST_F(NiftiTest, ChoosesATimePointOrMapsTimeToChannels) {
    Bytes file = nifti1_header({2, 1, 1, 3}, 2, false);
    append<std::uint8_t>(file, {1, 2, 3, 4, 5, 6});
    ReadOptions options;
    options.time_point = 2;
    Volume volume = read_bytes(file.bytes(), "scan.nii", options);
    EXPECT_EQ(test::values_of(volume), (std::vector<double>{5, 6}));
    EXPECT_EQ(volume.metadata().at("nifti.time_points"), "3");
    EXPECT_EQ(volume.metadata().at("nifti.time_unit"), "s");
    options.time_point = 3;
    VOX_EXPECT_THROW_MSG(read_bytes(file.bytes(), "scan.nii", options), ValueError,
                         "'scan.nii': time point 3 is out of range: the file has 3 (0 to 2)");
    options.time_as_channels = true;
    volume = read_bytes(file.bytes(), "scan.nii", options);
    EXPECT_EQ(volume.shape(), (Shape{1, 1, 2, 3}));
    EXPECT_EQ(test::values_of(volume), (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST_F(NiftiTest, FifthDimensionComponentsBecomeChannels) {
    // (x, y, z, t, c) = (2, 1, 1, 2, 2): element order x, t, c.
    Bytes file = nifti1_header({2, 1, 1, 2, 2}, 2, false);
    append<std::uint8_t>(file, {1, 2, 3, 4, 5, 6, 7, 8});
    ReadOptions options;
    options.time_point = 1;
    EXPECT_EQ(test::values_of(read_bytes(file.bytes(), "scan.nii", options)),
              (std::vector<double>{3, 4, 7, 8}));
    Bytes six = nifti1_header({2, 1, 1, 1, 1, 2}, 2, false);
    append<std::uint8_t>(six, {1, 2, 3, 4});
    VOX_EXPECT_THROW_MSG(read_bytes(six.bytes()), FormatError,
                         "'scan.nii': dim[6] is 2: 6- and 7-dimensional data are not supported");
}

TEST_F(NiftiTest, ReadsNifti2InBothByteOrders) {
    for (bool big_endian : {false, true}) {
        Bytes file(544, big_endian);
        file.put<std::int32_t>(0, 540).text(4, std::string_view("n+2\0\r\n\032\n", 8));
        file.put<std::int16_t>(12, 16).put<std::int16_t>(14, 32);
        const std::int64_t dims[] = {3, 2, 2, 1};
        for (std::size_t i = 0; i < 4; ++i)
            file.put<std::int64_t>(16 + 8 * i, dims[i]);
        for (std::size_t i = 0; i < 8; ++i)
            file.put<double>(104 + 8 * i, i == 2 ? 0.25 : 1.0);
        file.put<std::int64_t>(168, 544).put<std::int32_t>(500, 3);
        file.put<std::int32_t>(348, 1);  // sform_code
        const double srow[3][4] = {{1, 0, 0, -5}, {0, 0.25, 0, 6}, {0, 0, 1, 7.5}};
        for (std::size_t r = 0; r < 3; ++r)
            for (std::size_t c = 0; c < 4; ++c)
                file.put<double>(400 + 32 * r + 8 * c, srow[r][c]);
        append<float>(file, {1.5f, -2.0f, 3.0f, 0.0f});
        const Volume volume = read_bytes(file.bytes());
        EXPECT_EQ(volume.shape(), (Shape{1, 2, 2, 1}));
        EXPECT_EQ(test::values_of(volume), (std::vector<double>{1.5, -2, 3, 0}));
        EXPECT_EQ(volume.spacing(), (Spacing{{1.0, 0.25, 1.0}, "µm", true}));
        EXPECT_EQ(volume.metadata().at("nifti.version"), "2");
        EXPECT_EQ(*volume.affine(), (Affine{1, 0, 0, -5, 0, 0.25, 0, 6, 0, 0, 1, 7.5, 0, 0, 0, 1}));
    }
}

TEST_F(NiftiTest, ChecksTheHeaderBeforeAllocating) {
    Bytes file = nifti1_header({2000, 2000, 2000}, 512, false);
    append<std::uint16_t>(file, {1, 2});
    VOX_EXPECT_THROW_MSG(read_bytes(file.bytes()), FormatError,
                         "'scan.nii': header claims 2000x2000x2000 u16 (14.9 GiB) at offset 352 "
                         "but the file has 356 B");
    Bytes offset = nifti1_header({2, 1, 1}, 2, false);
    offset.put<float>(108, 100.0f);
    append<std::uint8_t>(offset, {1, 2});
    VOX_EXPECT_THROW_MSG(read_bytes(offset.bytes()), FormatError,
                         "'scan.nii': vox_offset 100 is inside the 352-byte header");
    Bytes dims = nifti1_header({2, 0, 1}, 2, false);
    VOX_EXPECT_THROW_MSG(read_bytes(dims.bytes()), FormatError,
                         "'scan.nii': dim[2] is 0, expected a positive size");
    dims.put<std::int16_t>(40, 9);
    VOX_EXPECT_THROW_MSG(read_bytes(dims.bytes()), FormatError,
                         "'scan.nii': dim[0] is 9, expected 1 to 7 dimensions");
    std::vector<std::byte> junk(400, std::byte{7});
    VOX_EXPECT_THROW_MSG(
        read_bytes(junk), FormatError,
        "'scan.nii': not a NIfTI or Analyze header: sizeof_hdr is 117901063, expected 348 or 540");
    Bytes big = nifti1_header({100, 100, 100}, 16, false);
    big.bytes().resize(352 + 4000000);
    set_memory_limit(1 << 20);
    VOX_EXPECT_THROW_MSG(read_bytes(big.bytes()), LimitError,
                         "'scan.nii': a 100x100x100x1 f32 volume needs 3.8 MiB, over the "
                         "memory limit of 1.0 MiB");
}

TEST_F(NiftiTest, ReadsPairsFromDiskGzipAndZipArchives) {
    // Analyze 7.5, big-endian: header (no magic), image next to it.
    Bytes header = nifti1_header({3, 2, 1}, 4, true, "");
    header.bytes().resize(348);
    header.text(56, "mm");
    header.put<std::int16_t>(253, 2).put<std::int16_t>(255, 1).put<std::int16_t>(257, 1);
    Bytes image(0, true);
    append(image, ramp(6));
    write("brain.hdr", header.bytes());
    write("brain.img", image.bytes());
    const Volume volume = open_volume(path("brain.hdr"));
    EXPECT_EQ(volume.metadata().at("format"), "Analyze 7.5");
    EXPECT_EQ(test::values_of(volume), (std::vector<double>{-5, 2, 9, 16, 23, 30}));
    EXPECT_EQ(volume.spacing(), (Spacing{{3.0, 2.0, 1.5}, "mm", true}));
    // SPM origin (2, 1, 1), 1-based, with x flipped: nibabel's Spm2AnalyzeImage affine.
    EXPECT_EQ(*volume.affine(), (Affine{-1.5, 0, 0, 1.5, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1}));
    EXPECT_EQ(test::values_of(open_volume(path("brain.img"))), test::values_of(volume));

    write("packed.hdr.gz", gzip(header.bytes()));
    write("packed.img.gz", gzip(image.bytes()));
    EXPECT_EQ(test::values_of(open_volume(path("packed.hdr.gz"))), test::values_of(volume));

    const std::string archive = path("scans.zip");
    int error = 0;
    zip_t* zip = zip_open(archive.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    ASSERT_NE(zip, nullptr);
    for (const auto& [name, bytes] : {std::pair{"mri/brain.hdr", &header.bytes()},
                                      std::pair{"mri/brain.img", &image.bytes()}}) {
        zip_source_t* member = zip_source_buffer(zip, bytes->data(), bytes->size(), 0);
        ASSERT_GE(zip_file_add(zip, name, member, ZIP_FL_OVERWRITE), 0);
    }
    ASSERT_EQ(zip_close(zip), 0);
    EXPECT_EQ(test::values_of(open_volume(archive + "::mri/brain.hdr")), test::values_of(volume));

    write("lonely.hdr", header.bytes());
    VOX_EXPECT_THROW_MSG(open_volume(path("lonely.hdr")), IoError,
                         "'" + path("lonely.hdr") + "': its image file 'lonely.img' is missing");
}

// Three time points of 64x64x4 u8 voxels that do not compress much (t + a hash).
Bytes three_time_points() {
    Bytes file = nifti1_header({64, 64, 4, 3}, 2, false);
    std::vector<std::uint8_t> voxels(3 * 16384);
    std::uint32_t seed = 7;
    for (std::size_t i = 0; i < voxels.size(); ++i) {
        seed = seed * 1664525u + 1013904223u;
        voxels[i] = std::uint8_t((seed >> 28) + 16 * (i / 16384));
    }
    append(file, voxels);
    return file;
}

TEST_F(NiftiTest, GzipFilesAndZipMembersAreInflatedOnlyAsFarAsTheReadNeeds) {
    // A small header over a long stream: 4 MiB of zeros after the voxels, whole files the
    // memory limit cannot hold.
    Bytes file = three_time_points();
    std::vector<std::byte> padded = file.bytes();
    padded.resize(padded.size() + (std::size_t(4) << 20));
    write("long.nii.gz", gzip(padded));
    Bytes pair_header = nifti1_header({64, 64, 4, 3}, 2, false, "ni1");
    pair_header.bytes().resize(348);
    write("long.hdr.gz", gzip(pair_header.bytes()));
    std::vector<std::byte> image(padded.begin() + 352, padded.end());
    write("long.img.gz", gzip(image));
    // The same files as members of a zip archive, which inflates them too.
    const std::string archive = path("long.zip");
    int error = 0;
    zip_t* zip = zip_open(archive.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    ASSERT_NE(zip, nullptr);
    for (const auto& [name, bytes] :
         {std::pair{"long.nii", &padded}, std::pair{"pair/long.hdr", &pair_header.bytes()},
          std::pair{"pair/long.img", &image}}) {
        zip_source_t* member = zip_source_buffer(zip, bytes->data(), bytes->size(), 0);
        ASSERT_GE(zip_file_add(zip, name, member, ZIP_FL_OVERWRITE), 0);
    }
    ASSERT_EQ(zip_close(zip), 0);
    set_memory_limit(std::int64_t(1) << 20);
    ReadOptions options;
    for (const std::string& name :
         {path("long.nii.gz"), path("long.hdr.gz"), path("long.img.gz"), archive + "::long.nii",
          archive + "::pair/long.hdr", archive + "::pair/long.img"}) {
        SCOPED_TRACE(name);
        for (const std::int64_t t : {0, 2}) {
            options.time_point = t;
            const Volume volume = open_volume(name, options);
            EXPECT_EQ(volume.shape(), (Shape{4, 64, 64, 1}));
            EXPECT_EQ(volume.value_at(0, 0, 0) >= 16.0 * double(t), true);
            EXPECT_EQ(volume.value_at(0, 0, 0) < 16.0 * double(t + 1), true);
        }
        options.time_point = 0;
        options.time_as_channels = true;
        EXPECT_EQ(open_volume(name, options).shape(), (Shape{4, 64, 64, 3}));
        options.time_as_channels = false;
    }

    // A header that describes more than the limit holds is refused before decompressing.
    set_memory_limit(40000);
    options.time_as_channels = true;
    VOX_EXPECT_THROW_MSG(open_volume(path("long.nii.gz"), options), LimitError,
                         "'" + path("long.nii.gz") +
                             "': the header describes 48.3 KiB of decompressed data, over the "
                             "memory limit of 39.1 KiB");
    set_memory_limit(m_limit);

    // A stream cut inside the last time point: the first ones still read, as nibabel reads
    // them, and the whole file is reported.
    std::vector<std::byte> cut = gzip(file.bytes());
    cut.resize(cut.size() * 3 / 4);
    write("cut.nii.gz", cut);
    options.time_as_channels = false;
    options.time_point = 0;
    EXPECT_EQ(open_volume(path("cut.nii.gz"), options).shape(), (Shape{4, 64, 64, 1}));
    options.time_point = 2;
    EXPECT_THROW(open_volume(path("cut.nii.gz"), options), FormatError);
}

TEST_F(NiftiTest, PicksSformThenQformThenPixdim) {
    Bytes file = nifti1_header({2, 2, 2}, 2, false);
    append<std::uint8_t>(file, {0, 1, 2, 3, 4, 5, 6, 7});
    // qform: 180 degrees about z (b, c, d) = (0, 0, 1), qfac -1, offsets.
    file.put<std::int16_t>(252, 1).put<float>(264, 1.0f).put<float>(76, -1.0f);
    for (std::size_t i = 0; i < 3; ++i)
        file.put<float>(268 + 4 * i, float(10 * (i + 1)));
    Volume volume = read_bytes(file.bytes());
    EXPECT_EQ(volume.metadata().at("nifti.affine"), "qform");
    EXPECT_EQ(*volume.affine(), (Affine{-1.5, 0, 0, 10, 0, -2, 0, 20, 0, 0, -3, 30, 0, 0, 0, 1}));

    file.put<std::int16_t>(254, 4);
    const float srow[3][4] = {{0, 0, 3, 1}, {1.5, 0, 0, 2}, {0, -2, 0, 3}};
    for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t c = 0; c < 4; ++c)
            file.put<float>(280 + 16 * r + 4 * c, srow[r][c]);
    volume = read_bytes(file.bytes());
    EXPECT_EQ(volume.metadata().at("nifti.affine"), "sform");
    EXPECT_EQ(volume.metadata().at("nifti.sform_code"), "4");
    EXPECT_EQ(*volume.affine(), (Affine{0, 0, 3, 1, 1.5, 0, 0, 2, 0, -2, 0, 3, 0, 0, 0, 1}));

    // Canonical (RAS): new x = file k (world x), new y = file i (world y), new z = file j
    // flipped (world -z).
    ReadOptions options;
    options.canonical = true;
    const Volume canonical = read_bytes(file.bytes(), "scan.nii", options);
    EXPECT_EQ(*canonical.affine(), (Affine{3, 0, 0, 1, 0, 1.5, 0, 2, 0, 0, 2, 1, 0, 0, 0, 1}));
    EXPECT_EQ(canonical.spacing().zyx, (std::array{2.0, 1.5, 3.0}));
    for (std::int64_t i = 0; i < 2; ++i) {
        for (std::int64_t j = 0; j < 2; ++j) {
            for (std::int64_t k = 0; k < 2; ++k)
                EXPECT_EQ(canonical.value_at(1 - j, i, k), volume.value_at(k, j, i));
        }
    }
}

TEST_F(NiftiTest, WriterRoundTripsThroughOurReader) {
    Volume volume = test::make_volume<std::int16_t>(
        {3, 4, 5, 2},
        [](auto z, auto y, auto x, auto c) { return 1000 * c - 100 * z + 10 * y + x; });
    volume.set_spacing({{2.0, 0.5, 0.25}, "mm", true});
    const Affine affine{0, 0, -2, 4, 0.25, 0, 0, -1, 0, 0.5, 0, 2.5, 0, 0, 0, 1};
    volume.set_affine(affine);
    for (const std::string name : {"out.nii", "out.nii.gz"}) {
        write_volume(volume, path(name));
        const Volume back = open_volume(path(name));
        EXPECT_EQ(back.shape(), volume.shape());
        EXPECT_EQ(test::values_of(back), test::values_of(volume));
        EXPECT_EQ(back.spacing(), volume.spacing());
        EXPECT_EQ(*back.affine(), affine);
        EXPECT_EQ(back.metadata().at("nifti.intent_code"), "1007");
    }
    // No spacing, no affine: pixdim ones, no xform; read back as unknown spacing.
    const Volume plain = test::make_line<float>({1.5f, -2.0f});
    write_volume(plain, path("plain.nii"));
    EXPECT_FALSE(open_volume(path("plain.nii")).spacing().known);
    VOX_EXPECT_THROW_MSG(write_volume(plain, path("x.nii"), {"lzw", -1}), ValueError,
                         "cannot write '" + path("x.nii") +
                             "': compression 'lzw' is not supported here (NIfTI writes .nii "
                             "uncompressed and .nii.gz with gzip)");
}

TEST_F(NiftiTest, TruncatedSingleFilesFailCleanly) {
    Bytes file = nifti1_header({5, 4, 3}, 4, true);
    file.put<float>(112, 2.0f);
    append(file, ramp(60));
    test::expect_truncations_fail_cleanly(
        file.bytes(), "scan.nii", [](const Source& source) { (void)nifti::read(source, {}); });
}

TEST_F(NiftiTest, TruncatedPairsFailCleanly) {
    Bytes header = nifti1_header({5, 4, 3}, 128, false, "ni1");
    header.bytes().resize(348);
    Bytes image(0, false);
    append<std::uint8_t>(image, std::vector<std::uint8_t>(180, 9));
    const Source full_image = Source::from_memory("brain.img", image.bytes());
    test::expect_truncations_fail_cleanly(header.bytes(), "brain.hdr", [&](const Source& source) {
        (void)nifti::read_pair(source, full_image, {});
    });
    const Source full_header = Source::from_memory("brain.hdr", header.bytes());
    test::expect_truncations_fail_cleanly(image.bytes(), "brain.img", [&](const Source& source) {
        (void)nifti::read_pair(full_header, source, {});
    });
    EXPECT_EQ(nifti::read_pair(full_header, full_image, {}).shape(), (Shape{3, 4, 5, 3}));
}

TEST_F(NiftiTest, SniffersTellNiftiFromAnalyze) {
    Bytes nifti = nifti1_header({2, 1, 1}, 2, true);
    EXPECT_TRUE(nifti::sniff_nifti(nifti.bytes()));
    EXPECT_FALSE(nifti::sniff_analyze(nifti.bytes()));
    Bytes analyze = nifti1_header({2, 1, 1}, 2, true, "");
    EXPECT_FALSE(nifti::sniff_nifti(analyze.bytes()));
    EXPECT_TRUE(nifti::sniff_analyze(analyze.bytes()));
    for (std::size_t size = 0; size < 600; size += 7) {
        const std::vector<std::byte> junk(size, std::byte{0x5c});
        EXPECT_FALSE(nifti::sniff_nifti(junk));
        EXPECT_FALSE(nifti::sniff_analyze(junk));
    }
}

}  // namespace
}  // namespace vox::io
