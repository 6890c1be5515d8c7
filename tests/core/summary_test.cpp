#include "vox/summary.h"

#include <gtest/gtest.h>

#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace vox {
namespace {

Volume two_channel_volume() {
    Volume volume = test::make_volume<std::uint16_t>(
        {2, 3, 4, 2}, [](auto z, auto y, auto x, auto c) { return c * 1000 + z * 12 + y * 4 + x; });
    volume.set_channel_names({"membrane", "nuclei"});
    return volume;
}

TEST(SummaryTest, GathersStatsAndPercentilesPerChannel) {
    const VolumeSummary summary = summarize(two_channel_volume(), "test");
    EXPECT_EQ(summary.source, "test");
    EXPECT_EQ(summary.shape, (Shape{2, 3, 4, 2}));
    EXPECT_EQ(summary.size_bytes, 96);
    ASSERT_EQ(summary.channel_percentiles.size(), 2u);
    EXPECT_EQ(summary.channel_percentiles[1][1], 1011.5);  // median of 1000..1023
    EXPECT_EQ(summary.stats.channels[0].max, 23.0);
    EXPECT_EQ(summary.stats.global.max, 1023.0);
}

TEST(SummaryTest, JsonCarriesEveryField) {
    Volume volume = two_channel_volume();
    volume.set_spacing({{0.29, 0.26, 0.26}, "µm", true});
    const auto json = nlohmann::json::parse(summary_to_json(summarize(volume, "sample:x")));
    EXPECT_EQ(json["schema"], "voxscope.info/1");
    EXPECT_EQ(json["shape"], nlohmann::json({2, 3, 4, 2}));
    EXPECT_EQ(json["dtype"], "u16");
    EXPECT_EQ(json["numpy_dtype"], "uint16");
    EXPECT_EQ(json["spacing"]["known"], true);
    EXPECT_EQ(json["spacing"]["unit"], "µm");
    EXPECT_NEAR(json["spacing"]["normalized_zyx"][0].get<double>(), 1.1153846, 1e-6);
    EXPECT_EQ(json["range"]["min"], 0.0);
    EXPECT_EQ(json["channels"][1]["name"], "nuclei");
    EXPECT_EQ(json["channels"][1]["min"], 1000.0);
    EXPECT_EQ(json["channels"][1]["percentiles"]["50"], 1011.5);
    EXPECT_TRUE(json["affine"].is_null());
}

TEST(SummaryTest, UnknownSpacingIsLoud) {
    const VolumeSummary summary = summarize(two_channel_volume(), "raw");
    const std::string text = summary_to_text(summary);
    EXPECT_NE(text.find("spacing   UNKNOWN"), std::string::npos) << text;
    EXPECT_NE(text.find("WARNING: spacing is unknown"), std::string::npos) << text;
    const auto json = nlohmann::json::parse(summary_to_json(summary));
    EXPECT_EQ(json["spacing"]["known"], false);
    EXPECT_TRUE(json["spacing"]["zyx"].is_null());
}

TEST(SummaryTest, KnownSpacingShowsStoredAndNormalized) {
    Volume volume = two_channel_volume();
    volume.set_spacing({{0.29, 0.26, 0.26}, "µm", true});
    const std::string text = summary_to_text(summarize(volume, "s"));
    EXPECT_NE(text.find("0.29 x 0.26 x 0.26 µm"), std::string::npos) << text;
    EXPECT_NE(text.find("normalized 1.11538 x 1 x 1"), std::string::npos) << text;
    EXPECT_EQ(text.find("WARNING"), std::string::npos) << text;
}

TEST(SummaryTest, ChannelColumnsWidenToTheirWidestCell) {
    Volume volume = test::make_line<double>({2.25865e-313, 4.99785e-310});
    volume.set_channel_names({"a name wider than its column"});
    const std::string text = summary_to_text(summarize(volume, "s"));
    // Every cell stays its own word: the row splits into as many words as the heading.
    const std::size_t table = text.find("\nch ");
    ASSERT_NE(table, std::string::npos) << text;
    std::istringstream rows(text.substr(table + 1));
    std::string heading, row;
    std::getline(rows, heading);
    std::getline(rows, row);
    const auto words = [](const std::string& line) {
        std::istringstream stream(line);
        return std::distance(std::istream_iterator<std::string>(stream),
                             std::istream_iterator<std::string>());
    };
    EXPECT_EQ(words(heading), 9) << heading;
    EXPECT_EQ(words(row), 9 + 5) << row;  // the name is six words
    EXPECT_NE(row.find("0   a name wider than its column  2.25865e-313 4.99785e-310"),
              std::string::npos)
        << row;
    // The usual widths stay as they were.
    const std::string usual = summary_to_text(summarize(two_channel_volume(), "s"));
    EXPECT_NE(usual.find("0   membrane             0        23"), std::string::npos) << usual;
}

TEST(SummaryTest, JsonReplacesBytesThatAreNotUtf8) {
    Volume volume = two_channel_volume();
    volume.metadata()["description"] = "voxel size 0.5 \xb5m";
    const auto json = nlohmann::json::parse(summary_to_json(summarize(volume, "s")));
    EXPECT_EQ(json["metadata"]["description"], "voxel size 0.5 \ufffdm");
}

TEST(SummaryTest, NaNBecomesNullInJson) {
    const Volume volume = test::make_line<float>({std::numeric_limits<float>::quiet_NaN()});
    const auto json = nlohmann::json::parse(summary_to_json(summarize(volume, "nan")));
    EXPECT_TRUE(json["range"]["min"].is_null());
    EXPECT_EQ(json["range"]["nan_count"], 1);
}

}  // namespace
}  // namespace vox
