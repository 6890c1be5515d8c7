// Unit tests of the exposure operations on small synthetic volumes; expected values are
// those scikit-image 0.19.3 gives on the same arrays (worked out in the comments).
#include "vox/exposure.h"
#include "vox/parallel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "test_util.h"

namespace vox {
namespace {

using test::make_line;
using test::make_volume;
using test::values_of;

TEST(ExposureRescaleIntensityTest, DocstringExamples) {
    // rescale_intensity(np.array([51, 102, 153], dtype=np.uint8)) == [0, 127, 255]
    const Volume u8 = rescale_intensity(make_line<std::uint8_t>({51, 102, 153}));
    EXPECT_EQ(u8.pixel_type(), PixelType::u8);
    EXPECT_EQ(values_of(u8), (std::vector<double>{0, 127, 255}));
    // float: [0, 0.5, 1]; in_range (0, 255): [0.2, 0.4, 0.6]; (0, 102): [0.5, 1, 1]
    const Volume f = make_line<double>({51, 102, 153});
    EXPECT_EQ(values_of(rescale_intensity(f)), (std::vector<double>{0, 0.5, 1}));
    const auto low = values_of(rescale_intensity(f, IntensityRange::values(0, 255)));
    EXPECT_NEAR(low[0], 0.2, 1e-15);
    EXPECT_NEAR(low[2], 0.6, 1e-15);
    EXPECT_EQ(values_of(rescale_intensity(f, IntensityRange::values(0, 102))),
              (std::vector<double>{0.5, 1, 1}));
    // int8 [-10, 0, 10], out_range (0, 127): float [0, 63.5, 127]
    const Volume i8 = rescale_intensity(make_line<std::int8_t>({-10, 0, 10}),
                                        IntensityRange::image(), IntensityRange::values(0, 127));
    EXPECT_EQ(i8.pixel_type(), PixelType::f64);
    EXPECT_EQ(values_of(i8), (std::vector<double>{0, 63.5, 127}));
    // constant int32 130, out_range (0, 127): clipped to 127
    EXPECT_EQ(values_of(rescale_intensity(make_line<std::int32_t>({130, 130, 130}),
                                          IntensityRange::image(), IntensityRange::values(0, 127))),
              (std::vector<double>{127, 127, 127}));
}

TEST(ExposureRescaleIntensityTest, OutputTypes) {
    const Volume f32 = make_line<float>({0.f, 0.5f, 2.f});
    EXPECT_EQ(
        rescale_intensity(f32, IntensityRange::image(), IntensityRange::values(0, 10)).pixel_type(),
        PixelType::f32);
    const Volume u16 = make_line<std::uint16_t>({0, 100, 4095});
    const Volume u8 =
        rescale_intensity(u16, IntensityRange::named("uint12"), IntensityRange::named("uint8"));
    EXPECT_EQ(u8.pixel_type(), PixelType::u8);
    // 100 / 4095 * 255 = 6.227 -> 6
    EXPECT_EQ(values_of(u8), (std::vector<double>{0, 6, 255}));
    EXPECT_EQ(rescale_intensity(u16, IntensityRange::image(), IntensityRange::named("uint12"))
                  .pixel_type(),
              PixelType::u16);
    VOX_EXPECT_THROW_MSG(IntensityRange::named("uint7"), ValueError,
                         "Incorrect value for out_range, should be a valid image data type or a "
                         "pair of values, got uint7.");
}

TEST(ExposureRescaleIntensityTest, PerChannelAndJoint) {
    const Volume two = make_volume<std::uint16_t>(
        {1, 1, 3, 2}, [](auto, auto, auto x, auto c) { return c == 0 ? 10 * x : 100 + 1000 * x; });
    const Volume per = rescale_intensity(two, IntensityRange::image(), IntensityRange::values(0, 1),
                                         ChannelMode::per_channel);
    EXPECT_EQ(values_of(per), (std::vector<double>{0, 0.5, 1, 0, 0.5, 1}));
    const Volume joint =
        rescale_intensity(two, IntensityRange::image(), IntensityRange::values(0, 2100));
    const std::vector<double> expected{0, 10, 20, 100, 1100, 2100};
    const auto got = values_of(joint);
    // (v - 0) / 2100 * 2100 is v only to rounding, in numpy too.
    for (std::size_t i = 0; i < expected.size(); ++i)
        EXPECT_NEAR(got[i], expected[i], 1e-9);
}

TEST(ExposureRescaleIntensityTest, Percentiles) {
    std::vector<double> ramp;
    for (int i = 0; i <= 100; ++i)
        ramp.push_back(i);
    const Volume line = make_line<double>(ramp);
    const Volume out = rescale_intensity(line, IntensityRange::percentiles(10, 90));
    const auto v = values_of(out);
    EXPECT_EQ(v[5], 0.0);
    EXPECT_EQ(v[50], 0.5);
    EXPECT_EQ(v[95], 1.0);
    VOX_EXPECT_THROW_MSG(
        rescale_intensity(line, IntensityRange::image(), IntensityRange::percentiles(1, 2)),
        ValueError, "out_range cannot be given as percentiles");
    // Equal percentiles are a constant range (skimage's imin == imax case), not an error.
    EXPECT_EQ(values_of(rescale_intensity(line, IntensityRange::percentiles(50, 50)))[60], 1.0);
}

TEST(ExposureRescaleIntensityTest, InRangeOutOfOrderOrOutsideIsAnError) {
    const Volume line = make_line<std::uint16_t>({0, 100, 200, 300});
    // skimage clips everything to one value here; an error names the mistake instead.
    VOX_EXPECT_THROW_MSG(rescale_intensity(line, IntensityRange::percentiles(99.5, 0.5)),
                         ValueError, "percentiles out of order: low 99.5 is above high 0.5");
    VOX_EXPECT_THROW_MSG(rescale_intensity(line, IntensityRange::values(250, 50)), ValueError,
                         "in_range out of order: low 250 is above high 50");
    VOX_EXPECT_THROW_MSG(rescale_intensity(line, IntensityRange::percentiles(-1, 50)), ValueError,
                         "percentile -1 is outside [0, 100]");
    VOX_EXPECT_THROW_MSG(rescale_intensity(line, IntensityRange::percentiles(0, 100.5)), ValueError,
                         "percentile 100.5 is outside [0, 100]");
    VOX_EXPECT_THROW_MSG(rescale_intensity(line, IntensityRange::values(
                                                     0, std::numeric_limits<double>::quiet_NaN())),
                         ValueError, "in_range values must be finite, got 0 and nan");
    // The in-place form checks before it writes: the volume is left as it was.
    Volume kept = line.copy();
    EXPECT_THROW(rescale_intensity(std::move(kept), IntensityRange::percentiles(60, 40)),
                 ValueError);
    EXPECT_EQ(values_of(kept), (std::vector<double>{0, 100, 200, 300}));
    // A reversed out_range is skimage's way to invert an image, and stays allowed.
    EXPECT_EQ(
        values_of(rescale_intensity(line, IntensityRange::image(), IntensityRange::values(1, 0))),
        (std::vector<double>{1, 1 - 1.0 / 3, 1 - 2.0 / 3, 0}));
}

TEST(ExposureAdjustGammaTest, U8TableAndErrors) {
    const Volume u8 = make_line<std::uint8_t>({0, 64, 128, 255});
    // 255 * (64/255)**0.5 = 127.75 -> 127; 128 -> 180.66 -> 180
    EXPECT_EQ(values_of(adjust_gamma(u8, 0.5)), (std::vector<double>{0, 127, 180, 255}));
    // gain 2 saturates at 255
    EXPECT_EQ(values_of(adjust_gamma(u8, 1, 2)), (std::vector<double>{0, 128, 255, 255}));
    VOX_EXPECT_THROW_MSG(adjust_gamma(u8, -1), ValueError, "gamma must be non-negative, got -1");
    VOX_EXPECT_THROW_MSG(adjust_gamma(make_line<std::int16_t>({-1, 2}), 2), ValueError,
                         "Image Correction methods work correctly only on images with non-negative "
                         "values. Use skimage.exposure.rescale_intensity.");
}

// Gamma 0.5 of 16-bit data fills its table's roots in vectors: every value, as numpy
// computes (v / scale) ** 0.5 * scale * gain in float64 and truncates it, with gains that
// round up to the type's end and beyond it (numpy's wrap-around), and i16's non-negative half.
template <typename T>
void expect_every_gamma_half_value(double gain) {
    SCOPED_TRACE(std::string(pixel_type_name(pixel_type_of<T>())) + " gain " +
                 std::to_string(gain));
    const std::int64_t count = std::int64_t(std::numeric_limits<T>::max()) + 1;
    const Volume volume = make_volume<T>(
        {2, 1, count / 2, 1}, [&](auto z, auto, auto x, auto) { return T(z * (count / 2) + x); });
    const double scale = double(std::numeric_limits<T>::max());
    const std::vector<double> values = values_of(volume);
    const std::vector<double> result = values_of(adjust_gamma(volume, 0.5, gain));
    for (std::size_t i = 0; i < values.size(); ++i) {
        const auto truncated = std::int64_t(std::sqrt(values[i] / scale) * scale * gain);
        ASSERT_EQ(result[i], double(T(std::uint64_t(truncated)))) << "value " << values[i];
    }
}

TEST(ExposureAdjustGammaTest, HalfOfEverySixteenBitValue) {
    for (const double gain : {1.0, 0.7, 1.3}) {
        expect_every_gamma_half_value<std::uint16_t>(gain);
        expect_every_gamma_half_value<std::int16_t>(gain);
    }
}

TEST(ExposureAdjustGammaTest, OtherTypes) {
    const Volume u16 = make_line<std::uint16_t>({0, 1000, 65535});
    // (1000/65535)**2 * 65535 = 15.259 -> 15
    EXPECT_EQ(values_of(adjust_gamma(u16, 2)), (std::vector<double>{0, 15, 65535}));
    const Volume f = make_line<double>({0.25, 1.0});
    EXPECT_EQ(values_of(adjust_gamma(f, 0.5)), (std::vector<double>{0.5, 1.0}));
    const Volume f32 = adjust_gamma(make_line<float>({0.25f}), 1.5, 2);
    EXPECT_EQ(f32.pixel_type(), PixelType::f32);
    EXPECT_NEAR(values_of(f32)[0], 0.25, 1e-7);
}

TEST(ExposureAdjustLogSigmoidTest, Formulas) {
    const Volume f = make_line<double>({0.0, 0.5, 1.0});
    auto log = values_of(adjust_log(f));
    EXPECT_DOUBLE_EQ(log[1], std::log2(1.5));
    auto inv = values_of(adjust_log(f, 1, true));
    EXPECT_DOUBLE_EQ(inv[1], std::pow(2.0, 0.5) - 1);
    auto sig = values_of(adjust_sigmoid(f));
    EXPECT_DOUBLE_EQ(sig[1], 0.5);
    EXPECT_DOUBLE_EQ(sig[0], 1 / (1 + std::exp(5.0)));
    auto isig = values_of(adjust_sigmoid(f, 0.5, 10, true));
    EXPECT_DOUBLE_EQ(isig[0], 1 - 1 / (1 + std::exp(5.0)));
    // u8: log2(1 + 255/255) * 255 = 255, sigmoid(0) = 255 / (1 + e^5) = 1.7 -> 1
    EXPECT_EQ(values_of(adjust_log(make_line<std::uint8_t>({255})))[0], 255);
    EXPECT_EQ(values_of(adjust_sigmoid(make_line<std::uint8_t>({0})))[0], 1);
}

TEST(ExposureHistogramTest, IntegerBinsPerValue) {
    const Volume u8 = make_line<std::uint8_t>({3, 5, 5, 7});
    const Histogram h = histogram(u8);
    EXPECT_EQ(h.counts, (std::vector<std::int64_t>{1, 0, 2, 0, 1}));
    EXPECT_EQ(h.bin_centers, (std::vector<double>{3, 4, 5, 6, 7}));
    const Histogram d = histogram(make_line<std::int8_t>({-1, 2}), 256, SourceRange::dtype);
    EXPECT_EQ(d.counts.size(), 256u);
    EXPECT_EQ(d.bin_centers.front(), -128);
    EXPECT_EQ(d.counts[127], 1);
    EXPECT_EQ(d.counts[130], 1);
}

TEST(ExposureHistogramTest, FloatAsNumpy) {
    // exposure.histogram(np.array([0, 0.1, 0.5, 1.0]), nbins=2): [2, 2] at [0.25, 0.75]
    const Histogram h = histogram(make_line<double>({0, 0.1, 0.5, 1.0}), 2);
    EXPECT_EQ(h.counts, (std::vector<std::int64_t>{2, 2}));
    EXPECT_EQ(h.bin_centers, (std::vector<double>{0.25, 0.75}));
    // constant: range widened by 0.5 each side
    const Histogram c = histogram(make_line<double>({2, 2}), 2);
    EXPECT_EQ(c.counts, (std::vector<std::int64_t>{0, 2}));
    EXPECT_EQ(c.bin_centers, (std::vector<double>{1.75, 2.25}));
    VOX_EXPECT_THROW_MSG(histogram(make_line<double>({1, INFINITY}), 2), ValueError,
                         "autodetected hist_range of [1, inf] is not finite");
    VOX_EXPECT_THROW_MSG(histogram(make_line<double>({1}), 0), ValueError,
                         "nbins must be at least 1, got 0");
}

TEST(ExposureHistogramTest, FiniteHistogramBinsEveryTypeAsFloats) {
    // np.histogram(a, n) and the centres of its edges, in the edges' type.
    const Histogram i32 = finite_histogram(make_line<std::int32_t>({-3, 7, 7, 100000}), 3);
    EXPECT_EQ(i32.counts, (std::vector<std::int64_t>{3, 0, 1}));
    EXPECT_EQ(i32.bin_centers,
              (std::vector<double>{16664.166666666668, 49998.5, 83332.83333333334}));
    // 8/16-bit data are binned from their value counts: the same numbers.
    const Histogram i8 = finite_histogram(make_line<std::int8_t>({-128, 127, 0}), 4);
    EXPECT_EQ(i8.counts, (std::vector<std::int64_t>{1, 0, 1, 1}));
    EXPECT_EQ(i8.bin_centers, (std::vector<double>{-96.125, -32.375, 31.375, 95.125}));
    const Histogram constant = finite_histogram(make_line<std::uint16_t>({2, 2}), 2);
    EXPECT_EQ(constant.counts, (std::vector<std::int64_t>{0, 2}));
    EXPECT_EQ(constant.bin_centers, (std::vector<double>{1.75, 2.25}));
    // f32 keeps f32 edges; NaN and infinities are counted out, not binned.
    std::int64_t left_out = -1;
    const Histogram f32 =
        finite_histogram(make_line<float>({0.5f, NAN, 0.25f, -INFINITY, 1.0f}), 2, &left_out);
    EXPECT_EQ(f32.counts, (std::vector<std::int64_t>{2, 1}));
    EXPECT_EQ(f32.bin_centers, (std::vector<double>{0.4375, 0.8125}));
    EXPECT_EQ(left_out, 2);
    VOX_EXPECT_THROW_MSG(finite_histogram(make_line<double>({NAN, -INFINITY}), 2), ValueError,
                         "every value is NaN or infinite: there is no histogram to draw");
    VOX_EXPECT_THROW_MSG(finite_histogram(make_line<double>({1}), 0), ValueError,
                         "nbins must be at least 1, got 0");
}

TEST(ExposureHistogramTest, UniformBinsForIntegersAsNumpy) {
    // hist --bins N: np.histogram(a, N, range) for integers, not one bin per value.
    const Volume two = make_volume<std::uint16_t>(
        {1, 1, 2, 2}, [](std::int64_t, std::int64_t, std::int64_t x, std::int64_t c) {
            return std::uint16_t(c == 0 ? 3 + 2 * x : 6);
        });
    const ChannelHistograms channels =
        histogram_per_channel(two, 3, SourceRange::image, IntegerBins::uniform);
    EXPECT_EQ(channels.bin_centers, (std::vector<double>{3.5, 4.5, 5.5}));
    ASSERT_EQ(channels.counts.size(), 2u);
    EXPECT_EQ(channels.counts[0], (std::vector<std::int64_t>{1, 0, 1}));
    EXPECT_EQ(channels.counts[1], (std::vector<std::int64_t>{0, 0, 2}));  // the last bin closed
    const Histogram joint = histogram(two, 3, SourceRange::image, IntegerBins::uniform);
    EXPECT_EQ(joint.counts, (std::vector<std::int64_t>{1, 0, 3}));
    EXPECT_EQ(joint.bin_centers, channels.bin_centers);
    // 'dtype': the edges span the pixel type, e.g. np.histogram(a, 2, (0, 255)).
    const Histogram u8 = histogram(make_line<std::uint8_t>({0, 10, 255}), 2, SourceRange::dtype,
                                   IntegerBins::uniform);
    EXPECT_EQ(u8.counts, (std::vector<std::int64_t>{2, 1}));
    EXPECT_EQ(u8.bin_centers, (std::vector<double>{63.75, 191.25}));
    // 32-bit integers are binned as float64 values in one pass, as numpy.
    const Volume wide = make_line<std::int32_t>({-2147483647 - 1, -1, 0, 2147483647});
    const Histogram i32 = histogram(wide, 4, SourceRange::dtype, IntegerBins::uniform);
    EXPECT_EQ(i32.counts, (std::vector<std::int64_t>{1, 1, 1, 1}));  // -1 below the edge -0.5
    EXPECT_EQ(i32.bin_centers, (std::vector<double>{-1610612736.125, -536870912.375, 536870911.375,
                                                    1610612735.125}));
    EXPECT_EQ(histogram(wide, 3, SourceRange::image, IntegerBins::uniform).counts,
              (std::vector<std::int64_t>{1, 2, 1}));
    const Histogram constant =
        histogram(make_line<std::uint16_t>({2, 2}), 2, SourceRange::image, IntegerBins::uniform);
    EXPECT_EQ(constant.counts, (std::vector<std::int64_t>{0, 2}));
    EXPECT_EQ(constant.bin_centers, (std::vector<double>{1.75, 2.25}));
    // Floats bin the same either way.
    const Volume floats = make_line<float>({0.5f, 0.25f, 1.0f, 0.0f});
    const Histogram f = histogram(floats, 3, SourceRange::image, IntegerBins::uniform);
    EXPECT_EQ(f.counts, histogram(floats, 3).counts);
    EXPECT_EQ(f.bin_centers, histogram(floats, 3).bin_centers);
    VOX_EXPECT_THROW_MSG(histogram(two, 0, SourceRange::image, IntegerBins::uniform), ValueError,
                         "nbins must be at least 1, got 0");
}

TEST(ExposureHistogramTest, FloatRangesAtTheEndsOfTheTypes) {
    // A constant whose widening by 0.5 rounds away: every edge is the value and the width 0.
    // numpy's uniform path then fails (NaN indices); its per-channel search, and voxscope,
    // put every value in the last bin (found by the process_steps fuzzer under UBSan).
    const float big = -4.049178e16f;
    const Volume constant = make_line<float>({big, big, big});
    const Histogram h = histogram(constant, 4);
    EXPECT_EQ(h.counts, (std::vector<std::int64_t>{0, 0, 0, 3}));
    EXPECT_EQ(h.bin_centers, std::vector<double>(4, double(big)));
    EXPECT_EQ(histogram_per_channel(constant, 4).counts.front(), h.counts);
    // A width that underflows each step: numpy's linspace scales the fractions instead.
    const double tiny = std::numeric_limits<double>::denorm_min();
    const Histogram narrow = histogram(make_line<double>({0.0, tiny, 0.0}), 4);
    EXPECT_EQ(narrow.counts, (std::vector<std::int64_t>{0, 0, 2, 1}));
    EXPECT_EQ(narrow.bin_centers, (std::vector<double>{0.0, 0.0, 0.0, tiny}));
    // A width past float64: numpy's edges are NaN and infinite, and it fails.
    VOX_EXPECT_THROW_MSG(histogram(make_line<double>({-1.7e308, 1.7e308}), 4), ValueError,
                         "cannot bin the range [-1.7e+308, 1.7e+308] in 4 bins: its width "
                         "overflows (numpy's histogram fails on it too)");
}

TEST(ExposureHistogramTest, BinsBeyondTheMemoryLimitAreRefusedBeforeAllocation) {
    const test::ScopedMemoryLimit limit(1 << 20);
    const Volume floats = make_line<float>({0.0f, 0.25f, 1.0f});
    // 3 x 8 bytes per bin: one group's counters, their sum and the edges.
    EXPECT_EQ(histogram(floats, 40000).counts.size(), 40000u);
    VOX_EXPECT_THROW_MSG(
        histogram(floats, 50000), LimitError,
        "a histogram of 50000 bins needs 1.1 MiB, over the memory limit of 1.0 MiB");
    EXPECT_THROW(cumulative_distribution(floats, 50000), LimitError);
    EXPECT_THROW(equalize_hist(floats, 50000), LimitError);
    EXPECT_EQ(finite_histogram(floats, 40000).counts.size(), 40000u);
    EXPECT_THROW(finite_histogram(floats, 50000), LimitError);
    // Integers get one bin per value between the ends: here 2^31 of them.
    VOX_EXPECT_THROW_MSG(
        histogram(make_line<std::int32_t>({-1073741824, 1073741823})), LimitError,
        "a histogram of the integer range [-1073741824, 1073741823] (one bin per value) needs "
        "80.0 GiB, over the memory limit of 1.0 MiB");
}

TEST(ExposureHistogramTest, PerChannelSharesBins) {
    // Channel 0 holds 3, 5; channel 1 holds 6, 6: one bin per integer over [3, 6] for both
    // (exposure.histogram(a, channel_axis=-1)).
    const Volume u16 = make_volume<std::uint16_t>(
        {1, 1, 2, 2}, [](std::int64_t, std::int64_t, std::int64_t x, std::int64_t c) {
            return std::uint16_t(c == 0 ? 3 + 2 * x : 6);
        });
    const ChannelHistograms h = histogram_per_channel(u16);
    EXPECT_EQ(h.bin_centers, (std::vector<double>{3, 4, 5, 6}));
    ASSERT_EQ(h.counts.size(), 2u);
    EXPECT_EQ(h.counts[0], (std::vector<std::int64_t>{1, 0, 1, 0}));
    EXPECT_EQ(h.counts[1], (std::vector<std::int64_t>{0, 0, 0, 2}));
    // Floats: two bins over the joint range [0, 1].
    const Volume f = make_volume<float>(
        {1, 1, 2, 2}, [](std::int64_t, std::int64_t, std::int64_t x, std::int64_t c) {
            return c == 0 ? float(x) * 0.25f : 1.0f;
        });
    const ChannelHistograms g = histogram_per_channel(f, 2);
    EXPECT_EQ(g.bin_centers, (std::vector<double>{0.25, 0.75}));
    EXPECT_EQ(g.counts[0], (std::vector<std::int64_t>{2, 0}));
    EXPECT_EQ(g.counts[1], (std::vector<std::int64_t>{0, 2}));
    VOX_EXPECT_THROW_MSG(histogram_per_channel(f, 0), ValueError,
                         "nbins must be at least 1, got 0");
}

TEST(ExposureHistogramTest, SixteenBitOnePassCountsEveryLane) {
    // 2^20 + 3 voxels of one value: every lane and the tail of the unrolled loop count.
    const Volume u16 =
        make_volume<std::uint16_t>({1, 1, (std::int64_t(1) << 20) + 3, 1},
                                   [](std::int64_t, std::int64_t, std::int64_t x, std::int64_t) {
                                       return std::uint16_t(x == 0 ? 65535 : 7);
                                   });
    const Histogram h = histogram(u16);
    EXPECT_EQ(h.bin_centers.front(), 7);
    EXPECT_EQ(h.bin_centers.back(), 65535);
    EXPECT_EQ(h.counts.front(), (std::int64_t(1) << 20) + 2);
    EXPECT_EQ(h.counts.back(), 1);
    const Histogram i16 =
        histogram(make_line<std::int16_t>({-32768, 32767, -1, 0}), 256, SourceRange::image);
    EXPECT_EQ(i16.counts.size(), 65536u);
    EXPECT_EQ(i16.counts[32767], 1);  // -1
    EXPECT_EQ(i16.counts[32768], 1);  // 0
}

// img_as_float of 16-bit data (k * (1 / 65535)), with every 7th value moved off those by
// one ulp and a NaN: values that the table of img_as_float's values holds, and others.
template <typename T>
Volume quantized_floats() {
    return make_volume<T>({5, 256, 256, 1},
                          [](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t) {
                              const std::int64_t i = (z * 256 + y) * 256 + x;
                              const T v = T(i % 65536) * T(1.0 / 65535.0);
                              if (i == 12345) return T(NAN);
                              return i % 7 == 0 ? std::nextafter(v, T(2)) : v;
                          });
}

// op of each z plane of a volume of 256 x 256 planes, one after the other: planes of 65536
// values are too small for tables and caches, so each value is computed.
template <typename Op>
std::vector<double> values_plane_by_plane(const Volume& volume, Op&& op) {
    std::vector<double> values;
    for (std::int64_t z = 0; z < volume.shape().z; ++z) {
        const std::vector<double> plane =
            values_of(op(volume.crop({{z, 0, 0}, {z + 1, 256, 256}})));
        values.insert(values.end(), plane.begin(), plane.end());
    }
    return values;
}

void same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        ASSERT_TRUE(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]))) << "value " << i;
}

template <typename T>
void expect_table_gives_what_each_value_gives() {
    const Volume volume = quantized_floats<T>();
    const auto per_plane = [&](auto op) { return values_plane_by_plane(volume, op); };
    const auto gamma = [](const Volume& v) { return adjust_gamma(v, 1.5, 0.9); };
    const auto log = [](const Volume& v) { return adjust_log(v, 0.8, false); };
    const auto log_inv = [](const Volume& v) { return adjust_log(v, 0.8, true); };
    const auto sigmoid = [](const Volume& v) { return adjust_sigmoid(v, 0.3, 7.0, true); };
    same_bits(values_of(gamma(volume)), per_plane(gamma));
    same_bits(values_of(log(volume)), per_plane(log));
    same_bits(values_of(log_inv(volume)), per_plane(log_inv));
    same_bits(values_of(sigmoid(volume)), per_plane(sigmoid));
    // In place (the volume given up), the table reads each value before writing it.
    Volume owned = volume.copy();
    const void* buffer = owned.view<T>().origin;
    const Volume in_place = adjust_gamma(std::move(owned), 1.5, 0.9);
    EXPECT_EQ(in_place.view<T>().origin, buffer);
    same_bits(values_of(in_place), per_plane(gamma));
    // And both are numpy's arithmetic: pow of the value, times scale 1 and the gain.
    const std::vector<double> in = values_of(volume);
    const std::vector<double> out = values_of(gamma(volume));
    for (std::size_t i = 0; i < in.size(); i += 997) {
        const T expected = T(T(std::pow(T(in[i]), T(1.5)) * T(1)) * T(0.9));
        ASSERT_TRUE(double(expected) == out[i] || std::isnan(out[i])) << "value " << i;
    }
}

// (float32 takes no table: Float32CorrectionsEvaluateManyValuesAtOnce.)
TEST(ExposureFloatTest, TableOfImgAsFloatValuesChangesNoResult) {
    expect_table_gives_what_each_value_gives<double>();
}

// Into a new volume, the table path checks the signs of the values off the table as it
// maps them (keys are never negative), not in a pass before. One negative value among
// img_as_float's is refused all the same, by each op, and in place before anything is
// written. Negative zero and NaN are not negative, as for skimage's image.min() < 0.
template <typename T>
void expect_negative_values_refused() {
    const std::string message =
        "Image Correction methods work correctly only on images with "
        "non-negative values. Use skimage.exposure.rescale_intensity.";
    Volume volume = quantized_floats<T>();
    T* values = volume.mutable_view<T>().origin;
    values[3] = T(-0.0);
    EXPECT_NO_THROW(adjust_gamma(volume, 1.5));
    values[4 * 65536 + 777] = -std::numeric_limits<T>::denorm_min();
    VOX_EXPECT_THROW_MSG(adjust_gamma(volume, 1.5), ValueError, message);
    VOX_EXPECT_THROW_MSG(adjust_log(volume), ValueError, message);
    VOX_EXPECT_THROW_MSG(adjust_sigmoid(volume), ValueError, message);
    Volume owned = volume.copy();
    const std::vector<T> before(owned.view<T>().origin,
                                owned.view<T>().origin + owned.shape().values());
    VOX_EXPECT_THROW_MSG(adjust_gamma(std::move(owned), 1.5), ValueError, message);
    ASSERT_TRUE(owned.is_sole_owner());
    EXPECT_EQ(std::memcmp(owned.view<T>().origin, before.data(), before.size() * sizeof(T)), 0);
}

TEST(ExposureFloatTest, TablePathRefusesNegativeValues) {
    expect_negative_values_refused<double>();
    expect_negative_values_refused<float>();
}

// Gamma 0.5 of packed floats takes roots in vectors: each value is sqrt(v) * gain in T (as
// numpy's sqrt fast path, and as a strided view computed one value at a time), for rows
// with a tail after the vectors, NaN, negative zero and infinity. A negative value is
// refused, in place before anything is written.
template <typename T>
void expect_vector_roots() {
    const Volume volume = make_volume<T>(
        {3, 5, 37, 2}, [](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t c) {
            const std::int64_t i = ((z * 5 + y) * 37 + x) * 2 + c;
            if (i == 11) return T(NAN);
            if (i == 12) return T(-0.0);
            if (i == 13) return std::numeric_limits<T>::infinity();
            return T(double(i * 7919 % 1009) * 0.0123 + 1e-30);
        });
    const T gain = T(0.7);
    std::vector<double> expected;
    for (const double v : values_of(volume))
        expected.push_back(double(T(std::sqrt(T(v)) * gain)));
    same_bits(values_of(adjust_gamma(volume, 0.5, 0.7)), expected);
    // One channel of two: a strided view, mapped value by value.
    const Volume channel = volume.channel(1);
    const Volume strided_result = adjust_gamma(channel, 0.5, 0.7);
    std::vector<double> channel_expected;
    for (const double v : values_of(channel))
        channel_expected.push_back(double(T(std::sqrt(T(v)) * gain)));
    same_bits(values_of(strided_result), channel_expected);

    const std::string message =
        "Image Correction methods work correctly only on images with "
        "non-negative values. Use skimage.exposure.rescale_intensity.";
    Volume negative = volume.copy();
    negative.mutable_view<T>().origin[200] = T(-1e-20);
    VOX_EXPECT_THROW_MSG(adjust_gamma(negative, 0.5), ValueError, message);
    const std::vector<double> before = values_of(negative);
    VOX_EXPECT_THROW_MSG(adjust_gamma(std::move(negative), 0.5), ValueError, message);
    same_bits(values_of(negative), before);
}

TEST(ExposureFloatTest, GammaHalfTakesRootsInVectors) {
    expect_vector_roots<float>();
    expect_vector_roots<double>();
}

// Other doubles of large volumes go through a cache of results per value. With values that
// repeat (a few thousand distinct ones, in a scattered order, with a NaN and a negative
// zero) and with values that never do (the cache then stops asking), gamma, log and
// sigmoid give what each value gives: planes of 65536 values are computed one by one.
// On one thread each of the four tasks has four planes, two of the cache's windows: with
// values that never repeat, the second is computed without it.
template <typename T>
void expect_cache_gives_what_each_value_gives(bool repeating) {
    const Volume volume = make_volume<T>(
        {16, 256, 256, 1}, [&](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t) {
            const std::int64_t i = (z * 256 + y) * 256 + x;
            if (i == 777) return T(NAN);
            if (i == 778) return T(-0.0);
            return repeating ? T((i * 7919) % 5003) * T(0.000193) + T(0.01) : T(i) * T(1e-6);
        });
    const auto per_plane = [&](auto op) { return values_plane_by_plane(volume, op); };
    const auto gamma = [](const Volume& v) { return adjust_gamma(v, 1.5, 0.9); };
    const auto log = [](const Volume& v) { return adjust_log(v, 0.8, true); };
    const auto sigmoid = [](const Volume& v) { return adjust_sigmoid(v, 0.3, 7.0, false); };
    same_bits(values_of(gamma(volume)), per_plane(gamma));
    same_bits(values_of(log(volume)), per_plane(log));
    same_bits(values_of(sigmoid(volume)), per_plane(sigmoid));
    Volume owned = volume.copy();
    same_bits(values_of(adjust_gamma(std::move(owned), 1.5, 0.9)), per_plane(gamma));

    // A negative value is refused, though it repeats (it is checked when it first misses).
    Volume negative = volume.copy();
    for (std::int64_t i = 100000; i < 100000 + 3 * 65536; i += 65536)
        negative.mutable_view<T>().origin[i] = T(-0.25);
    const std::string message =
        "Image Correction methods work correctly only on images with "
        "non-negative values. Use skimage.exposure.rescale_intensity.";
    VOX_EXPECT_THROW_MSG(adjust_gamma(negative, 1.5), ValueError, message);
    VOX_EXPECT_THROW_MSG(adjust_sigmoid(negative), ValueError, message);
    VOX_EXPECT_THROW_MSG(adjust_log(std::move(negative)), ValueError, message);
}

TEST(ExposureFloatTest, CacheOfResultsChangesNoResult) {
    set_thread_count(1);
    for (const bool repeating : {true, false}) {
        SCOPED_TRACE(repeating ? "repeating values" : "distinct values");
        expect_cache_gives_what_each_value_gives<double>(repeating);
    }
    set_thread_count(0);
}

// float32 gamma, log and sigmoid evaluate their pow, log2 and exp many values at a time
// (detail::power_floats and its kin), then numpy's float arithmetic. Each result is within
// two ulps of that arithmetic on the exact pow, log2 or exp (one ulp of the function, and
// the gain's product) and equal to it for all but a few in 10000; numpy's fast-path
// exponents are numpy's arithmetic exactly. Strided views, in place and out of place give
// the same bits, and special values are numpy's.
TEST(ExposureFloatTest, Float32CorrectionsEvaluateManyValuesAtOnce) {
    const Volume volume = make_volume<float>(
        {4, 64, 300, 2}, [](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t c) {
            const std::int64_t i = ((z * 64 + y) * 300 + x) * 2 + c;
            if (i == 11) return NAN;
            if (i == 12) return -0.0f;
            if (i == 13) return std::numeric_limits<float>::infinity();
            if (i == 14) return 0.0f;
            if (i % 5 == 0) return float(i % 4099) * 1e-5f;  // near 0, where log2 cancels
            return float((i * 7919) % 100003) / 100003.0f * 3.0f;
        });
    using Exact = long double;
    const auto ulps_apart = [](float a, float b) {
        if (a == b || (std::isnan(a) && std::isnan(b))) return std::int64_t(0);
        if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<std::int64_t>::max();
        std::int32_t p, q;
        std::memcpy(&p, &a, 4);
        std::memcpy(&q, &b, 4);
        return std::abs(std::int64_t(p) - std::int64_t(q));
    };
    struct Case {
        const char* name;
        std::function<Volume(const Volume&)> op;
        std::function<float(float)> numpy;  // numpy's float arithmetic on exact functions
        bool exact;
    };
    const float gain = 0.9f, cutoff = 0.3f, steep = 7.0f;
    const std::vector<Case> cases = {
        {"gamma 1.5", [](const Volume& v) { return adjust_gamma(v, 1.5, 0.9); },
         [&](float v) { return float(std::pow(Exact(v), Exact(1.5f))) * gain; }, false},
        {"gamma 2.2", [](const Volume& v) { return adjust_gamma(v, 2.2, 1.0); },
         [&](float v) { return float(std::pow(Exact(v), Exact(2.2f))); }, false},
        {"gamma 2 (numpy's square)", [](const Volume& v) { return adjust_gamma(v, 2.0, 0.9); },
         [&](float v) { return (v * v) * gain; }, true},
        {"log", [](const Volume& v) { return adjust_log(v, 0.9, false); },
         [&](float v) { return float(std::log2(Exact(1.0f + v))) * gain; }, false},
        {"log inv", [](const Volume& v) { return adjust_log(v, 0.9, true); },
         [&](float v) { return (float(std::exp2(Exact(v))) - 1.0f) * gain; }, false},
        {"sigmoid", [](const Volume& v) { return adjust_sigmoid(v, 0.3, 7.0, false); },
         [&](float v) { return 1.0f / (1.0f + float(std::exp(Exact(steep * (cutoff - v))))); },
         false},
        {"sigmoid inv", [](const Volume& v) { return adjust_sigmoid(v, 0.3, 7.0, true); },
         [&](float v) {
             return 1.0f - 1.0f / (1.0f + float(std::exp(Exact(steep * (cutoff - v)))));
         },
         false},
    };
    const std::vector<double> in = values_of(volume);
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const Volume out = c.op(volume);
        ASSERT_EQ(out.pixel_type(), PixelType::f32);
        const std::vector<double> got = values_of(out);
        std::int64_t differ = 0;
        for (std::size_t i = 0; i < in.size(); ++i) {
            const float expected = c.numpy(float(in[i]));
            const std::int64_t apart = ulps_apart(float(got[i]), expected);
            ASSERT_LE(apart, c.exact ? 0 : 2)
                << "value " << in[i] << ": " << got[i] << ", expected " << expected;
            differ += apart != 0 ? 1 : 0;
        }
        EXPECT_LE(differ * 2000, std::int64_t(in.size())) << differ << " differ";
        const auto negative_zero =
            std::find_if(in.begin(), in.end(), [](double v) { return v == 0 && std::signbit(v); });
        ASSERT_NE(negative_zero, in.end());
        // -0 is not negative, and 0 ** y is +0.
        EXPECT_EQ(ulps_apart(float(got[std::size_t(negative_zero - in.begin())]), c.numpy(-0.0f)),
                  0);
        // A strided view (every other x) is gathered into the same evaluation.
        same_bits(values_of(c.op(volume.step(1, 1, 2))), values_of(out.step(1, 1, 2)));
    }
    Volume owned = volume.copy();
    const void* buffer = owned.view<float>().origin;
    const Volume in_place = adjust_sigmoid(std::move(owned), 0.3, 7.0, true);
    EXPECT_EQ(in_place.view<float>().origin, buffer);
    same_bits(values_of(in_place), values_of(adjust_sigmoid(volume, 0.3, 7.0, true)));
    // A negative value in a strided view is refused too.
    Volume negative = volume.copy();
    negative.mutable_view<float>().row(1, 3, 1)[100] = -1e-30f;
    VOX_EXPECT_THROW_MSG(adjust_log(negative.step(1, 1, 2)), ValueError,
                         "Image Correction methods work correctly only on images with "
                         "non-negative values. Use skimage.exposure.rescale_intensity.");
}

// Floats that are not img_as_float's values, with a background at the minimum, values on
// every edge and beside them: histogram() counts each value in the bin the edges give
// (np.histogram's edges, in T), and equalize_hist() gives np.interp of each value, searched
// here one value at a time. Their bins and intervals are found by arithmetic for most.
template <typename T>
void expect_binning_by_edges() {
    constexpr double kLow = 0.5, kHigh = 3.5;
    constexpr int kBins = 256;
    std::vector<T> edges;
    for (int k = 0; k < kBins; ++k)
        edges.push_back(T(double(k) * ((kHigh - kLow) / kBins) + kLow));
    edges.push_back(T(kHigh));
    const Volume volume = make_volume<T>(
        {8, 256, 256, 1}, [&](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t) {
            const std::int64_t i = (z * 256 + y) * 256 + x;
            if (i % 7 == 0 || i == 5) return T(kLow);
            if (i == 6) return T(kHigh);
            const T edge = edges[std::size_t(1 + i / 11 % (kBins - 1))];  // inner edges
            if (i % 11 == 1) return edge;
            if (i % 11 == 2) return std::nextafter(edge, T(0));
            if (i % 11 == 3) return std::nextafter(edge, T(10));
            return T(double((i * 7919) % 100003) / 100003.0 * (kHigh - kLow) + kLow);
        });
    const std::vector<double> values = values_of(volume);
    std::vector<std::int64_t> counts(kBins, 0);
    for (const double v : values) {
        const auto above = std::upper_bound(edges.begin(), edges.end(), T(v)) - edges.begin();
        ++counts[std::size_t(std::clamp<std::ptrdiff_t>(above - 1, 0, kBins - 1))];
    }
    const Histogram h = histogram(volume, kBins);
    EXPECT_EQ(h.counts, counts);

    // np.interp(v, centres, cdf), searching the centres for each value.
    const CumulativeDistribution cdf = cumulative_distribution(volume, kBins);
    const std::vector<double>& xp = cdf.bin_centers;
    const std::vector<double>& fp = cdf.cdf;
    const std::vector<double> equalized = values_of(equalize_hist(volume, kBins));
    ASSERT_EQ(equalized.size(), values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double v = values[i];
        double expected = v < xp.front() ? fp.front() : fp.back();
        if (v >= xp.front() && v < xp.back()) {
            const std::size_t j =
                std::size_t(std::upper_bound(xp.begin(), xp.end(), v) - xp.begin()) - 1;
            const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
            expected = xp[j] == v ? fp[j] : slope * (v - xp[j]) + fp[j];
        }
        ASSERT_EQ(equalized[i], double(T(expected))) << "value " << v << " at " << i;
    }
}

TEST(ExposureFloatTest, BinsAndIntervalsFoundByArithmeticAreTheEdges) {
    expect_binning_by_edges<float>();
    expect_binning_by_edges<double>();
}

// Histograms of img_as_float's values are counted by key when every value is one: the
// counts and centres are those of float binning. Each half of the volume holds every key,
// so the halves (too small for key counting) bin over the same edges and add up.
TEST(ExposureFloatTest, HistogramsCountedByKeyAreFloatBinnings) {
    const Volume volume = make_volume<double>(
        {6, 256, 256, 1}, [](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t) {
            const std::int64_t i = (z * 256 + y) * 256 + x;
            return double((i * 40503) % 65536) * (1.0 / 65535.0);
        });
    const Volume first = volume.crop({{0, 0, 0}, {3, 256, 256}});
    const Volume second = volume.crop({{3, 0, 0}, {6, 256, 256}});
    for (const int nbins : {256, 10, 1000}) {
        const Histogram whole = histogram(volume, nbins);
        const Histogram a = histogram(first, nbins);
        const Histogram b = histogram(second, nbins);
        EXPECT_EQ(whole.bin_centers, a.bin_centers);
        std::vector<std::int64_t> sum(a.counts.size());
        for (std::size_t i = 0; i < sum.size(); ++i)
            sum[i] = a.counts[i] + b.counts[i];
        EXPECT_EQ(whole.counts, sum) << nbins << " bins";
        EXPECT_EQ(cumulative_distribution(volume, nbins).bin_centers, whole.bin_centers);
    }
    // A NaN among them takes the float path, and its error.
    Volume with_nan = volume.copy();
    with_nan.mutable_view<double>().origin[1000] = NAN;
    VOX_EXPECT_THROW_MSG(histogram(with_nan), ValueError,
                         "autodetected hist_range of [nan, nan] is not finite");
}

TEST(ExposureInPlaceTest, WritesIntoAnUnsharedVolumeOnly) {
    auto fill = [](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t) {
        return std::uint16_t(1000 * z + 100 * y + x);
    };
    const Volume reference = make_volume<std::uint16_t>({2, 3, 4, 1}, fill);
    const std::vector<double> expected = values_of(adjust_gamma(reference, 0.5));

    // Moved in and shared with nobody: the result is the same buffer.
    Volume owned = reference.copy();
    const void* buffer = owned.view<std::uint16_t>().origin;
    const Volume result = adjust_gamma(std::move(owned), 0.5);
    EXPECT_EQ(result.view<std::uint16_t>().origin, buffer);
    EXPECT_EQ(values_of(result), expected);

    // Moved in while a view still shares it: a new buffer, the view untouched.
    Volume shared = reference.copy();
    const Volume view = shared.crop({{1, 2, 3}, {2, 3, 4}});
    const Volume separate = adjust_gamma(std::move(shared), 0.5);
    EXPECT_FALSE(separate.shares_memory_with(view));
    EXPECT_EQ(view.value_at(0, 0, 0), 1203);
    EXPECT_EQ(values_of(separate), expected);

    // A type change cannot be in place; the values are rescale_intensity's.
    Volume to_float = reference.copy();
    const Volume rescaled = rescale_intensity(std::move(to_float), IntensityRange::image(),
                                              IntensityRange::values(0, 1));
    EXPECT_EQ(rescaled.pixel_type(), PixelType::f64);
    EXPECT_EQ(values_of(rescaled), values_of(rescale_intensity(reference, IntensityRange::image(),
                                                               IntensityRange::values(0, 1))));
}

// A strided view left as the sole owner of its buffer (the volume it was taken from
// dropped) is given up: the op writes each voxel where that view has it, or into a new
// volume, never over the voxels between. Tables (u16), keys and caches (floats).
TEST(ExposureInPlaceTest, StridedViewsKeepTheirLayout) {
    auto fill_u16 = [](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t) {
        return std::uint16_t((z * 7919 + y * 104729 + x * 13) & 0xFFFF);
    };
    auto fill_f32 = [](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t) {
        return float(((z * 7919 + y * 104729 + x * 13) % 3001) * 0.0003);
    };
    auto fill_f64 = [](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t) {
        return double((z * 7919 + y * 104729 + x * 13) & 0xFFFF) * (1.0 / 65535.0);
    };
    const std::vector<Volume> sources = {make_volume<std::uint16_t>({8, 256, 512, 1}, fill_u16),
                                         make_volume<float>({8, 256, 512, 1}, fill_f32),
                                         make_volume<double>({8, 256, 512, 1}, fill_f64)};
    for (const Volume& source : sources) {
        SCOPED_TRACE(std::string(pixel_type_name(source.pixel_type())));
        const Volume expected = adjust_gamma(source.step(1, 1, 2), 1.5);
        Volume strided = source.copy().step(1, 1, 2);
        ASSERT_TRUE(strided.is_sole_owner());
        const Volume result = adjust_gamma(std::move(strided), 1.5);
        same_bits(values_of(result), values_of(expected));
    }
}

// 64 MiB and more in place: the lookups go out with non-temporal stores into the buffer
// being read. Same values as into a separate output, odd row length included.
TEST(ExposureInPlaceTest, LargeVolumesStreamIntoTheirOwnBuffer) {
    auto fill = [](std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t) {
        return std::uint16_t((z * 7919 + y * 104729 + x * 13) & 0xFFFF);
    };
    const Volume reference = make_volume<std::uint16_t>({64, 1021, 515, 1}, fill);
    ASSERT_GE(reference.size_bytes(), std::int64_t(64) << 20);
    const Volume expected = adjust_gamma(reference, 0.5);
    Volume owned = reference.copy();
    const void* buffer = owned.view<std::uint16_t>().origin;
    const Volume result = adjust_gamma(std::move(owned), 0.5);
    ASSERT_EQ(result.view<std::uint16_t>().origin, buffer);
    const auto got = result.view<std::uint16_t>();
    const auto want = expected.view<std::uint16_t>();
    std::int64_t mismatches = 0;
    for (std::int64_t z = 0; z < 64; ++z)
        for (std::int64_t y = 0; y < 1021; ++y)
            mismatches += std::memcmp(got.row(z, y), want.row(z, y), 515 * 2) != 0 ? 1 : 0;
    EXPECT_EQ(mismatches, 0);
}

TEST(ExposureCumulativeDistributionTest, NormalisedCumsum) {
    const CumulativeDistribution cdf =
        cumulative_distribution(make_line<std::uint16_t>({1, 1, 2, 4}));
    EXPECT_EQ(cdf.cdf, (std::vector<double>{0.5, 0.75, 0.75, 1.0}));
    EXPECT_EQ(cdf.bin_centers, (std::vector<double>{1, 2, 3, 4}));
}

TEST(ExposureEqualizeHistTest, IntegerAndMask) {
    const Volume u16 = make_line<std::uint16_t>({1, 1, 2, 4});
    const Volume eq = equalize_hist(u16);
    EXPECT_EQ(eq.pixel_type(), PixelType::f64);
    EXPECT_EQ(values_of(eq), (std::vector<double>{0.5, 0.5, 0.75, 1.0}));
    const Volume mask = make_line<std::uint8_t>({1, 0, 1, 0});
    // cdf of {1, 2}: [0.5, 1] at [1, 2]; 4 is right of the range: 1
    EXPECT_EQ(values_of(equalize_hist(u16, 256, &mask)), (std::vector<double>{0.5, 0.5, 1.0, 1.0}));
    const Volume none = make_line<std::uint8_t>({0, 0, 0, 0});
    VOX_EXPECT_THROW_MSG(equalize_hist(u16, 256, &none), ValueError, "mask selects no voxel");
    EXPECT_EQ(equalize_hist(make_line<float>({0.f, 1.f})).pixel_type(), PixelType::f32);
}

TEST(ExposureMatchHistogramsTest, JointAndPerChannel) {
    const Volume source = make_line<std::uint8_t>({0, 1, 2, 3});
    const Volume reference = make_line<std::uint8_t>({10, 20, 30, 40});
    const Volume joint = match_histograms(source, reference);
    EXPECT_EQ(joint.pixel_type(), PixelType::f64);
    EXPECT_EQ(values_of(joint), (std::vector<double>{10, 20, 30, 40}));
    const Volume per = match_histograms(source, reference, ChannelMode::per_channel);
    EXPECT_EQ(per.pixel_type(), PixelType::u8);
    EXPECT_EQ(values_of(per), (std::vector<double>{10, 20, 30, 40}));
    const Volume two = Volume::allocate({1, 1, 4, 2}, PixelType::u8);
    VOX_EXPECT_THROW_MSG(match_histograms(two, reference, ChannelMode::per_channel), ValueError,
                         "Number of channels in the input image and reference image must match!");
}

TEST(ExposureTest, KeepsSpacingAndHandlesViews) {
    Volume volume = make_volume<std::uint16_t>({4, 5, 6, 2}, [](auto z, auto y, auto x, auto c) {
        return z * 100 + y * 10 + x + c * 1000;
    });
    volume.set_spacing({{2.0, 1.0, 0.5}, "mm", true});
    const Volume strided = volume.step(1, 2, 2);
    const Volume out = adjust_gamma(strided, 1.0);
    EXPECT_EQ(out.spacing(), strided.spacing());
    EXPECT_EQ(values_of(out), values_of(strided));
    EXPECT_EQ(values_of(rescale_intensity(strided, IntensityRange::image(),
                                          IntensityRange::values(0, 1))),
              values_of(rescale_intensity(strided.copy(), IntensityRange::image(),
                                          IntensityRange::values(0, 1))));
}

}  // namespace
}  // namespace vox
