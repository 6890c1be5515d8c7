// The two metadata dialects in a TIFF's ImageDescription that carry the axes and the scale:
// ImageJ's key=value lines (ij.io.FileSaver.getDescriptionString) and OME-XML
// (https://docs.openmicroscopy.org/ome-model/6.3.1/ome-tiff/specification.html).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "tiff_internal.h"

namespace vox::io::tiff {
namespace {

// Counts above this are certainly corrupt and could overflow products of several of them.
constexpr std::int64_t kMaxCount = std::int64_t(1) << 31;

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\0'))
        text.remove_suffix(1);
    return text;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    text = trim(text);
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<double> parse_double(std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
        out += char(code);
    } else if (code < 0x800) {
        out += char(0xC0 | (code >> 6));
        out += char(0x80 | (code & 0x3F));
    } else {
        out += char(0xE0 | (code >> 12));
        out += char(0x80 | ((code >> 6) & 0x3F));
        out += char(0x80 | (code & 0x3F));
    }
}

// tifffile and ImageJ escape non-ASCII units as "\u00B5m".
std::string decode_escapes(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 5 < text.size() && text[i + 1] == 'u') {
            std::uint32_t code = 0;
            const auto [end, error] =
                std::from_chars(text.data() + i + 2, text.data() + i + 6, code, 16);
            if (error == std::errc() && end == text.data() + i + 6) {
                append_utf8(out, code);
                i += 5;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

// Local name of an element, without a namespace prefix ("ome:Pixels" -> "Pixels").
std::string_view local_name(const pugi::xml_node& node) {
    std::string_view name = node.name();
    const std::size_t colon = name.find(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child_named(const pugi::xml_node& parent, std::string_view name) {
    for (pugi::xml_node child : parent.children()) {
        if (child.type() == pugi::node_element && local_name(child) == name) return child;
    }
    return {};
}

}  // namespace

std::string normalize_unit(std::string_view unit) {
    std::string text = decode_escapes(trim(unit));
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (lower == "micron" || lower == "microns" || lower == "um" || lower == "\xC2\xB5m" ||
        lower == "\xCE\xBCm" || lower == "micrometer" || lower == "micrometre") {
        return "\xC2\xB5m";
    }
    return text;
}

std::optional<ImageJDescription> parse_imagej_description(std::string_view text,
                                                          const std::string& name) {
    if (!text.starts_with("ImageJ=")) return std::nullopt;
    ImageJDescription description;
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        const std::string_view line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        const std::size_t equals = line.find('=');
        if (equals == std::string_view::npos) continue;
        const std::string key(trim(line.substr(0, equals)));
        if (key.empty() || description.entries.count(key) != 0) continue;
        description.entries[key] = std::string(trim(line.substr(equals + 1)));
    }
    description.version = description.entries["ImageJ"];
    for (auto [key, target] : {std::pair<const char*, std::int64_t*>{"images", &description.images},
                               {"channels", &description.channels},
                               {"slices", &description.slices},
                               {"frames", &description.frames}}) {
        const auto found = description.entries.find(key);
        if (found == description.entries.end()) continue;
        const std::optional<std::int64_t> value = parse_integer(found->second);
        if (!value || *value < 1 || *value > kMaxCount) {
            throw FormatError(fmt::format("'{}': ImageJ description has {}={}, not a count from 1",
                                          name, key, found->second));
        }
        *target = *value;
    }
    if (const auto found = description.entries.find("hyperstack");
        found != description.entries.end()) {
        description.hyperstack = found->second == "true";
    }
    if (const auto found = description.entries.find("order"); found != description.entries.end()) {
        std::string order = found->second;
        std::transform(order.begin(), order.end(), order.begin(),
                       [](unsigned char c) { return char(std::tolower(c)); });
        description.order = order;
    }
    if (const auto found = description.entries.find("unit"); found != description.entries.end()) {
        description.unit = normalize_unit(found->second);
    }
    if (const auto found = description.entries.find("spacing");
        found != description.entries.end()) {
        const std::optional<double> spacing = parse_double(found->second);
        if (spacing && *spacing > 0) description.spacing = spacing;
    }
    return description;
}

namespace {

// Length units as micrometres per unit, or (for smaller units) units per micrometre, so
// that conversions multiply or divide by an exact power of ten: 500 nm is exactly 0.5 µm.
struct LengthUnit {
    std::string_view name;
    double micrometres;  // µm per unit, 0 if per_micrometre is used
    double per_micrometre;
};

constexpr LengthUnit kLengthUnits[] = {
    {"km", 1e9, 0},           {"m", 1e6, 0},       {"dm", 1e5, 0},   {"cm", 1e4, 0},
    {"mm", 1e3, 0},           {"\xC2\xB5m", 1, 0}, {"nm", 0, 1e3},   {"\xC3\x85", 0, 1e4},
    {"\xE2\x84\xAB", 0, 1e4}, {"pm", 0, 1e6},      {"fm", 0, 1e9},   {"in", 25400, 0},
    {"inch", 25400, 0},       {"ft", 304800, 0},   {"yd", 914400, 0}};

const LengthUnit* find_length_unit(std::string_view unit) {
    const std::string normalized = normalize_unit(unit);
    for (const LengthUnit& known : kLengthUnits) {
        if (normalized == known.name) return &known;
    }
    return nullptr;
}

}  // namespace

std::optional<double> unit_in_metres(std::string_view unit) {
    const LengthUnit* known = find_length_unit(unit);
    if (known == nullptr) return std::nullopt;
    return known->micrometres > 0 ? known->micrometres * 1e-6 : 1e-6 / known->per_micrometre;
}

double to_micrometres(double value, std::string_view unit) {
    const LengthUnit* known = find_length_unit(unit);
    if (known == nullptr) return value;
    return known->micrometres > 0 ? value * known->micrometres : value / known->per_micrometre;
}

std::int64_t ome_plane_index(std::string_view order, std::int64_t z, std::int64_t c, std::int64_t t,
                             std::int64_t size_z, std::int64_t size_c, std::int64_t size_t) {
    // order is "XY" then the three others, fastest first.
    std::int64_t index = 0;
    for (std::size_t i = order.size(); i-- > 2;) {
        switch (order[i]) {
            case 'Z':
                index = index * size_z + z;
                break;
            case 'C':
                index = index * size_c + c;
                break;
            default:
                index = index * size_t + t;
                break;
        }
    }
    return index;
}

OmeImage parse_ome_xml(std::string_view xml, const std::string& name) {
    pugi::xml_document document;
    const pugi::xml_parse_result parsed =
        document.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!parsed) {
        throw FormatError(fmt::format("'{}': OME-XML is not well formed: {} at offset {}", name,
                                      parsed.description(), parsed.offset));
    }
    const pugi::xml_node ome = child_named(document, "OME");
    const pugi::xml_node pixels = child_named(child_named(ome, "Image"), "Pixels");
    if (!pixels) throw FormatError(fmt::format("'{}': OME-XML has no Image/Pixels element", name));

    OmeImage image;
    for (auto [key, target] : {std::pair<const char*, std::int64_t*>{"SizeX", &image.size_x},
                               {"SizeY", &image.size_y},
                               {"SizeZ", &image.size_z},
                               {"SizeC", &image.size_c},
                               {"SizeT", &image.size_t}}) {
        // SizeX and SizeY must be there; the others default to 1 (older writers omit them).
        const bool optional = key[4] != 'X' && key[4] != 'Y';
        const std::string_view text = pixels.attribute(key).as_string(optional ? "1" : "");
        const std::optional<std::int64_t> value = parse_integer(text);
        if (!value || *value < 1 || *value > kMaxCount) {
            throw FormatError(fmt::format("'{}': OME-XML Pixels has {}=\"{}\", not a count from 1",
                                          name, key, text));
        }
        *target = *value;
    }
    image.dimension_order = pixels.attribute("DimensionOrder").as_string("XYZCT");
    static const std::string_view kOrders[] = {"XYZCT", "XYZTC", "XYCZT",
                                               "XYCTZ", "XYTZC", "XYTCZ"};
    if (std::find(std::begin(kOrders), std::end(kOrders), image.dimension_order) ==
        std::end(kOrders)) {
        throw FormatError(fmt::format("'{}': OME-XML has an unknown DimensionOrder \"{}\"", name,
                                      image.dimension_order));
    }
    image.type = pixels.attribute("Type").as_string();
    const char* axes[3] = {"X", "Y", "Z"};
    for (int axis = 0; axis < 3; ++axis) {
        const pugi::xml_attribute size =
            pixels.attribute(fmt::format("PhysicalSize{}", axes[axis]).c_str());
        if (!size) continue;
        const std::optional<double> value = parse_double(size.as_string());
        if (value && *value > 0) image.physical_size[std::size_t(axis)] = value;
        const pugi::xml_attribute unit =
            pixels.attribute(fmt::format("PhysicalSize{}Unit", axes[axis]).c_str());
        if (unit) image.physical_unit[std::size_t(axis)] = normalize_unit(unit.as_string());
    }
    for (pugi::xml_node child : pixels.children()) {
        if (child.type() != pugi::node_element) continue;
        const std::string_view kind = local_name(child);
        if (kind == "Channel") {
            image.channel_names.emplace_back(child.attribute("Name").as_string());
            const std::optional<std::int64_t> samples =
                parse_integer(child.attribute("SamplesPerPixel").as_string("1"));
            image.channel_samples.push_back(samples && *samples >= 1 && *samples <= 1024 ? *samples
                                                                                         : 1);
        } else if (kind == "TiffData") {
            OmeTiffData data;
            auto read = [&](const char* key, std::int64_t fallback) {
                const pugi::xml_attribute attribute = child.attribute(key);
                if (!attribute) return fallback;
                const std::optional<std::int64_t> value = parse_integer(attribute.as_string());
                if (!value || *value < 0 || *value > kMaxCount) {
                    throw FormatError(fmt::format("'{}': OME-XML TiffData has {}=\"{}\"", name, key,
                                                  attribute.as_string()));
                }
                return *value;
            };
            const bool any = child.attribute("IFD") || child.attribute("PlaneCount") ||
                             child.attribute("FirstZ") || child.attribute("FirstC") ||
                             child.attribute("FirstT");
            data.ifd = read("IFD", 0);
            data.first_z = read("FirstZ", 0);
            data.first_c = read("FirstC", 0);
            data.first_t = read("FirstT", 0);
            // The spec: no attributes means every plane; an IFD without a count means one.
            data.plane_count = read("PlaneCount", any ? 1 : -1);
            if (const pugi::xml_node uuid = child_named(child, "UUID"))
                data.file_name = uuid.attribute("FileName").as_string();
            image.tiff_data.push_back(std::move(data));
        }
    }
    return image;
}

}  // namespace vox::io::tiff
