// Throughput of the mesh writers (write_mesh) on a 1000x1000 torus grid (1M vertices with
// normals, 2M triangles): binary and ASCII PLY, STL, OBJ, in bytes of file per second. For
// context, the same bytes as the binary PLY written with one write() + fsync + rename (the
// disk's ceiling for an atomic write) and copied with memcpy (memory bandwidth).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numbers>
#include <string>
#include <vector>

#include "vox/mesh.h"

namespace {

constexpr std::uint32_t kRing = 1000;  // vertices around the tube
constexpr std::uint32_t kTube = 1000;  // rings around the torus

/// A closed torus (major radius 3, minor radius 1) as a kTube x kRing grid.
const vox::Mesh& torus() {
    static const vox::Mesh mesh = [] {
        vox::Mesh torus;
        torus.positions.reserve(std::size_t(kRing) * kTube);
        torus.normals.reserve(std::size_t(kRing) * kTube);
        for (std::uint32_t i = 0; i < kTube; ++i) {
            const double u = 2.0 * std::numbers::pi * i / kTube;
            for (std::uint32_t j = 0; j < kRing; ++j) {
                const double v = 2.0 * std::numbers::pi * j / kRing;
                const double radius = 3.0 + std::cos(v);
                torus.positions.push_back(
                    {float(radius * std::cos(u)), float(radius * std::sin(u)), float(std::sin(v))});
                torus.normals.push_back({float(std::cos(v) * std::cos(u)),
                                         float(std::cos(v) * std::sin(u)), float(std::sin(v))});
            }
        }
        torus.triangles.reserve(std::size_t(2) * kRing * kTube);
        for (std::uint32_t i = 0; i < kTube; ++i) {
            for (std::uint32_t j = 0; j < kRing; ++j) {
                const std::uint32_t a = i * kRing + j;
                const std::uint32_t b = ((i + 1) % kTube) * kRing + j;
                const std::uint32_t c = ((i + 1) % kTube) * kRing + (j + 1) % kRing;
                const std::uint32_t d = i * kRing + (j + 1) % kRing;
                torus.triangles.push_back({a, b, c});
                torus.triangles.push_back({a, c, d});
            }
        }
        torus.unit = "mm";
        return torus;
    }();
    return mesh;
}

std::string temporary_path(const char* extension) {
    return (std::filesystem::temp_directory_path() /
            ("vox_mesh_io_bench_" + std::to_string(::getpid()) + extension))
        .string();
}

void write_format(benchmark::State& state, const char* extension, bool ascii) {
    const vox::Mesh& mesh = torus();
    const std::string path = temporary_path(extension);
    vox::MeshWriteOptions options;
    options.ascii = ascii;
    for (auto _ : state)
        vox::write_mesh(path, mesh, options);
    const auto bytes = std::int64_t(std::filesystem::file_size(path));
    state.SetBytesProcessed(state.iterations() * bytes);
    state.counters["file_MB"] = double(bytes) / 1e6;
    state.counters["triangles"] = double(mesh.triangle_count());
    std::filesystem::remove(path);
}

void BM_write_ply_binary(benchmark::State& state) {
    write_format(state, ".ply", false);
}
void BM_write_ply_ascii(benchmark::State& state) {
    write_format(state, ".ply", true);
}
void BM_write_stl(benchmark::State& state) {
    write_format(state, ".stl", false);
}
void BM_write_obj(benchmark::State& state) {
    write_format(state, ".obj", false);
}

/// The binary PLY's size: 1M vertices x 24 bytes + 2M faces x 13 bytes (+ a short header).
std::size_t binary_ply_bytes() {
    return std::size_t(kRing) * kTube * 24 + std::size_t(2) * kRing * kTube * 13;
}

void BM_one_write_fsync_rename(benchmark::State& state) {
    const std::vector<char> bytes(binary_ply_bytes(), 'x');
    const std::string path = temporary_path(".raw");
    const std::string temporary = path + ".tmp";
    for (auto _ : state) {
        const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (descriptor < 0 ||
            ::write(descriptor, bytes.data(), bytes.size()) != ssize_t(bytes.size()) ||
            ::fsync(descriptor) != 0 || ::close(descriptor) != 0 ||
            ::rename(temporary.c_str(), path.c_str()) != 0) {
            state.SkipWithError("write failed");
            break;
        }
    }
    state.SetBytesProcessed(state.iterations() * std::int64_t(bytes.size()));
    std::filesystem::remove(path);
}

void BM_memcpy(benchmark::State& state) {
    const std::vector<char> source(binary_ply_bytes(), 'x');
    std::vector<char> destination(source.size());
    for (auto _ : state) {
        std::memcpy(destination.data(), source.data(), source.size());
        benchmark::DoNotOptimize(destination.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * std::int64_t(source.size()));
}

}  // namespace

BENCHMARK(BM_write_ply_binary)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_write_ply_ascii)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_write_stl)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_write_obj)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_one_write_fsync_rename)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_memcpy)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
