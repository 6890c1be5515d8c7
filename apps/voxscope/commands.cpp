#include "commands.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "vox/convert.h"
#include "vox/error.h"
#include "vox/samples.h"
#include "vox/stats.h"
#include "vox/summary.h"

namespace voxscope {
namespace {

// The files on disk that an input path reads: the archive of a zip member, the files of
// a folder, or the file itself (nothing for samples and globs, which name no one file).
std::vector<std::filesystem::path> input_files(const std::string& input) {
    if (vox::is_sample_path(input)) return {};
    std::filesystem::path path = input.substr(0, input.find("::"));
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(path, error))
            files.push_back(entry.path());
        return files;
    }
    return {path};
}

void refuse_to_overwrite_input(const std::string& input, const std::string& output) {
    std::error_code error;
    if (!std::filesystem::exists(output, error)) return;
    for (const auto& file : input_files(input)) {
        if (std::filesystem::equivalent(file, output, error)) {
            throw vox::ValueError(fmt::format("refusing to write '{}': it is the input", output));
        }
    }
}

// In exact mode a type change must keep every value: the range must fit, and floats may
// only go to integers through an explicit choice.
void check_exact(const vox::Volume& volume, vox::PixelType target) {
    const vox::PixelType source = volume.pixel_type();
    const auto choose = "; choose --cast clip, rescale or skimage";
    if (vox::is_float(source) && !vox::is_float(target)) {
        throw vox::ValueError(fmt::format("converting {} to {} rounds values{}",
                                          vox::pixel_type_name(source),
                                          vox::pixel_type_name(target), choose));
    }
    if (source == vox::PixelType::f64 && target == vox::PixelType::f32) {
        throw vox::ValueError(fmt::format("converting f64 to f32 rounds values{}", choose));
    }
    const auto [low, high] = vox::min_max(volume);
    if (vox::is_float(target)) {
        const double exact_limit = target == vox::PixelType::f32 ? 16777216.0 : 9007199254740992.0;
        if (std::fabs(low) > exact_limit || std::fabs(high) > exact_limit) {
            throw vox::ValueError(fmt::format("values {} to {} do not all fit {} exactly{}", low,
                                              high, vox::pixel_type_name(target), choose));
        }
        return;
    }
    const auto [target_low, target_high] = vox::dtype_range(target);
    if (low < target_low || high > target_high) {
        throw vox::ValueError(fmt::format("values {} to {} do not fit {} ({} to {}){}", low, high,
                                          vox::pixel_type_name(target), target_low, target_high,
                                          choose));
    }
}

vox::Volume change_type(const vox::Volume& volume, const std::string& dtype,
                        const std::string& cast) {
    const vox::PixelType target = vox::parse_pixel_type(dtype);
    if (cast == "skimage") return vox::convert_like_skimage(volume, target);
    if (cast == "exact") {
        if (target == volume.pixel_type()) return volume;
        check_exact(volume, target);
        return vox::astype(volume, target, vox::CastMode::clip);
    }
    return vox::astype(volume, target, vox::parse_cast_mode(cast));
}

}  // namespace

int run_info(const std::string& path, const vox::ReadOptions& read_options, bool json) {
    const vox::Volume volume = vox::open_volume(path, read_options);
    const vox::VolumeSummary summary = vox::summarize(volume, path);
    const std::string report = json ? vox::summary_to_json(summary) : vox::summary_to_text(summary);
    std::fputs(report.c_str(), stdout);
    return 0;
}

int run_convert(const ConvertOptions& options, const vox::ReadOptions& read_options) {
    refuse_to_overwrite_input(options.input, options.output);
    vox::Volume volume = vox::open_volume(options.input, read_options);
    if (!options.dtype.empty()) volume = change_type(volume, options.dtype, options.cast);
    vox::write_volume(volume, options.output, options.write);
    const vox::Shape& shape = volume.shape();
    fmt::print("wrote {}: {} x {} x {} x {} {}, {}\n", options.output, shape.z, shape.y, shape.x,
               shape.c, vox::pixel_type_name(volume.pixel_type()),
               vox::format_bytes(volume.size_bytes()));
    return 0;
}

int run_samples() {
    for (const vox::SampleInfo& sample : vox::sample_catalog()) {
        fmt::print("sample:{:<10} {}\n", sample.name, sample.summary);
        for (const std::string& parameter : sample.parameters)
            fmt::print("  {:<18} {}\n", "", parameter);
    }
    return 0;
}

int run_formats() {
    fmt::print("{:<12} {:<6} {:<6} {}\n", "format", "read", "write", "extensions");
    for (const vox::FormatInfo& format : vox::format_catalog()) {
        fmt::print("{:<12} {:<6} {:<6} {}\n", format.name, format.can_read ? "yes" : "-",
                   format.can_write ? "yes" : "-", fmt::join(format.extensions, " "));
    }
    fmt::print(
        "\nAlso: folders and globs of TIFF slices or DICOM files, 'archive.zip::inner/file',\n"
        "gzip-compressed files, and raw binary with --shape and --dtype.\n");
    return 0;
}

}  // namespace voxscope
