// voxscope: display mapping, voxel values to colours (see include/vox/display.h).
#include "vox/display.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <type_traits>

#include "colormap_tables.h"
#include "vox/parallel.h"
#include "vox/stats.h"

namespace vox {
namespace {

// Every map and its "_r" form, built once (thread-safe static initialisation).
struct ColormapRegistry {
    std::vector<Colormap> maps;

    ColormapRegistry() {
        maps.reserve(2 * detail::kColormapTables.size());
        for (const detail::NamedColormapTable& entry : detail::kColormapTables) {
            Colormap map{std::string(entry.name), *entry.table, entry.categorical};
            Colormap reversed = map;
            reversed.name += "_r";
            // A reversed label map keeps background 0 black and reverses the label colours.
            if (map.categorical)
                std::reverse(reversed.table.begin() + 1, reversed.table.end());
            else
                std::reverse(reversed.table.begin(), reversed.table.end());
            maps.push_back(std::move(map));
            maps.push_back(std::move(reversed));
        }
    }
};

const ColormapRegistry& registry() {
    static const ColormapRegistry instance;
    return instance;
}

// The colour index of a normalised t, as matplotlib's Colormap.__call__ does for N = 256:
// floor(t * 256), 1 gives 255, below 0 (and NaN) entry 0, above 1 entry 255.
std::uint8_t index_of_normalized(double t) {
    if (!(t > 0.0)) return 0;
    if (t >= 1.0) return 255;
    return static_cast<std::uint8_t>(t * 256.0);
}

// One channel's value -> colour index function; the single definition every path uses,
// so lookup tables and direct evaluation agree exactly.
struct ChannelScale {
    double low = 0.0;
    double high = 1.0;
    double gamma = 1.0;
    bool categorical = false;

    std::uint8_t index(double value) const {
        if (categorical) return label_index(value);
        if (std::isnan(value)) return 0;
        // low == high maps everything to the first entry, as matplotlib's Normalize does:
        // a constant plane shows in the map's lowest colour, not in the figure's white.
        double t = high > low ? (value - low) / (high - low) : 0.0;
        t = t > 0.0 ? (t < 1.0 ? t : 1.0) : 0.0;  // also turns NaN (inf / inf) into 0
        if (gamma != 1.0) t = std::pow(t, gamma);
        return index_of_normalized(t);
    }

    // Label 0 is background (entry 0, black); label v != 0 takes entry 1 + (v - 1) mod 255
    // (floored modulo, so negative labels get colours too). Non-integers are truncated.
    static std::uint8_t label_index(double value) {
        if (std::isnan(value)) return 0;
        const double label = std::trunc(value);
        if (label == 0.0) return 0;
        double m = std::fmod(label - 1.0, 255.0);
        if (m < 0.0) m += 255.0;
        return static_cast<std::uint8_t>(1.0 + m);
    }
};

// Value -> colour index for every value of an 8- or 16-bit type, indexed by value - min.
template <typename T>
std::vector<std::uint8_t> make_lookup(const ChannelScale& scale) {
    constexpr std::int64_t kMin = std::numeric_limits<T>::min();
    constexpr std::int64_t kMax = std::numeric_limits<T>::max();
    std::vector<std::uint8_t> lookup(static_cast<std::size_t>(kMax - kMin + 1), 0);
    if (!scale.categorical && !(scale.high > scale.low)) return lookup;  // all entry 0
    std::int64_t begin = kMin;
    std::int64_t end = kMax + 1;
    if (!scale.categorical) {
        // Below low is entry 0 and above high entry 255 (t clamps): only [low, high] needs
        // evaluating, which keeps the table cheap for 12-bit data in a 16-bit type.
        begin = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(scale.low)), kMin,
                                         kMax + 1);
        end = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(scale.high)) + 1, begin,
                                       kMax + 1);
        std::memset(lookup.data(), 0, static_cast<std::size_t>(begin - kMin));
        std::memset(lookup.data() + (end - kMin), 255, static_cast<std::size_t>(kMax + 1 - end));
    }
    for (std::int64_t v = begin; v < end; ++v)
        lookup[static_cast<std::size_t>(v - kMin)] = scale.index(static_cast<double>(v));
    return lookup;
}

// The tables of the last few displays, shared: a montage, an animation or a viewer maps
// many planes with one display, and a 16-bit table costs up to 65536 evaluations (about
// 45 us in the montage and GIF benches, near the 65 us of colouring a 256^2 plane).
template <typename T>
std::shared_ptr<const std::vector<std::uint8_t>> shared_lookup(const ChannelScale& scale) {
    struct Entry {
        ChannelScale scale;
        std::shared_ptr<const std::vector<std::uint8_t>> table;
    };
    constexpr std::size_t kKept = 8;
    static std::mutex mutex;
    static std::vector<Entry> entries;
    auto same = [&](const ChannelScale& other) {
        return other.low == scale.low && other.high == scale.high && other.gamma == scale.gamma &&
               other.categorical == scale.categorical;
    };
    {
        const std::lock_guard lock(mutex);
        for (const Entry& entry : entries)
            if (same(entry.scale)) return entry.table;
    }
    auto table = std::make_shared<const std::vector<std::uint8_t>>(make_lookup<T>(scale));
    const std::lock_guard lock(mutex);
    // Frames mapped at once may all have built this table: keep one copy.
    for (const Entry& entry : entries)
        if (same(entry.scale)) return entry.table;
    if (entries.size() == kKept) entries.erase(entries.begin());
    entries.push_back({scale, table});
    return table;
}

// A visible channel ready for the row loop.
template <typename T>
struct ChannelPass {
    std::int64_t channel = 0;
    ChannelScale scale;
    const std::array<std::array<std::uint8_t, 3>, 256>* table = nullptr;
    // Null: evaluate scale.index per voxel.
    std::shared_ptr<const std::vector<std::uint8_t>> lookup;
};

// Colours one row of one channel: kFirst writes, later channels add with saturation.
template <bool kFirst, bool kLookup, typename T>
void map_row(const T* values, std::int64_t step, std::int64_t width, const ChannelPass<T>& pass,
             std::uint8_t* out) {
    const auto& table = *pass.table;
    const std::uint8_t* lookup = kLookup ? pass.lookup->data() : nullptr;
    // A strided row (a column of the volume) touches one cache line per value, too far apart
    // for the hardware prefetcher: ask for lines ahead so that many misses overlap.
    constexpr std::int64_t kAhead = 32;
    const bool prefetch = step * std::int64_t(sizeof(T)) >= 64;
    for (std::int64_t i = 0; i < width; ++i, values += step, out += 4) {
        if (prefetch && i + kAhead < width) __builtin_prefetch(values + kAhead * step);
        std::uint8_t index;
        if constexpr (kLookup)
            index = lookup[static_cast<std::size_t>(static_cast<std::int64_t>(*values) -
                                                    std::numeric_limits<T>::min())];
        else
            index = pass.scale.index(static_cast<double>(*values));
        const auto& rgb = table[index];
        if constexpr (kFirst) {
            // The whole pixel, alpha too: the image was not filled first.
            out[0] = rgb[0];
            out[1] = rgb[1];
            out[2] = rgb[2];
            out[3] = 255;
        } else {
            out[0] = static_cast<std::uint8_t>(std::min(255, out[0] + rgb[0]));
            out[1] = static_cast<std::uint8_t>(std::min(255, out[1] + rgb[1]));
            out[2] = static_cast<std::uint8_t>(std::min(255, out[2] + rgb[2]));
        }
    }
}

template <typename T>
void map_plane_typed(const Volume& plane, Axis axis, const std::vector<ResolvedChannel>& channels,
                     Image& image) {
    const VolumeView<const T> view = plane.view<T>();
    // Image rows and columns are the plane's remaining axes in (z, y, x) order.
    const std::int64_t row_stride = axis == Axis::z ? view.strides[1] : view.strides[0];
    const std::int64_t column_stride = axis == Axis::x ? view.strides[1] : view.strides[2];
    const std::int64_t width = image.width;
    const std::int64_t height = image.height;

    constexpr bool kSmallInteger = std::is_integral_v<T> && sizeof(T) <= 2;
    // A 16-bit table costs 65536 evaluations: worth it only when the plane is not tiny.
    const bool use_lookup =
        kSmallInteger && (sizeof(T) == 1 || width * height >= std::int64_t(1) << 14);

    std::vector<ChannelPass<T>> passes;
    for (std::size_t c = 0; c < channels.size(); ++c) {
        const ResolvedChannel& channel = channels[c];
        if (!channel.visible) continue;
        ChannelPass<T> pass;
        pass.channel = static_cast<std::int64_t>(c);
        pass.scale = {channel.low, channel.high, channel.gamma, channel.colormap->categorical};
        pass.table = &channel.colormap->table;
        if constexpr (kSmallInteger)
            if (use_lookup) pass.lookup = shared_lookup<T>(pass.scale);
        passes.push_back(std::move(pass));
    }
    if (width == 0 || height == 0) return;
    if (passes.empty()) {  // nothing visible: opaque black
        for (std::size_t i = 3; i < image.rgba.size(); i += 4)
            image.rgba[i] = 255;
        return;
    }

    auto rows = [&](std::int64_t row_begin, std::int64_t row_end) {
        for (std::int64_t r = row_begin; r < row_end; ++r) {
            std::uint8_t* out = image.rgba.data() + 4 * r * width;
            for (std::size_t p = 0; p < passes.size(); ++p) {
                const ChannelPass<T>& pass = passes[p];
                const T* values = view.origin + r * row_stride + pass.channel * view.strides[3];
                if (use_lookup) {
                    if (p == 0)
                        map_row<true, kSmallInteger>(values, column_stride, width, pass, out);
                    else
                        map_row<false, kSmallInteger>(values, column_stride, width, pass, out);
                } else {
                    if (p == 0)
                        map_row<true, false>(values, column_stride, width, pass, out);
                    else
                        map_row<false, false>(values, column_stride, width, pass, out);
                }
            }
        }
    };
    // Rows are independent and each pixel is computed once: the result does not depend on
    // the thread count. About 64K pixels per chunk keeps small planes on one thread.
    const std::int64_t grain = std::max<std::int64_t>(1, (std::int64_t(1) << 16) / width);
    if (height <= grain)
        rows(0, height);
    else
        parallel_for(0, height, grain, rows);
}

std::string channel_prefix(std::size_t c) {
    return fmt::format("channel {}: ", c);
}

}  // namespace

Image Image::filled(std::int64_t width, std::int64_t height, std::array<std::uint8_t, 4> fill) {
    if (width < 0 || height < 0)
        throw ValueError(fmt::format("image size {}x{} is negative", width, height));
    Image image;
    image.width = width;
    image.height = height;
    const std::int64_t pixels = checked_product({width, height, 4}, "image") / 4;
    image.rgba.resize(static_cast<std::size_t>(4 * pixels));
    if (fill == std::array<std::uint8_t, 4>{0, 0, 0, 0}) return image;  // resize() zeroed it
    std::uint8_t* data = image.rgba.data();
#pragma omp simd
    for (std::int64_t i = 0; i < pixels; ++i)
        std::memcpy(data + 4 * i, fill.data(), 4);
    return image;
}

std::array<std::uint8_t, 3> Colormap::at(double t) const {
    return table[index_of_normalized(t)];
}

const Colormap& colormap(std::string_view name) {
    for (const Colormap& map : registry().maps)
        if (map.name == name) return map;
    std::string known;
    for (const std::string& known_name : colormap_names())
        known += (known.empty() ? "" : ", ") + known_name;
    throw ValueError(
        fmt::format("unknown colormap '{}' (known: {}; each also reversed with _r)", name, known));
}

std::vector<std::string> colormap_names() {
    std::vector<std::string> names;
    for (const detail::NamedColormapTable& entry : detail::kColormapTables)
        names.emplace_back(entry.name);
    return names;
}

DisplayMapping default_mapping(const Volume& volume) {
    static constexpr const char* kCycle[] = {"green", "magenta", "cyan", "red", "blue", "yellow"};
    const std::int64_t count = volume.shape().c;
    DisplayMapping mapping;
    mapping.channels.resize(static_cast<std::size_t>(count));
    for (std::int64_t c = 0; c < count; ++c) {
        std::string& name = mapping.channels[static_cast<std::size_t>(c)].colormap;
        if (count == 1)
            name = "gray";
        else if (count == 3)
            name = c == 0 ? "red" : c == 1 ? "green" : "blue";
        else
            name = kCycle[c % 6];
    }
    return mapping;
}

std::vector<std::int64_t> channel_order(std::span<const std::int64_t> order, std::int64_t count) {
    std::vector<std::int64_t> result;
    std::vector<bool> placed(static_cast<std::size_t>(std::max<std::int64_t>(count, 0)));
    for (const std::int64_t c : order) {
        if (c < 0 || c >= count) {
            throw ValueError(
                fmt::format("channel order: no channel {} (the volume has {})", c, count));
        }
        if (placed[static_cast<std::size_t>(c)]) {
            throw ValueError(fmt::format("channel order lists channel {} twice", c));
        }
        placed[static_cast<std::size_t>(c)] = true;
        result.push_back(c);
    }
    for (std::int64_t c = 0; c < count; ++c) {
        if (!placed[static_cast<std::size_t>(c)]) result.push_back(c);
    }
    return result;
}

std::vector<ResolvedChannel> resolve_mapping(const Volume& volume, const DisplayMapping& mapping) {
    const std::int64_t count = volume.shape().c;
    if (static_cast<std::int64_t>(mapping.channels.size()) != count)
        throw ValueError(fmt::format("display mapping has {} channels but the volume has {}",
                                     mapping.channels.size(), count));
    (void)channel_order(mapping.order, count);  // refuses a bad order before any pass
    std::vector<ResolvedChannel> resolved(mapping.channels.size());
    for (std::size_t c = 0; c < mapping.channels.size(); ++c) {
        const ChannelDisplay& display = mapping.channels[c];
        const DisplayRange& range = display.range;
        ResolvedChannel& out = resolved[c];
        try {
            out.colormap = &colormap(display.colormap);
        } catch (const ValueError& error) {
            throw ValueError(channel_prefix(c) + error.what());
        }
        if (!(display.gamma > 0.0) || !std::isfinite(display.gamma))
            throw ValueError(channel_prefix(c) +
                             fmt::format("gamma must be a positive number, got {}", display.gamma));
        out.gamma = display.gamma;
        out.visible = display.visible;

        using Kind = DisplayRange::Kind;
        if (range.kind == Kind::percentiles || range.kind == Kind::values) {
            if (range.kind == Kind::percentiles)
                for (double q : {range.low, range.high})
                    if (!(q >= 0.0 && q <= 100.0))
                        throw ValueError(channel_prefix(c) +
                                         fmt::format("percentile {} is outside [0, 100]", q));
            if (range.kind == Kind::values &&
                !(std::isfinite(range.low) && std::isfinite(range.high)))
                throw ValueError(channel_prefix(c) +
                                 fmt::format("range values must be finite, got {} and {}",
                                             range.low, range.high));
            if (range.low > range.high)
                throw ValueError(
                    channel_prefix(c) +
                    fmt::format("range low {} is greater than high {}", range.low, range.high));
        }
        // Label maps index by value: the range is unused, so skip the pass over the data.
        const bool needs_data = (range.kind == Kind::image || range.kind == Kind::percentiles) &&
                                !out.colormap->categorical;
        switch (range.kind) {
            case Kind::image:
                if (needs_data)
                    std::tie(out.low, out.high) = min_max(volume.channel(std::int64_t(c)));
                break;
            case Kind::percentiles:
                if (needs_data) {
                    const double q[] = {range.low, range.high};
                    const std::vector<double> values =
                        percentiles(volume.channel(std::int64_t(c)), q);
                    out.low = values[0];
                    out.high = values[1];
                }
                break;
            case Kind::dtype:
                if (is_float(volume.pixel_type())) {
                    out.low = 0.0;
                    out.high = 1.0;
                } else {
                    std::tie(out.low, out.high) = dtype_range(volume.pixel_type());
                }
                break;
            case Kind::values:
                out.low = range.low;
                out.high = range.high;
                break;
        }
        // Infinities stay out of image and percentile ranges (matplotlib masks them): the
        // ends are clamped to the finite values' (NaN when there are none).
        if (needs_data && !(std::isfinite(out.low) && std::isfinite(out.high))) {
            const auto [low, high] = finite_min_max(volume.channel(std::int64_t(c)));
            out.low = std::isnan(low) ? low : std::clamp(out.low, low, high);
            out.high = std::isnan(high) ? high : std::clamp(out.high, low, high);
        }
        // A channel with no numbers (empty, or all NaN) gets the neutral range 0..1.
        if (std::isnan(out.low) || std::isnan(out.high)) {
            out.low = 0.0;
            out.high = 1.0;
        }
    }
    return resolved;
}

Image map_plane(const Volume& plane, Axis axis, const std::vector<ResolvedChannel>& channels) {
    const Shape& shape = plane.shape();
    if (shape.extent(axis) != 1)
        throw ValueError(fmt::format("map_plane: the plane has extent {} along {}; expected 1",
                                     shape.extent(axis), axis_name(axis)));
    if (static_cast<std::int64_t>(channels.size()) != shape.c)
        throw ValueError(fmt::format("map_plane: {} display channels for a plane with {} channels",
                                     channels.size(), shape.c));
    for (std::size_t c = 0; c < channels.size(); ++c) {
        const ResolvedChannel& channel = channels[c];
        if (!channel.visible) continue;
        if (channel.colormap == nullptr)
            throw ValueError(fmt::format("map_plane: channel {} has no colormap", c));
        if (!(channel.gamma > 0.0) || !std::isfinite(channel.gamma))
            throw ValueError(fmt::format("map_plane: channel {} has gamma {}; it must be > 0", c,
                                         channel.gamma));
        if (!(channel.low <= channel.high))
            throw ValueError(fmt::format("map_plane: channel {} has low {} > high {}", c,
                                         channel.low, channel.high));
    }
    const std::int64_t width = axis == Axis::x ? shape.y : shape.x;
    const std::int64_t height = axis == Axis::z ? shape.y : shape.z;
    // Zeros, not opaque black: the first visible channel writes every byte of each pixel,
    // so a fill first would be a second pass over the image.
    Image image = Image::filled(width, height, {0, 0, 0, 0});
    visit(plane.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        map_plane_typed<T>(plane, axis, channels, image);
    });
    return image;
}

}  // namespace vox
