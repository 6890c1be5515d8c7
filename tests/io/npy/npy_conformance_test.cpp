// Reads every case that make_cases.py wrote with numpy and compares with what numpy read; writes
// each back with our writer for make_cases.py's "check" step. The case folder is the first
// command-line argument (ctest passes it).
#include <gtest/gtest.h>

#include "nrrd/peer_cases.h"

namespace {

std::string g_case_folder;

TEST(NpyConformanceTest, ReadsWhatThePeerReads) {
    EXPECT_GT(vox::test::run_peer_cases(g_case_folder), 5);
}

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CASE_FOLDER\n", argv[0]);
        return 2;
    }
    g_case_folder = argv[1];
    return RUN_ALL_TESTS();
}
