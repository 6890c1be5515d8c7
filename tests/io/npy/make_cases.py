#!/usr/bin/env python3
"""Conformance cases for the .npy reader and writer, with numpy as the peer.

make FOLDER:  writes .npy files with numpy (every dtype, both byte orders, C and Fortran
              order, 1D to 4D, format versions 1-3), copies real .npy files shipped by Debian
              packages, and records in manifest.json what np.load reads from each (shape in
              voxscope's (z, y, x, c) layout, dtype, the voxels as raw little-endian channel
              blocks). npy_conformance_test.cpp reads the same files and compares.
check FOLDER: after the C++ test wrote every case back with voxscope's writer (ours/), loads
              those files with np.load and compares them with the original arrays; also checks
              the bytes equal what np.save writes for the same array.
"""
import io
import json
import os
import shutil
import sys

import numpy as np

SHORT = {"uint8": "u8", "int8": "i8", "uint16": "u16", "int16": "i16", "uint32": "u32",
         "int32": "i32", "float32": "f32", "float64": "f64", "bool": "u8"}
REAL_FILES = [
    "/usr/lib/python3/dist-packages/skimage/data/chessboard_RGB_U8.npy",
    "/usr/lib/python3/dist-packages/skimage/data/bw_text_skeleton.npy",
    "/usr/lib/python3/dist-packages/skimage/data/lfw_subset.npy",
    "/usr/lib/python3/dist-packages/skimage/data/chessboard_GRAY_U8.npy",
    "/usr/lib/python3/dist-packages/pywt/data/ecg.npy",
    "/usr/share/matplotlib/mpl-data/sample_data/axes_grid/bivariate_normal.npy",
    "/usr/lib/python3/dist-packages/numpy/lib/tests/data/win64python2.npy",
]


def as_volume(array):
    """numpy's array in voxscope's (z, y, x, c) layout: 1D (x), 2D (y, x), 3D (z, y, x), 4D."""
    array = np.asarray(array)
    if array.ndim == 1:
        return array.reshape(1, 1, -1, 1)
    if array.ndim == 2:
        return array[np.newaxis, :, :, np.newaxis]
    if array.ndim == 3:
        return array[..., np.newaxis]
    return array


def native(array):
    """What voxscope holds: native little-endian, bool as uint8."""
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)
    return array.astype(array.dtype.newbyteorder("<"))


def synthetic(rng, dtype, shape):
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith("float"):
        values = rng.normal(0, 1000, shape).astype(dtype)
        values.flat[0] = np.finfo(dtype).max
        values.flat[-1] = np.finfo(dtype).tiny
        return values
    info = np.iinfo(dtype)
    values = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    values.flat[0] = info.min
    values.flat[-1] = info.max
    return values


def make(folder):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    rng = np.random.default_rng(3)
    cases = []

    def add(name, path, write=True):
        array = np.load(os.path.join(folder, path))
        volume = np.ascontiguousarray(np.moveaxis(native(as_volume(array)), -1, 0))
        values = name + ".values"
        volume.tofile(os.path.join(folder, values))
        case = {"name": name, "file": path, "shape": list(as_volume(array).shape),
                "dtype": SHORT[array.dtype.name], "values": values, "spacing": None}
        if write:
            case["write"] = [{"file": name + ".npy"}]
        cases.append(case)

    def save(name, array, version=None):
        path = name + ".npy"
        with open(os.path.join(folder, path), "wb") as stream:
            if version is None:
                np.save(stream, array)
            else:
                np.lib.format.write_array(stream, array, version=version)
        add(name, path)

    for dtype in SHORT:
        save(f"c_{dtype}", synthetic(rng, dtype, (4, 5, 6)))
        if dtype not in ("uint8", "int8", "bool"):
            save(f"big_{dtype}", synthetic(rng, dtype, (3, 4, 5)).astype(np.dtype(dtype).newbyteorder(">")))
    save("fortran_u16", np.asfortranarray(synthetic(rng, "uint16", (5, 6, 7))))
    save("fortran_f32_4d", np.asfortranarray(synthetic(rng, "float32", (3, 4, 5, 2))))
    save("fortran_i8_2d", np.asfortranarray(synthetic(rng, "int8", (9, 11))))
    save("fortran_big_i32_4d",
         np.asfortranarray(synthetic(rng, "int32", (2, 3, 4, 3)).astype(">i4")))
    save("line_f64", synthetic(rng, "float64", (17,)))
    save("plane_u8", synthetic(rng, "uint8", (13, 7)))
    save("rgb_u16_4d", synthetic(rng, "uint16", (3, 8, 9, 3)))
    save("version2_u16", synthetic(rng, "uint16", (2, 3, 4)), version=(2, 0))
    save("version3_f32", synthetic(rng, "float32", (2, 3, 4)), version=(3, 0))
    save("large_u16", synthetic(rng, "uint16", (40, 64, 64)))
    for path in REAL_FILES:
        if os.path.exists(path):
            name = "real_" + os.path.splitext(os.path.basename(path))[0]
            shutil.copy(path, os.path.join(folder, name + ".npy"))
            add(name, name + ".npy")
    with open(os.path.join(folder, "manifest.json"), "w") as stream:
        json.dump({"cases": cases}, stream, indent=1)
    print(f"wrote {len(cases)} cases to {folder}")


def check(folder):
    with open(os.path.join(folder, "manifest.json")) as stream:
        cases = json.load(stream)["cases"]
    failures, checked = [], 0
    for case in cases:
        original = native(np.load(os.path.join(folder, case["file"])))
        volume = as_volume(original)
        # Our writer: 3D (z, y, x) for one channel, else 4D (z, y, x, c); C order, little-endian.
        expected = volume[..., 0] if volume.shape[3] == 1 else volume
        for written in case.get("write", []):
            path = os.path.join(folder, "ours", written["file"])
            if not os.path.exists(path):
                failures.append(f"{written['file']}: not written")
                continue
            ours = np.load(path)
            if ours.shape != expected.shape or ours.dtype != expected.dtype:
                failures.append(f"{written['file']}: {ours.shape} {ours.dtype}, expected "
                                f"{expected.shape} {expected.dtype}")
            elif not np.array_equal(ours, expected, equal_nan=True):
                failures.append(f"{written['file']}: values differ")
            buffer = io.BytesIO()
            np.save(buffer, np.ascontiguousarray(expected))
            with open(path, "rb") as stream:
                if stream.read() != buffer.getvalue():
                    failures.append(f"{written['file']}: bytes differ from np.save's")
            checked += 1
    for failure in failures:
        print("FAIL", failure)
    print(f"numpy read back {checked} files written by voxscope, {len(failures)} failures")
    return 1 if failures or checked < 10 else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "check"):
        sys.exit("usage: make_cases.py make|check FOLDER")
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2]))
