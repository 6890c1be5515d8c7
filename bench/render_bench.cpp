// Speed of figures: ortho of an already-loaded 512^3 u16 volume to PNG, a 30-tile montage
// of 256^2 planes, and the parts (the ortho by phase, colouring only, the range only).
// bench/compare_render.py runs this beside matplotlib drawing the same figures from the
// same data (written with --dump=FOLDER) and prints the ratios.
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "bench_volume.h"
#include "vox/animate.h"
#include "vox/io.h"
#include "vox/render.h"
#include "vox/samples.h"

namespace {

using vox::bench::big;
using vox::bench::make_bench_volume;

std::string scratch(const std::string& name) {
    return (std::filesystem::temp_directory_path() / name).string();
}

// 60 planes of 256^2, as the cells sample: the montage's and the animation's input.
const vox::Volume& stack_volume() {
    static const vox::Volume volume = make_bench_volume(256).crop({{0, 0, 0}, {60, 256, 256}});
    return volume;
}

// The whole command after loading: ranges from the data, three planes, PNG on disk.
void BM_ortho_512_png(benchmark::State& state) {
    const vox::Volume& volume = big();
    const std::string path = scratch("vox_bench_ortho.png");
    for (auto _ : state) {
        const auto channels = vox::resolve_mapping(volume, vox::default_mapping(volume));
        vox::write_figure(vox::ortho_panels(volume, {256, 256, 256}, channels, false), {}, path);
    }
    std::filesystem::remove(path);
}
BENCHMARK(BM_ortho_512_png)->Unit(benchmark::kMillisecond)->UseRealTime();

// BM_ortho_512_png timed by phase, as counters in ms: the display range (a pass over the
// volume), the three panels (colouring; the column costs a cache miss per voxel), and
// drawing, encoding and writing the PNG.
void BM_ortho_phases(benchmark::State& state) {
    using Clock = std::chrono::steady_clock;
    const vox::Volume& volume = big();
    const std::string path = scratch("vox_bench_ortho_phases.png");
    double range_ms = 0.0;
    double panels_ms = 0.0;
    double write_ms = 0.0;
    const auto since = [](Clock::time_point start) {
        return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    };
    for (auto _ : state) {
        auto start = Clock::now();
        const auto channels = vox::resolve_mapping(volume, vox::default_mapping(volume));
        range_ms += since(start);
        start = Clock::now();
        const auto panels = vox::ortho_panels(volume, {256, 256, 256}, channels, false);
        panels_ms += since(start);
        start = Clock::now();
        vox::write_figure(panels, {}, path);
        write_ms += since(start);
    }
    const auto iterations = double(state.iterations());
    state.counters["range_ms"] = range_ms / iterations;
    state.counters["panels_ms"] = panels_ms / iterations;
    state.counters["write_ms"] = write_ms / iterations;
    std::filesystem::remove(path);
}
BENCHMARK(BM_ortho_phases)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same figure with the display range already known (a viewer resolves it once at load):
// three planes, drawing and PNG only.
void BM_ortho_512_png_range_known(benchmark::State& state) {
    const vox::Volume& volume = big();
    const std::string path = scratch("vox_bench_ortho_known.png");
    const auto channels = vox::resolve_mapping(volume, vox::default_mapping(volume));
    for (auto _ : state)
        vox::write_figure(vox::ortho_panels(volume, {256, 256, 256}, channels, false), {}, path);
    std::filesystem::remove(path);
}
BENCHMARK(BM_ortho_512_png_range_known)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ortho_512_map_only(benchmark::State& state) {
    const vox::Volume& volume = big();
    const auto channels = vox::resolve_mapping(volume, vox::default_mapping(volume));
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::ortho_panels(volume, {256, 256, 256}, channels, false));
}
BENCHMARK(BM_ortho_512_map_only)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_resolve_ranges_512(benchmark::State& state) {
    const vox::Volume& volume = big();
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::resolve_mapping(volume, vox::default_mapping(volume)));
}
BENCHMARK(BM_resolve_ranges_512)->Unit(benchmark::kMillisecond)->UseRealTime();

// 30 planes of 256^2 (every 2nd plane of a 60x256x256 volume), 6 columns.
void BM_montage_30_png(benchmark::State& state) {
    const vox::Volume& volume = stack_volume();
    const std::string path = scratch("vox_bench_montage.png");
    for (auto _ : state) {
        const auto channels = vox::resolve_mapping(volume, vox::default_mapping(volume));
        std::vector<vox::Panel> panels;
        for (std::int64_t z = 0; z < 60; z += 2)
            panels.push_back(vox::slice_panel(volume, vox::Axis::z, z, channels));
        vox::FigureOptions options;
        options.columns = 6;
        vox::write_figure(panels, options, path);
    }
    std::filesystem::remove(path);
}
BENCHMARK(BM_montage_30_png)->Unit(benchmark::kMillisecond)->UseRealTime();

// The tutorial's z-sweep: 60 planes of 256^2 to an animated GIF, one shared range.
void BM_animate_60_gif(benchmark::State& state) {
    const vox::Volume& volume = stack_volume();
    const std::string path = scratch("vox_bench_sweep.gif");
    for (auto _ : state) {
        const auto channels = vox::resolve_mapping(volume, vox::default_mapping(volume));
        vox::animate_axis(volume, vox::Axis::z, channels, path);
    }
    std::filesystem::remove(path);
}
BENCHMARK(BM_animate_60_gif)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    // --dump=FOLDER writes the inputs for compare_render.py.
    return vox::bench::run_benchmarks(argc, argv, [](const std::string& folder) {
        vox::write_volume(big(), folder + "/big.npy");
        return 0;
    });
}
