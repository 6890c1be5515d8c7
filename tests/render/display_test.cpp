// Tests of display mapping (display.h): pixel-exact colours on synthetic volumes whose values
// and colours are known.
#include "vox/display.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.h"

namespace vox {
namespace {

using Rgb = std::array<std::uint8_t, 3>;

Rgb rgb_at(const Image& image, std::int64_t x, std::int64_t y) {
    const std::uint8_t* p = image.pixel(x, y);
    EXPECT_EQ(p[3], 255);
    return {p[0], p[1], p[2]};
}

Rgb gray(int v) {
    const auto c = static_cast<std::uint8_t>(v);
    return {c, c, c};
}

DisplayMapping one_channel(const std::string& map, DisplayRange range, double gamma = 1.0) {
    ChannelDisplay channel;
    channel.colormap = map;
    channel.range = range;
    channel.gamma = gamma;
    return {{channel}, {}};
}

// Maps a 1-row line volume and returns the colours left to right.
std::vector<Rgb> map_line(const Volume& line, const DisplayMapping& mapping) {
    const Image image = map_plane(line, Axis::z, resolve_mapping(line, mapping));
    std::vector<Rgb> colours;
    for (std::int64_t x = 0; x < image.width; ++x) {
        colours.push_back(rgb_at(image, x, 0));
        EXPECT_EQ(image.pixel(x, 0)[3], 255) << "mapped pixels are opaque, pixel " << x;
    }
    return colours;
}

TEST(Colormap, NamesAndReversedForms) {
    const std::vector<std::string> names = colormap_names();
    const std::vector<std::string> expected = {"gray",    "viridis", "magma", "inferno", "plasma",
                                               "cividis", "turbo",   "hot",   "green",   "magenta",
                                               "cyan",    "red",     "blue",  "yellow",  "labels"};
    EXPECT_EQ(names, expected);
    for (const std::string& name : names) {
        const Colormap& map = colormap(name);
        const Colormap& reversed = colormap(name + "_r");
        EXPECT_EQ(map.name, name);
        EXPECT_EQ(reversed.name, name + "_r");
        EXPECT_EQ(map.categorical, name == "labels");
        EXPECT_EQ(reversed.categorical, map.categorical);
        if (map.categorical) {
            EXPECT_EQ(reversed.table[0], Rgb({0, 0, 0}));
            for (int i = 1; i < 256; ++i)
                EXPECT_EQ(reversed.table[i], map.table[256 - i]);
        } else {
            for (int i = 0; i < 256; ++i)
                EXPECT_EQ(reversed.table[i], map.table[255 - i]);
        }
    }
}

TEST(Colormap, LinearMapsFromBlack) {
    for (int i = 0; i < 256; ++i) {
        const auto v = static_cast<std::uint8_t>(i);
        EXPECT_EQ(colormap("gray").table[i], Rgb({v, v, v}));
        EXPECT_EQ(colormap("green").table[i], Rgb({0, v, 0}));
        EXPECT_EQ(colormap("magenta").table[i], Rgb({v, 0, v}));
        EXPECT_EQ(colormap("cyan").table[i], Rgb({0, v, v}));
        EXPECT_EQ(colormap("red").table[i], Rgb({v, 0, 0}));
        EXPECT_EQ(colormap("blue").table[i], Rgb({0, 0, v}));
        EXPECT_EQ(colormap("yellow").table[i], Rgb({v, v, 0}));
    }
}

TEST(Colormap, KnownMatplotlibEntries) {
    // matplotlib 3.6: viridis(0) = #440154, viridis(1) = #fde725 (bytes, truncated).
    EXPECT_EQ(colormap("viridis").table[0], Rgb({68, 1, 84}));
    EXPECT_EQ(colormap("viridis").table[255], Rgb({253, 231, 36}));
    EXPECT_EQ(colormap("hot").table[0], Rgb({10, 0, 0}));
    EXPECT_EQ(colormap("hot").table[255], Rgb({255, 255, 255}));
}

TEST(Colormap, LabelsAreDistinctWithBlackBackground) {
    const Colormap& labels = colormap("labels");
    EXPECT_EQ(labels.table[0], Rgb({0, 0, 0}));
    for (int i = 1; i < 256; ++i) {
        EXPECT_NE(labels.table[i], Rgb({0, 0, 0}));
        EXPECT_NE(labels.table[i], labels.table[i - 1]);
    }
}

TEST(Colormap, AtPicksEntriesAsMatplotlib) {
    const Colormap& map = colormap("viridis");
    for (int i = 0; i < 256; ++i)
        EXPECT_EQ(map.at(i / 255.0), map.table[i]) << i;
    EXPECT_EQ(map.at(0.002), map.table[0]);  // floor(0.512), where round(t * 255) gives 1
    EXPECT_EQ(map.at(1.0 / 256.0), map.table[1]);
    EXPECT_EQ(map.at(-1.0), map.table[0]);
    EXPECT_EQ(map.at(2.0), map.table[255]);
    EXPECT_EQ(map.at(std::nan("")), map.table[0]);
}

TEST(Colormap, UnknownName) {
    VOX_EXPECT_THROW_MSG(
        colormap("jet"), ValueError,
        "unknown colormap 'jet' (known: gray, viridis, magma, inferno, plasma, cividis, turbo, "
        "hot, green, magenta, cyan, red, blue, yellow, labels; each also reversed with _r)");
}

TEST(DefaultMapping, ColoursByChannelCount) {
    auto names = [](std::int64_t channels) {
        const Volume volume = Volume::allocate({1, 1, 1, channels}, PixelType::u8);
        std::vector<std::string> out;
        for (const ChannelDisplay& channel : default_mapping(volume).channels) {
            out.push_back(channel.colormap);
            EXPECT_EQ(channel.range.kind, DisplayRange::Kind::image);
            EXPECT_EQ(channel.gamma, 1.0);
            EXPECT_TRUE(channel.visible);
        }
        return out;
    };
    EXPECT_EQ(names(1), std::vector<std::string>({"gray"}));
    EXPECT_EQ(names(2), std::vector<std::string>({"green", "magenta"}));
    EXPECT_EQ(names(3), std::vector<std::string>({"red", "green", "blue"}));
    EXPECT_EQ(names(7), std::vector<std::string>(
                            {"green", "magenta", "cyan", "red", "blue", "yellow", "green"}));
}

TEST(MapPlane, GrayRampU8IsIdentity) {
    const Volume ramp =
        test::make_volume<std::uint8_t>({1, 1, 256, 1}, [](auto, auto, auto x, auto) { return x; });
    const std::vector<Rgb> colours = map_line(ramp, default_mapping(ramp));
    ASSERT_EQ(colours.size(), 256u);
    for (int i = 0; i < 256; ++i)
        EXPECT_EQ(colours[i], gray(i)) << i;
}

TEST(MapPlane, U16ExplicitRange) {
    // 257 * k over 0..65535 is t = k / 255: entry k, across the full 16-bit range.
    const Volume line = test::make_volume<std::uint16_t>(
        {1, 1, 256, 1}, [](auto, auto, auto x, auto) { return 257 * x; });
    const std::vector<Rgb> colours =
        map_line(line, one_channel("gray", DisplayRange::values(0, 65535)));
    for (int i = 0; i < 256; ++i)
        EXPECT_EQ(colours[i], gray(i)) << i;

    // A 12-bit window: nothing is clipped silently, values outside saturate at the ends.
    const Volume window = test::make_line<std::uint16_t>({0, 999, 1000, 1500, 2000, 2001, 4095});
    EXPECT_EQ(
        map_line(window, one_channel("gray", DisplayRange::values(1000, 2000))),
        std::vector<Rgb>({gray(0), gray(0), gray(0), gray(128), gray(255), gray(255), gray(255)}));
}

TEST(MapPlane, LookupAndDirectPathsAgree) {
    // A 1x1x6 plane is evaluated per voxel, a 1x128x128 plane through the 16-bit table.
    const std::vector<std::uint16_t> values = {0, 1001, 1234, 1777, 1999, 65535};
    const DisplayMapping mapping = one_channel("magma", DisplayRange::values(1000, 2000), 0.7);
    const std::vector<Rgb> direct = map_line(test::make_line(values), mapping);
    const Volume big = test::make_volume<std::uint16_t>(
        {1, 128, 128, 1}, [&](auto, auto y, auto x, auto) { return values[(y * 128 + x) % 6]; });
    const Image image = map_plane(big, Axis::z, resolve_mapping(big, mapping));
    for (std::int64_t y = 0; y < 128; ++y)
        for (std::int64_t x = 0; x < 128; ++x)
            ASSERT_EQ(rgb_at(image, x, y), direct[(y * 128 + x) % 6]) << x << ", " << y;
}

TEST(MapPlane, TablesKeptBetweenPlanesFollowTheDisplay) {
    // Planes large enough for the 16-bit table, mapped again and again with displays that
    // differ in one field each: a kept table must never serve another display.
    const Volume plane = test::make_volume<std::uint16_t>(
        {1, 128, 128, 1}, [](auto, auto y, auto x, auto) { return (y * 128 + x) * 3; });
    const std::vector<DisplayMapping> displays = {
        one_channel("gray", DisplayRange::values(0, 49151)),
        one_channel("gray", DisplayRange::values(0, 20000)),
        one_channel("gray", DisplayRange::values(100, 20000)),
        one_channel("gray", DisplayRange::values(100, 20000), 0.5),
        one_channel("labels", DisplayRange::values(100, 20000), 0.5),
    };
    for (int round = 0; round < 2; ++round) {
        for (const DisplayMapping& display : displays) {
            const std::vector<ResolvedChannel> channels = resolve_mapping(plane, display);
            const Image image = map_plane(plane, Axis::z, channels);
            const ResolvedChannel& channel = channels[0];
            for (const std::int64_t x : {0, 1, 40, 127}) {
                const double value = plane.value_at(0, 77, x);
                // The reference: a 1-voxel plane, coloured per voxel without a table.
                const Volume one = test::make_line<std::uint16_t>({std::uint16_t(value)});
                ASSERT_EQ(rgb_at(image, x, 77), map_line(one, display)[0])
                    << channel.low << ".." << channel.high << " gamma " << channel.gamma << " at "
                    << x;
            }
        }
    }
}

TEST(MapPlane, DtypeRange) {
    EXPECT_EQ(map_line(test::make_line<std::uint16_t>({0, 32768, 65535}),
                       one_channel("gray", DisplayRange::dtype())),
              std::vector<Rgb>({gray(0), gray(128), gray(255)}));
    EXPECT_EQ(map_line(test::make_line<std::int16_t>({-32768, 0, 32767}),
                       one_channel("gray", DisplayRange::dtype())),
              std::vector<Rgb>({gray(0), gray(128), gray(255)}));
    EXPECT_EQ(map_line(test::make_line<float>({-0.5f, 0.0f, 0.5f, 1.0f, 2.0f}),
                       one_channel("gray", DisplayRange::dtype())),
              std::vector<Rgb>({gray(0), gray(0), gray(128), gray(255), gray(255)}));
}

TEST(MapPlane, ImageRangeIsMinMax) {
    const Volume line = test::make_line<std::int32_t>({-100, 0, 100});
    const std::vector<ResolvedChannel> resolved = resolve_mapping(line, default_mapping(line));
    EXPECT_EQ(resolved[0].low, -100.0);
    EXPECT_EQ(resolved[0].high, 100.0);
    EXPECT_EQ(map_line(line, default_mapping(line)),
              std::vector<Rgb>({gray(0), gray(128), gray(255)}));
}

TEST(MapPlane, Percentiles) {
    const Volume line =
        test::make_volume<std::uint8_t>({1, 1, 101, 1}, [](auto, auto, auto x, auto) { return x; });
    const DisplayMapping mapping = one_channel("gray", DisplayRange::percentiles(10, 90));
    const std::vector<ResolvedChannel> resolved = resolve_mapping(line, mapping);
    EXPECT_EQ(resolved[0].low, 10.0);
    EXPECT_EQ(resolved[0].high, 90.0);
    const std::vector<Rgb> colours = map_line(line, mapping);
    EXPECT_EQ(colours[5], gray(0));
    EXPECT_EQ(colours[10], gray(0));
    EXPECT_EQ(colours[30], gray(64));  // t = 0.25
    EXPECT_EQ(colours[50], gray(128));
    EXPECT_EQ(colours[90], gray(255));
    EXPECT_EQ(colours[95], gray(255));
}

TEST(MapPlane, Gamma) {
    const Volume line = test::make_line<float>({0.0f, 25.0f, 50.0f, 100.0f});
    EXPECT_EQ(map_line(line, one_channel("gray", DisplayRange::values(0, 100), 2.0)),
              std::vector<Rgb>({gray(0), gray(16), gray(64), gray(255)}));
    EXPECT_EQ(map_line(line, one_channel("gray", DisplayRange::values(0, 100), 0.5)),
              std::vector<Rgb>({gray(0), gray(128), gray(181), gray(255)}));
    // The same through the 8-bit table.
    const Volume bytes = test::make_line<std::uint8_t>({0, 25, 50, 100});
    EXPECT_EQ(map_line(bytes, one_channel("gray", DisplayRange::values(0, 100), 0.5)),
              std::vector<Rgb>({gray(0), gray(128), gray(181), gray(255)}));
}

TEST(MapPlane, EqualLowAndHighIsTheFirstEntry) {
    // matplotlib's Normalize gives 0 for every value when vmin == vmax.
    EXPECT_EQ(map_line(test::make_line<std::uint8_t>({4, 5, 6}),
                       one_channel("gray", DisplayRange::values(5, 5))),
              std::vector<Rgb>({gray(0), gray(0), gray(0)}));
    // A constant image shows in the map's lowest colour.
    const Colormap& viridis = colormap("viridis");
    EXPECT_EQ(map_line(test::make_line<float>({3.0f, 3.0f}),
                       one_channel("viridis", DisplayRange::image())),
              std::vector<Rgb>({viridis.table[0], viridis.table[0]}));
}

TEST(MapPlane, InfinitiesStayOutOfImageRanges) {
    // matplotlib masks infinities before it scales: the range is that of the finite values,
    // and infinities clamp to the ends.
    const float inf = std::numeric_limits<float>::infinity();
    const Volume line = test::make_line<float>({-inf, 0.0f, 2.0f, 4.0f, inf});
    EXPECT_EQ(map_line(line, one_channel("gray", DisplayRange::image())),
              std::vector<Rgb>({gray(0), gray(0), gray(128), gray(255), gray(255)}));
    const std::vector<ResolvedChannel> resolved =
        resolve_mapping(line, {{ChannelDisplay{"gray", DisplayRange::percentiles(0, 100)}}, {}});
    EXPECT_EQ(resolved[0].low, 0.0);
    EXPECT_EQ(resolved[0].high, 4.0);
    // Only infinities: the neutral range, as for only NaN.
    const std::vector<ResolvedChannel> infinite =
        resolve_mapping(test::make_line<double>({inf, -inf}),
                        {{ChannelDisplay{"gray", DisplayRange::image()}}, {}});
    EXPECT_EQ(infinite[0].low, 0.0);
    EXPECT_EQ(infinite[0].high, 1.0);
}

TEST(MapPlane, NanIsTheFirstEntry) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Volume line = test::make_line<float>({nan, 0.0f, 1.0f});
    const Colormap& viridis = colormap("viridis");
    EXPECT_EQ(map_line(line, one_channel("viridis", DisplayRange::image())),
              std::vector<Rgb>({viridis.table[0], viridis.table[0], viridis.table[255]}));
    // All NaN: the range falls back to 0..1.
    const Volume nans = test::make_line<float>({nan, nan});
    const std::vector<ResolvedChannel> resolved =
        resolve_mapping(nans, one_channel("gray", DisplayRange::image()));
    EXPECT_EQ(resolved[0].low, 0.0);
    EXPECT_EQ(resolved[0].high, 1.0);
    EXPECT_EQ(map_line(nans, one_channel("gray", DisplayRange::image())),
              std::vector<Rgb>({gray(0), gray(0)}));
}

TEST(MapPlane, ReversedMap) {
    const Volume line = test::make_line<std::uint8_t>({0, 100, 255});
    EXPECT_EQ(map_line(line, one_channel("gray_r", DisplayRange::values(0, 255))),
              std::vector<Rgb>({gray(255), gray(155), gray(0)}));
}

TEST(MapPlane, ChannelsAddAndSaturate) {
    // Channel 0 green at 100, channel 1 magenta at 200: (200, 100, 200).
    const Volume two = test::make_volume<std::uint8_t>(
        {1, 1, 2, 2},
        [](auto, auto, auto x, auto c) { return x == 0 ? (c == 0 ? 100 : 200) : 255; });
    DisplayMapping mapping = default_mapping(two);
    for (ChannelDisplay& channel : mapping.channels)
        channel.range = DisplayRange::values(0, 255);
    EXPECT_EQ(map_line(two, mapping),
              std::vector<Rgb>({Rgb({200, 100, 200}), Rgb({255, 255, 255})}));

    // Yellow 200 + red 100 saturates red at 255.
    mapping.channels[0].colormap = "yellow";
    mapping.channels[1].colormap = "red";
    const Volume sat = test::make_volume<std::uint16_t>(
        {1, 1, 1, 2}, [](auto, auto, auto, auto c) { return c == 0 ? 200 : 100; });
    EXPECT_EQ(map_line(sat, mapping), std::vector<Rgb>({Rgb({255, 200, 0})}));

    // An invisible channel does not contribute; none visible is black.
    mapping.channels[1].visible = false;
    EXPECT_EQ(map_line(sat, mapping), std::vector<Rgb>({Rgb({200, 200, 0})}));
    mapping.channels[0].visible = false;
    EXPECT_EQ(map_line(sat, mapping), std::vector<Rgb>({Rgb({0, 0, 0})}));
}

TEST(MapPlane, CategoricalLabels) {
    const Colormap& labels = colormap("labels");
    const Volume line = test::make_line<std::int32_t>({0, 1, 2, 255, 256, 511, -1});
    EXPECT_EQ(
        map_line(line, one_channel("labels", DisplayRange::image())),
        std::vector<Rgb>({labels.table[0], labels.table[1], labels.table[2], labels.table[255],
                          labels.table[1], labels.table[1], labels.table[254]}));
    // Through the 16-bit table, and floats truncate (NaN is background).
    const Volume u16 = test::make_line<std::uint16_t>({0, 3, 258});
    EXPECT_EQ(map_line(u16, one_channel("labels", DisplayRange::image())),
              std::vector<Rgb>({labels.table[0], labels.table[3], labels.table[3]}));
    const Volume floats = test::make_line<double>({2.7, std::nan(""), 0.5});
    EXPECT_EQ(map_line(floats, one_channel("labels", DisplayRange::image())),
              std::vector<Rgb>({labels.table[2], labels.table[0], labels.table[0]}));
}

// value(z, y, x) = 100 z + 10 y + x, shown in gray with range 0..255, so a pixel's gray level
// names the voxel it came from.
Volume coded_volume() {
    return test::make_volume<std::uint8_t>(
        {3, 4, 5, 1}, [](auto z, auto y, auto x, auto) { return 100 * z + 10 * y + x; });
}

TEST(MapPlane, Orientation) {
    const Volume volume = coded_volume();
    const std::vector<ResolvedChannel> channels =
        resolve_mapping(volume, one_channel("gray", DisplayRange::values(0, 255)));
    // Axis z: x across, y down.
    Image image = map_plane(volume.plane(Axis::z, 1), Axis::z, channels);
    ASSERT_EQ(image.width, 5);
    ASSERT_EQ(image.height, 4);
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 5; ++x)
            EXPECT_EQ(rgb_at(image, x, y), gray(100 + 10 * y + x));
    // Axis y: x across, z down.
    image = map_plane(volume.plane(Axis::y, 2), Axis::y, channels);
    ASSERT_EQ(image.width, 5);
    ASSERT_EQ(image.height, 3);
    for (int z = 0; z < 3; ++z)
        for (int x = 0; x < 5; ++x)
            EXPECT_EQ(rgb_at(image, x, z), gray(100 * z + 20 + x));
    // Axis x: y across, z down.
    image = map_plane(volume.plane(Axis::x, 3), Axis::x, channels);
    ASSERT_EQ(image.width, 4);
    ASSERT_EQ(image.height, 3);
    for (int z = 0; z < 3; ++z)
        for (int y = 0; y < 4; ++y)
            EXPECT_EQ(rgb_at(image, y, z), gray(100 * z + 10 * y + 3));
}

TEST(MapPlane, StridedViews) {
    // Every other row and column of a two-channel volume, the second channel shown in red.
    const Volume volume = test::make_volume<std::int16_t>(
        {2, 6, 8, 2}, [](auto, auto y, auto x, auto c) { return c == 0 ? 0 : 10 * y + x; });
    const Volume stepped = volume.step(1, 2, 2);
    DisplayMapping mapping = default_mapping(stepped);
    mapping.channels[0].visible = false;
    mapping.channels[1].colormap = "red";
    mapping.channels[1].range = DisplayRange::values(0, 255);
    const Image image =
        map_plane(stepped.plane(Axis::z, 1), Axis::z, resolve_mapping(stepped, mapping));
    ASSERT_EQ(image.width, 4);
    ASSERT_EQ(image.height, 3);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 4; ++x)
            EXPECT_EQ(rgb_at(image, x, y), Rgb({std::uint8_t(20 * y + 2 * x), 0, 0}));
}

TEST(MapPlane, LargePlaneInParallel) {
    // 700 x 600 pixels: many row chunks; every pixel is checked.
    const Volume volume = test::make_volume<std::uint16_t>(
        {1, 600, 700, 1}, [](auto, auto y, auto x, auto) { return (y * 700 + x) % 65536; });
    const Image image =
        map_plane(volume, Axis::z,
                  resolve_mapping(volume, one_channel("gray", DisplayRange::values(0, 65535))));
    for (std::int64_t y = 0; y < 600; ++y)
        for (std::int64_t x = 0; x < 700; ++x) {
            const int v = static_cast<int>((y * 700 + x) % 65536);
            ASSERT_EQ(rgb_at(image, x, y), gray(std::min(255, v * 256 / 65535))) << x << ", " << y;
        }
}

TEST(ImageFilled, SizeAndFill) {
    const Image image = Image::filled(3, 2, {1, 2, 3, 4});
    EXPECT_EQ(image.rgba.size(), 24u);
    EXPECT_EQ(image.pixel(2, 1)[0], 1);
    EXPECT_EQ(image.pixel(2, 1)[3], 4);
    VOX_EXPECT_THROW_MSG(Image::filled(-1, 2), ValueError, "image size -1x2 is negative");
}

TEST(ResolveMapping, Errors) {
    const Volume line = test::make_line<std::uint8_t>({1, 2, 3});
    VOX_EXPECT_THROW_MSG(resolve_mapping(line, DisplayMapping{}), ValueError,
                         "display mapping has 0 channels but the volume has 1");
    VOX_EXPECT_THROW_MSG(
        resolve_mapping(line, one_channel("gray", DisplayRange::percentiles(1, 120))), ValueError,
        "channel 0: percentile 120 is outside [0, 100]");
    VOX_EXPECT_THROW_MSG(
        resolve_mapping(line, one_channel("gray", DisplayRange::percentiles(-0.5, 99))), ValueError,
        "channel 0: percentile -0.5 is outside [0, 100]");
    VOX_EXPECT_THROW_MSG(
        resolve_mapping(line, one_channel("gray", DisplayRange::percentiles(90, 10))), ValueError,
        "channel 0: range low 90 is greater than high 10");
    VOX_EXPECT_THROW_MSG(resolve_mapping(line, one_channel("gray", DisplayRange::values(5, 2.5))),
                         ValueError, "channel 0: range low 5 is greater than high 2.5");
    VOX_EXPECT_THROW_MSG(
        resolve_mapping(line, one_channel("gray", DisplayRange::values(std::nan(""), 2))),
        ValueError, "channel 0: range values must be finite, got nan and 2");
    VOX_EXPECT_THROW_MSG(resolve_mapping(line, one_channel("gray", DisplayRange::image(), 0.0)),
                         ValueError, "channel 0: gamma must be a positive number, got 0");
    VOX_EXPECT_THROW_MSG(
        resolve_mapping(line, one_channel("grey", DisplayRange::image())), ValueError,
        "channel 0: unknown colormap 'grey' (known: gray, viridis, magma, inferno, "
        "plasma, cividis, turbo, hot, green, magenta, cyan, red, blue, yellow, "
        "labels; each also reversed with _r)");
}

TEST(MapPlane, Errors) {
    const Volume volume = coded_volume();
    const std::vector<ResolvedChannel> channels =
        resolve_mapping(volume, one_channel("gray", DisplayRange::image()));
    VOX_EXPECT_THROW_MSG(map_plane(volume, Axis::z, channels), ValueError,
                         "map_plane: the plane has extent 3 along z; expected 1");
    VOX_EXPECT_THROW_MSG(map_plane(volume.plane(Axis::z, 0), Axis::z, {}), ValueError,
                         "map_plane: 0 display channels for a plane with 1 channels");
    std::vector<ResolvedChannel> bad = channels;
    bad[0].colormap = nullptr;
    VOX_EXPECT_THROW_MSG(map_plane(volume.plane(Axis::z, 0), Axis::z, bad), ValueError,
                         "map_plane: channel 0 has no colormap");
    bad = channels;
    bad[0].gamma = -1.0;
    VOX_EXPECT_THROW_MSG(map_plane(volume.plane(Axis::z, 0), Axis::z, bad), ValueError,
                         "map_plane: channel 0 has gamma -1; it must be > 0");
    bad = channels;
    bad[0].low = 7.0;
    bad[0].high = 6.0;
    VOX_EXPECT_THROW_MSG(map_plane(volume.plane(Axis::z, 0), Axis::z, bad), ValueError,
                         "map_plane: channel 0 has low 7 > high 6");
}

}  // namespace
}  // namespace vox
