// Reading NIfTI-1/NIfTI-2 (.nii, .nii.gz, .hdr/.img pairs) and Analyze 7.5 (.hdr/.img), with
// nibabel 5.0's scaling, affine and as_closest_canonical semantics.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "nifti.h"
#include "vox/parallel.h"

namespace vox::io::nifti {
namespace {

// How the file stores one element.
struct Storage {
    PixelType type = PixelType::u8;  // of one component
    std::int64_t bytes = 1;          // per voxel (3 for RGB24)
    bool rgb = false;
};

Storage storage_of(const Header& header, const std::string& name) {
    switch (header.datatype) {
        case 2:
            return {PixelType::u8, 1, false};
        case 4:
            return {PixelType::i16, 2, false};
        case 8:
            return {PixelType::i32, 4, false};
        case 16:
            return {PixelType::f32, 4, false};
        case 64:
            return {PixelType::f64, 8, false};
        case 128:
            return {PixelType::u8, 3, true};
        case 256:
            return {PixelType::i8, 1, false};
        case 512:
            return {PixelType::u16, 2, false};
        case 768:
            return {PixelType::u32, 4, false};
        default:
            break;
    }
    std::string_view what;
    switch (header.datatype) {
        case 0:
            what = "none";
            break;
        case 1:
            what = "binary";
            break;
        case 32:
            what = "complex64";
            break;
        case 1024:
            what = "int64";
            break;
        case 1280:
            what = "uint64";
            break;
        case 1536:
            what = "float128";
            break;
        case 1792:
            what = "complex128";
            break;
        case 2048:
            what = "complex256";
            break;
        case 2304:
            what = "RGBA32";
            break;
        default:
            what = "unknown";
            break;
    }
    throw FormatError(fmt::format(
        "'{}': datatype {} ({}) is not supported (supported: uint8, int8, uint16, int16, uint32, "
        "int32, float32, float64, RGB24)",
        name, header.datatype, what));
}

// nibabel's get_slope_inter: NIfTI (Nifti1Header) and Analyze (Spm2AnalyzeHeader).
// Returns false when the data are not scaled.
bool scaling(const Header& header, const std::string& name, double& slope, double& inter) {
    slope = 1.0;
    inter = 0.0;
    if (header.kind == Kind::analyze) {
        if (std::isfinite(header.scl_slope) && header.scl_slope != 0.0) {
            slope = header.scl_slope;
            inter = std::isfinite(header.scl_inter) ? header.scl_inter : 0.0;
        } else {
            // numpy int32 - int32 wraps; float32 - float32 stays float32.
            const auto unscaled =
                std::int32_t(std::uint32_t(header.glmax) - std::uint32_t(header.glmin));
            const float scaled = header.cal_max - header.cal_min;
            if (unscaled == 0 || scaled == 0.0f) return false;
            slope = double(scaled) / double(unscaled);
            const double product = slope * double(header.glmin);
            inter = double(header.cal_min) - product;
        }
    } else {
        if (header.scl_slope == 0.0 || !std::isfinite(header.scl_slope)) return false;
        if (!std::isfinite(header.scl_inter)) {
            throw FormatError(fmt::format("'{}': scl_slope is {} but scl_inter is {}", name,
                                          header.scl_slope, header.scl_inter));
        }
        slope = header.scl_slope;
        inter = header.scl_inter;
    }
    return !(slope == 1.0 && inter == 0.0);
}

std::string spatial_unit(const Header& header) {
    if (header.kind == Kind::analyze) {
        std::string unit = header.vox_units;
        std::transform(unit.begin(), unit.end(), unit.begin(),
                       [](unsigned char c) { return char(std::tolower(c)); });
        if (unit == "mm") return "mm";
        if (unit == "um" || unit == "\xc2\xb5m" || unit == "micron") return "µm";
        if (unit == "m") return "m";
        return "";
    }
    switch (header.xyzt_units & 7) {
        case 1:
            return "m";
        case 2:
            return "mm";
        case 3:
            return "µm";
        default:
            return "";
    }
}

std::string_view time_unit(int xyzt_units) {
    switch (xyzt_units & 0x38) {
        case 8:
            return "s";
        case 16:
            return "ms";
        case 24:
            return "µs";
        case 32:
            return "Hz";
        case 40:
            return "ppm";
        case 48:
            return "rad/s";
        default:
            return "";
    }
}

// The file name as written (case kept), without folders or zip archive.
std::string plain_name(const std::string& name) {
    std::string_view path = name;
    const std::size_t separator = path.rfind("::");
    if (separator != std::string_view::npos) path.remove_prefix(separator + 2);
    const std::size_t slash = path.rfind('/');
    if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
    return std::string(path);
}

Source decompressed(const Source& source, std::int64_t max_bytes) {
    return is_gzip(head_of(source, 2)) ? gunzip(source, max_bytes) : source.prefix(max_bytes);
}

// Whether `source` is the image file of a pair, named by the user: its bytes are voxels.
bool is_pair_image(const Source& source) {
    constexpr std::int64_t kSniffBytes = 540;
    const std::string lower = file_name_of(source.name());
    return (lower.ends_with(".img") || lower.ends_with(".img.gz")) &&
           !sniff_nifti(head_of(source, kSniffBytes));
}

// The voxel blocks a read takes, one x-y-z volume each, in file order t fastest, then the 5th
// dimension's component: channel k reads block first_block + k * block_step.
struct Blocks {
    std::int64_t voxels = 0, time_points = 1, count = 0, channels = 0, first = 0, step = 1;
};

Blocks blocks_read(const Header& header, const ReadOptions& options) {
    const auto extent = [&](int axis) {
        return axis <= header.dim[0] ? header.dim[std::size_t(axis)] : std::int64_t(1);
    };
    const std::int64_t nt = extent(4), components = extent(5);
    Blocks blocks;
    // Every dimension is below 2^31, so these products cannot overflow int64 before the check.
    blocks.voxels = checked_product({extent(1), extent(2), extent(3)}, "volume");
    blocks.time_points = nt;
    blocks.count = checked_product({nt, components}, "volume");
    if (options.time_as_channels) {
        blocks.channels = blocks.count;
    } else {
        blocks.channels = components;
        blocks.first = options.time_point;
        blocks.step = nt;
    }
    return blocks;
}

// The bytes from the start of the image file that a read takes: up to the end of the last
// block it reads. Where the header holds a problem the reader reports (an unsupported
// datatype, a size that overflows, a time point out of range), only the header is needed.
std::int64_t bytes_to_read(const Header& header, const ReadOptions& options) {
    try {
        const Blocks blocks = blocks_read(header, options);
        if (!options.time_as_channels &&
            (options.time_point < 0 || options.time_point >= blocks.time_points)) {
            return header.vox_offset;
        }
        const std::int64_t last = blocks.first + (blocks.channels - 1) * blocks.step;
        const std::int64_t data = checked_product(
            {last + 1, blocks.voxels, storage_of(header, std::string()).bytes}, "volume");
        if (data > INT64_MAX - header.vox_offset) return header.vox_offset;
        return header.vox_offset + data;
    } catch (const Error&) {
        return header.vox_offset;
    }
}

// The partner of a pair file: "brain.hdr" ↔ "brain.img" (".gz" and upper case kept, then tried
// the other way round, as users gzip one file and not the other).
// `max_bytes` is what a read takes from the partner, when it is gzipped (-1: all of it).
Source partner(const Source& source, std::string_view from, std::string_view to,
               std::string_view role, std::int64_t max_bytes = -1) {
    const std::string name = plain_name(source.name());
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    bool gzipped = lower.ends_with(".gz");
    std::string stem = gzipped ? name.substr(0, name.size() - 3) : name;
    std::string extension;
    if (lower.substr(0, stem.size()).ends_with(from)) {
        const bool upper = std::isupper(static_cast<unsigned char>(stem[stem.size() - 1])) != 0;
        stem.resize(stem.size() - from.size());
        extension = std::string(to);
        if (upper) {
            std::transform(extension.begin(), extension.end(), extension.begin(),
                           [](unsigned char c) { return char(std::toupper(c)); });
        }
    } else {
        throw FormatError(fmt::format(
            "'{}': a header without the single-file magic needs its {} file, but the name does "
            "not end in {}",
            source.name(), role, from));
    }
    const std::string plain = stem + extension;
    const std::string gz = std::isupper(static_cast<unsigned char>(extension[1])) ? ".GZ" : ".gz";
    const std::vector<std::string> candidates = gzipped
                                                    ? std::vector<std::string>{plain + gz, plain}
                                                    : std::vector<std::string>{plain, plain + gz};
    for (const std::string& candidate : candidates) {
        if (source.has_sibling(candidate)) {
            return decompressed(source.sibling(candidate), max_bytes);
        }
    }
    throw IoError(
        fmt::format("'{}': its {} file '{}' is missing", source.name(), role, candidates.front()));
}

// Calls fn(raw, first, last) over `count` elements of `element_bytes` bytes from `offset`,
// in parallel: straight from memory for in-memory sources, else through a chunk buffer.
template <typename Fn>
void for_each_chunk(const Source& source, std::int64_t offset, std::int64_t count,
                    std::int64_t element_bytes, Fn fn) {
    const std::span<const std::byte> memory = source.memory();
    if (!memory.empty()) {
        const std::byte* raw = memory.data() + offset;
        parallel_for(0, count, std::int64_t(1) << 16, [&](std::int64_t first, std::int64_t last) {
            fn(raw + first * element_bytes, first, last);
        });
        return;
    }
    constexpr std::int64_t kChunk = std::int64_t(1) << 20;
    parallel_for(0, (count + kChunk - 1) / kChunk, 1, [&](std::int64_t begin, std::int64_t end) {
        std::vector<std::byte> buffer;
        for (std::int64_t chunk = begin; chunk < end; ++chunk) {
            const std::int64_t first = chunk * kChunk;
            const std::int64_t last = std::min(count, first + kChunk);
            buffer.resize(std::size_t((last - first) * element_bytes));
            source.read(offset + first * element_bytes, buffer.data(), std::int64_t(buffer.size()));
            fn(buffer.data(), first, last);
        }
    });
}

template <typename T>
T load(const std::byte* raw, bool swap) {
    std::array<std::byte, sizeof(T)> bytes;
    std::memcpy(bytes.data(), raw, sizeof(T));
    if (swap) std::reverse(bytes.begin(), bytes.end());
    return std::bit_cast<T>(bytes);
}

// as_closest_canonical: flips and permutes the voxel axes, then updates the affine
// (affine · inv_ornt_aff) and the spacing (column norms of the new affine, stored at the
// header's float precision, as nibabel's header update does).
Volume reorient(const Volume& input, const Orientation& orientation, bool float32_fields) {
    const Shape& in_shape = input.shape();
    const std::array<std::int64_t, 3> in_extent{in_shape.x, in_shape.y, in_shape.z};
    const std::array<std::int64_t, 3> in_stride{1, in_shape.x, in_shape.x * in_shape.y};
    std::array<int, 3> source_axis{};  // for each new axis, the input axis it comes from
    for (int axis = 0; axis < 3; ++axis)
        source_axis[std::size_t(orientation.axis[std::size_t(axis)])] = axis;
    std::array<std::int64_t, 3> extent{}, stride{};
    std::int64_t start = 0;
    for (std::size_t axis = 0; axis < 3; ++axis) {
        const auto from = std::size_t(source_axis[axis]);
        extent[axis] = in_extent[from];
        stride[axis] = in_stride[from];
        if (orientation.flip[from] < 0) {
            start += (in_extent[from] - 1) * in_stride[from];
            stride[axis] = -stride[axis];
        }
    }
    const Shape shape{extent[2], extent[1], extent[0], in_shape.c};
    Volume output = Volume::allocate(shape, input.pixel_type());
    visit(input.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const VolumeView<const T> from = input.view<T>();
        const VolumeView<T> to = output.mutable_view<T>();
        parallel_for(0, shape.c * shape.z, 1, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t plane = begin; plane < end; ++plane) {
                const std::int64_t c = plane / shape.z, z = plane % shape.z;
                const T* channel = from.origin + c * from.strides[3] + start;
                for (std::int64_t y = 0; y < shape.y; ++y) {
                    const T* row = channel + z * stride[2] + y * stride[1];
                    T* out = to.row(z, y, c);
                    for (std::int64_t x = 0; x < shape.x; ++x)
                        out[x] = row[x * stride[0]];
                }
            }
        });
    });
    output.metadata() = input.metadata();
    output.set_channel_names(input.channel_names());

    // inv_ornt_aff: undo_flip · undo_reorder, then affine · inv.
    Affine inverse{};
    for (int row = 0; row < 3; ++row) {
        const auto i = std::size_t(row);
        const double flip = orientation.flip[i];
        at(inverse, row, orientation.axis[i]) = flip;
        const double centre = -double(in_extent[i] - 1) / 2.0;
        at(inverse, row, 3) = flip * centre - centre;
    }
    at(inverse, 3, 3) = 1.0;
    const Affine& affine = *input.affine();
    Affine result{};
    for (int row = 0; row < 4; ++row) {
        for (int column = 0; column < 4; ++column) {
            double sum = 0.0;
            for (int k = 0; k < 4; ++k)
                sum += at(affine, row, k) * at(inverse, k, column);
            at(result, row, column) = sum;
        }
    }
    output.set_affine(result);
    Spacing spacing = input.spacing();
    bool finite = true;
    for (int column = 0; column < 3; ++column) {
        double sum = at(result, 0, column) * at(result, 0, column);
        sum += at(result, 1, column) * at(result, 1, column);
        sum += at(result, 2, column) * at(result, 2, column);
        double norm = std::sqrt(sum);
        if (float32_fields) norm = double(float(norm));
        finite = finite && std::isfinite(norm) && norm > 0.0;
        spacing.zyx[std::size_t(2 - column)] = norm;
    }
    if (finite) {
        output.set_spacing(spacing);
    } else {
        output.set_spacing({{1.0, 1.0, 1.0}, spacing.unit, false});
    }
    return output;
}

Volume read_voxels(const Header& header, const Source& header_source, const Source& image,
                   const ReadOptions& options) {
    const std::string& name = header_source.name();
    const Storage storage = storage_of(header, name);
    const auto extent = [&](int axis) {
        return axis <= header.dim[0] ? header.dim[std::size_t(axis)] : std::int64_t(1);
    };
    const std::int64_t nx = extent(1), ny = extent(2), nz = extent(3), nt = extent(4),
                       components = extent(5);
    const Blocks plan = blocks_read(header, options);
    const std::int64_t voxels = plan.voxels, blocks = plan.count, channels = plan.channels,
                       first_block = plan.first, block_step = plan.step;
    std::int64_t data_bytes = 0;
    try {
        data_bytes = checked_product({voxels, blocks, storage.bytes}, "volume");
    } catch (const LimitError&) {
        throw LimitError(fmt::format("'{}': header claims {}x{}x{}x{} {}, whose size overflows",
                                     name, nz, ny, nx, blocks, pixel_type_name(storage.type)));
    }
    if (!options.time_as_channels && (options.time_point < 0 || options.time_point >= nt)) {
        throw ValueError(
            fmt::format("'{}': time point {} is out of range: the file has {} (0 to {})", name,
                        options.time_point, nt, nt - 1));
    }
    const std::int64_t offset = header.vox_offset;
    // A file must hold all its data; a decompressed prefix holds the blocks this read takes.
    const std::int64_t needed =
        image.is_prefix() ? bytes_to_read(header, options) - offset : data_bytes;
    if (offset > image.size() || needed > image.size() - offset) {
        const std::string more = blocks > 1 ? fmt::format("x{}", blocks) : "";
        const std::string rgb = storage.rgb ? "x3" : "";
        throw FormatError(
            fmt::format("'{}': header claims {}x{}x{}{}{} {} ({}) at offset {} but the file has {}",
                        image.name(), nz, ny, nx, more, rgb, pixel_type_name(storage.type),
                        format_bytes(data_bytes), offset, format_bytes(image.size())));
    }
    if (storage.rgb && (components > 1 || (options.time_as_channels && nt > 1))) {
        throw FormatError(fmt::format(
            "'{}': RGB24 data with vector components or time as channels is not supported", name));
    }
    const bool contiguous = channels == 1 || block_step == 1;
    double slope = 1.0, inter = 0.0;
    const bool scaled = !storage.rgb && scaling(header, name, slope, inter);
    const PixelType out_type = scaled ? PixelType::f64 : storage.type;
    const Shape shape{nz, ny, nx, storage.rgb ? 3 : channels};
    check_memory(header_source, shape, out_type);
    const bool swap = header.big_endian != kHostBigEndian;
    const std::int64_t block_bytes = voxels * storage.bytes;
    const auto block_offset = [&](std::int64_t channel) {
        return offset + (first_block + channel * block_step) * block_bytes;
    };

    Volume volume;
    const std::size_t element = pixel_size(storage.type);
    const std::span<const std::byte> memory = image.memory();
    if (!scaled && !storage.rgb && !swap && contiguous && !memory.empty() &&
        (reinterpret_cast<std::uintptr_t>(memory.data()) + std::uintptr_t(block_offset(0))) %
                element ==
            0) {
        // Decompressed data in native order: the volume adopts the buffer, no copy.
        volume = Volume::adopt(image.shared_memory(), image.size(), block_offset(0), shape,
                               storage.type);
    } else {
        volume = Volume::allocate(shape, out_type);
        visit(storage.type, [&](auto tag) {
            using T = typename decltype(tag)::type;
            if (storage.rgb) {
                auto* out = volume.mutable_view<std::uint8_t>().origin;
                for_each_chunk(image, block_offset(0), voxels, 3,
                               [&](const std::byte* raw, std::int64_t first, std::int64_t last) {
                                   for (std::int64_t i = first; i < last; ++i) {
                                       const std::byte* voxel = raw + (i - first) * 3;
                                       for (std::int64_t c = 0; c < 3; ++c)
                                           out[c * voxels + i] =
                                               std::to_integer<std::uint8_t>(voxel[c]);
                                   }
                               });
            } else if (scaled) {
                double* out = volume.mutable_view<double>().origin;
                for (std::int64_t channel = 0; channel < channels; ++channel) {
                    double* target = out + channel * voxels;
                    for_each_chunk(
                        image, block_offset(channel), voxels, std::int64_t(sizeof(T)),
                        [&](const std::byte* raw, std::int64_t first, std::int64_t last) {
                            // nibabel's apply_read_scaling in float64: arr * slope + inter, each
                            // step skipped when it is the identity.
                            for (std::int64_t i = first; i < last; ++i) {
                                double value = double(load<T>(raw + (i - first) * sizeof(T), swap));
                                if (slope != 1.0) value = value * slope;
                                if (inter != 0.0) value = value + inter;
                                target[i] = value;
                            }
                        });
                }
            } else {
                T* out = volume.mutable_view<T>().origin;
                if (contiguous) {
                    image.read(block_offset(0), out, block_bytes * channels);
                } else {
                    for (std::int64_t channel = 0; channel < channels; ++channel)
                        image.read(block_offset(channel), out + channel * voxels, block_bytes);
                }
                if (swap) swap_bytes(out, voxels * channels, sizeof(T));
            }
        });
    }
    if (storage.rgb) volume.set_channel_names({"R", "G", "B"});

    // Spacing: pixdim[1..3] (after nibabel's fixes); ones without a unit are a placeholder.
    const std::string unit = spatial_unit(header);
    Spacing spacing{{header.dim[0] >= 3 ? header.pixdim[3] : 1.0,
                     header.dim[0] >= 2 ? header.pixdim[2] : 1.0, header.pixdim[1]},
                    unit,
                    true};
    const bool all_ones = spacing.zyx == std::array{1.0, 1.0, 1.0};
    bool finite = true;
    for (double value : spacing.zyx)
        finite = finite && std::isfinite(value) && value > 0.0;
    if (!finite) spacing = {{1.0, 1.0, 1.0}, unit, false};
    if (all_ones && unit.empty()) spacing.known = false;
    volume.set_spacing(spacing);

    std::string which;
    volume.set_affine(best_affine(header, name, which));

    auto& metadata = volume.metadata();
    metadata["format"] = header.kind == Kind::analyze ? "Analyze 7.5" : "NIfTI";
    if (header.kind != Kind::analyze)
        metadata["nifti.version"] = header.kind == Kind::nifti2 ? "2" : "1";
    metadata["byte_order"] = header.big_endian ? "big-endian" : "little-endian";
    metadata["nifti.datatype"] = std::to_string(header.datatype);
    std::string dims = std::to_string(header.dim[1]);
    for (std::int64_t i = 2; i <= header.dim[0]; ++i)
        dims = fmt::format("{}x{}", dims, header.dim[std::size_t(i)]);
    metadata["nifti.dim"] = dims;
    metadata["nifti.affine"] = which;
    if (header.kind != Kind::analyze) {
        metadata["nifti.qform_code"] = std::to_string(header.qform_code);
        metadata["nifti.sform_code"] = std::to_string(header.sform_code);
        metadata["nifti.intent_code"] = std::to_string(header.intent_code);
    }
    if (nt > 1) {
        metadata["nifti.time_points"] = std::to_string(nt);
        if (!options.time_as_channels)
            metadata["nifti.time_point"] = std::to_string(options.time_point);
        metadata["nifti.time_step"] = fmt::format("{}", header.pixdim[4]);
        const std::string_view tunit = time_unit(header.xyzt_units);
        if (!tunit.empty()) metadata["nifti.time_unit"] = std::string(tunit);
    }
    if (scaled) {
        metadata["nifti.scl_slope"] = fmt::format("{}", slope);
        metadata["nifti.scl_inter"] = fmt::format("{}", inter);
    }
    if (!header.description.empty()) metadata["description"] = header.description;

    if (options.canonical) {
        const std::optional<Orientation> orientation = io_orientation(*volume.affine());
        if (!orientation) {
            throw FormatError(fmt::format(
                "'{}': cannot reorient to canonical: the affine has an axis without a direction",
                name));
        }
        if (!orientation->identity())
            volume = reorient(volume, *orientation, header.float32_fields);
        volume.metadata()["nifti.canonical"] = "RAS";
    }
    return volume;
}

}  // namespace

Volume read_pair(const Source& header_source, const Source& image, const ReadOptions& options) {
    const Header header = parse_header(header_source);
    return read_voxels(header, header_source, image, options);
}

Volume read(const Source& source, const ReadOptions& options) {
    if (is_pair_image(source)) {
        // The user named the image of a pair: read its header next to it.
        const Source header_source = partner(source, ".img", ".hdr", "header", kNifti2Size);
        return read_pair(header_source, source, options);
    }
    const Header header = parse_header(source);
    if (header.single_file) return read_voxels(header, source, source, options);
    const Source image = partner(source, ".hdr", ".img", "image", bytes_to_read(header, options));
    return read_voxels(header, source, image, options);
}

std::int64_t bytes_needed(const Source& head, const ReadOptions& options) {
    if (is_pair_image(head)) {
        // Voxels only: their header is the partner file.
        try {
            return bytes_to_read(parse_header(partner(head, ".img", ".hdr", "header", kNifti2Size)),
                                 options);
        } catch (const Error&) {
            return -1;  // the reader reports the partner's problem
        }
    }
    Header header;
    try {
        header = parse_header(head);
    } catch (const Error&) {
        return head.size();  // the header's problem is in these bytes: the reader reports it
    }
    return header.single_file ? bytes_to_read(header, options) : header_size(head.head(4));
}

}  // namespace vox::io::nifti
