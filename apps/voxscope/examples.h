// voxscope CLI: the examples that end `voxscope --help` and each command's --help.
#pragma once

#include <string>
#include <string_view>

namespace voxscope {

/// The footer of `voxscope --help`: one or two examples of each command, then the notes on
/// paths, global options and exit status.
std::string overview_footer();

/// The footer of `voxscope COMMAND --help`: every example of that command, the tutorials'
/// steps for `process`, then the same notes.
std::string command_footer(std::string_view command);

}  // namespace voxscope
