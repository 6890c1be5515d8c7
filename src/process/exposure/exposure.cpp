// Exposure operations with scikit-image 0.19.3 semantics (skimage/exposure/exposure.py,
// histogram_matching.py). Each op reproduces numpy's order of operations and casts so
// that integer results match bit for bit; 8/16-bit inputs go through lookup tables.
#include "vox/exposure.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dispatch.h"
#include "float_math.h"
#include "quantized.h"
#include "table_lookup.h"
#include "uniform_bins.h"
#include "value_counts.h"
#include "vox/parallel.h"
#include "vox/stats.h"

namespace vox {
namespace {

using std::int64_t;

template <typename T>
constexpr bool kSmallInt = std::is_integral_v<T> && sizeof(T) <= 2;

// numpy computes f32 arrays with python-float operands in f32, everything else in f64.
template <typename T>
using Compute = std::conditional_t<std::is_same_v<T, float>, float, double>;

// numpy's float -> integer astype on x86-64: truncation toward zero through a 64-bit
// conversion (out-of-range and NaN give INT64_MIN), then wrap-around to the width;
// int32 uses a 32-bit conversion whose out-of-range result is INT32_MIN.
template <typename O, typename F>
O numpy_cast(F value) {
    if constexpr (std::is_floating_point_v<O>) {
        return static_cast<O>(value);
    } else {
        const double v = double(value);
        const int64_t i =
            (v > -9.2e18 && v < 9.2e18) ? int64_t(v) : std::numeric_limits<int64_t>::min();
        if constexpr (std::is_same_v<O, std::int32_t>) {
            return (i < std::numeric_limits<std::int32_t>::min() ||
                    i > std::numeric_limits<std::int32_t>::max())
                       ? std::numeric_limits<std::int32_t>::min()
                       : O(i);
        } else {
            return static_cast<O>(static_cast<std::uint64_t>(i));
        }
    }
}

void carry_metadata(const Volume& from, Volume& to) {
    to.set_spacing(from.spacing());
    to.set_affine(from.affine());
    to.set_channel_names(from.channel_names());
    to.metadata() = from.metadata();
}

// Runs body(c, z) for every plane of every channel, on the shared pool.
template <typename Body>
void for_planes(const Shape& shape, std::int64_t c_begin, std::int64_t c_end, Body&& body) {
    const int64_t planes = (c_end - c_begin) * shape.z;
    parallel_for(0, planes, 1, [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p)
            body(c_begin + p / shape.z, p % shape.z);
    });
}

// Runs body(c, z) -> bool over every plane of channels [0, shape.c) on the pool; true if
// any call returned true.
template <typename Body>
bool any_plane(const Shape& shape, Body&& body) {
    std::atomic<bool> any{false};
    for_planes(shape, 0, shape.c, [&](int64_t c, int64_t z) {
        if (body(c, z)) any.store(true, std::memory_order_relaxed);
    });
    return any;
}

// Outputs of at least this size that are not the input are written with non-temporal
// stores: they skip reading each target line first (a third less memory traffic), and an
// output this large would not stay in cache anyway.
constexpr int64_t kStreamBytes = int64_t(4) << 20;
// In place, the target lines were just read, so streaming only pays once the volume is far
// larger than the caches: in place gamma at 512^3 took 52 ms with cached stores and 27.6 with
// non-temporal ones, but the 16 MB cells 1.43 against 1.63 ms (two Intel Xeon cores).
constexpr int64_t kStreamInPlaceBytes = int64_t(64) << 20;

// memcpy with non-temporal stores where the target is 16-byte aligned. The writer issues
// a store fence before other threads read the target.
void stream_copy(void* target, const void* source, std::size_t bytes) {
    auto* out = static_cast<char*>(target);
    const auto* in = static_cast<const char*>(source);
#ifdef __SSE2__
    const std::size_t head = std::min(bytes, (16 - std::uintptr_t(out) % 16) % 16);
    std::memcpy(out, in, head);
    std::size_t at = head;
    for (; at + 16 <= bytes; at += 16) {
        _mm_stream_si128(reinterpret_cast<__m128i*>(out + at),
                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + at)));
    }
    std::memcpy(out + at, in + at, bytes - at);
#else
    std::memcpy(out, in, bytes);
#endif
}

void store_fence() {
#ifdef __SSE2__
    _mm_sfence();
#endif
}

// target[x] = table[source[x]], through a small buffer copied out in blocks. A load whose
// address has the same low 12 bits as a pending store waits for it (4K aliasing); with
// the output written directly, some placements of the table made this loop 1.5-2x
// slower. With `stream`, blocks go out with non-temporal stores (measured at 512^3: an
// allocating gamma 40 -> 29 ms).
template <typename T, typename O>
void lookup_row(const T* source, O* target, int64_t count, const O* table, bool stream) {
    constexpr int64_t kBlock = 1024;
    alignas(64) O block[kBlock];
    for (int64_t start = 0; start < count; start += kBlock) {
        const int64_t length = std::min(kBlock, count - start);
        detail::lookup_values(source + start, block, length, table);
        const std::size_t bytes = std::size_t(length) * sizeof(O);
        if (stream) {
            stream_copy(target + start, block, bytes);
        } else {
            std::memcpy(target + start, block, bytes);
        }
    }
}

// out(c) = table[in(c)] for channels [c_begin, c_end) of 8/16-bit input, where
// fill(table, begin, end) sets the entries of values lowest() + [begin, end).
template <typename T, typename O, typename Fill>
void map_through_table(const Volume& in, Volume& out, int64_t c_begin, int64_t c_end, Fill&& fill) {
    static_assert(kSmallInt<T>);
    const auto src = in.view<T>();
    const auto dst = out.mutable_view<O>();
    const Shape& shape = in.shape();
    constexpr int64_t kLow = std::numeric_limits<T>::min();
    constexpr int64_t kSize = int64_t(std::numeric_limits<T>::max()) - kLow + 1;
    std::vector<O> table(kSize + detail::kTableSlack);
    parallel_for(0, kSize, 4096, [&](int64_t b, int64_t e) { fill(table.data(), b, e); });
    const bool stream =
        out.size_bytes() >= (in.shares_memory_with(out) ? kStreamInPlaceBytes : kStreamBytes);
    for_planes(shape, c_begin, c_end, [&](int64_t c, int64_t z) {
        for (int64_t y = 0; y < shape.y; ++y) {
            const T* s = src.row(z, y, c);
            O* d = dst.row(z, y, c);
            const int64_t step = src.strides[2];
            const O* lut = table.data() - kLow;
            if (step == 1) {
                lookup_row(s, d, shape.x, lut, stream);
            } else {
                for (int64_t x = 0; x < shape.x; ++x)
                    d[x] = lut[s[x * step]];
            }
        }
        if (stream) store_fence();
    });
}

// out(c) = fn(in(c)) for channels [c_begin, c_end), through a table for 8/16-bit input.
template <typename T, typename O, typename Fn>
void map_channels(const Volume& in, Volume& out, int64_t c_begin, int64_t c_end, Fn&& fn) {
    if constexpr (kSmallInt<T>) {
        map_through_table<T, O>(in, out, c_begin, c_end, [&](O* table, int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i)
                table[i] = fn(T(i + std::numeric_limits<T>::min()));
        });
    } else {
        const auto src = in.view<T>();
        const auto dst = out.mutable_view<O>();
        const Shape& shape = in.shape();
        for_planes(shape, c_begin, c_end, [&](int64_t c, int64_t z) {
            for (int64_t y = 0; y < shape.y; ++y) {
                const T* s = src.row(z, y, c);
                O* d = dst.row(z, y, c);
                const int64_t step = src.strides[2];
                for (int64_t x = 0; x < shape.x; ++x)
                    d[x] = fn(s[x * step]);
            }
        });
    }
}

// A costly op (pow, log, exp, a search per value) over a float volume that img_as_float
// made from 16-bit data looks its results up in a table of fn over img_as_float's 65536
// values (detail::UnitKeys), built once: a hit returns fn of the very same number, so
// results are unchanged. Values off the table are computed as they come.
template <typename T>
class QuantizedTable {
public:
    using Keys = detail::UnitKeys<T>;
    static constexpr int64_t kCount = Keys::kCount;

    // Whether a table pays off: enough values, and most of a spread sample in it.
    static bool worthwhile(const Volume& in) {
        const Shape& shape = in.shape();
        if (shape.values() < 4 * kCount) return false;
        const auto view = in.view<T>();
        constexpr int64_t kSamples = 4096;
        int64_t hits = 0;
        for (int64_t i = 0; i < kSamples; ++i) {
            const int64_t index = shape.values() / kSamples * i;
            const int64_t x = index % shape.x, y = index / shape.x % shape.y;
            const int64_t z = index / (shape.x * shape.y) % shape.z;
            const int64_t c = index / (shape.x * shape.y * shape.z);
            const T v = view.row(z, y, c)[x * view.strides[2]];
            hits += Keys::key(Keys::nearest_index(v)) == v ? 1 : 0;
        }
        return hits >= kSamples / 2;
    }

    template <typename Fn>
    explicit QuantizedTable(Fn&& fn) : m_values(std::size_t(kCount) + detail::kTableSlack) {
        parallel_for(0, kCount, 4096, [&](int64_t b, int64_t e) {
            for (int64_t k = b; k < e; ++k)
                m_values[std::size_t(k)] = fn(Keys::key(k));
        });
    }

    // out[x] = fn(in[x * step]) for a row (out may be in): the keys of a block first, then
    // table lookups, with values off the table computed where the block has any. Returns
    // whether any value was negative (keys never are, so only those off the table can be).
    template <typename Fn>
    bool map_row(const T* in, int64_t step, T* out, int64_t count, Fn&& fn) const {
        constexpr int64_t kBlock = 1024;
        std::uint16_t k[kBlock];
        const T* values = m_values.data();
        bool negative = false;
        for (int64_t start = 0; start < count; start += kBlock) {
            const int64_t length = std::min(kBlock, count - start);
            const T* from = in + start * step;
            T* to = out + start;
            const bool missed = step == 1 ? Keys::indices_of(from, length, k)
                                          : Keys::indices_of(from, length, step, k);
            if (!missed) {
                detail::lookup_values(k, to, length, values);
                continue;
            }
            for (int64_t x = 0; x < length; ++x) {
                const T v = from[x * step];
                const bool hit = Keys::key(k[x]) == v;
                negative |= !hit && v < T(0);
                to[x] = hit ? values[k[x]] : fn(v);
            }
        }
        return negative;
    }

private:
    std::vector<T> m_values;
};

// out = fn(in) for a float volume through a QuantizedTable (worthwhile() is true).
// Returns whether any value was negative.
template <typename T, typename Fn>
bool map_by_table(const Volume& in, Volume& out, Fn&& fn) {
    const QuantizedTable<T> table(fn);
    const auto src = in.view<T>();
    const auto dst = out.mutable_view<T>();
    const Shape& shape = in.shape();
    return any_plane(shape, [&](int64_t c, int64_t z) {
        bool negative = false;
        for (int64_t y = 0; y < shape.y; ++y)
            negative |=
                table.map_row(src.row(z, y, c), src.strides[2], dst.row(z, y, c), shape.x, fn);
        return negative;
    });
}

// fn's results for float data that repeat their values (data made from integers: an
// MRI's scaled int16, microscopy rescaled to [0, 1]) in a direct-mapped cache keyed by
// the value's bits: a hit is fn of the very same number, so no result changes. Every
// entry starts as 0 and fn(0). A task keeps its own, and stops asking once it misses
// more often than it hits over a window (data that seldom repeat pay one window).
template <typename T>
class ResultMemo {
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    struct Entry {
        Bits key;
        T value;
    };

public:
    // 32768 entries: 256 KiB for float, 512 KiB for double, in L2.
    static constexpr int kLogSize = 15;
    static constexpr int64_t kWindow = int64_t(4) << kLogSize;

    template <typename Fn>
    explicit ResultMemo(Fn& fn)
        : m_entries(std::size_t(1) << kLogSize, Entry{bits_of(T(0)), fn(T(0))}) {}

    // out[x] = fn(in[x * step]) for a row (out may be in). Returns whether any value was
    // negative (a hit was checked when it missed; the entries' first value, 0, is not).
    template <typename Fn>
    bool map_row(const T* in, int64_t step, T* out, int64_t count, Fn& fn) {
        bool negative = false;
        if (!m_on) {
            for (int64_t x = 0; x < count; ++x) {
                const T v = in[x * step];
                negative |= v < T(0);
                out[x] = fn(v);
            }
            return negative;
        }
        Entry* entries = m_entries.data();
        int64_t misses = 0;
        for (int64_t x = 0; x < count; ++x) {
            const T v = in[x * step];
            const Bits key = bits_of(v);
            Entry& entry = entries[(std::uint64_t(key) * 0x9E3779B97F4A7C15ull) >> (64 - kLogSize)];
            if (entry.key != key) {
                negative |= v < T(0);
                entry = {key, fn(v)};
                ++misses;
            }
            out[x] = entry.value;
        }
        m_seen += count;
        m_misses += misses;
        if (m_seen >= kWindow) {
            m_on = 2 * m_misses <= m_seen;
            m_seen = m_misses = 0;
        }
        return negative;
    }

private:
    static Bits bits_of(T v) {
        Bits bits;
        std::memcpy(&bits, &v, sizeof(bits));
        return bits;
    }

    std::vector<Entry> m_entries;
    int64_t m_seen = 0;
    int64_t m_misses = 0;
    bool m_on = true;
};

// out = fn(in) for a float volume through a ResultMemo per task, each over a slab of planes.
// Returns whether any value was negative.
template <typename T, typename Fn>
bool map_by_memo(const Volume& in, Volume& out, Fn& fn) {
    const auto src = in.view<T>();
    const auto dst = out.mutable_view<T>();
    const Shape& shape = in.shape();
    const int64_t planes = shape.c * shape.z;
    const int64_t tasks = std::min<int64_t>(planes, 4 * thread_count());
    std::atomic<bool> negative{false};
    parallel_for(0, tasks, 1, [&](int64_t t0, int64_t t1) {
        bool found = false;
        for (int64_t t = t0; t < t1; ++t) {
            ResultMemo<T> memo(fn);
            for (int64_t p = planes * t / tasks; p < planes * (t + 1) / tasks; ++p) {
                const int64_t c = p / shape.z, z = p % shape.z;
                for (int64_t y = 0; y < shape.y; ++y)
                    found |= memo.map_row(src.row(z, y, c), src.strides[2], dst.row(z, y, c),
                                          shape.x, fn);
            }
        }
        if (found) negative.store(true, std::memory_order_relaxed);
    });
    return negative;
}

// out = fn(in) for a float volume too small for a table or a cache. Returns whether any
// value was negative.
template <typename T, typename Fn>
bool map_each_float(const Volume& in, Volume& out, Fn& fn) {
    const auto src = in.view<T>();
    const auto dst = out.mutable_view<T>();
    const Shape& shape = in.shape();
    return any_plane(shape, [&](int64_t c, int64_t z) {
        bool negative = false;
        for (int64_t y = 0; y < shape.y; ++y) {
            const T* s = src.row(z, y, c);
            T* d = dst.row(z, y, c);
            for (int64_t x = 0; x < shape.x; ++x) {
                const T v = s[x * src.strides[2]];
                negative |= v < T(0);
                d[x] = fn(v);
            }
        }
        return negative;
    });
}

// row(in, out, length) for each row of a volume packed along x, on all cores.
template <typename T, typename Row>
void map_packed_rows(const Volume& in, Volume& out, Row&& row) {
    const auto src = in.view<T>();
    const auto dst = out.mutable_view<T>();
    const Shape& shape = in.shape();
    for_planes(shape, 0, shape.c, [&](int64_t c, int64_t z) {
        for (int64_t y = 0; y < shape.y; ++y)
            row(src.row(z, y, c), dst.row(z, y, c), shape.x);
    });
}

// out = fn(in) for a float volume: through a table of img_as_float's values (map_by_table),
// else a cache of the values seen (map_by_memo). Returns whether any value was negative.
template <typename T, typename Fn>
bool map_floats(const Volume& in, Volume& out, Fn& fn) {
    if (QuantizedTable<T>::worthwhile(in)) return map_by_table<T>(in, out, fn);
    if (in.shape().values() >= 4 * QuantizedTable<T>::kCount) return map_by_memo<T>(in, out, fn);
    return map_each_float<T>(in, out, fn);
}

// out = fn(in) for a point-wise op that costs a pow, log or exp per value: a table of every
// value for 8/16-bit data (map_channels), map_floats for floats.
template <typename T, typename Fn>
void map_values_of(const Volume& in, Volume& out, Fn&& fn) {
    if constexpr (std::is_floating_point_v<T>) {
        map_floats<T>(in, out, fn);
    } else {
        map_channels<T, T>(in, out, 0, in.shape().c, fn);
    }
}

Volume allocate_like(const Volume& in, PixelType type) {
    Volume out = Volume::allocate(in.shape(), type, Volume::Fill::none);
    carry_metadata(in, out);
    return out;
}

// Where a point-wise op writes: `in` itself when the caller gave it up (an rvalue that
// shares its buffer with nobody) and the type is kept, else a new volume.
Volume output_for(const Volume& in, PixelType type, bool in_place) {
    // The maps write rows packed along x: a strided view (step()) gets a new volume.
    if (in_place && in.is_sole_owner() && in.pixel_type() == type && in.strides()[2] == 1) {
        return in;
    }
    return allocate_like(in, type);
}

template <typename T>
bool any_negative(const Volume& volume) {
    if constexpr (std::is_unsigned_v<T>) {
        return false;
    } else {
        const auto view = volume.view<T>();
        const Shape& shape = volume.shape();
        return any_plane(shape, [&](int64_t c, int64_t z) {
            bool negative = false;
            for (int64_t y = 0; y < shape.y; ++y) {
                const T* s = view.row(z, y, c);
                for (int64_t x = 0; x < shape.x; ++x)
                    negative |= s[x * view.strides[2]] < T(0);
            }
            return negative;
        });
    }
}

[[noreturn]] void throw_negative() {
    throw ValueError(
        "Image Correction methods work correctly only on images with non-negative values. "
        "Use skimage.exposure.rescale_intensity.");
}

// out = fn(in) for gamma, log and sigmoid of integers and doubles (float32 takes
// correct_float32), which refuse negative values as skimage does. Into a new float volume,
// values are checked as they are mapped, saving the check's pass (a quarter of the time on
// the tutorial's floats); the output is then dropped if one was negative. In place, the
// check comes before anything is written.
template <typename T, typename Fn>
void correct_values(const Volume& in, Volume& out, Fn&& fn) {
    if constexpr (std::is_floating_point_v<T>) {
        if (!out.shares_memory_with(in)) {
            if (map_floats<T>(in, out, fn)) throw_negative();
            return;
        }
    }
    if (any_negative<T>(in)) throw_negative();
    map_values_of<T>(in, out, fn);
}

// float(dtype_limits(image, clip_negative=True)[1] - [0]): the type's max, 1 for floats.
double correction_scale(PixelType type) {
    return is_float(type) ? 1.0 : dtype_range(type).second;
}

// numpy's ndarray ** scalar fast paths (numpy/core/src/multiarray/number.c).
template <typename C>
C numpy_power(C base, double exponent) {
    if (exponent == 1.0) return base;
    if (exponent == 0.0) return C(1);
    if (exponent == 0.5) return std::sqrt(base);
    if (exponent == 2.0) return base * base;
    if (exponent == -1.0) return C(1) / base;
    return std::pow(base, C(exponent));
}

std::string format_number(double value) {
    std::string text = std::to_string(value);
    text.erase(text.find_last_not_of('0') + 1);
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
}

// All values of a (sub)volume, in z-y-x order, channel by channel.
template <typename T>
std::vector<T> gather(const Volume& volume) {
    const auto view = volume.view<T>();
    const Shape& shape = volume.shape();
    std::vector<T> values(std::size_t(shape.values()));
    for_planes(shape, 0, shape.c, [&](int64_t c, int64_t z) {
        T* d = values.data() + (c * shape.z + z) * shape.y * shape.x;
        for (int64_t y = 0; y < shape.y; ++y) {
            const T* s = view.row(z, y, c);
            for (int64_t x = 0; x < shape.x; ++x)
                d[y * shape.x + x] = s[x * view.strides[2]];
        }
    });
    return values;
}

// The values of `volume` where `mask` is non-zero (mask: same shape, or one channel).
template <typename T>
std::vector<T> gather_masked(const Volume& volume, const Volume& mask) {
    const Shape& shape = volume.shape();
    const Shape& mshape = mask.shape();
    if (mshape.z != shape.z || mshape.y != shape.y || mshape.x != shape.x ||
        (mshape.c != shape.c && mshape.c != 1)) {
        const auto text = [](const Shape& s) {
            return spatial_shape_text(s) + " with " + std::to_string(s.c) +
                   (s.c == 1 ? " channel" : " channels");
        };
        throw ValueError("mask shape " + text(mshape) + " does not match the volume's " +
                         text(shape) + " (or its spatial shape with 1 channel)");
    }
    const std::vector<T> values = gather<T>(volume);
    std::vector<unsigned char> keep = visit(mask.pixel_type(), [&](auto tag) {
        using M = typename decltype(tag)::type;
        const std::vector<M> m = gather<M>(mask);
        std::vector<unsigned char> k(m.size());
        for (std::size_t i = 0; i < m.size(); ++i)
            k[i] = m[i] != M(0);
        return k;
    });
    std::vector<T> selected;
    const std::size_t per_channel = std::size_t(shape.voxels());
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (keep[mshape.c == 1 ? i % per_channel : i]) selected.push_back(values[i]);
    }
    if (selected.empty()) throw ValueError("mask selects no voxel");
    return selected;
}

// ---------------------------------------------------------------- histograms

struct HistogramOf {
    std::vector<int64_t> counts;
    std::vector<double> centers;
};

// The values a histogram reduces, cut into runs (pointer, length, stride) that are
// reduced in parallel: a flat list (masked values) or the planes of a volume view.
template <typename T>
struct FlatRuns {
    const std::vector<T>& values;
    static constexpr int64_t kRun = int64_t(1) << 16;
    VolumeView<const T> as_view() const { return detail::view_of_values(values); }
    int64_t count() const { return (int64_t(values.size()) + kRun - 1) / kRun; }
    int64_t size() const { return int64_t(values.size()); }
    template <typename Fn>
    void run(int64_t k, Fn&& fn) const {
        fn(values.data() + k * kRun, std::min(kRun, int64_t(values.size()) - k * kRun), int64_t(1));
    }
};

template <typename T>
struct PlaneRuns {
    VolumeView<const T> view;
    int64_t count() const { return view.shape.c * view.shape.z; }
    VolumeView<const T> as_view() const { return view; }
    int64_t size() const { return view.shape.values(); }
    template <typename Fn>
    void run(int64_t k, Fn&& fn) const {
        const int64_t c = k / view.shape.z;
        const int64_t z = k % view.shape.z;
        for (int64_t y = 0; y < view.shape.y; ++y)
            fn(view.row(z, y, c), view.shape.x, view.strides[2]);
    }
};

// The number of groups reduce_runs splits runs into: fixed by the size, not the threads.
template <typename Runs>
int64_t run_groups(const Runs& runs) {
    return std::clamp<int64_t>(runs.size() / (int64_t(1) << 20), 1, 8);
}

// Checks that `bins` counters for each of the groups of `runs` fit in memory before any is
// allocated, with what follows them: their sum, the centres, and a CDF and its copy for
// equalization (measured: 4 arrays of 8 bytes per bin beside the group counters).
template <typename Runs>
void check_bins_memory(const Runs& runs, int64_t bins, const std::string& what) {
    checked_allocation({bins, run_groups(runs) + 4, int64_t(sizeof(int64_t))}, what);
}

// Reduces the runs in a fixed number of groups (independent of the thread count) and
// returns one accumulator per group, in order: body(accumulator, pointer, length, stride).
template <typename Acc, typename Runs, typename Init, typename Body>
std::vector<Acc> reduce_runs(const Runs& runs, Init&& init, Body&& body) {
    const int64_t count = runs.count();
    const int64_t groups = run_groups(runs);
    std::vector<Acc> partial(static_cast<std::size_t>(groups));
    parallel_for(0, groups, 1, [&](int64_t b, int64_t e) {
        for (int64_t g = b; g < e; ++g) {
            Acc acc = init();
            for (int64_t k = count * g / groups; k < count * (g + 1) / groups; ++k) {
                runs.run(
                    k, [&](const auto* p, int64_t n, int64_t stride) { body(acc, p, n, stride); });
            }
            partial[std::size_t(g)] = std::move(acc);
        }
    });
    return partial;
}

// skimage's _bincount_histogram over values in [low, high] (integer data).
template <typename Runs>
std::vector<int64_t> count_integers(const Runs& runs, int64_t low, int64_t high) {
    const int64_t bins = high - low + 1;
    // One bin per integer, as np.bincount: refuse ranges that would not fit in memory.
    check_bins_memory(runs, bins,
                      "a histogram of the integer range [" + std::to_string(low) + ", " +
                          std::to_string(high) + "] (one bin per value)");
    const auto partial = reduce_runs<std::vector<int64_t>>(
        runs, [&] { return std::vector<int64_t>(std::size_t(bins), 0); },
        [&](std::vector<int64_t>& h, const auto* p, int64_t n, int64_t stride) {
            int64_t* counts = h.data() - low;
            for (int64_t i = 0; i < n; ++i)
                ++counts[int64_t(p[i * stride])];
        });
    std::vector<int64_t> counts(std::size_t(bins), 0);
    for (const auto& h : partial)
        for (int64_t i = 0; i < bins; ++i)
            counts[std::size_t(i)] += h[std::size_t(i)];
    return counts;
}

template <typename T>
struct ValueRange {
    T low = std::numeric_limits<T>::max();
    T high = std::numeric_limits<T>::lowest();
    bool nan = false;
};

// Adds a run to `range`. Packed runs are vectorised (the AVX2 clone on the cells as f32:
// a third of the histogram's time before).
template <typename T>
VOX_AVX2_CLONE void add_to_range(const T* p, int64_t n, int64_t stride, ValueRange<T>& range) {
    T low = range.low, high = range.high;
    int nan = 0;
    if (stride == 1) {
#pragma omp simd reduction(min : low) reduction(max : high) reduction(| : nan)
        for (int64_t i = 0; i < n; ++i) {
            const T v = p[i];
            nan |= v != v ? 1 : 0;
            low = v < low ? v : low;
            high = v > high ? v : high;
        }
    } else {
        for (int64_t i = 0; i < n; ++i) {
            const T v = p[i * stride];
            nan |= v != v ? 1 : 0;
            low = v < low ? v : low;
            high = v > high ? v : high;
        }
    }
    range.low = low;
    range.high = high;
    range.nan = range.nan || nan != 0;
}

// Min and max (NaN if any value is NaN, as numpy's min/max).
template <typename T, typename Runs>
std::pair<T, T> value_range(const Runs& runs) {
    using Acc = ValueRange<T>;
    const auto partial = reduce_runs<Acc>(
        runs, [] { return Acc{}; },
        [&](Acc& acc, const T* p, int64_t n, int64_t stride) { add_to_range(p, n, stride, acc); });
    Acc all;
    for (const Acc& acc : partial) {
        all.low = std::min(all.low, acc.low);
        all.high = std::max(all.high, acc.high);
        all.nan |= acc.nan;
    }
    if constexpr (std::is_floating_point_v<T>) {
        if (all.nan) return {T(NAN), T(NAN)};
    }
    return {all.low, all.high};
}

// Counts of every value of an 8/16-bit type in one pass, indexed by value - lowest(). The
// data's range then comes from the counts, which saves skimage's separate min/max pass.
template <typename T, typename Runs>
std::vector<int64_t> count_all_values(const Runs& runs) {
    return detail::count_values(runs.as_view());
}

// The first and last non-zero bins of counts (both -1 when every count is zero).
std::pair<int64_t, int64_t> occupied_span(const std::vector<int64_t>& counts) {
    int64_t first = 0;
    while (first < int64_t(counts.size()) && counts[std::size_t(first)] == 0)
        ++first;
    if (first == int64_t(counts.size())) return {-1, -1};
    int64_t last = int64_t(counts.size()) - 1;
    while (counts[std::size_t(last)] == 0)
        --last;
    return {first, last};
}

// count_all_values of each part, and the first and last value index any part holds.
template <typename T, typename Runs>
std::tuple<std::vector<std::vector<int64_t>>, int64_t, int64_t> count_all_parts(
    const std::vector<Runs>& parts) {
    std::vector<std::vector<int64_t>> all;
    int64_t first = std::numeric_limits<int64_t>::max();
    int64_t last = -1;
    for (const Runs& part : parts) {
        all.push_back(count_all_values<T>(part));
        const auto [f, l] = occupied_span(all.back());
        if (f >= 0) {
            first = std::min(first, f);
            last = std::max(last, l);
        }
    }
    return {std::move(all), first, last};
}

// How a histogram's values map to bins (skimage's _bincount_histogram_centers or
// _get_bin_edges): one bin per integer in [low, high], or float edges.
template <typename T>
struct BinLayout {
    int64_t low = 0;
    int64_t high = 0;
    int nbins = 0;
    double first = 0.0;
    double last = 0.0;
    std::vector<T> edges;
};

// The layout over [first, last] as skimage's _get_outer_edges and _get_bin_edges give it.
template <typename T>
BinLayout<T> float_layout(int nbins, double first, double last) {
    if (!std::isfinite(first) || !std::isfinite(last)) {
        throw ValueError("autodetected hist_range of [" + format_number(first) + ", " +
                         format_number(last) + "] is not finite");
    }
    if (first == last) {
        first -= 0.5;
        last += 0.5;
    }
    BinLayout<T> layout;
    layout.nbins = nbins;
    layout.first = first;
    layout.last = last;
    // np.linspace(first, last, nbins + 1) in f64, cast to the data's type; a step that
    // underflows to 0 scales the fractions i / nbins instead, as linspace does.
    const double step = (last - first) / nbins;
    if (!std::isfinite(step)) {
        throw ValueError(
            fmt::format("cannot bin the range [{}, {}] in {} bins: its width "
                        "overflows (numpy's histogram fails on it too)",
                        first, last, nbins));
    }
    layout.edges.resize(std::size_t(nbins) + 1);
    for (int i = 0; i <= nbins; ++i) {
        const double y = step == 0.0 ? double(i) / nbins * (last - first) : double(i) * step;
        layout.edges[std::size_t(i)] = T(y + first);
    }
    layout.edges[std::size_t(nbins)] = T(last);
    return layout;
}

// The bin np.histogram puts a value in over a float layout, or -1 for the values it drops:
// NaN and values outside the range. Comparing in double is exact for every pixel type, so
// f32 data and f32 edges give numpy's f32 comparisons. A small value type, so that a loop
// keeps it in registers.
template <typename E>
class FloatBinner {
public:
    explicit FloatBinner(const BinLayout<E>& layout)
        : m_first(layout.first),
          m_last(layout.last),
          m_norm(layout.nbins / (layout.last - layout.first)),
          m_last_bin(layout.nbins - 1),
          m_edges(layout.edges.data()),
          m_searched(!(std::isfinite(m_norm) && m_norm > 0.0)) {
        m_uniform.first = m_first;
        m_uniform.norm = m_norm;
        m_uniform.count = double(layout.nbins);
        m_uniform.margin = detail::uniform_margin(m_edges, layout.nbins, m_first, m_norm);
    }

    int64_t operator()(double v) const {
        if (!(v >= m_first && v <= m_last)) return -1;
        if (m_searched) {
            // A width of zero (a constant whose widening to +-0.5 rounds away) or of a few
            // subnormals, whose inverse overflows: numpy's indices are NaN there and its
            // uniform path fails with an IndexError, while its per-channel path searches
            // the edges, as here.
            const E* end = m_edges + m_last_bin + 2;
            const auto above = std::upper_bound(m_edges, end, v,
                                                [](double x, E edge) { return x < double(edge); });
            return std::clamp<int64_t>(int64_t(above - m_edges) - 1, 0, m_last_bin);
        }
        int64_t j = std::min(int64_t((v - m_first) * m_norm), m_last_bin);  // v >= first
        // As numpy: the edges, not the arithmetic, decide the bin.
        while (j > 0 && v < double(m_edges[j]))
            --j;
        while (j < m_last_bin && v >= double(m_edges[j + 1]))
            ++j;
        return j;
    }

    // Counts n packed values into detail::uniform_lanes(nbins) sets of counters (see
    // detail::count_uniform): most from the arithmetic alone, the rest from operator().
    template <typename T>
    void count(const T* values, int64_t n, int64_t lanes, int64_t* counts) const {
        const auto exact = [this](T value) { return (*this)(double(value)); };
        detail::count_uniform(values, n, m_uniform, lanes, exact, counts);
    }

private:
    double m_first, m_last, m_norm;
    int64_t m_last_bin;
    const E* m_edges;
    bool m_searched;  // the arithmetic cannot place values: search the edges
    detail::UniformBins m_uniform;
};

// np.histogram's counts of the values over a float layout.
template <typename E, typename Runs>
std::vector<int64_t> count_float_bins(const Runs& values, const BinLayout<E>& layout) {
    const int nbins = layout.nbins;
    const FloatBinner<E> binner(layout);
    const int64_t lanes = detail::uniform_lanes(nbins);
    const auto partial = reduce_runs<std::vector<int64_t>>(
        values, [&] { return std::vector<int64_t>(std::size_t((nbins + 1) * lanes), 0); },
        [binner, lanes](std::vector<int64_t>& h, const auto* p, int64_t n, int64_t stride) {
            int64_t* counts = h.data();
            if (stride == 1) {
                binner.count(p, n, lanes, counts);
                return;
            }
            for (int64_t i = 0; i < n; ++i) {
                const int64_t j = binner(double(p[i * stride]));
                if (j >= 0) ++counts[j];
            }
        });
    std::vector<int64_t> counts(std::size_t(nbins), 0);
    for (const auto& h : partial)
        detail::add_uniform_sets(h.data(), nbins, lanes, counts.data());
    return counts;
}

// Bin centres: the integers of the layout, or (edges[i] + edges[i + 1]) / 2 in T.
template <typename T>
std::vector<double> centers_of(const BinLayout<T>& layout) {
    std::vector<double> centers;
    if constexpr (std::is_integral_v<T>) {
        centers.resize(std::size_t(layout.high - layout.low + 1));
        for (std::size_t i = 0; i < centers.size(); ++i)
            centers[i] = double(layout.low + int64_t(i));
    } else {
        centers.resize(std::size_t(layout.nbins));
        for (int i = 0; i < layout.nbins; ++i) {
            const std::size_t k = std::size_t(i);
            centers[k] = double(T((layout.edges[k] + layout.edges[k + 1]) / T(2)));
        }
    }
    return centers;
}

// The counts of bins [low, high] out of all-value counts indexed from T's lowest().
template <typename T>
std::vector<int64_t> slice_counts(const std::vector<int64_t>& all, int64_t low, int64_t high) {
    const int64_t offset = int64_t(std::numeric_limits<T>::min());
    return {all.begin() + (low - offset), all.begin() + (high - offset) + 1};
}

// The counts of img_as_float's values k * (1 / 65535) in each part (see QuantizedTable),
// when every value of every part is one of them and there are enough to pay for 65536
// counters; else nothing. Counting the k as 16-bit values is the u16 histogram's pass,
// and gives the range too, where float binning takes a min/max pass and a binning pass.
template <typename T, typename Runs>
std::optional<std::vector<std::vector<int64_t>>> quantized_counts(const std::vector<Runs>& parts) {
    int64_t total = 0;
    for (const Runs& part : parts)
        total += part.size();
    if (total < 4 * QuantizedTable<T>::kCount) return std::nullopt;
    std::vector<std::vector<int64_t>> counts;
    for (const Runs& part : parts) {
        std::optional<std::vector<int64_t>> keys = detail::count_keys(part.as_view());
        if (!keys) return std::nullopt;
        counts.push_back(std::move(*keys));
    }
    return counts;
}

// np.histogram's counts per part over bins from the parts' joint range, from the counts
// of img_as_float's values (quantized_counts): each value's bin is that of its key.
template <typename T>
std::pair<std::vector<std::vector<int64_t>>, BinLayout<T>> quantized_histograms(
    const std::vector<std::vector<int64_t>>& by_key, int nbins) {
    int64_t first = QuantizedTable<T>::kCount, last = -1;
    for (const auto& counts : by_key) {
        const auto [f, l] = occupied_span(counts);
        if (f >= 0) {
            first = std::min(first, f);
            last = std::max(last, l);
        }
    }
    checked_allocation({nbins, int64_t(by_key.size()) + 1, int64_t(sizeof(int64_t))},
                       "a histogram of " + std::to_string(nbins) + " bins");
    BinLayout<T> layout = float_layout<T>(nbins, double(detail::UnitKeys<T>::key(first)),
                                          double(detail::UnitKeys<T>::key(last)));
    const FloatBinner<T> binner(layout);
    std::vector<std::vector<int64_t>> result;
    for (const auto& counts : by_key) {
        std::vector<int64_t> bins(std::size_t(nbins), 0);
        for (int64_t k = first; k <= last; ++k) {
            if (counts[std::size_t(k)] != 0)
                bins[std::size_t(binner(double(detail::UnitKeys<T>::key(k))))] +=
                    counts[std::size_t(k)];
        }
        result.push_back(std::move(bins));
    }
    return {std::move(result), std::move(layout)};
}

// skimage.exposure.histogram of each part (the whole volume, or each channel for
// channel_axis=-1), over bins shared by all parts and taken from all of them together.
// `parts` holds Runs; returns the counts per part and the shared layout.
template <typename T, typename Runs>
std::pair<std::vector<std::vector<int64_t>>, BinLayout<T>> histograms_of(
    const std::vector<Runs>& parts, int nbins, SourceRange source_range) {
    int64_t total = 0;
    for (const Runs& part : parts)
        total += part.size();
    if (total == 0) throw ValueError("histogram of an empty volume");
    std::vector<std::vector<int64_t>> counts;
    BinLayout<T> layout;
    if constexpr (kSmallInt<T>) {
        const auto [all, first, last] = count_all_parts<T>(parts);
        const int64_t offset = int64_t(std::numeric_limits<T>::min());
        layout.low = source_range == SourceRange::dtype ? offset : first + offset;
        layout.high = source_range == SourceRange::dtype ? int64_t(std::numeric_limits<T>::max())
                                                         : last + offset;
        for (const auto& a : all)
            counts.push_back(slice_counts<T>(a, layout.low, layout.high));
    } else if constexpr (std::is_integral_v<T>) {
        if (source_range == SourceRange::dtype) {
            layout.low = int64_t(std::numeric_limits<T>::min());
            layout.high = int64_t(std::numeric_limits<T>::max());
        } else {
            layout.low = std::numeric_limits<int64_t>::max();
            layout.high = std::numeric_limits<int64_t>::min();
            for (const Runs& part : parts) {
                if (part.size() == 0) continue;
                const auto [lo, hi] = value_range<T>(part);
                layout.low = std::min(layout.low, int64_t(lo));
                layout.high = std::max(layout.high, int64_t(hi));
            }
        }
        for (const Runs& part : parts)
            counts.push_back(count_integers(part, layout.low, layout.high));
    } else {
        if (nbins < 1) throw ValueError("nbins must be at least 1, got " + std::to_string(nbins));
        if (source_range == SourceRange::image) {
            if (auto quantized = quantized_counts<T>(parts)) {
                return quantized_histograms<T>(*quantized, nbins);
            }
        }
        double first = -1.0;
        double last = 1.0;
        if (source_range == SourceRange::image) {
            first = std::numeric_limits<double>::infinity();
            last = -first;
            for (const Runs& part : parts) {
                if (part.size() == 0) continue;
                const auto [lo, hi] = value_range<T>(part);
                first = std::isnan(lo) ? double(lo) : std::min(first, double(lo));
                last = std::isnan(hi) ? double(hi) : std::max(last, double(hi));
                if (std::isnan(first)) break;
            }
        }
        // Each part's counts, and the per-group counters of the part being counted.
        int64_t groups = 0;
        for (const Runs& part : parts)
            groups = std::max(groups, run_groups(part));
        checked_allocation({nbins, int64_t(parts.size()) + groups + 1, int64_t(sizeof(int64_t))},
                           "a histogram of " + std::to_string(nbins) + " bins");
        layout = float_layout<T>(nbins, first, last);
        for (const Runs& part : parts)
            counts.push_back(count_float_bins(part, layout));
    }
    return {std::move(counts), std::move(layout)};
}

// np.histogram of each part of integer data over nbins uniform float64 bins shared by all
// parts, from the parts' joint [min, max] ('image') or T's range ('dtype'): the bins numpy
// and matplotlib's hist give integers. 8/16-bit parts are binned from their value counts.
template <typename T, typename Runs>
std::pair<std::vector<std::vector<int64_t>>, BinLayout<double>> uniform_histograms_of(
    const std::vector<Runs>& parts, int nbins, SourceRange source_range) {
    static_assert(std::is_integral_v<T>);
    int64_t total = 0;
    int64_t groups = 0;
    for (const Runs& part : parts) {
        total += part.size();
        groups = std::max(groups, run_groups(part));
    }
    if (total == 0) throw ValueError("histogram of an empty volume");
    checked_allocation({nbins, int64_t(parts.size()) + groups + 1, int64_t(sizeof(int64_t))},
                       "a histogram of " + std::to_string(nbins) + " bins");
    const bool dtype = source_range == SourceRange::dtype;
    const auto lowest = double(std::numeric_limits<T>::min());
    const auto highest = double(std::numeric_limits<T>::max());
    std::vector<std::vector<int64_t>> counts;
    BinLayout<double> layout;
    if constexpr (kSmallInt<T>) {
        const auto [all, first, last] = count_all_parts<T>(parts);
        layout = dtype ? float_layout<double>(nbins, lowest, highest)
                       : float_layout<double>(nbins, double(first) + lowest, double(last) + lowest);
        const FloatBinner<double> binner(layout);
        for (const auto& values : all) {
            std::vector<int64_t> bins(std::size_t(nbins), 0);
            for (int64_t i = first; i <= last; ++i) {
                if (values[std::size_t(i)] != 0)
                    bins[std::size_t(binner(double(i) + lowest))] += values[std::size_t(i)];
            }
            counts.push_back(std::move(bins));
        }
    } else {
        double first = lowest;
        double last = highest;
        if (!dtype) {
            first = std::numeric_limits<double>::infinity();
            last = -first;
            for (const Runs& part : parts) {
                if (part.size() == 0) continue;
                const auto [low, high] = value_range<T>(part);
                first = std::min(first, double(low));
                last = std::max(last, double(high));
            }
        }
        layout = float_layout<double>(nbins, first, last);
        for (const Runs& part : parts)
            counts.push_back(count_float_bins(part, layout));
    }
    return {std::move(counts), std::move(layout)};
}

// skimage.exposure.histogram of one list of values (channel_axis None).
template <typename T, typename Runs>
HistogramOf histogram_of(const Runs& values, int nbins, SourceRange source_range) {
    auto [counts, layout] = histograms_of<T>(std::vector<Runs>{values}, nbins, source_range);
    return {std::move(counts.front()), centers_of(layout)};
}

// np.histogram(values[np.isfinite(values)], nbins) over every value of the runs: the bins
// matplotlib's hist draws. Float data keep edges of their own type, integers get float64
// edges (numpy's bin type), and 8/16-bit data are binned from their value counts.
template <typename T, typename Runs>
HistogramOf finite_histogram_of(const Runs& runs, int nbins, int64_t& left_out) {
    left_out = 0;
    if constexpr (std::is_integral_v<T>) {
        auto [counts, layout] =
            uniform_histograms_of<T>(std::vector<Runs>{runs}, nbins, SourceRange::image);
        return {std::move(counts.front()), centers_of(layout)};
    } else {
        if (runs.size() == 0) throw ValueError("histogram of an empty volume");
        checked_allocation({nbins, run_groups(runs) + 2, int64_t(sizeof(int64_t))},
                           "a histogram of " + std::to_string(nbins) + " bins");
        // img_as_float's values: binned by key (no NaN or infinity among them).
        if (auto by_key = quantized_counts<T>(std::vector<Runs>{runs})) {
            auto [counts, layout] = quantized_histograms<T>(*by_key, nbins);
            return {std::move(counts.front()), centers_of(layout)};
        }
        struct Acc {
            double low = std::numeric_limits<double>::infinity();
            double high = -std::numeric_limits<double>::infinity();
            int64_t finite = 0;
        };
        const auto partial = reduce_runs<Acc>(
            runs, [] { return Acc{}; },
            [](Acc& acc, const T* p, int64_t n, int64_t stride) {
                for (int64_t i = 0; i < n; ++i) {
                    const double v = double(p[i * stride]);
                    const bool finite = std::isfinite(v);
                    acc.low = finite && v < acc.low ? v : acc.low;
                    acc.high = finite && v > acc.high ? v : acc.high;
                    acc.finite += finite ? 1 : 0;
                }
            });
        Acc all;
        for (const Acc& acc : partial) {
            all.low = std::min(all.low, acc.low);
            all.high = std::max(all.high, acc.high);
            all.finite += acc.finite;
        }
        left_out = runs.size() - all.finite;
        if (all.finite == 0) {
            throw ValueError("every value is NaN or infinite: there is no histogram to draw");
        }
        const BinLayout<T> layout = float_layout<T>(nbins, all.low, all.high);
        return {count_float_bins(runs, layout), centers_of(layout)};
    }
}

template <typename T>
std::vector<double> cdf_of(const std::vector<int64_t>& counts) {
    std::vector<double> cdf(counts.size());
    int64_t total = 0;
    for (const int64_t c : counts)
        total += c;
    int64_t running = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        running += counts[i];
        cdf[i] = double(running) / double(total);
        if constexpr (std::is_same_v<T, float>) cdf[i] = double(float(cdf[i]));
    }
    return cdf;
}

// np.interp (numpy/core/src/multiarray/compiled_base.c, arr_interp) with default
// left/right; xp must be increasing.
class Interp {
public:
    Interp(std::vector<double> xp, std::vector<double> fp)
        : m_xp(std::move(xp)), m_fp(std::move(fp)) {
        m_slopes.resize(m_xp.size());
        for (std::size_t j = 0; j + 1 < m_xp.size(); ++j) {
            m_slopes[j] = (m_fp[j + 1] - m_fp[j]) / (m_xp[j + 1] - m_xp[j]);
        }
        // Float histograms' centres are near-uniform: the interval of most values is found by
        // arithmetic (detail::sure_bins over the xp as edges).
        const auto intervals = int64_t(m_xp.size()) - 1;
        if (intervals >= 1 && m_xp[0] < m_xp.back()) {
            m_uniform.first = m_xp[0];
            m_uniform.norm = double(intervals) / (m_xp.back() - m_xp[0]);
            m_uniform.count = double(intervals);
            m_uniform.margin =
                detail::uniform_margin(m_xp.data(), intervals, m_uniform.first, m_uniform.norm);
        }
    }

    double operator()(double x) const {
        const std::size_t n = m_xp.size();
        if (std::isnan(x)) return x;
        if (x < m_xp[0]) return m_fp[0];
        if (x >= m_xp[n - 1]) return m_fp[n - 1];
        // Largest j with xp[j] <= x, by binary search.
        const std::size_t j =
            std::size_t(std::upper_bound(m_xp.begin(), m_xp.end(), x) - m_xp.begin()) - 1;
        if (m_xp[j] == x) return m_fp[j];
        return within(j, x);
    }

    // Whether map_row() finds most intervals by arithmetic.
    bool near_uniform() const { return detail::worthwhile(m_uniform); }

    // out[x] = T((*this)(in[x])) for a packed row, with the intervals of most values from
    // detail::sure_bins: a value strictly inside interval j is what the search would give.
    template <typename T>
    void map_row(const T* in, T* out, int64_t count) const {
        constexpr int64_t kBlock = 512;
        int32_t intervals[kBlock];
        for (int64_t start = 0; start < count; start += kBlock) {
            const int64_t length = std::min(kBlock, count - start);
            const T* from = in + start;
            detail::sure_bins(from, length, m_uniform, intervals);
            for (int64_t i = 0; i < length; ++i) {
                const double x = double(from[i]);
                const int32_t j = intervals[i];
                out[start + i] = T(j >= 0 ? within(std::size_t(j), x) : (*this)(x));
            }
        }
    }

private:
    // The value at x in (xp[j], xp[j + 1]).
    double within(std::size_t j, double x) const {
        double result = m_slopes[j] * (x - m_xp[j]) + m_fp[j];
        if (std::isnan(result)) {
            result = m_slopes[j] * (x - m_xp[j + 1]) + m_fp[j + 1];
            if (std::isnan(result) && m_fp[j] == m_fp[j + 1]) result = m_fp[j];
        }
        return result;
    }

    std::vector<double> m_xp;
    std::vector<double> m_fp;
    std::vector<double> m_slopes;
    detail::UniformBins m_uniform;
};

// ---------------------------------------------------------------- rescale

struct NamedRange {
    std::string_view name;
    double low;
    double high;
    PixelType type;
};

constexpr NamedRange kNamedRanges[] = {
    {"uint8", 0, 255, PixelType::u8},
    {"int8", -128, 127, PixelType::i8},
    {"uint16", 0, 65535, PixelType::u16},
    {"int16", -32768, 32767, PixelType::i16},
    {"uint32", 0, 4294967295.0, PixelType::u32},
    {"int32", -2147483648.0, 2147483647, PixelType::i32},
    {"float32", -1, 1, PixelType::f32},
    {"float64", -1, 1, PixelType::f64},
    {"float", -1, 1, PixelType::f64},
    {"uint10", 0, 1023, PixelType::u16},
    {"uint12", 0, 4095, PixelType::u16},
    {"uint14", 0, 16383, PixelType::u16},
    {"u8", 0, 255, PixelType::u8},
    {"i8", -128, 127, PixelType::i8},
    {"u16", 0, 65535, PixelType::u16},
    {"i16", -32768, 32767, PixelType::i16},
    {"u32", 0, 4294967295.0, PixelType::u32},
    {"i32", -2147483648.0, 2147483647, PixelType::i32},
    {"f32", -1, 1, PixelType::f32},
    {"f64", -1, 1, PixelType::f64},
};

// skimage's intensity_range for in_range and out_range on one (sub)volume.
RescaleLevels levels_of(const Volume& part, PixelType type, const IntensityRange& in_range,
                        const IntensityRange& out_range) {
    RescaleLevels levels{};
    switch (in_range.kind) {
        case IntensityRange::Kind::image:
            std::tie(levels.in_low, levels.in_high) = min_max(part);
            break;
        case IntensityRange::Kind::dtype:
            std::tie(levels.in_low, levels.in_high) = dtype_range(type);
            break;
        case IntensityRange::Kind::named:
        case IntensityRange::Kind::values:
            levels.in_low = in_range.low;
            levels.in_high = in_range.high;
            break;
        case IntensityRange::Kind::percentiles: {
            const double q[] = {in_range.low, in_range.high};
            const std::vector<double> p = percentiles(part, q);
            levels.in_low = p[0];
            levels.in_high = p[1];
            break;
        }
    }
    const bool clip_negative = levels.in_low >= 0;
    switch (out_range.kind) {
        case IntensityRange::Kind::image:
            std::tie(levels.out_low, levels.out_high) = min_max(part);
            break;
        case IntensityRange::Kind::dtype:
            std::tie(levels.out_low, levels.out_high) = dtype_range(type);
            if (clip_negative) levels.out_low = 0;
            break;
        case IntensityRange::Kind::named:
            levels.out_low = clip_negative ? 0.0 : out_range.low;
            levels.out_high = out_range.high;
            break;
        case IntensityRange::Kind::values:
            levels.out_low = out_range.low;
            levels.out_high = out_range.high;
            break;
        case IntensityRange::Kind::percentiles:
            throw ValueError("out_range cannot be given as percentiles");
    }
    return levels;
}

template <typename T, typename O>
void rescale_channels(const Volume& in, Volume& out, int64_t c_begin, int64_t c_end,
                      const RescaleLevels& l) {
    using C = Compute<T>;
    const C lo = C(l.in_low);
    const C hi = C(l.in_high);
    const C olo = C(l.out_low);
    const C ohi = C(l.out_high);
    // np.clip is maximum then minimum: NaN passes through.
    auto clip = [](C v, C a, C b) {
        v = v < a ? a : v;
        return v > b ? b : v;
    };
    if (l.in_low != l.in_high) {
        const C span = C(l.in_high - l.in_low);
        const C out_span = C(l.out_high - l.out_low);
        map_channels<T, O>(in, out, c_begin, c_end, [&](T value) {
            const C v = (clip(C(value), lo, hi) - lo) / span;
            return numpy_cast<O>(C(v * out_span + olo));
        });
    } else {
        map_channels<T, O>(in, out, c_begin, c_end, [&](T value) {
            return numpy_cast<O>(clip(clip(C(value), lo, hi), olo, ohi));
        });
    }
}

}  // namespace

IntensityRange IntensityRange::named(std::string_view name) {
    for (const NamedRange& range : kNamedRanges) {
        if (range.name == name) return {Kind::named, range.low, range.high, range.type};
    }
    throw ValueError(
        "Incorrect value for out_range, should be a valid image data type or a pair of values, "
        "got " +
        std::string(name) + ".");
}

namespace {

// An in_range whose low is above its high clips every voxel to one value (numpy's clip
// then returns the high end): skimage returns a constant image, which is never what was
// meant. Percentiles are checked here too, before the pass over the data.
void check_in_range(const IntensityRange& in_range) {
    using Kind = IntensityRange::Kind;
    if (in_range.kind == Kind::percentiles) {
        for (double q : {in_range.low, in_range.high}) {
            if (!(q >= 0.0 && q <= 100.0)) {
                throw ValueError("percentile " + format_number(q) + " is outside [0, 100]");
            }
        }
        if (in_range.low > in_range.high) {
            throw ValueError("percentiles out of order: low " + format_number(in_range.low) +
                             " is above high " + format_number(in_range.high));
        }
    } else if (in_range.kind == Kind::values) {
        if (!std::isfinite(in_range.low) || !std::isfinite(in_range.high)) {
            throw ValueError("in_range values must be finite, got " + format_number(in_range.low) +
                             " and " + format_number(in_range.high));
        }
        if (in_range.low > in_range.high) {
            throw ValueError("in_range out of order: low " + format_number(in_range.low) +
                             " is above high " + format_number(in_range.high));
        }
    }
}

Volume rescale_into(const Volume& volume, const IntensityRange& in_range,
                    const IntensityRange& out_range, ChannelMode mode, bool in_place,
                    std::vector<RescaleLevels>& levels) {
    check_in_range(in_range);
    if (out_range.kind == IntensityRange::Kind::percentiles) {
        throw ValueError("out_range cannot be given as percentiles");
    }
    const PixelType type = volume.pixel_type();
    PixelType out_type = type;
    if (out_range.kind == IntensityRange::Kind::named) out_type = out_range.type;
    if (out_range.kind == IntensityRange::Kind::values) {
        out_type = type == PixelType::f32 ? PixelType::f32 : PixelType::f64;
    }
    const int64_t channels = volume.shape().c;
    const bool split = mode == ChannelMode::per_channel && channels > 1;
    // All levels first: an in-place write must not change data a later range reads.
    levels.clear();
    for (int64_t c = 0; c < (split ? channels : 1); ++c)
        levels.push_back(levels_of(split ? volume.channel(c) : volume, type, in_range, out_range));
    Volume out = output_for(volume, out_type, in_place);
    for (int64_t c0 = 0; c0 < (split ? channels : 1); ++c0) {
        const int64_t c1 = split ? c0 + 1 : channels;
        visit(type, [&](auto in_tag) {
            using T = typename decltype(in_tag)::type;
            visit(out_type, [&](auto out_tag) {
                using O = typename decltype(out_tag)::type;
                rescale_channels<T, O>(volume, out, c0, c1, levels[std::size_t(c0)]);
            });
        });
    }
    return out;
}

// out[x] = sqrt(in[x]) * gain for a packed float row: gamma 0.5 of float data, numpy's sqrt
// fast path. SSE2 vectors round the root and the product once each, as the scalar loop
// would (which GCC does not vectorise: sqrt may set errno). Returns whether any value was
// negative.
template <typename T>
bool sqrt_row(const T* in, T* out, int64_t count, T gain) {
    int64_t x = 0;
    bool negative = false;
#ifdef __SSE2__
    if constexpr (std::is_same_v<T, float>) {
        const __m128 factor = _mm_set1_ps(gain), zero = _mm_setzero_ps();
        __m128 below = zero;
        for (; x + 4 <= count; x += 4) {
            const __m128 v = _mm_loadu_ps(in + x);
            below = _mm_or_ps(below, _mm_cmplt_ps(v, zero));
            _mm_storeu_ps(out + x, _mm_mul_ps(_mm_sqrt_ps(v), factor));
        }
        negative = _mm_movemask_ps(below) != 0;
    } else {
        const __m128d factor = _mm_set1_pd(gain), zero = _mm_setzero_pd();
        __m128d below = zero;
        for (; x + 2 <= count; x += 2) {
            const __m128d v = _mm_loadu_pd(in + x);
            below = _mm_or_pd(below, _mm_cmplt_pd(v, zero));
            _mm_storeu_pd(out + x, _mm_mul_pd(_mm_sqrt_pd(v), factor));
        }
        negative = _mm_movemask_pd(below) != 0;
    }
#endif
    for (; x < count; ++x) {
        negative |= in[x] < T(0);
        out[x] = std::sqrt(in[x]) * gain;
    }
    return negative;
}

// out = fn(in) for gamma, log and sigmoid of a float32 volume, in blocks of a row:
// row(values, results, count) evaluates the op's pow, log or exp for many values at once
// (detail::power_floats and its kin), then its float arithmetic in numpy's order. Strided
// rows are gathered first, so every layout gives the same bits. Negative values are
// refused as by correct_values.
template <typename Row>
void correct_float32(const Volume& in, Volume& out, Row&& row) {
    if (out.shares_memory_with(in) && any_negative<float>(in)) throw_negative();
    const auto src = in.view<float>();
    const auto dst = out.mutable_view<float>();  // packed along x (output_for)
    const Shape& shape = in.shape();
    const int64_t step = src.strides[2];
    const bool negative = any_plane(shape, [&](int64_t c, int64_t z) {
        constexpr int64_t kBlock = 256;
        float gathered[kBlock];
        int below = 0;  // an int, which the compiler reduces in vectors, unlike a bool
        for (int64_t y = 0; y < shape.y; ++y) {
            const float* s = src.row(z, y, c);
            float* d = dst.row(z, y, c);
            for (int64_t start = 0; start < shape.x; start += kBlock) {
                const int64_t n = std::min(kBlock, shape.x - start);
                const float* values = s + start * step;
                if (step != 1) {
                    for (int64_t x = 0; x < n; ++x)
                        gathered[x] = values[x * step];
                    values = gathered;
                }
#pragma omp simd reduction(| : below)
                for (int64_t x = 0; x < n; ++x)
                    below |= values[x] < 0.0f ? 1 : 0;
                row(values, d + start, n);
            }
        }
        return below != 0;
    });
    if (negative) throw_negative();
}

// gamma 0.5 of the values first, first + 1, ... in numpy's order, (sqrt(v / scale) * scale)
// * gain, for the table of 8/16-bit data: the divisions and roots go in vectors (a scalar
// divsd and sqrtsd per entry were 7% of the cells' gamma), with the same bits.
VOX_AVX2_CLONE void gamma_half_row(std::int32_t first, std::int32_t n, double scale, double gain,
                                   double* out) {
    for (std::int32_t k = 0; k < n; ++k)  // 32-bit values: AVX2 converts no 64-bit ones
        out[k] = std::sqrt(double(first + k) / scale) * scale * gain;
}

Volume gamma_into(const Volume& volume, double gamma, double gain, bool in_place) {
    if (gamma < 0) throw ValueError("gamma must be non-negative, got " + format_number(gamma));
    const PixelType type = volume.pixel_type();
    Volume out = output_for(volume, type, in_place);
    if (type == PixelType::u8) {
        // skimage's _adjust_gamma_u8: the table from np.linspace(0, 1, 256).
        const double factor = 255 * gain;
        map_channels<std::uint8_t, std::uint8_t>(
            volume, out, 0, volume.shape().c, [&](std::uint8_t v) {
                const double x = v == 255 ? 1.0 : double(v) * (1.0 / 255);
                const double entry = std::min(factor * numpy_power(x, gamma), 255.0);
                return numpy_cast<std::uint8_t>(entry);
            });
        return out;
    }
    const double scale = correction_scale(type);
    visit(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        using C = Compute<T>;
        if constexpr (std::is_floating_point_v<T>) {
            // The tutorial's gamma 0.5: a root per value costs less than any table or cache
            // (scale is 1 for floats, so it drops out exactly).
            if (gamma == 0.5 && volume.strides()[2] == 1) {
                if (out.shares_memory_with(volume) && any_negative<T>(volume)) throw_negative();
                std::atomic<bool> negative{false};
                map_packed_rows<T>(volume, out, [&](const T* s, T* d, int64_t n) {
                    if (sqrt_row(s, d, n, T(gain))) negative = true;
                });
                if (negative) throw_negative();
                return;
            }
        }
        if constexpr (kSmallInt<T>) {
            if (gamma == 0.5) {
                if (any_negative<T>(volume)) throw_negative();
                map_through_table<T, T>(
                    volume, out, 0, volume.shape().c, [&](T* table, int64_t b, int64_t e) {
                        constexpr int64_t kBlock = 256;
                        double roots[kBlock];
                        for (int64_t start = b; start < e; start += kBlock) {
                            const int64_t n = std::min(kBlock, e - start);
                            const int64_t first = start + std::numeric_limits<T>::min();
                            gamma_half_row(std::int32_t(first), std::int32_t(n), scale, gain,
                                           roots);
                            for (int64_t k = 0; k < n; ++k)
                                table[start + k] = numpy_cast<T>(roots[k]);
                        }
                    });
                return;
            }
        }
        const auto fn = [&](T v) {
            const C x = C(v) / C(scale);
            return numpy_cast<T>(C(C(numpy_power(x, gamma) * C(scale)) * C(gain)));
        };
        if constexpr (std::is_same_v<T, float>) {
            // numpy's fast paths (a root, a product) as numpy takes them; other exponents
            // by power_floats (scale is 1 for floats).
            if (gamma == 0.0 || gamma == 0.5 || gamma == 1.0 || gamma == 2.0) {
                correct_float32(volume, out, [&](const float* s, float* d, int64_t n) {
                    for (int64_t x = 0; x < n; ++x)
                        d[x] = fn(s[x]);
                });
            } else {
                correct_float32(volume, out, [&](const float* s, float* d, int64_t n) {
                    detail::power_floats(s, d, n, double(float(gamma)));
                    for (int64_t x = 0; x < n; ++x)
                        d[x] = d[x] * float(gain);
                });
            }
        } else {
            correct_values<T>(volume, out, fn);
        }
    });
    return out;
}

Volume log_into(const Volume& volume, double gain, bool inv, bool in_place) {
    const PixelType type = volume.pixel_type();
    Volume out = output_for(volume, type, in_place);
    const double scale = correction_scale(type);
    visit(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        using C = Compute<T>;
        if constexpr (std::is_same_v<T, float>) {
            correct_float32(volume, out, [&](const float* s, float* d, int64_t n) {
                if (inv) {
                    detail::exp2_floats(s, d, n);
                    for (int64_t x = 0; x < n; ++x)
                        d[x] = (d[x] - 1.0f) * float(gain);
                } else {
                    for (int64_t x = 0; x < n; ++x)
                        d[x] = 1.0f + s[x];
                    detail::log2_floats(d, d, n);
                    for (int64_t x = 0; x < n; ++x)
                        d[x] = d[x] * float(gain);
                }
            });
        } else {
            const auto fn = [&](T v) {
                const C x = C(v) / C(scale);
                const C y = inv ? C(std::pow(C(2), x) - C(1)) : C(std::log2(C(1) + x));
                return numpy_cast<T>(C(C(y * C(scale)) * C(gain)));
            };
            correct_values<T>(volume, out, fn);
        }
    });
    return out;
}

Volume sigmoid_into(const Volume& volume, double cutoff, double gain, bool inv, bool in_place) {
    const PixelType type = volume.pixel_type();
    Volume out = output_for(volume, type, in_place);
    const double scale = correction_scale(type);
    visit(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        using C = Compute<T>;
        if constexpr (std::is_same_v<T, float>) {
            correct_float32(volume, out, [&](const float* s, float* d, int64_t n) {
                for (int64_t x = 0; x < n; ++x)
                    d[x] = float(gain) * (float(cutoff) - s[x]);
                detail::exp_floats(d, d, n);
                for (int64_t x = 0; x < n; ++x) {
                    const float sigmoid = 1.0f / (1.0f + d[x]);
                    d[x] = inv ? 1.0f - sigmoid : sigmoid;
                }
            });
        } else {
            const auto fn = [&](T v) {
                const C x = C(v) / C(scale);
                const C s = C(1) / C(C(1) + std::exp(C(C(gain) * C(C(cutoff) - x))));
                return numpy_cast<T>(C((inv ? C(C(1) - s) : s) * C(scale)));
            };
            correct_values<T>(volume, out, fn);
        }
    });
    return out;
}

}  // namespace

Volume rescale_intensity(const Volume& volume, const IntensityRange& in_range,
                         const IntensityRange& out_range, ChannelMode mode) {
    std::vector<RescaleLevels> levels;
    return rescale_into(volume, in_range, out_range, mode, false, levels);
}
Volume rescale_intensity(Volume&& volume, const IntensityRange& in_range,
                         const IntensityRange& out_range, ChannelMode mode) {
    std::vector<RescaleLevels> levels;
    return rescale_into(volume, in_range, out_range, mode, true, levels);
}
Volume rescale_intensity(Volume&& volume, const IntensityRange& in_range,
                         const IntensityRange& out_range, ChannelMode mode,
                         std::vector<RescaleLevels>& levels_used) {
    return rescale_into(volume, in_range, out_range, mode, true, levels_used);
}
Volume adjust_gamma(const Volume& volume, double gamma, double gain) {
    return gamma_into(volume, gamma, gain, false);
}
Volume adjust_gamma(Volume&& volume, double gamma, double gain) {
    return gamma_into(volume, gamma, gain, true);
}
Volume adjust_log(const Volume& volume, double gain, bool inv) {
    return log_into(volume, gain, inv, false);
}
Volume adjust_log(Volume&& volume, double gain, bool inv) {
    return log_into(volume, gain, inv, true);
}
Volume adjust_sigmoid(const Volume& volume, double cutoff, double gain, bool inv) {
    return sigmoid_into(volume, cutoff, gain, inv, false);
}
Volume adjust_sigmoid(Volume&& volume, double cutoff, double gain, bool inv) {
    return sigmoid_into(volume, cutoff, gain, inv, true);
}

Histogram histogram(const Volume& volume, int nbins, SourceRange source_range,
                    IntegerBins integer_bins) {
    if (nbins < 1) throw ValueError("nbins must be at least 1, got " + std::to_string(nbins));
    return visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const PlaneRuns<T> runs{volume.view<T>()};
        if constexpr (std::is_integral_v<T>) {
            if (integer_bins == IntegerBins::uniform) {
                auto [counts, layout] =
                    uniform_histograms_of<T>(std::vector{runs}, nbins, source_range);
                return Histogram{std::move(counts.front()), centers_of(layout)};
            }
        }
        HistogramOf h = histogram_of<T>(runs, nbins, source_range);
        return Histogram{std::move(h.counts), std::move(h.centers)};
    });
}

Histogram finite_histogram(const Volume& volume, int nbins, std::int64_t* left_out) {
    if (nbins < 1) throw ValueError("nbins must be at least 1, got " + std::to_string(nbins));
    return visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        int64_t dropped = 0;
        HistogramOf h = finite_histogram_of<T>(PlaneRuns<T>{volume.view<T>()}, nbins, dropped);
        if (left_out != nullptr) *left_out = dropped;
        return Histogram{std::move(h.counts), std::move(h.centers)};
    });
}

ChannelHistograms histogram_per_channel(const Volume& volume, int nbins, SourceRange source_range,
                                        IntegerBins integer_bins) {
    if (nbins < 1) throw ValueError("nbins must be at least 1, got " + std::to_string(nbins));
    return visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        std::vector<PlaneRuns<T>> parts;
        for (int64_t c = 0; c < volume.shape().c; ++c)
            parts.push_back(PlaneRuns<T>{volume.channel(c).view<T>()});
        if constexpr (std::is_integral_v<T>) {
            if (integer_bins == IntegerBins::uniform) {
                auto [counts, layout] = uniform_histograms_of<T>(parts, nbins, source_range);
                return ChannelHistograms{std::move(counts), centers_of(layout)};
            }
        }
        auto [counts, layout] = histograms_of<T>(parts, nbins, source_range);
        return ChannelHistograms{std::move(counts), centers_of(layout)};
    });
}

CumulativeDistribution cumulative_distribution(const Volume& volume, int nbins) {
    if (nbins < 1) throw ValueError("nbins must be at least 1, got " + std::to_string(nbins));
    return visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        HistogramOf h = histogram_of<T>(PlaneRuns<T>{volume.view<T>()}, nbins, SourceRange::image);
        return CumulativeDistribution{cdf_of<T>(h.counts), std::move(h.centers)};
    });
}

Volume equalize_hist(const Volume& volume, int nbins, const Volume* mask) {
    if (nbins < 1) throw ValueError("nbins must be at least 1, got " + std::to_string(nbins));
    const PixelType type = volume.pixel_type();
    const PixelType out_type = type == PixelType::f32 ? PixelType::f32 : PixelType::f64;
    Volume out = allocate_like(volume, out_type);
    visit(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        HistogramOf h;
        if (mask) {
            const std::vector<T> values = gather_masked<T>(volume, *mask);
            h = histogram_of<T>(FlatRuns<T>{values}, nbins, SourceRange::image);
        } else {
            h = histogram_of<T>(PlaneRuns<T>{volume.view<T>()}, nbins, SourceRange::image);
        }
        const Interp interp(std::move(h.centers), cdf_of<T>(h.counts));
        if constexpr (std::is_floating_point_v<T>) {
            // A binary search per voxel: img_as_float's values are looked up instead, and
            // the intervals of other packed floats found by arithmetic.
            if (interp.near_uniform() && volume.strides()[2] == 1 &&
                !QuantizedTable<T>::worthwhile(volume)) {
                map_packed_rows<T>(volume, out,
                                   [&](const T* s, T* d, int64_t n) { interp.map_row(s, d, n); });
            } else {
                map_values_of<T>(volume, out, [&](T v) { return T(interp(double(v))); });
            }
        } else {
            map_channels<T, double>(volume, out, 0, volume.shape().c,
                                    [&](T v) { return interp(double(v)); });
        }
    });
    return out;
}

namespace {

// np.unique(values, return_counts=True).
template <typename T>
void unique_counts(std::vector<T> values, std::vector<double>& unique,
                   std::vector<int64_t>& counts) {
    if constexpr (kSmallInt<T>) {
        const int64_t low = std::numeric_limits<T>::min();
        const std::vector<int64_t> all = count_all_values<T>(FlatRuns<T>{values});
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (all[i] == 0) continue;
            unique.push_back(double(int64_t(i) + low));
            counts.push_back(all[i]);
        }
    } else {
        // numpy sorts NaN last and, since 1.21, keeps one NaN in unique.
        std::sort(values.begin(), values.end(), [](T a, T b) {
            if constexpr (std::is_floating_point_v<T>) {
                if (std::isnan(a)) return false;
                if (std::isnan(b)) return true;
            }
            return a < b;
        });
        for (std::size_t i = 0; i < values.size();) {
            std::size_t j = i + 1;
            while (j < values.size() &&
                   (values[j] == values[i] || (values[j] != values[j] && values[i] != values[i])))
                ++j;
            unique.push_back(double(values[i]));
            counts.push_back(int64_t(j - i));
            i = j;
        }
    }
}

std::vector<double> quantiles(const std::vector<int64_t>& counts, int64_t size) {
    std::vector<double> q(counts.size());
    int64_t running = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        running += counts[i];
        q[i] = double(running) / double(size);
    }
    return q;
}

// skimage's _match_cumulative_cdf for channels [c0, c1) of `volume` into `out`.
template <typename T, typename O>
void match_part(const Volume& volume, const Volume& source, const Volume& reference, Volume& out,
                int64_t c0, int64_t c1) {
    std::vector<double> src_values;
    std::vector<int64_t> src_counts;
    unique_counts(gather<T>(source), src_values, src_counts);
    std::vector<double> ref_values;
    std::vector<int64_t> ref_counts;
    visit(reference.pixel_type(), [&](auto tag) {
        using R = typename decltype(tag)::type;
        unique_counts(gather<R>(reference), ref_values, ref_counts);
    });
    const Interp interp(quantiles(ref_counts, reference.shape().values()), ref_values);
    const std::vector<double> src_q = quantiles(src_counts, source.shape().values());
    std::vector<double> mapped(src_q.size());
    for (std::size_t i = 0; i < src_q.size(); ++i)
        mapped[i] = interp(src_q[i]);
    map_channels<T, O>(volume, out, c0, c1, [&](T v) {
        if constexpr (kSmallInt<T>) {
            // Values absent from the source never reach the table lookup.
            const auto it = std::lower_bound(src_values.begin(), src_values.end(), double(v));
            if (it == src_values.end() || *it != double(v)) return O(0);
            return numpy_cast<O>(mapped[std::size_t(it - src_values.begin())]);
        } else {
            auto it = std::lower_bound(src_values.begin(), src_values.end(), double(v));
            if (it == src_values.end()) it = std::prev(src_values.end());  // NaN: last entry
            return numpy_cast<O>(mapped[std::size_t(it - src_values.begin())]);
        }
    });
}

}  // namespace

Volume match_histograms(const Volume& volume, const Volume& reference, ChannelMode mode) {
    const PixelType type = volume.pixel_type();
    const int64_t channels = volume.shape().c;
    if (mode == ChannelMode::per_channel && reference.shape().c != channels) {
        throw ValueError("Number of channels in the input image and reference image must match!");
    }
    const bool split = mode == ChannelMode::per_channel;
    PixelType out_type = type == PixelType::f32 ? PixelType::f32 : PixelType::f64;
    if (split && !is_float(type)) out_type = type;
    Volume out = allocate_like(volume, out_type);
    visit(type, [&](auto in_tag) {
        using T = typename decltype(in_tag)::type;
        visit(out_type, [&](auto out_tag) {
            using O = typename decltype(out_tag)::type;
            if (split) {
                for (int64_t c = 0; c < channels; ++c) {
                    match_part<T, O>(volume, volume.channel(c), reference.channel(c), out, c,
                                     c + 1);
                }
            } else {
                match_part<T, O>(volume, volume, reference, out, 0, channels);
            }
        });
    });
    return out;
}

}  // namespace vox
