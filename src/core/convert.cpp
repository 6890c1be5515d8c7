#include "vox/convert.h"

#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "vox/parallel.h"
#include "vox/stats.h"

namespace vox {
namespace {

// Applies `map` to every value of `input`, writing a new contiguous volume of type O that
// keeps the input's spacing, affine, channel names and metadata.
template <typename I, typename O, typename Map>
Volume map_values(const Volume& input, Map map) {
    Volume output = Volume::allocate(input.shape(), pixel_type_of<O>());
    output.set_spacing(input.spacing());
    output.set_affine(input.affine());
    output.set_channel_names(input.channel_names());
    output.metadata() = input.metadata();
    const VolumeView<const I> source = input.view<I>();
    const VolumeView<O> target = output.mutable_view<O>();
    const Shape& shape = input.shape();
    parallel_for(0, shape.z * shape.c, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t plane = begin; plane < end; ++plane) {
            const std::int64_t c = plane / shape.z;
            const std::int64_t z = plane % shape.z;
            for (std::int64_t y = 0; y < shape.y; ++y) {
                const I* in = source.row(z, y, c);
                O* out = target.row(z, y, c);
                const std::int64_t stride = source.strides[2];
                for (std::int64_t x = 0; x < shape.x; ++x)
                    out[x] = map(in[x * stride]);
            }
        }
    });
    return output;
}

std::int64_t floor_divide(std::int64_t value, std::int64_t divisor) {
    const std::int64_t quotient = value / divisor;
    return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient;
}

constexpr std::int64_t power_of_two(int bits) {
    return std::int64_t(1) << bits;
}

// skimage.util.dtype._scale: rescales non-negative n-bit integers to m bits. `plain_cast`
// is the data-dependent shortcut taken when n > m and the values already fit.
std::int64_t scale_bits(std::int64_t value, int n, int m, bool plain_cast) {
    if (n > m) return plain_cast ? value : floor_divide(value, power_of_two(n - m));
    if (n == m) return value;
    if (m % n == 0) return value * ((power_of_two(m) - 1) / (power_of_two(n) - 1));
    const int o = (m / n + 1) * n;  // upscale to a multiple of n bits, then drop the excess
    return floor_divide(value * ((power_of_two(o) - 1) / (power_of_two(n) - 1)),
                        power_of_two(o - m));
}

template <typename T>
constexpr int kBits = int(8 * sizeof(T));

// Rounds half to even (np.rint) and clamps to O's range; NaN becomes 0.
template <typename O>
O round_and_clamp(double value) {
    if (std::isnan(value)) return O(0);
    const double rounded = std::nearbyint(value);
    const double low = double(std::numeric_limits<O>::lowest());
    const double high = double(std::numeric_limits<O>::max());
    return O(rounded < low ? low : rounded > high ? high : rounded);
}

// A float-to-float cast that saturates to +-inf instead of overflowing (which is undefined).
template <typename O, typename I>
O cast_float(I value) {
    if constexpr (sizeof(O) < sizeof(I)) {
        if (std::isfinite(value) && std::fabs(value) > I(std::numeric_limits<O>::max())) {
            return value > 0 ? std::numeric_limits<O>::infinity()
                             : -std::numeric_limits<O>::infinity();
        }
    }
    return O(value);
}

// A float-to-float cast that clamps finite values to O's range; inf and NaN pass through.
template <typename O, typename I>
O clamp_float(I value) {
    if constexpr (sizeof(O) < sizeof(I)) {
        const I highest = I(std::numeric_limits<O>::max());
        if (std::isfinite(value) && std::fabs(value) > highest)
            return O(value > 0 ? highest : -highest);
    }
    return O(value);
}

template <typename I, typename O>
Volume skimage_convert(const Volume& input) {
    constexpr bool kFloatIn = std::is_floating_point_v<I>;
    constexpr bool kFloatOut = std::is_floating_point_v<O>;
    if constexpr (kFloatIn && kFloatOut) {
        return map_values<I, O>(input, [](I value) { return cast_float<O>(value); });
    } else if constexpr (kFloatIn) {
        const auto [low, high] = min_max(input);
        if (low < -1.0 || high > 1.0) {
            throw ValueError(
                fmt::format("Images of type float must be between -1 and 1 to convert to {} (range "
                            "is {} to {})",
                            pixel_type_name(pixel_type_of<O>()), low, high));
        }
        // skimage computes in the input's float type; so do we, then clamp in double.
        if constexpr (std::is_unsigned_v<O>) {
            const I scale = I(std::numeric_limits<O>::max());
            return map_values<I, O>(input, [scale](I value) {
                return round_and_clamp<O>(double(std::nearbyint(value * scale)));
            });
        } else {
            const I scale = I(
                (double(std::numeric_limits<O>::max()) - double(std::numeric_limits<O>::lowest())) /
                2.0);
            return map_values<I, O>(input, [scale](I value) {
                return round_and_clamp<O>(double(std::nearbyint(value * scale - I(0.5))));
            });
        }
    } else if constexpr (kFloatOut) {
        // Multiplied by the reciprocal of the type's max, in O (f32 for f32 output), like skimage.
        const O reciprocal = O(1.0 / double(std::numeric_limits<I>::max()));
        return map_values<I, O>(input, [reciprocal](I value) {
            const O result = O(value) * reciprocal;
            if constexpr (std::is_signed_v<I>) return result < O(-1) ? O(-1) : result;
            return result;
        });
    } else {
        constexpr bool kSignedIn = std::is_signed_v<I>;
        constexpr bool kSignedOut = std::is_signed_v<O>;
        constexpr bool kWidening = kSignedIn && kSignedOut && sizeof(O) >= sizeof(I);
        const int n = kWidening ? kBits<I> : kBits<I> - (kSignedIn ? 1 : 0);
        const int m = kWidening ? kBits<O> : kBits<O> - (kSignedOut ? 1 : 0);
        bool plain_cast = false;
        if (n > m) {
            const auto [low, high] = min_max(input);
            plain_cast = high < double(power_of_two(m));
            // skimage checks only the max, so its signed narrowing wraps negative values
            // that do not fit; we scale those instead (see the header).
            if (kSignedIn && kSignedOut) plain_cast = plain_cast && low >= -double(power_of_two(m));
        }
        constexpr std::int64_t kLowIn = std::numeric_limits<I>::lowest();
        constexpr std::int64_t kLowOut = std::numeric_limits<O>::lowest();
        return map_values<I, O>(input, [=](I value) {
            std::int64_t result;
            if constexpr (kWidening) {
                result = scale_bits(std::int64_t(value) - kLowIn, n, m, plain_cast) + kLowOut;
            } else {
                result = scale_bits(std::int64_t(value), n, m, plain_cast);
                if constexpr (kSignedIn && !kSignedOut) result = result < 0 ? 0 : result;
            }
            return O(result);
        });
    }
}

}  // namespace

Volume convert_like_skimage(const Volume& volume, PixelType target) {
    if (volume.pixel_type() == target) return volume;
    return visit(volume.pixel_type(), [&](auto in_tag) {
        using I = typename decltype(in_tag)::type;
        return visit(target, [&](auto out_tag) {
            using O = typename decltype(out_tag)::type;
            return skimage_convert<I, O>(volume);
        });
    });
}

Volume img_as_float(const Volume& volume) {
    return is_float(volume.pixel_type()) ? volume : convert_like_skimage(volume, PixelType::f64);
}
Volume img_as_float32(const Volume& volume) {
    return convert_like_skimage(volume, PixelType::f32);
}
Volume img_as_float64(const Volume& volume) {
    return convert_like_skimage(volume, PixelType::f64);
}
Volume img_as_ubyte(const Volume& volume) {
    return convert_like_skimage(volume, PixelType::u8);
}
Volume img_as_uint(const Volume& volume) {
    return convert_like_skimage(volume, PixelType::u16);
}
Volume img_as_int(const Volume& volume) {
    return convert_like_skimage(volume, PixelType::i16);
}

Volume astype(const Volume& volume, PixelType target, CastMode mode) {
    if (mode == CastMode::clip && volume.pixel_type() == target) return volume;
    // Rescaling maps the finite [low, high] onto the target's range as
    // target_low + (v - low) * span / (high - low): two roundings, so a value half way maps
    // to the exact half (32767.5, rounded to even), which a folded scale and offset missed.
    // Infinities land beyond the ends and clamp to them.
    double low = 0.0;
    double range = 0.0;
    double target_low = 0.0;
    double span = 0.0;
    if (mode == CastMode::rescale) {
        const auto [finite_low, high] = finite_min_max(volume);
        low = finite_low;
        if (std::isnan(low)) {
            throw ValueError(fmt::format("cannot rescale to {}: the data hold no finite value",
                                         pixel_type_name(target)));
        }
        const auto [to_low, to_high] = is_float(target) ? std::pair{0.0, 1.0} : dtype_range(target);
        target_low = to_low;
        span = to_high - to_low;
        range = high - low;
    }
    return visit(volume.pixel_type(), [&](auto in_tag) {
        using I = typename decltype(in_tag)::type;
        return visit(target, [&](auto out_tag) {
            using O = typename decltype(out_tag)::type;
            if (mode == CastMode::rescale) {
                return map_values<I, O>(volume, [low, range, target_low, span](I value) {
                    const double v = double(value);
                    // A constant volume maps to the bottom; its infinities to the ends.
                    const double mapped = range > 0.0 ? target_low + (v - low) * span / range
                                          : v > low   ? target_low + span
                                          : v < low   ? target_low
                                                      : (std::isnan(v) ? v : target_low);
                    if constexpr (std::is_floating_point_v<O>) return cast_float<O>(mapped);
                    return round_and_clamp<O>(mapped);
                });
            }
            return map_values<I, O>(volume, [](I value) {
                if constexpr (std::is_floating_point_v<O> && std::is_floating_point_v<I>) {
                    return clamp_float<O>(value);
                } else if constexpr (std::is_floating_point_v<O>) {
                    return O(value);
                } else {
                    return round_and_clamp<O>(double(value));
                }
            });
        });
    });
}

CastMode parse_cast_mode(std::string_view text) {
    if (text == "clip") return CastMode::clip;
    if (text == "rescale") return CastMode::rescale;
    throw ValueError("unknown cast mode '" + std::string(text) + "' (expected clip or rescale)");
}

}  // namespace vox
