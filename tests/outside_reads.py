"""A guard: no test reads a file beside the repository (e.g. ``../shared``).

A clone with nothing beside it must pass its tests, so anything a test needs is kept in the
repository (sample exports in ``tests/data/`` with their sources and licences). An audit hook
sees every ``open`` in the test process; a path under the repository's parent folder but
outside the repository itself is recorded, and the run fails at its end naming each path.
(Processes started by the end-to-end tests are covered by CI, which runs the suite in a clone
made in an empty folder: ``.ci/run``.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_PARENT = str(ROOT.parent) + os.sep
_ROOT = str(ROOT) + os.sep

#: Paths beside the repository that some test opened.
OUTSIDE: set[str] = set()


def _is_beside(path: str) -> bool:
    """Under the repository's parent, outside the repository, and not the interpreter's own
    files (a Python or cache installed beside the checkout, in a hidden folder, is not data)."""
    full = os.path.abspath(path)
    if not full.startswith(_PARENT) or (full + os.sep).startswith(_ROOT):
        return False
    if full[len(_PARENT) :].startswith("."):
        return False
    own = (sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path)
    return not any(p and p != str(ROOT.parent) and full.startswith(p + os.sep) for p in own)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not args:
        return
    path = args[0]
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if isinstance(path, str) and _is_beside(path):
        OUTSIDE.add(os.path.abspath(path))


def install() -> None:
    sys.addaudithook(_hook)
