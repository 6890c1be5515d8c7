#!/usr/bin/env python3
"""Side by side: voxscope's figures and matplotlib drawing the same figures from the same
data, in the same run.

Usage: compare_render.py BUILD/bench/bench_render [--repetitions N]
Peers: the tutorials' matplotlib code: three imshow panels of plane, row and column of a
512^3 u16 volume saved as PNG (ortho), and a 6-column grid of 30 planes of 256^2 (montage),
each with titles, at matplotlib's default 100 dpi.
"""
import os
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from peer_bench import google_benchmark_medians, median_seconds  # noqa: E402


def ortho(volume, path):
    z, y, x = (n // 2 for n in volume.shape)
    figure, axes = plt.subplots(1, 3, figsize=(15, 5))
    for axis, (title, plane) in zip(axes, (("Plane = %d" % z, volume[z]),
                                           ("Row = %d" % y, volume[:, y, :]),
                                           ("Column = %d" % x, volume[:, :, x]))):
        axis.imshow(plane, cmap="gray", vmin=volume.min(), vmax=volume.max())
        axis.set_title(title)
        axis.axis("off")
    figure.savefig(path)
    plt.close(figure)


def montage(volume, path):
    figure, axes = plt.subplots(5, 6, figsize=(12, 10))
    low, high = volume.min(), volume.max()
    for index, axis in zip(range(0, 60, 2), axes.flat):
        axis.imshow(volume[index], cmap="gray", vmin=low, vmax=high)
        axis.set_title("Plane = %d" % index)
        axis.axis("off")
    figure.savefig(path)
    plt.close(figure)


def main():
    bench = sys.argv[1]
    repetitions = int(sys.argv[sys.argv.index("--repetitions") + 1]) \
        if "--repetitions" in sys.argv else 3
    mine = google_benchmark_medians(bench, repetitions, "BM_")
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([bench, f"--dump={folder}"], check=True)
        big = np.load(os.path.join(folder, "big.npy"))
        cells_like = np.ascontiguousarray(big[:60, :256, :256])
        out = os.path.join(folder, "figure.png")
        peer = {"ortho_512_png": median_seconds(lambda: ortho(big, out), repetitions),
                "montage_30_png": median_seconds(lambda: montage(cells_like, out), repetitions)}
    print(f"{'figure':<22} {'voxscope ms':>12} {'matplotlib ms':>14} {'speed-up':>9}")
    for name, seconds in peer.items():
        print(f"{name:<22} {mine[name] * 1e3:12.1f} {seconds * 1e3:14.1f} "
              f"{seconds / mine[name]:8.1f}x")
    for name in mine:
        if name not in peer:
            print(f"{name:<22} {mine[name] * 1e3:12.1f}")


if __name__ == "__main__":
    main()
