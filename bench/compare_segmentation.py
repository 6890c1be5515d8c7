#!/usr/bin/env python3
"""Side by side: voxscope's thresholds, in_range, label and label_statistics against
scikit-image and OpenCV on the same data, in the same run.

Usage: compare_segmentation.py BUILD/bench/bench_process_segmentation [--repetitions N]
Data, dumped by the bench: a 512^3 u16 volume of nuclei in noise, and the nuclei channel of
sample:cells (60x256x256 u16). Masks are each volume's Otsu threshold; labels use
26-connectivity (skimage's connectivity=3). in_range is the seed's per-slice
cv2.inRange(img, low, high). label_statistics is regionprops_table with area, centroid,
bbox and intensity_mean.
Prints medians in ms, voxels/s and the speed-up (goal of issue 4: >= 20x where stated).
"""
import os
import platform
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import skimage
from skimage import filters, measure
from peer_bench import google_benchmark_medians, median_seconds


def theirs(data, repetitions):
    mask = data > filters.threshold_otsu(data)
    labels = measure.label(mask, connectivity=3)
    properties = ("label", "area", "centroid", "bbox", "intensity_mean")
    ops = {
        "threshold_otsu": lambda: filters.threshold_otsu(data),
        "threshold_li": lambda: filters.threshold_li(data),
        "threshold_yen": lambda: filters.threshold_yen(data),
        "threshold_triangle": lambda: filters.threshold_triangle(data),
        "threshold_mean": lambda: filters.threshold_mean(data),
        "in_range": lambda: np.stack([cv2.inRange(plane, 0, 2000) for plane in data]),
        "label": lambda: measure.label(mask, connectivity=3),
        "label_statistics": lambda: measure.regionprops_table(labels, data, properties),
    }
    return {name: median_seconds(call, repetitions) for name, call in ops.items()}


def main():
    bench = sys.argv[1]
    repetitions = (int(sys.argv[sys.argv.index("--repetitions") + 1])
                   if "--repetitions" in sys.argv else 3)
    voxscope = google_benchmark_medians(bench, repetitions, "BM_")
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([bench, f"--dump={folder}"], check=True)
        volumes = {label: np.load(os.path.join(folder, f"{file}.npy")).squeeze()
                   for label, file in (("512", "big"), ("cells", "cells"))}
    print(f"median of {repetitions}; {os.cpu_count()} cores, "
          f"{platform.processor() or platform.machine()}, scikit-image {skimage.__version__}, "
          f"OpenCV {cv2.__version__}")
    print(f"{'operation':<26}{'voxscope ms':>12}{'Gvox/s':>8}{'peer ms':>12}{'Gvox/s':>8}"
          f"{'speed-up':>10}")
    for label, data in volumes.items():
        peer = theirs(data, repetitions)
        for name, seconds in peer.items():
            mine = voxscope[f"{name}_{label}"]
            print(f"{name + '_' + label:<26}{mine * 1e3:>12.2f}{data.size / mine / 1e9:>8.2f}"
                  f"{seconds * 1e3:>12.1f}{data.size / seconds / 1e9:>8.2f}"
                  f"{seconds / mine:>9.1f}x")


if __name__ == "__main__":
    main()
