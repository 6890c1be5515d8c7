// TIFF, ImageJ hyperstacks, OME-TIFF and folders of slices (stub).
#include <fmt/format.h>

#include "../format.h"

namespace vox::io {

const Format& tiff_format() {
    static const Format format{"TIFF", {".tiff", ".tif"}};
    return format;
}

const Format& ome_tiff_format() {
    static const Format format{"OME-TIFF", {".ome.tiff", ".ome.tif"}};
    return format;
}

Volume read_tiff_slices(const std::vector<std::string>& paths, const ReadOptions&) {
    throw FormatError(
        fmt::format("cannot read '{}': TIFF slices are not supported yet", paths.front()));
}

}  // namespace vox::io
