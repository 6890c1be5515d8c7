// voxscope: the exception hierarchy thrown at the library's API edge.
#pragma once

#include <stdexcept>
#include <string>

namespace vox {

/// Base class of every exception voxscope throws on purpose.
///
/// The message is one line, meant for a person: it names the file or the
/// argument and the problem (e.g. "'scan.nii': header claims 2000x2000x2000
/// u16 (16 GB) but the file has 1 MB"). Front ends print it as it is.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A file could not be opened, read or written.
class IoError : public Error {
public:
    using Error::Error;
};

/// A file was read but its content is malformed, truncated or unsupported.
class FormatError : public Error {
public:
    using Error::Error;
};

/// An argument has a bad value: out of range, inconsistent, unknown name.
class ValueError : public Error {
public:
    using Error::Error;
};

/// An operation does not support the pixel type it was given.
class TypeError : public Error {
public:
    using Error::Error;
};

/// An allocation would exceed the configured memory limit (see set_memory_limit()).
class LimitError : public Error {
public:
    using Error::Error;
};

/// Long work stopped because the user asked it to (Ctrl-C), see request_interrupt().
class Interrupted : public Error {
public:
    Interrupted() : Error("interrupted") {}
};

}  // namespace vox
