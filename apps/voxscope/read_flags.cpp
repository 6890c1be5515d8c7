#include "read_flags.h"

#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "vox/error.h"

namespace voxscope {
namespace {

// Splits "60x256x256" or "0.29,0.26,0.26" into numbers, strictly.
template <typename Number>
std::vector<Number> parse_list(const std::string& text, char separator, std::string_view flag) {
    std::vector<Number> numbers;
    std::size_t begin = 0;
    while (begin <= text.size()) {
        const std::size_t end = std::min(text.find(separator, begin), text.size());
        Number value{};
        const char* first = text.data() + begin;
        const char* last = text.data() + end;
        const auto [pointer, error] = std::from_chars(first, last, value);
        if (error != std::errc() || pointer != last || first == last) {
            throw vox::ValueError(
                fmt::format("{}: bad number '{}' in '{}'", flag, std::string(first, last), text));
        }
        numbers.push_back(value);
        begin = end + 1;
    }
    return numbers;
}

}  // namespace

const CLI::Validator& whole_number() {
    static const CLI::Validator check(
        [](std::string& text) -> std::string {
            std::int64_t value = 0;
            const auto [end, error] =
                std::from_chars(text.data(), text.data() + text.size(), value);
            if (error != std::errc() || end != text.data() + text.size() || value < 0)
                return "must be a whole number from 0 up, got '" + text + "'";
            return {};
        },
        "NONNEGATIVE");
    return check;
}

void add_read_flags(CLI::App& command, ReadFlags& flags, const std::string& dtype_flag) {
    flags.dtype_flag = dtype_flag;
    command
        .add_option(
            "--t", flags.time_point,
            "Time point of 4D data (NIfTI, Analyze, NRRD, MetaImage, OME-TIFF, ImageJ), from 0")
        ->check(whole_number())
        ->group("Reading");
    command
        .add_flag(
            "--time-as-channels", flags.time_as_channels,
            "NIfTI, Analyze, NRRD, MetaImage: read the 4th axis as channels, not one time point")
        ->group("Reading");
    command
        .add_flag("--canonical", flags.canonical,
                  "NIfTI, Analyze: reorient to the closest canonical RAS+ orientation (as nibabel)")
        ->group("Reading");
    command
        .add_option("--shape", flags.raw_shape, "Raw binary: ZxYxX or ZxYxXxC (C: channel blocks)")
        ->group("Raw binary");
    command
        .add_option(dtype_flag, flags.raw_dtype, "Raw binary: u8, i8, u16, i16, u32, i32, f32, f64")
        ->group("Raw binary");
    command.add_option("--spacing", flags.raw_spacing, "Raw binary: z,y,x spacing (else unknown)")
        ->group("Raw binary");
    command.add_option("--unit", flags.raw_unit, "Raw binary: unit of --spacing (default mm)")
        ->group("Raw binary");
    command.add_option("--endian", flags.raw_endian, "Raw binary: little (default) or big")
        ->check(CLI::IsMember({"little", "big"}))
        ->group("Raw binary");
    command.add_option("--offset", flags.raw_offset, "Raw binary: bytes to skip first")
        ->check(whole_number())
        ->group("Raw binary");
}

vox::ReadOptions to_read_options(const ReadFlags& flags) {
    vox::ReadOptions options;
    options.time_point = flags.time_point;
    options.time_as_channels = flags.time_as_channels;
    options.canonical = flags.canonical;
    if (flags.raw_shape.empty() != flags.raw_dtype.empty()) {
        throw vox::ValueError(
            fmt::format("raw binary needs both --shape and {}", flags.dtype_flag));
    }
    if (flags.raw_shape.empty()) {
        if (!flags.raw_spacing.empty()) {
            throw vox::ValueError(fmt::format(
                "--spacing applies to raw binary only (with --shape and {})", flags.dtype_flag));
        }
        return options;
    }
    const auto extents = parse_list<std::int64_t>(flags.raw_shape, 'x', "--shape");
    if (extents.size() != 3 && extents.size() != 4) {
        throw vox::ValueError(
            fmt::format("--shape: expected ZxYxX or ZxYxXxC, got '{}'", flags.raw_shape));
    }
    vox::RawLayout layout;
    layout.shape = {extents[0], extents[1], extents[2], extents.size() == 4 ? extents[3] : 1};
    layout.type = vox::parse_pixel_type(flags.raw_dtype);
    if (!flags.raw_spacing.empty()) {
        const auto spacing = parse_list<double>(flags.raw_spacing, ',', "--spacing");
        if (spacing.size() != 3) {
            throw vox::ValueError(
                fmt::format("--spacing: expected z,y,x, got '{}'", flags.raw_spacing));
        }
        layout.spacing = std::array{spacing[0], spacing[1], spacing[2]};
    }
    layout.unit = flags.raw_unit;
    layout.big_endian = flags.raw_endian == "big";
    layout.offset = flags.raw_offset;
    options.raw = layout;
    return options;
}

}  // namespace voxscope
