// voxscope: reading and writing volumes in the formats scientists have.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vox/volume.h"

namespace vox {

/// How to interpret a raw binary file, which has no header (`--shape/--dtype/...`).
struct RawLayout {
    Shape shape;
    PixelType type = PixelType::u8;
    /// Physical spacing (z, y, x) and its unit; unknown when not given.
    std::optional<std::array<double, 3>> spacing;
    std::string unit = "mm";
    bool big_endian = false;
    /// Bytes to skip before the first voxel.
    std::int64_t offset = 0;
};

/// Choices a reader cannot make alone. A choice the input's reader cannot honour is an
/// error (a time point other than 0 of a NumPy file, canonical for a TIFF), not ignored.
struct ReadOptions {
    /// Time point to read from 4D data (NIfTI, Analyze, NRRD, MetaImage, OME-TIFF, ImageJ
    /// hyperstacks), from 0.
    std::int64_t time_point = 0;
    /// NIfTI/Analyze/NRRD/MetaImage: map the 4th axis (time, or vector components) to
    /// channels instead of reading one time point.
    bool time_as_channels = false;
    /// NIfTI/Analyze: reorient to the closest canonical (RAS+) orientation, as
    /// nibabel's as_closest_canonical does, instead of keeping the file's voxel order.
    bool canonical = false;
    /// Set to read a file as raw binary with this layout, whatever its extension.
    std::optional<RawLayout> raw;
};

/// Opens a volume from a path as users give it:
/// - "sample:NAME[?key=value&...]": a built-in sample (see vox/samples.h);
/// - a file, recognised by its content (magic bytes) first and its extension second;
/// - "archive.zip::inner/path.hdr": a file inside a zip archive, read without
///   extracting it to disk (paired files such as .hdr/.img are found in the archive);
/// - a folder or a glob ("slices/z*.tif") of 2D TIFF slices or DICOM files, sorted
///   naturally (z2 before z10).
///
/// Every reader checks its header against the file size and memory_limit() before it
/// allocates. Axis mapping: a file's x, y, z (fastest first) become Volume x, y, z,
/// so Volume(z, y, x) indexes the file's voxel (x, y, z) as numpy would after a
/// transpose of nibabel's get_fdata().
/// @throw IoError if a file cannot be opened or read, FormatError if it is malformed
/// or unsupported, LimitError if it is too large, ValueError for bad options.
Volume open_volume(std::string_view path, const ReadOptions& options = {});

/// Choices for writers. Writers ignore what does not apply to them.
struct WriteOptions {
    /// Compression: "none", "deflate" (TIFF/NRRD/npz-like zlib), "lzw", "packbits",
    /// "zstd" (TIFF), "gzip" (NRRD, NIfTI). Empty means the format's default: none,
    /// except ".nii.gz" and ".nrrd.gz"-like names that imply gzip.
    std::string compression;
    /// Codec level, or -1 for the codec's default.
    int level = -1;
};

/// Writes a volume, choosing the format from the extension: .tif/.tiff (ImageJ
/// hyperstack), .ome.tif/.ome.tiff (OME-TIFF), .nii, .nii.gz, .nrrd, .nhdr, .npy.
/// The write is atomic: a temporary file next to `path` is renamed over it at the end,
/// so readers never see a half-written file and a failure leaves no file behind.
/// @throw ValueError for an unknown extension or option, IoError if writing fails.
void write_volume(const Volume& volume, std::string_view path, const WriteOptions& options = {});

/// Every file write_volume(volume, path, options) creates or replaces: `path`, and for a
/// detached header (.nhdr, .mhd) its data file next to it ("scan.raw", "scan.raw.gz",
/// "scan.zraw"). Callers check these against their inputs before they write.
/// @throw ValueError as write_volume does for an unknown extension or compression.
std::vector<std::string> files_written(std::string_view path, const WriteOptions& options = {});

/// Records the files that reads open while it is alive, on any thread: headers, detached
/// and paired data files, slices, zip archives. A caller that must never write over its
/// input compares them with files_written(). Records nest: an outer one also receives
/// what an inner one saw.
class ReadRecord {
public:
    ReadRecord();
    ~ReadRecord();
    ReadRecord(const ReadRecord&) = delete;
    ReadRecord& operator=(const ReadRecord&) = delete;

    /// Paths as the reads opened them, in order, with repeats.
    std::vector<std::string> files() const;

private:
    std::vector<std::string> m_files;
    std::vector<std::string>* m_outer = nullptr;
};

/// One supported format, for `voxscope formats` and the docs.
struct FormatInfo {
    std::string name;
    std::vector<std::string> extensions;
    bool can_read = false;
    bool can_write = false;
};

/// Every registered format.
std::vector<FormatInfo> format_catalog();

}  // namespace vox
