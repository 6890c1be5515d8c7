// DICOM series (stub).
#include <fmt/format.h>

#include "../format.h"

namespace vox::io {

const Format& dicom_format() {
    static const Format format{"DICOM", {".dcm"}};
    return format;
}

Volume read_dicom_series(const std::vector<std::string>& paths, const ReadOptions&) {
    throw FormatError(fmt::format("cannot read '{}': DICOM is not supported yet", paths.front()));
}

}  // namespace vox::io
