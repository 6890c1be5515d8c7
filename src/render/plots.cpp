// Histogram plots: the numbers a histogram panel draws, taken from the exposure module
// so that the drawn bars are exactly skimage.exposure.histogram's counts.
#include <cmath>
#include <cstdint>
#include <vector>

#include "vox/convert.h"
#include "vox/error.h"
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

// Calls visit(value) for every value of a view.
template <typename T, typename Visit>
void for_each_value(const VolumeView<const T>& view, Visit&& visit) {
    const Shape& shape = view.shape;
    for (std::int64_t c = 0; c < shape.c; ++c)
        for (std::int64_t z = 0; z < shape.z; ++z)
            for (std::int64_t y = 0; y < shape.y; ++y) {
                const T* row = view.row(z, y, c);
                for (std::int64_t x = 0; x < shape.x; ++x)
                    visit(row[x * view.strides[2]]);
            }
}

// value_histogram_plot() of float data: the finite values, copied out when there are others.
template <typename T>
HistogramPlot finite_plot(const Volume& volume, int nbins, std::int64_t& left_out) {
    const VolumeView<const T> view = volume.view<T>();
    std::int64_t finite = 0;
    for_each_value(view, [&](T value) { finite += std::isfinite(value) ? 1 : 0; });
    left_out = volume.shape().values() - finite;
    if (left_out == 0) return histogram_plot(volume, nbins);
    if (finite == 0) {
        throw ValueError("every value is NaN or infinite: there is no histogram to draw");
    }
    Volume values = Volume::allocate({1, 1, finite, 1}, volume.pixel_type(), Volume::Fill::none);
    T* out = values.mutable_view<T>().origin;
    for_each_value(view, [&](T value) {
        if (std::isfinite(value)) *out++ = value;
    });
    return histogram_plot(values, nbins);
}

}  // namespace

HistogramPlot histogram_plot(const Volume& volume, int nbins, SourceRange source_range, bool cdf) {
    Histogram histogram = vox::histogram(volume, nbins, source_range);
    HistogramPlot plot;
    plot.counts = std::move(histogram.counts);
    plot.bin_centers = std::move(histogram.bin_centers);
    if (cdf) {
        // cumulative_distribution() bins over the image range only.
        plot.cdf = source_range == SourceRange::image ? cumulative_distribution(volume, nbins).cdf
                                                      : cumulative(plot.counts);
    }
    return plot;
}

std::vector<HistogramPlot> histogram_plots_per_channel(const Volume& volume, int nbins,
                                                       SourceRange source_range, bool cdf) {
    ChannelHistograms histograms = histogram_per_channel(volume, nbins, source_range);
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
    std::int64_t dropped = 0;
    HistogramPlot plot;
    switch (volume.pixel_type()) {
        case PixelType::f32:
            plot = finite_plot<float>(volume, nbins, dropped);
            break;
        case PixelType::f64:
            plot = finite_plot<double>(volume, nbins, dropped);
            break;
        default:
            // Integers are binned as floats, as matplotlib does, not one bin per integer.
            plot = histogram_plot(astype(volume, PixelType::f64, CastMode::clip), nbins);
            break;
    }
    if (left_out != nullptr) *left_out = dropped;
    return plot;
}

}  // namespace vox
