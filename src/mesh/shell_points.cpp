// voxscope: the slice-stack shell of a thresholded volume as a point cloud.
//
// Three passes over bit masks (one bit per voxel, rows padded to 64-bit words):
// 1. per plane, the in-range mask (after an optional bilinear resize);
// 2. per plane, the shell: m & ~(left & right & up & down & prev & next), zero outside;
// 3. the shell transposed to x-major, z-fastest words (64x64 bit-matrix transposes), so
//    the points come out already in numpy.unique's order (x, then y, then z) without a
//    comparison sort: count per column x, prefix sum, then each column writes its points.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "vox/error.h"
#include "vox/parallel.h"
#include "vox/point_cloud.h"

namespace vox {
namespace {

using Word = std::uint64_t;

// Transposes a 64x64 bit matrix in place: afterwards bit k of a[b] is what bit b of a[k]
// was. The recursive block swap from Henry S. Warren, "Hacker's Delight", 7-3, written
// for least-significant-bit-first columns.
void transpose_64(Word* a) {
    Word mask = 0x00000000FFFFFFFFull;
    for (int j = 32; j != 0; j >>= 1, mask ^= mask << j) {
        for (int k = 0; k < 64; k = ((k | j) + 1) & ~j) {
            const Word t = ((a[k] >> j) ^ a[k | j]) & mask;
            a[k] ^= t << j;
            a[k | j] ^= t;
        }
    }
}

// 64 bytes of 0 or 1 as one word, byte i to bit i: a multiply gathers 8 bytes' low bits into
// the top byte (bit 56 + i), no two partial products overlapping, so there is no carry.
Word pack_flags(const std::uint8_t* flags) {
    static_assert(std::endian::native == std::endian::little, "byte i is the low byte");
    Word bits = 0;
    for (int k = 0; k < 8; ++k) {
        Word eight;
        std::memcpy(&eight, flags + 8 * k, 8);
        bits |= ((eight * 0x0102040810204080ull) >> 56) << (8 * k);
    }
    return bits;
}

// Where the volume's values enter the mask: integers compare exactly against the bounds
// rounded inwards; floats compare in their own type, as cv2.inRange converts its bounds.
template <typename T>
struct Range {
    T lower{};
    T upper{};
    bool empty = false;

    Range(double low, double high) {
        if constexpr (std::is_floating_point_v<T>) {
            lower = T(low);
            upper = T(high);
        } else {
            const double min = double(std::numeric_limits<T>::lowest());
            const double max = double(std::numeric_limits<T>::max());
            const double low_int = std::ceil(low);
            const double high_int = std::floor(high);
            empty = low_int > high_int || low_int > max || high_int < min;
            lower = T(std::clamp(low_int, min, max));
            upper = T(std::clamp(high_int, min, max));
        }
    }
    bool contains(T value) const { return (lower <= value) & (value <= upper); }
};

// Bilinear sample positions along one axis, as cv2.resize INTER_LINEAR computes them
// (half-pixel centres, source index clamped at the borders, no antialiasing).
struct Taps {
    std::vector<std::int64_t> index;
    std::vector<float> weight;  // of index + 1
};

Taps linear_taps(std::int64_t source, std::int64_t target) {
    Taps taps;
    taps.index.resize(std::size_t(target));
    taps.weight.resize(std::size_t(target));
    const double scale = double(source) / double(target);
    for (std::int64_t i = 0; i < target; ++i) {
        float position = float((double(i) + 0.5) * scale - 0.5);
        auto base = std::int64_t(std::floor(position));
        float fraction = position - float(base);
        if (base < 0) {
            base = 0;
            fraction = 0.0f;
        }
        if (base >= source - 1) {
            base = source - 1;
            fraction = 0.0f;
        }
        taps.index[std::size_t(i)] = base;
        taps.weight[std::size_t(i)] = fraction;
    }
    return taps;
}

// The value a resize writes: integers rounded and saturated as cv2's saturate_cast.
template <typename T>
T store(double value) {
    if constexpr (std::is_floating_point_v<T>) {
        return T(value);
    } else {
        // A convex combination of T values is in T's range; the clamp guards rounding.
        // Half away from zero by truncation: no libm call in the loop.
        const double clamped = std::clamp(value, double(std::numeric_limits<T>::lowest()),
                                          double(std::numeric_limits<T>::max()));
        return T(std::int64_t(clamped + (clamped >= 0.0 ? 0.5 : -0.5)));
    }
}

struct Grid {
    std::int64_t planes = 0;
    std::int64_t rows = 0;
    std::int64_t columns = 0;
    std::int64_t words = 0;  // per row
};

template <typename T>
void build_mask(const Volume& volume, const ShellOptions& options, const Grid& grid,
                std::vector<Word>& mask) {
    const VolumeView<const T> view = volume.view<T>();
    const Range<T> range(options.lower, options.upper);
    if (range.empty) return;  // mask stays all zero
    const std::int64_t plane_words = grid.rows * grid.words;
    if (!options.resize) {
        parallel_for(0, grid.planes, 1, [&](std::int64_t z0, std::int64_t z1) {
            for (std::int64_t z = z0; z < z1; ++z) {
                for (std::int64_t y = 0; y < grid.rows; ++y) {
                    const T* row = view.row(z, y);
                    const std::int64_t step = view.strides[2];
                    Word* out = mask.data() + z * plane_words + y * grid.words;
                    for (std::int64_t w = 0; w < grid.words; ++w) {
                        const std::int64_t x0 = w * 64;
                        const std::int64_t count = std::min<std::int64_t>(64, grid.columns - x0);
                        // Bytes first (the compare vectorises), then packed 8 at a time.
                        alignas(8) std::uint8_t flags[64] = {};
                        if (step == 1) {
                            for (std::int64_t i = 0; i < count; ++i)
                                flags[i] = std::uint8_t(range.contains(row[x0 + i]));
                        } else {
                            for (std::int64_t i = 0; i < count; ++i)
                                flags[i] = std::uint8_t(range.contains(row[(x0 + i) * step]));
                        }
                        out[w] = pack_flags(flags);
                    }
                }
            }
        });
        return;
    }
    const Taps rows = linear_taps(volume.shape().y, grid.rows);
    const Taps columns = linear_taps(volume.shape().x, grid.columns);
    parallel_for(0, grid.planes, 1, [&](std::int64_t z0, std::int64_t z1) {
        for (std::int64_t z = z0; z < z1; ++z) {
            for (std::int64_t r = 0; r < grid.rows; ++r) {
                const std::int64_t sy = rows.index[std::size_t(r)];
                const double fy = rows.weight[std::size_t(r)];
                const T* top = view.row(z, sy);
                const T* bottom = view.row(z, std::min(sy + 1, volume.shape().y - 1));
                const std::int64_t step = view.strides[2];
                Word* out = mask.data() + z * plane_words + r * grid.words;
                for (std::int64_t c = 0; c < grid.columns; ++c) {
                    const std::int64_t sx = columns.index[std::size_t(c)];
                    const std::int64_t sx1 = std::min(sx + 1, volume.shape().x - 1);
                    const double fx = columns.weight[std::size_t(c)];
                    const double upper_value =
                        double(top[sx * step]) * (1.0 - fx) + double(top[sx1 * step]) * fx;
                    const double lower_value =
                        double(bottom[sx * step]) * (1.0 - fx) + double(bottom[sx1 * step]) * fx;
                    const T value = store<T>(upper_value * (1.0 - fy) + lower_value * fy);
                    out[c / 64] |= Word(range.contains(value)) << (c % 64);
                }
            }
        }
    });
}

}  // namespace

PointCloud shell_points(const Volume& volume, const ShellOptions& options) {
    if (volume.shape().c != 1) {
        throw ValueError(
            fmt::format("shell_points: the volume has {} channels: choose one", volume.shape().c));
    }
    if (!(options.lower <= options.upper)) {
        throw ValueError(fmt::format("shell_points: the range {:g}:{:g} is empty (lower > upper)",
                                     options.lower, options.upper));
    }
    if (options.resize && ((*options.resize)[0] < 1 || (*options.resize)[1] < 1)) {
        throw ValueError(fmt::format("shell_points: resize extent {}x{} is not positive",
                                     (*options.resize)[0], (*options.resize)[1]));
    }
    if (options.slice_thickness &&
        !(*options.slice_thickness > 0.0 && std::isfinite(*options.slice_thickness))) {
        throw ValueError(fmt::format("shell_points: slice thickness {:g} is not positive",
                                     *options.slice_thickness));
    }
    if (options.xy_scale && !(*options.xy_scale > 0.0 && std::isfinite(*options.xy_scale))) {
        throw ValueError(
            fmt::format("shell_points: xy scale {:g} is not positive", *options.xy_scale));
    }

    const Shape& shape = volume.shape();
    const Spacing& spacing = volume.spacing();
    PointCloud cloud;
    if (!options.slice_thickness && !options.xy_scale && spacing.known) cloud.unit = spacing.unit;
    if (shape.voxels() == 0) return cloud;

    Grid grid;
    grid.planes = shape.z;
    grid.rows = options.resize ? (*options.resize)[0] : shape.y;
    grid.columns = options.resize ? (*options.resize)[1] : shape.x;
    grid.words = (grid.columns + 63) / 64;
    const double scale_z = options.slice_thickness.value_or(spacing.zyx[0]);
    const double scale_y =
        options.xy_scale.value_or(spacing.zyx[1] * double(shape.y) / double(grid.rows));
    const double scale_x =
        options.xy_scale.value_or(spacing.zyx[2] * double(shape.x) / double(grid.columns));

    // Points are 32-bit floats: a scale they cannot hold would put every point at 0 or inf.
    for (const auto& [scale, extent, what] :
         {std::tuple{scale_z, grid.planes, "plane distance"},
          std::tuple{scale_y, grid.rows, "row distance"},
          std::tuple{scale_x, grid.columns, "column distance"}}) {
        const double last = scale * double(extent - 1);
        if (scale < double(std::numeric_limits<float>::min()) ||
            last > double(std::numeric_limits<float>::max())) {
            throw ValueError(
                fmt::format("shell_points: a {} of {:g} does not fit 32-bit float "
                            "coordinates",
                            what, scale));
        }
    }
    const std::int64_t plane_words = grid.rows * grid.words;
    // The mask and the shell are alive together, then the shell and its transpose.
    checked_allocation(
        {grid.planes, plane_words, 2 * std::int64_t(sizeof(Word))},
        fmt::format("the shell of {} planes of {}x{}", grid.planes, grid.rows, grid.columns));
    std::vector<Word> mask(std::size_t(grid.planes * plane_words), 0);
    visit(volume.pixel_type(), [&](auto type) {
        build_mask<typename decltype(type)::type>(volume, options, grid, mask);
    });

    // Shell bits: a mask voxel with any of its 6 neighbours outside the mask or the volume.
    std::vector<Word> shell(mask.size());
    parallel_for(0, grid.planes, 1, [&](std::int64_t z0, std::int64_t z1) {
        for (std::int64_t z = z0; z < z1; ++z) {
            const Word* plane = mask.data() + z * plane_words;
            const Word* previous = z > 0 ? plane - plane_words : nullptr;
            const Word* next = z + 1 < grid.planes ? plane + plane_words : nullptr;
            for (std::int64_t y = 0; y < grid.rows; ++y) {
                const Word* row = plane + y * grid.words;
                const Word* up = y > 0 ? row - grid.words : nullptr;
                const Word* down = y + 1 < grid.rows ? row + grid.words : nullptr;
                Word* out = shell.data() + z * plane_words + y * grid.words;
                for (std::int64_t w = 0; w < grid.words; ++w) {
                    const Word m = row[w];
                    // Padding bits past the last column are zero: "outside" on the right.
                    const Word left = (m << 1) | (w > 0 ? row[w - 1] >> 63 : 0);
                    const Word right = (m >> 1) | (w + 1 < grid.words ? row[w + 1] << 63 : 0);
                    Word inside = left & right;
                    inside &= up ? up[w] : 0;
                    inside &= down ? down[w] : 0;
                    inside &= previous ? previous[y * grid.words + w] : 0;
                    inside &= next ? next[y * grid.words + w] : 0;
                    out[w] = m & ~inside;
                }
            }
        }
    });
    std::vector<Word>().swap(mask);

    // Transposed shell: for column x and row y, the z bits in words of 64 planes.
    const std::int64_t z_words = (grid.planes + 63) / 64;
    const std::int64_t column_words = grid.rows * z_words;
    std::vector<Word> transposed(
        std::size_t(checked_product({grid.columns, column_words}, "shell_points columns")));
    parallel_for(0, grid.rows * grid.words, 16, [&](std::int64_t i0, std::int64_t i1) {
        Word block[64];
        for (std::int64_t i = i0; i < i1; ++i) {
            const std::int64_t y = i / grid.words;
            const std::int64_t w = i % grid.words;
            for (std::int64_t zw = 0; zw < z_words; ++zw) {
                for (std::int64_t k = 0; k < 64; ++k) {
                    const std::int64_t z = zw * 64 + k;
                    block[k] = z < grid.planes
                                   ? shell[std::size_t(z * plane_words + y * grid.words + w)]
                                   : 0;
                }
                transpose_64(block);
                const std::int64_t bits = std::min<std::int64_t>(64, grid.columns - w * 64);
                for (std::int64_t b = 0; b < bits; ++b) {
                    transposed[std::size_t((w * 64 + b) * column_words + y * z_words + zw)] =
                        block[b];
                }
            }
        }
    });
    std::vector<Word>().swap(shell);

    std::vector<std::int64_t> offsets(std::size_t(grid.columns) + 1, 0);
    parallel_for(0, grid.columns, 8, [&](std::int64_t x0, std::int64_t x1) {
        for (std::int64_t x = x0; x < x1; ++x) {
            const Word* column = transposed.data() + x * column_words;
            std::int64_t count = 0;
            for (std::int64_t i = 0; i < column_words; ++i)
                count += std::popcount(column[i]);
            offsets[std::size_t(x) + 1] = count;
        }
    });
    for (std::size_t x = 1; x < offsets.size(); ++x)
        offsets[x] += offsets[x - 1];

    checked_allocation({offsets.back(), std::int64_t(sizeof(cloud.positions[0]))},
                       fmt::format("a point cloud of {} points", offsets.back()));
    cloud.positions.resize(std::size_t(offsets.back()));
    // Coordinates in double, then float, as the tutorial scales numpy integers by a Python
    // float before astype(np.float32).
    parallel_for(0, grid.columns, 8, [&](std::int64_t x0, std::int64_t x1) {
        for (std::int64_t x = x0; x < x1; ++x) {
            const Word* column = transposed.data() + x * column_words;
            std::array<float, 3>* out = cloud.positions.data() + offsets[std::size_t(x)];
            const auto px = float(double(x) * scale_x);
            for (std::int64_t y = 0; y < grid.rows; ++y) {
                const auto py = float(double(y) * scale_y);
                for (std::int64_t zw = 0; zw < z_words; ++zw) {
                    for (Word bits = column[y * z_words + zw]; bits != 0; bits &= bits - 1) {
                        const std::int64_t z = zw * 64 + std::countr_zero(bits);
                        *out++ = {px, py, float(double(z) * scale_z)};
                    }
                }
            }
        }
    });
    return cloud;
}

}  // namespace vox
