#include "vox/pipeline.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "test_util.h"
#include "vox/adapthist.h"
#include "vox/convert.h"
#include "vox/exposure.h"
#include "vox/geometry.h"
#include "vox/io.h"
#include "vox/segmentation.h"
#include "vox/stats.h"

namespace vox {
namespace {

std::vector<Step> cli(std::vector<std::string> tokens) {
    return parse_steps_cli(tokens);
}

TEST(PipelineTest, CommandLineStepsNamePositionalValues) {
    const auto steps =
        cli({"gamma:0.5", "clip:0.5,99.5,mode=per_channel", "equalize", "resize:50x50x50,order=0"});
    ASSERT_EQ(steps.size(), 4u);
    EXPECT_EQ(steps[0].op, "gamma");
    EXPECT_EQ(steps[0].parameters,
              (std::vector<std::pair<std::string, std::string>>{{"gamma", "0.5"}}));
    EXPECT_EQ(steps[1].parameters, (std::vector<std::pair<std::string, std::string>>{
                                       {"low", "0.5"}, {"high", "99.5"}, {"mode", "per_channel"}}));
    EXPECT_TRUE(steps[2].parameters.empty());
    EXPECT_EQ(steps[3].parameters[0], (std::pair<std::string, std::string>{"shape", "50x50x50"}));
}

TEST(PipelineTest, JsonAndCommandLineAgree) {
    const auto from_json =
        parse_steps_json(R"([{"op": "gamma", "gamma": 0.5}, {"op": "equalize", "nbins": 64}])");
    const auto from_cli = cli({"gamma:0.5", "equalize:64"});
    EXPECT_EQ(steps_to_json(from_json), steps_to_json(from_cli));
    EXPECT_EQ(steps_to_json(from_cli),
              R"([{"op":"gamma","gamma":0.5},{"op":"equalize","nbins":64}])");
    EXPECT_EQ(parse_steps_json(R"({"op": "equalize"})").size(), 1u);  // one object is one step
}

TEST(PipelineTest, PrintedStepsKeepTheParametersInTheUsersOrder) {
    // The command line's order, printed and parsed back, prints the same.
    const std::string printed = steps_to_json(cli({"clip:0.5,99.5", "resize:50x50x50,order=3"}));
    EXPECT_EQ(
        printed,
        R"([{"op":"clip","low":0.5,"high":99.5},{"op":"resize","shape":"50x50x50","order":3}])");
    EXPECT_EQ(steps_to_json(parse_steps_json(printed)), printed);
    // Whole numbers print exactly, past 2^53 too; other numbers in their shortest form.
    EXPECT_EQ(steps_to_json(cli({"pad:9007199254740993", "gamma:0.1000", "gamma:-0"})),
              R"([{"op":"pad","width":9007199254740993},{"op":"gamma","gamma":0.1},)"
              R"({"op":"gamma","gamma":0}])");
    // JSON keeps its own order, which is not the alphabet's.
    const auto steps = parse_steps_json(R"([{"op": "rescale", "in_low": 0, "in_high": 10}])");
    EXPECT_EQ(steps[0].parameters, (std::vector<std::pair<std::string, std::string>>{
                                       {"in_low", "0"}, {"in_high", "10"}}));
}

TEST(PipelineTest, BadStepsGetClearErrors) {
    VOX_EXPECT_THROW_MSG(
        cli({"gama:0.5"}), ValueError,
        "unknown op 'gama' (did you mean 'gamma'? known: gamma, log, sigmoid, rescale, clip, "
        "normalize, equalize, clahe, match, resize, zoom, isotropic, flip, crop, permute, pad, "
        "block_mean, gaussian, "
        "median, "
        "project, "
        "threshold, in_range, label, astype, as_float, as_ubyte, as_uint, channel)");
    VOX_EXPECT_THROW_MSG(
        validate_steps(cli({"equalize", "gamma:gama=2"})), ValueError,
        "step 2 (gamma): op 'gamma' has no parameter 'gama' (did you mean 'gamma'? parameters: "
        "gamma, gain, channel)");
    // A name near one op (an edit per three letters, or its start) is suggested; others not.
    const auto error_start = [](const std::string& step) {
        try {
            cli({step});
        } catch (const ValueError& error) {
            const std::string message = error.what();
            return message.substr(0, message.find("known:"));
        }
        return std::string("no error");
    };
    EXPECT_EQ(error_start("equalise"), "unknown op 'equalise' (did you mean 'equalize'? ");
    EXPECT_EQ(error_start("blockmean:2"), "unknown op 'blockmean' (did you mean 'block_mean'? ");
    EXPECT_EQ(error_start("thresh"), "unknown op 'thresh' (did you mean 'threshold'? ");
    EXPECT_EQ(error_start("gaussain:1"), "unknown op 'gaussain' (did you mean 'gaussian'? ");
    EXPECT_EQ(error_start("xyzzy"), "unknown op 'xyzzy' (");
    EXPECT_EQ(error_start("eq"), "unknown op 'eq' (");
    EXPECT_EQ(error_start(std::string(100, 'g')).substr(0, 12), "unknown op '");
    VOX_EXPECT_THROW_MSG(validate_steps(cli({"project:axes=z"})), ValueError,
                         "step 1 (project): op 'project' has no parameter 'axes' (did you mean "
                         "'axis'? parameters: mode, axis, begin, end, channel)");
    VOX_EXPECT_THROW_MSG(cli({"gamma:0.5,1,2"}), ValueError,
                         "op 'gamma' takes at most 2 positional values, got 3");
    VOX_EXPECT_THROW_MSG(cli({":0.5"}), ValueError, "bad step ':0.5': no op name");
    VOX_EXPECT_THROW_MSG(cli({"gamma:gain=2,0.5"}), ValueError,
                         "bad step 'gamma:gain=2,0.5': positional value after key=value");
    VOX_EXPECT_THROW_MSG(parse_steps_json(R"([{"gamma": 0.5}])"), ValueError,
                         "step 1: expected an object with a string \"op\"");
    EXPECT_THROW(parse_steps_json("[{"), ValueError);
    const Volume volume = test::make_line<float>({0.0f, 0.5f, 1.0f});
    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"gamma:abc"})), ValueError,
                         "step 1 (gamma): gamma must be a number, got 'abc'");
    EXPECT_THROW(apply_steps(volume, cli({"gamma:-1"})), ValueError);
    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"flip:w"})), ValueError,
                         "step 1 (flip): axis must be z, y or x, got 'w'");
    // Integers the op takes as an int are not wrapped: 2^32 + 256 would have been 256 bins.
    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"equalize:nbins=4294967552"})), ValueError,
                         "step 1 (equalize): nbins must be at most 2147483647, got '4294967552'");
    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"threshold:nan"})), ValueError,
                         "step 1 (threshold): method must be otsu, li, yen, triangle, mean or a "
                         "finite number, got 'nan'");
    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"rescale:in_high=0.5"})), ValueError,
                         "step 1 (rescale): in_high needs in_low as well");
    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"rescale:in=bogus"})), ValueError,
                         "step 1 (rescale): in must be image, dtype or a pixel type such as "
                         "uint8 or uint12, got 'bogus'");
    VOX_EXPECT_THROW_MSG(validate_steps(cli({"gamma:0.5,gamma=2"})), ValueError,
                         "step 1 (gamma): parameter 'gamma' is given twice");
    // JSON parsers keep the last of repeated keys; the steps refuse them as the CLI does.
    VOX_EXPECT_THROW_MSG(
        parse_steps_json(R"([{"op": "equalize"}, {"op": "gamma", "gamma": 0.5, "gamma": 2}])"),
        ValueError, "bad steps JSON: key 'gamma' is given twice in one object");
    VOX_EXPECT_THROW_MSG(parse_steps_json(R"({"op": "gamma", "op": "log"})"), ValueError,
                         "bad steps JSON: key 'op' is given twice in one object");
    // The same key in different steps is no repeat.
    EXPECT_EQ(
        parse_steps_json(R"([{"op": "gamma", "gamma": 2}, {"op": "gamma", "gamma": 1}])").size(),
        2u);
    // Whole numbers past 9e15 and sizes that would not convert to voxels are refused, not
    // converted (found by the process_steps fuzzer under UBSan).
    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"resize:4x4x18446744073709551616"})), ValueError,
                         "step 1 (resize): shape is out of range, got '4x4x18446744073709551616'");
    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"zoom:1e300"})), LimitError,
                         "step 1 (zoom): scale factors 1e+300, 1e+300, 1e+300 give an output of "
                         "1e+300 voxels along z");
    Volume spaced = volume;
    spaced.set_spacing({{1.0, 1.0, 1.0}, "mm", true});
    VOX_EXPECT_THROW_MSG(apply_steps(spaced, cli({"clahe:kernel_physical=1e300"})), ValueError,
                         "step 1 (clahe): kernel_size_physical: the size along z, 1e+300, is too "
                         "large (1e+300 voxels)");
    // Errors of other types keep their type and name the step too.
    const std::int64_t limit = memory_limit();
    set_memory_limit(1 << 20);
    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"gamma:0.5", "equalize:nbins=1000000"})),
                         LimitError,
                         "step 2 (equalize): a histogram of 1000000 bins needs 22.9 MiB, over the "
                         "memory limit of 1.0 MiB");
    set_memory_limit(limit);
    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"label"})), TypeError,
                         "step 1 (label): label needs an integer mask, got f32");
}

TEST(PipelineTest, OneStepRunsAsTheListDoesWithoutItsName) {
    const Volume volume = test::make_line<float>({0.0f, 0.25f, 1.0f});
    EXPECT_EQ(test::values_of(apply_step(volume, cli({"gamma:0.5"}).front())),
              test::values_of(apply_steps(volume, cli({"gamma:0.5"}))));
    VOX_EXPECT_THROW_MSG(apply_step(volume, cli({"gamma:abc"}).front()), ValueError,
                         "gamma must be a number, got 'abc'");
    VOX_EXPECT_THROW_MSG(
        apply_step(volume, Step{"gama", {}}), ValueError,
        "unknown op 'gama' (did you mean 'gamma'? known: gamma, log, sigmoid, rescale, clip, "
        "normalize, equalize, clahe, match, resize, zoom, isotropic, flip, crop, permute, pad, "
        "block_mean, gaussian, median, project, threshold, in_range, label, "
        "astype, as_float, as_ubyte, as_uint, channel)");
}

TEST(PipelineTest, StepsDoWhatTheFunctionsDo) {
    const Volume volume = test::make_volume<std::uint16_t>(
        {3, 4, 5, 1}, [](auto z, auto y, auto x, auto) { return 1000 * z + 100 * y + 10 * x; });
    EXPECT_EQ(test::values_of(apply_steps(volume, cli({"gamma:0.5,2"}))),
              test::values_of(adjust_gamma(volume, 0.5, 2)));
    const Volume chained = apply_steps(volume, cli({"as_float", "flip:x", "flip:x"}));
    EXPECT_EQ(chained.pixel_type(), PixelType::f64);
    EXPECT_EQ(test::values_of(chained), test::values_of(img_as_float(volume)));
    const Volume projected =
        apply_steps(volume, parse_steps_json(R"([{"op": "project", "mode": "max", "axis": "z"}])"));
    EXPECT_EQ(projected.shape(), (Shape{1, 4, 5, 1}));
    EXPECT_EQ(projected.value_at(0, 3, 4), 2340.0);
    // crop [1, 3) x [0, 4) x [2, 5), then x <-> z, then one edge voxel around.
    const Volume reshaped =
        apply_steps(volume, cli({"crop:1x0x2,3x4x5", "permute:2x1x0", "pad:1,mode=edge"}));
    const Volume expected = pad(permute_axes(crop(volume, Box{{1, 0, 2}, {3, 4, 5}}), {2, 1, 0}),
                                {{{1, 1}, {1, 1}, {1, 1}}}, PadMode::edge);
    EXPECT_EQ(reshaped.shape(), (Shape{5, 6, 4, 1}));
    EXPECT_EQ(test::values_of(reshaped), test::values_of(expected));
    EXPECT_EQ(reshaped.value_at(1, 1, 1), volume.value_at(1, 0, 2));
    EXPECT_EQ(apply_steps(volume, cli({"crop:begin=1"})).shape(), (Shape{2, 3, 4, 1}));
    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"permute:2x1x5"})), ValueError,
                         "step 1 (permute): axis order must be a permutation of 0, 1, 2, got "
                         "'2x1x5'");
}

// match and equalize's mask read their second volume from a path (or sample:NAME), as
// the input is read, and give the function's result; a path that cannot be read names the
// step and keeps its error's type.
TEST(PipelineTest, MatchAndMaskedEqualizeReadTheirVolumes) {
    namespace fs = std::filesystem;
    const fs::path folder =
        fs::temp_directory_path() /
        ("vox_pipeline_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    fs::create_directories(folder);
    const Volume volume = test::make_volume<std::uint16_t>(
        {3, 4, 5, 2}, [](auto z, auto y, auto x, auto c) { return 700 * c + 97 * z + 13 * y + x; });
    const Volume reference = test::make_volume<std::uint16_t>(
        {2, 3, 7, 2}, [](auto z, auto y, auto x, auto c) { return (z * 31 + y * 7 + x + c) % 9; });
    const Volume mask = test::make_volume<std::uint8_t>(
        {3, 4, 5, 1}, [](auto z, auto y, auto, auto) { return std::uint8_t(z + y > 2); });
    const std::string reference_path = (folder / "reference.npy").string();
    const std::string mask_path = (folder / "mask.npy").string();
    write_volume(reference, reference_path);
    write_volume(mask, mask_path);

    EXPECT_EQ(test::values_of(apply_steps(volume, cli({"match:" + reference_path}))),
              test::values_of(match_histograms(volume, reference)));
    const Volume per_channel = apply_steps(
        volume, parse_steps_json(R"([{"op": "match", "mode": "per_channel", "reference": ")" +
                                 reference_path + R"("}])"));
    EXPECT_EQ(per_channel.pixel_type(), PixelType::u16);
    EXPECT_EQ(test::values_of(per_channel),
              test::values_of(match_histograms(volume, reference, ChannelMode::per_channel)));
    EXPECT_EQ(test::values_of(apply_steps(volume, cli({"equalize:mask=" + mask_path}))),
              test::values_of(equalize_hist(volume, 256, &mask)));
    EXPECT_NE(test::values_of(apply_steps(volume, cli({"equalize:mask=" + mask_path}))),
              test::values_of(equalize_hist(volume, 256)));

    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"match"})), ValueError,
                         "step 1 (match): reference is required (a volume's path or sample:NAME)");
    const std::string missing = (folder / "missing.npy").string();
    VOX_EXPECT_THROW_MSG(
        apply_steps(volume, cli({"gamma:0.5", "match:" + missing})), IoError,
        "step 2 (match): cannot open '" + missing + "': No such file or directory");
    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"equalize:mask=" + reference_path})), ValueError,
                         "step 1 (equalize): mask shape 2x3x7 with 2 channels does not match the "
                         "volume's 3x4x5 with 2 channels (or its spatial shape with 1 channel)");
    fs::remove_all(folder);
}

// channel=N runs a step on one channel and keeps the others: the tutorial's value range
// per channel as three rescale steps. The caller's volume is never written; a volume moved
// in is written in place.
TEST(PipelineTest, StepsOnOneChannelKeepTheOthers) {
    const Volume volume = test::make_volume<std::uint16_t>(
        {3, 4, 5, 3}, [](auto z, auto y, auto x, auto c) { return 900 * c + 97 * z + 13 * y + x; });
    const std::vector<double> before = test::values_of(volume);
    const Volume ranged = apply_steps(
        volume, cli({"rescale:10,400,channel=0", "rescale:in_low=950,in_high=1300,channel=1",
                     "gamma:0.5,channel=2"}));
    EXPECT_EQ(test::values_of(volume), before);  // the caller's copy is untouched
    ASSERT_EQ(ranged.shape(), volume.shape());
    const Volume expected[] = {
        rescale_intensity(volume.channel(0), IntensityRange::values(10, 400)),
        rescale_intensity(volume.channel(1), IntensityRange::values(950, 1300)),
        adjust_gamma(volume.channel(2), 0.5)};
    for (std::int64_t c = 0; c < 3; ++c)
        EXPECT_EQ(test::values_of(ranged.channel(c)), test::values_of(expected[c])) << c;

    // Moved in and owned by nobody else: written in place.
    Volume owned = volume.copy();
    const void* buffer = owned.mutable_view<std::uint16_t>().row(0, 0, 0);
    const Volume flipped = apply_steps(
        std::move(owned), parse_steps_json(R"([{"op": "flip", "axis": "x", "channel": 1}])"));
    EXPECT_EQ(flipped.view<std::uint16_t>().row(0, 0, 0), buffer);
    EXPECT_EQ(test::values_of(flipped.channel(0)), test::values_of(volume.channel(0)));
    EXPECT_EQ(test::values_of(flipped.channel(1)),
              test::values_of(flip(volume.channel(1), Axis::x)));
    EXPECT_EQ(test::values_of(flipped.channel(2)), test::values_of(volume.channel(2)));

    VOX_EXPECT_THROW_MSG(apply_steps(volume, cli({"gamma:0.5,channel=3"})), ValueError,
                         "step 1 (gamma): channel 3 is out of range: the volume has 3 channels");
    VOX_EXPECT_THROW_MSG(validate_steps(cli({"gamma:0.5,channel=-1"})), ValueError,
                         "step 1 (gamma): channel must be 0 or more, got '-1'");
    VOX_EXPECT_THROW_MSG(validate_steps(cli({"gamma:channel=1,channel=2"})), ValueError,
                         "step 1 (gamma): parameter 'channel' is given twice");
    VOX_EXPECT_THROW_MSG(validate_steps(cli({"channel:1,channel=0"})), ValueError,
                         "step 1 (channel): op 'channel' has no parameter 'channel' (parameters: "
                         "index)");
    VOX_EXPECT_THROW_MSG(
        apply_steps(volume, cli({"equalize:channel=1"})), ValueError,
        "step 1 (equalize): channel=1 needs a step that keeps the pixel type and shape, but "
        "equalize turns 3x4x5 u16 into 3x4x5 f64 (convert the volume first, e.g. with as_float, "
        "or take the channel alone with channel:1)");
    EXPECT_EQ(apply_steps(volume, cli({"as_float", "equalize:channel=1"})).pixel_type(),
              PixelType::f64);
}

// The notes say what a step found, exactly: a clip's "as rescale:..." steps give the same
// voxels, joint and per channel, for integers and floats; a threshold's level is the
// method's and its share is the mask's; a label count is the largest label.
TEST(PipelineTest, NotesSayWhatTheStepsFoundAndRepeatThem) {
    const Volume volume =
        test::make_volume<std::uint16_t>({4, 6, 7, 2}, [](auto z, auto y, auto x, auto c) {
            return std::uint16_t((c + 1) * ((z * 53 + y * 31 + x * 17) % 97) + 5 * c);
        });
    const Volume floats = img_as_float32(volume);
    // Signed, one channel below zero: its out range keeps the negative half of the type.
    const Volume signed_values =
        test::make_volume<std::int16_t>({4, 6, 7, 2}, [](auto z, auto y, auto x, auto c) {
            return std::int16_t((z * 53 + y * 31 + x * 17) % 97 - (c == 0 ? 300 : 0));
        });
    for (const Volume* input : {&volume, &floats, &signed_values}) {
        for (const char* step :
             {"clip:2,97", "clip:2,97,mode=per_channel", "normalize:1,99", "rescale"}) {
            std::vector<StepNote> notes;
            const Volume clipped = apply_steps(*input, cli({step}), &notes);
            ASSERT_EQ(notes.size(), 1u) << step;
            EXPECT_EQ(notes[0].step, 0u);
            const std::string& text = notes[0].text;
            const std::size_t as = text.find("(as ");
            ASSERT_NE(as, std::string::npos) << text;
            std::vector<std::string> repeat;
            std::string tokens = text.substr(as + 4, text.size() - as - 5);
            for (std::size_t at = 0; at != std::string::npos;) {
                const std::size_t next = tokens.find(' ', at);
                repeat.push_back(tokens.substr(at, next - at));
                at = next == std::string::npos ? next : next + 1;
            }
            const bool per_channel =
                std::string(step) != "clip:2,97" && std::string(step) != "rescale";
            EXPECT_EQ(repeat.size(), per_channel ? 2u : 1u) << text;
            EXPECT_EQ(test::values_of(apply_steps(*input, cli(repeat))), test::values_of(clipped))
                << step << " -> " << text;
        }
    }
    std::vector<StepNote> signed_notes;
    apply_steps(signed_values, cli({"normalize"}), &signed_notes);
    EXPECT_EQ(signed_notes.at(0).text,
              "channel 0: in -300..-204, out -32768..32767; channel 1: in 0..96, out 0..32767 "
              "(as rescale:-300,-204,channel=0 rescale:0,96,channel=1)");

    std::vector<StepNote> notes;
    apply_steps(volume,
                cli({"rescale:1,90", "rescale:in=uint12", "clip:2,97,channel=1", "gamma:0.5"}),
                &notes);
    ASSERT_EQ(notes.size(), 1u);  // explicit ranges are known already
    EXPECT_EQ(notes[0].step, 2u);
    EXPECT_EQ(notes[0].text.find("(as "), std::string::npos) << notes[0].text;

    notes.clear();
    const Volume one = volume.channel(1);
    const Volume labels = apply_steps(one, cli({"threshold:otsu", "label:6"}), &notes);
    ASSERT_EQ(notes.size(), 2u);
    const Volume mask = threshold(one, threshold_otsu(one));
    const std::vector<double> mask_values = test::values_of(mask);
    const double share = 100.0 * double(std::count(mask_values.begin(), mask_values.end(), 1.0)) /
                         double(mask_values.size());
    EXPECT_EQ(notes[0].text, fmt::format("otsu level {}, {:.4g}% of the voxels above it",
                                         threshold_otsu(one), share));
    EXPECT_EQ(notes[1].step, 1u);
    EXPECT_EQ(notes[1].text, fmt::format("{} components", std::int64_t(min_max(labels).second)));
    EXPECT_GT(min_max(labels).second, 1.0);

    // The sizes a physical sigma and skimage's default CLAHE kernel came to.
    notes.clear();
    Volume spaced = one;
    spaced.set_spacing(Spacing{{0.5, 0.25, 2.0}, "um", true});
    apply_steps(spaced, cli({"gaussian:1,unit=physical", "clahe", "clahe:kernel=2"}), &notes);
    ASSERT_EQ(notes.size(), 2u);
    EXPECT_EQ(notes[0].text, "sigma 2x4x0.5 voxels");
    EXPECT_EQ(notes[1].step, 1u);
    EXPECT_EQ(
        notes[1].text,
        fmt::format("kernel {}x{}x{} voxels ({:.4g}x{:.4g}x{:.4g} um)",
                    default_kernel_size(spaced)[0], default_kernel_size(spaced)[1],
                    default_kernel_size(spaced)[2], 0.5 * double(default_kernel_size(spaced)[0]),
                    0.25 * double(default_kernel_size(spaced)[1]),
                    2.0 * double(default_kernel_size(spaced)[2])));

    notes.clear();
    apply_steps(one, cli({"threshold:1e9", "label"}), &notes);
    EXPECT_EQ(notes[0].text, "level 1000000000, 0% of the voxels above it");
    EXPECT_EQ(notes[1].text, "0 components");
}

TEST(PipelineTest, CatalogListsEveryOperation) {
    const auto& catalog = operation_catalog();
    EXPECT_GE(catalog.size(), 20u);
    EXPECT_EQ(catalog.front().name, "gamma");
    EXPECT_EQ(catalog.front().parameters, (std::vector<std::string>{"gamma=1", "gain=1"}));
}

}  // namespace
}  // namespace vox
