// voxscope: runtime pixel types and the one place that turns them into template calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>

#include "vox/error.h"

namespace vox {

/// The pixel types a Volume can hold. Values are stable (used in file formats and JSON).
enum class PixelType : std::uint8_t { u8, i8, u16, i16, u32, i32, f32, f64 };

/// Every pixel type, in declaration order.
inline constexpr PixelType kAllPixelTypes[] = {PixelType::u8,  PixelType::i8,  PixelType::u16,
                                               PixelType::i16, PixelType::u32, PixelType::i32,
                                               PixelType::f32, PixelType::f64};

/// True for the C++ types that a PixelType names.
template <typename T>
inline constexpr bool kIsPixel =
    std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::int8_t> ||
    std::is_same_v<T, std::uint16_t> || std::is_same_v<T, std::int16_t> ||
    std::is_same_v<T, std::uint32_t> || std::is_same_v<T, std::int32_t> ||
    std::is_same_v<T, float> || std::is_same_v<T, double>;

/// The PixelType of the C++ type T.
template <typename T>
constexpr PixelType pixel_type_of() {
    static_assert(kIsPixel<T>, "not a voxscope pixel type");
    if constexpr (std::is_same_v<T, std::uint8_t>) return PixelType::u8;
    if constexpr (std::is_same_v<T, std::int8_t>) return PixelType::i8;
    if constexpr (std::is_same_v<T, std::uint16_t>) return PixelType::u16;
    if constexpr (std::is_same_v<T, std::int16_t>) return PixelType::i16;
    if constexpr (std::is_same_v<T, std::uint32_t>) return PixelType::u32;
    if constexpr (std::is_same_v<T, std::int32_t>) return PixelType::i32;
    if constexpr (std::is_same_v<T, float>) return PixelType::f32;
    if constexpr (std::is_same_v<T, double>) return PixelType::f64;
}

/// Calls `fn(std::type_identity<T>{})` with the C++ type T that `type` names and
/// returns its result. This is the only switch over pixel types in the code base:
/// algorithms are templates, and this turns the runtime type into one call.
template <typename Fn>
decltype(auto) visit(PixelType type, Fn&& fn) {
    switch (type) {
        case PixelType::u8:
            return std::forward<Fn>(fn)(std::type_identity<std::uint8_t>{});
        case PixelType::i8:
            return std::forward<Fn>(fn)(std::type_identity<std::int8_t>{});
        case PixelType::u16:
            return std::forward<Fn>(fn)(std::type_identity<std::uint16_t>{});
        case PixelType::i16:
            return std::forward<Fn>(fn)(std::type_identity<std::int16_t>{});
        case PixelType::u32:
            return std::forward<Fn>(fn)(std::type_identity<std::uint32_t>{});
        case PixelType::i32:
            return std::forward<Fn>(fn)(std::type_identity<std::int32_t>{});
        case PixelType::f32:
            return std::forward<Fn>(fn)(std::type_identity<float>{});
        case PixelType::f64:
            return std::forward<Fn>(fn)(std::type_identity<double>{});
    }
    throw TypeError("invalid pixel type code " + std::to_string(static_cast<int>(type)));
}

/// Size of one pixel in bytes.
std::size_t pixel_size(PixelType type);

/// Short name as users write it: "u8", "i8", "u16", "i16", "u32", "i32", "f32", "f64".
std::string_view pixel_type_name(PixelType type);

/// The numpy dtype name of the same type: "uint8", ..., "float64".
std::string_view numpy_dtype_name(PixelType type);

/// Parses a short name ("u16") or a numpy name ("uint16", "float32").
/// @throw ValueError for any other text, listing the accepted names.
PixelType parse_pixel_type(std::string_view text);

/// True for f32 and f64.
bool is_float(PixelType type);

/// True for i8, i16 and i32.
bool is_signed_integer(PixelType type);

/// The smallest and largest value of an integer type; for floats, scikit-image's
/// nominal range [-1, 1] (see skimage.util.dtype_limits).
std::pair<double, double> dtype_range(PixelType type);

}  // namespace vox
