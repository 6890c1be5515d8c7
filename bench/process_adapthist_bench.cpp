// Benchmarks of equalize_adapthist (CLAHE): the cells sample's nuclei channel (as in the
// tutorial, through img_as_float) and a 256^3 random u16 volume, with skimage's defaults.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "bench_volume.h"
#include "vox/adapthist.h"
#include "vox/convert.h"
#include "vox/io.h"
#include "vox/samples.h"

namespace {

const vox::Volume& cells_nuclei() {
    static const vox::Volume volume =
        vox::img_as_float(vox::make_sample("sample:cells").channel(1)).contiguous();
    return volume;
}

const vox::Volume& random_u16() {
    static const vox::Volume volume = [] {
        vox::Volume v = vox::Volume::allocate({256, 256, 256, 1}, vox::PixelType::u16);
        std::mt19937 engine(42);
        auto view = v.mutable_view<std::uint16_t>();
        for (std::int64_t i = 0; i < v.shape().voxels(); ++i)
            view.origin[i] = std::uint16_t(engine() & 0xffff);
        return v;
    }();
    return volume;
}

void run(benchmark::State& state, const vox::Volume& volume) {
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::equalize_adapthist(volume));
    state.SetItemsProcessed(state.iterations() * volume.shape().voxels());
    state.counters["voxels/s"] = benchmark::Counter(
        double(state.iterations() * volume.shape().voxels()), benchmark::Counter::kIsRate);
}

void BM_adapthist_cells(benchmark::State& state) {
    run(state, cells_nuclei());
}
void BM_adapthist_random256(benchmark::State& state) {
    run(state, random_u16());
}

BENCHMARK(BM_adapthist_cells)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_adapthist_random256)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

// `--dump=DIR` writes the inputs as DIR/cells_nuclei.npy and DIR/random256.npy for the
// skimage side and exits.
int main(int argc, char** argv) {
    return vox::bench::run_benchmarks(
        argc, argv,
        [](const std::string& dir) {
            vox::write_volume(cells_nuclei(), dir + "/cells_nuclei.npy");
            vox::write_volume(random_u16(), dir + "/random256.npy");
            return 0;
        },
        vox::bench::FreedMemory::returned);
}
