#!/usr/bin/env python3
"""Computes scikit-image 0.19.3 thresholds, labels and regionprops, and OpenCV's inRange,
on the inputs that vox_segmentation_make_inputs wrote (plus the nibabel anatomical MRI and
random volumes it writes itself), for segmentation_conformance.cpp.
Usage: make_segmentation_cases.py DIR
"""
import json
import os
import sys

import cv2
import nibabel as nib
import numpy as np
from skimage import filters, measure

NII = "/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii"


def main(folder):
    rng = np.random.default_rng(20261121)
    inputs = {
        "cells_nuclei": np.load(os.path.join(folder, "cells_nuclei.npy")),
        "kidney_nuclei": np.load(os.path.join(folder, "kidney_nuclei.npy")),
        "blobs": np.load(os.path.join(folder, "blobs.npy")),
    }
    # Our volume(z, y, x) is the NIfTI array transposed (2, 1, 0); the C++ side opens the .nii.
    inputs["anatomical"] = np.asarray(nib.load(NII).dataobj).transpose(2, 1, 0).astype("<i2")
    inputs["random_u8"] = rng.integers(0, 256, (17, 33, 45), dtype=np.uint8)
    inputs["random_u16"] = rng.integers(0, 4096, (17, 33, 45), dtype=np.uint16)
    inputs["random_i16"] = rng.integers(-3000, 3000, (9, 31, 27), dtype=np.int16)
    inputs["random_f32"] = rng.gamma(2.0, 50.0, (17, 33, 45)).astype(np.float32)
    inputs["random_f64"] = rng.normal(10.0, 3.0, (9, 31, 27))
    # Real data as floats with a background (most voxels in the first bins): the nuclei mapped
    # onto [0, 1] as float32, binned mostly by arithmetic.
    nuclei = inputs["cells_nuclei"].astype(np.float64)
    inputs["cells_nuclei_f32"] = (nuclei / nuclei.max()).astype(np.float32)
    for name in ("random_u8", "random_u16", "random_i16", "random_f32", "random_f64",
                 "cells_nuclei_f32"):
        np.save(os.path.join(folder, name + ".npy"), inputs[name])

    manifest = {"thresholds": [], "labels": [], "regionprops": []}
    for name, image in inputs.items():
        if name == "blobs":
            continue
        manifest["thresholds"].append({
            "input": name,
            "float": bool(image.dtype.kind == "f"),
            "otsu": float(filters.threshold_otsu(image)),
            "otsu_64": float(filters.threshold_otsu(image, nbins=64)),
            "li": float(filters.threshold_li(image)),
            "yen": float(filters.threshold_yen(image)),
            "triangle": float(filters.threshold_triangle(image)),
            "mean": float(filters.threshold_mean(image)),
        })

    def add_labels(name, mask_name, mask, level):
        for connectivity, ours in ((1, 6), (2, 18), (3, 26)):
            labels = measure.label(mask, connectivity=connectivity)
            assert labels.max() < 2**31
            out = f"{mask_name}_labels_{ours}.npy"
            np.save(os.path.join(folder, out), labels.astype(np.int32))
            manifest["labels"].append({"input": name, "level": level, "connectivity": ours,
                                       "expected": out, "count": int(labels.max())})

    for name in ("cells_nuclei", "kidney_nuclei", "random_u8", "random_f32"):
        level = float(filters.threshold_otsu(inputs[name]))
        add_labels(name, name, inputs[name] > level, level)
    add_labels("blobs", "blobs", inputs["blobs"], None)

    for name in ("cells_nuclei", "random_u16", "random_f32"):
        image = inputs[name]
        level = float(filters.threshold_otsu(image))
        labels = measure.label(image > level, connectivity=3)
        regions = []
        for region in measure.regionprops(labels, intensity_image=image):
            regions.append({"label": int(region.label), "area": int(region.area),
                            "centroid": [float(v) for v in region.centroid],
                            "bbox": [int(v) for v in region.bbox],
                            "mean": float(region.intensity_mean)})
        manifest["regionprops"].append({"input": name, "level": level, "regions": regions})

    # cv2.inRange plane by plane, as the slice-stack seed calls it; channels are ANDed.
    inputs["random_u16x2"] = rng.integers(0, 4096, (7, 19, 37, 2), dtype=np.uint16)
    np.save(os.path.join(folder, "random_u16x2.npy"), inputs["random_u16x2"])
    manifest["in_range"] = []
    bounds = {"cells_nuclei": [(0, 1000), (1000, 3000)], "kidney_nuclei": [(0, 400)],
              "anatomical": [(-5, 200)], "random_u8": [(0, 100), (37, 37), (200, 255)],
              "random_u16": [(0, 2047), (4000, 65535)], "random_i16": [(-1000, 1000)],
              "random_f32": [(50.5, 120.25), (0, 1e30)], "random_f64": [(9.75, 12.5)],
              "random_u16x2": [(1000, 3000)]}
    for name, pairs in bounds.items():
        image = inputs[name]
        for low, high in pairs:
            channels = image.shape[3] if image.ndim == 4 else 1
            lowb, highb = (low,) * channels, (high,) * channels
            expected = np.stack([cv2.inRange(plane, lowb, highb) for plane in image])
            out = f"in_range_{len(manifest['in_range']):02d}.npy"
            np.save(os.path.join(folder, out), expected)
            manifest["in_range"].append({"input": name, "low": low, "high": high,
                                         "expected": out})

    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f)


if __name__ == "__main__":
    main(sys.argv[1])
