// The CPU ray caster: rays per pixel in tiles over all cores, trilinear samples at a fixed
// spacing along each ray, empty space skipped by a grid of 8^3-voxel bricks that know
// their value range (and regions of 4^3 bricks above it, walked incrementally),
// front-to-back compositing with early ray termination. A preview casts a quarter of the
// rays with twice the step and scales the result up.
#include <cairo.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <type_traits>

#include "cairo_image.h"
#include "shear_warp.h"
#include "vox/error.h"
#include "vox/parallel.h"
#include "vox/pixel_type.h"
#include "vox/stats.h"
#include "vox/volume_render.h"

namespace vox {
namespace {

using Vec3 = std::array<double, 3>;

Vec3 operator+(const Vec3& a, const Vec3& b) {
    return {a[0] + b[0], a[1] + b[1], a[2] + b[2]};
}
Vec3 operator-(const Vec3& a, const Vec3& b) {
    return {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
}
Vec3 operator*(double s, const Vec3& a) {
    return {s * a[0], s * a[1], s * a[2]};
}
double dot(const Vec3& a, const Vec3& b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
Vec3 cross(const Vec3& a, const Vec3& b) {
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
Vec3 normalized(const Vec3& a) {
    return (1.0 / std::sqrt(dot(a, a))) * a;
}
double radians(double degrees) {
    return degrees * std::numbers::pi / 180.0;
}

constexpr int kBrickShift = 3;  // bricks of 8^3 cells
constexpr int kBrick = 1 << kBrickShift;
// Regions of 4^3 bricks (32^3 cells): rays cross empty space a region at a time.
constexpr int kRegionShift = 5;
constexpr int kLutSize = 4096;  // mapped values t in [0, 1] -> colour and opacity
// Front-to-back compositing stops when the ray is this opaque (the rest changes < 1/255).
constexpr float kOpaque = 0.996F;

// Lighting for isosurfaces and shaded DVR: a headlight (light from the eye).
constexpr float kAmbient = 0.25F;
constexpr float kDiffuse = 0.7F;
constexpr float kSpecular = 0.3F;
constexpr int kShininess = 24;

// The camera's screen frame in world space.
struct View {
    Vec3 right;
    Vec3 up;
    Vec3 forward;  // from the eye towards the scene
    bool perspective = false;
    Vec3 eye;            // perspective only
    double pixel = 1;    // orthographic: world size of a pixel
    double tangent = 1;  // perspective: tan(fov / 2) / zoom
    double far = 0;      // orthographic: rays start this far back from the screen plane
    std::int64_t width = 0;
    std::int64_t height = 0;
};

// One visible channel, ready to sample: contiguous voxels and the brick grid.
struct ChannelData {
    Volume voxels;  // one channel, packed
    ResolvedChannel display;
    std::array<std::int64_t, 3> bricks{};  // per axis x, y, z
    std::vector<float> brick_min;
    std::vector<float> brick_max;
    std::array<std::int64_t, 3> regions{};  // per axis x, y, z
    std::vector<float> region_min;
    std::vector<float> region_max;
    std::vector<std::int32_t> brick_region;  // the region of each brick
    // The shear-warp path's x-major copy, built the first time slices run along x.
    std::unique_ptr<shear_warp::XMajorCache> x_major = std::make_unique<shear_warp::XMajorCache>();
};

// The region of each brick, as an index into the region grid.
std::vector<std::int32_t> region_of_bricks(const ChannelData& channel) {
    std::vector<std::int32_t> region(channel.brick_min.size());
    constexpr int kShift = kRegionShift - kBrickShift;
    std::size_t b = 0;
    for (std::int64_t bz = 0; bz < channel.bricks[2]; ++bz)
        for (std::int64_t by = 0; by < channel.bricks[1]; ++by)
            for (std::int64_t bx = 0; bx < channel.bricks[0]; ++bx)
                region[b++] = std::int32_t(((bz >> kShift) * channel.regions[1] + (by >> kShift)) *
                                               channel.regions[0] +
                                           (bx >> kShift));
    return region;
}

// The regions' value ranges, from their bricks'.
void compute_regions(ChannelData& channel) {
    constexpr int kShift = kRegionShift - kBrickShift;
    for (std::size_t a = 0; a < 3; ++a)
        channel.regions[a] = (channel.bricks[a] + (1 << kShift) - 1) >> kShift;
    const std::size_t count =
        std::size_t(channel.regions[0] * channel.regions[1] * channel.regions[2]);
    channel.region_min.assign(count, std::numeric_limits<float>::infinity());
    channel.region_max.assign(count, -std::numeric_limits<float>::infinity());
    channel.brick_region = region_of_bricks(channel);
    const std::vector<std::int32_t>& region = channel.brick_region;
    for (std::size_t b = 0; b < region.size(); ++b) {
        const auto r = std::size_t(region[b]);
        channel.region_min[r] = std::min(channel.region_min[r], channel.brick_min[b]);
        channel.region_max[r] = std::max(channel.region_max[r], channel.brick_max[b]);
    }
}

template <typename T>
void compute_bricks(ChannelData& channel) {
    const auto view = channel.voxels.view<T>();
    const std::int64_t nx = view.shape.x;
    const std::int64_t ny = view.shape.y;
    const std::int64_t nz = view.shape.z;
    const std::array<std::int64_t, 3> extent{nx, ny, nz};
    for (int a = 0; a < 3; ++a)
        channel.bricks[a] = std::max<std::int64_t>(1, (extent[a] - 1 + kBrick - 1) / kBrick);
    const std::int64_t count = channel.bricks[0] * channel.bricks[1] * channel.bricks[2];
    channel.brick_min.assign(std::size_t(count), 0.0F);
    channel.brick_max.assign(std::size_t(count), 0.0F);
    const T* data = view.origin;
    parallel_for(0, channel.bricks[2], 1, [&](std::int64_t z_begin, std::int64_t z_end) {
        for (std::int64_t bz = z_begin; bz < z_end; ++bz) {
            for (std::int64_t by = 0; by < channel.bricks[1]; ++by) {
                for (std::int64_t bx = 0; bx < channel.bricks[0]; ++bx) {
                    // The brick's cells reach the voxels of the next brick's first plane:
                    // trilinear samples in it mix voxels 8b .. 8b + 8.
                    float low = std::numeric_limits<float>::infinity();
                    float high = -low;
                    for (std::int64_t z = bz * kBrick; z <= std::min(nz - 1, (bz + 1) * kBrick);
                         ++z) {
                        for (std::int64_t y = by * kBrick; y <= std::min(ny - 1, (by + 1) * kBrick);
                             ++y) {
                            const T* row = data + (z * ny + y) * nx;
                            for (std::int64_t x = bx * kBrick;
                                 x <= std::min(nx - 1, (bx + 1) * kBrick); ++x) {
                                const auto v = float(row[x]);
                                low = std::min(low, v);
                                high = std::max(high, v);
                            }
                        }
                    }
                    const std::size_t b =
                        std::size_t((bz * channel.bricks[1] + by) * channel.bricks[0] + bx);
                    channel.brick_min[b] = low;
                    channel.brick_max[b] = high;
                }
            }
        }
    });
}

// The mapped value t of a channel, as map_plane() computes it.
struct Mapping {
    float low = 0.0F;
    float scale = 1.0F;  // 1 / (high - low)
    float gamma = 1.0F;
    float at(float v) const {
        float t = (v - low) * scale;
        t = t > 0.0F ? (t < 1.0F ? t : 1.0F) : 0.0F;  // NaN -> 0
        return gamma == 1.0F ? t : std::pow(t, gamma);
    }
    // Linear index into a kLutSize table, before gamma (the table applies it).
    int index(float v) const {
        const float t = (v - low) * scale;
        const float clamped = t > 0.0F ? (t < 1.0F ? t : 1.0F) : 0.0F;
        return int(clamped * float(kLutSize - 1) + 0.5F);
    }
};

Mapping mapping_of(const ResolvedChannel& display) {
    Mapping mapping;
    mapping.low = float(display.low);
    // low == high maps values >= high to 1 (map_plane's rule).
    mapping.scale = display.high > display.low ? float(1.0 / (display.high - display.low))
                                               : std::numeric_limits<float>::max();
    mapping.gamma = float(display.gamma);
    return mapping;
}

// Premultiplied colour and step-corrected opacity per LUT entry.
struct Lut {
    std::vector<std::array<float, 4>> entries;
    std::vector<std::int32_t> nonzero_prefix;  // count of entries with opacity > 0 before i
    bool any_in(int first, int last) const {
        return nonzero_prefix[std::size_t(last) + 1] - nonzero_prefix[std::size_t(first)] > 0;
    }
};

Lut make_lut(const ResolvedChannel& display, const TransferFunction& transfer,
             double step_over_unit) {
    Lut lut;
    lut.entries.resize(kLutSize);
    lut.nonzero_prefix.assign(kLutSize + 1, 0);
    for (int i = 0; i < kLutSize; ++i) {
        const double linear = double(i) / double(kLutSize - 1);
        const double t = display.gamma == 1.0 ? linear : std::pow(linear, display.gamma);
        const double opacity = std::clamp(transfer.opacity(t), 0.0, 1.0);
        const double alpha = 1.0 - std::pow(1.0 - opacity, step_over_unit);
        const auto colour = display.colormap->at(t);
        lut.entries[std::size_t(i)] = {float(alpha * colour[0] / 255.0),
                                       float(alpha * colour[1] / 255.0),
                                       float(alpha * colour[2] / 255.0), float(alpha)};
        lut.nonzero_prefix[std::size_t(i) + 1] = lut.nonzero_prefix[std::size_t(i)] + (alpha > 0.0);
    }
    return lut;
}

// A sample position in voxel coordinates (x, y, z), one SSE register where there is one:
// stepping, clamping and splitting into cell and fraction then take one instruction each.
#if defined(__SSE2__)
using Point = __m128;
Point make_point(float x, float y, float z) {
    return _mm_setr_ps(x, y, z, 0.0F);
}
Point add(Point a, Point b) {
    return _mm_add_ps(a, b);
}
std::array<float, 3> coords(Point p) {
    alignas(16) float values[4];
    _mm_store_ps(values, p);
    return {values[0], values[1], values[2]};
}
#else
using Point = std::array<float, 3>;
Point make_point(float x, float y, float z) {
    return {x, y, z};
}
Point add(Point a, Point b) {
    return {a[0] + b[0], a[1] + b[1], a[2] + b[2]};
}
std::array<float, 3> coords(Point p) {
    return p;
}
#endif

// Trilinear sampling of one channel in voxel coordinates (x, y, z), each within
// [0, n - 1]. An axis of extent 1 samples its single plane.
template <typename T>
struct Sampler {
    const T* data = nullptr;
    std::int64_t nx = 1, ny = 1, nz = 1;
    std::int64_t step_y = 0, step_z = 0;
    std::int64_t step_x = 1;
    std::int64_t plane = 0;  // nx * ny
    // The largest base index per axis, as floats: clamping the position before rounding
    // down is the same as clamping the index after, and cheaper.
    float last_x = 0.0F, last_y = 0.0F, last_z = 0.0F;

    explicit Sampler(const Volume& voxels) {
        const auto view = voxels.view<T>();
        data = view.origin;
        nx = view.shape.x;
        ny = view.shape.y;
        nz = view.shape.z;
        step_x = nx > 1 ? 1 : 0;
        step_y = ny > 1 ? nx : 0;
        step_z = nz > 1 ? nx * ny : 0;
        plane = nx * ny;
        last_x = float(std::max<std::int64_t>(nx - 2, 0));
        last_y = float(std::max<std::int64_t>(ny - 2, 0));
        last_z = float(std::max<std::int64_t>(nz - 2, 0));
    }

    float operator()(float x, float y, float z) const { return at(make_point(x, y, z)); }

    float at(Point q) const {
#if defined(__SSE2__)
        // Positions are >= 0 (rays are clipped to the box), so truncation rounds down.
        const __m128i cell =
            _mm_cvttps_epi32(_mm_min_ps(q, _mm_setr_ps(last_x, last_y, last_z, 0.0F)));
        const __m128 fraction = _mm_sub_ps(q, _mm_cvtepi32_ps(cell));
        const std::int64_t ix = _mm_cvtsi128_si32(cell);
        const std::int64_t iy = _mm_cvtsi128_si32(_mm_shuffle_epi32(cell, _MM_SHUFFLE(1, 1, 1, 1)));
        const std::int64_t iz = _mm_cvtsi128_si32(_mm_shuffle_epi32(cell, _MM_SHUFFLE(2, 2, 2, 2)));
        const T* p = data + iz * plane + iy * nx + ix;
        const T* q0 = p + step_z;
        // The four rows' pairs along x, lerped at once: (y0 z0, y1 z0, y0 z1, y1 z1).
        __m128 left;
        __m128 right;
        if constexpr (std::is_same_v<T, std::uint16_t> || std::is_same_v<T, std::uint8_t>) {
            if (step_x == 1) {
                // Both voxels of a pair in one load, split with integer shifts.
                constexpr int kBits = 8 * int(sizeof(T));
                const __m128i pairs =
                    _mm_setr_epi32(int(load_pair(p)), int(load_pair(p + step_y)),
                                   int(load_pair(q0)), int(load_pair(q0 + step_y)));
                const __m128i mask = _mm_set1_epi32((1 << kBits) - 1);
                left = _mm_cvtepi32_ps(_mm_and_si128(pairs, mask));
                right = _mm_cvtepi32_ps(_mm_srli_epi32(pairs, kBits));
            } else {
                left = corners(p, q0, 0);
                right = corners(p, q0, step_x);
            }
        } else {
            left = corners(p, q0, 0);
            right = corners(p, q0, step_x);
        }
        const __m128 fx = _mm_shuffle_ps(fraction, fraction, _MM_SHUFFLE(0, 0, 0, 0));
        const __m128 fy = _mm_shuffle_ps(fraction, fraction, _MM_SHUFFLE(1, 1, 1, 1));
        const __m128 rows = _mm_add_ps(left, _mm_mul_ps(fx, _mm_sub_ps(right, left)));
        // (c00, c01, c10, c11) -> lerp along y: (c00, c10) to (c01, c11).
        const __m128 first = _mm_shuffle_ps(rows, rows, _MM_SHUFFLE(2, 0, 2, 0));
        const __m128 second = _mm_shuffle_ps(rows, rows, _MM_SHUFFLE(3, 1, 3, 1));
        const __m128 planes = _mm_add_ps(first, _mm_mul_ps(fy, _mm_sub_ps(second, first)));
        const float c0 = _mm_cvtss_f32(planes);
        const float c1 = _mm_cvtss_f32(_mm_shuffle_ps(planes, planes, _MM_SHUFFLE(1, 1, 1, 1)));
        const float fz = _mm_cvtss_f32(_mm_shuffle_ps(fraction, fraction, _MM_SHUFFLE(2, 2, 2, 2)));
        return c0 + fz * (c1 - c0);
#else
        const auto ix = std::int64_t(std::min(q[0], last_x));
        const auto iy = std::int64_t(std::min(q[1], last_y));
        const auto iz = std::int64_t(std::min(q[2], last_z));
        const float fx = q[0] - float(ix);
        const float fy = q[1] - float(iy);
        const float fz = q[2] - float(iz);
        const T* p = data + iz * plane + iy * nx + ix;
        const T* q0 = p + step_z;
        const float c00 = float(p[0]) + fx * (float(p[step_x]) - float(p[0]));
        const float c01 = float(p[step_y]) + fx * (float(p[step_y + step_x]) - float(p[step_y]));
        const float c10 = float(q0[0]) + fx * (float(q0[step_x]) - float(q0[0]));
        const float c11 = float(q0[step_y]) + fx * (float(q0[step_y + step_x]) - float(q0[step_y]));
        const float c0 = c00 + fy * (c01 - c00);
        const float c1 = c10 + fy * (c11 - c10);
        return c0 + fz * (c1 - c0);
#endif
    }

private:
#if defined(__SSE2__)
    // Two adjacent voxels as one unsigned integer (little-endian: the first in the low bits).
    static std::uint32_t load_pair(const T* p) {
        if constexpr (sizeof(T) == 2) {
            std::uint32_t pair = 0;
            std::memcpy(&pair, p, 4);
            return pair;
        } else {
            std::uint16_t pair = 0;
            std::memcpy(&pair, p, 2);
            return pair;
        }
    }
    __m128 corners(const T* p, const T* q, std::int64_t offset) const {
        return _mm_setr_ps(float(p[offset]), float(p[step_y + offset]), float(q[offset]),
                           float(q[step_y + offset]));
    }
#endif
};

// A ray in voxel coordinates: position(t) = origin + t * direction, t in world units.
struct Ray {
    std::array<float, 3> origin;
    std::array<float, 3> direction;
    double t0 = 0.0;
    double t1 = -1.0;
};

// What every ray of a frame shares.
struct FrameSetup {
    View view;
    std::array<double, 3> spacing;  // x, y, z
    std::array<double, 3> centre;   // voxel coordinates of the world origin
    std::array<double, 3> sign;     // -1 where flipped
    std::array<double, 3> low;      // sample box in voxel coordinates (crop)
    std::array<double, 3> high;
    std::vector<ClipPlane> clips;
    double step = 1.0;  // world units
    bool shading = false;
    // The grid of rays: the image's pixels, or every other one's corner for a preview
    // (ray (x, y) goes through the image point scale * (x + 0.5, y + 0.5)).
    std::int64_t grid_width = 0;
    std::int64_t grid_height = 0;
    double grid_scale = 1.0;
};

Ray make_ray(const FrameSetup& frame, double column, double row) {
    const View& view = frame.view;
    Vec3 origin;
    Vec3 direction;
    if (view.perspective) {
        const double scale = 2.0 * view.tangent / double(view.height);
        const double u = (column - double(view.width) / 2.0) * scale;
        const double v = (double(view.height) / 2.0 - row) * scale;
        origin = view.eye;
        direction = normalized(view.forward + u * view.right + v * view.up);
    } else {
        const double u = (column - double(view.width) / 2.0) * view.pixel;
        const double v = (double(view.height) / 2.0 - row) * view.pixel;
        origin = u * view.right + v * view.up - view.far * view.forward;
        direction = view.forward;
    }
    Ray ray;
    double t0 = 0.0;
    double t1 = std::numeric_limits<double>::infinity();
    for (int a = 0; a < 3; ++a) {
        const double o = frame.sign[a] * origin[a] / frame.spacing[a] + frame.centre[a];
        const double d = frame.sign[a] * direction[a] / frame.spacing[a];
        ray.origin[a] = float(o);
        ray.direction[a] = float(d);
        if (d == 0.0) {
            if (o < frame.low[a] || o > frame.high[a]) return ray;  // t1 < t0: a miss
            continue;
        }
        double enter = (frame.low[a] - o) / d;
        double leave = (frame.high[a] - o) / d;
        if (enter > leave) std::swap(enter, leave);
        t0 = std::max(t0, enter);
        t1 = std::min(t1, leave);
    }
    for (const ClipPlane& clip : frame.clips) {
        // Keep dot(p - point, normal) <= 0.
        const double s0 = dot(origin - clip.point, clip.normal);
        const double slope = dot(direction, clip.normal);
        if (slope == 0.0) {
            if (s0 > 0.0) return ray;
        } else if (slope > 0.0) {
            t1 = std::min(t1, -s0 / slope);
        } else {
            t0 = std::max(t0, -s0 / slope);
        }
    }
    ray.t0 = t0;
    ray.t1 = t1;
    return ray;
}

// The brick and region grids' extents per axis (x, y, z).
struct BrickWalk {
    std::array<std::int64_t, 3> bricks;
    std::array<std::int64_t, 3> regions;
};

std::array<float, 3> position(const Ray& ray, double t) {
    return {ray.origin[0] + float(t) * ray.direction[0],
            ray.origin[1] + float(t) * ray.direction[1],
            ray.origin[2] + float(t) * ray.direction[2]};
}

// Central differences of the trilinear field, as a unit world-space normal pointing
// towards lower values (out of bright objects), and the headlight shading factor.
template <typename T>
std::array<float, 2> shade(const Sampler<T>& sample, const std::array<float, 3>& q,
                           const FrameSetup& frame) {
    std::array<double, 3> gradient{};
    const std::array<float, 3> top{float(sample.nx - 1), float(sample.ny - 1),
                                   float(sample.nz - 1)};
    for (int a = 0; a < 3; ++a) {
        std::array<float, 3> plus = q;
        std::array<float, 3> minus = q;
        plus[a] = std::min(q[a] + 1.0F, top[a]);
        minus[a] = std::max(q[a] - 1.0F, 0.0F);
        const float span = plus[a] - minus[a];
        if (span <= 0.0F) continue;
        const float difference =
            sample(plus[0], plus[1], plus[2]) - sample(minus[0], minus[1], minus[2]);
        gradient[a] = frame.sign[a] * double(difference / span) / frame.spacing[a];
    }
    const double length = std::sqrt(dot(gradient, gradient));
    if (!(length > 0.0)) return {kAmbient + kDiffuse, 0.0F};
    // Headlight: the light comes from the eye, so the half vector is the view direction.
    const double facing = std::abs(dot((1.0 / length) * gradient, frame.view.forward));
    const auto diffuse = float(facing);
    float specular = 1.0F;
    for (int i = 0; i < kShininess; ++i)
        specular *= diffuse;
    return {kAmbient + kDiffuse * diffuse, kSpecular * specular};
}

// Per-frame, per-channel state for the marching loops.
struct ChannelFrame {
    const ChannelData* data = nullptr;
    Mapping mapping;
    Lut lut;                                     // dvr
    std::vector<std::uint8_t> skippable;         // dvr, iso: bricks that cannot contribute
    std::vector<std::uint8_t> skippable_region;  // dvr, iso: regions of skippable bricks
    float level = 0.0F;                          // iso
    std::array<float, 3> surface_colour{1.0F, 1.0F, 1.0F};  // iso
};

using Pixel = std::array<float, 4>;  // premultiplied RGBA in [0, 1]

Pixel colour_of(const ChannelFrame& channel, float value) {
    const auto colour = channel.data->display.colormap->at(channel.mapping.at(value));
    return {colour[0] / 255.0F, colour[1] / 255.0F, colour[2] / 255.0F, 1.0F};
}

// Amanatides & Woo's traversal of a grid of cubic cells 2^shift voxels wide: the cell
// the ray is in, and the ray parameter where it crosses into the next one, found
// incrementally with no division or rounding per cell.
struct GridWalk {
    std::array<std::int64_t, 3> cell{};
    std::array<std::int64_t, 3> extent{};
    std::array<std::int64_t, 3> move{};
    std::array<std::int64_t, 3> stride{};
    std::array<double, 3> next{};   // ray parameter of the next cell plane per axis
    std::array<double, 3> delta{};  // ray parameter between cell planes per axis
    std::int64_t index = 0;

    GridWalk(const Ray& ray, const std::array<double, 3>& inverse, const std::array<float, 3>& q,
             int shift, const std::array<std::int64_t, 3>& cells)
        : extent(cells), stride{1, cells[0], cells[0] * cells[1]} {
        const double size = double(std::int64_t(1) << shift);
        for (std::size_t a = 0; a < 3; ++a) {
            cell[a] = std::clamp<std::int64_t>(std::int64_t(q[a]) >> shift, 0, extent[a] - 1);
            index += cell[a] * stride[a];
            const double d = ray.direction[a];
            const double low = double(cell[a]) * size - double(ray.origin[a]);
            if (d > 0.0) {
                next[a] = (low + size) * inverse[a];
                delta[a] = size * inverse[a];
                move[a] = 1;
            } else if (d < 0.0) {
                next[a] = low * inverse[a];
                delta[a] = -size * inverse[a];
                move[a] = -1;
            } else {
                next[a] = std::numeric_limits<double>::infinity();
            }
        }
    }
    // The axis whose cell plane the ray crosses next.
    std::size_t axis() const {
        // Written for conditional moves: the comparisons are unpredictable.
        std::size_t a = next[1] < next[0] ? 1 : 0;
        a = next[2] < next[a] ? 2 : a;
        return a;
    }
    void advance(std::size_t a) {
        cell[a] += move[a];
        if (cell[a] < 0 || cell[a] >= extent[a]) {
            // Rounding left samples past the grid's edge: they belong to the edge cell.
            cell[a] -= move[a];
            next[a] = std::numeric_limits<double>::infinity();
        } else {
            index += move[a] * stride[a];
            next[a] += delta[a];
        }
    }
};

// Walks the samples k = 0 .. count - 1 of a ray (at t0 + k * step) brick by brick:
// visit(first, end, brick) gets each run of samples inside one brick, in order, and returns
// false to stop the ray. Regions of 4^3 bricks for which skip_region(region) is true are
// crossed in one step, their bricks unvisited. Keeping the samples on one lattice per ray
// makes skipping exact: a skipped brick changes nothing but the time.
template <typename SkipRegion, typename Visit>
void walk_bricks(const Ray& ray, double step, std::int64_t count, const BrickWalk& walk,
                 SkipRegion&& skip_region, Visit&& visit) {
    if (count <= 0) return;
    std::array<double, 3> inverse{};
    for (std::size_t a = 0; a < 3; ++a)
        inverse[a] = ray.direction[a] != 0.0F ? 1.0 / double(ray.direction[a]) : 0.0;
    const double inverse_step = 1.0 / step;
    // The first sample after the ray leaves a cell whose next plane is `leave`.
    const auto end_before = [&](double leave) {
        const double last = (leave - ray.t0) * inverse_step;
        if (last >= double(count)) return count;
        // ceil() without SSE4.1's roundsd: truncation already rounds negatives up.
        const auto truncated = std::int64_t(last);
        return truncated + std::int64_t(double(truncated) < last);
    };
    GridWalk regions(ray, inverse, position(ray, ray.t0), kRegionShift, walk.regions);
    for (std::int64_t k = 0; k < count;) {
        const std::size_t a = regions.axis();
        // Samples before the ray leaves this region; none if it only clips a corner.
        const std::int64_t region_end = end_before(regions.next[a]);
        if (region_end > k) {
            if (!skip_region(regions.index)) {
                GridWalk bricks(ray, inverse, position(ray, ray.t0 + double(k) * step), kBrickShift,
                                walk.bricks);
                while (k < region_end) {
                    const std::size_t b = bricks.axis();
                    const std::int64_t end = std::min(region_end, end_before(bricks.next[b]));
                    if (end > k) {
                        if (!visit(k, end, bricks.index)) return;
                        k = end;
                    }
                    bricks.advance(b);
                }
            }
            k = region_end;
        }
        regions.advance(a);
    }
}

// Calls fn(value, position) for samples first .. end - 1, stepping the position
// incrementally; fn returns false to stop early. Returns the number of samples taken.
template <typename T, typename Fn>
std::int64_t sample_run(const Sampler<T>& sample, const Ray& ray, double step, std::int64_t first,
                        std::int64_t end, Fn&& fn) {
    const auto start = position(ray, ray.t0 + double(first) * step);
    Point q = make_point(start[0], start[1], start[2]);
    const Point delta = make_point(ray.direction[0] * float(step), ray.direction[1] * float(step),
                                   ray.direction[2] * float(step));
    for (std::int64_t k = first; k < end; ++k) {
        if (!fn(sample.at(q), q)) return k - first + 1;
        q = add(q, delta);
    }
    return end - first;
}

template <typename T, RenderMode Mode>
Pixel march(const Sampler<T>& sample, const ChannelFrame& channel, const FrameSetup& frame,
            const Ray& ray) {
    const double step = frame.step;
    const auto count = std::int64_t(std::floor((ray.t1 - ray.t0) / step)) + 1;
    const BrickWalk walk{channel.data->bricks, channel.data->regions};
    const std::vector<float>& brick_min = channel.data->brick_min;
    const std::vector<float>& brick_max = channel.data->brick_max;
    if constexpr (Mode == RenderMode::mip || Mode == RenderMode::minip) {
        constexpr bool kMax = Mode == RenderMode::mip;
        // Every value at or below the display's low maps to t = 0, so a MIP may start there:
        // the colour is the same and bricks of background are skipped from the first one.
        float best = kMax && std::isfinite(channel.mapping.low)
                         ? channel.mapping.low
                         : (kMax ? -1.0F : 1.0F) * std::numeric_limits<float>::infinity();
        const std::vector<float>& region_min = channel.data->region_min;
        const std::vector<float>& region_max = channel.data->region_max;
        walk_bricks(
            ray, step, count, walk,
            [&](std::int64_t r) {
                return kMax ? region_max[std::size_t(r)] <= best
                            : region_min[std::size_t(r)] >= best;
            },
            [&](std::int64_t first, std::int64_t end, std::int64_t b) {
                // Nothing in this brick can beat what the ray has.
                if (kMax ? brick_max[std::size_t(b)] <= best : brick_min[std::size_t(b)] >= best)
                    return true;
                sample_run(sample, ray, step, first, end, [&](float v, const auto&) {
                    best = kMax ? (v > best ? v : best) : (v < best ? v : best);
                    return true;
                });
                return true;
            });
        return colour_of(channel, best);
    } else if constexpr (Mode == RenderMode::average) {
        double sum = 0.0;
        sample_run(sample, ray, step, 0, count, [&](float v, const auto&) {
            sum += v;
            return true;
        });
        return colour_of(channel, float(sum / double(count)));
    } else if constexpr (Mode == RenderMode::dvr) {
        Pixel sum{0.0F, 0.0F, 0.0F, 0.0F};
        walk_bricks(
            ray, step, count, walk,
            [&](std::int64_t r) { return channel.skippable_region[std::size_t(r)] != 0; },
            [&](std::int64_t first, std::int64_t end, std::int64_t b) {
                if (channel.skippable[std::size_t(b)]) return true;
                if (!frame.shading) {
                    // A transparent entry is all zeros and adds nothing: no branch for it.
                    sample_run(sample, ray, step, first, end, [&](float v, const Point&) {
                        const auto& entry =
                            channel.lut.entries[std::size_t(channel.mapping.index(v))];
                        const float remaining = 1.0F - sum[3];
                        for (std::size_t c = 0; c < 4; ++c)
                            sum[c] += remaining * entry[c];
                        return sum[3] < kOpaque;
                    });
                    return sum[3] < kOpaque;
                }
                sample_run(sample, ray, step, first, end, [&](float v, const Point& q) {
                    const auto& entry = channel.lut.entries[std::size_t(channel.mapping.index(v))];
                    if (entry[3] <= 0.0F) return true;
                    const auto lighting = shade(sample, coords(q), frame);
                    const float remaining = 1.0F - sum[3];
                    for (std::size_t c = 0; c < 3; ++c)
                        sum[c] += remaining * (entry[c] * lighting[0] + entry[3] * lighting[1]);
                    sum[3] += remaining * entry[3];
                    return sum[3] < kOpaque;
                });
                return sum[3] < kOpaque;
            });
        return sum;
    } else {  // isosurface: the first sample at or above the level
        const float level = channel.level;
        float previous = std::numeric_limits<float>::quiet_NaN();
        std::optional<std::array<float, 3>> hit;
        std::int64_t sampled_to = 0;  // the samples before this one have been taken
        walk_bricks(
            ray, step, count, walk,
            [&](std::int64_t r) { return channel.skippable_region[std::size_t(r)] != 0; },
            [&](std::int64_t first, std::int64_t end, std::int64_t b) {
                if (channel.skippable[std::size_t(b)]) return true;
                if (first != sampled_to && first > 0) {
                    // After skipped bricks: the sample before this run, for the
                    // interpolation.
                    const auto before = position(ray, ray.t0 + double(first - 1) * step);
                    previous = sample(before[0], before[1], before[2]);
                }
                sample_run(sample, ray, step, first, end, [&](float v, const Point& point) {
                    if (v < level) {
                        previous = v;
                        return true;
                    }
                    // Linear interpolation between the samples that straddle the
                    // level.
                    float back = 0.0F;
                    if (previous < level && v > previous) back = (v - level) / (v - previous);
                    const float t = float(step) * back;
                    const auto q = coords(point);
                    hit = std::array<float, 3>{q[0] - t * ray.direction[0],
                                               q[1] - t * ray.direction[1],
                                               q[2] - t * ray.direction[2]};
                    return false;
                });
                sampled_to = end;
                return !hit;
            });
        if (!hit) return {0.0F, 0.0F, 0.0F, 0.0F};
        const auto lighting = shade(sample, *hit, frame);
        const auto& c = channel.surface_colour;
        return {std::min(1.0F, c[0] * lighting[0] + lighting[1]),
                std::min(1.0F, c[1] * lighting[0] + lighting[1]),
                std::min(1.0F, c[2] * lighting[0] + lighting[1]), 1.0F};
    }
}

template <typename T>
void render_channel(const ChannelFrame& channel, const FrameSetup& frame, RenderMode mode,
                    std::vector<Pixel>& pixels) {
    const Sampler<T> sample(channel.data->voxels);
    const std::int64_t width = frame.grid_width;
    const std::int64_t height = frame.grid_height;
    const double scale = frame.grid_scale;
    constexpr std::int64_t kTile = 16;
    const std::int64_t tiles_x = (width + kTile - 1) / kTile;
    const std::int64_t tiles_y = (height + kTile - 1) / kTile;
    auto run = [&](auto mode_constant) {
        constexpr RenderMode kMode = decltype(mode_constant)::value;
        parallel_for(0, tiles_x * tiles_y, 1, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t tile = begin; tile < end; ++tile) {
                const std::int64_t x0 = (tile % tiles_x) * kTile;
                const std::int64_t y0 = (tile / tiles_x) * kTile;
                for (std::int64_t y = y0; y < std::min(y0 + kTile, height); ++y) {
                    for (std::int64_t x = x0; x < std::min(x0 + kTile, width); ++x) {
                        const Ray ray =
                            make_ray(frame, scale * (double(x) + 0.5), scale * (double(y) + 0.5));
                        if (!(ray.t1 >= ray.t0)) continue;
                        const Pixel add = march<T, kMode>(sample, channel, frame, ray);
                        Pixel& out = pixels[std::size_t(y * width + x)];
                        // Channels add (saturating at the end), as in slices.
                        for (std::size_t c = 0; c < 3; ++c)
                            out[c] += add[c];
                        out[3] = std::max(out[3], add[3]);
                    }
                }
            }
        });
    };
    switch (mode) {
        case RenderMode::mip:
            run(std::integral_constant<RenderMode, RenderMode::mip>{});
            break;
        case RenderMode::minip:
            run(std::integral_constant<RenderMode, RenderMode::minip>{});
            break;
        case RenderMode::average:
            run(std::integral_constant<RenderMode, RenderMode::average>{});
            break;
        case RenderMode::dvr:
            run(std::integral_constant<RenderMode, RenderMode::dvr>{});
            break;
        case RenderMode::isosurface:
            run(std::integral_constant<RenderMode, RenderMode::isosurface>{});
            break;
    }
}

// A preview's premultiplied pixels (one per ray of the grid) scaled up bilinearly to the
// image's size: the image point of pixel i's centre, i + 0.5, is grid position
// (i + 0.5) / scale - 0.5, clamped to the grid at the borders.
std::vector<Pixel> upscale(const std::vector<Pixel>& grid, const FrameSetup& frame) {
    const std::int64_t width = frame.view.width;
    const std::int64_t height = frame.view.height;
    struct Tap {
        std::int64_t first = 0;
        std::int64_t second = 0;
        float weight = 0.0F;  // of the second
    };
    const auto taps = [&](std::int64_t count, std::int64_t grid_count) {
        std::vector<Tap> result(static_cast<std::size_t>(count));
        for (std::int64_t i = 0; i < count; ++i) {
            const double at =
                std::clamp((double(i) + 0.5) / frame.grid_scale - 0.5, 0.0, double(grid_count - 1));
            Tap& tap = result[std::size_t(i)];
            tap.first = std::int64_t(at);
            tap.second = std::min(tap.first + 1, grid_count - 1);
            tap.weight = float(at - double(tap.first));
        }
        return result;
    };
    const std::vector<Tap> columns = taps(width, frame.grid_width);
    const std::vector<Tap> rows = taps(height, frame.grid_height);
    std::vector<Pixel> pixels(std::size_t(width * height));
    parallel_for(0, height, 16, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t y = begin; y < end; ++y) {
            const Tap& row = rows[std::size_t(y)];
            const Pixel* above = grid.data() + row.first * frame.grid_width;
            const Pixel* below = grid.data() + row.second * frame.grid_width;
            for (std::int64_t x = 0; x < width; ++x) {
                const Tap& column = columns[std::size_t(x)];
                Pixel& out = pixels[std::size_t(y * width + x)];
                for (std::size_t c = 0; c < 4; ++c) {
                    const float top =
                        above[column.first][c] +
                        column.weight * (above[column.second][c] - above[column.first][c]);
                    const float bottom =
                        below[column.first][c] +
                        column.weight * (below[column.second][c] - below[column.first][c]);
                    out[c] = top + row.weight * (bottom - top);
                }
            }
        }
    });
    return pixels;
}

View make_view(const Camera& camera, const std::array<double, 3>& extent, std::int64_t width,
               std::int64_t height) {
    const double az = radians(camera.azimuth);
    const double el = radians(camera.elevation);
    const Vec3 towards_eye{std::cos(el) * std::cos(az), std::cos(el) * std::sin(az), std::sin(el)};
    View view;
    view.forward = -1.0 * towards_eye;
    view.right = {-std::sin(az), std::cos(az), 0.0};
    view.up = cross(towards_eye, view.right);
    const double roll = radians(camera.roll);
    const Vec3 right = view.right;
    const Vec3 up = view.up;
    view.right = std::cos(roll) * right + std::sin(roll) * up;
    view.up = std::cos(roll) * up - std::sin(roll) * right;
    const double diagonal = std::sqrt(dot(extent, extent));
    view.width = width;
    view.height = height;
    view.pixel = diagonal / double(std::min(width, height)) / camera.zoom;
    view.far = diagonal;
    if (camera.projection == ProjectionKind::perspective) {
        const double half = radians(camera.field_of_view) / 2.0;
        view.perspective = true;
        view.tangent = std::tan(half) / camera.zoom;
        view.eye = (diagonal / 2.0 / std::sin(half)) * towards_eye;
    }
    return view;
}

// Screen position (in Cairo's pixel coordinates) of a world point.
std::array<double, 2> project(const View& view, const Vec3& point) {
    if (view.perspective) {
        const Vec3 v = point - view.eye;
        const double depth = dot(v, view.forward);
        const double scale = double(view.height) / (2.0 * view.tangent) / depth;
        return {double(view.width) / 2.0 + dot(v, view.right) * scale,
                double(view.height) / 2.0 - dot(v, view.up) * scale};
    }
    return {double(view.width) / 2.0 + dot(point, view.right) / view.pixel,
            double(view.height) / 2.0 - dot(point, view.up) / view.pixel};
}

// The box's 12 edges (at the outer faces of the voxels) drawn with Cairo, antialiased.
// The three edges from voxel (0, 0, 0) are labelled x, y and z at their far ends (red, green,
// blue, as in the position indicator), so the axes (and any flips) can be read off.
void draw_box(Image& image, const View& view, const std::array<double, 3>& extent,
              const std::array<double, 3>& sign) {
    const render::Surface surface = render::surface_of(image);
    const render::Context context(cairo_create(surface.get()));
    cairo_t* cr = context.get();
    cairo_set_source_rgba(cr, 1.0, 1.0, 1.0, 0.8);
    cairo_set_line_width(cr, 1.0);
    const auto corner = [&](int i) {
        return Vec3{(i & 1 ? 0.5 : -0.5) * extent[0], (i & 2 ? 0.5 : -0.5) * extent[1],
                    (i & 4 ? 0.5 : -0.5) * extent[2]};
    };
    for (int i = 0; i < 8; ++i) {
        for (int bit = 1; bit < 8; bit <<= 1) {
            if (i & bit) continue;
            const auto a = project(view, corner(i));
            const auto b = project(view, corner(i | bit));
            cairo_move_to(cr, a[0], a[1]);
            cairo_line_to(cr, b[0], b[1]);
        }
    }
    cairo_stroke(cr);
    // Voxel 0 along each axis is at -extent / 2, or at +extent / 2 when the axis is flipped.
    const Vec3 origin{-0.5 * sign[0] * extent[0], -0.5 * sign[1] * extent[1],
                      -0.5 * sign[2] * extent[2]};
    const auto centre = project(view, Vec3{0.0, 0.0, 0.0});
    constexpr const char* kNames[3] = {"x", "y", "z"};
    constexpr double kColours[3][3] = {{1.0, 0.35, 0.35}, {0.35, 1.0, 0.35}, {0.45, 0.65, 1.0}};
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 13.0);
    for (std::size_t a = 0; a < 3; ++a) {
        Vec3 end = origin;
        end[a] = -origin[a];
        auto at = project(view, end);
        const auto start = project(view, origin);
        // An edge seen end-on has no direction to label.
        if (std::hypot(at[0] - start[0], at[1] - start[1]) < 16.0) continue;
        // A little beyond the edge's end, away from the box's centre, inside the image.
        const double dx = at[0] - centre[0];
        const double dy = at[1] - centre[1];
        const double length = std::max(1e-9, std::hypot(dx, dy));
        cairo_text_extents_t text;
        cairo_text_extents(cr, kNames[a], &text);
        at[0] = std::clamp(at[0] + 10.0 * dx / length - text.width / 2.0, 2.0,
                           double(image.width) - text.width - 2.0);
        at[1] = std::clamp(at[1] + 10.0 * dy / length + text.height / 2.0, text.height + 2.0,
                           double(image.height) - 2.0);
        cairo_set_source_rgb(cr, kColours[a][0], kColours[a][1], kColours[a][2]);
        cairo_move_to(cr, at[0], at[1]);
        cairo_show_text(cr, kNames[a]);
    }
    render::copy_back(surface.get(), image);
}

}  // namespace

// ---------------------------------------------------------------------------------------

double TransferFunction::opacity(double t) const {
    if (points.empty()) return std::clamp(t, 0.0, 1.0);
    if (t >= points.back()[0]) return points.back()[1];
    if (t <= points.front()[0]) return points.front()[1];
    for (std::size_t i = 1; i < points.size(); ++i) {
        if (t <= points[i][0]) {
            const auto& a = points[i - 1];
            const auto& b = points[i];
            if (b[0] == a[0]) return b[1];
            return a[1] + (t - a[0]) / (b[0] - a[0]) * (b[1] - a[1]);
        }
    }
    return points.back()[1];
}

struct VolumeRenderer::Impl {
    std::vector<ChannelData> channels;
    Shape shape;
    Spacing spacing;
};

VolumeRenderer::VolumeRenderer(const Volume& volume, std::vector<ResolvedChannel> channels)
    : m_impl(std::make_unique<Impl>()) {
    if (volume.empty()) throw ValueError("cannot render an empty volume");
    if (std::int64_t(channels.size()) != volume.shape().c) {
        throw ValueError(fmt::format("the display has {} channels but the volume has {}",
                                     channels.size(), volume.shape().c));
    }
    m_impl->shape = volume.shape();
    m_impl->spacing = volume.spacing();
    for (std::int64_t c = 0; c < volume.shape().c; ++c) {
        const ResolvedChannel& display = channels[std::size_t(c)];
        if (!display.visible) continue;
        if (display.colormap == nullptr) {
            throw ValueError(fmt::format("channel {}: no colormap", c));
        }
        ChannelData data;
        data.voxels = volume.channel(c).contiguous();
        if (volume.pixel_type() == PixelType::f64) {
            // Samples are interpolated in 32-bit floats: values beyond them would be inf, and
            // a range below their normal numbers would collapse to a few steps.
            const auto [low, high] = finite_min_max(data.voxels);
            const double largest = std::max(std::abs(low), std::abs(high));
            if (largest > double(std::numeric_limits<float>::max()) ||
                (high > low && high - low < double(std::numeric_limits<float>::min()))) {
                throw ValueError(fmt::format(
                    "channel {}: values {:g} to {:g} do not fit the renderer's 32-bit floats; "
                    "rescale them first (process ... rescale:out=f32)",
                    c, low, high));
            }
        }
        data.display = display;
        visit(volume.pixel_type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            compute_bricks<T>(data);
        });
        compute_regions(data);
        m_impl->channels.push_back(std::move(data));
    }
    if (m_impl->channels.empty()) throw ValueError("no channel is visible");
}

VolumeRenderer::~VolumeRenderer() = default;
VolumeRenderer::VolumeRenderer(VolumeRenderer&&) noexcept = default;
VolumeRenderer& VolumeRenderer::operator=(VolumeRenderer&&) noexcept = default;

Image VolumeRenderer::render(const RenderOptions& options) const {
    if (options.width < 1 || options.height < 1 || options.width > 16384 ||
        options.height > 16384) {
        throw ValueError(fmt::format("the image size must be 1 to 16384 pixels a side, got {}x{}",
                                     options.width, options.height));
    }
    // Float RGBA accumulators (16 bytes a pixel) and the 8-bit image.
    checked_allocation({options.width, options.height, 20},
                       fmt::format("a render of {}x{} pixels", options.width, options.height));
    // Below a hundredth of a voxel, samples only repeat their neighbours' interpolation, and
    // rays of billions of samples never end.
    if (!(options.sample_distance >= kMinSampleDistance) ||
        !std::isfinite(options.sample_distance)) {
        throw ValueError(fmt::format("the sample distance must be at least {:g} voxels, got {:g}",
                                     kMinSampleDistance, options.sample_distance));
    }
    const Camera& camera = options.camera;
    if (!std::isfinite(camera.azimuth) || !std::isfinite(camera.roll)) {
        throw ValueError(fmt::format("azimuth and roll must be finite degrees, got {:g} and {:g}",
                                     camera.azimuth, camera.roll));
    }
    if (!(camera.zoom >= kMinZoom && camera.zoom <= kMaxZoom)) {
        throw ValueError(fmt::format("zoom must be from {:g} to {:g}, got {:g}", kMinZoom, kMaxZoom,
                                     camera.zoom));
    }
    if (!(camera.elevation >= -90.0 && camera.elevation <= 90.0)) {
        throw ValueError(
            fmt::format("elevation must be in [-90, 90] degrees, got {:g}", camera.elevation));
    }
    if (camera.projection == ProjectionKind::perspective &&
        !(camera.field_of_view > 0.0 && camera.field_of_view < 170.0)) {
        throw ValueError(fmt::format("the field of view must be in (0, 170) degrees, got {:g}",
                                     camera.field_of_view));
    }
    const Shape& shape = m_impl->shape;
    const std::array<std::int64_t, 3> extent_voxels{shape.x, shape.y, shape.z};
    FrameSetup frame;
    frame.spacing = {m_impl->spacing.zyx[2], m_impl->spacing.zyx[1], m_impl->spacing.zyx[0]};
    std::array<double, 3> extent{};
    for (std::size_t a = 0; a < 3; ++a) {
        extent[a] = double(extent_voxels[a]) * frame.spacing[a];
        frame.centre[a] = double(extent_voxels[a] - 1) / 2.0;
        frame.sign[a] = options.flip_xyz[a] ? -1.0 : 1.0;
        frame.low[a] = 0.0;
        frame.high[a] = double(extent_voxels[a] - 1);
    }
    if (options.crop) {
        const auto& [begin, end] = *options.crop;
        for (std::size_t a = 0; a < 3; ++a) {
            const std::size_t zyx = 2 - a;
            if (begin[zyx] < 0 || end[zyx] > extent_voxels[a] || begin[zyx] >= end[zyx]) {
                throw ValueError(
                    fmt::format("the crop box {},{},{}:{},{},{} is empty or outside the volume",
                                begin[0], begin[1], begin[2], end[0], end[1], end[2]));
            }
            frame.low[a] = double(begin[zyx]);
            frame.high[a] = double(end[zyx] - 1);
        }
    }
    for (const ClipPlane& clip : options.clip_planes) {
        if (!(dot(clip.normal, clip.normal) > 0.0)) {
            throw ValueError("a clip plane's normal must not be zero");
        }
    }
    frame.clips = options.clip_planes;
    frame.view = make_view(camera, extent, options.width, options.height);
    const double finest = std::min({frame.spacing[0], frame.spacing[1], frame.spacing[2]});
    // A preview casts a quarter of the rays, with twice the step: about 8x fewer samples.
    const double preview_scale = options.preview ? 2.0 : 1.0;
    frame.step = options.sample_distance * finest * preview_scale;
    // Shear-warp where it is implemented (orthographic MIP, MinIP, average, unshaded DVR).
    bool fast = options.method != RenderMethod::ray_cast && shear_warp::applies(options);
    shear_warp::Frame warp_frame;
    if (fast) {
        warp_frame.right = frame.view.right;
        warp_frame.up = frame.view.up;
        warp_frame.forward = frame.view.forward;
        warp_frame.pixel = frame.view.pixel;
        warp_frame.width = options.width;
        warp_frame.height = options.height;
        warp_frame.spacing = frame.spacing;
        warp_frame.centre = frame.centre;
        warp_frame.sign = frame.sign;
        warp_frame.low = frame.low;
        warp_frame.high = frame.high;
        warp_frame.clips = frame.clips;
        warp_frame.sample_distance = options.sample_distance;
        warp_frame.preview = options.preview;
        fast =
            shear_warp::worthwhile(warp_frame) && (options.method == RenderMethod::shear_warp ||
                                                   shear_warp::preferred(warp_frame, options.mode));
        if (fast) frame.step = shear_warp::sample_step(warp_frame);
    }
    frame.shading = options.shading;
    const bool upscaled = options.preview && !fast;  // shear-warp warps to full size
    frame.grid_scale = upscaled ? 2.0 : 1.0;
    frame.grid_width = upscaled ? (options.width + 1) / 2 : options.width;
    frame.grid_height = upscaled ? (options.height + 1) / 2 : options.height;

    const std::size_t channel_count = m_impl->channels.size();
    auto per_channel = [&](const auto& list, std::size_t i, const char* what) {
        if (list.size() != 1 && list.size() != channel_count) {
            throw ValueError(fmt::format("{} has {} entries for {} visible channels", what,
                                         list.size(), channel_count));
        }
        return list.size() == 1 ? list.front() : list[i];
    };
    std::vector<Pixel> pixels(std::size_t(frame.grid_width * frame.grid_height), Pixel{});
    for (std::size_t i = 0; i < channel_count; ++i) {
        const ChannelData& data = m_impl->channels[i];
        ChannelFrame channel;
        channel.data = &data;
        channel.mapping = mapping_of(data.display);
        if (options.mode == RenderMode::dvr) {
            const TransferFunction transfer = options.transfer.empty()
                                                  ? TransferFunction{}
                                                  : per_channel(options.transfer, i, "--opacity");
            const double unit = transfer.opacity_unit > 0.0
                                    ? transfer.opacity_unit
                                    : std::max({extent[0], extent[1], extent[2]}) / 50.0;
            channel.lut = make_lut(data.display, transfer, frame.step / unit);
            channel.skippable.resize(data.brick_min.size());
            parallel_for(
                0, std::int64_t(data.brick_min.size()), 4096,
                [&](std::int64_t begin, std::int64_t end) {
                    for (std::int64_t b = begin; b < end; ++b) {
                        const int first = channel.mapping.index(data.brick_min[std::size_t(b)]);
                        const int last = channel.mapping.index(data.brick_max[std::size_t(b)]);
                        channel.skippable[std::size_t(b)] = !channel.lut.any_in(first, last);
                    }
                });
        } else if (options.mode == RenderMode::isosurface) {
            if (options.iso_levels.empty()) {
                throw ValueError("an isosurface needs a level");
            }
            channel.level = float(per_channel(options.iso_levels, i, "--level"));
            const auto colour = data.display.colormap->at(1.0);
            channel.surface_colour = {colour[0] / 255.0F, colour[1] / 255.0F, colour[2] / 255.0F};
            channel.skippable.resize(data.brick_max.size());
            for (std::size_t b = 0; b < data.brick_max.size(); ++b)
                channel.skippable[b] = data.brick_max[b] < channel.level;
        }
        if (!channel.skippable.empty()) {
            // A region is skippable when all its bricks are.
            channel.skippable_region.assign(data.region_min.size(), 1);
            for (std::size_t b = 0; b < channel.skippable.size(); ++b) {
                if (!channel.skippable[b])
                    channel.skippable_region[std::size_t(data.brick_region[b])] = 0;
            }
        }
        if (fast) {
            shear_warp::Channel warp_channel;
            warp_channel.voxels = &data.voxels;
            warp_channel.display = &data.display;
            warp_channel.low = channel.mapping.low;
            warp_channel.scale = channel.mapping.scale;
            warp_channel.gamma = channel.mapping.gamma;
            warp_channel.bricks = data.bricks;
            warp_channel.brick_min = data.brick_min.data();
            warp_channel.brick_max = data.brick_max.data();
            warp_channel.skippable = channel.skippable.data();
            warp_channel.lut = channel.lut.entries.data();
            warp_channel.cache = data.x_major.get();
            shear_warp::render_channel(warp_channel, warp_frame, options.mode, pixels);
            continue;
        }
        visit(data.voxels.pixel_type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            render_channel<T>(channel, frame, options.mode, pixels);
        });
    }

    if (upscaled) pixels = upscale(pixels, frame);

    // Over the background, to straight-alpha RGBA8.
    Image image = Image::filled(options.width, options.height, options.background);
    const float background_alpha = float(options.background[3]) / 255.0F;
    for (std::size_t p = 0; p < pixels.size(); ++p) {
        const Pixel& pixel = pixels[p];
        std::uint8_t* out = image.rgba.data() + 4 * p;
        const float alpha = std::min(1.0F, pixel[3]);
        const float under = (1.0F - alpha) * background_alpha;
        const float total = alpha + under;
        if (total <= 0.0F) continue;
        for (std::size_t c = 0; c < 3; ++c) {
            const float value =
                std::min(1.0F, pixel[c] + under * float(options.background[c]) / 255.0F);
            // Non-negative: adding 0.5 and truncating rounds as lround(), faster.
            out[c] = std::uint8_t(255.0F * std::min(1.0F, value / total) + 0.5F);
        }
        out[3] = std::uint8_t(255.0F * std::min(1.0F, total) + 0.5F);
    }
    if (options.box_outline) draw_box(image, frame.view, extent, frame.sign);
    return image;
}

Image render_volume(const Volume& volume, const std::vector<ResolvedChannel>& channels,
                    const RenderOptions& options) {
    return VolumeRenderer(volume, channels).render(options);
}

Camera named_camera(std::string_view name) {
    Camera camera;
    if (name == "tutorial") return camera;
    const auto at = [&](double azimuth, double elevation) {
        camera.azimuth = azimuth;
        camera.elevation = elevation;
        return camera;
    };
    if (name == "front") return at(-90.0, 0.0);
    if (name == "back") return at(90.0, 0.0);
    if (name == "side") return at(0.0, 0.0);
    if (name == "top") return at(-90.0, 90.0);
    if (name == "bottom") return at(-90.0, -90.0);
    throw ValueError(
        fmt::format("unknown view '{}': use front, back, side, top, bottom or tutorial", name));
}

RenderMode parse_render_mode(std::string_view name) {
    if (name == "mip") return RenderMode::mip;
    if (name == "minip") return RenderMode::minip;
    if (name == "average") return RenderMode::average;
    if (name == "dvr") return RenderMode::dvr;
    if (name == "iso" || name == "isosurface") return RenderMode::isosurface;
    throw ValueError(
        fmt::format("unknown render mode '{}': use mip, minip, average, dvr or iso", name));
}

namespace {

double parse_unit_number(std::string_view text, std::string_view whole) {
    double value = 0.0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !(value >= 0.0) ||
        value > 1.0) {
        throw ValueError(
            fmt::format("transfer function '{}': '{}' is not a number in [0, 1]", whole, text));
    }
    return value;
}

std::vector<std::string_view> split_view(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t begin = 0;
    while (begin <= text.size()) {
        const std::size_t end = std::min(text.find(separator, begin), text.size());
        parts.push_back(text.substr(begin, end - begin));
        begin = end + 1;
    }
    return parts;
}

}  // namespace

TransferFunction parse_transfer_function(std::string_view text) {
    TransferFunction transfer;
    if (text.empty() || text == "ramp" || text == "tutorial") return transfer;
    const std::size_t colon = text.find(':');
    const std::string_view kind = text.substr(0, colon);
    const std::string_view rest = colon == std::string_view::npos ? "" : text.substr(colon + 1);
    if (kind == "linear") {
        const auto ends = split_view(rest, ':');
        if (ends.size() == 2) {
            const double low = parse_unit_number(ends[0], text);
            const double high = parse_unit_number(ends[1], text);
            if (low < high) {
                transfer.points = {{low, 0.0}, {high, 1.0}};
                return transfer;
            }
            throw ValueError(fmt::format(
                "transfer function '{}': T0 must be below T1 (use step:T for a sharp edge)", text));
        }
    } else if (kind == "step") {
        const double at = parse_unit_number(rest, text);
        transfer.points = {{at, 0.0}, {at, 1.0}};
        return transfer;
    } else if (kind == "points") {
        for (const std::string_view point : split_view(rest, ';')) {
            const auto pair = split_view(point, ',');
            if (pair.size() != 2) {
                transfer.points.clear();
                break;
            }
            transfer.points.push_back(
                {parse_unit_number(pair[0], text), parse_unit_number(pair[1], text)});
        }
        const bool sorted =
            std::is_sorted(transfer.points.begin(), transfer.points.end(),
                           [](const auto& a, const auto& b) { return a[0] < b[0]; });
        if (!transfer.points.empty() && sorted) return transfer;
        if (!transfer.points.empty()) {
            throw ValueError(
                fmt::format("transfer function '{}': the points' values T must increase", text));
        }
    }
    throw ValueError(fmt::format(
        "unknown transfer function '{}': use ramp, linear:T0:T1, step:T or points:T,A;T,A...",
        text));
}

}  // namespace vox
