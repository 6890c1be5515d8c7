#!/usr/bin/env python3
"""Computes the filters conformance cases with the peers (scipy, scikit-image, numpy).

Inputs: cells.npy and kidney.npy written by vox_filters_make_inputs, the nibabel MRI
and random volumes of every pixel type made here. For each case the expected result
is computed per channel, stacked as (z, y, x, c) and written as .npy beside a
manifest.json that tests/process/filters/filters_conformance.cpp reads.
Usage: filters_cases.py FOLDER
"""
import json
import os
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage as ndi
from skimage import filters

MRI = "/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii"
DTYPES = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"]


def as_zyxc(array):
    return array if array.ndim == 4 else array[..., np.newaxis]


def per_channel(array, fn):
    array = as_zyxc(array)
    return np.stack([fn(np.ascontiguousarray(array[..., c])) for c in range(array.shape[-1])],
                    axis=-1)


def random_volume(dtype, rng, shape=(11, 14, 17, 2)):
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)


def main(folder):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(20261121)
    inputs = {
        "cells": np.load(os.path.join(folder, "cells.npy")),
        "kidney": np.load(os.path.join(folder, "kidney.npy")),
        # Our volume(z, y, x) is the NIfTI array transposed (see the brief).
        "mri": np.ascontiguousarray(
            np.asarray(nib.load(MRI).dataobj).transpose(2, 1, 0)).astype("int16"),
    }
    for dtype in DTYPES:
        inputs["random_" + dtype] = random_volume(dtype, rng)
    # Long float32 rows (x = 256 > 128) exercise numpy's recursive pairwise summation.
    inputs["cells_float32"] = (inputs["cells"][:20, ..., 1] / np.float32(4096)).astype("float32")
    for name in ("mri", "cells_float32") + tuple("random_" + d for d in DTYPES):
        np.save(os.path.join(folder, name + ".npy"), inputs[name])

    cases = []

    def add(name, input_name, op, params, expected):
        file = f"expected_{len(cases):03d}.npy"
        expected = np.asarray(expected)
        if expected.dtype.kind in "iu" and expected.dtype.itemsize == 8:
            # numpy's int64 / uint64 sums; voxscope gives f64 (exact below 2^53).
            assert np.abs(expected).max() < 2**53
            expected = expected.astype(np.float64)
        np.save(os.path.join(folder, file), expected)
        cases.append({"name": name, "input": input_name + ".npy", "op": op, "params": params,
                      "expected": file})

    def gaussian_case(input_name, sigma, preserve_range=False, spacing=None):
        image = inputs[input_name]
        voxels = sigma if spacing is None else [s / d for s, d in zip(sigma, spacing)]
        expected = per_channel(image, lambda a: filters.gaussian(
            a, sigma=voxels, mode="nearest", truncate=4.0, preserve_range=preserve_range))
        params = {"sigma": list(sigma), "preserve_range": preserve_range}
        if spacing is not None:
            params["spacing"] = list(spacing)
        add(f"gaussian {input_name} sigma={sigma}" + (" physical" if spacing else "") +
            (" preserve_range" if preserve_range else ""), input_name, "gaussian", params,
            expected)

    def median_case(input_name, radius, image=None):
        image = inputs[input_name]
        expected = per_channel(image, lambda a: ndi.median_filter(a, size=2 * radius + 1,
                                                                  mode="nearest"))
        add(f"median {input_name} radius={radius}", input_name, "median", {"radius": radius},
            expected)

    def project_case(input_name, axis, mode, slab=None):
        image = inputs[input_name]

        def fn(a):
            if slab is not None:
                index = [slice(None)] * 3
                index[axis] = slice(slab[0], slab[1])
                a = np.ascontiguousarray(a[tuple(index)])
            return np.expand_dims(getattr(a, mode)(axis=axis), axis)

        params = {"axis": axis, "mode": mode}
        if slab is not None:
            params["slab"] = list(slab)
        add(f"project {input_name} axis={axis} {mode}" + (f" slab={slab}" if slab else ""),
            input_name, "project", params, per_channel(image, fn))

    # Gaussian: the samples (every channel), the MRI, every pixel type.
    gaussian_case("cells", [2.0, 2.0, 2.0])
    gaussian_case("cells", [0.58, 0.52, 0.52], spacing=[0.29, 0.26, 0.26])
    gaussian_case("kidney", [1.0, 3.0, 3.0])
    gaussian_case("mri", [1.5, 1.5, 1.5])
    gaussian_case("cells_float32", [1.5, 2.5, 2.5])
    gaussian_case("mri", [1.0, 0.0, 2.5], preserve_range=True)
    for dtype in DTYPES:
        gaussian_case("random_" + dtype, [1.0, 2.0, 0.7])
    # Kernels at least as long as the axis (radius 12 >= 11, 160 >= 14, 17 = 17; kidney 24 >=
    # 16 along z): their tails fold onto the edge values.
    gaussian_case("random_float64", [3.0, 40.0, 4.2])
    gaussian_case("random_uint16", [3.0, 40.0, 4.2])
    gaussian_case("kidney", [6.0, 1.0, 1.0])
    # Median: scipy's cube, 'nearest' edges.
    median_case("mri", 1)
    median_case("mri", 2)
    median_case("cells", 1)  # two interleaved channels, rows of several blocks
    for dtype in DTYPES:
        median_case("random_" + dtype, 1)
    median_case("random_uint16", 2)
    # Larger radii: sliding histograms of values (8/16-bit) and of ranks (other types).
    median_case("mri", 3)
    median_case("random_uint8", 4)
    median_case("random_int16", 3)
    median_case("random_uint16", 5)
    median_case("random_float32", 5)
    median_case("random_float64", 2)
    median_case("random_uint32", 3)
    median_case("random_int32", 6)
    # Projections: every mode along every axis.
    modes = ["max", "min", "mean", "sum", "std"]
    for name in ["cells", "mri", "cells_float32"] + ["random_" + d for d in DTYPES]:
        for axis in range(3):
            for mode in modes:
                project_case(name, axis, mode)
    for mode in modes:
        project_case("kidney", 0, mode)
        project_case("cells", 0, mode, slab=(10, 25))
        project_case("random_float32", 2, mode, slab=(3, 9))

    with open(os.path.join(folder, "manifest.json"), "w") as file:
        json.dump({"cases": cases}, file, indent=1)
    print(f"{len(cases)} cases in {folder}")


if __name__ == "__main__":
    main(sys.argv[1])
