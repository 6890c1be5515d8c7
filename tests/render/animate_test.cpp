// Unit tests of animations (animate.h): errors, and that a written file starts as its format.
#include "vox/animate.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"
#include "vox/error.h"
#include "vox/render.h"

namespace vox {
namespace {

namespace fs = std::filesystem;

class AnimateTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_folder = fs::temp_directory_path() /
                   ("vox_animate_test_" +
                    std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(m_folder);
    }
    void TearDown() override { fs::remove_all(m_folder); }
    std::string path(const std::string& name) const { return (m_folder / name).string(); }

    fs::path m_folder;
};

std::string head_of(const std::string& path, std::size_t bytes) {
    std::ifstream in(path, std::ios::binary);
    std::string head(bytes, '\0');
    in.read(head.data(), std::streamsize(bytes));
    head.resize(std::size_t(in.gcount()));
    return head;
}

TEST_F(AnimateTest, FormatByExtension) {
    EXPECT_EQ(animation_format("a.gif"), AnimationFormat::gif);
    EXPECT_EQ(animation_format("dir/A.WEBP"), AnimationFormat::webp);
    EXPECT_EQ(animation_format("a.mp4"), AnimationFormat::mp4);
    VOX_EXPECT_THROW_MSG(animation_format("a.png"), ValueError,
                         "cannot write an animation to 'a.png': use .gif, .webp or .mp4");
    VOX_EXPECT_THROW_MSG(AnimationWriter("b.avi"), ValueError,
                         "cannot write an animation to 'b.avi': use .gif, .webp or .mp4");
}

TEST_F(AnimateTest, FramesOfAnotherSize) {
    AnimationWriter writer(path("a.gif"));
    writer.add_frame(Image::filled(4, 4));
    VOX_EXPECT_THROW_MSG(writer.add_frame(Image::filled(4, 3)), ValueError,
                         "frame 2 is 4x3 pixels but the animation is 4x4");
    VOX_EXPECT_THROW_MSG(writer.add_frame(Image::filled(0, 3)), ValueError,
                         "frame 2 is empty (0x3 pixels)");
    EXPECT_EQ(writer.frame_count(), 1);
}

TEST_F(AnimateTest, AddAfterFinish) {
    for (const std::string name : {"a.gif", "a.webp"}) {
        AnimationWriter writer(path(name));
        writer.add_frame(Image::filled(3, 2, {255, 0, 0, 255}));
        writer.finish();
        VOX_EXPECT_THROW_MSG(
            writer.add_frame(Image::filled(3, 2)), ValueError,
            "cannot add a frame to '" + path(name) + "': the animation is finished");
        VOX_EXPECT_THROW_MSG(writer.finish(), ValueError,
                             "the animation '" + path(name) + "' is already finished");
    }
    EXPECT_EQ(head_of(path("a.gif"), 6), "GIF89a");
    EXPECT_EQ(head_of(path("a.webp"), 12).substr(8), "WEBP");
}

TEST_F(AnimateTest, NoFramesAndBadOptions) {
    AnimationWriter writer(path("a.gif"));
    VOX_EXPECT_THROW_MSG(writer.finish(), ValueError,
                         "the animation '" + path("a.gif") + "' has no frames");
    VOX_EXPECT_THROW_MSG(AnimationWriter(path("b.gif"), {.delay_ms = 5}), ValueError,
                         "the frame delay must be 10 to 655350 ms, not 5");
    VOX_EXPECT_THROW_MSG(AnimationWriter(path("b.webp"), {.quality = 101.0F}), ValueError,
                         "the WebP quality must be 0 to 100, not 101");
}

TEST_F(AnimateTest, UnfinishedLeavesNoFile) {
    {
        AnimationWriter writer(path("a.gif"));
        writer.add_frame(Image::filled(3, 2));
    }
    EXPECT_TRUE(fs::is_empty(m_folder));
}

TEST_F(AnimateTest, Mp4WithoutFfmpeg) {
    // An empty PATH hides any ffmpeg.
    const char* old = std::getenv("PATH");
    const std::string saved = old ? old : "";
    ::setenv("PATH", m_folder.c_str(), 1);
    VOX_EXPECT_THROW_MSG(AnimationWriter(path("a.mp4")), ValueError,
                         "writing .mp4 needs ffmpeg, which is not installed (apt-get install "
                         "ffmpeg); write .gif or .webp instead");
    ::setenv("PATH", saved.c_str(), 1);
}

TEST_F(AnimateTest, Mp4PipesFramesToFfmpeg) {
    // A stand-in ffmpeg: records its arguments and the bytes it reads, writes its output.
    const std::string script = path("ffmpeg");
    {
        std::ofstream out(script);
        out << "#!/bin/sh\necho \"$@\" > " << path("arguments") << "\nwc -c > " << path("bytes")
            << "\nfor last; do :; done\necho video > \"$last\"\n";
    }
    fs::permissions(script, fs::perms::owner_all);
    const char* old = std::getenv("PATH");
    const std::string saved = old ? old : "";
    ::setenv("PATH", (m_folder.string() + ":" + saved).c_str(), 1);
    {
        AnimationWriter writer(path("a.mp4"), {.delay_ms = 40});
        writer.add_frame(Image::filled(5, 3));
        writer.add_frame(Image::filled(5, 3));
        writer.finish();
    }
    ::setenv("PATH", saved.c_str(), 1);
    EXPECT_EQ(head_of(path("a.mp4"), 100), "video\n");
    EXPECT_EQ(std::stoi(head_of(path("bytes"), 100)), 2 * 5 * 3 * 4);
    const std::string arguments = head_of(path("arguments"), 1000);
    EXPECT_NE(arguments.find("-f rawvideo -pix_fmt rgba -s 5x3 -r 1000/40 -i -"), std::string::npos)
        << arguments;
}

TEST_F(AnimateTest, FrameSizeFollowsSpacing) {
    Volume volume = test::make_volume<std::uint8_t>({4, 5, 6, 1}, [](auto...) { return 0; });
    volume.set_spacing({{2.0, 1.0, 0.5}, "um", true});
    // Plane z: x across (0.5), y down (1.0): 6 x 5 voxels -> 6 x 10 pixels.
    EXPECT_EQ(animation_frame_size(volume, Axis::z, 1), (std::array<std::int64_t, 2>{6, 10}));
    // Plane x: y across (1.0), z down (2.0): 5 x 4 voxels, zoom 2 -> 10 x 16.
    EXPECT_EQ(animation_frame_size(volume, Axis::x, 2), (std::array<std::int64_t, 2>{10, 16}));
    VOX_EXPECT_THROW_MSG(animation_frame_size(volume, Axis::x, 0), ValueError,
                         "the zoom must be at least 1, not 0");
    const auto channels = resolve_mapping(volume, default_mapping(volume));
    VOX_EXPECT_THROW_MSG(animate_axis(volume, Axis::z, channels, path("a.gif"),
                                      {.step = 0, .zoom = 1, .animation = {}}),
                         ValueError, "the plane step must be at least 1, not 0");
}

TEST(Versions, ParseSteps) {
    const auto versions = parse_versions("gamma:0.5; gamma:1 ;clip:1,99 gamma:2;");
    ASSERT_EQ(versions.size(), 3U);
    EXPECT_EQ(versions[0].label, "gamma:0.5");
    ASSERT_EQ(versions[0].steps.size(), 1U);
    EXPECT_EQ(versions[0].steps[0].op, "gamma");
    EXPECT_EQ(versions[1].label, "gamma:1");
    EXPECT_EQ(versions[2].label, "clip:1,99 gamma:2");
    ASSERT_EQ(versions[2].steps.size(), 2U);
    EXPECT_EQ(versions[2].steps[0].op, "clip");
    EXPECT_EQ(versions[2].steps[1].op, "gamma");
    VOX_EXPECT_THROW_MSG(parse_versions(""), ValueError, "version 1 is empty");
    VOX_EXPECT_THROW_MSG(parse_versions("gamma:1;;gamma:2"), ValueError, "version 2 is empty");
    VOX_EXPECT_THROW_MSG(
        parse_versions("gamma:1;nosuchop"), ValueError,
        "version 2 (nosuchop): unknown op 'nosuchop' (known: gamma, log, sigmoid, rescale, clip, "
        "normalize, equalize, clahe, match, resize, zoom, isotropic, flip, crop, permute, pad, "
        "block_mean, gaussian, "
        "median, project, threshold, in_range, label, astype, as_float, as_ubyte, as_uint, "
        "channel)");
}

TEST(Versions, Sweep) {
    const auto versions = sweep_versions("gamma=0.2:2:10");
    ASSERT_EQ(versions.size(), 10U);
    for (std::size_t i = 0; i < versions.size(); ++i) {
        const double value = 0.2 + double(i) * 0.2;
        ASSERT_EQ(versions[i].steps.size(), 1U);
        EXPECT_EQ(versions[i].steps[0].op, "gamma");
        ASSERT_EQ(versions[i].steps[0].parameters.size(), 1U);
        EXPECT_EQ(versions[i].steps[0].parameters[0].first, "gamma");
        EXPECT_NEAR(std::stod(versions[i].steps[0].parameters[0].second), value, 1e-12);
    }
    EXPECT_EQ(versions[0].label, "Gamma = 0.2");
    EXPECT_EQ(versions[4].label, "Gamma = 1");
    EXPECT_EQ(versions[9].label, "Gamma = 2");
    EXPECT_EQ(versions[9].steps[0].parameters[0].second, "2");  // linspace's exact stop
    const auto sigmas = sweep_versions("gaussian.sigma=1:3:3");
    ASSERT_EQ(sigmas.size(), 3U);
    EXPECT_EQ(sigmas[1].label, "Gaussian sigma = 2");
    EXPECT_EQ(sweep_versions("gamma=1.5:9:1").size(), 1U);
    VOX_EXPECT_THROW_MSG(
        sweep_versions("gamma"), ValueError,
        "a sweep is OP=START:STOP:COUNT or OP.PARAM=START:STOP:COUNT, not 'gamma'");
    VOX_EXPECT_THROW_MSG(
        sweep_versions("gamma=0.2:2"), ValueError,
        "a sweep is OP=START:STOP:COUNT or OP.PARAM=START:STOP:COUNT, not 'gamma=0.2:2'");
    VOX_EXPECT_THROW_MSG(
        sweep_versions("gamma=a:2:3"), ValueError,
        "a sweep is OP=START:STOP:COUNT or OP.PARAM=START:STOP:COUNT, not 'gamma=a:2:3'");
    VOX_EXPECT_THROW_MSG(sweep_versions("gamma=0.2:2:0"), ValueError,
                         "the sweep's count must be a whole number from 1 to 1000, not 0");
    VOX_EXPECT_THROW_MSG(sweep_versions("gamma=0.2:2:2.5"), ValueError,
                         "the sweep's count must be a whole number from 1 to 1000, not 2.5");
    VOX_EXPECT_THROW_MSG(sweep_versions("blur=1:2:3"), ValueError,
                         "the sweep's op 'blur' is unknown (see 'voxscope ops')");
    VOX_EXPECT_THROW_MSG(sweep_versions("gamma.sigma=1:2:3"), ValueError,
                         "the op 'gamma' has no parameter 'sigma' (it takes gamma, gain)");
}

TEST_F(AnimateTest, VersionsErrors) {
    const Volume volume =
        test::make_volume<std::uint8_t>({4, 5, 6, 1}, [](auto, auto, auto x, auto) { return x; });
    const DisplayMapping mapping = default_mapping(volume);
    const auto versions = parse_versions("gamma:0.5;gamma:2");
    VOX_EXPECT_THROW_MSG(
        animate_versions(volume, Axis::z, 4, versions, mapping, true, path("a.gif")), ValueError,
        "z index 4 is outside the volume (0 to 3)");
    VOX_EXPECT_THROW_MSG(
        animate_versions(volume, Axis::x, -1, versions, mapping, true, path("a.gif")), ValueError,
        "x index -1 is outside the volume (0 to 5)");
    VOX_EXPECT_THROW_MSG(animate_versions(volume, Axis::z, 1, {}, mapping, true, path("a.gif")),
                         ValueError, "there are no versions to animate");
    VOX_EXPECT_THROW_MSG(
        animate_versions(volume, Axis::z, 1, versions, mapping, true, path("a.png")), ValueError,
        "cannot write an animation to '" + path("a.png") + "': use .gif, .webp or .mp4");
    VOX_EXPECT_THROW_MSG(
        animate_versions(volume, Axis::z, 1, parse_versions("gamma:1;resize:2x2x2"), mapping, true,
                         path("a.gif")),
        ValueError, "version 2 (resize:2x2x2) changes the shape to 2x2x2; versions must keep it");
    VOX_EXPECT_THROW_MSG(
        animate_versions(volume, Axis::z, 1, sweep_versions("gamma=1:-1:2"), mapping, true,
                         path("a.gif")),
        ValueError, "version 2 (Gamma = -1): step 1 (gamma): gamma must be non-negative, got -1");
    EXPECT_TRUE(fs::is_empty(m_folder));  // nothing half-written
    animate_versions(volume, Axis::z, 1, versions, mapping, true, path("a.gif"),
                     {.zoom = 2, .label = true, .animation = {}});
    EXPECT_EQ(head_of(path("a.gif"), 6), "GIF89a");
}

}  // namespace
}  // namespace vox
