// Edge cases of the conversions. Parity with scikit-image itself, on every pair of types, is
// checked by tests/conformance/skimage_convert_test.
#include "vox/convert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "test_util.h"

namespace vox {
namespace {

using test::make_line;
using test::values_of;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(ConvertTest, ImgAsFloatMapsIntegerLimitsToUnitRange) {
    EXPECT_EQ(values_of(img_as_float(make_line<std::uint8_t>({0, 51, 255}))),
              (std::vector<double>{0.0, 51.0 * (1.0 / 255.0), 1.0}));
    EXPECT_EQ(values_of(img_as_float(make_line<std::uint16_t>({0, 65535}))),
              (std::vector<double>{0.0, 1.0}));
    EXPECT_EQ(values_of(img_as_float(make_line<std::uint32_t>({0, 4294967295u}))),
              (std::vector<double>{0.0, 1.0}));
    // The most negative value would be slightly below -1: it is clipped to -1.
    EXPECT_EQ(values_of(img_as_float(make_line<std::int8_t>({-128, -127, 0, 127}))),
              (std::vector<double>{-1.0, -1.0, 0.0, 1.0}));
    EXPECT_EQ(values_of(img_as_float(make_line<std::int16_t>({-32768, 32767}))),
              (std::vector<double>{-1.0, 1.0}));
    EXPECT_EQ(values_of(img_as_float(
                  make_line<std::int32_t>({std::numeric_limits<std::int32_t>::min(), 0}))),
              (std::vector<double>{-1.0, 0.0}));
    EXPECT_EQ(img_as_float(make_line<std::uint8_t>({1})).pixel_type(), PixelType::f64);
}

TEST(ConvertTest, ImgAsFloatLeavesFloatsAlone) {
    const Volume floats = make_line<float>({-3.0f, 2.5f, float(kNaN)});
    const Volume same = img_as_float(floats);
    EXPECT_EQ(same.pixel_type(), PixelType::f32);
    EXPECT_TRUE(same.shares_memory_with(floats));  // unchanged: no copy
    const Volume as32 = img_as_float32(make_line<std::uint16_t>({65535, 0}));
    EXPECT_EQ(as32.pixel_type(), PixelType::f32);
    EXPECT_EQ(values_of(as32), (std::vector<double>{1.0, 0.0}));
    const Volume narrowed = img_as_float32(make_line<double>({1e300, -1e300, kInf}));
    EXPECT_EQ(values_of(narrowed), (std::vector<double>{kInf, -kInf, kInf}));
}

TEST(ConvertTest, FloatToIntegerRoundsHalfToEvenAndClips) {
    const Volume floats = make_line<double>({0.0, 1.0, 0.5, -0.5, 0.25, 0.75, kNaN});
    EXPECT_EQ(values_of(img_as_ubyte(floats)), (std::vector<double>{0, 255, 128, 0, 64, 191, 0}));
    EXPECT_EQ(values_of(img_as_uint(make_line<float>({1.0f, 0.25f}))),
              (std::vector<double>{65535, 16384}));
    // Signed: v * 32767.5 - 0.5, rounded: -1 -> -32768, 1 -> 32767, 0 -> -0.5 -> -0 (half to even).
    EXPECT_EQ(values_of(img_as_int(make_line<double>({-1.0, 1.0, 0.0}))),
              (std::vector<double>{-32768, 32767, 0}));
}

TEST(ConvertTest, FloatOutsideUnitRangeIsRejected) {
    VOX_EXPECT_THROW_MSG(
        img_as_ubyte(make_line<double>({0.5, 1.5})), ValueError,
        "Images of type float must be between -1 and 1 to convert to u8 (range is 0.5 to 1.5)");
    EXPECT_THROW(img_as_uint(make_line<float>({0.0f, float(kInf)})), ValueError);
    EXPECT_THROW(img_as_int(make_line<float>({-float(kInf)})), ValueError);
}

TEST(ConvertTest, IntegerBitDepthScaling) {
    EXPECT_EQ(values_of(img_as_uint(make_line<std::uint8_t>({0, 1, 255}))),
              (std::vector<double>{0, 257, 65535}));
    EXPECT_EQ(values_of(img_as_ubyte(make_line<std::uint16_t>({0, 255, 256, 65535}))),
              (std::vector<double>{0, 0, 1, 255}));
    EXPECT_EQ(values_of(img_as_int(make_line<std::uint8_t>({0, 255}))),
              (std::vector<double>{0, 32767}));
    EXPECT_EQ(values_of(img_as_int(make_line<std::int8_t>({-128, 0, 127}))),
              (std::vector<double>{-32768, 128, 32767}));
    EXPECT_EQ(values_of(img_as_uint(make_line<std::int16_t>({-5, 0, 32767}))),
              (std::vector<double>{0, 0, 65535}));
    EXPECT_EQ(values_of(img_as_ubyte(make_line<std::int16_t>({-1000, 300, 32767}))),
              (std::vector<double>{0, 2, 255}));
    EXPECT_EQ(values_of(convert_like_skimage(make_line<std::int8_t>({-128, 127}), PixelType::u32)),
              (std::vector<double>{0, 4294967295.0}));
}

TEST(ConvertTest, NarrowingDataThatFitsIsAPlainCast) {
    // scikit-image: u16 data whose max fits in 8 bits is cast, not divided by 256.
    EXPECT_EQ(values_of(img_as_ubyte(make_line<std::uint16_t>({0, 17, 255}))),
              (std::vector<double>{0, 17, 255}));
    EXPECT_EQ(values_of(convert_like_skimage(make_line<std::int16_t>({-100, 100}), PixelType::i8)),
              (std::vector<double>{-100, 100}));
    // Where skimage would wrap -30000 through int8, voxscope scales instead (floor division by
    // 256).
    EXPECT_EQ(values_of(convert_like_skimage(make_line<std::int16_t>({-30000, 5}), PixelType::i8)),
              (std::vector<double>{-118, 0}));
}

TEST(ConvertTest, SameTypeReturnsTheVolumeAndMetadataIsKept) {
    Volume volume = make_line<std::uint16_t>({1, 2});
    volume.set_spacing({{2, 1, 1}, "µm", true});
    volume.metadata()["key"] = "value";
    EXPECT_TRUE(img_as_uint(volume).shares_memory_with(volume));
    const Volume converted = img_as_float(volume);
    EXPECT_EQ(converted.spacing(), volume.spacing());
    EXPECT_EQ(converted.metadata().at("key"), "value");
}

TEST(ConvertTest, AstypeClip) {
    const Volume floats = make_line<float>({-3.7f, 300.5f, float(kNaN), 2.5f, 3.5f});
    EXPECT_EQ(values_of(astype(floats, PixelType::u8, CastMode::clip)),
              (std::vector<double>{0, 255, 0, 2, 4}));
    EXPECT_EQ(values_of(astype(make_line<std::int32_t>({-70000, 5, 70000}), PixelType::i16,
                               CastMode::clip)),
              (std::vector<double>{-32768, 5, 32767}));
    const Volume narrowed =
        astype(make_line<double>({1e300, kInf, kNaN}), PixelType::f32, CastMode::clip);
    const auto values = values_of(narrowed);
    EXPECT_EQ(values[0], double(std::numeric_limits<float>::max()));
    EXPECT_EQ(values[1], kInf);
    EXPECT_TRUE(std::isnan(values[2]));
    EXPECT_EQ(
        values_of(astype(make_line<std::uint32_t>({4294967295u}), PixelType::f64, CastMode::clip)),
        (std::vector<double>{4294967295.0}));
}

TEST(ConvertTest, AstypeRescale) {
    const Volume volume = make_line<std::uint16_t>({100, 150, 300});
    EXPECT_EQ(values_of(astype(volume, PixelType::u8, CastMode::rescale)),
              (std::vector<double>{0, 64, 255}));
    EXPECT_EQ(values_of(astype(volume, PixelType::f32, CastMode::rescale)),
              (std::vector<double>{0, 0.25, 1}));
    EXPECT_EQ(values_of(astype(volume, PixelType::i8, CastMode::rescale)),
              (std::vector<double>{-128, -64, 127}));
    EXPECT_EQ(values_of(astype(make_line<float>({3, 3}), PixelType::u8, CastMode::rescale)),
              (std::vector<double>{0, 0}));
    // The finite range is mapped; infinities clamp to the ends, NaN becomes 0.
    EXPECT_EQ(values_of(astype(make_line<double>({kInf, 0.05, 0.5, -kInf, std::nan("")}),
                               PixelType::u8, CastMode::rescale)),
              (std::vector<double>{255, 0, 255, 0, 0}));
    EXPECT_EQ(values_of(astype(make_line<double>({0, kInf}), PixelType::u8, CastMode::rescale)),
              (std::vector<double>{0, 255}));
    VOX_EXPECT_THROW_MSG(
        astype(make_line<double>({std::nan(""), kInf}), PixelType::u8, CastMode::rescale),
        ValueError, "cannot rescale to u8: the data hold no finite value");
    // Half way maps to the exact half, rounded to even (a folded scale gave 32767).
    EXPECT_EQ(values_of(astype(make_line<std::uint16_t>({2, 501, 1000}), PixelType::u16,
                               CastMode::rescale)),
              (std::vector<double>{0, 32768, 65535}));
    EXPECT_EQ(parse_cast_mode("rescale"), CastMode::rescale);
    EXPECT_THROW(parse_cast_mode("wrap"), ValueError);
}

}  // namespace
}  // namespace vox
