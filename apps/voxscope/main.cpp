// voxscope: the command-line tool. Parses flags, calls the library, reports errors.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "compare.h"
#include "examples.h"
#include "figures.h"
#include "mesh.h"
#include "points.h"
#include "read_flags.h"
#include "render.h"
#include "terminal.h"
#include "vox/error.h"
#include "vox/parallel.h"
#include "vox/version.h"
#include "vox/volume.h"

using namespace voxscope;

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

struct GlobalOptions {
    int threads = 0;
    std::string max_memory;
    bool quiet = false;
};

// The long ("--bins") or one-letter ("-o") options that `command` and the global options
// take.
std::vector<std::string> option_names(const CLI::App& app, const CLI::App& command,
                                      bool long_names) {
    std::vector<std::string> names;
    for (const CLI::App* owner : {&app, &command}) {
        for (const CLI::Option* option : owner->get_options()) {
            for (const std::string& name : long_names ? option->get_lnames() : option->get_snames())
                names.push_back((long_names ? "--" : "-") + name);
        }
    }
    return names;
}

// True for "-5", "-1e3" or "-inf:5": a value that starts with a number, not an option.
bool starts_with_number(const std::string& argument) {
    char* end = nullptr;
    (void)std::strtod(argument.c_str(), &end);
    return end != argument.c_str();
}

// The first "--name" or "-x" argument that neither `command` nor the global options take,
// or "".
std::string unknown_option(const CLI::App& app, const CLI::App& command, int argc, char** argv) {
    const std::vector<std::string> long_names = option_names(app, command, true);
    const std::vector<std::string> short_names = option_names(app, command, false);
    for (int i = 1; i < argc; ++i) {
        const std::string_view argument = argv[i];
        if (argument == "--") break;  // what follows is positional
        if (argument.size() > 2 && argument.starts_with("--")) {
            const std::string name(argument.substr(0, argument.find('=')));
            if (std::find(long_names.begin(), long_names.end(), name) == long_names.end())
                return name;
        } else if (argument.size() >= 2 && argument[0] == '-' &&
                   std::isalpha(static_cast<unsigned char>(argument[1])) &&
                   !starts_with_number(std::string(argument))) {
            const std::string name(argument.substr(0, 2));  // "-o" of "-o" or "-ofile"
            if (std::find(short_names.begin(), short_names.end(), name) == short_names.end())
                return name;
        }
    }
    return "";
}

// "did you mean '--bins'? " for a misspelt long option, or for a one-letter option when a
// single long option starts with its letter ("-b" for "--bins").
std::string suggested_option(const std::string& option, std::span<const std::string> known) {
    if (option.starts_with("--")) return vox::did_you_mean(option, known);
    const std::string start = "-" + option;
    std::string match;
    for (const std::string& name : known) {
        if (!name.starts_with(start)) continue;
        if (!match.empty()) return "";  // ambiguous
        match = name;
    }
    return match.empty() ? "" : fmt::format("did you mean '{}'? ", match);
}

// CLI11's messages, in our voice: lower case, naming a mistyped command or option, and
// pointing to the help of the command at hand.
std::string usage_error_message(const CLI::App& app, const CLI::ParseError& error, int argc,
                                char** argv) {
    std::string message = error.what();
    std::string help = "voxscope";  // whose --help the message points to
    if (app.get_subcommands().empty()) {
        std::vector<std::string> commands;
        for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; }))
            commands.push_back(command->get_name());
        const std::string last = commands.back();
        for (int i = 1; i < argc; ++i) {
            const std::string argument = argv[i];
            const std::string previous = i > 1 ? argv[i - 1] : "";
            const bool is_option_value = previous == "--threads" || previous == "--max-memory";
            if (!argument.empty() && argument[0] != '-' && !is_option_value) {
                message = fmt::format("unknown command '{}'; {}the commands are {} and {}",
                                      argument, vox::did_you_mean(argument, commands),
                                      fmt::join(commands.begin(), commands.end() - 1, ", "), last);
                break;
            }
        }
    } else {
        // An unknown option explains the other errors it causes ("-O out.png" leaves
        // --output missing, "-b 3" leaves 3 as an extra positional), so it is named first.
        const CLI::App& command = *app.get_subcommands().front();
        const std::string option = unknown_option(app, command, argc, argv);
        if (!option.empty()) {
            return fmt::format(
                "'{}' has no option '{}' ({}see 'voxscope {} --help')", command.get_name(), option,
                suggested_option(option, option_names(app, command, true)), command.get_name());
        }
        help += " " + command.get_name();
    }
    if (!message.empty()) message[0] = char(std::tolower(static_cast<unsigned char>(message[0])));
    return fmt::format("{} (see '{} --help')", message, help);
}

// An empty value ("--threshold ''") would read as the option left out: refuse it instead.
void refuse_empty_values(const CLI::App& command) {
    for (const CLI::Option* option : command.get_options()) {
        if (option->get_type_size() == 0) continue;  // a flag
        for (const std::string& value : option->results()) {
            if (value.empty() && option->get_positional())
                throw CLI::ValidationError(option->get_name(), "the argument is empty");
            if (value.empty()) {
                throw CLI::ValidationError(option->get_name(),
                                           "the value is empty; leave the option out for its "
                                           "default");
            }
        }
    }
    for (const CLI::App* subcommand : command.get_subcommands())
        refuse_empty_values(*subcommand);
}

void print_error(const std::string& message) {
    std::fflush(stdout);
    fmt::print(stderr, "voxscope: error: {}\n", message);
}

}  // namespace

int main(int argc, char** argv) {
    // Steps, frames and figures free buffers that the next one allocates again.
    vox::keep_freed_memory();
    CLI::App app{"voxscope: explore 3D images fast", "voxscope"};
    app.footer(overview_footer());
    app.require_subcommand(1);
    // Global options are taken after the command as well: "voxscope hist x.tif --threads 2".
    app.fallthrough();
    app.set_version_flag("--version", std::string("voxscope ") + vox::kVersion);

    GlobalOptions global;
    app.add_option("--threads", global.threads, "Worker threads (default: all cores)")
        ->check(voxscope::whole_number());
    app.add_option("--max-memory", global.max_memory,
                   "Largest volume to allocate, e.g. 4G (default: 80% of RAM)");
    app.add_flag("-q,--quiet", global.quiet, "No progress bar");

    std::string info_path;
    bool info_json = false;
    ReadFlags info_read;
    CLI::App* info_command =
        app.add_subcommand("info", "Shape, dtype, memory, spacing and value ranges of a volume");
    info_command
        ->add_option("path", info_path, "File, folder, glob, archive.zip::member or sample:NAME")
        ->required();
    info_command->add_flag("--json", info_json, "Print JSON (schema voxscope.info/1)");
    add_read_flags(*info_command, info_read);

    ConvertOptions convert;
    ReadFlags convert_read;
    CLI::App* convert_command = app.add_subcommand(
        "convert", "Convert a volume to another format (and pixel type); writes atomically");
    convert_command
        ->add_option("input", convert.input, "File, folder, glob, archive member or sample")
        ->required();
    convert_command
        ->add_option("output", convert.output,
                     "Output: .tif .ome.tif .nii .nii.gz .nrrd .nhdr .mha .mhd .npy")
        ->required();
    convert_command->add_option("--dtype", convert.dtype,
                                "Output pixel type (u8, i8, u16, i16, u32, i32, f32, f64)");
    convert_command
        ->add_option("--cast", convert.cast,
                     "How values reach --dtype: exact (default: refuse any change), clip, "
                     "rescale (data range to the type's range) or skimage (img_as_*)")
        ->check(CLI::IsMember({"exact", "clip", "rescale", "skimage"}));
    convert_command->add_option(
        "--compression", convert.write.compression,
        "none, deflate, lzw, packbits, zstd (TIFF); gzip (NIfTI, NRRD, MetaImage)");
    convert_command->add_option("--level", convert.write.level,
                                "Compression level: deflate 1-12 (TIFF), gzip/deflate 0-12, zstd "
                                "1-22 (default: the codec's)");
    add_read_flags(*convert_command, convert_read, "--in-dtype");

    ProcessOptions process;
    ReadFlags process_read;
    CLI::App* process_command = app.add_subcommand(
        "process", "Apply steps (gamma, clip, equalize, resize, gaussian...) and write the result");
    process_command
        ->add_option("input", process.input, "File, folder, glob, archive member or sample")
        ->required();
    process_command->add_option("steps", process.steps,
                                "Steps: op or op:value,...,key=value (see 'voxscope ops')");
    process_command->add_option("-o,--output", process.output, "Output file (any writable format)")
        ->required();
    process_command->add_option("--steps", process.steps_json,
                                "Steps as JSON, or @file.json (run after STEPS)");
    process_command->add_option("--compression", process.write.compression, "As for convert");
    add_read_flags(*process_command, process_read);

    HistOptions hist;
    ReadFlags hist_read;
    CLI::App* hist_command = app.add_subcommand(
        "hist", "Histogram counts and CDF (skimage.exposure.histogram), or a figure of them");
    hist_command->add_option("input", hist.input, "File, folder, glob, archive member or sample")
        ->required();
    CLI::Option* hist_bins = hist_command->add_option(
        "--bins", hist.bins,
        "Number of uniform bins (default 256); without it, integers get one bin per value, "
        "as skimage");
    hist_command->add_flag("--cdf", hist.cdf, "Also print the cumulative distribution");
    hist_command->add_flag("--json", hist.json, "Print JSON (schema voxscope.hist/1)");
    hist_command->add_option("--channel", hist.channel, "One channel (default: all together)")
        ->check(voxscope::whole_number());
    hist_command->add_flag("--per-channel", hist.per_channel,
                           "One histogram per channel over shared bins (skimage channel_axis=-1)");
    hist_command->add_option("--source-range", hist.source_range,
                             "image (default) or dtype, as skimage");
    hist_command->add_option("-o,--output", hist.output,
                             "Draw the histogram to a figure (.png, .svg or .pdf) instead");
    hist_command->add_flag("--log", hist.log, "Figure: logarithmic count axis");
    hist_command->add_option("--cmap", hist.colormap,
                             "Figure: colour the bars by bin centre, e.g. viridis");
    hist_command->add_option("--title", hist.title, "Figure title");
    add_read_flags(*hist_command, hist_read);

    CompareOptions compare;
    ReadFlags compare_read;
    CLI::App* compare_command = add_figure_command(
        app, "compare",
        "Draw a plane and its histogram before and after processing steps (PNG, SVG or PDF)",
        compare.input, compare.output, "Output figure: .png, .svg or .pdf", compare.display,
        compare_read);
    compare_command->add_option(
        "--versions", compare.versions,
        "';'-separated versions, each process steps (default \"gamma:0.5;gamma:1.5\")");
    compare_command->add_option("--axis", compare.axis, "z (default: a plane), y (a row) or x");
    compare_command
        ->add_option("--index", compare.index, "Voxel index along the axis (default: middle)")
        ->check(voxscope::whole_number());
    compare_command
        ->add_option("--channel", compare.channel,
                     "The channel to compare (needed for multi-channel volumes)")
        ->check(voxscope::whole_number());
    compare_command->add_option("--bins", compare.bins,
                                "Histogram bins (default 256, as matplotlib's hist)");

    LabelsOptions labels;
    ReadFlags labels_read;
    CLI::App* labels_command = app.add_subcommand(
        "labels",
        "Per-label voxel count, physical volume, centroid and bounding box (regionprops)");
    labels_command
        ->add_option("input", labels.input,
                     "A label image, or an intensity volume with --threshold")
        ->required();
    labels_command->add_option(
        "--threshold", labels.threshold,
        "Label the voxels above otsu, li, yen, triangle, mean or a number first");
    labels_command
        ->add_option("--channel", labels.channel,
                     "The channel to threshold and measure (default 0)")
        ->check(voxscope::whole_number());
    labels_command
        ->add_option("--connectivity", labels.connectivity,
                     "With --threshold: 6, 18 or 26 (default)")
        ->check(CLI::IsMember({6, 18, 26}));
    labels_command
        ->add_option("--min-voxels", labels.min_voxels,
                     "Leave out regions smaller than this (default 1)")
        ->check(voxscope::whole_number());
    labels_command->add_flag("--json", labels.json, "Print JSON (schema voxscope.labels/1)");
    labels_command->add_option("-o,--output", labels.output,
                               "Also write the label image (i32) to this file");
    add_read_flags(*labels_command, labels_read);

    SliceOptions slice;
    ReadFlags slice_read;
    CLI::App* slice_command = add_figure_command(
        app, "slice", "Draw one plane in physical proportions (PNG, SVG or PDF)", slice.input,
        slice.output, "Output figure: .png, .svg or .pdf", slice.display, slice_read);
    slice_command->add_option("--axis", slice.axis, "z (default: a plane), y (a row) or x");
    slice_command
        ->add_option("--index", slice.index, "Voxel index along the axis (default: middle)")
        ->check(voxscope::whole_number());
    slice_command->add_option("--position", slice.position,
                              "Physical position along the axis, in the spacing's unit");
    slice_command->add_flag("--indicator", slice.indicator,
                            "Add a 3D box showing where the plane lies, right of the slice");

    OrthoOptions ortho;
    ReadFlags ortho_read;
    CLI::App* ortho_command = add_figure_command(
        app, "ortho", "Draw the plane, row and column through a point (PNG, SVG or PDF)",
        ortho.input, ortho.output, "Output figure: .png, .svg or .pdf", ortho.display, ortho_read);
    ortho_command->add_option("--point", ortho.point, "Z,Y,X voxel indices (default: the centre)");
    ortho_command->add_flag("--crosshairs", ortho.crosshairs, "Mark the point in each panel");

    MontageOptions montage;
    ReadFlags montage_read;
    CLI::App* montage_command = add_figure_command(
        app, "montage", "Draw every Nth plane in a grid with one shared range (PNG, SVG or PDF)",
        montage.input, montage.output, "Output figure: .png, .svg or .pdf", montage.display,
        montage_read);
    montage_command->add_option("--axis", montage.axis, "z (default: planes), y (rows) or x");
    montage_command->add_option("--step", montage.step, "Every Nth plane (default 2)");
    montage_command->add_option("--first", montage.first, "Index of the first plane (default 0)");
    montage_command->add_option("--count", montage.count,
                                "Number of tiles (default 0: every Nth plane to the end)");
    montage_command->add_option("--columns", montage.columns,
                                "Tiles per row (default 0: ceil(sqrt(tiles)))");

    ChannelsOptions channels;
    ReadFlags channels_read;
    CLI::App* channels_command = add_figure_command(
        app, "channels", "Draw one facet per channel, each with its own range (PNG, SVG or PDF)",
        channels.input, channels.output, "Output figure: .png, .svg or .pdf", channels.display,
        channels_read);
    channels_command->add_option("--axis", channels.axis, "z (default: a plane), y (a row) or x");
    channels_command
        ->add_option("--index", channels.index, "Voxel index along the axis (default: middle)")
        ->check(voxscope::whole_number());

    ProjectOptions project;
    ReadFlags project_read;
    CLI::App* project_command = add_figure_command(
        app, "project", "Draw a max, mean or min intensity projection (PNG, SVG or PDF)",
        project.input, project.output, "Output figure: .png, .svg or .pdf", project.display,
        project_read);
    project_command->add_option("--axis", project.axis, "z (default), y or x");
    project_command->add_option("--mode", project.mode, "max (default), mean or min");

    AnimateCommandOptions animate;
    ReadFlags animate_read;
    CLI::App* animate_command = add_figure_command(
        app, "animate", "Step through the planes along an axis (GIF, WebP, or MP4 with ffmpeg)",
        animate.input, animate.output, "Output animation: .gif, .webp or .mp4", animate.display,
        animate_read);
    animate_command->add_option("--axis", animate.axis, "z (default: planes), y (rows) or x");
    animate_command->add_option("--step", animate.step, "Every Nth plane (default 1)");
    animate_command->add_option("--delay", animate.delay, "Milliseconds per frame (default 100)");
    animate_command->add_option(
        "--versions", animate.versions,
        "One frame per ';'-separated list of process steps, e.g. \"gamma:0.5;gamma:1;gamma:1.5\"");
    animate_command->add_option("--sweep", animate.sweep,
                                "One frame per value of one op parameter: OP=START:STOP:COUNT or "
                                "OP.PARAM=START:STOP:COUNT, e.g. gamma=0.2:2:10");
    animate_command
        ->add_option("--index", animate.index,
                     "Plane of --versions/--sweep along the axis (default: middle)")
        ->check(voxscope::whole_number());
    animate_command->add_flag("--label", animate.label,
                              "Label each frame (default for --versions/--sweep)");
    animate_command->add_flag("--no-label", animate.no_label, "No frame labels");

    RenderFlags render;
    ReadFlags render_read;
    CLI::App* render_command = add_render_command(app, render, render_read);
    TurntableFlags turntable;
    ReadFlags turntable_read;
    CLI::App* turntable_command = add_turntable_command(app, turntable, turntable_read);

    MeshFlags mesh;
    ReadFlags mesh_read;
    CLI::App* mesh_command = add_mesh_command(app, mesh, mesh_read);
    PointsFlags points;
    ReadFlags points_read;
    CLI::App* points_command = add_points_command(app, points, points_read);

    app.add_subcommand("ops", "List the operations 'process' knows");
    app.add_subcommand("samples", "List the built-in sample volumes");
    app.add_subcommand("formats", "List the file formats voxscope reads and writes");
    for (CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; }))
        command->footer(command_footer(command->get_name()));

    try {
        app.parse(argc, argv);
        refuse_empty_values(app);
    } catch (const CLI::CallForHelp&) {
        std::fputs(app.help().c_str(), stdout);
        return 0;
    } catch (const CLI::CallForVersion& version) {
        std::puts(version.what());
        return 0;
    } catch (const CLI::ParseError& error) {
        print_error(usage_error_message(app, error, argc, argv));
        return kExitUsage;
    }

    voxscope::install_interrupt_handler();
    voxscope::install_progress_bar(global.quiet);
    try {
        vox::set_thread_count(global.threads);
        if (!global.max_memory.empty()) {
            vox::set_memory_limit(voxscope::parse_byte_size(global.max_memory));
        }
        if (info_command->parsed())
            return run_info(info_path, to_read_options(info_read), info_json);
        if (convert_command->parsed()) return run_convert(convert, to_read_options(convert_read));
        if (process_command->parsed()) return run_process(process, to_read_options(process_read));
        if (hist_command->parsed()) {
            hist.bins_given = hist_bins->count() > 0;
            return run_hist(hist, to_read_options(hist_read));
        }
        if (compare_command->parsed()) return run_compare(compare, to_read_options(compare_read));
        if (labels_command->parsed()) return run_labels(labels, to_read_options(labels_read));
        if (slice_command->parsed()) return run_slice(slice, to_read_options(slice_read));
        if (ortho_command->parsed()) return run_ortho(ortho, to_read_options(ortho_read));
        if (montage_command->parsed()) return run_montage(montage, to_read_options(montage_read));
        if (channels_command->parsed())
            return run_channels(channels, to_read_options(channels_read));
        if (project_command->parsed()) return run_project(project, to_read_options(project_read));
        if (animate_command->parsed()) return run_animate(animate, to_read_options(animate_read));
        if (render_command->parsed()) return run_render(render, to_read_options(render_read));
        if (turntable_command->parsed())
            return run_turntable(turntable, to_read_options(turntable_read));
        if (mesh_command->parsed()) return run_mesh(mesh, to_read_options(mesh_read));
        if (points_command->parsed()) return run_points(points, to_read_options(points_read));
        if (app.got_subcommand("ops")) return run_ops();
        if (app.got_subcommand("formats")) return run_formats();
        return run_samples();
    } catch (const vox::Interrupted&) {
        print_error("interrupted");
        return voxscope::interrupted_exit_status();
    } catch (const vox::Error& error) {
        print_error(error.what());
        return kExitError;
    } catch (const std::bad_alloc&) {
        print_error("out of memory (try --max-memory or a smaller input)");
        return kExitError;
    } catch (const std::exception& error) {
        print_error(std::string("internal error: ") + error.what());
        return kExitError;
    }
}
