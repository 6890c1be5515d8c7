// Conformance against tifffile: every case make_cases.py wrote must read with exactly the
// shape, dtype, spacing and voxels that tifffile reads; then our writers' files go to
// check_roundtrip.py, which reads them with tifffile.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vox/io.h"

namespace {

std::string g_cases;  // the folder make_cases.py wrote

std::vector<char> read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// The packed bytes of a volume, channel by channel (c, z, y, x).
std::vector<char> bytes_of(const vox::Volume& volume) {
    const vox::Volume packed = volume.contiguous();
    return vox::visit(packed.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const auto* data = reinterpret_cast<const char*>(packed.view<T>().origin);
        return std::vector<char>(data, data + packed.size_bytes());
    });
}

nlohmann::json spacing_json(const vox::Spacing& spacing) {
    if (!spacing.known) return nullptr;
    return {{"zyx", spacing.zyx}, {"unit", spacing.unit}};
}

TEST(TiffConformance, ReadsWhatTifffileReads) {
    std::ifstream manifest_file(g_cases + "/manifest.json");
    ASSERT_TRUE(manifest_file) << "no manifest in " << g_cases;
    const nlohmann::json manifest = nlohmann::json::parse(manifest_file);
    for (const std::string note : manifest["notes"])
        std::printf("note: %s\n", note.c_str());
    int checked = 0;
    for (const auto& item : manifest["cases"]) {
        const std::string name = item["name"];
        SCOPED_TRACE(name);
        vox::ReadOptions options;
        options.time_point = item["time_point"];
        vox::Volume volume;
        try {
            volume = vox::open_volume(std::string(item["path"]), options);
        } catch (const vox::Error& error) {
            ADD_FAILURE() << error.what();
            continue;
        }
        const auto& shape = item["shape"];
        EXPECT_EQ(volume.shape(), (vox::Shape{shape[0], shape[1], shape[2], shape[3]}));
        EXPECT_EQ(vox::pixel_type_name(volume.pixel_type()), std::string(item["dtype"]));
        EXPECT_EQ(spacing_json(volume.spacing()), item["spacing"]);
        if (volume.shape() == vox::Shape{shape[0], shape[1], shape[2], shape[3]}) {
            EXPECT_TRUE(bytes_of(volume) ==
                        read_file(g_cases + "/" + std::string(item["expected"])))
                << "voxels differ";
        }
        ++checked;
    }
    std::printf("checked %d cases\n", checked);
    EXPECT_GE(checked, 40);
}

// Volumes our writers save, with what tifffile must read back (check_roundtrip.py).
TEST(TiffConformance, WritesForTifffile) {
    const std::string folder = g_cases + "/roundtrip";
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    nlohmann::json cases = nlohmann::json::array();
    auto save = [&](const std::string& file, const vox::Volume& volume, const std::string& kind,
                    const std::string& compression) {
        SCOPED_TRACE(file);
        const std::string path = folder + "/" + file;
        vox::write_volume(volume, path, {.compression = compression});
        // Our own reader first.
        const vox::Volume back = vox::open_volume(path);
        EXPECT_EQ(back.shape(), volume.shape());
        EXPECT_EQ(back.pixel_type(), volume.pixel_type());
        EXPECT_EQ(back.spacing(), volume.spacing());
        EXPECT_TRUE(bytes_of(back) == bytes_of(volume));
        const std::vector<char> bytes = bytes_of(volume);
        std::ofstream(path + ".expected", std::ios::binary)
            .write(bytes.data(), std::streamsize(bytes.size()));
        const vox::Shape& shape = volume.shape();
        cases.push_back({{"file", file},
                         {"kind", kind},
                         {"compression", compression},
                         {"shape", {shape.z, shape.y, shape.x, shape.c}},
                         {"dtype", vox::numpy_dtype_name(volume.pixel_type())},
                         {"spacing", spacing_json(volume.spacing())},
                         {"channel_names", volume.channel_names()}});
    };
    auto pattern = [](auto z, auto y, auto x, auto c) {
        return double((z * 7919 + y * 131 + x * 17 + c * 1009) % 250);
    };
    auto make = [&](vox::PixelType type, const vox::Shape& shape) {
        vox::Volume volume = vox::Volume::allocate(shape, type);
        vox::visit(type, [&](auto tag) {
            using T = typename decltype(tag)::type;
            auto view = volume.mutable_view<T>();
            for (std::int64_t c = 0; c < shape.c; ++c)
                for (std::int64_t z = 0; z < shape.z; ++z)
                    for (std::int64_t y = 0; y < shape.y; ++y)
                        for (std::int64_t x = 0; x < shape.x; ++x)
                            view(z, y, x, c) =
                                T(pattern(z, y, x, c) - (vox::is_signed_integer(type) ? 100 : 0));
        });
        return volume;
    };
    const std::string micro = "\xC2\xB5m";
    vox::Volume u16 = make(vox::PixelType::u16, {6, 21, 17, 1});
    u16.set_spacing({{1.5, 0.3, 0.1625}, micro, true});
    save("imagej_u16.tif", u16, "imagej", "none");
    save("imagej_u16_deflate.tif", u16, "imagej", "deflate");
    save("imagej_u16_packbits.tif", u16, "imagej", "packbits");
    save("imagej_u16_zstd.tif", u16, "imagej", "zstd");
    save("imagej_u16_lzw.tif", u16, "imagej", "lzw");  // tifffile needs imagecodecs for LZW
    vox::Volume u8 = make(vox::PixelType::u8, {4, 12, 10, 3});
    u8.set_spacing({{2.0, 0.5, 0.5}, "mm", true});
    save("imagej_u8_channels.tif", u8, "imagej", "none");
    vox::Volume f32 = make(vox::PixelType::f32, {5, 9, 11, 2});
    f32.set_spacing({{0.7, 0.11, 0.13}, micro, true});
    save("imagej_f32.tif", f32, "imagej", "deflate");
    save("imagej_nospacing.tif", make(vox::PixelType::u16, {3, 8, 8, 1}), "imagej", "none");
    // Types ImageJ lacks: OME-XML in a .tif, spacing kept.
    save("other_i16.tif", make(vox::PixelType::i16, {3, 8, 9, 1}), "ome", "none");
    vox::Volume labels = make(vox::PixelType::i32, {4, 8, 9, 1});
    labels.set_spacing({{0.29, 0.26, 0.26}, micro, true});
    save("other_i32_labels.tif", labels, "ome", "none");
    save("other_f64.tif", make(vox::PixelType::f64, {2, 8, 9, 2}), "ome", "deflate");
    vox::Volume ome = make(vox::PixelType::u16, {4, 16, 15, 3});
    ome.set_spacing({{1.5, 0.25, 0.2}, micro, true});
    ome.set_channel_names({"DAPI", "GFP", "RFP"});
    save("ome_u16.ome.tif", ome, "ome", "none");
    vox::Volume ome_f32 = make(vox::PixelType::f32, {3, 10, 12, 2});
    ome_f32.set_spacing({{2.0, 0.5, 0.5}, "nm", true});
    save("ome_f32.ome.tiff", ome_f32, "ome", "deflate");
    save("ome_i32.ome.tif", make(vox::PixelType::i32, {2, 5, 6, 1}), "ome", "zstd");
    std::ofstream(folder + "/manifest.json") << cases.dump(1);
}

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CASES_FOLDER\n", argv[0]);
        return 2;
    }
    g_cases = argv[1];
    return RUN_ALL_TESTS();
}
