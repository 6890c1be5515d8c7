// NRRD (.nrrd attached, .nhdr detached), read and written.
// Spec: "NRRD: Nearly Raw Raster Data", http://teem.sourceforge.net/nrrd/format.html (NRRD0001
// to NRRD0005).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "../format.h"
#include "voxels.h"

namespace vox::io {
namespace {

enum class Encoding { raw, gzip, ascii };

// Every field of the spec (canonical name), so that unknown fields are errors, as in teem.
constexpr std::string_view kFields[] = {"dimension",
                                        "type",
                                        "encoding",
                                        "endian",
                                        "content",
                                        "min",
                                        "max",
                                        "old min",
                                        "old max",
                                        "data file",
                                        "line skip",
                                        "byte skip",
                                        "sample units",
                                        "sizes",
                                        "spacings",
                                        "thicknesses",
                                        "axis mins",
                                        "axis maxs",
                                        "centers",
                                        "labels",
                                        "units",
                                        "kinds",
                                        "space",
                                        "space dimension",
                                        "space units",
                                        "space origin",
                                        "space directions",
                                        "measurement frame",
                                        "number",
                                        "block size"};

// Old spellings (NRRD0001-0003) of some fields.
std::string canonical_field(std::string_view name) {
    const std::string key = lower(name);
    static const std::map<std::string, std::string, std::less<>> kAliases = {
        {"datafile", "data file"},  {"lineskip", "line skip"}, {"byteskip", "byte skip"},
        {"oldmin", "old min"},      {"oldmax", "old max"},     {"axismins", "axis mins"},
        {"axismaxs", "axis maxs"},  {"centerings", "centers"}, {"sampleunits", "sample units"},
        {"blocksize", "block size"}};
    const auto alias = kAliases.find(key);
    return alias == kAliases.end() ? key : alias->second;
}

struct Header {
    std::map<std::string, std::string> fields;
    std::vector<std::pair<std::string, std::string>> key_values;
    std::vector<std::string> data_files;  // the lines after "data file: LIST"
    std::int64_t data_offset = -1;        // after the blank line; -1 if the header ends at EOF
};

Header parse_lines(const Source& source) {
    const std::string& name = source.name();
    const std::vector<std::byte> head = source.head(kMaxHeaderBytes + 1);
    const std::string_view text(reinterpret_cast<const char*>(head.data()), head.size());
    if (text.size() < 8 || text.substr(0, 7) != "NRRD000" || text[7] < '1' || text[7] > '5') {
        throw FormatError(fmt::format("'{}': not an NRRD file (no NRRD0001-NRRD0005 magic)", name));
    }
    Header header;
    bool in_list = false;
    std::size_t position = 0;
    for (int line_number = 1;; ++line_number) {
        std::size_t end = text.find('\n', position);
        if (end == std::string_view::npos) {
            if (std::int64_t(text.size()) > kMaxHeaderBytes) {
                throw FormatError(fmt::format("'{}': header is over the limit of {}", name,
                                              format_bytes(kMaxHeaderBytes)));
            }
            end = text.size();  // the last line of a detached header may lack its newline
        }
        std::string_view line = text.substr(position, end - position);
        const bool at_end = end == text.size();
        position = std::min(text.size(), end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line_number == 1) {
            if (at_end) break;
            continue;
        }
        if (line.empty()) {
            if (!at_end) header.data_offset = std::int64_t(position);
            break;
        }
        if (in_list) {
            if (std::int64_t(header.data_files.size()) >= kMaxDataFiles) {
                throw FormatError(
                    fmt::format("'{}': more than {} data files", name, kMaxDataFiles));
            }
            header.data_files.emplace_back(trim(line));
        } else if (line.front() != '#') {
            const std::size_t colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0) {
                throw FormatError(
                    fmt::format("'{}': line {} is not 'field: value'", name, line_number));
            }
            if (colon + 1 < line.size() && line[colon + 1] == '=') {
                header.key_values.emplace_back(line.substr(0, colon), line.substr(colon + 2));
            } else {
                const std::string field = canonical_field(line.substr(0, colon));
                if (std::find(std::begin(kFields), std::end(kFields), field) == std::end(kFields)) {
                    throw FormatError(fmt::format("'{}': unknown field '{}' on line {}", name,
                                                  line.substr(0, std::min<std::size_t>(colon, 40)),
                                                  line_number));
                }
                if (header.fields.count(field) != 0) {
                    throw FormatError(fmt::format("'{}': duplicate field '{}'", name, field));
                }
                const std::string_view value = trim(line.substr(colon + 1));
                header.fields.emplace(field, value);
                if (field == "data file" && (value == "LIST" || value.starts_with("LIST ")))
                    in_list = true;
            }
        }
        if (at_end) break;
    }
    return header;
}

PixelType parse_type(const std::string& name, const std::string& text) {
    const std::string key = lower(text);
    struct Alias {
        std::string_view text;
        PixelType type;
    };
    static constexpr Alias kTypes[] = {{"signed char", PixelType::i8},
                                       {"int8", PixelType::i8},
                                       {"int8_t", PixelType::i8},
                                       {"uchar", PixelType::u8},
                                       {"unsigned char", PixelType::u8},
                                       {"uint8", PixelType::u8},
                                       {"uint8_t", PixelType::u8},
                                       {"short", PixelType::i16},
                                       {"short int", PixelType::i16},
                                       {"signed short", PixelType::i16},
                                       {"signed short int", PixelType::i16},
                                       {"int16", PixelType::i16},
                                       {"int16_t", PixelType::i16},
                                       {"ushort", PixelType::u16},
                                       {"unsigned short", PixelType::u16},
                                       {"unsigned short int", PixelType::u16},
                                       {"uint16", PixelType::u16},
                                       {"uint16_t", PixelType::u16},
                                       {"int", PixelType::i32},
                                       {"signed int", PixelType::i32},
                                       {"int32", PixelType::i32},
                                       {"int32_t", PixelType::i32},
                                       {"uint", PixelType::u32},
                                       {"unsigned int", PixelType::u32},
                                       {"uint32", PixelType::u32},
                                       {"uint32_t", PixelType::u32},
                                       {"float", PixelType::f32},
                                       {"double", PixelType::f64}};
    for (const Alias& alias : kTypes) {
        if (alias.text == key) return alias.type;
    }
    static constexpr std::string_view kUnsupported[] = {
        "longlong", "long long", "long long int", "signed long long",   "signed long long int",
        "int64",    "int64_t",   "ulonglong",     "unsigned long long", "unsigned long long int",
        "uint64",   "uint64_t",  "block"};
    if (std::find(std::begin(kUnsupported), std::end(kUnsupported), key) !=
        std::end(kUnsupported)) {
        throw FormatError(
            fmt::format("'{}': unsupported type '{}' (no 64-bit integers or blocks)", name, text));
    }
    throw FormatError(fmt::format("'{}': unknown type '{}'", name, text.substr(0, 40)));
}

// "(1,0,0) none (0, 2.5, 0)": parenthesised vectors or bare words.
std::vector<std::string_view> split_vectors(std::string_view text) {
    std::vector<std::string_view> items;
    std::size_t position = 0;
    while (position < text.size()) {
        if (text[position] == ' ' || text[position] == '\t') {
            ++position;
            continue;
        }
        std::size_t end = position;
        if (text[position] == '(') {
            end = text.find(')', position);
            end = end == std::string_view::npos ? text.size() : end + 1;
        } else {
            while (end < text.size() && text[end] != ' ' && text[end] != '\t')
                ++end;
        }
        items.push_back(text.substr(position, end - position));
        position = end;
    }
    return items;
}

std::optional<std::vector<double>> parse_vector(std::string_view text, std::size_t size) {
    if (text.size() < 2 || text.front() != '(' || text.back() != ')') return std::nullopt;
    text = text.substr(1, text.size() - 2);
    std::vector<double> values;
    while (true) {
        const std::size_t comma = text.find(',');
        double value = 0;
        if (!parse_double(trim(text.substr(0, comma)), value) || !std::isfinite(value))
            return std::nullopt;
        values.push_back(value);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
        if (values.size() > size) return std::nullopt;
    }
    if (values.size() != size) return std::nullopt;
    return values;
}

// "\"mm\" \"mm\" \"mm\"": quoted strings with backslash escapes.
std::optional<std::vector<std::string>> parse_quoted(std::string_view text) {
    std::vector<std::string> items;
    std::size_t position = 0;
    while (true) {
        while (position < text.size() && (text[position] == ' ' || text[position] == '\t'))
            ++position;
        if (position == text.size()) break;
        if (text[position] != '"') return std::nullopt;
        std::string item;
        ++position;
        while (position < text.size() && text[position] != '"') {
            if (text[position] == '\\' && position + 1 < text.size()) ++position;
            item += text[position++];
        }
        if (position == text.size()) return std::nullopt;
        ++position;
        items.push_back(std::move(item));
    }
    return items;
}

// What each file axis becomes.
enum class Role { spatial, channel, time };

struct Plan {
    PixelType type = PixelType::u8;
    Encoding encoding = Encoding::raw;
    bool big_endian = false;
    std::vector<std::int64_t> sizes;  // file order, fastest first
    std::vector<Role> roles;
    VoxelLayout layout;  // of the volume read (one time point)
    std::int64_t time_points = 1;
    std::int64_t time_point = 0;
    std::int64_t line_skip = 0;
    std::int64_t byte_skip = 0;
};

constexpr std::string_view kKinds[] = {"domain",
                                       "space",
                                       "time",
                                       "list",
                                       "point",
                                       "vector",
                                       "covariant-vector",
                                       "normal",
                                       "stub",
                                       "scalar",
                                       "complex",
                                       "2-vector",
                                       "3-color",
                                       "rgb-color",
                                       "hsv-color",
                                       "xyz-color",
                                       "4-color",
                                       "rgba-color",
                                       "3-vector",
                                       "3-gradient",
                                       "3-normal",
                                       "4-vector",
                                       "quaternion",
                                       "2d-symmetric-matrix",
                                       "2d-masked-symmetric-matrix",
                                       "2d-matrix",
                                       "2d-masked-matrix",
                                       "3d-symmetric-matrix",
                                       "3d-masked-symmetric-matrix",
                                       "3d-matrix",
                                       "3d-masked-matrix",
                                       "???",
                                       "none"};

std::int64_t parse_count(const std::string& name, const Header& header, const std::string& field,
                         std::int64_t low) {
    const auto found = header.fields.find(field);
    if (found == header.fields.end()) return 0;
    std::int64_t value = 0;
    if (!parse_int(found->second, value) || value < low) {
        throw FormatError(
            fmt::format("'{}': bad {} '{}'", name, field, found->second.substr(0, 40)));
    }
    return value;
}

const std::string& required(const std::string& name, const Header& header,
                            const std::string& field) {
    const auto found = header.fields.find(field);
    if (found == header.fields.end()) {
        throw FormatError(fmt::format("'{}': missing required field '{}'", name, field));
    }
    return found->second;
}

struct Space {
    std::string name;  // canonical spelling
    std::array<double, 3> to_ras{1, 1, 1};
    bool anatomical = false;
};

Space parse_space(const std::string& name, const std::string& text) {
    const std::string key = lower(text);
    if (key == "right-anterior-superior" || key == "ras")
        return {"right-anterior-superior", {1, 1, 1}, true};
    if (key == "left-anterior-superior" || key == "las")
        return {"left-anterior-superior", {-1, 1, 1}, true};
    if (key == "left-posterior-superior" || key == "lps")
        return {"left-posterior-superior", {-1, -1, 1}, true};
    if (key == "scanner-xyz" || key == "3d-right-handed" || key == "3d-left-handed")
        return {key, {1, 1, 1}, false};
    if (key.ends_with("-time") || key == "rast" || key == "last" || key == "lpst") {
        throw FormatError(fmt::format("'{}': space '{}' with a time axis is not supported", name,
                                      text.substr(0, 40)));
    }
    throw FormatError(fmt::format("'{}': unknown space '{}'", name, text.substr(0, 40)));
}

Plan make_plan(const std::string& name, const Header& header, const ReadOptions& options) {
    Plan plan;
    required(name, header, "dimension");
    const std::int64_t dimension = parse_count(name, header, "dimension", 1);
    if (dimension > 4) {
        throw FormatError(
            fmt::format("'{}': dimension {} is not supported (1 to 4)", name, dimension));
    }
    plan.type = parse_type(name, required(name, header, "type"));
    const std::string encoding = lower(required(name, header, "encoding"));
    if (encoding == "raw") {
        plan.encoding = Encoding::raw;
    } else if (encoding == "gzip" || encoding == "gz") {
        plan.encoding = Encoding::gzip;
    } else if (encoding == "ascii" || encoding == "text" || encoding == "txt") {
        plan.encoding = Encoding::ascii;
    } else {
        throw FormatError(
            fmt::format("'{}': unsupported encoding '{}' (supported: raw, gzip, "
                        "ascii)",
                        name, encoding.substr(0, 40)));
    }
    const auto per_axis = [&](const std::string& field) -> std::optional<std::string> {
        const auto found = header.fields.find(field);
        if (found == header.fields.end()) return std::nullopt;
        return found->second;
    };
    const auto bad = [&](const std::string& field) {
        return FormatError(fmt::format("'{}': bad {} '{}' for dimension {}", name, field,
                                       header.fields.at(field).substr(0, 60), dimension));
    };
    // sizes
    const std::vector<std::string_view> size_words = split_words(required(name, header, "sizes"));
    if (std::int64_t(size_words.size()) != dimension) throw bad("sizes");
    for (std::string_view word : size_words) {
        std::int64_t size = 0;
        if (!parse_int(word, size) || size < 1) throw bad("sizes");
        plan.sizes.push_back(size);
    }
    // endian: needed for multi-byte raw and gzip data
    if (const auto endian = per_axis("endian")) {
        const std::string value = lower(*endian);
        if (value != "little" && value != "big") {
            throw FormatError(fmt::format("'{}': bad endian '{}'", name, endian->substr(0, 40)));
        }
        plan.big_endian = value == "big";
    } else if (pixel_size(plan.type) > 1 && plan.encoding != Encoding::ascii) {
        throw FormatError(fmt::format("'{}': missing required field 'endian'", name));
    }
    if (plan.encoding == Encoding::ascii) plan.big_endian = kHostBigEndian;
    plan.line_skip = parse_count(name, header, "line skip", 0);
    plan.byte_skip = parse_count(name, header, "byte skip", -1);
    if (plan.byte_skip == -1 && plan.encoding != Encoding::raw) {
        throw FormatError(fmt::format("'{}': byte skip -1 needs raw encoding", name));
    }
    // kinds
    std::vector<std::string> kinds;
    if (const auto text = per_axis("kinds")) {
        for (std::string_view word : split_words(*text)) {
            kinds.push_back(lower(word));
            if (std::find(std::begin(kKinds), std::end(kKinds), kinds.back()) == std::end(kKinds)) {
                throw FormatError(fmt::format("'{}': unknown kind '{}'", name, word.substr(0, 40)));
            }
        }
        if (std::int64_t(kinds.size()) != dimension) throw bad("kinds");
    }
    // space and space directions: they decide which axes are spatial
    std::optional<Space> space;
    std::int64_t space_dimension = 0;
    if (const auto text = per_axis("space")) {
        if (header.fields.count("space dimension") != 0) {
            throw FormatError(
                fmt::format("'{}': both 'space' and 'space dimension' are given", name));
        }
        space = parse_space(name, *text);
        space_dimension = 3;
    } else if (header.fields.count("space dimension") != 0) {
        space_dimension = parse_count(name, header, "space dimension", 1);
        if (space_dimension != 3) {
            throw FormatError(fmt::format("'{}': space dimension {} is not supported (3 only)",
                                          name, space_dimension));
        }
    }
    std::vector<std::optional<std::vector<double>>> directions;
    if (const auto text = per_axis("space directions")) {
        if (space_dimension == 0) {
            throw FormatError(fmt::format("'{}': 'space directions' without a space", name));
        }
        for (std::string_view item : split_vectors(*text)) {
            if (item == "none") {
                directions.emplace_back();
                continue;
            }
            auto vector = parse_vector(item, std::size_t(space_dimension));
            if (!vector) throw bad("space directions");
            directions.push_back(std::move(vector));
        }
        if (std::int64_t(directions.size()) != dimension) throw bad("space directions");
    }
    // Roles: spatial axes by space directions, else by kinds, else all.
    plan.roles.assign(std::size_t(dimension), Role::spatial);
    for (std::size_t axis = 0; axis < std::size_t(dimension); ++axis) {
        bool spatial = true;
        if (!directions.empty()) {
            spatial = directions[axis].has_value();
        } else if (!kinds.empty()) {
            spatial = kinds[axis] == "domain" || kinds[axis] == "space";
        }
        if (!spatial) plan.roles[axis] = Role::channel;
    }
    auto spatial_count = std::count(plan.roles.begin(), plan.roles.end(), Role::spatial);
    if (spatial_count == 4) {
        plan.roles[3] = Role::time;  // four domain axes: the slowest is time
        spatial_count = 3;
    }
    if (dimension - spatial_count > 1) {
        throw FormatError(
            fmt::format("'{}': more than one non-spatial axis is not supported", name));
    }
    for (std::size_t axis = 0; axis < std::size_t(dimension); ++axis) {
        if (plan.roles[axis] == Role::spatial) continue;
        const std::string kind = kinds.empty() ? "none" : kinds[axis];
        if (axis == 0 && dimension > 1) continue;  // fastest: interleaved channels
        if (axis + 1 == std::size_t(dimension) && dimension > 1) {
            // slowest: a time series unless its kind says components (planar channels)
            if (kind == "time" || kind == "domain" || kind == "space" || kind == "none" ||
                kind == "???") {
                plan.roles[axis] = Role::time;
            }
            continue;
        }
        if (dimension == 1) continue;
        throw FormatError(
            fmt::format("'{}': non-spatial axis {} (kind '{}') must be the first or "
                        "the last axis",
                        name, axis, kind));
    }
    if (std::count(plan.roles.begin(), plan.roles.end(), Role::time) == 1 &&
        options.time_as_channels) {
        plan.roles.back() = Role::channel;
    }
    // Layout: file axes (fastest first) become Volume x, y, z in turn, channels, or time.
    std::array<std::int64_t, 4> extents{1, 1, 1, 1};
    std::vector<int> file_axes;  // fastest first, as Volume axes
    int next_spatial = 2;        // x, then y, then z
    for (std::size_t axis = 0; axis < std::size_t(dimension); ++axis) {
        const std::int64_t size = plan.sizes[axis];
        switch (plan.roles[axis]) {
            case Role::spatial:
                extents[std::size_t(next_spatial)] = size;
                file_axes.push_back(next_spatial--);
                break;
            case Role::channel:
                extents[3] = size;
                file_axes.push_back(3);
                break;
            case Role::time:
                plan.time_points = size;
                break;
        }
    }
    if (std::count(plan.roles.begin(), plan.roles.end(), Role::time) != 0) {
        plan.time_point = options.time_point;
        if (plan.time_point < 0 || plan.time_point >= plan.time_points) {
            throw ValueError(fmt::format("'{}': time point {} is out of range (the file has {})",
                                         name, plan.time_point, plan.time_points));
        }
    }
    std::vector<int> order(file_axes.rbegin(), file_axes.rend());
    for (int axis = 0; axis < 4; ++axis) {
        if (std::find(order.begin(), order.end(), axis) == order.end())
            order.insert(order.begin(), axis);
    }
    plan.layout.shape = {extents[0], extents[1], extents[2], extents[3]};
    plan.layout.type = plan.type;
    plan.layout.big_endian = plan.big_endian;
    std::copy(order.begin(), order.end(), plan.layout.order.begin());
    return plan;
}

// Offset after skipping `lines` newlines from `offset` (the spec's "line skip").
std::int64_t skip_lines(const Source& data, std::int64_t offset, std::int64_t lines) {
    std::vector<char> chunk(std::size_t(1) << 16);
    while (lines > 0) {
        const std::int64_t part =
            std::min<std::int64_t>(std::int64_t(chunk.size()), data.size() - offset);
        if (part <= 0) {
            throw FormatError(
                fmt::format("'{}': line skip goes past the end of the file", data.name()));
        }
        data.read(offset, chunk.data(), part);
        for (std::int64_t i = 0; i < part && lines > 0; ++i) {
            if (chunk[std::size_t(i)] == '\n') {
                --lines;
                if (lines == 0) return offset + i + 1;
            }
        }
        offset += part;
    }
    return offset;
}

std::string describe(const Plan& plan) {
    const Shape& shape = plan.layout.shape;
    const std::string channels = shape.c > 1 ? fmt::format("x{}", shape.c) : "";
    const std::string times =
        plan.time_points > 1 ? fmt::format("{} time points of ", plan.time_points) : "";
    return fmt::format("{}{}x{}x{}{} {}", times, shape.z, shape.y, shape.x, channels,
                       pixel_type_name(plan.type));
}

// The data of one file (piece) as a source and the offset where its elements start.
struct Piece {
    Source source;
    std::int64_t offset = 0;
};

Piece load_piece(const Source& data, std::int64_t start, const Plan& plan,
                 std::int64_t piece_bytes) {
    std::int64_t offset = skip_lines(data, start, plan.line_skip);
    switch (plan.encoding) {
        case Encoding::raw: {
            if (plan.byte_skip == -1) {
                offset = data.size() - piece_bytes;  // the data are the file's last bytes
            } else {
                if (plan.byte_skip > data.size() - offset) {
                    throw FormatError(
                        fmt::format("'{}': byte skip {} goes past the end of the file", data.name(),
                                    plan.byte_skip));
                }
                offset += plan.byte_skip;
            }
            if (offset < 0 || offset > data.size() || piece_bytes > data.size() - offset) {
                throw FormatError(
                    fmt::format("'{}': header claims {} ({}) at offset {} but the "
                                "file has {}",
                                data.name(), describe(plan), format_bytes(piece_bytes),
                                std::max<std::int64_t>(offset, 0), format_bytes(data.size())));
            }
            return {data, offset};
        }
        case Encoding::gzip: {
            std::vector<std::byte> compressed(
                std::size_t(std::max<std::int64_t>(0, data.size() - offset)));
            data.read(offset, compressed.data(), std::int64_t(compressed.size()));
            // The header says how much the data hold: a longer stream is not decompressed.
            Source inflated = gunzip(
                Source::from_memory(data.name(), std::move(compressed), &data),
                piece_bytes > INT64_MAX - plan.byte_skip ? -1 : plan.byte_skip + piece_bytes);
            if (plan.byte_skip > inflated.size() ||
                piece_bytes > inflated.size() - plan.byte_skip) {
                throw FormatError(
                    fmt::format("'{}': the gzip data hold {} bytes, the header needs "
                                "{} after a byte skip of {}",
                                data.name(), inflated.size(), piece_bytes, plan.byte_skip));
            }
            return {inflated, plan.byte_skip};
        }
        case Encoding::ascii: {
            std::string text(std::size_t(data.size() - offset), '\0');
            data.read(offset, text.data(), std::int64_t(text.size()));
            std::vector<std::byte> values = parse_ascii_values(
                data.name(), text, plan.type, piece_bytes / std::int64_t(pixel_size(plan.type)));
            return {Source::from_memory(data.name(), std::move(values), &data), 0};
        }
    }
    throw FormatError("invalid encoding");
}

// The data files of a detached header: one name, LIST, or "pattern min max step [subdim]".
std::vector<std::string> data_file_names(const std::string& name, const Header& header,
                                         std::int64_t dimension, std::int64_t& subdimension) {
    const auto found = header.fields.find("data file");
    subdimension = dimension;
    if (found == header.fields.end()) return {};
    const std::vector<std::string_view> words = split_words(found->second);
    if (words.empty()) throw FormatError(fmt::format("'{}': empty data file", name));
    const auto parse_subdimension = [&](std::size_t index) {
        subdimension = dimension - 1;
        if (words.size() > index && (!parse_int(words[index], subdimension) || subdimension < 1 ||
                                     subdimension > dimension)) {
            throw FormatError(fmt::format("'{}': bad data file subdimension '{}'", name,
                                          words[index].substr(0, 20)));
        }
        if (words.size() > index + 1) {
            throw FormatError(
                fmt::format("'{}': bad data file '{}'", name, found->second.substr(0, 60)));
        }
    };
    if (words[0] == "LIST") {
        parse_subdimension(1);
        if (header.data_files.empty())
            throw FormatError(fmt::format("'{}': data file LIST names no files", name));
        return header.data_files;
    }
    if (words.size() == 1) return {std::string(trim(found->second))};
    if (words.size() < 4) {
        throw FormatError(
            fmt::format("'{}': bad data file '{}'", name, found->second.substr(0, 60)));
    }
    std::int64_t first = 0, last = 0, step = 0;
    if (!parse_int(words[1], first) || !parse_int(words[2], last) || !parse_int(words[3], step) ||
        !pattern_range_ok(first, last, step)) {
        throw FormatError(
            fmt::format("'{}': bad data file '{}'", name, found->second.substr(0, 60)));
    }
    parse_subdimension(4);
    std::vector<std::string> names;
    for (std::int64_t index = first; step > 0 ? index <= last : index >= last; index += step)
        names.push_back(format_file_pattern(name, words[0], index));
    return names;
}

Source open_data_file(const Source& header_source, const std::string& file) {
    if (file.empty())
        throw FormatError(fmt::format("'{}': empty data file name", header_source.name()));
    return file.front() == '/' ? Source::open(file) : header_source.sibling(file);
}

Volume read_data(const Source& source, const Header& header, const Plan& plan) {
    const std::string& name = source.name();
    check_memory(source, plan.layout.shape, plan.type);
    const auto element = std::int64_t(pixel_size(plan.type));
    std::int64_t stream_bytes = element;
    for (std::int64_t size : plan.sizes) {
        if (stream_bytes > INT64_MAX / size) {
            throw LimitError(
                fmt::format("'{}': header claims {}, whose size overflows", name, describe(plan)));
        }
        stream_bytes *= size;
    }
    const std::int64_t block_bytes = stream_bytes / plan.time_points;
    const std::int64_t want_begin = plan.time_point * block_bytes;
    std::int64_t subdimension = 0;
    const std::vector<std::string> files =
        data_file_names(name, header, std::int64_t(plan.sizes.size()), subdimension);
    if (files.empty()) {
        if (header.data_offset < 0) {
            throw FormatError(
                fmt::format("'{}': truncated header: no blank line before the data "
                            "and no 'data file'",
                            name));
        }
        const Piece piece = load_piece(source, header.data_offset, plan, stream_bytes);
        return read_voxels(piece.source, piece.offset + want_begin, plan.layout);
    }
    if (files.size() == 1) {
        const Source data = open_data_file(source, files[0]);
        const Piece piece = load_piece(data, 0, plan, stream_bytes);
        Volume volume = read_voxels(piece.source, piece.offset + want_begin, plan.layout);
        volume.metadata()["nrrd.data_file"] = files[0];
        return volume;
    }
    // Several files, each holding the same share of the data (slices of `subdimension` axes).
    std::int64_t expected_files = 1;
    for (std::size_t axis = std::size_t(subdimension); axis < plan.sizes.size(); ++axis)
        expected_files *= plan.sizes[axis];
    if (std::int64_t(files.size()) != expected_files) {
        throw FormatError(fmt::format("'{}': {} data files given, the sizes need {}", name,
                                      files.size(), expected_files));
    }
    const std::int64_t piece_bytes = stream_bytes / expected_files;
    VoxelSink sink(plan.layout);
    for (std::size_t index = 0; index < files.size(); ++index) {
        const std::int64_t begin = std::int64_t(index) * piece_bytes;
        const std::int64_t overlap_begin = std::max(begin, want_begin);
        const std::int64_t overlap_end = std::min(begin + piece_bytes, want_begin + block_bytes);
        if (overlap_begin >= overlap_end) continue;
        const Piece piece = load_piece(open_data_file(source, files[index]), 0, plan, piece_bytes);
        sink.append(piece.source, piece.offset + overlap_begin - begin,
                    overlap_end - overlap_begin);
    }
    Volume volume = sink.take();
    volume.metadata()["nrrd.data_file"] = fmt::format("{} files", files.size());
    return volume;
}

void set_geometry(const std::string& name, const Header& header, const Plan& plan, Volume& volume) {
    const auto field = [&](const std::string& key) -> const std::string* {
        const auto found = header.fields.find(key);
        return found == header.fields.end() ? nullptr : &found->second;
    };
    const std::size_t dimension = plan.sizes.size();
    std::vector<std::size_t> spatial;
    for (std::size_t axis = 0; axis < dimension; ++axis) {
        if (plan.roles[axis] == Role::spatial) spatial.push_back(axis);
    }
    std::optional<Space> space;
    if (const std::string* text = field("space")) space = parse_space(name, *text);
    // units: "space units" (world) first, else per-axis "units"
    std::string unit;
    if (const std::string* text = field("space units")) {
        const auto units = parse_quoted(*text);
        if (!units || units->size() != 3) {
            throw FormatError(fmt::format("'{}': bad space units '{}'", name, text->substr(0, 60)));
        }
        unit = normalize_unit((*units)[0]);
    } else if (const std::string* text = field("units")) {
        const auto units = parse_quoted(*text);
        if (!units || units->size() != dimension) {
            throw FormatError(fmt::format("'{}': bad units '{}'", name, text->substr(0, 60)));
        }
        if (!spatial.empty()) unit = normalize_unit((*units)[spatial[0]]);
    }
    if (unit.empty() && space) unit = "mm";  // world spaces are in mm by convention (Slicer, ITK)
    std::array<double, 3> spacing_xyz{1, 1, 1};
    bool known = false;
    if (const std::string* text = field("space directions")) {
        std::vector<std::vector<double>> columns;
        std::size_t index = 0;
        for (std::string_view item : split_vectors(*text)) {
            if (plan.roles[index++] != Role::spatial) continue;
            columns.push_back(*parse_vector(item, 3));
        }
        const std::array<double, 3> to_ras = space ? space->to_ras : std::array<double, 3>{1, 1, 1};
        std::array<double, 3> origin{0, 0, 0};
        if (const std::string* origin_text = field("space origin")) {
            const auto parsed = parse_vector(trim(*origin_text), 3);
            if (!parsed) {
                throw FormatError(
                    fmt::format("'{}': bad space origin '{}'", name, origin_text->substr(0, 60)));
            }
            std::copy(parsed->begin(), parsed->end(), origin.begin());
        }
        Affine affine{};
        for (std::size_t column = 0; column < 3; ++column) {
            std::array<double, 3> direction{0, 0, 0};
            direction[column] = 1;  // axes missing from 1D/2D files
            if (column < columns.size()) {
                std::copy(columns[column].begin(), columns[column].end(), direction.begin());
                const double norm = std::hypot(direction[0], direction[1], direction[2]);
                if (!(norm > 0)) {
                    throw FormatError(fmt::format("'{}': space direction of axis {} is zero", name,
                                                  spatial[column]));
                }
                spacing_xyz[column] = norm;
            }
            for (std::size_t row = 0; row < 3; ++row)
                affine[row * 4 + column] = to_ras[row] * direction[row];
        }
        for (std::size_t row = 0; row < 3; ++row)
            affine[row * 4 + 3] = to_ras[row] * origin[row];
        affine[15] = 1;
        volume.set_affine(affine);
        known = true;
    } else if (const std::string* text = field("spacings")) {
        const std::vector<std::string_view> words = split_words(*text);
        if (words.size() != dimension) {
            throw FormatError(fmt::format("'{}': bad spacings '{}'", name, text->substr(0, 60)));
        }
        known = !spatial.empty();
        for (std::size_t i = 0; i < spatial.size(); ++i) {
            double value = 0;
            if (!parse_double(words[spatial[i]], value)) {
                throw FormatError(
                    fmt::format("'{}': bad spacings '{}'", name, text->substr(0, 60)));
            }
            if (!std::isfinite(value) || value == 0) known = false;
            spacing_xyz[i] = std::abs(value);
        }
    } else if (field("space origin") != nullptr && !field("space")) {
        throw FormatError(fmt::format("'{}': 'space origin' without a space", name));
    }
    if (known) {
        volume.set_spacing({{spacing_xyz[2], spacing_xyz[1], spacing_xyz[0]}, unit, true});
    }
    auto& metadata = volume.metadata();
    if (space) {
        metadata["nrrd.space"] = space->name;
        if (volume.affine()) {
            metadata["affine_space"] =
                space->anatomical ? "RAS (converted from the file's space)" : "as in the file";
        }
    }
}

Volume read_nrrd(const Source& source, const ReadOptions& options) {
    const std::string& name = source.name();
    const Header header = parse_lines(source);
    const Plan plan = make_plan(name, header, options);
    Volume volume = read_data(source, header, plan);
    set_geometry(name, header, plan, volume);
    auto& metadata = volume.metadata();
    metadata["format"] = "NRRD";
    metadata["nrrd.type"] = header.fields.at("type");
    metadata["nrrd.encoding"] = header.fields.at("encoding");
    if (const auto kinds = header.fields.find("kinds"); kinds != header.fields.end())
        metadata["nrrd.kinds"] = kinds->second;
    if (const auto content = header.fields.find("content"); content != header.fields.end())
        metadata["nrrd.content"] = content->second;
    for (const auto& [key, value] : header.key_values)
        metadata["nrrd." + key] = value;
    if (plan.time_points > 1 && volume.shape().c != plan.time_points) {
        metadata["time_points"] = std::to_string(plan.time_points);
        metadata["time_point"] = std::to_string(plan.time_point);
    }
    return volume;
}

bool sniff_nrrd(std::span<const std::byte> head) {
    return head.size() >= 7 && std::memcmp(head.data(), "NRRD000", 7) == 0;
}

std::string_view nrrd_type_name(PixelType type) {
    switch (type) {
        case PixelType::u8:
            return "unsigned char";
        case PixelType::i8:
            return "signed char";
        case PixelType::u16:
            return "unsigned short";
        case PixelType::i16:
            return "short";
        case PixelType::u32:
            return "unsigned int";
        case PixelType::i32:
            return "int";
        case PixelType::f32:
            return "float";
        case PixelType::f64:
            return "double";
    }
    throw TypeError("invalid pixel type");
}

std::string vector_text(double a, double b, double c) {
    return fmt::format("({},{},{})", format_double(a), format_double(b), format_double(c));
}

// Whether a write gzips its data. @throw ValueError for another compression.
bool gzips_data(const std::string& path, const WriteOptions& options) {
    const std::string compression = lower(options.compression);
    if (compression == "gzip" || compression == "deflate") return true;
    if (!compression.empty() && compression != "none" && compression != "raw") {
        throw ValueError(
            fmt::format("cannot write '{}': NRRD compression must be none or gzip "
                        "(got '{}')",
                        path, options.compression));
    }
    return false;
}

// A detached header's data file sits next to it: "scan.nhdr" -> "scan.raw" or "scan.raw.gz".
std::string nrrd_data_file(const std::string& path, const WriteOptions& options) {
    if (!has_extension(path, ".nhdr")) return {};
    return path.substr(0, path.size() - 5) + (gzips_data(path, options) ? ".raw.gz" : ".raw");
}

void write_nrrd(const Volume& volume, const std::string& path, const WriteOptions& options) {
    const bool gzip_data = gzips_data(path, options);
    check_level(path, options, gzip_data ? "gzip" : "none", 0, 12);
    const Shape& shape = volume.shape();
    const bool channels = shape.c > 1;
    std::string text = "NRRD0004\n";
    text += "# Complete NRRD file format specification at:\n";
    text += "# http://teem.sourceforge.net/nrrd/format.html\n";
    text += fmt::format("type: {}\n", nrrd_type_name(volume.pixel_type()));
    text += fmt::format("dimension: {}\n", channels ? 4 : 3);
    const Spacing& spacing = volume.spacing();
    const std::string unit = ascii_unit(spacing.unit);
    text += channels ? fmt::format("sizes: {} {} {} {}\n", shape.c, shape.x, shape.y, shape.z)
                     : fmt::format("sizes: {} {} {}\n", shape.x, shape.y, shape.z);
    if (volume.affine()) {
        // Our affine maps to RAS world coordinates: write it unchanged in a RAS space. "space"
        // comes after "sizes": vtkNrrdReader resets the dimension to 3 when it sees "space".
        const Affine& a = *volume.affine();
        text += "space: right-anterior-superior\n";
        text += "space directions:";
        if (channels) text += " none";
        for (int column = 0; column < 3; ++column)
            text += " " + vector_text(a[column], a[4 + column], a[8 + column]);
        text += "\n";
    } else if (spacing.known) {
        text += fmt::format("spacings: {}{} {} {}\n", channels ? "nan " : "",
                            format_double(spacing.zyx[2]), format_double(spacing.zyx[1]),
                            format_double(spacing.zyx[0]));
        if (!unit.empty()) {
            text += fmt::format("units: {}\"{}\" \"{}\" \"{}\"\n", channels ? "\"\" " : "", unit,
                                unit, unit);
        }
    }
    text += fmt::format("kinds: {}domain domain domain\n", channels ? "vector " : "");
    if (pixel_size(volume.pixel_type()) > 1)
        text += fmt::format("endian: {}\n", kHostBigEndian ? "big" : "little");
    text += fmt::format("encoding: {}\n", gzip_data ? "gzip" : "raw");
    if (volume.affine()) {
        const Affine& a = *volume.affine();
        text += fmt::format("space origin: {}\n", vector_text(a[3], a[7], a[11]));
        if (spacing.known && !unit.empty())
            text += fmt::format("space units: \"{}\" \"{}\" \"{}\"\n", unit, unit, unit);
    }
    const std::string data_path = nrrd_data_file(path, options);
    if (!data_path.empty()) {
        text += fmt::format("data file: {}\n", data_path.substr(data_path.rfind('/') + 1));
        AtomicFile data(data_path);
        if (gzip_data) {
            write_gzip_members(data, packed_bytes(volume, true), options.level);
        } else {
            write_voxels(data, volume, true);
        }
        data.commit();
        AtomicFile header(path);
        header.write(text);
        header.commit();
        return;
    }
    text += "\n";
    AtomicFile file(path);
    file.write(text);
    if (gzip_data) {
        write_gzip_members(file, packed_bytes(volume, true), options.level);
    } else {
        write_voxels(file, volume, true);
    }
    file.commit();
}

}  // namespace

const Format& nrrd_format() {
    static const Format format{.name = "NRRD",
                               .extensions = {".nrrd", ".nhdr"},
                               .sniff = &sniff_nrrd,
                               .read = &read_nrrd,
                               .write = &write_nrrd,
                               .data_file = &nrrd_data_file,
                               .honours_time_point = true,
                               .honours_time_as_channels = true};
    return format;
}

}  // namespace vox::io
