#!/usr/bin/env python3
"""Reads the .nii/.nii.gz files our writer made (nifti_conformance_test's `write` step) with
nibabel 5.0 and checks data, dtype, shape, affine, zooms and units against what we wrote.

Usage: check_roundtrip.py ROUNDTRIP_FOLDER
"""
import json
import os
import sys

import nibabel as nib
import numpy as np

UNITS = {"mm": "mm", "µm": "micron", "m": "meter"}


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "manifest.json")) as f:
        cases = json.load(f)["cases"]
    failures = []
    for case in cases:
        name = case["name"]
        img = nib.load(case["path"])
        z, y, x, c = case["shape"]
        arr = np.asanyarray(img.dataobj)
        problems = []
        if arr.dtype.name != case["dtype"]:
            problems.append(f"dtype {arr.dtype} != {case['dtype']}")
        expected_shape = (x, y, z) if c == 1 else (x, y, z, 1, c)
        if arr.shape != expected_shape:
            problems.append(f"shape {arr.shape} != {expected_shape}")
        else:
            volume = np.ascontiguousarray(arr.reshape((x, y, z, c), order="F").transpose(3, 2, 1, 0))
            with open(os.path.join(folder, case["raw"]), "rb") as f:
                raw = f.read()
            if volume.astype(volume.dtype.newbyteorder("<")).tobytes() != raw:
                problems.append("voxels differ")
        spacing_xyz = case["spacing_zyx"][::-1]
        zooms = [float(v) for v in img.header.get_zooms()[:3]]
        if case["spacing_known"]:
            if zooms != [float(np.float32(v)) for v in spacing_xyz]:
                problems.append(f"zooms {zooms} != {spacing_xyz}")
            unit = img.header.get_xyzt_units()[0]
            if UNITS.get(case["unit"], "unknown") != unit:
                problems.append(f"unit {unit} for {case['unit']!r}")
        if case["affine"] is not None:
            expected = np.asarray(case["affine"], dtype=np.float32).astype(np.float64).reshape(4, 4)
            if not np.array_equal(img.affine, expected):
                problems.append(f"affine\n{img.affine}\n!=\n{expected}")
        elif case["spacing_known"]:
            expected = np.diag([float(np.float32(v)) for v in spacing_xyz] + [1.0])
            if not np.array_equal(img.affine, expected):
                problems.append(f"affine\n{img.affine}\n!= diagonal\n{expected}")
        if problems:
            failures.append(f"{name}: " + "; ".join(problems))
    for failure in failures:
        print("FAIL", failure)
    print(f"{len(cases) - len(failures)} of {len(cases)} files read back identically by "
          f"nibabel {nib.__version__}")
    return 1 if failures or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
