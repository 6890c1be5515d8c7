// Throughput of statistics over a 512^3 u16 volume, beside memcpy as the bandwidth ceiling.
// bench/compare_stats.py runs this beside numpy on the same data and prints the ratios.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bench_volume.h"
#include "vox/error.h"
#include "vox/parallel.h"
#include "vox/stats.h"
#include "vox/volume.h"

namespace {

// A deterministic microscopy-like volume: a dim noisy background and bright smooth structures,
// so histograms and selection see realistic ties and tails.
vox::Volume make_bench_volume(std::int64_t edge) {
    vox::Volume volume = vox::Volume::allocate({edge, edge, edge, 1}, vox::PixelType::u16);
    const auto view = volume.mutable_view<std::uint16_t>();
    vox::parallel_for(0, edge, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t z = begin; z < end; ++z) {
            for (std::int64_t y = 0; y < edge; ++y) {
                std::uint16_t* row = view.row(z, y);
                for (std::int64_t x = 0; x < edge; ++x) {
                    const std::uint64_t hash = vox::bench::voxel_hash((z * edge + y) * edge + x);
                    const int noise = int(hash & 0x3FF);
                    const int structure = ((x / 37 + y / 53 + z / 29) % 5 == 0)
                                              ? 20000 + int((hash >> 20) & 0x3FFF)
                                              : 0;
                    row[x] = std::uint16_t(900 + noise + structure);
                }
            }
        }
    });
    return volume;
}

const vox::Volume& bench_volume(std::int64_t edge) {
    static vox::Volume cached;
    if (cached.shape().x != edge) cached = make_bench_volume(edge);
    return cached;
}

void BM_memcpy(benchmark::State& state) {
    const vox::Volume& volume = bench_volume(state.range(0));
    std::vector<std::uint8_t> target(std::size_t(volume.size_bytes()));
    const auto* source = volume.view<std::uint16_t>().origin;
    for (auto _ : state) {
        std::memcpy(target.data(), source, target.size());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * volume.size_bytes());
}

void BM_min_max(benchmark::State& state) {
    const vox::Volume& volume = bench_volume(state.range(0));
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::min_max(volume));
    state.SetBytesProcessed(state.iterations() * volume.size_bytes());
}

void BM_percentiles(benchmark::State& state) {
    const vox::Volume& volume = bench_volume(state.range(0));
    const double q[] = {0.5, 50.0, 99.5};
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::percentiles(volume, q));
    state.SetBytesProcessed(state.iterations() * volume.size_bytes());
}

void BM_compute_stats(benchmark::State& state) {
    const vox::Volume& volume = bench_volume(state.range(0));
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::compute_stats(volume));
    state.SetBytesProcessed(state.iterations() * volume.size_bytes());
}

BENCHMARK(BM_memcpy)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_min_max)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_percentiles)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_compute_stats)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

// `--dump=PATH` writes the 512^3 volume as raw little-endian u16 for the numpy side and exits.
int main(int argc, char** argv) {
    return vox::bench::run_benchmarks(
        argc, argv,
        [](const std::string& path) {
            const vox::Volume& volume = bench_volume(512);
            std::FILE* file = std::fopen(path.c_str(), "wb");
            if (file == nullptr) throw vox::IoError("cannot write '" + path + "'");
            const auto written = std::fwrite(volume.view<std::uint16_t>().origin, 1,
                                             std::size_t(volume.size_bytes()), file);
            return (std::fclose(file) == 0 && written == std::size_t(volume.size_bytes())) ? 0 : 1;
        },
        vox::bench::FreedMemory::returned);
}
