// Deterministic block decomposition of a volume for parallel passes and reductions.
//
// A volume is cut into blocks of whole rows of one plane of one channel, about
// kBlockVoxels voxels each. The cut depends only on the shape, never on the
// thread count, so a reduction that combines per-block partials in block order
// gives bit-identical results on any machine and any number of threads.
#pragma once

#include <algorithm>
#include <cstdint>

#include "vox/volume.h"

namespace vox::detail {

// Small enough to stay in L2 between the two passes of a two-pass reduction.
inline constexpr std::int64_t kBlockVoxels = std::int64_t(1) << 16;

struct BlockGrid {
    Shape shape;
    std::int64_t rows_per_block = 1;
    std::int64_t blocks_per_plane = 1;
    std::int64_t count = 0;

    explicit BlockGrid(const Shape& volume_shape) : shape(volume_shape) {
        if (shape.values() == 0) return;
        rows_per_block = std::clamp<std::int64_t>(kBlockVoxels / shape.x, 1, shape.y);
        blocks_per_plane = (shape.y + rows_per_block - 1) / rows_per_block;
        count = blocks_per_plane * shape.z * shape.c;
    }

    std::int64_t channel_of(std::int64_t block) const {
        return block / (blocks_per_plane * shape.z);
    }
};

// Calls run(pointer, length, stride, channel) for the runs of voxels in `block`.
// Rows of a block that follow each other in memory are merged into one run.
template <typename T, typename Run>
void for_each_run(const VolumeView<T>& view, const BlockGrid& grid, std::int64_t block, Run&& run) {
    const std::int64_t channel = grid.channel_of(block);
    const std::int64_t in_channel = block % (grid.blocks_per_plane * grid.shape.z);
    const std::int64_t z = in_channel / grid.blocks_per_plane;
    const std::int64_t y0 = (in_channel % grid.blocks_per_plane) * grid.rows_per_block;
    const std::int64_t y1 = std::min(y0 + grid.rows_per_block, grid.shape.y);
    if (view.rows_contiguous() && view.strides[1] == grid.shape.x) {
        run(view.row(z, y0, channel), (y1 - y0) * grid.shape.x, std::int64_t(1), channel);
        return;
    }
    for (std::int64_t y = y0; y < y1; ++y) {
        run(view.row(z, y, channel), grid.shape.x, view.strides[2], channel);
    }
}

}  // namespace vox::detail
