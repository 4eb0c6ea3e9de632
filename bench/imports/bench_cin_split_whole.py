"""Issue 17, lever (a) in the whole import: ``bench_cin.py`` with ``cin_pipeline._read``
replaced, in this process only, by the two-process read of ``cin_split.py``.

    .venv/bin/python bench/imports/bench_cin_split_whole.py [--fraction 0.6] \\
        [--children 100000] [--repeat 3]

A measurement, not the import path: the merged rows, problems and repeated children are
those ``bench_cin_split.py`` compares with the one-process read. No memory probe (the
probes run in new processes, without the replacement).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cin
import cin_split as cx

from services.kpis.imports import cin_pipeline
from services.kpis.imports.spill import parts_for
from tests.support.database import server_url

_ONE_PROCESS = cin_pipeline._read
FRACTION = 0.6
WARM = False


class _Files:
    def __init__(self, first: Path, second: Path, offset: int) -> None:
        self.first, self.second, self.offset = first, second, offset

    def frames(self, name: str, rows: int) -> Iterator[pl.DataFrame]:
        pending: list[pl.DataFrame] = []
        count = 0
        for folder, add in ((self.first, 0), (self.second, self.offset)):
            for frame in cx.frames(folder / f"cin-{name}.arrow", add):
                pending.append(frame)
                count += frame.height
                if count >= rows:
                    yield pl.concat(pending)
                    pending, count = [], 0
        if pending:
            yield pl.concat(pending)


def _repeated(first: Path, second: Path, offset: int, parts: int) -> pl.DataFrame:
    found = []
    for n in range(parts):
        frames = list(cx.frames(first / f"cin-children.{n}.arrow"))
        frames += list(cx.frames(second / f"cin-children.{n}.arrow", offset))
        if not frames:
            continue
        found.append(
            pl.concat(frames)
            .filter(pl.col("key").is_duplicated())
            .with_columns(pl.col("pos").min().over("key").alias("first"))
            .filter(pl.col("pos") != pl.col("first"))
            .select("pos", "first")
        )
    if not found:
        return pl.DataFrame(schema={"pos": pl.Int32(), "first": pl.Int32()})
    return pl.concat(found).sort("pos")


def split_read(
    upload: Any, folder: Path, pseudo: Any, outcome: Any, given_year: Any, progress: Any
) -> Any:
    parts = parts_for(upload.path.stat().st_size)
    seed = secrets.randbits(63)
    done = cx.read_split(
        upload.path,
        folder,
        pseudo._text_key,
        seed,
        parts,
        given_year,
        cin_pipeline.BLOCK_CHILDREN,
        FRACTION,
    )
    if WARM:
        cx.WARM.append(cx.spawn_worker())  # for the next run
    if done is None:
        raise SystemExit("the generated census must split")
    part, offset, second, answer = done
    assert part.header is not None
    outcome.collection_year = part.header.collection_year
    outcome.years = [part.header.collection_year]
    for pos, element, reason in part.problems:
        outcome.issues.add("error", upload.name, pos, element, reason)
    for pos, element, reason in answer["problems"]:
        outcome.issues.add("error", upload.name, pos + offset, element, reason)
    outcome.rows_read = offset + answer["read"]
    repeated = _repeated(folder, second, offset, parts)
    for pos, first in repeated.iter_rows():
        reason = f"LAchildID repeats the child at position {first}"
        outcome.issues.add("error", upload.name, pos, "ChildIdentifiers/LAchildID", reason)
    return _Files(folder, second, offset), repeated.get_column("pos")


def main() -> None:
    global FRACTION, WARM
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fraction", type=float, default=FRACTION)
    parser.add_argument("--warm", action="store_true", help="a worker started ahead")
    args = parser.parse_args()
    FRACTION, WARM = args.fraction, args.warm
    if WARM:
        cx.WARM.append(cx.spawn_worker())
    cin_pipeline._read = split_read  # type: ignore[assignment]
    ns = argparse.Namespace(children=args.children, repeat=args.repeat, memory_children=[])
    with server_url() as url:
        asyncio.run(bench_cin.main_async(ns, url))


if __name__ == "__main__":
    main()
