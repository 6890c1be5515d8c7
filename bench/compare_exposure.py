#!/usr/bin/env python3
"""Side by side: voxscope's exposure ops and skimage.exposure on the same data, same run.

Usage: compare_exposure.py BUILD/bench/bench_process_exposure [--repetitions N]
Data: a 512^3 u16 volume and sample:cells (60x256x256x2 u16), dumped by the bench, with
each one's gamma 0.5 as the reference of match_histograms, and sample:kidney
(16x512x512x3, 12-bit) for the per-channel normalization of its tutorial; the cells as
img_as_float (f64, suffix cellsf64) for the gallery tutorial's float steps, and mapped onto
[0, 1] as float32 (suffix cellsf32) for floats that are not img_as_float's values, and
those plus a small dither (suffix noisef32) for floats that seldom repeat.
Prints medians in ms, the speed-up over skimage (goal >= 20x) and voxscope's GB/s (input
bytes per second) as a share of a copy's: a fresh copy for ops that allocate their output,
a copy into mapped memory for the in-place forms (skimage has none: its figure is the
same call as the allocating form).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from skimage import exposure, img_as_float
from peer_bench import google_benchmark_medians, median_seconds


def theirs(bench, repetitions):
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([bench, f"--dump={folder}"], check=True)
        big = np.load(os.path.join(folder, "big.npy"))
        cells = np.load(os.path.join(folder, "cells.npy"))
        references = {"512": np.load(os.path.join(folder, "big_reference.npy")),
                      "cells": np.load(os.path.join(folder, "cells_reference.npy"))}
        kidney = np.load(os.path.join(folder, "kidney.npy"))
        cells_f32 = np.load(os.path.join(folder, "cells_f32.npy"))
        noise_f32 = np.load(os.path.join(folder, "noise_f32.npy"))
    peer = {}
    for label, data in (("512", big), ("cells", cells)):
        def clip_rescale(d=data):
            low, high = np.percentile(d, (0.5, 99.5))
            return exposure.rescale_intensity(d, in_range=(low, high))
        ops = {
            "copy": lambda d=data: d.copy(),
            "gamma": lambda d=data: exposure.adjust_gamma(d, 0.5),
            "log": lambda d=data: exposure.adjust_log(d),
            "sigmoid": lambda d=data: exposure.adjust_sigmoid(d),
            "rescale_percentile": clip_rescale,
            "equalize": lambda d=data: exposure.equalize_hist(d),
            "histogram": lambda d=data: exposure.histogram(d),
            "cdf": lambda d=data: exposure.cumulative_distribution(d),
            # matplotlib's ax.hist(d.ravel()): ten float bins (integers cannot be NaN).
            "finite_histogram": lambda d=data: np.histogram(d.ravel(), 10),
        }
        ops["match"] = lambda d=data, r=references[label]: exposure.match_histograms(d, r)
        for name, call in ops.items():
            peer[f"{name}_{label}"] = median_seconds(call, repetitions)
    # The tutorial's float steps, on the cells as img_as_float (f64), and on floats that are
    # not img_as_float's values: the cells mapped onto [0, 1] as float32.
    cells_f64 = img_as_float(cells)
    for label, d in (("cellsf64", cells_f64), ("cellsf32", cells_f32)):
        for name, call in {"copy": lambda d=d: d.copy(),
                           "gamma": lambda d=d: exposure.adjust_gamma(d, 1.5),
                           "gamma_half": lambda d=d: exposure.adjust_gamma(d, 0.5),
                           "log": lambda d=d: exposure.adjust_log(d),
                           "sigmoid": lambda d=d: exposure.adjust_sigmoid(d),
                           "rescale_percentile": lambda d=d: exposure.rescale_intensity(
                               d, in_range=tuple(np.percentile(d, (0.5, 99.5)))),
                           "equalize": lambda d=d: exposure.equalize_hist(d),
                           "histogram": lambda d=d: exposure.histogram(d),
                           "cdf": lambda d=d: exposure.cumulative_distribution(d)}.items():
            peer[f"{name}_{label}"] = median_seconds(call, repetitions)
    # Floats that seldom repeat: the f32 cells plus a small dither.
    for name, call in {"copy": lambda: noise_f32.copy(),
                       "gamma": lambda: exposure.adjust_gamma(noise_f32, 1.5),
                       "log": lambda: exposure.adjust_log(noise_f32),
                       "sigmoid": lambda: exposure.adjust_sigmoid(noise_f32)}.items():
        peer[f"{name}_noisef32"] = median_seconds(call, repetitions)
    peer["match_per_channel_cells"] = median_seconds(
        lambda: exposure.match_histograms(cells, references["cells"], channel_axis=-1),
        repetitions)

    # The kidney tutorial's per-channel normalization: each channel from its own range.
    def normalize(d, percentiles=None):
        channels = []
        for c in range(d.shape[-1]):
            channel = d[..., c]
            in_range = ("image" if percentiles is None
                        else tuple(np.percentile(channel, percentiles)))
            channels.append(exposure.rescale_intensity(channel, in_range=in_range))
        return np.stack(channels, axis=-1)
    for label, data in (("cells", cells), ("kidney", kidney)):
        peer[f"copy_{label}"] = median_seconds(lambda d=data: d.copy(), repetitions)
        peer[f"normalize_{label}"] = median_seconds(lambda d=data: normalize(d), repetitions)
        peer[f"normalize_percentile_{label}"] = median_seconds(
            lambda d=data: normalize(d, (0.5, 99.5)), repetitions)
    return peer


def main():
    bench = sys.argv[1]
    repetitions = int(sys.argv[sys.argv.index("--repetitions") + 1]) \
        if "--repetitions" in sys.argv else 3
    mine = google_benchmark_medians(bench, repetitions, "BM_")
    peer = theirs(bench, repetitions)
    sizes = {"512": 512 ** 3 * 2, "cells": 60 * 256 * 256 * 2 * 2,
             "cellsf64": 60 * 256 * 256 * 2 * 8, "cellsf32": 60 * 256 * 256 * 2 * 4,
             "noisef32": 60 * 256 * 256 * 2 * 4,
             "kidney": 16 * 512 * 512 * 3 * 2}
    print(f"{'operation':<30} {'voxscope ms':>12} {'GB/s':>6} {'of copy':>8} "
          f"{'skimage ms':>11} {'speed-up':>9}")
    for name in mine:
        in_place = "_inplace_" in name
        size_label = name.rsplit("_", 1)[1]
        peer_name = name.replace("_inplace", "")
        copy_name = f"copy_inplace_{size_label}" if in_place else f"copy_{size_label}"
        gbs = sizes[size_label] / mine[name] / 1e9
        share = mine[copy_name] / mine[name] if copy_name in mine else float("nan")
        seconds = peer.get(peer_name, float("nan"))
        print(f"{name:<30} {mine[name] * 1e3:12.1f} {gbs:6.2f} {share:8.0%} "
              f"{seconds * 1e3:11.1f} {seconds / mine[name]:8.1f}x")


if __name__ == "__main__":
    main()
