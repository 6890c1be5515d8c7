// The volumes and the reporting the processing and rendering benchmarks share.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "vox/parallel.h"
#include "vox/samples.h"
#include "vox/volume.h"

/// Registers BM_NAME<big> and BM_NAME<cells> (templates over the volume's getter) as
/// BM_NAME_512 and BM_NAME_cells, in milliseconds of real time.
#define VOX_BENCHMARK_512_AND_CELLS(name, big, cells) \
    BENCHMARK(BM_##name<big>)                         \
        ->Name("BM_" #name "_512")                    \
        ->Unit(benchmark::kMillisecond)               \
        ->UseRealTime();                              \
    BENCHMARK(BM_##name<cells>)                       \
        ->Name("BM_" #name "_cells")                  \
        ->Unit(benchmark::kMillisecond)               \
        ->UseRealTime();

namespace vox::bench {

/// A well-mixed 64-bit hash of a voxel's linear index (splitmix64's finaliser): repeatable
/// noise for the bench volumes, the same in every run and for any thread count.
inline std::uint64_t voxel_hash(std::int64_t index) {
    std::uint64_t hash = std::uint64_t(index) * 0x9E3779B97F4A7C15ull;
    hash ^= hash >> 31;
    hash *= 0xBF58476D1CE4E5B9ull;
    hash ^= hash >> 29;
    return hash;
}

// Deterministic microscopy-like volume: noisy background, bright blocky structures.
inline vox::Volume make_bench_volume(std::int64_t edge) {
    vox::Volume volume = vox::Volume::allocate({edge, edge, edge, 1}, vox::PixelType::u16);
    const auto view = volume.mutable_view<std::uint16_t>();
    vox::parallel_for(0, edge, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t z = begin; z < end; ++z) {
            for (std::int64_t y = 0; y < edge; ++y) {
                std::uint16_t* row = view.row(z, y);
                for (std::int64_t x = 0; x < edge; ++x) {
                    const std::uint64_t hash = vox::bench::voxel_hash((z * edge + y) * edge + x);
                    const int structure = ((x / 37 + y / 53 + z / 29) % 5 == 0) ? 20000 : 0;
                    row[x] = std::uint16_t(900 + int(hash & 0x3FF) + structure);
                }
            }
        }
    });
    return volume;
}

// The 512^3 u16 bench volume, made once.
inline const vox::Volume& big() {
    static const vox::Volume volume = make_bench_volume(512);
    return volume;
}

// sample:cells (60x256x256x2 u16), made once.
inline const vox::Volume& cells() {
    static const vox::Volume volume = vox::make_sample("sample:cells");
    return volume;
}

// Voxels and bytes per second of `volume` in Google Benchmark's counters.
inline void report(benchmark::State& state, const vox::Volume& volume) {
    state.SetItemsProcessed(state.iterations() * volume.shape().values());
    state.SetBytesProcessed(state.iterations() * volume.size_bytes());
}

/// Whether freed memory is kept for the next result, as the voxscope command keeps it
/// (keep_freed_memory()), or returned to the system, as for a library caller that did not
/// ask: each result then faults in fresh pages.
enum class FreedMemory { kept, returned };

/// The main() of a benchmark whose compare script needs its data: `--dump=FOLDER` calls
/// dump(FOLDER) and returns its status (1, with the error, if it throws); anything else
/// runs the benchmarks.
template <typename Dump>
int run_benchmarks(int argc, char** argv, Dump dump, FreedMemory freed = FreedMemory::kept) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view argument = argv[i];
        if (!argument.starts_with("--dump=")) continue;
        try {
            return dump(std::string(argument.substr(7)));
        } catch (const std::exception& error) {
            std::fprintf(stderr, "%s: %s\n", argv[0], error.what());
            return 1;
        }
    }
    if (freed == FreedMemory::kept) vox::keep_freed_memory();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

}  // namespace vox::bench
