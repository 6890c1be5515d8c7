// Throughput of threshold_otsu and label (26-connectivity) on a 512^3 u16 volume.
// bench/compare_segmentation.py runs this beside scikit-image on the same data (--dump writes
// it as raw little-endian u16) and prints the ratios.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "bench_volume.h"
#include "vox/parallel.h"
#include "vox/segmentation.h"
#include "vox/volume.h"

namespace {

constexpr std::int64_t kEdge = 512;

// Noisy background with bright ellipsoidal "nuclei" on a jittered grid: thresholding gives
// a few thousand components plus speckle, a realistic load for labelling.
vox::Volume make_bench_volume(std::int64_t edge) {
    vox::Volume volume = vox::Volume::allocate({edge, edge, edge, 1}, vox::PixelType::u16);
    const auto view = volume.mutable_view<std::uint16_t>();
    vox::parallel_for(0, edge, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t z = begin; z < end; ++z) {
            for (std::int64_t y = 0; y < edge; ++y) {
                std::uint16_t* row = view.row(z, y);
                for (std::int64_t x = 0; x < edge; ++x) {
                    const std::uint64_t hash = vox::bench::voxel_hash((z * edge + y) * edge + x);
                    const double dz = double(z % 24) - 12.0, dy = double(y % 20) - 10.0,
                                 dx = double(x % 28) - 14.0;
                    const double r = dz * dz / 64.0 + dy * dy / 49.0 + dx * dx / 100.0;
                    const int signal = r < 1.0 ? int(3000.0 * (1.0 - r)) : 0;
                    row[x] = std::uint16_t(500 + int(hash & 0x7FF) + signal);
                }
            }
        }
    });
    return volume;
}

const vox::Volume& bench_volume() {
    static const vox::Volume volume = make_bench_volume(kEdge);
    return volume;
}

void BM_threshold_otsu(benchmark::State& state) {
    const vox::Volume& volume = bench_volume();
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::threshold_otsu(volume));
    state.SetItemsProcessed(state.iterations() * volume.shape().voxels());
}

void BM_label(benchmark::State& state) {
    const vox::Volume& volume = bench_volume();
    const vox::Volume mask = vox::threshold(volume, vox::threshold_otsu(volume));
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::label(mask, 26));
    state.SetItemsProcessed(state.iterations() * volume.shape().voxels());
}

BENCHMARK(BM_threshold_otsu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_label)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg.starts_with("--dump=")) {
            const std::string path(arg.substr(7));
            const vox::Volume& volume = bench_volume();
            std::FILE* file = std::fopen(path.c_str(), "wb");
            if (file == nullptr) return 1;
            const bool ok = std::fwrite(volume.view<std::uint16_t>().origin, 2,
                                        std::size_t(volume.shape().voxels()),
                                        file) == std::size_t(volume.shape().voxels());
            return std::fclose(file) == 0 && ok ? 0 : 1;
        }
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
