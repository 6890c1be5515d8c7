// Throughput (triangles/s) of mesh_statistics, smooth_taubin and decimate on a closed torus
// of 2 n^2 triangles with a little deterministic noise (n = 1000: 2M triangles).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <numbers>

#include "vox/mesh.h"
#include "vox/mesh_processing.h"

namespace {

// A torus of n x n quads, each split into two triangles, wound outward; vertex radii carry a
// hash-based jitter of 0.2% so that smoothing and decimation have work to do.
vox::Mesh make_torus(std::int64_t n) {
    vox::Mesh mesh;
    mesh.positions.reserve(std::size_t(n * n));
    mesh.triangles.reserve(std::size_t(2 * n * n));
    const double major = 3.0, minor = 1.0;
    for (std::int64_t i = 0; i < n; ++i) {
        const double u = 2.0 * std::numbers::pi * double(i) / double(n);
        for (std::int64_t j = 0; j < n; ++j) {
            const double v = 2.0 * std::numbers::pi * double(j) / double(n);
            std::uint64_t hash = std::uint64_t(i * n + j) * 0x9E3779B97F4A7C15ull;
            hash ^= hash >> 29;
            const double r = minor * (1.0 + 0.002 * (double(hash & 0xFFFF) / 65535.0 - 0.5));
            mesh.positions.push_back({float((major + r * std::cos(v)) * std::cos(u)),
                                      float((major + r * std::cos(v)) * std::sin(u)),
                                      float(r * std::sin(v))});
        }
    }
    const auto index = [n](std::int64_t i, std::int64_t j) {
        return std::uint32_t((i % n) * n + (j % n));
    };
    for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
            const std::uint32_t a = index(i, j), b = index(i + 1, j), c = index(i + 1, j + 1),
                                d = index(i, j + 1);
            mesh.triangles.push_back({a, b, c});
            mesh.triangles.push_back({a, c, d});
        }
    }
    return mesh;
}

const vox::Mesh& torus(std::int64_t n) {
    static vox::Mesh cached;
    static std::int64_t cached_n = 0;
    if (cached_n != n) {
        cached = make_torus(n);
        cached_n = n;
    }
    return cached;
}

void BM_mesh_statistics(benchmark::State& state) {
    const vox::Mesh& mesh = torus(state.range(0));
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::mesh_statistics(mesh));
    state.SetItemsProcessed(state.iterations() * std::int64_t(mesh.triangle_count()));
}

void BM_smooth_taubin_10(benchmark::State& state) {
    const vox::Mesh& mesh = torus(state.range(0));
    for (auto _ : state) {
        state.PauseTiming();
        vox::Mesh copy = mesh;
        state.ResumeTiming();
        vox::smooth_taubin(copy, 10);
        benchmark::DoNotOptimize(copy.positions.data());
    }
    state.SetItemsProcessed(state.iterations() * std::int64_t(mesh.triangle_count()));
}

void BM_decimate_half(benchmark::State& state) {
    const vox::Mesh& mesh = torus(state.range(0));
    for (auto _ : state) {
        state.PauseTiming();
        vox::Mesh copy = mesh;
        state.ResumeTiming();
        vox::decimate(copy, {.ratio = 0.5});
        benchmark::DoNotOptimize(copy.triangles.data());
    }
    state.SetItemsProcessed(state.iterations() * std::int64_t(mesh.triangle_count()));
}

// n = 1000: 2M triangles; n = 2236: 10M triangles.
BENCHMARK(BM_mesh_statistics)->Arg(1000)->Arg(2236)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_smooth_taubin_10)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_decimate_half)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
