#!/usr/bin/python3
"""Writes TIFF conformance cases with tifffile (and Pillow where tifffile needs imagecodecs to
compress), lists scikit-image's real TIFF files, and records what tifffile reads from each.

Usage: make_cases.py OUT_DIR

For every case the manifest (OUT_DIR/manifest.json) holds the path voxscope must open, the
time point, and what tifffile reads: the shape as (z, y, x, c), the dtype, the spacing and the
voxels (OUT_DIR/<name>.expected, channel-major c-z-y-x, native byte order).

Spacing is derived from what tifffile reads with the rules docs/formats/tiff.md states:
ImageJ: x, y = 1/XResolution, 1/YResolution (the exact rationals), z = "spacing", unit from
"unit"; OME: PhysicalSize*; plain TIFF: unknown.
"""
import json
import os
import shutil
import sys
from fractions import Fraction

import numpy as np
import tifffile
from PIL import Image

SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data'
OURS = {'uint8': 'u8', 'int8': 'i8', 'uint16': 'u16', 'int16': 'i16', 'uint32': 'u32',
        'int32': 'i32', 'float32': 'f32', 'float64': 'f64'}
MICRO = '\u00b5m'


def normalize_unit(unit):
    unit = unit.strip()
    unit = unit.encode('latin-1', 'backslashreplace').decode('unicode-escape') if '\\u' in unit else unit
    if unit.lower() in ('micron', 'microns', 'um', '\u00b5m', '\u03bcm', 'micrometer', 'micrometre'):
        return MICRO
    return unit


def to_czyx(array, axes, time_point):
    """tifffile's series array to voxscope's (c, z, y, x): T picks the time point, C and S
    become channels (C major), every other leading axis is folded into z."""
    if 'T' in axes:
        index = axes.index('T')
        array = np.take(array, time_point, axis=index)
        axes = axes[:index] + axes[index + 1:]
    channel_axes = [a for a in axes if a in 'CS']
    other = [a for a in axes if a not in 'CSYX']
    order = [axes.index(a) for a in channel_axes + other + ['Y', 'X']]
    array = np.transpose(array, order)
    channels = int(np.prod([array.shape[i] for i in range(len(channel_axes))]))
    planes = int(np.prod(array.shape[len(channel_axes):-2]))
    return array.reshape(channels, planes, array.shape[-2], array.shape[-1])


def rational_spacing(tag, fallback):
    if tag is None:
        return fallback
    numerator, denominator = tag.value
    if numerator == 0 or denominator == 0:
        return fallback
    return denominator / numerator


def expected_spacing(tif):
    page = tif.pages[0]
    if tif.is_ome:
        pixels = tifffile.xml2dict(tif.ome_metadata)['OME']['Image']
        if isinstance(pixels, list):
            pixels = pixels[0]
        pixels = pixels['Pixels']
        sizes, units = [], []
        for axis in 'XYZ':
            value = pixels.get('PhysicalSize' + axis)
            unit = normalize_unit(pixels.get('PhysicalSize' + axis + 'Unit', MICRO))
            sizes.append(float(value) if value is not None and float(value) > 0 else None)
            units.append(unit)
        # Micrometres per unit, or units per micrometre: exact powers of ten, as voxscope.
        per_unit = {'m': 1e6, 'cm': 1e4, 'mm': 1e3, MICRO: 1}
        per_micrometre = {'nm': 1e3, 'pm': 1e6}

        def to_micrometres(value, unit):
            return value * per_unit[unit] if unit in per_unit else value / per_micrometre[unit]

        present = [units[i] for i in range(3) if sizes[i] is not None]
        if not present:
            return None
        unit = present[0]
        if any(u != unit for u in present):
            unit = MICRO
            sizes = [to_micrometres(s, u) if s is not None else None for s, u in zip(sizes, units)]
        x = sizes[0] if sizes[0] is not None else 1.0
        y = sizes[1] if sizes[1] is not None else x
        z = sizes[2] if sizes[2] is not None else 1.0
        return {'zyx': [z, y, x], 'unit': unit}
    if tif.is_imagej:
        meta = tif.imagej_metadata
        unit = normalize_unit(str(meta.get('unit', '')))
        resolution_unit = page.tags.get('ResolutionUnit')
        if not unit and resolution_unit is not None:
            unit = {2: 'inch', 3: 'cm'}.get(int(resolution_unit.value), '')
        if not unit or unit in ('pixel', 'pixels'):
            return None
        x = rational_spacing(page.tags.get('XResolution'), 1.0)
        y = rational_spacing(page.tags.get('YResolution'), x)
        return {'zyx': [float(meta.get('spacing', 1.0)), y, x], 'unit': unit}
    return None


class Cases:
    def __init__(self, folder):
        self.folder = folder
        self.cases = []
        self.notes = []

    def path(self, name):
        return os.path.join(self.folder, name)

    def add(self, name, path, time_point=0):
        """Records what tifffile reads from `path` (a file)."""
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            data = to_czyx(series.asarray(), series.axes, time_point)
            spacing = expected_spacing(tif)
        self.record(name, path, data, spacing, time_point)

    def record(self, name, path, czyx, spacing, time_point=0):
        czyx = np.ascontiguousarray(czyx)
        dtype = czyx.dtype.newbyteorder('=')
        czyx.astype(dtype).tofile(self.path(name + '.expected'))
        channels, planes, height, width = czyx.shape
        self.cases.append({
            'name': name, 'path': path, 'time_point': time_point,
            'shape': [planes, height, width, channels], 'dtype': OURS[dtype.name],
            'spacing': spacing, 'expected': name + '.expected'})

    def write(self):
        with open(self.path('manifest.json'), 'w') as file:
            json.dump({'cases': self.cases, 'notes': self.notes}, file, indent=1)


def pattern(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == 'f':
        return (rng.standard_normal(shape) * 100).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


def main():
    folder = sys.argv[1]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    cases = Cases(folder)

    # Real files shipped by Debian's python3-skimage.
    for name in ('multipage.tif', 'multipage_rgb.tif', 'chessboard_GRAY_U16B.tif',
                 '_blobs_3d_fiji_skeleton.tif', 'chessboard_GRAY_U16.tif'):
        cases.add('skimage_' + name.replace('.tif', ''), os.path.join(SKIMAGE_DATA, name))

    # ImageJ hyperstacks: T=3, Z=5, C=2 with calibration; chosen time points.
    hyper = pattern((3, 5, 2, 24, 20), 'uint16', 1)
    tifffile.imwrite(cases.path('imagej_hyperstack.tif'), hyper, imagej=True,
                     resolution=(1 / 0.25, 1 / 0.3),
                     metadata={'spacing': 1.5, 'unit': 'um', 'axes': 'TZCYX'})
    for t in (0, 2):
        cases.add(f'imagej_hyperstack_t{t}', cases.path('imagej_hyperstack.tif'), t)
    tifffile.imwrite(cases.path('imagej_u8.tif'), pattern((7, 16, 18), 'uint8', 2), imagej=True,
                     resolution=(3.0, 3.0), metadata={'spacing': 0.75, 'unit': 'micron'})
    cases.add('imagej_u8', cases.path('imagej_u8.tif'))
    tifffile.imwrite(cases.path('imagej_f32_channels.tif'), pattern((3, 4, 12, 9), 'float32', 3),
                     imagej=True, resolution=(1 / 0.1625, 1 / 0.1625),
                     metadata={'spacing': 2.0, 'unit': 'mm', 'axes': 'ZCYX'})
    cases.add('imagej_f32_channels', cases.path('imagej_f32_channels.tif'))
    tifffile.imwrite(cases.path('imagej_rgb.tif'), pattern((4, 10, 11, 3), 'uint8', 4),
                     imagej=True, photometric='rgb')
    cases.add('imagej_rgb', cases.path('imagej_rgb.tif'))
    tifffile.imwrite(cases.path('imagej_z_u8.tif'), pattern((6, 13, 11), 'uint8', 8), imagej=True,
                     resolution=(2.5, 2.5), metadata={'axes': 'ZYX', 'unit': '\\u00B5m'})
    cases.add('imagej_z_u8', cases.path('imagej_z_u8.tif'))
    tifffile.imwrite(cases.path('imagej_rgb_z.tif'), pattern((4, 10, 11, 3), 'uint8', 9),
                     imagej=True, photometric='rgb', metadata={'axes': 'ZYXS'})
    cases.add('imagej_rgb_z', cases.path('imagej_rgb_z.tif'))

    # OME-TIFF with several channels, and 5D with a time point and mixed units.
    ome = pattern((3, 4, 16, 15), 'uint16', 5)
    tifffile.imwrite(cases.path('ome_channels.ome.tif'), ome, ome=True,
                     metadata={'axes': 'CZYX', 'PhysicalSizeX': 0.2, 'PhysicalSizeY': 0.25,
                               'PhysicalSizeZ': 1.5, 'Channel': {'Name': ['DAPI', 'GFP', 'RFP']}})
    cases.add('ome_channels', cases.path('ome_channels.ome.tif'))
    ome5d = pattern((2, 3, 2, 10, 12), 'float32', 6)
    tifffile.imwrite(cases.path('ome_5d.ome.tif'), ome5d, ome=True,
                     metadata={'axes': 'TZCYX', 'PhysicalSizeX': 500, 'PhysicalSizeXUnit': 'nm',
                               'PhysicalSizeY': 500, 'PhysicalSizeYUnit': 'nm',
                               'PhysicalSizeZ': 0.002, 'PhysicalSizeZUnit': 'mm'})
    for t in (0, 1):
        cases.add(f'ome_5d_t{t}', cases.path('ome_5d.ome.tif'), t)
    tifffile.imwrite(cases.path('ome_rgb.ome.tif'), pattern((3, 12, 10, 3), 'uint8', 7), ome=True,
                     photometric='rgb', metadata={'axes': 'ZYXS'})
    cases.add('ome_rgb', cases.path('ome_rgb.ome.tif'))

    # Every dtype, both byte orders; BigTIFF; tiles; planar separate RGB.
    for index, dtype in enumerate(OURS):
        for order in '<>':
            name = f'dtype_{dtype}_{"le" if order == "<" else "be"}'
            tifffile.imwrite(cases.path(name + '.tif'), pattern((3, 9, 7), dtype, 10 + index),
                             byteorder=order, photometric='minisblack')
            cases.add(name, cases.path(name + '.tif'))
    tifffile.imwrite(cases.path('bigtiff.tif'), pattern((5, 20, 30), 'int16', 20), bigtiff=True,
                     photometric='minisblack')
    cases.add('bigtiff', cases.path('bigtiff.tif'))
    tifffile.imwrite(cases.path('tiled.tif'), pattern((4, 50, 37), 'uint16', 21), tile=(16, 16),
                     photometric='minisblack')
    cases.add('tiled', cases.path('tiled.tif'))
    tifffile.imwrite(cases.path('tiled_rgb_deflate.tif'), pattern((2, 40, 33, 3), 'uint8', 22),
                     tile=(16, 32), photometric='rgb', compression='zlib')
    cases.add('tiled_rgb_deflate', cases.path('tiled_rgb_deflate.tif'))
    tifffile.imwrite(cases.path('rgb_contig.tif'), pattern((3, 14, 12, 3), 'uint16', 23),
                     photometric='rgb')
    cases.add('rgb_contig', cases.path('rgb_contig.tif'))
    tifffile.imwrite(cases.path('rgb_separate.tif'), pattern((3, 3, 14, 12), 'uint8', 24),
                     photometric='rgb', planarconfig='separate')
    cases.add('rgb_separate', cases.path('rgb_separate.tif'))
    tifffile.imwrite(cases.path('strips.tif'), pattern((3, 33, 21), 'float32', 25),
                     rowsperstrip=5, photometric='minisblack')
    cases.add('strips', cases.path('strips.tif'))

    # Compression: tifffile writes zlib/deflate itself (with and without predictor); LZW and
    # PackBits need imagecodecs there, so Pillow (libtiff) writes those, tifffile reads them.
    tifffile.imwrite(cases.path('deflate.tif'), pattern((4, 30, 25), 'uint16', 30),
                     compression='zlib', photometric='minisblack')
    cases.add('deflate', cases.path('deflate.tif'))
    tifffile.imwrite(cases.path('adobe_deflate_predictor.tif'), pattern((4, 30, 25), 'int32', 31),
                     compression='adobe_deflate', predictor=True, photometric='minisblack')
    cases.add('adobe_deflate_predictor', cases.path('adobe_deflate_predictor.tif'))
    tifffile.imwrite(cases.path('deflate_be_f32.tif'), pattern((3, 17, 19), 'float32', 32),
                     compression='zlib', byteorder='>', photometric='minisblack')
    cases.add('deflate_be_f32', cases.path('deflate_be_f32.tif'))
    for codec, pillow in (('lzw', 'tiff_lzw'), ('packbits', 'packbits'), ('zstd', 'tiff_zstd')):
        frames = [Image.fromarray(plane) for plane in pattern((3, 21, 17), 'uint8', 33)]
        path = cases.path(f'pillow_{codec}.tif')
        try:
            frames[0].save(path, save_all=True, append_images=frames[1:], compression=pillow)
            cases.add(f'pillow_{codec}', path)
        except Exception as error:  # no peer can read it back (tifffile needs imagecodecs)
            cases.notes.append(f'{codec}: skipped ({type(error).__name__}: {error})')

    # Folders of 2D slices named z1.tif..z12.tif (natural order), and RGB slices.
    os.makedirs(cases.path('slices'))
    slices = pattern((12, 15, 13), 'uint16', 40)
    for z in range(12):
        tifffile.imwrite(cases.path(f'slices/z{z + 1}.tif'), slices[z])
    cases.record('slices_folder', cases.path('slices'),
                 np.stack([tifffile.imread(cases.path(f'slices/z{z + 1}.tif')) for z in range(12)])[None],
                 None)
    cases.record('slices_glob', cases.path('slices/z*.tif'), slices[None], None)
    os.makedirs(cases.path('rgb_slices'))
    rgb = pattern((5, 9, 8, 3), 'uint8', 41)
    for z in range(5):
        tifffile.imwrite(cases.path(f'rgb_slices/slice_{z + 1}.tif'), rgb[z], photometric='rgb')
    read = np.stack([tifffile.imread(cases.path(f'rgb_slices/slice_{z + 1}.tif')) for z in range(5)])
    cases.record('rgb_slices', cases.path('rgb_slices'), np.moveaxis(read, -1, 0), None)

    cases.write()
    print(f'{len(cases.cases)} cases in {folder}; notes: {cases.notes}')


if __name__ == '__main__':
    main()
