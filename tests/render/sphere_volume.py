"""The anisotropic test sphere shared by the figure and render end-to-end tests: a sphere of
RADIUS mm sampled at SPACING_ZYX (2 x 1 x 0.5 mm along z, y, x), written as NIfTI."""
import nibabel
import numpy as np

RADIUS = 20.0        # physical units (mm)
SPACING_ZYX = (2.0, 1.0, 0.5)


def sphere_distance():
    """Each voxel centre's physical distance from the volume's centre, (z, y, x) order."""
    shape = tuple(int(round(2.6 * RADIUS / s)) | 1 for s in SPACING_ZYX)
    centre = [(n - 1) / 2 for n in shape]
    z, y, x = np.indices(shape, dtype=float)
    return np.sqrt(((z - centre[0]) * SPACING_ZYX[0]) ** 2 +
                   ((y - centre[1]) * SPACING_ZYX[1]) ** 2 +
                   ((x - centre[2]) * SPACING_ZYX[2]) ** 2)


def write_nifti(volume, path):
    """Writes a (z, y, x) array with the sphere's spacing in mm."""
    image = nibabel.Nifti1Image(volume.transpose(2, 1, 0),
                                np.diag([SPACING_ZYX[2], SPACING_ZYX[1], SPACING_ZYX[0], 1.0]))
    image.header.set_xyzt_units("mm")
    nibabel.save(image, path)
