#!/usr/bin/env python3
"""Renders a mesh file (PLY, STL or OBJ) to a PNG with VTK: an independent viewer for the
meshes voxscope writes (the gallery's mesh pictures are made with it).

Usage: xvfb-run -a /usr/bin/python3 scripts/render_mesh.py MESH OUT.png
           [--size 800x600] [--azimuth 30] [--elevation 25] [--zoom 1.2]
           [--color 0.85,0.75,0.55]

Needs Debian's python3-vtk9 and, without a display, xvfb (VTK 9.1's offscreen windows still
open an X connection). Vertex colours in the file are used when present; otherwise the mesh
is drawn in --color. The camera looks at the mesh's centre, rotated by --azimuth about the
mesh's z axis and raised by --elevation, with the whole mesh in view.
"""
import sys

import vtk


def option(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def reader_for(path):
    lower = path.lower()
    if lower.endswith(".ply"):
        return vtk.vtkPLYReader()
    if lower.endswith(".stl"):
        return vtk.vtkSTLReader()
    if lower.endswith(".obj"):
        return vtk.vtkOBJReader()
    raise SystemExit(f"render_mesh: unknown mesh extension: {path}")


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    path, out = sys.argv[1], sys.argv[2]
    width, height = (int(v) for v in option("--size", "800x600").split("x"))
    color = [float(v) for v in option("--color", "0.85,0.75,0.55").split(",")]

    reader = reader_for(path)
    reader.SetFileName(path)
    reader.Update()
    mesh = reader.GetOutput()
    if mesh.GetNumberOfCells() == 0:
        raise SystemExit(f"render_mesh: {path} has no triangles")

    mapper = vtk.vtkPolyDataMapper()
    mapper.SetInputData(mesh)
    colours = mesh.GetPointData().GetScalars()
    if colours is not None and colours.GetNumberOfComponents() == 3:
        mapper.SetColorModeToDirectScalars()
        mapper.ScalarVisibilityOn()
    else:
        mapper.ScalarVisibilityOff()
    actor = vtk.vtkActor()
    actor.SetMapper(mapper)
    actor.GetProperty().SetColor(*color)
    actor.GetProperty().SetSpecular(0.25)
    actor.GetProperty().SetSpecularPower(20)

    renderer = vtk.vtkRenderer()
    renderer.AddActor(actor)
    renderer.SetBackground(1.0, 1.0, 1.0)
    renderer.ResetCamera()
    camera = renderer.GetActiveCamera()
    camera.SetViewUp(0, 0, 1)
    camera.SetPosition(*[c + d for c, d in zip(camera.GetFocalPoint(), (0, -1, 0))])
    camera.Azimuth(float(option("--azimuth", "30")))
    camera.Elevation(float(option("--elevation", "25")))
    camera.OrthogonalizeViewUp()
    renderer.ResetCamera()
    camera.Zoom(float(option("--zoom", "1.2")))

    window = vtk.vtkRenderWindow()
    window.SetOffScreenRendering(1)
    window.SetSize(width, height)
    window.AddRenderer(renderer)
    window.Render()
    capture = vtk.vtkWindowToImageFilter()
    capture.SetInput(window)
    capture.Update()
    writer = vtk.vtkPNGWriter()
    writer.SetFileName(out)
    writer.SetInputConnection(capture.GetOutputPort())
    writer.Write()
    print(f"wrote {out}: {mesh.GetNumberOfPoints()} vertices, {mesh.GetNumberOfCells()} triangles")


if __name__ == "__main__":
    main()
