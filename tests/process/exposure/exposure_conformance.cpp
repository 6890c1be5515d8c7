// Runs voxscope's exposure operations on the cases make_cases.py computed with
// scikit-image 0.19.3 and compares: same pixel type, integers exactly, floats to 1e-6
// relative. Usage: vox_exposure_conformance DIR (ctest passes the case folder).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_util.h"
#include "vox/convert.h"
#include "vox/exposure.h"
#include "vox/io.h"

namespace vox {
namespace {

std::string g_folder;

IntensityRange range_of(const nlohmann::json& spec) {
    const std::string kind = spec["kind"];
    if (kind == "image") return IntensityRange::image();
    if (kind == "dtype") return IntensityRange::dtype();
    if (kind == "named") return IntensityRange::named(spec["name"].get<std::string>());
    if (kind == "values") return IntensityRange::values(spec["low"], spec["high"]);
    return IntensityRange::percentiles(spec["low"], spec["high"]);
}

ChannelMode mode_of(const nlohmann::json& params) {
    return params["mode"] == "per_channel" ? ChannelMode::per_channel : ChannelMode::joint;
}

Volume input_of(const nlohmann::json& source) {
    Volume volume = source.contains("nii")
                        ? open_volume(source["nii"].get<std::string>())
                        : open_volume(g_folder + "/" + source["file"].get<std::string>());
    if (source.contains("step"))
        volume = volume.step(source["step"][0], source["step"][1], source["step"][2]);
    if (source.contains("channel")) volume = volume.channel(source["channel"].get<int>());
    if (source.value("as_float", false)) volume = img_as_float(volume);
    return volume;
}

// Absolute slack added to the 1e-6 relative tolerance (see the f32 note below).
double g_absolute = 1e-12;

bool close(double ours, double theirs) {
    if (ours == theirs || (std::isnan(ours) && std::isnan(theirs))) return true;
    return std::abs(ours - theirs) <= 1e-6 * std::abs(theirs) + g_absolute;
}

// Compares value lists; returns how many differ and reports the first few.
template <typename A, typename B>
int compare(const std::string& name, const A& ours, const B& theirs, bool exact) {
    if (ours.size() != theirs.size()) {
        ADD_FAILURE() << name << ": " << ours.size() << " values, skimage " << theirs.size();
        return 1;
    }
    int bad = 0;
    for (std::size_t i = 0; i < ours.size(); ++i) {
        const double a = double(ours[i]);
        const double b = double(theirs[i]);
        if (exact ? (a == b || (std::isnan(a) && std::isnan(b))) : close(a, b)) continue;
        if (++bad <= 3)
            ADD_FAILURE() << name << " [" << i << "]: voxscope " << a << ", skimage " << b;
    }
    return bad;
}

TEST(ExposureConformance, MatchesScikitImage) {
    std::ifstream file(g_folder + "/manifest.json");
    ASSERT_TRUE(file) << "no manifest in " << g_folder;
    const nlohmann::json manifest = nlohmann::json::parse(file);
    int cases = 0;
    for (const auto& c : manifest["cases"]) {
        const std::string name = c["name"];
        const std::string op = c["op"];
        const auto& p = c["params"];
        SCOPED_TRACE(name);
        const Volume input = input_of(c["input"]);
        ++cases;
        if (op == "histogram" || op == "cdf" || op == "histogram_channels" ||
            op == "finite_histogram") {
            std::vector<double> values;
            std::vector<double> centers;
            const SourceRange source_range = p.value("source_range", "image") == "dtype"
                                                 ? SourceRange::dtype
                                                 : SourceRange::image;
            // numpy's uniform bins (hist --bins N), or skimage's one bin per integer.
            const bool uniform = p.value("integer_bins", "per_value") == "uniform";
            const IntegerBins integer_bins =
                uniform ? IntegerBins::uniform : IntegerBins::per_value;
            if (op == "histogram_channels") {
                const ChannelHistograms h =
                    histogram_per_channel(input, p["nbins"], source_range, integer_bins);
                for (const auto& counts : h.counts)
                    values.insert(values.end(), counts.begin(), counts.end());
                centers = h.bin_centers;
            } else if (op == "finite_histogram") {
                const Histogram h = finite_histogram(input, p["nbins"]);
                values.assign(h.counts.begin(), h.counts.end());
                centers = h.bin_centers;
            } else if (op == "histogram") {
                const Histogram h = histogram(input, p["nbins"], source_range, integer_bins);
                values.assign(h.counts.begin(), h.counts.end());
                centers = h.bin_centers;
            } else {
                const CumulativeDistribution d = cumulative_distribution(input, p["nbins"]);
                values = d.cdf;
                centers = d.bin_centers;
            }
            compare(name + " values", values, c["values"].get<std::vector<double>>(), op != "cdf");
            // matplotlib's bins are numpy's edges, summed and halved in their own type.
            compare(name + " centers", centers, c["centers"].get<std::vector<double>>(),
                    op == "finite_histogram" || uniform);
            continue;
        }
        auto run = [&]() -> Volume {
            if (op == "rescale")
                return rescale_intensity(input, range_of(p["in"]), range_of(p["out"]), mode_of(p));
            if (op == "gamma") return adjust_gamma(input, p["gamma"], p["gain"]);
            if (op == "log") return adjust_log(input, p["gain"], p["inv"]);
            if (op == "sigmoid") return adjust_sigmoid(input, p["cutoff"], p["gain"], p["inv"]);
            if (op == "equalize") {
                if (p.contains("mask")) {
                    const Volume mask = open_volume(g_folder + "/" + p["mask"].get<std::string>());
                    return equalize_hist(input, p["nbins"], &mask);
                }
                return equalize_hist(input, p["nbins"]);
            }
            if (op == "match") {
                const Volume reference =
                    open_volume(g_folder + "/" + p["reference"].get<std::string>());
                return match_histograms(input, reference, mode_of(p));
            }
            throw std::runtime_error("unknown op " + op);
        };
        if (c.contains("error")) {
            // skimage raised: so must we (our texts are ours; skimage's is in the manifest).
            EXPECT_THROW(run(), ValueError) << "skimage: " << c["error"];
            continue;
        }
        const Volume ours = run();
        if (op == "rescale" || op == "gamma" || op == "log" || op == "sigmoid") {
            // The in-place form on a copy nothing else shares gives the same voxels.
            Volume owned = input.copy();
            Volume in_place;
            if (op == "rescale") {
                in_place = rescale_intensity(std::move(owned), range_of(p["in"]),
                                             range_of(p["out"]), mode_of(p));
            } else if (op == "gamma") {
                in_place = adjust_gamma(std::move(owned), p["gamma"], p["gain"]);
            } else if (op == "log") {
                in_place = adjust_log(std::move(owned), p["gain"], p["inv"]);
            } else {
                in_place = adjust_sigmoid(std::move(owned), p["cutoff"], p["gain"], p["inv"]);
            }
            EXPECT_EQ(in_place.pixel_type(), ours.pixel_type()) << name;
            EXPECT_EQ(test::values_of(in_place), test::values_of(ours)) << name << " in place";
        }
        // Documented difference: numpy's f32 exp and power are its own SIMD code (a few
        // ulp), glibc's expf/powf differ from them by an ulp near 1; the inverse log and
        // sigmoid then cancel ((2**x - 1), (1 - s)), turning one ulp of 1.0 into more than
        // 1e-6 of a small result. Both are equally right: allow 4 ulp of 1.0 absolute.
        const bool f32_cancels = ours.pixel_type() == PixelType::f32 &&
                                 (op == "log" || op == "sigmoid") && p.value("inv", false);
        g_absolute = f32_cancels ? 4.8e-7 : 1e-12;
        const Volume theirs = open_volume(g_folder + "/" + c["expected"].get<std::string>());
        EXPECT_EQ(numpy_dtype_name(ours.pixel_type()), c["dtype"].get<std::string>()) << name;
        if (ours.pixel_type() != theirs.pixel_type()) continue;
        EXPECT_EQ(ours.shape(), theirs.shape()) << name;
        if (!(ours.shape() == theirs.shape())) continue;
        compare(name, test::values_of(ours), test::values_of(theirs), !is_float(ours.pixel_type()));
    }
    EXPECT_GT(cases, 300);
    std::printf("%d exposure conformance cases compared\n", cases);
}

}  // namespace
}  // namespace vox

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc > 1) vox::g_folder = argv[1];
    return RUN_ALL_TESTS();
}
