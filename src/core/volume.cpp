#include "vox/volume.h"

#include <sys/mman.h>
#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <vector>

#include <fmt/format.h>
#include <sanitizer/asan_interface.h>

#include "vox/parallel.h"

namespace vox {
namespace {

constexpr std::size_t kBufferAlignment = 64;  // a cache line: keeps SIMD loads aligned
// Large buffers are aligned to and advised as 2 MiB transparent huge pages: first touching
// a 256 MiB volume then takes a few hundred page faults instead of 65536, which measured
// 3-5x faster for readers (page faults, not copying, dominate loading from the page cache).
constexpr std::size_t kHugePage = std::size_t(2) << 20;
constexpr std::int64_t kHugePageThreshold = std::int64_t(8) << 20;

std::int64_t default_memory_limit() {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page_size <= 0) return std::int64_t(8) << 30;
    return static_cast<std::int64_t>(0.8 * double(pages) * double(page_size));
}

std::atomic<std::int64_t>& memory_limit_value() {
    static std::atomic<std::int64_t> limit{default_memory_limit()};
    return limit;
}

Strides packed_strides(const Shape& shape) {
    return {shape.y * shape.x, shape.x, 1, shape.z * shape.y * shape.x};
}

void check_index(std::int64_t index, std::int64_t extent, std::string_view what) {
    if (index < 0 || index >= extent) {
        throw ValueError(fmt::format("{} {} is out of range [0, {})", what, index, extent));
    }
}

// Multiplies the affine on the right by a voxel-index transform: index' = scale * index + shift,
// in (x, y, z) order, so that world positions of the voxels a view keeps do not change.
Affine compose_index_transform(const Affine& affine, const std::array<double, 3>& scale_xyz,
                               const std::array<double, 3>& shift_xyz) {
    Affine result = affine;
    for (int row = 0; row < 4; ++row) {
        double translation = affine[row * 4 + 3];
        for (int col = 0; col < 3; ++col) {
            result[row * 4 + col] = affine[row * 4 + col] * scale_xyz[col];
            translation += affine[row * 4 + col] * shift_xyz[col];
        }
        result[row * 4 + 3] = translation;
    }
    return result;
}

std::byte* new_huge_buffer(std::size_t rounded, std::int64_t bytes) {
    auto* memory = static_cast<std::byte*>(
        ::operator new[](rounded, std::align_val_t(kHugePage), std::nothrow));
    if (memory == nullptr) {
        throw LimitError(fmt::format("out of memory allocating {}", format_bytes(bytes)));
    }
    ::madvise(memory, rounded, MADV_HUGEPAGE);  // a hint: failure is harmless
    return memory;
}

void delete_huge_buffer(std::byte* memory) {
    ::operator delete[](memory, std::align_val_t(kHugePage));
}

// Freed large buffers are kept for the next allocation of the same size. The kernel
// zeroes every page of fresh memory on first touch, which costs as much as a copy: an
// operation applied again and again (a viewer's live gamma, a chain of steps) would
// otherwise pay that on every call. A miss frees whatever is held before allocating, so
// the cache never raises the peak; it only delays returning memory that was in use.
class BufferCache {
public:
    std::byte* take(std::size_t bytes) {
        std::vector<Entry> stale;
        {
            std::lock_guard lock(m_mutex);
            for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
                if (it->bytes != bytes) continue;
                std::byte* memory = it->memory;
                m_held -= bytes;
                m_entries.erase(it);
                ASAN_UNPOISON_MEMORY_REGION(memory, bytes);
                return memory;
            }
            stale.swap(m_entries);
            m_held = 0;
        }
        for (const Entry& entry : stale)
            free_entry(entry);
        return nullptr;
    }

    void give(std::byte* memory, std::size_t bytes) {
        Entry evicted{nullptr, 0};
        {
            std::lock_guard lock(m_mutex);
            if (bytes > kMaxHeldFraction * std::size_t(memory_limit())) {
                evicted = {memory, bytes};
            } else {
                if (m_entries.size() == kMaxEntries) {
                    evicted = m_entries.front();
                    m_held -= evicted.bytes;
                    m_entries.erase(m_entries.begin());
                }
                ASAN_POISON_MEMORY_REGION(memory, bytes);
                m_entries.push_back({memory, bytes});
                m_held += bytes;
            }
        }
        if (evicted.memory != nullptr) free_entry(evicted);
    }

    void release() {
        std::vector<Entry> stale;
        {
            std::lock_guard lock(m_mutex);
            stale.swap(m_entries);
            m_held = 0;
        }
        for (const Entry& entry : stale)
            free_entry(entry);
    }

    std::int64_t held_bytes() {
        std::lock_guard lock(m_mutex);
        return std::int64_t(m_held);
    }

private:
    struct Entry {
        std::byte* memory;
        std::size_t bytes;
    };
    // Two buffers: an operation's input and output, so that a chain alternates between them.
    static constexpr std::size_t kMaxEntries = 2;
    // No single buffer over a quarter of the allocation limit is held.
    static constexpr double kMaxHeldFraction = 0.25;

    static void free_entry(const Entry& entry) {
        ASAN_UNPOISON_MEMORY_REGION(entry.memory, entry.bytes);
        delete_huge_buffer(entry.memory);
    }

    std::mutex m_mutex;
    std::vector<Entry> m_entries;
    std::size_t m_held = 0;
};

// Never destroyed: volumes in static storage may be freed after any other static.
BufferCache& buffer_cache() {
    static auto* cache = new BufferCache;
    return *cache;
}

}  // namespace

std::shared_ptr<std::byte[]> allocate_buffer(std::int64_t bytes) {
    const bool huge = bytes >= kHugePageThreshold;
    const std::size_t alignment = huge ? kHugePage : kBufferAlignment;
    const std::size_t rounded = std::max<std::size_t>(
        (std::size_t(bytes) + alignment - 1) / alignment * alignment, alignment);
    if (huge) {
        std::byte* memory = buffer_cache().take(rounded);
        if (memory == nullptr) memory = new_huge_buffer(rounded, bytes);
        return std::shared_ptr<std::byte[]>(
            memory, [rounded](std::byte* pointer) { buffer_cache().give(pointer, rounded); });
    }
    auto* memory = static_cast<std::byte*>(
        ::operator new[](rounded, std::align_val_t(alignment), std::nothrow));
    if (memory == nullptr) {
        throw LimitError(fmt::format("out of memory allocating {}", format_bytes(bytes)));
    }
    return std::shared_ptr<std::byte[]>(memory, [](std::byte* pointer) {
        ::operator delete[](pointer, std::align_val_t(kBufferAlignment));
    });
}

std::int64_t buffer_cache_bytes() {
    return buffer_cache().held_bytes();
}

void release_buffer_cache() {
    buffer_cache().release();
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif
}

void keep_freed_memory(std::int64_t bytes) {
#if defined(__GLIBC__)
    // Setting either value turns off glibc's own sliding thresholds, so both are set: the
    // mmap threshold at that sliding scheme's ceiling, the trim threshold as asked.
    constexpr int kMmapThreshold = 32 << 20;
    ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
    ::mallopt(M_TRIM_THRESHOLD,
              int(std::clamp<std::int64_t>(bytes, 0, std::numeric_limits<int>::max())));
#else
    (void)bytes;
#endif
}

std::string_view axis_name(Axis axis) {
    constexpr std::string_view kNames[] = {"z", "y", "x"};
    return kNames[static_cast<int>(axis)];
}

std::int64_t Shape::extent(Axis axis) const {
    switch (axis) {
        case Axis::z:
            return z;
        case Axis::y:
            return y;
        case Axis::x:
            return x;
    }
    return 0;
}

std::array<double, 3> Spacing::normalized() const {
    return {zyx[0] / zyx[2], zyx[1] / zyx[2], 1.0};
}

std::int64_t memory_limit() {
    return memory_limit_value().load();
}

void set_memory_limit(std::int64_t bytes) {
    if (bytes < 1) throw ValueError(fmt::format("memory limit must be positive, got {}", bytes));
    memory_limit_value().store(bytes);
}

std::string normalize_length_unit(std::string_view unit) {
    // "\u00B5" is the micro sign, "\u03BC" the Greek mu; files use either.
    constexpr std::string_view kMicro[] = {"um",         "micron",  "microns", "micrometer",
                                           "micrometre", "\u00B5m", "\u03BCm", "\\u00B5m"};
    for (std::string_view spelling : kMicro) {
        if (unit == spelling) return "\u00B5m";
    }
    return std::string(unit);
}

std::string spatial_shape_text(const Shape& shape) {
    return std::to_string(shape.z) + "x" + std::to_string(shape.y) + "x" + std::to_string(shape.x);
}

std::string format_bytes(std::int64_t bytes) {
    constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = double(bytes);
    int unit = 0;
    while (std::fabs(value) >= 1024.0 && unit < 6) {
        value /= 1024.0;
        ++unit;
    }
    if (unit == 0) return fmt::format("{} B", bytes);
    return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::int64_t checked_product(std::initializer_list<std::int64_t> factors, std::string_view what) {
    std::int64_t product = 1;
    for (std::int64_t factor : factors) {
        if (factor < 0) throw ValueError(fmt::format("{}: negative size {}", what, factor));
        if (__builtin_mul_overflow(product, factor, &product)) {
            throw LimitError(fmt::format("{}: size overflows 64 bits", what));
        }
    }
    return product;
}

std::int64_t checked_allocation(std::initializer_list<std::int64_t> factors,
                                std::string_view what) {
    const std::int64_t bytes = checked_product(factors, what);
    if (bytes > memory_limit()) {
        throw LimitError(fmt::format("{} needs {}, over the memory limit of {}", what,
                                     format_bytes(bytes), format_bytes(memory_limit())));
    }
    return bytes;
}

Volume Volume::allocate(const Shape& shape, PixelType type, Fill fill) {
    if (shape.z < 0 || shape.y < 0 || shape.x < 0 || shape.c < 1) {
        throw ValueError(fmt::format("invalid volume shape {}x{}x{} with {} channels", shape.z,
                                     shape.y, shape.x, shape.c));
    }
    const std::int64_t bytes = checked_product(
        {shape.z, shape.y, shape.x, shape.c, std::int64_t(pixel_size(type))}, "volume size");
    if (bytes > memory_limit()) {
        throw LimitError(
            fmt::format("a {}x{}x{}x{} {} volume needs {}, over the memory limit of {}", shape.z,
                        shape.y, shape.x, shape.c, pixel_type_name(type), format_bytes(bytes),
                        format_bytes(memory_limit())));
    }
    Volume volume;
    volume.m_buffer = allocate_buffer(bytes);
    std::byte* data = volume.m_buffer.get();
    if (fill == Fill::zeros) {
        // Zero in parallel so that pages are first touched by the threads that will use them.
        constexpr std::int64_t kChunk = std::int64_t(1) << 22;
        parallel_for(0, (bytes + kChunk - 1) / kChunk, 1,
                     [&](std::int64_t begin, std::int64_t end) {
                         const std::int64_t first = begin * kChunk;
                         const std::int64_t last = std::min(bytes, end * kChunk);
                         std::memset(data + first, 0, std::size_t(last - first));
                     });
    }
    volume.m_origin = data;
    volume.m_type = type;
    volume.m_shape = shape;
    volume.m_strides = packed_strides(shape);
    volume.m_channel_names.assign(std::size_t(shape.c), std::string());
    return volume;
}

Volume Volume::adopt(std::shared_ptr<std::byte[]> buffer, std::int64_t buffer_bytes,
                     std::int64_t byte_offset, const Shape& shape, PixelType type) {
    if (shape.z < 0 || shape.y < 0 || shape.x < 0 || shape.c < 1) {
        throw ValueError(fmt::format("invalid volume shape {}x{}x{} with {} channels", shape.z,
                                     shape.y, shape.x, shape.c));
    }
    const std::int64_t bytes = checked_product(
        {shape.z, shape.y, shape.x, shape.c, std::int64_t(pixel_size(type))}, "volume size");
    if (byte_offset < 0 || byte_offset > buffer_bytes || bytes > buffer_bytes - byte_offset ||
        byte_offset % std::int64_t(pixel_size(type)) != 0) {
        throw ValueError(fmt::format("{} bytes of voxels at offset {} do not fit a buffer of {}",
                                     bytes, byte_offset, buffer_bytes));
    }
    Volume volume;
    volume.m_origin = buffer.get() + byte_offset;
    volume.m_buffer = std::move(buffer);
    volume.m_type = type;
    volume.m_shape = shape;
    volume.m_strides = packed_strides(shape);
    volume.m_channel_names.assign(std::size_t(shape.c), std::string());
    return volume;
}

std::int64_t Volume::size_bytes() const {
    return m_shape.values() * std::int64_t(pixel_size(m_type));
}

bool Volume::is_contiguous() const {
    if (empty()) return true;
    const Strides packed = packed_strides(m_shape);
    for (int axis = 0; axis < 4; ++axis) {
        const std::int64_t extent = axis == 0   ? m_shape.z
                                    : axis == 1 ? m_shape.y
                                    : axis == 2 ? m_shape.x
                                                : m_shape.c;
        // A stride along an axis of extent 1 is never used, so it does not matter.
        if (extent > 1 && m_strides[axis] != packed[axis]) return false;
    }
    return true;
}

bool Volume::shares_memory_with(const Volume& other) const {
    return m_buffer != nullptr && m_buffer == other.m_buffer;
}

void Volume::set_spacing(const Spacing& spacing) {
    for (double value : spacing.zyx) {
        if (!(value > 0.0) || !std::isfinite(value)) {
            throw ValueError(fmt::format("spacing must be positive and finite, got ({}, {}, {})",
                                         spacing.zyx[0], spacing.zyx[1], spacing.zyx[2]));
        }
    }
    m_spacing = spacing;
}

void Volume::set_channel_names(std::vector<std::string> names) {
    if (std::int64_t(names.size()) != m_shape.c) {
        throw ValueError(
            fmt::format("{} channel names given for {} channels", names.size(), m_shape.c));
    }
    m_channel_names = std::move(names);
}

void Volume::check_type(PixelType requested) const {
    if (requested != m_type) {
        throw TypeError(fmt::format("requested a {} view of a {} volume",
                                    pixel_type_name(requested), pixel_type_name(m_type)));
    }
}

Volume Volume::with_view(void* origin, const Shape& shape, const Strides& strides) const {
    Volume view = *this;
    view.m_origin = origin;
    view.m_shape = shape;
    view.m_strides = strides;
    return view;
}

Volume Volume::channel(std::int64_t c) const {
    check_index(c, m_shape.c, "channel");
    Shape shape = m_shape;
    shape.c = 1;
    auto* origin =
        static_cast<std::byte*>(m_origin) + c * m_strides[3] * std::int64_t(pixel_size(m_type));
    Volume view = with_view(origin, shape, m_strides);
    view.m_channel_names = {m_channel_names[std::size_t(c)]};
    return view;
}

Volume Volume::crop(const Box& box) const {
    const std::array<std::int64_t, 3> extents{m_shape.z, m_shape.y, m_shape.x};
    for (int axis = 0; axis < 3; ++axis) {
        if (box.begin[axis] < 0 || box.end[axis] > extents[axis] ||
            box.begin[axis] >= box.end[axis]) {
            throw ValueError(fmt::format("crop box [{}, {}) along {} is empty or outside [0, {})",
                                         box.begin[axis], box.end[axis], axis_name(Axis(axis)),
                                         extents[axis]));
        }
    }
    const std::int64_t offset =
        box.begin[0] * m_strides[0] + box.begin[1] * m_strides[1] + box.begin[2] * m_strides[2];
    auto* origin = static_cast<std::byte*>(m_origin) + offset * std::int64_t(pixel_size(m_type));
    const Shape shape{box.end[0] - box.begin[0], box.end[1] - box.begin[1],
                      box.end[2] - box.begin[2], m_shape.c};
    Volume view = with_view(origin, shape, m_strides);
    if (m_affine) {
        view.m_affine = compose_index_transform(
            *m_affine, {1.0, 1.0, 1.0},
            {double(box.begin[2]), double(box.begin[1]), double(box.begin[0])});
    }
    return view;
}

Volume Volume::plane(Axis axis, std::int64_t index) const {
    check_index(index, m_shape.extent(axis), fmt::format("{} index", axis_name(axis)));
    Box box{{0, 0, 0}, {m_shape.z, m_shape.y, m_shape.x}};
    box.begin[int(axis)] = index;
    box.end[int(axis)] = index + 1;
    return crop(box);
}

Volume Volume::step(std::int64_t step_z, std::int64_t step_y, std::int64_t step_x) const {
    if (step_z < 1 || step_y < 1 || step_x < 1) {
        throw ValueError(
            fmt::format("steps must be >= 1, got ({}, {}, {})", step_z, step_y, step_x));
    }
    auto ceil_div = [](std::int64_t extent, std::int64_t step) {
        return (extent + step - 1) / step;
    };
    const Shape shape{ceil_div(m_shape.z, step_z), ceil_div(m_shape.y, step_y),
                      ceil_div(m_shape.x, step_x), m_shape.c};
    const Strides strides{m_strides[0] * step_z, m_strides[1] * step_y, m_strides[2] * step_x,
                          m_strides[3]};
    Volume view = with_view(m_origin, shape, strides);
    view.m_spacing.zyx = {m_spacing.zyx[0] * double(step_z), m_spacing.zyx[1] * double(step_y),
                          m_spacing.zyx[2] * double(step_x)};
    if (m_affine) {
        view.m_affine = compose_index_transform(
            *m_affine, {double(step_x), double(step_y), double(step_z)}, {0.0, 0.0, 0.0});
    }
    return view;
}

Volume Volume::copy() const {
    Volume result = Volume::allocate(m_shape, m_type, Fill::none);  // every voxel is copied
    if (is_contiguous()) {
        // Large blocks let memcpy use non-temporal stores, which skip reading the target
        // lines first: a third less memory traffic than copying row by row.
        const auto* source = static_cast<const std::byte*>(m_origin);
        auto* target = static_cast<std::byte*>(result.m_origin);
        const std::int64_t bytes = size_bytes();
        constexpr std::int64_t kBlock = std::int64_t(4) << 20;
        parallel_for(0, (bytes + kBlock - 1) / kBlock, 1,
                     [&](std::int64_t begin, std::int64_t end) {
                         const std::int64_t first = begin * kBlock;
                         const std::int64_t last = std::min(bytes, end * kBlock);
                         std::memcpy(target + first, source + first, std::size_t(last - first));
                     });
    } else {
        const std::int64_t row_bytes = m_shape.x * std::int64_t(pixel_size(m_type));
        visit(m_type, [&](auto tag) {
            using T = typename decltype(tag)::type;
            const VolumeView<const T> source = view<T>();
            const VolumeView<T> target = result.mutable_view<T>();
            const std::int64_t planes = m_shape.z * m_shape.c;
            parallel_for(0, planes, 1, [&](std::int64_t begin, std::int64_t end) {
                for (std::int64_t plane = begin; plane < end; ++plane) {
                    const std::int64_t c = plane / m_shape.z;
                    const std::int64_t z = plane % m_shape.z;
                    for (std::int64_t y = 0; y < m_shape.y; ++y) {
                        const T* in = source.row(z, y, c);
                        T* out = target.row(z, y, c);
                        if (source.rows_contiguous()) {
                            std::memcpy(out, in, std::size_t(row_bytes));
                        } else {
                            for (std::int64_t x = 0; x < m_shape.x; ++x)
                                out[x] = in[x * source.strides[2]];
                        }
                    }
                }
            });
        });
    }
    result.m_spacing = m_spacing;
    result.m_affine = m_affine;
    result.m_channel_names = m_channel_names;
    result.m_metadata = m_metadata;
    return result;
}

Volume Volume::contiguous() const {
    return is_contiguous() ? *this : copy();
}

double Volume::value_at(std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t c) const {
    check_index(z, m_shape.z, "z index");
    check_index(y, m_shape.y, "y index");
    check_index(x, m_shape.x, "x index");
    check_index(c, m_shape.c, "channel");
    return visit(m_type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        return double(view<T>()(z, y, x, c));
    });
}

}  // namespace vox
