// Shared by the format tests: every truncated prefix of a valid file must give a clean
// vox::Error, never a crash, a hang or a wrong volume.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "source.h"
#include "vox/error.h"

namespace vox::test {

/// Reads every prefix of `bytes` shorter than the whole (all of them up to 4096 bytes, then
/// about 2000 evenly spread lengths) through `read`, expecting a vox::Error each time.
/// `read` gets an in-memory Source named `name`.
inline void expect_truncations_fail_cleanly(const std::vector<std::byte>& bytes, const std::string& name,
                                            const std::function<void(const io::Source&)>& read) {
    std::vector<std::size_t> lengths;
    for (std::size_t length = 0; length < bytes.size() && length <= 4096; ++length) lengths.push_back(length);
    if (bytes.size() > 4096) {
        const std::size_t step = std::max<std::size_t>(1, (bytes.size() - 4096) / 2000);
        for (std::size_t length = 4097; length < bytes.size(); length += step) lengths.push_back(length);
        lengths.push_back(bytes.size() - 1);
    }
    for (std::size_t length : lengths) {
        const std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + std::ptrdiff_t(length));
        try {
            read(io::Source::from_memory(name, prefix));
            ADD_FAILURE() << name << ": a prefix of " << length << " of " << bytes.size()
                          << " bytes was read without an error";
        } catch (const vox::Error&) {
            // expected: one clean error
        }
    }
}

}  // namespace vox::test
