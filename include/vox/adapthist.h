// voxscope: contrast-limited adaptive histogram equalization (CLAHE) in 3D.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "vox/volume.h"

namespace vox {

/// Size of CLAHE's contextual regions along (z, y, x), in voxels.
using KernelSize = std::array<std::int64_t, 3>;

/// The number of grey levels CLAHE quantises to (skimage's NR_OF_GRAY, 2**14).
inline constexpr std::int64_t kAdapthistGrayLevels = std::int64_t{1} << 14;

/// scikit-image's default kernel size for `volume`: max(extent / 8, 1) along
/// z, y and x (integer division), from the extents of one channel.
KernelSize default_kernel_size(const Volume& volume);

/// Converts a kernel size in physical units (the unit of volume.spacing(), e.g.
/// µm, along z, y, x) to voxels: max(1, round(size / spacing)) per axis, with
/// halves rounded away from zero.
/// @throw ValueError if the volume's spacing is unknown ("kernel_size_physical: the
/// volume's spacing is unknown") or a size is not a positive finite number.
KernelSize kernel_size_physical(const Volume& volume, const std::array<double, 3>& size_zyx);

/// Contrast Limited Adaptive Histogram Equalization (Zuiderveld, Graphics Gems IV,
/// 1994) in 3D, matching skimage.exposure.equalize_adapthist 0.19.3 value for
/// value on each channel:
/// - each channel is converted with img_as_uint (u16), rescaled from its own
///   [min, max] to the 14-bit range [0, 16383] (rounded half to even) and binned
///   into `nbins` grey-level bins of 1 + 16384 / nbins levels;
/// - it is padded by reflection so that every extent is a multiple of the kernel
///   size, preceded by half a kernel; each kernel-sized tile gets a histogram,
///   clipped at max(1, int(clip_limit * voxels per tile)) with the excess
///   redistributed as skimage's clip_histogram does (clip_limit 0: no clipping),
///   and turned into a grey-level mapping by its cumulative sum;
/// - each voxel is interpolated trilinearly between the mappings of the 8
///   neighbouring tiles (accumulated in f32 as skimage does), truncated to an
///   integer, and the channel is finally rescaled from its own [min, max] to [0, 1].
///
/// Channels are equalized independently (skimage would convert a 2D RGB image to
/// HSV and equalize V; voxscope has no such colour path). Works on any pixel type
/// and on strided views. Returns a new contiguous volume of f64 (f32 for f32 input,
/// as skimage) with the input's shape, spacing, affine, channel names and metadata.
///
/// @param kernel_size tile size along (z, y, x) in voxels; default_kernel_size()
///        when empty.
/// @param clip_limit clipping limit in [0, 1], a fraction of the voxels per tile
///        (higher gives more contrast).
/// @param nbins number of grey-level bins of the histograms.
/// @throw ValueError for clip_limit outside [0, 1] or NaN, a kernel size < 1 or
/// nbins < 1 (texts in the docs), and as img_as_uint for float data outside [-1, 1].
Volume equalize_adapthist(const Volume& volume,
                          const std::optional<KernelSize>& kernel_size = std::nullopt,
                          double clip_limit = 0.01, std::int64_t nbins = 256);

/// equalize_adapthist() with the same kernel size along every axis (skimage's
/// integer kernel_size). @throw ValueError as equalize_adapthist().
Volume equalize_adapthist(const Volume& volume, std::int64_t kernel_size, double clip_limit = 0.01,
                          std::int64_t nbins = 256);

}  // namespace vox
