// NIfTI-1, NIfTI-2 and Analyze 7.5: the registry entries. The reader is in nifti_read.cpp, the
// header and affine arithmetic in nifti_header.cpp, the writer in nifti_write.cpp.
#include "nifti.h"

namespace vox::io {

const Format& nifti_format() {
    static const Format format{
        "NIfTI", {".nii.gz", ".nii"}, &nifti::sniff_nifti, &nifti::read, &nifti::write};
    return format;
}

const Format& analyze_format() {
    // Recognised by sizeof_hdr alone (Analyze has no magic), so it is sniffed last.
    static const Format format{"Analyze 7.5",
                               {".hdr.gz", ".hdr", ".img.gz", ".img"},
                               &nifti::sniff_analyze,
                               &nifti::read,
                               nullptr};
    return format;
}

}  // namespace vox::io
