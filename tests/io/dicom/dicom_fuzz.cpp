// libFuzzer target for the DICOM reader: the bytes are one file, parsed by GDCM from memory
// (no temporary file) and checked by our header code before anything is allocated.
// GDCM's JPEG / JPEG-LS / JPEG 2000 codecs are switched off: Debian's GDCM asserts inside them
// on corrupt streams (see docs/formats/dicom.md). Everything else runs: our structure check,
// GDCM's data set parser, our header reading, native copies, our RLE decoder, rescaling.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dicom/dicom.h"
#include "format.h"
#include "vox/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool limited = [] {
        vox::set_memory_limit(64 << 20);  // fuzz inputs must not allocate much
        vox::io::set_dicom_codecs_enabled(false);
        return true;
    }();
    (void)limited;
    const auto* begin = reinterpret_cast<const std::byte*>(data);
    const vox::io::Format& format = vox::io::dicom_format();
    format.sniff({begin, size});
    try {
        const vox::Volume volume = format.read(
            vox::io::Source::from_memory("fuzz.dcm", std::vector<std::byte>(begin, begin + size)),
            {});
        // What was read must be consistent: a non-empty volume within the memory limit.
        if (volume.empty() || volume.size_bytes() > (64 << 20)) __builtin_trap();
    } catch (const vox::Error&) {
        // Rejecting bad bytes with a vox::Error is the expected outcome.
    }
    return 0;
}
