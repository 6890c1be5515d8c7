// Shear-warp for orthographic cameras. In voxel space all rays are parallel, so they cross
// each slice along the principal axis (the one most parallel to the rays) on the slice's
// own grid shifted by one sub-voxel offset: every slice is resampled bilinearly with one
// pair of weights into an intermediate image at voxel resolution (rows stream through
// memory), composited front to back, and the intermediate image is warped to the screen
// with the 2D affine map the camera conventions give. Threads own bands of intermediate
// rows and the screen's rows, so the result does not depend on the thread count.
#include "shear_warp.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "vox/parallel.h"
#include "vox/pixel_type.h"

namespace vox::shear_warp {
namespace {

constexpr int kBrickShift = 3;  // the renderer's bricks: 8^3 cells
constexpr int kLutSize = 4096;
// Front-to-back compositing stops when a pixel is this opaque (as the ray caster).
constexpr float kOpaque = 0.996F;
constexpr std::int64_t kBand = 16;  // intermediate rows per task

// The frame's geometry in the principal axis' terms: k is the principal axis, a (the
// intermediate image's columns) and b (its rows) the others; 0, 1, 2 = x, y, z.
struct Plan {
    int k = 2;
    int a = 0;
    int b = 1;
    double ra = 0.0;  // shift of a per slice
    double rb = 0.0;
    double h = 1.0;           // distance between sample planes, in voxels along k
    std::int64_t planes = 0;  // sample planes at low[k] + j h
    bool increasing = true;   // rays travel towards +k (front to back = j ascending)
    double step_world = 1.0;  // distance between samples along a ray
    double a0 = 0.0;          // voxel a of intermediate column 0 on plane k = 0
    double b0 = 0.0;
    // Voxels per intermediate pixel along a and b (see make_plan()).
    double ga = 1.0;
    double gb = 1.0;
    std::int64_t columns = 0;  // intermediate image size
    std::int64_t rows = 0;
    // Screen pixel (i, j) sees intermediate point origin + i * along_i + j * along_j.
    std::array<double, 2> origin{};
    std::array<double, 2> along_i{};
    std::array<double, 2> along_j{};
};

Plan make_plan(const Frame& frame) {
    Plan plan;
    std::array<double, 3> d{};
    for (int i = 0; i < 3; ++i)
        d[std::size_t(i)] = frame.sign[std::size_t(i)] * frame.forward[std::size_t(i)] /
                            frame.spacing[std::size_t(i)];
    plan.k = 0;
    for (int i = 1; i < 3; ++i)
        if (std::abs(d[std::size_t(i)]) > std::abs(d[std::size_t(plan.k)])) plan.k = i;
    // Rows along x where possible: they are contiguous in memory.
    plan.a = plan.k == 0 ? 1 : 0;
    plan.b = plan.k == 2 ? 1 : 2;
    const auto k = std::size_t(plan.k);
    const auto a = std::size_t(plan.a);
    const auto b = std::size_t(plan.b);
    plan.ra = d[a] / d[k];
    plan.rb = d[b] / d[k];
    plan.increasing = d[k] > 0.0;
    const double finest = std::min({frame.spacing[0], frame.spacing[1], frame.spacing[2]});
    plan.h = frame.sample_distance * finest / frame.spacing[k] * (frame.preview ? 2.0 : 1.0);
    plan.step_world = plan.h / std::abs(d[k]);
    const double depth = frame.high[k] - frame.low[k];
    plan.planes = std::int64_t(std::floor(depth / plan.h + 1e-9)) + 1;
    const double lo_k = frame.low[k];
    const double hi_k = frame.high[k];
    plan.a0 = frame.low[a] - std::max(lo_k * plan.ra, hi_k * plan.ra);
    plan.b0 = frame.low[b] - std::max(lo_k * plan.rb, hi_k * plan.rb);
    const double pixel = frame.pixel * (frame.preview ? 2.0 : 1.0);
    // Voxels per intermediate pixel: 1 near the screen's resolution, finer (1 / r) for
    // pixels under 0.8 voxel, and the pixel's size for pixels over 1.25 voxels (a large
    // volume on a small screen, and previews): no finer than the rays would sample.
    const auto grid_step = [&](std::size_t axis) {
        const double voxels = pixel / frame.spacing[axis];
        if (voxels >= 1.25) return voxels;
        return 1.0 / std::clamp(std::ceil(1.0 / voxels - 0.25), 1.0, 8.0);
    };
    plan.ga = grid_step(a);
    plan.gb = grid_step(b);
    plan.columns = std::int64_t(std::ceil(
                       (frame.high[a] - frame.low[a] + std::abs(plan.ra) * depth) / plan.ga)) +
                   2;
    plan.rows = std::int64_t(std::ceil((frame.high[b] - frame.low[b] + std::abs(plan.rb) * depth) /
                                       plan.gb)) +
                2;
    // A screen point's ray, in voxel coordinates, crosses plane k = 0 at (P_a, P_b).
    const auto at = [&](double column, double row) {
        const double u = (column - double(frame.width) / 2.0) * frame.pixel;
        const double v = (double(frame.height) / 2.0 - row) * frame.pixel;
        std::array<double, 3> o{};
        for (std::size_t i = 0; i < 3; ++i) {
            const double world = u * frame.right[i] + v * frame.up[i];
            o[i] = frame.sign[i] * world / frame.spacing[i] + frame.centre[i];
        }
        return std::array<double, 2>{(o[a] - o[k] * plan.ra - plan.a0) / plan.ga,
                                     (o[b] - o[k] * plan.rb - plan.b0) / plan.gb};
    };
    plan.origin = at(0.5, 0.5);
    const auto right = at(1.5, 0.5);
    const auto down = at(0.5, 1.5);
    for (std::size_t i = 0; i < 2; ++i) {
        plan.along_i[i] = right[i] - plan.origin[i];
        plan.along_j[i] = down[i] - plan.origin[i];
    }
    return plan;
}

// Where a channel's voxels are, as slices along k of rows along a (contiguous).
template <typename T>
struct Layout {
    const T* base = nullptr;
    std::int64_t slice = 0;  // stride between slices
    std::int64_t row = 0;    // stride between rows
    std::int64_t nk = 1, nb = 1, na = 1;
};

#if defined(__SSE2__)
// Transposes an 8 x 8 block of 16-bit values: row r of `out` (stride out_stride) is
// column r of `in` (stride in_stride).
void transpose_8x8_u16(std::byte* out, std::int64_t out_stride, const std::byte* in,
                       std::int64_t in_stride) {
    __m128i r[8];
    for (int i = 0; i < 8; ++i)
        r[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i * in_stride));
    const __m128i a0 = _mm_unpacklo_epi16(r[0], r[1]);
    const __m128i a1 = _mm_unpackhi_epi16(r[0], r[1]);
    const __m128i a2 = _mm_unpacklo_epi16(r[2], r[3]);
    const __m128i a3 = _mm_unpackhi_epi16(r[2], r[3]);
    const __m128i a4 = _mm_unpacklo_epi16(r[4], r[5]);
    const __m128i a5 = _mm_unpackhi_epi16(r[4], r[5]);
    const __m128i a6 = _mm_unpacklo_epi16(r[6], r[7]);
    const __m128i a7 = _mm_unpackhi_epi16(r[6], r[7]);
    const __m128i b0 = _mm_unpacklo_epi32(a0, a2);
    const __m128i b1 = _mm_unpackhi_epi32(a0, a2);
    const __m128i b2 = _mm_unpacklo_epi32(a1, a3);
    const __m128i b3 = _mm_unpackhi_epi32(a1, a3);
    const __m128i b4 = _mm_unpacklo_epi32(a4, a6);
    const __m128i b5 = _mm_unpackhi_epi32(a4, a6);
    const __m128i b6 = _mm_unpacklo_epi32(a5, a7);
    const __m128i b7 = _mm_unpackhi_epi32(a5, a7);
    const __m128i c[8] = {_mm_unpacklo_epi64(b0, b4), _mm_unpackhi_epi64(b0, b4),
                          _mm_unpacklo_epi64(b1, b5), _mm_unpackhi_epi64(b1, b5),
                          _mm_unpacklo_epi64(b2, b6), _mm_unpackhi_epi64(b2, b6),
                          _mm_unpacklo_epi64(b3, b7), _mm_unpackhi_epi64(b3, b7)};
    for (int i = 0; i < 8; ++i)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i * out_stride), c[i]);
}
#endif

// out (x, z, y), y contiguous = in (z, y, x), x contiguous. Threads own slabs of x, so
// each writes a few sequential streams and reads every cache line of the input once.
template <typename T>
void transpose_to_x_major(T* out, const T* in, std::int64_t nx, std::int64_t ny, std::int64_t nz) {
    constexpr std::int64_t kSlab = 32;  // x per task: a 64-byte line of u16
    parallel_for(0, (nx + kSlab - 1) / kSlab, 1, [&](std::int64_t s_begin, std::int64_t s_end) {
        for (std::int64_t s = s_begin; s < s_end; ++s) {
            const std::int64_t x0 = s * kSlab;
            const std::int64_t x1 = std::min(nx, x0 + kSlab);
            for (std::int64_t z = 0; z < nz; ++z) {
                const T* plane = in + z * ny * nx;
                std::int64_t y = 0;
#if defined(__SSE2__)
                if constexpr (sizeof(T) == 2) {
                    for (; y + 8 <= ny; y += 8) {
                        std::int64_t x = x0;
                        for (; x + 8 <= x1; x += 8)
                            transpose_8x8_u16(
                                reinterpret_cast<std::byte*>(out + (x * nz + z) * ny + y),
                                nz * ny * 2, reinterpret_cast<const std::byte*>(plane + y * nx + x),
                                nx * 2);
                        for (; x < x1; ++x)
                            for (std::int64_t yy = y; yy < y + 8; ++yy)
                                out[(x * nz + z) * ny + yy] = plane[yy * nx + x];
                    }
                }
#endif
                for (; y < ny; y += 8) {
                    const std::int64_t y1 = std::min(ny, y + 8);
                    for (std::int64_t x = x0; x < x1; ++x)
                        for (std::int64_t yy = y; yy < y1; ++yy)
                            out[(x * nz + z) * ny + yy] = plane[yy * nx + x];
                }
            }
        }
    });
}

template <typename T>
Layout<T> layout_of(const Channel& channel, const Plan& plan) {
    const auto view = channel.voxels->view<T>();
    const std::int64_t nx = view.shape.x;
    const std::int64_t ny = view.shape.y;
    const std::int64_t nz = view.shape.z;
    Layout<T> layout;
    if (plan.k == 2) {
        layout = {view.origin, nx * ny, nx, nz, ny, nx};
    } else if (plan.k == 1) {
        layout = {view.origin, nx, nx * ny, ny, nz, nx};
    } else {
        // Slices along x: use (and build once) the x-major copy, (x, z, y), y contiguous.
        XMajorCache& cache = *channel.cache;
        const std::lock_guard lock(cache.mutex);
        if (cache.bytes == nullptr) {
            // Not value-initialised: every byte is written below.
            cache.bytes =
                std::make_unique_for_overwrite<std::byte[]>(std::size_t(nx * ny * nz) * sizeof(T));
            transpose_to_x_major(reinterpret_cast<T*>(cache.bytes.get()), view.origin, nx, ny, nz);
        }
        layout = {reinterpret_cast<const T*>(cache.bytes.get()), nz * ny, ny, nx, nz, ny};
    }
    return layout;
}

// Bilinear samples of two rows at columns a .. a + count - 1 (+ fa), all with a + 1 valid.
template <typename T>
void lerp_rows(float* out, const T* r0, const T* r1, std::int64_t count, float fa, float fb) {
#pragma omp simd
    for (std::int64_t i = 0; i < count; ++i) {
        const float top = float(r0[i]) + fa * (float(r0[i + 1]) - float(r0[i]));
        const float bottom = float(r1[i]) + fa * (float(r1[i + 1]) - float(r1[i]));
        out[i] = top + fb * (bottom - top);
    }
}

// Samples of two rows at the same columns, blended by fb: out[i] = r0[i] + fb (r1[i] - r0[i]).
template <typename T>
void lerp_pair(float* out, const T* r0, const T* r1, std::int64_t count, float fb) {
#pragma omp simd
    for (std::int64_t i = 0; i < count; ++i)
        out[i] = float(r0[i]) + fb * (float(r1[i]) - float(r0[i]));
}

float clamp_unit(float t) {
    return t > 0.0F ? (t < 1.0F ? t : 1.0F) : 0.0F;  // NaN -> 0
}

template <typename T>
void render_typed(const Channel& channel, const Frame& frame, RenderMode mode,
                  std::vector<Pixel>& pixels) {
    const Plan plan = make_plan(frame);
    const Layout<T> layout = layout_of<T>(channel, plan);
    const auto k = std::size_t(plan.k);
    const auto a = std::size_t(plan.a);
    const auto b = std::size_t(plan.b);
    const std::int64_t columns = plan.columns;
    const std::int64_t rows = plan.rows;
    const std::size_t count = std::size_t(columns * rows);

    // Rows of bricks (along a) per (brick k, brick b): the span of bricks that can
    // contribute, as cells [first, end) along a.
    const std::array<std::int64_t, 3> stride{1, channel.bricks[0],
                                             channel.bricks[0] * channel.bricks[1]};
    const std::int64_t bricks_k = channel.bricks[k];
    const std::int64_t bricks_b = channel.bricks[b];
    const std::int64_t bricks_a = channel.bricks[a];
    const float high_value = channel.scale < std::numeric_limits<float>::max()
                                 ? channel.low + 1.0F / channel.scale
                                 : channel.low;
    std::vector<std::array<std::int64_t, 2>> spans(std::size_t(bricks_k * bricks_b));
    for (std::int64_t ck = 0; ck < bricks_k; ++ck) {
        for (std::int64_t cb = 0; cb < bricks_b; ++cb) {
            std::int64_t first = -1;
            std::int64_t last = -2;
            for (std::int64_t ca = 0; ca < bricks_a; ++ca) {
                const auto brick = std::size_t(ck * stride[k] + cb * stride[b] + ca * stride[a]);
                bool skip = false;
                if (mode == RenderMode::mip) skip = channel.brick_max[brick] <= channel.low;
                if (mode == RenderMode::minip) skip = channel.brick_min[brick] > high_value;
                if (mode == RenderMode::dvr) skip = channel.skippable[brick] != 0;
                if (skip) continue;
                if (first < 0) first = ca;
                last = ca;
            }
            // The last brick also holds the clamped cell at the far edge.
            const std::int64_t end = last == bricks_a - 1 ? std::numeric_limits<std::int64_t>::max()
                                                          : (last + 1) << kBrickShift;
            spans[std::size_t(ck * bricks_b + cb)] =
                first < 0 ? std::array<std::int64_t, 2>{0, 0}
                          : std::array<std::int64_t, 2>{first << kBrickShift, end};
        }
    }

    // Per intermediate pixel: the interval of plane positions its ray keeps (box, clips),
    // then the accumulators.
    std::vector<float> keep_from(count);
    std::vector<float> keep_to(count);
    std::vector<Pixel> accumulated(count);

    // Voxel coordinate `axis` along the ray of intermediate pixel (m, n) at plane s is
    // base + slope * s.
    const auto base_of = [&](std::size_t axis, double m, double n) {
        return axis == k ? 0.0 : (axis == a ? plan.a0 + plan.ga * m : plan.b0 + plan.gb * n);
    };
    const auto slope_of = [&](std::size_t axis) {
        return axis == k ? 1.0 : (axis == a ? plan.ra : plan.rb);
    };

    const float low_value = channel.low;
    // MIP starts at the display's low (as the ray caster: darker maps to t = 0 too),
    // MinIP above its high (the finite value just above, so the warp can interpolate it).
    const float initial =
        mode == RenderMode::mip
            ? low_value
            : (mode == RenderMode::minip
                   ? std::nextafter(high_value, std::numeric_limits<float>::infinity())
                   : 0.0F);
    const int lut_last = kLutSize - 1;
    // DVR: values below this map to transparent LUT entries (-inf: none do).
    float transparent_below = -std::numeric_limits<float>::infinity();
    if (mode == RenderMode::dvr) {
        int first = 0;
        while (first < kLutSize && channel.lut[first][3] <= 0.0F)
            ++first;
        // Index i covers t in [(i - 0.5) / last, (i + 0.5) / last); stay one entry safe.
        if (first > 1 && channel.scale > 0.0F)
            transparent_below =
                low_value + (float(first - 1) - 0.5F) / float(lut_last) / channel.scale;
    }

    // The planes s in [low k, high k] where a ray keeps voxel coordinate `axis` (a or b)
    // inside the box, for intermediate column m or row n.
    const auto interval_along = [&](std::size_t axis, double m, double n) {
        double from = frame.low[k];
        double to = frame.high[k];
        const double base = base_of(axis, m, n);
        const double slope = slope_of(axis);
        if (slope == 0.0) {
            if (base < frame.low[axis] || base > frame.high[axis]) to = -1e300;
        } else {
            double enter = (frame.low[axis] - base) / slope;
            double leave = (frame.high[axis] - base) / slope;
            if (enter > leave) std::swap(enter, leave);
            from = std::max(from, enter);
            to = std::min(to, leave);
        }
        return std::array<double, 2>{from, to};
    };
    std::vector<std::array<double, 2>> column_intervals(static_cast<std::size_t>(columns));
    for (std::int64_t m = 0; m < columns; ++m)
        column_intervals[std::size_t(m)] = interval_along(a, double(m), 0.0);

    parallel_for(0, rows, kBand, [&](std::int64_t n_begin, std::int64_t n_end) {
        // The band's keep intervals (box per row and column, then the clip planes) and
        // accumulators.
        for (std::int64_t n = n_begin; n < n_end; ++n) {
            const auto row_interval = interval_along(b, 0.0, double(n));
            for (std::int64_t m = 0; m < columns; ++m) {
                const auto& column_interval = column_intervals[std::size_t(m)];
                double from = std::max(row_interval[0], column_interval[0]);
                double to = std::min(row_interval[1], column_interval[1]);
                for (const ClipPlane& clip : frame.clips) {
                    // Keep dot(p - point, normal) <= 0, linear in s: f0 + f1 s.
                    double f0 = 0.0;
                    double f1 = 0.0;
                    for (std::size_t axis = 0; axis < 3; ++axis) {
                        const double scale = frame.spacing[axis] * frame.sign[axis];
                        f0 += clip.normal[axis] *
                              ((base_of(axis, double(m), double(n)) - frame.centre[axis]) * scale -
                               clip.point[axis]);
                        f1 += clip.normal[axis] * slope_of(axis) * scale;
                    }
                    if (f1 == 0.0) {
                        if (f0 > 0.0) to = -1e300;
                    } else if (f1 > 0.0) {
                        to = std::min(to, -f0 / f1);
                    } else {
                        from = std::max(from, -f0 / f1);
                    }
                }
                const auto p = std::size_t(n * columns + m);
                if (from <= to) {
                    keep_from[p] = float(from);
                    keep_to[p] = float(to);
                } else {
                    keep_from[p] = std::numeric_limits<float>::infinity();
                    keep_to[p] = -std::numeric_limits<float>::infinity();
                }
                accumulated[p] = {initial, 0.0F, 0.0F, 0.0F};
            }
        }
        std::vector<float> values(std::size_t(columns) + 1);
        // Rows blended along b (and k): a whole row of voxels, or of columns.
        const std::size_t line_size = std::size_t(std::max(columns, layout.na)) + 1;
        std::vector<float> line(line_size);
        std::vector<float> further(line_size);
        // Refined columns: each one's voxel pair and weight on the current plane.
        const bool refined = plan.ga != 1.0;
        std::vector<std::int32_t> tap_first(refined ? std::size_t(columns) : 0);
        std::vector<std::int32_t> tap_second(refined ? std::size_t(columns) : 0);
        std::vector<float> tap_weight(refined ? std::size_t(columns) : 0);
        // Asks for the band's voxel rows of a later plane (both slices): the slices are far
        // apart in memory, so the hardware's prefetcher cannot guess them.
        const auto prefetch_rows = [&](std::int64_t later) {
#if defined(__GNUC__)
            const std::int64_t j = plan.increasing ? later : plan.planes - 1 - later;
            const double s = frame.low[k] + double(j) * plan.h;
            const std::int64_t z0 =
                std::clamp<std::int64_t>(std::int64_t(std::floor(s)), 0, layout.nk - 1);
            const double off_b = plan.b0 + s * plan.rb;
            const auto row_of = [&](std::int64_t n) {
                return std::clamp<std::int64_t>(
                    std::int64_t(std::floor(off_b + plan.gb * double(n))), 0, layout.nb - 1);
            };
            const std::int64_t row_low = row_of(n_begin);
            const std::int64_t row_high = std::min(row_of(n_end - 1) + 1, layout.nb - 1);
            const std::int64_t z_high = std::min(z0 + (double(z0) < s ? 1 : 0), layout.nk - 1);
            for (std::int64_t z = z0; z <= z_high; ++z) {
                for (std::int64_t row = row_low; row <= row_high; ++row) {
                    const T* voxels = layout.base + z * layout.slice + row * layout.row;
                    for (std::int64_t i = 0; i < layout.na; i += 64 / std::int64_t(sizeof(T)))
                        __builtin_prefetch(voxels + i);
                }
            }
#else
            (void)later;
#endif
        };
        for (std::int64_t step = 0; step < plan.planes; ++step) {
            const std::int64_t j = plan.increasing ? step : plan.planes - 1 - step;
            const double s = frame.low[k] + double(j) * plan.h;
            const auto sf = float(s);
            std::int64_t z0 =
                std::clamp<std::int64_t>(std::int64_t(std::floor(s)), 0, layout.nk - 1);
            float fz = float(s - double(z0));
            if (z0 >= layout.nk - 1 || fz < 1e-6F) fz = 0.0F;
            const std::int64_t z1 = std::min(z0 + 1, layout.nk - 1);
            const std::int64_t ck = std::min(z0 >> kBrickShift, bricks_k - 1);
            const double off_a = plan.a0 + s * plan.ra;
            const double off_b = plan.b0 + s * plan.rb;
            if (step + 1 < plan.planes) prefetch_rows(step + 1);
            const auto ia = std::int64_t(std::floor(off_a));
            const auto fa = float(off_a - double(ia));
            // Columns whose voxel a is inside the box.
            const std::int64_t m_low = std::max<std::int64_t>(
                0, std::int64_t(std::ceil((frame.low[a] - off_a) / plan.ga)));
            const std::int64_t m_high = std::min<std::int64_t>(
                columns - 1, std::int64_t(std::floor((frame.high[a] - off_a) / plan.ga)));
            if (refined) {
                // (int32 arithmetic, so that the loop vectorises)
                const auto last_voxel = std::int32_t(layout.na - 1);
                std::int32_t* first_of = tap_first.data();
                std::int32_t* second_of = tap_second.data();
                float* weight_of = tap_weight.data();
#pragma omp simd
                for (std::int64_t m = m_low; m <= m_high; ++m) {
                    double at = off_a + plan.ga * double(m);
                    at = at > 0.0 ? at : 0.0;
                    std::int32_t first = std::int32_t(at);
                    first = first < last_voxel ? first : last_voxel;
                    first_of[m] = first;
                    second_of[m] = first < last_voxel ? first + 1 : last_voxel;
                    weight_of[m] = float(at - double(first));
                }
            }
            for (std::int64_t n = n_begin; n < n_end; ++n) {
                const double bv = off_b + plan.gb * double(n);
                if (bv < frame.low[b] || bv > frame.high[b]) continue;
                const std::int64_t row0 =
                    std::clamp<std::int64_t>(std::int64_t(std::floor(bv)), 0, layout.nb - 1);
                const auto fb = float(bv - double(row0));
                const std::int64_t row1 = std::min(row0 + 1, layout.nb - 1);
                const std::int64_t cb = std::min(row0 >> kBrickShift, bricks_b - 1);
                const auto& span = spans[std::size_t(ck * bricks_b + cb)];
                if (span[1] <= span[0]) continue;
                // (and never left of voxel 0, whatever the rounding of m_low)
                const auto column_of = [&](std::int64_t cell) {
                    return std::int64_t(std::ceil((double(cell) - off_a) / plan.ga));
                };
                const std::int64_t m0 = std::max({m_low, column_of(span[0]), refined ? 0 : -ia});
                const std::int64_t m1 = span[1] == std::numeric_limits<std::int64_t>::max()
                                            ? m_high + 1
                                            : std::min(m_high + 1, column_of(span[1]));
                if (m1 <= m0) continue;
                // Columns m0 .. m_vector - 1 have both voxels a and a + 1; the rest (the far
                // edge) repeat the last voxel.
                const std::int64_t m_vector = std::clamp(layout.na - 1 - ia, m0, m1);
                const std::int64_t width = m1 - m0;
                float* v = values.data();
                if (refined) {
                    // Blend the rows (and slices) once over the voxels these columns use,
                    // vectorised, then interpolate each column within that line.
                    const std::int64_t first = tap_first[std::size_t(m0)];
                    const std::int64_t last = tap_second[std::size_t(m1 - 1)];
                    const std::int64_t span_voxels = last - first + 1;
                    const std::int64_t offset0 = z0 * layout.slice + first;
                    const T* r0 = layout.base + offset0 + row0 * layout.row;
                    const T* r1 = layout.base + offset0 + row1 * layout.row;
                    float* l = line.data();
                    lerp_pair(l, r0, r1, span_voxels, fb);
                    if (fz > 0.0F) {
                        const std::int64_t offset1 = z1 * layout.slice + first;
                        const T* s0 = layout.base + offset1 + row0 * layout.row;
                        const T* s1 = layout.base + offset1 + row1 * layout.row;
                        float* w = further.data();
                        lerp_pair(w, s0, s1, span_voxels, fb);
#pragma omp simd
                        for (std::int64_t i = 0; i < span_voxels; ++i)
                            l[i] += fz * (w[i] - l[i]);
                    }
                    const std::int32_t* i0 = tap_first.data() + m0;
                    const std::int32_t* i1 = tap_second.data() + m0;
                    const float* tw = tap_weight.data() + m0;
                    const auto shift = std::int32_t(first);
                    for (std::int64_t i = 0; i < width; ++i) {
                        const float left = l[i0[i] - shift];
                        v[i] = left + tw[i] * (l[i1[i] - shift] - left);
                    }
                } else {
                    const auto fill = [&](float* out, std::int64_t slice) {
                        const T* r0 = layout.base + slice * layout.slice + row0 * layout.row;
                        const T* r1 = layout.base + slice * layout.slice + row1 * layout.row;
                        lerp_rows(out, r0 + ia + m0, r1 + ia + m0, m_vector - m0, fa, fb);
                        for (std::int64_t m = m_vector; m < m1; ++m) {
                            const std::int64_t at = std::min(ia + m, layout.na - 1);
                            out[m - m0] = float(r0[at]) + fb * (float(r1[at]) - float(r0[at]));
                        }
                    };
                    fill(v, z0);
                    if (fz > 0.0F) {
                        fill(further.data(), z1);
                        const float* w = further.data();
#pragma omp simd
                        for (std::int64_t i = 0; i < width; ++i)
                            v[i] += fz * (w[i] - v[i]);
                    }
                }
                const std::size_t row_start = std::size_t(n * columns + m0);
                const float* from = keep_from.data() + row_start;
                const float* to = keep_to.data() + row_start;
                Pixel* acc = accumulated.data() + row_start;
                if (mode == RenderMode::mip) {
                    for (std::int64_t i = 0; i < width; ++i) {
                        const bool keep = sf >= from[i] && sf <= to[i];
                        acc[i][0] = keep && v[i] > acc[i][0] ? v[i] : acc[i][0];
                    }
                } else if (mode == RenderMode::minip) {
                    for (std::int64_t i = 0; i < width; ++i) {
                        const bool keep = sf >= from[i] && sf <= to[i];
                        acc[i][0] = keep && v[i] < acc[i][0] ? v[i] : acc[i][0];
                    }
                } else if (mode == RenderMode::average) {
                    for (std::int64_t i = 0; i < width; ++i) {
                        const float keep = sf >= from[i] && sf <= to[i] ? 1.0F : 0.0F;
                        acc[i][0] += keep * v[i];
                        acc[i][1] += keep;
                    }
                } else {
                    const std::array<float, 4>* lut = channel.lut;
                    for (std::int64_t i = 0; i < width; ++i) {
                        // Transparent values (most of the background) add nothing.
                        if (v[i] < transparent_below || acc[i][3] >= kOpaque ||
                            !(sf >= from[i] && sf <= to[i]))
                            continue;
                        const float t = clamp_unit((v[i] - low_value) * channel.scale);
                        const auto& entry = lut[int(t * float(lut_last) + 0.5F)];
                        const float remaining = 1.0F - acc[i][3];
#if defined(__SSE2__)
                        const __m128 sum = _mm_add_ps(
                            _mm_loadu_ps(acc[i].data()),
                            _mm_mul_ps(_mm_set1_ps(remaining), _mm_loadu_ps(entry.data())));
                        _mm_storeu_ps(acc[i].data(), sum);
#else
                        for (std::size_t c = 0; c < 4; ++c)
                            acc[i][c] += remaining * entry[c];
#endif
                    }
                }
            }
        }
        // Value modes keep (value, coverage); DVR its premultiplied colour.
        if (mode != RenderMode::dvr) {
            for (std::int64_t n = n_begin; n < n_end; ++n) {
                for (std::int64_t m = 0; m < columns; ++m) {
                    const auto p = std::size_t(n * columns + m);
                    Pixel& acc = accumulated[p];
                    const bool covered = keep_from[p] <= keep_to[p];
                    float value = acc[0];
                    if (mode == RenderMode::average)
                        value = acc[1] > 0.0F ? acc[0] / acc[1] : low_value;
                    acc = {covered ? value : 0.0F, covered ? 1.0F : 0.0F, 0.0F, 0.0F};
                }
            }
        }
    });

    // The warp: each screen pixel samples the intermediate image bilinearly (outside it:
    // nothing). Value modes interpolate values over the covered taps, then map them.
    const ResolvedChannel& display = *channel.display;
    parallel_for(0, frame.height, 8, [&](std::int64_t j_begin, std::int64_t j_end) {
        for (std::int64_t j = j_begin; j < j_end; ++j) {
            for (std::int64_t i = 0; i < frame.width; ++i) {
                const double mf =
                    plan.origin[0] + double(i) * plan.along_i[0] + double(j) * plan.along_j[0];
                const double nf =
                    plan.origin[1] + double(i) * plan.along_i[1] + double(j) * plan.along_j[1];
                if (!(mf > -1.0 && nf > -1.0 && mf < double(columns) && nf < double(rows)))
                    continue;
                const auto m = std::int64_t(std::floor(mf));
                const auto n = std::int64_t(std::floor(nf));
                const auto wm = float(mf - double(m));
                const auto wn = float(nf - double(n));
                Pixel sum{0.0F, 0.0F, 0.0F, 0.0F};
                for (int tap = 0; tap < 4; ++tap) {
                    const std::int64_t tm = m + (tap & 1);
                    const std::int64_t tn = n + (tap >> 1);
                    if (tm < 0 || tn < 0 || tm >= columns || tn >= rows) continue;
                    const float weight =
                        ((tap & 1) ? wm : 1.0F - wm) * ((tap >> 1) ? wn : 1.0F - wn);
                    const Pixel& source = accumulated[std::size_t(tn * columns + tm)];
                    if (mode == RenderMode::dvr) {
                        for (std::size_t c = 0; c < 4; ++c)
                            sum[c] += weight * source[c];
                    } else {
                        sum[0] += weight * source[1] * source[0];
                        sum[1] += weight * source[1];
                    }
                }
                Pixel add = sum;
                if (mode != RenderMode::dvr) {
                    if (!(sum[1] > 0.0F)) continue;
                    const float value = sum[0] / sum[1];
                    float t = clamp_unit((value - low_value) * channel.scale);
                    if (channel.gamma != 1.0F) t = std::pow(t, channel.gamma);
                    const auto colour = display.colormap->at(t);
                    const float alpha = std::min(1.0F, sum[1]);
                    add = {alpha * float(colour[0]) / 255.0F, alpha * float(colour[1]) / 255.0F,
                           alpha * float(colour[2]) / 255.0F, alpha};
                }
                Pixel& out = pixels[std::size_t(j * frame.width + i)];
                for (std::size_t c = 0; c < 3; ++c)
                    out[c] += add[c];
                out[3] = std::max(out[3], add[3]);
            }
        }
    });
}

}  // namespace

bool applies(const RenderOptions& options) {
    if (options.camera.projection != ProjectionKind::orthographic) return false;
    switch (options.mode) {
        case RenderMode::mip:
        case RenderMode::minip:
        case RenderMode::average:
            return true;
        case RenderMode::dvr:
            return !options.shading;
        case RenderMode::isosurface:
            return false;
    }
    return false;
}

double sample_step(const Frame& frame) {
    return make_plan(frame).step_world;
}

bool preferred(const Frame& frame, RenderMode mode) {
    // The finer and unit grids sample as the rays do. The coarse one (pixels over 1.25
    // voxels) blends each slice's rows once and is then ~2x faster than the rays, but its
    // MinIP differs from theirs when planes fall between slices (p99 up to 200 levels at
    // 0.7-voxel steps; not yet understood), so MinIP keeps the rays there.
    const Plan plan = make_plan(frame);
    const bool coarse = plan.ga > 1.0 || plan.gb > 1.0;
    return frame.preview || !coarse || mode != RenderMode::minip;
}

bool worthwhile(const Frame& frame) {
    const Plan plan = make_plan(frame);
    return double(plan.columns) * double(plan.rows) <=
           4.0 * double(frame.width) * double(frame.height) + 65536.0;
}

void render_channel(const Channel& channel, const Frame& frame, RenderMode mode,
                    std::vector<Pixel>& pixels) {
    visit(channel.voxels->pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        render_typed<T>(channel, frame, mode, pixels);
    });
}

}  // namespace vox::shear_warp
