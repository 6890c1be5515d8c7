// libFuzzer target for zip archives: listing the members, opening "archive.zip::member",
// reading a member whole, in part and as a volume, and naming an archive without a member.
// libzip opens archives by path, so the bytes go to an in-memory file (memfd) and its
// /proc/self/fd path.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "source.h"
#include "vox/error.h"
#include "vox/io.h"

namespace {

// The path of an in-memory file that holds `data` and nothing else.
const std::string& archive_with(const std::uint8_t* data, std::size_t size) {
    static const int descriptor = memfd_create("fuzz.zip", MFD_CLOEXEC);
    static const std::string path = "/proc/self/fd/" + std::to_string(descriptor);
    if (descriptor < 0 || ftruncate(descriptor, 0) != 0) __builtin_trap();
    for (std::size_t done = 0; done < size;) {
        const ssize_t wrote = pwrite(descriptor, data + done, size - done, off_t(done));
        if (wrote <= 0) __builtin_trap();
        done += std::size_t(wrote);
    }
    return path;
}

// Reads a member whole and in part: the parts must be the whole's first bytes.
void read_member(const std::string& name) {
    const vox::io::Source source = vox::io::Source::open(name);
    const std::int64_t size = source.size();
    if (size < 0) __builtin_trap();
    const vox::io::Source half = source.prefix(size / 2);
    if (half.size() != size / 2) __builtin_trap();
    const std::vector<std::byte> first = half.read_all();
    const std::vector<std::byte> head = source.head(64);
    const std::vector<std::byte> all = source.read_all();
    if (std::int64_t(all.size()) != size) __builtin_trap();
    if (!std::equal(first.begin(), first.end(), all.begin())) __builtin_trap();
    if (!std::equal(head.begin(), head.end(), all.begin())) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool limited = (vox::set_memory_limit(std::int64_t(64) << 20), true);
    (void)limited;
    const std::string& path = archive_with(data, size);
    std::vector<std::string> members;
    try {
        members = vox::io::zip_members(path);
    } catch (const vox::Error&) {
        return 0;  // not an archive libzip opens
    }
    try {
        vox::open_volume(path);  // an archive without a member is refused, naming them
        __builtin_trap();
    } catch (const vox::Error&) {
    }
    for (std::size_t i = 0; i < std::min<std::size_t>(members.size(), 4); ++i) {
        const std::string name = path + "::" + members[i];
        try {
            read_member(name);
        } catch (const vox::Error&) {
            // A corrupt or oversized member is refused with one vox::Error.
        }
        try {
            vox::open_volume(name);
        } catch (const vox::Error&) {
        }
    }
    return 0;
}
