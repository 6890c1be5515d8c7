// voxscope: intensity (exposure) operations with scikit-image 0.19.3 semantics:
// rescaling, gamma/log/sigmoid correction, histograms, CDFs, equalization and
// histogram matching (skimage.exposure.exposure and .histogram_matching).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "vox/volume.h"

namespace vox {

/// An intensity range as skimage.exposure.rescale_intensity takes it.
///
/// - `image`: the volume's own min and max (skimage's 'image');
/// - `dtype`: the nominal range of the volume's pixel type (skimage's 'dtype';
///   [-1, 1] for floats, see dtype_range());
/// - `named`: the range of a dtype name ("uint8", "uint12", "float32"...: skimage's
///   DTYPE_RANGE keys); as an out_range it also sets the output pixel type;
/// - `values`: explicit (low, high), as skimage's 2-tuple;
/// - `percentiles`: (low, high) percentiles of the volume with numpy's default linear
///   method, the tutorial's `np.percentile(data, (0.5, 99.5))` passed as in_range.
///   Only valid as an in_range.
struct IntensityRange {
    enum class Kind : std::uint8_t { image, dtype, named, values, percentiles };
    Kind kind = Kind::image;
    double low = 0.0;
    double high = 0.0;
    /// For `named`: the pixel type holding that range (uint10/12/14 give u16).
    PixelType type = PixelType::u8;

    /// skimage's 'image'.
    static IntensityRange image() { return {}; }
    /// skimage's 'dtype'.
    static IntensityRange dtype() { return {Kind::dtype}; }
    /// Explicit (low, high) in intensity units.
    static IntensityRange values(double low, double high) { return {Kind::values, low, high}; }
    /// Percentiles (low, high) in [0, 100] of the data.
    static IntensityRange percentiles(double low, double high) {
        return {Kind::percentiles, low, high};
    }
    /// A skimage DTYPE_RANGE name: "uint8", "int8", "uint16", "int16", "uint32", "int32",
    /// "float32", "float64", "float", "uint10", "uint12", "uint14" (or short "u16"...).
    /// @throw ValueError for any other name: "Incorrect value for out_range, should be a
    /// valid image data type or a pair of values, got NAME."
    static IntensityRange named(std::string_view name);
};

/// How multi-channel volumes take ranges computed from the data.
enum class ChannelMode : std::uint8_t {
    /// One range over all channels (skimage on a (z, y, x, c) array).
    joint,
    /// Each channel its own range (the kidney tutorial's per-channel normalization).
    per_channel,
};

/// The levels rescale_intensity() used for one channel, or for all of them in joint mode:
/// it clipped to [in_low, in_high] and mapped that onto [out_low, out_high]. What the
/// image or percentiles of an in_range came to on the data.
struct RescaleLevels {
    double in_low = 0.0;
    double in_high = 0.0;
    double out_low = 0.0;
    double out_high = 0.0;
};

/// skimage.exposure.rescale_intensity: clips to in_range and maps it linearly onto
/// out_range. Output pixel type as skimage's `_output_dtype`: the input's type for
/// out_range image/dtype, the named type for `named` (u16 for uint10/12/14), and for
/// explicit values f32 for f32 input, else f64. When in_range's low is >= 0 the
/// out_range's low is clipped to 0 (skimage's clip_negative). Float results are
/// truncated toward zero when cast to integer outputs, as numpy's astype.
/// Arithmetic is f32 for f32 input (as numpy), f64 otherwise. A constant range
/// (low == high) clips the clipped image to out_range instead.
/// NaN voxels do not take part in image ranges (numpy would give NaN everywhere).
/// @throw ValueError if out_range is `percentiles`, a percentile is outside [0, 100], the
/// in_range's low is above its high ("percentiles out of order: low 99.5 is above high
/// 0.5"; skimage would clip every voxel to one value), or explicit in_range values are not
/// finite. A reversed out_range inverts the image, as in skimage.
Volume rescale_intensity(const Volume& volume,
                         const IntensityRange& in_range = IntensityRange::image(),
                         const IntensityRange& out_range = IntensityRange::dtype(),
                         ChannelMode mode = ChannelMode::joint);

/// skimage.exposure.adjust_gamma: out = ((v / scale) ** gamma) * scale * gain in the
/// input's type, with scale the type's non-negative range (255, 65535, 32767...; 1 for
/// floats). u8 uses skimage's lookup table min(255 * gain * linspace(0,1,256) ** gamma,
/// 255) truncated; other integers are truncated toward zero as numpy's astype.
/// 8/16-bit inputs go through a lookup table.
/// @throw ValueError "gamma must be non-negative, got G" for gamma < 0, and for
/// negative voxels (non-u8): "Image Correction methods work correctly only on images
/// with non-negative values. Use skimage.exposure.rescale_intensity."
Volume adjust_gamma(const Volume& volume, double gamma = 1.0, double gain = 1.0);

/// skimage.exposure.adjust_log: out = log2(1 + v / scale) * scale * gain, or with inv
/// (2 ** (v / scale) - 1) * scale * gain, in the input's type (truncated for integers).
/// @throw ValueError for negative voxels, as adjust_gamma.
Volume adjust_log(const Volume& volume, double gain = 1.0, bool inv = false);

/// skimage.exposure.adjust_sigmoid: out = scale / (1 + exp(gain * (cutoff - v / scale))),
/// or with inv (1 - 1 / (1 + exp(...))) * scale, in the input's type.
/// @throw ValueError for negative voxels, as adjust_gamma.
Volume adjust_sigmoid(const Volume& volume, double cutoff = 0.5, double gain = 10.0,
                      bool inv = false);

/// In-place forms of the point-wise operations above: the result is written into the
/// argument's own buffer when nothing else shares it, its voxels are adjacent along x
/// (not a step() view) and the output pixel type is the input's (always so for the
/// corrections; for rescale_intensity when out_range keeps the type), so peak memory stays
/// at one volume. Otherwise they allocate as the const&
/// forms. Use as `volume = adjust_gamma(std::move(volume), 0.5)`.
Volume rescale_intensity(Volume&& volume, const IntensityRange& in_range = IntensityRange::image(),
                         const IntensityRange& out_range = IntensityRange::dtype(),
                         ChannelMode mode = ChannelMode::joint);

/// rescale_intensity() in place where it can, also giving the levels it used: one entry,
/// or one per channel in per_channel mode on several channels.
Volume rescale_intensity(Volume&& volume, const IntensityRange& in_range,
                         const IntensityRange& out_range, ChannelMode mode,
                         std::vector<RescaleLevels>& levels_used);
Volume adjust_gamma(Volume&& volume, double gamma = 1.0, double gain = 1.0);
Volume adjust_log(Volume&& volume, double gain = 1.0, bool inv = false);
Volume adjust_sigmoid(Volume&& volume, double cutoff = 0.5, double gain = 10.0, bool inv = false);

/// Where histogram() takes its range from.
enum class SourceRange : std::uint8_t {
    /// The data's min and max (skimage's 'image').
    image,
    /// The pixel type's full range (integers: e.g. [-32768, 32767]; floats [-1, 1]).
    dtype,
};

/// How histogram() and histogram_per_channel() bin integer volumes (float volumes take
/// nbins uniform bins either way).
enum class IntegerBins : std::uint8_t {
    /// One bin per integer value between the range's ends, nbins ignored
    /// (skimage.exposure.histogram).
    per_value,
    /// nbins uniform float64 bins over the range, as np.histogram(values, nbins, range)
    /// and matplotlib's hist bin integers: the tutorials' `ax.hist(data.ravel(), 256)`.
    uniform,
};

/// A histogram over all values of a volume (every channel, flattened).
struct Histogram {
    /// Voxels per bin.
    std::vector<std::int64_t> counts;
    /// Bin centres. Integers: one bin per integer value; f32 input: f32 values.
    std::vector<double> bin_centers;
};

/// skimage.exposure.histogram (channel_axis None): integer volumes get one bin per
/// integer between the range's ends (nbins ignored); float volumes np.histogram's
/// nbins uniform bins over [min, max] ('image', widened by 0.5 each side when
/// constant) or [-1, 1] ('dtype'), values outside dropped, the last bin closed.
/// Bin edges are computed as numpy does (f64 linspace cast to the data's float type),
/// so counts match exactly. With IntegerBins::uniform, integer volumes are binned as
/// np.histogram bins them instead: nbins float64 edges over [min, max] (widened as
/// above) or the pixel type's range, e.g. [0, 65535] ('dtype').
/// @throw ValueError if nbins < 1, the volume is empty, or a float range is not finite
/// ("autodetected hist_range of [nan, nan] is not finite").
Histogram histogram(const Volume& volume, int nbins = 256,
                    SourceRange source_range = SourceRange::image,
                    IntegerBins integer_bins = IntegerBins::per_value);

/// np.histogram of the finite values, as matplotlib's `ax.hist(volume.ravel(), nbins)`
/// bins a volume: nbins uniform bins between the finite min and max of all values (every
/// channel together; widened by 0.5 each side when constant), the last bin closed. Unlike
/// histogram(), integers are binned as float64 values, not one bin per integer. NaN,
/// which `hist` drops, and infinities, which make it raise, are left out; `left_out`, if
/// given, receives how many. Reads the volume in place, on all cores, with no copy.
/// @throw ValueError if nbins < 1, the volume is empty, or no value is finite.
Histogram finite_histogram(const Volume& volume, int nbins = 10, std::int64_t* left_out = nullptr);

/// Histograms of each channel over bins shared by all channels.
struct ChannelHistograms {
    /// counts[c][i]: voxels of channel c in bin i.
    std::vector<std::vector<std::int64_t>> counts;
    /// Bin centres, the same for every channel.
    std::vector<double> bin_centers;
};

/// skimage.exposure.histogram with channel_axis=-1: one histogram per channel, over bins
/// computed from all channels together (as histogram() would bin the whole volume), so
/// that channels compare bin by bin. Same rules and errors as histogram().
ChannelHistograms histogram_per_channel(const Volume& volume, int nbins = 256,
                                        SourceRange source_range = SourceRange::image,
                                        IntegerBins integer_bins = IntegerBins::per_value);

/// A cumulative distribution function and its bin centres.
struct CumulativeDistribution {
    /// cumsum(counts) / total, rounded to f32 for f32 volumes (as skimage).
    std::vector<double> cdf;
    std::vector<double> bin_centers;
};

/// skimage.exposure.cumulative_distribution: the normalised cumulative histogram().
/// @throw ValueError as histogram().
CumulativeDistribution cumulative_distribution(const Volume& volume, int nbins = 256);

/// skimage.exposure.equalize_hist: every voxel mapped through np.interp against the
/// cumulative_distribution() of the volume (or of the voxels where `mask` is non-zero).
/// Output f32 for f32 input, else f64, in [0, 1]. `mask` has the volume's shape, or its
/// spatial shape with one channel (then it applies to every channel).
/// @throw ValueError if the mask's shape differs or it selects no voxel.
Volume equalize_hist(const Volume& volume, int nbins = 256, const Volume* mask = nullptr);

/// skimage.exposure.match_histograms: maps values so that their cumulative histogram
/// matches the reference's. ChannelMode::joint is skimage's channel_axis=None (all
/// values together; output f32 for f32 input, else f64). ChannelMode::per_channel is
/// channel_axis=-1: each channel against the reference's same channel, and, as in
/// skimage, the result is stored in the input's pixel type (truncated for integers).
/// @throw ValueError "Number of channels in the input image and reference image must
/// match!" in per_channel mode when the channel counts differ.
Volume match_histograms(const Volume& volume, const Volume& reference,
                        ChannelMode mode = ChannelMode::joint);

}  // namespace vox
