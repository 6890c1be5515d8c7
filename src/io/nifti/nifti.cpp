// NIfTI-1, NIfTI-2 and Analyze 7.5: the registry entries. The reader is in nifti_read.cpp, the
// header and affine arithmetic in nifti_header.cpp, the writer in nifti_write.cpp.
#include "nifti.h"

namespace vox::io {

const Format& nifti_format() {
    static const Format format{.name = "NIfTI",
                               .extensions = {".nii.gz", ".nii"},
                               .sniff = &nifti::sniff_nifti,
                               .read = &nifti::read,
                               .write = &nifti::write,
                               .bytes_needed = &nifti::bytes_needed,
                               .honours_time_point = true,
                               .honours_time_as_channels = true,
                               .honours_canonical = true};
    return format;
}

const Format& analyze_format() {
    // Recognised by sizeof_hdr alone (Analyze has no magic), so it is sniffed last.
    static const Format format{.name = "Analyze 7.5",
                               .extensions = {".hdr.gz", ".hdr", ".img.gz", ".img"},
                               .sniff = &nifti::sniff_analyze,
                               .read = &nifti::read,
                               .bytes_needed = &nifti::bytes_needed,
                               .honours_time_point = true,
                               .honours_time_as_channels = true,
                               .honours_canonical = true};
    return format;
}

}  // namespace vox::io
