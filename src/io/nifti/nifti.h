// Internal: NIfTI-1, NIfTI-2 and Analyze 7.5 (SPM2 flavour), shared by the reader, the writer,
// the tests and the fuzz target. Specs: https://nifti.nimh.nih.gov/nifti-1 (nifti1.h),
// https://nifti.nimh.nih.gov/pub/dist/doc/nifti2.h, and the Mayo Analyze 7.5 description.
// Where the specs leave a choice, we do what nibabel 5.0 does (cited per function).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../format.h"

namespace vox::io::nifti {

enum class Kind { nifti1, nifti2, analyze };

/// Header sizes: NIfTI-1 and Analyze 7.5, NIfTI-2.
constexpr int kNifti1Size = 348;
constexpr int kNifti2Size = 540;

/// A parsed header, with nibabel's load-time fixes applied (pixdim[1..3] zero → 1 and
/// negative → absolute value, qfac not ±1 → 1, unknown xform codes → 0).
struct Header {
    Kind kind = Kind::nifti1;
    bool big_endian = false;
    /// n+1 / n+2: the voxels follow the header in the same file; else a .hdr/.img pair.
    bool single_file = false;
    /// dim[0..7] as stored (dim[0] is the number of dimensions).
    std::array<std::int64_t, 8> dim{};
    int datatype = 0;
    /// pixdim[0..7] after the fixes; pixdim[0] is qfac.
    std::array<double, 8> pixdim{};
    /// True when pixdim[1..3] are stored as float32 (NIfTI-1, Analyze); NIfTI-2 uses float64.
    bool float32_fields = true;
    std::int64_t vox_offset = 0;
    double scl_slope = 0.0;
    double scl_inter = 0.0;
    int xyzt_units = 0;
    int intent_code = 0;
    int qform_code = 0;
    int sform_code = 0;
    std::array<double, 3> quatern{};  // b, c, d
    std::array<double, 3> qoffset{};
    std::array<std::array<double, 4>, 3> srow{};
    // Analyze 7.5 / SPM2 fields.
    std::string vox_units;
    std::array<std::int16_t, 3> origin{};
    float cal_max = 0.0f;
    float cal_min = 0.0f;
    std::int32_t glmax = 0;
    std::int32_t glmin = 0;
    std::string description;
};

/// Up to `bytes` first bytes of `source`. Unlike Source::head, safe on an empty source
/// (Source::head passes a null pointer to memcpy there, which UBSan reports).
std::vector<std::byte> head_of(const Source& source, std::int64_t bytes);

/// Size in bytes of the header that `head` starts with (348 for NIfTI-1 and Analyze, 540 for
/// NIfTI-2), read in either byte order; 0 if it is neither.
int header_size(std::span<const std::byte> head);

/// Parses the header at the start of `source`.
/// @throw FormatError naming the source for anything malformed or unsupported.
Header parse_header(const Source& source);

/// The affine nibabel's nib.load gives: sform if sform_code > 0, else qform if qform_code > 0,
/// else the pixdim diagonal centred on the volume with x flipped (get_base_affine); Analyze uses
/// SPM's origin field (Spm99AnalyzeHeader.get_origin_affine). `which` receives "sform",
/// "qform", "base" or "origin". @throw FormatError for an invalid quaternion.
Affine best_affine(const Header& header, const std::string& name, std::string& which);

/// Row of `affine` for `row` (0..3) and column `column`.
inline double& at(Affine& affine, int row, int column) {
    return affine[std::size_t(row * 4 + column)];
}
inline double at(const Affine& affine, int row, int column) {
    return affine[std::size_t(row * 4 + column)];
}

/// nibabel.orientations.io_orientation: for each voxel axis (x, y, z), the world axis it is
/// closest to and the direction (+1/-1). Empty if an axis has no clear world direction.
struct Orientation {
    std::array<int, 3> axis{0, 1, 2};
    std::array<int, 3> flip{1, 1, 1};
    bool identity() const { return axis == std::array{0, 1, 2} && flip == std::array{1, 1, 1}; }
};
std::optional<Orientation> io_orientation(const Affine& affine);

/// Orthogonal polar factor of a 3x3 matrix (row-major), from its singular value decomposition,
/// dropping singular values below max * 3 * eps as numpy's rank test does.
std::array<double, 9> polar_factor(const std::array<double, 9>& matrix);

/// Reads a NIfTI file (single or pair header) or an Analyze header (pair), or the .img of a
/// pair (its header is found next to it).
Volume read(const Source& source, const ReadOptions& options);

/// Reads a header and its separate image file (.hdr/.img pair, both already decompressed).
Volume read_pair(const Source& header, const Source& image, const ReadOptions& options);
/// Format::bytes_needed: the header and the voxel blocks a read takes.
std::int64_t bytes_needed(const Source& head, const ReadOptions& options);

/// Writes NIfTI-1 (.nii or .nii.gz).
void write(const Volume& volume, const std::string& path, const WriteOptions& options);

bool sniff_nifti(std::span<const std::byte> head);
bool sniff_analyze(std::span<const std::byte> head);

}  // namespace vox::io::nifti
