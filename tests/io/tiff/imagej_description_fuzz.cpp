// libFuzzer target for the ImageJ ImageDescription parser ("ImageJ=1.53c\nimages=30\n...").
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tiff/tiff_internal.h"
#include "vox/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto description = vox::io::tiff::parse_imagej_description(text, "fuzz.tif");
        if (description) {
            // Counts that parsed are positive and bounded.
            for (std::int64_t count : {description->images, description->channels,
                                       description->slices, description->frames}) {
                if (count < 1 || count > (std::int64_t(1) << 31)) __builtin_trap();
            }
            if (description->spacing && !(*description->spacing > 0)) __builtin_trap();
        }
        (void)vox::io::tiff::normalize_unit(text);
    } catch (const vox::Error&) {
    }
    return 0;
}
