#!/usr/bin/env python3
"""Writes conformance cases computed by the peers themselves (numpy, scikit-image).

Each case is raw little-endian input (and expected output) plus an entry in
manifest.json; tests/conformance/conformance_test.cpp runs voxscope on the same
input and compares. Usage: make_cases.py OUTPUT_DIR
"""
import json
import os
import sys
import warnings

import numpy as np
import skimage
from skimage import io as skio
from skimage.util.dtype import _convert

DTYPES = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"]
SHORT = {"uint8": "u8", "int8": "i8", "uint16": "u16", "int16": "i16", "uint32": "u32",
         "int32": "i32", "float32": "f32", "float64": "f64"}
Q = [0.0, 0.5, 1.0, 12.5, 25.0, 33.3, 50.0, 66.6, 75.0, 99.0, 99.5, 100.0]
SKIMAGE_DATA = os.path.join(os.path.dirname(skimage.__file__), "data")


class Writer:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0
        os.makedirs(folder, exist_ok=True)

    def raw(self, array):
        """Writes a (z, y, x, c) array channel-major, as a voxscope Volume stores it."""
        self.count += 1
        name = f"array_{self.count:04d}.raw"
        channels_first = np.ascontiguousarray(np.moveaxis(array, -1, 0))
        channels_first.astype(channels_first.dtype.newbyteorder("<")).tofile(
            os.path.join(self.folder, name))
        return name


def as_volume(array):
    """Gives any 1D-4D array the (z, y, x, c) shape voxscope uses."""
    array = np.asarray(array)
    if array.ndim == 1:
        return array.reshape(1, 1, -1, 1)
    if array.ndim == 2:
        return array[np.newaxis, :, :, np.newaxis]
    if array.ndim == 3:
        return array[..., np.newaxis]
    return array


def synthetic_arrays(rng):
    """(name, array) pairs for every dtype: small n, ties, limits, random."""
    arrays = []
    for dtype in DTYPES:
        info = np.finfo(dtype) if dtype.startswith("float") else np.iinfo(dtype)
        if dtype.startswith("float"):
            low, high = -1e6, 1e6
        elif dtype.startswith("int"):
            # numpy subtracts neighbours in the input dtype and overflows beyond half the
            # range (see stats.h): keep the spread within it so that numpy is a valid oracle.
            low, high = int(info.min) // 2 + 1, int(info.max) // 2
        else:
            low, high = 0, int(info.max)
        for n in (1, 2, 3, 5, 10):
            arrays.append((f"{dtype}_n{n}", rng.uniform(low, high, n).astype(dtype)))
        ties = rng.choice(np.array([low, 0, high // 3, high], dtype=np.float64), 1000)
        arrays.append((f"{dtype}_ties", ties.astype(dtype)))
        arrays.append((f"{dtype}_random3d", rng.uniform(low, high, (7, 33, 65)).astype(dtype)))
        arrays.append((f"{dtype}_constant", np.full(17, 3, dtype=dtype)))
    return arrays


def real_arrays():
    """Real images shipped with Debian's python3-skimage, as (z, y, x, c) volumes."""
    arrays = []
    for name in ("camera.png", "moon.png", "astronaut.png", "chessboard_GRAY_U16.tif",
                 "_blobs_3d_fiji_skeleton.tif", "multipage.tif"):
        path = os.path.join(SKIMAGE_DATA, name)
        if not os.path.exists(path):
            continue
        image = skio.imread(path)
        rgb = name == "astronaut.png"  # one plane of rows, columns and 3 channels
        arrays.append((f"skimage_data_{name}", image[np.newaxis] if rgb else as_volume(image)))
    return arrays


def moments(array):
    """numpy's min, max, mean and std (ddof 0), NaN ignored, computed in float64."""
    values = array.astype(np.float64)
    return [float(np.nanmin(values)), float(np.nanmax(values)), float(np.nanmean(values)),
            float(np.nanstd(values))]


def percentile_cases(writer, rng):
    cases = []
    volumes = [(name, as_volume(array)) for name, array in synthetic_arrays(rng)] + real_arrays()
    for name, volume in volumes:
        dtype = SHORT[str(volume.dtype)]
        input_file = writer.raw(volume)
        cases.append({"name": name, "dtype": dtype, "shape": list(volume.shape),
                      "input": input_file, "q": Q, "expected": np.percentile(volume, Q).tolist(),
                      "stats": moments(volume)})
        for c in range(volume.shape[-1] if volume.shape[-1] > 1 else 0):
            cases.append({"name": f"{name}_channel{c}", "dtype": dtype,
                          "shape": list(volume.shape), "channel": c, "input": input_file,
                          "q": Q, "expected": np.percentile(volume[..., c], Q).tolist(),
                          "stats": moments(volume[..., c])})
    for dtype in ("float32", "float64"):
        volume = as_volume(rng.normal(0, 1, 501).astype(dtype))
        volume[..., ::7, :] = np.nan
        cases.append({"name": f"{dtype}_with_nan", "dtype": SHORT[dtype],
                      "shape": list(volume.shape), "input": writer.raw(volume), "q": Q,
                      "expected": np.nanpercentile(volume, Q).tolist(), "stats": moments(volume)})
    return cases


def convert_inputs(dtype, rng):
    """Inputs for the conversion from `dtype`: limits, random values, and data that fits 8 bits."""
    if dtype.startswith("float"):
        values = np.concatenate([[-1.0, -0.5, 0.0, 0.5, 1.0, 1 / 255, 127.5 / 255],
                                 rng.uniform(-1, 1, 500), rng.uniform(0, 1, 500)])
        return [("unit", values.astype(dtype)),
                ("out_of_range", np.array([0.0, 1.5], dtype=dtype))]
    info = np.iinfo(dtype)
    limits = np.array([info.min, info.min + 1, -1 if info.min else 0, 0, 1, info.max - 1, info.max])
    random = rng.integers(int(info.min), int(info.max), 1000, endpoint=True)
    small = rng.integers(0 if info.min == 0 else -100, 100, 300)  # fits every target: no scaling
    return [("limits", np.concatenate([limits, random]).astype(dtype)),
            ("small", small.astype(dtype))]


def convert_cases(writer, rng):
    cases = []
    for source in DTYPES:
        for input_name, array in convert_inputs(source, rng):
            volume = as_volume(array)
            input_file = writer.raw(volume)
            for target in DTYPES:
                if target == source:
                    continue
                case = {"name": f"{source}_{input_name}_to_{target}", "dtype": SHORT[source],
                        "target": SHORT[target], "shape": list(volume.shape), "input": input_file}
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        result = _convert(array, np.dtype(target))
                    case["expected"] = writer.raw(as_volume(result))
                except ValueError as error:
                    case["error"] = str(error)
                cases.append(case)
    return cases


def main():
    writer = Writer(sys.argv[1])
    rng = np.random.default_rng(20261121)
    manifest = {"numpy": np.__version__, "skimage": skimage.__version__,
                "percentile": percentile_cases(writer, rng),
                "convert": convert_cases(writer, rng)}
    with open(os.path.join(writer.folder, "manifest.json"), "w") as file:
        json.dump(manifest, file, indent=1)
    print(f"wrote {len(manifest['percentile'])} percentile and {len(manifest['convert'])} "
          f"conversion cases (numpy {np.__version__}, scikit-image {skimage.__version__})")


if __name__ == "__main__":
    main()
