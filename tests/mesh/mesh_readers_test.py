"""Reads the files vox_mesh_make_files wrote (PLY binary and ASCII, STL, OBJ, point PLY and
OBJ) with meshio and with Open3D, and checks them against its manifest.json: vertex and face
counts, the first vertex, normals and colours; every file of one source must hold the very
same float32 positions, normals and triangles as its binary PLY.

Usage: mesh_readers_test.py FOLDER
"""
import json
import os
import sys

import meshio
import numpy as np
import open3d as o3d

FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
    return condition


def read_meshio(path):
    """positions (float32), triangles, normals or None, colours (uint8) or None."""
    mesh = meshio.read(path)
    points = np.asarray(mesh.points)
    triangles = np.zeros((0, 3), dtype=np.int64)
    for block in mesh.cells:
        check(block.type == "triangle", f"{path}: meshio found {block.type} cells")
        triangles = np.concatenate([triangles, np.asarray(block.data, dtype=np.int64)])
    data = mesh.point_data
    normals = colors = None
    if path.endswith(".ply"):
        if "nx" in data:
            normals = np.column_stack([data["nx"], data["ny"], data["nz"]]).astype(np.float32)
        if "red" in data:
            # meshio 7 reads binary "uchar" as int8; the bytes are what count.
            colors = np.column_stack([data["red"], data["green"], data["blue"]])
            colors = colors.astype(np.int16).astype(np.uint8)
    elif path.endswith(".obj"):
        if "obj:vn" in data:
            normals = np.asarray(data["obj:vn"]).astype(np.float32)
        if points.shape[1] == 6:  # "v x y z r g b" with components in [0, 1]
            colors = np.rint(points[:, 3:] * 255.0).astype(np.uint8)
            check(np.allclose(points[:, 3:] * 255.0, colors, atol=1e-4),
                  f"{path}: OBJ colours are not multiples of 1/255")
    return points[:, :3].astype(np.float32), triangles, normals, colors


def read_open3d(path, kind):
    """As read_meshio(), through Open3D (colours come as floats in [0, 1])."""
    if kind == "points":
        cloud = o3d.io.read_point_cloud(path)
        positions = np.asarray(cloud.points)
        normals = np.asarray(cloud.normals) if cloud.has_normals() else None
        colors = np.asarray(cloud.colors) if cloud.has_colors() else None
        triangles = np.zeros((0, 3), dtype=np.int64)
    else:
        mesh = o3d.io.read_triangle_mesh(path)
        positions = np.asarray(mesh.vertices)
        triangles = np.asarray(mesh.triangles, dtype=np.int64)
        normals = np.asarray(mesh.vertex_normals) if mesh.has_vertex_normals() else None
        colors = np.asarray(mesh.vertex_colors) if mesh.has_vertex_colors() else None
    return positions.astype(np.float32), triangles, normals, colors


def check_counts_and_first(name, reader, entry, positions, triangles, normals, colors):
    where = f"{name} ({reader})"
    stl = name.endswith(".stl")
    # Open3D renumbers OBJ vertices by first use: vertex 0 is the first triangle's first corner.
    by_first_corner = stl or (reader == "open3d" and name.endswith(".obj"))
    if stl:
        # STL holds un-indexed triangles: compare the set of distinct corners.
        distinct = len(np.unique(positions, axis=0))
        check(distinct == entry["vertices"],
              f"{where}: {distinct} distinct vertices, expected {entry['vertices']}")
    else:
        check(len(positions) == entry["vertices"],
              f"{where}: {len(positions)} vertices, expected {entry['vertices']}")
    check(len(triangles) == entry["faces"],
          f"{where}: {len(triangles)} triangles, expected {entry['faces']}")
    first = np.float32(entry["first_vertex"])
    # The first triangle's first corner is vertex 0 of the source mesh.
    first_index = triangles[0, 0] if by_first_corner else 0
    got = positions[first_index]
    check(np.array_equal(got, first),
          f"{where}: first vertex {got.tolist()}, expected {first.tolist()}")
    if not stl:
        check((normals is not None) == entry["normals"],
              f"{where}: normals present {normals is not None}, expected {entry['normals']}")
    check((colors is not None) == entry["colors"],
          f"{where}: colours present {colors is not None}, expected {entry['colors']}")
    if entry["normals"] and normals is not None:
        expected = np.float32(entry["first_normal"])
        check(np.array_equal(normals[first_index].astype(np.float32), expected),
              f"{where}: first normal {normals[first_index]}, expected {expected}")
    if entry["colors"] and colors is not None:
        expected = np.array(entry["first_color"])
        if reader == "open3d":
            check(np.allclose(colors[first_index], expected / 255.0, atol=1e-6),
                  f"{where}: first colour {colors[first_index]}, expected {expected / 255.0}")
        else:
            check(np.array_equal(colors[first_index], expected),
                  f"{where}: first colour {colors[first_index]}, expected {expected}")


def check_stl_normals(name, path, positions, triangles):
    """Open3D gives every STL corner its facet's normal: it must be the unit right-hand
    normal of the triangle, pointing away from the sphere's centre (1, 2, 3)."""
    mesh = o3d.io.read_triangle_mesh(path)
    if not check(mesh.has_vertex_normals(), f"{name} (open3d): no facet normals"):
        return
    normals = np.asarray(mesh.vertex_normals)[triangles[:, 0]]
    a, b, c = (positions[triangles[:, k]].astype(np.float64) for k in range(3))
    expected = np.cross(b - a, c - a)
    expected /= np.linalg.norm(expected, axis=1)[:, None]
    error = np.abs(normals - expected).max()
    check(error < 1e-6, f"{name}: facet normals differ from the vertices' by {error}")
    outward = np.einsum("ij,ij->i", normals, (a + b + c) / 3.0 - np.array([1.0, 2.0, 3.0]))
    check((outward > 0).all(), f"{name}: {(outward <= 0).sum()} facet normals point inward")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mesh_readers_test.py FOLDER")
    folder = sys.argv[1]
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as file:
        manifest = json.load(file)

    # The binary PLY of each source, read by meshio, is the reference for the others.
    reference = {}
    for name, entry in manifest.items():
        if name.endswith("_binary.ply") or (entry["source"] not in reference
                                            and name.endswith(".ply")):
            reference[entry["source"]] = read_meshio(os.path.join(folder, name))

    checked = 0
    for name, entry in manifest.items():
        path = os.path.join(folder, name)
        ref_positions, ref_triangles, ref_normals, ref_colors = reference[entry["source"]]
        readers = [("meshio", read_meshio(path))]
        if entry["kind"] == "points" and name.endswith(".obj"):
            # Open3D reads OBJ through tinyobjloader, which drops vertices no face uses.
            pass
        else:
            readers.append(("open3d", read_open3d(path, entry["kind"])))
        for reader, (positions, triangles, normals, colors) in readers:
            check_counts_and_first(name, reader, entry, positions, triangles, normals, colors)
            where = f"{name} ({reader})"
            # Readers that rebuild the vertex list (STL; Open3D's OBJ reader, tinyobjloader,
            # numbers vertices by first use) must give the same triangle corners.
            reindexed = name.endswith(".stl") or (reader == "open3d" and name.endswith(".obj"))
            if len(ref_triangles):
                pairs = [("positions", positions, ref_positions, 1.0)]
                # (Open3D gives STL corners their facet's normal: check_stl_normals().)
                if normals is not None and ref_normals is not None and not name.endswith(".stl"):
                    pairs.append(("normals", normals.astype(np.float32), ref_normals, 1.0))
                if colors is not None and ref_colors is not None:
                    pairs.append(("colours", colors, ref_colors,
                                  255.0 if reader == "open3d" else 1.0))
                for what, values, ref_values, scale in pairs:
                    if what != "colours":
                        same = np.array_equal(values[triangles], ref_values[ref_triangles])
                    else:
                        same = np.allclose(values[triangles] * scale, ref_values[ref_triangles],
                                           atol=1e-4)
                    check(same, f"{where}: triangle corner {what} differ from the binary PLY's")
            if name.endswith(".stl") and reader == "open3d":
                check_stl_normals(name, path, positions, triangles)
            if not reindexed:
                check(np.array_equal(positions, ref_positions),
                      f"{where}: positions differ from the binary PLY's")
                check(np.array_equal(triangles, ref_triangles),
                      f"{where}: triangles differ from the binary PLY's")
                if normals is not None and ref_normals is not None:
                    check(np.array_equal(normals.astype(np.float32), ref_normals),
                          f"{where}: normals differ from the binary PLY's")
                if colors is not None and ref_colors is not None:
                    scale = 255.0 if reader == "open3d" else 1.0
                    check(np.allclose(colors * scale, ref_colors, atol=1e-4),
                          f"{where}: colours differ from the binary PLY's")
            checked += 1

    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed:", file=sys.stderr)
        for failure in FAILURES:
            print("  " + failure, file=sys.stderr)
        sys.exit(1)
    print(f"mesh readers: {len(manifest)} files, {checked} reads (meshio, Open3D) agree with "
          "the manifest and with each other")


if __name__ == "__main__":
    main()
