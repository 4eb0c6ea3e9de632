"""Issue 18 item 1: Redocly's recommended ruleset, tightened in ``redocly.yaml`` (each rule
switched off says why there), passes on the merged document with no error and no warning."""

from __future__ import annotations

from pathlib import Path

from tests.contract.node import REDOCLY, npx

CONFIG = Path(__file__).resolve().parents[2] / "redocly.yaml"


def test_redocly_lint_is_clean(merged_file: Path, tmp_path: Path) -> None:
    linted = npx(
        REDOCLY, "lint", str(merged_file), "--config", str(CONFIG), "--format", "stylish",
        cwd=tmp_path,
    )  # fmt: skip
    output = linted.stdout + linted.stderr
    assert linted.returncode == 0, output[-5000:]
    assert "warning" not in output.lower().replace("deprecation warning", ""), output[-5000:]
