#include "voxels.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "vox/parallel.h"

namespace vox::io {
namespace {

// Element strides of a packed Volume along z, y, x, c.
std::array<std::int64_t, 4> packed_strides(const Shape& shape) {
    return {shape.y * shape.x, shape.x, 1, shape.z * shape.y * shape.x};
}

std::int64_t extent_of(const Shape& shape, int axis) {
    const std::array<std::int64_t, 4> extents{shape.z, shape.y, shape.x, shape.c};
    return extents[std::size_t(axis)];
}

// Axes of extent 1 first (their place does not matter), so that rows are as long as possible.
std::array<int, 4> normalized_order(const VoxelLayout& layout) {
    std::array<int, 4> order = layout.order;
    std::stable_partition(order.begin(), order.end(),
                          [&](int axis) { return extent_of(layout.shape, axis) == 1; });
    return order;
}

template <typename T>
T load(const std::byte* bytes, bool swap) {
    T value;
    if constexpr (sizeof(T) == 1) {
        std::memcpy(&value, bytes, 1);
    } else {
        std::array<std::byte, sizeof(T)> raw;
        std::memcpy(raw.data(), bytes, sizeof(T));
        if (swap) std::reverse(raw.begin(), raw.end());
        std::memcpy(&value, raw.data(), sizeof(T));
    }
    return value;
}

bool needs_swap(const VoxelLayout& layout) {
    return layout.big_endian != kHostBigEndian && pixel_size(layout.type) > 1;
}

template <typename T>
bool parse_value(std::string_view token, std::byte* destination) {
    T value{};
    if constexpr (std::is_floating_point_v<T>) {
        double parsed = 0;
        if (!parse_double(token, parsed)) return false;
        value = T(parsed);
    } else {
        std::int64_t parsed = 0;
        if (!parse_int(token, parsed)) return false;
        if (parsed < std::int64_t(std::numeric_limits<T>::min()) ||
            parsed > std::int64_t(std::numeric_limits<T>::max())) {
            return false;
        }
        value = T(parsed);
    }
    std::memcpy(destination, &value, sizeof(T));
    return true;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

bool VoxelLayout::is_planar() const {
    // Planar when the axes of extent > 1 come in the order c, z, y, x.
    const std::array<int, 4> planar{3, 0, 1, 2};
    std::size_t next = 0;
    for (int axis : order) {
        if (extent_of(shape, axis) == 1) continue;
        while (next < planar.size() && planar[next] != axis)
            ++next;
        if (next == planar.size()) return false;
    }
    return true;
}

VoxelSink::VoxelSink(const VoxelLayout& layout)
    : m_layout(layout), m_volume(Volume::allocate(layout.shape, layout.type)) {
    m_layout.order = normalized_order(layout);
    m_total_bytes = m_volume.size_bytes();
    m_row_bytes =
        extent_of(layout.shape, m_layout.order[3]) * std::int64_t(pixel_size(layout.type));
}

void VoxelSink::append(const Source& source, std::int64_t offset, std::int64_t bytes) {
    if (bytes <= 0) return;
    if (bytes > remaining_bytes() || bytes % m_row_bytes != 0) {
        throw FormatError(
            fmt::format("'{}': data file holds {} bytes, which do not fit the rows "
                        "of {} bytes still expected",
                        source.name(), bytes, remaining_bytes()));
    }
    if (!source.memory().empty()) {
        if (offset < 0 || offset > source.size() || bytes > source.size() - offset) {
            source.read(offset, nullptr, bytes);  // throws the usual truncation error
        }
        append(source.memory().subspan(std::size_t(offset), std::size_t(bytes)));
        return;
    }
    std::byte* out = visit(m_layout.type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        return reinterpret_cast<std::byte*>(m_volume.mutable_view<T>().origin);
    });
    if (m_layout.is_planar()) {
        source.read(offset, out + m_done_bytes, bytes);
        if (needs_swap(m_layout)) {
            swap_bytes(out + m_done_bytes, bytes / std::int64_t(pixel_size(m_layout.type)),
                       pixel_size(m_layout.type));
        }
        m_done_bytes += bytes;
        return;
    }
    // Reordered layouts: bounded chunks of whole rows, scattered on all cores.
    constexpr std::int64_t kChunkBytes = std::int64_t(16) << 20;
    const std::int64_t chunk_rows = std::max<std::int64_t>(1, kChunkBytes / m_row_bytes);
    std::vector<std::byte> chunk;
    for (std::int64_t done = 0; done < bytes;) {
        const std::int64_t part = std::min(bytes - done, chunk_rows * m_row_bytes);
        chunk.resize(std::size_t(part));
        source.read(offset + done, chunk.data(), part);
        scatter(chunk.data(), m_done_bytes / m_row_bytes, part / m_row_bytes);
        m_done_bytes += part;
        done += part;
    }
}

void VoxelSink::append(std::span<const std::byte> bytes) {
    const auto size = std::int64_t(bytes.size());
    if (size > remaining_bytes() || size % m_row_bytes != 0) {
        throw FormatError(fmt::format("data of {} bytes do not fit the rows of {} bytes expected",
                                      size, remaining_bytes()));
    }
    if (m_layout.is_planar()) {
        visit(m_layout.type, [&](auto tag) {
            using T = typename decltype(tag)::type;
            auto* out = reinterpret_cast<std::byte*>(m_volume.mutable_view<T>().origin);
            std::memcpy(out + m_done_bytes, bytes.data(), bytes.size());
            if (needs_swap(m_layout)) swap_bytes(out + m_done_bytes, size / sizeof(T), sizeof(T));
        });
    } else {
        scatter(bytes.data(), m_done_bytes / m_row_bytes, size / m_row_bytes);
    }
    m_done_bytes += size;
}

void VoxelSink::scatter(const std::byte* data, std::int64_t first_row, std::int64_t rows) {
    const Shape& shape = m_layout.shape;
    const auto strides = packed_strides(shape);
    const auto& order = m_layout.order;
    const std::int64_t n1 = extent_of(shape, order[1]), n2 = extent_of(shape, order[2]);
    const std::int64_t n3 = extent_of(shape, order[3]);
    const std::int64_t o0 = strides[std::size_t(order[0])], o1 = strides[std::size_t(order[1])];
    const std::int64_t o2 = strides[std::size_t(order[2])], o3 = strides[std::size_t(order[3])];
    const bool swap = needs_swap(m_layout);
    visit(m_layout.type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* out = m_volume.mutable_view<T>().origin;
        const std::int64_t grain = std::max<std::int64_t>(1, 65536 / n3);
        parallel_for(first_row, first_row + rows, grain, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t row = begin; row < end; ++row) {
                const std::int64_t i2 = row % n2, rest = row / n2;
                const std::int64_t i1 = rest % n1, i0 = rest / n1;
                T* target = out + i0 * o0 + i1 * o1 + i2 * o2;
                const std::byte* source = data + (row - first_row) * n3 * std::int64_t(sizeof(T));
                for (std::int64_t j = 0; j < n3; ++j)
                    target[j * o3] = load<T>(source + j * std::int64_t(sizeof(T)), swap);
            }
        });
    });
}

Volume read_voxels(const Source& source, std::int64_t offset, const VoxelLayout& layout) {
    check_data_fits(source, offset, layout.shape, layout.type);
    const auto element = std::int64_t(pixel_size(layout.type));
    if (layout.is_planar() && !needs_swap(layout) && !source.memory().empty() &&
        offset % element == 0) {
        return Volume::adopt(source.shared_memory(), source.size(), offset, layout.shape,
                             layout.type);
    }
    VoxelSink sink(layout);
    sink.append(source, offset, sink.remaining_bytes());
    return sink.take();
}

std::vector<std::byte> parse_ascii_values(const std::string& name, std::string_view text,
                                          PixelType type, std::int64_t count) {
    // Every value takes a character and a separator: reject absurd counts before allocating.
    if (count > (std::int64_t(text.size()) + 1) / 2) {
        throw FormatError(fmt::format("'{}': header claims {} values but the text has {} bytes",
                                      name, count, text.size()));
    }
    const std::size_t size = pixel_size(type);
    std::vector<std::byte> values(std::size_t(count) * size);
    std::int64_t parsed = 0;
    std::size_t position = 0;
    while (true) {
        while (position < text.size() && is_space(text[position]))
            ++position;
        if (position == text.size()) break;
        std::size_t end = position;
        while (end < text.size() && !is_space(text[end]))
            ++end;
        const std::string_view token = text.substr(position, end - position);
        if (parsed == count) {
            throw FormatError(
                fmt::format("'{}': more than the {} values the header claims", name, count));
        }
        const bool ok = visit(type, [&](auto tag) {
            using T = typename decltype(tag)::type;
            return parse_value<T>(token, values.data() + std::size_t(parsed) * size);
        });
        if (!ok) {
            throw FormatError(fmt::format("'{}': bad {} value '{}' in the text data", name,
                                          pixel_type_name(type), token.substr(0, 40)));
        }
        ++parsed;
        position = end;
    }
    if (parsed != count) {
        throw FormatError(fmt::format("'{}': text data hold {} values, the header claims {}", name,
                                      parsed, count));
    }
    return values;
}

namespace {

// Interleaves voxels [begin, end) of a packed volume's channel blocks into `out`.
void interleave_range(const Volume& packed, std::int64_t begin, std::int64_t end, std::byte* out) {
    const std::int64_t channels = packed.shape().c, voxels = packed.shape().voxels();
    visit(packed.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* in = packed.view<T>().origin;
        T* target = reinterpret_cast<T*>(out);
        parallel_for(begin, end, 1 << 16, [&](std::int64_t first, std::int64_t last) {
            for (std::int64_t v = first; v < last; ++v)
                for (std::int64_t c = 0; c < channels; ++c)
                    target[(v - begin) * channels + c] = in[c * voxels + v];
        });
    });
}

const std::byte* bytes_of(const Volume& packed) {
    return visit(packed.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        return reinterpret_cast<const std::byte*>(packed.view<T>().origin);
    });
}

}  // namespace

std::vector<std::byte> packed_bytes(const Volume& volume, bool interleave) {
    const Volume packed = volume.contiguous();
    std::vector<std::byte> bytes(std::size_t(packed.size_bytes()));
    if (!interleave || packed.shape().c == 1) {
        std::memcpy(bytes.data(), bytes_of(packed), bytes.size());
    } else {
        interleave_range(packed, 0, packed.shape().voxels(), bytes.data());
    }
    return bytes;
}

void write_voxels(AtomicFile& file, const Volume& volume, bool interleave) {
    const Volume packed = volume.contiguous();
    if (!interleave || packed.shape().c == 1) {
        file.write(bytes_of(packed), packed.size_bytes());
        return;
    }
    const std::int64_t voxel_bytes =
        packed.shape().c * std::int64_t(pixel_size(packed.pixel_type()));
    const std::int64_t chunk_voxels =
        std::max<std::int64_t>(1, (std::int64_t(8) << 20) / voxel_bytes);
    std::vector<std::byte> chunk;
    for (std::int64_t begin = 0; begin < packed.shape().voxels(); begin += chunk_voxels) {
        const std::int64_t end = std::min(packed.shape().voxels(), begin + chunk_voxels);
        chunk.resize(std::size_t((end - begin) * voxel_bytes));
        interleave_range(packed, begin, end, chunk.data());
        file.write(chunk.data(), std::int64_t(chunk.size()));
    }
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    return text;
}

std::vector<std::string_view> split_words(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t position = 0;
    while (position < text.size()) {
        while (position < text.size() && is_space(text[position]))
            ++position;
        std::size_t end = position;
        while (end < text.size() && !is_space(text[end]))
            ++end;
        if (end > position) words.push_back(text.substr(position, end - position));
        position = end;
    }
    return words;
}

std::string lower(std::string_view text) {
    std::string result(text);
    for (char& c : result) {
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    }
    return result;
}

bool parse_int(std::string_view text, std::int64_t& value) {
    if (text.empty()) return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size();
}

bool parse_double(std::string_view text, double& value) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    if (text.empty() || text.front() == '+' || text.front() == ' ') return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size();
}

std::string format_double(double value) {
    std::array<char, 64> buffer;
    const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    if (error != std::errc()) return fmt::format("{}", value);
    return std::string(buffer.data(), end);
}

std::string normalize_unit(std::string_view unit) {
    const std::string key = lower(trim(unit));
    if (key == "mm" || key == "millimeter" || key == "millimeters" || key == "millimetre")
        return "mm";
    if (key == "um" || key == "\xc2\xb5m" || key == "\xce\xbcm" || key == "micron" ||
        key == "microns" || key == "micrometer" || key == "micrometers" || key == "micrometre")
        return "\xc2\xb5m";
    if (key == "nm" || key == "nanometer" || key == "nanometers") return "nm";
    if (key == "cm" || key == "centimeter" || key == "centimeters") return "cm";
    if (key == "m" || key == "meter" || key == "meters" || key == "metre") return "m";
    return std::string(trim(unit));
}

std::string ascii_unit(std::string_view unit) {
    if (unit == "\xc2\xb5m" || unit == "\xce\xbcm") return "um";
    return std::string(unit);
}

std::string format_file_pattern(const std::string& name, std::string_view pattern,
                                std::int64_t value) {
    std::string result;
    int conversions = 0;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] != '%') {
            result += pattern[i];
            continue;
        }
        if (i + 1 < pattern.size() && pattern[i + 1] == '%') {
            result += '%';
            ++i;
            continue;
        }
        std::size_t j = i + 1;
        const bool zero = j < pattern.size() && pattern[j] == '0';
        int width = 0;
        while (j < pattern.size() && pattern[j] >= '0' && pattern[j] <= '9' && width < 100)
            width = width * 10 + (pattern[j++] - '0');
        if (j == pattern.size() || (pattern[j] != 'd' && pattern[j] != 'i' && pattern[j] != 'u') ||
            width > 20 || ++conversions > 1) {
            throw FormatError(fmt::format("'{}': bad data file pattern '{}'", name, pattern));
        }
        result += zero ? fmt::format("{:0{}}", value, width) : fmt::format("{:{}}", value, width);
        i = j;
    }
    if (conversions != 1) {
        throw FormatError(fmt::format("'{}': bad data file pattern '{}'", name, pattern));
    }
    return result;
}

bool pattern_range_ok(std::int64_t first, std::int64_t last, std::int64_t step) {
    constexpr std::int64_t kBound = std::int64_t(1) << 40;
    if (first < -kBound || first > kBound || last < -kBound || last > kBound || step == 0 ||
        step < -kBound || step > kBound) {
        return false;
    }
    const std::int64_t count = (last - first) / step;
    return count >= 0 && count < kMaxDataFiles;
}

}  // namespace vox::io
