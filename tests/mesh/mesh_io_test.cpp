// Unit tests of the mesh writers (mesh.h: write_mesh, write_points, mesh_format_of): the
// files are read back byte by byte, and failed writes leave the target untouched.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"
#include "vox/error.h"
#include "vox/mesh.h"
#include "vox/parallel.h"

namespace vox {
namespace {

namespace fs = std::filesystem;

class MeshIoTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_folder = fs::temp_directory_path() /
                   ("vox_mesh_io_test_" + std::to_string(::getpid()) + "_" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(m_folder);
    }
    void TearDown() override { fs::remove_all(m_folder); }
    std::string path(const std::string& name) const { return (m_folder / name).string(); }
    /// The names of the files in the test folder (to catch left-over temporary files).
    std::vector<std::string> files() const {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(m_folder))
            names.push_back(entry.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }

    fs::path m_folder;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

template <typename T>
T load_le(const std::string& bytes, std::size_t offset) {
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));  // tests run on little-endian hosts
    return value;
}

std::string shortest(float value) {
    char text[32];
    return std::string(text, std::to_chars(text, text + sizeof(text), value).ptr);
}

/// A closed octahedron with outward windings, unit normals and one colour per vertex.
Mesh octahedron() {
    Mesh mesh;
    mesh.positions = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
    mesh.normals = mesh.positions;
    mesh.colors = {{255, 0, 0},   {0, 255, 0}, {0, 0, 255},
                   {128, 64, 32}, {1, 2, 3},   {200, 150, 100}};
    mesh.triangles = {{0, 2, 4}, {2, 1, 4}, {1, 3, 4}, {3, 0, 4},
                      {2, 0, 5}, {1, 2, 5}, {3, 1, 5}, {0, 3, 5}};
    mesh.unit = "mm";
    return mesh;
}

TEST(MeshFormat, ByExtension) {
    EXPECT_EQ(mesh_format_of("a.ply"), MeshFormat::ply);
    EXPECT_EQ(mesh_format_of("dir/A.PLY"), MeshFormat::ply);
    EXPECT_EQ(mesh_format_of("b.Stl"), MeshFormat::stl);
    EXPECT_EQ(mesh_format_of("c.obj"), MeshFormat::obj);
    VOX_EXPECT_THROW_MSG(mesh_format_of("out.xyz"), ValueError,
                         "'out.xyz': unknown mesh extension (use .ply, .stl or .obj)");
    VOX_EXPECT_THROW_MSG(mesh_format_of("ply"), ValueError,
                         "'ply': unknown mesh extension (use .ply, .stl or .obj)");
}

TEST_F(MeshIoTest, BinaryPlyHeaderAndPayload) {
    const Mesh mesh = octahedron();
    write_mesh(path("m.ply"), mesh);
    const std::string bytes = read_file(path("m.ply"));
    const std::string header =
        "ply\nformat binary_little_endian 1.0\ncomment voxscope\ncomment unit mm\n"
        "element vertex 6\nproperty float x\nproperty float y\nproperty float z\n"
        "property float nx\nproperty float ny\nproperty float nz\n"
        "property uchar red\nproperty uchar green\nproperty uchar blue\n"
        "element face 8\nproperty list uchar int vertex_indices\nend_header\n";
    ASSERT_EQ(bytes.substr(0, header.size()), header);
    ASSERT_EQ(bytes.size(), header.size() + 6 * 27 + 8 * 13);
    std::size_t at = header.size();
    for (std::size_t v = 0; v < 6; ++v, at += 27) {
        for (std::size_t k = 0; k < 3; ++k) {
            EXPECT_EQ(load_le<float>(bytes, at + 4 * k), mesh.positions[v][k]);
            EXPECT_EQ(load_le<float>(bytes, at + 12 + 4 * k), mesh.normals[v][k]);
            EXPECT_EQ(std::uint8_t(bytes[at + 24 + k]), mesh.colors[v][k]);
        }
    }
    for (std::size_t t = 0; t < 8; ++t, at += 13) {
        EXPECT_EQ(bytes[at], 3);
        for (std::size_t k = 0; k < 3; ++k)
            EXPECT_EQ(load_le<std::int32_t>(bytes, at + 1 + 4 * k),
                      std::int32_t(mesh.triangles[t][k]));
    }
    EXPECT_EQ(files(), std::vector<std::string>{"m.ply"});
}

TEST_F(MeshIoTest, BinaryPlyOptionsDropNormalsAndColours) {
    Mesh mesh = octahedron();
    mesh.unit.clear();
    MeshWriteOptions options;
    options.normals = false;
    options.colors = false;
    write_mesh(path("m.ply"), mesh, options);
    const std::string bytes = read_file(path("m.ply"));
    const std::string header =
        "ply\nformat binary_little_endian 1.0\ncomment voxscope\n"
        "element vertex 6\nproperty float x\nproperty float y\nproperty float z\n"
        "element face 8\nproperty list uchar int vertex_indices\nend_header\n";
    ASSERT_EQ(bytes.substr(0, header.size()), header);
    ASSERT_EQ(bytes.size(), header.size() + 6 * 12 + 8 * 13);
    EXPECT_EQ(load_le<float>(bytes, header.size() + 12 * 5 + 8), -1.0f);
}

TEST_F(MeshIoTest, AsciiPlyRoundTripsFloatsExactly) {
    Mesh mesh;
    const std::vector<float> awkward = {0.1f,        1.0f / 3.0f, -2.5e-7f,   3.4028235e38f,
                                        1.0e-45f,    -0.0f,       123456.79f, 16777216.0f,
                                        0.30000001f, 1e10f,       -7.0f,      2.0f / 3.0f};
    for (std::size_t i = 0; i + 2 < awkward.size(); i += 3)
        mesh.positions.push_back({awkward[i], awkward[i + 1], awkward[i + 2]});
    mesh.normals = {{0, 0, 1}, {0.6f, 0.8f, 0}, {1, 0, 0}, {0, -1, 0}};
    mesh.colors = {{0, 127, 255}, {1, 2, 3}, {9, 10, 99}, {100, 200, 250}};
    mesh.triangles = {{0, 1, 2}, {3, 2, 1}};
    MeshWriteOptions options;
    options.ascii = true;
    write_mesh(path("a.ply"), mesh, options);
    const std::vector<std::string> lines = lines_of(read_file(path("a.ply")));
    ASSERT_EQ(lines.size(), 22u);
    EXPECT_EQ(lines[1], "format ascii 1.0");
    EXPECT_EQ(lines[12], "property uchar blue");
    EXPECT_EQ(lines[13], "element face 2");
    EXPECT_EQ(lines[15], "end_header");
    for (std::size_t v = 0; v < 4; ++v) {
        std::string expected;
        for (float value : mesh.positions[v])
            expected += shortest(value) + " ";
        for (float value : mesh.normals[v])
            expected += shortest(value) + " ";
        for (std::uint8_t value : mesh.colors[v])
            expected += std::to_string(value) + " ";
        expected.pop_back();
        EXPECT_EQ(lines[16 + v], expected);
        // Every token reads back as the very same float.
        std::istringstream tokens(lines[16 + v]);
        for (std::size_t k = 0; k < 6; ++k) {
            std::string token;
            tokens >> token;
            float parsed = 0;
            std::from_chars(token.data(), token.data() + token.size(), parsed);
            const float original = k < 3 ? mesh.positions[v][k] : mesh.normals[v][k - 3];
            EXPECT_EQ(std::memcmp(&parsed, &original, 4), 0) << token;
        }
    }
    EXPECT_EQ(lines[16], "0.1 0.33333334 -2.5e-07 0 0 1 0 127 255");
    EXPECT_EQ(lines[17], "3.4028235e+38 1e-45 -0 0.6 0.8 0 1 2 3");
    EXPECT_EQ(lines[20], "3 0 1 2");
    EXPECT_EQ(lines[21], "3 3 2 1");
}

TEST_F(MeshIoTest, StlCountsAndFacetNormals) {
    Mesh mesh = octahedron();
    mesh.positions.push_back({2, 2, 2});
    mesh.normals.push_back({0, 0, 1});
    mesh.colors.push_back({0, 0, 0});
    mesh.triangles.push_back({6, 6, 0});  // degenerate: its normal is zero
    write_mesh(path("m.stl"), mesh);
    const std::string bytes = read_file(path("m.stl"));
    ASSERT_EQ(bytes.size(), 84u + 9 * 50);
    EXPECT_EQ(bytes.substr(0, 8), "voxscope");
    EXPECT_NE(bytes.substr(0, 80).find("unit mm"), std::string::npos);
    EXPECT_EQ(load_le<std::uint32_t>(bytes, 80), 9u);
    for (std::size_t t = 0; t < 9; ++t) {
        const std::size_t at = 84 + 50 * t;
        std::array<float, 3> normal{};
        std::array<float, 3> centroid{};
        for (std::size_t k = 0; k < 3; ++k) {
            normal[k] = load_le<float>(bytes, at + 4 * k);
            for (std::size_t corner = 0; corner < 3; ++corner) {
                const float value = load_le<float>(bytes, at + 12 + 12 * corner + 4 * k);
                EXPECT_EQ(value, mesh.positions[mesh.triangles[t][corner]][k]);
                centroid[k] += value / 3.0f;
            }
        }
        EXPECT_EQ(load_le<std::uint16_t>(bytes, at + 48), 0u);
        if (t == 8) {
            EXPECT_EQ(normal, (std::array<float, 3>{0, 0, 0}));
            continue;
        }
        // An octahedron face's outward normal is its centroid direction, (±1, ±1, ±1)/√3.
        const float inverse_sqrt3 = 1.0f / std::sqrt(3.0f);
        for (std::size_t k = 0; k < 3; ++k) {
            EXPECT_NEAR(normal[k], std::copysign(inverse_sqrt3, centroid[k]), 1e-6f);
        }
    }
}

TEST_F(MeshIoTest, ObjLinesWithAndWithoutNormals) {
    Mesh mesh;
    mesh.positions = {{0, 0, 0}, {1.5f, 0, 0}, {0, 0.1f, -2}};
    mesh.normals = {{0, 0, 1}, {0, 0, 1}, {0, 0, 1}};
    mesh.triangles = {{0, 1, 2}};
    mesh.unit = "µm";
    write_mesh(path("n.obj"), mesh);
    EXPECT_EQ(read_file(path("n.obj")),
              "# voxscope\n# unit µm\nv 0 0 0\nv 1.5 0 0\nv 0 0.1 -2\n"
              "vn 0 0 1\nvn 0 0 1\nvn 0 0 1\nf 1//1 2//2 3//3\n");
    MeshWriteOptions options;
    options.normals = false;
    mesh.colors = {{255, 0, 128}, {0, 0, 0}, {51, 102, 204}};
    write_mesh(path("c.obj"), mesh, options);
    EXPECT_EQ(read_file(path("c.obj")), "# voxscope\n# unit µm\nv 0 0 0 1 0 " +
                                            shortest(128.0f / 255.0f) +
                                            "\nv 1.5 0 0 0 0 0\nv 0 0.1 -2 0.2 0.4 0.8\nf 1 2 3\n");
}

TEST_F(MeshIoTest, PointsPlyObjAndStl) {
    PointCloud points;
    points.positions = {{1, 2, 3}, {-4, 5.25f, 6}};
    points.normals = {{1, 0, 0}, {0, 1, 0}};
    points.colors = {{10, 20, 30}, {40, 50, 60}};
    write_points(path("p.ply"), points);
    const std::string bytes = read_file(path("p.ply"));
    const std::string header =
        "ply\nformat binary_little_endian 1.0\ncomment voxscope\n"
        "element vertex 2\nproperty float x\nproperty float y\nproperty float z\n"
        "property float nx\nproperty float ny\nproperty float nz\n"
        "property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n";
    ASSERT_EQ(bytes.substr(0, header.size()), header);
    ASSERT_EQ(bytes.size(), header.size() + 2 * 27);
    EXPECT_EQ(load_le<float>(bytes, header.size() + 27 + 4), 5.25f);
    EXPECT_EQ(load_le<float>(bytes, header.size() + 27 + 16), 1.0f);
    EXPECT_EQ(std::uint8_t(bytes[header.size() + 27 + 26]), 60);

    MeshWriteOptions ascii;
    ascii.ascii = true;
    write_points(path("a.ply"), points, ascii);
    const std::vector<std::string> lines = lines_of(read_file(path("a.ply")));
    ASSERT_EQ(lines.size(), 16u);
    EXPECT_EQ(lines[13], "end_header");
    EXPECT_EQ(lines[15], "-4 5.25 6 0 1 0 40 50 60");

    write_points(path("p.obj"), points);
    EXPECT_EQ(read_file(path("p.obj")),
              "# voxscope\nv 1 2 3 " + shortest(10.0f / 255.0f) + " " + shortest(20.0f / 255.0f) +
                  " " + shortest(30.0f / 255.0f) + "\nv -4 5.25 6 " + shortest(40.0f / 255.0f) +
                  " " + shortest(50.0f / 255.0f) + " " + shortest(60.0f / 255.0f) + "\n");

    VOX_EXPECT_THROW_MSG(
        write_points(path("p.stl"), points), ValueError,
        "cannot write '" + path("p.stl") + "': STL holds triangles, not points (use .ply or .obj)");
    EXPECT_FALSE(fs::exists(path("p.stl")));
}

TEST_F(MeshIoTest, ManyChunksKeepTheirOrder) {
    // More records than one batch of chunks, so the writer loops over several batches.
    PointCloud points;
    const std::size_t count = 800000;
    points.positions.resize(count);
    for (std::size_t i = 0; i < count; ++i)
        points.positions[i] = {float(i), float(i) * 0.5f, -float(i % 1000) / 7.0f};
    MeshWriteOptions ascii;
    ascii.ascii = true;
    write_points(path("big.ply"), points, ascii);
    const std::string text = read_file(path("big.ply"));
    const std::size_t body = text.find("end_header\n") + 11;
    const char* at = text.data() + body;
    const char* end = text.data() + text.size();
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < count; ++i) {
        for (std::size_t k = 0; k < 3; ++k) {
            float value = 0;
            const auto result = std::from_chars(at, end, value);
            mismatches += result.ec != std::errc() || value != points.positions[i][k];
            at = result.ptr + 1;  // the space or the line break
        }
    }
    EXPECT_EQ(mismatches, 0u);
    EXPECT_EQ(at, end);

    write_points(path("big_binary.ply"), points);
    const std::string bytes = read_file(path("big_binary.ply"));
    const std::size_t payload = bytes.find("end_header\n") + 11;
    ASSERT_EQ(bytes.size(), payload + count * 12);
    mismatches = 0;
    for (std::size_t i = 0; i < count; ++i) {
        mismatches += std::memcmp(bytes.data() + payload + 12 * i, points.positions[i].data(), 12);
    }
    EXPECT_EQ(mismatches, 0u);
}

TEST_F(MeshIoTest, ErrorsComeBeforeTheFileIsCreated) {
    Mesh mesh = octahedron();
    mesh.triangles[5] = {1, 6, 2};
    mesh.triangles[7] = {9, 0, 0};
    VOX_EXPECT_THROW_MSG(write_mesh(path("m.ply"), mesh), ValueError,
                         "cannot write '" + path("m.ply") +
                             "': triangle 5 has vertex index 6 but the mesh has 6 vertices");

    mesh = octahedron();
    mesh.normals.pop_back();
    VOX_EXPECT_THROW_MSG(
        write_mesh(path("m.obj"), mesh), ValueError,
        "cannot write '" + path("m.obj") + "': 5 normals for 6 vertices (need 0 or 6)");
    mesh = octahedron();
    mesh.colors.push_back({0, 0, 0});
    VOX_EXPECT_THROW_MSG(
        write_mesh(path("m.stl"), mesh), ValueError,
        "cannot write '" + path("m.stl") + "': 7 colours for 6 vertices (need 0 or 6)");
    PointCloud points;
    points.positions = {{0, 0, 0}};
    points.normals = {{0, 0, 1}, {0, 0, 1}};
    VOX_EXPECT_THROW_MSG(
        write_points(path("p.ply"), points), ValueError,
        "cannot write '" + path("p.ply") + "': 2 normals for 1 vertices (need 0 or 1)");
    VOX_EXPECT_THROW_MSG(
        write_mesh(path("out.xyz"), octahedron()), ValueError,
        "'" + path("out.xyz") + "': unknown mesh extension (use .ply, .stl or .obj)");
    EXPECT_TRUE(files().empty());
}

TEST_F(MeshIoTest, FailedWriteLeavesTheTargetUntouched) {
    write_text(path("m.ply"), "old content");
    Mesh bad = octahedron();
    bad.triangles[0] = {0, 1, 100};
    EXPECT_THROW(write_mesh(path("m.ply"), bad), ValueError);
    EXPECT_EQ(read_file(path("m.ply")), "old content");

    // An interrupt stops the writer after the header: the temporary file goes away.
    request_interrupt();
    EXPECT_THROW(write_mesh(path("m.ply"), octahedron()), Interrupted);
    clear_interrupt();
    EXPECT_EQ(read_file(path("m.ply")), "old content");
    EXPECT_EQ(files(), std::vector<std::string>{"m.ply"});

    // A good write replaces the target and leaves nothing else behind.
    write_mesh(path("m.ply"), octahedron());
    EXPECT_EQ(read_file(path("m.ply")).substr(0, 4), "ply\n");
    EXPECT_EQ(files(), std::vector<std::string>{"m.ply"});
}

TEST_F(MeshIoTest, MissingFolderIsAnIoErrorNamingThePath) {
    const std::string target = path("missing/out.ply");
    VOX_EXPECT_THROW_MSG(write_mesh(target, octahedron()), IoError,
                         "cannot write '" + target + "': No such file or directory");
    PointCloud points;
    points.positions = {{0, 0, 0}};
    VOX_EXPECT_THROW_MSG(write_points(path("missing/p.obj"), points), IoError,
                         "cannot write '" + path("missing/p.obj") + "': No such file or directory");
}

TEST_F(MeshIoTest, EmptyMeshIsAValidFile) {
    write_mesh(path("e.ply"), Mesh{});
    EXPECT_NE(read_file(path("e.ply")).find("element vertex 0\n"), std::string::npos);
    write_mesh(path("e.stl"), Mesh{});
    EXPECT_EQ(read_file(path("e.stl")).size(), 84u);
    write_mesh(path("e.obj"), Mesh{});
    EXPECT_EQ(read_file(path("e.obj")), "# voxscope\n");
}

}  // namespace
}  // namespace vox
