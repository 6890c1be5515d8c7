// DICOM (PS3.10 files) read with GDCM: one file (single- or multi-frame) or a series of
// single-frame files from a folder, sorted along the slice normal. Tags and their meaning
// follow PS3.3 C.7.6.2 (Image Plane) and C.7.6.3 (Image Pixel); rescale follows PS3.3
// C.11.1 as pydicom's apply_modality_lut does.
#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTrace.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstring>
#include <istream>
#include <map>
#include <mutex>
#include <optional>
#include <streambuf>

#include <fmt/format.h>

#include "../format.h"
#include "dicom.h"
#include "vox/parallel.h"

namespace vox::io {
namespace {

/// A tag with its PS3.6 keyword, for messages such as "missing tag Rows (0028,0010)".
struct DicomTag {
    std::uint16_t group;
    std::uint16_t element;
    std::string_view keyword;
    gdcm::Tag gdcm() const { return gdcm::Tag(group, element); }
};

constexpr DicomTag kSeriesInstanceUid{0x0020, 0x000E, "SeriesInstanceUID"};
constexpr DicomTag kInstanceNumber{0x0020, 0x0013, "InstanceNumber"};
constexpr DicomTag kImagePosition{0x0020, 0x0032, "ImagePositionPatient"};
constexpr DicomTag kImageOrientation{0x0020, 0x0037, "ImageOrientationPatient"};
constexpr DicomTag kSamplesPerPixel{0x0028, 0x0002, "SamplesPerPixel"};
constexpr DicomTag kPhotometric{0x0028, 0x0004, "PhotometricInterpretation"};
constexpr DicomTag kPlanarConfiguration{0x0028, 0x0006, "PlanarConfiguration"};
constexpr DicomTag kNumberOfFrames{0x0028, 0x0008, "NumberOfFrames"};
constexpr DicomTag kRows{0x0028, 0x0010, "Rows"};
constexpr DicomTag kColumns{0x0028, 0x0011, "Columns"};
constexpr DicomTag kPixelSpacing{0x0028, 0x0030, "PixelSpacing"};
constexpr DicomTag kBitsAllocated{0x0028, 0x0100, "BitsAllocated"};
constexpr DicomTag kBitsStored{0x0028, 0x0101, "BitsStored"};
constexpr DicomTag kPixelRepresentation{0x0028, 0x0103, "PixelRepresentation"};
constexpr DicomTag kRescaleIntercept{0x0028, 0x1052, "RescaleIntercept"};
constexpr DicomTag kRescaleSlope{0x0028, 0x1053, "RescaleSlope"};
constexpr DicomTag kModalityLut{0x0028, 0x3000, "ModalityLUTSequence"};
constexpr DicomTag kSliceThickness{0x0018, 0x0050, "SliceThickness"};
constexpr DicomTag kSpacingBetweenSlices{0x0018, 0x0088, "SpacingBetweenSlices"};
constexpr DicomTag kModality{0x0008, 0x0060, "Modality"};
constexpr DicomTag kSpecificCharacterSet{0x0008, 0x0005, "SpecificCharacterSet"};
constexpr DicomTag kSeriesDescription{0x0008, 0x103E, "SeriesDescription"};
constexpr DicomTag kGridFrameOffsets{0x3004, 0x000C, "GridFrameOffsetVector"};
constexpr DicomTag kSharedGroups{0x5200, 0x9229, "SharedFunctionalGroupsSequence"};
constexpr DicomTag kPerFrameGroups{0x5200, 0x9230, "PerFrameFunctionalGroupsSequence"};
constexpr DicomTag kPlanePosition{0x0020, 0x9113, "PlanePositionSequence"};
constexpr DicomTag kPlaneOrientation{0x0020, 0x9116, "PlaneOrientationSequence"};
constexpr DicomTag kPixelMeasures{0x0028, 0x9110, "PixelMeasuresSequence"};
constexpr DicomTag kPixelData{0x7FE0, 0x0010, "PixelData"};

constexpr std::string_view kRleLossless = "1.2.840.10008.1.2.5";

std::atomic<bool> g_codecs_enabled{true};

using Vec3 = std::array<double, 3>;

std::string latin1_to_utf8(std::string_view text) {
    std::string utf8;
    utf8.reserve(text.size());
    for (const char c : text) {
        const auto code = static_cast<unsigned char>(c);
        if (code < 0x80) {
            utf8 += c;
        } else {
            utf8 += char(0xC0 | (code >> 6));
            utf8 += char(0x80 | (code & 0x3F));
        }
    }
    return utf8;
}

Vec3 cross(const Vec3& a, const Vec3& b) {
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/// One input file: on disk (path) or in memory (a zip member, decompressed .gz, a fuzz input).
struct Input {
    std::string name;
    std::string path;
    std::span<const std::byte> memory;
};

/// A read-only, seekable streambuf over memory, so GDCM parses in-memory files without a copy.
class MemoryBuffer : public std::streambuf {
public:
    explicit MemoryBuffer(std::span<const std::byte> bytes) {
        // GDCM only reads; setg needs non-const pointers.
        char* begin = const_cast<char*>(reinterpret_cast<const char*>(bytes.data()));
        setg(begin, begin, begin + bytes.size());
    }

protected:
    pos_type seekoff(off_type offset, std::ios_base::seekdir direction,
                     std::ios_base::openmode) override {
        const off_type base = direction == std::ios_base::beg   ? 0
                              : direction == std::ios_base::cur ? gptr() - eback()
                                                                : egptr() - eback();
        if (offset > (egptr() - eback()) - base || base + offset < 0) return pos_type(off_type(-1));
        setg(eback(), eback() + base + offset, egptr());
        return pos_type(base + offset);
    }
    pos_type seekpos(pos_type position, std::ios_base::openmode mode) override {
        return seekoff(off_type(position), std::ios_base::beg, mode);
    }
};

/// What the structure check learnt about a file.
struct Structure {
    std::string transfer_syntax;
    /// Bytes of native (not encapsulated) pixel data; -1 if encapsulated or absent.
    std::int64_t pixel_data_bytes = -1;
    std::int64_t pixel_data_offset = -1;
    bool has_pixel_data = false;
    bool big_endian = false;
    bool native = true;
    /// Encapsulated pixel data: (offset, length) of each item, the offset table first.
    std::vector<std::pair<std::int64_t, std::int64_t>> fragments;
};

/// Walks every data element of a PS3.10 file (PS3.5 7.1: tag, VR, length; 7.5: items and
/// delimiters) and checks that each length fits in what encloses it, before GDCM sees the
/// bytes. Debian's GDCM is built with assertions, so a truncated or malformed file would
/// abort inside it instead of failing cleanly.
class StructureCheck {
public:
    StructureCheck(std::span<const std::byte> bytes, const std::string& name)
        : m_bytes(bytes), m_name(name) {}

    Structure run() {
        if (m_bytes.size() < 132 || std::memcmp(m_bytes.data() + 128, "DICM", 4) != 0) {
            throw FormatError(fmt::format(
                "'{}': not a DICOM file (no 'DICM' at offset 128, PS3.10 7.1)", m_name));
        }
        // The file meta group is always explicit VR little endian (PS3.10 7.1).
        m_position = 132;
        const std::int64_t size = std::int64_t(m_bytes.size());
        while (size - m_position >= 8 && u16(m_position) == 0x0002) {
            const std::uint16_t element = u16(m_position + 2);
            const std::int64_t value = element_value(size, 0);
            if (element == 0x0010) {
                std::string uid(reinterpret_cast<const char*>(m_bytes.data()) + value,
                                std::size_t(m_position - value));
                while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' '))
                    uid.pop_back();
                m_structure.transfer_syntax = uid;
            }
        }
        const std::string& syntax = m_structure.transfer_syntax;
        if (syntax.empty()) {
            throw FormatError(
                fmt::format("'{}': missing tag TransferSyntaxUID (0002,0010)", m_name));
        }
        if (syntax == "1.2.840.10008.1.2.1.99") {
            throw FormatError(fmt::format(
                "'{}': the deflated transfer syntax (1.2.840.10008.1.2.1.99) is not supported",
                m_name));
        }
        m_explicit = syntax != "1.2.840.10008.1.2";
        m_little = syntax != "1.2.840.10008.1.2.2";
        m_native = syntax == "1.2.840.10008.1.2" || syntax == "1.2.840.10008.1.2.1" ||
                   syntax == "1.2.840.10008.1.2.2";
        m_structure.big_endian = !m_little;
        m_structure.native = m_native;
        data_set(size, false, 0);
        return m_structure;
    }

private:
    static constexpr std::uint32_t kUndefinedLength = 0xFFFFFFFF;
    static constexpr int kMaxDepth = 16;

    std::uint16_t u16(std::int64_t at) const {
        const auto* p = reinterpret_cast<const std::uint8_t*>(m_bytes.data()) + at;
        return m_little ? std::uint16_t(p[0] | p[1] << 8) : std::uint16_t(p[1] | p[0] << 8);
    }
    std::uint32_t u32(std::int64_t at) const {
        const auto* p = reinterpret_cast<const std::uint8_t*>(m_bytes.data()) + at;
        return m_little ? std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 |
                              std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24
                        : std::uint32_t(p[3]) | std::uint32_t(p[2]) << 8 |
                              std::uint32_t(p[1]) << 16 | std::uint32_t(p[0]) << 24;
    }
    FormatError truncated(std::int64_t need, std::int64_t end) const {
        return FormatError(fmt::format(
            "'{}': truncated or malformed DICOM: {} bytes needed at offset {}, {} available",
            m_name, need, m_position, end - m_position));
    }
    std::string tag_at(std::int64_t at) const {
        return fmt::format("({:04X},{:04X})", u16(at), u16(at + 2));
    }

    static bool is_long_vr(std::string_view vr) {
        // PS3.5 7.1.2: VRs with a reserved field and a 32-bit length.
        for (std::string_view candidate :
             {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}) {
            if (vr == candidate) return true;
        }
        return false;
    }
    static bool is_known_vr(std::string_view vr) {
        for (std::string_view candidate :
             {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO",
              "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"}) {
            if (vr == candidate) return true;
        }
        return is_long_vr(vr);
    }

    /// Reads one element header at m_position (within [.., end)), checks its value, moves
    /// past it and returns where the value starts.
    std::int64_t element_value(std::int64_t end, int depth) {
        if (end - m_position < 8) throw truncated(8, end);
        const std::int64_t start = m_position;
        // Pixel data may also sit in items (icon images); only the top level's is ours.
        const bool is_pixel_data = u16(start) == 0x7FE0 && u16(start + 2) == 0x0010;
        const bool is_our_pixel_data = is_pixel_data && depth == 0;
        // The meta group (group 2) is explicit little endian whatever the data set uses.
        const bool meta = u16(start) == 0x0002 && depth == 0 && m_structure.transfer_syntax.empty();
        const bool explicit_vr = meta || m_explicit;
        std::string_view vr;
        std::uint32_t length = 0;
        if (explicit_vr) {
            vr = {reinterpret_cast<const char*>(m_bytes.data()) + start + 4, 2};
            if (!is_known_vr(vr)) {
                throw FormatError(
                    fmt::format("'{}': malformed DICOM: element {} at offset {} has "
                                "an unknown VR",
                                m_name, tag_at(start), start));
            }
            if (is_long_vr(vr)) {
                if (end - start < 12) throw truncated(12, end);
                length = u32(start + 8);
                m_position = start + 12;
            } else {
                length = u16(start + 6);
                m_position = start + 8;
            }
        } else {
            length = u32(start + 4);
            m_position = start + 8;
        }
        const std::int64_t value = m_position;
        // GDCM asserts that pixel data is OB or OW (PS3.5 8.2).
        if (is_pixel_data && explicit_vr && vr != "OB" && vr != "OW") {
            throw FormatError(fmt::format("'{}': malformed DICOM: PixelData at offset {} has VR {}",
                                          m_name, start, vr));
        }
        if (length == kUndefinedLength) {
            if (meta || (explicit_vr && vr != "SQ" && vr != "UN" && !is_pixel_data)) {
                throw FormatError(fmt::format(
                    "'{}': malformed DICOM: element {} at offset {} has an undefined length",
                    m_name, tag_at(start), start));
            }
            if (is_pixel_data) {
                // Encapsulated pixel data (PS3.5 A.4): fragments up to a sequence delimiter.
                if (m_native) {
                    throw FormatError(
                        fmt::format("'{}': malformed DICOM: encapsulated pixel "
                                    "data in a native transfer syntax",
                                    m_name));
                }
                if (is_our_pixel_data) m_structure.has_pixel_data = true;
                sequence(end, true, depth + 1, true, is_our_pixel_data);
            } else if (explicit_vr && vr == "UN") {
                // PS3.5 6.2.2: a UN value of undefined length is a sequence whose items are
                // encoded in implicit VR little endian, whatever the transfer syntax.
                const bool little = m_little;
                m_explicit = false;
                m_little = true;
                sequence(end, true, depth + 1, false);
                m_explicit = true;
                m_little = little;
            } else {
                sequence(end, true, depth + 1, false);
            }
            return value;
        }
        if (std::int64_t(length) > end - m_position) {
            throw FormatError(
                fmt::format("'{}': truncated or malformed DICOM: element {} at offset {} claims "
                            "{} bytes but {} remain",
                            m_name, tag_at(start), start, length, end - m_position));
        }
        const std::int64_t value_end = m_position + length;
        // Sequences with an explicit length (in implicit VR, values that start with an item).
        if ((explicit_vr && vr == "SQ") ||
            (!explicit_vr && length >= 8 && u16(value) == 0xFFFE && u16(value + 2) == 0xE000)) {
            sequence(value_end, false, depth + 1, false);
        }
        if (is_our_pixel_data) {
            m_structure.has_pixel_data = true;
            m_structure.pixel_data_bytes = length;
            m_structure.pixel_data_offset = value;
        }
        m_position = value_end;
        return value;
    }

    /// Elements up to `end`, or up to an item delimiter when `delimited`.
    void data_set(std::int64_t end, bool delimited, int depth) {
        while (delimited || m_position < end) {
            if (end - m_position < 8) throw truncated(8, end);
            if (u16(m_position) == 0xFFFE) {
                // Delimiters have a zero length (PS3.5 7.5); GDCM reads others as data.
                if (delimited && u16(m_position + 2) == 0xE00D && u32(m_position + 4) == 0) {
                    m_position += 8;
                    return;
                }
                throw FormatError(
                    fmt::format("'{}': malformed DICOM: unexpected delimiter {} at "
                                "offset {}",
                                m_name, tag_at(m_position), m_position));
            }
            element_value(end, depth);
        }
    }

    /// Items up to `end`, or up to a sequence delimiter when `delimited`; fragments of
    /// encapsulated pixel data are items whose content is not a data set.
    void sequence(std::int64_t end, bool delimited, int depth, bool fragments,
                  bool record = false) {
        if (depth > kMaxDepth) {
            throw FormatError(fmt::format(
                "'{}': malformed DICOM: sequences nested more than {} deep", m_name, kMaxDepth));
        }
        while (delimited || m_position < end) {
            if (end - m_position < 8) throw truncated(8, end);
            const std::int64_t start = m_position;
            if (u16(start) != 0xFFFE || (u16(start + 2) != 0xE000 && u16(start + 2) != 0xE0DD)) {
                throw FormatError(
                    fmt::format("'{}': malformed DICOM: expected an item at offset "
                                "{}, found {}",
                                m_name, start, tag_at(start)));
            }
            const std::uint32_t length = u32(start + 4);
            m_position = start + 8;
            if (u16(start + 2) == 0xE0DD) {
                if (!delimited || length != 0) {
                    throw FormatError(
                        fmt::format("'{}': malformed DICOM: unexpected or non-empty sequence "
                                    "delimiter at offset {}",
                                    m_name, start));
                }
                return;
            }
            if (length == kUndefinedLength) {
                if (fragments) {
                    throw FormatError(fmt::format(
                        "'{}': malformed DICOM: pixel data fragment of undefined length at "
                        "offset {}",
                        m_name, start));
                }
                data_set(end, true, depth);
                continue;
            }
            if (std::int64_t(length) > end - m_position) {
                throw FormatError(
                    fmt::format("'{}': truncated or malformed DICOM: item at offset "
                                "{} claims {} bytes but {} remain",
                                m_name, start, length, end - m_position));
            }
            if (fragments) {
                if (record) m_structure.fragments.emplace_back(m_position, length);
                m_position += length;
            } else {
                data_set(m_position + length, false, depth);
            }
        }
    }

    std::span<const std::byte> m_bytes;
    const std::string& m_name;
    std::int64_t m_position = 0;
    bool m_explicit = true;
    bool m_little = true;
    bool m_native = true;
    Structure m_structure;
};

/// Calls fn(bytes) with the whole file: in memory already, or read from disk. GDCM then
/// parses the checked bytes from memory, never the file again.
template <typename Fn>
auto with_bytes(const Input& input, Fn fn) {
    if (!input.path.empty()) {
        const std::vector<std::byte> bytes = Source::open(input.path).read_all();
        return fn(std::span<const std::byte>(bytes));
    }
    return fn(input.memory);
}

/// Runs `read` (a call of reader.Read or ReadUpToTag) with the reader parsing `bytes`.
/// GDCM exceptions become a false result: the caller reports a clean error.
template <typename Reader, typename Read>
bool run_reader(Reader& reader, std::span<const std::byte> bytes, Read read) {
    try {
        MemoryBuffer buffer(bytes);
        std::istream stream(&buffer);
        reader.SetStream(stream);
        return read();
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception&) {
        return false;
    }
}

void silence_gdcm() {
    // GDCM prints its warnings to stderr; we report problems as exceptions instead.
    static std::once_flag once;
    std::call_once(once, [] {
        gdcm::Trace::SetDebug(false);
        gdcm::Trace::SetWarning(false);
        gdcm::Trace::SetError(false);
    });
}

/// Header values of one data set (a file, or an item of a functional group sequence).
class Header {
public:
    Header(const gdcm::DataSet& data_set, const std::string& name)
        : m_data_set(data_set), m_name(name) {}

    bool has(const DicomTag& tag) const {
        return m_data_set.FindDataElement(tag.gdcm()) &&
               !m_data_set.GetDataElement(tag.gdcm()).IsEmpty();
    }

    /// The value of a text tag (CS, UI, DS, IS, LO), without padding; nullopt if absent.
    std::optional<std::string> text(const DicomTag& tag) const {
        const gdcm::ByteValue* value = byte_value(tag);
        if (value == nullptr) return std::nullopt;
        std::string text(value->GetPointer(), value->GetLength());
        const auto first = text.find_first_not_of(kPadding);
        if (first == std::string::npos) return std::nullopt;
        const auto last = text.find_last_not_of(kPadding);
        return text.substr(first, last - first + 1);
    }

    /// The numbers of a DS or IS tag ("1.5\-2\3"); nullopt if absent.
    /// @throw FormatError if present but not numbers.
    std::optional<std::vector<double>> numbers(const DicomTag& tag) const {
        const std::optional<std::string> value = text(tag);
        if (!value) return std::nullopt;
        std::vector<double> numbers;
        std::string_view rest = *value;
        while (true) {
            const std::size_t end = std::min(rest.find('\\'), rest.size());
            std::string_view item = rest.substr(0, end);
            while (!item.empty() && kPadding.find(item.front()) != std::string_view::npos)
                item.remove_prefix(1);
            while (!item.empty() && kPadding.find(item.back()) != std::string_view::npos)
                item.remove_suffix(1);
            if (!item.empty() && item.front() == '+') item.remove_prefix(1);
            double number = 0;
            const auto [pointer, error] =
                std::from_chars(item.data(), item.data() + item.size(), number);
            if (item.empty() || error != std::errc() || pointer != item.data() + item.size() ||
                !std::isfinite(number)) {
                throw FormatError(
                    fmt::format("'{}': bad value '{}' in {}", m_name, *value, describe(tag)));
            }
            numbers.push_back(number);
            if (end == rest.size()) break;
            rest.remove_prefix(end + 1);
        }
        return numbers;
    }

    /// Exactly `count` numbers of a DS tag, nullopt if absent. @throw FormatError otherwise.
    template <std::size_t N>
    std::optional<std::array<double, N>> fixed_numbers(const DicomTag& tag) const {
        const auto values = numbers(tag);
        if (!values) return std::nullopt;
        if (values->size() != N) {
            throw FormatError(fmt::format("'{}': {} has {} values, expected {}", m_name,
                                          describe(tag), values->size(), N));
        }
        std::array<double, N> result{};
        std::copy(values->begin(), values->end(), result.begin());
        return result;
    }

    /// An IS tag as an integer; nullopt if absent. @throw FormatError if not an integer.
    std::optional<std::int64_t> integer_string(const DicomTag& tag) const {
        const auto values = numbers(tag);
        if (!values) return std::nullopt;
        const double value = values->front();
        if (value != std::trunc(value) || std::fabs(value) > 1e15) {
            throw FormatError(
                fmt::format("'{}': bad value '{}' in {}", m_name, *text(tag), describe(tag)));
        }
        return std::int64_t(value);
    }

    /// A US tag (GDCM has already swapped it to native order); nullopt if absent.
    std::optional<std::int64_t> unsigned_short(const DicomTag& tag) const {
        const gdcm::ByteValue* value = byte_value(tag);
        if (value == nullptr) return std::nullopt;
        if (value->GetLength() < 2) {
            throw FormatError(fmt::format("'{}': {} has {} bytes, expected 2", m_name,
                                          describe(tag), value->GetLength()));
        }
        std::uint16_t number = 0;
        std::memcpy(&number, value->GetPointer(), 2);
        return number;
    }

    /// A US tag that must be present. @throw FormatError "'NAME': missing tag Rows (0028,0010)".
    std::int64_t required_unsigned_short(const DicomTag& tag) const {
        const auto value = unsigned_short(tag);
        if (!value) throw FormatError(fmt::format("'{}': missing tag {}", m_name, describe(tag)));
        return *value;
    }

    /// The first item of a sequence, or nullopt if it is absent or empty.
    std::optional<Header> first_item(const DicomTag& tag) const {
        const auto items = sequence(tag);
        if (items.empty()) return std::nullopt;
        return items.front();
    }

    /// The items of a sequence (empty if absent).
    std::vector<Header> sequence(const DicomTag& tag) const {
        std::vector<Header> items;
        if (!m_data_set.FindDataElement(tag.gdcm())) return items;
        const gdcm::SmartPointer<gdcm::SequenceOfItems> sequence =
            m_data_set.GetDataElement(tag.gdcm()).GetValueAsSQ();
        if (!sequence) return items;
        m_sequences.push_back(sequence);  // keeps the items alive with this header
        for (auto item = sequence->Begin(); item != sequence->End(); ++item)
            items.emplace_back(item->GetNestedDataSet(), m_name);
        return items;
    }

    static std::string describe(const DicomTag& tag) {
        return fmt::format("{} ({:04X},{:04X})", tag.keyword, tag.group, tag.element);
    }

private:
    static constexpr std::string_view kPadding{" \0", 2};  // PS3.5 6.2: space or NUL padding

    const gdcm::ByteValue* byte_value(const DicomTag& tag) const {
        if (!m_data_set.FindDataElement(tag.gdcm())) return nullptr;
        const gdcm::DataElement& element = m_data_set.GetDataElement(tag.gdcm());
        const gdcm::ByteValue* value = element.GetByteValue();
        if (value == nullptr || value->GetLength() == 0 || value->GetPointer() == nullptr)
            return nullptr;
        return value;
    }

    const gdcm::DataSet& m_data_set;
    std::string m_name;
    mutable std::vector<gdcm::SmartPointer<gdcm::SequenceOfItems>> m_sequences;
};

/// What the header of one file says, checked.
struct SliceInfo {
    Input input;
    bool readable = false;
    bool is_image = false;
    std::string series_uid;
    std::int64_t rows = 0;
    std::int64_t columns = 0;
    std::int64_t frames = 1;
    std::int64_t samples = 1;
    std::int64_t bits_allocated = 0;
    std::int64_t bits_stored = 0;
    bool is_signed = false;
    bool planar = false;
    bool big_endian = false;
    /// Where native pixel data starts in the file; -1 when encapsulated.
    std::int64_t pixel_data_offset = -1;
    /// Encapsulated pixel data: (offset, length) of each item, the offset table first.
    std::vector<std::pair<std::int64_t, std::int64_t>> fragments;
    std::string photometric;
    std::optional<std::array<double, 6>> orientation;
    std::optional<Vec3> position;
    std::optional<std::array<double, 2>> pixel_spacing;
    std::optional<double> spacing_between_slices;
    std::optional<double> slice_thickness;
    std::optional<std::int64_t> instance_number;
    /// RescaleSlope and RescaleIntercept both present (pydicom applies them then).
    bool has_rescale = false;
    double slope = 1;
    double intercept = 0;
    bool modality_lut = false;
    /// Multi-frame files: one ImagePositionPatient per frame, or GridFrameOffsetVector.
    std::vector<Vec3> frame_positions;
    std::vector<double> grid_offsets;
    std::string modality;
    std::string series_description;
    std::string transfer_syntax;
    /// ImagePositionPatient along the slice normal, set when sorting.
    double along_normal = 0;

    const std::string& name() const { return input.name; }
    bool rescaled() const { return has_rescale && (slope != 1 || intercept != 0); }
};

bool sniff_dicom(std::span<const std::byte> head) {
    // PS3.10 7.1: a 128-byte preamble, then "DICM".
    return head.size() >= 132 && std::memcmp(head.data() + 128, "DICM", 4) == 0;
}

SliceInfo read_slice_info(const Input& input, std::span<const std::byte> bytes, bool must_be_image);

PixelType stored_type(std::int64_t bits_allocated, bool is_signed) {
    if (bits_allocated == 8) return is_signed ? PixelType::i8 : PixelType::u8;
    if (bits_allocated == 16) return is_signed ? PixelType::i16 : PixelType::u16;
    return is_signed ? PixelType::i32 : PixelType::u32;
}

/// Reads the header of a file (everything before PixelData). `must_be_image`: throw when the
/// file is not a DICOM image rather than returning readable/is_image false.
SliceInfo read_slice_info(const Input& input, bool must_be_image) {
    return with_bytes(input, [&](std::span<const std::byte> bytes) {
        return read_slice_info(input, bytes, must_be_image);
    });
}

SliceInfo read_slice_info(const Input& input, std::span<const std::byte> bytes,
                          bool must_be_image) {
    SliceInfo info;
    info.input = input;
    // In a folder, files that are not DICOM (notes, thumbnails) are skipped quietly.
    if (!must_be_image && !sniff_dicom(bytes)) return info;
    const Structure structure = StructureCheck(bytes, input.name).run();
    info.transfer_syntax = structure.transfer_syntax;
    info.is_image = structure.has_pixel_data;
    info.big_endian = structure.big_endian;
    if (structure.native) info.pixel_data_offset = structure.pixel_data_offset;
    info.fragments = structure.fragments;
    if (!info.is_image) {
        info.readable = true;
        if (!must_be_image) return info;
        throw FormatError(
            fmt::format("'{}': no {}: not an image", input.name, Header::describe(kPixelData)));
    }
    gdcm::Reader reader;
    info.readable =
        run_reader(reader, bytes, [&] { return reader.ReadUpToTag(kPixelData.gdcm()); });
    if (!info.readable) {
        throw FormatError(
            fmt::format("'{}': not a DICOM file GDCM can read (corrupt or truncated)", input.name));
    }
    try {
        const gdcm::File& file = reader.GetFile();
        const Header header(file.GetDataSet(), input.name);
        info.series_uid = header.text(kSeriesInstanceUid).value_or("");
        info.modality = header.text(kModality).value_or("");
        info.series_description = header.text(kSeriesDescription).value_or("");
        // Latin-1 (ISO_IR 100, the usual European character set) becomes UTF-8; other sets
        // keep their bytes, which messages and JSON show as escapes.
        if (header.text(kSpecificCharacterSet).value_or("").find("IR 100") != std::string::npos)
            info.series_description = latin1_to_utf8(info.series_description);

        info.rows = header.required_unsigned_short(kRows);
        info.columns = header.required_unsigned_short(kColumns);
        if (info.rows == 0 || info.columns == 0) {
            throw FormatError(fmt::format("'{}': the image is empty ({} rows, {} columns)",
                                          input.name, info.rows, info.columns));
        }
        info.bits_allocated = header.required_unsigned_short(kBitsAllocated);
        if (info.bits_allocated != 8 && info.bits_allocated != 16 && info.bits_allocated != 32) {
            throw FormatError(fmt::format("'{}': {} {} is not supported (8, 16 or 32)", input.name,
                                          Header::describe(kBitsAllocated), info.bits_allocated));
        }
        const std::int64_t representation = header.required_unsigned_short(kPixelRepresentation);
        if (representation > 1) {
            throw FormatError(fmt::format("'{}': {} must be 0 or 1, not {}", input.name,
                                          Header::describe(kPixelRepresentation), representation));
        }
        info.is_signed = representation == 1;
        info.samples = header.unsigned_short(kSamplesPerPixel).value_or(1);
        if (info.samples != 1 && info.samples != 3) {
            throw FormatError(fmt::format("'{}': {} {} is not supported (1 or 3)", input.name,
                                          Header::describe(kSamplesPerPixel), info.samples));
        }
        info.bits_stored = header.unsigned_short(kBitsStored).value_or(info.bits_allocated);
        info.planar = header.unsigned_short(kPlanarConfiguration).value_or(0) == 1;
        info.photometric =
            header.text(kPhotometric).value_or(info.samples == 1 ? "MONOCHROME2" : "RGB");
        // Known gap, refused rather than read wrongly: GDCM does not expand uncompressed
        // YBR_FULL_422 (2 bytes per pixel, PS3.3 C.7.6.3.1.2).
        if (info.photometric == "YBR_FULL_422" && (info.transfer_syntax == "1.2.840.10008.1.2" ||
                                                   info.transfer_syntax == "1.2.840.10008.1.2.1" ||
                                                   info.transfer_syntax == "1.2.840.10008.1.2.2")) {
            throw FormatError(fmt::format(
                "'{}': uncompressed YBR_FULL_422 pixel data is not supported", input.name));
        }
        info.frames = header.integer_string(kNumberOfFrames).value_or(1);
        if (info.frames < 1 || info.frames > (std::int64_t(1) << 31)) {
            throw FormatError(fmt::format("'{}': {} {} is not a frame count", input.name,
                                          Header::describe(kNumberOfFrames), info.frames));
        }
        info.instance_number = header.integer_string(kInstanceNumber);
        // GDCM's spacing code reads NumberOfFrames unchecked when it follows
        // GridFrameOffsetVector (RT Dose), and its assertions abort on the missing tag. Only
        // compressed data other than RLE goes through GDCM's image reader.
        if (!structure.native && info.transfer_syntax != kRleLossless &&
            header.has(kGridFrameOffsets) && !header.has(kNumberOfFrames)) {
            throw FormatError(fmt::format("'{}': {} without {} is not supported", input.name,
                                          Header::describe(kGridFrameOffsets),
                                          Header::describe(kNumberOfFrames)));
        }
        // Native pixel data must hold every pixel (GDCM would read past a short one).
        const std::int64_t needed = checked_product(
            {info.rows, info.columns, info.frames, info.samples, info.bits_allocated / 8},
            "pixel data");
        if (!structure.native && structure.pixel_data_bytes >= 0) {
            throw FormatError(
                fmt::format("'{}': malformed DICOM: the pixel data of {} is not "
                            "encapsulated",
                            input.name, info.transfer_syntax));
        }
        if (structure.pixel_data_bytes >= 0 && structure.pixel_data_bytes < needed) {
            throw FormatError(fmt::format("'{}': {} has {} bytes, the header needs {}", input.name,
                                          Header::describe(kPixelData), structure.pixel_data_bytes,
                                          needed));
        }

        // Geometry: top level first, then the functional groups of enhanced multi-frame
        // files (PS3.3 C.7.6.16): shared groups, then the first frame's groups.
        const std::vector<Header> per_frame = header.sequence(kPerFrameGroups);
        std::vector<Header> groups;
        if (auto shared = header.first_item(kSharedGroups)) groups.push_back(*shared);
        if (!per_frame.empty()) groups.push_back(per_frame.front());
        auto from_groups = [&](const DicomTag& sequence, auto get) {
            for (const Header& group : groups) {
                if (auto item = group.first_item(sequence)) {
                    if (auto value = get(*item)) return value;
                }
            }
            return decltype(get(header))();
        };
        info.orientation = header.fixed_numbers<6>(kImageOrientation);
        if (!info.orientation) {
            info.orientation = from_groups(kPlaneOrientation, [](const Header& item) {
                return item.fixed_numbers<6>(kImageOrientation);
            });
        }
        info.position = header.fixed_numbers<3>(kImagePosition);
        info.pixel_spacing = header.fixed_numbers<2>(kPixelSpacing);
        if (!info.pixel_spacing) {
            info.pixel_spacing = from_groups(kPixelMeasures, [](const Header& item) {
                return item.fixed_numbers<2>(kPixelSpacing);
            });
        }
        auto single = [](const Header& item, const DicomTag& tag) -> std::optional<double> {
            if (auto values = item.numbers(tag)) return values->front();
            return std::nullopt;
        };
        info.spacing_between_slices = single(header, kSpacingBetweenSlices);
        if (!info.spacing_between_slices) {
            info.spacing_between_slices = from_groups(kPixelMeasures, [&](const Header& item) {
                return single(item, kSpacingBetweenSlices);
            });
        }
        info.slice_thickness = single(header, kSliceThickness);
        if (!info.slice_thickness) {
            info.slice_thickness = from_groups(
                kPixelMeasures, [&](const Header& item) { return single(item, kSliceThickness); });
        }
        // Spacings of 0 (or NaN) turn up in exported files and say nothing: they are taken
        // as absent, as optional tags are, rather than refuse the file. Some scanners write a
        // negative SpacingBetweenSlices; its size is the spacing.
        const auto is_spacing = [](double value) { return std::isfinite(value) && value > 0; };
        if (info.pixel_spacing &&
            !(is_spacing((*info.pixel_spacing)[0]) && is_spacing((*info.pixel_spacing)[1]))) {
            info.pixel_spacing.reset();
        }
        for (std::optional<double>* value : {&info.spacing_between_slices, &info.slice_thickness}) {
            if (*value) **value = std::fabs(**value);
            if (*value && !is_spacing(**value)) value->reset();
        }
        if (info.frames > 1) {
            for (const Header& frame : per_frame) {
                const auto plane = frame.first_item(kPlanePosition);
                const auto position =
                    plane ? plane->fixed_numbers<3>(kImagePosition) : std::nullopt;
                if (!position) break;
                info.frame_positions.push_back(*position);
            }
            if (std::int64_t(info.frame_positions.size()) != info.frames)
                info.frame_positions.clear();
            if (!info.position && !info.frame_positions.empty())
                info.position = info.frame_positions.front();
            if (auto offsets = header.numbers(kGridFrameOffsets)) info.grid_offsets = *offsets;
        }

        // pydicom's apply_modality_lut rescales when both tags are present (PS3.3 C.11.1.1.2).
        const auto slope = header.numbers(kRescaleSlope);
        const auto intercept = header.numbers(kRescaleIntercept);
        info.has_rescale = slope && intercept;
        if (info.has_rescale) {
            info.slope = slope->front();
            info.intercept = intercept->front();
        }
        info.modality_lut = header.has(kModalityLut);
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& error) {
        throw FormatError(
            fmt::format("'{}': GDCM cannot parse the header: {}", input.name, error.what()));
    }
    return info;
}

/// True if every value slope * stored + intercept (computed in double, as numpy does) is
/// exactly a float: slope and intercept are multiples of 2^-k and the largest result, counted
/// in steps of 2^-k, fits the 24-bit significand of a float.
bool exact_in_float(const SliceInfo& info) {
    if (!info.rescaled()) return true;
    const double largest_stored = info.is_signed ? std::ldexp(1.0, int(info.bits_allocated) - 1)
                                                 : std::ldexp(1.0, int(info.bits_allocated)) - 1;
    for (int k = 0; k <= 60; ++k) {
        const double slope = std::ldexp(info.slope, k);
        const double intercept = std::ldexp(info.intercept, k);
        if (slope == std::trunc(slope) && intercept == std::trunc(intercept))
            return largest_stored * std::fabs(slope) + std::fabs(intercept) <= 16777216.0;
    }
    return false;
}

/// Writes value * slope + intercept for `count` stored values of type T that sit at the END of
/// the destination's region (count * sizeof(O) bytes from `region`), front to back: each output
/// ends before the next input starts, so the conversion needs no second buffer.
template <typename T, typename O>
void rescale_in_place(std::byte* region, std::int64_t count, double slope, double intercept) {
    const std::byte* input = region + std::int64_t(sizeof(O) - sizeof(T)) * count;
    for (std::int64_t i = 0; i < count; ++i) {
        T stored;
        std::memcpy(&stored, input + i * std::int64_t(sizeof(T)), sizeof(T));
        // Multiply, then add, both in double (no fused multiply-add: built with
        // -ffp-contract=off), exactly as pydicom's apply_modality_lut.
        const O value = O(double(stored) * slope + intercept);
        std::memcpy(region + i * std::int64_t(sizeof(O)), &value, sizeof(O));
    }
}

/// Decodes one RLE frame (PS3.5 Annex G) into `out` as native-endian values with interleaved
/// samples. GDCM's RLE decoder trusts the segment table (it reads out of bounds or asserts on
/// bad files), so we decode RLE ourselves, as pydicom does: segments hold the bytes of each
/// sample, most significant first; a short segment is an error, extra bytes are ignored.
void decode_rle_frame(std::span<const std::byte> frame, const SliceInfo& info,
                      std::int64_t bytes_per_sample, std::byte* out) {
    auto fail = [&](const std::string& problem) {
        return FormatError(fmt::format("'{}': bad RLE data: {}", info.name(), problem));
    };
    auto u32 = [&](std::size_t at) {
        const auto* p = reinterpret_cast<const std::uint8_t*>(frame.data()) + at;
        return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
               std::uint32_t(p[3]) << 24;
    };
    if (frame.size() < 64)
        throw fail(fmt::format("a frame of {} bytes has no header", frame.size()));
    const std::int64_t segments = u32(0);
    const std::int64_t expected = info.samples * bytes_per_sample;
    if (segments != expected)
        throw fail(fmt::format("{} segments, expected {}", segments, expected));
    const std::int64_t pixels = info.rows * info.columns;
    const std::int64_t size = std::int64_t(frame.size());
    for (std::int64_t segment = 0; segment < segments; ++segment) {
        const std::int64_t begin = u32(4 + 4 * std::size_t(segment));
        const std::int64_t end = segment + 1 < segments ? u32(8 + 4 * std::size_t(segment)) : size;
        if (begin < 64 || begin > end || end > size) {
            throw fail(fmt::format("segment {} spans bytes {} to {} of a {}-byte frame", segment,
                                   begin, end, size));
        }
        const std::int64_t sample = segment / bytes_per_sample;
        const std::int64_t significance = bytes_per_sample - 1 - segment % bytes_per_sample;
        const std::int64_t byte_in_value =
            kHostBigEndian ? bytes_per_sample - 1 - significance : significance;
        const std::int64_t stride = info.samples * bytes_per_sample;
        std::byte* target = out + sample * bytes_per_sample + byte_in_value;
        std::int64_t written = 0;
        std::int64_t position = begin;
        // PackBits (PS3.5 G.3.1): n >= 0 copies n + 1 bytes, n < 0 repeats one byte 1 - n
        // times, -128 is a no-op.
        while (position < end && written < pixels) {
            const auto n = static_cast<std::int8_t>(frame[std::size_t(position++)]);
            if (n >= 0) {
                const std::int64_t count =
                    std::min<std::int64_t>({std::int64_t(n) + 1, end - position, pixels - written});
                for (std::int64_t i = 0; i < count; ++i)
                    target[(written + i) * stride] = frame[std::size_t(position + i)];
                written += count;
                position += std::int64_t(n) + 1;
            } else if (n != -128) {
                if (position >= end) break;
                const std::byte value = frame[std::size_t(position++)];
                const std::int64_t count =
                    std::min<std::int64_t>(1 - std::int64_t(n), pixels - written);
                for (std::int64_t i = 0; i < count; ++i)
                    target[(written + i) * stride] = value;
                written += count;
            }
        }
        if (written < pixels)
            throw fail(fmt::format("segment {} decodes to {} bytes, expected {}", segment, written,
                                   pixels));
    }
}

/// Decodes all frames of RLE pixel data into `out` (interleaved samples).
void decode_rle(std::span<const std::byte> bytes, const SliceInfo& info,
                std::int64_t bytes_per_sample, std::byte* out) {
    // The first item is the basic offset table (PS3.5 A.4); then one fragment per frame, or
    // any number for a single frame (joined, as pydicom does).
    if (info.fragments.size() < 2) {
        throw FormatError(fmt::format("'{}': bad RLE data: no fragments", info.name()));
    }
    const std::int64_t frame_bytes = info.rows * info.columns * info.samples * bytes_per_sample;
    if (info.frames == 1) {
        std::vector<std::byte> joined;
        for (std::size_t i = 1; i < info.fragments.size(); ++i) {
            const auto [offset, length] = info.fragments[i];
            joined.insert(joined.end(), bytes.begin() + offset, bytes.begin() + offset + length);
        }
        decode_rle_frame(joined, info, bytes_per_sample, out);
        return;
    }
    if (std::int64_t(info.fragments.size()) - 1 != info.frames) {
        throw FormatError(fmt::format("'{}': bad RLE data: {} fragments for {} frames", info.name(),
                                      info.fragments.size() - 1, info.frames));
    }
    for (std::int64_t frame = 0; frame < info.frames; ++frame) {
        const auto [offset, length] = info.fragments[std::size_t(frame) + 1];
        decode_rle_frame(bytes.subspan(std::size_t(offset), std::size_t(length)), info,
                         bytes_per_sample, out + frame * frame_bytes);
    }
}

/// JPEG 2000 streams may hold signed data as unsigned BitsStored-bit values; pydicom
/// (APPLY_J2K_CORRECTIONS) sign-extends them from BitsStored, and so do we. For streams that
/// are signed already this changes nothing.
bool needs_sign_extension(const SliceInfo& info) {
    return info.is_signed && info.bits_stored > 0 && info.bits_stored < info.bits_allocated &&
           (info.transfer_syntax == "1.2.840.10008.1.2.4.90" ||
            info.transfer_syntax == "1.2.840.10008.1.2.4.91");
}

template <typename T>
void sign_extend(std::byte* data, std::int64_t count, std::int64_t bits) {
    using U = std::make_unsigned_t<T>;
    const U mask = U((U(1) << bits) - 1);
    const U sign = U(U(1) << (bits - 1));
    for (std::int64_t i = 0; i < count; ++i) {
        U value;
        std::memcpy(&value, data + i * std::int64_t(sizeof(T)), sizeof(T));
        value = U(value & mask);
        value = U((value ^ sign) - sign);  // two's complement from `bits` bits
        std::memcpy(data + i * std::int64_t(sizeof(T)), &value, sizeof(T));
    }
}

/// How the files map into the volume.
struct Layout {
    Shape shape;
    PixelType stored = PixelType::u8;
    PixelType output = PixelType::u8;
    bool rescale = false;
    std::int64_t planes_per_file = 1;
};

std::string decode_bytes(const SliceInfo& info, std::span<const std::byte> bytes,
                         const Layout& layout, std::int64_t first_plane, std::byte* volume_data);

/// Decodes one file's pixel data into planes [first_plane, first_plane + planes_per_file) of
/// the volume; returns the photometric interpretation GDCM decoded to.
std::string decode_file(const SliceInfo& info, const Layout& layout, std::int64_t first_plane,
                        std::byte* volume_data) {
    return with_bytes(info.input, [&](std::span<const std::byte> bytes) {
        // Checked again: the file may have changed since its header was read.
        const SliceInfo checked = read_slice_info(info.input, bytes, true);
        if (checked.rows != info.rows || checked.columns != info.columns ||
            checked.frames != info.frames || checked.bits_allocated != info.bits_allocated ||
            checked.samples != info.samples) {
            throw IoError(fmt::format("'{}': the file changed while it was read", info.name()));
        }
        return decode_bytes(info, bytes, layout, first_plane, volume_data);
    });
}

std::string decode_bytes(const SliceInfo& info, std::span<const std::byte> bytes,
                         const Layout& layout, std::int64_t first_plane, std::byte* volume_data) {
    // Native pixel data (PS3.5 A.1-A.3) is copied from the checked bytes and swapped here:
    // GDCM 3.0 swaps 32-bit big-endian OW data as 16-bit words. GDCM decodes the rest.
    const bool native = info.pixel_data_offset >= 0;
    const bool rle = info.transfer_syntax == kRleLossless;
    std::optional<gdcm::ImageReader> reader;
    const gdcm::Image* image = nullptr;
    if (!native && !rle) {
        if (!g_codecs_enabled) {
            throw FormatError(fmt::format("'{}': GDCM codecs are disabled ({})", info.name(),
                                          info.transfer_syntax));
        }
        reader.emplace();
        if (!run_reader(*reader, bytes, [&] { return reader->Read(); })) {
            throw FormatError(fmt::format(
                "'{}': GDCM cannot read the pixel data (corrupt or truncated file)", info.name()));
        }
    }
    try {
        // Our RLE decoder writes interleaved samples whatever PlanarConfiguration says.
        bool planar = info.planar && !rle;
        std::string photometric = info.photometric;
        if (image == nullptr && reader) {
            image = &reader->GetImage();
            const gdcm::PixelFormat& format = image->GetPixelFormat();
            const std::int64_t frames =
                image->GetNumberOfDimensions() == 3 ? image->GetDimension(2) : 1;
            if (image->GetColumns() != info.columns || image->GetRows() != info.rows ||
                frames != info.frames || format.GetBitsAllocated() != info.bits_allocated ||
                format.GetSamplesPerPixel() != info.samples ||
                format.GetPixelRepresentation() != (info.is_signed ? 1 : 0)) {
                throw FormatError(fmt::format(
                    "'{}': GDCM decodes {}x{}x{} pixels of {} bits{} x{} but the header says "
                    "{}x{}x{} of {} bits{} x{}",
                    info.name(), frames, image->GetRows(), image->GetColumns(),
                    format.GetBitsAllocated(), format.GetPixelRepresentation() ? " signed" : "",
                    format.GetSamplesPerPixel(), info.frames, info.rows, info.columns,
                    info.bits_allocated, info.is_signed ? " signed" : "", info.samples));
            }
            planar = image->GetPlanarConfiguration() == 1;
            const char* decoded = image->GetPhotometricInterpretation().GetString();
            photometric = decoded != nullptr ? decoded : "";
            while (!photometric.empty() && photometric.back() == ' ')
                photometric.pop_back();
        }
        const std::int64_t stored_size = std::int64_t(pixel_size(layout.stored));
        const std::int64_t output_size = std::int64_t(pixel_size(layout.output));
        const std::int64_t plane_values = info.rows * info.columns;
        const std::int64_t file_values = plane_values * info.frames;  // per sample
        const std::int64_t expected = file_values * info.samples * stored_size;
        if (image != nullptr && std::int64_t(image->GetBufferLength()) != expected) {
            throw FormatError(fmt::format("'{}': decoded pixel data has {} bytes, expected {}",
                                          info.name(), image->GetBufferLength(), expected));
        }
        // Fills `target` with the stored values in native byte order.
        auto fill = [&](std::byte* target) {
            if (rle) {
                decode_rle(bytes, info, stored_size, target);
                return true;
            }
            if (!native) return image->GetBuffer(reinterpret_cast<char*>(target));
            std::memcpy(target, bytes.data() + info.pixel_data_offset, std::size_t(expected));
            if (info.big_endian != kHostBigEndian)
                swap_bytes(target, file_values * info.samples, std::size_t(stored_size));
            return true;
        };
        const std::int64_t channel_stride = layout.shape.voxels() * output_size;
        std::byte* destination = volume_data + first_plane * plane_values * output_size;
        auto fail = [&] {
            return FormatError(fmt::format("'{}': GDCM cannot decode the pixel data ({})",
                                           info.name(), info.transfer_syntax));
        };
        if (info.samples == 1) {
            // Straight into the volume; rescaled values are expanded in place.
            std::byte* target =
                destination + (layout.rescale ? (output_size - stored_size) * file_values : 0);
            if (!fill(target)) throw fail();
            if (needs_sign_extension(info)) {
                visit(layout.stored, [&](auto stored) {
                    using T = typename decltype(stored)::type;
                    if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
                        sign_extend<T>(target, file_values, info.bits_stored);
                });
            }
            if (layout.rescale) {
                visit(layout.stored, [&](auto stored) {
                    using T = typename decltype(stored)::type;
                    if constexpr (std::is_integral_v<T>) {
                        if (layout.output == PixelType::f32)
                            rescale_in_place<T, float>(destination, file_values, info.slope,
                                                       info.intercept);
                        else
                            rescale_in_place<T, double>(destination, file_values, info.slope,
                                                        info.intercept);
                    }
                });
            }
        } else {
            // Colour: samples interleaved (or planar) in the file, one block per channel here.
            std::vector<std::byte> decoded(static_cast<std::size_t>(expected));
            if (!fill(decoded.data())) throw fail();
            visit(layout.stored, [&](auto stored) {
                using T = typename decltype(stored)::type;
                auto copy_to = [&](auto output) {
                    using O = typename decltype(output)::type;
                    for (std::int64_t c = 0; c < info.samples; ++c) {
                        O* out = reinterpret_cast<O*>(destination + c * channel_stride);
                        for (std::int64_t i = 0; i < file_values; ++i) {
                            const std::int64_t at =
                                planar ? c * file_values + i : i * info.samples + c;
                            T value;
                            std::memcpy(&value, decoded.data() + at * stored_size, sizeof(T));
                            if constexpr (std::is_floating_point_v<O>)
                                out[i] = O(double(value) * info.slope + info.intercept);
                            else
                                out[i] = O(value);
                        }
                    }
                };
                if constexpr (std::is_integral_v<T>) {
                    if (!layout.rescale)
                        copy_to(std::type_identity<T>{});
                    else if (layout.output == PixelType::f32)
                        copy_to(std::type_identity<float>{});
                    else
                        copy_to(std::type_identity<double>{});
                }
            });
        }
        return photometric;
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& error) {
        throw FormatError(
            fmt::format("'{}': GDCM cannot decode the pixel data: {}", info.name(), error.what()));
    }
}

/// The positions of the volume's planes along the slice normal and in space, when known.
struct Planes {
    std::vector<double> along_normal;
    std::vector<Vec3> positions;
};

std::string format_number(double value) {
    return fmt::format("{:g}", value);
}

/// Checks that `slices` agree on what makes them one volume; the first mismatch is reported
/// naming the file.
void check_consistent(const std::vector<SliceInfo>& slices) {
    const SliceInfo& first = slices.front();
    for (const SliceInfo& slice : slices) {
        auto mismatch = [&](std::string_view what, auto value, auto expected) {
            return FormatError(fmt::format("'{}': {} is {} but {} in '{}'", slice.name(), what,
                                           value, expected, first.name()));
        };
        if (slice.frames != 1) {
            throw FormatError(fmt::format(
                "'{}': a multi-frame file ({} frames) in a series of {} files is not supported",
                slice.name(), slice.frames, slices.size()));
        }
        if (slice.rows != first.rows)
            throw mismatch(Header::describe(kRows), slice.rows, first.rows);
        if (slice.columns != first.columns)
            throw mismatch(Header::describe(kColumns), slice.columns, first.columns);
        if (slice.bits_allocated != first.bits_allocated)
            throw mismatch(Header::describe(kBitsAllocated), slice.bits_allocated,
                           first.bits_allocated);
        if (slice.is_signed != first.is_signed)
            throw mismatch(Header::describe(kPixelRepresentation), int(slice.is_signed),
                           int(first.is_signed));
        if (slice.samples != first.samples)
            throw mismatch(Header::describe(kSamplesPerPixel), slice.samples, first.samples);
        if (slice.photometric != first.photometric)
            throw mismatch(Header::describe(kPhotometric), slice.photometric, first.photometric);
        bool same_orientation = slice.orientation.has_value() == first.orientation.has_value();
        for (std::size_t i = 0; same_orientation && slice.orientation && i < 6; ++i)
            same_orientation = std::fabs((*slice.orientation)[i] - (*first.orientation)[i]) <= 1e-4;
        if (!same_orientation) {
            auto text = [](const std::optional<std::array<double, 6>>& orientation) {
                return orientation ? fmt::format("[{}]", fmt::join(*orientation, ", "))
                                   : std::string("missing");
            };
            throw mismatch(Header::describe(kImageOrientation), text(slice.orientation),
                           text(first.orientation));
        }
    }
}

/// Sorts single-frame slices along the slice normal (PS3.3 C.7.6.2.1.1: the normal is the
/// cross product of the row and column direction cosines), falling back to InstanceNumber.
/// Returns how they were sorted, for the metadata.
std::string sort_slices(std::vector<SliceInfo>& slices) {
    const bool positions = std::ranges::all_of(
        slices, [](const SliceInfo& slice) { return slice.position && slice.orientation; });
    if (positions) {
        const auto& orientation = *slices.front().orientation;
        const Vec3 normal = cross({orientation[0], orientation[1], orientation[2]},
                                  {orientation[3], orientation[4], orientation[5]});
        for (SliceInfo& slice : slices)
            slice.along_normal = dot(*slice.position, normal);
        std::ranges::stable_sort(slices, {}, &SliceInfo::along_normal);
        for (std::size_t i = 1; i < slices.size(); ++i) {
            if (slices[i].along_normal == slices[i - 1].along_normal) {
                throw FormatError(fmt::format(
                    "'{}' and '{}' have the same position along the slice normal ({} mm): "
                    "several volumes in one series are not supported",
                    slices[i - 1].name(), slices[i].name(), format_number(slices[i].along_normal)));
            }
        }
        return "ImagePositionPatient";
    }
    if (std::ranges::all_of(
            slices, [](const SliceInfo& slice) { return slice.instance_number.has_value(); })) {
        std::ranges::stable_sort(slices, {},
                                 [](const SliceInfo& slice) { return *slice.instance_number; });
        return "InstanceNumber (ImagePositionPatient missing)";
    }
    return "file name (ImagePositionPatient and InstanceNumber missing)";
}

/// Builds the volume from sorted slices of one series (or one multi-frame file).
Volume build_volume(const std::vector<SliceInfo>& slices, const std::string& sort_order,
                    std::map<std::string, std::string> metadata) {
    const SliceInfo& first = slices.front();
    Layout layout;
    layout.planes_per_file = first.frames;
    layout.shape = {checked_product({std::int64_t(slices.size()), first.frames}, "planes"),
                    first.rows, first.columns, first.samples};
    layout.stored = stored_type(first.bits_allocated, first.is_signed);
    layout.rescale = std::ranges::any_of(slices, &SliceInfo::rescaled);
    layout.output = layout.stored;
    if (layout.rescale) {
        layout.output =
            std::ranges::all_of(slices, exact_in_float) ? PixelType::f32 : PixelType::f64;
    }
    check_memory(Source::from_memory(first.name(), {}), layout.shape, layout.output);

    // Plane positions: one per file, or per frame of a multi-frame file.
    Planes planes;
    std::optional<Vec3> normal;
    if (first.orientation) {
        const auto& o = *first.orientation;
        normal = cross({o[0], o[1], o[2]}, {o[3], o[4], o[5]});
    }
    if (slices.size() > 1 && first.position && normal) {
        for (const SliceInfo& slice : slices) {
            planes.positions.push_back(*slice.position);
            planes.along_normal.push_back(slice.along_normal);
        }
    } else if (slices.size() == 1 && !first.frame_positions.empty() && normal) {
        planes.positions = first.frame_positions;
        for (const Vec3& position : planes.positions)
            planes.along_normal.push_back(dot(position, *normal));
    } else if (slices.size() == 1 && first.frames > 1 &&
               std::int64_t(first.grid_offsets.size()) == first.frames && first.position &&
               normal) {
        // RT Dose (PS3.3 C.8.8.3.2): frame offsets along the normal from the first frame.
        for (double offset : first.grid_offsets) {
            const double step = offset - first.grid_offsets.front();
            const Vec3& origin = *first.position;
            planes.positions.push_back({origin[0] + step * (*normal)[0],
                                        origin[1] + step * (*normal)[1],
                                        origin[2] + step * (*normal)[2]});
            planes.along_normal.push_back(dot(*first.position, *normal) + step);
        }
    }

    // Spacing: x = column spacing, y = row spacing (PixelSpacing is row\column, PS3.3
    // C.7.6.2.1.1), z from the plane positions.
    const std::int64_t plane_count = layout.shape.z;
    Spacing spacing;
    std::optional<double> z_spacing;
    std::optional<Vec3> z_step;
    if (planes.along_normal.size() >= 2) {
        const double step =
            (planes.along_normal.back() - planes.along_normal.front()) / double(plane_count - 1);
        z_spacing = std::fabs(step);
        const Vec3& a = planes.positions.front();
        const Vec3& b = planes.positions.back();
        z_step =
            Vec3{(b[0] - a[0]) / double(plane_count - 1), (b[1] - a[1]) / double(plane_count - 1),
                 (b[2] - a[2]) / double(plane_count - 1)};
        double smallest = std::fabs(step), largest = std::fabs(step);
        for (std::size_t i = 1; i < planes.along_normal.size(); ++i) {
            const double gap = std::fabs(planes.along_normal[i] - planes.along_normal[i - 1]);
            smallest = std::min(smallest, gap);
            largest = std::max(largest, gap);
        }
        if (largest - smallest > 0.01 * std::fabs(step) + 1e-6) {
            metadata["slice_spacing"] = fmt::format(
                "non-uniform: gaps from {} to {} mm, the mean {} mm is used",
                format_number(smallest), format_number(largest), format_number(*z_spacing));
        }
        if (*z_spacing == 0) z_spacing.reset();
    } else if (plane_count == 1) {
        // One plane: the slab's thickness, else a moot 1.
        z_spacing = first.spacing_between_slices.value_or(first.slice_thickness.value_or(1.0));
    } else if (first.spacing_between_slices) {
        z_spacing = *first.spacing_between_slices;
    }
    if (first.pixel_spacing && z_spacing) {
        spacing = {{*z_spacing, (*first.pixel_spacing)[0], (*first.pixel_spacing)[1]}, "mm", true};
    } else if (first.pixel_spacing) {
        metadata["slice_spacing"] = "unknown (no slice positions): z spacing is a placeholder";
    }

    Volume volume = Volume::allocate(layout.shape, layout.output);
    std::byte* data =
        static_cast<std::byte*>(static_cast<void*>(visit(layout.output, [&](auto tag) -> void* {
            return volume.mutable_view<typename decltype(tag)::type>().origin;
        })));
    std::vector<std::string> photometrics(slices.size());
    parallel_for(0, std::int64_t(slices.size()), 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            photometrics[std::size_t(i)] =
                decode_file(slices[std::size_t(i)], layout, i * layout.planes_per_file, data);
        }
    });

    if (spacing.known) volume.set_spacing(spacing);
    // Affine from voxel index (x, y, z) to DICOM patient coordinates (LPS, PS3.3 C.7.6.2.1.1).
    if (first.orientation && first.position && first.pixel_spacing && spacing.known) {
        const auto& o = *first.orientation;
        const Vec3 x_step{o[0] * spacing.zyx[2], o[1] * spacing.zyx[2], o[2] * spacing.zyx[2]};
        const Vec3 y_step{o[3] * spacing.zyx[1], o[4] * spacing.zyx[1], o[5] * spacing.zyx[1]};
        const Vec3 slice_step =
            z_step ? *z_step
                   : Vec3{(*normal)[0] * spacing.zyx[0], (*normal)[1] * spacing.zyx[0],
                          (*normal)[2] * spacing.zyx[0]};
        const Vec3& origin = planes.positions.empty() ? *first.position : planes.positions.front();
        Affine affine{};
        for (int row = 0; row < 3; ++row) {
            affine[std::size_t(row * 4 + 0)] = x_step[std::size_t(row)];
            affine[std::size_t(row * 4 + 1)] = y_step[std::size_t(row)];
            affine[std::size_t(row * 4 + 2)] = slice_step[std::size_t(row)];
            affine[std::size_t(row * 4 + 3)] = origin[std::size_t(row)];
        }
        affine[15] = 1;
        volume.set_affine(affine);
        metadata["affine_space"] = "LPS (DICOM patient coordinates)";
    }

    const std::string& photometric = photometrics.front();
    if (first.samples == 3) {
        if (photometric == "RGB")
            volume.set_channel_names({"R", "G", "B"});
        else if (photometric.starts_with("YBR"))
            volume.set_channel_names({"Y", "Cb", "Cr"});
    }
    metadata["format"] = "DICOM";
    metadata["photometric_interpretation"] =
        photometric == "MONOCHROME1" ? "MONOCHROME1 (kept as stored: higher values are darker)"
                                     : photometric;
    if (!first.series_uid.empty()) metadata["series_instance_uid"] = first.series_uid;
    if (!first.modality.empty()) metadata["modality"] = first.modality;
    if (!first.series_description.empty())
        metadata["series_description"] = first.series_description;
    if (!first.transfer_syntax.empty()) metadata["transfer_syntax"] = first.transfer_syntax;
    if (slices.size() > 1) {
        metadata["files"] = std::to_string(slices.size());
        metadata["slice_order"] = sort_order;
    }
    if (layout.rescale) {
        const bool uniform = std::ranges::all_of(slices, [&](const SliceInfo& slice) {
            return slice.slope == first.slope && slice.intercept == first.intercept;
        });
        metadata["rescale"] =
            uniform ? fmt::format("slope {}, intercept {}", format_number(first.slope),
                                  format_number(first.intercept))
                    : std::string("per slice (each slice's RescaleSlope and RescaleIntercept)");
    }
    if (std::ranges::any_of(slices, &SliceInfo::modality_lut))
        metadata["modality_lut"] = "ModalityLUTSequence present but not applied";
    for (auto& [key, value] : metadata)
        volume.metadata()[key] = value;
    return volume;
}

Volume read_dicom(const Source& source, const ReadOptions&) {
    silence_gdcm();
    Input input{source.name(), source.file_path(), {}};
    if (input.path.empty()) input.memory = source.memory();
    std::vector<SliceInfo> slices{read_slice_info(input, true)};
    return build_volume(slices, "", {});
}

}  // namespace

void set_dicom_codecs_enabled(bool enabled) {
    g_codecs_enabled = enabled;
}

const Format& dicom_format() {
    static const Format format{"DICOM", {".dcm"}, sniff_dicom, read_dicom};
    return format;
}

Volume read_dicom_series(const std::vector<std::string>& paths, const ReadOptions&) {
    silence_gdcm();
    if (paths.empty()) throw ValueError("no DICOM files given");
    std::vector<SliceInfo> infos(paths.size());
    parallel_for(0, std::int64_t(paths.size()), 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            const std::string& path = paths[std::size_t(i)];
            infos[std::size_t(i)] = read_slice_info({path, path, {}}, false);
        }
    });

    // Group the images by series (DICOMDIR, reports and non-DICOM files are skipped).
    std::map<std::string, std::vector<SliceInfo>> series;
    std::vector<std::string> series_order;
    std::int64_t skipped = 0;
    for (SliceInfo& info : infos) {
        if (!info.readable || !info.is_image) {
            ++skipped;
            continue;
        }
        auto [entry, inserted] = series.try_emplace(info.series_uid);
        if (inserted) series_order.push_back(info.series_uid);
        entry->second.push_back(std::move(info));
    }
    if (series.empty()) {
        throw FormatError(fmt::format("'{}': no DICOM image among {} file{}", paths.front(),
                                      paths.size(), paths.size() == 1 ? "" : "s"));
    }
    // Several series: read the one with the most slices (the first found on a tie).
    std::string chosen = series_order.front();
    for (const std::string& uid : series_order) {
        if (series[uid].size() > series[chosen].size()) chosen = uid;
    }
    std::map<std::string, std::string> metadata;
    if (series.size() > 1) {
        std::vector<std::string> others;
        for (const std::string& uid : series_order) {
            if (uid != chosen)
                others.push_back(fmt::format("{} ({} files)", uid, series[uid].size()));
        }
        metadata["series_note"] =
            fmt::format("{} series found; read {} ({} files), not {}", series.size(), chosen,
                        series[chosen].size(), fmt::join(others, ", "));
    }
    if (skipped > 0) metadata["skipped_files"] = std::to_string(skipped);
    std::vector<SliceInfo>& slices = series[chosen];
    std::string order;
    if (slices.size() > 1) {
        check_consistent(slices);
        order = sort_slices(slices);
    }
    return build_volume(slices, order, std::move(metadata));
}

}  // namespace vox::io
