// Internal: the bytes of one input, and the checks every reader makes before it allocates.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vox/io.h"
#include "vox/volume.h"

namespace vox::io {

/// The bytes of one input file: a file on disk (read with pread, never loaded whole
/// unless asked) or a file held in memory (a decompressed .gz, or a zip member, inflated
/// when its bytes are first read; head() inflates only the start).
/// Cheap to copy: copies share the open file or the memory.
class Source {
public:
    /// Opens a path; "archive.zip::inner/path" opens a member of a zip archive.
    /// @throw IoError naming the path if it cannot be opened.
    static Source open(std::string_view path);
    /// Bytes held in memory under a display name (tests, fuzzers, decompressed data).
    /// `directory` is the Source whose siblings it has (may be null).
    static Source from_memory(std::string name, std::vector<std::byte> bytes,
                              const Source* directory = nullptr);

    /// Name for messages: "scan.nii", "mri.zip::brain.hdr".
    const std::string& name() const;
    /// Size in bytes.
    std::int64_t size() const;
    /// Reads exactly `bytes` bytes at `offset` into `destination`.
    /// @throw FormatError "'NAME': truncated: needs N bytes at offset O, the file has S"
    void read(std::int64_t offset, void* destination, std::int64_t bytes) const;
    /// Up to `bytes` bytes from the start (fewer if the file is shorter).
    std::vector<std::byte> head(std::int64_t bytes) const;
    /// The whole content, checked against memory_limit().
    std::vector<std::byte> read_all() const;
    /// The content when it is held in memory (zip members, decompressed data), else empty.
    std::span<const std::byte> memory() const;
    /// The buffer behind memory(), so that a volume can adopt decompressed voxels
    /// without a copy (see Volume::adopt); null for files on disk.
    std::shared_ptr<std::byte[]> shared_memory() const;
    /// True for decompressed bytes that stop where the reader asked (gunzip with max_bytes,
    /// prefix()) before the stream ended: size() is then what was asked for, not the
    /// stream's size.
    bool is_prefix() const;
    /// The first `bytes` bytes of a zip member, whose bytes are inflated on first use: only
    /// they will be, and they are a prefix (is_prefix()). Other sources, and `bytes` < 0 or
    /// not below size(), give the source itself.
    Source prefix(std::int64_t bytes) const;
    /// The path on disk when the source is a plain file, else empty (libraries that open
    /// files by path, such as GDCM, need it).
    const std::string& file_path() const;

    /// The file named `file_name` next to this one: same folder, or same zip archive.
    /// @throw IoError if it does not exist.
    Source sibling(std::string_view file_name) const;
    /// True if sibling(file_name) would succeed.
    bool has_sibling(std::string_view file_name) const;

    struct Impl;

private:
    friend Source inflate(const Source& source, std::int64_t max_bytes, bool lenient);
    std::shared_ptr<const Impl> m_impl;
};

/// True if the bytes start with the gzip magic (1f 8b).
bool is_gzip(std::span<const std::byte> head);

/// Decompresses a gzip source (every member) into memory, streaming the compressed bytes
/// (ISA-L). With `max_bytes` >= 0 it stops once that many bytes are out: readers pass what
/// their header says a read needs, so a small header over a huge stream costs only what it
/// describes (the rest, and its checksum, are not looked at, as in nibabel). Memory grows only
/// as data arrive, and never past memory_limit(). The result keeps the source's name and
/// siblings.
/// @throw FormatError for corrupt or truncated data; LimitError if `max_bytes` or, without
/// it, the whole stream exceeds memory_limit().
Source gunzip(const Source& source, std::int64_t max_bytes = -1);

/// Up to `bytes` first decompressed bytes of a gzip source, to recognise what it holds:
/// fewer where the stream ends, is cut or is corrupt (the read that follows reports that).
std::vector<std::byte> gunzip_head(const Source& source, std::int64_t bytes);

/// Checks WriteOptions::level for a write with `codec` ("none", "deflate", "zstd"...),
/// whose levels run from `lowest` to `highest` (lowest > highest: it has none).
/// @throw ValueError "cannot write 'PATH': ..." for a level the codec does not have.
void check_level(const std::string& path, const WriteOptions& options, std::string_view codec,
                 int lowest = 1, int highest = 0);

/// Gzip-compresses bytes (libdeflate) at `level` (-1: default) into one member whose
/// header records its compressed size (an extra field other readers skip), so that
/// gunzip() can find and inflate such members in parallel.
std::vector<std::byte> gzip(std::span<const std::byte> bytes, int level = -1);

/// @throw LimitError "'NAME': a ZxYxXxC TYPE volume needs SIZE, over the memory limit
/// of LIMIT" before a reader allocates a volume that big (or whose size overflows).
void check_memory(const Source& source, const Shape& shape, PixelType type);

/// @throw FormatError "'NAME': header claims ZxYxX TYPE (SIZE) at offset O but the file
/// has SIZE" unless the voxel data fit in the source. `claim` replaces "header claims"
/// where the layout does not come from a header.
void check_data_fits(const Source& source, std::int64_t offset, const Shape& shape, PixelType type,
                     std::string_view claim = "header claims");

/// The files in a zip archive (folders left out), in archive order.
/// @throw IoError if the archive cannot be opened.
std::vector<std::string> zip_members(const std::string& archive_path);

/// Reverses the bytes of `count` elements of `element_size` bytes, in place, on all cores.
void swap_bytes(void* data, std::int64_t count, std::size_t element_size);

/// True on big-endian machines (voxscope stores volumes in native order).
constexpr bool kHostBigEndian = std::endian::native == std::endian::big;

/// Writes a file atomically: everything goes to a temporary file in the same folder,
/// which commit() flushes and renames over `path`. Without commit() (an exception) the
/// temporary file is removed and `path` is left untouched.
class AtomicFile {
public:
    /// @throw IoError if the temporary file cannot be created.
    explicit AtomicFile(std::string path);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    /// Appends bytes. @throw IoError naming the file on failure (disk full...).
    void write(const void* data, std::int64_t bytes);
    void write(std::span<const std::byte> bytes) {
        write(bytes.data(), std::int64_t(bytes.size()));
    }
    void write(std::string_view text) { write(text.data(), std::int64_t(text.size())); }
    /// Bytes written so far.
    std::int64_t position() const { return m_position; }
    /// The temporary file's path, for libraries that write by path (libtiff).
    const std::string& temporary_path() const { return m_temporary_path; }
    /// Flushes, syncs and renames the temporary file to the final path.
    void commit();

private:
    std::string m_path;
    std::string m_temporary_path;
    int m_descriptor = -1;
    std::int64_t m_position = 0;
    bool m_committed = false;
};

/// Appends `bytes` to `file` gzip-compressed as 8 MiB members (gzip() each), compressed on
/// all cores. gzip, zlib and nibabel read concatenated members as one stream.
void write_gzip_members(AtomicFile& file, std::span<const std::byte> bytes, int level = -1);

/// Lower-cased file name of a path, without folders and without a zip prefix.
std::string file_name_of(std::string_view path);
/// True if the lower-cased file name of `path` ends with `suffix` (".nii.gz").
bool has_extension(std::string_view path, std::string_view suffix);

}  // namespace vox::io
