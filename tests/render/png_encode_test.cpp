// The parallel PNG encoder: files decode (libpng's reader) to exactly the pixels given,
// across band boundaries, in the fewest channels that keep them, and are the same bytes
// for any thread count.
#include "png_encode.h"

#include <gtest/gtest.h>
#include <png.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <vector>

#include "test_util.h"
#include "vox/error.h"
#include "vox/parallel.h"
#include "vox/render.h"

namespace {

std::vector<unsigned char> encode(const std::vector<std::uint32_t>& pixels, int width, int height,
                                  std::size_t stride_bytes) {
    std::vector<unsigned char> file;
    vox::render::encode_png_rgb(
        pixels.data(), width, height, stride_bytes,
        [&](const unsigned char* data, std::size_t size) {
            file.insert(file.end(), data, data + size);
        },
        "test.png");
    return file;
}

// The file's own format (PNG_FORMAT_FLAG_COLOR, PNG_FORMAT_FLAG_ALPHA).
png_uint_32 stored_format(const std::vector<unsigned char>& file) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    EXPECT_TRUE(png_image_begin_read_from_memory(&image, file.data(), file.size()))
        << image.message;
    const png_uint_32 format = image.format;
    png_image_free(&image);
    return format;
}

std::vector<unsigned char> decode_rgb(const std::vector<unsigned char>& file, int& width,
                                      int& height) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    EXPECT_TRUE(png_image_begin_read_from_memory(&image, file.data(), file.size()))
        << image.message;
    image.format = PNG_FORMAT_RGB;
    std::vector<unsigned char> rgb(PNG_IMAGE_SIZE(image));
    EXPECT_TRUE(png_image_finish_read(&image, nullptr, rgb.data(), 0, nullptr)) << image.message;
    width = int(image.width);
    height = int(image.height);
    return rgb;
}

// A noisy image with flat areas: several bands (tall), an odd width, and a row stride
// wider than the row (as Cairo's), whose padding must not leak into the file.
struct TestImage {
    int width = 301;
    int height = 1200;
    std::size_t stride_pixels = 304;
    std::vector<std::uint32_t> pixels;
    TestImage() : pixels(stride_pixels * std::size_t(height), 0xDEADBEEF) {
        std::mt19937 random(7);
        for (int y = 0; y < height; ++y) {
            for (int x = 0; x < width; ++x) {
                const bool flat = (y / 100) % 2 == 0;
                pixels[std::size_t(y) * stride_pixels + std::size_t(x)] =
                    0xFF000000U | (flat ? 0x00FFFFFFU : (random() & 0x00FFFFFFU));
            }
        }
    }
};

// Every pixel of `image` equals the decoded RGB.
void expect_pixels(const TestImage& image, const std::vector<unsigned char>& file) {
    int width = 0;
    int height = 0;
    const auto rgb = decode_rgb(file, width, height);
    ASSERT_EQ(width, image.width);
    ASSERT_EQ(height, image.height);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const std::uint32_t pixel = image.pixels[std::size_t(y) * image.stride_pixels + x];
            const unsigned char* p = &rgb[(std::size_t(y) * width + x) * 3];
            ASSERT_EQ(p[0], (pixel >> 16) & 0xFF) << x << "," << y;
            ASSERT_EQ(p[1], (pixel >> 8) & 0xFF) << x << "," << y;
            ASSERT_EQ(p[2], pixel & 0xFF) << x << "," << y;
        }
    }
}

std::vector<unsigned char> encode(const TestImage& image) {
    return encode(image.pixels, image.width, image.height, image.stride_pixels * 4);
}

TEST(PngEncode, DecodesToThePixelsAcrossBands) {
    const TestImage image;
    const auto file = encode(image);
    EXPECT_EQ(stored_format(file), png_uint_32(PNG_FORMAT_RGB));
    expect_pixels(image, file);
}

// A gray-mapped figure is stored as gray (a third of the data to deflate) and decodes to
// the same pixels; one coloured pixel anywhere, even the last, makes it RGB.
TEST(PngEncode, GrayImagesAreStoredAsGray) {
    TestImage image;
    // The row padding stays coloured: it must not count.
    for (int y = 0; y < image.height; ++y) {
        for (int x = 0; x < image.width; ++x) {
            std::uint32_t& pixel = image.pixels[std::size_t(y) * image.stride_pixels + x];
            pixel = 0xFF000000U | (pixel & 0xFFU) * 0x010101U;
        }
    }
    const auto gray = encode(image);
    EXPECT_EQ(stored_format(gray), png_uint_32(PNG_FORMAT_GRAY));
    expect_pixels(image, gray);

    image.pixels[std::size_t(image.height - 1) * image.stride_pixels + 300] ^= 0x000100U;
    const auto colour = encode(image);
    EXPECT_EQ(stored_format(colour), png_uint_32(PNG_FORMAT_RGB));
    expect_pixels(image, colour);
    EXPECT_GT(colour.size(), gray.size() * 2);
}

TEST(PngEncode, SameBytesForAnyThreadCount) {
    const TestImage image;
    vox::set_thread_count(1);
    const auto one = encode(image);
    vox::set_thread_count(0);
    const auto all = encode(image);
    EXPECT_EQ(one, all);
}

TEST(PngEncode, OnePixel) {
    const std::vector<std::uint32_t> pixels = {0xFF102030U};
    int width = 0;
    int height = 0;
    const auto rgb = decode_rgb(encode(pixels, 1, 1, 4), width, height);
    ASSERT_EQ(rgb.size(), 3U);
    EXPECT_EQ(rgb[0], 0x10);
    EXPECT_EQ(rgb[1], 0x20);
    EXPECT_EQ(rgb[2], 0x30);
}

TEST(PngEncode, SinkErrorsPassThrough) {
    const TestImage image;
    EXPECT_THROW(
        vox::render::encode_png_rgb(
            image.pixels.data(), image.width, image.height, image.stride_pixels * 4,
            [](const unsigned char*, std::size_t) { throw vox::IoError("disk full"); }, "test.png"),
        vox::IoError);
}

// Writes `image` with write_image(), checks that it reads back as the same RGBA pixels, and
// returns the format stored in the file.
png_uint_32 write_and_read_back(const vox::Image& image) {
    const std::string path =
        (std::filesystem::temp_directory_path() / "vox_write_image_channels.png").string();
    vox::write_image(image, path);
    png_image decoded{};
    decoded.version = PNG_IMAGE_VERSION;
    EXPECT_TRUE(png_image_begin_read_from_file(&decoded, path.c_str())) << decoded.message;
    const png_uint_32 stored = decoded.format;
    decoded.format = PNG_FORMAT_RGBA;
    std::vector<unsigned char> rgba(PNG_IMAGE_SIZE(decoded));
    EXPECT_TRUE(png_image_finish_read(&decoded, nullptr, rgba.data(), 0, nullptr));
    EXPECT_EQ(rgba, image.rgba);
    std::filesystem::remove(path);
    return stored;
}

TEST(PngEncode, WriteImageStoresTheFewestChannels) {
    vox::Image image = vox::Image::filled(3, 2, {40, 40, 40, 255});
    image.pixel(1, 1)[0] = image.pixel(1, 1)[1] = image.pixel(1, 1)[2] = 7;
    EXPECT_EQ(write_and_read_back(image), png_uint_32(PNG_FORMAT_GRAY));
    image.pixel(2, 0)[3] = 100;
    EXPECT_EQ(write_and_read_back(image), png_uint_32(PNG_FORMAT_GA));
    image.pixel(0, 1)[2] = 41;
    EXPECT_EQ(write_and_read_back(image), png_uint_32(PNG_FORMAT_RGBA));
    image.pixel(2, 0)[3] = 255;
    EXPECT_EQ(write_and_read_back(image), png_uint_32(PNG_FORMAT_RGB));
}

TEST(PngEncode, WriteImageKeepsAlpha) {
    vox::Image image = vox::Image::filled(3, 2, {10, 20, 30, 255});
    image.pixel(2, 1)[3] = 0;
    image.pixel(1, 0)[0] = 200;
    const std::string path =
        (std::filesystem::temp_directory_path() / "vox_write_image_test.png").string();
    vox::write_image(image, path);
    png_image decoded{};
    decoded.version = PNG_IMAGE_VERSION;
    ASSERT_TRUE(png_image_begin_read_from_file(&decoded, path.c_str())) << decoded.message;
    EXPECT_EQ(decoded.format & PNG_FORMAT_FLAG_ALPHA, PNG_FORMAT_FLAG_ALPHA);
    decoded.format = PNG_FORMAT_RGBA;
    std::vector<unsigned char> rgba(PNG_IMAGE_SIZE(decoded));
    ASSERT_TRUE(png_image_finish_read(&decoded, nullptr, rgba.data(), 0, nullptr));
    EXPECT_EQ(std::vector<unsigned char>(rgba.begin(), rgba.end()), image.rgba);
    std::filesystem::remove(path);
    VOX_EXPECT_THROW_MSG(vox::write_image(image, "x.jpg"), vox::ValueError,
                         "cannot write an image to 'x.jpg': use .png");
}

}  // namespace
