// Internal: the format registry. Each format lives in its own folder (src/io/<format>/)
// and describes itself with one Format value; registry.cpp lists them.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "source.h"
#include "vox/io.h"

namespace vox::io {

/// One file format: how to recognise it, read it and write it.
struct Format {
    /// Display name: "NIfTI", "TIFF".
    std::string_view name;
    /// Lower-case extensions with the dot, longest first where they overlap: ".nii.gz", ".nii".
    std::vector<std::string_view> extensions;
    /// True if the first bytes of a file (up to 1024, fewer for short files) identify the
    /// format. Must not throw and must accept any bytes. Null: recognised by extension only.
    bool (*sniff)(std::span<const std::byte> head) = nullptr;
    /// Reads a volume. Null if the format cannot be read.
    Volume (*read)(const Source& source, const ReadOptions& options) = nullptr;
    /// Writes a volume to `path` (atomically, with AtomicFile). Null if it cannot be written.
    void (*write)(const Volume& volume, const std::string& path,
                  const WriteOptions& options) = nullptr;
    /// The data file a write of `path` creates next to it (a detached header's), or "".
    /// Null: the format writes one file.
    std::string (*data_file)(const std::string& path, const WriteOptions& options) = nullptr;
    /// The bytes from the start of a file that a read with `options` takes, judged from a
    /// Source holding only the file's first bytes (up to 1024), or -1 if they cannot tell.
    /// A gzip file or zip member is inflated only that far, so a small header over a huge
    /// stream costs what the header describes. Must not throw. Null: the whole file is
    /// inflated.
    std::int64_t (*bytes_needed)(const Source& head, const ReadOptions& options) = nullptr;
    /// The ReadOptions the reader honours. read_file() refuses the others (a time point
    /// other than 0, time as channels, canonical) rather than let them pass unnoticed.
    bool honours_time_point = false;
    bool honours_time_as_channels = false;
    bool honours_canonical = false;
};

// One per folder in src/io/.
const Format& nifti_format();
const Format& analyze_format();
const Format& tiff_format();
const Format& ome_tiff_format();
const Format& nrrd_format();
const Format& metaimage_format();
const Format& npy_format();
const Format& dicom_format();

/// Stacks 2D TIFF slices (sorted already) into a volume; RGB slices become channels.
Volume read_tiff_slices(const std::vector<std::string>& paths, const ReadOptions& options);
/// Reads a DICOM series: files sorted by ImagePositionPatient, rescale applied.
Volume read_dicom_series(const std::vector<std::string>& paths, const ReadOptions& options);
/// Reads a raw binary file with an explicit layout.
Volume read_raw(const Source& source, const RawLayout& layout);

/// Every registered format, in sniffing order.
std::span<const Format* const> all_formats();

/// Natural order of names: digit runs compare by value ("z2" < "z10").
bool natural_less(std::string_view a, std::string_view b);

}  // namespace vox::io
