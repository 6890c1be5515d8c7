// Speed of the filters (Gaussian, median, and every projection along every axis) on a
// 512^3 u16 volume and on sample:cells (projections on the cells as float32 too).
// bench/compare_filters.py runs this beside scipy / scikit-image / numpy on the same data (written
// with --dump=FOLDER) and prints the ratios.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "bench_volume.h"
#include "vox/convert.h"
#include "vox/filters.h"
#include "vox/io.h"
#include "vox/parallel.h"
#include "vox/samples.h"

namespace {

using vox::bench::big;
using vox::bench::cells;
using vox::bench::report;

// Each benchmark takes its volume before the timed loop: the first call makes it.
void BM_gaussian_512(benchmark::State& state) {
    const vox::Volume& volume = big();
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::gaussian(volume, 2.0));
    report(state, volume);
}
void BM_gaussian_cells(benchmark::State& state) {
    const vox::Volume& volume = cells();
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::gaussian(volume, 2.0));
    report(state, volume);
}
void BM_median_cells(benchmark::State& state) {
    const vox::Volume membrane = cells().channel(0);
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::median(membrane, 1));
    report(state, membrane);
}
void BM_median_r2_cells(benchmark::State& state) {
    const vox::Volume membrane = cells().channel(0);
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::median(membrane, 2));
    report(state, membrane);
}
// Radius 5: the sliding histogram (scipy's selection takes about a minute here).
void BM_median_r5_cells(benchmark::State& state) {
    const vox::Volume membrane = cells().channel(0);
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::median(membrane, 5));
    report(state, membrane);
}
// Radius 3 on float data: ranks among each tile's distinct values as histogram bins.
void BM_median_r3_cells_f32(benchmark::State& state) {
    const vox::Volume membrane =
        vox::astype(cells().channel(0), vox::PixelType::f32, vox::CastMode::clip);
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::median(membrane, 3));
    report(state, membrane);
}
void BM_median_512(benchmark::State& state) {
    const vox::Volume& volume = big();
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::median(volume, 1));
    report(state, volume);
}

BENCHMARK(BM_gaussian_512)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_gaussian_cells)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_median_cells)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_median_r2_cells)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_median_r5_cells)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_median_r3_cells_f32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_median_512)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// The cells as float32 (compare_filters.py casts them the same way): float sums and stds
// keep numpy's order, which the integer paths need not.
const vox::Volume& cells_f32() {
    static const vox::Volume volume =
        vox::astype(cells(), vox::PixelType::f32, vox::CastMode::clip);
    return volume;
}

// Every projection mode along every axis, on the three volumes: BM_project_MODE_AXIS_DATA.
void register_projections() {
    constexpr std::pair<vox::ProjectMode, const char*> modes[] = {{vox::ProjectMode::max, "max"},
                                                                  {vox::ProjectMode::min, "min"},
                                                                  {vox::ProjectMode::mean, "mean"},
                                                                  {vox::ProjectMode::sum, "sum"},
                                                                  {vox::ProjectMode::std, "std"}};
    constexpr std::pair<vox::Axis, const char*> axes[] = {
        {vox::Axis::z, "z"}, {vox::Axis::y, "y"}, {vox::Axis::x, "x"}};
    constexpr std::pair<const vox::Volume& (*)(), const char*> volumes[] = {
        {big, "512"}, {cells, "cells"}, {cells_f32, "cellsf32"}};
    for (const auto& [mode, mode_name] : modes) {
        for (const auto& [axis, axis_name] : axes) {
            for (const auto& [volume, volume_name] : volumes) {
                const std::string name =
                    std::string("BM_project_") + mode_name + "_" + axis_name + "_" + volume_name;
                benchmark::RegisterBenchmark(
                    name.c_str(),
                    [=](benchmark::State& state) {
                        const vox::Volume& v = volume();
                        for (auto _ : state)
                            benchmark::DoNotOptimize(vox::project(v, axis, mode));
                        report(state, v);
                    })
                    ->Unit(benchmark::kMillisecond)
                    ->UseRealTime();
            }
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    // --dump=FOLDER writes the inputs for compare_filters.py and exits.
    register_projections();
    return vox::bench::run_benchmarks(
        argc, argv,
        [](const std::string& folder) {
            vox::write_volume(big(), folder + "/big.npy");
            vox::write_volume(cells(), folder + "/cells.npy");
            return 0;
        },
        vox::bench::FreedMemory::returned);  // library calls, as measured before
}
