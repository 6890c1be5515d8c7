#!/usr/bin/python3
"""Conformance cases for the DICOM reader, written and read with pydicom (the peer).

Usage: make_cases.py OUT_DIR

Writes synthetic series with pydicom (CT-like int16 with rescale, axial and oblique, a second
series in the same folder, per-slice rescale, a uint16 MR-like series without rescale) and
lists the real files shipped by Debian packages (pydicom's test data, GDCM's example, nibabel's
test data). For every case it records what pydicom reads: pixel_array with apply_modality_lut,
slices sorted by ImagePositionPatient along the slice normal, and the spacing and affine
computed from the tags. manifest.json lists the cases; each case's expected voxels are in
NAME.raw, in voxscope's layout (channel blocks of z-y-x, little-endian).
"""
import json
import os
import shutil
import sys
import warnings

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixel_data_handlers.util import apply_modality_lut
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

warnings.simplefilter("ignore")

PYDICOM_DATA = "/usr/lib/python3/dist-packages/pydicom/data/test_files"
REAL_FILES = [
    # pydicom's test data: uncompressed, both byte orders, implicit VR, RLE, JPEG 2000, colour.
    "CT_small.dcm", "MR_small.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm",
    "MR_small_implicit.dcm", "MR_small_RLE.dcm", "MR_small_padded.dcm",
    "MR_small_jp2klossless.dcm", "JPEG2000.dcm", "693_J2KI.dcm", "J2K_pixelrep_mismatch.dcm",
    "ExplVR_BigEnd.dcm", "SC_rgb_small_odd.dcm", "SC_rgb_rle.dcm", "SC_rgb_rle_2frame.dcm",
    "SC_rgb_rle_16bit.dcm", "SC_rgb_rle_16bit_2frame.dcm", "SC_rgb_rle_32bit.dcm",
    "SC_rgb_rle_32bit_2frame.dcm", "rtdose_rle_1frame.dcm",
    "SC_rgb_gdcm_KY.dcm", "SC_rgb_jpeg_dcmd.dcm",
    "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_dcmtk_+eb+cr.dcm", "SC_rgb_jpeg_lossy_gdcm.dcm",
    "SC_jpeg_no_color_transform.dcm", "rtdose.dcm", "rtdose_1frame.dcm", "rtdose_expb.dcm",
    "rtdose_rle.dcm",
]
# Real files voxscope refuses on purpose, with the exact error (see docs/formats/dicom.md).
REFUSED_FILES = [
    ("image_dfl.dcm", "the deflated transfer syntax (1.2.840.10008.1.2.1.99) is not supported"),
    ("SC_ybr_full_422_uncompressed.dcm",
     "uncompressed YBR_FULL_422 pixel data is not supported"),
    ("liver_1frame.dcm", "BitsAllocated (0028,0100) 1 is not supported (8, 16 or 32)"),
    # The meta header says explicit VR, the data set is implicit VR (pydicom guesses, we refuse).
    ("SC_rgb_jpeg.dcm",
     "malformed DICOM: element (0008,0008) at offset 356 has an unknown VR"),
    ("MR_truncated.dcm", "truncated or malformed DICOM: element (7FE0,0010) at offset 1488 "
                         "claims 8192 bytes but 8130 remain"),
    ("no_meta.dcm", "not a DICOM file (no 'DICM' at offset 128, PS3.10 7.1)"),
    ("reportsi.dcm", "no PixelData (7FE0,0010): not an image"),
]
OTHER_REAL_FILES = [
    ("nibabel_0", "/usr/lib/python3/dist-packages/nibabel/tests/data/0.dcm"),
    ("nibabel_decimal_rescale",
     "/usr/lib/python3/dist-packages/nibabel/nicom/tests/data/decimal_rescale.dcm"),
]


def exact_in_float(slope, intercept, bits_allocated, signed):
    """voxscope's choice of float32 over float64 (see docs/formats/dicom.md): every value
    slope * stored + intercept is a multiple of 2**-k that fits a float's 24-bit significand."""
    largest = 2.0 ** (bits_allocated - 1) if signed else 2.0 ** bits_allocated - 1
    for k in range(61):
        s, b = slope * 2.0 ** k, intercept * 2.0 ** k
        if s == int(s) and b == int(b):
            return largest * abs(s) + abs(b) <= 2.0 ** 24
    return False


def cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def dot(a, b):
    # Written out (no numpy): the same operations in the same order as the C++ reader.
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def has_rescale(ds):
    return "RescaleSlope" in ds and "RescaleIntercept" in ds


def rescaled(ds):
    return has_rescale(ds) and (float(ds.RescaleSlope) != 1 or float(ds.RescaleIntercept) != 0)


def read_case(paths):
    """What pydicom reads from one file or a series: values, dtype, spacing, affine."""
    datasets = [pydicom.dcmread(p) for p in paths]
    datasets = [ds for ds in datasets if "PixelData" in ds]
    by_series = {}
    for ds in datasets:
        by_series.setdefault(str(ds.get("SeriesInstanceUID", "")), []).append(ds)
    chosen = max(by_series.values(), key=len)  # the series with the most slices
    first = chosen[0]
    orientation = [float(v) for v in first.ImageOrientationPatient] \
        if "ImageOrientationPatient" in first else None
    normal = cross(orientation[:3], orientation[3:]) if orientation else None
    positions = None
    if len(chosen) > 1:
        chosen.sort(key=lambda ds: dot([float(v) for v in ds.ImagePositionPatient], normal))
        positions = [[float(v) for v in ds.ImagePositionPatient] for ds in chosen]
    elif int(first.get("NumberOfFrames", 1) or 1) > 1 and normal and "GridFrameOffsetVector" in first:
        origin = [float(v) for v in first.ImagePositionPatient]
        offsets = [float(v) for v in first.GridFrameOffsetVector]
        positions = [[origin[i] + (o - offsets[0]) * normal[i] for i in range(3)] for o in offsets]

    any_rescaled = any(rescaled(ds) for ds in chosen)
    planes = []
    for ds in chosen:
        stored = ds.pixel_array
        if int(ds.get("NumberOfFrames", 1) or 1) == 1:
            stored = stored[np.newaxis]
        if ds.SamplesPerPixel == 1:
            stored = stored[..., np.newaxis]
        values = apply_modality_lut(stored, ds) if any_rescaled else stored
        planes.append(values)
    volume = np.concatenate(planes, axis=0)  # (z, y, x, c)
    stored_dtype = np.dtype(chosen[0].pixel_array.dtype).newbyteorder("=")
    if any_rescaled:
        exact = all(exact_in_float(float(ds.RescaleSlope), float(ds.RescaleIntercept),
                                   ds.BitsAllocated, ds.PixelRepresentation == 1)
                    for ds in chosen if has_rescale(ds))
        dtype = np.dtype(np.float32 if exact else np.float64)
        if exact:
            assert np.array_equal(volume.astype(np.float32).astype(np.float64), volume)
    else:
        dtype = stored_dtype
    volume = volume.astype(dtype)

    spacing = None
    affine = None
    z = volume.shape[0]
    if "PixelSpacing" in first:
        row_spacing, column_spacing = [float(v) for v in first.PixelSpacing]
        if positions:
            along = [dot(p, normal) for p in positions]
            z_spacing = abs((along[-1] - along[0]) / (z - 1))
            step = [(positions[-1][i] - positions[0][i]) / (z - 1) for i in range(3)]
        elif z == 1:  # one plane: its thickness, else a moot 1
            z_spacing = float(first.get("SpacingBetweenSlices") or first.get("SliceThickness") or 1.0)
        else:  # frames without positions: only SpacingBetweenSlices says how far apart they are
            z_spacing = float(first.SpacingBetweenSlices) if "SpacingBetweenSlices" in first else None
        if not positions and z_spacing is not None:
            step = [n * z_spacing for n in normal] if normal else None
        spacing = [z_spacing, row_spacing, column_spacing] if z_spacing is not None else None
        if spacing and orientation and "ImagePositionPatient" in first:
            origin = positions[0] if positions else [float(v) for v in first.ImagePositionPatient]
            affine = []
            for r in range(3):
                affine += [orientation[r] * column_spacing, orientation[3 + r] * row_spacing,
                           step[r], origin[r]]
            affine += [0.0, 0.0, 0.0, 1.0]
    return volume, spacing, affine


def new_dataset(series_uid, rows, columns, dtype, photometric="MONOCHROME2"):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.SeriesInstanceUID = series_uid
    ds.Rows = rows
    ds.Columns = columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = dtype.itemsize * 8
    ds.BitsStored = dtype.itemsize * 8
    ds.HighBit = dtype.itemsize * 8 - 1
    ds.PixelRepresentation = 1 if dtype.kind == "i" else 0
    return ds


def write_series(folder, prefix, count, rows, columns, dtype, orientation, step, seed,
                 rescale=None, pixel_spacing=(0.7, 0.8), uid=None, name_order=None):
    """Writes `count` slices; file names and InstanceNumber follow `name_order`, not position."""
    rng = np.random.default_rng(seed)
    uid = uid or generate_uid()
    info = np.iinfo(dtype)
    normal = cross(orientation[:3], orientation[3:])
    origin = [-20.5, 13.25, 40.0]
    order = name_order or list(range(count))
    for k in range(count):
        ds = new_dataset(uid, rows, columns, np.dtype(dtype))
        position = [origin[i] + k * step * normal[i] for i in range(3)]
        ds.ImagePositionPatient = [f"{v:.6f}" for v in position]
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in orientation]
        ds.PixelSpacing = list(pixel_spacing)
        ds.SliceThickness = step
        ds.InstanceNumber = order[k] + 1
        if rescale:
            slope, intercept = rescale(k)
            ds.RescaleSlope = slope
            ds.RescaleIntercept = intercept
        low, high = max(info.min, -3000), min(info.max, 4000)
        pixels = rng.integers(low, high, size=(rows, columns), dtype=dtype)
        pixels[0, 0] = k  # each slice recognisable
        ds.PixelData = pixels.tobytes()
        ds.save_as(os.path.join(folder, f"{prefix}{order[k]:03d}.dcm"), write_like_original=False)


def oblique_orientation(degrees):
    a = np.radians(degrees)
    return [1.0, 0.0, 0.0, 0.0, float(np.cos(a)), float(np.sin(a))]


def main():
    out = sys.argv[1]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    cases = []

    def add(name, path, files):
        volume, spacing, affine = read_case(files)
        shape = list(volume.shape)  # z, y, x, c
        np.ascontiguousarray(np.moveaxis(volume, 3, 0)).astype(volume.dtype.newbyteorder("<")) \
            .tofile(os.path.join(out, name + ".raw"))
        cases.append({"name": name, "path": path, "shape": shape, "dtype": volume.dtype.name,
                      "spacing": spacing, "affine": affine})

    axial = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    # Names follow a shuffled order, so name order (and InstanceNumber) != position order.
    shuffled = list(np.random.default_rng(7).permutation(20))

    folder = os.path.join(out, "ct_axial")
    os.makedirs(folder)
    write_series(folder, "IM", 20, 48, 64, np.int16, axial, 1.5, 1,
                 rescale=lambda k: (2.5, -1024), name_order=shuffled)
    # A second, smaller series in the same folder (a scout): the reader takes the larger one.
    write_series(folder, "SCOUT", 3, 16, 16, np.int16, axial, 5.0, 2)
    # Files that are not images are skipped: a DICOM file without pixel data.
    report = new_dataset(generate_uid(), 1, 1, np.dtype(np.uint8))
    del report.Rows
    report.save_as(os.path.join(folder, "REPORT.dcm"), write_like_original=False)
    add("ct_axial", folder, [os.path.join(folder, f) for f in sorted(os.listdir(folder))])

    folder = os.path.join(out, "ct_oblique")
    os.makedirs(folder)
    # Per-slice rescale: every slice has its own slope.
    write_series(folder, "slice_", 20, 48, 64, np.int16, oblique_orientation(30), 1.5, 3,
                 rescale=lambda k: (2.5 if k % 2 == 0 else 0.5, -1024), name_order=shuffled)
    add("ct_oblique", folder, [os.path.join(folder, f) for f in sorted(os.listdir(folder))])

    folder = os.path.join(out, "ct_float64")
    os.makedirs(folder)
    # A decimal slope: the values need float64 to match pydicom exactly.
    write_series(folder, "s", 6, 16, 20, np.int16, oblique_orientation(-12.5), 2.0, 4,
                 rescale=lambda k: ("0.001", "-1.3"))
    add("ct_float64", folder, [os.path.join(folder, f) for f in sorted(os.listdir(folder))])

    folder = os.path.join(out, "mr_uint16")
    os.makedirs(folder)
    write_series(folder, "mr", 12, 40, 32, np.uint16, oblique_orientation(90), 3.0, 5,
                 pixel_spacing=(1.25, 0.9), name_order=list(reversed(range(12))))
    add("mr_uint16", folder, [os.path.join(folder, f) for f in sorted(os.listdir(folder))])

    for file_name in REAL_FILES:
        path = os.path.join(PYDICOM_DATA, file_name)
        if os.path.exists(path):
            add("pydicom_" + file_name[:-4], path, [path])
    for name, path in OTHER_REAL_FILES:
        if os.path.exists(path):
            add(name, path, [path])

    refused = []
    for file_name, message in REFUSED_FILES:
        path = os.path.join(PYDICOM_DATA, file_name)
        if os.path.exists(path):
            refused.append({"path": path, "error": f"'{path}': {message}"})

    with open(os.path.join(out, "manifest.json"), "w") as manifest:
        json.dump({"cases": cases, "refused": refused}, manifest, indent=1)
    print(f"{len(cases)} DICOM cases and {len(refused)} refused files in {out}")


if __name__ == "__main__":
    main()
