// out[i] = table[in[i]] for 8/16-bit inputs: the inner loop of every point-wise operation
// that goes through a value table (gamma, log, sigmoid, rescale, histogram equalization).
#pragma once

#include <cstddef>
#include <cstdint>

namespace vox::detail {

/// Entries a table must have beyond its last one: the gathers read 32 bits at each entry.
inline constexpr std::size_t kTableSlack = 4;

/// out[i] = table[in[i]] for i in [0, n). `table` is indexed by value, so for signed inputs
/// it points at the entry of 0; kTableSlack entries past the last one must be readable.
/// 16-bit inputs with 1, 2 or 4-byte outputs use AVX2 gathers where the CPU has them and
/// they pay (not on AMD's, which are microcoded); other lookups go eight at a time.
template <typename T, typename O>
void lookup_values(const T* in, O* out, std::int64_t n, const O* table);

}  // namespace vox::detail
