// The second path of label(), exposed so that tests can run it on small volumes.
#pragma once

#include "vox/volume.h"

namespace vox::segmentation_detail {

/// label() with int64 run ids in a union-find table of its own, counted first: the path of
/// volumes above 2^31 voxels, whose ids do not fit in the int32 output that holds the table
/// otherwise.
Volume label_with_own_table(const Volume& mask, int connectivity);

}  // namespace vox::segmentation_detail
