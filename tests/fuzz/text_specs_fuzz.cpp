// libFuzzer target for the parsers of user text that describe work rather than files:
// processing steps (JSON and command-line forms), animation versions and sweeps, transfer
// functions, render modes and named cameras. The first byte picks the parser; the rest is
// the text, as typed on a command line or sent by the viewer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vox/animate.h"
#include "vox/error.h"
#include "vox/pipeline.h"
#include "vox/volume_render.h"

namespace {

// Steps that parsed must print as JSON that parses, validates and prints the same again.
void require_round_trip(const std::vector<vox::Step>& steps) {
    const std::string json = vox::steps_to_json(steps);
    try {
        const auto again = vox::parse_steps_json(json);
        vox::validate_steps(again);
        if (vox::steps_to_json(again) != json) __builtin_trap();
    } catch (const vox::Error&) {
        __builtin_trap();  // the printed form of valid steps was refused
    }
}

void parse(std::uint8_t which, std::string_view text) {
    switch (which % 6) {
        case 0: {
            const auto steps = vox::parse_steps_json(text);
            vox::validate_steps(steps);
            require_round_trip(steps);
            break;
        }
        case 1: {
            std::vector<std::string> tokens;
            std::size_t begin = 0;
            while (begin <= text.size()) {
                const std::size_t end = std::min(text.find(' ', begin), text.size());
                tokens.emplace_back(text.substr(begin, end - begin));
                begin = end + 1;
            }
            const auto steps = vox::parse_steps_cli(tokens);
            vox::validate_steps(steps);
            require_round_trip(steps);
            break;
        }
        case 2:
            vox::parse_versions(std::string(text));
            break;
        case 3:
            vox::sweep_versions(std::string(text));
            break;
        case 4: {
            const vox::TransferFunction transfer = vox::parse_transfer_function(text);
            // Opacities stay within [0, 1] everywhere.
            for (double t = -0.5; t <= 1.5; t += 0.0625) {
                const double opacity = transfer.opacity(t);
                if (!(opacity >= 0.0 && opacity <= 1.0)) __builtin_trap();
            }
            break;
        }
        default:
            vox::parse_render_mode(text);
            vox::named_camera(text);
            break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    try {
        parse(data[0], std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
    } catch (const vox::Error&) {
        // Rejecting bad text with a vox::Error is the expected outcome.
    }
    return 0;
}
