#include "terminal.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "vox/error.h"
#include "vox/parallel.h"
#include "vox/progress.h"

namespace voxscope {
namespace {

constexpr int kBarWidth = 30;

void on_interrupt(int) {
    vox::request_interrupt();
}

}  // namespace

void install_progress_bar(bool quiet) {
    if (quiet || ::isatty(STDERR_FILENO) == 0) return;
    vox::set_progress_reporter([](std::string_view task, double fraction) {
        const int filled = int(fraction * kBarWidth + 0.5);
        std::string bar(std::size_t(filled), '#');
        bar.resize(kBarWidth, '.');
        // \r redraws in place; \x1b[K clears what a longer earlier line left.
        fmt::print(stderr, "\r{} [{}] {:3.0f}%\x1b[K", task, bar, fraction * 100.0);
        if (fraction >= 1.0) fmt::print(stderr, "\r\x1b[K");
        std::fflush(stderr);
    });
}

void install_interrupt_handler() {
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;  // the second Ctrl-C gets the default: terminate
    sigaction(SIGINT, &action, nullptr);
}

std::int64_t parse_byte_size(std::string_view text) {
    const std::string input(text);
    std::size_t used = 0;
    double value = 0.0;
    try {
        value = std::stod(input, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    std::string suffix = input.substr(used);
    if (!suffix.empty() && (suffix.back() == 'B' || suffix.back() == 'b')) suffix.pop_back();
    if (suffix.size() == 2 && (suffix[1] == 'i' || suffix[1] == 'I')) suffix.pop_back();
    double multiplier = 0.0;
    if (suffix.empty())
        multiplier = 1.0;
    else if (suffix == "K" || suffix == "k")
        multiplier = 1024.0;
    else if (suffix == "M" || suffix == "m")
        multiplier = 1024.0 * 1024.0;
    else if (suffix == "G" || suffix == "g")
        multiplier = 1024.0 * 1024.0 * 1024.0;
    else if (suffix == "T" || suffix == "t")
        multiplier = 1024.0 * 1024.0 * 1024.0 * 1024.0;
    const double bytes = value * multiplier;
    if (used == 0 || multiplier == 0.0 || !(bytes >= 1.0) || bytes > 9.0e18) {
        throw vox::ValueError(fmt::format(
            "bad size '{}' (expected a positive number with an optional K, M, G or T)", text));
    }
    return std::int64_t(bytes);
}

}  // namespace voxscope
