// libFuzzer target for streaming gzip decompression and the readers' bytes_needed hooks, which
// decide how far a gzip file is decompressed. The last byte picks where decompression stops.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "format.h"
#include "source.h"
#include "vox/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool limited = (vox::set_memory_limit(std::int64_t(64) << 20), true);
    (void)limited;
    std::vector<std::byte> bytes(size);
    if (size != 0) std::copy_n(reinterpret_cast<const std::byte*>(data), size, bytes.data());
    const int flags = size == 0 ? 0 : data[size - 1];
    const std::int64_t max_bytes = (flags & 31) == 31 ? -1 : std::int64_t(1) << (flags & 31);
    const vox::io::Source source = vox::io::Source::from_memory("fuzz.gz", bytes);
    try {
        const vox::io::Source inflated = vox::io::gunzip(source, max_bytes);
        // Never more than asked for, and a prefix is exactly what was asked for.
        if (max_bytes >= 0 && inflated.size() > max_bytes) __builtin_trap();
        if (inflated.is_prefix() && inflated.size() != max_bytes) __builtin_trap();
    } catch (const vox::Error&) {
        // Rejecting bad input with a vox::Error is the expected outcome.
    }
    // The hooks see any first bytes: they must not throw, and say -1 or a size.
    vox::ReadOptions options;
    options.time_point = (flags >> 5) & 1;
    options.time_as_channels = (flags & 64) != 0;
    const vox::io::Source head = vox::io::Source::from_memory("fuzz.nii", bytes);
    for (const vox::io::Format* format : vox::io::all_formats()) {
        if (format->bytes_needed == nullptr) continue;
        if (format->bytes_needed(head, options) < -1) __builtin_trap();
    }
    return 0;
}
