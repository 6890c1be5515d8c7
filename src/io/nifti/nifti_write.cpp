// Writing NIfTI-1 single files (.nii, .nii.gz), little-endian, voxels at offset 352.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "nifti.h"
#include "vox/parallel.h"

namespace vox::io::nifti {
namespace {

constexpr std::int64_t kVoxOffset = 352;
constexpr int kIntentVector = 1007;  // NIFTI_INTENT_VECTOR: dim[5] holds the components

class HeaderWriter {
public:
    HeaderWriter() : m_bytes(kVoxOffset) {}
    template <typename T>
    void put(std::size_t offset, T value) {
        auto raw = std::bit_cast<std::array<std::byte, sizeof(T)>>(value);
        if constexpr (kHostBigEndian) std::reverse(raw.begin(), raw.end());
        std::memcpy(m_bytes.data() + offset, raw.data(), sizeof(T));
    }
    void text(std::size_t offset, std::string_view value, std::size_t size) {
        std::memcpy(m_bytes.data() + offset, value.data(), std::min(value.size(), size - 1));
    }
    const std::vector<std::byte>& bytes() const { return m_bytes; }

private:
    std::vector<std::byte> m_bytes;
};

int datatype_of(PixelType type) {
    switch (type) {
        case PixelType::u8:
            return 2;
        case PixelType::i8:
            return 256;
        case PixelType::u16:
            return 512;
        case PixelType::i16:
            return 4;
        case PixelType::u32:
            return 768;
        case PixelType::i32:
            return 8;
        case PixelType::f32:
            return 16;
        case PixelType::f64:
            return 64;
    }
    return 0;
}

int unit_code(const std::string& unit) {
    if (unit == "m") return 1;
    if (unit == "mm") return 2;
    if (unit == "µm" || unit == "um" || unit == "micron") return 3;
    return 0;
}

int code_from(const Volume& volume, const std::string& key) {
    const auto found = volume.metadata().find(key);
    if (found == volume.metadata().end()) return 0;
    try {
        const int code = std::stoi(found->second);
        return code > 0 && code <= 5 ? code : 0;
    } catch (const std::exception&) {
        return 0;
    }
}

// The quaternion of a rotation matrix (row-major), with a >= 0 (NIfTI-1's qform convention).
std::array<double, 3> quaternion_of(const std::array<double, 9>& r) {
    const auto m = [&](int row, int column) { return r[std::size_t(row * 3 + column)]; };
    double a = 0, b = 0, c = 0, d = 0;
    const double trace = 1.0 + m(0, 0) + m(1, 1) + m(2, 2);  // 4 a^2
    if (trace > 0.5) {
        a = 0.5 * std::sqrt(trace);
        b = 0.25 * (m(2, 1) - m(1, 2)) / a;
        c = 0.25 * (m(0, 2) - m(2, 0)) / a;
        d = 0.25 * (m(1, 0) - m(0, 1)) / a;
    } else {
        const double xd = 1.0 + m(0, 0) - (m(1, 1) + m(2, 2));  // 4 b^2
        const double yd = 1.0 + m(1, 1) - (m(0, 0) + m(2, 2));  // 4 c^2
        const double zd = 1.0 + m(2, 2) - (m(0, 0) + m(1, 1));  // 4 d^2
        if (xd > 1.0) {
            b = 0.5 * std::sqrt(xd);
            c = 0.25 * (m(0, 1) + m(1, 0)) / b;
            d = 0.25 * (m(0, 2) + m(2, 0)) / b;
            a = 0.25 * (m(2, 1) - m(1, 2)) / b;
        } else if (yd > 1.0) {
            c = 0.5 * std::sqrt(yd);
            b = 0.25 * (m(0, 1) + m(1, 0)) / c;
            d = 0.25 * (m(1, 2) + m(2, 1)) / c;
            a = 0.25 * (m(0, 2) - m(2, 0)) / c;
        } else {
            d = 0.5 * std::sqrt(zd);
            b = 0.25 * (m(0, 2) + m(2, 0)) / d;
            c = 0.25 * (m(1, 2) + m(2, 1)) / d;
            a = 0.25 * (m(1, 0) - m(0, 1)) / d;
        }
        if (a < 0.0) {
            b = -b;
            c = -c;
            d = -d;
        }
    }
    return {b, c, d};
}

struct Qform {
    bool valid = false;
    double qfac = 1.0;
    std::array<double, 3> quaternion{};
};

// The qform of an affine whose column norms are `zooms` (as nibabel's set_qform: shears are
// dropped by the polar decomposition; a negative determinant becomes qfac = -1).
Qform qform_of(const Affine& affine, const std::array<double, 3>& zooms) {
    Qform qform;
    std::array<double, 9> r{};
    for (int column = 0; column < 3; ++column) {
        if (!(zooms[std::size_t(column)] > 0.0)) return qform;
        for (int row = 0; row < 3; ++row)
            r[std::size_t(row * 3 + column)] = at(affine, row, column) / zooms[std::size_t(column)];
    }
    const double det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) +
                       r[2] * (r[3] * r[7] - r[4] * r[6]);
    if (!std::isfinite(det) || det == 0.0) return qform;
    if (det < 0) {
        qform.qfac = -1.0;
        for (int row = 0; row < 3; ++row)
            r[std::size_t(row * 3 + 2)] *= -1.0;
    }
    qform.quaternion = quaternion_of(polar_factor(r));
    qform.valid = true;
    return qform;
}

}  // namespace

void write(const Volume& input, const std::string& path, const WriteOptions& options) {
    const bool gz_name = has_extension(path, ".gz");
    bool compress = gz_name;
    if (!options.compression.empty()) {
        if (options.compression == "gzip" && gz_name) {
            compress = true;
        } else if (options.compression == "none" && !gz_name) {
            compress = false;
        } else {
            throw ValueError(fmt::format(
                "cannot write '{}': compression '{}' is not supported here (NIfTI writes .nii "
                "uncompressed and .nii.gz with gzip)",
                path, options.compression));
        }
    }
    if (compress)
        check_level(path, options, "gzip", 0, 12);
    else
        check_level(path, options, "none");
    const Volume volume = input.contiguous();
    const Shape& shape = volume.shape();
    for (const std::int64_t extent : {shape.x, shape.y, shape.z, shape.c}) {
        if (extent > 32767) {
            throw ValueError(fmt::format(
                "cannot write '{}': size {} exceeds NIfTI-1's limit of 32767 per dimension", path,
                extent));
        }
    }

    // Spacing and affine: the affine's column norms when the spacing is not known.
    const Spacing& spacing = volume.spacing();
    const std::optional<Affine>& given = volume.affine();
    std::array<double, 3> zooms{spacing.zyx[2], spacing.zyx[1], spacing.zyx[0]};
    std::array<double, 3> norms{};
    if (given) {
        for (int column = 0; column < 3; ++column) {
            double sum = 0;
            for (int row = 0; row < 3; ++row)
                sum += at(*given, row, column) * at(*given, row, column);
            norms[std::size_t(column)] = std::sqrt(sum);
        }
        if (!spacing.known) zooms = norms;
    }
    // NIfTI-1 keeps spacing and affine in 32-bit floats: a value they cannot hold would read
    // back as 0 (taken as 1 mm, as nibabel does) or as inf.
    const auto fits_float = [](double value) {
        const double size = std::abs(value);
        return value == 0.0 || (size >= double(std::numeric_limits<float>::denorm_min()) &&
                                size <= double(std::numeric_limits<float>::max()));
    };
    for (const double zoom : zooms) {
        if (spacing.known && !fits_float(zoom)) {
            throw ValueError(
                fmt::format("cannot write '{}': spacing {:g} does not fit NIfTI-1's 32-bit floats",
                            path, zoom));
        }
    }
    if (given) {
        for (const double value : *given) {
            if (!fits_float(value)) {
                throw ValueError(fmt::format(
                    "cannot write '{}': affine value {:g} does not fit NIfTI-1's 32-bit floats",
                    path, value));
            }
        }
    }
    for (double& zoom : zooms) {
        if (!(zoom > 0.0) || !std::isfinite(zoom)) zoom = 1.0;
    }
    std::optional<Affine> affine = given;
    if (!affine && spacing.known) {
        Affine diagonal{};
        for (int axis = 0; axis < 3; ++axis)
            at(diagonal, axis, axis) = zooms[std::size_t(axis)];
        at(diagonal, 3, 3) = 1.0;
        affine = diagonal;
    }
    int code = code_from(volume, "nifti.sform_code");
    if (code == 0) code = code_from(volume, "nifti.qform_code");
    if (code == 0) code = 2;  // NIFTI_XFORM_ALIGNED_ANAT, nibabel's default

    HeaderWriter header;
    header.put<std::int32_t>(0, 348);
    header.put<char>(38, 'r');
    const bool vector = shape.c > 1;
    const std::array<std::int64_t, 8> dim{vector ? 5 : 3, shape.x, shape.y, shape.z, 1,
                                          shape.c,        1,       1};
    for (std::size_t i = 0; i < 8; ++i)
        header.put<std::int16_t>(40 + 2 * i, std::int16_t(dim[i]));
    if (vector) {
        header.put<std::int16_t>(68, kIntentVector);
        header.text(328, "channels", 16);
    }
    header.put<std::int16_t>(70, std::int16_t(datatype_of(volume.pixel_type())));
    header.put<std::int16_t>(72, std::int16_t(8 * pixel_size(volume.pixel_type())));
    Qform qform;
    if (affine) {
        qform = qform_of(*affine, norms == std::array<double, 3>{} ? zooms : norms);
        // A qform scales by pixdim: it is only right when pixdim equals the column norms.
        for (std::size_t axis = 0; axis < 3 && given; ++axis) {
            if (std::abs(norms[axis] - zooms[axis]) > 1e-6 * std::max(norms[axis], zooms[axis]))
                qform.valid = false;
        }
    }
    std::array<float, 8> pixdim{float(qform.qfac),
                                float(zooms[0]),
                                float(zooms[1]),
                                float(zooms[2]),
                                1.0f,
                                1.0f,
                                1.0f,
                                1.0f};
    for (std::size_t i = 0; i < 8; ++i)
        header.put<float>(76 + 4 * i, pixdim[i]);
    header.put<float>(108, float(kVoxOffset));
    header.put<float>(112, 1.0f);  // scl_slope: identity
    header.put<float>(116, 0.0f);
    header.put<std::uint8_t>(123, std::uint8_t(spacing.known ? unit_code(spacing.unit) : 0));
    const auto description = volume.metadata().find("description");
    header.text(148, description == volume.metadata().end() ? "voxscope" : description->second, 80);
    if (affine) {
        header.put<std::int16_t>(254, std::int16_t(code));
        for (int row = 0; row < 3; ++row) {
            for (int column = 0; column < 4; ++column) {
                header.put<float>(std::size_t(280 + 16 * row + 4 * column),
                                  float(at(*affine, row, column)));
            }
        }
        if (qform.valid) {
            header.put<std::int16_t>(252, std::int16_t(code));
            for (std::size_t i = 0; i < 3; ++i) {
                header.put<float>(256 + 4 * i, float(qform.quaternion[i]));
                header.put<float>(268 + 4 * i, float(at(*affine, int(i), 3)));
            }
        }
    }
    header.text(344, std::string_view("n+1\0", 4), 5);

    // Voxels in file order: each channel one x-fastest block, as the Volume stores them.
    std::span<const std::byte> data;
    std::vector<std::byte> swapped;
    visit(volume.pixel_type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const auto* origin = reinterpret_cast<const std::byte*>(volume.view<T>().origin);
        data = {origin, std::size_t(volume.size_bytes())};
        if constexpr (kHostBigEndian) {
            swapped.assign(data.begin(), data.end());
            swap_bytes(swapped.data(), shape.values(), sizeof(T));
            data = swapped;
        }
    });

    AtomicFile file(path);
    if (!compress) {
        file.write(header.bytes());
        file.write(data);
    } else {
        file.write(gzip(header.bytes(), options.level));
        write_gzip_members(file, data, options.level);
    }
    file.commit();
}

}  // namespace vox::io::nifti
