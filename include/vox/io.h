// voxscope: opening volumes from any supported source.
#pragma once

#include <string_view>

#include "vox/volume.h"

namespace vox {

/// Opens a volume from a path as users give it: "sample:NAME[?key=value...]" for a
/// built-in sample, otherwise a file read by the format registry.
/// @throw IoError if the source cannot be read, FormatError if it is malformed,
/// ValueError for a bad sample reference.
Volume open_volume(std::string_view path);

}  // namespace vox
