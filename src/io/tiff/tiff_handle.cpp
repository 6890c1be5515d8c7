// libtiff over a Source: TIFFClientOpenExt with read callbacks, and error handlers that keep
// libtiff's messages for our exceptions instead of printing them.
#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "tiff_internal.h"

namespace vox::io::tiff {

struct Handle::State {
    Source source;
    std::int64_t position = 0;
    std::string first_error;
};

namespace {

// Errors reported without a handle (before TIFFClientOpenExt has one) go to the global
// handler; a per-thread buffer keeps them apart between threads.
thread_local std::string t_global_error;

std::string format_message(const char* module, const char* format, va_list arguments) {
    char buffer[1024];
    std::vsnprintf(buffer, sizeof buffer, format, arguments);
    std::string text = module != nullptr && *module != '\0' ? fmt::format("{}: {}", module, buffer)
                                                            : std::string(buffer);
    return text;
}

void global_error(thandle_t, const char* module, const char* format, va_list arguments) {
    if (t_global_error.empty()) t_global_error = format_message(module, format, arguments);
}

void global_warning(thandle_t, const char*, const char*, va_list) {}

int handle_error(TIFF*, void* user_data, const char* module, const char* format,
                 va_list arguments) {
    auto* state = static_cast<Handle::State*>(user_data);
    if (state->first_error.empty()) state->first_error = format_message(module, format, arguments);
    return 1;  // handled: libtiff does not call the global handler
}

int handle_warning(TIFF*, void*, const char*, const char*, va_list) {
    return 1;  // warnings (unknown tags...) are not worth a message
}

void silence_libtiff_globally() {
    static std::once_flag once;
    std::call_once(once, [] {
        TIFFSetErrorHandler(nullptr);
        TIFFSetWarningHandler(nullptr);
        TIFFSetErrorHandlerExt(global_error);
        TIFFSetWarningHandlerExt(global_warning);
    });
}

tmsize_t read_proc(thandle_t handle, void* buffer, tmsize_t size) {
    auto* state = static_cast<Handle::State*>(handle);
    const std::int64_t available =
        std::max<std::int64_t>(state->source.size() - state->position, 0);
    const std::int64_t bytes = std::min<std::int64_t>(size, available);
    if (bytes <= 0) return 0;
    try {
        state->source.read(state->position, buffer, bytes);
    } catch (const std::exception& error) {
        // Exceptions must not cross libtiff's C frames.
        if (state->first_error.empty()) state->first_error = error.what();
        return -1;
    }
    state->position += bytes;
    return tmsize_t(bytes);
}

tmsize_t write_proc(thandle_t, void*, tmsize_t) {
    return -1;  // read only
}

toff_t seek_proc(thandle_t handle, toff_t offset, int whence) {
    auto* state = static_cast<Handle::State*>(handle);
    std::int64_t base = 0;
    if (whence == SEEK_CUR) base = state->position;
    if (whence == SEEK_END) base = state->source.size();
    // toff_t is unsigned: relative seeks arrive as wrapped values.
    const auto target = std::int64_t(std::uint64_t(base) + offset);
    if (target < 0) return toff_t(-1);
    state->position = target;
    return toff_t(target);
}

int close_proc(thandle_t) {
    return 0;
}

toff_t size_proc(thandle_t handle) {
    return toff_t(static_cast<Handle::State*>(handle)->source.size());
}

int map_proc(thandle_t handle, void** base, toff_t* size) {
    auto* state = static_cast<Handle::State*>(handle);
    const std::span<const std::byte> memory = state->source.memory();
    if (memory.empty()) return 0;  // files are read with pread, not mapped
    *base = const_cast<std::byte*>(memory.data());
    *size = toff_t(memory.size());
    return 1;
}

void unmap_proc(thandle_t, void*, toff_t) {}

}  // namespace

Handle::Handle(const Source& source) : m_state(std::make_unique<State>(State{source, 0, {}})) {
    silence_libtiff_globally();
    t_global_error.clear();
    TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetErrorHandlerExtR(options, handle_error, m_state.get());
    TIFFOpenOptionsSetWarningHandlerExtR(options, handle_warning, m_state.get());
    // libtiff's own buffers (strip offsets, compressed strips) stay under our memory limit.
    TIFFOpenOptionsSetMaxSingleMemAlloc(options, tmsize_t(memory_limit()));
    m_tiff = TIFFClientOpenExt(source.name().c_str(), "r", m_state.get(), read_proc, write_proc,
                               seek_proc, close_proc, size_proc, map_proc, unmap_proc, options);
    TIFFOpenOptionsFree(options);
    if (m_tiff == nullptr) {
        if (m_state->first_error.empty()) m_state->first_error = t_global_error;
        throw FormatError(fmt::format("'{}': {}", source.name(), error()));
    }
}

Handle::~Handle() {
    if (m_tiff != nullptr) TIFFClose(m_tiff);
}

std::string Handle::error() const {
    std::string text = m_state->first_error;
    if (text.empty()) return "unknown libtiff error";
    // libtiff names the module, often just the file name we gave it: drop that.
    const std::string prefix = m_state->source.name() + ": ";
    if (text.starts_with(prefix)) text.erase(0, prefix.size());
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text;
}

bool Handle::has_error() const {
    return !m_state->first_error.empty();
}

void Handle::clear_error() {
    m_state->first_error.clear();
}

namespace {

// Reads `bytes` bytes at `offset` in the file's byte order; false if they are not in the file.
bool read_word(const Source& source, std::uint64_t offset, void* destination, int bytes,
               bool byte_swapped) {
    if (offset > std::uint64_t(source.size()) ||
        std::uint64_t(bytes) > std::uint64_t(source.size()) - offset) {
        return false;
    }
    source.read(std::int64_t(offset), destination, bytes);
    if (byte_swapped) {
        auto* data = static_cast<unsigned char*>(destination);
        std::reverse(data, data + bytes);
    }
    return true;
}

}  // namespace

std::optional<std::uint64_t> ifd_entry_count(const Source& source, std::uint64_t ifd_offset,
                                             bool big_tiff, bool byte_swapped) {
    try {
        if (big_tiff) {
            std::uint64_t count = 0;
            if (read_word(source, ifd_offset, &count, 8, byte_swapped)) return count;
        } else {
            std::uint16_t count = 0;
            if (read_word(source, ifd_offset, &count, 2, byte_swapped)) return count;
        }
    } catch (const Error&) {
    }
    return std::nullopt;
}

std::optional<std::uint64_t> tag_value_offset(const Source& source, std::uint64_t ifd_offset,
                                              bool big_tiff, bool byte_swapped, std::uint16_t tag,
                                              std::uint16_t type) {
    try {
        const std::optional<std::uint64_t> entries =
            ifd_entry_count(source, ifd_offset, big_tiff, byte_swapped);
        if (!entries) return std::nullopt;
        const std::uint64_t count = *entries;
        const std::uint64_t entry_size = big_tiff ? 20 : 12;
        const std::uint64_t first = ifd_offset + (big_tiff ? 8 : 2);
        for (std::uint64_t i = 0; i < count && i < 4096; ++i) {
            const std::uint64_t entry = first + i * entry_size;
            std::uint16_t entry_tag = 0, entry_type = 0;
            if (!read_word(source, entry, &entry_tag, 2, byte_swapped) ||
                !read_word(source, entry + 2, &entry_type, 2, byte_swapped)) {
                return std::nullopt;
            }
            if (entry_tag != tag) continue;
            if (entry_type != type) return std::nullopt;
            if (big_tiff) return entry + 12;  // 8 bytes fit in the entry
            std::uint32_t offset = 0;
            if (!read_word(source, entry + 8, &offset, 4, byte_swapped)) return std::nullopt;
            return offset;
        }
    } catch (const Error&) {
    }
    return std::nullopt;
}

std::string check_ifd(const Source& source, std::uint64_t ifd_offset, bool big_tiff,
                      bool byte_swapped) {
    const std::optional<std::uint64_t> count =
        ifd_entry_count(source, ifd_offset, big_tiff, byte_swapped);
    const std::uint64_t entry_size = big_tiff ? 20 : 12;
    const auto size = std::uint64_t(source.size());
    if (!count || *count > 65535 || ifd_offset + (big_tiff ? 16 : 6) + *count * entry_size > size) {
        return fmt::format("the IFD at offset {} is truncated", ifd_offset);
    }
    // Tags whose values the reader needs (TIFF 6.0 baseline and extensions).
    static constexpr std::uint16_t kNeeded[] = {256, 257, 258, 259, 262, 270, 273, 277, 278, 279,
                                                282, 283, 284, 296, 317, 322, 323, 324, 325, 339};
    const std::uint64_t inline_bytes = big_tiff ? 8 : 4;
    try {
        for (std::uint64_t i = 0; i < *count; ++i) {
            const std::uint64_t entry = ifd_offset + (big_tiff ? 8 : 2) + i * entry_size;
            std::uint16_t tag = 0, type = 0;
            read_word(source, entry, &tag, 2, byte_swapped);
            read_word(source, entry + 2, &type, 2, byte_swapped);
            if (std::find(std::begin(kNeeded), std::end(kNeeded), tag) == std::end(kNeeded))
                continue;
            static constexpr std::uint8_t kTypeSizes[] = {0, 1, 1, 2, 4, 8, 1, 1, 2, 4,
                                                          8, 4, 8, 4, 0, 0, 8, 8, 8};
            if (type >= std::size(kTypeSizes) || kTypeSizes[type] == 0) continue;
            std::uint64_t values = 0, offset = 0;
            if (big_tiff) {
                read_word(source, entry + 4, &values, 8, byte_swapped);
                read_word(source, entry + 12, &offset, 8, byte_swapped);
            } else {
                std::uint32_t values32 = 0, offset32 = 0;
                read_word(source, entry + 4, &values32, 4, byte_swapped);
                read_word(source, entry + 8, &offset32, 4, byte_swapped);
                values = values32;
                offset = offset32;
            }
            if (values > size) return fmt::format("tag {} has {} values", tag, values);
            const std::uint64_t bytes = values * kTypeSizes[type];
            if (bytes > inline_bytes && (offset > size || bytes > size - offset)) {
                return fmt::format("tag {} needs {} bytes at offset {} but the file has {}", tag,
                                   bytes, offset, size);
            }
        }
    } catch (const Error&) {
        return fmt::format("the IFD at offset {} is truncated", ifd_offset);
    }
    return {};
}

std::optional<Rational> read_rational_tag(const Source& source, std::uint64_t ifd_offset,
                                          bool big_tiff, bool byte_swapped, std::uint16_t tag) {
    const std::optional<std::uint64_t> offset =
        tag_value_offset(source, ifd_offset, big_tiff, byte_swapped, tag, TIFF_RATIONAL);
    if (!offset) return std::nullopt;
    Rational value;
    try {
        if (read_word(source, *offset, &value.numerator, 4, byte_swapped) &&
            read_word(source, *offset + 4, &value.denominator, 4, byte_swapped)) {
            return value;
        }
    } catch (const Error&) {
    }
    return std::nullopt;
}

}  // namespace vox::io::tiff
