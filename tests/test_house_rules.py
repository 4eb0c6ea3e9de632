"""Rules of docs/conventions.md held by reading the code: time is UTC (never the machine's
local date), a field-level error is built by shared.problems (one helper, never a local
dict that may drop a member), an outbox event is written only through the service's
``events.py`` (never a direct ``shared.outbox.add_event``), and SQL text is written only in
repositories, table definitions, migrations and the modules the conventions name."""

from __future__ import annotations

import ast

from tests.layering import ROOT

PARALLEL = "being changed in parallel; next stop"

#: Files allowed to break these rules for now, each with why (docs/conventions.md names them).
LOCAL_TIME_ALLOWED: dict[str, str] = {}
FIELD_ERROR_ALLOWED: dict[str, str] = {}

#: Files still writing outbox events with ``shared.outbox.add_event`` directly, each with why.
ADD_EVENT_ALLOWED: dict[str, str] = {}


#: Modules holding SQL text besides repositories, models and migrations: the list in
#: docs/conventions.md ("SQL outside ``repository.py``, by design, and only here").
SQL_MODULES = {
    *(
        f"services/kpis/imports/{name}.py"
        for name in (
            "compute",
            "in_need",
            "cin_compute",
            "ssda903_measures",
            "caseloads",
            "child_sets",
            "store",
        )
    ),
    *(f"services/kpis/values/{name}.py" for name in ("writer", "lookup", "withdrawal")),
    "services/kpis/series/reconcile.py",
    "services/actions/reminders/task.py",  # its advisory lock
    "services/audit/notices/task.py",  # its advisory lock
}

LOCAL_CALLS = {("date", "today"), ("datetime", "today"), ("datetime", "utcnow")}


def local_time_calls(source: str) -> list[int]:
    """Lines calling ``date.today()``, ``datetime.today()``, ``datetime.utcnow()`` or
    ``datetime.now()`` without a timezone."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        called = (name, node.func.attr)
        naive_now = called == ("datetime", "now") and not node.args and not node.keywords
        if called in LOCAL_CALLS or naive_now:
            lines.append(node.lineno)
    return lines


def inline_field_errors(source: str) -> list[int]:
    """Lines building a field error as a dict literal (``{"field": ..., "in"/"message": ...}``)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            # a row's reason with its index is a report line, turned into a problem later
            if "field" in keys and keys & {"in", "message"} and "index" not in keys:
                lines.append(node.lineno)
    return lines


def direct_add_events(source: str) -> list[int]:
    """Lines importing or calling ``shared.outbox.add_event`` (the outbox's raw insert)."""
    lines = []
    outbox_aliases: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "shared.outbox":
            lines += [node.lineno for a in node.names if a.name == "add_event"]
        elif isinstance(node, ast.ImportFrom) and node.module == "shared":
            outbox_aliases |= {a.asname or a.name for a in node.names if a.name == "outbox"}
        elif isinstance(node, ast.Import):
            outbox_aliases |= {a.asname or a.name for a in node.names if a.name == "shared.outbox"}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = ast.unparse(node.func.value)
            if node.func.attr == "add_event" and receiver in outbox_aliases:
                lines.append(node.lineno)
    return sorted(lines)


def sql_text(source: str) -> list[int]:
    """Lines importing sqlalchemy's ``text`` or calling ``sa.text``/``sqlalchemy.text``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            lines += [node.lineno for a in node.names if a.name == "text"]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "text"
            and ast.unparse(node.func.value) in {"sa", "sqlalchemy"}
        ):
            lines.append(node.lineno)
    return sorted(lines)


def _sql_home(name: str) -> bool:
    """Where SQL text belongs: a repository, a table definition, a migration, a listed
    module."""
    parts = name.split("/")
    return (
        "repository" in parts[-1]
        or "repository" in parts[:-1]
        or parts[-1] in {"models.py", "db.py"}
        or "migrations" in parts
        or name in SQL_MODULES
    )


def _events_module(name: str) -> bool:
    parts = name.split("/")
    return name.startswith("shared/") or (
        len(parts) == 3 and parts[0] == "services" and parts[2] == "events.py"
    )


def _sources(*tops: str) -> dict[str, str]:
    return {
        p.relative_to(ROOT).as_posix(): p.read_text()
        for top in tops
        for p in sorted((ROOT / top).rglob("*.py"))
    }


def test_time_is_utc_not_the_machines_local_date() -> None:
    found = {
        name: lines
        for name, source in _sources("services", "shared").items()
        if name not in LOCAL_TIME_ALLOWED and (lines := local_time_calls(source))
    }
    assert found == {}, "use shared.clock.utc_today()/utc_now()"


def test_field_errors_are_built_by_shared_problems() -> None:
    found = {
        name: lines
        for name, source in _sources("services", "shared").items()
        if name not in FIELD_ERROR_ALLOWED
        and name != "shared/problems.py"
        and (lines := inline_field_errors(source))
    }
    assert found == {}, "use shared.problems.field_error / invalid / conflict"


def test_events_are_written_through_the_services_events_module() -> None:
    found = {
        name: lines
        for name, source in _sources("services", "shared").items()
        if name not in ADD_EVENT_ALLOWED
        and not _events_module(name)
        and (lines := direct_add_events(source))
    }
    assert found == {}, "write events with the service's events.emit (docs/conventions.md)"


def test_every_service_emits_with_the_same_shape() -> None:
    import inspect
    from importlib import import_module

    shapes = {
        svc: list(inspect.signature(import_module(f"services.{svc}.events").emit).parameters)
        for svc in ("actions", "audit", "board", "gateway", "kpis")
    }
    expected = [
        "session",
        "caller",
        "event_type",
        "entity_type",
        "entity_id",
        "payload",
        "purpose",
    ]
    assert shapes == dict.fromkeys(shapes, expected)


def test_sql_text_is_written_where_the_conventions_say() -> None:
    found = {
        name: lines
        for name, source in _sources("services").items()
        if not _sql_home(name) and (lines := sql_text(source))
    }
    assert found == {}, "SQL goes in the domain's repository (docs/conventions.md)"


def test_the_allow_lists_only_name_files_that_still_need_them() -> None:
    sources = _sources("services", "shared")
    assert [n for n in ADD_EVENT_ALLOWED if not direct_add_events(sources.get(n, ""))] == []
    assert [n for n in LOCAL_TIME_ALLOWED if not local_time_calls(sources.get(n, ""))] == []
    assert [n for n in FIELD_ERROR_ALLOWED if not inline_field_errors(sources.get(n, ""))] == []
    assert [n for n in SQL_MODULES if not sql_text(sources.get(n, ""))] == []


def test_the_checkers_catch_what_they_are_for() -> None:
    assert local_time_calls("from datetime import date\nx = date.today()\n") == [2]
    assert local_time_calls("x = datetime.datetime.now()\n") == [1]
    assert local_time_calls("x = datetime.now(UTC)\n") == []
    bad = 'e = {"errors": [{"field": "parent", "in": "body", "message": "unknown"}]}\n'
    assert inline_field_errors(bad) == [1]
    assert inline_field_errors('e = {"errors": [field_error("parent", "unknown")]}\n') == []
    assert direct_add_events("from shared.outbox import OutboxEvent, add_event\n") == [1]
    assert direct_add_events("from shared import outbox\nawait outbox.add_event(s, t, e)\n") == [2]
    assert direct_add_events("import shared.outbox\nshared.outbox.add_event(s, t, e)\n") == [2]
    assert direct_add_events("await repo.add_event(session, 1, 'status')\n") == []
    assert direct_add_events("from services.kpis.events import emit\n") == []
    assert sql_text("from sqlalchemy import select, text\n") == [1]
    assert sql_text("import sqlalchemy as sa\nx = sa.text('SELECT 1')\n") == [2]
    assert sql_text("from sqlalchemy import select\n") == []
    assert sql_text("x = report.text('summary')\n") == []
    assert _sql_home("services/kpis/imports/repository.py")
    assert not _sql_home("services/kpis/imports/service.py")
    assert _events_module("services/kpis/events.py")
    assert not _events_module("services/kpis/values/events.py")


def test_the_field_error_helpers_name_the_field_and_never_the_value() -> None:
    from shared.problems import Conflict, InvalidInput, conflict, field_error, invalid

    entry = {"field": "parent", "in": "body", "message": "unknown org unit", "code": "invalid"}
    assert field_error("parent", "unknown org unit") == entry
    err = invalid("sort", "allowed: ref", "sort_field", "query", detail="cannot sort by that")
    assert isinstance(err, InvalidInput)
    assert err.status == 422
    assert err.detail == "cannot sort by that"
    assert err.extensions == {
        "errors": [
            {"field": "sort", "in": "query", "message": "allowed: ref", "code": "sort_field"}
        ]
    }
    assert invalid("x", "bad").detail == "bad"
    clash = conflict("ref", "taken", "ref_taken", current_version=3)
    assert isinstance(clash, Conflict)
    assert clash.status == 409
    assert clash.extensions["current_version"] == 3
    assert clash.extensions["errors"][0]["code"] == "ref_taken"


def test_the_clock_is_utc() -> None:
    from datetime import UTC, datetime, timedelta

    from shared.clock import utc_now, utc_today

    before = datetime.now(UTC)
    now = utc_now()
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)
    assert utc_today() in {before.date(), datetime.now(UTC).date()}
