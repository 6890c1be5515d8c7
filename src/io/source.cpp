#include "source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <random>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include "vox/error.h"
#include "vox/io.h"
#include "vox/parallel.h"

namespace vox::io {

struct Source::Impl {
    std::string name;
    std::string file_path;  // a plain file on disk
    int descriptor = -1;
    std::int64_t size = 0;
    // Bytes held in memory. A zip member's are read on first use (loaded()), so that a read
    // that needs only its start (prefix()) inflates no more.
    mutable std::shared_ptr<std::byte[]> memory;
    std::string zip_member;     // a zip member's path in zip_path (its bytes read on use)
    std::int64_t zip_size = 0;  // the whole member's size (size is less for a prefix)
    mutable std::once_flag zip_read;
    mutable std::atomic<bool> zip_loaded{false};
    std::string directory;      // folder of a plain file, for siblings
    std::string zip_path;       // archive of a zip member
    std::string zip_directory;  // the member's folder inside the archive
    bool has_location = true;   // false for bytes that come from nowhere on disk
    bool prefix = false;        // the bytes stop before the gzip stream or zip member ends

    // Small reads of a file (headers, TIFF IFDs walked one field at a time) are served from a
    // 64 KiB block read once: one pread per block instead of a system call per field.
    static constexpr std::int64_t kCacheBytes = std::int64_t(64) << 10;
    static constexpr std::int64_t kSmallRead = 4096;
    mutable std::mutex cache_mutex;
    mutable std::vector<std::byte> cache;
    mutable std::int64_t cache_offset = -1;

    // The bytes in memory, a zip member's read now if not yet (null for files on disk).
    const std::shared_ptr<std::byte[]>& loaded() const;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
        if (descriptor >= 0) ::close(descriptor);
    }
};

namespace {

constexpr std::string_view kZipSeparator = "::";

std::string folder_of(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash + 1));
}

void check_byte_limit(const std::string& name, std::int64_t bytes, std::string_view what) {
    if (bytes > memory_limit()) {
        throw LimitError(fmt::format("'{}': {} needs {}, over the memory limit of {}", name, what,
                                     format_bytes(bytes), format_bytes(memory_limit())));
    }
}

// The record that reads add their files to, if one is alive (ReadRecord); reads may run on
// worker threads (slices).
std::mutex g_record_mutex;
std::vector<std::string>* g_record = nullptr;

void record_read(const std::string& path) {
    const std::lock_guard lock(g_record_mutex);
    if (g_record != nullptr) g_record->push_back(path);
}

std::shared_ptr<Source::Impl> open_file(const std::string& path, const std::string& name) {
    record_read(path);
    auto impl = std::make_shared<Source::Impl>();
    impl->name = name;
    impl->file_path = path;
    impl->directory = folder_of(path);
    impl->descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (impl->descriptor < 0) {
        throw IoError(fmt::format("cannot open '{}': {}", name, std::strerror(errno)));
    }
    struct stat info {};
    if (::fstat(impl->descriptor, &info) != 0) {
        throw IoError(fmt::format("cannot read '{}': {}", name, std::strerror(errno)));
    }
    if (S_ISDIR(info.st_mode)) throw IoError(fmt::format("cannot read '{}': it is a folder", name));
    impl->size = std::int64_t(info.st_size);
    return impl;
}

// pread until `bytes` bytes are in, or throw naming the file.
void read_fully(int descriptor, const std::string& name, std::int64_t offset, std::byte* target,
                std::int64_t bytes) {
    std::int64_t done = 0;
    while (done < bytes) {
        const ssize_t got =
            ::pread(descriptor, target + done, std::size_t(bytes - done), off_t(offset + done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            throw IoError(fmt::format("cannot read '{}': {}", name,
                                      got < 0 ? std::strerror(errno) : "unexpected end of file"));
        }
        done += got;
    }
}

struct ZipCloser {
    void operator()(zip_t* archive) const { zip_discard(archive); }
};

std::unique_ptr<zip_t, ZipCloser> open_archive(const std::string& archive_path) {
    int error_code = 0;
    std::unique_ptr<zip_t, ZipCloser> archive(
        zip_open(archive_path.c_str(), ZIP_RDONLY, &error_code));
    if (!archive) {
        zip_error_t error;
        zip_error_init_with_code(&error, error_code);
        const std::string reason = zip_error_strerror(&error);
        zip_error_fini(&error);
        throw IoError(fmt::format("cannot open zip archive '{}': {}", archive_path, reason));
    }
    return archive;
}

// The files in an open archive, in archive order. Folders, and nameless entries that
// "archive.zip::" could not open, are left out.
std::vector<std::string> member_names(zip_t* archive) {
    std::vector<std::string> members;
    const zip_int64_t count = zip_get_num_entries(archive, 0);
    for (zip_int64_t i = 0; i < count; ++i) {
        const char* name = zip_get_name(archive, zip_uint64_t(i), 0);
        if (name != nullptr && *name != '\0' && !std::string_view(name).ends_with("/"))
            members.emplace_back(name);
    }
    return members;
}

bool same_ignoring_case(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

// The member meant by a name the archive does not hold: the same name in another case
// (archives made on Windows), else the same file name in another folder, else a near
// misspelling. "did you mean 'MRI/T1.hdr'? " or "".
std::string nearest_member(const std::string& member, const std::vector<std::string>& members) {
    for (const std::string& name : members) {
        if (same_ignoring_case(name, member)) return fmt::format("did you mean '{}'? ", name);
    }
    for (const std::string& name : members) {
        if (file_name_of(name) == file_name_of(member))  // both in lower case
            return fmt::format("did you mean '{}'? ", name);
    }
    return did_you_mean(member, members);
}

// "no such file in the archive (did you mean 'MRI/T1.hdr'? it holds 'MRI/T1.hdr', ...)".
std::string missing_member(zip_t* archive, const std::string& member) {
    const std::vector<std::string> members = member_names(archive);
    if (members.empty()) return "no such file in the archive, which holds no files";
    constexpr std::size_t kShown = 5;
    std::vector<std::string> shown;
    for (std::size_t i = 0; i < std::min(members.size(), kShown); ++i)
        shown.push_back("'" + members[i] + "'");
    const std::string more =
        members.size() > kShown ? fmt::format(" and {} more", members.size() - kShown) : "";
    return fmt::format("no such file in the archive ({}it holds {}{})",
                       nearest_member(member, members), fmt::join(shown, ", "), more);
}

// A member of a zip archive, found in its directory; its bytes are read on first use.
std::shared_ptr<Source::Impl> open_zip_member(const std::string& archive_path,
                                              const std::string& member) {
    const std::string name = archive_path + std::string(kZipSeparator) + member;
    // An empty name would also mark the source as a plain file (zip_member is empty).
    if (member.empty()) {
        throw IoError(
            fmt::format("cannot open '{}': name a file inside the archive after '::'", name));
    }
    record_read(archive_path);
    const std::unique_ptr<zip_t, ZipCloser> archive = open_archive(archive_path);
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat(archive.get(), member.c_str(), 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE)) {
        throw IoError(
            fmt::format("cannot open '{}': {}", name, missing_member(archive.get(), member)));
    }
    if (stat.size > std::uint64_t(INT64_MAX))
        throw LimitError(fmt::format("'{}': member too large", name));
    auto impl = std::make_shared<Source::Impl>();
    impl->name = name;
    impl->size = std::int64_t(stat.size);
    impl->zip_path = archive_path;
    impl->zip_directory = folder_of(member);
    impl->zip_member = member;
    impl->zip_size = impl->size;
    return impl;
}

// Inflates the first `bytes` bytes of a zip member into `target`. When they are all of it,
// reads on to the member's end, where libzip checks its CRC.
void read_zip_member(const Source::Impl& impl, std::byte* target, std::int64_t bytes,
                     std::int64_t member_size) {
    const std::unique_ptr<zip_t, ZipCloser> archive = open_archive(impl.zip_path);
    zip_file_t* file = zip_fopen(archive.get(), impl.zip_member.c_str(), 0);
    if (file == nullptr) {
        throw FormatError(fmt::format("'{}': {}", impl.name, zip_strerror(archive.get())));
    }
    zip_int64_t got = zip_fread(file, target, zip_uint64_t(bytes));
    std::string problem = got < 0 ? zip_file_strerror(file) : "";
    if (got == bytes && bytes == member_size) {
        std::byte past_end{};
        const zip_int64_t more = zip_fread(file, &past_end, 1);
        if (more != 0)
            problem = more < 0 ? zip_file_strerror(file) : "longer than the archive says";
    }
    const bool closed = zip_fclose(file) == 0;
    if (!problem.empty()) {
        throw FormatError(fmt::format("'{}': corrupt archive member: {}", impl.name, problem));
    }
    if (got != bytes || !closed) {
        throw FormatError(fmt::format("'{}': corrupt or truncated archive member", impl.name));
    }
}

}  // namespace

const std::shared_ptr<std::byte[]>& Source::Impl::loaded() const {
    if (!zip_member.empty()) {
        std::call_once(zip_read, [this] {
            check_byte_limit(name, size, "the archive member");
            std::shared_ptr<std::byte[]> bytes = allocate_buffer(size);
            read_zip_member(*this, bytes.get(), size, zip_size);
            memory = std::move(bytes);
            zip_loaded = true;
        });
    }
    return memory;
}

}  // namespace vox::io

namespace vox {

ReadRecord::ReadRecord() {
    const std::lock_guard lock(io::g_record_mutex);
    m_outer = io::g_record;
    io::g_record = &m_files;
}

ReadRecord::~ReadRecord() {
    const std::lock_guard lock(io::g_record_mutex);
    io::g_record = m_outer;
    if (m_outer != nullptr) m_outer->insert(m_outer->end(), m_files.begin(), m_files.end());
}

std::vector<std::string> ReadRecord::files() const {
    const std::lock_guard lock(io::g_record_mutex);
    return m_files;
}

}  // namespace vox

namespace vox::io {

Source Source::open(std::string_view path) {
    const std::size_t separator = path.find(kZipSeparator);
    Source source;
    if (separator != std::string_view::npos) {
        source.m_impl = open_zip_member(std::string(path.substr(0, separator)),
                                        std::string(path.substr(separator + kZipSeparator.size())));
    } else {
        source.m_impl = open_file(std::string(path), std::string(path));
    }
    return source;
}

Source Source::from_memory(std::string name, std::vector<std::byte> bytes,
                           const Source* directory) {
    auto impl = std::make_shared<Impl>();
    impl->name = std::move(name);
    impl->size = std::int64_t(bytes.size());
    impl->memory = allocate_buffer(impl->size);
    std::copy(bytes.begin(), bytes.end(), impl->memory.get());
    impl->has_location =
        directory != nullptr && directory->m_impl && directory->m_impl->has_location;
    if (impl->has_location) {
        impl->directory = directory->m_impl->directory;
        impl->zip_path = directory->m_impl->zip_path;
        impl->zip_directory = directory->m_impl->zip_directory;
    }
    Source source;
    source.m_impl = std::move(impl);
    return source;
}

const std::string& Source::name() const {
    return m_impl->name;
}
std::int64_t Source::size() const {
    return m_impl->size;
}
const std::string& Source::file_path() const {
    return m_impl->file_path;
}

std::span<const std::byte> Source::memory() const {
    const std::shared_ptr<std::byte[]>& memory = m_impl->loaded();
    if (!memory) return {};
    return {memory.get(), std::size_t(m_impl->size)};
}

bool Source::is_prefix() const {
    return m_impl->prefix;
}

std::shared_ptr<std::byte[]> Source::shared_memory() const {
    return m_impl->loaded();
}

Source Source::prefix(std::int64_t bytes) const {
    if (m_impl->zip_member.empty() || bytes < 0 || bytes >= m_impl->size) return *this;
    auto impl = std::make_shared<Impl>();
    impl->name = m_impl->name;
    impl->size = bytes;
    impl->prefix = true;
    impl->zip_path = m_impl->zip_path;
    impl->zip_directory = m_impl->zip_directory;
    impl->zip_member = m_impl->zip_member;
    impl->zip_size = m_impl->zip_size;
    Source source;
    source.m_impl = std::move(impl);
    return source;
}

void Source::read(std::int64_t offset, void* destination, std::int64_t bytes) const {
    if (offset < 0 || bytes < 0 || offset > m_impl->size || bytes > m_impl->size - offset) {
        throw FormatError(
            fmt::format("'{}': truncated: needs {} bytes at offset {}, the file has {}",
                        m_impl->name, bytes, offset, m_impl->size));
    }
    if (bytes == 0) return;  // nothing to copy, and memcpy must not see a null pointer
    if (const std::shared_ptr<std::byte[]>& memory = m_impl->loaded()) {
        std::memcpy(destination, memory.get() + offset, std::size_t(bytes));
        return;
    }
    if (bytes <= Impl::kSmallRead) {
        const std::lock_guard lock(m_impl->cache_mutex);
        const std::int64_t cached = std::int64_t(m_impl->cache.size());
        if (m_impl->cache_offset < 0 || offset < m_impl->cache_offset ||
            offset + bytes > m_impl->cache_offset + cached) {
            const std::int64_t block = std::min(Impl::kCacheBytes, m_impl->size - offset);
            m_impl->cache.resize(std::size_t(block));
            m_impl->cache_offset = -1;
            read_fully(m_impl->descriptor, m_impl->name, offset, m_impl->cache.data(), block);
            m_impl->cache_offset = offset;
        }
        std::memcpy(destination, m_impl->cache.data() + (offset - m_impl->cache_offset),
                    std::size_t(bytes));
        return;
    }
    // Large reads are split so that several cores copy from the page cache at once.
    constexpr std::int64_t kChunk = std::int64_t(8) << 20;
    auto* target = static_cast<std::byte*>(destination);
    parallel_for(0, (bytes + kChunk - 1) / kChunk, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t chunk = begin; chunk < end; ++chunk) {
            const std::int64_t first = chunk * kChunk;
            const std::int64_t last = std::min(bytes, first + kChunk);
            read_fully(m_impl->descriptor, m_impl->name, offset + first, target + first,
                       last - first);
        }
    });
}

std::vector<std::byte> Source::head(std::int64_t bytes) const {
    std::vector<std::byte> result(std::size_t(std::clamp<std::int64_t>(bytes, 0, m_impl->size)));
    const auto count = std::int64_t(result.size());
    if (!m_impl->zip_member.empty() && !m_impl->zip_loaded && count < m_impl->size) {
        // Recognising a zip member inflates only its start.
        read_zip_member(*m_impl, result.data(), count, m_impl->zip_size);
        return result;
    }
    read(0, result.data(), count);
    return result;
}

std::vector<std::byte> Source::read_all() const {
    check_byte_limit(m_impl->name, m_impl->size, "reading the file");
    return head(m_impl->size);
}

Source Source::sibling(std::string_view file_name) const {
    // In-memory bytes with no folder (tests, fuzzers) must not reach files on disk.
    if (!m_impl->has_location) {
        throw IoError(fmt::format("cannot open '{}' next to '{}': it is not a file on disk",
                                  file_name, m_impl->name));
    }
    Source source;
    if (!m_impl->zip_path.empty()) {
        source.m_impl =
            open_zip_member(m_impl->zip_path, m_impl->zip_directory + std::string(file_name));
    } else {
        const std::string path = m_impl->directory + std::string(file_name);
        source.m_impl = open_file(path, path);
    }
    return source;
}

bool Source::has_sibling(std::string_view file_name) const {
    if (!m_impl->has_location) return false;
    if (!m_impl->zip_path.empty()) {
        int error_code = 0;
        std::unique_ptr<zip_t, ZipCloser> archive(
            zip_open(m_impl->zip_path.c_str(), ZIP_RDONLY, &error_code));
        if (!archive) return false;
        const std::string member = m_impl->zip_directory + std::string(file_name);
        return zip_name_locate(archive.get(), member.c_str(), 0) >= 0;
    }
    struct stat info {};
    const std::string path = m_impl->directory + std::string(file_name);
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::vector<std::string> zip_members(const std::string& archive_path) {
    return member_names(open_archive(archive_path).get());
}

bool is_gzip(std::span<const std::byte> head) {
    return head.size() >= 2 && head[0] == std::byte{0x1f} && head[1] == std::byte{0x8b};
}

namespace {

// Our gzip members carry their own size in an extra field (subfield 'VX', 8 bytes little-
// endian: the whole member's size), so that a reader finds every member without inflating
// the ones before and can inflate them all at once. Other readers skip extra fields.
constexpr std::size_t kSizedHeaderBytes = 10 + 2 + 4 + 8;
constexpr std::uint8_t kFlagExtra = 4;

void put_le(std::byte* out, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out[i] = std::byte((value >> (8 * i)) & 0xff);
}

std::uint64_t get_le(const std::byte* in, int bytes) {
    std::uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i)
        value = (value << 8) | std::to_integer<std::uint64_t>(in[i]);
    return value;
}

// Address space for decompressed bytes whose count is known only at the end. Pages cost
// memory only once written, so reserving up to the memory limit is free until used, and
// nothing is copied as the data grow.
class Reservation {
public:
    explicit Reservation(std::int64_t bytes) : m_bytes(round_up(std::max<std::int64_t>(bytes, 1))) {
        void* memory = ::mmap(nullptr, m_bytes, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (memory == MAP_FAILED) {
            throw LimitError(fmt::format("out of address space reserving {} for decompression",
                                         format_bytes(bytes)));
        }
        m_memory = static_cast<std::byte*>(memory);
        ::madvise(m_memory, m_bytes, MADV_HUGEPAGE);  // a hint: failure is harmless
    }
    ~Reservation() {
        if (m_memory != nullptr) ::munmap(m_memory, m_bytes);
    }
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;

    std::byte* data() const { return m_memory; }

    /// Returns the pages past the first `used` bytes and hands the rest to a shared buffer.
    std::shared_ptr<std::byte[]> release(std::int64_t used) {
        const std::size_t kept = std::min(m_bytes, round_up(std::max<std::int64_t>(used, 1)));
        if (kept < m_bytes) ::munmap(m_memory + kept, m_bytes - kept);
        std::byte* memory = std::exchange(m_memory, nullptr);
        return {memory, [kept](std::byte* pointer) { ::munmap(pointer, kept); }};
    }

private:
    static std::size_t round_up(std::int64_t bytes) {
        const auto page = std::size_t(::sysconf(_SC_PAGESIZE));
        return (std::size_t(bytes) + page - 1) / page * page;
    }

    std::size_t m_bytes = 0;
    std::byte* m_memory = nullptr;
};

// `bytes` bytes at `offset`: a view of the memory of an in-memory source, else read into
// `buffer`, so that no reader copies what is in memory already.
std::span<const std::byte> bytes_at(const Source& source, std::int64_t offset, std::int64_t bytes,
                                    std::vector<std::byte>& buffer) {
    const std::span<const std::byte> memory = source.memory();
    if (!memory.empty()) return memory.subspan(std::size_t(offset), std::size_t(bytes));
    buffer.resize(std::size_t(bytes));
    source.read(offset, buffer.data(), bytes);
    return buffer;
}

// Compressed bytes of a source, fed to the inflater a block at a time: straight from memory
// for in-memory sources, else read from the file, so the compressed file is never held whole.
class CompressedInput {
public:
    explicit CompressedInput(const Source& source) : m_source(source) {}

    bool at_end() const { return m_offset == m_source.size(); }

    /// The next block (empty at the end). The first is small: recognising a file needs
    /// only its first kilobyte.
    std::span<const std::byte> next() {
        const std::int64_t wanted = m_offset == 0 ? std::int64_t(64) << 10 : std::int64_t(1) << 20;
        const std::int64_t bytes = std::min(wanted, m_source.size() - m_offset);
        const std::span<const std::byte> block = bytes_at(m_source, m_offset, bytes, m_block);
        m_offset += bytes;
        return block;
    }

private:
    const Source& m_source;
    std::vector<std::byte> m_block;
    std::int64_t m_offset = 0;
};

bool all_zero(std::span<const std::byte> bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

// One member that gzip() wrote: where it is, and where its bytes go.
struct SizedMember {
    std::int64_t offset = 0, bytes = 0, out_offset = 0, out_bytes = 0;
    std::uint32_t crc = 0;
};

// The members of a file that gzip() wrote, found from the sizes in their headers; empty for
// any other gzip file, or when the sizes do not chain to the end of the file.
std::vector<SizedMember> sized_members(const Source& source) {
    static constexpr std::uint8_t kSignature[] = {0x1f, 0x8b, 8, kFlagExtra};
    // Deflate expands at most 1032:1: a larger claim is not one of ours.
    constexpr std::int64_t kMaxRatio = 1032;
    std::vector<SizedMember> members;
    const std::int64_t size = source.size();
    std::int64_t offset = 0, out = 0;
    std::array<std::byte, kSizedHeaderBytes> header{};
    std::array<std::byte, 8> trailer{};
    while (offset < size) {
        if (size - offset < std::int64_t(kSizedHeaderBytes) + 8) return {};
        source.read(offset, header.data(), std::int64_t(header.size()));
        if (std::memcmp(header.data(), kSignature, sizeof(kSignature)) != 0 ||
            get_le(header.data() + 10, 2) != 12 || header[12] != std::byte{'V'} ||
            header[13] != std::byte{'X'} || get_le(header.data() + 14, 2) != 8) {
            return {};
        }
        const std::uint64_t bytes = get_le(header.data() + 16, 8);
        if (bytes < kSizedHeaderBytes + 8 || bytes > std::uint64_t(size - offset)) return {};
        source.read(offset + std::int64_t(bytes) - 8, trailer.data(), 8);
        const auto out_bytes = std::int64_t(get_le(trailer.data() + 4, 4));
        if (out_bytes > std::int64_t(bytes) * kMaxRatio) return {};
        members.push_back({offset, std::int64_t(bytes), out, out_bytes,
                           std::uint32_t(get_le(trailer.data(), 4))});
        offset += std::int64_t(bytes);
        out += out_bytes;
    }
    return members;
}

struct Inflated {
    std::shared_ptr<std::byte[]> memory;
    std::int64_t size = 0;
    bool prefix = false;
};

// Inflates the members of a file gzip() wrote on all cores, up to `max_bytes` (-1: all).
// Nothing when the file is not one, or a member fails: the stream path then names the problem.
std::optional<Inflated> inflate_sized_members(const Source& source, std::int64_t max_bytes,
                                              std::int64_t limit) {
    const std::vector<SizedMember> members = sized_members(source);
    if (members.empty()) return std::nullopt;
    const std::int64_t total = members.back().out_offset + members.back().out_bytes;
    const std::int64_t wanted = max_bytes >= 0 ? std::min(max_bytes, total) : total;
    if (wanted > limit) {
        throw LimitError(fmt::format("'{}': decompressing needs more than the memory limit of {}",
                                     source.name(), format_bytes(limit)));
    }
    const auto needed = std::int64_t(std::partition_point(members.begin(), members.end(),
                                                          [&](const SizedMember& member) {
                                                              return member.out_offset < wanted;
                                                          }) -
                                     members.begin());
    Reservation output(wanted);
    std::atomic<bool> failed{false};
    parallel_for(0, needed, 1, [&](std::int64_t begin, std::int64_t end) {
        std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)>
            decompressor(libdeflate_alloc_decompressor(), &libdeflate_free_decompressor);
        std::vector<std::byte> compressed, partial;
        for (std::int64_t m = begin; m < end && decompressor && !failed; ++m) {
            const SizedMember& member = members[std::size_t(m)];
            const std::int64_t deflated = member.bytes - std::int64_t(kSizedHeaderBytes) - 8;
            const std::int64_t start = member.offset + std::int64_t(kSizedHeaderBytes);
            const std::span<const std::byte> in = bytes_at(source, start, deflated, compressed);
            // The last member needed may run past `wanted`: it goes through a buffer of its own.
            const bool whole = member.out_offset + member.out_bytes <= wanted;
            std::byte* out = output.data() + member.out_offset;
            if (!whole) {
                partial.resize(std::size_t(member.out_bytes));
                out = partial.data();
            }
            std::size_t produced = 0;
            const libdeflate_result result =
                libdeflate_deflate_decompress(decompressor.get(), in.data(), in.size(), out,
                                              std::size_t(member.out_bytes), &produced);
            if (result != LIBDEFLATE_SUCCESS || std::int64_t(produced) != member.out_bytes ||
                libdeflate_crc32(0, out, produced) != member.crc) {
                failed = true;
                break;
            }
            if (!whole) {
                std::memcpy(output.data() + member.out_offset, partial.data(),
                            std::size_t(wanted - member.out_offset));
            }
        }
        if (!decompressor) failed = true;
    });
    if (failed) return std::nullopt;
    return Inflated{output.release(wanted), wanted, wanted < total};
}

}  // namespace

// gunzip(); `lenient` keeps what decompresses before a cut or corrupt point, and does not
// follow the stream past `max_bytes`.
Source inflate(const Source& source, std::int64_t max_bytes, bool lenient) {
    const std::string& name = source.name();
    const std::int64_t limit = std::max<std::int64_t>(memory_limit(), 1);
    if (max_bytes > limit) {
        throw LimitError(fmt::format(
            "'{}': the header describes {} of decompressed data, over the memory limit of {}", name,
            format_bytes(max_bytes), format_bytes(limit)));
    }
    std::optional<Inflated> parallel;
    if (!lenient) parallel = inflate_sized_members(source, max_bytes, limit);
    const auto result = [&](std::shared_ptr<std::byte[]> memory, std::int64_t size, bool prefix) {
        Source decompressed;
        auto impl = std::make_shared<Source::Impl>();
        impl->name = name;
        impl->size = size;
        impl->memory = std::move(memory);
        impl->prefix = prefix;
        impl->directory = source.m_impl->directory;
        impl->zip_path = source.m_impl->zip_path;
        impl->zip_directory = source.m_impl->zip_directory;
        impl->has_location = source.m_impl->has_location;
        decompressed.m_impl = std::move(impl);
        return decompressed;
    };
    if (parallel) return result(std::move(parallel->memory), parallel->size, parallel->prefix);
    // Without a size to stop at, one byte past the limit tells a stream that exceeds the limit
    // from one that fills it exactly.
    const std::int64_t capacity = max_bytes >= 0 ? max_bytes : limit + 1;
    Reservation output(capacity);
    CompressedInput input(source);
    auto state = std::make_unique<inflate_state>();  // 20 KB: not on the stack
    isal_inflate_init(state.get());
    state->crc_flag = ISAL_GZIP;
    const auto feed = [&](std::span<const std::byte> block) {
        state->next_in = reinterpret_cast<std::uint8_t*>(const_cast<std::byte*>(block.data()));
        state->avail_in = std::uint32_t(block.size());
    };
    std::int64_t produced = 0;
    bool ended = false;  // the last member ended: the result is the whole stream
    // Inflates into `room` bytes at `out` and returns how many it wrote.
    const auto inflate_into = [&](std::byte* out, std::int64_t room) -> std::int64_t {
        // The inflater may hold input it has taken but not decoded: it is called with none
        // left until it stops making progress.
        if (state->avail_in == 0 && !input.at_end()) feed(input.next());
        state->next_out = reinterpret_cast<std::uint8_t*>(out);
        state->avail_out = std::uint32_t(std::min<std::int64_t>(room, std::int64_t(1) << 30));
        const std::uint32_t unread = state->avail_in;
        const int status = isal_inflate(state.get());
        const std::int64_t written = reinterpret_cast<std::byte*>(state->next_out) - out;
        if (status == ISAL_INCORRECT_CHECKSUM) {
            throw FormatError(fmt::format("'{}': corrupt gzip data: checksum mismatch", name));
        }
        const bool stuck =
            written == 0 && state->avail_in == unread && state->block_state != ISAL_BLOCK_FINISH;
        if (stuck && unread == 0) {
            throw FormatError(
                fmt::format("'{}': truncated or corrupt gzip data: the stream "
                            "stops after {} decompressed bytes",
                            name, produced));
        }
        if (status != ISAL_DECOMP_OK || stuck) {
            throw FormatError(fmt::format("'{}': corrupt gzip data", name));
        }
        if (state->block_state == ISAL_BLOCK_FINISH) {
            // A member ended. Trailing zero padding is allowed, as gzip allows it; anything
            // else starts the next member (concatenated .gz files give both contents).
            std::span<const std::byte> rest(reinterpret_cast<const std::byte*>(state->next_in),
                                            state->avail_in);
            while (all_zero(rest) && !input.at_end())
                rest = input.next();
            if (all_zero(rest)) {
                ended = true;
            } else {
                isal_inflate_reset(state.get());
                state->crc_flag = ISAL_GZIP;
                feed(rest);
            }
        }
        return written;
    };
    try {
        while (!ended && produced < capacity)
            produced += inflate_into(output.data() + produced, capacity - produced);
    } catch (const FormatError&) {
        if (!lenient) throw;
        ended = true;
    }
    bool longer = false;  // the stream goes on past `max_bytes`
    if (!ended && max_bytes >= 0 && !lenient) {
        // A stream that ends where the read stops is followed to its end, so that its
        // checksum and a cut-off end are checked; a longer one is left there.
        std::vector<std::byte> extra(std::size_t(64) << 10);
        while (!ended && !longer)
            longer = inflate_into(extra.data(), std::int64_t(extra.size())) > 0;
    }
    if (!ended && max_bytes < 0) {
        throw LimitError(fmt::format("'{}': decompressing needs more than the memory limit of {}",
                                     name, format_bytes(limit)));
    }
    return result(output.release(produced), produced, !ended || longer);
}

Source gunzip(const Source& source, std::int64_t max_bytes) {
    return inflate(source, max_bytes, false);
}

std::vector<std::byte> gunzip_head(const Source& source, std::int64_t bytes) {
    return inflate(source, bytes, true).head(bytes);
}

void check_level(const std::string& path, const WriteOptions& options, std::string_view codec,
                 int lowest, int highest) {
    const int level = options.level;
    if (level == -1) return;
    if (codec == "none") {
        throw ValueError(fmt::format(
            "cannot write '{}': compression level {} given, but the data are not compressed", path,
            level));
    }
    if (lowest > highest) {
        throw ValueError(
            fmt::format("cannot write '{}': {} has no levels, got level {}", path, codec, level));
    }
    if (level < lowest || level > highest) {
        throw ValueError(fmt::format("cannot write '{}': {} levels are {} to {}, got {}", path,
                                     codec, lowest, highest, level));
    }
}

std::vector<std::byte> gzip(std::span<const std::byte> bytes, int level) {
    std::unique_ptr<libdeflate_compressor, decltype(&libdeflate_free_compressor)> compressor(
        libdeflate_alloc_compressor(level < 0 ? 6 : std::clamp(level, 0, 12)),
        &libdeflate_free_compressor);
    if (!compressor) throw ValueError(fmt::format("bad gzip level {}", level));
    const std::size_t bound = libdeflate_deflate_compress_bound(compressor.get(), bytes.size());
    std::vector<std::byte> output(kSizedHeaderBytes + bound + 8);
    const std::size_t deflated = libdeflate_deflate_compress(
        compressor.get(), bytes.data(), bytes.size(), output.data() + kSizedHeaderBytes, bound);
    if (deflated == 0) throw IoError("gzip compression failed");
    output.resize(kSizedHeaderBytes + deflated + 8);
    std::byte* header = output.data();
    const std::uint8_t fixed[10] = {0x1f, 0x8b, 8, kFlagExtra, 0, 0, 0, 0, 0, 3};  // 3: Unix
    std::memcpy(header, fixed, sizeof(fixed));
    put_le(header + 10, 12, 2);  // XLEN: one subfield of 4 + 8 bytes
    header[12] = std::byte{'V'};
    header[13] = std::byte{'X'};
    put_le(header + 14, 8, 2);
    put_le(header + 16, output.size(), 8);
    std::byte* trailer = output.data() + output.size() - 8;
    put_le(trailer, libdeflate_crc32(0, bytes.data(), bytes.size()), 4);
    put_le(trailer + 4, bytes.size() & 0xffffffffu, 4);
    return output;
}

void write_gzip_members(AtomicFile& file, std::span<const std::byte> bytes, int level) {
    // 8 MiB pieces: enough work per task, and small enough to inflate on many cores.
    constexpr std::size_t kPiece = std::size_t(8) << 20;
    const std::size_t pieces = std::max<std::size_t>((bytes.size() + kPiece - 1) / kPiece, 1);
    std::vector<std::vector<std::byte>> compressed(pieces);
    parallel_for(0, std::int64_t(pieces), 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t piece = begin; piece < end; ++piece) {
            const std::size_t first = std::size_t(piece) * kPiece;
            compressed[std::size_t(piece)] =
                gzip(bytes.subspan(first, std::min(kPiece, bytes.size() - first)), level);
        }
    });
    for (const auto& piece : compressed)
        file.write(piece);
}

void check_memory(const Source& source, const Shape& shape, PixelType type) {
    std::int64_t bytes = 0;
    try {
        bytes = checked_product(
            {shape.z, shape.y, shape.x, shape.c, std::int64_t(pixel_size(type))}, "volume");
    } catch (const LimitError&) {
        throw LimitError(fmt::format("'{}': header claims {}x{}x{}x{} {}, whose size overflows",
                                     source.name(), shape.z, shape.y, shape.x, shape.c,
                                     pixel_type_name(type)));
    }
    if (bytes > memory_limit()) {
        throw LimitError(
            fmt::format("'{}': a {}x{}x{}x{} {} volume needs {}, over the memory limit of {}",
                        source.name(), shape.z, shape.y, shape.x, shape.c, pixel_type_name(type),
                        format_bytes(bytes), format_bytes(memory_limit())));
    }
}

void check_data_fits(const Source& source, std::int64_t offset, const Shape& shape, PixelType type,
                     std::string_view claim) {
    check_memory(source, shape, type);
    const std::int64_t bytes = shape.values() * std::int64_t(pixel_size(type));
    if (offset < 0 || offset > source.size() || bytes > source.size() - offset) {
        const std::string channels = shape.c > 1 ? fmt::format("x{}", shape.c) : "";
        throw FormatError(fmt::format(
            "'{}': {} {}x{}x{}{} {} ({}) at offset {} but the file has {}", source.name(), claim,
            shape.z, shape.y, shape.x, channels, pixel_type_name(type), format_bytes(bytes), offset,
            format_bytes(source.size())));
    }
}

void swap_bytes(void* data, std::int64_t count, std::size_t element_size) {
    if (element_size == 1) return;
    auto* bytes = static_cast<std::byte*>(data);
    parallel_for(0, count, std::int64_t(1) << 20, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            std::reverse(bytes + i * std::int64_t(element_size),
                         bytes + (i + 1) * std::int64_t(element_size));
        }
    });
}

AtomicFile::AtomicFile(std::string path) : m_path(std::move(path)) {
    std::random_device entropy;
    for (int attempt = 0; attempt < 16 && m_descriptor < 0; ++attempt) {
        m_temporary_path = fmt::format("{}.tmp-{:08x}", m_path, entropy());
        m_descriptor =
            ::open(m_temporary_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (m_descriptor < 0 && errno != EEXIST) break;
    }
    if (m_descriptor < 0) {
        throw IoError(fmt::format("cannot write '{}': {}", m_path, std::strerror(errno)));
    }
}

AtomicFile::~AtomicFile() {
    if (m_descriptor >= 0) ::close(m_descriptor);
    if (!m_committed) ::unlink(m_temporary_path.c_str());
}

void AtomicFile::write(const void* data, std::int64_t bytes) {
    throw_if_interrupted();
    const auto* source = static_cast<const std::byte*>(data);
    while (bytes > 0) {
        const ssize_t written =
            ::write(m_descriptor, source, std::size_t(std::min<std::int64_t>(bytes, 1 << 30)));
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0)
            throw IoError(fmt::format("cannot write '{}': {}", m_path, std::strerror(errno)));
        source += written;
        bytes -= written;
        m_position += written;
    }
}

void AtomicFile::commit() {
    throw_if_interrupted();  // an interrupted write never replaces the target
    // The descriptor is closed whether or not fsync succeeds: it is given up either way, and
    // the destructor then only removes the temporary file.
    const bool synced = ::fsync(m_descriptor) == 0;
    const int sync_error = errno;
    const bool closed = ::close(m_descriptor) == 0;
    const int error = synced ? errno : sync_error;
    m_descriptor = -1;
    if (!synced || !closed) {
        throw IoError(fmt::format("cannot write '{}': {}", m_path, std::strerror(error)));
    }
    if (::rename(m_temporary_path.c_str(), m_path.c_str()) != 0) {
        throw IoError(fmt::format("cannot write '{}': {}", m_path, std::strerror(errno)));
    }
    m_committed = true;
}

std::string file_name_of(std::string_view path) {
    const std::size_t separator = path.rfind(kZipSeparator);
    if (separator != std::string_view::npos) path = path.substr(separator + kZipSeparator.size());
    const std::size_t slash = path.rfind('/');
    if (slash != std::string_view::npos) path = path.substr(slash + 1);
    std::string name(path);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return name;
}

bool has_extension(std::string_view path, std::string_view suffix) {
    return file_name_of(path).ends_with(suffix);
}

}  // namespace vox::io
