#!/usr/bin/env python3
"""Runs one CLI golden case: `run_golden.py VOXSCOPE CASE_DIR [--update]`.

A case folder holds `args` (the command line after `voxscope`, one line, shell quoting)
and the expected `stdout`, `stderr` and `status`. The command runs inside a temporary
copy of the case folder, so a case can carry its own input files and may write outputs.
--update rewrites the expectations.
"""
import os
import shlex
import shutil
import subprocess
import sys
import tempfile


def main():
    voxscope, case_dir = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv[3:]
    with open(os.path.join(case_dir, "args"), encoding="utf-8") as file:
        args = shlex.split(file.read())
    env = dict(os.environ, LC_ALL="C.UTF-8")
    with tempfile.TemporaryDirectory() as scratch:
        work_dir = os.path.join(scratch, "case")
        shutil.copytree(case_dir, work_dir)
        result = subprocess.run([voxscope] + args, cwd=work_dir, capture_output=True, env=env,
                                timeout=300, check=False)
    actual = {"stdout": result.stdout.decode("utf-8"), "stderr": result.stderr.decode("utf-8"),
              "status": f"{result.returncode}\n"}
    failed = []
    for name, text in actual.items():
        path = os.path.join(case_dir, name)
        if update:
            with open(path, "w", encoding="utf-8") as file:
                file.write(text)
            continue
        expected = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        if text != expected:
            failed.append(name)
            print(f"--- expected {name}\n{expected}--- actual {name}\n{text}")
    if failed:
        print(f"FAILED: {os.path.basename(case_dir)}: {', '.join(failed)} differ")
        return 1
    print(f"ok: voxscope {' '.join(args)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
