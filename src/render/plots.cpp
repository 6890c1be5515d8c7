// Histogram plots: the numbers a histogram panel draws, taken from the exposure module
// so that the drawn bars are exactly skimage.exposure.histogram's counts.
#include <cstdint>
#include <utility>
#include <vector>

#include "vox/exposure.h"
#include "vox/render.h"

namespace vox {
namespace {

// cumsum(counts) / total, as cumulative_distribution() computes it from histogram().
std::vector<double> cumulative(const std::vector<std::int64_t>& counts) {
    std::int64_t total = 0;
    for (std::int64_t count : counts)
        total += count;
    std::vector<double> cdf;
    cdf.reserve(counts.size());
    std::int64_t running = 0;
    for (std::int64_t count : counts) {
        running += count;
        cdf.push_back(total > 0 ? double(running) / double(total) : 0.0);
    }
    return cdf;
}

}  // namespace

HistogramPlot histogram_plot(const Volume& volume, int nbins, SourceRange source_range, bool cdf,
                             IntegerBins integer_bins) {
    Histogram histogram = vox::histogram(volume, nbins, source_range, integer_bins);
    HistogramPlot plot;
    plot.counts = std::move(histogram.counts);
    plot.bin_centers = std::move(histogram.bin_centers);
    if (cdf) {
        // cumulative_distribution() bins over the image range, integers one bin per value.
        const bool as_skimage =
            source_range == SourceRange::image &&
            (is_float(volume.pixel_type()) || integer_bins == IntegerBins::per_value);
        plot.cdf =
            as_skimage ? cumulative_distribution(volume, nbins).cdf : cumulative(plot.counts);
    }
    return plot;
}

std::vector<HistogramPlot> histogram_plots_per_channel(const Volume& volume, int nbins,
                                                       SourceRange source_range, bool cdf,
                                                       IntegerBins integer_bins) {
    ChannelHistograms histograms = histogram_per_channel(volume, nbins, source_range, integer_bins);
    std::vector<HistogramPlot> plots;
    for (std::vector<std::int64_t>& counts : histograms.counts) {
        HistogramPlot plot;
        plot.bin_centers = histograms.bin_centers;
        if (cdf) plot.cdf = cumulative(counts);
        plot.counts = std::move(counts);
        plots.push_back(std::move(plot));
    }
    return plots;
}

HistogramPlot value_histogram_plot(const Volume& volume, int nbins, std::int64_t* left_out) {
    Histogram histogram = finite_histogram(volume, nbins, left_out);
    HistogramPlot plot;
    plot.counts = std::move(histogram.counts);
    plot.bin_centers = std::move(histogram.bin_centers);
    return plot;
}

}  // namespace vox
