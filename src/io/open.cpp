#include "vox/io.h"

#include <sys/stat.h>

#include <string>

#include "vox/samples.h"

namespace vox {

Volume open_volume(std::string_view path) {
    if (is_sample_path(path)) return make_sample(path);
    const std::string file(path);
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) {
        throw IoError("cannot open '" + file + "': no such file or directory");
    }
    // The format registry (TIFF, NIfTI, NRRD, ...) plugs in here.
    throw FormatError("cannot read '" + file +
                      "': no reader for this format yet (built-in samples: sample:NAME, see "
                      "'voxscope samples')");
}

}  // namespace vox
