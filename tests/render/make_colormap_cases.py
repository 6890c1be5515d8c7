#!/usr/bin/python3
"""Writes DIR/colormaps.json: for every map voxscope takes from matplotlib (and its _r
form), sample values x and matplotlib's colours cmap(x, bytes=True)[:, :3].

Usage: make_colormap_cases.py DIR (ctest passes the case folder). The samples cover
i / 255, the entry boundaries k / 256 and their float neighbours, an even grid, random
values and values outside [0, 1] (matplotlib's under/over colours are the end entries).
"""
import json
import os
import sys

import matplotlib
import numpy as np

MAPS = ["viridis", "magma", "inferno", "plasma", "cividis", "turbo", "hot"]


def samples():
    boundaries = np.arange(257) / 256.0
    x = np.concatenate([
        np.arange(256) / 255.0,
        boundaries,
        np.nextafter(boundaries, -np.inf),
        np.nextafter(boundaries, np.inf),
        np.linspace(0.0, 1.0, 1001),
        np.random.default_rng(5).uniform(0.0, 1.0, 2000),
        [-1.0, -1e-9, 1.0 + 1e-9, 1.5, 100.0],
    ])
    return x


def main():
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    x = samples()
    cases = {"matplotlib": matplotlib.__version__, "x": x.tolist(), "maps": {}}
    for name in MAPS + [m + "_r" for m in MAPS]:
        rgb = matplotlib.colormaps[name](x, bytes=True)[:, :3]
        cases["maps"][name] = rgb.astype(int).tolist()
    with open(os.path.join(folder, "colormaps.json"), "w") as f:
        json.dump(cases, f)


if __name__ == "__main__":
    main()
