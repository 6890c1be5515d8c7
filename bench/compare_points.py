#!/usr/bin/env python3
"""Side by side: voxscope's shell_points against the slice-stack tutorial's Python/OpenCV
algorithm (cv2.inRange, findContours RETR_TREE CHAIN_APPROX_NONE, prev/next masks,
numpy.unique) on the same 256 slices of 512x512 u8 blobs, in the same run.

Usage: compare_points.py BUILD/bench/bench_point_cloud [--repetitions N] [--cli VOXSCOPE]

The tutorial is timed as written (points appended one by one in Python loops), without its
ASCII writer and imshow calls, and once more with those loops vectorised (np.where and
np.concatenate), a fairer peer. With --cli, also times `voxscope points` end to end on the
volume saved as .npy (read, shell, binary PLY written).
"""
import os
import platform
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
from peer_bench import google_benchmark_medians, median_seconds

SHAPE = (256, 512, 512)
SLICE_THICKNESS, XY_SCALE = 0.2, 1


def tutorial(images):
    """The tutorial's main() from the masks on, as written."""
    blank_mask = np.zeros_like(images[0], np.uint8)
    masks = [blank_mask] + [cv2.inRange(image, 0, 100) for image in images] + [blank_mask]

    def add_points(mask, points_list, depth):
        mask_points = np.where(mask == 255)
        for ind in range(len(mask_points[0])):
            points_list.append([mask_points[1][ind], mask_points[0][ind], depth])

    depth = 0
    points = []
    for index in range(1, len(masks) - 1):
        prev, curr, after = masks[index - 1], masks[index], masks[index + 1]
        prev_mask = np.zeros_like(curr)
        prev_mask[prev == 0] = curr[prev == 0]
        add_points(prev_mask, points, depth)
        next_mask = np.zeros_like(curr)
        next_mask[after == 0] = curr[after == 0]
        add_points(next_mask, points, depth)
        contours, _ = cv2.findContours(curr, cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE)
        for con in contours:
            for point in con:
                p = point[0]
                points.append([p[0], p[1], depth])
        depth += SLICE_THICKNESS
    for ind in range(len(points)):
        x, y, z = points[ind]
        points[ind] = [x * XY_SCALE, y * XY_SCALE, z]
    points = np.array(points).astype(np.float32)
    return np.unique(points.reshape(-1, points.shape[-1]), axis=0)


def tutorial_vectorised(images):
    """The same algorithm with the per-point Python loops replaced by numpy."""
    blank_mask = np.zeros_like(images[0], np.uint8)
    masks = [blank_mask] + [cv2.inRange(image, 0, 100) for image in images] + [blank_mask]
    chunks = []
    for index in range(1, len(masks) - 1):
        prev, curr, after = masks[index - 1], masks[index], masks[index + 1]
        depth = (index - 1) * SLICE_THICKNESS
        ys, xs = np.nonzero((curr == 255) & ((prev == 0) | (after == 0)))
        contours, _ = cv2.findContours(curr, cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE)
        if contours:
            contour = np.concatenate(contours).reshape(-1, 2)
            xs, ys = np.concatenate([xs, contour[:, 0]]), np.concatenate([ys, contour[:, 1]])
        chunks.append(np.stack([xs * XY_SCALE, ys * XY_SCALE,
                                np.full(len(xs), depth)], axis=1))
    points = np.concatenate(chunks).astype(np.float32)
    return np.unique(points, axis=0)


def main():
    bench = sys.argv[1]
    repetitions = (int(sys.argv[sys.argv.index("--repetitions") + 1])
                   if "--repetitions" in sys.argv else 3)
    voxscope_cli = sys.argv[sys.argv.index("--cli") + 1] if "--cli" in sys.argv else None
    ours = google_benchmark_medians(bench, repetitions, "BM_")["shell_points"]
    with tempfile.TemporaryDirectory() as folder:
        raw = os.path.join(folder, "volume.raw")
        subprocess.run([bench, f"--dump={raw}"], check=True)
        volume = np.fromfile(raw, dtype=np.uint8).reshape(SHAPE)
        images = list(volume)
        start = time.perf_counter()
        reference = tutorial(images)
        as_written = time.perf_counter() - start  # once: it takes a while
        vectorised = median_seconds(lambda: tutorial_vectorised(images), repetitions)
        if not np.array_equal(tutorial_vectorised(images), reference):
            raise SystemExit("the vectorised tutorial disagrees with the tutorial")
        cli = None
        if voxscope_cli:
            npy, ply = os.path.join(folder, "volume.npy"), os.path.join(folder, "shell.ply")
            np.save(npy, volume)
            command = [voxscope_cli, "--quiet", "points", npy, "-o", ply, "--range", "0:100",
                       "--slice-thickness", str(SLICE_THICKNESS), "--xy-scale", str(XY_SCALE)]
            cli = median_seconds(lambda: subprocess.run(command, check=True,
                                                        capture_output=True), repetitions)
            data = open(ply, "rb").read()
            body = data[data.index(b"end_header\n") + len(b"end_header\n"):]
            if not np.array_equal(np.frombuffer(body, dtype="<f4").reshape(-1, 3), reference):
                raise SystemExit("voxscope points wrote other points than the tutorial")
    voxels = volume.size
    print(f"{SHAPE[0]} slices of {SHAPE[1]}x{SHAPE[2]} u8, {len(reference)} shell points; "
          f"median of {repetitions}; {os.cpu_count()} cores, "
          f"{platform.processor() or platform.machine()}, OpenCV {cv2.__version__}")
    print(f"{'':<28}{'ms':>10}{'Mvox/s':>10}{'Mpoints/s':>11}{'time / voxscope':>17}")
    rows = [("voxscope shell_points", ours), ("tutorial (vectorised)", vectorised),
            ("tutorial (as written)", as_written)]
    if cli is not None:
        rows.append(("voxscope points CLI (.npy)", cli))
    for name, seconds in rows:
        print(f"{name:<28}{seconds * 1e3:>10.1f}{voxels / seconds / 1e6:>10.0f}"
              f"{len(reference) / seconds / 1e6:>11.2f}{seconds / ours:>16.1f}x")


if __name__ == "__main__":
    main()
