// Speed of the exposure operations (gamma, log, sigmoid, percentile-clipped rescale,
// equalize_hist, histogram, cdf, finite_histogram, match_histograms, per-channel
// normalization) on a 512^3 u16 volume, on sample:cells, its floats (f64, f32, and f32
// that seldom repeat) and (normalization) on sample:kidney, beside a plain copy (the memcpy bound).
// bench/compare_exposure.py runs this beside skimage.exposure on the same data (written with
// --dump=FOLDER) and prints the ratios.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "bench_volume.h"
#include "vox/convert.h"
#include "vox/exposure.h"
#include "vox/io.h"
#include "vox/parallel.h"
#include "vox/samples.h"

namespace {

using vox::bench::big;
using vox::bench::cells;
using vox::bench::report;

// BM_<name>_<suffix>: `expression` of `v`, the volume `volume()` returns.
#define VOX_EXPOSURE_BENCH_ON(name, suffix, volume, expression) \
    void BM_##name##_##suffix(benchmark::State& state) {        \
        const vox::Volume& v = volume();                        \
        for (auto _ : state)                                    \
            benchmark::DoNotOptimize(expression);               \
        report(state, v);                                       \
    }                                                           \
    BENCHMARK(BM_##name##_##suffix)->Unit(benchmark::kMillisecond)->UseRealTime();

#define VOX_EXPOSURE_BENCH(name, expression)          \
    VOX_EXPOSURE_BENCH_ON(name, 512, big, expression) \
    VOX_EXPOSURE_BENCH_ON(name, cells, cells, expression)

// The in-place forms, on a volume the benchmark owns: what a viewer applying steps live
// does. Each iteration rewrites the same buffer, so no page is faulted in.
template <typename Op>
void run_in_place(benchmark::State& state, const vox::Volume& source, Op&& op) {
    vox::Volume w = source.copy();
    for (auto _ : state) {
        w = op(std::move(w));
        benchmark::DoNotOptimize(w);
    }
    report(state, w);
}

#define VOX_EXPOSURE_INPLACE_BENCH(name, expression)                                  \
    void BM_##name##_inplace_512(benchmark::State& state) {                           \
        run_in_place(state, big(), [](vox::Volume w) { return expression; });         \
    }                                                                                 \
    void BM_##name##_inplace_cells(benchmark::State& state) {                         \
        run_in_place(state, cells(), [](vox::Volume w) { return expression; });       \
    }                                                                                 \
    BENCHMARK(BM_##name##_inplace_512)->Unit(benchmark::kMillisecond)->UseRealTime(); \
    BENCHMARK(BM_##name##_inplace_cells)->Unit(benchmark::kMillisecond)->UseRealTime();

VOX_EXPOSURE_BENCH(copy, v.copy())
VOX_EXPOSURE_BENCH(gamma, vox::adjust_gamma(v, 0.5))
VOX_EXPOSURE_BENCH(log, vox::adjust_log(v))
VOX_EXPOSURE_BENCH(sigmoid, vox::adjust_sigmoid(v))
VOX_EXPOSURE_BENCH(rescale_percentile,
                   vox::rescale_intensity(v, vox::IntensityRange::percentiles(0.5, 99.5)))
VOX_EXPOSURE_BENCH(equalize, vox::equalize_hist(v))
VOX_EXPOSURE_BENCH(histogram, vox::histogram(v))
VOX_EXPOSURE_BENCH(cdf, vox::cumulative_distribution(v))
VOX_EXPOSURE_BENCH(finite_histogram, vox::finite_histogram(v))

// The gallery tutorial's float steps: the cells as img_as_float (f64), as the tutorial
// adjusts them.
const vox::Volume& cells_f64() {
    static const vox::Volume volume = vox::img_as_float(cells());
    return volume;
}
// Floats that are not img_as_float's values (an MRI's scaled data, say): the cells mapped
// onto [0, 1] as float32, which take the general paths.
const vox::Volume& cells_f32() {
    static const vox::Volume volume =
        vox::astype(cells(), vox::PixelType::f32, vox::CastMode::rescale);
    return volume;
}

// Floats whose values seldom repeat (deconvolved microscopy, say): cells_f32 plus a small
// deterministic dither, so that caches of results find nothing.
const vox::Volume& noise_f32() {
    static const vox::Volume volume = [] {
        vox::Volume v = cells_f32().copy();
        float* values = v.mutable_view<float>().origin;
        for (std::int64_t i = 0; i < v.shape().values(); ++i) {
            const std::uint32_t hash = std::uint32_t(i) * 2654435761u;
            values[i] += float(hash >> 8) * (1e-3f / 16777216.0f);
        }
        return v;
    }();
    return volume;
}

// The float steps' rows, BM_<op>_<suffix>, on `volume()`.
#define VOX_EXPOSURE_FLOAT_BENCHES(suffix, volume)                                                \
    VOX_EXPOSURE_BENCH_ON(copy, suffix, volume, v.copy())                                         \
    VOX_EXPOSURE_BENCH_ON(gamma, suffix, volume, vox::adjust_gamma(v, 1.5))                       \
    VOX_EXPOSURE_BENCH_ON(gamma_half, suffix, volume, vox::adjust_gamma(v, 0.5))                  \
    VOX_EXPOSURE_BENCH_ON(log, suffix, volume, vox::adjust_log(v))                                \
    VOX_EXPOSURE_BENCH_ON(sigmoid, suffix, volume, vox::adjust_sigmoid(v))                        \
    VOX_EXPOSURE_BENCH_ON(rescale_percentile, suffix, volume,                                     \
                          vox::rescale_intensity(v, vox::IntensityRange::percentiles(0.5, 99.5))) \
    VOX_EXPOSURE_BENCH_ON(equalize, suffix, volume, vox::equalize_hist(v))                        \
    VOX_EXPOSURE_BENCH_ON(histogram, suffix, volume, vox::histogram(v))                           \
    VOX_EXPOSURE_BENCH_ON(cdf, suffix, volume, vox::cumulative_distribution(v))

VOX_EXPOSURE_FLOAT_BENCHES(cellsf64, cells_f64)
VOX_EXPOSURE_FLOAT_BENCHES(cellsf32, cells_f32)
VOX_EXPOSURE_BENCH_ON(copy, noisef32, noise_f32, v.copy())
VOX_EXPOSURE_BENCH_ON(gamma, noisef32, noise_f32, vox::adjust_gamma(v, 1.5))
VOX_EXPOSURE_BENCH_ON(log, noisef32, noise_f32, vox::adjust_log(v))
VOX_EXPOSURE_BENCH_ON(sigmoid, noisef32, noise_f32, vox::adjust_sigmoid(v))

// match_histograms against the volume after gamma 0.5 (same type, another histogram).
const vox::Volume& big_reference() {
    static const vox::Volume volume = vox::adjust_gamma(big(), 0.5);
    return volume;
}
const vox::Volume& cells_reference() {
    static const vox::Volume volume = vox::adjust_gamma(cells(), 0.5);
    return volume;
}
// sample:kidney (16x512x512x3, 12-bit u16): the tutorial's per-channel normalization.
const vox::Volume& kidney() {
    static const vox::Volume volume = vox::make_sample("sample:kidney");
    return volume;
}

void BM_match_512(benchmark::State& state) {
    const vox::Volume& v = big();
    const vox::Volume& reference = big_reference();
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::match_histograms(v, reference));
    report(state, v);
}
void BM_match_cells(benchmark::State& state) {
    const vox::Volume& v = cells();
    const vox::Volume& reference = cells_reference();
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::match_histograms(v, reference));
    report(state, v);
}
void BM_match_per_channel_cells(benchmark::State& state) {
    const vox::Volume& v = cells();
    const vox::Volume& reference = cells_reference();
    for (auto _ : state)
        benchmark::DoNotOptimize(
            vox::match_histograms(v, reference, vox::ChannelMode::per_channel));
    report(state, v);
}
BENCHMARK(BM_match_512)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_match_cells)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_match_per_channel_cells)->Unit(benchmark::kMillisecond)->UseRealTime();

// Each channel stretched from its own range (min/max, or percentiles 0.5 and 99.5) to u16's.
template <const vox::Volume& (*volume)()>
void normalize(benchmark::State& state, vox::IntensityRange in_range) {
    const vox::Volume& v = volume();
    for (auto _ : state)
        benchmark::DoNotOptimize(vox::rescale_intensity(v, in_range, vox::IntensityRange::dtype(),
                                                        vox::ChannelMode::per_channel));
    report(state, v);
}
void BM_normalize_cells(benchmark::State& state) {
    normalize<cells>(state, vox::IntensityRange::image());
}
void BM_normalize_kidney(benchmark::State& state) {
    normalize<kidney>(state, vox::IntensityRange::image());
}
void BM_normalize_percentile_cells(benchmark::State& state) {
    normalize<cells>(state, vox::IntensityRange::percentiles(0.5, 99.5));
}
void BM_normalize_percentile_kidney(benchmark::State& state) {
    normalize<kidney>(state, vox::IntensityRange::percentiles(0.5, 99.5));
}
void BM_copy_kidney(benchmark::State& state) {
    const vox::Volume& v = kidney();
    for (auto _ : state)
        benchmark::DoNotOptimize(v.copy());
    report(state, v);
}
BENCHMARK(BM_copy_kidney)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_normalize_cells)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_normalize_kidney)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_normalize_percentile_cells)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_normalize_percentile_kidney)->Unit(benchmark::kMillisecond)->UseRealTime();

// memcpy into a buffer that is already mapped: the ceiling of the in-place forms.
void copy_into_mapped(benchmark::State& state, const vox::Volume& volume) {
    vox::Volume w = volume.copy();
    const auto* source = reinterpret_cast<const char*>(volume.view<std::uint16_t>().origin);
    auto* target = reinterpret_cast<char*>(w.mutable_view<std::uint16_t>().origin);
    const auto bytes = std::size_t(w.size_bytes());
    for (auto _ : state) {
        vox::parallel_for(0, 64, 1, [&](std::int64_t begin, std::int64_t end) {
            const std::size_t first = bytes * std::size_t(begin) / 64;
            const std::size_t last = bytes * std::size_t(end) / 64;
            std::memcpy(target + first, source + first, last - first);
        });
        benchmark::DoNotOptimize(target);
    }
    report(state, w);
}
void BM_copy_inplace_512(benchmark::State& state) {
    copy_into_mapped(state, big());
}
void BM_copy_inplace_cells(benchmark::State& state) {
    copy_into_mapped(state, cells());
}
BENCHMARK(BM_copy_inplace_512)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_copy_inplace_cells)->Unit(benchmark::kMillisecond)->UseRealTime();

VOX_EXPOSURE_INPLACE_BENCH(gamma, vox::adjust_gamma(std::move(w), 0.5))
VOX_EXPOSURE_INPLACE_BENCH(log, vox::adjust_log(std::move(w)))
VOX_EXPOSURE_INPLACE_BENCH(sigmoid, vox::adjust_sigmoid(std::move(w)))
VOX_EXPOSURE_INPLACE_BENCH(rescale_percentile,
                           vox::rescale_intensity(std::move(w),
                                                  vox::IntensityRange::percentiles(0.5, 99.5)))

}  // namespace

int main(int argc, char** argv) {
    // --dump=FOLDER writes the inputs for compare_exposure.py and exits.
    return vox::bench::run_benchmarks(
        argc, argv,
        [](const std::string& folder) {
            vox::write_volume(big(), folder + "/big.npy");
            vox::write_volume(cells(), folder + "/cells.npy");
            vox::write_volume(big_reference(), folder + "/big_reference.npy");
            vox::write_volume(cells_reference(), folder + "/cells_reference.npy");
            vox::write_volume(kidney(), folder + "/kidney.npy");
            vox::write_volume(cells_f32(), folder + "/cells_f32.npy");
            vox::write_volume(noise_f32(), folder + "/noise_f32.npy");
            return 0;
        },
        vox::bench::FreedMemory::returned);  // library calls, as measured before
}
