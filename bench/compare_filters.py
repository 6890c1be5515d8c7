#!/usr/bin/env python3
"""Side by side: voxscope's filters and scipy / scikit-image / numpy on the same data, same run.

Usage: compare_filters.py BUILD/bench/bench_process_filters [--repetitions N]
Data: a 512^3 u16 volume and sample:cells (60x256x256x2 u16), dumped by the bench.
Projections: every mode (max, min, mean, sum, std) along every axis, numpy's a.max(axis=...)
and so on as the peer. The cells keep their channel last, as numpy holds them.
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
    membrane_f32 = membrane.astype(np.float32)
    peer = {
        "gaussian_512": median_seconds(
            lambda: filters.gaussian(big, 2.0, mode="nearest", truncate=4.0), repetitions),
        "gaussian_cells": median_seconds(
            lambda: filters.gaussian(cells, 2.0, mode="nearest", truncate=4.0, channel_axis=-1),
            repetitions),
        "median_cells": median_seconds(
            lambda: ndi.median_filter(membrane, size=3, mode="nearest"), repetitions),
        "median_r2_cells": median_seconds(
            lambda: ndi.median_filter(membrane, size=5, mode="nearest"), repetitions),
        # scipy's radius 5 on the membrane and its median over 512^3 take about a minute
        # each: timed once.
        "median_r5_cells": median_seconds(
            lambda: ndi.median_filter(membrane, size=11, mode="nearest"), 1),
        "median_r3_cells_f32": median_seconds(
            lambda: ndi.median_filter(membrane_f32, size=7, mode="nearest"), 1),
        "median_512": median_seconds(
            lambda: ndi.median_filter(big, size=3, mode="nearest"), 1),
    }
    for label, data in (("512", big), ("cells", cells), ("cellsf32", cells.astype(np.float32))):
        for mode in ("max", "min", "mean", "sum", "std"):
            for axis_name, axis in (("z", 0), ("y", 1), ("x", 2)):
                peer[f"project_{mode}_{axis_name}_{label}"] = median_seconds(
                    lambda d=data, m=mode, a=axis: getattr(d, m)(axis=a), repetitions)
    return peer


def main():
    bench = sys.argv[1]
    repetitions = int(sys.argv[sys.argv.index("--repetitions") + 1]) \
        if "--repetitions" in sys.argv else 3
    mine = ours(bench, repetitions)
    peer = theirs(bench, repetitions)
    print(f"{'operation':<22} {'voxscope ms':>12} {'peer ms':>10} {'speed-up':>9}")
    for name, seconds in peer.items():
        if name in mine:
            print(f"{name:<22} {mine[name] * 1e3:12.2f} {seconds * 1e3:10.2f} "
                  f"{seconds / mine[name]:8.1f}x")


if __name__ == "__main__":
    main()
