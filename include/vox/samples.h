// voxscope: built-in, deterministic sample volumes ("sample:NAME" wherever a path goes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vox/volume.h"

namespace vox {

/// A parsed sample reference: "sample:phantom?size=256&variant=original" gives
/// name "phantom" and parameters {size: 256, variant: original}. The "sample:"
/// prefix is optional here.
struct SampleSpec {
    std::string name;
    std::vector<std::pair<std::string, std::string>> parameters;
};

/// True if `path` starts with "sample:".
bool is_sample_path(std::string_view path);

/// Parses a sample reference. Names and keys are [a-z0-9_]; values are
/// non-empty [A-Za-z0-9_.+-]; at most 16 parameters; each key at most once.
/// Does not check that the name or keys exist (make_sample does).
/// @throw ValueError naming the problem and the text.
SampleSpec parse_sample_spec(std::string_view text);

/// Describes one built-in sample for `voxscope samples` and the docs.
struct SampleInfo {
    std::string name;
    std::string summary;
    /// "key=default: meaning" lines, empty when the sample takes none.
    std::vector<std::string> parameters;
};

/// The built-in samples: cells, kidney, phantom, blobs.
const std::vector<SampleInfo>& sample_catalog();

/// Builds a sample from a reference such as "sample:cells" or "phantom?size=64".
/// Every sample is deterministic: the same reference gives the same bytes for any
/// thread count (with the same compiler and C library; libm rounding may differ
/// elsewhere). metadata()["source"] holds the canonical reference, without the
/// parameters left at their defaults, and ["description"] says what it is.
/// @throw ValueError for an unknown name, key or bad value, listing what is valid.
/// @throw LimitError if the requested size exceeds memory_limit().
Volume make_sample(std::string_view reference);

/// `cells`: 60x256x256, 2 channels (membrane, nuclei), u16, spacing
/// (0.29, 0.26, 0.26) µm, modelled on scikit-image's cells3d: a layer of cells
/// whose membranes are bright shells and whose nuclei are textured ellipsoids,
/// on a dim background with Gaussian noise.
Volume make_cells(std::uint64_t seed = 0);

/// `kidney`: 16x512x512, 3 channels ("nuclei", "tubules", "cytoplasm"), u16 holding
/// 12-bit values, fluorescence-like tissue (tubules, nuclei, a glomerulus), spacing
/// (1.25, 1.24, 1.24) µm as scikit-image documents for its kidney image. The
/// channels' ranges are those of the scikit-image kidney tutorial: (10, 4095),
/// (68, 4095), (35, 4095).
Volume make_kidney(std::uint64_t seed = 0);

/// Which ellipsoid intensities the phantom uses.
enum class PhantomVariant {
    /// Toft's modified Shepp-Logan intensities (1, -0.8, -0.2, 0.1...): visible contrast.
    modified,
    /// Shepp and Logan's original intensities (2, -0.98, -0.02, 0.01...); note that
    /// MATLAB's phantom and phantom3d use 1 for the skull instead of 2.
    original,
};

/// `phantom`: the 3D Shepp-Logan head phantom (the ten ellipsoids of Kak & Slaney,
/// with Toft's contrast by default), size^3 voxels, f32, isotropic spacing of
/// 256 mm / size (a 25.6 cm field of view). Voxel centres sit at -1 + (2i + 1) / size
/// in the phantom's [-1, 1] coordinates with y pointing up (row 0 near +1), so an axial
/// plane looks like the familiar 2D phantom; rotations follow phantom3d's Euler angles.
/// @throw ValueError unless 2 <= size <= 2048.
Volume make_phantom(std::int64_t size = 128, PhantomVariant variant = PhantomVariant::modified);

/// `blobs`: binary blobs in 3D, following skimage.data.binary_blobs: random points
/// smoothed by a Gaussian of sigma = size * blob_size_fraction / 4, thresholded at
/// the (1 - volume_fraction) quantile. u8 with values 0 and 1, spacing 1 µm. The
/// reference keys are `size`, `fraction` and `volume`; generation needs 5 bytes per
/// voxel (an f32 working field beside the result).
/// @throw ValueError for size outside [4, 1024] or fractions outside (0, 1].
Volume make_blobs(std::int64_t size = 128, double blob_size_fraction = 0.1,
                  double volume_fraction = 0.5, std::uint64_t seed = 0);

}  // namespace vox
