// NumPy .npy (stub).
#include "../format.h"

namespace vox::io {

const Format& npy_format() {
    static const Format format{"NumPy", {".npy"}};
    return format;
}

}  // namespace vox::io
