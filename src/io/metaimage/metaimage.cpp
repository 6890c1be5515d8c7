// MetaImage (.mha with the data attached, .mhd with a separate data file), read and written.
// Spec: ITK's MetaIO documentation (https://itk.org/Wiki/ITK/MetaIO/Documentation) and
// Utilities/MetaIO/src/metaImage.cxx, whose conventions (LPS world, mm) we follow.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <libdeflate.h>

#include "../format.h"
#include "voxels.h"

namespace vox::io {
namespace {

struct Header {
    std::map<std::string, std::string> fields;
    std::vector<std::pair<std::string, std::string>> other;  // keys we keep as metadata only
    std::vector<std::string> data_files;                     // lines after "LIST"
    std::int64_t data_offset = 0;                            // after the ElementDataFile line
};

// Keys that name the same thing; a file may give one of each group only.
std::string canonical_key(const std::string& key) {
    if (key == "Position" || key == "Origin") return "Offset";
    if (key == "Rotation" || key == "Orientation") return "TransformMatrix";
    return key;
}

constexpr std::string_view kKnownKeys[] = {"ObjectType",
                                           "NDims",
                                           "DimSize",
                                           "ElementType",
                                           "ElementSpacing",
                                           "ElementSize",
                                           "Offset",
                                           "TransformMatrix",
                                           "AnatomicalOrientation",
                                           "BinaryData",
                                           "BinaryDataByteOrderMSB",
                                           "ElementByteOrderMSB",
                                           "CompressedData",
                                           "CompressedDataSize",
                                           "ElementNumberOfChannels",
                                           "HeaderSize",
                                           "ElementDataFile",
                                           "DistanceUnits"};

Header parse_lines(const Source& source) {
    const std::string& name = source.name();
    const std::vector<std::byte> head = source.head(kMaxHeaderBytes + 1);
    const std::string_view text(reinterpret_cast<const char*>(head.data()), head.size());
    Header header;
    std::size_t position = 0;
    bool found_data_file = false;
    std::map<std::string, std::string> spellings;  // canonical key -> the key as written
    for (int line_number = 1; position < text.size(); ++line_number) {
        std::size_t end = text.find('\n', position);
        if (end == std::string_view::npos) {
            if (std::int64_t(text.size()) > kMaxHeaderBytes) {
                throw FormatError(fmt::format("'{}': header is over the limit of {}", name,
                                              format_bytes(kMaxHeaderBytes)));
            }
            end = text.size();
        }
        const std::string_view line = trim(text.substr(position, end - position));
        position = std::min(text.size(), end + 1);
        if (found_data_file) {
            // Only a LIST has more lines: one data file per line.
            if (line.empty()) break;
            if (std::int64_t(header.data_files.size()) >= kMaxDataFiles) {
                throw FormatError(
                    fmt::format("'{}': more than {} data files", name, kMaxDataFiles));
            }
            header.data_files.emplace_back(line);
            continue;
        }
        if (line.empty()) continue;
        const std::size_t equals = line.find('=');
        if (equals == std::string_view::npos || trim(line.substr(0, equals)).empty()) {
            throw FormatError(fmt::format("'{}': line {} is not 'Key = Value'", name, line_number));
        }
        const std::string written(trim(line.substr(0, equals)));
        const std::string value(trim(line.substr(equals + 1)));
        const std::string key = canonical_key(written);
        if (std::find(std::begin(kKnownKeys), std::end(kKnownKeys), key) == std::end(kKnownKeys)) {
            if (header.other.size() < 64)
                header.other.emplace_back(written.substr(0, 64), value.substr(0, 256));
            continue;
        }
        if (const auto previous = spellings.find(key); previous != spellings.end()) {
            throw FormatError(fmt::format(
                "'{}': duplicate field '{}'", name,
                previous->second == written ? written : previous->second + "' and '" + written));
        }
        spellings.emplace(key, written);
        header.fields.emplace(key, value);
        if (key == "ElementDataFile") {
            // The spec puts ElementDataFile last: the data (or the LIST) follow it.
            found_data_file = true;
            header.data_offset = std::int64_t(position);
            if (!(value == "LIST" || value.starts_with("LIST "))) break;
        }
    }
    if (!found_data_file) {
        throw FormatError(fmt::format("'{}': missing required field 'ElementDataFile'", name));
    }
    return header;
}

const std::string& required(const std::string& name, const Header& header, const std::string& key) {
    const auto found = header.fields.find(key);
    if (found == header.fields.end()) {
        throw FormatError(fmt::format("'{}': missing required field '{}'", name, key));
    }
    return found->second;
}

const std::string* optional_field(const Header& header, const std::string& key) {
    const auto found = header.fields.find(key);
    return found == header.fields.end() ? nullptr : &found->second;
}

[[noreturn]] void bad_value(const std::string& name, const std::string& key,
                            const std::string& value) {
    throw FormatError(fmt::format("'{}': bad {} '{}'", name, key, value.substr(0, 60)));
}

bool parse_bool(const std::string& name, const Header& header, const std::string& key,
                bool fallback) {
    const std::string* value = optional_field(header, key);
    if (value == nullptr) return fallback;
    const std::string text = lower(*value);
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
    bad_value(name, key, *value);
}

std::vector<double> parse_numbers(const std::string& name, const std::string& key,
                                  const std::string& value, std::size_t count) {
    const std::vector<std::string_view> words = split_words(value);
    if (words.size() != count) bad_value(name, key, value);
    std::vector<double> numbers;
    for (std::string_view word : words) {
        double number = 0;
        if (!parse_double(word, number) || !std::isfinite(number)) bad_value(name, key, value);
        numbers.push_back(number);
    }
    return numbers;
}

std::int64_t parse_integer(const std::string& name, const std::string& key,
                           const std::string& value, std::int64_t low) {
    std::int64_t number = 0;
    if (!parse_int(value, number) || number < low) bad_value(name, key, value);
    return number;
}

PixelType parse_element_type(const std::string& name, const std::string& text) {
    static const std::map<std::string, PixelType, std::less<>> kTypes = {
        {"MET_UCHAR", PixelType::u8},   {"MET_CHAR", PixelType::i8},
        {"MET_USHORT", PixelType::u16}, {"MET_SHORT", PixelType::i16},
        {"MET_UINT", PixelType::u32},   {"MET_INT", PixelType::i32},
        {"MET_FLOAT", PixelType::f32},  {"MET_DOUBLE", PixelType::f64}};
    const auto found = kTypes.find(text);
    if (found == kTypes.end()) {
        throw FormatError(
            fmt::format("'{}': unsupported ElementType '{}' (supported: MET_UCHAR, "
                        "MET_CHAR, MET_USHORT, MET_SHORT, MET_UINT, MET_INT, "
                        "MET_FLOAT, MET_DOUBLE)",
                        name, text.substr(0, 40)));
    }
    return found->second;
}

struct Plan {
    std::int64_t dimensions = 3;
    std::vector<std::int64_t> sizes;  // fastest first
    VoxelLayout layout;               // of the volume read (one time point)
    std::int64_t time_points = 1;
    std::int64_t time_point = 0;
    bool binary = true;
    bool compressed = false;
    std::int64_t compressed_size = -1;
    std::int64_t header_size = 0;
    std::int64_t stream_bytes = 0;  // all data, every time point
};

Plan make_plan(const std::string& name, const Header& header, const ReadOptions& options) {
    Plan plan;
    if (const std::string* type = optional_field(header, "ObjectType"); type && *type != "Image") {
        throw FormatError(
            fmt::format("'{}': ObjectType '{}' is not an image", name, type->substr(0, 40)));
    }
    plan.dimensions = parse_integer(name, "NDims", required(name, header, "NDims"), 1);
    if (plan.dimensions > 4) {
        throw FormatError(
            fmt::format("'{}': NDims {} is not supported (1 to 4)", name, plan.dimensions));
    }
    const std::string& dim_size = required(name, header, "DimSize");
    for (double size : parse_numbers(name, "DimSize", dim_size, std::size_t(plan.dimensions))) {
        if (size < 1 || size != std::floor(size) || size > 1e15)
            bad_value(name, "DimSize", dim_size);
        plan.sizes.push_back(std::int64_t(size));
    }
    const PixelType type = parse_element_type(name, required(name, header, "ElementType"));
    std::int64_t channels = 1;
    if (const std::string* value = optional_field(header, "ElementNumberOfChannels"))
        channels = parse_integer(name, "ElementNumberOfChannels", *value, 1);
    const bool msb = parse_bool(name, header, "BinaryDataByteOrderMSB", false);
    if (header.fields.count("BinaryDataByteOrderMSB") != 0 &&
        header.fields.count("ElementByteOrderMSB") != 0 &&
        parse_bool(name, header, "ElementByteOrderMSB", false) != msb) {
        throw FormatError(
            fmt::format("'{}': BinaryDataByteOrderMSB and ElementByteOrderMSB disagree", name));
    }
    plan.layout.big_endian = parse_bool(name, header, "ElementByteOrderMSB", msb);
    plan.binary = parse_bool(name, header, "BinaryData", true);
    if (!plan.binary) plan.layout.big_endian = kHostBigEndian;
    plan.compressed = parse_bool(name, header, "CompressedData", false);
    if (plan.compressed && !plan.binary) {
        throw FormatError(fmt::format("'{}': CompressedData needs BinaryData", name));
    }
    if (const std::string* value = optional_field(header, "CompressedDataSize"))
        plan.compressed_size = parse_integer(name, "CompressedDataSize", *value, 0);
    if (const std::string* value = optional_field(header, "HeaderSize"))
        plan.header_size = parse_integer(name, "HeaderSize", *value, -1);
    if (plan.header_size == -1 && (plan.compressed || !plan.binary)) {
        throw FormatError(fmt::format("'{}': HeaderSize -1 needs uncompressed binary data", name));
    }
    // Axes: x, y, z, then time (a 4th dimension); channels interleaved per voxel.
    std::array<std::int64_t, 3> xyz{1, 1, 1};
    for (std::size_t axis = 0; axis < std::min<std::size_t>(3, plan.sizes.size()); ++axis)
        xyz[axis] = plan.sizes[axis];
    plan.layout.type = type;
    plan.layout.order = {0, 1, 2, 3};
    plan.layout.shape = {xyz[2], xyz[1], xyz[0], channels};
    if (plan.dimensions == 4) {
        plan.time_points = plan.sizes[3];
        if (options.time_as_channels) {
            if (channels > 1) {
                throw FormatError(fmt::format(
                    "'{}': cannot map time to channels: the file already has {} channels", name,
                    channels));
            }
            plan.layout.shape.c = plan.time_points;
            plan.layout.order = {3, 0, 1, 2};
            plan.time_points = 1;
        } else {
            plan.time_point = options.time_point;
            if (plan.time_point < 0 || plan.time_point >= plan.time_points) {
                throw ValueError(
                    fmt::format("'{}': time point {} is out of range (the file has {})", name,
                                plan.time_point, plan.time_points));
            }
        }
    }
    plan.stream_bytes = std::int64_t(pixel_size(type));
    for (std::int64_t factor : {plan.layout.shape.z, plan.layout.shape.y, plan.layout.shape.x,
                                plan.layout.shape.c, plan.time_points}) {
        if (plan.stream_bytes > INT64_MAX / factor) {
            throw LimitError(
                fmt::format("'{}': header claims DimSize {} with {} channels, whose "
                            "size overflows",
                            name, dim_size, plan.layout.shape.c));
        }
        plan.stream_bytes *= factor;
    }
    return plan;
}

std::string describe(const Plan& plan) {
    const Shape& shape = plan.layout.shape;
    const std::string channels = shape.c > 1 ? fmt::format("x{}", shape.c) : "";
    const std::string times =
        plan.time_points > 1 ? fmt::format("{} time points of ", plan.time_points) : "";
    return fmt::format("{}{}x{}x{}{} {}", times, shape.z, shape.y, shape.x, channels,
                       pixel_type_name(plan.layout.type));
}

// Inflates a zlib stream that must hold exactly `bytes` bytes into `destination`.
void inflate_exactly(const std::string& name, std::span<const std::byte> compressed,
                     std::byte* destination, std::int64_t bytes) {
    std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)> decompressor(
        libdeflate_alloc_decompressor(), &libdeflate_free_decompressor);
    if (!decompressor) throw LimitError("out of memory creating a zlib decompressor");
    std::size_t produced = 0;
    const libdeflate_result result =
        libdeflate_zlib_decompress(decompressor.get(), compressed.data(), compressed.size(),
                                   destination, std::size_t(bytes), &produced);
    if (result == LIBDEFLATE_INSUFFICIENT_SPACE) {
        throw FormatError(
            fmt::format("'{}': the compressed data hold more than the {} bytes the header claims",
                        name, bytes));
    }
    if (result != LIBDEFLATE_SUCCESS) {
        throw FormatError(fmt::format("'{}': corrupt zlib data", name));
    }
    if (std::int64_t(produced) != bytes) {
        throw FormatError(
            fmt::format("'{}': the compressed data hold {} bytes, the header claims {}", name,
                        produced, bytes));
    }
}

// The voxels of one data file (`start`: where its data begin) appended to the sink, or
// adopted/read straight into a volume when the file holds everything.
struct Piece {
    Source source;
    std::int64_t start = 0;
};

std::vector<std::byte> load_bytes(const Piece& piece, const Plan& plan, std::int64_t bytes,
                                  bool single_file) {
    const Source& data = piece.source;
    std::int64_t available = data.size() - std::min(piece.start, data.size());
    if (plan.compressed) {
        std::int64_t size = available;
        if (plan.compressed_size >= 0 && single_file) {
            if (plan.compressed_size > available) {
                throw FormatError(
                    fmt::format("'{}': CompressedDataSize {} but only {} bytes follow "
                                "the header",
                                data.name(), plan.compressed_size, available));
            }
            size = plan.compressed_size;
        }
        std::vector<std::byte> compressed(static_cast<std::size_t>(size));
        data.read(piece.start, compressed.data(), size);
        std::vector<std::byte> values(static_cast<std::size_t>(bytes));
        inflate_exactly(data.name(), compressed, values.data(), bytes);
        return values;
    }
    std::string text(std::size_t(available), '\0');
    data.read(piece.start, text.data(), available);
    return parse_ascii_values(data.name(), text, plan.layout.type,
                              bytes / std::int64_t(pixel_size(plan.layout.type)));
}

std::int64_t raw_offset(const Piece& piece, const Plan& plan, std::int64_t bytes) {
    const Source& data = piece.source;
    const std::int64_t start = std::min(piece.start, data.size());
    if (plan.header_size > data.size() - start) {
        throw FormatError(fmt::format("'{}': HeaderSize {} goes past the end of the file",
                                      data.name(), plan.header_size));
    }
    const std::int64_t offset =
        plan.header_size == -1 ? data.size() - bytes : start + plan.header_size;
    if (offset < 0 || offset > data.size() || bytes > data.size() - offset) {
        throw FormatError(
            fmt::format("'{}': header claims {} ({}) at offset {} but the file has {}", data.name(),
                        describe(plan), format_bytes(bytes), std::max<std::int64_t>(offset, 0),
                        format_bytes(data.size())));
    }
    return offset;
}

std::vector<std::string> data_file_names(const std::string& name, const Header& header,
                                         const Plan& plan, std::int64_t& subdimension) {
    const std::string& value = header.fields.at("ElementDataFile");
    subdimension = plan.dimensions;
    if (value == "LOCAL") return {};
    const std::vector<std::string_view> words = split_words(value);
    const auto parse_subdimension = [&](std::size_t index) {
        subdimension = plan.dimensions - 1;
        if (words.size() > index && (!parse_int(words[index], subdimension) || subdimension < 1 ||
                                     subdimension > plan.dimensions || words.size() > index + 1)) {
            bad_value(name, "ElementDataFile", value);
        }
    };
    if (!words.empty() && words[0] == "LIST") {
        parse_subdimension(1);
        if (header.data_files.empty()) {
            throw FormatError(fmt::format("'{}': ElementDataFile LIST names no files", name));
        }
        return header.data_files;
    }
    if (words.size() >= 4 && words[0].find('%') != std::string_view::npos) {
        std::int64_t first = 0, last = 0, step = 0;
        if (!parse_int(words[1], first) || !parse_int(words[2], last) ||
            !parse_int(words[3], step) || !pattern_range_ok(first, last, step)) {
            bad_value(name, "ElementDataFile", value);
        }
        parse_subdimension(4);
        std::vector<std::string> names;
        for (std::int64_t index = first; step > 0 ? index <= last : index >= last; index += step)
            names.push_back(format_file_pattern(name, words[0], index));
        return names;
    }
    if (value.empty()) bad_value(name, "ElementDataFile", value);
    return {value};
}

Source open_data_file(const Source& header_source, const std::string& file) {
    return file.front() == '/' ? Source::open(file) : header_source.sibling(file);
}

Volume read_data(const Source& source, const Header& header, const Plan& plan) {
    const std::string& name = source.name();
    check_memory(source, plan.layout.shape, plan.layout.type);
    const std::int64_t block_bytes = plan.stream_bytes / plan.time_points;
    const std::int64_t want_begin = plan.time_point * block_bytes;
    std::int64_t subdimension = 0;
    const std::vector<std::string> files = data_file_names(name, header, plan, subdimension);
    std::vector<Piece> pieces;
    if (files.empty()) {
        pieces.push_back({source, header.data_offset});
    } else {
        std::int64_t expected = 1;
        for (std::size_t axis = std::size_t(subdimension); axis < plan.sizes.size(); ++axis)
            expected *= plan.sizes[axis];
        if (files.size() > 1 && std::int64_t(files.size()) != expected) {
            throw FormatError(fmt::format("'{}': {} data files given, DimSize needs {}", name,
                                          files.size(), expected));
        }
    }
    const std::int64_t piece_count = files.empty() ? 1 : std::int64_t(files.size());
    const std::int64_t piece_bytes = plan.stream_bytes / piece_count;
    const auto piece_at = [&](std::size_t index) -> Piece {
        if (files.empty()) return pieces.front();
        return {open_data_file(source, files[index]), 0};
    };
    if (piece_count == 1 && plan.binary && !plan.compressed) {
        const Piece piece = piece_at(0);
        return read_voxels(piece.source, raw_offset(piece, plan, piece_bytes) + want_begin,
                           plan.layout);
    }
    VoxelSink sink(plan.layout);
    for (std::int64_t index = 0; index < piece_count; ++index) {
        const std::int64_t begin = index * piece_bytes;
        const std::int64_t overlap_begin = std::max(begin, want_begin);
        const std::int64_t overlap_end = std::min(begin + piece_bytes, want_begin + block_bytes);
        if (overlap_begin >= overlap_end) continue;
        const Piece piece = piece_at(std::size_t(index));
        if (plan.binary && !plan.compressed) {
            sink.append(piece.source, raw_offset(piece, plan, piece_bytes) + overlap_begin - begin,
                        overlap_end - overlap_begin);
        } else {
            const std::vector<std::byte> bytes =
                load_bytes(piece, plan, piece_bytes, piece_count == 1);
            sink.append(std::span<const std::byte>(bytes).subspan(
                std::size_t(overlap_begin - begin), std::size_t(overlap_end - overlap_begin)));
        }
    }
    return sink.take();
}

void set_geometry(const std::string& name, const Header& header, const Plan& plan, Volume& volume) {
    const std::size_t n = std::size_t(plan.dimensions);
    std::string unit = "mm";  // ITK's convention: MetaImage coordinates are millimetres
    if (const std::string* value = optional_field(header, "DistanceUnits")) {
        const std::string normalized = normalize_unit(*value);
        if (normalized == "mm" || normalized == "\xc2\xb5m" || normalized == "cm") {
            unit = normalized;
        } else if (*value != "?" && lower(*value) != "unknown") {
            bad_value(name, "DistanceUnits", *value);
        }
    }
    std::optional<std::vector<double>> spacing;
    if (const std::string* value = optional_field(header, "ElementSpacing")) {
        spacing = parse_numbers(name, "ElementSpacing", *value, n);
    } else if (const std::string* size = optional_field(header, "ElementSize")) {
        spacing = parse_numbers(name, "ElementSize", *size, n);
    }
    std::array<double, 3> spacing_xyz{1, 1, 1};
    bool known = spacing.has_value();
    if (spacing) {
        for (std::size_t axis = 0; axis < std::min<std::size_t>(3, n); ++axis) {
            spacing_xyz[axis] = std::abs((*spacing)[axis]);
            if (spacing_xyz[axis] == 0) known = false;
        }
        if (known)
            volume.set_spacing({{spacing_xyz[2], spacing_xyz[1], spacing_xyz[0]}, unit, true});
    }
    const std::string* offset_text = optional_field(header, "Offset");
    const std::string* matrix_text = optional_field(header, "TransformMatrix");
    if (offset_text != nullptr || matrix_text != nullptr) {
        std::vector<double> offset(n, 0.0), matrix(n * n, 0.0);
        for (std::size_t i = 0; i < n; ++i)
            matrix[i * n + i] = 1;
        if (offset_text) offset = parse_numbers(name, "Offset", *offset_text, n);
        if (matrix_text) matrix = parse_numbers(name, "TransformMatrix", *matrix_text, n * n);
        // TransformMatrix lists the direction of each axis in turn (ITK's MetaImageIO); the
        // world is LPS, which we turn into RAS by negating x and y.
        constexpr std::array<double, 3> kLpsToRas{-1, -1, 1};
        Affine affine{};
        for (std::size_t column = 0; column < 3; ++column) {
            for (std::size_t row = 0; row < 3; ++row) {
                double direction = row == column ? 1.0 : 0.0;
                if (row < n && column < n) direction = matrix[column * n + row];
                affine[row * 4 + column] = kLpsToRas[row] * direction * spacing_xyz[column];
            }
        }
        for (std::size_t row = 0; row < 3; ++row)
            affine[row * 4 + 3] = row < n ? kLpsToRas[row] * offset[row] : 0.0;
        affine[15] = 1;
        volume.set_affine(affine);
        volume.metadata()["affine_space"] = "RAS (converted from MetaImage's LPS)";
    }
}

Volume read_metaimage(const Source& source, const ReadOptions& options) {
    const std::string& name = source.name();
    const Header header = parse_lines(source);
    const Plan plan = make_plan(name, header, options);
    Volume volume = read_data(source, header, plan);
    set_geometry(name, header, plan, volume);
    auto& metadata = volume.metadata();
    metadata["format"] = "MetaImage";
    metadata["metaimage.ElementType"] = header.fields.at("ElementType");
    metadata["metaimage.ElementDataFile"] = header.fields.at("ElementDataFile");
    if (const std::string* value = optional_field(header, "AnatomicalOrientation"))
        metadata["metaimage.AnatomicalOrientation"] = *value;
    if (plan.compressed) metadata["metaimage.CompressedData"] = "True";
    for (const auto& [key, value] : header.other)
        metadata["metaimage." + key] = value;
    if (plan.time_points > 1) {
        metadata["time_points"] = std::to_string(plan.time_points);
        metadata["time_point"] = std::to_string(plan.time_point);
    }
    return volume;
}

bool sniff_metaimage(std::span<const std::byte> head) {
    const std::string_view text(reinterpret_cast<const char*>(head.data()), head.size());
    // The first key of a MetaIO header, then '='.
    for (std::string_view key : {"ObjectType", "NDims", "Comment", "ObjectSubType", "Name"}) {
        if (!text.starts_with(key)) continue;
        std::size_t position = key.size();
        while (position < text.size() && (text[position] == ' ' || text[position] == '\t'))
            ++position;
        return position < text.size() && text[position] == '=';
    }
    return false;
}

std::string_view element_type_name(PixelType type) {
    switch (type) {
        case PixelType::u8:
            return "MET_UCHAR";
        case PixelType::i8:
            return "MET_CHAR";
        case PixelType::u16:
            return "MET_USHORT";
        case PixelType::i16:
            return "MET_SHORT";
        case PixelType::u32:
            return "MET_UINT";
        case PixelType::i32:
            return "MET_INT";
        case PixelType::f32:
            return "MET_FLOAT";
        case PixelType::f64:
            return "MET_DOUBLE";
    }
    throw TypeError("invalid pixel type");
}

std::vector<std::byte> zlib_compress(std::span<const std::byte> bytes, int level) {
    std::unique_ptr<libdeflate_compressor, decltype(&libdeflate_free_compressor)> compressor(
        libdeflate_alloc_compressor(level < 0 ? 6 : std::clamp(level, 0, 12)),
        &libdeflate_free_compressor);
    if (!compressor) throw ValueError(fmt::format("bad zlib level {}", level));
    std::vector<std::byte> output(libdeflate_zlib_compress_bound(compressor.get(), bytes.size()));
    const std::size_t size = libdeflate_zlib_compress(compressor.get(), bytes.data(), bytes.size(),
                                                      output.data(), output.size());
    if (size == 0) throw IoError("zlib compression failed");
    output.resize(size);
    return output;
}

// Whether a write compresses its data. @throw ValueError for another compression.
bool compresses_data(const std::string& path, const WriteOptions& options) {
    const std::string compression = lower(options.compression);
    if (compression == "deflate" || compression == "gzip" || compression == "zlib") return true;
    if (!compression.empty() && compression != "none") {
        throw ValueError(
            fmt::format("cannot write '{}': MetaImage compression must be none or "
                        "deflate (got '{}')",
                        path, options.compression));
    }
    return false;
}

// ITK's naming: "scan.mhd" with "scan.raw", or "scan.zraw" when compressed.
std::string metaimage_data_file(const std::string& path, const WriteOptions& options) {
    if (!has_extension(path, ".mhd")) return {};
    return path.substr(0, path.size() - 4) + (compresses_data(path, options) ? ".zraw" : ".raw");
}

void write_metaimage(const Volume& volume, const std::string& path, const WriteOptions& options) {
    const bool compressed = compresses_data(path, options);
    check_level(path, options, compressed ? "deflate" : "none", 0, 12);
    const Shape& shape = volume.shape();
    const Spacing& spacing = volume.spacing();
    std::vector<std::byte> data;
    if (compressed) data = zlib_compress(packed_bytes(volume, true), options.level);
    std::string text = "ObjectType = Image\nNDims = 3\nBinaryData = True\n";
    text += fmt::format("BinaryDataByteOrderMSB = {}\n", kHostBigEndian ? "True" : "False");
    text += fmt::format("CompressedData = {}\n", compressed ? "True" : "False");
    if (compressed) text += fmt::format("CompressedDataSize = {}\n", data.size());
    std::optional<std::array<double, 3>> spacing_xyz;
    if (spacing.known) spacing_xyz = {spacing.zyx[2], spacing.zyx[1], spacing.zyx[0]};
    if (volume.affine()) {
        // Back to ITK's LPS world: directions (unit columns), spacing (their norms), origin.
        const Affine& a = *volume.affine();
        constexpr std::array<double, 3> kRasToLps{-1, -1, 1};
        std::array<double, 3> norms{};
        std::string matrix;
        for (std::size_t column = 0; column < 3; ++column) {
            norms[column] = std::hypot(a[column], a[4 + column], a[8 + column]);
            if (!(norms[column] > 0)) {
                throw ValueError(fmt::format("cannot write '{}': the affine is singular", path));
            }
            for (std::size_t row = 0; row < 3; ++row) {
                if (!matrix.empty()) matrix += ' ';
                matrix += format_double(kRasToLps[row] * a[row * 4 + column] / norms[column]);
            }
        }
        spacing_xyz = norms;
        text += fmt::format("TransformMatrix = {}\n", matrix);
        text += fmt::format("Offset = {} {} {}\n", format_double(-a[3]), format_double(-a[7]),
                            format_double(a[11]));
    }
    if (spacing_xyz) {
        text += fmt::format("ElementSpacing = {} {} {}\n", format_double((*spacing_xyz)[0]),
                            format_double((*spacing_xyz)[1]), format_double((*spacing_xyz)[2]));
        const std::string unit = ascii_unit(spacing.unit);
        if (unit == "um" || unit == "cm") text += fmt::format("DistanceUnits = {}\n", unit);
    }
    text += fmt::format("DimSize = {} {} {}\n", shape.x, shape.y, shape.z);
    if (shape.c > 1) text += fmt::format("ElementNumberOfChannels = {}\n", shape.c);
    text += fmt::format("ElementType = {}\n", element_type_name(volume.pixel_type()));
    const auto write_data = [&](AtomicFile& file) {
        if (compressed) {
            file.write(data);
        } else {
            write_voxels(file, volume, /*interleave=*/true);
        }
    };
    const std::string data_path = metaimage_data_file(path, options);
    if (!data_path.empty()) {
        text += fmt::format("ElementDataFile = {}\n", data_path.substr(data_path.rfind('/') + 1));
        AtomicFile data_file(data_path);
        write_data(data_file);
        data_file.commit();
        AtomicFile header_file(path);
        header_file.write(text);
        header_file.commit();
        return;
    }
    text += "ElementDataFile = LOCAL\n";
    AtomicFile file(path);
    file.write(text);
    write_data(file);
    file.commit();
}

}  // namespace

const Format& metaimage_format() {
    static const Format format{.name = "MetaImage",
                               .extensions = {".mha", ".mhd"},
                               .sniff = &sniff_metaimage,
                               .read = &read_metaimage,
                               .write = &write_metaimage,
                               .data_file = &metaimage_data_file,
                               .honours_time_point = true,
                               .honours_time_as_channels = true};
    return format;
}

}  // namespace vox::io
