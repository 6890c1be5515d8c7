#include "vox/samples.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>
#include <span>

#include <fmt/format.h>

#include "vox/parallel.h"
#include "vox/progress.h"
#include "vox/stats.h"

namespace vox {
namespace {

constexpr std::string_view kSamplePrefix = "sample:";
constexpr std::size_t kMaxReferenceBytes = 1024;
constexpr std::size_t kMaxParameters = 16;
constexpr std::string_view kMicrometre = "\xC2\xB5m";  // "µm" in UTF-8

// ---------------------------------------------------------------------------------------------
// Deterministic randomness. Every random value is a pure function of the seed and of counters
// (voxel index, object number, purpose), so the bytes never depend on the thread count.

// Steele, Lea and Flood, "Fast splittable pseudorandom number generators" (OOPSLA 2014):
// the SplitMix64 finaliser, a strong 64-bit mixer.
constexpr std::uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;

constexpr std::uint64_t mix64(std::uint64_t value) {
    value += kGoldenGamma;
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
    value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
    return value ^ (value >> 31);
}

// A key for one independent stream of randomness: (seed, purpose, index...).
constexpr std::uint64_t stream_key(std::uint64_t seed, std::uint64_t purpose,
                                   std::uint64_t index = 0) {
    return mix64(mix64(mix64(seed) ^ purpose) ^ index);
}

// The index-th output of the SplitMix64 stream whose state starts at `key`: a counter-based RNG.
inline std::uint64_t counter_hash(std::uint64_t key, std::uint64_t index) {
    return mix64(key + index * kGoldenGamma);
}

// Two independent standard normal values from 64 random bits (Box and Muller, 1958), with
// 24-bit uniforms: the tails stop at 5.8 sigma, plenty for image noise.
inline std::array<double, 2> normal_pair(std::uint64_t bits) {
    constexpr double kScale = 1.0 / double(1 << 24);
    const double radius_uniform = double((bits >> 40) + 1) * kScale;  // (0, 1]: log is finite
    const double angle = 2.0 * std::numbers::pi * double(bits & 0xFFFFFF) * kScale;
    const double radius = std::sqrt(-2.0 * std::log(radius_uniform));
    return {radius * std::cos(angle), radius * std::sin(angle)};
}

// A sequential SplitMix64 stream, for placing objects one after the other.
class RandomStream {
public:
    explicit RandomStream(std::uint64_t key) : m_state(key) {}
    std::uint64_t next() {
        const std::uint64_t value = mix64(m_state);
        m_state += kGoldenGamma;
        return value;
    }
    /// Uniform in [0, 1) with 53 random bits.
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }
    double uniform(double low, double high) { return low + (high - low) * uniform(); }
    bool chance(double probability) { return uniform() < probability; }

private:
    std::uint64_t m_state;
};

// Smooth 3D value noise in [-1, 1] with features about one lattice unit across (Perlin, "An
// image synthesizer", SIGGRAPH 1985, with random values at the lattice instead of gradients).
class ValueNoise {
public:
    explicit ValueNoise(std::uint64_t key) : m_key(key) {}

    double operator()(double x, double y, double z) const {
        const double floor_x = std::floor(x), floor_y = std::floor(y), floor_z = std::floor(z);
        const auto ix = std::int64_t(floor_x), iy = std::int64_t(floor_y),
                   iz = std::int64_t(floor_z);
        const double fx = fade(x - floor_x), fy = fade(y - floor_y), fz = fade(z - floor_z);
        double planes[2];
        for (int dz = 0; dz < 2; ++dz) {
            double rows[2];
            for (int dy = 0; dy < 2; ++dy) {
                const double left = lattice(ix, iy + dy, iz + dz);
                const double right = lattice(ix + 1, iy + dy, iz + dz);
                rows[dy] = left + (right - left) * fx;
            }
            planes[dz] = rows[0] + (rows[1] - rows[0]) * fy;
        }
        return planes[0] + (planes[1] - planes[0]) * fz;
    }

private:
    static double fade(double t) { return t * t * (3.0 - 2.0 * t); }
    double lattice(std::int64_t x, std::int64_t y, std::int64_t z) const {
        // Odd multipliers from xxHash spread the three lattice indices over the 64 bits.
        const std::uint64_t bits = mix64(m_key ^ (std::uint64_t(x) * 0x9E3779B185EBCA87ull) ^
                                         (std::uint64_t(y) * 0xC2B2AE3D27D4EB4Full) ^
                                         (std::uint64_t(z) * 0x165667B19E3779F9ull));
        return double(bits >> 11) * 0x1.0p-52 - 1.0;
    }

    std::uint64_t m_key;
};

double smoothstep01(double t) {
    t = std::clamp(t, 0.0, 1.0);
    return t * t * (3.0 - 2.0 * t);
}

// 1 well inside (signed distance >> width), 0 well outside, a smooth ramp of `width` between.
double soft_inside(double signed_distance, double width) {
    return smoothstep01(0.5 + signed_distance / width);
}

double gaussian_profile(double distance, double sigma) {
    return std::exp(-0.5 * (distance * distance) / (sigma * sigma));
}

// Ellipsoid with semi-axes (a, b, c) rotated by `angle` about z, in physical units.
struct Ellipsoid {
    double x = 0, y = 0, z = 0;
    double a = 1, b = 1, c = 1;
    double angle = 0;
    double cos_angle = 1, sin_angle = 0;

    void set_angle(double radians) {
        angle = radians;
        cos_angle = std::cos(radians);
        sin_angle = std::sin(radians);
    }
    // Normalised radius: < 1 inside, 1 on the surface.
    double radius(double px, double py, double pz) const {
        const double dx = px - x, dy = py - y;
        const double u = (dx * cos_angle + dy * sin_angle) / a;
        const double v = (-dx * sin_angle + dy * cos_angle) / b;
        const double w = (pz - z) / c;
        return std::sqrt(u * u + v * v + w * w);
    }
    double largest_axis() const { return std::max({a, b, c}); }
};

// Rounds a simulated intensity into an unsigned 16-bit range [low, high].
std::uint16_t to_u16(double value, double low, double high) {
    return std::uint16_t(std::clamp(std::nearbyint(value), low, high));
}

// Poisson-like camera noise: read noise plus shot noise growing with the signal.
double noisy(double signal, double normal, double read_sigma, double gain) {
    return signal + normal * std::sqrt(read_sigma * read_sigma + gain * std::max(signal, 0.0));
}

// ---------------------------------------------------------------------------------------------
// References, parameters and messages.

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_value_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '+' || c == '-';
}

// Text as it can appear inside quotes in a one-line message: control and non-ASCII bytes
// escaped as \xHH, long texts cut.
std::string printable(std::string_view text, std::size_t max_bytes = 80) {
    std::string result;
    const std::size_t shown = std::min(text.size(), max_bytes);
    for (std::size_t i = 0; i < shown; ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte >= 0x20 && byte < 0x7F && byte != '\\') {
            result += char(byte);
        } else {
            result += fmt::format("\\x{:02X}", byte);
        }
    }
    if (shown < text.size()) result += "...";
    return result;
}

[[noreturn]] void throw_bad_reference(std::string_view text, std::string_view problem) {
    throw ValueError(fmt::format("bad sample reference '{}': {}", printable(text), problem));
}

// "sample:NAME?key=value&..." with only the parameters that differ from the defaults, so two
// references that give the same bytes read the same.
std::string canonical_reference(
    std::string_view name, const std::vector<std::pair<std::string, std::string>>& parameters) {
    std::string reference = fmt::format("{}{}", kSamplePrefix, name);
    char separator = '?';
    for (const auto& [key, value] : parameters) {
        reference += fmt::format("{}{}={}", separator, key, value);
        separator = '&';
    }
    return reference;
}

void set_sample_metadata(Volume& volume, std::string source, std::string description) {
    volume.metadata()["source"] = std::move(source);
    volume.metadata()["description"] = std::move(description);
}

// Reads a sample's parameters, checking keys and values with messages that name both.
class ParameterReader {
public:
    ParameterReader(const SampleSpec& spec, std::vector<std::string_view> valid_keys)
        : m_spec(spec), m_valid_keys(std::move(valid_keys)) {
        for (const auto& [key, value] : spec.parameters) {
            if (std::find(m_valid_keys.begin(), m_valid_keys.end(), key) != m_valid_keys.end()) {
                continue;
            }
            if (m_valid_keys.empty()) {
                throw ValueError(
                    fmt::format("sample '{}' takes no parameters, got '{}'", spec.name, key));
            }
            const std::vector<std::string> known(m_valid_keys.begin(), m_valid_keys.end());
            throw ValueError(fmt::format("sample '{}' has no parameter '{}' ({}valid: {})",
                                         spec.name, key, did_you_mean(key, known),
                                         fmt::join(m_valid_keys, ", ")));
        }
    }

    std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t low,
                         std::int64_t high) const {
        const std::string* text = find(key);
        if (text == nullptr) return fallback;
        std::int64_t value = 0;
        const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
        if (error != std::errc() || end != text->data() + text->size() || value < low ||
            value > high) {
            throw bad_value(key, fmt::format("an integer from {} to {}", low, high), *text);
        }
        return value;
    }

    std::uint64_t seed() const {
        const std::string* text = find("seed");
        if (text == nullptr) return 0;
        std::uint64_t value = 0;
        const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
        if (error != std::errc() || end != text->data() + text->size()) {
            throw bad_value(
                "seed",
                fmt::format("an integer from 0 to {}", std::numeric_limits<std::uint64_t>::max()),
                *text);
        }
        return value;
    }

    // A finite number in (0, 1].
    double fraction(std::string_view key, double fallback) const {
        const std::string* text = find(key);
        if (text == nullptr) return fallback;
        double value = 0.0;
        const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
        if (error != std::errc() || end != text->data() + text->size() || !std::isfinite(value) ||
            value <= 0.0 || value > 1.0) {
            throw bad_value(key, "a number in (0, 1]", *text);
        }
        return value;
    }

    // One of `choices`; returns its index.
    std::size_t choice(std::string_view key, std::span<const std::string_view> choices) const {
        const std::string* text = find(key);
        if (text == nullptr) return 0;
        for (std::size_t i = 0; i < choices.size(); ++i) {
            if (*text == choices[i]) return i;
        }
        throw bad_value(key, fmt::format("'{}'", fmt::join(choices, "' or '")), *text);
    }

private:
    const std::string* find(std::string_view key) const {
        for (const auto& [name, value] : m_spec.parameters) {
            if (name == key) return &value;
        }
        return nullptr;
    }
    ValueError bad_value(std::string_view key, std::string_view expected,
                         std::string_view text) const {
        return ValueError(fmt::format("sample '{}': {} must be {}, got '{}'", m_spec.name, key,
                                      expected, printable(text)));
    }

    const SampleSpec& m_spec;
    std::vector<std::string_view> m_valid_keys;
};

// Clearer than the allocator's message: names the sample and what it needs.
void check_memory(std::string_view reference, double bytes) {
    if (bytes > double(memory_limit())) {
        throw LimitError(fmt::format("sample '{}' needs {} but the memory limit is {}", reference,
                                     format_bytes(std::int64_t(std::min(bytes, 9.0e18))),
                                     format_bytes(memory_limit())));
    }
}

// ---------------------------------------------------------------------------------------------
// cells: a layer of cells like scikit-image's cells3d (hiPSC cells imaged by the Allen
// Institute for Cell Science): membranes as bright shells, nuclei as textured ellipsoids.

constexpr Shape kCellsShape{60, 256, 256, 2};
constexpr std::array<double, 3> kCellsSpacing{0.29, 0.26, 0.26};  // µm, as cells3d
constexpr double kCellPitch = 15.0;  // µm between neighbouring cell centres: ~22 cells in view

struct CellModel {
    double seed_x = 0, seed_y = 0;  // Voronoi site in warped coordinates, µm
    double base_z = 0;              // basal membrane (the coverslip side), µm
    double height = 0;              // apex above the base, µm
    double dome_radius = 0;         // µm; the apical surface falls towards the cell's rim
    double membrane_gain = 1;       // stain varies from cell to cell
    Ellipsoid nucleus;
    double nucleus_brightness = 0;
    std::vector<Ellipsoid> nucleoli;  // dark holes in the nuclear stain, as in cells3d
};

// What a column (y, x) of the image knows about the cell it lies in, computed once.
struct CellColumn {
    std::int32_t cell = 0;
    std::int32_t nucleus = 0;  // the cell whose nucleus is nearest (it may bulge past the edge)
    float edge_distance = 0;   // µm to the nearest cell boundary (Voronoi bisector)
    float apex_z = 0;          // apical surface height, µm
    float apex_normal = 1;     // cos of the apical surface's slope: vertical to normal distance
};

std::vector<CellModel> place_cells(std::uint64_t seed, double extent_y, double extent_x) {
    RandomStream random(stream_key(seed, 0xCE11));
    std::vector<CellModel> cells;
    // A jittered hexagonal lattice packs cells like an epithelial colony; a random offset moves
    // the pattern so different seeds do not share a layout.
    const double row_pitch = kCellPitch * std::sqrt(3.0) / 2.0;
    const double offset_x = random.uniform(0.0, kCellPitch);
    const double offset_y = random.uniform(0.0, row_pitch);
    for (int row = -2; row * row_pitch < extent_y + 2 * kCellPitch; ++row) {
        for (int column = -2; column * kCellPitch < extent_x + 2 * kCellPitch; ++column) {
            CellModel cell;
            cell.seed_x = offset_x + (column + (row % 2 != 0 ? 0.5 : 0.0)) * kCellPitch +
                          random.uniform(-0.22, 0.22) * kCellPitch;
            cell.seed_y = offset_y + row * row_pitch + random.uniform(-0.22, 0.22) * kCellPitch;
            cell.base_z = random.uniform(1.7, 2.3);
            cell.height = random.uniform(9.5, 12.5);
            cell.dome_radius = random.uniform(10.0, 12.0);
            cell.membrane_gain = random.uniform(0.65, 1.2);
            cell.nucleus.set_angle(random.uniform(0.0, std::numbers::pi));
            cell.nucleus.x = cell.seed_x + random.uniform(-1.0, 1.0);
            cell.nucleus.y = cell.seed_y + random.uniform(-1.0, 1.0);
            cell.nucleus.a = random.uniform(4.0, 5.0);
            cell.nucleus.b = cell.nucleus.a * random.uniform(0.8, 0.95);
            cell.nucleus.c = random.uniform(2.3, 3.1);
            cell.nucleus.z = cell.base_z + cell.nucleus.c + random.uniform(1.6, 2.6);
            cell.nucleus_brightness = random.uniform(12000.0, 19000.0);
            const int nucleolus_count = 1 + int(random.uniform() * 3.0);
            for (int i = 0; i < nucleolus_count; ++i) {
                Ellipsoid nucleolus;
                nucleolus.x = cell.nucleus.x + random.uniform(-0.45, 0.45) * cell.nucleus.b;
                nucleolus.y = cell.nucleus.y + random.uniform(-0.45, 0.45) * cell.nucleus.b;
                nucleolus.z = cell.nucleus.z + random.uniform(-0.35, 0.35) * cell.nucleus.c;
                nucleolus.a = nucleolus.b = random.uniform(0.6, 1.1);
                nucleolus.c = nucleolus.a * 1.3;  // the microscope's PSF is longer along z
                cell.nucleoli.push_back(nucleolus);
            }
            cells.push_back(cell);
        }
    }
    // Keep the nucleus clear of the membrane: no wider than 80% of the inscribed radius.
    for (auto& cell : cells) {
        double inscribed = std::numeric_limits<double>::infinity();
        for (const auto& other : cells) {
            if (&other == &cell) continue;
            inscribed = std::min(inscribed, 0.5 * std::hypot(other.seed_x - cell.seed_x,
                                                             other.seed_y - cell.seed_y));
        }
        const double widest = std::max(cell.nucleus.a, cell.nucleus.b);
        const double scale = std::min(1.0, 0.8 * inscribed / widest);
        cell.nucleus.a *= scale;
        cell.nucleus.b *= scale;
    }
    return cells;
}

std::vector<CellColumn> cell_columns(const std::vector<CellModel>& cells, std::uint64_t seed) {
    const Shape& shape = kCellsShape;
    std::vector<CellColumn> columns(std::size_t(shape.y * shape.x));
    // A gentle, smooth warp of the plane bends the Voronoi edges so cells look rounded.
    RandomStream random(stream_key(seed, 0x3A49));
    std::array<double, 4> phases{};
    for (double& phase : phases)
        phase = random.uniform(0.0, 2.0 * std::numbers::pi);
    constexpr double kWarpAmplitude = 1.3;                             // µm
    constexpr double kWarpWavenumber = 2.0 * std::numbers::pi / 23.0;  // a 23 µm wavelength

    parallel_for(0, shape.y, 16, [&](std::int64_t y_begin, std::int64_t y_end) {
        for (std::int64_t y = y_begin; y < y_end; ++y) {
            for (std::int64_t x = 0; x < shape.x; ++x) {
                const double px = double(x) * kCellsSpacing[2];
                const double py = double(y) * kCellsSpacing[1];
                const double qx =
                    px + kWarpAmplitude * std::sin(py * kWarpWavenumber + phases[0]) +
                    0.5 * kWarpAmplitude * std::sin((px + py) * 1.7 * kWarpWavenumber + phases[1]);
                const double qy =
                    py + kWarpAmplitude * std::sin(px * kWarpWavenumber + phases[2]) +
                    0.5 * kWarpAmplitude * std::sin((px - py) * 1.9 * kWarpWavenumber + phases[3]);
                std::size_t nearest = 0;
                double nearest_squared = std::numeric_limits<double>::infinity();
                for (std::size_t i = 0; i < cells.size(); ++i) {
                    const double dx = qx - cells[i].seed_x, dy = qy - cells[i].seed_y;
                    const double squared = dx * dx + dy * dy;
                    if (squared < nearest_squared) {
                        nearest_squared = squared;
                        nearest = i;
                    }
                }
                const CellModel& cell = cells[nearest];
                // Distance to the bisector with each other site; the smallest is the boundary.
                double edge = std::numeric_limits<double>::infinity();
                for (std::size_t i = 0; i < cells.size(); ++i) {
                    if (i == nearest) continue;
                    const double nx = cells[i].seed_x - cell.seed_x;
                    const double ny = cells[i].seed_y - cell.seed_y;
                    const double length = std::hypot(nx, ny);
                    const double mid_x = 0.5 * (cells[i].seed_x + cell.seed_x);
                    const double mid_y = 0.5 * (cells[i].seed_y + cell.seed_y);
                    edge = std::min(edge, ((mid_x - qx) * nx + (mid_y - qy) * ny) / length);
                }
                // Dome-shaped apex: z = base + height * (0.35 + 0.65 sqrt(1 - (r / R)^2)).
                const double r = std::sqrt(nearest_squared);
                const double t = std::min(r / cell.dome_radius, 0.98);
                const double root = std::sqrt(1.0 - t * t);
                const double slope = cell.height * 0.65 * t / (root * cell.dome_radius);
                CellColumn& column = columns[std::size_t(y * shape.x + x)];
                column.cell = std::int32_t(nearest);
                double nearest_nucleus = std::numeric_limits<double>::infinity();
                for (std::size_t i = 0; i < cells.size(); ++i) {
                    const double radius = cells[i].nucleus.radius(px, py, cells[i].nucleus.z);
                    if (radius < nearest_nucleus) {
                        nearest_nucleus = radius;
                        column.nucleus = std::int32_t(i);
                    }
                }
                column.edge_distance = float(edge);
                column.apex_z = float(cell.base_z + cell.height * (0.35 + 0.65 * root));
                column.apex_normal = float(1.0 / std::sqrt(1.0 + slope * slope));
            }
        }
    });
    return columns;
}

// ---------------------------------------------------------------------------------------------
// kidney: tissue like scikit-image's kidney sample (a mouse kidney section, FluoCells slide #3:
// DAPI nuclei, Alexa Fluor 488 WGA on tubules and glomeruli, Alexa Fluor 568 phalloidin on
// actin), imaged by confocal microscopy with a 12-bit detector.

constexpr Shape kKidneyShape{16, 512, 512, 3};
constexpr std::array<double, 3> kKidneySpacing{1.25, 1.24, 1.24};  // µm, as skimage's kidney
constexpr double kKidneyMax = 4095.0;                              // 12-bit detector
// The channel minima of skimage's kidney, which its tutorial prints: background plus noise
// clips at these offsets.
constexpr std::array<double, 3> kKidneyMin{10.0, 68.0, 35.0};
constexpr std::array<double, 3> kKidneyBackground{40.0, 120.0, 80.0};
constexpr std::array<double, 3> kKidneyReadNoise{11.0, 19.0, 17.0};
constexpr std::array<double, 3> kKidneyGain{0.6, 0.7, 0.7};

struct Tubule {
    double x = 0, y = 0;              // centre at z = 0, µm
    double drift_x = 0, drift_y = 0;  // the tubule's tilt: centre shift per µm of depth
    double major = 0, minor = 0;      // outer semi-axes, µm
    double cos_angle = 1, sin_angle = 0;
    double lumen = 0.4;    // lumen radius as a fraction of the outer radius
    bool proximal = true;  // proximal tubules carry a bright brush border
    double wall_gain = 1, border_gain = 1;

    double centre_x(double z) const { return x + drift_x * z; }
    double centre_y(double z) const { return y + drift_y * z; }
    // Distance from the centre to the outline along the direction (dx, dy).
    double reach(double dx, double dy) const {
        const double length = std::hypot(dx, dy);
        if (length == 0.0) return minor;
        const double u = (dx * cos_angle + dy * sin_angle) / (length * major);
        const double v = (-dx * sin_angle + dy * cos_angle) / (length * minor);
        return 1.0 / std::sqrt(u * u + v * v);
    }
};

struct Glomerulus {
    double x = 0, y = 0, z = 0;
    double capsule_radius = 0, tuft_radius = 0;  // µm, spheres
};

struct Nucleus {
    Ellipsoid shape;
    double brightness = 0;
};

// Ranges from which a kind of nucleus draws its semi-axes (µm) and brightness.
struct NucleusKind {
    std::array<double, 2> a, b, c, brightness;
};

constexpr NucleusKind kEpithelialNucleus{{2.8, 3.6}, {2.0, 2.6}, {2.3, 3.0}, {1500.0, 2700.0}};
constexpr NucleusKind kGlomerularNucleus{{1.9, 2.5}, {1.6, 2.1}, {1.8, 2.3}, {1800.0, 3000.0}};
constexpr NucleusKind kInterstitialNucleus{{3.5, 5.0}, {1.3, 1.8}, {1.8, 2.4}, {1400.0, 2500.0}};

// Autofluorescent granules (lipofuscin) glow in the green and red channels alike.
struct Granule {
    double x = 0, y = 0, z = 0;
};

struct KidneyModel {
    Glomerulus glomerulus;
    std::vector<Tubule> tubules;
    std::vector<Nucleus> nuclei;
    std::vector<Granule> granules;

    // Draws the nucleus's size and brightness, always in the same order (never inside a
    // function's argument list, whose evaluation order C++ leaves open).
    void add_nucleus(RandomStream& random, const NucleusKind& kind, double x, double y, double z,
                     double angle) {
        Nucleus nucleus;
        nucleus.shape.x = x;
        nucleus.shape.y = y;
        nucleus.shape.z = z;
        nucleus.shape.a = random.uniform(kind.a[0], kind.a[1]);
        nucleus.shape.b = random.uniform(kind.b[0], kind.b[1]);
        nucleus.shape.c = random.uniform(kind.c[0], kind.c[1]);
        nucleus.shape.set_angle(angle);
        nucleus.brightness = random.uniform(kind.brightness[0], kind.brightness[1]);
        nuclei.push_back(nucleus);
    }
};

// True if `tubule` keeps `gap` µm from every placed tubule and from the glomerulus at every
// depth in [0, depth]. Tubule outlines are ellipses: the test uses each one's reach along the
// line between the centres, a close approximation.
bool tubule_fits(const Tubule& tubule, const KidneyModel& model, double gap, double depth) {
    const Glomerulus& glomerulus = model.glomerulus;
    for (const double z : {0.0, 0.5 * depth, depth}) {
        const double dx = tubule.centre_x(z) - glomerulus.x, dy = tubule.centre_y(z) - glomerulus.y;
        if (std::hypot(dx, dy) < glomerulus.capsule_radius + tubule.reach(dx, dy) + gap) {
            return false;
        }
    }
    for (const Tubule& other : model.tubules) {
        // Centres move linearly with depth: find the depth where they are closest.
        const double start_x = tubule.x - other.x, start_y = tubule.y - other.y;
        const double drift_x = tubule.drift_x - other.drift_x;
        const double drift_y = tubule.drift_y - other.drift_y;
        const double drift_squared = drift_x * drift_x + drift_y * drift_y;
        const double closest_z =
            drift_squared > 0.0
                ? std::clamp(-(start_x * drift_x + start_y * drift_y) / drift_squared, 0.0, depth)
                : 0.0;
        const double dx = start_x + drift_x * closest_z, dy = start_y + drift_y * closest_z;
        const double distance = std::hypot(dx, dy);
        if (distance >= tubule.major + other.major + gap) continue;
        if (distance < tubule.reach(dx, dy) + other.reach(dx, dy) + gap) return false;
    }
    return true;
}

KidneyModel place_kidney(std::uint64_t seed) {
    const double extent_y = double(kKidneyShape.y) * kKidneySpacing[1];
    const double extent_x = double(kKidneyShape.x) * kKidneySpacing[2];
    const double extent_z = double(kKidneyShape.z) * kKidneySpacing[0];
    RandomStream random(stream_key(seed, 0x1D7E));
    KidneyModel model;

    Glomerulus& glomerulus = model.glomerulus;
    glomerulus.x = random.uniform(0.3, 0.7) * extent_x;
    glomerulus.y = random.uniform(0.3, 0.7) * extent_y;
    glomerulus.z = 0.5 * extent_z + random.uniform(-4.0, 4.0);
    glomerulus.capsule_radius = random.uniform(55.0, 66.0);  // mouse glomeruli: ~100-130 µm
    glomerulus.tuft_radius = glomerulus.capsule_radius - random.uniform(6.0, 9.0);

    // Random sequential packing of tubule cross-sections, as tightly as in cortex: throw darts
    // and keep those that do not overlap what is there. Large tubules first, then small ones
    // (thin limbs, collecting ducts) into the gaps.
    constexpr std::array<std::array<double, 2>, 2> kRadiusRanges{{{15.0, 27.0}, {7.0, 13.0}}};
    constexpr std::array<int, 2> kAttempts{7000, 9000};
    for (std::size_t pass = 0; pass < kRadiusRanges.size(); ++pass) {
        for (int attempt = 0; attempt < kAttempts[pass]; ++attempt) {
            Tubule tubule;
            const double radius = random.uniform(kRadiusRanges[pass][0], kRadiusRanges[pass][1]);
            const double aspect = random.uniform(1.0, 1.8);  // oblique cuts look elliptical
            tubule.major = radius * std::sqrt(aspect);
            tubule.minor = radius / std::sqrt(aspect);
            const double angle = random.uniform(0.0, std::numbers::pi);
            tubule.cos_angle = std::cos(angle);
            tubule.sin_angle = std::sin(angle);
            tubule.drift_x = random.uniform(-0.3, 0.3);
            tubule.drift_y = random.uniform(-0.3, 0.3);
            tubule.x = random.uniform(-radius, extent_x + radius);
            tubule.y = random.uniform(-radius, extent_y + radius);
            tubule.proximal = pass == 0 && random.chance(0.7);
            tubule.lumen = tubule.proximal ? random.uniform(0.22, 0.4) : random.uniform(0.42, 0.6);
            tubule.wall_gain = random.uniform(0.7, 1.3);
            tubule.border_gain = random.uniform(0.7, 1.25);
            const double gap = random.uniform(1.0, 4.0);
            if (tubule_fits(tubule, model, gap, extent_z)) model.tubules.push_back(tubule);
        }
    }
    // A few autofluorescent granules in tubule walls, brighter than the detector's range: they
    // saturate channels 1 and 2 at 4095 in a handful of voxels whatever the seed, as real data do.
    for (std::size_t i = 0; i < model.tubules.size(); i += model.tubules.size() / 8 + 1) {
        const Tubule& tubule = model.tubules[i];
        const double z = random.uniform(3.0, extent_z - 3.0);
        const double theta = random.uniform(0.0, 2.0 * std::numbers::pi);
        const double radial = 0.5 * (1.0 + tubule.lumen);
        const double u = tubule.major * radial * std::cos(theta);
        const double v = tubule.minor * radial * std::sin(theta);
        model.granules.push_back({tubule.centre_x(z) + u * tubule.cos_angle - v * tubule.sin_angle,
                                  tubule.centre_y(z) + u * tubule.sin_angle + v * tubule.cos_angle,
                                  z});
    }

    // Epithelial nuclei sit in the middle of each tubule wall, rings every ~6 µm of depth.
    for (const Tubule& tubule : model.tubules) {
        const double middle = 0.5 * (1.0 + tubule.lumen);
        const double circumference = std::numbers::pi * (tubule.major + tubule.minor) * middle;
        const int around = std::max(3, int(std::lround(circumference / 7.5)));
        for (double layer_z = random.uniform(-4.0, 2.0); layer_z < extent_z + 4.0;
             layer_z += random.uniform(5.0, 7.0)) {
            const double phase = random.uniform(0.0, 2.0 * std::numbers::pi);
            for (int i = 0; i < around; ++i) {
                if (random.chance(0.15)) continue;  // not every cell is cut through its nucleus
                const double theta =
                    phase + 2.0 * std::numbers::pi * (i + random.uniform(-0.2, 0.2)) / around;
                const double radial = middle + random.uniform(-0.1, 0.1) * (1.0 - tubule.lumen);
                const double z = layer_z + random.uniform(-1.5, 1.5);
                const double u = tubule.major * radial * std::cos(theta);
                const double v = tubule.minor * radial * std::sin(theta);
                const double dx = u * tubule.cos_angle - v * tubule.sin_angle;
                const double dy = u * tubule.sin_angle + v * tubule.cos_angle;
                // Long axis along the wall: perpendicular to the radial direction.
                const double tangent = std::atan2(dy, dx) + 0.5 * std::numbers::pi;
                model.add_nucleus(random, kEpithelialNucleus, tubule.centre_x(z) + dx,
                                  tubule.centre_y(z) + dy, z, tangent);
            }
        }
    }
    // Glomerular nuclei: small and crowded in the tuft.
    for (int i = 0; i < 1100; ++i) {
        const double radius = glomerulus.tuft_radius * std::cbrt(random.uniform());
        const double cos_polar = random.uniform(-1.0, 1.0);
        const double sin_polar = std::sqrt(1.0 - cos_polar * cos_polar);
        const double azimuth = random.uniform(0.0, 2.0 * std::numbers::pi);
        const double angle = random.uniform(0.0, std::numbers::pi);
        const double z = glomerulus.z + radius * cos_polar;
        if (z < -3.0 || z > extent_z + 3.0) continue;
        model.add_nucleus(random, kGlomerularNucleus,
                          glomerulus.x + radius * sin_polar * std::cos(azimuth),
                          glomerulus.y + radius * sin_polar * std::sin(azimuth), z, angle);
    }
    // Interstitial and endothelial nuclei: long and thin, between the tubules.
    const auto in_structure = [&](double x, double y, double z) {
        if (std::hypot(x - glomerulus.x, y - glomerulus.y) < glomerulus.capsule_radius + 3.0) {
            return true;
        }
        for (const Tubule& tubule : model.tubules) {
            const double dx = x - tubule.centre_x(z), dy = y - tubule.centre_y(z);
            if (std::hypot(dx, dy) < tubule.reach(dx, dy) + 2.0) return true;
        }
        return false;
    };
    for (int i = 0; i < 1500; ++i) {
        const double x = random.uniform(0.0, extent_x);
        const double y = random.uniform(0.0, extent_y);
        const double z = random.uniform(-2.0, extent_z + 2.0);
        const double angle = random.uniform(0.0, std::numbers::pi);
        if (!in_structure(x, y, z)) model.add_nucleus(random, kInterstitialNucleus, x, y, z, angle);
    }
    // A few condensed (mitotic) nuclei are brighter than the detector's range, so channel 0
    // saturates at 4095 in a handful of voxels.
    for (std::size_t i = 0; i < model.nuclei.size(); i += 97) {
        Nucleus& nucleus = model.nuclei[i];
        nucleus.brightness = 5000.0;
        nucleus.shape.z = std::clamp(nucleus.shape.z, 3.0, extent_z - 3.0);
    }
    return model;
}

// Adds one plane of the kidney's signals (above background) to the three channel buffers.
class KidneyPlane {
public:
    KidneyPlane(const KidneyModel& model, std::uint64_t seed)
        : m_model(model),
          m_granules(stream_key(seed, 0x6A1)),
          m_lobules(stream_key(seed, 0x10B)),
          m_stroma(stream_key(seed, 0x5707)),
          m_chromatin(stream_key(seed, 0xC470)),
          m_outline(stream_key(seed, 0x0D71)) {}

    void render(std::int64_t plane, std::span<float> nuclei, std::span<float> tubules,
                std::span<float> cytoplasm, std::span<float> lumen_weight) const {
        const double z = double(plane) * kKidneySpacing[0];
        std::fill(lumen_weight.begin(), lumen_weight.end(), 1.0f);
        for (const Tubule& tubule : m_model.tubules) {
            render_tubule(tubule, z, tubules, cytoplasm, lumen_weight);
        }
        render_glomerulus(z, tubules, cytoplasm, lumen_weight);
        // Interstitial matrix: a dim, uneven stain outside lumens and Bowman's space.
        for (std::int64_t y = 0; y < kKidneyShape.y; ++y) {
            for (std::int64_t x = 0; x < kKidneyShape.x; ++x) {
                const auto i = std::size_t(y * kKidneyShape.x + x);
                const double px = double(x) * kKidneySpacing[2], py = double(y) * kKidneySpacing[1];
                const double stroma = 0.5 + 0.5 * m_stroma(px / 9.0, py / 9.0, z / 9.0);
                tubules[i] += float(lumen_weight[i] * 70.0 * stroma);
                cytoplasm[i] += float(lumen_weight[i] * 110.0 * stroma);
            }
        }
        for (const Nucleus& nucleus : m_model.nuclei) {
            render_nucleus(nucleus, z, nuclei, tubules, cytoplasm);
        }
        for (const Granule& granule : m_model.granules) {
            render_granule(granule, z, tubules, cytoplasm);
        }
    }

private:
    // The pixel box [begin, end) covering a disc of `radius` µm around (x, y).
    static std::array<std::int64_t, 4> pixel_box(double x, double y, double radius) {
        const auto clamp_x = [](double v) {
            return std::clamp<std::int64_t>(std::int64_t(std::floor(v)), 0, kKidneyShape.x);
        };
        const auto clamp_y = [](double v) {
            return std::clamp<std::int64_t>(std::int64_t(std::floor(v)), 0, kKidneyShape.y);
        };
        return {clamp_y((y - radius) / kKidneySpacing[1]),
                clamp_y((y + radius) / kKidneySpacing[1] + 2),
                clamp_x((x - radius) / kKidneySpacing[2]),
                clamp_x((x + radius) / kKidneySpacing[2] + 2)};
    }

    void render_tubule(const Tubule& tubule, double z, std::span<float> tubules,
                       std::span<float> cytoplasm, std::span<float> lumen_weight) const {
        const double centre_x = tubule.centre_x(z), centre_y = tubule.centre_y(z);
        const double mean_radius = std::sqrt(tubule.major * tubule.minor);
        const auto [y0, y1, x0, x1] = pixel_box(centre_x, centre_y, tubule.major * 1.06 + 4.0);
        for (std::int64_t y = y0; y < y1; ++y) {
            for (std::int64_t x = x0; x < x1; ++x) {
                const double px = double(x) * kKidneySpacing[2], py = double(y) * kKidneySpacing[1];
                const double dx = px - centre_x, dy = py - centre_y;
                const double u = (dx * tubule.cos_angle + dy * tubule.sin_angle) / tubule.major;
                const double v = (-dx * tubule.sin_angle + dy * tubule.cos_angle) / tubule.minor;
                // Real outlines are not ellipses: wobble the outline, and more the lumen, whose
                // cells bulge in.
                const double rho = std::sqrt(u * u + v * v) *
                                   (1.0 + 0.05 * m_outline(px / 12.0, py / 12.0, z / 12.0));
                if (rho > 1.0 + 4.0 / mean_radius) continue;
                const double lumen =
                    tubule.lumen * (1.0 + 0.3 * m_outline(px / 5.0, py / 5.0, z / 5.0 + 31.0));
                // Distances in µm from the basement membrane (outside) and the apical surface.
                const double from_outside = (1.0 - rho) * mean_radius;
                const double from_lumen = (rho - lumen) * mean_radius;
                const double wall = soft_inside(from_outside, 1.5) * soft_inside(from_lumen, 1.5);
                const double granules = 1.0 + 0.35 * m_granules(px / 2.5, py / 2.5, z / 2.5);
                const double basement = gaussian_profile(from_outside, 0.9);
                // The brush border: a 2-3 µm band on the lumen side of proximal tubule cells.
                const double border = tubule.proximal ? gaussian_profile(from_lumen - 1.2, 1.3)
                                                      : 0.45 * gaussian_profile(from_lumen, 0.8);
                const auto i = std::size_t(y * kKidneyShape.x + x);
                tubules[i] +=
                    float(tubule.wall_gain * (260.0 * wall * granules + 750.0 * basement) +
                          tubule.border_gain * 2000.0 * border * granules);
                cytoplasm[i] += float(tubule.wall_gain * 800.0 * wall * granules +
                                      tubule.border_gain * 1400.0 * border);
                lumen_weight[i] *= float(1.0 - soft_inside(-from_lumen, 1.5));
            }
        }
    }

    void render_glomerulus(double z, std::span<float> tubules, std::span<float> cytoplasm,
                           std::span<float> lumen_weight) const {
        const Glomerulus& glomerulus = m_model.glomerulus;
        const double dz = z - glomerulus.z;
        if (std::abs(dz) >= glomerulus.capsule_radius) return;
        const double capsule =
            std::sqrt(glomerulus.capsule_radius * glomerulus.capsule_radius - dz * dz);
        const double tuft_squared = glomerulus.tuft_radius * glomerulus.tuft_radius - dz * dz;
        const double tuft = tuft_squared > 0 ? std::sqrt(tuft_squared) : 0.0;
        const auto [y0, y1, x0, x1] = pixel_box(glomerulus.x, glomerulus.y, capsule + 4.0);
        for (std::int64_t y = y0; y < y1; ++y) {
            for (std::int64_t x = x0; x < x1; ++x) {
                const double px = double(x) * kKidneySpacing[2], py = double(y) * kKidneySpacing[1];
                const double r = std::hypot(px - glomerulus.x, py - glomerulus.y);
                if (r > capsule + 4.0) continue;
                const auto i = std::size_t(y * kKidneyShape.x + x);
                // The tuft is lobulated; its capillary loops are a mesh of bright walls (podocytes
                // and mesangium, rich in actin) around dark lumens: the zero set of a noise.
                const double lobules = 0.5 + 0.5 * m_lobules(px / 9.0, py / 9.0, z / 9.0);
                const double tuft_edge = tuft * (0.9 + 0.2 * lobules);
                const double mesh = gaussian_profile(capillary_noise(px, py, z), 0.2);
                const double inside_tuft = soft_inside(tuft_edge - r, 2.0);
                const double capsule_wall = gaussian_profile(r - capsule, 1.1);
                const double walls = mesh * (0.4 + 0.6 * lobules + 0.6 * std::pow(lobules, 8.0));
                tubules[i] += float(inside_tuft * (350.0 + 1100.0 * walls) + 1100.0 * capsule_wall);
                // Walls peak above 4095 where the lobule noise peaks: a few saturated voxels.
                cytoplasm[i] +=
                    float(inside_tuft * (450.0 + 2500.0 * walls) + 500.0 * capsule_wall);
                // Bowman's space (between tuft and capsule) is empty, like a lumen.
                lumen_weight[i] *= float(1.0 - soft_inside(capsule - r, 2.0) * (1.0 - inside_tuft));
            }
        }
    }

    void render_granule(const Granule& granule, double z, std::span<float> tubules,
                        std::span<float> cytoplasm) const {
        constexpr double kSigma = 0.8;  // µm: a ~1 µm granule blurred by the microscope
        // Bright enough that the voxel nearest the centre exceeds 4095 wherever it falls.
        constexpr double kPeak = 14000.0;
        if (std::abs(z - granule.z) > 4.0 * kSigma) return;
        const auto [y0, y1, x0, x1] = pixel_box(granule.x, granule.y, 4.0 * kSigma);
        for (std::int64_t y = y0; y < y1; ++y) {
            for (std::int64_t x = x0; x < x1; ++x) {
                const double px = double(x) * kKidneySpacing[2], py = double(y) * kKidneySpacing[1];
                const double distance = std::sqrt((px - granule.x) * (px - granule.x) +
                                                  (py - granule.y) * (py - granule.y) +
                                                  (z - granule.z) * (z - granule.z));
                const double glow = kPeak * gaussian_profile(distance, kSigma);
                const auto i = std::size_t(y * kKidneyShape.x + x);
                tubules[i] += float(0.8 * glow);
                cytoplasm[i] += float(glow);
            }
        }
    }

    void render_nucleus(const Nucleus& nucleus, double z, std::span<float> nuclei,
                        std::span<float> tubules, std::span<float> cytoplasm) const {
        const Ellipsoid& shape = nucleus.shape;
        if (std::abs(z - shape.z) > shape.c + 1.5) return;
        const auto [y0, y1, x0, x1] = pixel_box(shape.x, shape.y, shape.largest_axis() + 2.0);
        for (std::int64_t y = y0; y < y1; ++y) {
            for (std::int64_t x = x0; x < x1; ++x) {
                const double px = double(x) * kKidneySpacing[2], py = double(y) * kKidneySpacing[1];
                const double rho = shape.radius(px, py, z);
                if (rho > 1.6) continue;
                // Soft edge about 0.8 µm wide: confocal blur at this magnification.
                const double profile = soft_inside((1.0 - rho) * shape.b, 1.6);
                const double chromatin = 1.0 + 0.2 * m_chromatin(px / 1.5, py / 1.5, z / 1.5);
                const auto i = std::size_t(y * kKidneyShape.x + x);
                nuclei[i] += float(nucleus.brightness * profile * chromatin);
                // The nucleus excludes the cytoplasmic stains.
                tubules[i] *= float(1.0 - 0.5 * profile);
                cytoplasm[i] *= float(1.0 - 0.7 * profile);
            }
        }
    }

    // Two octaves of noise on rotated axes, so its zero set (the capillary walls) shows no
    // trace of the lattice.
    double capillary_noise(double px, double py, double z) const {
        const double u = 0.799 * px + 0.602 * py, v = -0.602 * px + 0.799 * py;
        const double s = 0.326 * px - 0.946 * py, t = 0.946 * px + 0.326 * py;
        return 0.65 * m_outline(u / 5.0, v / 5.0, z / 5.0 + 53.0) +
               0.35 * m_outline(s / 2.7, t / 2.7, z / 2.7 + 97.0);
    }

    const KidneyModel& m_model;
    ValueNoise m_granules;
    ValueNoise m_lobules;
    ValueNoise m_stroma;
    ValueNoise m_chromatin;
    ValueNoise m_outline;
};

// ---------------------------------------------------------------------------------------------
// phantom: the 3D Shepp-Logan head phantom.

struct PhantomEllipsoid {
    double modified, original;  // additive intensities
    double a, b, c;             // semi-axes along x, y, z
    double x0, y0, z0;          // centre, in the rotated frame (as phantom3d applies it)
    double phi, theta, psi;     // Euler angles in degrees
};

// The ten ellipsoids of the 3D head phantom, Kak and Slaney, "Principles of Computerized
// Tomographic Imaging" (1988), table 3.1 extended to 3D, as tabulated by M. Schabel's
// phantom3d.m (MATLAB Central #9416, 2005; also in CERN/TIGRE Utilities/phantom3dAniso.m).
// Modified intensities: Toft, "The Radon Transform" (1996), pp. 199-200. Original intensities:
// Shepp and Logan, "The Fourier reconstruction of a head section" (1974): the skull is 2.0.
// (phantom3d, following MATLAB's phantom, uses 1.0 for it instead.)
constexpr std::array<PhantomEllipsoid, 10> kSheppLogan{{
    {1.0, 2.0, .6900, .920, .810, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0},
    {-.8, -.98, .6624, .874, .780, 0.0, -.0184, 0.0, 0.0, 0.0, 0.0},
    {-.2, -.02, .1100, .310, .220, .22, 0.0, 0.0, -18.0, 0.0, 10.0},
    {-.2, -.02, .1600, .410, .280, -.22, 0.0, 0.0, 18.0, 0.0, 10.0},
    {.1, .01, .2100, .250, .410, 0.0, .35, -.15, 0.0, 0.0, 0.0},
    {.1, .01, .0460, .046, .050, 0.0, .1, .25, 0.0, 0.0, 0.0},
    {.1, .01, .0460, .046, .050, 0.0, -.1, .25, 0.0, 0.0, 0.0},
    {.1, .01, .0460, .023, .050, -.08, -.605, 0.0, 0.0, 0.0, 0.0},
    {.1, .01, .0230, .023, .020, 0.0, -.606, 0.0, 0.0, 0.0, 0.0},
    {.1, .01, .0230, .046, .020, .06, -.605, 0.0, 0.0, 0.0, 0.0},
}};

// One ellipsoid prepared for testing points: q = R p, inside if sum(((q - q0) / axes)^2) <= 1.
struct PreparedEllipsoid {
    int hundredths = 0;  // the intensity in units of 0.01, so sums are exact (1 - 0.8 - 0.2 = 0)
    std::array<std::array<double, 3>, 3> rotation{};  // rows map (x, y, z) to the ellipsoid frame
    std::array<double, 3> centre{};
    std::array<double, 3> inverse_squared_axes{};

    double level(double x, double y, double z) const {
        double sum = 0.0;
        for (int k = 0; k < 3; ++k) {
            const double q =
                rotation[k][0] * x + rotation[k][1] * y + rotation[k][2] * z - centre[k];
            sum += q * q * inverse_squared_axes[k];
        }
        return sum;
    }
};

PreparedEllipsoid prepare(const PhantomEllipsoid& e, PhantomVariant variant) {
    constexpr double kRadians = std::numbers::pi / 180.0;
    const double cphi = std::cos(e.phi * kRadians), sphi = std::sin(e.phi * kRadians);
    const double ctheta = std::cos(e.theta * kRadians), stheta = std::sin(e.theta * kRadians);
    const double cpsi = std::cos(e.psi * kRadians), spsi = std::sin(e.psi * kRadians);
    PreparedEllipsoid prepared;
    prepared.hundredths =
        int(std::lround(100.0 * (variant == PhantomVariant::modified ? e.modified : e.original)));
    // z-x-z Euler rotation (phi about z, theta about x, psi about z), phantom3d's matrix.
    prepared.rotation = {
        {{cpsi * cphi - ctheta * sphi * spsi, cpsi * sphi + ctheta * cphi * spsi, spsi * stheta},
         {-spsi * cphi - ctheta * sphi * cpsi, -spsi * sphi + ctheta * cphi * cpsi, cpsi * stheta},
         {stheta * sphi, -stheta * cphi, ctheta}}};
    prepared.centre = {e.x0, e.y0, e.z0};
    prepared.inverse_squared_axes = {1.0 / (e.a * e.a), 1.0 / (e.b * e.b), 1.0 / (e.c * e.c)};
    return prepared;
}

// Where the line {(x, y, z): x real} enters and leaves the ellipsoid, if it does: the level is
// a quadratic in x. Used only to skip voxels; membership is decided by level() itself.
bool row_interval(const PreparedEllipsoid& e, double y, double z, double& x_low, double& x_high) {
    double quadratic = 0.0, linear = 0.0, constant = -1.0;
    for (int k = 0; k < 3; ++k) {
        const double slope = e.rotation[k][0];
        const double offset = e.rotation[k][1] * y + e.rotation[k][2] * z - e.centre[k];
        quadratic += slope * slope * e.inverse_squared_axes[k];
        linear += 2.0 * slope * offset * e.inverse_squared_axes[k];
        constant += offset * offset * e.inverse_squared_axes[k];
    }
    const double discriminant = linear * linear - 4.0 * quadratic * constant;
    if (discriminant < 0.0) return false;
    const double root = std::sqrt(discriminant);
    x_low = (-linear - root) / (2.0 * quadratic);
    x_high = (-linear + root) / (2.0 * quadratic);
    return true;
}

// ---------------------------------------------------------------------------------------------
// blobs: scipy.ndimage.gaussian_filter, mode 'nearest', truncate 4.

// The normalised 1D kernel scipy uses: radius int(4 sigma + 0.5), weights exp(-x^2 / 2 sigma^2).
std::vector<float> gaussian_kernel(double sigma) {
    const auto radius = std::int64_t(4.0 * sigma + 0.5);
    std::vector<double> weights(std::size_t(2 * radius + 1));
    double sum = 0.0;
    for (std::int64_t k = -radius; k <= radius; ++k) {
        weights[std::size_t(k + radius)] = std::exp(-0.5 * double(k * k) / (sigma * sigma));
        sum += weights[std::size_t(k + radius)];
    }
    std::vector<float> kernel;
    for (double weight : weights)
        kernel.push_back(float(weight / sum));
    return kernel;
}

// Weight with which input sample `source` reaches output `target` along an axis of `extent`
// samples, with 'nearest' edges: the sum of the kernel taps k with clamp(target + k) == source.
float edge_weight(std::span<const float> kernel, std::int64_t target, std::int64_t source,
                  std::int64_t extent) {
    const auto radius = std::int64_t(kernel.size() / 2);
    float weight = 0.0f;
    for (std::int64_t k = -radius; k <= radius; ++k) {
        if (std::clamp<std::int64_t>(target + k, 0, extent - 1) == source) {
            weight += kernel[std::size_t(k + radius)];
        }
    }
    return weight;
}

// Smooths unit impulses at `points` (sorted linear indices into a size^3 grid) with a separable
// Gaussian into `field`, which must be zero. Equivalent to gaussian_filter on the impulse
// image, but the first two passes only touch the rows and planes that hold impulses.
void smooth_impulses(std::span<const std::int64_t> points, std::int64_t size,
                     std::span<const float> kernel, VolumeView<float> field, Progress& progress) {
    const auto radius = std::int64_t(kernel.size() / 2);
    // Along x: each impulse adds the kernel (folded at the edges) to its row.
    std::vector<char> plane_used(std::size_t(size), 0);
    std::vector<char> row_used(std::size_t(size * size), 0);
    for (const std::int64_t point : points) {
        const std::int64_t z = point / (size * size), y = point / size % size, x = point % size;
        plane_used[std::size_t(z)] = 1;
        row_used[std::size_t(z * size + y)] = 1;
        float* row = field.row(z, y);
        const std::int64_t begin = std::max<std::int64_t>(0, x - radius);
        const std::int64_t end = std::min<std::int64_t>(size, x + radius + 1);
        for (std::int64_t i = begin; i < end; ++i) {
            const bool near_edge = x <= radius || x >= size - 1 - radius;
            row[i] +=
                near_edge ? edge_weight(kernel, i, x, size) : kernel[std::size_t(x - i + radius)];
        }
    }
    // Along y, in the planes that have impulses.
    std::vector<std::int64_t> used_planes;
    for (std::int64_t z = 0; z < size; ++z) {
        if (plane_used[std::size_t(z)]) used_planes.push_back(z);
    }
    parallel_for(0, std::int64_t(used_planes.size()), 1, [&](std::int64_t begin, std::int64_t end) {
        std::vector<float> plane(std::size_t(size * size));
        for (std::int64_t index = begin; index < end; ++index) {
            const std::int64_t z = used_planes[std::size_t(index)];
            for (std::int64_t y = 0; y < size; ++y) {
                std::copy_n(field.row(z, y), size, plane.begin() + y * size);
            }
            for (std::int64_t y = 0; y < size; ++y) {
                float* out = field.row(z, y);
                std::fill_n(out, size, 0.0f);
                for (std::int64_t k = -radius; k <= radius; ++k) {
                    const std::int64_t source = std::clamp<std::int64_t>(y + k, 0, size - 1);
                    if (!row_used[std::size_t(z * size + source)]) continue;
                    const float weight = kernel[std::size_t(k + radius)];
                    const float* in = plane.data() + source * size;
                    for (std::int64_t x = 0; x < size; ++x)
                        out[x] += weight * in[x];
                }
            }
        }
        progress.advance(end - begin);
    });
    progress.advance(size - std::int64_t(used_planes.size()));
    // Along z, for every row: the dense pass, skipping source planes without impulses.
    parallel_for(0, size, 1, [&](std::int64_t begin, std::int64_t end) {
        std::vector<float> slab(std::size_t(size * size));
        for (std::int64_t y = begin; y < end; ++y) {
            for (std::int64_t z = 0; z < size; ++z) {
                std::copy_n(field.row(z, y), size, slab.begin() + z * size);
            }
            for (std::int64_t z = 0; z < size; ++z) {
                float* out = field.row(z, y);
                std::fill_n(out, size, 0.0f);
                for (std::int64_t k = -radius; k <= radius; ++k) {
                    const std::int64_t source = std::clamp<std::int64_t>(z + k, 0, size - 1);
                    if (!plane_used[std::size_t(source)]) continue;
                    const float weight = kernel[std::size_t(k + radius)];
                    const float* in = slab.data() + source * size;
                    for (std::int64_t x = 0; x < size; ++x)
                        out[x] += weight * in[x];
                }
            }
        }
        progress.advance(end - begin);
    });
}

std::string format_fraction(double value) {
    return fmt::format("{}", value);
}

}  // namespace

// -------------------------------------------------------------------------------------------------

bool is_sample_path(std::string_view path) {
    return path.starts_with(kSamplePrefix);
}

SampleSpec parse_sample_spec(std::string_view text) {
    if (text.size() > kMaxReferenceBytes) {
        throw_bad_reference(text, fmt::format("longer than {} bytes", kMaxReferenceBytes));
    }
    if (text.empty()) throw ValueError("bad sample reference '': empty");
    std::string_view rest = text;
    if (rest.starts_with(kSamplePrefix)) rest.remove_prefix(kSamplePrefix.size());

    SampleSpec spec;
    const std::size_t question = rest.find('?');
    const std::string_view name = rest.substr(0, question);
    if (name.empty()) throw_bad_reference(text, "empty sample name");
    for (const char c : name) {
        if (!is_name_char(c)) {
            throw_bad_reference(
                text, fmt::format("sample name '{}' may only use a-z, 0-9 and _", printable(name)));
        }
    }
    spec.name = std::string(name);
    if (question == std::string_view::npos) return spec;

    std::string_view query = rest.substr(question + 1);
    if (query.empty()) throw_bad_reference(text, "no parameters after '?'");
    while (true) {
        const std::size_t ampersand = query.find('&');
        const std::string_view item = query.substr(0, ampersand);
        if (item.empty()) throw_bad_reference(text, "empty parameter (a stray '&'?)");
        const std::size_t equals = item.find('=');
        if (equals == std::string_view::npos) {
            throw_bad_reference(text,
                                fmt::format("parameter '{}' has no '=value'", printable(item)));
        }
        const std::string_view key = item.substr(0, equals);
        const std::string_view value = item.substr(equals + 1);
        if (key.empty()) {
            throw_bad_reference(text, fmt::format("parameter '{}' has no key", printable(item)));
        }
        for (const char c : key) {
            if (!is_name_char(c)) {
                throw_bad_reference(
                    text,
                    fmt::format("parameter key '{}' may only use a-z, 0-9 and _", printable(key)));
            }
        }
        if (value.empty()) {
            throw_bad_reference(text, fmt::format("parameter '{}' has an empty value", key));
        }
        for (const char c : value) {
            if (!is_value_char(c)) {
                throw_bad_reference(
                    text, fmt::format("value '{}' of '{}' may only use A-Z, a-z, 0-9 and _.+-",
                                      printable(value), key));
            }
        }
        for (const auto& [existing, unused] : spec.parameters) {
            if (existing == key) {
                throw_bad_reference(text, fmt::format("parameter '{}' is given twice", key));
            }
        }
        if (spec.parameters.size() == kMaxParameters) {
            throw_bad_reference(text, fmt::format("more than {} parameters", kMaxParameters));
        }
        spec.parameters.emplace_back(std::string(key), std::string(value));
        if (ampersand == std::string_view::npos) break;
        query.remove_prefix(ampersand + 1);
    }
    return spec;
}

const std::vector<SampleInfo>& sample_catalog() {
    static const std::vector<SampleInfo> catalog{
        {"cells",
         "a layer of cells, membranes and nuclei: 60x256x256, 2 channels, u16, "
         "spacing 0.29x0.26x0.26 µm (like scikit-image's cells3d)",
         {"seed=0: random seed (an integer from 0 to 2^64-1)"}},
        {"kidney",
         "mouse kidney tissue, nuclei, tubules and cytoplasm: 16x512x512, 3 channels, "
         "12-bit u16, spacing 1.25x1.24x1.24 µm (like scikit-image's kidney)",
         {"seed=0: random seed (an integer from 0 to 2^64-1)"}},
        {"phantom",
         "3D Shepp-Logan head phantom: size^3, f32, 256 mm field of view",
         {"size=128: edge length in voxels (2 to 2048)",
          "variant=modified: intensities, modified (Toft's contrast) or original (Shepp and "
          "Logan's)"}},
        {"blobs",
         "binary blobs like scikit-image's binary_blobs: size^3, u8 of 0 and 1, spacing 1 µm",
         {"size=128: edge length in voxels (4 to 1024)",
          "fraction=0.1: typical blob size as a fraction of the edge length, in (0, 1]",
          "volume=0.5: fraction of voxels inside blobs, in (0, 1]",
          "seed=0: random seed (an integer from 0 to 2^64-1)"}},
    };
    return catalog;
}

Volume make_sample(std::string_view reference) {
    const SampleSpec spec = parse_sample_spec(reference);
    if (spec.name == "cells") {
        const ParameterReader reader(spec, {"seed"});
        return make_cells(reader.seed());
    }
    if (spec.name == "kidney") {
        const ParameterReader reader(spec, {"seed"});
        return make_kidney(reader.seed());
    }
    if (spec.name == "phantom") {
        const ParameterReader reader(spec, {"size", "variant"});
        const std::int64_t size = reader.integer("size", 128, 2, 2048);
        constexpr std::array<std::string_view, 2> kVariants{"modified", "original"};
        const auto variant = reader.choice("variant", kVariants) == 0 ? PhantomVariant::modified
                                                                      : PhantomVariant::original;
        return make_phantom(size, variant);
    }
    if (spec.name == "blobs") {
        const ParameterReader reader(spec, {"size", "fraction", "volume", "seed"});
        const std::int64_t size = reader.integer("size", 128, 4, 1024);
        const double fraction = reader.fraction("fraction", 0.1);
        const double volume = reader.fraction("volume", 0.5);
        return make_blobs(size, fraction, volume, reader.seed());
    }
    std::vector<std::string> names;
    for (const SampleInfo& info : sample_catalog())
        names.emplace_back(info.name);
    throw ValueError(fmt::format("unknown sample '{}' ({}available: {})", spec.name,
                                 did_you_mean(spec.name, names), fmt::join(names, ", ")));
}

Volume make_cells(std::uint64_t seed) {
    const Shape& shape = kCellsShape;
    const std::string source =
        canonical_reference("cells", seed == 0 ? std::vector<std::pair<std::string, std::string>>{}
                                               : std::vector<std::pair<std::string, std::string>>{
                                                     {"seed", std::to_string(seed)}});
    check_memory(source, double(shape.values()) * 2.0);
    Volume volume = Volume::allocate(shape, PixelType::u16);
    volume.set_spacing({kCellsSpacing, std::string(kMicrometre), true});
    volume.set_channel_names({"membrane", "nuclei"});
    set_sample_metadata(volume, source,
                        "synthetic layer of cells (membranes, nuclei) modelled on scikit-image's "
                        "cells3d");

    const std::vector<CellModel> cells =
        place_cells(seed, double(shape.y) * kCellsSpacing[1], double(shape.x) * kCellsSpacing[2]);
    const std::vector<CellColumn> columns = cell_columns(cells, seed);
    const ValueNoise patches(stream_key(seed, 0x9A7C));
    const ValueNoise chromatin(stream_key(seed, 0xC470));
    const ValueNoise fine_chromatin(stream_key(seed, 0xF1E));
    const std::uint64_t noise_key = stream_key(seed, 0x401);

    // Intensities as in cells3d: background ~1000-1500, membranes to ~35000, nuclei ~15000.
    constexpr double kMembraneBackground = 1400.0, kNucleiBackground = 1150.0;
    constexpr double kMembranePeak = 21000.0;
    constexpr double kLateralSigma = 0.3, kAxialSigma = 0.45;  // µm: the PSF is longer in z

    auto view = volume.mutable_view<std::uint16_t>();
    Progress progress("sample cells", shape.z);
    parallel_for(0, shape.z, 1, [&](std::int64_t z_begin, std::int64_t z_end) {
        for (std::int64_t z = z_begin; z < z_end; ++z) {
            const double pz = double(z) * kCellsSpacing[0];
            std::uint16_t* membrane_row = nullptr;
            std::uint16_t* nuclei_row = nullptr;
            for (std::int64_t y = 0; y < shape.y; ++y) {
                membrane_row = view.row(z, y, 0);
                nuclei_row = view.row(z, y, 1);
                const double py = double(y) * kCellsSpacing[1];
                for (std::int64_t x = 0; x < shape.x; ++x) {
                    const double px = double(x) * kCellsSpacing[2];
                    const CellColumn& column = columns[std::size_t(y * shape.x + x)];
                    const CellModel& cell = cells[std::size_t(column.cell)];
                    const double above_base = pz - cell.base_z;
                    const double below_apex = double(column.apex_z) - pz;
                    const double inside =
                        soft_inside(above_base, 0.6) * soft_inside(below_apex, 0.6);
                    const double lateral = gaussian_profile(column.edge_distance, kLateralSigma) *
                                           soft_inside(above_base + 0.3, 0.8) *
                                           soft_inside(below_apex + 0.3, 0.8);
                    const double apical =
                        gaussian_profile(below_apex * column.apex_normal, kAxialSigma);
                    const double basal = 0.5 * gaussian_profile(above_base, kAxialSigma);
                    const double shell = std::max({lateral, apical, basal});
                    double membrane = kMembraneBackground;
                    double nuclei = kNucleiBackground + 450.0 * inside;
                    if (shell > 1e-3 || inside > 0.0) {
                        const double patch = patches(px / 1.7, py / 1.7, pz / 1.7);
                        membrane +=
                            cell.membrane_gain * kMembranePeak * (1.0 + 0.4 * patch) * shell +
                            inside * 1800.0 * (1.0 + 0.5 * patch);
                    }
                    const CellModel& owner = cells[std::size_t(column.nucleus)];
                    const double rho = owner.nucleus.radius(px, py, pz);
                    if (rho < 1.4) {
                        // Soft edge ~0.4 µm; chromatin texture at ~1 µm and ~0.4 µm.
                        const double profile = soft_inside((1.0 - rho) * owner.nucleus.b, 0.8);
                        double texture = 1.0 + 0.17 * chromatin(px / 1.1, py / 1.1, pz / 1.1) +
                                         0.08 * fine_chromatin(px / 0.45, py / 0.45, pz / 0.45);
                        for (const Ellipsoid& nucleolus : owner.nucleoli) {
                            const double hole = nucleolus.radius(px, py, pz);
                            if (hole < 1.5) texture *= 1.0 - 0.55 * soft_inside(1.0 - hole, 0.6);
                        }
                        nuclei += owner.nucleus_brightness * profile * texture;
                        membrane -= 500.0 * profile * inside;  // the nucleus holds no vesicles
                    }
                    const auto index = std::uint64_t((z * shape.y + y) * shape.x + x);
                    const auto normals = normal_pair(counter_hash(noise_key, index));
                    membrane_row[x] = to_u16(noisy(membrane, normals[0], 140.0, 5.0), 0.0, 65535.0);
                    nuclei_row[x] = to_u16(noisy(nuclei, normals[1], 140.0, 5.0), 0.0, 65535.0);
                }
            }
            progress.advance(1);
        }
    });
    return volume;
}

Volume make_kidney(std::uint64_t seed) {
    const Shape& shape = kKidneyShape;
    const std::string source =
        canonical_reference("kidney", seed == 0 ? std::vector<std::pair<std::string, std::string>>{}
                                                : std::vector<std::pair<std::string, std::string>>{
                                                      {"seed", std::to_string(seed)}});
    check_memory(source, double(shape.values()) * 2.0);
    Volume volume = Volume::allocate(shape, PixelType::u16);
    volume.set_spacing({kKidneySpacing, std::string(kMicrometre), true});
    volume.set_channel_names({"nuclei", "tubules", "cytoplasm"});
    set_sample_metadata(volume, source,
                        "synthetic mouse kidney tissue (nuclei, tubules, cytoplasm), 12-bit, "
                        "modelled on scikit-image's kidney");

    const KidneyModel model = place_kidney(seed);
    const KidneyPlane renderer(model, seed);
    const std::uint64_t noise_key = stream_key(seed, 0x404);
    const auto plane_size = std::size_t(shape.y * shape.x);
    auto view = volume.mutable_view<std::uint16_t>();
    Progress progress("sample kidney", shape.z);
    parallel_for(0, shape.z, 1, [&](std::int64_t z_begin, std::int64_t z_end) {
        std::vector<float> buffers(4 * plane_size);
        const std::span<float> all(buffers);
        const std::array<std::span<float>, 3> signal{all.subspan(0, plane_size),
                                                     all.subspan(plane_size, plane_size),
                                                     all.subspan(2 * plane_size, plane_size)};
        const std::span<float> lumen_weight = all.subspan(3 * plane_size, plane_size);
        for (std::int64_t z = z_begin; z < z_end; ++z) {
            std::fill(buffers.begin(), buffers.end(), 0.0f);
            renderer.render(z, signal[0], signal[1], signal[2], lumen_weight);
            // Deeper planes are dimmer: the light crosses more tissue.
            const double depth_gain = 1.0 - 0.2 * double(z) / double(shape.z - 1);
            for (std::int64_t y = 0; y < shape.y; ++y) {
                for (std::int64_t x = 0; x < shape.x; ++x) {
                    const auto i = std::size_t(y * shape.x + x);
                    const auto index = std::uint64_t((z * shape.y + y) * shape.x + x);
                    const auto first = normal_pair(counter_hash(noise_key, 2 * index));
                    const auto second = normal_pair(counter_hash(noise_key, 2 * index + 1));
                    const std::array<double, 3> normals{first[0], first[1], second[0]};
                    for (std::int64_t c = 0; c < 3; ++c) {
                        const double value = kKidneyBackground[std::size_t(c)] +
                                             depth_gain * double(signal[std::size_t(c)][i]);
                        view(z, y, x, c) = to_u16(
                            noisy(value, normals[std::size_t(c)], kKidneyReadNoise[std::size_t(c)],
                                  kKidneyGain[std::size_t(c)]),
                            kKidneyMin[std::size_t(c)], kKidneyMax);
                    }
                }
            }
            progress.advance(1);
        }
    });
    return volume;
}

Volume make_phantom(std::int64_t size, PhantomVariant variant) {
    if (size < 2 || size > 2048) {
        throw ValueError(fmt::format("phantom size must be from 2 to 2048, got {}", size));
    }
    std::vector<std::pair<std::string, std::string>> parameters;
    if (size != 128) parameters.emplace_back("size", std::to_string(size));
    if (variant == PhantomVariant::original) parameters.emplace_back("variant", "original");
    const std::string source = canonical_reference("phantom", parameters);
    check_memory(source, double(size) * double(size) * double(size) * 4.0);
    Volume volume = Volume::allocate({size, size, size, 1}, PixelType::f32);
    const double spacing = 256.0 / double(size);
    volume.set_spacing({{spacing, spacing, spacing}, "mm", true});
    set_sample_metadata(
        volume, source,
        variant == PhantomVariant::modified
            ? "3D Shepp-Logan head phantom, Toft's modified intensities"
            : "3D Shepp-Logan head phantom, Shepp and Logan's original intensities");

    std::array<PreparedEllipsoid, kSheppLogan.size()> ellipsoids;
    for (std::size_t i = 0; i < kSheppLogan.size(); ++i) {
        ellipsoids[i] = prepare(kSheppLogan[i], variant);
    }
    // Voxel centres split [-1, 1] into `size` equal cells. y points up (row 0 is y near +1), so
    // planes look like the familiar 2D phantom, as MATLAB and scikit-image draw it.
    const auto coordinate = [size](std::int64_t index) {
        return -1.0 + double(2 * index + 1) / double(size);
    };
    auto view = volume.mutable_view<float>();
    Progress progress("sample phantom", size);
    parallel_for(0, size, 1, [&](std::int64_t z_begin, std::int64_t z_end) {
        std::vector<int> sums(std::size_t(size), 0);
        for (std::int64_t plane = z_begin; plane < z_end; ++plane) {
            const double z = coordinate(plane);
            for (std::int64_t row = 0; row < size; ++row) {
                const double y = -coordinate(row);
                std::fill(sums.begin(), sums.end(), 0);
                for (const PreparedEllipsoid& e : ellipsoids) {
                    double x_low = 0.0, x_high = 0.0;
                    if (!row_interval(e, y, z, x_low, x_high)) continue;
                    // Column range covering [x_low, x_high], one voxel wider against rounding.
                    const auto first = std::max<std::int64_t>(
                        0, std::int64_t(std::floor((x_low + 1.0) * double(size) / 2.0)) - 1);
                    const auto last = std::min<std::int64_t>(
                        size - 1,
                        std::int64_t(std::floor((x_high + 1.0) * double(size) / 2.0)) + 1);
                    for (std::int64_t column = first; column <= last; ++column) {
                        if (e.level(coordinate(column), y, z) <= 1.0) {
                            sums[std::size_t(column)] += e.hundredths;
                        }
                    }
                }
                float* out = view.row(plane, row);
                for (std::int64_t column = 0; column < size; ++column) {
                    out[column] = float(double(sums[std::size_t(column)]) / 100.0);
                }
            }
            progress.advance(1);
        }
    });
    return volume;
}

Volume make_blobs(std::int64_t size, double blob_size_fraction, double volume_fraction,
                  std::uint64_t seed) {
    if (size < 4 || size > 1024) {
        throw ValueError(fmt::format("blobs size must be from 4 to 1024, got {}", size));
    }
    if (!(blob_size_fraction > 0.0 && blob_size_fraction <= 1.0)) {
        throw ValueError(
            fmt::format("blobs blob_size_fraction must be in (0, 1], got {}", blob_size_fraction));
    }
    if (!(volume_fraction > 0.0 && volume_fraction <= 1.0)) {
        throw ValueError(
            fmt::format("blobs volume_fraction must be in (0, 1], got {}", volume_fraction));
    }
    std::vector<std::pair<std::string, std::string>> parameters;
    if (size != 128) parameters.emplace_back("size", std::to_string(size));
    if (blob_size_fraction != 0.1)
        parameters.emplace_back("fraction", format_fraction(blob_size_fraction));
    if (volume_fraction != 0.5) parameters.emplace_back("volume", format_fraction(volume_fraction));
    if (seed != 0) parameters.emplace_back("seed", std::to_string(seed));
    const std::string source = canonical_reference("blobs", parameters);
    // The smoothed f32 field and the u8 result exist together.
    check_memory(source, double(size) * double(size) * double(size) * 5.0);

    // skimage: n_pts = max(int(1 / blob_size_fraction) ** 3, 1) points, (length * U).astype(int).
    const auto per_axis = std::int64_t(1.0 / blob_size_fraction);
    const std::int64_t point_count = std::max<std::int64_t>(per_axis * per_axis * per_axis, 1);
    RandomStream random(stream_key(seed, 0xB10B));
    std::vector<std::int64_t> points(static_cast<std::size_t>(point_count));
    for (std::int64_t& point : points) {
        point = 0;
        for (int axis = 0; axis < 3; ++axis) {
            point =
                point * size + std::min(std::int64_t(double(size) * random.uniform()), size - 1);
        }
    }
    // mask[points] = 1: a point drawn twice is still one impulse.
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());

    Volume field = Volume::allocate({size, size, size, 1}, PixelType::f32);
    Progress progress("sample blobs", 3 * size);
    const std::vector<float> kernel = gaussian_kernel(0.25 * double(size) * blob_size_fraction);
    smooth_impulses(points, size, kernel, field.mutable_view<float>(), progress);
    const double threshold = percentile(field, 100.0 * (1.0 - volume_fraction));

    Volume volume = Volume::allocate({size, size, size, 1}, PixelType::u8);
    volume.set_spacing({{1.0, 1.0, 1.0}, std::string(kMicrometre), true});
    set_sample_metadata(volume, source,
                        "binary blobs: smoothed random points thresholded at a quantile, as "
                        "skimage.data.binary_blobs");
    const auto smoothed = field.view<float>();
    auto out = volume.mutable_view<std::uint8_t>();
    parallel_for(0, size, 1, [&](std::int64_t z_begin, std::int64_t z_end) {
        for (std::int64_t z = z_begin; z < z_end; ++z) {
            for (std::int64_t y = 0; y < size; ++y) {
                const float* in = smoothed.row(z, y);
                std::uint8_t* row = out.row(z, y);
                // skimage: np.logical_not(mask < threshold).
                for (std::int64_t x = 0; x < size; ++x)
                    row[x] = double(in[x]) >= threshold ? 1 : 0;
            }
            progress.advance(1);
        }
    });
    return volume;
}

}  // namespace vox
