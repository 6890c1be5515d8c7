#include "vox/error.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

namespace vox {
namespace {

// Edits (insertions, deletions, substitutions, swaps of neighbours) between two names.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t change = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + change});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

// The length of the valid UTF-8 sequence at the start of `text` that encodes a printable
// character, or 0 (a control character, a stray or overlong byte, a surrogate).
std::size_t printable_sequence(std::string_view text) {
    const auto byte = [&](std::size_t i) { return std::uint8_t(text[i]); };
    const std::uint8_t lead = byte(0);
    if (lead < 0x20 || lead == 0x7F) return 0;
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    std::uint8_t low = 0x80, high = 0xBF;  // the second byte's range
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;   // overlong
        if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;   // overlong
        if (lead == 0xF4) high = 0x8F;  // beyond U+10FFFF
    } else {
        return 0;
    }
    if (text.size() < length) return 0;
    if (byte(1) < low || byte(1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i)
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    // C1 controls (U+0080..U+009F) print as nothing or move the cursor.
    if (lead == 0xC2 && byte(1) < 0xA0) return 0;
    return length;
}

}  // namespace

std::string printable_text(std::string_view text) {
    std::string printable;
    printable.reserve(text.size());
    while (!text.empty()) {
        const std::size_t length = printable_sequence(text);
        if (length == 0) {
            printable += fmt::format("\\x{:02x}", std::uint8_t(text.front()));
            text.remove_prefix(1);
        } else {
            printable.append(text.substr(0, length));
            text.remove_prefix(length);
        }
    }
    return printable;
}

// Names outside 3..64 characters get no suggestion: the distances take time and memory in
// the product of the lengths ('gama', 'equalise', 'blockmean' and 'thresh' all get one).
std::string did_you_mean(std::string_view name, std::span<const std::string> known) {
    if (name.size() < 3 || name.size() > 64) return "";
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(1, name.size() / 3) + 1;
    for (const std::string& candidate : known) {
        std::size_t distance = edit_distance(name, candidate);
        if (candidate.size() > name.size() && candidate.compare(0, name.size(), name) == 0)
            distance = std::min<std::size_t>(distance, 1);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best.empty() ? "" : fmt::format("did you mean '{}'? ", best);
}

}  // namespace vox
