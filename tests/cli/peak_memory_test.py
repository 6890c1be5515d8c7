#!/usr/bin/env python3
"""Peak memory of `voxscope process`: input + output at most (issue 4), checked with the
kernel's maximum resident set size of each run.

Usage: peak_memory_test.py VOXSCOPE. Each run's peak, less the peak of a command on a tiny
volume (the program, its libraries and thread stacks), must stay within the
input's and the output's sizes plus a fixed slack for scratch buffers (resize's plane
window, per-thread rows). Point-wise steps work in place, so their budget is the input
alone.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

MB = 1 << 20
SLACK = 72 * MB  # resize's window of reduced planes (up to 2 x 32 MiB) plus small buffers
IN_PLACE_SLACK = 16 * MB  # tables and per-thread histograms only: a copy would not fit


# A child inherits the peak resident size of the process that forks it, so the runs are
# started by a small Python without numpy, not by this process holding the volume.
MEASURE = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
error = process.stderr.read()
_, status, usage = os.wait4(process.pid, 0)
if status != 0:
    sys.exit(error.decode())
print(usage.ru_maxrss * 1024)
"""


def peak_bytes(command, cwd):
    result = subprocess.run([sys.executable, "-c", MEASURE] + command, cwd=cwd,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr}")
    return int(result.stdout)


def main():
    voxscope = sys.argv[1]
    rng = np.random.default_rng(4)
    volume = rng.integers(0, 4096, size=(128, 512, 512), dtype=np.uint16)  # 64 MiB
    # (steps, output bytes, works in place)
    cases = [
        (["gamma:0.5"], volume.nbytes, True),
        (["clip:0.5,99.5", "gamma:0.5", "log"], volume.nbytes, True),
        (["flip:z"], volume.nbytes, False),
        (["resize:64x256x256"], volume.size // 8 * 8, False),
        (["resize:256x512x512"], volume.size * 2 * 8, False),
        (["gaussian:1"], volume.size * 8, False),
        (["equalize"], volume.size * 8, False),
        (["threshold:otsu"], volume.size, False),
        # Nearly every voxel of the raw volume is a run of its own: a union-find table of
        # its own would need 4 bytes per voxel more than the budget.
        (["label:connectivity=6"], volume.size * 4, False),
    ]
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        np.save(os.path.join(folder, "big.npy"), volume)
        np.save(os.path.join(folder, "tiny.npy"), volume[:2, :8, :8])
        base = peak_bytes([voxscope, "process", "tiny.npy", "-o", "out.npy", "flip:z"], folder)
        for steps, output_bytes, in_place in cases:
            peak = peak_bytes([voxscope, "process", "big.npy", "-o", "out.npy"] + steps, folder)
            budget = volume.nbytes + (IN_PLACE_SLACK if in_place else output_bytes + SLACK)
            used = peak - base
            verdict = "ok" if used <= budget else "OVER"
            failures += used > budget
            print(f"{verdict}: {' '.join(steps):<32} {used / MB:7.1f} MiB "
                  f"(budget {budget / MB:.1f} MiB: input {volume.nbytes / MB:.0f}"
                  f"{'' if in_place else f' + output {output_bytes / MB:.0f}'} + slack)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
