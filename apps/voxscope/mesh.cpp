#include "mesh.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "figures.h"
#include "vox/error.h"
#include "vox/io.h"
#include "vox/isosurface.h"
#include "vox/mesh_processing.h"

namespace voxscope {
namespace {

std::string unit_suffix(const std::string& unit, int power) {
    if (unit.empty()) return " (voxels: no spacing)";
    return power == 1 ? " " + unit : fmt::format(" {}{}", unit, power == 2 ? "²" : "³");
}

void print_statistics(const vox::Mesh& mesh, const vox::MeshStatistics& stats) {
    fmt::print(
        "{} vertices, {} triangles, {} component{}, {}, {}\n", stats.vertices, stats.triangles,
        stats.components, stats.components == 1 ? "" : "s",
        stats.closed ? "closed" : fmt::format("open ({} border edges)", stats.boundary_edges),
        stats.manifold ? "manifold" : "not manifold");
    fmt::print("area {:.6g}{}", stats.area, unit_suffix(mesh.unit, 2));
    if (stats.closed) fmt::print(", volume {:.6g}{}", stats.volume, unit_suffix(mesh.unit, 3));
    fmt::print("\n");
    if (stats.triangles > 0) {
        fmt::print("bounds x {:.6g}..{:.6g}, y {:.6g}..{:.6g}, z {:.6g}..{:.6g}{}\n",
                   stats.bounds_min[0], stats.bounds_max[0], stats.bounds_min[1],
                   stats.bounds_max[1], stats.bounds_min[2], stats.bounds_max[2],
                   mesh.unit.empty() ? "" : " " + mesh.unit);
    }
}

nlohmann::ordered_json statistics_json(const vox::Mesh& mesh, const vox::MeshStatistics& stats) {
    return {{"vertices", stats.vertices},
            {"triangles", stats.triangles},
            {"area", stats.area},
            {"volume", stats.volume},
            {"closed", stats.closed},
            {"manifold", stats.manifold},
            {"boundary_edges", stats.boundary_edges},
            {"components", stats.components},
            {"bounds_min", stats.bounds_min},
            {"bounds_max", stats.bounds_max},
            {"unit", mesh.unit}};
}

}  // namespace

CLI::App* add_mesh_command(CLI::App& app, MeshFlags& flags, ReadFlags& read) {
    CLI::App* command = app.add_subcommand(
        "mesh", "Isosurface, mask or label surfaces as a triangle mesh (PLY, STL, OBJ)");
    command->add_option("input", flags.input, "Input volume")->required();
    command->add_option("-o,--output", flags.output, "Output mesh: .ply (binary), .stl or .obj")
        ->required();
    command->add_option("--level", flags.level,
                        "Iso level: a value, pNN (percentile) or otsu; values above it are inside");
    command->add_option("--channel", flags.channel, "Channel of a multichannel volume")
        ->check(voxscope::whole_number());
    command->add_option("--label", flags.label,
                        "Surface of the voxels equal to this label (a mask's 1, a label volume)");
    command->add_flag("--all-labels", flags.all_labels,
                      "One surface per non-zero label, in one mesh coloured by label");
    command->add_option("--step", flags.step,
                        "Sample every Nth voxel: coarser, faster (default 1)");
    command->add_option("--smooth", flags.smooth, "Taubin smoothing iterations (default 0)");
    command->add_option("--decimate", flags.decimate,
                        "Keep this fraction of the triangles (meshoptimizer), e.g. 0.5");
    command->add_flag("--largest", flags.largest, "Keep the largest connected component only");
    command->add_flag("--close", flags.close,
                      "Close the surface where it meets the volume's border");
    command->add_flag("--ascii", flags.ascii, "ASCII PLY instead of binary");
    command->add_flag("--no-normals", flags.no_normals, "Write no vertex normals");
    command->add_flag("--json", flags.json, "Print the statistics as JSON");
    add_read_flags(*command, read);
    return command;
}

int run_mesh(const MeshFlags& flags, const vox::ReadOptions& read_options) {
    // Refused before any work: loading and meshing can take a while.
    vox::mesh_format_of(flags.output);
    const int modes =
        int(!flags.level.empty()) + int(flags.label.has_value()) + int(flags.all_labels);
    if (modes == 0) {
        throw vox::ValueError(
            "mesh needs one of --level (an isosurface), --label N or --all-labels");
    }
    if (modes > 1) {
        throw vox::ValueError(
            "mesh takes only one of --level (an isosurface), --label N and --all-labels");
    }
    if (flags.step < 1)
        throw vox::ValueError(fmt::format("--step must be at least 1, got {}", flags.step));
    if (flags.smooth < 0) {
        throw vox::ValueError(fmt::format("--smooth must be 0 or more, got {}", flags.smooth));
    }
    if (flags.decimate && !(*flags.decimate > 0.0 && *flags.decimate <= 1.0)) {
        throw vox::ValueError(
            fmt::format("--decimate must be a fraction in (0, 1], got {}", *flags.decimate));
    }
    if (flags.close && flags.level.empty()) {
        throw vox::ValueError(
            "--close applies to --level surfaces; label surfaces are always closed");
    }

    const vox::Volume channel =
        single_channel(vox::open_volume(flags.input, read_options), flags.channel, flags.input);
    const bool normals = !flags.no_normals;
    vox::Mesh mesh;
    nlohmann::ordered_json report;
    if (!flags.level.empty()) {
        const double level = parse_level(flags.level, channel);
        if (!flags.json) fmt::print("level {:.6g}\n", level);
        report["level"] = level;
        mesh = vox::isosurface(
            channel,
            {.level = level, .step = flags.step, .normals = normals, .close_borders = flags.close});
    } else if (flags.label) {
        report["label"] = *flags.label;
        mesh = vox::label_surface(channel, *flags.label, flags.step, normals);
    } else {
        std::vector<std::int64_t> labels;
        mesh = vox::label_surfaces(channel, flags.step, normals, &labels);
        if (!flags.json) fmt::print("{} labels\n", labels.size());
        report["labels"] = labels;
    }
    if (mesh.empty() && flags.label) {
        if (*flags.label == 0)
            throw vox::ValueError("no surface: label 0 is the background; give another label");
        throw vox::ValueError(
            fmt::format("no surface: '{}' has no voxel of label {}", flags.input, *flags.label));
    }
    if (mesh.empty()) {
        throw vox::ValueError(fmt::format("no surface: nothing in '{}' crosses {}", flags.input,
                                          flags.level.empty() ? "a label" : "the level"));
    }
    if (flags.largest) vox::keep_largest_component(mesh);
    if (flags.smooth > 0) vox::smooth_taubin(mesh, flags.smooth);
    if (flags.decimate && *flags.decimate < 1.0) {
        vox::decimate(mesh, {.ratio = *flags.decimate});
    }
    if (!normals) mesh.normals.clear();

    const vox::MeshStatistics stats = vox::mesh_statistics(mesh);
    vox::write_mesh(flags.output, mesh, {.ascii = flags.ascii});
    if (flags.json) {
        report["output"] = flags.output;
        report.update(statistics_json(mesh, stats));
        fmt::print("{}\n", report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
        print_statistics(mesh, stats);
        fmt::print("wrote {}\n", flags.output);
    }
    return 0;
}

}  // namespace voxscope
