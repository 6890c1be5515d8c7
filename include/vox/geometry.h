// voxscope: geometric operations (resize, rescale, resampling, crop, flip, permute, pad,
// block means) with scikit-image 0.19.3 / scipy.ndimage semantics.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "vox/volume.h"

namespace vox {

/// How resize() extends the volume past its border, with scikit-image's (numpy.pad) names.
/// skimage translates them to scipy.ndimage modes: reflect -> 'mirror', symmetric ->
/// 'reflect', edge -> 'nearest', constant -> 'grid-constant' (cval 0).
enum class ResizeMode {
    /// d c b | a b c d | c b a: mirrored about the edge voxel (skimage's default).
    reflect,
    /// c b a | a b c d | d c b: mirrored about the edge, the edge voxel repeated.
    symmetric,
    /// a a a | a b c d | d d d.
    edge,
    /// 0 0 0 | a b c d | 0 0 0.
    constant,
};

/// Parses "reflect", "symmetric", "edge" or "constant". @throw ValueError otherwise.
ResizeMode parse_resize_mode(std::string_view text);

/// Options of resize() and rescale(); the defaults are scikit-image's.
struct ResizeOptions {
    /// Spline order: 0 (nearest), 1 (linear) or 3 (cubic B-spline with scipy's prefilter).
    int order = 1;
    /// Border handling for the anti-aliasing filter and the interpolation.
    ResizeMode mode = ResizeMode::reflect;
    /// Gaussian smoothing before downsampling, sigma = max(0, (factor - 1) / 2) per axis.
    /// Unset means skimage's default: on when any axis shrinks.
    std::optional<bool> anti_aliasing;
    /// Clip the result to the input's value range (after conversion), as skimage's clip.
    bool clip = true;
    /// Keep the values as they are (cast to float) instead of img_as_float scaling.
    bool preserve_range = false;
};

/// skimage.transform.resize: interpolates every channel to `shape_zyx` voxels.
///
/// As skimage 0.19.3 (scipy.ndimage.zoom with grid_mode=True): output voxel k samples
/// input coordinate (k + 0.5) * in / out - 0.5. For order > 0 the input is converted with
/// img_as_float (or cast to float with preserve_range), so the output is f64, or f32 for
/// f32 input; order 0 keeps the input's pixel type. Spacing becomes spacing * in / out;
/// the affine is updated so that voxel centres keep their world positions. Channels are
/// interpolated independently (the channel count is kept).
/// @throw ValueError if an output extent is < 1 ("output shape must be positive, got
/// 0x50x50") or the order is not 0, 1 or 3. Order 3 with edge or constant pads 12 voxels
/// before the spline prefilter, as scipy.ndimage.zoom does for modes nearest/grid-constant.
Volume resize(const Volume& volume, const std::array<std::int64_t, 3>& shape_zyx,
              const ResizeOptions& options = {});

/// skimage.transform.rescale: resize() to max(1, round(factor * extent)) per axis (numpy's
/// round half to even), factors in (z, y, x) order.
/// @throw ValueError if a factor is not > 0 (or not finite), and as resize().
Volume rescale(const Volume& volume, const std::array<double, 3>& factors_zyx,
               const ResizeOptions& options = {});

/// Resamples to isotropic voxels at the smallest spacing: rescale() by spacing / smallest
/// on each axis, with the given order (anti-aliasing off: no axis shrinks). The new
/// spacing is that of the resulting grid, spacing * in / out, which equals the smallest
/// spacing up to the rounding of the extents. Output type as resize().
/// @throw ValueError for a bad order, as resize().
Volume resample_isotropic(const Volume& volume, int order = 1);

/// A packed copy of the voxels inside `box` (Volume::crop, then copy()): spacing kept, the
/// affine's origin moved to the box corner.
/// @throw ValueError unless the box is non-empty and inside the volume.
Volume crop(const Volume& volume, const Box& box);

/// Reverses the order of the voxels along `axis` (numpy.flip), as a packed copy. The
/// affine is updated so that every voxel keeps its world position.
Volume flip(const Volume& volume, Axis axis);

/// numpy.transpose of the spatial axes: output axis i is input axis order[i] (0 = z,
/// 1 = y, 2 = x). A packed copy; spacing and affine are permuted to match.
/// @throw ValueError unless order is a permutation of {0, 1, 2}.
Volume permute_axes(const Volume& volume, const std::array<int, 3>& order);

/// How pad() fills the new voxels, with numpy.pad's names.
enum class PadMode {
    /// The constant value.
    constant,
    /// The edge voxel repeated.
    edge,
    /// Mirrored about the edge voxel, the edge not repeated (d c b | a b c d).
    reflect,
};

/// Parses "constant", "edge" or "reflect". @throw ValueError otherwise.
PadMode parse_pad_mode(std::string_view text);

/// numpy.pad over the spatial axes: widths[axis] = {before, after} voxels for z, y, x.
/// The pixel type is kept (`value` is cast to it for PadMode::constant); spacing is kept
/// and the affine's origin moves by -before voxels.
/// @throw ValueError if a width is negative.
Volume pad(const Volume& volume, const std::array<std::array<std::int64_t, 2>, 3>& widths,
           PadMode mode = PadMode::constant, double value = 0.0);

/// skimage.measure.block_reduce(image, factors, np.mean, cval) ==
/// skimage.transform.downscale_local_mean: the mean of each factors_zyx block, the volume
/// padded at the end with `cval` to whole blocks (so the last blocks are averaged with
/// the padding, as in skimage). Output is f64, or f32 for f32 input (numpy's mean keeps
/// float32); extents are ceil(extent / factor); spacing is multiplied by the factors and
/// the affine moved to the block centres.
/// @throw ValueError if a factor is < 1.
Volume block_mean(const Volume& volume, const std::array<std::int64_t, 3>& factors_zyx,
                  double cval = 0.0);

}  // namespace vox
