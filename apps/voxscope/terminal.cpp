#include "terminal.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <string>

#include <fmt/format.h>

#include "vox/error.h"
#include "vox/parallel.h"
#include "vox/progress.h"

namespace voxscope {
namespace {

constexpr int kBarWidth = 30;

volatile std::sig_atomic_t g_signal = SIGINT;
std::timespec g_first{};

double seconds_since(const std::timespec& start) {
    std::timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe
    return double(now.tv_sec - start.tv_sec) + double(now.tv_nsec - start.tv_nsec) * 1e-9;
}

void on_interrupt(int signal) {
    if (!vox::interrupt_requested()) {
        g_signal = signal;
        ::clock_gettime(CLOCK_MONOTONIC, &g_first);
        vox::request_interrupt();
        return;
    }
    // `timeout` signals the process and then its group: the same stop twice at once. A
    // second signal a moment later is the user insisting: terminate the default way.
    if (seconds_since(g_first) < 0.5) return;
    std::signal(signal, SIG_DFL);
    std::raise(signal);
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
    // SIGTERM (kill, timeout) and SIGHUP (a closed terminal) stop the same way, so that
    // temporary files are removed.
    for (const int signal : {SIGINT, SIGTERM, SIGHUP})
        sigaction(signal, &action, nullptr);
}

int interrupted_exit_status() {
    return 128 + int(g_signal);
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
