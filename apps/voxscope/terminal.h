// voxscope CLI: terminal concerns (progress bar, Ctrl-C, byte sizes) kept out of main.
#pragma once

#include <cstdint>
#include <string_view>

namespace voxscope {

/// Shows a progress bar on stderr when it is a terminal and `quiet` is false.
void install_progress_bar(bool quiet);

/// The first Ctrl-C, SIGTERM or SIGHUP asks running work to stop (vox::request_interrupt);
/// a second one kills the process the default way.
void install_interrupt_handler();

/// 128 + the signal that asked to stop: 130 for Ctrl-C, 143 for SIGTERM.
int interrupted_exit_status();

/// Parses "512M", "4G", "1.5GiB", "1000000" into bytes (binary prefixes).
/// @throw vox::ValueError for anything else.
std::int64_t parse_byte_size(std::string_view text);

}  // namespace voxscope
