// Projections along an axis with numpy's reduction semantics and summation order.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "common.h"
#include "dispatch.h"
#include "int128.h"
#include "integer_sums.h"
#include "vox/filters.h"
#include "vox/parallel.h"

namespace vox {
namespace {

// numpy's pairwise_sum (numpy/core/src/umath/loops_utils.h.src): blocks of at most
// 128 summed with 8 accumulators, halves (multiples of 8) summed recursively. numpy
// uses it when a reduction runs along the contiguous axis; we use it for x.
template <typename A>
A pairwise_sum(const A* a, std::int64_t n) {
    if (n < 8) {
        A res = A(0);
        for (std::int64_t i = 0; i < n; ++i)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        A r[8];
        for (int j = 0; j < 8; ++j)
            r[j] = a[j];
        std::int64_t i = 8;
        for (; i < n - (n % 8); i += 8) {
            for (int j = 0; j < 8; ++j)
                r[j] += a[i + j];
        }
        A res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; ++i)
            res += a[i];
        return res;
    }
    std::int64_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

// numpy's maximum / minimum of the result so far m and the next value v: the first NaN
// wins and stays, and of equal values the later one is kept (+0 after -0 gives +0).
template <typename T>
inline T take_max(T m, T v) {
    if constexpr (std::is_integral_v<T>) return std::max(m, v);  // plain SIMD max
    return (m > v || m != m) ? m : v;  // NOLINT(misc-redundant-expression): NaN test
}
template <typename T>
inline T take_min(T m, T v) {
    if constexpr (std::is_integral_v<T>) return std::min(m, v);
    return (m < v || m != m) ? m : v;  // NOLINT(misc-redundant-expression): NaN test
}

// numpy's sequential float max or min of value(0), ..., value(n - 1), given `extreme`, the one
// found in another order (or any NaN if there is one): only the NaN kept (numpy's first) and
// the sign of a zero (numpy's last of equal zeros) can differ, so those are looked up.
template <typename T, typename Value>
T as_numpy_keeps(T extreme, std::int64_t n, const Value& value) {
    std::int64_t k = 0;
    if (extreme != extreme) {  // NOLINT(misc-redundant-expression): NaN test
        while (value(k) == value(k))
            ++k;
        return value(k);
    }
    if (extreme == T(0)) {
        for (k = n - 1; value(k) != T(0); --k) {
        }
        return value(k);
    }
    return extreme;
}

// The max (keep_max) or min of n >= 1 floats as numpy's sequential reduction with take_max or
// take_min gives it: the first NaN if there is one, else the extreme, of equal extremes the
// later one (only +0 and -0 differ in their bits). Vector lanes find the extreme and whether
// a NaN occurs; the rare NaN and zero results then look for the value numpy keeps. The
// sequential loop cannot vectorise: along x, the max of the float32 cells took 3.6-4.4 ms.
template <typename T>
VOX_AVX2_CLONE T float_extreme(const T* row, std::int64_t n, bool keep_max) {
    typedef T Lanes __attribute__((vector_size(32)));
    constexpr std::int64_t kLanes = 32 / sizeof(T);
    T best = row[0];
    bool any_nan = false;
    std::int64_t i = 0;
    if (n >= 2 * kLanes) {
        Lanes extreme;
        std::memcpy(&extreme, row, sizeof(extreme));
        decltype(extreme != extreme) nan_lanes = extreme != extreme;
        for (i = kLanes; i + kLanes <= n; i += kLanes) {
            Lanes v;
            std::memcpy(&v, row + i, sizeof(v));
            nan_lanes |= v != v;
            extreme = keep_max ? (v > extreme ? v : extreme) : (v < extreme ? v : extreme);
        }
        best = extreme[0];
        for (std::int64_t lane = 0; lane < kLanes; ++lane) {
            any_nan = any_nan || nan_lanes[lane] != 0;
            const T v = extreme[lane];
            if (keep_max ? v > best : v < best) best = v;
        }
    }
    for (; i < n; ++i) {
        const T v = row[i];
        any_nan = any_nan || v != v;  // NOLINT(misc-redundant-expression): NaN test
        if (keep_max ? v > best : v < best) best = v;
    }
    return as_numpy_keeps(any_nan ? std::numeric_limits<T>::quiet_NaN() : best, n,
                          [row](std::int64_t k) { return row[k]; });
}

template <typename T>
struct Types {
    // Output of sum, mean and std: the float type itself, f64 for integers.
    using Out = std::conditional_t<std::is_floating_point_v<T>, T, double>;
    // Accumulator of sums: numpy adds floats in their own type, integers in 64 bits.
    using Sum =
        std::conditional_t<std::is_floating_point_v<T>, T,
                           std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>>;
};

using detail::Int128;

// numpy's std (the mean, then the mean of squared deviations, in float64) of n 8- or
// 16-bit values from their exact integer sum and sum of squares: n^2 var = n sum(v^2) -
// sum(v)^2 is exact in 128 bits, so the only rounding is the final division and square
// root, where numpy's two passes round at every step (within 1e-15 relative of numpy on
// the conformance cases). One pass over the data instead of two: the 512^3 std along y
// went from 38.5 to 19.2 ms.
inline double std_of_exact_sums(std::int64_t sum, std::uint64_t square_sum, std::int64_t n) {
    const Int128 scaled = Int128(n) * Int128(square_sum) - Int128(sum) * Int128(sum);
    return std::sqrt(double(scaled) / (double(n) * double(n)));
}

// An integer below 2^51 in magnitude as a double, exactly, in a form that vectorises (SIMD
// converts 64-bit integers only with AVX-512DQ): its bits added under the exponent of 1.5 * 2^52.
inline double exact_double(std::int64_t value) {
    return std::bit_cast<double>(std::uint64_t(value) + 0x4338000000000000u) - 0x1.8p52;
}

// Columns of at most this many values have n sum(v^2) and sum(v)^2 below 2^52 (a square of
// an 8- or 16-bit value is below 2^32), so that they and their difference are exact doubles.
constexpr std::int64_t kMostValuesForDoubleStd = 1024;

// std_of_exact_sums over a row of columns of n <= kMostValuesForDoubleStd values, bit for bit:
// the same exact n^2 var is divided and square-rooted, both correctly rounded, as vectors.
// The scalar loop, bound by divsd and sqrtsd, took a quarter of the cells' std along z.
template <typename Sum>
VOX_AVX2_CLONE void std_row_of_exact_sums(const Sum* sums, const std::uint64_t* square_sums,
                                          std::int64_t n, std::int64_t width, double* out) {
    const double count = double(n);
    const double count_squared = count * count;
#pragma omp simd
    for (std::int64_t x = 0; x < width; ++x) {
        const double sum = exact_double(std::int64_t(sums[x]));
        const double scaled = count * exact_double(std::int64_t(square_sums[x])) - sum * sum;
        out[x] = std::sqrt(scaled / count_squared);
    }
}

// Sum and sum of squares of at most 65536 8- or 16-bit values, exact: the sum fits 32 bits,
// a square fits 32 bits unsigned and their sum 64 bits. For the std along x, which took two
// passes through buffers of doubles (36 ms for 512^3 u16).
struct ExactSums {
    std::int64_t sum = 0;
    std::uint64_t square_sum = 0;
};

template <typename T>
VOX_AVX2_CLONE ExactSums small_sum_and_squares(const T* row, std::int64_t n) {
    using Small = std::conditional_t<std::is_signed_v<T>, std::int32_t, std::uint32_t>;
    Small total = 0;
    if constexpr (sizeof(T) == 2) {
        // Widening each 32-bit square to 64 bits kept the shuffle port busy (9 GB/s). Two
        // 16-bit values are read as one 32-bit word instead, and the squares' low and high
        // halves are added apart in 32 bits (at most 65536 values: no overflow).
        std::uint32_t low_halves = 0;
        std::uint32_t high_halves = 0;
        const std::int64_t pairs = n / 2;
#pragma omp simd reduction(+ : total, low_halves, high_halves)
        for (std::int64_t i = 0; i < pairs; ++i) {
            std::uint32_t word;
            std::memcpy(&word, row + 2 * i, sizeof(word));
            Small first;
            Small second;
            if constexpr (std::is_signed_v<T>) {
                first = std::int32_t(word << 16) >> 16;
                second = std::int32_t(word) >> 16;
            } else {
                first = word & 0xFFFFu;
                second = word >> 16;
            }
            total += first + second;
            const auto a = std::uint32_t(first * first);
            const auto b = std::uint32_t(second * second);
            low_halves += (a & 0xFFFFu) + (b & 0xFFFFu);
            high_halves += (a >> 16) + (b >> 16);
        }
        std::uint64_t squares = (std::uint64_t(high_halves) << 16) + low_halves;
        if (n % 2 != 0) {
            const Small last = Small(row[n - 1]);
            total += last;
            squares += std::uint32_t(last * last);
        }
        return {std::int64_t(total), squares};
    } else {
        std::uint32_t squares = 0;  // at most 65536 squares below 2^14 or 2^16
#pragma omp simd reduction(+ : total, squares)
        for (std::int64_t i = 0; i < n; ++i) {
            const Small value = Small(row[i]);
            total += value;
            squares += std::uint32_t(value * value);
        }
        return {std::int64_t(total), squares};
    }
}

// Along z, consecutive rows of a task lie a plane apart: each is a short stream that the
// hardware prefetchers pick up late, so the rows a few steps ahead are requested early.
constexpr std::int64_t kRowsAhead = 4;

template <typename T>
void prefetch_row(const T* row, std::int64_t width) {
    const auto* bytes = reinterpret_cast<const char*>(row);
    for (std::int64_t at = 0; at < width * std::int64_t(sizeof(T)); at += 64)
        __builtin_prefetch(bytes + at);
}

// Rows are packed (strides[2] == 1).
// Projection along x: one reduction per row, summed pairwise as numpy does.
template <typename T, typename O>
void project_x(const VolumeView<const T>& in, const VolumeView<O>& out, ProjectMode mode) {
    using Sum = typename Types<T>::Sum;
    using Out = typename Types<T>::Out;
    const Shape& shape = in.shape;
    const std::int64_t n = shape.x;
    constexpr bool kSmallInteger = std::is_integral_v<T> && sizeof(T) <= 2;
    parallel_for(
        0, shape.c * shape.z * shape.y, std::max<std::int64_t>(1, 8192 / n),
        [&](std::int64_t begin, std::int64_t end) {
            // 8- and 16-bit rows are summed without this buffer.
            std::vector<Sum> sums(kSmallInteger ? 0 : static_cast<std::size_t>(n));
            std::vector<Out> squares(static_cast<std::size_t>(n));
            // (c, z, y) of the row advance with the item: three divisions per
            // row took 9% of a sum along x.
            std::int64_t c = begin / (shape.z * shape.y);
            std::int64_t z = (begin / shape.y) % shape.z;
            std::int64_t y = begin % shape.y - 1;
            for (std::int64_t item = begin; item < end; ++item) {
                if (++y == shape.y) {
                    y = 0;
                    if (++z == shape.z) {
                        z = 0;
                        ++c;
                    }
                }
                const T* row = in.row(z, y, c);
                // The std's loop has more instructions per byte, so fewer loads are in
                // flight: 29 -> 13 ms for 512^3 u16. Max and min lost 2 ms with it.
                if (mode == ProjectMode::std) prefetch_row(row + kRowsAhead * in.strides[1], n);
                O& dst = out(z, y, 0, c);
                if (mode == ProjectMode::max || mode == ProjectMode::min) {
                    if constexpr (std::is_floating_point_v<T>) {
                        dst = O(float_extreme(row, n, mode == ProjectMode::max));
                    } else {
                        T m = row[0];
                        for (std::int64_t i = 1; i < n; ++i) {
                            m = mode == ProjectMode::max ? take_max(m, row[i])
                                                         : take_min(m, row[i]);
                        }
                        dst = O(m);
                    }
                    continue;
                }
                if constexpr (kSmallInteger) {
                    if (mode == ProjectMode::std && n <= 65536) {
                        const ExactSums sums_of_row = small_sum_and_squares(row, n);
                        dst = O(std_of_exact_sums(sums_of_row.sum, sums_of_row.square_sum, n));
                        continue;
                    }
                }
                Sum total;
                if constexpr (kSmallInteger) {
                    // Integer sums are exact in any order: a row of up to 65536
                    // 8- or 16-bit values adds up in 32 bits, twice the SIMD lanes
                    // of 64 bits, and without a pass through a buffer.
                    total = Sum(detail::exact_integer_sum(row, n));
                } else {
                    for (std::int64_t i = 0; i < n; ++i)
                        sums[std::size_t(i)] = Sum(row[i]);
                    total = pairwise_sum(sums.data(), n);
                }
                if (mode == ProjectMode::sum) {
                    dst = O(total);
                    continue;
                }
                const Out mean = Out(total) / Out(n);
                if (mode == ProjectMode::mean) {
                    dst = O(mean);
                    continue;
                }
                for (std::int64_t i = 0; i < n; ++i) {
                    const Out d = Out(row[i]) - mean;
                    squares[std::size_t(i)] = d * d;
                }
                dst = O(std::sqrt(pairwise_sum(squares.data(), n) / Out(n)));
            }
        });
}

// Adds a row of 8/16-bit values into 32-bit sums and their squares into 64-bit sums. An
// AVX2 clone for the reason detail::exact_integer_sum has one: the std along y of 512^3 u16
// went from 19.2 to 15.8 ms (integer sums: the clone cannot change them).
template <typename Small, typename T>
VOX_AVX2_CLONE void add_with_squares_into(Small* sums, std::uint64_t* square_sums, const T* row,
                                          std::int64_t width) {
    for (std::int64_t x = 0; x < width; ++x) {
        const Small value = Small(row[x]);
        sums[x] += value;
        square_sums[x] += std::uint64_t(std::uint32_t(value * value));
    }
}

// add_with_squares_into for four rows at once: the accumulators are read and written once
// per four rows instead of once per row (the sums are exact, so the order cannot matter).
template <typename Small, typename T>
VOX_AVX2_CLONE void add_four_with_squares_into(Small* sums, std::uint64_t* square_sums, const T* a,
                                               const T* b, const T* c, const T* d,
                                               std::int64_t width) {
    using Wide = std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>;
    for (std::int64_t x = 0; x < width; ++x) {
        const Wide va = Wide(a[x]);
        const Wide vb = Wide(b[x]);
        const Wide vc = Wide(c[x]);
        const Wide vd = Wide(d[x]);
        sums[x] += (Small(a[x]) + Small(b[x])) + (Small(c[x]) + Small(d[x]));
        square_sums[x] += std::uint64_t((va * va + vb * vb) + (vc * vc + vd * vd));
    }
}

// Sums and sums of squares of n rows of 8- or 16-bit values (line(k) is row k) per column,
// exact: a square is below 2^32, and the row sums add in 32 bits for at most 32768 rows
// at a time (as for sum and mean) before they are folded into 64 bits.
template <typename T, typename Line, typename Small, typename Sum>
void exact_std_rows(const Line& line, std::int64_t n, std::int64_t width, Small* block, Sum* sums,
                    std::uint64_t* square_sums) {
    std::fill(block, block + width, Small(0));
    std::fill(sums, sums + width, Sum(0));
    std::fill(square_sums, square_sums + width, std::uint64_t(0));
    for (std::int64_t k0 = 0; k0 < n; k0 += 32768) {
        const std::int64_t k_end = std::min(n, k0 + 32768);
        std::int64_t k = k0;
        // Four at a time, the accumulators are read and written once per four rows: std along
        // z of 512^3 u16 14.5 -> 13.3 ms, of the cells 0.85 -> 0.75 ms. Along y, where four
        // adjacent rows were slower than one (14.4 against 11.9 ms), they come quartered.
        for (; k + 4 <= k_end; k += 4) {
            for (std::int64_t ahead = k + kRowsAhead; ahead < std::min(n, k + kRowsAhead + 4);
                 ++ahead)
                prefetch_row(line(ahead), width);
            add_four_with_squares_into(block, square_sums, line(k), line(k + 1), line(k + 2),
                                       line(k + 3), width);
        }
        for (; k < k_end; ++k) {
            if (k + kRowsAhead < n) prefetch_row(line(k + kRowsAhead), width);
            add_with_squares_into(block, square_sums, line(k), width);
        }
        for (std::int64_t x = 0; x < width; ++x) {
            sums[x] += Sum(block[x]);
            block[x] = Small(0);
        }
    }
}

// Adds a row of 8/16-bit values into 32-bit sums. The AVX2 clone, for the reason
// detail::exact_integer_sum has one, made the mean along z of 512^3 u16 go from 14.4 to 11.7 ms
// (integer sums are exact: no result depends on the clone). Max and min along z gained nothing from
// one.
template <typename A, typename T>
VOX_AVX2_CLONE void add_into(A* sums, const T* row, std::int64_t width) {
    for (std::int64_t x = 0; x < width; ++x)
        sums[x] += A(row[x]);
}

// Adds four rows of 8/16-bit values into 32-bit sums (exact: the clone cannot change them).
template <typename A, typename T>
VOX_AVX2_CLONE void add_four_into(A* sums, const T* a, const T* b, const T* c, const T* d,
                                  std::int64_t width) {
    for (std::int64_t x = 0; x < width; ++x)
        sums[x] += (A(a[x]) + A(b[x])) + (A(c[x]) + A(d[x]));
}

// Reduces columns of n values over the planes at(0), ..., at(depth - 1) into acc: four planes
// at a time, so that the accumulators are read and written once per four planes read.
// Max and min keep numpy's order, plane after plane (the NaN and the zero it keeps).
template <typename T, typename At>
VOX_AVX2_CLONE void extremes_of_planes(T* acc, const At& at, std::int64_t depth, std::int64_t n,
                                       bool keep_max) {
    std::copy_n(at(0), n, acc);
    std::int64_t z = 1;
    for (; z + 4 <= depth; z += 4) {
        const T *a = at(z), *b = at(z + 1), *c = at(z + 2), *d = at(z + 3);
        if (keep_max) {
            for (std::int64_t x = 0; x < n; ++x)
                acc[x] = take_max(take_max(take_max(take_max(acc[x], a[x]), b[x]), c[x]), d[x]);
        } else {
            for (std::int64_t x = 0; x < n; ++x)
                acc[x] = take_min(take_min(take_min(take_min(acc[x], a[x]), b[x]), c[x]), d[x]);
        }
    }
    for (; z < depth; ++z) {
        const T* a = at(z);
        for (std::int64_t x = 0; x < n; ++x)
            acc[x] = keep_max ? take_max(acc[x], a[x]) : take_min(acc[x], a[x]);
    }
}

// The exact sums of columns of n 8/16-bit values over at most 65536 planes (or rows), in 32
// bits.
template <typename Small, typename T, typename At>
void sums_of_planes(Small* acc, const At& at, std::int64_t depth, std::int64_t n) {
    const T* first = at(0);
    for (std::int64_t x = 0; x < n; ++x)
        acc[x] = Small(first[x]);
    std::int64_t z = 1;
    for (; z + 4 <= depth; z += 4)
        add_four_into(acc, at(z), at(z + 1), at(z + 2), at(z + 3), n);
    for (; z < depth; ++z)
        add_into(acc, at(z), n);
}

// Exact 32-bit sums as doubles, divided by `divisor` unless it is 1 (the mean of the values
// summed). The conversion through exact_double vectorises; a 64-bit one did not (it took a
// fifth of the sum along z of the cells).
template <typename Small>
VOX_AVX2_CLONE void sums_as_doubles(const Small* sums, std::int64_t n, std::int64_t divisor,
                                    double* out) {
    if (divisor == 1) {
        for (std::int64_t x = 0; x < n; ++x)
            out[x] = exact_double(std::int64_t(sums[x]));
        return;
    }
    const double by = double(divisor);
    for (std::int64_t x = 0; x < n; ++x)
        out[x] = exact_double(std::int64_t(sums[x])) / by;
}

// Row i of n rows in the order 0, q, 2q, 3q, 1, q + 1, ... (q = n / 4), then the last n % 4:
// four rows at a time come from the four quarters of a plane, four sequential streams that
// the hardware prefetchers follow. Four adjacent rows at a time interleave within each page:
// the max along y of 512^3 u16 ran at two thirds of the rate of single rows.
inline std::int64_t quartered_row(std::int64_t i, std::int64_t n) {
    const std::int64_t q = n / 4;
    return i < 4 * q ? (i % 4) * q + i / 4 : i;
}

// Projection along y or z: rows added one after another into a row of accumulators,
// the order numpy's reduction takes over a non-contiguous axis. Along y, integer sums and
// all max and min take the rows quartered (quartered_row): no order changes those results
// once a float's NaN and zero are looked up.
template <typename T, typename O>
void project_rows(const VolumeView<const T>& in, const VolumeView<O>& out, Axis axis,
                  ProjectMode mode) {
    using Sum = typename Types<T>::Sum;
    using Out = typename Types<T>::Out;
    const Shape& shape = in.shape;
    const std::int64_t n = axis == Axis::z ? shape.z : shape.y;
    const std::int64_t outer = axis == Axis::z ? shape.y : shape.z;
    const std::int64_t width = shape.x;
    const bool by_quarters = mode == ProjectMode::max || mode == ProjectMode::min ||
                             (std::is_integral_v<T> && sizeof(T) <= 2 && n <= 65536 &&
                              (mode == ProjectMode::sum || mode == ProjectMode::mean));
    parallel_for(0, shape.c * outer, 1, [&](std::int64_t begin, std::int64_t end) {
        std::vector<T> extreme(static_cast<std::size_t>(width));
        std::vector<Sum> sums(static_cast<std::size_t>(width));
        std::vector<Out> means(static_cast<std::size_t>(width));
        std::vector<Out> squares(static_cast<std::size_t>(width));
        using Small = std::conditional_t<std::is_signed_v<T>, std::int32_t, std::uint32_t>;
        std::vector<Small> small(static_cast<std::size_t>(width));
        std::vector<std::uint64_t> square_sums(
            std::is_integral_v<T> && sizeof(T) <= 2 ? static_cast<std::size_t>(width) : 0);
        for (std::int64_t item = begin; item < end; ++item) {
            const std::int64_t c = item / outer;
            const std::int64_t o = item % outer;
            auto line = [&](std::int64_t k) {
                return axis == Axis::z ? in.row(k, o, c) : in.row(o, k, c);
            };
            O* dst = axis == Axis::z ? out.row(0, o, c) : out.row(o, 0, c);
            const std::int64_t ds = out.strides[2];
            // Along y, rows in quartered_row's order, for results that no order changes.
            const auto quartered = [&](std::int64_t i) {
                return line(axis == Axis::y ? quartered_row(i, n) : i);
            };
            if (axis == Axis::y && by_quarters) {
                // Single rows were bound by the accumulators' stores on the cells: max along y
                // 0.27-0.38 -> 0.13-0.14 ms, sum 0.27-0.28 -> 0.19-0.20 ms (512^3 u16:
                // unchanged or faster).
                if (mode == ProjectMode::max || mode == ProjectMode::min) {
                    extremes_of_planes(extreme.data(), quartered, n, width,
                                       mode == ProjectMode::max);
                    for (std::int64_t x = 0; x < width; ++x) {
                        T value = extreme[std::size_t(x)];
                        if constexpr (std::is_floating_point_v<T>) {
                            value = as_numpy_keeps(value, n,
                                                   [&](std::int64_t k) { return line(k)[x]; });
                        }
                        dst[x * ds] = O(value);
                    }
                    continue;
                }
                if constexpr (std::is_integral_v<T> && sizeof(T) <= 2 &&
                              std::is_same_v<O, double>) {
                    sums_of_planes<Small, T>(small.data(), quartered, n, width);
                    sums_as_doubles(small.data(), width, mode == ProjectMode::mean ? n : 1,
                                    means.data());
                    for (std::int64_t x = 0; x < width; ++x)
                        dst[x * ds] = means[std::size_t(x)];
                    continue;
                }
            }
            if (mode == ProjectMode::max || mode == ProjectMode::min) {
                const T* first = line(0);
                for (std::int64_t x = 0; x < width; ++x)
                    extreme[std::size_t(x)] = first[x];
                for (std::int64_t k = 1; k < n; ++k) {
                    const T* row = line(k);
                    if (k + kRowsAhead < n) prefetch_row(line(k + kRowsAhead), width);
                    if (mode == ProjectMode::max) {
                        for (std::int64_t x = 0; x < width; ++x)
                            extreme[std::size_t(x)] = take_max(extreme[std::size_t(x)], row[x]);
                    } else {
                        for (std::int64_t x = 0; x < width; ++x)
                            extreme[std::size_t(x)] = take_min(extreme[std::size_t(x)], row[x]);
                    }
                }
                for (std::int64_t x = 0; x < width; ++x)
                    dst[x * ds] = O(extreme[std::size_t(x)]);
                continue;
            }
            if constexpr (std::is_integral_v<T> && sizeof(T) <= 2) {
                if (mode == ProjectMode::std) {
                    exact_std_rows<T>(quartered, n, width, small.data(), sums.data(),
                                      square_sums.data());
                    if (n <= kMostValuesForDoubleStd) {
                        std_row_of_exact_sums(sums.data(), square_sums.data(), n, width,
                                              means.data());  // the stds, in a spare row
                        for (std::int64_t x = 0; x < width; ++x)
                            dst[x * ds] = O(means[std::size_t(x)]);
                        continue;
                    }
                    for (std::int64_t x = 0; x < width; ++x) {
                        dst[x * ds] = O(std_of_exact_sums(std::int64_t(sums[std::size_t(x)]),
                                                          square_sums[std::size_t(x)], n));
                    }
                    continue;
                }
            }
            std::fill(sums.begin(), sums.end(), Sum(0));
            if constexpr (std::is_integral_v<T> && sizeof(T) <= 2) {
                // 8- and 16-bit values: add blocks of rows in 32 bits (twice the SIMD lanes
                // of 64 bits; at most 32768 rows of 16-bit values cannot overflow), then
                // fold into the 64-bit sums. Integer sums are exact in any order.
                for (std::int64_t k0 = 0; k0 < n; k0 += 32768) {
                    std::fill(small.begin(), small.end(), Small(0));
                    for (std::int64_t k = k0; k < std::min(n, k0 + 32768); ++k) {
                        const T* row = line(k);
                        if (k + kRowsAhead < n) prefetch_row(line(k + kRowsAhead), width);
                        add_into(small.data(), row, width);
                    }
                    for (std::int64_t x = 0; x < width; ++x)
                        sums[std::size_t(x)] += Sum(small[std::size_t(x)]);
                }
            } else {
                for (std::int64_t k = 0; k < n; ++k) {
                    const T* row = line(k);
                    if (k + kRowsAhead < n) prefetch_row(line(k + kRowsAhead), width);
                    for (std::int64_t x = 0; x < width; ++x)
                        sums[std::size_t(x)] += Sum(row[x]);
                }
            }
            if (mode == ProjectMode::sum) {
                for (std::int64_t x = 0; x < width; ++x)
                    dst[x * ds] = O(sums[std::size_t(x)]);
                continue;
            }
            for (std::int64_t x = 0; x < width; ++x) {
                means[std::size_t(x)] = Out(sums[std::size_t(x)]) / Out(n);
            }
            if (mode == ProjectMode::mean) {
                for (std::int64_t x = 0; x < width; ++x)
                    dst[x * ds] = O(means[std::size_t(x)]);
                continue;
            }
            std::fill(squares.begin(), squares.end(), Out(0));
            for (std::int64_t k = 0; k < n; ++k) {
                const T* row = line(k);
                if (k + kRowsAhead < n) prefetch_row(line(k + kRowsAhead), width);
                for (std::int64_t x = 0; x < width; ++x) {
                    const Out d = Out(row[x]) - means[std::size_t(x)];
                    squares[std::size_t(x)] += d * d;
                }
            }
            for (std::int64_t x = 0; x < width; ++x) {
                dst[x * ds] = O(std::sqrt(squares[std::size_t(x)] / Out(n)));
            }
        }
    });
}

// Sums of columns of n values over the planes at(0), ..., at(depth - 1), from zero, in the
// accumulator's type and in z order, as numpy adds them: four planes at a time as
// (((s + a) + b) + c) + d keep that order.
template <typename Sum, typename T, typename At>
VOX_AVX2_CLONE void ordered_sums_of_planes(Sum* acc, const At& at, std::int64_t depth,
                                           std::int64_t n) {
    std::fill_n(acc, n, Sum(0));
    std::int64_t z = 0;
    for (; z + 4 <= depth; z += 4) {
        const T *a = at(z), *b = at(z + 1), *c = at(z + 2), *d = at(z + 3);
        for (std::int64_t x = 0; x < n; ++x)
            acc[x] = (((acc[x] + Sum(a[x])) + Sum(b[x])) + Sum(c[x])) + Sum(d[x]);
    }
    for (; z < depth; ++z) {
        const T* a = at(z);
        for (std::int64_t x = 0; x < n; ++x)
            acc[x] += Sum(a[x]);
    }
}

// Parts of a plane per channel for the projections along z: enough for every thread to get
// an equal share (channels * parts is a multiple of the threads), and small enough for a
// part's accumulators to stay in an L2 cache; at most one part per value.
inline std::int64_t plane_parts(std::int64_t channels, std::int64_t plane,
                                std::int64_t accumulator_bytes) {
    // Parts of 128 KiB to 100 MB all ran at the read rate for 512^3 u16; 512 KiB was as fast.
    constexpr std::int64_t kPartBytes = 512 * 1024;
    const std::int64_t threads = thread_count();
    const std::int64_t balanced = threads / std::gcd(channels, threads);
    const std::int64_t cached = (plane * accumulator_bytes + kPartBytes - 1) / kPartBytes;
    return std::min(plane, std::max(balanced, cached));
}

// Projections along z by parts: each channel's plane is cut into parts, and each part's
// columns are reduced over every plane, so that each thread reads long runs, as numpy's
// reduction over axis 0 does, instead of single rows a plane apart (max along z of 512^3 u16
// 11.5-12.1 -> 5.5-8.0 ms on a Zen 4 VM, the rate of a plain read there). Max and min reduce
// into the output itself, and the sums of 8/16-bit values in 32 bits; other sums keep
// numpy's order, plane after plane. Slabs of planes per thread, whose partial planes were
// combined at the end, read as fast, but the combining took a third of the cells' max along
// z (0.31-0.39 ms against 0.13-0.15 by parts). Returns false, doing nothing, where this does
// not apply (std, and planes or outputs that are not packed).
template <typename T, typename O>
bool project_z_by_parts(const VolumeView<const T>& in, const VolumeView<O>& out, ProjectMode mode) {
    const Shape& shape = in.shape;
    const bool extreme = mode == ProjectMode::max || mode == ProjectMode::min;
    // At most 65536 planes of 16-bit values add up in 32 bits (65535 * 65536 < 2^32, and
    // -32768 * 65536 = -2^31); more take the wider sums.
    const bool small_sums = !extreme && std::is_integral_v<T> && sizeof(T) <= 2 && shape.z <= 65536;
    if (mode == ProjectMode::std || (extreme && !std::is_same_v<T, O>)) return false;
    if (in.strides[1] != shape.x || out.strides[2] != 1 || out.strides[1] != shape.x) return false;
    using Small = std::conditional_t<std::is_signed_v<T>, std::int32_t, std::uint32_t>;
    using Sum = typename Types<T>::Sum;
    using Out = typename Types<T>::Out;
    const std::int64_t plane = shape.y * shape.x;
    std::size_t accumulator = sizeof(Sum);  // per value of a part
    if (extreme) accumulator = sizeof(T);
    if (small_sums) accumulator = sizeof(Small);
    const std::int64_t parts = plane_parts(shape.c, plane, std::int64_t(accumulator));
    parallel_for(0, shape.c * parts, 1, [&](std::int64_t begin, std::int64_t end) {
        const std::size_t longest = static_cast<std::size_t>((plane + parts - 1) / parts);
        const auto small = std::make_unique_for_overwrite<Small[]>(small_sums ? longest : 0);
        const auto sums =
            std::make_unique_for_overwrite<Sum[]>(extreme || small_sums ? 0 : longest);
        for (std::int64_t item = begin; item < end; ++item) {
            const std::int64_t c = item / parts;
            const std::int64_t from = plane * (item % parts) / parts;
            const std::int64_t n = plane * (item % parts + 1) / parts - from;
            const auto at = [&](std::int64_t z) { return in.row(z, 0, c) + from; };
            O* dst = out.row(0, 0, c) + from;
            if constexpr (std::is_same_v<T, O>) {
                if (extreme) {
                    extremes_of_planes(dst, at, shape.z, n, mode == ProjectMode::max);
                    continue;
                }
            }
            const bool mean = mode == ProjectMode::mean;
            if constexpr (std::is_integral_v<T> && sizeof(T) <= 2 && std::is_same_v<O, double>) {
                if (small_sums) {
                    sums_of_planes<Small, T>(small.get(), at, shape.z, n);
                    sums_as_doubles(small.get(), n, mean ? shape.z : 1, dst);
                    continue;
                }
            }
            ordered_sums_of_planes<Sum, T>(sums.get(), at, shape.z, n);
            for (std::int64_t x = 0; x < n; ++x)
                dst[x] = mean ? O(Out(sums[x]) / Out(shape.z)) : O(sums[x]);
        }
    });
    return true;
}

}  // namespace

ProjectMode parse_project_mode(std::string_view text) {
    if (text == "max") return ProjectMode::max;
    if (text == "min") return ProjectMode::min;
    if (text == "mean") return ProjectMode::mean;
    if (text == "sum") return ProjectMode::sum;
    if (text == "std") return ProjectMode::std;
    throw ValueError("unknown projection mode '" + std::string(text) +
                     "' (expected max, min, mean, sum or std)");
}

Volume project(const Volume& volume, Axis axis, ProjectMode mode, std::optional<Slab> slab) {
    const auto a = std::size_t(axis);
    const std::int64_t extent = volume.shape().extent(axis);
    const Slab range = slab.value_or(Slab{0, extent});
    const std::string name(axis_name(axis));
    if (range.second <= range.first) {
        throw ValueError("slab [" + std::to_string(range.first) + ", " +
                         std::to_string(range.second) + ") along " + name + " is empty");
    }
    if (range.first < 0 || range.second > extent) {
        throw ValueError("slab [" + std::to_string(range.first) + ", " +
                         std::to_string(range.second) + ") along " + name + " is outside [0, " +
                         std::to_string(extent) + ")");
    }
    const Shape& full = volume.shape();
    Box box{{0, 0, 0}, {full.z, full.y, full.x}};
    box.begin[a] = range.first;
    box.end[a] = range.second;
    // A crop view moves the affine's origin to the slab's first plane.
    Volume input = volume.empty() ? volume : volume.crop(box);
    // The kernels read rows as packed runs (vectorised); strided views are packed first.
    if (!input.empty() && input.strides()[2] != 1) input = input.contiguous();

    Shape shape = input.shape();
    if (axis == Axis::z) shape.z = 1;
    if (axis == Axis::y) shape.y = 1;
    if (axis == Axis::x) shape.x = 1;
    const PixelType in_type = volume.pixel_type();
    const bool keeps_type = mode == ProjectMode::max || mode == ProjectMode::min;
    const PixelType out_type = keeps_type || is_float(in_type) ? in_type : PixelType::f64;
    Volume out = Volume::allocate(shape, out_type, Volume::Fill::none);
    detail::copy_volume_metadata(input, out);
    if (out.empty() || input.empty()) return out;

    visit(in_type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const VolumeView<const T> in = input.view<T>();
        auto run = [&](auto out_tag) {
            using O = typename decltype(out_tag)::type;
            const VolumeView<O> dst = out.mutable_view<O>();
            if (axis == Axis::x) {
                project_x<T, O>(in, dst, mode);
            } else if (axis == Axis::y || !project_z_by_parts<T, O>(in, dst, mode)) {
                project_rows<T, O>(in, dst, axis, mode);
            }
        };
        if (keeps_type) {
            run(std::type_identity<T>{});
        } else {
            run(std::type_identity<typename Types<T>::Out>{});
        }
    });
    return out;
}

}  // namespace vox
