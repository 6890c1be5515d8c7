#!/usr/bin/env python3
"""Side by side: voxscope's statistics and numpy's on the same 512^3 u16 volume, same run.

Usage: compare_stats.py BUILD/bench/bench_stats [--repetitions N]
Prints medians in ms and GB/s, the min/max rate as a fraction of memcpy (the bandwidth
ceiling) and the speed-up over numpy. Goals (issue 2): min/max >= 50% of memcpy,
percentiles >= 10x numpy.
"""
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np
from peer_bench import google_benchmark_medians, median_seconds

EDGE = 512
Q = [0.5, 50.0, 99.5]


def ours(bench, repetitions):
    return google_benchmark_medians(bench, repetitions, "BM_")


def theirs(bench, repetitions):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "volume.raw")
        subprocess.run([bench, f"--dump={path}"], check=True)
        data = np.fromfile(path, dtype="<u2").reshape(EDGE, EDGE, EDGE)
    target = np.empty_like(data)
    return {
        "memcpy": median_seconds(lambda: np.copyto(target, data), repetitions),
        "min_max": median_seconds(lambda: (data.min(), data.max()), repetitions),
        "percentiles": median_seconds(lambda: np.percentile(data, Q), repetitions),
        "compute_stats": median_seconds(lambda: (data.min(), data.max(), data.mean(), data.std()),
                                        repetitions),
    }


def main():
    bench = sys.argv[1]
    repetitions = int(sys.argv[sys.argv.index("--repetitions") + 1]) if "--repetitions" in sys.argv else 5
    gigabytes = EDGE ** 3 * 2 / 1e9
    voxscope, numpy = ours(bench, repetitions), theirs(bench, repetitions)
    print(f"512^3 u16 ({gigabytes * 1e3:.0f} MB), median of {repetitions}; "
          f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, numpy {np.__version__}")
    print(f"{'operation':<15}{'voxscope ms':>12}{'GB/s':>8}{'numpy ms':>10}{'GB/s':>8}{'speed-up':>10}")
    for name in ("memcpy", "min_max", "percentiles", "compute_stats"):
        ours_s, theirs_s = voxscope[name], numpy[name]
        print(f"{name:<15}{ours_s * 1e3:>12.1f}{gigabytes / ours_s:>8.2f}"
              f"{theirs_s * 1e3:>10.1f}{gigabytes / theirs_s:>8.2f}{theirs_s / ours_s:>9.1f}x")
    memcpy_fraction = voxscope["memcpy"] / voxscope["min_max"]
    speedup = numpy["percentiles"] / voxscope["percentiles"]
    print(f"min/max rate = {memcpy_fraction * 100:.0f}% of memcpy (goal >= 50%): "
          f"{'met' if memcpy_fraction >= 0.5 else 'NOT met'}")
    print(f"percentiles = {speedup:.1f}x numpy (goal >= 10x): {'met' if speedup >= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
