"""Issue 17, lever (a) measured: the census read by two processes (``cin_split.py``) against
the import's one-process read (``cin_pipeline._read``) and a bare iterparse.

    .venv/bin/python bench/imports/bench_cin_split.py [--children 100000] [--repeat 3] \\
        [--broken 3000 --files 6]

Times (wall; CPU of this process, and of the worker from ``RUSAGE_CHILDREN``) the read and
check phase only: no database. Every run also checks the two reads give the same rows
(every list file, positions renumbered), the same problems and the same repeated children;
``--files`` census files of ``--broken`` children with random errors are compared the same
way (a file whose cut is not trusted, or with a syntax error, is read again in one process:
counted, and then equal by construction).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cin_split as cx
from bench_cin import bare_iterparse, write_census

from services.kpis.imports import cin_generator, cin_pipeline
from services.kpis.imports.normalise import Issues
from services.kpis.imports.pipeline import Outcome, Upload
from services.kpis.imports.pseudonymise import Pseudonymiser
from services.kpis.imports.spill import parts_for

KEY = "bench-key-" + "x" * 20


def single(path: Path, folder: Path, seed: int) -> dict[str, Any]:
    outcome = Outcome()
    pseudo = Pseudonymiser(KEY)
    upload = Upload(name="census.xml", path=path)  # type: ignore[call-arg]
    randbits = secrets.randbits
    secrets.randbits = lambda _bits: seed  # the same hash seed as the split read
    try:
        read = cin_pipeline._read(upload, folder, pseudo, outcome, None, None)
    finally:
        secrets.randbits = randbits
    result: dict[str, Any] = {"issues": outcome.issues.errors, "count": outcome.issues.error_count}
    if read is None:
        result["unreadable"] = True
        return result
    files, left_out = read
    result["left_out"] = left_out.to_list()
    for name in cin_pipeline.SCHEMAS:
        found = list(cx.frames(files.paths[name]))
        result[name] = pl.concat(found) if found else None
    return result


def split(path: Path, folder: Path, seed: int, fraction: float) -> dict[str, Any] | None:
    parts = parts_for(path.stat().st_size)
    done = cx.read_split(
        path, folder, KEY, seed, parts, None, cin_pipeline.BLOCK_CHILDREN, fraction
    )
    if done is None:
        return None
    part, offset, second, answer = done
    issues = Issues()
    for pos, element, reason in part.problems:
        issues.add("error", "census.xml", pos, element, reason)
    for pos, element, reason in answer["problems"]:
        issues.add("error", "census.xml", pos + offset, element, reason)
    # repeated children over both halves, part by part
    found = []
    for n in range(parts):
        # renumber the second half's positions
        frames = [f for f in cx.frames(folder / f"cin-children.{n}.arrow")]
        frames += [
            f.with_columns(pl.col("pos") + offset)
            for f in cx.frames(second / f"cin-children.{n}.arrow")
        ]
        if not frames:
            continue
        whole = pl.concat(frames)
        found.append(
            whole.filter(pl.col("key").is_duplicated())
            .with_columns(pl.col("pos").min().over("key").alias("first"))
            .filter(pl.col("pos") != pl.col("first"))
            .select("pos", "first")
        )
    repeated = (
        pl.concat(found).sort("pos")
        if found
        else pl.DataFrame(schema={"pos": pl.Int32(), "first": pl.Int32()})
    )
    for pos, first in repeated.iter_rows():
        reason = f"LAchildID repeats the child at position {first}"
        issues.add("error", "census.xml", pos, "ChildIdentifiers/LAchildID", reason)
    result: dict[str, Any] = {"issues": issues.errors, "count": issues.error_count}
    result["left_out"] = repeated.get_column("pos").to_list()
    for name in cin_pipeline.SCHEMAS:
        found_frames = list(cx.frames(folder / f"cin-{name}.arrow"))
        found_frames += list(cx.frames(second / f"cin-{name}.arrow", offset))
        result[name] = pl.concat(found_frames) if found_frames else None
    return result


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    for key in ("issues", "count", "left_out", "unreadable"):
        if a.get(key) != b.get(key):
            print(f"  differ: {key}", file=sys.stderr)
            return False
    for name in cin_pipeline.SCHEMAS:
        x, y = a.get(name), b.get(name)
        if (x is None) != (y is None) or (x is not None and not x.equals(y)):
            print(f"  differ: {name}", file=sys.stderr)
            return False
    return True


def broken_census(path: Path, children: int, rng: random.Random, tail: bool = True) -> None:
    text = cin_generator.census_bytes(
        2023, cin_generator.children(children, 2023, seed=rng.randrange(1000))
    ).decode()
    lines = text.split("\n")
    for _ in range(children // 50):
        i = rng.randrange(2, len(lines) - 2)
        line = lines[i]
        kind = rng.randrange(7)
        if kind == 0:
            line = line.replace("<ReferralSource>", "<ReferralSource>zz", 1)
        elif kind == 1:
            line = line.replace("-0", "-1", 1).replace("-1", "-13", 1)
        elif kind == 2:
            line = line.replace("<ReferralNFA>false", "<ReferralNFA>maybe", 1)
        elif kind == 3:
            line = line.replace("<Assessments>", "<Disability>MOB</Disability><Assessments>", 1)
        elif kind == 4:  # a repeated LAchildID, often across the halves
            other = re.search(r"<LAchildID>[^<]*<", lines[rng.randrange(2, len(lines) - 2)])
            if other:
                line = re.sub(r"<LAchildID>[^<]*<", other.group(0), line, count=1)
        elif kind == 5:  # a Child start inside a comment, between children
            line = "<!-- <Child> -->" + line
        else:
            line = line.replace("<CINdetails>", "<?pi x?><CINdetails>", 1)
        lines[i] = line
    out = "\n".join(lines)
    if tail and rng.random() < 0.3:
        out = out[: rng.randrange(len(out) // 2, len(out))]
    path.write_text(out, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fraction", type=float, default=0.45)
    parser.add_argument("--broken", type=int, default=3000)
    parser.add_argument("--files", type=int, default=6)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-cin-split-"))
    try:
        rng = random.Random(4)
        fallbacks = 0
        for n in range(args.files):
            path = tmp / f"broken-{n}.xml"
            broken_census(path, args.broken, rng, tail=n != 0)
            if n == 0:  # every Child start also inside a comment: the cut must not be trusted
                text = path.read_text(encoding="utf-8").replace(
                    "\n<Child>", "\n<!-- <Child> --><Child>"
                )
                path.write_text(text, encoding="utf-8")
            seed = secrets.randbits(63)
            a = single(path, Path(tempfile.mkdtemp(dir=tmp)), seed)
            b = split(path, Path(tempfile.mkdtemp(dir=tmp)), seed, rng.uniform(0.2, 0.8))
            if b is None:
                fallbacks += 1
                print(
                    f"broken file {n}: cut not trusted or no census -> one process "
                    f"(no census: {a.get('unreadable', False)})"
                )
                continue
            repeats = sum("repeats" in str(i["reason"]) for i in a["issues"])
            print(
                f"broken file {n}: {a['count']} problems ({repeats} repeated LAchildID), "
                f"equal: {same(a, b)}"
            )
        print(f"broken files read again in one process: {fallbacks} of {args.files}")
        path = write_census(args.children, tmp / "census.xml")
        for _ in range(args.repeat):
            print(f"load {os.getloadavg()[0]:.1f}")
            bare = bare_iterparse(path)
            seed = secrets.randbits(63)
            t0, c0 = time.perf_counter(), time.process_time()
            a = single(path, Path(tempfile.mkdtemp(dir=tmp)), seed)
            one = (time.perf_counter() - t0, time.process_time() - c0)
            k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0, c0 = time.perf_counter(), time.process_time()
            b = split(path, Path(tempfile.mkdtemp(dir=tmp)), seed, args.fraction)
            two = (time.perf_counter() - t0, time.process_time() - c0)
            k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            worker = (k1.ru_utime + k1.ru_stime) - (k0.ru_utime + k0.ru_stime)
            assert b is not None
            print(
                f"iterparse {bare[1]:.2f} s (CPU {bare[2]:.2f}); one process {one[0]:.2f} s "
                f"(CPU {one[1]:.2f}); two {two[0]:.2f} s (CPU here {two[1]:.2f}, worker "
                f"{worker:.2f}); equal: {same(a, b)}; load now {os.getloadavg()[0]:.1f}; "
                f"largest worker RSS so far {k1.ru_maxrss / 1024:.0f} MB"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
