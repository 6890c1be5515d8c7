// libFuzzer target for the OME-XML parser (the first Image's Pixels, Channels, TiffData).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tiff/tiff_internal.h"
#include "vox/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const vox::io::tiff::OmeImage image = vox::io::tiff::parse_ome_xml(text, "fuzz.ome.tif");
        if (image.size_x < 1 || image.size_y < 1 || image.size_z < 1 || image.size_c < 1 ||
            image.size_t < 1) {
            __builtin_trap();
        }
        // Plane indices of the last plane stay within the plane count, when it fits.
        std::int64_t planes = 0;
        if (__builtin_mul_overflow(image.size_z, image.size_c, &planes) ||
            __builtin_mul_overflow(planes, image.size_t, &planes)) {
            return 0;
        }
        const std::int64_t last = vox::io::tiff::ome_plane_index(
            image.dimension_order, image.size_z - 1, image.size_c - 1, image.size_t - 1,
            image.size_z, image.size_c, image.size_t);
        if (last < 0 || last >= planes) __builtin_trap();
        for (const auto& unit : image.physical_unit)
            (void)vox::io::tiff::unit_in_metres(unit);
    } catch (const vox::Error&) {
    }
    return 0;
}
