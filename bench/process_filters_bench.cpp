// Speed of the filters (Gaussian, median, projections) on a 512^3 u16 volume and on
// sample:cells. bench/compare_filters.py runs this beside scipy / scikit-image / numpy on
// the same data (written with --dump=FOLDER) and prints the ratios.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "bench_volume.h"
#include "vox/filters.h"
#include "vox/io.h"
#include "vox/parallel.h"
#include "vox/samples.h"

namespace {

using vox::bench::big;
using vox::bench::cells;
using vox::bench::report;

void BM_gaussian_512(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::gaussian(big(), 2.0));
    report(state, big());
}
void BM_gaussian_cells(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::gaussian(cells(), 2.0));
    report(state, cells());
}
void BM_median_cells(benchmark::State& state) {
    const vox::Volume membrane = cells().channel(0);
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::median(membrane, 1));
    report(state, membrane);
}
template <vox::Axis axis, vox::ProjectMode mode>
void BM_project(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::project(big(), axis, mode));
    report(state, big());
}

BENCHMARK(BM_gaussian_512)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_gaussian_cells)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_median_cells)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_project<vox::Axis::z, vox::ProjectMode::max>)
    ->Name("BM_project_max_z")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_project<vox::Axis::z, vox::ProjectMode::mean>)
    ->Name("BM_project_mean_z")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_project<vox::Axis::x, vox::ProjectMode::sum>)
    ->Name("BM_project_sum_x")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_project<vox::Axis::y, vox::ProjectMode::std>)
    ->Name("BM_project_std_y")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    // --dump=FOLDER writes the inputs for compare_filters.py and exits.
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "--dump=", 7) == 0) {
            const std::string folder = argv[i] + 7;
            vox::write_volume(big(), folder + "/big.npy");
            vox::write_volume(cells(), folder + "/cells.npy");
            return 0;
        }
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
