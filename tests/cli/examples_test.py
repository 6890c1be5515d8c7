#!/usr/bin/env python3
"""Every example command in the README, the docs and --help runs as written.

Usage: examples_test.py VOXSCOPE SOURCE_DIR

The examples are collected from the "$ voxscope ..." lines of README.md and docs/ and
from the "Examples:" section of `voxscope --help` and of each command's --help, so a new
example is checked without editing this file. They run in a scratch folder that holds the
files they name (mri.nii.gz is nibabel's real 4D MRI, scan.nii.gz its anatomical scan,
brain.zip an Analyze pair in a folder of a zip, slices/ a folder of 2D TIFFs, ...). Each run
must end with status 0, print no error, and write the file it names as its output; one
that the docs show followed by "voxscope: error: ..." must fail with that message. The
README's copy of `voxscope --help` must be the real one.
"""
import gzip
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile

import nibabel
import numpy as np
import tifffile

NIBABEL_DATA = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data")

# "  voxscope hist x.nii --bins 50     what it does": the command ends at a run of 3 spaces.
HELP_EXAMPLE = re.compile(r"^  (voxscope .*?)(?:\s{3,}.*)?$")
DOC_EXAMPLE = re.compile(r"^\$ (voxscope .*)$")


def run(voxscope, arguments, folder):
    return subprocess.run([voxscope] + arguments, cwd=folder, capture_output=True, text=True,
                          timeout=600)


def help_examples(voxscope, folder):
    """The example lines of the main --help and of each command's --help."""
    main_help = run(voxscope, ["--help"], folder).stdout
    commands = re.findall(r"^  (\w+)\s{2,}\S", main_help.split("Subcommands:")[1].split(
        "Examples:")[0], re.M)
    if not commands:
        sys.exit("no commands found in voxscope --help")
    examples = []
    for name, text in [("voxscope --help", main_help)] + [
            (f"voxscope {command} --help", run(voxscope, [command, "--help"], folder).stdout)
            for command in commands]:
        if "Examples:" not in text:
            continue
        section = text.split("Examples:", 1)[1].split("\n\n", 1)[0]
        for line in section.splitlines():
            match = HELP_EXAMPLE.match(line)
            if match:
                examples.append((name, match.group(1), None))
    return commands, examples


def doc_examples(source_dir):
    """The "$ voxscope ..." lines of README.md and the Markdown files under docs/, with their file and line."""
    files = ["README.md"] + sorted(
        os.path.relpath(os.path.join(folder, name), source_dir)
        for folder, _, names in os.walk(os.path.join(source_dir, "docs"))
        for name in names if name.endswith(".md"))
    examples = []
    for relative in files:
        with open(os.path.join(source_dir, relative), encoding="utf-8") as text:
            lines = text.read().splitlines()
        for number, line in enumerate(lines, 1):
            match = DOC_EXAMPLE.match(line)
            if match:
                # An example followed by "voxscope: error: ..." shows an error: that line.
                shown = lines[number] if number < len(lines) else ""
                error = shown if shown.startswith("voxscope: error: ") else None
                examples.append((f"{relative}:{number}", match.group(1), error))
    return examples


def readme_help_block(source_dir):
    """What README.md shows as the output of `voxscope --help`."""
    with open(os.path.join(source_dir, "README.md"), encoding="utf-8") as text:
        readme = text.read()
    start = readme.index("$ voxscope --help\n") + len("$ voxscope --help\n")
    return readme[start:readme.index("```", start)]


def write_analyze_zip(path, member, data):
    """An Analyze .hdr/.img pair stored as `member` (and its .img) in a zip archive."""
    with tempfile.TemporaryDirectory() as scratch:
        header = os.path.join(scratch, "pair.hdr")
        nibabel.AnalyzeImage(data, np.diag([2.0, 2.0, 2.2, 1.0])).to_filename(header)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(header, member)
            archive.write(header[:-4] + ".img", member[:-4] + ".img")


def make_inputs(voxscope, folder):
    """The files the examples name, each a real scan or made from the built-in samples."""
    anatomical = os.path.join(NIBABEL_DATA, "anatomical.nii")
    shutil.copy(os.path.join(NIBABEL_DATA, "example4d.nii.gz"), os.path.join(folder, "mri.nii.gz"))
    shutil.copy(anatomical, folder)
    shutil.copy(os.path.join(NIBABEL_DATA, "T1.PAR"), folder)
    for name in ("scan.nii.gz", "brain.nii.gz"):
        with open(anatomical, "rb") as source, gzip.open(os.path.join(folder, name), "wb") as out:
            shutil.copyfileobj(source, out)
    data = np.asanyarray(nibabel.load(anatomical).dataobj).astype(np.int16)
    write_analyze_zip(os.path.join(folder, "brain.zip"), "MRI/T1.hdr", data)
    write_analyze_zip(os.path.join(folder, "mri.zip"), "data/brain.hdr", data)

    # A student's folder of 2D slices: a bright ball in a dark field, 8-bit, numbered 1..12
    # so that natural order differs from sorted order.
    os.mkdir(os.path.join(folder, "slices"))
    z, y, x = np.mgrid[0:12, 0:64, 0:64]
    ball = (255 * np.exp(-((z - 6) ** 2 + (y - 32) ** 2 + (x - 32) ** 2) / 200.0)).astype(np.uint8)
    for index, plane in enumerate(ball, 1):
        tifffile.imwrite(os.path.join(folder, "slices", f"slice_{index}.tif"), plane)
    tifffile.imwrite(os.path.join(folder, "stack.tif"), ball)
    # The raw example's layout: 60x256x256 u16, the cells' shape.
    np.tile(ball.astype(np.uint16) * 64, (5, 4, 4)).tofile(os.path.join(folder, "volume.raw"))
    os.mkdir(os.path.join(folder, "gallery"))

    made = [
        ["convert", "sample:cells", "day1.tif"],
        ["process", "sample:cells", "-o", "day2.tif", "gamma:0.7"],
        ["process", "sample:cells", "-o", "cells_mask.tif", "channel:1", "threshold:otsu"],
        ["process", "sample:cells", "-o", "mask.tif", "channel:1", "threshold:otsu"],
        ["process", "sample:cells", "-o", "labels.nii.gz", "channel:1", "threshold:otsu", "label"],
    ]
    for arguments in made:
        result = run(voxscope, ["-q"] + arguments, folder)
        if result.returncode != 0:
            sys.exit(f"making an input failed: voxscope {' '.join(arguments)}\n{result.stderr}")


def output_of(arguments):
    """The file an example writes: its -o value, or convert's second positional."""
    for flag in ("-o", "--output"):
        if flag in arguments:
            return arguments[arguments.index(flag) + 1]
    if arguments and arguments[0] == "convert":
        positionals = [a for a in arguments[1:] if not a.startswith("-")]
        return positionals[1] if len(positionals) > 1 else None
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    voxscope, source_dir = os.path.abspath(sys.argv[1]), sys.argv[2]
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        make_inputs(voxscope, folder)
        commands, from_help = help_examples(voxscope, folder)
        from_docs = doc_examples(source_dir)
        examples = from_docs + from_help
        seen = set()
        examples = [(where, line, error) for where, line, error in examples
                    if not (line in seen or seen.add(line))]
        per_command = {command: 0 for command in commands}
        for where, line, error in examples:
            words = shlex.split(line, comments=True)[1:]
            if words and words[0] in per_command:
                per_command[words[0]] += 1
            output = output_of(words)
            if output and os.path.exists(os.path.join(folder, output)):
                os.remove(os.path.join(folder, output))
            result = run(voxscope, ["-q"] + words, folder)
            problem = None
            if error is not None:
                if result.returncode != 1 or result.stderr.strip() != error:
                    problem = f"status {result.returncode}, not the error shown ({error})"
            elif result.returncode != 0:
                problem = f"status {result.returncode}"
            elif "error" in result.stderr.lower():
                problem = "an error on stderr"
            elif output and not os.path.isfile(os.path.join(folder, output)):
                problem = f"no output '{output}'"
            elif output and os.path.getsize(os.path.join(folder, output)) == 0:
                problem = f"an empty '{output}'"
            if problem:
                failures.append(f"{where}: {line}\n  {problem}: {result.stderr.strip()}")
        readme_help = readme_help_block(source_dir)
        if readme_help != run(voxscope, ["--help"], folder).stdout:
            failures.append("README.md's '$ voxscope --help' block differs from voxscope --help")
        missing = sorted(command for command, count in per_command.items()
                         if count == 0 and command not in ("samples", "ops", "formats"))
        if missing:
            failures.append(f"commands with no example anywhere: {', '.join(missing)}")
    print(f"{len(examples)} distinct examples ({len(from_docs)} in the docs, "
          f"{len(from_help)} in --help)")
    for failure in failures:
        print(failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
