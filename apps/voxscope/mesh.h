// voxscope CLI: isosurface meshes (`mesh`).
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "read_flags.h"

namespace voxscope {

/// The mesh command's flags as typed.
struct MeshFlags {
    std::string input;
    std::string output;
    std::string level;          // a value, pNN (percentile) or otsu
    std::int64_t channel = -1;  // -1: the only channel
    std::optional<std::int64_t> label;
    bool all_labels = false;
    int step = 1;
    int smooth = 0;
    std::optional<double> decimate;
    bool largest = false;
    bool close = false;
    bool ascii = false;
    bool no_normals = false;
    bool json = false;
};

/// Adds `mesh`: an isosurface, a mask's or a label's surface to PLY, STL or OBJ.
CLI::App* add_mesh_command(CLI::App& app, MeshFlags& flags, ReadFlags& read);

/// `voxscope mesh IN -o OUT.ply|.stl|.obj`; prints the mesh statistics.
int run_mesh(const MeshFlags& flags, const vox::ReadOptions& read_options);

}  // namespace voxscope
