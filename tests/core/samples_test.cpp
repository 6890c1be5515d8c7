#include "vox/samples.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>

#include "test_util.h"
#include "vox/parallel.h"

namespace vox {
namespace {

// 64-bit FNV-1a of the voxels' bytes (channel blocks in z-y-x order): pins a sample's exact output.
std::uint64_t fnv1a(const Volume& volume) {
    const Volume packed = volume.contiguous();
    const std::byte* bytes = visit(packed.pixel_type(), [&](auto type) {
        using T = typename decltype(type)::type;
        return reinterpret_cast<const std::byte*>(packed.view<T>().origin);
    });
    std::uint64_t hash = 0xCBF29CE484222325ull;
    for (std::int64_t i = 0; i < packed.size_bytes(); ++i) {
        hash = (hash ^ std::uint64_t(bytes[i])) * 0x100000001B3ull;
    }
    return hash;
}

// The checksum of make_sample(reference) with one thread, checked equal to all threads.
std::uint64_t checksum_on_any_thread_count(std::string_view reference) {
    const std::uint64_t all_threads = fnv1a(make_sample(reference));
    set_thread_count(1);
    const std::uint64_t one_thread = fnv1a(make_sample(reference));
    set_thread_count(0);
    EXPECT_EQ(one_thread, all_threads) << reference;
    return all_threads;
}

std::pair<std::uint16_t, std::uint16_t> channel_range(const Volume& volume, std::int64_t c) {
    const auto view = volume.view<std::uint16_t>();
    std::uint16_t low = 65535, high = 0;
    for (std::int64_t z = 0; z < volume.shape().z; ++z) {
        for (std::int64_t y = 0; y < volume.shape().y; ++y) {
            for (std::int64_t x = 0; x < volume.shape().x; ++x) {
                low = std::min(low, view(z, y, x, c));
                high = std::max(high, view(z, y, x, c));
            }
        }
    }
    return {low, high};
}

// --- references -----------------------------------------------------------------------------

TEST(SampleSpecTest, RecognisesSamplePaths) {
    EXPECT_TRUE(is_sample_path("sample:cells"));
    EXPECT_TRUE(is_sample_path("sample:"));
    EXPECT_FALSE(is_sample_path("cells"));
    EXPECT_FALSE(is_sample_path("Sample:cells"));
    EXPECT_FALSE(is_sample_path("/data/sample:cells"));
}

TEST(SampleSpecTest, ParsesNameWithOrWithoutPrefix) {
    for (const char* text : {"sample:cells", "cells"}) {
        const SampleSpec spec = parse_sample_spec(text);
        EXPECT_EQ(spec.name, "cells");
        EXPECT_TRUE(spec.parameters.empty());
    }
}

TEST(SampleSpecTest, ParsesParametersInOrder) {
    const SampleSpec spec =
        parse_sample_spec("sample:blobs?size=64&fraction=1.5e-1&seed=+3&v=A_b-c");
    EXPECT_EQ(spec.name, "blobs");
    const std::vector<std::pair<std::string, std::string>> expected{
        {"size", "64"}, {"fraction", "1.5e-1"}, {"seed", "+3"}, {"v", "A_b-c"}};
    EXPECT_EQ(spec.parameters, expected);
}

TEST(SampleSpecTest, AcceptsSixteenParameters) {
    std::string text = "x";
    for (int i = 0; i < 16; ++i)
        text += (i == 0 ? "?k" : "&k") + std::to_string(i) + "=1";
    EXPECT_EQ(parse_sample_spec(text).parameters.size(), 16u);
    VOX_EXPECT_THROW_MSG(
        parse_sample_spec(text + "&k16=1"), ValueError,
        "bad sample reference '" + text.substr(0, 80) + "...': more than 16 parameters");
}

TEST(SampleSpecTest, RejectsMalformedReferencesNamingTheProblem) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"", "bad sample reference '': empty"},
        {"sample:", "bad sample reference 'sample:': empty sample name"},
        {"?size=3", "bad sample reference '?size=3': empty sample name"},
        {"sample:foo?x", "bad sample reference 'sample:foo?x': parameter 'x' has no '=value'"},
        {"foo?", "bad sample reference 'foo?': no parameters after '?'"},
        {"foo?a=1&", "bad sample reference 'foo?a=1&': empty parameter (a stray '&'?)"},
        {"foo?a=1&&b=2", "bad sample reference 'foo?a=1&&b=2': empty parameter (a stray '&'?)"},
        {"foo?=1", "bad sample reference 'foo?=1': parameter '=1' has no key"},
        {"foo?a=", "bad sample reference 'foo?a=': parameter 'a' has an empty value"},
        {"foo?a=1&a=2", "bad sample reference 'foo?a=1&a=2': parameter 'a' is given twice"},
        {"Cells", "bad sample reference 'Cells': sample name 'Cells' may only use a-z, 0-9 and _"},
        {"sample:sample:cells",
         "bad sample reference 'sample:sample:cells': sample name 'sample:cells' may only use a-z, "
         "0-9 and _"},
        {"foo?Size=1",
         "bad sample reference 'foo?Size=1': parameter key 'Size' may only use a-z, 0-9 and _"},
        {"foo?a=x y",
         "bad sample reference 'foo?a=x y': value 'x y' of 'a' may only use A-Z, a-z, 0-9 and "
         "_.+-"},
        {"foo?a=1=2",
         "bad sample reference 'foo?a=1=2': value '1=2' of 'a' may only use A-Z, a-z, 0-9 and "
         "_.+-"},
        {std::string("foo\0bar", 7),
         "bad sample reference 'foo\\x00bar': sample name 'foo\\x00bar' may only use a-z, 0-9 and "
         "_"},
        {"caf\xC3\xA9",
         "bad sample reference 'caf\\xC3\\xA9': sample name 'caf\\xC3\\xA9' may only use a-z, 0-9 "
         "and _"},
    };
    for (const auto& [text, message] : cases) {
        VOX_EXPECT_THROW_MSG(parse_sample_spec(text), ValueError, message);
    }
}

TEST(SampleSpecTest, RejectsHugeReferences) {
    const std::string text = "sample:" + std::string(1018, 'a');  // 1025 bytes
    VOX_EXPECT_THROW_MSG(
        parse_sample_spec(text), ValueError,
        "bad sample reference '" + text.substr(0, 80) + "...': longer than 1024 bytes");
    EXPECT_EQ(parse_sample_spec(text.substr(0, 1024)).name.size(), 1017u);
}

TEST(SampleSpecTest, SurvivesArbitraryBytes) {
    // A small stand-in for the libFuzzer target: every outcome is a result or a ValueError.
    std::uint64_t state = 12345;
    const std::string alphabet("sample:cls?=&_.+-aZ09\0\xFF", 24);
    for (int round = 0; round < 20000; ++round) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        std::string text;
        const auto length = std::size_t((state >> 33) % 40);
        for (std::size_t i = 0; i < length; ++i) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            text += alphabet[std::size_t((state >> 33) % alphabet.size())];
        }
        try {
            const SampleSpec spec = parse_sample_spec(text);
            EXPECT_FALSE(spec.name.empty());
            EXPECT_LE(spec.parameters.size(), 16u);
        } catch (const ValueError&) {
        }
    }
}

// --- catalog and make_sample ----------------------------------------------------------------

TEST(SampleCatalogTest, ListsTheFourSamplesWithTheirParameters) {
    const auto& catalog = sample_catalog();
    ASSERT_EQ(catalog.size(), 4u);
    EXPECT_EQ(catalog[0].name, "cells");
    EXPECT_EQ(catalog[1].name, "kidney");
    EXPECT_EQ(catalog[2].name, "phantom");
    EXPECT_EQ(catalog[3].name, "blobs");
    for (const SampleInfo& info : catalog)
        EXPECT_FALSE(info.summary.empty()) << info.name;
    EXPECT_EQ(catalog[2].parameters.at(0), "size=128: edge length in voxels (2 to 2048)");
    EXPECT_EQ(catalog[3].parameters.at(0), "size=128: edge length in voxels (4 to 1024)");
    EXPECT_EQ(catalog[3].parameters.size(), 4u);
}

TEST(SamplesTest, RejectsUnknownNamesKeysAndBadValues) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"sample:foo", "unknown sample 'foo' (available: cells, kidney, phantom, blobs)"},
        {"sample:phantom?sz=3", "sample 'phantom' has no parameter 'sz' (valid: size, variant)"},
        {"sample:cells?size=3", "sample 'cells' has no parameter 'size' (valid: seed)"},
        {"sample:blobs?seed=1&length=3",
         "sample 'blobs' has no parameter 'length' (valid: size, fraction, volume, seed)"},
        {"sample:phantom?size=4096",
         "sample 'phantom': size must be an integer from 2 to 2048, got '4096'"},
        {"sample:phantom?size=1",
         "sample 'phantom': size must be an integer from 2 to 2048, got '1'"},
        {"sample:phantom?size=12abc",
         "sample 'phantom': size must be an integer from 2 to 2048, got '12abc'"},
        {"sample:phantom?size=64.0",
         "sample 'phantom': size must be an integer from 2 to 2048, got '64.0'"},
        {"sample:phantom?size=99999999999999999999",
         "sample 'phantom': size must be an integer from 2 to 2048, got '99999999999999999999'"},
        {"sample:phantom?variant=Modified",
         "sample 'phantom': variant must be 'modified' or 'original', got 'Modified'"},
        {"sample:blobs?size=3", "sample 'blobs': size must be an integer from 4 to 1024, got '3'"},
        {"sample:blobs?fraction=nan",
         "sample 'blobs': fraction must be a number in (0, 1], got 'nan'"},
        {"sample:blobs?fraction=inf",
         "sample 'blobs': fraction must be a number in (0, 1], got 'inf'"},
        {"sample:blobs?fraction=0", "sample 'blobs': fraction must be a number in (0, 1], got '0'"},
        {"sample:blobs?fraction=1e-400",
         "sample 'blobs': fraction must be a number in (0, 1], got '1e-400'"},
        {"sample:blobs?volume=1.01",
         "sample 'blobs': volume must be a number in (0, 1], got '1.01'"},
        {"sample:blobs?volume=0.5x",
         "sample 'blobs': volume must be a number in (0, 1], got '0.5x'"},
        {"sample:cells?seed=-1",
         "sample 'cells': seed must be an integer from 0 to 18446744073709551615, got '-1'"},
        {"sample:kidney?seed=18446744073709551616",
         "sample 'kidney': seed must be an integer from 0 to 18446744073709551615, got "
         "'18446744073709551616'"},
    };
    for (const auto& [reference, message] : cases) {
        VOX_EXPECT_THROW_MSG(make_sample(reference), ValueError, message);
    }
}

TEST(SamplesTest, DirectCallsCheckTheirArguments) {
    VOX_EXPECT_THROW_MSG(make_phantom(1), ValueError, "phantom size must be from 2 to 2048, got 1");
    VOX_EXPECT_THROW_MSG(make_blobs(2048), ValueError,
                         "blobs size must be from 4 to 1024, got 2048");
    VOX_EXPECT_THROW_MSG(make_blobs(64, 0.0), ValueError,
                         "blobs blob_size_fraction must be in (0, 1], got 0");
    VOX_EXPECT_THROW_MSG(make_blobs(64, 0.1, std::nan("")), ValueError,
                         "blobs volume_fraction must be in (0, 1], got nan");
}

TEST(SamplesTest, ChecksTheMemoryLimitBeforeGenerating) {
    const std::int64_t limit = memory_limit();
    set_memory_limit(1 << 20);
    EXPECT_THROW(make_sample("sample:phantom?size=256"), LimitError);
    EXPECT_THROW(make_sample("sample:cells"), LimitError);
    set_memory_limit(limit);
}

TEST(SamplesTest, SourceIsTheCanonicalReference) {
    EXPECT_EQ(make_sample("phantom?size=064").metadata().at("source"), "sample:phantom?size=64");
    EXPECT_EQ(make_sample("sample:phantom?variant=original&size=16").metadata().at("source"),
              "sample:phantom?size=16&variant=original");
    EXPECT_EQ(make_phantom(128, PhantomVariant::modified).metadata().at("source"),
              "sample:phantom");
    EXPECT_EQ(make_sample("blobs?seed=5&size=32&fraction=0.25").metadata().at("source"),
              "sample:blobs?size=32&fraction=0.25&seed=5");
    EXPECT_FALSE(make_sample("blobs?size=16").metadata().at("description").empty());
}

// --- cells ----------------------------------------------------------------------------------

TEST(SamplesTest, CellsLooksLikeCells3d) {
    const Volume cells = make_sample("sample:cells");
    EXPECT_EQ(cells.shape(), (Shape{60, 256, 256, 2}));
    EXPECT_EQ(cells.pixel_type(), PixelType::u16);
    EXPECT_EQ(cells.spacing(), (Spacing{{0.29, 0.26, 0.26}, "\xC2\xB5m", true}));
    EXPECT_EQ(cells.channel_names(), (std::vector<std::string>{"membrane", "nuclei"}));
    EXPECT_EQ(cells.metadata().at("source"), "sample:cells");
    // Bright membranes and nuclei on a dim background, no saturation.
    const auto [membrane_low, membrane_high] = channel_range(cells, 0);
    const auto [nuclei_low, nuclei_high] = channel_range(cells, 1);
    EXPECT_GT(membrane_low, 200);
    EXPECT_GT(membrane_high, 20000);
    EXPECT_LT(membrane_high, 45000);
    EXPECT_GT(nuclei_low, 200);
    EXPECT_GT(nuclei_high, 10000);
    EXPECT_LT(nuclei_high, 35000);
    EXPECT_LT(cells.value_at(0, 128, 128, 1), 2500);  // below the cells: background
}

TEST(SamplesTest, CellsIsDeterministic) {
    EXPECT_EQ(checksum_on_any_thread_count("sample:cells"), 0x8E575AC7B2A19A53ull);
    EXPECT_NE(fnv1a(make_cells(1)), fnv1a(make_cells(0)));
}

// --- kidney ---------------------------------------------------------------------------------

TEST(SamplesTest, KidneyHasTheTutorialsShapeAndRanges) {
    const Volume kidney = make_sample("sample:kidney");
    EXPECT_EQ(kidney.shape(), (Shape{16, 512, 512, 3}));
    EXPECT_EQ(kidney.pixel_type(), PixelType::u16);
    EXPECT_EQ(kidney.spacing(), (Spacing{{1.25, 1.24, 1.24}, "\xC2\xB5m", true}));
    EXPECT_EQ(kidney.channel_names(), (std::vector<std::string>{"nuclei", "tubules", "cytoplasm"}));
    EXPECT_EQ(channel_range(kidney, 0), (std::pair<std::uint16_t, std::uint16_t>{10, 4095}));
    EXPECT_EQ(channel_range(kidney, 1), (std::pair<std::uint16_t, std::uint16_t>{68, 4095}));
    EXPECT_EQ(channel_range(kidney, 2), (std::pair<std::uint16_t, std::uint16_t>{35, 4095}));
}

TEST(SamplesTest, KidneyRangesHoldForOtherSeeds) {
    for (const std::uint64_t seed : {1ull, 2ull}) {
        const Volume kidney = make_kidney(seed);
        EXPECT_EQ(channel_range(kidney, 0), (std::pair<std::uint16_t, std::uint16_t>{10, 4095}));
        EXPECT_EQ(channel_range(kidney, 1), (std::pair<std::uint16_t, std::uint16_t>{68, 4095}));
        EXPECT_EQ(channel_range(kidney, 2), (std::pair<std::uint16_t, std::uint16_t>{35, 4095}));
    }
}

TEST(SamplesTest, KidneyIsDeterministic) {
    EXPECT_EQ(checksum_on_any_thread_count("sample:kidney"), 0x12E94A2F61AAD3C3ull);
}

// --- phantom --------------------------------------------------------------------------------

TEST(SamplesTest, PhantomHasSizeSpacingAndType) {
    const Volume phantom = make_sample("sample:phantom?size=64");
    EXPECT_EQ(phantom.shape(), (Shape{64, 64, 64, 1}));
    EXPECT_EQ(phantom.pixel_type(), PixelType::f32);
    EXPECT_EQ(phantom.spacing(), (Spacing{{4.0, 4.0, 4.0}, "mm", true}));
    EXPECT_EQ(make_phantom().shape(), (Shape{128, 128, 128, 1}));
}

TEST(SamplesTest, PhantomValuesAreSumsOfEllipsoidIntensities) {
    const Volume modified = make_phantom(64, PhantomVariant::modified);
    const Volume original = make_phantom(64, PhantomVariant::original);
    // Near the origin: inside the skull (1 or 2) and the brain (-0.8 or -0.98) only.
    EXPECT_EQ(modified.value_at(32, 32, 32), double(0.2f));
    EXPECT_EQ(original.value_at(32, 32, 32), double(1.02f));
    // Corners are outside the head.
    EXPECT_EQ(modified.value_at(0, 0, 0), 0.0);
    EXPECT_EQ(original.value_at(63, 63, 63), 0.0);
    // The skull: on the x axis, between the brain (0.6624) and the skull's edge (0.69).
    // Voxel 10 has x = -1 + 21/64 = -0.672.
    EXPECT_EQ(modified.value_at(32, 32, 10), 1.0);
    EXPECT_EQ(original.value_at(32, 32, 10), 2.0);
    // The left ventricle (ellipsoid 4, centre x = -0.22) is 1 - 0.8 - 0.2 = 0 exactly.
    // Voxel 25 has x = -0.203, y = -0.016, z = 0.016.
    EXPECT_EQ(modified.value_at(32, 32, 25), 0.0);
    EXPECT_EQ(original.value_at(32, 32, 25), double(1.0f));
}

TEST(SamplesTest, PhantomSkullVolumeMatchesTheEllipsoid) {
    // With the original intensities every voxel inside the skull is positive.
    const std::int64_t size = 128;
    const Volume phantom = make_phantom(size, PhantomVariant::original);
    const auto view = phantom.view<float>();
    std::int64_t inside = 0;
    for (std::int64_t z = 0; z < size; ++z) {
        for (std::int64_t y = 0; y < size; ++y) {
            for (std::int64_t x = 0; x < size; ++x)
                inside += view(z, y, x) > 0.0f ? 1 : 0;
        }
    }
    const double half = double(size) / 2.0;
    const double expected = 4.0 / 3.0 * std::numbers::pi * 0.69 * 0.92 * 0.81 * half * half * half;
    EXPECT_NEAR(double(inside), expected, 0.01 * expected);
}

TEST(SamplesTest, PhantomIsDeterministic) {
    EXPECT_EQ(checksum_on_any_thread_count("sample:phantom?size=64"), 0x917543B3B2FDD33Dull);
    EXPECT_EQ(checksum_on_any_thread_count("sample:phantom?size=33&variant=original"),
              0x62A8E2FE4A6DE4A4ull);
}

// --- blobs ----------------------------------------------------------------------------------

TEST(SamplesTest, BlobsAreBinaryWithTheRequestedVolumeFraction) {
    for (const double volume_fraction : {0.5, 0.3, 0.8}) {
        const Volume blobs = make_blobs(64, 0.1, volume_fraction, 0);
        EXPECT_EQ(blobs.shape(), (Shape{64, 64, 64, 1}));
        EXPECT_EQ(blobs.pixel_type(), PixelType::u8);
        EXPECT_EQ(blobs.spacing(), (Spacing{{1.0, 1.0, 1.0}, "\xC2\xB5m", true}));
        const auto view = blobs.view<std::uint8_t>();
        std::int64_t ones = 0;
        for (std::int64_t z = 0; z < 64; ++z) {
            for (std::int64_t y = 0; y < 64; ++y) {
                for (std::int64_t x = 0; x < 64; ++x) {
                    ASSERT_LE(view(z, y, x), 1);
                    ones += view(z, y, x);
                }
            }
        }
        EXPECT_NEAR(double(ones) / double(64 * 64 * 64), volume_fraction, 0.01);
    }
}

TEST(SamplesTest, BlobsIsDeterministic) {
    EXPECT_EQ(checksum_on_any_thread_count("sample:blobs?size=64"), 0x9540995F7D5FAAAFull);
    EXPECT_EQ(checksum_on_any_thread_count("sample:blobs?size=48&fraction=0.05&volume=0.3&seed=9"),
              0x8CF260490FE91107ull);
    EXPECT_NE(fnv1a(make_blobs(64, 0.1, 0.5, 1)), fnv1a(make_blobs(64, 0.1, 0.5, 0)));
}

}  // namespace
}  // namespace vox
