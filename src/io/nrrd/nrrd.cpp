// NRRD (stub).
#include "../format.h"

namespace vox::io {

const Format& nrrd_format() {
    static const Format format{"NRRD", {".nrrd", ".nhdr"}};
    return format;
}

}  // namespace vox::io
