// The table lookup behind point-wise operations: the AVX2 gathers (where the CPU has them
// and they pay) and the loop by eights give what indexing the table one value at a time
// gives, for every input and entry type.
#include "table_lookup.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace vox::detail {
namespace {

template <typename T, typename O>
void expect_lookup_matches_indexing() {
    constexpr std::int64_t kLow = std::numeric_limits<T>::min();
    constexpr std::int64_t kSize = std::int64_t(std::numeric_limits<T>::max()) - kLow + 1;
    // Entries with every bit pattern of O in play, so that a lost or sign-extended byte shows.
    std::mt19937_64 random(42);
    std::vector<O> table(std::size_t(kSize) + kTableSlack);
    for (std::int64_t i = 0; i < kSize; ++i) {
        if constexpr (std::is_floating_point_v<O>)
            table[std::size_t(i)] = O(double(random() % 100000) / 7.0 - 5000.0);
        else
            table[std::size_t(i)] = O(random());
    }
    const O* lut = table.data() - kLow;
    // Both ends of the type and a length that leaves a tail after the blocks of 16.
    std::vector<T> in(1000 + 13);
    for (std::size_t i = 0; i < in.size(); ++i)
        in[i] = T(random());
    in[0] = std::numeric_limits<T>::min();
    in[1] = std::numeric_limits<T>::max();
    in[in.size() - 1] = std::numeric_limits<T>::max();
    std::vector<O> out(in.size());
    lookup_values(in.data(), out.data(), std::int64_t(in.size()), lut);
    for (std::size_t i = 0; i < in.size(); ++i)
        ASSERT_EQ(out[i], lut[in[i]]) << "value " << +in[i] << " at " << i;
}

template <typename T>
void expect_all_outputs() {
    expect_lookup_matches_indexing<T, std::uint8_t>();
    expect_lookup_matches_indexing<T, std::int8_t>();
    expect_lookup_matches_indexing<T, std::uint16_t>();
    expect_lookup_matches_indexing<T, std::int16_t>();
    expect_lookup_matches_indexing<T, std::uint32_t>();
    expect_lookup_matches_indexing<T, std::int32_t>();
    expect_lookup_matches_indexing<T, float>();
    expect_lookup_matches_indexing<T, double>();
}

TEST(TableLookupTest, UnsignedSixteenBitInputs) {
    expect_all_outputs<std::uint16_t>();
}
TEST(TableLookupTest, SignedSixteenBitInputs) {
    expect_all_outputs<std::int16_t>();
}
TEST(TableLookupTest, EightBitInputs) {
    expect_all_outputs<std::uint8_t>();
    expect_all_outputs<std::int8_t>();
}

TEST(TableLookupTest, ShortRunsAndEmptyRuns) {
    std::vector<std::uint16_t> table(65536 + kTableSlack);
    for (std::size_t i = 0; i < 65536; ++i)
        table[i] = std::uint16_t(65535 - i);
    const std::vector<std::uint16_t> in = {0, 1, 2, 65535, 40000};
    std::vector<std::uint16_t> out(in.size(), 7);
    lookup_values(in.data(), out.data(), 0, table.data());
    EXPECT_EQ(out[0], 7);  // nothing written
    lookup_values(in.data(), out.data(), std::int64_t(in.size()), table.data());
    EXPECT_EQ(out, (std::vector<std::uint16_t>{65535, 65534, 65533, 0, 25535}));
}

}  // namespace
}  // namespace vox::detail
