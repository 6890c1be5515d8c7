#!/usr/bin/env python3
"""Side by side: voxscope's geometry operations and scikit-image / numpy on the same data,
in the same run.

Usage: compare_geometry.py BUILD/bench/bench_process_geometry [--repetitions N]
Data, dumped by the bench: a 512^3 u16 volume and the cells nuclei (60x256x256 u16).
- resize (skimage.transform.resize, its defaults): 512^3 -> 256^3 and the nuclei -> 50^3
  (order 1, anti-aliased), and each volume to half its size with orders 0 and 3;
- isotropic: the nuclei's 0.29 x 0.26 x 0.26 um voxels to 0.26 um (skimage's rescale by
  spacing / smallest, order 1, as voxscope's resample_isotropic);
- crop of the middle half, flip along z and x, permutation (2, 1, 0) and pad (16 voxels,
  edge): numpy, copied to packed arrays as voxscope's results are (numpy's flip and
  transpose alone are views);
- block mean 2x2x2: skimage.measure.block_reduce(image, (2, 2, 2), np.mean).
Prints medians in ms and the speed-up (goal of issue 4: resize >= 10x).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from skimage.measure import block_reduce
from skimage.transform import rescale, resize
from peer_bench import google_benchmark_medians, median_seconds


def peer_ops(data):
    half = tuple(n // 2 for n in data.shape)
    quarter = tuple(n // 4 for n in data.shape)
    middle = tuple(slice(q, q + h) for q, h in zip(quarter, half))
    return {
        "resize_half_order0": lambda: resize(data, half, order=0),
        "resize_half_order3": lambda: resize(data, half, order=3),
        "crop_half": lambda: np.ascontiguousarray(data[middle]),
        "flip_z": lambda: np.flip(data, 0).copy(),
        "flip_x": lambda: np.flip(data, 2).copy(),
        "permute_zyx_to_xyz": lambda: np.ascontiguousarray(data.transpose(2, 1, 0)),
        "pad_edge_16": lambda: np.pad(data, 16, mode="edge"),
        "block_mean_2": lambda: block_reduce(data, (2, 2, 2), np.mean),
    }


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
        "isotropic_cells": median_seconds(
            lambda: rescale(cells, (0.29 / 0.26, 1.0, 1.0), order=1), repetitions),
    }
    for label, data in (("512", big), ("cells", cells)):
        for name, call in peer_ops(data).items():
            theirs[f"{name}_{label}"] = median_seconds(call, repetitions)
    mine = google_benchmark_medians(bench, repetitions, "BM_")
    print(f"{'case':<28}{'voxscope ms':>14}{'peer ms':>14}{'speed-up':>10}")
    for name, seconds in theirs.items():
        print(f"{name:<28}{mine[name] * 1e3:>14.2f}{seconds * 1e3:>14.2f}"
              f"{seconds / mine[name]:>9.1f}x")


if __name__ == "__main__":
    main()
