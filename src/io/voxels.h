// Internal helpers shared by the NRRD, MetaImage and NumPy readers and writers: moving voxels
// between a file's layout (any axis order, interleaved channels, either byte order) and a
// Volume, and the strict number parsing their text headers need.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "source.h"

namespace vox::io {

/// How voxels are laid out in a file. `order` lists the Volume axes (0 = z, 1 = y, 2 = x,
/// 3 = c) from the file's slowest to its fastest; every axis appears once (axes of extent 1
/// may go anywhere). {3, 0, 1, 2} is voxscope's own layout (channel blocks, x fastest);
/// {0, 1, 2, 3} is interleaved channels.
struct VoxelLayout {
    Shape shape;
    PixelType type = PixelType::u8;
    bool big_endian = false;
    std::array<int, 4> order{3, 0, 1, 2};

    /// True when the file's bytes are exactly a Volume's packed buffer (up to byte order).
    bool is_planar() const;
};

/// Fills a freshly allocated volume from the file's element stream, piece by piece (one
/// piece per data file; pieces hold whole rows of the file's fastest axis).
class VoxelSink {
public:
    /// Allocates the volume (check the memory limit first).
    explicit VoxelSink(const VoxelLayout& layout);

    /// Appends `bytes` bytes of file-order elements read from `source` at `offset`.
    void append(const Source& source, std::int64_t offset, std::int64_t bytes);
    /// Appends file-order elements held in memory.
    void append(std::span<const std::byte> bytes);
    /// Bytes of the file stream still expected.
    std::int64_t remaining_bytes() const { return m_total_bytes - m_done_bytes; }
    /// Bytes of one row of the file's fastest axis.
    std::int64_t row_bytes() const { return m_row_bytes; }
    /// The filled volume (call once remaining_bytes() is 0).
    Volume take() { return std::move(m_volume); }

private:
    void scatter(const std::byte* data, std::int64_t first_row, std::int64_t rows);

    VoxelLayout m_layout;
    Volume m_volume;
    std::int64_t m_total_bytes = 0;
    std::int64_t m_done_bytes = 0;
    std::int64_t m_row_bytes = 0;
};

/// Reads the voxels of one file: checks them against the file size and the memory limit,
/// adopts an in-memory buffer when it already has voxscope's layout, else copies (and
/// reorders, byte-swaps) straight into the volume.
/// @throw FormatError, LimitError as check_data_fits().
Volume read_voxels(const Source& source, std::int64_t offset, const VoxelLayout& layout);

/// Parses whitespace-separated numbers (an ASCII-encoded payload) into native elements of
/// `type`, expecting exactly `count` of them.
/// @throw FormatError "'NAME': ..." for a bad number, a value out of range or a wrong count.
std::vector<std::byte> parse_ascii_values(const std::string& name, std::string_view text,
                                          PixelType type, std::int64_t count);

/// The voxels of a volume as the bytes of a file in native byte order: channel blocks
/// (`interleave` false) or channels interleaved per voxel (`interleave` true).
std::vector<std::byte> packed_bytes(const Volume& volume, bool interleave);

/// Writes the voxels of a volume as packed_bytes() would, without building them all at once.
void write_voxels(AtomicFile& file, const Volume& volume, bool interleave);

/// Text helpers for header parsers.
std::string_view trim(std::string_view text);
std::vector<std::string_view> split_words(std::string_view text);
std::string lower(std::string_view text);
/// Strict integer parse of the whole text (an optional '-', no spaces).
bool parse_int(std::string_view text, std::int64_t& value);
/// Strict finite-or-nan double parse of the whole text.
bool parse_double(std::string_view text, double& value);
/// Shortest text that parses back to the same double ("0.5", "1e-05").
std::string format_double(double value);
/// Normalises a length unit as files write it ("um", "micron", "µm" -> "µm"; "mm" -> "mm").
std::string normalize_unit(std::string_view unit);
/// The unit as plain ASCII for file headers ("µm" -> "um").
std::string ascii_unit(std::string_view unit);

/// Expands a sprintf-like data file pattern with one %d conversion ("slice%03d.raw") for
/// index `value`. @throw FormatError "'NAME': bad data file pattern 'P'".
std::string format_file_pattern(const std::string& name, std::string_view pattern,
                                std::int64_t value);

/// True if "min max step" of a data file pattern give 1 to kMaxDataFiles indices, with every
/// number small enough that stepping through them cannot overflow.
bool pattern_range_ok(std::int64_t first, std::int64_t last, std::int64_t step);

/// Largest header voxscope reads (a text header longer than this is rejected).
constexpr std::int64_t kMaxHeaderBytes = std::int64_t(1) << 20;
/// Most data files one detached header may list.
constexpr std::int64_t kMaxDataFiles = 100000;

}  // namespace vox::io
