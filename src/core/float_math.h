// Power, logarithm and exponential of float values, many at a time: the exposure ops'
// per-value cost on float32 data. Each result is the function evaluated in double (to a
// few units of 1e-16) and rounded once to float, so it is the correctly rounded value
// except within about 1e-8 of a rounding tie. glibc's powf, log2f and expf and numpy's
// own vector loops stray further (up to 0.82 ulp), so results may differ from theirs by
// one ulp. The evaluation uses only IEEE additions, products, quotients and integer
// operations, compiled without fused multiply-adds: every CPU and code path (vectors or
// not) gives the same bits.
#pragma once

#include <cstdint>

namespace vox::detail {

/// out[i] = in[i] ** exponent for exponent > 0: +0 for ±0 (-0 for -0 when the exponent is
/// an odd integer), inf for inf, NaN for NaN and negative values. `out` may be `in`.
void power_floats(const float* in, float* out, std::int64_t count, double exponent);

/// out[i] = log2(in[i]): -inf for ±0, inf for inf, NaN for NaN and negative values.
void log2_floats(const float* in, float* out, std::int64_t count);

/// out[i] = 2 ** in[i]: inf above 128, 0 far below -149, NaN for NaN.
void exp2_floats(const float* in, float* out, std::int64_t count);

/// out[i] = e ** in[i].
void exp_floats(const float* in, float* out, std::int64_t count);

}  // namespace vox::detail
