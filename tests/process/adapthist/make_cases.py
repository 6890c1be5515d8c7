"""Peer side of the adapthist conformance: skimage.exposure.equalize_adapthist 0.19.3.

Usage: make_cases.py DIR. DIR holds cells.npy and kidney.npy (written by
vox_adapthist_make_inputs). Writes the random inputs, one expected .npy per case and
cases.txt, one line per case:
    name input kernel_z kernel_y kernel_x clip_limit nbins expected
where input is an .npy in DIR or an absolute path (the MRI) and a kernel of 0 0 0
means the default. Channels (the last axis of 4D arrays) are equalized one by one:
skimage 0.19 would treat a 3D array whose last extent is 3 or 4 as RGB (HSV path).
"""
import os
import sys

import nibabel as nib
import numpy as np
from skimage import img_as_float
from skimage.exposure import equalize_adapthist

MRI = "/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii"


def run(volume, kernel, clip_limit, nbins):
    """Per-channel CLAHE of a (z, y, x) or (z, y, x, c) array."""
    kernel_size = None if kernel == (0, 0, 0) else list(kernel)
    if volume.ndim == 3:
        return equalize_adapthist(volume, kernel_size, clip_limit, nbins)
    return np.stack([equalize_adapthist(volume[..., c], kernel_size, clip_limit, nbins)
                     for c in range(volume.shape[-1])], axis=-1)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261121)
    inputs = {}

    def add_input(name, array):
        np.save(os.path.join(out, name + ".npy"), array)
        inputs[name] = array

    cells = np.load(os.path.join(out, "cells.npy"))
    inputs["cells"] = cells
    add_input("cells_nuclei_float", img_as_float(cells[..., 1]))
    inputs["kidney"] = np.load(os.path.join(out, "kidney.npy"))
    add_input("random_u16", rng.integers(0, 65536, (17, 40, 33), dtype=np.uint16))
    add_input("random_u8", rng.integers(0, 256, (9, 31, 47), dtype=np.uint8))
    add_input("random_i16", rng.integers(0, 32768, (12, 20, 25), dtype=np.int16))
    add_input("random_i16_signed", rng.integers(-32768, 32768, (7, 13, 18), dtype=np.int16))
    add_input("random_i8", rng.integers(-128, 128, (5, 21, 17), dtype=np.int8))
    add_input("random_u32", rng.integers(0, 2**32, (5, 16, 19), dtype=np.uint32))
    add_input("random_i32", rng.integers(-2**31, 2**31, (5, 16, 19), dtype=np.int32))
    add_input("random_f32", rng.random((10, 24, 30), dtype=np.float32))
    add_input("random_f64", rng.random((10, 24, 30)))
    add_input("random_u16_small", rng.integers(0, 1000, (3, 5, 6), dtype=np.uint16))
    add_input("constant_u16", np.full((6, 9, 10), 1234, dtype=np.uint16))
    add_input("random_u16_4ch", rng.integers(0, 4096, (8, 16, 5, 2), dtype=np.uint16))
    mri = np.asarray(nib.load(MRI).dataobj).transpose(2, 1, 0)
    inputs[MRI] = mri

    cases = [
        ("cells", "cells", (0, 0, 0), 0.01, 256),
        ("cells_nuclei_float", "cells_nuclei_float", (0, 0, 0), 0.01, 256),
        ("cells_nuclei_float_k", "cells_nuclei_float", (5, 20, 24), 0.03, 128),
        ("kidney", "kidney", (0, 0, 0), 0.01, 256),
        ("mri", MRI, (0, 0, 0), 0.01, 256),
        ("mri_k", MRI, (4, 10, 9), 0.02, 100),
        ("random_u16", "random_u16", (0, 0, 0), 0.01, 256),
        ("random_u16_k", "random_u16", (4, 7, 5), 0.05, 64),
        ("random_u16_ahe", "random_u16", (3, 8, 8), 0.0, 256),
        ("random_u16_clip1", "random_u16", (3, 8, 8), 1.0, 256),
        ("random_u16_nbins1", "random_u16", (3, 8, 8), 0.01, 1),
        ("random_u16_nbins_big", "random_u16", (2, 5, 5), 0.2, 20000),
        ("random_u8", "random_u8", (2, 6, 9), 0.01, 256),
        ("random_i16", "random_i16", (3, 5, 5), 0.01, 256),
        ("random_i16_signed", "random_i16_signed", (2, 4, 5), 0.01, 256),
        ("random_i8", "random_i8", (2, 4, 5), 0.01, 256),
        ("random_u32", "random_u32", (2, 4, 5), 0.01, 256),
        ("random_i32", "random_i32", (2, 4, 5), 0.01, 256),
        ("random_f32", "random_f32", (3, 5, 7), 0.01, 256),
        ("random_f64", "random_f64", (3, 5, 7), 0.01, 256),
        ("small_big_kernel", "random_u16_small", (7, 11, 13), 0.1, 32),
        ("constant", "constant_u16", (2, 3, 4), 0.01, 256),
        ("two_channels", "random_u16_4ch", (3, 4, 2), 0.01, 256),
    ]
    with open(os.path.join(out, "cases.txt"), "w") as listing:
        for name, source, kernel, clip_limit, nbins in cases:
            expected = run(inputs[source], kernel, clip_limit, nbins)
            np.save(os.path.join(out, name + "_expected.npy"), expected)
            path = source if os.path.isabs(source) else source + ".npy"
            listing.write(f"{name} {path} {kernel[0]} {kernel[1]} {kernel[2]} "
                          f"{clip_limit!r} {nbins} {name}_expected.npy\n")


if __name__ == "__main__":
    main()
