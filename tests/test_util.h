// Helpers shared by the unit tests: building small volumes in code.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "vox/volume.h"

namespace vox::test {

/// Sets memory_limit() for one scope, and restores it after (also when a check throws).
class ScopedMemoryLimit {
public:
    explicit ScopedMemoryLimit(std::int64_t bytes) : m_saved(memory_limit()) {
        set_memory_limit(bytes);
    }
    ~ScopedMemoryLimit() { set_memory_limit(m_saved); }
    ScopedMemoryLimit(const ScopedMemoryLimit&) = delete;
    ScopedMemoryLimit& operator=(const ScopedMemoryLimit&) = delete;

private:
    std::int64_t m_saved;
};

/// A contiguous volume whose value at (z, y, x, c) is fill(z, y, x, c), cast to T.
template <typename T, typename Fill>
Volume make_volume(const Shape& shape, Fill fill) {
    Volume volume = Volume::allocate(shape, pixel_type_of<T>());
    auto view = volume.mutable_view<T>();
    for (std::int64_t c = 0; c < shape.c; ++c)
        for (std::int64_t z = 0; z < shape.z; ++z)
            for (std::int64_t y = 0; y < shape.y; ++y)
                for (std::int64_t x = 0; x < shape.x; ++x)
                    view(z, y, x, c) = T(fill(z, y, x, c));
    return volume;
}

/// A 1x1xN single-channel volume holding `values`.
template <typename T>
Volume make_line(const std::vector<T>& values) {
    return make_volume<T>({1, 1, std::int64_t(values.size()), 1},
                          [&](auto, auto, auto x, auto) { return values[std::size_t(x)]; });
}

/// Every value of a volume, channel by channel, in z-y-x order, as doubles.
inline std::vector<double> values_of(const Volume& volume) {
    std::vector<double> values;
    const Shape& shape = volume.shape();
    for (std::int64_t c = 0; c < shape.c; ++c)
        for (std::int64_t z = 0; z < shape.z; ++z)
            for (std::int64_t y = 0; y < shape.y; ++y)
                for (std::int64_t x = 0; x < shape.x; ++x)
                    values.push_back(volume.value_at(z, y, x, c));
    return values;
}

}  // namespace vox::test

/// Expects `statement` to throw exactly `exception_type` with message `message`.
#define VOX_EXPECT_THROW_MSG(statement, exception_type, message)            \
    do {                                                                    \
        try {                                                               \
            statement;                                                      \
            ADD_FAILURE() << "expected " #exception_type " was not thrown"; \
        } catch (const exception_type& error) {                             \
            EXPECT_EQ(std::string(error.what()), std::string(message));     \
        }                                                                   \
    } while (false)
