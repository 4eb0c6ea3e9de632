"""Pagination and sorting shared by every list endpoint.

``?limit=&offset=`` (limit capped) and ``?sort=field,-other`` validated against the fields
each endpoint allows. Answers are ``Page[T]``: items, total, limit, offset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, UnaryExpression, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from shared.problems import invalid

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    limit: int = DEFAULT_LIMIT
    offset: int = 0


def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="rows to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(_page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


async def _total(session: AsyncSession, stmt: Select[*tuple[Any, ...]]) -> int:
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    return int(await session.scalar(counted) or 0)


async def page_scalars(
    session: AsyncSession, stmt: Select[*tuple[Any, ...]], page: PageParams
) -> tuple[list[Any], int]:
    """One page of the first column of an ordered ``stmt`` and how many rows it has in all
    (for repositories: the one way a list is paged)."""
    rows = await session.scalars(stmt.limit(page.limit).offset(page.offset))
    return list(rows), await _total(session, stmt)


async def page_mappings(
    session: AsyncSession, stmt: Select[*tuple[Any, ...]], page: PageParams
) -> tuple[list[dict[str, Any]], int]:
    """As :func:`page_scalars`, each row as a dict of its labelled columns."""
    rows = await session.execute(stmt.limit(page.limit).offset(page.offset))
    return [dict(r) for r in rows.mappings()], await _total(session, stmt)


def page_of(items: Sequence[T], total: int, page: PageParams) -> Page[T]:
    return Page(items=list(items), total=total, limit=page.limit, offset=page.offset)


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False


def parse_sort(raw: str | None, allowed: Sequence[str], default: str) -> list[SortKey]:
    """``"-due_date,ref"`` → sort keys; unknown fields are a 422 naming the allowed ones."""
    keys: list[SortKey] = []
    for part in (raw or default).split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        name = part.lstrip("+-")
        if name not in allowed:
            raise invalid(
                "sort",
                "allowed: " + ", ".join(allowed),
                "sort_field",
                "query",
                detail="cannot sort by that field",
            )
        keys.append(SortKey(name, descending))
    return keys


def sort_query(allowed: Sequence[str], default: str) -> Any:
    """A dependency parsing ``?sort=`` against ``allowed`` fields; ``default`` is the order
    without one (``""``: by the id alone, documented as ``id``; ties are broken by the id in
    every list, see :func:`order_by`)."""
    parse_sort(default, allowed, default)  # a default naming an unknown field fails at import
    query = Query(
        max_length=200,
        pattern=r"^[A-Za-z0-9_,+\- ]*$",
        description=(
            "comma-separated fields, '-' for descending; allowed: "
            + ", ".join(allowed)
            + f"; default: {default or 'id'}; ties broken by id"
        ),
    )

    def dependency(sort: str | None = None) -> list[SortKey]:
        return parse_sort(sort, allowed, default)

    # Real objects, not postponed strings: FastAPI resolves string annotations in module
    # globals, where the closure's Query (naming the allowed fields) does not exist.
    dependency.__annotations__ = {"sort": Annotated[str | None, query], "return": list[SortKey]}
    return Depends(dependency)


SortColumn = ColumnElement[Any] | QueryableAttribute[Any]


def order_by(
    sort: Sequence[SortKey], columns: Mapping[str, SortColumn], tiebreak: SortColumn
) -> list[UnaryExpression[Any] | SortColumn]:
    """The ``ORDER BY`` clauses for ``sort`` keys, each field mapped to its column by
    ``columns``, ending with ``tiebreak`` (the id) so every order is stable (for
    repositories: the one way a list is sorted)."""
    clauses: list[UnaryExpression[Any] | SortColumn] = [
        columns[k.field].desc() if k.descending else columns[k.field].asc() for k in sort
    ]
    clauses.append(tiebreak)
    return clauses


def sort_items(
    items: Sequence[T],
    sort: Sequence[SortKey],
    fields: Mapping[str, Callable[[T], Any]],
    tiebreak: Callable[[T], Any],
) -> list[T]:
    """``items`` in the order of ``sort`` keys, ties broken by ``tiebreak`` (the id), for a
    list computed in memory rather than read in SQL order; a missing value sorts last in
    either direction."""
    ordered = sorted(items, key=tiebreak)
    for key in reversed(sort):
        get = fields[key.field]
        present = [i for i in ordered if get(i) is not None]
        missing = [i for i in ordered if get(i) is None]
        ordered = sorted(present, key=get, reverse=key.descending) + missing
    return ordered
