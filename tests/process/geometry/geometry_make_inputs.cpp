// Writes the sample volumes the geometry conformance script feeds to scikit-image.
#include <cstdio>
#include <filesystem>
#include <string>

#include "vox/io.h"
#include "vox/samples.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: vox_geometry_make_inputs OUTPUT_FOLDER\n");
        return 2;
    }
    const std::filesystem::path folder = argv[1];
    std::filesystem::create_directories(folder);
    // The nuclei channel of cells, as the tutorial resizes it.
    const vox::Volume cells = vox::make_sample("sample:cells");
    vox::write_volume(cells.channel(cells.shape().c - 1).copy(), (folder / "cells.npy").string());
    vox::write_volume(vox::make_sample("sample:kidney"), (folder / "kidney.npy").string());
    return 0;
}
