#!/usr/bin/python3
"""Reads the files voxscope's TIFF writers wrote (tiff_conformance_test WritesForTifffile)
with tifffile and checks data, shape, dtype, spacing (ImageJ metadata and resolution, or
OME-XML) and OME channel names against what voxscope wrote.

Usage: check_roundtrip.py ROUNDTRIP_DIR
"""
import json
import os
import sys

import numpy as np
import tifffile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_cases import expected_spacing, to_czyx  # noqa: E402


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, 'manifest.json')) as file:
        cases = json.load(file)
    failures, checked = [], 0
    for case in cases:
        path = os.path.join(folder, case['file'])
        name = case['file']
        try:
            with tifffile.TiffFile(path) as tif:
                series = tif.series[0]
                data = series.asarray()
                kind = 'ome' if tif.is_ome else 'imagej' if tif.is_imagej else 'plain'
                spacing = expected_spacing(tif)
                names = None
                if tif.is_ome:
                    image = tifffile.xml2dict(tif.ome_metadata)['OME']['Image']
                    channels = image['Pixels'].get('Channel', [])
                    channels = channels if isinstance(channels, list) else [channels]
                    names = [channel.get('Name', '') for channel in channels]
        except ValueError as error:
            if case['compression'] in ('lzw', 'zstd') and 'imagecodecs' in str(error):
                print(f'{name}: skipped, tifffile needs imagecodecs for {case["compression"]}')
                continue
            raise
        czyx = to_czyx(data, series.axes, 0)
        z, y, x, c = case['shape']
        expected = np.fromfile(path + '.expected', dtype=case['dtype']).reshape(c, z, y, x)
        problems = []
        if kind != case['kind']:
            problems.append(f'tifffile sees a {kind} file, not {case["kind"]}')
        if data.dtype != np.dtype(case['dtype']):
            problems.append(f'dtype {data.dtype} != {case["dtype"]}')
        if czyx.shape != expected.shape:
            problems.append(f'shape {czyx.shape} (axes {series.axes}) != {expected.shape}')
        elif not np.array_equal(czyx, expected):
            problems.append('voxels differ')
        if spacing != case['spacing']:
            problems.append(f'spacing {spacing} != {case["spacing"]}')
        if names is not None and names != case['channel_names']:
            problems.append(f'channel names {names} != {case["channel_names"]}')
        if problems:
            failures.append(f'{name}: ' + '; '.join(problems))
        checked += 1
    for failure in failures:
        print('FAIL', failure)
    print(f'tifffile read {checked} files written by voxscope, {len(failures)} failures')
    return 1 if failures or checked < 10 else 0


if __name__ == '__main__':
    sys.exit(main())
