#include "vox/progress.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "vox/parallel.h"

namespace vox {
namespace {

struct Recorder {
    std::vector<double> fractions;
    std::string task;
};

TEST(ProgressTest, ReportsMonotonicFractionsEndingAtOne) {
    Recorder recorder;
    set_progress_reporter([&](std::string_view task, double fraction) {
        recorder.task = task;
        recorder.fractions.push_back(fraction);
    });
    {
        Progress progress("work", 1000);
        parallel_for(0, 1000, 7,
                     [&](std::int64_t begin, std::int64_t end) { progress.advance(end - begin); });
    }
    set_progress_reporter(nullptr);
    EXPECT_EQ(recorder.task, "work");
    ASSERT_FALSE(recorder.fractions.empty());
    EXPECT_LE(recorder.fractions.size(), 101u);
    for (std::size_t i = 1; i < recorder.fractions.size(); ++i) {
        EXPECT_GE(recorder.fractions[i], recorder.fractions[i - 1]);
    }
    EXPECT_EQ(recorder.fractions.back(), 1.0);
}

TEST(ProgressTest, UnfinishedWorkDoesNotReportCompletion) {
    Recorder recorder;
    set_progress_reporter(
        [&](std::string_view, double fraction) { recorder.fractions.push_back(fraction); });
    {
        Progress progress("partial", 10);
        progress.advance(5);
    }
    set_progress_reporter(nullptr);
    ASSERT_EQ(recorder.fractions.size(), 1u);
    EXPECT_EQ(recorder.fractions[0], 0.5);
}

TEST(ProgressTest, SilentWithoutReporter) {
    Progress progress("quiet", 3);
    progress.advance(3);  // nothing installed: must simply not crash
    SUCCEED();
}

}  // namespace
}  // namespace vox
