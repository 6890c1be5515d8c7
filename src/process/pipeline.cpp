// Operation specs: parsing (JSON and command line) and the table of operations.
#include "vox/pipeline.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "vox/adapthist.h"
#include "vox/convert.h"
#include "vox/exposure.h"
#include "vox/filters.h"
#include "vox/geometry.h"
#include "vox/io.h"
#include "vox/parallel.h"
#include "vox/pixel_type.h"
#include "vox/segmentation.h"

namespace vox {
namespace {

// A step's parameters with typed, validated access. Every parameter must be used by the op,
// so a misspelt key is an error rather than silently ignored.
class Args {
public:
    Args(const Step& step, const std::vector<std::string>& names) : m_op(step.op) {
        for (const auto& [key, value] : step.parameters) {
            // Every op but channel itself takes channel=N (see apply_to_one_channel).
            const bool only_channel = key == "channel" && m_op != "channel";
            if (!only_channel && std::find(names.begin(), names.end(), key) == names.end()) {
                std::vector<std::string> known = names;
                if (m_op != "channel") known.emplace_back("channel");
                throw ValueError(fmt::format(
                    "op '{}' has no parameter '{}' ({}parameters: {})", m_op, key,
                    did_you_mean(key, known),
                    known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
            }
            // gamma:0.5,gamma=2 would keep one value silently.
            if (!m_values.emplace(key, value).second) {
                throw ValueError(fmt::format("parameter '{}' is given twice", key));
            }
        }
    }

    bool has(const std::string& key) const { return m_values.count(key) != 0; }

    // Where the step's notes go (apply_steps' StepNote texts), if anyone asked for them.
    void set_notes(std::vector<std::string>* notes) { m_notes = notes; }
    bool wants_notes() const { return m_notes != nullptr; }
    void note(std::string text) const {
        if (m_notes) m_notes->push_back(std::move(text));
    }

    // The channel a step is limited to (channel=N), if any.
    std::optional<std::int64_t> only_channel() const {
        if (m_op == "channel" || !has("channel")) return std::nullopt;
        const std::int64_t channel = integer("channel", 0);
        if (channel < 0) {
            throw ValueError(
                fmt::format("channel must be 0 or more, got '{}'", m_values.at("channel")));
        }
        return channel;
    }

    std::string text(const std::string& key, const std::string& fallback) const {
        const auto found = m_values.find(key);
        return found == m_values.end() ? fallback : found->second;
    }

    double number(const std::string& key, double fallback) const {
        return has(key) ? parse_number(key, m_values.at(key)) : fallback;
    }

    std::optional<double> optional_number(const std::string& key) const {
        if (!has(key)) return std::nullopt;
        return parse_number(key, m_values.at(key));
    }

    std::int64_t integer(const std::string& key, std::int64_t fallback) const {
        if (!has(key)) return fallback;
        const double value = parse_number(key, m_values.at(key));
        if (value != std::floor(value) || std::fabs(value) > 9.0e15) {
            throw ValueError(fmt::format("{} must be an integer, got '{}'", key, m_values.at(key)));
        }
        return std::int64_t(value);
    }

    // An integer parameter the op takes as an int (bins, orders, connectivity): larger values
    // are refused here rather than wrapped by the narrowing.
    int int_integer(const std::string& key, int fallback) const {
        const std::int64_t value = integer(key, fallback);
        if (value > std::numeric_limits<int>::max()) {
            throw ValueError(fmt::format("{} must be at most {}, got '{}'", key,
                                         std::numeric_limits<int>::max(), m_values.at(key)));
        }
        if (value < std::numeric_limits<int>::min()) {
            throw ValueError(fmt::format("{} is out of range, got '{}'", key, m_values.at(key)));
        }
        return int(value);
    }

    bool flag(const std::string& key, bool fallback) const {
        if (!has(key)) return fallback;
        const std::string& value = m_values.at(key);
        if (value == "true" || value == "1" || value == "yes") return true;
        if (value == "false" || value == "0" || value == "no") return false;
        throw ValueError(fmt::format("{} must be true or false, got '{}'", key, value));
    }

    // "2" gives {2, 2, 2}; "1x2x2" gives {1, 2, 2} (z, y, x).
    std::array<double, 3> triplet(const std::string& key,
                                  std::optional<std::array<double, 3>> fallback) const {
        if (!has(key)) {
            if (!fallback) throw ValueError(fmt::format("{} is required", key));
            return *fallback;
        }
        const std::string& text = m_values.at(key);
        std::vector<double> values;
        std::size_t begin = 0;
        while (begin <= text.size()) {
            const std::size_t end = std::min(text.find('x', begin), text.size());
            values.push_back(parse_number(key, text.substr(begin, end - begin)));
            begin = end + 1;
        }
        if (values.size() == 1) return {values[0], values[0], values[0]};
        if (values.size() != 3)
            throw ValueError(fmt::format("{} must be one value or ZxYxX, got '{}'", key, text));
        return {values[0], values[1], values[2]};
    }

    std::array<std::int64_t, 3> integer_triplet(
        const std::string& key, std::optional<std::array<double, 3>> fallback) const {
        const auto values = triplet(key, fallback);
        std::array<std::int64_t, 3> result{};
        for (int i = 0; i < 3; ++i) {
            if (values[i] != std::floor(values[i])) {
                throw ValueError(
                    fmt::format("{} must be whole numbers, got '{}'", key, text(key, "")));
            }
            // As integer(): beyond 9e15 a double no longer holds every whole number, and
            // past 2^63 the conversion would be undefined.
            if (std::fabs(values[i]) > 9.0e15) {
                throw ValueError(fmt::format("{} is out of range, got '{}'", key, text(key, "")));
            }
            result[i] = std::int64_t(values[i]);
        }
        return result;
    }

private:
    static double parse_number(const std::string& key, std::string_view text) {
        double value = 0.0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size() || text.empty() ||
            !std::isfinite(value)) {
            throw ValueError(fmt::format("{} must be a number, got '{}'", key, text));
        }
        return value;
    }

    std::string m_op;
    std::map<std::string, std::string> m_values;
    std::vector<std::string>* m_notes = nullptr;
};

Axis parse_axis(const std::string& text) {
    if (text == "z" || text == "0") return Axis::z;
    if (text == "y" || text == "1") return Axis::y;
    if (text == "x" || text == "2") return Axis::x;
    throw ValueError(fmt::format("axis must be z, y or x, got '{}'", text));
}

ChannelMode parse_channel_mode(const std::string& text) {
    if (text == "joint") return ChannelMode::joint;
    if (text == "per_channel" || text == "channel") return ChannelMode::per_channel;
    throw ValueError(fmt::format("mode must be joint or per_channel, got '{}'", text));
}

// "image", "dtype" or a pixel type name: skimage's in_range/out_range words, for the
// parameter `key` ("in" or "out").
IntensityRange parse_range_word(const std::string& key, const std::string& text) {
    if (text == "image") return IntensityRange::image();
    if (text == "dtype") return IntensityRange::dtype();
    try {
        return IntensityRange::named(text);
    } catch (const ValueError&) {
        throw ValueError(
            fmt::format("{} must be image, dtype or a pixel type such as uint8 or uint12, got '{}'",
                        key, text));
    }
}

struct Operation {
    OperationInfo info;
    std::vector<std::string> names;  // parameter names in positional order
    std::function<Volume(Volume, const Args&)> apply;
};

std::vector<std::string> names_of(const std::vector<std::string>& parameters) {
    std::vector<std::string> names;
    for (const std::string& parameter : parameters)
        names.push_back(parameter.substr(0, parameter.find('=')));
    return names;
}

Operation make(std::string name, std::string summary, std::vector<std::string> parameters,
               std::function<Volume(Volume, const Args&)> apply) {
    Operation operation{
        {std::move(name), std::move(summary), parameters}, names_of(parameters), std::move(apply)};
    return operation;
}

// The levels a clip, normalize or rescale came to, exactly as numbers (shortest round
// trip), and for the steps that rescale to the dtype's range, the explicit steps that
// repeat them: "in 1063..27352.2, out 0..65535 (as rescale:1063,27352.2)".
std::string levels_note(std::span<const RescaleLevels> levels, bool repeatable) {
    // Channels share the out range unless a signed type's channels differ in sign (a
    // negative in_low keeps the negative half of the type).
    const bool same_out = std::all_of(levels.begin(), levels.end(), [&](const RescaleLevels& l) {
        return l.out_low == levels[0].out_low && l.out_high == levels[0].out_high;
    });
    std::vector<std::string> ranges, steps;
    for (std::size_t c = 0; c < levels.size(); ++c) {
        const std::string where = levels.size() > 1 ? fmt::format("channel {}: ", c) : "";
        const std::string out =
            same_out ? "" : fmt::format(", out {}..{}", levels[c].out_low, levels[c].out_high);
        ranges.push_back(
            fmt::format("{}in {}..{}{}", where, levels[c].in_low, levels[c].in_high, out));
        steps.push_back(fmt::format("rescale:{},{}{}", levels[c].in_low, levels[c].in_high,
                                    levels.size() > 1 ? fmt::format(",channel={}", c) : ""));
    }
    std::string text = fmt::format("{}", fmt::join(ranges, "; "));
    if (same_out) text += fmt::format("; out {}..{}", levels[0].out_low, levels[0].out_high);
    if (repeatable) text += fmt::format(" (as {})", fmt::join(steps, " "));
    return text;
}

// rescale_intensity() of a step, noting the levels it used.
Volume rescale_noted(Volume v, const Args& a, const IntensityRange& in, const IntensityRange& out,
                     const std::string& default_mode, bool repeatable) {
    std::vector<RescaleLevels> levels;
    Volume result = rescale_intensity(std::move(v), in, out,
                                      parse_channel_mode(a.text("mode", default_mode)), levels);
    // Explicit and dtype ranges are known already; the image's and percentiles are found.
    const bool found =
        in.kind == IntensityRange::Kind::image || in.kind == IntensityRange::Kind::percentiles;
    if (found && !levels.empty()) a.note(levels_note(levels, repeatable && !a.only_channel()));
    return result;
}

// The share of a u8 mask's voxels that are set.
double set_fraction(const Volume& mask) {
    const auto view = mask.view<std::uint8_t>();
    const Shape& shape = mask.shape();
    std::vector<std::int64_t> counts(std::size_t(shape.z), 0);
    parallel_for(0, shape.z, 1, [&](std::int64_t z_begin, std::int64_t z_end) {
        for (std::int64_t z = z_begin; z < z_end; ++z) {
            std::int64_t count = 0;
            for (std::int64_t c = 0; c < shape.c; ++c) {
                for (std::int64_t y = 0; y < shape.y; ++y) {
                    const std::uint8_t* row = view.row(z, y, c);
                    if (view.strides[2] == 1) {  // threshold()'s own output: in vectors
                        for (std::int64_t x = 0; x < shape.x; ++x)
                            count += row[x] != 0;
                    } else {
                        for (std::int64_t x = 0; x < shape.x; ++x)
                            count += row[x * view.strides[2]] != 0;
                    }
                }
            }
            counts[std::size_t(z)] = count;
        }
    });
    std::int64_t total = 0;
    for (const std::int64_t count : counts)
        total += count;
    return shape.values() == 0 ? 0.0 : double(total) / double(shape.values());
}

double threshold_level(const Volume& volume, const std::string& method, int nbins) {
    if (method == "otsu") return threshold_otsu(volume, nbins);
    if (method == "li") return threshold_li(volume);
    if (method == "yen") return threshold_yen(volume, nbins);
    if (method == "triangle") return threshold_triangle(volume, nbins);
    if (method == "mean") return threshold_mean(volume);
    double level = 0.0;
    const auto [end, error] = std::from_chars(method.data(), method.data() + method.size(), level);
    if (error != std::errc() || end != method.data() + method.size() || !std::isfinite(level)) {
        throw ValueError(fmt::format(
            "method must be otsu, li, yen, triangle, mean or a finite number, got '{}'", method));
    }
    return level;
}

const std::vector<Operation>& operations() {
    static const std::vector<Operation> table = {
        make("gamma",
             "power law: out = gain * in^gamma on the dtype's range (skimage adjust_gamma)",
             {"gamma=1", "gain=1"},
             [](Volume v, const Args& a) {
                 return adjust_gamma(std::move(v), a.number("gamma", 1.0), a.number("gain", 1.0));
             }),
        make("log", "logarithmic correction (skimage adjust_log)", {"gain=1", "inv=false"},
             [](Volume v, const Args& a) {
                 return adjust_log(std::move(v), a.number("gain", 1.0), a.flag("inv", false));
             }),
        make("sigmoid", "sigmoid correction (skimage adjust_sigmoid)",
             {"cutoff=0.5", "gain=10", "inv=false"},
             [](Volume v, const Args& a) {
                 return adjust_sigmoid(std::move(v), a.number("cutoff", 0.5),
                                       a.number("gain", 10.0), a.flag("inv", false));
             }),
        make("rescale",
             "rescale_intensity: in_low..in_high (default: the image's range) to out (dtype, or a "
             "type)",
             {"in_low", "in_high", "in=image", "out=dtype", "mode=joint"},
             [](Volume v, const Args& a) {
                 IntensityRange in = parse_range_word("in", a.text("in", "image"));
                 if (a.has("in_low") != a.has("in_high")) {
                     // A default for the missing end would silently clip to an unrelated level.
                     throw ValueError(a.has("in_low") ? "in_low needs in_high as well"
                                                      : "in_high needs in_low as well");
                 }
                 if (a.has("in_low")) {
                     in = IntensityRange::values(a.number("in_low", 0.0), a.number("in_high", 1.0));
                 }
                 const std::string out = a.text("out", "dtype");
                 return rescale_noted(std::move(v), a, in, parse_range_word("out", out), "joint",
                                      out == "dtype");
             }),
        make("clip",
             "clip at percentiles and rescale to the dtype's range (the tutorial's 0.5%/99.5%)",
             {"low=0.5", "high=99.5", "mode=joint"},
             [](Volume v, const Args& a) {
                 return rescale_noted(
                     std::move(v), a,
                     IntensityRange::percentiles(a.number("low", 0.5), a.number("high", 99.5)),
                     IntensityRange::dtype(), "joint", true);
             }),
        make("normalize",
             "rescale each channel from its own percentiles to the dtype's range (the kidney case)",
             {"low=0", "high=100", "mode=per_channel"},
             [](Volume v, const Args& a) {
                 return rescale_noted(
                     std::move(v), a,
                     IntensityRange::percentiles(a.number("low", 0.0), a.number("high", 100.0)),
                     IntensityRange::dtype(), "per_channel", true);
             }),
        make("equalize",
             "histogram equalization to [0, 1] (skimage equalize_hist), from a mask's voxels if "
             "given",
             {"nbins=256", "mask"},
             [](Volume v, const Args& a) {
                 const int nbins = a.int_integer("nbins", 256);
                 if (!a.has("mask")) return equalize_hist(v, nbins);
                 const Volume mask = open_volume(a.text("mask", ""));
                 return equalize_hist(v, nbins, &mask);
             }),
        make("clahe", "3D contrast-limited adaptive equalization (skimage equalize_adapthist)",
             {"kernel", "clip_limit=0.01", "nbins=256", "kernel_physical"},
             [](Volume v, const Args& a) {
                 std::optional<KernelSize> kernel;
                 if (a.has("kernel")) kernel = a.integer_triplet("kernel", std::nullopt);
                 if (a.has("kernel_physical"))
                     kernel = kernel_size_physical(v, a.triplet("kernel_physical", std::nullopt));
                 Volume result = equalize_adapthist(v, kernel, a.number("clip_limit", 0.01),
                                                    a.int_integer("nbins", 256));
                 // The kernel skimage's default or a physical size came to.
                 if (!a.has("kernel") && a.wants_notes()) {
                     const KernelSize used = kernel ? *kernel : default_kernel_size(v);
                     std::string note =
                         fmt::format("kernel {}x{}x{} voxels", used[0], used[1], used[2]);
                     const Spacing& spacing = v.spacing();
                     if (spacing.known) {
                         note += fmt::format(" ({:.4g}x{:.4g}x{:.4g} {})",
                                             double(used[0]) * spacing.zyx[0],
                                             double(used[1]) * spacing.zyx[1],
                                             double(used[2]) * spacing.zyx[2], spacing.unit);
                     }
                     a.note(note);
                 }
                 return result;
             }),
        make("match",
             "match the histogram of a reference volume, joint or per channel (skimage "
             "match_histograms)",
             {"reference", "mode=joint"},
             [](Volume v, const Args& a) {
                 if (!a.has("reference"))
                     throw ValueError("reference is required (a volume's path or sample:NAME)");
                 const Volume reference = open_volume(a.text("reference", ""));
                 return match_histograms(v, reference, parse_channel_mode(a.text("mode", "joint")));
             }),
        make("resize", "resize to ZxYxX voxels (skimage resize; spacing updated)",
             {"shape", "order=1", "anti_aliasing"},
             [](Volume v, const Args& a) {
                 ResizeOptions options;
                 options.order = a.int_integer("order", 1);
                 if (a.has("anti_aliasing")) options.anti_aliasing = a.flag("anti_aliasing", true);
                 return resize(v, a.integer_triplet("shape", std::nullopt), options);
             }),
        make("zoom", "scale by factors, one or ZxYxX (skimage rescale)",
             {"factor", "order=1", "anti_aliasing"},
             [](Volume v, const Args& a) {
                 ResizeOptions options;
                 options.order = a.int_integer("order", 1);
                 if (a.has("anti_aliasing")) options.anti_aliasing = a.flag("anti_aliasing", true);
                 return rescale(v, a.triplet("factor", std::nullopt), options);
             }),
        make("isotropic", "resample to the finest spacing on every axis", {"order=1"},
             [](Volume v, const Args& a) {
                 return resample_isotropic(v, a.int_integer("order", 1));
             }),
        make("flip", "reverse an axis (z, y or x)", {"axis"},
             [](Volume v, const Args& a) { return flip(v, parse_axis(a.text("axis", ""))); }),
        make("crop", "keep voxels [begin, end) given as ZxYxX (spacing kept, origin moved)",
             {"begin=0", "end"},
             [](Volume v, const Args& a) {
                 const Shape& shape = v.shape();
                 const auto begin = a.integer_triplet("begin", std::array<double, 3>{0, 0, 0});
                 const auto end = a.integer_triplet(
                     "end",
                     std::array<double, 3>{double(shape.z), double(shape.y), double(shape.x)});
                 return crop(v, Box{begin, end});
             }),
        make("permute", "reorder the axes: output axis i is input axis order[i], e.g. 2x1x0",
             {"order"},
             [](Volume v, const Args& a) {
                 const auto order = a.integer_triplet("order", std::nullopt);
                 std::array<int, 3> axes{};
                 for (std::size_t i = 0; i < 3; ++i) {
                     if (order[i] < 0 || order[i] > 2) {
                         throw ValueError(
                             fmt::format("axis order must be a permutation of 0, 1, 2, got '{}'",
                                         a.text("order", "")));
                     }
                     axes[i] = int(order[i]);
                 }
                 return permute_axes(v, axes);
             }),
        make("pad", "pad each axis by width voxels at both ends, one or ZxYxX (numpy.pad)",
             {"width", "mode=constant", "value=0"},
             [](Volume v, const Args& a) {
                 const auto width = a.integer_triplet("width", std::nullopt);
                 return pad(v, {{{width[0], width[0]}, {width[1], width[1]}, {width[2], width[2]}}},
                            parse_pad_mode(a.text("mode", "constant")), a.number("value", 0.0));
             }),
        make("block_mean", "mean over blocks of ZxYxX voxels (skimage downscale_local_mean)",
             {"factor"},
             [](Volume v, const Args& a) {
                 return block_mean(v, a.integer_triplet("factor", std::nullopt));
             }),
        make("gaussian",
             "Gaussian smoothing, sigma in voxels or (unit=physical) in the spacing's unit",
             {"sigma", "unit=voxels"},
             [](Volume v, const Args& a) {
                 GaussianOptions options;
                 const std::string unit = a.text("unit", "voxels");
                 if (unit != "voxels" && unit != "physical") {
                     throw ValueError(
                         fmt::format("unit must be voxels or physical, got '{}'", unit));
                 }
                 options.unit = unit == "physical" ? SigmaUnit::physical : SigmaUnit::voxels;
                 const std::array<double, 3> sigma = a.triplet("sigma", std::nullopt);
                 Volume result = gaussian(v, sigma, options);
                 if (options.unit == SigmaUnit::physical) {  // the spacing is known (or it threw)
                     const auto& spacing = v.spacing().zyx;
                     a.note(fmt::format("sigma {:.4g}x{:.4g}x{:.4g} voxels", sigma[0] / spacing[0],
                                        sigma[1] / spacing[1], sigma[2] / spacing[2]));
                 }
                 return result;
             }),
        make("median", "median over a (2r+1)^3 cube", {"radius=1"},
             [](Volume v, const Args& a) { return median(v, a.integer("radius", 1)); }),
        make("project",
             "max, min, mean, sum or std projection along an axis, optionally over [begin, end)",
             {"mode=max", "axis=z", "begin", "end"},
             [](Volume v, const Args& a) {
                 std::optional<Slab> slab;
                 if (a.has("begin") || a.has("end")) {
                     const Axis axis = parse_axis(a.text("axis", "z"));
                     slab = Slab{a.integer("begin", 0), a.integer("end", v.shape().extent(axis))};
                 }
                 return project(v, parse_axis(a.text("axis", "z")),
                                parse_project_mode(a.text("mode", "max")), slab);
             }),
        make("threshold",
             "mask (u8 0/1) of values above a level: otsu, li, yen, triangle, mean or a number",
             {"method=otsu", "nbins=256"},
             [](Volume v, const Args& a) {
                 const std::string method = a.text("method", "otsu");
                 const double level = threshold_level(v, method, a.int_integer("nbins", 256));
                 Volume mask = threshold(v, level);
                 if (a.wants_notes()) {
                     const bool named = std::isalpha(static_cast<unsigned char>(method[0]));
                     a.note(fmt::format("{}level {}, {:.4g}% of the voxels above it",
                                        named ? method + " " : "", level,
                                        100.0 * set_fraction(mask)));
                 }
                 return mask;
             }),
        make("in_range", "mask (u8 0/255) of low <= value <= high, as cv2.inRange", {"low", "high"},
             [](Volume v, const Args& a) {
                 if (!a.has("low") || !a.has("high")) throw ValueError("low and high are required");
                 return in_range(v, a.number("low", 0.0), a.number("high", 0.0));
             }),
        make("label", "connected components of a mask (i32 labels), connectivity 6, 18 or 26",
             {"connectivity=26"},
             [](Volume v, const Args& a) {
                 std::int64_t count = 0;
                 Volume labels = label(v, a.int_integer("connectivity", 26), count);
                 a.note(fmt::format("{} component{}", count, count == 1 ? "" : "s"));
                 return labels;
             }),
        make("astype", "change the pixel type: cast exact values, clip or rescale",
             {"dtype", "cast=clip"},
             [](Volume v, const Args& a) {
                 return astype(v, parse_pixel_type(a.text("dtype", "")),
                               parse_cast_mode(a.text("cast", "clip")));
             }),
        make("as_float", "skimage img_as_float", {},
             [](Volume v, const Args&) { return img_as_float(v); }),
        make("as_ubyte", "skimage img_as_ubyte", {},
             [](Volume v, const Args&) { return img_as_ubyte(v); }),
        make("as_uint", "skimage img_as_uint", {},
             [](Volume v, const Args&) { return img_as_uint(v); }),
        make("channel", "keep one channel (from 0)", {"index"},
             [](Volume v, const Args& a) {
                 if (!a.has("index")) throw ValueError("index is required");
                 return v.channel(a.integer("index", 0));
             }),
    };
    return table;
}

// Runs `operation` on channel c alone and puts its result back in that channel's place,
// the others kept: settings per channel (the tutorial's value range for each channel, a
// gamma per channel) become steps in a row. The step must keep the pixel type and shape.
Volume apply_to_one_channel(Volume volume, std::int64_t c, const Operation& operation,
                            const Args& args) {
    const Shape shape = volume.shape();
    if (c >= shape.c) {
        throw ValueError(fmt::format("channel {} is out of range: the volume has {} channel{}", c,
                                     shape.c, shape.c == 1 ? "" : "s"));
    }
    // While `volume` holds the buffer too, the op cannot work in place on the view.
    const Volume part = operation.apply(volume.channel(c), args);
    if (part.shape() != Shape{shape.z, shape.y, shape.x, 1} ||
        part.pixel_type() != volume.pixel_type()) {
        throw ValueError(fmt::format(
            "channel={} needs a step that keeps the pixel type and shape, but {} turns {} {} "
            "into {} {} (convert the volume first, e.g. with as_float, or take the channel alone "
            "with channel:{})",
            c, operation.info.name, spatial_shape_text(shape), pixel_type_name(volume.pixel_type()),
            spatial_shape_text(part.shape()), pixel_type_name(part.pixel_type()), c));
    }
    // A volume shared with the caller, or with `part` itself (a view the op returned), is
    // copied before it is written.
    if (!volume.is_sole_owner()) volume = volume.copy();
    visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const auto from = part.view<T>();
        const auto to = volume.mutable_view<T>();
        parallel_for(0, shape.z, 1, [&](std::int64_t z_begin, std::int64_t z_end) {
            for (std::int64_t z = z_begin; z < z_end; ++z) {
                for (std::int64_t y = 0; y < shape.y; ++y) {
                    const T* source = from.row(z, y, 0);
                    T* target = to.row(z, y, c);
                    for (std::int64_t x = 0; x < shape.x; ++x)
                        target[x * to.strides[2]] = source[x * from.strides[2]];
                }
            }
        });
    });
    return volume;
}

const Operation& find_operation(const std::string& name) {
    for (const Operation& operation : operations()) {
        if (operation.info.name == name) return operation;
    }
    std::vector<std::string> known;
    for (const Operation& operation : operations())
        known.push_back(operation.info.name);
    throw ValueError(fmt::format("unknown op '{}' ({}known: {})", name, did_you_mean(name, known),
                                 fmt::join(known, ", ")));
}

// Positional values get the op's parameter names; unknown ops keep them for the error.
Step name_positionals(Step step, const std::vector<std::string>& positionals) {
    const Operation& operation = find_operation(step.op);
    if (positionals.size() > operation.names.size()) {
        throw ValueError(fmt::format("op '{}' takes at most {} positional values, got {}", step.op,
                                     operation.names.size(), positionals.size()));
    }
    for (std::size_t i = 0; i < positionals.size(); ++i) {
        step.parameters.insert(step.parameters.begin() + std::ptrdiff_t(i),
                               {operation.names[i], positionals[i]});
    }
    return step;
}

std::string step_label(std::size_t index, const Step& step) {
    return fmt::format("step {} ({})", index + 1, step.op);
}

}  // namespace

std::vector<Step> parse_steps_json(std::string_view json) {
    // Ordered, so that parameters keep the user's order when the steps are printed back.
    using Json = nlohmann::ordered_json;
    Json document;
    // The parser keeps the last of repeated keys; the command line refuses gamma:0.5,gamma=2,
    // so JSON refuses {"gamma": 0.5, "gamma": 2} too.
    std::vector<std::set<std::string>> keys_per_object;
    std::string repeated_key;
    const auto find_repeated_keys = [&](int, Json::parse_event_t event, Json& parsed) {
        if (event == Json::parse_event_t::object_start) {
            keys_per_object.emplace_back();
        } else if (event == Json::parse_event_t::object_end) {
            keys_per_object.pop_back();
        } else if (event == Json::parse_event_t::key && !keys_per_object.empty() &&
                   !keys_per_object.back().insert(parsed.get<std::string>()).second &&
                   repeated_key.empty()) {
            repeated_key = parsed.get<std::string>();
        }
        return true;
    };
    try {
        document = Json::parse(json, find_repeated_keys);
    } catch (const nlohmann::json::exception& error) {
        throw ValueError(fmt::format("bad steps JSON: {}", error.what()));
    }
    if (!repeated_key.empty())
        throw ValueError(
            fmt::format("bad steps JSON: key '{}' is given twice in one object", repeated_key));
    if (document.is_object()) document = Json::array({document});
    if (!document.is_array())
        throw ValueError("bad steps JSON: expected a list of {\"op\": ...} objects");
    std::vector<Step> steps;
    for (std::size_t i = 0; i < document.size(); ++i) {
        const auto& item = document[i];
        if (!item.is_object() || !item.contains("op") || !item["op"].is_string()) {
            throw ValueError(
                fmt::format("step {}: expected an object with a string \"op\"", i + 1));
        }
        Step step{item["op"].get<std::string>(), {}};
        for (const auto& [key, value] : item.items()) {
            if (key == "op") continue;
            if (value.is_string()) {
                step.parameters.emplace_back(key, value.get<std::string>());
            } else if (value.is_number() || value.is_boolean()) {
                step.parameters.emplace_back(key, value.dump());
            } else {
                throw ValueError(
                    fmt::format("step {} ({}): parameter '{}' must be a number, string or boolean",
                                i + 1, step.op, key));
            }
        }
        steps.push_back(std::move(step));
    }
    return steps;
}

std::vector<Step> parse_steps_cli(std::span<const std::string> tokens) {
    std::vector<Step> steps;
    for (const std::string& token : tokens) {
        const std::size_t colon = token.find(':');
        Step step{token.substr(0, colon), {}};
        if (step.op.empty()) throw ValueError(fmt::format("bad step '{}': no op name", token));
        std::vector<std::string> positionals;
        if (colon != std::string::npos) {
            const std::string arguments = token.substr(colon + 1);
            std::size_t begin = 0;
            while (begin <= arguments.size()) {
                const std::size_t end = std::min(arguments.find(',', begin), arguments.size());
                const std::string argument = arguments.substr(begin, end - begin);
                if (argument.empty())
                    throw ValueError(fmt::format("bad step '{}': empty argument", token));
                const std::size_t equals = argument.find('=');
                if (equals == std::string::npos) {
                    if (!step.parameters.empty()) {
                        throw ValueError(
                            fmt::format("bad step '{}': positional value after key=value", token));
                    }
                    positionals.push_back(argument);
                } else {
                    step.parameters.emplace_back(argument.substr(0, equals),
                                                 argument.substr(equals + 1));
                }
                begin = end + 1;
            }
        }
        steps.push_back(name_positionals(std::move(step), positionals));
    }
    return steps;
}

std::string steps_to_json(std::span<const Step> steps) {
    nlohmann::ordered_json document = nlohmann::ordered_json::array();
    for (const Step& step : steps) {
        nlohmann::ordered_json item = {{"op", step.op}};
        for (const auto& [key, value] : step.parameters) {
            const char* const value_end = value.data() + value.size();
            std::int64_t integer = 0;
            double number = 0.0;
            if (const auto parsed = std::from_chars(value.data(), value_end, integer);
                parsed.ec == std::errc() && parsed.ptr == value_end) {
                item[key] = integer;  // exact, however large
                continue;
            }
            const auto [end, error] = std::from_chars(value.data(), value_end, number);
            if (error == std::errc() && end == value_end && std::isfinite(number)) {
                // Whole numbers stay integers ("nbins": 64, not 64.0).
                if (number == std::floor(number) && std::fabs(number) < 9.0e15) {
                    item[key] = std::int64_t(number);
                } else {
                    item[key] = number;
                }
            } else if (value == "true" || value == "false") {
                item[key] = value == "true";
            } else {
                item[key] = value;
            }
        }
        document.push_back(item);
    }
    return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void validate_steps(std::span<const Step> steps) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
        try {
            const Operation& operation = find_operation(steps[i].op);
            (void)Args(steps[i], operation.names).only_channel();
        } catch (const ValueError& error) {
            throw ValueError(fmt::format("{}: {}", step_label(i, steps[i]), error.what()));
        }
    }
}

namespace {

Volume run_step(Volume volume, const Step& step, std::vector<std::string>* notes) {
    const Operation& operation = find_operation(step.op);
    Args args(step, operation.names);
    args.set_notes(notes);
    if (const std::optional<std::int64_t> channel = args.only_channel())
        return apply_to_one_channel(std::move(volume), *channel, operation, args);
    return operation.apply(std::move(volume), args);
}

}  // namespace

Volume apply_step(Volume volume, const Step& step, std::vector<std::string>* notes) {
    return run_step(std::move(volume), step, notes);
}

Volume apply_steps(Volume volume, std::span<const Step> steps, std::vector<StepNote>* notes) {
    validate_steps(steps);
    Volume result = std::move(volume);
    for (std::size_t i = 0; i < steps.size(); ++i) {
        // The same error, of the same type, naming the step that raised it.
        const auto in_step = [&](const Error& error) {
            return fmt::format("{}: {}", step_label(i, steps[i]), error.what());
        };
        try {
            std::vector<std::string> texts;
            result = run_step(std::move(result), steps[i], notes ? &texts : nullptr);
            for (std::string& text : texts)
                notes->push_back({i, std::move(text)});
        } catch (const ValueError& error) {
            throw ValueError(in_step(error));
        } catch (const TypeError& error) {
            throw TypeError(in_step(error));
        } catch (const LimitError& error) {
            throw LimitError(in_step(error));
        } catch (const IoError& error) {  // a mask or reference that cannot be read
            throw IoError(in_step(error));
        } catch (const FormatError& error) {
            throw FormatError(in_step(error));
        }
    }
    return result;
}

const std::vector<OperationInfo>& operation_catalog() {
    static const std::vector<OperationInfo> catalog = [] {
        std::vector<OperationInfo> infos;
        for (const Operation& operation : operations())
            infos.push_back(operation.info);
        return infos;
    }();
    return catalog;
}

}  // namespace vox
