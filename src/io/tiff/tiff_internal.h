// Internal to src/io/tiff/: libtiff handles over a Source, the ImageJ and OME-XML metadata
// parsers (exposed for the unit tests and fuzz targets), and the reader/writer entry points.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../format.h"

struct tiff;  // libtiff's TIFF

namespace vox::io::tiff {

/// A libtiff handle reading a Source through TIFFClientOpen (files, zip members and memory
/// alike). libtiff's errors and warnings never reach stderr: the first error is kept and
/// returned by error(). Not thread-safe: one handle per thread.
class Handle {
public:
    /// Opens the first IFD. @throw FormatError "'NAME': <libtiff's reason>" if it fails.
    explicit Handle(const Source& source);
    ~Handle();
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    ::tiff* get() const { return m_tiff; }
    /// The first libtiff error since the last clear_error(), without the module prefix
    /// when it is only the file name; "unknown libtiff error" if none was reported.
    std::string error() const;
    void clear_error();
    /// True if libtiff reported an error since the last clear_error().
    bool has_error() const;

    struct State;

private:
    std::unique_ptr<State> m_state;
    ::tiff* m_tiff = nullptr;
};

/// An unsigned TIFF RATIONAL, read raw from an IFD: libtiff returns XResolution as a float,
/// which would not give the same spacing as tifffile.
struct Rational {
    std::uint32_t numerator = 0;
    std::uint32_t denominator = 0;
};

/// The number of entries of the IFD at `ifd_offset`, or nothing if it is not in the file.
std::optional<std::uint64_t> ifd_entry_count(const Source& source, std::uint64_t ifd_offset,
                                             bool big_tiff, bool byte_swapped);

/// Checks that the IFD at `ifd_offset` and the values of the tags the reader uses lie inside
/// the file (libtiff skips a tag whose value is cut off, so a truncated file would read
/// without an error). Returns the problem, or an empty string.
std::string check_ifd(const Source& source, std::uint64_t ifd_offset, bool big_tiff,
                      bool byte_swapped);

/// Where the value of tag `tag` of type `type` is in the IFD at `ifd_offset`, or nothing.
std::optional<std::uint64_t> tag_value_offset(const Source& source, std::uint64_t ifd_offset,
                                              bool big_tiff, bool byte_swapped, std::uint16_t tag,
                                              std::uint16_t type);

/// Reads a RATIONAL tag of the IFD at `ifd_offset` from the Source directly.
/// Returns nothing if the tag is absent or malformed (never throws for bad data).
std::optional<Rational> read_rational_tag(const Source& source, std::uint64_t ifd_offset,
                                          bool big_tiff, bool byte_swapped, std::uint16_t tag);

/// ImageJ's ImageDescription ("ImageJ=1.53c\nimages=30\nslices=30\nunit=micron\n...").
struct ImageJDescription {
    std::string version;
    std::int64_t images = 1;
    std::int64_t channels = 1;
    std::int64_t slices = 1;
    std::int64_t frames = 1;
    bool hyperstack = false;
    /// Page order, lower case: "czt" (ImageJ's default) or another permutation.
    std::string order = "czt";
    /// Unit as written, with "\uXXXX" escapes decoded and micron spellings made "µm".
    std::string unit;
    /// z spacing ("spacing=").
    std::optional<double> spacing;
    /// Every key=value line, values as written.
    std::map<std::string, std::string> entries;
};

/// Parses an ImageJ description. Returns nothing unless the text starts with "ImageJ=".
/// @throw FormatError "'NAME': ImageJ description has ..." for bad counts (zero, negative,
/// non-numeric, or a product that overflows).
std::optional<ImageJDescription> parse_imagej_description(std::string_view text,
                                                          const std::string& name);

/// Normalises a unit: "micron", "microns", "um", "\u00B5m", "\u03BCm" become "µm".
std::string normalize_unit(std::string_view unit);

/// One <TiffData> element: planes starting at (first_z, first_c, first_t), in the image's
/// dimension order, stored in IFDs from `ifd` on.
struct OmeTiffData {
    std::int64_t ifd = 0;
    std::int64_t first_z = 0;
    std::int64_t first_c = 0;
    std::int64_t first_t = 0;
    /// Planes covered; -1: all remaining (no attributes given).
    std::int64_t plane_count = -1;
    /// The UUID's FileName attribute when the planes are in another file.
    std::string file_name;
};

/// The first <Image>'s <Pixels> of an OME-XML document.
struct OmeImage {
    std::int64_t size_x = 0, size_y = 0, size_z = 1, size_c = 1, size_t = 1;
    /// "XYZCT" and the other five permutations.
    std::string dimension_order = "XYZCT";
    std::string type;
    /// Physical sizes along x, y, z and their units ("µm" when the attribute is absent).
    std::array<std::optional<double>, 3> physical_size;
    std::array<std::string, 3> physical_unit{"µm", "µm", "µm"};
    std::vector<std::string> channel_names;
    /// SamplesPerPixel of each <Channel> (1 when absent).
    std::vector<std::int64_t> channel_samples;
    std::vector<OmeTiffData> tiff_data;
};

/// Parses OME-XML with pugixml. @throw FormatError "'NAME': OME-XML ..." when it is not
/// well formed or lacks a valid first Image/Pixels.
OmeImage parse_ome_xml(std::string_view xml, const std::string& name);

/// Index of plane (z, c, t) among size_z * size_c * size_t planes stored in `order`.
std::int64_t ome_plane_index(std::string_view order, std::int64_t z, std::int64_t c, std::int64_t t,
                             std::int64_t size_z, std::int64_t size_c, std::int64_t size_t);

/// Length of `unit` in metres, or nothing for units that are not lengths ("pixel").
std::optional<double> unit_in_metres(std::string_view unit);

/// `value` in `unit` converted to micrometres by an exact power of ten where possible.
double to_micrometres(double value, std::string_view unit);

/// Reads a TIFF, ImageJ hyperstack or OME-TIFF (both Format::read point here).
Volume read_tiff(const Source& source, const ReadOptions& options);
/// Writes an ImageJ hyperstack (u8, u16, f32) or plain TIFF pages (other types).
void write_imagej_tiff(const Volume& volume, const std::string& path, const WriteOptions& options);
/// Writes an OME-TIFF with XYZCT planes.
void write_ome_tiff(const Volume& volume, const std::string& path, const WriteOptions& options);

}  // namespace vox::io::tiff
