// voxscope: marching cubes (isosurface.h).
//
// Lorensen & Cline, "Marching cubes: a high resolution 3D surface construction algorithm"
// (SIGGRAPH 1987), organised like Schroeder et al.'s flying edges (2015): the voxels are
// classified once into bit rows, edge crossings are counted per row so that every vertex and
// triangle gets its final index before any is written, and the writing pass is then
// embarrassingly parallel with no welding. Crossings and active cells are found with word
// operations on the bit rows (popcount, count-trailing-zeros), so the empty parts of a volume
// cost a few instructions per 64 voxels.
#include "vox/isosurface.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <type_traits>

#include <sys/mman.h>

#include <fmt/format.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "vox/display.h"
#include "vox/error.h"
#include "vox/parallel.h"

namespace vox {
namespace {

// ---------------------------------------------------------------------------------------
// The case table, derived rather than typed in.
//
// Corner i of a cell is at offset (i & 1, (i >> 1) & 1, (i >> 2) & 1) in (x, y, z). Edges:
// x-edges 0..3 (index y + 2z), y-edges 4..7 (x + 2z), z-edges 8..11 (x + 2y). For each of the
// 256 inside/outside patterns, every face contributes segments between its crossed edges,
// walked counterclockwise seen from outside the cell, from an edge entering the inside to one
// leaving it. A face with two diagonal inside corners is ambiguous: its inside corners are
// joined through the face or kept apart as the bilinear interpolant on the face says
// (Nielson & Hamann's asymptotic decider, 1991, as scikit-image's Lewiner method decides
// faces). That depends on the face's four values alone, so the two cells sharing a face
// always agree and the surface has no holes. Every crossed edge enters on exactly one of its
// two faces, so the segments chain into closed loops, each a polygon wound with its normal
// pointing outward (from values above the level to values below), which is fanned into
// triangles. The table holds every pattern under every choice for its ambiguous faces.

constexpr int kMaxTriangles = 12;

struct CaseTable {
    // Indexed by pattern * 64 + the ambiguous faces whose inside corners are joined.
    std::array<std::uint8_t, 256 * 64> triangle_count{};
    std::array<std::array<std::uint8_t, 3 * kMaxTriangles>, 256 * 64> edges{};
    // Loops that no fan can triangulate without a diagonal in a face get a vertex at their
    // centre (local index 12 + k), as Lewiner's method does: the neighbour across that face
    // might draw the same diagonal, making an edge of four triangles.
    std::array<std::uint8_t, 256 * 64> centre_count{};
    std::array<std::array<std::uint16_t, 4>, 256 * 64> centre_loops{};  // each centre's edges
    std::array<std::uint16_t, 256> edge_mask{};       // the crossed edges of each pattern
    std::array<std::uint8_t, 256> ambiguous_faces{};  // faces with diagonal inside corners
};

int edge_between(int a, int b) {
    const int axis_bit = a ^ b;
    const int x = a & 1, y = (a >> 1) & 1, z = (a >> 2) & 1;
    if (axis_bit == 1) return y + 2 * z;
    if (axis_bit == 2) return 4 + x + 2 * z;
    return 8 + x + 2 * y;
}

// The faces: the normal axis, the side, and axes u, v with u x v along the outward normal.
struct Face {
    int normal_axis, side, u, v;
};
constexpr std::array<Face, 6> kFaces{
    {{0, 1, 1, 2}, {0, 0, 2, 1}, {1, 1, 2, 0}, {1, 0, 0, 2}, {2, 1, 0, 1}, {2, 0, 1, 0}}};

constexpr std::array<int, 4> face_corners(const Face& face) {
    constexpr int kUv[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};  // counterclockwise
    std::array<int, 4> corners{};
    for (int k = 0; k < 4; ++k) {
        corners[k] =
            (face.side << face.normal_axis) | (kUv[k][0] << face.u) | (kUv[k][1] << face.v);
    }
    return corners;
}

constexpr std::array<std::array<int, 4>, 6> kFaceCorners{
    face_corners(kFaces[0]), face_corners(kFaces[1]), face_corners(kFaces[2]),
    face_corners(kFaces[3]), face_corners(kFaces[4]), face_corners(kFaces[5])};

// The faces an edge lies on, as a bit set.
int faces_of_edge(int edge) {
    int faces = 0;
    for (int f = 0; f < 6; ++f) {
        const std::array<int, 4> c = face_corners(kFaces[f]);
        for (int k = 0; k < 4; ++k) {
            if (edge_between(c[k], c[(k + 1) % 4]) == edge) faces |= 1 << f;
        }
    }
    return faces;
}

// Fills the table entry of `pattern` with the ambiguous faces in `joined` joining their
// inside corners.
void build_entry(CaseTable& table, int pattern, int joined, const std::array<int, 12>& edge_faces) {
    std::array<int, 12> next;
    next.fill(-1);
    for (int f = 0; f < 6; ++f) {
        const std::array<int, 4> c = face_corners(kFaces[f]);
        int crossed[4], entering[4], count = 0;
        for (int k = 0; k < 4; ++k) {
            const bool inside = (pattern >> c[k]) & 1;
            const bool inside_next = (pattern >> c[(k + 1) % 4]) & 1;
            if (inside == inside_next) continue;
            crossed[count] = edge_between(c[k], c[(k + 1) % 4]);
            entering[count] = !inside;
            ++count;
        }
        // Each entering edge goes to the next leaving edge counterclockwise (cutting off an
        // inside corner), or to the previous one when the inside corners are joined.
        const int direction = (joined >> f) & 1 ? count - 1 : 1;
        for (int j = 0; j < count; ++j) {
            if (!entering[j]) continue;
            for (int step = 1; step < count; ++step) {
                const int k = (j + step * direction) % count;
                if (!entering[k]) {
                    next[crossed[j]] = crossed[k];
                    break;
                }
            }
        }
    }
    const int entry = pattern * 64 + joined;
    int triangles = 0;
    std::array<bool, 12> visited{};
    for (int start = 0; start < 12; ++start) {
        if (next[start] < 0 || visited[start]) continue;
        int loop[12], size = 0;
        for (int e = start; !visited[e]; e = next[e]) {
            visited[e] = true;
            loop[size++] = e;
        }
        // Fan from a vertex none of whose diagonals joins two edges of one face: such a
        // diagonal lies in that face, where the neighbouring cell might draw it too.
        int best = -1;
        for (int s = 0; s < size && best < 0; ++s) {
            bool shared = false;
            for (int j = 2; j + 1 < size; ++j)
                shared |= (edge_faces[loop[s]] & edge_faces[loop[(s + j) % size]]) != 0;
            if (!shared) best = s;
        }
        if (best < 0) {
            const int centre = table.centre_count[entry]++;
            std::uint16_t edges = 0;
            for (int j = 0; j < size; ++j) {
                edges |= std::uint16_t(1u << loop[j]);
                std::uint8_t* t = &table.edges[entry][3 * triangles++];
                t[0] = std::uint8_t(12 + centre);
                t[1] = std::uint8_t(loop[j]);
                t[2] = std::uint8_t(loop[(j + 1) % size]);
            }
            table.centre_loops[entry][centre] = edges;
            continue;
        }
        for (int j = 1; j + 1 < size; ++j) {
            std::uint8_t* t = &table.edges[entry][3 * triangles++];
            t[0] = std::uint8_t(loop[best]);
            t[1] = std::uint8_t(loop[(best + j) % size]);
            t[2] = std::uint8_t(loop[(best + j + 1) % size]);
        }
    }
    table.triangle_count[entry] = std::uint8_t(triangles);
}

CaseTable build_case_table() {
    CaseTable table;
    std::array<int, 12> edge_faces{};
    for (int e = 0; e < 12; ++e)
        edge_faces[e] = faces_of_edge(e);
    for (int pattern = 0; pattern < 256; ++pattern) {
        for (int e = 0; e < 12; ++e) {
            const int a = e < 4   ? ((e & 1) << 1) | ((e >> 1) << 2)
                          : e < 8 ? (e & 1) | (((e - 4) >> 1) << 2)
                                  : (e & 1) | (((e - 8) >> 1) << 1);
            const int b = a | (e < 4 ? 1 : e < 8 ? 2 : 4);
            if (((pattern >> a) & 1) != ((pattern >> b) & 1))
                table.edge_mask[pattern] |= std::uint16_t(1u << e);
        }
        for (int f = 0; f < 6; ++f) {
            const std::array<int, 4> c = face_corners(kFaces[f]);
            const int in[4] = {(pattern >> c[0]) & 1, (pattern >> c[1]) & 1, (pattern >> c[2]) & 1,
                               (pattern >> c[3]) & 1};
            if (in[0] == in[2] && in[1] == in[3] && in[0] != in[1])
                table.ambiguous_faces[pattern] |= std::uint8_t(1 << f);
        }
        for (int joined = 0; joined < 64; ++joined) {
            if ((joined & ~table.ambiguous_faces[pattern]) == 0)
                build_entry(table, pattern, joined, edge_faces);
        }
    }
    return table;
}

const CaseTable& case_table() {
    static const CaseTable table = build_case_table();
    return table;
}

// ---------------------------------------------------------------------------------------
// Bit rows.

using Word = std::uint64_t;

Word shifted_down(const Word* row, std::int64_t w, std::int64_t words) {
    return (row[w] >> 1) | (w + 1 < words ? row[w + 1] << 63 : 0);
}

// Clears the bits at and above `bits` in a row of `words` words.
void clear_tail(Word* row, std::int64_t words, std::int64_t bits) {
    for (std::int64_t w = 0; w < words; ++w) {
        const std::int64_t first = w * 64;
        if (first >= bits) {
            row[w] = 0;
        } else if (bits - first < 64) {
            row[w] &= (Word(1) << (bits - first)) - 1;
        }
    }
}

// A row of edge crossings with the crossings before each word, so that an edge's rank in its
// row (and hence its vertex index) costs one popcount.
struct EdgeRow {
    const Word* bits = nullptr;
    const std::int32_t* before = nullptr;
    std::int64_t base = 0;

    std::int64_t index(std::int64_t x) const {
        const Word below = bits[x >> 6] & ((Word(1) << (x & 63)) - 1);
        return base + before[x >> 6] + std::popcount(below);
    }
};

std::int32_t fill_prefix(const Word* bits, std::int64_t words, std::int32_t* before) {
    std::int32_t total = 0;
    for (std::int64_t w = 0; w < words; ++w) {
        before[w] = total;
        total += std::popcount(bits[w]);
    }
    return total;
}

// ---------------------------------------------------------------------------------------
// The sampled grid.

template <typename T>
struct Grid {
    const T* origin;
    std::int64_t nz, ny, nx;
    std::int64_t stride_z, stride_y, stride_x;
    bool padded;  // a one-voxel border of padding around the data (close_borders)

    double at(std::int64_t z, std::int64_t y, std::int64_t x) const {
        return double(origin[z * stride_z + y * stride_y + x * stride_x]);
    }
    bool on_border(std::int64_t z, std::int64_t y, std::int64_t x) const {
        return z == 0 || y == 0 || x == 0 || z == nz - 1 || y == ny - 1 || x == nx - 1;
    }
};

// v > level for every value of T, as a comparison in T where T is an integer type.
template <typename T>
struct InsideTest {
    T threshold{};
    bool all = false, none = false;

    explicit InsideTest(double level) {
        if constexpr (std::is_integral_v<T>) {
            const double floor_level = std::floor(level);
            if (!(level == level)) {
                none = true;
            } else if (floor_level < double(std::numeric_limits<T>::lowest())) {
                all = true;
            } else if (floor_level >= double(std::numeric_limits<T>::max())) {
                none = true;
            } else {
                threshold = T(floor_level);
            }
        } else {
            // A level that T cannot hold exactly is compared in double.
            threshold = T(level);
            exact = double(threshold) == level;
        }
    }
    bool exact = true;
};

template <typename T>
void classify_row(const T* row, std::int64_t stride, std::int64_t nx, double level,
                  const InsideTest<T>& test, std::uint8_t* scratch, Word* out, std::int64_t words) {
    const std::int64_t padded = words * 64;
    if (test.all || test.none) {
        std::memset(scratch, test.all ? 1 : 0, std::size_t(nx));
    } else if constexpr (std::is_integral_v<T>) {
        const T threshold = test.threshold;
        if (stride == 1) {
            for (std::int64_t x = 0; x < nx; ++x)
                scratch[x] = row[x] > threshold;
        } else {
            for (std::int64_t x = 0; x < nx; ++x)
                scratch[x] = row[x * stride] > threshold;
        }
    } else {
        if (test.exact && stride == 1) {
            const T threshold = test.threshold;
            for (std::int64_t x = 0; x < nx; ++x)
                scratch[x] = row[x] > threshold;
        } else {
            for (std::int64_t x = 0; x < nx; ++x)
                scratch[x] = double(row[x * stride]) > level;
        }
    }
    std::memset(scratch + nx, 0, std::size_t(padded - nx));
    for (std::int64_t w = 0; w < words; ++w) {
        const std::uint8_t* bytes = scratch + w * 64;
#ifdef __SSE2__
        Word word = 0;
        for (int k = 0; k < 4; ++k) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + 16 * k));
            const __m128i set = _mm_cmpgt_epi8(v, _mm_setzero_si128());
            word |= Word(std::uint16_t(_mm_movemask_epi8(set))) << (16 * k);
        }
        out[w] = word;
#else
        Word word = 0;
        for (int b = 0; b < 64; ++b)
            word |= Word(bytes[b]) << b;
        out[w] = word;
#endif
    }
}

// Which of the eight edge rows of a cell row each local edge uses, and its column offset.
// Rows: 0-3 x-edges of (z,y), (z,y+1), (z+1,y), (z+1,y+1); 4-5 y-edges of planes z, z+1
// (row y); 6-7 z-edges of rows y, y+1 (layer z).
constexpr std::array<std::array<int, 2>, 12> kEdgeRow{{{0, 0},
                                                       {1, 0},
                                                       {2, 0},
                                                       {3, 0},
                                                       {4, 0},
                                                       {4, 1},
                                                       {5, 0},
                                                       {5, 1},
                                                       {6, 0},
                                                       {6, 1},
                                                       {7, 0},
                                                       {7, 1}}};

struct RowCounts {
    std::int32_t x_edges = 0, y_edges = 0, z_edges = 0, centres = 0, triangles = 0;
};

// 1 / sqrt(x) for x > 0: the hardware estimate and one Newton step (relative error ~1e-7),
// several times faster than a square root and a division, which dominated the normals.
inline float inverse_sqrt(float x) {
#ifdef __SSE2__
    const float estimate = _mm_cvtss_f32(_mm_rsqrt_ss(_mm_set_ss(x)));
    return estimate * (1.5f - 0.5f * x * estimate * estimate);
#else
    return 1.0f / std::sqrt(x);
#endif
}

// Resizes a large output array with transparent huge pages requested first: the first touch
// of a fresh 100 MB mesh otherwise costs tens of thousands of page faults.
// MeshArray's resize does not zero: the first touch is the writing pass, on all cores.
template <typename T>
void resize_on_huge_pages(MeshArray<T>& array, std::int64_t size) {
    array.reserve(std::size_t(size));
#ifdef MADV_HUGEPAGE
    constexpr std::uintptr_t kHugePage = std::uintptr_t(1) << 21;
    const auto begin = reinterpret_cast<std::uintptr_t>(array.data());
    const std::uintptr_t end = begin + std::uintptr_t(size) * sizeof(T);
    const std::uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
    const std::uintptr_t last = end & ~(kHugePage - 1);
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
    array.resize(std::size_t(size));
}

class Extractor {
public:
    template <typename T>
    static Mesh run(const Grid<T>& grid, double level, const std::array<double, 3>& spacing_zyx,
                    bool normals);
};

template <typename T>
Mesh Extractor::run(const Grid<T>& grid, double level, const std::array<double, 3>& spacing_zyx,
                    bool want_normals) {
    const CaseTable& table = case_table();
    const std::int64_t nz = grid.nz, ny = grid.ny, nx = grid.nx;
    const std::int64_t words = (nx + 63) / 64;
    const std::int64_t rows = nz * ny;

    // Pass 1: classify every voxel into bit rows.
    std::vector<Word> bits(std::size_t(rows * words));
    const InsideTest<T> test(level);
    parallel_for(0, nz, 1, [&](std::int64_t z0, std::int64_t z1) {
        std::vector<std::uint8_t> scratch(std::size_t(words * 64));
        for (std::int64_t z = z0; z < z1; ++z) {
            for (std::int64_t y = 0; y < ny; ++y) {
                const T* row = grid.origin + z * grid.stride_z + y * grid.stride_y;
                classify_row(row, grid.stride_x, nx, level, test, scratch.data(),
                             &bits[std::size_t((z * ny + y) * words)], words);
            }
        }
    });
    const auto bit_row = [&](std::int64_t z, std::int64_t y) {
        return &bits[std::size_t((z * ny + y) * words)];
    };

    // The edge rows of one cell row, built in per-thread scratch.
    struct CellRow {
        std::vector<Word> storage;
        std::vector<std::int32_t> prefix;
        std::vector<Word> active;
        Word* row(int r, std::int64_t words) { return storage.data() + r * words; }
    };
    const auto build_cell_row = [&](CellRow& cell, std::int64_t z, std::int64_t y) {
        cell.storage.resize(std::size_t(8 * words));
        cell.prefix.resize(std::size_t(8 * words));
        cell.active.resize(std::size_t(words));
        const bool has_y1 = y + 1 < ny, has_z1 = z + 1 < nz;
        const Word* b00 = bit_row(z, y);
        const Word* b01 = has_y1 ? bit_row(z, y + 1) : nullptr;
        const Word* b10 = has_z1 ? bit_row(z + 1, y) : nullptr;
        const Word* b11 = has_y1 && has_z1 ? bit_row(z + 1, y + 1) : nullptr;
        const Word* corners[4] = {b00, b01, b10, b11};
        for (int r = 0; r < 4; ++r) {
            Word* out = cell.row(r, words);
            if (!corners[r]) {
                std::fill(out, out + words, Word(0));
                continue;
            }
            for (std::int64_t w = 0; w < words; ++w)
                out[w] = corners[r][w] ^ shifted_down(corners[r], w, words);
            clear_tail(out, words, nx - 1);
        }
        const auto exclusive_or = [&](Word* out, const Word* a, const Word* b) {
            for (std::int64_t w = 0; w < words; ++w)
                out[w] = a && b ? a[w] ^ b[w] : 0;
        };
        exclusive_or(cell.row(4, words), b00, b01);
        exclusive_or(cell.row(5, words), b10, b11);
        exclusive_or(cell.row(6, words), b00, b10);
        exclusive_or(cell.row(7, words), b01, b11);
        // Active cells: not all eight corners alike.
        if (b11) {
            for (std::int64_t w = 0; w < words; ++w) {
                const Word any = b00[w] | b01[w] | b10[w] | b11[w];
                const Word all = b00[w] & b01[w] & b10[w] & b11[w];
                const Word any_next =
                    (b00[w] | b01[w] | b10[w] | b11[w]) >> 1 |
                    (w + 1 < words ? (b00[w + 1] | b01[w + 1] | b10[w + 1] | b11[w + 1]) << 63 : 0);
                const Word all_next =
                    (all >> 1) |
                    (w + 1 < words ? (b00[w + 1] & b01[w + 1] & b10[w + 1] & b11[w + 1]) << 63 : 0);
                cell.active[w] = (any | any_next) & ~(all & all_next);
            }
            clear_tail(cell.active.data(), words, nx - 1);
        } else {
            std::fill(cell.active.begin(), cell.active.end(), Word(0));
        }
    };
    const auto cell_pattern = [&](std::int64_t z, std::int64_t y, std::int64_t x) {
        const Word* r[4] = {bit_row(z, y), bit_row(z, y + 1), bit_row(z + 1, y),
                            bit_row(z + 1, y + 1)};
        int pattern = 0;
        for (int k = 0; k < 4; ++k) {
            const std::int64_t w = x >> 6;
            const int b = int(x & 63);
            pattern |= int((r[k][w] >> b) & 1) << (2 * k);
            const std::int64_t x1 = x + 1;
            pattern |= int((r[k][x1 >> 6] >> (x1 & 63)) & 1) << (2 * k + 1);
        }
        return pattern;
    };
    // The table entry of a cell: its pattern and, for ambiguous faces, the asymptotic
    // decider: the inside corners are joined when the product of their distances above the
    // level exceeds that of the outside corners below it (the sign of the bilinear saddle).
    const auto cell_entry = [&](std::int64_t z, std::int64_t y, std::int64_t x) {
        const int pattern = cell_pattern(z, y, x);
        int joined = 0;
        for (unsigned faces = table.ambiguous_faces[std::size_t(pattern)]; faces;
             faces &= faces - 1) {
            const int f = std::countr_zero(faces);
            double d[4];
            for (int k = 0; k < 4; ++k) {
                const int corner = kFaceCorners[f][k];
                d[k] =
                    grid.at(z + (corner >> 2), y + ((corner >> 1) & 1), x + (corner & 1)) - level;
            }
            const bool even_inside = d[0] > 0.0;
            const double inside = even_inside ? d[0] * d[2] : d[1] * d[3];
            const double outside = even_inside ? d[1] * d[3] : d[0] * d[2];
            if (inside > outside) joined |= 1 << f;
        }
        return pattern * 64 + joined;
    };

    // Pass 2: count each row's vertices (crossed edges) and its cell row's triangles.
    // Each plane keeps its active cells' table entries, in order, for pass 3.
    std::vector<RowCounts> counts(static_cast<std::size_t>(rows));
    std::vector<std::vector<std::uint16_t>> plane_entries(static_cast<std::size_t>(nz));
    parallel_for(0, nz, 1, [&](std::int64_t z0, std::int64_t z1) {
        CellRow cell;
        for (std::int64_t z = z0; z < z1; ++z) {
            std::vector<std::uint16_t>& entries = plane_entries[std::size_t(z)];
            for (std::int64_t y = 0; y < ny; ++y) {
                build_cell_row(cell, z, y);
                RowCounts& c = counts[std::size_t(z * ny + y)];
                for (std::int64_t w = 0; w < words; ++w) {
                    c.x_edges += std::popcount(cell.row(0, words)[w]);
                    c.y_edges += std::popcount(cell.row(4, words)[w]);
                    c.z_edges += std::popcount(cell.row(6, words)[w]);
                }
                for (std::int64_t w = 0; w < words; ++w) {
                    for (Word a = cell.active[w]; a; a &= a - 1) {
                        const std::int64_t x = w * 64 + std::countr_zero(a);
                        const int entry = cell_entry(z, y, x);
                        entries.push_back(std::uint16_t(entry));
                        c.triangles += table.triangle_count[std::size_t(entry)];
                        c.centres += table.centre_count[std::size_t(entry)];
                    }
                }
            }
        }
    });

    std::vector<std::int64_t> vertex_base(std::size_t(rows + 1)),
        triangle_base(std::size_t(rows + 1));
    for (std::int64_t r = 0; r < rows; ++r) {
        const RowCounts& c = counts[std::size_t(r)];
        vertex_base[std::size_t(r + 1)] =
            vertex_base[std::size_t(r)] + c.x_edges + c.y_edges + c.z_edges + c.centres;
        triangle_base[std::size_t(r + 1)] = triangle_base[std::size_t(r)] + c.triangles;
    }
    const std::int64_t vertex_count = vertex_base.back();
    if (vertex_count > std::int64_t(std::numeric_limits<std::uint32_t>::max())) {
        throw LimitError(
            fmt::format("the surface has {} vertices, more than a mesh's 32-bit "
                        "indices hold; use a larger step",
                        vertex_count));
    }
    Mesh mesh;
    resize_on_huge_pages(mesh.positions, vertex_count);
    if (want_normals) resize_on_huge_pages(mesh.normals, vertex_count);
    resize_on_huge_pages(mesh.triangles, triangle_base.back());

    const double pad = grid.padded ? 1.0 : 0.0;
    // Central differences (one-sided at the border) in physical units, by multiplication;
    // in float where the values' differences are exact in float (8- and 16-bit integers).
    using Real = std::conditional_t<std::is_integral_v<T> && sizeof(T) <= 2, float, double>;
    const Real half_inverse[3] = {Real(0.5 / spacing_zyx[2]), Real(0.5 / spacing_zyx[1]),
                                  Real(0.5 / spacing_zyx[0])};
    const std::int64_t extent[3] = {nx, ny, nz};
    const std::int64_t stride[3] = {grid.stride_x, grid.stride_y, grid.stride_z};
    const auto gradient_at = [&](std::int64_t z, std::int64_t y, std::int64_t x, Real* g) {
        const T* voxel = grid.origin + z * grid.stride_z + y * grid.stride_y + x * grid.stride_x;
        if (x > 0 && y > 0 && z > 0 && x + 1 < nx && y + 1 < ny && z + 1 < nz) {
            for (int a = 0; a < 3; ++a)
                g[a] = (Real(voxel[stride[a]]) - Real(voxel[-stride[a]])) * half_inverse[a];
            return;
        }
        const std::int64_t index[3] = {x, y, z};
        for (int a = 0; a < 3; ++a) {
            const bool has_before = index[a] > 0, has_after = index[a] + 1 < extent[a];
            const Real after = Real(voxel[has_after ? stride[a] : 0]);
            const Real before = Real(voxel[has_before ? -stride[a] : 0]);
            // One-sided differences span one voxel, central ones two.
            g[a] = (after - before) * half_inverse[a] * Real(has_before && has_after ? 1 : 2);
        }
    };
    // The vertex on the edge from (z, y, x) one voxel along `axis` (0 x, 1 y, 2 z): its
    // position and its unnormalised outward normal.
    const auto edge_vertex = [&](std::int64_t z, std::int64_t y, std::int64_t x, int axis,
                                 float* position, float* normal) {
        const std::int64_t z1 = z + (axis == 2), y1 = y + (axis == 1), x1 = x + (axis == 0);
        const double v0 = grid.at(z, y, x), v1 = grid.at(z1, y1, x1);
        double t = (level - v0) / (v1 - v0);
        if (!(t >= 0.0 && t <= 1.0)) t = 0.5;  // NaN values
        if (grid.padded && (grid.on_border(z, y, x) || grid.on_border(z1, y1, x1))) t = 0.5;
        position[0] = float((double(x) + (axis == 0 ? t : 0.0) - pad) * spacing_zyx[2]);
        position[1] = float((double(y) + (axis == 1 ? t : 0.0) - pad) * spacing_zyx[1]);
        position[2] = float((double(z) + (axis == 2 ? t : 0.0) - pad) * spacing_zyx[0]);
        if (!want_normals) return;
        Real g0[3], g1[3];
        gradient_at(z, y, x, g0);
        gradient_at(z1, y1, x1, g1);
        const Real weight = Real(t);
        for (int k = 0; k < 3; ++k)
            normal[k] = float(-(g0[k] + weight * (g1[k] - g0[k])));  // outward: toward lower values
    };
    const auto store_vertex = [&](std::int64_t index, const float* position, const float* normal) {
        mesh.positions[std::size_t(index)] = {position[0], position[1], position[2]};
        if (!want_normals) return;
        const float length_squared =
            normal[0] * normal[0] + normal[1] * normal[1] + normal[2] * normal[2];
        const float scale = length_squared > 0.0f ? inverse_sqrt(length_squared) : 0.0f;
        mesh.normals[std::size_t(index)] = {normal[0] * scale, normal[1] * scale,
                                            normal[2] * scale};
    };
    const auto write_vertex = [&](std::int64_t index, std::int64_t z, std::int64_t y,
                                  std::int64_t x, int axis) {
        float position[3], normal[3] = {0.0f, 0.0f, 0.0f};
        edge_vertex(z, y, x, axis, position, normal);
        store_vertex(index, position, normal);
    };
    // write_vertex for an edge along Axis whose two ends have all six neighbours, most of a
    // surface's: no border tests, and both gradients from one base pointer (integer
    // differences for 8- and 16-bit data, exact as in gradient_at). Same results.
    using Difference = std::conditional_t<std::is_integral_v<T> && sizeof(T) <= 2, int, Real>;
    const auto write_interior_vertex = [&]<int Axis>(std::integral_constant<int, Axis>,
                                                     std::int64_t index, std::int64_t z,
                                                     std::int64_t y, std::int64_t x) {
        const T* p0 = grid.origin + z * grid.stride_z + y * grid.stride_y + x * grid.stride_x;
        const T* p1 = p0 + stride[Axis];
        const double v0 = double(*p0), v1 = double(*p1);
        double t = (level - v0) / (v1 - v0);
        if (!(t >= 0.0 && t <= 1.0)) t = 0.5;  // NaN values
        float position[3];
        position[0] = float((double(x) + (Axis == 0 ? t : 0.0) - pad) * spacing_zyx[2]);
        position[1] = float((double(y) + (Axis == 1 ? t : 0.0) - pad) * spacing_zyx[1]);
        position[2] = float((double(z) + (Axis == 2 ? t : 0.0) - pad) * spacing_zyx[0]);
        float normal[3];
        const Real weight = Real(t);
        for (int k = 0; k < 3; ++k) {
            const Real g0 =
                Real(Difference(p0[stride[k]]) - Difference(p0[-stride[k]])) * half_inverse[k];
            const Real g1 =
                Real(Difference(p1[stride[k]]) - Difference(p1[-stride[k]])) * half_inverse[k];
            normal[k] = float(-(g0 + weight * (g1 - g0)));
        }
        store_vertex(index, position, normal);
    };
    // The crossings of one edge row along Axis, in order, from vertex index `next` on.
    const auto write_edge_row = [&]<int Axis>(std::integral_constant<int, Axis> axis,
                                              const Word* crossings, std::int64_t& next,
                                              std::int64_t z, std::int64_t y) {
        // The x range whose edges are interior, empty when the row is not.
        const bool row_inside =
            want_normals && z > 0 && y > 0 && z + 1 + (Axis == 2) < nz && y + 1 + (Axis == 1) < ny;
        const std::int64_t x_end = row_inside ? nx - 1 - (Axis == 0) : 0;
        for (std::int64_t w = 0; w < words; ++w) {
            for (Word a = crossings[w]; a; a &= a - 1) {
                const std::int64_t x = w * 64 + std::countr_zero(a);
                if (x > 0 && x < x_end)
                    write_interior_vertex(axis, next++, z, y, x);
                else
                    write_vertex(next++, z, y, x, Axis);
            }
        }
    };
    // A loop's centre vertex: the mean of its edge vertices and of their normals.
    const auto write_centre = [&](std::int64_t index, std::int64_t z, std::int64_t y,
                                  std::int64_t x, unsigned edges) {
        float sum[3] = {0, 0, 0}, normal_sum[3] = {0, 0, 0};
        int count = 0;
        for (; edges; edges &= edges - 1, ++count) {
            const int e = std::countr_zero(edges);
            const int axis = e / 4, a = e & 1, b = (e >> 1) & 1;
            // x-edges: y = a, z = b; y-edges: x = a, z = b; z-edges: x = a, y = b.
            const std::int64_t ex = x + (axis == 0 ? 0 : a);
            const std::int64_t ey = y + (axis == 0 ? a : axis == 1 ? 0 : b);
            const std::int64_t ez = z + (axis == 2 ? 0 : b);
            float position[3], normal[3] = {0, 0, 0};
            edge_vertex(ez, ey, ex, axis, position, normal);
            float length_squared = 0.0f;
            for (int k = 0; k < 3; ++k)
                length_squared += normal[k] * normal[k];
            const float scale = length_squared > 0.0f ? inverse_sqrt(length_squared) : 0.0f;
            for (int k = 0; k < 3; ++k) {
                sum[k] += position[k];
                normal_sum[k] += normal[k] * scale;
            }
        }
        for (float& v : sum)
            v /= float(count);
        store_vertex(index, sum, normal_sum);
    };

    // Pass 3: write the vertices of each row and the triangles of each cell row.
    parallel_for(0, nz, 1, [&](std::int64_t z0, std::int64_t z1) {
        CellRow cell;
        for (std::int64_t z = z0; z < z1; ++z) {
            const std::uint16_t* next_entry = plane_entries[std::size_t(z)].data();
            for (std::int64_t y = 0; y < ny; ++y) {
                build_cell_row(cell, z, y);
                const std::int64_t row_index = z * ny + y;
                const RowCounts& c = counts[std::size_t(row_index)];
                std::int64_t next = vertex_base[std::size_t(row_index)];
                write_edge_row(std::integral_constant<int, 0>{}, cell.row(0, words), next, z, y);
                write_edge_row(std::integral_constant<int, 1>{}, cell.row(4, words), next, z, y);
                write_edge_row(std::integral_constant<int, 2>{}, cell.row(6, words), next, z, y);
                if (c.triangles == 0) continue;
                // Vertex bases of the eight edge rows: x-edges after their row's start, y-edges
                // after its x-edges, z-edges after both.
                const auto base = [&](std::int64_t zz, std::int64_t yy, int kind) {
                    const RowCounts& rc = counts[std::size_t(zz * ny + yy)];
                    std::int64_t b = vertex_base[std::size_t(zz * ny + yy)];
                    if (kind >= 1) b += rc.x_edges;
                    if (kind >= 2) b += rc.y_edges;
                    if (kind >= 3) b += rc.z_edges;
                    return b;
                };
                EdgeRow edge_rows[8];
                const std::int64_t bases[8] = {
                    base(z, y, 0), base(z, y + 1, 0), base(z + 1, y, 0), base(z + 1, y + 1, 0),
                    base(z, y, 1), base(z + 1, y, 1), base(z, y, 2),     base(z, y + 1, 2)};
                for (int r = 0; r < 8; ++r) {
                    fill_prefix(cell.row(r, words), words, cell.prefix.data() + r * words);
                    edge_rows[r] = {cell.row(r, words), cell.prefix.data() + r * words, bases[r]};
                }
                std::int64_t out = triangle_base[std::size_t(row_index)];
                std::int64_t next_centre = base(z, y, 3);
                for (std::int64_t w = 0; w < words; ++w) {
                    for (Word a = cell.active[w]; a; a &= a - 1) {
                        const std::int64_t x = w * 64 + std::countr_zero(a);
                        const int entry = *next_entry++;
                        std::uint32_t ids[16];
                        for (int k = 0; k < table.centre_count[std::size_t(entry)]; ++k) {
                            ids[12 + k] = std::uint32_t(next_centre);
                            write_centre(next_centre++, z, y, x,
                                         table.centre_loops[std::size_t(entry)][std::size_t(k)]);
                        }
                        for (unsigned m = table.edge_mask[std::size_t(entry >> 6)]; m; m &= m - 1) {
                            const int e = std::countr_zero(m);
                            ids[e] =
                                std::uint32_t(edge_rows[kEdgeRow[e][0]].index(x + kEdgeRow[e][1]));
                        }
                        const std::uint8_t* local = table.edges[std::size_t(entry)].data();
                        for (int t = 0; t < table.triangle_count[std::size_t(entry)]; ++t) {
                            mesh.triangles[std::size_t(out++)] = {
                                ids[local[3 * t]], ids[local[3 * t + 1]], ids[local[3 * t + 2]]};
                        }
                    }
                }
            }
        }
    });
    return mesh;
}

void check_single_channel(const Volume& volume, std::string_view what) {
    if (volume.shape().c != 1) {
        throw ValueError(
            fmt::format("{} needs a single-channel volume; this one has {} channels "
                        "(choose one)",
                        what, volume.shape().c));
    }
}

std::string unit_of(const Volume& volume) {
    return volume.spacing().known ? volume.spacing().unit : std::string();
}

// The sampled grid of `volume` (steps applied), padded by one voxel of `pad_value` on every
// side when `pad`: the copy costs one volume of memory, paid only when asked for.
template <typename T>
Mesh extract(const Volume& volume, double level, int step, bool normals, bool close_borders) {
    const Volume stepped = volume.step(step, step, step);
    const Shape& shape = stepped.shape();
    if (shape.z < 2 || shape.y < 2 || shape.x < 2) {
        if (!close_borders || shape.voxels() == 0) {
            throw ValueError(
                fmt::format("isosurface needs at least 2 voxels along each axis; the "
                            "volume is {}x{}x{} (z, y, x) after a step of {}",
                            shape.z, shape.y, shape.x, step));
        }
    }
    std::array<double, 3> spacing = volume.spacing().zyx;
    for (double& s : spacing)
        s *= step;
    Mesh mesh;
    if (!close_borders) {
        const VolumeView<const T> view = stepped.view<T>();
        const Grid<T> grid{view.origin,     shape.z,         shape.y,         shape.x,
                           view.strides[0], view.strides[1], view.strides[2], false};
        mesh = Extractor::run(grid, level, spacing, normals);
    } else {
        Volume padded_volume = Volume::allocate({shape.z + 2, shape.y + 2, shape.x + 2, 1},
                                                volume.pixel_type(), Volume::Fill::none);
        const VolumeView<T> out = padded_volume.mutable_view<T>();
        const VolumeView<const T> in = stepped.view<T>();
        // Below the level, whatever the type: vertices on edges to the padding sit halfway.
        const T pad_value = std::numeric_limits<T>::lowest();
        parallel_for(0, shape.z + 2, 1, [&](std::int64_t z0, std::int64_t z1) {
            for (std::int64_t z = z0; z < z1; ++z) {
                for (std::int64_t y = 0; y < shape.y + 2; ++y) {
                    T* row = out.row(z, y);
                    const bool inner = z >= 1 && z <= shape.z && y >= 1 && y <= shape.y;
                    for (std::int64_t x = 0; x < shape.x + 2; ++x) {
                        row[x] =
                            inner && x >= 1 && x <= shape.x ? in(z - 1, y - 1, x - 1) : pad_value;
                    }
                }
            }
        });
        const VolumeView<const T> view = padded_volume.view<T>();
        const Grid<T> grid{view.origin,     shape.z + 2,     shape.y + 2,     shape.x + 2,
                           view.strides[0], view.strides[1], view.strides[2], true};
        mesh = Extractor::run(grid, level, spacing, normals);
    }
    mesh.unit = unit_of(volume);
    return mesh;
}

void check_step(int step) {
    if (step < 1) throw ValueError(fmt::format("step must be at least 1, got {}", step));
}

void check_integer_labels(const Volume& labels) {
    check_single_channel(labels, "a label surface");
    if (is_float(labels.pixel_type())) {
        throw ValueError(fmt::format("label surfaces need an integer volume, not {}",
                                     pixel_type_name(labels.pixel_type())));
    }
}

// Bounding boxes of every non-zero label (or only `only` when given), in one pass.
std::map<std::int64_t, Box> label_boxes(const Volume& labels, std::optional<std::int64_t> only) {
    std::map<std::int64_t, Box> boxes;
    std::mutex mutex;
    visit(labels.pixel_type(), [&]<typename T>(std::type_identity<T>) {
        if constexpr (std::is_integral_v<T>) {
            const VolumeView<const T> view = labels.view<T>();
            const Shape& shape = labels.shape();
            parallel_for(0, shape.z, 1, [&](std::int64_t z0, std::int64_t z1) {
                std::map<std::int64_t, Box> local;
                Box* last = nullptr;
                std::int64_t last_label = 0;
                for (std::int64_t z = z0; z < z1; ++z) {
                    for (std::int64_t y = 0; y < shape.y; ++y) {
                        const T* row = view.row(z, y);
                        for (std::int64_t x = 0; x < shape.x; ++x) {
                            const T value = row[x * view.strides[2]];
                            if (value == 0 || (only && std::int64_t(value) != *only)) continue;
                            // Labels come in runs along a row: look the map up once per run.
                            if (last == nullptr || std::int64_t(value) != last_label) {
                                last_label = std::int64_t(value);
                                last = &local.try_emplace(last_label, Box{{z, y, x}, {z, y, x}})
                                            .first->second;
                            }
                            const std::int64_t index[3] = {z, y, x};
                            for (int a = 0; a < 3; ++a) {
                                last->begin[a] = std::min(last->begin[a], index[a]);
                                last->end[a] = std::max(last->end[a], index[a] + 1);
                            }
                        }
                    }
                }
                const std::lock_guard lock(mutex);
                for (const auto& [label, box] : local) {
                    auto [it, inserted] = boxes.try_emplace(label, box);
                    if (!inserted) {
                        for (int a = 0; a < 3; ++a) {
                            it->second.begin[a] = std::min(it->second.begin[a], box.begin[a]);
                            it->second.end[a] = std::max(it->second.end[a], box.end[a]);
                        }
                    }
                }
            });
        }
    });
    return boxes;
}

// Marching cubes at 0.5 over the label's indicator within its box, padded with zeros so that
// the surface closes and, with a step, so that the last sample falls in the padding too.
Mesh surface_in_box(const Volume& labels, std::int64_t label, const Box& box, int step,
                    bool normals) {
    std::array<std::int64_t, 3> extent{};
    for (int a = 0; a < 3; ++a) {
        const std::int64_t n = box.end[a] - box.begin[a];
        extent[a] = 1 + step * ((n + 1 + step - 1) / step);
    }
    Volume indicator = Volume::allocate({extent[0], extent[1], extent[2], 1}, PixelType::u8);
    const VolumeView<std::uint8_t> out = indicator.mutable_view<std::uint8_t>();
    visit(labels.pixel_type(), [&]<typename T>(std::type_identity<T>) {
        if constexpr (std::is_integral_v<T>) {
            const VolumeView<const T> in = labels.view<T>();
            parallel_for(box.begin[0], box.end[0], 1, [&](std::int64_t z0, std::int64_t z1) {
                for (std::int64_t z = z0; z < z1; ++z) {
                    for (std::int64_t y = box.begin[1]; y < box.end[1]; ++y) {
                        std::uint8_t* row = out.row(z - box.begin[0] + 1, y - box.begin[1] + 1) + 1;
                        for (std::int64_t x = box.begin[2]; x < box.end[2]; ++x) {
                            row[x - box.begin[2]] = std::int64_t(in(z, y, x)) == label;
                        }
                    }
                }
            });
        }
    });
    Spacing spacing = labels.spacing();
    indicator.set_spacing(spacing);
    Mesh mesh = extract<std::uint8_t>(indicator, 0.5, step, normals, false);
    // Back to the label volume's coordinates: the indicator starts one voxel before the box.
    const double offset[3] = {double(box.begin[2] - 1) * spacing.zyx[2],
                              double(box.begin[1] - 1) * spacing.zyx[1],
                              double(box.begin[0] - 1) * spacing.zyx[0]};
    for (auto& p : mesh.positions) {
        for (int k = 0; k < 3; ++k)
            p[k] = float(double(p[k]) + offset[k]);
    }
    mesh.unit = unit_of(labels);
    return mesh;
}

}  // namespace

namespace {

// NaN has no side of a level and infinities no gradient: marching cubes would write NaN
// vertices and normals (as skimage does) into a file that looks fine.
template <typename T>
void check_finite(const Volume& volume) {
    if constexpr (std::is_floating_point_v<T>) {
        const VolumeView<const T> view = volume.view<T>();
        std::atomic<std::int64_t> found{0};
        parallel_for(0, view.shape.z, 1, [&](std::int64_t z0, std::int64_t z1) {
            std::int64_t count = 0;
            for (std::int64_t z = z0; z < z1; ++z)
                for (std::int64_t y = 0; y < view.shape.y; ++y) {
                    const T* row = view.row(z, y);
                    for (std::int64_t x = 0; x < view.shape.x; ++x)
                        count += std::isfinite(row[x * view.strides[2]]) ? 0 : 1;
                }
            found += count;
        });
        if (found > 0) {
            throw ValueError(fmt::format(
                "isosurface: {} of the {} values are NaN or infinite; marching cubes needs "
                "numbers everywhere",
                found.load(), view.shape.voxels()));
        }
    }
}

// Vertices are 32-bit floats: a spacing they cannot hold would put them at 0 or inf.
void check_spacing_fits(const Volume& volume, int step) {
    const Shape& shape = volume.shape();
    const std::int64_t extents[3] = {shape.z, shape.y, shape.x};
    for (std::size_t axis = 0; axis < 3; ++axis) {
        const double spacing = volume.spacing().zyx[axis] * step;
        if (spacing < double(std::numeric_limits<float>::min()) ||
            spacing * double(extents[axis] + 1) > double(std::numeric_limits<float>::max())) {
            throw ValueError(
                fmt::format("isosurface: a spacing of {:g} along {} does not fit "
                            "32-bit float vertices",
                            volume.spacing().zyx[axis], "zyx"[axis]));
        }
    }
}

}  // namespace

Mesh isosurface(const Volume& volume, const IsosurfaceOptions& options) {
    check_single_channel(volume, "isosurface");
    check_step(options.step);
    check_spacing_fits(volume, options.step);
    return visit(volume.pixel_type(), [&]<typename T>(std::type_identity<T>) {
        check_finite<T>(volume);
        return extract<T>(volume, options.level, options.step, options.normals,
                          options.close_borders);
    });
}

Mesh label_surface(const Volume& labels, std::int64_t label, int step, bool normals) {
    check_integer_labels(labels);
    check_step(step);
    check_spacing_fits(labels, step);
    const std::map<std::int64_t, Box> boxes = label_boxes(labels, label);
    Mesh mesh;
    mesh.unit = unit_of(labels);
    if (label == 0 || boxes.empty()) return mesh;
    return surface_in_box(labels, label, boxes.begin()->second, step, normals);
}

Mesh label_surfaces(const Volume& labels, int step, bool normals,
                    std::vector<std::int64_t>* labels_found) {
    check_integer_labels(labels);
    check_step(step);
    check_spacing_fits(labels, step);
    const std::map<std::int64_t, Box> boxes = label_boxes(labels, std::nullopt);
    const Colormap& colors = colormap("labels");
    Mesh merged;
    merged.unit = unit_of(labels);
    if (labels_found) labels_found->clear();
    for (const auto& [label, box] : boxes) {
        if (labels_found) labels_found->push_back(label);
        Mesh part = surface_in_box(labels, label, box, step, normals);
        const std::uint32_t first = std::uint32_t(merged.positions.size());
        // Entry 1 + (label - 1) mod 255, floored, as the figures colour labels.
        const std::int64_t entry = 1 + (((label - 1) % 255) + 255) % 255;
        merged.positions.insert(merged.positions.end(), part.positions.begin(),
                                part.positions.end());
        merged.normals.insert(merged.normals.end(), part.normals.begin(), part.normals.end());
        merged.colors.resize(merged.positions.size(), colors.table[std::size_t(entry)]);
        for (const auto& t : part.triangles)
            merged.triangles.push_back({t[0] + first, t[1] + first, t[2] + first});
    }
    return merged;
}

}  // namespace vox
