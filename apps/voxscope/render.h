// voxscope CLI: 3D volume rendering (`render`) and turntable animations (`turntable`).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "figures.h"
#include "read_flags.h"

namespace voxscope {

/// The renderer's flags as typed.
struct RenderFlags {
    std::string input;
    std::string output;
    DisplayFlags display;  // --cmap, --range, --gamma, --channels
    std::string mode = "dvr";
    std::string size = "512x512";
    std::string view;  // a named camera; explicit angles override it
    std::optional<double> azimuth;
    std::optional<double> elevation;
    double roll = 0.0;
    double zoom = 1.0;
    bool perspective = false;
    double field_of_view = 30.0;
    double sample_distance = 0.5;
    std::vector<std::string> opacity;  // one transfer function per channel (or one for all)
    double opacity_unit = 0.0;
    std::string level;  // per channel: a value, pNN (percentile) or otsu
    bool shading = false;
    std::vector<std::string> clip_planes;  // "Z,Y,X,NZ,NY,NX"
    std::string crop;                      // "z0:z1,y0:y1,x0:x1"
    std::string flip;                      // letters of x, y, z
    std::string background = "black";
    bool box = false;
    bool preview = false;
};

/// Adds `render`: one frame to a PNG.
CLI::App* add_render_command(CLI::App& app, RenderFlags& flags, ReadFlags& read);

/// `voxscope render IN -o OUT.png`.
int run_render(const RenderFlags& flags, const vox::ReadOptions& read_options);

struct TurntableFlags {
    RenderFlags render;
    int frames = 72;
    int delay = 50;
};

/// Adds `turntable`: the camera circles the volume (azimuth steps of 360 / frames).
CLI::App* add_turntable_command(CLI::App& app, TurntableFlags& flags, ReadFlags& read);

/// `voxscope turntable IN -o OUT.gif|.webp|.mp4`.
int run_turntable(const TurntableFlags& flags, const vox::ReadOptions& read_options);

}  // namespace voxscope
