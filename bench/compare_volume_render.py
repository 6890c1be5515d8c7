#!/usr/bin/env python3
"""Side by side in one run: voxscope's volume renderer, VTK's CPU ray caster and matplotlib's
voxels on the same data (issue 6).

Usage: compare_volume_render.py BUILD/bench/bench_volume_render [--repetitions N]
           [--images FOLDER] [--skip-matplotlib] [--no-x]

1. Runs the Google Benchmark program (medians of N repetitions), one benchmark at a time
   just before its peer, so both sides see the same load on a shared machine.
2. Writes its data with --dump (cells-like u16 volumes of 50^3, 256^3, 512^3, the display
   range and camera in settings.json, and voxscope's frames as raw RGBA).
3. VTK (python3-vtk9): vtkFixedPointVolumeRayCastMapper in a 512x512 offscreen
   vtkRenderWindow, the same orthographic view (azimuth 320, elevation 30, the whole box in
   the frame), sample distance 1 voxel (SetSampleDistance in world units, also the
   interactive one, AutoAdjustSampleDistancesOff, one ray per pixel), trilinear
   interpolation, no shading, the same gray colour ramp from low to high and the same
   opacity: the ramp 0..1 over low..high with the opacity unit distance voxscope uses
   (1/50 of the largest extent) for composite; opacity 1 for MIP. Median of N Render()
   calls after one warm-up render (not counted: VTK builds its tables then).
   The preview's peer: the same with twice the sample distance and SetImageSampleDistance(2)
   (a ray per 2x2 pixels), as voxscope's preview. VTK's fixed-point mapper has no
   isosurface mode, so iso has no peer.
4. matplotlib: the brain-MRI tutorial's plot_cube on the 50^3 volume (values mapped to
   t in [0, 1] over the same range, viridis facecolors with alpha = t, the tutorial's
   explode / expand_coordinates, a 30 cm figure, view_init(30, 320)), voxels() and
   savefig() timed once, beside voxscope's DVR of the same volume at the same pixel size.
Prints a table (name, voxscope ms, peer ms, speed-up = peer / voxscope) and saves the
pictures of one view from each side to --images (default /tmp/vox_volume_compare).
VTK needs an X display: without DISPLAY the script runs itself again under `xvfb-run -a`
(Debian's xvfb), unless --no-x asks for VTK's offscreen rendering without X. (Debian's
VTK 9.1 still opens a vtkXOpenGLRenderWindow with SetOffScreenRendering(1): without X it
logs "bad X server connection" and aborts, so --no-x only helps with another VTK build.)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


# The targets (ms per frame) and the speed-up it wants over VTK.
TARGETS_MS = {"mip_256": 40.0, "dvr_256": 80.0, "preview_256": 15.0, "dvr_512": 250.0}
GOAL_SPEED_UP = 3.0


def option(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def benchmark_median(bench, repetitions, name):
    """Median seconds of BM_<name> alone (peer_bench's reader, for one benchmark)."""
    output = subprocess.run(
        [bench, f"--benchmark_filter=^BM_{name}(/|$)",
         f"--benchmark_repetitions={max(2, repetitions)}",
         "--benchmark_format=json", "--benchmark_report_aggregates_only=true"],
        check=True, capture_output=True, text=True).stdout
    for entry in json.loads(output)["benchmarks"]:
        if entry.get("aggregate_name") == "median":
            return entry["real_time"] / 1e3  # ms -> s
    raise RuntimeError(f"{bench} did not report BM_{name}")


def view_vectors(azimuth, elevation):
    """voxscope's camera conventions: the direction to the camera and the screen's up."""
    az, el = np.radians(azimuth), np.radians(elevation)
    towards = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    right = np.array([-np.sin(az), np.cos(az), 0.0])
    return towards, np.cross(towards, right)


class VtkScene:
    """One volume in an offscreen 512x512 window with voxscope's view and display."""

    def __init__(self, volume, settings, mode, preview=False):
        import vtk
        from vtk.util import numpy_support
        self.vtk = vtk
        self.volume = np.ascontiguousarray(volume)  # VTK points into it: keep it alive
        nz, ny, nx = volume.shape
        image = vtk.vtkImageData()
        image.SetDimensions(nx, ny, nz)  # x fastest, as numpy's (z, y, x) C order
        image.SetSpacing(1.0, 1.0, 1.0)
        image.SetOrigin(0.0, 0.0, 0.0)
        scalars = numpy_support.numpy_to_vtk(self.volume.ravel(), deep=False,
                                             array_type=vtk.VTK_UNSIGNED_SHORT)
        image.GetPointData().SetScalars(scalars)
        self.image = image

        low, high = settings["low"], settings["high"]
        # World units (spacing 1). A preview, as voxscope's: twice the step, a ray per 2x2
        # pixels (VTK's interactive render).
        step = settings["sample_distance_voxels"] * (2.0 if preview else 1.0)
        mapper = vtk.vtkFixedPointVolumeRayCastMapper()
        mapper.SetInputData(image)
        mapper.AutoAdjustSampleDistancesOff()
        mapper.SetSampleDistance(step)
        mapper.SetInteractiveSampleDistance(step)
        mapper.SetImageSampleDistance(2.0 if preview else 1.0)
        colour = vtk.vtkColorTransferFunction()
        colour.AddRGBPoint(low, 0.0, 0.0, 0.0)
        colour.AddRGBPoint(high, 1.0, 1.0, 1.0)
        opacity = vtk.vtkPiecewiseFunction()
        if mode == "mip":
            mapper.SetBlendModeToMaximumIntensity()
            opacity.AddPoint(0.0, 1.0)
            opacity.AddPoint(65535.0, 1.0)
        else:
            mapper.SetBlendModeToComposite()
            opacity.AddPoint(low, 0.0)
            opacity.AddPoint(high, 1.0)
        prop = vtk.vtkVolumeProperty()
        prop.SetColor(colour)
        prop.SetScalarOpacity(opacity)
        prop.SetInterpolationTypeToLinear()
        prop.ShadeOff()
        largest = max(volume.shape) * 1.0
        prop.SetScalarOpacityUnitDistance(
            settings["opacity_unit_fraction_of_largest_extent"] * largest)
        actor = vtk.vtkVolume()
        actor.SetMapper(mapper)
        actor.SetProperty(prop)
        renderer = vtk.vtkRenderer()
        renderer.AddVolume(actor)
        renderer.SetBackground(0.0, 0.0, 0.0)
        window = vtk.vtkRenderWindow()
        window.SetOffScreenRendering(1)
        window.SetSize(settings["frame"], settings["frame"])
        window.AddRenderer(renderer)

        towards, up = view_vectors(settings["azimuth"], settings["elevation"])
        centre = (np.array([nx, ny, nz], dtype=float) - 1.0) / 2.0
        diagonal = float(np.linalg.norm([nx, ny, nz]))
        camera = renderer.GetActiveCamera()
        camera.ParallelProjectionOn()
        camera.SetFocalPoint(*centre)
        camera.SetPosition(*(centre + 2.0 * diagonal * towards))
        camera.SetViewUp(*up)
        camera.SetParallelScale(diagonal / 2.0)  # half the height: the whole box, as zoom 1
        renderer.ResetCameraClippingRange()
        self.mapper, self.window = mapper, window

    def render_seconds(self, count):
        self.window.Render()  # warm-up: VTK builds its tables and min/max volume
        times = []
        for _ in range(count):
            start = time.perf_counter()
            self.window.Render()
            times.append(time.perf_counter() - start)
        return float(np.median(times)), times

    def picture(self):
        from vtk.util import numpy_support
        grab = self.vtk.vtkWindowToImageFilter()
        grab.SetInput(self.window)
        grab.SetInputBufferTypeToRGB()
        grab.ReadFrontBufferOff()
        grab.Update()
        out = grab.GetOutput()
        width, height, _ = out.GetDimensions()
        pixels = numpy_support.vtk_to_numpy(out.GetPointData().GetScalars())
        return np.flipud(pixels.reshape(height, width, -1))  # VTK's rows go bottom to top


def matplotlib_tutorial(cube_zyx, settings, path):
    """The tutorial's plot_cube on t = clip((v - low) / (high - low)), timed once."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import cm

    def explode(data):
        shape_arr = np.array(data.shape)
        size = shape_arr[:3] * 2 - 1
        exploded = np.zeros(np.concatenate([size, shape_arr[3:]]), dtype=data.dtype)
        exploded[::2, ::2, ::2] = data
        return exploded

    def expand_coordinates(indices):
        x, y, z = indices
        x[1::2, :, :] += 1
        y[:, 1::2, :] += 1
        z[:, :, 1::2] += 1
        return x, y, z

    low, high = settings["low"], settings["high"]
    cube = np.clip((cube_zyx.astype(np.float64) - low) / (high - low), 0.0, 1.0)
    cube = cube.transpose(2, 1, 0)  # the tutorial indexes (x, y, z)
    edge = cube.shape[0]
    start = time.perf_counter()
    facecolors = cm.viridis(cube)
    facecolors[:, :, :, -1] = cube
    facecolors = explode(facecolors)
    filled = facecolors[:, :, :, -1] != 0
    x, y, z = expand_coordinates(np.indices(np.array(filled.shape) + 1))
    figure = plt.figure(figsize=(30 / 2.54, 30 / 2.54))
    axes = figure.add_subplot(projection="3d")
    axes.view_init(settings["elevation"], settings["azimuth"])
    axes.set_xlim(right=edge * 2)
    axes.set_ylim(top=edge * 2)
    axes.set_zlim(top=edge * 2)
    axes.voxels(x, y, z, filled, facecolors=facecolors, shade=False)
    figure.savefig(path)
    seconds = time.perf_counter() - start
    plt.close(figure)
    return seconds, int(filled.sum())


def save_rgba(raw_path, size, png_path):
    from PIL import Image
    pixels = np.fromfile(raw_path, dtype=np.uint8).reshape(size, size, 4)
    Image.fromarray(pixels[:, :, :3]).save(png_path)
    return pixels[:, :, :3]


def main():
    from PIL import Image
    if "--no-x" not in sys.argv and not os.environ.get("DISPLAY"):
        if shutil.which("xvfb-run") is None:
            sys.exit("no DISPLAY and no xvfb-run: install Debian's xvfb, or pass --no-x")
        os.execvp("xvfb-run", ["xvfb-run", "-a", sys.executable] + sys.argv)
    bench = sys.argv[1]
    repetitions = int(option("--repetitions", "5"))
    images = option("--images", "/tmp/vox_volume_compare")
    os.makedirs(images, exist_ok=True)

    def mine_of(name):
        return benchmark_median(bench, repetitions, name)

    mine, peer, notes = {}, {}, [f"load average at the start: {os.getloadavg()[0]:.1f}"]
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([bench, f"--dump={folder}"], check=True)
        with open(os.path.join(folder, "settings.json")) as file:
            settings = json.load(file)
        frame = settings["frame"]
        for name, edge, mode in (("mip_256", 256, "mip"), ("dvr_256", 256, "composite"),
                                 ("preview_256", 256, "composite"),
                                 ("dvr_512", 512, "composite")):
            volume = np.load(os.path.join(folder, f"cells_{edge}.npy"))
            volume = volume.reshape(volume.shape[:3])  # (z, y, x[, c=1])
            mine[name] = mine_of(name)
            scene = VtkScene(volume, settings, mode, preview=name.startswith("preview"))
            seconds, _ = scene.render_seconds(repetitions)
            peer[name] = (seconds, "VTK fixed-point ray cast")
            threads = scene.mapper.GetNumberOfThreads()
            vtk_rgb = scene.picture()
            Image.fromarray(np.ascontiguousarray(vtk_rgb)).save(
                os.path.join(images, f"{name}_vtk.png"))
            vox_rgb = save_rgba(os.path.join(folder, f"{name}.rgba"), frame,
                                os.path.join(images, f"{name}_voxscope.png"))
            difference = np.abs(vox_rgb.astype(int) - vtk_rgb.astype(int)).mean()
            notes.append(f"{name}: mean |voxscope - VTK| = {difference:.1f} / 255 per channel, "
                         f"mean brightness voxscope {vox_rgb.mean():.1f}, VTK {vtk_rgb.mean():.1f}")
            del scene, volume
        mine["iso_256"] = mine_of("iso_256")
        save_rgba(os.path.join(folder, "iso_256.rgba"), frame,
                  os.path.join(images, "iso_256_voxscope.png"))
        save_rgba(os.path.join(folder, "dvr_50_tutorial.rgba"), settings["tutorial_frame"],
                  os.path.join(images, "dvr_50_tutorial_voxscope.png"))
        mine["dvr_50_tutorial"] = mine_of("dvr_50_tutorial")
        if "--skip-matplotlib" not in sys.argv:
            cube = np.load(os.path.join(folder, "cells_50.npy"))
            seconds, filled = matplotlib_tutorial(
                cube.reshape(cube.shape[:3]), settings,
                os.path.join(images, "dvr_50_tutorial_matplotlib.png"))
            peer["dvr_50_tutorial"] = (seconds, "matplotlib voxels (once)")
            notes.append(f"dvr_50_tutorial: matplotlib drew {filled} filled voxels of 50^3 "
                         f"(the tutorial's explode gives a 99^3 grid), voxscope a "
                         f"{settings['tutorial_frame']}^2 DVR frame of the same volume")

    notes.append(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"volume rendering, {os.cpu_count()} cores, VTK {threads} threads, sample distance "
          f"{settings['sample_distance_voxels']:g} voxel, {frame}x{frame} frames, azimuth "
          f"{settings['azimuth']:g}, elevation {settings['elevation']:g}")
    print(f"{'frame':<18} {'voxscope ms':>12} {'peer ms':>10} {'speed-up':>9} {'target':>10}  peer")
    for name in list(mine) + [n for n in peer if n not in mine]:
        ours = mine.get(name)
        target = f"<= {TARGETS_MS[name]:g}" if name in TARGETS_MS else ""
        ours_text = f"{ours * 1e3:12.1f}" if ours is not None else f"{'-':>12}"
        if name in peer:
            seconds, label = peer[name]
            ratio = f"{seconds / ours:8.1f}x" if ours else f"{'-':>9}"
            print(f"{name:<18} {ours_text} {seconds * 1e3:10.1f} {ratio} {target:>10}  {label}")
        else:
            print(f"{name:<18} {ours_text} {'-':>10} {'-':>9} {target:>10}  (no peer)")
    print(f"goal: speed-up >= {GOAL_SPEED_UP:g}x over VTK")
    for note in notes:
        print(note)
    print(f"pictures in {images}")


if __name__ == "__main__":
    main()
