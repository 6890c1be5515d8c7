// voxscope: value statistics, global and per channel, and exact percentiles.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "vox/volume.h"

namespace vox {

/// Summary statistics of a set of values.
///
/// NaN values are left out of every figure and counted in `nan_count` (numpy's
/// nanmin/nanmax/nanmean/nanstd); infinities take part. `std` is the population
/// standard deviation (ddof = 0). With no values left, min/max/mean/std are NaN.
struct ValueStats {
    double min = 0.0;
    double max = 0.0;
    double mean = 0.0;
    double std = 0.0;
    /// Values that took part (NaN excluded).
    std::int64_t count = 0;
    std::int64_t nan_count = 0;
};

/// Statistics of a whole volume and of each of its channels.
struct VolumeStats {
    ValueStats global;
    std::vector<ValueStats> channels;
};

/// Computes min, max, mean and std of every channel and of the whole volume in
/// one streaming pass on all cores. Results are identical for any thread count.
VolumeStats compute_stats(const Volume& volume);

/// Smallest and largest value over all channels (NaN ignored; NaN, NaN if none).
/// The fast path behind info and rescaling: one read of the data.
std::pair<double, double> min_max(const Volume& volume);

/// Smallest and largest finite value over all channels (NaN and infinities ignored; NaN,
/// NaN if none): the ends matplotlib scales an image to, as it masks invalid values.
std::pair<double, double> finite_min_max(const Volume& volume);

/// Exact percentiles of all values of the volume (every channel), with numpy's
/// default "linear" method: for q in [0, 100], the value at virtual index
/// (n - 1) * q / 100 of the sorted values, interpolated as numpy does. NaN values
/// are ignored (np.nanpercentile); with none left the results are NaN.
///
/// O(n) for every type: 8- and 16-bit data through one histogram, 32-bit data
/// (and f32, through an order-preserving key) through two radix-histogram passes,
/// f64 through selection. Use volume.channel(c) for one channel.
///
/// Differs from numpy in one documented way: numpy subtracts neighbours in the
/// input dtype, so signed 8/16/32-bit data whose neighbours differ by more than
/// the type's max overflow there (np.percentile(int8[-100, 100], 50) is 128);
/// voxscope subtracts exactly and gives 0. And where numpy turns infinities into
/// NaN (np.percentile([-inf, 1], 0) is NaN), voxscope returns the value (-inf).
/// @throw ValueError if a q is outside [0, 100] or NaN.
std::vector<double> percentiles(const Volume& volume, std::span<const double> q);

/// One percentile; see percentiles().
double percentile(const Volume& volume, double q);

}  // namespace vox
