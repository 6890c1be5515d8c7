// voxscope: the exception hierarchy thrown at the library's API edge.
#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace vox {

/// `text` with every control character (newlines and NUL included) and every byte that is
/// not part of valid UTF-8 written as \xNN, so that text quoted from a file cannot break
/// or cut the line it is printed on. Idempotent.
std::string printable_text(std::string_view text);

/// "did you mean 'gamma'? " when one of `known` is near enough to `name` to be its
/// misspelling: at most one edit (insertion, deletion, substitution or swap of neighbours)
/// per three letters, or the start of the name. Empty otherwise, and for names shorter than
/// 3 or longer than 64 characters. For messages that name an unknown op, option or sample.
std::string did_you_mean(std::string_view name, std::span<const std::string> known);

/// Base class of every exception voxscope throws on purpose.
///
/// The message is one line, meant for a person: it names the file or the
/// argument and the problem (e.g. "'scan.nii': header claims 2000x2000x2000
/// u16 (16 GB) but the file has 1 MB"). Front ends print it as it is: bytes quoted
/// from a file are made printable_text() here.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(printable_text(message)) {}
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
