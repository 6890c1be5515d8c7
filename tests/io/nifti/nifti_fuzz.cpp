// libFuzzer target for the NIfTI-1/NIfTI-2/Analyze header parser and reader. The input is read
// as a single .nii file, then split into a header and an image and read as a .hdr/.img pair
// (Analyze and NIfTI pairs). The last byte picks the read options.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nifti/nifti.h"
#include "vox/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool limited = [] {
        vox::set_memory_limit(64 << 20);
        return true;
    }();
    (void)limited;
    const auto* begin = reinterpret_cast<const std::byte*>(data);
    const std::vector<std::byte> bytes(begin, begin + size);
    vox::ReadOptions options;
    if (size > 0) {
        const std::uint8_t flags = data[size - 1];
        options.canonical = (flags & 1) != 0;
        options.time_as_channels = (flags & 2) != 0;
        options.time_point = (flags >> 2) & 3;
    }
    (void)vox::io::nifti::sniff_nifti(bytes);
    (void)vox::io::nifti::sniff_analyze(bytes);
    try {
        (void)vox::io::nifti::read(vox::io::Source::from_memory("fuzz.nii", bytes), options);
    } catch (const vox::Error&) {
        // Rejecting bad input with a vox::Error is the expected outcome.
    }
    const std::size_t split =
        std::min<std::size_t>(size, vox::io::nifti::header_size(bytes) == 540 ? 540 : 348);
    try {
        const auto header = vox::io::Source::from_memory(
            "fuzz.hdr",
            std::vector<std::byte>(bytes.begin(), bytes.begin() + std::ptrdiff_t(split)));
        const auto image = vox::io::Source::from_memory(
            "fuzz.img", std::vector<std::byte>(bytes.begin() + std::ptrdiff_t(split), bytes.end()));
        (void)vox::io::nifti::read_pair(header, image, options);
    } catch (const vox::Error&) {
    }
    return 0;
}
