"""One log timestamp format everywhere (issue 19, item 5): our events, the libraries' records
through the standard library (uvicorn's), JSON and console, and the one-shot commands that log
before or without ``configure_logging`` all stamp ISO 8601 UTC with microseconds and ``Z``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

SCRIPT = """
import logging
from shared.logs import configure_logging, get_logger
get_logger("command").info("before.configure")
configure_logging(json=True, service="svc")
get_logger("ours").info("ours.json")
logging.getLogger("uvicorn.error").warning("library.json")
configure_logging(json=False, service="svc")
get_logger("ours").info("ours.console")
logging.getLogger("uvicorn.error").warning("library.console")
"""


def test_every_log_line_has_the_one_timestamp_format() -> None:
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    stamps: dict[str, str] = {}
    for line in lines:
        if line.startswith("{"):
            record = json.loads(line)
            stamps[record["event"]] = record["timestamp"]
        else:  # the console renderer: the timestamp first
            stamp, _, rest = line.partition(" ")
            event = next(e for e in ("ours.console", "library.console") if e in rest)
            stamps[event] = stamp
    assert set(stamps) == {
        "before.configure",
        "ours.json",
        "library.json",
        "ours.console",
        "library.console",
    }, lines
    for event, stamp in stamps.items():
        assert STAMP.match(stamp), (event, stamp)
