#include "vox/volume.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "test_util.h"

namespace vox {
namespace {

using test::make_volume;

// Value encodes its own index, so any indexing mistake shows up as a wrong value.
double code(std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t c) {
    return double(c * 1000000 + z * 10000 + y * 100 + x);
}

Volume coded_volume(const Shape& shape = {6, 7, 8, 3}) {
    return make_volume<std::int32_t>(
        shape, [](auto z, auto y, auto x, auto c) { return code(z, y, x, c); });
}

TEST(VolumeTest, AllocateIsZeroedContiguousAndChannelBlocked) {
    const Volume volume = Volume::allocate({4, 5, 6, 2}, PixelType::u16);
    EXPECT_EQ(volume.shape(), (Shape{4, 5, 6, 2}));
    EXPECT_EQ(volume.strides(), (Strides{30, 6, 1, 120}));  // each channel one z-y-x block
    EXPECT_TRUE(volume.is_contiguous());
    EXPECT_EQ(volume.size_bytes(), 4 * 5 * 6 * 2 * 2);
    for (double value : test::values_of(volume))
        EXPECT_EQ(value, 0.0);
    EXPECT_FALSE(volume.spacing().known);
    EXPECT_EQ(volume.channel_names().size(), 2u);
}

TEST(VolumeTest, AllocateRejectsBadShapesAndOverflow) {
    VOX_EXPECT_THROW_MSG(Volume::allocate({-1, 2, 2, 1}, PixelType::u8), ValueError,
                         "invalid volume shape -1x2x2 with 1 channels");
    VOX_EXPECT_THROW_MSG(Volume::allocate({2, 2, 2, 0}, PixelType::u8), ValueError,
                         "invalid volume shape 2x2x2 with 0 channels");
    VOX_EXPECT_THROW_MSG(
        Volume::allocate({std::int64_t(1) << 40, std::int64_t(1) << 20, 1 << 10, 1},
                         PixelType::f64),
        LimitError, "volume size: size overflows 64 bits");
}

TEST(VolumeTest, AllocateRespectsMemoryLimit) {
    const std::int64_t saved = memory_limit();
    set_memory_limit(1000);
    VOX_EXPECT_THROW_MSG(Volume::allocate({10, 10, 10, 1}, PixelType::u16), LimitError,
                         "a 10x10x10x1 u16 volume needs 2.0 KiB, over the memory limit of 1000 B");
    EXPECT_NO_THROW(Volume::allocate({10, 10, 10, 1}, PixelType::u8));
    set_memory_limit(saved);
    EXPECT_THROW(set_memory_limit(0), ValueError);
}

TEST(VolumeTest, ChannelViewSharesMemory) {
    Volume volume = coded_volume();
    const Volume green = volume.channel(1);
    EXPECT_TRUE(green.shares_memory_with(volume));
    EXPECT_EQ(green.shape(), (Shape{6, 7, 8, 1}));
    EXPECT_TRUE(green.is_contiguous());
    EXPECT_EQ(green.value_at(2, 3, 4), code(2, 3, 4, 1));
    // A write through the parent is seen by the view: no copy was made.
    volume.mutable_view<std::int32_t>()(2, 3, 4, 1) = -5;
    EXPECT_EQ(green.value_at(2, 3, 4), -5.0);
    VOX_EXPECT_THROW_MSG(volume.channel(3), ValueError, "channel 3 is out of range [0, 3)");
}

TEST(VolumeTest, CropOfCropIndexesCorrectly) {
    const Volume volume = coded_volume();
    const Volume outer = volume.crop({{1, 2, 3}, {5, 7, 8}});
    EXPECT_EQ(outer.shape(), (Shape{4, 5, 5, 3}));
    EXPECT_FALSE(outer.is_contiguous());
    const Volume inner = outer.crop({{1, 1, 2}, {3, 4, 5}});
    EXPECT_EQ(inner.shape(), (Shape{2, 3, 3, 3}));
    EXPECT_TRUE(inner.shares_memory_with(volume));
    for (std::int64_t c = 0; c < 3; ++c)
        for (std::int64_t z = 0; z < 2; ++z)
            for (std::int64_t y = 0; y < 3; ++y)
                for (std::int64_t x = 0; x < 3; ++x)
                    EXPECT_EQ(inner.value_at(z, y, x, c), code(z + 2, y + 3, x + 5, c));
    VOX_EXPECT_THROW_MSG(volume.crop({{0, 0, 0}, {7, 1, 1}}), ValueError,
                         "crop box [0, 7) along z is empty or outside [0, 6)");
    VOX_EXPECT_THROW_MSG(volume.crop({{0, 3, 0}, {1, 3, 1}}), ValueError,
                         "crop box [3, 3) along y is empty or outside [0, 7)");
}

TEST(VolumeTest, PlanesAlongEveryAxis) {
    const Volume volume = coded_volume();
    const Volume plane_z = volume.plane(Axis::z, 4);
    const Volume plane_y = volume.plane(Axis::y, 6);
    const Volume plane_x = volume.plane(Axis::x, 0);
    EXPECT_EQ(plane_z.shape(), (Shape{1, 7, 8, 3}));
    EXPECT_EQ(plane_y.shape(), (Shape{6, 1, 8, 3}));
    EXPECT_EQ(plane_x.shape(), (Shape{6, 7, 1, 3}));
    EXPECT_EQ(plane_z.value_at(0, 5, 6, 2), code(4, 5, 6, 2));
    EXPECT_EQ(plane_y.value_at(3, 0, 7, 1), code(3, 6, 7, 1));
    EXPECT_EQ(plane_x.value_at(5, 2, 0, 0), code(5, 2, 0, 0));
    VOX_EXPECT_THROW_MSG(volume.plane(Axis::x, 8), ValueError, "x index 8 is out of range [0, 8)");
}

TEST(VolumeTest, StepsStrideAndScaleSpacing) {
    Volume volume = coded_volume({7, 7, 8, 2});
    volume.set_spacing({{0.29, 0.26, 0.26}, "µm", true});
    const Volume stepped = volume.step(3, 2, 4);
    EXPECT_EQ(stepped.shape(), (Shape{3, 4, 2, 2}));
    EXPECT_DOUBLE_EQ(stepped.spacing().zyx[0], 0.87);
    EXPECT_DOUBLE_EQ(stepped.spacing().zyx[1], 0.52);
    EXPECT_DOUBLE_EQ(stepped.spacing().zyx[2], 1.04);
    EXPECT_EQ(stepped.spacing().unit, "µm");
    for (std::int64_t z = 0; z < 3; ++z)
        for (std::int64_t y = 0; y < 4; ++y)
            for (std::int64_t x = 0; x < 2; ++x)
                EXPECT_EQ(stepped.value_at(z, y, x, 1), code(3 * z, 2 * y, 4 * x, 1));
    // A step of a crop of a step: strides compose.
    const Volume nested = stepped.crop({{1, 1, 1}, {3, 4, 2}}).step(1, 2, 1);
    EXPECT_EQ(nested.shape(), (Shape{2, 2, 1, 2}));
    EXPECT_EQ(nested.value_at(1, 1, 0, 0), code(6, 6, 4, 0));
    EXPECT_THROW(volume.step(0, 1, 1), ValueError);
}

TEST(VolumeTest, CopyPacksAViewAndKeepsMetadata) {
    Volume volume = coded_volume();
    volume.set_spacing({{2.0, 1.0, 0.5}, "mm", true});
    volume.set_channel_names({"red", "green", "blue"});
    volume.metadata()["origin"] = "test";
    const Volume view = volume.crop({{1, 1, 1}, {4, 5, 6}}).step(1, 1, 2);
    const Volume packed = view.copy();
    EXPECT_TRUE(packed.is_contiguous());
    EXPECT_FALSE(packed.shares_memory_with(volume));
    EXPECT_EQ(test::values_of(packed), test::values_of(view));
    EXPECT_EQ(packed.spacing(), view.spacing());
    EXPECT_EQ(packed.channel_names(), (std::vector<std::string>{"red", "green", "blue"}));
    EXPECT_EQ(packed.metadata().at("origin"), "test");
    EXPECT_TRUE(volume.contiguous().shares_memory_with(volume));
    EXPECT_FALSE(view.contiguous().shares_memory_with(volume));
}

TEST(VolumeTest, CopyOfAPackedVolumeCopiesEveryBlock) {
    // 9 MiB and a bit: copied in 4 MiB blocks, the last one short.
    const Shape shape{37, 256, 250, 2};
    const Volume volume = make_volume<std::uint16_t>(shape, [](auto z, auto y, auto x, auto c) {
        return double((z * 7919 + y * 104729 + x * 31 + c * 17) % 65536);
    });
    const Volume packed = volume.copy();
    EXPECT_FALSE(packed.shares_memory_with(volume));
    EXPECT_EQ(test::values_of(packed), test::values_of(volume));
}

// The test needs glibc's own heap: a sanitizer's allocator ignores these settings.
#if defined(__SANITIZE_ADDRESS__)
#define VOX_TEST_SANITIZED_MALLOC
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VOX_TEST_SANITIZED_MALLOC
#endif
#endif

TEST(VolumeTest, KeptFreedMemoryStaysMappedUntilReleased) {
#if defined(__GLIBC__) && !defined(VOX_TEST_SANITIZED_MALLOC)
    keep_freed_memory(std::int64_t(64) << 20);
    // A 4 MiB block, above glibc's default mmap threshold: by default it would go back to
    // the kernel when freed.
    constexpr std::size_t kBytes = std::size_t(4) << 20;
    auto block = std::make_unique<std::byte[]>(kBytes);
    block[kBytes - 1] = std::byte{1};
    block.reset();
    EXPECT_GE(mallinfo2().fordblks, kBytes);
    release_buffer_cache();  // also trims the heap
    EXPECT_LT(mallinfo2().keepcost, kBytes);
#else
    GTEST_SKIP() << "needs glibc's allocator";
#endif
}

TEST(VolumeTest, FreedLargeBuffersAreReusedForTheSameSize) {
    release_buffer_cache();
    EXPECT_EQ(buffer_cache_bytes(), 0);
    const std::int64_t bytes = std::int64_t(9) << 20;  // held as 10 MiB (2 MiB pages)
    auto first = allocate_buffer(bytes);
    std::byte* const address = first.get();
    address[bytes - 1] = std::byte{0x5A};
    first.reset();
    EXPECT_EQ(buffer_cache_bytes(), std::int64_t(10) << 20);

    auto again = allocate_buffer(bytes);
    EXPECT_EQ(again.get(), address);
    EXPECT_EQ(buffer_cache_bytes(), 0);
    again.reset();

    // A volume asked to be zeroed is zeroed, even in a reused buffer.
    {
        const Volume zeroed = Volume::allocate({9, 512, 1024, 1}, PixelType::u16);
        EXPECT_EQ(buffer_cache_bytes(), 0);
        const auto view = zeroed.view<std::uint16_t>();
        EXPECT_EQ(view(8, 511, 1023), 0);
    }
    EXPECT_EQ(buffer_cache_bytes(), std::int64_t(10) << 20);

    // Another size frees what is held before allocating, so the peak does not grow.
    auto other = allocate_buffer(std::int64_t(12) << 20);
    EXPECT_EQ(buffer_cache_bytes(), 0);
    other.reset();

    // At most two buffers are held; small ones never are.
    auto a = allocate_buffer(bytes);
    auto b = allocate_buffer(bytes);
    auto c = allocate_buffer(bytes);
    auto small = allocate_buffer(1000);
    a.reset();
    b.reset();
    c.reset();
    small.reset();
    EXPECT_EQ(buffer_cache_bytes(), std::int64_t(20) << 20);
    release_buffer_cache();
    EXPECT_EQ(buffer_cache_bytes(), 0);
}

TEST(VolumeTest, CropAndStepKeepTheAffineInWorldPlace) {
    Volume volume = coded_volume();
    // index (x, y, z) -> world: scale (0.5, 2, 3) and origin (10, 20, 30).
    volume.set_affine(Affine{0.5, 0, 0, 10, 0, 2, 0, 20, 0, 0, 3, 30, 0, 0, 0, 1});
    const Volume cropped = volume.crop({{1, 2, 3}, {4, 5, 6}});
    const Affine expected_crop{0.5, 0, 0, 11.5, 0, 2, 0, 24, 0, 0, 3, 33, 0, 0, 0, 1};
    EXPECT_EQ(*cropped.affine(), expected_crop);
    const Volume stepped = cropped.step(2, 1, 2);
    const Affine expected_step{1.0, 0, 0, 11.5, 0, 2, 0, 24, 0, 0, 6, 33, 0, 0, 0, 1};
    EXPECT_EQ(*stepped.affine(), expected_step);
}

TEST(VolumeTest, TypedViewsCheckTheType) {
    const Volume volume = Volume::allocate({1, 1, 1, 1}, PixelType::f32);
    EXPECT_NO_THROW(volume.view<float>());
    VOX_EXPECT_THROW_MSG(volume.view<double>(), TypeError, "requested a f64 view of a f32 volume");
}

TEST(VolumeTest, SpacingValidationAndNormalization) {
    Volume volume = Volume::allocate({1, 1, 1, 1}, PixelType::u8);
    EXPECT_THROW(volume.set_spacing({{0.0, 1.0, 1.0}, "mm", true}), ValueError);
    EXPECT_THROW(volume.set_spacing({{1.0, -1.0, 1.0}, "mm", true}), ValueError);
    const Spacing spacing{{0.29, 0.26, 0.26}, "µm", true};
    const auto normalized = spacing.normalized();
    EXPECT_NEAR(normalized[0], 1.11538462, 1e-8);  // the tutorial's value
    EXPECT_EQ(normalized[1], 1.0);
    EXPECT_EQ(normalized[2], 1.0);
    EXPECT_THROW(volume.set_channel_names({"a", "b"}), ValueError);
}

TEST(VolumeTest, EmptyVolume) {
    const Volume volume;
    EXPECT_TRUE(volume.empty());
    EXPECT_EQ(volume.size_bytes(), 0);
    const Volume allocated = Volume::allocate({0, 4, 4, 1}, PixelType::u8);
    EXPECT_TRUE(allocated.empty());
    EXPECT_TRUE(allocated.copy().empty());
}

TEST(VolumeTest, FormatBytesAndCheckedProduct) {
    EXPECT_EQ(format_bytes(512), "512 B");
    EXPECT_EQ(format_bytes(15728640), "15.0 MiB");
    EXPECT_EQ(format_bytes(std::int64_t(3) << 30), "3.0 GiB");
    EXPECT_EQ(spatial_shape_text(Shape{60, 256, 128, 2}), "60x256x128");
    EXPECT_EQ(checked_product({2, 3, 7}, "x"), 42);
    VOX_EXPECT_THROW_MSG(checked_product({-2, 3}, "header"), ValueError,
                         "header: negative size -2");
    const test::ScopedMemoryLimit limit(1 << 20);
    EXPECT_EQ(checked_allocation({1024, 1024}, "a table"), 1 << 20);
    VOX_EXPECT_THROW_MSG(checked_allocation({1025, 1024}, "a table"), LimitError,
                         "a table needs 1.0 MiB, over the memory limit of 1.0 MiB");
    VOX_EXPECT_THROW_MSG(checked_allocation({std::int64_t(1) << 62, 4}, "a table"), LimitError,
                         "a table: size overflows 64 bits");
}

}  // namespace
}  // namespace vox

namespace vox {
namespace {

TEST(VolumeTest, LengthUnitsAreSpelledOneWay) {
    EXPECT_EQ(normalize_length_unit("um"), "\u00B5m");
    EXPECT_EQ(normalize_length_unit("micron"), "\u00B5m");
    EXPECT_EQ(normalize_length_unit("\u03BCm"), "\u00B5m");
    EXPECT_EQ(normalize_length_unit("\u00B5m"), "\u00B5m");
    EXPECT_EQ(normalize_length_unit("mm"), "mm");
    EXPECT_EQ(normalize_length_unit(""), "");
}

}  // namespace
}  // namespace vox
