// TIFF and OME-TIFF in the registry: sniffing by magic bytes. One reader serves both (the
// OME-XML may sit anywhere in the file); the writers differ (ImageJ hyperstack, OME-TIFF).
#include <cstring>
#include <string_view>

#include "tiff_internal.h"

namespace vox::io {
namespace {

// Classic TIFF "II*\0" / "MM\0*" and BigTIFF "II+\0" / "MM\0+" (TIFF 6.0 section 2; BigTIFF).
bool is_tiff(std::span<const std::byte> head) {
    if (head.size() < 8) return false;
    const char* bytes = reinterpret_cast<const char*>(head.data());
    return std::memcmp(bytes, "II*\0", 4) == 0 || std::memcmp(bytes, "MM\0*", 4) == 0 ||
           std::memcmp(bytes, "II+\0", 4) == 0 || std::memcmp(bytes, "MM\0+", 4) == 0;
}

bool has_ome_xml(std::span<const std::byte> head) {
    const std::string_view text(reinterpret_cast<const char*>(head.data()), head.size());
    return text.find("<OME") != std::string_view::npos;
}

bool sniff_tiff(std::span<const std::byte> head) {
    return is_tiff(head) && !has_ome_xml(head);
}

bool sniff_ome_tiff(std::span<const std::byte> head) {
    return is_tiff(head) && has_ome_xml(head);
}

}  // namespace

const Format& tiff_format() {
    static const Format format{.name = "TIFF",
                               .extensions = {".tiff", ".tif"},
                               .sniff = sniff_tiff,
                               .read = tiff::read_tiff,
                               .write = tiff::write_imagej_tiff,
                               .honours_time_point = true};
    return format;
}

const Format& ome_tiff_format() {
    static const Format format{.name = "OME-TIFF",
                               .extensions = {".ome.tiff", ".ome.tif"},
                               .sniff = sniff_ome_tiff,
                               .read = tiff::read_tiff,
                               .write = tiff::write_ome_tiff,
                               .honours_time_point = true};
    return format;
}

}  // namespace vox::io
