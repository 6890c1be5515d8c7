// voxscope: Gaussian and median filters and projections, with scipy / scikit-image parity.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "vox/volume.h"

namespace vox {

/// How gaussian() reads its sigma values.
enum class SigmaUnit {
    /// Sigma in voxels, as scipy.ndimage.gaussian_filter takes it.
    voxels,
    /// Sigma in the volume's spacing unit; divided by the spacing along each axis.
    physical,
};

/// Options of gaussian(); the defaults are those of skimage.filters.gaussian 0.19.3.
struct GaussianOptions {
    /// Unit of the sigma values.
    SigmaUnit unit = SigmaUnit::voxels;
    /// As skimage's preserve_range: integers become f64 without scaling to [0, 1].
    bool preserve_range = false;
    /// The kernel reaches int(truncate * sigma + 0.5) voxels either side (scipy's rule).
    double truncate = 4.0;
};

/// Gaussian smoothing of each channel, like skimage.filters.gaussian(image, sigma,
/// mode='nearest', truncate=4.0, channel_axis=-1) in scikit-image 0.19.3.
///
/// The input goes through img_as_float (integers become f64 in [0, 1] or [-1, 1];
/// f32 and f64 are kept), or a plain cast to f64 with `preserve_range`. Then, as
/// scipy.ndimage.gaussian_filter, one separable 1D correlation per axis in z, y, x
/// order with the normalised kernel exp(-x^2 / (2 sigma^2)), radius
/// int(truncate * sigma + 0.5), edges extended with the nearest voxel ('nearest').
/// Arithmetic is in double; each pass stores in the output type (f32 stays f32, as
/// in scipy). An axis whose sigma is <= 1e-15 is not filtered.
///
/// @param sigma_zyx standard deviation along z, y, x, in `options.unit`.
/// @return a new f32 or f64 volume with the input's shape, spacing and metadata.
/// @throw ValueError "sigma must be >= 0 (got S along AXIS)" for a negative sigma,
/// "truncate must be >= 0 (got T)", and "sigma in physical units needs a known
/// spacing" when `options.unit` is physical and the spacing is unknown.
Volume gaussian(const Volume& volume, const std::array<double, 3>& sigma_zyx,
                const GaussianOptions& options = {});

/// gaussian() with the same sigma along z, y and x.
Volume gaussian(const Volume& volume, double sigma, const GaussianOptions& options = {});

/// Median of each channel over a cube of side 2 * radius + 1 voxels, like
/// scipy.ndimage.median_filter(image, size=2 * radius + 1, mode='nearest') per channel.
///
/// The footprint is scipy's cube, not skimage.filters.median's default (a 3x3x3 cross
/// for 3D images). Works on every pixel type; the output has the input's type, shape,
/// spacing and metadata. With NaN in a window the result is unspecified (as in scipy).
/// Cost grows as (2r+1)^3 per voxel: meant for small radii.
/// @throw ValueError "radius must be >= 0 (got R)".
Volume median(const Volume& volume, std::int64_t radius);

/// What project() computes along the axis.
enum class ProjectMode { max, min, mean, sum, std };

/// Parses "max", "min", "mean", "sum" or "std". @throw ValueError otherwise.
ProjectMode parse_project_mode(std::string_view text);

/// A half-open range [begin, end) of indices along the projection axis.
using Slab = std::pair<std::int64_t, std::int64_t>;

/// Projects each channel along `axis` with numpy semantics (a.max(axis), a.sum(axis),
/// a.std(axis), ddof 0) over all planes or over `slab` [begin, end).
///
/// Output types follow numpy: max and min keep the pixel type (NaN propagates);
/// mean and std give f64 for integers and keep f32 / f64 for floats; sum gives the
/// float type for floats and, for integers, f64 holding the exact sum (numpy gives
/// int64 / uint64, which voxscope has no pixel type for; exact while |sum| < 2^53,
/// i.e. always for extents below 2^21 planes). Float32 sums are accumulated in f32
/// in numpy's order (pairwise along x, sequential along y and z), so they match numpy
/// to the last bit or nearly.
///
/// @return a volume with extent 1 along `axis`; spacing kept, affine moved to the
/// slab's first plane, metadata and channel names kept.
/// @throw ValueError "slab [B, E) along AXIS is empty" when E <= B, and "slab [B, E)
/// along AXIS is outside [0, N)" when it leaves the volume.
Volume project(const Volume& volume, Axis axis, ProjectMode mode,
               std::optional<Slab> slab = std::nullopt);

}  // namespace vox
