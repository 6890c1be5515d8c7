#!/usr/bin/env python3
"""End-to-end checks of `voxscope render` and `voxscope turntable`, decoded with PIL.

Usage: render_test.py VOXSCOPE

- A sphere sampled with anisotropic spacing (NIfTI, zooms 0.5 x 1 x 2 along x, y, z)
  renders round from the front, the side and the top, and its silhouette width matches
  the documented orthographic scale (diagonal / size).
- --clip-plane takes a voxel and a normal along z, y, x and removes the side the normal
  points to; --background transparent gives an RGBA PNG with alpha 0 where rays miss.
- turntable writes --frames frames of --size, and the frames differ as the camera turns.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image, ImageSequence

from sphere_volume import RADIUS, SPACING_ZYX, sphere_distance, write_nifti


def write_sphere(path):
    """Writes the sphere and returns the length of the volume's physical diagonal."""
    distance = sphere_distance()
    # A linear ramp one coarsest voxel wide, so the half level lies on the sphere.
    volume = np.clip(0.5 + (RADIUS - distance) / max(SPACING_ZYX), 0, 1) * 1000
    write_nifti(volume.astype(np.uint16), path)
    extent = [n * s for n, s in zip(distance.shape, SPACING_ZYX)]
    return float(np.sqrt(sum(e * e for e in extent)))


def run(voxscope, *args):
    result = subprocess.run([voxscope, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"voxscope {' '.join(args)} failed: {result.stderr}")


def main():
    voxscope = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        sphere = os.path.join(folder, "sphere.nii.gz")
        diagonal = write_sphere(sphere)
        size = 200
        expected = 2 * RADIUS / (diagonal / size)
        for view in ("front", "side", "top", "tutorial"):
            out = os.path.join(folder, f"{view}.png")
            run(voxscope, "render", sphere, "-o", out, "--mode", "mip", "--view", view,
                "--size", f"{size}x{size}", "--range", "0:1000")
            pixels = np.asarray(Image.open(out).convert("L")) >= 128
            rows = np.flatnonzero(pixels.any(axis=1))
            columns = np.flatnonzero(pixels.any(axis=0))
            width = columns[-1] - columns[0] + 1
            height = rows[-1] - rows[0] + 1
            if abs(width - height) > 2 or abs(width - expected) > 2:
                failures.append(f"{view}: silhouette {width}x{height} px, expected "
                                f"{expected:.1f} round")

        cube = os.path.join(folder, "cube.npy")
        np.save(cube, np.full((32, 32, 32), 1000, dtype=np.uint16))
        out = os.path.join(folder, "cut.png")
        # Remove x > 16 (normal along +x); seen from the top, x runs to the right.
        run(voxscope, "render", cube, "-o", out, "--mode", "mip", "--view", "top",
            "--clip-plane", "16,16,16,0,0,1", "--background", "transparent", "--size", "100x100",
            "--zoom", "1.5")
        image = Image.open(out)
        # A gray MIP is stored as gray + alpha (LA); a coloured one as RGBA.
        if image.mode not in ("LA", "RGBA"):
            failures.append(f"transparent background: PNG mode {image.mode}, expected LA or "
                            "RGBA")
        alpha = np.asarray(image.convert("RGBA"))[:, :, 3]
        middle = alpha[50]
        if not (middle[35] == 255 and middle[65] == 0 and alpha[2, 2] == 0):
            failures.append(f"clip plane: alpha along the middle row {middle[30:70:5].tolist()}")

        spin = os.path.join(folder, "spin.gif")
        run(voxscope, "turntable", sphere, "-o", spin, "--mode", "mip", "--frames", "6",
            "--size", "80x60", "--box")
        frames = [np.asarray(f.convert("L")) for f in ImageSequence.Iterator(Image.open(spin))]
        if len(frames) != 6 or frames[0].shape != (60, 80):
            failures.append(f"turntable: {len(frames)} frames of {frames[0].shape}")
        elif np.array_equal(frames[0], frames[1]):
            failures.append("turntable: the first two frames are identical")
    for failure in failures:
        print("FAIL:", failure)
    print("ok" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
