"""Writes geometry conformance cases: inputs and what scikit-image 0.19.3 / scipy compute.

Usage: make_geometry_cases.py FOLDER. FOLDER already holds cells.npy and kidney.npy (written
by vox_geometry_make_inputs); this script adds random volumes, reads the MRI with nibabel and
writes one expected .npy per case plus cases.json for the C++ side.
"""
import json
import os
import sys

import nibabel as nib
import numpy as np
from skimage.measure import block_reduce
from skimage.transform import rescale, resize

MRI = "/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii"


def main():
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(4)
    inputs = {
        "cells": np.load(os.path.join(folder, "cells.npy")),
        "kidney": np.load(os.path.join(folder, "kidney.npy")),
        "random_u16": rng.integers(0, 65536, size=(17, 23, 29), dtype=np.uint16),
        "random_i16": rng.integers(-32768, 32768, size=(9, 14, 11), dtype=np.int16),
        "random_u8": rng.integers(0, 256, size=(12, 10, 15), dtype=np.uint8),
        "random_f32": rng.random((11, 13, 9), dtype=np.float32),
        "random_f64": rng.standard_normal((10, 12, 14)),
        "random_i8": rng.integers(-128, 128, size=(7, 9, 12), dtype=np.int8),
        "random_u32": rng.integers(0, 2**32, size=(8, 6, 10), dtype=np.uint32),
        "random_i32": rng.integers(-2**31, 2**31, size=(6, 11, 5), dtype=np.int32),
        # Order 0 with anti-aliasing truncates each Gaussian pass: constants and narrow
        # ranges show both the final clip and scipy's order of summation.
        "constant_u8": np.full((4, 3, 5), 69, np.uint8),
        "narrow_i16": rng.integers(40, 60, size=(12, 10, 15), dtype=np.int16),
        "row_u8": np.array([[[44, 44, 56, 29]]], np.uint8),
    }
    np.save(os.path.join(folder, "random_u16.npy"), inputs["random_u16"])
    np.save(os.path.join(folder, "random_i16.npy"), inputs["random_i16"])
    np.save(os.path.join(folder, "random_u8.npy"), inputs["random_u8"])
    np.save(os.path.join(folder, "random_f32.npy"), inputs["random_f32"])
    for name in ("random_f64", "random_i8", "random_u32", "random_i32", "constant_u8",
                 "narrow_i16", "row_u8"):
        np.save(os.path.join(folder, name + ".npy"), inputs[name])
    # Our volume(z, y, x) is the NIfTI array transposed; the C++ side reads the .nii itself.
    inputs["mri"] = np.asarray(nib.load(MRI).dataobj).transpose(2, 1, 0)
    paths = {name: name + ".npy" for name in inputs}
    paths["mri"] = MRI

    cases = []

    def add(name, source, op, expected, **params):
        np.save(os.path.join(folder, name + ".npy"), np.ascontiguousarray(expected))
        cases.append(dict(name=name, input=paths[source], op=op, expected=name + ".npy",
                          dtype=str(expected.dtype), **params))

    def add_resize(name, source, shape, order, aa=None, mode="reflect"):
        image = inputs[source]
        out = resize(image, shape, order=order, anti_aliasing=aa, mode=mode)
        add(name, source, "resize", out, shape=list(shape), order=order, anti_aliasing=aa,
            mode=mode)

    for order in (0, 1, 3):
        add_resize(f"mri_50_o{order}", "mri", (50, 50, 50), order, mode="reflect")
        add_resize(f"cells_down_o{order}", "cells", (20, 50, 50), order)
        add_resize(f"cells_down_noaa_o{order}", "cells", (20, 50, 50), order, aa=False)
        add_resize(f"u16_up_o{order}", "random_u16", (30, 40, 41), order)
        add_resize(f"u16_mixed_o{order}", "random_u16", (8, 40, 13), order)
        add_resize(f"f32_mixed_o{order}", "random_f32", (5, 20, 7), order)
        add_resize(f"f64_down_o{order}", "random_f64", (4, 5, 6), order)
        add_resize(f"i16_mixed_o{order}", "random_i16", (5, 20, 7), order)
        add_resize(f"u8_up_o{order}", "random_u8", (25, 21, 30), order)
        add_resize(f"kidney_down_o{order}", "kidney", (8, 40, 40), order)
        add_resize(f"u16_symmetric_o{order}", "random_u16", (8, 40, 13), order, mode="symmetric")
        add_resize(f"i8_mixed_o{order}", "random_i8", (3, 20, 5), order)
        add_resize(f"u32_mixed_o{order}", "random_u32", (16, 3, 7), order)
        add_resize(f"i32_mixed_o{order}", "random_i32", (9, 4, 8), order)
    for order in (0, 1, 3):
        # The tutorial: resize(transformed, (50, 50, 50), mode='constant').
        add_resize(f"mri_50_constant_o{order}", "mri", (50, 50, 50), order, mode="constant")
        add_resize(f"u16_edge_o{order}", "random_u16", (8, 40, 13), order, mode="edge")
        add_resize(f"f64_constant_o{order}", "random_f64", (21, 5, 30), order, mode="constant")
    add_resize("constant_u8_o0", "constant_u8", (3, 5, 4), 0)
    add_resize("row_u8_o0", "row_u8", (1, 1, 3), 0)
    for mode in ("reflect", "constant", "symmetric"):
        add_resize(f"narrow_i16_{mode}_o0", "narrow_i16", (5, 4, 7), 0, mode=mode)
    # Order 3 with edge/constant: scipy pads 12 voxels before the spline prefilter.
    for mode in ("edge", "constant"):
        add_resize(f"cells_down_{mode}_o3", "cells", (20, 50, 50), 3, mode=mode)
        add_resize(f"cells_up_{mode}_o3", "cells", (70, 40, 300), 3, mode=mode)
        add_resize(f"f32_mixed_{mode}_o3", "random_f32", (5, 20, 7), 3, mode=mode)
        add_resize(f"f32_noaa_{mode}_o3", "random_f32", (4, 30, 2), 3, aa=False, mode=mode)
        add_resize(f"kidney_down_{mode}_o3", "kidney", (8, 40, 40), 3, mode=mode)
        add_resize(f"i16_mixed_{mode}_o3", "random_i16", (5, 20, 7), 3, mode=mode)

    for order in (0, 1, 3):
        factors = (0.5, 0.37, 1.6)
        add(f"u16_rescale_o{order}", "random_u16", "rescale",
            rescale(inputs["random_u16"], factors, order=order), factors=list(factors),
            order=order)
    add("cells_rescale", "cells", "rescale", rescale(inputs["cells"], 0.25),
        factors=[0.25] * 3, order=1)

    for source, factors in (("cells", (2, 4, 4)), ("random_u16", (3, 5, 4)),
                            ("random_f32", (2, 2, 2)), ("random_i16", (1, 3, 2)),
                            ("mri", (2, 2, 3)), ("kidney", (1, 3, 3)),
                            ("random_i8", (2, 2, 5)), ("random_u32", (3, 1, 3)),
                            ("random_i32", (4, 4, 4)), ("random_f64", (3, 5, 2))):
        image = inputs[source]
        block = factors + (1,) if image.ndim == 4 else factors
        out = block_reduce(image, block, np.mean)
        add(f"block_mean_{source}", source, "block_mean", out, factors=list(factors))

    with open(os.path.join(folder, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)


if __name__ == "__main__":
    main()
