// libFuzzer target for the processing steps run on small volumes: any op, with any
// parameters the text gives, on any pixel type, odd shapes and arbitrary values (NaN and
// infinities included) must end in a result or a vox::Error, never a crash, an overflow
// or an allocation past the memory limit; and the result's histogram counts every value.
//
// Input: 5 bytes of header (pixel type, z, y, x, channels: 1 to 5 voxels along each axis,
// or 1 to 24 when the type byte's top bit is set, which reaches the paths of larger
// volumes (tiles, sliding histograms, parts of planes); 1 to 3 channels), the steps as
// typed on a command line up to the first newline, then the voxels' bytes (repeated to
// fill the volume; zeros when there are none).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vox/error.h"
#include "vox/exposure.h"
#include "vox/pipeline.h"
#include "vox/volume.h"

namespace {

constexpr vox::PixelType kTypes[] = {vox::PixelType::u8,  vox::PixelType::i8,  vox::PixelType::u16,
                                     vox::PixelType::i16, vox::PixelType::u32, vox::PixelType::i32,
                                     vox::PixelType::f32, vox::PixelType::f64};

std::vector<std::string> tokens_of(std::string_view text) {
    std::vector<std::string> tokens;
    std::size_t begin = 0;
    while (begin < text.size()) {
        const std::size_t end = std::min(text.find(' ', begin), text.size());
        if (end > begin) tokens.emplace_back(text.substr(begin, end - begin));
        begin = end + 1;
    }
    return tokens;
}

// Steps left out: those that read another volume (a reference, a mask), which would read
// files of this machine, and medians whose radius takes two characters or more (10 and
// up), whose time grows as the radius squared per voxel with no allocation to refuse
// (radius 600 takes seconds on 5^3 voxels).
bool left_out(const std::vector<vox::Step>& steps) {
    for (const vox::Step& step : steps) {
        for (const auto& [key, value] : step.parameters) {
            if (key == "reference" || key == "mask") return true;
            if (step.op == "median" && key == "radius" && value.size() > 1) return true;
        }
    }
    return false;
}

void run(const std::uint8_t* data, std::size_t size) {
    const vox::PixelType type = kTypes[data[0] % 8];
    const int extents = (data[0] & 0x80) != 0 ? 24 : 5;
    const vox::Shape shape{1 + data[1] % extents, 1 + data[2] % extents, 1 + data[3] % extents,
                           1 + data[4] % 3};
    const auto* rest = reinterpret_cast<const char*>(data + 5);
    const std::string_view tail(rest, size - 5);
    const std::size_t newline = std::min(tail.find('\n'), tail.size());
    const std::vector<vox::Step> steps = vox::parse_steps_cli(tokens_of(tail.substr(0, newline)));
    if (steps.empty() || steps.size() > 4 || left_out(steps)) return;
    const std::string_view voxels = tail.substr(std::min(newline + 1, tail.size()));

    const std::int64_t length = shape.values() * std::int64_t(vox::pixel_size(type));
    const std::shared_ptr<std::byte[]> buffer = vox::allocate_buffer(length);
    for (std::int64_t i = 0; i < length; ++i) {
        buffer[std::size_t(i)] =
            voxels.empty() ? std::byte{0} : std::byte(voxels[std::size_t(i) % voxels.size()]);
    }
    vox::Volume volume = vox::Volume::adopt(buffer, length, 0, shape, type);
    volume.set_spacing({{0.29, 0.26, 0.26}, "µm", true});
    vox::validate_steps(steps);
    std::vector<vox::StepNote> notes;
    const vox::Volume result = vox::apply_steps(std::move(volume), steps, &notes);
    // Notes name a step that ran and say something.
    for (const vox::StepNote& note : notes) {
        if (note.step >= steps.size() || note.text.empty()) __builtin_trap();
    }
    // The result's histogram as `voxscope hist` takes it: the channel byte's high bits pick
    // the bins, the type byte's middle bits the range and the binning of integers.
    const int nbins = 1 + (data[4] >> 2);
    const auto source_range =
        (data[0] & 0x08) != 0 ? vox::SourceRange::dtype : vox::SourceRange::image;
    const auto integer_bins =
        (data[0] & 0x10) != 0 ? vox::IntegerBins::uniform : vox::IntegerBins::per_value;
    const vox::ChannelHistograms histograms =
        vox::histogram_per_channel(result, nbins, source_range, integer_bins);
    std::int64_t counted = 0;
    for (const auto& counts : histograms.counts) {
        if (counts.size() != histograms.bin_centers.size()) __builtin_trap();
        for (const std::int64_t count : counts)
            counted += count;
    }
    // Every integer lies in the range, the data's or its type's; floats outside [-1, 1]
    // ('dtype') are left out, as numpy leaves them.
    if (!vox::is_float(result.pixel_type()) && counted != result.shape().values()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Room for the small volumes and a few of their copies, not for what a step could ask
    // for: a shape or a padding of millions must be refused before it is allocated.
    static const bool limited = [] {
        vox::set_memory_limit(std::int64_t(64) << 20);
        return true;
    }();
    (void)limited;
    if (size < 5) return 0;
    try {
        run(data, size);
    } catch (const vox::Error&) {
        // Refusing bad steps or parameters with a vox::Error is the expected outcome.
    }
    return 0;
}
