#!/usr/bin/env python3
"""Ctrl-C stops long work cleanly: one line on stderr, exit status 130, no crash.

Usage: interrupt_test.py VOXSCOPE. Starts `voxscope info` on a 1024^3 phantom (several
seconds of work), sends SIGINT once it is running and checks how the process ends.
"""
import signal
import subprocess
import sys
import time


def main():
    process = subprocess.Popen([sys.argv[1], "info", "sample:phantom?size=1024"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)
    if process.poll() is not None:
        print("FAILED: voxscope finished before it could be interrupted")
        return 1
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    expected = b"voxscope: error: interrupted\n"
    if process.returncode != 130 or stderr != expected or stdout:
        print(f"FAILED: status {process.returncode}, stderr {stderr!r}, stdout {stdout[:200]!r}")
        return 1
    print("ok: interrupted cleanly with status 130")
    return 0


if __name__ == "__main__":
    sys.exit(main())
