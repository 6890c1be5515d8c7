// Writes the sample volumes that make_segmentation_cases.py gives to scikit-image, as .npy.
// Usage: vox_segmentation_make_inputs OUTPUT_DIR
#include <cstdio>
#include <filesystem>
#include <string>

#include "vox/io.h"
#include "vox/samples.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: vox_segmentation_make_inputs OUTPUT_DIR\n");
        return 2;
    }
    const std::filesystem::path folder = argv[1];
    std::filesystem::create_directories(folder);
    try {
        const vox::Volume cells = vox::make_sample("sample:cells");
        vox::write_volume(cells.channel(1).contiguous(), (folder / "cells_nuclei.npy").string());
        const vox::Volume kidney = vox::make_sample("sample:kidney");
        vox::write_volume(kidney.channel(0).contiguous(), (folder / "kidney_nuclei.npy").string());
        vox::write_volume(vox::make_sample("sample:blobs"), (folder / "blobs.npy").string());
    } catch (const std::exception& error) {
        std::fprintf(stderr, "error: %s\n", error.what());
        return 1;
    }
    return 0;
}
