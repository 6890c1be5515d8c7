// MetaImage (stub).
#include "../format.h"

namespace vox::io {

const Format& metaimage_format() {
    static const Format format{"MetaImage", {".mha", ".mhd"}};
    return format;
}

}  // namespace vox::io
