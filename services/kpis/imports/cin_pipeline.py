"""One CIN census import: read the XML as columns (``cin_fast``; or child by child with
``cin_reader`` when the file's shape asks for it, with the same answer), keep each block's
rows on disk (pseudonymised), find repeated children, ``COPY`` the lists into the
child-level store.

All-or-nothing as the other imports: a child with a problem is reported (position, element,
reason) and, unless the import is partial, nothing is stored; a partial import stores the
other children. A file that is no census (not well-formed, no header) stores nothing,
partial or not. The columnar reader's rows are copied as they are read (``cin_early``),
after a savepoint: taken back when the streaming reader had to read the file, or when a
repeated child must be left out of a partial import (the lists are then copied again
from their files); a rejected import is rolled back whole by the caller.

Per-row state stays on disk, not in memory: each block's rows go to one Arrow IPC file per
list in the job's working folder (pseudonyms, dates, codes and flags: the raw ``LAchildID``
never reaches the disk), and the duplicate check keeps a 64-bit hash of each ``LAchildID``
(seeded per import) with the child's position in a :class:`~spill.Spill`. A child whose
``LAchildID`` repeats an earlier child's is an error naming both positions; the first one
is kept.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
from pyarrow import ipc
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.imports.cin_early import EarlyCopy
from services.kpis.imports.cin_fast import Lists, read_fast
from services.kpis.imports.cin_reader import (
    COLUMNS,
    ChildRows,
    Header,
    Problem,
    UnreadableCensus,
    read_census,
)
from services.kpis.imports.cin_tokens import NotSimple
from services.kpis.imports.folders import SPILL_PREFIX
from services.kpis.imports.pipeline import Outcome, Upload
from services.kpis.imports.pseudonymise import Pseudonymiser
from services.kpis.imports.spill import Spill, parts_for
from services.kpis.imports.store import (
    copy_rows,
    derive,
    release_savepoint,
    rollback_to_savepoint,
    savepoint,
    to_copy,
)

KIND = "cin_census"
#: children read before a block is written out (a block: ~5 MB of rows)
BLOCK_CHILDREN = 10_000
#: rows copied at a time
LOAD_ROWS = 100_000

_STR, _DATE, _BOOL, _INT = pl.String(), pl.Date(), pl.Boolean(), pl.Int32()
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "referral": {"referral_date": _DATE, "source": _STR, "nfa": _STR, "rereferral": _BOOL},
    "cin_episode": {"start_date": _DATE, "end_date": _DATE, "disabled": _BOOL},
    "assessment": {"start_date": _DATE, "authorised_date": _DATE},
    "assessment_factor": {"authorised_date": _DATE, "factor": _STR},
    "s47": {"s47_date": _DATE, "icpc_date": _DATE, "icpc_unnecessary": _STR},
    "cp_plan": {"start_date": _DATE, "end_date": _DATE, "category": _STR, "previous_plans": _INT},
}
assert all(tuple(SCHEMAS[n]) == COLUMNS[n] for n in COLUMNS)


def _schema(name: str) -> dict[str, pl.DataType]:
    return {"pos": pl.Int32(), "child": pl.String(), **SCHEMAS[name]}


class _ListFiles:
    """One Arrow IPC stream per list: pseudonymised rows, appended block by block."""

    def __init__(self, folder: Path) -> None:
        self.paths = {name: folder / f"cin-{name}.arrow" for name in SCHEMAS}
        self._writers: dict[str, tuple[pa.NativeFile, ipc.RecordBatchStreamWriter]] = {}

    def add(self, name: str, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        table = frame.to_arrow()
        if name not in self._writers:
            sink = pa.OSFile(str(self.paths[name]), "wb")
            self._writers[name] = (sink, ipc.new_stream(sink, table.schema))
        self._writers[name][1].write_table(table)

    def close(self) -> None:
        for sink, writer in self._writers.values():
            writer.close()
            sink.close()
        self._writers = {}

    def frames(self, name: str, rows: int) -> Iterator[pl.DataFrame]:
        """The list's rows in frames of about ``rows`` rows, read one at a time."""
        path = self.paths[name]
        if not path.exists():
            return
        with pa.OSFile(str(path), "rb") as source:
            pending: list[pa.RecordBatch] = []
            count = 0
            for batch in ipc.open_stream(source):
                pending.append(batch)
                count += batch.num_rows
                if count >= rows:
                    yield _frame(pending)
                    pending, count = [], 0
            if pending:
                yield _frame(pending)


def _frame(batches: list[pa.RecordBatch]) -> pl.DataFrame:
    frame = pl.from_arrow(pa.Table.from_batches(batches))
    assert isinstance(frame, pl.DataFrame)
    return frame


def frames_of(rows: ChildRows) -> tuple[pl.DataFrame, Lists]:
    """The streaming reader's rows of a block as frames."""
    children = pl.DataFrame(
        rows.children, schema={"pos": pl.Int32(), "raw": pl.String()}, orient="row"
    )
    lists = {
        name: pl.DataFrame(getattr(rows, name), schema=_schema(name), orient="row")
        for name in SCHEMAS
    }
    return children, lists


class _Reading:
    """What the reader thread does with each block: issues, pseudonyms, files on disk."""

    def __init__(
        self,
        folder: Path,
        name: str,
        pseudonymiser: Pseudonymiser,
        outcome: Outcome,
        source_bytes: int,
        progress: Callable[[int], None] | None,
        offer: Callable[[str, pl.DataFrame], None] | None = None,
    ) -> None:
        self.name, self.pseudo, self.outcome, self.progress = name, pseudonymiser, outcome, progress
        self.offer = offer
        self.files = _ListFiles(folder)
        self.seen = Spill(folder, "cin-children", parts_for(source_bytes), key="key")
        self.seed = secrets.randbits(63)
        self.header: Header | None = None

    def on_header(self, header: Header) -> None:
        self.header = header
        self.outcome.collection_year = header.collection_year
        self.outcome.years = [header.collection_year]

    def on_block(self, rows: ChildRows, problems: list[Problem], read: int) -> None:
        children, lists = frames_of(rows)
        self.on_frames(children, lists, problems, read)

    def on_frames(
        self, children: pl.DataFrame, lists: Lists, problems: list[Problem], read: int
    ) -> None:
        """A block's problems noted, its rows pseudonymised and written to the list files
        (``children``: ``pos`` and ``raw``, the ``LAchildID``; each list: ``pos``, the
        list's columns and perhaps ``child`` as written, which is replaced)."""
        for position, element, reason in problems:
            self.outcome.issues.add("error", self.name, position, element, reason)
        self.outcome.rows_read = read
        if self.progress is not None:
            self.progress(read)
        if not children.height:
            return
        keys = children.select(pl.col("raw").hash(self.seed).alias("key"), "pos")
        self.seen.add(keys)
        pseudonyms = children.select(
            "pos", self.pseudo.child_column(children["raw"]).alias("pseudo")
        )
        for name, listed in lists.items():
            if not listed.height:
                continue
            frame = listed.drop("child", strict=False).join(pseudonyms, on="pos", how="left")
            frame = frame.rename({"pseudo": "child"}).select(list(_schema(name)))
            self.files.add(name, frame)
            if self.offer is not None:
                self.offer(name, frame)

    def repeated(self) -> pl.DataFrame:
        """``pos`` and ``first`` (the earlier position) of each child whose ``LAchildID``
        repeats an earlier one's, in file order."""
        found = [
            part.filter(pl.col("key").is_duplicated())
            .with_columns(pl.col("pos").min().over("key").alias("first"))
            .filter(pl.col("pos") != pl.col("first"))
            .select("pos", "first")
            for part in self.seen.parts_read()
        ]
        if not found:
            return pl.DataFrame(schema={"pos": pl.Int32(), "first": pl.Int32()})
        return pl.concat(found).sort("pos")


def _read(
    upload: Upload,
    folder: Path,
    pseudonymiser: Pseudonymiser,
    outcome: Outcome,
    given_year: int | None,
    progress: Callable[[int], None] | None,
    early: EarlyCopy | None = None,
) -> tuple[_ListFiles, pl.Series] | None:
    """Read and check the whole file; the list files and the positions left out
    (repeated children), or ``None`` when the file is no census.

    The columnar reader first (``cin_fast``), into its own folder and a trial outcome,
    its rows offered to ``early`` as they are read; when it cannot be sure of the
    streaming reader's answer it says so, its work is dropped (``early`` spoiled) and the
    streaming reader reads the file from the start."""
    columns = folder / "columns"
    columns.mkdir()
    trial = Outcome(collection_year=outcome.collection_year)
    offer = early.offer if early is not None else None
    try:
        found = _read_with(upload, columns, pseudonymiser, trial, given_year, progress, True, offer)
    except NotSimple:
        if early is not None:
            early.spoil()
        shutil.rmtree(columns)
    else:
        outcome.issues.extend(trial.issues)
        outcome.rows_read, outcome.structural = trial.rows_read, trial.structural
        outcome.collection_year, outcome.years = trial.collection_year, trial.years
        return found
    stream = folder / "stream"
    stream.mkdir()
    return _read_with(upload, stream, pseudonymiser, outcome, given_year, progress, False)


def _read_with(
    upload: Upload,
    folder: Path,
    pseudonymiser: Pseudonymiser,
    outcome: Outcome,
    given_year: int | None,
    progress: Callable[[int], None] | None,
    columnar: bool,
    offer: Callable[[str, pl.DataFrame], None] | None = None,
) -> tuple[_ListFiles, pl.Series] | None:
    reading = _Reading(
        folder, upload.name, pseudonymiser, outcome, upload.path.stat().st_size, progress, offer
    )
    try:
        try:
            if columnar:
                read_fast(upload.path, given_year, reading.on_header, reading.on_frames, frames_of)
            else:
                read_census(
                    upload.path, given_year, BLOCK_CHILDREN, reading.on_header, reading.on_block
                )
        except UnreadableCensus as exc:
            outcome.issues.add("error", upload.name, None, None, str(exc))
            outcome.structural = True
            return None
        finally:
            reading.files.close()
        repeated = reading.repeated()
    finally:
        reading.seen.close()
    for pos, first in repeated.iter_rows():
        reason = f"LAchildID repeats the child at position {first}"
        outcome.issues.add("error", upload.name, pos, "ChildIdentifiers/LAchildID", reason)
    if outcome.rows_read == 0:
        outcome.issues.add("error", upload.name, None, None, "the census has no Child")
        outcome.structural = True
        return None
    return reading.files, repeated.get_column("pos")


async def run(
    session: AsyncSession,
    *,
    import_id: uuid.UUID,
    uploads: list[Upload],
    pseudonymiser: Pseudonymiser,
    partial: bool,
    collection_year: int | None,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    outcome = Outcome(collection_year=collection_year)
    if len(uploads) != 1:
        outcome.issues.add("error", "(import)", None, None, "send one CIN census XML file")
        outcome.structural = True
        return outcome
    upload = uploads[0]
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=SPILL_PREFIX, dir=upload.path.parent) as folder:
        early = EarlyCopy(session, import_id)
        await savepoint(session)
        reading = asyncio.to_thread(
            _read, upload, Path(folder), pseudonymiser, outcome, collection_year, progress, early
        )
        read = await early.alongside(reading)
        clock = outcome.spent("read_validate", clock)
        if read is None or (outcome.rejected and not partial):
            return outcome  # the caller rolls the transaction back
        files, left_out = read
        if not early.spoiled and not left_out.len():
            await release_savepoint(session)  # every row is in
            for name, stored in early.stored.items():
                outcome.rows_stored += stored
                outcome.lists[name] = stored
            return outcome
        await rollback_to_savepoint(session)
        for name in SCHEMAS:
            frames = files.frames(name, LOAD_ROWS)
            while (frame := await asyncio.to_thread(next, frames, None)) is not None:
                derived, payload = await asyncio.to_thread(
                    _encode, name, frame, left_out, import_id
                )
                stored = await copy_rows(session, name, derived, payload)
                outcome.rows_stored += stored
                outcome.lists[name] = outcome.lists.get(name, 0) + stored
        outcome.spent("copy", clock)
    return outcome


def _encode(
    name: str, frame: pl.DataFrame, left_out: pl.Series, import_id: uuid.UUID
) -> tuple[pl.DataFrame, list[bytes]]:
    if left_out.len():
        frame = frame.filter(~pl.col("pos").is_in(left_out.implode()))
    derived = derive(name, frame.drop("pos"), import_id)
    return derived, to_copy(derived)
