// Speed of the thresholds (Otsu, Li, Yen, triangle, mean), in_range, label (26-connectivity)
// and label_statistics on a 512^3 u16 volume of nuclei and on the nuclei of sample:cells.
// bench/compare_segmentation.py runs this beside scikit-image and OpenCV on the same data
// (written with --dump=FOLDER) and prints the ratios.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "bench_volume.h"
#include "vox/io.h"
#include "vox/parallel.h"
#include "vox/samples.h"
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

const vox::Volume& big() {
    static const vox::Volume volume = make_bench_volume(kEdge);
    return volume;
}

// The nuclei of sample:cells, the channel the tutorial thresholds and counts.
const vox::Volume& nuclei() {
    static const vox::Volume volume = [] {
        const vox::Volume cells = vox::make_sample("sample:cells");
        return cells.channel(cells.shape().c - 1).copy();
    }();
    return volume;
}

// Each volume's Otsu mask and its labels, made once, outside the timed loops.
template <const vox::Volume& (*volume)()>
const vox::Volume& mask_of() {
    static const vox::Volume mask = vox::threshold(volume(), vox::threshold_otsu(volume()));
    return mask;
}
template <const vox::Volume& (*volume)()>
const vox::Volume& labels_of() {
    static const vox::Volume labels = vox::label(mask_of<volume>(), 26);
    return labels;
}

void count_voxels(benchmark::State& state, const vox::Volume& volume) {
    state.SetItemsProcessed(state.iterations() * volume.shape().voxels());
}

// BM_NAME_512 and BM_NAME_cells, `v` being the volume.
#define VOX_SEGMENTATION_BENCH(name, expression)                          \
    template <const vox::Volume& (*volume)()>                             \
    void BM_##name(benchmark::State& state) {                             \
        [[maybe_unused]] const vox::Volume& v = volume();                 \
        [[maybe_unused]] const vox::Volume& mask = mask_of<volume>();     \
        [[maybe_unused]] const vox::Volume& labels = labels_of<volume>(); \
        for (auto _ : state)                                              \
            benchmark::DoNotOptimize(expression);                         \
        count_voxels(state, v);                                           \
    }                                                                     \
    VOX_BENCHMARK_512_AND_CELLS(name, big, nuclei)

VOX_SEGMENTATION_BENCH(threshold_otsu, vox::threshold_otsu(v))
VOX_SEGMENTATION_BENCH(threshold_li, vox::threshold_li(v))
VOX_SEGMENTATION_BENCH(threshold_yen, vox::threshold_yen(v))
VOX_SEGMENTATION_BENCH(threshold_triangle, vox::threshold_triangle(v))
VOX_SEGMENTATION_BENCH(threshold_mean, vox::threshold_mean(v))
// The seed's cv2.inRange(img, 0, 100), scaled to these volumes' values.
VOX_SEGMENTATION_BENCH(in_range, vox::in_range(v, 0, 2000))
VOX_SEGMENTATION_BENCH(label, vox::label(mask, 26))
VOX_SEGMENTATION_BENCH(label_statistics, vox::label_statistics(labels, v))

}  // namespace

int main(int argc, char** argv) {
    // --dump=FOLDER writes the volumes and their Otsu masks for compare_segmentation.py.
    return vox::bench::run_benchmarks(
        argc, argv,
        [](const std::string& folder) {
            vox::write_volume(big(), folder + "/big.npy");
            vox::write_volume(nuclei(), folder + "/cells.npy");
            return 0;
        },
        vox::bench::FreedMemory::returned);  // library calls, as measured before
}
