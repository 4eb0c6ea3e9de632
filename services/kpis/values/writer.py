"""Set-based recording of value revisions (one statement per step, never a row at a time).

A value is keyed by (indicator version, org unit, period). Recording compares each incoming
value with the current revision of its key: an equal value is skipped as unchanged, a new
or different one becomes a new draft revision (the old revision stays, no longer current).
Values of a published (approved) period are locked: changing them needs a reopen first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.events import emit
from services.kpis.values.rules import CleanValue
from shared.identity import Caller
from shared.problems import Conflict

Key = tuple[int, int, str, date, date]
PeriodKey = tuple[int, str, date, date]
LOCKED_STATE = "approved"


@dataclass(frozen=True)
class Current:
    value: Decimal | None
    numerator: int | None
    denominator: int | None
    revision: int
    source_kind: str | None = None


def key_of(row: CleanValue) -> Key:
    p = row.period
    return (row.indicator_id, row.org_unit_id, p.type, p.start, p.end)


def period_key_of(row: CleanValue) -> PeriodKey:
    p = row.period
    return (row.indicator_id, p.type, p.start, p.end)


def _columns(keys: Sequence[Key]) -> dict[str, list[object]]:
    return {
        "ind": [k[0] for k in keys],
        "org": [k[1] for k in keys],
        "ptype": [k[2] for k in keys],
        "pstart": [k[3] for k in keys],
        "pend": [k[4] for k in keys],
    }


_KEYS_SQL = (
    "unnest(CAST(:ind AS integer[]), CAST(:org AS integer[]), CAST(:ptype AS varchar[]), "
    "CAST(:pstart AS date[]), CAST(:pend AS date[])) AS k(ind, org, ptype, pstart, pend)"
)
_MATCH_SQL = (
    "v.indicator_id = k.ind AND v.period_start = k.pstart AND v.period_end = k.pend "
    "AND v.period_type = k.ptype AND v.org_unit_id = k.org AND v.is_current"
)


async def current_values(session: AsyncSession, keys: Sequence[Key]) -> dict[Key, Current]:
    if not keys:
        return {}
    rows = await session.execute(
        text(
            "SELECT v.indicator_id, v.org_unit_id, v.period_type, v.period_start, v.period_end, "  # noqa: S608 (constant fragments)
            f"v.value, v.numerator, v.denominator, v.revision, v.source_kind FROM {_KEYS_SQL} "
            f"JOIN kpis.indicator_value v ON {_MATCH_SQL}"
        ),
        _columns(keys),
    )
    return {
        (r[0], r[1], r[2], r[3], r[4]): Current(r[5], r[6], r[7], r[8], r[9]) for r in rows.all()
    }


async def period_states(session: AsyncSession, pairs: Iterable[PeriodKey]) -> dict[PeriodKey, str]:
    pairs = list(pairs)
    if not pairs:
        return {}
    rows = await session.execute(
        text(
            "SELECT p.indicator_id, p.period_type, p.period_start, p.period_end, p.state "
            "FROM unnest(CAST(:ind AS integer[]), CAST(:ptype AS varchar[]), "
            "CAST(:pstart AS date[]), CAST(:pend AS date[])) AS k(ind, ptype, pstart, pend) "
            "JOIN kpis.value_period p ON p.indicator_id = k.ind AND p.period_type = k.ptype "
            "AND p.period_start = k.pstart AND p.period_end = k.pend"
        ),
        {
            "ind": [p[0] for p in pairs],
            "ptype": [p[1] for p in pairs],
            "pstart": [p[2] for p in pairs],
            "pend": [p[3] for p in pairs],
        },
    )
    return {(r[0], r[1], r[2], r[3]): r[4] for r in rows.all()}


def is_unchanged(row: CleanValue, current: Current | None) -> bool:
    if current is None:
        return False
    return (
        current.value == row.value
        and current.numerator == row.numerator
        and current.denominator == row.denominator
    )


@dataclass(frozen=True)
class Provenance:
    source: str
    source_agency: dict[int, str]  # indicator id → its source agency
    created_by: str
    import_id: str | None = None
    submission_id: uuid.UUID | None = None
    #: ``annex_a`` / ``ssda903`` (imports) or ``submission``
    source_kind: str | None = None


async def insert_revisions(
    session: AsyncSession,
    rows: Sequence[CleanValue],
    current: dict[Key, Current],
    provenance: Provenance,
) -> int:
    """Retire the current revision of each changed key and insert the new draft revisions."""
    if not rows:
        return 0
    keys = [key_of(r) for r in rows]
    retiring = [k for k in keys if k in current]
    if retiring:
        await session.execute(
            text(
                f"UPDATE kpis.indicator_value v SET is_current = false FROM {_KEYS_SQL} "  # noqa: S608 (constant fragments)
                f"WHERE {_MATCH_SQL}"
            ),
            _columns(retiring),
        )
    params = _columns(keys) | {
        "rev": [current[k].revision + 1 if k in current else 1 for k in keys],
        "val": [r.value for r in rows],
        "num": [r.numerator for r in rows],
        "den": [r.denominator for r in rows],
        "cmt": [r.comment for r in rows],
        "agency": [provenance.source_agency[r.indicator_id] for r in rows],
        "source": provenance.source,
        "import_id": provenance.import_id,
        "submission_id": provenance.submission_id,
        "source_kind": provenance.source_kind,
        "created_by": provenance.created_by,
    }
    try:
        await _insert(session, params)
    except IntegrityError as exc:
        raise Conflict(
            "another writer recorded some of these values at the same time; retry",
            headers={"Retry-After": "1"},
        ) from exc
    return len(rows)


async def _insert(session: AsyncSession, params: Mapping[str, object]) -> None:
    await session.execute(
        text(
            "INSERT INTO kpis.indicator_value (indicator_id, org_unit_id, period_type, "
            "period_start, period_end, revision, is_current, state, value, numerator, "
            "denominator, comment, source, source_agency, import_id, submission_id, source_kind, "
            "created_by) "
            # after a withdrawal an earlier revision may be current again: a new revision
            # follows the key's highest one, not the current one
            "SELECT ind, org, ptype, pstart, pend, GREATEST(rev, (SELECT coalesce(max("
            "x.revision), 0) + 1 FROM kpis.indicator_value x WHERE x.indicator_id = ind "
            "AND x.org_unit_id = org AND x.period_type = ptype AND x.period_start = pstart "
            "AND x.period_end = pend)), true, 'draft', val, num, den, cmt, "
            ":source, agency, :import_id, :submission_id, :source_kind, :created_by FROM unnest("
            "CAST(:ind AS integer[]), CAST(:org AS integer[]), CAST(:ptype AS varchar[]), "
            "CAST(:pstart AS date[]), CAST(:pend AS date[]), CAST(:rev AS integer[]), "
            "CAST(:val AS numeric[]), CAST(:num AS bigint[]), CAST(:den AS bigint[]), "
            "CAST(:cmt AS varchar[]), CAST(:agency AS varchar[])) "
            "AS t(ind, org, ptype, pstart, pend, rev, val, num, den, cmt, agency)"
        ),
        params,
    )


async def insert_figures(
    session: AsyncSession,
    rows: Sequence[CleanValue],
    made_current: Sequence[bool],
    provenance: Provenance,
) -> None:
    """Keep each source's figure (``source_figure``), whether or not it became the current
    value: nothing a source said is lost, and the reconciliation compares them."""
    if not rows or provenance.source_kind is None:
        return
    keys = [key_of(r) for r in rows]
    await session.execute(
        text(
            "INSERT INTO kpis.source_figure (indicator_id, org_unit_id, period_type, "
            "period_start, period_end, source_kind, import_id, submission_id, value, numerator, "
            "denominator, made_current, created_by) SELECT ind, org, ptype, pstart, pend, "
            ":source_kind, :import_id, :submission_id, val, num, den, cur, :created_by "
            "FROM unnest(CAST(:ind AS integer[]), CAST(:org AS integer[]), "
            "CAST(:ptype AS varchar[]), CAST(:pstart AS date[]), CAST(:pend AS date[]), "
            "CAST(:val AS numeric[]), CAST(:num AS bigint[]), CAST(:den AS bigint[]), "
            "CAST(:cur AS boolean[])) AS t(ind, org, ptype, pstart, pend, val, num, den, cur)"
        ),
        _columns(keys)
        | {
            "val": [r.value for r in rows],
            "num": [r.numerator for r in rows],
            "den": [r.denominator for r in rows],
            "cur": list(made_current),
            "source_kind": provenance.source_kind,
            "import_id": provenance.import_id,
            "submission_id": provenance.submission_id,
            "created_by": provenance.created_by,
        },
    )


def keeps_authoritative(
    authoritative: str | None, source_kind: str | None, current: Current | None
) -> bool:
    """Whether a figure of ``source_kind`` must stay beside the current value rather than
    replace it: the current value is the authoritative source's and this one is not."""
    if authoritative is None or source_kind is None or source_kind == authoritative:
        return False
    return current is not None and current.source_kind == authoritative


async def touch_periods(
    session: AsyncSession, pairs: Iterable[PeriodKey], actor: str
) -> list[tuple[PeriodKey, str | None, str]]:
    """Open a draft state for new periods; a submitted period that got new values is draft
    again. Returns the transitions made (period, from, to), all kept in value_transition."""
    pairs = sorted(set(pairs))
    if not pairs:
        return []
    cols = {
        "ind": [p[0] for p in pairs],
        "ptype": [p[1] for p in pairs],
        "pstart": [p[2] for p in pairs],
        "pend": [p[3] for p in pairs],
    }
    source = (
        "unnest(CAST(:ind AS integer[]), CAST(:ptype AS varchar[]), CAST(:pstart AS date[]), "
        "CAST(:pend AS date[])) AS k(ind, ptype, pstart, pend)"
    )
    created = await session.execute(
        text(
            "INSERT INTO kpis.value_period (indicator_id, period_type, period_start, period_end, "  # noqa: S608 (constant fragments)
            f"state, version) SELECT ind, ptype, pstart, pend, 'draft', 1 FROM {source} "
            "ON CONFLICT DO NOTHING "
            "RETURNING indicator_id, period_type, period_start, period_end"
        ),
        cols,
    )
    made: list[tuple[PeriodKey, str | None, str]] = [
        ((r[0], r[1], r[2], r[3]), None, "draft") for r in created.all()
    ]
    back = await session.execute(
        text(
            "UPDATE kpis.value_period p SET state = 'draft', version = p.version + 1, "  # noqa: S608 (constant fragments)
            f"submitted_by = NULL, submitted_at = NULL FROM {source} "
            "WHERE p.indicator_id = k.ind AND p.period_type = k.ptype "
            "AND p.period_start = k.pstart AND p.period_end = k.pend AND p.state = 'submitted' "
            "RETURNING p.indicator_id, p.period_type, p.period_start, p.period_end"
        ),
        cols,
    )
    made += [((r[0], r[1], r[2], r[3]), "submitted", "draft") for r in back.all()]
    if made:
        await session.execute(
            text(
                "INSERT INTO kpis.value_transition (indicator_id, period_type, period_start, "
                "period_end, from_state, to_state, actor, reason) SELECT ind, ptype, pstart, "
                "pend, fr, 'draft', :actor, :reason FROM unnest(CAST(:ind AS integer[]), "
                "CAST(:ptype AS varchar[]), CAST(:pstart AS date[]), CAST(:pend AS date[]), "
                "CAST(:fr AS varchar[])) AS t(ind, ptype, pstart, pend, fr)"
            ),
            {
                "ind": [m[0][0] for m in made],
                "ptype": [m[0][1] for m in made],
                "pstart": [m[0][2] for m in made],
                "pend": [m[0][3] for m in made],
                "fr": [m[1] for m in made],
                "actor": actor,
                "reason": "new values recorded",
            },
        )
    return made


async def record_event(
    session: AsyncSession,
    *,
    caller: Caller,
    entity_type: str,
    entity_id: str,
    recorded: int,
    unchanged: int,
    transitions: list[tuple[PeriodKey, str | None, str]],
    codes: dict[int, str],
) -> None:
    await emit(
        session,
        event_type="indicator_values.recorded",
        entity_type=entity_type,
        entity_id=entity_id,
        caller=caller,
        payload={
            "recorded": recorded,
            "unchanged": unchanged,
            "transitions": [
                {
                    "indicator": codes.get(k[0], str(k[0])),
                    "period_type": k[1],
                    "period_start": k[2].isoformat(),
                    "period_end": k[3].isoformat(),
                    "from": fr,
                    "to": to,
                }
                for k, fr, to in transitions
            ],
        },
    )
