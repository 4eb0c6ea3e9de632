"""Prototype (issue 17, lever a): the CIN census read by two processes, each over half.

Not the import path: a measured prototype. ``read_split`` reads and checks a census the way
``cin_pipeline._read`` does (pseudonymised rows in Arrow files, duplicate keys in a
``Spill``), the file cut at a ``Child`` start near ``fraction`` of its bytes:

- this process reads bytes ``[0, cut)`` followed by a mark element ``<kpisCutMark/>``;
- a worker process (``python -m`` this file, job and key on its stdin, never argv or env)
  reads ``[0, first Child)`` + the mark + ``[cut, end)``: the header, then the second half,
  positions from 1 (renumbered by the parent: + the children of the first half).

The cut is only trusted when both processes saw their mark under the same open elements
(tag, prefix, namespaces): the parser was then in the same state at the cut as at the first
``Child`` (not inside a comment, CDATA, a processing instruction or a tag, same ancestors),
so the rest parses as it would in one pass. Otherwise, or when either part is no census
(a syntax error, a second header: lxml's errors depend on its 32 KB reads from the start of
the file), the caller reads the file again in one process.
"""

from __future__ import annotations

import json
import mmap
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
from lxml import etree
from pyarrow import ipc

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.kpis.imports import cin_reader as cr
from services.kpis.imports import cin_specs as cs
from services.kpis.imports.pseudonymise import Pseudonymiser
from services.kpis.imports.spill import Spill

MARK = b"<kpisCutMark/>"
_CHILD = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?Child[\s/>]")
LISTS = ("referral", "cin_episode", "assessment", "assessment_factor", "s47", "cp_plan")
_STR, _DATE, _BOOL, _INT = pl.String(), pl.Date(), pl.Boolean(), pl.Int32()
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "referral": {"referral_date": _DATE, "source": _STR, "nfa": _STR, "rereferral": _BOOL},
    "cin_episode": {"start_date": _DATE, "end_date": _DATE, "disabled": _BOOL},
    "assessment": {"start_date": _DATE, "authorised_date": _DATE},
    "assessment_factor": {"authorised_date": _DATE, "factor": _STR},
    "s47": {"s47_date": _DATE, "icpc_date": _DATE, "icpc_unnecessary": _STR},
    "cp_plan": {"start_date": _DATE, "end_date": _DATE, "category": _STR, "previous_plans": _INT},
}


def find_cut(path: Path, fraction: float) -> tuple[int, int] | None:
    """(first ``Child`` start, the cut: a ``Child`` start at ``fraction`` of the bytes)."""
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        head = m[:200].lstrip(b"\xef\xbb\xbf")
        declared = re.match(rb"<\?xml[^>]*encoding=[\"']([^\"']+)", head)
        if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii"):
            return None
        first = _CHILD.search(m)
        cut = _CHILD.search(m, int(len(m) * fraction))
        if first is None or cut is None or cut.start() <= first.start():
            return None
        return first.start(), cut.start()


class Feed:
    """A file-like source: pieces of the file (start, end) and literal bytes, in order."""

    def __init__(self, path: Path, pieces: list[tuple[int, int] | bytes]) -> None:
        self.file = path.open("rb")
        self.pieces = list(pieces)

    def read(self, size: int = -1) -> bytes:
        while self.pieces:
            piece = self.pieces[0]
            if isinstance(piece, bytes):
                self.pieces.pop(0)
                if piece:
                    return piece
                continue
            start, end = piece
            if start >= end:
                self.pieces.pop(0)
                continue
            take = end - start if size < 0 else min(size, end - start)
            self.file.seek(start)
            data = self.file.read(take)
            self.pieces[0] = (start + len(data), end)
            if not data:
                self.pieces.pop(0)
                continue
            return data
        return b""

    def close(self) -> None:
        self.file.close()


def _chain(element: Any) -> list[list[Any]]:
    found = []
    parent = element.getparent()
    while parent is not None:
        found.append([parent.tag, parent.prefix, sorted((parent.nsmap or {}).items(), key=str)])
        parent = parent.getparent()
    return found


class Part:
    """What one process read: header, children, problems, rows on disk, its mark's place."""

    def __init__(self, folder: Path, key: str, seed: int, parts: int) -> None:
        self.pseudo = Pseudonymiser(key)
        self.seed = seed
        self.paths = {name: folder / f"cin-{name}.arrow" for name in LISTS}
        self.writers: dict[str, tuple[Any, Any]] = {}
        self.seen = Spill(folder, "cin-children", parts, key="key")
        self.problems: list[cr.Problem] = []
        self.read = 0
        self.chain: list[list[Any]] | None = None
        self.header: cr.Header | None = None

    def on_block(self, rows: cr.ChildRows, problems: list[cr.Problem], read: int) -> None:
        self.problems.extend(problems)
        self.read = read
        if not rows.children:
            return
        ids = pl.DataFrame(
            rows.children, schema={"pos": pl.Int32(), "raw": pl.String()}, orient="row"
        )
        self.seen.add(ids.select(pl.col("raw").hash(self.seed).alias("key"), "pos"))
        pseudonyms = ids.select("pos", self.pseudo.child_column(ids["raw"]).alias("pseudo"))
        for name in LISTS:
            listed = getattr(rows, name)
            if not listed:
                continue
            schema = {"pos": pl.Int32(), "child": pl.String(), **SCHEMAS[name]}
            frame = pl.DataFrame(listed, schema=schema, orient="row")
            frame = frame.drop("child").join(pseudonyms, on="pos", how="left")
            table = frame.rename({"pseudo": "child"}).select(list(schema)).to_arrow()
            if name not in self.writers:
                sink = pa.OSFile(str(self.paths[name]), "wb")
                self.writers[name] = (sink, ipc.new_stream(sink, table.schema))
            self.writers[name][1].write_table(table)

    def close(self) -> None:
        for sink, writer in self.writers.values():
            writer.close()
            sink.close()
        self.writers = {}
        self.seen._close_writers()


def read_part(
    feed: Feed, given_year: int | None, block: int, part: Part, stop_at_mark: bool
) -> None:
    """``cin_reader.read_census`` over ``feed``, noting where the mark is."""
    rows, problems = cr.ChildRows(), []
    position = 0
    codes: cs.YearCodes | None = None
    parser = etree.iterparse(
        feed,
        events=("end",),
        tag=("{*}Header", "{*}Child", "{*}kpisCutMark"),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
    )
    try:
        for _event, element in parser:
            name = cr._local(element.tag)
            if name == "kpisCutMark":
                part.chain = _chain(element)
                cr._release(element)
                if stop_at_mark:
                    break
                continue
            if name == "Header":
                if part.header is not None:
                    raise cr.UnreadableCensus("more than one Header")
                part.header = cr._header(element, given_year)
                codes = cs.codes_for(part.header.collection_year)
                cr._release(element)
                continue
            if codes is None:
                raise cr.UnreadableCensus("a Child comes before the Header's CollectionDetails")
            position += 1
            checked = cr._Child(element, position, codes)
            checked.read(rows)
            problems.extend(checked.problems)
            cr._release(element)
            if position % block == 0:
                part.on_block(rows, problems, position)
                rows, problems = cr.ChildRows(), []
    except etree.XMLSyntaxError:
        raise cr.UnreadableCensus("not well-formed XML") from None
    if part.header is None:
        raise cr.UnreadableCensus("no Header/CollectionDetails: not a CIN census")
    part.on_block(rows, problems, position)


def _worker_main() -> None:
    line = sys.stdin.readline()
    if not line:  # a worker started ahead and not used
        return
    job = json.loads(line)
    path, folder = Path(job["path"]), Path(job["folder"])
    part = Part(folder, job["key"], job["seed"], job["parts"])
    feed = Feed(path, [(0, job["first"]), MARK, (job["cut"], path.stat().st_size)])
    try:
        read_part(feed, job["year"], job["block"], part, stop_at_mark=False)
        answer: dict[str, Any] = {"read": part.read, "problems": part.problems, "chain": part.chain}
    except cr.UnreadableCensus:
        answer = {"unreadable": True}
    finally:
        part.close()
        feed.close()
    sys.stdout.write(json.dumps(answer) + "\n")


def spawn_worker() -> subprocess.Popen[str]:
    """A worker process, its modules imported, waiting for its job on stdin."""
    here = Path(__file__).resolve()
    return subprocess.Popen(
        [sys.executable, str(here)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k.startswith(("PATH", "PYTHON", "LANG"))},
    )


#: a worker started ahead (``--warm`` in the benchmark): its start-up off the critical path
WARM: list[subprocess.Popen[str]] = []


def start_worker(job: dict[str, Any]) -> subprocess.Popen[str]:
    """The second half's process; the job (key included) goes through its stdin."""
    proc = WARM.pop() if WARM else spawn_worker()
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(job) + "\n")
    proc.stdin.close()
    return proc


def read_split(
    path: Path,
    folder: Path,
    key: str,
    seed: int,
    parts: int,
    given_year: int | None,
    block: int,
    fraction: float,
) -> tuple[Part, int, Path, dict[str, Any]] | None:
    """Both halves read; ``None`` when the cut cannot be trusted or a part is no census
    (read the file in one process then)."""
    found = find_cut(path, fraction)
    if found is None:
        return None
    first, cut = found
    second = folder / "second"
    second.mkdir()
    job = {
        "path": str(path),
        "folder": str(second),
        "key": key,
        "seed": seed,
        "parts": parts,
        "first": first,
        "cut": cut,
        "year": given_year,
        "block": block,
    }
    proc = start_worker(job)
    part = Part(folder, key, seed, parts)
    feed = Feed(path, [(0, cut), MARK])
    try:
        try:
            read_part(feed, given_year, block, part, stop_at_mark=True)
        except cr.UnreadableCensus:
            part.chain = None
    finally:
        part.close()
        feed.close()
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    proc.wait()
    if proc.returncode != 0:
        raise RuntimeError("the second half's reader stopped")
    answer = json.loads(out)
    if answer.get("unreadable") or part.chain is None or answer["chain"] != part.chain:
        return None
    return part, part.read, second, answer


def frames(path: Path, offset: int = 0) -> Iterator[pl.DataFrame]:
    if not path.exists():
        return
    with pa.OSFile(str(path), "rb") as source:
        for batch in ipc.open_stream(source):
            frame = pl.from_arrow(pa.Table.from_batches([batch]))
            assert isinstance(frame, pl.DataFrame)
            yield frame.with_columns(pl.col("pos") + offset) if offset else frame


Callback = Callable[[int], None]

if __name__ == "__main__":
    _worker_main()
