// Cube median filter reproducing scipy.ndimage.median_filter(size=2r+1, mode='nearest').
#include <algorithm>
#include <string>
#include <vector>

#include "common.h"
#include "vox/filters.h"
#include "vox/parallel.h"

namespace vox {
namespace {

// Clamped source indices for offsets -r..r around every position: 'nearest' edges.
std::vector<std::int64_t> clamped_offsets(std::int64_t n, std::int64_t r) {
    std::vector<std::int64_t> table(static_cast<std::size_t>(n * (2 * r + 1)));
    for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t d = -r; d <= r; ++d) {
            table[std::size_t(i * (2 * r + 1) + d + r)] = std::clamp<std::int64_t>(i + d, 0, n - 1);
        }
    }
    return table;
}

template <typename T>
void median_channel(const VolumeView<const T>& in, const VolumeView<T>& out, std::int64_t r) {
    const Shape& shape = in.shape;
    const std::int64_t side = 2 * r + 1;
    const std::vector<std::int64_t> zs = clamped_offsets(shape.z, r);
    const std::vector<std::int64_t> ys = clamped_offsets(shape.y, r);
    const std::vector<std::int64_t> xs = clamped_offsets(shape.x, r);
    const std::int64_t rank = side * side * side / 2;  // scipy: rank = size // 2
    // One item per (channel, plane, row): enough items to balance, cheap to index.
    parallel_for(0, shape.c * shape.z * shape.y, 8, [&](std::int64_t begin, std::int64_t end) {
        std::vector<T> window(static_cast<std::size_t>(side * side * side));
        std::vector<const T*> rows(static_cast<std::size_t>(side * side));
        for (std::int64_t item = begin; item < end; ++item) {
            const std::int64_t c = item / (shape.z * shape.y);
            const std::int64_t z = (item / shape.y) % shape.z;
            const std::int64_t y = item % shape.y;
            for (std::int64_t dz = 0; dz < side; ++dz) {
                for (std::int64_t dy = 0; dy < side; ++dy) {
                    rows[std::size_t(dz * side + dy)] =
                        in.row(zs[std::size_t(z * side + dz)], ys[std::size_t(y * side + dy)], c);
                }
            }
            T* dst = out.row(z, y, c);
            for (std::int64_t x = 0; x < shape.x; ++x) {
                const std::int64_t* xo = xs.data() + x * side;
                T* w = window.data();
                for (const T* row : rows) {
                    for (std::int64_t dx = 0; dx < side; ++dx)
                        *w++ = row[xo[dx] * in.strides[2]];
                }
                std::nth_element(window.begin(), window.begin() + rank, window.end());
                dst[x * out.strides[2]] = window[std::size_t(rank)];
            }
        }
    });
}

}  // namespace

Volume median(const Volume& volume, std::int64_t radius) {
    if (radius < 0) throw ValueError("radius must be >= 0 (got " + std::to_string(radius) + ")");
    Volume out = Volume::allocate(volume.shape(), volume.pixel_type(), Volume::Fill::none);
    detail::copy_volume_metadata(volume, out);
    if (out.empty()) return out;
    visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        median_channel<T>(volume.view<T>(), out.mutable_view<T>(), radius);
    });
    return out;
}

}  // namespace vox
