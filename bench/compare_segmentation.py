#!/usr/bin/env python3
"""Side by side: voxscope's threshold_otsu and label against scikit-image's on the same
512^3 u16 volume, in the same run.

Usage: compare_segmentation.py BUILD/bench/bench_process_segmentation [--repetitions N]
Prints medians in ms, voxels/s and the speed-up over scikit-image (goal of issue 4: >= 20x).
"""
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np
import skimage
from skimage import filters, measure
from peer_bench import google_benchmark_medians, median_seconds

EDGE = 512


def ours(bench, repetitions):
    return google_benchmark_medians(bench, repetitions, "BM_")


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
