// Speed of resize: 512^3 u16 -> 256^3 and the cells nuclei -> 50^3 (the tutorial's size).
// bench/compare_geometry.py runs this beside scikit-image on the same data and prints ratios.
// `--dump=FOLDER` writes the two inputs as .npy for the script and exits.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>

#include "bench_volume.h"
#include "vox/geometry.h"
#include "vox/io.h"
#include "vox/parallel.h"
#include "vox/samples.h"

namespace {

using vox::bench::make_bench_volume;

vox::Volume cells_nuclei() {
    const vox::Volume cells = vox::make_sample("sample:cells");
    return cells.channel(cells.shape().c - 1).copy();
}

void BM_resize_512_to_256(benchmark::State& state) {
    const vox::Volume volume = make_bench_volume(512);
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::resize(volume, {256, 256, 256}));
}
BENCHMARK(BM_resize_512_to_256)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_resize_cells_to_50(benchmark::State& state) {
    const vox::Volume volume = cells_nuclei();
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::resize(volume, {50, 50, 50}));
}
BENCHMARK(BM_resize_cells_to_50)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "--dump=", 7) == 0) {
            const std::filesystem::path folder = argv[i] + 7;
            vox::write_volume(make_bench_volume(512), (folder / "u16_512.npy").string());
            vox::write_volume(cells_nuclei(), (folder / "cells.npy").string());
            return 0;
        }
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
