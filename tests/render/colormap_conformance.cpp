// Compares voxscope's colormaps with matplotlib's: Colormap::at(x) must equal
// cmap(x, bytes=True) exactly for every sample make_colormap_cases.py wrote.
// Usage: vox_colormap_conformance DIR (ctest passes the case folder).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vox/display.h"

namespace vox {
namespace {

std::string g_folder;

TEST(ColormapConformance, EqualsMatplotlibBytes) {
    std::ifstream file(g_folder + "/colormaps.json");
    ASSERT_TRUE(file) << "no colormaps.json in " << g_folder;
    const nlohmann::json cases = nlohmann::json::parse(file);
    const std::vector<double> x = cases["x"];
    ASSERT_GT(x.size(), 3000u);
    int maps = 0;
    for (const auto& [name, expected] : cases["maps"].items()) {
        SCOPED_TRACE(name);
        const Colormap& map = colormap(name);
        ASSERT_EQ(expected.size(), x.size());
        int differences = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const std::array<std::uint8_t, 3> ours = map.at(x[i]);
            for (int k = 0; k < 3; ++k) {
                if (int(ours[k]) != expected[i][k].get<int>() && ++differences <= 5)
                    ADD_FAILURE() << name << " at x = " << x[i] << " component " << k << ": "
                                  << int(ours[k]) << ", matplotlib " << expected[i][k];
            }
        }
        EXPECT_EQ(differences, 0);
        ++maps;
    }
    EXPECT_EQ(maps, 14);
}

}  // namespace
}  // namespace vox

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: vox_colormap_conformance DIR\n");
        return 2;
    }
    vox::g_folder = argv[1];
    return RUN_ALL_TESTS();
}
