#!/usr/bin/env python3
"""Computes the exposure conformance cases with scikit-image 0.19.3 itself.

Usage: make_cases.py DIR. DIR already holds cells.npy and kidney.npy (written by
vox_exposure_make_inputs); this script adds random inputs, the expected outputs as
.npy and manifest.json, which exposure_conformance.cpp reads.
"""
import json
import os
import sys
import warnings

import nibabel
import numpy as np
from skimage import exposure, img_as_float
from skimage.util import dtype_limits

MRI = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "anatomical.nii")


class Cases:
    def __init__(self, folder):
        self.folder = folder
        self.cases = []
        self.count = 0

    def save(self, array, prefix="out"):
        self.count += 1
        name = f"{prefix}_{self.count:04d}.npy"
        np.save(os.path.join(self.folder, name), np.ascontiguousarray(array))
        return name

    def add(self, name, source, array, op, params, fn):
        case = {"name": name, "input": source, "op": op, "params": params}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = fn(array)
        except ValueError as error:
            case["error"] = str(error)
            self.cases.append(case)
            return
        if op in ("histogram", "cdf", "histogram_channels", "finite_histogram"):
            values, centers = result
            case["values"] = [v.item() for v in np.ravel(values)]
            case["centers"] = [float(c) for c in centers]
            case["dtype"] = str(np.asarray(values).dtype)
        else:
            case["expected"] = self.save(result)
            case["dtype"] = str(result.dtype)
        self.cases.append(case)


def range_arg(spec, array):
    kind = spec["kind"]
    if kind in ("image", "dtype"):
        return kind
    if kind == "named":
        return spec["name"]
    if kind == "values":
        return (spec["low"], spec["high"])
    return tuple(np.percentile(array, (spec["low"], spec["high"])))


def rescale(params):
    def run(array):
        if params["mode"] == "per_channel" and array.ndim == 4:
            return np.stack([run_one(array[..., c]) for c in range(array.shape[-1])], axis=-1)
        return run_one(array)

    def run_one(array):
        return exposure.rescale_intensity(array, in_range=range_arg(params["in"], array),
                                          out_range=range_arg(params["out"], array))
    return run


def finite_histogram(array, nbins):
    """matplotlib's ax.hist(array.ravel(), nbins) without its NaN and infinities: the
    counts and the centres of np.histogram's edges, in the edges' type."""
    values = array.ravel()
    counts, edges = np.histogram(values[np.isfinite(values)], nbins)
    return counts, (edges[:-1] + edges[1:]) / edges.dtype.type(2)


def uniform_histogram(array, nbins, source_range, per_channel):
    """np.histogram's nbins uniform bins, as numpy and matplotlib's hist bin integers
    (skimage gives them one bin per value): over the range of all values, or the dtype's
    (skimage's dtype_limits); with per_channel, one row of counts per channel over those
    shared edges."""
    hist_range = None if source_range == "image" else dtype_limits(array, clip_negative=False)
    edges = np.histogram_bin_edges(array, nbins, hist_range)
    centers = (edges[:-1] + edges[1:]) / edges.dtype.type(2)
    if per_channel:
        counts = np.stack([np.histogram(array[..., c], edges)[0]
                           for c in range(array.shape[-1])])
    else:
        counts = np.histogram(array, nbins, hist_range)[0]
    return counts, centers


def point_ops(cases, label, source, array, float_like=False):
    """The point-wise operations, histograms and equalization on one input."""
    R = lambda kind, low=0, high=0, name="": {"kind": kind, "low": low, "high": high, "name": name}
    rescales = [
        ("image_dtype", R("image"), R("dtype"), "joint"),
        ("dtype_values", R("dtype"), R("values", 0, 1), "joint"),
        ("percentile_dtype", R("percentiles", 0.5, 99.5), R("dtype"), "joint"),
        ("percentile_float32", R("percentiles", 0.5, 99.5), R("named", name="float32"), "joint"),
        ("image_uint8", R("image"), R("named", name="uint8"), "joint"),
        ("values_values", R("values", 10, 200), R("values", -1, 1), "joint"),
        ("image_image", R("values", 0.2, 0.7), R("image"), "joint"),
    ]
    if array.ndim == 4:
        rescales += [
            ("per_channel_image", R("image"), R("dtype"), "per_channel"),
            ("per_channel_values", R("image"), R("values", 0, 1), "per_channel"),
            ("per_channel_percentile", R("percentiles", 0.5, 99.5), R("dtype"), "per_channel"),
        ]
    for name, in_range, out_range, mode in rescales:
        params = {"in": in_range, "out": out_range, "mode": mode}
        cases.add(f"{label}.rescale.{name}", source, array, "rescale", params, rescale(params))
    for gamma, gain in ((0.5, 1.0), (1.5, 1.0), (2.2, 0.8), (1.0, 1.0)):
        cases.add(f"{label}.gamma_{gamma}_{gain}", source, array, "gamma",
                  {"gamma": gamma, "gain": gain},
                  lambda a, g=gamma, k=gain: exposure.adjust_gamma(a, g, k))
    for inv in (False, True):
        cases.add(f"{label}.log_{inv}", source, array, "log", {"gain": 0.9, "inv": inv},
                  lambda a, i=inv: exposure.adjust_log(a, 0.9, i))
        cases.add(f"{label}.sigmoid_{inv}", source, array, "sigmoid",
                  {"cutoff": 0.4, "gain": 8.0, "inv": inv},
                  lambda a, i=inv: exposure.adjust_sigmoid(a, 0.4, 8.0, i))
    for nbins in (256, 100):
        for source_range in ("image", "dtype"):
            if source_range == "dtype" and array.dtype.itemsize > 2 and array.dtype.kind in "iu":
                continue
            cases.add(f"{label}.histogram_{nbins}_{source_range}", source, array, "histogram",
                      {"nbins": nbins, "source_range": source_range},
                      lambda a, n=nbins, s=source_range: exposure.histogram(a, n, s))
        if array.ndim == 4:
            # Bins shared by the channels (skimage's channel_axis=-1).
            for source_range in ("image", "dtype"):
                cases.add(f"{label}.histogram_channels_{nbins}_{source_range}", source, array,
                          "histogram_channels", {"nbins": nbins, "source_range": source_range},
                          lambda a, n=nbins, s=source_range:
                          exposure.histogram(a, n, s, channel_axis=-1))
        # hist --bins N: uniform bins for integers too (float data bin as above).
        for source_range in ("image", "dtype"):
            for op, per_channel in (("histogram", False), ("histogram_channels", True)):
                if per_channel and array.ndim != 4:
                    continue
                cases.add(f"{label}.uniform_{op}_{nbins}_{source_range}", source, array, op,
                          {"nbins": nbins, "source_range": source_range,
                           "integer_bins": "uniform"},
                          lambda a, n=nbins, s=source_range, c=per_channel:
                          uniform_histogram(a, n, s, c))
        cases.add(f"{label}.finite_histogram_{nbins}", source, array, "finite_histogram",
                  {"nbins": nbins}, lambda a, n=nbins: finite_histogram(a, n))
        cases.add(f"{label}.cdf_{nbins}", source, array, "cdf", {"nbins": nbins},
                  lambda a, n=nbins: exposure.cumulative_distribution(a, n))
        cases.add(f"{label}.equalize_{nbins}", source, array, "equalize", {"nbins": nbins},
                  lambda a, n=nbins: exposure.equalize_hist(a, n))
    mask = (np.arange(array.size).reshape(array.shape) % 3 == 0)
    if array.ndim == 4:
        mask = mask[..., :1].repeat(array.shape[-1], axis=-1)
    mask_name = cases.save(mask.astype(np.uint8), "mask")
    cases.add(f"{label}.equalize_mask", source, array, "equalize", {"nbins": 256, "mask": mask_name},
              lambda a: exposure.equalize_hist(a, 256, mask=mask))


def match_ops(cases, label, source, array, reference, reference_name):
    cases.add(f"{label}.match_joint", source, array, "match",
              {"reference": reference_name, "mode": "joint"},
              lambda a: exposure.match_histograms(a, reference))
    if array.ndim == 4 and reference.ndim == 4:
        cases.add(f"{label}.match_per_channel", source, array, "match",
                  {"reference": reference_name, "mode": "per_channel"},
                  lambda a: exposure.match_histograms(a, reference, channel_axis=-1))


def main():
    folder = sys.argv[1]
    cases = Cases(folder)
    rng = np.random.default_rng(20261121)

    # The samples, as voxscope builds them.
    cells = np.load(os.path.join(folder, "cells.npy"))
    kidney = np.load(os.path.join(folder, "kidney.npy"))
    # Point-wise cases on strided views (every 2nd plane/row/column) keep the expected
    # outputs small and exercise non-contiguous input on our side.
    point_ops(cases, "cells", {"file": "cells.npy", "step": [2, 2, 2]}, cells[::2, ::2, ::2])
    point_ops(cases, "kidney", {"file": "kidney.npy", "step": [1, 2, 2]}, kidney[:, ::2, ::2])
    for c in range(kidney.shape[-1]):
        cases.add(f"kidney.channel{c}.rescale_percentile", {"file": "kidney.npy", "channel": c},
                  kidney[..., c], "rescale",
                  {"in": {"kind": "percentiles", "low": 0.5, "high": 99.5, "name": ""},
                   "out": {"kind": "values", "low": 0, "high": 1, "name": ""}, "mode": "joint"},
                  lambda a: exposure.rescale_intensity(a, in_range=tuple(np.percentile(a, (0.5, 99.5))),
                                                       out_range=(0, 1)))

    # The gallery tutorial on the nuclei channel, as img_as_float.
    nuclei = img_as_float(cells[..., 1])
    source = {"file": "cells.npy", "channel": 1, "as_float": True}
    for gamma in (0.5, 1.5):
        cases.add(f"tutorial.gamma_{gamma}", source, nuclei, "gamma", {"gamma": gamma, "gain": 1.0},
                  lambda a, g=gamma: exposure.adjust_gamma(a, gamma=g))
    cases.add("tutorial.equalize", source, nuclei, "equalize", {"nbins": 256},
              lambda a: exposure.equalize_hist(a))
    cases.add("tutorial.histogram", source, nuclei, "histogram",
              {"nbins": 256, "source_range": "image"}, lambda a: exposure.histogram(a, 256))
    for nbins in (10, 256):
        cases.add(f"tutorial.finite_histogram_{nbins}", source, nuclei, "finite_histogram",
                  {"nbins": nbins}, lambda a, n=nbins: finite_histogram(a, n))
    cases.add("tutorial.cdf", source, nuclei, "cdf", {"nbins": 256},
              lambda a: exposure.cumulative_distribution(a.ravel()))
    cases.add("tutorial.clip_rescale", source, nuclei, "rescale",
              {"in": {"kind": "percentiles", "low": 0.5, "high": 99.5, "name": ""},
               "out": {"kind": "named", "low": 0, "high": 0, "name": "float32"}, "mode": "joint"},
              lambda a: exposure.rescale_intensity(a, in_range=tuple(np.percentile(a, q=(0.5, 99.5))),
                                                   out_range=np.float32))

    # Floats that are not img_as_float's values and repeat them (as an MRI's scaled data):
    # the nuclei of every 2nd plane mapped onto [0, 1] as float32, 22 000 distinct values.
    # Large enough for voxscope's cache of results per value.
    nuclei = cells[::2, :, :, 1].astype(np.float64)
    scaled = ((nuclei - nuclei.min()) / (nuclei.max() - nuclei.min())).astype(np.float32)
    name = cases.save(scaled, "input")
    for gamma in (0.5, 1.5):
        cases.add(f"scaled.gamma_{gamma}", {"file": name}, scaled, "gamma",
                  {"gamma": gamma, "gain": 1.0}, lambda a, g=gamma: exposure.adjust_gamma(a, g))
    cases.add("scaled.log", {"file": name}, scaled, "log", {"gain": 1.0, "inv": False},
              lambda a: exposure.adjust_log(a))
    cases.add("scaled.sigmoid", {"file": name}, scaled, "sigmoid",
              {"cutoff": 0.5, "gain": 10.0, "inv": False}, lambda a: exposure.adjust_sigmoid(a))
    cases.add("scaled.equalize", {"file": name}, scaled, "equalize", {"nbins": 256},
              lambda a: exposure.equalize_hist(a))

    # A real MRI (int16 with negative values), in voxscope's (z, y, x) order.
    mri = np.asarray(nibabel.load(MRI).dataobj).transpose(2, 1, 0)
    mri = mri.astype(mri.dtype.newbyteorder("="))
    point_ops(cases, "mri", {"nii": MRI}, mri)

    # Random volumes of every pixel type.
    shape = (6, 17, 23)
    randoms = {
        "uint8": rng.integers(0, 256, shape, dtype=np.uint8),
        "uint16": rng.integers(0, 65536, shape, dtype=np.uint16),
        "uint16_12bit": rng.integers(0, 4096, shape, dtype=np.uint16),
        "int16": rng.integers(0, 32768, shape, dtype=np.int16),
        "int16_signed": rng.integers(-32768, 32768, shape, dtype=np.int16),
        "int8": rng.integers(0, 128, shape, dtype=np.int8),
        "uint32": rng.integers(0, 100000, shape, dtype=np.uint32),
        "int32": rng.integers(-5000, 100000, shape, dtype=np.int32),
        "float32": rng.random(shape, dtype=np.float32),
        "float64": rng.random(shape),
        "float64_wide": rng.normal(50, 30, shape),
        "uint16_2ch": rng.integers(0, 4096, shape + (2,), dtype=np.uint16),
        "float32_2ch": rng.random(shape + (2,), dtype=np.float32),
    }
    for label, array in randoms.items():
        name = cases.save(array, "input")
        point_ops(cases, f"random_{label}", {"file": name}, array)
        reference = (rng.random(array.shape) * 3000).astype(array.dtype)[:4, :9]
        reference_name = cases.save(reference, "reference")
        match_ops(cases, f"random_{label}", {"file": name}, array, reference, reference_name)

    # Histograms of the finite values of float volumes holding NaN and infinities.
    for dtype in ("float32", "float64"):
        array = rng.normal(0, 100, shape).astype(dtype)
        array.flat[rng.choice(array.size, 40, replace=False)] = np.nan
        array.flat[rng.choice(array.size, 10, replace=False)] = np.inf
        array.flat[rng.choice(array.size, 10, replace=False)] = -np.inf
        name = cases.save(array, "input")
        for nbins in (10, 256):
            cases.add(f"nonfinite_{dtype}.finite_histogram_{nbins}", {"file": name}, array,
                      "finite_histogram", {"nbins": nbins},
                      lambda a, n=nbins: finite_histogram(a, n))

    cells_reference = rng.integers(0, 4096, (4, 9, 11, 2), dtype=np.uint16)
    kidney_reference = rng.integers(0, 4096, (4, 9, 11, 3), dtype=np.uint16)
    match_ops(cases, "cells", {"file": "cells.npy"}, cells, cells_reference,
              cases.save(cells_reference, "reference"))
    match_ops(cases, "kidney", {"file": "kidney.npy"}, kidney, kidney_reference,
              cases.save(kidney_reference, "reference"))

    with open(os.path.join(folder, "manifest.json"), "w") as file:
        json.dump({"cases": cases.cases}, file)
    print(f"{len(cases.cases)} exposure cases in {folder}")


if __name__ == "__main__":
    main()
