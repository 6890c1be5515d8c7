// Runs voxscope on the inputs that tests/conformance/make_cases.py gave to numpy and
// scikit-image, and compares with what they computed. The case folder is the first
// command-line argument (ctest passes it) or $VOX_CONFORMANCE_CASES.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vox/convert.h"
#include "vox/stats.h"

namespace vox {
namespace {

std::string g_case_folder;

nlohmann::json load_manifest() {
    std::ifstream file(g_case_folder + "/manifest.json");
    if (!file) throw std::runtime_error("no manifest in '" + g_case_folder + "'");
    return nlohmann::json::parse(file);
}

// Reads a raw little-endian, channel-major file written by make_cases.py.
Volume read_raw(const std::string& name, PixelType type, const nlohmann::json& shape) {
    Volume volume = Volume::allocate({shape[0], shape[1], shape[2], shape[3]}, type);
    std::ifstream file(g_case_folder + "/" + name, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
                                  std::istreambuf_iterator<char>());
    if (std::int64_t(bytes.size()) != volume.size_bytes()) {
        throw std::runtime_error(name + ": size does not match the shape");
    }
    visit(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        std::memcpy(volume.mutable_view<T>().origin, bytes.data(), bytes.size());
    });
    return volume;
}

// The input of a statistics case: the whole volume, or the one channel the case names.
Volume case_volume(const nlohmann::json& test_case) {
    const PixelType type = parse_pixel_type(test_case["dtype"].get<std::string>());
    const Volume volume = read_raw(test_case["input"], type, test_case["shape"]);
    return test_case.contains("channel") ? volume.channel(test_case["channel"].get<int>()) : volume;
}

// Same value, or both NaN.
bool same_value(double ours, double theirs) {
    return ours == theirs || (std::isnan(ours) && std::isnan(theirs));
}

TEST(ConformanceTest, PercentilesMatchNumpy) {
    const nlohmann::json manifest = load_manifest();
    int checked = 0;
    for (const auto& test_case : manifest["percentile"]) {
        const std::string name = test_case["name"];
        const Volume volume = case_volume(test_case);
        const auto q = test_case["q"].get<std::vector<double>>();
        const auto expected = test_case["expected"].get<std::vector<double>>();
        const std::vector<double> ours = percentiles(volume, q);
        for (std::size_t i = 0; i < q.size(); ++i) {
            // Same operations as numpy in the same order: exact for every type.
            EXPECT_TRUE(same_value(ours[i], expected[i]))
                << name << " q=" << q[i] << ": voxscope " << ours[i] << ", numpy " << expected[i];
        }
        ++checked;
    }
    EXPECT_GT(checked, 60);
}

TEST(ConformanceTest, StatisticsMatchNumpy) {
    const nlohmann::json manifest = load_manifest();
    int checked = 0;
    for (const auto& test_case : manifest["percentile"]) {
        const std::string name = test_case["name"];
        const Volume volume = case_volume(test_case);
        const auto expected = test_case["stats"].get<std::vector<double>>();
        const ValueStats stats = compute_stats(volume).global;
        EXPECT_EQ(stats.min, expected[0]) << name;
        EXPECT_EQ(stats.max, expected[1]) << name;
        // Different, equally valid summation orders: agree to 1e-12 relative for the mean and
        // 1e-9 for the std, which loses digits when the mean dwarfs the spread.
        EXPECT_NEAR(stats.mean, expected[2], 1e-12 * std::max(1.0, std::fabs(expected[2]))) << name;
        EXPECT_NEAR(stats.std, expected[3], 1e-9 * std::max(1.0, std::fabs(expected[3]))) << name;
        ++checked;
    }
    EXPECT_GT(checked, 60);
}

// Where scikit-image's own arithmetic overflows, its answer is not a valid oracle.
bool is_skimage_overflow(const std::string& name, double input, PixelType target) {
    // f32 -> u32/i32: 1.0 * 4294967295 rounds to 2^32 in float32 and numpy's cast of that
    // to a 32-bit integer overflows (x86 gives 0 or INT_MIN). voxscope saturates.
    const bool float32_source = name.rfind("float32_", 0) == 0;
    return float32_source && (target == PixelType::u32 || target == PixelType::i32) &&
           std::fabs(input) >= 0.99999;
}

TEST(ConformanceTest, ConversionsMatchScikitImage) {
    const nlohmann::json manifest = load_manifest();
    int checked = 0;
    for (const auto& test_case : manifest["convert"]) {
        const std::string name = test_case["name"];
        const PixelType type = parse_pixel_type(test_case["dtype"].get<std::string>());
        const PixelType target = parse_pixel_type(test_case["target"].get<std::string>());
        const Volume input = read_raw(test_case["input"], type, test_case["shape"]);
        if (test_case.contains("error")) {
            try {
                convert_like_skimage(input, target);
                ADD_FAILURE() << name << ": scikit-image raised, voxscope did not";
            } catch (const ValueError& error) {
                EXPECT_EQ(std::string(error.what())
                              .rfind(test_case["error"].get<std::string>().substr(0, 45), 0),
                          0u)
                    << name << ": " << error.what();
            }
            continue;
        }
        const Volume ours = convert_like_skimage(input, target);
        const Volume theirs = read_raw(test_case["expected"], target, test_case["shape"]);
        ASSERT_EQ(ours.pixel_type(), target) << name;
        int mismatches = 0;
        for (std::int64_t x = 0; x < input.shape().x; ++x) {
            const double value = input.value_at(0, 0, x);
            if (is_skimage_overflow(name, value, target)) continue;
            if (!same_value(ours.value_at(0, 0, x), theirs.value_at(0, 0, x)) &&
                ++mismatches <= 3) {
                ADD_FAILURE() << name << " at " << x << ": input " << value << ", voxscope "
                              << ours.value_at(0, 0, x) << ", scikit-image "
                              << theirs.value_at(0, 0, x);
            }
        }
        EXPECT_EQ(mismatches, 0) << name;
        ++checked;
    }
    EXPECT_GT(checked, 90);
}

}  // namespace
}  // namespace vox

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc > 1) {
        vox::g_case_folder = argv[1];
    } else if (const char* folder = std::getenv("VOX_CONFORMANCE_CASES")) {
        vox::g_case_folder = folder;
    } else {
        std::fprintf(stderr, "usage: conformance_test CASE_FOLDER\n");
        return 2;
    }
    return RUN_ALL_TESTS();
}
