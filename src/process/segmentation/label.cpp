// Connected-component labelling (skimage.measure.label).
//
// Run-based two-scan labelling (He, Chao & Suzuki, "A run-based two-scan labeling
// algorithm", IEEE TIP 17(5), 2008), in 3D: every maximal run of equal non-zero values along
// x is one provisional label, and runs are joined with union-find when they touch a run of
// the same value in a neighbouring row before them in raster order. Rows are scanned per
// slab of planes in parallel, runs are united per slab in parallel, then slabs are merged
// across their borders.
//
// Runs are numbered in raster order inside a slab and slabs in z order, so the smallest run
// index of a component is the run holding its first voxel in raster order; uniting towards
// the smaller index makes that run the root, and numbering roots in increasing order gives
// scikit-image's labels (raster order of first voxels).
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "common.h"
#include "label_detail.h"
#include "runs.h"
#include "vox/segmentation.h"

namespace vox {
namespace {

using segmentation_detail::RunFinder;

// A maximal run [x0, x1) of one non-zero value in a row; the value is read from the row.
struct Run {
    std::int32_t x0, x1;
};

// A neighbouring row before the current one in raster order, and whether runs in it touch
// diagonally in x (x ranges grown by one) or only when they overlap.
struct RowNeighbor {
    std::int64_t dz, dy;
    std::int32_t grow;
};

// The rows (dz, dy) before a row and their x reach, for 6/18/26-connectivity: a neighbour
// offset (dz, dy, dx) is allowed when its number of non-zero components is at most 1, 2 or 3.
std::vector<RowNeighbor> backward_rows(int connectivity) {
    const int max_norm = connectivity == 6 ? 1 : connectivity == 18 ? 2 : 3;
    std::vector<RowNeighbor> result;
    const std::int64_t offsets[4][2] = {{0, -1}, {-1, -1}, {-1, 0}, {-1, 1}};
    for (const auto& o : offsets) {
        const int norm = int(o[0] != 0) + int(o[1] != 0);
        if (norm + 1 <= max_norm) {
            result.push_back({o[0], o[1], 1});
        } else if (norm <= max_norm) {
            result.push_back({o[0], o[1], 0});
        }
    }
    return result;
}

template <typename I>
I find_root(I* parent, I a) {
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];  // path halving
        a = parent[a];
    }
    return a;
}

// Unites every run of `row` (ids row_id, row_id + 1, ...) with the runs of `other` (ids
// other_id, ...) that it touches and that hold the same value, towards the smaller root.
// Both are sorted by x0 and disjoint, so one merge-like sweep finds all overlaps; the root
// of the current run is kept across its overlaps, so each overlap costs one find.
template <typename T, typename I>
void join_rows(const T* row_data, const Run* row, std::int64_t row_n, I row_id, const T* other_data,
               const Run* other, std::int64_t other_n, I other_id, std::int32_t grow, I* parent) {
    std::int64_t j = 0;
    for (std::int64_t i = 0; i < row_n && j < other_n; ++i) {
        const Run a = row[i];
        const T value = row_data[a.x0];
        // Skip runs of the other row that end before a (and every later run) can touch them.
        while (j < other_n && other[j].x1 + grow <= a.x0)
            ++j;
        I root = -1;
        for (std::int64_t k = j; k < other_n && other[k].x0 < a.x1 + grow; ++k) {
            if (other_data[other[k].x0] != value) continue;
            if (root < 0) root = find_root(parent, I(row_id + i));
            // Most runs point straight at their root: skip the find for those.
            if (parent[other_id + k] == root) continue;
            const I b = find_root(parent, I(other_id + k));
            if (b == root) continue;
            if (b < root) {
                parent[root] = b;
                root = b;
            } else {
                parent[b] = root;
            }
        }
    }
}

// The runs of one plane, row by row: runs[begin[y], begin[y + 1]) are row y's.
struct PlaneRuns {
    std::vector<Run> runs;
    std::vector<std::int64_t> begin;
};

template <typename T>
void scan_plane(RunFinder<T>& finder, const T* plane, std::int64_t ny, std::int64_t nx,
                PlaneRuns& out) {
    out.runs.clear();
    out.begin.resize(std::size_t(ny) + 1);
    for (std::int64_t y = 0; y < ny; ++y) {
        out.begin[std::size_t(y)] = std::int64_t(out.runs.size());
        finder.for_each_run(plane + y * nx, [&](std::int32_t x0, std::int32_t x1) {
            out.runs.push_back({x0, x1});
        });
    }
    out.begin[std::size_t(ny)] = std::int64_t(out.runs.size());
}

// Joins the runs of row y of `plane` (first id plane_id) with the rows before it in
// `plane` (dz = 0) and in `before` (dz = -1, first id before_id; nullptr at a slab start).
template <typename T, typename I>
void join_row(const std::vector<RowNeighbor>& rows, std::int64_t y, std::int64_t ny,
              std::int64_t nx, const T* data, const PlaneRuns& plane, I plane_id,
              const T* before_data, const PlaneRuns* before, I before_id, bool same_plane,
              I* parent) {
    const std::int64_t b = plane.begin[std::size_t(y)];
    const std::int64_t n = plane.begin[std::size_t(y) + 1] - b;
    if (n == 0) return;
    for (const RowNeighbor& nb : rows) {
        const std::int64_t yy = y + nb.dy;
        if (yy < 0 || yy >= ny) continue;
        if (nb.dz == 0 && !same_plane) continue;
        const PlaneRuns* other = nb.dz == 0 ? &plane : before;
        if (other == nullptr) continue;
        const T* other_data = (nb.dz == 0 ? data : before_data) + yy * nx;
        const I other_id = nb.dz == 0 ? plane_id : before_id;
        const std::int64_t ob = other->begin[std::size_t(yy)];
        const std::int64_t on = other->begin[std::size_t(yy) + 1] - ob;
        join_rows(data + y * nx, plane.runs.data() + b, n, I(plane_id + b), other_data,
                  other->runs.data() + ob, on, I(other_id + ob), nb.grow, parent);
    }
}

// Number of maximal runs of one non-zero value in planes [z0, z1) (vectorises: no
// branches).
template <typename T>
std::int64_t count_runs(const T* in, std::int64_t ny, std::int64_t nx, std::int64_t z0,
                        std::int64_t z1) {
    std::int64_t count = 0;
    for (std::int64_t r = z0 * ny; r < z1 * ny; ++r) {
        const T* row = in + r * nx;
        std::int64_t starts = row[0] != T(0);
        for (std::int64_t x = 1; x < nx; ++x)
            starts += std::int64_t(row[x] != T(0)) & std::int64_t(row[x] != row[x - 1]);
        count += starts;
    }
    return count;
}

// The ids a slab's first scan gave: [first, end), the last plane's from end - last_plane.
template <typename I>
struct SlabIds {
    I first, end;
    std::int64_t last_plane;
};

// First scan of one slab: numbers its runs first, first + 1, ... in raster order and unites
// them, then flattens its trees (each run's parent becomes its root, a smaller id in the
// slab).
template <typename T, typename I>
SlabIds<I> scan_slab(const T* in, std::int64_t ny, std::int64_t nx, std::int64_t z0,
                     std::int64_t z1, const std::vector<RowNeighbor>& rows, I first, I* parent) {
    RunFinder<T> finder(nx);
    PlaneRuns current, previous;
    I id = first, previous_id = first;
    for (std::int64_t z = z0; z < z1; ++z) {
        const T* data = in + z * ny * nx;
        scan_plane(finder, data, ny, nx, current);
        for (std::size_t k = 0; k < current.runs.size(); ++k)
            parent[std::size_t(id) + k] = I(id + I(k));
        for (std::int64_t y = 0; y < ny; ++y) {
            join_row<T, I>(rows, y, ny, nx, data, current, id, z > z0 ? data - ny * nx : nullptr,
                           z > z0 ? &previous : nullptr, previous_id, true, parent);
        }
        std::swap(current, previous);
        previous_id = id;
        id = I(id + I(previous.runs.size()));
    }
    // Parents point to smaller ids: one increasing sweep flattens every tree.
    for (I k = first; k < id; ++k)
        parent[k] = parent[parent[k]];
    return {first, id, std::int64_t(id - previous_id)};
}

// Labels with run ids of type I. `first[s]` is slab s's first id: ids are increasing in
// raster order and slab s has room for as many ids as it has voxels (first[s + 1] -
// first[s] at least), which lets the int32 table live in the output itself (see
// label_typed). The second scan then walks each slab backwards, reading a row's numbers
// before writing the row: a run's id is at most its voxel's index, so the rows still to
// come keep their table entries.
template <typename T, typename I>
std::int64_t label_runs(const T* in, std::int64_t ny, std::int64_t nx, std::int64_t slabs,
                        const std::vector<std::int64_t>& slab_z,
                        const std::vector<std::int64_t>& first,
                        const std::vector<RowNeighbor>& rows, I* const global, std::int32_t* lab) {
    constexpr std::int64_t kMaxLabel = std::numeric_limits<std::int32_t>::max();
    const std::int64_t plane = ny * nx;
    std::vector<SlabIds<I>> ids(static_cast<std::size_t>(slabs));
    parallel_for(0, slabs, 1, [&](std::int64_t s0, std::int64_t s1) {
        for (std::int64_t s = s0; s < s1; ++s) {
            ids[std::size_t(s)] =
                scan_slab<T, I>(in, ny, nx, slab_z[std::size_t(s)], slab_z[std::size_t(s) + 1],
                                rows, I(first[std::size_t(s)]), global);
        }
    });

    // Merge across slab borders: the first plane of a slab against the last of the one
    // before, both scanned again.
    RunFinder<T> finder(nx);
    PlaneRuns first_plane, last_plane;
    for (std::int64_t s = 1; s < slabs; ++s) {
        const T* data = in + slab_z[std::size_t(s)] * plane;
        scan_plane(finder, data, ny, nx, first_plane);
        scan_plane(finder, data - plane, ny, nx, last_plane);
        const SlabIds<I>& before = ids[std::size_t(s) - 1];
        const I last_id = I(before.end - before.last_plane);
        for (std::int64_t y = 0; y < ny; ++y) {
            join_row<T, I>(rows, y, ny, nx, data, first_plane, ids[std::size_t(s)].first,
                           data - plane, &last_plane, last_id, false, global);
        }
    }

    // Number the roots in increasing order (= raster order of first voxels), in place.
    // Parents always point to smaller ids, so one increasing sweep flattens every tree and
    // finds each root already numbered. Numbers are stored negated to tell them from ids.
    std::int64_t count = 0;
    for (const SlabIds<I>& slab : ids) {
        for (I g = slab.first; g < slab.end; ++g) {
            const I p = global[std::size_t(global[g])];
            if (p == g) {
                if (++count > kMaxLabel) {
                    throw LimitError(fmt::format("label: more than {} components", kMaxLabel));
                }
                global[g] = I(-count);
            } else {
                global[g] = p;
            }
        }
    }

    // Second scan: the runs again, each written with its number.
    parallel_for(0, slabs, 1, [&](std::int64_t s0, std::int64_t s1) {
        for (std::int64_t s = s0; s < s1; ++s) {
            RunFinder<T> row_finder(nx);
            std::vector<Run> runs;
            std::vector<std::int32_t> numbers;
            I end = ids[std::size_t(s)].end;
            const std::int64_t begin = slab_z[std::size_t(s)] * ny;
            for (std::int64_t r = slab_z[std::size_t(s) + 1] * ny - 1; r >= begin; --r) {
                runs.clear();
                row_finder.for_each_run(in + r * nx, [&](std::int32_t x0, std::int32_t x1) {
                    runs.push_back({x0, x1});
                });
                end = I(end - I(runs.size()));
                numbers.resize(runs.size());
                for (std::size_t k = 0; k < runs.size(); ++k)
                    numbers[k] = std::int32_t(-global[std::size_t(end) + k]);
                std::int32_t* out = lab + r * nx;
                std::fill(out, out + nx, 0);
                for (std::size_t k = 0; k < runs.size(); ++k)
                    std::fill(out + runs[k].x0, out + runs[k].x1, numbers[k]);
            }
        }
    });
    return count;
}

template <typename T>
Volume label_typed(const Volume& mask_in, int connectivity, bool own_table, std::int64_t& count) {
    const Volume mask = mask_in.contiguous();
    const Shape shape = mask.shape();
    const T* in = mask.view<T>().origin;
    Volume out =
        Volume::allocate({shape.z, shape.y, shape.x, 1}, PixelType::i32, Volume::Fill::none);
    segmentation_detail::copy_geometry(mask_in, out);
    std::int32_t* lab = out.mutable_view<std::int32_t>().origin;
    const std::int64_t nz = shape.z, ny = shape.y, nx = shape.x;
    count = 0;
    if (shape.voxels() == 0) return out;
    const std::int64_t plane = ny * nx;
    constexpr std::int64_t kMaxLabel = std::numeric_limits<std::int32_t>::max();
    if (plane >= kMaxLabel) {
        throw LimitError(fmt::format("label: planes of {} voxels are too large", plane));
    }
    const std::vector<RowNeighbor> rows = backward_rows(connectivity);

    // Slabs of whole planes, several per thread so that a busy core does not hold up the rest.
    const std::int64_t slabs = std::min<std::int64_t>(nz, 4 * std::int64_t(thread_count()));
    std::vector<std::int64_t> slab_z(std::size_t(slabs) + 1);
    for (std::int64_t s = 0; s <= slabs; ++s)
        slab_z[std::size_t(s)] = nz * s / slabs;

    // A run holds at least one voxel, so ids numbered from each slab's first voxel index fit
    // in the output, one int32 per voxel: the union-find table needs no memory of its own.
    std::vector<std::int64_t> first(std::size_t(slabs) + 1);
    if (!own_table && shape.voxels() <= kMaxLabel) {
        for (std::int64_t s = 0; s <= slabs; ++s)
            first[std::size_t(s)] = slab_z[std::size_t(s)] * plane;
        count = label_runs<T, std::int32_t>(in, ny, nx, slabs, slab_z, first, rows, lab, lab);
        return out;
    }
    // Larger volumes need int64 ids: counting the runs first sizes a separate table exactly.
    parallel_for(0, slabs, 1, [&](std::int64_t s0, std::int64_t s1) {
        for (std::int64_t s = s0; s < s1; ++s) {
            first[std::size_t(s) + 1] =
                count_runs(in, ny, nx, slab_z[std::size_t(s)], slab_z[std::size_t(s) + 1]);
        }
    });
    first[0] = 0;
    for (std::int64_t s = 0; s < slabs; ++s)
        first[std::size_t(s) + 1] += first[std::size_t(s)];
    // Left uninitialised: each slab first touches its own range, in parallel.
    const std::unique_ptr<std::int64_t[]> table(new std::int64_t[std::size_t(first.back())]);
    count = label_runs<T, std::int64_t>(in, ny, nx, slabs, slab_z, first, rows, table.get(), lab);
    return out;
}

Volume label_checked(const Volume& mask, int connectivity, bool own_table, std::int64_t& count) {
    if (connectivity != 6 && connectivity != 18 && connectivity != 26) {
        throw ValueError(fmt::format("connectivity must be 6, 18 or 26, got {}", connectivity));
    }
    if (mask.shape().c != 1) {
        throw ValueError(
            fmt::format("label needs a single-channel volume, got {} channels", mask.shape().c));
    }
    return visit(mask.pixel_type(), [&](auto tag) -> Volume {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_floating_point_v<T>) {
            throw TypeError(fmt::format("label needs an integer mask, got {}",
                                        pixel_type_name(mask.pixel_type())));
        } else {
            return label_typed<T>(mask, connectivity, own_table, count);
        }
    });
}

}  // namespace

Volume label(const Volume& mask, int connectivity) {
    std::int64_t count = 0;
    return label_checked(mask, connectivity, false, count);
}

Volume label(const Volume& mask, int connectivity, std::int64_t& component_count) {
    return label_checked(mask, connectivity, false, component_count);
}

namespace segmentation_detail {

Volume label_with_own_table(const Volume& mask, int connectivity) {
    std::int64_t count = 0;
    return label_checked(mask, connectivity, true, count);
}

}  // namespace segmentation_detail

}  // namespace vox
