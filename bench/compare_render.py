#!/usr/bin/env python3
"""Side by side: voxscope's figures and matplotlib drawing the same figures from the same
data, in the same run.

Usage: compare_render.py BUILD/bench/bench_render [--repetitions N]
Peers: the tutorials' matplotlib code: three imshow panels of plane, row and column of a
512^3 u16 volume saved as PNG (ortho; also with the display range given, as a viewer that
computed it at load), a 6-column grid of 30 planes of 256^2 (montage), each with titles, at
matplotlib's default 100 dpi, and a 60-frame z-sweep of 256^2 planes to GIF, with
matplotlib's FuncAnimation + PillowWriter (frames of 256^2) and with Pillow alone (planes
scaled to 8 bits with numpy, then Image.save(save_all=True)).
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


def ortho(volume, path, low=None, high=None):
    if low is None:
        low, high = volume.min(), volume.max()
    z, y, x = (n // 2 for n in volume.shape)
    figure, axes = plt.subplots(1, 3, figsize=(15, 5))
    for axis, (title, plane) in zip(axes, (("Plane = %d" % z, volume[z]),
                                           ("Row = %d" % y, volume[:, y, :]),
                                           ("Column = %d" % x, volume[:, :, x]))):
        axis.imshow(plane, cmap="gray", vmin=low, vmax=high)
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


def animate_matplotlib(volume, path):
    from matplotlib.animation import FuncAnimation, PillowWriter
    figure = plt.figure(figsize=(2.56, 2.56), dpi=100)
    axis = figure.add_axes((0, 0, 1, 1))
    axis.axis("off")
    image = axis.imshow(volume[0], cmap="gray", vmin=volume.min(), vmax=volume.max())

    def update(index):
        image.set_data(volume[index])
        return [image]

    FuncAnimation(figure, update, frames=len(volume)).save(path, writer=PillowWriter(fps=10))
    plt.close(figure)


def animate_pillow(volume, path):
    from PIL import Image
    low, high = float(volume.min()), float(volume.max())
    planes = ((volume - low) * (255.0 / (high - low))).astype(np.uint8)
    frames = [Image.fromarray(plane) for plane in planes]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)


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
        low, high = big.min(), big.max()
        gif = os.path.join(folder, "sweep.gif")
        peer = {"ortho_512_png": median_seconds(lambda: ortho(big, out), repetitions),
                "ortho_512_png_range_known":
                    median_seconds(lambda: ortho(big, out, low, high), repetitions),
                "montage_30_png": median_seconds(lambda: montage(cells_like, out), repetitions),
                "animate_60_gif":
                    median_seconds(lambda: animate_matplotlib(cells_like, gif), repetitions)}
        pillow = {"animate_60_gif": median_seconds(lambda: animate_pillow(cells_like, gif),
                                                   repetitions)}
    print(f"{'figure':<28} {'voxscope ms':>12} {'peer ms':>10} {'speed-up':>9}  peer")
    for peers, label in ((peer, "matplotlib"), (pillow, "Pillow")):
        for name, seconds in peers.items():
            print(f"{name:<28} {mine[name] * 1e3:12.1f} {seconds * 1e3:10.1f} "
                  f"{seconds / mine[name]:8.1f}x  {label}")
    for name in mine:
        if name not in peer:
            print(f"{name:<28} {mine[name] * 1e3:12.1f}")


if __name__ == "__main__":
    main()
