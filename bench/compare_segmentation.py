#!/usr/bin/env python3
"""Side by side: voxscope's threshold_otsu and label against scikit-image's on the same
512^3 u16 volume, in the same run.

Usage: compare_segmentation.py BUILD/bench/bench_process_segmentation [--repetitions N]
Prints medians in ms, voxels/s and the speed-up over scikit-image (goal of issue 4: >= 20x).
"""
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import skimage
from skimage import filters, measure

EDGE = 512


def median_seconds(function, repetitions):
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ours(bench, repetitions):
    output = subprocess.run(
        [bench, f"--benchmark_repetitions={max(2, repetitions)}", "--benchmark_format=json",
         "--benchmark_report_aggregates_only=true"],
        check=True, capture_output=True, text=True).stdout
    results = {}
    for entry in json.loads(output)["benchmarks"]:
        if entry.get("aggregate_name") == "median":
            name = entry["run_name"].split("/")[0].removeprefix("BM_")
            results[name] = entry["real_time"] / 1e3  # ms -> s
    return results


def theirs(bench, repetitions):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "volume.raw")
        subprocess.run([bench, f"--dump={path}"], check=True)
        data = np.fromfile(path, dtype="<u2").reshape(EDGE, EDGE, EDGE)
    mask = data > filters.threshold_otsu(data)
    return {
        "threshold_otsu": median_seconds(lambda: filters.threshold_otsu(data), repetitions),
        "label": median_seconds(lambda: measure.label(mask, connectivity=3), repetitions),
    }


def main():
    bench = sys.argv[1]
    repetitions = (int(sys.argv[sys.argv.index("--repetitions") + 1])
                   if "--repetitions" in sys.argv else 3)
    voxels = EDGE ** 3
    voxscope, peer = ours(bench, repetitions), theirs(bench, repetitions)
    print(f"512^3 u16, median of {repetitions}; {os.cpu_count()} cores, "
          f"{platform.processor() or platform.machine()}, scikit-image {skimage.__version__}")
    print(f"{'operation':<16}{'voxscope ms':>12}{'Gvox/s':>8}{'skimage ms':>12}{'Gvox/s':>8}"
          f"{'speed-up':>10}")
    for name in ("threshold_otsu", "label"):
        a, b = voxscope[name], peer[name]
        print(f"{name:<16}{a * 1e3:>12.1f}{voxels / a / 1e9:>8.2f}{b * 1e3:>12.1f}"
              f"{voxels / b / 1e9:>8.2f}{b / a:>9.1f}x")


if __name__ == "__main__":
    main()
