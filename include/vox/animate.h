// voxscope: animations, frames streamed to animated GIF (giflib), animated WebP
// (libwebp's WebPAnimEncoder) or MP4 (an ffmpeg process, when ffmpeg is installed).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vox/display.h"
#include "vox/pipeline.h"
#include "vox/volume.h"

namespace vox {

/// The animation formats AnimationWriter writes.
enum class AnimationFormat : std::uint8_t { gif, webp, mp4 };

/// The format of an animation path by its extension (.gif, .webp, .mp4; any case), so that
/// commands can refuse a bad output before any work. Does not check that ffmpeg exists.
/// @throw ValueError for another extension ("cannot write an animation to 'a.png': use
/// .gif, .webp or .mp4").
AnimationFormat animation_format(const std::string& path);

/// How frames are timed and encoded.
struct AnimationOptions {
    /// Time each frame is shown, in milliseconds, in [10, 655350] (GIF stores hundredths of
    /// a second, so GIF rounds it to a multiple of 10 ms; MP4 uses 1000 / delay frames per
    /// second).
    int delay_ms = 100;
    /// WebP only: lossless (exact colours) when true, else lossy with `quality`.
    bool lossless = true;
    /// WebP only: lossy quality in [0, 100].
    float quality = 90.0F;
};

/// Writes an animation frame by frame; every animation loops forever.
///
/// - GIF: each frame is quantised to its own 256-colour palette and LZW-encoded; frames
///   are encoded in small batches (two per core) on all cores and written in order, so a
///   bounded window of frames is in memory, never the whole animation. A frame with at most 256
///   distinct colours (any gray frame, one channel through a colormap, solid colours) gets exactly
///   those (lossless); any other frame gets a median-cut palette (Heckbert 1982) of its
///   own colours on a 5-bit-per-component histogram (no dithering). Alpha is ignored (GIF frames
///   are opaque).
/// - WebP: libwebp's WebPAnimEncoder, which keeps the encoded frames (not the pixels) in
///   memory. Like every WebPAnimEncoder it merges a frame identical to the previous one
///   into it (one frame shown twice as long), so the frame count can be lower than the
///   number of add_frame() calls.
/// - MP4: raw RGBA frames are piped to `ffmpeg` (H.264, yuv420p, sizes padded to even).
///
/// The file appears atomically at finish(); destroying the writer before finish() (an
/// exception) leaves `path` untouched. Not thread-safe; movable, not copyable.
class AnimationWriter {
public:
    /// Opens an animation at `path`, its format chosen by animation_format().
    /// @throw ValueError for a bad extension or options, or for .mp4 without ffmpeg
    /// ("writing .mp4 needs ffmpeg, which is not installed (apt-get install ffmpeg); write
    /// .gif or .webp instead"); IoError if the temporary file cannot be created.
    explicit AnimationWriter(std::string path, AnimationOptions options = {});
    ~AnimationWriter();
    AnimationWriter(AnimationWriter&&) noexcept;
    AnimationWriter& operator=(AnimationWriter&&) noexcept;
    AnimationWriter(const AnimationWriter&) = delete;
    AnimationWriter& operator=(const AnimationWriter&) = delete;

    /// Encodes the next frame. The first frame sets the animation's size; every other
    /// frame must have the same.
    /// @throw ValueError if the frame is empty, larger than 65535 pixels in a dimension,
    /// of another size than the first ("frame 2 is 4x3 pixels but the animation is 4x4"),
    /// or the writer is finished; IoError if writing fails.
    void add_frame(const Image& frame);

    /// Writes the end of the animation and renames it to `path`.
    /// @throw ValueError if no frame was added or the writer is already finished; IoError
    /// if writing fails (ffmpeg's exit status for MP4).
    void finish();

    /// Frames added so far.
    std::int64_t frame_count() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// How animate_axis() and animate_versions() step and draw.
struct AnimateOptions {
    /// Every Nth plane: 0, N, 2N, ... (N >= 1).
    std::int64_t step = 1;
    /// Integer zoom: frame pixels per finest voxel of the plane (>= 1).
    int zoom = 1;
    /// Draw each frame's label at its top-left with draw_image_label() (render.h):
    /// animate_axis() the plane's title ("Plane = 12"), animate_versions() the version's
    /// label. A label keeps gray frames gray, so their GIF palette stays exact; coloured
    /// frames can exceed 256 colours with it and then get a median-cut palette.
    bool label = false;
    /// Label font size in frame pixels.
    double label_font_px = 12.0;
    AnimationOptions animation;
};

/// The size in pixels (width, height) of a frame of animate_axis(): the plane drawn in
/// physical proportions, the finer of its two spacings taking `zoom` pixels per voxel and
/// the coarser its ratio to it times `zoom` (rounded, at least 1 pixel per voxel).
/// @throw ValueError if zoom < 1.
std::array<std::int64_t, 2> animation_frame_size(const Volume& volume, Axis axis, int zoom);

/// Steps through the planes of `volume` along `axis` (every options.step-th, from 0),
/// colours each with `channels` as map_plane() does (resolve them once with
/// resolve_mapping() so that every frame shares one range), scales it to its physical
/// proportions with nearest-neighbour sampling (animation_frame_size()) and writes the
/// frames to `path` (.gif, .webp or .mp4) with AnimationWriter, streaming.
/// @throw ValueError for a bad path, step < 1, zoom < 1, an empty volume or channels that
/// map_plane() refuses; IoError if writing fails.
void animate_axis(const Volume& volume, Axis axis, const std::vector<ResolvedChannel>& channels,
                  const std::string& path, const AnimateOptions& options = {});

/// One adjusted version of a volume: processing steps applied to the whole volume and the
/// label its frame carries.
struct Version {
    std::string label;
    std::vector<Step> steps;
};

/// Parses versions separated by ';', each a space-separated list of command-line steps
/// (parse_steps_cli(): "gamma:0.5;gamma:1;clip:1,99 gamma:2"), labelled by their text, and
/// checks every step with validate_steps().
/// @throw ValueError for no versions, an empty version ("version 2 is empty") or a bad
/// step ("version 2 (gamma:-1): step 1 (gamma): ...").
std::vector<Version> parse_versions(const std::string& text);

/// Parses a sweep of one numeric parameter of one operation of operation_catalog():
/// "OP=START:STOP:COUNT" sweeps the op's first parameter, "OP.PARAM=START:STOP:COUNT" a
/// named one, over COUNT values evenly spaced from START to STOP inclusive (numpy's
/// linspace), one single-step version each, labelled "Gamma = 0.5" (the parameter's name
/// capitalised; "Gaussian sigma = 1" when it is not the op's name).
/// @throw ValueError for malformed text ("a sweep is OP=START:STOP:COUNT or
/// OP.PARAM=START:STOP:COUNT, not 'gamma'"), an unknown op or parameter, or COUNT outside
/// [1, 1000]. Values the op refuses (a negative gamma) are only found when the step runs.
std::vector<Version> sweep_versions(const std::string& text);

/// Writes one frame per version: the plane at `index` along `axis` of
/// apply_steps(volume, version.steps), coloured with `mapping` and scaled as
/// animate_axis() does, to `path` (.gif, .webp or .mp4), streaming: only one version's
/// volume is alive next to `volume` at a time. With `shared_range` the mapping is resolved
/// once on `volume` (the original), so every frame shares its display range and a gamma
/// shows as a change in brightness; otherwise it is resolved on each version (each frame
/// its own range). options.step is unused.
/// @throw ValueError for a bad path, no versions, an empty volume, an index out of range
/// ("z index 70 is outside the volume (0 to 59)"), a version that changes the volume's
/// shape ("version 2 (resize:10x10x10) changes the shape to ...; versions must keep it"),
/// a step apply_steps() refuses ("version 1 (Gamma = -1): step 1 (gamma): gamma must be
/// non-negative, got -1"; no file is written), or a mapping resolve_mapping() refuses; IoError if
/// writing fails.
void animate_versions(const Volume& volume, Axis axis, std::int64_t index,
                      const std::vector<Version>& versions, const DisplayMapping& mapping,
                      bool shared_range, const std::string& path,
                      const AnimateOptions& options = {});

}  // namespace vox
