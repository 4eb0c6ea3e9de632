"""Issue 18 item 1: ``openapi-python-client`` generates a Python client of the merged
document, with no warning (no endpoint left out), and the client imports and builds requests.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = Path(__file__).with_name("openapi-python-client.yaml")
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "improvement_platform_gateway_client"


def test_python_client_generates_without_warnings_and_imports(
    merged_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "client"
    generated = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(merged_file), "--config", str(CONFIG),
         "--output-path", str(out), "--overwrite"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output[-5000:]
    assert "warning" not in output.lower(), output[-5000:]

    monkeypatch.syspath_prepend(str(out))
    try:
        client = importlib.import_module(PACKAGE)
        submissions = importlib.import_module(PACKAGE + ".api.submissions.create_submission")
        models = importlib.import_module(PACKAGE + ".models")
        token = importlib.import_module(PACKAGE + ".api.oauth.create_token")
        assert hasattr(token, "sync_detailed")
        problem = models.Problem.from_dict(
            {
                "type": "https://improvement-platform.example/problems/validation-error",
                "title": "Request validation failed",
                "status": 422,
                "errors": [{"field": "rows", "in": "body", "message": "Field required"}],
            }
        )
        assert problem.errors[0].in_ == "body"
        rejected = models.SubmissionRejected.from_dict(
            {
                "type": "t",
                "title": "Submission rejected",
                "status": 422,
                "outcome": "rejected",
                "mode": "all_or_nothing",
                "dry_run": False,
                "accepted": 0,
                "unchanged": 0,
                "rejected": 1,
                "rows": [{"row": 1, "status": "rejected", "reasons": ["period: locked"]}],
            }
        )
        assert rejected.rows[0].reasons == ["period: locked"]
        authed = client.AuthenticatedClient(base_url="https://gateway.example", token="t")
        assert authed.token == "t"
        assert callable(submissions.sync)
    finally:
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
