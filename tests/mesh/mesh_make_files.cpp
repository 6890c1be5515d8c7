// Writes mesh and point files with write_mesh() and write_points(), and a manifest of what
// they hold, for mesh_readers_test.py to read back with meshio and Open3D.
// Usage: vox_mesh_make_files OUTPUT_FOLDER
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "vox/mesh.h"

namespace {

using Vec3 = std::array<float, 3>;

Vec3 normalized(const Vec3& v) {
    const float length = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    return {v[0] / length, v[1] / length, v[2] / length};
}

std::array<std::uint8_t, 3> colour_of(const Vec3& direction) {
    return {std::uint8_t(std::lround(127.5f * (direction[0] + 1.0f))),
            std::uint8_t(std::lround(127.5f * (direction[1] + 1.0f))),
            std::uint8_t(std::lround(127.5f * (direction[2] + 1.0f)))};
}

/// An icosphere (an icosahedron subdivided once: 42 vertices, 80 triangles) of radius 2 around
/// (1, 2, 3), wound outward, with unit normals and colours from the normal direction.
vox::Mesh icosphere() {
    const float t = (1.0f + std::sqrt(5.0f)) / 2.0f;
    std::vector<Vec3> directions = {{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0},
                                    {0, -1, t}, {0, 1, t}, {0, -1, -t}, {0, 1, -t},
                                    {t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1}};
    for (Vec3& direction : directions)
        direction = normalized(direction);
    const std::vector<std::array<std::uint32_t, 3>> faces = {
        {0, 11, 5},  {0, 5, 1},  {0, 1, 7},  {0, 7, 10}, {0, 10, 11}, {1, 5, 9}, {5, 11, 4},
        {11, 10, 2}, {10, 7, 6}, {7, 1, 8},  {3, 9, 4},  {3, 4, 2},   {3, 2, 6}, {3, 6, 8},
        {3, 8, 9},   {4, 9, 5},  {2, 4, 11}, {6, 2, 10}, {8, 6, 7},   {9, 8, 1}};
    // Split every edge once at its normalized midpoint.
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> midpoints;
    auto midpoint = [&](std::uint32_t a, std::uint32_t b) {
        const auto key = std::minmax(a, b);
        const auto found = midpoints.find(key);
        if (found != midpoints.end()) return found->second;
        const Vec3& p = directions[a];
        const Vec3& q = directions[b];
        directions.push_back(normalized({p[0] + q[0], p[1] + q[1], p[2] + q[2]}));
        const auto index = std::uint32_t(directions.size() - 1);
        midpoints.emplace(key, index);
        return index;
    };
    vox::Mesh mesh;
    for (const auto& face : faces) {
        const std::uint32_t ab = midpoint(face[0], face[1]);
        const std::uint32_t bc = midpoint(face[1], face[2]);
        const std::uint32_t ca = midpoint(face[2], face[0]);
        mesh.triangles.push_back({face[0], ab, ca});
        mesh.triangles.push_back({face[1], bc, ab});
        mesh.triangles.push_back({face[2], ca, bc});
        mesh.triangles.push_back({ab, bc, ca});
    }
    for (const Vec3& direction : directions) {
        mesh.positions.push_back(
            {1.0f + 2.0f * direction[0], 2.0f + 2.0f * direction[1], 3.0f + 2.0f * direction[2]});
        mesh.normals.push_back(direction);
        mesh.colors.push_back(colour_of(direction));
    }
    mesh.unit = "mm";
    return mesh;
}

/// A 5x4 height field without normals or colours (an open sheet: 20 vertices, 24 triangles).
vox::Mesh sheet() {
    vox::Mesh mesh;
    for (std::uint32_t y = 0; y < 4; ++y)
        for (std::uint32_t x = 0; x < 5; ++x)
            mesh.positions.push_back({0.1f * float(x) + 0.3f, 0.7f * float(y),
                                      std::sin(float(x) * 0.9f) * std::cos(float(y) * 1.3f)});
    for (std::uint32_t y = 0; y + 1 < 4; ++y)
        for (std::uint32_t x = 0; x + 1 < 5; ++x) {
            const std::uint32_t corner = y * 5 + x;
            mesh.triangles.push_back({corner, corner + 1, corner + 6});
            mesh.triangles.push_back({corner, corner + 6, corner + 5});
        }
    return mesh;
}

/// 50 points on a helix with unit normals and colours.
vox::PointCloud helix() {
    vox::PointCloud points;
    for (int i = 0; i < 50; ++i) {
        const float angle = 0.37f * float(i);
        const Vec3 direction{std::cos(angle), std::sin(angle), 0.0f};
        points.positions.push_back(
            {1.5f * direction[0] - 0.25f, 1.5f * direction[1], 0.05f * float(i) + 1e-3f});
        points.normals.push_back(direction);
        points.colors.push_back(colour_of(direction));
    }
    points.unit = "µm";
    return points;
}

std::string number(float value) {
    char text[32];
    return std::string(text, std::to_chars(text, text + sizeof(text), value).ptr);
}

std::string triple(const Vec3& v) {
    return "[" + number(v[0]) + ", " + number(v[1]) + ", " + number(v[2]) + "]";
}

/// One manifest entry: what a reader must find in the file.
std::string entry(const std::string& file, const std::string& kind, const std::string& source,
                  std::size_t vertices, std::size_t faces, bool normals, bool colors,
                  const Vec3& first_vertex, const Vec3* first_normal,
                  const std::array<std::uint8_t, 3>* first_color) {
    std::string json = "    \"" + file + "\": {\"kind\": \"" + kind + "\", \"source\": \"" +
                       source + "\", \"vertices\": " + std::to_string(vertices) +
                       ", \"faces\": " + std::to_string(faces) +
                       ", \"normals\": " + (normals ? "true" : "false") +
                       ", \"colors\": " + (colors ? "true" : "false") +
                       ", \"first_vertex\": " + triple(first_vertex);
    if (normals) json += ", \"first_normal\": " + triple(*first_normal);
    if (colors) {
        json += ", \"first_color\": [" + std::to_string((*first_color)[0]) + ", " +
                std::to_string((*first_color)[1]) + ", " + std::to_string((*first_color)[2]) + "]";
    }
    return json + "}";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: vox_mesh_make_files OUTPUT_FOLDER\n";
        return 2;
    }
    try {
        const std::filesystem::path folder = argv[1];
        std::filesystem::create_directories(folder);
        auto path = [&](const std::string& name) { return (folder / name).string(); };
        const vox::Mesh sphere = icosphere();
        const vox::Mesh plain = sheet();
        const vox::PointCloud points = helix();
        vox::MeshWriteOptions binary;
        vox::MeshWriteOptions ascii;
        ascii.ascii = true;
        vox::MeshWriteOptions no_normals;
        no_normals.normals = false;

        std::vector<std::string> entries;
        auto mesh_file = [&](const std::string& name, const vox::Mesh& mesh, const char* source,
                             const vox::MeshWriteOptions& options) {
            vox::write_mesh(path(name), mesh, options);
            const bool normals = options.normals && !mesh.normals.empty() &&
                                 vox::mesh_format_of(name) != vox::MeshFormat::stl;
            const bool colors = options.colors && !mesh.colors.empty() &&
                                vox::mesh_format_of(name) != vox::MeshFormat::stl;
            entries.push_back(entry(name, "mesh", source, mesh.vertex_count(),
                                    mesh.triangle_count(), normals, colors, mesh.positions[0],
                                    normals ? &mesh.normals[0] : nullptr,
                                    colors ? &mesh.colors[0] : nullptr));
        };
        mesh_file("sphere_binary.ply", sphere, "sphere", binary);
        mesh_file("sphere_ascii.ply", sphere, "sphere", ascii);
        mesh_file("sphere.stl", sphere, "sphere", binary);
        mesh_file("sphere_normals.obj", sphere, "sphere", binary);
        mesh_file("sphere_no_normals.obj", sphere, "sphere", no_normals);
        mesh_file("sheet.ply", plain, "sheet", binary);
        mesh_file("sheet.obj", plain, "sheet", binary);
        auto point_file = [&](const std::string& name, const vox::MeshWriteOptions& options) {
            vox::write_points(path(name), points, options);
            // OBJ points are "v" lines: colours ride on them, normals have no place.
            const bool obj = vox::mesh_format_of(name) == vox::MeshFormat::obj;
            entries.push_back(entry(name, "points", "helix", points.size(), 0, !obj, true,
                                    points.positions[0], &points.normals[0], &points.colors[0]));
        };
        point_file("helix_binary.ply", binary);
        point_file("helix_ascii.ply", ascii);
        point_file("helix.obj", binary);

        std::ofstream manifest(path("manifest.json"));
        manifest << "{\n";
        for (std::size_t i = 0; i < entries.size(); ++i)
            manifest << entries[i] << (i + 1 < entries.size() ? ",\n" : "\n");
        manifest << "}\n";
        if (!manifest.flush()) {
            std::cerr << "cannot write " << path("manifest.json") << "\n";
            return 1;
        }
        std::cout << "wrote " << entries.size() << " files and manifest.json to " << folder.string()
                  << "\n";
    } catch (const std::exception& error) {
        std::cerr << "vox_mesh_make_files: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
