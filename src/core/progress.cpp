#include "vox/progress.h"

#include <algorithm>
#include <memory>
#include <mutex>

namespace vox {
namespace {

std::mutex g_reporter_mutex;
std::shared_ptr<const ProgressReporter> g_reporter;

std::shared_ptr<const ProgressReporter> current_reporter() {
    const std::lock_guard lock(g_reporter_mutex);
    return g_reporter;
}

// Serialises calls into the reporter, so a terminal bar never interleaves its output.
std::mutex g_report_call_mutex;

}  // namespace

void set_progress_reporter(ProgressReporter reporter) {
    const std::lock_guard lock(g_reporter_mutex);
    g_reporter = reporter ? std::make_shared<const ProgressReporter>(std::move(reporter)) : nullptr;
}

Progress::Progress(std::string_view task, std::int64_t total)
    : m_task(task), m_total(std::max<std::int64_t>(total, 1)) {}

Progress::~Progress() {
    // Report completion only for work that completed; an exception leaves the bar as it was.
    if (m_done.load() < m_total) return;
    if (m_reported_percent.exchange(100) == 100) return;
    if (auto reporter = current_reporter()) {
        const std::lock_guard lock(g_report_call_mutex);
        (*reporter)(m_task, 1.0);
    }
}

void Progress::advance(std::int64_t units) {
    const std::int64_t done = std::min(m_done.fetch_add(units) + units, m_total);
    const int percent = int(done * 100 / m_total);
    int reported = m_reported_percent.load();
    while (percent > reported) {
        if (m_reported_percent.compare_exchange_weak(reported, percent)) {
            if (auto reporter = current_reporter()) {
                const std::lock_guard lock(g_report_call_mutex);
                // A later percent may have been claimed meanwhile; never step the bar back.
                if (m_reported_percent.load() == percent) {
                    (*reporter)(m_task, double(done) / double(m_total));
                }
            }
            return;
        }
    }
}

}  // namespace vox
