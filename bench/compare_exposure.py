#!/usr/bin/env python3
"""Side by side: voxscope's exposure ops and skimage.exposure on the same data, same run.

Usage: compare_exposure.py BUILD/bench/bench_process_exposure [--repetitions N]
Data: a 512^3 u16 volume and sample:cells (60x256x256x2 u16), dumped by the bench.
Prints medians in ms, the speed-up (goal >= 20x) and voxscope's GB/s beside a copy.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from skimage import exposure
from peer_bench import google_benchmark_medians, median_seconds


def ours(bench, repetitions):
    return google_benchmark_medians(bench, repetitions, "BM_")


def theirs(bench, repetitions):
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([bench, f"--dump={folder}"], check=True)
        big = np.load(os.path.join(folder, "big.npy"))
        cells = np.load(os.path.join(folder, "cells.npy"))
    peer = {}
    for label, data in (("512", big), ("cells", cells)):
        def clip_rescale(d=data):
            low, high = np.percentile(d, (0.5, 99.5))
            return exposure.rescale_intensity(d, in_range=(low, high))
        peer[f"copy_{label}"] = median_seconds(lambda d=data: d.copy(), repetitions)
        peer[f"gamma_{label}"] = median_seconds(
            lambda d=data: exposure.adjust_gamma(d, 0.5), repetitions)
        peer[f"rescale_percentile_{label}"] = median_seconds(clip_rescale, repetitions)
        peer[f"equalize_{label}"] = median_seconds(
            lambda d=data: exposure.equalize_hist(d), repetitions)
        peer[f"histogram_{label}"] = median_seconds(
            lambda d=data: exposure.histogram(d), repetitions)
        peer[f"cdf_{label}"] = median_seconds(
            lambda d=data: exposure.cumulative_distribution(d), repetitions)
    return peer


def main():
    bench = sys.argv[1]
    repetitions = int(sys.argv[sys.argv.index("--repetitions") + 1]) \
        if "--repetitions" in sys.argv else 3
    mine = ours(bench, repetitions)
    peer = theirs(bench, repetitions)
    sizes = {"512": 512 ** 3 * 2, "cells": 60 * 256 * 256 * 2 * 2}
    print(f"{'operation':<26} {'voxscope ms':>12} {'skimage ms':>11} {'speed-up':>9} {'GB/s in':>8}")
    for name, seconds in peer.items():
        if name in mine:
            gbs = sizes[name.rsplit("_", 1)[1]] / mine[name] / 1e9
            print(f"{name:<26} {mine[name] * 1e3:12.1f} {seconds * 1e3:11.1f} "
                  f"{seconds / mine[name]:8.1f}x {gbs:8.2f}")


if __name__ == "__main__":
    main()
