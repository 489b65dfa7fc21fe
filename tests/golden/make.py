#!/usr/bin/env python3
"""Golden outputs: SHA-256 digests of every file the CLI writes for every fixture and reference case.

Made by the binary *before* a refactor and committed, so that `tests/golden.rs` can prove a later
binary writes the same bytes. Only what a run cannot reproduce is normalised away: the two
wall-time fields (`wall_time_s`, `build_time_s`) of summary.json and converge.json are set to 0,
the same two f64 (the last 16 bytes) of data.bin and the last column (wall_time_s) of
converge.csv are dropped, and the temporary directory's path in stdout is replaced by `{tmp}`.

    cargo build --release && python3 tests/golden/make.py target/release/exactlif

writes tests/golden/manifest.txt (`<case>/<file> <sha256>` per line). The cases are listed in
tests/golden/cases.txt, one command line per case (`name: args`), with MODEL paths relative to
the repository root, `{out}` for the case's output directory and `{tmp}` for the directory
holding every case's output (so `compare` can read earlier cases).
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WALL = re.compile(rb'("(?:wall_time_s|build_time_s)":\s*)[-+0-9.eE]+')


def normalised(name, data):
    if name.endswith('.json'):
        return WALL.sub(rb'\g<1>0', data)
    if name == 'data.bin':
        return data[:-16]
    if name == 'converge.csv':
        # the last column is wall_time_s
        return b'\n'.join(line.rsplit(b',', 1)[0] for line in data.split(b'\n'))
    return data


def digests(out):
    rows = []
    for dirpath, _, files in os.walk(out):
        for f in files:
            p = os.path.join(dirpath, f)
            rel = os.path.relpath(p, out)
            with open(p, 'rb') as fh:
                rows.append((rel, hashlib.sha256(normalised(f, fh.read())).hexdigest()))
    return sorted(rows)


def main():
    binary = os.path.abspath(sys.argv[1])
    cases = []
    with open(os.path.join(ROOT, 'tests/golden/cases.txt')) as fh:
        for line in fh:
            line = line.strip()
            if line and not line.startswith('#'):
                name, args = line.split(':', 1)
                cases.append((name.strip(), args.split()))
    lines = []
    tmp = tempfile.mkdtemp()
    try:
        for name, args in cases:
            out = os.path.join(tmp, name)
            argv = [binary] + [a.replace('{out}', out).replace('{tmp}', tmp) for a in args]
            r = subprocess.run(argv, cwd=ROOT, capture_output=True)
            if r.returncode != 0:
                sys.exit(f'{name}: exit {r.returncode}: {r.stderr.decode()}')
            if os.path.isdir(out):
                for rel, h in digests(out):
                    lines.append(f'{name}/{rel} {h}')
            if '{out}' not in ' '.join(args):
                # check / compare: stdout is the output
                stdout = r.stdout.replace(tmp.encode(), b'{tmp}')
                lines.append(f'{name}/stdout {hashlib.sha256(stdout).hexdigest()}')
    finally:
        shutil.rmtree(tmp)
    with open(os.path.join(ROOT, 'tests/golden/manifest.txt'), 'w') as fh:
        fh.write('\n'.join(lines) + '\n')
    print(f'{len(lines)} digests of {len(cases)} cases')


if __name__ == '__main__':
    main()
