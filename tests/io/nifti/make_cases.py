#!/usr/bin/env python3
"""Conformance cases for the NIfTI/Analyze reader, with nibabel 5.0 as the peer.

Usage: make_cases.py OUT_FOLDER

Lists the real files nibabel ships (tests/data) and writes files with nibabel (scaled,
big-endian, every dtype, 4D, 5D vectors, NIfTI-2, pairs, Analyze pairs inside a zip, gzipped
pairs). For each case, manifest.json holds what nibabel reads: shape, dtype, zooms, affine and
the voxels as raw little-endian bytes in voxscope's layout (channel, z, y, x; x fastest), i.e.
numpy's np.asanyarray(img.dataobj) transposed. Cases with "error" expect that exact message.
"""
import gzip
import json
import os
import shutil
import sys
import zipfile

import nibabel as nib
import numpy as np

DATA = os.path.join(os.path.dirname(nib.__file__), "tests", "data")


def layout(img, time_point=0, time_as_channels=False, canonical=False):
    """What voxscope must read: (array in (c, z, y, x) order, zooms, affine)."""
    if canonical:
        img = nib.as_closest_canonical(img)
    arr = np.asanyarray(img.dataobj)
    if arr.dtype.names:  # RGB24 (3D): three u8 channels
        arr = np.stack([arr[name] for name in arr.dtype.names], axis=-1)
    else:
        while arr.ndim < 3:
            arr = arr[..., np.newaxis]
        x, y, z = arr.shape[:3]
        t = arr.shape[3] if arr.ndim > 3 else 1
        c = int(np.prod(arr.shape[4:]))
        # File order: t fastest after z, then the 5th-dimension components.
        arr = arr.reshape((x, y, z, t, c), order="F")
        if time_as_channels:
            arr = arr.reshape((x, y, z, t * c), order="F")
        else:
            arr = arr[:, :, :, time_point, :]
    if scaled(img):
        # nibabel's two scaled readings agree (float64 throughout).
        assert np.array_equal(np.asanyarray(img.dataobj), img.get_fdata(), equal_nan=True)
    zooms = [float(v) for v in img.header.get_zooms()[:3]]
    zooms += [1.0] * (3 - len(zooms))
    volume = np.ascontiguousarray(arr.transpose(3, 2, 1, 0))
    return volume, zooms, img.affine


def patch_header(path, **fields):
    """Sets SPM2 Analyze fields in a written header (nibabel would also write a .mat file)."""
    with open(path, "rb") as f:
        block = f.read(348)
    header = nib.Spm2AnalyzeHeader(block, check=False)
    for key, value in fields.items():
        header[key] = value
    with open(path, "r+b") as f:
        f.write(header.binaryblock)


def patch_nifti(path, klass=nib.Nifti1Header, qform=None, sform=None, **fields):
    """Sets header fields in a written .nii/.hdr: nibabel's save recomputes scaling and xforms."""
    size = klass.template_dtype.itemsize
    with open(path, "rb") as f:
        block = f.read(size)
    header = klass(block, check=False)
    if qform is not None:
        header.set_qform(*qform)
    if sform is not None:
        header.set_sform(*sform)
    for key, value in fields.items():
        header[key] = value
    with open(path, "r+b") as f:
        f.write(header.binaryblock)


def gzip_file(path):
    with open(path, "rb") as plain, gzip.open(path + ".gz", "wb") as packed:
        packed.write(plain.read())
    os.remove(path)
    return path + ".gz"


def scaled(img):
    proxy = img.dataobj
    return hasattr(proxy, "slope") and (proxy.slope, proxy.inter) != (1.0, 0.0)


class Cases:
    def __init__(self, out):
        self.out = out
        self.cases = []

    def add(self, name, path, img=None, error=None, **options):
        case = {"name": name, "path": path, "options": options}
        if error is not None:
            case["error"] = error
        else:
            img = img if img is not None else nib.load(path)
            volume, zooms, affine = layout(img, **options)
            raw = f"{name}.raw"
            volume.astype(volume.dtype.newbyteorder("<")).tofile(os.path.join(self.out, raw))
            case.update(
                shape=list(volume.shape[1:]) + [volume.shape[0]],
                dtype=volume.dtype.name,
                spacing_zyx=zooms[::-1],
                affine=[float(v) for v in np.asarray(affine, dtype=np.float64).ravel()],
                raw=raw,
            )
        self.cases.append(case)

    def path(self, name):
        return os.path.join(self.out, name)


def main():
    out = sys.argv[1]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    cases = Cases(out)
    rng = np.random.default_rng(20240607)

    # Real files shipped with python3-nibabel.
    for name in ["anatomical.nii", "functional.nii", "example4d.nii.gz",
                 "example_nifti2.nii.gz", "standard.nii.gz"]:
        path = os.path.join(DATA, name)
        key = name.split(".")[0]
        cases.add(f"real_{key}", path)
        cases.add(f"real_{key}_canonical", path, canonical=True)
    functional = os.path.join(DATA, "functional.nii")
    cases.add("real_functional_t19", functional, time_point=19)
    cases.add("real_functional_channels", functional, time_as_channels=True)
    cases.add("real_example4d_t1", os.path.join(DATA, "example4d.nii.gz"), time_point=1)
    cases.add("real_example4d_channels_canonical", os.path.join(DATA, "example4d.nii.gz"),
              time_as_channels=True, canonical=True)
    # analyze.hdr ships without its .img: it is only listed, not read.

    shape = (7, 5, 4)
    oblique = np.array([[-1.9, 0.2, 0.1, 90.5], [0.3, 2.1, -0.4, -120.25],
                        [0.05, 0.5, 2.9, -60.0], [0, 0, 0, 1]])
    permuted = np.array([[0, 0, -2.5, 10], [1.5, 0, 0, -20], [0, 3.0, 0, 5], [0, 0, 0, 1]])

    def data(dtype, shape=shape):
        info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
        if info is None:
            return rng.normal(0, 1000, size=shape).astype(dtype)
        return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)

    def nifti(arr, affine=oblique, endian="<", klass=nib.Nifti1Image, dtype=None):
        header = klass.header_class(endianness=endian)
        img = klass(arr, affine, header, dtype=dtype or arr.dtype)
        img.header.set_xyzt_units("mm", "sec")
        return img

    # Every dtype, in both byte orders.
    for dtype in ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"]:
        for endian, tag in [("<", "le"), (">", "be")]:
            name = f"dtype_{dtype}_{tag}.nii"
            nib.save(nifti(data(dtype), endian=endian), cases.path(name))
            cases.add(f"dtype_{dtype}_{tag}", cases.path(name))

    # Scaled data (scl_slope/scl_inter), little- and big-endian, several raw types.
    for dtype, slope, inter in [("int16", 0.5, -10.0), ("uint8", 0.1, 3.0),
                                ("int32", 1.5, 0.0), ("float32", 2.0, 1.0),
                                ("uint16", 1.0, 1000.25), ("int8", -3.0, 0.0)]:
        for endian, tag in [("<", "le"), (">", "be")]:
            name = f"scaled_{dtype}_{tag}.nii"
            nib.save(nifti(data(dtype), endian=endian), cases.path(name))
            patch_nifti(cases.path(name), scl_slope=slope, scl_inter=inter)
            cases.add(f"scaled_{dtype}_{tag}", cases.path(name))

    # RGB24.
    rgb = np.zeros(shape, dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    for channel in "RGB":
        rgb[channel] = data("uint8")
    nib.save(nib.Nifti1Image(rgb, oblique), cases.path("rgb.nii"))
    cases.add("rgb", cases.path("rgb.nii"))

    # 4D and 5D vectors, gzipped and big-endian; time points and channels.
    four = data("int16", shape + (3,))
    nib.save(nifti(four, endian=">"), cases.path("four_be.nii.gz"))
    for t in range(3):
        cases.add(f"four_be_t{t}", cases.path("four_be.nii.gz"), time_point=t)
    cases.add("four_be_channels", cases.path("four_be.nii.gz"), time_as_channels=True)
    vector = nifti(data("float32", shape + (1, 3)))
    vector.header.set_intent("vector")
    nib.save(vector, cases.path("vector.nii"))
    cases.add("vector", cases.path("vector.nii"))
    both = nifti(data("uint16", shape + (2, 3)))
    nib.save(both, cases.path("time_vector.nii"))
    cases.add("time_vector_t1", cases.path("time_vector.nii"), time_point=1)
    cases.add("time_vector_channels", cases.path("time_vector.nii"), time_as_channels=True)
    cases.add("time_point_out_of_range", cases.path("four_be.nii.gz"), time_point=3,
              error=f"'{cases.path('four_be.nii.gz')}': time point 3 is out of range: "
                    "the file has 3 (0 to 2)")
    two_d = nifti(data("int16", (6, 9)))
    nib.save(two_d, cases.path("two_d.nii"))
    cases.add("two_d", cases.path("two_d.nii"))

    # NIfTI-2, both byte orders, single file and pair.
    for endian, tag in [("<", "le"), (">", "be")]:
        img = nifti(data("float64", shape + (2,)), endian=endian, klass=nib.Nifti2Image)
        img.header.set_slope_inter(None, None)
        nib.save(img, cases.path(f"nifti2_{tag}.nii"))
        cases.add(f"nifti2_{tag}", cases.path(f"nifti2_{tag}.nii"), time_point=1)
        cases.add(f"nifti2_{tag}_canonical", cases.path(f"nifti2_{tag}.nii"), canonical=True)
    pair2 = nib.Nifti2Pair(data("int32"), permuted)
    nib.save(pair2, cases.path("pair2.hdr"))
    cases.add("nifti2_pair", cases.path("pair2.hdr"))

    # Affine choices: qform only (oblique, qfac -1), no codes (pixdim diagonal), permuted axes.
    flip_z = oblique.copy()
    flip_z[:3, 2] *= -1
    nib.save(nifti(data("int16")), cases.path("qform_only.nii"))
    patch_nifti(cases.path("qform_only.nii"), qform=(flip_z, 1), sform=(None, 0))
    cases.add("qform_only", cases.path("qform_only.nii"))
    cases.add("qform_only_canonical", cases.path("qform_only.nii"), canonical=True)
    nib.save(nifti(data("uint8")), cases.path("no_codes.nii"))
    patch_nifti(cases.path("no_codes.nii"), qform_code=0, sform_code=0)
    cases.add("no_codes", cases.path("no_codes.nii"))
    cases.add("no_codes_canonical", cases.path("no_codes.nii"), canonical=True)
    nib.save(nifti(data("int16"), affine=permuted), cases.path("permuted.nii"))
    patch_nifti(cases.path("permuted.nii"), scl_slope=0.25, scl_inter=100)
    permuted_gz = gzip_file(cases.path("permuted.nii"))
    cases.add("permuted", permuted_gz)
    cases.add("permuted_canonical", permuted_gz, canonical=True)

    # NIfTI-1 pair (ni1), plain and gzipped, opened by header and by image.
    pair = nifti(data("int16"), klass=nib.Nifti1Pair, endian=">")
    nib.save(pair, cases.path("pair.hdr"))
    cases.add("pair", cases.path("pair.hdr"))
    cases.add("pair_by_image", cases.path("pair.img"), img=nib.load(cases.path("pair.hdr")))

    # Analyze 7.5 (nib.load reads them as SPM2 Analyze): both byte orders, SPM origin, scaling.
    analyze = nib.AnalyzeImage(data("int16"), np.diag([2.0, 3.0, 1.5, 1]))
    nib.save(analyze, cases.path("analyze.hdr"))
    cases.add("analyze", cases.path("analyze.hdr"))
    cases.add("analyze_canonical", cases.path("analyze.hdr"), canonical=True)
    cases.add("analyze_by_image", cases.path("analyze.img"),
              img=nib.load(cases.path("analyze.hdr")))
    spm = nib.AnalyzeImage(data("uint8"), np.diag([1.0, 2.0, 4.0, 1]),
                           nib.AnalyzeHeader(endianness=">"))
    nib.save(spm, cases.path("spm_be.hdr"))
    patch_header(cases.path("spm_be.hdr"), origin=[3, 2, 2, 0, 0], scl_slope=0.5, scl_inter=7.0)
    cases.add("spm_be", cases.path("spm_be.hdr"))
    cal = nib.AnalyzeImage(data("uint8"), np.eye(4))
    nib.save(cal, cases.path("spm_cal.hdr"))
    patch_header(cases.path("spm_cal.hdr"), glmax=200, glmin=10, cal_max=0.8, cal_min=0.2,
                 scl_slope=0.0, origin=[100, 1, 1, 0, 0])
    cases.add("spm_cal", cases.path("spm_cal.hdr"))

    # Gzipped pair: .hdr.gz + .img.gz.
    for ext in ["hdr", "img"]:
        with open(cases.path(f"analyze.{ext}"), "rb") as plain, \
                gzip.open(cases.path(f"zipped.{ext}.gz"), "wb") as packed:
            packed.write(plain.read())
    cases.add("analyze_gz", cases.path("zipped.hdr.gz"), img=nib.load(cases.path("analyze.hdr")))

    # Pairs inside a zip archive, read as archive.zip::folder/name.hdr (seed tutorial).
    archive = cases.path("pairs.zip")
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for ext in ["hdr", "img"]:
            bundle.write(cases.path(f"spm_be.{ext}"), f"scans/brain.{ext}")
            bundle.write(cases.path(f"pair.{ext}"), f"scans/nifti_pair.{ext}")
            bundle.write(cases.path(f"zipped.{ext}.gz"), f"scans/zipped.{ext}.gz")
    cases.add("zip_analyze", f"{archive}::scans/brain.hdr",
              img=nib.load(cases.path("spm_be.hdr")))
    cases.add("zip_analyze_canonical", f"{archive}::scans/brain.hdr",
              img=nib.load(cases.path("spm_be.hdr")), canonical=True)
    cases.add("zip_nifti_pair", f"{archive}::scans/nifti_pair.hdr",
              img=nib.load(cases.path("pair.hdr")))
    cases.add("zip_gz_pair", f"{archive}::scans/zipped.hdr.gz",
              img=nib.load(cases.path("analyze.hdr")))

    # Unsupported data types are refused by name.
    nib.save(nib.Nifti1Image(data("int64"), oblique, dtype=np.int64), cases.path("int64.nii"))
    cases.add("int64", cases.path("int64.nii"),
              error=f"'{cases.path('int64.nii')}': datatype 1024 (int64) is not supported "
                    "(supported: uint8, int8, uint16, int16, uint32, int32, float32, float64, "
                    "RGB24)")
    complex_img = nib.Nifti1Image(data("float32").astype(np.complex64), oblique)
    nib.save(complex_img, cases.path("complex.nii"))
    cases.add("complex64", cases.path("complex.nii"),
              error=f"'{cases.path('complex.nii')}': datatype 32 (complex64) is not supported "
                    "(supported: uint8, int8, uint16, int16, uint32, int32, float32, float64, "
                    "RGB24)")

    with open(os.path.join(out, "manifest.json"), "w") as manifest:
        json.dump({"peer": f"nibabel {nib.__version__}", "cases": cases.cases}, manifest,
                  indent=1)
    print(f"{len(cases.cases)} cases written to {out}")


if __name__ == "__main__":
    main()
