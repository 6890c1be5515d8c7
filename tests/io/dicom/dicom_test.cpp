// Unit tests of the DICOM reader on files built in code (explicit VR little endian, PS3.5 7.1.2).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "format.h"
#include "test_util.h"
#include "truncation.h"
#include "vox/io.h"

namespace vox {
namespace {

/// Builds a small DICOM file: preamble, "DICM", file meta group and a sorted data set.
class DicomBuilder {
public:
    DicomBuilder& text(std::uint16_t group, std::uint16_t element, std::string_view vr,
                       std::string value) {
        if (value.size() % 2 == 1) value.push_back(vr == "UI" ? '\0' : ' ');
        put(group, element, vr, {reinterpret_cast<const std::byte*>(value.data()), value.size()});
        return *this;
    }
    DicomBuilder& us(std::uint16_t group, std::uint16_t element, std::uint16_t value) {
        put(group, element, "US", {reinterpret_cast<const std::byte*>(&value), 2});
        return *this;
    }
    DicomBuilder& remove(std::uint16_t group, std::uint16_t element) {
        m_elements.erase(std::uint32_t(group) << 16 | element);
        return *this;
    }
    /// A UN element of undefined length holding `items` (implicit VR little endian, as
    /// PS3.5 6.2.2 has it), closed by a sequence delimiter.
    DicomBuilder& undefined_length_un(std::uint16_t group, std::uint16_t tag_element,
                                      std::string_view items) {
        std::vector<std::byte> bytes;
        append(bytes, std::string_view(reinterpret_cast<const char*>(&group), 2));
        append(bytes, std::string_view(reinterpret_cast<const char*>(&tag_element), 2));
        append(bytes, std::string_view("UN\0\0\xFF\xFF\xFF\xFF", 8));
        append(bytes, items);
        append(bytes, std::string_view("\xFE\xFF\xDD\xE0\0\0\0\0", 8));
        m_elements[std::uint32_t(group) << 16 | tag_element] = std::move(bytes);
        return *this;
    }
    template <typename T>
    DicomBuilder& pixels(const std::vector<T>& values) {
        put(0x7FE0, 0x0010, sizeof(T) == 1 ? "OB" : "OW",
            {reinterpret_cast<const std::byte*>(values.data()), values.size() * sizeof(T)});
        return *this;
    }
    std::vector<std::byte> bytes() const {
        std::vector<std::byte> out(128, std::byte{0});
        append(out, "DICM");
        std::vector<std::byte> meta;
        element(meta, 0x0002, 0x0001, "OB", std::string("\0\1", 2));
        element(meta, 0x0002, 0x0002, "UI", padded("1.2.840.10008.5.1.4.1.1.2"));
        element(meta, 0x0002, 0x0003, "UI", padded("1.2.3.4"));
        element(meta, 0x0002, 0x0010, "UI", padded("1.2.840.10008.1.2.1"));
        const std::uint32_t length = std::uint32_t(meta.size());
        element(out, 0x0002, 0x0000, "UL", std::string(reinterpret_cast<const char*>(&length), 4));
        out.insert(out.end(), meta.begin(), meta.end());
        for (const auto& [tag, value] : m_elements)
            out.insert(out.end(), value.begin(), value.end());
        return out;
    }
    void write(const std::string& path) const {
        const std::vector<std::byte> data = bytes();
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
    }

private:
    static std::string padded(std::string uid) {
        if (uid.size() % 2 == 1) uid.push_back('\0');
        return uid;
    }
    static void append(std::vector<std::byte>& out, std::string_view bytes) {
        for (char c : bytes)
            out.push_back(std::byte(c));
    }
    static void element(std::vector<std::byte>& out, std::uint16_t group, std::uint16_t element,
                        std::string_view vr, std::string_view value) {
        append(out, std::string_view(reinterpret_cast<const char*>(&group), 2));
        append(out, std::string_view(reinterpret_cast<const char*>(&element), 2));
        append(out, vr);
        const std::uint32_t length = std::uint32_t(value.size());
        if (vr == "OB" || vr == "OW" || vr == "SQ" || vr == "UN" || vr == "UT") {
            append(out, std::string_view("\0\0", 2));
            append(out, std::string_view(reinterpret_cast<const char*>(&length), 4));
        } else {
            append(out, std::string_view(reinterpret_cast<const char*>(&length), 2));
        }
        append(out, value);
    }
    void put(std::uint16_t group, std::uint16_t tag_element, std::string_view vr,
             std::span<const std::byte> value) {
        std::vector<std::byte> bytes;
        element(bytes, group, tag_element, vr,
                {reinterpret_cast<const char*>(value.data()), value.size()});
        m_elements[std::uint32_t(group) << 16 | tag_element] = std::move(bytes);
    }

    std::map<std::uint32_t, std::vector<std::byte>> m_elements;
};

/// A CT-like int16 slice of 3 rows x 4 columns; pixel (y, x) = 100 * k + 10 * y + x.
DicomBuilder ct_slice(int k, std::string_view series = "1.2.3.100") {
    std::vector<std::int16_t> values;
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 4; ++x)
            values.push_back(std::int16_t(100 * k + 10 * y + x));
    DicomBuilder builder;
    builder.text(0x0008, 0x0060, "CS", "CT")
        .text(0x0018, 0x0050, "DS", "1.5")
        .text(0x0020, 0x000E, "UI", std::string(series))
        .text(0x0020, 0x0013, "IS", std::to_string(k + 1))
        .text(0x0020, 0x0032, "DS", fmt::format("-10\\20.5\\{}", 1.5 * k))
        .text(0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0")
        .us(0x0028, 0x0002, 1)
        .text(0x0028, 0x0004, "CS", "MONOCHROME2")
        .us(0x0028, 0x0010, 3)
        .us(0x0028, 0x0011, 4)
        .text(0x0028, 0x0030, "DS", "0.7\\0.8")
        .us(0x0028, 0x0100, 16)
        .us(0x0028, 0x0101, 16)
        .us(0x0028, 0x0102, 15)
        .us(0x0028, 0x0103, 1)
        .pixels(values);
    return builder;
}

Volume read_memory(const DicomBuilder& builder, const std::string& name = "slice.dcm") {
    return io::dicom_format().read(io::Source::from_memory(name, builder.bytes()), {});
}

/// A fresh temporary folder, removed at the end of the test.
class DicomFolderTest : public testing::Test {
protected:
    void SetUp() override {
        m_folder = std::filesystem::temp_directory_path() /
                   fmt::format("vox_dicom_test_{}_{}", ::getpid(),
                               testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(m_folder);
        std::filesystem::create_directories(m_folder);
    }
    void TearDown() override { std::filesystem::remove_all(m_folder); }
    std::string path(const std::string& name) const { return (m_folder / name).string(); }
    std::string folder() const { return m_folder.string(); }

    std::filesystem::path m_folder;
};

TEST(DicomSniff, NeedsDicmAfterThePreamble) {
    const std::vector<std::byte> file = ct_slice(0).bytes();
    const auto& format = io::dicom_format();
    EXPECT_TRUE(format.sniff({file.data(), 1024}));
    EXPECT_FALSE(format.sniff({file.data(), 131}));
    EXPECT_FALSE(format.sniff({}));
    std::vector<std::byte> other = file;
    other[128] = std::byte{'X'};
    EXPECT_FALSE(format.sniff(other));
}

TEST(DicomRead, SingleSliceKeepsTheStoredType) {
    const Volume volume = read_memory(ct_slice(2));
    EXPECT_EQ(volume.shape(), (Shape{1, 3, 4, 1}));
    EXPECT_EQ(volume.pixel_type(), PixelType::i16);
    EXPECT_EQ(volume.value_at(0, 2, 3), 223);
    // x = PixelSpacing[1] (columns), y = PixelSpacing[0] (rows), z = SliceThickness.
    EXPECT_EQ(volume.spacing(), (Spacing{{1.5, 0.7, 0.8}, "mm", true}));
    const Affine expected{0.8, 0, 0, -10, 0, 0.7, 0, 20.5, 0, 0, 1.5, 3, 0, 0, 0, 1};
    EXPECT_EQ(volume.affine(), expected);
    EXPECT_EQ(volume.metadata().at("format"), "DICOM");
    EXPECT_EQ(volume.metadata().at("modality"), "CT");
    EXPECT_EQ(volume.metadata().at("affine_space"), "LPS (DICOM patient coordinates)");
}

TEST(DicomRead, SpacingsOfZeroAreAbsentNotFatal) {
    DicomBuilder builder = ct_slice(0);
    builder.text(0x0028, 0x0030, "DS", "0\\0");
    EXPECT_FALSE(read_memory(builder).spacing().known);
    // One plane: a zero thickness falls back to the moot 1, a negative spacing gives its size.
    builder = ct_slice(0);
    builder.text(0x0018, 0x0050, "DS", "0");
    EXPECT_EQ(read_memory(builder).spacing(), (Spacing{{1.0, 0.7, 0.8}, "mm", true}));
    builder.text(0x0018, 0x0088, "DS", "-2");
    EXPECT_EQ(read_memory(builder).spacing(), (Spacing{{2.0, 0.7, 0.8}, "mm", true}));
}

TEST(DicomRead, Latin1TextBecomesUtf8) {
    DicomBuilder builder = ct_slice(0);
    builder.text(0x0008, 0x0005, "CS", "ISO_IR 100")
        .text(0x0008, 0x103E, "LO",
              "Sch\xE4"
              "del");
    EXPECT_EQ(read_memory(builder).metadata().at("series_description"), "Sch\u00e4del");
}

TEST(DicomRead, UndefinedLengthUnIsAnImplicitVrSequence) {
    // One item of undefined length holding (0008,0060) "CT" in implicit VR: read as explicit
    // VR, its length would be taken for a VR.
    DicomBuilder builder = ct_slice(3);
    builder.undefined_length_un(0x4453, 0x100C,
                                std::string_view("\xFE\xFF\x00\xE0\xFF\xFF\xFF\xFF"
                                                 "\x08\x00\x60\x00\x02\x00\x00\x00"
                                                 "CT"
                                                 "\xFE\xFF\x0D\xE0\0\0\0\0",
                                                 26));
    const Volume volume = read_memory(builder);
    EXPECT_EQ(volume.value_at(0, 2, 3), 323);
}

TEST(DicomRead, RescaleGivesFloat32WhenExact) {
    DicomBuilder builder = ct_slice(1);
    builder.text(0x0028, 0x1053, "DS", "2.5").text(0x0028, 0x1052, "DS", "-1024");
    const Volume volume = read_memory(builder);
    EXPECT_EQ(volume.pixel_type(), PixelType::f32);
    EXPECT_EQ(volume.value_at(0, 1, 2), 112 * 2.5 - 1024);
    EXPECT_EQ(volume.metadata().at("rescale"), "slope 2.5, intercept -1024");
}

TEST(DicomRead, DecimalRescaleGivesFloat64) {
    DicomBuilder builder = ct_slice(1);
    builder.text(0x0028, 0x1053, "DS", "0.001").text(0x0028, 0x1052, "DS", "-1.3");
    const Volume volume = read_memory(builder);
    EXPECT_EQ(volume.pixel_type(), PixelType::f64);
    EXPECT_EQ(volume.value_at(0, 1, 2), 112.0 * 0.001 + -1.3);  // as numpy computes it
}

TEST(DicomRead, IdentityRescaleKeepsIntegers) {
    DicomBuilder builder = ct_slice(1);
    builder.text(0x0028, 0x1053, "DS", "1").text(0x0028, 0x1052, "DS", "0");
    EXPECT_EQ(read_memory(builder).pixel_type(), PixelType::i16);
}

TEST(DicomRead, Monochrome1IsKeptAndNoted) {
    DicomBuilder builder = ct_slice(0);
    builder.text(0x0028, 0x0004, "CS", "MONOCHROME1");
    const Volume volume = read_memory(builder);
    EXPECT_EQ(volume.value_at(0, 1, 1), 11);
    EXPECT_EQ(volume.metadata().at("photometric_interpretation"),
              "MONOCHROME1 (kept as stored: higher values are darker)");
}

TEST(DicomRead, RgbBecomesThreeChannels) {
    std::vector<std::uint8_t> rgb;
    for (int i = 0; i < 12; ++i) {
        rgb.push_back(std::uint8_t(i));
        rgb.push_back(std::uint8_t(100 + i));
        rgb.push_back(std::uint8_t(200 + i));
    }
    DicomBuilder builder = ct_slice(0);
    builder.us(0x0028, 0x0002, 3)
        .us(0x0028, 0x0006, 0)
        .text(0x0028, 0x0004, "CS", "RGB")
        .us(0x0028, 0x0100, 8)
        .us(0x0028, 0x0101, 8)
        .us(0x0028, 0x0102, 7)
        .us(0x0028, 0x0103, 0)
        .pixels(rgb);
    const Volume volume = read_memory(builder);
    EXPECT_EQ(volume.shape(), (Shape{1, 3, 4, 3}));
    EXPECT_EQ(volume.pixel_type(), PixelType::u8);
    EXPECT_EQ(volume.value_at(0, 1, 2, 0), 6);
    EXPECT_EQ(volume.value_at(0, 1, 2, 1), 106);
    EXPECT_EQ(volume.value_at(0, 1, 2, 2), 206);
    EXPECT_EQ(volume.channel_names(), (std::vector<std::string>{"R", "G", "B"}));
}

TEST(DicomRead, MultiFrameBecomesPlanes) {
    std::vector<std::uint16_t> values(3 * 4 * 5);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = std::uint16_t(i);
    DicomBuilder builder = ct_slice(0);
    builder.text(0x0028, 0x0008, "IS", "5")
        .text(0x0018, 0x0088, "DS", "2.25")
        .us(0x0028, 0x0103, 0)
        .pixels(values);
    const Volume volume = read_memory(builder);
    EXPECT_EQ(volume.shape(), (Shape{5, 3, 4, 1}));
    EXPECT_EQ(volume.pixel_type(), PixelType::u16);
    EXPECT_EQ(volume.value_at(4, 2, 3), 59);
    EXPECT_EQ(volume.spacing(), (Spacing{{2.25, 0.7, 0.8}, "mm", true}));
}

TEST(DicomErrors, ExactMessages) {
    VOX_EXPECT_THROW_MSG(read_memory(ct_slice(0).remove(0x0028, 0x0010)), FormatError,
                         "'slice.dcm': missing tag Rows (0028,0010)");
    VOX_EXPECT_THROW_MSG(read_memory(ct_slice(0).text(0x0028, 0x0030, "DS", "abc")), FormatError,
                         "'slice.dcm': bad value 'abc' in PixelSpacing (0028,0030)");
    VOX_EXPECT_THROW_MSG(read_memory(ct_slice(0).text(0x0020, 0x0032, "DS", "1\\2")), FormatError,
                         "'slice.dcm': ImagePositionPatient (0020,0032) has 2 values, expected 3");
    VOX_EXPECT_THROW_MSG(read_memory(ct_slice(0).us(0x0028, 0x0100, 1)), FormatError,
                         "'slice.dcm': BitsAllocated (0028,0100) 1 is not supported (8, 16 or 32)");
    VOX_EXPECT_THROW_MSG(read_memory(ct_slice(0).us(0x0028, 0x0002, 4)), FormatError,
                         "'slice.dcm': SamplesPerPixel (0028,0002) 4 is not supported (1 or 3)");
    VOX_EXPECT_THROW_MSG(read_memory(ct_slice(0).remove(0x7FE0, 0x0010)), FormatError,
                         "'slice.dcm': no PixelData (7FE0,0010): not an image");
    VOX_EXPECT_THROW_MSG(io::dicom_format().read(
                             io::Source::from_memory("junk.dcm", std::vector<std::byte>(300)), {}),
                         FormatError,
                         "'junk.dcm': not a DICOM file (no 'DICM' at offset 128, PS3.10 7.1)");
    // The header claims more pixels than the file holds.
    VOX_EXPECT_THROW_MSG(read_memory(ct_slice(0).us(0x0028, 0x0010, 30)), FormatError,
                         "'slice.dcm': PixelData (7FE0,0010) has 24 bytes, the header needs 240");
    // Structure errors are found before GDCM parses the file.
    std::vector<std::byte> cut = ct_slice(0).bytes();
    cut.resize(cut.size() - 10);
    VOX_EXPECT_THROW_MSG(
        io::dicom_format().read(io::Source::from_memory("cut.dcm", cut), {}), FormatError,
        "'cut.dcm': truncated or malformed DICOM: element (7FE0,0010) at offset 430 claims 24 "
        "bytes but 14 remain");
}

TEST(DicomErrors, TruncatedFilesFailCleanly) {
    DicomBuilder builder = ct_slice(3);
    builder.text(0x0028, 0x1053, "DS", "2.5").text(0x0028, 0x1052, "DS", "-1024");
    test::expect_truncations_fail_cleanly(
        builder.bytes(), "slice.dcm",
        [](const io::Source& source) { io::dicom_format().read(source, {}); });
}

TEST_F(DicomFolderTest, SeriesIsSortedByPositionNotName) {
    // Names and InstanceNumbers run opposite to the positions.
    for (int k = 0; k < 5; ++k) {
        DicomBuilder builder = ct_slice(k);
        builder.text(0x0020, 0x0013, "IS", std::to_string(5 - k));
        builder.write(path(fmt::format("im{}.dcm", 4 - k)));
    }
    const Volume volume = open_volume(folder());
    EXPECT_EQ(volume.shape(), (Shape{5, 3, 4, 1}));
    for (int k = 0; k < 5; ++k)
        EXPECT_EQ(volume.value_at(k, 0, 0), 100 * k);
    EXPECT_EQ(volume.spacing(), (Spacing{{1.5, 0.7, 0.8}, "mm", true}));
    EXPECT_EQ(volume.metadata().at("slice_order"), "ImagePositionPatient");
    EXPECT_EQ(volume.metadata().at("files"), "5");
    EXPECT_EQ((*volume.affine())[11], 0);  // origin at the lowest slice
}

TEST_F(DicomFolderTest, MemoryLimitIsCheckedBeforeDecoding) {
    for (int k = 0; k < 3; ++k) {
        DicomBuilder builder = ct_slice(k);
        builder.us(0x0028, 0x0010, 100).us(0x0028, 0x0011, 100);
        builder.pixels(std::vector<std::int16_t>(100 * 100)).text(0x0028, 0x1053, "DS", "0.001");
        builder.text(0x0028, 0x1052, "DS", "0").write(path(fmt::format("im{}.dcm", k)));
    }
    const std::int64_t limit = memory_limit();
    set_memory_limit(100 << 10);
    VOX_EXPECT_THROW_MSG(open_volume(folder()), LimitError,
                         fmt::format("'{}': a 3x100x100x1 f64 volume needs 234.4 KiB, over the "
                                     "memory limit of 100.0 KiB",
                                     path("im0.dcm")));
    set_memory_limit(limit);
}

TEST_F(DicomFolderTest, PerSliceRescale) {
    for (int k = 0; k < 3; ++k) {
        DicomBuilder builder = ct_slice(k);
        builder.text(0x0028, 0x1053, "DS", k == 1 ? "2" : "1").text(0x0028, 0x1052, "DS", "0");
        builder.write(path(fmt::format("im{}.dcm", k)));
    }
    const Volume volume = open_volume(folder());
    EXPECT_EQ(volume.pixel_type(), PixelType::f32);
    EXPECT_EQ(volume.value_at(0, 0, 1), 1);
    EXPECT_EQ(volume.value_at(1, 0, 1), 202);
    EXPECT_EQ(volume.value_at(2, 0, 1), 201);
    EXPECT_EQ(volume.metadata().at("rescale"),
              "per slice (each slice's RescaleSlope and RescaleIntercept)");
}

TEST_F(DicomFolderTest, InstanceNumberWhenPositionsAreMissing) {
    for (int k = 0; k < 3; ++k) {
        DicomBuilder builder = ct_slice(k);
        builder.remove(0x0020, 0x0032).text(0x0020, 0x0013, "IS", std::to_string(3 - k));
        builder.write(path(fmt::format("im{}.dcm", k)));
    }
    const Volume volume = open_volume(folder());
    EXPECT_EQ(volume.value_at(0, 0, 0), 200);
    EXPECT_EQ(volume.metadata().at("slice_order"), "InstanceNumber (ImagePositionPatient missing)");
    EXPECT_FALSE(volume.affine().has_value());
}

TEST_F(DicomFolderTest, LargestSeriesIsReadAndOthersSkipped) {
    for (int k = 0; k < 3; ++k)
        ct_slice(k, "1.2.3.100").write(path(fmt::format("a{}.dcm", k)));
    ct_slice(0, "1.2.3.200").write(path("b0.dcm"));
    ct_slice(0).remove(0x7FE0, 0x0010).write(path("c_no_pixels.dcm"));
    std::ofstream(path("notes.txt")) << "not DICOM";
    // Without an extension it may be DICOM, and it sorts before the series.
    std::ofstream(path("README")) << "not DICOM either";
    const Volume volume = open_volume(folder());
    EXPECT_EQ(volume.shape().z, 3);
    EXPECT_EQ(volume.metadata().at("series_note"),
              "2 series found; read 1.2.3.100 (3 files), not 1.2.3.200 (1 files)");
    // The folder scan leaves notes.txt out; the series reader skips the other two.
    EXPECT_EQ(volume.metadata().at("skipped_files"), "2");
}

TEST_F(DicomFolderTest, NonUniformSpacingUsesTheMean) {
    const double positions[] = {0, 1, 3};
    for (int k = 0; k < 3; ++k) {
        DicomBuilder builder = ct_slice(k);
        builder.text(0x0020, 0x0032, "DS", fmt::format("0\\0\\{}", positions[k]));
        builder.write(path(fmt::format("im{}.dcm", k)));
    }
    const Volume volume = open_volume(folder());
    EXPECT_EQ(volume.spacing().zyx[0], 1.5);
    EXPECT_EQ(volume.metadata().at("slice_spacing"),
              "non-uniform: gaps from 1 to 2 mm, the mean 1.5 mm is used");
}

TEST_F(DicomFolderTest, MismatchNamesTheFile) {
    ct_slice(0).write(path("im0.dcm"));
    ct_slice(1).write(path("im1.dcm"));
    DicomBuilder odd = ct_slice(2);
    odd.us(0x0028, 0x0011, 2).pixels(std::vector<std::int16_t>(6));
    odd.write(path("im2.dcm"));
    VOX_EXPECT_THROW_MSG(open_volume(folder()), FormatError,
                         fmt::format("'{}': Columns (0028,0011) is 2 but 4 in '{}'",
                                     path("im2.dcm"), path("im0.dcm")));
    DicomBuilder tilted = ct_slice(2);
    tilted.text(0x0020, 0x0037, "DS", "1\\0\\0\\0\\0\\1");
    tilted.write(path("im2.dcm"));
    VOX_EXPECT_THROW_MSG(open_volume(folder()), FormatError,
                         fmt::format("'{}': ImageOrientationPatient (0020,0037) is [1, 0, 0, 0, "
                                     "0, 1] but [1, 0, 0, 0, 1, 0] in '{}'",
                                     path("im2.dcm"), path("im0.dcm")));
}

TEST_F(DicomFolderTest, DuplicatePositionsAreRefused) {
    ct_slice(0).write(path("im0.dcm"));
    ct_slice(0).write(path("im1.dcm"));
    VOX_EXPECT_THROW_MSG(
        open_volume(folder()), FormatError,
        fmt::format("'{}' and '{}' have the same position along the slice normal (0 mm): "
                    "several volumes in one series are not supported",
                    path("im0.dcm"), path("im1.dcm")));
}

TEST_F(DicomFolderTest, FolderWithoutImages) {
    ct_slice(0).remove(0x7FE0, 0x0010).write(path("a.dcm"));
    VOX_EXPECT_THROW_MSG(open_volume(folder()), FormatError,
                         fmt::format("'{}': no DICOM image among 1 file", path("a.dcm")));
}

TEST_F(DicomFolderTest, CorruptSliceInSeriesNamesTheFile) {
    ct_slice(0).write(path("im0.dcm"));
    std::vector<std::byte> bytes = ct_slice(1).bytes();
    bytes.resize(bytes.size() - 10);  // pixel data cut short
    std::ofstream(path("im1.dcm"), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    EXPECT_THROW(open_volume(folder()), FormatError);
}

}  // namespace
}  // namespace vox
