// Throughput of shell_points (the slice-stack shell) on 256 slices of 512x512 u8 blobs.
// bench/compare_points.py runs this beside the tutorial's Python/OpenCV algorithm on the same
// data (--dump writes it as raw u8, z-y-x) and prints the ratio.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "bench_volume.h"
#include "vox/parallel.h"
#include "vox/point_cloud.h"
#include "vox/volume.h"

namespace {

constexpr std::int64_t kPlanes = 256;
constexpr std::int64_t kEdge = 512;

// Smooth blobs (products of slow sines) with a little noise on their borders: thresholding at
// 0:100 keeps dark regions a few tens of voxels across with ragged edges, as the tutorial's
// tumour slices.
vox::Volume make_bench_volume() {
    vox::Volume volume = vox::Volume::allocate({kPlanes, kEdge, kEdge, 1}, vox::PixelType::u8);
    const auto view = volume.mutable_view<std::uint8_t>();
    vox::parallel_for(0, kPlanes, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t z = begin; z < end; ++z) {
            for (std::int64_t y = 0; y < kEdge; ++y) {
                std::uint8_t* row = view.row(z, y);
                for (std::int64_t x = 0; x < kEdge; ++x) {
                    const double blob =
                        std::sin(double(x) / 23.0 + double(z) / 40.0) * std::cos(double(y) / 31.0) +
                        0.5 * std::sin(double(z) / 17.0 + double(y + x) / 47.0);
                    const std::uint64_t hash = vox::bench::voxel_hash((z * kEdge + y) * kEdge + x);
                    const double value = 150.0 + 80.0 * blob + double(hash & 15) - 7.5;
                    row[x] = std::uint8_t(std::lround(std::fmin(255.0, std::fmax(0.0, value))));
                }
            }
        }
    });
    return volume;
}

const vox::Volume& bench_volume() {
    static const vox::Volume volume = make_bench_volume();
    return volume;
}

void run(benchmark::State& state, const vox::ShellOptions& options) {
    const vox::Volume& volume = bench_volume();
    std::size_t points = 0;
    for (auto _ : state) {
        const vox::PointCloud cloud = vox::shell_points(volume, options);
        points = cloud.size();
        benchmark::DoNotOptimize(cloud.positions.data());
    }
    state.SetItemsProcessed(state.iterations() * volume.shape().voxels());
    state.counters["points"] = double(points);
    state.counters["points/s"] = benchmark::Counter(double(points) * double(state.iterations()),
                                                    benchmark::Counter::kIsRate);
}

void BM_shell_points(benchmark::State& state) {
    vox::ShellOptions options;
    options.lower = 0;
    options.upper = 100;
    options.slice_thickness = 0.2;
    options.xy_scale = 1.0;
    run(state, options);
}

// The tutorial's resize (here to 256x256) before thresholding.
void BM_shell_points_resize(benchmark::State& state) {
    vox::ShellOptions options;
    options.lower = 0;
    options.upper = 100;
    options.resize = std::array<std::int64_t, 2>{256, 256};
    options.slice_thickness = 0.2;
    options.xy_scale = 1.0;
    run(state, options);
}

BENCHMARK(BM_shell_points)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_shell_points_resize)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    // --dump=PATH writes the volume's voxels (raw u8) for compare_points.py.
    return vox::bench::run_benchmarks(argc, argv, [](const std::string& path) {
        const vox::Volume& volume = bench_volume();
        std::FILE* file = std::fopen(path.c_str(), "wb");
        if (file == nullptr) return 1;
        const auto voxels = std::size_t(volume.shape().voxels());
        const bool ok = std::fwrite(volume.view<std::uint8_t>().origin, 1, voxels, file) == voxels;
        return std::fclose(file) == 0 && ok ? 0 : 1;
    });
}
