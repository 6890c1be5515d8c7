// NumPy .npy, format versions 1.0, 2.0 and 3.0, read and written.
// Spec: numpy/lib/format.py ("A Simple File Format for NumPy Arrays", NEP 1).
#include <algorithm>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "../format.h"
#include "voxels.h"

namespace vox::io {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
// numpy >= 1.20 aligns the data to 64 bytes (ARRAY_ALIGN) and leaves room in the header to
// grow the first axis in place (GROWTH_AXIS_MAX_DIGITS); we write exactly what np.save does.
constexpr std::size_t kArrayAlign = 64;
constexpr std::size_t kGrowthAxisMaxDigits = 21;
constexpr std::size_t kMaxDimensions = 32;  // numpy's NPY_MAXDIMS

struct NpyHeader {
    int major = 0;
    int minor = 0;
    std::string descr;
    PixelType type = PixelType::u8;
    bool big_endian = false;
    bool is_bool = false;
    bool fortran_order = false;
    std::vector<std::int64_t> shape;
    std::int64_t data_offset = 0;
};

std::string shape_text(const std::vector<std::int64_t>& shape) {
    if (shape.size() == 1) return fmt::format("({},)", shape[0]);
    return fmt::format("({})", fmt::join(shape, ", "));
}

// Parses numpy's header: the repr() of a dict with exactly the keys 'descr', 'fortran_order'
// and 'shape'. Only Python literals numpy itself writes are accepted (no eval).
class DictParser {
public:
    DictParser(const std::string& name, std::string_view text) : m_name(name), m_text(text) {}

    void parse(NpyHeader& header) {
        skip_spaces();
        expect('{', "'{'");
        bool has_descr = false, has_fortran = false, has_shape = false;
        while (true) {
            skip_spaces();
            if (peek() == '}') break;
            const std::string key = parse_string();
            skip_spaces();
            expect(':', "':'");
            skip_spaces();
            if (key == "descr") {
                if (has_descr) duplicate(key);
                has_descr = true;
                if (peek() == '[' || peek() == '{' || peek() == '(') {
                    throw FormatError(fmt::format(
                        "'{}': structured dtypes are not supported (only plain numbers)", m_name));
                }
                header.descr = parse_string();
            } else if (key == "fortran_order") {
                if (has_fortran) duplicate(key);
                has_fortran = true;
                header.fortran_order = parse_bool();
            } else if (key == "shape") {
                if (has_shape) duplicate(key);
                has_shape = true;
                header.shape = parse_shape();
            } else {
                throw FormatError(
                    fmt::format("'{}': unknown header key '{}'", m_name, key.substr(0, 40)));
            }
            skip_spaces();
            if (peek() == ',') {
                ++m_position;
                continue;
            }
            if (peek() != '}') malformed("',' or '}'");
        }
        ++m_position;
        // numpy pads with spaces and ends with one newline.
        while (m_position < m_text.size() &&
               (m_text[m_position] == ' ' || m_text[m_position] == '\t'))
            ++m_position;
        if (m_position + 1 != m_text.size() || m_text[m_position] != '\n') {
            throw FormatError(fmt::format("'{}': unexpected text after the header dict", m_name));
        }
        if (!has_descr) missing("descr");
        if (!has_fortran) missing("fortran_order");
        if (!has_shape) missing("shape");
    }

private:
    char peek() const { return m_position < m_text.size() ? m_text[m_position] : '\0'; }
    void skip_spaces() {
        while (m_position < m_text.size() &&
               (m_text[m_position] == ' ' || m_text[m_position] == '\t'))
            ++m_position;
    }
    [[noreturn]] void malformed(std::string_view expected) const {
        throw FormatError(fmt::format("'{}': malformed header at byte {}: expected {}", m_name,
                                      m_position, expected));
    }
    [[noreturn]] void duplicate(const std::string& key) const {
        throw FormatError(fmt::format("'{}': duplicate header key '{}'", m_name, key));
    }
    [[noreturn]] void missing(std::string_view key) const {
        throw FormatError(fmt::format("'{}': header has no '{}'", m_name, key));
    }
    void expect(char c, std::string_view what) {
        if (peek() != c) malformed(what);
        ++m_position;
    }
    std::string parse_string() {
        const char quote = peek();
        if (quote != '\'' && quote != '"') malformed("a quoted string");
        const std::size_t end = m_text.find(quote, m_position + 1);
        if (end == std::string_view::npos || end - m_position > 64) malformed("a closing quote");
        std::string value(m_text.substr(m_position + 1, end - m_position - 1));
        if (value.find('\\') != std::string::npos) malformed("a plain string");
        m_position = end + 1;
        return value;
    }
    bool parse_bool() {
        if (m_text.substr(m_position, 4) == "True") {
            m_position += 4;
            return true;
        }
        if (m_text.substr(m_position, 5) == "False") {
            m_position += 5;
            return false;
        }
        malformed("True or False");
    }
    std::vector<std::int64_t> parse_shape() {
        expect('(', "'('");
        std::vector<std::int64_t> shape;
        bool comma_after_last = false;
        while (true) {
            skip_spaces();
            if (peek() == ')') break;
            const std::size_t begin = m_position;
            while (peek() >= '0' && peek() <= '9')
                ++m_position;
            std::int64_t extent = 0;
            if (!parse_int(m_text.substr(begin, m_position - begin), extent)) {
                malformed("a non-negative integer");
            }
            if (peek() == 'L') ++m_position;  // Python 2 long, as old numpy wrote it
            if (shape.size() == kMaxDimensions) malformed("at most 32 dimensions");
            shape.push_back(extent);
            comma_after_last = false;
            skip_spaces();
            if (peek() == ',') {
                ++m_position;
                comma_after_last = true;
                continue;
            }
            if (peek() != ')') malformed("',' or ')'");
        }
        // Python needs the comma of a 1-tuple: "(5)" is an int, not a shape.
        if (shape.size() == 1 && !comma_after_last) malformed("a tuple: '(n,)'");
        ++m_position;
        return shape;
    }

    const std::string& m_name;
    std::string_view m_text;
    std::size_t m_position = 0;
};

void parse_descr(const std::string& name, NpyHeader& header) {
    const std::string& descr = header.descr;
    const auto unsupported = [&]() {
        return FormatError(
            fmt::format("'{}': unsupported dtype '{}' (supported: bool, uint8, "
                        "int8, uint16, int16, uint32, int32, float32, float64)",
                        name, descr.substr(0, 40)));
    };
    if (descr.size() != 3) throw unsupported();
    const char order = descr[0];
    const std::string_view code = std::string_view(descr).substr(1);
    struct Entry {
        std::string_view code;
        PixelType type;
    };
    static constexpr Entry kTypes[] = {
        {"b1", PixelType::u8},  {"u1", PixelType::u8},  {"i1", PixelType::i8},
        {"u2", PixelType::u16}, {"i2", PixelType::i16}, {"u4", PixelType::u32},
        {"i4", PixelType::i32}, {"f4", PixelType::f32}, {"f8", PixelType::f64}};
    const Entry* found = nullptr;
    for (const Entry& entry : kTypes) {
        if (entry.code == code) found = &entry;
    }
    if (found == nullptr) throw unsupported();
    const bool single_byte = pixel_size(found->type) == 1;
    // '|' (not applicable) is numpy's order for single bytes; '<' and '>' are accepted too.
    if (order != '<' && order != '>' && !(order == '|' && single_byte)) throw unsupported();
    header.type = found->type;
    header.big_endian = order == '>';
    header.is_bool = code == "b1";
}

// The header's length after the magic and version: 2 bytes in version 1, 4 in versions 2
// and 3, little-endian. `prefix` holds the file's first 10 or 12 bytes.
std::int64_t header_length_of(std::span<const std::byte> prefix, int major) {
    std::int64_t length = 0;
    for (int i = major == 1 ? 1 : 3; i >= 0; --i)
        length = (length << 8) | std::int64_t(prefix[8 + std::size_t(i)]);
    return length;
}

NpyHeader parse_header(const Source& source) {
    const std::string& name = source.name();
    NpyHeader header;
    const std::vector<std::byte> prefix = source.head(12);
    if (prefix.size() < 10 || std::memcmp(prefix.data(), kMagic.data(), kMagic.size()) != 0) {
        if (prefix.size() < kMagic.size() ||
            std::memcmp(prefix.data(), kMagic.data(), kMagic.size()) != 0) {
            throw FormatError(fmt::format("'{}': not a NumPy file (no \\x93NUMPY magic)", name));
        }
        throw FormatError(
            fmt::format("'{}': truncated NumPy header ({} bytes)", name, source.size()));
    }
    header.major = int(prefix[6]);
    header.minor = int(prefix[7]);
    if ((header.major < 1 || header.major > 3) || header.minor != 0) {
        throw FormatError(fmt::format("'{}': unsupported .npy format version {}.{}", name,
                                      header.major, header.minor));
    }
    if (header.major != 1 && prefix.size() < 12) {
        throw FormatError(
            fmt::format("'{}': truncated NumPy header ({} bytes)", name, source.size()));
    }
    const std::int64_t start = header.major == 1 ? 10 : 12;
    const std::int64_t header_length = header_length_of(prefix, header.major);
    if (header_length > kMaxHeaderBytes) {
        throw FormatError(fmt::format("'{}': header of {} bytes is over the limit of {}", name,
                                      header_length, format_bytes(kMaxHeaderBytes)));
    }
    header.data_offset = start + header_length;
    if (header.data_offset > source.size()) {
        throw FormatError(fmt::format("'{}': truncated: the header needs {} bytes, the file has {}",
                                      name, header.data_offset, source.size()));
    }
    std::string text(std::size_t(header_length), '\0');
    source.read(start, text.data(), header_length);
    // Versions 1 and 2 are latin-1, 3 is utf-8; the keys and values we accept are ASCII.
    DictParser(name, text).parse(header);
    parse_descr(name, header);
    return header;
}

Volume read_npy(const Source& source, const ReadOptions&) {
    const std::string& name = source.name();
    const NpyHeader header = parse_header(source);
    const std::size_t ndim = header.shape.size();
    if (ndim < 1 || ndim > 4) {
        throw FormatError(
            fmt::format("'{}': a {}-dimensional array is not supported (shapes: (x,), "
                        "(y, x), (z, y, x), (z, y, x, c))",
                        name, ndim));
    }
    for (std::int64_t extent : header.shape) {
        if (extent == 0) {
            throw FormatError(
                fmt::format("'{}': empty array of shape {}", name, shape_text(header.shape)));
        }
    }
    // numpy axes in C order, as Volume axes (0 z, 1 y, 2 x, 3 c): the last axis is x for
    // 1-3 dimensions, channels for 4 (scikit-image's (z, y, x, c) convention).
    static constexpr int kAxes[5][4] = {{}, {2}, {1, 2}, {0, 1, 2}, {0, 1, 2, 3}};
    VoxelLayout layout;
    layout.type = header.type;
    layout.big_endian = header.big_endian;
    std::array<std::int64_t, 4> extents{1, 1, 1, 1};
    std::vector<int> file_order;  // slowest first
    for (std::size_t i = 0; i < ndim; ++i) {
        extents[std::size_t(kAxes[ndim][i])] = header.shape[i];
        file_order.push_back(kAxes[ndim][i]);
    }
    // Fortran order: the first numpy axis is the fastest in the file.
    if (header.fortran_order) std::reverse(file_order.begin(), file_order.end());
    for (int axis = 0; axis < 4; ++axis) {
        if (std::find(file_order.begin(), file_order.end(), axis) == file_order.end())
            file_order.insert(file_order.begin(), axis);
    }
    std::copy(file_order.begin(), file_order.end(), layout.order.begin());
    layout.shape = {extents[0], extents[1], extents[2], extents[3]};
    Volume volume = read_voxels(source, header.data_offset, layout);
    auto& metadata = volume.metadata();
    metadata["format"] = "NumPy";
    metadata["npy.version"] = fmt::format("{}.{}", header.major, header.minor);
    metadata["npy.descr"] = header.descr;
    metadata["npy.fortran_order"] = header.fortran_order ? "True" : "False";
    metadata["npy.shape"] = shape_text(header.shape);
    if (header.is_bool) metadata["npy.bool"] = "stored as u8 (0 and 1)";
    return volume;
}

// Format::bytes_needed: the header and the array.
std::int64_t bytes_needed(const Source& head, const ReadOptions&) {
    NpyHeader header;
    try {
        header = parse_header(head);
    } catch (const Error&) {
        // A header that runs past these first bytes cannot be judged; any other problem is in
        // them, and the reader reports it.
        const std::vector<std::byte> prefix = head.head(12);
        if (prefix.size() == 12 && std::memcmp(prefix.data(), kMagic.data(), kMagic.size()) == 0) {
            const int major = int(prefix[6]);
            if ((major == 1 ? 10 : 12) + header_length_of(prefix, major) > head.size()) return -1;
        }
        return head.size();
    }
    std::int64_t data = std::int64_t(pixel_size(header.type));
    for (const std::int64_t extent : header.shape) {
        if (extent != 0 && data > INT64_MAX / extent) return header.data_offset;
        data *= extent;
    }
    return data > INT64_MAX - header.data_offset ? header.data_offset : header.data_offset + data;
}

bool sniff_npy(std::span<const std::byte> head) {
    return head.size() >= kMagic.size() &&
           std::memcmp(head.data(), kMagic.data(), kMagic.size()) == 0;
}

std::string descr_of(PixelType type) {
    const char order = kHostBigEndian ? '>' : '<';
    switch (type) {
        case PixelType::u8:
            return "|u1";
        case PixelType::i8:
            return "|i1";
        case PixelType::u16:
            return fmt::format("{}u2", order);
        case PixelType::i16:
            return fmt::format("{}i2", order);
        case PixelType::u32:
            return fmt::format("{}u4", order);
        case PixelType::i32:
            return fmt::format("{}i4", order);
        case PixelType::f32:
            return fmt::format("{}f4", order);
        case PixelType::f64:
            return fmt::format("{}f8", order);
    }
    throw TypeError("invalid pixel type");
}

void write_npy(const Volume& volume, const std::string& path, const WriteOptions& options) {
    if (!options.compression.empty() && options.compression != "none") {
        throw ValueError(fmt::format("cannot write '{}': .npy has no compression (got '{}')", path,
                                     options.compression));
    }
    check_level(path, options, "none");
    const Shape& shape = volume.shape();
    std::vector<std::int64_t> dims{shape.z, shape.y, shape.x};
    if (shape.c > 1) dims.push_back(shape.c);
    // Exactly np.save's header: sorted keys, growth padding, aligned to 64 bytes, version 1.0.
    std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   descr_of(volume.pixel_type()), shape_text(dims));
    const std::size_t first_axis_digits = fmt::format("{}", dims[0]).size();
    dict.append(kGrowthAxisMaxDigits - std::min(first_axis_digits, kGrowthAxisMaxDigits), ' ');
    const std::size_t length = dict.size() + 1;
    const std::size_t padding = kArrayAlign - (kMagic.size() + 2 + 2 + length) % kArrayAlign;
    dict.append(padding, ' ');
    dict += '\n';
    std::string prefix(kMagic);
    prefix += '\x01';
    prefix += '\x00';
    prefix += char(dict.size() & 0xff);
    prefix += char((dict.size() >> 8) & 0xff);
    AtomicFile file(path);
    file.write(prefix);
    file.write(dict);
    write_voxels(file, volume, /*interleave=*/true);
    file.commit();
}

}  // namespace

const Format& npy_format() {
    static const Format format{.name = "NumPy",
                               .extensions = {".npy"},
                               .sniff = &sniff_npy,
                               .read = &read_npy,
                               .write = &write_npy,
                               .bytes_needed = &bytes_needed};
    return format;
}

}  // namespace vox::io
