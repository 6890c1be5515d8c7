#include "vox/pixel_type.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "test_util.h"
#include "vox/volume.h"

namespace vox {
namespace {

TEST(PixelTypeTest, NamesSizesAndParsing) {
    const std::size_t sizes[] = {1, 1, 2, 2, 4, 4, 4, 8};
    int index = 0;
    for (PixelType type : kAllPixelTypes) {
        EXPECT_EQ(pixel_size(type), sizes[index++]);
        EXPECT_EQ(parse_pixel_type(pixel_type_name(type)), type);
        EXPECT_EQ(parse_pixel_type(numpy_dtype_name(type)), type);
    }
    EXPECT_EQ(pixel_type_name(PixelType::u16), "u16");
    EXPECT_EQ(numpy_dtype_name(PixelType::f32), "float32");
    VOX_EXPECT_THROW_MSG(
        parse_pixel_type("u64"), ValueError,
        "unknown pixel type 'u64' (expected one of u8, i8, u16, i16, u32, i32, f32, f64)");
}

TEST(PixelTypeTest, Classification) {
    EXPECT_TRUE(is_float(PixelType::f32));
    EXPECT_TRUE(is_float(PixelType::f64));
    EXPECT_FALSE(is_float(PixelType::u32));
    EXPECT_TRUE(is_signed_integer(PixelType::i8));
    EXPECT_FALSE(is_signed_integer(PixelType::u8));
    EXPECT_FALSE(is_signed_integer(PixelType::f32));
    EXPECT_EQ(dtype_range(PixelType::u8), (std::pair{0.0, 255.0}));
    EXPECT_EQ(dtype_range(PixelType::i16), (std::pair{-32768.0, 32767.0}));
    EXPECT_EQ(dtype_range(PixelType::u32), (std::pair{0.0, 4294967295.0}));
    EXPECT_EQ(dtype_range(PixelType::f64), (std::pair{-1.0, 1.0}));  // skimage's nominal range
}

TEST(PixelTypeTest, VisitCallsTheMatchingTemplate) {
    for (PixelType type : kAllPixelTypes) {
        const PixelType seen =
            visit(type, [](auto tag) { return pixel_type_of<typename decltype(tag)::type>(); });
        EXPECT_EQ(seen, type);
    }
    EXPECT_THROW(visit(PixelType(42), [](auto) { return 0; }), TypeError);
}

// Every pixel type round-trips its limits through a volume.
template <typename T>
class EveryPixelTypeTest : public ::testing::Test {};
using AllPixelTypes = ::testing::Types<std::uint8_t, std::int8_t, std::uint16_t, std::int16_t,
                                       std::uint32_t, std::int32_t, float, double>;
TYPED_TEST_SUITE(EveryPixelTypeTest, AllPixelTypes);

TYPED_TEST(EveryPixelTypeTest, StoresLimitsExactly) {
    using T = TypeParam;
    const T values[] = {std::numeric_limits<T>::lowest(), T(0), std::numeric_limits<T>::max()};
    Volume volume =
        test::make_volume<T>({1, 1, 3, 2}, [&](auto, auto, auto x, auto) { return values[x]; });
    EXPECT_EQ(volume.pixel_type(), pixel_type_of<T>());
    for (int x = 0; x < 3; ++x) {
        EXPECT_EQ(volume.view<T>()(0, 0, x, 1), values[x]);
        EXPECT_EQ(volume.value_at(0, 0, x, 1), double(values[x]));
    }
    EXPECT_EQ(volume.size_bytes(), std::int64_t(6 * sizeof(T)));
}

}  // namespace
}  // namespace vox
