// The shared histogram kernel (16-bit values read four per word on AMD CPUs): counts of
// every 8/16-bit value equal a plain one-at-a-time count, for packed volumes and strided
// views, on one thread or all of them, and again on the next call (the lanes go back to
// the pool zeroed).
#include "value_counts.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "test_util.h"
#include "vox/parallel.h"

namespace vox::detail {
namespace {

template <typename T>
std::vector<std::int64_t> count_one_at_a_time(const VolumeView<const T>& view) {
    std::vector<std::int64_t> counts(std::size_t(ValueCounter<T>::kValues), 0);
    const Shape& shape = view.shape;
    for (std::int64_t c = 0; c < shape.c; ++c)
        for (std::int64_t z = 0; z < shape.z; ++z)
            for (std::int64_t y = 0; y < shape.y; ++y)
                for (std::int64_t x = 0; x < shape.x; ++x)
                    ++counts[std::size_t(std::int64_t(view(z, y, x, c)) -
                                         std::numeric_limits<T>::min())];
    return counts;
}

template <typename T>
void expect_counts_match() {
    // Many blocks (planes of 65536 voxels) so that chunks run on every thread, with runs of
    // equal values (one lane's counter hit again and again) between noisy ones, and both
    // ends of the type.
    std::mt19937 random(3);
    const Volume volume = test::make_volume<T>({37, 256, 259, 2}, [&](auto z, auto y, auto, auto) {
        if (y % 50 < 5) return T(z % 3 == 0 ? std::numeric_limits<T>::min() : T(7));
        if (y == 77) return std::numeric_limits<T>::max();
        return T(random());
    });
    const Volume strided = volume.crop({{2, 5, 1}, {35, 250, 258}}).step(1, 2, 3);
    for (const Volume* input : {&volume, &strided}) {
        const VolumeView<const T> view = input->view<T>();
        const std::vector<std::int64_t> expected = count_one_at_a_time(view);
        set_thread_count(1);
        EXPECT_EQ(count_values(view), expected);
        set_thread_count(0);
        EXPECT_EQ(count_values(view), expected);
        EXPECT_EQ(count_values(view), expected) << "a second call on the pooled lanes";
    }
}

TEST(ValueCounts, MatchCountingOneAtATime) {
    expect_counts_match<std::uint8_t>();
    expect_counts_match<std::int8_t>();
    expect_counts_match<std::uint16_t>();
    expect_counts_match<std::int16_t>();
}

}  // namespace
}  // namespace vox::detail
