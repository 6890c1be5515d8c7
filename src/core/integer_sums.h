// Exact sums of integer voxels, for the projections and the thresholds.
#pragma once

#include <cstdint>

namespace vox::detail {

/// The exact sum of n integer values `stride` elements apart (u8, i8, u16, i16, u32, i32).
/// 8/16-bit values are added in 32 bits per 65536 of them: twice the SIMD lanes of 64-bit
/// sums and no widening shuffles. Wider values are added in 64 bits, exact below 2^31 of
/// them. An AVX2 clone does the adding; integer sums cannot depend on it.
template <typename T>
std::int64_t exact_integer_sum(const T* data, std::int64_t n, std::int64_t stride = 1);

}  // namespace vox::detail
