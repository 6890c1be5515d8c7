// Shared by the NRRD, MetaImage and NumPy conformance tests: reads every case a peer script
// (make_cases.py) wrote, compares with what the peer read (shape, dtype, spacing, origin and
// every voxel, exactly), then writes the volume back with our writer into `ours/` for the
// script's "check" step to read with the peer.
//
// manifest.json: {"cases": [{"name", "file", "shape": [z, y, x, c], "dtype", "values": raw
// file (little-endian channel blocks), "spacing": [z, y, x] | null, "unit", "origin_ras":
// [x, y, z] | null, "time_point", "time_as_channels", "write": [file names] }]}
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vox/io.h"

namespace vox::test {

inline std::vector<char> read_file_bytes(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

/// The packed bytes of a volume (channel blocks of z-y-x), little-endian.
inline std::vector<char> packed_bytes_of(const Volume& volume) {
    const Volume packed = volume.contiguous();
    std::vector<char> bytes(std::size_t(packed.size_bytes()));
    visit(packed.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        std::memcpy(bytes.data(), packed.view<T>().origin, bytes.size());
    });
    return bytes;
}

inline bool close_to(double a, double b) {
    return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)});
}

/// Runs every case of `folder`/manifest.json; returns how many were checked.
inline int run_peer_cases(const std::string& folder) {
    std::ifstream manifest_file(folder + "/manifest.json");
    if (!manifest_file) {
        ADD_FAILURE() << "no manifest in '" << folder << "'";
        return 0;
    }
    const nlohmann::json manifest = nlohmann::json::parse(manifest_file);
    std::filesystem::create_directories(folder + "/ours");
    int checked = 0;
    for (const auto& test_case : manifest["cases"]) {
        const std::string name = test_case["name"];
        SCOPED_TRACE(name);
        ReadOptions options;
        options.time_point = test_case.value("time_point", 0);
        options.time_as_channels = test_case.value("time_as_channels", false);
        Volume volume;
        try {
            volume = open_volume(folder + "/" + test_case["file"].get<std::string>(), options);
        } catch (const Error& error) {
            ADD_FAILURE() << name << ": " << error.what();
            continue;
        }
        const auto shape = test_case["shape"].get<std::vector<std::int64_t>>();
        EXPECT_EQ(volume.shape(), (Shape{shape[0], shape[1], shape[2], shape[3]}));
        EXPECT_EQ(pixel_type_name(volume.pixel_type()), test_case["dtype"].get<std::string>());
        if (volume.shape() == Shape{shape[0], shape[1], shape[2], shape[3]}) {
            const std::vector<char> expected =
                read_file_bytes(folder + "/" + test_case["values"].get<std::string>());
            EXPECT_TRUE(packed_bytes_of(volume) == expected) << name << ": voxel values differ";
        }
        if (test_case["spacing"].is_null()) {
            EXPECT_FALSE(volume.spacing().known);
        } else {
            EXPECT_TRUE(volume.spacing().known);
            const auto spacing = test_case["spacing"].get<std::vector<double>>();
            for (std::size_t axis = 0; axis < 3; ++axis) {
                EXPECT_TRUE(close_to(volume.spacing().zyx[axis], spacing[axis]))
                    << "spacing " << axis << ": ours " << volume.spacing().zyx[axis] << ", peer "
                    << spacing[axis];
            }
            if (test_case.contains("unit")) {
                EXPECT_EQ(volume.spacing().unit, test_case["unit"].get<std::string>());
            }
        }
        if (test_case.contains("origin_ras") && !test_case["origin_ras"].is_null()) {
            EXPECT_TRUE(volume.affine().has_value());
            if (volume.affine()) {
                const auto origin = test_case["origin_ras"].get<std::vector<double>>();
                const Affine& affine = *volume.affine();
                for (std::size_t row = 0; row < 3; ++row) {
                    EXPECT_TRUE(close_to(affine[row * 4 + 3], origin[row]))
                        << "origin " << row << ": ours " << affine[row * 4 + 3] << ", peer "
                        << origin[row];
                }
            }
        }
        if (test_case.contains("write")) {
            for (const auto& written : test_case["write"]) {
                const std::string file = written["file"];
                WriteOptions write_options;
                write_options.compression = written.value("compression", "");
                write_volume(volume, folder + "/ours/" + file, write_options);
                // Our reader must read our own file back identically too.
                const Volume back = open_volume(folder + "/ours/" + file);
                EXPECT_EQ(back.shape(), volume.shape()) << file;
                EXPECT_TRUE(packed_bytes_of(back) == packed_bytes_of(volume)) << file;
                EXPECT_EQ(back.spacing().known, volume.spacing().known) << file;
                EXPECT_EQ(back.spacing().unit, volume.spacing().unit) << file;
                for (std::size_t axis = 0; axis < 3; ++axis)
                    EXPECT_TRUE(close_to(back.spacing().zyx[axis], volume.spacing().zyx[axis]))
                        << file;
            }
        }
        ++checked;
    }
    return checked;
}

}  // namespace vox::test
