"""`voxscope points` beside the slice-stack tutorial's shell, built with OpenCV.

The tutorial thresholds every 2D slice with cv2.inRange, keeps the pixels on the contours
cv2.findContours traces (RETR_TREE, CHAIN_APPROX_NONE), adds the pixels whose neighbour in the
previous or next slice is outside the mask, scales x and y by xy_scale and z by the slice
thickness, and removes duplicates with numpy.unique. The reference below does exactly that
(without the ASCII writer and the imshow calls), with depth = index * thickness (the tutorial
accumulates depth += thickness; after rounding to float32 both give the same values, checked
for 1024 planes of 0.1, 0.2, 0.3 and 0.7).

Cases, on a folder of 2D TIFF slices of smooth random blobs with dark "tumours" (and on a
NIfTI file for the physical default):
- explicit thickness and xy scale 1, and xy scale 0.5, binary and ASCII PLY: the points are
  EQUAL (same float32 values, same order);
- the physical default (spacing from the file): equal, x and y scaled by their own spacing;
- --resize: voxscope resamples in double precision and rounds, cv2.resize on u8 uses 11-bit
  fixed-point weights, so a few resampled values on the threshold (100/101) may differ by one
  and move a pixel in or out of the mask. The point counts must agree within 1% and at least
  97% of the points must be shared.
"""
import os
import subprocess
import sys
import tempfile

import cv2
import nibabel
import numpy as np
import tifffile
from scipy import ndimage

VOXSCOPE = sys.argv[1]
LOW, HIGH = 0, 100

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL", message)


def make_volume(seed=5, shape=(24, 64, 80)):
    rng = np.random.default_rng(seed)
    smooth = ndimage.gaussian_filter(rng.random(shape), sigma=(1.5, 3, 3))
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    volume = (120 + 135 * smooth).astype(np.float64)
    # Dark ellipsoids ("tumours"), some cut by the volume's faces, one with a bright core.
    z, y, x = np.indices(shape)
    for cz, cy, cx, rz, ry, rx in [(8, 20, 25, 6, 12, 14), (20, 45, 60, 7, 15, 18),
                                   (0, 60, 5, 5, 10, 10), (12, 32, 79, 4, 9, 9)]:
        inside = ((z - cz) / rz) ** 2 + ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1
        volume[inside] = 40 + 80 * smooth[inside]  # 40..120: partly above HIGH, ragged edges
    core = ((z - 8) / 2) ** 2 + ((y - 20) / 4) ** 2 + ((x - 25) / 4) ** 2 <= 1
    volume[core] = 200
    return np.clip(np.rint(volume), 0, 255).astype(np.uint8)


def tutorial_points(images, slice_thickness, scale_x, scale_y, resize=None):
    """The tutorial's main(), vectorised where it appended point by point."""
    if resize is not None:
        images = [cv2.resize(image, resize) for image in images]  # resize is (width, height)
    blank_mask = np.zeros_like(images[0], np.uint8)
    masks = [blank_mask] + [cv2.inRange(image, LOW, HIGH) for image in images] + [blank_mask]
    points = []
    for index in range(1, len(masks) - 1):
        depth = (index - 1) * slice_thickness
        prev, curr, after = masks[index - 1], masks[index], masks[index + 1]
        for other in (prev, after):
            exposed = np.zeros_like(curr)
            exposed[other == 0] = curr[other == 0]
            ys, xs = np.where(exposed == 255)
            points += [[x, y, depth] for x, y in zip(xs, ys)]
        contours = cv2.findContours(curr.copy(), cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE)[-2]
        for contour in contours:
            points += [[p[0][0], p[0][1], depth] for p in contour]
    points = np.array(points, dtype=np.float64)
    points[:, 0] *= scale_x
    points[:, 1] *= scale_y
    points = points.astype(np.float32)
    return np.unique(points.reshape(-1, points.shape[-1]), axis=0)


def read_ply(path):
    with open(path, "rb") as file:
        header = []
        while True:
            line = file.readline().decode("ascii").strip()
            header.append(line)
            if line == "end_header":
                break
        count = next(int(line.split()[2]) for line in header if line.startswith("element vertex"))
        properties = [line.split()[1:] for line in header if line.startswith("property")]
        if properties != [["float", "x"], ["float", "y"], ["float", "z"]]:
            raise SystemExit(f"{path}: unexpected PLY properties {properties}")
        if "format ascii 1.0" in header:
            data = np.loadtxt(file, dtype=np.float32, ndmin=2).reshape(-1, 3)
        elif "format binary_little_endian 1.0" in header:
            data = np.frombuffer(file.read(), dtype="<f4").reshape(-1, 3)
        else:
            raise SystemExit(f"{path}: unexpected PLY format in {header}")
    if len(data) != count:
        raise SystemExit(f"{path}: header says {count} vertices, found {len(data)}")
    return data


def run_points(source, out, args):
    result = subprocess.run([VOXSCOPE, "--quiet", "points", source, "-o", out] + args,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"voxscope points {source} {args} failed: {result.stderr}")
    return result.stdout, read_ply(out)


def compare_equal(name, got, expected):
    check(got.shape == expected.shape, f"{name}: {len(got)} points, expected {len(expected)}")
    if got.shape == expected.shape:
        check(np.array_equal(got, expected), f"{name}: points differ from the reference "
              f"(first difference at row {np.argmax(np.any(got != expected, axis=1))})")
    print(f"{name}: {len(got)} points, equal to the tutorial: {np.array_equal(got, expected)}")


def main():
    volume = make_volume()
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "slices")
        os.mkdir(folder)
        for index, plane in enumerate(volume):
            tifffile.imwrite(os.path.join(folder, f"slice_{index:03d}.tif"), plane)
        images = [cv2.imread(os.path.join(folder, name), cv2.IMREAD_GRAYSCALE)
                  for name in sorted(os.listdir(folder))]
        out = os.path.join(tmp, "out.ply")
        check(np.array_equal(np.stack(images), volume), "cv2.imread changed the slices")

        stdout, got = run_points(folder, out, ["--range", "0:100", "--slice-thickness", "0.2",
                                               "--xy-scale", "1"])
        expected = tutorial_points(images, 0.2, 1.0, 1.0)
        compare_equal("thickness 0.2, xy scale 1", got, expected)
        check(stdout.startswith(f"wrote {len(expected)} points to {out}\n"),
              f"unexpected output: {stdout!r}")

        _, got = run_points(folder, out, ["--range", "0:100", "--slice-thickness", "0.2",
                                          "--xy-scale", "0.5", "--ascii"])
        compare_equal("xy scale 0.5, ASCII", got, tutorial_points(images, 0.2, 0.5, 0.5))

        # The physical default: spacing (z, y, x) = (1.5, 0.5, 0.25) mm from a NIfTI header.
        nifti = os.path.join(tmp, "volume.nii")
        image = nibabel.Nifti1Image(volume.transpose(2, 1, 0), np.diag([0.25, 0.5, 1.5, 1.0]))
        image.header.set_xyzt_units("mm")
        nibabel.save(image, nifti)
        stdout, got = run_points(nifti, out, ["--range", "0:100"])
        compare_equal("physical default", got, tutorial_points(images, 1.5, 0.25, 0.5))
        check(stdout.rstrip().endswith(" mm"), f"no unit in the bounds: {stdout!r}")

        # --resize ROWSxCOLUMNS, the default scale is spacing * old / new (here 2 and 2).
        _, got = run_points(folder, out, ["--range", "0:100", "--resize", "32x40",
                                          "--slice-thickness", "0.2"])
        expected = tutorial_points(images, 0.2, 2.0, 2.0, resize=(40, 32))
        shared = len(set(map(tuple, got)) & set(map(tuple, expected)))
        relative = abs(len(got) - len(expected)) / len(expected)
        check(relative <= 0.01, f"resize: {len(got)} points, cv2 gives {len(expected)}")
        check(shared >= 0.97 * max(len(got), len(expected)),
              f"resize: only {shared} of {len(expected)} points shared")
        check(np.all(got[:-1, 0] <= got[1:, 0]), "resize: points not sorted by x")
        print(f"resize 32x40: {len(got)} points, cv2.resize gives {len(expected)}, "
              f"{shared} shared")

        result = subprocess.run([VOXSCOPE, "points", folder, "-o", os.path.join(tmp, "out.stl"),
                                 "--range", "0:100"], capture_output=True, text=True)
        check(result.returncode != 0 and "STL holds triangles" in result.stderr,
              f"an STL output was not refused: {result.stderr!r}")

    if failures:
        raise SystemExit(f"{len(failures)} check(s) failed")
    print("shell points: all cases agree with the tutorial")


if __name__ == "__main__":
    main()
