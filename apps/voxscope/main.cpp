// voxscope: the command-line tool. Parses flags, calls the library, reports errors.
#include <cctype>
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "terminal.h"
#include "vox/error.h"
#include "vox/io.h"
#include "vox/parallel.h"
#include "vox/samples.h"
#include "vox/summary.h"
#include "vox/version.h"

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

constexpr const char* kExamples = R"(Examples:
  voxscope info sample:cells              shape, dtype, spacing and value ranges
  voxscope info --json sample:kidney      the same, as JSON
  voxscope info sample:phantom?size=256   a 256^3 Shepp-Logan head phantom
  voxscope samples                        list the built-in samples

Paths: a file, or sample:NAME[?key=value&...] for a built-in sample.
Exit status: 0 on success, 1 on error, 2 on bad usage, 130 when interrupted.)";

struct GlobalOptions {
    int threads = 0;
    std::string max_memory;
    bool quiet = false;
};

struct InfoOptions {
    std::string path;
    bool json = false;
};

int run_info(const InfoOptions& options) {
    const vox::Volume volume = vox::open_volume(options.path);
    const vox::VolumeSummary summary = vox::summarize(volume, options.path);
    const std::string report =
        options.json ? vox::summary_to_json(summary) : vox::summary_to_text(summary);
    std::fputs(report.c_str(), stdout);
    return 0;
}

int run_samples() {
    for (const vox::SampleInfo& sample : vox::sample_catalog()) {
        fmt::print("sample:{:<10} {}\n", sample.name, sample.summary);
        for (const std::string& parameter : sample.parameters) {
            fmt::print("  {:<18} {}\n", "", parameter);
        }
    }
    return 0;
}

// CLI11's messages, in our voice: lower case, and naming a mistyped command.
std::string usage_error_message(const CLI::App& app, const CLI::ParseError& error, int argc,
                                char** argv) {
    std::string message = error.what();
    if (app.get_subcommands().empty()) {
        for (int i = 1; i < argc; ++i) {
            const std::string argument = argv[i];
            const std::string previous = i > 1 ? argv[i - 1] : "";
            const bool is_option_value = previous == "--threads" || previous == "--max-memory";
            if (!argument.empty() && argument[0] != '-' && !is_option_value) {
                message = "unknown command '" + argument + "'; the commands are info and samples";
                break;
            }
        }
    }
    if (!message.empty()) message[0] = char(std::tolower(static_cast<unsigned char>(message[0])));
    return message + " (see 'voxscope --help')";
}

void print_error(const std::string& message) {
    std::fflush(stdout);
    fmt::print(stderr, "voxscope: error: {}\n", message);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"voxscope: explore 3D images fast (info, and more to come)", "voxscope"};
    app.footer(kExamples);
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("voxscope ") + vox::kVersion);

    GlobalOptions global;
    app.add_option("--threads", global.threads, "Worker threads (default: all cores)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--max-memory", global.max_memory,
                   "Largest volume to allocate, e.g. 4G (default: 80% of RAM)");
    app.add_flag("-q,--quiet", global.quiet, "No progress bar");

    InfoOptions info;
    CLI::App* info_command =
        app.add_subcommand("info", "Shape, dtype, memory, spacing and value ranges of a volume");
    info_command->add_option("path", info.path, "File, or sample:NAME")->required();
    info_command->add_flag("--json", info.json, "Print JSON (schema voxscope.info/1)");

    app.add_subcommand("samples", "List the built-in sample volumes");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::fputs(app.help().c_str(), stdout);
        return 0;
    } catch (const CLI::CallForVersion& version) {
        std::puts(version.what());
        return 0;
    } catch (const CLI::ParseError& error) {
        print_error(usage_error_message(app, error, argc, argv));
        return kExitUsage;
    }

    voxscope::install_interrupt_handler();
    voxscope::install_progress_bar(global.quiet);
    try {
        vox::set_thread_count(global.threads);
        if (!global.max_memory.empty()) {
            vox::set_memory_limit(voxscope::parse_byte_size(global.max_memory));
        }
        if (info_command->parsed()) return run_info(info);
        return run_samples();
    } catch (const vox::Interrupted&) {
        print_error("interrupted");
        return kExitInterrupted;
    } catch (const vox::Error& error) {
        print_error(error.what());
        return kExitError;
    } catch (const std::bad_alloc&) {
        print_error("out of memory (try --max-memory or a smaller input)");
        return kExitError;
    } catch (const std::exception& error) {
        print_error(std::string("internal error: ") + error.what());
        return kExitError;
    }
}
