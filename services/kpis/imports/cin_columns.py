"""The CIN census's checks and rows as column expressions over a block's tags
(``cin_tokens``), for the children whose every field is written canonically.

A child is *canonical* when the streaming reader (``cin_reader._Child``) would find no
problem in it and every field it reads is written exactly as the lists have it: dates
``yyyy-mm-dd`` (years 1900-2100), codes as listed (upper case, no space), flags ``true``,
``false``, ``1`` or ``0``, ``NumberOfPreviousCPP`` of ASCII digits, ``LAchildID`` of
printable ASCII with no space at either end and no ``&``; each field at most once in its
container, holding no element; one ``ChildIdentifiers`` with one ``LAchildID``;
factors inside ``FactorsIdentifiedAtAssessment``. For those children the rows here are
the streaming reader's rows, in the same order. Every other child is *flagged*: its
position is returned and the caller reads it with ``_Child``, which gives its problems
(or its rows, when it was merely written unusually) exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from services.kpis.imports import cin_specs as cs
from services.kpis.imports.cin_reader import MAX_YEAR, MIN_YEAR, TRUE
from services.kpis.imports.cin_tokens import CODE

_DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: printable ASCII without ``&``; a space only inside
_ID_TEXT = r"^[!-%'-~](?:[ -%'-~]*[!-%'-~])?$"
_WHOLE = r"^[0-9]{1,9}$"  # as ``cin_reader`` reads it

_CIN = ("CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate")
_CIN_LEAVES = (*_CIN, "ReasonForClosure", "ReferralNFA")
_ASSESSMENT = ("AssessmentActualStartDate", "AssessmentAuthorisationDate")
_S47 = ("S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired")
_CPP = (
    "CPPstartDate",
    "CPPendDate",
    "InitialCategoryOfAbuse",
    "LatestCategoryOfAbuse",
    "NumberOfPreviousCPP",
)
_DATES = (
    "CINreferralDate",
    "CINclosureDate",
    *_ASSESSMENT,
    "S47ActualStartDate",
    "InitialCPCtarget",
    "DateOfInitialCPC",
    "CPPstartDate",
    "CPPendDate",
)
_FLAGS = ("ReferralNFA", "ICPCnotRequired")
#: the group under ``CINdetails`` → the fields read in it
_GROUPS = {"Assessments": _ASSESSMENT, "Section47": _S47, "ChildProtectionPlans": _CPP}


@dataclass
class Block:
    """A block's canonical children: rows per list (``pos`` and the list's columns),
    ``children`` (``pos``, ``raw``: the ``LAchildID``) and the positions ``flagged`` for
    the streaming reader, in file order."""

    lists: dict[str, pl.DataFrame]
    children: pl.DataFrame
    flagged: list[int]


def listed(codes: cs.YearCodes) -> pl.DataFrame:
    """Every (field, text) written canonically for a coded field or a flag."""
    lists = {
        "ReferralSource": codes.sources,
        "PrimaryNeedCode": codes.primary_need,
        "ReasonForClosure": codes.closure_reasons,
        "InitialCategoryOfAbuse": codes.categories,
        "LatestCategoryOfAbuse": codes.categories,
        "Disability": codes.disabilities,
        "AssessmentFactors": codes.factors,
        "ReferralNFA": frozenset(TRUE),
        "ICPCnotRequired": frozenset(TRUE),
    }
    pairs = [(CODE[field], text) for field, known in lists.items() for text in sorted(known)]
    return pl.DataFrame(pairs, schema={"code": pl.UInt8, "text": pl.String}, orient="row")


_C = CODE
_CIN_CODES = [_C[n] for n in _CIN_LEAVES]
_GROUP_CODES = {_C[g]: [_C[n] for n in names] for g, names in _GROUPS.items()}
_DATE_CODES = [_C[n] for n in _DATES]
#: coded fields that may be empty (a ``Disability`` or a factor may not)
_MAY_BE_EMPTY = [_C[n] for n in (*_FLAGS, *_CIN_LEAVES, *_S47, *_CPP) if n not in _DATES]


def _fields(tags: pl.DataFrame) -> pl.DataFrame:
    """The elements the reader reads, each with its container (``box``: the row of its
    ``CINdetails``, group or ``ChildIdentifiers``); ``kind``: 1 a field read once, 2 a
    repeated one (``Disability``, a factor), 3 a factor outside its holder; ``day``: a
    date field's text read as a date (null when it is none)."""
    depth, code, a1, a2, a3 = (pl.col(c) for c in ("depth", "code", "a1", "a2", "a3"))
    in_cin = a1 == _C["CINdetails"]
    once = (
        ((depth == 2) & (a1 == _C["ChildIdentifiers"]) & (code == _C["LAchildID"]))
        | ((depth == 2) & in_cin & code.is_in(_CIN_CODES))
        | pl.any_horizontal(
            (depth == 3) & in_cin & (a2 == group) & code.is_in(names)
            for group, names in _GROUP_CODES.items()
        )
    )
    repeated = (
        (depth == 3)
        & (a1 == _C["ChildCharacteristics"])
        & (a2 == _C["Disabilities"])
        & (code == _C["Disability"])
    ) | (
        (depth == 4)
        & in_cin
        & (a2 == _C["Assessments"])
        & (a3 == _C["FactorsIdentifiedAtAssessment"])
        & (code == _C["AssessmentFactors"])
    )
    odd = (depth == 3) & in_cin & (a2 == _C["Assessments"]) & (code == _C["AssessmentFactors"])
    kind = pl.when(once).then(1).when(repeated).then(2).when(odd).then(3).cast(pl.UInt8)
    box = pl.when(depth == 2).then(pl.col("c1")).otherwise(pl.col("c2"))
    return (
        tags.with_columns(kind=kind)
        .filter(pl.col("kind").is_not_null())
        .select("pos", box=box, kind="kind", code="code", leaf="leaf", text="text")
        .with_columns(
            day=pl.when(pl.col("code").is_in(_DATE_CODES)).then(
                pl.col("text").str.to_date("%Y-%m-%d", strict=False)
            )
        )
    )


def _bad_fields(fields: pl.DataFrame, listed: pl.DataFrame) -> pl.Series:
    """Positions of children with a field not written canonically (each check on the
    fields it concerns only)."""
    code, text, kind = pl.col("code"), pl.col("text"), pl.col("kind")
    dates = fields.filter(code.is_in(_DATE_CODES) & text.is_not_null())
    bad_dates = dates.filter(
        ~text.str.contains(_DATE_TEXT)
        | ~pl.col("day").dt.year().is_between(MIN_YEAR, MAX_YEAR).fill_null(False)
    )
    coded = fields.filter(
        code.is_in(listed.get_column("code").unique().implode())
        & (text.is_not_null() | ~code.is_in(_MAY_BE_EMPTY))
    )
    bad_codes = coded.join(listed, on=["code", "text"], how="anti")
    counts = fields.filter((code == _C["NumberOfPreviousCPP"]) & text.is_not_null()).filter(
        ~text.str.contains(_WHOLE)
    )
    ids = fields.filter(code == _C["LAchildID"]).filter(
        text.is_null() | ~text.str.contains(_ID_TEXT)
    )
    twice = (kind == 1) & (pl.col("box").cast(pl.Int64) * 64 + code).is_duplicated()
    misplaced = fields.filter(~pl.col("leaf") | (kind == 3) | twice)
    found = (bad_dates, bad_codes, counts, ids, misplaced)
    return pl.concat([f.get_column("pos") for f in found])


def _wide(fields: pl.DataFrame, names: tuple[str, ...]) -> pl.DataFrame:
    """One row per container (``box``) with a column per field read once (its text, or
    its day for a date; null when absent). Built with numpy: each field's row placed in
    a matrix of containers × fields (a field written twice is flagged, so which one lands
    does not matter), then each column gathered from the texts."""
    single = fields.filter(pl.col("kind") == 1)
    column = np.full(256, -1, dtype=np.int64)
    column[[_C[n] for n in names]] = np.arange(len(names))
    placed = column[single.get_column("code").to_numpy()]
    boxes, row = np.unique(single.get_column("box").to_numpy(), return_inverse=True)
    # column by column in memory, as polars' row numbers: each column is gathered as it is
    matrix = np.full((boxes.size, len(names)), single.height, dtype=np.uint32, order="F")
    mine = placed >= 0
    matrix[row[mine], placed[mine]] = np.flatnonzero(mine)
    # the last of each: no field; a date field's column: its day
    texts = single.get_column("text").extend_constant(None, 1)
    days = single.get_column("day").extend_constant(None, 1)
    return pl.DataFrame(
        {
            "box": boxes,
            **{
                n: (days if n in _DATES else texts).gather(matrix[:, j])
                for j, n in enumerate(names)
            },
        }
    )


def _yes_no(column: str) -> pl.Expr:
    value = pl.col(column).replace_strict(TRUE, default=None, return_dtype=pl.Boolean)
    return pl.when(value).then(pl.lit("Y")).when(~value).then(pl.lit("N"))


def _before(later: str, earlier: str) -> pl.Expr:
    return pl.col(later).is_not_null() & (pl.col(later) < pl.col(earlier))


def block(tags: pl.DataFrame, listed: pl.DataFrame) -> Block:
    """The rows of a block's canonical children and the positions of the others
    (``listed``: :func:`listed` of the census's year). The lists carry ``pos`` and their
    columns, not the child's identifier (``children`` has it, by ``pos``)."""
    fields = _fields(tags)
    depth, code = pl.col("depth"), pl.col("code")
    shape = tags.filter(depth <= 2).select("pos", "depth", "code", "a1", "c1", "c2")
    wide = _wide(fields, (*_CIN_LEAVES, *_ASSESSMENT, *_S47, *_CPP))
    cins = shape.filter((depth == 1) & (code == _C["CINdetails"])).select("pos", box="c1")
    cins = cins.join(wide, on="box", how="left").sort("box")
    groups = shape.filter(
        (depth == 2) & (pl.col("a1") == _C["CINdetails"]) & code.is_in(list(_GROUP_CODES))
    ).select("pos", box="c2", group="code")
    groups = groups.join(wide, on="box", how="left")
    groups = groups.sort("box")
    ids = fields.filter(code == _C["LAchildID"]).select("pos", raw="text")
    holders = shape.filter((depth == 1) & (code == _C["ChildIdentifiers"])).group_by("pos")
    unidentified = (
        shape.filter(depth == 0)
        .select("pos")
        .join(holders.len("n"), on="pos", how="left")
        .join(ids.group_by("pos").len("m"), on="pos", how="left")
        .filter((pl.col("n").fill_null(0) != 1) | (pl.col("m").fill_null(0) != 1))
    )
    group = pl.col("group")
    out_of_order = (
        (
            (group == _C["Assessments"])
            & (
                pl.col("AssessmentActualStartDate").is_null()
                | _before("AssessmentAuthorisationDate", "AssessmentActualStartDate")
            )
        )
        | (
            (group == _C["Section47"])
            & (
                pl.col("S47ActualStartDate").is_null()
                | _before("DateOfInitialCPC", "S47ActualStartDate")
            )
        )
        | (
            (group == _C["ChildProtectionPlans"])
            & (pl.col("CPPstartDate").is_null() | _before("CPPendDate", "CPPstartDate"))
        )
    )
    flagged = pl.concat(
        [
            _bad_fields(fields, listed),
            unidentified.get_column("pos"),
            cins.filter(
                pl.col("CINreferralDate").is_null() | _before("CINclosureDate", "CINreferralDate")
            ).get_column("pos"),
            groups.filter(out_of_order).get_column("pos"),
        ]
    ).unique()
    keep = ~pl.col("pos").is_in(flagged.implode())
    repeated = fields.filter(pl.col("kind") == 2).filter(keep)
    lists = _lists(repeated, cins.filter(keep), groups.filter(keep))
    return Block(lists, ids.filter(keep).sort("pos"), sorted(flagged.to_list()))


def _lists(
    repeated: pl.DataFrame, cins: pl.DataFrame, groups: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """The rows of canonical children, in file order: ``cins`` and ``groups`` (their
    containers with their fields, by ``box``), ``repeated`` (disabilities, factors)."""
    disabled = (
        repeated.filter(pl.col("code") == _C["Disability"])
        .group_by("pos")
        .agg(disabled=(pl.col("text") != cs.NO_DISABILITY).any())
    )
    starts = cins.select("pos", other="CINreferralDate")
    again = (
        cins.select("pos", "box", "CINreferralDate")
        .join(starts, on="pos")
        .filter(
            (pl.col("other") < pl.col("CINreferralDate"))
            & (pl.col("other") >= pl.col("CINreferralDate").dt.offset_by("-1y"))
        )
        .get_column("box")
    )
    nfa = pl.col("ReferralNFA").replace_strict(TRUE, default=None, return_dtype=pl.Boolean)
    referral = cins.select(
        "pos",
        referral_date="CINreferralDate",
        source="ReferralSource",
        nfa=_yes_no("ReferralNFA"),
        rereferral=pl.col("box").is_in(again.implode()),
    )
    episode = (
        cins.filter(nfa.is_null() | ~nfa)
        .join(disabled, on="pos", how="left", maintain_order="left")
        .select(
            "pos",
            start_date="CINreferralDate",
            end_date="CINclosureDate",
            disabled=pl.col("disabled").fill_null(False),
        )
    )
    assessments = groups.filter(pl.col("group") == _C["Assessments"])
    assessment = assessments.select(
        "pos",
        start_date="AssessmentActualStartDate",
        authorised_date="AssessmentAuthorisationDate",
    )
    factors = repeated.filter(pl.col("code") == _C["AssessmentFactors"])
    assessment_factor = (
        assessments.filter(pl.col("AssessmentAuthorisationDate").is_not_null())
        .join(factors.select("box", factor="text").unique(), on="box")
        .sort("box", "factor")
        .select("pos", authorised_date="AssessmentAuthorisationDate", factor="factor")
    )
    s47 = groups.filter(pl.col("group") == _C["Section47"]).select(
        "pos",
        s47_date="S47ActualStartDate",
        icpc_date="DateOfInitialCPC",
        icpc_unnecessary=_yes_no("ICPCnotRequired"),
    )
    cp_plan = groups.filter(pl.col("group") == _C["ChildProtectionPlans"]).select(
        "pos",
        start_date="CPPstartDate",
        end_date="CPPendDate",
        category="InitialCategoryOfAbuse",
        previous_plans=pl.col("NumberOfPreviousCPP").cast(pl.Int32),
    )
    return {
        "referral": referral,
        "cin_episode": episode,
        "assessment": assessment,
        "assessment_factor": assessment_factor,
        "s47": s47,
        "cp_plan": cp_plan,
    }
