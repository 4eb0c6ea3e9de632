"""polars' allocator is configured before the kpis service loads polars (allocator.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.kpis.imports.allocator import ENV, MALLOC_CONF

ROOT = Path(__file__).resolve().parents[3]

#: a child interpreter that records the variable as it stood when polars was first
#: imported, starts the service's app module, then makes polars allocate
PROBE = f"""
import os, sys

class Spy:
    seen = None
    def find_spec(self, name, path=None, target=None):
        if name == "polars" and Spy.seen is None:
            Spy.seen = os.environ.get({ENV!r}, "")
        return None

sys.meta_path.insert(0, Spy())
import services.kpis.main
import polars as pl
assert pl.DataFrame({{"n": list(range(100_000))}})["n"].sum() == 4_999_950_000
print(Spy.seen)
"""


def _probe(env_value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if env_value is not None:
        env[ENV] = env_value
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.mark.parametrize(
    ("operator", "in_force"),
    [
        (None, MALLOC_CONF),
        ("dirty_decay_ms:0,muzzy_decay_ms:0", "dirty_decay_ms:0,muzzy_decay_ms:0"),
    ],
)
def test_polars_loads_with_the_setting_in_force(operator: str | None, in_force: str) -> None:
    done = _probe(operator)
    assert done.stdout.strip().splitlines()[-1] == in_force
    # jemalloc names any option it does not understand on stderr
    assert "<jemalloc>" not in done.stderr
