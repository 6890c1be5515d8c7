#!/usr/bin/env python3
"""Conformance cases for the NRRD reader and writer, with VTK's vtkNrrdReader as the peer.

make FOLDER:  writes NRRD files with our own small header writer (pynrrd is not packaged) from
              numpy arrays, reads each with vtkNrrdReader and requires VTK to agree with the
              array (shape, dtype, spacing, origin, every voxel); records the expectations in
              manifest.json for nrrd_conformance_test.cpp. Variants vtkNrrdReader cannot read
              (ascii, detached gzip, line skip, byte skip, a time or list axis last, LAS space, several
              data files) are checked against the numpy-constructed expectation instead, and
              the manifest says so ("peer": "numpy").
check FOLDER: reads the files voxscope's writer produced (ours/) with vtkNrrdReader and
              compares them with the same expectations.
"""
import gzip
import json
import os
import shutil
import sys

import numpy as np
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkIOImage import vtkNrrdReader

SHORT = {"uint8": "u8", "int8": "i8", "uint16": "u16", "int16": "i16", "uint32": "u32",
         "int32": "i32", "float32": "f32", "float64": "f64"}
TO_RAS = {"right-anterior-superior": (1, 1, 1), "RAS": (1, 1, 1),
          "left-posterior-superior": (-1, -1, 1), "LPS": (-1, -1, 1),
          "left-anterior-superior": (-1, 1, 1), "LAS": (-1, 1, 1), None: (1, 1, 1)}


def vtk_read(path):
    """What vtkNrrdReader reads: (z, y, x, c) array, spacing (z, y, x), origin (x, y, z)."""
    reader = vtkNrrdReader()
    reader.SetFileName(path)
    reader.Update()
    image = reader.GetOutput()
    scalars = image.GetPointData().GetScalars()
    if scalars is None:
        return None
    nx, ny, nz = image.GetDimensions()
    values = vtk_to_numpy(scalars).reshape(nz, ny, nx, scalars.GetNumberOfComponents())
    return values, list(image.GetSpacing())[::-1], list(image.GetOrigin())


def write_nrrd(path, fields, payload, data_files=None, list_files=None):
    """Our own NRRD writer: fields in order, then the payload (attached) or separate files."""
    text = "NRRD0004\n# written by make_cases.py\n"
    text += "".join(f"{key}: {value}\n" for key, value in fields)
    if list_files is not None:
        text += "".join(name + "\n" for name in list_files)
    if data_files is None and list_files is None and not any(k == "data file" for k, _ in fields):
        with open(path, "wb") as stream:
            stream.write(text.encode() + b"\n" + payload)
    else:
        with open(path, "w") as stream:
            stream.write(text)


class Cases:
    def __init__(self, folder):
        self.folder = folder
        self.cases = []

    def path(self, name):
        return os.path.join(self.folder, name)

    def add(self, name, file, volume, spacing=None, unit=None, origin_ras=None, vtk=True,
            reason=None, vtk_origin=None, **options):
        """volume: the (z, y, x, c) array voxscope must read; spacing (z, y, x)."""
        volume = np.asarray(volume)
        values = name + ".values"
        np.ascontiguousarray(np.moveaxis(volume, -1, 0)).astype(
            volume.dtype.newbyteorder("<")).tofile(self.path(values))
        case = {"name": name, "file": file, "shape": list(volume.shape),
                "dtype": SHORT[volume.dtype.name], "values": values,
                "spacing": spacing, "origin_ras": origin_ras,
                "peer": "vtk" if vtk else "numpy",
                # Detached gzip is left out: vtkNrrdReader misreads it (see detached_gz).
                "write": [{"file": name + ".nrrd"}, {"file": name + "_detached.nhdr"},
                          {"file": name + "_gz.nrrd", "compression": "gzip"}]}
        if unit is not None:
            case["unit"] = unit
        if reason:
            case["reason"] = reason
        case.update(options)
        if vtk:
            self.check_vtk(case, self.path(file), volume, vtk_origin)
        self.cases.append(case)

    def check_vtk(self, case, path, volume, file_origin):
        read = vtk_read(path)
        if read is None:
            raise SystemExit(f"{case['name']}: vtkNrrdReader read nothing")
        values, spacing, origin = read
        if values.shape != volume.shape or values.dtype != volume.dtype.newbyteorder("="):
            raise SystemExit(f"{case['name']}: VTK reads {values.shape} {values.dtype}, "
                             f"expected {volume.shape} {volume.dtype}")
        if not np.array_equal(values, volume):
            raise SystemExit(f"{case['name']}: VTK reads other values")
        if case["spacing"] is not None and not np.allclose(spacing, case["spacing"], rtol=1e-12):
            raise SystemExit(f"{case['name']}: VTK spacing {spacing}, expected {case['spacing']}")
        # VTK keeps the origin in the file's space; voxscope turns it into RAS.
        if file_origin is not None and not np.allclose(origin, file_origin, rtol=1e-12):
            raise SystemExit(f"{case['name']}: VTK origin {origin}, expected {file_origin}")


def make(folder):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    rng = np.random.default_rng(5)
    cases = Cases(folder)

    def random(dtype, shape):
        if dtype.startswith("float"):
            return rng.normal(0, 100, shape).astype(dtype)
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)

    def scalar_fields(type_name, shape, endian="little", encoding="raw"):
        z, y, x = shape
        return [("type", type_name), ("dimension", "3"), ("sizes", f"{x} {y} {z}"),
                ("endian", endian), ("encoding", encoding)]

    # Every type, under several of its aliases; raw, little-endian.
    aliases = [("uchar", "uint8"), ("unsigned char", "uint8"), ("uint8_t", "uint8"),
               ("signed char", "int8"), ("int8", "int8"), ("short", "int16"),
               ("int16_t", "int16"), ("ushort", "uint16"), ("unsigned short int", "uint16"),
               ("int", "int32"), ("int32", "int32"), ("uint", "uint32"),
               ("unsigned int", "uint32"), ("float", "float32"), ("double", "float64")]
    for alias, dtype in aliases:
        array = random(dtype, (3, 4, 11))
        name = "type_" + alias.replace(" ", "_")
        write_nrrd(cases.path(name + ".nrrd"), scalar_fields(alias, array.shape), array.tobytes())
        cases.add(name, name + ".nrrd", array[..., None])

    # Spacings and units; big-endian; gzip; text.
    array = random("uint16", (5, 6, 12))
    write_nrrd(cases.path("spacings.nrrd"),
               scalar_fields("ushort", array.shape) +
               [("spacings", "0.25 0.5 2"), ("units", '"um" "um" "um"')], array.tobytes())
    cases.add("spacings", "spacings.nrrd", array[..., None], spacing=[2, 0.5, 0.25], unit="µm")
    for dtype in ("int16", "uint32", "float64"):
        array = random(dtype, (3, 5, 13))
        name = f"big_{dtype}"
        write_nrrd(cases.path(name + ".nrrd"),
                   scalar_fields({"float64": "double"}.get(dtype, dtype), array.shape, endian="big"),
                   array.astype(np.dtype(dtype).newbyteorder(">")).tobytes())
        cases.add(name, name + ".nrrd", array[..., None])
    array = random("int16", (6, 7, 14))
    write_nrrd(cases.path("gzip_lps.nrrd"),
               scalar_fields("short", array.shape, encoding="gzip") +
               [("space", "left-posterior-superior"),
                ("space directions", "(0.7,0,0) (0,0.7,0) (0,0,1.5)"),
                ("space origin", "(-90.5,120.25,-60)"), ("space units", '"mm" "mm" "mm"')],
               gzip.compress(array.tobytes()))
    cases.add("gzip_lps", "gzip_lps.nrrd", array[..., None], spacing=[1.5, 0.7, 0.7], unit="mm",
              origin_ras=[90.5, -120.25, -60], vtk_origin=[-90.5, 120.25, -60])
    array = random("float32", (4, 5, 10))
    c, s = np.cos(0.3), np.sin(0.3)
    directions = f"({2 * c!r},{2 * s!r},0) ({-s!r},{c!r},0) (0,0,3)"
    write_nrrd(cases.path("oblique_ras.nrrd"),
               scalar_fields("float", array.shape, encoding="gzip") +
               [("space", "RAS"), ("space directions", directions), ("space origin", "(1,2,3)")],
               gzip.compress(array.tobytes()))
    norm_x = float(np.sqrt((2 * c) ** 2 + (2 * s) ** 2))
    norm_y = float(np.sqrt(s ** 2 + c ** 2))
    cases.add("oblique_ras", "oblique_ras.nrrd", array[..., None], spacing=[3, norm_y, norm_x],
              unit="mm", origin_ras=[1, 2, 3], vtk_origin=[1, 2, 3])
    array = random("int32", (2, 3, 12))
    write_nrrd(cases.path("ascii.nrrd"), scalar_fields("int", array.shape, encoding="ascii"),
               "\n".join(" ".join(str(v) for v in row) for row in array.reshape(-1, 12)).encode())
    cases.add("ascii", "ascii.nrrd", array[..., None], vtk=False,
              reason="vtkNrrdReader 9.1 returns uninitialised values for attached ascii data")

    # Channels: a vector axis first (interleaved), a 2D RGB image.
    array = random("float32", (3, 4, 11, 3))
    write_nrrd(cases.path("vector.nrrd"),
               [("type", "float"), ("dimension", "4"), ("sizes", "3 11 4 3"), ("endian", "little"),
                ("encoding", "raw"), ("kinds", "vector domain domain domain"), ("space", "RAS"),
                ("space directions", "none (1.5,0,0) (0,1.5,0) (0,0,2)")], array.tobytes())
    cases.add("vector", "vector.nrrd", array, spacing=[2, 1.5, 1.5], unit="mm", origin_ras=[0, 0, 0])
    array = random("uint8", (1, 9, 16, 3))
    write_nrrd(cases.path("rgb.nrrd"),
               [("type", "uchar"), ("dimension", "3"), ("sizes", "3 16 9"), ("encoding", "raw"),
                ("kinds", "RGB-color domain domain")], array.tobytes())
    cases.add("rgb", "rgb.nrrd", array)
    # vtkNrrdReader 9.1 misreads gzip uchar vector data with a 4th axis (our writer's form for
    # channels); the gzip round trip of this case is left to our own reader.
    cases.cases[-1]["write"] = cases.cases[-1]["write"][:2]

    # Detached headers: one data file, raw and gzip.
    array = random("uint16", (4, 6, 12))
    with open(cases.path("detached.raw"), "wb") as stream:
        stream.write(array.tobytes())
    write_nrrd(cases.path("detached.nhdr"),
               scalar_fields("ushort", array.shape) + [("data file", "detached.raw")], b"")
    cases.add("detached", "detached.nhdr", array[..., None])
    with open(cases.path("detached_gz.raw.gz"), "wb") as stream:
        stream.write(gzip.compress(array.tobytes()))
    write_nrrd(cases.path("detached_gz.nhdr"),
               scalar_fields("ushort", array.shape, encoding="gzip") +
               [("data file", "detached_gz.raw.gz")], b"")
    cases.add("detached_gz", "detached_gz.nhdr", array[..., None], vtk=False,
              reason="vtkNrrdReader 9.1 skips the first bytes of a detached gzip data file")

    # What vtkNrrdReader cannot read: checked against the numpy arrays themselves.
    array = random("int16", (3, 4, 12))
    write_nrrd(cases.path("line_skip.nrrd"), scalar_fields("short", array.shape) +
               [("line skip", "2")], b"skipped line\nanother\n" + array.tobytes())
    cases.add("line_skip", "line_skip.nrrd", array[..., None], vtk=False,
              reason="vtkNrrdReader: line skip not supported")
    write_nrrd(cases.path("byte_skip.nrrd"), scalar_fields("short", array.shape) +
               [("byte skip", "-1")], b"\0" * 7 + array.tobytes())
    cases.add("byte_skip", "byte_skip.nrrd", array[..., None], vtk=False,
              reason="vtkNrrdReader: byte skip not supported")
    series = random("uint16", (3, 2, 4, 12))  # (t, z, y, x)
    write_nrrd(cases.path("time.nrrd"),
               [("type", "ushort"), ("dimension", "4"), ("sizes", "12 4 2 3"), ("endian", "little"),
                ("encoding", "gzip"), ("kinds", "domain domain domain time")],
               gzip.compress(series.tobytes()))
    cases.add("time", "time.nrrd", series[1][..., None], vtk=False, time_point=1,
              reason="vtkNrrdReader: takes the first axis as components, no time axis")
    cases.add("time_as_channels", "time.nrrd", np.moveaxis(series, 0, -1), vtk=False,
              time_as_channels=True, reason="vtkNrrdReader: no time axis")
    write_nrrd(cases.path("list.nrrd"),
               [("type", "ushort"), ("dimension", "4"), ("sizes", "12 4 2 3"), ("endian", "little"),
                ("encoding", "raw"), ("kinds", "space space space list")], series.tobytes())
    cases.add("list_last", "list.nrrd", np.moveaxis(series, 0, -1), vtk=False,
              reason="vtkNrrdReader: components only as the first axis")
    array = random("uint8", (3, 4, 12))
    write_nrrd(cases.path("las.nrrd"), scalar_fields("uchar", array.shape) +
               [("space", "left-anterior-superior"),
                ("space directions", "(1,0,0) (0,1,0) (0,0,1)"), ("space origin", "(5,6,7)")],
               array.tobytes())
    cases.add("las", "las.nrrd", array[..., None], spacing=[1, 1, 1], unit="mm",
              origin_ras=[-5, 6, 7], vtk=False,
              reason="vtkNrrdReader flips y for LAS spaces (FileLowerLeft)")
    for z in range(array.shape[0]):
        with open(cases.path(f"slice{z:02d}.raw"), "wb") as stream:
            stream.write(array[z].tobytes())
    write_nrrd(cases.path("pattern.nhdr"), scalar_fields("uchar", array.shape) +
               [("data file", "slice%02d.raw 0 2 1 2")], b"")
    cases.add("pattern", "pattern.nhdr", array[..., None], vtk=False,
              reason="vtkNrrdReader: several data files only with its own subdim rule")
    write_nrrd(cases.path("list_files.nhdr"), scalar_fields("uchar", array.shape) +
               [("data file", "LIST")], b"",
               list_files=[f"slice{z:02d}.raw" for z in range(3)])
    cases.add("list_files", "list_files.nhdr", array[..., None], vtk=False,
              reason="vtkNrrdReader: several data files only with its own subdim rule")

    with open(cases.path("manifest.json"), "w") as stream:
        json.dump({"cases": cases.cases}, stream, indent=1)
    vtk_count = sum(case["peer"] == "vtk" for case in cases.cases)
    print(f"wrote {len(cases.cases)} cases to {folder} ({vtk_count} checked by vtkNrrdReader)")


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
                failures.append(f"{label}: vtkNrrdReader read nothing")
                continue
            values, spacing, origin = read
            if values.shape != expected.shape or values.dtype != expected.dtype:
                failures.append(f"{label}: VTK reads {values.shape} {values.dtype}, expected "
                                f"{expected.shape} {expected.dtype}")
            elif not np.array_equal(values, expected):
                failures.append(f"{label}: values differ")
            if case["spacing"] is not None and not np.allclose(spacing, case["spacing"], rtol=1e-12):
                failures.append(f"{label}: spacing {spacing}, expected {case['spacing']}")
            # We write a RAS space, so VTK's origin is the RAS origin.
            if case["origin_ras"] is not None and not np.allclose(origin, case["origin_ras"]):
                failures.append(f"{label}: origin {origin}, expected {case['origin_ras']}")
    for failure in failures:
        print("FAIL", failure)
    print(f"vtkNrrdReader read back {checked} files written by voxscope, {len(failures)} failures")
    return 1 if failures or checked < 10 else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "check"):
        sys.exit("usage: make_cases.py make|check FOLDER")
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2]))
