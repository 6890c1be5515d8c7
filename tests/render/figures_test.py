#!/usr/bin/env python3
"""End-to-end checks of the figure commands (slice, ortho, montage, channels, project) with
independent decoders.

Usage: figures_test.py VOXSCOPE

- Geometry: a sphere sampled with anisotropic spacing (NIfTI, zooms 0.5 x 1 x 2 along
  x, y, z) must draw as a circle, within 1 px, in every ortho panel and in slice along
  each axis: across and down, its first and last voxel centres are 2R apart; so does its
  maximum intensity projection (`project`) along each axis.
- Montage: planes through the sphere draw one disc per tile, in one row of tiles.
- Channels: facets follow the order `--channels` lists them in.
- Decoders: PNG decodes in PIL; SVG renders with rsvg-convert and PDF with pdftoppm, and
  the renders show the same disc.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

from sphere_volume import RADIUS, SPACING_ZYX, sphere_distance, write_nifti

GREEN = (0, 255, 0)


def write_sphere(path):
    distance = sphere_distance()
    write_nifti((distance <= RADIUS).astype(np.uint8), path)
    return distance.shape


def green_discs(pixels):
    """Bounding boxes (x0, y0, x1, y1) of the green regions, separated by empty columns."""
    mask = np.all(pixels[..., :3] == GREEN, axis=-1)
    columns = np.flatnonzero(mask.any(axis=0))
    boxes = []
    if columns.size == 0:
        return boxes
    runs = np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1)
    for run in runs:
        rows = np.flatnonzero(mask[:, run[0]:run[-1] + 1].any(axis=1))
        boxes.append((int(run[0]), int(rows[0]), int(run[-1]) + 1, int(rows[-1]) + 1))
    return boxes


def run(voxscope, args, cwd):
    result = subprocess.run([voxscope] + args, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"voxscope {' '.join(args)} failed: {result.stderr}")


def check_circles(label, boxes, views, failures):
    """Each view draws its disc round: the distance between the centres of its first and
    last voxels (the drawn extent less one drawn voxel) is 2R in figure pixels, across and
    down alike. `views` lists the (across, down) spacing of each panel; figure pixels per
    unit follow the finest spacing of the figure (zoom 1)."""
    per_unit = 1.0 / min(s for view in views for s in view)
    expected = 2 * RADIUS * per_unit
    if len(boxes) != len(views):
        failures.append(f"{label}: {len(boxes)} discs, expected {len(views)}")
        return
    for box, (across, down) in zip(boxes, views):
        width = box[2] - box[0] - across * per_unit
        height = box[3] - box[1] - down * per_unit
        ok = abs(width - height) <= 1 and abs(width - expected) <= 1
        print(f"{'ok' if ok else 'FAIL'}: {label} disc {width:.0f} x {height:.0f} px between "
              f"voxel centres (expected {expected:.0f})")
        if not ok:
            failures.append(f"{label}: {width:.0f} x {height:.0f} px is not a circle of "
                            f"{expected:.0f}")


def main():
    voxscope = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        write_sphere(os.path.join(folder, "sphere.nii"))
        display = ["--cmap", "green", "--no-scale-bar", "--zoom", "1"]
        run(voxscope, ["ortho", "sphere.nii", "-o", "ortho.png"] + display, folder)
        ortho = np.asarray(Image.open(os.path.join(folder, "ortho.png")).convert("RGBA"))
        z, y, x = SPACING_ZYX
        views = {"z": (x, y), "y": (x, z), "x": (y, z)}  # (across, down) of each plane
        check_circles("ortho", green_discs(ortho), list(views.values()), failures)
        for axis in "zyx":
            name = f"slice_{axis}.png"
            run(voxscope, ["slice", "sphere.nii", "-o", name, "--axis", axis] + display, folder)
            image = Image.open(os.path.join(folder, name))
            if image.format != "PNG":
                failures.append(f"{name} decodes as {image.format}")
            check_circles(f"slice {axis}", green_discs(np.asarray(image.convert("RGBA"))),
                          [views[axis]], failures)
        for axis in "zyx":
            name = f"project_{axis}.png"
            run(voxscope, ["project", "sphere.nii", "-o", name, "--axis", axis] + display, folder)
            image = np.asarray(Image.open(os.path.join(folder, name)).convert("RGBA"))
            check_circles(f"project {axis}", green_discs(image), [views[axis]], failures)
        # Planes 9, 11, ..., 17 all cut the sphere (13 +- 10 planes): five discs in a row.
        run(voxscope, ["montage", "sphere.nii", "-o", "montage.png", "--first", "9", "--step",
                       "2", "--count", "5", "--columns", "5"] + display, folder)
        image = Image.open(os.path.join(folder, "montage.png"))
        discs = green_discs(np.asarray(image.convert("RGBA")))
        ok = image.format == "PNG" and len(discs) == 5
        print(f"{'ok' if ok else 'FAIL'}: montage {image.format} with {len(discs)} discs")
        if not ok:
            failures.append(f"montage: {image.format} with {len(discs)} discs, expected 5")
        # channels draws its facets in the order --channels lists them: a small disc in
        # channel 0 and a large one in channel 1, listed as 1,0, draw large then small.
        yy, xx = np.mgrid[:40, :40]
        distance = np.hypot(yy - 19.5, xx - 19.5)
        two = np.stack([distance <= 5, distance <= 15], axis=-1).astype(np.uint8)[np.newaxis]
        np.save(os.path.join(folder, "two.npy"), two)
        run(voxscope, ["channels", "two.npy", "-o", "channels.png", "--channels", "1,0",
                       "--range", "0:1,0:1"] + display, folder)
        image = np.asarray(Image.open(os.path.join(folder, "channels.png")).convert("RGBA"))
        widths = [box[2] - box[0] for box in green_discs(image)]
        ok = len(widths) == 2 and widths[0] > 2 * widths[1]
        print(f"{'ok' if ok else 'FAIL'}: channels --channels 1,0 draws discs {widths} wide")
        if not ok:
            failures.append(f"channels --channels 1,0: discs {widths} wide, expected large first")
        # Vector output through independent renderers: the same disc, within a pixel
        # or two of smoothing at the edges (rsvg interpolates the embedded raster).
        run(voxscope, ["ortho", "sphere.nii", "-o", "ortho.svg"] + display, folder)
        run(voxscope, ["ortho", "sphere.nii", "-o", "ortho.pdf"] + display, folder)
        subprocess.run(["rsvg-convert", "-d", "72", "-p", "72", "-o", "svg.png", "ortho.svg"], cwd=folder, check=True)
        subprocess.run(["pdftoppm", "-png", "-r", "72", "-singlefile", "ortho.pdf", "pdf"],
                       cwd=folder, check=True)
        for name in ("svg.png", "pdf.png"):
            pixels = np.asarray(Image.open(os.path.join(folder, name)).convert("RGBA"))
            if pixels.shape[:2] != ortho.shape[:2]:
                failures.append(f"{name}: {pixels.shape[1]} x {pixels.shape[0]} px, the PNG is "
                                f"{ortho.shape[1]} x {ortho.shape[0]}")
                continue
            greenish = np.all(np.abs(pixels[..., :3].astype(int) - GREEN) < 40, axis=-1)
            reference = np.all(ortho[..., :3] == GREEN, axis=-1)
            overlap = (greenish & reference).sum() / max(1, reference.sum())
            print(f"{'ok' if overlap > 0.9 else 'FAIL'}: {name} covers {overlap:.1%} of the "
                  "PNG's discs")
            if overlap <= 0.9:
                failures.append(f"{name}: the discs differ from the PNG's")
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
