// A 128-bit integer for exact sums and products of 64-bit integer values (gcc and clang).
#pragma once

namespace vox::detail {

__extension__ typedef __int128 Int128;

}  // namespace vox::detail
