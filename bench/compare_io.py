#!/usr/bin/env python3
"""Side by side: loading a 512^3 u16 volume with voxscope and with the peers, same run.

Usage: compare_io.py BUILD/bench/bench_io [--repetitions N] [--edge N]
Writes .nii (nibabel), .nii.gz (nibabel), a multi-page TIFF and a folder of 2D slices
(tifffile) into a temporary folder, then loads each with voxscope (bench_io) and with the
peer, and prints median times and ratios. Goals (issue 3): .nii.gz >= 2x nibabel; TIFF at
least as fast as tifffile; uncompressed loads within 1.5x of reading the file's bytes;
peak memory within 1.1x of the decoded size plus the compressed input.
"""
import json
import os
import platform
import subprocess
import sys
import tempfile

import nibabel
import numpy as np
import tifffile
from peer_bench import median_seconds


def option(name, default):
    return type(default)(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def make_volume(edge):
    """Smooth structures plus noise, so that compression behaves as on real data."""
    rng = np.random.default_rng(1)
    z, y, x = np.ogrid[:edge, :edge, :edge]
    signal = 2000 + 1500 * np.sin(x / 23.0) * np.cos(y / 31.0) * np.sin(z / 17.0)
    return (signal + rng.normal(0, 40, (edge, edge, edge))).clip(0, 65535).astype(np.uint16)


def read_bytes(path, buffer):
    """Reads the file's bytes into a buffer allocated beforehand: the I/O ceiling, without
    the page faults of fresh memory that every loader (ours and the peers') also pays."""
    files = ([os.path.join(path, name) for name in sorted(os.listdir(path))]
             if os.path.isdir(path) else [path])
    view = memoryview(buffer)
    for name in files:
        with open(name, "rb", buffering=0) as file:
            size = os.fstat(file.fileno()).st_size
            file.readinto(view[:size])


def ours(bench, path, repetitions):
    output = subprocess.run([bench, path, str(repetitions)], check=True, capture_output=True,
                            text=True).stdout
    timing = json.loads(output)
    once = json.loads(subprocess.run([bench, path, "1"], check=True, capture_output=True,
                                     text=True).stdout)
    timing["peak_rss_bytes"] = once["peak_rss_bytes"]
    return timing


def main():
    bench = sys.argv[1]
    repetitions = option("--repetitions", 5)
    edge = option("--edge", 512)
    data = make_volume(edge)
    decoded = data.nbytes
    with tempfile.TemporaryDirectory() as folder:
        paths = {
            ".nii": os.path.join(folder, "volume.nii"),
            ".nii.gz": os.path.join(folder, "volume.nii.gz"),
            "multi-page TIFF": os.path.join(folder, "volume.tif"),
            f"folder of {edge} TIFF slices": os.path.join(folder, "slices"),
        }
        # nibabel's arrays are (x, y, z): transpose so that the file's x is numpy's last axis.
        image = nibabel.Nifti1Image(data.transpose(2, 1, 0), np.eye(4))
        nibabel.save(image, paths[".nii"])
        nibabel.save(image, paths[".nii.gz"])
        tifffile.imwrite(paths["multi-page TIFF"], data)
        os.makedirs(paths[f"folder of {edge} TIFF slices"])
        for z in range(edge):
            tifffile.imwrite(os.path.join(paths[f"folder of {edge} TIFF slices"], f"z{z}.tif"), data[z])
        slice_files = [os.path.join(paths[f"folder of {edge} TIFF slices"], f"z{z}.tif") for z in range(edge)]
        # np.array, not np.asanyarray: nibabel memory-maps .nii files, which would time no read.
        peers = {
            ".nii": ("nibabel", lambda: np.array(nibabel.load(paths[".nii"]).dataobj)),
            ".nii.gz": ("nibabel", lambda: np.array(nibabel.load(paths[".nii.gz"]).dataobj)),
            "multi-page TIFF": ("tifffile", lambda: tifffile.imread(paths["multi-page TIFF"])),
            f"folder of {edge} TIFF slices": ("tifffile", lambda: tifffile.imread(slice_files)),
        }
        print(f"{edge}^3 u16 ({decoded / 1e6:.0f} MB decoded), median of {repetitions}; "
              f"{os.cpu_count()} cores, {platform.machine()}; nibabel {nibabel.__version__}, "
              f"tifffile {tifffile.__version__}")
        print(f"{'input':<26}{'file MB':>9}{'read bytes':>12}{'voxscope':>10}{'peer':>10}"
              f"{'peer/ours':>11}{'ours/bytes':>12}{'peak/decoded':>14}")
        for name, path in paths.items():
            size = (sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
                    if os.path.isdir(path) else os.path.getsize(path))
            buffer = bytearray(max(size, 1))
            bytes_s = median_seconds(lambda: read_bytes(path, buffer), repetitions)
            timing = ours(bench, path, repetitions)
            peer_name, peer = peers[name]
            peer_s = median_seconds(peer, repetitions)
            compressed = size if name.endswith(".gz") else 0
            peak = timing["peak_rss_bytes"] / (decoded + compressed)
            print(f"{name:<26}{size / 1e6:>9.0f}{bytes_s * 1e3:>10.0f}ms{timing['median_seconds'] * 1e3:>8.0f}ms"
                  f"{peer_s * 1e3:>8.0f}ms{peer_s / timing['median_seconds']:>10.1f}x"
                  f"{timing['median_seconds'] / bytes_s:>11.2f}x{peak:>13.2f}x  ({peer_name})")


if __name__ == "__main__":
    main()
