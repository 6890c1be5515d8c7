// voxscope: global thresholds, masks, connected-component labelling and region statistics,
// with scikit-image 0.19.3 semantics (skimage.filters.threshold_*, skimage.measure.label,
// skimage.measure.regionprops).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vox/volume.h"

namespace vox {

// ---------------------------------------------------------------------------------------
// Thresholds. Every threshold is computed over ALL values of the volume (every channel),
// as scikit-image does on the flattened array; pass volume.channel(c) for one channel.
// Histograms follow skimage.exposure.histogram(source_range="image"): integer volumes get
// one bin per integer value between the minimum and the maximum (`nbins` is ignored), float
// volumes get `nbins` equal bins over [min, max] computed exactly as numpy.histogram does,
// in the volume's own float precision. Results are returned as double; for float volumes
// they are the value scikit-image returns in the volume's dtype (an f32 bin centre is
// returned exactly).
// ---------------------------------------------------------------------------------------

/// Otsu's threshold (skimage.filters.threshold_otsu): the bin centre that maximises the
/// between-class variance. A constant volume returns its value.
/// @throw ValueError if nbins < 1 ("nbins must be at least 1, got 0"), if the volume is
/// empty, or if a float volume holds NaN or infinity (numpy's "autodetected range" error).
/// @throw LimitError if an integer volume's value range needs a histogram larger than
/// memory_limit() (full-range 32-bit data).
double threshold_otsu(const Volume& volume, int nbins = 256);

/// Yen's threshold (skimage.filters.threshold_yen; Yen, Chang & Chang 1995), computed in
/// f32 as scikit-image does. Errors as threshold_otsu().
double threshold_yen(const Volume& volume, int nbins = 256);

/// The triangle threshold (skimage.filters.threshold_triangle; Zack, Rogers & Latt 1977).
/// A constant volume returns its value (scikit-image fails there on an empty argmax).
/// Errors as threshold_otsu().
double threshold_triangle(const Volume& volume, int nbins = 256);

/// Li's iterative minimum cross entropy threshold (skimage.filters.threshold_li; Li & Tam
/// 1998). NaN values are ignored; a volume without any other value returns NaN, a
/// constant one its value, one with only -inf and inf returns 0; infinities are otherwise
/// left out. Integer volumes iterate on their per-value histogram (as scikit-image), float
/// volumes on the data (in the volume's float precision).
/// @param tolerance stop when the threshold moves less than this; by default (or 0) 0.5
/// for integers and half the smallest gap between distinct values for floats.
/// @param initial_guess starting threshold; by default the mean of the values.
/// @throw ValueError if initial_guess is not strictly inside (min, max), with scikit-image's
/// message ("The initial guess for threshold_li must be within the range of the image.
/// Got 300 for image min 0 and max 255."), or if tolerance < 0.
double threshold_li(const Volume& volume, std::optional<double> tolerance = std::nullopt,
                    std::optional<double> initial_guess = std::nullopt);

/// The mean of all values (skimage.filters.threshold_mean, i.e. np.mean). For integer
/// volumes the sum is exact; for f32 volumes the result is rounded to f32 as numpy's is
/// (numpy sums f32 pairwise in f32: agreement is within ~1e-6 relative, not bit-exact).
/// @throw ValueError if the volume is empty.
double threshold_mean(const Volume& volume);

// ---------------------------------------------------------------------------------------
// Masks.
// ---------------------------------------------------------------------------------------

/// cv2.inRange: a single-channel u8 mask, 255 where low <= value <= high holds for every
/// channel of the voxel (OpenCV ANDs the channels), 0 elsewhere (NaN is never in range).
/// Bounds are compared as doubles: OpenCV rounds fractional bounds to integers first for
/// integer images (documented difference; identical for integer bounds). Spacing, affine
/// and metadata are kept.
/// @throw ValueError if low > high ("low must not be greater than high, got low 5 and
/// high 3") or a bound is NaN.
Volume in_range(const Volume& volume, double low, double high);

/// `volume > level` as a u8 mask of 0 and 1, same shape and channels (scikit-image gives a
/// bool array; voxscope has no bool type and uses u8 0/1). NaN gives 0. Spacing kept.
Volume threshold(const Volume& volume, double level);

// ---------------------------------------------------------------------------------------
// Connected components.
// ---------------------------------------------------------------------------------------

/// Connected-component labelling like skimage.measure.label(mask, background=0,
/// connectivity=k): neighbouring voxels with the same non-zero value join one component
/// (for a 0/1 mask: the foreground components). `connectivity` is 6 (faces, skimage's 1),
/// 18 (faces and edges, 2) or 26 (faces, edges and corners, 3, skimage's default).
/// Components are numbered 1, 2, ... in raster (z, y, x) order of their first voxel, as
/// scikit-image numbers them; background is 0.
///
/// Returns i32 (scikit-image returns int64; voxscope has no 64-bit integer type) with the
/// input's spacing, affine and metadata. Run-based: runs of one value along x are united
/// per slab of planes in parallel, then merged across slab boundaries (He, Chao & Suzuki,
/// IEEE TIP 2008); the result does not depend on the thread count. Needs the mask as given
/// plus 4 bytes per voxel and 4 bytes per run (8 beyond 2^31 runs).
/// @throw ValueError if connectivity is not 6, 18 or 26 ("connectivity must be 6, 18 or
/// 26, got 4") or the volume has more than one channel.
/// @throw TypeError for float volumes ("label needs an integer mask, got f32").
/// @throw LimitError if there are more than 2147483647 components.
Volume label(const Volume& mask, int connectivity = 26);

/// label(), also giving the number of components (its largest label), counted as the labels
/// are numbered.
Volume label(const Volume& mask, int connectivity, std::int64_t& component_count);

/// Measurements of one labelled region, as skimage.measure.regionprops gives them.
struct RegionStats {
    /// The label value (>= 1).
    std::int32_t label = 0;
    /// Number of voxels (regionprops `area`).
    std::int64_t voxel_count = 0;
    /// voxel_count times the product of the spacing, in LabelStatistics::volume_unit.
    double volume = 0.0;
    /// Mean voxel index (z, y, x) of the region (regionprops `centroid`).
    std::array<double, 3> centroid{0.0, 0.0, 0.0};
    /// centroid times spacing (z, y, x), in the spacing's unit (voxel index 0 at 0).
    std::array<double, 3> centroid_physical{0.0, 0.0, 0.0};
    /// Bounding box, half open (regionprops `bbox`: min_z, min_y, min_x, max_z, max_y,
    /// max_x with the max exclusive).
    Box bbox;
    /// Mean intensity per intensity channel (regionprops `intensity_mean`); empty when no
    /// intensity volume was given.
    std::vector<double> mean_intensity;
};

/// The regions of a label volume, sorted by label, with the units of their measures.
struct LabelStatistics {
    std::vector<RegionStats> regions;
    /// Unit of RegionStats::volume: the spacing unit cubed ("µm³"), or "voxel³" when the
    /// spacing has no unit.
    std::string volume_unit;
    /// Copied from the labels' spacing: false means volumes and physical centroids are in
    /// voxels (spacing ones).
    bool spacing_known = false;
};

/// Per-label statistics like skimage.measure.regionprops(labels, intensity): every label
/// > 0 present in `labels` (regions absent from the volume are not listed; negative values
/// are ignored as background). `labels` may be any integer type (label() gives i32);
/// `intensity`, if given, must have the same z, y, x shape (any type, any channel count).
/// Integer sums are exact, so counts, centroids and integer mean intensities equal
/// scikit-image's exactly.
/// @throw ValueError if labels has several channels or the shapes differ.
/// @throw TypeError for float labels ("label_statistics needs integer labels, got f32").
LabelStatistics label_statistics(const Volume& labels,
                                 const std::optional<Volume>& intensity = std::nullopt);

}  // namespace vox
