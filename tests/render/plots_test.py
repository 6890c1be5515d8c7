#!/usr/bin/env python3
"""Conformance and end-to-end checks of the histogram figures (`hist -o`, `compare`).

Usage: plots_test.py VOXSCOPE

- Counts: `voxscope hist IN --json` prints the numbers that `hist -o` draws
  (vox::histogram_plot()); they must equal skimage.exposure.histogram's counts and bin
  centres for sample:cells (written with `voxscope convert`), one of its channels, a
  uint8 MRI-like volume and a float one (64 bins), and per channel (channel_axis=-1);
  with `--bins N`, integers np.histogram's N uniform bins, joint and per channel.
- Files: hist and compare figures decode in PIL (PNG, with the expected size), render with
  rsvg-convert (SVG) and pdftoppm (PDF) at the PNG's size, and show the same bars: the
  pixels of matplotlib's blue (or the viridis bars) cover nearly the same places.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image
from skimage import exposure

BLUE = (31, 119, 180)


def run(voxscope, args, cwd):
    result = subprocess.run([voxscope] + args, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"voxscope {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def check_counts(voxscope, folder, name, data, args, failures, per_channel=False, nbins=256):
    printed = json.loads(run(voxscope, ["hist", name, "--json"] + args, folder))
    if "--bins" in args and data.dtype.kind in "iu":
        # Given --bins, integers get numpy's uniform bins, not skimage's one per value.
        peer = "np.histogram"
        edges = np.histogram_bin_edges(data, nbins)
        centers = (edges[:-1] + edges[1:]) / 2
        if per_channel:
            counts = np.stack([np.histogram(data[..., c], edges)[0]
                               for c in range(data.shape[-1])])
        else:
            counts = np.histogram(data, nbins)[0]
    elif per_channel:
        peer = "skimage.exposure.histogram"
        counts, centers = exposure.histogram(data, nbins=nbins, channel_axis=-1)
    else:
        peer = "skimage.exposure.histogram"
        counts, centers = exposure.histogram(data, nbins=nbins)
    ok = (np.array_equal(np.asarray(printed["counts"]), counts) and
          np.allclose(np.asarray(printed["bin_centers"]), centers, rtol=0, atol=1e-6))
    label = f"{name} {' '.join(args)}".strip()
    print(f"{'ok' if ok else 'FAIL'}: {label}: {len(centers)} bins, "
          f"{int(np.sum(counts))} voxels as {peer}")
    if not ok:
        failures.append(f"{label}: counts or centres differ from {peer}")


def pixels(path):
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def bar_pixels(image, colour):
    """Pixels mostly covered by bars: for matplotlib's blue, the blend of #1f77b4 over
    white is bluer than it is red by 149 * coverage, so blue - red > 40 keeps pixels over
    a quarter covered, whichever renderer smoothed the edges; with colour None (viridis
    bars) pixels of a strong colour (channels spread by 60 or more; text is gray)."""
    if colour is None:
        return image.max(axis=-1) - image.min(axis=-1) >= 60
    return image[..., 2] - image[..., 0] > 40


def check_files(voxscope, folder, label, args, size, colour, failures):
    """Writes the figure as PNG, SVG and PDF; checks the PNG's size and that the SVG and
    PDF renders put bars of `colour` where the PNG does."""
    for extension in ("png", "svg", "pdf"):
        run(voxscope, args + ["-o", f"{label}.{extension}"], folder)
    png = Image.open(os.path.join(folder, f"{label}.png"))
    ok = png.format == "PNG" and png.size == size
    print(f"{'ok' if ok else 'FAIL'}: {label}.png is {png.format} {png.size[0]} x {png.size[1]}")
    if not ok:
        failures.append(f"{label}.png: {png.format} {png.size}, expected PNG {size}")
        return
    subprocess.run(["rsvg-convert", "-d", "72", "-p", "72", "-o", f"{label}_svg.png",
                    f"{label}.svg"], cwd=folder, check=True)
    subprocess.run(["pdftoppm", "-png", "-r", "72", "-singlefile", f"{label}.pdf",
                    f"{label}_pdf"], cwd=folder, check=True)
    reference = bar_pixels(pixels(os.path.join(folder, f"{label}.png")), colour)
    if reference.sum() < 200:
        failures.append(f"{label}.png: only {reference.sum()} bar pixels")
        return
    for render in (f"{label}_svg.png", f"{label}_pdf.png"):
        image = pixels(os.path.join(folder, render))
        if image.shape[:2] != reference.shape:
            failures.append(f"{render}: {image.shape[1]} x {image.shape[0]} px, the PNG is "
                            f"{reference.shape[1]} x {reference.shape[0]}")
            continue
        bars = bar_pixels(image, colour)
        overlap = (bars & reference).sum() / reference.sum()
        extra = (bars & ~reference).sum() / reference.sum()
        ok = overlap > 0.9 and extra < 0.1
        print(f"{'ok' if ok else 'FAIL'}: {render} covers {overlap:.1%} of the PNG's bars "
              f"({extra:.1%} elsewhere)")
        if not ok:
            failures.append(f"{render}: bars differ from the PNG's ({overlap:.1%}, {extra:.1%})")


def main():
    voxscope = os.path.abspath(sys.argv[1])
    failures = []
    rng = np.random.default_rng(5)
    with tempfile.TemporaryDirectory() as folder:
        run(voxscope, ["convert", "sample:cells", "cells.npy"], folder)
        cells = np.load(os.path.join(folder, "cells.npy"))
        # (z, y, x, c): the channel axis last.
        if cells.ndim != 4 or cells.shape[-1] != 2:
            failures.append(f"cells.npy has shape {cells.shape}, expected (z, y, x, 2)")
        else:
            check_counts(voxscope, folder, "cells.npy", cells, [], failures)
            check_counts(voxscope, folder, "cells.npy", cells[..., 1], ["--channel", "1"],
                         failures)
            check_counts(voxscope, folder, "cells.npy", cells, ["--per-channel"], failures,
                         per_channel=True)
            check_counts(voxscope, folder, "cells.npy", cells, ["--per-channel", "--bins", "32"],
                         failures, per_channel=True, nbins=32)
        # An MRI-like uint8 volume: a bright ellipsoid with noise over a dark background.
        z, y, x = np.indices((24, 40, 40), dtype=float)
        head = ((z - 12) / 11) ** 2 + ((y - 20) / 18) ** 2 + ((x - 20) / 16) ** 2 <= 1
        mri = np.clip(20 + 120 * head + rng.normal(0, 18, head.shape), 0, 255).astype(np.uint8)
        np.save(os.path.join(folder, "mri.npy"), mri)
        check_counts(voxscope, folder, "mri.npy", mri, [], failures)
        check_counts(voxscope, folder, "mri.npy", mri, ["--bins", "64"], failures, nbins=64)
        values = rng.normal(0.3, 0.2, (10, 30, 30)).astype(np.float32)
        np.save(os.path.join(folder, "float.npy"), values)
        check_counts(voxscope, folder, "float.npy", values, ["--bins", "64"], failures, nbins=64)
        check_counts(voxscope, folder, "float.npy", values, [], failures)

        # Figures: one 384 x 256 plot inside 12 px margins; compare: 3 columns of images
        # (mri is 40 px, zoomed 7 times to 280) over plots as wide and 2/3 as tall, each
        # row with room for titles.
        check_files(voxscope, folder, "hist", ["hist", "mri.npy", "--cdf"], (408, 280), BLUE,
                    failures)
        check_files(voxscope, folder, "hist_log", ["hist", "float.npy", "--log", "--bins", "32"],
                    (408, 280), BLUE, failures)
        check_files(voxscope, folder, "hist_viridis",
                    ["hist", "mri.npy", "--cmap", "viridis", "--title", "MRI"], (408, 308),
                    None, failures)
        image, plot = 280, round(280 * 2 / 3)
        check_files(voxscope, folder, "compare", ["compare", "mri.npy", "--no-scale-bar"],
                    (12 + 3 * (image + 12), 12 + 2 * (22 + 12) + image + plot), BLUE, failures)
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
