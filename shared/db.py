"""Async SQLAlchemy: engine per service, one transaction per request.

Repositories ``flush()``; the request scope commits when the endpoint returns normally and
rolls back when it raises. Nothing connects at import time: the engine is created in the
service's lifespan and kept on ``app.state``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg.exceptions as asyncpg_exceptions
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import MetaData, text
from sqlalchemy.exc import DataError as SQLAlchemyDataError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.config import ServiceSettings
from shared.logs import get_logger
from shared.problems import problem_response

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
log = get_logger("db")


def schema_metadata(schema: str) -> MetaData:
    """A service's metadata: its own schema and the shared naming convention."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        pool_timeout=settings.db_connect_timeout_s,
        connect_args={
            "timeout": settings.db_connect_timeout_s,
            "command_timeout": settings.db_statement_timeout_ms / 1000 + 5,
            "server_settings": {
                "application_name": settings.service_name,
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "idle_in_transaction_session_timeout": "60000",
            },
        },
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


#: The request's session. ``scope="function"`` commits as soon as the endpoint returns, so a
#: failed commit becomes an error response rather than a success already sent.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]


async def database_ready(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (OSError, DBAPIError, TimeoutError) as exc:
        log.warning("db.unreachable", error_type=type(exc).__name__)
        return False
    return True


async def _unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    log.warning("db.unavailable", error_type=type(exc).__name__, path=request.url.path)
    return problem_response(
        503,
        code="database-unavailable",
        title="Database unavailable",
        detail="The service's database is unreachable; retry shortly.",
        headers={"Retry-After": "5"},
    )


#: SQLSTATE classes meaning "the server is not there for you right now": 08 connection
#: exception, 57P0x shutting down / crashed / cannot connect now, 53 insufficient resources.
UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53")


def _sqlstate(exc: BaseException) -> str:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return ""
        state = getattr(seen, "sqlstate", None)
        if isinstance(state, str):
            return state
        seen = getattr(seen, "orig", None) or seen.__cause__
    return ""


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, OSError | TimeoutError | ConnectionError):
        return True
    if isinstance(exc, InterfaceError | OperationalError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    # e.g. asyncpg's CannotConnectNowError while the server shuts down or starts up
    return _sqlstate(exc).startswith(UNAVAILABLE_SQLSTATES)


def _is_unstorable_value(exc: BaseException) -> bool:
    """A value PostgreSQL cannot take: a NUL character in text, a number beyond the column's
    range (asyncpg refuses to encode it), any other SQLSTATE class 22 data exception."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, SQLAlchemyDataError | asyncpg_exceptions.DataError):
            return True
        if isinstance(seen, asyncpg_exceptions._base.DataError):  # argument encoding
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


async def _dbapi_handler(request: Request, exc: Exception) -> JSONResponse:
    if _is_connection_error(exc):
        return await _unavailable_handler(request, exc)
    if _is_unstorable_value(exc):
        # found by the API fuzzer: these were 500s. The value is never echoed.
        log.info("db.value_refused", path=request.url.path)
        return problem_response(
            422,
            code="invalid-input",
            title="Invalid input",
            detail="A value cannot be stored: a number out of range or a NUL character.",
        )
    raise exc


def install_database_handlers(app: FastAPI) -> None:
    """Connection failures become 503 problems (with ``Retry-After``), never 500s."""
    app.add_exception_handler(OSError, _unavailable_handler)
    app.add_exception_handler(TimeoutError, _unavailable_handler)
    app.add_exception_handler(DBAPIError, _dbapi_handler)
    # the pool exhausted (every connection busy for longer than the pool timeout) is
    # overload, not a bug: 503 with Retry-After (found by the load profile's login storm)
    app.add_exception_handler(PoolTimeoutError, _unavailable_handler)
