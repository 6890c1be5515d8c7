#include "vox/parallel.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include "vox/error.h"

namespace vox {
namespace {

// Lock-free, so request_interrupt() is async-signal-safe.
std::atomic<bool> g_interrupt_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

std::mutex g_control_mutex;
std::unique_ptr<tbb::global_control> g_thread_limit;
std::atomic<int> g_thread_count{0};

}  // namespace

int thread_count() {
    const int count = g_thread_count.load();
    return count > 0 ? count : tbb::info::default_concurrency();
}

void set_thread_count(int count) {
    const std::lock_guard lock(g_control_mutex);
    g_thread_limit.reset();
    if (count > 0) {
        g_thread_limit = std::make_unique<tbb::global_control>(
            tbb::global_control::max_allowed_parallelism, std::size_t(count));
    }
    g_thread_count.store(std::max(count, 0));
}

void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain,
                  FunctionRef<void(std::int64_t, std::int64_t)> body) {
    if (end <= begin) return;
    grain = std::max<std::int64_t>(grain, 1);
    throw_if_interrupted();
    if (end - begin <= grain) {
        body(begin, end);
        return;
    }
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(begin, end, std::size_t(grain)),
                      [&](const tbb::blocked_range<std::int64_t>& range) {
                          throw_if_interrupted();
                          body(range.begin(), range.end());
                      });
}

void request_interrupt() {
    g_interrupt_requested.store(true, std::memory_order_relaxed);
}

bool interrupt_requested() {
    return g_interrupt_requested.load(std::memory_order_relaxed);
}

void clear_interrupt() {
    g_interrupt_requested.store(false, std::memory_order_relaxed);
}

void throw_if_interrupted() {
    if (interrupt_requested()) throw Interrupted();
}

}  // namespace vox
