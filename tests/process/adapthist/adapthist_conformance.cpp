// Conformance of equalize_adapthist against skimage.exposure.equalize_adapthist 0.19.3.
// The cases come from make_cases.py (see there); run as: vox_adapthist_conformance DIR.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"
#include "vox/adapthist.h"
#include "vox/io.h"

namespace {

std::string g_dir;

struct Case {
    std::string name, input, expected;
    vox::KernelSize kernel{};
    double clip_limit = 0;
    std::int64_t nbins = 0;
};

std::vector<Case> read_cases() {
    std::vector<Case> cases;
    std::ifstream listing(g_dir + "/cases.txt");
    std::string line;
    while (std::getline(listing, line)) {
        std::istringstream fields(line);
        Case c;
        fields >> c.name >> c.input >> c.kernel[0] >> c.kernel[1] >> c.kernel[2] >> c.clip_limit >>
            c.nbins >> c.expected;
        if (c.input.front() != '/') c.input = g_dir + "/" + c.input;
        cases.push_back(c);
    }
    return cases;
}

// skimage's result is an integer CLAHE output rescaled by its own range, computed in the
// same f32/f64 operations we use: the values match exactly, not just to 1e-6.
TEST(AdapthistConformance, MatchesSkimage) {
    const std::vector<Case> cases = read_cases();
    ASSERT_EQ(cases.size(), 23u);
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const vox::Volume input = vox::open_volume(c.input);
        const vox::Volume expected = vox::open_volume(g_dir + "/" + c.expected);
        const std::optional<vox::KernelSize> kernel =
            c.kernel == vox::KernelSize{0, 0, 0} ? std::nullopt
                                                 : std::optional<vox::KernelSize>(c.kernel);
        const vox::Volume actual = vox::equalize_adapthist(input, kernel, c.clip_limit, c.nbins);
        ASSERT_EQ(actual.pixel_type(), expected.pixel_type());
        ASSERT_EQ(actual.shape(), expected.shape());
        EXPECT_EQ(actual.spacing(), input.spacing());
        const std::vector<double> a = vox::test::values_of(actual);
        const std::vector<double> e = vox::test::values_of(expected);
        std::int64_t mismatches = 0;
        double worst = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (a[i] != e[i]) {
                ++mismatches;
                worst = std::max(worst, std::abs(a[i] - e[i]));
            }
        EXPECT_EQ(mismatches, 0) << "largest difference " << worst << " of " << a.size();
    }
}

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CASES_DIR\n", argv[0]);
        return 2;
    }
    g_dir = argv[1];
    return RUN_ALL_TESTS();
}
