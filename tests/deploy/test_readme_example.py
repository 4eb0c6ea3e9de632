"""The README's calling example reads the demo credentials where ``make run`` keeps them:
``$PLATFORM_DATA_DIR/demo-credentials.json`` (issue 22, item 6). Its credential-reading lines
run here in bash, from the repository's folder, with the data folder set elsewhere; the
network calls (curl) are left out."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pyotp

ROOT = Path(__file__).resolve().parents[2]


def calling_example() -> list[str]:
    """The shell statements of the "Calling it" example, continuation lines joined."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Calling it", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "no sh block in 'Calling it'"
    return [s.strip() for s in block.group(1).replace("\\\n", " ").splitlines() if s.strip()]


def test_the_calling_example_follows_platform_data_dir(tmp_path: Path) -> None:
    creds = {
        "clients": [{"client_id": "demo-police", "client_secret": "police-secret-1"}],
        "users": [
            {"username": "demo.viewer", "password": "viewer-pass-2"},
            {
                "username": "demo.admin",
                "password": "admin-pass-3",
                "totp_secret": pyotp.random_base32(),
            },
        ],
    }
    data = tmp_path / "elsewhere"
    data.mkdir()
    (data / "demo-credentials.json").write_text(json.dumps(creds))
    offline = [s for s in calling_example() if "curl" not in s and not s.startswith("#")]
    script = "\n".join([*offline, 'printf "%s\\n" "$SECRET" "$PASSWORD" "$ADMIN_PW" "$CODE"'])
    result = subprocess.run(
        ["bash", "-euc", script],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "PLATFORM_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    secret, password, admin_pw, code = result.stdout.split()
    assert (secret, password, admin_pw) == ("police-secret-1", "viewer-pass-2", "admin-pass-3")
    assert pyotp.TOTP(creds["users"][1]["totp_secret"]).verify(code, valid_window=1)
