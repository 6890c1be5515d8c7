#!/usr/bin/env python3
"""Conformance cases for the MetaImage reader and writer, with VTK's vtkMetaImageReader (ITK's
MetaIO library) as the peer. SimpleITK is not packaged here.

make FOLDER:  writes .mha/.mhd files from numpy arrays with our own header writer, reads each
              with vtkMetaImageReader and requires VTK to agree with the array (shape, dtype,
              spacing, origin, every voxel); records the expectations in manifest.json for
              metaimage_conformance_test.cpp. A 4D time series (vtkMetaImageReader reads 3D
              only) is checked against the numpy array instead ("peer": "numpy").
check FOLDER: reads the files voxscope's writer produced (ours/) with vtkMetaImageReader and
              compares them with the same expectations.
"""
import json
import os
import shutil
import sys
import zlib

import numpy as np
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkIOImage import vtkMetaImageReader

SHORT = {"uint8": "u8", "int8": "i8", "uint16": "u16", "int16": "i16", "uint32": "u32",
         "int32": "i32", "float32": "f32", "float64": "f64"}
MET = {"uint8": "MET_UCHAR", "int8": "MET_CHAR", "uint16": "MET_USHORT", "int16": "MET_SHORT",
       "uint32": "MET_UINT", "int32": "MET_INT", "float32": "MET_FLOAT", "float64": "MET_DOUBLE"}


def vtk_read(path):
    """What vtkMetaImageReader reads: (z, y, x, c) array, spacing (z, y, x), origin (x, y, z)."""
    reader = vtkMetaImageReader()
    reader.SetFileName(path)
    reader.Update()
    image = reader.GetOutput()
    scalars = image.GetPointData().GetScalars()
    if scalars is None:
        return None
    nx, ny, nz = image.GetDimensions()
    values = vtk_to_numpy(scalars).reshape(nz, ny, nx, scalars.GetNumberOfComponents())
    return values, list(image.GetSpacing())[::-1], list(image.GetOrigin())


def header_text(fields):
    return "".join(f"{key} = {value}\n" for key, value in fields)


class Cases:
    def __init__(self, folder):
        self.folder = folder
        self.cases = []

    def path(self, name):
        return os.path.join(self.folder, name)

    def add(self, name, file, volume, spacing=None, offset=None, vtk=True, reason=None,
            **options):
        """volume: the (z, y, x, c) array voxscope must read; spacing (z, y, x); offset: the
        file's Offset (LPS), which voxscope turns into a RAS origin."""
        volume = np.asarray(volume)
        values = name + ".values"
        np.ascontiguousarray(np.moveaxis(volume, -1, 0)).astype(
            volume.dtype.newbyteorder("<")).tofile(self.path(values))
        origin_ras = None if offset is None else [-offset[0], -offset[1], offset[2]]
        case = {"name": name, "file": file, "shape": list(volume.shape),
                "dtype": SHORT[volume.dtype.name], "values": values, "spacing": spacing,
                "origin_ras": origin_ras, "peer": "vtk" if vtk else "numpy",
                "write": [{"file": name + ".mha"}, {"file": name + "_separate.mhd"},
                          {"file": name + "_z.mha", "compression": "deflate"},
                          {"file": name + "_z_separate.mhd", "compression": "deflate"}]}
        if spacing is not None:
            case["unit"] = "mm"
        if reason:
            case["reason"] = reason
        case.update(options)
        if vtk:
            read = vtk_read(self.path(file))
            if read is None:
                raise SystemExit(f"{name}: vtkMetaImageReader read nothing")
            got, got_spacing, got_origin = read
            if got.shape != volume.shape or got.dtype != volume.dtype.newbyteorder("="):
                raise SystemExit(f"{name}: VTK reads {got.shape} {got.dtype}, expected "
                                 f"{volume.shape} {volume.dtype}")
            if not np.array_equal(got, volume):
                raise SystemExit(f"{name}: VTK reads other values")
            if spacing is not None and not np.allclose(got_spacing, spacing, rtol=1e-12):
                raise SystemExit(f"{name}: VTK spacing {got_spacing}, expected {spacing}")
            if offset is not None and not np.allclose(got_origin, offset, rtol=1e-12):
                raise SystemExit(f"{name}: VTK origin {got_origin}, expected {offset}")
        self.cases.append(case)


def make(folder):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    rng = np.random.default_rng(7)
    cases = Cases(folder)

    def random(dtype, shape):
        if dtype.startswith("float"):
            return rng.normal(0, 100, shape).astype(dtype)
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)

    def base(array, channels=1):
        z, y, x = array.shape[:3]
        fields = [("ObjectType", "Image"), ("NDims", "3"), ("DimSize", f"{x} {y} {z}"),
                  ("ElementType", MET[array.dtype.name])]
        if channels > 1:
            fields.append(("ElementNumberOfChannels", str(channels)))
        return fields

    def mha(name, fields, payload):
        with open(cases.path(name), "wb") as stream:
            stream.write(header_text(fields + [("ElementDataFile", "LOCAL")]).encode() + payload)

    def mhd(name, fields, data_name, payload):
        with open(cases.path(data_name), "wb") as stream:
            stream.write(payload)
        with open(cases.path(name), "w") as stream:
            stream.write(header_text(fields + [("ElementDataFile", data_name)]))

    for dtype in MET:
        array = random(dtype, (3, 4, 5))
        name = f"type_{dtype}"
        mha(name + ".mha", base(array) + [("BinaryData", "True"), ("ElementSpacing", "0.5 0.75 2"),
                                          ("Offset", "-10 20.5 3")], array.tobytes())
        cases.add(name, name + ".mha", array[..., None], spacing=[2, 0.75, 0.5],
                  offset=[-10, 20.5, 3])
    array = random("int16", (6, 7, 8))
    compressed = zlib.compress(array.tobytes())
    mha("compressed.mha", base(array) + [("CompressedData", "True"),
                                         ("CompressedDataSize", str(len(compressed)))], compressed)
    cases.add("compressed", "compressed.mha", array[..., None])
    mhd("compressed_separate.mhd", base(array) + [("CompressedData", "True")],
        "compressed_separate.zraw", compressed)
    cases.add("compressed_separate", "compressed_separate.mhd", array[..., None])
    for key in ("BinaryDataByteOrderMSB", "ElementByteOrderMSB"):
        for dtype in ("uint16", "int32", "float64"):
            array = random(dtype, (2, 3, 4))
            name = f"msb_{key}_{dtype}"
            mha(name + ".mha", base(array) + [(key, "True")],
                array.astype(np.dtype(dtype).newbyteorder(">")).tobytes())
            cases.add(name, name + ".mha", array[..., None])
    array = random("uint8", (4, 5, 6, 3))
    mha("channels.mha", base(array, 3) + [("ElementSpacing", "1 1 1.5")], array.tobytes())
    cases.add("channels", "channels.mha", array, spacing=[1.5, 1, 1])
    array = random("float32", (5, 6, 7))
    mhd("separate.mhd", base(array) + [("ElementSpacing", "0.3 0.3 1.2")], "separate.raw",
        array.tobytes())
    cases.add("separate", "separate.mhd", array[..., None], spacing=[1.2, 0.3, 0.3])
    mhd("header_size_end.mhd", base(array) + [("HeaderSize", "-1")], "header_size_end.raw",
        b"\x01" * 13 + array.tobytes())
    cases.add("header_size_end", "header_size_end.mhd", array[..., None])
    mhd("header_size.mhd", base(array) + [("HeaderSize", "16")], "header_size.raw",
        b"\x02" * 16 + array.tobytes())
    cases.add("header_size", "header_size.mhd", array[..., None])
    array = random("uint16", (3, 4, 5))
    mha("position.mha", base(array) + [("Position", "1.5 -2 3"), ("ElementSize", "2 2 4")],
        array.tobytes())
    cases.add("position", "position.mha", array[..., None], spacing=[4, 2, 2], offset=[1.5, -2, 3])
    mha("oblique.mha", base(array) + [("TransformMatrix", "0 1 0 -1 0 0 0 0 1"),
                                      ("Offset", "5 6 7"), ("CenterOfRotation", "0 0 0"),
                                      ("AnatomicalOrientation", "RAI"),
                                      ("ElementSpacing", "0.8 0.9 1")], array.tobytes())
    cases.add("oblique", "oblique.mha", array[..., None], spacing=[1, 0.9, 0.8], offset=[5, 6, 7])
    plane = random("float32", (1, 6, 9))
    mha("plane.mha", [("ObjectType", "Image"), ("NDims", "2"), ("DimSize", "9 6"),
                      ("ElementType", "MET_FLOAT"), ("ElementSpacing", "0.25 0.5")], plane.tobytes())
    cases.add("plane", "plane.mha", plane[..., None], spacing=[1, 0.5, 0.25])
    array = random("int16", (2, 3, 4))
    mha("ascii.mha", base(array) + [("BinaryData", "False")],
        " ".join(str(v) for v in array.ravel()).encode())
    cases.add("ascii", "ascii.mha", array[..., None])
    array = random("uint8", (3, 4, 5))
    for z in range(3):
        with open(cases.path(f"slice{z}.raw"), "wb") as stream:
            stream.write(array[z].tobytes())
    with open(cases.path("list.mhd"), "w") as stream:
        stream.write(header_text(base(array) + [("ElementDataFile", "LIST 2")]) +
                     "".join(f"slice{z}.raw\n" for z in range(3)))
    cases.add("list", "list.mhd", array[..., None])
    series = random("uint16", (3, 2, 3, 4))  # (t, z, y, x)
    mha("time.mha", [("ObjectType", "Image"), ("NDims", "4"), ("DimSize", "4 3 2 3"),
                     ("ElementType", "MET_USHORT"), ("ElementSpacing", "1 1 2 0.5")],
        series.tobytes())
    cases.add("time", "time.mha", series[2][..., None], spacing=[2, 1, 1], vtk=False,
              time_point=2, reason="vtkMetaImageReader reads 3D images only")
    cases.add("time_as_channels", "time.mha", np.moveaxis(series, 0, -1), spacing=[2, 1, 1],
              vtk=False, time_as_channels=True, reason="vtkMetaImageReader reads 3D images only")

    with open(cases.path("manifest.json"), "w") as stream:
        json.dump({"cases": cases.cases}, stream, indent=1)
    vtk_count = sum(case["peer"] == "vtk" for case in cases.cases)
    print(f"wrote {len(cases.cases)} cases to {folder} ({vtk_count} checked by vtkMetaImageReader)")


def check(folder):
    with open(os.path.join(folder, "manifest.json")) as stream:
        cases = json.load(stream)["cases"]
    failures, checked = [], 0
    for case in cases:
        expected = np.fromfile(os.path.join(folder, case["values"]), dtype=np.dtype(
            {v: k for k, v in SHORT.items()}[case["dtype"]]).newbyteorder("<"))
        z, y, x, c = case["shape"]
        expected = np.moveaxis(expected.reshape(c, z, y, x), 0, -1)
        for written in case["write"]:
            path = os.path.join(folder, "ours", written["file"])
            label = written["file"]
            if not os.path.exists(path):
                failures.append(f"{label}: not written")
                continue
            read = vtk_read(path)
            checked += 1
            if read is None:
                failures.append(f"{label}: vtkMetaImageReader read nothing")
                continue
            values, spacing, origin = read
            if values.shape != expected.shape or values.dtype != expected.dtype:
                failures.append(f"{label}: VTK reads {values.shape} {values.dtype}, expected "
                                f"{expected.shape} {expected.dtype}")
            elif not np.array_equal(values, expected):
                failures.append(f"{label}: values differ")
            if case["spacing"] is not None and not np.allclose(spacing, case["spacing"], rtol=1e-12):
                failures.append(f"{label}: spacing {spacing}, expected {case['spacing']}")
            # We write ITK's LPS Offset: VTK's origin is the RAS origin with x and y negated.
            if case["origin_ras"] is not None:
                ras = case["origin_ras"]
                if not np.allclose(origin, [-ras[0], -ras[1], ras[2]]):
                    failures.append(f"{label}: origin {origin}, expected LPS of {ras}")
    for failure in failures:
        print("FAIL", failure)
    print(f"vtkMetaImageReader read back {checked} files written by voxscope, "
          f"{len(failures)} failures")
    return 1 if failures or checked < 10 else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "check"):
        sys.exit("usage: make_cases.py make|check FOLDER")
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2]))
