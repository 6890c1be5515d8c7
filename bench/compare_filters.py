#!/usr/bin/env python3
"""Side by side: voxscope's filters and scipy / scikit-image / numpy on the same data, same run.

Usage: compare_filters.py BUILD/bench/bench_process_filters [--repetitions N]
Data: a 512^3 u16 volume and sample:cells (60x256x256x2 u16), dumped by the bench.
Prints medians in ms and the speed-up. Goals (issue 4): Gaussian >= 5x, projections >= 20x.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy import ndimage as ndi
from skimage import filters
from peer_bench import google_benchmark_medians, median_seconds


def ours(bench, repetitions):
    return google_benchmark_medians(bench, repetitions, "BM_")


def theirs(bench, repetitions):
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([bench, f"--dump={folder}"], check=True)
        big = np.load(os.path.join(folder, "big.npy"))
        cells = np.load(os.path.join(folder, "cells.npy"))
    membrane = np.ascontiguousarray(cells[..., 0])
    return {
        "gaussian_512": median_seconds(
            lambda: filters.gaussian(big, 2.0, mode="nearest", truncate=4.0), repetitions),
        "gaussian_cells": median_seconds(
            lambda: filters.gaussian(cells, 2.0, mode="nearest", truncate=4.0, channel_axis=-1),
            repetitions),
        "median_cells": median_seconds(
            lambda: ndi.median_filter(membrane, size=3, mode="nearest"), repetitions),
        "project_max_z": median_seconds(lambda: big.max(axis=0), repetitions),
        "project_mean_z": median_seconds(lambda: big.mean(axis=0), repetitions),
        "project_sum_x": median_seconds(lambda: big.sum(axis=2), repetitions),
        "project_std_y": median_seconds(lambda: big.std(axis=1), repetitions),
    }


def main():
    bench = sys.argv[1]
    repetitions = int(sys.argv[sys.argv.index("--repetitions") + 1]) \
        if "--repetitions" in sys.argv else 3
    mine = ours(bench, repetitions)
    peer = theirs(bench, repetitions)
    print(f"{'operation':<16} {'voxscope ms':>12} {'peer ms':>10} {'speed-up':>9}")
    for name, seconds in peer.items():
        if name in mine:
            print(f"{name:<16} {mine[name] * 1e3:12.1f} {seconds * 1e3:10.1f} "
                  f"{seconds / mine[name]:8.1f}x")


if __name__ == "__main__":
    main()
