// voxscope CLI: the figure commands (slice, ortho, montage, channels, project) and their
// display flags.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "read_flags.h"
#include "vox/display.h"
#include "vox/io.h"

namespace voxscope {

/// How channels are coloured, as typed: comma-separated lists with one entry per channel
/// (a single entry applies to every channel).
struct DisplayFlags {
    std::string colormaps;  // "gray" or "green,magenta"
    std::string range;      // "image" (default), "dtype", "LOW:HIGH", or "p0.5:99.5"
    std::string gamma;      // "1" or "1,0.8"
    std::string channels;   // visible channels, "0,1"; empty: all
    /// 0: automatic (see vox::FigureOptions::zoom).
    double zoom = 0.0;
    std::string title;
    bool colorbar = false;
    bool no_scale_bar = false;
};

/// The parts of `text` between `separator`s ("a,,b" gives "a", "", "b"; "" gives "").
std::vector<std::string> split(const std::string& text, char separator);

/// `text` as a number. @throw vox::ValueError "FLAG: 'TEXT' is not a number".
double parse_number(const std::string& text, const std::string& flag);

/// The channel a single-channel command works on: `channel` (-1: not given), or the only
/// one. @throw vox::ValueError if `channel` is out of range, or not given for a
/// multichannel volume (naming `input`).
vox::Volume single_channel(const vox::Volume& volume, std::int64_t channel,
                           const std::string& input);

/// An iso level of one channel: a value, a percentile ("p99") or "otsu" (Otsu's threshold).
/// @throw vox::ValueError naming --level for a bad number or a percentile outside [0, 100].
double parse_level(const std::string& text, const vox::Volume& channel);

/// The display mapping the flags ask for on `volume`: its default mapping with --cmap,
/// --range, --gamma and --channels applied.
/// @throw vox::ValueError for a malformed list or value, naming the flag.
vox::DisplayMapping display_mapping(const vox::Volume& volume, const DisplayFlags& flags);

/// The channels a --channels list names, in its order.
/// @throw vox::ValueError for a channel outside [0, channels) or one listed twice.
std::vector<std::int64_t> listed_channels(const std::string& list, std::int64_t channels);

/// "z", "y" or "x". @throw vox::ValueError otherwise.
vox::Axis parse_axis(const std::string& text);

/// Adds --cmap, --range, --gamma, --channels, --zoom, --title, --colorbar, --no-scale-bar.
void add_display_flags(CLI::App& command, DisplayFlags& flags);

/// Adds a figure command to `app`: its input, a required -o output, the display flags and
/// the read flags. Returns the command for its own options.
CLI::App* add_figure_command(CLI::App& app, const std::string& name, const std::string& description,
                             std::string& input, std::string& output,
                             const std::string& output_help, DisplayFlags& display,
                             ReadFlags& read);

struct SliceOptions {
    std::string input;
    std::string output;
    std::string axis = "z";
    /// Voxel index along the axis; -1: the middle.
    std::int64_t index = -1;
    /// Physical position along the axis (in the spacing's unit), instead of an index.
    std::string position;
    /// Add the position indicator (vox::position_panel()) to the right of the slice.
    bool indicator = false;
    DisplayFlags display;
};

/// `voxscope slice IN -o OUT`: one plane, in physical proportions.
int run_slice(const SliceOptions& options, const vox::ReadOptions& read_options);

struct OrthoOptions {
    std::string input;
    std::string output;
    /// "z,y,x" voxel indices; empty: the centre.
    std::string point;
    bool crosshairs = false;
    DisplayFlags display;
};

/// `voxscope ortho IN -o OUT`: plane, row and column through one point.
int run_ortho(const OrthoOptions& options, const vox::ReadOptions& read_options);

struct MontageOptions {
    std::string input;
    std::string output;
    std::string axis = "z";
    /// The first plane's index.
    std::int64_t first = 0;
    /// Every step-th plane; 2, as the tutorial's display().
    std::int64_t step = 2;
    /// Number of tiles; 0: every step-th plane up to the end.
    std::int64_t count = 0;
    /// Tiles per row; 0: ceil(sqrt(tiles)).
    int columns = 0;
    DisplayFlags display;
};

/// `voxscope montage IN -o OUT`: every Nth plane in a grid, one shared display range.
int run_montage(const MontageOptions& options, const vox::ReadOptions& read_options);

struct ChannelsOptions {
    std::string input;
    std::string output;
    std::string axis = "z";
    /// Voxel index along the axis; -1: the middle.
    std::int64_t index = -1;
    DisplayFlags display;
};

/// `voxscope channels IN -o OUT`: one facet per channel, each with its own range.
int run_channels(const ChannelsOptions& options, const vox::ReadOptions& read_options);

struct ProjectOptions {
    std::string input;
    std::string output;
    std::string axis = "z";
    /// "max", "mean" or "min".
    std::string mode = "max";
    DisplayFlags display;
};

/// `voxscope project IN -o OUT`: a max, mean or min intensity projection.
int run_project(const ProjectOptions& options, const vox::ReadOptions& read_options);

struct AnimateCommandOptions {
    std::string input;
    std::string output;
    std::string axis = "z";
    std::int64_t step = 1;
    int delay = 100;
    /// `;`-separated versions of process steps (vox::parse_versions()); empty: none.
    std::string versions;
    /// One parameter swept over values, "gamma=0.2:2:10" (vox::sweep_versions()).
    std::string sweep;
    /// The plane the versions show along the axis; -1: the middle.
    std::int64_t index = -1;
    /// --label / --no-label; neither: labels for versions, none for the plane sweep.
    bool label = false;
    bool no_label = false;
    /// Its zoom must be a whole number for animations.
    DisplayFlags display;
};

/// `voxscope animate IN -o OUT.gif|.webp|.mp4`: every Nth plane along an axis, or with
/// --versions / --sweep one plane through adjusted versions of the volume; frames streamed
/// to the encoder.
int run_animate(const AnimateCommandOptions& options, const vox::ReadOptions& read_options);

}  // namespace voxscope
