// voxscope: 3D volume rendering, a multithreaded CPU ray caster. Rendering is a pure
// function of (volume, channel display, render options) to an image.
//
// Conventions (the tests check them):
// - World space is physical: voxel (z, y, x) sits at
//   X = (x - (nx - 1) / 2) * sx, Y = (y - (ny - 1) / 2) * sy, Z = (z - (nz - 1) / 2) * sz,
//   so the volume's centre is the origin and spacing gives its true proportions. The
//   frame (X, Y, Z) is right-handed, Z (the plane axis) is "up".
// - The camera looks at the origin from the direction
//   d = (cos(el) cos(az), cos(el) sin(az), sin(el)) for azimuth az and elevation el in
//   degrees (as matplotlib's view_init(elev, azim)): azimuth turns about Z from +X towards
//   +Y, elevation lifts the camera above the XY plane.
// - On screen, right = (-sin(az), cos(az), 0) and up = d x right, then both turn by `roll`
//   degrees about the viewing direction (counter-clockwise on screen). Azimuth 0 and
//   elevation 0 look from +X: +Y to the right, +Z up.
// - Orthographic: pixel (column i, row j) of a W x H image sees the world point
//   ((i + 0.5 - W / 2) * p) right + ((H / 2 - j - 0.5) * p) up + any multiple of d, with
//   p = diagonal / min(W, H) / zoom, where diagonal = |(nx sx, ny sy, nz sz)|: at zoom 1
//   the whole box fits at any angle.
// - Perspective: the eye is at distance (diagonal / 2) / sin(fov / 2) along d, and the
//   vertical field of view is fov narrowed by zoom (tan(fov' / 2) = tan(fov / 2) / zoom).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vox/display.h"
#include "vox/volume.h"

namespace vox {

enum class ProjectionKind : std::uint8_t { orthographic, perspective };

/// Where the camera looks from; see the conventions at the top of this header.
struct Camera {
    double azimuth = 320.0;   ///< degrees
    double elevation = 30.0;  ///< degrees, in [-90, 90]
    double roll = 0.0;        ///< degrees
    /// Magnification: 2 shows the middle half of what 1 shows.
    double zoom = 1.0;
    ProjectionKind projection = ProjectionKind::orthographic;
    /// Vertical field of view in degrees, in (0, 170), for perspective.
    double field_of_view = 30.0;
};

/// A named camera: "front" (azimuth -90, elevation 0: X right, Z up), "back", "side"
/// (azimuth 0: Y right, Z up), "top" (elevation 90, azimuth -90: X right, Y up), "bottom",
/// and "tutorial" (elevation 30, azimuth 320, the brain-MRI tutorial's view).
/// @throw ValueError for another name, listing the known ones.
Camera named_camera(std::string_view name);

enum class RenderMode : std::uint8_t {
    /// Maximum intensity projection.
    mip,
    /// Minimum intensity projection.
    minip,
    /// The mean of the samples along the ray inside the volume.
    average,
    /// Direct volume rendering: front-to-back compositing through a transfer function.
    dvr,
    /// The first point where the value reaches a level, shaded.
    isosurface,
};

/// The mode by name: "mip", "minip", "average", "dvr", "iso" (or "isosurface").
/// @throw ValueError for another name.
RenderMode parse_render_mode(std::string_view name);

/// Opacity as a function of a channel's mapped value t in [0, 1] (t is the display
/// mapping's: (v - low) / (high - low), clamped, raised to the gamma): piecewise linear
/// through `points` (sorted by t), constant beyond the first and last. Colour comes from
/// the channel's colormap at t.
struct TransferFunction {
    /// (t, opacity) pairs, opacity in [0, 1]. Empty means the ramp opacity = t, the
    /// tutorial's "alpha = value".
    std::vector<std::array<double, 2>> points;
    /// The opacity of one sample is what a layer this thick (in the spacing's unit)
    /// absorbs; other sample distances are corrected as 1 - (1 - a)^(step / unit). 0 picks
    /// 1/50 of the volume's largest physical extent, so "alpha = value" looks the same on
    /// a 50^3 and a 512^3 volume (the tutorial draws 50^3 voxels).
    double opacity_unit = 0.0;
    /// Opacity at mapped value t.
    double opacity(double t) const;
};

/// A transfer function by name: "ramp" (alpha = t, the default), "tutorial" (the same),
/// "linear:T0:T1" (0 up to t = T0, rising to 1 at T1), "step:T" (0 below T, 1 from T),
/// or explicit points "points:T,A;T,A;...".
/// @throw ValueError for anything else or values outside [0, 1].
TransferFunction parse_transfer_function(std::string_view text);

/// A half-space removed from the render: world points p with dot(p - point, normal) > 0
/// (the side the normal points to) are cut away. Physical coordinates as in the header
/// comment, (X, Y, Z) order.
struct ClipPlane {
    std::array<double, 3> point{0.0, 0.0, 0.0};
    std::array<double, 3> normal{1.0, 0.0, 0.0};
};

/// How a frame is computed. Both give the same picture within a few grey levels.
enum class RenderMethod : std::uint8_t {
    /// Shear-warp where it is implemented and faster (previews, and frames whose pixels
    /// are at most 1.25 voxels), the ray caster elsewhere.
    automatic,
    /// One ray per pixel (perspective, isosurfaces and shading always use it).
    ray_cast,
    /// Shear-warp (Lacroute & Levoy 1994): slices along the axis most parallel to the view
    /// are resampled bilinearly into an intermediate image (one pixel per voxel; finer
    /// where the screen's pixels are under 0.8 voxel, as coarse as them over 1.25), composited
    /// front to back, and the
    /// image is warped to the screen bilinearly. Orthographic MIP, MinIP, average and
    /// unshaded DVR only; other options, and zoomed-in views whose intermediate image would
    /// exceed about 4 times the screen's pixels, fall back to the ray caster. Samples lie on
    /// planes across that axis, sample_distance (in voxels of the finest spacing) apart
    /// along it and trilinear between slices, so along a ray they are up to sqrt(3) times
    /// farther apart than the ray caster's; DVR opacity is corrected for the actual
    /// distance. Edges are slightly softer than the ray caster's.
    shear_warp,
};

/// The smallest RenderOptions::sample_distance, in voxels.
inline constexpr double kMinSampleDistance = 0.01;
/// Camera::zoom's range: beyond it a frame shows a dot or less than a voxel, and the
/// frame's coordinates overflow.
inline constexpr double kMinZoom = 1e-6;
inline constexpr double kMaxZoom = 1e6;

/// Everything about a frame besides the volume and its channel display.
struct RenderOptions {
    std::int64_t width = 512;
    std::int64_t height = 512;
    Camera camera;
    RenderMode mode = RenderMode::mip;
    /// Distance between samples along a ray, in voxels of the finest spacing (at least
    /// kMinSampleDistance).
    double sample_distance = 0.5;
    /// One per channel (a single entry applies to all); empty: the ramp.
    std::vector<TransferFunction> transfer;
    /// The isosurface level, in the data's values (per channel: one entry for all).
    std::vector<double> iso_levels;
    /// Gradient (Phong) shading in DVR; isosurfaces are always shaded.
    bool shading = false;
    /// Mirror the volume along x, y or z (world X, Y, Z) before rendering.
    std::array<bool, 3> flip_xyz{false, false, false};
    /// Only voxels with begin <= (z, y, x) < end are drawn.
    std::optional<std::array<std::array<std::int64_t, 3>, 2>> crop;
    std::vector<ClipPlane> clip_planes;
    /// RGBA; alpha 0 gives a transparent background.
    std::array<std::uint8_t, 4> background{0, 0, 0, 255};
    /// Draw the volume's box (its 12 edges) over the render.
    bool box_outline = false;
    /// A fast preview for interaction (the full-quality frame follows it): rays are cast
    /// for every other pixel of each axis ((width + 1) / 2 x (height + 1) / 2 of them,
    /// through the centres of 2x2 pixel blocks) with twice `sample_distance`, about 8 times
    /// fewer samples, and the result is scaled up bilinearly to width x height. Opacity is
    /// corrected for the longer step, so a preview has the frame's brightness, with softer
    /// edges. The box outline is drawn at full size. Shear-warp instead takes every other
    /// slice into an intermediate image sized for pixels twice as large.
    bool preview = false;
    /// The algorithm; automatic picks the fastest one that implements the options.
    RenderMethod method = RenderMethod::automatic;
};

/// A volume prepared for rendering many frames (the viewer's orbit, a turntable): keeps
/// the visible channels and a grid of 8^3-voxel bricks with each brick's value range, used
/// to skip empty space. The volume's buffer is shared, not copied; the channel display is
/// fixed at construction.
class VolumeRenderer {
public:
    /// @throw ValueError if the channel count differs from the volume's, no channel is
    /// visible, or the volume is empty.
    VolumeRenderer(const Volume& volume, std::vector<ResolvedChannel> channels);
    ~VolumeRenderer();
    VolumeRenderer(VolumeRenderer&&) noexcept;
    VolumeRenderer& operator=(VolumeRenderer&&) noexcept;

    /// Renders one frame on all cores. Channels are rendered separately and add up
    /// (saturating), as channels composite in slices.
    /// @throw ValueError for a bad size (1..16384), sample distance, camera, transfer
    /// function, crop or a missing iso level.
    Image render(const RenderOptions& options) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// One frame: VolumeRenderer(volume, channels).render(options).
Image render_volume(const Volume& volume, const std::vector<ResolvedChannel>& channels,
                    const RenderOptions& options);

}  // namespace vox
