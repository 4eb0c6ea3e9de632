"""Routers declare, inject, call a service and return: the checker behind tests/test_layering.py.

A router breaks the layering when it imports sqlalchemy's statement builders (``text``,
``select``, ``insert``, ``update``, ``delete``), runs a statement on a session
(``session.execute``, ``.scalar``, ``.scalars``, ``.get``, ``.stream``...), or imports a
``repository`` module (routers call services; services call repositories).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATEMENT_BUILDERS = {"text", "select", "insert", "update", "delete"}
SESSION_CALLS = {"execute", "scalar", "scalars", "get", "stream", "stream_scalars", "merge"}


def routers() -> list[Path]:
    """Every router module of every service: ``router.py`` files and ``router/`` packages."""
    found = set((ROOT / "services").rglob("router.py"))
    found |= {p for d in (ROOT / "services").rglob("router") if d.is_dir() for p in d.glob("*.py")}
    return sorted(found)


def _is_repository(module: str) -> bool:
    return "repository" in module.split(".")


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def violations(source: str, filename: str = "<router>") -> list[str]:
    """What in ``source`` breaks the layering, one line each (empty when it keeps it)."""
    found: list[str] = []
    sqlalchemy_aliases: set[str] = set()
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = {a.name for a in node.names}
            if module.split(".")[0] == "sqlalchemy":
                for name in sorted(names & STATEMENT_BUILDERS):
                    found.append(f"{node.lineno}: imports sqlalchemy {name}")
            if _is_repository(module) or "repository" in names:
                found.append(f"{node.lineno}: imports a repository ({module})")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    sqlalchemy_aliases.add((alias.asname or alias.name).split(".")[0])
                if _is_repository(alias.name):
                    found.append(f"{node.lineno}: imports a repository ({alias.name})")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = _receiver(node.func.value)
            if node.func.attr in SESSION_CALLS and "session" in receiver.lower():
                found.append(f"{node.lineno}: calls {receiver}.{node.func.attr}")
            if node.func.attr in STATEMENT_BUILDERS and receiver in sqlalchemy_aliases:
                found.append(f"{node.lineno}: calls {receiver}.{node.func.attr}")
    return found
