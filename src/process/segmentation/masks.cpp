// Masks: cv2.inRange and skimage's `image > threshold`.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "common.h"
#include "dispatch.h"
#include "vox/segmentation.h"

namespace vox {
namespace {

// v as the float type T, beyond T's finite range as an infinity (a plain conversion of such
// a double to float is undefined).
template <typename T>
T to_float(double v) {
    if (v > double(std::numeric_limits<T>::max())) return std::numeric_limits<T>::infinity();
    if (v < double(std::numeric_limits<T>::lowest())) return -std::numeric_limits<T>::infinity();
    return T(v);
}

// The values of T inside [low, high], as [first, last] in T: an integer voxel v holds
// low <= v <= high exactly when ceil(low) <= v <= floor(high), and a float voxel when it
// lies between the floats nearest the bounds on their inside. Comparing in T instead of
// double lets the row loops compare 16 or 32 voxels per instruction. False when no value
// of T is inside.
template <typename T>
bool bounds_in_type(double low, double high, T& first, T& last) {
    if constexpr (std::is_integral_v<T>) {
        const double lo = std::max(std::ceil(low), double(std::numeric_limits<T>::lowest()));
        const double hi = std::min(std::floor(high), double(std::numeric_limits<T>::max()));
        if (!(lo <= hi)) return false;
        first = T(lo);
        last = T(hi);
    } else {
        constexpr T kInfinity = std::numeric_limits<T>::infinity();
        first = to_float<T>(low);
        if (double(first) < low) first = std::nextafter(first, kInfinity);
        last = to_float<T>(high);
        if (double(last) > high) last = std::nextafter(last, -kInfinity);
        if (!(first <= last)) return false;
    }
    return true;
}

// One row of a channel into the mask: 255 where first <= v <= last, ANDed into the row when
// an earlier channel wrote it. Comparisons are exact in any ISA, so the AVX2 clone cannot
// change a result.
template <typename T>
VOX_AVX2_CLONE void in_range_row(const T* in, std::int64_t stride, std::int64_t n, T first, T last,
                                 bool and_with_row, std::uint8_t* out) {
    const auto hit = [&](T v) -> std::uint8_t { return ((v >= first) & (v <= last)) ? 255 : 0; };
    if (stride == 1 && !and_with_row) {
        for (std::int64_t x = 0; x < n; ++x)
            out[x] = hit(in[x]);
    } else if (stride == 1) {
        for (std::int64_t x = 0; x < n; ++x)
            out[x] &= hit(in[x]);
    } else {
        for (std::int64_t x = 0; x < n; ++x)
            out[x] =
                and_with_row ? std::uint8_t(out[x] & hit(in[x * stride])) : hit(in[x * stride]);
    }
}

// One row of `v > level` as 0/1: v >= first, first being the smallest value of T above level.
template <typename T>
VOX_AVX2_CLONE void above_row(const T* in, std::int64_t stride, std::int64_t n, T first,
                              std::uint8_t* out) {
    if (stride == 1) {
        for (std::int64_t x = 0; x < n; ++x)
            out[x] = in[x] >= first;
    } else {
        for (std::int64_t x = 0; x < n; ++x)
            out[x] = in[x * stride] >= first;
    }
}

enum class Above { none, all, some };

// Which values of T are above level: none (also for a NaN level), all (an integer type whose
// every value is), or those >= first.
template <typename T>
Above smallest_above(double level, T& first) {
    if (std::isnan(level)) return Above::none;
    if constexpr (std::is_integral_v<T>) {
        const double lowest = std::floor(level) + 1.0;
        if (lowest > double(std::numeric_limits<T>::max())) return Above::none;
        if (lowest <= double(std::numeric_limits<T>::lowest())) return Above::all;
        first = T(lowest);
    } else {
        if (level >= double(std::numeric_limits<T>::max())) {
            // Only +inf is above; a level of +inf itself has nothing above it.
            if (std::isinf(level)) return Above::none;
            first = std::numeric_limits<T>::infinity();
            return Above::some;
        }
        first = to_float<T>(level);
        if (double(first) <= level)
            first = std::nextafter(first, std::numeric_limits<T>::infinity());
    }
    return Above::some;
}

}  // namespace

Volume in_range(const Volume& volume, double low, double high) {
    if (std::isnan(low) || std::isnan(high)) {
        throw ValueError(
            fmt::format("in_range bounds must not be NaN, got low {} and high {}", low, high));
    }
    if (low > high) {
        throw ValueError(
            fmt::format("low must not be greater than high, got low {} and high {}", low, high));
    }
    const Shape& shape = volume.shape();
    Volume out =
        Volume::allocate({shape.z, shape.y, shape.x, 1}, PixelType::u8, Volume::Fill::none);
    segmentation_detail::copy_geometry(volume, out);
    const auto dst = out.mutable_view<std::uint8_t>();
    visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const auto src = volume.view<T>();
        T first{};
        T last{};
        const bool any = bounds_in_type(low, high, first, last);
        parallel_for(0, shape.z, 1, [&](std::int64_t z0, std::int64_t z1) {
            for (std::int64_t z = z0; z < z1; ++z) {
                for (std::int64_t y = 0; y < shape.y; ++y) {
                    std::uint8_t* o = dst.row(z, y);
                    if (!any) {
                        std::fill_n(o, shape.x, std::uint8_t(0));
                        continue;
                    }
                    // OpenCV ANDs the channels: a voxel is in range when every channel is.
                    for (std::int64_t c = 0; c < shape.c; ++c)
                        in_range_row(src.row(z, y, c), src.strides[2], shape.x, first, last, c > 0,
                                     o);
                }
            }
        });
    });
    return out;
}

Volume threshold(const Volume& volume, double level) {
    const Shape& shape = volume.shape();
    Volume out = Volume::allocate(shape, PixelType::u8, Volume::Fill::none);
    segmentation_detail::copy_geometry(volume, out);
    out.set_channel_names(volume.channel_names());
    const auto dst = out.mutable_view<std::uint8_t>();
    visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const auto src = volume.view<T>();
        T first{};
        Above above = smallest_above(level, first);
        if (above == Above::all) {
            above = Above::some;
            first = std::numeric_limits<T>::lowest();
        }
        parallel_for(0, shape.z * shape.c, 1, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t plane = begin; plane < end; ++plane) {
                const std::int64_t c = plane / shape.z;
                const std::int64_t z = plane % shape.z;
                for (std::int64_t y = 0; y < shape.y; ++y) {
                    std::uint8_t* o = dst.row(z, y, c);
                    if (above == Above::none)
                        std::fill_n(o, shape.x, std::uint8_t(0));
                    else
                        above_row(src.row(z, y, c), src.strides[2], shape.x, first, o);
                }
            }
        });
    });
    return out;
}

}  // namespace vox
