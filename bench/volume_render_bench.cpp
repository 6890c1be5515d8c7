// Speed of volume rendering (issue 6): the median time of one 512x512 frame of a 256^3 u16
// volume (MIP, DVR, isosurface) and of a 512^3 one (DVR), with the VolumeRenderer built
// once, as a viewer's orbit uses it, and the DVR frame's fast preview. Camera: the tutorial's
// (azimuth 320, elevation 30), orthographic, zoom 1. Sample distance: 1 voxel (spacing 1, so 1
// world unit). Display: gray from kLow to kHigh; DVR opacity: the ramp alpha = t over that range,
// with the default opacity unit (1/50 of the largest extent). bench/compare_volume_render.py runs
// this beside VTK's vtkFixedPointVolumeRayCastMapper and matplotlib's voxels on the same data
// (written with --dump=FOLDER) and prints the ratios.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_volume.h"
#include "vox/display.h"
#include "vox/io.h"
#include "vox/parallel.h"
#include "vox/volume.h"
#include "vox/volume_render.h"

namespace {

// The display range (data values) every mode and the peers use: the background (about
// 500..1900) maps to t = 0, so it is transparent in DVR, as a user would set it.
constexpr double kLow = 2500.0;
constexpr double kHigh = 30000.0;
// The isosurface level: the cells' edges (a body is 8000..16000 inside).
constexpr double kIsoLevel = 6000.0;
constexpr double kSampleDistance = 1.0;  // voxels
constexpr std::int64_t kFrame = 512;     // pixels a side
// The tutorial's figure: 30 cm square at matplotlib's 100 dpi.
constexpr std::int64_t kTutorialFrame = 1181;

std::uint64_t split_mix(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double uniform(std::uint64_t& state, double low, double high) {
    return low + (high - low) * double(split_mix(state) >> 11) * 0x1.0p-53;
}

// A cell: a soft-edged ellipsoid body with a brighter, smooth nucleus off its centre.
// Positions and sizes are fractions of the edge, so every edge shows the same scene.
struct Cell {
    double centre[3];      // z, y, x in [0, 1]
    double radius;         // fraction of the edge
    double squash[3];      // per-axis scale of the ellipsoid
    double body;           // brightness inside the body
    double nucleus;        // extra brightness at the nucleus centre
    double nucleus_at[3];  // offset of the nucleus, in radii
};

std::vector<Cell> make_cells() {
    std::uint64_t state = 6;
    std::vector<Cell> cells(140);
    for (Cell& cell : cells) {
        cell.radius = uniform(state, 0.03, 0.07);
        for (double& c : cell.centre)
            c = uniform(state, 0.1, 0.9);
        for (double& s : cell.squash)
            s = uniform(state, 0.75, 1.3);
        cell.body = uniform(state, 8000.0, 16000.0);
        cell.nucleus = uniform(state, 8000.0, 18000.0);
        for (double& n : cell.nucleus_at)
            n = uniform(state, -0.3, 0.3);
    }
    return cells;
}

// Deterministic cells-like u16 volume of edge^3: ~140 soft cells with nuclei over a noisy
// background (about 1000 + a slow ramp + uniform noise of +-512), spacing 1.
vox::Volume make_cells_volume(std::int64_t edge) {
    const std::vector<Cell> cells = make_cells();
    vox::Volume volume = vox::Volume::allocate({edge, edge, edge, 1}, vox::PixelType::u16);
    const auto view = volume.mutable_view<std::uint16_t>();
    const double n = double(edge);
    vox::parallel_for(0, edge, 1, [&](std::int64_t begin, std::int64_t end) {
        std::vector<float> plane(std::size_t(edge * edge));
        for (std::int64_t z = begin; z < end; ++z) {
            std::fill(plane.begin(), plane.end(), 0.0F);
            for (const Cell& cell : cells) {
                const double r = cell.radius * n;
                const double reach =
                    1.6 * r * std::max({cell.squash[0], cell.squash[1], cell.squash[2]});
                const double cz = cell.centre[0] * n;
                if (std::abs(double(z) - cz) > reach) continue;
                const double cy = cell.centre[1] * n;
                const double cx = cell.centre[2] * n;
                const std::int64_t y0 = std::max<std::int64_t>(0, std::int64_t(cy - reach));
                const std::int64_t y1 = std::min<std::int64_t>(edge - 1, std::int64_t(cy + reach));
                const std::int64_t x0 = std::max<std::int64_t>(0, std::int64_t(cx - reach));
                const std::int64_t x1 = std::min<std::int64_t>(edge - 1, std::int64_t(cx + reach));
                const double dz = (double(z) - cz) / cell.squash[0];
                const double nz = double(z) - (cz + cell.nucleus_at[0] * r);
                const double edge_width = 0.12 * r;
                const double sigma2 = 2.0 * (0.35 * r) * (0.35 * r);
                for (std::int64_t y = y0; y <= y1; ++y) {
                    const double dy = (double(y) - cy) / cell.squash[1];
                    const double ny = double(y) - (cy + cell.nucleus_at[1] * r);
                    float* row = plane.data() + y * edge;
                    for (std::int64_t x = x0; x <= x1; ++x) {
                        const double dx = (double(x) - cx) / cell.squash[2];
                        const double distance = std::sqrt(dz * dz + dy * dy + dx * dx);
                        const double body =
                            cell.body / (1.0 + std::exp((distance - r) / edge_width));
                        const double nx = double(x) - (cx + cell.nucleus_at[2] * r);
                        const double nucleus =
                            cell.nucleus * std::exp(-(nz * nz + ny * ny + nx * nx) / sigma2);
                        row[x] = std::max(row[x], float(body + nucleus));
                    }
                }
            }
            for (std::int64_t y = 0; y < edge; ++y) {
                std::uint16_t* out = view.row(z, y);
                const float* in = plane.data() + y * edge;
                for (std::int64_t x = 0; x < edge; ++x) {
                    const std::uint64_t hash = vox::bench::voxel_hash((z * edge + y) * edge + x);
                    const double noise = double(int(hash & 0x3FF) - 512);
                    const double value = 1000.0 + 300.0 * double(x) / n + noise + in[x];
                    out[x] = std::uint16_t(std::clamp(value, 0.0, 65535.0));
                }
            }
        }
    });
    return volume;
}

const vox::Volume& volume_of(std::int64_t edge) {
    static const vox::Volume v50 = make_cells_volume(50);
    static const vox::Volume v256 = make_cells_volume(256);
    if (edge == 50) return v50;
    if (edge == 256) return v256;
    static const vox::Volume v512 = make_cells_volume(512);
    return v512;
}

std::vector<vox::ResolvedChannel> display(const char* colormap) {
    vox::ResolvedChannel channel;
    channel.colormap = &vox::colormap(colormap);
    channel.low = kLow;
    channel.high = kHigh;
    return {channel};
}

vox::RenderOptions options_for(vox::RenderMode mode, std::int64_t frame = kFrame,
                               bool preview = false) {
    vox::RenderOptions options;
    options.preview = preview;
    options.width = frame;
    options.height = frame;
    options.camera = vox::named_camera("tutorial");
    options.mode = mode;
    options.sample_distance = kSampleDistance;
    options.transfer = {vox::TransferFunction{}};  // the ramp, alpha = t
    options.iso_levels = {kIsoLevel};
    return options;
}

void run_frames(benchmark::State& state, std::int64_t edge, vox::RenderMode mode,
                const char* colormap = "gray", std::int64_t frame = kFrame, bool preview = false) {
    const vox::VolumeRenderer renderer(volume_of(edge), display(colormap));
    const vox::RenderOptions options = options_for(mode, frame, preview);
    for (auto _ : state)
        benchmark::DoNotOptimize(renderer.render(options));
    state.SetItemsProcessed(state.iterations() * frame * frame);  // pixels per second
}

void BM_mip_256(benchmark::State& state) {
    run_frames(state, 256, vox::RenderMode::mip);
}
BENCHMARK(BM_mip_256)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_dvr_256(benchmark::State& state) {
    run_frames(state, 256, vox::RenderMode::dvr);
}
BENCHMARK(BM_dvr_256)->Unit(benchmark::kMillisecond)->UseRealTime();

// The fast preview of the DVR frame (quarter of the rays, twice the step, scaled up).
void BM_preview_256(benchmark::State& state) {
    run_frames(state, 256, vox::RenderMode::dvr, "gray", kFrame, true);
}
BENCHMARK(BM_preview_256)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_iso_256(benchmark::State& state) {
    run_frames(state, 256, vox::RenderMode::isosurface);
}
BENCHMARK(BM_iso_256)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_dvr_512(benchmark::State& state) {
    run_frames(state, 512, vox::RenderMode::dvr);
}
BENCHMARK(BM_dvr_512)->Unit(benchmark::kMillisecond)->UseRealTime();

// The brain-MRI tutorial's case: 50^3, viridis, alpha = value, a frame as large as its
// 30 cm figure at 100 dpi (matplotlib voxels draws the same in compare_volume_render.py).
void BM_dvr_50_tutorial(benchmark::State& state) {
    run_frames(state, 50, vox::RenderMode::dvr, "viridis", kTutorialFrame);
}
BENCHMARK(BM_dvr_50_tutorial)->Unit(benchmark::kMillisecond)->UseRealTime();

// --dump=FOLDER: the volumes as .npy, settings.json with the display and the camera, and
// one voxscope frame per mode and volume as raw RGBA (<name>.rgba, rows top to bottom) so
// the peer's pictures can be checked against ours.
int dump(const std::string& folder) {
    const struct {
        const char* name;
        std::int64_t edge;
        vox::RenderMode mode;
        const char* colormap;
        std::int64_t frame;
        bool preview;
    } frames[] = {{"mip_256", 256, vox::RenderMode::mip, "gray", kFrame, false},
                  {"dvr_256", 256, vox::RenderMode::dvr, "gray", kFrame, false},
                  {"preview_256", 256, vox::RenderMode::dvr, "gray", kFrame, true},
                  {"iso_256", 256, vox::RenderMode::isosurface, "gray", kFrame, false},
                  {"dvr_512", 512, vox::RenderMode::dvr, "gray", kFrame, false},
                  {"dvr_50_tutorial", 50, vox::RenderMode::dvr, "viridis", kTutorialFrame, false}};
    for (const std::int64_t edge : {50, 256, 512})
        vox::write_volume(volume_of(edge), folder + "/cells_" + std::to_string(edge) + ".npy");
    for (const auto& f : frames) {
        const vox::Image image = vox::render_volume(volume_of(f.edge), display(f.colormap),
                                                    options_for(f.mode, f.frame, f.preview));
        std::FILE* file = std::fopen((folder + "/" + f.name + ".rgba").c_str(), "wb");
        if (file == nullptr) return 1;
        std::fwrite(image.rgba.data(), 1, image.rgba.size(), file);
        std::fclose(file);
    }
    std::FILE* file = std::fopen((folder + "/settings.json").c_str(), "w");
    if (file == nullptr) return 1;
    const vox::Camera camera = vox::named_camera("tutorial");
    std::fprintf(file,
                 "{\"low\": %.17g, \"high\": %.17g, \"iso_level\": %.17g,\n"
                 " \"sample_distance_voxels\": %.17g, \"spacing\": [1, 1, 1],\n"
                 " \"frame\": %lld, \"tutorial_frame\": %lld,\n"
                 " \"azimuth\": %.17g, \"elevation\": %.17g, \"zoom\": 1,\n"
                 " \"projection\": \"orthographic\", \"colormap\": \"gray\",\n"
                 " \"tutorial_colormap\": \"viridis\",\n"
                 " \"opacity\": \"ramp: alpha = t = (v - low) / (high - low), clamped\",\n"
                 " \"opacity_unit_fraction_of_largest_extent\": 0.02,\n"
                 " \"background\": [0, 0, 0]}\n",
                 kLow, kHigh, kIsoLevel, kSampleDistance, static_cast<long long>(kFrame),
                 static_cast<long long>(kTutorialFrame), camera.azimuth, camera.elevation);
    std::fclose(file);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return vox::bench::run_benchmarks(argc, argv, dump);
}
