#!/usr/bin/env python3
"""Every option of every command, given extreme and malformed values, on a tiny sample.

Usage: option_values.py VOXSCOPE

The options are read from each command's --help, so a new option is covered without
editing this file. Each run must end with status 0, 1 or 2, and a failing run must print
exactly one line, "voxscope: error: ...": never a crash, a hang, a sanitizer report (the
sanitizer build runs this test too) or a wrapped integer. Found an overflowing conversion
of `ortho --point 1e30,0,0`, which printed "z index -9223372036854775808".
"""
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

SAMPLE = "sample:phantom?size=8"

# A run of each command that succeeds; each option's value is then replaced or added.
BASE = {
    "info": ["info", SAMPLE],
    "convert": ["convert", SAMPLE, "out.nii"],
    "process": ["process", SAMPLE, "-o", "out.nii", "gamma:0.5"],
    "hist": ["hist", SAMPLE],
    "compare": ["compare", SAMPLE, "-o", "out.png"],
    "labels": ["labels", SAMPLE, "--threshold", "0.5"],
    "slice": ["slice", SAMPLE, "-o", "out.png"],
    "ortho": ["ortho", SAMPLE, "-o", "out.png"],
    "montage": ["montage", SAMPLE, "-o", "out.png"],
    "channels": ["channels", SAMPLE, "-o", "out.png"],
    "project": ["project", SAMPLE, "-o", "out.png"],
    "animate": ["animate", SAMPLE, "-o", "out.gif"],
    "render": ["render", SAMPLE, "-o", "out.png", "--size", "32x32"],
    "turntable": ["turntable", SAMPLE, "-o", "out.gif", "--size", "16x16", "--frames", "2"],
    "mesh": ["mesh", SAMPLE, "--level", "0.5", "-o", "out.ply"],
    "points": ["points", SAMPLE, "--range", "0.5:1", "-o", "out.ply"],
    "ops": ["ops"],
    "samples": ["samples"],
    "formats": ["formats"],
}

# Extreme numbers, alone and as one part of a list, a range and a size ("--point 1e30,0,0"
# passes the count of parts, so that the number itself is read), then malformed text.
EXTREMES = ["1e30", "-1e30", "inf", "nan", "-1", "0", "9223372036854775808"]
SHAPES = ["{},1,1", "1,{},1", "0:{}", "{}:1", "{}x{}"]
VALUES = EXTREMES + [shape.format(value, value) for value in ("1e30", "inf", "nan", "-1")
                     for shape in SHAPES] + ["1e-300", "x", "1:2:3:4", "0x0", "p200", ",,", ""]
WRAPPED = "-9223372036854775808"

# The reading options (read_flags.cpp) are the same code in every command: info tries them.
READ_OPTIONS = {"--t", "--time-as-channels", "--canonical", "--shape", "--dtype", "--in-dtype",
                "--spacing", "--unit", "--endian", "--offset"}

# "  -o,--output TEXT REQUIRED  ...": the value's type follows the names after one space.
OPTION_LINE = re.compile(r"^\s+(-[\w-]+(?:,-[\w-]+)*)(?: ([A-Z]{3,}\S*))?")


def options_taking_values(voxscope, command):
    """The long (or only) name of each option of `command` that takes a value."""
    help_text = subprocess.run([voxscope, command, "--help"], capture_output=True, text=True,
                               check=True).stdout
    names = []
    for line in help_text.splitlines():
        match = OPTION_LINE.match(line)
        if match and match.group(2):
            names.append(match.group(1).split(",")[-1])
    return names


def with_value(base, option, value):
    """`base` with `option` set to `value`: replaced where base gives it, else added."""
    args = list(base)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    return args


def problem(voxscope, args, folder):
    """What is wrong with running voxscope with `args`, or None."""
    try:
        run = subprocess.run([voxscope, "--quiet", *args], capture_output=True, text=True,
                             cwd=folder, timeout=120, errors="replace")
    except subprocess.TimeoutExpired:
        return "no result within 120 s"
    lines = run.stderr.splitlines()
    if run.returncode not in (0, 1, 2):
        return f"status {run.returncode}: {run.stderr[-2000:]}"
    if run.returncode != 0 and (len(lines) != 1 or not lines[0].startswith("voxscope: error: ")):
        return f"status {run.returncode} without one error line: {run.stderr[-2000:]}"
    if WRAPPED in run.stderr + run.stdout and not any(WRAPPED in arg for arg in args):
        return f"a wrapped integer: {run.stderr}"
    if "runtime error" in run.stderr or "Sanitizer" in run.stderr:
        return f"a sanitizer report: {run.stderr[-2000:]}"
    return None


def main():
    voxscope = os.path.abspath(sys.argv[1])
    # LeakSanitizer lists the suppressions it used on stderr, which is not a report.
    lsan = os.environ.get("LSAN_OPTIONS", "")
    os.environ["LSAN_OPTIONS"] = (lsan + ":" if lsan else "") + "print_suppressions=0"
    help_text = subprocess.run([voxscope, "--help"], capture_output=True, text=True,
                               check=True).stdout
    section = help_text.split("Subcommands:")[1].split("\n\n")[0]
    commands = [line.split()[0] for line in section.splitlines() if line.strip()]
    missing = [command for command in commands if command not in BASE]
    if missing:
        sys.exit(f"no base run for {missing}: add one to BASE")

    runs = []
    for command in commands:
        runs.append(BASE[command])
        for option in options_taking_values(voxscope, command):
            if option in READ_OPTIONS and command != "info":
                continue
            runs += [with_value(BASE[command], option, value) for value in VALUES]
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        # The base runs must succeed, or the rest would only test their error.
        for command in commands:
            run = subprocess.run([voxscope, "--quiet", *BASE[command]], capture_output=True,
                                 text=True, cwd=folder)
            if run.returncode != 0:
                failures.append(f"base run {BASE[command]} failed: {run.stderr}")
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            found = pool.map(lambda args: (args, problem(voxscope, args, folder)), runs)
            failures += [f"voxscope {' '.join(args)}: {what}" for args, what in found if what]
    print(f"{len(runs)} runs of {len(commands)} commands")
    for failure in failures:
        print(failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
