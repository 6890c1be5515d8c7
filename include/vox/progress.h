// voxscope: progress reporting for long work.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace vox {

/// Receives progress: the task's name and the fraction done in [0, 1]. Called at
/// most about a hundred times per task, always with 1.0 at the end of a task that
/// completed, from whichever thread advanced it (never two calls at once).
using ProgressReporter = std::function<void(std::string_view task, double fraction)>;

/// Installs the process-wide reporter (the CLI installs a terminal bar); an empty
/// function turns reporting off, which is the default: the library prints nothing.
void set_progress_reporter(ProgressReporter reporter);

/// Tracks one long task. Thread-safe: parallel chunks call advance() concurrently.
///
///     Progress progress("kidney", shape.z);
///     parallel_for(0, shape.z, 1, [&](auto z0, auto z1) { ...; progress.advance(z1 - z0); });
class Progress {
public:
    Progress(std::string_view task, std::int64_t total);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    /// Marks `units` more units of work done and reports when another percent is reached.
    void advance(std::int64_t units = 1);

private:
    std::string m_task;
    std::int64_t m_total;
    std::atomic<std::int64_t> m_done{0};
    std::atomic<int> m_reported_percent{-1};
};

}  // namespace vox
