#include "vox/pixel_type.h"

#include <string>

namespace vox {

std::size_t pixel_size(PixelType type) {
    return visit(type, [](auto tag) { return sizeof(typename decltype(tag)::type); });
}

std::string_view pixel_type_name(PixelType type) {
    constexpr std::string_view kNames[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "f64"};
    return kNames[static_cast<int>(type)];
}

std::string_view numpy_dtype_name(PixelType type) {
    constexpr std::string_view kNames[] = {"uint8",  "int8",  "uint16",  "int16",
                                           "uint32", "int32", "float32", "float64"};
    return kNames[static_cast<int>(type)];
}

PixelType parse_pixel_type(std::string_view text) {
    for (PixelType type : kAllPixelTypes) {
        if (text == pixel_type_name(type) || text == numpy_dtype_name(type)) return type;
    }
    throw ValueError("unknown pixel type '" + std::string(text) +
                     "' (expected one of u8, i8, u16, i16, u32, i32, f32, f64)");
}

bool is_float(PixelType type) {
    return type == PixelType::f32 || type == PixelType::f64;
}

bool is_signed_integer(PixelType type) {
    return type == PixelType::i8 || type == PixelType::i16 || type == PixelType::i32;
}

std::pair<double, double> dtype_range(PixelType type) {
    return visit(type, [](auto tag) -> std::pair<double, double> {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_floating_point_v<T>) {
            return {-1.0, 1.0};
        } else {
            return {double(std::numeric_limits<T>::lowest()),
                    double(std::numeric_limits<T>::max())};
        }
    });
}

}  // namespace vox
