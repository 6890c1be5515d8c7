// Geometry conformance: resize, rescale and block_mean against scikit-image 0.19.3 / scipy
// on the cases make_geometry_cases.py wrote (samples, random volumes of several types, the
// MRI of the tutorial). Integer results must match exactly, float results within 1e-6
// relative (plus 1e-12 of the largest magnitude, for values that cancel to about zero).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "vox/geometry.h"
#include "vox/io.h"
#include "vox/pixel_type.h"

namespace {

std::filesystem::path g_folder;

vox::Volume open_input(const std::string& path) {
    const std::filesystem::path p = path;
    return vox::open_volume(p.is_absolute() ? p.string() : (g_folder / p).string());
}

TEST(GeometryConformance, AllCases) {
    std::ifstream file(g_folder / "cases.json");
    ASSERT_TRUE(file) << "no cases.json in " << g_folder;
    const nlohmann::json cases = nlohmann::json::parse(file);
    ASSERT_GT(cases.size(), 40u);
    for (const auto& item : cases) {
        const std::string name = item["name"];
        SCOPED_TRACE(name);
        const vox::Volume input = open_input(item["input"]);
        const std::string op = item["op"];
        vox::Volume actual;
        if (op == "resize" || op == "rescale") {
            vox::ResizeOptions options;
            options.order = item["order"];
            if (item.contains("mode"))
                options.mode = vox::parse_resize_mode(item["mode"].get<std::string>());
            if (item.contains("anti_aliasing") && !item["anti_aliasing"].is_null()) {
                options.anti_aliasing = item["anti_aliasing"].get<bool>();
            }
            if (op == "resize") {
                const auto shape = item["shape"].get<std::array<std::int64_t, 3>>();
                actual = vox::resize(input, shape, options);
            } else {
                const auto factors = item["factors"].get<std::array<double, 3>>();
                actual = vox::rescale(input, factors, options);
            }
        } else {
            const auto factors = item["factors"].get<std::array<std::int64_t, 3>>();
            actual = vox::block_mean(input, factors);
        }
        const vox::Volume expected =
            vox::open_volume((g_folder / item["expected"].get<std::string>()).string());
        ASSERT_EQ(std::string(vox::numpy_dtype_name(actual.pixel_type())),
                  item["dtype"].get<std::string>());
        ASSERT_EQ(actual.shape(), expected.shape());
        const vox::Shape& shape = expected.shape();
        double largest = 0.0;
        for (std::int64_t c = 0; c < shape.c; ++c)
            for (std::int64_t z = 0; z < shape.z; ++z)
                for (std::int64_t y = 0; y < shape.y; ++y)
                    for (std::int64_t x = 0; x < shape.x; ++x)
                        largest = std::max(largest, std::abs(expected.value_at(z, y, x, c)));
        const bool exact = !vox::is_float(expected.pixel_type());
        std::int64_t bad = 0;
        double worst = 0.0;
        for (std::int64_t c = 0; c < shape.c; ++c)
            for (std::int64_t z = 0; z < shape.z; ++z)
                for (std::int64_t y = 0; y < shape.y; ++y)
                    for (std::int64_t x = 0; x < shape.x; ++x) {
                        const double a = actual.value_at(z, y, x, c);
                        const double b = expected.value_at(z, y, x, c);
                        const double tolerance = exact ? 0.0 : 1e-6 * std::abs(b) + 1e-12 * largest;
                        const double error = std::abs(a - b);
                        if (!(error <= tolerance)) {
                            if (bad < 3) {
                                ADD_FAILURE() << "at (" << z << ", " << y << ", " << x << ", " << c
                                              << "): " << a << " vs skimage " << b;
                            }
                            ++bad;
                        }
                        worst = std::max(worst, b != 0.0 ? error / std::abs(b) : error);
                    }
        EXPECT_EQ(bad, 0) << "mismatches; worst relative error " << worst;
    }
}

}  // namespace

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: vox_geometry_conformance CASES_FOLDER\n");
        return 2;
    }
    g_folder = argv[1];
    return RUN_ALL_TESTS();
}
