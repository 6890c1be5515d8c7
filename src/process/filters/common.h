// Helpers shared by the filters sources (internal).
#pragma once

#include "vox/volume.h"

namespace vox::detail {

// Gives `target` the spacing, affine, channel names and metadata of `source`.
inline void copy_volume_metadata(const Volume& source, Volume& target) {
    target.set_spacing(source.spacing());
    target.set_affine(source.affine());
    target.set_channel_names(source.channel_names());
    target.metadata() = source.metadata();
}

}  // namespace vox::detail
