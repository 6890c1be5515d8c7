// libFuzzer target for the nrrd reader: the bytes are an in-memory file (a detached header's
// data file is looked up next to it and simply not found).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "format.h"
#include "vox/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool limited = (vox::set_memory_limit(std::int64_t(64) << 20), true);
    (void)limited;
    std::vector<std::byte> bytes(size);
    if (size != 0) std::copy_n(reinterpret_cast<const std::byte*>(data), size, bytes.data());
    const vox::io::Format& format = vox::io::nrrd_format();
    format.sniff(bytes);  // must accept any bytes
    try {
        const vox::Volume volume =
            format.read(vox::io::Source::from_memory("fuzz.nrrd", std::move(bytes)), {});
        // What was read must be consistent with its header's claims.
        if (volume.shape().values() <= 0) __builtin_trap();
        if (volume.shape().values() * std::int64_t(vox::pixel_size(volume.pixel_type())) >
            vox::memory_limit()) {
            __builtin_trap();
        }
    } catch (const vox::Error&) {
        // Rejecting bad input with one vox::Error is the expected outcome.
    }
    return 0;
}
