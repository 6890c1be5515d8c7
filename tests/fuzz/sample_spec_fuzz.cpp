// libFuzzer target for the sample reference parser ("sample:phantom?size=64&variant=original").
// The parser sees user text from the command line and, later, from viewer URLs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vox/error.h"
#include "vox/samples.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const vox::SampleSpec spec = vox::parse_sample_spec(text);
        // What parsed must be well formed: a name, and keys and values within the input.
        if (spec.name.empty() || spec.name.size() > size) __builtin_trap();
        for (const auto& [key, value] : spec.parameters) {
            if (key.empty() || value.empty() || key.size() + value.size() > size) __builtin_trap();
        }
    } catch (const vox::Error&) {
        // Rejecting bad text with a vox::Error is the expected outcome.
    }
    return 0;
}
