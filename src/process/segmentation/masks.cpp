// Masks: cv2.inRange and skimage's `image > threshold`.
#include <fmt/format.h>

#include <cmath>

#include "common.h"
#include "vox/segmentation.h"

namespace vox {

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
        parallel_for(0, shape.z, 1, [&](std::int64_t z0, std::int64_t z1) {
            for (std::int64_t z = z0; z < z1; ++z) {
                for (std::int64_t y = 0; y < shape.y; ++y) {
                    std::uint8_t* o = dst.row(z, y);
                    // OpenCV ANDs the channels: a voxel is in range when every channel is.
                    for (std::int64_t c = 0; c < shape.c; ++c) {
                        const T* in = src.row(z, y, c);
                        const std::int64_t s = src.strides[2];
                        for (std::int64_t x = 0; x < shape.x; ++x) {
                            const double v = double(in[x * s]);
                            const std::uint8_t hit = (v >= low && v <= high) ? 255 : 0;
                            o[x] = c == 0 ? hit : std::uint8_t(o[x] & hit);
                        }
                    }
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
        parallel_for(0, shape.z * shape.c, 1, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t plane = begin; plane < end; ++plane) {
                const std::int64_t c = plane / shape.z;
                const std::int64_t z = plane % shape.z;
                for (std::int64_t y = 0; y < shape.y; ++y) {
                    const T* in = src.row(z, y, c);
                    const std::int64_t s = src.strides[2];
                    std::uint8_t* o = dst.row(z, y, c);
                    for (std::int64_t x = 0; x < shape.x; ++x)
                        o[x] = double(in[x * s]) > level;
                }
            }
        });
    });
    return out;
}

}  // namespace vox
