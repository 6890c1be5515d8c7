// voxscope: the Volume type that every module shares, and its typed views.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vox/error.h"
#include "vox/pixel_type.h"

namespace vox {

/// Spatial axes in index order. A Volume is indexed (z, y, x, c): plane, row,
/// column, channel, as in numpy and scikit-image.
enum class Axis : std::uint8_t { z = 0, y = 1, x = 2 };

/// "z", "y" or "x".
std::string_view axis_name(Axis axis);

/// Extent of a volume in voxels along z, y, x and the number of channels.
struct Shape {
    std::int64_t z = 0;
    std::int64_t y = 0;
    std::int64_t x = 0;
    std::int64_t c = 1;

    /// Voxels in one channel (z * y * x).
    std::int64_t voxels() const { return z * y * x; }
    /// Values in all channels (z * y * x * c).
    std::int64_t values() const { return voxels() * c; }
    /// Extent along a spatial axis.
    std::int64_t extent(Axis axis) const;
    bool operator==(const Shape&) const = default;
};

/// A half-open box [begin, end) in voxel indices, (z, y, x) order.
struct Box {
    std::array<std::int64_t, 3> begin{0, 0, 0};
    std::array<std::int64_t, 3> end{0, 0, 0};
    bool operator==(const Box&) const = default;
};

/// Physical distance between voxel centres along (z, y, x).
///
/// `unit` is a length unit as users write it ("µm", "mm"). When a source has
/// no spacing, `known` is false and `zyx` is a placeholder of ones: front ends
/// must say so rather than present the ones as physical.
struct Spacing {
    std::array<double, 3> zyx{1.0, 1.0, 1.0};
    std::string unit;
    bool known = false;

    /// Spacing divided by the x spacing, as the scikit-image tutorial normalises it.
    std::array<double, 3> normalized() const;
    bool operator==(const Spacing&) const = default;
};

/// Row-major 4x4 matrix mapping homogeneous voxel indices (x, y, z, 1), i.e.
/// (column, row, plane, 1), to world coordinates (x, y, z, 1). This is the
/// NIfTI convention, so a file's affine is stored unchanged.
using Affine = std::array<double, 16>;

/// Element strides of a view along z, y, x and c (in elements, not bytes).
using Strides = std::array<std::int64_t, 4>;

/// A non-owning, typed, strided view of a volume's voxels.
///
/// This is what algorithms take: a pointer to voxel (0, 0, 0, 0), the shape and
/// element strides. It is trivially copyable; the Volume it came from owns the
/// memory and must outlive it. T is `const P` for read-only views.
template <typename T>
struct VolumeView {
    T* origin = nullptr;
    Shape shape;
    Strides strides{0, 0, 0, 0};

    T& operator()(std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t c = 0) const {
        return origin[z * strides[0] + y * strides[1] + x * strides[2] + c * strides[3]];
    }
    /// Pointer to the first voxel of row (z, y) of channel c; step strides[2] along it.
    T* row(std::int64_t z, std::int64_t y, std::int64_t c = 0) const {
        return origin + z * strides[0] + y * strides[1] + c * strides[3];
    }
    /// True when voxels along x are adjacent in memory (the fast path).
    bool rows_contiguous() const { return strides[2] == 1; }
    /// True when each channel is one packed z-y-x block.
    bool channels_contiguous() const {
        return strides[2] == 1 && strides[1] == shape.x && strides[0] == shape.x * shape.y;
    }
};

/// A 3D image with channels: the one data type every voxscope module shares.
///
/// Index order is (z, y, x, c). A freshly allocated volume stores each channel
/// as one contiguous z-y-x block with x fastest, so per-channel work streams
/// through memory. The buffer is shared and reference counted: views (channel,
/// crop, plane, step) are Volumes that share it and cost no copy. Views are
/// read-only by default; mutable_view() gives write access and is meant for the
/// code that fills a volume it has just allocated.
///
/// Besides voxels, a Volume carries its physical spacing with a unit, an
/// optional affine (see Affine), channel names and free-form metadata. Views
/// keep all of it consistent: a crop moves the affine's origin, a step scales
/// spacing and affine.
class Volume {
public:
    /// An empty volume (shape 0x0x0x1, u8).
    Volume() = default;

    /// What allocate() puts in the new voxels.
    enum class Fill {
        zeros,
        /// Nothing: for readers that overwrite every voxel (saves a pass over memory).
        none,
    };

    /// Allocates a contiguous volume, zero-filled unless `fill` is Fill::none.
    /// @throw ValueError if an extent is negative or the channel count is < 1.
    /// @throw LimitError if the size overflows or exceeds memory_limit().
    static Volume allocate(const Shape& shape, PixelType type, Fill fill = Fill::zeros);

    /// Wraps an existing buffer of `buffer_bytes` bytes without copying (readers use it to
    /// adopt decompressed data). The voxels start `byte_offset` bytes in and are packed,
    /// each channel one z-y-x block; the volume shares ownership of the buffer.
    /// @throw ValueError if the voxels do not fit in the buffer or the offset is not
    /// aligned for the pixel type.
    static Volume adopt(std::shared_ptr<std::byte[]> buffer, std::int64_t buffer_bytes,
                        std::int64_t byte_offset, const Shape& shape, PixelType type);

    PixelType pixel_type() const { return m_type; }
    const Shape& shape() const { return m_shape; }
    const Strides& strides() const { return m_strides; }
    bool empty() const { return m_shape.values() == 0; }
    /// Bytes the voxels of this view take when packed (values * pixel size).
    std::int64_t size_bytes() const;
    /// True when the view is packed: each channel one z-y-x block, channels adjacent.
    bool is_contiguous() const;
    /// True when no other Volume shares this buffer, so an operation that owns this
    /// volume may overwrite it in place. False for an empty volume.
    bool is_sole_owner() const { return m_buffer && m_buffer.use_count() == 1; }
    /// True when this view and `other` share the same buffer.
    bool shares_memory_with(const Volume& other) const;

    const Spacing& spacing() const { return m_spacing; }
    void set_spacing(const Spacing& spacing);
    const std::optional<Affine>& affine() const { return m_affine; }
    void set_affine(const std::optional<Affine>& affine) { m_affine = affine; }
    /// One name per channel; empty names when the source had none.
    const std::vector<std::string>& channel_names() const { return m_channel_names; }
    /// @throw ValueError unless names.size() == shape().c.
    void set_channel_names(std::vector<std::string> names);
    /// Free key/value metadata (source format, acquisition details...).
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }
    std::map<std::string, std::string>& metadata() { return m_metadata; }

    /// Read-only typed view. @throw TypeError if T is not pixel_type().
    template <typename T>
    VolumeView<const T> view() const {
        check_type(pixel_type_of<T>());
        return {static_cast<const T*>(m_origin), m_shape, m_strides};
    }
    /// Writable typed view of the shared buffer. @throw TypeError as view().
    template <typename T>
    VolumeView<T> mutable_view() {
        check_type(pixel_type_of<T>());
        return {static_cast<T*>(m_origin), m_shape, m_strides};
    }

    /// One channel as a single-channel view. @throw ValueError if c is out of range.
    Volume channel(std::int64_t c) const;
    /// The voxels inside `box` (all channels). @throw ValueError unless the box is
    /// non-empty and inside the volume.
    Volume crop(const Box& box) const;
    /// One plane along `axis` at `index`, as a view whose extent along `axis` is 1.
    /// @throw ValueError if index is out of range.
    Volume plane(Axis axis, std::int64_t index) const;
    /// Every step_z-th plane, step_y-th row and step_x-th column, starting at 0
    /// (numpy's a[::sz, ::sy, ::sx]). Spacing is multiplied by the steps.
    /// @throw ValueError unless every step is >= 1.
    Volume step(std::int64_t step_z, std::int64_t step_y, std::int64_t step_x) const;

    /// A packed deep copy, with all metadata.
    Volume copy() const;
    /// This volume if it is already contiguous, else copy().
    Volume contiguous() const;

    /// The value at (z, y, x, c) as a double, bounds checked. Slow: for tests and tools.
    /// @throw ValueError if an index is out of range.
    double value_at(std::int64_t z, std::int64_t y, std::int64_t x, std::int64_t c = 0) const;

private:
    void check_type(PixelType requested) const;
    Volume with_view(void* origin, const Shape& shape, const Strides& strides) const;

    std::shared_ptr<std::byte[]> m_buffer;
    void* m_origin = nullptr;
    PixelType m_type = PixelType::u8;
    Shape m_shape{0, 0, 0, 1};
    Strides m_strides{0, 0, 0, 0};
    Spacing m_spacing;
    std::optional<Affine> m_affine;
    std::vector<std::string> m_channel_names{std::string()};
    std::map<std::string, std::string> m_metadata;
};

/// Allocates an uninitialised buffer for voxels (64-byte aligned; large buffers on huge
/// pages), for readers that decode straight into memory a Volume then adopts.
/// @throw LimitError if the memory cannot be had.
std::shared_ptr<std::byte[]> allocate_buffer(std::int64_t bytes);

/// Bytes of freed large buffers (8 MiB and more) held for reuse. Up to two are kept and
/// handed out again to allocations of the same size, which then skip the kernel's zeroing
/// of fresh pages; an allocation of another size frees them first.
std::int64_t buffer_cache_bytes();
/// Returns the held buffers, and any freed memory keep_freed_memory() kept, to the system
/// (a long-lived process going idle).
void release_buffer_cache();

/// Asks the C library's allocator to keep up to `bytes` of freed memory mapped for the next
/// allocations, for a process that makes figures or volumes again and again (a viewer, a
/// batch, a benchmark). By default glibc returns a freed block of a few MiB to the kernel,
/// which must then zero every page again on its next first touch: on a virtual machine
/// that cost about 1.8 us per 4 KiB page, 4 ms of an 18 ms orthogonal view. Blocks under
/// 32 MiB (glibc's own ceiling for this) come from the reused heap; volumes above 8 MiB
/// are kept by the buffer cache instead. Call it once, early, from the program's main().
/// A no-op with other C libraries.
void keep_freed_memory(std::int64_t bytes = std::int64_t(256) << 20);

/// The largest volume allocate() accepts, in bytes. The default is 80% of the
/// machine's physical memory.
std::int64_t memory_limit();
/// Sets the allocation limit in bytes (readers check headers against it too).
/// @throw ValueError if bytes < 1.
void set_memory_limit(std::int64_t bytes);

/// The usual spelling of a length unit: "um", "micron", "microns", "\u00B5m" (micro
/// sign) and "\u03BCm" (Greek mu) all become "µm" with the micro sign, as voxscope
/// writes it everywhere; anything else is returned as given.
std::string normalize_length_unit(std::string_view unit);

/// Human-readable byte count with binary prefixes: "7.5 MiB".
std::string format_bytes(std::int64_t bytes);

/// The spatial extent as messages write it: "60x256x256" (z, y, x).
std::string spatial_shape_text(const Shape& shape);

/// Overflow-safe product of non-negative sizes. @throw LimitError on overflow,
/// naming `what` in the message.
std::int64_t checked_product(std::initializer_list<std::int64_t> factors, std::string_view what);

/// The bytes of a working table (the product of `factors`), checked before it is allocated.
/// @throw LimitError "WHAT needs N, over the memory limit of L" beyond memory_limit(), or
/// on overflow.
std::int64_t checked_allocation(std::initializer_list<std::int64_t> factors, std::string_view what);

}  // namespace vox
