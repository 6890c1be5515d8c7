// Unit tests of animations (animate.h): errors, and that a written file starts as its format.
#include "vox/animate.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"
#include "vox/error.h"

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

}  // namespace
}  // namespace vox
