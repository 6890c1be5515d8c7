// The format registry: picks a reader by content first and extension second, and a writer
// by extension; expands folders and globs of slices.
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "format.h"
#include "vox/samples.h"

namespace vox::io {
namespace {

constexpr std::int64_t kSniffBytes = 1024;

bool is_directory(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool is_glob(std::string_view path) {
    return path.find_first_of("*?[") != std::string_view::npos &&
           path.find("::") == std::string_view::npos;
}

// Files people have that voxscope does not read, recognised so that the error says what
// the file is and how to get it into a format voxscope reads.
enum class Remedy : std::uint8_t { tiff_slices, nifti, ome_tiff, hdf5, not_an_image };

struct ForeignFormat {
    std::string_view what;   // "a PNG image"
    std::string_view magic;  // its first bytes, or empty when it has none worth trusting
    std::array<std::string_view, 3> extensions;  // lower case
    Remedy remedy;
};

using namespace std::string_view_literals;
constexpr std::array kForeignFormats = {
    ForeignFormat{"a PNG image", "\x89PNG\r\n\x1a\n"sv, {".png"}, Remedy::tiff_slices},
    ForeignFormat{"a JPEG image", "\xff\xd8\xff"sv, {".jpg", ".jpeg"}, Remedy::tiff_slices},
    ForeignFormat{"a GIF image", "GIF8"sv, {".gif"}, Remedy::tiff_slices},
    ForeignFormat{"a BMP image", ""sv, {".bmp"}, Remedy::tiff_slices},
    ForeignFormat{"a FreeSurfer MGH file", ""sv, {".mgh", ".mgz"}, Remedy::nifti},
    ForeignFormat{"a MINC file", ""sv, {".mnc"}, Remedy::nifti},
    ForeignFormat{"a Philips PAR/REC file", ""sv, {".par", ".rec"}, Remedy::nifti},
    ForeignFormat{"an AFNI file", ""sv, {".head", ".brik", ".brik.gz"}, Remedy::nifti},
    ForeignFormat{"an ECAT file", "MATRIX"sv, {".v"}, Remedy::nifti},
    ForeignFormat{"a Zeiss CZI file", "ZISRAWFILE"sv, {".czi"}, Remedy::ome_tiff},
    ForeignFormat{"a Leica LIF file", ""sv, {".lif"}, Remedy::ome_tiff},
    ForeignFormat{"a Nikon ND2 file", ""sv, {".nd2"}, Remedy::ome_tiff},
    ForeignFormat{"an Olympus file", ""sv, {".oib", ".oif", ".oir"}, Remedy::ome_tiff},
    ForeignFormat{"an Imaris file", ""sv, {".ims"}, Remedy::ome_tiff},
    ForeignFormat{"a TrackVis file", "TRACK"sv, {".trk"}, Remedy::not_an_image},
    ForeignFormat{"an MRtrix tracks file", "mrtrix tracks"sv, {".tck"}, Remedy::not_an_image},
    ForeignFormat{"an HDF5 file", "\x89HDF\r\n\x1a\n"sv, {".h5", ".hdf5", ".hdf"}, Remedy::hdf5},
};

// The foreign format of a file, by name first (an Imaris file is HDF5 inside) and then by
// its first bytes.
const ForeignFormat* find_foreign(std::string_view path, std::span<const std::byte> head) {
    const std::string name = file_name_of(path);  // lower case
    for (const ForeignFormat& format : kForeignFormats) {
        for (std::string_view extension : format.extensions) {
            if (!extension.empty() && name.ends_with(extension)) return &format;
        }
    }
    for (const ForeignFormat& format : kForeignFormats) {
        if (!format.magic.empty() && head.size() >= format.magic.size() &&
            std::memcmp(head.data(), format.magic.data(), format.magic.size()) == 0)
            return &format;
    }
    return nullptr;
}

// What to do with a file of `format`, named `path` by the user.
std::string remedy_for(const ForeignFormat& format, std::string_view path) {
    const std::string name = file_name_of(path);  // lower case
    switch (format.remedy) {
        case Remedy::tiff_slices: {
            const std::size_t dot = name.rfind('.');
            return fmt::format(
                "voxscope reads 2D slices as TIFF (a folder or glob of them is one volume); "
                "convert the images first, e.g. with ImageMagick: mogrify -format tif *{}",
                dot == std::string::npos ? std::string_view(".png")
                                         : std::string_view(name).substr(dot));
        }
        case Remedy::nifti:
            return fmt::format(
                "convert it to NIfTI first, e.g. with nibabel: nibabel.save(nibabel.Nifti1Image."
                "from_image(nibabel.load('{}')), 'out.nii.gz')",
                path);
        case Remedy::ome_tiff:
            return fmt::format(
                "export it as OME-TIFF first, with Fiji (Bio-Formats) or bfconvert {} out.ome.tif",
                path);
        case Remedy::hdf5:
            return fmt::format(
                "save the dataset as .npy or TIFF first, e.g. with h5py: "
                "numpy.save('out.npy', h5py.File('{}')['DATASET'][...])",
                path);
        case Remedy::not_an_image:
            return "it holds streamlines (tractography), not an image";
    }
    return "";
}

// Whether a file in a folder of slices can be one: TIFF or DICOM by name, or a name DICOM
// exports use (no extension, or digits after the last dot, as in UIDs). Notes, figures and
// spreadsheets beside the slices are skipped.
bool may_be_slice(const std::filesystem::path& file) {
    const std::string name = file.filename().string();
    if (name.starts_with(".")) return false;
    std::string extension = file.extension().string();
    if (extension.empty()) return true;
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (std::all_of(extension.begin() + 1, extension.end(),
                    [](unsigned char c) { return std::isdigit(c) != 0; }))
        return true;
    return extension == ".tif" || extension == ".tiff" || extension == ".dcm" ||
           extension == ".dicom" || extension == ".ima";
}

std::vector<std::string> expand(const std::string& path) {
    std::vector<std::string> files;
    if (is_directory(path)) {
        std::int64_t skipped = 0;
        std::string skipped_name;  // the first, in natural order
        for (const auto& entry : std::filesystem::directory_iterator(path)) {
            if (!entry.is_regular_file()) continue;
            const std::string name = entry.path().filename().string();
            if (may_be_slice(entry.path())) {
                files.push_back(entry.path().string());
            } else if (!name.starts_with(".")) {
                ++skipped;
                if (skipped_name.empty() || natural_less(name, skipped_name)) skipped_name = name;
            }
        }
        if (files.empty() && skipped > 0) {
            // A folder of PNG or JPEG slices gets the way to TIFF ones.
            const ForeignFormat* foreign = find_foreign(skipped_name, {});
            const std::string advice = foreign != nullptr && foreign->remedy == Remedy::tiff_slices
                                           ? fmt::format(": {}", remedy_for(*foreign, skipped_name))
                                           : "";
            throw IoError(
                fmt::format("cannot read '{}': no TIFF or DICOM slices in the folder "
                            "({} other file{}, such as '{}'){}",
                            path, skipped, skipped == 1 ? "" : "s", skipped_name, advice));
        }
    } else {
        glob_t matches{};
        if (::glob(path.c_str(), 0, nullptr, &matches) == 0) {
            for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
                if (!is_directory(matches.gl_pathv[i])) files.emplace_back(matches.gl_pathv[i]);
            }
        }
        ::globfree(&matches);
    }
    std::sort(files.begin(), files.end(), natural_less);
    if (files.empty()) throw IoError(fmt::format("cannot read '{}': no files found", path));
    return files;
}

// A local file header first, or the end-of-directory record of an archive with no files.
bool is_zip(std::span<const std::byte> head) {
    return head.size() >= 4 && (std::memcmp(head.data(), "PK\x03\x04", 4) == 0 ||
                                std::memcmp(head.data(), "PK\x05\x06", 4) == 0);
}

[[noreturn]] void throw_zip_needs_member(const Source& source) {
    const std::vector<std::string> members =
        source.file_path().empty() ? std::vector<std::string>() : zip_members(source.file_path());
    const std::size_t shown = std::min<std::size_t>(members.size(), 5);
    std::vector<std::string> examples;
    for (std::size_t i = 0; i < shown; ++i)
        examples.push_back("'" + source.name() + "::" + members[i] + "'");
    if (examples.empty() && !source.file_path().empty()) {
        throw FormatError(fmt::format("'{}' is a zip archive with no files in it", source.name()));
    }
    if (examples.empty()) examples.push_back("'" + source.name() + "::folder/file.nii'");
    const std::string more =
        members.size() > shown ? fmt::format(" ({} more)", members.size() - shown) : "";
    throw FormatError(fmt::format("'{}' is a zip archive: name a file inside it, as {}{}",
                                  source.name(), fmt::join(examples, ", "), more));
}

const Format* find_by_content(std::span<const std::byte> head) {
    for (const Format* format : all_formats()) {
        if (format->sniff != nullptr && format->sniff(head)) return format;
    }
    return nullptr;
}

const Format* find_by_extension(std::string_view path) {
    const Format* best = nullptr;
    std::size_t best_length = 0;
    for (const Format* format : all_formats()) {
        for (std::string_view extension : format->extensions) {
            if (has_extension(path, extension) && extension.size() > best_length) {
                best = format;
                best_length = extension.size();
            }
        }
    }
    return best;
}

std::string known_extensions() {
    std::vector<std::string> extensions;
    for (const Format* format : all_formats()) {
        for (std::string_view extension : format->extensions)
            extensions.emplace_back(extension);
    }
    return fmt::format("{}", fmt::join(extensions, " "));
}

// Refuses the read options a reader of `kind` ("a NumPy file") cannot honour: ignored, a
// time point 3 would show time point 0 as if it were 3.
void check_options_apply(std::string_view name, std::string_view kind, const ReadOptions& options,
                         bool time_point, bool time_as_channels, bool canonical) {
    if (options.time_point != 0 && !time_point) {
        throw ValueError(fmt::format("'{}': time point {} is out of range: {} has one time point",
                                     name, options.time_point, kind));
    }
    if (options.time_as_channels && !time_as_channels) {
        throw ValueError(
            fmt::format("'{}': {} has no time axis to read as channels (NIfTI, "
                        "Analyze, NRRD and MetaImage files can have one)",
                        name, kind));
    }
    if (options.canonical && !canonical) {
        throw ValueError(fmt::format(
            "'{}': canonical reorientation is for NIfTI and Analyze files, not {}", name, kind));
    }
}

void check_options_apply(std::string_view name, std::string_view kind, const ReadOptions& options) {
    check_options_apply(name, kind, options, false, false, false);
}

// "a NIfTI", "an NRRD", "an Analyze 7.5": format names are read letter by letter or as words.
std::string with_article(std::string_view name) {
    const bool vowel_sound =
        name == "NRRD" ||
        (!name.empty() && std::string_view("AEIOU").find(name[0]) != std::string_view::npos);
    return fmt::format("{} {}", vowel_sound ? "an" : "a", name);
}

Volume read_file(const Source& opened, const ReadOptions& options) {
    if (options.raw) {
        // A file whose name and first bytes both say it is a known format is not raw data:
        // its header would be read as voxels. (Either alone may be chance.)
        const Format* by_name = find_by_extension(opened.name());
        if (by_name != nullptr && by_name == find_by_content(opened.head(kSniffBytes))) {
            throw ValueError(
                fmt::format("'{}' is {} file: the raw layout (--shape, --dtype) "
                            "is for raw binary only; leave it out",
                            opened.name(), with_article(by_name->name)));
        }
        check_options_apply(opened.name(), "raw data", options);
        return read_raw(opened, *options.raw);
    }
    Source source = opened;
    std::vector<std::byte> head = source.head(kSniffBytes);
    if (is_zip(head)) throw_zip_needs_member(source);
    const bool gzipped = is_gzip(head);
    // A gzip file (.nii.gz, .img.gz) is recognised by what it holds.
    if (gzipped) head = gunzip_head(source, kSniffBytes);
    const Format* format = find_by_content(head);
    if (format == nullptr) format = find_by_extension(source.name());
    if (format == nullptr || format->read == nullptr) {
        if (const ForeignFormat* foreign = find_foreign(source.name(), head)) {
            throw FormatError(
                fmt::format("cannot read '{}': it is {}, which voxscope does not "
                            "read; {}",
                            source.name(), foreign->what, remedy_for(*foreign, source.name())));
        }
        throw FormatError(
            fmt::format("cannot read '{}': unrecognised format (known: {}; for raw binary give "
                        "--shape and --dtype)",
                        source.name(), known_extensions()));
    }
    check_options_apply(source.name(), fmt::format("{} file", with_article(format->name)), options,
                        format->honours_time_point, format->honours_time_as_channels,
                        format->honours_canonical);
    // Gzip streams and zip members are inflated in memory, only as far as the header says
    // the read needs.
    const std::int64_t needed =
        format->bytes_needed == nullptr
            ? -1
            : format->bytes_needed(Source::from_memory(source.name(), head, &source), options);
    source = gzipped ? gunzip(source, needed) : source.prefix(needed);
    return format->read(source, options);
}

}  // namespace

bool natural_less(std::string_view a, std::string_view b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (std::isdigit(static_cast<unsigned char>(a[i])) &&
            std::isdigit(static_cast<unsigned char>(b[j]))) {
            std::size_t end_a = i, end_b = j;
            while (end_a < a.size() && std::isdigit(static_cast<unsigned char>(a[end_a])))
                ++end_a;
            while (end_b < b.size() && std::isdigit(static_cast<unsigned char>(b[end_b])))
                ++end_b;
            // Compare digit runs by value: strip leading zeros, then by length, then by digits.
            std::string_view run_a = a.substr(i, end_a - i), run_b = b.substr(j, end_b - j);
            while (run_a.size() > 1 && run_a[0] == '0')
                run_a.remove_prefix(1);
            while (run_b.size() > 1 && run_b[0] == '0')
                run_b.remove_prefix(1);
            if (run_a.size() != run_b.size()) return run_a.size() < run_b.size();
            if (run_a != run_b) return run_a < run_b;
            i = end_a;
            j = end_b;
        } else {
            if (a[i] != b[j]) return a[i] < b[j];
            ++i;
            ++j;
        }
    }
    if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
    return a < b;  // equal by value ("z01" and "z1"): keep a strict order
}

std::span<const Format* const> all_formats() {
    // Sniffing order: the strongest magic first. DICOM comes before TIFF because a DICOM
    // file's 128-byte preamble may itself hold a TIFF header (dual-personality files).
    static const std::array<const Format*, 8> formats = {
        &nifti_format(), &dicom_format(),     &ome_tiff_format(), &tiff_format(),
        &nrrd_format(),  &metaimage_format(), &npy_format(),      &analyze_format()};
    return formats;
}

}  // namespace vox::io

namespace vox {

Volume open_volume(std::string_view path, const ReadOptions& options) {
    if (is_sample_path(path)) {
        io::check_options_apply(path, "a sample", options);
        return make_sample(path);
    }
    const std::string text(path);
    if (text.empty()) throw ValueError("empty path");
    if (io::is_glob(text) || io::is_directory(text)) {
        const std::vector<std::string> files = io::expand(text);
        // A series may sort after a stray file (README before a0.dcm): look at a few.
        for (std::size_t i = 0; i < std::min<std::size_t>(files.size(), 8); ++i) {
            const std::vector<std::byte> head = io::Source::open(files[i]).head(io::kSniffBytes);
            if (io::dicom_format().sniff != nullptr && io::dicom_format().sniff(head)) {
                io::check_options_apply(text, "a DICOM series", options);
                return io::read_dicom_series(files, options);
            }
        }
        if (files.size() == 1) return io::read_file(io::Source::open(files.front()), options);
        // "slices/*.png": say what the slices are, not that they are broken TIFFs.
        const std::vector<std::byte> head = io::Source::open(files.front()).head(io::kSniffBytes);
        const io::ForeignFormat* foreign = io::find_foreign(files.front(), head);
        if (io::find_by_content(head) == nullptr && foreign != nullptr) {
            throw FormatError(fmt::format("cannot read '{}': its slices are {}s such as '{}'; {}",
                                          text, foreign->what.substr(foreign->what.find(' ') + 1),
                                          files.front(), io::remedy_for(*foreign, files.front())));
        }
        io::check_options_apply(text, "a stack of slices", options);
        return io::read_tiff_slices(files, options);
    }
    return io::read_file(io::Source::open(text), options);
}

namespace {

const io::Format& writer_for(std::string_view path) {
    if (path.find("::") != std::string_view::npos) {
        throw ValueError(
            fmt::format("cannot write '{}': writing into a zip archive is not "
                        "supported; write a file and zip it",
                        path));
    }
    const io::Format* format = io::find_by_extension(path);
    if (format == nullptr || format->write == nullptr) {
        std::vector<std::string> writable;
        for (const io::Format* candidate : io::all_formats()) {
            if (candidate->write == nullptr) continue;
            for (std::string_view extension : candidate->extensions)
                writable.emplace_back(extension);
        }
        throw ValueError(fmt::format("cannot write '{}': unknown extension (writable: {})", path,
                                     fmt::join(writable, " ")));
    }
    return *format;
}

}  // namespace

std::vector<std::string> files_written(std::string_view path, const WriteOptions& options) {
    const io::Format& format = writer_for(path);
    std::vector<std::string> files{std::string(path)};
    if (format.data_file != nullptr) {
        std::string data = format.data_file(std::string(path), options);
        if (!data.empty()) files.push_back(std::move(data));
    }
    return files;
}

void write_volume(const Volume& volume, std::string_view path, const WriteOptions& options) {
    const io::Format& format = writer_for(path);
    if (volume.empty())
        throw ValueError(fmt::format("cannot write '{}': the volume is empty", path));
    format.write(volume, std::string(path), options);
}

std::vector<FormatInfo> format_catalog() {
    std::vector<FormatInfo> catalog;
    for (const io::Format* format : io::all_formats()) {
        FormatInfo info{
            std::string(format->name), {}, format->read != nullptr, format->write != nullptr};
        for (std::string_view extension : format->extensions)
            info.extensions.emplace_back(extension);
        catalog.push_back(std::move(info));
    }
    return catalog;
}

}  // namespace vox
