// Animations: GIF with giflib (frames quantised and LZW-encoded in batches on all cores), animated
// WebP with libwebp's WebPAnimEncoder, MP4 through an ffmpeg child process.
#include "vox/animate.h"
#include "vox/render.h"

#include <fcntl.h>
#include <gif_lib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include <fmt/format.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "source.h"
#include "vox/error.h"
#include "vox/parallel.h"

extern char** environ;

namespace vox {
namespace {

constexpr std::int64_t kMaxSide = 65535;  // GIF stores sizes in 16 bits

// ---------------------------------------------------------------------------------------
// GIF palettes

// One frame as palette indices and its palette (count a power of two, >= 2).
struct IndexedFrame {
    std::vector<GifPixelType> indices;
    std::vector<GifColorType> palette;
};

// Exact palette when the frame has at most 256 distinct colours (grays, one channel through
// a colormap, solid colours): an open-addressing hash of packed RGB, with a one-entry cache
// for runs. Returns false when a 257th colour appears.
bool index_exactly(const Image& frame, IndexedFrame& out) {
    constexpr std::uint32_t kSlots = 1024;     // load <= 1/4
    std::array<std::uint32_t, kSlots> keys{};  // packed RGB + 1; 0 = empty
    std::array<std::uint8_t, kSlots> values{};
    out.palette.clear();
    const std::int64_t pixels = frame.width * frame.height;
    out.indices.resize(std::size_t(pixels));
    const std::uint8_t* rgba = frame.rgba.data();
    // Grays (the default colormap) skip the hash: a 256-entry table by level, filled from the
    // hash path so that palette order stays first-seen order.
    constexpr std::uint16_t kUnseen = 0xFFFF;
    std::array<std::uint16_t, 256> gray_index;
    gray_index.fill(kUnseen);
    std::uint32_t last_key = 0;
    std::uint8_t last_index = 0;
    for (std::int64_t i = 0; i < pixels; ++i, rgba += 4) {
        const std::uint8_t red = rgba[0];
        if (red == rgba[1] && red == rgba[2] && gray_index[red] != kUnseen) {
            out.indices[std::size_t(i)] = std::uint8_t(gray_index[red]);
            continue;
        }
        const std::uint32_t key =
            ((std::uint32_t(red) << 16) | (std::uint32_t(rgba[1]) << 8) | rgba[2]) + 1;
        if (key != last_key) {
            // Fibonacci hashing (Knuth, TAOCP vol. 3, 6.4).
            std::uint32_t slot = (key * 2654435769U) >> 22;
            while (keys[slot] != 0 && keys[slot] != key)
                slot = (slot + 1) & (kSlots - 1);
            if (keys[slot] == 0) {
                if (out.palette.size() == 256) return false;
                keys[slot] = key;
                values[slot] = std::uint8_t(out.palette.size());
                out.palette.push_back({rgba[0], rgba[1], rgba[2]});
            }
            last_key = key;
            last_index = values[slot];
            if (red == rgba[1] && red == rgba[2]) gray_index[red] = last_index;
        }
        out.indices[std::size_t(i)] = last_index;
    }
    std::size_t count = 2;
    while (count < out.palette.size())
        count *= 2;
    out.palette.resize(count, GifColorType{0, 0, 0});
    return true;
}

// Median cut (P. Heckbert, "Color image quantization for frame buffer display", SIGGRAPH
// 1982) for frames with more than 256 colours, on a histogram of 5 bits per component: boxes
// of histogram cells are split at the pixel-weighted median of their longest side, the box
// with the largest population x side first, until there are 256; each box's entry is the
// mean of its pixels. Scratch buffers live in the quantiser and are reused frame to frame.
class MedianCut {
public:
    void index(const Image& frame, IndexedFrame& out) {
        m_count.assign(kCells, 0);
        m_sum.assign(3 * kCells, 0);
        const std::int64_t pixels = frame.width * frame.height;
        out.indices.resize(std::size_t(pixels));
        const std::uint8_t* rgba = frame.rgba.data();
        for (std::int64_t i = 0; i < pixels; ++i, rgba += 4) {
            const std::uint32_t cell = cell_of(rgba);
            ++m_count[cell];
            m_sum[3 * cell] += rgba[0];
            m_sum[3 * cell + 1] += rgba[1];
            m_sum[3 * cell + 2] += rgba[2];
        }
        m_cells.clear();
        for (std::uint32_t cell = 0; cell < kCells; ++cell) {
            if (m_count[cell] != 0) m_cells.push_back(cell);
        }
        m_boxes.clear();
        m_boxes.push_back(make_box(0, m_cells.size()));
        while (m_boxes.size() < 256) {
            std::size_t best = m_boxes.size();
            std::uint64_t best_score = 0;
            for (std::size_t b = 0; b < m_boxes.size(); ++b) {
                const Box& box = m_boxes[b];
                const std::uint64_t score = box.population * std::uint64_t(box.side());
                if (box.end - box.begin > 1 && score > best_score) {
                    best = b;
                    best_score = score;
                }
            }
            if (best == m_boxes.size()) break;  // every box is one cell
            const Box box = m_boxes[best];
            const int axis = box.longest_axis();
            const auto first = m_cells.begin() + std::ptrdiff_t(box.begin);
            const auto last = m_cells.begin() + std::ptrdiff_t(box.end);
            std::sort(first, last, [axis](std::uint32_t a, std::uint32_t b) {
                return component(a, axis) < component(b, axis);
            });
            // The weighted median, keeping at least one cell on each side.
            std::uint64_t below = 0;
            std::size_t split = box.begin + 1;
            for (std::size_t i = box.begin; i + 1 < box.end; ++i) {
                below += m_count[m_cells[i]];
                split = i + 1;
                if (2 * below >= box.population) break;
            }
            m_boxes[best] = make_box(box.begin, split);
            m_boxes.push_back(make_box(split, box.end));
        }
        out.palette.clear();
        m_lookup.resize(kCells);
        for (const Box& box : m_boxes) {
            std::uint64_t sum[3] = {0, 0, 0};
            for (std::size_t i = box.begin; i < box.end; ++i) {
                const std::uint32_t cell = m_cells[i];
                for (int k = 0; k < 3; ++k)
                    sum[k] += m_sum[3 * cell + std::uint32_t(k)];
                m_lookup[cell] = std::uint8_t(out.palette.size());
            }
            const auto mean = [&](int k) {
                return GifByteType((sum[k] + box.population / 2) / box.population);
            };
            out.palette.push_back({mean(0), mean(1), mean(2)});
        }
        std::size_t count = 2;
        while (count < out.palette.size())
            count *= 2;
        out.palette.resize(count, GifColorType{0, 0, 0});
        rgba = frame.rgba.data();
        for (std::int64_t i = 0; i < pixels; ++i, rgba += 4) {
            out.indices[std::size_t(i)] = m_lookup[cell_of(rgba)];
        }
    }

private:
    static constexpr std::uint32_t kCells = 1U << 15;

    struct Box {
        std::size_t begin = 0;
        std::size_t end = 0;
        std::uint64_t population = 0;
        std::array<std::uint32_t, 3> low{31, 31, 31};
        std::array<std::uint32_t, 3> high{0, 0, 0};
        std::uint32_t side() const {
            return std::max({high[0] - low[0], high[1] - low[1], high[2] - low[2]});
        }
        int longest_axis() const {
            const std::uint32_t longest = side();
            return high[0] - low[0] == longest ? 0 : (high[1] - low[1] == longest ? 1 : 2);
        }
    };

    static std::uint32_t cell_of(const std::uint8_t* rgba) {
        return (std::uint32_t(rgba[0] >> 3) << 10) | (std::uint32_t(rgba[1] >> 3) << 5) |
               std::uint32_t(rgba[2] >> 3);
    }
    static std::uint32_t component(std::uint32_t cell, int axis) {
        return (cell >> (10 - 5 * axis)) & 31U;
    }

    Box make_box(std::size_t begin, std::size_t end) const {
        Box box;
        box.begin = begin;
        box.end = end;
        for (std::size_t i = begin; i < end; ++i) {
            const std::uint32_t cell = m_cells[i];
            box.population += m_count[cell];
            for (int k = 0; k < 3; ++k) {
                box.low[std::size_t(k)] = std::min(box.low[std::size_t(k)], component(cell, k));
                box.high[std::size_t(k)] = std::max(box.high[std::size_t(k)], component(cell, k));
            }
        }
        return box;
    }

    std::vector<std::uint32_t> m_count;
    std::vector<std::uint32_t> m_sum;
    std::vector<std::uint32_t> m_cells;
    std::vector<Box> m_boxes;
    std::vector<std::uint8_t> m_lookup;
};

// ---------------------------------------------------------------------------------------
// Encoders

class Encoder {
public:
    virtual ~Encoder() = default;
    virtual void add(const Image& frame) = 0;
    virtual void finish() = 0;
};

// One frame indexed and LZW-encoded into memory by a giflib encoder of its own, so that
// frames encode on all cores; the file then takes its code blocks in order (EGifPutCode).
struct EncodedGifFrame {
    IndexedFrame indexed;
    // The frame's LZW data sub-blocks (each prefixed with its length), without the
    // zero-length terminator block.
    std::vector<GifByteType> codes;
    MedianCut median_cut;  // a quantiser per slot: slots run in parallel
};

int append_to_buffer(GifFileType* gif, const GifByteType* data, int length) {
    auto* buffer = static_cast<std::vector<GifByteType>*>(gif->UserData);
    buffer->insert(buffer->end(), data, data + length);
    return length;
}

using ColorMapOwner = std::unique_ptr<ColorMapObject, void (*)(ColorMapObject*)>;

ColorMapOwner color_map(const IndexedFrame& frame) {
    ColorMapObject* map = GifMakeMapObject(int(frame.palette.size()), frame.palette.data());
    if (map == nullptr) throw std::bad_alloc();
    return {map, GifFreeMapObject};
}

// giflib's LZW looks codes up in a hash table keyed by (prefix code << 8 | index) with a
// weak hash (gif_hash.h): the nearby indices of a noisy frame's few dozen grays crowd into
// short stretches of the table, and lookups probe for long. Multiplying the indices by an
// odd number (a bijection mod 256) spreads them over all 256: a 60-frame z-sweep of noisy
// 16-bit data encoded 1.9x faster for 3% more bytes (8-bit codes, 768-byte palettes).
// Frames of at most 16 colours keep their short codes.
void spread_palette(IndexedFrame& frame) {
    if (frame.palette.size() <= 16) return;
    constexpr std::uint8_t kSpread = 167;
    std::vector<GifColorType> spread(256, GifColorType{0, 0, 0});
    for (std::size_t index = 0; index < frame.palette.size(); ++index)
        spread[std::uint8_t(index * kSpread)] = frame.palette[index];
    for (GifPixelType& index : frame.indices)
        index = GifPixelType(index * kSpread);
    frame.palette = std::move(spread);
}

void encode_gif_frame(const Image& frame, EncodedGifFrame& out) {
    if (!index_exactly(frame, out.indexed)) out.median_cut.index(frame, out.indexed);
    spread_palette(out.indexed);
    const ColorMapOwner map = color_map(out.indexed);
    std::vector<GifByteType> buffer;
    int error = 0;
    GifFileType* gif = EGifOpen(&buffer, append_to_buffer, &error);
    if (gif == nullptr) throw std::bad_alloc();
    const int width = int(frame.width);
    const int height = int(frame.height);
    bool ok = EGifPutScreenDesc(gif, width, height, 8, 0, nullptr) == GIF_OK &&
              EGifPutImageDesc(gif, 0, 0, width, height, false, map.get()) == GIF_OK;
    // EGifPutImageDesc has written the descriptor, the palette and the LZW code size:
    // the code blocks start here.
    const std::size_t start = buffer.size();
    ok = ok &&
         EGifPutLine(gif, out.indexed.indices.data(), int(out.indexed.indices.size())) == GIF_OK;
    EGifCloseFile(gif, &error);
    // After the blocks come the terminator (0) and the file trailer (';').
    if (!ok || buffer.size() < start + 2 || buffer[buffer.size() - 2] != 0) {
        throw IoError("GIF frame encoding failed");
    }
    out.codes.assign(buffer.begin() + std::ptrdiff_t(start), buffer.end() - 2);
}

class GifEncoder final : public Encoder {
public:
    GifEncoder(const std::string& path, const AnimationOptions& options)
        : m_path(path), m_file(path), m_delay_cs(int(std::lround(options.delay_ms / 10.0))) {
        int error = 0;
        m_gif = EGifOpen(this, &GifEncoder::output, &error);
        if (m_gif == nullptr) {
            throw IoError(fmt::format("cannot write '{}': {}", m_path, GifErrorString(error)));
        }
        EGifSetGifVersion(m_gif, true);  // GIF89a: delays and looping are extensions
    }
    ~GifEncoder() override {
        // A failure left frames encoding: their tasks use this object.
        for (Slot& slot : m_slots) {
            try {
                slot.group->wait();
            } catch (...) {
            }
        }
        if (m_gif != nullptr) EGifCloseFile(m_gif, nullptr);
    }
    GifEncoder(const GifEncoder&) = delete;
    GifEncoder& operator=(const GifEncoder&) = delete;

    // Each frame starts encoding at once, in the background on the pool, while the caller
    // draws the next; frames are written in order once the ring of slots is full.
    void add(const Image& frame) override {
        if (m_slots.empty()) size_ring(frame);
        if (m_submitted - m_written == m_slots.size()) write_oldest();
        Slot& slot = m_slots[m_submitted % m_slots.size()];
        slot.frame = frame;
        slot.group->run([&slot] { encode_gif_frame(slot.frame, slot.encoded); });
        ++m_submitted;
    }

    void finish() override {
        while (m_written < m_submitted)
            write_oldest();
        int error = 0;
        const int status = EGifCloseFile(m_gif, &error);
        m_gif = nullptr;  // freed even on failure
        if (m_error) std::rethrow_exception(m_error);
        if (status != GIF_OK) {
            throw IoError(fmt::format("cannot write '{}': {}", m_path, GifErrorString(error)));
        }
        write_pending();
        m_file.commit();
    }

private:
    // A frame and its encoding; slots are reused, so nothing is allocated per frame once the
    // ring has gone round.
    struct Slot {
        Image frame;
        EncodedGifFrame encoded;
        // Behind a pointer: task_group's destructor may throw, which a destructor that
        // overrides a noexcept one cannot allow (every group is waited for first).
        std::unique_ptr<tbb::task_group> group = std::make_unique<tbb::task_group>();
    };

    // Four frames per core in flight keep every core busy: a 60-frame 256^2 sweep took 30-31
    // ms on two cores, against 35 ms with windows of four frames per core encoded in turn
    // (cores idled while the first window filled and at every window's end). The ring
    // holds at most about 64 MiB of frames, so large frames still stream.
    void size_ring(const Image& frame) {
        constexpr std::int64_t kBudget = std::int64_t(64) << 20;
        const std::int64_t frame_bytes = std::max<std::int64_t>(1, 4 * frame.width * frame.height);
        m_slots.resize(std::size_t(
            std::clamp<std::int64_t>(kBudget / frame_bytes, 2, 4 * std::int64_t(thread_count()))));
    }

    // Waits for the oldest frame in flight and writes it.
    void write_oldest() {
        Slot& slot = m_slots[m_written % m_slots.size()];
        try {
            slot.group->wait();
        } catch (const IoError&) {
            throw IoError(fmt::format("cannot write '{}': GIF frame encoding failed", m_path));
        }
        write_frame(slot.frame, slot.encoded);
        ++m_written;
    }

    void write_frame(const Image& frame, const EncodedGifFrame& encoded) {
        const ColorMapOwner map = color_map(encoded.indexed);
        if (m_first) {
            m_first = false;
            check(EGifPutScreenDesc(m_gif, int(frame.width), int(frame.height), 8, 0, map.get()));
            // Loop forever: the NETSCAPE2.0 application extension, loop count 0.
            static const GifByteType kLoop[3] = {1, 0, 0};
            check(EGifPutExtensionLeader(m_gif, APPLICATION_EXT_FUNC_CODE));
            check(EGifPutExtensionBlock(m_gif, 11, "NETSCAPE2.0"));
            check(EGifPutExtensionBlock(m_gif, 3, kLoop));
            check(EGifPutExtensionTrailer(m_gif));
        }
        GraphicsControlBlock control{};
        control.DisposalMode = DISPOSE_DO_NOT;
        control.UserInputFlag = false;
        control.DelayTime = m_delay_cs;
        control.TransparentColor = NO_TRANSPARENT_COLOR;
        GifByteType extension[4];
        const auto length = EGifGCBToExtension(&control, extension);
        check(EGifPutExtension(m_gif, GRAPHICS_EXT_FUNC_CODE, int(length), extension));
        // Same palette size, so the same LZW code size as the frame's own encoder wrote.
        check(EGifPutImageDesc(m_gif, 0, 0, int(frame.width), int(frame.height), false, map.get()));
        for (std::size_t at = 0; at < encoded.codes.size(); at += encoded.codes[at] + 1U)
            check(EGifPutCodeNext(m_gif, &encoded.codes[at]));
        check(EGifPutCodeNext(m_gif, nullptr));  // the terminator
    }

    static int output(GifFileType* gif, const GifByteType* data, int length) {
        auto* self = static_cast<GifEncoder*>(gif->UserData);
        try {
            // giflib writes a few bytes at a time (255-byte blocks): gather them, so the
            // file sees large writes instead of a system call per block.
            self->m_pending_bytes.insert(self->m_pending_bytes.end(), data, data + length);
            if (self->m_pending_bytes.size() >= kWriteChunk) self->write_pending();
            return length;
        } catch (...) {
            self->m_error = std::current_exception();
            return 0;
        }
    }

    void write_pending() {
        m_file.write(m_pending_bytes.data(), std::int64_t(m_pending_bytes.size()));
        m_pending_bytes.clear();
    }

    void check(int status) {
        if (m_error) std::rethrow_exception(m_error);
        if (status != GIF_OK) {
            throw IoError(
                fmt::format("cannot write '{}': {}", m_path, GifErrorString(m_gif->Error)));
        }
    }

    std::string m_path;
    io::AtomicFile m_file;
    int m_delay_cs;
    GifFileType* m_gif = nullptr;
    bool m_first = true;
    std::vector<Slot> m_slots;  // a ring, sized by the first frame
    std::size_t m_submitted = 0;
    std::size_t m_written = 0;
    static constexpr std::size_t kWriteChunk = std::size_t(1) << 20;
    std::vector<GifByteType> m_pending_bytes;
    std::exception_ptr m_error;
};

class WebpEncoder final : public Encoder {
public:
    WebpEncoder(const std::string& path, const AnimationOptions& options)
        : m_path(path), m_delay_ms(options.delay_ms) {
        if (WebPConfigInit(&m_config) == 0) throw IoError("libwebp: version mismatch");
        m_config.lossless = options.lossless ? 1 : 0;
        m_config.quality = options.lossless ? 25.0F : options.quality;  // lossless: effort
        m_config.method = options.lossless ? 0 : 2;  // fast: animations are often long
    }
    ~WebpEncoder() override {
        if (m_encoder != nullptr) WebPAnimEncoderDelete(m_encoder);
    }
    WebpEncoder(const WebpEncoder&) = delete;
    WebpEncoder& operator=(const WebpEncoder&) = delete;

    void add(const Image& frame) override {
        if (m_encoder == nullptr) {
            WebPAnimEncoderOptions options;
            WebPAnimEncoderOptionsInit(&options);
            options.anim_params.loop_count = 0;  // forever
            m_encoder = WebPAnimEncoderNew(int(frame.width), int(frame.height), &options);
            if (m_encoder == nullptr) throw IoError("libwebp: cannot create an encoder");
        }
        WebPPicture picture;
        WebPPictureInit(&picture);
        picture.use_argb = 1;
        picture.width = int(frame.width);
        picture.height = int(frame.height);
        const std::unique_ptr<WebPPicture, void (*)(WebPPicture*)> owner(&picture, WebPPictureFree);
        if (WebPPictureImportRGBA(&picture, frame.rgba.data(), int(frame.width * 4)) == 0) {
            throw std::bad_alloc();
        }
        if (WebPAnimEncoderAdd(m_encoder, &picture, m_timestamp, &m_config) == 0) {
            throw IoError(
                fmt::format("cannot write '{}': {}", m_path, WebPAnimEncoderGetError(m_encoder)));
        }
        m_timestamp += m_delay_ms;
    }

    void finish() override {
        WebPData data;
        WebPDataInit(&data);
        const std::unique_ptr<WebPData, void (*)(WebPData*)> owner(&data, WebPDataClear);
        if (WebPAnimEncoderAdd(m_encoder, nullptr, m_timestamp, nullptr) == 0 ||
            WebPAnimEncoderAssemble(m_encoder, &data) == 0) {
            throw IoError(
                fmt::format("cannot write '{}': {}", m_path, WebPAnimEncoderGetError(m_encoder)));
        }
        io::AtomicFile file(m_path);
        file.write(data.bytes, std::int64_t(data.size));
        file.commit();
    }

private:
    std::string m_path;
    int m_delay_ms;
    WebPConfig m_config{};
    WebPAnimEncoder* m_encoder = nullptr;
    int m_timestamp = 0;
};

// The path of an executable named `name` on PATH, if any.
std::optional<std::string> find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) return std::nullopt;
    std::string_view rest(path);
    while (true) {
        const std::size_t colon = rest.find(':');
        const std::string_view folder = rest.substr(0, colon);
        const std::string candidate =
            fmt::format("{}/{}", folder.empty() ? std::string_view(".") : folder, name);
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
    }
    return std::nullopt;
}

class Mp4Encoder final : public Encoder {
public:
    Mp4Encoder(const std::string& path, const AnimationOptions& options)
        : m_path(path), m_delay_ms(options.delay_ms) {
        auto ffmpeg = find_on_path("ffmpeg");
        if (!ffmpeg) {
            throw ValueError(
                "writing .mp4 needs ffmpeg, which is not installed (apt-get install ffmpeg); "
                "write .gif or .webp instead");
        }
        m_ffmpeg = *ffmpeg;
        m_file.emplace(path);
    }
    ~Mp4Encoder() override { stop(); }
    Mp4Encoder(const Mp4Encoder&) = delete;
    Mp4Encoder& operator=(const Mp4Encoder&) = delete;

    void add(const Image& frame) override {
        if (m_pid < 0) start(frame.width, frame.height);
        // A dead ffmpeg must give EPIPE, not kill us with SIGPIPE: block it on this thread
        // while writing and swallow a pending one.
        sigset_t pipe_set, old_set;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
        const auto* data = frame.rgba.data();
        std::size_t left = frame.rgba.size();
        int error = 0;
        while (left > 0) {
            const ssize_t written = ::write(m_pipe, data, left);
            if (written < 0 && errno == EINTR) continue;
            if (written <= 0) {
                error = errno;
                break;
            }
            data += written;
            left -= std::size_t(written);
        }
        if (error == EPIPE) {
            const timespec zero{0, 0};
            sigtimedwait(&pipe_set, nullptr, &zero);
        }
        pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
        if (left > 0) {
            throw IoError(fmt::format("cannot write '{}': ffmpeg stopped reading frames ({})",
                                      m_path, std::strerror(error)));
        }
    }

    void finish() override {
        const int status = stop();
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            throw IoError(fmt::format("cannot write '{}': ffmpeg failed (exit status {})", m_path,
                                      WIFEXITED(status) ? WEXITSTATUS(status) : -1));
        }
        m_file->commit();
    }

private:
    void start(std::int64_t width, std::int64_t height) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            throw IoError(fmt::format("cannot write '{}': {}", m_path, std::strerror(errno)));
        }
        const std::string size = fmt::format("{}x{}", width, height);
        const std::string rate = fmt::format("1000/{}", m_delay_ms);
        // yuv420p needs even sizes: pad odd ones by a black row or column.
        std::vector<std::string> arguments = {m_ffmpeg,
                                              "-y",
                                              "-loglevel",
                                              "error",
                                              "-f",
                                              "rawvideo",
                                              "-pix_fmt",
                                              "rgba",
                                              "-s",
                                              size,
                                              "-r",
                                              rate,
                                              "-i",
                                              "-",
                                              "-vf",
                                              "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                                              "-pix_fmt",
                                              "yuv420p",
                                              "-f",
                                              "mp4",
                                              m_file->temporary_path()};
        std::vector<char*> argv;
        for (auto& argument : arguments)
            argv.push_back(argument.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
        pid_t pid = -1;
        const int error =
            posix_spawn(&pid, m_ffmpeg.c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[0]);
        if (error != 0) {
            ::close(fds[1]);
            throw IoError(fmt::format("cannot write '{}': cannot run ffmpeg: {}", m_path,
                                      std::strerror(error)));
        }
        m_pid = pid;
        m_pipe = fds[1];
    }

    // Closes the pipe and waits for ffmpeg; its wait status (0 if it never started).
    int stop() {
        if (m_pipe >= 0) ::close(m_pipe);
        m_pipe = -1;
        int status = 0;
        if (m_pid > 0) {
            while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
        m_pid = -1;
        return status;
    }

    std::string m_path;
    int m_delay_ms;
    std::string m_ffmpeg;
    std::optional<io::AtomicFile> m_file;  // ffmpeg writes its temporary path
    pid_t m_pid = -1;
    int m_pipe = -1;
};

}  // namespace

AnimationFormat animation_format(const std::string& path) {
    if (io::has_extension(path, ".gif")) return AnimationFormat::gif;
    if (io::has_extension(path, ".webp")) return AnimationFormat::webp;
    if (io::has_extension(path, ".mp4")) return AnimationFormat::mp4;
    throw ValueError(
        fmt::format("cannot write an animation to '{}': use .gif, .webp or .mp4", path));
}

struct AnimationWriter::Impl {
    std::string path;
    std::unique_ptr<Encoder> encoder;
    std::int64_t width = 0;
    std::int64_t height = 0;
    std::int64_t frames = 0;
    bool finished = false;
};

AnimationWriter::AnimationWriter(std::string path, AnimationOptions options)
    : m_impl(std::make_unique<Impl>()) {
    const AnimationFormat format = animation_format(path);
    if (options.delay_ms < 10 || options.delay_ms > 655350) {
        throw ValueError(
            fmt::format("the frame delay must be 10 to 655350 ms, not {}", options.delay_ms));
    }
    if (!(options.quality >= 0.0F && options.quality <= 100.0F)) {
        throw ValueError(fmt::format("the WebP quality must be 0 to 100, not {}", options.quality));
    }
    switch (format) {
        case AnimationFormat::gif:
            m_impl->encoder = std::make_unique<GifEncoder>(path, options);
            break;
        case AnimationFormat::webp:
            m_impl->encoder = std::make_unique<WebpEncoder>(path, options);
            break;
        case AnimationFormat::mp4:
            m_impl->encoder = std::make_unique<Mp4Encoder>(path, options);
            break;
    }
    m_impl->path = std::move(path);
}

AnimationWriter::~AnimationWriter() = default;
AnimationWriter::AnimationWriter(AnimationWriter&&) noexcept = default;
AnimationWriter& AnimationWriter::operator=(AnimationWriter&&) noexcept = default;

void AnimationWriter::add_frame(const Image& frame) {
    throw_if_interrupted();
    Impl& impl = *m_impl;
    if (impl.finished) {
        throw ValueError(
            fmt::format("cannot add a frame to '{}': the animation is finished", impl.path));
    }
    if (frame.width <= 0 || frame.height <= 0) {
        throw ValueError(fmt::format("frame {} is empty ({}x{} pixels)", impl.frames + 1,
                                     frame.width, frame.height));
    }
    if (frame.width > kMaxSide || frame.height > kMaxSide) {
        throw ValueError(fmt::format("frame {} is {}x{} pixels: animations allow at most {}",
                                     impl.frames + 1, frame.width, frame.height, kMaxSide));
    }
    if (impl.frames == 0) {
        impl.width = frame.width;
        impl.height = frame.height;
    } else if (frame.width != impl.width || frame.height != impl.height) {
        throw ValueError(fmt::format("frame {} is {}x{} pixels but the animation is {}x{}",
                                     impl.frames + 1, frame.width, frame.height, impl.width,
                                     impl.height));
    }
    impl.encoder->add(frame);
    ++impl.frames;
}

void AnimationWriter::finish() {
    Impl& impl = *m_impl;
    if (impl.finished) {
        throw ValueError(fmt::format("the animation '{}' is already finished", impl.path));
    }
    if (impl.frames == 0) {
        throw ValueError(fmt::format("the animation '{}' has no frames", impl.path));
    }
    impl.finished = true;
    impl.encoder->finish();
}

std::int64_t AnimationWriter::frame_count() const {
    return m_impl->frames;
}

namespace {

std::int64_t extent_of(const Shape& shape, Axis axis) {
    return axis == Axis::z ? shape.z : (axis == Axis::y ? shape.y : shape.x);
}

// Source column (or row) of each destination one, nearest neighbour at pixel centres.
std::vector<std::int64_t> nearest_map(std::int64_t source, std::int64_t destination) {
    std::vector<std::int64_t> map(static_cast<std::size_t>(destination));
    for (std::int64_t i = 0; i < destination; ++i) {
        const auto s = std::int64_t((double(i) + 0.5) * double(source) / double(destination));
        map[std::size_t(i)] = std::min(s, source - 1);
    }
    return map;
}

}  // namespace

std::array<std::int64_t, 2> animation_frame_size(const Volume& volume, Axis axis, int zoom) {
    if (zoom < 1) throw ValueError(fmt::format("the zoom must be at least 1, not {}", zoom));
    const auto [across, down] = plane_image_axes(axis);
    const Spacing& spacing = volume.spacing();
    double pixel_width = spacing.zyx[std::size_t(across)];
    double pixel_height = spacing.zyx[std::size_t(down)];
    if (!(pixel_width > 0.0) || !std::isfinite(pixel_width)) pixel_width = 1.0;
    if (!(pixel_height > 0.0) || !std::isfinite(pixel_height)) pixel_height = 1.0;
    const double finest = std::min(pixel_width, pixel_height);
    const auto scaled = [&](std::int64_t voxels, double pixel) {
        return std::max<std::int64_t>(voxels * zoom,
                                      std::llround(double(voxels) * zoom * pixel / finest));
    };
    return {scaled(extent_of(volume.shape(), across), pixel_width),
            scaled(extent_of(volume.shape(), down), pixel_height)};
}

namespace {

// Scales planes to the frame size with nearest-neighbour sampling (one 4-byte copy per
// pixel), reusing its maps and frame from plane to plane; planes of the frame's size pass
// through without a copy.
class FrameScaler {
public:
    FrameScaler(std::int64_t width, std::int64_t height) : m_width(width), m_height(height) {}

    Image& scale(Image&& plane) {
        if (plane.width == m_width && plane.height == m_height) {
            m_frame = std::move(plane);  // isotropic, zoom 1: nothing to scale
            return m_frame;
        }
        if (m_frame.width != m_width || m_frame.height != m_height)
            m_frame = Image::filled(m_width, m_height);
        if (m_columns.empty()) {
            m_columns = nearest_map(plane.width, m_width);
            m_rows = nearest_map(plane.height, m_height);
        }
        for (std::int64_t y = 0; y < m_height; ++y) {
            const std::uint8_t* source = plane.pixel(0, m_rows[std::size_t(y)]);
            std::uint8_t* destination = m_frame.pixel(0, y);
            for (std::int64_t x = 0; x < m_width; ++x) {
                std::memcpy(destination + 4 * x, source + 4 * m_columns[std::size_t(x)], 4);
            }
        }
        return m_frame;
    }

private:
    std::int64_t m_width;
    std::int64_t m_height;
    Image m_frame;
    std::vector<std::int64_t> m_columns;
    std::vector<std::int64_t> m_rows;
};

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\n");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\n");
    return std::string(text.substr(first, last - first + 1));
}

std::vector<std::string> split_on(std::string_view text, char separator) {
    std::vector<std::string> parts;
    std::size_t begin = 0;
    while (true) {
        const std::size_t end = text.find(separator, begin);
        parts.emplace_back(text.substr(begin, end == std::string_view::npos ? end : end - begin));
        if (end == std::string_view::npos) break;
        begin = end + 1;
    }
    return parts;
}

std::optional<double> number_of(const std::string& text) {
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(value)) return std::nullopt;
    return value;
}

void check_label_font(const AnimateOptions& options) {
    if (options.label && !(options.label_font_px >= 4.0 && options.label_font_px <= 256.0)) {
        throw ValueError(
            fmt::format("the label font must be 4 to 256 pixels, not {:g}", options.label_font_px));
    }
}

}  // namespace

void animate_axis(const Volume& volume, Axis axis, const std::vector<ResolvedChannel>& channels,
                  const std::string& path, const AnimateOptions& options) {
    if (options.step < 1) {
        throw ValueError(fmt::format("the plane step must be at least 1, not {}", options.step));
    }
    if (volume.empty()) throw ValueError("cannot animate an empty volume");
    check_label_font(options);
    const auto [width, height] = animation_frame_size(volume, axis, options.zoom);
    AnimationWriter writer(path, options.animation);
    const std::int64_t extent = extent_of(volume.shape(), axis);
    FrameScaler scaler(width, height);
    for (std::int64_t index = 0; index < extent; index += options.step) {
        Image& frame = scaler.scale(map_plane(volume.plane(axis, index), axis, channels));
        if (options.label) draw_image_label(frame, plane_title(axis, index), options.label_font_px);
        writer.add_frame(frame);
    }
    writer.finish();
}

std::vector<Version> parse_versions(const std::string& text) {
    std::vector<Version> versions;
    const std::vector<std::string> items = split_on(text, ';');
    for (std::size_t v = 0; v < items.size(); ++v) {
        Version version;
        version.label = trim(items[v]);
        if (version.label.empty()) {
            // A trailing ';' is harmless; an empty item in the middle is a typo.
            if (v + 1 == items.size() && v > 0) break;
            throw ValueError(fmt::format("version {} is empty", v + 1));
        }
        std::vector<std::string> tokens;
        for (const std::string& token : split_on(version.label, ' ')) {
            if (!trim(token).empty()) tokens.push_back(trim(token));
        }
        try {
            version.steps = parse_steps_cli(tokens);
            validate_steps(version.steps);
        } catch (const ValueError& error) {
            throw ValueError(
                fmt::format("version {} ({}): {}", v + 1, version.label, error.what()));
        }
        versions.push_back(std::move(version));
    }
    return versions;
}

std::vector<Version> sweep_versions(const std::string& text) {
    const auto malformed = [&] {
        return ValueError(fmt::format(
            "a sweep is OP=START:STOP:COUNT or OP.PARAM=START:STOP:COUNT, not '{}'", text));
    };
    const std::size_t equals = text.find('=');
    if (equals == std::string::npos) throw malformed();
    const std::string target = trim(std::string_view(text).substr(0, equals));
    const std::vector<std::string> numbers =
        split_on(std::string_view(text).substr(equals + 1), ':');
    if (target.empty() || numbers.size() != 3) throw malformed();
    const auto start = number_of(trim(numbers[0]));
    const auto stop = number_of(trim(numbers[1]));
    const auto count = number_of(trim(numbers[2]));
    if (!start || !stop || !count) throw malformed();
    if (*count != std::floor(*count) || *count < 1 || *count > 1000) {
        throw ValueError(fmt::format(
            "the sweep's count must be a whole number from 1 to 1000, not {}", trim(numbers[2])));
    }
    const std::size_t dot = target.find('.');
    const std::string op = target.substr(0, dot);
    std::string parameter = dot == std::string::npos ? std::string() : target.substr(dot + 1);
    const OperationInfo* info = nullptr;
    std::vector<std::string> ops;
    for (const OperationInfo& candidate : operation_catalog()) {
        if (candidate.name == op) info = &candidate;
        ops.push_back(candidate.name);
    }
    if (info == nullptr) {
        throw ValueError(fmt::format("the sweep's op '{}' is unknown ({}see 'voxscope ops')", op,
                                     did_you_mean(op, ops)));
    }
    std::vector<std::string> names;
    for (const std::string& entry : info->parameters)
        names.push_back(entry.substr(0, entry.find('=')));
    if (names.empty()) {
        throw ValueError(fmt::format("the sweep's op '{}' has no parameters", op));
    }
    if (parameter.empty()) parameter = names.front();
    if (std::find(names.begin(), names.end(), parameter) == names.end()) {
        std::string known;
        for (const std::string& name : names)
            known += (known.empty() ? "" : ", ") + name;
        throw ValueError(fmt::format("the op '{}' has no parameter '{}' ({}it takes {})", op,
                                     parameter, did_you_mean(parameter, names), known));
    }
    std::string label_name = parameter == op ? parameter : op + " " + parameter;
    label_name[0] = char(std::toupper(static_cast<unsigned char>(label_name[0])));
    std::vector<Version> versions;
    const auto n = std::int64_t(*count);
    for (std::int64_t i = 0; i < n; ++i) {
        // numpy.linspace: start + i * step, the last value exactly stop.
        const double value =
            n == 1 ? *start
                   : (i == n - 1 ? *stop : *start + double(i) * (*stop - *start) / double(n - 1));
        Version version;
        version.label = fmt::format("{} = {:.4g}", label_name, value);
        version.steps.push_back(Step{op, {{parameter, fmt::format("{:.17g}", value)}}});
        versions.push_back(std::move(version));
    }
    return versions;
}

void animate_versions(const Volume& volume, Axis axis, std::int64_t index,
                      const std::vector<Version>& versions, const DisplayMapping& mapping,
                      bool shared_range, const std::string& path, const AnimateOptions& options) {
    animation_format(path);
    if (versions.empty()) throw ValueError("there are no versions to animate");
    if (volume.empty()) throw ValueError("cannot animate an empty volume");
    const std::int64_t extent = extent_of(volume.shape(), axis);
    if (index < 0 || index >= extent) {
        throw ValueError(fmt::format("{} index {} is outside the volume (0 to {})", axis_name(axis),
                                     index, extent - 1));
    }
    check_label_font(options);
    const auto [width, height] = animation_frame_size(volume, axis, options.zoom);
    std::vector<ResolvedChannel> shared;
    if (shared_range) shared = resolve_mapping(volume, mapping);
    AnimationWriter writer(path, options.animation);
    FrameScaler scaler(width, height);
    for (std::size_t v = 0; v < versions.size(); ++v) {
        const Version& version = versions[v];
        // Point-wise steps see a shared buffer and write a new one: `volume` stays intact.
        Volume adjusted;
        try {
            adjusted = apply_steps(volume, version.steps);
        } catch (const ValueError& error) {
            throw ValueError(
                fmt::format("version {} ({}): {}", v + 1, version.label, error.what()));
        }
        if (adjusted.shape() != volume.shape()) {
            throw ValueError(
                fmt::format("version {} ({}) changes the shape to {}; versions must keep it", v + 1,
                            version.label, spatial_shape_text(adjusted.shape())));
        }
        const std::vector<ResolvedChannel> own =
            shared_range ? std::vector<ResolvedChannel>() : resolve_mapping(adjusted, mapping);
        Image& frame =
            scaler.scale(map_plane(adjusted.plane(axis, index), axis, shared_range ? shared : own));
        if (options.label) draw_image_label(frame, version.label, options.label_font_px);
        writer.add_frame(frame);
    }
    writer.finish();
}

}  // namespace vox
