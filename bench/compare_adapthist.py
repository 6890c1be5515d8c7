#!/usr/bin/env python3
"""Side by side: voxscope's equalize_adapthist and skimage 0.19's on the same data, same run.

Usage: compare_adapthist.py BUILD/bench/bench_process_adapthist [--repetitions N]
Inputs (written by the bench with --dump): the cells sample's nuclei channel through
img_as_float (60x256x256, as in the tutorial) and a 256^3 random u16 volume; skimage's
defaults (kernel 1/8 of each extent, clip_limit 0.01, nbins 256). Prints medians in ms,
voxels/s and the speed-up (goal, issue 4: >= 10x for CLAHE).
"""
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np
import skimage
from skimage.exposure import equalize_adapthist
from peer_bench import google_benchmark_medians, median_seconds


def ours(bench, repetitions):
    return google_benchmark_medians(bench, repetitions, "BM_adapthist_")


def theirs(bench, repetitions):
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([bench, f"--dump={folder}"], check=True)
        inputs = {"cells": np.load(os.path.join(folder, "cells_nuclei.npy")),
                  "random256": np.load(os.path.join(folder, "random256.npy"))}
    return {name: (median_seconds(lambda: equalize_adapthist(data), repetitions), data.size)
            for name, data in inputs.items()}


def main():
    bench = sys.argv[1]
    repetitions = (int(sys.argv[sys.argv.index("--repetitions") + 1])
                   if "--repetitions" in sys.argv else 3)
    voxscope, peer = ours(bench, repetitions), theirs(bench, repetitions)
    print(f"equalize_adapthist, median of {repetitions}; {os.cpu_count()} cores, "
          f"{platform.processor() or platform.machine()}, skimage {skimage.__version__}")
    print(f"{'input':<12}{'voxscope ms':>12}{'Mvox/s':>9}{'skimage ms':>12}{'Mvox/s':>9}"
          f"{'speed-up':>10}")
    for name, (theirs_s, voxels) in peer.items():
        ours_s = voxscope[name]
        print(f"{name:<12}{ours_s * 1e3:>12.1f}{voxels / ours_s / 1e6:>9.1f}"
              f"{theirs_s * 1e3:>12.1f}{voxels / theirs_s / 1e6:>9.1f}{theirs_s / ours_s:>9.1f}x")
    worst = min(theirs_s / voxscope[name] for name, (theirs_s, _) in peer.items())
    print(f"CLAHE = {worst:.1f}x skimage at worst (goal >= 10x): "
          f"{'met' if worst >= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
