#!/usr/bin/env python3
"""Side by side in one run: voxscope's marching cubes, scikit-image's marching_cubes and
VTK's vtkFlyingEdges3D on the same volumes and levels (issue 7).

Usage: compare_mesh.py BUILD/bench/bench_mesh [--repetitions N] [--skip-512-skimage]

1. The Google Benchmark program writes its volumes with --dump (u16 blobs of 256^3 and
   512^3, the cells sample's nuclei channel) and the levels in settings.json.
2. For each volume, one benchmark runs just before its peers, so all see the same load:
   - voxscope: vox::isosurface with vertex normals (medians of N repetitions);
   - skimage.measure.marching_cubes (Lewiner, with its normals), the median of N calls
     (one call for 512^3, which takes long: N with --repetitions-512);
   - VTK: vtkFlyingEdges3D on a vtkImageData sharing the array, ComputeNormals on (as
     voxscope's normals), median of N Update() calls after Modified(). Debian's VTK 9.1 runs
     flying edges on all cores when its SMP backend has threads; the script prints the
     backend.
3. Prints a table: name, voxscope ms, skimage ms, VTK ms, the ratios, and the triangle
   counts of each side (equal vertex counts are checked in tests/mesh/isosurface_conformance.py).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

GOAL_SKIMAGE = 10.0  # the issue wants >= 10x skimage and >= 1x VTK


def option(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def benchmark_median(bench, repetitions, name):
    output = subprocess.run(
        [bench, f"--benchmark_filter=^BM_{name}(/|$)", f"--benchmark_repetitions={max(2, repetitions)}",
         "--benchmark_format=json", "--benchmark_report_aggregates_only=true"],
        check=True, capture_output=True, text=True).stdout
    for entry in json.loads(output)["benchmarks"]:
        if entry.get("aggregate_name") == "median":
            return entry["real_time"] / 1e3, int(entry.get("triangles", 0))
    raise RuntimeError(f"{bench} did not report BM_{name}")


def median_seconds(function, repetitions):
    times = []
    result = None
    for _ in range(repetitions):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def skimage_run(volume, level, repetitions):
    from skimage import measure
    seconds, (vertices, faces, _, _) = median_seconds(
        lambda: measure.marching_cubes(volume, level), repetitions)
    return seconds, len(faces)


def vtk_run(volume, level, repetitions):
    import vtk
    from vtk.util import numpy_support
    image = vtk.vtkImageData()
    image.SetDimensions(volume.shape[2], volume.shape[1], volume.shape[0])
    flat = np.ascontiguousarray(volume).ravel()
    image.GetPointData().SetScalars(numpy_support.numpy_to_vtk(flat, deep=False))
    flying_edges = vtk.vtkFlyingEdges3D()
    flying_edges.SetInputData(image)
    flying_edges.SetValue(0, level)
    flying_edges.ComputeNormalsOn()
    flying_edges.ComputeGradientsOff()
    flying_edges.ComputeScalarsOff()

    def run():
        flying_edges.Modified()
        flying_edges.Update()
        return flying_edges.GetOutput().GetNumberOfCells()

    run()  # warm-up
    return median_seconds(run, repetitions)


def main():
    bench = sys.argv[1]
    repetitions = int(option("--repetitions", "5"))
    repetitions_512 = int(option("--repetitions-512", "1"))
    try:
        import vtk
        smp = vtk.vtkSMPTools.GetBackend() if hasattr(vtk.vtkSMPTools, "GetBackend") else "?"
        print(f"VTK {vtk.vtkVersion.GetVTKVersion()}, SMP backend {smp}")
    except ImportError:
        vtk = None
        print("VTK (python3-vtk9) is not installed: no flying-edges column")
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([bench, f"--dump={folder}"], check=True)
        with open(os.path.join(folder, "settings.json")) as file:
            settings = json.load(file)
        cases = [("marching_cubes_256", "blobs_256.npy", settings["blob_level"], repetitions),
                 ("marching_cubes_512", "blobs_512.npy", settings["blob_level"], repetitions_512),
                 ("marching_cubes_cells", "cells.npy", settings["cells_level"], repetitions)]
        rows = []
        for name, file_name, level, peer_repetitions in cases:
            volume = np.load(os.path.join(folder, file_name))
            if volume.ndim == 4:
                volume = volume[..., 0]
            ours, our_triangles = benchmark_median(bench, repetitions, name)
            if "--skip-512-skimage" in sys.argv and "512" in name:
                skimage_seconds, skimage_triangles = float("nan"), 0
            else:
                skimage_seconds, skimage_triangles = skimage_run(volume, level, peer_repetitions)
            vtk_seconds, vtk_triangles = (vtk_run(volume, level, max(peer_repetitions, 3))
                                          if vtk else (float("nan"), 0))
            rows.append((name, ours, skimage_seconds, vtk_seconds, our_triangles,
                         skimage_triangles, vtk_triangles))
            print(f"{name}: voxscope {ours * 1e3:.1f} ms, skimage {skimage_seconds * 1e3:.1f} ms, "
                  f"VTK {vtk_seconds * 1e3:.1f} ms", flush=True)
    print()
    print(f"{'case':24} {'voxscope':>10} {'skimage':>10} {'VTK FE':>10} {'x skimage':>10} "
          f"{'x VTK':>8} {'triangles (ours / skimage / VTK)':>36}")
    for name, ours, sk, vt, t_ours, t_sk, t_vtk in rows:
        print(f"{name:24} {ours * 1e3:8.1f}ms {sk * 1e3:8.1f}ms {vt * 1e3:8.1f}ms "
              f"{sk / ours:9.1f}x {vt / ours:7.2f}x {t_ours:>12} / {t_sk} / {t_vtk}")
    print(f"\ngoals: >= {GOAL_SKIMAGE:.0f}x skimage, >= 1x VTK's vtkFlyingEdges3D")


if __name__ == "__main__":
    main()
