// voxscope: pixel type conversions with scikit-image semantics, and explicit casts.
#pragma once

#include "vox/volume.h"

namespace vox {

/// Converts like scikit-image 0.19's `skimage.util.dtype._convert` (the engine of
/// img_as_float, img_as_ubyte, img_as_uint, img_as_int):
/// - unsigned -> float: v * (1 / max), giving [0, 1]; signed -> float: the same,
///   then clipped at -1, giving [-1, 1]. Computed in f64 (f32 for f32 output).
/// - float -> integer: values must lie in [-1, 1]; scaled by the integer range,
///   rounded half to even and clipped. NaN becomes 0.
/// - integer -> integer: bit-depth rescaling (u8 -> u16 multiplies by 257,
///   u16 -> u8 floor-divides by 256); negative values clip to 0 for unsigned
///   outputs. As in scikit-image, a narrowing conversion whose data already fit
///   the target is a plain cast, without scaling.
/// - float -> float: a plain cast.
/// Converting to the volume's own type returns the volume itself (no copy).
///
/// One deliberate difference: scikit-image takes the no-scaling shortcut for
/// signed narrowing when only the maximum fits, so negative values wrap around;
/// voxscope takes it only when the minimum fits too, and scales otherwise.
/// @throw ValueError for float input outside [-1, 1] (inf included) when the
/// target is an integer type: "Images of type float must be between -1 and 1".
Volume convert_like_skimage(const Volume& volume, PixelType target);

/// skimage.img_as_float: f32 and f64 are returned unchanged, integers become f64.
Volume img_as_float(const Volume& volume);
/// skimage.img_as_float32.
Volume img_as_float32(const Volume& volume);
/// skimage.img_as_float64.
Volume img_as_float64(const Volume& volume);
/// skimage.img_as_ubyte (u8).
Volume img_as_ubyte(const Volume& volume);
/// skimage.img_as_uint (u16).
Volume img_as_uint(const Volume& volume);
/// skimage.img_as_int (i16).
Volume img_as_int(const Volume& volume);

/// How astype() maps values that the target type cannot hold.
enum class CastMode {
    /// Keep values, clamping them to the target's range. Floats going to integers
    /// round half to even; NaN becomes 0. Float targets keep inf and NaN.
    clip,
    /// Map the data's own finite [min, max] linearly onto the target's range
    /// (the full integer range, or [0, 1] for floats), then round as `clip`.
    /// A constant volume maps to the bottom of the range.
    rescale,
};

/// Converts to `target` with an explicit policy; metadata and spacing are kept.
/// Casting to the volume's own type with CastMode::clip returns it unchanged.
Volume astype(const Volume& volume, PixelType target, CastMode mode);

/// Parses "clip" or "rescale". @throw ValueError otherwise.
CastMode parse_cast_mode(std::string_view text);

}  // namespace vox
