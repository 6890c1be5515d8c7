// NIfTI-1, NIfTI-2 and Analyze 7.5 (stub: the reader and writer are being written).
#include "../format.h"

namespace vox::io {

const Format& nifti_format() {
    static const Format format{"NIfTI", {".nii.gz", ".nii"}};
    return format;
}

const Format& analyze_format() {
    static const Format format{"Analyze 7.5", {".hdr.gz", ".hdr", ".img.gz", ".img"}};
    return format;
}

}  // namespace vox::io
