"""The CIN census read as columns, with the streaming reader's answer exactly.

The streaming reader (``cin_reader.read_census``) spends most of an import in Python, a
few microseconds per element. This reader hands the text of each block of children to
polars (``cin_tokens``: tags and texts; ``cin_columns``: checks and rows), while lxml
parses the same file on another thread with the streaming reader's own settings, so the
file is still well-formed exactly when lxml says so. It answers only when it can answer
as the streaming reader would, and otherwise says :class:`NotSimple` (the caller then
reads the file with ``read_census`` from the start):

- the file: UTF-8 (declared so, or not declared), no comment, CDATA section, processing
  instruction or DOCTYPE after the declaration; a root element holding one ``Header``
  and then ``Children``, whose elements are ``Child`` elements with no attribute inside;
  nothing but spaces after the last ``Child``; the header read without a problem;
- lxml parsed the whole file without an error.

Within such a file, a child whose fields are not all written canonically
(``cin_columns``) is parsed again on its own by lxml (inside the file's own root and
``Children`` start tags, so its namespaces are the same) and checked by
``cin_reader._Child``: its problems and rows are the streaming reader's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from services.kpis.imports import cin_specs as cs
from services.kpis.imports.cin_columns import block, listed
from services.kpis.imports.cin_reader import (
    PARSER_SETTINGS,
    ChildRows,
    Header,
    Problem,
    UnreadableCensus,
    _Child,
    _header,
    _local,
)
from services.kpis.imports.cin_tokens import NotSimple, tokens

#: bytes read at a time (a block: the whole children in them)
BLOCK_BYTES = 8 << 20
#: bytes read without a Child's end before the file is left to the streaming reader
#: (which holds one child in memory, however long, as it always did)
LONGEST_CHILD = 64 << 20
#: bytes fed to the validating parser at a time
FEED_BYTES = 1 << 20
#: how far into the file the ``Children`` start tag may be
HEAD_BYTES = 1 << 20

_NAME = rb"(?:[A-Za-z_][\w.\-]*:)?[A-Za-z_][\w.\-]*"
_ATTRS = rb"(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*"
_DECLARATION = re.compile(rb"\A(?:\xef\xbb\xbf)?(?:<\?xml\s[^>]*\?>)?")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_ROOT = re.compile(rb"\s*<(" + _NAME + rb")" + _ATTRS + rb">")
_CHILDREN = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?Children)" + _ATTRS + rb">")
_CHILD_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?Child>")

#: rows per list for a block: ``pos`` and the list's columns (``child`` as written, too,
#: in the streaming reader's frames; it is replaced by the pseudonym)
Lists = dict[str, pl.DataFrame]
OnFrames = Callable[[pl.DataFrame, Lists, list[Problem], int], None]


@dataclass(frozen=True)
class _Head:
    header: Header
    body: int  # where the first child may start
    opening: bytes  # the root's and ``Children``'s start tags, as written
    closing: bytes  # their end tags
    tail: re.Pattern[bytes]  # what may follow the last child


def _head(start: bytes, given_year: int | None) -> _Head:
    declared = _DECLARATION.match(start)
    assert declared is not None  # the pattern matches the empty string
    encoding = _ENCODING.search(declared.group())
    if encoding and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
        raise NotSimple("the file is not declared UTF-8")
    root = _ROOT.match(start, declared.end())
    children = _CHILDREN.search(start, root.end()) if root else None
    if root is None or children is None:
        raise NotSimple("no root and Children start tags in the file's first megabyte")
    head = start[declared.end() : children.end()]
    if b"<!" in head or b"<?" in head:
        raise NotSimple("a comment, CDATA or processing instruction in the header")
    root_name, children_name = root.group(1), children.group(1)
    closing = b"</" + children_name + b"></" + root_name + b">"
    try:
        parsed = etree.fromstring(head + closing, etree.XMLParser(**PARSER_SETTINGS))
    except etree.XMLSyntaxError:
        raise NotSimple("the header is not well-formed on its own") from None
    names = [_local(e.tag) for e in parsed.iter() if isinstance(e.tag, str)]
    last = parsed[-1] if len(parsed) else None
    if names.count("Header") != 1 or "Child" in names or last is None or len(last):
        raise NotSimple("the header is not one Header before Children")
    header = next(e for e in parsed.iter() if _local(e.tag) == "Header")
    try:
        read = _header(header, given_year)
    except UnreadableCensus:
        raise NotSimple("the header has a problem") from None
    tail = rb"\s*</" + re.escape(children_name) + rb">\s*</" + re.escape(root_name) + rb">\s*\Z"
    opening = start[root.start(1) - 1 : children.end()]
    return _Head(read, children.end(), opening, closing, re.compile(tail))


def _blocks(path: Path, head: _Head) -> Iterator[bytes]:
    """The text of whole children, about :data:`BLOCK_BYTES` at a time."""
    with path.open("rb") as source:
        source.seek(head.body)
        pending = b""
        while True:
            more = source.read(BLOCK_BYTES)
            pending += more
            cut = _last_child_end(pending) if more else None
            if cut is None:
                if more and len(pending) > LONGEST_CHILD:
                    raise NotSimple("no Child ends in the next 64 MB")
                if more:
                    continue
                if not head.tail.match(pending):
                    raise NotSimple("more than spaces after the last Child")
                return
            text, pending = pending[:cut], pending[cut:]
            yield text  # cin_tokens refuses a comment, CDATA or processing instruction


def _last_child_end(data: bytes) -> int | None:
    for window in (1 << 16, len(data)):
        found = list(_CHILD_END.finditer(data, max(0, len(data) - window)))
        if found:
            return found[-1].end()
    return None


class _Validator(threading.Thread):
    """lxml's parse of the whole file beside the columns, with the streaming reader's
    parser settings (lxml and polars leave the interpreter's lock while they work): the
    file fed a megabyte at a time to lxml's push parser (as ``iterparse`` feeds it), the
    children parsed so far dropped after each (memory: one megabyte of children)."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="cin-validate", daemon=True)
        self.path, self.stop = path, threading.Event()
        self.failed = False

    def run(self) -> None:
        parser = etree.XMLPullParser(events=("start",), tag="{*}Children", **PARSER_SETTINGS)
        holder: Any = None
        try:
            with self.path.open("rb") as source:
                while (data := source.read(FEED_BYTES)) and not self.stop.is_set():
                    parser.feed(data)
                    for _event, element in parser.read_events():
                        holder = element if holder is None else holder
                    if holder is not None and len(holder) > 1:
                        del holder[:-1]  # the last may still be open
            if not self.stop.is_set():
                parser.close()
        except (etree.XMLSyntaxError, OSError):
            self.failed = True


def _again(
    text: bytes, at: list[tuple[int, int, int]], head: _Head, codes: cs.YearCodes
) -> tuple[ChildRows, list[Problem]]:
    """The flagged children, each parsed again on its own and checked by ``_Child``."""
    rows, problems = ChildRows(), []
    parser = etree.XMLParser(**PARSER_SETTINGS)
    for pos, start, end in at:
        document = head.opening + text[start:end] + head.closing
        try:
            root = etree.fromstring(document, parser)
        except etree.XMLSyntaxError:
            raise NotSimple("a child lxml refuses on its own") from None
        element = next(e for e in root[-1] if isinstance(e.tag, str))
        checked = _Child(element, pos, codes)
        checked.read(rows)
        problems.extend(checked.problems)
    return rows, problems


def read_fast(
    path: Path,
    given_year: int | None,
    on_header: Callable[[Header], None],
    on_frames: OnFrames,
    from_rows: Callable[[ChildRows], tuple[pl.DataFrame, Lists]],
) -> int:
    """Read the census at ``path`` as ``read_census`` would, handing each block's rows over
    as frames. Raises :class:`NotSimple` when it cannot be sure to (before or after some
    blocks were handed over: the caller then discards them) and ``UnreadableCensus`` never
    (a file lxml refuses is :class:`NotSimple` too, for ``read_census`` to report)."""
    with path.open("rb") as source:
        start = source.read(HEAD_BYTES)
    head = _head(start, given_year)
    validator = _Validator(path)
    validator.start()
    try:
        codes = cs.codes_for(head.header.collection_year)
        known = listed(codes)
        on_header(head.header)
        position = 0
        for text in _blocks(path, head):
            tags = tokens(text, position + 1)
            found = block(tags, known)
            children, lists = found.children, found.lists
            problems: list[Problem] = []
            if found.flagged:
                ats = _child_spans(tags, found.flagged, len(text))
                rows, problems = _again(text, ats, head, codes)
                more_children, more = from_rows(rows)
                children = pl.concat([children, more_children]).sort("pos")
                lists = {
                    name: pl.concat([frame, more[name].drop("child")]).sort(
                        "pos", maintain_order=True
                    )
                    for name, frame in lists.items()
                }
            position = int(tags.get_column("pos").max())  # type: ignore[arg-type]
            on_frames(children, lists, problems, position)
    except BaseException:
        validator.stop.set()
        raise
    finally:
        validator.join()
    if validator.failed:
        raise NotSimple("lxml refuses the file")
    return position


def _child_spans(tags: pl.DataFrame, flagged: list[int], length: int) -> list[tuple[int, int, int]]:
    starts = tags.filter(pl.col("depth") == 0).select("pos", "at")
    ends = starts.get_column("at").shift(-1, fill_value=length)
    spans = starts.with_columns(end=ends).filter(pl.col("pos").is_in(flagged))
    return [(int(p), int(a), int(e)) for p, a, e in spans.iter_rows()]
