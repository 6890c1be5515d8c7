#!/usr/bin/env python3
"""Side by side: voxscope's resize and scikit-image's on the same data, same run.

Usage: compare_geometry.py BUILD/bench/bench_process_geometry [--repetitions N]
Cases: 512^3 u16 -> 256^3 and the cells nuclei -> 50^3 (order 1, default anti-aliasing).
Prints medians in ms and the speed-up over scikit-image 0.19.3 (goal: >= 10x).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from skimage.transform import resize
from peer_bench import google_benchmark_medians, median_seconds


def ours(bench, repetitions):
    return google_benchmark_medians(bench, repetitions, "BM_")


def main():
    bench = sys.argv[1]
    repetitions = int(sys.argv[sys.argv.index("--repetitions") + 1]) \
        if "--repetitions" in sys.argv else 3
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([bench, f"--dump={folder}"], check=True)
        big = np.load(os.path.join(folder, "u16_512.npy"))
        cells = np.load(os.path.join(folder, "cells.npy"))
    theirs = {
        "resize_512_to_256": median_seconds(lambda: resize(big, (256, 256, 256)), repetitions),
        "resize_cells_to_50": median_seconds(lambda: resize(cells, (50, 50, 50)), repetitions),
    }
    mine = ours(bench, repetitions)
    print(f"{'case':<22}{'voxscope ms':>14}{'skimage ms':>14}{'speed-up':>10}")
    for name, seconds in theirs.items():
        print(f"{name:<22}{mine[name] * 1e3:>14.1f}{seconds * 1e3:>14.1f}"
              f"{seconds / mine[name]:>9.1f}x")


if __name__ == "__main__":
    main()
