// The arithmetic shortcut of uniform binning: every bin it is sure of is the bin the edges
// (rounded to the data's type) give, on ordinary ranges, on ranges so narrow that the
// rounded edges collapse, and on NaN, infinities, values on and beside the edges and
// values out of range.
#include "uniform_bins.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace vox::detail {
namespace {

template <typename T>
struct Layout {
    double first;
    double last;
    std::int64_t count;
    std::vector<T> edges;  // as np.linspace in double, cast to T

    Layout(double low, double high, std::int64_t bins) : first(low), last(high), count(bins) {
        const double step = (high - low) / double(bins);
        for (std::int64_t k = 0; k < bins; ++k)
            edges.push_back(T(double(k) * step + low));
        edges.push_back(T(high));
    }

    double norm() const { return double(count) / (last - first); }

    UniformBins bins() const {
        return {first, norm(), double(count), uniform_margin(edges.data(), count, first, norm())};
    }

    // The bin the edges give (the last bin includes its upper edge), -1 outside [first, last].
    std::int32_t edge_bin(T v) const {
        if (!(double(v) >= first && double(v) <= last)) return -1;
        const auto above = std::upper_bound(edges.begin(), edges.end(), v) - edges.begin();
        return std::int32_t(std::clamp<std::int64_t>(above - 1, 0, count - 1));
    }
};

// Random values in and just beyond the range, every edge and its neighbours, the ends,
// NaN and the infinities. Returns how many of the random values in range were sure.
template <typename T>
double expect_sure_bins_are_edge_bins(const Layout<T>& layout) {
    std::mt19937_64 random(7);
    const double width = layout.last - layout.first;
    std::uniform_real_distribution<double> in_range(layout.first - 0.01 * width,
                                                    layout.last + 0.01 * width);
    std::vector<T> values;
    for (int i = 0; i < 20000; ++i)
        values.push_back(T(in_range(random)));
    const std::size_t random_count = values.size();
    for (const T edge : layout.edges) {
        values.push_back(edge);
        values.push_back(std::nextafter(edge, std::numeric_limits<T>::infinity()));
        values.push_back(std::nextafter(edge, -std::numeric_limits<T>::infinity()));
    }
    for (const double v : {layout.first, layout.last, -0.0, 0.0})
        values.push_back(T(v));
    values.push_back(std::numeric_limits<T>::quiet_NaN());
    values.push_back(std::numeric_limits<T>::infinity());
    values.push_back(-std::numeric_limits<T>::infinity());
    values.push_back(std::numeric_limits<T>::max());
    values.push_back(std::numeric_limits<T>::lowest());
    values.push_back(T(3));  // a length that leaves a tail after the blocks of 8

    const UniformBins bins = layout.bins();
    std::vector<std::int32_t> out(values.size());
    const bool any_unsure = sure_bins(values.data(), std::int64_t(values.size()), bins, out.data());
    std::size_t sure_in_range = 0;
    bool saw_unsure = false;
    for (std::size_t i = 0; i < values.size(); ++i) {
        saw_unsure |= out[i] < 0;
        if (out[i] < 0) continue;
        if (out[i] != layout.edge_bin(values[i])) {
            ADD_FAILURE() << "value " << double(values[i]) << " at " << i << ": bin " << out[i]
                          << ", the edges give " << layout.edge_bin(values[i]) << " (margin "
                          << bins.margin << ")";
            return -1.0;
        }
        if (i < random_count) ++sure_in_range;
    }
    EXPECT_EQ(any_unsure, saw_unsure);
    return double(sure_in_range) / double(random_count);
}

TEST(UniformBinsTest, SureBinsAreTheEdgesBinsForFloats) {
    const Layout<float> unit(0.0, 1.0, 256);
    EXPECT_LT(unit.bins().margin, 1e-4);
    // Only values near an edge or out of range (2% of them) are left to the edges.
    EXPECT_GT(expect_sure_bins_are_edge_bins(unit), 0.97);
    const Layout<float> skewed(-3.7, 1234.5678, 1000);
    EXPECT_GT(expect_sure_bins_are_edge_bins(skewed), 0.97);
}

TEST(UniformBinsTest, SureBinsAreTheEdgesBinsForDoubles) {
    const Layout<double> unit(0.0, 1.0, 256);
    EXPECT_GT(expect_sure_bins_are_edge_bins(unit), 0.97);
    const Layout<double> many(-3.0, 7.0, 1000000);
    EXPECT_GT(expect_sure_bins_are_edge_bins(many), 0.9);
    const Layout<double> one(5.0, 6.0, 1);
    EXPECT_GT(expect_sure_bins_are_edge_bins(one), 0.97);
}

TEST(UniformBinsTest, EdgesFarFromTheirPlaceLeaveValuesToThem) {
    // Float edges over [1000, 1000.01] are 6e-5 apart, wider than a bin (4e-5): the
    // arithmetic cannot be sure of any bin, and must not claim one.
    const Layout<float> collapsed(1000.0, 1000.01, 256);
    EXPECT_GT(collapsed.bins().margin, 0.5);
    EXPECT_EQ(expect_sure_bins_are_edge_bins(collapsed), 0.0);
    // A few bins over a range a little too narrow for floats: some edges sit a fair part of
    // a bin from their place, and the values beside them are left to the edges.
    const Layout<float> coarse(1.0, 1.0 + 1e-5, 8);
    EXPECT_GT(coarse.bins().margin, 0.01);
    expect_sure_bins_are_edge_bins(coarse);
}

TEST(UniformBinsTest, DecreasingEdgesAreNeverTrusted) {
    const std::vector<float> edges = {0.0f, 0.5f, 0.25f, 1.0f};
    EXPECT_GT(uniform_margin(edges.data(), 3, 0.0, 3.0), 0.5);
    const std::vector<float> with_nan = {0.0f, std::numeric_limits<float>::quiet_NaN(), 1.0f};
    EXPECT_GT(uniform_margin(with_nan.data(), 2, 0.0, 2.0), 0.5);
}

}  // namespace
}  // namespace vox::detail
