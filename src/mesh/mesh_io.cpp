// voxscope: PLY, STL and OBJ writers for meshes and point clouds.
//
// Every format is a sequence of records (a vertex, a face, a facet) of bounded size. The
// records are formatted in parallel, a chunk of records per task into that chunk's own
// buffer, and the buffers are written in order; a batch of chunks at a time bounds memory.
#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "source.h"
#include "vox/error.h"
#include "vox/mesh.h"
#include "vox/parallel.h"

namespace vox {
namespace {

using Vec3 = std::array<float, 3>;
using Rgb = std::array<std::uint8_t, 3>;

/// Records per parallel task: big enough to amortise scheduling, small enough to balance.
constexpr std::int64_t kChunkRecords = 16384;
/// Bytes formatted before they are written (bounds the extra memory a write needs).
constexpr std::int64_t kBatchBytes = std::int64_t(32) << 20;
/// Longest shortest-round-trip float ("-1.17549435e-38") plus a separator.
constexpr std::size_t kMaxFloatChars = 16;
/// Longest decimal uint64 plus a separator.
constexpr std::size_t kMaxIndexChars = 21;

/// What a write puts in the vertex records.
struct VertexLayout {
    bool normals = false;
    bool colors = false;
};

/// Stores a value as little-endian bytes at `out` and returns the position after it.
template <typename T>
char* put_le(char* out, T value) {
    std::memcpy(out, &value, sizeof(T));
    if constexpr (io::kHostBigEndian) std::reverse(out, out + sizeof(T));
    return out + sizeof(T);
}

char* put_float(char* out, float value) {
    // Shortest text that reads back as the same float (std::to_chars without a format).
    return std::to_chars(out, out + kMaxFloatChars, value).ptr;
}

char* put_index(char* out, std::uint64_t value) {
    return std::to_chars(out, out + kMaxIndexChars, value).ptr;
}

char* put_text(char* out, std::string_view text) {
    std::memcpy(out, text.data(), text.size());
    return out + text.size();
}

/// Formats `count` records with `format(index, out) -> end` (at most `max_record_bytes`
/// each) on all cores and appends them to `file` in index order.
template <typename Format>
void write_records(io::AtomicFile& file, std::int64_t count, std::size_t max_record_bytes,
                   const Format& format) {
    if (count <= 0) return;
    const std::int64_t chunk_records = std::min(count, kChunkRecords);
    const std::int64_t chunk_bytes = chunk_records * std::int64_t(max_record_bytes);
    const std::int64_t chunks = (count + kChunkRecords - 1) / kChunkRecords;
    const std::int64_t batch_chunks =
        std::min(chunks, std::max<std::int64_t>(1, kBatchBytes / chunk_bytes));
    // Allocated once (uninitialised: every byte written is formatted first) and reused by
    // every batch, so formatting itself never allocates.
    const auto batch_size = std::size_t(batch_chunks);
    std::vector<std::unique_ptr<char[]>> buffers(batch_size);
    for (auto& buffer : buffers)
        buffer = std::make_unique_for_overwrite<char[]>(std::size_t(chunk_bytes));
    std::vector<std::size_t> used(batch_size);
    for (std::int64_t first_chunk = 0; first_chunk < chunks; first_chunk += batch_chunks) {
        const std::int64_t batch = std::min(batch_chunks, chunks - first_chunk);
        parallel_for(0, batch, 1, [&](std::int64_t chunk_begin, std::int64_t chunk_end) {
            for (std::int64_t chunk = chunk_begin; chunk < chunk_end; ++chunk) {
                const std::int64_t begin = (first_chunk + chunk) * kChunkRecords;
                const std::int64_t end = std::min(count, begin + kChunkRecords);
                char* const start = buffers[std::size_t(chunk)].get();
                char* out = start;
                for (std::int64_t i = begin; i < end; ++i)
                    out = format(i, out);
                used[std::size_t(chunk)] = std::size_t(out - start);
            }
        });
        for (std::int64_t chunk = 0; chunk < batch; ++chunk) {
            file.write(buffers[std::size_t(chunk)].get(), std::int64_t(used[std::size_t(chunk)]));
        }
    }
}

/// A unit on one line (a comment line cannot hold a line break).
std::string one_line(std::string_view text) {
    std::string line(text);
    std::replace_if(
        line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return line;
}

// --- validation (before the file is created, so a bad mesh never replaces a good file) ---

template <typename T>
void check_per_vertex(const std::string& path, const MeshArray<T>& values, std::size_t vertices,
                      std::string_view what) {
    if (!values.empty() && values.size() != vertices) {
        throw ValueError(fmt::format("cannot write '{}': {} {} for {} vertices (need 0 or {})",
                                     path, values.size(), what, vertices, vertices));
    }
}

void check_triangles(const std::string& path, const Mesh& mesh) {
    const std::int64_t count = std::int64_t(mesh.triangles.size());
    const std::uint64_t vertices = mesh.positions.size();
    // The first bad triangle, so that the message does not depend on the thread schedule.
    std::atomic<std::int64_t> first_bad{count};
    parallel_for(0, count, kChunkRecords * 4, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            const auto& triangle = mesh.triangles[std::size_t(i)];
            if (triangle[0] >= vertices || triangle[1] >= vertices || triangle[2] >= vertices) {
                std::int64_t seen = first_bad.load();
                while (i < seen && !first_bad.compare_exchange_weak(seen, i)) {
                }
                return;
            }
        }
    });
    const std::int64_t bad = first_bad.load();
    if (bad < count) {
        const auto& triangle = mesh.triangles[std::size_t(bad)];
        const std::uint32_t index = std::max({triangle[0], triangle[1], triangle[2]});
        throw ValueError(fmt::format(
            "cannot write '{}': triangle {} has vertex index {} but the mesh has {} vertices", path,
            bad, index, vertices));
    }
}

// --- PLY ---

std::string ply_header(bool ascii, const std::string& unit, std::size_t vertices,
                       const VertexLayout& layout, const std::size_t* faces) {
    std::string header = "ply\n";
    header += ascii ? "format ascii 1.0\n" : "format binary_little_endian 1.0\n";
    header += "comment voxscope\n";
    if (!unit.empty()) header += "comment unit " + one_line(unit) + "\n";
    header += fmt::format("element vertex {}\n", vertices);
    header += "property float x\nproperty float y\nproperty float z\n";
    if (layout.normals) header += "property float nx\nproperty float ny\nproperty float nz\n";
    if (layout.colors) {
        header += "property uchar red\nproperty uchar green\nproperty uchar blue\n";
    }
    if (faces != nullptr) {
        header += fmt::format("element face {}\n", *faces);
        header += "property list uchar int vertex_indices\n";
    }
    header += "end_header\n";
    return header;
}

void write_ply_vertices(io::AtomicFile& file, bool ascii, const MeshArray<Vec3>& positions,
                        const MeshArray<Vec3>& normals, const MeshArray<Rgb>& colors,
                        const VertexLayout& layout) {
    const std::int64_t count = std::int64_t(positions.size());
    const Vec3* position = positions.data();
    const Vec3* normal = normals.data();
    const Rgb* color = colors.data();
    if (ascii) {
        const std::size_t max_bytes = 3 * kMaxFloatChars +
                                      (layout.normals ? 3 * kMaxFloatChars : 0) +
                                      (layout.colors ? 3 * 4 : 0) + 1;
        write_records(file, count, max_bytes, [&](std::int64_t i, char* out) {
            const Vec3& p = position[i];
            out = put_float(out, p[0]);
            *out++ = ' ';
            out = put_float(out, p[1]);
            *out++ = ' ';
            out = put_float(out, p[2]);
            if (layout.normals) {
                for (float value : normal[i]) {
                    *out++ = ' ';
                    out = put_float(out, value);
                }
            }
            if (layout.colors) {
                for (std::uint8_t value : color[i]) {
                    *out++ = ' ';
                    out = put_index(out, value);
                }
            }
            *out++ = '\n';
            return out;
        });
        return;
    }
    const std::size_t record_bytes = 12 + (layout.normals ? 12 : 0) + (layout.colors ? 3 : 0);
    write_records(file, count, record_bytes, [&](std::int64_t i, char* out) {
        for (float value : position[i])
            out = put_le(out, value);
        if (layout.normals) {
            for (float value : normal[i])
                out = put_le(out, value);
        }
        if (layout.colors) {
            std::memcpy(out, color[i].data(), 3);
            out += 3;
        }
        return out;
    });
}

void write_ply_faces(io::AtomicFile& file, bool ascii,
                     const MeshArray<std::array<std::uint32_t, 3>>& triangles) {
    const std::int64_t count = std::int64_t(triangles.size());
    const auto* triangle = triangles.data();
    if (ascii) {
        write_records(file, count, 2 + 3 * kMaxIndexChars, [&](std::int64_t i, char* out) {
            *out++ = '3';
            for (std::uint32_t index : triangle[i]) {
                *out++ = ' ';
                out = put_index(out, index);
            }
            *out++ = '\n';
            return out;
        });
        return;
    }
    write_records(file, count, 13, [&](std::int64_t i, char* out) {
        *out++ = 3;
        for (std::uint32_t index : triangle[i])
            out = put_le(out, std::int32_t(index));
        return out;
    });
}

// --- STL ---

/// The unit normal of a triangle (right-hand rule), or zero when it is degenerate.
Vec3 facet_normal(const Vec3& a, const Vec3& b, const Vec3& c) {
    const double u[3] = {double(b[0]) - a[0], double(b[1]) - a[1], double(b[2]) - a[2]};
    const double v[3] = {double(c[0]) - a[0], double(c[1]) - a[1], double(c[2]) - a[2]};
    const double n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2],
                         u[0] * v[1] - u[1] * v[0]};
    const double length = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    if (!(length > 0.0) || !std::isfinite(length)) return {0.0f, 0.0f, 0.0f};
    return {float(n[0] / length), float(n[1] / length), float(n[2] / length)};
}

void write_stl(io::AtomicFile& file, const Mesh& mesh) {
    // A header starting with "solid" would make readers take the file for ASCII STL.
    std::array<char, 80> header{};
    std::string text = "voxscope binary STL";
    if (!mesh.unit.empty()) text += ", unit " + one_line(mesh.unit);
    std::memcpy(header.data(), text.data(), std::min(text.size(), header.size()));
    file.write(header.data(), std::int64_t(header.size()));
    char count[4];
    put_le(count, std::uint32_t(mesh.triangles.size()));
    file.write(count, 4);

    const Vec3* position = mesh.positions.data();
    const auto* triangle = mesh.triangles.data();
    write_records(file, std::int64_t(mesh.triangles.size()), 50, [&](std::int64_t i, char* out) {
        const Vec3& a = position[triangle[i][0]];
        const Vec3& b = position[triangle[i][1]];
        const Vec3& c = position[triangle[i][2]];
        for (float value : facet_normal(a, b, c))
            out = put_le(out, value);
        for (const Vec3* vertex : {&a, &b, &c}) {
            for (float value : *vertex)
                out = put_le(out, value);
        }
        return put_le(out, std::uint16_t(0));
    });
}

// --- OBJ ---

void write_obj_vertices(io::AtomicFile& file, const MeshArray<Vec3>& positions,
                        const MeshArray<Vec3>& normals, const MeshArray<Rgb>& colors,
                        const VertexLayout& layout) {
    const std::int64_t count = std::int64_t(positions.size());
    const Vec3* position = positions.data();
    const Vec3* normal = normals.data();
    const Rgb* color = colors.data();
    const std::size_t max_bytes = 2 + 3 * kMaxFloatChars + (layout.colors ? 3 * kMaxFloatChars : 0);
    write_records(file, count, max_bytes, [&](std::int64_t i, char* out) {
        out = put_text(out, "v");
        for (float value : position[i]) {
            *out++ = ' ';
            out = put_float(out, value);
        }
        if (layout.colors) {
            for (std::uint8_t value : color[i]) {
                *out++ = ' ';
                out = put_float(out, float(value) / 255.0f);
            }
        }
        *out++ = '\n';
        return out;
    });
    if (!layout.normals) return;
    write_records(file, count, 3 + 3 * kMaxFloatChars, [&](std::int64_t i, char* out) {
        out = put_text(out, "vn");
        for (float value : normal[i]) {
            *out++ = ' ';
            out = put_float(out, value);
        }
        *out++ = '\n';
        return out;
    });
}

void write_obj_faces(io::AtomicFile& file, const Mesh& mesh, bool normals) {
    const auto* triangle = mesh.triangles.data();
    const std::int64_t count = std::int64_t(mesh.triangles.size());
    if (normals) {
        write_records(file, count, 2 + 3 * (2 * kMaxIndexChars + 2),
                      [&](std::int64_t i, char* out) {
                          *out++ = 'f';
                          for (std::uint32_t index : triangle[i]) {
                              *out++ = ' ';
                              out = put_index(out, std::uint64_t(index) + 1);
                              out = put_text(out, "//");
                              out = put_index(out, std::uint64_t(index) + 1);
                          }
                          *out++ = '\n';
                          return out;
                      });
        return;
    }
    write_records(file, count, 2 + 3 * kMaxIndexChars, [&](std::int64_t i, char* out) {
        *out++ = 'f';
        for (std::uint32_t index : triangle[i]) {
            *out++ = ' ';
            out = put_index(out, std::uint64_t(index) + 1);
        }
        *out++ = '\n';
        return out;
    });
}

std::string obj_header(const std::string& unit) {
    std::string header = "# voxscope\n";
    if (!unit.empty()) header += "# unit " + one_line(unit) + "\n";
    return header;
}

}  // namespace

MeshFormat mesh_format_of(std::string_view path) {
    if (io::has_extension(path, ".ply")) return MeshFormat::ply;
    if (io::has_extension(path, ".stl")) return MeshFormat::stl;
    if (io::has_extension(path, ".obj")) return MeshFormat::obj;
    throw ValueError(fmt::format("'{}': unknown mesh extension (use .ply, .stl or .obj)", path));
}

void write_mesh(const std::string& path, const Mesh& mesh, const MeshWriteOptions& options) {
    const MeshFormat format = mesh_format_of(path);
    const std::size_t vertices = mesh.positions.size();
    check_per_vertex(path, mesh.normals, vertices, "normals");
    check_per_vertex(path, mesh.colors, vertices, "colours");
    check_triangles(path, mesh);
    if (format == MeshFormat::ply &&
        vertices > std::size_t(std::numeric_limits<std::int32_t>::max()) + 1) {
        throw ValueError(fmt::format(
            "cannot write '{}': {} vertices, more than a PLY int index can reach", path, vertices));
    }
    if (format == MeshFormat::stl &&
        mesh.triangles.size() > std::numeric_limits<std::uint32_t>::max()) {
        throw ValueError(fmt::format("cannot write '{}': {} triangles, more than STL can hold",
                                     path, mesh.triangles.size()));
    }
    const VertexLayout layout{options.normals && !mesh.normals.empty(),
                              options.colors && !mesh.colors.empty()};

    io::AtomicFile file(path);
    switch (format) {
        case MeshFormat::ply: {
            const std::size_t faces = mesh.triangles.size();
            file.write(ply_header(options.ascii, mesh.unit, vertices, layout, &faces));
            write_ply_vertices(file, options.ascii, mesh.positions, mesh.normals, mesh.colors,
                               layout);
            write_ply_faces(file, options.ascii, mesh.triangles);
            break;
        }
        case MeshFormat::stl:
            write_stl(file, mesh);
            break;
        case MeshFormat::obj:
            file.write(obj_header(mesh.unit));
            write_obj_vertices(file, mesh.positions, mesh.normals, mesh.colors, layout);
            write_obj_faces(file, mesh, layout.normals);
            break;
    }
    file.commit();
}

void write_points(const std::string& path, const PointCloud& points,
                  const MeshWriteOptions& options) {
    const MeshFormat format = mesh_format_of(path);
    if (format == MeshFormat::stl) {
        throw ValueError(fmt::format(
            "cannot write '{}': STL holds triangles, not points (use .ply or .obj)", path));
    }
    const std::size_t vertices = points.positions.size();
    check_per_vertex(path, points.normals, vertices, "normals");
    check_per_vertex(path, points.colors, vertices, "colours");
    const VertexLayout layout{options.normals && !points.normals.empty(),
                              options.colors && !points.colors.empty()};

    io::AtomicFile file(path);
    if (format == MeshFormat::ply) {
        file.write(ply_header(options.ascii, points.unit, vertices, layout, nullptr));
        write_ply_vertices(file, options.ascii, points.positions, points.normals, points.colors,
                           layout);
    } else {
        // OBJ points are "v" lines only: a "vn" line means nothing without a face.
        file.write(obj_header(points.unit));
        write_obj_vertices(file, points.positions, points.normals, points.colors,
                           VertexLayout{false, layout.colors});
    }
    file.commit();
}

}  // namespace vox
