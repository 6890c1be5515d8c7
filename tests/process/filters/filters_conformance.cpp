// Compares voxscope's filters with what filters_cases.py had scipy, scikit-image and
// numpy compute on the same inputs. The case folder is the first argument (ctest
// passes it). Integer results must match exactly; float results within 1e-6 relative,
// plus 1e-9 of the largest magnitude in the case so that values that cancel to about
// zero (smoothed signed noise, std of a constant) are judged on the volume's scale.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "vox/filters.h"
#include "vox/io.h"

namespace vox {
namespace {

std::string g_folder;

Volume run_case(const nlohmann::json& test_case, const Volume& input) {
    const std::string op = test_case["op"];
    const nlohmann::json& p = test_case["params"];
    if (op == "gaussian") {
        GaussianOptions options;
        options.preserve_range = p["preserve_range"];
        const std::array<double, 3> sigma{p["sigma"][0], p["sigma"][1], p["sigma"][2]};
        if (p.contains("spacing")) {
            Volume spaced = input;
            spaced.set_spacing({{p["spacing"][0], p["spacing"][1], p["spacing"][2]}, "µm", true});
            options.unit = SigmaUnit::physical;
            return gaussian(spaced, sigma, options);
        }
        return gaussian(input, sigma, options);
    }
    if (op == "median") return median(input, p["radius"].get<std::int64_t>());
    std::optional<Slab> slab;
    if (p.contains("slab")) slab = Slab{p["slab"][0], p["slab"][1]};
    return project(input, Axis(p["axis"].get<int>()),
                   parse_project_mode(p["mode"].get<std::string>()), slab);
}

TEST(FiltersConformance, MatchesPeers) {
    std::ifstream file(g_folder + "/manifest.json");
    ASSERT_TRUE(file) << "no manifest in " << g_folder;
    const nlohmann::json manifest = nlohmann::json::parse(file);
    int checked = 0;
    for (const nlohmann::json& test_case : manifest["cases"]) {
        const std::string name = test_case["name"];
        SCOPED_TRACE(name);
        const Volume input = open_volume(g_folder + "/" + test_case["input"].get<std::string>());
        const Volume expected =
            open_volume(g_folder + "/" + test_case["expected"].get<std::string>());
        const Volume ours = run_case(test_case, input);
        ASSERT_EQ(ours.shape(), expected.shape());
        ASSERT_EQ(ours.pixel_type(), expected.pixel_type())
            << pixel_type_name(ours.pixel_type()) << " vs "
            << pixel_type_name(expected.pixel_type());
        const bool exact =
            !is_float(expected.pixel_type()) ||
            (test_case["op"] != "gaussian" && !is_float(input.pixel_type()) &&
             (test_case["params"].value("mode", "") == "sum" || test_case["op"] == "median")) ||
            test_case["op"] == "median" || test_case["params"].value("mode", "") == "max" ||
            test_case["params"].value("mode", "") == "min";
        const Shape& s = ours.shape();
        const Volume a = ours.contiguous();
        double scale = 0;
        for (std::int64_t c = 0; c < s.c; ++c)
            for (std::int64_t z = 0; z < s.z; ++z)
                for (std::int64_t y = 0; y < s.y; ++y)
                    for (std::int64_t x = 0; x < s.x; ++x)
                        scale = std::max(scale, std::abs(expected.value_at(z, y, x, c)));
        std::int64_t bad = 0;
        double worst = 0;
        for (std::int64_t c = 0; c < s.c; ++c) {
            for (std::int64_t z = 0; z < s.z; ++z) {
                for (std::int64_t y = 0; y < s.y; ++y) {
                    for (std::int64_t x = 0; x < s.x; ++x) {
                        const double o = a.value_at(z, y, x, c);
                        const double e = expected.value_at(z, y, x, c);
                        if (std::isnan(o) && std::isnan(e)) continue;
                        const double d = std::abs(o - e);
                        const double tol = exact ? 0.0 : 1e-6 * std::abs(e) + 1e-9 * scale;
                        if (!(d <= tol)) {
                            if (bad == 0) {
                                ADD_FAILURE()
                                    << "first difference at (" << z << ", " << y << ", " << x
                                    << ", " << c << "): ours " << o << ", peer " << e;
                            }
                            ++bad;
                        }
                        if (e != 0) worst = std::max(worst, d / std::abs(e));
                    }
                }
            }
        }
        EXPECT_EQ(bad, 0) << "values out of tolerance";
        std::printf("%-60s %s worst relative difference %.3g\n", name.c_str(),
                    exact ? "exact" : "float", worst);
        ++checked;
    }
    EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace vox

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc > 1) vox::g_folder = argv[1];
    return RUN_ALL_TESTS();
}
