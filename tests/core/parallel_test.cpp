#include "vox/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <vector>

#include "vox/error.h"

namespace vox {
namespace {

TEST(ParallelTest, CoversTheRangeExactlyOnce) {
    std::vector<std::atomic<int>> hits(10007);
    parallel_for(0, 10007, 13, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i)
            ++hits[std::size_t(i)];
    });
    for (const auto& hit : hits)
        EXPECT_EQ(hit.load(), 1);
}

TEST(ParallelTest, EmptyAndReversedRangesDoNothing) {
    int calls = 0;
    parallel_for(5, 5, 1, [&](std::int64_t, std::int64_t) { ++calls; });
    parallel_for(5, 2, 1, [&](std::int64_t, std::int64_t) { ++calls; });
    EXPECT_EQ(calls, 0);
}

TEST(ParallelTest, ThreadCountCanBeLimited) {
    set_thread_count(1);
    EXPECT_EQ(thread_count(), 1);
    std::atomic<int> active{0};
    std::atomic<int> most{0};
    parallel_for(0, 64, 1, [&](std::int64_t, std::int64_t) {
        const int now = ++active;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        --active;
    });
    EXPECT_EQ(most.load(), 1);
    set_thread_count(0);
    EXPECT_GE(thread_count(), 1);
}

TEST(ParallelTest, ExceptionsPropagateToTheCaller) {
    EXPECT_THROW(parallel_for(0, 1000, 1,
                              [](std::int64_t begin, std::int64_t) {
                                  if (begin == 500) throw ValueError("chunk 500");
                              }),
                 ValueError);
}

TEST(ParallelTest, InterruptStopsTheLoop) {
    clear_interrupt();
    std::atomic<int> chunks{0};
    EXPECT_THROW(parallel_for(0, 100000, 1,
                              [&](std::int64_t, std::int64_t) {
                                  if (++chunks == 10) request_interrupt();
                              }),
                 Interrupted);
    EXPECT_LT(chunks.load(), 100000);
    EXPECT_TRUE(interrupt_requested());
    // A request made before the loop stops it before any chunk runs.
    int calls = 0;
    EXPECT_THROW(parallel_for(0, 10, 1, [&](std::int64_t, std::int64_t) { ++calls; }), Interrupted);
    EXPECT_EQ(calls, 0);
    clear_interrupt();
    EXPECT_NO_THROW(throw_if_interrupted());
}

}  // namespace
}  // namespace vox
