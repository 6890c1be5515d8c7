// libFuzzer target: whole files through the TIFF reader (libtiff is third party, but our use
// of it, the page checks and the metadata mapping must not crash on any bytes).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "format.h"
#include "vox/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    vox::set_memory_limit(std::int64_t(64) << 20);
    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    const vox::io::Source source =
        vox::io::Source::from_memory("fuzz.tif", std::vector<std::byte>(bytes, bytes + size));
    try {
        const vox::Volume volume = vox::io::tiff_format().read(source, {});
        if (volume.empty()) __builtin_trap();
        // Touch the first and last value: they must be inside the buffer.
        const vox::Shape& shape = volume.shape();
        (void)volume.value_at(0, 0, 0, 0);
        (void)volume.value_at(shape.z - 1, shape.y - 1, shape.x - 1, shape.c - 1);
    } catch (const vox::Error&) {
        // A clean error is the expected outcome for bad input.
    }
    return 0;
}
