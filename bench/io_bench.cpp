// Loads one volume several times and prints the median time and the peak memory as JSON,
// for bench/compare_io.py. Usage: bench_io PATH [REPETITIONS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "vox/io.h"

// The process's peak resident memory (VmHWM). Unlike getrusage's ru_maxrss it starts afresh
// at exec, so it does not include the memory of the Python process that started us.
long long peak_resident_bytes() {
    std::FILE* status = std::fopen("/proc/self/status", "r");
    if (status == nullptr) return -1;
    char line[256];
    long long kilobytes = -1;
    while (std::fgets(line, sizeof line, status) != nullptr) {
        if (std::sscanf(line, "VmHWM: %lld kB", &kilobytes) == 1) break;
    }
    std::fclose(status);
    return kilobytes * 1024;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_io PATH [REPETITIONS]\n");
        return 2;
    }
    const int repetitions = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    try {
        std::vector<double> seconds;
        std::int64_t bytes = 0;
        for (int i = 0; i < repetitions; ++i) {
            const auto start = std::chrono::steady_clock::now();
            const vox::Volume volume = vox::open_volume(argv[1]);
            seconds.push_back(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            bytes = volume.size_bytes();
        }
        std::sort(seconds.begin(), seconds.end());
        std::printf(
            "{\"median_seconds\": %.6f, \"decoded_bytes\": %lld, \"peak_rss_bytes\": %lld}\n",
            seconds[seconds.size() / 2], static_cast<long long>(bytes), peak_resident_bytes());
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_io: %s\n", error.what());
        return 1;
    }
    return 0;
}
