// Helpers shared by the segmentation sources.
#pragma once

#include <algorithm>
#include <cstdint>

#include "blocks.h"
#include "int128.h"
#include "vox/parallel.h"
#include "vox/volume.h"

namespace vox::segmentation_detail {

// Exact sums of integer voxels (u32 values times 2^31 voxels overflow int64).
using detail::Int128;

// Copies what a mask keeps from its source: spacing, affine and metadata.
inline void copy_geometry(const Volume& from, Volume& to) {
    to.set_spacing(from.spacing());
    to.set_affine(from.affine());
    to.metadata() = from.metadata();
}

// Calls fn(part, pointer, length, stride) over every voxel of every channel, the blocks of
// detail::BlockGrid split into `parts` contiguous ranges run in parallel. Each part sees its
// blocks in order, so per-part partials combined in part order are deterministic for a
// given `parts`.
template <typename T, typename Fn>
void for_parts(const VolumeView<const T>& view, std::int64_t parts, Fn&& fn) {
    const detail::BlockGrid grid(view.shape);
    parallel_for(0, parts, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t part = begin; part < end; ++part) {
            const std::int64_t first = grid.count * part / parts;
            const std::int64_t last = grid.count * (part + 1) / parts;
            for (std::int64_t block = first; block < last; ++block) {
                detail::for_each_run(view, grid, block,
                                     [&](const T* data, std::int64_t n, std::int64_t stride,
                                         std::int64_t) { fn(part, data, n, stride); });
            }
        }
    });
}

// Parts for reductions whose partials are exact (integer counts): one per thread.
inline std::int64_t exact_parts(const Shape& shape) {
    const detail::BlockGrid grid(shape);
    return std::max<std::int64_t>(1, std::min<std::int64_t>(thread_count(), grid.count));
}

}  // namespace vox::segmentation_detail
