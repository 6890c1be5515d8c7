// Maximal runs of one non-zero value along a row, found without a branch per voxel: label()
// joins them, label_statistics() accumulates them.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace vox::segmentation_detail {

// Per chunk of 64 voxels, bit masks of "non-zero" and "differs from the voxel before" give
// the run starts and ends, which are then walked with count-trailing-zeros (speckled masks
// have short runs whose ends a branchy scan mispredicts). The row is copied into a
// zero-padded buffer first, so the chunks need no bounds checks.
template <typename T>
class RunFinder {
public:
    explicit RunFinder(std::int64_t nx)
        : m_nx(nx), m_chunks((nx + 63) / 64), m_buffer(std::size_t(m_chunks * 64 + 80), T(0)) {}

    // Calls fn(x0, x1) for every maximal run [x0, x1) of one non-zero value, left to right,
    // in the row of nx values `stride` apart.
    template <typename Fn>
    void for_each_run(const T* row, Fn&& fn, std::int64_t stride = 1) {
        T* p = m_buffer.data() + 16;  // p[-1] .. p[-16] stay zero
        if (stride == 1) {
            std::memcpy(p, row, std::size_t(m_nx) * sizeof(T));
        } else {
            for (std::int64_t x = 0; x < m_nx; ++x)
                p[x] = row[x * stride];
        }
        std::uint64_t nz, ne;
        masks(p, nz, ne);
        std::int64_t open = -1;
        for (std::int64_t c = 0; c < m_chunks; ++c) {
            std::uint64_t next_nz, next_ne;
            masks(p + (c + 1) * 64, next_nz, next_ne);  // zeros past the row
            std::uint64_t starts = nz & ne;
            std::uint64_t ends = nz & ((ne >> 1) | (next_ne << 63));
            const std::int64_t base = c * 64;
            while (true) {
                if (open < 0) {
                    if (starts == 0) break;
                    open = base + __builtin_ctzll(starts);
                    starts &= starts - 1;
                }
                if (ends == 0) break;  // the run goes on into the next chunk
                fn(std::int32_t(open), std::int32_t(base + __builtin_ctzll(ends) + 1));
                ends &= ends - 1;
                open = -1;
            }
            nz = next_nz;
            ne = next_ne;
        }
    }

    // The row last passed to for_each_run, packed.
    const T* row() const { return m_buffer.data() + 16; }

private:
    // Bit i of nz: p[i] != 0; bit i of ne: p[i] != p[i - 1].
    static void masks(const T* p, std::uint64_t& nz, std::uint64_t& ne) {
#if defined(__SSE2__)
        if constexpr (sizeof(T) <= 4 && std::is_integral_v<T>) {
            std::uint64_t z = 0, e = 0;
            for (int k = 0; k < 4; ++k) {
                z |= std::uint64_t(equal_bits(p + 16 * k, nullptr)) << (16 * k);
                e |= std::uint64_t(equal_bits(p + 16 * k, p + 16 * k - 1)) << (16 * k);
            }
            nz = ~z;
            ne = ~e;
            return;
        }
#endif
        std::uint64_t z = 0, e = 0;
        for (int i = 0; i < 64; ++i) {
            z |= std::uint64_t(p[i] != T(0)) << i;
            e |= std::uint64_t(p[i] != p[i - 1]) << i;
        }
        nz = z;
        ne = e;
    }

#if defined(__SSE2__)
    static __m128i load(const T* p) {
        return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    }

    // Bit i: a[i] == b[i] (b[i] == 0 when b is null), for i < 16; the compares are narrowed
    // to bytes with saturating packs (-1 and 0 survive them).
    static unsigned equal_bits(const T* a, const T* b) {
        constexpr int kPer = int(16 / sizeof(T));  // values per register
        __m128i bytes[4];
        for (int r = 0; r < 16 / kPer; ++r) {
            const __m128i x = load(a + r * kPer);
            const __m128i y = b ? load(b + r * kPer) : _mm_setzero_si128();
            if constexpr (sizeof(T) == 1) {
                bytes[r] = _mm_cmpeq_epi8(x, y);
            } else if constexpr (sizeof(T) == 2) {
                bytes[r] = _mm_cmpeq_epi16(x, y);
            } else {
                bytes[r] = _mm_cmpeq_epi32(x, y);
            }
        }
        if constexpr (sizeof(T) == 4) {
            bytes[0] = _mm_packs_epi32(bytes[0], bytes[1]);
            bytes[1] = _mm_packs_epi32(bytes[2], bytes[3]);
        }
        if constexpr (sizeof(T) >= 2) bytes[0] = _mm_packs_epi16(bytes[0], bytes[1]);
        return unsigned(_mm_movemask_epi8(bytes[0])) & 0xFFFFu;
    }
#endif

    std::int64_t m_nx, m_chunks;
    std::vector<T> m_buffer;
};

}  // namespace vox::segmentation_detail
