// Conformance of the NIfTI/Analyze reader and writer with nibabel 5.0.
//
// `read`: reads every case make_cases.py listed with vox::open_volume and compares shape,
// dtype, spacing, affine and every voxel with what nibabel read. `write`: writes volumes with
// our writer for check_roundtrip.py, which reads them with nibabel. The case folder is the
// first command-line argument (ctest passes it).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_util.h"
#include "vox/io.h"

namespace vox {
namespace {

std::string g_cases;

nlohmann::json load_manifest(const std::string& folder) {
    std::ifstream file(folder + "/manifest.json");
    if (!file) throw std::runtime_error("no manifest in '" + folder + "'");
    return nlohmann::json::parse(file);
}

std::vector<char> file_bytes(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

ReadOptions options_of(const nlohmann::json& json) {
    ReadOptions options;
    options.time_point = json.value("time_point", 0);
    options.time_as_channels = json.value("time_as_channels", false);
    options.canonical = json.value("canonical", false);
    return options;
}

// Bytes of the voxels, packed channel by channel (z, y, x; x fastest).
std::vector<char> packed_bytes(const Volume& volume) {
    const Volume packed = volume.contiguous();
    std::vector<char> bytes(std::size_t(packed.size_bytes()));
    visit(packed.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        std::memcpy(bytes.data(), packed.view<T>().origin, bytes.size());
    });
    return bytes;
}

TEST(NiftiConformance, ReadsWhatNibabelReads) {
    const nlohmann::json manifest = load_manifest(g_cases);
    int compared = 0;
    for (const auto& test_case : manifest["cases"]) {
        const std::string name = test_case["name"];
        SCOPED_TRACE(name);
        const std::string path = test_case["path"];
        const ReadOptions options = options_of(test_case["options"]);
        if (test_case.contains("error")) {
            try {
                (void)open_volume(path, options);
                ADD_FAILURE() << name << ": no error";
            } catch (const Error& error) {
                EXPECT_EQ(std::string(error.what()), test_case["error"].get<std::string>());
            }
            ++compared;
            continue;
        }
        Volume volume;
        try {
            volume = open_volume(path, options);
        } catch (const Error& error) {
            ADD_FAILURE() << name << ": " << error.what();
            continue;
        }
        const auto& shape = test_case["shape"];
        EXPECT_EQ(volume.shape(), (Shape{shape[0], shape[1], shape[2], shape[3]}));
        EXPECT_EQ(numpy_dtype_name(volume.pixel_type()), test_case["dtype"].get<std::string>());
        for (std::size_t axis = 0; axis < 3; ++axis)
            EXPECT_EQ(volume.spacing().zyx[axis], test_case["spacing_zyx"][axis].get<double>());
        ASSERT_TRUE(volume.affine().has_value());
        const bool canonical = options.canonical;
        for (std::size_t i = 0; i < 16; ++i) {
            const double theirs = test_case["affine"][i].get<double>();
            const double ours = (*volume.affine())[i];
            if (canonical) {
                // numpy's BLAS product may round the translation differently (FMA).
                EXPECT_NEAR(ours, theirs, 1e-12 * std::max(1.0, std::abs(theirs))) << i;
            } else {
                EXPECT_EQ(ours, theirs) << "affine element " << i;
            }
        }
        if (volume.shape() == Shape{shape[0], shape[1], shape[2], shape[3]}) {
            const std::vector<char> expected =
                file_bytes(g_cases + "/" + test_case["raw"].get<std::string>());
            EXPECT_TRUE(packed_bytes(volume) == expected) << name << ": voxels differ";
        }
        ++compared;
    }
    EXPECT_GT(compared, 50);
}

// Volumes for the nibabel round trip: read cases and synthetic ones, written as .nii and .nii.gz.
TEST(NiftiConformance, WritesFilesForNibabel) {
    const std::string folder = g_cases + "/roundtrip";
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    nlohmann::json cases = nlohmann::json::array();
    const auto add = [&](const std::string& name, const Volume& volume) {
        for (const std::string extension : {".nii", ".nii.gz"}) {
            const std::string path = folder + "/" + name + extension;
            write_volume(volume, path);
            const std::string raw = name + extension + ".raw";
            const std::vector<char> bytes = packed_bytes(volume);
            std::ofstream(folder + "/" + raw, std::ios::binary)
                .write(bytes.data(), std::streamsize(bytes.size()));
            nlohmann::json affine = nullptr;
            if (volume.affine())
                affine = std::vector<double>(volume.affine()->begin(), volume.affine()->end());
            const Spacing& spacing = volume.spacing();
            cases.push_back(
                {{"name", name + extension},
                 {"path", path},
                 {"raw", raw},
                 {"shape",
                  {volume.shape().z, volume.shape().y, volume.shape().x, volume.shape().c}},
                 {"dtype", std::string(numpy_dtype_name(volume.pixel_type()))},
                 {"spacing_zyx", spacing.zyx},
                 {"spacing_known", spacing.known},
                 {"unit", spacing.unit},
                 {"affine", affine}});
            // Our own reader reads back the same volume.
            const Volume back = open_volume(path);
            EXPECT_EQ(back.shape(), volume.shape()) << path;
            EXPECT_EQ(back.pixel_type(), volume.pixel_type()) << path;
            for (std::size_t axis = 0; axis < 3; ++axis) {
                // NIfTI-1 stores float32 (NIfTI-2 sources have float64 spacing).
                EXPECT_EQ(back.spacing().zyx[axis], double(float(volume.spacing().zyx[axis])))
                    << path;
            }
            EXPECT_TRUE(packed_bytes(back) == bytes) << path;
        }
    };
    const nlohmann::json manifest = load_manifest(g_cases);
    for (const auto& test_case : manifest["cases"]) {
        const std::string name = test_case["name"];
        if (test_case.contains("error") || name.find("_t1") != std::string::npos) continue;
        if (name.starts_with("real_") || name.starts_with("dtype_") ||
            name.starts_with("scaled_") || name == "rgb" || name == "vector" ||
            name == "time_vector_channels" || name == "zip_analyze" || name == "qform_only" ||
            name == "permuted_canonical") {
            add(name, open_volume(test_case["path"].get<std::string>(),
                                  options_of(test_case["options"])));
        }
    }
    Volume microns = test::make_volume<std::uint16_t>(
        {6, 5, 4, 2},
        [](auto z, auto y, auto x, auto c) { return 1000 * c + 100 * z + 10 * y + x; });
    microns.set_spacing({{2.5, 0.5, 0.25}, "µm", true});
    add("synthetic_microns_2ch", microns);
    Volume unknown = test::make_volume<float>({3, 4, 5, 1}, [](auto z, auto y, auto x, auto) {
        return 0.5f * float(z) - float(y) + 0.25f * float(x);
    });
    add("synthetic_no_spacing", unknown);
    std::ofstream(folder + "/manifest.json") << nlohmann::json{{"cases", cases}}.dump(1);
}

}  // namespace
}  // namespace vox

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc > 1) vox::g_cases = argv[1];
    if (vox::g_cases.empty()) {
        std::fprintf(stderr, "usage: %s CASE_FOLDER\n", argv[0]);
        return 2;
    }
    return RUN_ALL_TESTS();
}
