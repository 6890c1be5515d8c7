// voxscope: display mapping, how voxel values become colours. Part of the display spec
// that the CLI figures, the viewer and reports share: per channel a colormap, a range,
// a gamma and a visibility; channels composite additively.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vox/volume.h"

namespace vox {

/// A 2D RGBA raster with 8 bits per component, straight (not premultiplied) alpha,
/// rows top to bottom, 4 bytes per pixel.
struct Image {
    std::int64_t width = 0;
    std::int64_t height = 0;
    std::vector<std::uint8_t> rgba;

    /// A width x height image filled with `fill` (RGBA).
    /// @throw ValueError if a size is negative; LimitError if the byte count overflows.
    static Image filled(std::int64_t width, std::int64_t height,
                        std::array<std::uint8_t, 4> fill = {0, 0, 0, 255});
    std::uint8_t* pixel(std::int64_t x, std::int64_t y) {
        return rgba.data() + 4 * (y * width + x);
    }
    const std::uint8_t* pixel(std::int64_t x, std::int64_t y) const {
        return rgba.data() + 4 * (y * width + x);
    }
};

/// A colormap of 256 RGB entries.
struct Colormap {
    std::string name;
    std::array<std::array<std::uint8_t, 3>, 256> table{};
    /// Categorical maps (labels) index by value modulo their size, not by a range.
    bool categorical = false;

    /// The entry for t in [0, 1], as matplotlib's Colormap(t, bytes=True) picks it:
    /// table[min(floor(t * 256), 255)]; t < 0 and NaN give entry 0, t > 1 entry 255.
    /// (So t = i / 255 gives entry i.)
    std::array<std::uint8_t, 3> at(double t) const;
};

/// A colormap by name: gray, viridis, magma, inferno, plasma, cividis, turbo, hot, the
/// fluorescence colours green, magenta, cyan, red, blue, yellow (black to the colour),
/// labels (categorical), each also reversed with the suffix "_r" ("viridis_r").
/// The perceptual maps reproduce matplotlib's tables.
/// @throw ValueError naming the unknown map and listing the known ones.
const Colormap& colormap(std::string_view name);

/// The names colormap() accepts, without the "_r" forms.
std::vector<std::string> colormap_names();

/// Where a channel's display range comes from.
struct DisplayRange {
    enum class Kind : std::uint8_t {
        /// The channel's own min and max (the default: nothing clipped).
        image,
        /// Percentiles (low, high) in [0, 100] of the channel, numpy's linear method.
        percentiles,
        /// The pixel type's full range (0..65535 for u16; 0..1 for floats).
        dtype,
        /// Explicit values (low, high).
        values,
    };
    Kind kind = Kind::image;
    double low = 0.0;
    double high = 0.0;

    static DisplayRange image() { return {}; }
    static DisplayRange percentiles(double low, double high) {
        return {Kind::percentiles, low, high};
    }
    static DisplayRange dtype() { return {Kind::dtype}; }
    static DisplayRange values(double low, double high) { return {Kind::values, low, high}; }
};

/// How one channel is shown.
struct ChannelDisplay {
    /// A colormap() name.
    std::string colormap = "gray";
    DisplayRange range;
    /// Applied to the normalised value: t' = t ** gamma.
    double gamma = 1.0;
    bool visible = true;
};

/// The display of every channel.
struct DisplayMapping {
    std::vector<ChannelDisplay> channels;
    /// The order of channels where each has a place of its own (facets): channel indices,
    /// each at most once, then the channels left out in index order. Empty: index order.
    std::vector<std::int64_t> order;
};

/// Every channel index of a `count`-channel volume in `order`, then the rest ascending.
/// @throw ValueError "channel order: no channel 3 (the volume has 2)" or "channel order
/// lists channel 1 twice".
std::vector<std::int64_t> channel_order(std::span<const std::int64_t> order, std::int64_t count);

/// The usual mapping for `volume`: one channel gray; two green and magenta; three red,
/// green and blue; more cycle through green, magenta, cyan, red, blue, yellow. Ranges from
/// each channel's min and max.
DisplayMapping default_mapping(const Volume& volume);

/// A channel's range as numbers, resolved against the data.
struct ResolvedChannel {
    const Colormap* colormap = nullptr;
    double low = 0.0;
    double high = 1.0;
    double gamma = 1.0;
    bool visible = true;
};

/// Resolves every channel's range on `volume` (percentiles and min/max are computed on
/// the whole channel, so every slice of a figure shares them).
/// A channel with no numbers (all NaN) resolves to 0..1; `dtype` gives 0..1 for floats and
/// the type's limits for integers. Label (categorical) maps skip the pass over the data
/// for `image` and `percentiles` ranges (their range is unused) and keep 0..1.
/// @throw ValueError if the mapping's channel count differs from the volume's, a
/// percentile is outside [0, 100], explicit values are not finite, low > high,
/// gamma <= 0, or a colormap is unknown (messages start "channel <c>: "), or the order
/// is not one of channel_order()'s.
std::vector<ResolvedChannel> resolve_mapping(const Volume& volume, const DisplayMapping& mapping);

/// Colours one plane: `plane` is a view with extent 1 along `axis` (Volume::plane()).
/// The image's columns and rows are the plane's remaining axes in (z, y, x) order: for
/// axis z, x across and y down; for y, x across and z down; for x, y across and z down.
/// Each visible channel maps t = clamp((v - low) / (high - low), 0, 1) ** gamma through its
/// colormap as Colormap::at(t) does (categorical maps index by integer value: 0 is entry 0,
/// black, label v != 0 entry 1 + (v - 1) mod 255, floored modulo, non-integers truncated);
/// channels add and saturate at 255. low == high maps every value to t = 0 (matplotlib's
/// Normalize). NaN maps to
/// t = 0. Alpha is 255. Invisible channels are skipped; none visible gives black.
/// One pixel per voxel: physical aspect is the caller's business (see render views).
/// @throw ValueError if the plane's extent along `axis` is not 1, the channel count differs
/// from the plane's, or a visible channel has no colormap, gamma <= 0 or low > high.
Image map_plane(const Volume& plane, Axis axis, const std::vector<ResolvedChannel>& channels);

}  // namespace vox
