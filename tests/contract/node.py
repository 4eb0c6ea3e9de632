"""Running the Node tools the contract tests use, at pinned versions, through ``npx --yes``.

The packages are cached by npm (``~/.npm``), so only the first run on a machine downloads
them. Without ``node`` and ``npx`` the tests skip, saying so.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

OPENAPI_TYPESCRIPT = "openapi-typescript@7.13.0"
TYPESCRIPT = "typescript@5.9.3"
REDOCLY = "@redocly/cli@2.77.0"
TIMEOUT_S = 600


def npx(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``npx --yes <args>`` in ``cwd``; skips the test when Node is not installed."""
    if shutil.which("node") is None or shutil.which("npx") is None:
        pytest.skip("node/npx are not installed: the Node contract checks cannot run here")
    return subprocess.run(
        ["npx", "--yes", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
