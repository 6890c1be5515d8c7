// Raw binary: no header, the layout comes from the user (--shape, --dtype, ...).
#include <fmt/format.h>

#include "../format.h"

namespace vox::io {

Volume read_raw(const Source& source, const RawLayout& layout) {
    const Shape& shape = layout.shape;
    if (shape.z < 1 || shape.y < 1 || shape.x < 1 || shape.c < 1) {
        throw ValueError(fmt::format("'{}': raw shape {}x{}x{}x{} must be positive", source.name(),
                                     shape.z, shape.y, shape.x, shape.c));
    }
    check_data_fits(source, layout.offset, shape, layout.type, "the raw layout needs");
    Volume volume = Volume::allocate(shape, layout.type, Volume::Fill::none);
    const std::int64_t bytes = volume.size_bytes();
    visit(layout.type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* data = volume.mutable_view<T>().origin;
        source.read(layout.offset, data, bytes);
        if (layout.big_endian != kHostBigEndian) swap_bytes(data, shape.values(), sizeof(T));
    });
    if (layout.spacing)
        volume.set_spacing({*layout.spacing, normalize_length_unit(layout.unit), true});
    volume.metadata()["format"] = "raw";
    return volume;
}

}  // namespace vox::io
