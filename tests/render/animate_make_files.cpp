// Writes the animations that animate_test.py decodes with PIL: solid-colour frames in a
// known order (GIF and WebP), a frame with more than 256 colours (GIF's fixed palette) and
// animate_axis() of a small anisotropic volume whose bright row moves with z.
// Usage: vox_animate_make_files FOLDER [VOLUME OUTPUT [AXIS]]: with a volume ("sample:cells"),
// also writes its animation along AXIS (z, y or x; default z) to OUTPUT, for looking at.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "test_util.h"
#include "vox/animate.h"
#include "vox/io.h"

namespace {

vox::Image solid(std::int64_t width, std::int64_t height, std::uint8_t r, std::uint8_t g,
                 std::uint8_t b) {
    return vox::Image::filled(width, height, {r, g, b, 255});
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 && argc != 4 && argc != 5) {
        std::fprintf(stderr, "usage: vox_animate_make_files FOLDER [VOLUME OUTPUT [AXIS]]\n");
        return 2;
    }
    const std::string folder = argv[1];
    std::filesystem::create_directories(folder);
    try {
        // Three solid frames: red, green, blue, 120 ms each.
        for (const std::string name : {"solid.gif", "solid.webp"}) {
            vox::AnimationWriter writer(folder + "/" + name, {.delay_ms = 120});
            writer.add_frame(solid(12, 7, 255, 0, 0));
            writer.add_frame(solid(12, 7, 0, 255, 0));
            writer.add_frame(solid(12, 7, 0, 0, 255));
            writer.finish();
        }
        // 32 x 32 pixels, 1024 colours: r = 8x, g = 8y, b = 100.
        {
            vox::Image frame = vox::Image::filled(32, 32);
            for (std::int64_t y = 0; y < 32; ++y)
                for (std::int64_t x = 0; x < 32; ++x) {
                    std::uint8_t* p = frame.pixel(x, y);
                    p[0] = std::uint8_t(8 * x);
                    p[1] = std::uint8_t(8 * y);
                    p[2] = 100;
                }
            vox::AnimationWriter writer(folder + "/gradient.gif");
            writer.add_frame(frame);
            writer.add_frame(solid(32, 32, 77, 77, 77));  // a gray frame: exact
            writer.finish();
        }
        // A 5 x 5 x 8 volume, spacing (z, y, x) = (1, 2, 1): row y = z is 200, the rest 0.
        vox::Volume volume = vox::test::make_volume<std::uint8_t>(
            {5, 5, 8, 1}, [](auto z, auto y, auto, auto) { return y == z ? 200 : 0; });
        volume.set_spacing({{1.0, 2.0, 1.0}, "um", true});
        const auto channels = vox::resolve_mapping(volume, vox::default_mapping(volume));
        for (const std::string extension : {".gif", ".webp"}) {
            vox::animate_axis(volume, vox::Axis::z, channels, folder + "/axis" + extension);
            vox::animate_axis(volume, vox::Axis::z, channels, folder + "/axis_step2" + extension,
                              {.step = 2, .zoom = 3, .animation = {}});
        }
        // Speed: 60 frames of 256^2 through viridis to GIF (goal: <= 1 s).
        vox::Volume big = vox::test::make_volume<std::uint16_t>(
            {60, 256, 256, 1},
            [](auto z, auto y, auto x, auto) { return (x * y + 97 * z) % 4096; });
        vox::DisplayMapping mapping = vox::default_mapping(big);
        mapping.channels[0].colormap = "viridis";
        const auto big_channels = vox::resolve_mapping(big, mapping);
        const auto start = std::chrono::steady_clock::now();
        vox::animate_axis(big, vox::Axis::z, big_channels, folder + "/speed.gif");
        const std::chrono::duration<double> gif_time = std::chrono::steady_clock::now() - start;
        const auto webp_start = std::chrono::steady_clock::now();
        vox::animate_axis(big, vox::Axis::z, big_channels, folder + "/speed.webp");
        const std::chrono::duration<double> webp_time =
            std::chrono::steady_clock::now() - webp_start;
        if (argc >= 4) {
            const vox::Volume volume = vox::open_volume(argv[2]);
            const std::string axis = argc == 5 ? argv[4] : "z";
            vox::animate_axis(volume,
                              axis == "x"   ? vox::Axis::x
                              : axis == "y" ? vox::Axis::y
                                            : vox::Axis::z,
                              vox::resolve_mapping(volume, vox::default_mapping(volume)), argv[3],
                              {.step = 1, .zoom = 2, .animation = {}});
        }
        // Two channels (green + magenta): more than 256 colours, so median cut.
        vox::Volume two = vox::test::make_volume<std::uint16_t>(
            {60, 256, 256, 2}, [](auto z, auto y, auto x, auto c) {
                return c == 0 ? (x * y + 97 * z) % 4096 : (x + 3 * y + 11 * z) % 1000;
            });
        const auto two_start = std::chrono::steady_clock::now();
        vox::animate_axis(two, vox::Axis::z, vox::resolve_mapping(two, vox::default_mapping(two)),
                          folder + "/speed_composite.gif");
        const std::chrono::duration<double> two_time = std::chrono::steady_clock::now() - two_start;
        std::printf(
            "60 frames of 256^2: GIF %.3f s, WebP %.3f s; two channels to GIF (median cut) %.3f "
            "s\n",
            gif_time.count(), webp_time.count(), two_time.count());
    } catch (const std::exception& error) {
        std::fprintf(stderr, "vox_animate_make_files: %s\n", error.what());
        return 1;
    }
    return 0;
}
