// Speed of the geometry operations on a 512^3 u16 volume and on the cells nuclei: resize
// (the tutorial's 50^3, and to half size with orders 0 and 3), isotropic resampling of the
// cells, crop, flip, axis permutation, pad and block mean. bench/compare_geometry.py runs
// this beside scikit-image / numpy on the same data and prints the ratios.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
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

const vox::Volume& big() {
    static const vox::Volume volume = make_bench_volume(512);
    return volume;
}
const vox::Volume& nuclei() {
    static const vox::Volume volume = cells_nuclei();
    return volume;
}

vox::ResizeOptions order(int spline_order) {
    vox::ResizeOptions options;
    options.order = spline_order;
    return options;
}

// BM_NAME_512 and BM_NAME_cells, `v` being the volume and `half` half its shape.
#define VOX_GEOMETRY_BENCH(name, expression)                                                      \
    template <const vox::Volume& (*volume)()>                                                     \
    void BM_##name(benchmark::State& state) {                                                     \
        const vox::Volume& v = volume();                                                          \
        [[maybe_unused]] const std::array<std::int64_t, 3> half{v.shape().z / 2, v.shape().y / 2, \
                                                                v.shape().x / 2};                 \
        for (auto _ : state)                                                                      \
            benchmark::DoNotOptimize(expression);                                                 \
        vox::bench::report(state, v);                                                             \
    }                                                                                             \
    VOX_BENCHMARK_512_AND_CELLS(name, big, nuclei)

// The tutorial's sizes: 512^3 to 256^3, and the cells nuclei to 50^3 (a 50^3 cube to plot).
void BM_resize_512_to_256(benchmark::State& state) {
    const vox::Volume& volume = big();
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::resize(volume, {256, 256, 256}));
    vox::bench::report(state, volume);
}
BENCHMARK(BM_resize_512_to_256)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_resize_cells_to_50(benchmark::State& state) {
    const vox::Volume& volume = nuclei();
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::resize(volume, {50, 50, 50}));
    vox::bench::report(state, volume);
}
BENCHMARK(BM_resize_cells_to_50)->Unit(benchmark::kMillisecond)->UseRealTime();

VOX_GEOMETRY_BENCH(resize_half_order0, vox::resize(v, half, order(0)))
VOX_GEOMETRY_BENCH(resize_half_order3, vox::resize(v, half, order(3)))
VOX_GEOMETRY_BENCH(crop_half, vox::crop(v, {{v.shape().z / 4, v.shape().y / 4, v.shape().x / 4},
                                            {v.shape().z / 4 + half[0], v.shape().y / 4 + half[1],
                                             v.shape().x / 4 + half[2]}}))
VOX_GEOMETRY_BENCH(flip_z, vox::flip(v, vox::Axis::z))
VOX_GEOMETRY_BENCH(flip_x, vox::flip(v, vox::Axis::x))
VOX_GEOMETRY_BENCH(permute_zyx_to_xyz, vox::permute_axes(v, {2, 1, 0}))
VOX_GEOMETRY_BENCH(pad_edge_16, vox::pad(v, {{{16, 16}, {16, 16}, {16, 16}}}, vox::PadMode::edge))
VOX_GEOMETRY_BENCH(block_mean_2, vox::block_mean(v, {2, 2, 2}))

// The confocal case: the cells' 0.29 x 0.26 x 0.26 µm voxels resampled to 0.26 µm cubes.
void BM_isotropic_cells(benchmark::State& state) {
    const vox::Volume& volume = nuclei();
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::resample_isotropic(volume));
    vox::bench::report(state, volume);
}
BENCHMARK(BM_isotropic_cells)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    // --dump=FOLDER writes the two inputs as .npy for compare_geometry.py and exits.
    return vox::bench::run_benchmarks(
        argc, argv,
        [](const std::string& folder) {
            vox::write_volume(big(), folder + "/u16_512.npy");
            vox::write_volume(nuclei(), folder + "/cells.npy");
            return 0;
        },
        vox::bench::FreedMemory::returned);  // library calls, as the exposure bench
}
