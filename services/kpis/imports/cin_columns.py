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
    """A block's canonical children: rows per list (``pos``, ``child`` as written, the
    list's columns), ``children`` (``pos``, ``raw``) and the positions ``flagged`` for the
    streaming reader, in file order."""

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
    repeated one (``Disability``, a factor), 3 a factor outside its holder."""
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
    )


def _bad_fields(fields: pl.DataFrame, listed: pl.DataFrame) -> pl.Series:
    """Positions of children with a field not written canonically."""
    code, text = pl.col("code"), pl.col("text")
    dates = fields.filter(code.is_in(_DATE_CODES) & text.is_not_null())
    day = text.str.to_date("%Y-%m-%d", strict=False)
    bad_dates = dates.filter(
        ~text.str.contains(_DATE_TEXT)
        | ~day.dt.year().is_between(MIN_YEAR, MAX_YEAR).fill_null(False)
    )
    coded = fields.filter(code.is_in(listed.get_column("code").unique().implode()))
    coded = coded.filter(text.is_not_null() | ~code.is_in(_MAY_BE_EMPTY))
    bad_codes = coded.join(listed, on=["code", "text"], how="anti")
    others = fields.filter(
        ((code == _C["NumberOfPreviousCPP"]) & text.is_not_null() & ~text.str.contains(_WHOLE))
        | ((code == _C["LAchildID"]) & (text.is_null() | ~text.str.contains(_ID_TEXT)))
        | ~pl.col("leaf")
        | (pl.col("kind") == 3)
        | ((pl.col("kind") == 1) & (pl.len().over("box", "code") > 1))
    )
    return pl.concat([f.get_column("pos") for f in (bad_dates, bad_codes, others)])


def _wide(fields: pl.DataFrame, names: tuple[str, ...]) -> pl.DataFrame:
    """One row per container (``box``) with a column per field (its text, or null)."""
    single = fields.filter(pl.col("kind") == 1)
    return single.group_by("box").agg(
        pl.col("text").filter(pl.col("code") == _C[n]).first().alias(n) for n in names
    )


def _days(frame: pl.DataFrame, names: tuple[str, ...]) -> pl.DataFrame:
    present = [n for n in names if n in _DATES]
    return frame.with_columns(pl.col(n).str.to_date("%Y-%m-%d", strict=False) for n in present)


def _yes_no(column: str) -> pl.Expr:
    value = pl.col(column).replace_strict(TRUE, default=None, return_dtype=pl.Boolean)
    return pl.when(value).then(pl.lit("Y")).when(~value).then(pl.lit("N"))


def _before(later: str, earlier: str) -> pl.Expr:
    return pl.col(later).is_not_null() & (pl.col(later) < pl.col(earlier))


def block(tags: pl.DataFrame, listed: pl.DataFrame) -> Block:
    """The rows of a block's canonical children and the positions of the others
    (``listed``: :func:`listed` of the census's year)."""
    fields = _fields(tags)
    depth, code = pl.col("depth"), pl.col("code")
    wide = _wide(fields, (*_CIN_LEAVES, *_ASSESSMENT, *_S47, *_CPP))
    cins = tags.filter((depth == 1) & (code == _C["CINdetails"])).select("pos", box="c1")
    cins = _days(cins.join(wide, on="box", how="left"), _CIN_LEAVES)
    groups = tags.filter(
        (depth == 2) & (pl.col("a1") == _C["CINdetails"]) & code.is_in(list(_GROUP_CODES))
    ).select("pos", box="c2", group="code")
    groups = _days(groups.join(wide, on="box", how="left"), (*_ASSESSMENT, *_S47, *_CPP))
    assessments = groups.filter(pl.col("group") == _C["Assessments"])
    s47s = groups.filter(pl.col("group") == _C["Section47"])
    plans = groups.filter(pl.col("group") == _C["ChildProtectionPlans"])
    ids = fields.filter(code == _C["LAchildID"]).select("pos", raw="text")
    holders = tags.filter((depth == 1) & (code == _C["ChildIdentifiers"])).group_by("pos").len("n")
    unidentified = (
        tags.filter(depth == 0)
        .select("pos")
        .join(holders, on="pos", how="left")
        .join(ids.group_by("pos").len("m"), on="pos", how="left")
        .filter((pl.col("n").fill_null(0) != 1) | (pl.col("m").fill_null(0) != 1))
    )
    flagged = pl.concat(
        [
            _bad_fields(fields, listed),
            unidentified.get_column("pos"),
            cins.filter(
                pl.col("CINreferralDate").is_null() | _before("CINclosureDate", "CINreferralDate")
            ).get_column("pos"),
            assessments.filter(
                pl.col("AssessmentActualStartDate").is_null()
                | _before("AssessmentAuthorisationDate", "AssessmentActualStartDate")
            ).get_column("pos"),
            s47s.filter(
                pl.col("S47ActualStartDate").is_null()
                | _before("DateOfInitialCPC", "S47ActualStartDate")
            ).get_column("pos"),
            plans.filter(
                pl.col("CPPstartDate").is_null() | _before("CPPendDate", "CPPstartDate")
            ).get_column("pos"),
        ]
    ).unique()
    keep = ~pl.col("pos").is_in(flagged.implode())
    children = ids.filter(keep).sort("pos")
    named = children.rename({"raw": "child"})
    lists = _lists(fields.filter(keep), named, cins.filter(keep), groups.filter(keep))
    return Block(lists, children, sorted(flagged.to_list()))


def _lists(
    fields: pl.DataFrame, named: pl.DataFrame, cins: pl.DataFrame, groups: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """The rows of canonical children (``named``: ``pos`` → ``child``)."""
    disabled = (
        fields.filter(pl.col("code") == _C["Disability"])
        .group_by("pos")
        .agg(disabled=(pl.col("text") != cs.NO_DISABILITY).any())
    )
    cins = cins.join(named, on="pos").sort("box")
    starts = cins.select("pos", other="CINreferralDate")
    again = (
        cins.select("pos", "box", "CINreferralDate")
        .join(starts, on="pos")
        .filter(
            (pl.col("other") < pl.col("CINreferralDate"))
            & (pl.col("other") >= pl.col("CINreferralDate").dt.offset_by("-1y"))
        )
        .get_column("box")
        .unique()
    )
    nfa = pl.col("ReferralNFA").replace_strict(TRUE, default=None, return_dtype=pl.Boolean)
    referral = cins.select(
        "pos",
        "child",
        referral_date="CINreferralDate",
        source="ReferralSource",
        nfa=_yes_no("ReferralNFA"),
        rereferral=pl.col("box").is_in(again.implode()),
    )
    episode = (
        cins.filter(nfa.is_null() | ~nfa)
        .join(disabled, on="pos", how="left")
        .select(
            "pos",
            "child",
            start_date="CINreferralDate",
            end_date="CINclosureDate",
            disabled=pl.col("disabled").fill_null(False),
        )
    )
    groups = groups.join(named, on="pos").sort("box")
    assessments = groups.filter(pl.col("group") == _C["Assessments"])
    assessment = assessments.select(
        "pos",
        "child",
        start_date="AssessmentActualStartDate",
        authorised_date="AssessmentAuthorisationDate",
    )
    factors = fields.filter(pl.col("kind") == 2, pl.col("code") == _C["AssessmentFactors"])
    assessment_factor = (
        assessments.filter(pl.col("AssessmentAuthorisationDate").is_not_null())
        .join(factors.select("box", factor="text").unique(), on="box")
        .sort("box", "factor")
        .select("pos", "child", authorised_date="AssessmentAuthorisationDate", factor="factor")
    )
    s47 = groups.filter(pl.col("group") == _C["Section47"]).select(
        "pos",
        "child",
        s47_date="S47ActualStartDate",
        icpc_date="DateOfInitialCPC",
        icpc_unnecessary=_yes_no("ICPCnotRequired"),
    )
    cp_plan = groups.filter(pl.col("group") == _C["ChildProtectionPlans"]).select(
        "pos",
        "child",
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
