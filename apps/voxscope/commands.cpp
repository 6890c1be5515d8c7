#include "commands.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include <fmt/compile.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "vox/convert.h"
#include "vox/error.h"
#include "vox/exposure.h"
#include "vox/parallel.h"
#include "vox/pipeline.h"
#include "vox/render.h"
#include "vox/samples.h"
#include "vox/segmentation.h"
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

// Refuses a write that would replace one of `inputs`: the output itself, or the data file
// a detached header (.nhdr, .mhd) writes next to it. `what` says whose files they are.
void refuse_to_overwrite(const std::vector<std::filesystem::path>& inputs,
                         const std::string& output, const vox::WriteOptions& options,
                         const std::string& what = "the input") {
    std::vector<std::string> files{output};
    try {
        files = vox::files_written(output, options);
    } catch (const vox::ValueError&) {
        // An unknown extension: the write will say so, once the input is ruled out.
    }
    for (const std::string& written : files) {
        std::error_code error;
        if (!std::filesystem::exists(written, error)) continue;
        for (const auto& file : inputs) {
            if (!std::filesystem::equivalent(file, written, error)) continue;
            if (written == output) {
                throw vox::ValueError(
                    fmt::format("refusing to write '{}': it is {}", output, what));
            }
            throw vox::ValueError(fmt::format(
                "refusing to write '{}': its data file '{}' is part of {}", output, written, what));
        }
    }
}

// "scan.nhdr" or, with a detached data file, "scan.nhdr and scan.raw".
std::string written_names(const std::string& output, const vox::WriteOptions& options) {
    return fmt::format("{}", fmt::join(vox::files_written(output, options), " and "));
}

// Refuses an output that no volume writer takes before any work is done (a slow step list
// would otherwise run first), pointing to the figure commands for a picture's extension.
void check_volume_output(const std::string& output, const vox::WriteOptions& options) {
    try {
        vox::files_written(output, options);
    } catch (const vox::ValueError& error) {
        try {
            vox::figure_format(output);
        } catch (const vox::Error&) {
            throw error;
        }
        throw vox::ValueError(
            fmt::format("{}; to draw the volume, use voxscope slice, project or montage -o {}",
                        error.what(), output));
    }
}

// Opens the input of a command that writes a volume to `output`. The output named as the
// input is refused before the read; any file the write would replace that the read opened
// (a detached header's data file, a slice, an archive) after it.
vox::Volume open_input(const std::string& input, const vox::ReadOptions& read_options,
                       const std::string& output, const vox::WriteOptions& write_options) {
    refuse_to_overwrite(input_files(input), output, write_options);
    check_volume_output(output, write_options);
    const vox::ReadRecord record;
    vox::Volume volume = vox::open_volume(input, read_options);
    const std::vector<std::string> read = record.files();
    refuse_to_overwrite({read.begin(), read.end()}, output, write_options);
    return volume;
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

// Appends `cell` right-aligned in `width` columns. fmt's own padding costs more than the
// digits when hist prints millions of rows.
void append_right(fmt::memory_buffer& text, std::string_view cell, std::size_t width) {
    static constexpr std::string_view kSpaces = "                                ";  // 32
    if (cell.size() < width) {
        const std::string_view pad =
            kSpaces.substr(0, std::min(width - cell.size(), kSpaces.size()));
        text.append(pad.data(), pad.data() + pad.size());
    }
    text.append(cell.data(), cell.data() + cell.size());
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
    if (options.dtype.empty() && options.cast != "exact")
        throw vox::ValueError("--cast says how values reach --dtype: give --dtype too");
    vox::Volume volume = open_input(options.input, read_options, options.output, options.write);
    std::int64_t nan_to_zero = 0;
    if (!options.dtype.empty()) {
        // Integers have no NaN: say how many became 0 rather than let them pass for data.
        if (vox::is_float(volume.pixel_type()) &&
            !vox::is_float(vox::parse_pixel_type(options.dtype))) {
            nan_to_zero = vox::compute_stats(volume).global.nan_count;
        }
        volume = change_type(volume, options.dtype, options.cast);
    }
    vox::write_volume(volume, options.output, options.write);
    const vox::Shape& shape = volume.shape();
    fmt::print("wrote {}: {} x {} x {} x {} {}, {}\n", written_names(options.output, options.write),
               shape.z, shape.y, shape.x, shape.c, vox::pixel_type_name(volume.pixel_type()),
               vox::format_bytes(volume.size_bytes()));
    if (nan_to_zero > 0) {
        fmt::print("note: {} NaN value{} became 0 in {}\n", nan_to_zero,
                   nan_to_zero == 1 ? "" : "s", vox::pixel_type_name(volume.pixel_type()));
    }
    return 0;
}

int run_process(const ProcessOptions& options, const vox::ReadOptions& read_options) {
    std::vector<vox::Step> steps = vox::parse_steps_cli(options.steps);
    if (!options.steps_json.empty()) {
        std::string json = options.steps_json;
        if (json.starts_with("@")) {
            std::ifstream file(json.substr(1));
            if (!file) throw vox::IoError(fmt::format("cannot read '{}'", json.substr(1)));
            json.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
        }
        const std::vector<vox::Step> from_json = vox::parse_steps_json(json);
        steps.insert(steps.end(), from_json.begin(), from_json.end());
    }
    if (steps.empty()) throw vox::ValueError("no steps given (see 'voxscope ops')");
    vox::validate_steps(steps);  // before reading: a typo should not cost a load
    // The volumes that steps read (match's reference, equalize's mask) are inputs too.
    for (std::size_t i = 0; i < steps.size(); ++i) {
        for (const auto& [key, value] : steps[i].parameters) {
            if (key != "reference" && key != "mask") continue;
            refuse_to_overwrite(input_files(value), options.output, options.write,
                                fmt::format("the {} of step {} ({})", key, i + 1, steps[i].op));
        }
    }
    vox::Volume volume = open_input(options.input, read_options, options.output, options.write);
    const vox::ReadRecord step_reads;
    std::vector<vox::StepNote> notes;
    const vox::Volume result = vox::apply_steps(std::move(volume), steps, &notes);
    const std::vector<std::string> read = step_reads.files();
    refuse_to_overwrite({read.begin(), read.end()}, options.output, options.write,
                        "read by a step");
    vox::write_volume(result, options.output, options.write);
    const vox::Shape& shape = result.shape();
    fmt::print("wrote {}: {} x {} x {} x {} {}, {} ({})\n",
               written_names(options.output, options.write), shape.z, shape.y, shape.x, shape.c,
               vox::pixel_type_name(result.pixel_type()), vox::format_bytes(result.size_bytes()),
               vox::steps_to_json(steps));
    // What the steps found (threshold levels, clip values, component counts), to check
    // the result and to repeat it with explicit values.
    for (const vox::StepNote& note : notes)
        fmt::print("  step {} ({}): {}\n", note.step + 1, steps[note.step].op, note.text);
    return 0;
}

int run_ops() {
    for (const vox::OperationInfo& operation : vox::operation_catalog()) {
        fmt::print("{:<11} {}\n", operation.name, operation.summary);
        if (!operation.parameters.empty()) {
            fmt::print("{:<11} parameters: {}\n", "", fmt::join(operation.parameters, ", "));
        }
    }
    fmt::print(
        "\nSteps: op or op:value,...,key=value (positional values in the order listed),\n"
        "e.g. gamma:0.5  clip:0.5,99.5  resize:50x50x50,order=3  gaussian:1,unit=physical\n"
        "or JSON with --steps '[{{\"op\": \"gamma\", \"gamma\": 0.5}}]'.\n"
        "Any step but channel takes channel=N to work on that channel alone, the others\n"
        "kept: rescale:10,4095,channel=0 rescale:68,4095,channel=1 gamma:0.5,channel=2\n");
    return 0;
}

// cumsum(counts) / total.
std::vector<double> cumulative(const std::vector<std::int64_t>& counts) {
    std::int64_t total = 0;
    for (std::int64_t count : counts)
        total += count;
    std::vector<double> cdf;
    std::int64_t running = 0;
    for (std::int64_t count : counts) {
        running += count;
        cdf.push_back(total > 0 ? double(running) / double(total) : 0.0);
    }
    return cdf;
}

// skimage's one bin per integer value, unless the user asked for a number of bins.
vox::IntegerBins integer_bins_of(const HistOptions& options) {
    return options.bins_given ? vox::IntegerBins::uniform : vox::IntegerBins::per_value;
}

// `hist -o`: the histogram figure, one plot for all channels or one per channel.
int draw_hist(const vox::Volume& volume, const HistOptions& options,
              vox::SourceRange source_range) {
    const vox::Colormap* bars =
        options.colormap.empty() ? nullptr : &vox::colormap(options.colormap);
    const vox::IntegerBins integer_bins = integer_bins_of(options);
    std::vector<vox::Panel> panels;
    if (options.per_channel) {
        std::vector<vox::HistogramPlot> plots = vox::histogram_plots_per_channel(
            volume, options.bins, source_range, options.cdf, integer_bins);
        const vox::DisplayMapping mapping = vox::default_mapping(volume);
        for (std::size_t c = 0; c < plots.size(); ++c) {
            // Each channel in its display colour (the top of its black-to-colour map);
            // a lone gray channel keeps matplotlib's blue rather than white bars.
            const vox::Colormap& map = vox::colormap(mapping.channels[c].colormap);
            if (map.name != "gray") plots[c].color = map.at(1.0);
            panels.push_back(vox::plot_panel(std::move(plots[c]),
                                             options.channel >= 0
                                                 ? vox::channel_title(volume, 0)
                                                 : vox::channel_title(volume, std::int64_t(c))));
        }
    } else {
        panels.push_back(vox::plot_panel(
            vox::histogram_plot(volume, options.bins, source_range, options.cdf, integer_bins)));
    }
    for (vox::Panel& panel : panels) {
        vox::HistogramPlot& plot = *panel.histogram;
        plot.log = options.log;
        if (bars) {
            // The brain tutorial's cm.viridis(normalize(bin_centers)).
            plot.colormap = bars;
            plot.colormap_low = plot.bin_centers.front();
            plot.colormap_high = plot.bin_centers.back();
        }
    }
    vox::FigureOptions figure;
    figure.title = options.title;
    figure.scale_bar = false;
    vox::write_figure(panels, figure, options.output);
    fmt::print("wrote {}\n", options.output);
    return 0;
}

int run_hist(const HistOptions& options, const vox::ReadOptions& read_options) {
    if (!options.output.empty()) {
        vox::figure_format(options.output);  // a bad extension should not cost a load
        if (!options.colormap.empty()) vox::colormap(options.colormap);
        if (options.json) throw vox::ValueError("--json prints numbers: leave it out with -o");
    }
    if (options.per_channel && options.channel >= 0)
        throw vox::ValueError("--per-channel draws every channel: leave out --channel");
    vox::Volume volume = vox::open_volume(options.input, read_options);
    if (options.channel >= volume.shape().c) {
        throw vox::ValueError(fmt::format("--channel {} is out of range: the volume has {}",
                                          options.channel, volume.shape().c));
    }
    if (options.channel >= 0) volume = volume.channel(options.channel);
    if (options.source_range != "image" && options.source_range != "dtype") {
        throw vox::ValueError(
            fmt::format("--source-range must be image or dtype, got '{}'", options.source_range));
    }
    const vox::SourceRange source_range =
        options.source_range == "dtype" ? vox::SourceRange::dtype : vox::SourceRange::image;
    // One column of counts per channel with --per-channel, else one for all channels.
    if (!options.output.empty()) return draw_hist(volume, options, source_range);
    if (options.log || !options.colormap.empty() || !options.title.empty()) {
        throw vox::ValueError("--log, --cmap and --title draw a figure: give it with -o");
    }
    std::vector<std::vector<std::int64_t>> counts;
    std::vector<double> centers;
    // The numbers that `hist -o` draws (histogram_plot()), so that tests of the printed
    // counts check the drawn bars too.
    if (options.per_channel) {
        for (vox::HistogramPlot& plot : vox::histogram_plots_per_channel(
                 volume, options.bins, source_range, false, integer_bins_of(options))) {
            counts.push_back(std::move(plot.counts));
            centers = std::move(plot.bin_centers);
        }
    } else {
        vox::HistogramPlot plot = vox::histogram_plot(volume, options.bins, source_range, false,
                                                      integer_bins_of(options));
        counts.push_back(std::move(plot.counts));
        centers = std::move(plot.bin_centers);
    }
    std::vector<std::vector<double>> cdfs;
    if (options.cdf) {
        for (const auto& column : counts)
            cdfs.push_back(cumulative(column));
    }
    if (options.json) {
        // A JSON number takes 16 bytes in the document, up to about 32 in its text, and more
        // while both grow.
        const std::int64_t numbers = std::int64_t(centers.size()) *
                                     (1 + std::int64_t(counts.size()) * (options.cdf ? 2 : 1));
        vox::checked_allocation({numbers, 64}, fmt::format("the JSON of {} bins", centers.size()));
        nlohmann::ordered_json document = {
            {"schema", "voxscope.hist/1"},
            {"source", options.input},
            {"channel", options.channel >= 0 ? nlohmann::ordered_json(options.channel)
                                             : nlohmann::ordered_json(nullptr)},
            {"bin_centers", centers}};
        if (options.per_channel) {
            document["per_channel"] = true;
            document["counts"] = counts;
            if (options.cdf) document["cdf"] = cdfs;
        } else {
            document["counts"] = counts.front();
            if (options.cdf) document["cdf"] = cdfs.front();
        }
        std::fputs(
            (document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n").c_str(),
            stdout);
        return 0;
    }
    // Centres print exactly, so that neighbouring bins stay apart: integers whole (one bin
    // per integer, 29999919 not 3e+07), other centres in their shortest round-trip form.
    const vox::PixelType type = volume.pixel_type();
    const bool whole_centers = !vox::is_float(type) && !options.bins_given;
    char cell[64];
    auto format_cell = [&](auto format, auto value) {
        return std::string_view(cell, std::size_t(fmt::format_to(cell, format, value) - cell));
    };
    auto center_text = [&](std::size_t i) {
        if (whole_centers) return format_cell(FMT_COMPILE("{}"), std::int64_t(centers[i]));
        if (type == vox::PixelType::f32) return format_cell(FMT_COMPILE("{}"), float(centers[i]));
        return format_cell(FMT_COMPILE("{}"), centers[i]);
    };
    // The centre column is as wide as its widest entry ("1000000.0003750001"), at least 14.
    std::size_t width = 14;
    if (whole_centers) {
        if (!centers.empty())
            width =
                std::max({width, center_text(0).size(), center_text(centers.size() - 1).size()});
    } else {
        for (std::size_t i = 0; i < centers.size(); ++i)
            width = std::max(width, center_text(i).size());
    }
    std::string header = fmt::format("{:>{}}", "bin center", width);
    for (std::size_t c = 0; c < counts.size(); ++c) {
        const std::string suffix = options.per_channel ? fmt::format(" c{}", c) : "";
        header += fmt::format(" {:>12}", "count" + suffix);
        if (options.cdf) header += fmt::format(" {:>10}", "cdf" + suffix);
    }
    fmt::print("{}\n", header);
    fmt::memory_buffer text;
    for (std::size_t i = 0; i < centers.size(); ++i) {
        append_right(text, center_text(i), width);
        for (std::size_t c = 0; c < counts.size(); ++c) {
            text.push_back(' ');
            append_right(text, fmt::format_int(counts[c][i]).str(), 12);
            if (options.cdf) {
                text.push_back(' ');
                append_right(text, format_cell(FMT_COMPILE("{:.6f}"), cdfs[c][i]), 10);
            }
        }
        text.push_back('\n');
        // Millions of bins stream out in blocks, and stop on Ctrl-C.
        if (text.size() >= (std::size_t(1) << 20)) {
            vox::throw_if_interrupted();
            std::fwrite(text.data(), 1, text.size(), stdout);
            text.clear();
        }
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

int run_labels(const LabelsOptions& options, const vox::ReadOptions& read_options) {
    const vox::Volume volume = options.output.empty()
                                   ? vox::open_volume(options.input, read_options)
                                   : open_input(options.input, read_options, options.output, {});
    if (options.channel < 0 || options.channel >= volume.shape().c) {
        throw vox::ValueError(fmt::format("--channel {} is out of range: the volume has {}",
                                          options.channel, volume.shape().c));
    }
    const vox::Volume channel = volume.channel(options.channel);
    vox::Volume labels = channel;
    std::optional<vox::Volume> intensity;
    std::vector<std::string> notes;  // the threshold's level
    if (!options.threshold.empty()) {
        // The steps are this command's, not the user's: errors name the flag.
        const auto run = [&notes](vox::Volume input, const vox::Step& step, std::string_view flag) {
            try {
                return vox::apply_step(std::move(input), step, &notes);
            } catch (const vox::ValueError& error) {
                throw vox::ValueError(fmt::format("{}: {}", flag, error.what()));
            }
        };
        const vox::Volume mask =
            run(channel, {"threshold", {{"method", options.threshold}}}, "--threshold");
        labels = run(mask, {"label", {{"connectivity", std::to_string(options.connectivity)}}},
                     "--connectivity");
        intensity = channel;
    } else if (options.connectivity != 26) {
        throw vox::ValueError(
            "--connectivity applies with --threshold: a label volume is measured as it is");
    } else if (vox::is_float(channel.pixel_type())) {
        throw vox::ValueError(fmt::format(
            "'{}' holds {} values, not labels: give --threshold (e.g. --threshold otsu)",
            options.input, vox::pixel_type_name(channel.pixel_type())));
    }
    if (!options.output.empty()) vox::write_volume(labels, options.output);
    const vox::LabelStatistics statistics = vox::label_statistics(labels, intensity);
    if (!intensity) {
        // Integer intensities read as labels give a region per grey value, scattered through
        // the volume (a segmented region fills a good part of its box): say what was
        // probably meant.
        const std::size_t scattered = std::size_t(std::count_if(
            statistics.regions.begin(), statistics.regions.end(), [](const vox::RegionStats& r) {
                const vox::Box& b = r.bbox;
                const double box = double(b.end[0] - b.begin[0]) * double(b.end[1] - b.begin[1]) *
                                   double(b.end[2] - b.begin[2]);
                return double(r.voxel_count) * 100.0 < box;
            }));
        if (statistics.regions.size() >= 100 && 2 * scattered > statistics.regions.size()) {
            fmt::print(stderr,
                       "voxscope: note: {} of the {} regions fill less than 1% of their bounding "
                       "box: if '{}' holds intensities, not labels, give --threshold (e.g. "
                       "--threshold otsu)\n",
                       scattered, statistics.regions.size(), options.input);
        }
    }
    std::vector<const vox::RegionStats*> kept;
    for (const vox::RegionStats& region : statistics.regions) {
        if (region.voxel_count >= options.min_voxels) kept.push_back(&region);
    }
    const std::string length_unit =
        statistics.spacing_known ? volume.spacing().unit : std::string("voxel");
    if (options.json) {
        nlohmann::ordered_json regions = nlohmann::ordered_json::array();
        for (const vox::RegionStats* region : kept) {
            nlohmann::ordered_json entry = {{"label", region->label},
                                            {"voxels", region->voxel_count},
                                            {"volume", region->volume},
                                            {"centroid_voxel_zyx", region->centroid},
                                            {"centroid_zyx", region->centroid_physical},
                                            {"bbox_begin_zyx", region->bbox.begin},
                                            {"bbox_end_zyx", region->bbox.end}};
            if (!region->mean_intensity.empty())
                entry["mean_intensity"] = region->mean_intensity.front();
            regions.push_back(std::move(entry));
        }
        const nlohmann::ordered_json document = {{"schema", "voxscope.labels/1"},
                                                 {"source", options.input},
                                                 {"length_unit", length_unit},
                                                 {"volume_unit", statistics.volume_unit},
                                                 {"regions_total", statistics.regions.size()},
                                                 {"regions", regions}};
        std::fputs(
            (document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n").c_str(),
            stdout);
        return 0;
    }
    if (options.min_voxels > 1) {
        fmt::print("{} regions ({} of at least {} voxels listed)", statistics.regions.size(),
                   kept.size(), options.min_voxels);
    } else {
        fmt::print("{} regions", statistics.regions.size());
    }
    // The threshold's level (the label step's count is the line's own).
    fmt::print("{}{}\n", notes.empty() ? "" : "; ", notes.empty() ? "" : notes.front());
    fmt::print("{:>6} {:>9} {:>14} {:>28} {:>26}{}\n", "label", "voxels",
               fmt::format("volume {}", statistics.volume_unit),
               fmt::format("centroid z, y, x ({})", length_unit), "bbox z, y, x (voxels)",
               intensity ? fmt::format(" {:>10}", "mean") : "");
    for (const vox::RegionStats* region : kept) {
        const auto& c = region->centroid_physical;
        const auto& b = region->bbox;
        fmt::print("{:>6} {:>9} {:>14.6g} {:>28} {:>26}{}\n", region->label, region->voxel_count,
                   region->volume, fmt::format("{:.4g}, {:.4g}, {:.4g}", c[0], c[1], c[2]),
                   fmt::format("{}:{}, {}:{}, {}:{}", b.begin[0], b.end[0], b.begin[1], b.end[1],
                               b.begin[2], b.end[2]),
                   region->mean_intensity.empty()
                       ? ""
                       : fmt::format(" {:>10.6g}", region->mean_intensity.front()));
    }
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
