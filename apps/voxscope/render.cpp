#include "render.h"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "vox/animate.h"
#include "vox/error.h"
#include "vox/render.h"
#include "vox/volume_render.h"

namespace voxscope {
namespace {

// A finite number: angles, sizes and coordinates have no use for inf or NaN.
double number(const std::string& text, const std::string& flag) {
    const double value = parse_number(text, flag);
    if (!std::isfinite(value)) {
        throw vox::ValueError(fmt::format("{}: '{}' is not a number", flag, text));
    }
    return value;
}

std::array<std::int64_t, 2> parse_size(const std::string& text) {
    const auto parts = split(text, 'x');
    if (parts.size() == 2) {
        const double width = number(parts[0], "--size");
        const double height = number(parts[1], "--size");
        if (width >= 1 && height >= 1 && width <= 16384 && height <= 16384 &&
            width == std::floor(width) && height == std::floor(height)) {
            return {std::int64_t(width), std::int64_t(height)};
        }
    }
    throw vox::ValueError(
        fmt::format("--size: expected WIDTHxHEIGHT, each 1 to 16384 pixels, got '{}'", text));
}

std::array<std::uint8_t, 4> parse_background(const std::string& text) {
    if (text == "black") return {0, 0, 0, 255};
    if (text == "white") return {255, 255, 255, 255};
    if (text == "transparent") return {0, 0, 0, 0};
    const auto parts = split(text, ',');
    if (parts.size() == 3) {
        std::array<std::uint8_t, 4> colour{0, 0, 0, 255};
        for (std::size_t i = 0; i < 3; ++i) {
            const double value = number(parts[i], "--background");
            if (value < 0 || value > 255 || value != std::floor(value)) break;
            colour[i] = std::uint8_t(value);
            if (i == 2) return colour;
        }
    }
    throw vox::ValueError(fmt::format(
        "--background: expected black, white, transparent or R,G,B (0-255), got '{}'", text));
}

// "Z,Y,X,NZ,NY,NX": a point in voxel indices and a normal along the physical z, y, x axes;
// the side the normal points to is removed.
vox::ClipPlane parse_clip_plane(const std::string& text, const vox::Volume& volume) {
    const auto parts = split(text, ',');
    if (parts.size() != 6) {
        throw vox::ValueError(fmt::format(
            "--clip-plane: expected Z,Y,X,NZ,NY,NX (a voxel and a normal), got '{}'", text));
    }
    std::array<double, 6> values{};
    for (std::size_t i = 0; i < 6; ++i)
        values[i] = number(parts[i], "--clip-plane");
    const vox::Shape& shape = volume.shape();
    const auto& spacing = volume.spacing().zyx;
    const std::array<double, 3> extent{double(shape.z), double(shape.y), double(shape.x)};
    vox::ClipPlane plane;
    for (std::size_t a = 0; a < 3; ++a) {
        // World axes run x, y, z; the flags z, y, x.
        plane.point[2 - a] = (values[a] - (extent[a] - 1.0) / 2.0) * spacing[a];
        plane.normal[2 - a] = values[3 + a];
    }
    if (plane.normal == std::array<double, 3>{0.0, 0.0, 0.0}) {
        throw vox::ValueError("--clip-plane: the normal must not be zero");
    }
    return plane;
}

std::array<std::array<std::int64_t, 3>, 2> parse_crop(const std::string& text) {
    const auto ranges = split(text, ',');
    std::array<std::array<std::int64_t, 3>, 2> box{};
    bool ok = ranges.size() == 3;
    for (std::size_t a = 0; ok && a < 3; ++a) {
        const auto ends = split(ranges[a], ':');
        ok = ends.size() == 2;
        if (!ok) break;
        const double begin = number(ends[0], "--crop");
        const double end = number(ends[1], "--crop");
        ok = begin == std::floor(begin) && end == std::floor(end);
        box[0][a] = std::int64_t(begin);
        box[1][a] = std::int64_t(end);
    }
    if (!ok) {
        throw vox::ValueError(
            fmt::format("--crop: expected Z0:Z1,Y0:Y1,X0:X1 voxel ranges, got '{}'", text));
    }
    return box;
}

vox::RenderOptions render_options(const RenderFlags& flags, const vox::Volume& volume,
                                  const std::vector<vox::ResolvedChannel>& channels) {
    vox::RenderOptions options;
    const auto [width, height] = parse_size(flags.size);
    options.width = width;
    options.height = height;
    options.mode = vox::parse_render_mode(flags.mode);
    if (!flags.view.empty()) options.camera = vox::named_camera(flags.view);
    if (flags.azimuth) options.camera.azimuth = *flags.azimuth;
    if (flags.elevation) options.camera.elevation = *flags.elevation;
    options.camera.roll = flags.roll;
    options.camera.zoom = flags.zoom;
    if (flags.perspective) options.camera.projection = vox::ProjectionKind::perspective;
    options.camera.field_of_view = flags.field_of_view;
    options.sample_distance = flags.sample_distance;
    for (const std::string& text : flags.opacity) {
        vox::TransferFunction transfer = vox::parse_transfer_function(text);
        transfer.opacity_unit = flags.opacity_unit;
        options.transfer.push_back(transfer);
    }
    if (options.transfer.empty() && flags.opacity_unit > 0.0) {
        vox::TransferFunction transfer;
        transfer.opacity_unit = flags.opacity_unit;
        options.transfer.push_back(transfer);
    }
    if (!(flags.opacity_unit >= 0.0) || !std::isfinite(flags.opacity_unit)) {
        throw vox::ValueError(
            fmt::format("--opacity-unit must be > 0 (0: automatic), got {:g}", flags.opacity_unit));
    }
    // Flags that would change nothing in this render are refused, not ignored.
    if (flags.field_of_view != vox::Camera{}.field_of_view && !flags.perspective)
        throw vox::ValueError("--fov applies with --perspective");
    if (!flags.level.empty() && options.mode != vox::RenderMode::isosurface)
        throw vox::ValueError("--level applies to --mode iso");
    if (options.mode == vox::RenderMode::isosurface) {
        if (flags.level.empty()) {
            throw vox::ValueError(
                "--mode iso needs --level (a value, a percentile like p99, or otsu)");
        }
        std::vector<std::int64_t> visible;
        for (std::size_t c = 0; c < channels.size(); ++c)
            if (channels[c].visible) visible.push_back(std::int64_t(c));
        const auto levels = split(flags.level, ',');
        if (levels.size() != 1 && levels.size() != visible.size()) {
            throw vox::ValueError(fmt::format("--level has {} entries for {} visible channels",
                                              levels.size(), visible.size()));
        }
        for (std::size_t i = 0; i < visible.size(); ++i) {
            options.iso_levels.push_back(parse_level(
                levels.size() == 1 ? levels.front() : levels[i], volume.channel(visible[i])));
        }
    }
    options.shading = flags.shading;
    for (const std::string& text : flags.clip_planes)
        options.clip_planes.push_back(parse_clip_plane(text, volume));
    if (!flags.crop.empty()) options.crop = parse_crop(flags.crop);
    for (const char axis : flags.flip) {
        if (axis == 'x')
            options.flip_xyz[0] = true;
        else if (axis == 'y')
            options.flip_xyz[1] = true;
        else if (axis == 'z')
            options.flip_xyz[2] = true;
        else if (axis != ',') {
            throw vox::ValueError(
                fmt::format("--flip: expected axes among x, y and z, got '{}'", flags.flip));
        }
    }
    options.background = parse_background(flags.background);
    options.box_outline = flags.box;
    options.preview = flags.preview;
    return options;
}

void add_flags(CLI::App& command, RenderFlags& flags, ReadFlags& read) {
    command.add_option("input", flags.input, "File, folder, glob, archive member or sample")
        ->required();
    command.add_option("--cmap", flags.display.colormaps,
                       "Colormap per channel (default: gray, green/magenta, red/green/blue)");
    command.add_option("--range", flags.display.range,
                       "Display range per channel: image (default), dtype, LOW:HIGH or pLOW:HIGH");
    command.add_option("--gamma", flags.display.gamma, "Display gamma per channel (default 1)");
    command.add_option("--channels", flags.display.channels, "Visible channels, e.g. 0,2");
    command.add_option("--mode", flags.mode,
                       "mip, minip, average, dvr (default: compositing) or iso (isosurface)");
    command.add_option("--size", flags.size, "Image size WIDTHxHEIGHT (default 512x512)");
    command.add_option("--view", flags.view,
                       "Named camera: front, back, side, top, bottom, tutorial (default)");
    command.add_option("--azimuth", flags.azimuth,
                       "Degrees about z from +x towards +y (default 320, the tutorial's)");
    command.add_option("--elevation", flags.elevation, "Degrees above the x-y plane (default 30)");
    command.add_option("--roll", flags.roll, "Degrees, counter-clockwise on screen");
    command.add_option("--zoom", flags.zoom, "Magnification (default 1: the whole box fits)");
    command.add_flag("--perspective", flags.perspective, "Perspective instead of orthographic");
    command.add_option("--fov", flags.field_of_view, "Perspective field of view in degrees");
    command.add_option("--sample-distance", flags.sample_distance,
                       "Samples along a ray, in voxels of the finest spacing (default 0.5)");
    command.add_option("--opacity", flags.opacity,
                       "Transfer function per channel (repeat the flag): ramp (alpha = value, "
                       "default), linear:T0:T1, step:T or points:T,A;T,A...");
    command.add_option("--opacity-unit", flags.opacity_unit,
                       "Thickness (in the spacing's unit) that one sample's opacity stands for "
                       "(default: 1/50 of the largest extent, as the tutorial's 50^3 voxels)");
    command.add_option("--level", flags.level,
                       "Isosurface level per channel: a value, pNN (percentile) or otsu");
    command.add_flag("--shading", flags.shading, "Gradient (Phong) shading in dvr");
    command.add_option("--clip-plane", flags.clip_planes,
                       "Z,Y,X,NZ,NY,NX: cut away the side the normal points to (repeatable)");
    command.add_option("--crop", flags.crop, "Z0:Z1,Y0:Y1,X0:X1: only these voxels");
    command.add_option("--flip", flags.flip, "Mirror axes, e.g. y or x,z");
    command.add_option("--background", flags.background,
                       "black (default), white, transparent or R,G,B");
    command.add_flag("--box", flags.box, "Draw the volume's box");
    command.add_flag("--preview", flags.preview,
                     "Fast preview: rays every 2x2 pixels, twice the sample distance");
    add_read_flags(command, read);
}

struct Prepared {
    vox::Volume volume;
    std::vector<vox::ResolvedChannel> channels;
};

Prepared prepare(const RenderFlags& flags, const vox::ReadOptions& read_options) {
    Prepared prepared{vox::open_volume(flags.input, read_options), {}};
    prepared.channels =
        vox::resolve_mapping(prepared.volume, display_mapping(prepared.volume, flags.display));
    return prepared;
}

}  // namespace

CLI::App* add_render_command(CLI::App& app, RenderFlags& flags, ReadFlags& read) {
    CLI::App* command = app.add_subcommand(
        "render", "Render the volume in 3D: MIP, compositing (dvr) or an isosurface (PNG)");
    add_flags(*command, flags, read);
    command->add_option("-o,--output", flags.output, "Output image: .png")->required();
    return command;
}

int run_render(const RenderFlags& flags, const vox::ReadOptions& read_options) {
    std::string extension =
        flags.output.size() >= 4 ? flags.output.substr(flags.output.size() - 4) : std::string();
    for (char& c : extension)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    if (extension != ".png") {
        // Refused before any work: loading and rendering can take a while.
        throw vox::ValueError(fmt::format("cannot write an image to '{}': use .png", flags.output));
    }
    const Prepared prepared = prepare(flags, read_options);
    const vox::RenderOptions options = render_options(flags, prepared.volume, prepared.channels);
    const vox::Image image = vox::render_volume(prepared.volume, prepared.channels, options);
    vox::write_image(image, flags.output);
    fmt::print("wrote {}\n", flags.output);
    return 0;
}

CLI::App* add_turntable_command(CLI::App& app, TurntableFlags& flags, ReadFlags& read) {
    CLI::App* command = app.add_subcommand(
        "turntable", "Render the volume from all around (GIF, WebP, or MP4 with ffmpeg)");
    add_flags(*command, flags.render, read);
    command->add_option("-o,--output", flags.render.output, "Output animation: .gif, .webp or .mp4")
        ->required();
    command->add_option("--frames", flags.frames, "Frames per turn (default 72: 5 degrees apart)");
    command->add_option("--delay", flags.delay, "Milliseconds per frame (default 50)");
    return command;
}

int run_turntable(const TurntableFlags& flags, const vox::ReadOptions& read_options) {
    if (flags.frames < 1 || flags.frames > 3600) {
        throw vox::ValueError(fmt::format("--frames must be 1 to 3600, got {}", flags.frames));
    }
    vox::animation_format(flags.render.output);  // a bad extension should not cost a load
    const Prepared prepared = prepare(flags.render, read_options);
    vox::RenderOptions options = render_options(flags.render, prepared.volume, prepared.channels);
    // The brick grid is built once; each frame only moves the camera.
    const vox::VolumeRenderer renderer(prepared.volume, prepared.channels);
    vox::AnimationOptions animation;
    animation.delay_ms = flags.delay;
    vox::AnimationWriter writer(flags.render.output, animation);
    const double start = options.camera.azimuth;
    for (int frame = 0; frame < flags.frames; ++frame) {
        options.camera.azimuth = start + 360.0 * double(frame) / double(flags.frames);
        writer.add_frame(renderer.render(options));
    }
    writer.finish();
    fmt::print("wrote {}\n", flags.render.output);
    return 0;
}

}  // namespace voxscope
