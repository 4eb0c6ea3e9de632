"""The CIN census's children as columns: a block of the file's bytes cut at its tags by
numpy and pyarrow (no copy of the block), with each element's depth, ancestors and
containers as polars columns, so the checks and the rows can be column expressions
(``cin_columns``).

This is exact only for text of a simple shape, and says so rather than guess:

- every ``<`` starts a tag: a ``<!`` (comment, CDATA section, DOCTYPE) or ``<?``
  (processing instruction) is :class:`NotSimple`;
- a tag is a bare name (``Name``, ``prefix:Name``): no attribute (its value may hold
  ``>``, which would move where the tag ends), no space; :class:`NotSimple` otherwise;
- the block is whole children: its elements at the top are ``Child`` and none of them
  holds another ``Child`` or a ``Header`` (the streaming reader counts every ``Child`` at
  any depth); :class:`NotSimple` otherwise.

Element names are numbered (:data:`NAMES`; 0 for a name the reader does not read). A text
is kept as written: entities are not decoded here (a text holding ``&`` is canonical for
no field, and its child is read by the streaming reader). Well-formedness is not checked
here: the caller has the whole file parsed by lxml beside it.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

#: the elements the reader reads, numbered from 1 (0: any other name)
NAMES = (
    "Child",
    "Header",
    "ChildIdentifiers",
    "LAchildID",
    "ChildCharacteristics",
    "Disabilities",
    "Disability",
    "CINdetails",
    "CINreferralDate",
    "ReferralSource",
    "PrimaryNeedCode",
    "CINclosureDate",
    "ReasonForClosure",
    "ReferralNFA",
    "Assessments",
    "AssessmentActualStartDate",
    "AssessmentAuthorisationDate",
    "FactorsIdentifiedAtAssessment",
    "AssessmentFactors",
    "Section47",
    "S47ActualStartDate",
    "InitialCPCtarget",
    "DateOfInitialCPC",
    "ICPCnotRequired",
    "ChildProtectionPlans",
    "CPPstartDate",
    "CPPendDate",
    "InitialCategoryOfAbuse",
    "LatestCategoryOfAbuse",
    "NumberOfPreviousCPP",
)
CODE = {name: number for number, name in enumerate(NAMES, start=1)}
#: the deepest element the reader looks at, counted from ``Child`` (0):
#: ``CINdetails/Assessments/FactorsIdentifiedAtAssessment/AssessmentFactors`` is 4
MAX_DEPTH = 4


#: more distinct tags than this in a block: not a census of the shape read here
MAX_TAGS = 2_000
_TAG = re.compile(r"(/?)(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)(/?)", re.ASCII)


class NotSimple(Exception):
    """The file is not of the shape the columnar reader is exact for (the message says
    how); the caller reads it with the streaming reader instead."""


def tokens(data: bytes, first_position: int) -> pl.DataFrame:
    """One row per start tag of ``data`` (whole ``Child`` elements and what lies between
    them, UTF-8), in file order, but for the leaves of names not read:

    - ``at``: where the tag's ``<`` is in ``data``;
    - ``pos``: the child's position in the file (``first_position`` for the first);
    - ``depth``: 0 for ``Child``, 1 for its elements, …; ``code``: the name's number;
    - ``leaf``: followed by its own end tag, or an empty-element tag; ``text``: a known
      leaf's text as written (``None`` when empty, as lxml has it);
    - ``a1``…``a3``: the numbers of the element's ancestors at depths 1 to 3 (valid up
      to ``depth - 1``), ``c1``…``c3``: their rows (the container's identity).

    numpy finds each ``<`` and ``>``; the tags, as a pyarrow array over the block's own
    bytes, are dictionary-encoded, so only the few distinct ones are named in Python."""
    raw = np.frombuffer(data, dtype=np.uint8)
    opens = np.flatnonzero(raw == _LT)
    if opens.size == 0:
        raise NotSimple("no Child in the block")
    if opens[-1] + 1 >= raw.size:
        raise NotSimple("a '<' that starts no tag")
    after = raw[opens + 1]
    if np.any((after == _BANG) | (after == _QUESTION)):
        raise NotSimple("a comment, CDATA section or processing instruction")
    closes = _tag_ends(raw, opens)
    pieces = _pieces(data, opens, closes)
    kind = _kinds(pieces, opens.size)
    code = (kind >> 2).astype(np.uint8)
    end = (kind & 2) > 0
    empty = (kind & 1) > 0
    step = np.where(end, -1, np.where(empty, 0, 1)).astype(np.int32)
    depth = np.cumsum(step, dtype=np.int32) - 1 + end + empty
    start = ~end
    child, header = CODE["Child"], CODE["Header"]
    if (
        depth.min() < 0
        or depth[-1] != 0
        or np.any(start & (depth == 0) & (code != child))
        or np.any(start & (depth > 0) & ((code == child) | (code == header)))
    ):
        raise NotSimple("the block is not whole Child elements")
    following = np.append(end[1:], False)
    leaf = empty | following
    # the text after each start tag, up to the next tag (for the known leaves only)
    wanted = start & leaf & ~empty & (code > 0)
    texts = _texts(pieces, np.flatnonzero(wanted))
    # a leaf of a name not read holds nothing read: only the others (and every element
    # that holds others, whose name decides what its elements are) are kept
    keep = np.flatnonzero(start & ~(leaf & (code == 0)))
    frame = pl.DataFrame(
        {
            "at": opens[keep].astype(np.int64),
            "depth": depth[keep].astype(np.int16),
            "code": code[keep],
            "leaf": leaf[keep],
        }
    )
    text_rows = np.flatnonzero(wanted[keep])
    frame = frame.with_columns(
        pos=((pl.col("depth") == 0).cast(pl.Int32).cum_sum() - 1 + first_position).cast(pl.Int32),
        row=pl.int_range(pl.len(), dtype=pl.Int32),
        text=pl.lit(None, dtype=pl.String),
    )
    if text_rows.size:
        frame = frame.with_columns(frame.get_column("text").scatter(text_rows, texts))
    return _ancestors(frame)


_LT, _GT, _BANG, _QUESTION = ord("<"), ord(">"), ord("!"), ord("?")


def _tag_ends(raw: np.ndarray, opens: np.ndarray) -> np.ndarray:
    """Where the tag begun at each ``<`` ends (its first ``>``)."""
    ends = np.flatnonzero(raw == _GT)
    if ends.size == opens.size and np.all(ends > opens) and np.all(ends[:-1] < opens[1:]):
        return ends  # no ">" in any text: one each
    found = np.searchsorted(ends, opens)
    if found.size and found[-1] >= ends.size:
        raise NotSimple("a '<' that starts no tag")
    closes = ends[found]
    if np.any(closes[:-1] > opens[1:]):
        raise NotSimple("a '<' inside a tag")
    return closes


def _pieces(data: bytes, opens: np.ndarray, closes: np.ndarray) -> pa.LargeBinaryArray:
    """``data`` cut at each tag's ``<`` and ``>`` without a copy: piece ``2i`` is tag
    ``i`` (between its ``<`` and ``>``), piece ``2i + 1`` runs from that ``>`` to the
    next tag's ``<`` (both included)."""
    offsets = np.empty(2 * opens.size, dtype=np.int64)
    offsets[0::2] = opens + 1
    offsets[1::2] = closes
    return pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), offsets.size - 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _kinds(pieces: pa.LargeBinaryArray, count: int) -> np.ndarray:
    """Each tag's name number, end-tag and empty-element marks, as ``number * 4 + end * 2
    + empty``; :class:`NotSimple` for a tag that is not a bare name."""
    tags = pc.take(pieces, pa.array(np.arange(0, 2 * count, 2)))
    encoded = pc.dictionary_encode(tags)
    distinct = encoded.dictionary.to_pylist()
    if len(distinct) > MAX_TAGS:
        raise NotSimple("more distinct tags than a census holds")
    table = np.array([_kind(tag) for tag in distinct], dtype=np.int16)
    return table[encoded.indices.to_numpy()]


def _kind(tag: bytes | None) -> int:
    if tag is None:
        raise NotSimple("not a tag")
    found = _TAG.fullmatch(tag.decode("ascii", errors="replace"))
    if found is None or (found.group(1) and found.group(3)):
        raise NotSimple("a tag holds more than a name (an attribute or a space)")
    number = CODE.get(found.group(2), 0)
    return number * 4 + (2 if found.group(1) else 0) + (1 if found.group(3) else 0)


def _texts(pieces: pa.LargeBinaryArray, tags: np.ndarray) -> pl.Series:
    """The texts after the tags numbered ``tags`` (up to the next tag) as a string
    column (an empty one: null); :class:`NotSimple` when one is not UTF-8."""
    between = pc.take(pieces, pa.array(2 * tags + 1))
    try:
        texts = pc.binary_slice(between, 1, -1).cast(pa.large_string())
    except pa.ArrowInvalid:
        raise NotSimple("a text that is not UTF-8") from None
    series = pl.from_arrow(texts)
    assert isinstance(series, pl.Series)
    return series.to_frame("t").select(pl.when(pl.col("t") != "").then(pl.col("t"))).to_series()


def _ancestors(starts: pl.DataFrame) -> pl.DataFrame:
    depth, code = pl.col("depth"), pl.col("code")
    ancestors = []
    for level in range(1, MAX_DEPTH):
        here = depth == level
        ancestors.append(pl.when(here).then(code).forward_fill().alias(f"a{level}"))
        ancestors.append(pl.when(here).then(pl.col("row")).forward_fill().alias(f"c{level}"))
    return starts.with_columns(ancestors)
