#include "examples.h"

#include <fmt/format.h>

#include <array>

namespace voxscope {
namespace {

struct Example {
    std::string_view command;
    std::string_view arguments;  // after "voxscope COMMAND "
    std::string_view about;
    bool in_overview;  // also listed by `voxscope --help`
};

// Every line runs as written in tests/cli/examples_test.py, on the files it names.
constexpr std::array kExamples = {
    Example{"info", "sample:cells", "shape, dtype, spacing and value ranges", true},
    Example{"info", "--json scan.nii.gz", "the same, as JSON", true},
    Example{"info", "mri.zip::data/brain.hdr", "an Analyze pair inside a zip archive", true},
    Example{"info", "\"slices/*.tif\"", "a folder or glob of 2D slices, in natural order", true},
    Example{"info", "volume.raw --shape 60x256x256 --dtype u16 --spacing 0.29,0.26,0.26 --unit um",
            "raw bytes, described by their layout", true},
    Example{"info", "--t 0 mri.nii.gz", "a 4D NIfTI's first volume", false},
    Example{"info", "--canonical mri.nii.gz", "reoriented to RAS+, as nibabel", false},
    Example{"convert", "stack.tif stack.nii.gz", "any readable format to any writable one", true},
    Example{"convert", "sample:kidney kidney.tif --dtype u8 --cast rescale", "to 8 bits, rescaled",
            true},
    Example{"convert", "\"slices/*.tif\" stack.ome.tif", "a folder of slices to one OME-TIFF",
            false},
    Example{"convert", "sample:cells cells.tif", "Fiji opens it with its scale (µm)", false},
    Example{"convert", "sample:cells small.tif --compression zstd", "lossless zstd, smaller",
            false},
    Example{"formats", "", "the formats and their extensions", true},
    Example{"process", "sample:cells -o cells.tif clip:0.5,99.5 gamma:0.5",
            "the tutorial's exposure steps", true},
    Example{"process", "mri.nii.gz -o small.nii.gz resize:50x50x50", "resize before plotting",
            true},
    Example{"process", "sample:cells -o gamma.tif as_float gamma:0.5", "gamma 0.5 (1.5 darkens)",
            false},
    Example{"process", "sample:cells -o log.tif log", "logarithmic correction", false},
    Example{"process", "sample:cells -o equalized.tif as_float equalize", "histogram equalization",
            false},
    Example{"process", "sample:cells -o clipped.tif clip:0.5,99.5",
            "clip at 0.5% and 99.5%, rescale", false},
    Example{"process", "sample:kidney -o kidney.tif normalize", "each channel to its own range",
            false},
    Example{"process",
            "sample:kidney -o kidney.tif rescale:10,4095,channel=0 rescale:68,4095,channel=1",
            "a range for each channel", false},
    Example{"process", "sample:cells -o clahe.tif clahe:clip_limit=0.02", "3D CLAHE", false},
    Example{"process", "day2.tif -o matched.tif match:reference=day1.tif,mode=per_channel",
            "match histograms", false},
    Example{"process", "sample:cells -o iso.nii.gz isotropic", "resample to cubic voxels", false},
    Example{"process", "sample:cells -o half.tif block_mean:1x2x2", "average 2x2 in each plane",
            false},
    Example{"process", "sample:cells -o mip.tif project:max,axis=z", "a projection, as data",
            false},
    Example{"process",
            "sample:cells -o nuclei.tif channel:1 gaussian:0.5,unit=physical "
            "threshold:otsu label",
            "smooth, threshold and label the nuclei", false},
    Example{"process", "sample:cells -o out.tif --steps '[{\"op\": \"gamma\", \"gamma\": 0.5}]'",
            "steps as JSON", false},
    Example{"hist", "sample:cells --channel 1 --cdf", "histogram and CDF of the nuclei", true},
    Example{"hist", "sample:kidney --per-channel", "one column per channel, shared bins", true},
    Example{"hist", "sample:cells --channel 1 -o hist.png --log --cmap viridis",
            "a histogram figure", true},
    Example{"hist", "mri.nii.gz --bins 50", "50 uniform bins, as plt.hist", false},
    Example{"hist", "sample:cells --channel 1 --json", "the same, as JSON", false},
    Example{"compare", "sample:cells --channel 1 -o compare.png",
            "planes and histograms, gamma 0.5, 1.5", true},
    Example{"compare", "sample:cells --channel 1 -o eq.png --versions \"clip:2,98;equalize\"",
            "other steps", false},
    Example{"labels", "sample:cells --channel 1 --threshold otsu", "count and measure the nuclei",
            true},
    Example{"labels", "sample:cells --channel 1 --threshold otsu --min-voxels 200 --json",
            "the larger ones, as JSON", false},
    Example{"labels", "labels.nii.gz", "an image of labels", false},
    Example{"slice", "sample:cells -o plane.png --index 30 --cmap green,magenta", "one plane",
            true},
    Example{"slice", "sample:cells -o where.png --index 30 --indicator", "where the plane lies",
            false},
    Example{"slice", "sample:cells -o side.png --axis x --index 128", "a side view, to scale",
            false},
    Example{"ortho", "sample:cells -o ortho.png --point 30,128,128 --crosshairs", "three views",
            true},
    Example{"montage", "sample:cells -o montage.png --step 2", "every other plane, 6 columns",
            true},
    Example{"montage", "sample:cells -o nuclei.png --step 6 --channels 1 --columns 5",
            "one channel", false},
    Example{"channels", "sample:cells -o channels.png --index 30", "one facet per channel", true},
    Example{"channels", "sample:kidney -o facets.png --range p0.5:99.5",
            "each clipped at its own percentiles", false},
    Example{"project", "sample:cells -o mip.png --mode max", "maximum intensity projection", true},
    Example{"project", "sample:cells -o mean.png --mode mean --axis y --channels 1 --colorbar",
            "mean along y, with a colour bar", false},
    Example{"animate", "sample:cells -o cells.gif --axis z", "step through the planes", true},
    Example{"animate", "sample:cells -o gamma.gif --sweep gamma=0.4:1.6:7 --index 30",
            "one plane, gamma from 0.4 to 1.6", false},
    Example{"render", "sample:cells -o cells3d.png --mode dvr", "3D, the tutorial's view", true},
    Example{"render", "sample:cells -o mip.png --mode mip --channels 1 --box",
            "nuclei, brightest along each ray", false},
    Example{"render", "sample:cells -o nuclei.png --mode iso --level otsu --channels 1",
            "a shaded surface", false},
    Example{"render", "sample:cells -o cut.png --clip-plane 30,128,128,0,1,1", "cut open", false},
    Example{"turntable", "sample:cells -o spin.gif --mode mip", "3D, all around", true},
    Example{"turntable", "sample:cells -o spin.webp --frames 72", "finer steps, as WebP", false},
    Example{"mesh", "sample:cells --channel 1 --level otsu -o nuclei.ply --smooth 10", "a surface",
            true},
    Example{"mesh", "brain.nii.gz --level otsu --largest --decimate 0.3 -o brain.stl",
            "the largest piece, fewer triangles", false},
    Example{"mesh", "labels.nii.gz --all-labels -o objects.ply", "one surface per label", false},
    Example{"points", "slices/ --range 0:100 -o shell.ply", "the slice-stack shell as points",
            true},
    Example{"points", "slices/ --range 0:100 --slice-thickness 0.2 --xy-scale 1 -o shell.ply",
            "the tutorial's scale", false},
    Example{"ops", "", "the operations process knows", true},
    Example{"samples", "", "the built-in sample volumes", false},
};

constexpr std::string_view kNotes =
    "Paths: a file, a folder or glob of slices, archive.zip::member, or "
    "sample:NAME[?key=value&...].\n"
    "--threads, --max-memory and -q go before or after the command: voxscope hist x.nii -q.\n"
    "Exit status: 0 on success, 1 on error, 2 on bad usage, 130 when interrupted (143 for "
    "SIGTERM).";

// What `process` steps mean, beside its examples.
constexpr std::string_view kStepNotes =
    "Steps run in order, each on the result of the one before; 'voxscope ops' lists them with\n"
    "their parameters, and --steps takes the same list as JSON. After writing, process says\n"
    "what the steps found: a clip's values (and the rescale steps that repeat them), a\n"
    "threshold's level, the number of components, a physical sigma or kernel in voxels.\n\n";

// "  voxscope hist x --cdf" and its arguments.
std::string command_text(const Example& example) {
    std::string text = fmt::format("  voxscope {}", example.command);
    if (!example.arguments.empty()) text += fmt::format(" {}", example.arguments);
    return text;
}

// The overview's line: the command, then what it does from column 49 on, or 3 spaces after
// a longer command; a command that fills a line speaks for itself.
std::string overview_line(const Example& example) {
    constexpr std::size_t kAboutColumn = 49;
    constexpr std::size_t kFullLine = 80;
    const std::string text = command_text(example);
    if (example.about.empty() || text.size() > kFullLine) return text + "\n";
    const std::size_t gap = text.size() + 3 <= kAboutColumn ? kAboutColumn - text.size() : 3;
    return fmt::format("{}{:{}}{}\n", text, "", gap, example.about);
}

// A command's own list has room for long commands: what it does goes above, as a comment,
// so that each command is whole on its line and can be copied as it is.
std::string command_line(const Example& example) {
    const std::string text = command_text(example) + "\n";
    return example.about.empty() ? text : fmt::format("  # {}\n{}", example.about, text);
}

}  // namespace

std::string overview_footer() {
    std::string footer = "Examples:\n";
    for (const Example& example : kExamples)
        if (example.in_overview) footer += overview_line(example);
    return footer + "\n" + std::string(kNotes);
}

std::string command_footer(std::string_view command) {
    std::string examples;
    for (const Example& example : kExamples)
        if (example.command == command) examples += command_line(example);
    std::string footer = examples.empty() ? "" : "Examples:\n" + examples + "\n";
    if (command == "process") footer += kStepNotes;
    return footer + std::string(kNotes);
}

}  // namespace voxscope
