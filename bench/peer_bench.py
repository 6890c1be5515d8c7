"""Shared by the bench/compare_*.py drivers: timing the peer, and reading the medians of a
Google Benchmark program run in the same session."""
import json
import statistics
import subprocess
import time


def median_seconds(function, repetitions):
    """Median wall time of `repetitions` calls of `function`."""
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def google_benchmark_medians(bench, repetitions, prefix="BM_"):
    """Runs a Google Benchmark program and returns {name: median seconds}, the name being the
    benchmark's first path component without `prefix`."""
    output = subprocess.run(
        [bench, f"--benchmark_repetitions={max(2, repetitions)}",  # medians need two or more
         "--benchmark_format=json", "--benchmark_report_aggregates_only=true"],
        check=True, capture_output=True, text=True).stdout
    results = {}
    for entry in json.loads(output)["benchmarks"]:
        if entry.get("aggregate_name") == "median":
            name = entry["run_name"].split("/")[0].removeprefix(prefix)
            results[name] = entry["real_time"] / 1e3  # ms -> s
    return results
