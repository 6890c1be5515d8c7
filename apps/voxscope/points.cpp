// voxscope CLI: `points`, the slice-stack shell of a thresholded volume as a point cloud.
#include "points.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <tuple>

#include <fmt/format.h>

#include "figures.h"
#include "vox/error.h"
#include "vox/point_cloud.h"

namespace voxscope {
namespace {

std::pair<double, double> parse_range(const std::string& text) {
    const auto parts = split(text, ':');
    if (parts.size() != 2) {
        throw vox::ValueError(fmt::format("--range: expected LOW:HIGH, got '{}'", text));
    }
    const double lower = parse_number(parts[0], "--range");
    const double upper = parse_number(parts[1], "--range");
    for (std::size_t i = 0; i < 2; ++i) {
        if (std::isnan(i == 0 ? lower : upper))
            throw vox::ValueError(fmt::format("--range: '{}' is not a number", parts[i]));
    }
    if (lower > upper) {
        throw vox::ValueError(fmt::format("--range: LOW must not be above HIGH, got '{}'", text));
    }
    return {lower, upper};
}

std::array<std::int64_t, 2> parse_resize(const std::string& text) {
    const auto parts = split(text, 'x');
    if (parts.size() == 2) {
        const double rows = parse_number(parts[0], "--resize");
        const double columns = parse_number(parts[1], "--resize");
        if (rows >= 1 && columns >= 1 && rows <= 65536 && columns <= 65536 &&
            rows == std::floor(rows) && columns == std::floor(columns)) {
            return {std::int64_t(rows), std::int64_t(columns)};
        }
    }
    throw vox::ValueError(
        fmt::format("--resize: expected ROWSxCOLUMNS, each 1 to 65536 pixels, got '{}'", text));
}

void check_scale(const std::optional<double>& value, const std::string& flag) {
    if (value && !(*value > 0.0 && std::isfinite(*value))) {
        throw vox::ValueError(fmt::format("{} must be a positive number, got {:g}", flag, *value));
    }
}

}  // namespace

CLI::App* add_points_command(CLI::App& app, PointsFlags& flags, ReadFlags& read) {
    CLI::App* command = app.add_subcommand(
        "points", "The shell of a thresholded volume as a point cloud (PLY or OBJ)");
    command->add_option("input", flags.input, "File, folder, glob, archive member or sample")
        ->required();
    command->add_option("-o,--output", flags.output, "Output point cloud: .ply or .obj")
        ->required();
    command
        ->add_option("--range", flags.range,
                     "LOW:HIGH: voxels with LOW <= value <= HIGH are inside (cv2.inRange)")
        ->required();
    command->add_option("--resize", flags.resize,
                        "ROWSxCOLUMNS: resample every plane first (bilinear, as cv2.resize)");
    command->add_option("--slice-thickness", flags.slice_thickness,
                        "Distance between planes (default: the z spacing)");
    command->add_option("--xy-scale", flags.xy_scale,
                        "Distance between pixels in a plane (default: the y and x spacing)");
    command
        ->add_option("--channel", flags.channel,
                     "The channel to threshold (needed for multichannel volumes)")
        ->check(voxscope::whole_number());
    command->add_flag("--ascii", flags.ascii, "ASCII PLY instead of binary");
    add_read_flags(*command, read);
    return command;
}

int run_points(const PointsFlags& flags, const vox::ReadOptions& read_options) {
    // Every flag is checked before the input is read: loading can take a while.
    std::string extension =
        flags.output.size() >= 4 ? flags.output.substr(flags.output.size() - 4) : std::string();
    for (char& c : extension)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    if (extension == ".stl") {
        throw vox::ValueError(fmt::format(
            "cannot write '{}': STL holds triangles, not points (use .ply or .obj)", flags.output));
    }
    if (extension != ".ply" && extension != ".obj") {
        throw vox::ValueError(
            fmt::format("cannot write points to '{}': use .ply or .obj", flags.output));
    }
    vox::ShellOptions options;
    std::tie(options.lower, options.upper) = parse_range(flags.range);
    if (!flags.resize.empty()) options.resize = parse_resize(flags.resize);
    check_scale(flags.slice_thickness, "--slice-thickness");
    check_scale(flags.xy_scale, "--xy-scale");
    options.slice_thickness = flags.slice_thickness;
    options.xy_scale = flags.xy_scale;

    const vox::Volume volume =
        single_channel(vox::open_volume(flags.input, read_options), flags.channel, flags.input);

    const vox::PointCloud cloud = vox::shell_points(volume, options);
    vox::MeshWriteOptions write_options;
    write_options.ascii = flags.ascii;
    vox::write_points(flags.output, cloud, write_options);

    fmt::print("wrote {} points to {}\n", cloud.size(), flags.output);
    if (cloud.empty()) {
        fmt::print("no voxel is in the range {}\n", flags.range);
        return 0;
    }
    std::array<float, 3> low = cloud.positions.front();
    std::array<float, 3> high = cloud.positions.front();
    for (const auto& point : cloud.positions) {
        for (std::size_t a = 0; a < 3; ++a) {
            low[a] = std::min(low[a], point[a]);
            high[a] = std::max(high[a], point[a]);
        }
    }
    const std::string unit = cloud.unit.empty() ? std::string() : " " + cloud.unit;
    fmt::print("bounds x {:.6g}..{:.6g}, y {:.6g}..{:.6g}, z {:.6g}..{:.6g}{}\n", low[0], high[0],
               low[1], high[1], low[2], high[2], unit);
    return 0;
}

}  // namespace voxscope
