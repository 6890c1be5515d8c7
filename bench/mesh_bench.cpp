// Marching cubes (issue 7) on blob volumes of 256^3 and 512^3 and on the cells sample's
// nuclei. bench/compare_mesh.py runs each beside scikit-image's marching_cubes and VTK's
// vtkFlyingEdges3D on the same volumes (written with --dump=FOLDER) and prints the ratios.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench_volume.h"
#include "vox/io.h"
#include "vox/isosurface.h"
#include "vox/segmentation.h"

namespace {

// Blobs: the sum of three products of cosines along x, y and z (periods of 23 to 61 voxels),
// mapped to u16 around 32768. Separable, so a 512^3 volume is made in a moment; its level
// set at kBlobLevel is a tangle of rounded blobs and tunnels, about 2% of the cells active.
constexpr double kBlobLevel = 32768.5;

vox::Volume make_blob_volume(std::int64_t edge) {
    constexpr double kPi = 3.14159265358979323846;
    const double periods[3][3] = {{41, 53, 29}, {23, 37, 47}, {61, 31, 43}};
    const double phases[3][3] = {{0.3, 1.1, 2.0}, {0.7, 2.5, 0.2}, {1.9, 0.4, 1.3}};
    const double weights[3] = {0.5, 0.3, 0.2};
    std::vector<double> table(std::size_t(3 * 3 * edge));  // [term][axis][index]
    for (int term = 0; term < 3; ++term) {
        for (int axis = 0; axis < 3; ++axis) {
            for (std::int64_t i = 0; i < edge; ++i) {
                table[std::size_t((term * 3 + axis) * edge + i)] =
                    std::cos(2 * kPi * double(i) / periods[term][axis] + phases[term][axis]);
            }
        }
    }
    vox::Volume volume = vox::Volume::allocate({edge, edge, edge, 1}, vox::PixelType::u16);
    const auto view = volume.mutable_view<std::uint16_t>();
    vox::parallel_for(0, edge, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t z = begin; z < end; ++z) {
            for (std::int64_t y = 0; y < edge; ++y) {
                std::uint16_t* row = view.row(z, y);
                for (std::int64_t x = 0; x < edge; ++x) {
                    double value = 0.0;
                    for (int term = 0; term < 3; ++term) {
                        const double* t = &table[std::size_t(term * 3 * edge)];
                        value += weights[term] * t[x] * t[edge + y] * t[2 * edge + z];
                    }
                    row[x] = std::uint16_t(std::lround(32768.0 + 30000.0 * value));
                }
            }
        }
    });
    return volume;
}

const vox::Volume& blobs(std::int64_t edge) {
    static const vox::Volume small = make_blob_volume(256);
    static const vox::Volume large = make_blob_volume(512);
    return edge == 256 ? small : large;
}

const vox::Volume& nuclei() {
    static const vox::Volume channel = vox::bench::cells().channel(1).contiguous();
    return channel;
}

double nuclei_level() {
    static const double level = vox::threshold_otsu(nuclei());
    return level;
}

void run_isosurface(benchmark::State& state, const vox::Volume& volume, double level) {
    std::size_t triangles = 0;
    for (auto _ : state) {
        const vox::Mesh mesh = vox::isosurface(
            volume, {.level = level, .normals = std::getenv("VOX_BENCH_NO_NORMALS") == nullptr});
        triangles = mesh.triangle_count();
        benchmark::DoNotOptimize(mesh.positions.data());
    }
    vox::bench::report(state, volume);
    state.counters["triangles"] = double(triangles);
    state.counters["triangles_per_s"] = benchmark::Counter(
        double(triangles) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_marching_cubes_256(benchmark::State& state) {
    run_isosurface(state, blobs(256), kBlobLevel);
}
BENCHMARK(BM_marching_cubes_256)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_marching_cubes_512(benchmark::State& state) {
    run_isosurface(state, blobs(512), kBlobLevel);
}
BENCHMARK(BM_marching_cubes_512)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_marching_cubes_cells(benchmark::State& state) {
    run_isosurface(state, nuclei(), nuclei_level());
}
BENCHMARK(BM_marching_cubes_cells)->Unit(benchmark::kMillisecond)->UseRealTime();

// --dump=FOLDER: the volumes as .npy and settings.json with the levels.
int dump(const std::string& folder) {
    vox::write_volume(blobs(256), folder + "/blobs_256.npy");
    vox::write_volume(blobs(512), folder + "/blobs_512.npy");
    vox::write_volume(nuclei(), folder + "/cells.npy");
    std::FILE* file = std::fopen((folder + "/settings.json").c_str(), "w");
    if (file == nullptr) return 1;
    std::fprintf(file, "{\"blob_level\": %.17g, \"cells_level\": %.17g}\n", kBlobLevel,
                 nuclei_level());
    std::fclose(file);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return vox::bench::run_benchmarks(argc, argv, dump);
}
