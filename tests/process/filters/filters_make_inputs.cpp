// Writes the voxscope-made inputs of the filters conformance cases as .npy files
// (sample:cells, sample:kidney), for tests/process/filters/filters_cases.py.
// Usage: vox_filters_make_inputs FOLDER
#include <cstdio>
#include <filesystem>
#include <string>

#include "vox/io.h"
#include "vox/samples.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FOLDER\n", argv[0]);
        return 2;
    }
    const std::string folder = argv[1];
    std::filesystem::create_directories(folder);
    vox::write_volume(vox::make_sample("sample:cells"), folder + "/cells.npy");
    vox::write_volume(vox::make_sample("sample:kidney"), folder + "/kidney.npy");
    return 0;
}
