// Shear-warp volume rendering (Lacroute & Levoy, SIGGRAPH 1994) for orthographic cameras:
// the internal interface between VolumeRenderer (raycast.cpp) and the fast path.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "vox/display.h"
#include "vox/volume.h"
#include "vox/volume_render.h"

namespace vox::shear_warp {

/// A premultiplied RGBA pixel, each in [0, 1].
using Pixel = std::array<float, 4>;

/// A lazily built copy of a channel with x as the slowest axis, (x, z, y) order, y
/// contiguous: slices along x then stream like slices along z. Owned by the renderer.
struct XMajorCache {
    std::mutex mutex;
    std::unique_ptr<std::byte[]> bytes;  ///< null until first needed
};

/// One channel as the fast path needs it. Pointers are borrowed from the renderer.
struct Channel {
    const Volume* voxels = nullptr;  ///< one channel, packed (z, y, x)
    const ResolvedChannel* display = nullptr;
    float low = 0.0F;    ///< display mapping: t = clamp((v - low) * scale) ^ gamma
    float scale = 1.0F;  ///< 1 / (high - low)
    float gamma = 1.0F;
    std::array<std::int64_t, 3> bricks{};  ///< brick grid per axis x, y, z (8^3 cells each)
    const float* brick_min = nullptr;
    const float* brick_max = nullptr;
    const std::uint8_t* skippable = nullptr;    ///< dvr: bricks that cannot contribute
    const std::array<float, 4>* lut = nullptr;  ///< dvr: 4096 premultiplied, step-corrected
    XMajorCache* cache = nullptr;               ///< where the x-major copy lives
};

/// What a frame's rays share, in the ray caster's terms (see volume_render.h).
struct Frame {
    std::array<double, 3> right{};
    std::array<double, 3> up{};
    std::array<double, 3> forward{};
    double pixel = 1.0;  ///< world size of a pixel
    std::int64_t width = 0;
    std::int64_t height = 0;
    std::array<double, 3> spacing{};  ///< x, y, z
    std::array<double, 3> centre{};   ///< voxel coordinates of the world origin
    std::array<double, 3> sign{};     ///< -1 where flipped
    std::array<double, 3> low{};      ///< sample box in voxel coordinates (crop)
    std::array<double, 3> high{};
    std::vector<ClipPlane> clips;
    double sample_distance = 1.0;  ///< voxels of the finest spacing (options')
    bool preview = false;
};

/// Whether the fast path implements these options: orthographic, MIP, MinIP, average or
/// unshaded DVR.
bool applies(const RenderOptions& options);

/// The world distance between consecutive samples along every ray (for the DVR opacity
/// correction): the slice spacing over the cosine to the principal axis.
double sample_step(const Frame& frame);

/// Whether the intermediate image stays within about 4 times the screen's pixels: a
/// zoomed-in view would compose mostly unseen slice regions, where rays are cheaper.
bool worthwhile(const Frame& frame);

/// Whether shear-warp is the faster choice for a frame it is worthwhile for: previews, and
/// every mode's frames but MinIP's on a grid coarser than the voxels (pixels over 1.25
/// voxels; the coarse grid's MinIP differs from the rays'). A 512^3 u16 DVR frame at
/// 512 x 512 (1.7 voxels a pixel) is ~74 ms warped against ~175 ms cast on 2 cores; the
/// first frame along x also builds the x-major copy (~130-250 ms). Throws nothing.
bool preferred(const Frame& frame, RenderMode mode);

/// Renders one channel and adds it into `pixels` (width x height, premultiplied): colours
/// add, alpha takes the maximum, as the ray caster does. Runs on all cores; the result
/// does not depend on the thread count.
void render_channel(const Channel& channel, const Frame& frame, RenderMode mode,
                    std::vector<Pixel>& pixels);

}  // namespace vox::shear_warp
