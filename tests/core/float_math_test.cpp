// Power, logarithm and exponential of floats, many at a time: each result is within an ulp
// of the exact value (long double), and is the exact value rounded to float for all but a
// few in a hundred thousand; special values follow powf, log2f, exp2f and expf.
#include "float_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <vector>

namespace vox::detail {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// How many floats lie between a and b (0 when equal, or both NaN).
std::int64_t ulps_apart(float a, float b) {
    if (a == b || (std::isnan(a) && std::isnan(b))) return 0;
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<std::int64_t>::max();
    const auto ordered = [](float v) {
        std::int32_t bits;
        std::memcpy(&bits, &v, sizeof(bits));
        return bits < 0 ? -std::int64_t(bits & 0x7FFFFFFF) : std::int64_t(bits);
    };
    return std::abs(ordered(a) - ordered(b));
}

// Inputs spread over what exposure ops see: [0, 4) uniformly, every binade of the floats,
// subnormals, and values just beside 1.
std::vector<float> spread_inputs(float low_binade, float high_binade) {
    std::mt19937 random(7);
    std::uniform_real_distribution<float> unit(0.0f, 4.0f);
    std::uniform_real_distribution<float> binade(low_binade, high_binade);
    std::vector<float> values;
    for (int i = 0; i < 300000; ++i) {
        values.push_back(unit(random));
        values.push_back(std::exp2(binade(random)));
    }
    for (int i = 1; i < 2000; ++i) {
        values.push_back(std::numeric_limits<float>::denorm_min() * float(i * 977));
        values.push_back(1.0f + float(i) * std::numeric_limits<float>::epsilon());
        values.push_back(1.0f - float(i) * std::numeric_limits<float>::epsilon() / 2);
    }
    return values;
}

// Each of ours within an ulp of exact(v) rounded to float; at most 1 in 20000 not equal to
// it (the evaluation is good to about 1e-15, so only values within that of a rounding tie
// may round the other way).
void expect_near_exact(const std::vector<float>& in, const std::vector<float>& ours,
                       const std::function<long double(long double)>& exact, const char* what) {
    ASSERT_EQ(in.size(), ours.size());
    std::int64_t differ = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const float expected = float(exact(in[i]));
        const std::int64_t apart = ulps_apart(ours[i], expected);
        ASSERT_LE(apart, 1) << what << " of " << in[i] << ": " << ours[i] << ", exact " << expected;
        differ += apart;
    }
    EXPECT_LE(differ * 20000, std::int64_t(in.size())) << what << ": " << differ << " differ";
}

TEST(FloatMathTest, PowersAreWithinAnUlpOfExact) {
    const std::vector<float> in = spread_inputs(-140.0f, 120.0f);
    std::vector<float> out(in.size());
    // The exponents as numpy has them for a float32 image: the gamma rounded to float.
    for (const float exponent : {1.5f, 2.2f, 0.3f, 3.0f, 0.8f, 7.5f, 1e-3f}) {
        power_floats(in.data(), out.data(), std::int64_t(in.size()), double(exponent));
        expect_near_exact(
            in, out, [&](long double v) { return std::pow(v, (long double)exponent); }, "pow");
    }
}

TEST(FloatMathTest, LogarithmsAndExponentialsAreWithinAnUlpOfExact) {
    const std::vector<float> positive = spread_inputs(-149.0f, 128.0f);
    std::vector<float> out(positive.size());
    log2_floats(positive.data(), out.data(), std::int64_t(positive.size()));
    expect_near_exact(
        positive, out, [](long double v) { return std::log2(v); }, "log2");

    // Exponents over the whole float range and beyond: overflow to inf, underflow through
    // the subnormals to 0.
    std::vector<float> exponents;
    std::mt19937 random(3);
    std::uniform_real_distribution<float> spread(-160.0f, 140.0f);
    for (int i = 0; i < 600000; ++i)
        exponents.push_back(spread(random));
    for (int k = -151; k <= 129; ++k)
        exponents.push_back(float(k));
    out.resize(exponents.size());
    exp2_floats(exponents.data(), out.data(), std::int64_t(exponents.size()));
    expect_near_exact(
        exponents, out, [](long double v) { return std::exp2(v); }, "exp2");
    exp_floats(exponents.data(), out.data(), std::int64_t(exponents.size()));
    expect_near_exact(
        exponents, out, [](long double v) { return std::exp(v); }, "exp");
}

TEST(FloatMathTest, ExactCasesAreExact) {
    const std::vector<float> in = {1.0f, 4.0f, 0.25f, 2.0f, 1024.0f};
    std::vector<float> out(in.size());
    power_floats(in.data(), out.data(), 5, 1.5);
    EXPECT_EQ(out, (std::vector<float>{1.0f, 8.0f, 0.125f, std::sqrt(8.0f), 32768.0f}));
    power_floats(in.data(), out.data(), 5, 3.0);
    EXPECT_EQ(out, (std::vector<float>{1.0f, 64.0f, 1.0f / 64, 8.0f, 1073741824.0f}));
    log2_floats(in.data(), out.data(), 5);
    EXPECT_EQ(out, (std::vector<float>{0.0f, 2.0f, -2.0f, 1.0f, 10.0f}));
    const std::vector<float> integers = {0.0f, -0.0f, 1.0f, -3.0f, 127.0f, -149.0f};
    out.resize(integers.size());
    exp2_floats(integers.data(), out.data(), 6);
    EXPECT_EQ(out, (std::vector<float>{1.0f, 1.0f, 2.0f, 0.125f, std::ldexp(1.0f, 127),
                                       std::numeric_limits<float>::denorm_min()}));
    exp_floats(integers.data(), out.data(), 2);
    EXPECT_EQ(out[0], 1.0f);
    EXPECT_EQ(out[1], 1.0f);
}

TEST(FloatMathTest, SpecialValuesFollowLibm) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> in = {0.0f, -0.0f, kInf, nan, -1.0f, -kInf, 1e-45f, 3e38f};
    std::vector<float> out(in.size());
    for (const double exponent : {1.5, 3.0, 0.25}) {
        power_floats(in.data(), out.data(), std::int64_t(in.size()), exponent);
        for (std::size_t i = 0; i < in.size(); ++i) {
            if (in[i] < 0) {
                EXPECT_TRUE(std::isnan(out[i])) << in[i] << " ** " << exponent;
                continue;
            }
            const float expected = std::pow(in[i], float(exponent));
            EXPECT_EQ(ulps_apart(out[i], expected), 0) << in[i] << " ** " << exponent;
            EXPECT_EQ(std::signbit(out[i]), std::signbit(expected)) << in[i] << " ** " << exponent;
        }
    }
    log2_floats(in.data(), out.data(), std::int64_t(in.size()));
    for (std::size_t i = 0; i < in.size() - 2; ++i) {
        EXPECT_EQ(ulps_apart(out[i], std::log2(in[i])), 0) << "log2 of " << in[i];
    }
    const std::vector<float> exponents = {kInf, -kInf, nan, 200.0f, -200.0f, 88.7f, -103.9f};
    out.resize(exponents.size());
    exp2_floats(exponents.data(), out.data(), std::int64_t(exponents.size()));
    for (std::size_t i = 0; i < exponents.size(); ++i)
        EXPECT_EQ(ulps_apart(out[i], std::exp2(exponents[i])), 0) << "exp2 of " << exponents[i];
    exp_floats(exponents.data(), out.data(), std::int64_t(exponents.size()));
    for (std::size_t i = 0; i < exponents.size(); ++i)
        EXPECT_LE(ulps_apart(out[i], std::exp(exponents[i])), 1) << "exp of " << exponents[i];
}

TEST(FloatMathTest, InPlaceAndInAnyLengthGiveTheSameValues) {
    std::vector<float> in;
    for (int i = 0; i < 1000; ++i)
        in.push_back(float(i) * 0.0173f);
    std::vector<float> whole(in.size());
    power_floats(in.data(), whole.data(), std::int64_t(in.size()), 2.2);
    // One value at a time (the loops' scalar tails) and in place.
    for (std::size_t i = 0; i < in.size(); ++i) {
        float one = in[i];
        power_floats(&one, &one, 1, 2.2);
        ASSERT_EQ(ulps_apart(one, whole[i]), 0) << "value " << in[i];
    }
    std::vector<float> copy = in;
    power_floats(copy.data(), copy.data(), std::int64_t(copy.size()), 2.2);
    EXPECT_EQ(copy, whole);
    copy = in;
    exp_floats(copy.data(), copy.data(), 997);
    std::vector<float> apart(997);
    exp_floats(in.data(), apart.data(), 997);
    EXPECT_EQ(std::vector<float>(copy.begin(), copy.begin() + 997), apart);
    EXPECT_EQ(copy[997], in[997]);  // nothing written past the count
}

// FNV-1a of the results' bits, every NaN counted as one (x86 keeps the payload of whichever
// operand comes first, which the vector width may change).
std::uint64_t bits_digest(const std::vector<float>& values) {
    std::uint64_t digest = 14695981039346656037ull;
    for (const float v : values) {
        std::uint32_t bits = 0x7FC00000u;
        if (!std::isnan(v)) std::memcpy(&bits, &v, sizeof(bits));
        for (int k = 0; k < 4; ++k) {
            digest ^= (bits >> (8 * k)) & 0xFFu;
            digest *= 1099511628211ull;
        }
    }
    return digest;
}

// The loader picks an AVX-512, AVX2 or baseline clone (GCC), and clang builds one loop:
// every one must give these bits, which each of them gave on a Zen 4 core, so a machine
// that takes another clone checks it against them. A clone that handled a special value,
// a sign or a tail otherwise would differ; a fused multiply-add alone seldom shows, since
// the double results are rounded to float.
TEST(FloatMathTest, EveryInstructionSetGivesTheSameBits) {
    std::vector<float> in;
    for (std::uint32_t k = 0; k < (1u << 20); ++k) {
        const std::uint32_t bits = k * 2654435761u;  // spread over every float, both signs
        float v;
        std::memcpy(&v, &bits, sizeof(v));
        in.push_back(v);
    }
    const auto n = std::int64_t(in.size());
    std::vector<float> out(in.size());
    power_floats(in.data(), out.data(), n, double(2.2f));
    EXPECT_EQ(bits_digest(out), 0xE06E9C450BC48C6Cull) << "pow";
    log2_floats(in.data(), out.data(), n);
    EXPECT_EQ(bits_digest(out), 0x1F751C741CCDCC38ull) << "log2";
    exp2_floats(in.data(), out.data(), n);
    EXPECT_EQ(bits_digest(out), 0xB7D0C53F0E82A89Bull) << "exp2";
    exp_floats(in.data(), out.data(), n);
    EXPECT_EQ(bits_digest(out), 0x5C715FF5D8791218ull) << "exp";
}

}  // namespace
}  // namespace vox::detail
