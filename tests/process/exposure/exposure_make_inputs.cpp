// Writes the voxscope-built inputs of the exposure conformance cases (the samples)
// as .npy files for the peer script: make_inputs DIR.
#include <cstdio>
#include <filesystem>

#include "vox/io.h"
#include "vox/samples.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    vox::write_volume(vox::make_sample("sample:cells"), (dir / "cells.npy").string());
    vox::write_volume(vox::make_sample("sample:kidney"), (dir / "kidney.npy").string());
    return 0;
}
