// voxscope CLI: the flags that say how to read an input, shared by every command.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "vox/io.h"

namespace voxscope {

/// Read flags as typed on the command line, before validation.
struct ReadFlags {
    std::int64_t time_point = 0;
    bool time_as_channels = false;
    bool canonical = false;
    std::string raw_shape;
    std::string raw_dtype;
    std::string raw_spacing;
    std::string raw_unit = "mm";
    std::string raw_endian = "little";
    std::int64_t raw_offset = 0;
    std::string dtype_flag = "--dtype";
};

/// A check for indices and counts: a whole number from 0 up. CLI11's own range checks print
/// their bounds as doubles of 300 digits.
const CLI::Validator& whole_number();

/// Adds --t, --time-as-channels, --canonical and the raw-binary flags to a command. The
/// raw input's pixel type is `--dtype`, or `dtype_flag` where a command uses --dtype for
/// its output (convert uses --in-dtype).
void add_read_flags(CLI::App& command, ReadFlags& flags, const std::string& dtype_flag = "--dtype");

/// Validates the flags. @throw vox::ValueError naming the flag and the problem.
vox::ReadOptions to_read_options(const ReadFlags& flags);

}  // namespace voxscope
