// NIfTI-1/NIfTI-2/Analyze header parsing and the affine arithmetic, matched to nibabel 5.0.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "nifti.h"

namespace vox::io::nifti {
namespace {

// Sizes are checked before any product is formed; 2^31 voxels along one axis is already absurd.
constexpr std::int64_t kMaxExtent = std::int64_t(1) << 31;

// Reads fields of a header in the file's byte order.
class Fields {
public:
    Fields(std::span<const std::byte> bytes, bool big_endian)
        : m_bytes(bytes), m_swap(big_endian != kHostBigEndian) {}

    template <typename T>
    T get(std::size_t offset) const {
        std::array<std::byte, sizeof(T)> raw;
        std::memcpy(raw.data(), m_bytes.data() + offset, sizeof(T));
        if (m_swap) std::reverse(raw.begin(), raw.end());
        return std::bit_cast<T>(raw);
    }
    std::string text(std::size_t offset, std::size_t size) const {
        std::string value(reinterpret_cast<const char*>(m_bytes.data() + offset), size);
        value.resize(std::strlen(value.c_str()));
        return value;
    }

private:
    std::span<const std::byte> m_bytes;
    bool m_swap;
};

std::int32_t sizeof_hdr(std::span<const std::byte> head, bool big_endian) {
    return Fields(head, big_endian).get<std::int32_t>(0);
}

bool has_magic(std::span<const std::byte> head, std::size_t offset, const char* magic) {
    return head.size() >= offset + 3 && std::memcmp(head.data() + offset, magic, 3) == 0;
}

// nibabel's _chk_pixdims and _chk_qfac (applied with fix=True when it loads a header).
void fix_pixdim(Header& header) {
    for (std::size_t i = 1; i <= 3; ++i) {
        double& value = header.pixdim[i];
        if (value == 0.0) value = 1.0;
        if (value < 0.0) value = -value;
    }
    if (header.pixdim[0] != 1.0 && header.pixdim[0] != -1.0) header.pixdim[0] = 1.0;
}

int valid_xform_code(int code) {
    return code >= 0 && code <= 5 ? code : 0;
}

}  // namespace

std::vector<std::byte> head_of(const Source& source, std::int64_t bytes) {
    if (source.size() == 0) return {};
    return source.head(bytes);
}

int header_size(std::span<const std::byte> head) {
    if (head.size() < 4) return 0;
    for (bool big_endian : {false, true}) {
        const std::int32_t size = sizeof_hdr(head, big_endian);
        if (size == kNifti1Size || size == kNifti2Size) return size;
    }
    return 0;
}

bool sniff_nifti(std::span<const std::byte> head) {
    const int size = header_size(head);
    if (size == kNifti1Size) return has_magic(head, 344, "n+1") || has_magic(head, 344, "ni1");
    if (size == kNifti2Size) return has_magic(head, 4, "n+2") || has_magic(head, 4, "ni2");
    return false;
}

bool sniff_analyze(std::span<const std::byte> head) {
    // No magic in Analyze 7.5: sizeof_hdr 348 and a plausible dim[0] in the same byte order.
    if (head.size() < std::size_t(kNifti1Size) || sniff_nifti(head)) return false;
    for (bool big_endian : {false, true}) {
        const Fields fields(head, big_endian);
        const auto ndim = fields.get<std::int16_t>(40);
        if (fields.get<std::int32_t>(0) == kNifti1Size && ndim >= 1 && ndim <= 7) return true;
    }
    return false;
}

Header parse_header(const Source& source) {
    const std::string& name = source.name();
    const std::vector<std::byte> head = head_of(source, kNifti2Size);
    if (head.size() < 4) {
        throw FormatError(fmt::format("'{}': too short for a NIfTI or Analyze header ({} bytes)",
                                      name, head.size()));
    }
    Header header;
    int size = 0;
    for (bool big_endian : {false, true}) {
        const std::int32_t value = sizeof_hdr(head, big_endian);
        if (value == kNifti1Size || value == kNifti2Size) {
            size = value;
            header.big_endian = big_endian;
            break;
        }
    }
    if (size == 0) {
        throw FormatError(fmt::format(
            "'{}': not a NIfTI or Analyze header: sizeof_hdr is {}, expected 348 or 540", name,
            sizeof_hdr(head, false)));
    }
    if (head.size() < std::size_t(size)) {
        throw FormatError(
            fmt::format("'{}': truncated header: {} of {} bytes", name, head.size(), size));
    }
    const Fields f(head, header.big_endian);
    double vox_offset = 0.0;
    if (size == kNifti2Size) {
        if (!has_magic(head, 4, "n+2") && !has_magic(head, 4, "ni2")) {
            throw FormatError(fmt::format(
                "'{}': a 540-byte header without the NIfTI-2 magic 'n+2' or 'ni2'", name));
        }
        header.kind = Kind::nifti2;
        header.single_file = has_magic(head, 4, "n+2");
        header.float32_fields = false;
        header.datatype = f.get<std::int16_t>(12);
        for (std::size_t i = 0; i < 8; ++i) {
            header.dim[i] = f.get<std::int64_t>(16 + 8 * i);
            header.pixdim[i] = f.get<double>(104 + 8 * i);
        }
        const std::int64_t offset = f.get<std::int64_t>(168);
        vox_offset = double(offset);
        header.vox_offset = offset;
        header.scl_slope = f.get<double>(176);
        header.scl_inter = f.get<double>(184);
        header.description = f.text(240, 80);
        header.qform_code = f.get<std::int32_t>(344);
        header.sform_code = f.get<std::int32_t>(348);
        for (std::size_t i = 0; i < 3; ++i) {
            header.quatern[i] = f.get<double>(352 + 8 * i);
            header.qoffset[i] = f.get<double>(376 + 8 * i);
            for (std::size_t j = 0; j < 4; ++j)
                header.srow[i][j] = f.get<double>(400 + 32 * i + 8 * j);
        }
        header.xyzt_units = f.get<std::int32_t>(500);
        header.intent_code = f.get<std::int32_t>(504);
        if (offset < 0) {
            throw FormatError(fmt::format("'{}': vox_offset {} is negative", name, offset));
        }
    } else {
        const bool single = has_magic(head, 344, "n+1");
        const bool pair = has_magic(head, 344, "ni1");
        header.kind = single || pair ? Kind::nifti1 : Kind::analyze;
        header.single_file = single;
        header.datatype = f.get<std::int16_t>(70);
        for (std::size_t i = 0; i < 8; ++i) {
            header.dim[i] = f.get<std::int16_t>(40 + 2 * i);
            header.pixdim[i] = f.get<float>(76 + 4 * i);
        }
        vox_offset = f.get<float>(108);
        header.scl_slope = f.get<float>(112);
        header.scl_inter = f.get<float>(116);
        header.cal_max = f.get<float>(124);
        header.cal_min = f.get<float>(128);
        header.glmax = f.get<std::int32_t>(140);
        header.glmin = f.get<std::int32_t>(144);
        header.description = f.text(148, 80);
        if (header.kind == Kind::nifti1) {
            header.intent_code = f.get<std::int16_t>(68);
            header.xyzt_units = std::to_integer<int>(head[123]);
            header.qform_code = f.get<std::int16_t>(252);
            header.sform_code = f.get<std::int16_t>(254);
            for (std::size_t i = 0; i < 3; ++i) {
                header.quatern[i] = f.get<float>(256 + 4 * i);
                header.qoffset[i] = f.get<float>(268 + 4 * i);
                for (std::size_t j = 0; j < 4; ++j)
                    header.srow[i][j] = f.get<float>(280 + 16 * i + 4 * j);
            }
        } else {
            header.vox_units = f.text(56, 4);
            // SPM's origin: int16[5] in the 10-byte 'originator' field at 253 (unaligned).
            for (std::size_t i = 0; i < 3; ++i)
                header.origin[i] = f.get<std::int16_t>(253 + 2 * i);
        }
        if (!std::isfinite(vox_offset) || vox_offset < 0.0 || vox_offset > 0x1p62) {
            throw FormatError(fmt::format("'{}': vox_offset {} is invalid", name, vox_offset));
        }
        header.vox_offset = std::int64_t(vox_offset);  // nibabel: int(vox_offset)
    }
    header.qform_code = valid_xform_code(header.qform_code);
    header.sform_code = valid_xform_code(header.sform_code);
    fix_pixdim(header);

    if (header.single_file) {
        // 0 means "unset"; a single file's voxels cannot start inside its header.
        const std::int64_t minimum = header.kind == Kind::nifti2 ? 544 : 352;
        if (header.vox_offset == 0) header.vox_offset = minimum;
        if (header.vox_offset < minimum) {
            throw FormatError(fmt::format("'{}': vox_offset {} is inside the {}-byte header", name,
                                          header.vox_offset, minimum));
        }
    }
    const std::int64_t ndim = header.dim[0];
    if (ndim < 1 || ndim > 7) {
        throw FormatError(
            fmt::format("'{}': dim[0] is {}, expected 1 to 7 dimensions", name, ndim));
    }
    for (std::int64_t i = 1; i <= ndim; ++i) {
        const std::int64_t extent = header.dim[std::size_t(i)];
        if (extent < 1) {
            throw FormatError(
                fmt::format("'{}': dim[{}] is {}, expected a positive size", name, i, extent));
        }
        if (extent > kMaxExtent) {
            throw FormatError(fmt::format("'{}': dim[{}] is {}, too large", name, i, extent));
        }
    }
    for (std::int64_t i = 6; i <= ndim; ++i) {
        if (header.dim[std::size_t(i)] > 1) {
            throw FormatError(
                fmt::format("'{}': dim[{}] is {}: 6- and 7-dimensional data are not supported",
                            name, i, header.dim[std::size_t(i)]));
        }
    }
    return header;
}

namespace {

// nibabel.volumeutils.shape_zoom_affine: pixdim diagonal, x flipped, origin at the centre.
// The zooms stay float32 for NIfTI-1 (exact in double); the translations are float64.
Affine base_affine(const Header& header) {
    const std::int64_t ndim = header.dim[0];
    Affine affine{};
    at(affine, 3, 3) = 1.0;
    for (int axis = 0; axis < 3; ++axis) {
        const bool present = axis < ndim;
        double zoom = present ? header.pixdim[std::size_t(axis + 1)] : 1.0;
        const double extent = present ? double(header.dim[std::size_t(axis + 1)]) : 1.0;
        if (axis == 0) zoom = -zoom;
        const double centre = (extent - 1.0) / 2.0;
        at(affine, axis, axis) = zoom;
        at(affine, axis, 3) = -centre * zoom;
    }
    return affine;
}

// nibabel.spm99analyze.Spm99AnalyzeHeader.get_origin_affine, with numpy's int16 arithmetic.
Affine origin_affine(const Header& header) {
    Affine affine{};
    at(affine, 3, 3) = 1.0;
    std::array<std::int16_t, 3> dims{};
    for (std::size_t i = 0; i < 3; ++i)
        dims[i] = std::int16_t(header.dim[i + 1]);
    bool any = false, inside = true;
    for (std::size_t i = 0; i < 3; ++i) {
        const std::int16_t origin = header.origin[i];
        any = any || origin != 0;
        const auto minus_dim = std::int16_t(-dims[i]);
        const auto twice_dim = std::int16_t(dims[i] * 2);
        inside = inside && origin > minus_dim && origin < twice_dim;
    }
    const bool use_origin = any && inside;
    for (int axis = 0; axis < 3; ++axis) {
        const auto i = std::size_t(axis);
        float zoom = float(header.pixdim[i + 1]);
        if (axis == 0) zoom = -zoom;
        at(affine, axis, axis) = zoom;
        if (use_origin) {
            // int16 times float32 is float32 in numpy.
            const auto origin = std::int16_t(header.origin[i] - 1);
            at(affine, axis, 3) = double(float(-origin) * zoom);
        } else {
            const double centre = (double(dims[i]) - 1.0) / 2.0;
            at(affine, axis, 3) = -centre * double(zoom);
        }
    }
    return affine;
}

// nibabel Nifti1Header.get_qform: fillpositive and quat2mat run in numpy's longdouble
// (x87 extended on x86-64, as C++'s long double), then the matrix is rounded to float64.
Affine qform_affine(const Header& header, const std::string& name) {
    using Real = long double;
    const Real x = header.quatern[0], y = header.quatern[1], z = header.quatern[2];
    const Real w2 = 1.0L - (((0.0L + x * x) + y * y) + z * z);
    const Real threshold = header.kind == Kind::nifti2
                               ? -Real(std::numeric_limits<double>::epsilon()) * 3
                               : -Real(std::numeric_limits<float>::epsilon()) * 3;
    Real w = 0.0L;
    if (w2 < 0.0L) {
        if (w2 < threshold) {
            throw FormatError(fmt::format(
                "'{}': invalid qform quaternion ({}, {}, {}): its squared norm exceeds 1", name,
                header.quatern[0], header.quatern[1], header.quatern[2]));
        }
    } else {
        w = std::sqrt(w2);
    }
    std::array<std::array<Real, 3>, 3> rotation{};
    const Real norm = w * w + x * x + y * y + z * z;
    if (norm < Real(std::numeric_limits<double>::epsilon())) {
        rotation = {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
    } else {
        const Real s = 2.0L / norm;
        const Real X = x * s, Y = y * s, Z = z * s;
        const Real wX = w * X, wY = w * Y, wZ = w * Z;
        const Real xX = x * X, xY = x * Y, xZ = x * Z;
        const Real yY = y * Y, yZ = y * Z, zZ = z * Z;
        rotation = {{{1.0L - (yY + zZ), xY - wZ, xZ + wY},
                     {xY + wZ, 1.0L - (xX + zZ), yZ - wX},
                     {xZ - wY, yZ + wX, 1.0L - (xX + yY)}}};
    }
    std::array<Real, 3> zooms{Real(header.pixdim[1]), Real(header.pixdim[2]),
                              Real(header.pixdim[3])};
    zooms[2] *= Real(header.pixdim[0]);  // qfac
    Affine affine{};
    for (int row = 0; row < 3; ++row) {
        for (int column = 0; column < 3; ++column) {
            at(affine, row, column) = double(rotation[std::size_t(row)][std::size_t(column)] *
                                             zooms[std::size_t(column)]);
        }
        at(affine, row, 3) = header.qoffset[std::size_t(row)];
    }
    at(affine, 3, 3) = 1.0;
    return affine;
}

Affine sform_affine(const Header& header) {
    Affine affine{};
    for (int row = 0; row < 3; ++row) {
        for (int column = 0; column < 4; ++column)
            at(affine, row, column) = header.srow[std::size_t(row)][std::size_t(column)];
    }
    at(affine, 3, 3) = 1.0;
    return affine;
}

}  // namespace

Affine best_affine(const Header& header, const std::string& name, std::string& which) {
    if (header.kind == Kind::analyze) {
        which = "origin";
        return origin_affine(header);
    }
    if (header.sform_code != 0) {
        which = "sform";
        return sform_affine(header);
    }
    if (header.qform_code != 0) {
        which = "qform";
        return qform_affine(header, name);
    }
    which = "base";
    return base_affine(header);
}

std::array<double, 9> polar_factor(const std::array<double, 9>& matrix) {
    // One-sided Jacobi (Hestenes): rotate the columns of U = A until they are orthogonal;
    // then A = U V^T with U's column norms the singular values.
    std::array<double, 9> u = matrix;
    std::array<double, 9> v{1, 0, 0, 0, 1, 0, 0, 0, 1};
    auto el = [](std::array<double, 9>& m, int row, int column) -> double& {
        return m[std::size_t(row * 3 + column)];
    };
    constexpr double kEps = std::numeric_limits<double>::epsilon();
    for (int sweep = 0; sweep < 60; ++sweep) {
        bool rotated = false;
        for (int p = 0; p < 2; ++p) {
            for (int q = p + 1; q < 3; ++q) {
                double alpha = 0, beta = 0, gamma = 0;
                for (int i = 0; i < 3; ++i) {
                    alpha += el(u, i, p) * el(u, i, p);
                    beta += el(u, i, q) * el(u, i, q);
                    gamma += el(u, i, p) * el(u, i, q);
                }
                if (!(std::abs(gamma) > kEps * std::sqrt(alpha * beta))) continue;
                rotated = true;
                const double zeta = (beta - alpha) / (2.0 * gamma);
                const double t =
                    std::copysign(1.0, zeta) / (std::abs(zeta) + std::sqrt(1.0 + zeta * zeta));
                const double c = 1.0 / std::sqrt(1.0 + t * t);
                const double s = c * t;
                for (int i = 0; i < 3; ++i) {
                    const double up = el(u, i, p), uq = el(u, i, q);
                    el(u, i, p) = c * up - s * uq;
                    el(u, i, q) = s * up + c * uq;
                    const double vp = el(v, i, p), vq = el(v, i, q);
                    el(v, i, p) = c * vp - s * vq;
                    el(v, i, q) = s * vp + c * vq;
                }
            }
        }
        if (!rotated) break;
    }
    std::array<double, 3> sigma{};
    for (int k = 0; k < 3; ++k) {
        double sum = 0;
        for (int i = 0; i < 3; ++i)
            sum += el(u, i, k) * el(u, i, k);
        sigma[std::size_t(k)] = std::sqrt(sum);
    }
    const double largest = *std::max_element(sigma.begin(), sigma.end());
    const double tolerance = largest * 3 * kEps;
    std::array<double, 9> result{};
    for (int k = 0; k < 3; ++k) {
        if (!(sigma[std::size_t(k)] > tolerance)) continue;
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j)
                el(result, i, j) += el(u, i, k) / sigma[std::size_t(k)] * el(v, j, k);
        }
    }
    return result;
}

std::optional<Orientation> io_orientation(const Affine& affine) {
    // nibabel.orientations.io_orientation: normalise the columns, take the closest orthogonal
    // matrix, then give each input axis the output axis it moves most along.
    std::array<double, 9> rs{};
    for (int column = 0; column < 3; ++column) {
        double sum = 0;
        for (int row = 0; row < 3; ++row)
            sum += at(affine, row, column) * at(affine, row, column);
        double zoom = std::sqrt(sum);
        if (zoom == 0.0) zoom = 1.0;
        for (int row = 0; row < 3; ++row)
            rs[std::size_t(row * 3 + column)] = at(affine, row, column) / zoom;
    }
    for (double value : rs) {
        if (!std::isfinite(value)) return std::nullopt;
    }
    std::array<double, 9> r = polar_factor(rs);
    Orientation orientation;
    for (int in_axis = 0; in_axis < 3; ++in_axis) {
        int out_axis = 0;
        bool all_zero = true;
        for (int row = 0; row < 3; ++row) {
            const double value = std::abs(r[std::size_t(row * 3 + in_axis)]);
            if (value > 1e-8) all_zero = false;  // numpy.allclose(col, 0)
            if (value > std::abs(r[std::size_t(out_axis * 3 + in_axis)])) out_axis = row;
        }
        if (all_zero) return std::nullopt;
        orientation.axis[std::size_t(in_axis)] = out_axis;
        orientation.flip[std::size_t(in_axis)] =
            r[std::size_t(out_axis * 3 + in_axis)] < 0 ? -1 : 1;
        for (int column = 0; column < 3; ++column)
            r[std::size_t(out_axis * 3 + column)] = 0.0;
    }
    return orientation;
}

}  // namespace vox::io::nifti
